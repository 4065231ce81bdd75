//! The stages of statuses and of responses not to trust: 404, 204, 100 and
//! `-i`; heads that lie, bodies cut short, servers gone silent.

use crate::ctx::Ctx;
use crate::time::{ms, secs};
use crate::verdict::{Failure, Outcome};
use crate::wire;

use super::http::{ok, response};
use super::program::{HELLO, expect_refused, one_get};

pub(super) fn status(ctx: &mut Ctx) -> Outcome {
    let missing = b"the checker has no page here\n";
    let (finished, _) = one_get(ctx, "/missing", &[], |conn, _, _| {
        conn.send(&response(
            "404 Not Found",
            &[("Content-Length", "29"), ("Content-Type", "text/plain")],
            b"the checker has no page here\n",
        ))
    })?;
    finished.expect_exit("fetch /missing (a 404)", 22, missing)?;
    if !finished.stderr.contains("404") || !finished.stderr.contains("/missing") {
        return Err(Failure::failed(
            "the client exited 22 but did not say the status and the URL that gave it",
        )
        .expected("a line on stderr with 404 and the URL (…/missing)")
        .got(format!(
            "stderr: {}",
            wire::quote_text(finished.stderr.trim())
        ))
        .hint("the error a 400 or more is (error_for_status) says the status and the final URL: print it on stderr"));
    }

    let (finished, _) = one_get(ctx, "/nothing", &[], |conn, _, _| {
        conn.send(b"HTTP/1.1 204 No Content\r\nX-Note: no body follows\r\n\r\n")?;
        // Held open: the client must not wait for a body that never comes.
        conn.hold_open(secs(3));
        Ok(())
    })?;
    finished.expect_exit("fetch /nothing (a 204)", 0, b"")?;

    let (finished, _) = one_get(ctx, "/interim", &[], |conn, _, _| {
        conn.send(b"HTTP/1.1 100 Continue\r\n\r\n")?;
        conn.send(&ok(HELLO))
    })?;
    finished
        .expect_exit("fetch /interim (100, then 200)", 0, HELLO)
        .map_err(|f| {
            if finished.stdout.starts_with(b"HTTP/1.1 200") {
                f.hint("the 200's head was printed as the body: the 100 Continue was taken for the answer. Skip every 1xx head and read the next one")
            } else {
                f
            }
        })?;

    let head = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nSet-Cookie: a=1\r\nset-cookie: b=2\r\nContent-Length: 3\r\n\r\n";
    let (finished, _) = one_get(ctx, "/with-head", &["-i"], move |conn, _, _| {
        conn.send(&[head.as_bytes(), b"hi\n"].concat())
    })?;
    // Either line ending is fine for the head printed by -i.
    let mut finished = finished;
    finished.stdout = finished
        .stdout
        .split(|&b| b == b'\r')
        .flatten()
        .copied()
        .collect();
    let want = format!("{}hi\n", head.replace('\r', ""));
    finished.expect_exit("fetch -i /with-head", 0, want.as_bytes())
        .map_err(|f| f.hint("-i prints the status line and each header as received (repeats kept, in order), an empty line, then the body"))
}

/// Serves `reply` once and expects the client to refuse it.
fn refused(ctx: &Ctx, what: &str, reply: Vec<u8>) -> Outcome {
    ctx.note(format!("next: {what}"));
    let (finished, _) = one_get(ctx, "/refuse", &[], move |conn, _, _| conn.send(&reply))?;
    let what = format!("a response with {what}");
    expect_refused(&finished, &what)?;
    if !finished.stdout.is_empty() {
        return Err(Failure::failed(format!(
            "{what}: the client refused it, but printed a body first"
        ))
        .got(wire::show(&finished.stdout))
        .hint("check the head before printing any of the body"));
    }
    Ok(())
}

pub(super) fn refusals(ctx: &mut Ctx) -> Outcome {
    let cases: [(&str, &[u8]); 5] = [
        (
            "two different Content-Lengths",
            b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
        ),
        (
            "a negative Content-Length",
            b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\nhello",
        ),
        (
            "Content-Length: five",
            b"HTTP/1.1 200 OK\r\nContent-Length: five\r\n\r\nhello",
        ),
        (
            "a chunk size that is not hex",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
        ),
        (
            "a chunk size of 17 hex digits",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000005\r\nhello\r\n0\r\n\r\n",
        ),
    ];
    for (what, reply) in cases {
        refused(ctx, what, reply.to_vec())?;
    }
    let mut long = b"HTTP/1.1 200 OK\r\nX-Padding: ".to_vec();
    long.extend(std::iter::repeat_n(b'a', 70 << 10));
    long.extend_from_slice(b"\r\nContent-Length: 5\r\n\r\nhello");
    refused(ctx, "a head of 70 KiB (the limit is 64 KiB)", long)
}

pub(super) fn cut_body(ctx: &mut Ctx) -> Outcome {
    let cases: [(&str, &[u8]); 3] = [
        (
            "Content-Length: 100 and 40 bytes, then the close",
            b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly forty bytes of the hundred promised",
        ),
        (
            "a chunk of 0x20 bytes cut after 10, then the close",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n20\r\nten bytes.",
        ),
        (
            "whole chunks, but no last chunk before the close",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n",
        ),
    ];
    for (what, reply) in cases {
        ctx.note(format!("next: {what}"));
        let (finished, _) = one_get(ctx, "/cut", &[], move |conn, _, _| conn.send(reply))?;
        expect_refused(&finished, what).map_err(|f| {
            f.hint("a body that ends before its length (or its last chunk) is an error: exit 1, never 0")
        })?;
    }
    Ok(())
}

pub(super) fn silent_server(ctx: &mut Ctx) -> Outcome {
    let timeout = ctx.flag(ms(300));
    for (what, reply) in [
        ("never answers", &b""[..]),
        (
            "sends the head and half the body, then nothing",
            &b"HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\nten bytes."[..],
        ),
    ] {
        ctx.note(format!("next: the checker's HTTP server {what}"));
        let (finished, _) = one_get(ctx, "/silent", &["--timeout", &timeout], move |conn, _, _| {
            if !reply.is_empty() {
                conn.send(reply)?;
            }
            conn.hold_open(secs(8));
            Ok(())
        })
        .map_err(|f| {
            f.hint("set_read_timeout on the stream: a read then fails after --timeout instead of waiting for ever")
        })?;
        expect_refused(&finished, &format!("a server that {what}"))?;
    }
    Ok(())
}
