//! Lesson 7, many clients on one thread: a chat room (Protohackers'
//! Budget Chat, with limits). The registry entry is here; the stages are
//! grouped by topic in the files beside it:
//!
//! - [`talk`]: the protocol on the checker's side, one client at a time;
//! - [`swarm`]: many clients on one thread of the checker, and the /proc
//!   readings of the server (threads, memory);
//! - [`basics`]: welcome, chat, names, unnamed clients, order;
//! - [`load`]: a thousand clients, and a client that never reads;
//! - [`limits`]: half lines, long lines, idle clients, shutdown;
//! - [`client`]: the student's client against the checker's scripted room;
//! - [`room`] and [`peer`]: the checker's own room, to start by hand.

mod basics;
mod client;
mod limits;
mod load;
mod peer;
mod room;
mod swarm;
mod talk;

use crate::course::{CLIENT, HandPeer, Lesson, Mistake, SERVER, SERVER_AND_CLIENT};
// The harness.
use crate::{course::Stage, time::secs, verdict::Verdict};

pub const LESSON: Lesson = Lesson {
    id: "chat",
    title: "Many clients on one thread: a chat room",
    level: 3,
    package: "chat",
    roles: SERVER_AND_CLIENT,
    chapter: "chat.md",
    stages: STAGES,
    mistakes: MISTAKES,
    peer: Some(HandPeer {
        name: "chat",
        run: peer::serve_by_hand,
    }),
    reading: &[
        (
            "The protocol: a room of lines",
            &["welcome", "chat", "unnamed", "bad-names"],
        ),
        ("Why a thread per client stops scaling", &["many-clients"]),
        ("Readiness, and the event loop", &["order"]),
        (
            "Backpressure: the client that does not read",
            &["slow-reader"],
        ),
        (
            "Limits, and the end of a line",
            &["cut-mid-line", "long-line", "idle-timeout"],
        ),
        ("Shutting down with clients connected", &["shutdown"]),
        (
            "The client: two inputs, one thread",
            &["client-chat", "client-room-closes"],
        ),
    ],
};

const STAGES: &[Stage] = &[
    Stage {
        id: "welcome",
        title: "A welcome line, a name, the presence line",
        points: 5,
        hint: "On connect, write one line asking for a name; read one line; if it is a good name, put the client in the room and write `* The room contains: ` with the names already there.",
        deadline: secs(30),
        roles: SERVER,
        run: basics::welcome,
    },
    Stage {
        id: "chat",
        title: "Joins, messages to the others, a leaver",
        points: 10,
        hint: "Tell the others `* NAME has entered the room`; relay each line as `[NAME] TEXT` to everyone but its sender; when a member goes, tell the others `* NAME has left the room`.",
        deadline: secs(30),
        roles: SERVER,
        run: basics::chat,
    },
    Stage {
        id: "unnamed",
        title: "A client without a name hears nothing",
        points: 5,
        hint: "Only members (clients with a name) are in the room: a client still being asked its name gets no broadcast, and its leaving is announced to nobody.",
        deadline: secs(30),
        roles: SERVER,
        run: basics::unnamed,
    },
    Stage {
        id: "bad-names",
        title: "Bad or taken names: a line, then the close",
        points: 10,
        hint: "A name is 1 to 16 ASCII letters or digits, and not already in the room. Refuse any other with one line, then close; the room never hears of it.",
        deadline: secs(30),
        roles: SERVER,
        run: basics::bad_names,
    },
    Stage {
        id: "order",
        title: "Each sender's lines arrive in the order sent",
        points: 10,
        hint: "Relay a member's lines one after the other, from its own task: spawning a task per line lets the runtime run them in any order.",
        deadline: secs(30),
        roles: SERVER,
        run: basics::order,
    },
    Stage {
        id: "many-clients",
        title: "1,000 clients chat on at most 8 server threads",
        points: 15,
        hint: "One task per client on the runtime's few threads, never a thread per client; and never a blocking call (std::net, thread::sleep) inside a task.",
        deadline: secs(30),
        roles: SERVER,
        run: load::many_clients,
    },
    Stage {
        id: "slow-reader",
        title: "A client never reads: others go on, memory bounded",
        points: 15,
        hint: "Broadcast with try_send into each member's bounded queue, never an .await on another client; a member whose queue is full is put out of the room and its connection closed.",
        deadline: secs(30),
        roles: SERVER,
        run: load::slow_reader,
    },
    Stage {
        id: "cut-mid-line",
        title: "A client leaves in the middle of a line",
        points: 5,
        hint: "A line is only a line with its \\n: at the end of the stream, drop what is left without one (read_until, and check the line ends with \\n).",
        deadline: secs(30),
        roles: SERVER,
        run: limits::cut_mid_line,
    },
    Stage {
        id: "long-line",
        title: "A line over 1,000 bytes closes its sender",
        points: 5,
        hint: "Read each line with a limit: take(MAX_LINE + 2) before read_until; a line longer than 1,000 bytes ends that client's connection, and is never relayed.",
        deadline: secs(30),
        roles: SERVER,
        run: limits::long_line,
    },
    Stage {
        id: "idle-timeout",
        title: "A client silent for --idle-timeout is closed",
        points: 5,
        hint: "Wrap each read of a line in tokio::time::timeout(idle, …): when it elapses, tell the client and close, named or not.",
        deadline: secs(30),
        roles: SERVER,
        run: limits::idle_timeout,
    },
    Stage {
        id: "shutdown",
        title: "SIGTERM: every client told, closed; exit in 2s",
        points: 5,
        hint: "Catch SIGTERM (tokio::signal::unix); tell every task (a watch channel); each writes its farewell with a deadline and closes; wait for them, a second at most, then return from main.",
        deadline: secs(30),
        roles: SERVER,
        run: limits::shutdown,
    },
    Stage {
        id: "client-chat",
        title: "The client: stdin to the room, the room to stdout",
        points: 5,
        hint: "Send NAME, then each line of stdin; print each line of the room. select! on both; when stdin ends, shutdown() the socket's write side and keep printing until the room closes.",
        deadline: secs(30),
        roles: CLIENT,
        run: client::client_chat,
    },
    Stage {
        id: "client-room-closes",
        title: "The room closes while stdin still flows: exit",
        points: 5,
        hint: "Wait on stdin and on the room at once (tokio::select!): when the room's side ends, exit at once, however much stdin is left.",
        deadline: secs(30),
        roles: CLIENT,
        run: client::room_closes,
    },
];

/// The wrong solutions in checker/fixtures that the stages must catch.
const MISTAKES: &[Mistake] = &[
    Mistake {
        what: "Waiting for the name before any welcome",
        fixture: "chat-no-welcome",
        role: "server",
        passes: None,
        fails: "welcome",
        verdict: Verdict::TimedOut,
        says: "as soon as a client connects",
        golden: true,
    },
    Mistake {
        what: "Relaying a message to its sender too",
        fixture: "chat-echoes-sender",
        role: "server",
        passes: Some("welcome"),
        fails: "chat",
        verdict: Verdict::Failed,
        says: "got its own message back",
        golden: true,
    },
    Mistake {
        what: "Broadcasting to clients that have no name yet",
        fixture: "chat-tells-unnamed",
        role: "server",
        passes: Some("chat"),
        fails: "unnamed",
        verdict: Verdict::Failed,
        says: "has not given a name",
        golden: false,
    },
    Mistake {
        what: "Accepting any name",
        fixture: "chat-any-name",
        role: "server",
        passes: Some("chat"),
        fails: "bad-names",
        verdict: Verdict::Failed,
        says: "the server accepted",
        golden: true,
    },
    Mistake {
        what: "Spawning a task per line to broadcast it",
        fixture: "chat-spawn-per-line",
        role: "server",
        passes: Some("chat"),
        fails: "order",
        verdict: Verdict::Failed,
        says: "out of order",
        golden: false,
    },
    Mistake {
        what: "A thread per client",
        fixture: "chat-thread-per-client",
        role: "server",
        passes: Some("chat"),
        fails: "many-clients",
        verdict: Verdict::Failed,
        says: "one thread per client",
        golden: false,
    },
    Mistake {
        what: "A broadcast that waits to write to each client",
        fixture: "chat-waits-on-slow",
        role: "server",
        passes: Some("chat"),
        fails: "slow-reader",
        verdict: Verdict::Failed,
        says: "waits for the slowest client",
        golden: false,
    },
    Mistake {
        what: "A queue without a bound",
        fixture: "chat-unbounded-queue",
        role: "server",
        passes: Some("chat"),
        fails: "slow-reader",
        verdict: Verdict::Failed,
        says: "queue without a bound",
        golden: false,
    },
    Mistake {
        what: "No kick in the select!: a stuck write keeps the connection",
        fixture: "chat-no-kick",
        role: "server",
        passes: Some("chat"),
        fails: "slow-reader",
        verdict: Verdict::Failed,
        says: "kept slow's connection open",
        golden: false,
    },
    Mistake {
        what: "Relaying the half line left at the end of the stream",
        fixture: "chat-relays-partial",
        role: "server",
        passes: Some("chat"),
        fails: "cut-mid-line",
        verdict: Verdict::Failed,
        says: "half a line",
        golden: true,
    },
    Mistake {
        what: "Reading lines without a limit",
        fixture: "chat-no-line-limit",
        role: "server",
        passes: Some("chat"),
        fails: "long-line",
        verdict: Verdict::Failed,
        says: "over the limit",
        golden: false,
    },
    Mistake {
        what: "Checking a line's length only after reading it all",
        fixture: "chat-length-after-read",
        role: "server",
        passes: Some("chat"),
        fails: "long-line",
        verdict: Verdict::Failed,
        says: "without a newline",
        golden: false,
    },
    Mistake {
        what: "No idle timeout",
        fixture: "chat-no-idle-timeout",
        role: "server",
        passes: Some("chat"),
        fails: "idle-timeout",
        verdict: Verdict::TimedOut,
        says: "--idle-timeout",
        golden: false,
    },
    Mistake {
        what: "Restarting the idle timer at lines the client receives",
        fixture: "chat-idle-resets-on-receive",
        role: "server",
        passes: Some("chat"),
        fails: "idle-timeout",
        verdict: Verdict::Failed,
        says: "while it received talker's lines",
        golden: false,
    },
    Mistake {
        what: "Dying on SIGTERM without a word to the clients",
        fixture: "chat-dies-on-term",
        role: "server",
        passes: Some("chat"),
        fails: "shutdown",
        verdict: Verdict::Crashed,
        says: "without a farewell",
        golden: false,
    },
    Mistake {
        what: "A client that exits when stdin ends",
        fixture: "chat-client-exits-at-eof",
        role: "client",
        passes: None,
        fails: "client-chat",
        verdict: Verdict::Failed,
        says: "keep printing until the room closes",
        golden: false,
    },
    Mistake {
        what: "A client that reads all of stdin before the room",
        fixture: "chat-client-sequential",
        role: "client",
        passes: Some("client-chat"),
        fails: "client-room-closes",
        verdict: Verdict::TimedOut,
        says: "select!",
        golden: false,
    },
];
