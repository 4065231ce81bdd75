//! Lesson 1, TCP echo: the server. Your exercise.
//!
//! Usage: `echo-server [ADDRESS]` (default `127.0.0.1:7007`).
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
//!
//! Grade it with `cargo grade echo`.

use std::io;

const DEFAULT_ADDR: &str = "127.0.0.1:7007";

fn main() {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| DEFAULT_ADDR.into());
    if let Err(err) = run(&addr) {
        eprintln!("echo-server: cannot serve on {addr}: {err}");
        std::process::exit(1);
    }
}

/// Binds, announces the address, and serves clients for ever.
///
/// Hints: `TcpListener::bind`, `listener.local_addr()`, `listener.incoming()`,
/// `std::thread::spawn`. Write a helper that serves one `TcpStream`: a loop
/// of `read` into a buffer and `write_all` of what was read.
fn run(addr: &str) -> io::Result<()> {
    todo!("bind {addr}, print `listening on ADDRESS`, then accept and echo")
}
