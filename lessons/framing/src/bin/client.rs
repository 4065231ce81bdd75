//! Lesson 3, message framing: the client. Your exercise.
//!
//! Usage: `framing-client ADDRESS MESSAGE...`
//!
//! The contract the checker grades (chapter "Message framing"):
//!
//! 1. Connect to ADDRESS; set a read timeout of a few seconds.
//! 2. Send each MESSAGE as a frame, all of them before reading any reply
//!    (pipelining): queue them with `write_frame`, then `flush` once.
//! 3. Read one reply frame per message and print each payload on a line of
//!    its own, in order. Exit with code 0.
//! 4. On any error (refused, closed early, timed out) print one line to
//!    stderr and exit with code 1.

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

/// Hints: `TcpStream::connect`, `set_read_timeout`, `Connection::from_tcp`.
fn run(addr: &str, messages: &[String]) -> Result<(), String> {
    todo!(
        "send {} frames to {addr}, then print each reply",
        messages.len()
    )
}
