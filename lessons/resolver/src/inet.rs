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
