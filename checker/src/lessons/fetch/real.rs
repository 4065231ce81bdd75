//! The stage of a real server: tiny_http serves files from a folder, with
//! its own headers and chunked bodies, which nobody scripted.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};

use crate::ctx::Ctx;
use crate::verdict::{Failure, Outcome};

use super::noise::Noise;
use super::program::{fetch, scratch};

/// The files the real server serves: (path, bytes, served chunked).
fn real_files() -> Vec<(&'static str, Vec<u8>, bool)> {
    let mut binary = vec![0u8; 100_000];
    Noise::new(7).fill(&mut binary);
    let notes = b"Notes served by tiny_http.\nNobody scripted this response.\n".to_vec();
    let stream: Vec<u8> = (1..=2000)
        .flat_map(|i| format!("line {i} of a body of unknown length\n").into_bytes())
        .collect();
    vec![
        ("/notes.txt", notes, false),
        ("/data.bin", binary, false),
        ("/stream.txt", stream, true),
    ]
}

/// tiny_http, serving a folder on loopback.
struct RealServer {
    addr: SocketAddr,
    /// The requests it read, one line each.
    log: Arc<Mutex<Vec<String>>>,
    server: Arc<tiny_http::Server>,
}

/// Starts tiny_http on loopback serving `files` from `dir`.
fn start_real_server(
    dir: &Path,
    files: &[(&'static str, Vec<u8>, bool)],
) -> Result<RealServer, Failure> {
    let server = tiny_http::Server::http("127.0.0.1:0")
        .map_err(|e| Failure::checker_error(format!("tiny_http: {e}")))?;
    let addr = server
        .server_addr()
        .to_ip()
        .ok_or_else(|| Failure::checker_error("tiny_http has no IP address"))?;
    for (path, bytes, _) in files {
        std::fs::write(dir.join(&path[1..]), bytes)
            .map_err(|e| Failure::checker_error(e.to_string()))?;
    }
    let server = Arc::new(server);
    let log: Arc<Mutex<Vec<String>>> = Arc::default();
    let chunked: Vec<&'static str> = files.iter().filter(|f| f.2).map(|f| f.0).collect();
    let (dir, serving, seen) = (dir.to_path_buf(), Arc::clone(&server), Arc::clone(&log));
    std::thread::spawn(move || {
        for request in serving.incoming_requests() {
            let headers: Vec<String> = request
                .headers()
                .iter()
                .map(|h| format!("{}: {}", h.field, h.value))
                .collect();
            seen.lock().unwrap_or_else(|e| e.into_inner()).push(format!(
                "{} {} HTTP/{} | {}",
                request.method(),
                request.url(),
                request.http_version(),
                headers.join(" | ")
            ));
            let path = request.url().split('?').next().unwrap_or("/").to_string();
            let file = path
                .strip_prefix('/')
                .filter(|p| !p.is_empty() && !p.contains(['/', '\\']))
                .and_then(|p| std::fs::File::open(dir.join(p)).ok());
            let _ = match file {
                // An unknown length: tiny_http sends it chunked.
                Some(f) if chunked.contains(&path.as_str()) => request.respond(
                    tiny_http::Response::new(tiny_http::StatusCode(200), vec![], f, None, None),
                ),
                Some(f) => request.respond(tiny_http::Response::from_file(f)),
                None => request.respond(
                    tiny_http::Response::from_string("no such file\n").with_status_code(404),
                ),
            };
        }
    });
    Ok(RealServer { addr, log, server })
}

pub(super) fn real_server(ctx: &mut Ctx) -> Outcome {
    let dir = scratch(ctx)?;
    let files = real_files();
    let RealServer { addr, log, server } = start_real_server(&dir, &files)?;
    ctx.note(format!("tiny_http serves {} on {addr}", dir.display()));
    let mut outcome = Ok(());
    for (path, bytes, chunked) in &files {
        let how = if *chunked {
            "chunked"
        } else {
            "with its length"
        };
        let finished = fetch(ctx, &format!("http://{addr}{path}"), &[]);
        outcome = finished.and_then(|f| f.expect_exit(&format!("fetch {path} ({how})"), 0, bytes));
        if outcome.is_err() {
            break;
        }
    }
    if outcome.is_ok() {
        outcome = fetch(ctx, &format!("http://{addr}/missing.txt"), &[])
            .and_then(|f| f.expect_exit("fetch /missing.txt (a 404)", 22, b"no such file\n"));
    }
    server.unblock();
    let log = log.lock().unwrap_or_else(|e| e.into_inner()).clone();
    for line in &log {
        ctx.note(format!("tiny_http read: {line}"));
    }
    if log.is_empty() {
        outcome = outcome.map_err(|f| {
            f.then("; tiny_http never read a whole request from the client")
                .hint("a real server answers only a whole request: the request line and headers, each line ending in \\r\\n, then an empty line")
        });
    }
    let _ = std::fs::remove_dir_all(&dir);
    outcome
}
