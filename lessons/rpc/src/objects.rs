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

/// `calculator`: add, subtract, multiply, divide, each of two numbers `a`
/// and `b`.
pub struct Calculator;

impl Object for Calculator {
    fn call(&self, method: &str, params: &Params) -> Result<Value, RpcError> {
        todo!("calculator.{method}{params:?}")
    }
}

/// `counter`: one count shared by every client. `increment(by = 1)`
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

/// `ns`, the name server: names to URIs (`rpc://HOST:PORT/OBJECT`).
#[derive(Default)]
pub struct Names {
    names: Mutex<BTreeMap<String, String>>,
}

impl Object for Names {
    fn call(&self, method: &str, params: &Params) -> Result<Value, RpcError> {
        todo!("ns.{method}{params:?}, the names being {:?}", self.names)
    }
}
