//! `cargo grade peer dns`: the stages' DNS server, the same zone on UDP and
//! TCP, for a person to try their resolver (or dig) against. Its limits:
//! one thread per TCP client, at most 32 at once; a TCP client idle 10 s,
//! or not reading a reply for 5 s, is closed (both scaled by the time
//! scale); a message is at most 65,535 bytes, by its length prefix.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::time::{scaled, secs};
use crate::wire;

use super::dns::{decode, read_query, zone_reply};

/// The zone's names, as `cargo grade peer dns` lists them.
const ZONE_NAMES: &[&str] = &[
    "www.example.test       A, AAAA",
    "example.test           MX, TXT, NS",
    "1.2.0.192.in-addr.arpa PTR",
    "alias.example.test     CNAME (a chain of two)",
    "missing.example.test   NXDOMAIN",
    "refused.example.test   REFUSED",
    "servfail.example.test  SERVFAIL",
];

/// The most TCP clients served at once, each on a thread of its own.
const MAX_TCP_CLIENTS: usize = 32;
/// How many TCP clients are being served.
static CLIENTS: AtomicUsize = AtomicUsize::new(0);

/// Prints a message read or sent, decoded.
fn show(arrow: &str, bytes: &[u8]) {
    println!(
        "{arrow} {}",
        decode(bytes).unwrap_or_else(|| wire::preview(bytes))
    );
}

/// One TCP client: queries, each after its 2-byte length, answered in
/// turn until it closes, stays idle 10 s (scaled), or does not read a
/// reply within 5 s (scaled). A query is at most 65,535 bytes, so a client
/// holds at most 64 KiB here.
fn serve_tcp(mut stream: TcpStream, show: fn(&str, &[u8])) {
    let timeouts = stream
        .set_read_timeout(Some(scaled(secs(10))))
        .and_then(|()| stream.set_write_timeout(Some(scaled(secs(5)))));
    if timeouts.is_err() {
        return;
    }
    let mut query = Vec::new();
    loop {
        let mut length = [0u8; 2];
        let read = stream.read_exact(&mut length).and_then(|()| {
            query.resize(u16::from_be_bytes(length) as usize, 0);
            stream.read_exact(&mut query)
        });
        if read.is_err() {
            return; // closed, idle too long, or cut
        }
        show("TCP ←", &query);
        let Ok(q) = read_query(&query) else {
            return;
        };
        let reply = zone_reply(&q);
        show("TCP →", &reply);
        let framed = [&(reply.len() as u16).to_be_bytes()[..], &reply].concat();
        if stream.write_all(&framed).is_err() {
            return; // a client that does not read
        }
    }
}

/// `cargo grade peer dns`: the stages' DNS server, on UDP and TCP, for a
/// person to try their resolver (or dig) against. Prints each message.
pub(super) fn serve_by_hand() -> std::io::Result<()> {
    let (udp, tcp) = loop {
        let udp = std::net::UdpSocket::bind("127.0.0.1:0")?;
        if let Ok(tcp) = std::net::TcpListener::bind(udp.local_addr()?) {
            break (udp, tcp);
        }
    };
    let addr = udp.local_addr()?;
    println!("the checker's DNS server listens on {addr}, UDP and TCP (Ctrl-C stops it)");
    println!("it knows:");
    for name in ZONE_NAMES {
        println!("  {name}");
    }
    println!(
        "try:  cargo run -q -p resolver --bin resolver-cli -- query www.example.test --server {addr}"
    );
    println!(
        "      dig @{} -p {} alias.example.test",
        addr.ip(),
        addr.port()
    );
    std::thread::spawn(move || {
        for stream in tcp.incoming().flatten() {
            // One thread per client, at most MAX_TCP_CLIENTS at once: a
            // client over the limit is closed at once.
            if CLIENTS.fetch_add(1, Ordering::SeqCst) >= MAX_TCP_CLIENTS {
                CLIENTS.fetch_sub(1, Ordering::SeqCst);
                println!("TCP: {MAX_TCP_CLIENTS} clients already; one more closed");
                continue;
            }
            std::thread::spawn(move || {
                serve_tcp(stream, show);
                CLIENTS.fetch_sub(1, Ordering::SeqCst);
            });
        }
    });
    let mut buf = vec![0u8; 65_535];
    loop {
        let (n, from) = udp.recv_from(&mut buf)?;
        show(&format!("UDP ← {from}"), &buf[..n]);
        match read_query(&buf[..n]) {
            Ok(q) => {
                let reply = zone_reply(&q);
                show(&format!("UDP → {from}"), &reply);
                udp.send_to(&reply, from)?;
            }
            Err(f) => println!("   (not answered: {})", f.summary),
        }
    }
}
