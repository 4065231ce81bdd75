//! Talking to the program under test over real sockets, with a deadline on
//! every step and a transcript of everything sent and received.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use socket2::SockRef;

use crate::stage::{ClientGone, Failure, Outcome};

/// The default deadline for one connect, read or write.
pub const IO_TIMEOUT: Duration = Duration::from_secs(5);
/// How many bytes of each message the transcript shows.
const PREVIEW: usize = 64;
/// How many transcript lines a report keeps (the last ones).
const TRANSCRIPT_CAP: usize = 60;

/// A log of what happened in a stage, shared by its connections.
#[derive(Clone)]
pub struct Transcript {
    start: Instant,
    lines: Arc<Mutex<Vec<String>>>,
}

impl Transcript {
    pub fn new() -> Transcript {
        Transcript {
            start: Instant::now(),
            lines: Arc::new(Mutex::new(Vec::new())),
        }
    }

    fn push(&self, line: String) {
        let stamp = self.start.elapsed().as_secs_f64();
        self.lines
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(format!("{stamp:7.3}s  {line}"));
    }

    pub fn note(&self, text: impl Into<String>) {
        self.push(format!("-- {}", text.into()));
    }

    pub fn sent(&self, who: &str, bytes: &[u8]) {
        self.push(format!("{who} → sent {}", preview(bytes)));
    }

    pub fn received(&self, who: &str, bytes: &[u8]) {
        self.push(format!("{who} ← got {}", preview(bytes)));
    }

    /// The last lines, with a marker where older ones were dropped.
    pub fn lines(&self) -> Vec<String> {
        let lines = self.lines.lock().unwrap_or_else(|e| e.into_inner());
        let skip = lines.len().saturating_sub(TRANSCRIPT_CAP);
        let mut out = Vec::with_capacity(TRANSCRIPT_CAP + 1);
        if skip > 0 {
            out.push(format!("[… {skip} earlier lines left out]"));
        }
        out.extend(lines[skip..].iter().cloned());
        out
    }
}

impl Default for Transcript {
    fn default() -> Self {
        Transcript::new()
    }
}

/// "12 bytes: "hello\n"" or "256 bytes (hex): 00 01 02 … ", cut short.
pub fn preview(bytes: &[u8]) -> String {
    let shown = &bytes[..bytes.len().min(PREVIEW)];
    let more = if bytes.len() > PREVIEW { " …" } else { "" };
    let unit = if bytes.len() == 1 { "byte" } else { "bytes" };
    if looks_like_text(bytes) {
        format!("{} {unit}: {}{more}", bytes.len(), escape(shown))
    } else {
        format!("{} {unit} (hex): {}{more}", bytes.len(), hex(shown))
    }
}

/// Text with escapes, in quotes: `"hello\n\xff"`.
pub fn escape(bytes: &[u8]) -> String {
    format!("\"{}\"", bytes.escape_ascii())
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
    let window = |b: &[u8]| {
        let end = b.len().min(at + 8);
        if from >= end {
            format!("bytes {from}.. : (none)")
        } else {
            format!("bytes {from}..{end} in hex: {}", hex(&b[from..end]))
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
        .expected(format!(
            "{}
  {}",
            show(expected),
            window(expected)
        ))
        .got(format!(
            "{}
  {}",
            show(got),
            window(got)
        )))
}

/// Whether a read error means "nothing came before the timeout".
pub fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

/// A TCP connection from the checker, named in the transcript.
pub struct Conn {
    name: String,
    stream: TcpStream,
    log: Transcript,
}

impl Conn {
    /// Connects to `addr` within [`IO_TIMEOUT`].
    pub fn connect(log: &Transcript, name: &str, addr: SocketAddr) -> Result<Conn, Failure> {
        let stream = TcpStream::connect_timeout(&addr, IO_TIMEOUT).map_err(|e| {
            let f = Failure::failed(format!("{name} could not connect to {addr}: {e}"));
            if e.kind() == io::ErrorKind::ConnectionRefused {
                f.hint("nothing listens there any more: did the server exit or stop accepting?")
            } else {
                f
            }
        })?;
        log.note(format!("{name} connected to {addr}"));
        Conn::wrap(log, name, stream)
    }

    fn wrap(log: &Transcript, name: &str, stream: TcpStream) -> Result<Conn, Failure> {
        stream
            .set_nodelay(true)
            .map_err(|e| Failure::failed(format!("set_nodelay: {e}")))?;
        stream
            .set_write_timeout(Some(IO_TIMEOUT))
            .map_err(|e| Failure::failed(format!("set_write_timeout: {e}")))?;
        Ok(Conn {
            name: name.to_string(),
            stream,
            log: log.clone(),
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// A second handle on the same connection (to write on one thread while
    /// reading on another).
    pub fn try_clone(&self) -> Result<Conn, Failure> {
        let stream = self
            .stream
            .try_clone()
            .map_err(|e| Failure::failed(format!("try_clone: {e}")))?;
        Ok(Conn {
            name: self.name.clone(),
            stream,
            log: self.log.clone(),
        })
    }

    /// Sends all of `bytes` and logs them.
    pub fn send(&mut self, bytes: &[u8]) -> Outcome {
        self.log.sent(&self.name, bytes);
        self.send_quietly(bytes)
    }

    /// Sends without logging (for bulk data the caller sums up itself).
    pub fn send_quietly(&mut self, bytes: &[u8]) -> Outcome {
        self.stream
            .write_all(bytes)
            .map_err(|e| self.write_failure(e))
    }

    /// Sends one byte at a time, pausing between them.
    pub fn send_slowly(&mut self, bytes: &[u8], pause: Duration) -> Outcome {
        self.log.note(format!(
            "{} sends {} one byte at a time, {}ms apart",
            self.name,
            show(bytes),
            pause.as_millis()
        ));
        for (i, &b) in bytes.iter().enumerate() {
            self.stream.write_all(&[b]).map_err(|e| {
                let f = self.write_failure(e);
                Failure {
                    summary: format!("{} (at byte {} of {})", f.summary, i + 1, bytes.len()),
                    ..f
                }
            })?;
            thread::sleep(pause);
        }
        Ok(())
    }

    fn write_failure(&mut self, e: io::Error) -> Failure {
        if is_timeout(&e) {
            return Failure::timed_out(format!(
                "{} could not send for {}s: the program is not reading what it was sent",
                self.name,
                IO_TIMEOUT.as_secs()
            ));
        }
        // The peer closed or reset. Whatever it sent before that is still
        // readable, and tells the student what their program did.
        let mut before = Vec::new();
        while let Ok(chunk) = self.recv_some(4096, Duration::from_millis(200)) {
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

    /// Reads one chunk (whatever has arrived), with a deadline. `Ok(empty)`
    /// means the peer closed its side.
    pub fn recv_some(&mut self, max: usize, timeout: Duration) -> io::Result<Vec<u8>> {
        self.stream
            .set_read_timeout(Some(timeout.max(Duration::from_millis(1))))?;
        let mut buf = vec![0u8; max];
        loop {
            match self.stream.read(&mut buf) {
                Ok(n) => {
                    buf.truncate(n);
                    return Ok(buf);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
    }

    /// Reads until `expected.len()` bytes have come, and checks them. Fails
    /// early on the first wrong byte, or when the peer closes or goes quiet.
    pub fn expect(&mut self, what: &str, expected: &[u8]) -> Outcome {
        let mut got = Vec::with_capacity(expected.len());
        while got.len() < expected.len() {
            match self.recv_some(expected.len() - got.len(), IO_TIMEOUT) {
                Ok(chunk) if chunk.is_empty() => {
                    self.log
                        .note(format!("{} sees the connection closed", self.name));
                    return compare(what, expected, &got).map_err(|f| Failure {
                        summary: format!("{} (then the connection was closed)", f.summary),
                        ..f
                    });
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
                        verdict: crate::stage::Verdict::TimedOut,
                        summary: format!(
                            "{} then nothing more came for {}s",
                            f.summary,
                            IO_TIMEOUT.as_secs()
                        ),
                        ..f
                    });
                }
                Err(e) => {
                    return Err(Failure::failed(format!(
                        "{}: reading failed after {} of {} bytes: {e}",
                        self.name,
                        got.len(),
                        expected.len()
                    )));
                }
            }
        }
        Ok(())
    }

    /// Reads exactly `n` bytes (logged), or fails saying how many came:
    /// `Ok(None)` if the peer closed before sending any of them.
    pub fn recv_exact(&mut self, n: usize, what: &str) -> Result<Option<Vec<u8>>, Failure> {
        let mut got = Vec::with_capacity(n);
        while got.len() < n {
            match self.recv_some(n - got.len(), IO_TIMEOUT) {
                Ok(chunk) if chunk.is_empty() && got.is_empty() => return Ok(None),
                Ok(chunk) if chunk.is_empty() => {
                    return Err(Failure::failed(format!(
                        "{}: the connection closed after {} of the {n} bytes of {what}",
                        self.name,
                        got.len()
                    )));
                }
                Ok(chunk) => {
                    self.log.received(&self.name, &chunk);
                    got.extend_from_slice(&chunk);
                }
                Err(e) if is_timeout(&e) => {
                    return Err(Failure::timed_out(format!(
                        "{}: waited {}s for {what}; got {} of {n} bytes",
                        self.name,
                        IO_TIMEOUT.as_secs(),
                        got.len()
                    )));
                }
                Err(e) => {
                    return Err(Failure::failed(format!(
                        "{}: reading {what} failed: {e}",
                        self.name
                    )));
                }
            }
        }
        Ok(Some(got))
    }

    /// Expects the peer to close its side (a read returning 0) in time.
    pub fn expect_close(&mut self) -> Outcome {
        match self.recv_some(4096, IO_TIMEOUT) {
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
                "{} waited {}s for the connection to close, but it stayed open",
                self.name,
                IO_TIMEOUT.as_secs()
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

    /// Closes abruptly: with SO_LINGER set to 0, close sends a reset (RST)
    /// instead of the orderly FIN.
    pub fn reset(self) {
        self.log
            .note(format!("{} resets the connection (RST)", self.name));
        let _ = SockRef::from(&self.stream).set_linger(Some(Duration::ZERO));
    }
}

/// A listening socket of the checker's own, for grading clients.
pub struct Peer {
    listener: TcpListener,
    log: Transcript,
}

impl Peer {
    /// Binds `addr` (use port 0) on loopback.
    pub fn bind(log: &Transcript, addr: &str) -> Result<Peer, Failure> {
        let listener = TcpListener::bind(addr)
            .map_err(|e| Failure::failed(format!("the checker cannot listen on {addr}: {e}")))?;
        listener
            .set_nonblocking(true)
            .map_err(|e| Failure::failed(e.to_string()))?;
        let peer = Peer {
            listener,
            log: log.clone(),
        };
        log.note(format!("the checker listens on {}", peer.addr()));
        Ok(peer)
    }

    pub fn addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// Waits up to `timeout` for the program to connect (less if it exits).
    pub fn accept(
        &self,
        name: &str,
        timeout: Duration,
        gone: &ClientGone,
    ) -> Result<Conn, Failure> {
        let deadline = Instant::now() + timeout;
        loop {
            match self.listener.accept() {
                Ok((stream, from)) => {
                    stream
                        .set_nonblocking(false)
                        .map_err(|e| Failure::failed(e.to_string()))?;
                    self.log
                        .note(format!("{name} accepted a connection from {from}"));
                    return Conn::wrap(&self.log, name, stream);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock && gone.is_set() => {
                    return Err(Failure::failed(format!(
                        "the program exited without connecting to {}",
                        self.addr()
                    )));
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock && Instant::now() < deadline => {
                    thread::sleep(Duration::from_millis(5));
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    return Err(Failure::timed_out(format!(
                        "the program did not connect to {} within {}s",
                        self.addr(),
                        timeout.as_secs_f32()
                    )));
                }
                Err(e) => return Err(Failure::failed(format!("accept failed: {e}"))),
            }
        }
    }
}

/// A port on loopback where nothing listens (bound, then released).
pub fn closed_port() -> Result<SocketAddr, Failure> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| Failure::failed(e.to_string()))?;
    listener
        .local_addr()
        .map_err(|e| Failure::failed(e.to_string()))
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
}

impl Udp {
    /// Binds `addr` (use port 0) on loopback.
    pub fn bind(log: &Transcript, name: &str, addr: &str) -> Result<Udp, Failure> {
        let socket = UdpSocket::bind(addr)
            .map_err(|e| Failure::failed(format!("the checker cannot bind UDP {addr}: {e}")))?;
        Ok(Udp {
            name: name.to_string(),
            socket,
            log: log.clone(),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.socket
            .local_addr()
            .expect("a bound socket has an address")
    }

    /// Sends one datagram and logs it.
    pub fn send_to(&self, bytes: &[u8], to: SocketAddr) -> Outcome {
        self.log.push(format!(
            "{} → sent a datagram to {to}: {}",
            self.name,
            preview(bytes)
        ));
        self.send_quietly(bytes, to)
    }

    /// Sends one datagram without logging it.
    pub fn send_quietly(&self, bytes: &[u8], to: SocketAddr) -> Outcome {
        match self.socket.send_to(bytes, to) {
            Ok(n) if n == bytes.len() => Ok(()),
            Ok(n) => Err(Failure::failed(format!(
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

    /// Waits up to `timeout` for one datagram, or until `stop()` says the
    /// other side is gone: `None` when none came. Logs what came.
    pub fn recv(
        &self,
        timeout: Duration,
        stop: &dyn Fn() -> bool,
    ) -> Result<Option<(Vec<u8>, SocketAddr)>, Failure> {
        let deadline = Instant::now() + timeout;
        let mut buf = vec![0u8; DATAGRAM_ROOM];
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() || stop() {
                return Ok(None);
            }
            // Short slices, so that `stop` is noticed soon.
            let slice = left.min(Duration::from_millis(50));
            self.socket
                .set_read_timeout(Some(slice))
                .map_err(|e| Failure::failed(e.to_string()))?;
            match self.socket.recv_from(&mut buf) {
                Ok((n, from)) => {
                    self.log.push(format!(
                        "{} ← got a datagram from {from}: {}",
                        self.name,
                        preview(&buf[..n])
                    ));
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

    /// Expects one datagram, from `from`, holding exactly `expected`;
    /// stops waiting early when `stop()` says the server is gone.
    pub fn expect_reply(
        &self,
        what: &str,
        expected: &[u8],
        from: SocketAddr,
        stop: &dyn Fn() -> bool,
    ) -> Outcome {
        let Some((got, sender)) = self.recv(IO_TIMEOUT, stop)? else {
            let summary = if stop() {
                format!("{}: no reply came; the server exited", self.name)
            } else {
                format!(
                    "{}: no datagram came back within {}s",
                    self.name,
                    IO_TIMEOUT.as_secs()
                )
            };
            return Err(Failure::timed_out(summary)
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
    let socket = UdpSocket::bind("127.0.0.1:0").map_err(|e| Failure::failed(e.to_string()))?;
    socket
        .local_addr()
        .map_err(|e| Failure::failed(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_binary_is_hex() {
        assert_eq!(preview(b"hi\n"), "3 bytes: \"hi\\n\"");
        assert_eq!(preview(&[0, 1, 0xff]), "3 bytes (hex): 00 01 ff");
        assert_eq!(preview(b"x"), "1 byte: \"x\"");
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
    fn compare_explains_short_and_long_data() {
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
    }
}
