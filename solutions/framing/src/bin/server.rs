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

use std::ffi::OsString;
use std::io;
use std::net::{TcpListener, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use framing::{Connection, Slots};

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
fn serve(stream: TcpStream) -> io::Result<u64> {
    let mut conn = Connection::from_tcp(stream)?;
    let answered = answer(&mut conn);
    // However it ended, send what is queued and close our side, so that the
    // client's read sees end of stream rather than a reset.
    let closed = conn.close();
    let frames = answered?;
    closed.map(|()| frames)
}

/// Answers frames until the client closes between two of them. Any error
/// (a frame over the limit, a stream cut inside a frame, a timeout) ends
/// this client only.
fn answer(conn: &mut Connection<TcpStream, TcpStream>) -> io::Result<u64> {
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
