//! The stages of how a reply comes, or not: a lost query asked again,
//! forged replies ignored, a truncated reply asked again over TCP, `--tcp`,
//! and a server that never answers.

use std::net::Ipv4Addr;
use std::time::Instant;

use hickory_proto::op::{Message, OpCode};
use hickory_proto::rr::rdata::A;
use hickory_proto::rr::{Name, RData};

use crate::ctx::Ctx;

use crate::flag::Flag;
use crate::time::{ms, scaled, secs};
use crate::verdict::{Failure, Outcome};
use crate::wire::{self, Udp};

use super::dns::{dns_udp, record, recv_tcp_query, udp_and_tcp, zone_reply};
use super::program::{expect, expect_error, query, query_within};

pub(super) fn retry(ctx: &mut Ctx) -> Outcome {
    let peer = dns_udp(ctx, |sock, d, q| {
        if d.number == 1 {
            sock.note("the checker's DNS server drops the first query, as a lossy network might");
            Ok(())
        } else {
            sock.send_to(&zone_reply(q), d.from)
        }
    })?;
    let finished = query(ctx, peer.addr(), &["www.example.test"], ms(400));
    let seen = peer.finish()?;
    if seen.len() < 2 {
        return Err(Failure::failed(format!(
            "the first query was lost and the resolver sent {} in all: it did not ask again",
            seen.len()
        ))
        .expected("a second query after --timeout"));
    }
    expect(
        &finished?,
        "query www.example.test",
        0,
        &["www.example.test. 300 IN A 192.0.2.1"],
    )
}

pub(super) fn forged_replies(ctx: &mut Ctx) -> Outcome {
    let stranger = Udp::bind(ctx.transcript(), "a stranger", "127.0.0.1:0")?;
    let peer = dns_udp(ctx, move |sock, d, q| {
        if d.number > 1 {
            return sock.send_to(&zone_reply(q), d.from);
        }
        // First a forged reply with the wrong ID, then one from another
        // port with the right ID, then the real one.
        let mut forged = q.clone();
        forged.metadata.id = q.metadata.id.wrapping_add(1);
        let mut lie = Message::response(forged.metadata.id, OpCode::Query);
        lie.add_query(q.queries[0].clone());
        lie.add_answer(record(
            "www.example.test.",
            300,
            RData::A(A(Ipv4Addr::new(6, 6, 6, 6))),
        ));
        sock.note("the forged reply: wrong ID, address 6.6.6.6");
        sock.send_to(&lie.to_vec().expect("encodes"), d.from)?;
        lie.metadata.id = q.metadata.id;
        stranger.send_to(&lie.to_vec().expect("encodes"), d.from)?;
        // From the server, with the right ID, but for another question.
        let mut other = Message::response(q.metadata.id, OpCode::Query);
        let mut asked = q.queries[0].clone();
        asked.set_name(Name::from_ascii("evil.example.test.").expect("a name"));
        other.add_query(asked);
        other.add_answer(record(
            "evil.example.test.",
            300,
            RData::A(A(Ipv4Addr::new(6, 6, 6, 7))),
        ));
        sock.note("a reply with the right ID for another question: evil.example.test");
        sock.send_to(&other.to_vec().expect("encodes"), d.from)?;
        std::thread::sleep(ms(50));
        sock.send_to(&zone_reply(q), d.from)
    })?;
    let finished = query(ctx, peer.addr(), &["www.example.test"], secs(2));
    peer.finish()?;
    let finished = finished?;
    if String::from_utf8_lossy(&finished.stdout).contains("6.6.6.6") {
        return Err(
            Failure::failed("the resolver printed the forged reply (6.6.6.6)")
                .expected("only the reply from the server's address, with the query's ID")
                .got(wire::show(&finished.stdout)),
        );
    }
    if String::from_utf8_lossy(&finished.stdout).contains("6.6.6.7") {
        return Err(Failure::failed(
            "the resolver took a reply whose question is not ours (evil.example.test, 6.6.6.7)",
        )
        .expected("only a reply that repeats our question: same name (any case), same type")
        .got(wire::show(&finished.stdout))
        .hint("compare the reply's question with yours (Name::same_as, and the type) before you trust its answers"));
    }
    expect(
        &finished,
        "query www.example.test",
        0,
        &["www.example.test. 300 IN A 192.0.2.1"],
    )
}

pub(super) fn truncated(ctx: &mut Ctx) -> Outcome {
    let (udp, tcp) = udp_and_tcp(ctx, |sock, d, q| {
        // The UDP reply: TC set, and no answer in it.
        let mut cut = Message::response(q.metadata.id, OpCode::Query);
        cut.metadata.recursion_desired = true;
        cut.metadata.truncation = true;
        cut.add_query(q.queries[0].clone());
        sock.send_to(&cut.to_vec().expect("encodes"), d.from)
    })?;
    let finished = query(ctx, udp.addr(), &["www.example.test"], secs(2));
    udp.finish()?;
    let over_tcp = tcp.finish();
    let finished = finished?;
    if over_tcp.is_empty() {
        return Err(Failure::failed(
            "the UDP reply had TC set, but the resolver never asked over TCP",
        )
        .expected("the same query again, over TCP on the same address")
        .got(format!("stdout {}", wire::show(&finished.stdout))));
    }
    over_tcp.into_iter().next().expect("one")?;
    expect(
        &finished,
        "query www.example.test (TC, then TCP)",
        0,
        &["www.example.test. 300 IN A 192.0.2.1"],
    )
}

pub(super) fn tcp(ctx: &mut Ctx) -> Outcome {
    let (udp, tcp) = udp_and_tcp(ctx, |sock, d, q| sock.send_to(&zone_reply(q), d.from))?;
    let finished = query(ctx, udp.addr(), &["example.test", "MX", "--tcp"], secs(2));
    let over_udp = udp.finish()?;
    let over_tcp = tcp.finish();
    let finished = finished?;
    if !over_udp.is_empty() || over_tcp.is_empty() {
        return Err(Failure::failed(format!(
            "with --tcp the resolver sent {} over UDP and made {} TCP connection(s)",
            queries(over_udp.len()),
            over_tcp.len()
        ))
        .expected("no UDP at all, one TCP connection"));
    }
    over_tcp.into_iter().next().expect("one")?;
    expect(
        &finished,
        "query example.test MX --tcp",
        0,
        &[
            "example.test. 60 IN MX 10 mail.example.test.",
            "example.test. 60 IN MX 20 backup.example.test.",
        ],
    )?;
    trickled(ctx)
}

/// A TCP server that reads the query, then sends the reply one byte every
/// half second: `--timeout 1` must bound the whole attempt, not each read.
fn trickled(ctx: &Ctx) -> Outcome {
    let slow = ctx.tcp_peer_at(
        "127.0.0.1:0",
        "the checker's slow DNS server (TCP)",
        None,
        |conn, _| {
            recv_tcp_query(conn)?;
            conn.note("the checker's slow DNS server sends its reply one byte every 0.5 s");
            // A length of 256, then a byte at a time, until the resolver
            // gives up (a send fails) or 20 s pass.
            for _ in 0..40 {
                if conn.send(&[1]).is_err() {
                    break;
                }
                std::thread::sleep(scaled(ms(500)));
            }
            Ok(())
        },
    )?;
    let timeout = secs(1);
    let started = Instant::now();
    // Past 3 times --timeout the stage fails anyway: stop waiting there.
    let finished = query_within(
        ctx,
        slow.addr(),
        &["www.example.test", "--tcp"],
        timeout,
        timeout * 3,
    );
    let took = started.elapsed();
    let _ = slow.finish();
    let finished = finished.map_err(|f| {
        f.hint("bound the whole TCP attempt by --timeout: a deadline for the attempt, and before each read a read timeout of what is left of it")
    })?;
    expect_error(
        &finished,
        "query --tcp --timeout 1 to a server sending a byte every 0.5 s",
        1,
    )?;
    let most = scaled(timeout) * 3;
    if took > most {
        return Err(Failure::failed(format!(
            "query --tcp --timeout 1 to a server sending a byte every 0.5 s took {:.1} s",
            took.as_secs_f64()
        ))
        .expected(format!("an error within {:.1} s", most.as_secs_f64()))
        .hint("bound the whole TCP attempt by --timeout, not each read"));
    }
    Ok(())
}

pub(super) fn silent_server(ctx: &mut Ctx) -> Outcome {
    let peer = dns_udp(ctx, |_, _, _| Ok(()))?;
    ctx.note("the checker's DNS server receives, and never answers");
    let finished = query(ctx, peer.addr(), &["www.example.test"], ms(150));
    let seen = peer.finish()?;
    let finished = finished.map_err(|f| {
        f.hint("give each attempt a deadline (set_read_timeout), and stop after --retries more")
    })?;
    expect_error(&finished, "query to a silent server", 1)?;
    if seen.len() != 3 {
        return Err(Failure::failed(format!(
            "the resolver sent {}; with --retries 2 it should send 3",
            queries(seen.len())
        )));
    }
    chatty_stranger(ctx)
}

/// A server that answers the first query only with replies of another id,
/// one every 0.1 s: none is ours, and none may keep the attempt waiting
/// past its deadline (a read timeout set once per `recv` would wait for
/// ever).
fn chatty_stranger(ctx: &Ctx) -> Outcome {
    let done = Flag::default();
    let stop = done.clone();
    let peer = dns_udp(ctx, move |sock, d, q| {
        if stop.is_set() {
            return Ok(()); // a retry: silence
        }
        let mut wrong = zone_reply(q);
        wrong[0] ^= 0x5a; // another id
        sock.note("the checker's DNS server sends replies with another id, one every 0.1 s, until the resolver gives up");
        for _ in 0..50 {
            sock.send_quietly(&wrong, d.from)?;
            if stop.wait(scaled(ms(100))) {
                break;
            }
        }
        stop.set();
        Ok(())
    })?;
    let timeout = ms(300);
    let started = Instant::now();
    // Three attempts of 0.3 s: past 2 s the resolver is waiting on the
    // stranger's datagrams, not on its deadlines.
    let finished = query_within(ctx, peer.addr(), &["www.example.test"], timeout, secs(2));
    let took = started.elapsed();
    done.set();
    let _ = peer.finish();
    let finished = finished.map_err(|f| {
        f.hint("each attempt has one deadline: before each recv, set the read timeout to what is left of it, so datagrams that are not ours cannot keep the attempt waiting")
    })?;
    expect_error(
        &finished,
        "query --timeout 0.3 --retries 2 to a server sending only replies of another id",
        1,
    )?;
    ctx.note(format!(
        "the resolver gave up after {:.1} s",
        took.as_secs_f64()
    ));
    Ok(())
}

/// Three runs of the same query: a resolver whose queries all carry the
/// same ID is easy to forge replies for. A random ID repeats three times
/// in a row once in 2^32 runs, so this cannot flake.
pub(super) fn random_id(ctx: &mut Ctx) -> Outcome {
    let mut ids = Vec::new();
    for _ in 0..3 {
        let peer = dns_udp(ctx, |sock, d, q| sock.send_to(&zone_reply(q), d.from))?;
        let finished = query(ctx, peer.addr(), &["www.example.test"], secs(2));
        let seen = peer.finish()?;
        expect(
            &finished?,
            "query www.example.test",
            0,
            &["www.example.test. 300 IN A 192.0.2.1"],
        )?;
        ids.extend(seen.iter().map(|q| q.metadata.id));
    }
    if ids.len() >= 3 && ids.iter().all(|&id| id == ids[0]) {
        return Err(Failure::failed(format!(
            "three runs sent {} queries, every one with the ID {} ({:#06x})",
            ids.len(),
            ids[0],
            ids[0]
        ))
        .expected("a new, unpredictable ID for each query")
        .hint("anyone who guesses the ID can forge a reply: take one from std's RandomState (RandomState::new().hash_one(...)), not a constant"));
    }
    Ok(())
}

/// "1 query", "3 queries".
fn queries(n: usize) -> String {
    if n == 1 {
        "1 query".into()
    } else {
        format!("{n} queries")
    }
}
