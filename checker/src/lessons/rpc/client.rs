//! The client's stages, against the checker's name server and object
//! server: a call, its arguments, a remote error, a silent server, 10,000
//! calls on one connection; and the student's three programs together.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::ctx::{Ctx, Finished};
use crate::peer::TcpPeer;
use crate::process::Input;
use crate::time::{ms, secs};
use crate::verdict::{Failure, Outcome};
use crate::wire;

use super::scripted::{Asked, Calls, asked_now, objects_for_client, ok_reply, shown};

fn run_client(
    ctx: &Ctx,
    ns: &TcpPeer<()>,
    args: &[&str],
    timeout: Duration,
) -> Result<Finished, Failure> {
    run_client_within(ctx, ns, args, timeout, secs(10))
}

/// [`run_client`], stopped if it is still running after `wait`.
fn run_client_within(
    ctx: &Ctx,
    ns: &TcpPeer<()>,
    args: &[&str],
    timeout: Duration,
    wait: Duration,
) -> Result<Finished, Failure> {
    let ns = ns.addr().to_string();
    let t = ctx.flag(timeout);
    let mut all = vec!["--ns", &ns, "--timeout", &t];
    all.extend(args);
    ctx.run_client("client", &all, Input::Nothing, wait)
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

pub(super) fn client_call(ctx: &mut Ctx) -> Outcome {
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

pub(super) fn client_args(ctx: &mut Ctx) -> Outcome {
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
    let _ = (ns.finish(), objects.finish());
    finished.expect_exit("rpc-client echo say …", 0, format!("{params}\n").as_bytes())
}

/// `--list`: one call on the name server, with the client's library alone
/// (no lookup, no argument read).
pub(super) fn client_list(ctx: &mut Ctx) -> Outcome {
    let (ns, asked, objects, _calls) =
        objects_for_client(ctx, "echo", |r| Some(ok_reply(r, Value::Null)))?;
    let listed = run_client(ctx, &ns, &["--list"], secs(2))?;
    let _ = (ns.finish(), objects.finish());
    let printed: Value = serde_json::from_slice(&listed.stdout).unwrap_or(Value::Null);
    if !printed.get("echo").is_some_and(Value::is_string) {
        let listed_it = asked_now(&asked).iter().any(|(m, _)| m == "ns.list");
        return Err(
            Failure::failed("rpc-client --list did not print the names as JSON")
                .expected("the result of ns.list, as one line of JSON: {\"echo\":\"rpc://…\"}")
                .got(wire::show(&listed.stdout))
                .hint(if listed_it {
                    "the name server answered ns.list: print its result (Connection::call gives the reply's result member)"
                } else {
                    "the name server was never asked ns.list: Proxy::with opens the connection on the first call, and Connection::call writes the request"
                }),
        );
    }
    listed.expect_exit("rpc-client --list", 0, &listed.stdout)
}

/// The lookups of `name` the checker's name server was asked, of any
/// spelling: the names asked for.
fn lookups(asked: &Asked) -> Vec<String> {
    asked_now(asked)
        .iter()
        .filter(|(m, _)| m == "ns.lookup")
        .map(|(_, p)| {
            p.get(0).or_else(|| p.get("name")).map_or_else(
                || p.to_string(),
                |n| n.as_str().map_or_else(|| n.to_string(), str::to_string),
            )
        })
        .collect()
}

/// An indirect name (`rpcname:calculator`) is resolved through the name
/// server, its prefix left out; a direct URI (`rpc://…/calculator`) is
/// called at once, with no name server asked.
pub(super) fn client_indirect(ctx: &mut Ctx) -> Outcome {
    let (ns, asked, objects, calls) =
        objects_for_client(ctx, "calculator", |r| Some(ok_reply(r, json!(5))))?;
    let indirect = run_client(ctx, &ns, &["rpcname:calculator", "add", "2", "3"], secs(2))?;
    let asked_for = lookups(&asked);
    if asked_for.iter().any(|n| n.starts_with("rpcname:")) {
        return Err(Failure::failed(
            "the client asked the name server for \"rpcname:calculator\", prefix and all",
        )
        .expected("ns.lookup(\"calculator\"): rpcname: says \"a name, to resolve\"; it is not part of the name")
        .got(shown(&asked_now(&asked)))
        .hint("in Proxy::to, strip the rpcname: prefix (str::strip_prefix(INDIRECT)) and look up the rest"));
    }
    if !asked_for.iter().any(|n| n == "calculator") {
        return Err(
            Failure::failed("rpcname:calculator was not resolved through the name server")
                .expected("ns.lookup(\"calculator\") on the --ns address, then the call")
                .got(shown(&asked_now(&asked)))
                .hint("an indirect name is resolved by the name server: Proxy::to calls Proxy::lookup with the name after rpcname:"),
        );
    }
    check_request(&calls, "calculator.add", &json!([2, 3]))?;
    indirect.expect_exit("rpc-client rpcname:calculator add 2 3", 0, b"5\n")?;
    let before = asked_now(&asked).len();
    let uri = format!("rpc://{}/calculator", objects.addr());
    ctx.note(format!(
        "now a direct URI, {uri}: the name server must not be asked"
    ));
    let direct = run_client(ctx, &ns, &[&uri, "multiply", "2", "3"], secs(2))?;
    let _ = (ns.finish(), objects.finish());
    let after = asked_now(&asked);
    if after.len() > before {
        return Err(Failure::failed(
            "for a direct URI, the client asked the name server anyway",
        )
        .expected("no call on the name server: rpc://HOST:PORT/OBJECT says where the object is")
        .got(shown(&after[before..]))
        .hint("in Proxy::to, a target starting with rpc:// is a direct URI: Proxy::at, no lookup"));
    }
    let direct_calls = calls.lock().unwrap_or_else(|e| e.into_inner()).clone();
    if !direct_calls
        .iter()
        .any(|(_, r)| r.get("method") == Some(&json!("calculator.multiply")))
    {
        return Err(Failure::failed("the direct URI's object was never called")
            .expected(format!("calculator.multiply [2, 3] at {uri}"))
            .hint("connect to HOST:PORT of the URI and call OBJECT.METHOD there"));
    }
    direct.expect_exit(&format!("rpc-client {uri} multiply 2 3"), 0, b"5\n")
}

pub(super) fn client_errors(ctx: &mut Ctx) -> Outcome {
    let (ns, _asked, objects, _calls) = objects_for_client(ctx, "calculator", |r| {
        Some(
            json!({"jsonrpc": "2.0", "id": r["id"], "error": {"code": 10, "message": "division by zero", "data": {"a": 1, "b": 0}}}),
        )
    })?;
    let finished = run_client(ctx, &ns, &["calculator", "divide", "1", "0"], secs(2))?;
    finished.expect_one_line_error()?;
    // The code as a number of its own: "10", not a part of "1024".
    let has_code = finished
        .stderr
        .split(|c: char| !c.is_ascii_digit() && c != '-')
        .any(|word| word == "10");
    if !has_code || !finished.stderr.contains("division by zero") {
        return Err(
            Failure::failed("the remote error's code and message were not printed")
                .expected("a line with the code 10 and \"division by zero\"")
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

pub(super) fn client_timeout(ctx: &mut Ctx) -> Outcome {
    let (ns, _asked, objects, _calls) = objects_for_client(ctx, "calculator", |_| None)?;
    ctx.note("the checker's object server reads the call and never answers");
    let finished =
        run_client(ctx, &ns, &["calculator", "add", "1", "2"], ms(300)).map_err(|f| {
            f.hint("set_read_timeout(Some(timeout)) on the connection before waiting for a reply")
        })?;
    let _ = (ns.finish(), objects.finish());
    finished.expect_one_line_error()
}

pub(super) fn many_calls(ctx: &mut Ctx) -> Outcome {
    const N: usize = 10_000;
    let (ns, _asked, objects, calls) =
        objects_for_client(ctx, "counter", |r| Some(ok_reply(r, json!(1))))?;
    let start = Instant::now();
    let n = N.to_string();
    // The reference makes its 10,000 calls in about half a second: a client
    // still running after 4 s is far too slow, and is stopped there.
    let finished = run_client_within(
        ctx,
        &ns,
        &["--repeat", &n, "counter", "get"],
        secs(5),
        secs(4),
    );
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

pub(super) fn end_to_end(ctx: &mut Ctx) -> Outcome {
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
