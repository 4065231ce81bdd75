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
    todo!("a query with ID {id} and RD set, for {name} {qtype}")
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

/// Reads a message. Every section must be whole, and nothing may follow
/// the last one.
pub fn parse(bytes: &[u8]) -> Result<Message, Malformed> {
    todo!(
        "read a message of {} bytes, trusting none of them",
        bytes.len()
    )
}

/// Reads a name at `start` in `msg`. Returns it, and the offset just past
/// it where it stands (past its first pointer, if it has one).
///
/// Compression (RFC 1035, 4.1.4): a length byte with its top two bits set
/// is a pointer: the other 14 bits are an offset in the message where the
/// name goes on. Every pointer must point *before* the place it was read
/// from, so a chain of them always ends; a pointer loop, or one that
/// points forward, is refused. The name may not grow past 255 bytes.
pub fn read_name(msg: &[u8], start: usize) -> Result<(Name, usize), Malformed> {
    todo!(
        "read the name at byte {start} of {} bytes, following pointers backwards only",
        msg.len()
    )
}
