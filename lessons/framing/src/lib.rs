//! Lesson 3, message framing: length-prefixed frames over a byte stream.
//! Your exercise (with `src/bin/server.rs` and `src/bin/client.rs`).
//!
//! A frame is a 4-byte unsigned **big-endian** length, then that many
//! payload bytes. The length counts the payload only. At most
//! [`MAX_FRAME`] bytes of payload. Read the chapter "Message framing".
//!
//! [`Connection`] is the one place that knows this layout: the server and
//! the client only ever see whole payloads.

use std::io::{self, BufReader, BufWriter, Read, Write};
use std::net::TcpStream;

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
}

impl<R: Read, W: Write> Connection<R, W> {
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

    /// Queues one frame: the length (`to_be_bytes`), then the payload.
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

    /// The write half, for shutting the connection down.
    pub fn writer(&mut self) -> &mut W {
        self.writer.get_mut()
    }
}
