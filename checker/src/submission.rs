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
//! nothing rather than stopping the build. Symbolic links are not followed:
//! a submission cannot make the checker read files outside it.

use std::path::{Path, PathBuf};

use crate::lessons::{self, Flavor};
use crate::{progress, stubs};

/// The `lessons/` folder of a submission given as a clone or as the folder
/// itself.
pub fn lessons_dir(given: &Path) -> Result<PathBuf, String> {
    let holds_a_lesson = |dir: &Path| {
        lessons::LESSONS
            .iter()
            .any(|l| dir.join(l.package).join("Cargo.toml").is_file())
    };
    let inner = given.join("lessons");
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

/// Brings the scratch workspace at `scratch` up to date with the lessons at
/// `from`: the course's manifest and lock, then each lesson file copied
/// only where it changed (unchanged files keep their times, so the next
/// build is incremental). Files the submission no longer has are removed.
pub fn prepare(course: &Path, from: &Path, scratch: &Path) -> Result<(), String> {
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
        let wanted: Vec<(PathBuf, Vec<u8>)> = if src.join("Cargo.toml").is_file() {
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
}
