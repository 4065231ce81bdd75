//! Lesson 6, remote objects: the stages. The checker plays each role against the student's
//! others: a client of the name server and of the object server; a name
//! server for the object server; a name server and an object server for
//! the client. Every message is read and checked with serde_json on the
//! checker's side, never with the reference's types, and shown decoded in
//! the transcript.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::course::Stage;
use crate::course::{HandPeer, Lesson, Mistake, Role};
use crate::ctx::{Ctx, Finished, Server};
use crate::peer::TcpPeer;
use crate::process::Input;
use crate::time::{self, ms, secs};
use crate::verdict::{Failure, Outcome, Verdict};
use crate::wire::{self, Conn};

pub const LESSON: Lesson = Lesson {
    id: "rpc",
    title: "Remote objects: name server, server, proxies",
    level: 3,
    package: "rpc",
    roles: &[
        Role {
            id: "ns",
            name: "name server",
        },
        Role {
            id: "server",
            name: "object server",
        },
        Role {
            id: "client",
            name: "client",
        },
    ],
    chapter: "rpc.md",
    stages: STAGES,
    mistakes: MISTAKES,
    peer: Some(HandPeer {
        name: "rpc",
        run: serve_by_hand,
    }),
    reading: &[
        ("One call, from start to end", &["calculator", "end-to-end"]),
        (
            "The wire: JSON-RPC 2.0, one message per line",
            &[
                "ids",
                "notifications",
                "batches",
                "error-codes",
                "client-errors",
            ],
        ),
        (
            "Marshalling, and why not pickle",
            &["hostile-input", "server-hostile", "client-args"],
        ),
        (
            "Names and URIs",
            &[
                "ns-operations",
                "ns-errors",
                "registers",
                "unregisters",
                "client-call",
            ],
        ),
        ("One connection, and Nagle", &["many-calls"]),
    ],
};

const NS: &[&str] = &["ns"];
const SERVER: &[&str] = &["server"];
const CLIENT: &[&str] = &["client"];

const fn stage(
    roles: &'static [&'static str],
    id: &'static str,
    title: &'static str,
    hint: &'static str,
    run: fn(&mut Ctx) -> Outcome,
) -> Stage {
    Stage::five_points(roles, secs(30), id, title, hint, run)
}

const STAGES: &[Stage] = &[
    stage(
        NS,
        "ns-operations",
        "Name server: register, lookup, list, unregister",
        "ns.register(name, uri) keeps the pair; ns.lookup(name) gives the uri; ns.list(prefix) a JSON object of the names starting with prefix; ns.unregister(name) forgets it.",
        ns_operations,
    ),
    stage(
        NS,
        "ns-errors",
        "Name server: a taken name, an unknown name",
        "A taken name is an application error (a code from -32000 to -32099) unless replace is true; an unknown name is one too, and its message names the name.",
        ns_errors,
    ),
    stage(
        NS,
        "ids",
        "Ids come back with their exact type",
        "Echo the request's id as it came: serde_json::Value, not a number you parsed. 7 stays 7, \"7\" stays \"7\", null stays null.",
        ids,
    ),
    stage(
        NS,
        "notifications",
        "A notification is done, and never answered",
        "A request without an id is a notification: run it, and write nothing back.",
        notifications,
    ),
    stage(
        NS,
        "batches",
        "Batches, empty batches, batches of notifications",
        "An array is a batch: answer with an array of the replies. An empty array is one -32600 error; a batch of notifications only gets no reply at all.",
        batches,
    ),
    stage(
        NS,
        "error-codes",
        "-32700, -32600, -32601, -32602, and on serving",
        "Not JSON: -32700 with id null. Not a request: -32600. No such object or method: -32601. Wrong parameters: -32602. After each, keep reading the connection.",
        error_codes,
    ),
    stage(
        NS,
        "hostile-input",
        "Deep nesting, 2 MiB lines, bad UTF-8: others served",
        "Read a line with a limit (take(MAX + 1)); a line over it closes that connection only. Deep nesting and bad bytes get an error reply.",
        hostile_input,
    ),
    stage(
        NS,
        "ns-concurrent",
        "20 clients register at once, an idle one aside",
        "A thread per connection, and one map behind a Mutex: every name registered at once is kept, and an idle client holds up nobody.",
        ns_concurrent,
    ),
    stage(
        SERVER,
        "registers",
        "The object server registers its objects",
        "After bind, call ns.register(\"calculator\", \"rpc://ADDR/calculator\") and the same for counter, ADDR being the address you listen on; then print `listening on ADDR`.",
        registers,
    ),
    stage(
        SERVER,
        "calculator",
        "calculator: the four operations and their errors",
        "divide by zero is an application error with data; a parameter that is not a number is -32602; an unknown method -32601.",
        calculator,
    ),
    stage(
        SERVER,
        "counter-race",
        "20 clients increment at once: an exact total",
        "One count shared by every connection's thread: an AtomicI64 (fetch_add) or a Mutex, never a read then a write.",
        counter_race,
    ),
    stage(
        SERVER,
        "idle-timeout",
        "A client silent for --idle-timeout is dropped",
        "set_read_timeout(Some(idle_timeout)) on each connection; when a read times out, close that connection.",
        idle_timeout,
    ),
    stage(
        SERVER,
        "server-hostile",
        "Hostile input to the object server: others served",
        "The same limits as the name server's: a line longer than 1 MiB closes its connection only; too deep a message is an error reply.",
        server_hostile,
    ),
    stage(
        SERVER,
        "unregisters",
        "On SIGTERM the objects are unregistered",
        "Catch SIGTERM (ctrlc with its termination feature), call ns.unregister for each name, then exit.",
        unregisters,
    ),
    stage(
        CLIENT,
        "client-call",
        "The client finds its object and calls it",
        "Ask the name server (ns.lookup) for the object's URI, connect to rpc://HOST:PORT/OBJECT, send OBJECT.METHOD with the arguments, print the result as JSON.",
        client_call,
    ),
    stage(
        CLIENT,
        "client-args",
        "Arguments as JSON or strings; --list",
        "Read each ARG with serde_json::from_str; if that fails, it is a string. --list prints ns.list()'s result.",
        client_args,
    ),
    stage(
        CLIENT,
        "client-errors",
        "A remote error: its code and message, exit 1",
        "Tell a remote error (the reply's error member: print its code and message) from a broken connection; exit 1 for both.",
        client_errors,
    ),
    stage(
        CLIENT,
        "client-timeout",
        "A server that never answers: exit 1 after --timeout",
        "set_read_timeout on the connection: no reply within --timeout is an error, not a wait for ever.",
        client_timeout,
    ),
    Stage {
        deadline: secs(60),
        ..stage(
            CLIENT,
            "many-calls",
            "10,000 calls on one connection, each in one write",
            "Keep the connection open between calls, write each request in one write_all (message and newline together), and set_nodelay(true): otherwise Nagle's algorithm and delayed ACKs cost 40 ms a call.",
            many_calls,
        )
    },
    stage(
        ALL,
        "end-to-end",
        "Your three programs together",
        "The object server registers on your name server; your client looks the object up there and calls it.",
        end_to_end,
    ),
];

const ALL: &[&str] = &["ns", "server", "client"];

/// The wrong solutions in checker/fixtures that the stages must catch.
const MISTAKES: &[Mistake] = &[
    Mistake {
        what: "Keeping the id as a number, so a string id comes back null",
        fixture: "rpc-ns-numeric-ids",
        role: "ns",
        passes: Some("ns-operations"),
        fails: "ids",
        verdict: Verdict::Failed,
        says: "has another id",
        golden: true,
    },
    Mistake {
        what: "Answering notifications",
        fixture: "rpc-ns-answers-notifications",
        role: "ns",
        passes: Some("ns-operations"),
        fails: "notifications",
        verdict: Verdict::Failed,
        says: "gets no reply at all",
        golden: true,
    },
    Mistake {
        what: "A counter that reads, then writes, without a lock between",
        fixture: "rpc-server-racy-counter",
        role: "server",
        passes: Some("calculator"),
        fails: "counter-race",
        verdict: Verdict::Failed,
        says: "increments were lost",
        golden: false,
    },
    Mistake {
        what: "Exiting on SIGTERM without unregistering",
        fixture: "rpc-server-no-unregister",
        role: "server",
        passes: Some("registers"),
        fails: "unregisters",
        verdict: Verdict::Failed,
        says: "did not unregister",
        golden: true,
    },
    Mistake {
        what: "Writing a request in two pieces, Nagle's algorithm on",
        fixture: "rpc-client-two-writes",
        role: "client",
        passes: Some("client-call"),
        fails: "many-calls",
        verdict: Verdict::TimedOut,
        says: "Nagle's algorithm",
        golden: false,
    },
    Mistake {
        what: "A new connection for every call",
        fixture: "rpc-client-reconnects",
        role: "client",
        passes: Some("client-call"),
        fails: "many-calls",
        verdict: Verdict::Failed,
        says: "one connection",
        golden: false,
    },
];

// ---------------------------------------------------------------------
// JSON-RPC on the checker's side

/// The longest line the checker reads.
const MAX_LINE: usize = 1 << 20;

/// One line for the transcript: `call 1 ns.lookup ["x"]`, `reply 1 →
/// "rpc://…"`, `reply 1 error -32601 …`, `batch of 3`.
fn decode(bytes: &[u8]) -> Option<String> {
    let value: Value = serde_json::from_slice(bytes).ok()?;
    Some(describe(&value))
}

fn describe(value: &Value) -> String {
    let cut = |v: &Value| {
        let text = v.to_string();
        if text.chars().count() > 60 {
            format!("{}…", text.chars().take(60).collect::<String>())
        } else {
            text
        }
    };
    match value {
        Value::Array(items) => format!(
            "batch of {}: {}",
            items.len(),
            items
                .iter()
                .take(3)
                .map(describe)
                .collect::<Vec<_>>()
                .join("; ")
        ),
        Value::Object(m) if m.contains_key("method") => {
            let method = m["method"]
                .as_str()
                .map_or_else(|| cut(&m["method"]), str::to_string);
            let params = m.get("params").map(cut).unwrap_or_default();
            match m.get("id") {
                Some(id) => format!("call id={} {method} {params}", cut(id)),
                None => format!("notification {method} {params}"),
            }
        }
        Value::Object(m) => {
            let id = m.get("id").map(cut).unwrap_or_else(|| "(none)".into());
            match (m.get("result"), m.get("error")) {
                (Some(r), _) => format!("reply id={id} result {}", cut(r)),
                (_, Some(e)) => format!("reply id={id} error {}", cut(e)),
                _ => format!("reply id={id} with neither result nor error"),
            }
        }
        other => cut(other),
    }
}

/// Sends one message as one line.
fn send(conn: &mut Conn, message: &Value) -> Outcome {
    conn.send(format!("{message}\n").as_bytes())
}

/// Reads one line and parses it as JSON.
fn receive(conn: &mut Conn, what: &str) -> Result<Value, Failure> {
    let line = conn
        .recv_line(MAX_LINE, what)?
        .ok_or_else(|| Failure::failed(format!("the connection closed before {what}")))?;
    serde_json::from_slice(&line).map_err(|e| {
        Failure::failed(format!("{what} is not JSON: {e}"))
            .got(wire::show(&line))
            .hint("write each message with serde_json::to_string, then one \\n")
    })
}

/// A request.
fn request(id: Value, method: &str, params: Value) -> Value {
    let mut r = json!({"jsonrpc": "2.0", "id": id, "method": method});
    if !params.is_null() {
        r["params"] = params;
    }
    r
}

/// Checks the envelope of a reply to `id`: `"jsonrpc": "2.0"`, the same
/// id exactly, and one of result and error.
fn check_reply(reply: &Value, id: &Value, what: &str) -> Outcome {
    let fail = |why: &str| {
        Err(Failure::failed(format!("the reply to {what} {why}"))
            .got(reply.to_string())
            .hint("a reply is {\"jsonrpc\":\"2.0\",\"id\":…,\"result\":…} or with \"error\":{\"code\":…,\"message\":…} instead of result"))
    };
    if reply.get("jsonrpc") != Some(&json!("2.0")) {
        return fail("has no \"jsonrpc\": \"2.0\"");
    }
    if reply.get("id") != Some(id) {
        return Err(
            Failure::failed(format!("the reply to {what} has another id"))
                .expected(format!("id {id}, of the same type"))
                .got(reply.to_string())
                .hint("echo the id as it came: keep it as a serde_json::Value"),
        );
    }
    match (reply.get("result"), reply.get("error")) {
        (Some(_), None) => Ok(()),
        (None, Some(e))
            if e.get("code").is_some_and(Value::is_i64)
                && e.get("message").is_some_and(Value::is_string) =>
        {
            Ok(())
        }
        (None, Some(_)) => fail("has an error without an integer code and a message string"),
        _ => fail("must have exactly one of result and error"),
    }
}

/// Calls `method` with `params` on `conn` and returns the whole reply,
/// its envelope checked.
fn call(conn: &mut Conn, id: Value, method: &str, params: Value) -> Result<Value, Failure> {
    let what = format!("{method} (id {id})");
    send(conn, &request(id.clone(), method, params))?;
    let reply = receive(conn, &format!("the reply to {what}"))?;
    check_reply(&reply, &id, &what)?;
    Ok(reply)
}

/// The result of a call, which must succeed.
fn result(conn: &mut Conn, method: &str, params: Value) -> Result<Value, Failure> {
    let reply = call(conn, json!(1), method, params.clone())?;
    match reply.get("result") {
        Some(r) => Ok(r.clone()),
        None => Err(Failure::failed(format!("{method} {params} failed"))
            .expected("a result")
            .got(reply.to_string())),
    }
}

/// The error of a call, which must fail with a code in `codes`.
fn error(
    conn: &mut Conn,
    method: &str,
    params: Value,
    codes: std::ops::RangeInclusive<i64>,
    why: &str,
) -> Result<Value, Failure> {
    let reply = call(conn, json!(1), method, params.clone())?;
    let code = reply
        .pointer("/error/code")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    if !codes.contains(&code) {
        let want = if codes.start() == codes.end() {
            format!("error code {}", codes.start())
        } else {
            format!("an error code from {} to {}", codes.start(), codes.end())
        };
        return Err(Failure::failed(format!("{method} {params}: {why}"))
            .expected(want)
            .got(reply.to_string()));
    }
    Ok(reply["error"].clone())
}

/// Application errors.
const APPLICATION: std::ops::RangeInclusive<i64> = -32099..=-32000;

fn expect_value(what: &str, got: &Value, want: &Value) -> Outcome {
    if got == want {
        return Ok(());
    }
    Err(Failure::failed(format!("{what}: not the expected result"))
        .expected(want.to_string())
        .got(got.to_string()))
}

// ---------------------------------------------------------------------
// The name server's stages

fn start_ns(ctx: &Ctx) -> Result<(Server, Conn), Failure> {
    let server = ctx.start_server("ns", &["127.0.0.1:0"])?;
    let mut conn = ctx.connect(&server, "the checker")?;
    conn.decode_with(decode);
    Ok((server, conn))
}

fn uri(port: u16, name: &str) -> String {
    format!("rpc://127.0.0.1:{port}/{name}")
}

fn ns_operations(ctx: &mut Ctx) -> Outcome {
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

fn ns_errors(ctx: &mut Ctx) -> Outcome {
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
    Ok(())
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

fn ids(ctx: &mut Ctx) -> Outcome {
    let (_ns, mut c) = start_ns(ctx)?;
    for id in [json!(7), json!("seven"), json!(null), json!(-2), json!("")] {
        call(&mut c, id, "ns.list", Value::Null)?;
    }
    Ok(())
}

fn notifications(ctx: &mut Ctx) -> Outcome {
    let (_ns, mut c) = start_ns(ctx)?;
    send(
        &mut c,
        &json!({"jsonrpc": "2.0", "method": "ns.register", "params": ["quiet", uri(4001, "quiet")]}),
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
    let reply = call(&mut c, json!(2), "ns.lookup", json!(["quiet"])).map_err(|f| {
        f.hint("a notification (no id) gets no reply at all, not even a result of null")
    })?;
    expect_value(
        "ns.lookup of the name registered by a notification",
        &reply["result"],
        &json!(uri(4001, "quiet")),
    )
}

fn batches(ctx: &mut Ctx) -> Outcome {
    let (_ns, mut c) = start_ns(ctx)?;
    let batch = json!([
        {"jsonrpc": "2.0", "id": 1, "method": "ns.register", "params": ["a", uri(4001, "a")]},
        {"jsonrpc": "2.0", "method": "ns.register", "params": ["b", uri(4001, "b")]},
        {"jsonrpc": "2.0", "id": "three", "method": "ns.lookup", "params": ["nobody"]},
        {"jsonrpc": "2.0", "id": 4, "method": "ns.list"},
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
        &json!([{"jsonrpc": "2.0", "method": "ns.list"}, {"jsonrpc": "2.0", "method": "ns.list"}]),
    )?;
    call(&mut c, json!(9), "ns.lookup", json!(["a"])).map_err(|f| {
        f.hint("a batch of notifications only gets no reply at all (not an empty array)")
    })?;
    Ok(())
}

fn error_codes(ctx: &mut Ctx) -> Outcome {
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
        -32601..=-32601,
        "an unknown method",
    )?;
    error(
        &mut c,
        "nobody.lookup",
        Value::Null,
        -32601..=-32601,
        "an unknown object",
    )?;
    error(
        &mut c,
        "ns.lookup",
        json!([5]),
        -32602..=-32602,
        "a name that is not a string",
    )?;
    error(
        &mut c,
        "ns.lookup",
        Value::Null,
        -32602..=-32602,
        "a missing name",
    )?;
    // Still serving, on the same connection.
    call(&mut c, json!(2), "ns.list", Value::Null).map(|_| ())
}

fn hostile_input(ctx: &mut Ctx) -> Outcome {
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
    c.send(b"\xff\xfe{\n")?;
    let reply = receive(&mut c, "the reply to bytes that are not UTF-8")?;
    if reply.pointer("/error/code") != Some(&json!(-32700)) {
        return Err(
            Failure::failed("bytes that are not UTF-8 must get -32700").got(reply.to_string())
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

// ---------------------------------------------------------------------
// The checker's name server, for the object server and the client

/// What the checker's name server was asked, in order: (method, params).
type Asked = Arc<Mutex<Vec<(String, Value)>>>;

/// Starts the checker's name server: it answers ns.register,
/// ns.unregister, ns.lookup and ns.list from a map (seeded with `names`),
/// and records every request.
fn checker_ns(ctx: &Ctx, names: Vec<(String, String)>) -> Result<(TcpPeer<()>, Asked), Failure> {
    let asked: Asked = Arc::default();
    let map = Arc::new(Mutex::new(
        names
            .into_iter()
            .collect::<std::collections::BTreeMap<_, _>>(),
    ));
    let log = Arc::clone(&asked);
    let peer = ctx.tcp_peer_at(
        "127.0.0.1:0",
        "the checker's name server",
        Some(decode),
        move |conn, _| {
            loop {
                let Some(line) = conn.recv_line(MAX_LINE, "a request")? else {
                    return Ok(());
                };
                let request: Value = serde_json::from_slice(&line).map_err(|e| {
                    Failure::failed(format!("the request to the name server is not JSON: {e}"))
                        .got(wire::show(&line))
                })?;
                let method = request["method"].as_str().unwrap_or_default().to_string();
                let params = request.get("params").cloned().unwrap_or(Value::Null);
                log.lock().unwrap_or_else(|e| e.into_inner()).push((method.clone(), params.clone()));
                let arg = |i: usize, name: &str| {
                    params
                        .get(i)
                        .or_else(|| params.get(name))
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_string()
                };
                let mut map = map.lock().unwrap_or_else(|e| e.into_inner());
                let outcome = match method.as_str() {
                    "ns.register" => {
                        map.insert(arg(0, "name"), arg(1, "uri"));
                        Ok(Value::Null)
                    }
                    "ns.unregister" => Ok(map.remove(&arg(0, "name")).map(|_| Value::Null).unwrap_or(Value::Null)),
                    "ns.lookup" => map
                        .get(&arg(0, "name"))
                        .map(|u| json!(u))
                        .ok_or_else(|| json!({"code": -32002, "message": format!("no object is registered as {:?}", arg(0, "name"))})),
                    "ns.list" => Ok(json!(map.clone())),
                    _ => Err(json!({"code": -32601, "message": format!("no method {method:?}")})),
                };
                drop(map);
                let Some(id) = request.get("id") else {
                    continue;
                };
                let reply = match outcome {
                    Ok(r) => json!({"jsonrpc": "2.0", "id": id, "result": r}),
                    Err(e) => json!({"jsonrpc": "2.0", "id": id, "error": e}),
                };
                send(conn, &reply)?;
            }
        },
    )?;
    Ok((peer, asked))
}

/// What the checker's name server was asked, one call a line.
fn shown(asked: &[(String, Value)]) -> String {
    if asked.is_empty() {
        return "nothing".into();
    }
    asked
        .iter()
        .map(|(m, p)| format!("{m} {p}"))
        .collect::<Vec<_>>()
        .join("; ")
}

fn asked_now(asked: &Asked) -> Vec<(String, Value)> {
    asked.lock().unwrap_or_else(|e| e.into_inner()).clone()
}

/// Waits until `done(asked)` holds, or `timeout` passes.
fn wait_for(asked: &Asked, timeout: Duration, done: impl Fn(&[(String, Value)]) -> bool) -> bool {
    let deadline = Instant::now() + time::scaled(timeout);
    while Instant::now() < deadline {
        if done(&asked_now(asked)) {
            return true;
        }
        std::thread::sleep(ms(10));
    }
    done(&asked_now(asked))
}

/// The name (and uri) of each ns.register the checker's name server saw.
fn registered(asked: &[(String, Value)]) -> Vec<(String, String)> {
    asked
        .iter()
        .filter(|(m, _)| m == "ns.register")
        .map(|(_, p)| {
            let get = |i: usize, n: &str| {
                p.get(i)
                    .or_else(|| p.get(n))
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string()
            };
            (get(0, "name"), get(1, "uri"))
        })
        .collect()
}

/// Starts the student's object server against the checker's name server.
fn start_object_server(ctx: &Ctx) -> Result<(Server, TcpPeer<()>, Asked), Failure> {
    let (ns, asked) = checker_ns(ctx, Vec::new())?;
    let addr = ns.addr().to_string();
    let server = ctx.start_server("server", &["--ns", &addr, "127.0.0.1:0"])?;
    Ok((server, ns, asked))
}

fn registers(ctx: &mut Ctx) -> Outcome {
    let (server, ns, asked) = start_object_server(ctx)?;
    let want = [
        (
            "calculator".to_string(),
            format!("rpc://{}/calculator", server.addr),
        ),
        (
            "counter".to_string(),
            format!("rpc://{}/counter", server.addr),
        ),
    ];
    wait_for(&asked, secs(2), |a| {
        want.iter().all(|w| registered(a).contains(w))
    });
    let seen = registered(&asked_now(&asked));
    let _ = ns.finish();
    for w in &want {
        if !seen.contains(w) {
            return Err(Failure::failed(format!("the object server did not register {}", w.0))
                .expected(format!("ns.register({:?}, {:?})", w.0, w.1))
                .got(
                    seen.iter()
                        .map(|(n, u)| format!("ns.register({n:?}, {u:?})"))
                        .collect::<Vec<_>>()
                        .join("; "),
                )
                .hint("register each object as rpc://ADDR/NAME, ADDR being the address you listen on (the one you print)"));
        }
    }
    Ok(())
}

fn connect_objects(ctx: &Ctx, server: &Server) -> Result<Conn, Failure> {
    let mut c = ctx.connect(server, "the checker")?;
    c.decode_with(decode);
    Ok(c)
}

fn calculator(ctx: &mut Ctx) -> Outcome {
    let (server, _ns, _) = start_object_server(ctx)?;
    let mut c = connect_objects(ctx, &server)?;
    for (method, params, want) in [
        ("calculator.add", json!([2, 3]), 5.0),
        ("calculator.subtract", json!({"a": 2, "b": 3.5}), -1.5),
        ("calculator.multiply", json!([4, 2.5]), 10.0),
        ("calculator.divide", json!([1, 4]), 0.25),
    ] {
        let got = result(&mut c, method, params.clone())?;
        if got.as_f64() != Some(want) {
            return Err(
                Failure::failed(format!("{method} {params}: a wrong result"))
                    .expected(want.to_string())
                    .got(got.to_string()),
            );
        }
    }
    let zero = error(
        &mut c,
        "calculator.divide",
        json!([1, 0]),
        APPLICATION,
        "division by zero is an application error",
    )?;
    if zero.get("data").is_none() {
        return Err(Failure::failed("the division-by-zero error has no data")
            .got(zero.to_string())
            .hint("say more in the error's data member: the operands, for example"));
    }
    error(
        &mut c,
        "calculator.add",
        json!([1, "two"]),
        -32602..=-32602,
        "a parameter that is not a number",
    )?;
    error(
        &mut c,
        "calculator.power",
        json!([1, 2]),
        -32601..=-32601,
        "an unknown method",
    )?;
    Ok(())
}

fn counter_race(ctx: &mut Ctx) -> Outcome {
    let (server, _ns, _) = start_object_server(ctx)?;
    const CLIENTS: usize = 20;
    const EACH: usize = 50;
    ctx.note(format!(
        "{CLIENTS} clients each call counter.increment {EACH} times, all at once"
    ));
    let log = wire::Transcript::new();
    ctx.all_at_once(CLIENTS, |i| {
        let mut c = Conn::connect(&log, &format!("client {i}"), server.addr)?;
        let mut last = 0;
        for n in 0..EACH {
            let reply = call(&mut c, json!(n), "counter.increment", Value::Null)?;
            let now = reply["result"].as_i64().unwrap_or(-1);
            if now <= last {
                return Err(Failure::failed(format!(
                    "client {i}: counter.increment gave {now} after {last}: increments were lost"
                ))
                .hint("two threads read the same count and both wrote it plus one: use fetch_add, or hold a Mutex across the read and the write"));
            }
            last = now;
        }
        Ok(())
    })?;
    let mut c = connect_objects(ctx, &server)?;
    let total = result(&mut c, "counter.get", Value::Null)?;
    expect_value(
        &format!("counter.get after {CLIENTS} × {EACH} increments at once"),
        &total,
        &json!(CLIENTS * EACH),
    )
    .map_err(|f| f.hint("increments were lost: two threads read the same count and both wrote it plus one. Use fetch_add, or hold a Mutex across the read and the write"))
}

fn unregisters(ctx: &mut Ctx) -> Outcome {
    let (server, _ns, asked) = start_object_server(ctx)?;
    wait_for(&asked, secs(2), |a| registered(a).len() >= 2);
    ctx.note("the checker sends SIGTERM to the object server");
    // SAFETY: kill(2) on a process of the stage's own.
    unsafe {
        libc::kill(server.pid as i32, libc::SIGTERM);
    }
    let gone = |a: &[(String, Value)]| {
        let names: Vec<String> = a
            .iter()
            .filter(|(m, _)| m == "ns.unregister")
            .filter_map(|(_, p)| {
                p.get(0)
                    .or_else(|| p.get("name"))
                    .and_then(Value::as_str)
                    .map(str::to_string)
            })
            .collect();
        names.iter().any(|n| n == "calculator") && names.iter().any(|n| n == "counter")
    };
    if !wait_for(&asked, secs(3), gone) {
        return Err(Failure::failed("after SIGTERM the object server did not unregister calculator and counter")
            .got(shown(&asked_now(&asked)))
            .hint("a name server must not send clients to a server that is gone: catch SIGTERM and call ns.unregister for each name before exiting"));
    }
    Ok(())
}

// ---------------------------------------------------------------------
// The checker's object server, for the client

/// What the checker's object server was asked: each request, and the
/// number of the connection it came on.
type Calls = Arc<Mutex<Vec<(usize, Value)>>>;

/// Starts the checker's object server; `answer` gives each call's reply
/// (`None`: no reply at all).
fn checker_objects(
    ctx: &Ctx,
    answer: impl Fn(&Value) -> Option<Value> + Send + Sync + 'static,
) -> Result<(TcpPeer<()>, Calls), Failure> {
    let calls: Calls = Arc::default();
    let log = Arc::clone(&calls);
    let peer = ctx.tcp_peer_at(
        "127.0.0.1:0",
        "the checker's object server",
        None,
        move |conn, n| {
            let (mut count, mut pending) = (0usize, Vec::new());
            while let Some(line) = next_line(conn, &mut pending)? {
                count += 1;
                // The first few are shown; then they are only counted, or
                // 10,000 calls would bury the transcript.
                if count <= 3 {
                    conn.log_received(&line);
                } else if count == 4 {
                    conn.note(
                        "(the checker's object server shows no more of this connection's calls)",
                    );
                }
                let request: Value = serde_json::from_slice(&line).map_err(|e| {
                    Failure::failed(format!("the client's request is not JSON: {e}"))
                        .got(wire::show(&line))
                })?;
                log.lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push((n, request.clone()));
                if let Some(reply) = answer(&request) {
                    conn.send_quietly(format!("{reply}\n").as_bytes())?;
                }
            }
            Ok(())
        },
    )?;
    Ok((peer, calls))
}

/// The next line from `conn` (without logging it), `None` at the end of
/// the stream or when the stage stops the peer.
fn next_line(conn: &mut Conn, pending: &mut Vec<u8>) -> Result<Option<Vec<u8>>, Failure> {
    loop {
        if let Some(at) = pending.iter().position(|b| *b == b'\n') {
            let rest = pending.split_off(at + 1);
            return Ok(Some(std::mem::replace(pending, rest)));
        }
        if pending.len() > MAX_LINE {
            return Err(Failure::failed("the client sent a line longer than 1 MiB"));
        }
        match conn.recv_some(64 << 10, secs(3600)) {
            Ok(chunk) if chunk.is_empty() => return Ok(None),
            Ok(chunk) => pending.extend_from_slice(&chunk),
            // Stopped (the stage is over), or the connection failed.
            Err(_) => return Ok(None),
        }
    }
}

/// A reply to `request` with `result`.
fn ok_reply(request: &Value, result: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": request["id"], "result": result})
}

/// The checker's name server knowing `object` at the checker's object
/// server, and that object server.
fn objects_for_client(
    ctx: &Ctx,
    object: &str,
    answer: impl Fn(&Value) -> Option<Value> + Send + Sync + 'static,
) -> Result<(TcpPeer<()>, Asked, TcpPeer<()>, Calls), Failure> {
    let (objects, calls) = checker_objects(ctx, answer)?;
    let uri = format!("rpc://{}/{object}", objects.addr());
    let (ns, asked) = checker_ns(ctx, vec![(object.to_string(), uri)])?;
    Ok((ns, asked, objects, calls))
}

fn run_client(
    ctx: &Ctx,
    ns: &TcpPeer<()>,
    args: &[&str],
    timeout: Duration,
) -> Result<Finished, Failure> {
    let ns = ns.addr().to_string();
    let t = ctx.flag(timeout);
    let mut all = vec!["--ns", &ns, "--timeout", &t];
    all.extend(args);
    ctx.run_client("client", &all, Input::Nothing, secs(10))
}

/// The request the checker's object server saw must be `method` with
/// `params`, in JSON-RPC 2.0 with an id.
fn check_request(calls: &Calls, method: &str, params: &Value) -> Outcome {
    let calls = calls.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let Some((_, request)) = calls.first() else {
        return Err(Failure::failed("the client never called the checker's object server")
            .hint("ns.lookup gives rpc://HOST:PORT/OBJECT: connect to HOST:PORT and send the call there"));
    };
    let fine = request.get("jsonrpc") == Some(&json!("2.0"))
        && request.get("method") == Some(&json!(method))
        && request.get("params") == Some(params)
        && request
            .get("id")
            .is_some_and(|id| id.is_number() || id.is_string());
    if !fine {
        return Err(Failure::failed("the client's request is not the one asked for")
            .expected(json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).to_string())
            .got(request.to_string())
            .hint("OBJECT.METHOD as the method, the arguments as the params array, an id, and \"jsonrpc\": \"2.0\""));
    }
    Ok(())
}

fn client_call(ctx: &mut Ctx) -> Outcome {
    let (ns, asked, objects, calls) =
        objects_for_client(ctx, "calculator", |r| Some(ok_reply(r, json!(5))))?;
    let finished = run_client(ctx, &ns, &["calculator", "add", "2", "3"], secs(2))?;
    let _ = (ns.finish(), objects.finish());
    let looked_up = asked_now(&asked).iter().any(|(m, p)| {
        m == "ns.lookup"
            && (p.get(0) == Some(&json!("calculator"))
                || p.get("name") == Some(&json!("calculator")))
    });
    if !looked_up {
        return Err(
            Failure::failed("the client did not ask the name server for calculator")
                .got(shown(&asked_now(&asked)))
                .hint("call ns.lookup(\"calculator\") on the --ns address first"),
        );
    }
    check_request(&calls, "calculator.add", &json!([2, 3]))?;
    finished.expect_exit("rpc-client calculator add 2 3", 0, b"5\n")
}

fn client_args(ctx: &mut Ctx) -> Outcome {
    let (ns, _asked, objects, calls) =
        objects_for_client(ctx, "echo", |r| Some(ok_reply(r, r["params"].clone())))?;
    let finished = run_client(
        ctx,
        &ns,
        &[
            "echo",
            "say",
            "hello",
            "[1,2]",
            "{\"a\":null}",
            "2.5",
            "true",
            "two words",
        ],
        secs(2),
    )?;
    let params = json!(["hello", [1, 2], {"a": null}, 2.5, true, "two words"]);
    check_request(&calls, "echo.say", &params)?;
    finished.expect_exit("rpc-client echo say …", 0, format!("{params}\n").as_bytes())?;
    let listed = run_client(ctx, &ns, &["--list"], secs(2))?;
    let _ = (ns.finish(), objects.finish());
    let printed: Value = serde_json::from_slice(&listed.stdout).unwrap_or(Value::Null);
    if !printed.get("echo").is_some_and(Value::is_string) {
        return Err(
            Failure::failed("rpc-client --list did not print the names as JSON")
                .got(wire::show(&listed.stdout)),
        );
    }
    Ok(())
}

fn client_errors(ctx: &mut Ctx) -> Outcome {
    let (ns, _asked, objects, _calls) = objects_for_client(ctx, "calculator", |r| {
        Some(
            json!({"jsonrpc": "2.0", "id": r["id"], "error": {"code": -32010, "message": "division by zero", "data": {"a": 1, "b": 0}}}),
        )
    })?;
    let finished = run_client(ctx, &ns, &["calculator", "divide", "1", "0"], secs(2))?;
    finished.expect_one_line_error()?;
    if !finished.stderr.contains("-32010") || !finished.stderr.contains("division by zero") {
        return Err(
            Failure::failed("the remote error's code and message were not printed")
                .expected("a line with -32010 and \"division by zero\"")
                .got(wire::quote_text(finished.stderr.trim())),
        );
    }
    let unknown = run_client(ctx, &ns, &["nobody", "x"], secs(2))?;
    let _ = (ns.finish(), objects.finish());
    unknown.expect_one_line_error()?;
    if !unknown.stderr.contains("nobody") {
        return Err(
            Failure::failed("for an unknown name, the error does not name it")
                .got(wire::quote_text(unknown.stderr.trim())),
        );
    }
    Ok(())
}

fn client_timeout(ctx: &mut Ctx) -> Outcome {
    let (ns, _asked, objects, _calls) = objects_for_client(ctx, "calculator", |_| None)?;
    ctx.note("the checker's object server reads the call and never answers");
    let finished =
        run_client(ctx, &ns, &["calculator", "add", "1", "2"], ms(300)).map_err(|f| {
            f.hint("set_read_timeout(Some(timeout)) on the connection before waiting for a reply")
        })?;
    let _ = (ns.finish(), objects.finish());
    finished.expect_one_line_error()
}

fn many_calls(ctx: &mut Ctx) -> Outcome {
    const N: usize = 10_000;
    let (ns, _asked, objects, calls) =
        objects_for_client(ctx, "counter", |r| Some(ok_reply(r, json!(1))))?;
    let start = Instant::now();
    let n = N.to_string();
    let finished = run_client(ctx, &ns, &["--repeat", &n, "counter", "get"], secs(5));
    let took = start.elapsed();
    let _ = (ns.finish(), objects.finish());
    let calls = calls.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let connections = calls
        .iter()
        .map(|(c, _)| *c)
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    ctx.note(format!(
        "{} calls on {connections} connection(s) in {:.2} s",
        calls.len(),
        took.as_secs_f64()
    ));
    if connections > 1 {
        return Err(Failure::failed(format!(
            "{} calls came on {connections} connections",
            calls.len()
        ))
        .expected("one connection, kept from the first call to the last")
        .hint("open the connection on the first call and keep it in the proxy: a new connection costs a handshake, and a port in TIME_WAIT"));
    }
    let finished = finished.map_err(|f| {
        if calls.len() >= N {
            return f;
        }
        let each = took.as_secs_f64() * 1000.0 / calls.len().max(1) as f64;
        Failure::timed_out(format!(
            "only {} of {N} calls were made in {:.1} s: {each:.1} ms a call, where a call on loopback takes microseconds",
            calls.len(),
            took.as_secs_f64()
        ))
        .hint("about 40 ms a call is Nagle's algorithm meeting a delayed ACK: write each request in one write_all (the JSON and its newline together), and set_nodelay(true)")
    })?;
    finished.expect_exit(&format!("rpc-client --repeat {N} counter get"), 0, b"1\n")?;
    if calls.len() != N {
        return Err(Failure::failed(format!(
            "the checker's object server saw {} calls, not {N}",
            calls.len()
        )));
    }
    Ok(())
}

fn ns_concurrent(ctx: &mut Ctx) -> Outcome {
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

fn idle_timeout(ctx: &mut Ctx) -> Outcome {
    let (ns, _asked) = checker_ns(ctx, Vec::new())?;
    let addr = ns.addr().to_string();
    let idle = ctx.flag(ms(500));
    let server = ctx.start_server(
        "server",
        &["--ns", &addr, "--idle-timeout", &idle, "127.0.0.1:0"],
    )?;
    ctx.expect_idle_drop(&server, |c| c.send(b"{\"jsonrpc\": \"2.0\","))?;
    let mut c = connect_objects(ctx, &server)?;
    call(&mut c, json!(1), "counter.get", Value::Null).map(|_| ())
}

fn server_hostile(ctx: &mut Ctx) -> Outcome {
    let (server, _ns, _) = start_object_server(ctx)?;
    let c = connect_objects(ctx, &server)?;
    survives_hostile(ctx, &server, c, "counter.get")
}

fn end_to_end(ctx: &mut Ctx) -> Outcome {
    let ns = ctx.start_server("ns", &["127.0.0.1:0"])?;
    let addr = ns.addr.to_string();
    ctx.start_server("server", &["--ns", &addr, "127.0.0.1:0"])?;
    let t = ctx.flag(secs(2));
    let multiply = ctx.run_client(
        "client",
        &[
            "--ns",
            &addr,
            "--timeout",
            &t,
            "calculator",
            "multiply",
            "6",
            "7",
        ],
        Input::Nothing,
        secs(10),
    )?;
    multiply.expect_exit("rpc-client calculator multiply 6 7", 0, b"42\n")?;
    let increment = ctx.run_client(
        "client",
        &["--ns", &addr, "--timeout", &t, "counter", "increment"],
        Input::Nothing,
        secs(10),
    )?;
    increment.expect_exit("rpc-client counter increment", 0, b"1\n")
}

// ---------------------------------------------------------------------
// By hand

/// What the hand peer keeps: the names, and the counter.
#[derive(Default)]
struct HandState {
    names: std::collections::BTreeMap<String, String>,
    count: i64,
}

/// The hand peer's answer to one request (`None` for a notification).
fn hand_answer(request: &Value, state: &Mutex<HandState>) -> Option<Value> {
    let id = request.get("id").cloned();
    let method = request["method"].as_str().unwrap_or_default();
    let p = request.get("params").cloned().unwrap_or(Value::Null);
    let arg = |i: usize, name: &str| {
        p.get(i)
            .or_else(|| p.get(name))
            .cloned()
            .unwrap_or(Value::Null)
    };
    let num = |i: usize, name: &str| arg(i, name).as_f64();
    let mut st = state.lock().unwrap_or_else(|e| e.into_inner());
    let outcome: Result<Value, (i64, String)> = match method {
        _ if request.get("jsonrpc") != Some(&json!("2.0")) => {
            Err((-32600, "not a JSON-RPC 2.0 request".into()))
        }
        "ns.register" => {
            let name = arg(0, "name").as_str().unwrap_or_default().to_string();
            st.names
                .insert(name, arg(1, "uri").as_str().unwrap_or_default().to_string());
            Ok(Value::Null)
        }
        "ns.lookup" => {
            let name = arg(0, "name");
            let name = name.as_str().unwrap_or_default();
            st.names
                .get(name)
                .map(|u| json!(u))
                .ok_or((-32002, format!("no object is registered as {name:?}")))
        }
        "ns.list" => Ok(json!(st.names)),
        "ns.unregister" => {
            st.names.remove(arg(0, "name").as_str().unwrap_or_default());
            Ok(Value::Null)
        }
        "calculator.add" | "calculator.subtract" | "calculator.multiply" | "calculator.divide" => {
            match (num(0, "a"), num(1, "b")) {
                (Some(_), Some(b)) if method.ends_with("divide") && b == 0.0 => {
                    Err((-32010, "division by zero".into()))
                }
                (Some(a), Some(b)) => {
                    let x = match method {
                        "calculator.add" => a + b,
                        "calculator.subtract" => a - b,
                        "calculator.multiply" => a * b,
                        _ => a / b,
                    };
                    // A whole number is shown as one: 5, not 5.0.
                    Ok(if x.fract() == 0.0 && x.abs() < 1e15 {
                        json!(x as i64)
                    } else {
                        json!(x)
                    })
                }
                _ => Err((-32602, "a and b must be numbers".into())),
            }
        }
        "counter.increment" => {
            st.count += arg(0, "by").as_i64().unwrap_or(1);
            Ok(json!(st.count))
        }
        "counter.get" => Ok(json!(st.count)),
        "echo.say" => Ok(p.clone()),
        _ => Err((
            -32601,
            format!("the checker's servers have no method {method:?}"),
        )),
    };
    let id = id?;
    Some(match outcome {
        Ok(result) => json!({"jsonrpc": "2.0", "id": id, "result": result}),
        Err((code, message)) => {
            json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}})
        }
    })
}

/// Serves `listener` for ever, a thread per connection, printing each
/// message as `who` sees it.
fn hand_serve(listener: std::net::TcpListener, who: &'static str, state: Arc<Mutex<HandState>>) {
    use std::io::{BufRead, BufReader, Read, Write};
    for stream in listener.incoming().flatten() {
        let state = Arc::clone(&state);
        std::thread::spawn(move || {
            let Ok(mut out) = stream.try_clone() else {
                return;
            };
            for line in BufReader::new(stream)
                .take(1 << 24)
                .lines()
                .map_while(Result::ok)
            {
                let reply = match serde_json::from_str::<Value>(&line) {
                    Err(_) => Some(
                        json!({"jsonrpc": "2.0", "id": null, "error": {"code": -32700, "message": "the line is not JSON"}}),
                    ),
                    Ok(Value::Array(items)) if items.is_empty() => Some(
                        json!({"jsonrpc": "2.0", "id": null, "error": {"code": -32600, "message": "an empty batch"}}),
                    ),
                    Ok(Value::Array(items)) => {
                        let replies: Vec<Value> = items
                            .iter()
                            .filter_map(|r| hand_answer(r, &state))
                            .collect();
                        (!replies.is_empty()).then_some(Value::Array(replies))
                    }
                    Ok(request) => hand_answer(&request, &state),
                };
                println!(
                    "{who} ← {}",
                    decode(line.as_bytes()).unwrap_or(line.clone())
                );
                if let Some(reply) = reply {
                    println!("{who} → {}", describe(&reply));
                    if out.write_all(format!("{reply}\n").as_bytes()).is_err() {
                        break;
                    }
                }
            }
        });
    }
}

/// `cargo grade peer rpc`: the checker's name server and object server
/// (calculator, counter, echo), for a person to try their programs
/// against, or nc.
fn serve_by_hand() -> std::io::Result<()> {
    let ns = std::net::TcpListener::bind("127.0.0.1:0")?;
    let objects = std::net::TcpListener::bind("127.0.0.1:0")?;
    let (ns_addr, objects_addr) = (ns.local_addr()?, objects.local_addr()?);
    let state = Arc::new(Mutex::new(HandState::default()));
    {
        let mut st = state.lock().unwrap_or_else(|e| e.into_inner());
        for name in ["calculator", "counter", "echo"] {
            st.names
                .insert(name.into(), format!("rpc://{objects_addr}/{name}"));
        }
    }
    println!(
        "the checker's name server listens on {ns_addr}; its object server on {objects_addr} (Ctrl-C stops them)"
    );
    println!(
        "objects: calculator (add, subtract, multiply, divide), counter (increment, get), echo (say)"
    );
    println!("try:  cargo run -q -p rpc --bin rpc-client -- --ns {ns_addr} calculator add 2 3");
    println!("      cargo run -q -p rpc --bin rpc-server -- --ns {ns_addr}");
    println!(
        "      printf '%s\\n' '{{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ns.list\"}}' | nc -N {} {}",
        ns_addr.ip(),
        ns_addr.port()
    );
    let s2 = Arc::clone(&state);
    std::thread::spawn(move || hand_serve(objects, "object server", s2));
    hand_serve(ns, "name server", state);
    Ok(())
}
