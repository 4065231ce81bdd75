//! Lesson 2, UDP upper-case: the client (reference solution).
//!
//! Usage: `udp-upper-client [--timeout SECS] [--attempts N] ADDRESS MESSAGE`
//!
//! Prints `using IP:PORT` (the address the OS chose for us), sends MESSAGE
//! as one datagram, and prints the reply on the next line. A datagram can
//! be lost, so it sends up to N datagrams (default 3), waiting SECS
//! (default 1) for the reply to each.
#![warn(missing_docs)]

use std::ffi::OsString;
use std::io::{self, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs, UdpSocket};
use std::process::ExitCode;
use std::time::Duration;

use udp_upper::MAX_DATAGRAM;
use udp_upper::cli::{Args, BAD_USAGE, one_line};

const USAGE: &str = "usage: udp-upper-client [--timeout SECS] [--attempts N] ADDRESS MESSAGE";

/// The command line, read.
struct Options {
    /// How long each attempt waits for the reply.
    timeout: Duration,
    /// How many datagrams are sent in all before giving up.
    attempts: usize,
    addr: String,
    message: String,
}

fn main() -> ExitCode {
    let options = match parse_args(std::env::args_os().skip(1)) {
        Ok(options) => options,
        Err(err) => {
            eprintln!("udp-upper-client: {err} ({USAGE})");
            return ExitCode::from(BAD_USAGE);
        }
    };
    match run(&options) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("udp-upper-client: {}", one_line(&err));
            ExitCode::FAILURE
        }
    }
}

/// Reads the command line: `Args` does the reading; this says what the
/// arguments mean, and what they are without a flag.
fn parse_args(args: impl IntoIterator<Item = OsString>) -> Result<Options, String> {
    let args = Args::parse(args, &["--timeout", "--attempts"], &[])?;
    let [addr, message] = args.rest.as_slice() else {
        return Err("give ADDRESS and one MESSAGE (quote it if it has spaces)".into());
    };
    Ok(Options {
        timeout: args.seconds("--timeout", Duration::from_secs(1))?,
        attempts: args.count("--attempts", 3)?,
        addr: addr.clone(),
        message: message.clone(),
    })
}

/// Opens a socket for the server, says which address it got, and asks
/// until a reply comes or the attempts run out.
fn run(options: &Options) -> io::Result<()> {
    let (socket, server) = connect(&options.addr)?;
    println!("using {}", socket.local_addr()?);
    socket.set_read_timeout(Some(options.timeout))?;
    let reply = ask(&socket, server, options)?;
    let mut out = io::stdout().lock();
    out.write_all(&reply)?;
    out.write_all(b"\n")
}

/// A UDP socket on port 0, connected to the server `addr` names.
fn connect(addr: &str) -> io::Result<(UdpSocket, SocketAddr)> {
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
    Ok((socket, server))
}

/// Sends the message and waits for the reply, up to `options.attempts`
/// times: a datagram, or its reply, can be lost on the way.
fn ask(socket: &UdpSocket, server: SocketAddr, options: &Options) -> io::Result<Vec<u8>> {
    let mut reply = vec![0u8; MAX_DATAGRAM];
    for _attempt in 1..=options.attempts {
        // Upper-casing is idempotent: if our first request was answered and
        // only the reply was lost, asking again does no harm.
        socket
            .send(options.message.as_bytes())
            .map_err(|e| refused_or(e, server, "cannot send"))?;
        match socket.recv(&mut reply) {
            Ok(len) => {
                reply.truncate(len);
                return Ok(reply);
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
        format!(
            "no reply from {server} after {} attempt(s), {:?} apart",
            options.attempts, options.timeout
        ),
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
/// by kind still can; the cause's words are kept in the message, which
/// `main` prints on one line.
fn context(err: io::Error, doing: impl std::fmt::Display) -> io::Error {
    io::Error::new(err.kind(), format!("{doing}: {err}"))
}
