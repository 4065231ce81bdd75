//! The course's grading harness, in layers: each module uses only those
//! listed before it (a test, `checker/tests/layers.rs`, keeps it so).
//!
//! 1. Leaves: [`verdict`] (verdicts and failures as data), [`flag`] (a
//!    one-way "stop waiting" signal), [`time`] (the one time scale every
//!    deadline follows), [`platform`] (every Linux-only call).
//! 2. Machinery: [`wire`] (sockets with deadlines, transcripts, byte
//!    comparisons), [`process`] (starting programs, reading their output,
//!    killing them), [`sandbox`] (for code nobody checked: limits, and
//!    namespaces that give it its own processes, files and network),
//!    [`builder`] (one cargo build of what is graded).
//! 3. What a stage works with: [`ctx`] (its programs and its transcript),
//!    [`peer`] (the checker playing the other side, scripted), [`contract`]
//!    (the server contract every lesson shares).
//! 4. The course as data: [`course`] (lessons, stages, mistakes), then
//!    [`lessons`] (the registry, and one folder of stages per lesson).
//! 5. Results: [`report`] (one model, and the text a person reads).
//! 6. [`run`]: a grading run: one build, stages on a pool of workers.
//! 7. What is made of runs: [`export`] (JSON, JUnit, Gradescope, Classroom),
//!    [`progress`] (a student's last results), [`stubs`] (the lessons as
//!    shipped), [`submission`] (another checkout's lessons), [`watch`]
//!    (re-grading on every save), [`class`] (a whole class into a
//!    gradebook), [`release`] (the student repository).
//! 8. [`cli`]: one module per subcommand of `cargo grade`, with the
//!    terminal, colour and exit status handled once; `bin/grade.rs` only
//!    parses the command line and dispatches.

pub mod flag;
pub mod platform;
pub mod time;
pub mod verdict;

pub mod builder;
pub mod process;
pub mod sandbox;
pub mod wire;

pub mod contract;
pub mod ctx;
pub mod peer;

pub mod course;
pub mod lessons;

pub mod report;

pub mod run;

pub mod class;
pub mod export;
pub mod progress;
pub mod release;
pub mod stubs;
pub mod submission;
pub mod watch;

pub mod cli;
