//! HTTP on the checker's side: a request read and parsed with httparse and
//! checked (the request line, Host), a decoded line for the transcript, the
//! scripted servers that answer each request, and responses built by hand.

use std::sync::Arc;
use std::time::Duration;

use crate::ctx::Ctx;
use crate::flag::Flag;
use crate::peer::TcpPeer;
use crate::time;
use crate::verdict::{Failure, Outcome};
use crate::wire::{self, Conn};

/// The longest request head the checker's server reads.
pub(super) const MAX_REQUEST_HEAD: usize = 64 << 10;

/// One request, read and parsed by httparse.
#[derive(Clone, Debug)]
pub(super) struct Request {
    method: String,
    pub(super) target: String,
    /// 1 for HTTP/1.1.
    minor_version: u8,
    headers: Vec<(String, String)>,
    /// The head as it came, up to and including the empty line.
    pub(super) raw: Vec<u8>,
    /// How many reads it took to get the head.
    pub(super) pieces: usize,
    /// Bytes after the head, in the same reads.
    pub(super) after: Vec<u8>,
}

impl Request {
    pub(super) fn values(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The request line and headers, for messages.
    pub(super) fn shown(&self) -> String {
        let mut lines = vec![format!(
            "{} {} HTTP/1.{}",
            self.method, self.target, self.minor_version
        )];
        lines.extend(self.headers.iter().map(|(n, v)| format!("{n}: {v}")));
        lines.join(" | ")
    }
}

/// Where the empty line that ends a head is: the index after it.
pub(super) fn head_end(bytes: &[u8]) -> Option<usize> {
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
pub(super) fn check_request(request: &Request, target: &str, host: &str) -> Outcome {
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
pub(super) fn check_host(request: &Request, target: &str, host: &str) -> Outcome {
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
/// `line` with its control characters written out (`\r`, `\t`, `\x00`).
fn visible(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    for c in line.chars() {
        match c {
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

pub(super) fn decode(bytes: &[u8]) -> Option<String> {
    let head = &bytes[..head_end(bytes).unwrap_or(bytes.len())];
    let text = String::from_utf8_lossy(head);
    let mut lines = text.lines().map(str::trim_end).filter(|l| !l.is_empty());
    let first = lines.next()?;
    if !first.starts_with("HTTP/") && !first.contains(" HTTP/") {
        return None;
    }
    let first = visible(first);
    // A CR or a NUL inside a line is shown, never printed raw: it is
    // what a header injection looks like.
    let rest: Vec<String> = lines.take(8).map(visible).collect();
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

/// A script's answer to one request: `(connection number, request)`.
type Answer = dyn Fn(&mut Conn, &Request, usize) -> Outcome + Send + Sync;

/// Starts a scripted HTTP server on `addr`: it reads each request, then
/// answers it with `answer`. A response the client stopped reading is no
/// failure of the server's: the client may rightly have refused it, and
/// what the client printed and how it exited say whether it was right.
pub(super) fn http_peer_at(
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

/// A peer that serves one request alone, and what it has seen of it. A
/// stage that judges the request alone waits for it before finishing the
/// peer ([`served_request`]): a client that stops at a `todo!()` right
/// after sending exits at once, and a peer finished then may not have
/// accepted, or read, what it sent.
pub(super) fn http_peer_once(
    ctx: &Ctx,
    addr: &str,
    answer: impl Fn(&mut Conn, &Request, usize) -> Outcome + Send + Sync + 'static,
) -> Result<(TcpPeer<Request>, Seen), Failure> {
    let seen = Seen::default();
    let flags = seen.clone();
    let peer = ctx.tcp_peer_at(
        addr,
        "the checker's HTTP server",
        Some(decode),
        move |conn, n| {
            flags.accepted.set();
            let request = read_request(conn);
            flags.read.set();
            let request = request?;
            if answer(conn, &request, n).is_err() {
                conn.note("the client stopped reading before the whole response was sent");
            }
            Ok(request)
        },
    )?;
    Ok((peer, seen))
}

/// What the peer of [`http_peer_once`] has seen: a connection accepted, a
/// request read (or given up on).
#[derive(Clone, Default)]
pub(super) struct Seen {
    accepted: Flag,
    read: Flag,
}

/// The request the peer of [`http_peer_once`] read, once the client has
/// ended. What it sent waits in the peer's socket, accepted within 5 ms
/// or so: the peer is given 200 ms (scaled) to accept it, then 1 s to read
/// it. A client that never connected (a stub) costs the 200 ms alone.
pub(super) fn served_request(peer: TcpPeer<Request>, seen: &Seen) -> Result<Request, Failure> {
    if seen.accepted.wait(time::scaled(Duration::from_millis(200))) {
        seen.read.wait(time::scaled(Duration::from_secs(1)));
    }
    peer.finish_one("client")
}

/// [`http_peer_at`] on a port of its own, as "the checker's HTTP server".
pub(super) fn http_peer(
    ctx: &Ctx,
    answer: impl Fn(&mut Conn, &Request, usize) -> Outcome + Send + Sync + 'static,
) -> Result<TcpPeer<Request>, Failure> {
    http_peer_at(ctx, "127.0.0.1:0", "the checker's HTTP server", answer)
}

/// A whole response: status line, headers, empty line, body.
pub(super) fn response(status: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
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
pub(super) fn ok(body: &[u8]) -> Vec<u8> {
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
pub(super) fn send_pieces(conn: &mut Conn, pieces: &[&[u8]], pause: Duration) -> Outcome {
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
}
