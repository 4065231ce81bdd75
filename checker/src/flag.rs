//! [`Flag`], a one-way signal between threads: "stop waiting".

use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

/// A one-way signal: once set, stays set. Threads can poll it or sleep on
/// it. It says "stop waiting": the stage was cancelled, the client exited.
#[derive(Clone, Default)]
pub struct Flag(Arc<(Mutex<bool>, Condvar)>);

impl Flag {
    pub fn set(&self) {
        *self.0.0.lock().unwrap_or_else(|e| e.into_inner()) = true;
        self.0.1.notify_all();
    }
    pub fn is_set(&self) -> bool {
        *self.0.0.lock().unwrap_or_else(|e| e.into_inner())
    }
    /// Sleeps until the flag is set or `timeout` passes; true if set.
    pub fn wait(&self, timeout: Duration) -> bool {
        let guard = self.0.0.lock().unwrap_or_else(|e| e.into_inner());
        let (guard, _) = self
            .0
            .1
            .wait_timeout_while(guard, timeout, |set| !*set)
            .unwrap_or_else(|e| e.into_inner());
        *guard
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::thread;
    use std::time::Instant;

    #[test]
    fn a_flag_wakes_its_sleepers() {
        let flag = Flag::default();
        let setter = flag.clone();
        let t = thread::spawn(move || {
            thread::sleep(Duration::from_millis(20));
            setter.set();
        });
        let started = Instant::now();
        assert!(flag.wait(Duration::from_secs(5)));
        assert!(started.elapsed() < Duration::from_secs(2));
        t.join().unwrap();
        assert!(!Flag::default().wait(Duration::from_millis(1)));
    }
}
