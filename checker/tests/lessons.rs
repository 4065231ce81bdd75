//! Every lesson, both ways: the reference solution earns full marks, and
//! the stub students receive compiles cleanly and fails every stage, fast,
//! with "not implemented yet". Neither leaves a process behind.

mod common;

use checker::lessons::{self, Flavor};
use checker::stage::Verdict;
use rstest::rstest;

#[rstest]
fn reference_earns_full_marks(#[values("echo", "udp-upper", "framing")] id: &str) {
    let lesson = lessons::find(id).expect("the lesson is registered");
    let report = common::grade(lesson, Flavor::Solution);
    assert!(
        report.build.ok,
        "the reference of {id} does not build: {:?}",
        report.build.error
    );
    assert_eq!(
        report.build.warnings, 0,
        "the reference of {id} builds with warnings"
    );
    assert_eq!(report.stages.len(), lesson.stages.len());
    for stage in &report.stages {
        assert!(
            stage.verdict.earns_points(),
            "reference {id}, stage {}:\n{}",
            stage.id,
            common::explain(stage)
        );
        common::assert_no_survivors(stage);
    }
    assert_eq!(report.points, report.max_points);
}

#[rstest]
fn stub_fails_every_stage_as_not_implemented(#[values("echo", "udp-upper", "framing")] id: &str) {
    let lesson = lessons::find(id).expect("the lesson is registered");
    let report = common::grade(lesson, Flavor::Lesson);
    assert!(
        report.build.ok,
        "the stub of {id} does not build: {:?}",
        report.build.error
    );
    assert_eq!(
        report.build.warnings, 0,
        "the stub of {id} builds with warnings"
    );
    assert_eq!(report.stages.len(), lesson.stages.len());
    for (stage, spec) in report.stages.iter().zip(lesson.stages) {
        assert_eq!(
            stage.verdict,
            Verdict::NotImplemented,
            "stub {id}, stage {}:\n{}",
            stage.id,
            common::explain(stage)
        );
        let summary = &stage.failure.as_ref().expect("a failure").summary;
        assert!(summary.starts_with("not implemented yet"), "{summary}");
        assert!(
            summary.contains(&format!("lessons/{}/src/", lesson.package)),
            "the summary names the todo!(): {summary}"
        );
        // A stub stops at once: the stage must not wait out its deadline.
        assert!(
            stage.seconds < spec.deadline.as_secs_f64() / 2.0,
            "stub {id}, stage {} took {}s",
            stage.id,
            stage.seconds
        );
        common::assert_no_survivors(stage);
    }
    assert_eq!(report.points, 0);
}

#[test]
fn both_lists_above_name_every_lesson() {
    let source = include_str!("lessons.rs");
    let lists: Vec<&str> = source
        .lines()
        .filter(|l| l.starts_with("fn ") && l.contains("#[values("))
        .collect();
    assert_eq!(lists.len(), 2);
    for lesson in lessons::LESSONS {
        for list in &lists {
            assert!(
                list.contains(&format!("\"{}\"", lesson.id)),
                "add {} to: {list}",
                lesson.id
            );
        }
    }
}
