//! Lesson 5, fetch: a urllib-style HTTP/1.1 client (reference solution,
//! work in progress).
//!
//! - [`url`]: what a URL says (scheme, host, port, path), and how a
//!   redirect's `Location` is resolved against the current URL (RFC 3986).

pub mod url;
