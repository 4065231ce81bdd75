//! Lesson 5, fetch: its registry entry. The checker plays the web server:
//! scripted HTTP servers on loopback read each request with httparse (a
//! parser of their own, not the reference's), check it, and answer with raw
//! bytes written for the case at hand: a byte at a time, split in awkward
//! places, chunked, cut short, never. One stage meets a real server library
//! (tiny_http) serving files, which nobody scripted.
//!
//! - `http.rs`: HTTP on the checker's side: requests read and checked,
//!   responses built, the scripted servers.
//! - `noise.rs`: bodies of any size, made and compared in pieces.
//! - `program.rs`: running `fetch-client`, and what it must do.
//! - `offline.rs`: one step judged alone, connecting to nothing: the head
//!   (`fetch --head`) and a Location resolved (`fetch --join`).
//! - `request.rs`: the request and the URL.
//! - `body.rs`: how a body comes, and the three ways it ends.
//! - `status.rs`: statuses, and responses the client must refuse.
//! - `redirects.rs`: redirects, their loops and limits.
//! - `references.rs`: what a Location may not do to the request line.
//! - `real.rs`: files from a real server.
//! - `peer.rs`: the HTTP server to start by hand (`cargo grade peer http`).

mod body;
mod http;
mod noise;
mod offline;
mod peer;
mod program;
mod real;
mod redirects;
mod references;
mod request;
mod status;

use crate::course::{CLIENT, HandPeer, Lesson, Mistake, Role, Stage};
use crate::time::secs;
use crate::verdict::Verdict;

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
        run: peer::serve_by_hand,
    }),
    reading: &[
        ("What a URL says", &["parse", "bad-urls"]),
        (
            "The request and the response, on the wire",
            &[
                "request",
                "ipv6",
                "localhost",
                "head",
                "get",
                "status",
                "real-server",
            ],
        ),
        (
            "Sockets as files: buffered reading",
            &["byte-at-a-time", "split-head"],
        ),
        (
            "Three ways a body ends",
            &[
                "binary-body",
                "close-delimited",
                "chunked",
                "te-over-cl",
                "refusals",
                "cut-body",
            ],
        ),
        ("Every read needs a deadline", &["silent-server"]),
        (
            "Redirects",
            &[
                "join",
                "redirects",
                "redirect-limits",
                "redirect-references",
            ],
        ),
    ],
};

const STAGES: &[Stage] = &[
    Stage {
        id: "parse",
        title: "fetch --parts: a URL taken apart, nothing sent",
        points: 5,
        hint: "Url::parse: after `http://`, the host runs to the first `:`, `/`, `?` or `#`; the port is 80 when none is given; the target is the path and query (`/` when empty), without the `#fragment`. host_header adds `:PORT` only when the port is not 80.",
        deadline: secs(30),
        roles: CLIENT,
        run: request::parse,
    },
    Stage {
        id: "request",
        title: "The request: Host, Connection: close, one write",
        points: 5,
        hint: "Send exactly one `Host: HOST:PORT`, `Connection: close`, a `User-Agent` and `Accept-Encoding: identity`, each line ending in \\r\\n; build the whole request in a String and write it with one write_all.",
        deadline: secs(30),
        roles: CLIENT,
        run: request::request,
    },
    Stage {
        id: "ipv6",
        title: "An IPv6 literal: http://[::1]:PORT/",
        points: 4,
        hint: "In a URL an IPv6 address sits in brackets. Connect to the address without them; send `Host: [::1]:PORT` with them.",
        deadline: secs(30),
        roles: CLIENT,
        run: request::ipv6,
    },
    Stage {
        id: "localhost",
        title: "localhost: each of its addresses tried in turn",
        points: 4,
        hint: "(host, port).to_socket_addrs() gives every address of the name; try each with TcpStream::connect_timeout and keep the first that answers.",
        deadline: secs(30),
        roles: CLIENT,
        run: request::localhost,
    },
    Stage {
        id: "bad-urls",
        title: "Bad URLs refused before any connection",
        points: 4,
        hint: "Check the URL first: http:// only (https needs TLS), no user@, a host, a port from 1 to 65535. Say which part is wrong, exit 1, connect to nothing.",
        deadline: secs(30),
        roles: CLIENT,
        run: request::bad_urls,
    },
    Stage {
        id: "head",
        title: "fetch --head: a head read from stdin",
        points: 5,
        hint: "read_head: read lines with read_until(b'\\n') (drop a \\r before the \\n) up to the empty line, within 64 KiB; the status line is HTTP/1.x, three digits, an optional reason; each header is split at its first `:`, the name kept as it came, the value trimmed; skip 1xx heads.",
        deadline: secs(30),
        roles: CLIENT,
        run: offline::head,
    },
    Stage {
        id: "split-head",
        title: "A split head, header names in any case",
        points: 4,
        hint: "A piece may end in the middle of a line, or between \\r and \\n: let BufReader put the pieces together (read_until(b'\\n')), then drop the \\r before the \\n. Keep header names as they came (compare them with eq_ignore_ascii_case), trim values; -i prints the head with \\r\\n line ends.",
        deadline: secs(30),
        roles: CLIENT,
        run: body::split_head,
    },
    Stage {
        id: "get",
        title: "A GET, and the body printed byte for byte",
        points: 5,
        hint: "Connect, write `GET /path HTTP/1.1`, the headers and an empty line; read the status line and headers up to the empty line; then print the body (Content-Length bytes of it) to stdout.",
        deadline: secs(30),
        roles: CLIENT,
        run: request::get,
    },
    Stage {
        id: "byte-at-a-time",
        title: "A response that arrives one byte at a time",
        points: 4,
        hint: "One read() returns whatever has arrived, maybe one byte. Wrap the stream in a BufReader and read lines (read_line, read_until) until the empty line; then read the body to its length.",
        deadline: secs(30),
        roles: CLIENT,
        run: body::byte_at_a_time,
    },
    Stage {
        id: "status",
        title: "404 exits 22 with its body; 204, 100 and -i",
        points: 5,
        hint: "Print the body whatever the status; then exit 22 for 400 and above, with the status and the final URL on stderr (error_for_status gives that error). 204 and 304 have no body; skip 1xx heads; -i prints the status line and headers first.",
        deadline: secs(30),
        roles: CLIENT,
        run: status::status,
    },
    Stage {
        id: "binary-body",
        title: "Binary bodies, to stdout and with -o to a file",
        points: 5,
        hint: "The body is bytes, not text: no String, no lossy UTF-8, no added newline. Copy it as bytes to stdout (locked) or to the file: fill_buf, write_all, consume (io::copy works too, one copy slower), and flush before exiting.",
        deadline: secs(60),
        roles: CLIENT,
        run: body::binary_body,
    },
    Stage {
        id: "silent-server",
        title: "A server that goes silent: exit 1 after --timeout",
        points: 5,
        hint: "set_read_timeout(Some(timeout)) on the stream before the first read: every read then ends within --timeout, with an error to report.",
        deadline: secs(30),
        roles: CLIENT,
        run: status::silent_server,
    },
    Stage {
        id: "close-delimited",
        title: "No length: the body ends when the server closes",
        points: 4,
        hint: "Without Transfer-Encoding or Content-Length, the body is everything until the server closes: read to the end.",
        deadline: secs(30),
        roles: CLIENT,
        run: body::close_delimited,
    },
    Stage {
        id: "chunked",
        title: "Transfer-Encoding: chunked, extensions, trailers",
        points: 5,
        hint: "Each chunk: a size in hex (ignore anything after `;`), \\r\\n, the data, \\r\\n. A size of 0 is the last chunk; then trailer lines up to an empty line.",
        deadline: secs(30),
        roles: CLIENT,
        run: body::chunked,
    },
    Stage {
        id: "te-over-cl",
        title: "Transfer-Encoding wins over Content-Length",
        points: 4,
        hint: "When both headers come, Transfer-Encoding decides how the body ends and Content-Length is ignored (RFC 9112, 6.3).",
        deadline: secs(30),
        roles: CLIENT,
        run: body::te_over_cl,
    },
    Stage {
        id: "refusals",
        title: "Untrustworthy responses refused, nothing printed",
        points: 4,
        hint: "Refuse, with exit 1 and one line: two different Content-Lengths, one that is not a number, a chunk size that is not hex or over 16 digits, a head over 64 KiB.",
        deadline: secs(30),
        roles: CLIENT,
        run: status::refusals,
    },
    Stage {
        id: "cut-body",
        title: "A body cut short is an error, never whole",
        points: 5,
        hint: "If the connection closes before Content-Length bytes, or before the last chunk, exit 1 with a message: read_exact and io::copy on a bounded reader say UnexpectedEof.",
        deadline: secs(30),
        roles: CLIENT,
        run: status::cut_body,
    },
    Stage {
        id: "real-server",
        title: "Files from a real HTTP server (tiny_http)",
        points: 5,
        hint: "A real server sends what the RFC allows, not what a script chose: Date and Server headers, chunked bodies for unknown lengths. Follow the RFC, not one server's habits.",
        deadline: secs(30),
        roles: CLIENT,
        run: real::real_server,
    },
    Stage {
        id: "join",
        title: "fetch --join: a Location resolved",
        points: 5,
        hint: "Url::join, as RFC 3986 (5.2) says: a scheme and `:` before any `/`, `?`, `#` make it absolute; `//h/x` keeps the scheme; `/x` replaces the path; `x` and `../x` go against the current path's folder; `?q` keeps the path; drop the #fragment; refuse spaces and control characters.",
        deadline: secs(30),
        roles: CLIENT,
        run: offline::join,
    },
    Stage {
        id: "redirects",
        title: "Redirects: absolute, relative, to another port",
        points: 5,
        hint: "On 301, 302, 303, 307, 308 with a Location, resolve it against the current URL (RFC 3986, 5.2: `x` and `../x` against the current path's folder, `/x` against the host, `//h/x` keeps the scheme, `?q` keeps the path) and fetch that.",
        deadline: secs(30),
        roles: CLIENT,
        run: redirects::redirects,
    },
    Stage {
        id: "redirect-limits",
        title: "Redirect loops and --max-redirects; no Location",
        points: 4,
        hint: "Remember the URLs already fetched: one seen again is a loop. Count redirects against --max-redirects. A 3xx without Location is the answer itself.",
        deadline: secs(30),
        roles: CLIENT,
        run: redirects::redirect_limits,
    },
    Stage {
        id: "redirect-references",
        title: "A Location: relative, other schemes, raw bytes",
        points: 4,
        hint: "A Location is absolute only when it starts with a scheme (a letter, then letters, digits, + - .) and a colon before any / ? #. Refuse a scheme other than http, and a space or a control character anywhere: on the request line a CR would add a header.",
        deadline: secs(30),
        roles: CLIENT,
        run: references::redirect_references,
    },
];

/// The wrong solutions in checker/fixtures that the stages must catch.
const MISTAKES: &[Mistake] = &[
    Mistake {
        what: "Reading the response head with no limit on its size",
        fixture: "fetch-head-unbounded",
        role: "client",
        passes: Some("get"),
        fails: "head",
        verdict: Verdict::Failed,
        says: "a head of 70 KiB: the client exited with code 0",
        golden: false,
    },
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
        what: "Leaving `..` and `.` in a resolved Location",
        fixture: "fetch-dot-segments",
        role: "client",
        passes: Some("get"),
        fails: "join",
        verdict: Verdict::Failed,
        says: "climbs one folder",
        golden: true,
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
    Mistake {
        what: "A Location with `://` anywhere taken for an absolute URL",
        fixture: "fetch-scheme-anywhere",
        role: "client",
        passes: Some("redirects"),
        fails: "redirect-references",
        verdict: Verdict::Failed,
        says: "was not followed as a path",
        golden: false,
    },
    Mistake {
        what: "A relative Location put on the request line with its CR, NUL or spaces",
        fixture: "fetch-raw-location",
        role: "client",
        passes: Some("redirects"),
        fails: "redirect-references",
        verdict: Verdict::Failed,
        says: "(with a CR) was followed",
        golden: true,
    },
    Mistake {
        what: "A `javascript:` Location fetched as a path",
        fixture: "fetch-any-scheme",
        role: "client",
        passes: Some("redirects"),
        fails: "redirect-references",
        verdict: Verdict::Failed,
        says: "(with the scheme javascript:) was followed",
        golden: false,
    },
];
