//! The server's stages with many clients: one after another, 20 at once,
//! an idle client dropped, a cap on clients, and running out of file
//! descriptors.

use std::thread;
use std::time::Duration;

use crate::ctx::Ctx;
use crate::process::{self, Limits};
use crate::time::{self, ms};
use crate::verdict::{Failure, Outcome};
use crate::wire::{Conn, Transcript};

use super::stream::say_hello;

pub(super) fn one_after_another(ctx: &mut Ctx) -> Outcome {
    let server = ctx.start_server_ipv4("server")?;
    for i in 1..=5 {
        say_hello(&mut ctx.connect(&server, &format!("client {i}"))?)?;
    }
    Ok(())
}

pub(super) fn concurrent(ctx: &mut Ctx) -> Outcome {
    let server = ctx.start_server_ipv4("server")?;
    ctx.idle_then_many(&server, 20, say_hello)
}

/// A message and its echo, as a stage's building blocks.
fn ask(conn: &mut Conn) -> Outcome {
    let message = format!("{} is here", conn.name());
    conn.send(message.as_bytes())
}

fn answer(conn: &mut Conn) -> Outcome {
    let message = format!("{} is here", conn.name());
    conn.expect("the echo", message.as_bytes())
}

pub(super) fn idle_timeout(ctx: &mut Ctx) -> Outcome {
    let idle = ctx.flag(ms(300));
    let server = ctx.start_server("server", &["--idle-timeout", &idle, "127.0.0.1:0"])?;
    ctx.note(format!("the server is told --idle-timeout {idle}"));
    let pause = time::scaled(ms(100));
    ctx.expect_idle_drop(&server, |conn| {
        ask(conn)?;
        answer(conn)?;
        // Quiet for a third of the timeout: still a client, still served.
        // (A server that closes after each reply must not pass as one that
        // times out.)
        ctx.note(format!(
            "the idle client is quiet for {}, less than the timeout, then speaks again",
            time::say(pause)
        ));
        thread::sleep(pause);
        ask(conn)?;
        answer(conn).map_err(|f| {
            f.hint("a client quiet for less than --idle-timeout must still be served: keep reading until read returns 0 or a read times out")
        })
    })?;
    ctx.check_alive(&server)?;
    say_hello(&mut ctx.connect(&server, "next client")?)
}

pub(super) fn past_the_cap(ctx: &mut Ctx) -> Outcome {
    let server = ctx.start_server("server", &["--max-clients", "3", "127.0.0.1:0"])?;
    ctx.note("the server is told --max-clients 3");
    ctx.past_the_cap(&server, 3, ask, answer)
}

/// How many file descriptors the server may hold in `fd-limit`, and how
/// many clients then try to connect.
const FD_LIMIT: u64 = 32;
const FD_CLIENTS: usize = 40;

pub(super) fn fd_limit(ctx: &mut Ctx) -> Outcome {
    let limits = Limits {
        open_files: Some(FD_LIMIT),
    };
    let server = ctx.start_server_with("server", &["127.0.0.1:0"], limits)?;
    ctx.note(format!(
        "the server may hold {FD_LIMIT} file descriptors; {FD_CLIENTS} clients connect and stay idle (not logged one by one)"
    ));
    let quiet = Transcript::new();
    let held = (1..=FD_CLIENTS)
        .map(|i| Conn::connect(&quiet, &format!("client {i}"), server.addr))
        .collect::<Result<Vec<_>, _>>()?;
    let cpu = || process::cpu_seconds(server.pid).unwrap_or(0.0);
    let (cpu_before, err_before) = (cpu(), ctx.stderr_bytes(&server));
    // Behaviour over half a second of real time: not a timeout, not scaled.
    thread::sleep(Duration::from_millis(500));
    let (used, wrote) = (cpu() - cpu_before, ctx.stderr_bytes(&server) - err_before);
    ctx.note(format!(
        "in 0.5s out of file descriptors, the server used {used:.2}s of CPU and wrote {wrote} bytes to stderr"
    ));
    if used > 0.05 {
        return Err(Failure::failed(format!(
            "the server used {used:.2}s of CPU in 0.5s while out of file descriptors: it retries accept without a pause"
        ))
        .expected("under 0.05s of CPU: wait a little after a failed accept")
        .got(format!("{used:.2}s")));
    }
    if wrote > 10_000 {
        return Err(Failure::failed(format!(
            "the server wrote {wrote} bytes to stderr in 0.5s while out of file descriptors"
        ))
        .expected("a few lines at most (under 10 KB)")
        .got(format!("{wrote} bytes"))
        .hint("report a failing accept once in a while, not on every attempt; and pause between attempts"));
    }
    drop(held);
    ctx.note(format!(
        "the {FD_CLIENTS} clients leave: the server should serve again"
    ));
    ctx.check_alive(&server)?;
    say_hello(&mut ctx.connect(&server, "next client")?)
}
