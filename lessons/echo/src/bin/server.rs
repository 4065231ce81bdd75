//! Lesson 1, TCP echo: the server. Your exercise.
//!
//! Usage: `echo-server [--max-clients N] [--idle-timeout SECS] [ADDRESS]`
//! (default `127.0.0.1:7007`, 256 clients, 30 seconds).
//!
//! The contract the checker grades (chapter "TCP echo" in the book):
//!
//! 1. Bind a `TcpListener` to ADDRESS. The checker passes `127.0.0.1:0` or
//!    `[::1]:0`: port 0 asks the OS for any free port.
//! 2. Print exactly one line `listening on IP:PORT` to stdout, with the
//!    address the socket really got (`listener.local_addr()`).
//! 3. Accept clients for ever. Serve each one on its own thread, so that
//!    an idle client never blocks the others.
//! 4. For each client: write back every byte it sends, as it arrives,
//!    until `read` returns 0 (the client shut down its write side). Then
//!    shut down your write side so the client sees the echo is complete.
//! 5. An error with one client (say, it reset the connection) ends that
//!    client's thread only. Print one line about each client to stderr.
//! 6. Limits. At most `--max-clients` clients at once: take a slot
//!    ([`Slots::acquire`]) *before* each accept, so that at the limit you
//!    stop accepting and newcomers wait in the kernel's queue. A client that
//!    sends nothing (or reads nothing) for `--idle-timeout` seconds is
//!    dropped: give its socket read and write timeouts. When accept fails
//!    (out of file descriptors, say), hand the error to
//!    [`AcceptErrors::report_and_pause`] and go on: retrying at once spins.
//!
//! `main` and the argument parsing are given, and so are `Slots` and
//! `AcceptErrors` (in `src/limits.rs`): your work is `run`.
//!
//! Grade it with `cargo grade echo`.
//!
//! [`Slots::acquire`]: echo::limits::Slots::acquire
//! [`AcceptErrors::report_and_pause`]: echo::limits::AcceptErrors::report_and_pause
#![warn(missing_docs)]

use std::convert::Infallible;
use std::ffi::OsString;
use std::io;
use std::process::ExitCode;
use std::time::Duration;

use echo::cli::{Args, BAD_USAGE, one_line};

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
///
/// Hints: `TcpListener::bind`, `listener.local_addr()`, a loop of
/// `slots.acquire()` then `listener.accept()`, `std::thread::spawn` with
/// the permit moved in, `set_read_timeout` and `set_write_timeout`. Write a
/// helper that serves one `TcpStream`: a loop of `read` into a buffer and
/// `write_all` of what was read.
fn run(options: &Options) -> io::Result<Infallible> {
    // `echo::limits::Slots::new(options.max_clients)` once; before each
    // accept, `let permit = slots.acquire();`, then move the permit into
    // the client's thread. Dropping it frees the slot.
    todo!(
        "bind {}, print `listening on ADDRESS`, then accept and echo at most {} clients at once, each dropped after {:?} idle",
        options.addr,
        options.max_clients,
        options.idle_timeout
    )
}
