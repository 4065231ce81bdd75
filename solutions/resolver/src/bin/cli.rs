//! Lesson 4, the name resolver: the program (reference solution).
//!
//! ```text
//! resolver-cli htonl N | ntohl N | htons N | ntohs N
//! resolver-cli aton ADDR | pton ADDR | ntoa HEX8
//! resolver-cli hosts NAME [--file PATH]
//! resolver-cli hosts --reverse ADDR [--file PATH]
//! resolver-cli service NAME|PORT [--proto tcp|udp] [--file PATH]
//! resolver-cli lookup NAME | fqdn [HOST]
//! resolver-cli encode NAME [TYPE] --id N
//! resolver-cli decode HEX...
//! resolver-cli query NAME [TYPE] --server ADDR:PORT [--timeout SECS] [--retries N] [--tcp]
//! ```
//!
//! Exit codes: 0 done; 1 failed (a timeout, a malformed reply, a bad
//! address); 2 bad usage; 3 no such name (NXDOMAIN, or not in the hosts
//! file); 4 the name has no record of that type; 5 the server refused or
//! failed (each has its name: `Exit`, below). Every failure is one line on
//! stderr.
#![warn(missing_docs)]

use std::ffi::OsString;
use std::fmt;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::process::ExitCode;
use std::time::Duration;

use resolver::cli::{Args, BAD_USAGE, one_line};
use resolver::client;
use resolver::dns::{self, Data, Message, Name, Rcode, Type};
use resolver::hosts::{self, HostInfo, Hosts};
use resolver::inet;

/// How the program ends when it does not succeed. Each way has a code of
/// its own, so that a script can tell "no such name" from "the network is
/// down" without reading the message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
enum Exit {
    /// A timeout, a malformed reply, a bad address.
    Failed = 1,
    /// A bad command line.
    Usage = BAD_USAGE,
    /// NXDOMAIN, or a name that is not in the hosts file.
    NoSuchName = 3,
    /// The name exists, but has no record of the type asked for.
    NoRecord = 4,
    /// The server refused, or failed to find out (SERVFAIL, REFUSED...).
    ServerFailed = 5,
}

/// Why the program stops early: how it exits, and the line for stderr.
#[derive(Debug)]
struct Stop {
    exit: Exit,
    line: String,
}

impl Stop {
    fn new(exit: Exit, line: impl Into<String>) -> Stop {
        Stop {
            exit,
            line: line.into(),
        }
    }
}

impl fmt::Display for Stop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.line)
    }
}

impl std::error::Error for Stop {}

/// A bad command line: says what, and where the usage is.
fn usage(what: impl Into<String>) -> Stop {
    Stop::new(
        Exit::Usage,
        format!("{} (see the chapter for the usage)", what.into()),
    )
}

fn main() -> ExitCode {
    match run(std::env::args_os().skip(1)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(stop) => {
            eprintln!("resolver-cli: {stop}");
            ExitCode::from(stop.exit as u8)
        }
    }
}

/// The command, then what it takes: each command reads its own flags.
fn run(mut args: impl Iterator<Item = OsString>) -> Result<(), Stop> {
    let command = args.next().ok_or_else(|| usage("no command given"))?;
    let command = command
        .into_string()
        .map_err(|c| usage(format!("{c:?} is not valid UTF-8")))?;
    match command.as_str() {
        "htonl" | "ntohl" => byte_order(&command, &operands(args)?, 4),
        "htons" | "ntohs" => byte_order(&command, &operands(args)?, 2),
        "aton" => address(&operands(args)?, |text| inet::aton(text).map(IpAddr::V4)),
        "pton" => address(&operands(args)?, inet::pton),
        "ntoa" => address(&operands(args)?, |hex| inet::ntoa(hex).map(IpAddr::V4)),
        "hosts" => hosts(args),
        "service" => service(args),
        "lookup" => lookup(&operands(args)?),
        "fqdn" => fqdn(&operands(args)?),
        "encode" => encode(args),
        "decode" => decode(&operands(args)?),
        "query" => query(args),
        other => Err(usage(format!("no command {other:?}"))),
    }
}

/// The arguments of a command that takes no flag.
fn operands(args: impl Iterator<Item = OsString>) -> Result<Vec<String>, Stop> {
    Ok(Args::parse(args, &[], &[]).map_err(usage)?.rest)
}

/// `htonl 1`: the number with its bytes swapped if this machine is
/// little-endian, and unchanged if it is big-endian: "host to network".
/// ntohl is the same swap the other way, so the same function.
fn byte_order(command: &str, rest: &[String], width: u32) -> Result<(), Stop> {
    let [n] = rest else {
        return Err(usage(format!("{command} takes one number")));
    };
    let max = if width == 4 {
        u64::from(u32::MAX)
    } else {
        u64::from(u16::MAX)
    };
    let value = n.parse::<u64>().ok().filter(|v| *v <= max).ok_or_else(|| {
        usage(format!(
            "{command} takes a number from 0 to {max}; got {n:?}"
        ))
    })?;
    let result = if width == 4 {
        u64::from((value as u32).to_be())
    } else {
        u64::from((value as u16).to_be())
    };
    let digits = width as usize * 2;
    println!("{result}");
    println!("0x{result:0digits$x}");
    let order = if cfg!(target_endian = "little") {
        "little"
    } else {
        "big"
    };
    println!("this machine is {order}-endian");
    Ok(())
}

/// `aton`, `pton`, `ntoa`: the address, then its bytes in hex.
fn address(rest: &[String], parse: impl Fn(&str) -> Option<IpAddr>) -> Result<(), Stop> {
    let [text] = rest else {
        return Err(usage("give one address"));
    };
    let addr = parse(text)
        .ok_or_else(|| Stop::new(Exit::Failed, format!("{text:?} is not a valid address")))?;
    let bytes = match addr {
        IpAddr::V4(a) => a.octets().to_vec(),
        IpAddr::V6(a) => a.octets().to_vec(),
    };
    let hex: Vec<String> = bytes.iter().map(|b| format!("{b:02x}")).collect();
    println!("{addr}");
    println!("{}", hex.join(" "));
    Ok(())
}

/// `hosts NAME` and `hosts --reverse ADDR`, from `--file` (default
/// `/etc/hosts`), printed as `gethostbyname_ex` would return it.
fn hosts(args: impl Iterator<Item = OsString>) -> Result<(), Stop> {
    let args = Args::parse(args, &["--file"], &["--reverse"]).map_err(usage)?;
    let file = args.value("--file").unwrap_or("/etc/hosts");
    let reverse = args.switch("--reverse");
    let [key] = args.rest.as_slice() else {
        return Err(usage("hosts takes one NAME (or --reverse ADDR)"));
    };
    let text = std::fs::read_to_string(file)
        .map_err(|e| Stop::new(Exit::Failed, format!("cannot read {file}: {e}")))?;
    let table = Hosts::parse(&text);
    for warning in &table.warnings {
        eprintln!("resolver-cli: {file}, {warning}: skipped");
    }
    let found = if reverse {
        let addr = inet::pton(key)
            .ok_or_else(|| Stop::new(Exit::Failed, format!("{key:?} is not an address")))?;
        table.by_addr(addr)
    } else {
        table.by_name(key)
    };
    let info: HostInfo =
        found.ok_or_else(|| Stop::new(Exit::NoSuchName, format!("{key} is not in {file}")))?;
    let addrs: Vec<String> = info.addrs.iter().map(IpAddr::to_string).collect();
    println!("name: {}", info.canonical);
    println!("aliases: {}", info.aliases.join(" "));
    println!("addresses: {}", addrs.join(" "));
    Ok(())
}

/// `service NAME|PORT [--proto tcp|udp] [--file PATH]`: a port by name, or
/// a name by port, from `--file` (default `/etc/services`), printed as
/// `getservbyname` / `getservbyport` return it.
fn service(args: impl Iterator<Item = OsString>) -> Result<(), Stop> {
    let args = Args::parse(args, &["--file", "--proto"], &[]).map_err(usage)?;
    let file = args.value("--file").unwrap_or("/etc/services");
    let proto = args.value("--proto");
    if proto.is_some_and(|p| p != "tcp" && p != "udp") {
        return Err(usage("--proto takes tcp or udp"));
    }
    let [key] = args.rest.as_slice() else {
        return Err(usage("service takes one NAME or PORT"));
    };
    let text = std::fs::read_to_string(file)
        .map_err(|e| Stop::new(Exit::Failed, format!("cannot read {file}: {e}")))?;
    let found = hosts::service(&text, key, proto)
        .ok_or_else(|| Stop::new(Exit::NoSuchName, format!("{key} is not in {file}")))?;
    println!("name: {}", found.name);
    println!("port: {}/{}", found.port, found.proto);
    println!("aliases: {}", found.aliases.join(" "));
    Ok(())
}

/// The system's resolver: `ToSocketAddrs` calls getaddrinfo, which reads
/// the hosts file, asks DNS, and whatever else the system is set up for.
fn lookup(rest: &[String]) -> Result<(), Stop> {
    let [name] = rest else {
        return Err(usage("lookup takes one NAME"));
    };
    let addrs = (name.as_str(), 0)
        .to_socket_addrs()
        .map_err(|e| Stop::new(Exit::NoSuchName, format!("{name}: {e}")))?;
    let mut seen: Vec<IpAddr> = Vec::new();
    for addr in addrs {
        if !seen.contains(&addr.ip()) {
            println!("{}", addr.ip());
            seen.push(addr.ip());
        }
    }
    Ok(())
}

/// `fqdn [HOST]`: the fully qualified name of HOST (this machine when
/// none), as the system's resolver gives it: getaddrinfo with
/// AI_CANONNAME. std has no call for this, so it goes through libc.
fn fqdn(rest: &[String]) -> Result<(), Stop> {
    let host = match rest {
        [] => hostname().map_err(|e| {
            Stop::new(
                Exit::Failed,
                format!("cannot read this machine's name: {e}"),
            )
        })?,
        [host] => host.clone(),
        _ => return Err(usage("fqdn takes at most one HOST")),
    };
    let name = canonical_name(&host).unwrap_or(host);
    println!("{name}");
    Ok(())
}

/// This machine's name (gethostname).
fn hostname() -> std::io::Result<String> {
    let mut buf = [0u8; 256];
    // SAFETY: the buffer is valid for its whole length, and gethostname
    // writes at most that much.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    if rc != 0 {
        return Err(std::io::Error::last_os_error());
    }
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    Ok(String::from_utf8_lossy(&buf[..end]).into_owned())
}

/// The canonical name getaddrinfo gives `host`, if it gives one.
fn canonical_name(host: &str) -> Option<String> {
    let c_host = std::ffi::CString::new(host).ok()?;
    // SAFETY: hints is zeroed (a valid addrinfo), the pointers passed are
    // valid, and the list getaddrinfo returns is freed exactly once.
    unsafe {
        let mut hints: libc::addrinfo = std::mem::zeroed();
        hints.ai_flags = libc::AI_CANONNAME;
        let mut list: *mut libc::addrinfo = std::ptr::null_mut();
        if libc::getaddrinfo(c_host.as_ptr(), std::ptr::null(), &hints, &mut list) != 0 {
            return None;
        }
        let first = &*list;
        let name = (!first.ai_canonname.is_null()).then(|| {
            std::ffi::CStr::from_ptr(first.ai_canonname)
                .to_string_lossy()
                .into_owned()
        });
        libc::freeaddrinfo(list);
        name
    }
}

/// `encode NAME [TYPE] --id N`: the query `query` would send, as hex,
/// without sending it. Step 1 of the chapter: `dns::encode_query`.
fn encode(args: impl Iterator<Item = OsString>) -> Result<(), Stop> {
    let args = Args::parse(args, &["--id"], &[]).map_err(usage)?;
    let (name, qtype) = match args.rest.as_slice() {
        [name] => (name, Type::A),
        [name, kind] => (
            name,
            Type::parse(kind).ok_or_else(|| usage(format!("no record type {kind:?}")))?,
        ),
        _ => return Err(usage("encode takes NAME and, maybe, a TYPE")),
    };
    let id = args.whole("--id", 0).map_err(usage)?;
    let id = u16::try_from(id).map_err(|_| usage(format!("--id takes 0 to 65535; got {id}")))?;
    let name = Name::parse(name).map_err(|e| usage(format!("{name:?}: {e}")))?;
    let hex: Vec<String> = dns::encode_query(id, &name, qtype)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    println!("{}", hex.join(" "));
    Ok(())
}

/// `decode HEX...`: reads a message given as hex (spaces allowed) and
/// prints it, section by section. Steps 2 to 5 of the chapter: the
/// header, the questions, the records, compression.
fn decode(rest: &[String]) -> Result<(), Stop> {
    let digits: Vec<u8> = rest
        .concat()
        .bytes()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    if rest.is_empty() || !digits.len().is_multiple_of(2) {
        return Err(usage("decode takes a message as pairs of hex digits"));
    }
    let bytes = digits
        .chunks(2)
        .map(|pair| {
            std::str::from_utf8(pair)
                .ok()
                .and_then(|p| u8::from_str_radix(p, 16).ok())
        })
        .collect::<Option<Vec<u8>>>()
        .ok_or_else(|| usage("decode takes hex digits only"))?;
    let msg = dns::parse(&bytes).map_err(|e| Stop::new(Exit::Failed, e.to_string()))?;
    let h = msg.header;
    println!(
        "header: id={} qr={} tc={} rcode={} qd={} an={} ns={} ar={}",
        h.id,
        u8::from(h.response),
        u8::from(h.truncated),
        h.rcode,
        h.qdcount,
        h.ancount,
        h.nscount,
        h.arcount
    );
    for q in &msg.questions {
        let class = if q.qclass == dns::CLASS_IN {
            "IN".to_string()
        } else {
            format!("CLASS{}", q.qclass)
        };
        println!("question: {} {class} {}", q.name, q.qtype);
    }
    let sections = [
        ("answer", &msg.answers),
        ("authority", &msg.authority),
        ("additional", &msg.additional),
    ];
    for (section, records) in sections {
        for record in records {
            println!("{section}: {record}");
        }
    }
    Ok(())
}

/// The most CNAME records followed for one question: a chain of aliases
/// (or a loop of them) must not keep us asking for ever.
const MAX_HOPS: usize = 8;

/// What `query` asks, read from its arguments.
struct Query {
    name: Name,
    qtype: Type,
    options: client::Options,
}

/// `query NAME [TYPE] --server ADDR:PORT ...`: asks, following aliases,
/// and prints every record of every answer.
fn query(args: impl Iterator<Item = OsString>) -> Result<(), Stop> {
    let Query {
        name,
        qtype,
        options,
    } = query_args(args)?;
    chase(name, qtype, &options)
}

/// Reads `query`'s arguments. For PTR, an address stands for its reverse
/// name: `query 192.0.2.1 PTR` asks for `1.2.0.192.in-addr.arpa.`.
fn query_args(args: impl Iterator<Item = OsString>) -> Result<Query, Stop> {
    let flags = ["--server", "--timeout", "--retries"];
    let args = Args::parse(args, &flags, &["--tcp"]).map_err(usage)?;
    let (name, qtype) = match args.rest.as_slice() {
        [name] => (name, Type::A),
        [name, kind] => (
            name,
            Type::parse(kind).ok_or_else(|| usage(format!("no record type {kind:?}")))?,
        ),
        _ => return Err(usage("query takes NAME and, maybe, a TYPE")),
    };
    let server = args
        .value("--server")
        .ok_or_else(|| usage("query needs --server ADDR:PORT"))?;
    let server: SocketAddr = server
        .parse()
        .map_err(|_| usage(format!("--server takes IP:PORT; got {server:?}")))?;
    let name = match (qtype, inet::pton(name)) {
        (Type::Ptr, Some(addr)) => Name::reverse(addr),
        _ => Name::parse(name).map_err(|e| usage(format!("{name:?}: {e}")))?,
    };
    let options = client::Options {
        server,
        timeout: args
            .seconds("--timeout", Duration::from_secs(2))
            .map_err(usage)?,
        retries: args.whole("--retries", 2).map_err(usage)?,
        tcp: args.switch("--tcp"),
    };
    Ok(Query {
        name,
        qtype,
        options,
    })
}

/// Asks for `name` and prints the answers. An answer that ends in a CNAME,
/// with none of the type asked for, says the name is an alias: ask again
/// for the name it stands for, at most [`MAX_HOPS`] times.
fn chase(mut name: Name, qtype: Type, options: &client::Options) -> Result<(), Stop> {
    for hop in 0..=MAX_HOPS {
        let reply = ask(&name, qtype, options)?;
        for record in &reply.answers {
            println!("{record}");
        }
        if reply.answers.iter().any(|r| r.rtype == qtype) {
            return Ok(());
        }
        let Some(target) = alias_target(&reply) else {
            return Err(Stop::new(
                Exit::NoRecord,
                format!("{name} has no {qtype} record"),
            ));
        };
        if hop == MAX_HOPS {
            break;
        }
        eprintln!("resolver-cli: {name} is an alias of {target}: asking for {target} {qtype}");
        name = target;
    }
    Err(Stop::new(
        Exit::Failed,
        format!("more than {MAX_HOPS} CNAME records in a row: giving up"),
    ))
}

/// One question to the server. A reply other than NOERROR ends the
/// program, with the exit code that says which.
fn ask(name: &Name, qtype: Type, options: &client::Options) -> Result<Message, Stop> {
    let server = options.server;
    let reply = client::ask(name, qtype, options).map_err(|e| {
        let why = one_line(&e);
        Stop::new(
            Exit::Failed,
            format!("asking {server} for {name} {qtype}: {why}"),
        )
    })?;
    match reply.header.rcode {
        Rcode::NoError => Ok(reply),
        Rcode::NxDomain => Err(Stop::new(
            Exit::NoSuchName,
            format!("{name}: no such name (NXDOMAIN)"),
        )),
        other => Err(Stop::new(
            Exit::ServerFailed,
            format!("{server} answered {other} for {name} {qtype}"),
        )),
    }
}

/// The name an answer's last record says this one is an alias of, if that
/// record is a CNAME.
fn alias_target(reply: &Message) -> Option<Name> {
    match reply.answers.last() {
        Some(record) if record.rtype == Type::Cname => match &record.data {
            Data::Name(target) => Some(target.clone()),
            _ => None,
        },
        _ => None,
    }
}
