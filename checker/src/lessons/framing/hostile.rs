//! The server's stages with frames that break the rules: a length over the
//! limit, a length of 4 GiB (and the memory it must not take), a stream
//! that ends inside a header or a payload.

use std::time::Instant;

use crate::ctx::{Ctx, Server};
use crate::process;
use crate::verdict::{Failure, Outcome};

use super::frame::{MAX_FRAME, still_serves};

/// How much a server's memory may grow when sent a huge length.
const MEMORY_SLACK_KIB: u64 = 4 * 1024;

/// Sends `header` (and nothing more), and expects the server to close.
fn expect_refusal(ctx: &Ctx, server: &Server, header: [u8; 4], what: &str) -> Outcome {
    let mut rude = ctx.connect(server, "client")?;
    ctx.note(format!("client announces {what} and sends no payload"));
    rude.send(&header)?;
    rude.expect_close().map_err(|f| {
        f.hint(format!("the length {} is over the limit of {MAX_FRAME}: refuse it at once, before waiting for a payload", u32::from_be_bytes(header)))
    })
}

pub(super) fn over_max(ctx: &mut Ctx) -> Outcome {
    let server = ctx.start_server_ipv4("server")?;
    let header = ((MAX_FRAME + 1) as u32).to_be_bytes();
    expect_refusal(ctx, &server, header, "a payload of 8 MiB + 1 byte")?;
    still_serves(ctx, &server)
}

pub(super) fn huge_length(ctx: &mut Ctx) -> Outcome {
    let server = ctx.start_server_ipv4("server")?;
    let before = process::peak_resident_kib(server.pid).unwrap_or(0);
    let started = Instant::now();
    expect_refusal(
        ctx,
        &server,
        [0xff; 4],
        "a payload of 0xFFFFFFFF bytes (4 GiB)",
    )?;
    let after = process::peak_resident_kib(server.pid).unwrap_or(0);
    ctx.note(format!(
        "server's peak resident memory (VmHWM): {before} KiB before, {after} KiB after; refused in {} ms",
        started.elapsed().as_millis()
    ));
    if after > before + MEMORY_SLACK_KIB {
        return Err(Failure::failed(format!(
            "the server's memory grew by {} KiB on a frame it should refuse",
            after - before
        ))
        .expected(format!("growth under {MEMORY_SLACK_KIB} KiB"))
        .got(format!("{before} KiB before, {after} KiB after")));
    }
    still_serves(ctx, &server)
}

pub(super) fn eof_mid_header(ctx: &mut Ctx) -> Outcome {
    let (server, mut client) = ctx.start_and_connect("server")?;
    client.send(&[0, 0])?;
    client.shutdown_write()?;
    client.expect_close()?;
    still_serves(ctx, &server)
}

pub(super) fn eof_mid_payload(ctx: &mut Ctx) -> Outcome {
    let (server, mut client) = ctx.start_and_connect("server")?;
    ctx.note("client announces 10 payload bytes, sends 4, then ends the stream");
    client.send(&[0, 0, 0, 10, b'c', b'u', b't', b' '])?;
    client.shutdown_write()?;
    client.expect_close()?;
    still_serves(ctx, &server)
}
