//! The peers a student starts by hand (`cargo grade peer dns|http|rpc`),
//! attacked as a hostile client would: each keeps the limits its chapter
//! states, stays under 64 MiB, and goes on serving another client.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use rstest::rstest;

/// The most memory a hand peer may reach under attack.
const MOST_KIB: u64 = 64 * 1024;
/// How long a well-behaved client waits for the peer, under attack or not.
const PATIENCE: Duration = Duration::from_secs(10);

/// A hand peer, stopped however the test ends.
struct Peer {
    child: Child,
    /// The addresses its first line announced (the rpc peer has two).
    addrs: Vec<SocketAddr>,
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Peer {
    fn start(kind: &str) -> Peer {
        let child = Command::new(assert_cmd::cargo::cargo_bin!("grade"))
            .args(["peer", kind])
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("cargo grade peer");
        // Owned from here: a failed assertion below still stops it.
        let mut peer = Peer {
            child,
            addrs: Vec::new(),
        };
        let stdout = peer.child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let first = lines
            .by_ref()
            .map_while(Result::ok)
            .find(|l| l.contains(" listens on "))
            .expect("the line with the peer's address");
        // The peer prints every message: keep reading, or it would block on
        // a full pipe and the test would measure the pipe.
        thread::spawn(move || lines.for_each(drop));
        peer.addrs = first
            .split(|c: char| c.is_whitespace() || c == ',' || c == ';')
            .map(|w| w.trim_start_matches("http://").trim_end_matches('/'))
            .filter_map(|w| w.parse().ok())
            .collect();
        assert!(!peer.addrs.is_empty(), "no address in {first:?}");
        peer
    }

    fn peak_kib(&self) -> u64 {
        checker::platform::peak_resident_kib(self.child.id()).unwrap_or(0)
    }
}

/// A client that sends and never reads: its writes stop when the peer
/// stops reading (the buffers are full) or drops it.
fn greedy(addr: SocketAddr) -> TcpStream {
    let s = connect(addr);
    s.set_write_timeout(Some(Duration::from_millis(200)))
        .expect("timeout");
    s
}

fn connect(addr: SocketAddr) -> TcpStream {
    let s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(PATIENCE)).expect("timeout");
    s.set_write_timeout(Some(PATIENCE)).expect("timeout");
    s
}

/// A DNS query for `name`, type A, with the id `id`.
fn dns_query(id: u16, name: &str) -> Vec<u8> {
    let mut q = id.to_be_bytes().to_vec();
    q.extend_from_slice(&[1, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
    for label in name.split('.') {
        q.push(label.len() as u8);
        q.extend_from_slice(label.as_bytes());
    }
    q.extend_from_slice(&[0, 0, 1, 0, 1]);
    q
}

/// The attacks. Each is done while the peer runs, and leaves its
/// connections open until the well-behaved client has been served.
fn attack(kind: &str, peer: &Peer) -> Vec<TcpStream> {
    let addr = peer.addrs[0];
    let mut kept = Vec::new();
    match kind {
        "dns-udp-flood" => {
            // 20,000 datagrams: garbage, cut queries, queries of every size.
            let sock = UdpSocket::bind("127.0.0.1:0").expect("bind");
            let big = vec![0xc0; 65_000];
            for i in 0..20_000u32 {
                let d = match i % 4 {
                    0 => dns_query(i as u16, "www.example.test"),
                    1 => big.clone(),
                    2 => dns_query(i as u16, "www.example.test")[..7].to_vec(),
                    _ => vec![0xff; (i % 512) as usize],
                };
                let _ = sock.send_to(&d, addr);
            }
        }
        "dns-tcp-idle-and-non-reader" => {
            for _ in 0..16 {
                kept.push(connect(addr)); // idle
            }
            // One that asks and asks, and never reads a reply.
            let mut greedy = greedy(addr);
            let q = dns_query(7, "example.test");
            let framed = [&(q.len() as u16).to_be_bytes()[..], &q].concat();
            let until = Instant::now() + Duration::from_secs(1);
            while Instant::now() < until {
                if greedy.write_all(&framed.repeat(64)).is_err() {
                    break;
                }
            }
            kept.push(greedy);
        }
        "http-long-line" => {
            // 100 MB with no newline: the peer must answer 431, not hold it.
            let mut s = connect(addr);
            let chunk = vec![b'a'; 1 << 20];
            for _ in 0..100 {
                if s.write_all(&chunk).is_err() {
                    break; // the peer answered and closed
                }
            }
            let mut reply = Vec::new();
            let _ = s.read_to_end(&mut reply);
            let head = String::from_utf8_lossy(&reply[..reply.len().min(60)]).into_owned();
            assert!(head.starts_with("HTTP/1.1 431"), "got {head:?}");
        }
        "http-idle-and-non-reader" => {
            for _ in 0..16 {
                kept.push(connect(addr));
            }
            let mut greedy = greedy(addr);
            greedy
                .write_all(b"GET /bytes/1000000000 HTTP/1.1\r\nHost: x\r\n\r\n")
                .expect("send");
            kept.push(greedy);
            thread::sleep(Duration::from_millis(500));
        }
        "rpc-big-batch-and-names" => {
            let mut s = connect(addr);
            let one = r#"{"jsonrpc":"2.0","id":1,"method":"ns.list"}"#;
            // 20,000 requests in one line, under its 1 MiB limit.
            let batch = format!("[{}]\n", vec![one; 20_000].join(","));
            s.write_all(batch.as_bytes()).expect("send");
            let mut line = String::new();
            BufReader::new(&s).read_line(&mut line).expect("a reply");
            assert!(line.contains("-32600"), "a batch over the limit: {line}");
            // 100,000 of them: a line over 1 MiB, which closes the
            // connection (our write may fail as it does).
            let mut s = connect(addr);
            let _ = s.write_all(format!("[{}]\n", vec![one; 100_000].join(",")).as_bytes());
            // Names until refused, then lists of them, never read.
            let mut greedy = greedy(addr);
            for i in 0..5_000 {
                let call = format!(
                    r#"{{"jsonrpc":"2.0","id":{i},"method":"ns.register","params":["n{i}","rpc://127.0.0.1:1/n{i}"]}}"#
                );
                if writeln!(greedy, "{call}").is_err() {
                    break;
                }
            }
            let until = Instant::now() + Duration::from_secs(1);
            while Instant::now() < until {
                if writeln!(greedy, "{one}").is_err() {
                    break;
                }
            }
            kept.push(greedy);
        }
        other => panic!("no attack {other}"),
    }
    kept
}

/// What a well-behaved client gets from the peer, asked once.
fn served(kind: &str, peer: &Peer) -> String {
    let addr = peer.addrs[0];
    if kind.starts_with("dns-udp") {
        let sock = UdpSocket::bind("127.0.0.1:0").expect("bind");
        sock.set_read_timeout(Some(Duration::from_secs(1)))
            .expect("timeout");
        let mut buf = [0u8; 512];
        // UDP may lose a query (the peer's queue is full of the flood):
        // ask again each second, as a resolver does.
        let until = Instant::now() + PATIENCE;
        while Instant::now() < until {
            sock.send_to(&dns_query(0x4242, "www.example.test"), addr)
                .expect("send");
            // Replies to the flood may still come: ours has our id.
            while let Ok((n, _)) = sock.recv_from(&mut buf) {
                if buf[..2] == [0x42, 0x42] {
                    return format!("DNS reply of {n} bytes, {} answer(s)", buf[7]);
                }
            }
        }
        return "no reply".into();
    }
    let mut s = connect(addr);
    if kind.starts_with("dns") {
        let q = dns_query(0x4242, "www.example.test");
        s.write_all(&[&(q.len() as u16).to_be_bytes()[..], &q].concat())
            .expect("send");
        let mut len = [0u8; 2];
        s.read_exact(&mut len).expect("a reply in time");
        let mut reply = vec![0u8; u16::from_be_bytes(len) as usize];
        s.read_exact(&mut reply).expect("the reply");
        return format!("DNS reply of {} bytes, {} answer(s)", reply.len(), reply[7]);
    }
    if kind.starts_with("http") {
        s.write_all(b"GET /hello.txt HTTP/1.1\r\nHost: x\r\n\r\n")
            .expect("send");
        let mut reply = String::new();
        s.read_to_string(&mut reply).expect("a reply in time");
        return reply.lines().next().unwrap_or_default().to_string();
    }
    writeln!(
        s,
        r#"{{"jsonrpc":"2.0","id":9,"method":"ns.lookup","params":["calculator"]}}"#
    )
    .expect("send");
    let mut line = String::new();
    BufReader::new(&s)
        .read_line(&mut line)
        .expect("a reply in time");
    line
}

#[rstest]
#[case::dns_udp_flood("dns", "dns-udp-flood", "1 answer(s)")]
#[case::dns_tcp_idle_and_non_reader("dns", "dns-tcp-idle-and-non-reader", "1 answer(s)")]
#[case::http_long_line("http", "http-long-line", "HTTP/1.1 200 OK")]
#[case::http_idle_and_non_reader("http", "http-idle-and-non-reader", "HTTP/1.1 200 OK")]
#[case::rpc_big_batch_and_names("rpc", "rpc-big-batch-and-names", "rpc://")]
fn a_hand_peer_under_attack_keeps_its_limits_and_serves_others(
    #[case] peer: &str,
    #[case] how: &str,
    #[case] answer: &str,
) {
    let peer_process = Peer::start(peer);
    let kept = attack(how, &peer_process);
    let started = Instant::now();
    let got = served(how, &peer_process);
    let waited = started.elapsed();
    let peak = peer_process.peak_kib();
    drop(kept);
    assert!(
        got.contains(answer),
        "after {how}, a client asked and got {got:?}"
    );
    assert!(
        waited < Duration::from_secs(5),
        "after {how}, a client waited {waited:?}"
    );
    assert!(
        peak < MOST_KIB,
        "after {how}, the peer's peak memory is {} MiB",
        peak / 1024
    );
}
