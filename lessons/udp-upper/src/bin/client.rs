//! Lesson 2, UDP upper-case: the client. Your exercise.
//!
//! Usage: `udp-upper-client [--timeout SECS] [--attempts N] ADDRESS MESSAGE`
//!
//! The contract the checker grades (chapter "UDP upper-case"):
//!
//! 1. Bind a UDP socket to port 0 on loopback (`127.0.0.1:0`, or `[::1]:0`
//!    for an IPv6 server) and `connect` it to ADDRESS.
//! 2. Print `using IP:PORT` on stdout: the address the OS chose for you
//!    (`local_addr`).
//! 3. Send MESSAGE as one datagram and wait up to `--timeout SECS`
//!    (default 1) for the reply. No reply? Send again: `--attempts N`
//!    datagrams in all (default 3).
//! 4. Print the reply on the next line of stdout, and exit with code 0.
//! 5. No reply after the last attempt, or "connection refused" (nothing
//!    listens at ADDRESS): print one line to stderr and exit with code 1.
//!
//! Only the server's replies count: a datagram from anyone else must be
//! ignored (a connected UDP socket does that for you).
#![warn(missing_docs)]

use std::ffi::OsString;
use std::io;
use std::process::ExitCode;
use std::time::Duration;

use udp_upper::cli::{Args, BAD_USAGE, one_line};

const USAGE: &str = "usage: udp-upper-client [--timeout SECS] [--attempts N] ADDRESS MESSAGE";

/// The command line, read.
struct Options {
    /// How long each attempt waits for the reply.
    timeout: Duration,
    /// How many datagrams are sent in all before giving up.
    attempts: usize,
    addr: String,
    message: String,
}

fn main() -> ExitCode {
    let options = match parse_args(std::env::args_os().skip(1)) {
        Ok(options) => options,
        Err(err) => {
            eprintln!("udp-upper-client: {err} ({USAGE})");
            return ExitCode::from(BAD_USAGE);
        }
    };
    match run(&options) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("udp-upper-client: {}", one_line(&err));
            ExitCode::FAILURE
        }
    }
}

/// Reads the command line: `Args` does the reading; this says what the
/// arguments mean, and what they are without a flag.
fn parse_args(args: impl IntoIterator<Item = OsString>) -> Result<Options, String> {
    let args = Args::parse(args, &["--timeout", "--attempts"], &[])?;
    let [addr, message] = args.rest.as_slice() else {
        return Err("give ADDRESS and one MESSAGE (quote it if it has spaces)".into());
    };
    Ok(Options {
        timeout: args.seconds("--timeout", Duration::from_secs(1))?,
        attempts: args.count("--attempts", 3)?,
        addr: addr.clone(),
        message: message.clone(),
    })
}

/// Binds, connects, reports the local address, sends with retries, prints
/// the reply. Errors are returned for `main` to print on one line: an
/// `io::Error` keeps its kind (refused, timed out, ...).
///
/// Hints: `UdpSocket::bind`, `connect`, `local_addr`, `set_read_timeout`,
/// `send`, `recv`; `io::ErrorKind::ConnectionRefused`, `WouldBlock`.
fn run(options: &Options) -> io::Result<()> {
    let Options {
        timeout,
        attempts,
        addr,
        message,
    } = options;
    todo!(
        "send {message:?} to {addr} over UDP and print the reply: {attempts} attempt(s), {timeout:?} each"
    )
}
