//! Lesson 4, the name resolver: the program. Given, but for `byte_order`:
//! the rest of your work is in the library (`src/*.rs`).
//!
//! ```text
//! resolver-cli htonl N | ntohl N | htons N | ntohs N
//! resolver-cli aton ADDR | pton ADDR | ntoa HEX8
//! resolver-cli hosts NAME [--file PATH]
//! resolver-cli hosts --reverse ADDR [--file PATH]
//! resolver-cli lookup NAME | fqdn [HOST]
//! resolver-cli query NAME [TYPE] --server ADDR:PORT [--timeout SECS] [--retries N] [--tcp]
//! ```
//!
//! Exit codes: 0 done; 1 failed (a timeout, a malformed reply, a bad
//! address); 2 bad usage; 3 no such name (NXDOMAIN, or not in the hosts
//! file); 4 the name has no record of that type; 5 the server refused or
//! failed. Every failure is one line on stderr.

use std::ffi::OsString;
use std::net::{IpAddr, SocketAddr};
use std::process::ExitCode;
use std::time::Duration;

use resolver::client::{self, QueryError};
use resolver::dns::{Data, Name, Rcode, Type};
use resolver::hosts::{HostInfo, Hosts};
use resolver::inet;

/// Why the program stops early: an exit code and one line for stderr.
struct Stop(u8, String);

fn usage(what: impl Into<String>) -> Stop {
    Stop(
        2,
        format!("{} (see the chapter for the usage)", what.into()),
    )
}

fn main() -> ExitCode {
    let args: Result<Vec<String>, Stop> = std::env::args_os()
        .skip(1)
        .map(|a: OsString| {
            a.into_string()
                .map_err(|a| usage(format!("{a:?} is not valid UTF-8")))
        })
        .collect();
    match args.and_then(|args| run(&args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Stop(code, line)) => {
            eprintln!("resolver-cli: {line}");
            ExitCode::from(code)
        }
    }
}

fn run(args: &[String]) -> Result<(), Stop> {
    let Some((command, rest)) = args.split_first() else {
        return Err(usage("no command given"));
    };
    match command.as_str() {
        "htonl" | "ntohl" => byte_order(command, rest, 4),
        "htons" | "ntohs" => byte_order(command, rest, 2),
        "aton" => address(rest, |text| inet::aton(text).map(IpAddr::V4)),
        "pton" => address(rest, inet::pton),
        "ntoa" => address(rest, |hex| inet::ntoa(hex).map(IpAddr::V4)),
        "hosts" => hosts(rest),
        "lookup" => lookup(rest),
        "fqdn" => fqdn(rest),
        "query" => query(rest),
        other => Err(usage(format!("no command {other:?}"))),
    }
}

/// `htonl 1`: the number with its bytes swapped if this machine is
/// little-endian, and unchanged if it is big-endian: "host to network".
/// ntohl is the same swap the other way, so the same function.
fn byte_order(command: &str, rest: &[String], width: u32) -> Result<(), Stop> {
    todo!(
        "{command} {rest:?}: print the {}-byte result in decimal, then in hex, then the machine's order",
        width
    )
}

/// `aton`, `pton`, `ntoa`: the address, then its bytes in hex.
fn address(rest: &[String], parse: impl Fn(&str) -> Option<IpAddr>) -> Result<(), Stop> {
    let [text] = rest else {
        return Err(usage("give one address"));
    };
    let addr = parse(text).ok_or_else(|| Stop(1, format!("{text:?} is not a valid address")))?;
    let bytes = match addr {
        IpAddr::V4(a) => a.octets().to_vec(),
        IpAddr::V6(a) => a.octets().to_vec(),
    };
    let hex: Vec<String> = bytes.iter().map(|b| format!("{b:02x}")).collect();
    println!("{addr}");
    println!("{}", hex.join(" "));
    Ok(())
}

fn hosts(rest: &[String]) -> Result<(), Stop> {
    let mut file = "/etc/hosts".to_string();
    let mut reverse = false;
    let mut positional = Vec::new();
    let mut args = rest.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--file" => {
                file = args
                    .next()
                    .ok_or_else(|| usage("--file needs a path"))?
                    .clone()
            }
            "--reverse" => reverse = true,
            _ if arg.starts_with("--") => return Err(usage(format!("unknown option {arg}"))),
            _ => positional.push(arg),
        }
    }
    let [key] = positional.as_slice() else {
        return Err(usage("hosts takes one NAME (or --reverse ADDR)"));
    };
    let text =
        std::fs::read_to_string(&file).map_err(|e| Stop(1, format!("cannot read {file}: {e}")))?;
    let table = Hosts::parse(&text);
    for warning in &table.warnings {
        eprintln!("resolver-cli: {file}, {warning}: skipped");
    }
    let found = if reverse {
        let addr = inet::pton(key).ok_or_else(|| Stop(1, format!("{key:?} is not an address")))?;
        table.by_addr(addr)
    } else {
        table.by_name(key)
    };
    let info: HostInfo = found.ok_or_else(|| Stop(3, format!("{key} is not in {file}")))?;
    let addrs: Vec<String> = info.addrs.iter().map(IpAddr::to_string).collect();
    println!("name: {}", info.canonical);
    println!("aliases: {}", info.aliases.join(" "));
    println!("addresses: {}", addrs.join(" "));
    Ok(())
}

/// The system's resolver: `ToSocketAddrs` calls getaddrinfo, which reads
/// the hosts file, asks DNS, and whatever else the system is set up for.
fn lookup(rest: &[String]) -> Result<(), Stop> {
    todo!("ask the system's resolver (ToSocketAddrs) for {rest:?}; print each address once")
}

/// `fqdn [HOST]`: the fully qualified name of HOST (this machine when
/// none), as the system's resolver gives it: getaddrinfo with
/// AI_CANONNAME. std has no call for this, so it goes through libc.
fn fqdn(rest: &[String]) -> Result<(), Stop> {
    let host = match rest {
        [] => hostname().map_err(|e| Stop(1, format!("cannot read this machine's name: {e}")))?,
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

/// The most CNAME records followed for one question.
const MAX_HOPS: usize = 8;

fn query(rest: &[String]) -> Result<(), Stop> {
    let mut server = None;
    let mut timeout = Duration::from_secs(2);
    let mut retries = 2;
    let mut tcp = false;
    let mut positional = Vec::new();
    let mut args = rest.iter();
    let value = |args: &mut std::slice::Iter<String>, flag: &str| {
        args.next()
            .cloned()
            .ok_or_else(|| usage(format!("{flag} needs a value")))
    };
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--server" => {
                let text = value(&mut args, "--server")?;
                let addr: SocketAddr = text
                    .parse()
                    .map_err(|_| usage(format!("--server takes IP:PORT; got {text:?}")))?;
                server = Some(addr);
            }
            "--timeout" => {
                let text = value(&mut args, "--timeout")?;
                timeout = text
                    .parse::<f64>()
                    .ok()
                    .filter(|s| *s > 0.0)
                    .and_then(|s| Duration::try_from_secs_f64(s).ok())
                    .ok_or_else(|| {
                        usage(format!(
                            "--timeout takes a positive number of seconds; got {text:?}"
                        ))
                    })?;
            }
            "--retries" => {
                let text = value(&mut args, "--retries")?;
                retries = text
                    .parse()
                    .map_err(|_| usage(format!("--retries takes a whole number; got {text:?}")))?;
            }
            "--tcp" => tcp = true,
            _ if arg.starts_with("--") => return Err(usage(format!("unknown option {arg}"))),
            _ => positional.push(arg.as_str()),
        }
    }
    let (name, qtype) = match positional.as_slice() {
        [name] => (*name, Type::A),
        [name, kind] => (
            *name,
            Type::parse(kind).ok_or_else(|| usage(format!("no record type {kind:?}")))?,
        ),
        _ => return Err(usage("query takes NAME and, maybe, a TYPE")),
    };
    let server = server.ok_or_else(|| usage("query needs --server ADDR:PORT"))?;
    // For PTR, an address stands for its reverse name.
    let mut name = match (qtype, inet::pton(name)) {
        (Type::Ptr, Some(addr)) => Name::reverse(addr),
        _ => Name::parse(name).map_err(|e| usage(format!("{name:?}: {e}")))?,
    };
    let options = client::Options {
        server,
        timeout,
        retries,
        tcp,
    };
    for hop in 0..=MAX_HOPS {
        let reply = client::ask(&name, qtype, &options)
            .map_err(|e: QueryError| Stop(1, format!("asking {server} for {name} {qtype}: {e}")))?;
        match reply.header.rcode {
            Rcode::NoError => {}
            Rcode::NxDomain => return Err(Stop(3, format!("{name}: no such name (NXDOMAIN)"))),
            other => {
                return Err(Stop(
                    5,
                    format!("{server} answered {other} for {name} {qtype}"),
                ));
            }
        }
        for record in &reply.answers {
            println!("{record}");
        }
        if reply.answers.iter().any(|r| r.rtype == qtype) {
            return Ok(());
        }
        // An answer that ends in a CNAME, with none of the type asked for:
        // the name is an alias. Ask again for the name it stands for.
        match reply.answers.last().map(|r| &r.data) {
            Some(Data::Name(target))
                if reply.answers.last().is_some_and(|r| r.rtype == Type::Cname) =>
            {
                if hop == MAX_HOPS {
                    break;
                }
                eprintln!(
                    "resolver-cli: {name} is an alias of {target}: asking for {target} {qtype}"
                );
                name = target.clone();
            }
            _ => return Err(Stop(4, format!("{name} has no {qtype} record"))),
        }
    }
    Err(Stop(
        1,
        format!("more than {MAX_HOPS} CNAME records in a row: giving up"),
    ))
}
