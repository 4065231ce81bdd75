//! Starting a program under test ([`Proc`]): in a session (and process
//! group) of its own, marked, with its output captured; and stopping it,
//! group and strays together.

use std::io::Write;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

use crate::{platform, sandbox};

use super::capture::{Capture, STDERR_HEAD, STDERR_TAIL, STDOUT_CAP, drain, lock, tail};
use super::exit::{Exit, ProgramReport, caused_by_stop, describe_status};
use super::registry::{
    LIVE_GROUPS, Strays, kill_strays, live_members, marked, signal_group, wait_until_gone,
};

/// After SIGTERM, how long a group gets before SIGKILL.
const TERM_GRACE: Duration = Duration::from_millis(300);

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

/// Starts what `cmd` runs in a session of its own, and so a process group
/// of its own (its id is the group's): a signal to the group reaches
/// whatever it forks, and nothing it starts can join the checker's own
/// group (a process may only join a group of its own session).
pub fn own_session(cmd: &mut Command) {
    // SAFETY: setsid is async-signal-safe, as pre_exec requires.
    unsafe {
        cmd.pre_exec(|| {
            if libc::setsid() < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
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
    /// A second handle on the stderr pipe, to ask how much is still
    /// unread in it.
    stderr_probe: Option<OwnedFd>,
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
    /// Starts `path` with `args` in a new session.
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
            .env("NO_COLOR", "1");
        own_session(&mut cmd);
        // If the checker dies without cleaning up, the kernel kills it.
        platform::die_with_parent(&mut cmd, libc::SIGKILL);
        // The sandbox's limits first: a stage's own (fewer open files)
        // come after, and win.
        if let Some(dir) = sandbox::workdir() {
            cmd.current_dir(dir);
            sandbox::reveal(path);
            sandbox::limit(&mut cmd, sandbox::PROGRAM, dir);
        } else {
            sandbox::limit(&mut cmd, sandbox::PROGRAM, Path::new("/tmp"));
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
        let stderr_probe = err_pipe.as_fd().try_clone_to_owned().ok();
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
            stderr_probe,
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
        // Those that also cleared their environment: found as orphans the
        // checker adopted (in the sandbox), most likely this program's.
        self.group_at_stop += kill_strays(Strays::Unaccounted);
        LIVE_GROUPS
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&self.pgid);
    }

    /// How it ended, in words ("exited with code 1"); empty while it runs.
    pub fn how_it_ended(&self) -> String {
        self.ended
            .map(|(s, _)| describe_status(s))
            .unwrap_or_default()
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

    /// Waits until nothing has come on stderr for a moment (at most
    /// `max`), so that a panic the program printed just now has been read.
    pub fn settle_stderr(&self, max: Duration) {
        let Some(probe) = &self.stderr_probe else {
            return;
        };
        let deadline = Instant::now() + max;
        // Settled: nothing waits in the pipe, and what was read last has
        // been looked at (the count holds still for a moment).
        while Instant::now() < deadline {
            if platform::bytes_waiting(probe.as_raw_fd()) == 0 {
                let seen = lock(&self.stderr).total;
                thread::sleep(Duration::from_millis(5));
                if platform::bytes_waiting(probe.as_raw_fd()) == 0
                    && lock(&self.stderr).total == seen
                {
                    return;
                }
            } else {
                thread::sleep(Duration::from_millis(1));
            }
        }
    }

    /// Where the program reached a `todo!()`, if it did.
    pub fn todo(&self) -> Option<String> {
        lock(&self.stderr).todo.clone()
    }

    /// What came on stdout, in a line for a failure's "got".
    pub fn stdout_summary(&self) -> String {
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
