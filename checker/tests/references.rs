//! Every stage of every lesson passes against the reference solution, and
//! leaves no process behind.

mod common;

use checker::lessons::{self, Flavor};
use rstest::rstest;

#[rstest]
#[case::echo("echo")]
#[case::udp_upper("udp-upper")]
#[case::framing("framing")]
fn reference_earns_full_marks(#[case] id: &str) {
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
    assert_eq!(report.max_points, 100, "each lesson is worth 100 points");
}

#[test]
fn every_lesson_has_a_test_case_here() {
    // The case list above must grow with the registry.
    let source = include_str!("references.rs");
    for lesson in lessons::LESSONS {
        assert!(
            source.contains(&format!(
                "#[case::{}(\"{}\")]",
                lesson.id.replace('-', "_"),
                lesson.id
            )),
            "add a case for {}",
            lesson.id
        );
    }
}
