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

use std::ffi::OsString;
use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use echo::Slots;

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
fn run(options: &Options) -> io::Error {
    // bind() + listen() in one call: the socket now queues incoming
    // connections, even before we call accept().
    let listener = match TcpListener::bind(&options.addr) {
        Ok(listener) => listener,
        Err(err) => return err,
    };

    // With port 0 the OS picks a free port; local_addr() tells us which.
    // This exact line is how the checker (and you) learn where to connect.
    match listener.local_addr() {
        Ok(addr) => println!("listening on {addr}"),
        Err(err) => return err,
    }

    let slots = Slots::new(options.max_clients);
    let mut trouble = Trouble::default();
    loop {
        // Take a slot *before* accepting. At the limit we simply stop
        // accepting: newcomers wait in the kernel's queue (the backlog)
        // and are served as soon as a client leaves, instead of being
        // accepted only to be closed.
        let permit = slots.acquire();
        // accept() returns a *new* socket for one client; the listener
        // goes on listening.
        let (stream, peer) = match listener.accept() {
            Ok(accepted) => accepted,
            Err(err) => {
                trouble.report(&err);
                // Out of file descriptors (or memory), accept fails at
                // once, for as long as the connection waits in the queue:
                // retrying at once would spin at 100% CPU. Wait a little
                // for clients to leave.
                thread::sleep(Duration::from_millis(100));
                continue; // the permit is dropped: the slot is free again
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
