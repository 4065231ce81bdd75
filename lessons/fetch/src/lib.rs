//! Lesson 5, fetch: an HTTP/1.1 client in the style of Python's urllib, a
//! "protocol module". Your exercise: the `todo!()`s in these modules, and
//! `run` in `src/bin/fetch.rs`. Read the chapter "Fetching a URL" first.
//!
//! Work in this order, the chapter's: each step earns points of its own,
//! and `cargo grade fetch` says how far you got. `cargo test -p fetch`
//! runs the tests beside each module (they fail as "not yet implemented"
//! until you write what they call).
//!
//! 1. [`url`]: `Url::parse` and `Url::host_header`. `fetch --parts URL`
//!    (given) prints what they make of a URL: stage `parse`.
//! 2. [`client`]: `urlopen`, as far as connecting and sending the request
//!    (its steps 1 to 4), and `run` in `src/bin/fetch.rs` calling it: the
//!    stages `request`, `ipv6`, `localhost`, `bad-urls` judge the request
//!    alone, whatever your program does after sending it.
//! 3. [`response`]: `read_head`, `framing` (a Content-Length first),
//!    `Body::new`; `urlopen` handing back the `Response`, and `run`
//!    printing the head with `-i`: `split-head` judges the head alone.
//! 4. `Body`'s `fill_buf` and `consume` in `State::Left`, `copy_body`,
//!    the rest of `run`: `get`, `byte-at-a-time`, `status`, `binary-body`.
//! 5. The body until the close (`State::UntilClose`): `close-delimited`.
//! 6. Chunks (`State::ChunkStart`): `chunked`, `te-over-cl`, then what
//!    must be refused: `refusals`, `cut-body`, and the read timeout:
//!    `silent-server`.
//! 7. Redirects: `Url::join` and `urlopen`'s loop: `redirects`,
//!    `redirect-limits`, `redirect-references`; and a real server,
//!    `real-server`.
//!
//! [`cli`] (the command line, read as in every lesson) is given.
#![warn(missing_docs)]

pub mod cli;
pub mod client;
pub mod response;
pub mod url;
