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
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream, ToSocketAddrs};
use std::process::ExitCode;
use std::thread;
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

/// Copies what `from` yields to `out`, until `from` ends (a read of 0
/// bytes: the server closed), and returns how many bytes came.
///
/// One read returns whatever has arrived: one byte, part of a message, or
/// two messages at once. TCP keeps no message boundaries, so this never
/// takes one read for the whole reply: it passes bytes through until the
/// end. A read cut short by a signal (`Interrupted`) is tried again. A read
/// that times out (`WouldBlock` on Unix, `TimedOut` on Windows) is a
/// `TimedOut` error that says how much had come by then.
///
/// It takes any reader and any writer, not only a `TcpStream` and stdout,
/// so that the tests at the bottom of this file can hand it a reader that
/// misbehaves on purpose, with no server at all.
fn copy_reply(mut from: impl Read, mut out: impl Write) -> io::Result<u64> {
    let mut buf = [0u8; 16 * 1024];
    let mut total = 0;
    loop {
        match from.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                out.write_all(&buf[..n])?;
                total += n as u64;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("the server sent nothing more after {total} bytes"),
                ));
            }
            Err(e) => {
                return Err(io::Error::new(
                    e.kind(),
                    format!("reading the echo failed after {total} bytes: {e}"),
                ));
            }
        }
    }
    out.flush()?;
    Ok(total)
}

/// The same error, with what we were doing in front of it. The kind is
/// kept (`ConnectionRefused`, `TimedOut`, ...), so code that handles errors
/// by kind still can; the cause's words are kept in the message, which
/// `main` prints on one line.
fn context(err: io::Error, doing: impl std::fmt::Display) -> io::Error {
    io::Error::new(err.kind(), format!("{doing}: {err}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that hands out its bytes one at a time, as a slow network
    /// can, then `ending` (end of stream when `None`).
    struct Dribble {
        bytes: Vec<u8>,
        at: usize,
        ending: Option<io::ErrorKind>,
    }

    impl Read for Dribble {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let Some(&byte) = self.bytes.get(self.at) else {
                return match self.ending {
                    None => Ok(0),
                    Some(kind) => Err(io::Error::from(kind)),
                };
            };
            self.at += 1;
            buf[0] = byte;
            Ok(1)
        }
    }

    fn dribble(bytes: &[u8], ending: Option<io::ErrorKind>) -> Dribble {
        Dribble {
            bytes: bytes.to_vec(),
            at: 0,
            ending,
        }
    }

    #[test]
    fn a_reply_that_comes_one_byte_at_a_time_is_copied_whole() {
        let mut out = Vec::new();
        let total = copy_reply(dribble(b"Hello, world", None), &mut out).unwrap();
        assert_eq!(out, b"Hello, world");
        assert_eq!(total, 12);
    }

    #[test]
    fn every_byte_value_passes_unchanged() {
        let all: Vec<u8> = (0..=255).collect();
        let mut out = Vec::new();
        copy_reply(&all[..], &mut out).unwrap();
        assert_eq!(out, all);
    }

    #[test]
    fn an_interrupted_read_is_tried_again() {
        struct InterruptedOnce(bool, &'static [u8]);
        impl Read for InterruptedOnce {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                if !self.0 {
                    self.0 = true;
                    return Err(io::ErrorKind::Interrupted.into());
                }
                self.1.read(buf)
            }
        }
        let mut out = Vec::new();
        copy_reply(InterruptedOnce(false, b"still here"), &mut out).unwrap();
        assert_eq!(out, b"still here");
    }

    #[test]
    fn a_read_timeout_is_an_error_that_says_how_much_came() {
        let mut out = Vec::new();
        let err =
            copy_reply(dribble(b"abc", Some(io::ErrorKind::WouldBlock)), &mut out).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        assert!(err.to_string().contains("after 3 bytes"), "{err}");
        assert_eq!(out, b"abc", "what came before the silence is kept");
    }

    #[test]
    fn a_reset_keeps_its_kind() {
        let ending = Some(io::ErrorKind::ConnectionReset);
        let err = copy_reply(dribble(b"ab", ending), io::sink()).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::ConnectionReset);
    }
}
