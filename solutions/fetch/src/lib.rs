//! Lesson 5, fetch: a urllib-style HTTP/1.1 client (reference solution).
//!
//! - [`url`]: what a URL says (scheme, host, port, path), and how a
//!   redirect's `Location` is resolved against the current URL (RFC 3986).
//! - [`response`]: reading a response: the head within a limit, and a body
//!   that ends by length, by chunks or by close, streamed.
//! - [`client`]: `urlopen`: connect, one legal request, the head checked,
//!   redirects followed, and the body streamed to whoever reads it.
//! - [`cli`]: the command line, read as in every lesson.
#![warn(missing_docs)]

pub mod cli;
pub mod client;
pub mod response;
pub mod url;
