//! Lesson 3, message framing: length-prefixed frames over a byte stream
//! (reference solution).
//!
//! A frame is a 4-byte unsigned big-endian length, then that many payload
//! bytes. The same layout as tokio-util's `LengthDelimitedCodec` with its
//! defaults, so peers built on it can talk to ours.
//!
//! [`Connection`] is the one place that knows this layout: the server and
//! the client only ever see whole payloads.

use std::io::{self, BufReader, BufWriter, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::{Arc, Condvar, Mutex};

/// The largest payload accepted: 8 MiB. A length is a claim made by the
/// peer; we check it before allocating anything, so that a peer cannot make
/// us reserve gigabytes by sending four bytes.
pub const MAX_FRAME: usize = 8 * 1024 * 1024;

/// The size of the length prefix.
const HEADER: usize = 4;

/// A byte stream seen as a sequence of frames.
pub struct Connection<R: Read, W: Write> {
    // Buffering matters: without it, each 4-byte header costs a system call.
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
    /// `Ok(None)` is a clean end of stream, between two frames. End of
    /// stream inside a frame is an error (`UnexpectedEof`), and so is a
    /// length over [`MAX_FRAME`] (`InvalidData`).
    pub fn read_frame(&mut self) -> io::Result<Option<Vec<u8>>> {
        let mut header = [0u8; HEADER];
        // read_exact cannot tell "no frame at all" from "half a header", so
        // read the header by hand.
        let mut filled = 0;
        while filled < HEADER {
            match self.reader.read(&mut header[filled..]) {
                Ok(0) if filled == 0 => return Ok(None),
                Ok(0) => {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        format!("end of stream after {filled} of the {HEADER} header bytes"),
                    ));
                }
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        // Network byte order is big-endian: 00 00 01 00 is 256.
        let len = u32::from_be_bytes(header) as usize;
        if len > MAX_FRAME {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("frame of {len} bytes refused: the limit is {MAX_FRAME}"),
            ));
        }
        // Only now, with the length checked, allocate. Note vec![0; len],
        // not Vec::with_capacity(len): read_exact fills the *length* of a
        // slice, and an empty Vec's slice has length 0, however much
        // capacity it has.
        let mut payload = vec![0u8; len];
        self.reader.read_exact(&mut payload).map_err(|e| {
            if e.kind() == io::ErrorKind::UnexpectedEof {
                io::Error::new(
                    e.kind(),
                    format!("end of stream inside a payload of {len} bytes"),
                )
            } else {
                e
            }
        })?;
        Ok(Some(payload))
    }

    /// Queues one frame. Call [`Connection::flush`] to send what is queued.
    pub fn write_frame(&mut self, payload: &[u8]) -> io::Result<()> {
        if payload.len() > MAX_FRAME {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "payload over MAX_FRAME",
            ));
        }
        // The length counts the payload only, not the header itself.
        self.writer
            .write_all(&(payload.len() as u32).to_be_bytes())?;
        self.writer.write_all(payload)
    }

    /// Sends every queued frame.
    pub fn flush(&mut self) -> io::Result<()> {
        self.writer.flush()
    }

    /// Whether more input has already arrived and waits in our buffer.
    /// A server flushes its replies only when this is false, so that a
    /// burst of pipelined requests gets its replies in one write.
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
