//! Lesson 1, TCP echo: the client (reference solution).
//!
//! Usage: `echo-client [--timeout SECS] ADDRESS [MESSAGE]`
//!
//! It connects, sends MESSAGE (or, without one, all of standard input),
//! shuts down its write side, and prints every byte the server sends back
//! until the server closes. Errors are one line on stderr and exit code 1;
//! a bad command line, exit code 2.
#![warn(missing_docs)]

use std::ffi::OsString;
use std::io;
use std::net::{Shutdown, SocketAddr, TcpStream, ToSocketAddrs};
use std::process::ExitCode;
use std::thread;
use std::time::Duration;

use echo::cli::{Args, BAD_USAGE, one_line};
use echo::copy_reply;

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
/// for `main` to print on one line.
fn run(options: &Options) -> io::Result<()> {
    let timeout = options.timeout;
    let stream = connect(&options.addr, timeout)?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;

    // Send and receive at the same time. If we sent everything first, a
    // large input would fill the server's buffers and ours while nobody
    // reads, and both programs would wait for each other for ever.
    let to_server = stream.try_clone()?;
    let message = options.message.clone();
    let sender = thread::spawn(move || send(message, to_server));

    let received = copy_reply(&stream, io::stdout().lock()).map_err(|e| match e.kind() {
        io::ErrorKind::TimedOut => context(e, format!("waited {timeout:?}")),
        _ => e,
    })?;
    let sent = sender
        .join()
        .map_err(|_| io::Error::other("the sending thread panicked"))?
        .map_err(|e| context(e, "sending failed"))?;
    if received != sent {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("sent {sent} bytes but the echo had {received}"),
        ));
    }
    Ok(())
}

/// Sends the message (all of stdin without one), then half-closes: "I have
/// nothing more to send". The server sees end of stream, finishes echoing
/// and closes; we can still read. Returns the byte count.
fn send(message: Option<String>, mut to_server: TcpStream) -> io::Result<u64> {
    let sent = match message {
        Some(text) => io::copy(&mut text.as_bytes(), &mut to_server)?,
        None => io::copy(&mut io::stdin().lock(), &mut to_server)?,
    };
    to_server.shutdown(Shutdown::Write)?;
    Ok(sent)
}

/// The same error, with what we were doing in front of it. The kind is
/// kept (`ConnectionRefused`, `TimedOut`, ...), so code that handles errors
/// by kind still can; the cause's words are kept in the message, which
/// `main` prints on one line.
fn context(err: io::Error, doing: impl std::fmt::Display) -> io::Error {
    io::Error::new(err.kind(), format!("{doing}: {err}"))
}

/// Tries each address the name resolves to, each with a deadline: a name
/// such as `localhost` may stand for ::1 and 127.0.0.1.
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
