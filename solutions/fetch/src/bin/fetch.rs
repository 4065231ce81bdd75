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
use std::fs::File;
use std::io::{self, BufWriter, Write};
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

fn run(args: &Args) -> Result<u8, client::FetchError> {
    let mut response = client::urlopen(&args.url, &args.options)?;
    let file;
    let mut out: Box<dyn Write> = match &args.output {
        Some(path) => {
            // Say which file: "No such file or directory" alone does not.
            file = File::create(path).map_err(|e| {
                client::FetchError::Io(io::Error::new(e.kind(), format!("{path}: {e}")))
            })?;
            Box::new(BufWriter::new(file))
        }
        None => Box::new(BufWriter::new(io::stdout().lock())),
    };
    if args.include_head {
        let head = &response.head;
        let mut text = format!("{} {} {}\r\n", head.version, head.status, head.reason);
        for (name, value) in &head.headers {
            text.push_str(&format!("{name}: {value}\r\n"));
        }
        text.push_str("\r\n");
        out.write_all(text.as_bytes())
            .map_err(client::FetchError::Io)?;
    }
    client::copy_body(&mut response, &mut out)?;
    out.flush().map_err(client::FetchError::Io)?;
    let status = response.status();
    if status >= 400 {
        eprintln!(
            "fetch: {} {} from {}",
            status, response.head.reason, response.url
        );
        return Ok(22);
    }
    Ok(0)
}
