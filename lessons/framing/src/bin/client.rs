//! Lesson 3, message framing: the client. Your exercise.
//!
//! Usage: `framing-client [--timeout SECS] ADDRESS MESSAGE...`
//!
//! The contract the checker grades (chapter "Message framing"):
//!
//! 1. Connect to ADDRESS, within the timeout (`--timeout SECS`, default 5),
//!    and set it as the read timeout too.
//! 2. Send each MESSAGE as a frame, all of them before reading any reply
//!    (pipelining): queue them with `write_frame`, then `flush` once.
//! 3. Read one reply frame per message and print each payload on a line of
//!    its own, in order. Exit with code 0.
//! 4. On any error (refused, closed early, timed out) print one line to
//!    stderr and exit with code 1.
//!
//! `main` and the argument parsing are given: your work is `run`.
#![warn(missing_docs)]

use std::ffi::OsString;
use std::io;
use std::process::ExitCode;
use std::time::Duration;

use framing::cli::{Args, BAD_USAGE, one_line};

const USAGE: &str = "usage: framing-client [--timeout SECS] ADDRESS MESSAGE...";

/// The command line, read.
struct Options {
    /// How long to wait to connect, and then for each reply.
    timeout: Duration,
    addr: String,
    /// One frame each, at least one.
    messages: Vec<String>,
}

fn main() -> ExitCode {
    let options = match parse_args(std::env::args_os().skip(1)) {
        Ok(options) => options,
        Err(err) => {
            eprintln!("framing-client: {err} ({USAGE})");
            return ExitCode::from(BAD_USAGE);
        }
    };
    match run(&options) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("framing-client: {}", one_line(&err));
            ExitCode::FAILURE
        }
    }
}

/// Reads the command line: `Args` does the reading; this says what the
/// arguments mean, and what they are without a flag.
fn parse_args(args: impl IntoIterator<Item = OsString>) -> Result<Options, String> {
    let args = Args::parse(args, &["--timeout"], &[])?;
    let Some((addr, messages)) = args.rest.split_first() else {
        return Err("no ADDRESS given".into());
    };
    if messages.is_empty() {
        return Err("no MESSAGE given: one frame each, at least one".into());
    }
    Ok(Options {
        timeout: args.seconds("--timeout", Duration::from_secs(5))?,
        addr: addr.clone(),
        messages: messages.to_vec(),
    })
}

/// Connects, sends every message as a frame, then prints each reply. An
/// error comes back for `main` to print on one line.
///
/// Hints: `TcpStream::connect_timeout` and `set_read_timeout`, both with
/// `options.timeout`; `Connection::from_tcp`, `write_frame`, `flush`,
/// `read_frame`.
fn run(options: &Options) -> io::Result<()> {
    let Options {
        timeout,
        addr,
        messages,
    } = options;
    todo!(
        "send {} frames to {addr}, then print each reply, waiting at most {timeout:?}",
        messages.len()
    )
}
