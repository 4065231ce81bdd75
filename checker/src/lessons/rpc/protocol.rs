//! The stages of JSON-RPC's corners, on the student's name server: ids of
//! every type, notifications, batches, and the protocol's error codes.
//! The first three call only methods no object has (`wire.*`): they grade
//! the wire layer alone, before the name server's object is written.

use serde_json::{Value, json};

use crate::ctx::Ctx;
use crate::time::{self, ms};
use crate::verdict::{Failure, Outcome};
use crate::wire;

use super::jsonrpc::{Codes, call, check_reply, error, receive, send};
use super::ns::start_ns;

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

pub(super) fn error_codes(ctx: &mut Ctx) -> Outcome {
    let (_ns, mut c) = start_ns(ctx)?;
    c.send(b"{\"jsonrpc\": \"2.0\", \"method\": \n")?;
    let parse = receive(&mut c, "the reply to a line that is not JSON")?;
    if parse.pointer("/error/code") != Some(&json!(-32700)) || parse.get("id") != Some(&Value::Null)
    {
        return Err(
            Failure::failed("a line that is not JSON must get -32700 with id null")
                .got(parse.to_string()),
        );
    }
    send(&mut c, &json!({"jsonrpc": "2.0", "id": 1, "params": []}))?;
    let invalid = receive(&mut c, "the reply to a request without a method")?;
    if invalid.pointer("/error/code") != Some(&json!(-32600)) {
        return Err(
            Failure::failed("a request without a method must get -32600").got(invalid.to_string()),
        );
    }
    error(
        &mut c,
        "ns.fly",
        Value::Null,
        Codes::Is(-32601),
        "an unknown method",
    )?;
    error(
        &mut c,
        "nobody.lookup",
        Value::Null,
        Codes::Is(-32601),
        "an unknown object",
    )?;
    error(
        &mut c,
        "ns.lookup",
        json!([5]),
        Codes::Is(-32602),
        "a name that is not a string",
    )?;
    error(
        &mut c,
        "ns.lookup",
        Value::Null,
        Codes::Is(-32602),
        "a missing name",
    )?;
    // Still serving, on the same connection.
    call(&mut c, json!(2), "ns.list", Value::Null).map(|_| ())
}
