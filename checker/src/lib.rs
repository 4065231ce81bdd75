//! The course's grading harness.
//!
//! - [`lessons`]: the registry of lessons, and one module of stages each;
//! - [`run`]: a grading run: one build, stages on a pool of workers;
//! - [`stage`]: stages, verdicts, and the watchdog that runs one;
//! - [`ctx`]: what a stage works with: its programs and its transcript;
//! - [`peer`]: the checker playing the other side, scripted;
//! - [`wire`]: sockets with deadlines, transcripts, byte comparisons;
//! - [`process`]: starting programs, reading their output, killing them;
//! - [`builder`]: one cargo build of what is graded;
//! - [`report`]: the run's results, and the text a person reads;
//! - [`export`]: the reports programs read: JSON (versioned, with a schema),
//!   JUnit XML, Gradescope's results.json;
//! - [`progress`]: a student's last results, kept for `cargo grade progress`
//!   and `cargo grade hint`;
//! - [`stubs`]: the lessons as shipped, for `cargo grade reset`;
//! - [`submission`]: another checkout's lessons, graded in a scratch
//!   workspace with this checker;
//! - [`watch`]: `cargo grade --watch`, re-grading on every save;
//! - [`sandbox`]: limits and a network of its own for code nobody checked;
//! - [`class`]: a whole class at once, into a gradebook;
//! - [`release`]: the student repository and the Gradescope bundle;
//! - [`time`]: the one time scale every deadline follows;
//! - [`cli`]: `cargo grade`'s subcommands, one module each (the binary
//!   only parses and dispatches);
//! - [`platform`]: every Linux-only call, with a fallback elsewhere.

pub mod builder;
pub mod class;
pub mod cli;
pub mod ctx;
pub mod export;
pub mod lessons;
pub mod peer;
pub mod platform;
pub mod process;
pub mod progress;
pub mod release;
pub mod report;
pub mod run;
pub mod sandbox;
pub mod stage;
pub mod stubs;
pub mod submission;
pub mod time;
pub mod watch;
pub mod wire;
