//! Lesson 3, message framing: the server. Your exercise.
//!
//! Usage: `framing-server [--max-clients N] [--idle-timeout SECS] [ADDRESS]`
//! (default `127.0.0.1:7009`, 64 clients, 30 seconds).
//!
//! The contract the checker grades (chapter "Message framing"):
//!
//! 1. Bind, print `listening on IP:PORT`, serve each client on a thread,
//!    within the limits of the echo lesson (done for you below: `main`,
//!    the argument parsing and `run` are given). Your work is `serve`.
//! 2. For each frame a client sends, reply with one frame holding the
//!    payload's bytes in reverse order.
//! 3. Replies go out in the order of the requests, even when a client sends
//!    many requests before reading any reply (pipelining).
//! 4. A length over 8 MiB, or a stream that ends inside a frame, closes
//!    that connection (flush, shut down writing, drop). Other clients go
//!    on being served. End of stream between frames is a clean close.
#![warn(missing_docs)]

use std::convert::Infallible;
use std::ffi::OsString;
use std::io;
use std::net::{TcpListener, TcpStream};
use std::process::ExitCode;
use std::thread;
use std::time::Duration;

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

/// Serves one client until it closes between frames, or breaks the rules.
/// Returns how many frames it answered.
///
/// Hints: `framing::Connection::from_tcp`, a loop of `read_frame` (until
/// `Ok(None)`), `payload.reverse()`, `write_frame`, `flush` when
/// `has_buffered_input()` says no more requests are waiting; `close()`
/// at the end, whatever happened.
fn serve(stream: TcpStream) -> io::Result<u64> {
    todo!(
        "answer each frame from {:?} with its payload reversed",
        stream.peer_addr()
    )
}
