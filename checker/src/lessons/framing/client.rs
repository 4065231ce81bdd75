//! The client's stage: the student's client sends its messages as frames,
//! all before reading, to the checker's server, which answers in pieces.

use crate::ctx::Ctx;
use crate::process::Input;
use crate::time::{ms, secs};
use crate::verdict::{Failure, Outcome};
use crate::wire;

use super::frame::{frame, read_frame, reversed};

pub(super) fn client(ctx: &mut Ctx) -> Outcome {
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
