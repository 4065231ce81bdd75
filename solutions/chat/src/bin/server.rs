//! Lesson 7, a chat room: the server.
//!
//! Usage: `chat-server [--max-clients N] [--idle-timeout SECS] [ADDRESS]`
//! (default `127.0.0.1:7007`, 10,000 clients, 300 seconds).
//!
//! It prints `listening on IP:PORT` once it listens, serves every client
//! on one runtime of two worker threads, and on SIGTERM or Ctrl-C tells
//! every client, closes, and exits (within 2 seconds). The contract is in
//! the chapter "A chat room on one thread"; the work is in the library
//! (`src/server.rs` and the modules beside it). This file is given.

use std::ffi::OsString;
use std::time::Duration;

use chat::server::{Options, run};

/// The runtime's worker threads: all the clients share them.
const WORKERS: usize = 2;

const USAGE: &str = "usage: chat-server [--max-clients N] [--idle-timeout SECS] [ADDRESS]";

fn main() {
    let options = match parse_args(std::env::args_os().skip(1)) {
        Ok(options) => options,
        Err(err) => {
            eprintln!("chat-server: {err} ({USAGE})");
            std::process::exit(2);
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(WORKERS)
        .enable_all()
        .build();
    let result = match runtime {
        Ok(runtime) => runtime.block_on(run(&options)),
        Err(e) => Err(e),
    };
    if let Err(err) = result {
        eprintln!("chat-server: cannot serve on {}: {err}", options.addr);
        std::process::exit(1);
    }
}

/// Reads the command line (as `OsString`s: the OS does not promise UTF-8).
fn parse_args(args: impl Iterator<Item = OsString>) -> Result<Options, String> {
    let mut options = Options {
        addr: "127.0.0.1:7007".into(),
        max_clients: 10_000,
        idle_timeout: Duration::from_secs(300),
    };
    let mut args = args.map(|arg| {
        arg.into_string()
            .map_err(|arg| format!("{arg:?} is not valid UTF-8"))
    });
    while let Some(arg) = args.next() {
        let arg = arg?;
        let mut value = || args.next().ok_or(format!("{arg} needs a value"))?;
        match arg.as_str() {
            "--max-clients" => {
                let text = value()?;
                options.max_clients = text.parse().ok().filter(|n| *n >= 1).ok_or(format!(
                    "--max-clients takes a whole number from 1 up; got {text:?}"
                ))?;
            }
            "--idle-timeout" => {
                let text = value()?;
                options.idle_timeout = text
                    .parse::<f64>()
                    .ok()
                    .filter(|s| *s > 0.0)
                    .and_then(|s| Duration::try_from_secs_f64(s).ok())
                    .ok_or(format!(
                        "--idle-timeout takes a positive number of seconds; got {text:?}"
                    ))?;
            }
            _ if arg.starts_with("--") => return Err(format!("unknown option {arg}")),
            _ => options.addr = arg,
        }
    }
    Ok(options)
}
