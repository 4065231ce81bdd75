//! How `cargo grade` ends: one exit status per meaning, the same for every
//! subcommand, so that a student's shell, a CI job or a script can tell
//! "your code fails" from "you typed it wrong" from "the checker broke".

use std::process::ExitCode;

use crate::report::RunReport;
use crate::verdict::Verdict;

/// The exit status of `cargo grade`, whatever the subcommand.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// 0: done, and all is well: every stage graded passed, the files were
    /// written, the lesson was reset.
    Ok,
    /// 1: done, but not passed: a stage failed or a lesson does not
    /// compile (the student's work to do); a reset that was declined or
    /// stopped halfway; a peer that stopped on an error; in `class`, a
    /// submission that could not be graded at all. CI marks the job red.
    Failed,
    /// 2: the command line, or what it names, is wrong: no such lesson,
    /// stage, role or peer; a release folder that is not empty; a
    /// submission without lessons; a reset with neither a terminal nor
    /// `--yes`. Nothing was graded. (clap's own errors exit 2 too.)
    Usage,
    /// 3: the checker could not do its own job: a stage failed by the
    /// checker's fault (a bug in the course, not in the student's code),
    /// reports or a gradebook that could not be written, a folder that
    /// cannot be watched. Not the student's fault: grade again, or report
    /// it.
    CheckerError,
    /// 130 (128 + SIGINT): stopped by Ctrl-C, after every program the
    /// checker started was stopped.
    Interrupted,
}

impl Exit {
    /// The number the process exits with.
    pub fn code(self) -> u8 {
        match self {
            Exit::Ok => 0,
            Exit::Failed => 1,
            Exit::Usage => 2,
            Exit::CheckerError => 3,
            Exit::Interrupted => 130,
        }
    }

    /// How a grading run ends: the checker's own failure first (its
    /// verdicts cannot be trusted), then passed or not.
    pub fn of_run(run: &RunReport) -> Exit {
        let checker_failed = run
            .lessons
            .iter()
            .flat_map(|l| &l.stages)
            .any(|s| s.verdict == Verdict::CheckerError);
        if checker_failed {
            Exit::CheckerError
        } else if run.passed {
            Exit::Ok
        } else {
            Exit::Failed
        }
    }
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> ExitCode {
        ExitCode::from(exit.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lessons::{self, Flavor};
    use crate::report::StageReport;
    use crate::report::{BuildReport, LessonReport};
    use crate::verdict::Failure;

    #[test]
    fn each_meaning_keeps_its_number() {
        let codes: Vec<u8> = [
            Exit::Ok,
            Exit::Failed,
            Exit::Usage,
            Exit::CheckerError,
            Exit::Interrupted,
        ]
        .iter()
        .map(|e| e.code())
        .collect();
        assert_eq!(codes, [0, 1, 2, 3, 130]);
    }

    fn run_with(failures: &[Failure]) -> RunReport {
        let echo = lessons::find("echo").expect("echo");
        let build = BuildReport {
            ok: true,
            warnings: 0,
            error: None,
            first_error: None,
            diagnostics: String::new(),
        };
        let mut lesson = LessonReport::new(echo, Flavor::Lesson, build);
        lesson.stages = failures
            .iter()
            .zip(echo.stages)
            .map(|(f, s)| StageReport::not_run(s, f.clone()))
            .collect();
        lesson.finish();
        RunReport::new(vec![lesson])
    }

    #[test]
    fn a_run_ends_by_its_worst_stage_and_the_checker_fault_comes_first() {
        assert_eq!(Exit::of_run(&run_with(&[])), Exit::Ok);
        assert_eq!(
            Exit::of_run(&run_with(&[Failure::skipped("no IPv6")])),
            Exit::Ok
        );
        assert_eq!(
            Exit::of_run(&run_with(&[Failure::failed("wrong bytes")])),
            Exit::Failed
        );
        assert_eq!(
            Exit::of_run(&run_with(&[
                Failure::failed("wrong bytes"),
                Failure::checker_error("a bug in the course"),
            ])),
            Exit::CheckerError
        );
    }
}
