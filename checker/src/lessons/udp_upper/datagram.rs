//! The checker's side of the protocol: a socket of its own, a request sent
//! and its upper-cased reply expected from the server, and the largest
//! datagram IPv4 carries.

use crate::ctx::{Ctx, Server};
use crate::verdict::{Failure, Outcome};
use crate::wire::Udp;

/// The largest UDP payload over IPv4.
pub(super) const LARGEST_V4: usize = 65_507;

/// A UDP socket of the checker's on IPv4 loopback, named `name` in the transcript.
pub(super) fn socket(ctx: &Ctx, name: &str) -> Result<Udp, Failure> {
    Udp::bind(ctx.transcript(), name, "127.0.0.1:0")
}

/// Sends `request` and expects its upper-cased reply from the server.
pub(super) fn ask(ctx: &Ctx, server: &Server, sock: &Udp, request: &[u8]) -> Outcome {
    sock.send_to(request, server.addr)?;
    expect_upper(ctx, server, sock, request)
}

/// Expects the upper-cased `request` back from the server; says so if
/// the server had exited.
pub(super) fn expect_upper(ctx: &Ctx, server: &Server, sock: &Udp, request: &[u8]) -> Outcome {
    sock.expect_reply(
        "the reply",
        &request.to_ascii_uppercase(),
        server.addr,
        &server.gone,
    )
    .map_err(|f| {
        if ctx.has_exited(server) {
            f.then("; the server had exited")
        } else {
            f
        }
    })
}
