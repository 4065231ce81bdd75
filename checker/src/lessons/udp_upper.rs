//! Lesson 2, UDP upper-case: the stages. The server is graded with the
//! checker's own UDP sockets; the client against the checker's UDP peers,
//! which can drop datagrams, stay silent, or let a stranger butt in.

use std::net::SocketAddr;
use std::thread;
use std::time::Duration;

use crate::lessons::Lesson;
use crate::process::Input;
use crate::stage::{ClientGone, Ctx, Failure, Finished, Outcome, Server, Stage, secs};
use crate::wire::{self, IO_TIMEOUT, Udp};

pub const LESSON: Lesson = Lesson {
    id: "udp-upper",
    title: "UDP upper-case server and client",
    package: "udp-upper",
    roles: &["server", "client"],
    chapter: "udp-upper.md",
    stages: STAGES,
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
        run: one_datagram,
    },
    Stage {
        id: "mixed-case",
        title: "The slides' MixedCaseString",
        points: 5,
        hint: "Every ASCII letter becomes upper case; nothing else changes.",
        deadline: secs(20),
        run: mixed_case,
    },
    Stage {
        id: "two-datagrams",
        title: "Two datagrams back to back get two replies",
        points: 10,
        hint: "One recv_from is one datagram, and one send_to is one reply. Don't collect datagrams into one buffer.",
        deadline: secs(20),
        run: two_datagrams,
    },
    Stage {
        id: "empty",
        title: "An empty datagram gets an empty reply",
        points: 10,
        hint: "A datagram of 0 bytes is a real datagram (unlike a TCP read of 0, which means end of stream). Answer it with an empty datagram.",
        deadline: secs(20),
        run: empty,
    },
    Stage {
        id: "largest",
        title: "A 65,507-byte datagram comes back whole",
        points: 10,
        hint: "recv_from cuts a datagram that does not fit the buffer, without a word. Receive into a buffer of MAX_DATAGRAM bytes.",
        deadline: secs(20),
        run: largest,
    },
    Stage {
        id: "binary",
        title: "All 256 byte values: only ASCII letters change",
        points: 10,
        hint: "Work on bytes: [u8]::to_ascii_uppercase. Converting to String mangles bytes that are not UTF-8, or panics.",
        deadline: secs(20),
        run: binary,
    },
    Stage {
        id: "many-clients",
        title: "Five clients, interleaved, each gets its own replies",
        points: 10,
        hint: "Reply to the address recv_from returned for this very datagram, not to a stored or fixed address.",
        deadline: secs(30),
        run: many_clients,
    },
    Stage {
        id: "survives-garbage",
        title: "The server survives garbage and keeps serving",
        points: 10,
        hint: "Nothing a peer sends may stop the server: no unwrap() on received data, and an error on one datagram must not end the loop.",
        deadline: secs(20),
        run: survives_garbage,
    },
    Stage {
        id: "ipv6",
        title: "Serving on IPv6 loopback [::1]",
        points: 5,
        hint: "Bind exactly the address you are given: `[::1]:0` is IPv6.",
        deadline: secs(20),
        run: ipv6,
    },
    Stage {
        id: "client-reply",
        title: "Your client reports its port and prints the reply",
        points: 5,
        hint: "Bind port 0, connect, print `using` and local_addr(), send, recv, print the reply on the next line.",
        deadline: secs(20),
        run: client_reply,
    },
    Stage {
        id: "client-retry",
        title: "Your client retries when datagrams are lost",
        points: 5,
        hint: "Set a read timeout of 1 second. When recv times out (WouldBlock or TimedOut), send the request again: 3 attempts in all.",
        deadline: secs(20),
        run: client_retry,
    },
    Stage {
        id: "client-silent",
        title: "Your client gives up on a silent server",
        points: 5,
        hint: "After the last attempt times out, return an error: one line on stderr, exit code 1.",
        deadline: secs(30),
        run: client_silent,
    },
    Stage {
        id: "client-refused",
        title: "Your client reports a closed port at once",
        points: 5,
        hint: "On a connected UDP socket an ICMP port unreachable shows up as ErrorKind::ConnectionRefused from recv (or the next send). Report it instead of retrying.",
        deadline: secs(20),
        run: client_refused,
    },
    Stage {
        id: "client-stranger",
        title: "Your client ignores a datagram from a stranger",
        points: 5,
        hint: "Connect the socket to the server (UdpSocket::connect): the OS then drops datagrams from any other address. Or check the sender that recv_from returns.",
        deadline: secs(20),
        run: client_stranger,
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
        &|| ctx.has_exited(server),
    )
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
    thread::sleep(Duration::from_millis(200));
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

/// Waits for the client's datagram on `peer`, until it exits or 5s.
fn await_request(peer: &Udp, gone: &ClientGone) -> Result<(Vec<u8>, SocketAddr), Failure> {
    peer.recv(IO_TIMEOUT, &|| gone.is_set())?.ok_or_else(|| {
        Failure::timed_out(format!(
            "no datagram from your client reached {}",
            peer.addr()
        ))
        .hint("send with send() on the connected socket, or send_to(ADDRESS)")
    })
}

/// Runs the student's client with MESSAGE against a UDP socket of the
/// checker's, which `peer_side` drives.
fn against_peer<T: Send>(
    ctx: &Ctx,
    message: &str,
    timeout: Duration,
    peer_side: impl FnOnce(&Udp, &ClientGone) -> Result<T, Failure> + Send,
) -> Result<(Result<Finished, Failure>, T), Failure> {
    let peer = socket(ctx, "the checker's server")?;
    let addr = peer.addr().to_string();
    let (finished, served) = ctx.run_client_with(
        "client",
        &[&addr, message],
        Input::Nothing,
        timeout,
        |gone| peer_side(&peer, gone),
    );
    Ok((finished, served?))
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

fn client_reply(ctx: &mut Ctx) -> Outcome {
    let (finished, from) = against_peer(ctx, "hello udp", secs(10), |peer, gone| {
        let (request, from) = await_request(peer, gone)?;
        wire::compare("the datagram your client sent", b"hello udp", &request)?;
        peer.send_to(&request.to_ascii_uppercase(), from)?;
        Ok(from)
    })?;
    let using = expect_printed_reply(finished, b"HELLO UDP")?;
    if using != from {
        return Err(Failure::failed(format!("your client printed `using {using}`, but its datagram came from {from}"))
            .hint("print socket.local_addr() after bind and connect: with port 0 only the socket knows its port"));
    }
    Ok(())
}

fn client_retry(ctx: &mut Ctx) -> Outcome {
    let (finished, ()) = against_peer(ctx, "try again", secs(15), |peer, gone| {
        for lost in 1..=2 {
            let (_, from) = await_request(peer, gone).map_err(|f| match lost - 1 {
                0 => f,
                dropped => Failure {
                    summary: format!("{}: the checker dropped {dropped} datagram(s), and your client did not send again", f.summary),
                    ..f
                },
            })?;
            ctx.note(format!(
                "the checker's server drops datagram {lost} from {from}, as a lossy network might"
            ));
        }
        let (request, from) = await_request(peer, gone)?;
        peer.send_to(&request.to_ascii_uppercase(), from)
    })?;
    expect_printed_reply(finished, b"TRY AGAIN").map(drop)
}

fn client_silent(ctx: &mut Ctx) -> Outcome {
    let (finished, _attempts) = against_peer(ctx, "anyone there?", secs(15), |peer, gone| {
        ctx.note("the checker's server receives, and never answers");
        let mut attempts = 0;
        while peer.recv(secs(16), &|| gone.is_set())?.is_some() {
            attempts += 1;
        }
        ctx.note(format!(
            "your client sent {attempts} datagram(s) before it stopped"
        ));
        Ok(attempts)
    })?;
    let finished = finished.map_err(|f| {
        f.hint("your client waited for ever: set a read timeout, and stop after the last attempt")
    })?;
    finished.expect_one_line_error()
}

fn client_refused(ctx: &mut Ctx) -> Outcome {
    let addr = wire::closed_udp_port()?.to_string();
    ctx.note(format!(
        "nothing listens on UDP {addr}: the OS answers with ICMP port unreachable"
    ));
    let finished = ctx.run_client("client", &[&addr, "hello?"], Input::Nothing, secs(10))?;
    finished.expect_one_line_error()?;
    if !finished.stderr.to_lowercase().contains("refused") {
        return Err(Failure::failed(
            "your client failed, but did not say that the connection was refused",
        )
        .expected("one line on stderr that says `refused`, at once")
        .got(format!(
            "stderr: {}",
            wire::escape(finished.stderr.trim().as_bytes())
        )));
    }
    Ok(())
}

fn client_stranger(ctx: &mut Ctx) -> Outcome {
    let stranger = socket(ctx, "a stranger")?;
    let (finished, ()) = against_peer(ctx, "who is there?", secs(10), |peer, gone| {
        let (request, from) = await_request(peer, gone)?;
        stranger.send_to(b"NOT FOR YOU", from)?;
        thread::sleep(Duration::from_millis(100));
        peer.send_to(&request.to_ascii_uppercase(), from)
    })?;
    expect_printed_reply(finished, b"WHO IS THERE?").map(drop)
}
