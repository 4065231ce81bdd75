//! `cargo grade`'s subcommands, one module each; the binary
//! (`src/bin/grade.rs`) only parses the command line and calls one of them.
//!
//! - [`grade`]: the ordinary run (`cargo grade [LESSONS]`), its live
//!   printer, `--list`, `--report-dir`;
//! - [`watch`]: `cargo grade --watch`, grading again on every save;
//! - [`class`]: `cargo grade class DIR`, a whole class into a gradebook,
//!   on a [`pool`] of child checkers under deadlines;
//! - [`progress`], [`hint`], [`reset`]: a student's instant commands;
//! - [`peer`]: one of the checker's peers, started by hand;
//! - [`release`]: the student repository and the Gradescope bundle;
//! - [`exit`]: what each exit status means; [`term`]: colour and terminal,
//!   decided once.
//!
//! Every subcommand returns an [`Exit`]; every message it prints for a
//! person on stderr starts with `cargo grade: `.

pub mod class;
pub mod exit;
pub mod grade;
pub mod hint;
pub mod peer;
pub mod pool;
pub mod progress;
pub mod release;
pub mod reset;
pub mod term;
pub mod watch;

use std::fmt::Display;
use std::io::Write;

pub use exit::Exit;
pub use term::Term;

use crate::lessons::{self, Lesson};
use crate::process;

/// Says on stderr what went wrong, and ends with `exit`.
pub fn fail(exit: Exit, message: impl Display) -> Exit {
    eprintln!("cargo grade: {message}");
    exit
}

/// Says what was wrong with the command line: [`Exit::Usage`].
pub fn usage_error(message: impl Display) -> Exit {
    fail(Exit::Usage, message)
}

/// The lessons named, in the order given, or why one is not a lesson.
pub fn lessons_named(ids: &[String]) -> Result<Vec<&'static Lesson>, String> {
    ids.iter()
        .map(|id| {
            lessons::find(id)
                .ok_or_else(|| format!("no lesson `{id}`; the lessons are: {}", lessons::ids()))
        })
        .collect()
}

/// The lessons named, or all of them (in course order) when none is.
pub fn lessons_or_all(ids: &[String]) -> Result<Vec<&'static Lesson>, String> {
    if ids.is_empty() {
        Ok(lessons::LESSONS.to_vec())
    } else {
        lessons_named(ids)
    }
}

/// Stops every program the checker started when dropped: also when the
/// main thread unwinds from a panic. (A stage's own panic is caught where
/// it happens and reported as the checker's error; it never gets here.)
pub struct StopAllOnExit(());

/// Makes sure no program outlives the checker: Ctrl-C stops them all and
/// exits with [`Exit::Interrupted`], and so does the end of `main`, through
/// the guard returned (keep it alive until then).
///
/// The programs under test run in process groups of their own, so Ctrl-C
/// at the terminal does not reach them: the checker ends them itself.
pub fn stop_everything_at_the_end() -> StopAllOnExit {
    let _ = ctrlc::set_handler(|| {
        process::kill_everything();
        // Not eprintln!: with stderr gone (`cargo grade peer dns 2>&1 | head`)
        // it would panic here, and the checker would never exit.
        let _ = writeln!(
            std::io::stderr(),
            "\ninterrupted: every program the checker started has been stopped"
        );
        std::process::exit(Exit::Interrupted.code().into());
    });
    StopAllOnExit(())
}

impl Drop for StopAllOnExit {
    fn drop(&mut self) {
        process::kill_everything();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lessons_are_named_in_the_order_given_or_refused_with_the_list() {
        let named = lessons_named(&["framing".into(), "echo".into()]).expect("two lessons");
        let ids: Vec<&str> = named.iter().map(|l| l.id).collect();
        assert_eq!(ids, ["framing", "echo"]);
        assert_eq!(
            lessons_named(&["echo".into(), "nosuch".into()]).err(),
            Some(format!(
                "no lesson `nosuch`; the lessons are: {}",
                lessons::ids()
            ))
        );
        assert_eq!(
            lessons_or_all(&[]).expect("all").len(),
            lessons::LESSONS.len()
        );
    }
}
