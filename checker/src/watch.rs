//! `cargo grade --watch`: the edit, save, see loop without leaving the
//! editor. The lessons folder is watched (notify; a burst of writes, as
//! editors save, is one change); a save under `lessons/echo/` grades
//! echo again, and the screen shows what to work on: the first stage that
//! does not pass, whole, and one line for the rest.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::Duration;

use notify::event::ModifyKind;
use notify::{Event, EventKind, RecommendedWatcher, RecursiveMode, Watcher};

use crate::lessons::{self, Lesson};
use crate::report::{self, LessonReport, Paint, RunReport};
use crate::verdict::Verdict;

/// How long the folder must be quiet before a burst of writes counts as
/// one change. Editors save in several steps (a temporary file, a rename).
const QUIET: Duration = Duration::from_millis(200);

/// The changes under a folder, as they come.
pub struct Changes {
    // Watching stops when the watcher is dropped.
    _watcher: RecommendedWatcher,
    rx: Receiver<notify::Result<Event>>,
}

impl Changes {
    pub fn watch(dir: &Path) -> Result<Changes, String> {
        let (tx, rx) = mpsc::channel();
        let mut watcher =
            notify::recommended_watcher(tx).map_err(|e| format!("cannot watch files: {e}"))?;
        watcher
            .watch(dir, RecursiveMode::Recursive)
            .map_err(|e| format!("cannot watch {}: {e}", dir.display()))?;
        Ok(Changes {
            _watcher: watcher,
            rx,
        })
    }

    /// Waits for the next burst of changes, until the folder has been
    /// quiet for a moment: the paths that changed. `None` once watching
    /// has stopped for good.
    pub fn next(&self) -> Option<Result<Vec<PathBuf>, String>> {
        let mut paths: Vec<PathBuf> = Vec::new();
        loop {
            let event = if paths.is_empty() {
                self.rx.recv().ok()?
            } else {
                match self.rx.recv_timeout(QUIET) {
                    Ok(event) => event,
                    Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => {
                        return Some(Ok(paths));
                    }
                }
            };
            let event = match event {
                Ok(event) => event,
                Err(e) => return Some(Err(e.to_string())),
            };
            if is_a_change(&event.kind) {
                for path in event.paths {
                    if !paths.contains(&path) {
                        paths.push(path);
                    }
                }
            }
        }
    }
}

/// Whether an event changes what a file holds. Reading a file is an event
/// too (the build opens every source): counting it would grade forever.
fn is_a_change(kind: &EventKind) -> bool {
    match kind {
        EventKind::Create(_) | EventKind::Remove(_) => true,
        EventKind::Modify(ModifyKind::Metadata(_)) => false,
        EventKind::Modify(_) => true,
        EventKind::Access(_) | EventKind::Any | EventKind::Other => false,
    }
}

/// The lesson a changed path belongs to, under the lessons folder `dir`.
/// Editors' swap and backup files, hidden files and build output are not
/// changes to a lesson.
pub fn lesson_of(dir: &Path, path: &Path) -> Option<&'static Lesson> {
    let dir = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    let rel = path.strip_prefix(&dir).ok()?;
    let mut parts = rel.components().map(|c| c.as_os_str().to_string_lossy());
    let package = parts.next()?;
    let rest: Vec<_> = parts.collect();
    let name = rest.last()?;
    let noise = rest.iter().any(|p| p.starts_with('.') || p == "target")
        || name.ends_with('~')
        || name.ends_with(".swp")
        || name.ends_with(".swx")
        || name == "4913"; // vim's test of whether it may write here
    if noise {
        return None;
    }
    lessons::LESSONS
        .iter()
        .copied()
        .find(|l| l.package == package)
}

/// What the screen shows after a run: per lesson, a compile error's first
/// error alone, or the first stage that does not pass with its transcript
/// and hint; then one line for the rest.
pub fn screen(paint: Paint, run: &RunReport) -> String {
    let mut out = String::new();
    for l in &run.lessons {
        let _ = writeln!(
            out,
            "{}",
            report::lesson_heading(paint, l.id, l.title, &l.package_dir)
        );
        if let Some(build) = report::build_text(paint, l) {
            out.push_str(&build);
            if !l.build.ok {
                continue;
            }
        }
        if let Some(first) = l.stages.iter().find(|s| !s.verdict.earns_points()) {
            out.push_str(&report::stage_text(paint, first));
            // A stub's stage says only "not implemented": say where to start.
            if first.verdict == Verdict::NotImplemented
                && let Some(stage) = lessons::find(l.id).and_then(|x| x.stage(first.id))
            {
                let _ = writeln!(out, "         {} {}", paint.yellow("hint:"), stage.hint);
            }
        }
        let _ = writeln!(out, "{}", summary(l));
    }
    out
}

/// One line: the points, how many stages pass, and which do not yet.
pub fn summary(l: &LessonReport) -> String {
    let passing = l.stages.iter().filter(|s| s.verdict.earns_points()).count();
    let not_yet: Vec<&str> = l
        .stages
        .iter()
        .filter(|s| !s.verdict.earns_points())
        .map(|s| s.id)
        .collect();
    let mut line = format!(
        "  {}: {}/{} · {passing} of {} stages pass",
        l.id,
        l.points,
        l.max_points,
        l.stages.len()
    );
    match not_yet.len() {
        0 => line.push_str(" · every stage passes"),
        n if n <= 6 => {
            let _ = write!(line, " · not yet: {}", not_yet.join(", "));
        }
        n => {
            let _ = write!(
                line,
                " · not yet: {} and {} more",
                not_yet[..5].join(", "),
                n - 5
            );
        }
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_belongs_to_the_lesson_whose_folder_holds_it() {
        let dir = Path::new("/nowhere/lessons");
        let of = |p: &str| lesson_of(dir, Path::new(p)).map(|l| l.id);
        assert_eq!(of("/nowhere/lessons/echo/src/bin/server.rs"), Some("echo"));
        assert_eq!(
            of("/nowhere/lessons/udp-upper/Cargo.toml"),
            Some("udp-upper")
        );
        assert_eq!(of("/nowhere/lessons/echo/src/.server.rs.swp"), None);
        assert_eq!(of("/nowhere/lessons/echo/src/server.rs~"), None);
        assert_eq!(of("/nowhere/lessons/echo/src/4913"), None);
        assert_eq!(of("/nowhere/lessons/echo/target/debug/x"), None);
        assert_eq!(of("/nowhere/lessons/no-such-lesson/src/main.rs"), None);
        assert_eq!(of("/elsewhere/echo/src/main.rs"), None);
        assert_eq!(of("/nowhere/lessons/echo"), None);
    }
}
