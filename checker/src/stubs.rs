//! The lessons as the course ships them, for `cargo grade reset`.
//!
//! A student's `lessons/` is theirs to change, and git may not know the
//! stub any more (they commit their work, or got the course as a zip). So
//! the checker carries its own copy: one text file per lesson under
//! `checker/stubs/`, every file of the lesson after a `==> PATH <==` line,
//! built into the checker. The maintainers' `pristine` test proves the
//! copy matches `lessons/` as shipped, and `BLESS=1` rewrites it.
//!
//! A reset never loses work: every file it replaces or removes is first
//! copied into `backups/LESSON-DATE-TIME/` at the top of the workspace.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::lessons::{Flavor, Lesson};
use crate::{progress, time};

const ARCHIVES: &[(&str, &str)] = &[
    ("echo", include_str!("../stubs/echo.txt")),
    ("udp-upper", include_str!("../stubs/udp-upper.txt")),
    ("framing", include_str!("../stubs/framing.txt")),
    ("resolver", include_str!("../stubs/resolver.txt")),
    ("fetch", include_str!("../stubs/fetch.txt")),
    ("rpc", include_str!("../stubs/rpc.txt")),
    ("chat", include_str!("../stubs/chat.txt")),
];

const HEADER: &str = "# The lesson as the course ships it: `cargo grade reset` restores it from\n# here. Written by `BLESS=1 cargo test -p checker --test pristine`.\n";

/// The archive file of a lesson, relative to the workspace.
pub fn archive_path(lesson: &Lesson) -> PathBuf {
    PathBuf::from(format!("checker/stubs/{}.txt", lesson.id))
}

/// The stub's files, by path relative to the lesson's package, in order.
pub fn files(lesson: &Lesson) -> Vec<(PathBuf, String)> {
    ARCHIVES
        .iter()
        .find(|(id, _)| *id == lesson.id)
        .map(|(_, text)| unpack(text))
        .unwrap_or_default()
}

/// Reads an archive.
pub fn unpack(text: &str) -> Vec<(PathBuf, String)> {
    let mut files: Vec<(PathBuf, String)> = Vec::new();
    for line in text.split_inclusive('\n') {
        let marker = line
            .strip_prefix("==> ")
            .and_then(|rest| rest.trim_end().strip_suffix(" <=="));
        match (marker, files.last_mut()) {
            (Some(path), _) => files.push((PathBuf::from(path), String::new())),
            (None, Some((_, body))) => body.push_str(line),
            (None, None) => {} // the header
        }
    }
    files
}

/// Writes the archive of the package at `dir`. Every file must end with a
/// newline, and none may hold a marker line, or it would not read back.
pub fn pack(dir: &Path) -> Result<String, String> {
    let mut out = String::from(HEADER);
    for rel in progress::files_under(dir) {
        let text = std::fs::read_to_string(dir.join(&rel))
            .map_err(|e| format!("{}: {e}", rel.display()))?;
        if !text.ends_with('\n') || text.lines().any(|l| l.starts_with("==> ")) {
            return Err(format!(
                "{}: a stub file must end with a newline and hold no line starting `==> `",
                rel.display()
            ));
        }
        out.push_str(&format!("==> {} <==\n{text}", rel.display()));
    }
    Ok(out)
}

/// What a reset would do.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Plan {
    /// Files written back as the stub has them (changed or missing).
    pub restore: Vec<PathBuf>,
    /// Files the stub does not have (only when the whole lesson is reset).
    pub remove: Vec<PathBuf>,
}

impl Plan {
    pub fn is_empty(&self) -> bool {
        self.restore.is_empty() && self.remove.is_empty()
    }
}

/// What resetting `lesson` (or its one file `only`, relative to the
/// package or to the workspace) in the workspace at `root` would change.
pub fn plan(root: &Path, lesson: &Lesson, only: Option<&Path>) -> Result<Plan, String> {
    let package = lesson.package_dir(Flavor::Lesson);
    let dir = root.join(&package);
    let stub = files(lesson);
    let only = only.map(|p| p.strip_prefix(&package).unwrap_or(p).to_path_buf());
    if let Some(file) = &only
        && !stub.iter().any(|(p, _)| p == file)
    {
        let names: Vec<String> = stub.iter().map(|(p, _)| p.display().to_string()).collect();
        return Err(format!(
            "{} is not a file of the {} stub; its files are: {}",
            file.display(),
            lesson.id,
            names.join(", ")
        ));
    }
    let wanted = |p: &Path| only.as_deref().is_none_or(|o| o == p);
    let mut plan = Plan::default();
    for (path, text) in &stub {
        if wanted(path) && std::fs::read_to_string(dir.join(path)).ok().as_ref() != Some(text) {
            plan.restore.push(path.clone());
        }
    }
    if only.is_none() {
        plan.remove = progress::files_under(&dir)
            .into_iter()
            .filter(|p| !stub.iter().any(|(s, _)| s == p))
            .collect();
    }
    Ok(plan)
}

/// Where a reset done now keeps what it replaces, relative to the
/// workspace at `root`: `backups/echo-2026-11-29-180512`, never a folder
/// that is already there.
pub fn backup_dir(root: &Path, lesson: &Lesson) -> PathBuf {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let base = format!("{}-{}", lesson.id, time::utc_stamp(secs));
    let mut dir = PathBuf::from("backups").join(&base);
    let mut n = 1;
    while root.join(&dir).exists() {
        n += 1;
        dir = PathBuf::from("backups").join(format!("{base}-{n}"));
    }
    dir
}

/// Carries out `plan`: first copies every file it touches that exists into
/// `backup` (relative to `root`), then writes the stub's files and removes
/// the others. Returns how many files were backed up.
pub fn apply(root: &Path, lesson: &Lesson, plan: &Plan, backup: &Path) -> std::io::Result<usize> {
    let dir = root.join(lesson.package_dir(Flavor::Lesson));
    let mut saved = 0;
    for rel in plan.restore.iter().chain(&plan.remove) {
        let from = dir.join(rel);
        if from.is_file() {
            let to = root.join(backup).join(rel);
            std::fs::create_dir_all(to.parent().expect("a file has a parent"))?;
            std::fs::copy(&from, &to)?;
            saved += 1;
        }
    }
    let stub = files(lesson);
    for rel in &plan.restore {
        let text = &stub.iter().find(|(p, _)| p == rel).expect("planned").1;
        let to = dir.join(rel);
        std::fs::create_dir_all(to.parent().expect("a file has a parent"))?;
        std::fs::write(&to, text)?;
    }
    for rel in &plan.remove {
        std::fs::remove_file(dir.join(rel))?;
        // Folders the removal left empty go too (remove_dir fails on a
        // folder that still holds something, and that is what we want).
        let mut parent = rel.parent();
        while let Some(p) = parent.filter(|p| !p.as_os_str().is_empty()) {
            if std::fs::remove_dir(dir.join(p)).is_err() {
                break;
            }
            parent = p.parent();
        }
    }
    Ok(saved)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_archive_reads_back_what_was_packed() {
        let text = format!("{HEADER}==> a.rs <==\nfn a() {{}}\n\n==> src/b.rs <==\n// b\n");
        assert_eq!(
            unpack(&text),
            vec![
                (PathBuf::from("a.rs"), "fn a() {}\n\n".to_string()),
                (PathBuf::from("src/b.rs"), "// b\n".to_string()),
            ]
        );
    }
}
