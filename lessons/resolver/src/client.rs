//! Asking a DNS server: a query over UDP with a deadline and a bounded
//! number of tries, and over TCP when the answer does not fit (or when
//! asked to).
//!
//! A UDP socket receives whatever anybody sends to it, so a reply counts
//! only if it comes from the server, carries our query's ID, and answers
//! our question. Anything else is ignored, and we go on waiting until the
//! attempt's deadline: a forged reply must not end the wait.

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use crate::dns::{Malformed, Message, Name, Type};

/// How to ask.
#[derive(Clone, Debug)]
pub struct Options {
    /// The server to ask: an address, not a name (resolving it would need
    /// a resolver).
    pub server: SocketAddr,
    /// How long each attempt waits for its reply.
    pub timeout: Duration,
    /// How many times to ask again after the first attempt timed out.
    pub retries: u32,
    /// Ask over TCP from the start.
    pub tcp: bool,
}

/// Why no answer came.
#[derive(Debug)]
pub enum QueryError {
    /// No matching reply to any attempt.
    Timeout {
        /// How many queries were sent.
        attempts: u32,
        /// How long each one waited.
        each: Duration,
    },
    /// A reply to our question that cannot be read.
    Malformed(Malformed),
    /// The network said no (refused, unreachable, ...).
    Io(io::Error),
}

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            QueryError::Timeout { attempts, each } => {
                write!(f, "no reply after {attempts} attempt(s), {each:?} each")
            }
            // The cause is `source`'s to tell (`cli::one_line` prints the
            // chain): saying it here too would say it twice.
            QueryError::Malformed(_) => f.write_str("unreadable reply"),
            // The network's own error, as it is: no words of ours to add.
            QueryError::Io(e) => write!(f, "{e}"),
        }
    }
}

/// A `QueryError` is an error like any other: `?` can turn it into a
/// `Box<dyn Error>`, and what caused it stays reachable through `source`.
impl std::error::Error for QueryError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            QueryError::Timeout { .. } => None,
            QueryError::Malformed(m) => Some(m),
            // Shown whole by `Display` already: its own cause, if any.
            QueryError::Io(e) => e.source(),
        }
    }
}

impl From<io::Error> for QueryError {
    fn from(e: io::Error) -> Self {
        QueryError::Io(e)
    }
}

/// What a query is about, to recognise its reply.
pub struct Asked {
    /// The query's ID: random, new for each query.
    pub id: u16,
    /// The name asked about.
    pub name: Name,
    /// The type asked for.
    pub qtype: Type,
    /// The query on the wire, as every attempt sends it.
    pub bytes: Vec<u8>,
}

impl Asked {
    /// Step 6: a query for `name` and `qtype` with a new random ID,
    /// encoded once (every attempt sends the same bytes).
    pub fn new(name: &Name, qtype: Type) -> Asked {
        todo!("step 6: a query for {name} {qtype} with a random ID")
    }

    /// Step 6: whether `reply` answers this query: our ID, a response,
    /// and our question (same name in any case, same type). It is read
    /// whole only if the ID is ours.
    pub fn answered_by(&self, reply: &[u8]) -> Result<Option<Message>, Malformed> {
        todo!(
            "step 6: does this reply of {} bytes answer query {}?",
            reply.len(),
            self.id
        )
    }
}

/// Step 6 (then 8): asks `server` for `name` and `qtype`: over UDP, then
/// over TCP if the reply says it was truncated (TC), or over TCP at once
/// with `tcp`.
pub fn ask(name: &Name, qtype: Type, options: &Options) -> Result<Message, QueryError> {
    todo!(
        "step 6: ask {} for {name} {qtype} over UDP (step 8: TCP if truncated, or if --tcp is {})",
        options.server,
        options.tcp
    )
}

/// Steps 6 and 7: over UDP, `options.retries + 1` attempts, each waiting
/// `options.timeout` for a datagram from the server that answers `asked`;
/// anything else is ignored. A read timeout is `WouldBlock` on Linux and
/// `TimedOut` elsewhere: both end the attempt.
pub fn over_udp(asked: &Asked, options: &Options) -> Result<Message, QueryError> {
    todo!(
        "steps 6 and 7: send query {} to {} and wait {:?} for its reply, {} more times",
        asked.id,
        options.server,
        options.timeout,
        options.retries
    )
}

/// Step 8: over TCP a message is preceded by its length in two bytes
/// (RFC 1035, 4.2.2): the stream keeps no boundaries of its own. The whole
/// attempt (connect, write, read) fits in one `options.timeout`: a server
/// that trickles a byte at a time cannot hold us longer.
pub fn over_tcp(asked: &Asked, options: &Options) -> Result<Message, QueryError> {
    todo!(
        "step 8: query {} over TCP to {}, all within {:?}",
        asked.id,
        options.server,
        options.timeout
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::net::UdpSocket;
    use std::thread;
    use std::time::Instant;

    /// A reply to `query` with one A record, its ID changed by `id_xor`.
    fn reply_to(query: &[u8], id_xor: u16, truncated: bool) -> Vec<u8> {
        let mut reply = query.to_vec();
        let id = u16::from_be_bytes([query[0], query[1]]) ^ id_xor;
        reply[0..2].copy_from_slice(&id.to_be_bytes());
        reply[2] = 0x81 | if truncated { 0x02 } else { 0 };
        reply[3] = 0x80;
        reply[7] = 1; // ANCOUNT
        reply.extend_from_slice(&[0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 1]);
        reply
    }

    fn options(server: SocketAddr) -> Options {
        Options {
            server,
            timeout: Duration::from_millis(300),
            retries: 2,
            tcp: false,
        }
    }

    #[test]
    fn a_wrong_id_is_ignored_and_a_lost_reply_asked_again() {
        let server = UdpSocket::bind("127.0.0.1:0").unwrap();
        let addr = server.local_addr().unwrap();
        let peer = thread::spawn(move || {
            let mut buf = [0u8; 512];
            // First attempt: no answer (lost). Second: a wrong ID, then ours.
            let _ = server.recv_from(&mut buf).unwrap();
            let (n, from) = server.recv_from(&mut buf).unwrap();
            server
                .send_to(&reply_to(&buf[..n], 0xffff, false), from)
                .unwrap();
            server
                .send_to(&reply_to(&buf[..n], 0, false), from)
                .unwrap();
        });
        let name = Name::parse("example.test").unwrap();
        let reply = ask(&name, Type::A, &options(addr)).unwrap();
        assert_eq!(
            reply.answers[0].to_string(),
            "example.test. 60 IN A 192.0.2.1"
        );
        peer.join().unwrap();
    }

    #[test]
    fn a_truncated_reply_is_asked_again_over_tcp() {
        // A port free on both UDP and TCP (another program may hold the
        // TCP side of a free UDP port).
        let (udp, tcp) = loop {
            let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
            if let Ok(tcp) = std::net::TcpListener::bind(udp.local_addr().unwrap()) {
                break (udp, tcp);
            }
        };
        let addr = udp.local_addr().unwrap();
        let peer = thread::spawn(move || {
            let mut buf = [0u8; 512];
            let (n, from) = udp.recv_from(&mut buf).unwrap();
            udp.send_to(&reply_to(&buf[..n], 0, true), from).unwrap();
            let (mut conn, _) = tcp.accept().unwrap();
            let mut len = [0u8; 2];
            conn.read_exact(&mut len).unwrap();
            let mut query = vec![0u8; u16::from_be_bytes(len) as usize];
            conn.read_exact(&mut query).unwrap();
            let reply = reply_to(&query, 0, false);
            conn.write_all(&(reply.len() as u16).to_be_bytes()).unwrap();
            conn.write_all(&reply).unwrap();
        });
        let name = Name::parse("example.test").unwrap();
        let reply = ask(&name, Type::A, &options(addr)).unwrap();
        assert!(!reply.header.truncated);
        assert_eq!(reply.answers.len(), 1);
        peer.join().unwrap();
    }

    #[test]
    fn a_silent_server_is_a_timeout_after_every_attempt() {
        let server = UdpSocket::bind("127.0.0.1:0").unwrap();
        let name = Name::parse("example.test").unwrap();
        let mut opts = options(server.local_addr().unwrap());
        opts.timeout = Duration::from_millis(50);
        let started = Instant::now();
        let err = ask(&name, Type::A, &opts).unwrap_err();
        assert!(
            matches!(err, QueryError::Timeout { attempts: 3, .. }),
            "{err}"
        );
        assert!(started.elapsed() < Duration::from_secs(1));
    }

    /// Step 8: a server that trickles a byte at a time cannot hold a TCP
    /// attempt past its timeout; one that closes early is a cut reply.
    #[test]
    fn a_tcp_attempt_is_bounded_whole_and_a_cut_reply_is_named() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let mut opts = options(listener.local_addr().unwrap());
        opts.tcp = true;
        let peer = thread::spawn(move || {
            // The first client: the length 0x0100, then a byte every 50 ms.
            let (mut conn, _) = listener.accept().unwrap();
            for _ in 0..40 {
                if conn.write_all(&[1]).is_err() {
                    break;
                }
                thread::sleep(Duration::from_millis(50));
            }
            // The second: 100 bytes promised, 3 sent, then the end.
            // (It reads the query first: closing with unread bytes would
            // reset the connection instead.)
            let (mut conn, _) = listener.accept().unwrap();
            let mut len = [0u8; 2];
            conn.read_exact(&mut len).unwrap();
            let mut query = vec![0u8; u16::from_be_bytes(len) as usize];
            conn.read_exact(&mut query).unwrap();
            conn.write_all(&[0, 100, 1, 2, 3]).unwrap();
        });
        let name = Name::parse("example.test").unwrap();
        let started = Instant::now();
        let err = ask(&name, Type::A, &opts).unwrap_err();
        assert!(matches!(err, QueryError::Timeout { .. }), "{err}");
        assert!(
            started.elapsed() < Duration::from_millis(1500),
            "{:?}",
            started.elapsed()
        );
        let err = ask(&name, Type::A, &opts).unwrap_err();
        let QueryError::Malformed(cut) = err else {
            panic!("{err}");
        };
        assert!(cut.what.contains("cut"), "{cut}");
        peer.join().unwrap();
    }
}
