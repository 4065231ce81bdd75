//! The stages of the request and the URL: a GET and its body, the request's
//! headers in one write, the parts of a URL, an IPv6 literal, every address
//! of localhost, and URLs refused before any connection.

use std::net::{SocketAddr, TcpListener, ToSocketAddrs};

use crate::ctx::Ctx;
use crate::verdict::{Failure, Outcome};
use crate::wire;

use super::http::{check_host, http_peer, http_peer_once, ok, served_request};
use super::program::{HELLO, expect_refused, fetch, hold_after_length, length_hint, one_get};

pub(super) fn get(ctx: &mut Ctx) -> Outcome {
    let (finished, _) = one_get(ctx, "/hello.txt", &[], |conn, _, _| {
        conn.send(&ok(HELLO))?;
        hold_after_length(conn)
    })?;
    finished
        .expect_exit("fetch /hello.txt", 0, HELLO)
        .map_err(|f| length_hint(&finished, HELLO, f))
}

pub(super) fn request(ctx: &mut Ctx) -> Outcome {
    let (peer, served) = http_peer_once(ctx, "127.0.0.1:0", |conn, _, _| conn.send(&ok(HELLO)))?;
    let host = peer.addr().to_string();
    // The request alone is judged: a client that sends it right and then
    // stops at a todo!() (reading the response comes next) has its points.
    ctx.judge_one_step();
    let _ = fetch(ctx, &format!("http://{host}/request#not-sent"), &[]);
    let request = served_request(peer, &served)?;
    check_host(&request, "/request", &host)?;
    let shown = request.shown();
    let missing = |what: &str, why: &str| {
        Failure::failed(format!("the request has no {what}"))
            .expected(what.to_string())
            .got(shown.clone())
            .hint(why.to_string())
    };
    let has = |name: &str, token: &str| {
        request.values(name).iter().any(|v| {
            v.split(',')
                .any(|t| token.is_empty() || t.trim().eq_ignore_ascii_case(token))
        })
    };
    if !has("connection", "close") {
        return Err(missing(
            "Connection: close",
            "without it an HTTP/1.1 server keeps the connection open after the response, and a client reading to the end waits",
        ));
    }
    if !request.values("user-agent").iter().any(|v| !v.is_empty()) {
        return Err(missing(
            "User-Agent",
            "servers log it, and some refuse requests without it: name your program",
        ));
    }
    if !has("accept-encoding", "identity") {
        return Err(missing(
            "Accept-Encoding: identity",
            "say that you take the body as it is, not compressed",
        ));
    }
    let bare_lf = request
        .raw
        .iter()
        .enumerate()
        .any(|(i, &b)| b == b'\n' && (i == 0 || request.raw[i - 1] != b'\r'));
    if bare_lf {
        return Err(Failure::failed("a line of the request ends in a bare \\n")
            .expected("every line ending in \\r\\n")
            .got(wire::show(&request.raw))
            .hint("HTTP lines end in \\r\\n: write \"\\r\\n\", not writeln!"));
    }
    if !request.after.is_empty() || !request.values("content-length").is_empty() {
        return Err(Failure::failed("the GET request has a body")
            .got(wire::show(&request.after))
            .hint("a GET has no body: the empty line ends the request"));
    }
    if request.pieces > 1 {
        return Err(Failure::failed(format!(
            "the request came in {} TCP segments, not in one write (the checker's reads may join segments: the count is the network's)",
            request.pieces
        ))
        .hint("build the whole request in a String (format!) and send it with one write_all: each small write may become a packet of its own"));
    }
    Ok(())
}

/// `fetch --parts URL`, for URLs whose parts a client must find: the
/// printed lines, compared with what they must be.
pub(super) fn parse(ctx: &mut Ctx) -> Outcome {
    for (url, want) in [
        (
            "http://example.com/a%20b/c.txt?q=1&r=%2F#section-2",
            ["example.com", "80", "/a%20b/c.txt?q=1&r=%2F", "example.com"],
        ),
        (
            "http://127.0.0.1:8080",
            ["127.0.0.1", "8080", "/", "127.0.0.1:8080"],
        ),
        (
            "http://files.test:81?only=query",
            ["files.test", "81", "/?only=query", "files.test:81"],
        ),
    ] {
        let expected = format!(
            "host: {}\nport: {}\ntarget: {}\nhost-header: {}\n",
            want[0], want[1], want[2], want[3]
        );
        let finished = fetch(ctx, url, &["--parts"])?;
        finished
            .expect_exit(&format!("fetch --parts {url}"), 0, expected.as_bytes())
            .map_err(|f| {
                f.hint("the target is the path and query as written (`/` when the path is empty, the `#fragment` cut off, %-escapes left alone); the port is 80 when none is given, and the Host header names it only when it is not 80")
            })?;
    }
    Ok(())
}

pub(super) fn ipv6(ctx: &mut Ctx) -> Outcome {
    if !wire::has_ipv6_loopback() {
        return Err(Failure::skipped("this machine has no IPv6 loopback (::1)"));
    }
    let (peer, served) = http_peer_once(ctx, "[::1]:0", |conn, _, _| conn.send(&ok(HELLO)))?;
    let host = format!("[::1]:{}", peer.addr().port());
    let url = format!("http://{host}/v6");
    let parts = fetch(ctx, &url, &["--parts"])?;
    let want = format!(
        "host: ::1\nport: {}\ntarget: /v6\nhost-header: {host}\n",
        peer.addr().port()
    );
    parts
        .expect_exit(&format!("fetch --parts {url}"), 0, want.as_bytes())
        .map_err(|f| {
            f.hint("the host is the address without its brackets; the Host header puts them back")
        })?;
    ctx.judge_one_step();
    let _ = fetch(ctx, &url, &[]);
    let request = served_request(peer, &served)?;
    check_host(&request, "/v6", &host)
}

pub(super) fn localhost(ctx: &mut Ctx) -> Outcome {
    let addrs: Vec<SocketAddr> = ("localhost", 0)
        .to_socket_addrs()
        .map_err(|e| Failure::checker_error(format!("localhost does not resolve here: {e}")))?
        .collect();
    // Where localhost has a single address there is nothing to fall back
    // to: the stage still checks that the name is resolved and connected to.
    // Listen on the address tried last, so that a client that tries only
    // the first finds nothing there.
    let last = *addrs
        .last()
        .ok_or_else(|| Failure::checker_error("localhost has no address here"))?;
    let mut found = None;
    for _ in 0..20 {
        let listener = TcpListener::bind(SocketAddr::new(last.ip(), 0))
            .map_err(|e| Failure::checker_error(e.to_string()))?;
        let port = listener
            .local_addr()
            .map_err(|e| Failure::checker_error(e.to_string()))?
            .port();
        let others_free = addrs
            .iter()
            .filter(|a| a.ip() != last.ip())
            .all(|a| TcpListener::bind(SocketAddr::new(a.ip(), port)).is_ok());
        if others_free {
            found = Some(SocketAddr::new(last.ip(), port));
            break;
        }
    }
    let at = found.ok_or_else(|| Failure::checker_error("no port free on every address"))?;
    let mut names: Vec<String> = addrs.iter().map(|a| a.ip().to_string()).collect();
    names.dedup();
    ctx.note(if names.len() < 2 {
        format!(
            "localhost is only {} here: this machine can check the name, not the fallback",
            at.ip()
        )
    } else {
        format!(
            "localhost is {} here; the checker's server listens on {} only",
            names.join(" and "),
            at.ip()
        )
    });
    let (peer, served) = http_peer_once(ctx, &at.to_string(), |conn, _, _| conn.send(&ok(HELLO)))?;
    let host = format!("localhost:{}", at.port());
    ctx.judge_one_step();
    let _ = fetch(ctx, &format!("http://{host}/local"), &[]);
    let request = served_request(peer, &served).map_err(|f| {
        f.hint(if names.len() < 2 {
            "the host is a name, not an address: resolve it with to_socket_addrs() and connect to what it gives".to_string()
        } else {
            format!(
                "localhost has {} addresses here: when connecting to one fails, try the next",
                names.len()
            )
        })
    })?;
    check_host(&request, "/local", &host)
}

pub(super) fn bad_urls(ctx: &mut Ctx) -> Outcome {
    let peer = http_peer(ctx, |conn, _, _| conn.send(&ok(HELLO)))?;
    let addr = peer.addr();
    let cases = [
        (format!("https://{addr}/"), Some("tls")),
        (format!("http://user:secret@{addr}/"), None),
        (format!("ftp://{addr}/"), None),
        ("http:///no-host".to_string(), None),
        ("http://127.0.0.1:99999/".to_string(), None),
        (format!("{addr}/no-scheme"), None),
        ("http://[::1/".to_string(), None),
    ];
    let mut outcome = Ok(());
    for (url, word) in cases {
        let finished = fetch(ctx, &url, &[])?;
        let checked =
            expect_refused(&finished, &format!("the URL {url}")).and_then(|()| match word {
                Some(word) if !finished.stderr.to_lowercase().contains(word) => Err(
                    Failure::failed(format!("{url}: the error does not say why"))
                        .expected(format!("a line that mentions {}", word.to_uppercase()))
                        .got(format!(
                            "stderr: {}",
                            wire::quote_text(finished.stderr.trim())
                        ))
                        .hint("https needs TLS, which this client does not speak: say so"),
                ),
                _ => Ok(()),
            });
        if checked.is_err() {
            outcome = checked;
            break;
        }
    }
    let connections = peer.finish();
    outcome?;
    if !connections.is_empty() {
        return Err(Failure::failed(format!(
            "the client connected {} time(s) for URLs it should have refused",
            connections.len()
        ))
        .hint("check the whole URL before connecting"));
    }
    Ok(())
}
