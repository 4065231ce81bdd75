//! Lesson 5, fetch: a urllib-style HTTP/1.1 client, the lecture's
//! "protocol module". Your exercise: the `todo!()`s in these modules, and
//! `run` in `src/bin/fetch.rs`. Read the chapter "Fetching a URL" first.
//!
//! Work in this order; `cargo grade fetch` says how far you got.
//!
//! 1. [`url`]: take a URL apart (`Url::parse`), write its `Host` header
//!    (`Url::host_header`); later, resolve a redirect (`Url::join`).
//! 2. [`response`]: read the status line and headers (`read_head`), decide
//!    how the body ends (`framing`), and read the body as it arrives
//!    (`Body`: `new`, `fill_buf`, `consume`).
//! 3. [`client`]: `urlopen` connects, sends one GET, reads the head and
//!    follows redirects; `copy_body` streams the body out.
//! 4. `src/bin/fetch.rs`: `run` prints what `urlopen` gives, and chooses
//!    the exit code.
//!
//! [`cli`] (the command line, read as in every lesson) is given.
#![warn(missing_docs)]

pub mod cli;
pub mod client;
pub mod response;
pub mod url;
