//! Lesson 2, UDP upper-case: the server. Your exercise.
//!
//! Usage: `udp-upper-server [ADDRESS]` (default `127.0.0.1:7008`).
//!
//! The contract the checker grades (chapter "UDP upper-case"):
//!
//! 1. Bind a UDP socket to ADDRESS (the checker passes `127.0.0.1:0` or
//!    `[::1]:0`) and print `listening on IP:PORT` with the real address.
//! 2. Answer every datagram with one datagram: the same bytes with ASCII
//!    letters upper-cased and every other byte unchanged. An empty
//!    datagram gets an empty reply. Reply to the sender's address, from the
//!    socket the request came in on.
//! 3. Receive datagrams of any size up to the largest (65,507 bytes over
//!    IPv4), and survive anything: serve for ever.
//!
//! This file is done except for [`UpperCase::handle`]; the loop is
//! `UdpServer::serve_forever` in `src/lib.rs`.

use std::ffi::OsString;
use std::net::SocketAddr;

use udp_upper::{Handler, UdpServer};

const DEFAULT_ADDR: &str = "127.0.0.1:7008";

/// Upper-cases ASCII letters; every other byte passes through unchanged.
struct UpperCase;

impl Handler for UpperCase {
    /// Hint: bytes, not text. `[u8]` has a method for exactly this.
    fn handle(&mut self, request: &[u8], from: SocketAddr) -> Option<Vec<u8>> {
        todo!("upper-case the {} bytes from {from}", request.len())
    }
}

fn main() {
    // args_os, not args: an argument that is not UTF-8 is a clear error
    // here, where std::env::args() would panic.
    let addr = match std::env::args_os().nth(1).map(OsString::into_string) {
        None => DEFAULT_ADDR.to_string(),
        Some(Ok(addr)) => addr,
        Some(Err(arg)) => {
            eprintln!(
                "udp-upper-server: {arg:?} is not valid UTF-8 (usage: udp-upper-server [ADDRESS])"
            );
            std::process::exit(2);
        }
    };
    let mut server = match UdpServer::bind(&addr, UpperCase) {
        Ok(server) => server,
        Err(err) => {
            eprintln!("udp-upper-server: cannot bind {addr}: {err}");
            std::process::exit(1);
        }
    };
    match server.local_addr() {
        Ok(local) => println!("listening on {local}"),
        Err(err) => {
            eprintln!("udp-upper-server: {err}");
            std::process::exit(1);
        }
    }
    server.serve_forever()
}
