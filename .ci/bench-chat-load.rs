//! The load of `.ci/bench-chat`: holds many connections to a chat server,
//! and times a message's fan-out from one member to the others. Built and
//! run by the script, in a scratch package of its own; not part of the
//! workspace.
//!
//! Usage: `load ADDR PROTOCOL PID HOLD ROOM MESSAGES`
//!
//! - PROTOCOL is `budget` (this course's room: a welcome line, then the
//!   name; messages come back as `[NAME] TEXT`) or `plain` (tokio's chat
//!   example: the name is the first line, lines end in `\r\n`, messages come
//!   back as `NAME: TEXT`);
//! - PID is the server's, for its threads and memory (/proc);
//! - HOLD connections in all, of which ROOM give a name and chat;
//! - MESSAGES messages from the first member, 20 ms apart, each timed to
//!   every other member.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::sync::mpsc;

fn status(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            let line = s.lines().find(|l| l.starts_with(field))?.to_string();
            line.split_whitespace().nth(1)?.parse().ok()
        })
        .unwrap_or(0)
}

/// One line a member heard: the message number, and when it came.
type Heard = (usize, Instant);

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [addr, protocol, pid, hold, room, messages] = args.as_slice() else {
        eprintln!("usage: load ADDR budget|plain PID HOLD ROOM MESSAGES");
        std::process::exit(2);
    };
    let budget = protocol == "budget";
    let pid: u32 = pid.parse().expect("PID");
    let (hold, room, messages): (usize, usize, usize) = (
        hold.parse().expect("HOLD"),
        room.parse().expect("ROOM"),
        messages.parse().expect("MESSAGES"),
    );
    let end = if budget { "\n" } else { "\r\n" };
    let rss_before = status(pid, "VmRSS:");

    // The members: each a task that reads every line, and reports the
    // numbered messages it hears.
    let (heard_tx, mut heard_rx) = mpsc::unbounded_channel::<(usize, Heard)>();
    let probed = Arc::new(AtomicUsize::new(0));
    let mut writers = Vec::new();
    let started = Instant::now();
    for i in 0..room {
        let stream = TcpStream::connect(addr.as_str()).await.expect("connect");
        stream.set_nodelay(true).expect("nodelay");
        let (read, mut write) = stream.into_split();
        write
            .write_all(format!("user{i:05}{end}").as_bytes())
            .await
            .expect("name");
        writers.push(write);
        let (heard_tx, probed) = (heard_tx.clone(), Arc::clone(&probed));
        tokio::spawn(async move {
            let mut lines = BufReader::new(read).lines();
            let mut was_probed = false;
            while let Ok(Some(line)) = lines.next_line().await {
                let Some(text) = line.split_once(if budget { "] " } else { ": " }) else {
                    continue;
                };
                let text = text.1.trim_end();
                if text == "probe" {
                    if !was_probed {
                        was_probed = true;
                        probed.fetch_add(1, Ordering::SeqCst);
                    }
                } else if let Some(n) = text.strip_prefix("msg ") {
                    let n: usize = n.parse().unwrap_or(usize::MAX);
                    let _ = heard_tx.send((i, (n, Instant::now())));
                }
            }
        });
    }
    // Until every other member has heard a probe: then all are in the room.
    loop {
        writers[0]
            .write_all(format!("probe{end}").as_bytes())
            .await
            .expect("probe");
        tokio::time::sleep(Duration::from_millis(200)).await;
        if probed.load(Ordering::SeqCst) >= room - 1 {
            break;
        }
    }
    let joined = started.elapsed();
    // The others: connected, and nothing more (no name): held.
    let mut held = Vec::new();
    for _ in room..hold {
        let stream = TcpStream::connect(addr.as_str()).await.expect("connect");
        held.push(tokio::spawn(async move {
            let mut lines = BufReader::new(stream).lines();
            while let Ok(Some(_)) = lines.next_line().await {}
        }));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (rss, threads) = (status(pid, "VmRSS:"), status(pid, "Threads:"));
    println!(
        "held {hold} connections ({room} in the room, joined in {:.1}s): the server runs {threads} threads and holds {} MiB, {:.1} KiB per connection",
        joined.as_secs_f64(),
        rss / 1024,
        rss.saturating_sub(rss_before) as f64 / hold as f64
    );

    // The fan-out: numbered messages from member 0, timed to each other.
    let mut sent = Vec::with_capacity(messages);
    for n in 0..messages {
        sent.push(Instant::now());
        writers[0]
            .write_all(format!("msg {n}{end}").as_bytes())
            .await
            .expect("send");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let expected = messages * (room - 1);
    let mut latencies = Vec::with_capacity(expected);
    let deadline = tokio::time::sleep(Duration::from_secs(30));
    tokio::pin!(deadline);
    while latencies.len() < expected {
        tokio::select! {
            got = heard_rx.recv() => {
                let Some((_, (n, at))) = got else { break };
                if let Some(t0) = sent.get(n) {
                    latencies.push(at.duration_since(*t0));
                }
            }
            () = &mut deadline => break,
        }
    }
    latencies.sort();
    let pick = |q: f64| {
        latencies
            .get(((latencies.len() as f64 * q) as usize).min(latencies.len().saturating_sub(1)))
            .map_or(f64::NAN, |d| d.as_secs_f64() * 1000.0)
    };
    println!(
        "fan-out to {} receivers: {} of {expected} lines arrived; p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        room - 1,
        latencies.len(),
        pick(0.50),
        pick(0.99),
        pick(1.0)
    );
    println!(
        "after: the server runs {} threads and holds {} MiB",
        status(pid, "Threads:"),
        status(pid, "VmRSS:") / 1024
    );
    std::process::exit(0);
}
