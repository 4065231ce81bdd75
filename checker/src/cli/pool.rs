//! A pool of workers and the child programs they run: what `cargo grade
//! class` grades a class with. [`run_all`] works through a list a few items
//! at a time and lets the caller draw its progress; [`run_child`] runs one
//! child program (a child checker) in a process group of its own, under a
//! deadline, and makes sure nothing it started is left when it returns.
//!
//! Nothing new starts once the checker is stopping (Ctrl-C): see
//! [`process::stopping`].

use std::os::unix::process::CommandExt;
use std::process::{Command, ExitStatus};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::{platform, process};

/// How often a child is looked at while it runs.
const POLL: Duration = Duration::from_millis(100);

/// How a child program ended.
#[derive(Debug)]
pub enum Ended {
    /// It exited (or was killed by a signal) before its deadline.
    Exited(ExitStatus),
    /// Still running at its deadline: it was stopped, with its group.
    TimedOut,
    /// The checker is stopping (Ctrl-C): stopped as soon as it started.
    Interrupted,
    /// It could not be started.
    CannotStart(std::io::Error),
    /// The system could not tell whether it was still running: it was
    /// stopped, with its group.
    Lost(std::io::Error),
}

/// Runs `cmd` to its end, or until `deadline` (already scaled) has passed.
///
/// The child runs in a process group of its own, so that stopping it
/// reaches whatever it started; it dies with the checker (on Linux, even
/// when the checker is killed: `platform::die_with_parent` with
/// `SIGTERM`, which a child checker answers by stopping what it started);
/// and Ctrl-C stops it ([`process::spawn_politely`]). However it
/// ends, its group is stopped (SIGTERM, then SIGKILL), the child reaped,
/// and the strays this process adopted killed before this returns.
///
/// Call it from a thread that lives until it returns: Linux signals the
/// child when the thread that started it ends.
pub fn run_child(mut cmd: Command, deadline: Duration) -> Ended {
    cmd.process_group(0);
    platform::die_with_parent(&mut cmd, libc::SIGTERM);
    let mut child = match process::spawn_politely(&mut cmd) {
        Ok(Some(child)) => child,
        Ok(None) => return Ended::Interrupted,
        Err(e) => return Ended::CannotStart(e),
    };
    let pgid = child.id() as i32;
    let deadline = Instant::now() + deadline;
    let ended = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Ended::Exited(status),
            Ok(None) if Instant::now() > deadline => break Ended::TimedOut,
            Ok(None) => std::thread::sleep(POLL),
            Err(e) => break Ended::Lost(e),
        }
    };
    process::stop_group_politely(pgid);
    let _ = child.wait();
    process::forget_polite_group(pgid);
    // Whatever escaped the child (when this process adopts orphans).
    process::kill_strays(process::Strays::Unaccounted);
    ended
}

/// An item's result, and how long it took.
#[derive(Clone, Debug)]
pub struct Done<R> {
    pub result: R,
    pub took: Duration,
}

/// The pool as it stands, for a progress line.
pub struct Snapshot<'a, R> {
    /// Each item's result, once it is done, by the items' order.
    pub results: &'a [Option<Done<R>>],
    /// The items under way (their indexes), in the order they started.
    pub running: &'a [usize],
    /// Every worker has stopped: this is the last snapshot.
    pub over: bool,
}

impl<R> Snapshot<'_, R> {
    /// How many items are done.
    pub fn done(&self) -> usize {
        self.results.iter().flatten().count()
    }
}

/// Shows the pool as it goes, on the thread that runs it: `show` is
/// called every `every`, and once more when all is over.
pub struct Ticker<'a, R> {
    pub every: Duration,
    pub show: &'a mut dyn FnMut(&Snapshot<R>),
}

struct Board<R> {
    results: Vec<Option<Done<R>>>,
    running: Vec<usize>,
}

/// The board, even after a worker panicked (it leaves the board as it
/// was: go on).
fn lock<R>(board: &Mutex<Board<R>>) -> MutexGuard<'_, Board<R>> {
    board.lock().unwrap_or_else(|e| e.into_inner())
}

/// Runs `work` on every item, `parallel` at a time (at least one), the
/// items started in their order. `finished` is told of each item as it
/// ends, on its worker's thread. A [`Ticker`], when given, is shown the
/// pool as it goes.
///
/// Returns each item's result by the items' order; `None` for an item
/// never started, because the checker was stopping (Ctrl-C).
pub fn run_all<T: Sync, R: Send>(
    items: &[T],
    parallel: usize,
    work: impl Fn(&T) -> R + Sync,
    finished: impl Fn(&T, &R, Duration) + Sync,
    ticker: Option<Ticker<R>>,
) -> Vec<Option<Done<R>>> {
    // Popped from the end: reversed, so that the items go in order.
    let queue = Mutex::new((0..items.len()).rev().collect::<Vec<_>>());
    let board = Mutex::new(Board {
        results: items.iter().map(|_| None).collect(),
        running: Vec::new(),
    });
    let workers = parallel.max(1).min(items.len());
    let live = AtomicUsize::new(workers);
    /// Counts a worker out however it ends, so that the ticking ends too.
    struct Leaving<'a>(&'a AtomicUsize);
    impl Drop for Leaving<'_> {
        fn drop(&mut self) {
            self.0.fetch_sub(1, Ordering::SeqCst);
        }
    }
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                let _leaving = Leaving(&live);
                while !process::stopping() {
                    let next = queue.lock().unwrap_or_else(|e| e.into_inner()).pop();
                    let Some(index) = next else { break };
                    lock(&board).running.push(index);
                    let began = Instant::now();
                    let result = work(&items[index]);
                    let took = began.elapsed();
                    finished(&items[index], &result, took);
                    let mut board = lock(&board);
                    board.running.retain(|&i| i != index);
                    board.results[index] = Some(Done { result, took });
                }
            });
        }
        if let Some(Ticker { every, show }) = ticker {
            loop {
                let over = live.load(Ordering::SeqCst) == 0;
                {
                    let board = lock(&board);
                    show(&Snapshot {
                        results: &board.results,
                        running: &board.running,
                        over,
                    });
                }
                if over {
                    break;
                }
                std::thread::sleep(every);
            }
        }
    });
    board
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .results
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str) -> Command {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", script]);
        cmd
    }

    fn long() -> Duration {
        crate::time::scaled(Duration::from_secs(20))
    }

    #[test]
    fn a_child_that_ends_in_time_says_how() {
        let started = Instant::now();
        match run_child(sh("exit 3"), long()) {
            Ended::Exited(status) => assert_eq!(status.code(), Some(3)),
            other => panic!("{other:?}"),
        }
        assert!(started.elapsed() < long());
        assert!(matches!(
            run_child(Command::new("/no/such/program"), long()),
            Ended::CannotStart(_)
        ));
    }

    #[test]
    fn a_child_past_its_deadline_is_stopped_with_everything_it_started() {
        let dir = std::env::temp_dir().join(format!("grade-cli-pool-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a folder");
        let pids = dir.join("pids");
        // The shell and a grandchild, in the shell's group, both asleep.
        let script = format!("sleep 600 & echo $$ $! > {}; wait", pids.display());
        let started = Instant::now();
        let ended = run_child(sh(&script), Duration::from_millis(500));
        assert!(matches!(ended, Ended::TimedOut), "{ended:?}");
        assert!(started.elapsed() < long(), "{:?}", started.elapsed());
        let text = std::fs::read_to_string(&pids).expect("the pids");
        let pids: Vec<i32> = text
            .split_whitespace()
            .map(|p| p.parse().expect("a pid"))
            .collect();
        let [shell, grandchild] = pids[..] else {
            panic!("{text}")
        };
        assert!(
            process::live_members(shell).is_empty(),
            "the group lives on"
        );
        assert!(!process::is_alive(grandchild), "the grandchild lives on");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn the_pool_keeps_to_its_size_and_gives_results_in_order() {
        let now = AtomicUsize::new(0);
        let most = AtomicUsize::new(0);
        let finished = AtomicUsize::new(0);
        let items: Vec<u64> = (0..7).collect();
        let mut ticks = Vec::new();
        let mut tick = |s: &Snapshot<u64>| ticks.push((s.done(), s.running.len(), s.over));
        let results = run_all(
            &items,
            3,
            |&n| {
                let at_once = now.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(at_once, Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(30));
                now.fetch_sub(1, Ordering::SeqCst);
                n * 10
            },
            |_, _, _| {
                finished.fetch_add(1, Ordering::SeqCst);
            },
            Some(Ticker {
                every: Duration::from_millis(5),
                show: &mut tick,
            }),
        );
        let got: Vec<u64> = results
            .iter()
            .map(|d| d.as_ref().expect("done").result)
            .collect();
        assert_eq!(got, [0, 10, 20, 30, 40, 50, 60]);
        assert_eq!(most.load(Ordering::SeqCst), 3);
        assert_eq!(finished.load(Ordering::SeqCst), 7);
        assert!(
            ticks.iter().all(|&(_, running, _)| running <= 3),
            "{ticks:?}"
        );
        assert_eq!(ticks.last(), Some(&(7, 0, true)), "{ticks:?}");
        assert_eq!(ticks.iter().filter(|t| t.2).count(), 1);
    }

    #[test]
    fn a_pool_of_children_under_deadlines() {
        let scripts = ["exit 0", "exit 1", "sleep 600", "kill -9 $$"];
        let results = run_all(
            &scripts,
            4,
            |script| run_child(sh(script), Duration::from_millis(500)),
            |_, _, _| {},
            None,
        );
        let ended: Vec<String> = results
            .iter()
            .map(|d| match &d.as_ref().expect("done").result {
                Ended::Exited(status) => process::describe_status(*status),
                other => format!("{other:?}"),
            })
            .collect();
        assert_eq!(ended[0], "exited with code 0");
        assert_eq!(ended[1], "exited with code 1");
        assert_eq!(ended[2], "TimedOut");
        assert!(ended[3].contains("SIGKILL"), "{}", ended[3]);
    }
}
