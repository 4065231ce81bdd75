//! The report for programs: `--format json` (the course's own, versioned,
//! with a JSON Schema in `checker/schema/`), `--format junit` (for CI
//! systems and GitHub Classroom) and `--format gradescope` (Gradescope's
//! `results.json`).
//!
//! The JSON report is a contract: its `schema_version` changes when a field
//! is removed or changes meaning; new fields may appear in any version.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Serialize;

use crate::lessons::{self, Flavor};
use crate::report::{self, Paint, RunReport};
use crate::time;
use crate::verdict::Verdict;

/// The version of the JSON report's shape (`checker/schema/report-v1.schema.json`).
pub const SCHEMA_VERSION: u32 = 1;

/// What was graded, for the report's header.
pub struct Context<'a> {
    /// The course whose checker graded: its commit is named.
    pub course: &'a Path,
    /// The lessons folder that was graded, as given.
    pub graded: &'a Path,
}

/// The JSON report: a header saying what graded what and when, then the
/// run itself, serialised as the report model is (one model for every
/// format: see [`crate::report`]).
#[derive(Serialize)]
pub struct Report<'a> {
    pub schema_version: u32,
    /// When the run ended, RFC 3339, UTC.
    pub generated_at: String,
    pub checker_version: &'static str,
    /// The course's git commit, where git knows it.
    pub course_commit: Option<String>,
    pub flavor: Flavor,
    /// The lessons folder graded.
    pub graded: String,
    /// Points, the verdict on the whole run, and every lesson.
    #[serde(flatten)]
    pub run: &'a RunReport,
}

/// `2026-11-29T18:05:12Z`.
fn rfc3339(secs: u64) -> String {
    let s = time::utc_stamp(secs);
    format!("{}T{}:{}:{}Z", &s[..10], &s[11..13], &s[13..15], &s[15..17])
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The commit of the git checkout at `dir`, if git is there and knows it.
fn commit(dir: &Path) -> Option<String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["rev-parse", "HEAD"])
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    (out.status.success() && !text.trim().is_empty()).then(|| text.trim().to_string())
}

/// The course's JSON report of a run.
pub fn json_report<'a>(run: &'a RunReport, ctx: &Context) -> Report<'a> {
    Report {
        schema_version: SCHEMA_VERSION,
        generated_at: rfc3339(now()),
        checker_version: env!("CARGO_PKG_VERSION"),
        course_commit: commit(ctx.course),
        flavor: run.lessons.first().map_or(Flavor::Lesson, |l| l.flavor),
        graded: ctx.graded.display().to_string(),
        run,
    }
}

/// JUnit XML: a test suite per lesson, a test case per stage (named
/// `STAGE`, class `LESSON`), its text report as the failure's description.
pub fn junit(run: &RunReport) -> String {
    use quick_junit::{NonSuccessKind, TestCase, TestCaseStatus, TestSuite};
    let mut out = quick_junit::Report::new("cargo grade");
    let plain = Paint { on: false };
    for l in &run.lessons {
        let mut suite = TestSuite::new(l.id);
        for s in &l.stages {
            let mut status = match s.verdict {
                Verdict::Passed => TestCaseStatus::success(),
                Verdict::Skipped => TestCaseStatus::skipped(),
                Verdict::CheckerError | Verdict::NotRun => {
                    TestCaseStatus::non_success(NonSuccessKind::Error)
                }
                _ => TestCaseStatus::non_success(NonSuccessKind::Failure),
            };
            if let Some(f) = &s.failure {
                status.set_message(f.summary.lines().next().unwrap_or(""));
                status.set_type(s.verdict.to_string());
                status.set_description(report::stage_text(plain, s));
            }
            let mut case = TestCase::new(s.id, status);
            case.set_classname(l.id)
                .set_time(Duration::from_secs_f64(s.seconds))
                .add_property(("points", s.points.to_string().as_str()))
                .add_property(("max_points", s.max_points.to_string().as_str()));
            suite.add_test_case(case);
        }
        if let Some(build) = report::build_text(plain, l) {
            suite.set_system_out(build);
        }
        out.add_test_suite(suite);
    }
    out.to_string().expect("a JUnit report serialises")
}

/// At most `max` bytes of `text`, cut at a character, marked when cut.
fn cut(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… (cut; `cargo grade` shows it all)", &text[..end])
}

/// Gradescope's `results.json`: the score, and a test per stage with its
/// points and text report.
#[derive(Serialize)]
pub struct Gradescope {
    /// The total. (The most it can be is set in Gradescope, and is the sum
    /// of the tests' `max_score`.)
    pub score: f64,
    pub execution_time: f64,
    pub output: String,
    pub stdout_visibility: &'static str,
    pub tests: Vec<GradescopeTest>,
}

#[derive(Serialize)]
pub struct GradescopeTest {
    pub name: String,
    pub number: String,
    pub score: f64,
    pub max_score: f64,
    pub status: &'static str,
    pub output: String,
    pub visibility: &'static str,
}

/// `took` is how long the whole run took.
pub fn gradescope(run: &RunReport, took: Duration) -> Gradescope {
    let plain = Paint { on: false };
    let mut tests = Vec::new();
    for l in &run.lessons {
        let lesson_no = lessons::LESSONS
            .iter()
            .position(|x| x.id == l.id)
            .map_or(0, |i| i + 1);
        for (i, s) in l.stages.iter().enumerate() {
            let mut output = report::stage_text(plain, s);
            if i == 0
                && let Some(build) = report::build_text(plain, l)
            {
                output = format!("{build}{output}");
            }
            tests.push(GradescopeTest {
                name: format!("{} / {}: {}", l.id, s.id, s.title),
                number: format!("{lesson_no}.{}", i + 1),
                score: f64::from(s.points),
                max_score: f64::from(s.max_points),
                status: if s.verdict.earns_points() {
                    "passed"
                } else {
                    "failed"
                },
                output,
                visibility: "visible",
            });
        }
    }
    Gradescope {
        score: f64::from(run.points),
        execution_time: took.as_secs_f64(),
        output: report::scoreboard(plain, run),
        stdout_visibility: "visible",
        tests,
    }
}

/// GitHub Classroom's autograding reporter reads each runner's results as
/// base64 JSON: a status, the most points, and a test per stage with its
/// score. One runner per lesson gives points per lesson.
pub fn classroom(run: &RunReport) -> String {
    let plain = Paint { on: false };
    let tests: Vec<serde_json::Value> = run
        .lessons
        .iter()
        .flat_map(|l| l.stages.iter().map(move |s| (l, s)))
        .map(|(l, s)| {
            serde_json::json!({
                "name": format!("{} / {}: {}", l.id, s.id, s.title),
                "status": if s.verdict.earns_points() { "pass" } else { "fail" },
                "score": s.points,
                // Kept short: the reporter reads every lesson from one
                // environment variable each, and those have a size limit.
                "message": if s.verdict.earns_points() { String::new() } else { cut(&report::stage_text(plain, s), 1500) },
                "test_code": format!("cargo grade {} --stage {}", l.id, s.id),
                "filename": "",
                "line_no": 0,
                "duration": (s.seconds * 1000.0) as u64,
            })
        })
        .collect();
    let results = serde_json::json!({
        "version": 1,
        "status": if run.passed { "pass" } else { "fail" },
        "max_score": run.max_points,
        "tests": tests,
    });
    crate::wire::base64_encode(results.to_string().as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_rfc_3339() {
        assert_eq!(rfc3339(1_795_975_512), "2026-11-29T18:05:12Z");
    }
}
