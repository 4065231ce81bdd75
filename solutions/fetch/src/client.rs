//! `urlopen`: what a protocol module does for its users. It takes a URL
//! apart, connects (address by address), sends one legal request, reads
//! and checks the response head, follows redirects, and hands back a
//! [`Response`] whose body is read as the bytes arrive: whole, or line by
//! line, as with a file.

use std::fmt;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::Duration;

use crate::response::{self, Body, Head};
use crate::url::{Url, UrlError};

/// The buffer the response is read through: the most one `read` takes
/// from the socket. A big body costs this much memory, whatever its size.
/// 1 MiB rather than `BufReader`'s 8 KiB or even 64 KiB: each read is a
/// system call, and each also has the kernel lock the socket, take in
/// what arrived meanwhile and tell the server how much room there is now;
/// fewer, larger reads do that less often (the chapter, "Speed and
/// memory", has the figures).
pub const READ_BUFFER: usize = 1 << 20;

/// How to fetch.
#[derive(Clone, Debug)]
pub struct Options {
    /// The deadline for connecting, and for every read.
    pub timeout: Duration,
    /// How many redirects are followed before giving up: a chain of them
    /// must not keep the client busy for ever.
    pub max_redirects: u32,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            timeout: Duration::from_secs(30),
            max_redirects: 10,
        }
    }
}

/// Which step failed. Errors from the network keep their `io::ErrorKind`.
#[derive(Debug)]
pub enum FetchError {
    /// The URL (given, or in a redirect's `Location`) cannot be fetched.
    Url(UrlError),
    /// No connection could be made.
    Connect {
        /// The address (or the name, if it had none) tried last.
        addr: String,
        /// Why the connection failed.
        source: io::Error,
    },
    /// Nothing came within the timeout: what the client was waiting for.
    Timeout(String),
    /// The response cannot be believed (a broken head, a body cut short):
    /// what was wrong with it.
    Protocol(String),
    /// More redirects than `Options::max_redirects`.
    TooManyRedirects {
        /// The limit that was reached.
        limit: u32,
    },
    /// A redirect back to a URL already fetched: following it would never
    /// end.
    RedirectLoop(String),
    /// The response came whole, with a status of 400 or more: see
    /// [`Response::error_for_status`] (urllib raises `HTTPError`).
    Status {
        /// The status code, 400 or more.
        status: u16,
        /// The reason phrase, as the server wrote it (maybe empty).
        reason: String,
        /// The URL that answered, after any redirects.
        url: String,
    },
    /// Any other failure of the network, or of the file written to.
    Io(io::Error),
}

impl fmt::Display for FetchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // What caused it is `source`'s to tell (`cli::one_line` prints
            // the chain): saying it here too would say it twice.
            FetchError::Url(_) => f.write_str("bad URL"),
            FetchError::Connect { addr, .. } => write!(f, "cannot connect to {addr}"),
            FetchError::Timeout(what) => write!(f, "timed out {what}"),
            FetchError::Protocol(what) => write!(f, "the server broke the protocol: {what}"),
            FetchError::TooManyRedirects { limit } => write!(f, "more than {limit} redirects"),
            FetchError::RedirectLoop(url) => write!(f, "a redirect loop: {url} again"),
            FetchError::Status {
                status,
                reason,
                url,
            } => write!(f, "{url} answered {status} {reason}"),
            FetchError::Io(e) => write!(f, "{e}"),
        }
    }
}

/// A `FetchError` is an error like any other: `?` can turn it into a
/// `Box<dyn Error>`, and what caused it stays reachable through `source`.
impl std::error::Error for FetchError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            FetchError::Url(e) => Some(e),
            FetchError::Connect { source, .. } => Some(source),
            // Shown whole by `Display` already: its own cause, if any.
            FetchError::Io(e) => e.source(),
            _ => None,
        }
    }
}

impl FetchError {
    /// The kind of I/O error behind it, if the network or a file failed:
    /// `TimedOut` for a timeout, `InvalidData` for a broken response.
    pub fn kind(&self) -> Option<io::ErrorKind> {
        match self {
            FetchError::Connect { source, .. } => Some(source.kind()),
            FetchError::Io(e) => Some(e.kind()),
            FetchError::Timeout(_) => Some(io::ErrorKind::TimedOut),
            FetchError::Protocol(_) => Some(io::ErrorKind::InvalidData),
            _ => None,
        }
    }
}

impl From<UrlError> for FetchError {
    fn from(e: UrlError) -> Self {
        FetchError::Url(e)
    }
}

/// Sorts an I/O error into the step it belongs to.
fn classify(e: io::Error, doing: &str) -> FetchError {
    match e.kind() {
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => {
            FetchError::Timeout(doing.to_string())
        }
        io::ErrorKind::InvalidData => FetchError::Protocol(e.to_string()),
        io::ErrorKind::UnexpectedEof => FetchError::Protocol(e.to_string()),
        _ => FetchError::Io(e),
    }
}

/// A response: its head, where it came from after redirects, and its body.
pub struct Response {
    /// The status line and headers, read and checked.
    pub head: Head,
    /// The URL the response came from, after any redirects.
    pub url: Url,
    body: Body<BufReader<TcpStream>>,
}

impl Response {
    /// The status code: a shortcut for `head.status`.
    pub fn status(&self) -> u16 {
        self.head.status
    }

    /// The URL the response came from, after any redirects: urllib's
    /// `geturl()`.
    pub fn geturl(&self) -> &Url {
        &self.url
    }

    /// The status line and the headers: urllib's `info()`.
    pub fn info(&self) -> &Head {
        &self.head
    }

    /// The response, or an error if its status is 400 or more, as urllib
    /// raises `HTTPError`. The fetch program calls it after printing the
    /// body (curl prints an error's body too), and `main` turns the error
    /// into exit code 22.
    pub fn error_for_status(self) -> Result<Response, FetchError> {
        if self.head.status >= 400 {
            return Err(FetchError::Status {
                status: self.head.status,
                reason: self.head.reason.clone(),
                url: self.url.to_string(),
            });
        }
        Ok(self)
    }
}

impl Read for Response {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.body.read(buf)
    }
}

impl BufRead for Response {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.body.fill_buf()
    }
    fn consume(&mut self, amount: usize) {
        self.body.consume(amount)
    }
}

/// Fetches `url`, following redirects.
pub fn urlopen(url: &str, options: &Options) -> Result<Response, FetchError> {
    let mut url = Url::parse(url)?;
    let mut seen = vec![url.to_string()];
    loop {
        let (head, body) = get(&url, options)?;
        let redirect = matches!(head.status, 301 | 302 | 303 | 307 | 308);
        // A 3xx without Location is an answer in itself.
        match head.header("location").filter(|_| redirect) {
            None => return Ok(Response { head, url, body }),
            Some(location) => {
                if seen.len() > options.max_redirects as usize {
                    return Err(FetchError::TooManyRedirects {
                        limit: options.max_redirects,
                    });
                }
                let next = url.join(location)?;
                if seen.contains(&next.to_string()) {
                    return Err(FetchError::RedirectLoop(next.to_string()));
                }
                seen.push(next.to_string());
                url = next;
            }
        }
    }
}

/// One GET: connect, send, read the head.
fn get(url: &Url, options: &Options) -> Result<(Head, Body<BufReader<TcpStream>>), FetchError> {
    let mut stream = connect(url, options.timeout)?;
    stream
        .set_read_timeout(Some(options.timeout))
        .map_err(FetchError::Io)?;
    stream
        .set_write_timeout(Some(options.timeout))
        .map_err(FetchError::Io)?;
    // The whole request in one write: no partial request on the wire, and
    // no Nagle delay between its pieces.
    let request = format!(
        "GET {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: course-fetch/0.1\r\nAccept-Encoding: identity\r\nConnection: close\r\n\r\n",
        url.target,
        url.host_header()
    );
    stream
        .write_all(request.as_bytes())
        .map_err(|e| classify(e, "sending the request"))?;
    let mut reader = BufReader::with_capacity(READ_BUFFER, stream);
    let head =
        response::read_head(&mut reader).map_err(|e| classify(e, "waiting for the response"))?;
    let framing = response::framing(&head).map_err(|e| classify(e, "reading the headers"))?;
    Ok((head, Body::new(reader, framing)))
}

/// Tries each address the host resolves to, each with the deadline: a
/// name such as `localhost` may stand for ::1 and 127.0.0.1, and only
/// one of them may be listening.
fn connect(url: &Url, timeout: Duration) -> Result<TcpStream, FetchError> {
    let addrs: Vec<SocketAddr> = (url.host.as_str(), url.port)
        .to_socket_addrs()
        .map_err(|e| FetchError::Connect {
            addr: url.host.clone(),
            source: e,
        })?
        .collect();
    let mut last = None;
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, timeout) {
            Ok(stream) => return Ok(stream),
            Err(e) => last = Some((addr, e)),
        }
    }
    Err(match last {
        Some((addr, e))
            if matches!(
                e.kind(),
                io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock
            ) =>
        {
            FetchError::Timeout(format!("connecting to {addr}"))
        }
        Some((addr, source)) => FetchError::Connect {
            addr: addr.to_string(),
            source,
        },
        None => FetchError::Connect {
            addr: url.host.clone(),
            source: io::Error::new(io::ErrorKind::NotFound, "the name has no address"),
        },
    })
}

/// Reads the body to its end into `out`, streaming: never all in memory.
pub fn copy_body(response: &mut Response, out: &mut impl Write) -> Result<u64, FetchError> {
    // Straight from the reader's buffer to `out`: `io::copy` would copy
    // each piece once more, through a buffer of its own.
    let mut total = 0;
    loop {
        let piece = response
            .fill_buf()
            .map_err(|e| classify(e, "reading the body"))?;
        if piece.is_empty() {
            return Ok(total);
        }
        out.write_all(piece).map_err(FetchError::Io)?;
        let n = piece.len();
        response.consume(n);
        total += n as u64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;
    use std::thread;

    /// A server that answers each connection with the next of `replies`,
    /// and returns the requests it read.
    fn serve(replies: Vec<Vec<u8>>) -> (String, thread::JoinHandle<Vec<String>>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let handle = thread::spawn(move || {
            let mut requests = Vec::new();
            for reply in replies {
                let (mut conn, _) = listener.accept().unwrap();
                let mut reader = BufReader::new(conn.try_clone().unwrap());
                let mut request = String::new();
                loop {
                    let mut line = String::new();
                    reader.read_line(&mut line).unwrap();
                    request.push_str(&line);
                    if line == "\r\n" || line.is_empty() {
                        break;
                    }
                }
                requests.push(request);
                conn.write_all(&reply).unwrap();
            }
            requests
        });
        (addr, handle)
    }

    /// Step 2: the request alone, as a server reads it, whatever `urlopen`
    /// does after sending it (a step still to write there is fine).
    #[test]
    fn step_02_the_request_goes_out_whole() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        listener.set_nonblocking(true).unwrap();
        let client = thread::spawn(move || {
            let _ = urlopen(&format!("http://{addr}/a%20b?q=1#top"), &Options::default());
        });
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        let conn = loop {
            let finished = client.is_finished();
            match listener.accept() {
                Ok((conn, _)) => break conn,
                // Gone without connecting: its panic (a step still to write) says why.
                Err(_) if finished => match client.join() {
                    Err(panic) => std::panic::resume_unwind(panic),
                    Ok(()) => panic!("urlopen returned without connecting"),
                },
                Err(_) if std::time::Instant::now() > deadline => panic!("urlopen never connected"),
                Err(_) => thread::sleep(Duration::from_millis(10)),
            }
        };
        conn.set_nonblocking(false).unwrap();
        conn.set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut reader = BufReader::new(&conn);
        let mut request = String::new();
        while !request.ends_with("\r\n\r\n") {
            if reader.read_line(&mut request).unwrap() == 0 {
                break;
            }
        }
        (&conn)
            .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
            .ok();
        drop(reader);
        drop(conn);
        let _ = client.join();
        assert!(
            request.starts_with("GET /a%20b?q=1 HTTP/1.1\r\n"),
            "{request:?}"
        );
        for header in [
            format!("\r\nHost: {addr}\r\n"),
            "\r\nConnection: close\r\n".to_string(),
            "\r\nAccept-Encoding: identity\r\n".to_string(),
            "\r\nUser-Agent: ".to_string(),
        ] {
            assert!(request.contains(&header), "no {header:?} in {request:?}");
        }
        assert!(request.ends_with("\r\n\r\n"), "{request:?}");
        assert_eq!(
            request.matches('\n').count(),
            request.matches("\r\n").count()
        );
    }

    #[test]
    fn step_10_a_get_follows_a_relative_redirect() {
        let (addr, server) = serve(vec![
            b"HTTP/1.1 302 Found\r\nLocation: ../b?x=1\r\nContent-Length: 0\r\n\r\n".to_vec(),
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".to_vec(),
        ]);
        let mut response = urlopen(&format!("http://{addr}/dir/a"), &Options::default()).unwrap();
        let mut body = String::new();
        response.read_to_string(&mut body).unwrap();
        assert_eq!((response.status(), body.as_str()), (200, "ok"));
        assert_eq!(response.url.target, "/b?x=1");
        let requests = server.join().unwrap();
        assert!(
            requests[0].starts_with("GET /dir/a HTTP/1.1\r\n"),
            "{}",
            requests[0]
        );
        assert!(
            requests[1].starts_with("GET /b?x=1 HTTP/1.1\r\n"),
            "{}",
            requests[1]
        );
        assert!(
            requests[0].contains(&format!("\r\nHost: {addr}\r\n")),
            "{}",
            requests[0]
        );
        assert!(requests[0].contains("\r\nConnection: close\r\n"));
    }

    #[test]
    fn step_10_a_redirect_loop_is_an_error() {
        let (addr, _server) = serve(vec![
            b"HTTP/1.1 301 Moved\r\nLocation: /b\r\n\r\n".to_vec(),
            b"HTTP/1.1 301 Moved\r\nLocation: /a\r\n\r\n".to_vec(),
        ]);
        let err = urlopen(&format!("http://{addr}/a"), &Options::default())
            .err()
            .unwrap();
        assert!(matches!(err, FetchError::RedirectLoop(_)), "{err}");
    }

    #[test]
    fn step_05_a_silent_server_is_a_timeout() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let options = Options {
            timeout: Duration::from_millis(100),
            ..Options::default()
        };
        let err = urlopen(&format!("http://{addr}/"), &options).err().unwrap();
        assert!(matches!(err, FetchError::Timeout(_)), "{err}");
        assert_eq!(err.kind(), Some(io::ErrorKind::TimedOut));
        drop(listener);
    }

    #[test]
    fn step_05_an_error_status_is_an_error_only_when_asked() {
        let (addr, _server) = serve(vec![
            b"HTTP/1.1 404 Not Found\r\nContent-Length: 4\r\n\r\ngone".to_vec(),
        ]);
        let response = urlopen(&format!("http://{addr}/x"), &Options::default()).unwrap();
        assert_eq!(response.status(), 404);
        let err = response.error_for_status().err().unwrap();
        assert!(
            matches!(err, FetchError::Status { status: 404, .. }),
            "{err}"
        );
    }
}
