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
//! - [`report`]: text and JSON reports;
//! - [`time`]: the one time scale every deadline follows.

pub mod builder;
pub mod ctx;
pub mod lessons;
pub mod peer;
pub mod process;
pub mod report;
pub mod run;
pub mod stage;
pub mod time;
pub mod wire;
