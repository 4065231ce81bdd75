//! The remote objects: the name server's own object `ns`, and the two the
//! object server hosts, `calculator` and `counter`. Each is plain Rust
//! behind the [`Object`] trait: the middleware turns a request into a call
//! of `call(method, params)`, and its result into a reply.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, Ordering};

use serde_json::{Value, json};

use crate::jsonrpc::{Object, Params, RpcError, no_method};

/// The application's error codes: small positive numbers, outside the
/// range -32768 to -32000 that JSON-RPC keeps for itself.
pub mod code {
    /// `ns.register` of a name already taken, without `replace`.
    pub const NAME_TAKEN: i64 = 1;
    /// `ns.lookup` or `ns.unregister` of a name nobody registered.
    pub const UNKNOWN_NAME: i64 = 2;
    /// `calculator.divide` by zero.
    pub const DIVISION_BY_ZERO: i64 = 10;
    /// A result too large for a JSON number.
    pub const OUT_OF_RANGE: i64 = 11;
    /// `ns.register` when the name server holds its most names.
    pub const NAME_SERVER_FULL: i64 = 20;
}

/// The longest object name the name server keeps: names end up in URIs
/// and in other programs' output.
pub const MAX_NAME: usize = 64;
/// The longest URI the name server keeps.
pub const MAX_URI: usize = 256;
/// The most names the name server keeps.
pub const MAX_NAMES: usize = 1000;

/// Steps 6 and 7. `ns`, the name server: names to URIs (`rpc://HOST:PORT/OBJECT`).
#[derive(Default)]
pub struct Names {
    names: Mutex<BTreeMap<String, String>>,
}

/// A name is 1 to 64 letters, digits, `-` and `_`: it ends up in URIs
/// and in other programs' output, so it is kept plain.
fn check_name(name: &str) -> Result<(), RpcError> {
    let plain = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    if name.is_empty() || name.len() > MAX_NAME || !name.chars().all(plain) {
        return Err(RpcError::invalid_params(format!(
            "a name is 1 to {MAX_NAME} letters, digits, - and _; not {name:?}"
        )));
    }
    Ok(())
}

/// A URI is `rpc://...` and short, with no control character: the name
/// server hands it to every client that looks the name up.
fn check_uri(uri: &str) -> Result<(), RpcError> {
    if !uri.starts_with("rpc://") || uri.len() > MAX_URI || uri.chars().any(char::is_control) {
        return Err(RpcError::invalid_params(format!(
            "a URI is rpc://HOST:PORT/OBJECT, at most {MAX_URI} characters; not {uri:?}"
        )));
    }
    Ok(())
}

/// The error for a name nobody registered, the name as data.
fn unknown(name: &str) -> RpcError {
    RpcError::application(
        code::UNKNOWN_NAME,
        format!("no object is registered as {name:?}"),
    )
    .with_data(json!({"name": name}))
}

/// `ns.register(name, uri, replace = false)`: a taken name is refused
/// unless `replace` says otherwise, and the map has a limit.
fn register(names: &mut BTreeMap<String, String>, params: &Params) -> Result<Value, RpcError> {
    params.at_most(&["name", "uri", "replace"])?;
    let (name, uri) = (params.string(0, "name")?, params.string(1, "uri")?);
    let replace = match params.get(2, "replace") {
        None => false,
        Some(Value::Bool(b)) => *b,
        Some(other) => {
            return Err(RpcError::invalid_params(format!(
                "replace must be true or false, not {other}"
            )));
        }
    };
    check_name(name)?;
    check_uri(uri)?;
    if let Some(taken) = names.get(name).filter(|_| !replace) {
        return Err(
            RpcError::application(code::NAME_TAKEN, format!("the name {name:?} is taken"))
                .with_data(json!({"name": name, "uri": taken})),
        );
    }
    if !names.contains_key(name) && names.len() >= MAX_NAMES {
        return Err(RpcError::application(
            code::NAME_SERVER_FULL,
            format!("the name server is full ({MAX_NAMES} names)"),
        ));
    }
    names.insert(name.to_string(), uri.to_string());
    Ok(Value::Null)
}

/// `ns.list(prefix = "")`: every name that starts with `prefix`, with its
/// URI. The map is sorted, so they are one range of it.
fn list(names: &BTreeMap<String, String>, params: &Params) -> Result<Value, RpcError> {
    params.at_most(&["prefix"])?;
    let prefix = match params.get(0, "prefix") {
        None => "",
        Some(_) => params.string(0, "prefix")?,
    };
    let found: serde_json::Map<String, Value> = names
        .range(prefix.to_string()..)
        .take_while(|(name, _)| name.starts_with(prefix))
        .map(|(name, uri)| (name.clone(), json!(uri)))
        .collect();
    Ok(Value::Object(found))
}

impl Object for Names {
    fn call(&self, method: &str, params: &Params) -> Result<Value, RpcError> {
        // A poisoned lock only means a panic elsewhere: the map is whole.
        let mut names = self.names.lock().unwrap_or_else(|e| e.into_inner());
        match method {
            "register" => register(&mut names, params),
            "lookup" => {
                params.at_most(&["name"])?;
                let name = params.string(0, "name")?;
                names
                    .get(name)
                    .map(|uri| json!(uri))
                    .ok_or_else(|| unknown(name))
            }
            "list" => list(&names, params),
            "unregister" => {
                params.at_most(&["name"])?;
                let name = params.string(0, "name")?;
                names
                    .remove(name)
                    .map(|_| Value::Null)
                    .ok_or_else(|| unknown(name))
            }
            _ => Err(no_method("ns", method)),
        }
    }
}

/// A number as JSON: a whole number without `.0` when it is one.
fn number(x: f64) -> Result<Value, RpcError> {
    if !x.is_finite() {
        return Err(RpcError::application(
            code::OUT_OF_RANGE,
            "the result is out of range",
        ));
    }
    // Whole numbers up to 2^53 are exact in an f64: show them as integers.
    if x.fract() == 0.0 && x.abs() < 9_007_199_254_740_992.0 {
        return Ok(json!(x as i64));
    }
    Ok(json!(x))
}

/// Step 11. `calculator`: add, subtract, multiply, divide, each of two numbers `a`
/// and `b`.
pub struct Calculator;

impl Object for Calculator {
    fn call(&self, method: &str, params: &Params) -> Result<Value, RpcError> {
        let op: fn(f64, f64) -> f64 = match method {
            "add" => |a, b| a + b,
            "subtract" => |a, b| a - b,
            "multiply" => |a, b| a * b,
            "divide" => |a, b| a / b,
            _ => return Err(no_method("calculator", method)),
        };
        params.at_most(&["a", "b"])?;
        let (a, b) = (params.number(0, "a")?, params.number(1, "b")?);
        if method == "divide" && b == 0.0 {
            return Err(
                RpcError::application(code::DIVISION_BY_ZERO, "division by zero")
                    .with_data(json!({"a": params.get(0, "a"), "b": params.get(1, "b")})),
            );
        }
        number(op(a, b))
    }
}

/// Step 12. `counter`: one count shared by every client. `increment(by = 1)`
/// returns the new count; `get` returns it.
#[derive(Default)]
pub struct Counter {
    count: AtomicI64,
}

impl Object for Counter {
    fn call(&self, method: &str, params: &Params) -> Result<Value, RpcError> {
        match method {
            "increment" => {
                params.at_most(&["by"])?;
                let by = match params.get(0, "by") {
                    None => 1,
                    Some(v) => v.as_i64().ok_or_else(|| {
                        RpcError::invalid_params(format!("by must be a whole number, not {v}"))
                    })?,
                };
                // One atomic step: two clients incrementing at once both
                // count, and each sees its own new value.
                let before = self.count.fetch_add(by, Ordering::SeqCst);
                Ok(json!(before.wrapping_add(by)))
            }
            "get" => {
                params.at_most(&[])?;
                Ok(json!(self.count.load(Ordering::SeqCst)))
            }
            _ => Err(no_method("counter", method)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jsonrpc::code::{INVALID_PARAMS, METHOD_NOT_FOUND};
    use serde_json::json;

    fn call(object: &dyn Object, method: &str, params: Value) -> Result<Value, RpcError> {
        let params = match params {
            Value::Array(v) => Params::Positional(v),
            Value::Object(m) => Params::Named(m),
            _ => Params::None,
        };
        object.call(method, &params)
    }

    #[test]
    fn step11_the_calculator_computes_and_refuses() {
        let c = Calculator;
        assert_eq!(call(&c, "add", json!([2, 3])).unwrap(), json!(5));
        assert_eq!(
            call(&c, "subtract", json!({"a": 2, "b": 3.5})).unwrap(),
            json!(-1.5)
        );
        assert_eq!(call(&c, "multiply", json!([4, 2.5])).unwrap(), json!(10));
        assert_eq!(call(&c, "divide", json!([1, 4])).unwrap(), json!(0.25));
        let err = call(&c, "divide", json!([1, 0])).unwrap_err();
        assert_eq!(
            (err.code, err.data.is_some()),
            (code::DIVISION_BY_ZERO, true)
        );
        assert_eq!(
            call(&c, "add", json!([1, "2"])).unwrap_err().code,
            INVALID_PARAMS
        );
        assert_eq!(
            call(&c, "add", json!([1])).unwrap_err().code,
            INVALID_PARAMS
        );
        assert_eq!(
            call(&c, "add", json!([1, 2, 3])).unwrap_err().code,
            INVALID_PARAMS
        );
        assert_eq!(
            call(&c, "power", json!([1, 2])).unwrap_err().code,
            METHOD_NOT_FOUND
        );
        assert_eq!(
            call(&c, "multiply", json!([1e308, 10])).unwrap_err().code,
            code::OUT_OF_RANGE
        );
    }

    #[test]
    fn step12_the_counter_is_exact_under_concurrency() {
        let counter = Counter::default();
        std::thread::scope(|s| {
            for _ in 0..8 {
                s.spawn(|| {
                    for _ in 0..1000 {
                        call(&counter, "increment", Value::Null).unwrap();
                    }
                });
            }
        });
        assert_eq!(call(&counter, "get", json!([])).unwrap(), json!(8000));
        assert_eq!(
            call(&counter, "increment", json!({"by": 5})).unwrap(),
            json!(8005)
        );
    }

    #[test]
    fn step6_the_name_server_registers_looks_up_lists_and_forgets() {
        let ns = Names::default();
        let uri = "rpc://127.0.0.1:4000/calculator";
        assert_eq!(
            call(&ns, "register", json!(["calculator", uri])).unwrap(),
            Value::Null
        );
        call(
            &ns,
            "register",
            json!({"name": "counter", "uri": "rpc://127.0.0.1:4000/counter"}),
        )
        .unwrap();
        assert_eq!(
            call(&ns, "lookup", json!(["calculator"])).unwrap(),
            json!(uri)
        );
        assert_eq!(
            call(&ns, "list", json!(["cou"])).unwrap(),
            json!({"counter": "rpc://127.0.0.1:4000/counter"})
        );
        assert_eq!(
            call(&ns, "list", Value::Null)
                .unwrap()
                .as_object()
                .unwrap()
                .len(),
            2
        );
        call(&ns, "unregister", json!(["counter"])).unwrap();
        let gone = call(&ns, "lookup", json!(["counter"])).unwrap_err();
        assert_eq!(gone.code, code::UNKNOWN_NAME);
        assert!(gone.message.contains("counter"), "{}", gone.message);
        let missing = call(&ns, "unregister", json!(["counter"])).unwrap_err();
        assert_eq!(missing.code, code::UNKNOWN_NAME);
        assert_eq!(
            call(&ns, "fly", Value::Null).unwrap_err().code,
            METHOD_NOT_FOUND
        );
    }

    #[test]
    fn step7_taken_names_and_bad_names_are_refused() {
        let ns = Names::default();
        let uri = "rpc://127.0.0.1:4000/calculator";
        call(&ns, "register", json!(["calculator", uri])).unwrap();
        let taken = call(&ns, "register", json!(["calculator", "rpc://x:1/y"])).unwrap_err();
        assert_eq!(taken.code, code::NAME_TAKEN);
        assert!(!crate::jsonrpc::code::RESERVED.contains(&taken.code));
        call(&ns, "register", json!(["calculator", "rpc://x:1/y", true])).unwrap();
        assert_eq!(
            call(&ns, "lookup", json!(["calculator"])).unwrap(),
            json!("rpc://x:1/y")
        );
        for bad in [
            json!(["", uri]),
            json!(["a b", uri]),
            json!(["x", "/etc/passwd"]),
        ] {
            assert_eq!(call(&ns, "register", bad).unwrap_err().code, INVALID_PARAMS);
        }
    }
}
