//! SMTP_CHECK against a scripted SMTP server on loopback.

use checkers::smtp::{SmtpCheck, DEFAULT_HELO};
use checkers::tcp::Connection;
use checkers::Probe;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

const LO: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

/// Greets with `greeting`, answers the first line with `helo_reply`, QUIT with 221.
async fn server(
    greeting: &'static str,
    helo_reply: &'static str,
) -> (u16, Arc<Mutex<Vec<String>>>) {
    let l = TcpListener::bind((LO, 0)).await.unwrap();
    let port = l.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let seen2 = seen.clone();
    tokio::spawn(async move {
        loop {
            let (s, _) = l.accept().await.unwrap();
            let seen = seen2.clone();
            tokio::spawn(async move {
                let mut s = BufReader::new(s);
                if greeting.is_empty() {
                    tokio::time::sleep(Duration::from_secs(3600)).await;
                }
                s.get_mut().write_all(greeting.as_bytes()).await.unwrap();
                for answer in [helo_reply, "221 bye\r\n"] {
                    let mut line = String::new();
                    if s.read_line(&mut line).await.unwrap_or(0) == 0 {
                        return;
                    }
                    seen.lock().unwrap().push(line);
                    let _ = s.get_mut().write_all(answer.as_bytes()).await;
                }
            });
        }
    });
    (port, seen)
}

fn conn(port: u16, ms: u64) -> Connection {
    Connection::new(LO, port, Duration::from_millis(ms))
}

#[tokio::test]
async fn a_polite_server_is_up() {
    let (port, seen) = server("220 mail.example ESMTP\r\n", "250 hello\r\n").await;
    SmtpCheck::new(vec![conn(port, 2000)], DEFAULT_HELO.into())
        .unwrap()
        .probe()
        .await
        .unwrap();
    assert_eq!(
        *seen.lock().unwrap(),
        vec![format!("HELO {DEFAULT_HELO}\r\n"), "QUIT\r\n".to_string()]
    );
}

#[tokio::test]
async fn multi_line_replies_are_read_to_the_end() {
    let (port, _) = server(
        "220-mail.example\r\n220 ESMTP ready\r\n",
        "250-hello\r\n250 ok\r\n",
    )
    .await;
    SmtpCheck::new(vec![conn(port, 2000)], "director.example".into())
        .unwrap()
        .probe()
        .await
        .unwrap();
}

#[tokio::test]
async fn bad_greetings_and_helo_answers_are_failures() {
    let (port, _) = server("554 go away\r\n", "250 hello\r\n").await;
    let err = SmtpCheck::new(vec![conn(port, 2000)], DEFAULT_HELO.into())
        .unwrap()
        .probe()
        .await
        .unwrap_err().to_string();
    assert!(err.contains("bad greeting"), "{err}");
    let (port, _) = server("220 hi\r\n", "501 who are you\r\n").await;
    let err = SmtpCheck::new(vec![conn(port, 2000)], DEFAULT_HELO.into())
        .unwrap()
        .probe()
        .await
        .unwrap_err().to_string();
    assert!(err.contains("bad HELO answer"), "{err}");
}

#[tokio::test]
async fn a_silent_server_times_out() {
    let (port, _) = server("", "").await;
    let err = SmtpCheck::new(vec![conn(port, 300)], DEFAULT_HELO.into())
        .unwrap()
        .probe()
        .await
        .unwrap_err().to_string();
    assert!(err.contains("no answer"), "{err}");
}

#[tokio::test]
async fn every_host_must_pass() {
    let (good, _) = server("220 hi\r\n", "250 ok\r\n").await;
    let (bad, _) = server("421 busy\r\n", "250 ok\r\n").await;
    let check =
        SmtpCheck::new(vec![conn(good, 2000), conn(bad, 2000)], DEFAULT_HELO.into()).unwrap();
    let err = check.probe().await.unwrap_err().to_string();
    assert!(err.contains(&format!(":{bad}")), "{err}");
    let check = SmtpCheck::new(
        vec![conn(good, 2000), conn(good, 2000)],
        DEFAULT_HELO.into(),
    )
    .unwrap();
    check.probe().await.unwrap();
}

#[test]
fn bad_configurations_are_errors() {
    assert!(SmtpCheck::new(vec![], DEFAULT_HELO.into())
        .unwrap_err().to_string()
        .contains("no host"));
    assert!(SmtpCheck::new(vec![conn(25, 100)], "a\r\nRCPT".into())
        .unwrap_err().to_string()
        .contains("helo_name"));
}
