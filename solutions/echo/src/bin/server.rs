//! Lesson 1, TCP echo: the server (reference solution).
//!
//! Usage: `echo-server [ADDRESS]` (default `127.0.0.1:7007`).
//!
//! It binds, prints `listening on ADDRESS`, and sends every byte each client
//! writes straight back, until that client closes its side. Each client gets
//! its own thread, so one slow or idle client never holds up the others.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;

/// 7 is the echo port of old (RFC 862); 7007 needs no root.
const DEFAULT_ADDR: &str = "127.0.0.1:7007";

/// A limit on clients served at once, so a flood of connections cannot
/// exhaust threads and memory. Past it, new clients are closed at once.
const MAX_CLIENTS: usize = 256;

fn main() {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| DEFAULT_ADDR.into());
    if let Err(err) = run(&addr) {
        eprintln!("echo-server: cannot serve on {addr}: {err}");
        std::process::exit(1);
    }
}

fn run(addr: &str) -> io::Result<()> {
    // bind() + listen() in one call: the socket now queues incoming
    // connections, even before we call accept().
    let listener = TcpListener::bind(addr)?;

    // With port 0 the OS picks a free port; local_addr() tells us which.
    // This exact line is how the checker (and you) learn where to connect.
    println!("listening on {}", listener.local_addr()?);

    let clients = Arc::new(AtomicUsize::new(0));
    // incoming() calls accept() in a loop. Each accept returns a *new*
    // socket for one client; the listener goes on listening.
    for conn in listener.incoming() {
        let stream = match conn {
            Ok(stream) => stream,
            // A failed accept (the client gave up, or we are out of file
            // descriptors) concerns one client only: report it, keep going.
            Err(err) => {
                eprintln!("accept failed: {err}");
                continue;
            }
        };
        if clients.fetch_add(1, Ordering::SeqCst) >= MAX_CLIENTS {
            clients.fetch_sub(1, Ordering::SeqCst);
            eprintln!("too many clients ({MAX_CLIENTS}), closing a new one");
            continue; // dropping `stream` closes it
        }
        let clients = Arc::clone(&clients);
        thread::spawn(move || {
            serve(stream);
            clients.fetch_sub(1, Ordering::SeqCst);
        });
    }
    Ok(())
}

/// Serves one client, and reports how it ended on stderr. Errors stop this
/// client only: the thread ends, the server goes on.
fn serve(mut stream: TcpStream) {
    let peer = stream
        .peer_addr()
        .map_or_else(|_| "unknown peer".into(), |a: SocketAddr| a.to_string());
    eprintln!("{peer}: connected");
    match echo(&mut stream) {
        Ok(total) => eprintln!("{peer}: closed after {total} bytes"),
        Err(err) => eprintln!("{peer}: dropped: {err}"),
    }
}

/// Copies everything the peer sends back to it. Returns the byte count.
fn echo(stream: &mut TcpStream) -> io::Result<u64> {
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
