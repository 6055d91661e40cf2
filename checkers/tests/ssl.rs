//! SSL_GET against a local TLS server (rustls, certificates made by rcgen at test time):
//! keepalived's no-verification default, the digest over TLS, SNI, client certificates,
//! tls_compliant's close_notify, and servers that close without one.

use checkers::http::{hex, HttpCheck, HttpProtocol, UrlCheck};
use checkers::ssl::{SslContext, Tls, TlsOptions};
use checkers::tcp::Connection;
use checkers::Probe;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig};
use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_rustls::LazyConfigAcceptor;

const LO: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
const HELLO: &str = "HTTP/1.0 200 OK\r\nServer: t\r\n\r\nhello world";
const HELLO_MD5: &str = "5eb63bbbe01eeed093cb22bb8f5acdc3";

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A self-signed server certificate for a name nobody asks for: keepalived accepts it.
fn server_config(client_ca: Option<&CertificateDer<'static>>) -> Arc<ServerConfig> {
    let ck = rcgen::generate_simple_self_signed(vec!["server.invalid".to_string()]).unwrap();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(ck.key_pair.serialize_der()));
    let builder = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap();
    let builder = match client_ca {
        None => builder.with_no_client_auth(),
        Some(ca) => {
            let mut roots = RootCertStore::empty();
            roots.add(ca.clone()).unwrap();
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider())
                .build()
                .unwrap();
            builder.with_client_cert_verifier(verifier)
        }
    };
    Arc::new(
        builder
            .with_single_cert(vec![ck.cert.der().clone()], key)
            .unwrap(),
    )
}

#[derive(Default)]
struct Seen {
    sni: Vec<Option<String>>,
    requests: Vec<String>,
    /// After the response: did the client close with close_notify (clean EOF)?
    close_notify: Vec<bool>,
}

/// Serves TLS connections; with `clean_close` the server ends with close_notify, else it just
/// closes the TCP connection.
async fn serve(config: Arc<ServerConfig>, clean_close: bool) -> (u16, Arc<Mutex<Seen>>) {
    let l = TcpListener::bind((LO, 0)).await.unwrap();
    let port = l.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Seen::default()));
    let s2 = seen.clone();
    tokio::spawn(async move {
        loop {
            let (tcp, _) = l.accept().await.unwrap();
            let config = config.clone();
            let seen = s2.clone();
            tokio::spawn(async move {
                let Ok(start) =
                    LazyConfigAcceptor::new(rustls::server::Acceptor::default(), tcp).await
                else {
                    return;
                };
                seen.lock()
                    .unwrap()
                    .sni
                    .push(start.client_hello().server_name().map(String::from));
                let Ok(mut tls) = start.into_stream(config).await else {
                    return;
                };
                let mut req = Vec::new();
                let mut buf = [0u8; 1024];
                while !req.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(k) => req.extend_from_slice(&buf[..k]),
                    }
                }
                seen.lock()
                    .unwrap()
                    .requests
                    .push(String::from_utf8_lossy(&req).into_owned());
                tls.write_all(HELLO.as_bytes()).await.unwrap();
                tls.flush().await.unwrap();
                if clean_close {
                    let _ = tls.shutdown().await;
                } else {
                    // End of the response without close_notify: half-close the TCP stream.
                    let _ = tls.get_mut().0.shutdown().await;
                }
                // What the client does next: close_notify (Ok(0)) or a bare close (an error).
                let clean = matches!(
                    tokio::time::timeout(Duration::from_secs(5), tls.read(&mut buf)).await,
                    Ok(Ok(0))
                );
                seen.lock().unwrap().close_notify.push(clean);
            });
        }
    });
    (port, seen)
}

fn url() -> Vec<UrlCheck> {
    vec![UrlCheck {
        path: "/".into(),
        status_code: vec![],
        digest: Some(HELLO_MD5.into()),
        virtualhost: None,
        regex: None,
    }]
}

fn ssl_check(
    port: u16,
    ctx: &SslContext,
    opts: TlsOptions,
    vhost: Option<&str>,
) -> Result<HttpCheck, String> {
    let tls = Tls::new(ctx.client_config()?, &opts, vhost, LO)?;
    let conn = Connection::new(LO, port, Duration::from_secs(5));
    HttpCheck::new_ssl(
        conn,
        HttpProtocol::Http10,
        vhost.map(String::from),
        url(),
        tls,
    )
}

#[tokio::test]
async fn any_certificate_is_accepted_and_the_digest_is_checked() {
    let (port, seen) = serve(server_config(None), true).await;
    let check = ssl_check(port, &SslContext::default(), TlsOptions::default(), None).unwrap();
    check.probe().await.unwrap();
    assert_eq!(hex(&check.fetch(0).await.unwrap().digest), HELLO_MD5);
    let seen = seen.lock().unwrap();
    assert_eq!(
        seen.requests[0],
        format!("GET / HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nHost: 127.0.0.1:{port}\r\n\r\n")
    );
    // No SNI unless enable_sni.
    assert_eq!(seen.sni[0], None);
}

#[tokio::test]
async fn a_wrong_digest_over_tls_is_a_failure() {
    let (port, _) = serve(server_config(None), true).await;
    let tls = Tls::new(
        SslContext::default().client_config().unwrap(),
        &TlsOptions::default(),
        None,
        LO,
    )
    .unwrap();
    let urls = vec![UrlCheck {
        path: "/".into(),
        status_code: vec![],
        digest: Some("0".repeat(32)),
        virtualhost: None,
        regex: None,
    }];
    let check = HttpCheck::new_ssl(
        Connection::new(LO, port, Duration::from_secs(5)),
        HttpProtocol::Http10,
        None,
        urls,
        tls,
    )
    .unwrap();
    assert!(check.probe().await.unwrap_err().to_string().contains("digest"));
}

#[tokio::test]
async fn sni_is_sent_only_with_enable_sni() {
    let (port, seen) = serve(server_config(None), true).await;
    let ctx = SslContext::default();
    let with_name = TlsOptions {
        enable_sni: true,
        sni_name: Some("sni.example".into()),
        tls_compliant: false,
    };
    ssl_check(port, &ctx, with_name, Some("www.example"))
        .unwrap()
        .probe()
        .await
        .unwrap();
    let from_vhost = TlsOptions {
        enable_sni: true,
        ..TlsOptions::default()
    };
    ssl_check(port, &ctx, from_vhost, Some("www.example"))
        .unwrap()
        .probe()
        .await
        .unwrap();
    ssl_check(port, &ctx, TlsOptions::default(), Some("www.example"))
        .unwrap()
        .probe()
        .await
        .unwrap();
    let sni = seen.lock().unwrap().sni.clone();
    assert_eq!(
        sni,
        vec![
            Some("sni.example".to_string()),
            Some("www.example".to_string()),
            None
        ]
    );
}

#[tokio::test]
async fn tls_compliant_closes_with_close_notify() {
    let (port, seen) = serve(server_config(None), false).await;
    let ctx = SslContext::default();
    ssl_check(
        port,
        &ctx,
        TlsOptions {
            tls_compliant: true,
            ..TlsOptions::default()
        },
        None,
    )
    .unwrap()
    .probe()
    .await
    .unwrap();
    ssl_check(port, &ctx, TlsOptions::default(), None)
        .unwrap()
        .probe()
        .await
        .unwrap();
    // Wait for the server to see both closes.
    for _ in 0..100 {
        if seen.lock().unwrap().close_notify.len() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(seen.lock().unwrap().close_notify, vec![true, false]);
}

#[tokio::test]
async fn a_server_closing_without_close_notify_still_answers() {
    // serve(.., false): the server never sends close_notify; the response must still count.
    let (port, _) = serve(server_config(None), false).await;
    ssl_check(port, &SslContext::default(), TlsOptions::default(), None)
        .unwrap()
        .probe()
        .await
        .unwrap();
}

struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let p = std::env::temp_dir().join(format!("checkers-ssl-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
    fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.0.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[tokio::test]
async fn the_ssl_block_s_certificate_is_presented() {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(vec![]).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let client_key = rcgen::KeyPair::generate().unwrap();
    let client = rcgen::CertificateParams::new(vec!["director.invalid".to_string()])
        .unwrap()
        .signed_by(&client_key, &ca, &ca_key)
        .unwrap();
    let dir = TempDir::new("client");
    let cert_file = dir.write("client.pem", &client.pem());
    let key_file = dir.write("client.key", &client_key.serialize_pem());
    let ca_file = dir.write("ca.pem", &ca.pem());

    let (port, _) = serve(server_config(Some(ca.der())), true).await;
    let ctx = SslContext {
        ca: Some(ca_file),
        certificate: Some(cert_file.clone()),
        key: Some(key_file),
        password: None,
    };
    ssl_check(port, &ctx, TlsOptions::default(), None)
        .unwrap()
        .probe()
        .await
        .unwrap();
    // Certificate and key in one file (keepalived reads the key from it when no key is named).
    let both = dir.write("both.pem", &(client.pem() + &client_key.serialize_pem()));
    let ctx = SslContext {
        certificate: Some(both),
        ..SslContext::default()
    };
    ssl_check(port, &ctx, TlsOptions::default(), None)
        .unwrap()
        .probe()
        .await
        .unwrap();
    // Without a client certificate the server refuses the handshake.
    let err = ssl_check(port, &SslContext::default(), TlsOptions::default(), None)
        .unwrap()
        .probe()
        .await
        .unwrap_err().to_string();
    assert!(
        err.contains("TLS") || err.contains("receive") || err.contains("no data"),
        "{err}"
    );
}

#[tokio::test]
async fn a_plain_http_server_fails_the_handshake() {
    let l = TcpListener::bind((LO, 0)).await.unwrap();
    let port = l.local_addr().unwrap().port();
    tokio::spawn(async move {
        loop {
            let (mut s, _) = l.accept().await.unwrap();
            let _ = s.write_all(b"HTTP/1.0 400 Bad Request\r\n\r\n").await;
        }
    });
    let err = ssl_check(port, &SslContext::default(), TlsOptions::default(), None)
        .unwrap()
        .probe()
        .await
        .unwrap_err().to_string();
    assert!(err.contains("TLS handshake"), "{err}");
}

#[test]
fn bad_ssl_blocks_are_errors() {
    let dir = TempDir::new("bad");
    let missing = SslContext {
        certificate: Some(dir.0.join("nope.pem")),
        ..SslContext::default()
    };
    assert!(missing.client_config().unwrap_err().to_string().contains("nope.pem"));
    let junk = dir.write("junk.pem", "not a certificate\n");
    let no_cert = SslContext {
        certificate: Some(junk.clone()),
        ..SslContext::default()
    };
    assert!(no_cert
        .client_config()
        .unwrap_err().to_string()
        .contains("no certificate"));
    let no_ca = SslContext {
        ca: Some(junk.clone()),
        ..SslContext::default()
    };
    assert!(no_ca
        .client_config()
        .unwrap_err().to_string()
        .contains("no certificate"));
    let key_only = SslContext {
        key: Some(junk),
        ..SslContext::default()
    };
    assert!(key_only
        .client_config()
        .unwrap_err().to_string()
        .contains("without a certificate"));
    let ck = rcgen::generate_simple_self_signed(vec!["x.invalid".to_string()]).unwrap();
    let cert = dir.write("c.pem", &ck.cert.pem());
    let encrypted = SslContext {
        certificate: Some(cert),
        password: Some("secret".into()),
        ..SslContext::default()
    };
    assert!(encrypted
        .client_config()
        .unwrap_err().to_string()
        .contains("encrypted keys are not supported"));
    let opts = TlsOptions {
        enable_sni: true,
        sni_name: Some("bad name".into()),
        tls_compliant: false,
    };
    let cfg = SslContext::default().client_config().unwrap();
    assert!(Tls::new(cfg, &opts, None, LO)
        .unwrap_err().to_string()
        .contains("sni name"));
}

/// keepalived's genhash over TLS (-S) against the same server: same request bytes, same digest.
#[tokio::test]
async fn genhash_over_tls_agrees() {
    if !std::path::Path::new("/usr/bin/genhash").exists() {
        return eprintln!(
            "SKIP: genhash_over_tls_agrees: /usr/bin/genhash (Debian's keepalived) not installed"
        );
    }
    let (port, seen) = serve(server_config(None), true).await;
    let check = ssl_check(port, &SslContext::default(), TlsOptions::default(), None).unwrap();
    let ours = hex(&check.fetch(0).await.unwrap().digest);
    let out = tokio::process::Command::new("/usr/bin/genhash")
        .args(["-S", "-s", "127.0.0.1", "-p", &port.to_string(), "-u", "/"])
        .output()
        .await
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        text.split_whitespace().last(),
        Some(ours.as_str()),
        "genhash said {text:?}"
    );
    let seen = seen.lock().unwrap();
    assert_eq!(seen.requests.len(), 2, "{text}");
    assert_eq!(seen.requests[0], seen.requests[1]);
}
