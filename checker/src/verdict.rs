//! Verdicts and failures: what a stage concludes, as data. The leaf of the
//! checker: everything else may use it, it uses nothing of the checker.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The verdict on one stage.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Passed,
    Failed,
    /// The program stopped at a `todo!()`.
    NotImplemented,
    /// Something the checker waited for never came.
    TimedOut,
    /// The program died on its own: a panic, a signal, or a server exiting.
    Crashed,
    /// The stage could not run on this machine (no IPv6, say). Its points
    /// are given: it is not the student's fault.
    Skipped,
    /// Not run, because what it needs is already known to fail: the
    /// package does not compile, or the server never started in an earlier
    /// stage.
    NotRun,
    /// The checker itself failed (a bug in the course, not in the program).
    CheckerError,
}

impl Verdict {
    pub fn earns_points(self) -> bool {
        matches!(self, Verdict::Passed | Verdict::Skipped)
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Verdict::Passed => "passed",
            Verdict::Failed => "failed",
            Verdict::NotImplemented => "not implemented yet",
            Verdict::TimedOut => "timed out",
            Verdict::Crashed => "crashed",
            Verdict::Skipped => "skipped",
            Verdict::NotRun => "not run",
            Verdict::CheckerError => "checker error",
        })
    }
}

/// Why a stage did not pass: what happened, what was expected, what came.
#[derive(Clone, Debug, Serialize)]
pub struct Failure {
    pub verdict: Verdict,
    pub summary: String,
    pub expected: Option<String>,
    pub got: Option<String>,
    /// A hint for this very failure. When there is one, it is shown instead
    /// of the stage's general hint.
    pub hint: Option<String>,
}

impl Failure {
    pub fn new(verdict: Verdict, summary: impl Into<String>) -> Failure {
        Failure {
            verdict,
            summary: summary.into(),
            expected: None,
            got: None,
            hint: None,
        }
    }
    pub fn failed(summary: impl Into<String>) -> Failure {
        Failure::new(Verdict::Failed, summary)
    }
    pub fn timed_out(summary: impl Into<String>) -> Failure {
        Failure::new(Verdict::TimedOut, summary)
    }
    pub fn crashed(summary: impl Into<String>) -> Failure {
        Failure::new(Verdict::Crashed, summary)
    }
    pub fn skipped(reason: impl Into<String>) -> Failure {
        Failure::new(Verdict::Skipped, reason)
    }
    pub fn not_run(reason: impl Into<String>) -> Failure {
        Failure::new(Verdict::NotRun, format!("not run: {}", reason.into()))
    }
    pub fn not_implemented(place: impl Into<String>) -> Failure {
        Failure::new(
            Verdict::NotImplemented,
            format!("not implemented yet: {}", place.into()),
        )
    }
    /// The checker's own fault: never the student's.
    pub fn checker_error(what: impl Into<String>) -> Failure {
        Failure::new(
            Verdict::CheckerError,
            format!(
                "the checker itself failed ({}). This is a bug in the course, not in your program: please report it",
                what.into()
            ),
        )
    }
    pub fn expected(mut self, what: impl Into<String>) -> Failure {
        self.expected = Some(what.into());
        self
    }
    pub fn got(mut self, what: impl Into<String>) -> Failure {
        self.got = Some(what.into());
        self
    }
    pub fn hint(mut self, hint: impl Into<String>) -> Failure {
        self.hint = Some(hint.into());
        self
    }
    /// The same failure, its summary put in context: `"{before}{summary}"`.
    pub fn context(mut self, before: impl fmt::Display) -> Failure {
        self.summary = format!("{before}{}", self.summary);
        self
    }
    /// The same failure, with more said after its summary.
    pub fn then(mut self, after: impl fmt::Display) -> Failure {
        self.summary = format!("{}{after}", self.summary);
        self
    }
}

/// What a stage function returns.
pub type Outcome = Result<(), Failure>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_passed_and_skipped_stages_earn_points() {
        let earning: Vec<Verdict> = [
            Verdict::Passed,
            Verdict::Failed,
            Verdict::NotImplemented,
            Verdict::TimedOut,
            Verdict::Crashed,
            Verdict::Skipped,
            Verdict::NotRun,
            Verdict::CheckerError,
        ]
        .into_iter()
        .filter(|v| v.earns_points())
        .collect();
        assert_eq!(earning, [Verdict::Passed, Verdict::Skipped]);
    }
}
