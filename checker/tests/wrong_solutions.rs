//! Each stage fails a plausible wrong solution. Each wrong solution is a
//! small program in checker/fixtures; it passes an easier stage (so it is a
//! plausible attempt, not a broken one) and fails the stage aimed at it.

mod common;

use std::sync::Arc;

use checker::lessons;
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
fn echo(
    #[case] fixture: &str,
    #[case] role: &'static str,
    #[case] passes: &str,
    #[case] fails: &str,
) {
    check("echo", fixture, role, passes, fails);
}

#[rstest]
#[case::buffer_of_1024_bytes("udp-small-buffer", "server", "one-datagram", "largest")]
#[case::reply_to_a_fixed_address("udp-fixed-reply", "server", "one-datagram", "many-clients")]
#[case::datagrams_as_utf8_text("udp-utf8", "server", "mixed-case", "binary")]
#[case::unwrap_on_received_data("udp-utf8", "server", "mixed-case", "survives-garbage")]
#[case::client_without_timeout("udp-client-no-timeout", "client", "client-reply", "client-silent")]
#[case::client_without_retry("udp-client-no-retry", "client", "client-reply", "client-retry")]
#[case::client_takes_any_sender(
    "udp-client-unconnected",
    "client",
    "client-reply",
    "client-stranger"
)]
#[case::client_misses_icmp_refusal(
    "udp-client-unconnected",
    "client",
    "client-reply",
    "client-refused"
)]
fn udp_upper(
    #[case] fixture: &str,
    #[case] role: &'static str,
    #[case] passes: &str,
    #[case] fails: &str,
) {
    check("udp-upper", fixture, role, passes, fails);
}

#[rstest]
#[case::one_read_per_frame("framing-one-read", "server", "one-frame", "dribble")]
#[case::one_read_sees_one_frame("framing-one-read", "server", "one-frame", "two-in-one-write")]
#[case::little_endian_length("framing-le", "server", "", "byte-order")]
#[case::with_capacity_reads_nothing("framing-with-capacity", "server", "", "one-frame")]
#[case::unchecked_length("framing-unchecked", "server", "one-frame", "huge-length")]
#[case::no_limit("framing-unchecked", "server", "max-frame", "over-max")]
#[case::raw_echo("framing-echo", "server", "", "one-frame")]
#[case::client_without_pipelining("framing-client-lockstep", "client", "", "client")]
fn framing(
    #[case] fixture: &str,
    #[case] role: &'static str,
    #[case] passes: &str,
    #[case] fails: &str,
) {
    check("framing", fixture, role, passes, fails);
}

/// The fixture passes stage `passes` (none when empty: the lesson has no
/// easier stage for that role) and fails stage `fails`, with a failure that
/// explains itself, and leaves no process behind.
fn check(lesson: &str, fixture: &str, role: &'static str, passes: &str, fails: &str) {
    let lesson = lessons::find(lesson).expect("a registered lesson");
    let bins = Arc::new(Binaries::new().with(role, common::fixture(fixture)));
    if !passes.is_empty() {
        let easy = stage::run_stage(
            stage::stage_by_id(lesson, passes).unwrap(),
            Arc::clone(&bins),
        );
        assert!(
            easy.verdict.earns_points(),
            "{fixture} should pass {passes}:\n{}",
            common::explain(&easy)
        );
        common::assert_no_survivors(&easy);
    }
    let aimed = stage::run_stage(stage::stage_by_id(lesson, fails).unwrap(), bins);
    assert!(
        !aimed.verdict.earns_points(),
        "{fixture} should fail {fails}, but passed"
    );
    let failure = aimed
        .failure
        .as_ref()
        .expect("a failed stage has a failure");
    assert!(!failure.summary.is_empty());
    assert!(!aimed.transcript.is_empty());
    assert!(aimed.hint.is_some());
    common::assert_no_survivors(&aimed);
}
