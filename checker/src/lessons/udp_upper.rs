//! Lesson 2, UDP upper-case: the stages. The server is graded with the
//! checker's own UDP sockets; the client against the checker's UDP peers,
//! which can drop datagrams, stay silent, or let a stranger butt in.

use std::net::SocketAddr;
use std::thread;
use std::time::Duration;

use crate::course::Stage;
use crate::course::{CLIENT, Lesson, Mistake, SERVER, SERVER_AND_CLIENT};
use crate::ctx::{Ctx, Finished, Server};
use crate::peer::UdpPeer;
use crate::process::Input;
use crate::time::{ms, secs};
use crate::verdict::{Failure, Outcome, Verdict};
use crate::wire::{self, Udp};

pub const LESSON: Lesson = Lesson {
    id: "udp-upper",
    title: "UDP upper-case server and client",
    level: 1,
    package: "udp-upper",
    roles: SERVER_AND_CLIENT,
    chapter: "udp-upper.md",
    stages: STAGES,
    mistakes: MISTAKES,
    peer: None,
    reading: &[
        (
            "Datagrams versus streams",
            &["one-datagram", "two-datagrams", "empty"],
        ),
        ("Size limits and silent truncation", &["largest"]),
        (
            "A server made of a loop and a handler",
            &["many-clients", "survives-garbage"],
        ),
        ("OS-chosen ports", &["client-reply"]),
        (
            "What UDP does not promise",
            &["client-retry", "client-silent"],
        ),
        (
            "Connectionless sockets in Rust",
            &["client-refused", "client-stranger"],
        ),
    ],
};

/// The largest UDP payload over IPv4.
const LARGEST_V4: usize = 65_507;

const STAGES: &[Stage] = &[
    Stage {
        id: "one-datagram",
        title: "One datagram is answered in upper case",
        points: 5,
        hint: "recv_from gives the bytes and the sender; send_to(reply, sender) answers. Upper-case with to_ascii_uppercase.",
        deadline: secs(20),
        roles: SERVER,
        run: one_datagram,
    },
    Stage {
        id: "mixed-case",
        title: "The slides' MixedCaseString",
        points: 5,
        hint: "Every ASCII letter becomes upper case; nothing else changes.",
        deadline: secs(20),
        roles: SERVER,
        run: mixed_case,
    },
    Stage {
        id: "two-datagrams",
        title: "Two datagrams back to back get two replies",
        points: 10,
        hint: "One recv_from is one datagram, and one send_to is one reply. Don't collect datagrams into one buffer.",
        deadline: secs(20),
        roles: SERVER,
        run: two_datagrams,
    },
    Stage {
        id: "empty",
        title: "An empty datagram gets an empty reply",
        points: 10,
        hint: "A datagram of 0 bytes is a real datagram (unlike a TCP read of 0, which means end of stream). Answer it with an empty datagram.",
        deadline: secs(20),
        roles: SERVER,
        run: empty,
    },
    Stage {
        id: "largest",
        title: "A 65,507-byte datagram comes back whole",
        points: 10,
        hint: "recv_from cuts a datagram that does not fit the buffer, without a word. Receive into a buffer of MAX_DATAGRAM bytes.",
        deadline: secs(20),
        roles: SERVER,
        run: largest,
    },
    Stage {
        id: "binary",
        title: "All 256 byte values: only ASCII letters change",
        points: 10,
        hint: "Work on bytes: [u8]::to_ascii_uppercase. Converting to String mangles bytes that are not UTF-8, or panics.",
        deadline: secs(20),
        roles: SERVER,
        run: binary,
    },
    Stage {
        id: "many-clients",
        title: "Five clients, interleaved, each gets its own replies",
        points: 10,
        hint: "Reply to the address recv_from returned for this very datagram, not to a stored or fixed address.",
        deadline: secs(30),
        roles: SERVER,
        run: many_clients,
    },
    Stage {
        id: "survives-garbage",
        title: "The server survives garbage and keeps serving",
        points: 10,
        hint: "Nothing a peer sends may stop the server: no unwrap() on received data, and an error on one datagram must not end the loop.",
        deadline: secs(20),
        roles: SERVER,
        run: survives_garbage,
    },
    Stage {
        id: "ipv6",
        title: "Serving on IPv6 loopback [::1]",
        points: 5,
        hint: "Bind exactly the address you are given: `[::1]:0` is IPv6.",
        deadline: secs(20),
        roles: SERVER,
        run: ipv6,
    },
    Stage {
        id: "client-reply",
        title: "Your client reports its port and prints the reply",
        points: 5,
        hint: "Bind port 0, connect, print `using` and local_addr(), send, recv, print the reply on the next line.",
        deadline: secs(20),
        roles: CLIENT,
        run: client_reply,
    },
    Stage {
        id: "client-retry",
        title: "Your client retries when datagrams are lost",
        points: 5,
        hint: "Set a read timeout of 1 second. When recv times out (WouldBlock or TimedOut), send the request again: 3 attempts in all.",
        deadline: secs(20),
        roles: CLIENT,
        run: client_retry,
    },
    Stage {
        id: "client-silent",
        title: "Your client gives up on a silent server",
        points: 5,
        hint: "After the last attempt times out, return an error: one line on stderr, exit code 1.",
        deadline: secs(30),
        roles: CLIENT,
        run: client_silent,
    },
    Stage {
        id: "client-refused",
        title: "Your client reports a closed port at once",
        points: 5,
        hint: "On a connected UDP socket an ICMP port unreachable shows up as ErrorKind::ConnectionRefused from recv (or the next send). Report it instead of retrying.",
        deadline: secs(20),
        roles: CLIENT,
        run: client_refused,
    },
    Stage {
        id: "client-stranger",
        title: "Your client ignores a datagram from a stranger",
        points: 5,
        hint: "Connect the socket to the server (UdpSocket::connect): the OS then drops datagrams from any other address. Or check the sender that recv_from returns.",
        deadline: secs(20),
        roles: CLIENT,
        run: client_stranger,
    },
];

/// The wrong solutions in checker/fixtures that the stages must catch.
const MISTAKES: &[Mistake] = &[
    Mistake {
        what: "A receive buffer of 1,024 bytes, as on the slides",
        fixture: "udp-small-buffer",
        role: "server",
        passes: Some("one-datagram"),
        fails: "largest",
        verdict: Verdict::Failed,
        says: "got only 1024 of 65507 bytes",
        golden: true,
    },
    Mistake {
        what: "Replying to a stored or fixed address",
        fixture: "udp-fixed-reply",
        role: "server",
        passes: Some("one-datagram"),
        fails: "many-clients",
        verdict: Verdict::TimedOut,
        says: "no datagram came back within",
        golden: false,
    },
    Mistake {
        what: "Treating a datagram as UTF-8 text",
        fixture: "udp-utf8",
        role: "server",
        passes: Some("mixed-case"),
        fails: "binary",
        verdict: Verdict::Crashed,
        says: "panicked (exit code 101)",
        golden: true,
    },
    Mistake {
        what: "`unwrap()` on what a stranger sends",
        fixture: "udp-utf8",
        role: "server",
        passes: Some("mixed-case"),
        fails: "survives-garbage",
        verdict: Verdict::Crashed,
        says: "it should keep serving after any client",
        golden: false,
    },
    Mistake {
        what: "Client with no read timeout",
        fixture: "udp-client-no-timeout",
        role: "client",
        passes: Some("client-reply"),
        fails: "client-silent",
        verdict: Verdict::TimedOut,
        says: "was still running after",
        golden: true,
    },
    Mistake {
        what: "Client that sends once and never again",
        fixture: "udp-client-no-retry",
        role: "client",
        passes: Some("client-reply"),
        fails: "client-retry",
        verdict: Verdict::Failed,
        says: "and your client did not send again",
        golden: false,
    },
    Mistake {
        what: "Client that takes a reply from anyone",
        fixture: "udp-client-unconnected",
        role: "client",
        passes: Some("client-reply"),
        fails: "client-stranger",
        verdict: Verdict::Failed,
        says: "NOT FOR YOU",
        golden: false,
    },
    Mistake {
        what: "Client that never learns the port is closed",
        fixture: "udp-client-unconnected",
        role: "client",
        passes: Some("client-reply"),
        fails: "client-refused",
        verdict: Verdict::Failed,
        says: "did not say that the connection was refused",
        golden: false,
    },
];

fn socket(ctx: &Ctx, name: &str) -> Result<Udp, Failure> {
    Udp::bind(ctx.transcript(), name, "127.0.0.1:0")
}

/// Sends `request` and expects its upper-cased reply from the server.
fn ask(ctx: &Ctx, server: &Server, sock: &Udp, request: &[u8]) -> Outcome {
    sock.send_to(request, server.addr)?;
    expect_upper(ctx, server, sock, request)
}

fn expect_upper(ctx: &Ctx, server: &Server, sock: &Udp, request: &[u8]) -> Outcome {
    sock.expect_reply(
        "the reply",
        &request.to_ascii_uppercase(),
        server.addr,
        &server.gone,
    )
    .map_err(|f| {
        if ctx.has_exited(server) {
            f.then("; the server had exited")
        } else {
            f
        }
    })
}

fn one_datagram(ctx: &mut Ctx) -> Outcome {
    let server = ctx.start_server_ipv4("server")?;
    let client = socket(ctx, "client")?;
    ask(ctx, &server, &client, b"hello, datagram")
}

fn mixed_case(ctx: &mut Ctx) -> Outcome {
    let server = ctx.start_server_ipv4("server")?;
    let client = socket(ctx, "client")?;
    ask(ctx, &server, &client, b"MixedCaseString")
}

fn two_datagrams(ctx: &mut Ctx) -> Outcome {
    let server = ctx.start_server_ipv4("server")?;
    let client = socket(ctx, "client")?;
    client.send_to(b"Hi!", server.addr)?;
    client.send_to(b"Hope you're well", server.addr)?;
    // Loopback keeps the order; the point is that each reply is whole and
    // on its own.
    expect_upper(ctx, &server, &client, b"Hi!")?;
    expect_upper(ctx, &server, &client, b"Hope you're well")
}

fn empty(ctx: &mut Ctx) -> Outcome {
    let server = ctx.start_server_ipv4("server")?;
    let client = socket(ctx, "client")?;
    ask(ctx, &server, &client, b"")?;
    // And the server still answers normally afterwards.
    ask(ctx, &server, &client, b"after the empty one")
}

fn largest(ctx: &mut Ctx) -> Outcome {
    let server = ctx.start_server_ipv4("server")?;
    let client = socket(ctx, "client")?;
    let big: Vec<u8> = (0..LARGEST_V4)
        .map(|i| b"abcdefghijklmnopqrstuvwxyz0123456789"[i % 36])
        .collect();
    ask(ctx, &server, &client, &big)
}

fn binary(ctx: &mut Ctx) -> Outcome {
    let server = ctx.start_server_ipv4("server")?;
    let client = socket(ctx, "client")?;
    let every_byte: Vec<u8> = (0..=255).collect();
    ask(ctx, &server, &client, &every_byte)
}

fn many_clients(ctx: &mut Ctx) -> Outcome {
    let server = ctx.start_server_ipv4("server")?;
    let clients = (1..=5)
        .map(|i| socket(ctx, &format!("client {i}")))
        .collect::<Result<Vec<_>, _>>()?;
    ctx.note("five clients on five ports take turns: each sends, then each expects its own reply; three rounds");
    for round in 1..=3 {
        let requests: Vec<String> = (1..=clients.len())
            .map(|i| format!("client {i}, round {round}"))
            .collect();
        for (client, request) in clients.iter().zip(&requests) {
            client.send_to(request.as_bytes(), server.addr)?;
        }
        for (client, request) in clients.iter().zip(&requests) {
            expect_upper(ctx, &server, client, request.as_bytes())?;
        }
    }
    Ok(())
}

fn survives_garbage(ctx: &mut Ctx) -> Outcome {
    let server = ctx.start_server_ipv4("server")?;
    let rude = socket(ctx, "rude client")?;
    rude.send_to(b"\xff\xfe\xfd\x80 not UTF-8", server.addr)?;
    rude.send_to(&[0u8; 1000], server.addr)?;
    rude.send_to(&vec![0xffu8; LARGEST_V4], server.addr)?;
    ctx.note(
        "rude client also sends 200 small datagrams of assorted bytes, without reading any reply",
    );
    for i in 0..200u32 {
        let junk: Vec<u8> = (0..(i % 50)).map(|j| (i * 31 + j * 7) as u8).collect();
        rude.send_quietly(&junk, server.addr)?;
    }
    thread::sleep(ms(200));
    ctx.check_alive(&server)?;
    let polite = socket(ctx, "polite client")?;
    ask(ctx, &server, &polite, b"still alive?")?;
    ctx.check_alive(&server)
}

fn ipv6(ctx: &mut Ctx) -> Outcome {
    let server = ctx.start_server_ipv6("server")?;
    let client = Udp::bind(ctx.transcript(), "client", "[::1]:0")?;
    ask(ctx, &server, &client, b"hello over IPv6")
}

/// What the client printed: the `using IP:PORT` line, and the reply.
fn parse_output(finished: &Finished) -> Result<(SocketAddr, Vec<u8>), Failure> {
    let out = &finished.stdout;
    let expected = "a line `using IP:PORT`, then the reply on the next line";
    let Some(newline) = out.iter().position(|&b| b == b'\n') else {
        return Err(Failure::failed("your client printed less than two lines")
            .expected(expected)
            .got(wire::show(out)));
    };
    let first = String::from_utf8_lossy(&out[..newline]);
    let using = first
        .strip_prefix("using ")
        .and_then(|a| a.trim().parse::<SocketAddr>().ok())
        .ok_or_else(|| {
            Failure::failed("your client's first line is not `using IP:PORT`")
                .expected(expected)
                .got(wire::show(out))
        })?;
    let rest = &out[newline + 1..];
    let reply = rest.strip_suffix(b"\n").unwrap_or(rest).to_vec();
    Ok((using, reply))
}

/// Runs the student's client with MESSAGE against `peer`, each attempt
/// waiting `timeout`; returns what the client did and the peer's state.
fn against<S: Send + 'static>(
    ctx: &Ctx,
    peer: UdpPeer<S>,
    message: &str,
    timeout: Duration,
) -> (Result<Finished, Failure>, Result<S, Failure>) {
    let addr = peer.addr().to_string();
    let timeout = ctx.flag(timeout);
    let finished = ctx.run_client(
        "client",
        &["--timeout", &timeout, "--attempts", "3", &addr, message],
        Input::Nothing,
        secs(3),
    );
    (finished, peer.finish())
}

/// The client succeeded and printed `want` as its reply; returns the
/// address it said it used.
fn expect_printed_reply(
    finished: Result<Finished, Failure>,
    want: &[u8],
) -> Result<SocketAddr, Failure> {
    let finished = finished?;
    finished.expect_success()?;
    let (using, reply) = parse_output(&finished)?;
    wire::compare("the reply your client printed", want, &reply)?;
    Ok(using)
}

/// Where the first datagram came from, and the stage's own failure if the
/// peer saw none.
fn first_sender(from: Option<SocketAddr>) -> Result<SocketAddr, Failure> {
    from.ok_or_else(|| {
        Failure::timed_out("no datagram from your client reached the checker's server")
            .hint("send with send() on the connected socket, or send_to(ADDRESS)")
    })
}

fn client_reply(ctx: &mut Ctx) -> Outcome {
    let peer = ctx.udp_peer("the checker's server", None, |from, sock, d| {
        if from.is_none() {
            wire::compare("the datagram your client sent", b"hello udp", &d.bytes)?;
            *from = Some(d.from);
            sock.send_to(&d.bytes.to_ascii_uppercase(), d.from)?;
        }
        Ok(())
    })?;
    let (finished, from) = against(ctx, peer, "hello udp", secs(2));
    let from = first_sender(from?)?;
    let using = expect_printed_reply(finished, b"HELLO UDP")?;
    if using != from {
        return Err(Failure::failed(format!("your client printed `using {using}`, but its datagram came from {from}"))
            .hint("print socket.local_addr() after bind and connect: with port 0 only the socket knows its port"));
    }
    Ok(())
}

fn client_retry(ctx: &mut Ctx) -> Outcome {
    let peer = ctx.udp_peer("the checker's server", 0usize, |seen, sock, d| {
        *seen = d.number;
        if d.number <= 2 {
            sock.note(format!(
                "the checker's server drops datagram {} from {}, as a lossy network might",
                d.number, d.from
            ));
            Ok(())
        } else {
            sock.send_to(&d.bytes.to_ascii_uppercase(), d.from)
        }
    })?;
    ctx.note(format!(
        "the client is given --timeout {} --attempts 3",
        ctx.flag(ms(400))
    ));
    let (finished, seen) = against(ctx, peer, "try again", ms(400));
    let seen = seen?;
    if seen < 3 {
        return Err(Failure::failed(format!(
            "your client sent {seen} datagram(s): the checker dropped {seen}, and your client did not send again"
        ))
        .expected("a new attempt after each timeout, 3 in all")
        .got(format!("{seen} datagram(s)")));
    }
    expect_printed_reply(finished, b"TRY AGAIN").map(drop)
}

fn client_silent(ctx: &mut Ctx) -> Outcome {
    let peer = ctx.udp_peer("the checker's server", 0usize, |seen, _, d| {
        *seen = d.number;
        Ok(())
    })?;
    ctx.note(format!(
        "the checker's server receives, and never answers; the client is given --timeout {} --attempts 3",
        ctx.flag(ms(150))
    ));
    let (finished, seen) = against(ctx, peer, "anyone there?", ms(150));
    let seen = seen?;
    ctx.note(format!("your client sent {seen} datagram(s) in all"));
    finished
        .map_err(|f| f.hint("your client waited for ever: set a read timeout (the --timeout value), and stop after the last attempt"))?
        .expect_one_line_error()?;
    if seen != 3 {
        return Err(Failure::failed(format!(
            "your client gave up after {seen} datagram(s), but was given --attempts 3"
        ))
        .expected("3 datagrams, one per attempt, then one line on stderr")
        .got(format!("{seen} datagram(s)")));
    }
    Ok(())
}

fn client_refused(ctx: &mut Ctx) -> Outcome {
    let addr = wire::closed_udp_port()?.to_string();
    ctx.note(format!(
        "nothing listens on UDP {addr}: the OS answers with ICMP port unreachable"
    ));
    // A short timeout: a client that misses the refusal and retries
    // still ends well within the stage, and says something else.
    let timeout = ctx.flag(ms(300));
    let finished = ctx.run_client(
        "client",
        &["--timeout", &timeout, &addr, "hello?"],
        Input::Nothing,
        secs(3),
    )?;
    finished.expect_error_saying("refused")
}

fn client_stranger(ctx: &mut Ctx) -> Outcome {
    let stranger = socket(ctx, "a stranger")?;
    let peer = ctx.udp_peer("the checker's server", stranger, |stranger, sock, d| {
        if d.number == 1 {
            stranger.send_to(b"NOT FOR YOU", d.from)?;
            thread::sleep(ms(100));
            sock.send_to(&d.bytes.to_ascii_uppercase(), d.from)?;
        }
        Ok(())
    })?;
    let (finished, _) = against(ctx, peer, "who is there?", secs(2));
    expect_printed_reply(finished, b"WHO IS THERE?").map(drop)
}
