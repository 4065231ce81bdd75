//! The object server's limits against clients that do not play along: one
//! that sends and never reads must be dropped (a write deadline), and one
//! refused as one too many must read the busy reply, not a reset.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::ctx::{Ctx, Server};
use crate::peer::TcpPeer;
use crate::time::{self, ms, secs};
use crate::verdict::{Failure, Outcome};

use super::jsonrpc::call;
use super::scripted::checker_ns;
use super::server::connect_objects;

/// The most client A sends before the checker stops trying to fill the
/// way back.
const MAX_FLOOD: usize = 256 << 20;

/// One request line of `wire.ping`, a method no object has: its reply is
/// a -32601 error with id 1 (a refused client's has id null), and these
/// stages need no object written.
const GET: &str = r#"{"jsonrpc":"2.0","id":1,"method":"wire.ping"}"#;

/// Starts the student's object server with one place for clients.
fn one_place(ctx: &Ctx, idle: Duration) -> Result<(Server, TcpPeer<()>), Failure> {
    let (ns, _asked) = checker_ns(ctx, Vec::new())?;
    let addr = ns.addr().to_string();
    let idle = ctx.flag(idle);
    let server = ctx.start_server(
        "server",
        &[
            "--ns",
            &addr,
            "--max-clients",
            "1",
            "--idle-timeout",
            &idle,
            "127.0.0.1:0",
        ],
    )?;
    Ok((server, ns))
}

/// Sends batches of `wire.ping` to `addr` and never reads, until the
/// writes stall (the replies fill the way back, then the requests the
/// way there). Returns the connection, still open, and the bytes sent.
fn flood_without_reading(addr: SocketAddr) -> Result<(TcpStream, usize), Failure> {
    let broken = |e: std::io::Error| Failure::failed(format!("client A: {e}"));
    let stream = TcpStream::connect_timeout(&addr, time::patience()).map_err(broken)?;
    stream
        .set_write_timeout(Some(time::scaled(ms(300))))
        .map_err(broken)?;
    let batch = format!("[{}]\n", vec![GET; 100].join(","));
    let mut sent = 0;
    let mut out = &stream;
    while sent < MAX_FLOOD {
        match out.write(batch.as_bytes()) {
            Ok(n) => sent += n,
            // Stalled: the server stopped reading. Or it closed A already.
            Err(_) => break,
        }
    }
    Ok((stream, sent))
}

/// One quiet try at `wire.ping` on a new connection: its reply.
fn try_call(addr: SocketAddr) -> Result<Value, String> {
    try_call_then(addr, false)
}

/// One quiet try at `wire.ping` on a new connection: its reply, and, if
/// `to_the_end`, a clean end of the stream after it (not a reset, which
/// can overtake a reply and throw it away).
fn try_call_then(addr: SocketAddr, to_the_end: bool) -> Result<Value, String> {
    let stream = TcpStream::connect_timeout(&addr, time::patience()).map_err(|e| e.to_string())?;
    stream
        .set_read_timeout(Some(time::scaled(secs(1))))
        .map_err(|e| e.to_string())?;
    (&stream)
        .write_all(format!("{GET}\n").as_bytes())
        .map_err(|e| e.to_string())?;
    let mut line = String::new();
    let mut reader = BufReader::new(&stream);
    reader
        .read_line(&mut line)
        .map_err(|e| format!("reading the reply: {e}"))?;
    let reply = serde_json::from_str(&line).map_err(|_| format!("not a JSON line: {line:?}"))?;
    if to_the_end {
        // The client's request is in flight or unread: a server that
        // closes without reading it sends a reset.
        std::thread::sleep(time::scaled(ms(20)));
        let mut rest = Vec::new();
        match std::io::Read::read_to_end(&mut reader, &mut rest) {
            Ok(_) if rest.is_empty() => {}
            Ok(_) => return Err(format!("more after the busy reply: {rest:?}")),
            Err(e) => {
                return Err(format!(
                    "{line:?}, then a reset instead of the end of the stream: {e}"
                ));
            }
        }
    }
    Ok(reply)
}

pub(super) fn slow_reader(ctx: &mut Ctx) -> Outcome {
    let idle = ms(500);
    let (server, _ns) = one_place(ctx, idle)?;
    ctx.note("client A sends batches of wire.ping and never reads a reply");
    let (_a, sent) = flood_without_reading(server.addr)?;
    ctx.note(format!(
        "client A sent {:.1} MiB; its writes stall now: the server's replies fill the way back",
        sent as f64 / f64::from(1 << 20)
    ));
    let start = Instant::now();
    // The server may still be answering the batches it read before A's
    // writes stalled: on a busy machine that takes a while, so the place
    // must come free within the idle timeout and twice the usual patience.
    let deadline = start + time::scaled(idle) + 2 * time::patience();
    let mut last = String::new();
    while Instant::now() < deadline {
        match try_call(server.addr) {
            Ok(reply) if reply.get("id") == Some(&json!(1)) => {
                ctx.note(format!(
                    "another client was served {} after A stalled: {reply}",
                    time::say(start.elapsed())
                ));
                return Ok(());
            }
            Ok(reply) => last = reply.to_string(),
            Err(e) => last = e,
        }
        std::thread::sleep(time::scaled(ms(100)));
    }
    Err(Failure::failed(format!(
        "a client that sends and never reads held the only place for {}: the server never dropped it",
        time::say(start.elapsed())
    ))
    .expected(format!(
        "client A dropped within --idle-timeout {}, then another client served",
        ctx.flag(idle)
    ))
    .got(format!("another client, each time: {last}"))
    .hint("set_write_timeout(Some(idle_timeout)) on each connection too: a reply that cannot go out in time ends that connection, as a read that times out does"))
}

pub(super) fn busy_reply(ctx: &mut Ctx) -> Outcome {
    const REFUSED: usize = 20;
    let (server, _ns) = one_place(ctx, secs(20))?;
    let mut holder = connect_objects(ctx, &server)?;
    call(&mut holder, json!(1), "wire.ping", Value::Null)?;
    ctx.note(format!(
        "the checker holds the only place; {REFUSED} more clients each connect, send wire.ping at once, and read to the end"
    ));
    let mut busy = 0;
    let mut others = Vec::new();
    for _ in 0..REFUSED {
        match try_call_then(server.addr, true) {
            Ok(reply) if reply.pointer("/error/code") == Some(&json!(-32099)) => busy += 1,
            Ok(reply) => others.push(reply.to_string()),
            Err(e) => others.push(e),
        }
    }
    ctx.note(format!(
        "{busy} of {REFUSED} read the -32099 reply, then the end of the stream"
    ));
    if busy < REFUSED {
        return Err(Failure::failed(format!(
            "{busy} of {REFUSED} refused clients read the busy reply, then a clean end of the stream"
        ))
        .expected(format!("{REFUSED} -32099 error replies, each followed by the end of the stream"))
        .got(others.first().cloned().unwrap_or_default())
        .hint("after writing the -32099 reply, shutdown(Write), then read and drop what the client sent for a moment before closing: closing with unread data sends a reset, which can overtake the reply"));
    }
    call(&mut holder, json!(2), "wire.ping", Value::Null).map(|_| ())
}
