//! The transcript of a stage: every thing sent, received and noticed, as
//! data (for the JSON report) and as lines (for the text report).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde::Serialize;

use super::render::{WHOLE_HEX, looks_like_text, preview_parts};

/// How many transcript lines a report keeps (the last ones).
const TRANSCRIPT_CAP: usize = 60;

/// Turns one whole message into a readable line for the transcript
/// (`GET /a HTTP/1.1`, `query id=0x1a2b A example.com.`), or `None` when
/// it cannot.
pub type Decoder = fn(&[u8]) -> Option<String>;

/// A log of what happened in a stage, shared by its connections.
#[derive(Clone)]
pub struct Transcript {
    start: Instant,
    events: Arc<Mutex<Vec<Event>>>,
}

/// One thing the checker did or saw, as data: what the JSON report holds,
/// and what [`Event::line`] writes out for a person.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Event {
    /// Seconds since the stage started.
    pub t: f64,
    pub kind: EventKind,
    /// Who sent or received ("client", "server"); none for a note.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub peer: Option<String>,
    /// The bytes on the wire (for `sent` and `received`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<Data>,
    /// The note, or the message decoded as the protocol reads it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// For a datagram: the address it was sent to, or came from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// What the checker did or noticed.
    Note,
    Sent,
    Received,
    /// A message just sent, decoded.
    DecodedSent,
    /// A message just received, decoded.
    DecodedReceived,
}

/// Bytes on the wire: their length, and their first bytes as text when
/// they are UTF-8, else in base64.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Data {
    pub length: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base64: Option<String>,
    /// Whether `text` or `base64` holds them all.
    pub complete: bool,
    /// Shown to a person as text (escaped) rather than hex.
    #[serde(skip)]
    looks_like_text: bool,
    #[serde(skip)]
    head: Vec<u8>,
}

/// How many bytes of each message the report keeps: enough to show a
/// DNS datagram whole.
const KEPT: usize = WHOLE_HEX;

impl Data {
    fn of(bytes: &[u8]) -> Data {
        let head = bytes[..bytes.len().min(KEPT)].to_vec();
        let (text, base64) = match std::str::from_utf8(&head) {
            Ok(text) => (Some(text.to_string()), None),
            Err(_) => (None, Some(base64_encode(&head))),
        };
        Data {
            length: bytes.len(),
            text,
            base64,
            complete: head.len() == bytes.len(),
            looks_like_text: looks_like_text(bytes),
            head,
        }
    }
}

impl Event {
    /// The event as a line of the text report:
    /// `  0.042s  client ← got 1 byte: "o"`.
    pub fn line(&self) -> String {
        let who = self.peer.as_deref().unwrap_or("");
        let text = self.text.as_deref().unwrap_or("");
        let body = match (self.kind, &self.data, &self.address) {
            (EventKind::Sent, Some(d), Some(to)) => {
                format!("{who} → sent a datagram to {to}: {}", d.preview())
            }
            (EventKind::Received, Some(d), Some(from)) => {
                format!("{who} ← got a datagram from {from}: {}", d.preview())
            }
            (EventKind::Sent, Some(d), None) => format!("{who} → sent {}", d.preview()),
            (EventKind::Received, Some(d), None) => format!("{who} ← got {}", d.preview()),
            (EventKind::DecodedSent, ..) => format!("{who} → {text}"),
            (EventKind::DecodedReceived, ..) => format!("{who} ← {text}"),
            _ => format!("-- {text}"),
        };
        format!("{:7.3}s  {body}", self.t)
    }
}

impl Transcript {
    pub fn new() -> Transcript {
        Transcript {
            start: Instant::now(),
            events: Arc::new(Mutex::new(Vec::new())),
        }
    }

    fn push(&self, kind: EventKind, peer: Option<&str>, data: Option<Data>, text: Option<String>) {
        self.push_event(Event {
            t: self.start.elapsed().as_secs_f64(),
            kind,
            peer: peer.map(str::to_string),
            data,
            text,
            address: None,
        });
    }

    fn push_event(&self, event: Event) {
        self.events
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(event);
    }

    pub fn note(&self, text: impl Into<String>) {
        self.push(EventKind::Note, None, None, Some(text.into()));
    }

    pub fn sent(&self, who: &str, bytes: &[u8]) {
        self.push(EventKind::Sent, Some(who), Some(Data::of(bytes)), None);
    }

    pub fn received(&self, who: &str, bytes: &[u8]) {
        self.push(EventKind::Received, Some(who), Some(Data::of(bytes)), None);
    }

    /// A datagram sent to `to`.
    pub fn sent_datagram(&self, who: &str, to: SocketAddr, bytes: &[u8]) {
        self.datagram(EventKind::Sent, who, to, bytes);
    }

    /// A datagram received from `from`.
    pub fn received_datagram(&self, who: &str, from: SocketAddr, bytes: &[u8]) {
        self.datagram(EventKind::Received, who, from, bytes);
    }

    fn datagram(&self, kind: EventKind, who: &str, address: SocketAddr, bytes: &[u8]) {
        self.push_event(Event {
            t: self.start.elapsed().as_secs_f64(),
            kind,
            peer: Some(who.to_string()),
            data: Some(Data::of(bytes)),
            text: None,
            address: Some(address.to_string()),
        });
    }

    /// A message's readable form, after its bytes: `arrow` is → or ←.
    pub fn decoded(&self, who: &str, arrow: &str, text: &str) {
        let kind = if arrow == "→" {
            EventKind::DecodedSent
        } else {
            EventKind::DecodedReceived
        };
        self.push(kind, Some(who), None, Some(text.to_string()));
    }

    /// The last events (at most a report's worth), and how many earlier
    /// ones were left out.
    pub fn events(&self) -> (Vec<Event>, usize) {
        let events = self.events.lock().unwrap_or_else(|e| e.into_inner());
        let skip = events.len().saturating_sub(TRANSCRIPT_CAP);
        (events[skip..].to_vec(), skip)
    }

    /// The last lines, with a marker where older ones were dropped.
    pub fn lines(&self) -> Vec<String> {
        let (events, skipped) = self.events();
        transcript_lines(&events, skipped)
    }
}

/// A transcript's lines for a person, with a marker where `skipped`
/// earlier events were left out.
pub fn transcript_lines(events: &[Event], skipped: usize) -> Vec<String> {
    let mut out = Vec::with_capacity(events.len() + 1);
    if skipped > 0 {
        out.push(format!("[… {skipped} earlier lines left out]"));
    }
    out.extend(events.iter().map(Event::line));
    out
}

/// Standard base64 with padding (RFC 4648), for bytes that are not text.
pub fn base64_encode(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

impl Default for Transcript {
    fn default() -> Self {
        Transcript::new()
    }
}

impl Data {
    fn preview(&self) -> String {
        preview_parts(&self.head, self.length, self.looks_like_text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_is_rfc_4648s() {
        let cases = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foobar", "Zm9vYmFy"),
        ];
        for (plain, coded) in cases {
            assert_eq!(base64_encode(plain.as_bytes()), coded);
        }
        assert_eq!(base64_encode(&[0xff, 0x00, 0xfe]), "/wD+");
    }

    #[test]
    fn events_keep_bytes_as_text_or_base64() {
        let text = Data::of(b"hello\n");
        assert_eq!(
            (text.text.as_deref(), text.base64, text.complete),
            (Some("hello\n"), None, true)
        );
        let binary = Data::of(&[0xff; 600]);
        assert_eq!(binary.length, 600);
        assert_eq!(binary.text, None);
        assert!(!binary.complete);
        // The first 512 bytes: 171 groups of 4.
        assert_eq!(binary.base64.as_deref().map(str::len), Some(684));
        assert!(binary.preview().ends_with("… 536 more bytes"));
        let datagram = Data::of(&[0xab; 300]);
        assert!(datagram.complete);
        assert!(datagram.preview().ends_with(" ab"), "shown to its end");
    }
}
