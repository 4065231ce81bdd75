//! The server's stages with one client at a time: one message, every byte
//! value, a message in pieces, 16 MiB in flight, a half-close, a reset
//! mid-stream, IPv6.

use std::thread;

use crate::ctx::Ctx;
use crate::time::{self, ms};
use crate::verdict::{Failure, Outcome, Verdict};
use crate::wire;

use super::stream::{pattern, read_back};

pub(super) fn one_message(ctx: &mut Ctx) -> Outcome {
    let (server, mut client) = ctx.start_and_connect("server")?;
    client.send(b"Hello, world")?;
    client.expect("the echo", b"Hello, world")?;
    ctx.check_alive(&server)
}

pub(super) fn binary(ctx: &mut Ctx) -> Outcome {
    let (_server, mut client) = ctx.start_and_connect("server")?;
    let every_byte: Vec<u8> = (0..=255).collect();
    client.send(&every_byte)?;
    client.expect("the echo of bytes 0 to 255", &every_byte)
}

pub(super) fn dribble(ctx: &mut Ctx) -> Outcome {
    let (_server, mut client) = ctx.start_and_connect("server")?;
    let message = b"one byte at a time\n";
    client.send_slowly(message, ms(10))?;
    client.expect("the echo", message)
}

pub(super) fn big_stream(ctx: &mut Ctx) -> Outcome {
    const SIZE: usize = 16 << 20;
    let (_server, mut client) = ctx.start_and_connect("server")?;
    let data = pattern(SIZE);
    ctx.note("client sends 16 MiB in 64 KiB writes and, at the same time, reads the echo; it half-closes only after all has come back");
    client.send_while_receiving(&data, |reader| read_back(ctx, reader, &data))?;
    client.shutdown_write()?;
    client.expect_close()
}

pub(super) fn half_close(ctx: &mut Ctx) -> Outcome {
    let (_server, mut client) = ctx.start_and_connect("server")?;
    // In two writes, a moment apart: a server that closes after its first
    // read must not pass for one that waits for the half-close.
    client.send(b"last ")?;
    thread::sleep(time::scaled(ms(50)));
    client.send(b"words")?;
    let closed_early = |f: Failure| {
        Failure::failed(format!(
            "the server closed the connection before the whole message came back ({})",
            f.summary
        ))
        .expected("the server to read \"last \" and \"words\", echo both, then see read return 0")
        .hint("one read is not the whole message: keep reading and echoing until read returns 0, and only then close")
    };
    client.shutdown_write().map_err(closed_early)?;
    let echo = match client.recv_exact(10, "the echo after the half-close") {
        Ok(Some(echo)) => echo,
        Ok(None) => {
            return Err(closed_early(Failure::failed("nothing came back")));
        }
        Err(f) if f.verdict == Verdict::Failed => return Err(closed_early(f)),
        Err(f) => return Err(f),
    };
    wire::compare("the echo after the half-close", b"last words", &echo)?;
    client.expect_close()
}

pub(super) fn reset(ctx: &mut Ctx) -> Outcome {
    let server = ctx.start_server_ipv4("server")?;
    let mut rude = ctx.connect(&server, "client 1")?;
    let data = pattern(256 << 10);
    ctx.note("client 1 sends 256 KiB, reads only the first bytes of the echo, then resets");
    rude.send_quietly(&data)?;
    rude.expect("the start of the echo", &data[..16])?;
    rude.reset();
    // Give the server time to hit the reset while it is still echoing.
    thread::sleep(ms(200));
    ctx.check_alive(&server)?;
    let mut polite = ctx.connect(&server, "client 2")?;
    polite.send(b"are you still there?")?;
    polite.expect("the echo", b"are you still there?")?;
    ctx.check_alive(&server)
}

pub(super) fn ipv6(ctx: &mut Ctx) -> Outcome {
    let server = ctx.start_server_ipv6("server")?;
    let mut client = ctx.connect(&server, "client")?;
    client.send(b"hello over IPv6")?;
    client.expect("the echo", b"hello over IPv6")
}
