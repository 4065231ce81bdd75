//! Running `fetch-client` and judging it: one GET from a fresh scripted
//! server, a refusal as it must look, the hints for a client that waited
//! past a body's length, a scratch folder, and the short body most stages
//! serve.

use std::path::PathBuf;

use crate::ctx::{Ctx, Finished};
use crate::process::Input;
use crate::time::secs;
use crate::verdict::{Failure, Outcome};
use crate::wire::Conn;

use super::http::{Request, check_request, http_peer};

/// Runs `fetch-client URL ARGS... --timeout T`, T being 2 s scaled unless
/// ARGS give one; the client must end within 10 s (3 s when ARGS give a
/// --timeout).
pub(super) fn fetch(ctx: &Ctx, url: &str, args: &[&str]) -> Result<Finished, Failure> {
    let timeout = ctx.flag(secs(2));
    let mut all = vec![url];
    all.extend(args);
    if !args.contains(&"--timeout") {
        all.extend(["--timeout", &timeout]);
    }
    // A stage that gives a short --timeout of its own wants the client to
    // give up soon after it, well before the server stops waiting (8 s).
    let limit = if args.contains(&"--timeout") {
        secs(3)
    } else {
        secs(10)
    };
    ctx.run_client("client", &all, Input::Nothing, limit)
}

/// The client must refuse: exit 1, one line on stderr, no crash, and no
/// body printed as if it were good.
pub(super) fn expect_refused(finished: &Finished, what: &str) -> Outcome {
    finished
        .expect_one_line_error()
        .map_err(|f| f.context(format!("{what}: ")))?;
    if finished.code != Some(1) {
        return Err(Failure::failed(format!(
            "{what}: the client {}, not with code 1",
            finished.how
        ))
        .hint("exit 1 for every failure to fetch; 22 is for a response that came whole with a status of 400 or more"));
    }
    Ok(())
}

/// One GET of `target` from a fresh scripted server answering with
/// `answer`: the client's result, and the request it sent (checked).
pub(super) fn one_get(
    ctx: &Ctx,
    target: &str,
    args: &[&str],
    answer: impl Fn(&mut Conn, &Request, usize) -> Outcome + Send + Sync + 'static,
) -> Result<(Finished, Request), Failure> {
    let peer = http_peer(ctx, answer)?;
    let addr = peer.addr();
    let finished = fetch(ctx, &format!("http://{addr}{target}"), args);
    let request = peer.finish_one("client")?;
    check_request(&request, target, &addr.to_string())?;
    Ok((finished?, request))
}

/// The short body most stages serve.
pub(super) const HELLO: &[u8] =
    b"Hello from the checker's HTTP server.\nThis is the second line.\n";

/// Keeps the connection open after a response whose length says where it
/// ends: a client that reads until the close instead waits, and times out.
pub(super) fn hold_after_length(conn: &mut Conn) -> Outcome {
    conn.note("the checker's HTTP server keeps the connection open: Content-Length says where the body ends");
    conn.hold_open(secs(4));
    Ok(())
}

/// The failure for a client that printed `body` whole but did not exit 0:
/// it most likely read past the body's length, waiting for a close.
pub(super) fn length_hint(finished: &Finished, body: &[u8], f: Failure) -> Failure {
    if finished.stdout == body && finished.code != Some(0) {
        return f.hint("the body was printed whole, then the client waited for more: stop after Content-Length bytes (header names in any case), never wait for the close when the length is known");
    }
    if finished.stdout.is_empty() && finished.code == Some(0) {
        return f.hint("nothing came out: if you print through a BufWriter, or exit with std::process::exit, flush stdout first");
    }
    f
}

/// A folder of the stage's own under the system's temporary folder.
pub(super) fn scratch(ctx: &Ctx) -> Result<PathBuf, Failure> {
    let dir = std::env::temp_dir().join(format!(
        "checker-fetch-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    std::fs::create_dir_all(&dir)
        .map_err(|e| Failure::checker_error(format!("{}: {e}", dir.display())))?;
    ctx.note(format!("the stage's folder is {}", dir.display()));
    Ok(dir)
}
