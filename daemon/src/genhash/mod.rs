//! keepalived's genhash: `keepalived-rs -T OPTIONS` (or `--genhash`, or the binary run under the
//! name `genhash`) fetches a page and prints the MD5 digest HTTP_GET and SSL_GET compare with
//! `digest`, computed by the checkers' own code, so what it prints is what the checker sees.
//!
//! Output and exit codes follow Debian's genhash 2.2.7 as measured: the digest on stdout and
//! exit 0; "Connection failed", "Timeout connecting", "Timeout WEB read" (SSL: "Timeout SSL
//! read") and "Read error with" on stdout, also exit 0; "no data received from remote
//! webserver" on stderr, exit 0 (over TLS ended with close_notify: "SSL read error from" on
//! stdout); a bad command line: the reason and the usage on stderr, exit 1. With `-v`, the
//! header and body read by read, in hex and text, then the digest's section (left out over TLS
//! ended without close_notify) and the time taken: genhash's layout, line for line.
//! Without `-t` there is no time limit (genhash waits as long as the server keeps the
//! connection open). The status code is not looked at.

mod args;
mod verbose;

use checkers::http::{
    default_host, get_request, hex, read_response, ReadOptions, ResponseError, ResponseEvent,
};
use checkers::ssl::{SslContext, Tls, TlsOptions};
use checkers::tcp::Connection;
use md5::{Digest, Md5};
use std::ffi::OsString;
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite};

pub use args::Request;

/// "No time limit": longer than any server keeps a connection.
const NO_TIMEOUT: Duration = Duration::from_secs(30 * 24 * 3600);
/// genhash reads (and, with -v, dumps) the response in pieces of at most this many bytes (a
/// 4 KiB buffer, less the byte that ends a C string).
const READ_SIZE: usize = 4095;

/// genhash's own command line, when this run is one: everything after `-T`/`--genhash`, or the
/// whole command line when the program is called `genhash`. keepalived ignores the options
/// before `-T`, with a warning; so do we.
pub fn command_line(argv: &[OsString]) -> Option<Vec<OsString>> {
    let called_genhash = argv
        .first()
        .and_then(|a| Path::new(a).file_name())
        .is_some_and(|n| n == "genhash");
    if called_genhash {
        return Some(argv[1..].to_vec());
    }
    let at = argv
        .iter()
        .skip(1)
        .position(|a| a == "-T" || a == "--genhash")?
        + 1;
    if at > 1 {
        eprintln!("Warning -- `-T` not used as first option, previous options ignored");
    }
    Some(argv[at + 1..].to_vec())
}

/// Runs genhash with its command line; returns its exit code.
pub fn run(args: &[OsString]) -> ExitCode {
    let req = match args::parse(args) {
        Ok(r) => r,
        Err(args::Refused(reason)) => {
            if let Some(r) = reason {
                eprintln!("{r}");
            }
            eprint!("{}", args::USAGE);
            return ExitCode::from(1);
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("keepalived-rs: cannot start: {e}");
            return ExitCode::from(1);
        }
    };
    let printed = runtime.block_on(fetch(&req));
    let _ = std::io::stdout().write_all(&printed.stdout);
    let _ = std::io::stderr().write_all(printed.stderr.as_bytes());
    ExitCode::SUCCESS
}

/// What genhash prints for one request.
#[derive(Debug, Default)]
pub struct Printed {
    pub stdout: Vec<u8>,
    pub stderr: String,
}

/// Fetches the page and says what genhash would say about it.
pub async fn fetch(req: &Request) -> Printed {
    let start = Instant::now();
    let limit = req.timeout.unwrap_or(NO_TIMEOUT);
    let mut p = Printed::default();
    let mut conn = Connection::new(req.server, req.port, NO_TIMEOUT);
    conn.source_mut().fwmark = req.fwmark;
    let stream = match tokio::time::timeout(limit, conn.connect()).await {
        Err(_) => return failure(req, start, "Timeout connecting"),
        Ok(Err(_)) => return failure(req, start, "Connection failed"),
        Ok(Ok(s)) => s,
    };
    if !req.ssl {
        exchange(req, start, stream, &mut p).await;
        return p;
    }
    let tls = SslContext::default().client_config().and_then(|config| {
        let options = TlsOptions {
            enable_sni: req.sni,
            sni_name: None,
            tls_compliant: false,
        };
        Tls::new(config, &options, req.virtualhost.as_deref(), req.server)
    });
    let Ok(tls) = tls else {
        return failure(req, start, "Connection failed");
    };
    match tokio::time::timeout(limit, tls.handshake(stream)).await {
        Err(_) => failure(req, start, "Timeout connecting"),
        Ok(Err(_)) => failure(req, start, "Connection failed"),
        Ok(Ok(s)) => {
            exchange(req, start, s, &mut p).await;
            p
        }
    }
}

/// A line on stdout (and with -v the time taken): how genhash reports a failed connection.
fn failure(req: &Request, start: Instant, message: &str) -> Printed {
    let mut p = Printed::default();
    p.stdout.extend_from_slice(message.as_bytes());
    p.stdout.push(b'\n');
    if req.verbose {
        p.stdout.push(b'\n');
        p.stdout.extend_from_slice(
            verbose::response_time(&req.url, start.elapsed().as_micros()).as_bytes(),
        );
    }
    p
}

/// Sends the request and reads the response, printing it as it comes with -v.
async fn exchange<S: AsyncRead + AsyncWrite + Unpin>(
    req: &Request,
    start: Instant,
    mut stream: S,
    p: &mut Printed,
) {
    let host = req
        .virtualhost
        .clone()
        .unwrap_or_else(|| default_host(req.server, req.port));
    let request = get_request(&req.url, req.protocol, &host);
    let limit = req.timeout.unwrap_or(NO_TIMEOUT);
    let mut shown = Vec::new();
    let mut in_body = false;
    let mut unclean = false;
    let show = |event: ResponseEvent<'_>| {
        if event == ResponseEvent::ClosedWithoutNotify {
            unclean = true;
        }
        if !req.verbose {
            return;
        }
        match event {
            ResponseEvent::HeaderRead => shown.extend_from_slice(verbose::HEADER.as_bytes()),
            ResponseEvent::Header(h) => {
                shown.extend_from_slice(verbose::dump(h).as_bytes());
                shown.extend_from_slice(verbose::HEADER_TEXT.as_bytes());
                shown.extend_from_slice(h);
                shown.push(b'\n');
            }
            ResponseEvent::Body(b) => {
                if !in_body {
                    shown.extend_from_slice(verbose::BODY.as_bytes());
                    in_body = true;
                }
                shown.extend_from_slice(verbose::dump(b).as_bytes());
            }
            ResponseEvent::ClosedWithoutNotify => {}
        }
    };
    // genhash hashes a response whatever its status line, and reads to the end even past
    // Content-Length (which still bounds the digest).
    let opts = ReadOptions {
        io_timeout: limit,
        read_size: READ_SIZE,
        require_status: false,
        stop_at_content_length: false,
    };
    let result = read_response(&mut stream, request.as_bytes(), opts, show).await;
    p.stdout.append(&mut shown);
    let channel = if req.ssl { "SSL" } else { "WEB" };
    let ending = match result {
        Ok(r) => Ending::Digest(r.digest),
        Err(ResponseError::ReceiveTimeout(_)) => {
            return append(p, failure(req, start, &format!("Timeout {channel} read")))
        }
        Err(ResponseError::SendTimeout(_)) => {
            return append(p, failure(req, start, &format!("Timeout {channel} write")))
        }
        Err(ResponseError::Receive(_)) => return append(p, failure(req, start, "Read error with")),
        Err(ResponseError::Send(_)) => return append(p, failure(req, start, "Write error with")),
        // No complete header. genhash says so in a way of its own over TLS ended cleanly.
        Err(_) if req.ssl && !unclean => Ending::Said("SSL read error from"),
        Err(_) => {
            p.stderr
                .push_str("no data received from remote webserver\n");
            Ending::Nothing
        }
    };
    let line = match ending {
        Ending::Digest(d) => Some(hex(&d)),
        Ending::Said(s) => Some(s.to_string()),
        Ending::Nothing => None,
    };
    if !req.verbose {
        if let Some(l) = line {
            p.stdout.extend_from_slice(format!("{l}\n").as_bytes());
        }
        return;
    }
    // genhash's layouts: the hash sections, except over TLS ended without close_notify, where
    // only the digest is printed, or nothing but the time when there was no header.
    let mut tail = String::new();
    if req.ssl && unclean {
        if let Some(l) = line {
            tail.push_str(&l);
            tail.push('\n');
        }
    } else {
        let hashed: [u8; 16] = match ending {
            Ending::Digest(d) => d,
            _ => Md5::digest(b"").into(),
        };
        tail.push('\n');
        tail.push_str(verbose::HASH);
        tail.push_str(&verbose::dump(&hashed));
        tail.push_str(verbose::HASH_FINAL);
        if let Some(l) = line {
            tail.push_str(&l);
            tail.push('\n');
        }
    }
    tail.push('\n');
    tail.push_str(&verbose::response_time(
        &req.url,
        start.elapsed().as_micros(),
    ));
    p.stdout.extend_from_slice(tail.as_bytes());
}

/// How a response that was read to its end is reported.
#[derive(Clone, Copy)]
enum Ending {
    Digest([u8; 16]),
    /// A line in place of the digest.
    Said(&'static str),
    /// Nothing on stdout (the reason went to stderr).
    Nothing,
}

fn append(p: &mut Printed, more: Printed) {
    p.stdout.extend_from_slice(&more.stdout);
    p.stderr.push_str(&more.stderr);
}
