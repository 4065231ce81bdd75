//! Lesson 7, a chat room: the server.
//!
//! Usage: `chat-server [--max-clients N] [--idle-timeout SECS] [ADDRESS]`
//! (default `127.0.0.1:7007`, 10,000 clients, 300 seconds).
//!
//! It prints `listening on IP:PORT` once it listens, serves every client
//! on one runtime of two worker threads, and on SIGTERM or Ctrl-C tells
//! every client, closes, and exits (within 2 seconds). The contract is in
//! the chapter "Many clients on one thread: a chat room"; the work is in
//! the library (`src/server.rs` and the modules beside it). This file is
//! given.
#![warn(missing_docs)]

use std::ffi::OsString;
use std::process::ExitCode;
use std::time::Duration;

use chat::cli::{Args, BAD_USAGE, one_line};
use chat::server::{Options, run};

/// The runtime's worker threads: all the clients share them.
const WORKERS: usize = 2;

/// Where it listens when no ADDRESS is given.
const DEFAULT_ADDR: &str = "127.0.0.1:7007";

const USAGE: &str = "usage: chat-server [--max-clients N] [--idle-timeout SECS] [ADDRESS]";

fn main() -> ExitCode {
    let options = match parse_args(std::env::args_os().skip(1)) {
        Ok(options) => options,
        Err(err) => {
            eprintln!("chat-server: {err} ({USAGE})");
            return ExitCode::from(BAD_USAGE);
        }
    };
    // One runtime, a fixed number of threads, however many clients.
    let served = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(WORKERS)
        .enable_all()
        .build()
        .and_then(|runtime| runtime.block_on(run(&options)));
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!(
                "chat-server: cannot serve on {}: {}",
                options.addr,
                one_line(&err)
            );
            ExitCode::FAILURE
        }
    }
}

/// Reads the command line: `Args` does the reading; this says what the
/// arguments mean, and what they are without a flag.
fn parse_args(args: impl IntoIterator<Item = OsString>) -> Result<Options, String> {
    let args = Args::parse(args, &["--max-clients", "--idle-timeout"], &[])?;
    let addr = match args.rest.as_slice() {
        [] => DEFAULT_ADDR.to_string(),
        [addr] => addr.clone(),
        [_, extra, ..] => return Err(format!("one ADDRESS at most (got {extra:?} too)")),
    };
    Ok(Options {
        addr,
        max_clients: args.count("--max-clients", 10_000)?,
        idle_timeout: args.seconds("--idle-timeout", Duration::from_secs(300))?,
    })
}
