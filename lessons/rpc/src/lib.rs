//! Lesson 6, remote objects: a name server, an object server, and proxies,
//! with JSON-RPC 2.0 as the middleware between them. Your exercise: the
//! `todo!()`s in these modules and in `src/bin/server.rs` and
//! `src/bin/client.rs`. Read the chapter "Remote objects" first.
//!
//! Work in this order; `cargo grade rpc` says how far you got.
//!
//! 1. [`jsonrpc`]: read a line (`read`), call the object it names
//!    (`answer`), and write the reply (`reply_to`).
//! 2. [`objects`]: the name server's `ns` (`Names`), then `calculator`
//!    and `counter`.
//! 3. [`server`]: `serve_connection`, one client's lines and replies.
//!    The name server (`src/bin/ns.rs`) then works.
//! 4. [`client`]: a `Connection` (open, call, notify, batch), `parse_uri`,
//!    and the `Proxy` that finds its object through the name server.
//! 5. `src/bin/server.rs`: register the objects, and unregister them on
//!    SIGTERM; `src/bin/client.rs`: read each argument.
//!
//! [`cli`] (the command lines) is given.
#![warn(missing_docs)]

pub mod cli;
pub mod client;
pub mod jsonrpc;
pub mod objects;
pub mod server;
