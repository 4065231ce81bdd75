//! The stages of malformed replies, built byte by byte from the student's
//! query: a compression pointer loop, counts and lengths that lie, bytes
//! after the end, a name too long.

use crate::ctx::Ctx;
use crate::time::secs;
use crate::verdict::{Failure, Outcome};

use super::dns::dns_udp;
use super::program::{expect_error, query_within};

/// The raw reply to `query` with one answer whose bytes are `answer`
/// (ANCOUNT set to `count`), and `extra` bytes after it.
fn hand_built(query: &[u8], count: u16, answer: &[u8], extra: &[u8]) -> Vec<u8> {
    let mut m = query.to_vec();
    m[2] = 0x81; // QR, RD
    m[3] = 0x80; // RA, NOERROR
    m[6..8].copy_from_slice(&count.to_be_bytes());
    m.extend_from_slice(answer);
    m.extend_from_slice(extra);
    m
}

/// Builds a reply from the raw bytes of the student's query.
type Build = fn(&[u8]) -> Vec<u8>;

/// Runs a query whose reply is `build(raw query)`: the resolver must exit
/// with code 1 and one line, soon.
fn expect_rejected(ctx: &Ctx, what: &str, build: Build) -> Outcome {
    let peer = dns_udp(ctx, move |sock, d, _| {
        sock.note("the checker's DNS server answers with hand-built bytes");
        sock.send_to(&build(&d.bytes), d.from)
    })?;
    // The reply comes at once, and reading it takes microseconds: a resolver
    // still running after 2 s is looping (or waiting for another reply).
    let finished = query_within(ctx, peer.addr(), &["www.example.test"], secs(2), secs(2));
    peer.finish()?;
    let finished = finished.map_err(|f| {
        f.hint("a malformed reply must end in an error: check every length, follow a pointer only if it points before where the part of the name holding it began, and stop a name at 255 bytes")
    })?;
    if finished.crashed {
        return Err(Failure::crashed(format!(
            "{what}: the resolver {} on a malformed reply",
            finished.how
        ))
        .hint("never index past what you received: check lengths first, and return an error"));
    }
    expect_error(&finished, &format!("a reply with {what}"), 1)
}

pub(super) fn pointer_loop(ctx: &mut Ctx) -> Outcome {
    // The answer's name is a pointer to itself: 12 + the question's length.
    expect_rejected(ctx, "a pointer loop", |q| {
        let at = q.len() as u16;
        let pointer = (0xc000 | at).to_be_bytes();
        hand_built(
            q,
            1,
            &[&pointer[..], &[0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 1]].concat(),
            &[],
        )
    })?;
    // The beginner's loop: a label, then a pointer back to it. The pointer
    // points before itself, and the name still never ends.
    expect_rejected(
        ctx,
        "a label then a pointer back to it (01 61 c0 ..)",
        |q| {
            let at = q.len() as u16;
            let pointer = (0xc000 | at).to_be_bytes();
            hand_built(
                q,
                1,
                &[
                    &[1, b'a'],
                    &pointer[..],
                    &[0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 1],
                ]
                .concat(),
                &[],
            )
        },
    )
}

pub(super) fn malformed(ctx: &mut Ctx) -> Outcome {
    const GOOD: [u8; 16] = [0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 1];
    let cases: [(&str, Build); 6] = [
        ("ANCOUNT 2 and one record", |q| hand_built(q, 2, &GOOD, &[])),
        ("RDLENGTH past the end", |q| {
            let mut a = GOOD;
            a[11] = 200;
            hand_built(q, 1, &a, &[])
        }),
        ("an A record of 3 bytes", |q| {
            let mut a = GOOD.to_vec();
            a[11] = 3;
            a.pop();
            hand_built(q, 1, &a, &[])
        }),
        ("a pointer forward, past the end", |q| {
            let mut a = GOOD;
            a[0] = 0xc3;
            a[1] = 0xff;
            hand_built(q, 1, &a, &[])
        }),
        ("bytes after the last record", |q| {
            hand_built(q, 1, &GOOD, &[0, 0, 0])
        }),
        ("a name of 256 bytes", |q| {
            // Four labels of 63 bytes: 256 bytes with their lengths and
            // the root, one over the limit.
            let mut a = Vec::new();
            for _ in 0..4 {
                a.push(63);
                a.extend_from_slice(&[b'a'; 63]);
            }
            a.push(0);
            a.extend_from_slice(&GOOD[2..]);
            hand_built(q, 1, &a, &[])
        }),
    ];
    for (what, build) in cases {
        ctx.note(format!("next: {what}"));
        expect_rejected(ctx, what, build)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hand_built_pointer_loop_points_at_itself() {
        let q = b"\x00\x01\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x03www\x00\x00\x01\x00\x01";
        let at = q.len();
        let reply = hand_built(q, 1, &[0xc0, at as u8], &[]);
        assert_eq!(reply[at], 0xc0);
        assert_eq!(reply[at + 1] as usize, at);
    }
}
