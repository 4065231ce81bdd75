//! The report as text for a person: a block per stage (verdict, what was
//! sent and received, expected and got, one hint) and a scoreboard.

use std::fmt::Write as _;

use crate::lessons;
use crate::verdict::Verdict;

use super::model::{LessonReport, RunReport, StageReport};

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

/// The word the text report puts before a stage.
pub fn label_text(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Passed => "PASS",
        Verdict::Failed => "FAIL",
        Verdict::NotImplemented => "TODO",
        Verdict::TimedOut => "TIME",
        Verdict::Crashed => "CRASH",
        Verdict::Skipped => "SKIP",
        Verdict::NotRun => "-----",
        Verdict::CheckerError => "ERROR",
    }
}

fn label(paint: Paint, verdict: Verdict) -> String {
    let text = format!("{:<5}", label_text(verdict));
    match verdict {
        Verdict::Passed => paint.green(&text),
        Verdict::Failed | Verdict::TimedOut | Verdict::Crashed | Verdict::CheckerError => {
            paint.red(&text)
        }
        Verdict::NotImplemented => paint.yellow(&text),
        Verdict::Skipped => paint.cyan(&text),
        Verdict::NotRun => paint.dim(&text),
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
    if matches!(
        s.verdict,
        Verdict::NotImplemented | Verdict::Skipped | Verdict::NotRun
    ) {
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
        for line in &crate::wire::transcript_lines(&s.transcript, s.transcript_omitted) {
            let _ = writeln!(out, "{pad}  {}", paint.dim(line));
        }
    }
    for p in &s.programs {
        let mut exit = p
            .exit
            .as_ref()
            .map_or("is still running", |e| &e.said)
            .to_string();
        if p.processes_at_stop > 1 {
            exit = format!(
                "{exit} with {} processes in its group (it forks, and they are stopped too)",
                p.processes_at_stop
            );
        }
        let program = format!("{} {}", p.name, p.args.join(" "));
        if p.stderr_tail.trim().is_empty() {
            let _ = writeln!(
                out,
                "{pad}the program `{program}` {exit}; its stderr was empty"
            );
        } else {
            let _ = writeln!(out, "{pad}the program `{program}` {exit}; its stderr:");
            for line in p.stderr_tail.lines() {
                let _ = writeln!(out, "{pad}  | {}", cut(line, 200));
            }
        }
    }
    if let Some(h) = &s.hint {
        let _ = writeln!(out, "{pad}{} {h}", paint.yellow("hint:"));
    }
    out
}

/// A line cut to `max` characters, with a mark where it was cut.
fn cut(line: &str, max: usize) -> String {
    match line.char_indices().nth(max) {
        Some((at, _)) => format!("{} … ({} bytes in all)", &line[..at], line.len()),
        None => line.to_string(),
    }
}

/// The build's outcome, when it is worth saying: for a package that does
/// not compile, its first error as the compiler wrote it.
pub fn build_text(paint: Paint, l: &LessonReport) -> Option<String> {
    let b = &l.build;
    let rebuild = format!("cargo build -p {}", l.package);
    if let Some(e) = &b.error {
        let mut out = format!("  {} {e}\n", paint.red("build failed:"));
        if let Some(first) = &b.first_error {
            for line in first.trim_end().lines() {
                let _ = writeln!(out, "    {line}");
            }
            let _ = writeln!(out, "  (all of the compiler's messages: `{rebuild}`)");
        }
        let _ = writeln!(out, "  its stages score 0 until it compiles");
        return Some(out);
    }
    (b.warnings > 0).then(|| {
        format!(
            "  {} the build gave {} warning(s): `{rebuild}` shows them\n",
            paint.yellow("note:"),
            b.warnings
        )
    })
}

/// The whole text report of a run, as `cargo grade` prints it: each
/// lesson's heading, build and stages, then the scoreboard.
pub fn full_text(paint: Paint, run: &RunReport) -> String {
    let mut out = String::new();
    for l in &run.lessons {
        let _ = writeln!(
            out,
            "{}",
            lesson_heading(paint, l.id, l.title, &l.package_dir)
        );
        if let Some(build) = build_text(paint, l) {
            out.push_str(&build);
        }
        for s in &l.stages {
            if l.build.ok || s.verdict != Verdict::NotRun {
                out.push_str(&stage_text(paint, s));
            }
        }
    }
    out.push_str(&scoreboard(paint, run));
    out
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
            "stage `{}` of {} ({}). Read “{}” in docs/src/{}, then run `cargo grade {} --stage {}`; `cargo grade hint` says more.",
            s.id,
            l.id,
            s.verdict,
            lessons::find(l.id).map_or(lessons::CONTRACT, |x| x.section_for(s.id)),
            l.chapter,
            l.id,
            s.id
        ))
    });
    let partial: Vec<&str> = run
        .lessons
        .iter()
        .filter(|l| lessons::find(l.id).is_some_and(|lesson| lesson.stages.len() > l.stages.len()))
        .map(|l| l.id)
        .collect();
    match next {
        None if !partial.is_empty() => {
            let _ = writeln!(
                out,
                "\n{} Only some stages were graded: `cargo grade {}` grades them all.",
                paint.green("Every stage graded passed."),
                partial.join(" ")
            );
        }
        None => {
            let _ = writeln!(out, "\n{}", paint.green("Every stage passed."));
        }
        Some(next) => {
            let _ = writeln!(out, "\nNext: {next}");
        }
    }
    out
}
