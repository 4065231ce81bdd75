//! Lesson 4, the name resolver: from bytes, to addresses, to names, to a
//! DNS query made by hand. Your exercise: the `todo!()`s in these modules,
//! and `byte_order` and `lookup` in `src/bin/cli.rs`. Read the chapter
//! "Name resolver": it goes through them in this order, and says which
//! stages each step unlocks. `cargo test -p resolver` runs the tests
//! beside them (at the end of each file).
//!
//! - [`inet`]: addresses as text and as bytes, the lenient C way and the
//!   strict Rust way;
//! - [`hosts`]: the hosts file, as `gethostbyname_ex` reads it;
//! - [`dns`]: the DNS message on the wire (RFC 1035, section 4): building a
//!   query (step 1), then reading a reply without trusting a byte of it
//!   (steps 2 to 5: a [`dns::Reader`], the header, a question, records,
//!   compression);
//! - [`client`]: asking a server, over UDP and TCP, trusting only our reply
//!   (steps 6 to 8);
//! - [`cli`]: the command line, read as in every lesson (given).
#![warn(missing_docs)]

pub mod cli;
pub mod client;
pub mod dns;
pub mod hosts;
pub mod inet;
