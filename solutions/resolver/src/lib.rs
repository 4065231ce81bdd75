//! Lesson 4, the name resolver (reference solution): from bytes, to
//! addresses, to names, to a DNS query made by hand.
//!
//! - [`inet`]: addresses as text and as bytes, the lenient C way and the
//!   strict Rust way;
//! - [`hosts`]: the hosts file, as `gethostbyname_ex` reads it;
//! - [`client`]: asking a server, over UDP and TCP, trusting only our reply.
//! - [`dns`]: the DNS message on the wire (RFC 1035, section 4): building a
//!   query, and reading a reply without trusting a byte of it;
//! - [`cli`]: the command line, read as in every lesson (given).
#![warn(missing_docs)]

pub mod cli;
pub mod client;
pub mod dns;
pub mod hosts;
pub mod inet;
