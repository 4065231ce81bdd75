//! Serving objects: one thread per connection, one JSON-RPC message per
//! line, replies in order, with the limits every server of the course has:
//! so many clients at once, an idle timeout, a longest line.
//!
//! A bad message gets its error reply and the connection goes on; only a
//! line over the limit closes the connection (there is no telling where
//! the next message would start).

use std::collections::BTreeMap;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::jsonrpc::{self, MAX_LINE, Object, RpcError, code};

/// The objects a server hosts, by name.
#[derive(Clone, Default)]
pub struct Objects {
    by_name: BTreeMap<String, Arc<dyn Object>>,
}

impl Objects {
    /// The same objects, and `object` as `name`. It returns the set, as a
    /// builder does: dropping what it returns would lose the object.
    #[must_use]
    pub fn with(mut self, name: &str, object: impl Object + 'static) -> Objects {
        self.by_name.insert(name.to_string(), Arc::new(object));
        self
    }

    /// The object registered as `name`, if any.
    pub fn get(&self, name: &str) -> Option<&dyn Object> {
        self.by_name.get(name).map(|o| o.as_ref())
    }

    /// Every name, in order: what a server registers on the name server.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.by_name.keys().map(String::as_str)
    }
}

/// A server's limits.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Connections served at once; one more is told the server is busy.
    pub max_clients: usize,
    /// A client that sends nothing for this long is disconnected.
    pub idle_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_clients: 64,
            idle_timeout: Duration::from_secs(60),
        }
    }
}

/// A place among the clients served at once, given back when dropped
/// (the connection's thread ends however it ends).
#[must_use = "the place is given back as soon as the permit is dropped: keep it while the client is served"]
struct Permit(Arc<AtomicUsize>);

impl Permit {
    fn take(count: &Arc<AtomicUsize>, max: usize) -> Option<Permit> {
        count
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                (n < max).then_some(n + 1)
            })
            .ok()
            .map(|_| Permit(Arc::clone(count)))
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Accepts for ever, serving each connection on a thread of its own. It
/// never returns, and says so: its type is `!`, "never".
pub fn serve(listener: TcpListener, objects: Objects, limits: Limits) -> ! {
    let (objects, clients) = (Arc::new(objects), Arc::new(AtomicUsize::new(0)));
    let refusing = Arc::new(AtomicUsize::new(0));
    loop {
        let stream = match listener.accept() {
            Ok((stream, _)) => stream,
            Err(e) => {
                // Out of descriptors, most likely: wait for some to be
                // given back instead of spinning.
                eprintln!("accept: {e}");
                thread::sleep(Duration::from_millis(50));
                continue;
            }
        };
        let Some(permit) = Permit::take(&clients, limits.max_clients) else {
            refuse(stream, limits.max_clients, &refusing);
            continue;
        };
        let (objects, idle) = (Arc::clone(&objects), limits.idle_timeout);
        thread::spawn(move || {
            let _permit = permit;
            // A client that does not read its replies is dropped too: a
            // reply that cannot go out within the idle timeout fails the
            // write, instead of holding this thread (and its place) for
            // ever.
            if let Err(e) = stream.set_write_timeout(Some(idle)) {
                eprintln!("connection: {e}");
                return;
            }
            // An idle client timing out is the limit at work, not news.
            if let Err(e) = serve_connection(stream, &objects, idle)
                && !matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                )
            {
                eprintln!("connection: {e}");
            }
        });
    }
}

/// The most refused clients being told "busy" at once.
const MAX_REFUSING: usize = 64;

/// Tells a client past the limit that the server is busy (-32099), so
/// that it reads the reply rather than a reset: the reply is written, the
/// sending side shut down, and what the client sent read and dropped for
/// a moment (closing with unread data would send a reset, which can
/// overtake the reply). On a thread of its own, so accepting goes on.
fn refuse(mut stream: TcpStream, max_clients: usize, refusing: &Arc<AtomicUsize>) {
    let busy = RpcError::new(
        jsonrpc::code::SERVER_BUSY,
        format!("the server is busy: {max_clients} clients at once"),
    );
    let _ = stream.set_write_timeout(Some(Duration::from_secs(1)));
    let _ = writeln!(stream, "{}", jsonrpc::failure(&Value::Null, &busy));
    let _ = stream.shutdown(Shutdown::Write);
    // A flood of connections gets the reply, and no thread past so many.
    let Some(permit) = Permit::take(refusing, MAX_REFUSING) else {
        return;
    };
    thread::spawn(move || {
        let _permit = permit;
        let deadline = Instant::now() + Duration::from_secs(1);
        let mut sink = [0u8; 4096];
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            if stream
                .set_read_timeout(Some(left.max(Duration::from_millis(1))))
                .is_err()
            {
                break;
            }
            match stream.read(&mut sink) {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
    });
}

/// Step 1 (and step 5, its limits). Answers one connection's lines until
/// it closes, goes idle, or sends a line over the limit. A line that is not
/// UTF-8 gets its -32700 reply here; any other goes to
/// [`jsonrpc::reply_to`].
fn serve_connection(stream: TcpStream, objects: &Objects, idle: Duration) -> io::Result<()> {
    stream.set_read_timeout(Some(idle))?;
    // Replies are written whole and flushed at once: without this, a small
    // reply could wait for the client's delayed ACK (Nagle's algorithm).
    stream.set_nodelay(true)?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut writer = stream;
    let mut line = Vec::new();
    loop {
        line.clear();
        let n = (&mut reader)
            .take(MAX_LINE as u64 + 1)
            .read_until(b'\n', &mut line)?;
        if n == 0 {
            return Ok(());
        }
        if n > MAX_LINE {
            let error = RpcError::new(
                code::INVALID_REQUEST,
                format!("a line longer than {MAX_LINE} bytes: closing the connection"),
            );
            let reply = jsonrpc::failure(&Value::Null, &error).to_string();
            return send(&mut writer, &reply, idle);
        }
        while line.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
            line.pop();
        }
        if line.iter().all(u8::is_ascii_whitespace) {
            continue; // a blank line (nc, a person typing) is not a message
        }
        let reply = match std::str::from_utf8(&line) {
            Ok(text) => jsonrpc::reply_to(text, |name| objects.get(name)),
            Err(_) => {
                let error = RpcError::new(code::PARSE_ERROR, "the line is not UTF-8");
                Some(jsonrpc::failure(&Value::Null, &error).to_string())
            }
        };
        if let Some(reply) = reply {
            send(&mut writer, &reply, idle)?;
        }
    }
}

/// Sends one reply and its newline, in one write when it can, within
/// `limit` however slowly the client reads. A plain write timeout is not
/// enough: a write that times out after sending part of its bytes returns
/// that part as a success, and the next write would wait a whole timeout
/// again, so a client reading a byte now and then could hold its place for
/// ever.
fn send(stream: &mut TcpStream, reply: &str, limit: Duration) -> io::Result<()> {
    let line = [reply.as_bytes(), b"\n"].concat();
    let deadline = Instant::now() + limit;
    let mut rest = &line[..];
    while !rest.is_empty() {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the client does not read its replies",
            ));
        }
        stream.set_write_timeout(Some(left))?;
        let sent = stream.write(rest)?;
        rest = &rest[sent..];
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    //! Steps 1 and 5: these need `serve_connection` alone (and what is
    //! given): every line they send is bytes that are not UTF-8, which the
    //! connection answers itself, without `jsonrpc`.
    use super::*;
    use crate::jsonrpc::{MAX_LINE, code};
    use crate::objects::Counter;
    use std::io::{BufRead, BufReader};
    use std::net::SocketAddr;

    /// A line that is not UTF-8: `serve_connection` answers it with -32700.
    const NOT_UTF8: &[u8] = b"\xff\xfe{\n";

    fn start(limits: Limits) -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let objects = Objects::default().with("counter", Counter::default());
        thread::spawn(move || serve(listener, objects, limits));
        addr
    }

    fn exchange(stream: &mut BufReader<TcpStream>, line: &[u8]) -> Value {
        stream.get_mut().write_all(line).unwrap();
        let mut reply = String::new();
        stream.read_line(&mut reply).unwrap();
        serde_json::from_str(&reply).unwrap()
    }

    #[test]
    fn step1_bytes_that_are_not_utf8_get_a_parse_error_and_the_connection_goes_on() {
        let addr = start(Limits::default());
        let mut conn = BufReader::new(TcpStream::connect(addr).unwrap());
        let reply = exchange(&mut conn, NOT_UTF8);
        assert_eq!(reply["error"]["code"], code::PARSE_ERROR);
        assert_eq!(reply["id"], Value::Null);
        // A blank line is no message, and gets no reply: the next reply
        // is the next line's.
        let reply = exchange(&mut conn, b"\n\r\n\xc3\x28\n");
        assert_eq!(reply["error"]["code"], code::PARSE_ERROR);
    }

    #[test]
    fn step5_an_over_long_line_closes_only_that_connection() {
        let addr = start(Limits::default());
        let mut long = BufReader::new(TcpStream::connect(addr).unwrap());
        let mut other = BufReader::new(TcpStream::connect(addr).unwrap());
        let junk = vec![b'x'; MAX_LINE + 10];
        let _ = long.get_mut().write_all(&junk);
        let mut reply = String::new();
        long.read_line(&mut reply).unwrap();
        assert!(reply.contains("longer than"), "{reply}");
        let ok = exchange(&mut other, NOT_UTF8);
        assert_eq!(ok["error"]["code"], code::PARSE_ERROR);
    }

    #[test]
    fn step1_past_the_client_limit_a_busy_error() {
        let addr = start(Limits {
            max_clients: 1,
            ..Limits::default()
        });
        let mut first = BufReader::new(TcpStream::connect(addr).unwrap());
        exchange(&mut first, NOT_UTF8);
        let mut second = BufReader::new(TcpStream::connect(addr).unwrap());
        let mut reply = String::new();
        second.read_line(&mut reply).unwrap();
        assert!(reply.contains("busy"), "{reply}");
        drop(first);
        // The permit comes back when the first connection's thread ends.
        let mut served = false;
        for _ in 0..100 {
            thread::sleep(Duration::from_millis(10));
            let mut third = BufReader::new(TcpStream::connect(addr).unwrap());
            if exchange(&mut third, NOT_UTF8)["error"]["code"] == code::PARSE_ERROR {
                served = true;
                break;
            }
        }
        assert!(served, "the place was never given back");
    }
}
