//! Lesson 5, fetch: the program (reference solution).
//!
//! Usage: `fetch URL [-i] [-o FILE] [--max-redirects N] [--timeout SECS]`
//!
//! Prints the body, byte for byte, to stdout (or FILE); `-i` prints the
//! status line and the headers first. Exit codes: 0 for a status below 400;
//! 22 for a status of 400 or more (as `curl -f`: the body is still printed,
//! the status goes to stderr); 1 for any failure, with one line on stderr;
//! 2 for a bad command line.

use std::ffi::OsString;
use std::process::ExitCode;
use std::time::Duration;

use fetch::client::{self, Options};

/// The command line.
struct Args {
    url: String,
    include_head: bool,
    output: Option<String>,
    options: Options,
}

const USAGE: &str = "usage: fetch URL [-i] [-o FILE] [--max-redirects N] [--timeout SECS]";

fn main() -> ExitCode {
    let args = match parse_args(std::env::args_os().skip(1)) {
        Ok(args) => args,
        Err(err) => {
            eprintln!("fetch: {err} ({USAGE})");
            return ExitCode::from(2);
        }
    };
    match run(&args) {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            eprintln!("fetch: {err}");
            ExitCode::from(1)
        }
    }
}

fn parse_args(args: impl Iterator<Item = OsString>) -> Result<Args, String> {
    let mut url = None;
    let mut include_head = false;
    let mut output = None;
    let mut options = Options::default();
    let mut args = args.map(|a| {
        a.into_string()
            .map_err(|a| format!("{a:?} is not valid UTF-8"))
    });
    while let Some(arg) = args.next() {
        let arg = arg?;
        let mut value = || args.next().ok_or(format!("{arg} needs a value"))?;
        match arg.as_str() {
            "-i" => include_head = true,
            "-o" => output = Some(value()?),
            "--max-redirects" => {
                let text = value()?;
                options.max_redirects = text
                    .parse()
                    .map_err(|_| format!("--max-redirects takes a whole number; got {text:?}"))?;
            }
            "--timeout" => {
                let text = value()?;
                options.timeout = text
                    .parse::<f64>()
                    .ok()
                    .filter(|s| *s > 0.0)
                    .and_then(|s| Duration::try_from_secs_f64(s).ok())
                    .ok_or(format!(
                        "--timeout takes a positive number of seconds; got {text:?}"
                    ))?;
            }
            _ if arg.starts_with('-') => return Err(format!("unknown option {arg}")),
            _ if url.is_none() => url = Some(arg),
            _ => return Err(format!("one URL only (got {arg:?} too)")),
        }
    }
    Ok(Args {
        url: url.ok_or("no URL given")?,
        include_head,
        output,
        options,
    })
}

/// Fetches `args.url`; prints the head first with `-i`; copies the body to
/// stdout or to `-o FILE`; returns the exit code: 0 below 400, 22 from 400
/// on (after printing the body, with the status on stderr).
fn run(args: &Args) -> Result<u8, client::FetchError> {
    todo!(
        "fetch {} (-i: {}, -o: {:?}, {:?})",
        args.url,
        args.include_head,
        args.output,
        args.options
    )
}
