//! `keepalived-rs -T` (genhash mode) against Debian's genhash: both fetch from the same local
//! HTTP and HTTPS servers on loopback (certificates made by rcgen), and what they print (stdout
//! whole, the response time masked; stderr; the exit code) must be the same, for pages, a
//! server that is down, one that resets, one that says nothing, and bad command lines (the
//! first line of the message, the code). Where genhash is not installed: one `SKIP:` line, and
//! our digests are checked against MD5s computed here.

use md5::{Digest, Md5};
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

const GENHASH: &str = "/usr/bin/genhash";
const KEEPALIVED: &str = "/usr/sbin/keepalived";

fn big_body() -> Vec<u8> {
    (0..=255u8).cycle().take(100 * 1024).collect()
}

/// The response for a path: what the server writes, in pieces written apart (200 ms between).
fn response(path: &str) -> Vec<Vec<u8>> {
    let one = |s: &str| vec![s.as_bytes().to_vec()];
    match path {
        "/small" => one("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"),
        "/longer" => one("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello, and more"),
        "/split" => vec![
            b"HTTP/1.0 200 OK\r\nX-A: 1\r\n".to_vec(),
            b"X-B: 2\r\n\r\nbo".to_vec(),
            b"dy".to_vec(),
        ],
        "/chunked" => {
            one("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n")
        }
        "/nohdr" => one("HTTP/1.0 200 OK\r\nX: y\r\n"),
        "/empty" => vec![],
        "/s404" => one("HTTP/1.0 404 Not Found\r\n\r\nnope"),
        "/garbage" => one("SSH-2.0-OpenSSH\r\n\r\nxx"),
        "/nobody" => one("HTTP/1.0 204 No Content\r\n\r\n"),
        "/big" => vec![[b"HTTP/1.0 200 OK\r\n\r\n".to_vec(), big_body()].concat()],
        _ => one("HTTP/1.0 200 OK\r\n\r\nhello world"),
    }
}

/// Reads a request up to its blank line.
fn read_request(s: &mut impl Read) -> Vec<u8> {
    let mut req = Vec::new();
    let mut b = [0u8; 1];
    while !req.ends_with(b"\r\n\r\n") {
        match s.read(&mut b) {
            Ok(1) => req.push(b[0]),
            _ => break,
        }
    }
    req
}

/// Answers one request on `s` as its path says; `/slow` holds the connection for 3 s, `/reset`
/// resets it.
fn answer(s: &mut impl Write, tcp: &TcpStream, req: &[u8]) {
    let text = String::from_utf8_lossy(req);
    let path = text.split(' ').nth(1).unwrap_or("/").to_string();
    match path.as_str() {
        "/slow" => thread::sleep(Duration::from_secs(3)),
        "/reset" => {
            let _ = socket2::SockRef::from(tcp).set_linger(Some(Duration::ZERO));
        }
        _ => {
            for (i, piece) in response(&path).iter().enumerate() {
                if i > 0 {
                    let _ = s.flush();
                    thread::sleep(Duration::from_millis(200));
                }
                let _ = s.write_all(piece);
            }
            let _ = s.flush();
        }
    }
}

type Requests = Arc<Mutex<Vec<Vec<u8>>>>;

/// A plain HTTP server on loopback; returns its port and the requests it got.
fn http_server() -> (u16, Requests) {
    let l = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let port = l.local_addr().unwrap().port();
    let seen = Requests::default();
    let s2 = seen.clone();
    thread::spawn(move || {
        for tcp in l.incoming() {
            let Ok(mut tcp) = tcp else { continue };
            let seen = s2.clone();
            thread::spawn(move || {
                let req = read_request(&mut tcp);
                seen.lock().unwrap().push(req.clone());
                let t2 = tcp.try_clone().unwrap();
                answer(&mut tcp, &t2, &req);
            });
        }
    });
    (port, seen)
}

/// An HTTPS server on loopback with a self-signed certificate (neither client verifies it);
/// it ends each response with close_notify when `clean`, else just closes the connection
/// (genhash reports the two differently).
fn https_server(clean: bool) -> (u16, Requests) {
    let ck = rcgen::generate_simple_self_signed(vec!["server.invalid".to_string()]).unwrap();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(ck.key_pair.serialize_der()));
    let config = Arc::new(
        rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![ck.cert.der().clone()], key)
        .unwrap(),
    );
    let l = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let port = l.local_addr().unwrap().port();
    let seen = Requests::default();
    let s2 = seen.clone();
    thread::spawn(move || {
        for tcp in l.incoming() {
            let Ok(tcp) = tcp else { continue };
            let (seen, config) = (s2.clone(), config.clone());
            thread::spawn(move || {
                let t2 = tcp.try_clone().unwrap();
                let conn = rustls::ServerConnection::new(config).unwrap();
                let mut tls = rustls::StreamOwned::new(conn, tcp);
                let req = read_request(&mut tls);
                seen.lock().unwrap().push(req.clone());
                answer(&mut tls, &t2, &req);
                if clean {
                    // And wait for the client to close: genhash's verbose layout changes when
                    // the server is already gone as it answers the close_notify.
                    tls.conn.send_close_notify();
                    let _ = tls.conn.complete_io(&mut tls.sock);
                    let _ = tls.sock.set_read_timeout(Some(Duration::from_secs(5)));
                    let _ = tls.read_to_end(&mut Vec::new());
                }
            });
        }
    });
    (port, seen)
}

/// A loopback port nothing listens on.
fn closed_port() -> u16 {
    let l = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    l.local_addr().unwrap().port()
}

fn ours(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_keepalived-rs"))
        .args(args)
        .output()
        .unwrap()
}

fn theirs(program: &str, args: &[&str]) -> Output {
    Command::new(program).args(args).output().unwrap()
}

/// stdout with the response time (the one number that changes) masked.
fn stdout(o: &Output) -> String {
    let text = String::from_utf8_lossy(&o.stdout).into_owned();
    text.lines()
        .map(|l| match l.split_once("] = ") {
            Some((head, _)) if l.starts_with("Global response time for [") => {
                format!("{head}] = N usecs")
            }
            _ => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn genhash_installed() -> bool {
    if Path::new(GENHASH).exists() {
        return true;
    }
    eprintln!("SKIP: genhash comparisons: {GENHASH} not installed (Debian package keepalived); our digests checked against MD5s computed here only");
    false
}

fn md5_hex(b: &[u8]) -> String {
    Md5::digest(b).iter().map(|b| format!("{b:02x}")).collect()
}

/// Runs genhash and `keepalived-rs -T` with the same options; they must print the same.
fn compare(args: &[&str]) {
    let mut t = vec!["-T"];
    t.extend_from_slice(args);
    let o = ours(&t);
    let g = theirs(GENHASH, args);
    assert_eq!(stdout(&o), stdout(&g), "stdout of {args:?}");
    assert_eq!(stderr(&o), stderr(&g), "stderr of {args:?}");
    assert_eq!(o.status.code(), g.status.code(), "exit code of {args:?}");
}

#[test]
fn digests_and_output_match_genhash_over_http() {
    let (port, requests) = http_server();
    let port = port.to_string();
    let base = |path: &'static str| vec!["-s", "127.0.0.1", "-p", port.as_str(), "-u", path];
    if !genhash_installed() {
        for (path, body) in [
            ("/small", b"hello".to_vec()),
            ("/big", big_body()),
            ("/longer", b"hello".to_vec()),
        ] {
            let o = ours(&[&["-T"][..], &base(path)].concat());
            assert_eq!(stdout(&o), md5_hex(&body), "{path}");
            assert_eq!(o.status.code(), Some(0));
        }
        return;
    }
    for path in [
        "/small", "/longer", "/split", "/chunked", "/s404", "/garbage", "/nobody", "/big",
        "/nohdr", "/empty", "/reset",
    ] {
        compare(&base(path));
    }
    // Verbose: the header and body dumps, read by read (/big's reads depend on timing).
    for path in [
        "/small", "/longer", "/split", "/chunked", "/s404", "/garbage", "/nobody", "/nohdr",
        "/empty", "/reset",
    ] {
        compare(&[&["-v"][..], &base(path)].concat());
    }
    // The options that change the request: both send the same bytes.
    requests.lock().unwrap().clear();
    for extra in [
        &["-P", "1.1"][..],
        &["-P", "1.0c"],
        &["-P", "1.0"],
        &["-V", "www.example.org"],
        &["-V", "x", "-P", "1.1"],
    ] {
        compare(&[&base("/small")[..], extra].concat());
    }
    let seen = requests.lock().unwrap().clone();
    assert_eq!(seen.len(), 10);
    for pair in seen.chunks(2) {
        assert_eq!(
            String::from_utf8_lossy(&pair[0]),
            String::from_utf8_lossy(&pair[1]),
            "same request"
        );
    }
    // Timeouts, and a server that is down.
    compare(&[&base("/slow")[..], &["-t", "1"]].concat());
    compare(&[&["-v"][..], &base("/slow"), &["-t", "1"]].concat());
    let down = closed_port().to_string();
    compare(&["-s", "127.0.0.1", "-p", &down, "-u", "/"]);
    compare(&["-v", "-s", "127.0.0.1", "-p", &down, "-u", "/"]);
    // Long options and the forms getopt takes.
    compare(&[
        "--server=127.0.0.1",
        "--port",
        &port,
        "--url=/small",
        "--protocol=1.1",
    ]);
    compare(&["-s", "127.0.0.1", &format!("-p{port}"), "-u/small"]);
}

#[test]
fn digests_and_output_match_genhash_over_https() {
    for clean in [true, false] {
        let (port, requests) = https_server(clean);
        let port = port.to_string();
        let base =
            |path: &'static str| vec!["-S", "-s", "127.0.0.1", "-p", port.as_str(), "-u", path];
        if !genhash_installed() {
            let o = ours(&[&["-T"][..], &base("/small")].concat());
            assert_eq!(stdout(&o), md5_hex(b"hello"));
            return;
        }
        for path in [
            "/small", "/split", "/chunked", "/big", "/garbage", "/nohdr", "/nobody", "/empty",
        ] {
            compare(&base(path));
        }
        // genhash's -v layout after a close_notify varies with how soon the server goes away
        // (with the hash sections against a Python server that waits for the client's own
        // close_notify, without them against this one): compared where it does not vary.
        if !clean {
            for path in [
                "/small", "/split", "/garbage", "/nohdr", "/nobody", "/empty",
            ] {
                compare(&[&["-v"][..], &base(path)].concat());
            }
        }
        requests.lock().unwrap().clear();
        compare(
            &[
                &base("/small")[..],
                &["-I", "-V", "www.example.org", "-P", "1.1"],
            ]
            .concat(),
        );
        let seen = requests.lock().unwrap().clone();
        assert_eq!(seen.len(), 2);
        assert_eq!(seen[0], seen[1]);
        compare(&[&base("/slow")[..], &["-t", "1"]].concat());
    }
    // TLS to a port nothing listens on, and to a plain HTTP server (the handshake fails).
    let down = closed_port().to_string();
    compare(&["-S", "-s", "127.0.0.1", "-p", &down, "-u", "/"]);
    compare(&["-S", "-v", "-s", "127.0.0.1", "-p", &down, "-u", "/"]);
    let (http, _) = http_server();
    compare(&[
        "-S",
        "-s",
        "127.0.0.1",
        "-p",
        &http.to_string(),
        "-u",
        "/small",
        "-t",
        "2",
    ]);
}

/// genhash's own command line is refused as genhash refuses it: exit 1, the same reason
/// first (the usage text after it is our own wording).
#[test]
fn bad_command_lines_are_refused_like_genhash() {
    let cases: &[&[&str]] = &[
        &[],
        &["-h"],
        &["--help"],
        &["-s", "127.0.0.1", "-p", "80"],
        &["-s", "localhost", "-p", "80", "-u", "/"],
        &["-s", "127.0.0.1", "-p", "abc", "-u", "/"],
        &["-s", "127.0.0.1", "-p", "0", "-u", "/"],
        &["-s", "127.0.0.1", "-p", "70000", "-u", "/"],
        &["-s", "127.0.0.1", "-p", "80", "-u", "/", "-P", "2.0"],
        &["-s", "127.0.0.1", "-p", "80", "-u", "/", "-t", "1.5"],
        &["-s", "127.0.0.1", "-p", "80", "-u", "/", "-m", "abc"],
        &["-s", "127.0.0.1", "-p", "80", "-u", "/", "-m"],
        &["-s", "127.0.0.1", "-p", "80", "-u", "/", "-x"],
        &["-s", "127.0.0.1", "-p", "80", "-u", "/", "--bogus"],
        &["-s", "127.0.0.1", "-p", "80", "-u", "/", "extra"],
    ];
    let installed = genhash_installed();
    for args in cases {
        let o = ours(&[&["-T"][..], args].concat());
        assert_eq!(o.status.code(), Some(1), "{args:?}");
        assert!(o.stdout.is_empty(), "{args:?}");
        assert!(
            stderr(&o).contains("Usage: keepalived-rs --genhash"),
            "{args:?}"
        );
        if installed {
            let g = theirs(GENHASH, args);
            assert_eq!(g.status.code(), Some(1), "{args:?}");
            // The reason, or (for a plain usage request) the usage, whose wording is ours.
            let first = |o: &Output| {
                let line = stderr(o).lines().next().unwrap_or_default().to_string();
                if line.starts_with("Usage: ") {
                    "Usage: ...".to_string()
                } else {
                    line
                }
            };
            assert_eq!(first(&o), first(&g), "{args:?}");
        }
    }
}

/// `-T` anywhere but first: keepalived warns and ignores what came before; `--genhash` is -T;
/// the binary called `genhash` is genhash.
#[test]
fn ways_into_genhash_mode() {
    let (port, _) = http_server();
    let port = port.to_string();
    let page = ["-s", "127.0.0.1", "-p", port.as_str(), "-u", "/small"];
    let want = md5_hex(b"hello");
    let o = ours(&[&["-l", "-f", "/nonexistent", "-T"][..], &page].concat());
    assert_eq!(stdout(&o), want);
    assert_eq!(
        stderr(&o),
        "Warning -- `-T` not used as first option, previous options ignored\n"
    );
    if Path::new(KEEPALIVED).exists() {
        let k = theirs(
            KEEPALIVED,
            &[&["-l", "-f", "/nonexistent", "-T"][..], &page].concat(),
        );
        assert_eq!((stdout(&k), stderr(&k)), (stdout(&o), stderr(&o)));
    }
    let o = ours(&[&["--genhash"][..], &page].concat());
    assert_eq!((stdout(&o), o.status.code()), (want.clone(), Some(0)));

    let dir = std::env::temp_dir().join(format!("kars-genhash-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let link = dir.join("genhash");
    let _ = std::fs::remove_file(&link);
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_keepalived-rs"), &link).unwrap();
    let o = Command::new(&link).args(page).output().unwrap();
    assert_eq!((stdout(&o), o.status.code()), (want, Some(0)));
    let _ = std::fs::remove_dir_all(&dir);
}

/// -m sets SO_MARK, which needs CAP_NET_ADMIN: as root both fetch with it; elsewhere both fail
/// to connect.
#[test]
fn fwmark_is_set_on_the_connection() {
    let (port, _) = http_server();
    let port = port.to_string();
    let args = [
        "-s",
        "127.0.0.1",
        "-p",
        port.as_str(),
        "-u",
        "/small",
        "-m",
        "5",
    ];
    if genhash_installed() {
        compare(&args);
    } else if nix::unistd::geteuid().is_root() {
        let o = ours(&[&["-T"][..], &args].concat());
        assert_eq!(stdout(&o), md5_hex(b"hello"));
    }
}
