//! The contract's limits: half lines, long lines, idle clients, and
//! shutting down with clients connected.

use std::thread;
use std::time::Instant;

// The harness.
use crate::{
    ctx::{Ctx, Server},
    platform, process,
    time::{self, ms, secs},
    verdict::{Failure, Outcome},
    wire,
};

use super::talk::{Chatter, MAX_LINE, READ_CAP, left, quoted};

pub fn cut_mid_line(ctx: &mut Ctx) -> Outcome {
    let server = ctx.start_server_ipv4("server")?;
    let [mut alice, mut bob, mut carol] = Chatter::three(ctx, &server)?;
    carol.say("a whole line")?;
    alice.expect_relay("carol", "a whole line")?;
    bob.expect_relay("carol", "a whole line")?;
    ctx.note("carol sends half a line, with no \\n, then closes her side");
    carol.conn.send(b"half a li")?;
    carol.conn.shutdown_write()?;
    let half = |f: Failure| {
        if f.got.as_deref().is_some_and(|g| g.contains("half a li")) {
            Failure::failed("the server relayed half a line, cut by the end of the stream")
                .expected(wire::escape(format!("{}\n", left("carol")).as_bytes()))
                .got(f.got.unwrap_or_default())
                .hint("a line is only a line with its \\n: when the stream ends in the middle of one, drop what came (read_until gives it to you without a \\n: check)")
        } else {
            f
        }
    };
    alice.expect_left("carol").map_err(half)?;
    bob.expect_left("carol").map_err(half)?;
    ctx.note("the room goes on");
    bob.say("still here")?;
    alice.expect_relay("bob", "still here")?;
    ctx.check_alive(&server)
}

pub fn long_line(ctx: &mut Ctx) -> Outcome {
    let server = ctx.start_server_ipv4("server")?;
    let mut alice = Chatter::enter(ctx, &server, "alice", &[])?;
    let mut bob = Chatter::enter(ctx, &server, "bob", &["alice"])?;
    alice.expect_joined("bob")?;
    let longest = "y".repeat(MAX_LINE);
    ctx.note(format!(
        "alice sends a line of exactly {MAX_LINE} bytes, the longest allowed"
    ));
    alice.say(&longest)?;
    bob.expect_relay("alice", &longest).map_err(|f| {
        f.hint(format!(
            "a line of {MAX_LINE} bytes (and its \\r\\n) is allowed: relay it"
        ))
    })?;
    let size = 64 << 10;
    ctx.note(format!(
        "alice sends a line of {size} bytes: the server must close her connection, and relay none of it"
    ));
    let mut long = vec![b'z'; size];
    long.push(b'\n');
    if let Err(f) = alice.conn.send_quietly(&long) {
        ctx.note(format!("alice could not send it all: {}", f.summary));
    }
    match bob.read_line(READ_CAP, "alice's leaving") {
        Ok(Some(line)) if line.strip_suffix(b"\n") == Some(left("alice").as_bytes()) => {}
        Ok(Some(line)) => {
            return Err(Failure::failed(
                "after alice's long line, bob got another line than her leaving",
            )
            .expected(wire::escape(format!("{}\n", left("alice")).as_bytes()))
            .got(quoted(&line)));
        }
        Err(f) if f.summary.contains("longer than") => {
            return Err(Failure::failed(format!(
                "the server relayed alice's line of {size} bytes, over the limit of {MAX_LINE}"
            ))
            .expected(format!("alice's connection closed, and {:?} for bob", left("alice")))
            .got("a line of more than a thousand bytes for bob")
            .hint("read each line with a limit, take(MAX_LINE + 2) before read_until: a line over it closes its sender's connection, and is never relayed"));
        }
        Ok(None) => {
            return Err(Failure::failed(
                "the server closed bob's connection when alice sent a long line",
            ));
        }
        Err(f) => return Err(f),
    }
    alice
        .lines_until_close("the close after the long line")
        .map_err(|f| f.context("alice's connection: "))?;
    ctx.note("alice's connection is closed, as it should be");
    endless_line(ctx, &server, &mut bob)?;
    ctx.check_alive(&server)
}

/// How much of a line without a newline `long-line` sends, and how much
/// the server's memory may grow meanwhile.
const ENDLESS: usize = 16 << 20;
const ENDLESS_GROWTH_KIB: u64 = 8 << 10;

/// A line that never ends: the server must close its sender once the
/// limit is past, not keep it all waiting for a newline.
fn endless_line(ctx: &mut Ctx, server: &Server, bob: &mut Chatter) -> Outcome {
    let mut carol = Chatter::enter(ctx, server, "carol", &["bob"])?;
    bob.expect_joined("carol")?;
    let before = platform::resident_kib(server.pid);
    ctx.note(format!(
        "carol sends {} MiB without a newline, in pieces of 64 KiB: the server must close her once past {MAX_LINE} bytes, and hold none of it",
        ENDLESS >> 20
    ));
    let piece = vec![b'z'; 64 << 10];
    let mut sent = 0;
    while sent < ENDLESS {
        if carol.conn.send_quietly(&piece).is_err() {
            break;
        }
        sent += piece.len();
    }
    ctx.note(format!("carol could send {} KiB of it", sent >> 10));
    let closed = carol.lines_until_close("the close after a line without end");
    let peak = process::peak_resident_kib(server.pid);
    let unbounded = |got: String| {
        Failure::failed(format!(
            "the server kept reading carol's line of {} MiB without a newline, over the limit of {MAX_LINE} bytes",
            ENDLESS >> 20
        ))
        .expected(format!("carol's connection closed after at most {} bytes", MAX_LINE + 2))
        .got(got)
        .hint("check the limit while reading, not after: take(MAX_LINE + 2) before read_until, so that a line without end stops at the limit instead of growing in memory")
    };
    if let Err(f) = closed {
        return Err(unbounded(format!(
            "{}, and carol still connected",
            f.summary
        )));
    }
    if let (Some(before), Some(peak)) = (before, peak) {
        let growth = peak.saturating_sub(before);
        ctx.note(format!(
            "the server's memory: {} MiB before, {} MiB at its peak",
            before / 1024,
            peak / 1024
        ));
        if growth > ENDLESS_GROWTH_KIB {
            return Err(unbounded(format!(
                "its memory grew by {} MiB",
                growth / 1024
            )));
        }
    }
    bob.expect_left("carol")
}

pub fn idle_timeout(ctx: &mut Ctx) -> Outcome {
    let base = ms(500);
    let idle = ctx.flag(base);
    let server = ctx.start_server("server", &["--idle-timeout", &idle, "127.0.0.1:0"])?;
    ctx.note(format!("the server is told --idle-timeout {idle}"));
    let mut lurker = Chatter::arrive(ctx, &server, "lurker")?;
    let mut quiet = Chatter::enter(ctx, &server, "quiet", &[])?;
    let mut talker = Chatter::enter(ctx, &server, "talker", &["quiet"])?;
    quiet.expect_joined("talker")?;
    ctx.note("lurker (no name) and quiet (in the room) now say nothing; talker speaks every third of the timeout");
    let pause = time::scaled(base) / 3;
    let started = Instant::now();
    let mut said = 0;
    while started.elapsed() < time::scaled(base) * 2 {
        thread::sleep(pause);
        said += 1;
        talker.say(&format!("still here {said}"))?;
    }
    lurker
        .lines_until_close("the close of an idle client")
        .map_err(|f| {
            Failure {
                summary: format!(
                    "lurker, silent for over --idle-timeout {idle}, was not closed: {}",
                    f.summary
                ),
                ..f
            }
            .hint("wrap each read of a line in tokio::time::timeout(idle, …); when it elapses, tell the client and close, whether it has a name or not")
        })?;
    ctx.note(
        "talker is still speaking: quiet, silent for twice the timeout, must already be closed",
    );
    let (_, quiet_closed) = quiet.drain(ms(100));
    if !quiet_closed {
        return Err(Failure::failed(format!(
            "quiet, silent for twice --idle-timeout {idle} while it received talker's lines, was still connected"
        ))
        .hint("only the lines a client sends restart its idle timeout, never the lines it receives: put the timeout around the read of the client's next line (read_line), not around a loop that also wakes for the room's lines"));
    }
    ctx.note("lurker and quiet were closed");
    let (heard, closed) = talker.drain(ms(100));
    if closed {
        return Err(Failure::failed(format!(
            "the server closed talker, who spoke every {}: a client that sends lines is not idle",
            time::say(pause)
        ))
        .hint("restart the idle timeout at every line the client sends (a timeout around each read of a line, not one for the whole connection)"));
    }
    let expected = format!("{}\n", left("quiet"));
    if !heard
        .windows(expected.len())
        .any(|w| w == expected.as_bytes())
    {
        return Err(Failure::failed("talker was not told that quiet left")
            .expected(wire::escape(expected.as_bytes()))
            .got(wire::show(&heard)));
    }
    talker.say("and now?")?;
    ctx.check_alive(&server)
}

pub fn shutdown(ctx: &mut Ctx) -> Outcome {
    let server = ctx.start_server_ipv4("server")?;
    let mut alice = Chatter::enter(ctx, &server, "alice", &[])?;
    let mut bob = Chatter::enter(ctx, &server, "bob", &["alice"])?;
    alice.expect_joined("bob")?;
    let mut stuck = Chatter::connect_with(ctx.transcript(), server.addr, "stuck", Some(4096))?;
    stuck.welcome()?;
    stuck.give_name()?;
    stuck.expect_presence(&["alice", "bob"])?;
    alice.expect_joined("stuck")?;
    bob.expect_joined("stuck")?;
    let lurker = Chatter::arrive(ctx, &server, "lurker")?;
    ctx.note("stuck never reads again: alice sends 200 lines of 1000 bytes, so that the server's writes to stuck wait");
    let text = "w".repeat(990);
    let lines: String = (0..200).map(|i| format!("{i:03} {text}\n")).collect();
    alice.conn.send_quietly(lines.as_bytes())?;
    thread::sleep(ms(200));
    ctx.note("the checker sends SIGTERM to the server");
    terminate(server.pid);
    let sent = Instant::now();
    for mut chatter in [alice, bob, lurker] {
        let name = chatter.name.clone();
        let lines = chatter
            .lines_until_close("the farewell and the close")
            .map_err(|f| {
                f.context(format!("after SIGTERM, {name}: "))
                    .hint("on SIGTERM, tell every client's task (a watch channel it selects on): each writes its farewell, with a deadline, then closes")
            })?;
        let last = lines
            .last()
            .map(|l| String::from_utf8_lossy(l).into_owned());
        match last {
            Some(l) if l.starts_with('*') && !is_join_or_leave(&l) => {
                ctx.note(format!("{name} got a farewell, then the close"));
            }
            _ => {
                return Err(Failure::failed(format!(
                    "after SIGTERM, {name}'s connection closed without a farewell"
                ))
                .expected("a last line starting with `*` that says the server is stopping, then the close")
                .got(match &lines[..] {
                    [] => "the close, and no line at all".into(),
                    [.., last] => format!("last line {}", quoted(last)),
                })
                .hint("catch SIGTERM (tokio::signal::unix::signal(SignalKind::terminate())), tell every client a last line, then close"));
            }
        }
    }
    wait_for_exit(ctx, &server, sent)
}

/// A join or a leave: not a farewell.
fn is_join_or_leave(line: &str) -> bool {
    let line = line.trim_end();
    line.ends_with(" has left the room") || line.ends_with(" has entered the room")
}

/// Sends SIGTERM to `pid` (a process of the stage's own).
fn terminate(pid: u32) {
    // SAFETY: kill(2) has no memory effects.
    unsafe {
        libc::kill(pid as i32, libc::SIGTERM);
    }
}

/// The server must exit within 2 seconds (scaled) of `since`.
fn wait_for_exit(ctx: &Ctx, server: &Server, since: Instant) -> Outcome {
    let limit = time::scaled(secs(2));
    while since.elapsed() < limit {
        if ctx.has_exited(server) {
            ctx.note(format!(
                "the server exited {:.2}s after SIGTERM",
                since.elapsed().as_secs_f64()
            ));
            return Ok(());
        }
        thread::sleep(ms(10));
    }
    Err(Failure::failed(format!(
        "the server was still running {} after SIGTERM, with a client that does not read",
        time::say(limit)
    ))
    .hint("give each farewell a deadline (tokio::time::timeout), wait for the tasks a second at most, then return from main: a client that never reads must not hold the server up"))
}
