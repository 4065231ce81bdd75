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
use std::net::{Shutdown, TcpStream};
use std::sync::{Arc, Condvar, Mutex};

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
}

impl Connection<TcpStream, TcpStream> {
    /// Sends whatever is queued, then shuts down our write side, so that
    /// the peer's read sees a clean end of stream rather than a reset.
    pub fn close(mut self) -> io::Result<()> {
        self.flush()?;
        self.writer.get_ref().shutdown(Shutdown::Write)
    }
}

// The server's limit on clients, given as it is (the same tool as in the
// echo lesson). A client holds a [`Permit`] while it is served; dropping
// it, however the client's thread ends, frees its slot.

/// A fixed number of slots, one per client served.
pub struct Slots {
    free: Mutex<usize>,
    freed: Condvar,
}

/// One client's slot; the slot is free again when this is dropped.
pub struct Permit(Arc<Slots>);

impl Slots {
    pub fn new(count: usize) -> Arc<Slots> {
        let free = Mutex::new(count);
        Arc::new(Slots {
            free,
            freed: Condvar::new(),
        })
    }

    /// Waits until a slot is free, and takes it.
    pub fn acquire(self: &Arc<Self>) -> Permit {
        let mut free = self.free.lock().unwrap_or_else(|e| e.into_inner());
        while *free == 0 {
            free = self.freed.wait(free).unwrap_or_else(|e| e.into_inner());
        }
        *free -= 1;
        Permit(Arc::clone(self))
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        *self.0.free.lock().unwrap_or_else(|e| e.into_inner()) += 1;
        self.0.freed.notify_one();
    }
}
