//! The client's stages: the student's client against the checker's UDP
//! peers, which answer, drop datagrams, stay silent, are not there, or let
//! a stranger answer first.

use std::net::SocketAddr;
use std::thread;
use std::time::Duration;

use crate::ctx::{Ctx, Finished};
use crate::peer::UdpPeer;
use crate::process::Input;
use crate::time::{ms, secs};
use crate::verdict::{Failure, Outcome};
use crate::wire;

use super::datagram::socket;

/// What the client printed: the `using IP:PORT` line, and the reply.
fn parse_output(finished: &Finished) -> Result<(SocketAddr, Vec<u8>), Failure> {
    let out = &finished.stdout;
    let expected = "a line `using IP:PORT`, then the reply on the next line";
    let Some(newline) = out.iter().position(|&b| b == b'\n') else {
        return Err(Failure::failed("your client printed less than two lines")
            .expected(expected)
            .got(wire::show(out)));
    };
    let first = String::from_utf8_lossy(&out[..newline]);
    let using = first
        .strip_prefix("using ")
        .and_then(|a| a.trim().parse::<SocketAddr>().ok())
        .ok_or_else(|| {
            Failure::failed("your client's first line is not `using IP:PORT`")
                .expected(expected)
                .got(wire::show(out))
        })?;
    let rest = &out[newline + 1..];
    let reply = rest.strip_suffix(b"\n").unwrap_or(rest).to_vec();
    Ok((using, reply))
}

/// Runs the student's client with MESSAGE against `peer`, each attempt
/// waiting `timeout`; returns what the client did and the peer's state.
fn against<S: Send + 'static>(
    ctx: &Ctx,
    peer: UdpPeer<S>,
    message: &str,
    timeout: Duration,
) -> (Result<Finished, Failure>, Result<S, Failure>) {
    let addr = peer.addr().to_string();
    let timeout = ctx.flag(timeout);
    let finished = ctx.run_client(
        "client",
        &["--timeout", &timeout, "--attempts", "3", &addr, message],
        Input::Nothing,
        secs(3),
    );
    (finished, peer.finish())
}

/// The client succeeded and printed `want` as its reply; returns the
/// address it said it used.
fn expect_printed_reply(
    finished: Result<Finished, Failure>,
    want: &[u8],
) -> Result<SocketAddr, Failure> {
    let finished = finished?;
    finished.expect_success()?;
    let (using, reply) = parse_output(&finished)?;
    wire::compare("the reply your client printed", want, &reply)?;
    Ok(using)
}

/// Where the first datagram came from, and the stage's own failure if the
/// peer saw none.
fn first_sender(from: Option<SocketAddr>) -> Result<SocketAddr, Failure> {
    from.ok_or_else(|| {
        Failure::timed_out("no datagram from your client reached the checker's server")
            .hint("send with send() on the connected socket, or send_to(ADDRESS)")
    })
}

pub(super) fn client_reply(ctx: &mut Ctx) -> Outcome {
    let peer = ctx.udp_peer("the checker's server", None, |from, sock, d| {
        if from.is_none() {
            wire::compare("the datagram your client sent", b"hello udp", &d.bytes)?;
            *from = Some(d.from);
            sock.send_to(&d.bytes.to_ascii_uppercase(), d.from)?;
        }
        Ok(())
    })?;
    let (finished, from) = against(ctx, peer, "hello udp", secs(2));
    let from = first_sender(from?)?;
    let using = expect_printed_reply(finished, b"HELLO UDP")?;
    if using != from {
        return Err(Failure::failed(format!("your client printed `using {using}`, but its datagram came from {from}"))
            .hint("print socket.local_addr() after bind and connect: with port 0 only the socket knows its port"));
    }
    Ok(())
}

pub(super) fn client_retry(ctx: &mut Ctx) -> Outcome {
    let peer = ctx.udp_peer("the checker's server", 0usize, |seen, sock, d| {
        *seen = d.number;
        if d.number <= 2 {
            sock.note(format!(
                "the checker's server drops datagram {} from {}, as a lossy network might",
                d.number, d.from
            ));
            Ok(())
        } else {
            sock.send_to(&d.bytes.to_ascii_uppercase(), d.from)
        }
    })?;
    ctx.note(format!(
        "the client is given --timeout {} --attempts 3",
        ctx.flag(ms(400))
    ));
    let (finished, seen) = against(ctx, peer, "try again", ms(400));
    let seen = seen?;
    if seen < 3 {
        return Err(Failure::failed(format!(
            "your client sent {seen} datagram(s): the checker dropped {seen}, and your client did not send again"
        ))
        .expected("a new attempt after each timeout, 3 in all")
        .got(format!("{seen} datagram(s)")));
    }
    expect_printed_reply(finished, b"TRY AGAIN").map(drop)
}

pub(super) fn client_silent(ctx: &mut Ctx) -> Outcome {
    let peer = ctx.udp_peer("the checker's server", 0usize, |seen, _, d| {
        *seen = d.number;
        Ok(())
    })?;
    ctx.note(format!(
        "the checker's server receives, and never answers; the client is given --timeout {} --attempts 3",
        ctx.flag(ms(150))
    ));
    let (finished, seen) = against(ctx, peer, "anyone there?", ms(150));
    let seen = seen?;
    ctx.note(format!("your client sent {seen} datagram(s) in all"));
    finished
        .map_err(|f| f.hint("your client waited for ever: set a read timeout (the --timeout value), and stop after the last attempt"))?
        .expect_one_line_error()?;
    if seen != 3 {
        return Err(Failure::failed(format!(
            "your client gave up after {seen} datagram(s), but was given --attempts 3"
        ))
        .expected("3 datagrams, one per attempt, then one line on stderr")
        .got(format!("{seen} datagram(s)")));
    }
    Ok(())
}

pub(super) fn client_refused(ctx: &mut Ctx) -> Outcome {
    let addr = wire::closed_udp_port()?.to_string();
    ctx.note(format!(
        "nothing listens on UDP {addr}: the OS answers with ICMP port unreachable"
    ));
    // A short timeout: a client that misses the refusal and retries
    // still ends well within the stage, and says something else.
    let timeout = ctx.flag(ms(300));
    let finished = ctx.run_client(
        "client",
        &["--timeout", &timeout, &addr, "hello?"],
        Input::Nothing,
        secs(3),
    )?;
    finished.expect_error_saying("refused")
}

pub(super) fn client_stranger(ctx: &mut Ctx) -> Outcome {
    let stranger = socket(ctx, "a stranger")?;
    let peer = ctx.udp_peer("the checker's server", stranger, |stranger, sock, d| {
        if d.number == 1 {
            stranger.send_to(b"NOT FOR YOU", d.from)?;
            thread::sleep(ms(100));
            sock.send_to(&d.bytes.to_ascii_uppercase(), d.from)?;
        }
        Ok(())
    })?;
    let (finished, _) = against(ctx, peer, "who is there?", secs(2));
    expect_printed_reply(finished, b"WHO IS THERE?").map(drop)
}
