//! Lesson 4, the name resolver: its registry entry. The local commands
//! (byte order, addresses, the hosts file) are graded by their output;
//! `query` against the checker's own DNS server on loopback, which reads
//! each query with hickory-proto (a DNS library of its own, not the
//! reference's parser), answers from a small zone, or hand-builds the lost,
//! forged, truncated and malformed replies a resolver must survive.
//!
//! - `program.rs`: running `resolver-cli`, and what it must print.
//! - `dns.rs`: the checker's DNS server: its zone, its replies, its peers.
//! - `local.rs`: the stages of the local commands.
//! - `steps.rs`: the first DNS steps through `encode` and `decode`, offline.
//! - `answers.rs`: queries the zone answers: record types, codes, CNAMEs.
//! - `transport.rs`: lost, forged and truncated replies, TCP, silence.
//! - `hostile.rs`: malformed replies built byte by byte.
//! - `peer.rs`: the DNS server to start by hand (`cargo grade peer dns`).

mod answers;
mod dns;
mod hostile;
mod local;
mod peer;
mod program;
mod steps;
mod transport;

use crate::course::{HandPeer, Lesson, Mistake, Role, Stage};
use crate::time::secs;
use crate::verdict::Verdict;

pub const LESSON: Lesson = Lesson {
    id: "resolver",
    title: "Name resolver and DNS by hand",
    level: 2,
    package: "resolver",
    roles: &[Role {
        id: "cli",
        name: "resolver",
    }],
    chapter: "resolver.md",
    stages: STAGES,
    mistakes: MISTAKES,
    peer: Some(HandPeer {
        name: "dns",
        run: peer::serve_by_hand,
    }),
    reading: &[
        ("Byte order, again", &["byte-order"]),
        (
            "Addresses as text: lenient and strict",
            &["aton-forms", "aton-rejects", "aton-trailing", "pton-ntoa"],
        ),
        (
            "Names: the hosts file and the system's resolver",
            &["hosts", "hosts-reverse", "service", "lookup"],
        ),
        (
            "A DNS message, byte by byte",
            &[
                "encode",
                "decode-header",
                "decode-question",
                "decode-records",
                "decode-compression",
            ],
        ),
        (
            "DNS on the wire",
            &[
                "query-a",
                "random-id",
                "query-types",
                "ptr",
                "rcodes",
                "cname-chain",
                "pointer-loop",
                "malformed",
            ],
        ),
        (
            "Retries, truncation and TCP",
            &[
                "retry",
                "forged-replies",
                "truncated",
                "tcp",
                "silent-server",
            ],
        ),
    ],
};

const CLI: &[&str] = &["cli"];

const STAGES: &[Stage] = &[
    Stage {
        id: "byte-order",
        title: "htonl, ntohl, htons, ntohs, and the machine's order",
        points: 4,
        hint: "u32::to_be and u16::to_be are htonl and htons: a swap on a little-endian machine, nothing on a big-endian one. Print the result in decimal, then 0x and 8 (or 4) hex digits, then the machine's order.",
        deadline: secs(20),
        roles: CLI,
        run: local::byte_order,
    },
    Stage {
        id: "aton-forms",
        title: "aton reads 127.1, 0x7f.1 and 010.0.0.1 as glibc does",
        points: 4,
        hint: "inet_aton takes 1 to 4 parts, each decimal, octal (leading 0) or hex (0x); the last part fills the bytes that remain. str::parse::<Ipv4Addr> is the strict parser: not this one.",
        deadline: secs(20),
        roles: CLI,
        run: local::aton_forms,
    },
    Stage {
        id: "aton-rejects",
        title: "aton refuses what glibc refuses",
        points: 4,
        hint: "Check each part's range for its form (a.b: b < 2^24), refuse 8 and 9 in octal, empty parts, a sign (+ or -: from_str_radix takes them, inet_aton does not), a fifth part, and trailing text that does not start with white space.",
        deadline: secs(20),
        roles: CLI,
        run: local::aton_rejects,
    },
    Stage {
        id: "aton-trailing",
        title: "aton stops at white space, as glibc does",
        points: 3,
        hint: "glibc ignores everything after the number once it meets white space (C's isspace: space, \\t, \\n, \\v, \\f, \\r): \"1.2.3.4 junk\" is 1.2.3.4.",
        deadline: secs(20),
        roles: CLI,
        run: local::aton_trailing,
    },
    Stage {
        id: "pton-ntoa",
        title: "pton is strict and knows IPv6; ntoa reads hex",
        points: 4,
        hint: "pton is str::parse::<IpAddr>: strict (no 127.1), but IPv6 has several spellings of one address (2001:db8:0::10 is 2001:db8::10); print the address as Rust prints it. ntoa takes exactly 8 hex digits.",
        deadline: secs(20),
        roles: CLI,
        run: local::pton_ntoa,
    },
    Stage {
        id: "hosts",
        title: "A hosts file: canonical name, aliases, addresses",
        points: 4,
        hint: "Skip comments (#) and blank lines; split on spaces and tabs; match names without regard to case; gather every IPv4 line that names the host (glibc does so with `multi on`; IPv6 lines are skipped whole); skip a bad line with a warning on stderr.",
        deadline: secs(20),
        roles: CLI,
        run: local::hosts,
    },
    Stage {
        id: "hosts-reverse",
        title: "A hosts file, by address (IPv4 and IPv6)",
        points: 3,
        hint: "--reverse: the first line whose address equals the one given (compare parsed addresses, not strings).",
        deadline: secs(20),
        roles: CLI,
        run: local::hosts_reverse,
    },
    Stage {
        id: "service",
        title: "Ports by name and names by port: a services file",
        points: 3,
        hint: "Each line: NAME PORT/PROTO ALIASES..., # starts a comment. By name: the first line whose name or an alias is NAME, exactly; by port: the first with that number; with --proto, only lines of that protocol. Skip a line whose port does not parse.",
        deadline: secs(20),
        roles: CLI,
        run: local::service,
    },
    Stage {
        id: "lookup",
        title: "The system's resolver: lookup and fqdn localhost",
        points: 3,
        hint: "(\"localhost\", 0).to_socket_addrs() calls getaddrinfo; print each address once, one per line.",
        deadline: secs(20),
        roles: CLI,
        run: local::lookup,
    },
    Stage {
        id: "encode",
        title: "Step 1: a query's bytes, printed as hex by `encode`",
        points: 4,
        hint: "encode_query: the ID in 2 bytes big-endian, flags 01 00 (RD), the counts 00 01 00 00 00 00 00 00, the name as labels (Name::write), QTYPE and QCLASS 1 in 2 bytes each.",
        deadline: secs(20),
        roles: CLI,
        run: steps::encode,
    },
    Stage {
        id: "decode-header",
        title: "Step 2: `decode` reads the 12-byte header",
        points: 3,
        hint: "Reader::take checks that n bytes are left before it hands them out; u16 is u16::from_be_bytes; the flags: QR is 0x8000, TC 0x0200, RCODE the low 4 bits.",
        deadline: secs(20),
        roles: CLI,
        run: steps::decode_header,
    },
    Stage {
        id: "decode-question",
        title: "Step 3: `decode` reads a question (a name of labels)",
        points: 3,
        hint: "read_name: a length byte, that many bytes, until a 0 byte; return the name and the offset just past the 0. Then QTYPE and QCLASS, 2 bytes each.",
        deadline: secs(20),
        roles: CLI,
        run: steps::decode_question,
    },
    Stage {
        id: "decode-records",
        title: "Step 4: `decode` reads each type of record",
        points: 4,
        hint: "A record is NAME TYPE CLASS TTL RDLENGTH RDATA; check that RDLENGTH bytes are there, then read RDATA by its type (the chapter's table); an A record is exactly 4 bytes.",
        deadline: secs(20),
        roles: CLI,
        run: steps::decode_records,
    },
    Stage {
        id: "decode-compression",
        title: "Step 5: `decode` follows pointers, refuses loops",
        points: 4,
        hint: "A length byte with its top two bits set (0xc0) is a pointer into the whole message. Each pointer must point before where the part of the name holding it began: 01 61 c0 0c at byte 12 is a loop.",
        deadline: secs(20),
        roles: CLI,
        run: steps::decode_compression,
    },
    Stage {
        id: "query-a",
        title: "A query by hand, and its answer as dig prints it",
        points: 4,
        hint: "12 bytes of header (a random ID, RD set, QDCOUNT 1), the name as labels, QTYPE, QCLASS 1; print each answer as `NAME TTL IN TYPE DATA`.",
        deadline: secs(20),
        roles: CLI,
        run: answers::query_a,
    },
    Stage {
        id: "random-id",
        title: "Each query has a random ID: three runs, not one ID",
        points: 3,
        hint: "A fixed ID lets anyone forge your replies. std alone makes one: RandomState::new().hash_one(Instant::now()) as u16.",
        deadline: secs(30),
        roles: CLI,
        run: transport::random_id,
    },
    Stage {
        id: "query-types",
        title: "AAAA, MX, TXT and NS records",
        points: 4,
        hint: "AAAA prints as Rust prints an Ipv6Addr; MX as `PREFERENCE EXCHANGE.`; TXT as quoted strings separated by spaces; NS as a name.",
        deadline: secs(20),
        roles: CLI,
        run: answers::query_types,
    },
    Stage {
        id: "ptr",
        title: "PTR for an address asks for its in-addr.arpa name",
        points: 4,
        hint: "For PTR, an address turns into its reverse name: 192.0.2.1 is 1.2.0.192.in-addr.arpa.",
        deadline: secs(20),
        roles: CLI,
        run: answers::ptr,
    },
    Stage {
        id: "rcodes",
        title: "NXDOMAIN, no data, REFUSED, SERVFAIL: exit codes",
        points: 4,
        hint: "Exit 3 for NXDOMAIN; 4 when the answer holds no record of the type asked; 5 for REFUSED, SERVFAIL, NOTIMP, FORMERR, with the code named.",
        deadline: secs(20),
        roles: CLI,
        run: answers::rcodes,
    },
    Stage {
        id: "retry",
        title: "The first query is lost: asked again after --timeout",
        points: 4,
        hint: "Wait --timeout for each attempt; when it passes, send the query again, --retries more times at most.",
        deadline: secs(20),
        roles: CLI,
        run: transport::retry,
    },
    Stage {
        id: "forged-replies",
        title: "Replies with a wrong ID or from elsewhere: ignored",
        points: 4,
        hint: "A reply counts only if it comes from the server's address and port and carries your query's ID (and question). Ignore the rest and keep waiting.",
        deadline: secs(20),
        roles: CLI,
        run: transport::forged_replies,
    },
    Stage {
        id: "truncated",
        title: "A truncated reply (TC) is asked again over TCP",
        points: 4,
        hint: "If the reply has TC set, ask again over TCP on the same address: a 2-byte length, then the query, in one write; read the 2-byte length, then the reply.",
        deadline: secs(20),
        roles: CLI,
        run: transport::truncated,
    },
    Stage {
        id: "tcp",
        title: "--tcp asks over TCP from the start",
        points: 4,
        hint: "Over TCP every message is preceded by its length in 2 bytes, big-endian (RFC 1035, 4.2.2). The whole attempt, not each read, must fit in --timeout.",
        deadline: secs(20),
        roles: CLI,
        run: transport::tcp,
    },
    Stage {
        id: "cname-chain",
        title: "A CNAME chain is followed with new queries",
        points: 4,
        hint: "When the answer ends in a CNAME and holds nothing of the type asked, ask again for the CNAME's target; at most 8 times.",
        deadline: secs(20),
        roles: CLI,
        run: answers::cname_chain,
    },
    Stage {
        id: "pointer-loop",
        title: "A compression pointer loop: an error, at once",
        points: 4,
        hint: "Pointing before itself is not enough (01 61 c0 0c loops): each pointer must point before where the part of the name holding it began, and a name stops at 255 bytes. A loop must end in an error, not hang.",
        deadline: secs(20),
        roles: CLI,
        run: hostile::pointer_loop,
    },
    Stage {
        id: "malformed",
        title: "Malformed replies: errors, never panics or hangs",
        points: 4,
        hint: "Check every length against the bytes really there: RDLENGTH, counts, an A record of 4 bytes exactly, nothing after the last record.",
        deadline: secs(20),
        roles: CLI,
        run: hostile::malformed,
    },
    Stage {
        id: "silent-server",
        title: "A server that never answers: exit 1, soon",
        points: 3,
        hint: "After the last attempt times out, print one line and exit with code 1.",
        deadline: secs(20),
        roles: CLI,
        run: transport::silent_server,
    },
];

/// The wrong solutions in checker/fixtures that the stages must catch.
const MISTAKES: &[Mistake] = &[
    Mistake {
        what: "Parsing aton's input with `str::parse::<Ipv4Addr>`",
        fixture: "resolver-strict-aton",
        role: "cli",
        passes: Some("pton-ntoa"),
        fails: "aton-forms",
        verdict: Verdict::Failed,
        says: "aton 127.1",
        golden: true,
    },
    Mistake {
        what: "Taking the first datagram that arrives as the reply",
        fixture: "resolver-no-id-check",
        role: "cli",
        passes: Some("query-a"),
        fails: "forged-replies",
        verdict: Verdict::Failed,
        says: "the forged reply",
        golden: false,
    },
    Mistake {
        what: "A 512-byte buffer, and the TC flag ignored",
        fixture: "resolver-512",
        role: "cli",
        passes: Some("query-a"),
        fails: "truncated",
        verdict: Verdict::Failed,
        says: "never asked over TCP",
        golden: true,
    },
    Mistake {
        what: "Following compression pointers without a limit",
        fixture: "resolver-no-hop-limit",
        role: "cli",
        passes: Some("query-a"),
        fails: "pointer-loop",
        verdict: Verdict::TimedOut,
        says: "was still running after",
        golden: true,
    },
    Mistake {
        what: "Following pointers that point before themselves, without a length limit",
        fixture: "resolver-label-loop",
        role: "cli",
        passes: Some("query-a"),
        fails: "pointer-loop",
        verdict: Verdict::TimedOut,
        says: "was still running after",
        golden: false,
    },
    Mistake {
        what: "The same query ID every time (the chapter's example, 0x1a2b)",
        fixture: "resolver-fixed-id",
        role: "cli",
        passes: Some("query-a"),
        fails: "random-id",
        verdict: Verdict::Failed,
        says: "every one with the ID 6699",
        golden: false,
    },
    Mistake {
        what: "Trusting a reply with our ID without checking its question",
        fixture: "resolver-question-blind",
        role: "cli",
        passes: Some("query-a"),
        fails: "forged-replies",
        verdict: Verdict::Failed,
        says: "question is not ours",
        golden: false,
    },
    Mistake {
        what: "A TCP read timeout per read, not a deadline for the attempt",
        fixture: "resolver-tcp-per-read",
        role: "cli",
        passes: Some("query-a"),
        fails: "tcp",
        verdict: Verdict::TimedOut,
        says: "was still running after",
        golden: false,
    },
    Mistake {
        what: "Reading a name inside a record's data from the record's bytes alone",
        fixture: "resolver-rdata-slice",
        role: "cli",
        passes: Some("decode-records"),
        fails: "decode-compression",
        verdict: Verdict::Failed,
        says: "read from the whole message",
        golden: true,
    },
];
