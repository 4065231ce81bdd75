//! Lesson 2, UDP upper-case: a small handler-based datagram server.
//! Your exercise (with `src/bin/server.rs` and `src/bin/client.rs`).
//!
//! The server owns the socket and the loop; a [`Handler`] decides what to
//! answer each datagram. Read the chapter "UDP upper-case" in the book.

use std::io;
use std::net::{SocketAddr, ToSocketAddrs, UdpSocket};

/// The largest UDP payload (65,535 minus the 8-byte UDP header). Why your
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
    pub fn serve_forever(&mut self) -> io::Result<()> {
        let UdpServer { socket, handler } = self;
        let handler = std::any::type_name_of_val(handler);
        todo!("loop: recv_from on {socket:?}, let the {handler} answer, send_to the sender")
    }
}
