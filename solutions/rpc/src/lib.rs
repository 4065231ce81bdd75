//! Lesson 6, remote objects: a name server, an object server and proxies,
//! over JSON-RPC 2.0 (reference solution).
//!
//! - [`cli`]: the programs' command lines.
//! - [`jsonrpc`]: the wire: JSON-RPC 2.0, one message per line, checked
//!   rule by rule, with its limits; the `Object` trait a remote object
//!   implements, and the middleware that turns a line into a call.
//! - [`objects`]: the name server's `ns`, and `calculator` and `counter`.
//! - [`server`]: serving objects, a thread per connection, within limits.
//! - [`client`]: proxies: a remote object found through the name server,
//!   called over one kept connection; remote errors told from broken
//!   connections; a typed `Calculator` that runs locally or remotely.
#![warn(missing_docs)]

pub mod cli;
pub mod client;
pub mod jsonrpc;
pub mod objects;
pub mod server;
