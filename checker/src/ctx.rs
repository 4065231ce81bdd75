//! What a stage function works with: the lesson's programs, a transcript,
//! and helpers that start programs under the harness's control.
//!
//! Durations given to these helpers are timeouts *before* the time scale:
//! the helpers scale them (see [`crate::time`]). Pauses that shape traffic
//! (20 ms between bytes) are not timeouts and are never scaled.

use std::net::SocketAddr;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use crate::lessons::Lesson;
use crate::process::{self, ANNOUNCE_TIMEOUT, Input, Limits};
use crate::run::Gates;
use crate::stage::{Binaries, Failure, Flag, Outcome, Shared, Stage};
use crate::time;
use crate::wire::{self, Conn, Transcript};

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

/// What a client program did.
#[derive(Debug)]
pub struct Finished {
    /// The role's name, for messages ("client").
    pub who: &'static str,
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
    /// The program must have exited with code 0.
    pub fn expect_success(&self) -> Outcome {
        if self.code == Some(0) {
            return Ok(());
        }
        let f = if self.crashed {
            Failure::crashed(format!("the {} {}", self.who, self.how))
        } else {
            Failure::failed(format!("the {} {}", self.who, self.how))
        };
        Err(f
            .expected("exit code 0")
            .got(format!("stderr: {}", one_line_or_count(&self.stderr))))
    }

    /// The program must fail cleanly: non-zero exit, no panic, and exactly
    /// one line on stderr that says what went wrong.
    pub fn expect_one_line_error(&self) -> Outcome {
        let expected = "exit code 1 and one line on stderr that says what went wrong";
        let who = self.who;
        if self.crashed {
            return Err(Failure::crashed(format!("the {who} {} instead of reporting the error", self.how))
                .expected(expected)
                .got(format!("stderr: {}", one_line_or_count(&self.stderr)))
                .hint("no unwrap() or expect() on network results: return the error and let main print it"));
        }
        if self.code == Some(0) {
            return Err(Failure::failed(format!(
                "the {who} exited with code 0, as if all went well"
            ))
            .expected(expected)
            .got(format!("exit code 0, stdout {}", wire::show(&self.stdout))));
        }
        let lines = self.stderr.lines().filter(|l| !l.trim().is_empty()).count();
        if lines != 1 {
            return Err(Failure::failed(format!(
                "the {who} {} but printed {lines} lines on stderr",
                self.how
            ))
            .expected(expected)
            .got(format!("stderr: {}", wire::quote_text(&self.stderr))));
        }
        Ok(())
    }
}

impl Finished {
    /// The program must exit with `code` and print exactly `stdout`;
    /// `what` says what it was asked ("query www.example.test").
    pub fn expect_exit(&self, what: &str, code: i32, stdout: &[u8]) -> Outcome {
        let who = self.who;
        if self.crashed {
            return Err(Failure::crashed(format!("{what}: the {who} {}", self.how))
                .got(format!("stderr: {}", wire::quote_text(self.stderr.trim()))));
        }
        if self.code != Some(code) {
            return Err(Failure::failed(format!(
                "{what}: the {who} {}, not with code {code}",
                self.how
            ))
            .expected(format!("exit code {code}, stdout {}", wire::show(stdout)))
            .got(format!(
                "stdout {}, stderr {}",
                wire::show(&self.stdout),
                wire::quote_text(self.stderr.trim())
            )));
        }
        wire::compare(&format!("{what}: what it printed"), stdout, &self.stdout)
    }

    /// [`Finished::expect_one_line_error`], and the line must say `word`
    /// (such as "refused"): failing for some other reason is not enough.
    pub fn expect_error_saying(&self, word: &str) -> Outcome {
        self.expect_one_line_error()?;
        if self.stderr.to_lowercase().contains(word) {
            return Ok(());
        }
        Err(Failure::failed(format!(
            "the {} failed, but did not say that the connection was {word}",
            self.who
        ))
        .expected(format!("one line on stderr that says `{word}`"))
        .got(format!("stderr: {}", wire::quote_text(self.stderr.trim())))
        .hint("print the error itself: the io::Error's text names what happened"))
    }
}

fn one_line_or_count(text: &str) -> String {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    match lines.as_slice() {
        [] => "(empty)".into(),
        [one] => wire::quote_text(one),
        [first, ..] => format!(
            "{} (and {} more lines)",
            wire::quote_text(first),
            lines.len() - 1
        ),
    }
}

/// The context of one running stage.
pub struct Ctx {
    lesson: &'static Lesson,
    stage: &'static Stage,
    bins: Arc<Binaries>,
    shared: Arc<Shared>,
    gates: Option<Arc<Gates>>,
}

impl Ctx {
    pub(crate) fn new(
        lesson: &'static Lesson,
        stage: &'static Stage,
        bins: Arc<Binaries>,
        shared: Arc<Shared>,
        gates: Option<Arc<Gates>>,
    ) -> Ctx {
        Ctx {
            lesson,
            stage,
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
        self.lesson.role(role).map_or("program", |r| r.name)
    }

    fn spawn(
        &self,
        role: &str,
        args: &[String],
        input: Input,
        limits: Limits,
    ) -> Result<usize, Failure> {
        if !self.stage.roles.contains(&role) {
            return Err(Failure::checker_error(format!(
                "stage `{}` runs the {role} but does not list it in its roles",
                self.stage.id
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
            && owner != self.stage.id
        {
            gates.wait(role, self.role_name(role), &self.shared.over)?;
        }
        let (started, todo) = self.start_server_now(role, args, limits);
        if let (Some(gates), Some(owner)) = (&self.gates, owner)
            && owner == self.stage.id
        {
            gates.resolve(role, started.is_ok(), self.stage.id, todo);
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
            let addr = p.read_announcement(line, timeout);
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
                let how = p
                    .ended()
                    .map(|(s, _)| process::describe_status(s))
                    .unwrap_or_default();
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

    /// One client connects and sits idle; then `n` clients connect at once
    /// and each runs `exchange`; then the idle one runs it too. A server
    /// that serves one client at a time fails here: the idle client blocks
    /// it. The transcript keeps the idle client and the first client only.
    pub fn idle_then_many(
        &self,
        server: &Server,
        n: usize,
        exchange: impl Fn(&mut Conn) -> Outcome + Sync,
    ) -> Outcome {
        let mut idle = self.connect(server, "idle client")?;
        self.note(format!(
            "the idle client sends nothing yet and keeps its connection open; {n} clients connect at once"
        ));
        let quiet = Transcript::new();
        self.all_at_once(n, |i| {
            let log = if i == 1 { self.transcript() } else { &quiet };
            let mut conn = Conn::connect(log, &format!("client {i}"), server.addr)?;
            exchange(&mut conn)
        })?;
        self.note(format!("all {n} clients were served"));
        exchange(&mut idle)
    }

    /// The cap on clients: `cap` clients are served (`ask` then `answer`)
    /// and stay connected; one more connects and `ask`s. It must not be
    /// served yet, nor closed: it waits in the kernel's queue. When one of
    /// the others leaves, it must be served (`answer`) at once.
    pub fn past_the_cap(
        &self,
        server: &Server,
        cap: usize,
        ask: impl Fn(&mut Conn) -> Outcome,
        answer: impl Fn(&mut Conn) -> Outcome,
    ) -> Outcome {
        let mut held = Vec::new();
        for i in 1..=cap {
            let mut conn = self.connect(server, &format!("client {i}"))?;
            ask(&mut conn)
                .and_then(|()| answer(&mut conn))
                .map_err(|f| {
                    f.context(format!("below the cap, client {i} was not served: "))
                        .hint("serve each client on a thread of its own: the clients before it are still connected")
                })?;
            held.push(conn);
        }
        self.note(format!(
            "{cap} clients are connected and served: the cap is reached"
        ));
        let mut next = self.connect(server, &format!("client {}", cap + 1))?;
        ask(&mut next)?;
        let wait = Duration::from_millis(200);
        match next.recv_some(4096, wait) {
            Err(e) if wire::is_timeout(&e) => {
                self.note(format!(
                    "client {} got no answer for {}ms: it waits, as it should",
                    cap + 1,
                    wait.as_millis()
                ));
            }
            Ok(bytes) if !bytes.is_empty() => {
                self.transcript().received(next.name(), &bytes);
                return Err(Failure::failed(format!(
                    "the {} served client {} while {cap} others were connected: the cap of {cap} was ignored",
                    self.role_name(server.role),
                    cap + 1
                ))
                .hint("take a slot before each accept (Slots::acquire): at the cap, stop accepting until a client leaves"));
            }
            _ => {
                return Err(Failure::failed(format!(
                    "the {} closed the connection of client {}, past the cap",
                    self.role_name(server.role),
                    cap + 1
                ))
                .expected("the client to wait in the kernel's queue until a slot frees")
                .got("the connection closed at once")
                .hint("don't accept and close at the cap: stop accepting (take a slot before accept) and let newcomers wait"));
            }
        }
        held.remove(0).close();
        self.note(format!(
            "client 1 leaves: client {} should be served now",
            cap + 1
        ));
        answer(&mut next).map_err(|f| {
            f.hint("when a client leaves, its slot must free (drop its permit), and the next client be accepted")
        })
    }

    /// An idle client: after `before` (sending part of a request, say), it
    /// says nothing, and the server (told `--idle-timeout`) must close it.
    pub fn expect_idle_drop(
        &self,
        server: &Server,
        before: impl FnOnce(&mut Conn) -> Outcome,
    ) -> Outcome {
        let mut idle = self.connect(server, "idle client")?;
        before(&mut idle)?;
        self.note("the idle client now says nothing, and keeps the connection open");
        idle.expect_close().map_err(|f| {
            f.hint("give each client's socket a read timeout of --idle-timeout (set_read_timeout), and drop the client when a read times out")
        })
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
