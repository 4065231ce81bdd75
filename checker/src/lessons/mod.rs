//! The registry: every lesson, in course order, with its package, its
//! programs (roles), its stages and the plausible mistakes its stages catch.
//!
//! Everything else follows from this table: `cargo grade`, the tests (one
//! per stage, reference and stub, one per mistake), the README's lesson
//! table, each chapter's tables of stages and of common mistakes.
//!
//! Each lesson is a folder of the same shape: `mod.rs` holds its entry
//! (the `LESSON` constant: roles, stages as plain [`Stage`] literals,
//! mistakes, the chapter's reading map) and nothing else; one file is the
//! checker's side of its protocol (`frame.rs`, `dns.rs`, `http.rs`,
//! `jsonrpc.rs`…); the stage functions are grouped by topic in files of
//! their own (`server.rs`, `client.rs`, `hostile.rs`…); `peer.rs` is the
//! peer to start by hand, where the lesson has one. The files of a folder
//! import their siblings, never `mod.rs`.
//!
//! Adding a lesson is one folder here and one line in [`LESSONS`]; the
//! tests then name whatever else is missing.

pub mod chat;
pub mod echo;
pub mod fetch;
pub mod framing;
pub mod resolver;
pub mod rpc;
pub mod udp_upper;

pub use crate::course::{
    CLIENT, CONTRACT, Flavor, HandPeer, Lesson, Mistake, Role, SERVER, SERVER_AND_CLIENT, Stage,
};

/// Every lesson, in the order the course teaches them.
pub const LESSONS: &[&Lesson] = &[
    &echo::LESSON,
    &udp_upper::LESSON,
    &framing::LESSON,
    &resolver::LESSON,
    &fetch::LESSON,
    &rpc::LESSON,
    &chat::LESSON,
];

/// The table of lessons the README shows (and a student release's too).
pub fn readme_table() -> String {
    let mut table = String::from(
        "| # | Lesson | Level | `cargo grade …` | Stages | Chapter |\n|---|---|---|---|---|---|\n",
    );
    for (n, lesson) in LESSONS.iter().enumerate() {
        table.push_str(&format!(
            "| {} | {} | {} | `{}` | {} | [{}](docs/src/{}) |\n",
            n + 1,
            lesson.title,
            lesson.level,
            lesson.id,
            lesson.stages.len(),
            lesson.chapter,
            lesson.chapter
        ));
    }
    table
}

/// Finds a lesson by id.
pub fn find(id: &str) -> Option<&'static Lesson> {
    LESSONS.iter().copied().find(|l| l.id == id)
}

/// The lesson ids, joined for messages.
pub fn ids() -> String {
    LESSONS.iter().map(|l| l.id).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;
    use std::fs;
    use std::path::{Path, PathBuf};

    /// What does not match between the registry and the workspace at
    /// `root`: a package under `lessons/` (a folder with a Cargo.toml) that
    /// no lesson names, and a lesson whose package is missing from
    /// `lessons/` or `solutions/`. A student's release has no `solutions/`
    /// at all: then only `lessons/` is compared.
    fn mismatches(root: &Path, lessons: &[&Lesson]) -> Vec<String> {
        let mut problems = Vec::new();
        let named: BTreeSet<&str> = lessons.iter().map(|l| l.package).collect();
        match fs::read_dir(root.join("lessons")) {
            Ok(entries) => {
                let mut packages: Vec<String> = entries
                    .flatten()
                    .filter(|e| e.path().join("Cargo.toml").is_file())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect();
                packages.sort();
                for package in packages {
                    if !named.contains(package.as_str()) {
                        problems.push(format!(
                            "lessons/{package} is a package that no lesson of the registry names: add its lesson to LESSONS in checker/src/lessons/mod.rs"
                        ));
                    }
                }
            }
            Err(e) => problems.push(format!("{}: {e}", root.join("lessons").display())),
        }
        let mut flavors = vec![Flavor::Lesson];
        if root.join("solutions").is_dir() {
            flavors.push(Flavor::Solution);
        }
        for lesson in lessons {
            for &flavor in &flavors {
                let dir = lesson.package_dir(flavor);
                if !root.join(&dir).join("Cargo.toml").is_file() {
                    problems.push(format!(
                        "the lesson {} has no package {dir} (no {dir}/Cargo.toml)",
                        lesson.id
                    ));
                }
            }
        }
        problems
    }

    fn workspace() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
    }

    #[test]
    fn every_package_under_lessons_has_a_lesson_and_every_lesson_its_packages() {
        let problems = mismatches(&workspace(), LESSONS);
        assert!(problems.is_empty(), "\n{}\n", problems.join("\n"));
    }

    #[test]
    fn a_package_without_a_lesson_and_a_lesson_without_a_package_are_caught() {
        let root = std::env::temp_dir().join(format!("checker-registry-{}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        let package = |dir: &str| {
            fs::create_dir_all(root.join(dir)).unwrap();
            fs::write(root.join(dir).join("Cargo.toml"), "[package]\n").unwrap();
        };
        package("lessons/echo");
        package("lessons/chatty");
        package("solutions/other");
        // A folder without a manifest is no package.
        fs::create_dir_all(root.join("lessons/notes")).unwrap();
        let problems = mismatches(&root, &[&echo::LESSON]);
        // A release: no solutions/ at all, and only lessons/ is compared.
        fs::remove_dir_all(root.join("solutions")).unwrap();
        fs::remove_dir_all(root.join("lessons/chatty")).unwrap();
        let release = mismatches(&root, &[&echo::LESSON]);
        fs::remove_dir_all(&root).unwrap();
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(
            problems[0].starts_with("lessons/chatty is a package"),
            "{problems:?}"
        );
        assert!(
            problems[1].contains("no package solutions/echo"),
            "{problems:?}"
        );
        assert!(release.is_empty(), "{release:?}");
    }

    #[test]
    fn every_lesson_is_worth_100_points_in_unique_readable_stages() {
        let ids: BTreeSet<&str> = LESSONS.iter().map(|l| l.id).collect();
        assert_eq!(ids.len(), LESSONS.len(), "lesson ids are unique");
        let packages: BTreeSet<&str> = LESSONS.iter().map(|l| l.package).collect();
        assert_eq!(packages.len(), LESSONS.len(), "packages are unique");
        for lesson in LESSONS {
            assert_eq!(lesson.max_points(), 100, "{}", lesson.id);
            assert!((1..=3).contains(&lesson.level), "{}", lesson.id);
            let stage_ids: BTreeSet<&str> = lesson.stages.iter().map(|s| s.id).collect();
            assert_eq!(
                stage_ids.len(),
                lesson.stages.len(),
                "stage ids in {} are unique",
                lesson.id
            );
            let role_ids: BTreeSet<&str> = lesson.roles.iter().map(|r| r.id).collect();
            assert_eq!(role_ids.len(), lesson.roles.len(), "{}", lesson.id);
            for stage in lesson.stages {
                // The text report gives ids 20 columns and titles 52.
                assert!(
                    stage.id.len() <= 20 && stage.title.len() <= 52,
                    "{}: {:?} is too long",
                    lesson.id,
                    stage.title
                );
                assert!(!stage.hint.is_empty() && stage.points > 0);
                assert!(!stage.roles.is_empty(), "{}: {}", lesson.id, stage.id);
                for role in stage.roles {
                    assert!(
                        role_ids.contains(role),
                        "{}: stage {} names the unknown role {role}",
                        lesson.id,
                        stage.id
                    );
                }
            }
        }
    }

    #[test]
    fn every_mistake_names_real_stages_and_roles_and_fails_a_stage_of_its_role() {
        for lesson in LESSONS {
            assert!(
                lesson.mistakes.len() >= 3,
                "{} needs at least three wrong-solution fixtures",
                lesson.id
            );
            assert!(
                lesson.mistakes.iter().filter(|m| m.golden).count() >= 3,
                "{} keeps at least three golden reports",
                lesson.id
            );
            for m in lesson.mistakes {
                let fails = lesson
                    .stage(m.fails)
                    .unwrap_or_else(|| panic!("{}: no stage {}", lesson.id, m.fails));
                assert!(
                    fails.roles.contains(&m.role),
                    "{}: {}",
                    lesson.id,
                    m.fixture
                );
                if let Some(passes) = m.passes {
                    let passes = lesson
                        .stage(passes)
                        .unwrap_or_else(|| panic!("{}: no stage {passes}", lesson.id));
                    assert!(passes.roles.contains(&m.role), "{}", m.fixture);
                }
                assert!(!m.verdict.earns_points(), "{}", m.fixture);
                assert!(!m.says.is_empty() && !m.what.is_empty(), "{}", m.fixture);
            }
        }
    }
}
