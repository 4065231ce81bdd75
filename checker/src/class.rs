//! `cargo grade class DIR`: a whole class at once.
//!
//! `DIR` holds one folder per student (a clone, or just its `lessons/`).
//! Each submission is graded by a child `cargo grade --submission`, in a
//! process group of its own, a few at a time, under a deadline: one that
//! does not build, hangs or floods costs its own points and nothing more.
//! Each child writes the student's JSON and text reports; this module
//! gathers their points into a gradebook (CSV), and skips a submission
//! whose files, and whose checker, have not changed since it was graded.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::lessons::Lesson;
use crate::{progress, submission};

/// One student's folder.
#[derive(Clone, Debug)]
pub struct Entry {
    /// The folder's name: the student in the gradebook.
    pub student: String,
    pub dir: PathBuf,
}

/// The submissions under `dir`: every folder, by name. Hidden folders are
/// left out.
pub fn entries(dir: &Path) -> Result<Vec<Entry>, String> {
    let read = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    // is_dir follows a symbolic link: a folder of links to the clones
    // works too.
    let mut found: Vec<Entry> = read
        .flatten()
        .filter(|e| e.path().is_dir())
        .filter_map(|e| {
            let student = e.file_name().to_string_lossy().into_owned();
            (!student.starts_with('.')).then(|| Entry {
                student,
                dir: e.path(),
            })
        })
        .collect();
    found.sort_by(|a, b| a.student.cmp(&b.student));
    if found.is_empty() {
        return Err(format!(
            "{} holds no folder: put one folder per student in it",
            dir.display()
        ));
    }
    Ok(found)
}

/// What a grade of `entry` depends on, as one number: the submission's
/// lesson files, the checker that grades them and the options. When it is
/// the same as last time, the last reports stand.
pub fn inputs_key(entry: &Entry, checker: &Path, options: &str) -> Option<u64> {
    let lessons = submission::lessons_dir(&entry.dir).ok()?;
    let checker_bytes = std::fs::read(checker).ok()?;
    let text = format!(
        "{:x}/{:x}/{options}",
        progress::fingerprint(&lessons),
        progress::fingerprint_of(&String::from_utf8_lossy(&checker_bytes))
    );
    Some(progress::fingerprint_of(&text))
}

/// How a submission's grading ended.
#[derive(Clone, Debug)]
pub enum Outcome {
    /// Graded: its JSON report.
    Graded(Value),
    /// Not graded, and why ("no lessons", "stopped after 20 minutes").
    NotGraded(String),
}

/// One row of the gradebook.
pub struct Row {
    pub student: String,
    /// Points per lesson, in the order of the lessons graded.
    pub points: Vec<u32>,
    pub total: u32,
    /// "ok", or what went wrong.
    pub status: String,
}

pub fn row(student: &str, lessons: &[&Lesson], outcome: &Outcome) -> Row {
    match outcome {
        Outcome::NotGraded(why) => Row {
            student: student.to_string(),
            points: vec![0; lessons.len()],
            total: 0,
            status: why.clone(),
        },
        Outcome::Graded(report) => {
            let graded = report["lessons"].as_array().cloned().unwrap_or_default();
            let points: Vec<u32> = lessons
                .iter()
                .map(|l| {
                    graded
                        .iter()
                        .find(|g| g["id"] == l.id)
                        .and_then(|g| g["points"].as_u64())
                        .map_or(0, |p| p as u32)
                })
                .collect();
            let broken: Vec<&str> = graded
                .iter()
                .filter(|g| g["build"]["ok"] == false)
                .filter_map(|g| g["id"].as_str())
                .collect();
            // A stage the checker itself failed is the course's fault: the
            // row says so, for the instructor to grade that stage again.
            let checker_errors = graded
                .iter()
                .flat_map(|g| g["stages"].as_array().cloned().unwrap_or_default())
                .filter(|s| s["verdict"] == "checker_error")
                .count();
            let mut status = Vec::new();
            if !broken.is_empty() {
                status.push(format!("does not compile: {}", broken.join(" ")));
            }
            if checker_errors > 0 {
                status.push(format!(
                    "checker error in {checker_errors} stage(s): grade again"
                ));
            }
            Row {
                student: student.to_string(),
                total: points.iter().sum(),
                points,
                status: if status.is_empty() {
                    "ok".to_string()
                } else {
                    status.join("; ")
                },
            }
        }
    }
}

/// A CSV field, quoted when it must be (RFC 4180).
fn field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

/// The gradebook: a header, then a row per student.
pub fn gradebook(lessons: &[&Lesson], rows: &[Row]) -> String {
    let mut out = String::from("student");
    for l in lessons {
        let _ = write!(out, ",{}", l.id);
    }
    out.push_str(",total,max,status\n");
    let max: u32 = lessons.iter().map(|l| l.max_points()).sum();
    for r in rows {
        out.push_str(&field(&r.student));
        for p in &r.points {
            let _ = write!(out, ",{p}");
        }
        let _ = writeln!(out, ",{},{max},{}", r.total, field(&r.status));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lessons;

    #[test]
    fn the_gradebook_is_csv_with_a_row_per_student() {
        let chosen: Vec<&Lesson> = vec![lessons::find("echo").unwrap()];
        let graded = Outcome::Graded(serde_json::json!({
            "lessons": [{"id": "echo", "points": 35, "build": {"ok": true}}]
        }));
        let rows = [
            row("ada", &chosen, &graded),
            row(
                "bob, jr",
                &chosen,
                &Outcome::NotGraded("no \"lessons\"".into()),
            ),
        ];
        let trouble = Outcome::Graded(serde_json::json!({
            "lessons": [{"id": "echo", "points": 5, "build": {"ok": true},
                "stages": [{"verdict": "passed"}, {"verdict": "checker_error"}]}]
        }));
        assert_eq!(
            row("cy", &chosen, &trouble).status,
            "checker error in 1 stage(s): grade again"
        );
        assert_eq!(
            gradebook(&chosen, &rows),
            "student,echo,total,max,status\nada,35,35,100,ok\n\"bob, jr\",0,0,100,\"no \"\"lessons\"\"\"\n"
        );
    }
}
