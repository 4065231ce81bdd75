//! The protocol's steps: welcome, names, joins, messages, leavers, and
//! the order of one sender's lines.

use std::time::Duration;

// The harness.
use crate::{
    ctx::Ctx,
    verdict::{Failure, Outcome},
    wire,
};

use super::talk::{Chatter, READ_CAP, relay};

pub fn welcome(ctx: &mut Ctx) -> Outcome {
    let server = ctx.start_server_ipv4("server")?;
    let mut alice = Chatter::connect(ctx, &server, "alice")?;
    ctx.note("alice connects and waits for the welcome line before saying anything");
    alice.welcome()?;
    alice.give_name()?;
    alice.expect_presence(&[])?;
    ctx.note("alice is alone in the room: nobody else joins in this stage");
    ctx.check_alive(&server)
}

pub fn chat(ctx: &mut Ctx) -> Outcome {
    let server = ctx.start_server_ipv4("server")?;
    let [mut alice, mut bob, mut carol] = Chatter::three(ctx, &server)?;
    alice.say("hello everyone")?;
    bob.expect_relay("alice", "hello everyone")?;
    carol.expect_relay("alice", "hello everyone")?;
    ctx.note("carol ends her line with \\r\\n, as nc -C does: the \\r is not part of the text");
    carol.conn.send(b"hi alice\r\n")?;
    // alice's next line is carol's: not her own message come back.
    alice.expect_relay("carol", "hi alice")?;
    bob.expect_relay("carol", "hi alice")?;
    ctx.note("bob leaves");
    bob.close();
    alice.expect_left("bob")?;
    carol.expect_left("bob")?;
    ctx.check_alive(&server)
}

pub fn unnamed(ctx: &mut Ctx) -> Outcome {
    let server = ctx.start_server_ipv4("server")?;
    let mut alice = Chatter::enter(ctx, &server, "alice", &[])?;
    let mut lurker = Chatter::arrive(ctx, &server, "lurker")?;
    ctx.note("lurker got its welcome and never gives a name: it is not in the room");
    let mut bob = Chatter::enter(ctx, &server, "bob", &["alice"])?;
    alice.expect_joined("bob")?;
    bob.say("is anyone here?")?;
    alice.expect_relay("bob", "is anyone here?")?;
    bob.close();
    alice.expect_left("bob")?;
    lurker
        .expect_nothing(Duration::from_millis(200), "while others joined, spoke and left")
        .map_err(|f| Failure {
            summary: format!(
                "lurker, which has not given a name, {}",
                f.summary.trim_start_matches("lurker ")
            ),
            ..f
        }
        .hint("keep a client out of the room (and out of every broadcast) until it has a valid name"))?;
    ctx.note("lurker leaves without a name: nobody should hear of it");
    lurker.close();
    let mut guest = Chatter::arrive(ctx, &server, "guest")?;
    guest.conn.send(b"bob!\n")?;
    guest.expect_refused("a name with punctuation (bob!\\n)")?;
    ctx.note(
        "a refused guest never entered the room either: alice's next line must announce carol",
    );
    let mut carol = Chatter::enter(ctx, &server, "carol", &["alice"]).map_err(|f| {
        f.hint("the presence line lists members only: a client that never gave a name is not one")
    })?;
    alice.expect_joined("carol").map_err(|f| {
        f.hint(
            "a client without a name, or with a refused one, never entered the room: announce nothing about it, neither joining nor leaving",
        )
    })?;
    carol.say("hi")?;
    alice.expect_relay("carol", "hi")?;
    ctx.check_alive(&server)
}

pub fn bad_names(ctx: &mut Ctx) -> Outcome {
    let server = ctx.start_server_ipv4("server")?;
    let mut alice = Chatter::enter(ctx, &server, "alice", &[])?;
    ctx.note("alice stays alone in the room; six guests come with bad names");
    let bad: [(&str, &[u8]); 6] = [
        ("an empty name", b"\n"),
        ("a name with spaces", b"two words\n"),
        ("a name with punctuation", b"bob!\n"),
        ("a name of 17 letters", b"abcdefghijklmnopq\n"),
        ("a name with a letter outside ASCII", "émile\n".as_bytes()),
        ("a name already in the room", b"alice\n"),
    ];
    for (i, (what, line)) in bad.iter().enumerate() {
        let what = format!("{what} ({})", wire::escape(line));
        let mut guest = Chatter::arrive(ctx, &server, &format!("guest {}", i + 1))?;
        guest.conn.send(line)?;
        guest.expect_refused(&what)?;
    }
    ctx.note("alice heard nothing of the guests: none of them entered the room");
    alice.expect_nothing(Duration::from_millis(200), "while guests were refused")?;
    ctx.check_alive(&server)
}

/// How many lines each sender sends at once in `order`.
const BURST: usize = 200;

pub fn order(ctx: &mut Ctx) -> Outcome {
    let server = ctx.start_server_ipv4("server")?;
    let [mut alice, mut bob, mut carol] = Chatter::three(ctx, &server)?;
    let burst = |who: &str| -> Vec<u8> {
        (1..=BURST)
            .map(|i| format!("{who} line {i}\n"))
            .collect::<String>()
            .into_bytes()
    };
    ctx.note(format!(
        "alice and bob each send {BURST} numbered lines in one write, at the same time (not logged line by line)"
    ));
    alice.conn.send_quietly(&burst("alice"))?;
    bob.conn.send_quietly(&burst("bob"))?;
    let mut expectations = [
        (&mut carol, vec!["alice", "bob"]),
        (&mut alice, vec!["bob"]),
        (&mut bob, vec!["alice"]),
    ];
    for (listener, senders) in expectations.iter_mut() {
        hear_in_order(listener, senders)?;
    }
    ctx.check_alive(&server)
}

/// Reads the lines of `senders`' bursts (interleaved as they may be), and
/// checks each sender's come 1, 2, 3… in order.
fn hear_in_order(listener: &mut Chatter, senders: &[&str]) -> Outcome {
    let mut next = vec![1usize; senders.len()];
    let total = BURST * senders.len();
    for _ in 0..total {
        let line = listener
            .read_line(READ_CAP, "the next line of a burst")?
            .ok_or_else(|| {
                Failure::failed(format!(
                    "the server closed {}'s connection in the middle of the bursts",
                    listener.name
                ))
            })?;
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches('\n');
        let Some((s, n)) = senders.iter().enumerate().find_map(|(s, who)| {
            let rest = text.strip_prefix(&relay(who, &format!("{who} line ")))?;
            Some((s, rest.parse::<usize>().ok()?))
        }) else {
            return Err(Failure::failed(format!(
                "{} got a line that is none of the lines sent",
                listener.name
            ))
            .expected(format!(
                "lines such as {}",
                wire::escape(relay(senders[0], &format!("{} line 1\n", senders[0])).as_bytes())
            ))
            .got(wire::escape(&line)));
        };
        if n != next[s] {
            listener.conn.log_received(&line);
            return Err(Failure::failed(format!(
                "{} got {}'s lines out of order: line {n} came when line {} was due",
                listener.name, senders[s], next[s]
            ))
            .expected(wire::escape(
                relay(senders[s], &format!("{} line {}\n", senders[s], next[s])).as_bytes(),
            ))
            .got(wire::escape(&line)));
        }
        next[s] += 1;
    }
    listener.conn.note(format!(
        "{} got all {total} lines, each sender's in order",
        listener.name
    ));
    Ok(())
}
