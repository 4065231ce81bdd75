//! Lesson 6, remote objects: the client program (reference solution).
//!
//! Usage: `rpc-client --ns NS_ADDRESS [--timeout SECS] [--repeat N] OBJECT
//! METHOD [ARG...]`, or `rpc-client --ns NS_ADDRESS --list`.
//!
//! Finds OBJECT through the name server, calls METHOD with the ARGs (each
//! read as JSON when it is JSON, `2` or `[1,2]` or `"x"`, and as a string
//! otherwise), and prints the result as JSON on one line. `--repeat N`
//! makes the same call N times over the one connection, and prints the
//! last result: a measure of what a call costs. A remote error
//! prints its code and message on stderr, and the exit code is 1; any
//! other failure too; a bad command line, 2.

use std::process::ExitCode;
use std::time::Duration;

use serde_json::Value;

use rpc::cli::Args;
use rpc::client::{CallError, Proxy, name_server};

const USAGE: &str = "usage: rpc-client --ns NS_ADDRESS [--timeout SECS] [--repeat N] (OBJECT METHOD [ARG...] | --list)";

/// An argument: JSON if it reads as JSON, a string otherwise.
fn argument(text: &str) -> Value {
    todo!("{text:?} as JSON if it is JSON, as a string otherwise")
}

fn main() -> ExitCode {
    let parsed = Args::parse(
        std::env::args_os().skip(1),
        &["--ns", "--timeout", "--repeat"],
        &["--list"],
    )
    .and_then(|args| {
        let ns = args
            .value("--ns")
            .ok_or("--ns NS_ADDRESS is required")?
            .to_string();
        let timeout = args.seconds("--timeout", Duration::from_secs(10))?;
        args.count("--repeat", 1)?;
        if !args.switch("--list") && args.rest.len() < 2 {
            return Err("OBJECT and METHOD are required".to_string());
        }
        Ok((ns, timeout, args))
    });
    let (ns, timeout, args) = match parsed {
        Ok(parsed) => parsed,
        Err(e) => {
            eprintln!("rpc-client: {e} ({USAGE})");
            return ExitCode::from(2);
        }
    };
    let result = if args.switch("--list") {
        name_server(&ns, timeout).call("list", Value::Null)
    } else {
        let params: Vec<Value> = args.rest[2..].iter().map(|a| argument(a)).collect();
        let repeat = args.count("--repeat", 1).unwrap_or(1);
        Proxy::lookup(&ns, &args.rest[0], timeout).and_then(|proxy| {
            let mut last = Value::Null;
            for _ in 0..repeat {
                last = proxy.call(&args.rest[1], Value::Array(params.clone()))?;
            }
            Ok(last)
        })
    };
    match result {
        Ok(value) => {
            println!("{value}");
            ExitCode::SUCCESS
        }
        Err(CallError::Remote(e)) => {
            let data = e.data.map(|d| format!(" {d}")).unwrap_or_default();
            eprintln!("rpc-client: error {}: {}{data}", e.code, e.message);
            ExitCode::from(1)
        }
        Err(e) => {
            eprintln!("rpc-client: {e}");
            ExitCode::from(1)
        }
    }
}
