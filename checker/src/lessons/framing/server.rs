//! The server's stages with frames that keep the rules: one frame, two in
//! one write, a frame in pieces, an empty one, the largest, 1,000 in one go,
//! and the length's byte order.

use crate::ctx::Ctx;
use crate::time::ms;
use crate::verdict::Outcome;
use crate::wire;

use super::frame::{MAX_FRAME, expect_reply, frame, reversed};

pub(super) fn one_frame(ctx: &mut Ctx) -> Outcome {
    let (_server, mut client) = ctx.start_and_connect("server")?;
    client.send(&frame(b"hello"))?;
    expect_reply(&mut client, b"hello")
}

pub(super) fn two_in_one_write(ctx: &mut Ctx) -> Outcome {
    let (_server, mut client) = ctx.start_and_connect("server")?;
    let mut both = frame(b"Hi!");
    both.extend(frame(b"Hope you're well"));
    ctx.note("client sends two frames in a single write");
    client.send(&both)?;
    expect_reply(&mut client, b"Hi!")?;
    expect_reply(&mut client, b"Hope you're well")?;
    // End of stream between frames is a clean close: the server closes too.
    client.shutdown_write()?;
    client.expect_close()
}

pub(super) fn dribble(ctx: &mut Ctx) -> Outcome {
    let (_server, mut client) = ctx.start_and_connect("server")?;
    client.send_slowly(&frame(b"slowly"), ms(10))?;
    expect_reply(&mut client, b"slowly")
}

pub(super) fn empty_frame(ctx: &mut Ctx) -> Outcome {
    let (_server, mut client) = ctx.start_and_connect("server")?;
    client.send(&frame(b""))?;
    expect_reply(&mut client, b"")?;
    client.send(&frame(b"after the empty one"))?;
    expect_reply(&mut client, b"after the empty one")
}

pub(super) fn max_frame(ctx: &mut Ctx) -> Outcome {
    let (_server, mut client) = ctx.start_and_connect("server")?;
    let payload: Vec<u8> = (0..MAX_FRAME).map(|i| (i % 251) as u8).collect();
    ctx.note(format!(
        "client sends a frame of exactly {MAX_FRAME} bytes (the limit), reading what comes back as it sends"
    ));
    let want = frame(&reversed(&payload));
    // Reading while sending: a server that answers early (wrongly) must not
    // stall the test on full buffers.
    let got = client.send_while_receiving(&frame(&payload), |reader| {
        reader.recv_exact(want.len(), "the 8 MiB reply frame")
    })?;
    wire::compare("the reply frame", &want, &got.unwrap_or_default())
}

pub(super) fn pipelined(ctx: &mut Ctx) -> Outcome {
    const FRAMES: usize = 1000;
    let (_server, mut client) = ctx.start_and_connect("server")?;
    let requests: Vec<Vec<u8>> = (0..FRAMES)
        .map(|i| format!("request number {i}").into_bytes())
        .collect();
    let burst: Vec<u8> = requests.iter().flat_map(|r| frame(r)).collect();
    ctx.note(format!(
        "client sends {FRAMES} frames ({} bytes) in one go, then reads the replies",
        burst.len()
    ));
    let want: Vec<u8> = requests.iter().flat_map(|r| frame(&reversed(r))).collect();
    let got = client.send_while_receiving(&burst, |reader| {
        reader.recv_exact(want.len(), "1,000 reply frames")
    })?;
    wire::compare(
        "the 1,000 replies, in order",
        &want,
        &got.unwrap_or_default(),
    )
}

pub(super) fn byte_order(ctx: &mut Ctx) -> Outcome {
    let (_server, mut client) = ctx.start_and_connect("server")?;
    let payload: Vec<u8> = (0..=255).collect();
    ctx.note("client sends header 00 00 01 00 (256, big-endian; 65,536 if read little-endian) and 256 bytes");
    client.send(&frame(&payload))?;
    expect_reply(&mut client, &payload)
        .map_err(|f| f.hint("if nothing came back, your server is waiting for 65,536 bytes: it read the length little-endian"))
}
