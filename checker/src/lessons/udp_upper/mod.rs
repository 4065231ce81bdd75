//! Lesson 2, UDP upper-case: its registry entry. The server is graded with
//! the checker's own UDP sockets; the client against the checker's UDP
//! peers, which can drop datagrams, stay silent, or let a stranger butt in.
//!
//! - `datagram.rs`: the checker's side of the protocol: a socket, a request
//!   and its upper-cased reply.
//! - `server.rs`: the server's stages.
//! - `client.rs`: the client's stages.

mod client;
mod datagram;
mod server;

use crate::course::{CLIENT, Lesson, Mistake, SERVER, SERVER_AND_CLIENT, Stage};
use crate::time::secs;
use crate::verdict::Verdict;

pub const LESSON: Lesson = Lesson {
    id: "udp-upper",
    title: "UDP upper-case server and client",
    level: 1,
    package: "udp-upper",
    roles: SERVER_AND_CLIENT,
    chapter: "udp-upper.md",
    stages: STAGES,
    mistakes: MISTAKES,
    peer: None,
    reading: &[
        (
            "Datagrams versus streams",
            &["one-datagram", "two-datagrams", "empty"],
        ),
        ("Size limits and silent truncation", &["largest"]),
        (
            "A server made of a loop and a handler",
            &["many-clients", "survives-garbage"],
        ),
        ("OS-chosen ports", &["client-reply"]),
        (
            "What UDP does not promise",
            &["client-retry", "client-silent"],
        ),
        (
            "Connectionless sockets in Rust",
            &["client-refused", "client-stranger"],
        ),
    ],
};

const STAGES: &[Stage] = &[
    Stage {
        id: "one-datagram",
        title: "One datagram is answered in upper case",
        points: 5,
        hint: "recv_from gives the bytes and the sender; send_to(reply, sender) answers. Upper-case with to_ascii_uppercase.",
        deadline: secs(20),
        roles: SERVER,
        run: server::one_datagram,
    },
    Stage {
        id: "mixed-case",
        title: "The slides' MixedCaseString",
        points: 5,
        hint: "Every ASCII letter becomes upper case; nothing else changes.",
        deadline: secs(20),
        roles: SERVER,
        run: server::mixed_case,
    },
    Stage {
        id: "two-datagrams",
        title: "Two datagrams back to back get two replies",
        points: 10,
        hint: "One recv_from is one datagram, and one send_to is one reply. Don't collect datagrams into one buffer.",
        deadline: secs(20),
        roles: SERVER,
        run: server::two_datagrams,
    },
    Stage {
        id: "empty",
        title: "An empty datagram gets an empty reply",
        points: 10,
        hint: "A datagram of 0 bytes is a real datagram (unlike a TCP read of 0, which means end of stream). Answer it with an empty datagram.",
        deadline: secs(20),
        roles: SERVER,
        run: server::empty,
    },
    Stage {
        id: "largest",
        title: "A 65,507-byte datagram comes back whole",
        points: 10,
        hint: "recv_from cuts a datagram that does not fit the buffer, without a word. Receive into a buffer of MAX_DATAGRAM bytes.",
        deadline: secs(20),
        roles: SERVER,
        run: server::largest,
    },
    Stage {
        id: "binary",
        title: "All 256 byte values: only ASCII letters change",
        points: 10,
        hint: "Work on bytes: [u8]::to_ascii_uppercase. Converting to String mangles bytes that are not UTF-8, or panics.",
        deadline: secs(20),
        roles: SERVER,
        run: server::binary,
    },
    Stage {
        id: "many-clients",
        title: "Five clients, interleaved, each gets its own replies",
        points: 10,
        hint: "Reply to the address recv_from returned for this very datagram, not to a stored or fixed address.",
        deadline: secs(30),
        roles: SERVER,
        run: server::many_clients,
    },
    Stage {
        id: "survives-garbage",
        title: "The server survives garbage and keeps serving",
        points: 10,
        hint: "Nothing a peer sends may stop the server: no unwrap() on received data, and an error on one datagram must not end the loop.",
        deadline: secs(20),
        roles: SERVER,
        run: server::survives_garbage,
    },
    Stage {
        id: "ipv6",
        title: "Serving on IPv6 loopback [::1]",
        points: 5,
        hint: "Bind exactly the address you are given: `[::1]:0` is IPv6.",
        deadline: secs(20),
        roles: SERVER,
        run: server::ipv6,
    },
    Stage {
        id: "client-reply",
        title: "Your client reports its port and prints the reply",
        points: 5,
        hint: "Bind port 0, connect, print `using` and local_addr(), send, recv, print the reply on the next line.",
        deadline: secs(20),
        roles: CLIENT,
        run: client::client_reply,
    },
    Stage {
        id: "client-retry",
        title: "Your client retries when datagrams are lost",
        points: 5,
        hint: "Set a read timeout of 1 second. When recv times out (WouldBlock or TimedOut), send the request again: 3 attempts in all.",
        deadline: secs(20),
        roles: CLIENT,
        run: client::client_retry,
    },
    Stage {
        id: "client-silent",
        title: "Your client gives up on a silent server",
        points: 5,
        hint: "After the last attempt times out, return an error: one line on stderr, exit code 1.",
        deadline: secs(30),
        roles: CLIENT,
        run: client::client_silent,
    },
    Stage {
        id: "client-refused",
        title: "Your client reports a closed port at once",
        points: 5,
        hint: "On a connected UDP socket an ICMP port unreachable shows up as ErrorKind::ConnectionRefused from recv (or the next send). Report it instead of retrying.",
        deadline: secs(20),
        roles: CLIENT,
        run: client::client_refused,
    },
    Stage {
        id: "client-stranger",
        title: "Your client ignores a datagram from a stranger",
        points: 5,
        hint: "Connect the socket to the server (UdpSocket::connect): the OS then drops datagrams from any other address. Or check the sender that recv_from returns.",
        deadline: secs(20),
        roles: CLIENT,
        run: client::client_stranger,
    },
];

/// The wrong solutions in checker/fixtures that the stages must catch.
const MISTAKES: &[Mistake] = &[
    Mistake {
        what: "A receive buffer of 1,024 bytes, as on the slides",
        fixture: "udp-small-buffer",
        role: "server",
        passes: Some("one-datagram"),
        fails: "largest",
        verdict: Verdict::Failed,
        says: "got only 1024 of 65507 bytes",
        golden: true,
    },
    Mistake {
        what: "Replying to a stored or fixed address",
        fixture: "udp-fixed-reply",
        role: "server",
        passes: Some("one-datagram"),
        fails: "many-clients",
        verdict: Verdict::TimedOut,
        says: "no datagram came back within",
        golden: false,
    },
    Mistake {
        what: "Treating a datagram as UTF-8 text",
        fixture: "udp-utf8",
        role: "server",
        passes: Some("mixed-case"),
        fails: "binary",
        verdict: Verdict::Crashed,
        says: "panicked (exit code 101)",
        golden: true,
    },
    Mistake {
        what: "`unwrap()` on what a stranger sends",
        fixture: "udp-utf8",
        role: "server",
        passes: Some("mixed-case"),
        fails: "survives-garbage",
        verdict: Verdict::Crashed,
        says: "it should keep serving after any client",
        golden: false,
    },
    Mistake {
        what: "Client with no read timeout",
        fixture: "udp-client-no-timeout",
        role: "client",
        passes: Some("client-reply"),
        fails: "client-silent",
        verdict: Verdict::TimedOut,
        says: "was still running after",
        golden: true,
    },
    Mistake {
        what: "Client that sends once and never again",
        fixture: "udp-client-no-retry",
        role: "client",
        passes: Some("client-reply"),
        fails: "client-retry",
        verdict: Verdict::Failed,
        says: "and your client did not send again",
        golden: false,
    },
    Mistake {
        what: "Client that takes a reply from anyone",
        fixture: "udp-client-unconnected",
        role: "client",
        passes: Some("client-reply"),
        fails: "client-stranger",
        verdict: Verdict::Failed,
        says: "NOT FOR YOU",
        golden: false,
    },
    Mistake {
        what: "Client that never learns the port is closed",
        fixture: "udp-client-unconnected",
        role: "client",
        passes: Some("client-reply"),
        fails: "client-refused",
        verdict: Verdict::Failed,
        says: "did not say that the connection was refused",
        golden: false,
    },
];
