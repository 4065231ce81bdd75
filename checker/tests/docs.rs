//! The book and the README agree with the registry, so they cannot drift
//! from what the checker grades:
//!
//! - the README's lesson table and each chapter's table of common mistakes
//!   are generated from the registry, between `<!-- registry:… -->`
//!   markers (`BLESS=1 cargo test --test docs` rewrites them);
//! - each chapter's table of stages lists every stage, in order, with its
//!   points (the descriptions are the chapter's own words);
//! - every lesson's chapter is in the book's SUMMARY.md;
//! - every section `cargo grade hint` sends a student to is a heading of
//!   the chapter.
//!
//! The mistakes table quotes what each wrong solution is told; the
//! `mistakes` tests prove every quote against a real run.

use std::path::PathBuf;

use checker::builder;
use checker::lessons::{self, Lesson};
use checker::report;

fn read(path: &str) -> String {
    std::fs::read_to_string(builder::workspace_root().join(path))
        .unwrap_or_else(|e| panic!("cannot read {path}: {e}"))
}

/// Replaces what stands between the markers of `name` with `generated`;
/// checks it, or rewrites the file when BLESS is set.
fn generated_section(path: &str, name: &str, generated: &str) {
    let text = read(path);
    let (open, close) = (
        format!("<!-- registry:{name} -->\n"),
        format!("<!-- /registry:{name} -->"),
    );
    let start = text
        .find(&open)
        .unwrap_or_else(|| panic!("{path} has no `{}` marker", open.trim()))
        + open.len();
    let end = text[start..]
        .find(&close)
        .unwrap_or_else(|| panic!("{path} has no `{close}` marker"))
        + start;
    if &text[start..end] == generated {
        return;
    }
    if std::env::var_os("BLESS").is_some() {
        let new = format!("{}{generated}{}", &text[..start], &text[end..]);
        std::fs::write(builder::workspace_root().join(path), new).unwrap();
        return;
    }
    panic!(
        "{path} is out of date with the registry (BLESS=1 cargo test --test docs rewrites it).\nexpected:\n{generated}\nfound:\n{}",
        &text[start..end]
    );
}

fn chapter_path(lesson: &Lesson) -> String {
    format!("docs/src/{}", lesson.chapter)
}

#[test]
fn the_readme_lists_every_lesson() {
    let table = lessons::readme_table();
    generated_section("README.md", "lessons", &table);
}

#[test]
fn the_instructors_chapter_gives_the_points_of_every_test() {
    let mut table = String::from("| `cargo test --test grade` test | Points |\n|---|---|\n");
    for lesson in lessons::LESSONS {
        for stage in lesson.stages {
            table.push_str(&format!(
                "| `{}::{}` | {} |\n",
                lesson.id, stage.id, stage.points
            ));
        }
    }
    generated_section("docs/src/instructors.md", "points", &table);
}

#[test]
fn each_chapter_lists_its_mistakes_as_the_checker_reports_them() {
    for lesson in lessons::LESSONS {
        let mut table =
            String::from("| Mistake | Stage that catches it | What you see |\n|---|---|---|\n");
        for m in lesson.mistakes {
            table.push_str(&format!(
                "| {} | `{}` | {} `… {} …` |\n",
                m.what,
                m.fails,
                report::label_text(m.verdict),
                m.says.replace('|', "\\|")
            ));
        }
        generated_section(&chapter_path(lesson), "mistakes", &table);
    }
}

#[test]
fn each_chapter_lists_every_stage_with_its_points() {
    for lesson in lessons::LESSONS {
        let path = chapter_path(lesson);
        let text = read(&path);
        // Rows of the form | `id` | points | … |
        let rows: Vec<(String, u32)> = text
            .lines()
            .filter_map(|line| {
                let cells: Vec<&str> = line.split('|').map(str::trim).collect();
                let id = cells.get(1)?.strip_prefix('`')?.strip_suffix('`')?;
                let points = cells.get(2)?.parse().ok()?;
                Some((id.to_string(), points))
            })
            .collect();
        let expected: Vec<(String, u32)> = lesson
            .stages
            .iter()
            .map(|s| (s.id.to_string(), s.points))
            .collect();
        assert_eq!(
            rows, expected,
            "{path}: the table of stages must list every stage of {} in order, with its points: | `ID` | POINTS | what the checker does |",
            lesson.id
        );
    }
}

#[test]
fn every_chapter_is_in_the_book() {
    let summary = read("docs/src/SUMMARY.md");
    for lesson in lessons::LESSONS {
        assert!(
            summary.contains(&format!("({})", lesson.chapter)),
            "add {} to docs/src/SUMMARY.md",
            lesson.chapter
        );
        let path: PathBuf = builder::workspace_root().join(chapter_path(lesson));
        assert!(
            path.is_file(),
            "{} has no chapter at {}",
            lesson.id,
            path.display()
        );
    }
}

#[test]
fn every_section_a_hint_sends_to_is_a_heading_of_its_chapter() {
    for lesson in lessons::LESSONS {
        let text = read(&chapter_path(lesson));
        let headings: Vec<&str> = text.lines().filter_map(|l| l.strip_prefix("## ")).collect();
        for stage in lesson.stages {
            let section = lesson.section_for(stage.id);
            assert!(
                headings.contains(&section),
                "{}: stage {} is sent to section “{section}”, which {} does not have",
                lesson.id,
                stage.id,
                lesson.chapter
            );
        }
        for (section, stages) in lesson.reading {
            for id in *stages {
                assert!(
                    lesson.stage(id).is_some(),
                    "{}: section “{section}” names no stage `{id}`",
                    lesson.id
                );
            }
        }
    }
}
