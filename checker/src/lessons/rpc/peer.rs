//! `cargo grade peer rpc`: the checker's name server and object server
//! (calculator, counter, echo), for a person to try their programs against,
//! or nc.

use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

use super::jsonrpc::{decode, describe};

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
            st.names
                .insert(name, arg(1, "uri").as_str().unwrap_or_default().to_string());
            Ok(Value::Null)
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
    std::thread::spawn(move || hand_serve(objects, "object server", s2));
    hand_serve(ns, "name server", state);
    Ok(())
}
