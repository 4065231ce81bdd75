//! One TCP connection of the checker's ([`Conn`]): every read and write
//! under a deadline and a stop flag, and logged in the transcript.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use socket2::SockRef;

use crate::flag::Flag;
use crate::platform;
use crate::time;
use crate::verdict::{Failure, Outcome, Verdict};

use super::render::{compare, escape, preview, show};
use super::transcript::{Decoder, Transcript};

/// How often a wait looks at its stop flag.
pub(super) const SLICE: Duration = Duration::from_millis(20);

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
        platform::tcp_data_segments_in(&self.stream)
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

#[cfg(test)]
mod tests {
    use super::*;

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
