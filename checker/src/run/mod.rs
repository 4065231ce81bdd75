//! A grading run: build the chosen lessons once, then run their stages on a
//! pool of worker threads, and hand the reports back in course order.
//!
//! Stages are independent (each starts its own programs on port 0), so they
//! can run side by side; the report is the same, times aside, whatever the
//! number of workers.
//!
//! - [`grade`]: the whole run, over a pool of workers;
//! - [`stage`]: one stage under its watchdog, and its verdict.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use crate::builder;
use crate::course::{Flavor, Lesson, Stage};
use crate::ctx::{Binaries, Gates};
use crate::report::{BuildReport, LessonReport, RunReport, StageReport};
use crate::verdict::Failure;

mod stage;

pub use stage::run_stage;

/// What to grade.
pub struct Request<'a> {
    pub flavor: Flavor,
    /// The lessons, each with the stages to run, in course order.
    pub lessons: Vec<(&'static Lesson, Vec<&'static Stage>)>,
    /// Programs to grade instead of the built ones, by role id (only with
    /// one lesson).
    pub programs: &'a [(String, PathBuf)],
    /// How many stages run at once.
    pub jobs: usize,
    /// Color in the compiler's messages.
    pub color: bool,
}

/// What a run tells whoever shows it, always in course order.
pub trait Observer {
    /// Before the build starts.
    fn building(&mut self, _packages: &[String]) {}
    /// The build is over; it took `took`.
    fn built(&mut self, _took: Duration) {}
    /// A lesson's turn has come: its build is known, its stages follow.
    fn lesson_start(&mut self, _lesson: &LessonReport) {}
    fn stage(&mut self, _lesson: &LessonReport, _report: &StageReport) {}
    fn lesson_end(&mut self, _lesson: &LessonReport) {}
    /// About ten times a second: the stages running, and for how long.
    fn running(&mut self, _now: &[(&'static str, &'static str, Duration)]) {}
}

/// An observer that shows nothing.
pub struct Quiet;
impl Observer for Quiet {}

/// The number of stages to run at once when not told: the number of cores.
pub fn default_jobs() -> usize {
    thread::available_parallelism().map_or(2, |n| n.get())
}

/// One lesson's programs and build, found in a build's results.
pub fn lesson_binaries(
    lesson: &'static Lesson,
    flavor: Flavor,
    built: &builder::Built,
    programs: &[(String, PathBuf)],
) -> (Binaries, BuildReport) {
    let package = lesson.package_name(flavor);
    let diagnostics = built.diagnostics(&package);
    let mut bins = Binaries::new();
    let mut missing = Vec::new();
    for role in lesson.roles {
        let given = programs.iter().find(|(r, _)| r == role.id);
        match (
            given,
            built.executables.get(&lesson.binary_name(role.id, flavor)),
        ) {
            (Some((_, path)), _) | (None, Some(path)) => bins = bins.with(role.id, path),
            (None, None) => missing.push(lesson.binary_name(role.id, flavor)),
        }
    }
    let error = if missing.is_empty() {
        None
    } else if diagnostics.errors > 0 {
        Some(format!(
            "{package} does not compile ({} error{})",
            diagnostics.errors,
            if diagnostics.errors == 1 { "" } else { "s" }
        ))
    } else if !built.cargo_stderr.trim().is_empty() {
        Some(format!(
            "cargo could not build {package}: {}",
            built.cargo_stderr.trim()
        ))
    } else {
        Some(format!("no program {} was built", missing.join(", ")))
    };
    let report = BuildReport {
        ok: error.is_none(),
        warnings: diagnostics.warnings,
        error,
        first_error: diagnostics.first_error.clone(),
        diagnostics: diagnostics.rendered,
    };
    (bins, report)
}

/// One unit of work: a stage of a lesson, or its report already known.
enum Slot {
    Run {
        lesson: &'static Lesson,
        stage: &'static Stage,
        bins: Arc<Binaries>,
        gates: Arc<Gates>,
    },
    Known(Box<StageReport>),
}

enum Event {
    Started(usize),
    Done(usize, Box<StageReport>),
}

/// Builds the lessons of `req` at once, grades their stages on `req.jobs`
/// workers, and tells `obs` as results come, in course order.
pub fn grade(root: &Path, req: &Request, obs: &mut dyn Observer) -> RunReport {
    let packages: Vec<String> = req
        .lessons
        .iter()
        .map(|(l, _)| l.package_name(req.flavor))
        .collect();
    obs.building(&packages);
    let started = Instant::now();
    let built = builder::build(root, &packages, req.color);
    obs.built(started.elapsed());

    let mut lessons = Vec::new();
    let mut slots = Vec::new();
    let mut lesson_of_slot = Vec::new();
    for (index, (lesson, stages)) in req.lessons.iter().enumerate() {
        let (bins, build) = lesson_binaries(lesson, req.flavor, &built, req.programs);
        let bins = Arc::new(bins);
        let gates = Arc::new(Gates::new(
            &stages.iter().map(|s| (s.id, s.roles)).collect::<Vec<_>>(),
        ));
        for &stage in stages {
            let missing: Vec<&str> = stage
                .roles
                .iter()
                .copied()
                .filter(|r| bins.path(r).is_none())
                .collect();
            slots.push(if missing.is_empty() {
                Slot::Run {
                    lesson,
                    stage,
                    bins: Arc::clone(&bins),
                    gates: Arc::clone(&gates),
                }
            } else {
                let why = format!(
                    "the {} does not compile",
                    missing
                        .iter()
                        .map(|r| lesson.role(r).map_or(*r, |r| r.name))
                        .collect::<Vec<_>>()
                        .join(" and ")
                );
                Slot::Known(Box::new(StageReport::not_run(stage, Failure::not_run(why))))
            });
            lesson_of_slot.push(index);
        }
        lessons.push(LessonReport::new(lesson, req.flavor, build));
    }

    let reports = run_slots(slots, req.jobs.max(1), |event| match event {
        Progress::Done(slot, report) => {
            let lesson = &mut lessons[lesson_of_slot[slot]];
            let first = lesson.stages.is_empty();
            if first {
                obs.lesson_start(lesson);
            }
            lesson.stages.push(report.clone());
            obs.stage(lesson, report);
            let last = slot + 1 == lesson_of_slot.len()
                || lesson_of_slot[slot + 1] != lesson_of_slot[slot];
            if last {
                lesson.finish();
                obs.lesson_end(lesson);
            }
        }
        Progress::Running(now) => obs.running(now),
    });
    debug_assert_eq!(reports, lesson_of_slot.len());
    RunReport::new(lessons)
}

enum Progress<'a> {
    Done(usize, &'a StageReport),
    Running(&'a [(&'static str, &'static str, Duration)]),
}

/// Runs the slots on `jobs` workers; calls `on` for each report in slot
/// order, and with the running stages about ten times a second. Returns
/// how many reports were handed over.
fn run_slots(slots: Vec<Slot>, jobs: usize, mut on: impl FnMut(Progress)) -> usize {
    let count = slots.len();
    let next = AtomicUsize::new(0);
    let (tx, rx) = mpsc::channel::<Event>();
    let mut done: Vec<Option<Box<StageReport>>> = (0..count).map(|_| None).collect();
    let mut started: HashMap<usize, Instant> = HashMap::new();
    let mut cursor = 0;
    let names: Vec<(&'static str, &'static str)> = slots
        .iter()
        .map(|s| match s {
            Slot::Run { lesson, stage, .. } => (lesson.id, stage.id),
            Slot::Known(r) => ("", r.id),
        })
        .collect();
    thread::scope(|s| {
        for _ in 0..jobs.min(count) {
            let tx = tx.clone();
            let (slots, next) = (&slots, &next);
            s.spawn(move || {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(slot) = slots.get(i) else { break };
                    let report = match slot {
                        Slot::Known(report) => report.clone(),
                        Slot::Run {
                            lesson,
                            stage,
                            bins,
                            gates,
                        } => {
                            let _ = tx.send(Event::Started(i));
                            Box::new(run_stage(
                                lesson,
                                stage,
                                Arc::clone(bins),
                                Some(Arc::clone(gates)),
                            ))
                        }
                    };
                    let _ = tx.send(Event::Done(i, report));
                }
            });
        }
        drop(tx);
        loop {
            match rx.recv_timeout(Duration::from_millis(100)) {
                Ok(Event::Started(i)) => {
                    started.insert(i, Instant::now());
                }
                Ok(Event::Done(i, report)) => {
                    started.remove(&i);
                    done[i] = Some(report);
                    while cursor < count {
                        let Some(report) = done[cursor].as_deref() else {
                            break;
                        };
                        on(Progress::Done(cursor, report));
                        cursor += 1;
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
            let mut now: Vec<(usize, Instant)> = started.iter().map(|(i, t)| (*i, *t)).collect();
            now.sort();
            let now: Vec<_> = now
                .into_iter()
                .map(|(i, t)| (names[i].0, names[i].1, t.elapsed()))
                .collect();
            on(Progress::Running(&now));
        }
    });
    cursor
}
