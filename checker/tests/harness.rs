//! The harness against misbehaving programs and against its own failures:
//! each is diagnosed correctly, within the stage's deadline, the checker
//! never blames a program for its own bug, and no process survives.

mod common;

use std::sync::Mutex;
use std::time::Duration;

use checker::course::Stage;
use checker::ctx::Binaries;
use checker::ctx::Ctx;
use checker::lessons::{Lesson, SERVER_AND_CLIENT, echo};
use checker::process::{self, Input};
use checker::time::secs;
use checker::verdict::{Outcome, Verdict};
use libtest_mimic::{Arguments, Trial};

/// Slack on top of a stage's deadline for stopping its programs.
const GRACE: Duration = Duration::from_secs(3);

fn main() {
    let mut args = Arguments::from_args();
    // These tests wait for deadlines, not for the CPU: run more of them at
    // once than there are cores.
    args.test_threads.get_or_insert(8);
    let mut trials: Vec<Trial> = MISBEHAVING
        .iter()
        .map(|&(name, fixture, verdict, needle)| {
            Trial::test(
                format!("misbehaving_server_is_diagnosed::{name}"),
                move || {
                    misbehaving_server_is_diagnosed(fixture, verdict, needle);
                    Ok(())
                },
            )
        })
        .collect();
    let plain: [(&str, fn()); 8] = [
        (
            "a_todo_reached_only_when_the_checker_stops_the_program_hides_nothing",
            a_todo_reached_only_when_the_checker_stops_the_program_hides_nothing,
        ),
        (
            "a_forked_child_is_killed_with_its_parent",
            a_forked_child_is_killed_with_its_parent,
        ),
        (
            "a_child_that_leaves_the_group_is_killed_too",
            a_child_that_leaves_the_group_is_killed_too,
        ),
        (
            "a_bug_in_a_stage_is_the_checkers_error_not_the_programs_crash",
            a_bug_in_a_stage_is_the_checkers_error_not_the_programs_crash,
        ),
        (
            "a_timed_out_stage_is_cancelled_and_cannot_start_more",
            a_timed_out_stage_is_cancelled_and_cannot_start_more,
        ),
        (
            "a_stage_runs_two_programs_and_hands_one_address_to_the_other",
            a_stage_runs_two_programs_and_hands_one_address_to_the_other,
        ),
        (
            "a_stage_can_script_several_peers",
            a_stage_can_script_several_peers,
        ),
        (
            "a_program_started_on_a_helper_thread_lives_until_its_stage_ends",
            a_program_started_on_a_helper_thread_lives_until_its_stage_ends,
        ),
    ];
    trials.extend(plain.into_iter().map(|(name, test)| {
        Trial::test(name, move || {
            test();
            Ok(())
        })
    }));
    libtest_mimic::run(&args, trials).exit();
}

/// Servers that misbehave in the ways beginners' servers do: the fixture,
/// the verdict it must get, and words the report must hold.
const MISBEHAVING: &[(&str, &str, Verdict, &str)] = &[
    (
        "never_listens",
        "fixture-never-listens",
        Verdict::TimedOut,
        "printed no `listening on ADDRESS` line",
    ),
    (
        "accepts_and_never_answers",
        "fixture-silent",
        Verdict::TimedOut,
        "then nothing more came",
    ),
    ("crashes", "fixture-crasher", Verdict::Crashed, "SIGABRT"),
    (
        "floods_stdout",
        "fixture-flooder",
        Verdict::TimedOut,
        "bytes in all",
    ),
    (
        "answers_garbage",
        "fixture-garbage",
        Verdict::Failed,
        "the bytes differ from byte 1 on",
    ),
    (
        "forks_and_hangs",
        "fixture-forker",
        Verdict::TimedOut,
        "then nothing more came",
    ),
    (
        "todo_after_much_logging",
        "fixture-chatty-todo",
        Verdict::NotImplemented,
        "reached the todo!() at",
    ),
];

/// The fixture gets its verdict and diagnosis within the stage's deadline,
/// and no process survives it. A flood of output is capped, not stored.
fn misbehaving_server_is_diagnosed(fixture: &str, verdict: Verdict, needle: &str) {
    let stage = echo::LESSON.stage("one-message").unwrap();
    let bins = Binaries::new().with("server", common::fixture(fixture));
    let report = common::run(&echo::LESSON, stage.id, bins);
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
    if verdict != Verdict::NotImplemented {
        // Every failure shows what the checker did, and the program's fate.
        assert!(!report.transcript.is_empty(), "{text}");
        assert!(report.programs.iter().all(|p| p.exit.is_some()), "{text}");
    }
    if fixture == "fixture-flooder" {
        let flood = &report.programs[0];
        assert!(
            flood.stdout_bytes > process::STDOUT_CAP as u64,
            "the flooder wrote {} bytes",
            flood.stdout_bytes
        );
        assert!(
            text.len() < 20_000,
            "the report stays readable: {} bytes",
            text.len()
        );
    }
    common::assert_no_survivors(&report);
}

fn a_todo_reached_only_when_the_checker_stops_the_program_hides_nothing() {
    let stage = echo::LESSON.stage("one-message").unwrap();
    let bins = Binaries::new().with("server", common::fixture("fixture-todo-at-stop"));
    let report = common::run(&echo::LESSON, stage.id, bins);
    let text = common::explain(&report);
    assert_eq!(report.verdict, Verdict::Passed, "{text}");
    common::assert_no_survivors(&report);
    // Where the stage fails for a reason of its own, the failure is its
    // own, and the todo!() at the stop is only mentioned.
    // (It keeps no idle timeout.)
    let stage = echo::LESSON.stage("idle-timeout").unwrap();
    let bins = Binaries::new().with("server", common::fixture("fixture-todo-at-stop"));
    let report = common::run(&echo::LESSON, stage.id, bins);
    let text = common::explain(&report);
    assert!(
        matches!(report.verdict, Verdict::Failed | Verdict::TimedOut),
        "{text}"
    );
    assert!(
        text.contains("When the checker stopped it, it then reached a todo!()"),
        "{text}"
    );
    common::assert_no_survivors(&report);
}

/// The pid a fixture's child printed on stderr after `prefix`.
fn announced_pid(report: &checker::report::StageReport, prefix: &str) -> i32 {
    let stderr = &report.programs[0].stderr_tail;
    stderr
        .lines()
        .find_map(|l| l.strip_prefix(prefix))
        .and_then(|p| p.trim().parse().ok())
        .unwrap_or_else(|| panic!("the fixture's child announces its pid; stderr was {stderr:?}"))
}

fn a_forked_child_is_killed_with_its_parent() {
    let bins = Binaries::new().with("server", common::fixture("fixture-forker"));
    let report = common::run(&echo::LESSON, "one-message", bins);
    let pid = announced_pid(&report, "child pid ");
    assert!(
        !process::is_alive(pid),
        "the forked child {pid} survived the stage"
    );
    common::assert_no_survivors(&report);
}

fn a_child_that_leaves_the_group_is_killed_too() {
    let bins = Binaries::new().with("server", common::fixture("fixture-escaper"));
    let report = common::run(&echo::LESSON, "one-message", bins);
    let pid = announced_pid(&report, "escaped pid ");
    assert!(
        !process::is_alive(pid),
        "the child {pid}, in a session of its own, survived the stage"
    );
    common::assert_no_survivors(&report);
}

// A lesson of the harness's own, whose stages misbehave on purpose. Its
// server is the echo reference.

fn panics(ctx: &mut Ctx) -> Outcome {
    let _server = ctx.start_server_ipv4("server")?;
    let empty: Vec<u8> = Vec::new();
    let index = empty.len() + 1;
    let _ = empty[index]; // a bug in a stage: index out of bounds
    Ok(())
}

/// What the late start in `overruns` got: `Ok(pid)` or the failure.
static LATE_START: Mutex<Option<Result<u32, String>>> = Mutex::new(None);

fn overruns(ctx: &mut Ctx) -> Outcome {
    let _server = ctx.start_server_ipv4("server")?;
    std::thread::sleep(Duration::from_millis(1500)); // past the deadline
    let late = ctx.start_server_ipv4("server");
    *LATE_START.lock().unwrap() = Some(late.map(|s| s.pid).map_err(|f| f.summary));
    Ok(())
}

fn starts_on_a_helper_thread(ctx: &mut Ctx) -> Outcome {
    // The server is started by a thread that ends at once; it must live on
    // until the stage ends, not die with that thread.
    let server = std::thread::scope(|s| s.spawn(|| ctx.start_server_ipv4("server")).join())
        .expect("the helper thread")?;
    std::thread::sleep(Duration::from_millis(300));
    let mut client = ctx.connect(&server, "client")?;
    client.send(b"still alive?")?;
    client.expect("the echo", b"still alive?")
}

fn two_programs(ctx: &mut Ctx) -> Outcome {
    // One program's announced address is the next one's argument: the
    // reference client against the reference server.
    let server = ctx.start_server_ipv4("server")?;
    let addr = server.addr.to_string();
    let finished = ctx.run_client(
        "client",
        &[&addr, "from one program to another"],
        Input::Nothing,
        secs(10),
    )?;
    finished.expect_success()?;
    checker::wire::compare(
        "what the client printed",
        b"from one program to another",
        &finished.stdout,
    )
}

fn two_peers(ctx: &mut Ctx) -> Outcome {
    // Two scripted peers in one stage, each answering in its own way; the
    // reference echo client talks to one, then the other.
    let peer = |name: &str, reply: &'static [u8]| {
        ctx.tcp_peer(name, move |conn, _| {
            let got = conn.read_to_end(1024)?;
            conn.send(reply)?;
            Ok(got)
        })
    };
    let (first, second) = (peer("peer A", b"A!")?, peer("peer B", b"B!")?);
    for (peer, reply) in [(&first, "A!"), (&second, "B!")] {
        let addr = peer.addr().to_string();
        let finished = ctx.run_client("client", &[&addr, "hi"], Input::Nothing, secs(10))?;
        finished.expect_success()?;
        checker::wire::compare(
            "what the client printed",
            reply.as_bytes(),
            &finished.stdout,
        )?;
    }
    for peer in [first, second] {
        checker::wire::compare("what the peer got", b"hi", &peer.finish_one("client")?)?;
    }
    Ok(())
}

const HARNESS_STAGES: &[Stage] = &[
    Stage {
        id: "panics",
        title: "A stage with a bug",
        points: 1,
        hint: "-",
        deadline: secs(20),
        roles: &["server"],
        run: panics,
    },
    Stage {
        id: "overruns",
        title: "A stage that runs past its deadline",
        points: 1,
        hint: "-",
        deadline: secs(1),
        roles: &["server"],
        run: overruns,
    },
    Stage {
        id: "helper-thread",
        title: "A server started from a helper thread",
        points: 1,
        hint: "-",
        deadline: secs(20),
        roles: &["server"],
        run: starts_on_a_helper_thread,
    },
    Stage {
        id: "two-programs",
        title: "A server and a client, one's address to the other",
        points: 1,
        hint: "-",
        deadline: secs(20),
        roles: &["server", "client"],
        run: two_programs,
    },
    Stage {
        id: "two-peers",
        title: "Two scripted peers in one stage",
        points: 1,
        hint: "-",
        deadline: secs(20),
        roles: &["client"],
        run: two_peers,
    },
];

static HARNESS: Lesson = Lesson {
    id: "harness",
    title: "the harness's own stages",
    level: 1,
    package: "echo",
    roles: SERVER_AND_CLIENT,
    chapter: "echo.md",
    stages: HARNESS_STAGES,
    mistakes: &[],
    peer: None,
    reading: &[],
};

fn echo_server() -> Binaries {
    common::reference(&echo::LESSON)
}

/// Runs one of the harness's own stages with the echo reference; it must pass.
fn passes(stage: &str) -> checker::report::StageReport {
    let report = common::run(&HARNESS, stage, echo_server());
    assert_eq!(
        report.verdict,
        Verdict::Passed,
        "{}",
        common::explain(&report)
    );
    report
}

fn a_bug_in_a_stage_is_the_checkers_error_not_the_programs_crash() {
    let report = common::run(&HARNESS, "panics", echo_server());
    let text = common::explain(&report);
    assert_eq!(report.verdict, Verdict::CheckerError, "{text}");
    assert!(text.contains("index out of bounds"), "{text}");
    assert!(text.contains("not in your program"), "{text}");
    assert!(!text.contains("CRASH"), "{text}");
    let exit = report.programs[0].exit.as_ref().expect("it was stopped");
    assert!(exit.stopped_by_checker, "{text}");
    assert_eq!(exit.said, "was stopped by the checker", "{text}");
    common::assert_no_survivors(&report);
}

fn a_timed_out_stage_is_cancelled_and_cannot_start_more() {
    let report = common::run(&HARNESS, "overruns", echo_server());
    let text = common::explain(&report);
    assert_eq!(report.verdict, Verdict::TimedOut, "{text}");
    assert!(
        text.contains("did not finish within its deadline"),
        "{text}"
    );
    common::assert_no_survivors(&report);
    // The stage's thread goes on a little after the verdict: its late
    // attempt to start a program must be refused.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let late = loop {
        if let Some(late) = LATE_START.lock().unwrap().clone() {
            break late;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the stage never tried"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(late, Err("the stage is over".to_string()));
}

fn a_stage_runs_two_programs_and_hands_one_address_to_the_other() {
    let report = passes("two-programs");
    assert_eq!(report.process_groups.len(), 2);
    common::assert_no_survivors(&report);
}

fn a_stage_can_script_several_peers() {
    let report = passes("two-peers");
    common::assert_no_survivors(&report);
}

fn a_program_started_on_a_helper_thread_lives_until_its_stage_ends() {
    let report = passes("helper-thread");
    common::assert_no_survivors(&report);
}
