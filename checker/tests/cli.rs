//! `cargo grade` as students and instructors run it.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::Command as Cmd;
use predicates::prelude::*;

fn grade() -> Cmd {
    let mut cmd = Cmd::cargo_bin("grade").expect("the grade binary");
    cmd.env("NO_COLOR", "1").timeout(Duration::from_secs(300));
    cmd
}

#[test]
fn solutions_get_full_marks_in_json() {
    let out = grade()
        .args(["echo", "--solutions", "--format", "json"])
        .assert()
        .success();
    let report: serde_json::Value =
        serde_json::from_slice(&out.get_output().stdout).expect("JSON on stdout");
    assert_eq!(report["passed"], true);
    assert_eq!(report["points"], report["max_points"]);
    let stages = report["lessons"][0]["stages"].as_array().expect("stages");
    assert!(stages.iter().all(|s| s["verdict"] == "passed"));
}

#[test]
fn stubs_score_zero_and_say_not_implemented() {
    grade()
        .arg("echo")
        .assert()
        .code(1)
        .stdout(predicate::str::contains("TODO"))
        .stdout(predicate::str::contains("not implemented yet"))
        .stdout(predicate::str::contains("0/100"))
        .stdout(predicate::str::contains(
            "Next: stage `one-message` of echo",
        ));
}

#[test]
fn one_stage_can_be_graded_alone_without_color() {
    grade()
        .args(["echo", "--solutions", "--stage", "binary"])
        .assert()
        .success()
        .stdout(predicate::str::contains("PASS"))
        .stdout(predicate::str::contains("binary"))
        .stdout(predicate::str::contains("Every stage passed."))
        .stdout(predicate::str::contains("\x1b[").not());
}

#[test]
fn unknown_lesson_or_stage_is_a_usage_error() {
    grade()
        .arg("nosuch")
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "no lesson `nosuch`; the lessons are: echo, udp-upper, framing",
        ));
    grade()
        .args(["echo", "--stage", "nosuch"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no stage `nosuch`"));
}

#[test]
fn list_shows_lessons_and_stages() {
    grade()
        .arg("--list")
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "echo: TCP echo server and client (100 points",
        ))
        .stdout(predicate::str::contains("half-close"));
}

#[test]
fn a_given_program_is_graded_instead_of_the_built_one() {
    // A wrong solution (it echoes instead of reversing) in the server's role.
    let wrong = common::fixture("framing-echo");
    let program = format!("server={}", wrong.display());
    grade()
        .args([
            "framing",
            "--solutions",
            "--stage",
            "one-frame",
            "--program",
            &program,
        ])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("FAIL"))
        .stdout(predicate::str::contains("framing-echo"));
    grade()
        .args([
            "framing",
            "--program",
            &format!("nosuch={}", wrong.display()),
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no role `nosuch`"));
}

/// Pids of live (non-zombie) processes whose environment holds `mark`.
fn marked_processes(mark: &str) -> Vec<i32> {
    let needle = format!("CHECKER_TEST_MARK={mark}");
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter(|&pid| {
            let env = std::fs::read(format!("/proc/{pid}/environ")).unwrap_or_default();
            env.split(|&b| b == 0).any(|v| v == needle.as_bytes())
                && checker::process::is_alive(pid)
        })
        .collect()
}

#[test]
fn ctrl_c_stops_every_program_the_checker_started() {
    let mark = format!("interrupt-{}", std::process::id());
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("grade"))
        .args([
            "echo",
            "--solutions",
            "--stage",
            "one-message",
            "--stage",
            "client-silent-peer",
        ])
        .env("NO_COLOR", "1")
        .env("CHECKER_TEST_MARK", &mark)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let grade_pid = child.id() as i32;
    // Once the first stage has passed, the second (a client facing a
    // silent server for 5s) is under way.
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    assert!(
        lines.any(|l| l.unwrap().contains("PASS")),
        "the first stage should pass"
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    let started = loop {
        let others: Vec<i32> = marked_processes(&mark)
            .into_iter()
            .filter(|&p| p != grade_pid)
            .collect();
        if !others.is_empty() || Instant::now() > deadline {
            break others;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(
        !started.is_empty(),
        "the second stage should have started a client"
    );

    // SAFETY: sending a signal to our own child.
    unsafe { libc::kill(grade_pid, libc::SIGINT) };
    let status = child.wait().unwrap();
    assert_eq!(
        status.code(),
        Some(130),
        "an interrupted run exits with 130"
    );
    let survivors = marked_processes(&mark);
    assert!(
        survivors.is_empty(),
        "processes {survivors:?} survived the interrupt"
    );
}
