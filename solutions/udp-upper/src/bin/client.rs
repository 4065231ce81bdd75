//! Lesson 2, UDP upper-case: the client (reference solution).
//!
//! Usage: `udp-upper-client ADDRESS MESSAGE`
//!
//! Prints `using IP:PORT` (the address the OS chose for us), sends MESSAGE
//! as one datagram, and prints the reply on the next line. A datagram can
//! be lost, so it tries [`ATTEMPTS`] times, waiting [`WAIT`] for each reply.

use std::io::{self, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs, UdpSocket};
use std::time::Duration;

use udp_upper::MAX_DATAGRAM;

/// How many times the request is sent before giving up.
const ATTEMPTS: u32 = 3;
/// How long to wait for a reply to each attempt.
const WAIT: Duration = Duration::from_secs(1);

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(addr), Some(message)) = (args.next(), args.next()) else {
        eprintln!("usage: udp-upper-client ADDRESS MESSAGE");
        std::process::exit(2);
    };
    if let Err(err) = run(&addr, &message) {
        eprintln!("udp-upper-client: {err}");
        std::process::exit(1);
    }
}

fn run(addr: &str, message: &str) -> Result<(), String> {
    let server = addr
        .to_socket_addrs()
        .map_err(|e| format!("bad address {addr:?}: {e}"))?
        .next()
        .ok_or_else(|| format!("{addr} resolved to no address"))?;

    // Port 0: the OS picks a free port for our end. A loopback server gets
    // a loopback client socket; nothing else can reach it.
    let local_ip = match server.ip() {
        ip if ip.is_loopback() => ip,
        IpAddr::V4(_) => Ipv4Addr::UNSPECIFIED.into(),
        IpAddr::V6(_) => Ipv6Addr::UNSPECIFIED.into(),
    };
    let socket =
        UdpSocket::bind(SocketAddr::new(local_ip, 0)).map_err(|e| format!("cannot bind: {e}"))?;

    // connect() on UDP sends nothing. It sets the default destination and,
    // just as useful, makes the OS drop datagrams from anyone else, and
    // report an ICMP "port unreachable" to us as ConnectionRefused.
    socket
        .connect(server)
        .map_err(|e| format!("cannot connect to {server}: {e}"))?;
    let local = socket.local_addr().map_err(|e| e.to_string())?;
    println!("using {local}");
    socket
        .set_read_timeout(Some(WAIT))
        .map_err(|e| e.to_string())?;

    let mut reply = vec![0u8; MAX_DATAGRAM];
    for _attempt in 1..=ATTEMPTS {
        // Upper-casing is idempotent: if our first request was answered and
        // only the reply was lost, asking again does no harm.
        match socket.send(message.as_bytes()) {
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => return Err(refused(server)),
            Err(e) => return Err(format!("cannot send to {server}: {e}")),
        }
        match socket.recv(&mut reply) {
            Ok(len) => {
                let mut out = io::stdout().lock();
                out.write_all(&reply[..len])
                    .and_then(|()| out.write_all(b"\n"))
                    .map_err(|e| e.to_string())?;
                return Ok(());
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                continue;
            }
            Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => return Err(refused(server)),
            Err(e) => return Err(format!("cannot receive: {e}")),
        }
    }
    Err(format!(
        "no reply from {server} after {ATTEMPTS} attempts, {WAIT:?} apart"
    ))
}

fn refused(server: SocketAddr) -> String {
    format!("nothing listens at {server}: connection refused (an ICMP port unreachable came back)")
}
