//! The student's own commands, run as a student runs them, on copies of
//! the stubs in a folder of the test's own (never on `lessons/`, which is
//! the student's): `--watch` driven by real file changes, `--submission`,
//! `progress`, `hint` and `reset`.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use checker::lessons;
use checker::time::scaled;

/// A fresh folder holding `lessons/echo` as the course ships it.
fn stub_clone(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("grade-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let echo = lessons::find("echo").unwrap();
    for (rel, text) in checker::stubs::files(echo) {
        let path = dir.join("lessons/echo").join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

fn solution_file(rel: &str) -> String {
    let root = checker::builder::workspace_root();
    std::fs::read_to_string(root.join("solutions/echo").join(rel)).unwrap()
}

fn grade_cmd() -> Command {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin!("grade"));
    cmd.env("NO_COLOR", "1");
    cmd
}

/// Kills the watcher if a check fails before the test stops it.
struct Watcher {
    child: Child,
    lines: Receiver<String>,
    seen: Vec<String>,
}

impl Drop for Watcher {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Watcher {
    /// Reads lines until one contains `text` (within `wait`); returns what
    /// was printed since the last call.
    fn until(&mut self, text: &str, wait: Duration) -> String {
        let deadline = Instant::now() + wait;
        let mut got = Vec::new();
        while Instant::now() < deadline {
            match self.lines.recv_timeout(Duration::from_millis(100)) {
                Ok(line) => {
                    let done = line.contains(text);
                    got.push(line);
                    if done {
                        self.seen.extend(got.iter().cloned());
                        return got.join("\n");
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
        }
        panic!(
            "no line with {text:?} within {wait:?}; it printed:\n{}\n{}",
            self.seen.join("\n"),
            got.join("\n")
        );
    }
}

fn live_processes_under(dir: &Path) -> Vec<String> {
    let needle = dir.to_string_lossy().into_owned();
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter(|&pid| checker::process::is_alive(pid))
        .filter_map(|pid| {
            let cmd = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
            let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
            cmd.contains(&needle).then_some(format!("{pid}: {cmd}"))
        })
        .collect()
}

#[test]
fn watch_grades_again_on_every_save_and_ctrl_c_leaves_nothing() {
    let clone = stub_clone("watch");
    let course = checker::builder::workspace_root();
    let scratch = checker::submission::scratch_for(&course, &clone.join("lessons"));
    let mut child = grade_cmd()
        .args([
            "--watch",
            "echo",
            "--stage",
            "one-message",
            "--stage",
            "client-refused",
        ])
        .arg("--submission")
        .arg(&clone)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let (tx, rx) = mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut w = Watcher {
        child,
        lines: rx,
        seen: Vec::new(),
    };
    // The first build of the scratch workspace compiles echo from nothing.
    let build = scaled(Duration::from_secs(240));

    let first = w.until("watching", build);
    assert!(first.contains("(first run; built in "), "{first}");
    assert!(first.contains("not implemented yet"), "{first}");
    assert!(first.contains("echo: 0/10 · 0 of 2 stages pass"), "{first}");

    // A save: the server from the reference. The server's stage passes;
    // the client's is now the first that does not, shown with its hint.
    let src = clone.join("lessons/echo/src");
    std::fs::write(
        src.join("bin/server.rs"),
        solution_file("src/bin/server.rs"),
    )
    .unwrap();
    let second = w.until("watching", build);
    assert!(
        second.contains("you saved lessons/echo/src/bin/server.rs"),
        "{second}"
    );
    assert!(
        second.contains("echo: 5/10 · 1 of 2 stages pass · not yet: client-refused"),
        "{second}"
    );
    assert!(second.contains("client-refused"), "{second}");
    assert!(second.contains("hint:"), "{second}");

    // A save that breaks the build: the compiler's first error, alone.
    let broken = solution_file("src/bin/server.rs").replacen("fn main()", "fn main() oops", 1);
    std::fs::write(src.join("bin/server.rs"), broken).unwrap();
    let third = w.until("watching", build);
    assert!(third.contains("does not compile"), "{third}");
    assert!(third.contains("src/bin/server.rs"), "{third}");
    let errors = third
        .lines()
        .filter(|l| l.trim_start().starts_with("error"))
        .count();
    assert_eq!(errors, 1, "only the first error is shown:\n{third}");

    // Ctrl-C: the watcher ends, and nothing it started lives on.
    // SAFETY: sending a signal to our own child.
    unsafe { libc::kill(w.child.id() as i32, libc::SIGINT) };
    let deadline = Instant::now() + scaled(Duration::from_secs(10));
    let status = loop {
        if let Some(status) = w.child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "the watcher ignored Ctrl-C");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(130));
    assert_eq!(live_processes_under(&scratch), Vec::<String>::new());
    let _ = std::fs::remove_dir_all(&clone);
    let _ = std::fs::remove_dir_all(&scratch);
}

#[test]
fn reset_puts_the_stub_back_and_keeps_what_it_replaced() {
    let root = stub_clone("reset");
    let echo = lessons::find("echo").unwrap();
    let package = root.join("lessons/echo");
    assert_eq!(
        checker::stubs::plan(&root, echo, None).unwrap(),
        Default::default()
    );

    // A student's work: a changed server, a deleted client, a new module.
    std::fs::write(package.join("src/bin/server.rs"), "fn main() {} // mine\n").unwrap();
    std::fs::remove_file(package.join("src/bin/client.rs")).unwrap();
    std::fs::create_dir_all(package.join("src/extra")).unwrap();
    std::fs::write(package.join("src/extra/notes.rs"), "// notes\n").unwrap();

    // One file: only that one.
    let one = checker::stubs::plan(&root, echo, Some(Path::new("src/bin/client.rs"))).unwrap();
    assert_eq!(one.restore, [PathBuf::from("src/bin/client.rs")]);
    assert!(one.remove.is_empty());
    let err = checker::stubs::plan(&root, echo, Some(Path::new("src/nope.rs"))).unwrap_err();
    assert!(err.contains("not a file of the echo stub"), "{err}");
    // Also named from the workspace, as a student may type it.
    let same = checker::stubs::plan(
        &root,
        echo,
        Some(Path::new("lessons/echo/src/bin/client.rs")),
    )
    .unwrap();
    assert_eq!(same, one);

    // The whole lesson.
    let plan = checker::stubs::plan(&root, echo, None).unwrap();
    assert_eq!(
        plan.restore,
        [
            PathBuf::from("src/bin/client.rs"),
            PathBuf::from("src/bin/server.rs")
        ]
    );
    assert_eq!(plan.remove, [PathBuf::from("src/extra/notes.rs")]);
    let backup = checker::stubs::backup_dir(&root, echo);
    let kept = checker::stubs::apply(&root, echo, &plan, &backup).unwrap();
    assert_eq!(kept, 2, "the changed server and the new module are kept");
    assert_eq!(
        std::fs::read_to_string(root.join(&backup).join("src/bin/server.rs")).unwrap(),
        "fn main() {} // mine\n"
    );
    assert_eq!(
        std::fs::read_to_string(root.join(&backup).join("src/extra/notes.rs")).unwrap(),
        "// notes\n"
    );
    assert!(
        !package.join("src/extra").exists(),
        "an emptied folder goes too"
    );
    assert_eq!(
        checker::stubs::plan(&root, echo, None).unwrap(),
        Default::default()
    );
    // A second reset never writes into the first one's backup.
    assert_ne!(checker::stubs::backup_dir(&root, echo), backup);
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn progress_and_hints_come_from_the_last_run() {
    let clone = stub_clone("progress");
    let course = checker::builder::workspace_root();
    let scratch = checker::submission::scratch_for(&course, &clone.join("lessons"));
    let src = clone.join("lessons/echo/src");
    std::fs::write(
        src.join("bin/server.rs"),
        solution_file("src/bin/server.rs"),
    )
    .unwrap();
    let out = grade_cmd()
        .args([
            "echo",
            "--stage",
            "one-message",
            "--stage",
            "binary",
            "--stage",
            "client-refused",
        ])
        .arg("--submission")
        .arg(&clone)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("Read “The exercise contract” in docs/src/echo.md, then run `cargo grade echo --stage client-refused`; `cargo grade hint` says more."),
        "{text}"
    );

    let all = checker::progress::standings(&scratch);
    let echo = &all[0];
    assert_eq!(echo.points(), 10);
    assert!(!echo.changed);
    // Never graded stages come before client-refused in the lesson's order.
    assert_eq!(echo.next_stage().map(|s| s.id), Some("dribble"));
    let refused = echo.stage("client-refused").unwrap();
    assert_eq!(refused.verdict, checker::verdict::Verdict::NotImplemented);

    let paint = checker::report::Paint { on: false };
    let overview = checker::progress::overview(paint, &scratch, &all);
    assert!(
        overview.contains("echo       █░░░░░░░░░   10/100  next: dribble"),
        "{overview}"
    );
    assert!(
        overview.contains("udp-upper  ░░░░░░░░░░    0/100  not graded yet"),
        "{overview}"
    );
    assert!(overview.contains("total 10/700"), "{overview}");
    assert!(
        overview.contains("run    cargo grade echo --stage dribble"),
        "{overview}"
    );

    let stage = lessons::find("echo")
        .unwrap()
        .stage("client-refused")
        .unwrap();
    let hint = checker::progress::hint_text(paint, &scratch, echo, stage);
    assert!(
        hint.contains("last run: not implemented yet: the program reached the todo!()"),
        "{hint}"
    );
    assert!(hint.contains(stage.hint), "{hint}");
    assert!(
        hint.contains("read: “The exercise contract” in docs/src/echo.md"),
        "{hint}"
    );

    // A change to the graded files since the run is noticed.
    let graded = scratch.join("lessons/echo/src/bin/client.rs");
    std::fs::write(&graded, "fn main() {}\n").unwrap();
    assert!(checker::progress::Standing::of(&scratch, echo.lesson).changed);

    // A lesson that does not compile: fixing the build comes first.
    std::fs::write(src.join("bin/server.rs"), "fn main() { oops }\n").unwrap();
    let out = grade_cmd()
        .args(["echo", "--stage", "one-message", "--submission"])
        .arg(&clone)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let all = checker::progress::standings(&scratch);
    assert!(all[0].does_not_compile());
    let overview = checker::progress::overview(paint, &scratch, &all);
    assert!(
        overview.contains("Next: echo did not compile at its last run. Fix the compiler's first error (`cargo build -p echo` shows them all), then `cargo grade echo`."),
        "{overview}"
    );
    assert!(overview.contains("0/100  does not compile"), "{overview}");
    let _ = std::fs::remove_dir_all(&clone);
    let _ = std::fs::remove_dir_all(&scratch);
}

#[test]
fn the_hint_command_names_the_stage_its_hint_and_the_section() {
    let out = grade_cmd()
        .args(["hint", "echo", "half-close"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    let stage = lessons::find("echo").unwrap().stage("half-close").unwrap();
    assert!(
        text.starts_with("echo / half-close (10 points): Half-close: echo the rest, then close"),
        "{text}"
    );
    assert!(text.contains(stage.hint), "{text}");
    assert!(
        text.contains("read: “Half-close” in docs/src/echo.md"),
        "{text}"
    );
    assert!(
        text.contains("try:  cargo grade echo --stage half-close"),
        "{text}"
    );

    let out = grade_cmd().args(["hint", "echo", "nope"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no stage `nope` in echo"));
}

#[test]
fn reset_refuses_a_file_the_stub_does_not_have() {
    let out = grade_cmd()
        .args(["reset", "echo", "src/nope.rs"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("src/nope.rs is not a file of the echo stub; its files are: Cargo.toml, src/bin/client.rs"), "{err}");
}
