//! Stages: the unit of grading. A stage is data (an id, a title, points, a
//! hint, a deadline, the roles it grades) plus the function that runs it
//! against a [`Ctx`].
//!
//! [`run_stage`] runs one stage on a thread of its own under a watchdog.
//! When the stage ends, or its deadline passes, it is cancelled: every
//! program it started is stopped, its peers stop waiting, and it cannot
//! start anything more. Then what happened becomes a verdict.

use std::fmt;
use std::panic::{self, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::ctx::Ctx;
use crate::lessons::Lesson;
use crate::process::{self, ProgramReport};
use crate::run::Gates;
use crate::time;
use crate::wire::Transcript;

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

/// One graded step of a lesson.
pub struct Stage {
    /// Stable id, used on the command line and in JSON (`half-close`).
    pub id: &'static str,
    pub title: &'static str,
    pub points: u32,
    /// Shown when the stage fails: where to look, for a beginner.
    pub hint: &'static str,
    /// The watchdog, before the time scale: past it the stage is stopped.
    pub deadline: Duration,
    /// The roles whose programs it runs (ids from the lesson's roles).
    pub roles: &'static [&'static str],
    pub run: fn(&mut Ctx) -> Outcome,
}

impl Stage {
    /// A stage worth 5 points that runs `roles` and is stopped after
    /// `deadline`: most stages of a lesson with one program look so.
    pub const fn five_points(
        roles: &'static [&'static str],
        deadline: Duration,
        id: &'static str,
        title: &'static str,
        hint: &'static str,
        run: fn(&mut Ctx) -> Outcome,
    ) -> Stage {
        Stage {
            id,
            title,
            points: 5,
            hint,
            deadline,
            roles,
            run,
        }
    }
}

/// The programs a stage can start, by role id ("server", "client").
#[derive(Clone, Debug, Default)]
pub struct Binaries {
    paths: Vec<(&'static str, PathBuf)>,
}

impl Binaries {
    pub fn new() -> Binaries {
        Binaries { paths: Vec::new() }
    }
    pub fn with(mut self, role: &'static str, path: impl Into<PathBuf>) -> Binaries {
        self.paths.retain(|(r, _)| *r != role);
        self.paths.push((role, path.into()));
        self
    }
    pub fn path(&self, role: &str) -> Option<&PathBuf> {
        self.paths.iter().find(|(r, _)| *r == role).map(|(_, p)| p)
    }
}

/// A one-way signal: once set, stays set. Threads can poll it or sleep on
/// it. It says "stop waiting": the stage was cancelled, the client exited.
#[derive(Clone, Default)]
pub struct Flag(Arc<(Mutex<bool>, Condvar)>);

impl Flag {
    pub fn set(&self) {
        *self.0.0.lock().unwrap_or_else(|e| e.into_inner()) = true;
        self.0.1.notify_all();
    }
    pub fn is_set(&self) -> bool {
        *self.0.0.lock().unwrap_or_else(|e| e.into_inner())
    }
    /// Sleeps until the flag is set or `timeout` passes; true if set.
    pub fn wait(&self, timeout: Duration) -> bool {
        let guard = self.0.0.lock().unwrap_or_else(|e| e.into_inner());
        let (guard, _) = self
            .0
            .1
            .wait_timeout_while(guard, timeout, |set| !*set)
            .unwrap_or_else(|e| e.into_inner());
        *guard
    }
}

/// What one stage shares between its own threads and the watchdog.
pub(crate) struct Shared {
    pub(crate) transcript: Transcript,
    /// The programs started, or `None` once the stage is over: after that
    /// nothing more can be started.
    pub(crate) procs: Mutex<Option<Vec<process::Proc>>>,
    /// Set when the stage ends: its waits stop.
    pub(crate) over: Flag,
    /// Each peer's own stop flag, set when the stage ends too.
    pub(crate) peer_flags: Mutex<Vec<Flag>>,
}

impl Shared {
    /// Ends the stage: no more programs, peers stop, every program is
    /// stopped. Returns the programs, for the report.
    fn close(&self) -> Vec<process::Proc> {
        self.over.set();
        for flag in self
            .peer_flags
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
        {
            flag.set();
        }
        let procs = self
            .procs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
            .unwrap_or_default();
        let mut procs = procs;
        for p in &mut procs {
            p.stop();
        }
        procs
    }
}

/// The outcome of one stage, as the report shows it.
#[derive(Clone, Debug, Serialize)]
pub struct StageReport {
    pub id: &'static str,
    pub title: &'static str,
    pub verdict: Verdict,
    pub points: u32,
    pub max_points: u32,
    pub seconds: f64,
    /// Present unless the stage passed.
    pub failure: Option<Failure>,
    /// The hint shown: the failure's own, else the stage's.
    pub hint: Option<String>,
    /// What was sent and received, in order (kept for failed stages only).
    pub transcript: Vec<crate::wire::Event>,
    /// How many earlier events were left out of `transcript`.
    pub transcript_omitted: usize,
    /// Every program the stage started.
    pub programs: Vec<ProgramReport>,
    /// The process groups the stage started, for tests that check that
    /// nothing survives.
    #[serde(skip)]
    pub process_groups: Vec<i32>,
}

impl StageReport {
    /// A stage that was not run, for `reason`.
    pub fn not_run(stage: &'static Stage, failure: Failure) -> StageReport {
        StageReport {
            id: stage.id,
            title: stage.title,
            verdict: failure.verdict,
            points: 0,
            max_points: stage.points,
            seconds: 0.0,
            failure: Some(failure),
            hint: None,
            transcript: Vec::new(),
            transcript_omitted: 0,
            programs: Vec::new(),
            process_groups: Vec::new(),
        }
    }
}

/// Runs one stage of `lesson` with the given programs. `gates` (when the
/// stage is part of a lesson run) lets it learn that a server it needs
/// already failed to start in an earlier stage.
pub fn run_stage(
    lesson: &'static Lesson,
    stage: &'static Stage,
    bins: Arc<Binaries>,
    gates: Option<Arc<Gates>>,
) -> StageReport {
    let shared = Arc::new(Shared {
        transcript: Transcript::new(),
        procs: Mutex::new(Some(Vec::new())),
        over: Flag::default(),
        peer_flags: Mutex::new(Vec::new()),
    });
    let started = Instant::now();
    let deadline = time::scaled(stage.deadline);
    let (tx, rx) = mpsc::channel();
    let for_thread = Arc::clone(&shared);
    let gates_for_thread = gates.clone();
    let spawned = thread::Builder::new()
        .name(format!("stage {}", stage.id))
        .spawn(move || {
            let mut ctx = Ctx::new(lesson, stage, bins, for_thread, gates_for_thread);
            let outcome = panic::catch_unwind(AssertUnwindSafe(|| (stage.run)(&mut ctx)))
                .unwrap_or_else(|panic| Err(Failure::checker_error(panic_text(&panic))));
            let _ = tx.send(outcome);
        });
    let outcome = match spawned {
        Err(e) => Err(Failure::checker_error(format!(
            "cannot start a thread: {e}"
        ))),
        Ok(_) => match rx.recv_timeout(deadline) {
            Ok(outcome) => outcome,
            // The stage is stuck. Closing it stops its programs and its
            // peers; its thread winds down on its own (every wait has a
            // deadline and watches the flag) and can start nothing more.
            Err(_) => Err(Failure::timed_out(format!(
                "the stage did not finish within its deadline of {}",
                time::say(deadline)
            ))),
        },
    };
    let procs = shared.close();
    if let Some(gates) = gates {
        gates.stage_over(stage);
    }
    judge(
        stage,
        outcome,
        &procs,
        &shared.transcript,
        started.elapsed(),
    )
}

/// Turns a stage's outcome and its programs' fates into a report.
fn judge(
    stage: &'static Stage,
    outcome: Outcome,
    procs: &[process::Proc],
    transcript: &Transcript,
    took: Duration,
) -> StageReport {
    let programs: Vec<ProgramReport> = procs.iter().map(|p| p.summary()).collect();
    let (events, omitted) = transcript.events();
    let process_groups = procs.iter().map(|p| p.pgid()).collect();
    let todo = procs.iter().find_map(|p| p.todo());
    let failure = match (outcome, todo) {
        // A program that reached a todo!() has not been written yet: say so,
        // whatever else went wrong because of it, and even if the checks
        // passed (a stub that drops a connection "refuses" a bad frame).
        (
            Ok(())
            | Err(Failure {
                verdict: Verdict::Failed | Verdict::TimedOut | Verdict::Crashed,
                ..
            }),
            Some(place),
        ) => Some(Failure::not_implemented(place)),
        (Ok(()), None) => None,
        (Err(mut f), _) => {
            // A program that died on its own explains most failures after it.
            let died = procs
                .iter()
                .find(|p| matches!(p.ended(), Some((s, false)) if process::is_crash(s)));
            if let (Some(p), Verdict::Failed | Verdict::TimedOut) = (died, f.verdict) {
                f.verdict = Verdict::Crashed;
                let how = p
                    .ended()
                    .map(|(s, _)| process::describe_status(s))
                    .unwrap_or_default();
                f.summary = format!("{} {how}. Then: {}", p.name(), f.summary);
            }
            Some(f)
        }
    };
    let verdict = failure.as_ref().map_or(Verdict::Passed, |f| f.verdict);
    let passed = verdict.earns_points();
    let quiet = matches!(
        verdict,
        Verdict::NotImplemented | Verdict::NotRun | Verdict::Skipped
    );
    StageReport {
        id: stage.id,
        title: stage.title,
        verdict,
        points: if passed { stage.points } else { 0 },
        max_points: stage.points,
        seconds: took.as_secs_f64(),
        hint: match &failure {
            Some(f) if !passed && !quiet && verdict != Verdict::CheckerError => {
                Some(f.hint.clone().unwrap_or_else(|| stage.hint.to_string()))
            }
            _ => None,
        },
        failure,
        transcript: if passed || quiet { Vec::new() } else { events },
        transcript_omitted: if passed || quiet { 0 } else { omitted },
        programs: if passed || quiet {
            Vec::new()
        } else {
            programs
        },
        process_groups,
    }
}

fn panic_text(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "a panic".into())
}

/// Points for a lesson run.
pub fn total(stages: &[StageReport]) -> (u32, u32) {
    stages
        .iter()
        .fold((0, 0), |(p, m), s| (p + s.points, m + s.max_points))
}

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

    #[test]
    fn a_flag_wakes_its_sleepers() {
        let flag = Flag::default();
        let setter = flag.clone();
        let t = thread::spawn(move || {
            thread::sleep(Duration::from_millis(20));
            setter.set();
        });
        let started = Instant::now();
        assert!(flag.wait(Duration::from_secs(5)));
        assert!(started.elapsed() < Duration::from_secs(2));
        t.join().unwrap();
        assert!(!Flag::default().wait(Duration::from_millis(1)));
    }
}
