//! The checker's scripted peers: a name server for the student's object
//! server and client, and an object server for the client. Each records
//! what it was asked, for the stage to check.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::ctx::Ctx;
use crate::peer::TcpPeer;
use crate::time::{self, ms, secs};
use crate::verdict::Failure;
use crate::wire::{self, Conn};

use super::jsonrpc::{MAX_LINE, decode, send};

/// What the checker's name server was asked, in order: (method, params).
pub(super) type Asked = Arc<Mutex<Vec<(String, Value)>>>;

/// Starts the checker's name server: it answers ns.register,
/// ns.unregister, ns.lookup and ns.list from a map (seeded with `names`),
/// and records every request.
pub(super) fn checker_ns(
    ctx: &Ctx,
    names: Vec<(String, String)>,
) -> Result<(TcpPeer<()>, Asked), Failure> {
    checker_ns_dropping(ctx, names, None)
}

/// The checker's name server, which closes a connection that sends
/// nothing for `idle` (scaled), as `rpc-ns --idle-timeout` does, if `idle`
/// is given.
pub(super) fn checker_ns_dropping(
    ctx: &Ctx,
    names: Vec<(String, String)>,
    idle: Option<Duration>,
) -> Result<(TcpPeer<()>, Asked), Failure> {
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
            let mut pending = Vec::new();
            loop {
                let line = match idle {
                    None => conn.recv_line(MAX_LINE, "a request")?,
                    Some(idle) => {
                        let line = next_line_within(conn, &mut pending, time::scaled(idle))?;
                        match &line {
                            Some(line) => conn.log_received(line),
                            None => conn.note(format!(
                                "the checker's name server drops this connection, idle for {}",
                                time::say(time::scaled(idle))
                            )),
                        }
                        line
                    }
                };
                let Some(line) = line else {
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
                        .ok_or_else(|| json!({"code": 2, "message": format!("no object is registered as {:?}", arg(0, "name"))})),
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
pub(super) fn shown(asked: &[(String, Value)]) -> String {
    if asked.is_empty() {
        return "nothing".into();
    }
    asked
        .iter()
        .map(|(m, p)| format!("{m} {p}"))
        .collect::<Vec<_>>()
        .join("; ")
}

/// What the checker's name server has been asked so far.
pub(super) fn asked_now(asked: &Asked) -> Vec<(String, Value)> {
    asked.lock().unwrap_or_else(|e| e.into_inner()).clone()
}

/// Waits until `done(asked)` holds, or `timeout` passes.
pub(super) fn wait_for(
    asked: &Asked,
    timeout: Duration,
    done: impl Fn(&[(String, Value)]) -> bool,
) -> bool {
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
pub(super) fn registered(asked: &[(String, Value)]) -> Vec<(String, String)> {
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

/// What the checker's object server was asked: each request, and the
/// number of the connection it came on.
pub(super) type Calls = Arc<Mutex<Vec<(usize, Value)>>>;

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
    next_line_within(conn, pending, secs(3600))
}

/// The next line from `conn` within `timeout` (without logging it),
/// `None` at the end of the stream, after `timeout`, or when the stage
/// stops the peer.
fn next_line_within(
    conn: &mut Conn,
    pending: &mut Vec<u8>,
    timeout: Duration,
) -> Result<Option<Vec<u8>>, Failure> {
    loop {
        if let Some(at) = pending.iter().position(|b| *b == b'\n') {
            let rest = pending.split_off(at + 1);
            return Ok(Some(std::mem::replace(pending, rest)));
        }
        if pending.len() > MAX_LINE {
            return Err(Failure::failed("the client sent a line longer than 1 MiB"));
        }
        match conn.recv_some(64 << 10, timeout) {
            Ok(chunk) if chunk.is_empty() => return Ok(None),
            Ok(chunk) => pending.extend_from_slice(&chunk),
            // Stopped (the stage is over), or the connection failed.
            Err(_) => return Ok(None),
        }
    }
}

/// A reply to `request` with `result`.
pub(super) fn ok_reply(request: &Value, result: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": request["id"], "result": result})
}

/// The checker's name server knowing `object` at the checker's object
/// server, and that object server.
pub(super) fn objects_for_client(
    ctx: &Ctx,
    object: &str,
    answer: impl Fn(&Value) -> Option<Value> + Send + Sync + 'static,
) -> Result<(TcpPeer<()>, Asked, TcpPeer<()>, Calls), Failure> {
    let (objects, calls) = checker_objects(ctx, answer)?;
    let uri = format!("rpc://{}/{object}", objects.addr());
    let (ns, asked) = checker_ns(ctx, vec![(object.to_string(), uri)])?;
    Ok((ns, asked, objects, calls))
}
