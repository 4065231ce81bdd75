//! Lesson 3, message framing: its registry entry. Frames are built by hand
//! (4-byte big-endian length, then the payload), so that every stage can
//! also send frames that break the rules.
//!
//! - `frame.rs`: frames on the checker's side: built, read, their replies
//!   checked.
//! - `server.rs`: the server's stages with frames that keep the rules.
//! - `hostile.rs`: frames that break them: too long, cut short.
//! - `many.rs`: many clients, idle clients, a cap on clients.
//! - `client.rs`: the client's stage.

mod client;
mod frame;
mod hostile;
mod many;
mod server;

use crate::course::{CLIENT, Lesson, Mistake, SERVER, SERVER_AND_CLIENT, Stage};
use crate::time::secs;
use crate::verdict::Verdict;

pub const LESSON: Lesson = Lesson {
    id: "framing",
    title: "Message framing over TCP",
    level: 1,
    package: "framing",
    roles: SERVER_AND_CLIENT,
    chapter: "framing.md",
    stages: STAGES,
    mistakes: MISTAKES,
    peer: None,
    reading: &[
        (
            "Two ways to mark the end of a message",
            &["one-frame", "empty-frame"],
        ),
        (
            "`read_exact`, and a trap",
            &["dribble", "eof-mid-header", "eof-mid-payload"],
        ),
        ("Byte order", &["byte-order"]),
        (
            "Limits as a defence",
            &[
                "max-frame",
                "over-max",
                "huge-length",
                "idle-timeout",
                "past-the-cap",
            ],
        ),
        ("Pipelining", &["two-in-one-write", "pipelined"]),
        ("One type knows the format", &["client"]),
    ],
};

const STAGES: &[Stage] = &[
    Stage {
        id: "one-frame",
        title: "One frame is answered with its payload reversed",
        points: 5,
        hint: "Read 4 bytes, u32::from_be_bytes, read that many bytes; reply with the length and the reversed bytes.",
        deadline: secs(20),
        roles: SERVER,
        run: server::one_frame,
    },
    Stage {
        id: "two-in-one-write",
        title: "Two frames in one write get two replies, in order",
        points: 10,
        hint: "One read can hold several frames, or part of one: let read_exact cut the stream at the lengths. When read_frame returns None, close.",
        deadline: secs(20),
        roles: SERVER,
        run: server::two_in_one_write,
    },
    Stage {
        id: "dribble",
        title: "A frame sent one byte at a time, header included",
        points: 10,
        hint: "Even the 4-byte header can arrive in pieces. read_exact waits for all of it; a single read does not.",
        deadline: secs(20),
        roles: SERVER,
        run: server::dribble,
    },
    Stage {
        id: "empty-frame",
        title: "A zero-length frame gets a zero-length reply",
        points: 5,
        hint: "A length of 0 is a valid frame: reply 00 00 00 00, and keep reading frames.",
        deadline: secs(20),
        roles: SERVER,
        run: server::empty_frame,
    },
    Stage {
        id: "max-frame",
        title: "A frame of exactly 8 MiB is accepted",
        points: 5,
        hint: "The limit is inclusive: a payload of exactly MAX_FRAME bytes is fine; only longer ones are refused.",
        deadline: secs(60),
        roles: SERVER,
        run: server::max_frame,
    },
    Stage {
        id: "over-max",
        title: "One byte over the limit is refused",
        points: 10,
        hint: "Check the length before reading the payload. Over the limit: close this connection (shutdown, drop); keep accepting others.",
        deadline: secs(20),
        roles: SERVER,
        run: hostile::over_max,
    },
    Stage {
        id: "huge-length",
        title: "A length of 0xFFFFFFFF: refused, nothing allocated",
        points: 10,
        hint: "Compare the length with MAX_FRAME before any allocation: a stranger's length is a claim, not a fact.",
        deadline: secs(20),
        roles: SERVER,
        run: hostile::huge_length,
    },
    Stage {
        id: "eof-mid-header",
        title: "End of stream inside a header",
        points: 5,
        hint: "Two bytes of a header and then end of stream is an error for that connection: close it, serve the next client.",
        deadline: secs(20),
        roles: SERVER,
        run: hostile::eof_mid_header,
    },
    Stage {
        id: "eof-mid-payload",
        title: "End of stream inside a payload",
        points: 5,
        hint: "read_exact returns UnexpectedEof when the stream ends early: close that connection, serve the next client.",
        deadline: secs(20),
        roles: SERVER,
        run: hostile::eof_mid_payload,
    },
    Stage {
        id: "pipelined",
        title: "1,000 frames sent before any reply is read",
        points: 5,
        hint: "Keep reading frames while replies pile up; flush replies (at the latest) when no more input is buffered.",
        deadline: secs(30),
        roles: SERVER,
        run: server::pipelined,
    },
    Stage {
        id: "concurrent",
        title: "20 clients at once while another sits idle",
        points: 5,
        hint: "One thread per client, as in the echo lesson: an idle client must not block the others.",
        deadline: secs(40),
        roles: SERVER,
        run: many::concurrent,
    },
    Stage {
        id: "byte-order",
        title: "The byte-order trap: 00 00 01 00 is 256",
        points: 5,
        hint: "Network byte order is big-endian: u32::from_be_bytes, not from_le_bytes or from_ne_bytes.",
        deadline: secs(20),
        roles: SERVER,
        run: server::byte_order,
    },
    Stage {
        id: "idle-timeout",
        title: "Half a header, then silence: dropped in time",
        points: 5,
        hint: "Give each client's socket a read timeout of --idle-timeout (the given accept loop does): read_frame then fails with WouldBlock or TimedOut, and the client is dropped.",
        deadline: secs(20),
        roles: SERVER,
        run: many::idle_timeout,
    },
    Stage {
        id: "past-the-cap",
        title: "Past --max-clients, a client waits, then is served",
        points: 5,
        hint: "Hold the permit while a client is served, and let it drop when serve returns: the given loop does, so check that serve returns when the client leaves.",
        deadline: secs(20),
        roles: SERVER,
        run: many::past_the_cap,
    },
    Stage {
        id: "client",
        title: "Your client against a server that replies in pieces",
        points: 10,
        hint: "Queue every message with write_frame, flush once, then read one frame per message and print each payload on its own line.",
        deadline: secs(30),
        roles: CLIENT,
        run: client::client,
    },
];

/// The wrong solutions in checker/fixtures that the stages must catch.
const MISTAKES: &[Mistake] = &[
    Mistake {
        what: "One `read` per frame",
        fixture: "framing-one-read",
        role: "server",
        passes: Some("one-frame"),
        fails: "dribble",
        verdict: Verdict::Failed,
        says: "the program had already closed the connection",
        golden: false,
    },
    Mistake {
        what: "Assuming one read holds one frame",
        fixture: "framing-one-read",
        role: "server",
        passes: Some("one-frame"),
        fails: "two-in-one-write",
        verdict: Verdict::Failed,
        says: "the reply's length field says 23, but the reply should hold 3 bytes",
        golden: false,
    },
    Mistake {
        what: "Reading the length little-endian",
        fixture: "framing-le",
        role: "server",
        passes: None,
        fails: "byte-order",
        verdict: Verdict::TimedOut,
        says: "your server is waiting for 65,536 bytes",
        golden: true,
    },
    Mistake {
        what: "`read_exact` into `Vec::with_capacity(len)`",
        fixture: "framing-with-capacity",
        role: "server",
        passes: None,
        fails: "one-frame",
        verdict: Verdict::Failed,
        says: "the reply's length field says 0",
        golden: true,
    },
    Mistake {
        what: "Trusting the length: allocating before checking it",
        fixture: "framing-unchecked",
        role: "server",
        passes: Some("one-frame"),
        fails: "huge-length",
        verdict: Verdict::TimedOut,
        says: "refuse it at once, before waiting for a payload",
        golden: true,
    },
    Mistake {
        what: "No limit on the length at all",
        fixture: "framing-unchecked",
        role: "server",
        passes: Some("max-frame"),
        fails: "over-max",
        verdict: Verdict::TimedOut,
        says: "for the connection to close, but it stayed open",
        golden: false,
    },
    Mistake {
        what: "Echoing the frame instead of reversing it",
        fixture: "framing-echo",
        role: "server",
        passes: None,
        fails: "one-frame",
        verdict: Verdict::Failed,
        says: "the request reversed",
        golden: false,
    },
    Mistake {
        what: "Forgetting to flush a `BufWriter`",
        fixture: "framing-no-flush",
        role: "server",
        passes: None,
        fails: "one-frame",
        verdict: Verdict::TimedOut,
        says: "for the reply's 4-byte length",
        golden: false,
    },
    Mistake {
        what: "No idle timeout: half a header holds a thread for ever",
        fixture: "framing-no-limits",
        role: "server",
        passes: Some("concurrent"),
        fails: "idle-timeout",
        verdict: Verdict::TimedOut,
        says: "for the connection to close, but it stayed open",
        golden: false,
    },
    Mistake {
        what: "No cap on clients",
        fixture: "framing-no-limits",
        role: "server",
        passes: Some("concurrent"),
        fails: "past-the-cap",
        verdict: Verdict::Failed,
        says: "the cap of 3 was ignored",
        golden: false,
    },
    Mistake {
        what: "Client that waits for each reply before sending the next",
        fixture: "framing-client-lockstep",
        role: "client",
        passes: None,
        fails: "client",
        verdict: Verdict::TimedOut,
        says: "the header of frame 2",
        golden: false,
    },
];
