//! Lesson 2, UDP upper-case: the client (reference solution).
//!
//! Usage: `udp-upper-client [--timeout SECS] [--attempts N] ADDRESS MESSAGE`
//!
//! Prints `using IP:PORT` (the address the OS chose for us), sends MESSAGE
//! as one datagram, and prints the reply on the next line. A datagram can
//! be lost, so it sends up to N datagrams (default 3), waiting SECS
//! (default 1) for the reply to each.

use std::ffi::OsString;
use std::io::{self, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs, UdpSocket};
use std::time::Duration;

use udp_upper::MAX_DATAGRAM;

/// The command line: `udp-upper-client [--timeout SECS] [--attempts N] ADDRESS MESSAGE`.
struct Options {
    /// How long each attempt waits for the reply.
    timeout: Duration,
    /// How many datagrams are sent in all before giving up.
    attempts: u32,
    addr: String,
    message: String,
}

const USAGE: &str = "usage: udp-upper-client [--timeout SECS] [--attempts N] ADDRESS MESSAGE";

fn main() {
    let options = match parse_args(std::env::args_os().skip(1)) {
        Ok(options) => options,
        Err(err) => {
            eprintln!("udp-upper-client: {err} ({USAGE})");
            std::process::exit(2);
        }
    };
    if let Err(err) = run(&options) {
        eprintln!("udp-upper-client: {err}");
        std::process::exit(1);
    }
}

/// Reads the command line. Arguments come as `OsString`s because the OS
/// does not promise UTF-8: `std::env::args()` would panic on a stray byte,
/// and a panic is no way to report a typo.
fn parse_args(args: impl Iterator<Item = OsString>) -> Result<Options, String> {
    let mut timeout = Duration::from_secs(1);
    let mut attempts = 3;
    let mut positional = Vec::new();
    let mut args = args.map(|arg| {
        arg.into_string()
            .map_err(|arg| format!("{arg:?} is not valid UTF-8"))
    });
    while let Some(arg) = args.next() {
        let arg = arg?;
        match arg.as_str() {
            "--timeout" => timeout = seconds(&value(&mut args, "--timeout")?)?,
            "--attempts" => attempts = count(&value(&mut args, "--attempts")?)?,
            _ if arg.starts_with("--") => return Err(format!("unknown option {arg}")),
            _ => positional.push(arg),
        }
    }
    let [addr, message]: [String; 2] = positional
        .try_into()
        .map_err(|_| "give ADDRESS and one MESSAGE (quote it if it has spaces)".to_string())?;
    Ok(Options {
        timeout,
        attempts,
        addr,
        message,
    })
}

/// The value after a flag.
fn value(
    args: &mut impl Iterator<Item = Result<String, String>>,
    flag: &str,
) -> Result<String, String> {
    args.next().ok_or(format!("{flag} needs a value"))?
}

/// A positive number of seconds, such as `0.5` or `2`.
fn seconds(text: &str) -> Result<Duration, String> {
    text.parse::<f64>()
        .ok()
        .filter(|s| *s > 0.0)
        .and_then(|s| Duration::try_from_secs_f64(s).ok())
        .ok_or_else(|| {
            format!("--timeout takes a positive number of seconds, such as 0.5; got {text:?}")
        })
}

/// A whole number from 1 up.
fn count(text: &str) -> Result<u32, String> {
    text.parse()
        .ok()
        .filter(|n| *n >= 1)
        .ok_or_else(|| format!("--attempts takes a whole number from 1 up; got {text:?}"))
}

fn run(options: &Options) -> io::Result<()> {
    let Options {
        timeout,
        attempts,
        addr,
        message,
    } = options;
    // Only the first address the name resolves to: a UDP "connection" has
    // no handshake, so there is no failure to try the next one on.
    let server = addr
        .to_socket_addrs()
        .map_err(|e| context(e, format!("bad address {addr:?}")))?
        .next()
        .ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::NotFound,
                format!("{addr} resolved to no address"),
            )
        })?;

    // Port 0: the OS picks a free port for our end. A loopback server gets
    // a loopback client socket; nothing else can reach it.
    let local_ip = match server.ip() {
        ip if ip.is_loopback() => ip,
        IpAddr::V4(_) => Ipv4Addr::UNSPECIFIED.into(),
        IpAddr::V6(_) => Ipv6Addr::UNSPECIFIED.into(),
    };
    let socket =
        UdpSocket::bind(SocketAddr::new(local_ip, 0)).map_err(|e| context(e, "cannot bind"))?;

    // connect() on UDP sends nothing. It sets the default destination and,
    // just as useful, makes the OS drop datagrams from anyone else, and
    // report an ICMP "port unreachable" to us as ConnectionRefused.
    socket
        .connect(server)
        .map_err(|e| context(e, format!("cannot connect to {server}")))?;
    println!("using {}", socket.local_addr()?);
    socket.set_read_timeout(Some(*timeout))?;

    let mut reply = vec![0u8; MAX_DATAGRAM];
    for _attempt in 1..=*attempts {
        // Upper-casing is idempotent: if our first request was answered and
        // only the reply was lost, asking again does no harm.
        socket
            .send(message.as_bytes())
            .map_err(|e| refused_or(e, server, "cannot send"))?;
        match socket.recv(&mut reply) {
            Ok(len) => {
                let mut out = io::stdout().lock();
                out.write_all(&reply[..len])?;
                return out.write_all(b"\n");
            }
            // A read timeout is WouldBlock on Unix, TimedOut on Windows.
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) => {}
            Err(e) => return Err(refused_or(e, server, "cannot receive")),
        }
    }
    Err(io::Error::new(
        io::ErrorKind::TimedOut,
        format!("no reply from {server} after {attempts} attempt(s), {timeout:?} apart"),
    ))
}

/// An error from send or recv, explained: "connection refused" on UDP
/// means an ICMP port unreachable came back.
fn refused_or(err: io::Error, server: SocketAddr, doing: &str) -> io::Error {
    if err.kind() == io::ErrorKind::ConnectionRefused {
        context(
            err,
            format!("nothing listens at {server} (an ICMP port unreachable came back)"),
        )
    } else {
        context(err, doing)
    }
}

/// The same error, with what we were doing in front of it. The kind is
/// kept (`ConnectionRefused`, `TimedOut`, ...), so code that handles errors
/// by kind still can: a `String` would lose it.
fn context(err: io::Error, doing: impl std::fmt::Display) -> io::Error {
    io::Error::new(err.kind(), format!("{doing}: {err}"))
}
