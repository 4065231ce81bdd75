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
//!    That loop is `echo::copy_reply`, in `src/lib.rs`: write it first,
//!    with `cargo test -p echo` to try it.
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
#![warn(missing_docs)]

use std::ffi::OsString;
use std::io;
use std::process::ExitCode;
use std::time::Duration;

use echo::cli::{Args, BAD_USAGE, one_line};

const USAGE: &str = "usage: echo-client [--timeout SECS] ADDRESS [MESSAGE]";

/// The command line, read.
struct Options {
    /// How long to wait to connect, and then for each piece of the reply.
    timeout: Duration,
    addr: String,
    /// What to send; `None` means all of standard input.
    message: Option<String>,
}

fn main() -> ExitCode {
    let options = match parse_args(std::env::args_os().skip(1)) {
        Ok(options) => options,
        Err(err) => {
            eprintln!("echo-client: {err} ({USAGE})");
            return ExitCode::from(BAD_USAGE);
        }
    };
    match run(&options) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("echo-client: {}", one_line(&err));
            ExitCode::FAILURE
        }
    }
}

/// Reads the command line: `Args` does the reading; this says what the
/// arguments mean, and what they are without a flag.
fn parse_args(args: impl IntoIterator<Item = OsString>) -> Result<Options, String> {
    let args = Args::parse(args, &["--timeout"], &[])?;
    let (addr, message) = match args.rest.as_slice() {
        [] => return Err("no ADDRESS given".into()),
        [addr] => (addr.clone(), None),
        [addr, message] => (addr.clone(), Some(message.clone())),
        [_, _, extra, ..] => {
            return Err(format!(
                "one MESSAGE only; quote it if it has spaces (got {extra:?} too)"
            ));
        }
    };
    Ok(Options {
        timeout: args.seconds("--timeout", Duration::from_secs(5))?,
        addr,
        message,
    })
}

/// Connects, sends, half-closes, and prints the echo. An error comes back
/// for `main` to print on one line: an `io::Error` keeps its kind
/// (refused, timed out, ...); add what you were doing with
/// `io::Error::new(kind, ..)`.
///
/// Hints: `TcpStream::connect_timeout` and `set_read_timeout`, both with
/// `options.timeout`; `try_clone`, `std::thread::spawn`, `std::io::copy`,
/// `shutdown`, and `echo::copy_reply(&stream, io::stdout().lock())`.
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
