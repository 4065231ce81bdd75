//! `cargo grade --watch`: grades, then grades again the lesson a save
//! touched, until Ctrl-C. It owns the loop and its screen (a heading with
//! the time and the cause, then [`crate::watch::screen`]); noticing saves
//! and telling which lesson they belong to is [`crate::watch`]'s.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::grade::{self, Printer, Workspace};
use super::{Exit, Term, fail};
use crate::course::Stage;
use crate::lessons::Lesson;
use crate::run::Request;
use crate::{progress, time, watch};

/// `cargo grade --watch [LESSONS]`: the lessons and the workspace as
/// `cargo grade` reads them from the command line, then [`run`].
pub fn from_args(args: &grade::Args, root: &Path) -> Exit {
    match grade::prepare(args, root) {
        Ok((request, workspace)) => run(&workspace, &request, !args.lessons.is_empty()),
        Err(exit) => exit,
    }
}

/// Grades `request` now (the lessons named, or else the one the student
/// is working on), then again on every save, until Ctrl-C.
pub fn run(ws: &Workspace, request: &Request, named: bool) -> Exit {
    let term = Term::stdout();
    let paint = term.paint();
    let mut printer = Printer::status_only(paint, term.terminal);
    let dir = std::fs::canonicalize(&ws.lessons).unwrap_or_else(|_| ws.lessons.clone());
    let changes = match watch::Changes::watch(&dir) {
        Ok(changes) => changes,
        Err(message) => return fail(Exit::CheckerError, message),
    };
    // First: the lessons named, or the one the student is working on.
    let first: Vec<&'static Lesson> = if named {
        request.lessons.iter().map(|(l, _)| *l).collect()
    } else {
        let all = progress::standings(&ws.graded);
        progress::next_in_course(&all)
            .map(|(s, _)| s.lesson)
            .into_iter()
            .collect()
    };
    let mut cause = "first run".to_string();
    let mut due = first;
    loop {
        if !due.is_empty() {
            let chosen = Request {
                lessons: request
                    .lessons
                    .iter()
                    .filter(|(l, _)| due.iter().any(|d| d.id == l.id))
                    .cloned()
                    .collect(),
                programs: request.programs,
                ..*request
            };
            let started = Instant::now();
            let result = ws.grade(&chosen, &mut printer);
            let took = started.elapsed();
            let build = printer.build_took().unwrap_or_default();
            printer.clear_status();
            if term.terminal {
                // Clear the screen and its scroll-back, cursor to the top.
                print!("\x1b[2J\x1b[3J\x1b[H");
            }
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs());
            println!("{}", paint.bold(&heading(now, &cause, build, took)));
            match result {
                Ok(run) => print!("{}", watch::screen(paint, &run)),
                Err(message) => println!("cargo grade: {message}"),
            }
        }
        println!(
            "{}",
            paint.dim(&format!(
                "watching {} for saves; Ctrl-C stops",
                ws.lessons.display()
            ))
        );
        let _ = std::io::stdout().flush();
        due.clear();
        while due.is_empty() {
            let Some(batch) = changes.next() else {
                return Exit::Ok;
            };
            match batch {
                Ok(paths) => {
                    if let Some(saved) = saved(&dir, paths, &request.lessons, &mut due) {
                        cause = saved;
                    }
                }
                Err(message) => eprintln!("cargo grade: watching: {message}"),
            }
        }
    }
}

/// The line above each run's screen: when it ran (UTC, from seconds since
/// 1970), why, and how long the build and the stages took.
pub fn heading(now: u64, cause: &str, build: Duration, took: Duration) -> String {
    let clock = &time::utc_stamp(now)[11..];
    format!(
        "cargo grade --watch: graded at {}:{}:{} UTC ({cause}; built in {:.1}s, ran in {:.1}s)",
        &clock[..2],
        &clock[2..4],
        &clock[4..],
        build.as_secs_f64(),
        took.saturating_sub(build).as_secs_f64()
    )
}

/// Adds to `due` the lessons (among those `wanted`) that the saved
/// `paths` under `dir` belong to, and says which file caused it: the
/// last one that made a lesson due (a file still there rather than an
/// editor's temporary file, gone by now).
pub fn saved(
    dir: &Path,
    mut paths: Vec<PathBuf>,
    wanted: &[(&'static Lesson, Vec<&'static Stage>)],
    due: &mut Vec<&'static Lesson>,
) -> Option<String> {
    let mut cause = None;
    paths.sort_by_key(|p| !p.is_file());
    for path in &paths {
        let Some(lesson) = watch::lesson_of(dir, path) else {
            continue;
        };
        let wanted = wanted.iter().any(|(l, _)| l.id == lesson.id);
        if wanted && !due.iter().any(|d| d.id == lesson.id) {
            due.push(lesson);
            let rel = path.strip_prefix(dir).unwrap_or(path);
            let shown = Path::new(dir.file_name().unwrap_or_default()).join(rel);
            cause = Some(format!("you saved {}", shown.display()));
        }
    }
    cause
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lessons;

    #[test]
    fn the_heading_says_when_why_and_how_long() {
        // 2026-11-29 18:05:12 UTC
        let text = heading(
            1_795_975_512,
            "first run",
            Duration::from_millis(1200),
            Duration::from_millis(3500),
        );
        assert_eq!(
            text,
            "cargo grade --watch: graded at 18:05:12 UTC (first run; built in 1.2s, ran in 2.3s)"
        );
    }

    #[test]
    fn a_save_makes_its_lesson_due_once_and_names_a_file_still_there() {
        let dir = std::env::temp_dir().join(format!("grade-cli-watch-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let echo = lessons::find("echo").expect("echo");
        let framing = lessons::find("framing").expect("framing");
        let src = dir.join(echo.package).join("src");
        std::fs::create_dir_all(&src).expect("a lesson folder");
        std::fs::write(src.join("lib.rs"), "").expect("a file");
        let dir = std::fs::canonicalize(&dir).expect("canonical");
        let src = dir.join(echo.package).join("src");
        let wanted = vec![(echo, Vec::new())];
        let mut due = Vec::new();

        let paths = vec![
            src.join(".lib.rs.swp"),
            src.join("gone.rs"),
            src.join("lib.rs"),
            dir.join(framing.package).join("src/lib.rs"),
        ];
        let cause = saved(&dir, paths, &wanted, &mut due);
        let ids: Vec<&str> = due.iter().map(|l| l.id).collect();
        assert_eq!(ids, ["echo"], "framing is not watched here");
        let shown = Path::new(dir.file_name().expect("a name"))
            .join(echo.package)
            .join("src/lib.rs");
        assert_eq!(cause, Some(format!("you saved {}", shown.display())));

        // Already due: no new cause.
        assert_eq!(
            saved(&dir, vec![src.join("lib.rs")], &wanted, &mut due),
            None
        );
        assert_eq!(due.len(), 1);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
