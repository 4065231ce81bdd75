//! How a program ended, as data for the report and in words for a
//! beginner.

use std::os::unix::process::ExitStatusExt;
use std::process::ExitStatus;

use serde::Serialize;

/// What the report says of one program a stage ran.
#[derive(Clone, Debug, Serialize)]
pub struct ProgramReport {
    pub name: String,
    pub args: Vec<String>,
    /// How it ended; `None` if it was still running (it is stopped
    /// after the report is made).
    pub exit: Option<Exit>,
    pub seconds: f64,
    /// The end of its stderr (the last lines, at most a few KiB).
    pub stderr_tail: String,
    pub stderr_bytes: u64,
    pub stdout_bytes: u64,
    /// How many processes its group held when the checker stopped it (0
    /// when it had ended on its own): a program that forks without end
    /// shows here.
    pub processes_at_stop: usize,
}

/// How a program ended, as data.
#[derive(Clone, Debug, Serialize)]
pub struct Exit {
    /// Its exit code, if it exited.
    pub code: Option<i32>,
    /// The signal that ended it, if one did.
    pub signal: Option<i32>,
    /// The checker ended it (the stage was over), rather than the program
    /// ending on its own.
    pub stopped_by_checker: bool,
    /// The same in words: "exited with code 1", "was stopped by the checker".
    pub said: String,
}

/// "exited with code 1", "was killed by signal 6 (SIGABRT)", …
pub fn describe_status(status: ExitStatus) -> String {
    if let Some(code) = status.code() {
        if code == 101 {
            "panicked (exit code 101)".to_string()
        } else {
            format!("exited with code {code}")
        }
    } else if let Some(sig) = status.signal() {
        let name = match sig {
            libc::SIGABRT => " (SIGABRT: abort)",
            libc::SIGSEGV => " (SIGSEGV: invalid memory access)",
            libc::SIGKILL => " (SIGKILL)",
            libc::SIGTERM => " (SIGTERM)",
            libc::SIGXCPU => " (SIGXCPU: it used up its CPU time limit)",
            libc::SIGXFSZ => " (SIGXFSZ: it wrote a file over the size limit)",
            libc::SIGPIPE => " (SIGPIPE: wrote to a closed connection)",
            _ => "",
        };
        format!("was killed by signal {sig}{name}")
    } else {
        format!("ended: {status}")
    }
}

/// Whether an exit seen after the checker sent SIGTERM came from that signal.
/// A program may be dying on its own just as the stage ends (an abort closes
/// its sockets a moment before it becomes a zombie): a crash signal or a
/// panic's exit code is then the program's doing, not the checker's.
pub(super) fn caused_by_stop(status: ExitStatus) -> bool {
    match status.signal() {
        Some(sig) => sig == libc::SIGTERM || sig == libc::SIGKILL,
        None => status.code() != Some(101),
    }
}

/// Whether a program that ended on its own crashed (a panic or a signal).
pub fn is_crash(status: ExitStatus) -> bool {
    status.code() == Some(101) || status.signal().is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Builds a wait status as the kernel reports it.
    fn killed_by(signal: i32) -> ExitStatus {
        ExitStatus::from_raw(signal)
    }
    fn exited_with(code: i32) -> ExitStatus {
        ExitStatus::from_raw(code << 8)
    }

    #[test]
    fn a_crash_racing_the_stop_stays_the_programs_own() {
        assert!(caused_by_stop(killed_by(libc::SIGTERM)));
        assert!(caused_by_stop(killed_by(libc::SIGKILL)));
        // A program that catches TERM and exits cleanly was stopped by us.
        assert!(caused_by_stop(exited_with(0)));
        assert!(caused_by_stop(exited_with(143)));
        // An abort, a segfault or a panic was already under way.
        assert!(!caused_by_stop(killed_by(libc::SIGABRT)));
        assert!(!caused_by_stop(killed_by(libc::SIGSEGV)));
        assert!(!caused_by_stop(exited_with(101)));
        assert!(is_crash(exited_with(101)) && !is_crash(exited_with(1)));
    }
}
