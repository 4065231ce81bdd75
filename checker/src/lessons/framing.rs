//! Lesson 3, message framing: the stages. Frames are built by hand here
//! (4-byte big-endian length, then the payload), so that every stage can
//! also send frames that break the rules.

use std::time::Instant;

use crate::course::Stage;
use crate::course::{CLIENT, Lesson, Mistake, SERVER, SERVER_AND_CLIENT};
use crate::ctx::{Ctx, Server};
use crate::process::{self, Input};
use crate::time::{ms, secs};
use crate::verdict::{Failure, Outcome, Verdict};
use crate::wire::{self, Conn};

pub const LESSON: Lesson = Lesson {
    id: "framing",
    title: "Message framing over TCP",
    level: 1,
    package: "framing",
    roles: SERVER_AND_CLIENT,
    chapter: "framing.md",
    stages: STAGES,
    mistakes: MISTAKES,
    peer: None,
    reading: &[
        (
            "Two ways to mark the end of a message",
            &["one-frame", "empty-frame"],
        ),
        (
            "`read_exact`, and a trap",
            &["dribble", "eof-mid-header", "eof-mid-payload"],
        ),
        ("Byte order", &["byte-order"]),
        (
            "Limits as a defence",
            &[
                "max-frame",
                "over-max",
                "huge-length",
                "idle-timeout",
                "past-the-cap",
            ],
        ),
        ("Pipelining", &["two-in-one-write", "pipelined"]),
        ("One type knows the format", &["client"]),
    ],
};

/// The protocol's payload limit: 8 MiB.
const MAX_FRAME: usize = 8 * 1024 * 1024;
/// How much a server's memory may grow when sent a huge length.
const MEMORY_SLACK_KIB: u64 = 4 * 1024;

const STAGES: &[Stage] = &[
    Stage {
        id: "one-frame",
        title: "One frame is answered with its payload reversed",
        points: 5,
        hint: "Read 4 bytes, u32::from_be_bytes, read that many bytes; reply with the length and the reversed bytes.",
        deadline: secs(20),
        roles: SERVER,
        run: one_frame,
    },
    Stage {
        id: "two-in-one-write",
        title: "Two frames in one write get two replies, in order",
        points: 10,
        hint: "One read can hold several frames, or part of one: let read_exact cut the stream at the lengths. When read_frame returns None, close.",
        deadline: secs(20),
        roles: SERVER,
        run: two_in_one_write,
    },
    Stage {
        id: "dribble",
        title: "A frame sent one byte at a time, header included",
        points: 10,
        hint: "Even the 4-byte header can arrive in pieces. read_exact waits for all of it; a single read does not.",
        deadline: secs(20),
        roles: SERVER,
        run: dribble,
    },
    Stage {
        id: "empty-frame",
        title: "A zero-length frame gets a zero-length reply",
        points: 5,
        hint: "A length of 0 is a valid frame: reply 00 00 00 00, and keep reading frames.",
        deadline: secs(20),
        roles: SERVER,
        run: empty_frame,
    },
    Stage {
        id: "max-frame",
        title: "A frame of exactly 8 MiB is accepted",
        points: 5,
        hint: "The limit is inclusive: a payload of exactly MAX_FRAME bytes is fine; only longer ones are refused.",
        deadline: secs(60),
        roles: SERVER,
        run: max_frame,
    },
    Stage {
        id: "over-max",
        title: "One byte over the limit is refused",
        points: 10,
        hint: "Check the length before reading the payload. Over the limit: close this connection (shutdown, drop); keep accepting others.",
        deadline: secs(20),
        roles: SERVER,
        run: over_max,
    },
    Stage {
        id: "huge-length",
        title: "A length of 0xFFFFFFFF: refused, nothing allocated",
        points: 10,
        hint: "Compare the length with MAX_FRAME before any allocation: a stranger's length is a claim, not a fact.",
        deadline: secs(20),
        roles: SERVER,
        run: huge_length,
    },
    Stage {
        id: "eof-mid-header",
        title: "End of stream inside a header",
        points: 5,
        hint: "Two bytes of a header and then end of stream is an error for that connection: close it, serve the next client.",
        deadline: secs(20),
        roles: SERVER,
        run: eof_mid_header,
    },
    Stage {
        id: "eof-mid-payload",
        title: "End of stream inside a payload",
        points: 5,
        hint: "read_exact returns UnexpectedEof when the stream ends early: close that connection, serve the next client.",
        deadline: secs(20),
        roles: SERVER,
        run: eof_mid_payload,
    },
    Stage {
        id: "pipelined",
        title: "1,000 frames sent before any reply is read",
        points: 5,
        hint: "Keep reading frames while replies pile up; flush replies (at the latest) when no more input is buffered.",
        deadline: secs(30),
        roles: SERVER,
        run: pipelined,
    },
    Stage {
        id: "concurrent",
        title: "20 clients at once while another sits idle",
        points: 5,
        hint: "One thread per client, as in the echo lesson: an idle client must not block the others.",
        deadline: secs(40),
        roles: SERVER,
        run: concurrent,
    },
    Stage {
        id: "byte-order",
        title: "The byte-order trap: 00 00 01 00 is 256",
        points: 5,
        hint: "Network byte order is big-endian: u32::from_be_bytes, not from_le_bytes or from_ne_bytes.",
        deadline: secs(20),
        roles: SERVER,
        run: byte_order,
    },
    Stage {
        id: "idle-timeout",
        title: "Half a header, then silence: dropped in time",
        points: 5,
        hint: "Give each client's socket a read timeout of --idle-timeout (the given accept loop does): read_frame then fails with WouldBlock or TimedOut, and the client is dropped.",
        deadline: secs(20),
        roles: SERVER,
        run: idle_timeout,
    },
    Stage {
        id: "past-the-cap",
        title: "Past --max-clients, a client waits, then is served",
        points: 5,
        hint: "Hold the permit while a client is served, and let it drop when serve returns: the given loop does, so check that serve returns when the client leaves.",
        deadline: secs(20),
        roles: SERVER,
        run: past_the_cap,
    },
    Stage {
        id: "client",
        title: "Your client against a server that replies in pieces",
        points: 10,
        hint: "Queue every message with write_frame, flush once, then read one frame per message and print each payload on its own line.",
        deadline: secs(30),
        roles: CLIENT,
        run: client,
    },
];

/// The wrong solutions in checker/fixtures that the stages must catch.
const MISTAKES: &[Mistake] = &[
    Mistake {
        what: "One `read` per frame",
        fixture: "framing-one-read",
        role: "server",
        passes: Some("one-frame"),
        fails: "dribble",
        verdict: Verdict::Failed,
        says: "the program had already closed the connection",
        golden: false,
    },
    Mistake {
        what: "Assuming one read holds one frame",
        fixture: "framing-one-read",
        role: "server",
        passes: Some("one-frame"),
        fails: "two-in-one-write",
        verdict: Verdict::Failed,
        says: "the reply's length field says 23, but the reply should hold 3 bytes",
        golden: false,
    },
    Mistake {
        what: "Reading the length little-endian",
        fixture: "framing-le",
        role: "server",
        passes: None,
        fails: "byte-order",
        verdict: Verdict::TimedOut,
        says: "your server is waiting for 65,536 bytes",
        golden: true,
    },
    Mistake {
        what: "`read_exact` into `Vec::with_capacity(len)`",
        fixture: "framing-with-capacity",
        role: "server",
        passes: None,
        fails: "one-frame",
        verdict: Verdict::Failed,
        says: "the reply's length field says 0",
        golden: true,
    },
    Mistake {
        what: "Trusting the length: allocating before checking it",
        fixture: "framing-unchecked",
        role: "server",
        passes: Some("one-frame"),
        fails: "huge-length",
        verdict: Verdict::TimedOut,
        says: "refuse it at once, before waiting for a payload",
        golden: true,
    },
    Mistake {
        what: "No limit on the length at all",
        fixture: "framing-unchecked",
        role: "server",
        passes: Some("max-frame"),
        fails: "over-max",
        verdict: Verdict::TimedOut,
        says: "for the connection to close, but it stayed open",
        golden: false,
    },
    Mistake {
        what: "Echoing the frame instead of reversing it",
        fixture: "framing-echo",
        role: "server",
        passes: None,
        fails: "one-frame",
        verdict: Verdict::Failed,
        says: "the request reversed",
        golden: false,
    },
    Mistake {
        what: "Forgetting to flush a `BufWriter`",
        fixture: "framing-no-flush",
        role: "server",
        passes: None,
        fails: "one-frame",
        verdict: Verdict::TimedOut,
        says: "for the reply's 4-byte length",
        golden: false,
    },
    Mistake {
        what: "No idle timeout: half a header holds a thread for ever",
        fixture: "framing-no-limits",
        role: "server",
        passes: Some("concurrent"),
        fails: "idle-timeout",
        verdict: Verdict::TimedOut,
        says: "for the connection to close, but it stayed open",
        golden: false,
    },
    Mistake {
        what: "No cap on clients",
        fixture: "framing-no-limits",
        role: "server",
        passes: Some("concurrent"),
        fails: "past-the-cap",
        verdict: Verdict::Failed,
        says: "the cap of 3 was ignored",
        golden: false,
    },
    Mistake {
        what: "Client that waits for each reply before sending the next",
        fixture: "framing-client-lockstep",
        role: "client",
        passes: None,
        fails: "client",
        verdict: Verdict::TimedOut,
        says: "the header of frame 2",
        golden: false,
    },
];

/// A frame: the payload's length, big-endian, then the payload.
fn frame(payload: &[u8]) -> Vec<u8> {
    let mut out = (payload.len() as u32).to_be_bytes().to_vec();
    out.extend_from_slice(payload);
    out
}

fn reversed(payload: &[u8]) -> Vec<u8> {
    payload.iter().rev().copied().collect()
}

/// Expects the reply frame to `request`: reads the 4-byte length, checks
/// it, then reads and checks the payload.
fn expect_reply(conn: &mut Conn, request: &[u8]) -> Outcome {
    let want = reversed(request);
    let header = conn
        .recv_exact(4, "the reply's 4-byte length")?
        .ok_or_else(|| Failure::failed("the server closed the connection instead of replying"))?;
    let len = u32::from_be_bytes(header.clone().try_into().expect("4 bytes")) as usize;
    if len != want.len() {
        return Err(Failure::failed(format!(
            "the reply's length field says {len}, but the reply should hold {} bytes",
            want.len()
        ))
        .expected(format!(
            "length {} (hex {})",
            want.len(),
            wire::hex(&(want.len() as u32).to_be_bytes())
        ))
        .got(format!("length {len} (hex {})", wire::hex(&header))));
    }
    let payload = conn
        .recv_exact(len, "the reply's payload")?
        .unwrap_or_default();
    wire::compare(
        "the reply's payload (the request reversed)",
        &want,
        &payload,
    )
}

/// A well-behaved client sends one frame and gets its reply: after a
/// refusal, the server must still serve others.
fn still_serves(ctx: &Ctx, server: &Server) -> Outcome {
    ctx.check_alive(server)?;
    let mut next = ctx.connect(server, "next client")?;
    next.send(&frame(b"still there?"))?;
    expect_reply(&mut next, b"still there?")?;
    ctx.check_alive(server)
}

fn one_frame(ctx: &mut Ctx) -> Outcome {
    let (_server, mut client) = ctx.start_and_connect("server")?;
    client.send(&frame(b"hello"))?;
    expect_reply(&mut client, b"hello")
}

fn two_in_one_write(ctx: &mut Ctx) -> Outcome {
    let (_server, mut client) = ctx.start_and_connect("server")?;
    let mut both = frame(b"Hi!");
    both.extend(frame(b"Hope you're well"));
    ctx.note("client sends two frames in a single write");
    client.send(&both)?;
    expect_reply(&mut client, b"Hi!")?;
    expect_reply(&mut client, b"Hope you're well")?;
    // End of stream between frames is a clean close: the server closes too.
    client.shutdown_write()?;
    client.expect_close()
}

fn dribble(ctx: &mut Ctx) -> Outcome {
    let (_server, mut client) = ctx.start_and_connect("server")?;
    client.send_slowly(&frame(b"slowly"), ms(10))?;
    expect_reply(&mut client, b"slowly")
}

fn empty_frame(ctx: &mut Ctx) -> Outcome {
    let (_server, mut client) = ctx.start_and_connect("server")?;
    client.send(&frame(b""))?;
    expect_reply(&mut client, b"")?;
    client.send(&frame(b"after the empty one"))?;
    expect_reply(&mut client, b"after the empty one")
}

fn max_frame(ctx: &mut Ctx) -> Outcome {
    let (_server, mut client) = ctx.start_and_connect("server")?;
    let payload: Vec<u8> = (0..MAX_FRAME).map(|i| (i % 251) as u8).collect();
    ctx.note(format!(
        "client sends a frame of exactly {MAX_FRAME} bytes (the limit), reading what comes back as it sends"
    ));
    let want = frame(&reversed(&payload));
    // Reading while sending: a server that answers early (wrongly) must not
    // stall the test on full buffers.
    let got = client.send_while_receiving(&frame(&payload), |reader| {
        reader.recv_exact(want.len(), "the 8 MiB reply frame")
    })?;
    wire::compare("the reply frame", &want, &got.unwrap_or_default())
}

/// Sends `header` (and nothing more), and expects the server to close.
fn expect_refusal(ctx: &Ctx, server: &Server, header: [u8; 4], what: &str) -> Outcome {
    let mut rude = ctx.connect(server, "client")?;
    ctx.note(format!("client announces {what} and sends no payload"));
    rude.send(&header)?;
    rude.expect_close().map_err(|f| {
        f.hint(format!("the length {} is over the limit of {MAX_FRAME}: refuse it at once, before waiting for a payload", u32::from_be_bytes(header)))
    })
}

fn over_max(ctx: &mut Ctx) -> Outcome {
    let server = ctx.start_server_ipv4("server")?;
    let header = ((MAX_FRAME + 1) as u32).to_be_bytes();
    expect_refusal(ctx, &server, header, "a payload of 8 MiB + 1 byte")?;
    still_serves(ctx, &server)
}

fn huge_length(ctx: &mut Ctx) -> Outcome {
    let server = ctx.start_server_ipv4("server")?;
    let before = process::peak_resident_kib(server.pid).unwrap_or(0);
    let started = Instant::now();
    expect_refusal(
        ctx,
        &server,
        [0xff; 4],
        "a payload of 0xFFFFFFFF bytes (4 GiB)",
    )?;
    let after = process::peak_resident_kib(server.pid).unwrap_or(0);
    ctx.note(format!(
        "server's peak resident memory (VmHWM): {before} KiB before, {after} KiB after; refused in {} ms",
        started.elapsed().as_millis()
    ));
    if after > before + MEMORY_SLACK_KIB {
        return Err(Failure::failed(format!(
            "the server's memory grew by {} KiB on a frame it should refuse",
            after - before
        ))
        .expected(format!("growth under {MEMORY_SLACK_KIB} KiB"))
        .got(format!("{before} KiB before, {after} KiB after")));
    }
    still_serves(ctx, &server)
}

fn eof_mid_header(ctx: &mut Ctx) -> Outcome {
    let (server, mut client) = ctx.start_and_connect("server")?;
    client.send(&[0, 0])?;
    client.shutdown_write()?;
    client.expect_close()?;
    still_serves(ctx, &server)
}

fn eof_mid_payload(ctx: &mut Ctx) -> Outcome {
    let (server, mut client) = ctx.start_and_connect("server")?;
    ctx.note("client announces 10 payload bytes, sends 4, then ends the stream");
    client.send(&[0, 0, 0, 10, b'c', b'u', b't', b' '])?;
    client.shutdown_write()?;
    client.expect_close()?;
    still_serves(ctx, &server)
}

fn pipelined(ctx: &mut Ctx) -> Outcome {
    const FRAMES: usize = 1000;
    let (_server, mut client) = ctx.start_and_connect("server")?;
    let requests: Vec<Vec<u8>> = (0..FRAMES)
        .map(|i| format!("request number {i}").into_bytes())
        .collect();
    let burst: Vec<u8> = requests.iter().flat_map(|r| frame(r)).collect();
    ctx.note(format!(
        "client sends {FRAMES} frames ({} bytes) in one go, then reads the replies",
        burst.len()
    ));
    let want: Vec<u8> = requests.iter().flat_map(|r| frame(&reversed(r))).collect();
    let got = client.send_while_receiving(&burst, |reader| {
        reader.recv_exact(want.len(), "1,000 reply frames")
    })?;
    wire::compare(
        "the 1,000 replies, in order",
        &want,
        &got.unwrap_or_default(),
    )
}

fn concurrent(ctx: &mut Ctx) -> Outcome {
    let server = ctx.start_server_ipv4("server")?;
    ctx.idle_then_many(&server, 20, |conn| {
        for round in 1..=3 {
            let request = format!("{}, round {round}", conn.name());
            conn.send(&frame(request.as_bytes()))?;
            expect_reply(conn, request.as_bytes())?;
        }
        Ok(())
    })
}

fn idle_timeout(ctx: &mut Ctx) -> Outcome {
    let idle = ctx.flag(ms(300));
    let server = ctx.start_server("server", &["--idle-timeout", &idle, "127.0.0.1:0"])?;
    ctx.note(format!("the server is told --idle-timeout {idle}"));
    ctx.expect_idle_drop(&server, |conn| conn.send(&[0, 0]))?;
    still_serves(ctx, &server)
}

fn past_the_cap(ctx: &mut Ctx) -> Outcome {
    let server = ctx.start_server("server", &["--max-clients", "3", "127.0.0.1:0"])?;
    ctx.note("the server is told --max-clients 3");
    let request = |conn: &Conn| format!("{} is here", conn.name()).into_bytes();
    ctx.past_the_cap(
        &server,
        3,
        |conn| conn.send(&frame(&request(conn))),
        |conn| expect_reply(conn, &request(conn)),
    )
}

fn byte_order(ctx: &mut Ctx) -> Outcome {
    let (_server, mut client) = ctx.start_and_connect("server")?;
    let payload: Vec<u8> = (0..=255).collect();
    ctx.note("client sends header 00 00 01 00 (256, big-endian; 65,536 if read little-endian) and 256 bytes");
    client.send(&frame(&payload))?;
    expect_reply(&mut client, &payload)
        .map_err(|f| f.hint("if nothing came back, your server is waiting for 65,536 bytes: it read the length little-endian"))
}

/// Reads one frame from the student's client: `None` at a clean end.
fn read_frame(conn: &mut Conn, n: usize) -> Result<Option<Vec<u8>>, Failure> {
    let Some(header) = conn.recv_exact(4, &format!("the header of frame {n}"))? else {
        return Ok(None);
    };
    let len = u32::from_be_bytes(header.try_into().expect("4 bytes")) as usize;
    if len > MAX_FRAME {
        return Err(
            Failure::failed(format!("your client's frame {n} claims {len} bytes"))
                .hint("write the length with u32::to_be_bytes"),
        );
    }
    let payload = conn.recv_exact(len, &format!("the payload of frame {n}"))?;
    Ok(Some(payload.unwrap_or_default()))
}

fn client(ctx: &mut Ctx) -> Outcome {
    const MESSAGES: [&str; 4] = ["first", "second message", "", "last one"];
    let peer = ctx.tcp_peer("the checker's server", |conn, _| {
        // All requests first: the client must pipeline them.
        let mut requests = Vec::new();
        for n in 1..=MESSAGES.len() {
            let Some(payload) = read_frame(conn, n)? else {
                return Err(Failure::failed(format!(
                    "your client closed after sending {} of {} frames",
                    n - 1,
                    MESSAGES.len()
                )));
            };
            requests.push(payload);
        }
        conn.note("the checker's server replies to each frame in small pieces");
        let replies: Vec<u8> = requests.iter().flat_map(|r| frame(&reversed(r))).collect();
        conn.send_in_pieces(&replies, 3, ms(10))?;
        Ok(requests)
    })?;
    let addr = peer.addr().to_string();
    let timeout = ctx.flag(secs(5));
    let mut args = vec!["--timeout", timeout.as_str(), addr.as_str()];
    args.extend(MESSAGES);
    let finished = ctx.run_client("client", &args, Input::Nothing, secs(10));
    let requests = peer.finish_one("client")?;
    for (n, (got, want)) in requests.iter().zip(MESSAGES).enumerate() {
        wire::compare(
            &format!("frame {} your client sent", n + 1),
            want.as_bytes(),
            got,
        )?;
    }
    let finished = finished?;
    finished.expect_success()?;
    let want: Vec<u8> = MESSAGES
        .iter()
        .flat_map(|m| [reversed(m.as_bytes()), b"\n".to_vec()].concat())
        .collect();
    wire::compare(
        "what your client printed (one reply per line)",
        &want,
        &finished.stdout,
    )
}
