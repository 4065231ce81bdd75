//! What the course hands out, tried as its users would: the student
//! release (no solutions; `cargo test` green and `cargo grade` grading in
//! it, as a student expects) and the Gradescope bundle (its run_autograder,
//! run on a folder laid out as Gradescope lays it out, writes a
//! results.json that Gradescope's documented fields accept).
//!
//! The release builds its own checker, in a target folder of its own under
//! target/grade/ (kept between runs, so only the first is slow).

use std::path::{Path, PathBuf};
use std::process::Command;

use checker::progress::files_under;

fn course() -> PathBuf {
    checker::builder::workspace_root()
}

fn fresh(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("grade-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn grade_bin() -> Command {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin!("grade"));
    cmd.env("NO_COLOR", "1");
    cmd
}

fn cargo_in(dir: &Path) -> Command {
    let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cmd.current_dir(dir)
        .env(
            "CARGO_TARGET_DIR",
            course().join("target/grade/release-target"),
        )
        .env("NO_COLOR", "1");
    cmd
}

/// Every file of solutions/ that is not handed to students as given code
/// (the same in the stub): none of them may be in a release.
fn solution_only_contents() -> Vec<(PathBuf, Vec<u8>)> {
    let root = course();
    let mut secret = Vec::new();
    for lesson in checker::lessons::LESSONS {
        let stub = checker::stubs::files(lesson);
        let dir = root.join("solutions").join(lesson.package);
        for rel in files_under(&dir) {
            let text = std::fs::read(dir.join(&rel)).unwrap();
            let given = stub
                .iter()
                .any(|(p, t)| *p == rel && t.as_bytes() == text.as_slice());
            if !given {
                secret.push((rel, text));
            }
        }
    }
    secret
}

fn assert_no_solutions(dir: &Path) {
    assert!(!dir.join("solutions").exists());
    assert!(!dir.join("checker/fixtures").exists());
    let secret = solution_only_contents();
    for rel in files_under(dir) {
        let text = std::fs::read(dir.join(&rel)).unwrap();
        if let Some((from, _)) = secret.iter().find(|(_, s)| *s == text) {
            panic!("{} is solutions/{}", rel.display(), from.display());
        }
    }
}

#[test]
fn the_student_release_has_no_solutions_and_works_as_a_student_expects() {
    let out = fresh("release");
    let made = grade_bin().arg("release").arg(&out).output().unwrap();
    assert!(made.status.success(), "{made:?}");
    assert_no_solutions(&out);
    let readme = std::fs::read_to_string(out.join("README.md")).unwrap();
    assert!(
        readme.contains("cargo grade     # build and grade your lessons"),
        "{readme}"
    );
    assert!(out.join(".github/workflows/classroom.yml").is_file());

    // cargo test: green on the untouched release.
    let test = cargo_in(&out).args(["test", "-q"]).output().unwrap();
    let said =
        String::from_utf8_lossy(&test.stdout).into_owned() + &String::from_utf8_lossy(&test.stderr);
    assert!(test.status.success(), "cargo test in the release:\n{said}");

    // cargo grade: the stub fails, as not implemented yet...
    let stub = cargo_in(&out)
        .args(["grade", "echo", "--stage", "one-message"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&stub.stdout);
    assert_eq!(stub.status.code(), Some(1), "{text}");
    assert!(text.contains("not implemented yet"), "{text}");

    // ...and a student's working server passes.
    let server =
        std::fs::read_to_string(course().join("solutions/echo/src/bin/server.rs")).unwrap();
    std::fs::write(out.join("lessons/echo/src/bin/server.rs"), server).unwrap();
    let done = cargo_in(&out)
        .args(["grade", "echo", "--stage", "one-message"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&done.stdout);
    assert_eq!(done.status.code(), Some(0), "{text}");
    assert!(text.contains("PASS   one-message"), "{text}");
    let _ = std::fs::remove_dir_all(&out);
}

/// Runs the bundle's run_autograder as Gradescope would, with `root` as
/// /autograder: its results.json, and as text.
fn run_autograder(root: &Path) -> (serde_json::Value, String) {
    // setup.sh would build the bundle's checker; this test's checker is the
    // same code, already built.
    let ran = Command::new("bash")
        .arg(root.join("source/run_autograder"))
        .env("AUTOGRADER_ROOT", root)
        .env("GRADE_BIN", assert_cmd::cargo::cargo_bin!("grade"))
        .output()
        .unwrap();
    assert!(ran.status.success(), "{ran:?}");
    let text = std::fs::read_to_string(root.join("results/results.json")).unwrap();
    (serde_json::from_str(&text).unwrap(), text)
}

#[test]
fn the_gradescope_bundle_grades_a_submission_laid_out_as_gradescope_does() {
    let root = fresh("gradescope");
    let source = root.join("source");
    let made = grade_bin()
        .args(["gradescope-bundle"])
        .arg(&source)
        .arg("echo")
        .output()
        .unwrap();
    assert!(made.status.success(), "{made:?}");
    assert_no_solutions(&source);
    assert!(source.join("setup.sh").is_file());

    // Gradescope's layout: the student's files in submission/ (here, a
    // clone with a working echo server), results in results/.
    let submission = root.join("submission/lessons/echo");
    let echo = checker::lessons::find("echo").unwrap();
    for (rel, text) in checker::stubs::files(echo) {
        let path = submission.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    let server =
        std::fs::read_to_string(course().join("solutions/echo/src/bin/server.rs")).unwrap();
    std::fs::write(submission.join("src/bin/server.rs"), server).unwrap();

    let (results, text) = run_autograder(&root);
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(course().join("checker/schema/gradescope-results.schema.json"))
            .unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&results)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:?}\n{text}");
    assert_eq!(results["score"], 75.0, "{text}");
    assert_eq!(
        results["tests"].as_array().unwrap().len(),
        echo.stages.len()
    );

    // A submission with no lessons: a clear message and a zero, not nothing.
    std::fs::remove_dir_all(root.join("submission")).unwrap();
    std::fs::create_dir_all(root.join("submission")).unwrap();
    let (results, text) = run_autograder(&root);
    assert!(validator.is_valid(&results), "{text}");
    assert_eq!(results["score"], 0);
    assert!(
        results["output"]
            .as_str()
            .unwrap()
            .contains("holds no lesson"),
        "{text}"
    );
    let scratch = checker::submission::scratch_for(&course(), &root.join("submission/lessons"));
    let _ = std::fs::remove_dir_all(scratch);
    let _ = std::fs::remove_dir_all(&root);
}
