//! Helpers shared by the checker's own tests.

#![allow(dead_code)] // each test file uses its own share of these

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use checker::builder::{self, Built};
use checker::ctx::Binaries;
use checker::lessons::{Flavor, Lesson};
use checker::process;
use checker::report::StageReport;
use checker::report::{self, Paint};
use checker::run;

/// Builds the packages once per test binary (cargo's own lock keeps two
/// test binaries from building at the same time).
fn built(packages: &[String]) -> Built {
    builder::build(&builder::workspace_root(), packages, false)
}

/// Every reference solution, built once.
pub fn solutions() -> &'static Built {
    static BUILT: OnceLock<Built> = OnceLock::new();
    BUILT.get_or_init(|| {
        let packages: Vec<String> = checker::lessons::LESSONS
            .iter()
            .map(|l| l.package_name(Flavor::Solution))
            .collect();
        built(&packages)
    })
}

/// The fixture programs (misbehaving servers, wrong solutions), built once.
pub fn fixtures() -> &'static Built {
    static BUILT: OnceLock<Built> = OnceLock::new();
    BUILT.get_or_init(|| built(&["checker-fixtures".to_string()]))
}

pub fn fixture(name: &str) -> PathBuf {
    let built = fixtures();
    built.executables.get(name).cloned().unwrap_or_else(|| {
        panic!(
            "no fixture binary {name}: is checker/fixtures/src/bin/{name}.rs there, and does it compile?\n{}{}",
            built.diagnostics("checker-fixtures").rendered,
            built.cargo_stderr
        )
    })
}

/// A lesson's reference programs.
pub fn reference(lesson: &'static Lesson) -> Binaries {
    let (bins, build) = run::lesson_binaries(lesson, Flavor::Solution, solutions(), &[]);
    assert!(
        build.ok,
        "the reference of {} does not build: {:?}\n{}",
        lesson.id, build.error, build.diagnostics
    );
    bins
}

/// Runs one stage of `lesson` with `bins`, as `cargo grade --stage` would.
pub fn run(lesson: &'static Lesson, stage_id: &str, bins: Binaries) -> StageReport {
    let stage = lesson
        .stage(stage_id)
        .unwrap_or_else(|| panic!("{} has no stage {stage_id}", lesson.id));
    checker::run::run_stage(lesson, stage, Arc::new(bins), None)
}

/// Fails if any process of the groups a stage started is still alive.
pub fn assert_no_survivors(stage: &StageReport) {
    for &pgid in &stage.process_groups {
        let alive = process::live_members(pgid);
        assert!(
            alive.is_empty(),
            "stage {}: processes {alive:?} of group {pgid} survived",
            stage.id
        );
    }
}

/// The text report of a stage, as a student reads it.
pub fn explain(stage: &StageReport) -> String {
    report::stage_text(Paint { on: false }, stage)
}

/// A report with what changes from run to run taken out: times, ports,
/// thread ids, pids. Used for golden files.
pub fn normalise(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        out.push_str(&normalise_line(line));
        out.push('\n');
    }
    out
}

fn normalise_line(line: &str) -> String {
    let mut out = String::new();
    let chars: Vec<char> = line.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        // A number: digits with an optional fraction.
        if c.is_ascii_digit() && (i == 0 || !chars[i - 1].is_ascii_alphanumeric()) {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            let number: String = chars[start..i].iter().collect();
            let before: String = chars[..start].iter().collect();
            let after = chars.get(i).copied();
            let unit_ends = chars.get(i + 1).is_none_or(|c| !c.is_ascii_alphanumeric());
            if after == Some('s') && unit_ends {
                // A time: "0.013s", "2s".
                out.push('N');
            } else if before.ends_with("127.0.0.1:") || before.ends_with("]:") {
                out.push_str("PORT");
            } else if before.ends_with("--timeout ") {
                // Scaled by the time scale.
                out.push('N');
            } else if before.ends_with("' (") || before.ends_with("pid ") {
                out.push_str("ID");
            } else {
                out.push_str(&number);
            }
            continue;
        }
        out.push(c);
        i += 1;
    }
    out
}
