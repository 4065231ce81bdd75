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
//! `UdpServer::serve_forever` in `src/lib.rs`. The tests at the bottom
//! check the reply rule alone: `cargo test -p udp-upper`.
#![warn(missing_docs)]

use std::convert::Infallible;
use std::ffi::OsString;
use std::io;
use std::net::SocketAddr;
use std::process::ExitCode;

use udp_upper::cli::{Args, BAD_USAGE, one_line};
use udp_upper::{Handler, UdpServer};

const DEFAULT_ADDR: &str = "127.0.0.1:7008";

const USAGE: &str = "usage: udp-upper-server [ADDRESS]";

/// The command line, read.
struct Options {
    addr: String,
}

/// Upper-cases ASCII letters; every other byte passes through unchanged.
struct UpperCase;

impl Handler for UpperCase {
    /// Hint: bytes, not text. `[u8]` has a method for exactly this.
    fn handle(&mut self, request: &[u8], from: SocketAddr) -> Option<Vec<u8>> {
        todo!("upper-case the {} bytes from {from}", request.len())
    }
}

fn main() -> ExitCode {
    let options = match parse_args(std::env::args_os().skip(1)) {
        Ok(options) => options,
        Err(err) => {
            eprintln!("udp-upper-server: {err} ({USAGE})");
            return ExitCode::from(BAD_USAGE);
        }
    };
    // A server runs until it is killed: `run` returns only on failure.
    let Err(err) = run(&options);
    eprintln!(
        "udp-upper-server: cannot serve on {}: {}",
        options.addr,
        one_line(&err)
    );
    ExitCode::FAILURE
}

/// Reads the command line: `Args` does the reading; this says what the
/// arguments mean, and what they are without a flag.
fn parse_args(args: impl IntoIterator<Item = OsString>) -> Result<Options, String> {
    let args = Args::parse(args, &[], &[])?;
    let addr = match args.rest.as_slice() {
        [] => DEFAULT_ADDR.to_string(),
        [addr] => addr.clone(),
        [_, extra, ..] => return Err(format!("one ADDRESS at most (got {extra:?} too)")),
    };
    Ok(Options { addr })
}

/// Binds, announces the address, and serves for ever: `Infallible`, the
/// success type, has no value, so the only way out is an error.
fn run(options: &Options) -> io::Result<Infallible> {
    let mut server = UdpServer::bind(&options.addr, UpperCase)?;
    println!("listening on {}", server.local_addr()?);
    server.serve_forever()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(request: &[u8]) -> Option<Vec<u8>> {
        UpperCase.handle(request, "127.0.0.1:9".parse().unwrap())
    }

    #[test]
    fn ascii_letters_are_upper_cased() {
        assert_eq!(
            answer(b"hello, World 42!"),
            Some(b"HELLO, WORLD 42!".to_vec())
        );
    }

    #[test]
    fn every_other_byte_passes_unchanged() {
        // Not text: bytes that are not UTF-8 must not be turned into U+FFFD,
        // nor é into É (a byte rule, not a Unicode one).
        let all: Vec<u8> = (0..=255).collect();
        let want: Vec<u8> = all
            .iter()
            .map(|&b| if b.is_ascii_lowercase() { b - 32 } else { b })
            .collect();
        assert_eq!(answer(&all), Some(want));
        assert_eq!(answer("é".as_bytes()), Some("é".as_bytes().to_vec()));
    }

    #[test]
    fn an_empty_datagram_gets_an_empty_reply() {
        assert_eq!(answer(b""), Some(Vec::new()));
    }
}
