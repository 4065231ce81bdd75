//! What the course hands out: a student repository, and a Gradescope
//! autograder bundle.
//!
//! Both are a copy of the course without what students must not have or
//! cannot use: the reference solutions, the wrong-solution fixtures, the
//! maintainers' tests that need them, benches and CI. The workspace and
//! the checker's manifest are rewritten to match; everything else (the
//! stubs, the checker, the book) is copied as it is.

use std::path::{Path, PathBuf};

use crate::{lessons, progress};

/// Paths (relative to the course, `/`-separated) a release leaves out.
const LEFT_OUT: &[&str] = &[
    "solutions",
    // Written from the checker's copy of the stubs instead: a release made
    // from a checkout where lessons/ holds answers must not hand them out.
    "lessons",
    "checker/fixtures",
    "checker/tests/common",
    "checker/tests/golden",
    "checker/tests/course",
    "checker/tests/pristine.rs",
    "checker/tests/harness.rs",
    "checker/tests/cli.rs",
    "checker/tests/formats.rs",
    "checker/tests/student.rs",
    "checker/tests/class.rs",
    "checker/tests/release.rs",
    ".ci/run",
    ".ci/bench-grade",
    ".ci/bench-fetch",
    ".ci/bench-rpc",
    ".ci/bench-chat",
    ".ci/bench-chat-load.rs",
    "backups",
    "docs/book",
    "README.md",
    "justfile",
];

/// The maintainers' test targets, removed from the checker's manifest.
const MAINTAINER_TESTS: &[&str] = &[
    "course", "harness", "pristine", "release", "class", "student",
];

/// Recipes of the justfile that need what a release leaves out.
const MAINTAINER_RECIPES: &[&str] = &[
    "solutions",
    "ci",
    "bench-grade",
    "bench-fetch",
    "bench-rpc",
    "bench-chat",
    "fuzz-dns",
];

fn left_out(rel: &Path) -> bool {
    LEFT_OUT.iter().any(|l| rel.starts_with(l))
}

/// Every file of the course at `root` that a release keeps.
fn kept_files(root: &Path) -> Vec<PathBuf> {
    // `files_under` leaves out hidden entries; .cargo (the `cargo grade`
    // alias) and .ci/mdbook (the book's builder) are wanted.
    let mut files: Vec<PathBuf> = progress::files_under(root)
        .into_iter()
        .filter(|p| !left_out(p))
        .collect();
    for extra in [".cargo/config.toml", ".ci/mdbook", ".gitignore"] {
        if root.join(extra).is_file() {
            files.push(PathBuf::from(extra));
        }
    }
    files.sort();
    files
}

/// The workspace manifest of a release: the checker and the lessons.
fn workspace_manifest(course: &str) -> Result<String, String> {
    let mut out = String::new();
    let (mut members, mut defaults) = (false, false);
    for line in course.lines() {
        if line.starts_with("members = ") {
            out.push_str("members = [\"checker\", \"lessons/*\"]\n");
            members = true;
        } else if line.starts_with("default-members = ") {
            out.push_str("default-members = [\"checker\"]\n");
            defaults = true;
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    if members && defaults {
        Ok(out)
    } else {
        Err("the course's Cargo.toml has no `members` or `default-members` line".into())
    }
}

/// The checker's manifest without the maintainers' test targets (each
/// `[[test]]` table with the comment lines right above it).
fn checker_manifest(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    // Where each table starts, its comments included.
    let mut starts: Vec<usize> = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if line.starts_with('[') {
            let mut start = i;
            while start > 0 && lines[start - 1].starts_with('#') {
                start -= 1;
            }
            starts.push(start);
        }
    }
    let mut out = String::new();
    let mut cut = 0;
    let mut bounds: Vec<(usize, usize)> = Vec::new();
    for (n, &start) in starts.iter().enumerate() {
        let end = starts.get(n + 1).copied().unwrap_or(lines.len());
        bounds.push((start, end));
    }
    for &(start, end) in &bounds {
        let table = &lines[start..end];
        let maintainer = table.iter().any(|l| l.starts_with("[[test]]"))
            && MAINTAINER_TESTS
                .iter()
                .any(|t| table.contains(&format!("name = \"{t}\"").as_str()));
        for line in &lines[cut..start] {
            out.push_str(line);
            out.push('\n');
        }
        if !maintainer {
            for line in table {
                out.push_str(line);
                out.push('\n');
            }
        }
        cut = end;
    }
    for line in &lines[cut..] {
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// The justfile without the recipes that need solutions or CI.
fn student_justfile(text: &str) -> String {
    let mut out = String::new();
    for block in text.split("\n\n") {
        let recipe = block
            .lines()
            .find(|l| !l.starts_with('#') && !l.trim().is_empty())
            .and_then(|l| l.split([' ', ':']).next())
            .unwrap_or("");
        if !MAINTAINER_RECIPES.contains(&recipe) {
            out.push_str(block);
            out.push_str("\n\n");
        }
    }
    format!("{}\n", out.trim_end())
}

/// The README a student reads first.
fn student_readme() -> String {
    let table = lessons::readme_table();
    format!(
        r#"# Network Programming in Rust

Learn sockets by writing real network programs, graded over real sockets.

```sh
cargo grade     # build and grade your lessons, stage by stage
cargo test      # the course's own checks: the checker checks itself
```

Both need nothing but Rust (1.88 or newer). Everything runs on your own
machine, on loopback.

## How to work

1. Read the book's introduction and the chapter of your lesson: the
   Markdown in `docs/src/`, or build the book with `just book`.
2. Fill in the `todo!()`s in `lessons/LESSON/`.
3. Run `cargo grade LESSON`. A failed stage shows what was sent, what came
   back, what was expected, and a hint.

```sh
cargo grade --watch echo   # grade echo again each time you save one of its files
cargo grade progress       # where you stand in the whole course
cargo grade hint           # the hint of your next stage, and what to read
cargo grade reset echo src/bin/server.rs   # back to the stub; yours is kept in backups/
cargo grade echo --stage half-close        # one stage
cargo grade --list                         # every lesson and stage
```

## Lessons

<!-- registry:lessons -->
{table}<!-- /registry:lessons -->

Each lesson is worth 100 points. Your teacher grades your `lessons/` folder
with the course's own checker: changing `checker/` changes nothing but
your own view.
"#
    )
}

/// GitHub Classroom: grades on every push, points per lesson. The lessons
/// come from the registry, so a new lesson is in it without a hand edit.
pub fn classroom_workflow() -> String {
    const TEMPLATE: &str = include_str!("../templates/classroom.yml");
    // A step output's name may not hold a dash: `udp-upper` is `udp_upper`.
    let output = |id: &str| id.replace('-', "_");
    let ids: Vec<&str> = lessons::LESSONS.iter().map(|l| l.id).collect();
    let env: Vec<String> = ids
        .iter()
        .map(|id| {
            format!(
                "          {}_RESULTS: \"${{{{ steps.grade.outputs.{} }}}}\"",
                output(id).to_uppercase(),
                output(id)
            )
        })
        .collect();
    let runners: Vec<String> = ids.iter().map(|id| output(id)).collect();
    TEMPLATE
        .replace("{{LESSON_IDS}}", &ids.join(" "))
        .replace("{{RESULTS_ENV}}", &env.join("\n"))
        .replace("{{RUNNERS}}", &runners.join(","))
}

/// What a release wrote.
pub struct Written {
    pub files: usize,
}

fn copy_course(root: &Path, out: &Path) -> Result<usize, String> {
    let io = |what: &Path, e: std::io::Error| format!("{}: {e}", what.display());
    let files = kept_files(root);
    for rel in &files {
        let to = out.join(rel);
        std::fs::create_dir_all(to.parent().expect("a file has a folder"))
            .map_err(|e| io(&to, e))?;
        std::fs::copy(root.join(rel), &to).map_err(|e| io(&to, e))?;
    }
    let mut written = files.len();
    for lesson in lessons::LESSONS {
        let package = out.join(lesson.package_dir(crate::lessons::Flavor::Lesson));
        for (rel, text) in crate::stubs::files(lesson) {
            let to = package.join(rel);
            std::fs::create_dir_all(to.parent().expect("a file has a folder"))
                .map_err(|e| io(&to, e))?;
            std::fs::write(&to, text).map_err(|e| io(&to, e))?;
            written += 1;
        }
    }
    let read =
        |rel: &str| std::fs::read_to_string(root.join(rel)).map_err(|e| io(&root.join(rel), e));
    let write = |rel: &str, text: &str| {
        std::fs::write(out.join(rel), text).map_err(|e| io(&out.join(rel), e))
    };
    write("Cargo.toml", &workspace_manifest(&read("Cargo.toml")?)?)?;
    write(
        "checker/Cargo.toml",
        &checker_manifest(&read("checker/Cargo.toml")?),
    )?;
    if root.join("justfile").is_file() {
        write("justfile", &student_justfile(&read("justfile")?))?;
    }
    Ok(written + 1)
}

/// Writes the student repository into `out` (which must not exist, or be
/// empty).
pub fn student_release(root: &Path, out: &Path) -> Result<Written, String> {
    empty_folder(out)?;
    let mut files = copy_course(root, out)?;
    std::fs::write(out.join("README.md"), student_readme()).map_err(|e| e.to_string())?;
    let workflow = out.join(".github/workflows/classroom.yml");
    std::fs::create_dir_all(workflow.parent().expect("a folder")).map_err(|e| e.to_string())?;
    std::fs::write(&workflow, classroom_workflow()).map_err(|e| e.to_string())?;
    files += 2;
    Ok(Written { files })
}

/// Writes a Gradescope autograder into `out`: the course as a release has
/// it, with `setup.sh` and `run_autograder` at the top, as Gradescope
/// wants them. `lessons` are the lessons graded (all when empty).
pub fn gradescope_bundle(root: &Path, out: &Path, lessons: &[String]) -> Result<Written, String> {
    empty_folder(out)?;
    let mut files = copy_course(root, out)?;
    let setup = include_str!("../templates/setup.sh");
    let run = include_str!("../templates/run_autograder").replace("@LESSONS@", &lessons.join(" "));
    for (name, text) in [("setup.sh", setup.to_string()), ("run_autograder", run)] {
        let path = out.join(name);
        std::fs::write(&path, text).map_err(|e| e.to_string())?;
        executable(&path)?;
        files += 1;
    }
    Ok(Written { files })
}

fn executable(path: &Path) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
        .map_err(|e| e.to_string())
}

fn empty_folder(out: &Path) -> Result<(), String> {
    if out.exists()
        && std::fs::read_dir(out)
            .map_err(|e| e.to_string())?
            .next()
            .is_some()
    {
        return Err(format!("{} is not empty: give a new folder", out.display()));
    }
    std::fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_maintainers_test_targets_leave_the_checkers_manifest() {
        let manifest = "[package]\nname = \"checker\"\n\n# Generated tests.\n[[test]]\nname = \"course\"\npath = \"tests/course/main.rs\"\nharness = false\n\n[[test]]\nname = \"harness\"\nharness = false\n\n[[test]]\nname = \"grade\"\nharness = false\ntest = false\n\n[dependencies]\nlibc = \"0.2\"\n";
        assert_eq!(
            checker_manifest(manifest),
            "[package]\nname = \"checker\"\n\n[[test]]\nname = \"grade\"\nharness = false\ntest = false\n\n[dependencies]\nlibc = \"0.2\"\n"
        );
    }

    #[test]
    fn the_justfile_keeps_the_students_recipes() {
        let just = "# List\ndefault:\n    @just --list\n\n# Grade the references\nsolutions *LESSONS:\n    cargo grade --solutions\n\n# Grade\ngrade *LESSONS:\n    cargo grade\n";
        assert_eq!(
            student_justfile(just),
            "# List\ndefault:\n    @just --list\n\n# Grade\ngrade *LESSONS:\n    cargo grade\n"
        );
    }

    #[test]
    fn the_classroom_workflow_grades_every_lesson_of_the_registry() {
        let workflow = classroom_workflow();
        for placeholder in ["{{LESSON_IDS}}", "{{RESULTS_ENV}}", "{{RUNNERS}}"] {
            assert!(!workflow.contains(placeholder), "{workflow}");
        }
        for lesson in lessons::LESSONS {
            let output = lesson.id.replace('-', "_");
            assert!(
                workflow.contains(&format!("steps.grade.outputs.{output} }}")),
                "{}",
                lesson.id
            );
        }
        let runners: Vec<String> = lessons::LESSONS
            .iter()
            .map(|l| l.id.replace('-', "_"))
            .collect();
        assert!(workflow.contains(&format!("runners: {}\n", runners.join(","))));
        let ids: Vec<&str> = lessons::LESSONS.iter().map(|l| l.id).collect();
        assert!(workflow.contains(&format!("for lesson in {}; do", ids.join(" "))));
    }

    #[test]
    fn solutions_are_left_out() {
        assert!(left_out(Path::new("solutions/echo/src/lib.rs")));
        assert!(left_out(Path::new("checker/fixtures/src/bin/echo-text.rs")));
        assert!(left_out(Path::new("lessons/echo/src/lib.rs")));
        assert!(!left_out(Path::new("checker/src/lessons/echo/mod.rs")));
    }
}
