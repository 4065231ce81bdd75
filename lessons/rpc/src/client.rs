//! The client side: a [`Proxy`] stands for a remote object. Calling a
//! method on it writes a request, waits for the reply with the same id,
//! and hands back the result, or a [`CallError`] that says what went
//! wrong: the object refused (a remote error, whole), the connection broke,
//! the reply did not come in time, or the reply broke the protocol.
//!
//! The proxy finds its object through the name server, connects on its
//! first call, and keeps that one connection for every call after.

use std::fmt;
use std::io::{self, BufRead, BufReader, Write};
use std::net::TcpStream;
use std::sync::Mutex;
use std::time::Duration;

use serde_json::{Value, json};

use crate::jsonrpc::RpcError;

/// Why a call gave no result.
#[derive(Debug)]
pub enum CallError {
    /// The object answered with an error: its code, message and data.
    Remote(RpcError),
    /// No connection, or it broke.
    Connection(io::Error),
    /// No reply within the timeout. The call may still have happened.
    Timeout,
    /// The reply was not JSON-RPC, or not the reply to this call.
    Protocol(String),
}

impl fmt::Display for CallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // What caused it is `source`'s to tell (`cli::one_line` prints
            // the chain): saying it here too would say it twice.
            CallError::Remote(_) => f.write_str("remote error"),
            CallError::Connection(_) => f.write_str("connection failed"),
            CallError::Timeout => f.write_str("no reply in time (the call may have happened)"),
            CallError::Protocol(what) => write!(f, "protocol error: {what}"),
        }
    }
}

/// A `CallError` is an error like any other: `?` can turn it into a
/// `Box<dyn Error>`, and what caused it stays reachable through `source`.
impl std::error::Error for CallError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            CallError::Remote(e) => Some(e),
            CallError::Connection(e) => Some(e),
            CallError::Timeout | CallError::Protocol(_) => None,
        }
    }
}

impl From<RpcError> for CallError {
    fn from(e: RpcError) -> Self {
        CallError::Remote(e)
    }
}

fn io_error(e: io::Error) -> CallError {
    match e.kind() {
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => CallError::Timeout,
        _ => CallError::Connection(e),
    }
}

/// One connection to a server, speaking JSON-RPC line by line.
#[derive(Debug)]
pub struct Connection {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    next_id: u64,
}

impl Connection {
    /// Step 8. Connects to `addr` (a name or an address, with its port), each
    /// address with `timeout`, which then bounds every reply too.
    pub fn open(addr: &str, timeout: Duration) -> Result<Connection, CallError> {
        todo!("connect to {addr} within {timeout:?}, with read and write timeouts and TCP_NODELAY")
    }

    /// Writes one message, whole, in one write.
    pub fn send(&mut self, message: &Value) -> Result<(), CallError> {
        let mut line = message.to_string();
        line.push('\n');
        self.writer.write_all(line.as_bytes()).map_err(io_error)
    }

    /// Reads one message: the next line, as JSON.
    pub fn receive(&mut self) -> Result<Value, CallError> {
        let mut line = String::new();
        let n = self.reader.read_line(&mut line).map_err(io_error)?;
        if n == 0 {
            return Err(CallError::Connection(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the server closed the connection",
            )));
        }
        serde_json::from_str(&line)
            .map_err(|e| CallError::Protocol(format!("the reply is not JSON: {e}")))
    }

    /// Step 8. Calls `method` (`OBJECT.METHOD`) with `params` (an array, an
    /// object, or null: then the request has no `params` member at all, as
    /// JSON-RPC wants) and waits for its result.
    pub fn call(&mut self, method: &str, params: Value) -> Result<Value, CallError> {
        todo!(
            "send {method} {params} as request {}, and read its reply",
            self.next_id
        )
    }

    /// Step 14. Sends `method` as a notification: no id, and no reply to wait for.
    pub fn notify(&mut self, method: &str, params: Value) -> Result<(), CallError> {
        todo!("send {method} {params} without an id")
    }

    /// Step 14. Sends every call in one batch, in one write; returns their outcomes
    /// in the same order, whatever order the replies came in.
    pub fn batch(
        &mut self,
        calls: &[(&str, Value)],
    ) -> Result<Vec<Result<Value, CallError>>, CallError> {
        todo!(
            "send {} calls in one batch, and match the replies by id",
            calls.len()
        )
    }
}

/// Step 9. Where an object lives: `rpc://HOST:PORT/OBJECT`.
pub fn parse_uri(uri: &str) -> Result<(String, String), CallError> {
    todo!("take {uri:?} apart: rpc://HOST:PORT/OBJECT")
}

/// The prefix of an indirect name: `rpcname:calculator` is "whatever the
/// name server calls calculator", where `rpc://HOST:PORT/OBJECT` is an
/// address. Pyro spells the two `PYRONAME:` and `PYRO:`.
pub const INDIRECT: &str = "rpcname:";

/// A stand-in for a remote object. Method calls on it go over the network.
#[derive(Debug)]
pub struct Proxy {
    addr: String,
    object: String,
    timeout: Duration,
    /// Opened on the first call, then kept; dropped when it breaks, so the
    /// next call connects again.
    conn: Mutex<Option<Connection>>,
}

impl Proxy {
    /// A proxy for the object at `uri`; nothing is connected yet.
    pub fn at(uri: &str, timeout: Duration) -> Result<Proxy, CallError> {
        let (addr, object) = parse_uri(uri)?;
        Ok(Proxy {
            addr,
            object,
            timeout,
            conn: Mutex::new(None),
        })
    }

    /// Step 9. A proxy for the object registered as `name` on the name server at
    /// `ns`.
    pub fn lookup(ns: &str, name: &str, timeout: Duration) -> Result<Proxy, CallError> {
        todo!("ask the name server at {ns} (timeout {timeout:?}) where {name} is")
    }

    /// Step 9. A proxy for `target` as a user writes it: a direct URI
    /// (`rpc://HOST:PORT/OBJECT`), which needs no name server; an indirect
    /// name (`rpcname:NAME`), resolved through the name server at `ns`; or a
    /// bare `NAME`, short for `rpcname:NAME`.
    pub fn to(target: &str, ns: &str, timeout: Duration) -> Result<Proxy, CallError> {
        todo!(
            "a proxy for {target:?}: rpc://… at once, rpcname:NAME or NAME through the name server at {ns} (timeout {timeout:?})"
        )
    }

    /// Step 8. Runs `f` on the connection, opening it first if need be.
    fn with<T>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, CallError>,
    ) -> Result<T, CallError> {
        todo!(
            "connect to {} (timeout {:?}) on the first call, keep the connection in {:?}, run {} on it, drop it when it fails",
            self.addr,
            self.timeout,
            self.conn.lock().map(|c| c.is_some()),
            std::any::type_name_of_val(&f)
        )
    }

    /// Calls `method` on the object with `params`.
    pub fn call(&self, method: &str, params: Value) -> Result<Value, CallError> {
        let method = format!("{}.{method}", self.object);
        self.with(|c| c.call(&method, params))
    }

    /// Calls `method` without waiting for (or getting) a result.
    pub fn notify(&self, method: &str, params: Value) -> Result<(), CallError> {
        let method = format!("{}.{method}", self.object);
        self.with(|c| c.notify(&method, params))
    }

    /// Calls each `(method, params)` in one batch.
    pub fn batch(
        &self,
        calls: &[(&str, Value)],
    ) -> Result<Vec<Result<Value, CallError>>, CallError> {
        let named: Vec<(String, Value)> = calls
            .iter()
            .map(|(m, p)| (format!("{}.{m}", self.object), p.clone()))
            .collect();
        let calls: Vec<(&str, Value)> =
            named.iter().map(|(m, p)| (m.as_str(), p.clone())).collect();
        self.with(|c| c.batch(&calls))
    }
}

/// A proxy for the name server itself: its object is `ns`.
pub fn name_server(ns: &str, timeout: Duration) -> Proxy {
    Proxy {
        addr: ns.to_string(),
        object: "ns".to_string(),
        timeout,
        conn: Mutex::new(None),
    }
}

/// What a calculator does, wherever it is: the real one in
/// [`crate::objects::Calculator`], or a [`CalculatorProxy`] to a remote
/// one. Code written against this trait runs the same with either.
pub trait Calculator {
    /// `a + b`.
    fn add(&self, a: f64, b: f64) -> Result<f64, CallError>;
    /// `a - b`.
    fn subtract(&self, a: f64, b: f64) -> Result<f64, CallError>;
    /// `a * b`.
    fn multiply(&self, a: f64, b: f64) -> Result<f64, CallError>;
    /// `a / b`; dividing by zero is an error, not infinity.
    fn divide(&self, a: f64, b: f64) -> Result<f64, CallError>;
}

/// A typed proxy: a [`Calculator`] whose methods are remote calls.
pub struct CalculatorProxy(pub Proxy);

impl CalculatorProxy {
    /// Step 14. One operation, through the proxy: a number back.
    fn op(&self, method: &str, a: f64, b: f64) -> Result<f64, CallError> {
        todo!("call {method}({a}, {b}) through {}", self.0.object)
    }
}

impl Calculator for CalculatorProxy {
    fn add(&self, a: f64, b: f64) -> Result<f64, CallError> {
        self.op("add", a, b)
    }
    fn subtract(&self, a: f64, b: f64) -> Result<f64, CallError> {
        self.op("subtract", a, b)
    }
    fn multiply(&self, a: f64, b: f64) -> Result<f64, CallError> {
        self.op("multiply", a, b)
    }
    fn divide(&self, a: f64, b: f64) -> Result<f64, CallError> {
        self.op("divide", a, b)
    }
}

/// The real calculator is a [`Calculator`] too: its methods are plain
/// calls, through the same `Object::call` the server makes.
impl Calculator for crate::objects::Calculator {
    fn add(&self, a: f64, b: f64) -> Result<f64, CallError> {
        local(self, "add", a, b)
    }
    fn subtract(&self, a: f64, b: f64) -> Result<f64, CallError> {
        local(self, "subtract", a, b)
    }
    fn multiply(&self, a: f64, b: f64) -> Result<f64, CallError> {
        local(self, "multiply", a, b)
    }
    fn divide(&self, a: f64, b: f64) -> Result<f64, CallError> {
        local(self, "divide", a, b)
    }
}

fn local(
    calc: &crate::objects::Calculator,
    method: &str,
    a: f64,
    b: f64,
) -> Result<f64, CallError> {
    use crate::jsonrpc::{Object, Params};
    let result = calc.call(method, &Params::Positional(vec![json!(a), json!(b)]))?;
    Ok(result.as_f64().unwrap_or(f64::NAN))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::objects::{Calculator as RealCalculator, Counter, Names};
    use crate::server::{Limits, Objects, serve};
    use std::net::TcpListener;

    fn start(objects: Objects) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        std::thread::spawn(move || serve(listener, objects, Limits::default()));
        addr
    }

    const T: Duration = Duration::from_secs(5);

    /// Written once, against the trait: it cannot tell where the
    /// calculator is.
    fn mean(calc: &impl Calculator, xs: &[f64]) -> Result<f64, CallError> {
        let mut sum = 0.0;
        for x in xs {
            sum = calc.add(sum, *x)?;
        }
        calc.divide(sum, xs.len() as f64)
    }

    #[test]
    fn step8_calls_go_over_one_kept_connection() {
        let ns = start(Objects::default().with("ns", Names::default()));
        let proxy = name_server(&ns, T);
        assert_eq!(proxy.call("list", Value::Null).unwrap(), json!({}));
        let uri = "rpc://127.0.0.1:1/x";
        assert_eq!(
            proxy.call("register", json!(["x", uri])).unwrap(),
            Value::Null
        );
        assert_eq!(
            proxy.call("list", json!([""])).unwrap(),
            json!({ "x": uri })
        );
        assert_eq!(proxy.call("lookup", json!(["x"])).unwrap(), json!(uri));
    }

    #[test]
    fn step14_the_same_code_runs_locally_and_remotely() {
        let ns = start(Objects::default().with("ns", Names::default()));
        let server = start(Objects::default().with("calculator", RealCalculator));
        name_server(&ns, T)
            .call(
                "register",
                json!(["calculator", format!("rpc://{server}/calculator")]),
            )
            .unwrap();
        let remote = CalculatorProxy(Proxy::lookup(&ns, "calculator", T).unwrap());
        let xs = [1.0, 2.0, 4.5];
        assert_eq!(
            mean(&RealCalculator, &xs).unwrap(),
            mean(&remote, &xs).unwrap()
        );
        // A remote error comes back whole.
        match remote.divide(1.0, 0.0) {
            Err(CallError::Remote(e)) => {
                assert_eq!(e.code, crate::objects::code::DIVISION_BY_ZERO);
                assert!(e.data.is_some());
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn step14_one_connection_for_many_calls_notifications_and_batches() {
        let server = start(Objects::default().with("counter", Counter::default()));
        let counter = Proxy::at(&format!("rpc://{server}/counter"), T).unwrap();
        for i in 1..=100 {
            assert_eq!(counter.call("increment", Value::Null).unwrap(), json!(i));
        }
        counter.notify("increment", json!([10])).unwrap();
        let results = counter
            .batch(&[
                ("get", Value::Null),
                ("increment", json!({"by": 2})),
                ("nope", Value::Null),
            ])
            .unwrap();
        assert_eq!(results[0].as_ref().unwrap(), &json!(110));
        assert_eq!(results[1].as_ref().unwrap(), &json!(112));
        assert!(matches!(results[2], Err(CallError::Remote(_))));
    }

    #[test]
    fn step9_an_unknown_name_and_a_dead_server_are_told_apart() {
        let ns = start(Objects::default().with("ns", Names::default()));
        match Proxy::lookup(&ns, "nobody", T) {
            Err(CallError::Remote(e)) => {
                assert_eq!(e.code, crate::objects::code::UNKNOWN_NAME);
                assert!(e.message.contains("nobody"));
            }
            other => panic!("{:?}", other.err()),
        }
        // The connection survives a remote error.
        let names = name_server(&ns, T);
        assert!(matches!(
            names.call("lookup", json!(["nobody"])),
            Err(CallError::Remote(_))
        ));
        assert_eq!(names.call("list", Value::Null).unwrap(), json!({}));
        let closed = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        let gone = Proxy::at(&format!("rpc://{closed}/x"), T).unwrap();
        assert!(matches!(
            gone.call("y", Value::Null),
            Err(CallError::Connection(_))
        ));
        assert!(parse_uri("http://x/y").is_err());
        assert!(Proxy::to("rpcname:", &ns, T).is_err());
    }

    #[test]
    fn step9_direct_uris_and_indirect_names() {
        let ns = start(Objects::default().with("ns", Names::default()));
        // The remote object: another name server's `ns`, with one name in
        // it (the calculator comes at step 11, this test at step 9).
        let server = start(Objects::default().with("ns", Names::default()));
        let uri = format!("rpc://{server}/ns");
        name_server(&server, T)
            .call("register", json!(["x", "rpc://127.0.0.1:1/x"]))
            .unwrap();
        name_server(&ns, T)
            .call("register", json!(["calc", uri]))
            .unwrap();
        let one = json!({ "x": "rpc://127.0.0.1:1/x" });
        for target in ["rpcname:calc", "calc"] {
            let proxy = Proxy::to(target, &ns, T).unwrap();
            assert_eq!(proxy.call("list", Value::Null).unwrap(), one);
        }
        // A direct URI needs no name server: this one listens nowhere.
        let closed = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        let direct = Proxy::to(&uri, &closed.to_string(), T).unwrap();
        assert_eq!(direct.call("list", Value::Null).unwrap(), one);
        // The prefix is not part of the name.
        assert!(matches!(
            Proxy::to("rpcname:rpcname:calc", &ns, T),
            Err(CallError::Remote(_))
        ));
    }

    /// The round trip of each of `n` sends of `line` to a bare server that
    /// echoes lines back: what a call costs with no RPC at all.
    fn raw_ping_pong(line: &str, n: usize) -> Vec<Duration> {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            let (stream, _) = listener.accept().unwrap();
            stream.set_nodelay(true).unwrap();
            let mut out = stream.try_clone().unwrap();
            let mut reader = BufReader::new(stream);
            let mut buf = String::new();
            while reader.read_line(&mut buf).unwrap_or(0) > 0 {
                out.write_all(buf.as_bytes()).unwrap();
                buf.clear();
            }
        });
        let mut raw = TcpStream::connect(addr).unwrap();
        raw.set_nodelay(true).unwrap();
        let mut reader = BufReader::new(raw.try_clone().unwrap());
        let mut rtts = Vec::with_capacity(n);
        let mut echo = String::new();
        for _ in 0..n {
            let t = std::time::Instant::now();
            raw.write_all(line.as_bytes()).unwrap();
            echo.clear();
            reader.read_line(&mut echo).unwrap();
            rtts.push(t.elapsed());
        }
        rtts
    }

    /// The figures `just bench-rpc` prints: calls on one connection, one
    /// at a time and in batches of 100, beside a raw ping-pong of lines of
    /// the same size. Ignored by a plain `cargo test`: it measures, in a
    /// release build, and asserts nothing about speed.
    #[test]
    #[ignore]
    fn bench_calls_batches_and_raw_ping_pong() {
        const N: usize = 20_000;
        let server = start(Objects::default().with("calculator", RealCalculator));
        let calc = Proxy::at(&format!("rpc://{server}/calculator"), T).unwrap();
        calc.call("add", json!([1, 2])).unwrap(); // connect, warm up
        let mut rtts = Vec::with_capacity(N);
        let start = std::time::Instant::now();
        for i in 0..N {
            let t = std::time::Instant::now();
            calc.call("add", json!([i, 2])).unwrap();
            rtts.push(t.elapsed());
        }
        let calls = N as f64 / start.elapsed().as_secs_f64();
        let batch: Vec<(&str, Value)> = (0..100).map(|i| ("add", json!([i, 2]))).collect();
        let start = std::time::Instant::now();
        for _ in 0..N / 100 {
            calc.batch(&batch).unwrap();
        }
        let batched = N as f64 / start.elapsed().as_secs_f64();

        // A raw ping-pong: the same request line, echoed by a bare server.
        let line = format!(
            "{}\n",
            json!({"jsonrpc": "2.0", "id": 12345, "method": "calculator.add", "params": [12345, 2]})
        );
        let mut raw_rtts = raw_ping_pong(&line, N);
        let raw_rate = N as f64 / raw_rtts.iter().sum::<Duration>().as_secs_f64();
        let pct = |v: &mut Vec<Duration>, p: usize| {
            v.sort();
            v[(v.len() * p / 100).min(v.len() - 1)].as_secs_f64() * 1e6
        };
        let (p50, p99) = (pct(&mut rtts, 50), pct(&mut rtts, 99));
        let (raw50, raw99) = (pct(&mut raw_rtts, 50), pct(&mut raw_rtts, 99));
        println!("message: {} bytes; {N} calls on one connection", line.len());
        println!(
            "{:<28} {:>12} {:>10} {:>10}",
            "", "calls/s", "p50 (us)", "p99 (us)"
        );
        println!(
            "{:<28} {calls:>12.0} {p50:>10.1} {p99:>10.1}",
            "rpc calls, one at a time"
        );
        println!(
            "{:<28} {batched:>12.0} {:>10} {:>10}",
            "rpc calls, batches of 100", "-", "-"
        );
        println!(
            "{:<28} {raw_rate:>12.0} {raw50:>10.1} {raw99:>10.1}",
            "raw TCP line ping-pong"
        );
        println!(
            "p50 rpc / p50 raw: {:.2}x (goal: at most 1.5x)",
            p50 / raw50
        );
        println!("RPC_CALLS_PER_SEC={calls:.0} RPC_BATCHED_PER_SEC={batched:.0}");
    }
}
