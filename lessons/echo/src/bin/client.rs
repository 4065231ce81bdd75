//! Lesson 1, TCP echo: the client. Your exercise.
//!
//! Usage: `echo-client ADDRESS [MESSAGE]`
//!
//! The contract the checker grades (chapter "TCP echo" in the book):
//!
//! 1. Connect to ADDRESS, with a deadline of a few seconds.
//! 2. Send MESSAGE, or all of standard input when there is no MESSAGE.
//! 3. Shut down your write side (`shutdown(Shutdown::Write)`): that is how
//!    the server learns you are done.
//! 4. Print every byte the server sends back to stdout, exactly as
//!    received, until the server closes (`read` returns 0). Exit code 0.
//! 5. On any error (connection refused, the server goes silent for a few
//!    seconds) print one line to stderr and exit with code 1. No panics.
//!
//! Beware: the server may answer in pieces. And with a large input, send
//! and receive at the same time (a thread), or both sides can end up
//! waiting on each other for ever.
//!
//! Grade it with `cargo grade echo`.

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(addr) = args.next() else {
        eprintln!("usage: echo-client ADDRESS [MESSAGE]");
        std::process::exit(2);
    };
    let message = args.next();
    if let Err(err) = run(&addr, message) {
        eprintln!("echo-client: {err}");
        std::process::exit(1);
    }
}

/// Connects, sends, half-closes, prints the echo. Errors are returned as a
/// one-line message for `main` to print.
///
/// Hints: `TcpStream::connect_timeout`, `set_read_timeout`, `try_clone`,
/// `std::io::copy`, `shutdown`.
fn run(addr: &str, message: Option<String>) -> Result<(), String> {
    todo!("echo {message:?} (None: stdin) through the server at {addr}")
}
