//! A program's stdout and stderr, read to their end by a thread each and
//! kept within caps, with panics, `todo!()`s and the announcement noticed
//! on the way.

use std::collections::VecDeque;
use std::io::Read;
use std::sync::mpsc::Sender;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

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
/// The prefix of the line a server prints once it listens.
pub const ANNOUNCE_PREFIX: &str = "listening on ";

/// Output captured from one pipe: the first `head` bytes, the last `tail`
/// bytes, how many came in all, and what was noticed in passing.
pub(super) struct Capture {
    pub(super) head: Vec<u8>,
    head_cap: usize,
    tail: VecDeque<u8>,
    tail_cap: usize,
    pub(super) total: u64,
    pub(super) done: bool,
    /// The place of the last "panicked at FILE:LINE:COL" line seen.
    panicked_at: Option<String>,
    /// Set when a `todo!()` panic went by: where it was.
    pub(super) todo: Option<String>,
}

impl Capture {
    pub(super) fn new(head_cap: usize, tail_cap: usize) -> Arc<Mutex<Capture>> {
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

    pub(super) fn keep(&mut self, bytes: &[u8]) {
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
    pub(super) fn text(&self) -> Vec<u8> {
        let mut out = self.head.clone();
        let left_out = self.total - (self.head.len() + self.tail.len()) as u64;
        if left_out > 0 {
            out.extend_from_slice(format!("\n[… {left_out} bytes left out …]\n").as_bytes());
        }
        out.extend(self.tail.iter());
        out
    }
}

/// The last `lines` lines of `text`, at most `bytes` bytes.
pub(super) fn tail(text: &str, lines: usize, bytes: usize) -> String {
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

pub(super) fn lock(c: &Mutex<Capture>) -> MutexGuard<'_, Capture> {
    c.lock().unwrap_or_else(|e| e.into_inner())
}

/// Reads a pipe to its end, keeping what its capture keeps; with `scan`
/// (stderr), looks at each line for panics. When `announce` is given
/// (stdout), sends it the first line that speaks of listening, so that a
/// wrongly worded announcement is diagnosed at once, not after a timeout.
pub(super) fn drain(
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
