//! The stage of what a redirect's Location may not do (RFC 3986 and the
//! request line): a reference is absolute only when it starts with a
//! scheme; a scheme other than http is refused; a space or a control
//! character never reaches the wire.

use crate::ctx::Ctx;
use crate::verdict::{Failure, Outcome};
use crate::wire;

use super::http::{http_peer, ok, response};
use super::program::{HELLO, expect_refused, fetch};

/// Locations the client must refuse, and why.
const REFUSED: &[(&[u8], &str)] = &[
    (b"/ok\rX-Injected: 1", "a CR"),
    (b"/a b", "a space"),
    (b"/nul\0here", "a NUL"),
    (b"javascript:alert(1)", "the scheme javascript:"),
    (b"mailto:someone@example.com", "the scheme mailto:"),
];

pub(super) fn redirect_references(ctx: &mut Ctx) -> Outcome {
    // A query holding `://` is still a relative reference: curl follows it.
    let relative = "/login?next=http://x/";
    let peer = http_peer(ctx, move |conn, request, _| {
        if request.target == "/start" {
            conn.send(&response(
                "302 Found",
                &[("Location", relative), ("Content-Length", "0")],
                b"",
            ))
        } else {
            conn.send(&ok(HELLO))
        }
    })?;
    let finished = fetch(ctx, &format!("http://{}/start", peer.addr()), &[]);
    let requests = peer.finish();
    let targets: Vec<String> = requests
        .iter()
        .filter_map(|r| r.as_ref().ok().map(|r| r.target.clone()))
        .collect();
    if targets.get(1).map(String::as_str) != Some(relative) {
        return Err(Failure::failed(format!(
            "Location: {relative} was not followed as a path on the same server"
        ))
        .expected(format!("GET {relative}"))
        .got(format!("requests: {targets:?}"))
        .hint("a Location is absolute only when it starts with a scheme (a letter, then letters, digits, + - .) and a colon before any / ? #: the http:// in a query is not one"));
    }
    finished?.expect_exit(&format!("fetch through Location: {relative}"), 0, HELLO)?;

    for (location, what) in REFUSED {
        let peer = http_peer(ctx, move |conn, _, _| {
            let mut head = b"HTTP/1.1 302 Found\r\nLocation: ".to_vec();
            head.extend_from_slice(location);
            head.extend_from_slice(b"\r\nContent-Length: 0\r\n\r\n");
            conn.send(&head)
        })?;
        let finished = fetch(ctx, &format!("http://{}/start", peer.addr()), &[]);
        let requests = peer.finish();
        let shown = wire::show(location);
        if requests.len() > 1 {
            let sent = match requests.get(1) {
                Some(Ok(request)) => request.shown(),
                Some(Err(f)) => format!("a second request, garbled ({})", f.summary),
                None => "a second connection".to_string(),
            };
            return Err(Failure::failed(format!(
                "Location: {shown} (with {what}) was followed"
            ))
            .expected("no second request: exit 1 with one line")
            .got(sent)
            .hint("refuse a Location with a space or a control character (it would cut the request line, or add a header to it), and one whose scheme is not http"));
        }
        expect_refused(&finished?, &format!("Location: {shown} (with {what})"))?;
    }
    Ok(())
}
