//! Lesson 3, message framing: the server (reference solution).
//!
//! Usage: `framing-server [--max-clients N] [--idle-timeout SECS] [ADDRESS]`
//! (default `127.0.0.1:7009`, 64 clients, 30 seconds).
//!
//! Answers each frame with one frame holding the payload's bytes in
//! reverse order. A frame over the limit, or a stream that ends inside a
//! frame, closes that connection only. The limits, and so the most memory
//! the server can be made to hold: N clients at once, each holding at most
//! one payload of [`MAX_FRAME`] bytes (8 MiB), so 64 × 8 MiB = 512 MiB by
//! default; a client silent for SECS is dropped.
#![warn(missing_docs)]

use std::convert::Infallible;
use std::ffi::OsString;
use std::io::{self, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::process::ExitCode;
use std::thread;
use std::time::{Duration, Instant};

use framing::Connection;
use framing::cli::{Args, BAD_USAGE, one_line};
use framing::limits::{AcceptErrors, Slots};

const DEFAULT_ADDR: &str = "127.0.0.1:7009";

const USAGE: &str = "usage: framing-server [--max-clients N] [--idle-timeout SECS] [ADDRESS]";

/// The command line, read.
struct Options {
    addr: String,
    /// Clients served at once.
    max_clients: usize,
    /// How long a client may stay silent (or not read) before it is dropped.
    idle_timeout: Duration,
}

fn main() -> ExitCode {
    let options = match parse_args(std::env::args_os().skip(1)) {
        Ok(options) => options,
        Err(err) => {
            eprintln!("framing-server: {err} ({USAGE})");
            return ExitCode::from(BAD_USAGE);
        }
    };
    // A server runs until it is killed: `run` returns only on failure.
    let Err(err) = run(&options);
    eprintln!(
        "framing-server: cannot serve on {}: {}",
        options.addr,
        one_line(&err)
    );
    ExitCode::FAILURE
}

/// Reads the command line: `Args` does the reading; this says what the
/// arguments mean, and what they are without a flag.
fn parse_args(args: impl IntoIterator<Item = OsString>) -> Result<Options, String> {
    let args = Args::parse(args, &["--max-clients", "--idle-timeout"], &[])?;
    let addr = match args.rest.as_slice() {
        [] => DEFAULT_ADDR.to_string(),
        [addr] => addr.clone(),
        [_, extra, ..] => return Err(format!("one ADDRESS at most (got {extra:?} too)")),
    };
    Ok(Options {
        addr,
        max_clients: args.count("--max-clients", 64)?,
        idle_timeout: args.seconds("--idle-timeout", Duration::from_secs(30))?,
    })
}

/// Binds, announces the address, and serves each client on a thread of
/// its own, within the limits, as the echo server does. Its success type,
/// `Infallible`, has no value: the only way out is an error.
fn run(options: &Options) -> io::Result<Infallible> {
    let listener = TcpListener::bind(&options.addr)?;
    println!("listening on {}", listener.local_addr()?);
    let slots = Slots::new(options.max_clients);
    let mut accept_errors = AcceptErrors::default();
    loop {
        // A slot first: at the limit, newcomers wait in the kernel's queue.
        let permit = slots.acquire();
        let (stream, peer) = match listener.accept() {
            Ok(accepted) => accepted,
            Err(err) => {
                accept_errors.report_and_pause(&err);
                continue;
            }
        };
        let idle = options.idle_timeout;
        thread::spawn(move || {
            let _permit = permit; // held until this client is done
            let served = stream
                .set_read_timeout(Some(idle))
                .and_then(|()| stream.set_write_timeout(Some(idle)))
                .and_then(|()| serve(stream));
            match served {
                Ok(frames) => eprintln!("{peer}: closed after {frames} frames"),
                Err(err) => eprintln!("{peer}: dropped: {err}"),
            }
        });
    }
}

/// Serves one client until it closes between frames, or breaks the rules:
/// silent for the idle timeout, or not taking its replies within it.
/// Returns how many frames it answered.
fn serve(stream: TcpStream) -> io::Result<u64> {
    // `run` set the idle timeout on the socket, for reads and writes.
    let limit = stream
        .write_timeout()?
        .ok_or_else(|| io::Error::other("the socket has no write timeout"))?;
    let socket = stream.try_clone()?;
    let owed = Owed {
        stream: stream.try_clone()?,
        limit,
        since: None,
    };
    let mut conn = Connection::new(stream, owed);
    let answered = answer(&mut conn);
    if answered.is_err() {
        // The client broke a rule, or stopped reading: replies still queued
        // would wait for it once more. Cut the socket, so that the buffer's
        // last flush fails at once, and the slot goes to the next client.
        let _ = socket.shutdown(Shutdown::Both);
        return answered;
    }
    // Send what is queued and close our side, so that the client's read
    // sees end of stream rather than a reset.
    conn.flush()?;
    socket.shutdown(Shutdown::Write)?;
    answered
}

/// The socket's writing half, with one deadline for all we owe the client.
///
/// A write timeout alone is not enough: a write that times out after
/// sending part of its bytes returns that part as a success, and the next
/// write waits a whole timeout again. A client reading a few bytes at a
/// time could hold its slot for ever. So from the first write that cannot
/// send everything at once, the client has `limit` to take all of it, until
/// the next flush finds nothing left to send.
struct Owed {
    stream: TcpStream,
    limit: Duration,
    /// When the client started to fall behind, if it has.
    since: Option<Instant>,
}

impl Write for Owed {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let started = Instant::now();
        if let Some(since) = self.since {
            let left = self.limit.saturating_sub(since.elapsed());
            if left.is_zero() {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "the client has not taken its replies in time",
                ));
            }
            self.stream.set_write_timeout(Some(left))?;
        }
        let sent = self.stream.write(buf)?;
        if sent < buf.len() && self.since.is_none() {
            self.since = Some(started);
        }
        Ok(sent)
    }

    fn flush(&mut self) -> io::Result<()> {
        // Called once everything buffered was written: nothing is owed.
        if self.since.take().is_some() {
            self.stream.set_write_timeout(Some(self.limit))?;
        }
        Ok(())
    }
}

/// Answers frames until the client closes between two of them. Any error
/// (a frame over the limit, a stream cut inside a frame, a timeout) ends
/// this client only.
fn answer(conn: &mut Connection<TcpStream, Owed>) -> io::Result<u64> {
    let mut frames = 0;
    while let Some(mut payload) = conn.read_frame()? {
        // In place: the reply needs no second buffer, so a client can make
        // us hold one payload, not two.
        payload.reverse();
        conn.write_frame(&payload)?;
        frames += 1;
        // Pipelining: if more requests are already here, answer them first
        // and send all the replies in one go.
        if !conn.has_buffered_input() {
            conn.flush()?;
        }
    }
    Ok(frames)
}
