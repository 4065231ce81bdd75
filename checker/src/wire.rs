//! Talking to the program under test over real sockets, with a deadline on
//! every step and a transcript of everything sent and received.
//!
//! [`Conn`] is one TCP connection (the checker as a client, or one
//! connection a [`crate::peer::TcpPeer`] accepted); [`Udp`] one UDP socket.
//! Both log what they send and receive, and, with a [`Decoder`], a readable
//! line for each whole message beside its bytes.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use serde::Serialize;
use socket2::SockRef;

use crate::stage::{Failure, Flag, Outcome, Verdict};
use crate::time;

/// How many bytes of each message the transcript shows.
const PREVIEW: usize = 64;
/// How many transcript lines a report keeps (the last ones).
const TRANSCRIPT_CAP: usize = 60;
/// How often a wait looks at its stop flag.
const SLICE: Duration = Duration::from_millis(20);

/// Turns one whole message into a readable line for the transcript
/// (`GET /a HTTP/1.1`, `query id=0x1a2b A example.com.`), or `None` when
/// it cannot.
pub type Decoder = fn(&[u8]) -> Option<String>;

/// A log of what happened in a stage, shared by its connections.
#[derive(Clone)]
pub struct Transcript {
    start: Instant,
    events: Arc<Mutex<Vec<Event>>>,
}

/// One thing the checker did or saw, as data: what the JSON report holds,
/// and what [`Event::line`] writes out for a person.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Event {
    /// Seconds since the stage started.
    pub t: f64,
    pub kind: EventKind,
    /// Who sent or received ("client", "server"); none for a note.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub peer: Option<String>,
    /// The bytes on the wire (for `sent` and `received`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<Data>,
    /// The note, or the message decoded as the protocol reads it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// For a datagram: the address it was sent to, or came from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// What the checker did or noticed.
    Note,
    Sent,
    Received,
    /// A message just sent, decoded.
    DecodedSent,
    /// A message just received, decoded.
    DecodedReceived,
}

/// Bytes on the wire: their length, and their first bytes as text when
/// they are UTF-8, else in base64.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Data {
    pub length: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base64: Option<String>,
    /// Whether `text` or `base64` holds them all.
    pub complete: bool,
    /// Shown to a person as text (escaped) rather than hex.
    #[serde(skip)]
    looks_like_text: bool,
    #[serde(skip)]
    head: Vec<u8>,
}

/// How many bytes of each message the report keeps.
const KEPT: usize = 256;

impl Data {
    fn of(bytes: &[u8]) -> Data {
        let head = bytes[..bytes.len().min(KEPT)].to_vec();
        let (text, base64) = match std::str::from_utf8(&head) {
            Ok(text) => (Some(text.to_string()), None),
            Err(_) => (None, Some(base64_encode(&head))),
        };
        Data {
            length: bytes.len(),
            text,
            base64,
            complete: head.len() == bytes.len(),
            looks_like_text: looks_like_text(bytes),
            head,
        }
    }
}

impl Event {
    /// The event as a line of the text report:
    /// `  0.042s  client ← got 1 byte: "o"`.
    pub fn line(&self) -> String {
        let who = self.peer.as_deref().unwrap_or("");
        let text = self.text.as_deref().unwrap_or("");
        let body = match (self.kind, &self.data, &self.address) {
            (EventKind::Sent, Some(d), Some(to)) => {
                format!("{who} → sent a datagram to {to}: {}", d.preview())
            }
            (EventKind::Received, Some(d), Some(from)) => {
                format!("{who} ← got a datagram from {from}: {}", d.preview())
            }
            (EventKind::Sent, Some(d), None) => format!("{who} → sent {}", d.preview()),
            (EventKind::Received, Some(d), None) => format!("{who} ← got {}", d.preview()),
            (EventKind::DecodedSent, ..) => format!("{who} → {text}"),
            (EventKind::DecodedReceived, ..) => format!("{who} ← {text}"),
            _ => format!("-- {text}"),
        };
        format!("{:7.3}s  {body}", self.t)
    }
}

impl Transcript {
    pub fn new() -> Transcript {
        Transcript {
            start: Instant::now(),
            events: Arc::new(Mutex::new(Vec::new())),
        }
    }

    fn push(&self, kind: EventKind, peer: Option<&str>, data: Option<Data>, text: Option<String>) {
        self.push_event(Event {
            t: self.start.elapsed().as_secs_f64(),
            kind,
            peer: peer.map(str::to_string),
            data,
            text,
            address: None,
        });
    }

    fn push_event(&self, event: Event) {
        self.events
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(event);
    }

    pub fn note(&self, text: impl Into<String>) {
        self.push(EventKind::Note, None, None, Some(text.into()));
    }

    pub fn sent(&self, who: &str, bytes: &[u8]) {
        self.push(EventKind::Sent, Some(who), Some(Data::of(bytes)), None);
    }

    pub fn received(&self, who: &str, bytes: &[u8]) {
        self.push(EventKind::Received, Some(who), Some(Data::of(bytes)), None);
    }

    /// A datagram sent to `to`.
    pub fn sent_datagram(&self, who: &str, to: SocketAddr, bytes: &[u8]) {
        self.datagram(EventKind::Sent, who, to, bytes);
    }

    /// A datagram received from `from`.
    pub fn received_datagram(&self, who: &str, from: SocketAddr, bytes: &[u8]) {
        self.datagram(EventKind::Received, who, from, bytes);
    }

    fn datagram(&self, kind: EventKind, who: &str, address: SocketAddr, bytes: &[u8]) {
        self.push_event(Event {
            t: self.start.elapsed().as_secs_f64(),
            kind,
            peer: Some(who.to_string()),
            data: Some(Data::of(bytes)),
            text: None,
            address: Some(address.to_string()),
        });
    }

    /// A message's readable form, after its bytes: `arrow` is → or ←.
    pub fn decoded(&self, who: &str, arrow: &str, text: &str) {
        let kind = if arrow == "→" {
            EventKind::DecodedSent
        } else {
            EventKind::DecodedReceived
        };
        self.push(kind, Some(who), None, Some(text.to_string()));
    }

    /// The last events (at most a report's worth), and how many earlier
    /// ones were left out.
    pub fn events(&self) -> (Vec<Event>, usize) {
        let events = self.events.lock().unwrap_or_else(|e| e.into_inner());
        let skip = events.len().saturating_sub(TRANSCRIPT_CAP);
        (events[skip..].to_vec(), skip)
    }

    /// The last lines, with a marker where older ones were dropped.
    pub fn lines(&self) -> Vec<String> {
        let (events, skipped) = self.events();
        transcript_lines(&events, skipped)
    }
}

/// A transcript's lines for a person, with a marker where `skipped`
/// earlier events were left out.
pub fn transcript_lines(events: &[Event], skipped: usize) -> Vec<String> {
    let mut out = Vec::with_capacity(events.len() + 1);
    if skipped > 0 {
        out.push(format!("[… {skipped} earlier lines left out]"));
    }
    out.extend(events.iter().map(Event::line));
    out
}

/// Standard base64 with padding (RFC 4648), for bytes that are not text.
pub fn base64_encode(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

impl Default for Transcript {
    fn default() -> Self {
        Transcript::new()
    }
}

/// "12 bytes: "hello\n"" or "256 bytes (hex): 00 01 02 … ", cut short.
pub fn preview(bytes: &[u8]) -> String {
    Data::of(bytes).preview()
}

impl Data {
    fn preview(&self) -> String {
        let shown = &self.head[..self.head.len().min(PREVIEW)];
        let more = if self.length > PREVIEW { " …" } else { "" };
        let unit = if self.length == 1 { "byte" } else { "bytes" };
        if self.looks_like_text {
            format!("{} {unit}: {}{more}", self.length, escape(shown))
        } else {
            format!("{} {unit} (hex): {}{more}", self.length, hex(shown))
        }
    }
}

/// Text with escapes, in quotes: `"hello\n\xff"`.
pub fn escape(bytes: &[u8]) -> String {
    format!("\"{}\"", bytes.escape_ascii())
}

/// Text a program printed, in quotes, as it reads: only control
/// characters are escaped (`thread 'main' panicked`, not `thread \'main\'`).
pub fn quote_text(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out.push('"');
    out
}

/// Bytes as hex pairs: `00 01 ff`.
pub fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Mostly printable ASCII (so shown escaped, not as hex)?
fn looks_like_text(bytes: &[u8]) -> bool {
    let printable = bytes
        .iter()
        .filter(|&&b| b.is_ascii_graphic() || b" \t\r\n".contains(&b))
        .count();
    printable * 10 >= bytes.len() * 9
}

/// Either form, whichever suits the data: for expected/got lines.
pub fn show(bytes: &[u8]) -> String {
    if bytes.len() <= 2 * PREVIEW && looks_like_text(bytes) {
        let unit = if bytes.len() == 1 { "byte" } else { "bytes" };
        format!("{} ({} {unit})", escape(bytes), bytes.len())
    } else {
        preview(bytes)
    }
}

/// Compares bytes, and explains the first difference for a beginner: its
/// offset, and a few bytes of each side around it, in hex.
pub fn compare(what: &str, expected: &[u8], got: &[u8]) -> Outcome {
    if expected == got {
        return Ok(());
    }
    let at = expected
        .iter()
        .zip(got)
        .position(|(a, b)| a != b)
        .unwrap_or(expected.len().min(got.len()));
    let from = at.saturating_sub(8);
    // Each side as text or hex, then the bytes around the first difference
    // in hex; but no window at all beside a side that holds nothing.
    let both = !expected.is_empty() && !got.is_empty();
    let side = |b: &[u8]| {
        let end = b.len().min(at + 8);
        if b.is_empty() {
            "nothing".to_string()
        } else if !both || from >= end {
            show(b)
        } else {
            format!(
                "{}\n  bytes {from}..{end} in hex: {}",
                show(b),
                hex(&b[from..end])
            )
        }
    };
    let summary = if at == got.len() && got.len() < expected.len() {
        format!("{what}: got only {} of {} bytes", got.len(), expected.len())
    } else if at == expected.len() {
        format!(
            "{what}: got {} bytes, {} more than expected",
            got.len(),
            got.len() - expected.len()
        )
    } else {
        format!("{what}: the bytes differ from byte {at} on (counting from 0)")
    };
    Err(Failure::failed(summary)
        .expected(side(expected))
        .got(side(got)))
}

/// Whether a read error means "nothing came before the timeout".
pub fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

/// Why a read on a [`Conn`] ended without data.
enum Quiet {
    /// Nothing came before the deadline.
    TimedOut,
    /// The stop flag was set: the other side is gone, or the stage is over.
    Stopped,
    /// The connection failed.
    Error(io::Error),
}

/// A TCP connection of the checker's, named in the transcript.
pub struct Conn {
    name: String,
    stream: TcpStream,
    log: Transcript,
    /// Bytes read past the end of the last message, for the next read.
    pending: Vec<u8>,
    /// When set, waits end early (the peer's client exited).
    stop: Option<Flag>,
    decoder: Option<Decoder>,
}

impl Conn {
    /// Connects to `addr`, within the checker's patience.
    pub fn connect(log: &Transcript, name: &str, addr: SocketAddr) -> Result<Conn, Failure> {
        let stream = TcpStream::connect_timeout(&addr, time::patience()).map_err(|e| {
            let f = Failure::failed(format!("{name} could not connect to {addr}: {e}"));
            if e.kind() == io::ErrorKind::ConnectionRefused {
                f.hint("nothing listens there any more: did the server exit or stop accepting?")
            } else {
                f
            }
        })?;
        log.note(format!("{name} connected to {addr}"));
        Conn::wrap(log, name, stream, None)
    }

    pub(crate) fn wrap(
        log: &Transcript,
        name: &str,
        stream: TcpStream,
        stop: Option<Flag>,
    ) -> Result<Conn, Failure> {
        stream
            .set_nodelay(true)
            .map_err(|e| Failure::checker_error(format!("set_nodelay: {e}")))?;
        stream
            .set_write_timeout(Some(time::patience()))
            .map_err(|e| Failure::checker_error(format!("set_write_timeout: {e}")))?;
        Ok(Conn {
            name: name.to_string(),
            stream,
            log: log.clone(),
            pending: Vec::new(),
            stop,
            decoder: None,
        })
    }

    /// Shows each whole message sent or received as `decoder` reads it.
    pub fn decode_with(&mut self, decoder: Decoder) {
        self.decoder = Some(decoder);
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Writes a line of commentary into the transcript.
    pub fn note(&self, text: impl Into<String>) {
        self.log.note(text);
    }

    /// Logs a whole message the caller read itself with
    /// [`Conn::recv_some`], as one line and its decoded form.
    pub fn log_received(&self, bytes: &[u8]) {
        self.log.received(&self.name, bytes);
        self.decode("←", bytes);
    }

    /// How many TCP segments with data this connection has received so
    /// far (Linux's `tcpi_data_segs_in`): one write of a small message on
    /// loopback is one segment, so a count above one shows a message sent
    /// in pieces, even when they were all read at once. `None` where the
    /// system does not say.
    pub fn data_segments_in(&self) -> Option<u32> {
        data_segments_in(&self.stream)
    }

    fn decode(&self, arrow: &str, message: &[u8]) {
        if let Some(text) = self.decoder.and_then(|d| d(message)) {
            self.log.decoded(&self.name, arrow, &text);
        }
    }

    /// A second handle on the same connection (to write on one thread while
    /// reading on another).
    pub fn try_clone(&self) -> Result<Conn, Failure> {
        let stream = self
            .stream
            .try_clone()
            .map_err(|e| Failure::checker_error(format!("try_clone: {e}")))?;
        Ok(Conn {
            name: self.name.clone(),
            stream,
            log: self.log.clone(),
            pending: Vec::new(),
            stop: self.stop.clone(),
            decoder: self.decoder,
        })
    }

    /// Sends all of `bytes` and logs them (and their decoded form).
    pub fn send(&mut self, bytes: &[u8]) -> Outcome {
        self.log.sent(&self.name, bytes);
        self.decode("→", bytes);
        self.send_quietly(bytes)
    }

    /// Sends without logging (for bulk data the caller sums up itself).
    pub fn send_quietly(&mut self, bytes: &[u8]) -> Outcome {
        self.stream
            .write_all(bytes)
            .map_err(|e| self.write_failure(e))
    }

    /// Sends `bytes` in pieces of `size`, pausing between them: a peer
    /// that answers slowly, or a network that cuts a message up.
    pub fn send_in_pieces(&mut self, bytes: &[u8], size: usize, pause: Duration) -> Outcome {
        self.log.note(format!(
            "{} sends {} in pieces of {size} byte(s), {}ms apart",
            self.name,
            show(bytes),
            pause.as_millis()
        ));
        self.decode("→", bytes);
        for (i, piece) in bytes.chunks(size.max(1)).enumerate() {
            self.stream.write_all(piece).map_err(|e| {
                let at = (i * size).min(bytes.len());
                self.write_failure(e)
                    .then(format!(" (at byte {} of {})", at + 1, bytes.len()))
            })?;
            thread::sleep(pause);
        }
        Ok(())
    }

    /// Sends `data` in 64 KiB writes on a second thread while `receive`
    /// reads on this one, so that neither side can stall the other. The
    /// receiver's failure is reported first: it sees what came back.
    pub fn send_while_receiving<T>(
        &mut self,
        data: &[u8],
        receive: impl FnOnce(&mut Conn) -> Result<T, Failure>,
    ) -> Result<T, Failure> {
        let mut writer = self.try_clone()?;
        thread::scope(|s| {
            let sending = s.spawn(move || {
                data.chunks(64 << 10)
                    .try_for_each(|chunk| writer.send_quietly(chunk))
            });
            let received = receive(self);
            let sent = sending
                .join()
                .unwrap_or_else(|_| Err(Failure::checker_error("the sending thread panicked")));
            received.and_then(|t| sent.map(|()| t))
        })
    }

    /// Sends one byte at a time, pausing between them.
    pub fn send_slowly(&mut self, bytes: &[u8], pause: Duration) -> Outcome {
        self.send_in_pieces(bytes, 1, pause)
    }

    fn write_failure(&mut self, e: io::Error) -> Failure {
        if is_timeout(&e) {
            return Failure::timed_out(format!(
                "{} could not send for {}: the program is not reading what it was sent",
                self.name,
                time::say(time::patience())
            ));
        }
        // The peer closed or reset. Whatever it sent before that is still
        // readable, and tells the student what their program did.
        let mut before = std::mem::take(&mut self.pending);
        while let Ok(chunk) = self.read_chunk(4096, Duration::from_millis(200)) {
            if chunk.is_empty() {
                break;
            }
            before.extend_from_slice(&chunk);
        }
        if !before.is_empty() {
            self.log.received(&self.name, &before);
        }
        self.log.note(format!("{} could not send: {e}", self.name));
        let reason = match e.kind() {
            io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset => {
                "the program had already closed the connection"
            }
            _ => "the connection failed",
        };
        Failure::failed(format!("{} could not send: {reason} ({e})", self.name))
            .expected("the connection to stay open until the client is done")
            .got(format!(
                "before closing, the program sent back {}",
                show(&before)
            ))
    }

    /// One read from the socket (not the pending buffer), watching the stop
    /// flag. `Ok(empty)` is end of stream.
    fn read_chunk(&mut self, max: usize, timeout: Duration) -> Result<Vec<u8>, Quiet> {
        let deadline = Instant::now() + timeout;
        let mut buf = vec![0u8; max.max(1)];
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(Quiet::TimedOut);
            }
            if self.stop.as_ref().is_some_and(Flag::is_set) {
                return Err(Quiet::Stopped);
            }
            let slice = if self.stop.is_some() {
                left.min(SLICE)
            } else {
                left
            };
            self.stream
                .set_read_timeout(Some(slice.max(Duration::from_millis(1))))
                .map_err(Quiet::Error)?;
            match self.stream.read(&mut buf) {
                Ok(n) => {
                    buf.truncate(n);
                    return Ok(buf);
                }
                Err(e) if is_timeout(&e) || e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(Quiet::Error(e)),
            }
        }
    }

    /// Reads one chunk (whatever has arrived, or what was left over from
    /// the last message), with a deadline. `Ok(empty)` means the other side
    /// closed its side.
    pub fn recv_some(&mut self, max: usize, timeout: Duration) -> io::Result<Vec<u8>> {
        if !self.pending.is_empty() {
            let n = max.min(self.pending.len());
            return Ok(self.pending.drain(..n).collect());
        }
        self.read_chunk(max, timeout).map_err(|q| match q {
            Quiet::TimedOut => io::Error::from(io::ErrorKind::TimedOut),
            Quiet::Stopped => io::Error::new(io::ErrorKind::TimedOut, "stopped"),
            Quiet::Error(e) => e,
        })
    }

    /// The failure for a read that ended in `quiet` while waiting for
    /// `what`, after `got` bytes of it.
    fn quiet_failure(&self, quiet: Quiet, what: &str, got: usize) -> Failure {
        match quiet {
            Quiet::TimedOut => Failure::timed_out(format!(
                "{}: waited {} for {what}; got {got} byte(s) of it",
                self.name,
                time::say(time::patience())
            )),
            Quiet::Stopped => Failure::failed(format!(
                "{}: the other side was gone before it sent {what} (got {got} byte(s) of it)",
                self.name
            )),
            Quiet::Error(e) => {
                Failure::failed(format!("{}: reading {what} failed: {e}", self.name))
            }
        }
    }

    /// Reads until `expected.len()` bytes have come, and checks them. Fails
    /// early on the first wrong byte, or when the peer closes or goes quiet.
    pub fn expect(&mut self, what: &str, expected: &[u8]) -> Outcome {
        let mut got = Vec::with_capacity(expected.len());
        while got.len() < expected.len() {
            match self.recv_some(expected.len() - got.len(), time::patience()) {
                Ok(chunk) if chunk.is_empty() => {
                    self.log
                        .note(format!("{} sees the connection closed", self.name));
                    return compare(what, expected, &got)
                        .map_err(|f| f.then(" (then the connection was closed)"));
                }
                Ok(chunk) => {
                    self.log.received(&self.name, &chunk);
                    got.extend_from_slice(&chunk);
                    if !expected.starts_with(&got) {
                        return compare(what, expected, &got);
                    }
                }
                Err(e) if is_timeout(&e) => {
                    let f = compare(what, expected, &got).expect_err("short data differs");
                    return Err(Failure {
                        verdict: Verdict::TimedOut,
                        ..f.then(format!(
                            " then nothing more came for {}",
                            time::say(time::patience())
                        ))
                    });
                }
                Err(e) => {
                    return Err(Failure::failed(format!(
                        "{}: reading {what} failed after {} of {} bytes: {e}",
                        self.name,
                        got.len(),
                        expected.len()
                    )));
                }
            }
        }
        self.decode("←", &got);
        Ok(())
    }

    /// Reads exactly `n` bytes, or fails saying how many came: `Ok(None)`
    /// if the peer closed before sending any of them. The transcript gets
    /// one line for the whole message, however many reads it took, so that
    /// it reads the same from run to run.
    pub fn recv_exact(&mut self, n: usize, what: &str) -> Result<Option<Vec<u8>>, Failure> {
        let mut got = Vec::with_capacity(n.min(64 << 20));
        while got.len() < n {
            if !self.pending.is_empty() {
                let take = (n - got.len()).min(self.pending.len());
                got.extend(self.pending.drain(..take));
                continue;
            }
            let failure = match self.read_chunk((n - got.len()).min(1 << 20), time::patience()) {
                Ok(chunk) if chunk.is_empty() && got.is_empty() => return Ok(None),
                Ok(chunk) if chunk.is_empty() => Failure::failed(format!(
                    "{}: the connection closed after {} of the {n} bytes of {what}",
                    self.name,
                    got.len()
                )),
                Ok(chunk) => {
                    got.extend_from_slice(&chunk);
                    continue;
                }
                Err(q) => self.quiet_failure(q, what, got.len()),
            };
            if !got.is_empty() {
                self.log.received(&self.name, &got);
            }
            return Err(failure);
        }
        self.log.received(&self.name, &got);
        self.decode("←", &got);
        Ok(Some(got))
    }

    /// Reads up to and including `delim`, at most `cap` bytes in all:
    /// `Ok(None)` if the stream ended before any byte came.
    pub fn recv_until(
        &mut self,
        delim: &[u8],
        cap: usize,
        what: &str,
    ) -> Result<Option<Vec<u8>>, Failure> {
        let mut got = std::mem::take(&mut self.pending);
        loop {
            if let Some(at) = got.windows(delim.len()).position(|w| w == delim) {
                let end = at + delim.len();
                self.pending = got.split_off(end);
                self.decode("←", &got);
                return Ok(Some(got));
            }
            if got.len() > cap {
                return Err(Failure::failed(format!(
                    "{}: {what} is longer than {cap} bytes",
                    self.name
                ))
                .got(preview(&got)));
            }
            match self.read_chunk(4096, time::patience()) {
                Ok(chunk) if chunk.is_empty() && got.is_empty() => return Ok(None),
                Ok(chunk) if chunk.is_empty() => {
                    return Err(Failure::failed(format!(
                        "{}: the connection closed in the middle of {what}",
                        self.name
                    ))
                    .expected(format!("{what}, ending in {}", escape(delim)))
                    .got(show(&got)));
                }
                Ok(chunk) => {
                    self.log.received(&self.name, &chunk);
                    got.extend_from_slice(&chunk);
                }
                Err(q) => return Err(self.quiet_failure(q, what, got.len())),
            }
        }
    }

    /// Reads one line, `\n` included (see [`Conn::recv_until`]).
    pub fn recv_line(&mut self, cap: usize, what: &str) -> Result<Option<Vec<u8>>, Failure> {
        self.recv_until(b"\n", cap, what)
    }

    /// Reads until the other side shuts down its write side, at most `cap`
    /// bytes. Logs what came in one line.
    pub fn read_to_end(&mut self, cap: usize) -> Result<Vec<u8>, Failure> {
        let mut all = std::mem::take(&mut self.pending);
        loop {
            match self.read_chunk(64 << 10, time::patience()) {
                Ok(chunk) if chunk.is_empty() => {
                    self.log.received(&self.name, &all);
                    self.log
                        .note(format!("{} sees the end of the stream", self.name));
                    return Ok(all);
                }
                Ok(chunk) => {
                    all.extend_from_slice(&chunk);
                    if all.len() > cap {
                        return Err(Failure::failed(format!(
                            "{} got over {cap} bytes, more than the stage ever sends",
                            self.name
                        )));
                    }
                }
                Err(Quiet::TimedOut) => {
                    self.log.received(&self.name, &all);
                    return Err(Failure::timed_out(format!(
                        "{} got {} bytes, then waited {} for the other side to shut down its write side",
                        self.name,
                        all.len(),
                        time::say(time::patience())
                    ))
                    .expected("shutdown(Shutdown::Write) after sending, so that the other side's read returns 0")
                    .got("the connection stayed open with nothing more sent"));
                }
                Err(q) => return Err(self.quiet_failure(q, "the end of the stream", all.len())),
            }
        }
    }

    /// Keeps the connection open and says nothing, until the stop flag is
    /// set (the program gave up and exited) or `timeout` (scaled) passes.
    pub fn hold_open(&mut self, timeout: Duration) {
        self.log.note(format!(
            "{} says nothing and keeps the connection open",
            self.name
        ));
        if let Some(stop) = &self.stop {
            stop.wait(time::scaled(timeout));
        } else {
            thread::sleep(time::scaled(timeout));
        }
    }

    /// Expects the peer to close its side (a read returning 0) in time.
    pub fn expect_close(&mut self) -> Outcome {
        match self.recv_some(4096, time::patience()) {
            Ok(chunk) if chunk.is_empty() => {
                self.log.note(format!(
                    "{} sees the connection closed, as expected",
                    self.name
                ));
                Ok(())
            }
            Ok(chunk) => {
                self.log.received(&self.name, &chunk);
                Err(Failure::failed(format!(
                    "{} expected the connection to close, but more bytes came",
                    self.name
                ))
                .expected("end of stream (read returns 0)")
                .got(show(&chunk)))
            }
            Err(e) if is_timeout(&e) => Err(Failure::timed_out(format!(
                "{} waited {} for the connection to close, but it stayed open",
                self.name,
                time::say(time::patience())
            ))
            .expected("end of stream (read returns 0)")
            .got("nothing: the connection stayed open")),
            // A reset is also the peer closing (abruptly, with unread data).
            Err(e) if e.kind() == io::ErrorKind::ConnectionReset => {
                self.log.note(format!(
                    "{} sees the connection reset: closed, as expected",
                    self.name
                ));
                Ok(())
            }
            Err(e) => Err(Failure::failed(format!(
                "{} expected a clean close, got an error: {e}",
                self.name
            ))),
        }
    }

    /// Half-close: no more data from us; we can still read.
    pub fn shutdown_write(&mut self) -> Outcome {
        self.log.note(format!(
            "{} shuts down its write side (half-close)",
            self.name
        ));
        self.stream
            .shutdown(Shutdown::Write)
            .map_err(|e| Failure::failed(format!("{}: shutdown: {e}", self.name)))
    }

    /// Closes in the orderly way (FIN).
    pub fn close(self) {
        self.log
            .note(format!("{} closes the connection", self.name));
    }

    /// Closes abruptly: with SO_LINGER set to 0, close sends a reset (RST)
    /// instead of the orderly FIN.
    pub fn reset(self) {
        self.log
            .note(format!("{} resets the connection (RST)", self.name));
        let _ = SockRef::from(&self.stream).set_linger(Some(Duration::ZERO));
    }
}

#[cfg(target_os = "linux")]
fn data_segments_in(stream: &TcpStream) -> Option<u32> {
    use std::os::fd::AsRawFd;
    // struct tcp_info, read as bytes: tcpi_data_segs_in is at offset 152
    // (Linux 4.6 and later; older kernels give a shorter struct).
    const OFFSET: usize = 152;
    let mut info = [0u8; 256];
    let mut len = info.len() as libc::socklen_t;
    // SAFETY: the buffer is valid for `len` bytes, and the kernel writes
    // at most that many, then sets `len` to how many it wrote.
    let rc = unsafe {
        libc::getsockopt(
            stream.as_raw_fd(),
            libc::IPPROTO_TCP,
            libc::TCP_INFO,
            info.as_mut_ptr().cast(),
            &mut len,
        )
    };
    if rc != 0 || (len as usize) < OFFSET + 4 {
        return None;
    }
    let bytes: [u8; 4] = info[OFFSET..OFFSET + 4].try_into().ok()?;
    Some(u32::from_ne_bytes(bytes))
}

#[cfg(not(target_os = "linux"))]
fn data_segments_in(_: &TcpStream) -> Option<u32> {
    None
}

/// A port on loopback where nothing listens (bound, then released).
pub fn closed_port() -> Result<SocketAddr, Failure> {
    let listener =
        TcpListener::bind("127.0.0.1:0").map_err(|e| Failure::checker_error(e.to_string()))?;
    listener
        .local_addr()
        .map_err(|e| Failure::checker_error(e.to_string()))
}

/// Whether this machine has an IPv6 loopback to test on.
pub fn has_ipv6_loopback() -> bool {
    TcpListener::bind("[::1]:0").is_ok()
}

/// Room for any UDP datagram (the largest payload is 65,527 bytes on IPv6,
/// 65,507 on IPv4), plus one byte.
pub const DATAGRAM_ROOM: usize = 65_536;

/// A UDP socket of the checker's, named in the transcript.
pub struct Udp {
    name: String,
    socket: UdpSocket,
    log: Transcript,
    decoder: Option<Decoder>,
}

impl Udp {
    /// Binds `addr` (use port 0) on loopback.
    pub fn bind(log: &Transcript, name: &str, addr: &str) -> Result<Udp, Failure> {
        let socket = UdpSocket::bind(addr).map_err(|e| {
            Failure::checker_error(format!("the checker cannot bind UDP {addr}: {e}"))
        })?;
        Ok(Udp {
            name: name.to_string(),
            socket,
            log: log.clone(),
            decoder: None,
        })
    }

    /// Shows each datagram sent or received as `decoder` reads it.
    pub fn decode_with(&mut self, decoder: Decoder) {
        self.decoder = Some(decoder);
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn addr(&self) -> SocketAddr {
        self.socket
            .local_addr()
            .expect("a bound socket has an address")
    }

    /// Writes a line of commentary into the transcript.
    pub fn note(&self, text: impl Into<String>) {
        self.log.note(text);
    }

    fn decode(&self, arrow: &str, datagram: &[u8]) {
        if let Some(text) = self.decoder.and_then(|d| d(datagram)) {
            self.log.decoded(&self.name, arrow, &text);
        }
    }

    /// Sends one datagram and logs it.
    pub fn send_to(&self, bytes: &[u8], to: SocketAddr) -> Outcome {
        self.log.sent_datagram(&self.name, to, bytes);
        self.decode("→", bytes);
        self.send_quietly(bytes, to)
    }

    /// Sends one datagram without logging it.
    pub fn send_quietly(&self, bytes: &[u8], to: SocketAddr) -> Outcome {
        match self.socket.send_to(bytes, to) {
            Ok(n) if n == bytes.len() => Ok(()),
            Ok(n) => Err(Failure::checker_error(format!(
                "{} sent only {n} of {} bytes",
                self.name,
                bytes.len()
            ))),
            Err(e) => Err(Failure::failed(format!(
                "{} could not send a datagram to {to}: {e}",
                self.name
            ))),
        }
    }

    /// Waits up to `timeout` (scaled) for one datagram, or until `stop` is
    /// set: `None` when none came. Logs what came.
    pub fn recv(
        &self,
        timeout: Duration,
        stop: &Flag,
    ) -> Result<Option<(Vec<u8>, SocketAddr)>, Failure> {
        let deadline = Instant::now() + time::scaled(timeout);
        let mut buf = vec![0u8; DATAGRAM_ROOM];
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() || stop.is_set() {
                return Ok(None);
            }
            // Short slices, so that `stop` is noticed soon.
            self.socket
                .set_read_timeout(Some(left.min(SLICE)))
                .map_err(|e| Failure::checker_error(e.to_string()))?;
            match self.socket.recv_from(&mut buf) {
                Ok((n, from)) => {
                    self.log.received_datagram(&self.name, from, &buf[..n]);
                    self.decode("←", &buf[..n]);
                    return Ok(Some((buf[..n].to_vec(), from)));
                }
                Err(e) if is_timeout(&e) || e.kind() == io::ErrorKind::Interrupted => {}
                // An ICMP error from an earlier send of ours: not a datagram.
                Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => {}
                Err(e) => {
                    return Err(Failure::failed(format!(
                        "{} could not receive: {e}",
                        self.name
                    )));
                }
            }
        }
    }

    /// Expects one datagram, from `from`, holding exactly `expected`,
    /// within the checker's patience; stops early when `stop` is set.
    pub fn expect_reply(
        &self,
        what: &str,
        expected: &[u8],
        from: SocketAddr,
        stop: &Flag,
    ) -> Outcome {
        let Some((got, sender)) = self.recv(time::PATIENCE, stop)? else {
            return Err(Failure::timed_out(format!(
                "{}: no datagram came back within {}",
                self.name,
                time::say(time::patience())
            ))
            .expected(format!("a reply from {from}: {}", show(expected)))
            .got("nothing"));
        };
        if sender != from {
            return Err(Failure::failed(format!(
                "{}: the reply came from {sender}, not from the server's address {from}",
                self.name
            ))
            .hint("reply with the socket the request arrived on, with send_to(reply, sender)"));
        }
        compare(what, expected, &got)
    }
}

/// A UDP port on loopback where nothing listens (bound, then released).
pub fn closed_udp_port() -> Result<SocketAddr, Failure> {
    let socket =
        UdpSocket::bind("127.0.0.1:0").map_err(|e| Failure::checker_error(e.to_string()))?;
    socket
        .local_addr()
        .map_err(|e| Failure::checker_error(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_is_rfc_4648s() {
        let cases = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foobar", "Zm9vYmFy"),
        ];
        for (plain, coded) in cases {
            assert_eq!(base64_encode(plain.as_bytes()), coded);
        }
        assert_eq!(base64_encode(&[0xff, 0x00, 0xfe]), "/wD+");
    }

    #[test]
    fn events_keep_bytes_as_text_or_base64() {
        let text = Data::of(b"hello\n");
        assert_eq!(
            (text.text.as_deref(), text.base64, text.complete),
            (Some("hello\n"), None, true)
        );
        let binary = Data::of(&[0xff; 300]);
        assert_eq!(binary.length, 300);
        assert_eq!(binary.text, None);
        assert!(!binary.complete);
        assert_eq!(binary.base64.as_deref().map(str::len), Some(344));
    }

    #[test]
    fn text_is_escaped_and_binary_is_hex() {
        assert_eq!(preview(b"hi\n"), "3 bytes: \"hi\\n\"");
        assert_eq!(preview(&[0, 1, 0xff]), "3 bytes (hex): 00 01 ff");
        assert_eq!(preview(b"x"), "1 byte: \"x\"");
    }

    #[test]
    fn printed_text_keeps_its_quotes_and_escapes_control_characters() {
        assert_eq!(
            quote_text("thread 'main' panicked\tat\n"),
            "\"thread 'main' panicked\\tat\\n\""
        );
    }

    #[test]
    fn compare_names_the_first_differing_byte() {
        assert!(compare("echo", b"abc", b"abc").is_ok());
        let f = compare("echo", b"Hello, world", b"Hello, World").unwrap_err();
        assert!(f.summary.contains("differ from byte 7"), "{}", f.summary);
        assert!(f.expected.unwrap().contains("77 6f 72 6c 64"));
        assert!(f.got.unwrap().contains("57 6f 72 6c 64"));
    }

    #[test]
    fn compare_explains_short_and_long_data_without_hex_beside_nothing() {
        let short = compare("echo", b"abcdef", b"abc").unwrap_err();
        assert!(
            short.summary.contains("got only 3 of 6 bytes"),
            "{}",
            short.summary
        );
        let long = compare("echo", b"abc", b"abcdef").unwrap_err();
        assert!(
            long.summary.contains("3 more than expected"),
            "{}",
            long.summary
        );
        let none = compare("echo", &[7u8; 300], b"").unwrap_err();
        assert_eq!(none.got.as_deref(), Some("nothing"));
        assert!(!none.expected.unwrap().contains("in hex"));
    }

    #[test]
    fn a_line_is_read_up_to_its_newline_and_the_rest_is_kept() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let writer = thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            s.write_all(b"first line\nsecond").unwrap();
            thread::sleep(Duration::from_millis(30));
            s.write_all(b" line\n").unwrap();
        });
        let log = Transcript::new();
        let mut conn = Conn::connect(&log, "client", addr).unwrap();
        assert_eq!(
            conn.recv_line(100, "a line").unwrap().unwrap(),
            b"first line\n"
        );
        assert_eq!(
            conn.recv_line(100, "a line").unwrap().unwrap(),
            b"second line\n"
        );
        assert_eq!(conn.recv_line(100, "a line").unwrap(), None);
        writer.join().unwrap();
    }

    #[test]
    fn a_decoder_puts_a_readable_line_beside_the_bytes() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let writer = thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            s.write_all(b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
        });
        let log = Transcript::new();
        let mut conn = Conn::connect(&log, "server", addr).unwrap();
        conn.decode_with(|bytes| {
            let text = std::str::from_utf8(bytes).ok()?;
            Some(text.lines().next()?.to_string())
        });
        conn.recv_until(b"\r\n\r\n", 1000, "a request head")
            .unwrap()
            .unwrap();
        writer.join().unwrap();
        let lines = log.lines().join("\n");
        assert!(lines.contains("server ← GET /a HTTP/1.1"), "{lines}");
    }
}
