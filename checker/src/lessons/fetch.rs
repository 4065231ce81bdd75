//! Lesson 5, fetch: the stages. The checker plays the web server: scripted
//! HTTP servers on loopback read each request with httparse (a parser of
//! their own, not the reference's), check it, and answer with raw bytes
//! written for the case at hand: a byte at a time, split in awkward places,
//! chunked, cut short, never. One stage meets a real server library
//! (tiny_http) serving files, which nobody scripted.

use std::io::Read;
use std::net::{SocketAddr, TcpListener, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::course::Stage;
use crate::course::{HandPeer, Lesson, Mistake, Role};
use crate::ctx::{Ctx, Finished};
use crate::peer::TcpPeer;
use crate::process::Input;
use crate::time::{self, ms, secs};
use crate::verdict::{Failure, Outcome, Verdict};
use crate::wire::{self, Conn};

pub const LESSON: Lesson = Lesson {
    id: "fetch",
    title: "Fetching a URL: an HTTP/1.1 client",
    level: 2,
    package: "fetch",
    roles: &[Role {
        id: "client",
        name: "client",
    }],
    chapter: "fetch.md",
    stages: STAGES,
    mistakes: MISTAKES,
    peer: Some(HandPeer {
        name: "http",
        run: serve_by_hand,
    }),
    reading: &[
        (
            "What a URL says",
            &["url-parts", "ipv6", "localhost", "bad-urls"],
        ),
        (
            "The request and the response, on the wire",
            &["get", "request", "status", "real-server"],
        ),
        (
            "Three ways a body ends",
            &[
                "binary-body",
                "chunked",
                "close-delimited",
                "te-over-cl",
                "refusals",
                "cut-body",
            ],
        ),
        (
            "Sockets as files: buffered reading",
            &["byte-at-a-time", "split-head"],
        ),
        ("Redirects", &["redirects", "redirect-limits"]),
        ("Every read needs a deadline", &["silent-server"]),
    ],
};

const CLIENT: &[&str] = &["client"];

const fn stage(
    id: &'static str,
    title: &'static str,
    hint: &'static str,
    run: fn(&mut Ctx) -> Outcome,
) -> Stage {
    Stage::five_points(CLIENT, secs(30), id, title, hint, run)
}

const STAGES: &[Stage] = &[
    stage(
        "get",
        "A GET, and the body printed byte for byte",
        "Connect, write `GET /path HTTP/1.1`, the headers and an empty line; read the status line and headers up to the empty line; then print the body (Content-Length bytes of it) to stdout.",
        get,
    ),
    stage(
        "request",
        "The request: Host, Connection: close, one write",
        "Send exactly one `Host: HOST:PORT`, `Connection: close`, a `User-Agent` and `Accept-Encoding: identity`, each line ending in \\r\\n; build the whole request in a String and write it with one write_all.",
        request,
    ),
    stage(
        "url-parts",
        "Empty path, query kept, fragment dropped, %-escapes",
        "The request target is the path and query, as written: `/` when the path is empty, the `#fragment` cut off, percent-escapes left alone.",
        url_parts,
    ),
    stage(
        "ipv6",
        "An IPv6 literal: http://[::1]:PORT/",
        "In a URL an IPv6 address sits in brackets. Connect to the address without them; send `Host: [::1]:PORT` with them.",
        ipv6,
    ),
    stage(
        "localhost",
        "localhost: each of its addresses tried in turn",
        "(host, port).to_socket_addrs() gives every address of the name; try each with TcpStream::connect_timeout and keep the first that answers.",
        localhost,
    ),
    stage(
        "byte-at-a-time",
        "A response that arrives one byte at a time",
        "One read() returns whatever has arrived, maybe one byte. Wrap the stream in a BufReader and read lines (read_line, read_until) until the empty line; then read the body to its length.",
        byte_at_a_time,
    ),
    stage(
        "split-head",
        "A split head, header names in any case",
        "A line ends only at \\r\\n; a piece may end in the middle of a line, or between \\r and \\n: let BufReader put the pieces together. Header names are case-insensitive (eq_ignore_ascii_case), values are trimmed.",
        split_head,
    ),
    Stage {
        points: 10,
        deadline: secs(60),
        ..stage(
            "binary-body",
            "Binary bodies, to stdout and with -o to a file",
            "The body is bytes, not text: no String, no lossy UTF-8, no added newline. Copy it with io::copy to stdout (locked) or to the file, and flush before exiting.",
            binary_body,
        )
    },
    stage(
        "chunked",
        "Transfer-Encoding: chunked, extensions, trailers",
        "Each chunk: a size in hex (ignore anything after `;`), \\r\\n, the data, \\r\\n. A size of 0 is the last chunk; then trailer lines up to an empty line.",
        chunked,
    ),
    stage(
        "close-delimited",
        "No length: the body ends when the server closes",
        "Without Transfer-Encoding or Content-Length, the body is everything until the server closes: read to the end.",
        close_delimited,
    ),
    stage(
        "te-over-cl",
        "Transfer-Encoding wins over Content-Length",
        "When both headers come, Transfer-Encoding decides how the body ends and Content-Length is ignored (RFC 9112, 6.3).",
        te_over_cl,
    ),
    stage(
        "status",
        "404 exits 22 with its body; 204, 100 and -i",
        "Print the body whatever the status; exit 22 for 400 and above, with the status on stderr. 204 and 304 have no body; skip 1xx heads; -i prints the status line and headers first.",
        status,
    ),
    stage(
        "refusals",
        "Untrustworthy responses refused, nothing printed",
        "Refuse, with exit 1 and one line: two different Content-Lengths, one that is not a number, a chunk size that is not hex or over 16 digits, a head over 64 KiB.",
        refusals,
    ),
    stage(
        "cut-body",
        "A body cut short is an error, never whole",
        "If the connection closes before Content-Length bytes, or before the last chunk, exit 1 with a message: read_exact and io::copy on a bounded reader say UnexpectedEof.",
        cut_body,
    ),
    stage(
        "silent-server",
        "A server that goes silent: exit 1 after --timeout",
        "set_read_timeout(Some(timeout)) on the stream before the first read: every read then ends within --timeout, with an error to report.",
        silent_server,
    ),
    stage(
        "redirects",
        "Redirects: absolute, relative, to another port",
        "On 301, 302, 303, 307, 308 with a Location, resolve it against the current URL (RFC 3986, 5.2: `x` and `../x` against the current path's folder, `/x` against the host, `//h/x` keeps the scheme, `?q` keeps the path) and fetch that.",
        redirects,
    ),
    stage(
        "redirect-limits",
        "Redirect loops and --max-redirects; no Location",
        "Remember the URLs already fetched: one seen again is a loop. Count redirects against --max-redirects. A 3xx without Location is the answer itself.",
        redirect_limits,
    ),
    stage(
        "bad-urls",
        "Bad URLs refused before any connection",
        "Check the URL first: http:// only (https needs TLS), no user@, a host, a port from 1 to 65535. Say which part is wrong, exit 1, connect to nothing.",
        bad_urls,
    ),
    stage(
        "real-server",
        "Files from a real HTTP server (tiny_http)",
        "A real server sends what the RFC allows, not what a script chose: Date and Server headers, chunked bodies for unknown lengths. Follow the RFC, not one server's habits.",
        real_server,
    ),
];

/// The wrong solutions in checker/fixtures that the stages must catch.
const MISTAKES: &[Mistake] = &[
    Mistake {
        what: "One `read()` for the whole response",
        fixture: "fetch-one-read",
        role: "client",
        passes: Some("get"),
        fails: "byte-at-a-time",
        verdict: Verdict::Failed,
        says: "one byte at a time",
        golden: false,
    },
    Mistake {
        what: "Ignoring `Transfer-Encoding: chunked`, printing the chunk sizes",
        fixture: "fetch-no-chunked",
        role: "client",
        passes: Some("get"),
        fails: "chunked",
        verdict: Verdict::Failed,
        says: "the chunk sizes and their \\r\\n",
        golden: true,
    },
    Mistake {
        what: "No `Host` header",
        fixture: "fetch-no-host",
        role: "client",
        passes: Some("get"),
        fails: "request",
        verdict: Verdict::Failed,
        says: "no Host header",
        golden: false,
    },
    Mistake {
        what: "Trusting `Content-Length` over `Transfer-Encoding`",
        fixture: "fetch-cl-over-te",
        role: "client",
        passes: Some("chunked"),
        fails: "te-over-cl",
        verdict: Verdict::Failed,
        says: "Transfer-Encoding wins",
        golden: true,
    },
    Mistake {
        what: "Printing a body cut short as if it were whole",
        fixture: "fetch-cut-ok",
        role: "client",
        passes: Some("get"),
        fails: "cut-body",
        verdict: Verdict::Failed,
        says: "as if all went well",
        golden: false,
    },
    Mistake {
        what: "Resolving a relative redirect against the host's root",
        fixture: "fetch-root-relative",
        role: "client",
        passes: Some("get"),
        fails: "redirects",
        verdict: Verdict::Failed,
        says: "resolved against",
        golden: true,
    },
    Mistake {
        what: "Writing the request line by line",
        fixture: "fetch-many-writes",
        role: "client",
        passes: Some("get"),
        fails: "request",
        verdict: Verdict::Failed,
        says: "not in one write",
        golden: false,
    },
    Mistake {
        what: "No read timeout: a silent server is waited for for ever",
        fixture: "fetch-no-timeout",
        role: "client",
        passes: Some("get"),
        fails: "silent-server",
        verdict: Verdict::TimedOut,
        says: "set_read_timeout",
        golden: false,
    },
];

// ---------------------------------------------------------------------
// The request, as the checker's server reads it

/// The longest request head the checker's server reads.
const MAX_REQUEST_HEAD: usize = 64 << 10;

/// One request, read and parsed by httparse.
#[derive(Clone, Debug)]
struct Request {
    method: String,
    target: String,
    /// 1 for HTTP/1.1.
    minor_version: u8,
    headers: Vec<(String, String)>,
    /// The head as it came, up to and including the empty line.
    raw: Vec<u8>,
    /// How many reads it took to get the head.
    pieces: usize,
    /// Bytes after the head, in the same reads.
    after: Vec<u8>,
}

impl Request {
    fn values(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The request line and headers, for messages.
    fn shown(&self) -> String {
        let mut lines = vec![format!(
            "{} {} HTTP/1.{}",
            self.method, self.target, self.minor_version
        )];
        lines.extend(self.headers.iter().map(|(n, v)| format!("{n}: {v}")));
        lines.join(" | ")
    }
}

/// Where the empty line that ends a head is: the index after it.
fn head_end(bytes: &[u8]) -> Option<usize> {
    let crlf = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| i + 4);
    let lf = bytes.windows(2).position(|w| w == b"\n\n").map(|i| i + 2);
    match (crlf, lf) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Reads one request head from `conn` and parses it.
fn read_request(conn: &mut Conn) -> Result<Request, Failure> {
    let mut raw = Vec::new();
    let mut pieces = 0;
    let end = loop {
        if let Some(end) = head_end(&raw) {
            break end;
        }
        if raw.len() > MAX_REQUEST_HEAD {
            conn.log_received(&raw);
            return Err(Failure::failed(format!(
                "the request head is longer than {} KiB",
                MAX_REQUEST_HEAD >> 10
            )));
        }
        match conn.recv_some(16 << 10, time::patience()) {
            Ok(chunk) if chunk.is_empty() && raw.is_empty() => {
                return Err(Failure::failed(
                    "the client connected, then closed without sending a request",
                ));
            }
            Ok(chunk) if chunk.is_empty() => {
                conn.log_received(&raw);
                return Err(Failure::failed(
                    "the client closed the connection in the middle of its request",
                )
                .got(wire::show(&raw))
                .hint("the request head ends with an empty line: \\r\\n\\r\\n"));
            }
            Ok(chunk) => {
                pieces += 1;
                raw.extend_from_slice(&chunk);
            }
            Err(_) => {
                if !raw.is_empty() {
                    conn.log_received(&raw);
                }
                return Err(Failure::failed(format!(
                    "the request head never ended: the checker's server got {} byte(s) of it, then nothing more",
                    raw.len()
                ))
                .got(wire::show(&raw))
                .hint("end the request head with an empty line (\\r\\n\\r\\n), and write it all before reading the response"));
            }
        }
    };
    let after = raw.split_off(end);
    conn.log_received(&raw);
    // Pieces that came so close together that one read took them all
    // still show as segments.
    let pieces = pieces.max(conn.data_segments_in().unwrap_or(0) as usize);
    let mut slots = [httparse::EMPTY_HEADER; 64];
    let mut parsed = httparse::Request::new(&mut slots);
    match parsed.parse(&raw) {
        Ok(httparse::Status::Complete(_)) => {}
        Ok(httparse::Status::Partial) => {
            return Err(Failure::failed("the request head is incomplete").got(wire::show(&raw)));
        }
        Err(e) => {
            return Err(
                Failure::failed(format!("the checker cannot read the request: {e}"))
                    .got(wire::show(&raw))
                    .hint("`GET /path HTTP/1.1`, then `Name: value` lines, each ending in \\r\\n, then an empty line"),
            );
        }
    }
    Ok(Request {
        method: parsed.method.unwrap_or_default().to_string(),
        target: parsed.path.unwrap_or_default().to_string(),
        minor_version: parsed.version.unwrap_or_default(),
        headers: parsed
            .headers
            .iter()
            .map(|h| {
                (
                    h.name.to_string(),
                    String::from_utf8_lossy(h.value).into_owned(),
                )
            })
            .collect(),
        raw,
        pieces,
        after,
    })
}

/// What every request must be: a GET for `target`, in HTTP/1.1, with a
/// right Host if it has one.
fn check_request(request: &Request, target: &str, host: &str) -> Outcome {
    let line = format!(
        "{} {} HTTP/1.{}",
        request.method, request.target, request.minor_version
    );
    let want = format!("GET {target} HTTP/1.1");
    if line != want {
        return Err(
            Failure::failed("the request line is not the one the URL asks for")
                .expected(wire::quote_text(&want))
                .got(wire::quote_text(&line))
                .hint("the method, a space, the path and query from the URL (no fragment), a space, HTTP/1.1"),
        );
    }
    let hosts = request.values("host");
    if hosts.iter().any(|h| *h != host) {
        return Err(Failure::failed("the Host header names another server")
            .expected(format!("Host: {host}"))
            .got(request.shown())
            .hint("Host is the URL's host and port: `HOST:PORT`, with an IPv6 address in brackets, and no port when it is 80"));
    }
    Ok(())
}

/// [`check_request`], and the Host header must be there, once.
fn check_host(request: &Request, target: &str, host: &str) -> Outcome {
    check_request(request, target, host)?;
    match request.values("host").len() {
        1 => Ok(()),
        0 => Err(Failure::failed("the request has no Host header")
            .expected(format!("Host: {host}"))
            .got(request.shown())
            .hint("HTTP/1.1 requires Host: one server often serves many sites on one address, and Host says which one")),
        n => Err(
            Failure::failed(format!("the request has {n} Host headers"))
                .expected("exactly one")
                .got(request.shown()),
        ),
    }
}

/// One line for the transcript: the request line and headers, or the
/// status line and headers of a response.
fn decode(bytes: &[u8]) -> Option<String> {
    let head = &bytes[..head_end(bytes).unwrap_or(bytes.len())];
    let text = String::from_utf8_lossy(head);
    let mut lines = text.lines().map(str::trim_end).filter(|l| !l.is_empty());
    let first = lines.next()?;
    if !first.starts_with("HTTP/") && !first.contains(" HTTP/") {
        return None;
    }
    let rest: Vec<&str> = lines.take(8).collect();
    let body = bytes.len() - head.len();
    let body = if body > 0 && first.starts_with("HTTP/") {
        format!(" + {body} byte(s) of body")
    } else {
        String::new()
    };
    if rest.is_empty() {
        Some(format!("{first}{body}"))
    } else {
        Some(format!("{first} | {}{body}", rest.join(" | ")))
    }
}

// ---------------------------------------------------------------------
// The checker's scripted servers

/// A script's answer to one request: `(connection number, request)`.
type Answer = dyn Fn(&mut Conn, &Request, usize) -> Outcome + Send + Sync;

/// Starts a scripted HTTP server on `addr`: it reads each request, then
/// answers it with `answer`. A response the client stopped reading is no
/// failure of the server's: the client may rightly have refused it, and
/// what the client printed and how it exited say whether it was right.
fn http_peer_at(
    ctx: &Ctx,
    addr: &str,
    name: &str,
    answer: impl Fn(&mut Conn, &Request, usize) -> Outcome + Send + Sync + 'static,
) -> Result<TcpPeer<Request>, Failure> {
    let answer: Arc<Answer> = Arc::new(answer);
    ctx.tcp_peer_at(addr, name, Some(decode), move |conn, n| {
        let request = read_request(conn)?;
        if answer(conn, &request, n).is_err() {
            conn.note("the client stopped reading before the whole response was sent");
        }
        Ok(request)
    })
}

fn http_peer(
    ctx: &Ctx,
    answer: impl Fn(&mut Conn, &Request, usize) -> Outcome + Send + Sync + 'static,
) -> Result<TcpPeer<Request>, Failure> {
    http_peer_at(ctx, "127.0.0.1:0", "the checker's HTTP server", answer)
}

/// A whole response: status line, headers, empty line, body.
fn response(status: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {status}\r\n");
    for (name, value) in headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str("\r\n");
    let mut out = out.into_bytes();
    out.extend_from_slice(body);
    out
}

/// `200 OK` with a Content-Length.
fn ok(body: &[u8]) -> Vec<u8> {
    response(
        "200 OK",
        &[
            ("Content-Type", "text/plain"),
            ("Content-Length", &body.len().to_string()),
        ],
        body,
    )
}

/// Sends `pieces` one after another, `pause` apart: a response the network
/// cut up.
fn send_pieces(conn: &mut Conn, pieces: &[&[u8]], pause: Duration) -> Outcome {
    conn.note(format!(
        "{} sends its response in {} pieces, {}ms apart",
        conn.name(),
        pieces.len(),
        pause.as_millis()
    ));
    for piece in pieces {
        conn.send(piece)?;
        std::thread::sleep(pause);
    }
    Ok(())
}

// ---------------------------------------------------------------------
// Running the client

/// Runs `fetch-client URL ARGS... --timeout T`, T being 2 s scaled unless
/// ARGS give one; the client must end within 10 s (3 s when ARGS give a
/// --timeout).
fn fetch(ctx: &Ctx, url: &str, args: &[&str]) -> Result<Finished, Failure> {
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
fn expect_refused(finished: &Finished, what: &str) -> Outcome {
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
fn one_get(
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

// ---------------------------------------------------------------------
// The stages

const HELLO: &[u8] = b"Hello from the checker's HTTP server.\nThis is the second line.\n";

/// Keeps the connection open after a response whose length says where it
/// ends: a client that reads until the close instead waits, and times out.
fn hold_after_length(conn: &mut Conn) -> Outcome {
    conn.note("the checker's HTTP server keeps the connection open: Content-Length says where the body ends");
    conn.hold_open(secs(4));
    Ok(())
}

/// The failure for a client that printed `body` whole but did not exit 0:
/// it most likely read past the body's length, waiting for a close.
fn length_hint(finished: &Finished, body: &[u8], f: Failure) -> Failure {
    if finished.stdout == body && finished.code != Some(0) {
        return f.hint("the body was printed whole, then the client waited for more: stop after Content-Length bytes (header names in any case), never wait for the close when the length is known");
    }
    if finished.stdout.is_empty() && finished.code == Some(0) {
        return f.hint("nothing came out: if you print through a BufWriter, or exit with std::process::exit, flush stdout first");
    }
    f
}

fn get(ctx: &mut Ctx) -> Outcome {
    let (finished, _) = one_get(ctx, "/hello.txt", &[], |conn, _, _| {
        conn.send(&ok(HELLO))?;
        hold_after_length(conn)
    })?;
    finished
        .expect_exit("fetch /hello.txt", 0, HELLO)
        .map_err(|f| length_hint(&finished, HELLO, f))
}

fn request(ctx: &mut Ctx) -> Outcome {
    let peer = http_peer(ctx, |conn, _, _| conn.send(&ok(HELLO)))?;
    let host = peer.addr().to_string();
    let finished = fetch(ctx, &format!("http://{host}/request"), &[]);
    let request = peer.finish_one("client")?;
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
            "the request came in {} pieces, not in one write",
            request.pieces
        ))
        .hint("build the whole request in a String (format!) and send it with one write_all: each small write may become a packet of its own"));
    }
    finished?.expect_exit("fetch /request", 0, HELLO)
}

fn url_parts(ctx: &mut Ctx) -> Outcome {
    for (suffix, target) in [
        ("", "/"),
        ("/a%20b/c.txt?q=1&r=%2F#section-2", "/a%20b/c.txt?q=1&r=%2F"),
        ("?only=query", "/?only=query"),
    ] {
        let peer = http_peer(ctx, |conn, _, _| conn.send(&ok(HELLO)))?;
        let host = peer.addr().to_string();
        let url = format!("http://{host}{suffix}");
        ctx.note(format!("next: {url}"));
        let finished = fetch(ctx, &url, &[]);
        let request = peer.finish_one("client")?;
        check_request(&request, target, &host).map_err(|f| f.context(format!("{url}: ")))?;
        finished?.expect_exit(&format!("fetch {url}"), 0, HELLO)?;
    }
    Ok(())
}

fn ipv6(ctx: &mut Ctx) -> Outcome {
    if !wire::has_ipv6_loopback() {
        return Err(Failure::skipped("this machine has no IPv6 loopback (::1)"));
    }
    let peer = http_peer_at(ctx, "[::1]:0", "the checker's HTTP server", |conn, _, _| {
        conn.send(&ok(HELLO))
    })?;
    let host = format!("[::1]:{}", peer.addr().port());
    let finished = fetch(ctx, &format!("http://{host}/v6"), &[]);
    let request = peer.finish_one("client")?;
    check_host(&request, "/v6", &host)?;
    finished?.expect_exit("fetch over IPv6", 0, HELLO)
}

fn localhost(ctx: &mut Ctx) -> Outcome {
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
    let peer = http_peer_at(
        ctx,
        &at.to_string(),
        "the checker's HTTP server",
        |conn, _, _| conn.send(&ok(HELLO)),
    )?;
    let host = format!("localhost:{}", at.port());
    let finished = fetch(ctx, &format!("http://{host}/local"), &[]);
    let request = peer.finish_one("client").map_err(|f| {
        f.hint(if names.len() < 2 {
            "the host is a name, not an address: resolve it with to_socket_addrs() and connect to what it gives".to_string()
        } else {
            format!(
                "localhost has {} addresses here: when connecting to one fails, try the next",
                names.len()
            )
        })
    })?;
    check_host(&request, "/local", &host)?;
    finished?.expect_exit("fetch http://localhost:PORT/local", 0, HELLO)
}

fn byte_at_a_time(ctx: &mut Ctx) -> Outcome {
    let body = b"one byte at a time\n";
    let (finished, _) = one_get(ctx, "/slowly", &[], |conn, _, _| {
        conn.send_slowly(&ok(body), ms(3))
    })?;
    finished.expect_exit("fetch /slowly", 0, body).map_err(|f| {
        f.context("the response came one byte at a time. ")
            .hint("one read() returns what has arrived so far, maybe a single byte: read the head line by line with a BufReader, then the body to its length")
    })
}

fn split_head(ctx: &mut Ctx) -> Outcome {
    let body = b"pieces put together\n";
    let (finished, _) = one_get(ctx, "/pieces", &[], |conn, _, _| {
        send_pieces(
            conn,
            &[
                b"HTTP/1.1 200 OK\r",
                b"\ncontent-ty",
                b"pe: text/plain\r\nCONTENT-le",
                b"ngth:   20  \r\n\r",
                b"\npieces put",
                b" together\n",
            ],
            ms(40),
        )?;
        hold_after_length(conn)
    })?;
    finished
        .expect_exit("fetch /pieces", 0, body)
        .map_err(|f| length_hint(&finished, body, f))
}

/// A deterministic stream of bytes that looks random: the same seed gives
/// the same bytes however they are cut into pieces, so the checker never
/// holds a big body to compare it.
struct Noise {
    seed: u64,
    at: u64,
}

impl Noise {
    fn new(seed: u64) -> Noise {
        Noise { seed, at: 0 }
    }

    fn fill(&mut self, buf: &mut [u8]) {
        let (mut word, mut which) = ([0u8; 8], u64::MAX);
        for byte in buf {
            if self.at / 8 != which {
                which = self.at / 8;
                // splitmix64 of the word's number.
                let mut z = self.seed ^ which.wrapping_mul(0x9e37_79b9_7f4a_7c15);
                z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
                z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
                word = (z ^ (z >> 31)).to_le_bytes();
            }
            *byte = word[(self.at % 8) as usize];
            self.at += 1;
        }
    }
}

/// The big body's size: 32 MiB.
const BIG: usize = 32 << 20;

/// A folder of the stage's own under the system's temporary folder.
fn scratch(ctx: &Ctx) -> Result<PathBuf, Failure> {
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

/// Compares the file at `path` with `size` bytes of `Noise::new(seed)`, without
/// holding either.
fn compare_file(path: &Path, seed: u64, size: usize) -> Outcome {
    let file = std::fs::File::open(path).map_err(|e| {
        Failure::failed(format!(
            "-o {}: the client wrote no file ({e})",
            path.display()
        ))
        .hint("create the file with File::create and copy the body into it")
    })?;
    let (mut file, mut noise) = (std::io::BufReader::new(file), Noise::new(seed));
    let (mut want, mut got) = (vec![0u8; 64 << 10], vec![0u8; 64 << 10]);
    let mut at = 0usize;
    loop {
        let n = file
            .read(&mut got)
            .map_err(|e| Failure::checker_error(e.to_string()))?;
        if n == 0 {
            break;
        }
        let n = n.min(size.saturating_sub(at));
        if n == 0 {
            return Err(Failure::failed(format!(
                "the file holds more than the {size} bytes of the body"
            ))
            .hint("write the body alone to the file: not the head, and nothing after the body"));
        }
        noise.fill(&mut want[..n]);
        if let Some(i) = (0..n).find(|&i| want[i] != got[i]) {
            let from = i.saturating_sub(4);
            let to = (i + 4).min(n);
            return Err(Failure::failed(format!(
                "the file differs from the body at byte {} (counting from 0)",
                at + i
            ))
            .expected(format!(
                "bytes {}.. in hex: {}",
                at + from,
                wire::hex(&want[from..to])
            ))
            .got(format!(
                "bytes {}.. in hex: {}",
                at + from,
                wire::hex(&got[from..to])
            ))
            .hint("treat the body as bytes: no String, no from_utf8_lossy, no newline added"));
        }
        at += n;
    }
    if at < size {
        return Err(
            Failure::failed(format!("the file holds {at} of the body's {size} bytes"))
                .hint("copy until the body's end, and flush the file before exiting"),
        );
    }
    Ok(())
}

fn binary_body(ctx: &mut Ctx) -> Outcome {
    // Every byte value, to stdout.
    let all: Vec<u8> = (0..=255u8).cycle().take(1024).collect();
    let small = all.clone();
    let (finished, _) = one_get(ctx, "/bytes.bin", &[], move |conn, _, _| {
        conn.send(&response(
            "200 OK",
            &[
                ("Content-Type", "application/octet-stream"),
                ("Content-Length", "1024"),
            ],
            &small,
        ))
    })?;
    finished.expect_exit("fetch /bytes.bin (every byte value)", 0, &all)?;

    // 32 MiB, with -o.
    let dir = scratch(ctx)?;
    let file = dir.join("big.bin");
    let _ = std::fs::remove_file(&file);
    let seed = 0x5eed_f00d_u64;
    let peer = http_peer(ctx, move |conn, _, _| {
        let head = response(
            "200 OK",
            &[
                ("Content-Type", "application/octet-stream"),
                ("Content-Length", &BIG.to_string()),
            ],
            b"",
        );
        conn.send(&head)?;
        conn.note(format!(
            "{} sends {} MiB of binary body",
            conn.name(),
            BIG >> 20
        ));
        let (mut noise, mut buf) = (Noise::new(seed), vec![0u8; 64 << 10]);
        for _ in 0..BIG / buf.len() {
            noise.fill(&mut buf);
            conn.send_quietly(&buf)?;
        }
        Ok(())
    })?;
    let addr = peer.addr();
    let path = file.display().to_string();
    let finished = ctx.run_client(
        "client",
        &[
            &format!("http://{addr}/big.bin"),
            "-o",
            &path,
            "--timeout",
            &ctx.flag(secs(5)),
        ],
        Input::Nothing,
        secs(40),
    );
    let request = peer.finish_one("client")?;
    check_request(&request, "/big.bin", &addr.to_string())?;
    finished?.expect_exit("fetch /big.bin -o FILE", 0, b"")?;
    let compared = compare_file(&file, seed, BIG);
    let _ = std::fs::remove_dir_all(&dir);
    compared
}

fn chunked(ctx: &mut Ctx) -> Outcome {
    let long: Vec<u8> = b"0123456789abcdef".repeat(16); // 256 bytes: 100 in hex
    let mut body = b"chunked! and a second chunk of 26 bytes.\n".to_vec();
    body.extend_from_slice(&long);
    let wire_long = [b"100\r\n".as_slice(), &long, b"\r\n"].concat();
    let (finished, _) = one_get(ctx, "/chunked", &[], move |conn, _, _| {
        send_pieces(
            conn,
            &[
                b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\nTrailer: X-Checksum\r\n\r\n",
                b"f;name=value\r\nchunked! and a \r\n",
                b"1",
                b"A\r\nsecond chunk of 26 bytes.\n\r\n",
                &wire_long,
                b"0\r\nX-Checksum: 1234\r\n\r\n",
            ],
            ms(20),
        )
    })?;
    finished
        .expect_exit("fetch /chunked", 0, &body)
        .map_err(|f| {
            if finished.stdout.starts_with(b"f;name") || finished.stdout.starts_with(b"f\r\n") {
                f.context(
                "the client printed the chunk sizes and their \\r\\n as if they were the body. ",
            )
            } else {
                f
            }
        })
}

fn close_delimited(ctx: &mut Ctx) -> Outcome {
    let body = b"no length given:\nthe body ends when the server closes.\n";
    let (finished, _) = one_get(ctx, "/until-close", &[], |conn, _, _| {
        send_pieces(
            conn,
            &[
                b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n",
                b"no length given:\n",
                b"the body ends when the server closes.\n",
            ],
            ms(30),
        )?;
        conn.note("the checker's HTTP server closes the connection: the end of the body");
        Ok(())
    })?;
    finished.expect_exit("fetch /until-close", 0, body)
}

fn te_over_cl(ctx: &mut Ctx) -> Outcome {
    let (finished, _) = one_get(ctx, "/both", &[], |conn, _, _| {
        conn.send(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")
    })?;
    finished.expect_exit("fetch /both", 0, b"hello world").map_err(|f| {
        f.context("the response had both Content-Length: 5 and Transfer-Encoding: chunked, and Transfer-Encoding wins. ")
            .hint("look at Transfer-Encoding first; use Content-Length only when there is none (RFC 9112, 6.3)")
    })
}

fn status(ctx: &mut Ctx) -> Outcome {
    let missing = b"the checker has no page here\n";
    let (finished, _) = one_get(ctx, "/missing", &[], |conn, _, _| {
        conn.send(&response(
            "404 Not Found",
            &[("Content-Length", "29"), ("Content-Type", "text/plain")],
            b"the checker has no page here\n",
        ))
    })?;
    finished.expect_exit("fetch /missing (a 404)", 22, missing)?;
    if !finished.stderr.contains("404") {
        return Err(
            Failure::failed("the client exited 22 but did not say the status")
                .expected("a line on stderr with 404")
                .got(format!(
                    "stderr: {}",
                    wire::quote_text(finished.stderr.trim())
                )),
        );
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

fn refusals(ctx: &mut Ctx) -> Outcome {
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

fn cut_body(ctx: &mut Ctx) -> Outcome {
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

fn silent_server(ctx: &mut Ctx) -> Outcome {
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

/// The redirect chain: which server, the target asked, and the answer.
struct Hop {
    /// 0: server A, 1: server B.
    server: usize,
    target: &'static str,
    status: &'static str,
    /// `{A}` and `{B}` stand for the servers' addresses.
    location: &'static str,
}

const CHAIN: &[Hop] = &[
    Hop {
        server: 0,
        target: "/start/here",
        status: "301 Moved Permanently",
        location: "http://{B}/b/one",
    },
    Hop {
        server: 1,
        target: "/b/one",
        status: "302 Found",
        location: "../up/two",
    },
    Hop {
        server: 1,
        target: "/up/two",
        status: "303 See Other",
        location: "three",
    },
    Hop {
        server: 1,
        target: "/up/three",
        status: "307 Temporary Redirect",
        location: "/root/four",
    },
    Hop {
        server: 1,
        target: "/root/four",
        status: "308 Permanent Redirect",
        location: "//{A}/a/five",
    },
    Hop {
        server: 0,
        target: "/a/five",
        status: "302 Found",
        location: "?page=6",
    },
    Hop {
        server: 0,
        target: "/a/five?page=6",
        status: "200 OK",
        location: "",
    },
];

const ARRIVED: &[u8] = b"you followed six redirects\n";

fn redirects(ctx: &mut Ctx) -> Outcome {
    // Two servers; each answers by the chain, and logs what it was asked
    // in one list, so the order across both is known.
    let asked: Arc<Mutex<Vec<(usize, String)>>> = Arc::default();
    let addrs: Arc<Mutex<[String; 2]>> = Arc::default();
    let serve = |server: usize| {
        let (asked, addrs) = (Arc::clone(&asked), Arc::clone(&addrs));
        move |conn: &mut Conn, request: &Request, _: usize| {
            asked
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push((server, request.target.clone()));
            let [a, b] = addrs.lock().unwrap_or_else(|e| e.into_inner()).clone();
            match CHAIN
                .iter()
                .find(|h| h.server == server && h.target == request.target)
            {
                Some(hop) if hop.location.is_empty() => conn.send(&ok(ARRIVED)),
                Some(hop) => {
                    let location = hop.location.replace("{A}", &a).replace("{B}", &b);
                    conn.send(&response(
                        hop.status,
                        &[("Location", &location), ("Content-Length", "0")],
                        b"",
                    ))
                }
                None => conn.send(&response("404 Not Found", &[("Content-Length", "0")], b"")),
            }
        }
    };
    let a = http_peer_at(ctx, "127.0.0.1:0", "server A", serve(0))?;
    let b = http_peer_at(ctx, "127.0.0.1:0", "server B", serve(1))?;
    let names = [a.addr().to_string(), b.addr().to_string()];
    *addrs.lock().unwrap_or_else(|e| e.into_inner()) = names.clone();
    let start = format!("http://{}/start/here", names[0]);
    let finished = fetch(ctx, &start, &[]);
    let requests: Vec<Request> = a
        .finish()
        .into_iter()
        .chain(b.finish())
        .collect::<Result<_, _>>()?;
    for request in &requests {
        let server = if request
            .values("host")
            .first()
            .is_some_and(|h| *h == names[1])
        {
            1
        } else {
            0
        };
        check_request(request, &request.target, &names[server])?;
    }
    let asked = asked.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let url = |hop: &Hop| format!("http://{}{}", names[hop.server], hop.target);
    if asked.is_empty() {
        let finished = finished?;
        return Err(Failure::failed(format!(
            "the client never asked server A for /start/here; it {}",
            finished.how
        ))
        .got(format!(
            "stderr: {}",
            wire::quote_text(finished.stderr.trim())
        )));
    }
    for (i, hop) in CHAIN.iter().enumerate() {
        let Some((server, target)) = asked.get(i) else {
            let before = &CHAIN[i - 1];
            return Err(Failure::failed(format!(
                "after {} from {}, the client did not follow",
                before.status,
                url(before)
            ))
            .expected(format!("a GET of {}", url(hop)))
            .got(format!(
                "exit: {}",
                finished
                    .as_ref()
                    .map_or("(did not end)".into(), |f| f.how.clone())
            ))
            .hint("on 301, 302, 303, 307 and 308, fetch the Location"));
        };
        if (*server, target.as_str()) != (hop.server, hop.target) {
            let before = &CHAIN[i - 1];
            let location = before
                .location
                .replace("{A}", &names[0])
                .replace("{B}", &names[1]);
            return Err(Failure::failed(format!(
                "Location: {location} from {} resolved against it is {}, but the client asked for http://{}{target}",
                url(before),
                url(hop),
                names[*server]
            ))
            .expected(format!("GET {}", url(hop)))
            .got(format!("GET http://{}{target}", names[*server]))
            .hint("resolve Location as RFC 3986 (5.2) says: `x` and `../x` replace the last segment of the current path, `/x` the whole path, `//host/x` all but the scheme, `?q` the query only"));
        }
    }
    finished?.expect_exit("fetch through six redirects", 0, ARRIVED)
}

fn redirect_limits(ctx: &mut Ctx) -> Outcome {
    // A loop.
    let peer = http_peer(ctx, |conn, request, _| {
        let next = if request.target == "/loop/a" {
            "/loop/b"
        } else {
            "/loop/a"
        };
        conn.send(&response(
            "302 Found",
            &[("Location", next), ("Content-Length", "0")],
            b"",
        ))
    })?;
    let finished = fetch(ctx, &format!("http://{}/loop/a", peer.addr()), &[]);
    let requests = peer.finish();
    expect_refused(&finished?, "a redirect loop (/loop/a → /loop/b → /loop/a)")?;
    if requests.len() > 3 {
        return Err(Failure::failed(format!(
            "the client followed the loop {} times before giving up",
            requests.len()
        ))
        .expected("an error as soon as a URL comes round again: 3 requests at most")
        .hint("keep the URLs fetched so far, and stop when Location points at one of them"));
    }

    // An endless chain, with --max-redirects 2.
    let peer = http_peer(ctx, |conn, _, n| {
        conn.send(&response(
            "302 Found",
            &[
                ("Location", &format!("/hop/{}", n + 1)),
                ("Content-Length", "0"),
            ],
            b"",
        ))
    })?;
    let finished = fetch(
        ctx,
        &format!("http://{}/hop/1", peer.addr()),
        &["--max-redirects", "2"],
    );
    let requests = peer.finish();
    expect_refused(&finished?, "a chain of redirects with --max-redirects 2")?;
    if requests.len() != 3 {
        return Err(Failure::failed(format!(
            "with --max-redirects 2 the client made {} requests",
            requests.len()
        ))
        .expected("3: the first, then 2 redirects followed, then an error at the third")
        .hint("count the redirects followed; refuse the one that would go past the limit"));
    }

    // A 3xx without Location is the answer.
    let body = b"a redirect with nowhere to go\n";
    let (finished, _) = one_get(ctx, "/nowhere", &[], |conn, _, _| {
        conn.send(&response(
            "302 Found",
            &[("Content-Length", "30")],
            b"a redirect with nowhere to go\n",
        ))
    })?;
    finished.expect_exit("fetch /nowhere (302 without Location)", 0, body)
}

fn bad_urls(ctx: &mut Ctx) -> Outcome {
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

// ---------------------------------------------------------------------
// A real server

/// The files the real server serves: (path, bytes, served chunked).
fn real_files() -> Vec<(&'static str, Vec<u8>, bool)> {
    let mut binary = vec![0u8; 100_000];
    Noise::new(7).fill(&mut binary);
    let notes = b"Notes served by tiny_http.\nNobody scripted this response.\n".to_vec();
    let stream: Vec<u8> = (1..=2000)
        .flat_map(|i| format!("line {i} of a body of unknown length\n").into_bytes())
        .collect();
    vec![
        ("/notes.txt", notes, false),
        ("/data.bin", binary, false),
        ("/stream.txt", stream, true),
    ]
}

/// tiny_http, serving a folder on loopback.
struct RealServer {
    addr: SocketAddr,
    /// The requests it read, one line each.
    log: Arc<Mutex<Vec<String>>>,
    server: Arc<tiny_http::Server>,
}

/// Starts tiny_http on loopback serving `files` from `dir`.
fn start_real_server(
    dir: &Path,
    files: &[(&'static str, Vec<u8>, bool)],
) -> Result<RealServer, Failure> {
    let server = tiny_http::Server::http("127.0.0.1:0")
        .map_err(|e| Failure::checker_error(format!("tiny_http: {e}")))?;
    let addr = server
        .server_addr()
        .to_ip()
        .ok_or_else(|| Failure::checker_error("tiny_http has no IP address"))?;
    for (path, bytes, _) in files {
        std::fs::write(dir.join(&path[1..]), bytes)
            .map_err(|e| Failure::checker_error(e.to_string()))?;
    }
    let server = Arc::new(server);
    let log: Arc<Mutex<Vec<String>>> = Arc::default();
    let chunked: Vec<&'static str> = files.iter().filter(|f| f.2).map(|f| f.0).collect();
    let (dir, serving, seen) = (dir.to_path_buf(), Arc::clone(&server), Arc::clone(&log));
    std::thread::spawn(move || {
        for request in serving.incoming_requests() {
            let headers: Vec<String> = request
                .headers()
                .iter()
                .map(|h| format!("{}: {}", h.field, h.value))
                .collect();
            seen.lock().unwrap_or_else(|e| e.into_inner()).push(format!(
                "{} {} HTTP/{} | {}",
                request.method(),
                request.url(),
                request.http_version(),
                headers.join(" | ")
            ));
            let path = request.url().split('?').next().unwrap_or("/").to_string();
            let file = path
                .strip_prefix('/')
                .filter(|p| !p.is_empty() && !p.contains(['/', '\\']))
                .and_then(|p| std::fs::File::open(dir.join(p)).ok());
            let _ = match file {
                // An unknown length: tiny_http sends it chunked.
                Some(f) if chunked.contains(&path.as_str()) => request.respond(
                    tiny_http::Response::new(tiny_http::StatusCode(200), vec![], f, None, None),
                ),
                Some(f) => request.respond(tiny_http::Response::from_file(f)),
                None => request.respond(
                    tiny_http::Response::from_string("no such file\n").with_status_code(404),
                ),
            };
        }
    });
    Ok(RealServer { addr, log, server })
}

fn real_server(ctx: &mut Ctx) -> Outcome {
    let dir = scratch(ctx)?;
    let files = real_files();
    let RealServer { addr, log, server } = start_real_server(&dir, &files)?;
    ctx.note(format!("tiny_http serves {} on {addr}", dir.display()));
    let mut outcome = Ok(());
    for (path, bytes, chunked) in &files {
        let how = if *chunked {
            "chunked"
        } else {
            "with its length"
        };
        let finished = fetch(ctx, &format!("http://{addr}{path}"), &[]);
        outcome = finished.and_then(|f| f.expect_exit(&format!("fetch {path} ({how})"), 0, bytes));
        if outcome.is_err() {
            break;
        }
    }
    if outcome.is_ok() {
        outcome = fetch(ctx, &format!("http://{addr}/missing.txt"), &[])
            .and_then(|f| f.expect_exit("fetch /missing.txt (a 404)", 22, b"no such file\n"));
    }
    server.unblock();
    let log = log.lock().unwrap_or_else(|e| e.into_inner()).clone();
    for line in &log {
        ctx.note(format!("tiny_http read: {line}"));
    }
    if log.is_empty() {
        outcome = outcome.map_err(|f| {
            f.then("; tiny_http never read a whole request from the client")
                .hint("a real server answers only a whole request: the request line and headers, each line ending in \\r\\n, then an empty line")
        });
    }
    let _ = std::fs::remove_dir_all(&dir);
    outcome
}

// ---------------------------------------------------------------------
// By hand

/// The paths `cargo grade peer http` serves.
const HAND_PATHS: &[&str] = &[
    "/hello.txt        a short text, with Content-Length",
    "/chunked          a chunked body, with an extension and a trailer",
    "/redirect         three redirects (an absolute path, a relative one with a query, another absolute path), then /hello.txt",
    "/slow             a response a byte every 50 ms",
    "/bytes/N          N bytes of binary noise, N up to 16 GiB (for benchmarks)",
    "/status/N         an empty response with status N (try 404, 204, 500)",
];

/// The hand server's answer to `target`, written to `out`.
fn hand_answer(target: &str, out: &mut impl std::io::Write) -> std::io::Result<()> {
    match target {
        "/hello.txt" => out.write_all(&ok(HELLO)),
        "/chunked" => out.write_all(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain\r\n\r\n6;note=first\r\nchunks\r\n0d\r\n arrive here\n\r\n0\r\nX-Trailer: read and dropped\r\n\r\n"),
        "/redirect" => out.write_all(&response("301 Moved Permanently", &[("Location", "/redirect/step"), ("Content-Length", "0")], b"")),
        "/redirect/step" => out.write_all(&response("302 Found", &[("Location", "last?x=1"), ("Content-Length", "0")], b"")),
        "/redirect/last?x=1" => out.write_all(&response("303 See Other", &[("Location", "/hello.txt"), ("Content-Length", "0")], b"")),
        "/slow" => {
            for byte in ok(b"worth the wait\n") {
                out.write_all(&[byte])?;
                out.flush()?;
                std::thread::sleep(ms(50));
            }
            Ok(())
        }
        _ => {
            if let Some(n) = target.strip_prefix("/bytes/").and_then(|n| n.parse::<u64>().ok()).filter(|n| *n <= 16 << 30) {
                out.write_all(&response("200 OK", &[("Content-Type", "application/octet-stream"), ("Content-Length", &n.to_string())], b""))?;
                let (mut noise, mut buf) = (Noise::new(1), vec![0u8; 256 << 10]);
                noise.fill(&mut buf);
                let mut left = n;
                while left > 0 {
                    let k = left.min(buf.len() as u64) as usize;
                    out.write_all(&buf[..k])?;
                    left -= k as u64;
                }
                return Ok(());
            }
            if let Some(code) = target.strip_prefix("/status/").and_then(|n| n.parse::<u16>().ok()).filter(|c| (200..600).contains(c)) {
                return out.write_all(format!("HTTP/1.1 {code} Status {code}\r\nContent-Length: 0\r\n\r\n").as_bytes());
            }
            out.write_all(&response("404 Not Found", &[("Content-Length", "13")], b"no such page\n"))
        }
    }
}

/// `cargo grade peer http`: the stages' responses, for a person to try
/// their client (or curl) against. Prints each request.
fn serve_by_hand() -> std::io::Result<()> {
    use std::io::{BufRead, BufReader, Write};
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    println!("the checker's HTTP server listens on http://{addr}/ (Ctrl-C stops it)");
    println!("it serves:");
    for path in HAND_PATHS {
        println!("  {path}");
    }
    println!("try:  cargo run -q -p fetch --bin fetch-client -- http://{addr}/redirect");
    println!("      curl -v -L http://{addr}/redirect");
    for stream in listener.incoming().flatten() {
        std::thread::spawn(move || -> std::io::Result<()> {
            stream.set_read_timeout(Some(secs(10)))?;
            let mut reader = BufReader::new(stream.try_clone()?);
            let mut head = Vec::new();
            while head_end(&head).is_none() && head.len() < MAX_REQUEST_HEAD {
                if reader.read_until(b'\n', &mut head)? == 0 {
                    return Ok(());
                }
            }
            println!(
                "← {}",
                decode(&head).unwrap_or_else(|| wire::preview(&head))
            );
            let target = head
                .split(|&b| b == b' ')
                .nth(1)
                .map(|t| String::from_utf8_lossy(t).into_owned())
                .unwrap_or_default();
            let mut out = std::io::BufWriter::new(stream);
            hand_answer(&target, &mut out)?;
            out.flush()
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heads_end_at_an_empty_line_of_either_kind() {
        assert_eq!(head_end(b"GET / HTTP/1.1\r\n\r\nbody"), Some(18));
        assert_eq!(head_end(b"GET / HTTP/1.1\n\nbody"), Some(16));
        assert_eq!(head_end(b"GET / HTTP/1.1\r\nHost: x\r\n"), None);
    }

    #[test]
    fn the_decoder_reads_requests_and_responses() {
        assert_eq!(
            decode(b"GET /a HTTP/1.1\r\nHost: h\r\n\r\n").unwrap(),
            "GET /a HTTP/1.1 | Host: h"
        );
        assert_eq!(
            decode(&ok(b"hi")).unwrap(),
            "HTTP/1.1 200 OK | Content-Type: text/plain | Content-Length: 2 + 2 byte(s) of body"
        );
        assert_eq!(decode(b"\x00\x01"), None);
    }

    #[test]
    fn noise_is_the_same_from_the_same_seed_in_any_pieces() {
        let (mut whole, mut parts) = (vec![0u8; 64], vec![0u8; 64]);
        Noise::new(3).fill(&mut whole);
        let mut n = Noise::new(3);
        let (a, b) = parts.split_at_mut(5);
        n.fill(a);
        n.fill(b);
        assert_eq!(whole, parts);
        assert_ne!(whole, vec![0u8; 64]);
    }

    #[test]
    fn the_redirect_chain_is_what_rfc_3986_says() {
        // Each relative Location, resolved by hand, is the next hop.
        assert_eq!(CHAIN[1].location, "../up/two");
        assert_eq!(CHAIN[2].target, "/up/two");
        assert_eq!(CHAIN[3].target, "/up/three");
        assert_eq!(CHAIN[6].target, "/a/five?page=6");
        assert_eq!(CHAIN.iter().filter(|h| !h.location.is_empty()).count(), 6);
    }
}
