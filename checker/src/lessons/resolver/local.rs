//! The stages of the local commands, graded by their output: byte order,
//! addresses as text (aton, pton, ntoa), a hosts file, the system's
//! resolver.

use std::net::{Ipv4Addr, Ipv6Addr};

use crate::ctx::Ctx;
use crate::verdict::{Failure, Outcome};
use crate::wire;

use super::program::{expect, expect_error, run};

pub(super) fn byte_order(ctx: &mut Ctx) -> Outcome {
    let order = if cfg!(target_endian = "little") {
        "this machine is little-endian"
    } else {
        "this machine is big-endian"
    };
    let swap_l = |n: u32| n.to_be();
    let swap_s = |n: u16| n.to_be();
    let cases: [(&str, u64, String); 4] = [
        ("htonl", 1, format!("0x{:08x}", swap_l(1))),
        (
            "ntohl",
            0x0102_0304,
            format!("0x{:08x}", swap_l(0x0102_0304)),
        ),
        ("htons", 1, format!("0x{:04x}", swap_s(1))),
        ("ntohs", 0xabcd, format!("0x{:04x}", swap_s(0xabcd))),
    ];
    for (command, n, hex) in cases {
        let decimal = u64::from_str_radix(&hex[2..], 16).expect("hex").to_string();
        let arg = n.to_string();
        let finished = run(ctx, &[command, &arg])?;
        expect(
            &finished,
            &format!("{command} {n}"),
            0,
            &[&decimal, &hex, order],
        )?;
    }
    let finished = run(ctx, &["htons", "65536"])?;
    expect_error(&finished, "htons 65536 (too big for 16 bits)", 2)
}

/// `aton TEXT` must print the address and its bytes in hex.
fn aton_ok(ctx: &Ctx, text: &str, dotted: &str) -> Outcome {
    let addr: Ipv4Addr = dotted.parse().expect("a test address");
    let hex = wire::hex(&addr.octets());
    let finished = run(ctx, &["aton", text])?;
    expect(&finished, &format!("aton {text}"), 0, &[dotted, &hex])
}

pub(super) fn aton_forms(ctx: &mut Ctx) -> Outcome {
    for (text, dotted) in [
        ("127.0.0.1", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("0x7f.1", "127.0.0.1"),
        ("010.0.0.1", "8.0.0.1"),
        ("1", "0.0.0.1"),
        ("1.2.65535", "1.2.255.255"),
        ("0xffffffff", "255.255.255.255"),
    ] {
        aton_ok(ctx, text, dotted)?;
    }
    Ok(())
}

pub(super) fn aton_rejects(ctx: &mut Ctx) -> Outcome {
    for text in [
        "256.1.1.1",
        "1.16777216",
        "4294967296",
        "08.1.1.1",
        "1..2",
        "1.2.3.4.5",
        "1.2.3.4x",
        "0x",
        "",
        // Signs: u32::from_str_radix takes a leading +, inet_aton does not.
        "+1.2.3.4",
        "0x+7f.1",
        "1.-2.3.4",
    ] {
        let finished = run(ctx, &["aton", text])?;
        expect_error(&finished, &format!("aton {text:?}"), 1)?;
    }
    Ok(())
}

pub(super) fn aton_trailing(ctx: &mut Ctx) -> Outcome {
    aton_ok(ctx, "1.2.3.4 junk", "1.2.3.4")?;
    aton_ok(ctx, "1.2.3.4\tx", "1.2.3.4")
}

pub(super) fn pton_ntoa(ctx: &mut Ctx) -> Outcome {
    let finished = run(ctx, &["pton", "192.0.2.1"])?;
    expect(
        &finished,
        "pton 192.0.2.1",
        0,
        &["192.0.2.1", "c0 00 02 01"],
    )?;
    let v6: Ipv6Addr = "2001:db8::1".parse().expect("an address");
    let finished = run(ctx, &["pton", "2001:0db8:0:0::1"])?;
    expect(
        &finished,
        "pton 2001:0db8:0:0::1",
        0,
        &["2001:db8::1", &wire::hex(&v6.octets())],
    )?;
    for strict in ["127.1", "010.0.0.1"] {
        let finished = run(ctx, &["pton", strict])?;
        expect_error(&finished, &format!("pton {strict}"), 1)?;
    }
    let finished = run(ctx, &["ntoa", "80772b0c"])?;
    expect(
        &finished,
        "ntoa 80772b0c",
        0,
        &["128.119.43.12", "80 77 2b 0c"],
    )?;
    let finished = run(ctx, &["ntoa", "7f00001"])?;
    expect_error(&finished, "ntoa 7f00001 (7 digits)", 1)
}

/// A hosts file for the stages, written into a fresh temporary folder.
const HOSTS: &str = "\
# The checker's hosts file
127.0.0.1\tlocalhost
192.0.2.10   www.example.test   www    # a comment after the names
300.1.1.1    broken.example.test
192.0.2.12   WWW.Example.Test   web
2001:db8::10 www.example.test v6
";

fn hosts_file(ctx: &Ctx) -> Result<String, Failure> {
    // One folder per stage run: several stages may run at once.
    static RUNS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let run = RUNS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let dir = std::env::temp_dir().join(format!("checker-hosts-{}-{run}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| Failure::checker_error(e.to_string()))?;
    let path = dir.join("hosts");
    std::fs::write(&path, HOSTS).map_err(|e| Failure::checker_error(e.to_string()))?;
    ctx.note(format!(
        "the checker's hosts file, {}:\n{}",
        path.display(),
        HOSTS.trim_end()
    ));
    Ok(path.display().to_string())
}

pub(super) fn hosts(ctx: &mut Ctx) -> Outcome {
    let file = hosts_file(ctx)?;
    let finished = run(ctx, &["hosts", "WWW.example.TEST", "--file", &file])?;
    expect(
        &finished,
        "hosts WWW.example.TEST",
        0,
        &[
            "name: www.example.test",
            "aliases: www web",
            "addresses: 192.0.2.10 192.0.2.12",
        ],
    )?;
    if !finished.stderr.contains("300.1.1.1") {
        return Err(
            Failure::failed("the line with 300.1.1.1 was skipped without a warning")
                .expected("a warning on stderr that names the bad line")
                .got(format!(
                    "stderr: {}",
                    wire::quote_text(finished.stderr.trim())
                )),
        );
    }
    let finished = run(ctx, &["hosts", "nowhere.example.test", "--file", &file])?;
    expect_error(&finished, "hosts nowhere.example.test", 3)
}

pub(super) fn hosts_reverse(ctx: &mut Ctx) -> Outcome {
    let file = hosts_file(ctx)?;
    let finished = run(ctx, &["hosts", "--reverse", "192.0.2.12", "--file", &file])?;
    expect(
        &finished,
        "hosts --reverse 192.0.2.12",
        0,
        &[
            "name: WWW.Example.Test",
            "aliases: web",
            "addresses: 192.0.2.12",
        ],
    )?;
    let finished = run(
        ctx,
        &["hosts", "--reverse", "2001:db8:0::10", "--file", &file],
    )?;
    expect(
        &finished,
        "hosts --reverse 2001:db8:0::10",
        0,
        &[
            "name: www.example.test",
            "aliases: v6",
            "addresses: 2001:db8::10",
        ],
    )
}

pub(super) fn lookup(ctx: &mut Ctx) -> Outcome {
    let finished = run(ctx, &["lookup", "localhost"])?;
    finished.expect_success()?;
    let text = String::from_utf8_lossy(&finished.stdout);
    let lines: Vec<&str> = text.lines().collect();
    let unique = lines
        .iter()
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    if !lines.contains(&"127.0.0.1") || unique != lines.len() {
        return Err(Failure::failed(
            "lookup localhost: not one line per address, with 127.0.0.1 among them",
        )
        .expected("127.0.0.1 (and ::1 where the system has it), each once")
        .got(wire::show(&finished.stdout)));
    }
    let finished = run(ctx, &["fqdn", "localhost"])?;
    expect(&finished, "fqdn localhost", 0, &["localhost"])
}

/// The services file the `service` stage writes: names, ports, aliases,
/// a comment, one protocol only for some, and a line that is not a service.
const SERVICES: &str = "\
# name       port/proto   aliases
http         80/tcp       www www-http   # the web
domain       53/tcp
domain       53/udp
syslog       514/udp
bad          x/tcp
kerberos     88/tcp       kerberos5 krb5
";

pub(super) fn service(ctx: &mut Ctx) -> Outcome {
    let dir = std::env::temp_dir().join(format!(
        "checker-services-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    std::fs::create_dir_all(&dir).map_err(|e| Failure::checker_error(e.to_string()))?;
    let path = dir.join("services");
    std::fs::write(&path, SERVICES).map_err(|e| Failure::checker_error(e.to_string()))?;
    ctx.note(format!(
        "the checker's services file, {}:\n{}",
        path.display(),
        SERVICES.trim_end()
    ));
    let file = path.display().to_string();
    let cases: [(&[&str], [&str; 3]); 5] = [
        (
            &["http"],
            ["name: http", "port: 80/tcp", "aliases: www www-http"],
        ),
        (
            &["krb5"],
            ["name: kerberos", "port: 88/tcp", "aliases: kerberos5 krb5"],
        ),
        (
            &["53", "--proto", "udp"],
            ["name: domain", "port: 53/udp", "aliases: "],
        ),
        (&["domain"], ["name: domain", "port: 53/tcp", "aliases: "]),
        (&["514"], ["name: syslog", "port: 514/udp", "aliases: "]),
    ];
    for (args, lines) in cases {
        let mut all = vec!["service"];
        all.extend(args);
        all.extend(["--file", &file]);
        let finished = run(ctx, &all)?;
        expect(&finished, &format!("service {}", args.join(" ")), 0, &lines)?;
    }
    for args in [&["http", "--proto", "udp"][..], &["ssh"], &["8080"]] {
        let mut all = vec!["service"];
        all.extend(args);
        all.extend(["--file", &file]);
        let finished = run(ctx, &all)?;
        expect_error(&finished, &format!("service {}", args.join(" ")), 3)?;
    }
    Ok(())
}
