//! The object server's stages, against the checker's name server: it
//! registers, computes, counts under a race, drops an idle client, and
//! unregisters on SIGTERM.

use serde_json::{Value, json};

use crate::ctx::{Ctx, Server};
use crate::peer::TcpPeer;
use crate::time::{self, ms, secs};
use crate::verdict::{Failure, Outcome};
use crate::wire::{self, Conn};

use super::jsonrpc::{APPLICATION, Codes, call, decode, error, expect_value, result};
use super::scripted::{
    Asked, asked_now, checker_ns, checker_ns_dropping, registered, shown, wait_for,
};

/// Starts the student's object server against the checker's name server.
pub(super) fn start_object_server(ctx: &Ctx) -> Result<(Server, TcpPeer<()>, Asked), Failure> {
    let (ns, asked) = checker_ns(ctx, Vec::new())?;
    let addr = ns.addr().to_string();
    let server = ctx.start_server("server", &["--ns", &addr, "127.0.0.1:0"])?;
    Ok((server, ns, asked))
}

pub(super) fn registers(ctx: &mut Ctx) -> Outcome {
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

/// Connects to the student's object server as "the checker".
pub(super) fn connect_objects(ctx: &Ctx, server: &Server) -> Result<Conn, Failure> {
    let mut c = ctx.connect(server, "the checker")?;
    c.decode_with(decode);
    Ok(c)
}

pub(super) fn calculator(ctx: &mut Ctx) -> Outcome {
    let (server, _ns, _) = start_object_server(ctx)?;
    let mut c = connect_objects(ctx, &server)?;
    for (method, params, want) in [
        ("calculator.add", json!([2, 3]), json!(5)),
        (
            "calculator.subtract",
            json!({"a": 2, "b": 3.5}),
            json!(-1.5),
        ),
        ("calculator.multiply", json!([4, 2.5]), json!(10)),
        ("calculator.divide", json!([1, 4]), json!(0.25)),
    ] {
        let got = result(&mut c, method, params.clone())?;
        if got != want {
            let whole = got.as_f64() == want.as_f64();
            return Err(
                Failure::failed(format!("{method} {params}: a wrong result"))
                    .expected(want.to_string())
                    .got(got.to_string())
                    .hint(if whole {
                        "a whole number goes back as an integer (10, not 10.0): the contract says so, and a client prints what it gets"
                    } else {
                        "add, subtract, multiply or divide a and b, in that order"
                    }),
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
        Codes::Is(-32602),
        "a parameter that is not a number",
    )?;
    error(
        &mut c,
        "calculator.power",
        json!([1, 2]),
        Codes::Is(-32601),
        "an unknown method",
    )?;
    Ok(())
}

pub(super) fn counter_race(ctx: &mut Ctx) -> Outcome {
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

pub(super) fn unregisters(ctx: &mut Ctx) -> Outcome {
    let (server, _ns, asked) = start_object_server(ctx)?;
    wait_for(&asked, secs(2), |a| registered(a).len() >= 2);
    sigterm_and_expect_unregistering(ctx, &server, &asked)
}

/// The name server drops the object server's connection as idle, as
/// `rpc-ns --idle-timeout` does after a minute; the object server runs on,
/// and must still unregister on SIGTERM.
pub(super) fn unregisters_late(ctx: &mut Ctx) -> Outcome {
    let idle = ms(300);
    let (ns, asked) = checker_ns_dropping(ctx, Vec::new(), Some(idle))?;
    let addr = ns.addr().to_string();
    let server = ctx.start_server("server", &["--ns", &addr, "127.0.0.1:0"])?;
    wait_for(&asked, secs(2), |a| registered(a).len() >= 2);
    ctx.note(format!(
        "the checker's name server drops a client idle for {}; the checker waits past it",
        time::say(time::scaled(idle))
    ));
    std::thread::sleep(time::scaled(idle * 3));
    sigterm_and_expect_unregistering(ctx, &server, &asked).map_err(|f| {
        f.hint("the name server had dropped the connection you registered on (it was idle): unregister over a fresh connection (a new proxy), or connect again when the old one is closed")
    })
}

/// Sends SIGTERM to the object server and waits for it to unregister
/// calculator and counter at the checker's name server.
fn sigterm_and_expect_unregistering(ctx: &Ctx, server: &Server, asked: &Asked) -> Outcome {
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
    if !wait_for(asked, secs(3), gone) {
        return Err(Failure::failed("after SIGTERM the object server did not unregister calculator and counter")
            .got(shown(&asked_now(asked)))
            .hint("a name server must not send clients to a server that is gone: catch SIGTERM and call ns.unregister for each name before exiting"));
    }
    Ok(())
}

pub(super) fn idle_timeout(ctx: &mut Ctx) -> Outcome {
    let (ns, _asked) = checker_ns(ctx, Vec::new())?;
    let addr = ns.addr().to_string();
    let idle = ctx.flag(ms(500));
    let server = ctx.start_server(
        "server",
        &["--ns", &addr, "--idle-timeout", &idle, "127.0.0.1:0"],
    )?;
    ctx.expect_idle_drop(&server, |c| c.send(b"{\"jsonrpc\": \"2.0\","))?;
    let mut c = connect_objects(ctx, &server)?;
    // A method no object has: any reply will do, before the objects exist.
    call(&mut c, json!(1), "wire.ping", Value::Null).map(|_| ())
}
