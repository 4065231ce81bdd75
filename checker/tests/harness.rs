//! The harness against misbehaving programs: each is diagnosed correctly,
//! within the stage's deadline, and no process it started survives.

mod common;

use std::sync::Arc;
use std::time::Duration;

use checker::lessons::echo;
use checker::process;
use checker::stage::{self, Binaries, Verdict};
use rstest::rstest;

/// Slack on top of a stage's deadline for stopping its programs.
const GRACE: Duration = Duration::from_secs(3);

#[rstest]
#[case::never_listens(
    "fixture-never-listens",
    Verdict::TimedOut,
    "printed no `listening on ADDRESS` line"
)]
#[case::accepts_and_never_answers("fixture-silent", Verdict::TimedOut, "then nothing more came")]
#[case::crashes("fixture-crasher", Verdict::Crashed, "SIGABRT")]
#[case::floods_stdout("fixture-flooder", Verdict::TimedOut, "bytes in all")]
#[case::answers_garbage("fixture-garbage", Verdict::Failed, "the bytes differ from byte 1 on")]
#[case::forks_and_hangs("fixture-forker", Verdict::TimedOut, "then nothing more came")]
fn misbehaving_server_is_diagnosed(
    #[case] fixture: &str,
    #[case] verdict: Verdict,
    #[case] needle: &str,
) {
    let stage = stage::stage_by_id(&echo::LESSON, "one-message").unwrap();
    let bins = Binaries::new().with("server", common::fixture(fixture));
    let report = stage::run_stage(stage, Arc::new(bins));
    let text = common::explain(&report);
    assert_eq!(report.verdict, verdict, "{text}");
    assert!(
        text.contains(needle),
        "the report should say {needle:?}:\n{text}"
    );
    assert!(
        report.seconds <= (stage.deadline + GRACE).as_secs_f64(),
        "took {}s:\n{text}",
        report.seconds
    );
    // Every failure shows what the checker did, and the program's fate.
    assert!(!report.transcript.is_empty(), "{text}");
    assert!(report.programs.iter().all(|p| p.exit.is_some()), "{text}");
    common::assert_no_survivors(&report);
}

#[test]
fn a_forked_child_is_killed_with_its_parent() {
    let stage = stage::stage_by_id(&echo::LESSON, "one-message").unwrap();
    let bins = Binaries::new().with("server", common::fixture("fixture-forker"));
    let report = stage::run_stage(stage, Arc::new(bins));
    let stderr = &report.programs[0].stderr_tail;
    let pid: i32 = stderr
        .lines()
        .find_map(|l| l.strip_prefix("child pid "))
        .and_then(|p| p.trim().parse().ok())
        .unwrap_or_else(|| panic!("the forker's child announces its pid; stderr was {stderr:?}"));
    assert!(
        !process::is_alive(pid),
        "the forked child {pid} survived the stage"
    );
    common::assert_no_survivors(&report);
}

#[test]
fn flooding_output_is_capped_not_stored() {
    let stage = stage::stage_by_id(&echo::LESSON, "one-message").unwrap();
    let bins = Binaries::new().with("server", common::fixture("fixture-flooder"));
    let report = stage::run_stage(stage, Arc::new(bins));
    let flood = &report.programs[0];
    assert!(
        flood.stdout_bytes > process::STDOUT_CAP as u64,
        "the flooder wrote {} bytes",
        flood.stdout_bytes
    );
    let text = common::explain(&report);
    assert!(
        text.len() < 20_000,
        "the report stays readable: {} bytes",
        text.len()
    );
}
