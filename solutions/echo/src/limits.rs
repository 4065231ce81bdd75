//! What keeps a thread-per-client server within its limits, given as it
//! is: the echo server and the framing server use it alike.
//!
//! Each of the two lessons keeps its own copy of this file; the copies are
//! identical, and a maintainer check (`cargo test -p checker --test
//! pristine shared`) fails as soon as one of them drifts.
//!
//! - [`Slots`] caps the clients served at once. A client holds a
//!   [`Permit`] while it is served, and dropping the permit, however the
//!   client's thread ends (even by a panic), frees the slot: a limit you
//!   cannot forget to release.
//! - [`AcceptErrors`] is what to do when `accept` fails, as it does for as
//!   long as the process is out of file descriptors: say so without
//!   flooding stderr, and pause instead of retrying at once.

use std::io;
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// A fixed number of slots, one per client served.
#[derive(Debug)]
pub struct Slots {
    free: Mutex<usize>,
    freed: Condvar,
}

/// One client's slot, free again when this is dropped. Dropping it at
/// once would let the server take one client more than its cap, at once.
#[must_use = "the slot is freed as soon as the permit is dropped: keep it while the client is served"]
#[derive(Debug)]
pub struct Permit(Arc<Slots>);

impl Slots {
    /// `count` slots, all free. Shared (`Arc`) because every permit points
    /// back to its slots, from whatever thread it is dropped on.
    pub fn new(count: usize) -> Arc<Slots> {
        Arc::new(Slots {
            free: Mutex::new(count),
            freed: Condvar::new(),
        })
    }

    /// Waits until a slot is free, and takes it. Call it *before* accept:
    /// at the cap the server then stops accepting, and newcomers wait in
    /// the kernel's queue instead of being accepted only to be closed.
    pub fn acquire(self: &Arc<Self>) -> Permit {
        // A panic elsewhere while the lock was held cannot leave the count
        // wrong (it is one integer, changed in one step): carry on.
        let mut free = self.free.lock().unwrap_or_else(|e| e.into_inner());
        while *free == 0 {
            free = self.freed.wait(free).unwrap_or_else(|e| e.into_inner());
        }
        *free -= 1;
        Permit(Arc::clone(self))
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        *self.0.free.lock().unwrap_or_else(|e| e.into_inner()) += 1;
        self.0.freed.notify_one();
    }
}

/// How long a server waits after a failed `accept`. Out of file
/// descriptors, `accept` fails at once for as long as a connection waits in
/// the queue: retrying without a pause would spin at 100% CPU.
pub const ACCEPT_PAUSE: Duration = Duration::from_millis(100);

/// How often, at most, the same accept error is reported again.
const REPORT_EVERY: Duration = Duration::from_secs(10);

/// Failed accepts, reported without flooding stderr: the first of a kind
/// at once, then one line with a count at most every ten seconds.
#[derive(Debug, Default)]
pub struct AcceptErrors {
    last: Option<(io::ErrorKind, Instant)>,
    since: u64,
}

impl AcceptErrors {
    /// Reports `err` on stderr if it is news, then pauses for
    /// [`ACCEPT_PAUSE`], so that clients have a moment to leave and give
    /// their descriptors back.
    pub fn report_and_pause(&mut self, err: &io::Error) {
        if let Some(line) = self.note(err, Instant::now()) {
            eprintln!("{line}");
        }
        thread::sleep(ACCEPT_PAUSE);
    }

    /// The line to print about `err` at `now`, if any. Apart from the
    /// printing, so that a test can call it with the time of its choice.
    fn note(&mut self, err: &io::Error, now: Instant) -> Option<String> {
        if let Some((kind, at)) = self.last
            && kind == err.kind()
            && now.duration_since(at) < REPORT_EVERY
        {
            self.since += 1;
            return None;
        }
        let more = match std::mem::take(&mut self.since) {
            0 => String::new(),
            again => format!(" ({again} more since)"),
        };
        self.last = Some((err.kind(), now));
        Some(format!("accept failed: {err}{more}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    #[test]
    fn a_client_past_the_cap_waits_for_a_permit_to_be_dropped() {
        let slots = Slots::new(2);
        let (first, _second) = (slots.acquire(), slots.acquire());
        let (got, waiting) = mpsc::channel();
        let third = {
            let slots = Arc::clone(&slots);
            thread::spawn(move || {
                let permit = slots.acquire();
                got.send(()).unwrap();
                drop(permit);
            })
        };
        assert!(
            waiting.recv_timeout(Duration::from_millis(100)).is_err(),
            "a third permit was handed out while two were held"
        );
        drop(first);
        waiting
            .recv_timeout(Duration::from_secs(10))
            .expect("dropping a permit frees its slot");
        third.join().unwrap();
    }

    #[test]
    fn the_same_accept_error_is_counted_not_repeated() {
        let mut errors = AcceptErrors::default();
        let start = Instant::now();
        let out_of_files = io::Error::from_raw_os_error(24);
        let line = errors.note(&out_of_files, start).unwrap();
        assert!(line.starts_with("accept failed: "), "{line}");
        assert_eq!(errors.note(&out_of_files, start), None);
        assert_eq!(
            errors.note(&out_of_files, start + Duration::from_secs(1)),
            None
        );
        let later = errors.note(&out_of_files, start + REPORT_EVERY).unwrap();
        assert!(later.ends_with(" (2 more since)"), "{later}");
        let other = io::Error::from(io::ErrorKind::ConnectionAborted);
        assert!(errors.note(&other, start + REPORT_EVERY).is_some());
    }
}
