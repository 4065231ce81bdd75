//! Load: a thousand clients held by a handful of threads, and one client
//! that never reads while the others chat.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

// The harness.
use crate::{
    ctx::Ctx,
    platform, process, time,
    verdict::{Failure, Outcome},
};

use super::swarm::{self, Swarm};
use super::talk::{self, Chatter, presence_names};

/// How many clients `many-clients` connects.
const CLIENTS: usize = 1000;
/// How many of them then speak.
const SPEAKERS: usize = 10;
/// The most OS threads the server may run meanwhile.
const MAX_THREADS: u64 = 8;

/// What one of the many clients has heard so far.
#[derive(Default)]
struct Heard {
    welcomed: bool,
    /// Those the presence line listed.
    present: Option<BTreeSet<String>>,
    /// Those announced after it.
    joined: BTreeSet<String>,
    /// Speakers heard.
    relayed: BTreeSet<String>,
}

pub fn many_clients(ctx: &mut Ctx) -> Outcome {
    if platform::threads(std::process::id()).is_none() {
        return Err(Failure::skipped(
            "this system has no /proc to count a program's threads: the stage runs on Linux only",
        ));
    }
    let files = swarm::raise_open_files(4 * CLIENTS as u64);
    if files < 2 * CLIENTS as u64 + 100 {
        return Err(Failure::skipped(format!(
            "this machine lets a program open {files} files, too few for {CLIENTS} connections and the server's side of them (raise `ulimit -n`)"
        )));
    }
    let server = ctx.start_server_ipv4("server")?;
    // One client first, alone: a server that cannot serve one is told so
    // at once, not among a thousand.
    Chatter::arrive(ctx, &server, "first")?.close();
    let names: Vec<String> = (1..=CLIENTS).map(|i| format!("user{i:04}")).collect();
    ctx.note(format!(
        "{CLIENTS} clients connect at once (user0001 to user{CLIENTS:04}; one thread of the checker reads them all, and they are not logged one by one)"
    ));
    let started = Instant::now();
    let mut swarm = Swarm::connect(server.addr, &names)?;
    let mut heard: Vec<Heard> = (0..CLIENTS).map(|_| Heard::default()).collect();
    let patience = time::patience();
    // Every client welcomed; then every one gives its name at once.
    let welcomed = swarm.pump_until(patience, |swarm| {
        take(swarm, &mut heard)?;
        Ok(heard.iter().all(|h| h.welcomed))
    })?;
    if !welcomed {
        return Err(stalled(&swarm, "its welcome line"));
    }
    for (i, name) in names.iter().enumerate() {
        swarm.send(i, format!("{name}\n").as_bytes());
    }
    let everyone: BTreeSet<String> = names.iter().cloned().collect();
    let all_in = swarm.pump_until(patience, |swarm| {
        take(swarm, &mut heard)?;
        Ok(heard
            .iter()
            .zip(&names)
            .all(|(h, name)| knows_all(h, name, &everyone)))
    })?;
    if !all_in {
        let missing = heard
            .iter()
            .zip(&names)
            .filter(|(h, name)| !knows_all(h, name, &everyone))
            .count();
        return Err(
            stalled(&swarm, "the presence line and the joins of the others").then(format!(
                " ({missing} clients do not know yet of all the others)"
            )),
        );
    }
    ctx.note(format!(
        "all {CLIENTS} clients have joined and know of each other, after {:.1}s",
        started.elapsed().as_secs_f64()
    ));
    let threads_joined = platform::threads(server.pid).unwrap_or(0);
    too_many_threads(threads_joined, server.pid)?;
    ctx.note(format!(
        "{SPEAKERS} of them speak, once each; every other client must hear each"
    ));
    for (i, name) in names.iter().enumerate().take(SPEAKERS) {
        swarm.send(i, format!("hello from {name}\n").as_bytes());
    }
    let all_heard = swarm.pump_until(patience, |swarm| {
        take(swarm, &mut heard)?;
        Ok(heard
            .iter()
            .enumerate()
            .all(|(i, h)| h.relayed.len() == if i < SPEAKERS { SPEAKERS - 1 } else { SPEAKERS }))
    })?;
    if !all_heard {
        return Err(stalled(&swarm, "the speakers' messages"));
    }
    let threads = threads_joined.max(platform::threads(server.pid).unwrap_or(0));
    let rss = platform::resident_kib(server.pid).unwrap_or(0);
    ctx.note(format!(
        "every message reached every other client, {:.1}s after the first connection; the server runs {threads} OS threads and holds {} MiB",
        started.elapsed().as_secs_f64(),
        rss / 1024
    ));
    too_many_threads(threads, server.pid)?;
    ctx.check_alive(&server)
}

/// A server with a thread per client fails as soon as they have all joined.
fn too_many_threads(threads: u64, pid: u32) -> Outcome {
    if threads > MAX_THREADS {
        return Err(Failure::failed(format!(
            "the server ran {threads} OS threads for {CLIENTS} clients: one thread per client does not scale"
        ))
        .expected(format!("at most {MAX_THREADS} threads, whatever the number of clients"))
        .got(format!("{threads} threads (read from /proc/{pid}/status)"))
        .hint("serve each client as a task (tokio::spawn) on the runtime's two worker threads, never with std::thread::spawn"));
    }
    Ok(())
}

/// Whether `h`, the client `name`, knows of every other client: listed
/// when it came, or announced since.
fn knows_all(h: &Heard, name: &str, everyone: &BTreeSet<String>) -> bool {
    h.present
        .as_ref()
        .is_some_and(|present| present.len() + h.joined.len() + 1 == everyone.len())
        && !h.joined.contains(name)
}

/// Takes every line the swarm read, and checks each against what its
/// client may hear at that point.
fn take(swarm: &mut Swarm, heard: &mut [Heard]) -> Outcome {
    if let Some(bee) = swarm.first_closed() {
        return Err(Failure::failed(format!(
            "{}: {}",
            bee.name,
            bee.closed.as_deref().unwrap_or_default()
        ))
        .hint("every client stays connected while it behaves: a server that closes clients under load has run out of something (threads? file descriptors?)"));
    }
    for (bee, h) in swarm.bees.iter_mut().zip(heard.iter_mut()) {
        for line in bee.take_lines() {
            let text = String::from_utf8_lossy(&line);
            let unexpected = |why: &str| {
                Failure::failed(format!("{} got {why}", bee.name)).got(talk::quoted(&line))
            };
            if !h.welcomed {
                h.welcomed = true;
            } else if h.present.is_none() {
                let names = presence_names(&text)
                    .ok_or_else(|| unexpected("another line where the presence line was due"))?;
                h.present = Some(names.into_iter().collect());
            } else if let Some(rest) = text.strip_prefix("* ") {
                let Some(name) = rest.strip_suffix(" has entered the room") else {
                    return Err(unexpected("an unexpected line while clients joined"));
                };
                let listed = h.present.as_ref().is_some_and(|p| p.contains(name));
                if listed || !h.joined.insert(name.to_string()) || name == bee.name {
                    return Err(unexpected(
                        "a join announced twice (or its own, or of someone its presence line listed)",
                    )
                    .hint("list the members, announce the newcomer and add it to the room in one step, under one lock: otherwise two clients joining at once may each hear of the other twice, or never"));
                }
            } else if let Some(rest) = text.strip_prefix('[') {
                let speaker = rest.split(']').next().unwrap_or_default();
                if speaker == bee.name {
                    return Err(unexpected("its own message back"));
                }
                h.relayed.insert(speaker.to_string());
            } else {
                return Err(unexpected("a line that is none of the protocol's"));
            }
        }
    }
    Ok(())
}

/// The failure when nothing moved for the checker's patience: which
/// client waited for `what`.
fn stalled(swarm: &Swarm, what: &str) -> Failure {
    let waiting = swarm.bees.iter().filter(|b| b.received == 0).count();
    Failure::timed_out(format!(
        "with {} clients connected, nothing moved for {} while they waited for {what}",
        swarm.bees.len(),
        time::say(time::patience())
    ))
    .got(format!("{waiting} clients had received nothing at all"))
    .hint("a task per client, and nothing that blocks a thread in a task: with a thread per client or a blocking read, a thousand clients wait for a few threads")
}

/// The flood in `slow-reader`: how many lines alice sends, and how long.
const FLOOD_LINES: usize = 32 * 1024;
const FLOOD_TEXT: usize = 1000;
/// How many of alice's lines may be on their way to bob at once.
const WINDOW: usize = 200;
/// How much the server's memory may grow during the flood.
const MAX_GROWTH_KIB: u64 = 16 * 1024;
/// The receive buffer of the client that never reads.
const SLOW_RCVBUF: usize = 4096;

pub fn slow_reader(ctx: &mut Ctx) -> Outcome {
    let server = ctx.start_server_ipv4("server")?;
    let mut slow = Chatter::connect_with(ctx.transcript(), server.addr, "slow", Some(SLOW_RCVBUF))?;
    slow.welcome()?;
    slow.give_name()?;
    slow.expect_presence(&[])?;
    ctx.note(format!(
        "slow is in the room with a receive buffer of {SLOW_RCVBUF} bytes, and from now on never reads"
    ));
    let mut swarm = Swarm::connect(server.addr, &["alice".into(), "bob".into()])?;
    swarm.send(0, b"alice\n");
    swarm.send(1, b"bob\n");
    // Welcome and presence for both, and the join of the second for the
    // first (whichever came first).
    let mut seen = [0usize; 2];
    let entered = swarm.pump_until(time::patience(), |swarm| {
        for (i, bee) in swarm.bees.iter_mut().enumerate() {
            seen[i] += bee.take_lines().len();
        }
        Ok(seen[0] + seen[1] >= 5)
    })?;
    if !entered {
        return Err(Failure::timed_out(
            "alice and bob did not both get into the room",
        ));
    }
    let before = platform::resident_kib(server.pid);
    let line = |i: usize| format!("alice {i:05} {}\n", "x".repeat(FLOOD_TEXT - 12));
    ctx.note(format!(
        "alice sends {FLOOD_LINES} lines of {FLOOD_TEXT} bytes ({} MiB), never more than {WINDOW} ahead of bob, who reads them as they come; slow reads nothing",
        (FLOOD_LINES * FLOOD_TEXT) >> 20
    ));
    let mut sent = 0;
    let mut got = 0usize;
    let mut slow_left = false;
    let flowed = swarm.pump_until(time::patience(), |swarm| {
        // A window of lines in flight: alice talks as fast as bob reads,
        // never so far ahead that bob's own queue fills.
        while sent < FLOOD_LINES && sent - got < WINDOW {
            sent += 1;
            swarm.send(0, line(sent).as_bytes());
        }
        for text in swarm.bees[1].take_lines() {
            if text.starts_with(b"[alice] ") {
                got += 1;
            } else if text == talk::left("slow").as_bytes() {
                slow_left = true;
            }
        }
        if let Some(bee) = swarm.first_closed() {
            return Err(Failure::failed(format!(
                "{}: {}",
                bee.name,
                bee.closed.as_deref().unwrap_or_default()
            )));
        }
        Ok(got == FLOOD_LINES)
    });
    let result = match flowed {
        Ok(true) => Ok(()),
        Ok(false) => Err(Failure::failed(format!(
            "while slow read nothing, bob got nothing for {} after {got} of alice's {sent} lines: the server waits for the slowest client",
            time::say(time::patience())
        ))
        .expected(format!("all {FLOOD_LINES} lines, as fast as bob reads them"))
        .got(format!("{got} lines, then nothing"))
        .hint("a broadcast must never .await on another client: put the line in each member's bounded queue with try_send, and let each member's own task write it")),
        Err(f) => Err(f),
    };
    let peak = process::peak_resident_kib(server.pid);
    result?;
    ctx.note(format!("bob got all {FLOOD_LINES} of alice's lines"));
    if let (Some(before), Some(peak)) = (before, peak) {
        let growth = peak.saturating_sub(before);
        ctx.note(format!(
            "the server's memory: {} MiB before the flood, {} MiB at its peak",
            before / 1024,
            peak / 1024
        ));
        if growth > MAX_GROWTH_KIB {
            return Err(Failure::failed(format!(
                "the server's memory grew by {} MiB while one client did not read: a queue without a bound",
                growth / 1024
            ))
            .expected(format!("at most {} MiB more", MAX_GROWTH_KIB / 1024))
            .got(format!("{} MiB more", growth / 1024))
            .hint("give each member a bounded queue (tokio::sync::mpsc::channel(1024)); when it is full, the member does not read: put it out"));
        }
    }
    if !slow_left {
        return Err(Failure::failed("bob was not told that slow left")
            .expected(format!("{:?} among bob's lines", talk::left("slow")))
            .hint(
                "the room puts a member out when deliver says its queue is Full: check that deliver returns Delivery::Full when try_send fails with TrySendError::Full (the room then tells the others)",
            ));
    }
    ctx.note("slow, put out, still reads nothing; a second later it sends one line: a connection the server closed answers it with a reset");
    std::thread::sleep(time::scaled(Duration::from_secs(1)));
    let _ = slow.conn.send_quietly(b"am I still here?\n");
    std::thread::sleep(Duration::from_millis(200));
    ctx.note("slow now reads what was left for it, up to the reset");
    let deadline = Instant::now() + time::patience();
    let mut read = 0usize;
    loop {
        match slow.conn.recv_some(64 << 10, Duration::from_millis(100)) {
            Ok(bytes) if bytes.is_empty() => {
                return Err(Failure::failed(format!(
                    "the server kept slow's connection open after putting it out of the room: it closed only once slow read ({read} bytes)"
                ))
                .expected("slow's connection closed while slow still read nothing (its line then answered by a reset)")
                .got("the server took slow's line, and closed cleanly after slow read")
                .hint("a write to a client that does not read waits for ever: race the room's kick against the reading and the writing (kicked.notified() in the select!), so that the stuck write is dropped and the connection closed"));
            }
            Ok(bytes) => read += bytes.len(),
            Err(e) if !crate::wire::is_timeout(&e) => break,
            Err(_) if Instant::now() > deadline => {
                return Err(Failure::failed(
                    "the server never disconnected slow, the client that did not read",
                )
                .expected("slow's connection closed once its queue was full")
                .got("slow's connection still open")
                .hint("when a member's queue is full, put it out of the room and close its connection (the room's kick, in a select! beside its reading and writing)"));
            }
            Err(_) => {}
        }
    }
    ctx.note(format!(
        "slow read {read} bytes, then the reset: its connection was closed while it did not read"
    ));
    ctx.check_alive(&server)
}
