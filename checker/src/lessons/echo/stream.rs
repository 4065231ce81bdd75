//! The echo as the checker checks it: bytes that show where they were lost,
//! an echo read back and compared while it still flows, and one whole
//! conversation (a message, its echo, a half-close, the close).

use crate::ctx::Ctx;
use crate::time;
use crate::verdict::{Failure, Outcome};
use crate::wire::{self, Conn};

/// Bytes that never repeat with a short period, so a lost or repeated
/// chunk shows up at its offset.
pub(super) fn pattern(len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i % 251) as u8 ^ (i >> 16) as u8)
        .collect()
}

const CLOSED_EARLY: &str =
    "keep reading and echoing until read returns 0: one read is not the whole stream";

/// Reads `expected.len()` bytes of echo and checks them as they come,
/// without logging every chunk.
pub(super) fn read_back(ctx: &Ctx, conn: &mut Conn, expected: &[u8]) -> Outcome {
    let mut at = 0;
    while at < expected.len() {
        let chunk = match conn.recv_some(64 << 10, time::patience()) {
            Ok(chunk) => chunk,
            Err(e) if wire::is_timeout(&e) => {
                return Err(Failure::timed_out(format!(
                    "got {at} of {} bytes back, then nothing for {}",
                    expected.len(),
                    time::say(time::patience())
                ))
                .expected("the echo to flow while the client is still sending")
                .got(format!("{at} bytes")));
            }
            Err(e) => {
                return Err(Failure::failed(format!(
                    "the server closed the connection (a reset: {e}) after echoing {at} of {} bytes",
                    expected.len()
                ))
                .hint(CLOSED_EARLY));
            }
        };
        if chunk.is_empty() {
            return Err(Failure::failed(format!(
                "the server closed the connection after echoing {at} of {} bytes",
                expected.len()
            ))
            .hint(CLOSED_EARLY));
        }
        let want = &expected[at..at + chunk.len().min(expected.len() - at)];
        if let Some(diff) = want.iter().zip(&chunk).position(|(a, b)| a != b) {
            let pos = at + diff;
            ctx.transcript().received(conn.name(), &chunk);
            return Err(Failure::failed(format!(
                "the echo differs from what was sent at byte {pos}"
            ))
            .expected(format!(
                "hex from byte {pos}: {}",
                wire::hex(&want[diff..(diff + 16).min(want.len())])
            ))
            .got(format!(
                "hex from byte {pos}: {}",
                wire::hex(&chunk[diff..(diff + 16).min(chunk.len())])
            )));
        }
        if chunk.len() > want.len() {
            return Err(Failure::failed(format!(
                "the echo has more bytes than were sent (over {})",
                expected.len()
            )));
        }
        at += chunk.len();
    }
    ctx.note(format!(
        "{} got all {} bytes back",
        conn.name(),
        expected.len()
    ));
    Ok(())
}

/// One whole conversation: a message, its echo, a half-close, the close.
pub(super) fn say_hello(conn: &mut Conn) -> Outcome {
    let message = format!("{} says hello", conn.name());
    conn.send(message.as_bytes())?;
    conn.expect("the echo", message.as_bytes())?;
    conn.shutdown_write()?;
    conn.expect_close()
}
