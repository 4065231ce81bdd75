//! The stages of the chapter's first DNS steps, graded through the program
//! before any network: `encode` prints a query's bytes as hex (step 1),
//! `decode HEX` reads a message given as hex and prints it section by
//! section (steps 2 to 5: the header, a question, each record type,
//! compression). Every message here is built byte by byte, so that a
//! failure shows the very bytes the student's code read.

use crate::ctx::Ctx;
use crate::verdict::{Failure, Outcome};
use crate::wire;

use super::program::{expect, expect_error, run};

/// `name` as labels on the wire: a length byte, the label, then 0.
fn labels(name: &str) -> Vec<u8> {
    let mut out = Vec::new();
    for label in name.split('.').filter(|l| !l.is_empty()) {
        out.push(label.len() as u8);
        out.extend_from_slice(label.as_bytes());
    }
    out.push(0);
    out
}

/// A header: ID, the two flag bytes, and the four counts.
fn header(id: u16, flags: u16, counts: [u16; 4]) -> Vec<u8> {
    let mut out = id.to_be_bytes().to_vec();
    out.extend_from_slice(&flags.to_be_bytes());
    for count in counts {
        out.extend_from_slice(&count.to_be_bytes());
    }
    out
}

/// A question: the name, QTYPE, QCLASS IN.
fn question(name: &[u8], qtype: u16) -> Vec<u8> {
    [name, &qtype.to_be_bytes(), &[0, 1]].concat()
}

/// A record: its owner's bytes (labels or a pointer), TYPE, CLASS IN, TTL
/// 60, RDLENGTH and RDATA.
fn record(owner: &[u8], rtype: u16, rdata: &[u8]) -> Vec<u8> {
    let len = (rdata.len() as u16).to_be_bytes();
    [
        owner,
        &rtype.to_be_bytes(),
        &[0, 1, 0, 0, 0, 60],
        &len,
        rdata,
    ]
    .concat()
}

/// `decode HEX` of `bytes` must print exactly `lines`.
fn decodes(ctx: &Ctx, what: &str, bytes: &[u8], lines: &[&str]) -> Outcome {
    let hex = wire::hex(bytes);
    let finished = run(ctx, &["decode", &hex])?;
    expect(&finished, &format!("decode of {what}"), 0, lines)
}

/// `decode HEX` of `bytes` must fail: exit 1, one line on stderr, no panic.
fn refuses(ctx: &Ctx, what: &str, bytes: &[u8]) -> Outcome {
    let hex = wire::hex(bytes);
    let finished = run(ctx, &["decode", &hex])?;
    if finished.crashed {
        return Err(Failure::crashed(format!(
            "decode of {what}: the program {} instead of reporting a malformed message",
            finished.how
        ))
        .hint("check that the bytes are there before reading them (Reader::take), and return Malformed"));
    }
    expect_error(&finished, &format!("decode of {what}"), 1)
}

pub(super) fn encode(ctx: &mut Ctx) -> Outcome {
    for (name, qtype, code, id) in [
        ("example.com", "A", 1u16, 6699u16),
        ("www.example.test", "MX", 15, 1),
        ("a.b.c", "AAAA", 28, 65535),
    ] {
        let want = [
            header(id, 0x0100, [1, 0, 0, 0]),
            question(&labels(name), code),
        ]
        .concat();
        let id_text = id.to_string();
        let finished = run(ctx, &["encode", name, qtype, "--id", &id_text])?;
        expect(
            &finished,
            &format!("encode {name} {qtype} --id {id}"),
            0,
            &[&wire::hex(&want)],
        )?;
    }
    Ok(())
}

pub(super) fn decode_header(ctx: &mut Ctx) -> Outcome {
    let cases: [(&str, u16, u16, &str); 3] = [
        (
            "a reply, NOERROR",
            0x1a2b,
            0x8180,
            "id=6699 qr=1 tc=0 rcode=NOERROR",
        ),
        (
            "a truncated reply, NXDOMAIN",
            7,
            0x8383,
            "id=7 qr=1 tc=1 rcode=NXDOMAIN",
        ),
        (
            "a query",
            0xffff,
            0x0100,
            "id=65535 qr=0 tc=0 rcode=NOERROR",
        ),
    ];
    for (what, id, flags, line) in cases {
        let bytes = header(id, flags, [0, 0, 0, 0]);
        let line = format!("header: {line} qd=0 an=0 ns=0 ar=0");
        decodes(ctx, what, &bytes, &[&line])?;
    }
    refuses(
        ctx,
        "a header cut after 7 bytes",
        &header(1, 0x8180, [0; 4])[..7],
    )
}

pub(super) fn decode_question(ctx: &mut Ctx) -> Outcome {
    let q = question(&labels("www.example.test"), 15);
    let bytes = [header(9, 0x8180, [1, 0, 0, 0]), q.clone()].concat();
    decodes(
        ctx,
        "a reply holding one question",
        &bytes,
        &[
            "header: id=9 qr=1 tc=0 rcode=NOERROR qd=1 an=0 ns=0 ar=0",
            "question: www.example.test. IN MX",
        ],
    )?;
    let cut = &bytes[..bytes.len() - 3];
    refuses(ctx, "a question cut inside its QTYPE", cut)?;
    let longer = [&bytes[..], &[0]].concat();
    refuses(ctx, "a byte after the last question", &longer)
}

pub(super) fn decode_records(ctx: &mut Ctx) -> Outcome {
    let owner = labels("example.test");
    let v6 = [0x20, 1, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10];
    let records = [
        record(&owner, 1, &[192, 0, 2, 1]),
        record(&owner, 28, &v6),
        record(
            &owner,
            15,
            &[&[0, 10][..], &labels("mail.example.test")].concat(),
        ),
        record(&owner, 16, b"\x05hello\x0bsay \"world\"\x00"),
        record(&owner, 2, &labels("ns1.example.test")),
        record(&owner, 99, &[0xca, 0xfe]),
    ];
    let mut bytes = header(3, 0x8180, [0, 6, 0, 0]);
    records.iter().for_each(|r| bytes.extend_from_slice(r));
    decodes(
        ctx,
        "six records, one of each type",
        &bytes,
        &[
            "header: id=3 qr=1 tc=0 rcode=NOERROR qd=0 an=6 ns=0 ar=0",
            "answer: example.test. 60 IN A 192.0.2.1",
            "answer: example.test. 60 IN AAAA 2001:db8::10",
            "answer: example.test. 60 IN MX 10 mail.example.test.",
            r#"answer: example.test. 60 IN TXT "hello" "say \"world\"" """#,
            "answer: example.test. 60 IN NS ns1.example.test.",
            r"answer: example.test. 60 IN TYPE99 \# 2 cafe",
        ],
    )?;
    let short_a = [
        header(3, 0x8180, [0, 1, 0, 0]),
        record(&owner, 1, &[1, 2, 3]),
    ]
    .concat();
    refuses(ctx, "an A record of 3 bytes", &short_a)?;
    let mut past = [
        header(3, 0x8180, [0, 1, 0, 0]),
        record(&owner, 1, &[1, 2, 3, 4]),
    ]
    .concat();
    let at = past.len() - 5;
    past[at] = 40; // RDLENGTH 40, 4 bytes there
    refuses(ctx, "an RDLENGTH of 40 with 4 bytes left", &past)
}

pub(super) fn decode_compression(ctx: &mut Ctx) -> Outcome {
    // The question's name at byte 12; the answers point back at it, and
    // the MX's exchange points into it from inside the record's data.
    let q = question(&labels("example.test"), 15);
    let mut bytes = [header(5, 0x8180, [1, 2, 0, 0]), q].concat();
    bytes.extend(record(
        &[0xc0, 12],
        15,
        &[0, 10, 4, b'm', b'a', b'i', b'l', 0xc0, 12],
    ));
    bytes.extend(record(&[3, b'w', b'w', b'w', 0xc0, 12], 5, &[0xc0, 12]));
    decodes(
        ctx,
        "a reply whose names point back at the question's",
        &bytes,
        &[
            "header: id=5 qr=1 tc=0 rcode=NOERROR qd=1 an=2 ns=0 ar=0",
            "question: example.test. IN MX",
            "answer: example.test. 60 IN MX 10 mail.example.test.",
            "answer: www.example.test. 60 IN CNAME example.test.",
        ],
    )
    .map_err(|f| {
        f.hint("a name inside a record's data is read from the whole message: its pointers count from the message's first byte, not from the record's")
    })?;
    let itself = [header(5, 0x8180, [1, 0, 0, 0]), vec![0xc0, 12, 0, 1, 0, 1]].concat();
    refuses(
        ctx,
        "a name that is a pointer to itself (c0 0c at byte 12)",
        &itself,
    )?;
    // The beginner's loop: each pointer points before itself, and yet.
    let label_loop = [
        header(5, 0x8180, [1, 0, 0, 0]),
        vec![1, b'a', 0xc0, 12, 0, 1, 0, 1],
    ]
    .concat();
    refuses(
        ctx,
        "a label then a pointer back to it (01 61 c0 0c at byte 12)",
        &label_loop,
    )
    .map_err(|f| {
        f.hint("a pointer before itself is not enough: 01 61 c0 0c loops. Each pointer must point before where the part of the name that holds it began (or stop at 255 bytes of name)")
    })
}
