//! URLs, the part of them an HTTP client needs.
//!
//! ```text
//!   http://[::1]:8080/path/to/file?query=1#fragment
//!   └┬─┘   └─┬─┘ └┬─┘└──────┬────┘└───┬──┘└───┬──┘
//!  scheme  host  port     path      query  fragment (never sent)
//! ```
//!
//! Only `http` is spoken here: `https` needs TLS, which is beyond this
//! lesson. A URL with a user name and password in it is refused: putting
//! secrets in URLs leaks them into logs and histories.

use std::fmt;

/// An `http` URL, taken apart.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Url {
    /// A name or an address; an IPv6 address without its brackets.
    pub host: String,
    /// The port: 80 when the URL names none.
    pub port: u16,
    /// The path, from its `/`, with any `?query`: what the request line
    /// asks for. Percent-escapes are kept as they are.
    pub target: String,
}

/// Why a URL was refused, naming the part that is wrong.
#[derive(Debug, PartialEq, Eq)]
pub enum UrlError {
    /// No `scheme://` at the start.
    NoScheme,
    /// `https`, which needs TLS.
    Https,
    /// A scheme other than http (and https).
    Scheme(String),
    /// `user:password@` before the host.
    UserInfo,
    /// Nothing between `//` and the path.
    NoHost,
    /// A host that is neither a name nor an address.
    BadHost(String),
    /// A port that is not a number from 1 to 65535.
    BadPort(String),
    /// A space or a control character, which no URL may hold raw.
    Space,
}

impl fmt::Display for UrlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UrlError::NoScheme => f.write_str("the URL must start with http://"),
            UrlError::Https => f.write_str(
                "https:// needs TLS, which is beyond this lesson: use http://, or a library such as ureq",
            ),
            UrlError::Scheme(s) => write!(f, "the scheme {s:?} is not http"),
            UrlError::UserInfo => f.write_str(
                "a user name or password in the URL (user@host) is refused: it would leak into logs",
            ),
            UrlError::NoHost => f.write_str("the URL has no host"),
            UrlError::BadHost(h) => write!(f, "the host {h:?} is not a name or an address"),
            UrlError::BadPort(p) => write!(f, "the port {p:?} is not a number from 1 to 65535"),
            UrlError::Space => f.write_str("a URL cannot hold spaces or control characters (escape them as %20)"),
        }
    }
}

impl std::error::Error for UrlError {}

impl Url {
    /// Reads an absolute `http://` URL.
    pub fn parse(text: &str) -> Result<Url, UrlError> {
        refuse_raw_bytes(text)?;
        let Some((scheme, rest)) = split_scheme(text) else {
            return Err(UrlError::NoScheme);
        };
        match scheme.to_ascii_lowercase().as_str() {
            "http" => {}
            "https" => return Err(UrlError::Https),
            other => return Err(UrlError::Scheme(other.to_string())),
        }
        let Some(rest) = rest.strip_prefix("//") else {
            return Err(UrlError::NoScheme);
        };
        // The authority runs to the first `/`, `?` or `#`.
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (authority, after) = rest.split_at(end);
        if authority.contains('@') {
            return Err(UrlError::UserInfo);
        }
        let (host, port) = split_host_port(authority)?;
        // The fragment is for the browser, never sent.
        let without_fragment = after.split('#').next().unwrap_or_default();
        let target = if without_fragment.starts_with('/') {
            without_fragment.to_string()
        } else {
            // An empty path is `/`; `?q` alone is `/?q`.
            format!("/{without_fragment}")
        };
        Ok(Url { host, port, target })
    }

    /// The `Host` header's value: the port only when it is not 80, and an
    /// IPv6 address in brackets.
    pub fn host_header(&self) -> String {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        if self.port == 80 {
            host
        } else {
            format!("{host}:{}", self.port)
        }
    }

    /// Resolves a redirect's `Location` against this URL, as RFC 3986
    /// (section 5.2) says: absolute (`http://b/x`), scheme-relative
    /// (`//b/x`), absolute path (`/x`), relative path (`x`, `../x`), or
    /// query only (`?q`).
    pub fn join(&self, reference: &str) -> Result<Url, UrlError> {
        // Checked first, whatever the reference is: the target ends up on
        // the request line, where a CR or a space would end it early.
        refuse_raw_bytes(reference)?;
        let reference = reference.split('#').next().unwrap_or_default();
        // Absolute only with a scheme before any `/`, `?` or `#`: the
        // `http://` in `/login?next=http://x/` is part of a query.
        if split_scheme(reference).is_some() {
            return Url::parse(reference);
        }
        if let Some(rest) = reference.strip_prefix("//") {
            return Url::parse(&format!("http://{rest}"));
        }
        let (path, _) = split_query(&self.target);
        let target = if reference.is_empty() {
            self.target.clone()
        } else if let Some(q) = reference.strip_prefix('?') {
            format!("{path}?{q}")
        } else {
            let (ref_path, ref_query) = split_query(reference);
            let merged = if ref_path.starts_with('/') {
                ref_path.to_string()
            } else {
                // Everything up to the current path's last `/`, then the
                // reference.
                let dir = &path[..path.rfind('/').map_or(0, |i| i + 1)];
                format!("{dir}{ref_path}")
            };
            let mut target = remove_dot_segments(&merged);
            if let Some(q) = ref_query {
                target.push('?');
                target.push_str(q);
            }
            target
        };
        Ok(Url {
            host: self.host.clone(),
            port: self.port,
            target,
        })
    }
}

impl fmt::Display for Url {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        write!(f, "http://{host}:{}{}", self.port, self.target)
    }
}

/// Refuses a space or a control character (CR, LF, TAB, NUL, DEL...): none
/// may stand raw in a URL (RFC 3986 has them percent-encoded), and on the
/// request line they would cut it or add a header.
fn refuse_raw_bytes(text: &str) -> Result<(), UrlError> {
    if text.bytes().any(|b| b <= b' ' || b == 0x7f) {
        return Err(UrlError::Space);
    }
    Ok(())
}

/// The scheme and what follows its `:`, if `text` starts with one: a
/// letter, then letters, digits, `+`, `-` or `.`, up to a `:` (RFC 3986,
/// 3.1). `javascript:x` has one; `/a:b` and `?next=http://x` do not.
fn split_scheme(text: &str) -> Option<(&str, &str)> {
    let (scheme, rest) = text.split_once(':')?;
    let mut chars = scheme.chars();
    let first = chars.next()?;
    let plain = |c: char| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.');
    (first.is_ascii_alphabetic() && chars.all(plain)).then_some((scheme, rest))
}

/// `host`, `host:port`, `[::1]`, `[::1]:8080`.
fn split_host_port(authority: &str) -> Result<(String, u16), UrlError> {
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        let (v6, after) = rest
            .split_once(']')
            .ok_or_else(|| UrlError::BadHost(authority.to_string()))?;
        if v6.parse::<std::net::Ipv6Addr>().is_err() {
            return Err(UrlError::BadHost(v6.to_string()));
        }
        match after {
            "" => (v6, None),
            _ => match after.strip_prefix(':') {
                Some(port) => (v6, Some(port)),
                None => return Err(UrlError::BadHost(authority.to_string())),
            },
        }
    } else {
        match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    if host.is_empty() {
        return Err(UrlError::NoHost);
    }
    let plain = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '.' || c == ':';
    if !host.chars().all(plain) {
        return Err(UrlError::BadHost(host.to_string()));
    }
    let port = match port {
        None | Some("") => 80,
        Some(p) => p
            .parse::<u16>()
            .ok()
            .filter(|&p| p != 0)
            .ok_or_else(|| UrlError::BadPort(p.to_string()))?,
    };
    Ok((host.to_ascii_lowercase(), port))
}

/// A target's path and its query (without the `?`), if any.
fn split_query(target: &str) -> (&str, Option<&str>) {
    match target.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (target, None),
    }
}

/// RFC 3986, 5.2.4: `.` and `..` segments, removed.
fn remove_dot_segments(path: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    let segments: Vec<&str> = path.split('/').collect();
    for (i, segment) in segments.iter().enumerate() {
        let last = i + 1 == segments.len();
        match *segment {
            "." => {
                if last {
                    out.push("");
                }
            }
            ".." => {
                if out.len() > 1 {
                    out.pop();
                }
                if last {
                    out.push("");
                }
            }
            s => out.push(s),
        }
    }
    let joined = out.join("/");
    if joined.starts_with('/') {
        joined
    } else {
        format!("/{joined}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_01_the_parts_of_a_url() {
        let url = Url::parse("http://[::1]:8080/a%20b?x=1#frag").unwrap();
        assert_eq!(
            (url.host.as_str(), url.port, url.target.as_str()),
            ("::1", 8080, "/a%20b?x=1")
        );
        assert_eq!(url.host_header(), "[::1]:8080");
        let url = Url::parse("HTTP://Example.COM").unwrap();
        assert_eq!(
            (url.host.as_str(), url.port, url.target.as_str()),
            ("example.com", 80, "/")
        );
        assert_eq!(url.host_header(), "example.com");
        assert_eq!(Url::parse("http://h?q").unwrap().target, "/?q");
    }

    #[test]
    fn step_03_bad_urls_say_which_part_is_wrong() {
        assert_eq!(Url::parse("example.com/x"), Err(UrlError::NoScheme));
        assert_eq!(Url::parse("https://example.com/"), Err(UrlError::Https));
        assert_eq!(Url::parse("ftp://h/"), Err(UrlError::Scheme("ftp".into())));
        assert_eq!(Url::parse("http://u:p@h/"), Err(UrlError::UserInfo));
        assert_eq!(Url::parse("http:///x"), Err(UrlError::NoHost));
        assert_eq!(
            Url::parse("http://h:99999/"),
            Err(UrlError::BadPort("99999".into()))
        );
        assert_eq!(
            Url::parse("http://h:0/"),
            Err(UrlError::BadPort("0".into()))
        );
        assert_eq!(
            Url::parse("http://[::g]/"),
            Err(UrlError::BadHost("::g".into()))
        );
        assert_eq!(Url::parse("http://h/a b"), Err(UrlError::Space));
        assert_eq!(Url::parse("h:80/x"), Err(UrlError::Scheme("h".into())));
        assert_eq!(Url::parse("/x?u=http://h/"), Err(UrlError::NoScheme));
    }

    /// Issue 23: what a redirect may not do to the request line.
    #[test]
    fn step_09_a_location_is_absolute_only_with_a_scheme_and_never_raw() {
        let base = Url::parse("http://a/b/c").unwrap();
        let next = base.join("/login?next=http://x/").unwrap();
        assert_eq!(next.to_string(), "http://a:80/login?next=http://x/");
        for bad in ["/ok\rX-Injected: 1", "/a b", "/x\0y", "/t\tab", "x\n"] {
            assert_eq!(base.join(bad), Err(UrlError::Space), "{bad:?}");
        }
        for (other, scheme) in [
            ("javascript:alert(1)", "javascript"),
            ("data:text/html,hi", "data"),
            ("mailto:a@b", "mailto"),
            ("FTP://h/", "ftp"),
        ] {
            assert_eq!(base.join(other), Err(UrlError::Scheme(scheme.into())));
        }
    }

    /// RFC 3986, section 5.4.1, the normal examples, with http and a port.
    #[test]
    fn step_09_redirects_resolve_as_rfc_3986_says() {
        let base = Url::parse("http://a/b/c/d;p?q").unwrap();
        let cases = [
            ("g", "http://a:80/b/c/g"),
            ("./g", "http://a:80/b/c/g"),
            ("g/", "http://a:80/b/c/g/"),
            ("/g", "http://a:80/g"),
            ("//g", "http://g:80/"),
            ("?y", "http://a:80/b/c/d;p?y"),
            ("g?y", "http://a:80/b/c/g?y"),
            ("#s", "http://a:80/b/c/d;p?q"),
            ("g#s", "http://a:80/b/c/g"),
            ("", "http://a:80/b/c/d;p?q"),
            (".", "http://a:80/b/c/"),
            ("./", "http://a:80/b/c/"),
            ("..", "http://a:80/b/"),
            ("../", "http://a:80/b/"),
            ("../g", "http://a:80/b/g"),
            ("../..", "http://a:80/"),
            ("../../", "http://a:80/"),
            ("../../g", "http://a:80/g"),
            ("../../../g", "http://a:80/g"),
            ("http://other:8080/x", "http://other:8080/x"),
        ];
        for (reference, want) in cases {
            assert_eq!(
                base.join(reference).unwrap().to_string(),
                want,
                "{reference:?}"
            );
        }
    }
}
