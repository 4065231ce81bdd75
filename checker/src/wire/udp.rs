//! One UDP socket of the checker's ([`Udp`]): datagrams sent and awaited
//! under a deadline, and logged in the transcript.

use std::io;
use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use crate::flag::Flag;
use crate::time;
use crate::verdict::{Failure, Outcome};

use super::render::{compare, show};
use super::tcp::{SLICE, is_timeout};
use super::transcript::{Decoder, Transcript};

/// Room for any UDP datagram (the largest payload is 65,527 bytes on IPv6,
/// 65,507 on IPv4), plus one byte.
pub const DATAGRAM_ROOM: usize = 65_536;

/// A UDP socket of the checker's, named in the transcript.
pub struct Udp {
    name: String,
    socket: UdpSocket,
    log: Transcript,
    decoder: Option<Decoder>,
}

impl Udp {
    /// Binds `addr` (use port 0) on loopback.
    pub fn bind(log: &Transcript, name: &str, addr: &str) -> Result<Udp, Failure> {
        let socket = UdpSocket::bind(addr).map_err(|e| {
            Failure::checker_error(format!("the checker cannot bind UDP {addr}: {e}"))
        })?;
        Ok(Udp {
            name: name.to_string(),
            socket,
            log: log.clone(),
            decoder: None,
        })
    }

    /// Shows each datagram sent or received as `decoder` reads it.
    pub fn decode_with(&mut self, decoder: Decoder) {
        self.decoder = Some(decoder);
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn addr(&self) -> SocketAddr {
        self.socket
            .local_addr()
            .expect("a bound socket has an address")
    }

    /// Writes a line of commentary into the transcript.
    pub fn note(&self, text: impl Into<String>) {
        self.log.note(text);
    }

    fn decode(&self, arrow: &str, datagram: &[u8]) {
        if let Some(text) = self.decoder.and_then(|d| d(datagram)) {
            self.log.decoded(&self.name, arrow, &text);
        }
    }

    /// Sends one datagram and logs it.
    pub fn send_to(&self, bytes: &[u8], to: SocketAddr) -> Outcome {
        self.log.sent_datagram(&self.name, to, bytes);
        self.decode("→", bytes);
        self.send_quietly(bytes, to)
    }

    /// Sends one datagram without logging it.
    pub fn send_quietly(&self, bytes: &[u8], to: SocketAddr) -> Outcome {
        match self.socket.send_to(bytes, to) {
            Ok(n) if n == bytes.len() => Ok(()),
            Ok(n) => Err(Failure::checker_error(format!(
                "{} sent only {n} of {} bytes",
                self.name,
                bytes.len()
            ))),
            Err(e) => Err(Failure::failed(format!(
                "{} could not send a datagram to {to}: {e}",
                self.name
            ))),
        }
    }

    /// Waits up to `timeout` (scaled) for one datagram, or until `stop` is
    /// set: `None` when none came. Logs what came.
    pub fn recv(
        &self,
        timeout: Duration,
        stop: &Flag,
    ) -> Result<Option<(Vec<u8>, SocketAddr)>, Failure> {
        let deadline = Instant::now() + time::scaled(timeout);
        let mut buf = vec![0u8; DATAGRAM_ROOM];
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() || stop.is_set() {
                return Ok(None);
            }
            // Short slices, so that `stop` is noticed soon.
            self.socket
                .set_read_timeout(Some(left.min(SLICE)))
                .map_err(|e| Failure::checker_error(e.to_string()))?;
            match self.socket.recv_from(&mut buf) {
                Ok((n, from)) => {
                    self.log.received_datagram(&self.name, from, &buf[..n]);
                    self.decode("←", &buf[..n]);
                    return Ok(Some((buf[..n].to_vec(), from)));
                }
                Err(e) if is_timeout(&e) || e.kind() == io::ErrorKind::Interrupted => {}
                // An ICMP error from an earlier send of ours: not a datagram.
                Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => {}
                Err(e) => {
                    return Err(Failure::failed(format!(
                        "{} could not receive: {e}",
                        self.name
                    )));
                }
            }
        }
    }

    /// Expects one datagram, from `from`, holding exactly `expected`,
    /// within the checker's patience; stops early when `stop` is set.
    pub fn expect_reply(
        &self,
        what: &str,
        expected: &[u8],
        from: SocketAddr,
        stop: &Flag,
    ) -> Outcome {
        let Some((got, sender)) = self.recv(time::PATIENCE, stop)? else {
            return Err(Failure::timed_out(format!(
                "{}: no datagram came back within {}",
                self.name,
                time::say(time::patience())
            ))
            .expected(format!("a reply from {from}: {}", show(expected)))
            .got("nothing"));
        };
        if sender != from {
            return Err(Failure::failed(format!(
                "{}: the reply came from {sender}, not from the server's address {from}",
                self.name
            ))
            .hint("reply with the socket the request arrived on, with send_to(reply, sender)"));
        }
        compare(what, expected, &got)
    }
}

/// A UDP port on loopback where nothing listens (bound, then released).
pub fn closed_udp_port() -> Result<SocketAddr, Failure> {
    let socket =
        UdpSocket::bind("127.0.0.1:0").map_err(|e| Failure::checker_error(e.to_string()))?;
    socket
        .local_addr()
        .map_err(|e| Failure::checker_error(e.to_string()))
}
