//! Lesson 1, TCP echo: the tools the two programs share, given as they
//! are.
//!
//! - [`cli`] reads the command line (the same file in every lesson);
//! - [`limits`] keeps the server within its limits (the same file as in
//!   the framing lesson).
#![warn(missing_docs)]

pub mod cli;
pub mod limits;
