//! Running code the checker did not write: a submission's build scripts,
//! proc macros and programs. With `--sandbox` (which `cargo grade class`
//! always uses), the checker, before it starts anything,
//!
//! - enters namespaces of its own: a network namespace (a loopback of its
//!   own, and no other network), a PID namespace whose first process (a
//!   small init) takes every process of the submission with it when the
//!   checker ends, and a mount namespace;
//! - adopts every orphan of what it starts (a daemon that calls `setsid`
//!   and clears its environment is still its descendant), and kills those
//!   strays at the end of each stage, of the build and of the submission;
//! - builds a filesystem of its own for the build and the programs (a
//!   [view](build_view)): the workspace graded (writable), the toolchain,
//!   the crate cache and the system (read-only), a `/tmp` of its own.
//!   Your home, the class folder, the other submissions' workspaces, the
//!   course's checkout and the reports are not in it;
//! - builds offline, from the course's lock file and the crates already
//!   fetched;
//! - sets limits on every build and program (rlimits): CPU time, memory,
//!   file size, open files and processes.
//!
//! Namespaces need unprivileged user namespaces (most Linux systems allow
//! them; some hardened ones, Ubuntu 24.04 among them, do not). Each step is
//! first tried in a throwaway child; where it is refused, grading goes on
//! with what remains, and [`protection`] says what that is (the child
//! checker prints it, and `cargo grade class` sums it up).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};

use crate::platform::{self, Namespaces};

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
    /// In a PID and a mount namespace of its own.
    pub pid_namespace: bool,
    /// Orphans of what the checker starts are adopted by it (so they are
    /// found and killed, whatever they did to their environment).
    pub adopts_orphans: bool,
    /// The checker runs as root (outside the namespace).
    pub root: bool,
    /// The user's processes and threads when the sandbox was entered.
    pub user_tasks: u64,
    /// Why a namespace was refused, when one was.
    pub note: Option<String>,
}

/// The environment variable that turns the namespaces off (`0`), to try
/// the fallback where they are allowed.
pub const NAMESPACES_VAR: &str = "GRADE_SANDBOX_NAMESPACES";

/// Space for the view's `/tmp` (kept in memory).
const TMP_BYTES: u64 = 256 << 20;

static STATE: OnceLock<State> = OnceLock::new();
static WORKDIR: OnceLock<PathBuf> = OnceLock::new();

/// The view, once made: its root and what it shows; or why there is none.
static VIEW: OnceLock<Result<View, String>> = OnceLock::new();

struct View {
    root: PathBuf,
    shown: Mutex<Vec<PathBuf>>,
}

/// The folder programs run in, inside the sandbox: the submission's own
/// scratch folder, so that what they write stays there.
pub fn set_workdir(dir: PathBuf) {
    let _ = std::fs::create_dir_all(&dir);
    let _ = WORKDIR.set(dir);
}

/// The folder programs run in, if one was set.
pub fn workdir() -> Option<&'static Path> {
    WORKDIR.get().map(|d| d.as_path())
}

/// The sandbox, if this process is in one.
pub fn state() -> Option<&'static State> {
    STATE.get()
}

/// Enters the sandbox: every namespace this system allows (see the
/// module's documentation), then limits on whatever is started from now
/// on. Must be called before any thread is started (a process with
/// threads cannot enter a user namespace). With a PID namespace, only the
/// checker returns from here: the process that called it waits outside
/// and exits as the checker does.
pub fn enter() -> &'static State {
    // SAFETY: getuid cannot fail.
    let uid = unsafe { libc::getuid() };
    let user_tasks = platform::user_tasks(uid);
    let mut refused = Vec::new();
    let entered = if std::env::var_os(NAMESPACES_VAR).is_some_and(|v| v == "0") {
        refused.push(format!("turned off by {NAMESPACES_VAR}=0"));
        None
    } else {
        [Namespaces::All, Namespaces::Network]
            .into_iter()
            .find(|&which| match platform::probe_namespaces(which) {
                Ok(()) => true,
                Err(why) => {
                    refused.push(why);
                    false
                }
            })
    };
    if let Some(which) = entered
        && let Err(why) = platform::enter_namespaces(which)
    {
        // The probe passed: this is not a refusal but a half-made
        // sandbox, in which nothing should run.
        eprintln!("cargo grade: the sandbox failed halfway: {why}");
        std::process::exit(3);
    }
    let state = State {
        network_isolated: entered.is_some(),
        pid_namespace: entered == Some(Namespaces::All),
        adopts_orphans: platform::adopt_orphans(),
        root: uid == 0,
        user_tasks,
        note: (!refused.is_empty()).then(|| {
            let without = match entered {
                Some(_) => "no PID or mount namespace",
                None => "no namespaces",
            };
            format!("{without} ({}); see `sandbox:` below", refused.join("; "))
        }),
    };
    STATE.get_or_init(|| state)
}

/// What protects the machine from the code run here, in one line for a
/// log: processes, files, network.
pub fn protection() -> String {
    let Some(state) = state() else {
        return "none: not in the sandbox".into();
    };
    let processes = if state.pid_namespace {
        "a PID namespace of its own, ended whole with the submission; strays killed after each stage"
    } else if state.adopts_orphans {
        "adopted by the checker (no PID namespace); strays killed after each stage and at the end"
    } else {
        "process groups and marks only: a daemon that leaves its group and clears its environment can outlive the run"
    };
    let files = match VIEW.get() {
        Some(Ok(_)) => {
            "only its own workspace (writable), the toolchain, crate cache and system (read-only)"
                .to_string()
        }
        Some(Err(why)) => format!("not hidden ({why}): it can read and write what you can"),
        None => "not hidden (no view yet): it can read and write what you can".to_string(),
    };
    let network = if state.network_isolated {
        "a loopback of its own"
    } else {
        "not isolated: it can reach the network"
    };
    format!("processes: {processes}; files: {files}; network: {network}")
}

/// The paths of this machine a build needs, read-only: the system's
/// programs and libraries, a few files of `/etc`, the toolchain and the
/// crate cache (wherever `CARGO_HOME`, `RUSTUP_HOME`, `CARGO` and `RUSTC`
/// say they are).
pub fn system_paths() -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = [
        "/usr",
        "/bin",
        "/sbin",
        "/lib",
        "/lib32",
        "/lib64",
        "/libx32",
        "/nix/store",
    ]
    .iter()
    .map(PathBuf::from)
    .collect();
    for name in [
        "alternatives",
        "ld.so.cache",
        "ld.so.conf",
        "ld.so.conf.d",
        "passwd",
        "group",
        "nsswitch.conf",
        "hosts",
        "host.conf",
        "gai.conf",
        "services",
        "protocols",
        "localtime",
    ] {
        paths.push(Path::new("/etc").join(name));
    }
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let var = |name: &str| std::env::var_os(name).map(PathBuf::from);
    paths.extend(var("CARGO_HOME").or_else(|| home.as_ref().map(|h| h.join(".cargo"))));
    paths.extend(var("RUSTUP_HOME").or_else(|| home.as_ref().map(|h| h.join(".rustup"))));
    // A toolchain installed elsewhere: the folder above its bin/.
    for tool in ["CARGO", "RUSTC"] {
        if let Some(exe) = var(tool).and_then(|p| std::fs::canonicalize(p).ok())
            && let Some(toolchain) = exe.parent().and_then(Path::parent)
        {
            paths.push(toolchain.to_path_buf());
        }
    }
    paths.retain(|p| p.is_absolute());
    paths
}

/// Builds the view in which the build and the programs run, once: only
/// `writable` (the workspace graded, and its target folder) and
/// `read_only` (besides [`system_paths`]) are in it. Where it cannot be
/// made (no mount namespace), nothing is hidden. Either way, the
/// protection in force is printed on stderr, once.
pub fn show_only(writable: &[PathBuf], read_only: &[PathBuf]) {
    let Some(state) = state() else { return };
    let view = VIEW.get_or_init(|| {
        if !state.pid_namespace {
            return Err("no mount namespace".into());
        }
        let first = writable.first().ok_or("nothing to show")?;
        let root = first.join("target/grade/sandbox");
        let mut shown: Vec<(PathBuf, bool)> = writable.iter().map(|p| (p.clone(), true)).collect();
        let mut all = system_paths();
        all.extend_from_slice(read_only);
        shown.extend(all.into_iter().map(|p| (p, false)));
        // A path inside one already shown the same way needs no mount.
        shown.sort();
        let mut kept: Vec<(PathBuf, bool)> = Vec::new();
        for (path, rw) in shown {
            if !kept
                .iter()
                .any(|(k, krw)| path.starts_with(k) && *krw == rw)
            {
                kept.push((path, rw));
            }
        }
        platform::build_view(&root, &kept, TMP_BYTES)?;
        Ok(View {
            root,
            shown: Mutex::new(kept.into_iter().map(|(p, _)| p).collect()),
        })
    });
    static SAID: OnceLock<()> = OnceLock::new();
    SAID.get_or_init(|| eprintln!("cargo grade: sandbox: {}", protection()));
    let _ = view;
}

/// Makes `path` (a program given with `--program`) visible, read-only, in
/// the view, if it is not already.
pub fn reveal(path: &Path) {
    let Some(Ok(view)) = VIEW.get() else { return };
    let mut shown = view.shown.lock().unwrap_or_else(|e| e.into_inner());
    if shown.iter().any(|s| path.starts_with(s)) {
        return;
    }
    if platform::show_in_view(&view.root, path).is_ok() {
        shown.push(path.to_path_buf());
    }
}

/// Sets `limits` on `cmd` when this process is in the sandbox, and, when
/// the view is made, confines it to the view, starting in `cwd`.
pub fn limit(cmd: &mut Command, limits: Limits, cwd: &Path) {
    let Some(state) = STATE.get() else {
        return;
    };
    if let Some(Ok(view)) = VIEW.get() {
        cmd.env("TMPDIR", "/tmp");
        platform::confine(cmd, &view.root, cwd);
    }
    // In a user namespace of its own, the kernel (5.14 and later) counts
    // processes per namespace; outside one, per user, with all of yours.
    let processes = if state.network_isolated {
        limits.processes
    } else {
        state.user_tasks + limits.processes
    };
    let root = state.root;
    // glibc gives each thread its own 64 MiB arena of address space, up to
    // eight per core: under an address-space limit a server with a thread
    // per client would fail to start threads for want of address space,
    // not of memory.
    cmd.env("MALLOC_ARENA_MAX", "2");
    // SAFETY: setrlimit is async-signal-safe, as pre_exec requires.
    unsafe {
        std::os::unix::process::CommandExt::pre_exec(cmd, move || {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_build_sees_the_system_and_the_toolchain_read_only() {
        let paths = system_paths();
        assert!(paths.iter().all(|p| p.is_absolute()), "{paths:?}");
        assert!(paths.contains(&PathBuf::from("/usr")));
        assert!(paths.contains(&PathBuf::from("/etc/ld.so.cache")));
        assert!(
            !paths
                .iter()
                .any(|p| p == Path::new("/etc") || p.ends_with("shadow"))
        );
        if let Some(home) = std::env::var_os("CARGO_HOME") {
            assert!(paths.contains(&PathBuf::from(home)));
        }
        // The tests never enter the sandbox: nothing protects, and it says so.
        assert!(state().is_none());
        assert_eq!(protection(), "none: not in the sandbox");
    }
}
