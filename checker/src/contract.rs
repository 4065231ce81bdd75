//! The server contract the lessons share, checked the same way in each:
//! a server serves many clients at once, holds at most its cap of clients
//! (newcomers wait in the kernel's queue), and drops a client that stays
//! quiet past its idle timeout. The hints here teach that contract.

use std::time::Duration;

use crate::ctx::{Ctx, Server};
use crate::verdict::{Failure, Outcome};
use crate::wire::{self, Conn, Transcript};

impl Ctx {
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
}
