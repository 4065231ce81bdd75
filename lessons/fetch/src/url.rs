//! URLs, the part of them an HTTP client needs. Yours to write: `parse`,
//! `host_header` and `join` (the `todo!()`s).
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
    /// Reads an absolute `http://` URL. The authority (host and port) runs
    /// from `://` to the first `/`, `?` or `#`; the port is 80 when none is
    /// given; `[...]` holds an IPv6 address; the fragment (`#...`) is
    /// dropped; an empty path is `/`. Refuse `https` (say that TLS is
    /// beyond this lesson), `user@`, a missing host, a port that is not
    /// 1 to 65535: each with its [`UrlError`].
    pub fn parse(text: &str) -> Result<Url, UrlError> {
        todo!("take {text:?} apart: scheme, host, port, target")
    }

    /// The `Host` header's value: the port only when it is not 80, and an
    /// IPv6 address in brackets.
    pub fn host_header(&self) -> String {
        todo!("the Host header for {}:{}", self.host, self.port)
    }

    /// Resolves a redirect's `Location` against this URL, as RFC 3986
    /// (section 5.2) says: absolute (`http://b/x`), scheme-relative
    /// (`//b/x`), absolute path (`/x`), relative path (`x`, `../x`), or
    /// query only (`?q`).
    pub fn join(&self, reference: &str) -> Result<Url, UrlError> {
        todo!("resolve {reference:?} against {}", self.target)
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
