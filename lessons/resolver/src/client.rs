//! Asking a DNS server: a query over UDP with a deadline and a bounded
//! number of tries, and over TCP when the answer does not fit (or when
//! asked to).
//!
//! A UDP socket receives whatever anybody sends to it, so a reply counts
//! only if it comes from the server, carries our query's ID, and answers
//! our question. Anything else is ignored, and we go on waiting until the
//! attempt's deadline: a forged reply must not end the wait.

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use crate::dns::{Malformed, Message, Name, Type};

/// How to ask.
#[derive(Clone, Debug)]
pub struct Options {
    /// The server to ask: an address, not a name (resolving it would need
    /// a resolver).
    pub server: SocketAddr,
    /// How long each attempt waits for its reply.
    pub timeout: Duration,
    /// How many times to ask again after the first attempt timed out.
    pub retries: u32,
    /// Ask over TCP from the start.
    pub tcp: bool,
}

/// Why no answer came.
#[derive(Debug)]
pub enum QueryError {
    /// No matching reply to any attempt.
    Timeout {
        /// How many queries were sent.
        attempts: u32,
        /// How long each one waited.
        each: Duration,
    },
    /// A reply to our question that cannot be read.
    Malformed(Malformed),
    /// The network said no (refused, unreachable, ...).
    Io(io::Error),
}

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            QueryError::Timeout { attempts, each } => {
                write!(f, "no reply after {attempts} attempt(s), {each:?} each")
            }
            // The cause is `source`'s to tell (`cli::one_line` prints the
            // chain): saying it here too would say it twice.
            QueryError::Malformed(_) => f.write_str("unreadable reply"),
            // The network's own error, as it is: no words of ours to add.
            QueryError::Io(e) => write!(f, "{e}"),
        }
    }
}

/// A `QueryError` is an error like any other: `?` can turn it into a
/// `Box<dyn Error>`, and what caused it stays reachable through `source`.
impl std::error::Error for QueryError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            QueryError::Timeout { .. } => None,
            QueryError::Malformed(m) => Some(m),
            // Shown whole by `Display` already: its own cause, if any.
            QueryError::Io(e) => e.source(),
        }
    }
}

impl From<io::Error> for QueryError {
    fn from(e: io::Error) -> Self {
        QueryError::Io(e)
    }
}

/// Asks `server` for `name` and `qtype`: over UDP, then over TCP if the
/// reply says it was truncated (TC), or over TCP at once with `tcp`.
pub fn ask(name: &Name, qtype: Type, options: &Options) -> Result<Message, QueryError> {
    todo!(
        "ask {} for {name} {qtype} over UDP (TCP if truncated or {}), waiting {:?} each time",
        options.server,
        options.tcp,
        options.timeout
    )
}
