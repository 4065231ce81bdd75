//! Lesson 3, message framing: the server (reference solution).
//!
//! Usage: `framing-server [ADDRESS]` (default `127.0.0.1:7009`).
//!
//! Answers each frame with one frame holding the payload's bytes in
//! reverse order. A frame over the limit, or a stream that ends inside a
//! frame, closes that connection only.

use std::io;
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;

use framing::Connection;

const DEFAULT_ADDR: &str = "127.0.0.1:7009";
/// Clients served at once; past it, new clients are closed at once.
const MAX_CLIENTS: usize = 256;

fn main() {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| DEFAULT_ADDR.into());
    if let Err(err) = run(&addr) {
        eprintln!("framing-server: cannot serve on {addr}: {err}");
        std::process::exit(1);
    }
}

fn run(addr: &str) -> io::Result<()> {
    let listener = TcpListener::bind(addr)?;
    println!("listening on {}", listener.local_addr()?);
    let clients = Arc::new(AtomicUsize::new(0));
    for conn in listener.incoming() {
        let stream = match conn {
            Ok(stream) => stream,
            Err(err) => {
                eprintln!("accept failed: {err}");
                continue;
            }
        };
        if clients.fetch_add(1, Ordering::SeqCst) >= MAX_CLIENTS {
            clients.fetch_sub(1, Ordering::SeqCst);
            eprintln!("too many clients ({MAX_CLIENTS}), closing a new one");
            continue;
        }
        let clients = Arc::clone(&clients);
        thread::spawn(move || {
            let peer = stream
                .peer_addr()
                .map_or_else(|_| "unknown peer".into(), |a| a.to_string());
            match serve(stream) {
                Ok(frames) => eprintln!("{peer}: closed after {frames} frames"),
                Err(err) => eprintln!("{peer}: dropped: {err}"),
            }
            clients.fetch_sub(1, Ordering::SeqCst);
        });
    }
    Ok(())
}

/// Serves one client until it closes between frames, or breaks the rules.
fn serve(stream: TcpStream) -> io::Result<u64> {
    let mut conn = Connection::from_tcp(stream)?;
    let mut frames = 0;
    let result = loop {
        let payload = match conn.read_frame() {
            Ok(Some(payload)) => payload,
            Ok(None) => break Ok(frames),
            // Too long, or cut short: this connection is over. Other
            // clients are not affected.
            Err(err) => break Err(err),
        };
        let reversed: Vec<u8> = payload.iter().rev().copied().collect();
        conn.write_frame(&reversed)?;
        frames += 1;
        // Pipelining: if more requests are already here, answer them first
        // and send all the replies in one go.
        if !conn.has_buffered_input() {
            conn.flush()?;
        }
    };
    // Send whatever is queued, then close our side, so that the client's
    // read sees end of stream rather than a reset.
    let _ = conn.flush();
    let _ = conn.writer().shutdown(Shutdown::Write);
    result
}
