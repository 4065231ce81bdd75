//! Starting the programs under test, watching their output, and making sure
//! they die.
//!
//! Every program runs in a session (and so a process group) of its own, so
//! that one signal to the group reaches it and any child it forked, and
//! carries a mark in its environment ([`MARK`]) so that one that leaves its
//! group is found too. In the sandbox, the checker also adopts orphans
//! ([`kill_strays`]): then a program's daemon is found whatever it does.
//! Groups still alive are kept in a registry, so that Ctrl-C (see
//! [`kill_everything`]) can end them all.
//!
//! - [`registry`]: the groups alive, and the signals that end them;
//! - [`capture`]: stdout and stderr, read within caps, panics noticed;
//! - [`spawn`]: [`Proc`], one program under test;
//! - [`exit`]: how a program ended, as data and in words.
//!
//! Programs are started by one long-lived thread, the spawner: Linux's
//! "kill me when my parent dies" (`PR_SET_PDEATHSIG`) fires when the
//! *thread* that forked the program ends, so a program forked from a
//! stage's short-lived helper thread would otherwise die early.

pub mod capture;
pub mod exit;
pub mod registry;
pub mod spawn;

pub use capture::{ANNOUNCE_PREFIX, STDERR_HEAD, STDERR_TAIL, STDOUT_CAP, await_announcement};
pub use exit::{Exit, ProgramReport, describe_status, is_crash};
pub use registry::{
    Strays, forget_group, forget_polite_group, kill_everything, kill_group, kill_strays,
    live_group_count, live_members, marked, running_with, spawn_politely, spawn_tracked,
    stop_group_politely, stopping,
};
pub use spawn::{Input, Limits, MARK, Proc, own_session};

pub use crate::platform::{cpu_seconds, is_alive, peak_resident_kib};
