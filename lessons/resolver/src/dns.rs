//! The DNS message on the wire (RFC 1035, section 4.1).
//!
//! ```text
//!  header     12 bytes: ID, flags, and four counts
//!  question   QNAME (labels), QTYPE, QCLASS
//!  answer     records: NAME, TYPE, CLASS, TTL, RDLENGTH, RDATA
//!  authority  records
//!  additional records
//! ```
//!
//! A reply comes from the network, so nothing in it is trusted: every
//! length is checked against what is really there, a compression pointer
//! must point backwards (so following them always ends), a name may not
//! grow past 255 bytes, and nothing is allocated from a count the sender
//! wrote. A malformed reply is an error that says where, never a panic, a
//! hang or a large allocation.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The longest name, in its wire form (labels with their length bytes).
pub const MAX_NAME: usize = 255;
/// The longest label.
pub const MAX_LABEL: usize = 63;
/// Class IN, the Internet: the only one anybody uses.
pub const CLASS_IN: u16 = 1;

/// A record type. The ones this lesson prints, and the rest by number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Type {
    /// An IPv4 address.
    A,
    /// A name server for the zone.
    Ns,
    /// The canonical name this name is an alias of.
    Cname,
    /// The name an address stands for (reverse lookups).
    Ptr,
    /// A mail exchanger, with its preference.
    Mx,
    /// Free text: one or more character strings.
    Txt,
    /// An IPv6 address.
    Aaaa,
    /// Any other type, kept by number so that a reply holding one can
    /// still be read (and printed in RFC 3597's generic form).
    Other(u16),
}

impl Type {
    /// The number that stands for this type on the wire.
    pub fn code(self) -> u16 {
        match self {
            Type::A => 1,
            Type::Ns => 2,
            Type::Cname => 5,
            Type::Ptr => 12,
            Type::Mx => 15,
            Type::Txt => 16,
            Type::Aaaa => 28,
            Type::Other(code) => code,
        }
    }

    /// The type a number on the wire stands for: every number is a type,
    /// known or not, so reading a type never fails.
    pub fn from_code(code: u16) -> Type {
        match code {
            1 => Type::A,
            2 => Type::Ns,
            5 => Type::Cname,
            12 => Type::Ptr,
            15 => Type::Mx,
            16 => Type::Txt,
            28 => Type::Aaaa,
            other => Type::Other(other),
        }
    }

    /// `"A"`, `"mx"`, ... (any case) to a type this lesson can ask for.
    pub fn parse(text: &str) -> Option<Type> {
        let known = [
            Type::A,
            Type::Ns,
            Type::Cname,
            Type::Ptr,
            Type::Mx,
            Type::Txt,
            Type::Aaaa,
        ];
        known
            .into_iter()
            .find(|t| t.to_string().eq_ignore_ascii_case(text))
    }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Type::A => f.write_str("A"),
            Type::Ns => f.write_str("NS"),
            Type::Cname => f.write_str("CNAME"),
            Type::Ptr => f.write_str("PTR"),
            Type::Mx => f.write_str("MX"),
            Type::Txt => f.write_str("TXT"),
            Type::Aaaa => f.write_str("AAAA"),
            // RFC 3597's spelling for a type without a name.
            Type::Other(code) => write!(f, "TYPE{code}"),
        }
    }
}

/// A domain name: its labels, without the final empty one of the root.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Name {
    labels: Vec<Vec<u8>>,
}

/// Why a name written by a person is not a valid name.
#[derive(Debug, PartialEq, Eq)]
pub enum NameError {
    /// Two dots in a row, or a dot at the start.
    EmptyLabel,
    /// A label over [`MAX_LABEL`] bytes (its length byte has 6 bits).
    LabelTooLong(usize),
    /// A name over [`MAX_NAME`] bytes on the wire.
    NameTooLong(usize),
}

impl std::error::Error for NameError {}

impl fmt::Display for NameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NameError::EmptyLabel => {
                f.write_str("a name cannot have an empty label (two dots in a row)")
            }
            NameError::LabelTooLong(n) => {
                write!(f, "a label is at most {MAX_LABEL} bytes; this one has {n}")
            }
            NameError::NameTooLong(n) => {
                write!(
                    f,
                    "a name is at most {MAX_NAME} bytes on the wire; this one needs {n}"
                )
            }
        }
    }
}

impl Name {
    /// The root, `.`.
    pub fn root() -> Name {
        Name::default()
    }

    /// `example.com` or `example.com.` (the final dot is optional).
    pub fn parse(text: &str) -> Result<Name, NameError> {
        let text = text.strip_suffix('.').unwrap_or(text);
        if text.is_empty() {
            return Ok(Name::root());
        }
        let labels: Vec<Vec<u8>> = text.split('.').map(|l| l.as_bytes().to_vec()).collect();
        Name::from_labels(labels)
    }

    fn from_labels(labels: Vec<Vec<u8>>) -> Result<Name, NameError> {
        for label in &labels {
            if label.is_empty() {
                return Err(NameError::EmptyLabel);
            }
            if label.len() > MAX_LABEL {
                return Err(NameError::LabelTooLong(label.len()));
            }
        }
        let name = Name { labels };
        if name.wire_len() > MAX_NAME {
            return Err(NameError::NameTooLong(name.wire_len()));
        }
        Ok(name)
    }

    /// The name to ask for the PTR record of an address:
    /// `4.3.2.1.in-addr.arpa.`, or 32 reversed nibbles and `ip6.arpa.`.
    pub fn reverse(addr: IpAddr) -> Name {
        todo!("the reverse name of {addr}: in-addr.arpa or ip6.arpa")
    }

    /// Its length on the wire: a length byte per label, the label, and the
    /// root's zero byte.
    pub fn wire_len(&self) -> usize {
        self.labels.iter().map(|l| l.len() + 1).sum::<usize>() + 1
    }

    /// Appends the wire form: each label after its length byte, then 0.
    pub fn write(&self, out: &mut Vec<u8>) {
        for label in &self.labels {
            out.push(label.len() as u8);
            out.extend_from_slice(label);
        }
        out.push(0);
    }

    /// Names compare without regard to ASCII case (RFC 4343).
    pub fn same_as(&self, other: &Name) -> bool {
        self.labels.len() == other.labels.len()
            && self
                .labels
                .iter()
                .zip(&other.labels)
                .all(|(a, b)| a.eq_ignore_ascii_case(b))
    }
}

impl fmt::Display for Name {
    /// The absolute form with its final dot, as dig prints it. A byte that
    /// would be ambiguous in text (a dot, a backslash, a space, anything
    /// not printable) is escaped as `\DDD` or `\.`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.labels.is_empty() {
            return f.write_str(".");
        }
        for label in &self.labels {
            for &b in label {
                match b {
                    b'.' | b'\\' => write!(f, "\\{}", b as char)?,
                    b'!'..=b'~' => write!(f, "{}", b as char)?,
                    _ => write!(f, "\\{b:03}")?,
                }
            }
            f.write_str(".")?;
        }
        Ok(())
    }
}

/// A response code (RCODE), the low four bits of the flags.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rcode {
    /// The server answered (the answer may still be empty).
    NoError,
    /// The server could not read our query.
    FormErr,
    /// The server failed to find out (its upstream did not answer, say).
    ServFail,
    /// The name does not exist at all.
    NxDomain,
    /// The server does not do this kind of query.
    NotImp,
    /// The server will not answer us (policy).
    Refused,
    /// A code this lesson has no name for.
    Other(u8),
}

impl Rcode {
    /// The code in the low four bits of the flags; any value is a code.
    pub fn from_bits(bits: u8) -> Rcode {
        match bits {
            0 => Rcode::NoError,
            1 => Rcode::FormErr,
            2 => Rcode::ServFail,
            3 => Rcode::NxDomain,
            4 => Rcode::NotImp,
            5 => Rcode::Refused,
            other => Rcode::Other(other),
        }
    }
}

impl fmt::Display for Rcode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rcode::NoError => f.write_str("NOERROR"),
            Rcode::FormErr => f.write_str("FORMERR"),
            Rcode::ServFail => f.write_str("SERVFAIL"),
            Rcode::NxDomain => f.write_str("NXDOMAIN"),
            Rcode::NotImp => f.write_str("NOTIMP"),
            Rcode::Refused => f.write_str("REFUSED"),
            Rcode::Other(n) => write!(f, "RCODE{n}"),
        }
    }
}

/// The fixed 12 bytes at the start of every message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// The query's ID, echoed by the reply: how a reply is matched to
    /// its query.
    pub id: u16,
    /// A response (QR set), not a query.
    pub response: bool,
    /// Truncated (TC): the answer did not fit; ask again over TCP.
    pub truncated: bool,
    /// How the server fared with the query.
    pub rcode: Rcode,
    /// How many questions follow. This and the three counts below are
    /// claims by the sender: nothing is allocated from them.
    pub qdcount: u16,
    /// How many answer records follow the questions.
    pub ancount: u16,
    /// How many authority records follow the answers.
    pub nscount: u16,
    /// How many additional records close the message.
    pub arcount: u16,
}

/// What was asked. A reply repeats the question, which is how it shows
/// what it answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Question {
    /// The name asked about.
    pub name: Name,
    /// The type of record wanted.
    pub qtype: Type,
    /// The class: [`CLASS_IN`] in practice.
    pub qclass: u16,
}

/// What a record holds, read according to its type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Data {
    /// An A record's address.
    A(Ipv4Addr),
    /// An AAAA record's address.
    Aaaa(Ipv6Addr),
    /// NS, CNAME and PTR: one name.
    Name(Name),
    /// A mail exchanger.
    Mx {
        /// Lower is tried first.
        preference: u16,
        /// The host that takes the mail.
        exchange: Name,
    },
    /// One or more character strings.
    Txt(Vec<Vec<u8>>),
    /// A type this lesson does not read: its raw bytes.
    Raw(Vec<u8>),
}

/// A resource record: one fact about one name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// The name the fact is about.
    pub name: Name,
    /// Which kind of fact: it says how to read `data`.
    pub rtype: Type,
    /// The class: [`CLASS_IN`] in practice.
    pub class: u16,
    /// How many seconds the fact may be cached.
    pub ttl: u32,
    /// The fact itself.
    pub data: Data,
}

impl fmt::Display for Record {
    /// One line, as in dig's answer section:
    /// `example.com. 300 IN A 93.184.216.34`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let class = if self.class == CLASS_IN {
            "IN".to_string()
        } else {
            format!("CLASS{}", self.class)
        };
        write!(f, "{} {} {class} {} ", self.name, self.ttl, self.rtype)?;
        match &self.data {
            Data::A(a) => write!(f, "{a}"),
            // Rust prints IPv6 in RFC 5952's canonical form.
            Data::Aaaa(a) => write!(f, "{a}"),
            Data::Name(name) => write!(f, "{name}"),
            Data::Mx {
                preference,
                exchange,
            } => write!(f, "{preference} {exchange}"),
            Data::Txt(strings) => {
                let quoted: Vec<String> = strings.iter().map(|s| quote(s)).collect();
                f.write_str(&quoted.join(" "))
            }
            // RFC 3597's generic form: \# LENGTH HEX.
            Data::Raw(bytes) => {
                write!(f, "\\# {}", bytes.len())?;
                if !bytes.is_empty() {
                    f.write_str(" ")?;
                }
                bytes.iter().try_for_each(|b| write!(f, "{b:02x}"))
            }
        }
    }
}

/// A TXT string in quotes, with `"` and `\` escaped and anything not
/// printable as `\DDD`, as dig prints it.
fn quote(bytes: &[u8]) -> String {
    let mut out = String::from("\"");
    for &b in bytes {
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
}

/// A whole message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// The ID, the flags and the counts.
    pub header: Header,
    /// What was asked (one question, in practice).
    pub questions: Vec<Question>,
    /// The records that answer the question.
    pub answers: Vec<Record>,
    /// The name servers that know the zone.
    pub authority: Vec<Record>,
    /// Records the server adds to save a query (a name server's address).
    pub additional: Vec<Record>,
}

/// A query for `name` and `qtype`, with the given ID and RD set (please
/// recurse): 12 bytes of header, then the one question.
pub fn encode_query(id: u16, name: &Name, qtype: Type) -> Vec<u8> {
    todo!("step 1: a query with ID {id} and RD set, for {name} {qtype}")
}

/// Why a message could not be read, and where.
#[derive(Debug, PartialEq, Eq)]
pub struct Malformed {
    /// The byte offset where reading failed.
    pub at: usize,
    /// What was wrong there, for a person.
    pub what: String,
}

impl fmt::Display for Malformed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "malformed message at byte {}: {}", self.at, self.what)
    }
}

impl std::error::Error for Malformed {}

/// Reads a message: the header, then as many questions and records as its
/// counts claim. Every section must be whole, and nothing may follow the
/// last one. (Given: the work is in [`Reader`] and [`read_name`].)
pub fn parse(bytes: &[u8]) -> Result<Message, Malformed> {
    let mut r = Reader::new(bytes);
    let header = r.header()?;
    // The counts are claims: no allocation trusts them. Each item read
    // takes bytes that really are there, so the message's own size bounds
    // what we hold.
    let mut questions = Vec::new();
    for _ in 0..header.qdcount {
        questions.push(r.question()?);
    }
    let mut sections = [Vec::new(), Vec::new(), Vec::new()];
    let counts = [header.ancount, header.nscount, header.arcount];
    for (records, count) in sections.iter_mut().zip(counts) {
        for _ in 0..count {
            records.push(r.record()?);
        }
    }
    if r.at() != bytes.len() {
        return Err(r.malformed(format!(
            "{} bytes left after the last record",
            bytes.len() - r.at()
        )));
    }
    let [answers, authority, additional] = sections;
    Ok(Message {
        header,
        questions,
        answers,
        authority,
        additional,
    })
}

/// A cursor over the whole message: it reads from where it stands and
/// moves past what it read. It keeps the whole message, not only what is
/// left, because compression pointers count from the message's first byte.
pub struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    /// A cursor at the first byte of `bytes`.
    pub fn new(bytes: &'a [u8]) -> Reader<'a> {
        Reader { bytes, at: 0 }
    }

    /// Where the cursor stands: the offset of the next byte to read.
    pub fn at(&self) -> usize {
        self.at
    }

    /// An error at the cursor.
    pub fn malformed(&self, what: impl Into<String>) -> Malformed {
        Malformed {
            at: self.at,
            what: what.into(),
        }
    }

    /// Step 2: the next `n` bytes, if the message holds that many more;
    /// an error naming `what` was being read, if not.
    pub fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], Malformed> {
        todo!("step 2: the next {n} bytes ({what}), if they are there")
    }

    /// Step 2: one byte.
    pub fn u8(&mut self, what: &str) -> Result<u8, Malformed> {
        todo!("step 2: one byte ({what})")
    }

    /// Step 2: two bytes, big-endian (network order).
    pub fn u16(&mut self, what: &str) -> Result<u16, Malformed> {
        todo!("step 2: two bytes, big-endian ({what})")
    }

    /// Step 2: four bytes, big-endian.
    pub fn u32(&mut self, what: &str) -> Result<u32, Malformed> {
        todo!("step 2: four bytes, big-endian ({what})")
    }

    /// A name at the cursor, following compression pointers (through
    /// [`read_name`]). The cursor moves past the name as it stands here: a
    /// pointer takes 2 bytes, wherever it leads.
    pub fn name(&mut self) -> Result<Name, Malformed> {
        let (name, end) = read_name(self.bytes, self.at)?;
        self.at = end;
        Ok(name)
    }

    /// Step 2: the 12 bytes of header. The flags: QR is the top bit, TC
    /// the seventh from the top (`0x0200`), RCODE the low four bits.
    pub fn header(&mut self) -> Result<Header, Malformed> {
        todo!("step 2: the 12 bytes of header at byte {}", self.at)
    }

    /// Step 3: a question: a name, QTYPE, QCLASS.
    pub fn question(&mut self) -> Result<Question, Malformed> {
        todo!("step 3: a question at byte {}", self.at)
    }

    /// Step 4: a record: NAME, TYPE, CLASS, TTL, RDLENGTH, then RDLENGTH
    /// bytes of data, read by [`Reader::data`].
    pub fn record(&mut self) -> Result<Record, Malformed> {
        todo!("step 4: a record at byte {}", self.at)
    }

    /// Step 4: the data of a record of type `rtype`: `len` bytes at
    /// `start`, already known to be there. A name inside it is read from
    /// the whole message, as its pointers count from the message's start.
    pub fn data(&self, rtype: Type, start: usize, len: usize) -> Result<Data, Malformed> {
        todo!("step 4: {len} bytes of {rtype} data at byte {start}")
    }
}

/// Steps 3 and 5: reads a name at `start` in `msg`. Returns it, and the
/// offset just past it where it stands (past its first pointer, if it has
/// one).
///
/// Step 3, labels: a length byte, that many bytes, until a zero byte.
///
/// Step 5, compression (RFC 1035, 4.1.4): a length byte with its top two
/// bits set is a pointer: the other 14 bits are an offset in the message
/// where the name goes on. "Points before itself" is not enough: `01 61
/// c0 0c` at offset 12 (a label, then a pointer back to it) loops. Each
/// pointer must point before where the name's previous part began (before
/// `start` for the first), so every jump goes lower and the chain ends.
/// The name may not grow past 255 bytes either.
pub fn read_name(msg: &[u8], start: usize) -> Result<(Name, usize), Malformed> {
    todo!(
        "steps 3 and 5: the name at byte {start} of {} bytes, each pointer lower than the last",
        msg.len()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reply to "A example.com." with one answer that points back at the
    /// question's name (the usual compression).
    fn reply_a() -> Vec<u8> {
        let mut m = vec![0x1a, 0x2b, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0];
        m.extend_from_slice(b"\x07example\x03com\x00\x00\x01\x00\x01");
        m.extend_from_slice(&[0xc0, 12, 0, 1, 0, 1, 0, 0, 1, 0x2c, 0, 4, 93, 184, 216, 34]);
        m
    }

    /// Step 1: a query, byte for byte.
    #[test]
    fn a_query_is_built_by_the_book() {
        let q = encode_query(0x1a2b, &Name::parse("example.com").unwrap(), Type::A);
        assert_eq!(
            q,
            b"\x1a\x2b\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x07example\x03com\x00\x00\x01\x00\x01"
        );
    }

    /// Step 2: the reader takes bytes in network order, and only what
    /// is there.
    #[test]
    fn the_reader_reads_numbers_big_endian_and_stops_at_the_end() {
        let bytes = [0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde];
        let mut r = Reader::new(&bytes);
        assert_eq!(r.u8("a byte"), Ok(0x12));
        assert_eq!(r.u16("a u16"), Ok(0x3456));
        assert_eq!(r.at(), 3);
        assert_eq!(r.u32("a u32"), Ok(0x789a_bcde));
        let err = r.u8("one more").unwrap_err();
        assert_eq!(err.at, 7);
        assert!(err.what.contains("one more"), "{err}");
    }

    /// Step 2: the header's flags, bit by bit.
    #[test]
    fn the_header_gives_its_id_flags_and_counts() {
        let bytes = [0x1a, 0x2b, 0x83, 0x83, 0, 1, 0, 2, 0, 3, 0, 4];
        let h = Reader::new(&bytes).header().unwrap();
        assert_eq!(h.id, 0x1a2b);
        assert!(h.response && h.truncated);
        assert_eq!(h.rcode, Rcode::NxDomain);
        assert_eq!((h.qdcount, h.ancount, h.nscount, h.arcount), (1, 2, 3, 4));
        let h = Reader::new(&[0, 1, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0])
            .header()
            .unwrap();
        assert!(!h.response && !h.truncated && h.rcode == Rcode::NoError);
        assert!(Reader::new(&bytes[..11]).header().is_err());
    }

    /// Step 3: a question (a name of labels, QTYPE, QCLASS).
    #[test]
    fn a_question_is_read_and_the_cursor_moves_past_it() {
        let bytes = b"\x03www\x07example\x03com\x00\x00\x0f\x00\x01!";
        let mut r = Reader::new(bytes);
        let q = r.question().unwrap();
        assert_eq!(q.name.to_string(), "www.example.com.");
        assert_eq!((q.qtype, q.qclass), (Type::Mx, CLASS_IN));
        assert_eq!(r.at(), bytes.len() - 1);
        assert!(Reader::new(&bytes[..8]).question().is_err());
    }

    /// Step 4: each kind of record data, without compression.
    #[test]
    fn records_of_each_type_are_read() {
        let record = |rtype: u16, rdata: &[u8]| {
            let mut m = b"\x01x\x00".to_vec();
            m.extend_from_slice(&rtype.to_be_bytes());
            m.extend_from_slice(&[0, 1, 0, 0, 0, 60]);
            m.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
            m.extend_from_slice(rdata);
            let mut r = Reader::new(&m);
            let record = r.record().map(|r| r.to_string());
            assert!(record.is_err() || r.at() == m.len());
            record
        };
        let ok = |rtype, rdata: &[u8]| record(rtype, rdata).unwrap();
        assert_eq!(ok(1, &[192, 0, 2, 1]), "x. 60 IN A 192.0.2.1");
        let v6 = [0x20, 1, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
        assert_eq!(ok(28, &v6), "x. 60 IN AAAA 2001:db8::1");
        assert_eq!(ok(2, b"\x02ns\x01x\x00"), "x. 60 IN NS ns.x.");
        assert_eq!(ok(15, b"\x00\x0a\x02mx\x00"), "x. 60 IN MX 10 mx.");
        assert_eq!(
            ok(16, b"\x02hi\x00\x03a b"),
            r#"x. 60 IN TXT "hi" "" "a b""#
        );
        assert_eq!(ok(99, &[1, 2]), "x. 60 IN TYPE99 \\# 2 0102");
        assert!(record(1, &[1, 2, 3]).is_err(), "an A record of 3 bytes");
        assert!(record(16, b"\x05hi").is_err(), "a TXT string past the data");
        assert!(
            record(2, b"\x02ns\x00\x00").is_err(),
            "a name short of RDLENGTH"
        );
    }

    /// Step 5: a name inside record data may point anywhere before it in
    /// the whole message, not only inside the record.
    #[test]
    fn names_in_record_data_follow_pointers_into_the_message() {
        let mut m = reply_a();
        m[32] = 15; // the answer is now an MX record
        m.truncate(39);
        // RDLENGTH 9: preference 10, then "mail" and a pointer to byte 12.
        m.extend_from_slice(&[0, 9, 0, 10, 4, b'm', b'a', b'i', b'l', 0xc0, 12]);
        let msg = parse(&m).unwrap();
        assert_eq!(
            msg.answers[0].to_string(),
            "example.com. 300 IN MX 10 mail.example.com."
        );
    }

    /// Step 5: a label then a pointer back to it (`01 61 c0 0c` at byte
    /// 12) points before itself, yet loops: refused at once.
    #[test]
    fn a_label_then_a_pointer_back_to_it_is_refused() {
        let mut m = vec![0, 0, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0];
        m.extend_from_slice(&[0x01, b'a', 0xc0, 12, 0, 1, 0, 1]);
        let err = parse(&m).unwrap_err();
        assert!(err.what.contains("compression pointer"), "{err}");
        // Two names that point at each other, each pointing backwards
        // from where it stands.
        let m2 = [&m[..12], &[0x01, b'a', 0xc0, 16, 0x01, b'b', 0xc0, 12]].concat();
        assert!(read_name(&m2, 16).is_err());
    }

    /// Steps 2 to 5 together: a whole reply.
    #[test]
    fn a_reply_is_read_with_its_compressed_name() {
        let m = parse(&reply_a()).unwrap();
        assert_eq!(m.header.id, 0x1a2b);
        assert!(m.header.response && !m.header.truncated);
        assert_eq!(m.answers.len(), 1);
        assert_eq!(
            m.answers[0].to_string(),
            "example.com. 300 IN A 93.184.216.34"
        );
    }

    #[test]
    fn names_are_checked_when_written_by_a_person() {
        assert_eq!(Name::parse("a..b"), Err(NameError::EmptyLabel));
        assert_eq!(
            Name::parse(&"x".repeat(64)),
            Err(NameError::LabelTooLong(64))
        );
        let long = vec!["y".repeat(63); 4].join(".");
        assert_eq!(Name::parse(&long), Err(NameError::NameTooLong(257)));
        assert_eq!(Name::parse(".").unwrap().to_string(), ".");
        assert_eq!(
            Name::parse("Example.COM").unwrap().to_string(),
            "Example.COM."
        );
    }

    #[test]
    fn reverse_names_for_both_families() {
        let v4 = Name::reverse("128.119.40.12".parse().unwrap());
        assert_eq!(v4.to_string(), "12.40.119.128.in-addr.arpa.");
        let v6 = Name::reverse("2001:db8::1".parse().unwrap());
        assert_eq!(
            v6.to_string(),
            "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa."
        );
    }

    #[test]
    fn records_print_as_dig_prints_them() {
        let name = Name::parse("example.com").unwrap();
        let record = |rtype, data| Record {
            name: name.clone(),
            rtype,
            class: CLASS_IN,
            ttl: 60,
            data,
        };
        let mx = record(
            Type::Mx,
            Data::Mx {
                preference: 10,
                exchange: Name::parse("mail.example.com").unwrap(),
            },
        );
        assert_eq!(mx.to_string(), "example.com. 60 IN MX 10 mail.example.com.");
        let txt = record(
            Type::Txt,
            Data::Txt(vec![b"say \"hi\"".to_vec(), b"\x01".to_vec()]),
        );
        assert_eq!(
            txt.to_string(),
            r#"example.com. 60 IN TXT "say \"hi\"" "\001""#
        );
        let aaaa = record(
            Type::Aaaa,
            Data::Aaaa("2001:db8:0:0:0:0:0:1".parse().unwrap()),
        );
        assert_eq!(aaaa.to_string(), "example.com. 60 IN AAAA 2001:db8::1");
    }

    /// Each malformed reply is an error at the right place, never a panic.
    #[test]
    fn malformed_replies_are_errors() {
        let cases: Vec<(&str, Vec<u8>)> = vec![
            ("pointer loop", {
                let mut m = reply_a();
                // The answer's name points at itself.
                let at = 29;
                m[at] = 0xc0;
                m[at + 1] = at as u8;
                m
            }),
            ("forward pointer", {
                let mut m = reply_a();
                m[29 + 1] = 40;
                m
            }),
            ("pointer past the end", {
                let mut m = reply_a();
                m[29] = 0xff;
                m[30] = 0xff;
                m
            }),
            ("counts larger than the records", {
                let mut m = reply_a();
                m[7] = 2; // ANCOUNT 2, one record present
                m
            }),
            ("RDLENGTH past the end", {
                let mut m = reply_a();
                m[40] = 200;
                m
            }),
            ("A record of 3 bytes", {
                let mut m = reply_a();
                m[40] = 3;
                m.pop();
                m
            }),
            ("trailing garbage", {
                let mut m = reply_a();
                m.push(0);
                m
            }),
            ("cut inside the header", reply_a()[..7].to_vec()),
            ("reserved label type", {
                let mut m = reply_a();
                m[12] = 0x47;
                m
            }),
        ];
        for (what, bytes) in cases {
            assert!(parse(&bytes).is_err(), "{what} was accepted");
        }
    }

    #[test]
    fn a_name_longer_than_255_bytes_after_expansion_is_refused() {
        // 4 labels of 63 bytes (256 bytes of wire form, with the root).
        let mut m = vec![0, 0, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0];
        for _ in 0..4 {
            m.push(63);
            m.extend_from_slice(&[b'a'; 63]);
        }
        m.extend_from_slice(&[0, 0, 1, 0, 1]);
        let err = parse(&m).unwrap_err();
        assert!(err.what.contains("longer than 255"), "{err}");
    }

    /// Random bytes and random changes to a real reply: always an answer
    /// or an error, quickly, never a panic. A longer run:
    /// `DNS_FUZZ_ROUNDS=5000000 cargo test -p resolver-solution --release fuzz`
    /// (or `just fuzz-dns`).
    #[test]
    fn fuzz_random_and_mutated_replies_never_panic() {
        let rounds: u32 = std::env::var("DNS_FUZZ_ROUNDS")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(20_000);
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = || {
            // xorshift64*: small, and the same every run.
            seed ^= seed >> 12;
            seed ^= seed << 25;
            seed ^= seed >> 27;
            seed.wrapping_mul(0x2545_f491_4f6c_dd1d)
        };
        let real = reply_a();
        for round in 0..rounds {
            let bytes: Vec<u8> = if round % 2 == 0 {
                let len = (next() % 96) as usize;
                (0..len).map(|_| next() as u8).collect()
            } else {
                let mut m = real.clone();
                for _ in 0..1 + next() % 4 {
                    let at = (next() as usize) % m.len();
                    m[at] = next() as u8;
                }
                m
            };
            let _ = parse(&bytes);
        }
    }
}
