//! Lesson 6, remote objects: the name server. Given whole: it serves from
//! step 1 on (`serve_connection`), which is all the wire's stages need,
//! and its object `ns` works once `Names` does (steps 6 and 7).
//!
//! Usage: `rpc-ns [--max-clients N] [--idle-timeout SECS] [ADDRESS]`
//! (default `127.0.0.1:9090`, 64 clients, 60 seconds).
//!
//! It binds, prints `listening on ADDRESS`, and serves one remote object,
//! `ns`: `ns.register(name, uri, replace = false)`, `ns.lookup(name)`,
//! `ns.list(prefix = "")`, `ns.unregister(name)`.
#![warn(missing_docs)]

use std::convert::Infallible;
use std::ffi::OsString;
use std::io;
use std::net::TcpListener;
use std::process::ExitCode;
use std::time::Duration;

use rpc::cli::{Args, BAD_USAGE, one_line};
use rpc::objects::Names;
use rpc::server::{Limits, Objects, serve};

const DEFAULT_ADDR: &str = "127.0.0.1:9090";

const USAGE: &str = "usage: rpc-ns [--max-clients N] [--idle-timeout SECS] [ADDRESS]";

/// The command line, read.
struct Options {
    addr: String,
    limits: Limits,
}

fn main() -> ExitCode {
    let options = match parse_args(std::env::args_os().skip(1)) {
        Ok(options) => options,
        Err(err) => {
            eprintln!("rpc-ns: {err} ({USAGE})");
            return ExitCode::from(BAD_USAGE);
        }
    };
    // A server runs until it is killed: `run` returns only on failure.
    let Err(err) = run(&options);
    eprintln!(
        "rpc-ns: cannot listen on {}: {}",
        options.addr,
        one_line(&err)
    );
    ExitCode::FAILURE
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
    let limits = Limits {
        max_clients: args.count("--max-clients", 64)?,
        idle_timeout: args.seconds("--idle-timeout", Duration::from_secs(60))?,
    };
    Ok(Options { addr, limits })
}

/// Binds, announces the address, and serves the name server's one object
/// for ever: `Infallible`, the success type, has no value.
fn run(options: &Options) -> io::Result<Infallible> {
    let listener = TcpListener::bind(&options.addr)?;
    println!("listening on {}", listener.local_addr()?);
    let objects = Objects::default().with("ns", Names::default());
    serve(listener, objects, options.limits.clone())
}
