//! Lesson 6, remote objects: the name server (reference solution).
//!
//! Usage: `rpc-ns [--max-clients N] [--idle-timeout SECS] [ADDRESS]`
//! (default `127.0.0.1:9090`, 64 clients, 60 seconds).
//!
//! It binds, prints `listening on ADDRESS`, and serves one remote object,
//! `ns`: `ns.register(name, uri, replace = false)`, `ns.lookup(name)`,
//! `ns.list(prefix = "")`, `ns.unregister(name)`.

use std::net::TcpListener;
use std::process::ExitCode;
use std::time::Duration;

use rpc::cli::Args;
use rpc::objects::Names;
use rpc::server::{Limits, Objects, serve};

const USAGE: &str = "usage: rpc-ns [--max-clients N] [--idle-timeout SECS] [ADDRESS]";

fn main() -> ExitCode {
    let parsed = Args::parse(
        std::env::args_os().skip(1),
        &["--max-clients", "--idle-timeout"],
        &[],
    )
    .and_then(|args| {
        let limits = Limits {
            max_clients: args.count("--max-clients", 64)?,
            idle_timeout: args.seconds("--idle-timeout", Duration::from_secs(60))?,
        };
        match args.rest.as_slice() {
            [] => Ok(("127.0.0.1:9090".to_string(), limits)),
            [addr] => Ok((addr.clone(), limits)),
            _ => Err("one ADDRESS at most".to_string()),
        }
    });
    let (addr, limits) = match parsed {
        Ok(parsed) => parsed,
        Err(e) => {
            eprintln!("rpc-ns: {e} ({USAGE})");
            return ExitCode::from(2);
        }
    };
    let listener = match TcpListener::bind(&addr).and_then(|l| Ok((l.local_addr()?, l))) {
        Ok((local, listener)) => {
            println!("listening on {local}");
            listener
        }
        Err(e) => {
            eprintln!("rpc-ns: cannot listen on {addr}: {e}");
            return ExitCode::from(1);
        }
    };
    serve(
        listener,
        Objects::default().with("ns", Names::default()),
        limits,
    );
    ExitCode::SUCCESS
}
