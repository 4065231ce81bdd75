//! Lesson 6, remote objects: its registry entry. The checker plays each role
//! against the student's others: a client of the name server and of the
//! object server; a name server for the object server; a name server and an
//! object server for the client. Every message is read and checked with
//! serde_json on the checker's side, never with the reference's types, and
//! shown decoded in the transcript.
//!
//! - `jsonrpc.rs`: JSON-RPC 2.0 on the checker's side: calls, replies
//!   checked, a decoded line for the transcript.
//! - `scripted.rs`: the checker's name server and object server, which
//!   record what they are asked.
//! - `ns.rs`: the name server's operations, errors, and many clients.
//! - `protocol.rs`: the protocol's corners, on the name server, with no
//!   object needed: lines not UTF-8, not JSON, not requests; ids,
//!   notifications, batches. Stages in the order of the chapter's steps.
//! - `hostile.rs`: hostile input, to the name server and the object server.
//! - `server.rs`: the object server's stages.
//! - `limits.rs`: a client that never reads, and clients refused as too
//!   many, against the object server.
//! - `client.rs`: the client's stages, and the three programs together.
//! - `peer.rs`: the servers to start by hand (`cargo grade peer rpc`).

mod client;
mod hostile;
mod jsonrpc;
mod limits;
mod ns;
mod peer;
mod protocol;
mod scripted;
mod server;

use crate::course::{CLIENT, HandPeer, Lesson, Mistake, Role, SERVER, Stage};
use crate::time::secs;
use crate::verdict::Verdict;

pub const LESSON: Lesson = Lesson {
    id: "rpc",
    title: "Remote objects: name server, server, proxies",
    level: 3,
    package: "rpc",
    roles: &[
        Role {
            id: "ns",
            name: "name server",
        },
        Role {
            id: "server",
            name: "object server",
        },
        Role {
            id: "client",
            name: "client",
        },
    ],
    chapter: "rpc.md",
    stages: STAGES,
    mistakes: MISTAKES,
    peer: Some(HandPeer {
        name: "rpc",
        run: peer::serve_by_hand,
    }),
    reading: &[
        ("One call, from start to end", &["end-to-end"]),
        ("Lines in, replies out", &["garbage"]),
        (
            "Not JSON, not a request",
            &["parse-errors", "invalid-requests"],
        ),
        (
            "Answering: ids, notifications, batches",
            &["ids", "notifications", "batches"],
        ),
        (
            "Limits on every connection",
            &["hostile-input", "server-hostile"],
        ),
        ("Names and URIs", &["ns-operations", "ns-errors"]),
        ("One name server, many clients", &["ns-concurrent"]),
        (
            "Proxies: the client",
            &["client-list", "client-call", "client-args", "client-errors"],
        ),
        ("Direct and indirect names", &["client-indirect"]),
        ("Location transparency, and its limits", &["client-timeout"]),
        ("One connection, and Nagle", &["many-calls"]),
        (
            "The object server: register, serve, unregister",
            &["registers", "unregisters", "unregisters-late"],
        ),
        (
            "The objects: calculator and counter",
            &["calculator", "counter-race"],
        ),
        (
            "Clients that do not play along",
            &["idle-timeout", "slow-reader", "busy-reply"],
        ),
    ],
};

/// The roles of stages that run the name server alone, and of the one
/// that runs all three programs.
const NS: &[&str] = &["ns"];
const ALL: &[&str] = &["ns", "server", "client"];

const STAGES: &[Stage] = &[
    Stage {
        id: "garbage",
        title: "Lines that are not UTF-8 get -32700; reading goes on",
        points: 2,
        hint: "Read each line as bytes (read_until into a Vec<u8>), then std::str::from_utf8: when it fails, write the -32700 reply with id null (jsonrpc::failure) and a newline, flush, and read the next line.",
        deadline: secs(30),
        roles: NS,
        run: protocol::garbage,
    },
    Stage {
        id: "parse-errors",
        title: "Lines that are not JSON get -32700 with id null",
        points: 2,
        hint: "In parse, serde_json::from_str the line; when it fails, the reply is -32700 with id null. reply_to sends that reply back as a line, and serve_connection reads on.",
        deadline: secs(30),
        roles: NS,
        run: protocol::parse_errors,
    },
    Stage {
        id: "invalid-requests",
        title: "JSON that is not a request gets -32600",
        points: 3,
        hint: "In read: an object with \"jsonrpc\": \"2.0\", a string method, an id that is a string, a number or null (or none), params an array or an object (or none). An empty batch, a batch over 100 and nesting over 32 levels are one -32600 each, with id null.",
        deadline: secs(30),
        roles: NS,
        run: protocol::invalid_requests,
    },
    Stage {
        id: "ids",
        title: "Ids come back with their exact type",
        points: 5,
        hint: "Echo the request's id as it came: serde_json::Value, not a number you parsed. 7 stays 7, \"7\" stays \"7\", null stays null.",
        deadline: secs(30),
        roles: NS,
        run: protocol::ids,
    },
    Stage {
        id: "notifications",
        title: "A notification is done, and never answered",
        points: 5,
        hint: "A valid request without an id is a notification: run it (an unknown method included), and write nothing back, not even an error.",
        deadline: secs(30),
        roles: NS,
        run: protocol::notifications,
    },
    Stage {
        id: "batches",
        title: "Batches, empty batches, batches of notifications",
        points: 5,
        hint: "An array is a batch: answer with an array of the replies. An empty array is one -32600 error; a batch of notifications only gets no reply at all.",
        deadline: secs(30),
        roles: NS,
        run: protocol::batches,
    },
    Stage {
        id: "hostile-input",
        title: "Deep nesting, 2 MiB lines, bad UTF-8: others served",
        points: 3,
        hint: "Read a line as bytes with a limit (read_until into a Vec<u8> through take(MAX + 1)), not read_line into a String: bytes that are not UTF-8 get -32700. A line over the limit closes that connection only; nesting deeper than 32 levels gets -32600.",
        deadline: secs(30),
        roles: NS,
        run: hostile::hostile_input,
    },
    Stage {
        id: "ns-operations",
        title: "Name server: register, lookup, list, unregister",
        points: 5,
        hint: "ns.register(name, uri) keeps the pair; ns.lookup(name) gives the uri; ns.list(prefix) a JSON object of the names starting with prefix; ns.unregister(name) forgets it.",
        deadline: secs(30),
        roles: NS,
        run: ns::ns_operations,
    },
    Stage {
        id: "ns-errors",
        title: "Name server: taken and unknown names, wrong params",
        points: 5,
        hint: "A taken name is an application error (code 1: any code outside -32768..-32000, which JSON-RPC keeps for itself) unless replace is true; an unknown name is one too (code 2), and its message names the name. A method ns has not is -32601; a parameter missing or of the wrong type, a name that is not plain, a URI that is not rpc:// are -32602.",
        deadline: secs(30),
        roles: NS,
        run: ns::ns_errors,
    },
    Stage {
        id: "ns-concurrent",
        title: "20 clients register at once, an idle one aside",
        points: 4,
        hint: "A thread per connection, and one map behind a Mutex: every name registered at once is kept, and an idle client holds up nobody.",
        deadline: secs(30),
        roles: NS,
        run: ns::ns_concurrent,
    },
    Stage {
        id: "client-list",
        title: "--list: one call on the name server, printed",
        points: 2,
        hint: "Connection::open connects (with timeouts and TCP_NODELAY), Connection::call writes one request line and reads the reply's result, Proxy::with opens the connection on the first call; --list prints ns.list()'s result.",
        deadline: secs(30),
        roles: CLIENT,
        run: client::client_list,
    },
    Stage {
        id: "client-call",
        title: "The client finds its object and calls it",
        points: 5,
        hint: "Ask the name server (ns.lookup) for the object's URI, connect to rpc://HOST:PORT/OBJECT, send OBJECT.METHOD with the arguments, print the result as JSON.",
        deadline: secs(30),
        roles: CLIENT,
        run: client::client_call,
    },
    Stage {
        id: "client-indirect",
        title: "rpcname:NAME through the name server; rpc:// direct",
        points: 3,
        hint: "In Proxy::to: a target starting with rpc:// is a direct URI (Proxy::at, no name server); rpcname:NAME is an indirect name: strip the prefix and resolve NAME through the name server (Proxy::lookup). A bare NAME is short for rpcname:NAME.",
        deadline: secs(30),
        roles: CLIENT,
        run: client::client_indirect,
    },
    Stage {
        id: "client-args",
        title: "Arguments as JSON or strings",
        points: 3,
        hint: "Read each ARG with serde_json::from_str; if that fails, it is a string. The params are the array of them, in order.",
        deadline: secs(30),
        roles: CLIENT,
        run: client::client_args,
    },
    Stage {
        id: "client-errors",
        title: "A remote error: its code and message, exit 1",
        points: 4,
        hint: "Tell a remote error (the reply's error member: print its code and message) from a broken connection; exit 1 for both.",
        deadline: secs(30),
        roles: CLIENT,
        run: client::client_errors,
    },
    Stage {
        id: "client-timeout",
        title: "A server that never answers: exit 1 after --timeout",
        points: 4,
        hint: "set_read_timeout on the connection: no reply within --timeout is an error, not a wait for ever.",
        deadline: secs(30),
        roles: CLIENT,
        run: client::client_timeout,
    },
    Stage {
        id: "many-calls",
        title: "10,000 calls on one connection, each in one write",
        points: 4,
        hint: "Keep the connection open between calls, write each request in one write_all (message and newline together), and set_nodelay(true): otherwise Nagle's algorithm and delayed ACKs cost 40 ms a call.",
        deadline: secs(60),
        roles: CLIENT,
        run: client::many_calls,
    },
    Stage {
        id: "registers",
        title: "The object server registers its objects",
        points: 5,
        hint: "After bind, call ns.register(\"calculator\", \"rpc://ADDR/calculator\", true) and the same for counter, ADDR being the address you listen on (true: replace what a server that died left there); then print `listening on ADDR`.",
        deadline: secs(30),
        roles: SERVER,
        run: server::registers,
    },
    Stage {
        id: "idle-timeout",
        title: "A client silent for --idle-timeout is dropped",
        points: 3,
        hint: "set_read_timeout(Some(idle_timeout)) on each connection; when a read times out, close that connection.",
        deadline: secs(30),
        roles: SERVER,
        run: server::idle_timeout,
    },
    Stage {
        id: "slow-reader",
        title: "A client that sends and never reads is dropped",
        points: 2,
        hint: "set_write_timeout(Some(idle_timeout)) on each connection as well: a reply that cannot be written within it ends that connection, and gives its place back.",
        deadline: secs(30),
        roles: SERVER,
        run: limits::slow_reader,
    },
    Stage {
        id: "busy-reply",
        title: "20 clients past --max-clients each read -32099",
        points: 2,
        hint: "Write the -32099 reply, shutdown(Write), then read and drop what the client sent for a moment: closing with unread data sends a reset that can overtake the reply.",
        deadline: secs(30),
        roles: SERVER,
        run: limits::busy_reply,
    },
    Stage {
        id: "server-hostile",
        title: "Hostile input to the object server: others served",
        points: 3,
        hint: "The same limits as the name server's: a line longer than 1 MiB closes its connection only; too deep a message is an error reply.",
        deadline: secs(30),
        roles: SERVER,
        run: hostile::server_hostile,
    },
    Stage {
        id: "calculator",
        title: "calculator: the four operations and their errors",
        points: 5,
        hint: "Whole results go back as integers (5, not 5.0); divide by zero is application error 10 with data (the operands); a parameter that is not a number is -32602; an unknown method -32601.",
        deadline: secs(30),
        roles: SERVER,
        run: server::calculator,
    },
    Stage {
        id: "counter-race",
        title: "20 clients increment at once: an exact total",
        points: 5,
        hint: "One count shared by every connection's thread: an AtomicI64 (fetch_add) or a Mutex, never a read then a write.",
        deadline: secs(30),
        roles: SERVER,
        run: server::counter_race,
    },
    Stage {
        id: "unregisters",
        title: "On SIGTERM the objects are unregistered",
        points: 3,
        hint: "Catch SIGTERM (ctrlc with its termination feature), call ns.unregister for each name, then exit.",
        deadline: secs(30),
        roles: SERVER,
        run: server::unregisters,
    },
    Stage {
        id: "unregisters-late",
        title: "Unregisters though the name server dropped it idle",
        points: 3,
        hint: "The name server drops a connection idle for its --idle-timeout, so the one you registered on may be closed by SIGTERM time: unregister over a fresh connection.",
        deadline: secs(30),
        roles: SERVER,
        run: server::unregisters_late,
    },
    Stage {
        id: "end-to-end",
        title: "Your three programs together",
        points: 5,
        hint: "The object server registers on your name server; your client looks the object up there and calls it.",
        deadline: secs(30),
        roles: ALL,
        run: client::end_to_end,
    },
];

/// The wrong solutions in checker/fixtures that the stages must catch.
const MISTAKES: &[Mistake] = &[
    Mistake {
        what: "Answering blank lines (a person pressing Enter in nc) with -32700",
        fixture: "rpc-ns-answers-blank-lines",
        role: "ns",
        passes: Some("ids"),
        fails: "parse-errors",
        verdict: Verdict::Failed,
        says: "more replies than the lines that were messages",
        golden: false,
    },
    Mistake {
        what: "Keeping the id as a number, so a string id comes back null",
        fixture: "rpc-ns-numeric-ids",
        role: "ns",
        passes: Some("ns-operations"),
        fails: "ids",
        verdict: Verdict::Failed,
        says: "has another id",
        golden: true,
    },
    Mistake {
        what: "Answering notifications",
        fixture: "rpc-ns-answers-notifications",
        role: "ns",
        passes: Some("ns-operations"),
        fails: "notifications",
        verdict: Verdict::Failed,
        says: "gets no reply at all",
        golden: true,
    },
    Mistake {
        what: "A counter that reads, then writes, without a lock between",
        fixture: "rpc-server-racy-counter",
        role: "server",
        passes: Some("calculator"),
        fails: "counter-race",
        verdict: Verdict::Failed,
        says: "increments were lost",
        golden: false,
    },
    Mistake {
        what: "Exiting on SIGTERM without unregistering",
        fixture: "rpc-server-no-unregister",
        role: "server",
        passes: Some("registers"),
        fails: "unregisters",
        verdict: Verdict::Failed,
        says: "did not unregister",
        golden: true,
    },
    Mistake {
        what: "Unregistering over the connection the name server dropped as idle",
        fixture: "rpc-server-stale-ns-connection",
        role: "server",
        passes: Some("unregisters"),
        fails: "unregisters-late",
        verdict: Verdict::Failed,
        says: "did not unregister",
        golden: true,
    },
    Mistake {
        what: "A read timeout but no write deadline",
        fixture: "rpc-server-no-write-deadline",
        role: "server",
        passes: Some("idle-timeout"),
        fails: "slow-reader",
        verdict: Verdict::Failed,
        says: "never dropped it",
        golden: false,
    },
    Mistake {
        what: "Closing a refused client's connection at once, its request unread",
        fixture: "rpc-server-busy-reset",
        role: "server",
        passes: Some("slow-reader"),
        fails: "busy-reply",
        verdict: Verdict::Failed,
        says: "a reset instead of the end of the stream",
        golden: false,
    },
    Mistake {
        what: "Looking up `rpcname:calculator` as it is, prefix and all",
        fixture: "rpc-client-name-verbatim",
        role: "client",
        passes: Some("client-call"),
        fails: "client-indirect",
        verdict: Verdict::Failed,
        says: "prefix and all",
        golden: false,
    },
    Mistake {
        what: "Writing a request in two pieces, Nagle's algorithm on",
        fixture: "rpc-client-two-writes",
        role: "client",
        passes: Some("client-call"),
        fails: "many-calls",
        verdict: Verdict::TimedOut,
        says: "Nagle's algorithm",
        golden: false,
    },
    Mistake {
        what: "A new connection for every call",
        fixture: "rpc-client-reconnects",
        role: "client",
        passes: Some("client-call"),
        fails: "many-calls",
        verdict: Verdict::Failed,
        says: "one connection",
        golden: false,
    },
];
