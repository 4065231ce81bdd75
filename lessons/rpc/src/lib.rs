//! Lesson 6, remote objects: a name server, an object server, and proxies,
//! with JSON-RPC 2.0 as the middleware between them. Your exercise: the
//! `todo!()`s in these modules and in `src/bin/server.rs` and
//! `src/bin/client.rs`. Read the chapter "Remote objects" first.
//!
//! Work in the order of the steps: each `todo!()` says its step, and the
//! chapter's table says which stages each unlocks. `cargo grade rpc` says
//! how far you got; `cargo test -p rpc step1_` runs step 1's tests.
//!
//! 1. [`server`]: `serve_connection`, one client's lines; a line that is
//!    not UTF-8 gets -32700 there. The name server (`src/bin/ns.rs`,
//!    given) runs from this step on.
//! 2. [`jsonrpc`]: `parse` (not JSON: -32700) and `reply_to`.
//! 3. [`jsonrpc`]: `read`: what is not a request gets -32600.
//! 4. [`jsonrpc`]: `answer`: ids, notifications, batches.
//! 5. [`server`]: the limits in `serve_connection`: the longest line, the
//!    idle timeout.
//! 6. [`objects`]: the name server's `ns` (`Names`): register, lookup,
//!    list, unregister.
//! 7. [`objects`]: what `ns` refuses: a taken name, a name or URI not
//!    plain.
//! 8. [`client`]: `Connection::open`, `Connection::call`, `Proxy::with`.
//! 9. [`client`]: `parse_uri`, `Proxy::lookup`; `argument` in
//!    `src/bin/client.rs`.
//! 10. `src/bin/server.rs`: `register_all`.
//! 11. `Calculator` in [`objects`].
//! 12. `Counter` in [`objects`].
//! 13. `src/bin/server.rs`: `unregister_all`, on SIGTERM.
//! 14. [`client`]: `notify`, `batch`, and `CalculatorProxy` (tests only).
//!
//! [`cli`] (the command lines) is given.
#![warn(missing_docs)]

pub mod cli;
pub mod client;
pub mod jsonrpc;
pub mod objects;
pub mod server;
