//! Lesson 1, TCP echo: the library the two programs share. Your exercise:
//! [`copy_reply`], the client's read loop (and `run` in each program, in
//! `src/bin/`).
//!
//! - [`cli`] reads the command line (given, the same in every
//!   lesson);
//! - [`limits`] keeps the server within its limits (given, the same as in
//!   the framing lesson);
//! - [`copy_reply`] lives here, not in `src/bin/client.rs`, so that
//!   `cargo test -p echo` can try it on a reader that misbehaves on
//!   purpose, with no server at all. Run that first: it is the quick loop
//!   before `cargo grade echo`.
#![warn(missing_docs)]

use std::io::{self, Read, Write};

pub mod cli;
pub mod limits;

/// Copies what `from` yields to `out`, until `from` ends (a read of 0
/// bytes: the server closed), and returns how many bytes came.
///
/// One read returns whatever has arrived: one byte, part of a message, or
/// two messages at once. TCP keeps no message boundaries, so this never
/// takes one read for the whole reply: it passes bytes through until the
/// end. A read cut short by a signal (`Interrupted`) is tried again. A read
/// that times out (`WouldBlock` on Unix, `TimedOut` on Windows) is a
/// `TimedOut` error that says how much had come by then.
pub fn copy_reply(from: impl Read, out: impl Write) -> io::Result<u64> {
    // Hints: a buffer (`[0u8; 16 * 1024]`), a loop of `from.read(&mut buf)`
    // and `out.write_all(&buf[..n])`, a `match` on what `read` returned.
    todo!(
        "copy from {} to {} until a read returns 0",
        std::any::type_name_of_val(&from),
        std::any::type_name_of_val(&out)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that hands out its bytes one at a time, as a slow network
    /// can, then `ending` (end of stream when `None`).
    struct Dribble {
        bytes: Vec<u8>,
        at: usize,
        ending: Option<io::ErrorKind>,
    }

    impl Read for Dribble {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let Some(&byte) = self.bytes.get(self.at) else {
                return match self.ending {
                    None => Ok(0),
                    Some(kind) => Err(io::Error::from(kind)),
                };
            };
            self.at += 1;
            buf[0] = byte;
            Ok(1)
        }
    }

    fn dribble(bytes: &[u8], ending: Option<io::ErrorKind>) -> Dribble {
        Dribble {
            bytes: bytes.to_vec(),
            at: 0,
            ending,
        }
    }

    #[test]
    fn a_reply_that_comes_one_byte_at_a_time_is_copied_whole() {
        let mut out = Vec::new();
        let total = copy_reply(dribble(b"Hello, world", None), &mut out).unwrap();
        assert_eq!(out, b"Hello, world");
        assert_eq!(total, 12);
    }

    #[test]
    fn every_byte_value_passes_unchanged() {
        let all: Vec<u8> = (0..=255).collect();
        let mut out = Vec::new();
        copy_reply(&all[..], &mut out).unwrap();
        assert_eq!(out, all);
    }

    #[test]
    fn an_interrupted_read_is_tried_again() {
        struct InterruptedOnce(bool, &'static [u8]);
        impl Read for InterruptedOnce {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                if !self.0 {
                    self.0 = true;
                    return Err(io::ErrorKind::Interrupted.into());
                }
                self.1.read(buf)
            }
        }
        let mut out = Vec::new();
        copy_reply(InterruptedOnce(false, b"still here"), &mut out).unwrap();
        assert_eq!(out, b"still here");
    }

    #[test]
    fn a_read_timeout_is_an_error_that_says_how_much_came() {
        let mut out = Vec::new();
        let err =
            copy_reply(dribble(b"abc", Some(io::ErrorKind::WouldBlock)), &mut out).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        assert!(err.to_string().contains("after 3 bytes"), "{err}");
        assert_eq!(out, b"abc", "what came before the silence is kept");
    }

    #[test]
    fn a_reset_keeps_its_kind() {
        let ending = Some(io::ErrorKind::ConnectionReset);
        let err = copy_reply(dribble(b"ab", ending), io::sink()).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::ConnectionReset);
    }
}
