//! Many clients on one thread of the checker: nonblocking sockets, read in
//! turn, never a thread per connection (the checker must not need what it
//! forbids the server). And the readings of the server the load stages
//! make: its OS threads and its memory.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use crate::verdict::Failure;

use super::talk;

/// One client of the swarm.
pub struct Bee {
    pub name: String,
    stream: TcpStream,
    /// Bytes read past the last whole line.
    partial: Vec<u8>,
    /// Whole lines read and not yet taken, without their `\n`.
    lines: Vec<Vec<u8>>,
    /// Bytes still to write.
    outbox: Vec<u8>,
    /// How many bytes it has received, in all.
    pub received: u64,
    /// The server closed it (or reset it): why.
    pub closed: Option<String>,
}

impl Bee {
    /// Takes the whole lines read so far.
    pub fn take_lines(&mut self) -> Vec<Vec<u8>> {
        std::mem::take(&mut self.lines)
    }
}

/// Clients read and written in turn, without blocking.
pub struct Swarm {
    pub bees: Vec<Bee>,
}

impl Swarm {
    /// Connects one client per name to `addr`, one after the other.
    pub fn connect(addr: SocketAddr, names: &[String]) -> Result<Swarm, Failure> {
        let mut bees = Vec::with_capacity(names.len());
        for name in names {
            let stream = talk::connect_stream(addr, None).map_err(|e| {
                Failure::failed(format!(
                    "client {} of {} ({name}) could not connect: {e}",
                    bees.len() + 1,
                    names.len()
                ))
                .hint("keep accepting while clients are connected: every client is a task, and a task is cheap")
            })?;
            stream
                .set_nonblocking(true)
                .and_then(|()| stream.set_nodelay(true))
                .map_err(|e| Failure::checker_error(format!("nonblocking socket: {e}")))?;
            bees.push(Bee {
                name: name.clone(),
                stream,
                partial: Vec::new(),
                lines: Vec::new(),
                outbox: Vec::new(),
                received: 0,
                closed: None,
            });
        }
        Ok(Swarm { bees })
    }

    /// Queues `bytes` for client `i`; [`Swarm::pump`] writes them.
    pub fn send(&mut self, i: usize, bytes: &[u8]) {
        self.bees[i].outbox.extend_from_slice(bytes);
    }

    /// One turn: writes what each client has to send, as far as the socket
    /// takes it, and reads what each has received. Returns how many bytes
    /// moved.
    pub fn pump(&mut self) -> usize {
        let mut moved = 0;
        let mut buf = vec![0u8; 64 << 10];
        for bee in &mut self.bees {
            if bee.closed.is_some() {
                continue;
            }
            while !bee.outbox.is_empty() {
                match bee.stream.write(&bee.outbox) {
                    Ok(n) => {
                        bee.outbox.drain(..n);
                        moved += n;
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        bee.closed = Some(format!("could not send: {e}"));
                        break;
                    }
                }
            }
            loop {
                match bee.stream.read(&mut buf) {
                    Ok(0) => {
                        bee.closed = Some("the server closed the connection".into());
                        break;
                    }
                    Ok(n) => {
                        moved += n;
                        bee.received += n as u64;
                        split_lines(&mut bee.partial, &mut bee.lines, &buf[..n]);
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        bee.closed = Some(format!("the connection failed: {e}"));
                        break;
                    }
                }
            }
        }
        moved
    }

    /// Pumps until `done` says so (it gets the swarm after each turn, and
    /// may take lines): `Ok(true)`; or until nothing has moved for
    /// `patience` (scaled already): `Ok(false)`.
    pub fn pump_until(
        &mut self,
        patience: Duration,
        mut done: impl FnMut(&mut Swarm) -> Result<bool, Failure>,
    ) -> Result<bool, Failure> {
        let mut last_move = Instant::now();
        loop {
            if self.pump() > 0 {
                last_move = Instant::now();
            }
            if done(self)? {
                return Ok(true);
            }
            if last_move.elapsed() > patience {
                return Ok(false);
            }
            thread::sleep(Duration::from_micros(500));
        }
    }

    /// The first client the server closed, if any.
    pub fn first_closed(&self) -> Option<&Bee> {
        self.bees.iter().find(|b| b.closed.is_some())
    }
}

/// Appends `bytes` to `partial` and moves each whole line into `lines`.
fn split_lines(partial: &mut Vec<u8>, lines: &mut Vec<Vec<u8>>, bytes: &[u8]) {
    for piece in bytes.split_inclusive(|&b| b == b'\n') {
        partial.extend_from_slice(piece);
        if piece.ends_with(b"\n") {
            let mut line = std::mem::take(partial);
            line.pop();
            lines.push(line);
        }
    }
}

/// Raises this process's soft limit of open files as far as its hard
/// limit allows, up to `want`; returns the limit now in force. Programs
/// the checker starts afterwards inherit it.
pub fn raise_open_files(want: u64) -> u64 {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit and setrlimit write or read the struct only.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return 0;
        }
        let target = want.min(limit.rlim_max);
        if target > limit.rlim_cur {
            let raised = libc::rlimit {
                rlim_cur: target,
                rlim_max: limit.rlim_max,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                return target;
            }
        }
    }
    limit.rlim_cur
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_cut_at_newlines_and_the_rest_is_kept() {
        let (mut partial, mut lines) = (Vec::new(), Vec::new());
        split_lines(&mut partial, &mut lines, b"one\ntw");
        split_lines(&mut partial, &mut lines, b"o\n\nthr");
        assert_eq!(lines, [&b"one"[..], b"two", b""]);
        assert_eq!(partial, b"thr");
    }
}
