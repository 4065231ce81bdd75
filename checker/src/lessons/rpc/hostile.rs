//! The stages of hostile input (deep nesting, bytes that are not UTF-8, a
//! 2 MiB line), to the name server and to the object server, while another
//! client is served.

use serde_json::{Value, json};

use crate::ctx::{Ctx, Server};
use crate::verdict::{Failure, Outcome};
use crate::wire::Conn;

use super::jsonrpc::{call, decode, receive};
use super::ns::start_ns;
use super::server::{connect_objects, start_object_server};

pub(super) fn hostile_input(ctx: &mut Ctx) -> Outcome {
    let (ns, c) = start_ns(ctx)?;
    survives_hostile(ctx, &ns, c, "ns.list")
}

/// Deep nesting, bytes that are not UTF-8 and a 2 MiB line on `c`, while
/// another client goes on calling `method` (which takes no parameters).
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
    // That connection may be closed; the other is served.
    call(&mut other, json!(1), method, Value::Null)
        .map_err(|f| f.context("after a 2 MiB line on another connection: "))?;
    ctx.check_alive(ns)
}

pub(super) fn server_hostile(ctx: &mut Ctx) -> Outcome {
    let (server, _ns, _) = start_object_server(ctx)?;
    let c = connect_objects(ctx, &server)?;
    survives_hostile(ctx, &server, c, "counter.get")
}
