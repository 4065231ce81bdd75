//! Lesson 1, TCP echo: the client (reference solution).
//!
//! Usage: `echo-client [--timeout SECS] ADDRESS [MESSAGE]`
//!
//! It connects, sends MESSAGE (or, without one, all of standard input),
//! shuts down its write side, and prints every byte the server sends back
//! until the server closes. Errors are one line on stderr and exit code 1;
//! a bad command line, exit code 2.

use std::ffi::OsString;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream, ToSocketAddrs};
use std::thread;
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

fn run(options: &Options) -> io::Result<()> {
    let timeout = options.timeout;
    let stream = connect(&options.addr, timeout)?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;

    // Send and receive at the same time. If we sent everything first, a
    // large input would fill the server's buffers and ours while nobody
    // reads, and both programs would wait for each other for ever.
    let mut to_server = stream.try_clone()?;
    let message = options.message.clone();
    let sender = thread::spawn(move || -> io::Result<u64> {
        let sent = match message {
            Some(text) => io::copy(&mut text.as_bytes(), &mut to_server)?,
            None => io::copy(&mut io::stdin().lock(), &mut to_server)?,
        };
        // Half-close: "I have nothing more to send". The server sees end of
        // stream, finishes echoing, and closes; we can still read.
        to_server.shutdown(Shutdown::Write)?;
        Ok(sent)
    });

    let received = copy_reply(&stream, timeout)?;
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

/// The same error, with what we were doing in front of it. The kind is
/// kept (`ConnectionRefused`, `TimedOut`, ...), so code that handles errors
/// by kind still can: a `String` would lose it.
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

/// Prints the reply as it arrives, until the server closes (read returns 0).
fn copy_reply(mut stream: &TcpStream, timeout: Duration) -> io::Result<u64> {
    let mut out = io::stdout().lock();
    let mut buf = [0u8; 16 * 1024];
    let mut total = 0;
    loop {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                out.write_all(&buf[..n])?;
                total += n as u64;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            // A read timeout shows up as WouldBlock on Unix, TimedOut on
            // Windows: both mean "nothing came in time".
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!(
                        "the server sent nothing for {timeout:?}; giving up after {total} bytes"
                    ),
                ));
            }
            Err(e) => {
                return Err(context(
                    e,
                    format!("reading the echo failed after {total} bytes"),
                ));
            }
        }
    }
    out.flush()?;
    Ok(total)
}
