//! The stages that judge one step alone through a command of the program
//! that connects to nothing: `fetch --head` (a response on stdin, its head
//! printed as `-i` prints it: `read_head`) and `fetch --join BASE REF` (a
//! redirect's Location resolved: `Url::join`).

use crate::ctx::{Ctx, Finished};
use crate::process::Input;
use crate::time::secs;
use crate::verdict::{Failure, Outcome};
use crate::wire;

use super::program::expect_refused;

/// `fetch --head`, `raw` on its stdin.
fn head_of(ctx: &Ctx, raw: &[u8]) -> Result<Finished, Failure> {
    ctx.run_client("client", &["--head"], Input::Bytes(raw.to_vec()), secs(10))
}

/// `fetch --head` on heads a client must read, then on heads it must
/// refuse: the head printed with `\r\n` line ends, values trimmed, names
/// as they came, repeats kept, 1xx heads skipped, the body left unread.
pub(super) fn head(ctx: &mut Ctx) -> Outcome {
    let cases: [(&str, &[u8], &[u8], &str); 4] = [
        (
            "a head and a body",
            b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello",
            b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\n",
            "read lines up to the empty line, and stop there: the body is not part of the head",
        ),
        (
            "names in any case, values with spaces around, a name twice",
            b"HTTP/1.1 200 OK\r\nCONTENT-length:   5  \r\nSet-Cookie: a=1\r\nset-cookie:b=2\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nCONTENT-length: 5\r\nSet-Cookie: a=1\r\nset-cookie: b=2\r\n\r\n",
            "split each line at its first `:`; keep the name as it came, trim the value; keep every header, in order, repeats too",
        ),
        (
            "a 100 Continue before the real head",
            b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n",
            b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n",
            "a 1xx head is only a promise: skip it and read the next head",
        ),
        (
            "lines that end in a bare \\n",
            b"HTTP/1.0 200 OK\nServer: typed\n\n",
            b"HTTP/1.0 200 OK\r\nServer: typed\r\n\r\n",
            "end a line at \\n and drop a \\r just before it, if there is one (RFC 9112, 2.2)",
        ),
    ];
    for (what, raw, want, hint) in cases {
        let finished = head_of(ctx, raw)?;
        finished
            .expect_exit(&format!("fetch --head, {what}"), 0, want)
            .map_err(|f| f.hint(hint))?;
    }
    let mut long = b"HTTP/1.1 200 OK\r\nX-Long: ".to_vec();
    long.extend(std::iter::repeat_n(b'a', 70 * 1024));
    long.extend_from_slice(b"\r\n\r\n");
    let refused: [(&str, &[u8], &str); 5] = [
        (
            "a status line that is not HTTP/1.x",
            b"SPDY/3 200 OK\r\n\r\n",
            "the status line starts with HTTP/1.1 or HTTP/1.0",
        ),
        (
            "a status of four digits",
            b"HTTP/1.1 2000 OK\r\n\r\n",
            "the status is three digits",
        ),
        (
            "a header line without a colon",
            b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
            "a header line is `Name: value`: one without a `:` is broken",
        ),
        (
            "a head that stops before its empty line",
            b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n",
            "the end of the input before the empty line is an error, not a head",
        ),
        (
            "a head of 70 KiB",
            &long,
            "count the bytes of the head as you read them, and refuse it past 64 KiB (take() bounds a read)",
        ),
    ];
    for (what, raw, hint) in refused {
        let finished = head_of(ctx, raw)?;
        expect_refused(&finished, &format!("fetch --head, {what}")).map_err(|f| f.hint(hint))?;
        if !finished.stdout.is_empty() {
            return Err(Failure::failed(format!(
                "fetch --head, {what}: the client failed, but printed a head first"
            ))
            .got(wire::show(&finished.stdout))
            .hint("return the error from read_head: print nothing of a head that is refused"));
        }
    }
    Ok(())
}

/// The base every `join` case resolves against.
const BASE: &str = "http://a:1/docs/guide/page.html?x=1";

/// `fetch --join BASE REF` on the chapter's references, then on those it
/// must refuse.
pub(super) fn join(ctx: &mut Ctx) -> Outcome {
    let cases = [
        ("http://b:2/x", "http://b:2/x", "absolute: as it is"),
        (
            "//b:2/x",
            "http://b:2/x",
            "scheme-relative: keep the scheme",
        ),
        (
            "/x?y=1",
            "http://a:1/x?y=1",
            "absolute path: replace the whole path",
        ),
        (
            "x",
            "http://a:1/docs/guide/x",
            "relative: replace the last segment",
        ),
        ("../x", "http://a:1/docs/x", "`..` climbs one folder"),
        (
            "../../../x",
            "http://a:1/x",
            "`..` never climbs above the root",
        ),
        ("./", "http://a:1/docs/guide/", "`.` is the current folder"),
        (
            "?y=2",
            "http://a:1/docs/guide/page.html?y=2",
            "query only: keep the path",
        ),
        (
            "x#top",
            "http://a:1/docs/guide/x",
            "the #fragment is never sent",
        ),
        (
            "/login?next=http://x/",
            "http://a:1/login?next=http://x/",
            "no scheme before the first `/`: a path and a query, whatever the query holds",
        ),
    ];
    for (reference, want, rule) in cases {
        let finished = run_join(ctx, reference)?;
        let what = format!("fetch --join {BASE} {reference:?}");
        finished
            .expect_exit(&what, 0, format!("{want}\n").as_bytes())
            .map_err(|f| {
                f.hint(format!(
                    "{rule} (RFC 3986, 5.2); the URL printed is Url's Display: http://HOST:PORT/TARGET"
                ))
            })?;
    }
    for (reference, why) in [
        ("javascript:alert(1)", "the scheme javascript: is not http"),
        ("mailto:a@b", "the scheme mailto: is not http"),
        ("/a b", "a space cannot stand raw in a URL"),
        (
            "/ok\rX-Injected: 1",
            "a CR on the request line would add a header",
        ),
    ] {
        let finished = run_join(ctx, reference)?;
        expect_refused(&finished, &format!("fetch --join {BASE} {reference:?}")).map_err(|f| {
            f.hint(format!(
                "refuse it with a UrlError: {why}. A reference is absolute only when it starts with a scheme and a `:` before any `/`, `?` or `#`"
            ))
        })?;
    }
    Ok(())
}

/// Runs `fetch --join BASE REFERENCE`.
fn run_join(ctx: &Ctx, reference: &str) -> Result<Finished, Failure> {
    ctx.run_client(
        "client",
        &["--join", BASE, reference],
        Input::Nothing,
        secs(10),
    )
}
