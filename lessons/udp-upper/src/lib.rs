//! Lesson 2, UDP upper-case: a small handler-based datagram server.
//! Your exercise (with `src/bin/server.rs` and `src/bin/client.rs`).
//!
//! The server owns the socket and the loop; a [`Handler`] decides what to
//! answer each datagram. Read the chapter "UDP upper-case" in the book.
//! The tests at the bottom of this file try `serve_forever` on loopback:
//! `cargo test -p udp-upper` is the quick loop before `cargo grade
//! udp-upper`.
//!
//! [`cli`] reads the command line (given, the same in every lesson).
#![warn(missing_docs)]

use std::io;
use std::net::{SocketAddr, ToSocketAddrs, UdpSocket};

pub mod cli;

/// Room for the largest UDP payload: a datagram's length field allows
/// 65,535 bytes, less the 8-byte UDP header, so 65,527. That is the most
/// IPv6 can carry; over IPv4 the 20-byte IP header leaves 65,507. Why your
/// receive buffer must be this big: see the chapter, "Size limits".
pub const MAX_DATAGRAM: usize = 65_527;

/// What a datagram server does with each request: the one part that
/// changes from one protocol to the next.
pub trait Handler {
    /// Returns the reply to `request` from `from`, or `None` for no reply.
    fn handle(&mut self, request: &[u8], from: SocketAddr) -> Option<Vec<u8>>;
}

/// A UDP server: one socket, one loop, one handler.
pub struct UdpServer<H> {
    socket: UdpSocket,
    handler: H,
}

impl<H: Handler> UdpServer<H> {
    /// Binds the socket (given: UDP needs no listen and no accept).
    pub fn bind(addr: impl ToSocketAddrs, handler: H) -> io::Result<UdpServer<H>> {
        Ok(UdpServer {
            socket: UdpSocket::bind(addr)?,
            handler,
        })
    }

    /// The handler, to look at (or change) its state between datagrams.
    pub fn handler_mut(&mut self) -> &mut H {
        &mut self.handler
    }

    /// The address the OS gave the socket (the real port, when bound to 0).
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.socket.local_addr()
    }

    /// Receives datagrams for ever, answering each through the handler.
    /// It never returns, and says so: its type is `!`, "never".
    ///
    /// For each datagram: `recv_from` into a buffer of [`MAX_DATAGRAM`]
    /// bytes, pass the bytes received and the sender to `self.handler`, and
    /// `send_to` the reply back to the sender, from this same socket. An
    /// error concerns one datagram: print it to stderr and keep serving.
    pub fn serve_forever(&mut self) -> ! {
        todo!(
            "loop: recv_from on {:?}, let the handler answer, send_to the sender",
            self.socket
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::thread;
    use std::time::Duration;

    /// Answers with the request reversed, and nothing at all to `quiet`.
    struct Reverse;

    impl Handler for Reverse {
        fn handle(&mut self, request: &[u8], _from: SocketAddr) -> Option<Vec<u8>> {
            (request != b"quiet").then(|| request.iter().rev().copied().collect())
        }
    }

    /// A server with `handler` on a thread of its own, and a client socket
    /// connected to it.
    fn start(handler: impl Handler + Send + 'static) -> (UdpSocket, thread::JoinHandle<()>) {
        let mut server = UdpServer::bind("127.0.0.1:0", handler).unwrap();
        let addr = server.local_addr().unwrap();
        let serving = thread::spawn(move || {
            server.serve_forever();
        });
        let client = UdpSocket::bind("127.0.0.1:0").unwrap();
        client.connect(addr).unwrap();
        client
            .set_read_timeout(Some(Duration::from_millis(100)))
            .unwrap();
        (client, serving)
    }

    /// The next datagram for `client`, waiting up to 10 seconds; if the
    /// server thread stops instead (a `todo!` reached, say), its own panic.
    fn reply(client: &UdpSocket, serving: thread::JoinHandle<()>) -> Vec<u8> {
        let mut buf = vec![0u8; MAX_DATAGRAM];
        for _ in 0..100 {
            match client.recv(&mut buf) {
                Ok(len) => return buf[..len].to_vec(),
                Err(_) if serving.is_finished() => match serving.join() {
                    Err(panic) => std::panic::resume_unwind(panic),
                    Ok(()) => panic!("the server stopped"),
                },
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) => {}
                Err(e) => panic!("no reply: {e}"),
            }
        }
        panic!("no reply within 10 seconds")
    }

    #[test]
    fn each_datagram_gets_the_handlers_reply_from_the_same_socket() {
        let (client, serving) = start(Reverse);
        client.send(b"stressed").unwrap();
        // `recv` on a connected socket takes only what comes from the
        // address it is connected to: the reply came from the server's.
        assert_eq!(reply(&client, serving), b"desserts");
    }

    #[test]
    fn no_reply_when_the_handler_has_none_and_the_next_datagram_is_served() {
        let (client, serving) = start(Reverse);
        client.send(b"quiet").unwrap();
        client.send(b"loud").unwrap();
        assert_eq!(reply(&client, serving), b"duol");
    }

    #[test]
    fn the_largest_datagram_arrives_whole() {
        let (client, serving) = start(Reverse);
        let big = vec![b'x'; 65_507]; // the most IPv4 can carry
        client.send(&big).unwrap();
        assert_eq!(reply(&client, serving).len(), big.len());
    }
}
