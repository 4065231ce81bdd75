//! The client's stages: the student's client against the checker's servers
//! (one that answers in pieces, one that echoes 16 MiB, none at all, one that
//! never answers).

use std::time::Duration;

use crate::ctx::Ctx;
use crate::process::Input;
use crate::time::{self, ms, secs};
use crate::verdict::{Failure, Outcome};
use crate::wire;

use super::stream::pattern;

/// How long the checker lets a client run before stopping it: far longer
/// than any client given these stages' timeouts needs.
const CLIENT_RUN: Duration = secs(10);
/// The same, where the client is given a short timeout and must give up
/// soon: a client without a deadline is stopped after this.
const SHORT_RUN: Duration = secs(3);

/// The student's client, with a read deadline, against `addr`.
fn run_client(
    ctx: &Ctx,
    timeout: Duration,
    addr: &str,
    message: Option<&str>,
    input: Input,
) -> Result<crate::ctx::Finished, Failure> {
    let limit = if timeout < secs(1) {
        SHORT_RUN
    } else {
        CLIENT_RUN
    };
    let timeout = ctx.flag(timeout);
    let mut args = vec!["--timeout", &timeout, addr];
    args.extend(message);
    ctx.run_client("client", &args, input, limit)
}

pub(super) fn client_slow_peer(ctx: &mut Ctx) -> Outcome {
    let message = "hello from the checker, in pieces";
    let peer = ctx.tcp_peer("the checker's server", |conn, _| {
        let got = conn.read_to_end(1 << 20)?;
        conn.note("the checker's server echoes it back in small pieces, then closes");
        conn.send_in_pieces(&got, 4, ms(10))?;
        Ok(got)
    })?;
    // The client's deadline is longer than the checker's patience, so that
    // a client that never half-closes is caught by the peer, not by itself.
    let addr = peer.addr().to_string();
    let finished = run_client(ctx, secs(5), &addr, Some(message), Input::Nothing);
    let got = peer.finish_one("client")?;
    wire::compare("what your client sent", message.as_bytes(), &got)?;
    let finished = finished?;
    finished.expect_success()?;
    wire::compare(
        "what your client printed",
        message.as_bytes(),
        &finished.stdout,
    )
}

pub(super) fn client_stdin(ctx: &mut Ctx) -> Outcome {
    const SIZE: usize = 16 << 20;
    let data = pattern(SIZE);
    ctx.note("the client gets 16 MiB of binary data on stdin; the checker's server echoes each chunk as it comes");
    let peer = ctx.tcp_peer("the checker's server", |conn, _| {
        let mut total = 0usize;
        loop {
            let chunk = conn.recv_some(64 << 10, time::patience()).map_err(|e| {
                if wire::is_timeout(&e) {
                    Failure::timed_out(format!(
                        "your client sent {total} bytes, then neither sent more nor half-closed for {}",
                        time::say(time::patience())
                    ))
                } else {
                    Failure::failed(format!("the checker's server could not read: {e}"))
                }
            })?;
            if chunk.is_empty() {
                conn.note(format!("the checker's server got {total} bytes and end of stream"));
                return Ok(total);
            }
            total += chunk.len();
            conn.send_quietly(&chunk).map_err(|f| {
                f.then(format!(" (after {total} bytes: your client stopped reading the echo while still sending)"))
            })?;
        }
    })?;
    let addr = peer.addr().to_string();
    let finished = run_client(ctx, secs(5), &addr, None, Input::Bytes(data.clone()));
    peer.finish_one("client")?;
    let finished = finished?;
    finished.expect_success()?;
    wire::compare("what your client printed", &data, &finished.stdout)
}

pub(super) fn client_refused(ctx: &mut Ctx) -> Outcome {
    let addr = wire::closed_port()?.to_string();
    ctx.note(format!("nothing listens on {addr}"));
    run_client(ctx, secs(2), &addr, Some("hello?"), Input::Nothing)?.expect_error_saying("refused")
}

pub(super) fn client_silent_peer(ctx: &mut Ctx) -> Outcome {
    let peer = ctx.tcp_peer("the checker's server", |conn, _| {
        conn.read_to_end(1 << 20)?;
        conn.hold_open(secs(30));
        Ok(())
    })?;
    let addr = peer.addr().to_string();
    ctx.note(format!(
        "the client is given --timeout {}: it should give up soon after",
        ctx.flag(ms(200))
    ));
    let finished = run_client(ctx, ms(200), &addr, Some("anyone there?"), Input::Nothing);
    peer.finish_one("client")?;
    finished
        .map_err(|f| f.hint("your client waited for ever: give every read a deadline (set_read_timeout with the --timeout value)"))?
        .expect_one_line_error()
}
