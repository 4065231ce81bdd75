//! Lesson 6, remote objects: the client program (reference solution).
//!
//! Usage: `rpc-client --ns NS_ADDRESS [--timeout SECS] [--repeat N] OBJECT
//! METHOD [ARG...]`, or `rpc-client --ns NS_ADDRESS --list`.
//!
//! OBJECT is a name, found through the name server (`calculator`, or
//! `rpcname:calculator` to say so), or a direct URI that needs no name
//! server (`rpc://127.0.0.1:4000/calculator`). The client calls METHOD on
//! it with the ARGs (each read as JSON when it is JSON, `2` or `[1,2]` or
//! `"x"`, and as a string otherwise), and prints the result as JSON on one line. `--repeat N`
//! makes the same call N times over the one connection, and prints the
//! last result: a measure of what a call costs. A remote error
//! prints its code and message on stderr, and the exit code is 1; any
//! other failure too; a bad command line, 2.
#![warn(missing_docs)]

use std::ffi::OsString;
use std::process::ExitCode;
use std::time::Duration;

use serde_json::{Value, json};

use rpc::cli::{Args, BAD_USAGE, one_line};
use rpc::client::{CallError, Proxy, name_server};

const USAGE: &str = "usage: rpc-client --ns NS_ADDRESS [--timeout SECS] [--repeat N] (OBJECT METHOD [ARG...] | --list)";

/// The command line, read.
struct Options {
    /// Where the name server listens.
    ns: String,
    /// How long to wait to connect, and for each reply.
    timeout: Duration,
    /// How many times to make the call, over one connection.
    repeat: usize,
    /// What to ask.
    call: Call,
}

/// What the client asks.
enum Call {
    /// `--list`: every name the name server knows.
    List,
    /// `OBJECT METHOD ARG...`, each ARG as it was typed.
    Method {
        object: String,
        method: String,
        args: Vec<String>,
    },
}

/// Step 9. An argument: JSON if it reads as JSON, a string otherwise.
fn argument(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|_| json!(text))
}

fn main() -> ExitCode {
    let options = match parse_args(std::env::args_os().skip(1)) {
        Ok(options) => options,
        Err(err) => {
            eprintln!("rpc-client: {err} ({USAGE})");
            return ExitCode::from(BAD_USAGE);
        }
    };
    match run(&options) {
        Ok(value) => {
            println!("{value}");
            ExitCode::SUCCESS
        }
        // The object's own answer, whole: its code, message and data.
        Err(CallError::Remote(e)) => {
            let data = e.data.map(|d| format!(" {d}")).unwrap_or_default();
            eprintln!("rpc-client: error {}: {}{data}", e.code, e.message);
            ExitCode::FAILURE
        }
        Err(err) => {
            eprintln!("rpc-client: {}", one_line(&err));
            ExitCode::FAILURE
        }
    }
}

/// Reads the command line: `Args` does the reading; this says what the
/// arguments mean, and what they are without a flag.
fn parse_args(args: impl IntoIterator<Item = OsString>) -> Result<Options, String> {
    let args = Args::parse(args, &["--ns", "--timeout", "--repeat"], &["--list"])?;
    let call = match (args.switch("--list"), args.rest.as_slice()) {
        (true, []) => Call::List,
        (true, _) => return Err("--list takes no OBJECT".into()),
        (false, [object, method, rest @ ..]) => Call::Method {
            object: object.clone(),
            method: method.clone(),
            args: rest.to_vec(),
        },
        (false, _) => return Err("OBJECT and METHOD are required".into()),
    };
    Ok(Options {
        ns: args
            .value("--ns")
            .ok_or("--ns NS_ADDRESS is required")?
            .to_string(),
        timeout: args.seconds("--timeout", Duration::from_secs(10))?,
        repeat: args.count("--repeat", 1)?,
        call,
    })
}

/// Makes the call (`--repeat` times over the one connection) and returns
/// the last result.
fn run(options: &Options) -> Result<Value, CallError> {
    let Call::Method {
        object,
        method,
        args,
    } = &options.call
    else {
        return name_server(&options.ns, options.timeout).call("list", Value::Null);
    };
    let params: Vec<Value> = args.iter().map(|a| argument(a)).collect();
    let proxy = Proxy::to(object, &options.ns, options.timeout)?;
    let mut last = Value::Null;
    for _ in 0..options.repeat {
        last = proxy.call(method, Value::Array(params.clone()))?;
    }
    Ok(last)
}
