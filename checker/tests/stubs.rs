//! The stubs students receive compile without warnings, and fail every
//! stage quickly with "not implemented yet".

mod common;

use checker::lessons::{self, Flavor};
use checker::stage::Verdict;
use rstest::rstest;

#[rstest]
#[case::echo("echo")]
#[case::udp_upper("udp-upper")]
#[case::framing("framing")]
fn stub_fails_every_stage_as_not_implemented(#[case] id: &str) {
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
    for stage in &report.stages {
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
        // A stub stops at once; the stage must not wait out its deadlines.
        assert!(
            stage.seconds
                < lesson
                    .stages
                    .iter()
                    .find(|s| s.id == stage.id)
                    .unwrap()
                    .deadline
                    .as_secs_f64()
        );
        common::assert_no_survivors(stage);
    }
    assert_eq!(report.points, 0);
}

#[test]
fn every_lesson_has_a_test_case_here() {
    let source = include_str!("stubs.rs");
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
