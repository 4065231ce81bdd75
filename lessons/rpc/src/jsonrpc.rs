//! The wire: JSON-RPC 2.0 (<https://www.jsonrpc.org/specification>), one
//! JSON message per line.
//!
//! ```text
//! → {"jsonrpc":"2.0","id":1,"method":"calculator.add","params":[2,3]}
//! ← {"jsonrpc":"2.0","id":1,"result":5}
//! → {"jsonrpc":"2.0","method":"counter.increment"}          a notification: no id, no reply
//! → [{"jsonrpc":"2.0","id":"a","method":"counter.get"}, …]  a batch: an array of requests
//! ```
//!
//! JSON writes a newline inside a string as `\n`, so a raw newline never
//! appears inside a message: it can end one safely. Everything that
//! arrives is data: it is checked against these rules, then matched
//! against the methods the server knows. Nothing in it is executed, or
//! used as a file name.

use serde_json::{Map, Value, json};

/// The longest line read, newline included: 1 MiB.
pub const MAX_LINE: usize = 1 << 20;
/// The deepest nesting of arrays and objects accepted in a message.
pub const MAX_DEPTH: usize = 32;
/// The most requests in one batch.
pub const MAX_BATCH: usize = 100;

/// The error codes JSON-RPC 2.0 defines. It reserves -32768 to -32000
/// for itself: the five below, and -32000 to -32099 for errors of the
/// server program (not of its objects). An application's own errors use
/// any other integer: see `objects::code`.
pub mod code {
    /// The line is not JSON.
    pub const PARSE_ERROR: i64 = -32700;
    /// JSON, but not a request.
    pub const INVALID_REQUEST: i64 = -32600;
    /// No such object, or no such method on it.
    pub const METHOD_NOT_FOUND: i64 = -32601;
    /// The method exists, but not with these parameters.
    pub const INVALID_PARAMS: i64 = -32602;
    /// The server failed (a method panicked): not the caller's fault.
    pub const INTERNAL_ERROR: i64 = -32603;
    /// A server error (from the range JSON-RPC leaves to implementations):
    /// too many clients at once.
    pub const SERVER_BUSY: i64 = -32099;
    /// Every code JSON-RPC keeps for itself: never an application's.
    pub const RESERVED: std::ops::RangeInclusive<i64> = -32768..=-32000;
}

/// An error as JSON-RPC carries it: a code, a message, maybe data.
#[derive(Clone, Debug, PartialEq)]
pub struct RpcError {
    /// What kind of error: one of [`code`], or the application's own.
    pub code: i64,
    /// One sentence for a person.
    pub message: String,
    /// Anything more, for a program: the values at fault, say.
    pub data: Option<Value>,
}

impl RpcError {
    /// An error with `code` and `message`, and no data.
    pub fn new(code: i64, message: impl Into<String>) -> RpcError {
        RpcError {
            code,
            message: message.into(),
            data: None,
        }
    }

    /// The same error, with `data` that says more. It returns the error
    /// rather than changing it: dropping what it returns drops the error.
    #[must_use]
    pub fn with_data(mut self, data: Value) -> RpcError {
        self.data = Some(data);
        self
    }

    /// The parameters are wrong: `message` says which and why.
    pub fn invalid_params(message: impl Into<String>) -> RpcError {
        RpcError::new(code::INVALID_PARAMS, message)
    }

    /// An error of the application's own: its code lies outside
    /// [`code::RESERVED`].
    pub fn application(code: i64, message: impl Into<String>) -> RpcError {
        debug_assert!(!code::RESERVED.contains(&code), "{code} is reserved");
        RpcError::new(code, message)
    }

    fn to_json(&self) -> Value {
        let mut error = json!({"code": self.code, "message": self.message});
        if let Some(data) = &self.data {
            error["data"] = data.clone();
        }
        error
    }
}

impl std::fmt::Display for RpcError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.message, self.code)
    }
}

impl std::error::Error for RpcError {}

/// A request's parameters: by position, by name, or none.
#[derive(Clone, Debug, PartialEq)]
pub enum Params {
    /// No `params` member at all.
    None,
    /// An array: `[2, 3]`.
    Positional(Vec<Value>),
    /// An object: `{"a": 2, "b": 3}`.
    Named(Map<String, Value>),
}

impl Params {
    /// Parameter `name`, or the one at `position`: whichever way the
    /// caller gave them. `None` when it is missing.
    pub fn get(&self, position: usize, name: &str) -> Option<&Value> {
        match self {
            Params::None => None,
            Params::Positional(values) => values.get(position),
            Params::Named(map) => map.get(name),
        }
    }

    /// How many were given.
    pub fn len(&self) -> usize {
        match self {
            Params::None => 0,
            Params::Positional(values) => values.len(),
            Params::Named(map) => map.len(),
        }
    }

    /// Whether none were given.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Parameter `name` (or at `position`) as a number.
    pub fn number(&self, position: usize, name: &str) -> Result<f64, RpcError> {
        match self.get(position, name) {
            Some(Value::Number(n)) => n
                .as_f64()
                .ok_or_else(|| RpcError::invalid_params(format!("{name} is out of range"))),
            Some(other) => Err(RpcError::invalid_params(format!(
                "{name} must be a number, not {other}"
            ))),
            None => Err(RpcError::invalid_params(format!("{name} is missing"))),
        }
    }

    /// Parameter `name` (or at `position`) as a string.
    pub fn string(&self, position: usize, name: &str) -> Result<&str, RpcError> {
        match self.get(position, name) {
            Some(Value::String(s)) => Ok(s),
            Some(other) => Err(RpcError::invalid_params(format!(
                "{name} must be a string, not {other}"
            ))),
            None => Err(RpcError::invalid_params(format!("{name} is missing"))),
        }
    }

    /// At most `n` parameters, and by name only those in `names`.
    pub fn at_most(&self, names: &[&str]) -> Result<(), RpcError> {
        match self {
            Params::Positional(values) if values.len() > names.len() => Err(
                RpcError::invalid_params(format!("at most {} parameters", names.len())),
            ),
            Params::Named(map) => match map.keys().find(|k| !names.contains(&k.as_str())) {
                Some(unknown) => Err(RpcError::invalid_params(format!(
                    "no parameter named {unknown:?}"
                ))),
                None => Ok(()),
            },
            _ => Ok(()),
        }
    }
}

/// One request, checked: a call (with an id) or a notification (none).
#[derive(Clone, Debug, PartialEq)]
pub struct Request {
    /// `None` for a notification, which gets no reply. Otherwise a string,
    /// a number or null, echoed back exactly as it came.
    pub id: Option<Value>,
    /// `OBJECT.METHOD`, as the caller wrote it.
    pub method: String,
    /// The parameters, checked to be an array, an object, or absent.
    pub params: Params,
}

/// What a line held, once read.
#[derive(Debug, PartialEq)]
pub enum Incoming {
    /// One request, or the error reply it gets.
    One(Result<Request, Value>),
    /// A batch: each request, or the error reply it gets, in order.
    Batch(Vec<Result<Request, Value>>),
}

/// A success reply to the request with `id`.
pub fn success(id: &Value, result: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "result": result})
}

/// An error reply to the request with `id` (null when it could not be
/// read).
pub fn failure(id: &Value, error: &RpcError) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "error": error.to_json()})
}

/// How deep arrays and objects nest in `value` (a number is 0, `[]` 1).
pub fn depth(value: &Value) -> usize {
    match value {
        Value::Array(items) => 1 + items.iter().map(depth).max().unwrap_or(0),
        Value::Object(map) => 1 + map.values().map(depth).max().unwrap_or(0),
        _ => 0,
    }
}

/// Something that answers calls: a remote object.
pub trait Object: Send + Sync {
    /// Calls `method` (without the object's name) with `params`.
    fn call(&self, method: &str, params: &Params) -> Result<Value, RpcError>;
}

/// A method that does not exist on an object.
pub fn no_method(object: &str, method: &str) -> RpcError {
    RpcError::new(
        code::METHOD_NOT_FOUND,
        format!("{object} has no method {method:?}"),
    )
}

/// Step 2. Reads one line (without its newline) as JSON: the value, or
/// the -32700 error reply it gets (id null: there is no telling which
/// request it was).
pub fn parse(line: &str) -> Result<Value, Value> {
    todo!("parse {line:?} as JSON, or the -32700 reply with id null")
}

/// Step 2. The reply line (without its newline) to a whole line, or
/// `None` when nothing is owed: a notification, or a batch of
/// notifications only. It parses the line, reads what it holds, and
/// answers each request with `object_of(name)`.
pub fn reply_to<'a>(
    line: &str,
    object_of: impl Fn(&str) -> Option<&'a dyn Object>,
) -> Option<String> {
    todo!(
        "the reply line to {line:?}: parse, read, answer with the objects {} finds; None when none is owed",
        std::any::type_name_of_val(&object_of)
    )
}

/// Step 3. What a JSON value holds: one request or a batch, each checked
/// against the rules (an error reply with id null for what breaks one),
/// within the limits on nesting and on a batch's length.
pub fn read(value: Value) -> Incoming {
    todo!(
        "check a value {} levels deep: one request or a batch, each against the rules",
        depth(&value)
    )
}

/// Step 4. Answers a checked request with `object_of(name)`: the reply,
/// or `None` for a notification. A method is `OBJECT.METHOD`. A panic in a
/// method is an internal error, not the end of the server.
pub fn answer<'a>(
    request: &Request,
    object_of: impl Fn(&str) -> Option<&'a dyn Object>,
) -> Option<Value> {
    todo!(
        "call {} on the object {} finds; no reply for a notification",
        request.method,
        std::any::type_name_of_val(&object_of)
    )
}

#[cfg(test)]
mod tests {
    //! In the order of the steps: each test fails as "not yet implemented"
    //! until its step is written. `cargo test -p rpc jsonrpc` runs them.
    use super::*;

    /// A test object: `echo.back(x)` returns x; `echo.boom()` panics.
    struct Echo;

    impl Object for Echo {
        fn call(&self, method: &str, params: &Params) -> Result<Value, RpcError> {
            match method {
                "back" => params
                    .get(0, "x")
                    .cloned()
                    .ok_or_else(|| RpcError::invalid_params("x is missing")),
                "boom" => panic!("a bug in a method"),
                _ => Err(no_method("echo", method)),
            }
        }
    }

    fn reply(line: &str) -> Option<Value> {
        reply_to(line, |name| {
            (name == "echo").then_some(&Echo as &dyn Object)
        })
        .map(|text| serde_json::from_str(&text).unwrap())
    }

    fn code_of(line: &str) -> Value {
        reply(line).unwrap()["error"]["code"].clone()
    }

    #[test]
    fn step2_a_line_that_is_not_json_gets_a_parse_error() {
        for line in ["{not json", r#"{"jsonrpc":"2.0","method":"#, "[1,", "x"] {
            let reply = reply(line).unwrap();
            assert_eq!(reply["error"]["code"], code::PARSE_ERROR, "{line}");
            assert_eq!(reply["id"], Value::Null, "{line}");
            assert_eq!(reply["jsonrpc"], "2.0", "{line}");
        }
    }

    #[test]
    fn step3_what_is_not_a_request_gets_invalid_request() {
        for line in [
            "[]",
            "5",
            r#""a string""#,
            r#"{"jsonrpc":"1.0","id":1,"method":"echo.back"}"#,
            r#"{"id":1,"method":"echo.back"}"#,
            r#"{"jsonrpc":"2.0","id":[1],"method":"echo.back"}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":5}"#,
            r#"{"jsonrpc":"2.0","id":1}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":"echo.back","params":3}"#,
        ] {
            assert_eq!(code_of(line), code::INVALID_REQUEST, "{line}");
            assert_eq!(reply(line).unwrap()["id"], Value::Null, "{line}");
        }
        // A batch of invalid items gets one error each.
        let replies = reply("[1,2]").unwrap();
        assert_eq!(replies.as_array().unwrap().len(), 2);
        assert_eq!(replies[1]["error"]["code"], code::INVALID_REQUEST);
    }

    #[test]
    fn step3_limits_on_nesting_and_batches() {
        let deep = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
        assert_eq!(code_of(&deep), code::INVALID_REQUEST);
        let call = r#"{"jsonrpc":"2.0","id":1,"method":"echo.back","params":[1]}"#;
        let big = format!("[{}]", vec![call; MAX_BATCH + 1].join(","));
        assert_eq!(code_of(&big), code::INVALID_REQUEST);
    }

    #[test]
    fn step4_ids_come_back_with_their_exact_type() {
        for id in [json!(1), json!("one"), json!(null), json!(1.5)] {
            let line = json!({"jsonrpc":"2.0","id":id,"method":"echo.back","params":[7]});
            assert_eq!(
                reply(&line.to_string()).unwrap(),
                json!({"jsonrpc":"2.0","id":id,"result":7})
            );
        }
    }

    #[test]
    fn step4_params_by_position_or_by_name() {
        let named = reply(r#"{"jsonrpc":"2.0","id":1,"method":"echo.back","params":{"x":"hi"}}"#);
        assert_eq!(named.unwrap()["result"], "hi");
        let missing = reply(r#"{"jsonrpc":"2.0","id":1,"method":"echo.back"}"#).unwrap();
        assert_eq!(missing["error"]["code"], code::INVALID_PARAMS);
    }

    #[test]
    fn step4_unknown_methods_and_panics() {
        for line in [
            r#"{"jsonrpc":"2.0","id":1,"method":"nope.x"}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":"echo.other"}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":"echo"}"#,
        ] {
            assert_eq!(code_of(line), code::METHOD_NOT_FOUND, "{line}");
            assert_eq!(reply(line).unwrap()["id"], 1, "{line}");
        }
        assert_eq!(
            code_of(r#"{"jsonrpc":"2.0","id":1,"method":"echo.boom"}"#),
            code::INTERNAL_ERROR
        );
    }

    #[test]
    fn step4_notifications_get_no_reply_even_in_a_batch() {
        assert_eq!(
            reply(r#"{"jsonrpc":"2.0","method":"echo.back","params":[1]}"#),
            None
        );
        let batch = r#"[{"jsonrpc":"2.0","method":"echo.back","params":[1]},{"jsonrpc":"2.0","method":"nope.x"}]"#;
        assert_eq!(reply(batch), None);
        let mixed = r#"[{"jsonrpc":"2.0","method":"echo.back","params":[1]},{"jsonrpc":"2.0","id":2,"method":"echo.back","params":[2]}]"#;
        assert_eq!(
            reply(mixed).unwrap(),
            json!([{"jsonrpc":"2.0","id":2,"result":2}])
        );
        let call = r#"{"jsonrpc":"2.0","id":1,"method":"echo.back","params":[1]}"#;
        let full = format!("[{}]", vec![call; MAX_BATCH].join(","));
        assert_eq!(reply(&full).unwrap().as_array().unwrap().len(), MAX_BATCH);
    }
}
