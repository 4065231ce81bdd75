//! Starting the programs under test, watching their output, and making sure
//! they die.
//!
//! Every program runs in a process group of its own, so that one signal to
//! the group reaches it and any child it forked. Groups still alive are kept
//! in a registry, so that Ctrl-C (see [`kill_everything`]) can end them all.

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::SocketAddr;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::stage::Failure;

/// How much of a program's stdout the checker keeps (a client's output is
/// what it graded, up to 16 MiB), and how much of its stderr. The rest is
/// read and thrown away, so that a program that floods its output never
/// blocks on a full pipe, and never fills the checker's memory.
pub const STDOUT_CAP: usize = 32 << 20;
pub const STDERR_CAP: usize = 1 << 20;
/// The longest stdout line looked at for the `listening on` announcement.
const LINE_CAP: usize = 4096;
/// After SIGTERM, how long a group gets before SIGKILL.
const TERM_GRACE: Duration = Duration::from_millis(300);
/// The prefix of the line a server prints once it listens.
pub const ANNOUNCE_PREFIX: &str = "listening on ";

/// Process groups started and not yet reaped, for [`kill_everything`].
static LIVE_GROUPS: Mutex<BTreeSet<i32>> = Mutex::new(BTreeSet::new());

/// Kills every process group the checker started and has not reaped yet.
/// Called from the Ctrl-C handler and on panic; safe to call twice.
pub fn kill_everything() {
    let groups = LIVE_GROUPS.lock().unwrap_or_else(|e| e.into_inner());
    for &pgid in groups.iter() {
        signal_group(pgid, libc::SIGKILL);
    }
    for &pgid in groups.iter() {
        wait_until_gone(pgid);
    }
}

/// A signal is delivered asynchronously: wait (briefly) until every process
/// of the group has really died, so that nothing outlives the checker.
fn wait_until_gone(pgid: i32) {
    let deadline = Instant::now() + Duration::from_secs(2);
    while !live_members(pgid).is_empty() && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(2));
    }
}

fn signal_group(pgid: i32, signal: i32) {
    // SAFETY: kill(2) has no memory effects; a negative pid names a group.
    unsafe {
        libc::kill(-pgid, signal);
    }
}

/// The pids of processes, not zombies, whose process group is `pgid`.
/// Reads /proc, so it sees grandchildren that the checker never knew of.
pub fn live_members(pgid: i32) -> Vec<i32> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter(|&pid| matches!(proc_stat(pid), Some((state, group)) if group == pgid && state != 'Z' && state != 'X'))
        .collect()
}

/// A process's state letter and process group, from /proc/PID/stat.
fn proc_stat(pid: i32) -> Option<(char, i32)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name is in parentheses and may hold spaces: skip past it.
    let rest = &stat[stat.rfind(')')? + 2..];
    let mut fields = rest.split_whitespace();
    let state = fields.next()?.chars().next()?;
    let _ppid = fields.next()?;
    let pgrp = fields.next()?.parse().ok()?;
    Some((state, pgrp))
}

/// Whether a process (not a zombie) with this pid exists.
pub fn is_alive(pid: i32) -> bool {
    matches!(proc_stat(pid), Some((state, _)) if state != 'Z' && state != 'X')
}

/// The peak resident memory of a process in KiB (VmHWM, the "high water
/// mark", in /proc/PID/status): it catches a brief spike too.
pub fn peak_resident_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Output captured from one pipe: the first [`OUTPUT_CAP`] bytes, and how
/// many bytes came in all.
struct Capture {
    kept: Vec<u8>,
    cap: usize,
    total: u64,
    done: bool,
}

impl Capture {
    fn new(cap: usize) -> Arc<Mutex<Capture>> {
        Arc::new(Mutex::new(Capture {
            kept: Vec::new(),
            cap,
            total: 0,
            done: false,
        }))
    }
}

/// What the checker feeds a program on stdin.
pub enum Input {
    /// Nothing: stdin is at end of file at once.
    Nothing,
    /// These bytes, then end of file.
    Bytes(Vec<u8>),
}

/// One running program under test.
pub struct Proc {
    name: String,
    args: Vec<String>,
    child: Child,
    pgid: i32,
    stdout: Arc<Mutex<Capture>>,
    stderr: Arc<Mutex<Capture>>,
    announce: Option<Receiver<String>>,
    started: Instant,
    /// Set once the program has exited; `by_checker` says who ended it.
    ended: Option<(ExitStatus, bool)>,
}

impl Proc {
    /// Starts `path` with `args` in a new process group.
    pub fn spawn(name: &str, path: &Path, args: &[String], input: Input) -> std::io::Result<Proc> {
        let mut cmd = Command::new(path);
        cmd.args(args)
            .stdin(match input {
                Input::Nothing => Stdio::null(),
                Input::Bytes(_) => Stdio::piped(),
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .env("RUST_BACKTRACE", "0")
            .env("NO_COLOR", "1")
            .process_group(0);
        #[cfg(target_os = "linux")]
        // SAFETY: prctl is async-signal-safe, as pre_exec requires. If the
        // checker dies without cleaning up, the kernel kills the program.
        unsafe {
            cmd.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
        // Register the group before anything can fail, so Ctrl-C finds it.
        let mut groups = LIVE_GROUPS.lock().unwrap_or_else(|e| e.into_inner());
        let mut child = cmd.spawn()?;
        let pgid = child.id() as i32;
        groups.insert(pgid);
        drop(groups);

        if let (Input::Bytes(bytes), Some(mut stdin)) = (input, child.stdin.take()) {
            thread::spawn(move || {
                // The program may exit without reading: that is its business.
                let _ = stdin.write_all(&bytes);
            });
        }
        let (tx, rx) = mpsc::channel();
        let stdout = Capture::new(STDOUT_CAP);
        let stderr = Capture::new(STDERR_CAP);
        let out_pipe = child.stdout.take().expect("stdout is piped");
        let err_pipe = child.stderr.take().expect("stderr is piped");
        let out_capture = Arc::clone(&stdout);
        thread::spawn(move || drain(out_pipe, &out_capture, Some(tx)));
        let err_capture = Arc::clone(&stderr);
        thread::spawn(move || drain(err_pipe, &err_capture, None));
        Ok(Proc {
            name: name.to_string(),
            args: args.to_vec(),
            child,
            pgid,
            stdout,
            stderr,
            announce: Some(rx),
            started: Instant::now(),
            ended: None,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn pgid(&self) -> i32 {
        self.pgid
    }

    /// Hands out the channel on which the `listening on` line arrives.
    pub fn take_announcement(&mut self) -> Receiver<String> {
        self.announce
            .take()
            .expect("the announcement is awaited once")
    }

    /// Turns what [`await_announcement`] got into the announced address, or
    /// into a failure that says what the program did instead.
    pub fn read_announcement(
        &mut self,
        line: Result<String, RecvTimeoutError>,
        timeout: Duration,
    ) -> Result<SocketAddr, Failure> {
        let line = match line {
            Ok(line) => line,
            Err(RecvTimeoutError::Disconnected) => {
                // stdout closed without the line: the program has exited (or
                // closed stdout, which is as bad). Give it a moment to exit.
                let how = match self.wait(Duration::from_secs(1)) {
                    Some(status) => describe_status(status),
                    None => "closed its stdout".to_string(),
                };
                return Err(Failure::failed(format!(
                    "{} {how} before printing `{ANNOUNCE_PREFIX}ADDRESS`",
                    self.name
                ))
                .expected(format!(
                    "a line `{ANNOUNCE_PREFIX}127.0.0.1:PORT` on stdout"
                ))
                .got(self.stdout_summary()));
            }
            Err(RecvTimeoutError::Timeout) => {
                return Err(Failure::timed_out(format!(
                    "{} printed no `{ANNOUNCE_PREFIX}ADDRESS` line within {}s",
                    self.name,
                    timeout.as_secs_f32()
                ))
                .expected(format!("a line `{ANNOUNCE_PREFIX}127.0.0.1:PORT` on stdout"))
                .got(self.stdout_summary())
                .hint("print the line right after bind() succeeds, with println! (it ends the line, which flushes stdout)"));
            }
        };
        let text = line[ANNOUNCE_PREFIX.len()..].trim();
        let addr: SocketAddr = text.parse().map_err(|_| {
            Failure::failed(format!("{} announced an address the checker cannot read", self.name))
                .expected(format!("`{ANNOUNCE_PREFIX}IP:PORT`, such as `{ANNOUNCE_PREFIX}127.0.0.1:40123` or `{ANNOUNCE_PREFIX}[::1]:40123`"))
                .got(crate::wire::escape(line.as_bytes()))
        })?;
        if addr.port() == 0 || !addr.ip().is_loopback() {
            return Err(Failure::failed(format!("{} announced {addr}", self.name))
                .expected("the loopback address and the real port the OS chose (not 0)")
                .got(addr.to_string())
                .hint("print listener.local_addr(), not the address you were given: with port 0 only the socket knows its port"));
        }
        Ok(addr)
    }

    /// Waits up to `timeout` for the program to exit on its own.
    pub fn wait(&mut self, timeout: Duration) -> Option<ExitStatus> {
        if let Some((status, _)) = self.ended {
            return Some(status);
        }
        let deadline = Instant::now() + timeout;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                self.ended = Some((status, false));
                self.reap_group();
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            thread::sleep(Duration::from_millis(5));
        }
    }

    /// Whether the program is still running.
    pub fn running(&mut self) -> bool {
        self.wait(Duration::ZERO).is_none()
    }

    /// Ends the program and every process in its group: SIGTERM, a short
    /// grace, then SIGKILL. Then waits (briefly) for its output to drain.
    pub fn stop(&mut self) {
        if self.ended.is_none() {
            if let Ok(Some(status)) = self.child.try_wait() {
                self.ended = Some((status, false));
            } else {
                signal_group(self.pgid, libc::SIGTERM);
                let deadline = Instant::now() + TERM_GRACE;
                while Instant::now() < deadline {
                    if let Ok(Some(status)) = self.child.try_wait() {
                        self.ended = Some((status, caused_by_stop(status)));
                        break;
                    }
                    thread::sleep(Duration::from_millis(5));
                }
                if self.ended.is_none() {
                    signal_group(self.pgid, libc::SIGKILL);
                    let status = self.child.wait().expect("waiting for a killed child");
                    self.ended = Some((status, true));
                }
            }
        }
        self.reap_group();
        // The pipes close when the last process holding them dies; the
        // readers then finish. Give them a moment.
        let deadline = Instant::now() + Duration::from_millis(500);
        while Instant::now() < deadline && !(lock(&self.stdout).done && lock(&self.stderr).done) {
            thread::sleep(Duration::from_millis(2));
        }
    }

    /// Kills whatever the program left behind in its group (a forked child
    /// that outlived it), and forgets the group.
    fn reap_group(&mut self) {
        signal_group(self.pgid, libc::SIGKILL);
        wait_until_gone(self.pgid);
        LIVE_GROUPS
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&self.pgid);
    }

    /// The exit status, and whether the checker caused it.
    pub fn ended(&self) -> Option<(ExitStatus, bool)> {
        self.ended
    }

    /// What was kept of stdout (up to [`STDOUT_CAP`]), and the total count.
    pub fn stdout(&self) -> (Vec<u8>, u64) {
        let c = lock(&self.stdout);
        (c.kept.clone(), c.total)
    }

    /// Everything kept from stderr, as text.
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&lock(&self.stderr).kept).into_owned()
    }

    fn stdout_summary(&self) -> String {
        let c = lock(&self.stdout);
        if c.total == 0 {
            return "nothing on stdout".into();
        }
        let shown = &c.kept[..c.kept.len().min(200)];
        let more = if c.total > shown.len() as u64 {
            format!(" … ({} bytes in all)", c.total)
        } else {
            String::new()
        };
        format!("stdout: {}{more}", crate::wire::escape(shown))
    }

    /// A summary for the report, once the program has been stopped.
    pub fn summary(&self) -> ProgramReport {
        let stderr = self.stderr();
        ProgramReport {
            name: self.name.clone(),
            args: self.args.clone(),
            exit: self.ended.map(|(s, by_checker)| {
                if by_checker {
                    "stopped by the checker".to_string()
                } else {
                    describe_status(s)
                }
            }),
            seconds: self.started.elapsed().as_secs_f64(),
            stderr_tail: tail(&stderr, 40, 4000),
            stderr_bytes: lock(&self.stderr).total,
            stdout_bytes: lock(&self.stdout).total,
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if self.ended.is_none() {
            self.stop();
        } else {
            self.reap_group();
        }
    }
}

/// What the report says of one program a stage ran.
#[derive(Clone, Debug, Serialize)]
pub struct ProgramReport {
    pub name: String,
    pub args: Vec<String>,
    /// How it ended, in words.
    pub exit: Option<String>,
    pub seconds: f64,
    /// The end of its stderr (the last lines, at most a few KiB).
    pub stderr_tail: String,
    pub stderr_bytes: u64,
    pub stdout_bytes: u64,
}

/// "exited with code 1", "was killed by signal 6 (SIGABRT)", …
pub fn describe_status(status: ExitStatus) -> String {
    if let Some(code) = status.code() {
        if code == 101 {
            "panicked (exit code 101)".to_string()
        } else {
            format!("exited with code {code}")
        }
    } else if let Some(sig) = status.signal() {
        let name = match sig {
            libc::SIGABRT => " (SIGABRT: abort)",
            libc::SIGSEGV => " (SIGSEGV: invalid memory access)",
            libc::SIGKILL => " (SIGKILL)",
            libc::SIGTERM => " (SIGTERM)",
            libc::SIGPIPE => " (SIGPIPE: wrote to a closed connection)",
            _ => "",
        };
        format!("was killed by signal {sig}{name}")
    } else {
        format!("ended: {status}")
    }
}

/// Whether a program that ended on its own crashed (a panic or a signal).
/// Whether an exit seen after the checker sent SIGTERM came from that signal.
/// A program may be dying on its own just as the stage ends (an abort closes
/// its sockets a moment before it becomes a zombie): a crash signal or a
/// panic's exit code is then the program's doing, not the checker's.
fn caused_by_stop(status: ExitStatus) -> bool {
    match status.signal() {
        Some(sig) => sig == libc::SIGTERM || sig == libc::SIGKILL,
        None => status.code() != Some(101),
    }
}

pub fn is_crash(status: ExitStatus) -> bool {
    status.code() == Some(101) || status.signal().is_some()
}

/// The last `lines` lines of `text`, at most `bytes` bytes.
fn tail(text: &str, lines: usize, bytes: usize) -> String {
    let mut start = text.len().saturating_sub(bytes);
    while !text.is_char_boundary(start) {
        start += 1;
    }
    let cut = &text[start..];
    let all: Vec<&str> = cut.lines().collect();
    let skip = all.len().saturating_sub(lines);
    let mut out = all[skip..].join("\n");
    if skip > 0 || start > 0 {
        out.insert_str(0, "[…]\n");
    }
    out
}

fn lock(c: &Mutex<Capture>) -> std::sync::MutexGuard<'_, Capture> {
    c.lock().unwrap_or_else(|e| e.into_inner())
}

/// Reads a pipe to its end, keeping the first bytes up to its cap. When
/// `announce` is given, sends it each line that starts with the prefix.
fn drain(mut pipe: impl Read, capture: &Mutex<Capture>, announce: Option<mpsc::Sender<String>>) {
    let mut buf = [0u8; 8192];
    let mut line = Vec::new();
    let mut announce = announce;
    loop {
        let n = match pipe.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        {
            let mut c = lock(capture);
            let room = c.cap.saturating_sub(c.kept.len());
            c.kept.extend_from_slice(&buf[..n.min(room)]);
            c.total += n as u64;
        }
        if let Some(tx) = announce.take() {
            let mut found = false;
            for &b in &buf[..n] {
                if b == b'\n' {
                    let text = String::from_utf8_lossy(&line);
                    if text.starts_with(ANNOUNCE_PREFIX) {
                        let _ = tx.send(text.trim_end().to_string());
                        found = true; // only the first one counts
                        break;
                    }
                    line.clear();
                } else if line.len() < LINE_CAP {
                    line.push(b);
                }
            }
            if !found {
                announce = Some(tx);
            }
        }
    }
    lock(capture).done = true;
}

/// Waits up to `timeout` for a server's `listening on` line.
pub fn await_announcement(
    rx: Receiver<String>,
    timeout: Duration,
) -> Result<String, RecvTimeoutError> {
    rx.recv_timeout(timeout)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Builds a wait status as the kernel reports it.
    fn killed_by(signal: i32) -> ExitStatus {
        ExitStatus::from_raw(signal)
    }
    fn exited_with(code: i32) -> ExitStatus {
        ExitStatus::from_raw(code << 8)
    }

    #[test]
    fn a_crash_racing_the_stop_stays_the_programs_own() {
        assert!(caused_by_stop(killed_by(libc::SIGTERM)));
        assert!(caused_by_stop(killed_by(libc::SIGKILL)));
        // A program that catches TERM and exits cleanly was stopped by us.
        assert!(caused_by_stop(exited_with(0)));
        assert!(caused_by_stop(exited_with(143)));
        // An abort, a segfault or a panic was already under way.
        assert!(!caused_by_stop(killed_by(libc::SIGABRT)));
        assert!(!caused_by_stop(killed_by(libc::SIGSEGV)));
        assert!(!caused_by_stop(exited_with(101)));
        assert!(is_crash(exited_with(101)) && !is_crash(exited_with(1)));
    }
}
