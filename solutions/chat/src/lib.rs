//! Lesson 7, many clients on one thread: a chat room on tokio.
//!
//! Every client of the room is a task, not a thread: a few hundred bytes
//! of state that the runtime's two worker threads run whenever its socket
//! is ready. Read the chapter "Many clients on one thread: a chat room"
//! first.
//!
//! Work in this order; `cargo grade chat` says how far you got, and
//! `cargo test -p chat` checks each step on its own.
//!
//! 1. [`protocol`]: `valid_name` and `read_line` (a line, with a limit
//!    and a deadline); [`server`]: `greet` (the welcome, the name, the
//!    room). The stages `welcome` and `bad-names` pass.
//! 2. [`room`]: `deliver` (a line into a queue, never waiting);
//!    [`server`]: `session`, a member's life: its lines out, the room's
//!    lines in, both at once, and out when the room puts it out. Every
//!    server stage passes.
//! 3. [`client`]: `chat`, stdin and the room at once with `select!`.
//!
//! The room itself ([`room::Room`]), `serve` and `handle` (accepting,
//! shutting down) and the command lines are given.

#![warn(missing_docs)]

pub mod cli;
pub mod client;
pub mod protocol;
pub mod room;
pub mod server;
