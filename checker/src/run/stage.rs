//! One stage, run on a thread of its own under a watchdog. When the stage
//! ends, or its deadline passes, it is cancelled: every program it started
//! is stopped, its peers stop waiting, and it cannot start anything more.
//! Then what happened becomes a verdict ([`judge`]).

use std::panic::{self, AssertUnwindSafe};
use std::sync::Arc;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use crate::course::{Lesson, Stage};
use crate::ctx::{Binaries, Closed, Ctx, Gates, Shared};
use crate::process::{self, ProgramReport};
use crate::report::StageReport;
use crate::time;
use crate::verdict::{Failure, Outcome, Verdict};
use crate::wire::Transcript;

/// Runs one stage of `lesson` with the given programs. `gates` (when the
/// stage is part of a lesson run) lets it learn that a server it needs
/// already failed to start in an earlier stage.
pub fn run_stage(
    lesson: &'static Lesson,
    stage: &'static Stage,
    bins: Arc<Binaries>,
    gates: Option<Arc<Gates>>,
) -> StageReport {
    let shared = Arc::new(Shared::new());
    let started = Instant::now();
    let deadline = time::scaled(stage.deadline);
    let (tx, rx) = mpsc::channel();
    let for_thread = Arc::clone(&shared);
    let gates_for_thread = gates.clone();
    let spawned = thread::Builder::new()
        .name(format!("stage {}", stage.id))
        .spawn(move || {
            let mut ctx = Ctx::new(stage.cast(lesson), bins, for_thread, gates_for_thread);
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
    let closed = shared.close();
    if let Some(gates) = gates {
        gates.stage_over(stage.id);
    }
    judge(
        stage,
        outcome,
        &closed,
        &shared.transcript,
        started.elapsed(),
    )
}

/// Turns a stage's outcome and its programs' fates into a report.
fn judge(
    stage: &'static Stage,
    outcome: Outcome,
    closed: &Closed,
    transcript: &Transcript,
    took: Duration,
) -> StageReport {
    let procs = &closed.procs;
    let programs: Vec<ProgramReport> = procs.iter().map(|p| p.summary()).collect();
    let (events, omitted) = transcript.events();
    let process_groups = procs.iter().map(|p| p.pgid()).collect();
    let failure = match (outcome, closed.todo.clone()) {
        // A stage that judges one step alone passed: what the program does
        // after that step is the next stages' business.
        (Ok(()), Some(_)) if closed.judges_one_step => None,
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
                let how = p.how_it_ended();
                f.summary = format!("{} {how}. Then: {}", p.name(), f.summary);
            }
            // Reached only once the checker stopped it: worth saying, but
            // it is not what failed.
            if let Some(place) = &closed.teardown_todo {
                f.summary = format!(
                    "{} (When the checker stopped it, it then reached a todo!(): {place}.)",
                    f.summary
                );
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
        stage_hint: stage.hint,
    }
}

fn panic_text(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "a panic".into())
}
