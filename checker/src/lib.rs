//! The course's grading harness.
//!
//! - [`lessons`]: the registry of lessons and one module of stages each;
//! - [`stage`]: stages, verdicts, and the context a stage runs in;
//! - [`process`]: starting programs, reading their output, killing them;
//! - [`wire`]: sockets with deadlines, transcripts, byte comparisons;
//! - [`builder`]: cargo builds of what is graded;
//! - [`report`]: text and JSON reports.

pub mod builder;
pub mod lessons;
pub mod process;
pub mod report;
pub mod stage;
pub mod wire;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use lessons::{Flavor, Lesson};
use report::{BuildReport, LessonReport};
use stage::{Binaries, Failure, StageReport, Verdict};

/// What to grade in a lesson.
pub struct Options<'a> {
    pub flavor: Flavor,
    /// Stage ids to run; empty means all.
    pub only: &'a [String],
    /// Color in cargo's output.
    pub color: bool,
    /// Programs to grade instead of the built ones, by role.
    pub programs: &'a [(String, PathBuf)],
}

/// Builds a lesson (the student's or the reference) and runs its stages in
/// order, calling `on_stage` as each one ends.
pub fn grade_lesson(
    root: &Path,
    lesson: &'static Lesson,
    opts: &Options,
    on_stage: &mut dyn FnMut(&StageReport),
) -> LessonReport {
    let package = lesson.package_name(opts.flavor);
    let stages: Vec<_> = lesson
        .stages
        .iter()
        .filter(|s| opts.only.is_empty() || opts.only.iter().any(|id| id == s.id))
        .collect();
    let (build, bins) = match builder::build(root, std::slice::from_ref(&package), opts.color) {
        Ok(built) => {
            let mut bins = Binaries::new();
            for role in lesson.roles {
                if let Some(path) = built
                    .executables
                    .get(&lesson.binary_name(role, opts.flavor))
                {
                    bins = bins.with(role, path);
                }
            }
            for (role, path) in opts.programs {
                if let Some(role) = lesson.roles.iter().find(|r| **r == role.as_str()) {
                    bins = bins.with(role, path);
                }
            }
            (
                BuildReport {
                    ok: true,
                    warnings: built.warnings,
                    error: None,
                },
                Some(bins),
            )
        }
        Err(e) => (
            BuildReport {
                ok: false,
                warnings: 0,
                error: Some(e.0),
            },
            None,
        ),
    };
    let reports = stages
        .into_iter()
        .map(|stage| {
            // A package that does not compile gets one line in the report
            // (see report::build_text), not one per stage.
            match &bins {
                Some(bins) => {
                    let report = stage::run_stage(stage, Arc::new(bins.clone()));
                    on_stage(&report);
                    report
                }
                None => not_run(stage),
            }
        })
        .collect::<Vec<_>>();
    let (points, max_points) = stage::total(&reports);
    LessonReport {
        id: lesson.id,
        title: lesson.title,
        flavor: opts.flavor,
        package_dir: package_dir(lesson, opts.flavor),
        package,
        chapter: lesson.chapter.to_string(),
        build,
        stages: reports,
        points,
        max_points,
    }
}

/// Where the graded package lives, relative to the workspace.
pub fn package_dir(lesson: &Lesson, flavor: Flavor) -> String {
    match flavor {
        Flavor::Lesson => format!("lessons/{}", lesson.package),
        Flavor::Solution => format!("solutions/{}", lesson.package),
    }
}

fn not_run(stage: &'static stage::Stage) -> StageReport {
    StageReport {
        id: stage.id,
        title: stage.title,
        verdict: Verdict::Failed,
        points: 0,
        max_points: stage.points,
        seconds: 0.0,
        failure: Some(Failure::failed("not run: the package does not compile")),
        hint: None,
        transcript: Vec::new(),
        programs: Vec::new(),
        process_groups: Vec::new(),
    }
}
