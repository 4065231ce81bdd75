//! The stages of queries the zone answers: an A record, AAAA, MX, TXT and
//! NS, PTR, the response codes, and a CNAME chain.

use crate::ctx::Ctx;
use crate::time::secs;
use crate::verdict::{Failure, Outcome};

use super::dns::{dns_udp, zone_reply};
use super::program::{expect, expect_error, query};

/// Asks the zone `args` over UDP, and expects `code` and `lines`.
fn ask_zone(ctx: &Ctx, args: &[&str], code: i32, lines: &[&str]) -> Outcome {
    let peer = dns_udp(ctx, |sock, d, q| sock.send_to(&zone_reply(q), d.from))?;
    let finished = query(ctx, peer.addr(), args, secs(2));
    let seen = peer.finish()?;
    let finished = finished?;
    let what = format!("query {}", args.join(" "));
    if seen.is_empty() {
        return Err(
            Failure::failed(format!("{what}: no query reached the checker's DNS server"))
                .hint("send the query to the --server address, over UDP"),
        );
    }
    if code == 0 || !lines.is_empty() {
        expect(&finished, &what, code, lines)
    } else {
        expect_error(&finished, &what, code)
    }
}

pub(super) fn query_a(ctx: &mut Ctx) -> Outcome {
    ask_zone(
        ctx,
        &["www.example.test"],
        0,
        &["www.example.test. 300 IN A 192.0.2.1"],
    )
}

pub(super) fn query_types(ctx: &mut Ctx) -> Outcome {
    ask_zone(
        ctx,
        &["www.example.test", "AAAA"],
        0,
        &["www.example.test. 300 IN AAAA 2001:db8::1"],
    )?;
    ask_zone(
        ctx,
        &["example.test", "MX"],
        0,
        &[
            "example.test. 60 IN MX 10 mail.example.test.",
            "example.test. 60 IN MX 20 backup.example.test.",
        ],
    )?;
    ask_zone(
        ctx,
        &["example.test", "TXT"],
        0,
        &[r#"example.test. 60 IN TXT "v=spf1 -all" "say \"hi\"""#],
    )?;
    ask_zone(
        ctx,
        &["example.test.", "NS"],
        0,
        &["example.test. 3600 IN NS ns1.example.test."],
    )
}

pub(super) fn ptr(ctx: &mut Ctx) -> Outcome {
    ask_zone(
        ctx,
        &["192.0.2.1", "PTR"],
        0,
        &["1.2.0.192.in-addr.arpa. 300 IN PTR www.example.test."],
    )
}

pub(super) fn rcodes(ctx: &mut Ctx) -> Outcome {
    ask_zone(ctx, &["missing.example.test"], 3, &[])?;
    ask_zone(ctx, &["www.example.test", "MX"], 4, &[])?;
    ask_zone(ctx, &["refused.example.test"], 5, &[])?;
    ask_zone(ctx, &["servfail.example.test"], 5, &[])
}

pub(super) fn cname_chain(ctx: &mut Ctx) -> Outcome {
    ask_zone(
        ctx,
        &["alias.example.test"],
        0,
        &[
            "alias.example.test. 30 IN CNAME alias2.example.test.",
            "alias2.example.test. 30 IN CNAME www.example.test.",
            "www.example.test. 300 IN A 192.0.2.1",
        ],
    )
}
