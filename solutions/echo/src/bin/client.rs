//! Lesson 1, TCP echo: the client (reference solution).
//!
//! Usage: `echo-client ADDRESS [MESSAGE]`
//!
//! It connects, sends MESSAGE (or, without one, all of standard input),
//! shuts down its write side, and prints every byte the server sends back
//! until the server closes. Errors are one line on stderr and exit code 1.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream, ToSocketAddrs};
use std::thread;
use std::time::Duration;

/// How long we wait to connect, and then for each piece of the reply.
const TIMEOUT: Duration = Duration::from_secs(5);

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(addr) = args.next() else {
        eprintln!("usage: echo-client ADDRESS [MESSAGE]");
        std::process::exit(2);
    };
    let message = args.next();
    if let Err(err) = run(&addr, message) {
        eprintln!("echo-client: {err}");
        std::process::exit(1);
    }
}

fn run(addr: &str, message: Option<String>) -> Result<(), String> {
    let stream = connect(addr)?;
    stream
        .set_read_timeout(Some(TIMEOUT))
        .and_then(|()| stream.set_write_timeout(Some(TIMEOUT)))
        .map_err(|e| format!("cannot set timeouts: {e}"))?;

    // Send and receive at the same time. If we sent everything first, a
    // large input would fill the server's buffers and ours while nobody
    // reads, and both programs would wait for each other for ever.
    let mut to_server = stream.try_clone().map_err(|e| e.to_string())?;
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

    let received = copy_reply(&stream)?;
    let sent = sender
        .join()
        .map_err(|_| "the sending thread panicked".to_string())?
        .map_err(|e| format!("sending failed: {e}"))?;
    if received != sent {
        return Err(format!("sent {sent} bytes but the echo had {received}"));
    }
    Ok(())
}

/// Tries each address the name resolves to, each with a deadline.
fn connect(addr: &str) -> Result<TcpStream, String> {
    let candidates: Vec<SocketAddr> = addr
        .to_socket_addrs()
        .map_err(|e| format!("bad address {addr:?}: {e}"))?
        .collect();
    let mut last = format!("{addr} resolved to no address");
    for candidate in candidates {
        match TcpStream::connect_timeout(&candidate, TIMEOUT) {
            Ok(stream) => return Ok(stream),
            Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => {
                last = format!(
                    "cannot connect to {candidate}: connection refused (is the server running?)"
                );
            }
            Err(e) => last = format!("cannot connect to {candidate}: {e}"),
        }
    }
    Err(last)
}

/// Prints the reply as it arrives, until the server closes (read returns 0).
fn copy_reply(mut stream: &TcpStream) -> Result<u64, String> {
    let mut out = io::stdout().lock();
    let mut buf = [0u8; 16 * 1024];
    let mut total = 0;
    loop {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                out.write_all(&buf[..n]).map_err(|e| e.to_string())?;
                total += n as u64;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                return Err(format!(
                    "the server sent nothing for {TIMEOUT:?}; giving up after {total} bytes"
                ));
            }
            Err(e) => return Err(format!("reading the echo failed after {total} bytes: {e}")),
        }
    }
    out.flush().map_err(|e| e.to_string())?;
    Ok(total)
}
