//! Lesson 1, TCP echo: the stages. Servers are started on port 0 and
//! graded over real connections; clients are graded against the checker's
//! own peers. Each stage is built to fail one plausible wrong solution.

use std::thread;
use std::time::Duration;

use crate::course::Stage;
use crate::course::{CLIENT, Lesson, Mistake, SERVER, SERVER_AND_CLIENT};
use crate::ctx::Ctx;
use crate::process::{self, Input, Limits};
use crate::time::{self, ms, secs};
use crate::verdict::{Failure, Outcome, Verdict};
use crate::wire::{self, Conn, Transcript};

pub const LESSON: Lesson = Lesson {
    id: "echo",
    title: "TCP echo server and client",
    level: 1,
    package: "echo",
    roles: SERVER_AND_CLIENT,
    chapter: "echo.md",
    stages: STAGES,
    mistakes: MISTAKES,
    peer: None,
    reading: &[
        ("Sockets, in five calls", &["one-message", "ipv6"]),
        (
            "What `read` really returns",
            &["dribble", "client-slow-peer"],
        ),
        (
            "`write` versus `write_all`",
            &["binary", "big-stream", "client-stdin"],
        ),
        ("Half-close", &["half-close"]),
        ("Closing with unread data: resets", &["reset"]),
        (
            "One thread per client",
            &[
                "one-after-another",
                "concurrent",
                "past-the-cap",
                "fd-limit",
            ],
        ),
    ],
};

const STAGES: &[Stage] = &[
    Stage {
        id: "one-message",
        title: "One short message comes back",
        points: 5,
        hint: "Bind, print `listening on ADDRESS`, accept, then loop: read into a buffer, write_all what you read.",
        deadline: secs(20),
        roles: SERVER,
        run: one_message,
    },
    Stage {
        id: "binary",
        title: "All 256 byte values come back unchanged",
        points: 5,
        hint: "Echo bytes, not text: no String, no from_utf8, no lines(). Write back exactly buf[..n].",
        deadline: secs(20),
        roles: SERVER,
        run: binary,
    },
    Stage {
        id: "dribble",
        title: "A message sent one byte at a time",
        points: 5,
        hint: "One read is not one message. Keep reading and echoing until read returns 0; never close after the first read.",
        deadline: secs(20),
        roles: SERVER,
        run: dribble,
    },
    Stage {
        id: "big-stream",
        title: "16 MiB echoed while it is still being sent",
        points: 10,
        hint: "Write back each chunk as soon as you read it. A server that waits for the end of the stream before answering stalls both sides.",
        deadline: secs(60),
        roles: SERVER,
        run: big_stream,
    },
    Stage {
        id: "half-close",
        title: "Half-close: echo the rest, then close",
        points: 10,
        hint: "When read returns 0 the client has shut down its write side. Finish echoing, then close your side (shutdown(Write) or drop the stream) so the client sees the end.",
        deadline: secs(20),
        roles: SERVER,
        run: half_close,
    },
    Stage {
        id: "reset",
        title: "A client resets mid-stream; the server goes on",
        points: 5,
        hint: "An error on one connection (ECONNRESET, broken pipe) must end that client only. Don't let it reach main through `?`, and don't exit.",
        deadline: secs(20),
        roles: SERVER,
        run: reset,
    },
    Stage {
        id: "one-after-another",
        title: "Five clients, one after another",
        points: 5,
        hint: "Accept in a loop: after one client leaves, go back to accept() for the next.",
        deadline: secs(30),
        roles: SERVER,
        run: one_after_another,
    },
    Stage {
        id: "concurrent",
        title: "20 clients at once while another sits idle",
        points: 10,
        hint: "Serve each client on its own thread (std::thread::spawn with the accepted stream moved in), so an idle client cannot block the others.",
        deadline: secs(40),
        roles: SERVER,
        run: concurrent,
    },
    Stage {
        id: "ipv6",
        title: "Serving on IPv6 loopback [::1]",
        points: 5,
        hint: "Bind exactly the address you are given: `[::1]:0` is IPv6. Don't build the address from an IPv4 literal.",
        deadline: secs(20),
        roles: SERVER,
        run: ipv6,
    },
    Stage {
        id: "idle-timeout",
        title: "An idle client is dropped after --idle-timeout",
        points: 5,
        hint: "Give each client's socket a read and a write timeout of --idle-timeout; when a read times out, drop that client.",
        deadline: secs(20),
        roles: SERVER,
        run: idle_timeout,
    },
    Stage {
        id: "past-the-cap",
        title: "Past --max-clients, a client waits, then is served",
        points: 5,
        hint: "Take a slot (Slots::acquire) before each accept and hold its permit while the client is served: at the cap you stop accepting, and a freed slot lets the next one in.",
        deadline: secs(20),
        roles: SERVER,
        run: past_the_cap,
    },
    Stage {
        id: "fd-limit",
        title: "Out of file descriptors: no spinning, then serves",
        points: 5,
        hint: "When accept fails (EMFILE: too many open files), sleep a little (100 ms) before trying again: retrying at once burns a whole core.",
        deadline: secs(20),
        roles: SERVER,
        run: fd_limit,
    },
    Stage {
        id: "client-slow-peer",
        title: "Your client against a server that answers in pieces",
        points: 10,
        hint: "Send, then shutdown(Write) so the server knows you are done, then read in a loop until read returns 0: the echo can come in many pieces.",
        deadline: secs(30),
        roles: CLIENT,
        run: client_slow_peer,
    },
    Stage {
        id: "client-stdin",
        title: "Your client echoes 16 MiB of binary standard input",
        points: 5,
        hint: "Without a MESSAGE, send all of stdin, byte for byte. Send on one thread and read on another: writing 16 MiB before reading stalls both sides.",
        deadline: secs(60),
        roles: CLIENT,
        run: client_stdin,
    },
    Stage {
        id: "client-refused",
        title: "Your client reports a refused connection",
        points: 5,
        hint: "Return the error from run() instead of unwrap(): main prints it on one line and exits with code 1.",
        deadline: secs(20),
        roles: CLIENT,
        run: client_refused,
    },
    Stage {
        id: "client-silent-peer",
        title: "Your client gives up on a silent server",
        points: 5,
        hint: "Set a read timeout (set_read_timeout) of a few seconds; when a read times out, return an error.",
        deadline: secs(30),
        roles: CLIENT,
        run: client_silent_peer,
    },
];

/// The wrong solutions in checker/fixtures that the stages must catch.
const MISTAKES: &[Mistake] = &[
    Mistake {
        what: "Treating one `read` as one message",
        fixture: "echo-one-read",
        role: "server",
        passes: Some("one-message"),
        fails: "dribble",
        verdict: Verdict::Failed,
        says: "the program had already closed the connection",
        golden: true,
    },
    Mistake {
        what: "Reading once and closing: a big stream is cut short",
        fixture: "echo-one-read",
        role: "server",
        passes: Some("one-message"),
        fails: "big-stream",
        verdict: Verdict::Failed,
        says: "the server closed the connection",
        golden: false,
    },
    Mistake {
        what: "Reading once and closing: a half-close that comes later is never seen",
        fixture: "echo-one-read",
        role: "server",
        passes: Some("one-message"),
        fails: "half-close",
        verdict: Verdict::Failed,
        says: "the server closed the connection before the whole message came back",
        golden: false,
    },
    Mistake {
        what: "Closing after each reply, taken for an idle timeout",
        fixture: "echo-one-read",
        role: "server",
        passes: Some("one-message"),
        fails: "idle-timeout",
        verdict: Verdict::Failed,
        says: "got only 0 of 19 bytes (then the connection was closed)",
        golden: false,
    },
    Mistake {
        what: "Converting bytes to `String`",
        fixture: "echo-text",
        role: "server",
        passes: Some("one-message"),
        fails: "binary",
        verdict: Verdict::Failed,
        says: "the bytes differ from byte 128 on",
        golden: true,
    },
    Mistake {
        what: "Waiting for end of stream before echoing",
        fixture: "echo-buffering",
        role: "server",
        passes: Some("half-close"),
        fails: "big-stream",
        verdict: Verdict::TimedOut,
        says: "got 0 of 16777216 bytes back, then nothing for",
        golden: false,
    },
    Mistake {
        what: "Not closing after `read` returns 0",
        fixture: "echo-no-close",
        role: "server",
        passes: Some("one-message"),
        fails: "half-close",
        verdict: Verdict::TimedOut,
        says: "for the connection to close, but it stayed open",
        golden: true,
    },
    Mistake {
        what: "`?` or `unwrap()` on a client's error in the accept loop",
        fixture: "echo-sequential",
        role: "server",
        passes: Some("one-message"),
        fails: "reset",
        verdict: Verdict::Crashed,
        says: "it should keep serving after any client",
        golden: false,
    },
    Mistake {
        what: "Serving clients one at a time",
        fixture: "echo-sequential",
        role: "server",
        passes: Some("one-after-another"),
        fails: "concurrent",
        verdict: Verdict::TimedOut,
        says: "clients at once were not served",
        golden: false,
    },
    Mistake {
        what: "Binding an IPv4 address whatever you are given",
        fixture: "echo-v4-only",
        role: "server",
        passes: Some("one-message"),
        fails: "ipv6",
        verdict: Verdict::Failed,
        says: "announced an IPv4 address",
        golden: false,
    },
    Mistake {
        what: "Printing the requested address instead of `local_addr()`",
        fixture: "echo-port-zero",
        role: "server",
        passes: None,
        fails: "one-message",
        verdict: Verdict::Failed,
        says: "the real port the OS chose (not 0)",
        golden: false,
    },
    Mistake {
        what: "Announcing the address in other words",
        fixture: "echo-wrong-announce",
        role: "server",
        passes: None,
        fails: "one-message",
        verdict: Verdict::Failed,
        says: "announced its address in a form the checker cannot read",
        golden: true,
    },
    Mistake {
        what: "No idle timeout: a silent client holds its thread for ever",
        fixture: "echo-no-limits",
        role: "server",
        passes: Some("concurrent"),
        fails: "idle-timeout",
        verdict: Verdict::TimedOut,
        says: "for the connection to close, but it stayed open",
        golden: false,
    },
    Mistake {
        what: "No cap on clients",
        fixture: "echo-no-limits",
        role: "server",
        passes: Some("concurrent"),
        fails: "past-the-cap",
        verdict: Verdict::Failed,
        says: "the cap of 3 was ignored",
        golden: false,
    },
    Mistake {
        what: "Retrying a failed accept at once",
        fixture: "echo-no-limits",
        role: "server",
        passes: Some("concurrent"),
        fails: "fd-limit",
        verdict: Verdict::Failed,
        says: "it retries accept without a pause",
        golden: false,
    },
    Mistake {
        what: "Accepting and closing clients past the cap",
        fixture: "echo-closes-at-cap",
        role: "server",
        passes: Some("concurrent"),
        fails: "past-the-cap",
        verdict: Verdict::Failed,
        says: "closed the connection of client 4, past the cap",
        golden: false,
    },
    Mistake {
        what: "Client without `shutdown(Write)`",
        fixture: "client-no-shutdown",
        role: "client",
        passes: Some("client-refused"),
        fails: "client-slow-peer",
        verdict: Verdict::TimedOut,
        says: "for the other side to shut down its write side",
        golden: false,
    },
    Mistake {
        what: "Client that reads once",
        fixture: "client-one-read",
        role: "client",
        passes: Some("client-refused"),
        fails: "client-slow-peer",
        verdict: Verdict::Failed,
        says: "the program had already closed the connection",
        golden: false,
    },
    Mistake {
        what: "Client that `unwrap()`s the connection",
        fixture: "client-unwrap",
        role: "client",
        passes: Some("client-slow-peer"),
        fails: "client-refused",
        verdict: Verdict::Crashed,
        says: "panicked (exit code 101) instead of reporting the error",
        golden: false,
    },
];

/// How long the checker lets a client run before stopping it: far longer
/// than any client given these stages' timeouts needs.
const CLIENT_RUN: Duration = secs(10);
/// The same, where the client is given a short timeout and must give up
/// soon: a client without a deadline is stopped after this.
const SHORT_RUN: Duration = secs(3);

fn one_message(ctx: &mut Ctx) -> Outcome {
    let (server, mut client) = ctx.start_and_connect("server")?;
    client.send(b"Hello, world")?;
    client.expect("the echo", b"Hello, world")?;
    ctx.check_alive(&server)
}

fn binary(ctx: &mut Ctx) -> Outcome {
    let (_server, mut client) = ctx.start_and_connect("server")?;
    let every_byte: Vec<u8> = (0..=255).collect();
    client.send(&every_byte)?;
    client.expect("the echo of bytes 0 to 255", &every_byte)
}

fn dribble(ctx: &mut Ctx) -> Outcome {
    let (_server, mut client) = ctx.start_and_connect("server")?;
    let message = b"one byte at a time\n";
    client.send_slowly(message, ms(10))?;
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
    let (_server, mut client) = ctx.start_and_connect("server")?;
    let data = pattern(SIZE);
    ctx.note("client sends 16 MiB in 64 KiB writes and, at the same time, reads the echo; it half-closes only after all has come back");
    client.send_while_receiving(&data, |reader| read_back(ctx, reader, &data))?;
    client.shutdown_write()?;
    client.expect_close()
}

const CLOSED_EARLY: &str =
    "keep reading and echoing until read returns 0: one read is not the whole stream";

/// Reads `expected.len()` bytes of echo and checks them as they come,
/// without logging every chunk.
fn read_back(ctx: &Ctx, conn: &mut Conn, expected: &[u8]) -> Outcome {
    let mut at = 0;
    while at < expected.len() {
        let chunk = match conn.recv_some(64 << 10, time::patience()) {
            Ok(chunk) => chunk,
            Err(e) if wire::is_timeout(&e) => {
                return Err(Failure::timed_out(format!(
                    "got {at} of {} bytes back, then nothing for {}",
                    expected.len(),
                    time::say(time::patience())
                ))
                .expected("the echo to flow while the client is still sending")
                .got(format!("{at} bytes")));
            }
            Err(e) => {
                return Err(Failure::failed(format!(
                    "the server closed the connection (a reset: {e}) after echoing {at} of {} bytes",
                    expected.len()
                ))
                .hint(CLOSED_EARLY));
            }
        };
        if chunk.is_empty() {
            return Err(Failure::failed(format!(
                "the server closed the connection after echoing {at} of {} bytes",
                expected.len()
            ))
            .hint(CLOSED_EARLY));
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
    }
    ctx.note(format!(
        "{} got all {} bytes back",
        conn.name(),
        expected.len()
    ));
    Ok(())
}

fn half_close(ctx: &mut Ctx) -> Outcome {
    let (_server, mut client) = ctx.start_and_connect("server")?;
    // In two writes, a moment apart: a server that closes after its first
    // read must not pass for one that waits for the half-close.
    client.send(b"last ")?;
    thread::sleep(time::scaled(ms(50)));
    client.send(b"words")?;
    let closed_early = |f: Failure| {
        Failure::failed(format!(
            "the server closed the connection before the whole message came back ({})",
            f.summary
        ))
        .expected("the server to read \"last \" and \"words\", echo both, then see read return 0")
        .hint("one read is not the whole message: keep reading and echoing until read returns 0, and only then close")
    };
    client.shutdown_write().map_err(closed_early)?;
    let echo = match client.recv_exact(10, "the echo after the half-close") {
        Ok(Some(echo)) => echo,
        Ok(None) => {
            return Err(closed_early(Failure::failed("nothing came back")));
        }
        Err(f) if f.verdict == Verdict::Failed => return Err(closed_early(f)),
        Err(f) => return Err(f),
    };
    wire::compare("the echo after the half-close", b"last words", &echo)?;
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
    thread::sleep(ms(200));
    ctx.check_alive(&server)?;
    let mut polite = ctx.connect(&server, "client 2")?;
    polite.send(b"are you still there?")?;
    polite.expect("the echo", b"are you still there?")?;
    ctx.check_alive(&server)
}

/// One whole conversation: a message, its echo, a half-close, the close.
fn say_hello(conn: &mut Conn) -> Outcome {
    let message = format!("{} says hello", conn.name());
    conn.send(message.as_bytes())?;
    conn.expect("the echo", message.as_bytes())?;
    conn.shutdown_write()?;
    conn.expect_close()
}

fn one_after_another(ctx: &mut Ctx) -> Outcome {
    let server = ctx.start_server_ipv4("server")?;
    for i in 1..=5 {
        say_hello(&mut ctx.connect(&server, &format!("client {i}"))?)?;
    }
    Ok(())
}

fn concurrent(ctx: &mut Ctx) -> Outcome {
    let server = ctx.start_server_ipv4("server")?;
    ctx.idle_then_many(&server, 20, say_hello)
}

/// A message and its echo, as a stage's building blocks.
fn ask(conn: &mut Conn) -> Outcome {
    let message = format!("{} is here", conn.name());
    conn.send(message.as_bytes())
}

fn answer(conn: &mut Conn) -> Outcome {
    let message = format!("{} is here", conn.name());
    conn.expect("the echo", message.as_bytes())
}

fn idle_timeout(ctx: &mut Ctx) -> Outcome {
    let idle = ctx.flag(ms(300));
    let server = ctx.start_server("server", &["--idle-timeout", &idle, "127.0.0.1:0"])?;
    ctx.note(format!("the server is told --idle-timeout {idle}"));
    let pause = time::scaled(ms(100));
    ctx.expect_idle_drop(&server, |conn| {
        ask(conn)?;
        answer(conn)?;
        // Quiet for a third of the timeout: still a client, still served.
        // (A server that closes after each reply must not pass as one that
        // times out.)
        ctx.note(format!(
            "the idle client is quiet for {}, less than the timeout, then speaks again",
            time::say(pause)
        ));
        thread::sleep(pause);
        ask(conn)?;
        answer(conn).map_err(|f| {
            f.hint("a client quiet for less than --idle-timeout must still be served: keep reading until read returns 0 or a read times out")
        })
    })?;
    ctx.check_alive(&server)?;
    say_hello(&mut ctx.connect(&server, "next client")?)
}

fn past_the_cap(ctx: &mut Ctx) -> Outcome {
    let server = ctx.start_server("server", &["--max-clients", "3", "127.0.0.1:0"])?;
    ctx.note("the server is told --max-clients 3");
    ctx.past_the_cap(&server, 3, ask, answer)
}

/// How many file descriptors the server may hold in `fd-limit`, and how
/// many clients then try to connect.
const FD_LIMIT: u64 = 32;
const FD_CLIENTS: usize = 40;

fn fd_limit(ctx: &mut Ctx) -> Outcome {
    let limits = Limits {
        open_files: Some(FD_LIMIT),
    };
    let server = ctx.start_server_with("server", &["127.0.0.1:0"], limits)?;
    ctx.note(format!(
        "the server may hold {FD_LIMIT} file descriptors; {FD_CLIENTS} clients connect and stay idle (not logged one by one)"
    ));
    let quiet = Transcript::new();
    let held = (1..=FD_CLIENTS)
        .map(|i| Conn::connect(&quiet, &format!("client {i}"), server.addr))
        .collect::<Result<Vec<_>, _>>()?;
    let cpu = || process::cpu_seconds(server.pid).unwrap_or(0.0);
    let (cpu_before, err_before) = (cpu(), ctx.stderr_bytes(&server));
    // Behaviour over half a second of real time: not a timeout, not scaled.
    thread::sleep(Duration::from_millis(500));
    let (used, wrote) = (cpu() - cpu_before, ctx.stderr_bytes(&server) - err_before);
    ctx.note(format!(
        "in 0.5s out of file descriptors, the server used {used:.2}s of CPU and wrote {wrote} bytes to stderr"
    ));
    if used > 0.05 {
        return Err(Failure::failed(format!(
            "the server used {used:.2}s of CPU in 0.5s while out of file descriptors: it retries accept without a pause"
        ))
        .expected("under 0.05s of CPU: wait a little after a failed accept")
        .got(format!("{used:.2}s")));
    }
    if wrote > 10_000 {
        return Err(Failure::failed(format!(
            "the server wrote {wrote} bytes to stderr in 0.5s while out of file descriptors"
        ))
        .expected("a few lines at most (under 10 KB)")
        .got(format!("{wrote} bytes"))
        .hint("report a failing accept once in a while, not on every attempt; and pause between attempts"));
    }
    drop(held);
    ctx.note(format!(
        "the {FD_CLIENTS} clients leave: the server should serve again"
    ));
    ctx.check_alive(&server)?;
    say_hello(&mut ctx.connect(&server, "next client")?)
}

fn ipv6(ctx: &mut Ctx) -> Outcome {
    let server = ctx.start_server_ipv6("server")?;
    let mut client = ctx.connect(&server, "client")?;
    client.send(b"hello over IPv6")?;
    client.expect("the echo", b"hello over IPv6")
}

/// The student's client, with a read deadline, against `addr`.
fn run_client(
    ctx: &Ctx,
    timeout: Duration,
    addr: &str,
    message: Option<&str>,
    input: Input,
) -> Result<crate::ctx::Finished, Failure> {
    let limit = if timeout < secs(1) {
        SHORT_RUN
    } else {
        CLIENT_RUN
    };
    let timeout = ctx.flag(timeout);
    let mut args = vec!["--timeout", &timeout, addr];
    args.extend(message);
    ctx.run_client("client", &args, input, limit)
}

fn client_slow_peer(ctx: &mut Ctx) -> Outcome {
    let message = "hello from the checker, in pieces";
    let peer = ctx.tcp_peer("the checker's server", |conn, _| {
        let got = conn.read_to_end(1 << 20)?;
        conn.note("the checker's server echoes it back in small pieces, then closes");
        conn.send_in_pieces(&got, 4, ms(10))?;
        Ok(got)
    })?;
    // The client's deadline is longer than the checker's patience, so that
    // a client that never half-closes is caught by the peer, not by itself.
    let addr = peer.addr().to_string();
    let finished = run_client(ctx, secs(5), &addr, Some(message), Input::Nothing);
    let got = peer.finish_one("client")?;
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
    let data = pattern(SIZE);
    ctx.note("the client gets 16 MiB of binary data on stdin; the checker's server echoes each chunk as it comes");
    let peer = ctx.tcp_peer("the checker's server", |conn, _| {
        let mut total = 0usize;
        loop {
            let chunk = conn.recv_some(64 << 10, time::patience()).map_err(|e| {
                if wire::is_timeout(&e) {
                    Failure::timed_out(format!(
                        "your client sent {total} bytes, then neither sent more nor half-closed for {}",
                        time::say(time::patience())
                    ))
                } else {
                    Failure::failed(format!("the checker's server could not read: {e}"))
                }
            })?;
            if chunk.is_empty() {
                conn.note(format!("the checker's server got {total} bytes and end of stream"));
                return Ok(total);
            }
            total += chunk.len();
            conn.send_quietly(&chunk).map_err(|f| {
                f.then(format!(" (after {total} bytes: your client stopped reading the echo while still sending)"))
            })?;
        }
    })?;
    let addr = peer.addr().to_string();
    let finished = run_client(ctx, secs(5), &addr, None, Input::Bytes(data.clone()));
    peer.finish_one("client")?;
    let finished = finished?;
    finished.expect_success()?;
    wire::compare("what your client printed", &data, &finished.stdout)
}

fn client_refused(ctx: &mut Ctx) -> Outcome {
    let addr = wire::closed_port()?.to_string();
    ctx.note(format!("nothing listens on {addr}"));
    run_client(ctx, secs(2), &addr, Some("hello?"), Input::Nothing)?.expect_error_saying("refused")
}

fn client_silent_peer(ctx: &mut Ctx) -> Outcome {
    let peer = ctx.tcp_peer("the checker's server", |conn, _| {
        conn.read_to_end(1 << 20)?;
        conn.hold_open(secs(30));
        Ok(())
    })?;
    let addr = peer.addr().to_string();
    ctx.note(format!(
        "the client is given --timeout {}: it should give up soon after",
        ctx.flag(ms(200))
    ));
    let finished = run_client(ctx, ms(200), &addr, Some("anyone there?"), Input::Nothing);
    peer.finish_one("client")?;
    finished
        .map_err(|f| f.hint("your client waited for ever: give every read a deadline (set_read_timeout with the --timeout value)"))?
        .expect_one_line_error()
}
