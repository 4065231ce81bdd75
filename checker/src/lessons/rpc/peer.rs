//! `cargo grade peer rpc`: the checker's name server and object server
//! (calculator, counter, echo), for a person to try their programs against,
//! or nc.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};

use super::jsonrpc::{MAX_LINE, decode, describe};

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
    let outcome: Result<Value, (i64, String, Option<Value>)> = match method {
        _ if request.get("jsonrpc") != Some(&json!("2.0")) => {
            Err((-32600, "not a JSON-RPC 2.0 request".into(), None))
        }
        "ns.register" => {
            let name = arg(0, "name").as_str().unwrap_or_default().to_string();
            let uri = arg(1, "uri").as_str().unwrap_or_default().to_string();
            let good_name = (1..=MAX_NAME).contains(&name.len())
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
            if !good_name || uri.len() > MAX_URI || !uri.starts_with("rpc://") {
                Err((
                    -32602,
                    "a name is 1 to 64 letters, digits, - and _; a URI rpc://…, 256 bytes at most"
                        .into(),
                    None,
                ))
            } else if !st.names.contains_key(&name) && st.names.len() >= MAX_NAMES {
                Err((20, "the name server is full (1000 names)".into(), None))
            } else {
                st.names.insert(name, uri);
                Ok(Value::Null)
            }
        }
        "ns.lookup" => {
            let name = arg(0, "name");
            let name = name.as_str().unwrap_or_default();
            st.names.get(name).map(|u| json!(u)).ok_or((
                2,
                format!("no object is registered as {name:?}"),
                None,
            ))
        }
        "ns.list" => Ok(json!(st.names)),
        "ns.unregister" => {
            st.names.remove(arg(0, "name").as_str().unwrap_or_default());
            Ok(Value::Null)
        }
        "calculator.add" | "calculator.subtract" | "calculator.multiply" | "calculator.divide" => {
            match (num(0, "a"), num(1, "b")) {
                (Some(_), Some(b)) if method.ends_with("divide") && b == 0.0 => Err((
                    10,
                    "division by zero".into(),
                    Some(json!({"a": arg(0, "a"), "b": arg(1, "b")})),
                )),
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
                _ => Err((-32602, "a and b must be numbers".into(), None)),
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
            None,
        )),
    };
    let id = id?;
    Some(match outcome {
        Ok(result) => json!({"jsonrpc": "2.0", "id": id, "result": result}),
        Err((code, message, data)) => {
            let mut error = json!({"code": code, "message": message});
            if let Some(data) = data {
                error["data"] = data;
            }
            json!({"jsonrpc": "2.0", "id": id, "error": error})
        }
    })
}

/// The hand peer's limits: the lesson's own, as its chapter states them.
#[derive(Clone, Copy, Debug)]
struct HandLimits {
    /// Connections served at once; one more reads -32099, then the end.
    max_clients: usize,
    /// A client silent this long, or not reading its replies this long, is
    /// dropped.
    idle: Duration,
}

impl Default for HandLimits {
    fn default() -> Self {
        HandLimits {
            max_clients: 64,
            idle: Duration::from_secs(60),
        }
    }
}

/// The most requests in a batch, and the deepest nesting.
const MAX_BATCH: usize = 100;
const MAX_DEPTH: usize = 32;
/// The most names the hand name server keeps, and their sizes.
const MAX_NAMES: usize = 1000;
const MAX_NAME: usize = 64;
const MAX_URI: usize = 256;

/// An error reply with id null.
fn null_error(code: i64, message: &str) -> Value {
    json!({"jsonrpc": "2.0", "id": null, "error": {"code": code, "message": message}})
}

/// How deep arrays and objects nest in `value`.
fn depth(value: &Value) -> usize {
    match value {
        Value::Array(items) => 1 + items.iter().map(depth).max().unwrap_or(0),
        Value::Object(map) => 1 + map.values().map(depth).max().unwrap_or(0),
        _ => 0,
    }
}

/// The reply to one line (`None`: nothing to send back).
fn hand_reply(line: &[u8], state: &Mutex<HandState>) -> Option<Value> {
    let Ok(text) = std::str::from_utf8(line) else {
        return Some(null_error(-32700, "the line is not UTF-8"));
    };
    let Ok(value) = serde_json::from_str::<Value>(text) else {
        return Some(null_error(-32700, "the line is not JSON"));
    };
    if depth(&value) > MAX_DEPTH {
        return Some(null_error(
            -32600,
            "the message nests deeper than 32 levels",
        ));
    }
    match value {
        Value::Array(items) if items.is_empty() => Some(null_error(-32600, "an empty batch")),
        Value::Array(items) if items.len() > MAX_BATCH => {
            Some(null_error(-32600, "a batch of more than 100 requests"))
        }
        Value::Array(items) => {
            let replies: Vec<Value> = items.iter().filter_map(|r| hand_answer(r, state)).collect();
            (!replies.is_empty()).then_some(Value::Array(replies))
        }
        request => hand_answer(&request, state),
    }
}

/// Serves `listener` for ever, a thread per connection within the
/// limits, printing each message as `who` sees it.
fn hand_serve(
    listener: std::net::TcpListener,
    who: &'static str,
    state: Arc<Mutex<HandState>>,
    limits: HandLimits,
) {
    let clients = Arc::new(AtomicUsize::new(0));
    for stream in listener.incoming().flatten() {
        if clients.fetch_add(1, Ordering::SeqCst) >= limits.max_clients {
            clients.fetch_sub(1, Ordering::SeqCst);
            println!("{who}: one client too many, told -32099");
            refuse(stream);
            continue;
        }
        let (state, clients) = (Arc::clone(&state), Arc::clone(&clients));
        std::thread::spawn(move || {
            if let Err(e) = hand_connection(stream, who, &state, limits) {
                println!("{who}: a connection ended: {e}");
            }
            clients.fetch_sub(1, Ordering::SeqCst);
        });
    }
}

/// Tells a client past the limit that the server is busy: the reply, the
/// end of the stream, and what it sent read and dropped for a second, so
/// that no reset overtakes the reply.
fn refuse(mut stream: TcpStream) {
    let _ = stream.set_write_timeout(Some(Duration::from_secs(1)));
    let busy = null_error(-32099, "the server is busy");
    let _ = stream.write_all(format!("{busy}\n").as_bytes());
    let _ = stream.shutdown(Shutdown::Write);
    std::thread::spawn(move || {
        let _ = stream.set_read_timeout(Some(Duration::from_secs(1)));
        let _ = std::io::copy(&mut (&stream).take(1 << 20), &mut std::io::sink());
    });
}

/// Answers one connection's lines, each 1 MiB at most, until it closes,
/// goes idle, or does not read its replies for `limits.idle`.
fn hand_connection(
    stream: TcpStream,
    who: &str,
    state: &Mutex<HandState>,
    limits: HandLimits,
) -> std::io::Result<()> {
    stream.set_read_timeout(Some(limits.idle))?;
    stream.set_write_timeout(Some(limits.idle))?;
    stream.set_nodelay(true)?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut out = stream;
    let mut line = Vec::new();
    loop {
        line.clear();
        let n = (&mut reader)
            .take(MAX_LINE as u64 + 1)
            .read_until(b'\n', &mut line)?;
        if n == 0 {
            return Ok(());
        }
        if n > MAX_LINE {
            println!("{who}: a line over 1 MiB: closing that connection");
            let error = null_error(-32600, "a line longer than 1 MiB: closing the connection");
            return out.write_all(format!("{error}\n").as_bytes());
        }
        while line.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
            line.pop();
        }
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        println!(
            "{who} ← {}",
            decode(&line).unwrap_or_else(|| String::from_utf8_lossy(&line).into_owned())
        );
        if let Some(reply) = hand_reply(&line, state) {
            println!("{who} → {}", describe(&reply));
            out.write_all(format!("{reply}\n").as_bytes())?;
        }
    }
}

/// `cargo grade peer rpc`: the checker's name server and object server
/// (calculator, counter, echo), for a person to try their programs
/// against, or nc.
pub(super) fn serve_by_hand() -> std::io::Result<()> {
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
    let limits = HandLimits::default();
    std::thread::spawn(move || hand_serve(objects, "object server", s2, limits));
    hand_serve(ns, "name server", state, limits);
    Ok(())
}

#[cfg(test)]
mod tests {
    //! The hand peer attacked as a student might, by mistake or not: it
    //! keeps the lesson's limits and goes on serving another client.
    use super::*;
    use std::net::{SocketAddr, TcpListener};

    fn start(limits: HandLimits) -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(Mutex::new(HandState::default()));
        std::thread::spawn(move || hand_serve(listener, "test", state, limits));
        addr
    }

    fn connect(addr: SocketAddr) -> TcpStream {
        let s = TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(crate::time::scaled(Duration::from_secs(5))))
            .unwrap();
        s
    }

    fn exchange(s: &mut TcpStream, line: &[u8]) -> Value {
        // One write: in two, Nagle's algorithm would hold the newline.
        s.write_all(&[line, b"\n"].concat()).unwrap();
        let mut reply = Vec::new();
        BufReader::new(&*s).read_until(b'\n', &mut reply).unwrap();
        serde_json::from_slice(&reply).unwrap()
    }

    fn code(v: &Value) -> i64 {
        v.pointer("/error/code")
            .and_then(Value::as_i64)
            .unwrap_or(0)
    }

    const LIST: &[u8] = br#"{"jsonrpc":"2.0","id":1,"method":"ns.list"}"#;

    #[test]
    fn lines_batches_nesting_bytes_and_names_are_limited() {
        let addr = start(HandLimits::default());
        let mut c = connect(addr);
        let batch = format!("[{}]", vec![String::from_utf8_lossy(LIST); 101].join(","));
        assert_eq!(code(&exchange(&mut c, batch.as_bytes())), -32600);
        let deep = format!(
            r#"{{"jsonrpc":"2.0","id":1,"method":"ns.list","params":{}{}}}"#,
            "[".repeat(40),
            "]".repeat(40)
        );
        assert_eq!(code(&exchange(&mut c, deep.as_bytes())), -32600);
        assert_eq!(code(&exchange(&mut c, b"\xff\xfe{")), -32700);
        for i in 0..MAX_NAMES {
            let r = format!(
                r#"{{"jsonrpc":"2.0","id":1,"method":"ns.register","params":["n{i}","rpc://h:1/x"]}}"#
            );
            assert!(exchange(&mut c, r.as_bytes()).get("result").is_some());
        }
        let one_more =
            br#"{"jsonrpc":"2.0","id":1,"method":"ns.register","params":["more","rpc://h:1/x"]}"#;
        assert_eq!(code(&exchange(&mut c, one_more)), 20);
        // A line over 1 MiB closes that connection only.
        let mut long = connect(addr);
        let _ = long.write_all(&vec![b'x'; 2 << 20]);
        let mut reply = String::new();
        let _ = BufReader::new(&long).read_line(&mut reply);
        assert!(reply.contains("-32600"), "{reply}");
        assert!(exchange(&mut c, LIST).get("result").is_some());
    }

    #[test]
    fn a_client_that_never_reads_is_dropped_and_refused_ones_read_busy() {
        let idle = crate::time::scaled(Duration::from_millis(300));
        let addr = start(HandLimits {
            max_clients: 1,
            idle,
        });
        // Requests whose replies are as long as they are: 512 KiB ids.
        let flood = connect(addr);
        flood
            .set_write_timeout(Some(Duration::from_millis(300)))
            .unwrap();
        let big = format!(
            r#"{{"jsonrpc":"2.0","id":"{}","method":"ns.list"}}{}"#,
            "x".repeat(512 << 10),
            "\n"
        );
        let mut sent = 0;
        while sent < 256 << 20 && (&flood).write_all(big.as_bytes()).is_ok() {
            sent += big.len();
        }
        // Refused while the place is held: the busy reply, then the end.
        let mut refused = connect(addr);
        let busy = exchange(&mut refused, LIST);
        if code(&busy) == -32099 {
            let mut rest = Vec::new();
            assert!(refused.read_to_end(&mut rest).is_ok() && rest.is_empty());
        }
        // Within the idle time and a margin, another client is served.
        let deadline = std::time::Instant::now() + idle + crate::time::patience();
        loop {
            let reply = exchange(&mut connect(addr), LIST);
            if reply.get("result").is_some() {
                break;
            }
            assert_eq!(code(&reply), -32099);
            assert!(
                std::time::Instant::now() < deadline,
                "the client that never reads was never dropped"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        drop(flood);
    }
}
