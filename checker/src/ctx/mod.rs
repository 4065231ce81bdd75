//! What a stage function works with: the lesson's programs, a transcript,
//! and helpers that start programs under the harness's control.
//!
//! - [`Ctx`]: one running stage: start servers and clients, connect;
//! - [`Finished`]: what a client program did, and checks on it;
//! - [`Gates`]: a server that never started fails the later stages fast;
//! - `announce`: the one line every server prints, read and diagnosed.
//!
//! Durations given to these helpers are timeouts *before* the time scale:
//! the helpers scale them (see [`crate::time`]). Pauses that shape traffic
//! (20 ms between bytes) are not timeouts and are never scaled.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use crate::flag::Flag;
use crate::process::{self, Input, Limits};
use crate::time;
use crate::verdict::{Failure, Outcome};
use crate::wire::{self, Conn, Transcript};

mod announce;
mod finished;
mod gates;

pub use announce::ANNOUNCE_TIMEOUT;
pub use finished::Finished;
pub use gates::Gates;

/// A server started by a stage.
#[derive(Clone)]
pub struct Server {
    pub addr: SocketAddr,
    pub pid: u32,
    pub role: &'static str,
    /// Set once the server has exited (or the stage is over): a wait for
    /// its reply can stop at once. UDP gives no other sign of a dead peer.
    pub gone: Flag,
    index: usize,
}

/// The programs a stage can start, by role id ("server", "client").
#[derive(Clone, Debug, Default)]
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

/// What one stage shares between its own threads and the watchdog.
pub struct Shared {
    pub(crate) transcript: Transcript,
    /// The programs started, or `None` once the stage is over: after that
    /// nothing more can be started.
    pub(crate) procs: Mutex<Option<Vec<process::Proc>>>,
    /// Set when the stage ends: its waits stop.
    pub(crate) over: Flag,
    /// Each peer's own stop flag, set when the stage ends too.
    pub(crate) peer_flags: Mutex<Vec<Flag>>,
    /// Set by a stage that judges one step alone (a request, say): once
    /// its checks passed, a `todo!()` the program reaches later is a step
    /// not written yet, not this stage's failure.
    pub(crate) judges_one_step: Flag,
}

impl Shared {
    /// A new stage's: nothing started yet, nothing said.
    pub fn new() -> Shared {
        Shared {
            transcript: Transcript::new(),
            procs: Mutex::new(Some(Vec::new())),
            over: Flag::default(),
            peer_flags: Mutex::new(Vec::new()),
            judges_one_step: Flag::default(),
        }
    }

    /// Ends the stage: no more programs, peers stop, every program is
    /// stopped. Returns the programs, for the report.
    pub fn close(&self) -> Closed {
        self.over.set();
        for flag in self
            .peer_flags
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
        {
            flag.set();
        }
        let mut procs = self
            .procs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
            .unwrap_or_default();
        // A program still running now is stopped by the checker: a todo!()
        // it reaches from here on (in its SIGTERM handler, say) is the
        // checker's doing, and must not hide what the stage saw it do.
        let running: Vec<bool> = procs.iter_mut().map(|p| p.running()).collect();
        for p in &procs {
            p.settle_stderr(Duration::from_millis(200));
        }
        let seen: Vec<Option<String>> = procs.iter().map(|p| p.todo()).collect();
        for p in &mut procs {
            p.stop();
        }
        let mut todo = None;
        let mut teardown_todo = None;
        for ((p, running), seen) in procs.iter().zip(running).zip(seen) {
            match (running, seen, p.todo()) {
                (true, Some(place), _) | (false, _, Some(place)) => {
                    todo = todo.or(Some(place));
                }
                (true, None, Some(place)) => teardown_todo = teardown_todo.or(Some(place)),
                _ => {}
            }
        }
        Closed {
            procs,
            todo,
            teardown_todo,
            judges_one_step: self.judges_one_step.is_set(),
        }
    }
}

/// What a stage left when it closed.
pub struct Closed {
    /// Every program it started, stopped.
    pub procs: Vec<process::Proc>,
    /// Where a program reached a `todo!()` while the stage ran (or on its
    /// own before the end).
    pub todo: Option<String>,
    /// Where a program reached one only once the checker stopped it.
    pub teardown_todo: Option<String>,
    /// The stage judged one step alone (see [`Ctx::judge_one_step`]).
    pub judges_one_step: bool,
}

impl Default for Shared {
    fn default() -> Self {
        Shared::new()
    }
}

/// Who a stage is: its id, the roles it may start, and what messages call
/// each of its lesson's roles ("server", "name server").
pub struct Cast {
    pub stage: &'static str,
    pub roles: &'static [&'static str],
    pub names: Vec<(&'static str, &'static str)>,
}

/// The context of one running stage.
pub struct Ctx {
    cast: Cast,
    bins: Arc<Binaries>,
    shared: Arc<Shared>,
    gates: Option<Arc<Gates>>,
}

impl Ctx {
    pub fn new(
        cast: Cast,
        bins: Arc<Binaries>,
        shared: Arc<Shared>,
        gates: Option<Arc<Gates>>,
    ) -> Ctx {
        Ctx {
            cast,
            bins,
            shared,
            gates,
        }
    }

    /// The transcript this stage writes to.
    pub fn transcript(&self) -> &Transcript {
        &self.shared.transcript
    }

    /// Writes a line of commentary into the transcript.
    pub fn note(&self, text: impl Into<String>) {
        self.shared.transcript.note(text);
    }

    /// This stage judges one step alone: if its checks pass, a `todo!()`
    /// the program reaches after that step (the next steps, not written
    /// yet) does not take its points away. A stub, which never gets that
    /// far, still fails as not implemented.
    pub fn judge_one_step(&self) {
        self.shared.judges_one_step.set();
    }

    /// Set when the stage is over (finished, or cancelled by its watchdog):
    /// whatever waits on its behalf should stop.
    pub fn over(&self) -> &Flag {
        &self.shared.over
    }

    /// A new stop flag for a peer: set by the peer's owner when its client
    /// is done, and by the harness when the stage ends.
    pub(crate) fn peer_flag(&self) -> Flag {
        let flag = Flag::default();
        self.shared
            .peer_flags
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(flag.clone());
        // Pushed first, checked second: a stage ending meanwhile is seen.
        if self.shared.over.is_set() {
            flag.set();
        }
        flag
    }

    /// A timeout as a program's command-line value, scaled: `"0.3"`.
    pub fn flag(&self, base: Duration) -> String {
        time::flag(time::scaled(base))
    }

    /// The name of a role in messages ("server", "name server").
    pub fn role_name(&self, role: &str) -> &'static str {
        self.cast
            .names
            .iter()
            .find(|(id, _)| *id == role)
            .map_or("program", |(_, name)| name)
    }

    fn spawn(
        &self,
        role: &str,
        args: &[String],
        input: Input,
        limits: Limits,
    ) -> Result<usize, Failure> {
        if !self.cast.roles.contains(&role) {
            return Err(Failure::checker_error(format!(
                "stage `{}` runs the {role} but does not list it in its roles",
                self.cast.stage
            )));
        }
        let path = self.bins.path(role).ok_or_else(|| {
            Failure::checker_error(format!("no program was built for the role `{role}`"))
        })?;
        let name = path
            .file_name()
            .map_or(role.to_string(), |n| n.to_string_lossy().into_owned());
        // Holding the lock while starting: once the stage is over (its list
        // is gone) nothing more can start, and nothing can slip in between.
        let mut procs = self.shared.procs.lock().unwrap_or_else(|e| e.into_inner());
        let Some(procs) = procs.as_mut() else {
            return Err(Failure::timed_out("the stage is over"));
        };
        // Noted before it starts, so that it comes before anything the
        // program makes happen.
        self.shared
            .transcript
            .note(format!("started {name} {}", args.join(" ")));
        let proc = process::Proc::spawn(&name, path, args, input, limits)
            .map_err(|e| Failure::checker_error(format!("cannot start {}: {e}", path.display())))?;
        procs.push(proc);
        Ok(procs.len() - 1)
    }

    /// Runs `f` on a program of this stage, unless the stage is over.
    fn with_proc<T>(
        &self,
        index: usize,
        f: impl FnOnce(&mut process::Proc) -> T,
    ) -> Result<T, Failure> {
        let mut procs = self.shared.procs.lock().unwrap_or_else(|e| e.into_inner());
        match procs.as_mut() {
            Some(procs) => Ok(f(&mut procs[index])),
            None => Err(Failure::timed_out("the stage is over")),
        }
    }

    /// Starts the program in `role` with `args` (the last is usually the
    /// address to bind, such as `127.0.0.1:0`) and waits for it to announce
    /// the address it listens on.
    ///
    /// In a lesson run, the first stage that starts a role finds out whether
    /// it starts at all; if it does not, the later stages say "not run: fix
    /// that stage first" at once instead of each waiting out the deadline.
    pub fn start_server(&self, role: &'static str, args: &[&str]) -> Result<Server, Failure> {
        self.start_server_with(role, args, Limits::default())
    }

    /// [`Ctx::start_server`] with resource limits set before it starts.
    pub fn start_server_with(
        &self,
        role: &'static str,
        args: &[&str],
        limits: Limits,
    ) -> Result<Server, Failure> {
        let owner = self.gates.as_ref().and_then(|g| g.owner(role));
        if let (Some(gates), Some(owner)) = (&self.gates, owner)
            && owner != self.cast.stage
        {
            gates.wait(role, self.role_name(role), &self.shared.over)?;
        }
        let (started, todo) = self.start_server_now(role, args, limits);
        if let (Some(gates), Some(owner)) = (&self.gates, owner)
            && owner == self.cast.stage
        {
            gates.resolve(role, started.is_ok(), self.cast.stage, todo);
        }
        started
    }

    /// Starts the server and awaits its announcement; on failure also says
    /// whether it stopped at a `todo!()`.
    fn start_server_now(
        &self,
        role: &'static str,
        args: &[&str],
        limits: Limits,
    ) -> (Result<Server, Failure>, Option<String>) {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let index = match self.spawn(role, &args, Input::Nothing, limits) {
            Ok(index) => index,
            Err(f) => return (Err(f), None),
        };
        // Wait without holding the lock, so the watchdog can still stop us.
        let Ok(rx) = self.with_proc(index, |p| p.take_announcement()) else {
            return (Err(Failure::timed_out("the stage is over")), None);
        };
        let timeout = time::scaled(ANNOUNCE_TIMEOUT);
        let line = process::await_announcement(rx, timeout);
        let read = self.with_proc(index, |p| {
            let addr = announce::read(p, line, timeout);
            if addr.is_err() {
                // It will not serve: stop it now, which also lets its
                // stderr drain, so that a todo!() in it is seen.
                p.stop();
            }
            (addr, p.pid(), p.todo())
        });
        let (addr, pid, todo) = match read {
            Ok(read) => read,
            Err(f) => return (Err(f), None),
        };
        let server = addr.map(|addr| {
            self.note(format!("the {} announced {addr}", self.role_name(role)));
            Server {
                addr,
                pid,
                role,
                gone: self.watch(pid),
                index,
            }
        });
        (server, todo)
    }

    /// A flag set when the process `pid` exits, or when the stage is over.
    fn watch(&self, pid: u32) -> Flag {
        let gone = Flag::default();
        let (flag, over) = (gone.clone(), self.shared.over.clone());
        thread::spawn(move || {
            while process::is_alive(pid as i32) && !over.wait(Duration::from_millis(5)) {}
            flag.set();
        });
        gone
    }

    /// Starts the server on IPv4 loopback, on a port the OS chooses.
    pub fn start_server_ipv4(&self, role: &'static str) -> Result<Server, Failure> {
        self.start_server(role, &["127.0.0.1:0"])
    }

    /// Starts the server on IPv6 loopback (`[::1]:0`) and checks that it
    /// announced an IPv6 address. Skipped where the machine has no IPv6.
    pub fn start_server_ipv6(&self, role: &'static str) -> Result<Server, Failure> {
        if !wire::has_ipv6_loopback() {
            return Err(Failure::skipped(
                "this machine has no IPv6 loopback, so the stage cannot run",
            ));
        }
        let server = self.start_server(role, &["[::1]:0"])?;
        if !server.addr.is_ipv6() {
            return Err(Failure::failed(format!(
                "asked to listen on [::1]:0, the {} announced an IPv4 address",
                self.role_name(role)
            ))
            .expected("[::1]:PORT")
            .got(server.addr.to_string()));
        }
        Ok(server)
    }

    /// Whether the server has exited (checked without waiting).
    pub fn has_exited(&self, server: &Server) -> bool {
        self.with_proc(server.index, |p| !p.running())
            .unwrap_or(true)
    }

    /// How many bytes the server has written to stderr so far.
    pub fn stderr_bytes(&self, server: &Server) -> u64 {
        self.with_proc(server.index, |p| p.stderr_total())
            .unwrap_or(0)
    }

    /// Fails if the server has exited: a server must survive its clients.
    pub fn check_alive(&self, server: &Server) -> Outcome {
        let who = self.role_name(server.role);
        self.with_proc(server.index, |p| {
            if p.running() {
                Ok(())
            } else {
                let how = p.how_it_ended();
                Err(Failure::crashed(format!(
                    "the {who} {how}; it should keep serving after any client, however it behaves"
                )))
            }
        })?
    }

    /// Starts the server on IPv4 loopback and connects a client to it:
    /// where most server stages begin.
    pub fn start_and_connect(&self, role: &'static str) -> Result<(Server, Conn), Failure> {
        let server = self.start_server_ipv4(role)?;
        let client = self.connect(&server, "client")?;
        Ok((server, client))
    }

    /// Opens a TCP connection to `server`, named `name` in the transcript.
    pub fn connect(&self, server: &Server, name: &str) -> Result<Conn, Failure> {
        Conn::connect(self.transcript(), name, server.addr)
    }

    /// Runs the program in `role` to completion, feeding it `input` on
    /// stdin, and stops it if it runs past `timeout` (scaled). Peers the
    /// stage started keep serving it meanwhile, on their own threads.
    pub fn run_client(
        &self,
        role: &'static str,
        args: &[&str],
        input: Input,
        timeout: Duration,
    ) -> Result<Finished, Failure> {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let index = self.spawn(role, &args, input, Limits::default())?;
        let timeout = time::scaled(timeout);
        let deadline = Instant::now() + timeout;
        // Poll without holding the lock for long.
        let status = loop {
            if let Some(status) = self.with_proc(index, |p| p.wait(Duration::ZERO))? {
                break status;
            }
            if Instant::now() >= deadline {
                let name = self.with_proc(index, |p| {
                    p.stop();
                    p.name().to_string()
                })?;
                return Err(Failure::timed_out(format!(
                    "{name} was still running after {}, so the checker stopped it",
                    time::say(timeout)
                )));
            }
            thread::sleep(Duration::from_millis(2));
        };
        let who = self.role_name(role);
        let finished = self.with_proc(index, |p| {
            // Let the output pipes drain before reading them.
            p.stop();
            let (stdout, stdout_total) = p.stdout();
            Finished {
                who,
                code: status.code(),
                how: process::describe_status(status),
                crashed: process::is_crash(status),
                stdout,
                stdout_total,
                stderr: p.stderr(),
            }
        })?;
        self.note(format!("the {who} {}", finished.how));
        Ok(finished)
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
                    h.join()
                        .unwrap_or_else(|_| Err(Failure::checker_error("a client thread panicked")))
                })
                .collect()
        });
        let failed = results.iter().filter(|r| r.is_err()).count();
        match results.into_iter().find_map(Result::err) {
            None => Ok(()),
            Some(first) => Err(first.context(format!(
                "{failed} of {n} clients at once were not served. The first: "
            ))),
        }
    }
}
