//! The one line every server of the course prints once it listens
//! (`listening on 127.0.0.1:40123`), read, and diagnosed for a beginner
//! when it is missing, late or wrong: the contract all lessons share.

use std::net::SocketAddr;
use std::sync::mpsc::RecvTimeoutError;
use std::time::Duration;

use crate::process::{ANNOUNCE_PREFIX, Proc, describe_status};
use crate::verdict::Failure;
use crate::{time, wire};

/// A server's base deadline for printing `listening on ADDRESS`.
pub const ANNOUNCE_TIMEOUT: Duration = Duration::from_secs(5);

/// Turns what [`crate::process::await_announcement`] got into the announced address, or
/// into a failure that says what the program did instead.
pub(super) fn read(
    proc: &mut Proc,
    line: Result<String, RecvTimeoutError>,
    timeout: Duration,
) -> Result<SocketAddr, Failure> {
    let expected = format!("a line `{ANNOUNCE_PREFIX}127.0.0.1:PORT` on stdout");
    let line = match line {
        Ok(line) => line,
        Err(RecvTimeoutError::Disconnected) => {
            // stdout closed without the line: the program has exited (or
            // closed stdout, which is as bad). Give it a moment to exit.
            let how = match proc.wait(time::scaled(Duration::from_secs(1))) {
                Some(status) => describe_status(status),
                None => "closed its stdout".to_string(),
            };
            return Err(Failure::failed(format!(
                "{} {how} before printing `{ANNOUNCE_PREFIX}ADDRESS`",
                proc.name()
            ))
            .expected(expected)
            .got(proc.stdout_summary()));
        }
        Err(RecvTimeoutError::Timeout) => {
            return Err(Failure::timed_out(format!(
                "{} printed no `{ANNOUNCE_PREFIX}ADDRESS` line within {}",
                proc.name(),
                time::say(timeout)
            ))
            .expected(expected)
            .got(proc.stdout_summary())
            .hint("print the line right after bind() succeeds, with println! (it ends the line, which flushes stdout)"));
        }
    };
    let Some(text) = line.strip_prefix(ANNOUNCE_PREFIX) else {
        return Err(Failure::failed(format!(
            "{} announced its address in a form the checker cannot read",
            proc.name()
        ))
        .expected(format!("a line that starts with exactly `{ANNOUNCE_PREFIX}`, such as `{ANNOUNCE_PREFIX}127.0.0.1:40123`"))
        .got(wire::escape(line.as_bytes()))
        .hint(format!("print exactly `{ANNOUNCE_PREFIX}` and the address the listener got: println!(\"{ANNOUNCE_PREFIX}{{}}\", addr), with addr from listener.local_addr()")));
    };
    let addr: SocketAddr = text.trim().parse().map_err(|_| {
        Failure::failed(format!("{} announced an address the checker cannot read", proc.name()))
            .expected(format!("`{ANNOUNCE_PREFIX}IP:PORT`, such as `{ANNOUNCE_PREFIX}127.0.0.1:40123` or `{ANNOUNCE_PREFIX}[::1]:40123`"))
            .got(wire::escape(line.as_bytes()))
    })?;
    if addr.port() == 0 || !addr.ip().is_loopback() {
        return Err(Failure::failed(format!("{} announced {addr}", proc.name()))
            .expected("the loopback address and the real port the OS chose (not 0)")
            .got(addr.to_string())
            .hint("print listener.local_addr(), not the address you were given: with port 0 only the socket knows its port"));
    }
    Ok(addr)
}
