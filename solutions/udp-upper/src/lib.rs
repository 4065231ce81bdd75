//! Lesson 2, UDP upper-case: a small handler-based datagram server
//! (reference solution).
//!
//! The server owns the socket and the loop; a [`Handler`] decides what to
//! answer. Any datagram protocol fits this shape: write a new handler, not
//! a new loop. (Python's `socketserver` works the same way.)

use std::io;
use std::net::{SocketAddr, ToSocketAddrs, UdpSocket};

/// The largest UDP payload: 65,535 bytes minus the 8-byte UDP header, on
/// IPv6 (on IPv4 the IP header takes 20 more: 65,507). `recv_from` cuts a
/// datagram that does not fit the buffer and says nothing, so the buffer
/// must hold the largest one.
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
    /// Binds the socket. There is no listen and no accept in UDP: once
    /// bound, datagrams sent to this address queue up in the socket.
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
    pub fn serve_forever(&mut self) -> ! {
        let mut buf = vec![0u8; MAX_DATAGRAM];
        loop {
            // One recv_from is exactly one datagram, whole, with the
            // address of whoever sent it: UDP keeps message boundaries.
            let (len, from) = match self.socket.recv_from(&mut buf) {
                Ok(received) => received,
                // A failed receive concerns one datagram (or an ICMP error
                // about an earlier reply): report it and keep serving.
                Err(err) => {
                    eprintln!("receive failed: {err}");
                    continue;
                }
            };
            let Some(reply) = self.handler.handle(&buf[..len], from) else {
                continue;
            };
            // Reply from the same socket, so the answer comes from the
            // address the client sent to, and to the sender's own address.
            if let Err(err) = self.socket.send_to(&reply, from) {
                eprintln!("{from}: reply failed: {err}");
            }
        }
    }
}
