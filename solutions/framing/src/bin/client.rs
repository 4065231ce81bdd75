//! Lesson 3, message framing: the client (reference solution).
//!
//! Usage: `framing-client [--timeout SECS] ADDRESS MESSAGE...`
//!
//! Sends each MESSAGE as a frame, all at once (pipelined), then prints the
//! payload of each reply on a line of its own, in order.

use std::ffi::OsString;
use std::io::{self, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::Duration;

use framing::Connection;

/// The command line: `framing-client [--timeout SECS] ADDRESS MESSAGE...`.
struct Options {
    /// How long to wait to connect, and then for each reply.
    timeout: Duration,
    addr: String,
    /// One frame each, at least one.
    messages: Vec<String>,
}

const USAGE: &str = "usage: framing-client [--timeout SECS] ADDRESS MESSAGE...";

fn main() {
    let options = match parse_args(std::env::args_os().skip(1)) {
        Ok(options) => options,
        Err(err) => {
            eprintln!("framing-client: {err} ({USAGE})");
            std::process::exit(2);
        }
    };
    if let Err(err) = run(&options) {
        eprintln!("framing-client: {err}");
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
    let messages: Vec<String> = positional.collect();
    if messages.is_empty() {
        return Err("no MESSAGE given: give one or more".into());
    }
    Ok(Options {
        timeout,
        addr,
        messages,
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

fn run(options: &Options) -> io::Result<()> {
    let Options {
        timeout,
        addr,
        messages,
    } = options;
    let stream = connect(addr, *timeout)?;
    stream.set_read_timeout(Some(*timeout))?;
    let mut conn = Connection::from_tcp(stream)?;

    // Pipelining: queue every request, send them in one flush, and only
    // then read. The replies come back in the order of the requests.
    for message in messages {
        conn.write_frame(message.as_bytes())
            .map_err(|e| context(e, "cannot send"))?;
    }
    conn.flush().map_err(|e| context(e, "cannot send"))?;

    let mut out = io::stdout().lock();
    for n in 1..=messages.len() {
        let reply = match conn.read_frame() {
            Ok(Some(reply)) => reply,
            Ok(None) => {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!("the server closed the connection before reply {n}"),
                ));
            }
            // A read timeout is WouldBlock on Unix, TimedOut on Windows.
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("no reply {n} within {timeout:?}"),
                ));
            }
            Err(e) => return Err(context(e, format!("reading reply {n}"))),
        };
        out.write_all(&reply)?;
        out.write_all(b"\n")?;
    }
    out.flush()
}

/// The same error, with what we were doing in front of it. The kind is
/// kept (`ConnectionRefused`, `TimedOut`, ...), so code that handles errors
/// by kind still can: a `String` would lose it.
fn context(err: io::Error, doing: impl std::fmt::Display) -> io::Error {
    io::Error::new(err.kind(), format!("{doing}: {err}"))
}

/// Tries each address the name resolves to, each with a deadline: a
/// name such as `localhost` can stand for ::1 and 127.0.0.1.
fn connect(addr: &str, timeout: Duration) -> io::Result<TcpStream> {
    let candidates: Vec<SocketAddr> = addr
        .to_socket_addrs()
        .map_err(|e| context(e, format!("bad address {addr:?}")))?
        .collect();
    let mut last = io::Error::new(
        io::ErrorKind::NotFound,
        format!("{addr} resolved to no address"),
    );
    for candidate in candidates {
        match TcpStream::connect_timeout(&candidate, timeout) {
            Ok(stream) => return Ok(stream),
            Err(e) => last = context(e, format!("cannot connect to {candidate}")),
        }
    }
    Err(last)
}
