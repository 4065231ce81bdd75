//! Lesson 3, message framing: the client (reference solution).
//!
//! Usage: `framing-client [--timeout SECS] ADDRESS MESSAGE...`
//!
//! Sends each MESSAGE as a frame, all at once (pipelined), then prints the
//! payload of each reply on a line of its own, in order.
#![warn(missing_docs)]

use std::ffi::OsString;
use std::io::{self, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::process::ExitCode;
use std::time::Duration;

use framing::Connection;
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
