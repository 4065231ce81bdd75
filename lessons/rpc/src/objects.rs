//! The remote objects: the name server's own object `ns`, and the two the
//! object server hosts, `calculator` and `counter`. Each is plain Rust
//! behind the [`Object`] trait: the middleware turns a request into a call
//! of `call(method, params)`, and its result into a reply.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::AtomicI64;

use serde_json::Value;

use crate::jsonrpc::{Object, Params, RpcError};

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

impl Object for Names {
    fn call(&self, method: &str, params: &Params) -> Result<Value, RpcError> {
        todo!("ns.{method}{params:?}, the names being {:?}", self.names)
    }
}

/// Step 11. `calculator`: add, subtract, multiply, divide, each of two numbers `a`
/// and `b`.
pub struct Calculator;

impl Object for Calculator {
    fn call(&self, method: &str, params: &Params) -> Result<Value, RpcError> {
        todo!("calculator.{method}{params:?}")
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
        todo!(
            "counter.{method}{params:?}, the count being {:?}",
            self.count
        )
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
