//! Lesson 2, UDP upper-case: the server (reference solution).
//!
//! Usage: `udp-upper-server [ADDRESS]` (default `127.0.0.1:7008`).
//!
//! Answers each datagram with the same bytes, ASCII letters upper-cased.

use std::ffi::OsString;
use std::net::SocketAddr;

use udp_upper::{Handler, UdpServer};

const DEFAULT_ADDR: &str = "127.0.0.1:7008";

/// Upper-cases ASCII letters and leaves every other byte as it is, so that
/// binary data and UTF-8 text pass through intact.
struct UpperCase;

impl Handler for UpperCase {
    fn handle(&mut self, request: &[u8], from: SocketAddr) -> Option<Vec<u8>> {
        eprintln!("{from}: {} bytes", request.len());
        Some(request.to_ascii_uppercase())
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
