//! Lesson 2, UDP upper-case: the client. Your exercise.
//!
//! Usage: `udp-upper-client ADDRESS MESSAGE`
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

use std::ffi::OsString;
use std::io;
use std::time::Duration;

/// The command line: `udp-upper-client [--timeout SECS] [--attempts N] ADDRESS MESSAGE`.
struct Options {
    /// How long each attempt waits for the reply.
    timeout: Duration,
    /// How many datagrams are sent in all before giving up.
    attempts: u32,
    addr: String,
    message: String,
}

const USAGE: &str = "usage: udp-upper-client [--timeout SECS] [--attempts N] ADDRESS MESSAGE";

fn main() {
    let options = match parse_args(std::env::args_os().skip(1)) {
        Ok(options) => options,
        Err(err) => {
            eprintln!("udp-upper-client: {err} ({USAGE})");
            std::process::exit(2);
        }
    };
    if let Err(err) = run(&options) {
        eprintln!("udp-upper-client: {err}");
        std::process::exit(1);
    }
}

/// Reads the command line. Arguments come as `OsString`s because the OS
/// does not promise UTF-8: `std::env::args()` would panic on a stray byte,
/// and a panic is no way to report a typo.
fn parse_args(args: impl Iterator<Item = OsString>) -> Result<Options, String> {
    let mut timeout = Duration::from_secs(1);
    let mut attempts = 3;
    let mut positional = Vec::new();
    let mut args = args.map(|arg| {
        arg.into_string()
            .map_err(|arg| format!("{arg:?} is not valid UTF-8"))
    });
    while let Some(arg) = args.next() {
        let arg = arg?;
        match arg.as_str() {
            "--timeout" => timeout = seconds(&value(&mut args, "--timeout")?)?,
            "--attempts" => attempts = count(&value(&mut args, "--attempts")?)?,
            _ if arg.starts_with("--") => return Err(format!("unknown option {arg}")),
            _ => positional.push(arg),
        }
    }
    let [addr, message]: [String; 2] = positional
        .try_into()
        .map_err(|_| "give ADDRESS and one MESSAGE (quote it if it has spaces)".to_string())?;
    Ok(Options {
        timeout,
        attempts,
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

/// A whole number from 1 up.
fn count(text: &str) -> Result<u32, String> {
    text.parse()
        .ok()
        .filter(|n| *n >= 1)
        .ok_or_else(|| format!("--attempts takes a whole number from 1 up; got {text:?}"))
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
