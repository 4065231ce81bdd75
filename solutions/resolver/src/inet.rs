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
    let bytes = text.as_bytes();
    let mut at = 0;
    let mut parts: Vec<u64> = Vec::with_capacity(4);
    loop {
        let (value, next) = number(bytes, at)?;
        parts.push(value);
        at = next;
        match bytes.get(at) {
            Some(b'.') if parts.len() < 4 => at += 1,
            // The end, or white space (C's isspace: space, \t, \n, \v,
            // \f, \r) and then anything: glibc stops there.
            None => break,
            Some(c) if c.is_ascii_whitespace() || *c == 0x0b => break,
            _ => return None,
        }
    }
    // Every part but the last is one byte; the last fills the rest.
    let (last, leading) = parts.split_last()?;
    if leading.iter().any(|&p| p > 0xff) {
        return None;
    }
    let room = 8 * (4 - leading.len()) as u32; // bits left for the last part
    if *last >= 1u64 << room {
        return None;
    }
    let mut value = *last as u32;
    for (i, &p) in leading.iter().enumerate() {
        value |= (p as u32) << (24 - 8 * i);
    }
    Some(Ipv4Addr::from(value))
}

/// One number of an `inet_aton` address, from `at`: its value and where
/// it ends. At least one digit; at most 32 bits.
fn number(bytes: &[u8], mut at: usize) -> Option<(u64, usize)> {
    let base = match (bytes.get(at), bytes.get(at + 1)) {
        (Some(b'0'), Some(b'x' | b'X')) => {
            at += 2;
            16
        }
        (Some(b'0'), _) => 8,
        (Some(c), _) if c.is_ascii_digit() => 10,
        _ => return None,
    };
    let start = at;
    let mut value: u64 = 0;
    while let Some(digit) = bytes.get(at).and_then(|&c| (c as char).to_digit(base)) {
        value = value * u64::from(base) + u64::from(digit);
        if value > u64::from(u32::MAX) {
            return None;
        }
        at += 1;
    }
    // "0x" with no hex digit is no number. A lone "0" is (octal zero).
    if at == start && base == 16 {
        return None;
    }
    // An octal number that meets 8 or 9 is a mistake, not a stop.
    if base == 8 && bytes.get(at).is_some_and(|c| matches!(c, b'8' | b'9')) {
        return None;
    }
    Some((value, at))
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
    if hex.len() != 8 || !hex.bytes().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    u32::from_str_radix(hex, 16).ok().map(Ipv4Addr::from)
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
