//! Starting the programs under test, watching their output, and making sure
//! they die.
//!
//! Every program runs in a process group of its own, so that one signal to
//! the group reaches it and any child it forked. Groups still alive are kept
//! in a registry, so that Ctrl-C (see [`kill_everything`]) can end them all.
//!
//! Programs are started by one long-lived thread, the spawner: Linux's
//! "kill me when my parent dies" (`PR_SET_PDEATHSIG`) fires when the
//! *thread* that forked the program ends, so a program forked from a
//! stage's short-lived helper thread would otherwise die early.

use std::collections::{BTreeSet, VecDeque};
use std::io::{Read, Write};
use std::net::SocketAddr;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::stage::Failure;
use crate::time;

/// How much of a program's stdout the checker keeps: a client's output is
/// what is graded, and the largest a stage checks is 16 MiB, so 32 MiB. The
/// rest is read and thrown away, so that a program that floods its output
/// never blocks on a full pipe, and never fills the checker's memory.
pub const STDOUT_CAP: usize = 32 << 20;
/// Of stderr the checker keeps the first 256 KiB and the last 64 KiB: the
/// start says how the program began, the end how it died. A `todo!()` panic
/// is noticed wherever it appears, even in the part that is not kept.
pub const STDERR_HEAD: usize = 256 << 10;
pub const STDERR_TAIL: usize = 64 << 10;
/// The longest output line looked at (for the announcement and panics).
const LINE_CAP: usize = 4096;
/// After SIGTERM, how long a group gets before SIGKILL.
const TERM_GRACE: Duration = Duration::from_millis(300);
/// The prefix of the line a server prints once it listens.
pub const ANNOUNCE_PREFIX: &str = "listening on ";
/// A server's base deadline for printing `listening on ADDRESS`.
pub const ANNOUNCE_TIMEOUT: Duration = Duration::from_secs(5);

/// Process groups started and not yet reaped, for [`kill_everything`].
static LIVE_GROUPS: Mutex<BTreeSet<i32>> = Mutex::new(BTreeSet::new());

/// Kills every process group the checker started and has not reaped yet.
/// Called on Ctrl-C and when the checker's main thread panics; safe to call
/// twice.
pub fn kill_everything() {
    // Under the lock, so that no child checker is tracked after the list
    // below is taken.
    {
        let _groups = POLITE_GROUPS.lock().unwrap_or_else(|e| e.into_inner());
        STOPPING.store(true, std::sync::atomic::Ordering::SeqCst);
    }
    let polite: Vec<i32> = POLITE_GROUPS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .copied()
        .collect();
    for pgid in polite {
        stop_group_politely(pgid);
    }
    let groups = LIVE_GROUPS.lock().unwrap_or_else(|e| e.into_inner());
    for &pgid in groups.iter() {
        signal_group(pgid, libc::SIGKILL);
    }
    for &pgid in groups.iter() {
        wait_until_gone(pgid);
    }
}

/// Puts a process group started elsewhere (the build) among those that
/// [`kill_everything`] stops, until [`forget_group`].
pub fn track_group(pgid: i32) {
    LIVE_GROUPS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(pgid);
}

/// Kills a whole group at once.
pub fn kill_group(pgid: i32) {
    signal_group(pgid, libc::SIGKILL);
}

pub fn forget_group(pgid: i32) {
    LIVE_GROUPS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .remove(&pgid);
}

/// Groups of child checkers (`cargo grade class`): asked to stop first
/// (SIGTERM, which they answer by stopping everything they started), and
/// killed only if they do not.
static POLITE_GROUPS: Mutex<BTreeSet<i32>> = Mutex::new(BTreeSet::new());

/// Set once the checker is stopping everything (Ctrl-C): nothing new may
/// start after that.
static STOPPING: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

pub fn stopping() -> bool {
    STOPPING.load(std::sync::atomic::Ordering::SeqCst)
}

/// Tracks a child checker's group; false (and the group is stopped at
/// once) when the checker is already stopping everything.
pub fn track_group_politely(pgid: i32) -> bool {
    let mut groups = POLITE_GROUPS.lock().unwrap_or_else(|e| e.into_inner());
    if stopping() {
        drop(groups);
        stop_group_politely(pgid);
        return false;
    }
    groups.insert(pgid);
    true
}

/// Asks the group to stop, waits a little, then kills what is left.
pub fn stop_group_politely(pgid: i32) {
    signal_group(pgid, libc::SIGTERM);
    let deadline = Instant::now() + Duration::from_secs(3);
    while !live_members(pgid).is_empty() && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(10));
    }
    signal_group(pgid, libc::SIGKILL);
    wait_until_gone(pgid);
    POLITE_GROUPS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .remove(&pgid);
}

/// How many groups are alive: for tests that check nothing is left.
pub fn live_group_count() -> usize {
    LIVE_GROUPS.lock().unwrap_or_else(|e| e.into_inner()).len()
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

/// The live processes (not zombies) whose environment holds `KEY=VALUE`:
/// a test marks what it starts with a variable every descendant inherits,
/// then checks that none of them is left.
pub fn marked(key: &str, value: &str) -> Vec<i32> {
    let needle = format!("{key}={value}");
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter(|&pid| {
            let env = std::fs::read(format!("/proc/{pid}/environ")).unwrap_or_default();
            env.split(|&b| b == 0).any(|v| v == needle.as_bytes()) && is_alive(pid)
        })
        .collect()
}

/// Whether a process (not a zombie) with this pid exists. Without /proc
/// (macOS) a zombie counts as alive until it is reaped.
pub fn is_alive(pid: i32) -> bool {
    if cfg!(target_os = "linux") {
        matches!(proc_stat(pid), Some((state, _)) if state != 'Z' && state != 'X')
    } else {
        // SAFETY: signal 0 checks that the process exists; nothing is sent.
        unsafe { libc::kill(pid, 0) == 0 }
    }
}

/// The CPU time a process has used so far, user and system, in seconds
/// (/proc/PID/stat); `None` where there is no /proc.
pub fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 2..];
    // Fields 14 and 15 of the line (utime, stime), counted after the name.
    let mut fields = rest.split_whitespace().skip(11);
    let user: u64 = fields.next()?.parse().ok()?;
    let system: u64 = fields.next()?.parse().ok()?;
    // SAFETY: sysconf has no memory effects.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    (ticks > 0).then(|| (user + system) as f64 / ticks as f64)
}

/// The peak resident memory of a process in KiB (VmHWM, the "high water
/// mark", in /proc/PID/status): it catches a brief spike too.
pub fn peak_resident_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Output captured from one pipe: the first `head` bytes, the last `tail`
/// bytes, how many came in all, and what was noticed in passing.
struct Capture {
    head: Vec<u8>,
    head_cap: usize,
    tail: VecDeque<u8>,
    tail_cap: usize,
    total: u64,
    done: bool,
    /// The place of the last "panicked at FILE:LINE:COL" line seen.
    panicked_at: Option<String>,
    /// Set when a `todo!()` panic went by: where it was.
    todo: Option<String>,
}

impl Capture {
    fn new(head_cap: usize, tail_cap: usize) -> Arc<Mutex<Capture>> {
        Arc::new(Mutex::new(Capture {
            head: Vec::new(),
            head_cap,
            tail: VecDeque::new(),
            tail_cap,
            total: 0,
            done: false,
            panicked_at: None,
            todo: None,
        }))
    }

    fn keep(&mut self, bytes: &[u8]) {
        let room = self.head_cap.saturating_sub(self.head.len());
        let (to_head, rest) = bytes.split_at(bytes.len().min(room));
        self.head.extend_from_slice(to_head);
        if self.tail_cap > 0 {
            self.tail.extend(rest);
            let over = self.tail.len().saturating_sub(self.tail_cap);
            self.tail.drain(..over);
        }
        self.total += bytes.len() as u64;
    }

    /// Looks at one whole line of stderr for a panic and a `todo!()`.
    fn scan(&mut self, line: &str) {
        if let Some(i) = line.find("panicked at ") {
            let place = line[i + "panicked at ".len()..]
                .trim()
                .trim_end_matches(':');
            self.panicked_at = Some(place.to_string());
        } else if line.starts_with("not yet implemented") && self.todo.is_none() {
            self.todo = Some(match &self.panicked_at {
                Some(place) => format!("the program reached the todo!() at {place}"),
                None => "the program reached a todo!()".to_string(),
            });
        }
    }

    /// What was kept, with a marker where the middle was left out.
    fn text(&self) -> Vec<u8> {
        let mut out = self.head.clone();
        let left_out = self.total - (self.head.len() + self.tail.len()) as u64;
        if left_out > 0 {
            out.extend_from_slice(format!("\n[… {left_out} bytes left out …]\n").as_bytes());
        }
        out.extend(self.tail.iter());
        out
    }
}

/// What the checker feeds a program on stdin.
pub enum Input {
    /// Nothing: stdin is at end of file at once.
    Nothing,
    /// These bytes, then end of file.
    Bytes(Vec<u8>),
}

/// Resource limits set on a program before it starts (rlimits, set in the
/// child between fork and exec, so they bind the program alone).
#[derive(Clone, Copy, Debug, Default)]
pub struct Limits {
    /// RLIMIT_NOFILE: how many file descriptors it may hold at once.
    pub open_files: Option<u64>,
}

/// A request to the spawner thread.
struct SpawnRequest {
    cmd: Command,
    reply: Sender<std::io::Result<Child>>,
}

/// The spawner thread's mailbox; the thread lives as long as the checker.
fn spawner() -> &'static Mutex<Sender<SpawnRequest>> {
    static SPAWNER: OnceLock<Mutex<Sender<SpawnRequest>>> = OnceLock::new();
    SPAWNER.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<SpawnRequest>();
        thread::Builder::new()
            .name("spawner".into())
            .spawn(move || {
                for mut request in rx {
                    // Register the group before anything else can happen, so
                    // that Ctrl-C finds it.
                    let mut groups = LIVE_GROUPS.lock().unwrap_or_else(|e| e.into_inner());
                    let child = request.cmd.spawn();
                    if let Ok(child) = &child {
                        groups.insert(child.id() as i32);
                    }
                    drop(groups);
                    let _ = request.reply.send(child);
                }
            })
            .expect("the checker can start its spawner thread");
        Mutex::new(tx)
    })
}

/// Starts `cmd` on the spawner thread.
fn spawn_from_spawner(cmd: Command) -> std::io::Result<Child> {
    let (reply, answer) = mpsc::channel();
    spawner()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .send(SpawnRequest { cmd, reply })
        .map_err(|_| std::io::Error::other("the spawner thread is gone"))?;
    answer
        .recv()
        .map_err(|_| std::io::Error::other("the spawner thread did not answer"))?
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
    /// How many processes its group held when the checker stopped it.
    group_at_stop: usize,
    /// The value of [`MARK`] in its environment, and its descendants'.
    mark: String,
}

/// Every program the checker starts gets this variable, with a value of
/// its own, and its descendants inherit it: a process that leaves the
/// group (setsid, as a daemon does) is still found, and killed, by it.
pub const MARK: &str = "CHECKER_PROGRAM";

static NEXT_MARK: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

impl Proc {
    /// Starts `path` with `args` in a new process group.
    pub fn spawn(
        name: &str,
        path: &Path,
        args: &[String],
        input: Input,
        limits: Limits,
    ) -> std::io::Result<Proc> {
        let mark = format!(
            "{}-{}",
            std::process::id(),
            NEXT_MARK.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
        );
        let mut cmd = Command::new(path);
        cmd.args(args)
            .stdin(match input {
                Input::Nothing => Stdio::null(),
                Input::Bytes(_) => Stdio::piped(),
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .env("RUST_BACKTRACE", "0")
            .env(MARK, &mark)
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
        // The sandbox's limits first: a stage's own (fewer open files)
        // come after, and win.
        crate::sandbox::limit(&mut cmd, crate::sandbox::PROGRAM);
        if let Some(dir) = crate::sandbox::workdir() {
            cmd.current_dir(dir);
        }
        if let Some(n) = limits.open_files {
            // SAFETY: setrlimit is async-signal-safe, as pre_exec requires.
            unsafe {
                cmd.pre_exec(move || {
                    let limit = libc::rlimit {
                        rlim_cur: n as libc::rlim_t,
                        rlim_max: n as libc::rlim_t,
                    };
                    if libc::setrlimit(libc::RLIMIT_NOFILE, &limit) != 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                    Ok(())
                });
            }
        }
        let mut child = spawn_from_spawner(cmd)?;
        let pgid = child.id() as i32;

        if let (Input::Bytes(bytes), Some(mut stdin)) = (input, child.stdin.take()) {
            thread::spawn(move || {
                // The program may exit without reading: that is its business.
                let _ = stdin.write_all(&bytes);
            });
        }
        let (tx, rx) = mpsc::channel();
        let stdout = Capture::new(STDOUT_CAP, 0);
        let stderr = Capture::new(STDERR_HEAD, STDERR_TAIL);
        let out_pipe = child.stdout.take().expect("stdout is piped");
        let err_pipe = child.stderr.take().expect("stderr is piped");
        let out_capture = Arc::clone(&stdout);
        thread::spawn(move || drain(out_pipe, &out_capture, Some(tx), false));
        let err_capture = Arc::clone(&stderr);
        thread::spawn(move || drain(err_pipe, &err_capture, None, true));
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
            group_at_stop: 0,
            mark,
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

    /// Hands out the channel on which the announcement line arrives.
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
        let expected = format!("a line `{ANNOUNCE_PREFIX}127.0.0.1:PORT` on stdout");
        let line = match line {
            Ok(line) => line,
            Err(RecvTimeoutError::Disconnected) => {
                // stdout closed without the line: the program has exited (or
                // closed stdout, which is as bad). Give it a moment to exit.
                let how = match self.wait(time::scaled(Duration::from_secs(1))) {
                    Some(status) => describe_status(status),
                    None => "closed its stdout".to_string(),
                };
                return Err(Failure::failed(format!(
                    "{} {how} before printing `{ANNOUNCE_PREFIX}ADDRESS`",
                    self.name
                ))
                .expected(expected)
                .got(self.stdout_summary()));
            }
            Err(RecvTimeoutError::Timeout) => {
                return Err(Failure::timed_out(format!(
                    "{} printed no `{ANNOUNCE_PREFIX}ADDRESS` line within {}",
                    self.name,
                    time::say(timeout)
                ))
                .expected(expected)
                .got(self.stdout_summary())
                .hint("print the line right after bind() succeeds, with println! (it ends the line, which flushes stdout)"));
            }
        };
        let Some(text) = line.strip_prefix(ANNOUNCE_PREFIX) else {
            return Err(Failure::failed(format!(
                "{} announced its address in a form the checker cannot read",
                self.name
            ))
            .expected(format!("a line that starts with exactly `{ANNOUNCE_PREFIX}`, such as `{ANNOUNCE_PREFIX}127.0.0.1:40123`"))
            .got(crate::wire::escape(line.as_bytes()))
            .hint(format!("print exactly `{ANNOUNCE_PREFIX}` and the address the listener got: println!(\"{ANNOUNCE_PREFIX}{{}}\", addr), with addr from listener.local_addr()")));
        };
        let addr: SocketAddr = text.trim().parse().map_err(|_| {
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
            thread::sleep(Duration::from_millis(2));
        }
    }

    /// Whether the program is still running.
    pub fn running(&mut self) -> bool {
        self.wait(Duration::ZERO).is_none()
    }

    /// Ends the program and every process in its group: SIGTERM, a short
    /// grace, then SIGKILL. Then waits (briefly) for its output to drain.
    pub fn stop(&mut self) {
        if self.ended.is_none() && self.group_at_stop == 0 {
            self.group_at_stop = live_members(self.pgid).len();
        }
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
                    thread::sleep(Duration::from_millis(2));
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
            thread::sleep(Duration::from_millis(1));
        }
    }

    /// Kills whatever the program left behind in its group (a forked child
    /// that outlived it), and forgets the group.
    fn reap_group(&mut self) {
        signal_group(self.pgid, libc::SIGKILL);
        wait_until_gone(self.pgid);
        // Those that left the group: found by their mark, killed until
        // none is left (one may fork while it is being killed).
        for _ in 0..20 {
            let escaped = marked(MARK, &self.mark);
            if escaped.is_empty() {
                break;
            }
            self.group_at_stop += escaped.len();
            for pid in escaped {
                // SAFETY: kill(2) has no memory effects.
                unsafe { libc::kill(pid, libc::SIGKILL) };
            }
            thread::sleep(Duration::from_millis(5));
        }
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
        (c.head.clone(), c.total)
    }

    /// What was kept of stderr (its head and its tail), as text.
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&lock(&self.stderr).text()).into_owned()
    }

    /// How many bytes the program has written to stderr so far.
    pub fn stderr_total(&self) -> u64 {
        lock(&self.stderr).total
    }

    /// Where the program reached a `todo!()`, if it did.
    pub fn todo(&self) -> Option<String> {
        lock(&self.stderr).todo.clone()
    }

    fn stdout_summary(&self) -> String {
        let c = lock(&self.stdout);
        if c.total == 0 {
            return "nothing on stdout".into();
        }
        let shown = &c.head[..c.head.len().min(200)];
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
            exit: self.ended.map(|(s, by_checker)| Exit {
                code: s.code(),
                signal: s.signal(),
                stopped_by_checker: by_checker,
                said: if by_checker {
                    "was stopped by the checker".to_string()
                } else {
                    describe_status(s)
                },
            }),
            seconds: self.started.elapsed().as_secs_f64(),
            stderr_tail: tail(&stderr, 40, 4000),
            stderr_bytes: lock(&self.stderr).total,
            stdout_bytes: lock(&self.stdout).total,
            processes_at_stop: self.group_at_stop,
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
    /// How it ended; `None` if it was still running (it is stopped
    /// after the report is made).
    pub exit: Option<Exit>,
    pub seconds: f64,
    /// The end of its stderr (the last lines, at most a few KiB).
    pub stderr_tail: String,
    pub stderr_bytes: u64,
    pub stdout_bytes: u64,
    /// How many processes its group held when the checker stopped it (0
    /// when it had ended on its own): a program that forks without end
    /// shows here.
    pub processes_at_stop: usize,
}

/// How a program ended, as data.
#[derive(Clone, Debug, Serialize)]
pub struct Exit {
    /// Its exit code, if it exited.
    pub code: Option<i32>,
    /// The signal that ended it, if one did.
    pub signal: Option<i32>,
    /// The checker ended it (the stage was over), rather than the program
    /// ending on its own.
    pub stopped_by_checker: bool,
    /// The same in words: "exited with code 1", "was stopped by the checker".
    pub said: String,
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
            libc::SIGXCPU => " (SIGXCPU: it used up its CPU time limit)",
            libc::SIGXFSZ => " (SIGXFSZ: it wrote a file over the size limit)",
            libc::SIGPIPE => " (SIGPIPE: wrote to a closed connection)",
            _ => "",
        };
        format!("was killed by signal {sig}{name}")
    } else {
        format!("ended: {status}")
    }
}

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

/// Whether a program that ended on its own crashed (a panic or a signal).
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

fn lock(c: &Mutex<Capture>) -> MutexGuard<'_, Capture> {
    c.lock().unwrap_or_else(|e| e.into_inner())
}

/// Reads a pipe to its end, keeping what its capture keeps; with `scan`
/// (stderr), looks at each line for panics. When `announce` is given
/// (stdout), sends it the first line that speaks of listening, so that a
/// wrongly worded announcement is diagnosed at once, not after a timeout.
fn drain(
    mut pipe: impl Read,
    capture: &Mutex<Capture>,
    announce: Option<Sender<String>>,
    scan: bool,
) {
    let mut buf = [0u8; 8192];
    let mut line = Vec::new();
    let mut announce = announce;
    loop {
        let n = match pipe.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let mut c = lock(capture);
        c.keep(&buf[..n]);
        for &b in &buf[..n] {
            if b != b'\n' {
                if line.len() < LINE_CAP {
                    line.push(b);
                }
                continue;
            }
            let text = String::from_utf8_lossy(&line).into_owned();
            line.clear();
            if scan {
                c.scan(&text);
            }
            if announce.is_some()
                && (text.starts_with(ANNOUNCE_PREFIX) || text.to_lowercase().contains("listening"))
            {
                // Only the first such line counts.
                if let Some(tx) = announce.take() {
                    let _ = tx.send(text.trim_end().to_string());
                }
            }
        }
    }
    lock(capture).done = true;
}

/// Waits up to `timeout` for a server's announcement line.
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

    #[test]
    fn stderr_keeps_head_and_tail_and_finds_a_todo_in_between() {
        let c = Capture::new(16, 16);
        let mut c = c.lock().unwrap();
        c.keep(b"0123456789abcdefMIDDLE-PART-LOST-0123456789abcdef");
        let text = String::from_utf8(c.text()).unwrap();
        assert!(
            text.starts_with("0123456789abcdef\n[… 17 bytes left out …]\n"),
            "{text}"
        );
        assert!(text.ends_with("0123456789abcdef"), "{text}");
        c.scan("thread 'main' (4242) panicked at lessons/echo/src/bin/server.rs:39:5:");
        c.scan("not yet implemented: bind");
        assert_eq!(
            c.todo.as_deref(),
            Some("the program reached the todo!() at lessons/echo/src/bin/server.rs:39:5")
        );
        let mut other = Capture::new(16, 16);
        let other = Arc::get_mut(&mut other).unwrap().get_mut().unwrap();
        other.scan("thread 'main' panicked at src/main.rs:1:1:");
        other.scan("index out of bounds");
        assert_eq!(other.todo, None);
    }
}
