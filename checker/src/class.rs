//! `cargo grade class DIR`: a whole class at once, the data side.
//!
//! `DIR` holds one folder per student (a clone, or just its `lessons/`).
//! Each submission is graded by a child `cargo grade --submission` (see
//! [`crate::cli::class`], which runs them on a pool), into the student's
//! folder of the output: `students/NAME/` with `report.json`,
//! `report.txt`, `output.log` and `inputs.key`. This module finds the
//! submissions, decides when a submission's last reports still stand (its
//! files and its checker have not changed), and gathers the points into a
//! gradebook (CSV).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::lessons::Lesson;
use crate::submission::Refusal;
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

/// The folder of `student`'s reports under the output folder `out`.
pub fn student_dir(out: &Path, student: &str) -> PathBuf {
    out.join("students").join(student)
}

/// The JSON report in a student's folder, if there is a readable one.
pub fn read_report(dir: &Path) -> Option<Value> {
    let text = std::fs::read_to_string(dir.join("report.json")).ok()?;
    serde_json::from_str(&text).ok()
}

/// The report in a student's folder `dir`, when it was made from the same
/// inputs as now (`key`, from [`inputs_key`]): then it stands, and the
/// submission is not graded again. `None` without a key (the inputs could
/// not be read), or when anything differs.
pub fn kept_report(dir: &Path, key: Option<u64>) -> Option<Value> {
    let key = key?;
    let kept = std::fs::read_to_string(dir.join("inputs.key")).ok()?;
    if kept != format!("{key:x}") {
        return None;
    }
    read_report(dir)
}

/// Forgets a student's last report, before grading again: a run that
/// stops halfway must not leave the old one standing.
pub fn forget(dir: &Path) {
    let _ = std::fs::remove_file(dir.join("inputs.key"));
    let _ = std::fs::remove_file(dir.join("report.json"));
}

/// Remembers what the report in `dir` was made from, for [`kept_report`].
pub fn remember(dir: &Path, key: Option<u64>) {
    if let Some(key) = key {
        let _ = std::fs::write(dir.join("inputs.key"), format!("{key:x}"));
    }
}

/// The line a child checker writes in its `output.log` to say what
/// protected the machine from the submission (see
/// [`crate::sandbox::protection`]).
pub const PROTECTION_LINE: &str = "cargo grade: sandbox: ";

/// What protected the machine from each submission, as its child checker
/// said in `output.log`: each different line, with how many submissions
/// it was said of, most first.
pub fn protections(out: &Path, entries: &[Entry]) -> Vec<(String, usize)> {
    let mut said: Vec<(String, usize)> = Vec::new();
    for e in entries {
        let log = std::fs::read_to_string(student_dir(out, &e.student).join("output.log"))
            .unwrap_or_default();
        let Some(line) = log.lines().find_map(|l| l.strip_prefix(PROTECTION_LINE)) else {
            continue;
        };
        match said.iter_mut().find(|(l, _)| l == line) {
            Some((_, n)) => *n += 1,
            None => said.push((line.to_string(), 1)),
        }
    }
    said.sort_by_key(|(_, n)| std::cmp::Reverse(*n));
    said
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
#[derive(Clone, Debug)]
pub struct Row {
    pub student: String,
    /// Points per lesson, in the order of the lessons graded.
    pub points: Vec<u32>,
    pub total: u32,
    /// "ok", or what went wrong.
    pub status: String,
}

/// A student's row: their points per lesson from the report, or zeros and
/// why they were not graded. What the checker refused of the submission
/// (`refused`, of the lessons graded) comes first in the status.
pub fn row(student: &str, lessons: &[&Lesson], outcome: &Outcome, refused: &[Refusal]) -> Row {
    let mut row = row_of_report(student, lessons, outcome);
    let said: Vec<String> = refused
        .iter()
        .filter(|r| r.lesson.is_none_or(|id| lessons.iter().any(|l| l.id == id)))
        .map(Refusal::say)
        .collect();
    if !said.is_empty() && matches!(outcome, Outcome::Graded(_)) {
        if row.status != "ok" {
            row.status = format!("{}; {}", said.join("; "), row.status);
        } else {
            row.status = said.join("; ");
        }
    }
    row
}

fn row_of_report(student: &str, lessons: &[&Lesson], outcome: &Outcome) -> Row {
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

/// The gradebook for a terminal: the same fields as the CSV, unquoted, in
/// columns (a control character in a name or status is shown as `?`).
pub fn table(lessons: &[&Lesson], rows: &[Row]) -> String {
    let clean = |text: &str| -> String {
        text.chars()
            .map(|c| if c.is_control() { '?' } else { c })
            .collect()
    };
    let max: u32 = lessons.iter().map(|l| l.max_points()).sum();
    let mut lines: Vec<Vec<String>> = Vec::new();
    let mut header = vec!["student".to_string()];
    header.extend(lessons.iter().map(|l| l.id.to_string()));
    header.extend(["total", "max", "status"].map(String::from));
    lines.push(header);
    for r in rows {
        let mut line = vec![clean(&r.student)];
        line.extend(r.points.iter().map(u32::to_string));
        line.extend([r.total.to_string(), max.to_string(), clean(&r.status)]);
        lines.push(line);
    }
    let columns = lines[0].len();
    let widths: Vec<usize> = (0..columns)
        .map(|i| {
            lines
                .iter()
                .map(|l| l.get(i).map_or(0, |f| f.chars().count()))
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for line in &lines {
        let mut text = String::new();
        for (i, field) in line.iter().enumerate() {
            if i + 1 == line.len() {
                text.push_str(field);
            } else {
                let pad = widths[i] - field.chars().count();
                let _ = write!(text, "{field}{}  ", " ".repeat(pad));
            }
        }
        out.push_str(text.trim_end());
        out.push('\n');
    }
    out
}

/// Writes the gradebook of `rows` into `out/gradebook.csv`; returns its
/// path and text, or says what could not be written.
pub fn write_gradebook(
    out: &Path,
    lessons: &[&Lesson],
    rows: &[Row],
) -> Result<(PathBuf, String), String> {
    let csv = gradebook(lessons, rows);
    let path = out.join("gradebook.csv");
    std::fs::write(&path, &csv).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok((path, csv))
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
            row("ada", &chosen, &graded, &[]),
            row(
                "bob, jr",
                &chosen,
                &Outcome::NotGraded("no \"lessons\"".into()),
                &[],
            ),
        ];
        let trouble = Outcome::Graded(serde_json::json!({
            "lessons": [{"id": "echo", "points": 5, "build": {"ok": true},
                "stages": [{"verdict": "passed"}, {"verdict": "checker_error"}]}]
        }));
        assert_eq!(
            row("cy", &chosen, &trouble, &[]).status,
            "checker error in 1 stage(s): grade again"
        );
        assert_eq!(
            gradebook(&chosen, &rows),
            "student,echo,total,max,status\nada,35,35,100,ok\n\"bob, jr\",0,0,100,\"no \"\"lessons\"\"\"\n"
        );
        // On the console: the fields, in columns, a comma inside a field
        // kept where it is.
        assert_eq!(
            table(&chosen, &rows),
            "student  echo  total  max  status\nada      35    35     100  ok\nbob, jr  0     0      100  no \"lessons\"\n"
        );
        let odd = [row(
            "eve\x1b[2J",
            &chosen,
            &Outcome::NotGraded("a\nb".into()),
            &[],
        )];
        assert!(
            table(&chosen, &odd).ends_with("eve?[2J  0     0      100  a?b\n"),
            "{}",
            table(&chosen, &odd)
        );
    }

    #[test]
    fn what_was_refused_comes_first_in_the_status() {
        let chosen: Vec<&Lesson> = vec![lessons::find("echo").unwrap()];
        let graded = Outcome::Graded(serde_json::json!({
            "lessons": [{"id": "echo", "points": 0, "build": {"ok": false}}]
        }));
        let link = Refusal {
            lesson: Some("echo"),
            why: "lessons/echo is a symbolic link (links are not followed)".into(),
        };
        let other = Refusal {
            lesson: Some("framing"),
            why: "not graded this time".into(),
        };
        let workspace = Refusal {
            lesson: None,
            why: "its workspace Cargo.toml adds or changes dependencies (`rand`); the course's is used".into(),
        };
        assert_eq!(
            row("ada", &chosen, &graded, &[link.clone(), other, workspace]).status,
            "echo not graded: lessons/echo is a symbolic link (links are not followed); ignored: its workspace Cargo.toml adds or changes dependencies (`rand`); the course's is used; does not compile: echo"
        );
        let fine = Outcome::Graded(
            serde_json::json!({"lessons": [{"id": "echo", "points": 0, "build": {"ok": true}}]}),
        );
        assert_eq!(
            row("ada", &chosen, &fine, std::slice::from_ref(&link)).status,
            "echo not graded: lessons/echo is a symbolic link (links are not followed)"
        );
        let late = Outcome::NotGraded("stopped after 60s".into());
        assert_eq!(
            row("ada", &chosen, &late, &[link]).status,
            "stopped after 60s"
        );
    }

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("grade-class-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("a folder");
        dir
    }

    #[test]
    fn a_report_stands_only_while_its_inputs_are_the_same() {
        let dir = scratch("kept");
        let report = serde_json::json!({"lessons": []});
        std::fs::write(dir.join("report.json"), report.to_string()).expect("a report");
        assert_eq!(kept_report(&dir, Some(0xab)), None, "never remembered");
        remember(&dir, Some(0xab));
        assert_eq!(kept_report(&dir, Some(0xab)), Some(report.clone()));
        assert_eq!(kept_report(&dir, Some(0xac)), None, "the inputs changed");
        assert_eq!(
            kept_report(&dir, None),
            None,
            "the inputs could not be read"
        );
        std::fs::write(dir.join("report.json"), "{ cut sh").expect("a broken report");
        assert_eq!(kept_report(&dir, Some(0xab)), None, "a report cut short");
        forget(&dir);
        assert!(!dir.join("inputs.key").exists() && !dir.join("report.json").exists());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn inputs_change_with_the_lessons_and_the_options() {
        let dir = scratch("key");
        let entry = Entry {
            student: "ada".into(),
            dir: dir.clone(),
        };
        assert_eq!(
            inputs_key(&entry, &dir.join("checker"), ""),
            None,
            "no lessons"
        );
        let package = dir
            .join("lessons")
            .join(lessons::find("echo").unwrap().package);
        std::fs::create_dir_all(package.join("src")).expect("lessons");
        std::fs::write(package.join("Cargo.toml"), "[package]\n").expect("a manifest");
        std::fs::write(package.join("src/lib.rs"), "// one\n").expect("a file");
        std::fs::write(dir.join("checker"), "a checker").expect("a checker");
        let key = |options: &str| inputs_key(&entry, &dir.join("checker"), options);
        let first = key("a").expect("a key");
        assert_eq!(key("a"), Some(first));
        assert_ne!(key("b"), Some(first));
        std::fs::write(package.join("src/lib.rs"), "// two\n").expect("an edit");
        assert_ne!(key("a"), Some(first));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn the_submissions_are_the_folders_by_name() {
        let dir = scratch("entries");
        assert!(entries(&dir).is_err(), "an empty folder");
        for name in ["bob", "ada", ".git"] {
            std::fs::create_dir_all(dir.join(name)).expect("a folder");
        }
        std::fs::write(dir.join("notes.txt"), "").expect("a file");
        let names: Vec<String> = entries(&dir)
            .expect("two")
            .into_iter()
            .map(|e| e.student)
            .collect();
        assert_eq!(names, ["ada", "bob"]);
        assert_eq!(student_dir(&dir, "ada"), dir.join("students/ada"));

        let listed = entries(&dir).expect("two");
        assert_eq!(protections(&dir, &listed), []);
        for (student, said) in [("ada", "processes: a; files: b"), ("bob", "processes: c")] {
            let folder = student_dir(&dir, student);
            std::fs::create_dir_all(&folder).expect("a student's folder");
            let log = format!("warning: x\n{PROTECTION_LINE}{said}\nmore\n");
            std::fs::write(folder.join("output.log"), log).expect("log");
        }
        assert_eq!(
            protections(&dir, &listed),
            [
                ("processes: a; files: b".to_string(), 1),
                ("processes: c".to_string(), 1)
            ]
        );
        std::fs::write(
            student_dir(&dir, "bob").join("output.log"),
            format!("{PROTECTION_LINE}processes: a; files: b\n"),
        )
        .expect("log");
        assert_eq!(
            protections(&dir, &listed),
            [("processes: a; files: b".to_string(), 2)]
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn the_gradebook_is_written_where_it_belongs() {
        let dir = scratch("book");
        let chosen: Vec<&Lesson> = vec![lessons::find("echo").unwrap()];
        let rows = [row("ada", &chosen, &Outcome::NotGraded("late".into()), &[])];
        let (path, csv) = write_gradebook(&dir, &chosen, &rows).expect("written");
        assert_eq!(path, dir.join("gradebook.csv"));
        assert_eq!(std::fs::read_to_string(&path).expect("the file"), csv);
        assert!(write_gradebook(&dir.join("nosuch"), &chosen, &rows).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
