//! The server's stages with many clients: 20 at once beside an idle one,
//! an idle client dropped, a cap on clients.

use crate::ctx::Ctx;
use crate::time::ms;
use crate::verdict::Outcome;
use crate::wire::Conn;

use super::frame::{expect_reply, frame, still_serves};

pub(super) fn concurrent(ctx: &mut Ctx) -> Outcome {
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

pub(super) fn idle_timeout(ctx: &mut Ctx) -> Outcome {
    let idle = ctx.flag(ms(300));
    let server = ctx.start_server("server", &["--idle-timeout", &idle, "127.0.0.1:0"])?;
    ctx.note(format!("the server is told --idle-timeout {idle}"));
    ctx.expect_idle_drop(&server, |conn| conn.send(&[0, 0]))?;
    still_serves(ctx, &server)
}

pub(super) fn past_the_cap(ctx: &mut Ctx) -> Outcome {
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
