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
//! | `unshare(CLONE_NEWUSER \| CLONE_NEWNET)` | the sandbox's network of its own | refused: the sandbox runs with limits only |
//!
//! A test (`checker/tests/layers.rs`) fails when such a call appears
//! anywhere else in `checker/src`.

use std::net::TcpStream;
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

/// Whether this process may enter a user and network namespace of its own:
/// the whole sequence is tried in a forked child, which then exits, so that
/// a half-entered namespace never leaves this process without a network.
/// Must be called before any thread exists.
pub fn probe_network_namespace() -> Result<(), String> {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: called before any thread exists, so the child is a copy
        // of a single-threaded process and may do anything; it ends with
        // _exit.
        let pid = unsafe { libc::fork() };
        if pid < 0 {
            return Err(format!("fork: {}", std::io::Error::last_os_error()));
        }
        if pid == 0 {
            let code = if enter_network_namespace().is_ok() {
                0
            } else {
                1
            };
            // SAFETY: ends the child without running the parent's
            // destructors.
            unsafe { libc::_exit(code) };
        }
        let mut status = 0;
        // SAFETY: waits for the child just forked.
        unsafe { libc::waitpid(pid, &mut status, 0) };
        if libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0 {
            Ok(())
        } else {
            Err("this system refuses unprivileged user namespaces".into())
        }
    }
    #[cfg(not(target_os = "linux"))]
    Err("network namespaces are Linux's".into())
}

/// Moves this process into a new user and network namespace, keeping its
/// user id, with loopback up. Must be called before any thread exists.
pub fn enter_network_namespace() -> Result<(), String> {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: getuid/getgid cannot fail.
        let (uid, gid) = unsafe { (libc::getuid(), libc::getgid()) };
        // SAFETY: unshare changes this process's namespaces; it is called
        // before any other thread exists.
        if unsafe { libc::unshare(libc::CLONE_NEWUSER | libc::CLONE_NEWNET) } != 0 {
            return Err(format!("unshare: {}", std::io::Error::last_os_error()));
        }
        // Keep the same user id inside, so files stay ours.
        let write = |path: &str, text: String| {
            std::fs::write(path, text).map_err(|e| format!("{path}: {e}"))
        };
        write("/proc/self/setgroups", "deny".into())?;
        write("/proc/self/uid_map", format!("{uid} {uid} 1"))?;
        write("/proc/self/gid_map", format!("{gid} {gid} 1"))?;
        loopback_up()
    }
    #[cfg(not(target_os = "linux"))]
    Err("network namespaces are Linux's".into())
}

/// Brings `lo` up in a new network namespace (it starts down).
#[cfg(target_os = "linux")]
fn loopback_up() -> Result<(), String> {
    // SAFETY: a plain socket for the ioctl; closed below.
    let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_DGRAM, 0) };
    if fd < 0 {
        return Err(format!("socket: {}", std::io::Error::last_os_error()));
    }
    // SAFETY: ifreq is plain data; zeroed is a valid value.
    let mut req: libc::ifreq = unsafe { std::mem::zeroed() };
    for (dst, src) in req.ifr_name.iter_mut().zip(b"lo\0") {
        *dst = *src as libc::c_char;
    }
    // SAFETY: SIOCGIFFLAGS/SIOCSIFFLAGS read and write req, which lives
    // through both calls.
    let result = unsafe {
        if libc::ioctl(fd, libc::SIOCGIFFLAGS, &mut req) != 0 {
            Err("SIOCGIFFLAGS")
        } else {
            req.ifr_ifru.ifru_flags |= libc::IFF_UP as libc::c_short;
            if libc::ioctl(fd, libc::SIOCSIFFLAGS, &mut req) != 0 {
                Err("SIOCSIFFLAGS")
            } else {
                Ok(())
            }
        }
    };
    let error = std::io::Error::last_os_error();
    // SAFETY: fd is ours.
    unsafe { libc::close(fd) };
    result.map_err(|call| format!("bringing lo up: {call}: {error}"))
}

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
