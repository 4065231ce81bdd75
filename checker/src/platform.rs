//! Every Linux-only call of the checker lives here, with a fallback for
//! other Unix systems: what it cannot do there, it does without, and says
//! so where that matters.

/// Asks the kernel to send `signal` to the calling process when its parent
/// dies, so that a child started with this in its `pre_exec` does not
/// outlive whoever started it, however that one ends (even `SIGKILL`).
///
/// Only Linux has it (`prctl(PR_SET_PDEATHSIG)`); elsewhere it does
/// nothing, and only the checker's own stopping (process groups, Ctrl-C)
/// ends the child. Safe to call between `fork` and `exec`: `prctl` is
/// async-signal-safe.
///
/// Note: Linux sends the signal when the *thread* that forked the child
/// ends, not the whole process: fork from a thread that lives as long as
/// the child should.
#[cfg(target_os = "linux")]
pub(crate) fn die_with_parent(signal: libc::c_int) {
    // SAFETY: prctl(PR_SET_PDEATHSIG) takes a signal number and touches no
    // memory of ours. Its failure (an invalid signal) only leaves the
    // child as it was.
    unsafe {
        libc::prctl(libc::PR_SET_PDEATHSIG, signal);
    }
}

/// Elsewhere: nothing (see the Linux version).
#[cfg(not(target_os = "linux"))]
pub(crate) fn die_with_parent(_signal: libc::c_int) {}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use std::os::unix::process::{CommandExt, ExitStatusExt};
    use std::process::Command;
    use std::time::{Duration, Instant};

    use super::die_with_parent;

    /// Linux signals the child when the thread that forked it ends: a
    /// child started from a thread that has since returned is gone.
    #[test]
    fn a_child_dies_with_the_thread_that_started_it() {
        let mut child = std::thread::spawn(|| {
            let mut cmd = Command::new("sleep");
            cmd.arg("30");
            // SAFETY: die_with_parent only calls prctl, which is
            // async-signal-safe.
            unsafe {
                cmd.pre_exec(|| {
                    die_with_parent(libc::SIGKILL);
                    Ok(())
                });
            }
            cmd.spawn().expect("sleep")
        })
        .join()
        .expect("the spawning thread");
        let deadline = Instant::now() + crate::time::scaled(Duration::from_secs(10));
        let status = loop {
            if let Some(status) = child.try_wait().expect("try_wait") {
                break Some(status);
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        let status = status.expect("the child should have died with its parent thread");
        assert_eq!(status.signal(), Some(libc::SIGKILL), "{status:?}");
    }
}
