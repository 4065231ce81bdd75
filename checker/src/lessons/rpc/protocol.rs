//! The stages of JSON-RPC's corners, on the student's name server: lines
//! that are not UTF-8, not JSON, not requests; ids of every type,
//! notifications, batches. None needs an object: the first three never
//! reach one, and the others call only methods no object has (`wire.*`).
//! They grade the wire layer alone, before the name server's `ns` is
//! written, each step as soon as it is done.

use serde_json::{Value, json};

use crate::ctx::Ctx;
use crate::time::{self, ms};
use crate::verdict::{Failure, Outcome};
use crate::wire;

use crate::wire::Conn;

use super::jsonrpc::{call, check_reply, receive, send};
use super::ns::start_ns;

/// Reads the reply to `what`, which must be error `code` with id null.
fn null_id_error(c: &mut Conn, what: &str, code: i64, hint: &str) -> Outcome {
    let reply = receive(c, &format!("the reply to {what}"))?;
    if reply.get("id") != Some(&Value::Null) {
        return Err(Failure::failed(format!(
            "the reply to {what} must have id null"
        ))
        .expected(format!("an error reply with code {code} and \"id\": null"))
        .got(reply.to_string())
        .hint("when the request cannot be read, there is no telling its id: the error reply carries \"id\": null"));
    }
    check_reply(&reply, &Value::Null, what)?;
    if reply.pointer("/error/code") != Some(&json!(code)) {
        return Err(Failure::failed(format!("{what} must get error {code}"))
            .expected(format!("an error reply with code {code} and \"id\": null"))
            .got(reply.to_string())
            .hint(hint));
    }
    Ok(())
}

pub(super) fn garbage(ctx: &mut Ctx) -> Outcome {
    let (_ns, mut c) = start_ns(ctx)?;
    // serve_connection answers these itself: jsonrpc may be todo!() still.
    ctx.judge_one_step();
    c.note("lines of bytes that are not UTF-8: serve_connection answers each with -32700, and reads on");
    let hint = "read a line as bytes (read_until(b'\\n', &mut Vec<u8>)), then std::str::from_utf8: when it fails, write the -32700 reply (id null) and read the next line";
    for (line, what) in [
        (&b"\xff\xfe{\n"[..], "bytes that are not UTF-8"),
        (b"caf\xe9\r\n", "a Latin-1 line, not UTF-8"),
        (b"\xc3\x28\n", "a broken UTF-8 sequence"),
    ] {
        c.send(line)?;
        null_id_error(&mut c, what, -32700, hint)?;
    }
    Ok(())
}

pub(super) fn parse_errors(ctx: &mut Ctx) -> Outcome {
    let (_ns, mut c) = start_ns(ctx)?;
    // Lines that are not JSON never reach read() or answer().
    ctx.judge_one_step();
    c.note("lines that are UTF-8 but not JSON: each gets -32700 with id null, and the connection goes on");
    let hint = "serde_json::from_str the line: when it fails, answer -32700 with id null (jsonrpc::failure), and go on reading";
    // A blank line before each (nc, a person pressing Enter) is no message.
    for (line, what) in [
        ("{\"jsonrpc\": \"2.0\", \"method\": ", "a message cut short"),
        ("{oops", "{oops"),
        ("[1, 2,", "an array cut short"),
        ("calculator.add 2 3", "words, not JSON"),
    ] {
        c.send(format!("\r\n{line}\n").as_bytes())?;
        null_id_error(&mut c, what, -32700, hint)?;
    }
    // Four replies for four lines: any more answered a blank line.
    c.note("the checker closes its sending side: nothing more may come");
    c.shutdown_write()?;
    let more = c.read_to_end(64 << 10)?;
    if !more.is_empty() {
        return Err(Failure::failed(
            "the server sent more replies than the lines that were messages",
        )
        .expected("4 replies, for 4 lines of garbage (each after a blank line), then the end of the stream")
        .got(format!("{} more byte(s): {}", more.len(), String::from_utf8_lossy(&more).trim_end()))
        .hint("a blank line (only spaces, \\r or \\n) is no message: skip it without a reply, as the chapter's contract says"));
    }
    Ok(())
}

pub(super) fn invalid_requests(ctx: &mut Ctx) -> Outcome {
    let (_ns, mut c) = start_ns(ctx)?;
    // None of these is a request: none reaches answer().
    ctx.judge_one_step();
    c.note("JSON that is not a request: each gets -32600 with id null, and the connection goes on");
    let deep = format!("{}{}", "[".repeat(41), "]".repeat(41));
    let many = format!("[{}]", vec!["1"; 101].join(","));
    let cases = [
        (
            json!({"id": 1, "method": "wire.x"}).to_string(),
            "a request without \"jsonrpc\"",
        ),
        (
            json!({"jsonrpc": "1.0", "id": 1, "method": "wire.x"}).to_string(),
            "\"jsonrpc\": \"1.0\"",
        ),
        (
            json!({"jsonrpc": "2.0", "id": 1, "params": []}).to_string(),
            "a request without a method",
        ),
        (
            json!({"jsonrpc": "2.0", "id": 1, "method": 5}).to_string(),
            "a method that is not a string",
        ),
        (
            json!({"jsonrpc": "2.0", "id": [1], "method": "wire.x"}).to_string(),
            "an id that is an array",
        ),
        (
            json!({"jsonrpc": "2.0", "id": 1, "method": "wire.x", "params": 3}).to_string(),
            "params that are a number",
        ),
        ("5".to_string(), "a number, not an object"),
        ("[]".to_string(), "an empty batch"),
        (deep, "arrays nested 41 levels deep (the limit is 32)"),
        (many, "a batch of 101 items (the limit is 100)"),
    ];
    for (line, what) in cases {
        c.send(format!("{line}\n").as_bytes())?;
        null_id_error(
            &mut c,
            what,
            -32600,
            "check each rule in read(): an object, \"jsonrpc\": \"2.0\", a string method, an id that is a string, a number or null, params an array or an object; an empty batch, a batch over 100 and nesting over 32 levels are one -32600 each",
        )?;
    }
    Ok(())
}

pub(super) fn ids(ctx: &mut Ctx) -> Outcome {
    let (_ns, mut c) = start_ns(ctx)?;
    c.note("the checker calls wire.echo, which no object has: each reply is a -32601 error, with the id as it went");
    for id in [json!(7), json!("seven"), json!(null), json!(-2), json!("")] {
        call(&mut c, id, "wire.echo", Value::Null)?;
    }
    Ok(())
}

pub(super) fn notifications(ctx: &mut Ctx) -> Outcome {
    let (_ns, mut c) = start_ns(ctx)?;
    send(
        &mut c,
        &json!({"jsonrpc": "2.0", "method": "wire.poke", "params": ["quiet"]}),
    )?;
    // Nothing may come back: wait a moment for a reply that must not come.
    if let Ok(unasked) = c.recv_some(4096, time::scaled(ms(200)))
        && !unasked.is_empty()
    {
        c.log_received(&unasked);
        return Err(Failure::failed("the name server answered a notification")
            .expected("nothing: a request without an id is a notification")
            .got(wire::show(&unasked))
            .hint("a notification (no id) gets no reply at all, not even a result of null"));
    }
    c.note("nothing came back, as it should; now a call");
    // The next line must be the reply to this call.
    call(&mut c, json!(2), "wire.poke", json!(["loud"])).map_err(|f| {
        f.hint("a notification (no id) gets no reply at all, not even an error: its reply would be read as the next call's")
    })?;
    Ok(())
}

pub(super) fn batches(ctx: &mut Ctx) -> Outcome {
    let (_ns, mut c) = start_ns(ctx)?;
    let batch = json!([
        {"jsonrpc": "2.0", "id": 1, "method": "wire.a"},
        {"jsonrpc": "2.0", "method": "wire.b"},
        {"jsonrpc": "2.0", "id": "three", "method": "wire.c", "params": ["x"]},
        {"jsonrpc": "2.0", "id": 4, "method": "wire.d"},
    ]);
    send(&mut c, &batch)?;
    let replies = receive(&mut c, "the reply to a batch")?;
    let Some(replies) = replies.as_array() else {
        return Err(Failure::failed("the reply to a batch is not an array")
            .got(replies.to_string())
            .hint("answer an array of requests with an array of their replies"));
    };
    let ids: Vec<&Value> = replies.iter().filter_map(|r| r.get("id")).collect();
    if replies.len() != 3
        || !ids.contains(&&json!(1))
        || !ids.contains(&&json!("three"))
        || !ids.contains(&&json!(4))
    {
        return Err(Failure::failed("the batch's replies are not one per call")
            .expected("3 replies, ids 1, \"three\" and 4 in any order (none for the notification)")
            .got(Value::Array(replies.clone()).to_string()));
    }
    for r in replies {
        check_reply(r, &r["id"], "a call in a batch")?;
    }
    // An empty batch: one error, not an array.
    send(&mut c, &json!([]))?;
    let empty = receive(&mut c, "the reply to an empty batch")?;
    if empty.pointer("/error/code") != Some(&json!(-32600)) {
        return Err(
            Failure::failed("an empty batch must get one -32600 error").got(empty.to_string())
        );
    }
    // Notifications only: nothing comes back; the next call's reply comes first.
    send(
        &mut c,
        &json!([{"jsonrpc": "2.0", "method": "wire.e"}, {"jsonrpc": "2.0", "method": "wire.f"}]),
    )?;
    call(&mut c, json!(9), "wire.g", Value::Null).map_err(|f| {
        f.hint("a batch of notifications only gets no reply at all (not an empty array)")
    })?;
    Ok(())
}
