//! Grading work that lives outside this checkout: a student's clone, or
//! just its `lessons/` folder, graded with this checkout's checker.
//!
//! Only the submission's lessons are read, never its `checker/`, its tests
//! or its workspace manifest: a submission that edits the checker to give
//! itself points gets the points its programs earn, and no more. They are
//! copied into a scratch workspace under `target/grade/submissions/`,
//! beside a manifest and a lock file that are the course's own, and built
//! and run there, with a target folder of its own (two submissions never
//! share binaries).
//!
//! A lesson the submission lacks is taken as the stub, so that it scores
//! nothing rather than stopping the build. So is a lesson the checker
//! refuses ([`refusals`]): one that is, or holds, a symbolic link (links are
//! not followed: a submission cannot make the checker read files outside
//! it, such as a classmate's), and one whose manifest adds or changes a
//! dependency (a submission builds with the course's crates only).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::lessons::{self, Flavor};
use crate::{progress, stubs};

/// Whether `path` is a symbolic link (not followed).
fn is_link(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
}

/// The `lessons/` folder of a submission given as a clone or as the folder
/// itself.
pub fn lessons_dir(given: &Path) -> Result<PathBuf, String> {
    let holds_a_lesson = |dir: &Path| {
        lessons::LESSONS
            .iter()
            .any(|l| dir.join(l.package).join("Cargo.toml").is_file())
    };
    let inner = given.join("lessons");
    if is_link(&inner) {
        return Err(format!(
            "{} is a symbolic link: links are not followed",
            inner.display()
        ));
    }
    if inner.is_dir() && holds_a_lesson(&inner) {
        Ok(inner)
    } else if holds_a_lesson(given) {
        Ok(given.to_path_buf())
    } else {
        Err(format!(
            "{} holds no lesson: give a student's clone, or its lessons/ folder",
            given.display()
        ))
    }
}

/// The scratch workspace for the submission whose lessons are `from`,
/// under the course at `course`: one per submission, named after it.
pub fn scratch_for(course: &Path, from: &Path) -> PathBuf {
    let absolute = std::fs::canonicalize(from).unwrap_or_else(|_| from.to_path_buf());
    // The folder above lessons/ names the student; the hash keeps two
    // students called alike apart.
    let named = if absolute.ends_with("lessons") {
        absolute.parent().unwrap_or(&absolute)
    } else {
        &absolute
    };
    let name: String = named
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let hash = progress::fingerprint_of(&absolute.to_string_lossy());
    course
        .join("target")
        .join("grade")
        .join("submissions")
        .join(format!("{name}-{:08x}", hash as u32))
}

/// A part of a submission the checker does not use, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// The lesson's id, graded as not submitted; `None` for the
    /// workspace's manifest (never used: the course's is).
    pub lesson: Option<&'static str>,
    /// Why, for the gradebook: "lessons/echo is a symbolic link".
    pub why: String,
}

impl Refusal {
    /// The refusal in a few words, for the gradebook's status.
    pub fn say(&self) -> String {
        match self.lesson {
            Some(lesson) => format!("{lesson} not graded: {}", self.why),
            None => format!("ignored: {}", self.why),
        }
    }
}

/// What the checker will not use of the submission whose lessons are
/// `from`, graded with the course at `course`: a lesson that is or holds a
/// symbolic link, or whose `Cargo.toml` adds or changes a dependency; and
/// a workspace `Cargo.toml` (beside `from`) that does.
pub fn refusals(course: &Path, from: &Path) -> Vec<Refusal> {
    let mut found = Vec::new();
    for lesson in lessons::LESSONS {
        let dir = from.join(lesson.package);
        let shown = format!("lessons/{}", lesson.package);
        let why = if is_link(&dir) {
            Some(format!(
                "{shown} is a symbolic link (links are not followed)"
            ))
        } else if let Some(link) = first_link(&dir) {
            Some(format!(
                "{shown}/{} is a symbolic link (links are not followed)",
                link.display()
            ))
        } else {
            let theirs = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap_or_default();
            let ours = stubs::files(lesson)
                .into_iter()
                .find(|(rel, _)| rel == Path::new("Cargo.toml"))
                .map(|(_, text)| text)
                .unwrap_or_default();
            changed_dependencies(&theirs, &ours, package_dependencies).map(|names| {
                format!(
                    "{shown}/Cargo.toml adds or changes dependencies ({names}): a submission cannot add any"
                )
            })
        };
        if let Some(why) = why {
            found.push(Refusal {
                lesson: Some(lesson.id),
                why,
            });
        }
    }
    if from.ends_with("lessons")
        && let Some(clone) = from.parent()
    {
        let theirs = std::fs::read_to_string(clone.join("Cargo.toml")).unwrap_or_default();
        let ours = std::fs::read_to_string(course.join("Cargo.toml")).unwrap_or_default();
        if let Some(names) = changed_dependencies(&theirs, &ours, workspace_dependencies) {
            found.push(Refusal {
                lesson: None,
                why: format!(
                    "its workspace Cargo.toml adds or changes dependencies ({names}); the course's is used"
                ),
            });
        }
    }
    found
}

/// The first symbolic link under `dir` (relative to it), where the
/// submission's files are read: hidden entries and `target/` aside.
fn first_link(dir: &Path) -> Option<PathBuf> {
    let mut todo = vec![PathBuf::new()];
    while let Some(rel) = todo.pop() {
        let Ok(entries) = std::fs::read_dir(dir.join(&rel)) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            if name.to_string_lossy().starts_with('.') || name == "target" {
                continue;
            }
            match entry.file_type() {
                Ok(t) if t.is_symlink() => return Some(rel.join(name)),
                Ok(t) if t.is_dir() => todo.push(rel.join(name)),
                _ => {}
            }
        }
    }
    None
}

/// A manifest's dependencies, each as (where, its value): every
/// `dependencies`, `dev-dependencies` and `build-dependencies` table, also
/// under `target.CFG`.
fn package_dependencies(manifest: &toml::Table) -> Vec<(String, toml::Value)> {
    let kinds = ["dependencies", "dev-dependencies", "build-dependencies"];
    let mut out = Vec::new();
    let mut tables: Vec<(String, &toml::Table)> = vec![(String::new(), manifest)];
    if let Some(targets) = manifest.get("target").and_then(|t| t.as_table()) {
        for (cfg, table) in targets {
            if let Some(table) = table.as_table() {
                tables.push((format!("target.{cfg}."), table));
            }
        }
    }
    for (prefix, table) in tables {
        for kind in kinds {
            for (name, value) in table
                .get(kind)
                .and_then(|d| d.as_table())
                .into_iter()
                .flatten()
            {
                out.push((format!("{prefix}{kind}.{name}"), value.clone()));
            }
        }
    }
    out
}

/// A workspace manifest's dependencies and the crates it swaps in:
/// `workspace.dependencies`, `patch` and `replace`.
fn workspace_dependencies(manifest: &toml::Table) -> Vec<(String, toml::Value)> {
    let mut out = Vec::new();
    let workspace = manifest.get("workspace").and_then(|w| w.as_table());
    let deps = workspace
        .and_then(|w| w.get("dependencies"))
        .and_then(|d| d.as_table());
    for (name, value) in deps.into_iter().flatten() {
        out.push((format!("workspace.dependencies.{name}"), value.clone()));
    }
    for (name, value) in manifest
        .get("patch")
        .and_then(|p| p.as_table())
        .into_iter()
        .flatten()
    {
        out.push((format!("patch.{name}"), value.clone()));
    }
    if let Some(replace) = manifest.get("replace") {
        out.push(("replace".into(), replace.clone()));
    }
    out
}

/// The dependencies `theirs` adds or changes from `ours` (by name, in
/// words), or `None`. Removing one is allowed; a manifest that does not
/// parse is left for cargo to explain.
fn changed_dependencies(
    theirs: &str,
    ours: &str,
    dependencies: fn(&toml::Table) -> Vec<(String, toml::Value)>,
) -> Option<String> {
    let theirs: toml::Table = theirs.parse().ok()?;
    let ours = dependencies(&ours.parse().unwrap_or_default());
    let changed: BTreeSet<String> = dependencies(&theirs)
        .into_iter()
        .filter(|(key, value)| !ours.iter().any(|(k, v)| k == key && v == value))
        .map(|(key, _)| format!("`{}`", key.rsplit('.').next().unwrap_or(&key)))
        .collect();
    (!changed.is_empty()).then(|| changed.into_iter().collect::<Vec<_>>().join(", "))
}

/// Brings the scratch workspace at `scratch` up to date with the lessons at
/// `from`: the course's manifest and lock, then each lesson file copied
/// only where it changed (unchanged files keep their times, so the next
/// build is incremental). Files the submission no longer has are removed.
/// A lesson the submission lacks, or that the checker refuses (see
/// [`refusals`], each said on stderr), is the stub.
pub fn prepare(course: &Path, from: &Path, scratch: &Path) -> Result<(), String> {
    let refused = refusals(course, from);
    for refusal in &refused {
        eprintln!("cargo grade: {}", refusal.say());
    }
    let io = |what: &str, e: std::io::Error| format!("{what}: {e}");
    std::fs::create_dir_all(scratch).map_err(|e| io("scratch folder", e))?;
    let manifest = std::fs::read_to_string(course.join("Cargo.toml"))
        .map_err(|e| io("the course's Cargo.toml", e))?;
    write_if_changed(&scratch.join("Cargo.toml"), &lessons_only(&manifest)?)
        .map_err(|e| io("Cargo.toml", e))?;
    if let Ok(lock) = std::fs::read_to_string(course.join("Cargo.lock")) {
        // Cargo prunes what the scratch workspace does not use, and keeps
        // every version it does use as the course pinned it.
        if !scratch.join("Cargo.lock").exists() {
            std::fs::write(scratch.join("Cargo.lock"), lock).map_err(|e| io("Cargo.lock", e))?;
        }
    }
    for lesson in lessons::LESSONS {
        let package = lesson.package_dir(Flavor::Lesson);
        let (src, dst) = (from.join(lesson.package), scratch.join(&package));
        let submitted = !refused.iter().any(|r| r.lesson == Some(lesson.id))
            && src.join("Cargo.toml").is_file();
        let wanted: Vec<(PathBuf, Vec<u8>)> = if submitted {
            progress::files_under(&src)
                .into_iter()
                .map(|rel| {
                    let bytes = std::fs::read(src.join(&rel)).unwrap_or_default();
                    (rel, bytes)
                })
                .collect()
        } else {
            stubs::files(lesson)
                .into_iter()
                .map(|(rel, text)| (rel, text.into_bytes()))
                .collect()
        };
        for (rel, bytes) in &wanted {
            let to = dst.join(rel);
            if let Some(parent) = to.parent() {
                std::fs::create_dir_all(parent).map_err(|e| io(&package, e))?;
            }
            if std::fs::read(&to).ok().as_ref() != Some(bytes) {
                std::fs::write(&to, bytes).map_err(|e| io(&package, e))?;
            }
        }
        for rel in progress::files_under(&dst) {
            if !wanted.iter().any(|(w, _)| *w == rel) {
                let _ = std::fs::remove_file(dst.join(rel));
            }
        }
    }
    Ok(())
}

fn write_if_changed(path: &Path, text: &str) -> std::io::Result<()> {
    if std::fs::read_to_string(path).ok().as_deref() == Some(text) {
        return Ok(());
    }
    std::fs::write(path, text)
}

/// The course's manifest with lessons/ as the only members: its shared
/// dependency versions, lints and profiles stay as they are.
fn lessons_only(manifest: &str) -> Result<String, String> {
    let mut out = String::new();
    let mut members = false;
    for line in manifest.lines() {
        if line.starts_with("members = ") {
            out.push_str("members = [\"lessons/*\"]\n");
            members = true;
        } else if line.starts_with("default-members = ") {
            continue;
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    if members {
        Ok(out)
    } else {
        Err("the course's Cargo.toml has no `members = ` line".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scratch_manifest_has_only_the_lessons() {
        let course = "[workspace]\nmembers = [\"checker\", \"lessons/*\"]\ndefault-members = [\"checker\"]\n\n[workspace.dependencies]\nlibc = \"0.2\"\n";
        assert_eq!(
            lessons_only(course).unwrap(),
            "[workspace]\nmembers = [\"lessons/*\"]\n\n[workspace.dependencies]\nlibc = \"0.2\"\n"
        );
        assert!(lessons_only("[package]\nname = \"x\"\n").is_err());
    }

    fn scratch(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("grade-submission-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("a folder");
        dir
    }

    /// A student's clone holding the echo stub.
    fn clone_with_echo(dir: &Path) -> PathBuf {
        let echo = lessons::find("echo").unwrap();
        for (rel, text) in stubs::files(echo) {
            let to = dir.join("lessons").join(echo.package).join(rel);
            std::fs::create_dir_all(to.parent().unwrap()).expect("a folder");
            std::fs::write(to, text).expect("a file");
        }
        dir.join("lessons")
    }

    fn course() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .unwrap()
            .to_path_buf()
    }

    #[test]
    fn links_are_refused_never_followed() {
        let base = scratch("links");
        let (victim, thief) = (base.join("victim"), base.join("thief"));
        let victims = clone_with_echo(&victim);
        assert_eq!(refusals(&course(), &victims), []);
        // A lesson folder that is a link to a classmate's.
        std::fs::create_dir_all(thief.join("lessons")).unwrap();
        std::os::unix::fs::symlink("../../victim/lessons/echo", thief.join("lessons/echo"))
            .unwrap();
        let theirs = lessons_dir(&thief).expect("it holds a lesson, through the link");
        assert_eq!(
            refusals(&course(), &theirs),
            [Refusal {
                lesson: Some("echo"),
                why: "lessons/echo is a symbolic link (links are not followed)".into()
            }]
        );
        // The scratch copy holds the stub, not the classmate's code.
        let scratch = base.join("scratch");
        std::fs::write(
            victims.join("echo/src/bin/server.rs"),
            "// the victim's own work\nfn main() {}\n",
        )
        .unwrap();
        prepare(&course(), &theirs, &scratch).expect("prepared");
        let copied = std::fs::read_to_string(scratch.join("lessons/echo/src/bin/server.rs"));
        assert!(!copied.unwrap().contains("the victim's own work"));
        // A file inside a lesson that is a link.
        let sneaky = base.join("sneaky");
        let lessons = clone_with_echo(&sneaky);
        let server = lessons.join("echo/src/bin/server.rs");
        std::fs::remove_file(&server).unwrap();
        std::os::unix::fs::symlink(victims.join("echo/src/bin/server.rs"), &server).unwrap();
        assert_eq!(
            refusals(&course(), &lessons)[0].why,
            "lessons/echo/src/bin/server.rs is a symbolic link (links are not followed)"
        );
        // The whole lessons/ folder as a link.
        let whole = base.join("whole");
        std::fs::create_dir_all(&whole).unwrap();
        std::os::unix::fs::symlink(&victims, whole.join("lessons")).unwrap();
        let err = lessons_dir(&whole).unwrap_err();
        assert!(
            err.ends_with("lessons is a symbolic link: links are not followed"),
            "{err}"
        );
        let _ = std::fs::remove_dir_all(&base);
    }

    #[test]
    fn a_lesson_may_not_add_or_change_a_dependency() {
        let stub = stubs::files(lessons::find("echo").unwrap())
            .into_iter()
            .find(|(rel, _)| rel == Path::new("Cargo.toml"))
            .unwrap()
            .1;
        let with = |extra: &str| format!("{stub}\n{extra}\n");
        let changed = |theirs: &str| changed_dependencies(theirs, &stub, package_dependencies);
        assert_eq!(changed(&stub), None);
        assert_eq!(changed("not [ toml"), None, "left for cargo to explain");
        assert_eq!(
            changed(&with("[dependencies]\nrand = \"0.8\"")).as_deref(),
            Some("`rand`")
        );
        assert_eq!(
            changed(&with("[build-dependencies.num_cpus]\nversion = \"1\"")).as_deref(),
            Some("`num_cpus`")
        );
        assert_eq!(
            changed(&with(
                "[target.'cfg(unix)'.dev-dependencies]\nlibc = \"0.2\""
            ))
            .as_deref(),
            Some("`libc`")
        );
        // The same dependency, however it is written, is the same.
        let ours = "[package]\nname = \"x\"\n\n[dependencies]\nlibc.workspace = true\n";
        let changed = |theirs: &str| changed_dependencies(theirs, ours, package_dependencies);
        assert_eq!(
            changed(&ours.replace("libc.workspace = true", "libc = { workspace = true }")),
            None
        );
        assert_eq!(
            changed(&ours.replace("libc.workspace = true", "libc = \"0.2.100\"")).as_deref(),
            Some("`libc`")
        );
        // Removing one is allowed: it adds no code.
        assert_eq!(changed(&ours.replace("libc.workspace = true", "")), None);

        // In a submission: the lesson is refused, said in a few words.
        let base = scratch("deps");
        let lessons = clone_with_echo(&base);
        std::fs::write(
            lessons.join("echo/Cargo.toml"),
            with("[dependencies]\nrand = \"0.8\""),
        )
        .unwrap();
        let course_manifest = std::fs::read_to_string(course().join("Cargo.toml")).unwrap();
        std::fs::write(
            base.join("Cargo.toml"),
            course_manifest.replace(
                "[workspace.dependencies]",
                "[workspace.dependencies]\nrand = \"0.8\"",
            ),
        )
        .unwrap();
        let said: Vec<String> = refusals(&course(), &lessons)
            .iter()
            .map(Refusal::say)
            .collect();
        assert_eq!(
            said,
            [
                "echo not graded: lessons/echo/Cargo.toml adds or changes dependencies (`rand`): a submission cannot add any",
                "ignored: its workspace Cargo.toml adds or changes dependencies (`rand`); the course's is used"
            ]
        );
        std::fs::write(base.join("Cargo.toml"), course_manifest).unwrap();
        assert_eq!(
            refusals(&course(), &lessons).len(),
            1,
            "the course's own manifest"
        );
        let _ = std::fs::remove_dir_all(&base);
    }
}
