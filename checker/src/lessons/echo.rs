//! Lesson 1, TCP echo: the stages. Servers are started on port 0 and
//! graded over real connections; clients are graded against the checker's
//! own peers. Each stage is built to fail one plausible wrong solution.

use std::thread;
use std::time::Duration;

use crate::lessons::Lesson;
use crate::process::Input;
use crate::stage::{Ctx, Failure, Outcome, Stage, secs};
use crate::wire::{self, Conn, IO_TIMEOUT, Peer};

pub const LESSON: Lesson = Lesson {
    id: "echo",
    title: "TCP echo server and client",
    package: "echo",
    roles: &["server", "client"],
    chapter: "echo.md",
    stages: STAGES,
};

const STAGES: &[Stage] = &[
    Stage {
        id: "one-message",
        title: "One short message comes back",
        points: 5,
        hint: "Bind, print `listening on ADDRESS`, accept, then loop: read into a buffer, write_all what you read.",
        deadline: secs(20),
        run: one_message,
    },
    Stage {
        id: "binary",
        title: "All 256 byte values come back unchanged",
        points: 5,
        hint: "Echo bytes, not text: no String, no from_utf8, no lines(). Write back exactly buf[..n].",
        deadline: secs(20),
        run: binary,
    },
    Stage {
        id: "dribble",
        title: "A message sent one byte at a time",
        points: 5,
        hint: "One read is not one message. Keep reading and echoing until read returns 0; never close after the first read.",
        deadline: secs(20),
        run: dribble,
    },
    Stage {
        id: "big-stream",
        title: "16 MiB echoed while it is still being sent",
        points: 10,
        hint: "Write back each chunk as soon as you read it. A server that waits for the end of the stream before answering stalls both sides.",
        deadline: secs(60),
        run: big_stream,
    },
    Stage {
        id: "half-close",
        title: "Half-close: echo the rest, then close",
        points: 10,
        hint: "When read returns 0 the client has shut down its write side. Finish echoing, then close your side (shutdown(Write) or drop the stream) so the client sees the end.",
        deadline: secs(20),
        run: half_close,
    },
    Stage {
        id: "reset",
        title: "A client resets mid-stream; the server goes on",
        points: 10,
        hint: "An error on one connection (ECONNRESET, broken pipe) must end that client only. Don't let it reach main through `?`, and don't exit.",
        deadline: secs(20),
        run: reset,
    },
    Stage {
        id: "one-after-another",
        title: "Five clients, one after another",
        points: 5,
        hint: "Accept in a loop: after one client leaves, go back to accept() for the next.",
        deadline: secs(30),
        run: one_after_another,
    },
    Stage {
        id: "concurrent",
        title: "20 clients at once while another sits idle",
        points: 15,
        hint: "Serve each client on its own thread (std::thread::spawn with the accepted stream moved in), so an idle client cannot block the others.",
        deadline: secs(40),
        run: concurrent,
    },
    Stage {
        id: "ipv6",
        title: "Serving on IPv6 loopback [::1]",
        points: 5,
        hint: "Bind exactly the address you are given: `[::1]:0` is IPv6. Don't build the address from an IPv4 literal.",
        deadline: secs(20),
        run: ipv6,
    },
    Stage {
        id: "client-slow-peer",
        title: "Your client against a server that answers in pieces",
        points: 10,
        hint: "Send, then shutdown(Write) so the server knows you are done, then read in a loop until read returns 0: the echo can come in many pieces.",
        deadline: secs(30),
        run: client_slow_peer,
    },
    Stage {
        id: "client-stdin",
        title: "Your client echoes 16 MiB of binary standard input",
        points: 10,
        hint: "Without a MESSAGE, send all of stdin, byte for byte. Send on one thread and read on another: writing 16 MiB before reading stalls both sides.",
        deadline: secs(60),
        run: client_stdin,
    },
    Stage {
        id: "client-refused",
        title: "Your client reports a refused connection",
        points: 5,
        hint: "Return the error from run() instead of unwrap(): main prints it on one line and exits with code 1.",
        deadline: secs(20),
        run: client_refused,
    },
    Stage {
        id: "client-silent-peer",
        title: "Your client gives up on a silent server",
        points: 5,
        hint: "Set a read timeout (set_read_timeout) of a few seconds; when a read times out, return an error.",
        deadline: secs(30),
        run: client_silent_peer,
    },
];

fn one_message(ctx: &mut Ctx) -> Outcome {
    let server = ctx.start_server_ipv4("server")?;
    let mut client = ctx.connect(&server, "client")?;
    client.send(b"Hello, world")?;
    client.expect("the echo", b"Hello, world")?;
    ctx.check_alive(&server)
}

fn binary(ctx: &mut Ctx) -> Outcome {
    let server = ctx.start_server_ipv4("server")?;
    let mut client = ctx.connect(&server, "client")?;
    let every_byte: Vec<u8> = (0..=255).collect();
    client.send(&every_byte)?;
    client.expect("the echo of bytes 0 to 255", &every_byte)
}

fn dribble(ctx: &mut Ctx) -> Outcome {
    let server = ctx.start_server_ipv4("server")?;
    let mut client = ctx.connect(&server, "client")?;
    let message = b"one byte at a time\n";
    client.send_slowly(message, Duration::from_millis(20))?;
    client.expect("the echo", message)
}

/// Bytes that never repeat with a short period, so a lost or repeated
/// chunk shows up at its offset.
fn pattern(len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i % 251) as u8 ^ (i >> 16) as u8)
        .collect()
}

fn big_stream(ctx: &mut Ctx) -> Outcome {
    const SIZE: usize = 16 << 20;
    let server = ctx.start_server_ipv4("server")?;
    let mut reader = ctx.connect(&server, "client")?;
    let mut writer = reader.try_clone()?;
    let data = pattern(SIZE);
    ctx.note("client sends 16 MiB in 64 KiB writes and, at the same time, reads the echo; it half-closes only after all has come back");
    thread::scope(|s| {
        let sending = s.spawn(|| {
            data.chunks(64 << 10)
                .try_for_each(|chunk| writer.send_quietly(chunk))
        });
        let received = read_back(ctx, &mut reader, &data);
        let sent = sending
            .join()
            .unwrap_or_else(|_| Err(Failure::failed("the sending thread panicked")));
        // The reader's failure says more (it sees what came back).
        received.and(sent)
    })?;
    reader.shutdown_write()?;
    reader.expect_close()
}

/// Reads `expected.len()` bytes of echo and checks them as they come,
/// without logging every chunk.
fn read_back(ctx: &Ctx, conn: &mut Conn, expected: &[u8]) -> Outcome {
    let mut at = 0;
    let mut reads = 0;
    while at < expected.len() {
        let chunk = match conn.recv_some(64 << 10, IO_TIMEOUT) {
            Ok(chunk) => chunk,
            Err(e) if wire::is_timeout(&e) => {
                return Err(Failure::timed_out(format!(
                    "got {at} of {} bytes back, then nothing for {}s",
                    expected.len(),
                    IO_TIMEOUT.as_secs()
                ))
                .expected("the echo to flow while the client is still sending")
                .got(format!("{at} bytes")));
            }
            Err(e) => {
                return Err(Failure::failed(format!(
                    "reading the echo failed after {at} bytes: {e}"
                )));
            }
        };
        if chunk.is_empty() {
            return Err(Failure::failed(format!(
                "the server closed the connection after echoing {at} of {} bytes",
                expected.len()
            )));
        }
        let want = &expected[at..at + chunk.len().min(expected.len() - at)];
        if let Some(diff) = want.iter().zip(&chunk).position(|(a, b)| a != b) {
            let pos = at + diff;
            ctx.transcript().received(conn.name(), &chunk);
            return Err(Failure::failed(format!(
                "the echo differs from what was sent at byte {pos}"
            ))
            .expected(format!(
                "hex from byte {pos}: {}",
                wire::hex(&want[diff..(diff + 16).min(want.len())])
            ))
            .got(format!(
                "hex from byte {pos}: {}",
                wire::hex(&chunk[diff..(diff + 16).min(chunk.len())])
            )));
        }
        if chunk.len() > want.len() {
            return Err(Failure::failed(format!(
                "the echo has more bytes than were sent (over {})",
                expected.len()
            )));
        }
        at += chunk.len();
        reads += 1;
    }
    ctx.note(format!(
        "{} got all {} bytes back, in {reads} reads",
        conn.name(),
        expected.len()
    ));
    Ok(())
}

fn half_close(ctx: &mut Ctx) -> Outcome {
    let server = ctx.start_server_ipv4("server")?;
    let mut client = ctx.connect(&server, "client")?;
    client.send(b"last words")?;
    client.shutdown_write()?;
    client.expect("the echo after the half-close", b"last words")?;
    client.expect_close()
}

fn reset(ctx: &mut Ctx) -> Outcome {
    let server = ctx.start_server_ipv4("server")?;
    let mut rude = ctx.connect(&server, "client 1")?;
    let data = pattern(256 << 10);
    ctx.note("client 1 sends 256 KiB, reads only the first bytes of the echo, then resets");
    rude.send_quietly(&data)?;
    rude.expect("the start of the echo", &data[..16])?;
    rude.reset();
    // Give the server time to hit the reset while it is still echoing.
    thread::sleep(Duration::from_millis(200));
    ctx.check_alive(&server)?;
    let mut polite = ctx.connect(&server, "client 2")?;
    polite.send(b"are you still there?")?;
    polite.expect("the echo", b"are you still there?")?;
    ctx.check_alive(&server)
}

fn one_after_another(ctx: &mut Ctx) -> Outcome {
    let server = ctx.start_server_ipv4("server")?;
    for i in 1..=5 {
        let mut client = ctx.connect(&server, &format!("client {i}"))?;
        let message = format!("message number {i}");
        client.send(message.as_bytes())?;
        client.expect("the echo", message.as_bytes())?;
        client.shutdown_write()?;
        client.expect_close()?;
    }
    Ok(())
}

fn concurrent(ctx: &mut Ctx) -> Outcome {
    let server = ctx.start_server_ipv4("server")?;
    let mut idle = ctx.connect(&server, "idle client")?;
    ctx.note("the idle client sends nothing yet and keeps its connection open");
    ctx.all_at_once(20, |i| {
        let mut client = ctx.connect(&server, &format!("client {i}"))?;
        let message = format!("client {i} says hello");
        client.send(message.as_bytes())?;
        client.expect("the echo", message.as_bytes())?;
        client.shutdown_write()?;
        client.expect_close()
    })?;
    idle.send(b"still here")?;
    idle.expect("the idle client's echo", b"still here")
}

fn ipv6(ctx: &mut Ctx) -> Outcome {
    let server = ctx.start_server_ipv6("server")?;
    let mut client = ctx.connect(&server, "client")?;
    client.send(b"hello over IPv6")?;
    client.expect("the echo", b"hello over IPv6")
}

/// Reads until the client half-closes; fails if it never does.
fn read_to_end(conn: &mut Conn) -> Result<Vec<u8>, Failure> {
    let mut all = Vec::new();
    loop {
        match conn.recv_some(64 << 10, IO_TIMEOUT) {
            Ok(chunk) if chunk.is_empty() => return Ok(all),
            Ok(chunk) => all.extend_from_slice(&chunk),
            Err(e) if wire::is_timeout(&e) => {
                return Err(Failure::timed_out(format!(
                    "the checker's server got {} bytes, then waited {}s for your client to shut down its write side",
                    all.len(),
                    IO_TIMEOUT.as_secs()
                ))
                .expected("shutdown(Shutdown::Write) after sending, so that the server's read returns 0")
                .got("the connection stayed open with nothing more sent"));
            }
            Err(e) => {
                return Err(Failure::failed(format!(
                    "the checker's server could not read: {e}"
                )));
            }
        }
    }
}

fn client_slow_peer(ctx: &mut Ctx) -> Outcome {
    let peer = Peer::bind(ctx.transcript(), "127.0.0.1:0")?;
    let addr = peer.addr().to_string();
    let message = "hello from the checker, in pieces";
    let (finished, served) = ctx.run_client_with(
        "client",
        &[&addr, message],
        Input::Nothing,
        secs(15),
        |gone| {
            let mut conn = peer.accept("the checker's server", IO_TIMEOUT, gone)?;
            let got = read_to_end(&mut conn)?;
            ctx.transcript().received(conn.name(), &got);
            ctx.note("the checker's server answers in 4-byte pieces, 30ms apart, then closes");
            for piece in got.chunks(4) {
                conn.send(piece)?;
                thread::sleep(Duration::from_millis(30));
            }
            Ok(got)
        },
    );
    let got = served?;
    wire::compare("what your client sent", message.as_bytes(), &got)?;
    let finished = finished?;
    finished.expect_success()?;
    wire::compare(
        "what your client printed",
        message.as_bytes(),
        &finished.stdout,
    )
}

fn client_stdin(ctx: &mut Ctx) -> Outcome {
    const SIZE: usize = 16 << 20;
    let peer = Peer::bind(ctx.transcript(), "127.0.0.1:0")?;
    let addr = peer.addr().to_string();
    let data = pattern(SIZE);
    ctx.note("the client gets 16 MiB of binary data on stdin; the checker's server echoes each chunk as it comes");
    let (finished, served) = ctx.run_client_with("client", &[&addr],
        Input::Bytes(data.clone()),
        secs(45),
        |gone| {
            let mut conn = peer.accept("the checker's server", IO_TIMEOUT, gone)?;
            let mut total = 0usize;
            loop {
                let chunk = match conn.recv_some(64 << 10, IO_TIMEOUT) {
                    Ok(chunk) => chunk,
                    Err(e) if wire::is_timeout(&e) => {
                        return Err(Failure::timed_out(format!(
                            "your client sent {total} bytes, then neither sent more nor half-closed for {}s",
                            IO_TIMEOUT.as_secs()
                        )));
                    }
                    Err(e) => {
                        return Err(Failure::failed(format!(
                            "the checker's server could not read: {e}"
                        )));
                    }
                };
                if chunk.is_empty() {
                    ctx.note(format!(
                        "the checker's server got {total} bytes and end of stream"
                    ));
                    return Ok(total);
                }
                total += chunk.len();
                conn.send_quietly(&chunk).map_err(|f| {
                Failure {
                    summary: format!("{} (after {total} bytes: your client stopped reading the echo while still sending)", f.summary),
                    ..f
                }
            })?;
            }
        },
    );
    served?;
    let finished = finished?;
    finished.expect_success()?;
    wire::compare("what your client printed", &data, &finished.stdout)
}

fn client_refused(ctx: &mut Ctx) -> Outcome {
    let addr = wire::closed_port()?.to_string();
    ctx.note(format!("nothing listens on {addr}"));
    let finished = ctx.run_client("client", &[&addr, "hello?"], Input::Nothing, secs(10))?;
    finished.expect_one_line_error()
}

fn client_silent_peer(ctx: &mut Ctx) -> Outcome {
    let peer = Peer::bind(ctx.transcript(), "127.0.0.1:0")?;
    let addr = peer.addr().to_string();
    let (finished, served) = ctx.run_client_with("client", &[&addr, "anyone there?"],
        Input::Nothing,
        secs(15),
        |gone| {
            let mut conn = peer.accept("the checker's server", IO_TIMEOUT, gone)?;
            ctx.note("the checker's server reads the request, then says nothing and keeps the connection open");
            let _ = read_to_end(&mut conn);
            // Hold the connection open until the client gives up on its own.
            gone.wait(secs(16));
            drop(conn);
            Ok(())
        },
    );
    served?;
    let finished =
        finished.map_err(|f| f.hint("your client waited for ever: give every read a deadline"))?;
    finished.expect_one_line_error()
}
