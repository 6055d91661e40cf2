//! HTTP_GET and SSL_GET (TLS from [`crate::ssl`]): a tiny HTTP/1.x client on tokio. Each url is fetched in turn (a new connection
//! each, as keepalived does); the check succeeds when every url answers with an accepted status
//! code and, when a digest is given, a body whose MD5 matches.
//!
//! What is sent and hashed follows keepalived's genhash, checked against it in the tests:
//! - the request is `GET PATH HTTP/1.0|1.1`, `User-Agent: KeepAliveClient`, `Connection: close`
//!   for 1.0C and 1.1, and `Host:` the virtualhost, else `IP:PORT`;
//! - the header ends at the first CRLF CRLF; the body is every byte after it until the server
//!   closes, or until `Content-Length:` bytes (matched case-sensitively, as keepalived does);
//!   a chunked body is hashed as it is sent, chunk sizes included.
//!
//! connect_timeout bounds the connect and each write and read (a server that keeps sending
//! slowly is not cut off), as keepalived's does.

use crate::body_regex::{BodyRegex, RegexSpec, MAX_BODY};
use crate::engine::{Failure, Probe, ProbeFuture, Success};
use crate::ssl::Tls;
use crate::tcp::Connection;
use md5::{Digest, Md5};
use std::net::IpAddr;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// `http_protocol`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum HttpProtocol {
    #[default]
    Http10,
    /// 1.0 with `Connection: close`.
    Http10C,
    Http11,
}

/// One `url { }` block.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UrlCheck {
    pub path: String,
    /// Accepted codes as inclusive ranges; empty means 200-299.
    pub status_code: Vec<(u16, u16)>,
    /// Expected MD5 of the body, 32 hex digits (either case).
    pub digest: Option<String>,
    /// The url's own virtualhost, else the checker's.
    pub virtualhost: Option<String>,
    pub regex: Option<RegexSpec>,
}

/// HTTP_GET, or SSL_GET with TLS.
#[derive(Clone, Debug)]
pub struct HttpCheck {
    conn: Connection,
    protocol: HttpProtocol,
    virtualhost: Option<String>,
    urls: Vec<ParsedUrl>,
    tls: Option<Tls>,
}

#[derive(Clone, Debug)]
struct ParsedUrl {
    path: String,
    status_code: Vec<(u16, u16)>,
    digest: Option<[u8; 16]>,
    virtualhost: Option<String>,
    regex: Option<BodyRegex>,
}

/// What one fetch returned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fetched {
    pub status: u16,
    /// MD5 of the body as genhash computes it.
    pub digest: [u8; 16],
    pub body_len: u64,
    /// The body's first bytes (up to the regex limit), when a regex needs them.
    pub body: Option<Vec<u8>>,
}

const MAX_HEADER: usize = 64 * 1024;

fn parse_digest(s: &str) -> Result<[u8; 16], String> {
    let bad = || format!("digest {s:?} is not 32 hex digits");
    if s.len() != 32 || !s.is_ascii() {
        return Err(bad());
    }
    let mut out = [0u8; 16];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte =
            u8::from_str_radix(s.get(2 * i..2 * i + 2).ok_or_else(bad)?, 16).map_err(|_| bad())?;
    }
    Ok(out)
}

pub fn hex(digest: &[u8; 16]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

fn check_token(what: &str, s: &str) -> Result<(), String> {
    if s.is_empty()
        || s.bytes()
            .any(|b| b.is_ascii_whitespace() || b.is_ascii_control())
    {
        return Err(format!(
            "{what} {s:?} must be non-empty, without blanks or control characters"
        ));
    }
    Ok(())
}

impl HttpCheck {
    pub fn new(
        conn: Connection,
        protocol: HttpProtocol,
        virtualhost: Option<String>,
        urls: Vec<UrlCheck>,
    ) -> Result<HttpCheck, String> {
        conn.validate()?;
        if urls.is_empty() {
            return Err("HTTP_GET needs at least one url".into());
        }
        if let Some(v) = &virtualhost {
            check_token("virtualhost", v)?;
        }
        let urls = urls
            .into_iter()
            .map(|u| {
                check_token("path", &u.path)?;
                if let Some(v) = &u.virtualhost {
                    check_token("virtualhost", v)?;
                }
                if let Some((a, b)) = u.status_code.iter().find(|(a, b)| a > b) {
                    return Err(format!("status_code range {a}-{b} is empty"));
                }
                let digest = u.digest.as_deref().map(parse_digest).transpose()?;
                let status_code = if u.status_code.is_empty() {
                    vec![(200, 299)]
                } else {
                    u.status_code
                };
                let regex = u.regex.map(BodyRegex::new).transpose()?;
                Ok(ParsedUrl {
                    path: u.path,
                    status_code,
                    digest,
                    virtualhost: u.virtualhost,
                    regex,
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        Ok(HttpCheck {
            conn,
            protocol,
            virtualhost,
            urls,
            tls: None,
        })
    }

    /// The same checks over TLS (SSL_GET).
    pub fn with_tls(mut self, tls: Tls) -> HttpCheck {
        self.tls = Some(tls);
        self
    }

    pub fn virtualhost(&self) -> Option<&str> {
        self.virtualhost.as_deref()
    }

    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// SSL_GET: the same checks over TLS.
    pub fn new_ssl(
        conn: Connection,
        protocol: HttpProtocol,
        virtualhost: Option<String>,
        urls: Vec<UrlCheck>,
        tls: Tls,
    ) -> Result<HttpCheck, String> {
        let mut check = HttpCheck::new(conn, protocol, virtualhost, urls)?;
        check.tls = Some(tls);
        Ok(check)
    }

    fn request(&self, url: &ParsedUrl) -> String {
        let host = match url.virtualhost.as_ref().or(self.virtualhost.as_ref()) {
            Some(v) => v.clone(),
            None => default_host(self.conn.connect_ip, self.conn.connect_port),
        };
        get_request(&url.path, self.protocol, &host)
    }

    /// Fetches url number `i`: its status code and body digest.
    pub async fn fetch(&self, i: usize) -> Result<Fetched, Failure> {
        let url = self.urls.get(i).ok_or_else(|| format!("no url {i}"))?;
        let mut stream = self.conn.connect().await?;
        let request = self.request(url);
        let timeout = self.conn.connect_timeout;
        let keep_body = url.regex.is_some();
        let Some(tls) = &self.tls else {
            return Ok(exchange(&mut stream, request.as_bytes(), timeout, keep_body).await?);
        };
        let handshake = tls.handshake(stream);
        let mut stream = tokio::time::timeout(timeout, handshake)
            .await
            .map_err(|_| format!("TLS handshake timed out after {timeout:?}"))?
            .map_err(|e| format!("TLS handshake: {e}"))?;
        let fetched = exchange(&mut stream, request.as_bytes(), timeout, keep_body).await?;
        if tls.close_notify() {
            let _ = tokio::time::timeout(timeout, stream.shutdown()).await;
        }
        Ok(fetched)
    }

    async fn check_url(&self, i: usize, url: &ParsedUrl) -> Result<(), Failure> {
        let target = self.conn.target();
        let got = self
            .fetch(i)
            .await
            .map_err(|e| e.context(format_args!("GET {} from {target}", url.path)))?;
        if !url
            .status_code
            .iter()
            .any(|&(a, b)| (a..=b).contains(&got.status))
        {
            return Err(format!(
                "GET {} from {target}: status {}",
                url.path, got.status
            )
            .into());
        }
        if let Some(want) = url.digest {
            if want != got.digest {
                return Err(format!(
                    "GET {} from {target}: digest {} expected {}",
                    url.path,
                    hex(&got.digest),
                    hex(&want)
                )
                .into());
            }
        }
        if let Some(re) = &url.regex {
            re.check(got.body.as_deref().unwrap_or_default())
                .map_err(|e| format!("GET {} from {target}: {e}", url.path))?;
        }
        Ok(())
    }
}

impl Probe for HttpCheck {
    fn probe(&self) -> ProbeFuture<'_> {
        Box::pin(async move {
            for (i, url) in self.urls.iter().enumerate() {
                self.check_url(i, url).await?;
            }
            Ok(Success::default())
        })
    }
}

fn find_header_end(buf: &[u8]) -> Option<usize> {
    buf.windows(4).position(|w| w == b"\r\n\r\n")
}

/// The status code of an `HTTP/x.y NNN ...` status line.
fn parse_status(head: &[u8]) -> Result<u16, String> {
    let line_end = head.iter().position(|&b| b == b'\r').unwrap_or(head.len());
    let line = String::from_utf8_lossy(&head[..line_end]);
    let mut words = line.split_ascii_whitespace();
    let bad = || format!("bad status line {line:?}");
    let version = words.next().ok_or_else(bad)?;
    if !version.starts_with("HTTP/") {
        return Err(bad());
    }
    let code = words.next().ok_or_else(bad)?;
    if code.len() != 3 {
        return Err(bad());
    }
    code.parse().map_err(|_| bad())
}

/// `Content-Length:` as keepalived finds it: the header name as written, in that case.
fn content_length(head: &[u8]) -> Option<u64> {
    const NAME: &[u8] = b"Content-Length:";
    head.split(|&b| b == b'\n').find_map(|line| {
        let rest = line.strip_prefix(NAME)?;
        let text = std::str::from_utf8(rest).ok()?.trim();
        text.parse().ok()
    })
}

/// One step of reading a response, for a caller that shows it as it arrives (genhash's verbose
/// mode): each read that ends before the header is complete, then the whole header (with its
/// blank line), then each piece of the body as it was read (what the digest covers).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResponseEvent<'a> {
    HeaderRead,
    Header(&'a [u8]),
    Body(&'a [u8]),
    /// A TLS server closed the connection without a close_notify alert (taken as the end of
    /// the response all the same; genhash reports the two endings differently).
    ClosedWithoutNotify,
}

/// Why no response could be read; genhash words each case its own way.
#[derive(Debug)]
pub enum ResponseError {
    SendTimeout(Duration),
    Send(std::io::Error),
    ReceiveTimeout(Duration),
    Receive(std::io::Error),
    /// The server closed without sending anything.
    NoData,
    /// The server closed before the end of the header.
    HeaderCut,
    HeaderTooLong,
    /// The status line is not `HTTP/x.y NNN ...` (only when the status is required).
    BadStatus(String),
}

impl std::fmt::Display for ResponseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ResponseError::SendTimeout(t) | ResponseError::ReceiveTimeout(t) => {
                write!(f, "timed out after {t:?}")
            }
            ResponseError::Send(e) => write!(f, "send: {e}"),
            ResponseError::Receive(e) => write!(f, "receive: {e}"),
            ResponseError::NoData => f.write_str("no data received"),
            ResponseError::HeaderCut => {
                f.write_str("connection closed before the end of the header")
            }
            ResponseError::HeaderTooLong => {
                write!(f, "no end of header in the first {MAX_HEADER} bytes")
            }
            ResponseError::BadStatus(e) => f.write_str(e),
        }
    }
}

/// A response read to its end.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    /// The status code, or why the status line is not HTTP's (genhash hashes such a response
    /// all the same).
    pub status: Result<u16, String>,
    /// MD5 of the body as genhash computes it.
    pub digest: [u8; 16],
    pub body_len: u64,
}

/// How [`read_response`] reads.
#[derive(Clone, Copy, Debug)]
pub struct ReadOptions {
    /// Bounds the send and each read.
    pub io_timeout: Duration,
    /// The largest read.
    pub read_size: usize,
    /// A status line that is not HTTP's ends the read with [`ResponseError::BadStatus`] as
    /// soon as the header is in.
    pub require_status: bool,
    /// Stop reading once `Content-Length:` bytes of body are in; else read until the server
    /// closes (the digest covers the `Content-Length:` bytes either way).
    pub stop_at_content_length: bool,
}

/// Sends the request and reads the response, telling `on` each step.
pub async fn read_response<S, F>(
    stream: &mut S,
    request: &[u8],
    opts: ReadOptions,
    mut on: F,
) -> Result<Response, ResponseError>
where
    S: AsyncRead + AsyncWrite + Unpin,
    F: FnMut(ResponseEvent<'_>),
{
    let ReadOptions {
        io_timeout,
        read_size,
        require_status,
        stop_at_content_length,
    } = opts;
    tokio::time::timeout(io_timeout, stream.write_all(request))
        .await
        .map_err(|_| ResponseError::SendTimeout(io_timeout))?
        .map_err(ResponseError::Send)?;
    let mut head = Vec::new();
    let mut buf = vec![0u8; read_size.max(1)];
    let mut md5 = Md5::new();
    let mut body: Option<(Result<u16, String>, Option<u64>)> = None;
    let mut body_len = 0u64;
    let mut take_body = |data: &[u8], limit: Option<u64>, body_len: &mut u64, on: &mut F| {
        let take = take_len(data.len(), *body_len, limit);
        md5.update(&data[..take]);
        *body_len += take as u64;
        if take > 0 {
            on(ResponseEvent::Body(&data[..take]));
        }
    };
    loop {
        if let Some((_, Some(limit))) = body {
            if stop_at_content_length && body_len >= limit {
                break;
            }
        }
        let n = match tokio::time::timeout(io_timeout, stream.read(&mut buf))
            .await
            .map_err(|_| ResponseError::ReceiveTimeout(io_timeout))?
        {
            Ok(n) => n,
            // A TLS server that closes without close_notify: the end of the response, as
            // keepalived takes it.
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                on(ResponseEvent::ClosedWithoutNotify);
                0
            }
            Err(e) => return Err(ResponseError::Receive(e)),
        };
        if n == 0 {
            break;
        }
        let data = &buf[..n];
        if let Some((_, limit)) = &body {
            take_body(data, *limit, &mut body_len, &mut on);
            continue;
        }
        on(ResponseEvent::HeaderRead);
        head.extend_from_slice(data);
        let Some(end) = find_header_end(&head) else {
            if head.len() > MAX_HEADER {
                return Err(ResponseError::HeaderTooLong);
            }
            continue;
        };
        let status = parse_status(&head[..end]);
        if require_status {
            if let Err(e) = &status {
                return Err(ResponseError::BadStatus(e.clone()));
            }
        }
        let limit = content_length(&head[..end]);
        let rest = head.split_off(end + 4);
        on(ResponseEvent::Header(&head));
        take_body(&rest, limit, &mut body_len, &mut on);
        body = Some((status, limit));
    }
    match body {
        Some((status, _)) => Ok(Response {
            status,
            digest: md5.finalize().into(),
            body_len,
        }),
        None if head.is_empty() => Err(ResponseError::NoData),
        None => Err(ResponseError::HeaderCut),
    }
}

/// The `Host:` keepalived (and genhash) send without a virtualhost: `ADDR:PORT`, `[ADDR]:PORT`
/// for IPv6.
pub fn default_host(ip: IpAddr, port: u16) -> String {
    match ip {
        IpAddr::V4(a) => format!("{a}:{port}"),
        IpAddr::V6(a) => format!("[{a}]:{port}"),
    }
}

/// The request keepalived (and genhash) send, byte for byte.
pub fn get_request(path: &str, protocol: HttpProtocol, host: &str) -> String {
    let version = match protocol {
        HttpProtocol::Http10 | HttpProtocol::Http10C => "1.0",
        HttpProtocol::Http11 => "1.1",
    };
    let close = if protocol == HttpProtocol::Http10 {
        ""
    } else {
        "Connection: close\r\n"
    };
    format!(
        "GET {path} HTTP/{version}\r\nUser-Agent: KeepAliveClient\r\n{close}Host: {host}\r\n\r\n"
    )
}

/// Sends the request and reads the response (status and body digest) for a checker.
pub async fn exchange<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    request: &[u8],
    io_timeout: Duration,
    keep_body: bool,
) -> Result<Fetched, String> {
    let mut kept: Option<Vec<u8>> = keep_body.then(Vec::new);
    let mut keep = |event: ResponseEvent<'_>| {
        if let (Some(k), ResponseEvent::Body(data)) = (kept.as_mut(), event) {
            let room = MAX_BODY.saturating_sub(k.len());
            k.extend_from_slice(&data[..data.len().min(room)]);
        }
    };
    let opts = ReadOptions {
        io_timeout,
        read_size: 16 * 1024,
        require_status: true,
        stop_at_content_length: true,
    };
    let r = read_response(stream, request, opts, &mut keep)
        .await
        .map_err(|e| e.to_string())?;
    Ok(Fetched {
        status: r.status?,
        digest: r.digest,
        body_len: r.body_len,
        body: kept,
    })
}

fn take_len(available: usize, have: u64, limit: Option<u64>) -> usize {
    match limit {
        Some(l) => usize::try_from(l.saturating_sub(have))
            .unwrap_or(usize::MAX)
            .min(available),
        None => available,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_parse_in_either_case_and_reject_junk() {
        assert_eq!(
            hex(&parse_digest("5EB63BBBE01EEED093CB22BB8F5ACDC3").unwrap()),
            "5eb63bbbe01eeed093cb22bb8f5acdc3"
        );
        assert!(parse_digest("5eb63bbbe01eeed093cb22bb8f5acdc").is_err());
        assert!(parse_digest("5eb63bbbe01eeed093cb22bb8f5acdcg").is_err());
        assert!(parse_digest("ééééééééééééééé").is_err());
    }

    #[test]
    fn status_lines() {
        assert_eq!(parse_status(b"HTTP/1.1 503 Service Unavailable"), Ok(503));
        assert_eq!(parse_status(b"HTTP/1.0 200"), Ok(200));
        assert!(parse_status(b"HTTP/1.0 2000 OK").is_err());
        assert!(parse_status(b"SSH-2.0-OpenSSH").is_err());
        assert!(parse_status(b"").is_err());
    }

    /// Reads the response `server` sends (all at once, then closing) in reads of `size`.
    async fn events(
        server: &'static [u8],
        size: usize,
        require_status: bool,
    ) -> (Vec<String>, Result<Response, String>) {
        let (mut ours, mut theirs) = tokio::io::duplex(1024);
        theirs.write_all(server).await.unwrap();
        drop(theirs);
        let mut seen = Vec::new();
        let opts = ReadOptions {
            io_timeout: Duration::from_secs(5),
            read_size: size,
            require_status,
            stop_at_content_length: true,
        };
        let r = read_response(&mut ours, b"", opts, |e| {
            seen.push(match e {
                ResponseEvent::HeaderRead => "read".to_string(),
                ResponseEvent::Header(h) => format!("header {}", String::from_utf8_lossy(h)),
                ResponseEvent::Body(b) => format!("body {}", String::from_utf8_lossy(b)),
                ResponseEvent::ClosedWithoutNotify => "unclean".to_string(),
            })
        })
        .await
        .map_err(|e| e.to_string());
        (seen, r)
    }

    #[tokio::test]
    async fn a_response_is_told_step_by_step() {
        let (seen, r) = events(b"HTTP/1.0 200 OK\r\n\r\nhello world", 8, true).await;
        assert_eq!(
            seen,
            [
                "read",
                "read",
                "read",
                "header HTTP/1.0 200 OK\r\n\r\n",
                "body hello",
                "body  world"
            ]
        );
        let r = r.unwrap();
        assert_eq!((r.status, r.body_len), (Ok(200), 11));
        assert_eq!(hex(&r.digest), "5eb63bbbe01eeed093cb22bb8f5acdc3");
        // genhash hashes a response whose status line is not HTTP's; a checker refuses it.
        let (_, r) = events(b"SSH-2.0-x\r\n\r\nxx", 64, false).await;
        let r = r.unwrap();
        assert!(r.status.is_err());
        assert_eq!(r.body_len, 2);
        let (seen, r) = events(b"SSH-2.0-x\r\n\r\nxx", 64, true).await;
        assert_eq!(r.unwrap_err(), "bad status line \"SSH-2.0-x\"");
        assert_eq!(seen, ["read"]);
        assert_eq!(
            events(b"", 64, true).await.1.unwrap_err(),
            "no data received"
        );
        assert_eq!(
            events(b"HTTP/1.0 200 OK\r\n", 64, true)
                .await
                .1
                .unwrap_err(),
            "connection closed before the end of the header"
        );
    }

    #[test]
    fn content_length_is_case_sensitive_like_keepalived() {
        assert_eq!(
            content_length(b"HTTP/1.0 200 OK\r\nContent-Length: 12\r\n"),
            Some(12)
        );
        assert_eq!(
            content_length(b"HTTP/1.0 200 OK\r\ncontent-length: 12\r\n"),
            None
        );
    }
}
