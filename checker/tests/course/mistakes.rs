//! Each stage fails a plausible wrong solution, with the verdict and the
//! diagnosis it exists for. The cases are the lessons' `mistakes` in the
//! registry; each wrong solution is a small program in checker/fixtures.
//! One test per mistake, named `mistakes::LESSON::FIXTURE::STAGE`.
//!
//! Some reports are kept whole as golden files in checker/tests/golden/
//! (times and ports normalised). After a deliberate change of wording,
//! re-record them with `BLESS=1 cargo test --test course -- mistakes` and read the
//! diff before committing it.

use std::collections::BTreeSet;
use std::path::PathBuf;

use checker::builder;
use checker::lessons::{self, Lesson, Mistake};
use libtest_mimic::{Failed, Trial};

use super::common;

/// One test per mistake, and one that every fixture is used.
pub fn trials() -> Vec<Trial> {
    let mut trials = vec![Trial::test(
        "mistakes::fixtures::every-fixture-is-a-mistake-or-a-harness-case",
        every_fixture_is_used,
    )];
    for &lesson in lessons::LESSONS {
        for mistake in lesson.mistakes {
            let name = format!(
                "mistakes::{}::{}::{}",
                lesson.id, mistake.fixture, mistake.fails
            );
            trials.push(Trial::test(name, move || check(lesson, mistake)));
        }
    }
    trials
}

/// The fixture passes its easier stage, then fails the stage aimed at it
/// with the expected verdict and words, and leaves no process behind.
fn check(lesson: &'static Lesson, m: &'static Mistake) -> Result<(), Failed> {
    let bins = common::reference(lesson).with(m.role, common::fixture(m.fixture));
    if let Some(passes) = m.passes {
        let easy = common::run(lesson, passes, bins.clone());
        common::assert_no_survivors(&easy);
        if !easy.verdict.earns_points() {
            return Err(format!(
                "{} should pass {passes} (it is a plausible attempt, not a broken program):\n{}",
                m.fixture,
                common::explain(&easy)
            )
            .into());
        }
    }
    let aimed = common::run(lesson, m.fails, bins);
    common::assert_no_survivors(&aimed);
    let text = common::explain(&aimed);
    if aimed.verdict != m.verdict {
        return Err(format!(
            "{} on {}: expected the verdict {}, got {}:\n{text}",
            m.fixture, m.fails, m.verdict, aimed.verdict
        )
        .into());
    }
    // The diagnosis: what the student is told, not the transcript or the
    // program's own stderr (which could quote anything).
    let failure = aimed
        .failure
        .as_ref()
        .expect("a failed stage has a failure");
    let diagnosis = [
        Some(&failure.summary),
        failure.expected.as_ref(),
        failure.got.as_ref(),
        aimed.hint.as_ref(),
    ]
    .into_iter()
    .flatten()
    .cloned()
    .collect::<Vec<_>>()
    .join("\n");
    if !diagnosis.contains(m.says) {
        return Err(format!(
            "{} on {}: the diagnosis should say {:?}:\n{text}",
            m.fixture, m.fails, m.says
        )
        .into());
    }
    if aimed.transcript.is_empty() || aimed.hint.is_none() {
        return Err(format!("a failure shows a transcript and a hint:\n{text}").into());
    }
    if m.golden {
        compare_golden(lesson, m, &common::normalise(&text))?;
    }
    Ok(())
}

fn golden_path(lesson: &Lesson, m: &Mistake) -> PathBuf {
    builder::workspace_root()
        .join("checker/tests/golden")
        .join(lesson.id)
        .join(format!("{}--{}.txt", m.fixture, m.fails))
}

fn compare_golden(lesson: &Lesson, m: &Mistake, text: &str) -> Result<(), Failed> {
    let path = golden_path(lesson, m);
    if std::env::var_os("BLESS").is_some() {
        std::fs::create_dir_all(path.parent().expect("a folder")).map_err(|e| e.to_string())?;
        std::fs::write(&path, text).map_err(|e| e.to_string())?;
        return Ok(());
    }
    let kept = std::fs::read_to_string(&path).unwrap_or_default();
    if kept != text {
        return Err(format!(
            "the report differs from the golden file {} (re-record with BLESS=1 if the change is meant):\n--- kept\n{kept}\n--- now\n{text}",
            path.display()
        )
        .into());
    }
    Ok(())
}

/// Every program in checker/fixtures is a registered mistake or one of the
/// harness's misbehaving programs (named `fixture-*`), and every golden
/// file belongs to a golden mistake: nothing unused lingers.
fn every_fixture_is_used() -> Result<(), Failed> {
    let root = builder::workspace_root();
    let used: BTreeSet<&str> = lessons::LESSONS
        .iter()
        .flat_map(|l| l.mistakes.iter().map(|m| m.fixture))
        .collect();
    let dir = root.join("checker/fixtures/src/bin");
    let mut problems = Vec::new();
    for entry in std::fs::read_dir(&dir).map_err(|e| e.to_string())? {
        let name = entry.map_err(|e| e.to_string())?.file_name();
        let name = name.to_string_lossy();
        let Some(stem) = name.strip_suffix(".rs") else {
            continue;
        };
        if !stem.starts_with("fixture-") && !used.contains(stem) {
            problems.push(format!(
                "checker/fixtures/src/bin/{name} is in no lesson's `mistakes`"
            ));
        }
    }
    for fixture in &used {
        if !dir.join(format!("{fixture}.rs")).is_file() {
            problems.push(format!(
                "a mistake names the fixture {fixture}: add checker/fixtures/src/bin/{fixture}.rs"
            ));
        }
    }
    let expected: BTreeSet<PathBuf> = lessons::LESSONS
        .iter()
        .flat_map(|l| {
            l.mistakes
                .iter()
                .filter(|m| m.golden)
                .map(|m| golden_path(l, m))
        })
        .collect();
    for lesson in lessons::LESSONS {
        let folder = root.join("checker/tests/golden").join(lesson.id);
        for entry in std::fs::read_dir(&folder).into_iter().flatten().flatten() {
            if !expected.contains(&entry.path()) {
                problems.push(format!(
                    "{} belongs to no golden mistake: remove it",
                    entry.path().display()
                ));
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n").into())
    }
}
