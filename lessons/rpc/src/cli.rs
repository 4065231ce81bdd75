//! The three programs' command lines: flags with a value, and the rest in
//! order. Arguments come as `OsString`s (the OS does not promise UTF-8),
//! and every mistake is a message, never a panic.

use std::ffi::OsString;
use std::time::Duration;

/// A command line, read: the flags' values by name, the other arguments
/// in order.
pub struct Args {
    flags: Vec<(String, String)>,
    switches: Vec<String>,
    pub rest: Vec<String>,
}

impl Args {
    /// Reads `args`; `with_value` names the flags that take a value and
    /// `switches` those that do not. Anything after `--` is positional.
    pub fn parse(
        args: impl Iterator<Item = OsString>,
        with_value: &[&str],
        switches: &[&str],
    ) -> Result<Args, String> {
        let mut out = Args {
            flags: Vec::new(),
            switches: Vec::new(),
            rest: Vec::new(),
        };
        let mut args = args.map(|a| {
            a.into_string()
                .map_err(|a| format!("{a:?} is not valid UTF-8"))
        });
        let mut positional_only = false;
        while let Some(arg) = args.next() {
            let arg = arg?;
            if positional_only {
                out.rest.push(arg);
            } else if arg == "--" {
                positional_only = true;
            } else if with_value.contains(&arg.as_str()) {
                let value = args.next().ok_or(format!("{arg} needs a value"))??;
                out.flags.push((arg, value));
            } else if switches.contains(&arg.as_str()) {
                out.switches.push(arg);
            } else if arg.starts_with("--") {
                return Err(format!("unknown option {arg}"));
            } else {
                out.rest.push(arg);
            }
        }
        Ok(out)
    }

    pub fn value(&self, flag: &str) -> Option<&str> {
        self.flags
            .iter()
            .rev()
            .find(|(f, _)| f == flag)
            .map(|(_, v)| v.as_str())
    }

    pub fn switch(&self, flag: &str) -> bool {
        self.switches.iter().any(|s| s == flag)
    }

    /// A flag's value as a count, or `default`.
    pub fn count(&self, flag: &str, default: usize) -> Result<usize, String> {
        match self.value(flag) {
            None => Ok(default),
            Some(text) => text
                .parse()
                .ok()
                .filter(|n| *n > 0)
                .ok_or(format!("{flag} takes a whole number above 0; got {text:?}")),
        }
    }

    /// A flag's value as seconds, or `default`.
    pub fn seconds(&self, flag: &str, default: Duration) -> Result<Duration, String> {
        match self.value(flag) {
            None => Ok(default),
            Some(text) => text
                .parse::<f64>()
                .ok()
                .filter(|s| *s > 0.0)
                .and_then(|s| Duration::try_from_secs_f64(s).ok())
                .ok_or(format!(
                    "{flag} takes a number of seconds above 0; got {text:?}"
                )),
        }
    }
}
