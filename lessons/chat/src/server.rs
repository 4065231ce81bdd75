//! The server: one task per client, all on one runtime of a few threads.
//!
//! ```text
//!  serve ── accept ──▶ spawn handle(client 1) ─┐
//!        ── accept ──▶ spawn handle(client 2) ─┤  tasks: a few hundred bytes
//!        ── accept ──▶ ...                     │  of state each, not a thread
//!  SIGTERM ──▶ every task: farewell, close ◀───┘
//! ```
//!
//! [`serve`] and [`handle`] are given. Your steps: [`greet`] (a name,
//! then into the room) and [`session`] (a member's life: its lines out to
//! the room, the room's lines in, both at once).

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncBufRead, AsyncWrite, AsyncWriteExt, BufReader, BufWriter};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;

#[allow(unused_imports)] // for the steps' doc links, and your code
use crate::protocol::{Ending, WELCOME, presence, read_line, valid_name};
use crate::room::{Mailbox, Member, Room};

/// How long a client gets to take its last line (a farewell) before the
/// connection is closed anyway.
pub const FAREWELL: Duration = Duration::from_millis(500);
/// Each client's read and write buffers. A line is 1,000 bytes at most,
/// so 2 KiB is room enough; tokio's default, 8 KiB each, would be most of
/// what a connection costs (the benchmark holds 10,000).
pub const BUFFER: usize = 2048;
/// After SIGTERM, how long the server waits for its clients' tasks before
/// it exits anyway. The contract promises an exit within 2 seconds.
pub const GRACE: Duration = Duration::from_secs(1);

/// The server's settings, from its command line.
#[derive(Clone, Debug)]
pub struct Options {
    /// The address to listen on, such as `127.0.0.1:0`.
    pub addr: String,
    /// Clients connected at once; past it, a newcomer is told the room is
    /// full, and closed.
    pub max_clients: usize,
    /// How long a client may send nothing before it is closed.
    pub idle_timeout: Duration,
}

/// Binds, announces the address, and serves until SIGTERM or Ctrl-C.
pub async fn run(options: &Options) -> io::Result<()> {
    let listener = TcpListener::bind(&options.addr).await?;
    // Before the announcement: a signal sent right after it is not lost.
    let stop = stop_signal()?;
    println!("listening on {}", listener.local_addr()?);
    serve(listener, options, stop).await
}

/// A future that ends at the first SIGTERM or Ctrl-C (SIGINT); on a
/// system without SIGTERM, at the first Ctrl-C.
fn stop_signal() -> io::Result<impl Future<Output = ()>> {
    #[cfg(unix)]
    let stop = {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate())?;
        let mut interrupt = signal(SignalKind::interrupt())?;
        async move {
            tokio::select! {
                _ = term.recv() => {}
                _ = interrupt.recv() => {}
            }
        }
    };
    #[cfg(not(unix))]
    let stop = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    Ok(stop)
}

/// Accepts clients, each served by a task of its own, until `stop` ends;
/// then tells every client, and waits for them (at most [`GRACE`]).
pub async fn serve(
    listener: TcpListener,
    options: &Options,
    stop: impl Future<Output = ()>,
) -> io::Result<()> {
    let room = Room::new();
    let slots = Arc::new(Semaphore::new(options.max_clients));
    let (stopping, stop_seen) = watch::channel(false);
    let mut clients = JoinSet::new();
    let mut stop = std::pin::pin!(stop);
    loop {
        tokio::select! {
            () = &mut stop => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    let slot = Arc::clone(&slots).try_acquire_owned();
                    let (room, stop_seen) = (Arc::clone(&room), stop_seen.clone());
                    let idle = options.idle_timeout;
                    clients.spawn(async move {
                        match slot {
                            Ok(_slot) => handle(stream, peer, room, idle, stop_seen).await,
                            Err(_) => turn_away(stream, peer).await,
                        }
                    });
                }
                Err(e) => {
                    // Out of file descriptors, say: wait, rather than spin.
                    eprintln!("chat-server: accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
            // Forget the tasks that ended (a panic in one is its own).
            Some(_) = clients.join_next() => {}
        }
    }
    eprintln!("chat-server: stopping; telling {} client(s)", clients.len());
    let _ = stopping.send(true);
    drop(listener);
    let all_done = async { while clients.join_next().await.is_some() {} };
    if tokio::time::timeout(GRACE, all_done).await.is_err() {
        eprintln!("chat-server: {} client(s) did not finish", clients.len());
    }
    Ok(())
}

/// A client past `--max-clients`: told, then closed.
async fn turn_away(mut stream: TcpStream, peer: SocketAddr) {
    let ending = Ending::Full;
    eprintln!("{peer}: {ending}");
    let farewell = ending.farewell().unwrap_or_default();
    let _ = tokio::time::timeout(FAREWELL, stream.write_all(farewell.as_bytes())).await;
}

/// One client, from its first byte to its close; stops at once when the
/// server stops, with a farewell.
pub async fn handle(
    stream: TcpStream,
    peer: SocketAddr,
    room: Arc<Room>,
    idle: Duration,
    mut stop: watch::Receiver<bool>,
) {
    // A chat line is small and should go at once.
    let _ = stream.set_nodelay(true);
    let (read, write) = stream.into_split();
    let mut reader = BufReader::with_capacity(BUFFER, read);
    let mut writer = BufWriter::with_capacity(BUFFER, write);
    let mut name = String::new();
    let ending = tokio::select! {
        ending = converse(&mut reader, &mut writer, &room, idle, &mut name) => ending,
        _ = stop.changed() => Ending::Shutdown,
    };
    eprintln!("{peer} ({name}): {ending}");
    if let Some(farewell) = ending.farewell() {
        let last = async {
            writer.write_all(farewell.as_bytes()).await?;
            writer.flush().await
        };
        let _ = tokio::time::timeout(FAREWELL, last).await;
    }
    // Dropping the two halves closes the connection.
}

/// A client's whole conversation: its name, then its life in the room.
async fn converse<R, W>(
    reader: &mut R,
    writer: &mut W,
    room: &Arc<Room>,
    idle: Duration,
    name: &mut String,
) -> Ending
where
    R: AsyncBufRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let (member, mailbox) = match greet(reader, writer, room, idle).await {
        Ok(joined) => joined,
        Err(ending) => return ending,
    };
    name.push_str(member.name());
    session(reader, writer, &member, mailbox, idle).await
    // `member` is dropped here: the room tells the others.
}

/// Writes one whole line and flushes it.
pub async fn write_line<W: AsyncWrite + Unpin>(writer: &mut W, line: &[u8]) -> Result<(), Ending> {
    writer.write_all(line).await.map_err(Ending::Failed)?;
    writer.flush().await.map_err(Ending::Failed)
}

/// Welcomes a client, reads its name and puts it in the room; then tells
/// it who was there. The name must be valid (else [`Ending::BadName`])
/// and free (else [`Ending::NameTaken`]).
///
/// Step 1 (about 10 lines). In order: [`write_line`] the [`WELCOME`];
/// [`read_line`] the name (its `Err` is already the right [`Ending`]: let
/// `?` return it); check it is UTF-8 (`String::from_utf8`) and a
/// [`valid_name`]; `room.join(&name)?`; then [`write_line`] the
/// [`presence`] line of `joined.present`, and return the member and its
/// mailbox. The newcomer hears nothing of the room before its presence
/// line: its mailbox is read only later, by [`session`].
pub async fn greet<R, W>(
    reader: &mut R,
    writer: &mut W,
    room: &Arc<Room>,
    idle: Duration,
) -> Result<(Member, Mailbox), Ending>
where
    R: AsyncBufRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let _ = (reader, writer, room, idle);
    todo!("step 1: welcome, read the name, join the room, tell who is there")
}

/// A member's life in the room, until one of these ends it: the client's
/// own lines, each relayed (until [`read_line`] gives a reason to stop);
/// the lines of its mailbox, written as they come (until writing fails);
/// and the room putting it out for being too slow ([`Ending::TooSlow`]).
/// All three at once: a client that does not read must not stop its own
/// lines going out, nor the room from putting it out.
///
/// Step 2, after `deliver` (about 35 lines; replace the waiting code
/// below). Take the mailbox apart
/// (`let Mailbox { mut lines, kicked } = mailbox;`), then write two
/// `async` blocks and race them with the kick in `tokio::select!`:
///
/// - speaking: a loop of [`read_line`]; each text goes to
///   `member.say(&text)`; an `Err(ending)` is returned.
/// - listening: `while let Some(line) = lines.recv().await`, write it
///   with `write_all`; then whatever else waits (`lines.try_recv()`), so
///   that a burst goes in one write; then `flush`. A write error is
///   [`Ending::Failed`]; a closed queue means the room put us out:
///   [`Ending::TooSlow`].
/// - `kicked.notified()`: [`Ending::TooSlow`].
///
/// Whichever ends first ends the session; `select!` drops the others (a
/// write stuck on a client that never reads included).
pub async fn session<R, W>(
    reader: &mut R,
    writer: &mut W,
    member: &Member,
    mailbox: Mailbox,
    idle: Duration,
) -> Ending
where
    R: AsyncBufRead + Unpin,
    W: AsyncWrite + Unpin,
{
    // Until you write it, a member waits here quietly: the first line it
    // says, or the room sends it, reaches the todo!() below.
    let Mailbox { mut lines, .. } = mailbox;
    let first = tokio::select! {
        Some(_) = lines.recv() => "a line from the room for",
        said = read_line(reader, idle) => match said {
            Ok(_) => "a line said by",
            Err(ending) => return ending,
        },
    };
    let _ = writer;
    todo!(
        "step 2: {first} {}: the client's lines to the room and the room's lines to the client, at once",
        member.name()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncBufReadExt, DuplexStream, split};

    const IDLE: Duration = Duration::from_secs(5);

    /// A client of `room` served by [`converse`] on an in-memory
    /// connection: its reading end, its writing end, and the served task.
    fn client(
        room: &Arc<Room>,
    ) -> (
        tokio::io::Lines<BufReader<tokio::io::ReadHalf<DuplexStream>>>,
        tokio::io::WriteHalf<DuplexStream>,
        tokio::task::JoinHandle<Ending>,
    ) {
        let (ours, theirs) = tokio::io::duplex(1 << 16);
        let room = Arc::clone(room);
        let served = tokio::spawn(async move {
            let (read, mut write) = split(theirs);
            let mut reader = BufReader::new(read);
            let mut name = String::new();
            converse(&mut reader, &mut write, &room, IDLE, &mut name).await
        });
        let (read, write) = split(ours);
        (BufReader::new(read).lines(), write, served)
    }

    async fn next(lines: &mut tokio::io::Lines<impl AsyncBufRead + Unpin>) -> String {
        lines.next_line().await.unwrap().unwrap_or_default()
    }

    #[tokio::test]
    async fn a_newcomer_is_welcomed_named_and_told_who_is_there() {
        let room = Room::new();
        let (mut alice_in, mut alice_out, _a) = client(&room);
        assert_eq!(next(&mut alice_in).await, WELCOME.trim_end());
        alice_out.write_all(b"alice\n").await.unwrap();
        assert_eq!(next(&mut alice_in).await, "* The room contains: ");
        let (mut bob_in, mut bob_out, _b) = client(&room);
        next(&mut bob_in).await;
        bob_out.write_all(b"bob\r\n").await.unwrap();
        assert_eq!(next(&mut bob_in).await, "* The room contains: alice");
        assert_eq!(next(&mut alice_in).await, "* bob has entered the room");
    }

    #[tokio::test]
    async fn a_bad_name_is_refused() {
        let room = Room::new();
        let (mut lines, mut out, served) = client(&room);
        next(&mut lines).await;
        out.write_all(b"no spaces please\n").await.unwrap();
        assert!(matches!(served.await.unwrap(), Ending::BadName));
        assert!(room.is_empty());
    }

    #[tokio::test]
    async fn messages_go_to_the_others_and_a_leaver_is_announced() {
        let room = Room::new();
        let (mut alice_in, mut alice_out, _a) = client(&room);
        next(&mut alice_in).await;
        alice_out.write_all(b"alice\n").await.unwrap();
        next(&mut alice_in).await;
        let (mut bob_in, mut bob_out, bob) = client(&room);
        next(&mut bob_in).await;
        bob_out.write_all(b"bob\n").await.unwrap();
        next(&mut bob_in).await;
        assert_eq!(next(&mut alice_in).await, "* bob has entered the room");
        alice_out.write_all(b"hi bob\n").await.unwrap();
        assert_eq!(next(&mut bob_in).await, "[alice] hi bob");
        bob_out.write_all(b"bye\nhalf a line").await.unwrap();
        bob_out.shutdown().await.unwrap();
        assert!(matches!(bob.await.unwrap(), Ending::Cut));
        assert_eq!(next(&mut alice_in).await, "[bob] bye");
        assert_eq!(next(&mut alice_in).await, "* bob has left the room");
    }
}
