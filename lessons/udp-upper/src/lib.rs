//! Lesson 2, UDP upper-case: a small handler-based datagram server.
//! Your exercise (with `src/bin/server.rs` and `src/bin/client.rs`).
//!
//! The server owns the socket and the loop; a [`Handler`] decides what to
//! answer each datagram. Read the chapter "UDP upper-case" in the book.

use std::io;
use std::net::{SocketAddr, ToSocketAddrs, UdpSocket};

/// Room for the largest UDP payload: a datagram's length field allows
/// 65,535 bytes, less the 8-byte UDP header, so 65,527. That is the most
/// IPv6 can carry; over IPv4 the 20-byte IP header leaves 65,507. Why your
/// receive buffer must be this big: see the chapter, "Size limits".
pub const MAX_DATAGRAM: usize = 65_527;

/// What a datagram server does with each request.
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
    ///
    /// For each datagram: `recv_from` into a buffer of [`MAX_DATAGRAM`]
    /// bytes, pass the bytes received and the sender to `self.handler`, and
    /// `send_to` the reply back to the sender, from this same socket. An
    /// error concerns one datagram: print it to stderr and keep serving.
    /// It never returns, and says so: its type is `!`, "never".
    pub fn serve_forever(&mut self) -> ! {
        todo!(
            "loop: recv_from on {:?}, let the handler answer, send_to the sender",
            self.socket
        )
    }
}
