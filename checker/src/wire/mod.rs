//! Talking to the program under test over real sockets, with a deadline on
//! every step and a transcript of everything sent and received.
//!
//! [`Conn`] is one TCP connection (the checker as a client, or one
//! connection a [`crate::peer::TcpPeer`] accepted); [`Udp`] one UDP socket.
//! Both log what they send and receive, and, with a [`Decoder`], a readable
//! line for each whole message beside its bytes.
//!
//! - [`transcript`]: the events of a stage, as data and as lines;
//! - [`render`]: escaped text, hex, and byte comparisons for a beginner;
//! - [`tcp`]: [`Conn`], a TCP connection with deadlines;
//! - [`udp`]: [`Udp`], a UDP socket with deadlines.

pub mod render;
pub mod tcp;
pub mod transcript;
pub mod udp;

pub use render::{compare, escape, hex, preview, quote_text, show};
pub use tcp::{Conn, closed_port, has_ipv6_loopback, is_timeout};
pub use transcript::{
    Data, Decoder, Event, EventKind, Transcript, base64_encode, transcript_lines,
};
pub use udp::{DATAGRAM_ROOM, Udp, closed_udp_port};
