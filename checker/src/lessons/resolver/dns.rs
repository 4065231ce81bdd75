//! The checker's DNS server, on its side of the protocol: the zone, the
//! query read and checked with hickory-proto, the reply built, a decoded
//! line for the transcript, and the scripted peers on UDP and TCP.

use std::net::Ipv4Addr;

use hickory_proto::op::{Message, MessageType, OpCode, Query, ResponseCode};
use hickory_proto::rr::rdata::{A, AAAA, CNAME, MX, NS, PTR, TXT};
use hickory_proto::rr::{DNSClass, Name, RData, Record, RecordType};

use crate::ctx::Ctx;
use crate::peer::{Datagram, TcpPeer, UdpPeer};
use crate::verdict::{Failure, Outcome};
use crate::wire::{self, Conn, Udp};

/// What the checker's zone holds for a question.
enum Answer {
    Records(Vec<Record>),
    Code(ResponseCode),
}

fn name(text: &str) -> Name {
    Name::from_ascii(text).expect("a zone name")
}

/// A record of the zone: `owner`, a TTL, and its data.
pub(super) fn record(owner: &str, ttl: u32, data: RData) -> Record {
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
pub(super) fn read_query(bytes: &[u8]) -> Result<Message, Failure> {
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
pub(super) fn zone_reply(query: &Message) -> Vec<u8> {
    let q: &Query = &query.queries[0];
    reply(query, zone(q.name(), q.query_type()))
}

/// A record as dig (and the resolver) prints it: hickory's own form, but
/// for TXT, whose strings are quoted one by one, and MX, spelled out.
fn shown(r: &Record) -> String {
    let head = format!("{} {} IN {}", r.name, r.ttl, r.record_type());
    match &r.data {
        RData::TXT(txt) => {
            let strings: Vec<String> = txt
                .txt_data
                .iter()
                .map(|s| {
                    let mut out = String::from("\"");
                    for &b in s.iter() {
                        match b {
                            b'"' | b'\\' => {
                                out.push('\\');
                                out.push(b as char);
                            }
                            b' '..=b'~' => out.push(b as char),
                            _ => out.push_str(&format!("\\{b:03}")),
                        }
                    }
                    out.push('"');
                    out
                })
                .collect();
            format!("{head} {}", strings.join(" "))
        }
        RData::MX(mx) => format!("{head} {} {}", mx.preference, mx.exchange),
        _ => r.to_string(),
    }
}

/// One line for the transcript: `query id=0x1a2b A www.example.test.` or
/// `reply id=0x1a2b NOERROR, 1 answer: www.example.test. 300 IN A 192.0.2.1`,
/// every answer shown whole, separated by `; `.
pub(super) fn decode(bytes: &[u8]) -> Option<String> {
    let m = Message::from_vec(bytes).ok()?;
    let q = m
        .queries
        .first()
        .map(|q| format!("{} {}", q.query_type(), q.name()))
        .unwrap_or_default();
    if m.metadata.message_type == MessageType::Query {
        return Some(format!("query id={:#06x} {q}", m.metadata.id));
    }
    // Every record whole, as the resolver must print it.
    let records: Vec<String> = m.answers.iter().map(shown).collect();
    let first = if records.is_empty() {
        String::new()
    } else {
        format!(": {}", records.join("; "))
    };
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
        "reply id={:#06x} {rcode}{} to {q}, {} answer{}{first}",
        m.metadata.id,
        if m.metadata.truncation { " TC" } else { "" },
        m.answers.len(),
        if m.answers.len() == 1 { "" } else { "s" }
    ))
}

/// The queries a DNS peer saw.
type Seen = Vec<Message>;

/// A DNS server on UDP, scripted by `answer` (called with each query and
/// its number; it sends what it likes, or nothing).
pub(super) fn dns_udp(
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

/// One query over TCP: its 2-byte length, then the query.
pub(super) fn recv_tcp_query(conn: &mut Conn) -> Result<Vec<u8>, Failure> {
    let length = conn
        .recv_exact(2, "the 2-byte length before the query")?
        .ok_or_else(|| Failure::failed("the resolver connected over TCP and sent nothing"))?;
    let length = u16::from_be_bytes([length[0], length[1]]) as usize;
    conn.recv_exact(length, "the query")?
        .ok_or_else(|| Failure::failed("the query never came after its length"))
}

/// A DNS server on TCP at `port` (beside a UDP one), answering from the zone.
fn dns_tcp(ctx: &Ctx, port: u16) -> Result<TcpPeer<Message>, Failure> {
    ctx.tcp_peer_at(
        &format!("127.0.0.1:{port}"),
        "the checker's DNS server (TCP)",
        None,
        |conn, _| {
            let bytes = recv_tcp_query(conn)?;
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

/// A UDP DNS server and a TCP one on the same port.
pub(super) fn udp_and_tcp(
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
        // Another program (a test running beside) may take the port between
        // the probe and here: then try another.
        let Ok(udp) = dns_udp_at(ctx, &addr.to_string(), answer.clone()) else {
            continue;
        };
        match dns_tcp(ctx, addr.port()) {
            Ok(tcp) => return Ok((udp, tcp)),
            Err(_) => {
                let _ = udp.finish();
            }
        }
    }
    Err(Failure::checker_error("no port free for UDP and TCP both"))
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
}
