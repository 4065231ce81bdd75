//! Helpers shared by the checker's own tests.

#![allow(dead_code)] // each test file uses its own share of these

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::OnceLock;

use checker::lessons::{Flavor, Lesson};
use checker::report::LessonReport;
use checker::stage::StageReport;
use checker::{Options, builder, process};

/// Grades a lesson through the library, as `cargo grade` does.
pub fn grade(lesson: &'static Lesson, flavor: Flavor) -> LessonReport {
    let opts = Options {
        flavor,
        only: &[],
        color: false,
        programs: &[],
    };
    checker::grade_lesson(&builder::workspace_root(), lesson, &opts, &mut |_| {})
}

/// The fixture programs (misbehaving servers, wrong solutions), built once.
pub fn fixtures() -> &'static HashMap<String, PathBuf> {
    static BUILT: OnceLock<HashMap<String, PathBuf>> = OnceLock::new();
    BUILT.get_or_init(|| {
        builder::build(
            &builder::workspace_root(),
            &["checker-fixtures".to_string()],
            false,
        )
        .expect("the fixtures build")
        .executables
    })
}

pub fn fixture(name: &str) -> PathBuf {
    fixtures()
        .get(name)
        .unwrap_or_else(|| panic!("no fixture binary {name}"))
        .clone()
}

/// Fails if any process of the groups a stage started is still alive.
pub fn assert_no_survivors(stage: &StageReport) {
    assert!(
        !stage.process_groups.is_empty() || stage.programs.is_empty(),
        "stage {} recorded no process groups",
        stage.id
    );
    for &pgid in &stage.process_groups {
        let alive = process::live_members(pgid);
        assert!(
            alive.is_empty(),
            "stage {}: processes {alive:?} of group {pgid} survived",
            stage.id
        );
    }
}

/// The text report of a stage, to explain a failed assertion.
pub fn explain(stage: &StageReport) -> String {
    checker::report::stage_text(checker::report::Paint { on: false }, stage)
}
