//! Lesson 1, TCP echo: the server (reference solution).
//!
//! Usage: `echo-server [--max-clients N] [--idle-timeout SECS] [ADDRESS]`
//! (default `127.0.0.1:7007`, 256 clients, 30 seconds).
//!
//! It binds, prints `listening on ADDRESS`, and sends every byte each client
//! writes straight back, until that client closes its side. Each client gets
//! its own thread, so one slow or idle client never holds up the others.
//! Its limits: N clients at once (more wait in the kernel's queue until one
//! leaves), and a client that sends nothing, or reads nothing, for SECS is
//! dropped.
#![warn(missing_docs)]

use std::convert::Infallible;
use std::ffi::OsString;
use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::process::ExitCode;
use std::thread;
use std::time::Duration;

use echo::cli::{Args, BAD_USAGE, one_line};
use echo::limits::{AcceptErrors, Slots};

/// 7 is the echo port of old (RFC 862); 7007 needs no root.
const DEFAULT_ADDR: &str = "127.0.0.1:7007";

const USAGE: &str = "usage: echo-server [--max-clients N] [--idle-timeout SECS] [ADDRESS]";

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
            eprintln!("echo-server: {err} ({USAGE})");
            return ExitCode::from(BAD_USAGE);
        }
    };
    // A server runs until it is killed: `run` returns only on failure.
    let Err(err) = run(&options);
    eprintln!(
        "echo-server: cannot serve on {}: {}",
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
        max_clients: args.count("--max-clients", 256)?,
        idle_timeout: args.seconds("--idle-timeout", Duration::from_secs(30))?,
    })
}

/// Binds, announces the address, and serves clients for ever. Its success
/// type, `Infallible`, has no value: the only way out is an error, which is
/// why `?` can end it.
fn run(options: &Options) -> io::Result<Infallible> {
    // bind() + listen() in one call: the socket now queues incoming
    // connections, even before we call accept().
    let listener = TcpListener::bind(&options.addr)?;
    // With port 0 the OS picks a free port; local_addr() tells us which.
    // This exact line is how the checker (and you) learn where to connect.
    println!("listening on {}", listener.local_addr()?);

    let slots = Slots::new(options.max_clients);
    let mut accept_errors = AcceptErrors::default();
    loop {
        // A slot *before* accepting: at the limit we simply stop accepting,
        // and newcomers wait in the kernel's queue (the backlog).
        let permit = slots.acquire();
        // accept() returns a *new* socket for one client; the listener
        // goes on listening.
        let (stream, peer) = match listener.accept() {
            Ok(accepted) => accepted,
            Err(err) => {
                // Out of file descriptors, say. Not the end of the server:
                // say so, pause, and try again. The permit is dropped here,
                // so its slot is free again.
                accept_errors.report_and_pause(&err);
                continue;
            }
        };
        let idle = options.idle_timeout;
        thread::spawn(move || {
            let _permit = permit; // held until this client is done
            eprintln!("{peer}: connected");
            match echo(stream, idle) {
                Ok(total) => eprintln!("{peer}: closed after {total} bytes"),
                Err(err) => eprintln!("{peer}: dropped: {err}"),
            }
        });
    }
}

/// Copies everything the peer sends back to it. Returns the byte count.
fn echo(mut stream: TcpStream, idle: Duration) -> io::Result<u64> {
    // A deadline on every read and write: a client that sends nothing, or
    // stops reading what we send, would otherwise hold its thread and its
    // slot for ever.
    stream.set_read_timeout(Some(idle))?;
    stream.set_write_timeout(Some(idle))?;
    // One read returns whatever has arrived so far: one byte, or part of a
    // message, or two messages at once. TCP keeps no message boundaries, so
    // we never assume one read is one message: we just pass bytes through.
    let mut buf = [0u8; 16 * 1024];
    let mut total = 0;
    loop {
        let n = match stream.read(&mut buf) {
            // 0 means end of stream: the peer shut down its write side and
            // will send nothing more. Our side may still write.
            Ok(0) => break,
            Ok(n) => n,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(err) => return Err(err),
        };
        // write() may send only part of the buffer; write_all() loops
        // until every byte is handed to the kernel.
        stream.write_all(&buf[..n])?;
        total += n as u64;
    }
    // We have echoed everything: close our side too, so the client's read
    // returns 0 and it knows the echo is complete.
    stream.shutdown(Shutdown::Write)?;
    Ok(total)
}
