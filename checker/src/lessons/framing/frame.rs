//! Frames on the checker's side: the limit, a frame built by hand, a reply
//! frame read and checked, a frame read from the student's client, and a
//! well-behaved client to show that a server still serves.

use crate::ctx::{Ctx, Server};
use crate::verdict::{Failure, Outcome};
use crate::wire::{self, Conn};

/// The protocol's payload limit: 8 MiB.
pub(super) const MAX_FRAME: usize = 8 * 1024 * 1024;

/// A frame: the payload's length, big-endian, then the payload.
pub(super) fn frame(payload: &[u8]) -> Vec<u8> {
    let mut out = (payload.len() as u32).to_be_bytes().to_vec();
    out.extend_from_slice(payload);
    out
}

/// What the server answers: the payload, byte for byte backwards.
pub(super) fn reversed(payload: &[u8]) -> Vec<u8> {
    payload.iter().rev().copied().collect()
}

/// Expects the reply frame to `request`: reads the 4-byte length, checks
/// it, then reads and checks the payload.
pub(super) fn expect_reply(conn: &mut Conn, request: &[u8]) -> Outcome {
    let want = reversed(request);
    let header = conn
        .recv_exact(4, "the reply's 4-byte length")?
        .ok_or_else(|| Failure::failed("the server closed the connection instead of replying"))?;
    let len = u32::from_be_bytes(header.clone().try_into().expect("4 bytes")) as usize;
    if len != want.len() {
        return Err(Failure::failed(format!(
            "the reply's length field says {len}, but the reply should hold {} bytes",
            want.len()
        ))
        .expected(format!(
            "length {} (hex {})",
            want.len(),
            wire::hex(&(want.len() as u32).to_be_bytes())
        ))
        .got(format!("length {len} (hex {})", wire::hex(&header))));
    }
    let payload = conn
        .recv_exact(len, "the reply's payload")?
        .unwrap_or_default();
    wire::compare(
        "the reply's payload (the request reversed)",
        &want,
        &payload,
    )
}

/// A well-behaved client sends one frame and gets its reply: after a
/// refusal, the server must still serve others.
pub(super) fn still_serves(ctx: &Ctx, server: &Server) -> Outcome {
    ctx.check_alive(server)?;
    let mut next = ctx.connect(server, "next client")?;
    next.send(&frame(b"still there?"))?;
    expect_reply(&mut next, b"still there?")?;
    ctx.check_alive(server)
}

/// Reads one frame from the student's client: `None` at a clean end.
pub(super) fn read_frame(conn: &mut Conn, n: usize) -> Result<Option<Vec<u8>>, Failure> {
    let Some(header) = conn.recv_exact(4, &format!("the header of frame {n}"))? else {
        return Ok(None);
    };
    let len = u32::from_be_bytes(header.try_into().expect("4 bytes")) as usize;
    if len > MAX_FRAME {
        return Err(
            Failure::failed(format!("your client's frame {n} claims {len} bytes"))
                .hint("write the length with u32::to_be_bytes"),
        );
    }
    let payload = conn.recv_exact(len, &format!("the payload of frame {n}"))?;
    Ok(Some(payload.unwrap_or_default()))
}
