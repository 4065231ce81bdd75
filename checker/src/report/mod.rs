//! Reports: the run's results as data, one model for every format: the
//! text a person reads ([`text`]), and JSON, JUnit, Gradescope and
//! Classroom ([`crate::export`]).
//!
//! - [`model`]: the data: a run, its lessons, their builds and stages;
//! - [`text`]: the same for a person.

mod model;
mod text;

pub use model::{BuildReport, LessonReport, RunReport, StageReport, total};
pub use text::{Paint, build_text, full_text, label_text, lesson_heading, scoreboard, stage_text};
