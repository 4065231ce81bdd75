//! Lesson 3, message framing: the client (reference solution).
//!
//! Usage: `framing-client ADDRESS MESSAGE...`
//!
//! Sends each MESSAGE as a frame, all at once (pipelined), then prints the
//! payload of each reply on a line of its own, in order.

use std::io::{self, Write};
use std::net::TcpStream;
use std::time::Duration;

use framing::Connection;

const TIMEOUT: Duration = Duration::from_secs(5);

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(addr) = args.next() else {
        eprintln!("usage: framing-client ADDRESS MESSAGE...");
        std::process::exit(2);
    };
    let messages: Vec<String> = args.collect();
    if let Err(err) = run(&addr, &messages) {
        eprintln!("framing-client: {err}");
        std::process::exit(1);
    }
}

fn run(addr: &str, messages: &[String]) -> Result<(), String> {
    let stream = TcpStream::connect(addr).map_err(|e| format!("cannot connect to {addr}: {e}"))?;
    stream
        .set_read_timeout(Some(TIMEOUT))
        .map_err(|e| e.to_string())?;
    let mut conn = Connection::from_tcp(stream).map_err(|e| e.to_string())?;

    // Pipelining: queue every request, send them in one flush, and only
    // then read. The replies come back in the order of the requests.
    for message in messages {
        conn.write_frame(message.as_bytes())
            .map_err(|e| format!("cannot send: {e}"))?;
    }
    conn.flush().map_err(|e| format!("cannot send: {e}"))?;

    let mut out = io::stdout().lock();
    for n in 1..=messages.len() {
        let reply = match conn.read_frame() {
            Ok(Some(reply)) => reply,
            Ok(None) => return Err(format!("the server closed the connection before reply {n}")),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                return Err(format!("no reply {n} within {TIMEOUT:?}"));
            }
            Err(e) => return Err(format!("reading reply {n}: {e}")),
        };
        out.write_all(&reply)
            .and_then(|()| out.write_all(b"\n"))
            .map_err(|e| e.to_string())?;
    }
    out.flush().map_err(|e| e.to_string())
}
