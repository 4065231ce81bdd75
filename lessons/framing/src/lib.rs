//! Lesson 3, message framing: length-prefixed frames over a byte stream.
//! Your exercise (with `src/bin/server.rs` and `src/bin/client.rs`).
//!
//! A frame is a 4-byte unsigned **big-endian** length, then that many
//! payload bytes. The length counts the payload only. At most
//! [`MAX_FRAME`] bytes of payload. Read the chapter "Message framing".
//!
//! [`Connection`] is the one place that knows this layout: the server and
//! the client only ever see whole payloads. It reads from any `Read` and
//! writes to any `Write`, not only a `TcpStream`, so that the tests at the
//! bottom of this file can try it on bytes in memory: `cargo test -p
//! framing` is the quick loop, before `cargo grade framing`.
//!
//! [`cli`] reads the command line (given, the same in every lesson), and
//! [`limits`] keeps the server within its limits (given, the same as in the
//! echo lesson).
#![warn(missing_docs)]

use std::io::{self, BufReader, BufWriter, Read, Write};
use std::net::{Shutdown, TcpStream};

pub mod cli;
pub mod limits;

/// The largest payload accepted: 8 MiB.
pub const MAX_FRAME: usize = 8 * 1024 * 1024;

/// A byte stream seen as a sequence of frames.
pub struct Connection<R: Read, W: Write> {
    reader: BufReader<R>,
    writer: BufWriter<W>,
}

impl Connection<TcpStream, TcpStream> {
    /// Wraps a TCP stream (two handles on it: one to read, one to write).
    pub fn from_tcp(stream: TcpStream) -> io::Result<Self> {
        let writer = stream.try_clone()?;
        Ok(Connection::new(stream, writer))
    }

    /// Sends whatever is queued, then shuts down our write side, so that
    /// the peer's read sees a clean end of stream rather than a reset.
    pub fn close(mut self) -> io::Result<()> {
        self.flush()?;
        self.writer.get_ref().shutdown(Shutdown::Write)
    }
}

impl<R: Read, W: Write> Connection<R, W> {
    /// Frames over `reader` and `writer`: the two halves of a socket, or,
    /// in a test, a byte slice and a `Vec`.
    pub fn new(reader: R, writer: W) -> Self {
        Connection {
            reader: BufReader::new(reader),
            writer: BufWriter::new(writer),
        }
    }

    /// Reads one whole frame and returns its payload.
    ///
    /// - `Ok(None)`: the stream ended cleanly, between two frames.
    /// - `Err` with `ErrorKind::UnexpectedEof`: the stream ended inside a
    ///   header or a payload.
    /// - `Err` with `ErrorKind::InvalidData`: the length is over
    ///   [`MAX_FRAME`]. Check it **before** allocating anything.
    ///
    /// Hints: `u32::from_be_bytes`, `read_exact`, `vec![0; len]`. Beware:
    /// `read_exact` into a `Vec::with_capacity(len)` reads nothing at all.
    pub fn read_frame(&mut self) -> io::Result<Option<Vec<u8>>> {
        todo!("read a 4-byte big-endian length, check it, then the payload")
    }

    /// Queues one frame: the length (`to_be_bytes`), then the payload. A
    /// payload over [`MAX_FRAME`] is an `InvalidInput` error: the peer
    /// would refuse it.
    pub fn write_frame(&mut self, payload: &[u8]) -> io::Result<()> {
        todo!(
            "write the length of these {} bytes, then the bytes",
            payload.len()
        )
    }

    /// Sends every queued frame.
    pub fn flush(&mut self) -> io::Result<()> {
        self.writer.flush()
    }

    /// Whether more input has already arrived and waits in our buffer.
    pub fn has_buffered_input(&self) -> bool {
        !self.reader.buffer().is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each payload as a frame: what a peer would send.
    fn frames(payloads: &[&[u8]]) -> Vec<u8> {
        let mut bytes = Vec::new();
        for payload in payloads {
            bytes.extend_from_slice(&(payload.len() as u32).to_be_bytes());
            bytes.extend_from_slice(payload);
        }
        bytes
    }

    /// A connection that reads `input` and writes nowhere.
    fn reading(input: &[u8]) -> Connection<&[u8], io::Sink> {
        Connection::new(input, io::sink())
    }

    #[test]
    fn a_frame_is_a_four_byte_big_endian_length_then_the_payload() {
        let mut sent = Vec::new();
        let mut conn = Connection::new(io::empty(), &mut sent);
        conn.write_frame(b"hi").unwrap();
        conn.write_frame(b"").unwrap();
        conn.write_frame(&[7; 256]).unwrap();
        conn.flush().unwrap();
        drop(conn);
        assert_eq!(&sent[..6], [0, 0, 0, 2, b'h', b'i']);
        assert_eq!(
            &sent[6..10],
            [0, 0, 0, 0],
            "an empty payload is a frame too"
        );
        assert_eq!(
            &sent[10..14],
            [0, 0, 1, 0],
            "256 is 00 00 01 00, most significant byte first"
        );
        assert_eq!(sent.len(), 14 + 256);
    }

    #[test]
    fn frames_come_back_whole_and_in_order_then_a_clean_end() {
        let input = frames(&[b"one", b"", b"three"]);
        let mut conn = reading(&input);
        assert_eq!(conn.read_frame().unwrap(), Some(b"one".to_vec()));
        assert_eq!(conn.read_frame().unwrap(), Some(Vec::new()));
        assert_eq!(conn.read_frame().unwrap(), Some(b"three".to_vec()));
        assert_eq!(
            conn.read_frame().unwrap(),
            None,
            "end of stream between frames"
        );
    }

    #[test]
    fn a_reader_that_gives_one_byte_at_a_time_still_gives_whole_frames() {
        struct OneByte<'a>(&'a [u8]);
        impl Read for OneByte<'_> {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                let n = self.0.len().min(buf.len()).min(1);
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let input = frames(&[b"dribbled", b"in"]);
        let mut conn = Connection::new(OneByte(&input), io::sink());
        assert_eq!(conn.read_frame().unwrap(), Some(b"dribbled".to_vec()));
        assert_eq!(conn.read_frame().unwrap(), Some(b"in".to_vec()));
        assert_eq!(conn.read_frame().unwrap(), None);
    }

    #[test]
    fn a_stream_cut_inside_a_frame_is_unexpected_eof() {
        let whole = frames(&[b"payload"]);
        for cut in 1..whole.len() {
            let err = reading(&whole[..cut]).read_frame().unwrap_err();
            assert_eq!(
                err.kind(),
                io::ErrorKind::UnexpectedEof,
                "cut after {cut} bytes"
            );
        }
    }

    #[test]
    fn a_length_over_the_limit_is_refused_before_any_payload() {
        // Only the four bytes of the length: had the payload been awaited,
        // this would be UnexpectedEof, not InvalidData.
        for len in [MAX_FRAME as u32 + 1, u32::MAX] {
            let err = reading(&len.to_be_bytes()).read_frame().unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::InvalidData, "length {len}");
        }
        let mut conn = Connection::new(io::empty(), io::sink());
        let err = conn.write_frame(&vec![0; MAX_FRAME + 1]).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    }

    #[test]
    fn a_frame_of_exactly_the_limit_is_accepted() {
        let payload = vec![1; MAX_FRAME];
        let input = frames(&[&payload]);
        assert_eq!(reading(&input).read_frame().unwrap(), Some(payload));
    }

    #[test]
    fn buffered_input_shows_requests_already_read_from_the_stream() {
        let input = frames(&[b"first", b"second"]);
        let mut conn = reading(&input);
        conn.read_frame().unwrap();
        assert!(
            conn.has_buffered_input(),
            "the second frame came in the same read"
        );
        conn.read_frame().unwrap();
        assert!(!conn.has_buffered_input());
    }
}
