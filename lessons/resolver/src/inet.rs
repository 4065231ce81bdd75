//! Addresses as text and as bytes.
//!
//! `inet_aton(3)` is the old, lenient C parser: `127.1` is 127.0.0.1,
//! `0x7f.1` too, and `010.0.0.1` is 8.0.0.1 (a leading 0 means octal).
//! [`aton`] follows it exactly, glibc's trailing-text rule included, so
//! you can see why comparing addresses as strings is a trap. Rust's own
//! parser ([`pton`]) accepts one spelling per address: use that one.

use std::net::{IpAddr, Ipv4Addr};

/// Parses an IPv4 address as glibc's `inet_aton` does: one to four parts
/// separated by dots, each decimal, octal (leading `0`) or hex (`0x`).
/// With fewer than four parts the last one fills the remaining bytes:
/// `a` is 32 bits, `a.b` is 8 + 24, `a.b.c` is 8 + 8 + 16. After the
/// number, glibc stops at white space and ignores the rest: `"1.2.3.4 x"`
/// is 1.2.3.4. Anything else is `None`.
pub fn aton(text: &str) -> Option<Ipv4Addr> {
    todo!("parse {text:?} as inet_aton does: 1 to 4 parts, decimal, octal or hex")
}

/// The strict form: exactly one spelling per address, IPv4 (`a.b.c.d`,
/// decimal, no leading zeros) or IPv6. This is `inet_pton`, and Rust's
/// `str::parse`.
pub fn pton(text: &str) -> Option<IpAddr> {
    text.parse().ok()
}

/// Eight hex digits (`7f000001`, as the bytes appear on the wire) to the
/// dotted quad.
pub fn ntoa(hex: &str) -> Option<Ipv4Addr> {
    todo!("read {hex:?}: exactly 8 hex digits, as the bytes appear on the wire")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each case checked against glibc's own inet_aton (through Python's
    /// socket.inet_aton, which calls it).
    const GLIBC: &[(&str, Option<&str>)] = &[
        ("127.0.0.1", Some("127.0.0.1")),
        ("127.1", Some("127.0.0.1")),
        ("0x7f.1", Some("127.0.0.1")),
        ("0X7F.0.0.1", Some("127.0.0.1")),
        ("010.0.0.1", Some("8.0.0.1")),
        ("1", Some("0.0.0.1")),
        ("0", Some("0.0.0.0")),
        ("4294967295", Some("255.255.255.255")),
        ("0xffffffff", Some("255.255.255.255")),
        ("1.16777215", Some("1.255.255.255")),
        ("1.0xfffffe", Some("1.255.255.254")),
        ("1.2.65535", Some("1.2.255.255")),
        ("0377.0377.0377.0377", Some("255.255.255.255")),
        ("00000000001.2.3.4", Some("1.2.3.4")),
        ("1.2.3.04", Some("1.2.3.4")),
        ("1.2.3.4 junk", Some("1.2.3.4")),
        ("1.2.3.4\tx", Some("1.2.3.4")),
        ("1.2.3.4 ", Some("1.2.3.4")),
        ("4294967296", None),
        ("0x100000000", None),
        ("1.16777216", None),
        ("1.2.65536", None),
        ("1.2.0x10000", None),
        ("256.1.1.1", None),
        ("0400.0.0.1", None),
        ("1.2.3.256", None),
        ("1.2.3.4.5", None),
        ("1.2.3.4x", None),
        ("08.1.1.1", None),
        ("0x", None),
        ("0x.1", None),
        ("1..2", None),
        ("1.2.3.", None),
        (".1.2.3", None),
        (" 1.2.3.4", None),
        ("", None),
    ];

    #[test]
    fn aton_agrees_with_glibc() {
        for (text, want) in GLIBC {
            let got = aton(text).map(|a| a.to_string());
            assert_eq!(got.as_deref(), *want, "aton({text:?})");
        }
    }

    #[test]
    fn pton_is_strict_and_knows_ipv6() {
        assert_eq!(pton("127.0.0.1"), Some("127.0.0.1".parse().unwrap()));
        assert_eq!(pton("127.1"), None);
        assert_eq!(pton("010.0.0.1"), None);
        assert_eq!(pton("::1"), Some("::1".parse().unwrap()));
    }

    #[test]
    fn ntoa_reads_eight_hex_digits() {
        assert_eq!(ntoa("80772b0c"), Some(Ipv4Addr::new(128, 119, 43, 12)));
        assert_eq!(ntoa("7f00001"), None);
        assert_eq!(ntoa("7f00000g"), None);
    }
}
