//! Lesson 2, UDP upper-case: the client. Your exercise.
//!
//! Usage: `udp-upper-client ADDRESS MESSAGE`
//!
//! The contract the checker grades (chapter "UDP upper-case"):
//!
//! 1. Bind a UDP socket to port 0 on loopback (`127.0.0.1:0`, or `[::1]:0`
//!    for an IPv6 server) and `connect` it to ADDRESS.
//! 2. Print `using IP:PORT` on stdout: the address the OS chose for you
//!    (`local_addr`).
//! 3. Send MESSAGE as one datagram and wait up to 1 second for the reply.
//!    No reply? Send again: 3 attempts in all.
//! 4. Print the reply on the next line of stdout, and exit with code 0.
//! 5. No reply after 3 attempts, or "connection refused" (nothing listens
//!    at ADDRESS): print one line to stderr and exit with code 1.
//!
//! Only the server's replies count: a datagram from anyone else must be
//! ignored (a connected UDP socket does that for you).

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(addr), Some(message)) = (args.next(), args.next()) else {
        eprintln!("usage: udp-upper-client ADDRESS MESSAGE");
        std::process::exit(2);
    };
    if let Err(err) = run(&addr, &message) {
        eprintln!("udp-upper-client: {err}");
        std::process::exit(1);
    }
}

/// Binds, connects, reports the local address, sends with retries, prints
/// the reply. Errors are returned as one line for `main` to print.
///
/// Hints: `UdpSocket::bind`, `connect`, `local_addr`, `set_read_timeout`,
/// `send`, `recv`; `io::ErrorKind::ConnectionRefused`, `WouldBlock`.
fn run(addr: &str, message: &str) -> Result<(), String> {
    todo!("send {message:?} to {addr} over UDP and print the reply")
}
