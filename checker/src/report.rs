//! Reports: the run's results as data (serialised for `--format json`) and
//! as text for a person, with a scoreboard at the end.

use std::fmt::Write as _;

use serde::Serialize;

use crate::lessons::Flavor;
use crate::stage::{StageReport, Verdict};

/// How a lesson's build went.
#[derive(Clone, Debug, Serialize)]
pub struct BuildReport {
    pub ok: bool,
    pub warnings: usize,
    pub error: Option<String>,
}

/// One lesson's results.
#[derive(Clone, Debug, Serialize)]
pub struct LessonReport {
    pub id: &'static str,
    pub title: &'static str,
    pub flavor: Flavor,
    pub package: String,
    /// Where the package lives (`lessons/echo`).
    pub package_dir: String,
    pub chapter: String,
    pub build: BuildReport,
    pub stages: Vec<StageReport>,
    pub points: u32,
    pub max_points: u32,
}

/// A whole run.
#[derive(Clone, Debug, Serialize)]
pub struct RunReport {
    pub lessons: Vec<LessonReport>,
    pub points: u32,
    pub max_points: u32,
    /// Every stage of every lesson graded passed.
    pub passed: bool,
}

impl RunReport {
    pub fn new(lessons: Vec<LessonReport>) -> RunReport {
        let points = lessons.iter().map(|l| l.points).sum();
        let max_points = lessons.iter().map(|l| l.max_points).sum();
        let passed = lessons
            .iter()
            .all(|l| l.build.ok && l.stages.iter().all(|s| s.verdict.earns_points()));
        RunReport {
            lessons,
            points,
            max_points,
            passed,
        }
    }
}

/// ANSI colors, or nothing.
#[derive(Clone, Copy)]
pub struct Paint {
    pub on: bool,
}

impl Paint {
    fn wrap(self, code: &str, text: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
    pub fn bold(self, text: &str) -> String {
        self.wrap("1", text)
    }
    pub fn dim(self, text: &str) -> String {
        self.wrap("2", text)
    }
    pub fn green(self, text: &str) -> String {
        self.wrap("32", text)
    }
    pub fn red(self, text: &str) -> String {
        self.wrap("31", text)
    }
    pub fn yellow(self, text: &str) -> String {
        self.wrap("33", text)
    }
    pub fn cyan(self, text: &str) -> String {
        self.wrap("36", text)
    }
}

/// The lesson's heading, printed before its stages run.
pub fn lesson_heading(paint: Paint, id: &str, title: &str, package_dir: &str) -> String {
    paint.bold(&format!("== {id}: {title} ({package_dir}) =="))
}

fn label(paint: Paint, verdict: Verdict) -> String {
    match verdict {
        Verdict::Passed => paint.green("PASS "),
        Verdict::Failed => paint.red("FAIL "),
        Verdict::NotImplemented => paint.yellow("TODO "),
        Verdict::TimedOut => paint.red("TIME "),
        Verdict::Crashed => paint.red("CRASH"),
        Verdict::Skipped => paint.cyan("SKIP "),
    }
}

/// One stage: a line, and for a failure everything a beginner needs.
pub fn stage_text(paint: Paint, s: &StageReport) -> String {
    let mut out = String::new();
    let score = format!("{:>3}/{:<3}", s.points, s.max_points);
    let _ = writeln!(
        out,
        "  {}  {:<20} {:<52} {}",
        label(paint, s.verdict),
        s.id,
        s.title,
        score
    );
    let Some(f) = &s.failure else { return out };
    let pad = "         ";
    if s.verdict == Verdict::NotImplemented || s.verdict == Verdict::Skipped {
        let _ = writeln!(out, "{pad}{}", paint.dim(&f.summary));
        return out;
    }
    let _ = writeln!(
        out,
        "{pad}{}: {}",
        paint.bold(&s.verdict.to_string()),
        f.summary
    );
    if let Some(e) = &f.expected {
        let _ = writeln!(
            out,
            "{pad}expected: {}",
            e.replace('\n', &format!("\n{pad}"))
        );
    }
    if let Some(g) = &f.got {
        let _ = writeln!(
            out,
            "{pad}got:      {}",
            g.replace('\n', &format!("\n{pad}"))
        );
    }
    if !s.transcript.is_empty() {
        let _ = writeln!(out, "{pad}transcript (what the checker did and saw):");
        for line in &s.transcript {
            let _ = writeln!(out, "{pad}  {}", paint.dim(line));
        }
    }
    for p in &s.programs {
        let exit = p.exit.as_deref().unwrap_or("still running");
        if p.stderr_tail.trim().is_empty() {
            let _ = writeln!(
                out,
                "{pad}{} {} ({exit}); its stderr was empty",
                p.name,
                p.args.join(" ")
            );
        } else {
            let _ = writeln!(
                out,
                "{pad}{} {} ({exit}); its stderr:",
                p.name,
                p.args.join(" ")
            );
            for line in p.stderr_tail.lines() {
                let _ = writeln!(out, "{pad}  | {line}");
            }
        }
    }
    if let Some(h) = &f.hint {
        let _ = writeln!(out, "{pad}{} {h}", paint.yellow("hint:"));
    }
    if let Some(h) = s.hint {
        let _ = writeln!(out, "{pad}{} {h}", paint.yellow("hint:"));
    }
    out
}

/// The build's outcome, when it is worth a line.
pub fn build_text(paint: Paint, b: &BuildReport) -> Option<String> {
    if let Some(e) = &b.error {
        return Some(format!(
            "  {} {e}\n  every stage scores 0 until it compiles\n",
            paint.red("does not compile:")
        ));
    }
    (b.warnings > 0).then(|| {
        format!(
            "  {} the build gave {} warning(s): read them above\n",
            paint.yellow("note:"),
            b.warnings
        )
    })
}

/// The scoreboard: points per lesson and in all, and what to do next.
pub fn scoreboard(paint: Paint, run: &RunReport) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "\n{}", paint.bold("Scoreboard"));
    for l in &run.lessons {
        let passed = l.stages.iter().filter(|s| s.verdict.earns_points()).count();
        let line = format!(
            "  {:<14} {:<40} {:>4}/{:<4} {passed} of {} stages",
            l.id,
            l.title,
            l.points,
            l.max_points,
            l.stages.len()
        );
        let _ = writeln!(
            out,
            "{}",
            if l.points == l.max_points {
                paint.green(&line)
            } else {
                line
            }
        );
    }
    let _ = writeln!(
        out,
        "  {:<14} {:<40} {:>4}/{:<4}",
        "total", "", run.points, run.max_points
    );
    let next = run.lessons.iter().find_map(|l| {
        if !l.build.ok {
            return Some(format!(
                "{} does not compile: fix the first error cargo printed above.",
                l.id
            ));
        }
        let s = l.stages.iter().find(|s| !s.verdict.earns_points())?;
        Some(format!(
            "stage `{}` of {} ({}). Read docs/src/{}, then run `cargo grade {}`.",
            s.id, l.id, s.verdict, l.chapter, l.id
        ))
    });
    match next {
        None => {
            let _ = writeln!(out, "\n{}", paint.green("Every stage passed."));
        }
        Some(next) => {
            let _ = writeln!(out, "\nNext: {next}");
        }
    }
    out
}
