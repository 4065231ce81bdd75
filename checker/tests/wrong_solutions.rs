//! Each stage fails a plausible wrong solution. Each wrong solution is a
//! small program in checker/fixtures; it passes an easier stage (so it is a
//! plausible attempt, not a broken one) and fails the stage aimed at it.

mod common;

use std::sync::Arc;

use checker::lessons::echo;
use checker::stage::{self, Binaries};
use rstest::rstest;

#[rstest]
#[case::one_read_is_not_one_message("echo-one-read", "server", "one-message", "dribble")]
#[case::one_read_cannot_stream("echo-one-read", "server", "one-message", "big-stream")]
#[case::sequential_server("echo-sequential", "server", "one-after-another", "concurrent")]
#[case::error_ends_the_server("echo-sequential", "server", "one-message", "reset")]
#[case::no_close_after_eof("echo-no-close", "server", "one-message", "half-close")]
#[case::buffers_until_eof("echo-buffering", "server", "half-close", "big-stream")]
#[case::bytes_as_text("echo-text", "server", "one-message", "binary")]
#[case::ignores_the_address("echo-v4-only", "server", "one-message", "ipv6")]
#[case::client_never_half_closes(
    "client-no-shutdown",
    "client",
    "client-refused",
    "client-slow-peer"
)]
#[case::client_reads_once("client-one-read", "client", "client-refused", "client-slow-peer")]
#[case::client_unwraps("client-unwrap", "client", "client-slow-peer", "client-refused")]
fn stage_fails_a_plausible_mistake(
    #[case] fixture: &str,
    #[case] role: &'static str,
    #[case] passes: &str,
    #[case] fails: &str,
) {
    let bins = Arc::new(Binaries::new().with(role, common::fixture(fixture)));
    let easy = stage::run_stage(
        stage::stage_by_id(&echo::LESSON, passes).unwrap(),
        Arc::clone(&bins),
    );
    assert!(
        easy.verdict.earns_points(),
        "{fixture} should pass {passes}:\n{}",
        common::explain(&easy)
    );
    let aimed = stage::run_stage(stage::stage_by_id(&echo::LESSON, fails).unwrap(), bins);
    assert!(
        !aimed.verdict.earns_points(),
        "{fixture} should fail {fails}, but passed"
    );
    // The failure explains itself: a summary, a transcript, a hint.
    let failure = aimed
        .failure
        .as_ref()
        .expect("a failed stage has a failure");
    assert!(!failure.summary.is_empty());
    assert!(!aimed.transcript.is_empty());
    assert!(aimed.hint.is_some());
    common::assert_no_survivors(&easy);
    common::assert_no_survivors(&aimed);
}
