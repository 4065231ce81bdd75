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
//!    (out of file descriptors, say), report it, wait a moment
//!    (`thread::sleep` of 100 ms) and go on: retrying at once spins.
//!
//! `main` and the argument parsing are given, and so is `echo::Slots` (in
//! `src/lib.rs`): your work is `run`.
//!
//! Grade it with `cargo grade echo`.

use std::ffi::OsString;
use std::io;
use std::time::Duration;

/// 7 is the echo port of old (RFC 862); 7007 needs no root.
const DEFAULT_ADDR: &str = "127.0.0.1:7007";

/// The command line.
struct Options {
    addr: String,
    /// Clients served at once.
    max_clients: usize,
    /// How long a client may stay silent (or not read) before it is dropped.
    idle_timeout: Duration,
}

const USAGE: &str = "usage: echo-server [--max-clients N] [--idle-timeout SECS] [ADDRESS]";

fn main() {
    let options = match parse_args(std::env::args_os().skip(1)) {
        Ok(options) => options,
        Err(err) => {
            eprintln!("echo-server: {err} ({USAGE})");
            std::process::exit(2);
        }
    };
    let err = run(&options);
    eprintln!("echo-server: cannot serve on {}: {err}", options.addr);
    std::process::exit(1);
}

/// Reads the command line. Arguments come as `OsString`s because the OS
/// does not promise UTF-8: `std::env::args()` would panic on a stray byte,
/// and a panic is no way to report a typo.
fn parse_args(args: impl Iterator<Item = OsString>) -> Result<Options, String> {
    let mut options = Options {
        addr: DEFAULT_ADDR.into(),
        max_clients: 256,
        idle_timeout: Duration::from_secs(30),
    };
    let mut args = args.map(|arg| {
        arg.into_string()
            .map_err(|arg| format!("{arg:?} is not valid UTF-8"))
    });
    while let Some(arg) = args.next() {
        let arg = arg?;
        let mut value = || args.next().ok_or(format!("{arg} needs a value"))?;
        match arg.as_str() {
            "--max-clients" => {
                let text = value()?;
                options.max_clients = text.parse().ok().filter(|n| *n >= 1).ok_or(format!(
                    "--max-clients takes a whole number from 1 up; got {text:?}"
                ))?;
            }
            "--idle-timeout" => {
                let text = value()?;
                options.idle_timeout = text
                    .parse::<f64>()
                    .ok()
                    .filter(|s| *s > 0.0)
                    .and_then(|s| Duration::try_from_secs_f64(s).ok())
                    .ok_or(format!(
                        "--idle-timeout takes a positive number of seconds; got {text:?}"
                    ))?;
            }
            _ if arg.starts_with("--") => return Err(format!("unknown option {arg}")),
            _ => options.addr = arg,
        }
    }
    Ok(options)
}

/// Binds, announces the address, and serves clients until accept() fails
/// for good. It only returns the error that ended it.
///
/// Hints: `TcpListener::bind`, `listener.local_addr()`, `slots.acquire()`
/// then `listener.accept()` in a loop, `std::thread::spawn` with the permit
/// moved in, `set_read_timeout` and `set_write_timeout`. Write a helper
/// that serves one `TcpStream`: a loop of `read` into a buffer and
/// `write_all` of what was read.
fn run(options: &Options) -> io::Error {
    // `echo::Slots::new(options.max_clients)` once; before each accept,
    // `let permit = slots.acquire();`, then move the permit into the
    // client's thread. Dropping it frees the slot.
    todo!(
        "bind {}, print `listening on ADDRESS`, then accept and echo clients, each dropped after {:?} idle",
        options.addr,
        options.idle_timeout
    )
}
