//! The name server's stages: register, lookup, list and unregister; a taken
//! name, an unknown one, wrong parameters; 20 clients registering at once.

use serde_json::{Value, json};

use crate::ctx::{Ctx, Server};
use crate::verdict::{Failure, Outcome};
use crate::wire::{self, Conn};

use super::jsonrpc::{APPLICATION, Codes, call, decode, error, expect_value, result};

/// Starts the student's name server, and connects to it as "the checker".
pub(super) fn start_ns(ctx: &Ctx) -> Result<(Server, Conn), Failure> {
    let server = ctx.start_server("ns", &["127.0.0.1:0"])?;
    let mut conn = ctx.connect(&server, "the checker")?;
    conn.decode_with(decode);
    Ok((server, conn))
}

/// The URI of object `name` at a server on loopback port `port`.
pub(super) fn uri(port: u16, name: &str) -> String {
    format!("rpc://127.0.0.1:{port}/{name}")
}

pub(super) fn ns_operations(ctx: &mut Ctx) -> Outcome {
    let (_ns, mut c) = start_ns(ctx)?;
    result(
        &mut c,
        "ns.register",
        json!(["calculator", uri(4001, "calculator")]),
    )?;
    result(
        &mut c,
        "ns.register",
        json!({"name": "counter", "uri": uri(4001, "counter")}),
    )?;
    let found = result(&mut c, "ns.lookup", json!(["calculator"]))?;
    expect_value(
        "ns.lookup calculator",
        &found,
        &json!(uri(4001, "calculator")),
    )?;
    let all = result(&mut c, "ns.list", Value::Null)?;
    expect_value(
        "ns.list()",
        &all,
        &json!({"calculator": uri(4001, "calculator"), "counter": uri(4001, "counter")}),
    )?;
    let some = result(&mut c, "ns.list", json!(["cou"]))?;
    expect_value(
        "ns.list(\"cou\")",
        &some,
        &json!({"counter": uri(4001, "counter")}),
    )?;
    result(&mut c, "ns.unregister", json!(["counter"]))?;
    let rest = result(&mut c, "ns.list", json!({"prefix": ""}))?;
    expect_value(
        "ns.list() after ns.unregister(\"counter\")",
        &rest,
        &json!({"calculator": uri(4001, "calculator")}),
    )
}

pub(super) fn ns_errors(ctx: &mut Ctx) -> Outcome {
    let (_ns, mut c) = start_ns(ctx)?;
    result(
        &mut c,
        "ns.register",
        json!(["calculator", uri(4001, "calculator")]),
    )?;
    let taken = error(
        &mut c,
        "ns.register",
        json!(["calculator", uri(4002, "calculator")]),
        APPLICATION,
        "registering a taken name must fail",
    )?;
    names_it(&taken, "calculator")?;
    result(
        &mut c,
        "ns.register",
        json!(["calculator", uri(4002, "calculator"), true]),
    )?;
    let found = result(&mut c, "ns.lookup", json!(["calculator"]))?;
    expect_value(
        "ns.lookup after replace",
        &found,
        &json!(uri(4002, "calculator")),
    )?;
    let unknown = error(
        &mut c,
        "ns.lookup",
        json!(["nobody"]),
        APPLICATION,
        "looking up an unknown name must fail",
    )?;
    names_it(&unknown, "nobody")?;
    error(
        &mut c,
        "ns.unregister",
        json!(["nobody"]),
        APPLICATION,
        "unregistering an unknown name must fail",
    )?;
    for (method, params, code, why) in [
        ("ns.fly", Value::Null, -32601, "an unknown method of ns"),
        (
            "ns.lookup",
            json!([5]),
            -32602,
            "a name that is not a string",
        ),
        ("ns.lookup", Value::Null, -32602, "a missing name"),
        (
            "ns.register",
            json!(["two words", uri(4001, "x")]),
            -32602,
            "a name with a space (a name is letters, digits, - and _)",
        ),
        (
            "ns.register",
            json!(["x", "http://127.0.0.1:1/x"]),
            -32602,
            "a URI that is not rpc://",
        ),
    ] {
        error(&mut c, method, params, Codes::Is(code), why)?;
    }
    // Still serving, on the same connection.
    result(&mut c, "ns.list", Value::Null).map(|_| ())
}

/// The error's message must name `name`.
fn names_it(error: &Value, name: &str) -> Outcome {
    let message = error["message"].as_str().unwrap_or_default();
    if message.contains(name) {
        return Ok(());
    }
    Err(Failure::failed("the error does not say which name")
        .expected(format!("a message with {name:?} in it"))
        .got(error.to_string()))
}

pub(super) fn ns_concurrent(ctx: &mut Ctx) -> Outcome {
    let (ns, mut c) = start_ns(ctx)?;
    ctx.idle_then_many(&ns, 20, |conn| {
        call(conn, json!(1), "ns.list", Value::Null).map(|_| ())
    })?;
    let quiet = wire::Transcript::new();
    ctx.note("20 clients each register a name of their own, all at once");
    ctx.all_at_once(20, |i| {
        let mut conn = Conn::connect(&quiet, &format!("client {i}"), ns.addr)?;
        result(
            &mut conn,
            "ns.register",
            json!([format!("object-{i}"), uri(5000, &format!("object-{i}"))]),
        )
        .map(|_| ())
    })?;
    let all = result(&mut c, "ns.list", json!(["object-"]))?;
    let kept = all.as_object().map_or(0, |m| m.len());
    if kept != 20 {
        return Err(Failure::failed(format!(
            "of 20 names registered at once, ns.list shows {kept}"
        ))
        .got(all.to_string())
        .hint("keep the names in one map behind a Mutex, locked for each whole operation"));
    }
    Ok(())
}
