//! The checker's own room, written apart from the reference (plain
//! threads: a hand peer serves a few people, not a thousand): the same
//! protocol and limits. A member whose queue of lines is full does not
//! read: its connection is shut down, and the others are told it left.

use std::collections::BTreeMap;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread;
use std::time::Duration;

use super::talk::{MAX_LINE, joined, left, relay};

/// Lines waiting for one member, at most.
const QUEUE: usize = 1024;
/// A member silent for this long is closed.
const IDLE: Duration = Duration::from_secs(300);
/// A write that cannot go on for this long ends the member.
const WRITE_DEADLINE: Duration = Duration::from_secs(10);

type Line = Arc<[u8]>;

struct Member {
    name: String,
    queue: SyncSender<Line>,
    socket: TcpStream,
}

#[derive(Default)]
struct Room {
    members: Mutex<BTreeMap<u64, Member>>,
    next_id: Mutex<u64>,
}

impl Room {
    fn lock(&self) -> MutexGuard<'_, BTreeMap<u64, Member>> {
        self.members.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Puts `line` in every member's queue but `from`'s, never waiting; puts
/// out those whose queue is full.
fn post(members: &mut BTreeMap<u64, Member>, from: Option<u64>, line: &str) {
    let mut to_post = vec![(from, Line::from(format!("{line}\n").into_bytes()))];
    while let Some((from, line)) = to_post.pop() {
        let mut full = Vec::new();
        for (id, m) in members.iter() {
            if Some(*id) != from
                && let Err(TrySendError::Full(_)) = m.queue.try_send(Line::clone(&line))
            {
                full.push(*id);
            }
        }
        for id in full {
            if let Some(slow) = members.remove(&id) {
                eprintln!(
                    "{}: too slow (its queue of {QUEUE} lines is full): disconnected",
                    slow.name
                );
                let _ = slow.socket.shutdown(Shutdown::Both);
                to_post.push((
                    None,
                    Line::from(format!("{}\n", left(&slow.name)).into_bytes()),
                ));
            }
        }
    }
}

/// Serves the room on `listener` until the process is stopped.
pub fn serve(listener: TcpListener) {
    let room = Arc::new(Room::default());
    for accepted in listener.incoming() {
        match accepted {
            Ok(stream) => {
                let room = Arc::clone(&room);
                thread::spawn(move || {
                    let peer = stream
                        .peer_addr()
                        .map(|a| a.to_string())
                        .unwrap_or_default();
                    match visit(&room, stream) {
                        Ok(why) => eprintln!("{peer}: {why}"),
                        Err(e) => eprintln!("{peer}: {e}"),
                    }
                });
            }
            Err(e) => {
                eprintln!("the checker's room: accept failed: {e}");
                thread::sleep(Duration::from_millis(100));
            }
        }
    }
}

/// Reads one line of at most [`MAX_LINE`] bytes: its text, or why not.
fn read_line(reader: &mut impl BufRead) -> Result<Vec<u8>, &'static str> {
    let mut line = Vec::new();
    let limit = MAX_LINE as u64 + 2;
    match reader.take(limit).read_until(b'\n', &mut line) {
        Ok(0) => return Err("left"),
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
            ) =>
        {
            return Err("idle too long");
        }
        Err(_) => return Err("connection failed"),
        Ok(_) => {}
    }
    if !line.ends_with(b"\n") {
        return Err(if line.len() as u64 == limit {
            "line too long"
        } else {
            "left in the middle of a line"
        });
    }
    line.pop();
    if line.ends_with(b"\r") {
        line.pop();
    }
    if line.len() > MAX_LINE {
        return Err("line too long");
    }
    Ok(line)
}

/// One client, from the welcome to its leaving.
fn visit(room: &Arc<Room>, stream: TcpStream) -> io::Result<&'static str> {
    stream.set_read_timeout(Some(IDLE))?;
    stream.set_write_timeout(Some(WRITE_DEADLINE))?;
    let mut out = stream.try_clone()?;
    let mut reader = BufReader::new(stream.try_clone()?);
    out.write_all(
        b"* Welcome to the checker's room! What is your name? (1 to 16 letters or digits)\n",
    )?;
    let name = match read_line(&mut reader) {
        Ok(name) => String::from_utf8(name).unwrap_or_default(),
        Err(why) => return Ok(why),
    };
    if name.is_empty() || name.len() > 16 || !name.bytes().all(|b| b.is_ascii_alphanumeric()) {
        out.write_all(b"* A name is 1 to 16 letters or digits: goodbye\n")?;
        return Ok("bad name");
    }
    let (queue, lines) = mpsc::sync_channel(QUEUE);
    let id = {
        let mut members = room.lock();
        if members.values().any(|m| m.name == name) {
            out.write_all(b"* That name is taken: goodbye\n")?;
            return Ok("name taken");
        }
        let present: Vec<&str> = members.values().map(|m| m.name.as_str()).collect();
        out.write_all(format!("* The room contains: {}\n", present.join(", ")).as_bytes())?;
        post(&mut members, None, &joined(&name));
        let mut next = room.next_id.lock().unwrap_or_else(|e| e.into_inner());
        *next += 1;
        members.insert(
            *next,
            Member {
                name: name.clone(),
                queue,
                socket: stream.try_clone()?,
            },
        );
        *next
    };
    let writer = thread::spawn(move || write_lines(lines, out));
    let why = loop {
        match read_line(&mut reader) {
            Ok(text) => {
                let text = String::from_utf8_lossy(&text);
                post(&mut room.lock(), Some(id), &relay(&name, &text));
            }
            Err(why) => break why,
        }
    };
    {
        let mut members = room.lock();
        if members.remove(&id).is_some() {
            post(&mut members, None, &left(&name));
        }
    }
    // The queue's sender is gone with the member: the writer ends.
    let _ = stream.shutdown(Shutdown::Both);
    let _ = writer.join();
    Ok(why)
}

/// Writes a member's lines as they come, until its queue is dropped.
fn write_lines(lines: Receiver<Line>, mut out: TcpStream) {
    for line in lines {
        if out.write_all(&line).is_err() {
            let _ = out.shutdown(Shutdown::Both);
            return;
        }
    }
}
