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
    /// Reads an absolute `http://` URL: a space or a control character
    /// anywhere is refused first ([`UrlError::Space`]). The authority (host and port) runs
    /// from `://` to the first `/`, `?` or `#`; the port is 80 when none is
    /// given; `[...]` holds an IPv6 address; the fragment (`#...`) is
    /// dropped; an empty path is `/`. Refuse `https` (say that TLS is
    /// beyond this lesson), `user@`, a missing host, a port that is not
    /// 1 to 65535: each with its [`UrlError`]. (Step 1 needs a good URL's
    /// parts; what is refused is step 3.)
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
    ///
    /// A reference is absolute only when it starts with a scheme: a
    /// letter, then letters, digits, `+`, `-` or `.`, then a `:`, before
    /// any `/`, `?` or `#` (`/login?next=http://x/` is a path and a query;
    /// `javascript:alert(1)` has a scheme, and is refused as not http). A
    /// space or a control character anywhere is refused
    /// ([`UrlError::Space`]): on the request line a CR would add a header.
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
