//! `cargo grade peer dns`: the stages' DNS server, the same zone on UDP and
//! TCP, for a person to try their resolver (or dig) against.

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

/// `cargo grade peer dns`: the stages' DNS server, on UDP and TCP, for a
/// person to try their resolver (or dig) against. Prints each message.
pub(super) fn serve_by_hand() -> std::io::Result<()> {
    use std::io::{Read, Write};
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
    let show = |arrow: &str, bytes: &[u8]| {
        println!(
            "{arrow} {}",
            decode(bytes).unwrap_or_else(|| wire::preview(bytes))
        );
    };
    std::thread::spawn(move || {
        for mut stream in tcp.incoming().flatten() {
            let mut length = [0u8; 2];
            let mut query = Vec::new();
            let read = stream.read_exact(&mut length).and_then(|()| {
                query.resize(u16::from_be_bytes(length) as usize, 0);
                stream.read_exact(&mut query)
            });
            if read.is_err() {
                continue;
            }
            show("TCP ←", &query);
            if let Ok(q) = read_query(&query) {
                let reply = zone_reply(&q);
                show("TCP →", &reply);
                let _ =
                    stream.write_all(&[&(reply.len() as u16).to_be_bytes()[..], &reply].concat());
            }
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
