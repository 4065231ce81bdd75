//! Every stage of every lesson passes against its reference solution, and
//! every reference builds without warnings. One test per stage, named
//! `LESSON::STAGE`, generated from the registry: a new lesson or stage is
//! tested here without touching this file.

mod common;

use checker::lessons::{self, Flavor};
use checker::run;
use libtest_mimic::{Arguments, Failed, Trial};

fn main() {
    let args = Arguments::from_args();
    let mut trials = Vec::new();
    for &lesson in lessons::LESSONS {
        trials.push(Trial::test(
            format!("{}::reference-builds-cleanly", lesson.id),
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
                format!("{}::{}", lesson.id, stage.id),
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
    libtest_mimic::run(&args, trials).exit();
}
