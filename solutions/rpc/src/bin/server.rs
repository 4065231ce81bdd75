//! Lesson 6, remote objects: the object server (reference solution).
//!
//! Usage: `rpc-server --ns NS_ADDRESS [--max-clients N] [--idle-timeout
//! SECS] [ADDRESS]` (default `127.0.0.1:0`, 64 clients, 60 seconds).
//!
//! It binds, prints `listening on ADDRESS`, registers `calculator` and
//! `counter` on the name server as `rpc://ADDRESS/NAME`, and serves them.
//! On SIGTERM or Ctrl-C it unregisters them, then exits: a name server
//! must not send clients to a server that is gone.

use std::net::{SocketAddr, TcpListener};
use std::process::ExitCode;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use serde_json::json;

use rpc::cli::Args;
use rpc::client::{Proxy, name_server};
use rpc::objects::{Calculator, Counter};
use rpc::server::{Limits, Objects, serve};

const USAGE: &str =
    "usage: rpc-server --ns NS_ADDRESS [--max-clients N] [--idle-timeout SECS] [ADDRESS]";

/// How long a call to the name server may take.
const NS_TIMEOUT: Duration = Duration::from_secs(5);

struct Options {
    ns: String,
    addr: String,
    limits: Limits,
}

fn parse() -> Result<Options, String> {
    let args = Args::parse(
        std::env::args_os().skip(1),
        &["--ns", "--max-clients", "--idle-timeout"],
        &[],
    )?;
    let limits = Limits {
        max_clients: args.count("--max-clients", 64)?,
        idle_timeout: args.seconds("--idle-timeout", Duration::from_secs(60))?,
    };
    let addr = match args.rest.as_slice() {
        [] => "127.0.0.1:0".to_string(),
        [addr] => addr.clone(),
        _ => return Err("one ADDRESS at most".to_string()),
    };
    let ns = args.value("--ns").ok_or("--ns NS_ADDRESS is required")?;
    Ok(Options {
        ns: ns.to_string(),
        addr,
        limits,
    })
}

fn main() -> ExitCode {
    let options = match parse() {
        Ok(options) => options,
        Err(e) => {
            eprintln!("rpc-server: {e} ({USAGE})");
            return ExitCode::from(2);
        }
    };
    let (listener, local) =
        match TcpListener::bind(&options.addr).and_then(|l| Ok((l.local_addr()?, l))) {
            Ok((local, listener)) => (listener, local),
            Err(e) => {
                eprintln!("rpc-server: cannot listen on {}: {e}", options.addr);
                return ExitCode::from(1);
            }
        };
    let objects = Objects::default()
        .with("calculator", Calculator)
        .with("counter", Counter::default());
    let names: Vec<String> = objects.names().map(str::to_string).collect();
    // The handler only sends a message: the real work happens on the main
    // thread, where a network call is safe to make.
    let (stop_tx, stop_rx) = mpsc::channel();
    if let Err(e) = ctrlc::set_handler(move || {
        let _ = stop_tx.send(());
    }) {
        eprintln!("rpc-server: cannot catch signals: {e}");
        return ExitCode::from(1);
    }
    let ns = name_server(&options.ns, NS_TIMEOUT);
    if let Err(e) = register_all(&ns, local, &names) {
        eprintln!("rpc-server: {e} (name server: {})", options.ns);
        return ExitCode::from(1);
    }
    // Announced once the objects can be found: a client that reads the line
    // may look them up at once.
    println!("listening on {local}");
    let limits = options.limits.clone();
    thread::spawn(move || serve(listener, objects, limits));
    let _ = stop_rx.recv();
    unregister_all(&ns, &names);
    ExitCode::SUCCESS
}

/// Registers each object on the name server as `rpc://LOCAL/NAME`,
/// replacing what a server that died without unregistering left there.
fn register_all(ns: &Proxy, local: SocketAddr, names: &[String]) -> Result<(), String> {
    for name in names {
        let uri = format!("rpc://{local}/{name}");
        ns.call("register", json!([name, uri, true]))
            .map_err(|e| format!("cannot register {name}: {e}"))?;
    }
    Ok(())
}

/// Unregisters each object, saying so when one fails: the server stops
/// anyway.
fn unregister_all(ns: &Proxy, names: &[String]) {
    for name in names {
        if let Err(e) = ns.call("unregister", json!([name])) {
            eprintln!("rpc-server: could not unregister {name}: {e}");
        }
    }
}
