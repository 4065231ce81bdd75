//! The stages of redirects: a chain of six across two servers, each
//! Location resolved as RFC 3986 says; a loop, a limit, a 3xx with nowhere
//! to go.

use std::sync::{Arc, Mutex};

use crate::ctx::Ctx;
use crate::verdict::{Failure, Outcome};
use crate::wire::{self, Conn};

use super::http::{Request, check_request, http_peer, http_peer_at, ok, response};
use super::program::{expect_refused, fetch, one_get};

/// The redirect chain: which server, the target asked, and the answer.
struct Hop {
    /// 0: server A, 1: server B.
    server: usize,
    target: &'static str,
    status: &'static str,
    /// `{A}` and `{B}` stand for the servers' addresses.
    location: &'static str,
}

const CHAIN: &[Hop] = &[
    Hop {
        server: 0,
        target: "/start/here",
        status: "301 Moved Permanently",
        location: "http://{B}/b/one",
    },
    Hop {
        server: 1,
        target: "/b/one",
        status: "302 Found",
        location: "../up/two",
    },
    Hop {
        server: 1,
        target: "/up/two",
        status: "303 See Other",
        location: "three",
    },
    Hop {
        server: 1,
        target: "/up/three",
        status: "307 Temporary Redirect",
        location: "/root/four",
    },
    Hop {
        server: 1,
        target: "/root/four",
        status: "308 Permanent Redirect",
        location: "//{A}/a/five",
    },
    Hop {
        server: 0,
        target: "/a/five",
        status: "302 Found",
        location: "?page=6",
    },
    Hop {
        server: 0,
        target: "/a/five?page=6",
        status: "200 OK",
        location: "",
    },
];

const ARRIVED: &[u8] = b"you followed six redirects\n";

pub(super) fn redirects(ctx: &mut Ctx) -> Outcome {
    // Two servers; each answers by the chain, and logs what it was asked
    // in one list, so the order across both is known.
    let asked: Arc<Mutex<Vec<(usize, String)>>> = Arc::default();
    let addrs: Arc<Mutex<[String; 2]>> = Arc::default();
    let serve = |server: usize| {
        let (asked, addrs) = (Arc::clone(&asked), Arc::clone(&addrs));
        move |conn: &mut Conn, request: &Request, _: usize| {
            asked
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push((server, request.target.clone()));
            let [a, b] = addrs.lock().unwrap_or_else(|e| e.into_inner()).clone();
            match CHAIN
                .iter()
                .find(|h| h.server == server && h.target == request.target)
            {
                Some(hop) if hop.location.is_empty() => conn.send(&ok(ARRIVED)),
                Some(hop) => {
                    let location = hop.location.replace("{A}", &a).replace("{B}", &b);
                    conn.send(&response(
                        hop.status,
                        &[("Location", &location), ("Content-Length", "0")],
                        b"",
                    ))
                }
                None => conn.send(&response("404 Not Found", &[("Content-Length", "0")], b"")),
            }
        }
    };
    let a = http_peer_at(ctx, "127.0.0.1:0", "server A", serve(0))?;
    let b = http_peer_at(ctx, "127.0.0.1:0", "server B", serve(1))?;
    let names = [a.addr().to_string(), b.addr().to_string()];
    *addrs.lock().unwrap_or_else(|e| e.into_inner()) = names.clone();
    let start = format!("http://{}/start/here", names[0]);
    let finished = fetch(ctx, &start, &[]);
    let requests: Vec<Request> = a
        .finish()
        .into_iter()
        .chain(b.finish())
        .collect::<Result<_, _>>()?;
    for request in &requests {
        let server = if request
            .values("host")
            .first()
            .is_some_and(|h| *h == names[1])
        {
            1
        } else {
            0
        };
        check_request(request, &request.target, &names[server])?;
    }
    let asked = asked.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let url = |hop: &Hop| format!("http://{}{}", names[hop.server], hop.target);
    if asked.is_empty() {
        let finished = finished?;
        return Err(Failure::failed(format!(
            "the client never asked server A for /start/here; it {}",
            finished.how
        ))
        .got(format!(
            "stderr: {}",
            wire::quote_text(finished.stderr.trim())
        )));
    }
    for (i, hop) in CHAIN.iter().enumerate() {
        let Some((server, target)) = asked.get(i) else {
            let before = &CHAIN[i - 1];
            return Err(Failure::failed(format!(
                "after {} from {}, the client did not follow",
                before.status,
                url(before)
            ))
            .expected(format!("a GET of {}", url(hop)))
            .got(format!(
                "exit: {}",
                finished
                    .as_ref()
                    .map_or("(did not end)".into(), |f| f.how.clone())
            ))
            .hint("on 301, 302, 303, 307 and 308, fetch the Location"));
        };
        if (*server, target.as_str()) != (hop.server, hop.target) {
            let before = &CHAIN[i - 1];
            let location = before
                .location
                .replace("{A}", &names[0])
                .replace("{B}", &names[1]);
            return Err(Failure::failed(format!(
                "Location: {location} from {} resolved against it is {}, but the client asked for http://{}{target}",
                url(before),
                url(hop),
                names[*server]
            ))
            .expected(format!("GET {}", url(hop)))
            .got(format!("GET http://{}{target}", names[*server]))
            .hint("resolve Location as RFC 3986 (5.2) says: `x` and `../x` replace the last segment of the current path, `/x` the whole path, `//host/x` all but the scheme, `?q` the query only"));
        }
    }
    finished?.expect_exit("fetch through six redirects", 0, ARRIVED)
}

pub(super) fn redirect_limits(ctx: &mut Ctx) -> Outcome {
    // A loop.
    let peer = http_peer(ctx, |conn, request, _| {
        let next = if request.target == "/loop/a" {
            "/loop/b"
        } else {
            "/loop/a"
        };
        conn.send(&response(
            "302 Found",
            &[("Location", next), ("Content-Length", "0")],
            b"",
        ))
    })?;
    let finished = fetch(ctx, &format!("http://{}/loop/a", peer.addr()), &[]);
    let requests = peer.finish();
    expect_refused(&finished?, "a redirect loop (/loop/a → /loop/b → /loop/a)")?;
    if requests.len() > 3 {
        return Err(Failure::failed(format!(
            "the client followed the loop {} times before giving up",
            requests.len()
        ))
        .expected("an error as soon as a URL comes round again: 3 requests at most")
        .hint("keep the URLs fetched so far, and stop when Location points at one of them"));
    }

    // An endless chain, with --max-redirects 2.
    let peer = http_peer(ctx, |conn, _, n| {
        conn.send(&response(
            "302 Found",
            &[
                ("Location", &format!("/hop/{}", n + 1)),
                ("Content-Length", "0"),
            ],
            b"",
        ))
    })?;
    let finished = fetch(
        ctx,
        &format!("http://{}/hop/1", peer.addr()),
        &["--max-redirects", "2"],
    );
    let requests = peer.finish();
    expect_refused(&finished?, "a chain of redirects with --max-redirects 2")?;
    if requests.len() != 3 {
        return Err(Failure::failed(format!(
            "with --max-redirects 2 the client made {} requests",
            requests.len()
        ))
        .expected("3: the first, then 2 redirects followed, then an error at the third")
        .hint("count the redirects followed; refuse the one that would go past the limit"));
    }

    // A 3xx without Location is the answer.
    let body = b"a redirect with nowhere to go\n";
    let (finished, _) = one_get(ctx, "/nowhere", &[], |conn, _, _| {
        conn.send(&response(
            "302 Found",
            &[("Content-Length", "30")],
            b"a redirect with nowhere to go\n",
        ))
    })?;
    finished.expect_exit("fetch /nowhere (302 without Location)", 0, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 3986, 5.2: `reference` resolved against `base` (`//authority`
    /// then path and query, or a full `http://` URL), written here from
    /// the RFC's pseudo-code, apart from the reference's own code.
    fn resolve(base: &str, reference: &str) -> String {
        let (authority, base_path, base_query) = split(base);
        if let Some(rest) = reference.strip_prefix("http:") {
            let (a, p, q) = split(rest);
            return join(&a, &remove_dot_segments(&p), q);
        }
        if reference.starts_with("//") {
            let (a, p, q) = split(reference);
            return join(&a, &remove_dot_segments(&p), q);
        }
        let (path, query) = match reference.split_once('?') {
            Some((p, q)) => (p, Some(q.to_string())),
            None => (reference, None),
        };
        if path.is_empty() {
            return join(&authority, &base_path, query.or(base_query));
        }
        let merged = if path.starts_with('/') {
            path.to_string()
        } else {
            // 5.2.3: all but the last segment of the base path, then path.
            let cut = base_path.rfind('/').map_or(0, |i| i + 1);
            format!("{}{path}", &base_path[..cut])
        };
        join(&authority, &remove_dot_segments(&merged), query)
    }

    /// `//authority/path?query` into its three parts.
    fn split(url: &str) -> (String, String, Option<String>) {
        let rest = url.strip_prefix("//").expect("an authority");
        let end = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, rest) = rest.split_at(end);
        let (path, query) = match rest.split_once('?') {
            Some((p, q)) => (p, Some(q.to_string())),
            None => (rest, None),
        };
        (authority.to_string(), path.to_string(), query)
    }

    fn join(authority: &str, path: &str, query: Option<String>) -> String {
        let path = if path.is_empty() { "/" } else { path };
        match query {
            Some(q) => format!("//{authority}{path}?{q}"),
            None => format!("//{authority}{path}"),
        }
    }

    /// RFC 3986, 5.2.4, step by step: an input buffer emptied into an
    /// output buffer.
    fn remove_dot_segments(path: &str) -> String {
        let mut input = path.to_string();
        let mut output = String::new();
        while !input.is_empty() {
            if let Some(rest) = input.strip_prefix("../").or(input.strip_prefix("./")) {
                input = rest.to_string();
            } else if input.starts_with("/./") {
                input = input[2..].to_string();
            } else if input == "/." {
                input = "/".to_string();
            } else if input.starts_with("/../") || input == "/.." {
                input = format!("/{}", &input[if input == "/.." { 3 } else { 4 }..]);
                output.truncate(output.rfind('/').unwrap_or(0));
            } else if input == "." || input == ".." {
                input.clear();
            } else {
                let start = usize::from(input.starts_with('/'));
                let end = input[start..].find('/').map_or(input.len(), |i| i + start);
                output.push_str(&input[..end]);
                input = input[end..].to_string();
            }
        }
        output
    }

    #[test]
    fn the_resolver_here_says_what_rfc_3986_says() {
        // RFC 3986, 5.4.1, some of the normal examples.
        let base = "//a/b/c/d;p?q";
        for (reference, want) in [
            ("g", "//a/b/c/g"),
            ("../g", "//a/b/g"),
            ("../../../g", "//a/g"),
            ("/./g", "//a/g"),
            ("//g", "//g/"),
            ("?y", "//a/b/c/d;p?y"),
            ("g?y", "//a/b/c/g?y"),
            ("", "//a/b/c/d;p?q"),
            ("..", "//a/b/"),
        ] {
            assert_eq!(resolve(base, reference), want, "{reference:?}");
        }
    }

    #[test]
    fn the_redirect_chain_is_what_rfc_3986_says() {
        // Each hop's Location, resolved against that hop's URL, must be
        // the next hop's URL.
        let names = ["127.0.0.1:1000", "127.0.0.1:2000"];
        let url = |hop: &Hop| format!("//{}{}", names[hop.server], hop.target);
        let hops: Vec<&Hop> = CHAIN.iter().collect();
        for pair in hops.windows(2) {
            let (hop, next) = (pair[0], pair[1]);
            let location = hop
                .location
                .replace("{A}", names[0])
                .replace("{B}", names[1]);
            assert!(!location.is_empty(), "{} redirects nowhere", hop.target);
            assert_eq!(resolve(&url(hop), &location), url(next), "{location:?}");
        }
        assert!(CHAIN.last().is_some_and(|hop| hop.location.is_empty()));
    }
}
