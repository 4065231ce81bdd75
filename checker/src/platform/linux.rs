//! The Linux half of the sandbox's calls: namespaces, the view of the
//! file system, and the small init that ends a submission's processes.

use super::namespaces::Namespaces;
use std::ffi::CString;
use std::io::{Error, ErrorKind, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::sync::atomic::{AtomicI32, Ordering};

/// Root outside is an ordinary user inside, so that what the checker
/// starts keeps no capability after `exec` (and cannot undo a mount).
const INSIDE_ID: u32 = 1000;
/// The view's own tmpfs: only folders and mount points live in it.
pub(super) const VIEW_ROOT: &str = "size=1m,mode=0755";

pub(super) fn c(path: &Path) -> Result<CString, String> {
    CString::new(path.as_os_str().as_bytes()).map_err(|_| format!("{}: a NUL", path.display()))
}

fn os_error(what: &str) -> String {
    format!("{what}: {}", Error::last_os_error())
}

/// Runs `f` in a forked child; its error comes back through a pipe.
/// Only while this process has a single thread.
pub(super) fn in_child(f: impl FnOnce() -> Result<(), String>) -> Result<(), String> {
    let mut fds = [0; 2];
    // SAFETY: fds has room for the two descriptors.
    if unsafe { libc::pipe(fds.as_mut_ptr()) } != 0 {
        return Err(os_error("pipe"));
    }
    use std::os::fd::FromRawFd;
    // SAFETY: both are ours, just made.
    let (mut read, mut write) = unsafe {
        (
            std::fs::File::from_raw_fd(fds[0]),
            std::fs::File::from_raw_fd(fds[1]),
        )
    };
    // SAFETY: single-threaded, so the child may do anything; it ends
    // with _exit.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(os_error("fork"));
    }
    if pid == 0 {
        drop(read);
        let result = f();
        if let Err(why) = &result {
            let _ = write.write_all(why.as_bytes());
        }
        // SAFETY: ends the child without the parent's destructors.
        unsafe { libc::_exit(i32::from(result.is_err())) };
    }
    drop(write);
    let mut why = String::new();
    let _ = read.read_to_string(&mut why);
    if code_of(wait_for(pid)) == 0 {
        Ok(())
    } else {
        Err(why)
    }
}

/// Waits for the child `pid`, through interruptions; its wait status.
fn wait_for(pid: i32) -> i32 {
    let mut status = 0;
    // SAFETY: waits for a child of ours.
    while unsafe { libc::waitpid(pid, &mut status, 0) } < 0
        && Error::last_os_error().kind() == ErrorKind::Interrupted
    {}
    status
}

/// The exit code that stands for a wait status, as a shell says.
fn code_of(status: i32) -> i32 {
    if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        128 + libc::WTERMSIG(status)
    }
}

pub(super) fn unshare_into(which: Namespaces) -> Result<(), String> {
    // SAFETY: getuid/getgid cannot fail.
    let (uid, gid) = unsafe { (libc::getuid(), libc::getgid()) };
    let mut flags = libc::CLONE_NEWUSER | libc::CLONE_NEWNET;
    if which == Namespaces::All {
        flags |= libc::CLONE_NEWNS | libc::CLONE_NEWPID;
    }
    // SAFETY: called before any other thread exists.
    if unsafe { libc::unshare(flags) } != 0 {
        return Err(os_error("unshare"));
    }
    let inside = |id: u32| if id == 0 { INSIDE_ID } else { id };
    let write =
        |path: &str, text: String| std::fs::write(path, text).map_err(|e| format!("{path}: {e}"));
    write("/proc/self/setgroups", "deny".into())?;
    write("/proc/self/uid_map", format!("{} {uid} 1", inside(uid)))?;
    write("/proc/self/gid_map", format!("{} {gid} 1", inside(gid)))?;
    loopback_up()?;
    if which == Namespaces::All {
        // Nothing mounted from now on is seen outside.
        mount(
            None,
            Path::new("/"),
            None,
            libc::MS_REC | libc::MS_PRIVATE,
            "",
        )?;
    }
    Ok(())
}

/// A `/proc` for the PID namespace this process is the first of.
pub(super) fn mount_proc() -> Result<(), String> {
    let flags = libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC;
    mount(Some("proc"), Path::new("/proc"), Some("proc"), flags, "")
}

static PASS_ON_TO: AtomicI32 = AtomicI32::new(0);

extern "C" fn pass_on(signal: libc::c_int) {
    let pid = PASS_ON_TO.load(Ordering::SeqCst);
    if pid > 0 {
        // SAFETY: kill(2) is async-signal-safe.
        unsafe { libc::kill(pid, signal) };
    }
}

/// Sends SIGINT, SIGTERM and SIGHUP on to `pid` (an init ignores the
/// signals it has no handler for, even SIGTERM from outside).
fn pass_signals_on_to(pid: i32) {
    PASS_ON_TO.store(pid, Ordering::SeqCst);
    for signal in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
        // SAFETY: pass_on only loads an atomic and calls kill(2).
        unsafe { libc::signal(signal, pass_on as *const () as libc::sighandler_t) };
    }
}

/// Ends this process now, with `code`, running no destructor.
fn exit(code: i32) -> ! {
    // SAFETY: _exit ends the process at once.
    unsafe { libc::_exit(code) }
}

/// Forks the new PID namespace's init, which forks the checker;
/// returns in the checker only.
pub(super) fn start_init() -> Result<(), String> {
    // SAFETY: single-threaded (see enter_namespaces).
    let init = unsafe { libc::fork() };
    if init < 0 {
        return Err(os_error("fork"));
    }
    if init > 0 {
        // Outside: wait for the init, then end as the checker ended.
        pass_signals_on_to(init);
        exit(code_of(wait_for(init)));
    }
    // The init dies with the process outside (and then the kernel
    // kills everything in the namespace).
    // SAFETY: prctl has no memory effects.
    unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) };
    if let Err(why) = mount_proc() {
        eprintln!("cargo grade: the sandbox is broken: {why}");
        exit(3);
    }
    // SAFETY: still single-threaded.
    let checker = unsafe { libc::fork() };
    match checker {
        0 => return Ok(()),
        ..0 => exit(3),
        _ => pass_signals_on_to(checker),
    }
    // Reap every orphan until the checker itself ends.
    loop {
        let mut status = 0;
        // SAFETY: waits for any child.
        let pid = unsafe { libc::waitpid(-1, &mut status, 0) };
        if pid == checker {
            exit(code_of(status));
        }
        if pid < 0 && Error::last_os_error().kind() != ErrorKind::Interrupted {
            exit(3);
        }
    }
}

pub(super) fn mount(
    source: Option<&str>,
    target: &Path,
    fstype: Option<&str>,
    flags: libc::c_ulong,
    data: &str,
) -> Result<(), String> {
    let text = |s: &str| CString::new(s).map_err(|_| "a NUL".to_string());
    let source = source.map(text).transpose()?;
    let fstype = fstype.map(text).transpose()?;
    let (data, target_c) = (text(data)?, c(target)?);
    let ptr = |s: &Option<CString>| s.as_ref().map_or(std::ptr::null(), |s| s.as_ptr());
    // SAFETY: each pointer is a valid C string or null, as mount(2) allows.
    let rc = unsafe {
        libc::mount(
            ptr(&source),
            target_c.as_ptr(),
            ptr(&fstype),
            flags,
            data.as_ptr().cast(),
        )
    };
    if rc != 0 {
        return Err(os_error(&format!("mounting {}", target.display())));
    }
    Ok(())
}

/// The view's own tmpfs made writable (to add a mount point) or
/// read-only again.
pub(super) fn root_writable(root: &Path, writable: bool) -> Result<(), String> {
    let mut flags = libc::MS_REMOUNT | libc::MS_NOSUID | libc::MS_NODEV;
    if !writable {
        flags |= libc::MS_RDONLY;
    }
    mount(None, root, None, flags, VIEW_ROOT)
}

/// Shows `path` at its own place under `root`: a relative symbolic
/// link as a link (`/bin -> usr/bin`), anything else bind-mounted. A
/// path that does not exist is left out.
pub(super) fn show(root: &Path, path: &Path, writable: bool) -> Result<(), String> {
    let at = root.join(path.strip_prefix("/").unwrap_or(path));
    let io = |e: Error| format!("{}: {e}", at.display());
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return Ok(());
    };
    if let Some(parent) = at.parent() {
        std::fs::create_dir_all(parent).map_err(io)?;
    }
    if meta.file_type().is_symlink() {
        let to = std::fs::read_link(path).map_err(io)?;
        if to.is_relative() {
            if std::fs::symlink_metadata(&at).is_err() {
                std::os::unix::fs::symlink(&to, &at).map_err(io)?;
            }
            return Ok(());
        }
    }
    let Ok(meta) = std::fs::metadata(path) else {
        return Ok(());
    };
    if meta.is_dir() {
        std::fs::create_dir_all(&at).map_err(io)?;
    } else if std::fs::symlink_metadata(&at).is_err() {
        std::fs::File::create(&at).map_err(io)?;
    }
    let source = path
        .to_str()
        .ok_or_else(|| format!("{}: not UTF-8", path.display()))?;
    mount(Some(source), &at, None, libc::MS_BIND, "")?;
    if writable {
        return Ok(());
    }
    // A remount must keep the flags the mount has (nosuid, noexec,
    // …): in a user namespace, those are locked.
    // SAFETY: statvfs fills the struct, which lives through the call.
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: as above.
    if unsafe { libc::statvfs(c(&at)?.as_ptr(), &mut st) } != 0 {
        return Err(io(Error::last_os_error()));
    }
    let mut flags = libc::MS_REMOUNT | libc::MS_BIND | libc::MS_RDONLY | libc::MS_NOSUID;
    for (st_flag, ms_flag) in [
        (libc::ST_NODEV, libc::MS_NODEV),
        (libc::ST_NOEXEC, libc::MS_NOEXEC),
        (libc::ST_NOATIME, libc::MS_NOATIME),
        (libc::ST_NODIRATIME, libc::MS_NODIRATIME),
        (libc::ST_RELATIME, libc::MS_RELATIME),
    ] {
        if st.f_flag & st_flag != 0 {
            flags |= ms_flag;
        }
    }
    mount(None, &at, None, flags, "")
}

/// Brings `lo` up in a new network namespace (it starts down).
fn loopback_up() -> Result<(), String> {
    // SAFETY: a plain socket for the ioctl; closed below.
    let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_DGRAM, 0) };
    if fd < 0 {
        return Err(os_error("socket"));
    }
    // SAFETY: ifreq is plain data; zeroed is a valid value.
    let mut req: libc::ifreq = unsafe { std::mem::zeroed() };
    for (dst, src) in req.ifr_name.iter_mut().zip(b"lo\0") {
        *dst = *src as libc::c_char;
    }
    // SAFETY: SIOCGIFFLAGS/SIOCSIFFLAGS read and write req, which
    // lives through both calls.
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
    let error = Error::last_os_error();
    // SAFETY: fd is ours.
    unsafe { libc::close(fd) };
    result.map_err(|call| format!("bringing lo up: {call}: {error}"))
}
