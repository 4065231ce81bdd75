//! How a program of the course meets whoever runs it: the arguments it
//! reads ([`Args`]), the exit code of a bad command line ([`BAD_USAGE`]),
//! and the one line an error becomes on stderr ([`one_line`]).
//!
//! Each lesson is a crate of its own, so each keeps its own copy of this
//! file; the six copies are identical, and a maintainer check
//! (`cargo test -p checker --test pristine shared`) fails as soon as one
//! of them drifts. The chapter "TCP echo" shows how a program uses it.
//!
//! Why not `std::env::args()`? It panics on an argument that is not UTF-8,
//! and a panic is no way to report a typo. Here every mistake is a message
//! for `main` to print beside the usage, before it exits with
//! [`BAD_USAGE`].

use std::error::Error;
use std::ffi::OsString;
use std::time::Duration;

/// The exit code of a bad command line. 1 is taken by "it failed"; 2 is
/// what most Unix tools use for "you called me wrong", so a script can
/// tell a typo from a network that is down.
pub const BAD_USAGE: u8 = 2;

/// A command line, read: the value of each flag, the switches given, and
/// the other arguments in order.
#[derive(Clone, Debug, Default)]
pub struct Args {
    flags: Vec<(String, String)>,
    switches: Vec<String>,
    /// The arguments that are not flags, in order (an ADDRESS, a MESSAGE,
    /// a command): each program checks how many it wants.
    pub rest: Vec<String>,
}

impl Args {
    /// Reads `args`: the program's arguments without its name, as
    /// `std::env::args_os().skip(1)` gives them.
    ///
    /// `with_value` names the flags followed by a value (`--timeout 2`),
    /// `switches` those that stand alone (`--tcp`). Any other argument
    /// that starts with a dash and a letter is a mistake: a misspelt flag
    /// must not pass for an ADDRESS. `-` alone and `-1` are not flags (a
    /// file name, a number), and every argument after `--` is taken as it
    /// is, dash or not.
    pub fn parse(
        args: impl IntoIterator<Item = OsString>,
        with_value: &[&str],
        switches: &[&str],
    ) -> Result<Args, String> {
        let mut read = Args::default();
        let mut args = args.into_iter().map(|arg| {
            arg.into_string()
                .map_err(|arg| format!("{arg:?} is not valid UTF-8"))
        });
        let mut flags_done = false;
        while let Some(arg) = args.next() {
            let arg = arg?;
            if flags_done || !looks_like_a_flag(&arg) {
                read.rest.push(arg);
            } else if arg == "--" {
                flags_done = true;
            } else if with_value.contains(&arg.as_str()) {
                let value = args.next().ok_or(format!("{arg} needs a value"))??;
                read.flags.push((arg, value));
            } else if switches.contains(&arg.as_str()) {
                read.switches.push(arg);
            } else {
                return Err(format!("unknown option {arg}"));
            }
        }
        Ok(read)
    }

    /// The value of `flag`, if it was given. Given twice, the last one
    /// counts, so that a script can override a default it was handed.
    pub fn value(&self, flag: &str) -> Option<&str> {
        self.flags
            .iter()
            .rev()
            .find(|(name, _)| name == flag)
            .map(|(_, value)| value.as_str())
    }

    /// Whether the switch `flag` was given.
    pub fn switch(&self, flag: &str) -> bool {
        self.switches.iter().any(|name| name == flag)
    }

    /// The value of `flag` as a count from 1 up (clients, attempts), or
    /// `default` without the flag. 0 is refused: a server allowed no client
    /// at all would look alive and serve nobody.
    pub fn count(&self, flag: &str, default: usize) -> Result<usize, String> {
        let Some(text) = self.value(flag) else {
            return Ok(default);
        };
        text.parse().ok().filter(|n| *n >= 1).ok_or(format!(
            "{flag} takes a whole number from 1 up; got {text:?}"
        ))
    }

    /// The value of `flag` as a whole number from 0 up (retries,
    /// redirects: none at all makes sense there), or `default`.
    pub fn whole(&self, flag: &str, default: u32) -> Result<u32, String> {
        let Some(text) = self.value(flag) else {
            return Ok(default);
        };
        text.parse()
            .map_err(|_| format!("{flag} takes a whole number from 0 up; got {text:?}"))
    }

    /// The value of `flag` as seconds, fractions allowed (`0.3`), or
    /// `default`. It must be above 0: `set_read_timeout` refuses a zero
    /// duration, and "wait 0 seconds" is never what a person meant.
    pub fn seconds(&self, flag: &str, default: Duration) -> Result<Duration, String> {
        let Some(text) = self.value(flag) else {
            return Ok(default);
        };
        text.parse::<f64>()
            .ok()
            .filter(|s| *s > 0.0)
            .and_then(|s| Duration::try_from_secs_f64(s).ok())
            .ok_or(format!(
                "{flag} takes a number of seconds above 0, such as 0.5; got {text:?}"
            ))
    }
}

/// An error and its causes on one line, `what failed: why: why that`: what
/// `main` prints. An error type says what went wrong in its own words
/// (`Display`) and hands what caused it to [`Error::source`], rather than
/// repeating the cause's words: this puts the chain back together.
pub fn one_line(err: &dyn Error) -> String {
    let mut line = err.to_string();
    let mut cause = err.source();
    while let Some(err) = cause {
        line.push_str(": ");
        line.push_str(&err.to_string());
        cause = err.source();
    }
    line
}

/// `--x`, `-x`, and `--` itself; not `-`, nor a negative number.
fn looks_like_a_flag(arg: &str) -> bool {
    let mut chars = arg.chars();
    chars.next() == Some('-') && chars.next().is_some_and(|c| c == '-' || c.is_alphabetic())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Args, String> {
        Args::parse(
            args.iter().map(OsString::from),
            &["--timeout", "-o"],
            &["--tcp"],
        )
    }

    #[test]
    fn flags_switches_and_the_rest_in_order() {
        let args = parse(&[
            "a",
            "--timeout",
            "2",
            "--tcp",
            "b",
            "-o",
            "x",
            "--timeout",
            "3",
        ]);
        let args = args.unwrap();
        assert_eq!(args.rest, ["a", "b"]);
        assert_eq!(args.value("--timeout"), Some("3"), "the last one counts");
        assert_eq!(args.value("-o"), Some("x"));
        assert!(args.switch("--tcp"));
        assert_eq!(args.value("--other"), None);
    }

    #[test]
    fn dashes_that_are_not_flags_are_arguments() {
        let args = parse(&["-", "-1", "--", "--tcp", "-x"]).unwrap();
        assert_eq!(args.rest, ["-", "-1", "--tcp", "-x"]);
        assert!(!args.switch("--tcp"));
    }

    #[test]
    fn mistakes_are_messages() {
        assert_eq!(parse(&["--tcpp"]).unwrap_err(), "unknown option --tcpp");
        assert_eq!(parse(&["-x"]).unwrap_err(), "unknown option -x");
        assert_eq!(
            parse(&["--timeout"]).unwrap_err(),
            "--timeout needs a value"
        );
    }

    #[cfg(unix)]
    #[test]
    fn an_argument_that_is_not_utf8_is_a_message_not_a_panic() {
        use std::os::unix::ffi::OsStringExt;
        let args = [OsString::from_vec(vec![b'a', 0xff])];
        let err = Args::parse(args, &[], &[]).unwrap_err();
        assert!(err.contains("not valid UTF-8"), "{err}");
    }

    #[test]
    fn an_error_and_its_causes_make_one_line() {
        #[derive(Debug)]
        struct Outer(std::io::Error);
        impl std::fmt::Display for Outer {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("cannot connect to 192.0.2.1:80")
            }
        }
        impl Error for Outer {
            fn source(&self) -> Option<&(dyn Error + 'static)> {
                Some(&self.0)
            }
        }
        let refused = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        assert_eq!(
            one_line(&Outer(refused)),
            "cannot connect to 192.0.2.1:80: refused"
        );
    }

    #[test]
    fn numbers_are_checked_against_what_they_mean() {
        let args = parse(&["--timeout", "0.25"]).unwrap();
        assert_eq!(
            args.seconds("--timeout", Duration::ZERO),
            Ok(Duration::from_millis(250))
        );
        assert_eq!(
            args.seconds("-o", Duration::from_secs(1)),
            Ok(Duration::from_secs(1))
        );
        for bad in ["0", "-1", "x", "inf", "NaN"] {
            let args = parse(&["--timeout", bad]).unwrap();
            assert!(args.seconds("--timeout", Duration::ZERO).is_err(), "{bad}");
            assert!(args.count("--timeout", 1).is_err(), "{bad}");
        }
        let args = parse(&["--timeout", "0"]).unwrap();
        assert_eq!(args.whole("--timeout", 5), Ok(0));
        assert_eq!(args.whole("-o", 5), Ok(5));
        let args = parse(&["--timeout", "7"]).unwrap();
        assert_eq!(args.count("--timeout", 1), Ok(7));
    }
}
