//! Lesson 6, remote objects: the object server (reference solution).
//!
//! Usage: `rpc-server --ns NS_ADDRESS [--max-clients N] [--idle-timeout
//! SECS] [ADDRESS]` (default `127.0.0.1:0`, 64 clients, 60 seconds).
//!
//! It binds, registers `calculator` and `counter` on the name server as
//! `rpc://ADDRESS/NAME`, prints `listening on ADDRESS` (so a client
//! started after that line finds them), and serves them.
//! On SIGTERM or Ctrl-C it unregisters them, then exits: a name server
//! must not send clients to a server that is gone.
#![warn(missing_docs)]

use std::ffi::OsString;
use std::net::{SocketAddr, TcpListener};
use std::process::ExitCode;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use serde_json::json;

use rpc::cli::{Args, BAD_USAGE, one_line};
use rpc::client::{Proxy, name_server};
use rpc::objects::{Calculator, Counter};
use rpc::server::{Limits, Objects, serve};

const DEFAULT_ADDR: &str = "127.0.0.1:0";

const USAGE: &str =
    "usage: rpc-server --ns NS_ADDRESS [--max-clients N] [--idle-timeout SECS] [ADDRESS]";

/// How long a call to the name server may take.
const NS_TIMEOUT: Duration = Duration::from_secs(5);

/// The command line, read.
struct Options {
    /// Where the name server listens.
    ns: String,
    addr: String,
    limits: Limits,
}

fn main() -> ExitCode {
    let options = match parse_args(std::env::args_os().skip(1)) {
        Ok(options) => options,
        Err(err) => {
            eprintln!("rpc-server: {err} ({USAGE})");
            return ExitCode::from(BAD_USAGE);
        }
    };
    match run(&options) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("rpc-server: {err}");
            ExitCode::FAILURE
        }
    }
}

/// Reads the command line: `Args` does the reading; this says what the
/// arguments mean, and what they are without a flag.
fn parse_args(args: impl IntoIterator<Item = OsString>) -> Result<Options, String> {
    let args = Args::parse(args, &["--ns", "--max-clients", "--idle-timeout"], &[])?;
    let addr = match args.rest.as_slice() {
        [] => DEFAULT_ADDR.to_string(),
        [addr] => addr.clone(),
        [_, extra, ..] => return Err(format!("one ADDRESS at most (got {extra:?} too)")),
    };
    let ns = args.value("--ns").ok_or("--ns NS_ADDRESS is required")?;
    let limits = Limits {
        max_clients: args.count("--max-clients", 64)?,
        idle_timeout: args.seconds("--idle-timeout", Duration::from_secs(60))?,
    };
    Ok(Options {
        ns: ns.to_string(),
        addr,
        limits,
    })
}

/// Binds, registers the objects, announces the address, and serves until
/// SIGTERM or Ctrl-C; then unregisters them. Unlike the other servers it
/// does return: stopping cleanly is part of its job. An error is the one
/// line `main` prints.
fn run(options: &Options) -> Result<(), String> {
    let listener = TcpListener::bind(&options.addr)
        .map_err(|e| format!("cannot listen on {}: {}", options.addr, one_line(&e)))?;
    let local = listener
        .local_addr()
        .map_err(|e| format!("cannot read the address bound: {}", one_line(&e)))?;
    let objects = Objects::default()
        .with("calculator", Calculator)
        .with("counter", Counter::default());
    let names: Vec<String> = objects.names().map(str::to_string).collect();
    // The handler only sends a message: the real work happens on this
    // thread, where a network call is safe to make.
    let (stop_tx, stop_rx) = mpsc::channel();
    ctrlc::set_handler(move || {
        let _ = stop_tx.send(());
    })
    .map_err(|e| format!("cannot catch signals: {}", one_line(&e)))?;
    let ns = name_server(&options.ns, NS_TIMEOUT);
    register_all(&ns, local, &names).map_err(|e| format!("{e} (name server: {})", options.ns))?;
    // Announced once the objects can be found: a client that reads the line
    // may look them up at once.
    println!("listening on {local}");
    let limits = options.limits.clone();
    thread::spawn(move || serve(listener, objects, limits));
    let _ = stop_rx.recv();
    // A fresh connection to the name server: the one that registered may
    // be long gone, since the name server drops a client idle for its
    // --idle-timeout, and a server runs for hours.
    unregister_all(&name_server(&options.ns, NS_TIMEOUT), &names);
    Ok(())
}

/// Step 10. Registers each object on the name server as `rpc://LOCAL/NAME`,
/// replacing what a server that died without unregistering left there.
fn register_all(ns: &Proxy, local: SocketAddr, names: &[String]) -> Result<(), String> {
    for name in names {
        let uri = format!("rpc://{local}/{name}");
        ns.call("register", json!([name, uri, true]))
            .map_err(|e| format!("cannot register {name}: {}", one_line(&e)))?;
    }
    Ok(())
}

/// Step 13. Unregisters each object, saying so when one fails: the server stops
/// anyway.
fn unregister_all(ns: &Proxy, names: &[String]) {
    for name in names {
        if let Err(e) = ns.call("unregister", json!([name])) {
            eprintln!("rpc-server: could not unregister {name}: {}", one_line(&e));
        }
    }
}
