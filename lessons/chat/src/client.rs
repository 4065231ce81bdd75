//! The client: what you type goes to the room, what the room says comes
//! to your screen, both at once, on one thread.
//!
//! ```text
//!            ┌──────────── select! ────────────┐
//!  stdin ───▶│ a line typed  ──▶ write to room │
//!  room  ───▶│ a line heard  ──▶ print it      │──▶ stdout
//!            └─────────────────────────────────┘
//! ```
//!
//! Waiting for one side only would be a bug you can see: read stdin, and
//! the room's lines wait until you press Enter; read the room, and what
//! you type waits until someone else speaks. `tokio::select!` waits for
//! whichever comes first.

use std::io;

use tokio::io::{AsyncBufRead, AsyncWrite};
use tokio::net::TcpStream;

/// Chats in the room at the other end of `stream` as `name`, until the
/// room closes the connection: sends `name` first, then every line of
/// `typed`; prints every line the room sends to `screen`. When `typed`
/// ends, shuts down the writing side (the room sees you leave) and goes on
/// printing until the room closes. Returns when the room has closed.
///
/// Step 3 (about 30 lines).
///
/// 1. `stream.into_split()` gives a reading half and a writing half;
///    `BufReader::new(read).split(b'\n')` and `typed.split(b'\n')` give
///    lines (as bytes: a room may relay any byte) with `next_segment()`.
/// 2. Write `name` and `\n`.
/// 3. Loop on `tokio::select!` with two branches: a line heard (print it
///    and its `\n`, then flush `screen`; `None` means the room closed:
///    return `Ok(())`); and a line typed (write it and its `\n`; `None`
///    means stdin ended: `write.shutdown().await`, and stop listening to
///    stdin with a branch condition, `, if typing =>`).
pub async fn chat<I, O>(stream: TcpStream, name: &str, typed: I, mut screen: O) -> io::Result<()>
where
    I: AsyncBufRead + Unpin,
    O: AsyncWrite + Unpin,
{
    let _ = (stream, typed, &mut screen);
    todo!("step 3: chat as {name}: stdin to the room and the room to stdout, at once")
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncBufRead, AsyncReadExt, AsyncWriteExt, BufReader};
    use tokio::net::TcpListener;

    /// A room of one script: `room(conn)` runs on the accepted connection.
    async fn against<I, F, Fut>(typed: I, room: F) -> io::Result<Vec<u8>>
    where
        I: AsyncBufRead + Unpin,
        F: FnOnce(TcpStream) -> Fut + Send + 'static,
        Fut: std::future::Future<Output = ()> + Send,
    {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let served = tokio::spawn(async move {
            let (conn, _) = listener.accept().await.unwrap();
            room(conn).await;
        });
        let mut screen = Vec::new();
        chat(TcpStream::connect(addr).await?, "alice", typed, &mut screen).await?;
        served.await.unwrap();
        Ok(screen)
    }

    #[tokio::test]
    async fn typed_lines_go_out_after_the_name_and_room_lines_are_printed() {
        let screen = against(&b"hello\nbye\n"[..], |mut conn| async move {
            conn.write_all(b"* welcome\n").await.unwrap();
            // Everything the client sends, up to its half-close.
            let mut got = Vec::new();
            conn.read_to_end(&mut got).await.unwrap();
            assert_eq!(got, b"alice\nhello\nbye\n");
            // The room may still speak after the client is done typing.
            conn.write_all(b"[bob] see you\n").await.unwrap();
        })
        .await
        .unwrap();
        assert_eq!(screen, b"* welcome\n[bob] see you\n");
    }

    #[tokio::test]
    async fn a_room_that_closes_ends_the_chat_while_stdin_is_still_open() {
        // Nobody types, and stdin never ends.
        let (_keyboard, typed) = tokio::io::duplex(64);
        let screen = against(BufReader::new(typed), |mut conn| async move {
            // The name, read so that closing does not reset the connection.
            let mut name = [0u8; 6];
            conn.read_exact(&mut name).await.unwrap();
            conn.write_all(b"* closing\n").await.unwrap();
        })
        .await
        .unwrap();
        assert_eq!(screen, b"* closing\n");
    }
}
