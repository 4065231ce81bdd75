//! Every stage of every lesson passes against its reference solution, and
//! every reference builds without warnings. One test per stage, named
//! `references::LESSON::STAGE`, generated from the registry: a new lesson
//! or stage is tested here without touching this file.

use checker::lessons::{self, Flavor};
use checker::run;
use libtest_mimic::{Failed, Trial};

use super::common;

/// One test per lesson (its reference builds cleanly) and per stage.
pub fn trials() -> Vec<Trial> {
    let mut trials = Vec::new();
    for &lesson in lessons::LESSONS {
        trials.push(Trial::test(
            format!("references::{}::reference-builds-cleanly", lesson.id),
            move || {
                let (_, build) =
                    run::lesson_binaries(lesson, Flavor::Solution, common::solutions(), &[]);
                if !build.ok || build.warnings > 0 {
                    return Err(format!(
                        "the reference of {} should build without warnings: {:?}, {} warning(s)\n{}",
                        lesson.id, build.error, build.warnings, build.diagnostics
                    )
                    .into());
                }
                Ok(())
            },
        ));
        for stage in lesson.stages {
            trials.push(Trial::test(
                format!("references::{}::{}", lesson.id, stage.id),
                move || {
                    let report = common::run(lesson, stage.id, common::reference(lesson));
                    common::assert_no_survivors(&report);
                    if !report.verdict.earns_points() {
                        return Err(Failed::from(common::explain(&report)));
                    }
                    Ok(())
                },
            ));
        }
    }
    trials
}
