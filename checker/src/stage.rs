//! Stages: the unit of grading. A stage is data (an id, a title, points, a
//! hint, a deadline) plus the function that runs it against a [`Ctx`].
//!
//! [`run_stage`] runs one stage on a thread of its own under a watchdog,
//! stops every program it started, and turns what happened into a verdict.

use std::fmt;
use std::net::SocketAddr;
use std::panic::{self, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::lessons::Lesson;
use crate::process::{self, Input, ProgramReport};
use crate::wire::Transcript;

/// `Duration::from_secs`, short enough for stage tables.
pub const fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// How long a server gets to print `listening on ADDRESS`.
pub const ANNOUNCE_TIMEOUT: Duration = Duration::from_secs(5);

/// The verdict on one stage.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Passed,
    Failed,
    /// The program stopped at a `todo!()`.
    NotImplemented,
    /// Something the checker waited for never came.
    TimedOut,
    /// The program died on its own: a panic, a signal, or a server exiting.
    Crashed,
    /// The stage could not run on this machine (no IPv6, say). Its points
    /// are given: it is not the student's fault.
    Skipped,
}

impl Verdict {
    pub fn earns_points(self) -> bool {
        matches!(self, Verdict::Passed | Verdict::Skipped)
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Verdict::Passed => "passed",
            Verdict::Failed => "failed",
            Verdict::NotImplemented => "not implemented yet",
            Verdict::TimedOut => "timed out",
            Verdict::Crashed => "crashed",
            Verdict::Skipped => "skipped",
        })
    }
}

/// Why a stage did not pass: what happened, what was expected, what came.
#[derive(Clone, Debug, Serialize)]
pub struct Failure {
    pub verdict: Verdict,
    pub summary: String,
    pub expected: Option<String>,
    pub got: Option<String>,
    /// A hint for this very failure; the stage's own hint is shown too.
    pub hint: Option<String>,
}

impl Failure {
    fn new(verdict: Verdict, summary: impl Into<String>) -> Failure {
        Failure {
            verdict,
            summary: summary.into(),
            expected: None,
            got: None,
            hint: None,
        }
    }
    pub fn failed(summary: impl Into<String>) -> Failure {
        Failure::new(Verdict::Failed, summary)
    }
    pub fn timed_out(summary: impl Into<String>) -> Failure {
        Failure::new(Verdict::TimedOut, summary)
    }
    pub fn crashed(summary: impl Into<String>) -> Failure {
        Failure::new(Verdict::Crashed, summary)
    }
    pub fn skipped(reason: impl Into<String>) -> Failure {
        Failure::new(Verdict::Skipped, reason)
    }
    pub fn expected(mut self, what: impl Into<String>) -> Failure {
        self.expected = Some(what.into());
        self
    }
    pub fn got(mut self, what: impl Into<String>) -> Failure {
        self.got = Some(what.into());
        self
    }
    pub fn hint(mut self, hint: impl Into<String>) -> Failure {
        self.hint = Some(hint.into());
        self
    }
}

/// What a stage function returns.
pub type Outcome = Result<(), Failure>;

/// One graded step of a lesson.
pub struct Stage {
    /// Stable id, used on the command line and in JSON (`half-close`).
    pub id: &'static str,
    pub title: &'static str,
    pub points: u32,
    /// Shown when the stage fails: where to look, for a beginner.
    pub hint: &'static str,
    /// The watchdog: past it the stage is stopped and timed out.
    pub deadline: Duration,
    pub run: fn(&mut Ctx) -> Outcome,
}

/// The programs a stage can start, by role ("server", "client").
#[derive(Clone, Debug)]
pub struct Binaries {
    paths: Vec<(&'static str, PathBuf)>,
}

impl Binaries {
    pub fn new() -> Binaries {
        Binaries { paths: Vec::new() }
    }
    pub fn with(mut self, role: &'static str, path: impl Into<PathBuf>) -> Binaries {
        self.paths.retain(|(r, _)| *r != role);
        self.paths.push((role, path.into()));
        self
    }
    pub fn path(&self, role: &str) -> Option<&PathBuf> {
        self.paths.iter().find(|(r, _)| *r == role).map(|(_, p)| p)
    }
}

impl Default for Binaries {
    fn default() -> Self {
        Binaries::new()
    }
}

/// What one stage shares between its own thread and the watchdog.
struct Shared {
    transcript: Transcript,
    procs: Mutex<Vec<process::Proc>>,
}

impl Shared {
    /// Stops every program, returning their reports and process groups.
    fn stop_all(&self) -> Vec<process::Proc> {
        let mut procs = std::mem::take(&mut *self.procs.lock().unwrap_or_else(|e| e.into_inner()));
        for p in &mut procs {
            p.stop();
        }
        procs
    }
}

/// A server started by a stage.
#[derive(Clone, Copy, Debug)]
pub struct Server {
    pub addr: SocketAddr,
    pub pid: u32,
    index: usize,
}

/// What a client program did.
#[derive(Debug)]
pub struct Finished {
    pub code: Option<i32>,
    /// How it ended, in words ("exited with code 1").
    pub how: String,
    /// It crashed: a panic or a signal.
    pub crashed: bool,
    pub stdout: Vec<u8>,
    pub stdout_total: u64,
    pub stderr: String,
}

impl Finished {
    /// The client must have exited with code 0.
    pub fn expect_success(&self) -> Outcome {
        if self.code == Some(0) {
            return Ok(());
        }
        let f = if self.crashed {
            Failure::crashed(format!("the client {}", self.how))
        } else {
            Failure::failed(format!("the client {}", self.how))
        };
        Err(f
            .expected("exit code 0")
            .got(format!("stderr: {}", one_line_or_count(&self.stderr))))
    }

    /// The client must fail cleanly: non-zero exit, no panic, and exactly
    /// one line on stderr that says what went wrong.
    pub fn expect_one_line_error(&self) -> Outcome {
        let expected = "exit code 1 and one line on stderr that says what went wrong";
        if self.crashed {
            return Err(Failure::crashed(format!("the client {} instead of reporting the error", self.how))
                .expected(expected)
                .got(format!("stderr: {}", one_line_or_count(&self.stderr)))
                .hint("no unwrap() or expect() on network results: return the error and let main print it"));
        }
        if self.code == Some(0) {
            return Err(
                Failure::failed("the client exited with code 0, as if all went well")
                    .expected(expected)
                    .got(format!(
                        "exit code 0, stdout {}",
                        crate::wire::show(&self.stdout)
                    )),
            );
        }
        let lines = self.stderr.lines().filter(|l| !l.trim().is_empty()).count();
        if lines != 1 {
            return Err(Failure::failed(format!(
                "the client {} but printed {lines} lines on stderr",
                self.how
            ))
            .expected(expected)
            .got(format!(
                "stderr: {}",
                crate::wire::escape(self.stderr.as_bytes())
            )));
        }
        Ok(())
    }
}

fn one_line_or_count(text: &str) -> String {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    match lines.as_slice() {
        [] => "(empty)".into(),
        [one] => crate::wire::escape(one.as_bytes()),
        [first, ..] => format!(
            "{} (and {} more lines)",
            crate::wire::escape(first.as_bytes()),
            lines.len() - 1
        ),
    }
}

/// Set once the client under test has exited, so that the checker's peer
/// stops waiting for it (a stub exits at once; nobody should wait 5s).
#[derive(Default)]
pub struct ClientGone(AtomicBool);

impl ClientGone {
    pub fn is_set(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }

    /// Waits until the client has exited, or `timeout`.
    pub fn wait(&self, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        while !self.is_set() && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(10));
        }
    }
}

/// What a stage function works with: the lesson's programs, a transcript,
/// and helpers that start programs under the harness's control.
pub struct Ctx {
    bins: Arc<Binaries>,
    shared: Arc<Shared>,
}

impl Ctx {
    /// The transcript this stage writes to.
    pub fn transcript(&self) -> &Transcript {
        &self.shared.transcript
    }

    /// Writes a line of commentary into the transcript.
    pub fn note(&self, text: impl Into<String>) {
        self.shared.transcript.note(text);
    }

    fn spawn(&self, role: &str, args: &[String], input: Input) -> Result<usize, Failure> {
        let path = self
            .bins
            .path(role)
            .ok_or_else(|| Failure::failed(format!("the checker has no {role} program to run")))?;
        let name = path
            .file_name()
            .map_or(role.to_string(), |n| n.to_string_lossy().into_owned());
        let proc = process::Proc::spawn(&name, path, args, input)
            .map_err(|e| Failure::crashed(format!("cannot start {}: {e}", path.display())))?;
        self.shared
            .transcript
            .note(format!("started {name} {}", args.join(" ")));
        let mut procs = self.shared.procs.lock().unwrap_or_else(|e| e.into_inner());
        procs.push(proc);
        Ok(procs.len() - 1)
    }

    fn with_proc<T>(&self, index: usize, f: impl FnOnce(&mut process::Proc) -> T) -> T {
        let mut procs = self.shared.procs.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut procs[index])
    }

    /// Starts the program in `role` with `args` (the last is usually the
    /// address to bind, such as `127.0.0.1:0`) and waits for it to announce
    /// the address it listens on.
    pub fn start_server(&self, role: &str, args: &[&str]) -> Result<Server, Failure> {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let index = self.spawn(role, &args, Input::Nothing)?;
        // Wait without holding the lock, so the watchdog can still stop us.
        let rx_wait = {
            let mut procs = self.shared.procs.lock().unwrap_or_else(|e| e.into_inner());
            procs[index].take_announcement()
        };
        let line = process::await_announcement(rx_wait, ANNOUNCE_TIMEOUT);
        let (addr, pid) = self.with_proc(index, |p| {
            (p.read_announcement(line, ANNOUNCE_TIMEOUT), p.pid())
        });
        let addr = addr?;
        self.shared
            .transcript
            .note(format!("the server announced {addr}"));
        Ok(Server { addr, pid, index })
    }

    /// Whether the server has exited (checked without waiting).
    pub fn has_exited(&self, server: &Server) -> bool {
        self.with_proc(server.index, |p| !p.running())
    }

    /// Fails if the server has exited: a server must survive its clients.
    pub fn check_alive(&self, server: &Server) -> Outcome {
        self.with_proc(server.index, |p| {
            if p.running() {
                Ok(())
            } else {
                let how = p
                    .ended()
                    .map(|(s, _)| process::describe_status(s))
                    .unwrap_or_default();
                Err(Failure::crashed(format!(
                    "the server {how}; it should keep serving after any client, however it behaves"
                )))
            }
        })
    }

    /// Runs the program in `role` to completion, feeding it `input` on
    /// stdin, and stops it if it runs past `timeout`.
    pub fn run_client(
        &self,
        role: &str,
        args: &[&str],
        input: Input,
        timeout: Duration,
    ) -> Result<Finished, Failure> {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let index = self.spawn(role, &args, input)?;
        let deadline = Instant::now() + timeout;
        // Poll without holding the lock for long.
        let status = loop {
            if let Some(status) = self.with_proc(index, |p| p.wait(Duration::ZERO)) {
                break status;
            }
            if Instant::now() >= deadline {
                self.with_proc(index, |p| p.stop());
                let name = self.with_proc(index, |p| p.name().to_string());
                return Err(Failure::timed_out(format!(
                    "{name} was still running after {}s, so the checker stopped it",
                    timeout.as_secs_f32()
                )));
            }
            thread::sleep(Duration::from_millis(5));
        };
        // Let the output pipes drain before reading them.
        self.with_proc(index, |p| p.stop());
        let finished = self.with_proc(index, |p| {
            let (stdout, stdout_total) = p.stdout();
            Finished {
                code: status.code(),
                how: process::describe_status(status),
                crashed: process::is_crash(status),
                stdout,
                stdout_total,
                stderr: p.stderr(),
            }
        });
        self.shared
            .transcript
            .note(format!("the client {}", finished.how));
        Ok(finished)
    }
}

impl Ctx {
    /// Starts the server on IPv4 loopback, on a port the OS chooses.
    pub fn start_server_ipv4(&self, role: &str) -> Result<Server, Failure> {
        self.start_server(role, &["127.0.0.1:0"])
    }

    /// Opens a TCP connection to `server`, named `name` in the transcript.
    pub fn connect(&self, server: &Server, name: &str) -> Result<crate::wire::Conn, Failure> {
        crate::wire::Conn::connect(self.transcript(), name, server.addr)
    }

    /// Starts the server on IPv6 loopback (`[::1]:0`) and checks that it
    /// announced an IPv6 address. Skipped where the machine has no IPv6.
    pub fn start_server_ipv6(&self, role: &str) -> Result<Server, Failure> {
        if !crate::wire::has_ipv6_loopback() {
            return Err(Failure::skipped(
                "this machine has no IPv6 loopback, so the stage cannot run",
            ));
        }
        let server = self.start_server(role, &["[::1]:0"])?;
        if !server.addr.is_ipv6() {
            return Err(Failure::failed(
                "asked to listen on [::1]:0, the server announced an IPv4 address",
            )
            .expected("[::1]:PORT")
            .got(server.addr.to_string()));
        }
        Ok(server)
    }

    /// Runs `client(i)` for i in 1..=n, all at once on threads of their
    /// own, and fails with the first failure and a count of the failed.
    pub fn all_at_once(&self, n: usize, client: impl Fn(usize) -> Outcome + Sync) -> Outcome {
        let results: Vec<Outcome> = thread::scope(|s| {
            let client = &client;
            let handles: Vec<_> = (1..=n).map(|i| s.spawn(move || client(i))).collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join().unwrap_or_else(|_| {
                        Err(Failure::failed("a client thread of the checker panicked"))
                    })
                })
                .collect()
        });
        let failed = results.iter().filter(|r| r.is_err()).count();
        match results.into_iter().find_map(Result::err) {
            None => Ok(()),
            Some(first) => Err(Failure {
                summary: format!(
                    "{failed} of {n} clients at once were not served. The first: {}",
                    first.summary
                ),
                ..first
            }),
        }
    }

    /// Runs the client in `role` while `peer` plays the other side on a
    /// thread of its own; returns what each did. `peer` learns through
    /// [`ClientGone`] when the client has exited.
    pub fn run_client_with<T: Send>(
        &self,
        role: &str,
        args: &[&str],
        input: Input,
        timeout: Duration,
        peer: impl FnOnce(&ClientGone) -> Result<T, Failure> + Send,
    ) -> (Result<Finished, Failure>, Result<T, Failure>) {
        let gone = ClientGone::default();
        thread::scope(|s| {
            let serving = s.spawn(|| peer(&gone));
            let finished = self.run_client(role, args, input, timeout);
            gone.0.store(true, Ordering::SeqCst);
            let served = serving
                .join()
                .unwrap_or_else(|_| Err(Failure::failed("the checker's peer panicked")));
            (finished, served)
        })
    }
}

/// The outcome of one stage, as the report shows it.
#[derive(Clone, Debug, Serialize)]
pub struct StageReport {
    pub id: &'static str,
    pub title: &'static str,
    pub verdict: Verdict,
    pub points: u32,
    pub max_points: u32,
    pub seconds: f64,
    /// Present unless the stage passed.
    pub failure: Option<Failure>,
    pub hint: Option<&'static str>,
    /// What was sent and received, in order (kept for failed stages only).
    pub transcript: Vec<String>,
    /// Every program the stage started.
    pub programs: Vec<ProgramReport>,
    /// The process groups the stage started, for tests that check that
    /// nothing survives.
    #[serde(skip)]
    pub process_groups: Vec<i32>,
}

/// Runs one stage with the given programs.
pub fn run_stage(stage: &'static Stage, bins: Arc<Binaries>) -> StageReport {
    let shared = Arc::new(Shared {
        transcript: Transcript::new(),
        procs: Mutex::new(Vec::new()),
    });
    let started = Instant::now();
    let (tx, rx) = mpsc::channel();
    let for_thread = Arc::clone(&shared);
    let spawned = thread::Builder::new()
        .name(format!("stage {}", stage.id))
        .spawn(move || {
            let mut ctx = Ctx {
                bins,
                shared: for_thread,
            };
            let outcome = panic::catch_unwind(AssertUnwindSafe(|| (stage.run)(&mut ctx)))
                .unwrap_or_else(|panic| {
                    Err(Failure::failed(format!(
                        "the checker itself failed: {}",
                        panic_text(&panic)
                    )))
                });
            // Stop the programs from this thread, before it ends (the kernel
            // kills a program whose spawning thread ends: see process.rs).
            let procs = ctx.shared.stop_all();
            let _ = tx.send((outcome, procs));
        });
    let (outcome, procs) = match spawned {
        Err(e) => (
            Err(Failure::failed(format!(
                "the checker could not start a thread: {e}"
            ))),
            Vec::new(),
        ),
        Ok(_) => match rx.recv_timeout(stage.deadline) {
            Ok(done) => done,
            Err(_) => {
                // The stage is stuck. Stopping its programs unblocks it (all
                // its reads have timeouts anyway); we do not wait for it.
                let procs = shared.stop_all();
                let failure = Failure::timed_out(format!(
                    "the stage did not finish within its deadline of {}s",
                    stage.deadline.as_secs_f32()
                ));
                (Err(failure), procs)
            }
        },
    };
    judge(
        stage,
        outcome,
        &procs,
        &shared.transcript,
        started.elapsed(),
    )
}

/// Turns a stage's outcome and its programs' fates into a report.
fn judge(
    stage: &'static Stage,
    outcome: Outcome,
    procs: &[process::Proc],
    transcript: &Transcript,
    took: Duration,
) -> StageReport {
    let programs: Vec<ProgramReport> = procs.iter().map(|p| p.summary()).collect();
    let process_groups = procs.iter().map(|p| p.pgid()).collect();
    let todo = procs.iter().find_map(|p| not_implemented(&p.stderr()));
    let failure = match outcome {
        // A program that reached a todo!() has not been written yet: say so,
        // whatever else went wrong because of it, and even if the checks
        // passed (a stub that drops a connection "refuses" a bad frame).
        Ok(())
        | Err(Failure {
            verdict: Verdict::Failed | Verdict::TimedOut | Verdict::Crashed,
            ..
        }) if todo.is_some() => {
            let place = todo.unwrap_or_default();
            Some(Failure {
                verdict: Verdict::NotImplemented,
                summary: format!("not implemented yet: {place}"),
                expected: None,
                got: None,
                hint: None,
            })
        }
        Ok(()) => None,
        Err(mut f) => {
            // A server that died on its own explains most failures after it.
            let died = procs
                .iter()
                .find(|p| matches!(p.ended(), Some((s, false)) if process::is_crash(s)));
            if let (Some(p), Verdict::Failed | Verdict::TimedOut) = (died, f.verdict) {
                f.verdict = Verdict::Crashed;
                let how = p
                    .ended()
                    .map(|(s, _)| process::describe_status(s))
                    .unwrap_or_default();
                f.summary = format!("{} {how}. Then: {}", p.name(), f.summary);
            }
            Some(f)
        }
    };
    let verdict = failure.as_ref().map_or(Verdict::Passed, |f| f.verdict);
    let passed = verdict.earns_points();
    StageReport {
        id: stage.id,
        title: stage.title,
        verdict,
        points: if passed { stage.points } else { 0 },
        max_points: stage.points,
        seconds: took.as_secs_f64(),
        hint: (!passed && verdict != Verdict::NotImplemented).then_some(stage.hint),
        failure,
        transcript: if passed {
            Vec::new()
        } else {
            transcript.lines()
        },
        programs: if passed { Vec::new() } else { programs },
        process_groups,
    }
}

/// Finds a `todo!()` panic in stderr: "src/bin/server.rs:40:5" and its text.
fn not_implemented(stderr: &str) -> Option<String> {
    let at = stderr.find("not yet implemented")?;
    // The panic line before it says where: "panicked at FILE:LINE:COL:".
    let place = stderr[..at].rfind("panicked at ").map(|i| {
        stderr[i + "panicked at ".len()..at]
            .trim()
            .trim_end_matches(':')
            .to_string()
    });
    Some(match place {
        Some(place) => format!("the program reached the todo!() at {place}"),
        None => "the program reached a todo!()".to_string(),
    })
}

fn panic_text(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "a panic".into())
}

/// Points for a lesson run.
pub fn total(stages: &[StageReport]) -> (u32, u32) {
    stages
        .iter()
        .fold((0, 0), |(p, m), s| (p + s.points, m + s.max_points))
}

/// Lesson lookup for stage runs.
pub fn stage_by_id(lesson: &'static Lesson, id: &str) -> Option<&'static Stage> {
    lesson.stages.iter().find(|s| s.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_todo_panic_is_found_with_its_place() {
        let stderr = "listening on 127.0.0.1:1\n\nthread 'main' panicked at lessons/echo/src/bin/server.rs:39:5:\nnot yet implemented: bind\n";
        assert_eq!(
            not_implemented(stderr).as_deref(),
            Some("the program reached the todo!() at lessons/echo/src/bin/server.rs:39:5")
        );
        assert_eq!(
            not_implemented("thread 'main' panicked at src/main.rs:1:1:\nindex out of bounds"),
            None
        );
    }

    #[test]
    fn only_passed_and_skipped_stages_earn_points() {
        let earning: Vec<Verdict> = [
            Verdict::Passed,
            Verdict::Failed,
            Verdict::NotImplemented,
            Verdict::TimedOut,
            Verdict::Crashed,
            Verdict::Skipped,
        ]
        .into_iter()
        .filter(|v| v.earns_points())
        .collect();
        assert_eq!(earning, [Verdict::Passed, Verdict::Skipped]);
    }
}
