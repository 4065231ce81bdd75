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
fn one_stage_can_be_graded_alone_without_color() {
    grade()
        .args(["echo", "--solutions", "--stage", "binary"])
        .assert()
        .success()
        .stdout(predicate::str::contains("PASS"))
        .stdout(predicate::str::contains("binary"))
        .stdout(predicate::str::contains("Every stage graded passed."))
        .stdout(predicate::str::contains(
            "`cargo grade echo` grades them all",
        ))
        .stdout(predicate::str::contains("\x1b[").not());
}

#[test]
fn unknown_lesson_or_stage_is_a_usage_error() {
    grade()
        .arg("nosuch")
        .assert()
        .code(2)
        .stderr(predicate::str::contains(format!(
            "no lesson `nosuch`; the lessons are: {}",
            checker::lessons::ids()
        )));
    grade()
        .args(["echo", "--stage", "nosuch"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no stage `nosuch`"));
}

#[test]
fn an_unknown_peer_is_a_usage_error_that_lists_the_peers() {
    grade()
        .args(["peer", "nosuch"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "the peers are: dns (lesson resolver)",
        ));
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
        .stderr(predicate::str::contains(
            "no role `nosuch` in framing; its roles are: server, client",
        ));
    // Without a lesson, a program would be graded in every lesson's role.
    grade()
        .args(["--program", &program])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--program grades one lesson"));
}

/// A report with times and ports taken out, for comparing two runs.
fn normalised(out: &[u8]) -> String {
    common::normalise(&String::from_utf8_lossy(out))
}

#[test]
fn a_server_that_never_announces_properly_is_diagnosed_once_and_fast() {
    let wrong = common::fixture("echo-wrong-announce");
    let started = Instant::now();
    let out = grade()
        .args([
            "echo",
            "--solutions",
            "--program",
            &format!("server={}", wrong.display()),
        ])
        .assert()
        .code(1);
    let took = started.elapsed();
    let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert_eq!(
        text.matches("announced its address in a form the checker cannot read")
            .count(),
        1,
        "{text}"
    );
    // Every other server stage says why it did not run.
    let server_stages = checker::lessons::echo::LESSON
        .stages
        .iter()
        .filter(|s| s.roles.contains(&"server"))
        .count();
    assert_eq!(
        text.matches("not run: fix `one-message` first").count(),
        server_stages - 1,
        "{text}"
    );
    assert!(took < Duration::from_secs(20), "took {took:?}:\n{text}");
}

#[test]
fn the_report_is_the_same_with_one_worker_or_many() {
    // A wrong server, so that the report has failures with transcripts.
    let wrong = common::fixture("framing-echo");
    let program = format!("server={}", wrong.display());
    let run = |jobs: &str| {
        let out = grade()
            .args(["framing", "--solutions", "-j", jobs, "--program", &program])
            .assert()
            .code(1);
        normalised(&out.get_output().stdout)
    };
    let (one, many) = (run("1"), run("4"));
    assert!(one.contains("FAIL"), "{one}");
    if let Some((a, b)) = one.lines().zip(many.lines()).find(|(a, b)| a != b) {
        panic!("the reports differ:\n-j 1: {a}\n-j 4: {b}");
    }
    assert_eq!(one.lines().count(), many.lines().count());
}

/// Pids of live (non-zombie) processes whose environment holds `mark`.
fn marked_processes(mark: &str) -> Vec<i32> {
    checker::process::marked("CHECKER_TEST_MARK", mark)
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
            "-j",
            "1",
            "--time-scale",
            "20",
        ])
        .env("NO_COLOR", "1")
        .env("CHECKER_TEST_MARK", &mark)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let grade_pid = child.id() as i32;
    // Once the first stage has passed, the second (a client facing a
    // silent server) is under way: one worker, so they run in turn.
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

#[test]
fn the_http_peer_started_by_hand_serves_what_the_chapter_says() {
    use std::io::{Read, Write};
    /// Stops the peer however the test ends.
    struct Stopped(std::process::Child);
    impl Drop for Stopped {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let mut peer = Stopped(
        Command::new(assert_cmd::cargo::cargo_bin!("grade"))
            .args(["peer", "http"])
            .stdout(Stdio::piped())
            .spawn()
            .expect("cargo grade peer http"),
    );
    // Kept open to the end: the peer prints each request it reads.
    let mut out = BufReader::new(peer.0.stdout.take().expect("stdout"));
    let listening = out
        .by_ref()
        .lines()
        .map_while(Result::ok)
        .find(|l| l.contains("listens on http://"))
        .expect("a line with its address");
    let addr = listening
        .split("http://")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .expect("an address")
        .to_string();
    let get = |path: &str| {
        let mut stream = std::net::TcpStream::connect(&addr).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
        )
        .expect("send");
        let mut reply = String::new();
        stream.read_to_string(&mut reply).expect("the reply");
        reply
    };
    let hello = get("/hello.txt");
    let chunked = get("/chunked");
    let redirect = get("/redirect");
    drop((peer, out));
    assert!(hello.starts_with("HTTP/1.1 200 OK\r\n"), "{hello}");
    assert!(hello.ends_with("second line.\n"), "{hello}");
    assert!(chunked.contains("Transfer-Encoding: chunked"), "{chunked}");
    assert!(
        chunked.ends_with("0\r\nX-Trailer: read and dropped\r\n\r\n"),
        "{chunked}"
    );
    assert!(redirect.starts_with("HTTP/1.1 301"), "{redirect}");
    assert!(
        redirect.contains("Location: /redirect/step\r\n"),
        "{redirect}"
    );
}

#[test]
fn a_daemon_that_leaves_its_session_and_clears_its_environment_dies_with_its_stage() {
    // The program of issue 23: it starts `setsid -f` with an empty
    // environment (so no mark finds it), then serves echo as it should.
    let dir = std::env::temp_dir().join(format!("checker-daemon-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a scratch folder");
    let nap = format!("sleep 931.{}", std::process::id());
    let script = dir.join("server.sh");
    let echo = common::reference(&checker::lessons::echo::LESSON)
        .path("server")
        .expect("echo's server")
        .clone();
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nenv -i PATH=/usr/bin:/bin setsid -f sh -c 'exec {nap}' </dev/null >/dev/null 2>&1\nexec {} \"$@\"\n",
            echo.display()
        ),
    )
    .expect("the script");
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755))
        .expect("chmod");
    grade()
        .args(["echo", "--stage", "one-message", "--program"])
        .arg(format!("server={}", script.display()))
        .assert()
        .code(0);
    let _ = std::fs::remove_dir_all(&dir);
    // One second after the run, nothing running `nap` is left.
    std::thread::sleep(Duration::from_secs(1));
    let left: Vec<i32> = checker::platform::pids()
        .into_iter()
        .filter(|&pid| checker::platform::command_line(pid).is_some_and(|c| c.contains(&nap)))
        .collect();
    for &pid in &left {
        // SAFETY: kill(2) has no memory effects.
        unsafe { libc::kill(pid, libc::SIGKILL) };
    }
    assert!(left.is_empty(), "the daemons {left:?} outlived cargo grade");
}
