//! `cargo grade peer http`: the stages' responses (a short text, chunks,
//! redirects, a slow body, bodies of any size, any status), for a person to
//! try their client (or curl) against.

use std::net::{TcpListener, TcpStream};

use crate::platform;
use crate::time::{ms, secs};
use crate::wire;

use super::http::{MAX_REQUEST_HEAD, decode, head_end, ok, response};
use super::noise::Noise;
use super::program::HELLO;

/// The paths `cargo grade peer http` serves.
const HAND_PATHS: &[&str] = &[
    "/hello.txt        a short text, with Content-Length",
    "/chunked          a chunked body, with an extension and a trailer field",
    "/redirect         three redirects (an absolute path, a relative one with a query, another absolute path), then /hello.txt",
    "/slow             a response a byte every 50 ms",
    "/bytes/N          N bytes of binary noise, N up to 16 GiB, sent with sendfile where there is one (for benchmarks)",
    "/status/N         an empty response with status N (try 404, 204, 500)",
];

/// The most clients served at once; one more is answered 503 and closed.
const MAX_HAND_CLIENTS: usize = 32;

/// `head` (a response, or its start) with `Connection: close` after its
/// status line: the hand server closes after each response, and says so,
/// so that curl does not send a second request on a closed connection.
fn closing(head: &[u8]) -> Vec<u8> {
    let at = head
        .windows(2)
        .position(|w| w == b"\r\n")
        .map_or(head.len(), |i| i + 2);
    let mut out = head[..at].to_vec();
    out.extend_from_slice(b"Connection: close\r\n");
    out.extend_from_slice(&head[at..]);
    out
}

/// The hand server's answer to `target`, written to `out`.
fn hand_answer(target: &str, out: &mut impl std::io::Write) -> std::io::Result<()> {
    match target {
        "/hello.txt" => out.write_all(&closing(&ok(HELLO))),
        "/chunked" => out.write_all(&closing(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain\r\n\r\n6;note=first\r\nchunks\r\n0d\r\n arrive here\n\r\n0\r\nX-Trailer: read and dropped\r\n\r\n")),
        "/redirect" => out.write_all(&closing(&response("301 Moved Permanently", &[("Location", "/redirect/step"), ("Content-Length", "0")], b""))),
        "/redirect/step" => out.write_all(&closing(&response("302 Found", &[("Location", "last?x=1"), ("Content-Length", "0")], b""))),
        "/redirect/last?x=1" => out.write_all(&closing(&response("303 See Other", &[("Location", "/hello.txt"), ("Content-Length", "0")], b""))),
        "/slow" => {
            for byte in closing(&ok(b"worth the wait\n")) {
                out.write_all(&[byte])?;
                out.flush()?;
                std::thread::sleep(ms(50));
            }
            Ok(())
        }
        _ => {
            if let Some(n) = bytes_asked(target) {
                return out.write_all(&closing(&response("200 OK", &[("Content-Type", "application/octet-stream"), ("Content-Length", &n.to_string())], b"")));
            }
            if let Some(code) = target.strip_prefix("/status/").and_then(|n| n.parse::<u16>().ok()).filter(|c| (200..600).contains(c)) {
                return out.write_all(format!("HTTP/1.1 {code} Status {code}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n").as_bytes());
            }
            out.write_all(&closing(&response("404 Not Found", &[("Content-Length", "13")], b"no such page\n")))
        }
    }
}

/// `/bytes/N`'s body: N bytes of noise, a 256 KiB pattern over and over,
/// sent from a file (written for the request, and unlinked) with
/// `platform::send_file`, `sendfile` on Linux: the bytes go from the page
/// cache to the socket without a copy through this program, as from a fast
/// web server, so that a benchmark measures the client, not this server.
fn send_noise(n: u64, stream: &TcpStream) -> std::io::Result<()> {
    use std::io::Write;
    let (mut noise, mut pattern) = (Noise::new(1), vec![0u8; 256 << 10]);
    noise.fill(&mut pattern);
    let path = std::env::temp_dir().join(format!(
        "checker-http-noise-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    let mut file = std::fs::File::options()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(&path)?;
    // Gone once closed (where an open file can be unlinked).
    let _ = std::fs::remove_file(&path);
    file.write_all(&pattern)?;
    let mut left = n;
    while left > 0 {
        let sent = platform::send_file(&file, stream, left.min(pattern.len() as u64))?;
        if sent == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        left -= sent;
    }
    Ok(())
}

/// `/bytes/N`, N up to 16 GiB: N, if `target` asks for it.
fn bytes_asked(target: &str) -> Option<u64> {
    target
        .strip_prefix("/bytes/")
        .and_then(|n| n.parse::<u64>().ok())
        .filter(|n| *n <= 16 << 30)
}

/// `cargo grade peer http`: the stages' responses, for a person to try
/// their client (or curl) against. Prints each request.
pub(super) fn serve_by_hand() -> std::io::Result<()> {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    println!("the checker's HTTP server listens on http://{addr}/ (Ctrl-C stops it)");
    println!("it serves:");
    for path in HAND_PATHS {
        println!("  {path}");
    }
    println!("try:  cargo run -q -p fetch --bin fetch-client -- http://{addr}/redirect");
    println!("      curl -v -L http://{addr}/redirect");
    let clients = Arc::new(AtomicUsize::new(0));
    for mut stream in listener.incoming().flatten() {
        if clients.fetch_add(1, Ordering::SeqCst) >= MAX_HAND_CLIENTS {
            clients.fetch_sub(1, Ordering::SeqCst);
            let _ = stream.write_all(b"HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
            continue;
        }
        let clients = Arc::clone(&clients);
        std::thread::spawn(move || -> std::io::Result<()> {
            // Counted out however the thread ends.
            struct Leave(Arc<AtomicUsize>);
            impl Drop for Leave {
                fn drop(&mut self) {
                    self.0.fetch_sub(1, Ordering::SeqCst);
                }
            }
            let _leave = Leave(clients);
            // A client that stops sending, or stops reading, is dropped.
            stream.set_read_timeout(Some(secs(10)))?;
            stream.set_write_timeout(Some(secs(10)))?;
            let mut reader = BufReader::new(stream.try_clone()?);
            let mut head = Vec::new();
            while head_end(&head).is_none() && head.len() < MAX_REQUEST_HEAD {
                // Never more than the head's limit, however long a line:
                // a line without a newline cannot make the server hold it.
                let room = (MAX_REQUEST_HEAD + 1 - head.len()) as u64;
                if reader.by_ref().take(room).read_until(b'\n', &mut head)? == 0 {
                    return Ok(());
                }
            }
            if head_end(&head).is_none() {
                let mut out = stream;
                return out.write_all(&closing(&response(
                    "431 Request Header Fields Too Large",
                    &[("Content-Length", "0")],
                    b"",
                )));
            }
            println!(
                "← {}",
                decode(&head).unwrap_or_else(|| wire::preview(&head))
            );
            let target = head
                .split(|&b| b == b' ')
                .nth(1)
                .map(|t| String::from_utf8_lossy(t).into_owned())
                .unwrap_or_default();
            let mut out = std::io::BufWriter::new(stream);
            hand_answer(&target, &mut out)?;
            out.flush()?;
            // A body to benchmark with follows its head, sent from a file.
            match bytes_asked(&target) {
                Some(n) => send_noise(n, out.get_ref()),
                None => Ok(()),
            }
        });
    }
    Ok(())
}
