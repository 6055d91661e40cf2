//! HTTP_GET against a local test server that answers with chosen codes and bodies; the
//! request bytes and the digests are compared with keepalived's own genhash when it is
//! installed.

use checkers::http::{hex, HttpCheck, HttpProtocol, UrlCheck};
use checkers::tcp::Connection;
use checkers::Probe;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const LO: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

#[derive(Clone)]
enum Reply {
    Raw(Vec<u8>),
    /// Read the request and never answer.
    Hang,
    /// Close without a byte.
    Close,
}

fn raw(s: &str) -> Reply {
    Reply::Raw(s.as_bytes().to_vec())
}

struct Server {
    port: u16,
    requests: Arc<Mutex<Vec<String>>>,
}

/// Serves each connection with the next reply (the last one repeats).
async fn serve(replies: Vec<Reply>) -> Server {
    serve_on(LO, replies).await
}

async fn serve_on(ip: IpAddr, replies: Vec<Reply>) -> Server {
    let l = TcpListener::bind((ip, 0)).await.unwrap();
    let port = l.local_addr().unwrap().port();
    let requests = Arc::new(Mutex::new(Vec::new()));
    let reqs = requests.clone();
    tokio::spawn(async move {
        let mut n = 0;
        loop {
            let (mut s, _) = l.accept().await.unwrap();
            let reply = replies[n.min(replies.len() - 1)].clone();
            n += 1;
            let reqs = reqs.clone();
            tokio::spawn(async move {
                let mut req = Vec::new();
                let mut buf = [0u8; 1024];
                while !req.windows(4).any(|w| w == b"\r\n\r\n") {
                    match s.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(k) => req.extend_from_slice(&buf[..k]),
                    }
                }
                reqs.lock()
                    .unwrap()
                    .push(String::from_utf8_lossy(&req).into_owned());
                match reply {
                    Reply::Raw(bytes) => {
                        let _ = s.write_all(&bytes).await;
                    }
                    Reply::Hang => tokio::time::sleep(Duration::from_secs(3600)).await,
                    Reply::Close => {}
                }
            });
        }
    });
    Server { port, requests }
}

fn url(path: &str) -> UrlCheck {
    UrlCheck {
        path: path.into(),
        status_code: vec![],
        digest: None,
        virtualhost: None,
        regex: None,
    }
}

fn check(port: u16, protocol: HttpProtocol, vhost: Option<&str>, urls: Vec<UrlCheck>) -> HttpCheck {
    let conn = Connection::new(LO, port, Duration::from_secs(2));
    HttpCheck::new(conn, protocol, vhost.map(String::from), urls).unwrap()
}

const HELLO: &str = "HTTP/1.0 200 OK\r\nServer: t\r\n\r\nhello world";
const HELLO_MD5: &str = "5eb63bbbe01eeed093cb22bb8f5acdc3";

#[tokio::test]
async fn status_200_is_up_and_the_request_is_keepalived_s() {
    let srv = serve(vec![raw(HELLO)]).await;
    check(srv.port, HttpProtocol::Http10, None, vec![url("/x/y?z")])
        .probe()
        .await
        .unwrap();
    assert_eq!(
        srv.requests.lock().unwrap()[0],
        format!(
            "GET /x/y?z HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nHost: 127.0.0.1:{}\r\n\r\n",
            srv.port
        )
    );
}

#[tokio::test]
async fn protocol_and_virtualhost_shape_the_request() {
    let srv = serve(vec![raw(HELLO)]).await;
    check(
        srv.port,
        HttpProtocol::Http11,
        Some("example.org"),
        vec![url("/")],
    )
    .probe()
    .await
    .unwrap();
    let mut u = url("/a");
    u.virtualhost = Some("url.example".into());
    check(
        srv.port,
        HttpProtocol::Http10C,
        Some("example.org"),
        vec![u],
    )
    .probe()
    .await
    .unwrap();
    let reqs = srv.requests.lock().unwrap().clone();
    assert_eq!(reqs[0], "GET / HTTP/1.1\r\nUser-Agent: KeepAliveClient\r\nConnection: close\r\nHost: example.org\r\n\r\n");
    assert_eq!(reqs[1], "GET /a HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nConnection: close\r\nHost: url.example\r\n\r\n");
}

#[tokio::test]
async fn default_status_codes_are_200_to_299() {
    let srv = serve(vec![
        raw("HTTP/1.1 204 No Content\r\n\r\n"),
        raw("HTTP/1.1 301 Moved\r\n\r\n"),
    ])
    .await;
    let c = check(srv.port, HttpProtocol::Http10, None, vec![url("/")]);
    c.probe().await.unwrap();
    let err = c.probe().await.unwrap_err().to_string();
    assert!(err.contains("status 301"), "{err}");
}

#[tokio::test]
async fn status_code_ranges_are_honoured() {
    let srv = serve(vec![
        raw("HTTP/1.1 503 x\r\n\r\n"),
        raw("HTTP/1.1 404 x\r\n\r\n"),
        raw("HTTP/1.1 200 x\r\n\r\n"),
        raw("HTTP/1.1 505 x\r\n\r\n"),
    ])
    .await;
    let mut u = url("/");
    u.status_code = vec![(400, 499), (503, 503), (505, 505)];
    let c = check(srv.port, HttpProtocol::Http10, None, vec![u]);
    c.probe().await.unwrap();
    c.probe().await.unwrap();
    assert!(c.probe().await.unwrap_err().to_string().contains("status 200"));
    c.probe().await.unwrap();
}

#[tokio::test]
async fn digest_must_match_the_body() {
    let srv = serve(vec![raw(HELLO), raw("HTTP/1.0 200 OK\r\n\r\nhello worle")]).await;
    let mut u = url("/");
    u.digest = Some(HELLO_MD5.to_uppercase());
    let c = check(srv.port, HttpProtocol::Http10, None, vec![u]);
    c.probe().await.unwrap();
    let err = c.probe().await.unwrap_err().to_string();
    assert!(err.contains("digest") && err.contains(HELLO_MD5), "{err}");
}

#[tokio::test]
async fn every_url_must_pass() {
    let srv = serve(vec![raw(HELLO), raw("HTTP/1.0 500 x\r\n\r\n")]).await;
    let c = check(
        srv.port,
        HttpProtocol::Http10,
        None,
        vec![url("/one"), url("/two")],
    );
    let err = c.probe().await.unwrap_err().to_string();
    assert!(
        err.contains("GET /two") && err.contains("status 500"),
        "{err}"
    );
    let reqs = srv.requests.lock().unwrap().clone();
    assert!(
        reqs[0].starts_with("GET /one ") && reqs[1].starts_with("GET /two "),
        "{reqs:?}"
    );
}

#[tokio::test]
async fn a_server_that_never_answers_times_out() {
    let srv = serve(vec![Reply::Hang]).await;
    let conn = Connection::new(LO, srv.port, Duration::from_millis(300));
    let c = HttpCheck::new(conn, HttpProtocol::Http10, None, vec![url("/")]).unwrap();
    let err = c.probe().await.unwrap_err().to_string();
    assert!(err.contains("timed out"), "{err}");
}

#[tokio::test]
async fn empty_and_broken_answers_are_failures() {
    let srv = serve(vec![
        Reply::Close,
        raw("HTTP/1.0 200 OK\r\nServer: t\r\n"),
        raw("HTTP/1.0 200 OK\nServer: t\n\nbody"),
        raw("garbage\r\n\r\n"),
    ])
    .await;
    let c = check(srv.port, HttpProtocol::Http10, None, vec![url("/")]);
    assert!(c.probe().await.unwrap_err().to_string().contains("no data received"));
    assert!(c
        .probe()
        .await
        .unwrap_err().to_string()
        .contains("before the end of the header"));
    assert!(c
        .probe()
        .await
        .unwrap_err().to_string()
        .contains("before the end of the header"));
    assert!(c.probe().await.unwrap_err().to_string().contains("bad status line"));
}

#[tokio::test]
async fn a_refused_connection_is_a_failure() {
    let port = TcpListener::bind((LO, 0))
        .await
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let err = check(port, HttpProtocol::Http10, None, vec![url("/")])
        .probe()
        .await
        .unwrap_err().to_string();
    assert!(err.contains("refused"), "{err}");
}

#[test]
fn bad_configurations_are_errors() {
    let conn = Connection::new(LO, 80, Duration::from_secs(1));
    let new = |urls, vhost: Option<&str>| {
        HttpCheck::new(
            conn.clone(),
            HttpProtocol::Http10,
            vhost.map(String::from),
            urls,
        )
    };
    assert!(new(vec![], None).unwrap_err().to_string().contains("at least one url"));
    assert!(new(vec![url("/a b")], None).unwrap_err().to_string().contains("path"));
    assert!(new(vec![url("/")], Some("a\r\nX: y"))
        .unwrap_err().to_string()
        .contains("virtualhost"));
    let mut u = url("/");
    u.digest = Some("abc".into());
    assert!(new(vec![u], None).unwrap_err().to_string().contains("32 hex"));
    let mut u = url("/");
    u.status_code = vec![(300, 200)];
    assert!(new(vec![u], None).unwrap_err().to_string().contains("empty"));
}

/// The body hashing rules, each compared with the digest keepalived's genhash prints for the
/// same response (when genhash is installed).
#[tokio::test]
async fn digests_match_genhash() {
    let cases: &[(&str, &str)] = &[
        ("plain", HELLO),
        ("chunked, hashed as sent", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"),
        ("Content-Length cuts the body", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello world"),
        ("Content-Length 0", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\nhello world"),
        ("Content-Length longer than the body", "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nhello world"),
        ("lower-case content-length is ignored", "HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello world"),
        ("empty body", "HTTP/1.0 404 Not Found\r\n\r\n"),
    ];
    let genhash = std::path::Path::new("/usr/bin/genhash").exists();
    if !genhash {
        eprintln!("SKIP: digests_match_genhash: /usr/bin/genhash (Debian's keepalived) not installed; checking our own digests only");
    }
    for (what, response) in cases {
        let srv = serve(vec![raw(response)]).await;
        let c = check(srv.port, HttpProtocol::Http11, None, vec![url("/")]);
        let ours = hex(&c.fetch(0).await.unwrap().digest);
        if genhash {
            let port = srv.port.to_string();
            let out = tokio::process::Command::new("/usr/bin/genhash")
                .args(["-s", "127.0.0.1", "-p", &port, "-u", "/", "-P", "1.1"])
                .output()
                .await
                .unwrap();
            let text = String::from_utf8_lossy(&out.stdout).into_owned()
                + &String::from_utf8_lossy(&out.stderr);
            let theirs = text.split_whitespace().last().unwrap_or("").to_string();
            assert_eq!(ours, theirs, "{what}: genhash said {text:?}");
            // genhash sent the same request as we did.
            let reqs = srv.requests.lock().unwrap().clone();
            assert_eq!(reqs[0], reqs[1], "{what}");
        }
    }
    // Independently of genhash: the plain case is the MD5 of "hello world".
    let srv = serve(vec![raw(HELLO)]).await;
    let c = check(srv.port, HttpProtocol::Http10, None, vec![url("/")]);
    assert_eq!(hex(&c.fetch(0).await.unwrap().digest), HELLO_MD5);
}

#[tokio::test]
async fn a_large_body_is_streamed() {
    let body = "x".repeat(3 * 1024 * 1024);
    let srv = serve(vec![Reply::Raw(
        format!("HTTP/1.0 200 OK\r\n\r\n{body}").into_bytes(),
    )])
    .await;
    let c = check(srv.port, HttpProtocol::Http10, None, vec![url("/")]);
    let got = c.fetch(0).await.unwrap();
    assert_eq!(got.body_len, body.len() as u64);
}

#[tokio::test]
async fn regex_matches_the_body() {
    use checkers::body_regex::RegexSpec;
    let srv = serve(vec![
        raw("HTTP/1.0 200 OK\r\n\r\n<p>Status: OK</p>"),
        raw("HTTP/1.0 200 OK\r\n\r\n<p>Status: DEGRADED</p>"),
    ])
    .await;
    let spec = RegexSpec {
        pattern: "status: ok".into(),
        options: vec!["caseless".into()],
        ..RegexSpec::default()
    };
    let mut u = url("/");
    u.regex = Some(spec);
    let c = check(srv.port, HttpProtocol::Http10, None, vec![u]);
    c.probe().await.unwrap();
    let err = c.probe().await.unwrap_err().to_string();
    assert!(err.contains("not found"), "{err}");
    // regex_no_match inverts it.
    let spec = RegexSpec {
        pattern: "DEGRADED".into(),
        no_match: true,
        ..RegexSpec::default()
    };
    let mut u = url("/");
    u.regex = Some(spec);
    let c = check(srv.port, HttpProtocol::Http10, None, vec![u]);
    assert!(c.probe().await.unwrap_err().to_string().contains("found at offset"));
}

/// Over IPv6 without a virtualhost the Host header is `[ADDR]:PORT`, as genhash sends it.
#[tokio::test]
async fn ipv6_host_header_matches_genhash() {
    let v6: IpAddr = "::1".parse().unwrap();
    if std::net::TcpListener::bind((v6, 0)).is_err() {
        return eprintln!("SKIP: ipv6_host_header_matches_genhash: no IPv6 loopback");
    }
    let srv = serve_on(v6, vec![raw(HELLO)]).await;
    let conn = Connection::new(v6, srv.port, Duration::from_secs(2));
    HttpCheck::new(conn, HttpProtocol::Http10, None, vec![url("/")])
        .unwrap()
        .probe()
        .await
        .unwrap();
    let ours = srv.requests.lock().unwrap()[0].clone();
    assert_eq!(
        ours,
        format!(
            "GET / HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nHost: [::1]:{}\r\n\r\n",
            srv.port
        )
    );
    if !std::path::Path::new("/usr/bin/genhash").exists() {
        return eprintln!("SKIP: ipv6_host_header_matches_genhash: genhash not installed, compared with the expected text only");
    }
    let out = tokio::process::Command::new("/usr/bin/genhash")
        .args(["-s", "::1", "-p", &srv.port.to_string(), "-u", "/"])
        .output()
        .await
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(srv.requests.lock().unwrap()[1], ours);
}
