//! The checker's side of the protocol, one client at a time: the lines
//! the contract fixes, and a [`Chatter`] that joins, speaks and checks
//! every line it hears against what it should hear.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

// The harness.
use crate::{
    ctx::{Ctx, Server},
    time,
    verdict::{Failure, Outcome},
    wire::{self, Conn, Transcript},
};

/// The longest line the contract allows a client to send (its text).
pub const MAX_LINE: usize = 1000;
/// The longest line the checker reads from the server: a relayed line of
/// the longest text, with a name and brackets, and room to spare.
pub const READ_CAP: usize = MAX_LINE + 64;

pub fn joined(name: &str) -> String {
    format!("* {name} has entered the room")
}

pub fn left(name: &str) -> String {
    format!("* {name} has left the room")
}

pub fn relay(name: &str, text: &str) -> String {
    format!("[{name}] {text}")
}

const PRESENCE: &str = "* The room contains:";

/// The names a presence line lists, or `None` if it is not one.
pub fn presence_names(line: &str) -> Option<Vec<String>> {
    let rest = line.strip_prefix(PRESENCE)?;
    let mut names: Vec<String> = rest
        .split(',')
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty())
        .collect();
    names.sort();
    Some(names)
}

/// A line as text for messages: quoted, escaped, without its `\n`.
pub fn quoted(line: &[u8]) -> String {
    wire::escape(line.strip_suffix(b"\n").unwrap_or(line))
}

/// A socket of the checker's connected to `addr`, with a small receive
/// buffer when `rcvbuf` is given (so that a client that never reads is
/// full after a few KiB rather than a few MiB).
pub fn connect_stream(addr: SocketAddr, rcvbuf: Option<usize>) -> io::Result<std::net::TcpStream> {
    let socket = socket2::Socket::new(
        socket2::Domain::for_address(addr),
        socket2::Type::STREAM,
        None,
    )?;
    if let Some(size) = rcvbuf {
        socket.set_recv_buffer_size(size)?;
    }
    socket.connect_timeout(&addr.into(), time::patience())?;
    Ok(socket.into())
}

/// One client of the room played by the checker, logged in the transcript.
pub struct Chatter {
    pub conn: Conn,
    pub name: String,
    /// Bytes read past the last whole line.
    pending: Vec<u8>,
}

impl Chatter {
    /// alice, bob and carol enter in turn, each seeing the others arrive:
    /// where most stages of the room begin.
    pub fn three(ctx: &Ctx, server: &Server) -> Result<[Chatter; 3], Failure> {
        let mut alice = Chatter::enter(ctx, server, "alice", &[])?;
        let mut bob = Chatter::enter(ctx, server, "bob", &["alice"])?;
        alice.expect_joined("bob")?;
        let carol = Chatter::enter(ctx, server, "carol", &["alice", "bob"])?;
        alice.expect_joined("carol")?;
        bob.expect_joined("carol")?;
        Ok([alice, bob, carol])
    }

    /// Connects as `name` (its name in the transcript, and the name it
    /// will give), without reading anything yet.
    pub fn connect(ctx: &Ctx, server: &Server, name: &str) -> Result<Chatter, Failure> {
        Chatter::connect_with(ctx.transcript(), server.addr, name, None)
    }

    /// [`Chatter::connect`] with a receive buffer of `rcvbuf` bytes.
    pub fn connect_with(
        log: &Transcript,
        addr: SocketAddr,
        name: &str,
        rcvbuf: Option<usize>,
    ) -> Result<Chatter, Failure> {
        let stream = connect_stream(addr, rcvbuf).map_err(|e| {
            Failure::failed(format!("{name} could not connect to {addr}: {e}"))
                .hint("is the server still accepting? Every client must be accepted, however many are connected")
        })?;
        log.note(format!("{name} connected to {addr}"));
        Ok(Chatter {
            conn: Conn::wrap(log, name, stream, None)?,
            name: name.to_string(),
            pending: Vec::new(),
        })
    }

    /// Connects and reads the welcome line.
    pub fn arrive(ctx: &Ctx, server: &Server, name: &str) -> Result<Chatter, Failure> {
        let mut chatter = Chatter::connect(ctx, server, name)?;
        chatter.welcome()?;
        Ok(chatter)
    }

    /// Connects, reads the welcome, gives its name, and checks that the
    /// presence line lists exactly `present`.
    pub fn enter(
        ctx: &Ctx,
        server: &Server,
        name: &str,
        present: &[&str],
    ) -> Result<Chatter, Failure> {
        let mut chatter = Chatter::arrive(ctx, server, name)?;
        chatter.give_name()?;
        chatter.expect_presence(present)?;
        Ok(chatter)
    }

    /// Reads the welcome line: any one line.
    pub fn welcome(&mut self) -> Outcome {
        match self.read_line(READ_CAP, "the welcome line") {
            Ok(Some(_)) => Ok(()),
            Ok(None) => Err(Failure::failed(format!(
                "{} was closed before any welcome line came",
                self.name
            ))
            .hint("greet every client with one line that asks for its name, as soon as it connects")),
            Err(f) => Err(f.hint(
                "send the welcome line (one line that asks for a name) as soon as a client connects, before reading anything",
            )),
        }
    }

    /// Reads one line, `\n` included, of at most `cap` bytes, within the
    /// checker's patience, and logs it whole (one line of transcript per
    /// line, however TCP cut it up). `Ok(None)`: closed before any byte.
    pub fn read_line(&mut self, cap: usize, what: &str) -> Result<Option<Vec<u8>>, Failure> {
        loop {
            if let Some(end) = self.pending.iter().position(|&b| b == b'\n') {
                let rest = self.pending.split_off(end + 1);
                let line = std::mem::replace(&mut self.pending, rest);
                self.conn.log_received(&line);
                return Ok(Some(line));
            }
            if self.pending.len() > cap {
                self.conn.log_received(&self.pending);
                return Err(Failure::failed(format!(
                    "{}: {what} is longer than {cap} bytes",
                    self.name
                ))
                .got(wire::preview(&self.pending)));
            }
            match self.conn.recv_some(64 << 10, time::patience()) {
                Ok(bytes) if bytes.is_empty() => {
                    if self.pending.is_empty() {
                        return Ok(None);
                    }
                    let half = std::mem::take(&mut self.pending);
                    self.conn.log_received(&half);
                    return Err(Failure::failed(format!(
                        "{}: the connection closed in the middle of {what}",
                        self.name
                    ))
                    .got(wire::show(&half)));
                }
                Ok(bytes) => self.pending.extend_from_slice(&bytes),
                Err(e) if wire::is_timeout(&e) => {
                    if !self.pending.is_empty() {
                        self.conn.log_received(&self.pending);
                    }
                    let late = Failure::timed_out(format!(
                        "{}: waited {} for {what}; got {} byte(s) of it",
                        self.name,
                        time::say(time::patience()),
                        self.pending.len()
                    ));
                    return Err(if self.pending.is_empty() {
                        late.hint(format!("not a byte of {what} came: either the server never wrote it, or wrote it into a BufWriter and never called flush() (session must flush after writing what its mailbox holds)"))
                    } else {
                        late
                    });
                }
                Err(e) => {
                    return Err(Failure::failed(format!(
                        "{}: reading {what} failed: {e}",
                        self.name
                    )));
                }
            }
        }
    }

    /// Sends the name line.
    pub fn give_name(&mut self) -> Outcome {
        let line = format!("{}\n", self.name);
        self.conn.send(line.as_bytes())
    }

    /// Sends `text` and a newline.
    pub fn say(&mut self, text: &str) -> Outcome {
        self.conn.send(format!("{text}\n").as_bytes())
    }

    /// Reads one line, `\n` included; a close is a failure that says what
    /// was awaited.
    pub fn line(&mut self, what: &str) -> Result<Vec<u8>, Failure> {
        match self.read_line(READ_CAP, what)? {
            Some(line) => Ok(line),
            None => Err(Failure::failed(format!(
                "{} was closed by the server while waiting for {what}",
                self.name
            ))),
        }
    }

    /// The next line must be exactly `expected` (given without `\n`).
    pub fn expect_line(&mut self, expected: &str) -> Outcome {
        let got = self.line(&format!("the line {}", wire::escape(expected.as_bytes())))?;
        if got.strip_suffix(b"\n") == Some(expected.as_bytes()) {
            return Ok(());
        }
        let name = &self.name;
        let mut f = Failure::failed(format!("{name} got another line than the one expected"))
            .expected(wire::escape(format!("{expected}\n").as_bytes()))
            .got(wire::escape(&got));
        let text = String::from_utf8_lossy(&got);
        if text.starts_with(&format!("[{name}] ")) {
            f = Failure::failed(format!("{name} got its own message back"))
                .expected(wire::escape(format!("{expected}\n").as_bytes()))
                .got(wire::escape(&got))
                .hint("relay a message to everyone in the room except its sender");
        } else if expected.starts_with('[') && !text.starts_with('[') {
            f = f.hint("relay each message as `[NAME] TEXT`, to everyone but the sender, in the order it came");
        }
        Err(f)
    }

    pub fn expect_joined(&mut self, name: &str) -> Outcome {
        self.expect_line(&joined(name))
            .map_err(|f| f.hint("when a client has a valid name, tell everyone already in the room `* NAME has entered the room`"))
    }

    pub fn expect_left(&mut self, name: &str) -> Outcome {
        self.expect_line(&left(name)).map_err(|f| {
            f.hint("when a member's connection ends, tell the others `* NAME has left the room`")
        })
    }

    pub fn expect_relay(&mut self, from: &str, text: &str) -> Outcome {
        self.expect_line(&relay(from, text))
    }

    /// The next line must be the presence line, listing exactly `present`
    /// (in any order).
    pub fn expect_presence(&mut self, present: &[&str]) -> Outcome {
        let got = self.line("the presence line (`* The room contains: …`)")?;
        let text = String::from_utf8_lossy(&got);
        let mut expected: Vec<String> = present.iter().map(|s| s.to_string()).collect();
        expected.sort();
        let listed = format!("{PRESENCE} {}", present.join(", "));
        match presence_names(text.trim_end_matches(['\n', '\r'])) {
            Some(names) if names == expected => Ok(()),
            Some(_) => Err(Failure::failed(format!(
                "{}'s presence line does not list exactly who is in the room",
                self.name
            ))
            .expected(wire::escape(format!("{listed}\n").as_bytes()))
            .got(wire::escape(&got))
            .hint("list the names of those already in the room (not the newcomer, not clients without a name), separated by `, `")),
            None => Err(Failure::failed(format!(
                "after its name, {} did not get the presence line",
                self.name
            ))
            .expected(wire::escape(format!("{listed}\n").as_bytes()))
            .got(wire::escape(&got))
            .hint("right after a valid name, send the newcomer one line: `* The room contains: ` and the names of those already there")),
        }
    }

    /// Nothing at all may come for `quiet` (a behaviour window: not
    /// scaled).
    pub fn expect_nothing(&mut self, quiet: Duration, why: &str) -> Outcome {
        let early = if self.pending.is_empty() {
            self.conn.recv_some(4096, quiet)
        } else {
            Ok(std::mem::take(&mut self.pending))
        };
        match early {
            Err(e) if wire::is_timeout(&e) => Ok(()),
            Ok(bytes) if !bytes.is_empty() => {
                self.conn.log_received(&bytes);
                Err(Failure::failed(format!("{} got a line {why}", self.name))
                    .expected("nothing")
                    .got(wire::show(&bytes)))
            }
            Ok(_) => Err(Failure::failed(format!(
                "the server closed {}'s connection {why}",
                self.name
            ))),
            Err(e) => Err(Failure::failed(format!("{}: {e} {why}", self.name))),
        }
    }

    /// Refused: one line (any), then the close. `what` says what was sent.
    pub fn expect_refused(&mut self, what: &str) -> Outcome {
        let name = self.name.clone();
        let line = match self.read_line(READ_CAP, "a line refusing the name") {
            Ok(Some(line)) => line,
            Ok(None) => {
                return Err(Failure::failed(format!(
                    "given {what}, the server closed {name}'s connection without a word"
                ))
                .hint("refuse a bad name with one line that says why, then close"));
            }
            Err(f) if f.verdict == crate::verdict::Verdict::TimedOut => {
                return Err(Failure::failed(format!(
                    "given {what}, the server said nothing and kept {name} connected"
                ))
                .hint("a name is 1 to 16 ASCII letters or digits, and not taken: refuse any other with a line, then close"));
            }
            Err(f) => return Err(f),
        };
        let text = String::from_utf8_lossy(&line);
        if text.starts_with(PRESENCE) || text.starts_with('[') {
            return Err(Failure::failed(format!("the server accepted {what}"))
                .expected("one line that refuses it, then the close")
                .got(wire::escape(&line))
                .hint("a name is 1 to 16 ASCII letters or digits (u8::is_ascii_alphanumeric), and not one already in the room: refuse any other with a line, then close"));
        }
        self.conn.expect_close().map_err(|f| {
            f.context(format!("after refusing {what}: "))
                .hint("after the line that refuses a name, close the connection")
        })
    }

    /// Reads lines until the server closes the connection (a reset counts),
    /// within the checker's patience for each; returns them.
    pub fn lines_until_close(&mut self, what: &str) -> Result<Vec<Vec<u8>>, Failure> {
        let mut lines = Vec::new();
        loop {
            match self.read_line(1 << 20, what) {
                Ok(Some(line)) => lines.push(line),
                Ok(None) => return Ok(lines),
                Err(f) if f.summary.contains("reset") => return Ok(lines),
                Err(f) => return Err(f),
            }
        }
    }

    /// Whatever it has read and not yet taken, then whatever comes within
    /// `wait` (a behaviour window, not scaled), until a pause: an empty
    /// answer and `true` when the server closed the connection.
    pub fn drain(&mut self, wait: Duration) -> (Vec<u8>, bool) {
        let mut got = std::mem::take(&mut self.pending);
        loop {
            match self.conn.recv_some(64 << 10, wait) {
                Ok(bytes) if bytes.is_empty() => return (got, true),
                Ok(bytes) => got.extend_from_slice(&bytes),
                Err(e) if wire::is_timeout(&e) => return (got, false),
                Err(_) => return (got, true),
            }
        }
    }

    pub fn close(self) {
        self.conn.close();
    }
}
