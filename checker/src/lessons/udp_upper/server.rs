//! The server's stages: one datagram, two back to back, an empty one, the
//! largest, every byte value, five clients interleaved, garbage, IPv6.

use std::thread;

use crate::ctx::Ctx;
use crate::time::ms;
use crate::verdict::Outcome;
use crate::wire::Udp;

use super::datagram::{LARGEST_V4, ask, expect_upper, socket};

pub(super) fn one_datagram(ctx: &mut Ctx) -> Outcome {
    let server = ctx.start_server_ipv4("server")?;
    let client = socket(ctx, "client")?;
    ask(ctx, &server, &client, b"hello, datagram")
}

pub(super) fn mixed_case(ctx: &mut Ctx) -> Outcome {
    let server = ctx.start_server_ipv4("server")?;
    let client = socket(ctx, "client")?;
    ask(ctx, &server, &client, b"MixedCaseString")
}

pub(super) fn two_datagrams(ctx: &mut Ctx) -> Outcome {
    let server = ctx.start_server_ipv4("server")?;
    let client = socket(ctx, "client")?;
    client.send_to(b"Hi!", server.addr)?;
    client.send_to(b"Hope you're well", server.addr)?;
    // Loopback keeps the order; the point is that each reply is whole and
    // on its own.
    expect_upper(ctx, &server, &client, b"Hi!")?;
    expect_upper(ctx, &server, &client, b"Hope you're well")
}

pub(super) fn empty(ctx: &mut Ctx) -> Outcome {
    let server = ctx.start_server_ipv4("server")?;
    let client = socket(ctx, "client")?;
    ask(ctx, &server, &client, b"")?;
    // And the server still answers normally afterwards.
    ask(ctx, &server, &client, b"after the empty one")
}

pub(super) fn largest(ctx: &mut Ctx) -> Outcome {
    let server = ctx.start_server_ipv4("server")?;
    let client = socket(ctx, "client")?;
    let big: Vec<u8> = (0..LARGEST_V4)
        .map(|i| b"abcdefghijklmnopqrstuvwxyz0123456789"[i % 36])
        .collect();
    ask(ctx, &server, &client, &big)
}

pub(super) fn binary(ctx: &mut Ctx) -> Outcome {
    let server = ctx.start_server_ipv4("server")?;
    let client = socket(ctx, "client")?;
    let every_byte: Vec<u8> = (0..=255).collect();
    ask(ctx, &server, &client, &every_byte)
}

pub(super) fn many_clients(ctx: &mut Ctx) -> Outcome {
    let server = ctx.start_server_ipv4("server")?;
    let clients = (1..=5)
        .map(|i| socket(ctx, &format!("client {i}")))
        .collect::<Result<Vec<_>, _>>()?;
    ctx.note("five clients on five ports take turns: each sends, then each expects its own reply; three rounds");
    for round in 1..=3 {
        let requests: Vec<String> = (1..=clients.len())
            .map(|i| format!("client {i}, round {round}"))
            .collect();
        for (client, request) in clients.iter().zip(&requests) {
            client.send_to(request.as_bytes(), server.addr)?;
        }
        for (client, request) in clients.iter().zip(&requests) {
            expect_upper(ctx, &server, client, request.as_bytes())?;
        }
    }
    Ok(())
}

pub(super) fn survives_garbage(ctx: &mut Ctx) -> Outcome {
    let server = ctx.start_server_ipv4("server")?;
    let rude = socket(ctx, "rude client")?;
    rude.send_to(b"\xff\xfe\xfd\x80 not UTF-8", server.addr)?;
    rude.send_to(&[0u8; 1000], server.addr)?;
    rude.send_to(&vec![0xffu8; LARGEST_V4], server.addr)?;
    ctx.note(
        "rude client also sends 200 small datagrams of assorted bytes, without reading any reply",
    );
    for i in 0..200u32 {
        let junk: Vec<u8> = (0..(i % 50)).map(|j| (i * 31 + j * 7) as u8).collect();
        rude.send_quietly(&junk, server.addr)?;
    }
    thread::sleep(ms(200));
    ctx.check_alive(&server)?;
    let polite = socket(ctx, "polite client")?;
    ask(ctx, &server, &polite, b"still alive?")?;
    ctx.check_alive(&server)
}

pub(super) fn ipv6(ctx: &mut Ctx) -> Outcome {
    let server = ctx.start_server_ipv6("server")?;
    let client = Udp::bind(ctx.transcript(), "client", "[::1]:0")?;
    ask(ctx, &server, &client, b"hello over IPv6")
}
