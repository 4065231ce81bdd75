//! Lesson 1, TCP echo: the client. Your exercise.
//!
//! Usage: `echo-client [--timeout SECS] ADDRESS [MESSAGE]`
//!
//! The contract the checker grades (chapter "TCP echo" in the book):
//!
//! 1. Connect to ADDRESS, with a deadline: `--timeout SECS` (default 5).
//! 2. Send MESSAGE, or all of standard input when there is no MESSAGE.
//! 3. Shut down your write side (`shutdown(Shutdown::Write)`): that is how
//!    the server learns you are done.
//! 4. Print every byte the server sends back to stdout, exactly as
//!    received, until the server closes (`read` returns 0). Exit code 0.
//! 5. On any error (connection refused, the server goes silent for the
//!    timeout) print one line to stderr and exit with code 1. No panics.
//!
//! `main` and the argument parsing are given: your work is `run`.
//!
//! Beware: the server may answer in pieces. And with a large input, send
//! and receive at the same time (a thread), or both sides can end up
//! waiting on each other for ever.
//!
//! Grade it with `cargo grade echo`.

use std::ffi::OsString;
use std::io;
use std::time::Duration;

/// The command line: `echo-client [--timeout SECS] ADDRESS [MESSAGE]`.
struct Options {
    /// How long to wait to connect, and then for each piece of the reply.
    timeout: Duration,
    addr: String,
    /// What to send; `None` means all of standard input.
    message: Option<String>,
}

const USAGE: &str = "usage: echo-client [--timeout SECS] ADDRESS [MESSAGE]";

fn main() {
    let options = match parse_args(std::env::args_os().skip(1)) {
        Ok(options) => options,
        Err(err) => {
            eprintln!("echo-client: {err} ({USAGE})");
            std::process::exit(2);
        }
    };
    if let Err(err) = run(&options) {
        eprintln!("echo-client: {err}");
        std::process::exit(1);
    }
}

/// Reads the command line. Arguments come as `OsString`s because the OS
/// does not promise UTF-8: `std::env::args()` would panic on a stray byte,
/// and a panic is no way to report a typo.
fn parse_args(args: impl Iterator<Item = OsString>) -> Result<Options, String> {
    let mut timeout = Duration::from_secs(5);
    let mut positional = Vec::new();
    let mut args = args.map(|arg| {
        arg.into_string()
            .map_err(|arg| format!("{arg:?} is not valid UTF-8"))
    });
    while let Some(arg) = args.next() {
        let arg = arg?;
        match arg.as_str() {
            "--timeout" => timeout = seconds(&value(&mut args, "--timeout")?)?,
            _ if arg.starts_with("--") => return Err(format!("unknown option {arg}")),
            _ => positional.push(arg),
        }
    }
    let mut positional = positional.into_iter();
    let addr = positional.next().ok_or("no ADDRESS given")?;
    let message = positional.next();
    if let Some(extra) = positional.next() {
        return Err(format!(
            "one MESSAGE only; quote it if it has spaces (got {extra:?} too)"
        ));
    }
    Ok(Options {
        timeout,
        addr,
        message,
    })
}

/// The value after a flag.
fn value(
    args: &mut impl Iterator<Item = Result<String, String>>,
    flag: &str,
) -> Result<String, String> {
    args.next().ok_or(format!("{flag} needs a value"))?
}

/// A positive number of seconds, such as `0.5` or `2`.
fn seconds(text: &str) -> Result<Duration, String> {
    text.parse::<f64>()
        .ok()
        .filter(|s| *s > 0.0)
        .and_then(|s| Duration::try_from_secs_f64(s).ok())
        .ok_or_else(|| {
            format!("--timeout takes a positive number of seconds, such as 0.5; got {text:?}")
        })
}

/// Connects, sends, half-closes, prints the echo. Errors are returned for
/// `main` to print on one line: an `io::Error` keeps its kind (refused,
/// timed out, ...); add what you were doing with `io::Error::new(kind, ..)`.
///
/// Hints: `TcpStream::connect_timeout` and `set_read_timeout`, both with
/// `options.timeout`; `try_clone`, `std::io::copy`, `shutdown`.
fn run(options: &Options) -> io::Result<()> {
    let Options {
        timeout,
        addr,
        message,
    } = options;
    todo!(
        "echo {message:?} (None: stdin) through the server at {addr}, waiting at most {timeout:?}"
    )
}
