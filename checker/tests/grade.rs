//! Your lessons, graded through `cargo test`: one test per stage, named
//! `LESSON::STAGE` with the ids `cargo grade` uses.
//!
//! ```sh
//! cargo test --test grade                      # every stage of every lesson
//! cargo test --test grade -- echo::            # one lesson
//! cargo test --test grade -- echo::half-close  # one stage
//! GRADE_SOLUTIONS=1 cargo test --test grade    # the reference solutions
//! ```
//!
//! A failing stage fails its test with the report `cargo grade` prints:
//! what was sent, what came back, what was expected, and a hint. The
//! lessons are built once per run, not once per test. This target is not
//! part of a plain `cargo test` (that one checks the course itself).

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use checker::builder::{self, Built};
use checker::course::Stage;
use checker::ctx::{Binaries, Gates};
use checker::lessons::{self, Flavor, Lesson};
use checker::report::{self, LessonReport, Paint};
use checker::run;

use libtest_mimic::{Arguments, Failed, Trial};

/// One lesson, once built: its programs and how the build went.
struct Ready {
    bins: Arc<Binaries>,
    report: LessonReport,
    gates: Arc<Gates>,
}

fn main() {
    let args = Arguments::from_args();
    let flavor = if std::env::var_os("GRADE_SOLUTIONS").is_some() {
        Flavor::Solution
    } else {
        Flavor::Lesson
    };
    // The stages this run will grade, so that the build covers only their
    // lessons and the gates know which stage goes first.
    let name = |l: &Lesson, s: &Stage| format!("{}::{}", l.id, s.id);
    let selected: Vec<(&'static Lesson, Vec<&'static Stage>)> = lessons::LESSONS
        .iter()
        .map(|&l| {
            let stages = l
                .stages
                .iter()
                .filter(|s| !args.is_filtered_out(&Trial::test(name(l, s), || Ok(()))))
                .collect();
            (l, stages)
        })
        .collect();
    let selected = Arc::new(selected);
    let ready: Arc<OnceLock<HashMap<&'static str, Ready>>> = Arc::default();
    let mut trials = Vec::new();
    for &lesson in lessons::LESSONS {
        for stage in lesson.stages {
            let (ready, selected) = (Arc::clone(&ready), Arc::clone(&selected));
            trials.push(Trial::test(name(lesson, stage), move || {
                let all = ready.get_or_init(|| build(&selected, flavor));
                grade(&all[lesson.id], lesson, stage)
            }));
        }
    }
    libtest_mimic::run(&args, trials).exit();
}

/// Builds every lesson that has a stage to grade, in one cargo build.
fn build(
    selected: &[(&'static Lesson, Vec<&'static Stage>)],
    flavor: Flavor,
) -> HashMap<&'static str, Ready> {
    let packages: Vec<String> = selected
        .iter()
        .filter(|(_, stages)| !stages.is_empty())
        .map(|(l, _)| l.package_name(flavor))
        .collect();
    let built: Built = builder::build(&builder::workspace_root(), &packages, false);
    selected
        .iter()
        .map(|(lesson, stages)| {
            let (bins, build) = run::lesson_binaries(lesson, flavor, &built, &[]);
            let ready = Ready {
                bins: Arc::new(bins),
                report: LessonReport::new(lesson, flavor, build),
                gates: Arc::new(Gates::new(
                    &stages.iter().map(|s| (s.id, s.roles)).collect::<Vec<_>>(),
                )),
            };
            (lesson.id, ready)
        })
        .collect()
}

fn grade(ready: &Ready, lesson: &'static Lesson, stage: &'static Stage) -> Result<(), Failed> {
    let missing: Vec<&str> = stage
        .roles
        .iter()
        .copied()
        .filter(|r| ready.bins.path(r).is_none())
        .collect();
    if !missing.is_empty() {
        let build = report::build_text(Paint { on: false }, &ready.report).unwrap_or_default();
        return Err(format!("{} does not compile:\n{build}", ready.report.package).into());
    }
    let report = checker::run::run_stage(
        lesson,
        stage,
        Arc::clone(&ready.bins),
        Some(Arc::clone(&ready.gates)),
    );
    if report.verdict.earns_points() {
        Ok(())
    } else {
        Err(report::stage_text(Paint { on: false }, &report).into())
    }
}
