//! JSON-RPC 2.0 on the checker's side, with serde_json: a message as a line,
//! a request, a reply's envelope checked, a call's result or error, and one
//! decoded line per message for the transcript.

use serde_json::{Value, json};

use crate::verdict::{Failure, Outcome};
use crate::wire::{self, Conn};

/// The longest line the checker reads.
pub(super) const MAX_LINE: usize = 1 << 20;

/// One line for the transcript: `call 1 ns.lookup ["x"]`, `reply 1 →
/// "rpc://…"`, `reply 1 error -32601 …`, `batch of 3`.
pub(super) fn decode(bytes: &[u8]) -> Option<String> {
    let value: Value = serde_json::from_slice(bytes).ok()?;
    Some(describe(&value))
}

/// One message (or batch), in a line a person reads.
pub(super) fn describe(value: &Value) -> String {
    let cut = |v: &Value| {
        let text = v.to_string();
        if text.chars().count() > 60 {
            format!("{}…", text.chars().take(60).collect::<String>())
        } else {
            text
        }
    };
    match value {
        Value::Array(items) => {
            let mut shown: Vec<String> = items.iter().take(3).map(describe).collect();
            if items.len() > 3 {
                shown.push(format!("… and {} more", items.len() - 3));
            }
            format!("batch of {}: {}", items.len(), shown.join("; "))
        }
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
pub(super) fn send(conn: &mut Conn, message: &Value) -> Outcome {
    conn.send(format!("{message}\n").as_bytes())
}

/// Reads one line and parses it as JSON.
pub(super) fn receive(conn: &mut Conn, what: &str) -> Result<Value, Failure> {
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
pub(super) fn check_reply(reply: &Value, id: &Value, what: &str) -> Outcome {
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
pub(super) fn call(
    conn: &mut Conn,
    id: Value,
    method: &str,
    params: Value,
) -> Result<Value, Failure> {
    let what = format!("{method} (id {id})");
    send(conn, &request(id.clone(), method, params))?;
    let reply = receive(conn, &format!("the reply to {what}"))?;
    check_reply(&reply, &id, &what)?;
    Ok(reply)
}

/// The result of a call, which must succeed.
pub(super) fn result(conn: &mut Conn, method: &str, params: Value) -> Result<Value, Failure> {
    let reply = call(conn, json!(1), method, params.clone())?;
    match reply.get("result") {
        Some(r) => Ok(r.clone()),
        None => Err(Failure::failed(format!("{method} {params} failed"))
            .expected("a result")
            .got(reply.to_string())),
    }
}

/// The error of a call, which must fail with a code `codes` admits.
pub(super) fn error(
    conn: &mut Conn,
    method: &str,
    params: Value,
    codes: Codes,
    why: &str,
) -> Result<Value, Failure> {
    let reply = call(conn, json!(1), method, params.clone())?;
    let code = reply.pointer("/error/code").and_then(Value::as_i64);
    if !code.is_some_and(|c| codes.admits(c)) {
        let mut failure = Failure::failed(format!("{method} {params}: {why}"))
            .expected(codes.say())
            .got(reply.to_string());
        if codes == APPLICATION && code.is_some_and(|c| RESERVED.contains(&c)) {
            failure = failure.hint("JSON-RPC keeps -32768 to -32000 for itself (-32000 to -32099 are the server program's own errors, not its objects'): an application error takes another code, 1 or 10 say");
        }
        return Err(failure);
    }
    Ok(reply["error"].clone())
}

/// The error codes a call may fail with.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Codes {
    /// This one.
    Is(i64),
    /// An application's own: any integer outside [`RESERVED`].
    Application,
}

impl Codes {
    fn admits(self, code: i64) -> bool {
        match self {
            Codes::Is(want) => code == want,
            Codes::Application => !RESERVED.contains(&code),
        }
    }

    fn say(self) -> String {
        match self {
            Codes::Is(want) => format!("error code {want}"),
            Codes::Application => {
                "an application error: a code outside -32768..-32000, which JSON-RPC keeps for itself".into()
            }
        }
    }
}

/// The codes JSON-RPC keeps for itself.
const RESERVED: std::ops::RangeInclusive<i64> = -32768..=-32000;

/// Application errors.
pub(super) const APPLICATION: Codes = Codes::Application;

/// A result must be `want`, exactly.
pub(super) fn expect_value(what: &str, got: &Value, want: &Value) -> Outcome {
    if got == want {
        return Ok(());
    }
    Err(Failure::failed(format!("{what}: not the expected result"))
        .expected(want.to_string())
        .got(got.to_string()))
}
