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

use std::ffi::OsString;
use std::io;
use std::net::{TcpListener, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use framing::Slots;

const DEFAULT_ADDR: &str = "127.0.0.1:7009";

/// The command line.
struct Options {
    addr: String,
    /// Clients served at once.
    max_clients: usize,
    /// How long a client may stay silent (or not read) before it is dropped.
    idle_timeout: Duration,
}

const USAGE: &str = "usage: framing-server [--max-clients N] [--idle-timeout SECS] [ADDRESS]";

fn main() {
    let options = match parse_args(std::env::args_os().skip(1)) {
        Ok(options) => options,
        Err(err) => {
            eprintln!("framing-server: {err} ({USAGE})");
            std::process::exit(2);
        }
    };
    let err = run(&options);
    eprintln!("framing-server: cannot serve on {}: {err}", options.addr);
    std::process::exit(1);
}

/// Reads the command line. Arguments come as `OsString`s because the OS
/// does not promise UTF-8: `std::env::args()` would panic on a stray byte,
/// and a panic is no way to report a typo.
fn parse_args(args: impl Iterator<Item = OsString>) -> Result<Options, String> {
    let mut options = Options {
        addr: DEFAULT_ADDR.into(),
        max_clients: 64,
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

/// Binds, announces the address, and serves each client on a thread of
/// its own, within the limits. It only returns the error that ended it.
fn run(options: &Options) -> io::Error {
    let listener = match TcpListener::bind(&options.addr) {
        Ok(listener) => listener,
        Err(err) => return err,
    };
    match listener.local_addr() {
        Ok(addr) => println!("listening on {addr}"),
        Err(err) => return err,
    }
    let slots = Slots::new(options.max_clients);
    let mut trouble = Trouble::default();
    loop {
        // A slot first: at the limit, newcomers wait in the kernel's queue.
        let permit = slots.acquire();
        let (stream, peer) = match listener.accept() {
            Ok(accepted) => accepted,
            Err(err) => {
                // Out of file descriptors, say: wait instead of spinning.
                trouble.report(&err);
                thread::sleep(Duration::from_millis(100));
                continue;
            }
        };
        let idle = options.idle_timeout;
        thread::spawn(move || {
            let _permit = permit;
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

/// Accept errors, reported without flooding stderr: the first of a kind at
/// once, then a summary at most every ten seconds.
#[derive(Default)]
struct Trouble {
    last: Option<(io::ErrorKind, Instant)>,
    since: u64,
}

impl Trouble {
    fn report(&mut self, err: &io::Error) {
        match self.last {
            Some((kind, at)) if kind == err.kind() && at.elapsed() < Duration::from_secs(10) => {
                self.since += 1;
            }
            _ => {
                let again = std::mem::take(&mut self.since);
                let more = if again > 0 {
                    format!(" ({again} more since)")
                } else {
                    String::new()
                };
                eprintln!("accept failed: {err}{more}");
                self.last = Some((err.kind(), Instant::now()));
            }
        }
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
