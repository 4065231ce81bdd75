//! Lesson 1, TCP echo: a tool for the server, given as it is. [`Slots`]
//! limits how many clients are served at once: a client holds a [`Permit`]
//! while it is served, and dropping it, however the client's thread ends
//! (even by a panic), frees the slot: a limit you cannot forget to release.

use std::sync::{Arc, Condvar, Mutex};

/// A fixed number of slots, one per client.
pub struct Slots {
    free: Mutex<usize>,
    freed: Condvar,
}

/// One client's slot; the slot is free again when this is dropped.
pub struct Permit(Arc<Slots>);
impl Slots {
    pub fn new(count: usize) -> Arc<Slots> {
        let free = Mutex::new(count);
        Arc::new(Slots {
            free,
            freed: Condvar::new(),
        })
    }

    /// Waits until a slot is free, and takes it.
    pub fn acquire(self: &Arc<Self>) -> Permit {
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
