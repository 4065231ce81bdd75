//! Running `resolver-cli` and judging what it did: its output and exit code,
//! or one line of error; and a `query` against a given server.

use std::net::SocketAddr;
use std::time::Duration;

use crate::ctx::{Ctx, Finished};
use crate::process::Input;
use crate::time::secs;
use crate::verdict::{Failure, Outcome};

/// Runs `resolver-cli ARGS...`; it should end within a few seconds.
pub(super) fn run(ctx: &Ctx, args: &[&str]) -> Result<Finished, Failure> {
    run_within(ctx, args, secs(5))
}

/// Runs `resolver-cli ARGS...`, stopped if it is still running after `wait`.
pub(super) fn run_within(ctx: &Ctx, args: &[&str], wait: Duration) -> Result<Finished, Failure> {
    ctx.run_client("cli", args, Input::Nothing, wait)
}

/// The program must exit with `code` and print exactly `lines`.
pub(super) fn expect(finished: &Finished, what: &str, code: i32, lines: &[&str]) -> Outcome {
    let want: String = lines.iter().map(|l| format!("{l}\n")).collect();
    finished.expect_exit(what, code, want.as_bytes())
}

/// The program must fail with `code` and one line on stderr.
pub(super) fn expect_error(finished: &Finished, what: &str, code: i32) -> Outcome {
    expect(finished, what, code, &[])?;
    let lines = finished
        .stderr
        .lines()
        .filter(|l| !l.trim().is_empty())
        .count();
    if lines == 0 {
        return Err(
            Failure::failed(format!("{what}: the resolver said nothing on stderr"))
                .expected("one line on stderr that says what went wrong"),
        );
    }
    Ok(())
}

/// Runs `query ARGS... --server ADDR --timeout T --retries R`.
pub(super) fn query(
    ctx: &Ctx,
    server: SocketAddr,
    args: &[&str],
    timeout: Duration,
) -> Result<Finished, Failure> {
    query_within(ctx, server, args, timeout, secs(5))
}

/// [`query`], stopped if it is still running after `wait`: for stages whose
/// answer comes at once, so that a resolver that loops is not waited for long.
pub(super) fn query_within(
    ctx: &Ctx,
    server: SocketAddr,
    args: &[&str],
    timeout: Duration,
    wait: Duration,
) -> Result<Finished, Failure> {
    let (addr, timeout) = (server.to_string(), ctx.flag(timeout));
    let mut all = vec!["query"];
    all.extend(args);
    all.extend(["--server", &addr, "--timeout", &timeout, "--retries", "2"]);
    run_within(ctx, &all, wait)
}
