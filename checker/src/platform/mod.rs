//! Every Linux-only call of the checker lives here, each with a fallback
//! for other Unix systems (macOS), so that the rest of the checker is plain
//! portable Rust and a reader sees in one page what Linux adds.
//!
//! What Linux gives that other systems do not, and what the fallback does:
//!
//! | call | used for | elsewhere |
//! |---|---|---|
//! | `prctl(PR_SET_PDEATHSIG)` | a program dies with the checker | nothing: [`crate::process`] still kills groups on exit |
//! | `/proc/PID/stat`, `status`, `environ` | live processes, peak memory, threads, CPU time, marked strays | `kill(pid, 0)` for "alive"; the rest is unknown (`None`) |
//! | `TCP_INFO` | how many TCP segments a program sent | unknown (`None`): the stage says so |
//! | `sendfile` | the hand HTTP peer sends a file to a socket without copying it through the checker (benchmarks) | a plain copy |
//! | `unshare(CLONE_NEWUSER \| CLONE_NEWNET \| CLONE_NEWPID \| CLONE_NEWNS)`, a forked init, `mount` | the sandbox's namespaces: network, processes, files | refused: the sandbox runs with what remains (see [`crate::sandbox`]) |
//! | `prctl(PR_SET_CHILD_SUBREAPER)` | orphans adopted, so daemons are found | none: process groups and marks only |
//! | `chroot`, `prctl(PR_SET_NO_NEW_PRIVS)` | a program sees only the sandbox's view | no view |
//!
//! A test (`checker/tests/layers.rs`) fails when such a call appears
//! anywhere else in `checker/src`.

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Whether this system has `/proc` with the fields the checker reads.
pub const HAS_PROC: bool = cfg!(target_os = "linux");

/// Asks the kernel to send `signal` to the program `cmd` starts when the
/// checker dies, however it dies (even SIGKILL). A no-op elsewhere.
pub fn die_with_parent(cmd: &mut Command, signal: i32) {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::process::CommandExt;
        // SAFETY: prctl is async-signal-safe, as pre_exec requires.
        unsafe {
            cmd.pre_exec(move || {
                libc::prctl(libc::PR_SET_PDEATHSIG, signal);
                Ok(())
            });
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = (cmd, signal);
}

/// How many bytes wait unread in a pipe or socket (`FIONREAD`, which
/// Linux and the BSDs share); 0 when it cannot be asked.
pub fn bytes_waiting(fd: std::os::fd::RawFd) -> usize {
    let mut n: libc::c_int = 0;
    // SAFETY: FIONREAD writes one int, which `n` is.
    let rc = unsafe { libc::ioctl(fd, libc::FIONREAD, &mut n) };
    if rc == 0 { n.max(0) as usize } else { 0 }
}

/// Every process id on the machine (empty without `/proc`).
pub fn pids() -> Vec<i32> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .collect()
}

/// What `/proc/PID/stat` says of a process.
pub struct Stat {
    /// R, S, D, Z (zombie), X (dead), …
    pub state: char,
    /// Its parent (the process that reaps it).
    pub ppid: i32,
    pub pgrp: i32,
    /// Clock ticks of user and of system time.
    pub utime: u64,
    pub stime: u64,
}

/// Reads `/proc/PID/stat`; `None` when the process is gone or there is no
/// `/proc`.
pub fn stat(pid: i32) -> Option<Stat> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name is in parentheses and may hold spaces: skip past it.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    Some(Stat {
        state: fields.first()?.chars().next()?,
        ppid: fields.get(1)?.parse().ok()?,
        pgrp: fields.get(2)?.parse().ok()?,
        // Fields 14 and 15 of the line, counted after the name.
        utime: fields.get(11)?.parse().ok()?,
        stime: fields.get(12)?.parse().ok()?,
    })
}

/// Whether a process (not a zombie) with this pid exists. Without `/proc`
/// a zombie counts as alive until it is reaped.
pub fn is_alive(pid: i32) -> bool {
    if HAS_PROC {
        matches!(stat(pid), Some(s) if s.state != 'Z' && s.state != 'X')
    } else {
        // SAFETY: signal 0 checks that the process exists; nothing is sent.
        unsafe { libc::kill(pid, 0) == 0 }
    }
}

/// Whether the environment of process `pid` holds exactly `entry`
/// (`KEY=VALUE`). Unknown (false) without `/proc`.
pub fn has_env(pid: i32, entry: &str) -> bool {
    let env = std::fs::read(format!("/proc/{pid}/environ")).unwrap_or_default();
    env.split(|&b| b == 0).any(|v| v == entry.as_bytes())
}

/// The CPU time a process has used so far, user and system, in seconds.
pub fn cpu_seconds(pid: u32) -> Option<f64> {
    let s = stat(pid as i32)?;
    // SAFETY: sysconf has no memory effects.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    (ticks > 0).then(|| (s.utime + s.stime) as f64 / ticks as f64)
}

/// One `Name:  value` line of `/proc/PID/status`, its first word.
fn status_field(pid: u32, name: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find_map(|l| l.strip_prefix(name))?;
    line.strip_prefix(':')?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// The peak resident memory of a process in KiB (VmHWM, the "high water
/// mark"): it catches a brief spike too.
pub fn peak_resident_kib(pid: u32) -> Option<u64> {
    status_field(pid, "VmHWM")
}

/// The resident memory of a process now, in KiB (VmRSS).
pub fn resident_kib(pid: u32) -> Option<u64> {
    status_field(pid, "VmRSS")
}

/// How many threads a process runs now.
pub fn threads(pid: u32) -> Option<u64> {
    status_field(pid, "Threads")
}

/// How many processes and threads the user `uid` runs now (0 when
/// unknown).
pub fn user_tasks(uid: u32) -> u64 {
    pids()
        .into_iter()
        .filter(|&pid| status_field(pid as u32, "Uid") == Some(uid as u64))
        .map(|pid| threads(pid as u32).unwrap_or(1))
        .sum()
}

/// How many TCP segments carrying data this socket has received
/// (`tcpi_data_segs_in`): how many pieces the other side's message came in,
/// whatever the reads saw. `None` where the kernel does not say.
pub fn tcp_data_segments_in(stream: &TcpStream) -> Option<u32> {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        // struct tcp_info, read as bytes: tcpi_data_segs_in is at offset
        // 152 (Linux 4.6 and later; older kernels give a shorter struct).
        const OFFSET: usize = 152;
        let mut info = [0u8; 256];
        let mut len = info.len() as libc::socklen_t;
        // SAFETY: the buffer is valid for `len` bytes, and the kernel
        // writes at most that many, then sets `len` to how many it wrote.
        let rc = unsafe {
            libc::getsockopt(
                stream.as_raw_fd(),
                libc::IPPROTO_TCP,
                libc::TCP_INFO,
                info.as_mut_ptr().cast(),
                &mut len,
            )
        };
        if rc != 0 || (len as usize) < OFFSET + 4 {
            return None;
        }
        let bytes: [u8; 4] = info[OFFSET..OFFSET + 4].try_into().ok()?;
        Some(u32::from_ne_bytes(bytes))
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = stream;
        None
    }
}

/// Sends the first `len` bytes of `file` (fewer if it is shorter) to
/// `stream`, and says how many went. On Linux with `sendfile`: the bytes go
/// from the page cache to the socket without a copy through this process,
/// as a fast web server sends them. Elsewhere a plain copy.
pub fn send_file(file: &std::fs::File, stream: &TcpStream, len: u64) -> std::io::Result<u64> {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        let (mut offset, mut sent): (libc::off_t, u64) = (0, 0);
        while sent < len {
            let want = (len - sent).min(1 << 30) as usize;
            // SAFETY: both descriptors are open for the call; the kernel
            // reads the file from `offset` and moves `offset` on.
            let n =
                unsafe { libc::sendfile(stream.as_raw_fd(), file.as_raw_fd(), &mut offset, want) };
            match n {
                0 => break,
                n if n > 0 => sent += n as u64,
                _ => {
                    let e = std::io::Error::last_os_error();
                    if e.kind() != std::io::ErrorKind::Interrupted {
                        return Err(e);
                    }
                }
            }
        }
        Ok(sent)
    }
    #[cfg(not(target_os = "linux"))]
    {
        use std::io::{Read, Seek, SeekFrom};
        let mut file = file;
        file.seek(SeekFrom::Start(0))?;
        std::io::copy(&mut file.take(len), &mut &*stream)
    }
}

/// Whether this process may enter `which`: the whole sequence is tried in
/// a forked child (and the `/proc` mount in the first process of its new
/// PID namespace), so that a half-entered namespace never leaves this
/// process without a network. Must be called before any thread exists.
pub fn probe_namespaces(which: Namespaces) -> Result<(), String> {
    #[cfg(target_os = "linux")]
    return linux::in_child(|| {
        linux::unshare_into(which)?;
        match which {
            Namespaces::Network => Ok(()),
            Namespaces::All => linux::in_child(linux::mount_proc),
        }
    })
    .map_err(|why| {
        if why.is_empty() {
            "this system refuses unprivileged user namespaces".into()
        } else {
            why
        }
    });
    #[cfg(not(target_os = "linux"))]
    {
        let _ = which;
        Err("namespaces are Linux's".into())
    }
}

/// Moves this process into `which`. With [`Namespaces::All`], this
/// process stays outside, waits, and exits as the checker does; its child
/// is the namespace's init (it reaps orphans, and when it exits the kernel
/// kills every process left in the namespace); its grandchild, the
/// checker, is the one that returns. Must be called before any thread
/// exists.
pub fn enter_namespaces(which: Namespaces) -> Result<(), String> {
    #[cfg(target_os = "linux")]
    {
        linux::unshare_into(which)?;
        if which == Namespaces::All {
            linux::start_init()?;
        }
        Ok(())
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = which;
        Err("namespaces are Linux's".into())
    }
}

static ADOPTS: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Makes this process adopt its descendants' orphans (a daemon that
/// double-forks or calls `setsid`) instead of the system's init
/// (`PR_SET_CHILD_SUBREAPER`), so that whatever it started, however far,
/// stays its descendant. False where the system has no such thing.
pub fn adopt_orphans() -> bool {
    #[cfg(target_os = "linux")]
    // SAFETY: prctl has no memory effects.
    let ok = unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1) } == 0;
    #[cfg(not(target_os = "linux"))]
    let ok = false;
    ADOPTS.store(ok, std::sync::atomic::Ordering::SeqCst);
    ok
}

/// Whether [`adopt_orphans`] succeeded in this process.
pub fn adopts_orphans() -> bool {
    ADOPTS.load(std::sync::atomic::Ordering::SeqCst)
}

/// A filesystem of its own for what the sandbox starts, built at `root`
/// (in the checker's own mount namespace): a small read-only tmpfs in
/// which each of `shown` (a path, and whether it is writable) appears at
/// its own place, with a `/tmp` of `tmp_bytes`, `/proc`, and the devices
/// a program needs. What is started with [`confine`] sees only that.
pub fn build_view(root: &Path, shown: &[(PathBuf, bool)], tmp_bytes: u64) -> Result<(), String> {
    #[cfg(target_os = "linux")]
    {
        use linux::{mount, show};
        std::fs::create_dir_all(root).map_err(|e| format!("{}: {e}", root.display()))?;
        let flags = libc::MS_NOSUID | libc::MS_NODEV;
        mount(Some("tmpfs"), root, Some("tmpfs"), flags, linux::VIEW_ROOT)?;
        // /tmp first: a path shown under it (a checkout in /tmp, say) is
        // then mounted on top of it, not hidden beneath it.
        let tmp = root.join("tmp");
        std::fs::create_dir_all(&tmp).map_err(|e| format!("{}: {e}", tmp.display()))?;
        let size = format!("size={tmp_bytes},mode=1777");
        mount(Some("tmpfs"), &tmp, Some("tmpfs"), flags, &size)?;
        for (path, writable) in shown {
            show(root, path, *writable)?;
        }
        for device in ["null", "zero", "full", "random", "urandom"] {
            show(root, &Path::new("/dev").join(device), true)?;
        }
        for (i, name) in ["stdin", "stdout", "stderr"].iter().enumerate() {
            let _ = std::os::unix::fs::symlink(
                format!("/proc/self/fd/{i}"),
                root.join("dev").join(name),
            );
        }
        let _ = std::os::unix::fs::symlink("/proc/self/fd", root.join("dev/fd"));
        show(root, Path::new("/proc"), true)?;
        linux::root_writable(root, false)
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = (root, shown, tmp_bytes);
        Err("a filesystem of its own needs Linux's mount namespaces".into())
    }
}

/// Shows one more path, read-only, in a view built by [`build_view`].
pub fn show_in_view(root: &Path, path: &Path) -> Result<(), String> {
    #[cfg(target_os = "linux")]
    {
        linux::root_writable(root, true)?;
        let shown = linux::show(root, path, false);
        linux::root_writable(root, false)?;
        shown
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = (root, path);
        Err("no view".into())
    }
}

/// Makes `cmd` see only the view at `root` (see [`build_view`]), from
/// `cwd` (a folder inside it): `chroot`, `chdir`, and no gaining of
/// privileges on exec. A no-op elsewhere than Linux.
pub fn confine(cmd: &mut Command, root: &Path, cwd: &Path) {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::process::CommandExt;
        let (Ok(root), Ok(cwd)) = (linux::c(root), linux::c(cwd)) else {
            return;
        };
        // SAFETY: chroot, chdir and prctl are async-signal-safe, as
        // pre_exec requires; the strings were made before the fork.
        unsafe {
            cmd.pre_exec(move || {
                if libc::chroot(root.as_ptr()) != 0
                    || libc::chdir(cwd.as_ptr()) != 0
                    || libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0
                {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = (cmd, root, cwd);
}

/// A process's command line, its arguments joined by spaces (`None` when
/// it is gone, or without `/proc`).
pub fn command_line(pid: i32) -> Option<String> {
    let bytes = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
    let args: Vec<String> = bytes
        .split(|&b| b == 0)
        .filter(|a| !a.is_empty())
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect();
    Some(args.join(" "))
}

#[cfg(target_os = "linux")]
mod linux;
mod namespaces;

pub use namespaces::Namespaces;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_is_seen_alive_with_its_threads_and_environment() {
        let me = std::process::id();
        assert!(is_alive(me as i32));
        if HAS_PROC {
            assert!(threads(me).unwrap() >= 1);
            assert!(peak_resident_kib(me).unwrap() > 0);
            assert!(resident_kib(me).unwrap() > 0);
            assert!(pids().contains(&(me as i32)));
            let path = std::env::var("PATH").unwrap_or_default();
            assert!(has_env(me as i32, &format!("PATH={path}")));
            assert!(!has_env(me as i32, "PATH=/surely/not/this"));
            // SAFETY: getppid cannot fail.
            assert_eq!(stat(me as i32).unwrap().ppid, unsafe { libc::getppid() });
            let exe = std::env::current_exe().unwrap();
            let line = command_line(me as i32).unwrap();
            assert!(line.starts_with(&*exe.to_string_lossy()), "{line}");
        }
    }

    /// Linux signals the child when the thread that forked it ends: a
    /// child started from a thread that has since returned is gone.
    #[test]
    #[cfg(target_os = "linux")]
    fn a_child_dies_with_the_thread_that_started_it() {
        use std::os::unix::process::ExitStatusExt;
        use std::time::{Duration, Instant};
        let mut child = std::thread::spawn(|| {
            let mut cmd = Command::new("sleep");
            cmd.arg("30");
            die_with_parent(&mut cmd, libc::SIGKILL);
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
