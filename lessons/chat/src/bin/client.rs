//! Lesson 7, a chat room: the client.
//!
//! Usage: `chat-client ADDRESS NAME`
//!
//! Connects, sends NAME, then every line typed on stdin; prints every line
//! the room sends. When stdin ends, it stops sending and prints what is
//! left until the room closes; when the room closes, it exits at once,
//! with code 0. A connection that fails: one line on stderr, exit code 1.
//! The work is `chat::client::chat`; this file is given.

use tokio::io::{BufReader, stdin, stdout};
use tokio::net::TcpStream;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [addr, name] = args.as_slice() else {
        eprintln!("chat-client: usage: chat-client ADDRESS NAME");
        std::process::exit(2);
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build();
    let result = runtime.and_then(|runtime| {
        runtime.block_on(async {
            let stream = TcpStream::connect(addr.as_str()).await?;
            chat::client::chat(stream, name, BufReader::new(stdin()), stdout()).await
        })
    });
    // Exit now: tokio reads stdin on a thread of its own, which a runtime
    // being dropped would wait for until the next key press.
    match result {
        Ok(()) => std::process::exit(0),
        Err(err) => {
            eprintln!("chat-client: {addr}: {err}");
            std::process::exit(1);
        }
    }
}
