//! The registry of process groups the checker started, and the signals
//! that end them: so that Ctrl-C, a panic or the end of a stage leaves no
//! program behind.

use std::collections::BTreeSet;
use std::process::{Child, Command};
use std::sync::Mutex;
use std::thread;
use std::time::{Duration, Instant};

use crate::platform;

/// Process groups started and not yet reaped, for [`kill_everything`].
pub(super) static LIVE_GROUPS: Mutex<BTreeSet<i32>> = Mutex::new(BTreeSet::new());

/// Kills every process group the checker started and has not reaped yet.
/// Called on Ctrl-C and when the checker's main thread panics; safe to call
/// twice.
pub fn kill_everything() {
    // Under the lock, so that no child checker is tracked after the list
    // below is taken.
    {
        let _groups = POLITE_GROUPS.lock().unwrap_or_else(|e| e.into_inner());
        STOPPING.store(true, std::sync::atomic::Ordering::SeqCst);
    }
    let polite: Vec<i32> = POLITE_GROUPS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .copied()
        .collect();
    for pgid in polite {
        stop_group_politely(pgid);
    }
    {
        let groups = LIVE_GROUPS.lock().unwrap_or_else(|e| e.into_inner());
        for &pgid in groups.iter() {
            signal_group(pgid, libc::SIGKILL);
        }
        for &pgid in groups.iter() {
            wait_until_gone(pgid);
        }
    }
    kill_strays(Strays::All);
}

/// Which of its descendants [`kill_strays`] kills.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strays {
    /// Those nothing accounts for: not in a group the checker started
    /// and still tracks, nor in the checker's own group.
    Unaccounted,
    /// Every one: the checker is ending.
    All,
}

/// Kills the checker's stray descendants, when it adopts orphans (see
/// [`platform::adopt_orphans`]): a program's daemon that left its group
/// and session and cleared its environment is then still a descendant,
/// and, once the process that started it has ended, a child of the
/// checker's that it did not start itself. Returns how many were killed.
///
/// Each child of the checker's that it did not start is killed with
/// everything under it. Nothing can be started meanwhile: the registry is
/// locked while the processes are listed and killed.
pub fn kill_strays(which: Strays) -> usize {
    if !platform::adopts_orphans() {
        return 0;
    }
    // SAFETY: getpid/getpgrp cannot fail.
    let (me, my_group) = unsafe { (libc::getpid(), libc::getpgrp()) };
    let mut killed = BTreeSet::new();
    for _ in 0..20 {
        // Nothing is started while the processes are listed and killed.
        let live = LIVE_GROUPS.lock().unwrap_or_else(|e| e.into_inner());
        let polite = POLITE_GROUPS.lock().unwrap_or_else(|e| e.into_inner());
        let table: Vec<(i32, platform::Stat)> = platform::pids()
            .into_iter()
            .filter_map(|pid| Some((pid, platform::stat(pid)?)))
            .collect();
        // What the checker started itself leads a tracked group (it was
        // started in a session of its own), or is in the checker's own
        // group; a child of the checker's that does neither was adopted.
        let accounted = |pid: i32, s: &platform::Stat| {
            which == Strays::Unaccounted
                && ((pid == s.pgrp && (live.contains(&pid) || polite.contains(&pid)))
                    || s.pgrp == my_group)
        };
        let adopted: Vec<i32> = table
            .iter()
            .filter(|(pid, s)| s.ppid == me && !accounted(*pid, s))
            .map(|&(pid, _)| pid)
            .collect();
        // They, and everything under them.
        let mut strays = adopted.clone();
        let mut i = 0;
        while i < strays.len() {
            let parent = strays[i];
            let children = table.iter().filter(|(_, s)| s.ppid == parent);
            strays.extend(children.map(|&(p, _)| p));
            i += 1;
        }
        let alive: Vec<i32> = table
            .iter()
            .filter(|(p, s)| strays.contains(p) && s.state != 'Z' && s.state != 'X')
            .map(|&(p, _)| p)
            .collect();
        for &pid in &alive {
            // SAFETY: kill(2) has no memory effects.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
        drop((live, polite));
        killed.extend(alive.iter().copied());
        if which == Strays::Unaccounted {
            // Adopted orphans are this process's children: reap them. Only
            // this code reaps them (std waits only for what it started,
            // which is accounted for), so their ids are not reused first.
            thread::sleep(Duration::from_millis(2));
            for &pid in &adopted {
                // SAFETY: waits, without blocking, for a child of ours.
                unsafe { libc::waitpid(pid, std::ptr::null_mut(), libc::WNOHANG) };
            }
        }
        if alive.is_empty() {
            break;
        }
        thread::sleep(Duration::from_millis(5));
    }
    killed.len()
}

/// The live processes whose command line holds `text`: for tests that
/// count what a program left behind.
pub fn running_with(text: &str) -> Vec<i32> {
    platform::pids()
        .into_iter()
        .filter(|&pid| {
            platform::is_alive(pid)
                && platform::command_line(pid).is_some_and(|line| line.contains(text))
        })
        .collect()
}

/// Starts `cmd`, which must start a process group (or session) of its
/// own, and puts that group among those that [`kill_everything`] stops
/// (until [`forget_group`]), at once: no [`kill_strays`] can see it
/// untracked in between.
pub fn spawn_tracked(cmd: &mut Command) -> std::io::Result<Child> {
    let mut groups = LIVE_GROUPS.lock().unwrap_or_else(|e| e.into_inner());
    let child = cmd.spawn()?;
    groups.insert(child.id() as i32);
    Ok(child)
}

/// Kills a whole group at once.
pub fn kill_group(pgid: i32) {
    signal_group(pgid, libc::SIGKILL);
}

pub fn forget_group(pgid: i32) {
    LIVE_GROUPS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .remove(&pgid);
}

/// Groups of child checkers (`cargo grade class`): asked to stop first
/// (SIGTERM, which they answer by stopping everything they started), and
/// killed only if they do not.
static POLITE_GROUPS: Mutex<BTreeSet<i32>> = Mutex::new(BTreeSet::new());

/// Set once the checker is stopping everything (Ctrl-C): nothing new may
/// start after that.
static STOPPING: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

pub fn stopping() -> bool {
    STOPPING.load(std::sync::atomic::Ordering::SeqCst)
}

/// Starts a child checker (`cmd` must start a process group of its own)
/// and tracks its group, at once; `Ok(None)` (and nothing is started)
/// when the checker is already stopping everything.
pub fn spawn_politely(cmd: &mut Command) -> std::io::Result<Option<Child>> {
    let mut groups = POLITE_GROUPS.lock().unwrap_or_else(|e| e.into_inner());
    if stopping() {
        return Ok(None);
    }
    let child = cmd.spawn()?;
    groups.insert(child.id() as i32);
    Ok(Some(child))
}

/// Asks the group to stop, waits a little, then kills what is left. The
/// group stays tracked: see [`forget_polite_group`].
pub fn stop_group_politely(pgid: i32) {
    signal_group(pgid, libc::SIGTERM);
    let deadline = Instant::now() + Duration::from_secs(3);
    while !live_members(pgid).is_empty() && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(10));
    }
    signal_group(pgid, libc::SIGKILL);
    wait_until_gone(pgid);
}

/// Stops tracking a child checker's group, once its leader is reaped (so
/// that [`kill_strays`] never reaps it first).
pub fn forget_polite_group(pgid: i32) {
    POLITE_GROUPS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .remove(&pgid);
}

/// How many groups are alive: for tests that check nothing is left.
pub fn live_group_count() -> usize {
    LIVE_GROUPS.lock().unwrap_or_else(|e| e.into_inner()).len()
}

/// A signal is delivered asynchronously: wait (briefly) until every process
/// of the group has really died, so that nothing outlives the checker.
pub(super) fn wait_until_gone(pgid: i32) {
    let deadline = Instant::now() + Duration::from_secs(2);
    while !live_members(pgid).is_empty() && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(2));
    }
}

pub(super) fn signal_group(pgid: i32, signal: i32) {
    // SAFETY: kill(2) has no memory effects; a negative pid names a group.
    unsafe {
        libc::kill(-pgid, signal);
    }
}

/// The pids of processes, not zombies, whose process group is `pgid`.
/// Reads /proc, so it sees grandchildren that the checker never knew of
/// (nothing where there is no /proc).
pub fn live_members(pgid: i32) -> Vec<i32> {
    platform::pids()
        .into_iter()
        .filter(|&pid| {
            matches!(platform::stat(pid), Some(s) if s.pgrp == pgid && s.state != 'Z' && s.state != 'X')
        })
        .collect()
}

/// The live processes (not zombies) whose environment holds `KEY=VALUE`:
/// a test marks what it starts with a variable every descendant inherits,
/// then checks that none of them is left.
pub fn marked(key: &str, value: &str) -> Vec<i32> {
    let entry = format!("{key}={value}");
    platform::pids()
        .into_iter()
        .filter(|&pid| platform::has_env(pid, &entry) && platform::is_alive(pid))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn await_running(token: &str) -> Vec<i32> {
        let deadline = Instant::now() + crate::time::scaled(Duration::from_secs(10));
        while running_with(token).is_empty() && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(10));
        }
        running_with(token)
    }

    /// The daemon of issue 23: `setsid -f` with a cleared environment. It
    /// leaves its group, its session and its mark; adopted, it is still
    /// found and killed, while a tracked group is spared. (The test
    /// process adopts orphans from here on: every other child of the lib
    /// tests is tracked or in the test process's own group.)
    #[test]
    fn a_daemon_that_left_its_session_and_cleared_its_environment_is_killed() {
        if !platform::adopt_orphans() {
            eprintln!("note: this system cannot adopt orphans; nothing to check");
            return;
        }
        let daemon = format!("sleep 977.{}", std::process::id());
        let started = Command::new("sh")
            .arg("-c")
            .arg(format!(
                "setsid -f sh -c 'exec {daemon}' </dev/null >/dev/null 2>&1"
            ))
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .status()
            .expect("sh");
        assert!(started.success(), "setsid -f: {started}");
        let tracked = format!("sleep 978.{}", std::process::id());
        let mut cmd = Command::new("sh");
        cmd.arg("-c").arg(format!("exec {tracked}"));
        super::super::spawn::own_session(&mut cmd);
        let mut child = spawn_tracked(&mut cmd).expect("sh");
        let pgid = child.id() as i32;

        let daemons = await_running(&daemon);
        assert_eq!(daemons.len(), 1, "the daemon did not start");
        assert_eq!(
            await_running(&tracked).len(),
            1,
            "the tracked one did not start"
        );
        let stat = platform::stat(daemons[0]).expect("its stat");
        // SAFETY: getpid/getpgrp cannot fail.
        let (me, my_group) = unsafe { (libc::getpid(), libc::getpgrp()) };
        assert_eq!(stat.ppid, me, "adopted by this process");
        assert_ne!(stat.pgrp, my_group, "in a group of its own");

        kill_strays(Strays::Unaccounted);
        assert_eq!(
            running_with(&daemon),
            Vec::<i32>::new(),
            "the daemon lives on"
        );
        assert!(platform::stat(daemons[0]).is_none(), "not even a zombie");
        assert_eq!(
            running_with(&tracked).len(),
            1,
            "a tracked group was killed"
        );
        kill_group(pgid);
        let _ = child.wait();
        forget_group(pgid);
    }
}
