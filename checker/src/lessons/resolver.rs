//! Lesson 4, the name resolver: the stages. The local commands (byte
//! order, addresses, the hosts file) are graded by their output; `query`
//! against the checker's own DNS server on loopback, which reads each query
//! with hickory-proto (a DNS library of its own, not the reference's
//! parser), answers from a small zone, or hand-builds the lost, forged,
//! truncated and malformed replies a resolver must survive.

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use hickory_proto::op::{Message, MessageType, OpCode, Query, ResponseCode};
use hickory_proto::rr::rdata::{A, AAAA, CNAME, MX, NS, PTR, TXT};
use hickory_proto::rr::{DNSClass, Name, RData, Record, RecordType};

use crate::course::Stage;
use crate::course::{HandPeer, Lesson, Mistake, Role};
use crate::ctx::{Ctx, Finished};
use crate::peer::{Datagram, TcpPeer, UdpPeer};
use crate::process::Input;
use crate::time::{ms, secs};
use crate::verdict::{Failure, Outcome, Verdict};
use crate::wire::{self, Udp};

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
        run: serve_by_hand,
    }),
    reading: &[
        ("Byte order, again", &["byte-order"]),
        (
            "Addresses as text: lenient and strict",
            &["aton-forms", "aton-rejects", "aton-trailing", "pton-ntoa"],
        ),
        (
            "Names: the hosts file and the system's resolver",
            &["hosts", "hosts-reverse", "lookup"],
        ),
        (
            "DNS on the wire",
            &[
                "query-a",
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

const fn stage(
    id: &'static str,
    title: &'static str,
    hint: &'static str,
    run: fn(&mut Ctx) -> Outcome,
) -> Stage {
    Stage::five_points(CLI, secs(20), id, title, hint, run)
}

const STAGES: &[Stage] = &[
    stage(
        "byte-order",
        "htonl, ntohl, htons, ntohs, and the machine's order",
        "u32::to_be and u16::to_be are htonl and htons: a swap on a little-endian machine, nothing on a big-endian one. Print the result in decimal, then 0x and 8 (or 4) hex digits, then the machine's order.",
        byte_order,
    ),
    stage(
        "aton-forms",
        "aton reads 127.1, 0x7f.1 and 010.0.0.1 as glibc does",
        "inet_aton takes 1 to 4 parts, each decimal, octal (leading 0) or hex (0x); the last part fills the bytes that remain. Str::parse::<Ipv4Addr> is the strict parser: not this one.",
        aton_forms,
    ),
    stage(
        "aton-rejects",
        "aton refuses what glibc refuses",
        "Check each part's range for its form (a.b: b < 2^24), refuse 8 and 9 in octal, empty parts, a fifth part, and trailing text that does not start with white space.",
        aton_rejects,
    ),
    stage(
        "aton-trailing",
        "aton stops at white space, as glibc does",
        "glibc ignores everything after the number once it meets a space or a tab: \"1.2.3.4 junk\" is 1.2.3.4.",
        aton_trailing,
    ),
    stage(
        "pton-ntoa",
        "pton is strict and knows IPv6; ntoa reads hex",
        "pton is str::parse::<IpAddr>: one spelling per address. ntoa takes exactly 8 hex digits.",
        pton_ntoa,
    ),
    stage(
        "hosts",
        "A hosts file: canonical name, aliases, addresses",
        "Skip comments (#) and blank lines; split on spaces and tabs; match names without regard to case; gather every line that names the host; skip a bad line with a warning on stderr.",
        hosts,
    ),
    stage(
        "hosts-reverse",
        "A hosts file, by address (IPv4 and IPv6)",
        "--reverse: the first line whose address equals the one given (compare parsed addresses, not strings).",
        hosts_reverse,
    ),
    stage(
        "lookup",
        "The system's resolver: lookup and fqdn localhost",
        "(\"localhost\", 0).to_socket_addrs() calls getaddrinfo; print each address once, one per line.",
        lookup,
    ),
    stage(
        "query-a",
        "A query by hand, and its answer as dig prints it",
        "12 bytes of header (a random ID, RD set, QDCOUNT 1), the name as labels, QTYPE, QCLASS 1; print each answer as `NAME TTL IN TYPE DATA`.",
        query_a,
    ),
    stage(
        "query-types",
        "AAAA, MX, TXT and NS records",
        "AAAA prints as Rust prints an Ipv6Addr; MX as `PREFERENCE EXCHANGE.`; TXT as quoted strings separated by spaces; NS as a name.",
        query_types,
    ),
    stage(
        "ptr",
        "PTR for an address asks for its in-addr.arpa name",
        "For PTR, an address turns into its reverse name: 192.0.2.1 is 1.2.0.192.in-addr.arpa.",
        ptr,
    ),
    stage(
        "rcodes",
        "NXDOMAIN, no data, REFUSED, SERVFAIL: exit codes",
        "Exit 3 for NXDOMAIN; 4 when the answer holds no record of the type asked; 5 for REFUSED, SERVFAIL, NOTIMP, FORMERR, with the code named.",
        rcodes,
    ),
    stage(
        "retry",
        "The first query is lost: asked again after --timeout",
        "Wait --timeout for each attempt; when it passes, send the query again, --retries more times at most.",
        retry,
    ),
    stage(
        "forged-replies",
        "Replies with a wrong ID or from elsewhere: ignored",
        "A reply counts only if it comes from the server's address and port and carries your query's ID (and question). Ignore the rest and keep waiting.",
        forged_replies,
    ),
    stage(
        "truncated",
        "A truncated reply (TC) is asked again over TCP",
        "If the reply has TC set, ask again over TCP on the same address: a 2-byte length, then the query, in one write; read the 2-byte length, then the reply.",
        truncated,
    ),
    stage(
        "tcp",
        "--tcp asks over TCP from the start",
        "Over TCP every message is preceded by its length in 2 bytes, big-endian (RFC 1035, 4.2.2).",
        tcp,
    ),
    stage(
        "cname-chain",
        "A CNAME chain is followed with new queries",
        "When the answer ends in a CNAME and holds nothing of the type asked, ask again for the CNAME's target; at most 8 times.",
        cname_chain,
    ),
    stage(
        "pointer-loop",
        "A compression pointer loop: an error, at once",
        "A compression pointer must point before itself, or at least be followed a bounded number of times: a loop must end in an error, not hang.",
        pointer_loop,
    ),
    stage(
        "malformed",
        "Malformed replies: errors, never panics or hangs",
        "Check every length against the bytes really there: RDLENGTH, counts, an A record of 4 bytes exactly, nothing after the last record.",
        malformed,
    ),
    stage(
        "silent-server",
        "A server that never answers: exit 1, soon",
        "After the last attempt times out, print one line and exit with code 1.",
        silent_server,
    ),
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
];

// ---------------------------------------------------------------------
// Running the program

/// Runs `resolver-cli ARGS...`; it should end within a few seconds.
fn run(ctx: &Ctx, args: &[&str]) -> Result<Finished, Failure> {
    ctx.run_client("cli", args, Input::Nothing, secs(5))
}

/// The program must exit with `code` and print exactly `lines`.
fn expect(finished: &Finished, what: &str, code: i32, lines: &[&str]) -> Outcome {
    let want: String = lines.iter().map(|l| format!("{l}\n")).collect();
    finished.expect_exit(what, code, want.as_bytes())
}

/// The program must fail with `code` and one line on stderr.
fn expect_error(finished: &Finished, what: &str, code: i32) -> Outcome {
    expect(finished, what, code, &[])?;
    let lines = finished
        .stderr
        .lines()
        .filter(|l| !l.trim().is_empty())
        .count();
    if lines == 0 {
        return Err(
            Failure::failed(format!("{what}: the resolver said nothing on stderr"))
                .expected("one line on stderr that says what went wrong"),
        );
    }
    Ok(())
}

// ---------------------------------------------------------------------
// The local commands

fn byte_order(ctx: &mut Ctx) -> Outcome {
    let order = if cfg!(target_endian = "little") {
        "this machine is little-endian"
    } else {
        "this machine is big-endian"
    };
    let swap_l = |n: u32| n.to_be();
    let swap_s = |n: u16| n.to_be();
    let cases: [(&str, u64, String); 4] = [
        ("htonl", 1, format!("0x{:08x}", swap_l(1))),
        (
            "ntohl",
            0x0102_0304,
            format!("0x{:08x}", swap_l(0x0102_0304)),
        ),
        ("htons", 1, format!("0x{:04x}", swap_s(1))),
        ("ntohs", 0xabcd, format!("0x{:04x}", swap_s(0xabcd))),
    ];
    for (command, n, hex) in cases {
        let decimal = u64::from_str_radix(&hex[2..], 16).expect("hex").to_string();
        let arg = n.to_string();
        let finished = run(ctx, &[command, &arg])?;
        expect(
            &finished,
            &format!("{command} {n}"),
            0,
            &[&decimal, &hex, order],
        )?;
    }
    let finished = run(ctx, &["htons", "65536"])?;
    expect_error(&finished, "htons 65536 (too big for 16 bits)", 2)
}

/// `aton TEXT` must print the address and its bytes in hex.
fn aton_ok(ctx: &Ctx, text: &str, dotted: &str) -> Outcome {
    let addr: Ipv4Addr = dotted.parse().expect("a test address");
    let hex = wire::hex(&addr.octets());
    let finished = run(ctx, &["aton", text])?;
    expect(&finished, &format!("aton {text}"), 0, &[dotted, &hex])
}

fn aton_forms(ctx: &mut Ctx) -> Outcome {
    for (text, dotted) in [
        ("127.0.0.1", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("0x7f.1", "127.0.0.1"),
        ("010.0.0.1", "8.0.0.1"),
        ("1", "0.0.0.1"),
        ("1.2.65535", "1.2.255.255"),
        ("0xffffffff", "255.255.255.255"),
    ] {
        aton_ok(ctx, text, dotted)?;
    }
    Ok(())
}

fn aton_rejects(ctx: &mut Ctx) -> Outcome {
    for text in [
        "256.1.1.1",
        "1.16777216",
        "4294967296",
        "08.1.1.1",
        "1..2",
        "1.2.3.4.5",
        "1.2.3.4x",
        "0x",
        "",
    ] {
        let finished = run(ctx, &["aton", text])?;
        expect_error(&finished, &format!("aton {text:?}"), 1)?;
    }
    Ok(())
}

fn aton_trailing(ctx: &mut Ctx) -> Outcome {
    aton_ok(ctx, "1.2.3.4 junk", "1.2.3.4")?;
    aton_ok(ctx, "1.2.3.4\tx", "1.2.3.4")
}

fn pton_ntoa(ctx: &mut Ctx) -> Outcome {
    let finished = run(ctx, &["pton", "192.0.2.1"])?;
    expect(
        &finished,
        "pton 192.0.2.1",
        0,
        &["192.0.2.1", "c0 00 02 01"],
    )?;
    let v6: Ipv6Addr = "2001:db8::1".parse().expect("an address");
    let finished = run(ctx, &["pton", "2001:0db8:0:0::1"])?;
    expect(
        &finished,
        "pton 2001:0db8:0:0::1",
        0,
        &["2001:db8::1", &wire::hex(&v6.octets())],
    )?;
    for strict in ["127.1", "010.0.0.1"] {
        let finished = run(ctx, &["pton", strict])?;
        expect_error(&finished, &format!("pton {strict}"), 1)?;
    }
    let finished = run(ctx, &["ntoa", "80772b0c"])?;
    expect(
        &finished,
        "ntoa 80772b0c",
        0,
        &["128.119.43.12", "80 77 2b 0c"],
    )?;
    let finished = run(ctx, &["ntoa", "7f00001"])?;
    expect_error(&finished, "ntoa 7f00001 (7 digits)", 1)
}

/// A hosts file for the stages, written into a fresh temporary folder.
const HOSTS: &str = "\
# The checker's hosts file
127.0.0.1\tlocalhost
192.0.2.10   www.example.test   www    # a comment after the names
300.1.1.1    broken.example.test
192.0.2.12   WWW.Example.Test   web
2001:db8::10 www.example.test v6
";

fn hosts_file(ctx: &Ctx) -> Result<String, Failure> {
    let dir = std::env::temp_dir().join(format!(
        "checker-hosts-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    std::fs::create_dir_all(&dir).map_err(|e| Failure::checker_error(e.to_string()))?;
    let path = dir.join("hosts");
    std::fs::write(&path, HOSTS).map_err(|e| Failure::checker_error(e.to_string()))?;
    ctx.note(format!(
        "the checker's hosts file, {}:\n{}",
        path.display(),
        HOSTS.trim_end()
    ));
    Ok(path.display().to_string())
}

fn hosts(ctx: &mut Ctx) -> Outcome {
    let file = hosts_file(ctx)?;
    let finished = run(ctx, &["hosts", "WWW.example.TEST", "--file", &file])?;
    expect(
        &finished,
        "hosts WWW.example.TEST",
        0,
        &[
            "name: www.example.test",
            "aliases: www web",
            "addresses: 192.0.2.10 192.0.2.12",
        ],
    )?;
    if !finished.stderr.contains("300.1.1.1") {
        return Err(
            Failure::failed("the line with 300.1.1.1 was skipped without a warning")
                .expected("a warning on stderr that names the bad line")
                .got(format!(
                    "stderr: {}",
                    wire::quote_text(finished.stderr.trim())
                )),
        );
    }
    let finished = run(ctx, &["hosts", "nowhere.example.test", "--file", &file])?;
    expect_error(&finished, "hosts nowhere.example.test", 3)
}

fn hosts_reverse(ctx: &mut Ctx) -> Outcome {
    let file = hosts_file(ctx)?;
    let finished = run(ctx, &["hosts", "--reverse", "192.0.2.12", "--file", &file])?;
    expect(
        &finished,
        "hosts --reverse 192.0.2.12",
        0,
        &[
            "name: WWW.Example.Test",
            "aliases: web",
            "addresses: 192.0.2.12",
        ],
    )?;
    let finished = run(
        ctx,
        &["hosts", "--reverse", "2001:db8:0::10", "--file", &file],
    )?;
    expect(
        &finished,
        "hosts --reverse 2001:db8:0::10",
        0,
        &[
            "name: www.example.test",
            "aliases: v6",
            "addresses: 2001:db8::10",
        ],
    )
}

fn lookup(ctx: &mut Ctx) -> Outcome {
    let finished = run(ctx, &["lookup", "localhost"])?;
    finished.expect_success()?;
    let text = String::from_utf8_lossy(&finished.stdout);
    let lines: Vec<&str> = text.lines().collect();
    let unique = lines
        .iter()
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    if !lines.contains(&"127.0.0.1") || unique != lines.len() {
        return Err(Failure::failed(
            "lookup localhost: not one line per address, with 127.0.0.1 among them",
        )
        .expected("127.0.0.1 (and ::1 where the system has it), each once")
        .got(wire::show(&finished.stdout)));
    }
    let finished = run(ctx, &["fqdn", "localhost"])?;
    expect(&finished, "fqdn localhost", 0, &["localhost"])
}

// ---------------------------------------------------------------------
// The checker's DNS server

/// What the checker's zone holds for a question.
enum Answer {
    Records(Vec<Record>),
    Code(ResponseCode),
}

fn name(text: &str) -> Name {
    Name::from_ascii(text).expect("a zone name")
}

fn record(owner: &str, ttl: u32, data: RData) -> Record {
    Record::from_rdata(name(owner), ttl, data)
}

/// The zone every query stage asks.
fn zone(asked: &Name, qtype: RecordType) -> Answer {
    let owner = asked.to_ascii().to_ascii_lowercase();
    let records = match (owner.as_str(), qtype) {
        ("www.example.test.", RecordType::A) => vec![record(
            "www.example.test.",
            300,
            RData::A(A(Ipv4Addr::new(192, 0, 2, 1))),
        )],
        ("www.example.test.", RecordType::AAAA) => vec![record(
            "www.example.test.",
            300,
            RData::AAAA(AAAA("2001:db8::1".parse().expect("v6"))),
        )],
        ("example.test.", RecordType::MX) => vec![
            record(
                "example.test.",
                60,
                RData::MX(MX::new(10, name("mail.example.test."))),
            ),
            record(
                "example.test.",
                60,
                RData::MX(MX::new(20, name("backup.example.test."))),
            ),
        ],
        ("example.test.", RecordType::TXT) => vec![record(
            "example.test.",
            60,
            RData::TXT(TXT::new(vec!["v=spf1 -all".into(), "say \"hi\"".into()])),
        )],
        ("example.test.", RecordType::NS) => vec![record(
            "example.test.",
            3600,
            RData::NS(NS(name("ns1.example.test."))),
        )],
        ("1.2.0.192.in-addr.arpa.", RecordType::PTR) => vec![record(
            "1.2.0.192.in-addr.arpa.",
            300,
            RData::PTR(PTR(name("www.example.test."))),
        )],
        // Two aliases in a row, each answered alone: the client must ask
        // again for each target.
        ("alias.example.test.", _) => vec![record(
            "alias.example.test.",
            30,
            RData::CNAME(CNAME(name("alias2.example.test."))),
        )],
        ("alias2.example.test.", _) => vec![record(
            "alias2.example.test.",
            30,
            RData::CNAME(CNAME(name("www.example.test."))),
        )],
        ("refused.example.test.", _) => return Answer::Code(ResponseCode::Refused),
        ("servfail.example.test.", _) => return Answer::Code(ResponseCode::ServFail),
        ("www.example.test." | "example.test.", _) => Vec::new(), // no data
        _ => return Answer::Code(ResponseCode::NXDomain),
    };
    Answer::Records(records)
}

/// Reads the student's query, checks it is a proper one, and returns it.
fn read_query(bytes: &[u8]) -> Result<Message, Failure> {
    let query = Message::from_vec(bytes).map_err(|e| {
        Failure::failed(format!("the checker's DNS server cannot read the query: {e}"))
            .got(wire::preview(bytes))
            .hint("12 bytes of header, then QNAME as labels (a length byte, the bytes; a 0 byte at the end), QTYPE, QCLASS")
    })?;
    let meta = &query.metadata;
    let problem = if meta.message_type != MessageType::Query {
        Some("the QR bit is set: that marks a response, not a query")
    } else if meta.op_code != OpCode::Query {
        Some("the OPCODE is not 0 (a standard query)")
    } else if !meta.recursion_desired {
        Some("RD (recursion desired) is not set")
    } else if query.queries.len() != 1 {
        Some("QDCOUNT is not 1: ask exactly one question")
    } else if query.queries[0].query_class() != DNSClass::IN {
        Some("QCLASS is not 1 (IN)")
    } else {
        None
    };
    match problem {
        Some(problem) => Err(Failure::failed(format!(
            "the query is not as the RFC says: {problem}"
        ))
        .got(wire::preview(bytes))),
        None => Ok(query),
    }
}

/// The reply to `query`: from the zone, or with `code`.
fn reply(query: &Message, answer: Answer) -> Vec<u8> {
    let mut reply = Message::response(query.metadata.id, OpCode::Query);
    reply.metadata.recursion_desired = query.metadata.recursion_desired;
    reply.metadata.recursion_available = true;
    reply.add_query(query.queries[0].clone());
    match answer {
        Answer::Records(records) => {
            reply.insert_answers(records);
        }
        Answer::Code(code) => reply.metadata.response_code = code,
    }
    reply.to_vec().expect("the checker's reply encodes")
}

/// The zone's reply to `query`.
fn zone_reply(query: &Message) -> Vec<u8> {
    let q: &Query = &query.queries[0];
    reply(query, zone(q.name(), q.query_type()))
}

/// One line for the transcript: `query id=0x1a2b A www.example.test.` or
/// `reply id=0x1a2b NOERROR, 1 answer: www.example.test. 300 IN A 192.0.2.1`.
fn decode(bytes: &[u8]) -> Option<String> {
    let m = Message::from_vec(bytes).ok()?;
    let q = m
        .queries
        .first()
        .map(|q| format!("{} {}", q.query_type(), q.name()))
        .unwrap_or_default();
    if m.metadata.message_type == MessageType::Query {
        return Some(format!("query id={:#06x} {q}", m.metadata.id));
    }
    let first = m
        .answers
        .first()
        .map(|r| format!(": {r}"))
        .unwrap_or_default();
    // dig's names for the codes.
    let rcode = match u16::from(m.metadata.response_code) {
        0 => "NOERROR".to_string(),
        1 => "FORMERR".to_string(),
        2 => "SERVFAIL".to_string(),
        3 => "NXDOMAIN".to_string(),
        4 => "NOTIMP".to_string(),
        5 => "REFUSED".to_string(),
        other => format!("RCODE{other}"),
    };
    Some(format!(
        "reply id={:#06x} {rcode}{} to {q}, {} answer(s){first}",
        m.metadata.id,
        if m.metadata.truncation { " TC" } else { "" },
        m.answers.len()
    ))
}

/// The queries a DNS peer saw.
type Seen = Vec<Message>;

/// A DNS server on UDP, scripted by `answer` (called with each query and
/// its number; it sends what it likes, or nothing).
fn dns_udp(
    ctx: &Ctx,
    answer: impl Fn(&Udp, &Datagram, &Message) -> Outcome + Send + 'static,
) -> Result<UdpPeer<Seen>, Failure> {
    dns_udp_at(ctx, "127.0.0.1:0", answer)
}

/// [`dns_udp`] on a given address.
fn dns_udp_at(
    ctx: &Ctx,
    addr: &str,
    answer: impl Fn(&Udp, &Datagram, &Message) -> Outcome + Send + 'static,
) -> Result<UdpPeer<Seen>, Failure> {
    ctx.udp_peer_at(
        addr,
        "the checker's DNS server",
        Some(decode),
        Vec::new(),
        move |seen: &mut Seen, sock, d| {
            let query = read_query(&d.bytes)?;
            let outcome = answer(sock, &d, &query);
            seen.push(query);
            outcome
        },
    )
}

/// A DNS server on TCP at `port` (beside a UDP one), answering from the zone.
fn dns_tcp(ctx: &Ctx, port: u16) -> Result<TcpPeer<Message>, Failure> {
    ctx.tcp_peer_at(
        &format!("127.0.0.1:{port}"),
        "the checker's DNS server (TCP)",
        None,
        |conn, _| {
            let length = conn
                .recv_exact(2, "the 2-byte length before the query")?
                .ok_or_else(|| {
                    Failure::failed("the resolver connected over TCP and sent nothing")
                })?;
            let length = u16::from_be_bytes([length[0], length[1]]) as usize;
            let bytes = conn
                .recv_exact(length, "the query")?
                .ok_or_else(|| Failure::failed("the query never came after its length"))?;
            if let Some(line) = decode(&bytes) {
                conn.note(format!("the checker's DNS server (TCP) ← {line}"));
            }
            let query = read_query(&bytes)?;
            let reply = zone_reply(&query);
            let mut framed = (reply.len() as u16).to_be_bytes().to_vec();
            framed.extend_from_slice(&reply);
            conn.send(&framed)?;
            Ok(query)
        },
    )
}

/// Runs `query ARGS... --server ADDR --timeout T --retries R`.
fn query(
    ctx: &Ctx,
    server: SocketAddr,
    args: &[&str],
    timeout: Duration,
) -> Result<Finished, Failure> {
    let (addr, timeout) = (server.to_string(), ctx.flag(timeout));
    let mut all = vec!["query"];
    all.extend(args);
    all.extend(["--server", &addr, "--timeout", &timeout, "--retries", "2"]);
    run(ctx, &all)
}

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

fn query_a(ctx: &mut Ctx) -> Outcome {
    ask_zone(
        ctx,
        &["www.example.test"],
        0,
        &["www.example.test. 300 IN A 192.0.2.1"],
    )
}

fn query_types(ctx: &mut Ctx) -> Outcome {
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

fn ptr(ctx: &mut Ctx) -> Outcome {
    ask_zone(
        ctx,
        &["192.0.2.1", "PTR"],
        0,
        &["1.2.0.192.in-addr.arpa. 300 IN PTR www.example.test."],
    )
}

fn rcodes(ctx: &mut Ctx) -> Outcome {
    ask_zone(ctx, &["missing.example.test"], 3, &[])?;
    ask_zone(ctx, &["www.example.test", "MX"], 4, &[])?;
    ask_zone(ctx, &["refused.example.test"], 5, &[])?;
    ask_zone(ctx, &["servfail.example.test"], 5, &[])
}

fn retry(ctx: &mut Ctx) -> Outcome {
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

fn forged_replies(ctx: &mut Ctx) -> Outcome {
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
    expect(
        &finished,
        "query www.example.test",
        0,
        &["www.example.test. 300 IN A 192.0.2.1"],
    )
}

/// A UDP DNS server and a TCP one on the same port.
fn udp_and_tcp(
    ctx: &Ctx,
    answer: impl Fn(&Udp, &Datagram, &Message) -> Outcome + Send + Clone + 'static,
) -> Result<(UdpPeer<Seen>, TcpPeer<Message>), Failure> {
    // A port free on both UDP and TCP, found quietly first, so that the
    // transcript reads the same whatever was tried.
    for _ in 0..20 {
        let probe = std::net::UdpSocket::bind("127.0.0.1:0")
            .and_then(|u| Ok((u.local_addr()?, u)))
            .map_err(|e| Failure::checker_error(e.to_string()))?;
        let (addr, udp_probe) = probe;
        let Ok(tcp_probe) = std::net::TcpListener::bind(addr) else {
            continue;
        };
        drop((udp_probe, tcp_probe));
        let udp = dns_udp_at(ctx, &addr.to_string(), answer.clone())?;
        let tcp = dns_tcp(ctx, addr.port())?;
        return Ok((udp, tcp));
    }
    Err(Failure::checker_error("no port free for UDP and TCP both"))
}

fn truncated(ctx: &mut Ctx) -> Outcome {
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

fn tcp(ctx: &mut Ctx) -> Outcome {
    let (udp, tcp) = udp_and_tcp(ctx, |sock, d, q| sock.send_to(&zone_reply(q), d.from))?;
    let finished = query(ctx, udp.addr(), &["example.test", "MX", "--tcp"], secs(2));
    let over_udp = udp.finish()?;
    let over_tcp = tcp.finish();
    let finished = finished?;
    if !over_udp.is_empty() || over_tcp.is_empty() {
        return Err(Failure::failed(format!(
            "with --tcp the resolver sent {} UDP quer(ies) and made {} TCP connection(s)",
            over_udp.len(),
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
    )
}

fn cname_chain(ctx: &mut Ctx) -> Outcome {
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
    let finished = query(ctx, peer.addr(), &["www.example.test"], secs(2));
    peer.finish()?;
    let finished = finished.map_err(|f| {
        f.hint("a malformed reply must end in an error: check every length, and never follow a pointer that does not point backwards")
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

fn pointer_loop(ctx: &mut Ctx) -> Outcome {
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
    })
}

fn malformed(ctx: &mut Ctx) -> Outcome {
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

fn silent_server(ctx: &mut Ctx) -> Outcome {
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
            "the resolver sent {} quer(ies); with --retries 2 it should send 3",
            seen.len()
        )));
    }
    Ok(())
}

/// The zone's names, as `cargo grade peer dns` lists them.
const ZONE_NAMES: &[&str] = &[
    "www.example.test       A, AAAA",
    "example.test           MX, TXT, NS",
    "1.2.0.192.in-addr.arpa PTR",
    "alias.example.test     CNAME (a chain of two)",
    "missing.example.test   NXDOMAIN",
    "refused.example.test   REFUSED",
    "servfail.example.test  SERVFAIL",
];

/// `cargo grade peer dns`: the stages' DNS server, on UDP and TCP, for a
/// person to try their resolver (or dig) against. Prints each message.
fn serve_by_hand() -> std::io::Result<()> {
    use std::io::{Read, Write};
    let (udp, tcp) = loop {
        let udp = std::net::UdpSocket::bind("127.0.0.1:0")?;
        if let Ok(tcp) = std::net::TcpListener::bind(udp.local_addr()?) {
            break (udp, tcp);
        }
    };
    let addr = udp.local_addr()?;
    println!("the checker's DNS server listens on {addr}, UDP and TCP (Ctrl-C stops it)");
    println!("it knows:");
    for name in ZONE_NAMES {
        println!("  {name}");
    }
    println!(
        "try:  cargo run -q -p resolver --bin resolver-cli -- query www.example.test --server {addr}"
    );
    println!(
        "      dig @{} -p {} alias.example.test",
        addr.ip(),
        addr.port()
    );
    let show = |arrow: &str, bytes: &[u8]| {
        println!(
            "{arrow} {}",
            decode(bytes).unwrap_or_else(|| wire::preview(bytes))
        );
    };
    std::thread::spawn(move || {
        for mut stream in tcp.incoming().flatten() {
            let mut length = [0u8; 2];
            let mut query = Vec::new();
            let read = stream.read_exact(&mut length).and_then(|()| {
                query.resize(u16::from_be_bytes(length) as usize, 0);
                stream.read_exact(&mut query)
            });
            if read.is_err() {
                continue;
            }
            show("TCP ←", &query);
            if let Ok(q) = read_query(&query) {
                let reply = zone_reply(&q);
                show("TCP →", &reply);
                let _ =
                    stream.write_all(&[&(reply.len() as u16).to_be_bytes()[..], &reply].concat());
            }
        }
    });
    let mut buf = vec![0u8; 65_535];
    loop {
        let (n, from) = udp.recv_from(&mut buf)?;
        show(&format!("UDP ← {from}"), &buf[..n]);
        match read_query(&buf[..n]) {
            Ok(q) => {
                let reply = zone_reply(&q);
                show(&format!("UDP → {from}"), &reply);
                udp.send_to(&reply, from)?;
            }
            Err(f) => println!("   (not answered: {})", f.summary),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_zone_answers_and_decodes() {
        let q = {
            let mut m = Message::query();
            m.metadata.id = 0x1a2b;
            m.metadata.recursion_desired = true;
            m.add_query(Query::query(name("www.example.test."), RecordType::A));
            m.to_vec().unwrap()
        };
        assert_eq!(decode(&q).unwrap(), "query id=0x1a2b A www.example.test.");
        let reply = zone_reply(&read_query(&q).unwrap());
        let line = decode(&reply).unwrap();
        assert!(line.starts_with("reply id=0x1a2b NOERROR"), "{line}");
        assert!(line.contains("192.0.2.1"), "{line}");
    }

    #[test]
    fn the_hand_built_pointer_loop_points_at_itself() {
        let q = b"\x00\x01\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x03www\x00\x00\x01\x00\x01";
        let at = q.len();
        let reply = hand_built(q, 1, &[0xc0, at as u8], &[]);
        assert_eq!(reply[at], 0xc0);
        assert_eq!(reply[at + 1] as usize, at);
    }
}
