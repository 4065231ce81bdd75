//! The student's client against a room the checker scripts: lines both
//! ways at once, and a room that closes while stdin still flows.

use std::thread;

// The harness.
use crate::{
    ctx::Ctx,
    process::Input,
    time::{self, ms, secs},
    verdict::{Failure, Outcome},
    wire::{self, Conn},
};

use super::talk::READ_CAP;

const WELCOME: &str = "* Welcome to the checker's room! What is your name?\n";
const PRESENCE: &str = "* The room contains: bob, carol\n";
const GOODBYE: &str = "* The room is closing: goodbye\n";

/// The start of a room's script: the welcome, the name (returned), and
/// the presence line.
fn greet(conn: &mut Conn) -> Result<Vec<u8>, Failure> {
    conn.send(WELCOME.as_bytes())?;
    let name = conn
        .recv_line(READ_CAP, "the client's name")?
        .ok_or_else(|| {
            Failure::failed("the client closed the connection without sending its name")
        })?;
    conn.send(PRESENCE.as_bytes())?;
    Ok(name)
}

fn check_name(name: &[u8]) -> Outcome {
    wire::compare(
        "the first line your client sent (its name)",
        b"alice\n",
        name,
    )
    .map_err(|f| {
        f.hint("send NAME and a newline as soon as you are connected, before any line of stdin")
    })
}

pub fn client_chat(ctx: &mut Ctx) -> Outcome {
    let typed: String = (1..=30).map(|i| format!("typed line {i}\n")).collect();
    let said: Vec<String> = (1..=40).map(|i| format!("[bob] room line {i}\n")).collect();
    let mut room_lines = vec![WELCOME.to_string(), PRESENCE.to_string()];
    room_lines.extend(said.iter().cloned());
    room_lines.push(GOODBYE.to_string());
    ctx.note("the room sends 40 lines, 10 ms apart, while it reads what the client types (30 lines on its stdin); then it says goodbye and closes");
    let peer = ctx.tcp_peer("the checker's room", move |conn, _| {
        let name = greet(conn)?;
        let mut speaker = conn.try_clone()?;
        let said = said.clone();
        let speaking = thread::spawn(move || {
            for line in &said {
                if speaker.send_quietly(line.as_bytes()).is_err() {
                    speaker.note("the room could not send: the client is gone");
                    return;
                }
                thread::sleep(ms(10));
            }
        });
        let typed = conn.read_to_end(1 << 20);
        let _ = speaking.join();
        // The room closes once it has said all, whatever the client did.
        let _ = conn.send(GOODBYE.as_bytes());
        Ok((name, typed?))
    })?;
    let addr = peer.addr().to_string();
    let finished = ctx.run_client(
        "client",
        &[&addr, "alice"],
        Input::Bytes(typed.clone().into_bytes()),
        secs(10),
    );
    let (name, got) = peer.finish_one("client")?;
    let finished = finished?;
    finished.expect_success()?;
    check_name(&name)?;
    wire::compare("what your client sent after its name", typed.as_bytes(), &got)
        .map_err(|f| f.hint("send each line of stdin as it is, with its newline; when stdin ends, shut down the socket's write side"))?;
    let expected: String = room_lines.concat();
    if finished.stdout.len() < expected.len() && expected.as_bytes().starts_with(&finished.stdout) {
        let printed = finished.stdout.iter().filter(|&&b| b == b'\n').count();
        return Err(Failure::failed(format!(
            "your client printed {printed} of the {} lines the room sent, then exited",
            room_lines.len()
        ))
        .expected(format!("every line, up to {}", wire::escape(GOODBYE.as_bytes())))
        .got(wire::show(&finished.stdout))
        .hint("when stdin ends, the room may still be talking: shut down the socket's write side and keep printing until the room closes"));
    }
    wire::compare(
        "what your client printed",
        expected.as_bytes(),
        &finished.stdout,
    )
    .map_err(|f| f.hint("print every line the room sends, as it comes, in order"))
}

pub fn room_closes(ctx: &mut Ctx) -> Outcome {
    ctx.note("the room greets the client, says it is closing, and closes its side; it then reads what the client sends, slowly (64 KiB every 20 ms)");
    let peer = ctx.tcp_peer("the checker's room", |conn, _| {
        let name = greet(conn)?;
        conn.send(GOODBYE.as_bytes())?;
        conn.shutdown_write()?;
        let mut total = 0usize;
        loop {
            match conn.recv_some(64 << 10, time::patience()) {
                Ok(bytes) if !bytes.is_empty() => {
                    total += bytes.len();
                    thread::sleep(ms(20));
                }
                _ => break,
            }
        }
        conn.note(format!(
            "the room read {total} bytes from the client before it closed"
        ));
        Ok(name)
    })?;
    let addr = peer.addr().to_string();
    let line = "typing on and on, and the room has closed\n";
    let typed = line.repeat((32 << 20) / line.len()).into_bytes();
    ctx.note(format!(
        "the client gets {} MiB of lines on stdin, more than it can send before the room is gone",
        typed.len() >> 20
    ));
    let limit = secs(3);
    let finished = ctx.run_client("client", &[&addr, "alice"], Input::Bytes(typed), limit);
    let name = peer.finish_one("client")?;
    let finished = finished.map_err(|f| {
        f.then(": it did not notice that the room had closed")
            .hint("wait on stdin and on the room at once (tokio::select!): when the room's side ends, exit, however much of stdin is left")
    })?;
    finished.expect_success()?;
    check_name(&name)?;
    let expected = [WELCOME, PRESENCE, GOODBYE].concat();
    wire::compare(
        "what your client printed",
        expected.as_bytes(),
        &finished.stdout,
    )
}
