//! Reading an HTTP/1.1 response: the head (status line and headers), then
//! a body that ends in one of three ways.
//!
//! ```text
//! HTTP/1.1 200 OK\r\n                 status line
//! Content-Type: text/plain\r\n        headers, one per line
//! Content-Length: 5\r\n
//! \r\n                                an empty line ends the head
//! hello                               the body
//! ```
//!
//! A body ends after `Content-Length` bytes; or in chunks
//! (`Transfer-Encoding: chunked`: each chunk's size in hex, the last of
//! size 0); or when the server closes the connection. If both headers are
//! present, Transfer-Encoding wins (RFC 9112, 6.3): a message that can be
//! read two ways is how request smuggling starts. A body cut short is an
//! error, never handed over as if whole. The body is streamed: it is never
//! held in memory.

use std::fmt;
use std::io::{self, BufRead, Read};

/// The longest head (status line and headers) accepted.
pub const MAX_HEAD: usize = 64 * 1024;

/// A status line and headers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Head {
    /// `HTTP/1.1` or `HTTP/1.0`.
    pub version: String,
    /// The status code: 200 OK, 404 Not Found, ...
    pub status: u16,
    /// May be empty: the reason phrase is optional.
    pub reason: String,
    /// In the order received; repeated names kept.
    pub headers: Vec<(String, String)>,
}

impl Head {
    /// The first value of header `name`, whatever its case.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Every value of header `name`, in order.
    pub fn headers_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A response the client refuses to believe.
#[derive(Debug, PartialEq, Eq)]
pub struct ProtocolError(pub String);

impl fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ProtocolError {}

/// Reads a head. `1xx` interim responses (100 Continue, ...) are skipped:
/// the real one follows.
///
/// Read line by line (`read_until(b'\n')` on the `BufRead`), never more
/// than [`MAX_HEAD`] bytes in all (`take` bounds a read). The status line
/// is `HTTP/1.x CODE REASON`, the reason optional; each header is
/// `Name: value`, the value trimmed. Broken input is an `InvalidData`
/// error; the connection closing before the empty line, an error too.
pub fn read_head(r: &mut impl BufRead) -> io::Result<Head> {
    todo!(
        "read a status line and headers from {}, within {MAX_HEAD} bytes, skipping 1xx heads",
        std::any::type_name_of_val(r)
    )
}

/// How the body ends.
#[derive(Debug, PartialEq, Eq)]
pub enum Framing {
    /// No body at all: a response to HEAD, 204 No Content, 304 Not Modified.
    Empty,
    /// Exactly this many bytes (`Content-Length`).
    Length(u64),
    /// In chunks, each with its size, until one of size 0.
    Chunked,
    /// Until the server closes.
    Close,
}

/// Works out how the body of `head` ends, refusing what could be read two
/// ways: 204 and 304 have no body; `Transfer-Encoding: chunked` wins over
/// `Content-Length`; several Content-Lengths must agree; a length that is
/// not a plain number is an error; with neither header, the body runs
/// until the server closes.
pub fn framing(head: &Head) -> io::Result<Framing> {
    todo!("how the body of a {} response ends", head.status)
}

/// A response body, read as it arrives: `Read` for bytes, `BufRead` for
/// lines. It ends where its framing says, and a body cut short is an
/// `UnexpectedEof` error, not an end.
pub struct Body<R> {
    inner: R,
    state: State,
}

/// Where a [`Body`] is in its body.
#[derive(Debug)]
pub enum State {
    /// This many bytes are left (of the body, or of the current chunk).
    Left {
        /// The bytes left.
        left: u64,
        /// Whether a chunk (and so a CRLF, then the next chunk) follows.
        chunked: bool,
    },
    /// Chunked: the next thing is a chunk-size line.
    ChunkStart {
        /// No chunk yet: no CRLF of a previous chunk to read first.
        first: bool,
    },
    /// Until the server closes the connection.
    UntilClose,
    /// The body has ended: reads give nothing more.
    Done,
}

impl<R> Body<R> {
    /// The connection underneath, as `BufReader::get_ref` gives it.
    pub fn get_ref(&self) -> &R {
        &self.inner
    }
}

impl<R: BufRead> Body<R> {
    /// The body that `inner` holds next, ending as `framing` says.
    pub fn new(inner: R, framing: Framing) -> Body<R> {
        todo!(
            "a body read from {}, framed by {framing:?}",
            std::any::type_name_of_val(&inner)
        )
    }
}

/// `fill_buf` hands out what is buffered of the body, never past its end:
/// at most `left` bytes in `State::Left`; reads a chunk-size line first in
/// `State::ChunkStart` (a size of 0 ends the body, after the trailers);
/// everything until the close in `State::UntilClose`. An empty buffer from
/// `inner` before the end is the connection closing early: an
/// `UnexpectedEof` error. `consume` counts `left` down.
impl<R: BufRead> BufRead for Body<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        todo!("the next bytes of the body, in state {:?}", self.state)
    }

    fn consume(&mut self, amount: usize) {
        todo!("{amount} bytes of the body used")
    }
}

impl<R: BufRead> Read for Body<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(out.len());
        out[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}
