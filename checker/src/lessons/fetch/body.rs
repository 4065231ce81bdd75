//! The stages of the body: a response a byte at a time or split in awkward
//! places, binary bodies (32 MiB to a file), chunked, ended by the close,
//! and Transfer-Encoding over Content-Length.

use std::io::Read;
use std::path::Path;

use crate::ctx::Ctx;
use crate::process::Input;
use crate::time::{ms, secs};
use crate::verdict::{Failure, Outcome};
use crate::wire;

use super::http::{check_request, http_peer, ok, response, send_pieces};
use super::noise::Noise;
use super::program::{hold_after_length, length_hint, one_get, scratch};

pub(super) fn byte_at_a_time(ctx: &mut Ctx) -> Outcome {
    let body = b"one byte at a time\n";
    let (finished, _) = one_get(ctx, "/slowly", &[], |conn, _, _| {
        conn.send_slowly(&ok(body), ms(3))
    })?;
    finished.expect_exit("fetch /slowly", 0, body).map_err(|f| {
        f.context("the response came one byte at a time. ")
            .hint("one read() returns what has arrived so far, maybe a single byte: read the head line by line with a BufReader, then the body to its length")
    })
}

pub(super) fn split_head(ctx: &mut Ctx) -> Outcome {
    let body = b"pieces put together\n";
    // With -i the head comes first, as the client read it: the stage
    // judges it alone when the program then stops at a todo!() (the body
    // is the next step), and the head and the body otherwise.
    ctx.judge_one_step();
    let (finished, _) = one_get(ctx, "/pieces", &["-i"], |conn, _, _| {
        send_pieces(
            conn,
            &[
                b"HTTP/1.1 200 OK\r",
                b"\ncontent-ty",
                b"pe: text/plain\r\nCONTENT-le",
                b"ngth:   20  \r\n\r",
                b"\npieces put",
                b" together\n",
            ],
            ms(40),
        )?;
        hold_after_length(conn)
    })?;
    let head: &[u8] = b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\nCONTENT-length: 20\r\n\r\n";
    if !finished.stdout.starts_with(head) {
        return Err(Failure::failed("fetch -i /pieces: the head printed is not the head sent")
            .expected(wire::show(head))
            .got(wire::show(&finished.stdout[..finished.stdout.len().min(200)]))
            .hint("read the head line by line (read_until(b'\\n') on the BufReader puts the pieces together), drop the \\r before each \\n, keep each name as it came and trim each value; -i prints the status line, each header as `Name: value` and an empty line, each line ending in \\r\\n"));
    }
    if finished.stderr.contains("not yet implemented") {
        ctx.note(
            "the head is right; the program then reached a todo!(): the body is the next step",
        );
        return Ok(());
    }
    let mut whole = head.to_vec();
    whole.extend_from_slice(body);
    finished
        .expect_exit("fetch -i /pieces", 0, &whole)
        .map_err(|f| length_hint(&finished, &whole, f))
}

/// The big body's size: 32 MiB.
const BIG: usize = 32 << 20;

/// Compares the file at `path` with `size` bytes of `Noise::new(seed)`, without
/// holding either.
fn compare_file(path: &Path, seed: u64, size: usize) -> Outcome {
    let file = std::fs::File::open(path).map_err(|e| {
        Failure::failed(format!(
            "-o {}: the client wrote no file ({e})",
            path.display()
        ))
        .hint("create the file with File::create and copy the body into it")
    })?;
    let (mut file, mut noise) = (std::io::BufReader::new(file), Noise::new(seed));
    let (mut want, mut got) = (vec![0u8; 64 << 10], vec![0u8; 64 << 10]);
    let mut at = 0usize;
    loop {
        let n = file
            .read(&mut got)
            .map_err(|e| Failure::checker_error(e.to_string()))?;
        if n == 0 {
            break;
        }
        let n = n.min(size.saturating_sub(at));
        if n == 0 {
            return Err(Failure::failed(format!(
                "the file holds more than the {size} bytes of the body"
            ))
            .hint("write the body alone to the file: not the head, and nothing after the body"));
        }
        noise.fill(&mut want[..n]);
        if let Some(i) = (0..n).find(|&i| want[i] != got[i]) {
            let from = i.saturating_sub(4);
            let to = (i + 4).min(n);
            return Err(Failure::failed(format!(
                "the file differs from the body at byte {} (counting from 0)",
                at + i
            ))
            .expected(format!(
                "bytes {}.. in hex: {}",
                at + from,
                wire::hex(&want[from..to])
            ))
            .got(format!(
                "bytes {}.. in hex: {}",
                at + from,
                wire::hex(&got[from..to])
            ))
            .hint("treat the body as bytes: no String, no from_utf8_lossy, no newline added"));
        }
        at += n;
    }
    if at < size {
        return Err(
            Failure::failed(format!("the file holds {at} of the body's {size} bytes"))
                .hint("copy until the body's end, and flush the file before exiting"),
        );
    }
    Ok(())
}

pub(super) fn binary_body(ctx: &mut Ctx) -> Outcome {
    // Every byte value, to stdout.
    let all: Vec<u8> = (0..=255u8).cycle().take(1024).collect();
    let small = all.clone();
    let (finished, _) = one_get(ctx, "/bytes.bin", &[], move |conn, _, _| {
        conn.send(&response(
            "200 OK",
            &[
                ("Content-Type", "application/octet-stream"),
                ("Content-Length", "1024"),
            ],
            &small,
        ))
    })?;
    finished.expect_exit("fetch /bytes.bin (every byte value)", 0, &all)?;

    // 32 MiB, with -o.
    let dir = scratch(ctx)?;
    let file = dir.join("big.bin");
    let _ = std::fs::remove_file(&file);
    let seed = 0x5eed_f00d_u64;
    let peer = http_peer(ctx, move |conn, _, _| {
        let head = response(
            "200 OK",
            &[
                ("Content-Type", "application/octet-stream"),
                ("Content-Length", &BIG.to_string()),
            ],
            b"",
        );
        conn.send(&head)?;
        conn.note(format!(
            "{} sends {} MiB of binary body",
            conn.name(),
            BIG >> 20
        ));
        let (mut noise, mut buf) = (Noise::new(seed), vec![0u8; 64 << 10]);
        for _ in 0..BIG / buf.len() {
            noise.fill(&mut buf);
            conn.send_quietly(&buf)?;
        }
        Ok(())
    })?;
    let addr = peer.addr();
    let path = file.display().to_string();
    let finished = ctx.run_client(
        "client",
        &[
            &format!("http://{addr}/big.bin"),
            "-o",
            &path,
            "--timeout",
            &ctx.flag(secs(5)),
        ],
        Input::Nothing,
        secs(40),
    );
    let request = peer.finish_one("client")?;
    check_request(&request, "/big.bin", &addr.to_string())?;
    finished?.expect_exit("fetch /big.bin -o FILE", 0, b"")?;
    let compared = compare_file(&file, seed, BIG);
    let _ = std::fs::remove_dir_all(&dir);
    compared
}

pub(super) fn chunked(ctx: &mut Ctx) -> Outcome {
    let long: Vec<u8> = b"0123456789abcdef".repeat(16); // 256 bytes: 100 in hex
    let mut body = b"chunked! and a second chunk of 26 bytes.\n".to_vec();
    body.extend_from_slice(&long);
    let wire_long = [b"100\r\n".as_slice(), &long, b"\r\n"].concat();
    let (finished, _) = one_get(ctx, "/chunked", &[], move |conn, _, _| {
        send_pieces(
            conn,
            &[
                b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\nTrailer: X-Checksum\r\n\r\n",
                b"f;name=value\r\nchunked! and a \r\n",
                b"1",
                b"A\r\nsecond chunk of 26 bytes.\n\r\n",
                &wire_long,
                b"0\r\nX-Checksum: 1234\r\n\r\n",
            ],
            ms(20),
        )
    })?;
    finished
        .expect_exit("fetch /chunked", 0, &body)
        .map_err(|f| {
            if finished.stdout.starts_with(b"f;name") || finished.stdout.starts_with(b"f\r\n") {
                f.context(
                "the client printed the chunk sizes and their \\r\\n as if they were the body. ",
            )
            } else {
                f
            }
        })
}

pub(super) fn close_delimited(ctx: &mut Ctx) -> Outcome {
    let body = b"no length given:\nthe body ends when the server closes.\n";
    let (finished, _) = one_get(ctx, "/until-close", &[], |conn, _, _| {
        send_pieces(
            conn,
            &[
                b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n",
                b"no length given:\n",
                b"the body ends when the server closes.\n",
            ],
            ms(30),
        )?;
        conn.note("the checker's HTTP server closes the connection: the end of the body");
        Ok(())
    })?;
    finished.expect_exit("fetch /until-close", 0, body)
}

pub(super) fn te_over_cl(ctx: &mut Ctx) -> Outcome {
    let (finished, _) = one_get(ctx, "/both", &[], |conn, _, _| {
        conn.send(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")
    })?;
    finished.expect_exit("fetch /both", 0, b"hello world").map_err(|f| {
        f.context("the response had both Content-Length: 5 and Transfer-Encoding: chunked, and Transfer-Encoding wins. ")
            .hint("look at Transfer-Encoding first; use Content-Length only when there is none (RFC 9112, 6.3)")
    })
}
