//! Where a student stands: every `cargo grade` of the student's own lessons
//! keeps its results in `target/grade/progress/LESSON.json`, so that
//! `cargo grade progress` and `cargo grade hint` answer at once, without
//! building or running anything.
//!
//! What is kept is small: per stage, its verdict, its points, and the
//! failure's one-line summary and hint. A run of a few stages
//! (`--stage ID`) updates those stages and keeps the others. A fingerprint
//! of the lesson's files says whether they changed since the last run.

use std::collections::BTreeMap;
use std::collections::hash_map::DefaultHasher;
use std::fmt::Write as _;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::lessons::{self, Flavor, Lesson};
use crate::report::{LessonReport, Paint, RunReport};
use crate::verdict::Verdict;

/// One lesson's last results, as kept on disk.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Saved {
    /// Seconds since 1970 (UTC) of the last run.
    pub graded_at: u64,
    /// Whether the lesson compiled then.
    pub build_ok: bool,
    /// The lesson's files at that run, as one number.
    pub fingerprint: u64,
    /// By stage id.
    pub stages: BTreeMap<String, SavedStage>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SavedStage {
    pub verdict: Verdict,
    pub points: u32,
    pub summary: Option<String>,
    pub hint: Option<String>,
    /// The lesson's files when this stage ran: a run of a few stages
    /// leaves the others graded on older code.
    #[serde(default)]
    pub fingerprint: u64,
}

fn dir(root: &Path) -> PathBuf {
    root.join("target").join("grade").join("progress")
}

/// A lesson's last results in the workspace at `root`, if it was graded.
pub fn load(root: &Path, lesson: &Lesson) -> Option<Saved> {
    let text = std::fs::read_to_string(dir(root).join(format!("{}.json", lesson.id))).ok()?;
    serde_json::from_str(&text).ok()
}

/// Keeps the results of a run of the student's lessons. Runs of the
/// reference solutions, or of programs given with `--program`, are not the
/// student's progress and are not kept.
pub fn record(root: &Path, run: &RunReport) -> std::io::Result<()> {
    std::fs::create_dir_all(dir(root))?;
    for l in run.lessons.iter().filter(|l| l.flavor == Flavor::Lesson) {
        let Some(lesson) = lessons::find(l.id) else {
            continue;
        };
        let mut saved = load(root, lesson).unwrap_or_default();
        saved.fingerprint = fingerprint(&root.join(lesson.package_dir(Flavor::Lesson)));
        update(&mut saved, l);
        let path = dir(root).join(format!("{}.json", lesson.id));
        // Written whole, then renamed: a run stopped halfway never leaves
        // a torn file behind.
        let partial = path.with_extension("json.partial");
        std::fs::write(
            &partial,
            serde_json::to_string_pretty(&saved).expect("progress serialises"),
        )?;
        std::fs::rename(&partial, &path)?;
    }
    Ok(())
}

fn update(saved: &mut Saved, l: &LessonReport) {
    saved.graded_at = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    saved.build_ok = l.build.ok;
    if !l.build.ok {
        // Nothing of the lesson runs now: no earlier pass still counts.
        saved.stages.clear();
    }
    for s in &l.stages {
        saved.stages.insert(
            s.id.to_string(),
            SavedStage {
                verdict: s.verdict,
                points: s.points,
                summary: s.failure.as_ref().map(|f| f.summary.clone()),
                hint: s.failure.as_ref().and_then(|f| f.hint.clone()),
                fingerprint: saved.fingerprint,
            },
        );
    }
}

/// Every file under `dir` (names, sizes, contents) as one number: when it
/// changes, the lesson changed since it was graded.
pub fn fingerprint(dir: &Path) -> u64 {
    let mut hasher = DefaultHasher::new();
    for path in files_under(dir) {
        path.hash(&mut hasher);
        std::fs::read(dir.join(&path))
            .unwrap_or_default()
            .hash(&mut hasher);
    }
    hasher.finish()
}

/// A text as one number (for names that must not collide).
pub fn fingerprint_of(text: &str) -> u64 {
    let mut hasher = DefaultHasher::new();
    text.hash(&mut hasher);
    hasher.finish()
}

/// The files under `dir`, relative to it, sorted; `target/` and hidden
/// entries (an editor's swap files, `.git`) are left out.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut todo = vec![PathBuf::new()];
    while let Some(rel) = todo.pop() {
        let Ok(entries) = std::fs::read_dir(dir.join(&rel)) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if name.starts_with('.') || name == "target" {
                continue;
            }
            let path = rel.join(&*name);
            match entry.file_type() {
                Ok(t) if t.is_dir() => todo.push(path),
                Ok(t) if t.is_file() => found.push(path),
                _ => {}
            }
        }
    }
    found.sort();
    found
}

/// Where a lesson stands.
pub struct Standing {
    pub lesson: &'static Lesson,
    pub saved: Option<Saved>,
    /// The lesson's files changed since its last run.
    pub changed: bool,
}

impl Standing {
    pub fn of(root: &Path, lesson: &'static Lesson) -> Standing {
        let saved = load(root, lesson);
        // Changed since any of its stages ran (a run of one stage leaves
        // the others graded on older files).
        let now = fingerprint(&root.join(lesson.package_dir(Flavor::Lesson)));
        let changed = saved.as_ref().is_some_and(|s| {
            s.fingerprint != now || s.stages.values().any(|st| st.fingerprint != now)
        });
        Standing {
            lesson,
            saved,
            changed,
        }
    }

    pub fn points(&self) -> u32 {
        self.saved
            .as_ref()
            .map_or(0, |s| s.stages.values().map(|st| st.points).sum())
    }

    /// Its last run found it did not compile.
    pub fn does_not_compile(&self) -> bool {
        self.saved.as_ref().is_some_and(|s| !s.build_ok)
    }

    /// What to do first when it does not compile.
    pub fn fix_the_build(&self) -> String {
        format!(
            "Next: {} did not compile at its last run. Fix the compiler's first error (`cargo build -p {}` shows them all), then `cargo grade {}`.",
            self.lesson.id, self.lesson.package, self.lesson.id
        )
    }

    /// A stage's last result, if it ran.
    pub fn stage(&self, id: &str) -> Option<&SavedStage> {
        self.saved.as_ref()?.stages.get(id)
    }

    /// The first stage, in the lesson's order, that has not earned its
    /// points (or never ran). `None` when every stage has.
    pub fn next_stage(&self) -> Option<&'static crate::course::Stage> {
        self.lesson
            .stages
            .iter()
            .find(|s| !self.stage(s.id).is_some_and(|r| r.verdict.earns_points()))
    }
}

/// The whole course, in order.
pub fn standings(root: &Path) -> Vec<Standing> {
    lessons::LESSONS
        .iter()
        .map(|l| Standing::of(root, l))
        .collect()
}

/// The stage a student should work on next: in the lesson they graded
/// last, its first stage not passed; once that lesson is done (or before
/// anything was graded), the first stage not passed in course order.
pub fn next_in_course(all: &[Standing]) -> Option<(&Standing, &'static crate::course::Stage)> {
    let last = all
        .iter()
        .filter(|s| s.saved.is_some())
        .max_by_key(|s| s.saved.as_ref().map_or(0, |saved| saved.graded_at));
    last.and_then(|s| s.next_stage().map(|stage| (s, stage)))
        .or_else(|| {
            all.iter()
                .find_map(|s| s.next_stage().map(|stage| (s, stage)))
        })
}

/// The book's anchor for a heading, as mdBook makes it: lower case, spaces
/// to dashes, punctuation other than `-` and `_` dropped.
pub fn anchor(heading: &str) -> String {
    heading
        .chars()
        .filter_map(|c| match c {
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c.to_ascii_lowercase()),
            ' ' => Some('-'),
            _ => None,
        })
        .collect()
}

/// Where to read for a stage: the section and the chapter's source, and
/// its page in the book once the book is built (`just book`).
pub fn reading(root: &Path, lesson: &Lesson, stage: &str) -> String {
    let section = lesson.section_for(stage);
    let page = format!("docs/book/{}", lesson.chapter.replace(".md", ".html"));
    let mut out = format!("“{section}” in docs/src/{}", lesson.chapter);
    if root.join(&page).is_file() {
        let _ = write!(out, " (in the built book: {page}#{})", anchor(section));
    }
    out
}

const LEVELS: [&str; 3] = ["sockets", "protocol modules", "remote objects"];

fn bar(points: u32, max: u32) -> String {
    let filled = (points * 10).checked_div(max).unwrap_or(0).min(10) as usize;
    format!("{}{}", "█".repeat(filled), "░".repeat(10 - filled))
}

/// `cargo grade progress`: the course at a glance.
pub fn overview(paint: Paint, root: &Path, all: &[Standing]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}",
        paint.bold("Your course, from your last runs (each `cargo grade` updates it)")
    );
    let mut level = 0;
    let (mut total, mut max) = (0, 0);
    for s in all {
        if s.lesson.level != level {
            level = s.lesson.level;
            let _ = writeln!(
                out,
                "\n  level {level}: {}",
                LEVELS.get(usize::from(level) - 1).unwrap_or(&"")
            );
        }
        let (points, of) = (s.points(), s.lesson.max_points());
        total += points;
        max += of;
        let state = match (&s.saved, s.next_stage()) {
            (None, _) => "not graded yet".to_string(),
            (Some(saved), _) if !saved.build_ok => "does not compile".to_string(),
            (Some(_), None) => "done".to_string(),
            (Some(_), Some(stage)) => format!("next: {}", stage.id),
        };
        let changed = if s.changed {
            "  (changed since: grade it again)"
        } else {
            ""
        };
        let line = format!(
            "    {:<10} {}  {points:>3}/{of:<3}  {state}{changed}",
            s.lesson.id,
            bar(points, of)
        );
        let _ = writeln!(
            out,
            "{}",
            if points == of {
                paint.green(&line)
            } else {
                line
            }
        );
    }
    let _ = writeln!(out, "\n  total {total}/{max}");
    match next_in_course(all) {
        None => {
            let _ = writeln!(out, "\nEvery stage of the course passes. Well done.");
        }
        Some((s, _)) if s.does_not_compile() => {
            let _ = writeln!(out, "\n{}", s.fix_the_build());
        }
        Some((s, stage)) => {
            let _ = writeln!(
                out,
                "\nNext: stage `{}` of {} ({} points): {}",
                stage.id, s.lesson.id, stage.points, stage.title
            );
            let _ = writeln!(out, "  read   {}", reading(root, s.lesson, stage.id));
            let _ = writeln!(
                out,
                "  run    cargo grade {} --stage {}",
                s.lesson.id, stage.id
            );
            let _ = writeln!(out, "  stuck? cargo grade hint");
        }
    }
    out
}

/// `cargo grade hint`: a stage's hint and where to read, with what its
/// last run said.
pub fn hint_text(paint: Paint, root: &Path, s: &Standing, stage: &crate::course::Stage) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} ({} points): {}",
        paint.bold(&format!("{} / {}", s.lesson.id, stage.id)),
        stage.points,
        stage.title
    );
    match s.stage(stage.id) {
        None => {
            let _ = writeln!(out, "  last run: not graded yet");
        }
        Some(last) if last.verdict.earns_points() => {
            let _ = writeln!(out, "  last run: {}", last.verdict);
        }
        Some(last) => {
            let verdict = last.verdict.to_string();
            let said = match last.summary.as_deref().map(first_line) {
                // "not implemented yet: …" already names its verdict.
                Some(m) if m.starts_with(&verdict) => m.to_string(),
                Some(m) => format!("{verdict}: {m}"),
                None => verdict,
            };
            let _ = writeln!(out, "  last run: {said}");
            if let Some(h) = &last.hint {
                let _ = writeln!(out, "  it said: {h}");
            }
        }
    }
    let _ = writeln!(out, "\n  {} {}", paint.cyan("hint:"), stage.hint);
    let _ = writeln!(out, "  read: {}", reading(root, s.lesson, stage.id));
    let _ = writeln!(
        out,
        "  try:  cargo grade {} --stage {}",
        s.lesson.id, stage.id
    );
    out
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graded(id: &str, at: u64, passed: &[&str]) -> Standing {
        let lesson = lessons::find(id).unwrap();
        let stages = passed
            .iter()
            .map(|s| {
                let stage = SavedStage {
                    verdict: Verdict::Passed,
                    points: 5,
                    summary: None,
                    hint: None,
                    fingerprint: 0,
                };
                (s.to_string(), stage)
            })
            .collect();
        Standing {
            lesson,
            saved: Some(Saved {
                graded_at: at,
                build_ok: true,
                fingerprint: 0,
                stages,
            }),
            changed: false,
        }
    }

    #[test]
    fn the_next_stage_is_in_the_lesson_graded_last() {
        let never = |id| Standing {
            lesson: lessons::find(id).unwrap(),
            saved: None,
            changed: false,
        };
        // Nothing graded: the course's first stage.
        let fresh = [never("echo"), never("fetch")];
        let (s, stage) = next_in_course(&fresh).unwrap();
        assert_eq!((s.lesson.id, stage.id), ("echo", "one-message"));
        // echo half done long ago, fetch graded just now: fetch.
        let fetch = lessons::find("fetch").unwrap();
        let all = [
            graded("echo", 100, &["one-message"]),
            graded("fetch", 200, &[]),
        ];
        let (s, stage) = next_in_course(&all).unwrap();
        assert_eq!((s.lesson.id, stage.id), ("fetch", fetch.stages[0].id));
        // fetch all done: back to the first gap in course order.
        let every: Vec<&str> = fetch.stages.iter().map(|s| s.id).collect();
        let all = [
            graded("echo", 100, &["one-message"]),
            graded("fetch", 200, &every),
        ];
        let (s, stage) = next_in_course(&all).unwrap();
        assert_eq!(s.lesson.id, "echo");
        assert_ne!(stage.id, "one-message");
    }

    #[test]
    fn anchors_are_made_as_mdbook_makes_them() {
        assert_eq!(anchor("Half-close"), "half-close");
        assert_eq!(
            anchor("`write` versus `write_all`"),
            "write-versus-write_all"
        );
        assert_eq!(
            anchor("Names: the hosts file and the system's resolver"),
            "names-the-hosts-file-and-the-systems-resolver"
        );
    }

    #[test]
    fn bars_fill_by_tenths() {
        assert_eq!(bar(0, 100), "░".repeat(10));
        assert_eq!(bar(45, 100), format!("{}{}", "█".repeat(4), "░".repeat(6)));
        assert_eq!(bar(100, 100), "█".repeat(10));
    }
}
