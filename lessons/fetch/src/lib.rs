//! Lesson 5, fetch: an HTTP/1.1 client in the style of Python's urllib, a
//! "protocol module". Your exercise: the `todo!()`s in these modules, and
//! `run` in `src/bin/fetch.rs`. Read the chapter "Fetching a URL" first.
//!
//! Work in this order, the chapter's: each step earns points of its own,
//! and `cargo grade fetch` says how far you got. `cargo test -p fetch`
//! runs the tests beside each module (they fail as "not yet implemented"
//! until you write what they call); each test's name starts with its step:
//! `cargo test -p fetch step_04` runs step 4's.
//!
//! 1. [`url`]: `Url::parse` (a good URL's parts) and `Url::host_header`.
//!    `fetch --parts URL` (given) prints what they make of a URL: `parse`.
//! 2. [`client`]: `urlopen`, as far as connecting and sending the request,
//!    and `run` in `src/bin/fetch.rs` calling it: the stages `request`,
//!    `ipv6`, `localhost` judge the request alone, whatever your program
//!    does after sending it.
//! 3. What `Url::parse` refuses (https, `user@`, no host, a bad port, a
//!    space): `bad-urls`.
//! 4. [`response`]: `read_head`. `fetch --head` (given) reads a response
//!    from stdin and prints its head as `-i` does: `head`.
//! 5. `framing` (a Content-Length first), `Body::new`, `urlopen` handing
//!    back the `Response`, and `run` printing the head with `-i`:
//!    `split-head` judges the head alone.
//! 6. `Body`'s `fill_buf` and `consume` in `State::Left`, `copy_body`,
//!    the rest of `run`: `get`, `byte-at-a-time`, `status`, `binary-body`,
//!    `silent-server`.
//! 7. The body until the close (`State::UntilClose`): `close-delimited`.
//! 8. Chunks (`State::ChunkStart`), and `framing`'s Transfer-Encoding:
//!    `chunked`, `te-over-cl`, `refusals`, `cut-body`; and a real server,
//!    `real-server`.
//! 9. `Url::join`. `fetch --join BASE REF` (given) prints the URL it
//!    resolves a redirect's `Location` to: `join`.
//! 10. Redirects, `urlopen`'s loop: `redirects`, `redirect-limits`,
//!     `redirect-references`.
//!
//! [`cli`] (the command line, read as in every lesson) is given.
#![warn(missing_docs)]

pub mod cli;
pub mod client;
pub mod response;
pub mod url;
