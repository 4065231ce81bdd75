//! Lesson 7, a chat room: the client.
//!
//! Usage: `chat-client ADDRESS NAME`
//!
//! Connects, sends NAME, then every line typed on stdin; prints every line
//! the room sends. When stdin ends, it stops sending and prints what is
//! left until the room closes; when the room closes, it exits at once,
//! with code 0. A connection that fails: one line on stderr, exit code 1.
//! The work is `chat::client::chat`; this file is given.
#![warn(missing_docs)]

use std::process::ExitCode;

use chat::cli::{Args, BAD_USAGE, one_line};
use tokio::io::{BufReader, stdin, stdout};
use tokio::net::TcpStream;

const USAGE: &str = "usage: chat-client ADDRESS NAME";

fn main() -> ExitCode {
    let parsed = Args::parse(std::env::args_os().skip(1), &[], &[]);
    let (addr, name) = match parsed.as_ref().map(|args| args.rest.as_slice()) {
        Ok([addr, name]) => (addr.clone(), name.clone()),
        Ok(_) => {
            eprintln!("chat-client: an ADDRESS and a NAME ({USAGE})");
            return ExitCode::from(BAD_USAGE);
        }
        Err(err) => {
            eprintln!("chat-client: {err} ({USAGE})");
            return ExitCode::from(BAD_USAGE);
        }
    };
    let result = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .and_then(|runtime| {
            runtime.block_on(async {
                let stream = TcpStream::connect(addr.as_str()).await?;
                chat::client::chat(stream, &name, BufReader::new(stdin()), stdout()).await
            })
        });
    // Exit now: tokio reads stdin on a thread of its own, which a runtime
    // being dropped would wait for until the next key press.
    let code = match result {
        Ok(()) => 0,
        Err(err) => {
            eprintln!("chat-client: {addr}: {}", one_line(&err));
            1
        }
    };
    std::process::exit(code)
}
