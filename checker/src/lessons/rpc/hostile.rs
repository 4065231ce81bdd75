//! The stages of hostile input (deep nesting, bytes that are not UTF-8, a
//! 2 MiB line), to the name server and to the object server, while another
//! client is served.

use serde_json::{Value, json};

use crate::ctx::{Ctx, Server};
use crate::time;
use crate::verdict::{Failure, Outcome};
use crate::wire::{self, Conn};

use super::jsonrpc::{call, decode, receive};
use super::ns::start_ns;
use super::server::{connect_objects, start_object_server};

pub(super) fn hostile_input(ctx: &mut Ctx) -> Outcome {
    let (ns, c) = start_ns(ctx)?;
    survives_hostile(ctx, &ns, c, "wire.ping")
}

/// Deep nesting, bytes that are not UTF-8 and a 2 MiB line on `c`, while
/// another client goes on calling `method`: one no object has, so that
/// the wire layer alone is graded (any reply with the right id will do).
fn survives_hostile(ctx: &Ctx, server: &Server, mut c: Conn, method: &str) -> Outcome {
    let ns = server;
    let mut other = ctx.connect(ns, "another client")?;
    other.decode_with(decode);
    let deep = format!("{}{}\n", "[".repeat(10_000), "]".repeat(10_000));
    c.note("the checker sends 10,000 nested arrays");
    c.send_quietly(deep.as_bytes())?;
    let reply = receive(&mut c, "the reply to 10,000 nested arrays")?;
    if !matches!(
        reply.pointer("/error/code").and_then(Value::as_i64),
        Some(-32700 | -32600)
    ) {
        return Err(
            Failure::failed("deeply nested input must get a -32700 or -32600 error")
                .got(reply.to_string()),
        );
    }
    // Deeper than the contract's 32 levels, but not than serde_json's 128:
    // only a server that counts the levels itself refuses it.
    let params = format!("{}{}", "[".repeat(40), "]".repeat(40));
    let nested = format!(r#"{{"jsonrpc":"2.0","id":1,"method":"{method}","params":{params}}}"#);
    c.note("the checker sends a request nesting 41 levels deep");
    c.send(format!("{nested}\n").as_bytes())?;
    let reply = receive(&mut c, "the reply to a request 41 levels deep")?;
    if reply.pointer("/error/code") != Some(&json!(-32600)) {
        return Err(Failure::failed(
            "a message nesting deeper than 32 levels must get -32600",
        )
        .expected("an error reply with code -32600 (the contract's nesting limit is 32 levels)")
        .got(reply.to_string())
        .hint("count the depth of the parsed value (arrays and objects) and refuse more than MAX_DEPTH with -32600: serde_json alone stops only at 128"));
    }
    c.send(b"\xff\xfe{\n")?;
    let reply = receive(&mut c, "the reply to bytes that are not UTF-8")?;
    if reply.pointer("/error/code") != Some(&json!(-32700)) {
        return Err(
            Failure::failed("bytes that are not UTF-8 must get -32700")
                .got(reply.to_string())
                .hint("read the line as bytes (read_until into a Vec<u8>), then std::str::from_utf8: read_line into a String fails on such bytes instead"),
        );
    }
    call(&mut c, json!(1), method, Value::Null)?;
    c.note("the checker sends a line of 2 MiB");
    let long = vec![b'x'; 2 << 20];
    let _ = c.send_quietly(&long);
    // The other connection is served.
    call(&mut other, json!(1), method, Value::Null)
        .map_err(|f| f.context("after a 2 MiB line on another connection: "))?;
    over_long_line_closes(&mut c)?;
    ctx.check_alive(ns)
}

/// After a line over the limit (2 MiB, no newline yet), the connection
/// must end: an error reply first if the server likes, then the end of the
/// stream or a reset. A server that reads on would hold any number of
/// bytes for one client.
fn over_long_line_closes(c: &mut Conn) -> Outcome {
    let mut got = Vec::new();
    loop {
        match c.recv_some(64 << 10, time::patience()) {
            Ok(chunk) if chunk.is_empty() => break,
            Ok(chunk) if got.len() + chunk.len() <= 64 << 10 => {
                c.log_received(&chunk);
                got.extend_from_slice(&chunk);
            }
            Ok(_) => {
                return Err(Failure::failed(
                    "more than 64 KiB came back for a 2 MiB line",
                )
                .hint("a line over MAX_LINE gets at most one error reply, then the connection is closed"));
            }
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => break,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return Err(Failure::failed(format!(
                    "after a line of 2 MiB, the connection stayed open for {}",
                    time::say(time::patience())
                ))
                .expected("the connection closed: the contract's longest line is 1 MiB")
                .got(if got.is_empty() {
                    "nothing, and the connection open: the server is still reading the line".to_string()
                } else {
                    format!("{}, and the connection open", wire::show(&got))
                })
                .hint("read a line through take(MAX_LINE + 1): when it is longer than MAX_LINE, write one error reply and return, which closes the connection (reading on would hold any amount of memory for one client)"));
            }
            Err(e) => {
                return Err(Failure::failed(format!(
                    "after a line of 2 MiB, reading the connection failed: {e}"
                )));
            }
        }
    }
    c.note("the connection closed after the 2 MiB line, as it should");
    Ok(())
}

pub(super) fn server_hostile(ctx: &mut Ctx) -> Outcome {
    let (server, _ns, _) = start_object_server(ctx)?;
    let c = connect_objects(ctx, &server)?;
    survives_hostile(ctx, &server, c, "wire.ping")
}
