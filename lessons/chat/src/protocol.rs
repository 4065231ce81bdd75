//! The room's protocol: lines of text, a name first.
//!
//! ```text
//! server → * Welcome! What is your name? (1 to 16 letters or digits)
//! client → alice
//! server → * The room contains: bob, carol        (who was there before)
//!          bob and carol see  * alice has entered the room
//! client → hello
//!          bob and carol see  [alice] hello       (alice does not)
//!          (alice leaves)
//!          bob and carol see  * alice has left the room
//! ```
//!
//! Every line ends with `\n`; a client may end its lines with `\r\n`
//! (`nc -C` does), and the `\r` is dropped. A client sees nothing of the
//! room until it has a name. The limits are here, as constants: the
//! chapter's contract states them too.

use std::fmt;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::AsyncBufRead;

/// The longest name, in letters and digits.
pub const MAX_NAME: usize = 16;
/// The longest line a client may send, in bytes, without its line end.
pub const MAX_LINE: usize = 1000;
/// How many lines may wait for one client before it is disconnected.
pub const QUEUE: usize = 1024;

/// The first line every client gets.
pub const WELCOME: &str = "* Welcome! What is your name? (1 to 16 letters or digits)\n";

/// A line on its way to clients, `\n` included. One broadcast line is one
/// allocation, shared by every queue it waits in: cloning it copies a
/// pointer, not the text.
pub type Line = Arc<[u8]>;

/// `* NAME has entered the room`, for the others.
pub fn joined(name: &str) -> Line {
    format!("* {name} has entered the room\n")
        .into_bytes()
        .into()
}

/// `* NAME has left the room`, for the others.
pub fn left(name: &str) -> Line {
    format!("* {name} has left the room\n").into_bytes().into()
}

/// `* The room contains: alice, bob`, for the newcomer: who was there
/// before it. Nothing follows the colon in an empty room.
pub fn presence(names: &[String]) -> Line {
    format!("* The room contains: {}\n", names.join(", "))
        .into_bytes()
        .into()
}

/// `[NAME] TEXT`: a message, relayed to everyone but its sender. The text
/// goes as it came, byte for byte.
pub fn relay(name: &str, text: &[u8]) -> Line {
    let mut line = Vec::with_capacity(name.len() + text.len() + 4);
    line.push(b'[');
    line.extend_from_slice(name.as_bytes());
    line.extend_from_slice(b"] ");
    line.extend_from_slice(text);
    line.push(b'\n');
    line.into()
}

/// Why a client's connection ended: what the server logs, and the last
/// line it tells the client, if any.
#[derive(Debug)]
pub enum Ending {
    /// The client closed the connection after a whole line.
    Left,
    /// The client closed the connection in the middle of a line: the half
    /// line is dropped, never relayed.
    Cut,
    /// A line longer than [`MAX_LINE`] bytes.
    TooLong,
    /// Nothing came from the client for the idle timeout.
    Idle,
    /// The name is not 1 to 16 letters or digits.
    BadName,
    /// The name is already in the room.
    NameTaken,
    /// The client's queue was full: it does not read what it is sent.
    TooSlow,
    /// The room has as many clients as it takes.
    Full,
    /// The server is stopping (SIGTERM or Ctrl-C).
    Shutdown,
    /// The connection failed.
    Failed(io::Error),
}

impl Ending {
    /// The line the client is told before the close, if any. A client too
    /// slow to read gets none: its queue is full, and so is its socket.
    pub fn farewell(&self) -> Option<&'static str> {
        Some(match self {
            Ending::TooLong => "* Your line is longer than 1000 bytes: goodbye\n",
            Ending::Idle => "* You said nothing for too long: goodbye\n",
            Ending::BadName => "* A name is 1 to 16 letters or digits: goodbye\n",
            Ending::NameTaken => "* That name is taken: goodbye\n",
            Ending::Full => "* The room is full: try again later\n",
            Ending::Shutdown => "* The server is shutting down: goodbye\n",
            Ending::Left | Ending::Cut | Ending::TooSlow | Ending::Failed(_) => return None,
        })
    }
}

impl fmt::Display for Ending {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ending::Left => write!(f, "left"),
            Ending::Cut => write!(f, "left in the middle of a line (dropped)"),
            Ending::TooLong => write!(f, "sent a line over {MAX_LINE} bytes"),
            Ending::Idle => write!(f, "was idle too long"),
            Ending::BadName => write!(f, "gave a name that is not allowed"),
            Ending::NameTaken => write!(f, "gave a name already taken"),
            Ending::TooSlow => write!(
                f,
                "disconnected: too slow, its queue of {QUEUE} lines was full"
            ),
            Ending::Full => write!(f, "turned away: the room is full"),
            Ending::Shutdown => write!(f, "told that the server is shutting down"),
            Ending::Failed(e) => write!(f, "connection failed: {e}"),
        }
    }
}

/// Whether `name` may be used: 1 to [`MAX_NAME`] ASCII letters or digits.
///
/// Step 1 (a few lines). Check the length in bytes, then every byte with
/// `u8::is_ascii_alphanumeric`: "émile" and "two words" are not names.
pub fn valid_name(name: &str) -> bool {
    todo!("step 1: is {name:?} 1 to {MAX_NAME} ASCII letters or digits?")
}

/// Reads one line, and gives its text without the line end (`\n` or
/// `\r\n`). Never reads more than [`MAX_LINE`] bytes and a line end; never
/// waits more than `idle`. Otherwise the reason the client must go:
/// [`Ending::Left`] at the end of the stream, [`Ending::Cut`] at an end in
/// the middle of a line, [`Ending::TooLong`], [`Ending::Idle`], or
/// [`Ending::Failed`].
///
/// Step 1 (about 25 lines). With `AsyncBufReadExt` and `AsyncReadExt` in
/// scope:
///
/// 1. `let mut limited = (&mut *reader).take(MAX_LINE as u64 + 2);` reads
///    at most the text and `\r\n`, however long the line really is.
/// 2. `limited.read_until(b'\n', &mut line)` inside
///    `tokio::time::timeout(idle, …)`: its result is a `Result` (the
///    timeout) of an `io::Result<usize>` (the read). `Err(_)` from the
///    timeout is [`Ending::Idle`]; 0 bytes read is [`Ending::Left`].
/// 3. A line that does not end with `\n` is either as long as the limit
///    ([`Ending::TooLong`]) or cut by the end of the stream
///    ([`Ending::Cut`]: never relay half a line).
/// 4. Drop the `\n`, then a `\r` before it; a text still over
///    [`MAX_LINE`] bytes is [`Ending::TooLong`].
pub async fn read_line<R>(reader: &mut R, idle: Duration) -> Result<Vec<u8>, Ending>
where
    R: AsyncBufRead + Unpin,
{
    let _ = reader;
    todo!("step 1: read one line of at most {MAX_LINE} bytes within {idle:?}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_1_to_16_letters_or_digits() {
        for good in ["a", "alice", "Bob42", "0", "abcdefghijklmnop"] {
            assert!(valid_name(good), "{good:?} is a good name");
        }
        for bad in [
            "",
            "abcdefghijklmnopq",
            "two words",
            "bob!",
            "émile",
            "tab\t",
            "new\nline",
        ] {
            assert!(!valid_name(bad), "{bad:?} is not a name");
        }
    }

    #[test]
    fn lines_are_formatted_as_the_contract_says() {
        assert_eq!(&*joined("bob"), b"* bob has entered the room\n");
        assert_eq!(&*left("bob"), b"* bob has left the room\n");
        assert_eq!(
            &*presence(&["a".into(), "b".into()]),
            b"* The room contains: a, b\n"
        );
        assert_eq!(&*presence(&[]), b"* The room contains: \n");
        assert_eq!(&*relay("bob", b"hi there"), b"[bob] hi there\n");
    }

    const IDLE: Duration = Duration::from_secs(5);

    async fn read_all(mut input: &[u8]) -> Vec<Result<Vec<u8>, String>> {
        let mut out = Vec::new();
        loop {
            match read_line(&mut input, IDLE).await {
                Ok(line) => out.push(Ok(line)),
                Err(Ending::Left) => return out,
                Err(other) => {
                    out.push(Err(format!("{other:?}")));
                    return out;
                }
            }
        }
    }

    #[tokio::test]
    async fn a_line_ends_with_lf_or_crlf() {
        let got = read_all(b"hello\r\nworld\n\n").await;
        assert_eq!(
            got,
            [Ok(b"hello".to_vec()), Ok(b"world".to_vec()), Ok(Vec::new())]
        );
    }

    #[tokio::test]
    async fn a_line_cut_by_the_end_of_the_stream_is_not_a_line() {
        let got = read_all(b"whole\nhalf a li").await;
        assert_eq!(got, [Ok(b"whole".to_vec()), Err("Cut".into())]);
    }

    #[tokio::test]
    async fn a_line_over_the_limit_is_too_long() {
        let mut just_right = vec![b'x'; MAX_LINE];
        just_right.extend_from_slice(b"\r\n");
        assert_eq!(read_all(&just_right).await, [Ok(vec![b'x'; MAX_LINE])]);
        let mut over = vec![b'x'; MAX_LINE + 1];
        over.push(b'\n');
        assert_eq!(read_all(&over).await, [Err("TooLong".into())]);
        let endless = vec![b'x'; 100_000];
        assert_eq!(read_all(&endless).await, [Err("TooLong".into())]);
    }

    #[tokio::test]
    async fn a_silent_client_is_idle() {
        let (client, server) = tokio::io::duplex(64);
        let mut reader = tokio::io::BufReader::new(server);
        let got = read_line(&mut reader, Duration::from_millis(50)).await;
        assert!(matches!(got, Err(Ending::Idle)), "{got:?}");
        drop(client);
    }
}
