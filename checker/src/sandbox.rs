//! Running code the checker did not write: a submission's build scripts,
//! proc macros and programs. With `--sandbox` (which `cargo grade class`
//! always uses), the checker
//!
//! - enters a network namespace of its own before it starts anything, so
//!   the build and the programs see a loopback of their own and no other
//!   network (nothing they do leaves the machine, or reaches its services);
//! - builds offline, from the course's lock file and the crates already
//!   fetched;
//! - sets limits on every build and program before it runs (rlimits): CPU
//!   time, memory, file size, open files, and processes;
//! - runs each in a process group of its own that the checker ends (as it
//!   always does), in a scratch folder of the submission's own.
//!
//! The namespace needs unprivileged user namespaces (most Linux systems
//! allow them; some hardened ones, Ubuntu 24.04 among them, do not). The
//! whole sequence is first tried in a throwaway child process; where it
//! fails, grading goes on with the limits alone, and says so: the programs
//! could then reach the network.
//!
//! What it does not do: hide your files or your other processes. Code run
//! here runs as you, and can read and write what you can (your home, the
//! reports), signal your processes, and talk to services on Unix sockets.
//! For a class, grade as a throwaway user or in a VM or container (as
//! Gradescope does, one per submission).

use std::os::unix::process::CommandExt;
use std::process::Command;
use std::sync::OnceLock;

use crate::platform;

/// The limits, per program and per build.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// RLIMIT_CPU, seconds of CPU time.
    pub cpu_seconds: u64,
    /// RLIMIT_AS, bytes of address space (None: not limited).
    pub memory_bytes: Option<u64>,
    /// RLIMIT_FSIZE, the largest file it may write.
    pub file_bytes: u64,
    /// RLIMIT_NOFILE.
    pub open_files: u64,
    /// RLIMIT_NPROC: how many more processes and threads than the user
    /// had when the sandbox was entered (the kernel counts them per user).
    /// Root is not held to it by the kernel: there, the process groups
    /// and the stage's deadline end a fork bomb.
    pub processes: u64,
}

/// What a program under test may use. The stages need far less: a stage
/// sends 32 MiB at most, and a program has a few dozen threads.
pub const PROGRAM: Limits = Limits {
    cpu_seconds: 60,
    memory_bytes: Some(1 << 30),
    file_bytes: 256 << 20,
    open_files: 1024,
    processes: 2048,
};

/// What a build may use: rustc needs much more memory than a program, and
/// its address space is not a fair measure, so only time and files.
pub const BUILD: Limits = Limits {
    cpu_seconds: 900,
    memory_bytes: None,
    file_bytes: 1 << 30,
    open_files: 4096,
    processes: 4096,
};

/// How the sandbox stands in this process.
#[derive(Clone, Debug)]
pub struct State {
    /// In a network namespace of its own.
    pub network_isolated: bool,
    /// The user's processes and threads when the sandbox was entered.
    pub user_tasks: u64,
    /// Why not, when not.
    pub note: Option<String>,
}

static STATE: OnceLock<State> = OnceLock::new();
static WORKDIR: OnceLock<std::path::PathBuf> = OnceLock::new();

/// The folder programs run in, inside the sandbox: the submission's own
/// scratch folder, so that what they write stays there.
pub fn set_workdir(dir: std::path::PathBuf) {
    let _ = std::fs::create_dir_all(&dir);
    let _ = WORKDIR.set(dir);
}

/// The folder programs run in, if one was set.
pub fn workdir() -> Option<&'static std::path::Path> {
    WORKDIR.get().map(|d| d.as_path())
}

/// The sandbox, if this process is in one.
pub fn state() -> Option<&'static State> {
    STATE.get()
}

/// Enters the sandbox: a network namespace of its own with loopback up,
/// then limits on whatever is started from now on. Must be called before
/// any thread is started (a process with threads cannot enter a user
/// namespace).
pub fn enter() -> &'static State {
    // SAFETY: getuid cannot fail.
    let user_tasks = platform::user_tasks(unsafe { libc::getuid() });
    // Tried in a child first: a process whose unshare succeeds but whose
    // uid map or loopback then fails would be left without any network.
    let state = match platform::probe_network_namespace()
        .and_then(|()| platform::enter_network_namespace())
    {
        Ok(()) => State {
            network_isolated: true,
            user_tasks,
            note: None,
        },
        Err(why) => State {
            network_isolated: false,
            user_tasks,
            note: Some(format!(
                "no network namespace ({why}): builds and programs run with limits, but could reach the network"
            )),
        },
    };
    STATE.get_or_init(|| state)
}

/// Sets `limits` on `cmd` when this process is in the sandbox.
pub fn limit(cmd: &mut Command, limits: Limits) {
    let Some(state) = STATE.get() else {
        return;
    };
    // SAFETY: getuid cannot fail.
    let root = unsafe { libc::getuid() } == 0;
    // In a user namespace of its own, the kernel (5.14 and later) counts
    // processes per namespace; outside one, per user, with all of yours.
    let processes = if state.network_isolated {
        limits.processes
    } else {
        state.user_tasks + limits.processes
    };
    // glibc gives each thread its own 64 MiB arena of address space, up to
    // eight per core: under an address-space limit a server with a thread
    // per client would fail to start threads for want of address space,
    // not of memory.
    cmd.env("MALLOC_ARENA_MAX", "2");
    // SAFETY: setrlimit is async-signal-safe, as pre_exec requires.
    unsafe {
        cmd.pre_exec(move || {
            let set = |resource, value: u64| {
                let limit = libc::rlimit {
                    rlim_cur: value as libc::rlim_t,
                    rlim_max: value as libc::rlim_t,
                };
                if libc::setrlimit(resource, &limit) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            };
            set(libc::RLIMIT_CPU, limits.cpu_seconds)?;
            set(libc::RLIMIT_FSIZE, limits.file_bytes)?;
            set(libc::RLIMIT_NOFILE, limits.open_files)?;
            set(libc::RLIMIT_CORE, 0)?;
            if let Some(bytes) = limits.memory_bytes {
                set(libc::RLIMIT_AS, bytes)?;
            }
            if !root {
                set(libc::RLIMIT_NPROC, processes)?;
            }
            Ok(())
        });
    }
}
