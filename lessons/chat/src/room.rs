//! The room: who is in it, and a queue of lines for each of them.
//!
//! ```text
//!  alice's task ──broadcast──┬──▶ [bob's queue   ]──▶ bob's task ──▶ bob's socket
//!                            └──▶ [carol's queue ]──▶ carol's task ─▶ carol's socket
//! ```
//!
//! A broadcast puts the line in every other member's queue and returns at
//! once: it never waits for anyone. Each member's own task takes lines
//! from its queue and writes them to its socket, as fast as that client
//! reads. A queue holds [`QUEUE`] lines at most; a member whose queue is
//! full is not reading, and is put out of the room (its task is told
//! through [`Mailbox::kicked`]), so that one slow client can neither stall
//! the others nor make the server's memory grow.
//!
//! The room is given; [`deliver`], the one step of a broadcast that must
//! never wait, is yours.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::Notify;
use tokio::sync::mpsc::{self, Receiver, Sender};

use crate::protocol::{Ending, Line, QUEUE, joined, left, relay};

/// What [`deliver`] did with a line.
#[derive(Debug, PartialEq, Eq)]
pub enum Delivery {
    /// The line waits in the queue.
    Queued,
    /// The queue is full: the line was not queued.
    Full,
    /// Nobody takes lines from this queue any more.
    Closed,
}

/// Puts `line` in `queue` without waiting, and says how it went.
///
/// Step 2, first (a few lines). This is the heart of the room: a broadcast calls
/// it for every member, with the room locked, so it must never wait. Not
/// `queue.send(line).await` (that waits for room in a full queue: one
/// client that does not read would stop everyone), but
/// `queue.try_send(line)`, whose error says why the line was not queued:
/// `TrySendError::Full` or `TrySendError::Closed`.
pub fn deliver(queue: &Sender<Line>, line: Line) -> Delivery {
    let _ = (queue, line);
    todo!("step 2: try_send the line; say Queued, Full or Closed")
}

/// A member as the room keeps it.
struct Entry {
    name: String,
    queue: Sender<Line>,
    kick: Arc<Notify>,
}

/// The members, by the order they joined in.
#[derive(Default)]
pub struct Room {
    members: Mutex<BTreeMap<u64, Entry>>,
    next_id: AtomicU64,
}

/// One member's place in the room. Dropping it (however the client's task
/// ends) takes the member out and tells the others.
pub struct Member {
    room: Arc<Room>,
    id: u64,
    name: String,
}

/// What a member receives: the lines for it, and a signal that it was put
/// out of the room for not reading them.
pub struct Mailbox {
    /// The lines for this member, in order, [`QUEUE`] at most.
    pub lines: Receiver<Line>,
    /// Notified when the room puts the member out for not reading.
    pub kicked: Arc<Notify>,
}

/// What joining gives: the member, its mailbox, and who was there before.
pub struct Joined {
    /// The member: leaves the room when dropped.
    pub member: Member,
    /// Its lines.
    pub mailbox: Mailbox,
    /// The names of those already in the room, in the order they came.
    pub present: Vec<String>,
}

impl Room {
    /// An empty room, to share between the clients' tasks.
    pub fn new() -> Arc<Room> {
        Arc::new(Room::default())
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<u64, Entry>> {
        // No code panics while holding the lock, but a poisoned lock is
        // still a usable map.
        self.members.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds `name` (already checked) to the room and tells the others; or
    /// [`Ending::NameTaken`].
    pub fn join(self: &Arc<Room>, name: &str) -> Result<Joined, Ending> {
        let mut members = self.lock();
        if members.values().any(|m| m.name == name) {
            return Err(Ending::NameTaken);
        }
        let present = members.values().map(|m| m.name.clone()).collect();
        post(&mut members, None, joined(name));
        let (queue, lines) = mpsc::channel(QUEUE);
        let kick = Arc::new(Notify::new());
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        members.insert(
            id,
            Entry {
                name: name.to_string(),
                queue,
                kick: Arc::clone(&kick),
            },
        );
        Ok(Joined {
            member: Member {
                room: Arc::clone(self),
                id,
                name: name.to_string(),
            },
            mailbox: Mailbox {
                lines,
                kicked: kick,
            },
            present,
        })
    }

    /// How many members the room has.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether nobody is in the room.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Member {
    /// The member's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Relays `text` as `[NAME] TEXT` to everyone but this member.
    pub fn say(&self, text: &[u8]) {
        post(
            &mut self.room.lock(),
            Some(self.id),
            relay(&self.name, text),
        );
    }
}

impl Drop for Member {
    fn drop(&mut self) {
        let mut members = self.room.lock();
        // Not there any more if it was put out for being slow: the others
        // were told then.
        if members.remove(&self.id).is_some() {
            post(&mut members, None, left(&self.name));
        }
    }
}

/// Puts `line` in the queue of every member but `from`, without waiting.
/// A member whose queue is full is put out of the room, its task told,
/// and the others told that it left.
fn post(members: &mut BTreeMap<u64, Entry>, from: Option<u64>, line: Line) {
    let mut to_post = vec![(from, line)];
    while let Some((from, line)) = to_post.pop() {
        let full: Vec<u64> = members
            .iter()
            .filter(|(id, _)| Some(**id) != from)
            .filter(|(_, m)| deliver(&m.queue, Line::clone(&line)) == Delivery::Full)
            .map(|(id, _)| *id)
            .collect();
        for id in full {
            if let Some(slow) = members.remove(&id) {
                slow.kick.notify_one();
                to_post.push((None, left(&slow.name)));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(text: &str) -> Line {
        text.as_bytes().into()
    }

    #[test]
    fn deliver_never_waits_and_says_why_a_line_was_not_queued() {
        let (queue, mut lines) = mpsc::channel(2);
        assert_eq!(deliver(&queue, line("1\n")), Delivery::Queued);
        assert_eq!(deliver(&queue, line("2\n")), Delivery::Queued);
        assert_eq!(deliver(&queue, line("3\n")), Delivery::Full);
        assert_eq!(lines.try_recv().as_deref().ok(), Some(&b"1\n"[..]));
        assert_eq!(deliver(&queue, line("4\n")), Delivery::Queued);
        drop(lines);
        assert_eq!(deliver(&queue, line("5\n")), Delivery::Closed);
    }

    fn drain(mailbox: &mut Mailbox) -> Vec<String> {
        let mut out = Vec::new();
        while let Ok(line) = mailbox.lines.try_recv() {
            out.push(String::from_utf8_lossy(&line).into_owned());
        }
        out
    }

    #[test]
    fn members_hear_each_other_but_not_themselves() {
        let room = Room::new();
        let mut alice = room.join("alice").ok().unwrap();
        assert!(alice.present.is_empty());
        let mut bob = room.join("bob").ok().unwrap();
        assert_eq!(bob.present, ["alice"]);
        assert!(matches!(room.join("bob"), Err(Ending::NameTaken)));
        bob.member.say(b"hi");
        assert_eq!(
            drain(&mut alice.mailbox),
            ["* bob has entered the room\n", "[bob] hi\n"]
        );
        assert!(drain(&mut bob.mailbox).is_empty());
        drop(bob.member);
        assert_eq!(drain(&mut alice.mailbox), ["* bob has left the room\n"]);
        assert_eq!(room.len(), 1);
    }

    #[tokio::test]
    async fn a_member_whose_queue_is_full_is_put_out() {
        let room = Room::new();
        let slow = room.join("slow").ok().unwrap();
        let mut reader = room.join("reader").ok().unwrap();
        let talker = room.join("talker").ok().unwrap();
        for i in 0..QUEUE + 10 {
            talker.member.say(format!("{i}").as_bytes());
            // The reader keeps up; the slow member never reads.
            drain(&mut reader.mailbox);
        }
        // The kick was stored: waiting for it returns at once.
        slow.mailbox.kicked.notified().await;
        assert_eq!(room.len(), 2);
        talker.member.say(b"still here");
        assert_eq!(drain(&mut reader.mailbox), ["[talker] still here\n"]);
        // Dropping the slow member now tells nobody twice.
        drop(slow.member);
        assert!(drain(&mut reader.mailbox).is_empty());
    }
}
