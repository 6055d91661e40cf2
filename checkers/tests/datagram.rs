//! UDP_CHECK and DNS_CHECK against local UDP servers on loopback: silent ones, closed ports
//! (ICMP port unreachable), echoing ones and a scripted DNS server.

use checkers::dns::{DnsCheck, DnsType};
use checkers::tcp::Connection;
use checkers::udp::{ReplyByte, UdpCheck};
use checkers::Probe;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::UdpSocket;

const LO: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

fn conn(port: u16, ms: u64) -> Connection {
    Connection::new(LO, port, Duration::from_millis(ms))
}

/// A UDP server that answers each datagram with `reply(datagram)` (None: stays silent).
async fn server(
    reply: impl Fn(&[u8]) -> Vec<Vec<u8>> + Send + 'static,
) -> (u16, Arc<Mutex<Vec<Vec<u8>>>>) {
    let s = UdpSocket::bind((LO, 0)).await.unwrap();
    let port = s.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let seen2 = seen.clone();
    tokio::spawn(async move {
        let mut buf = [0u8; 2048];
        loop {
            let (n, from): (usize, SocketAddr) = s.recv_from(&mut buf).await.unwrap();
            seen2.lock().unwrap().push(buf[..n].to_vec());
            for r in reply(&buf[..n]) {
                s.send_to(&r, from).await.unwrap();
            }
        }
    });
    (port, seen)
}

async fn closed_port() -> u16 {
    UdpSocket::bind((LO, 0))
        .await
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test]
async fn udp_without_require_reply_fails_only_on_icmp_errors() {
    let (port, seen) = server(|_| vec![]).await;
    let check = UdpCheck::new(conn(port, 300), Some(vec![1, 2, 3]), None, 0, 255).unwrap();
    check.probe().await.expect("silence is success");
    assert_eq!(seen.lock().unwrap()[0], vec![1, 2, 3]);
    let check = UdpCheck::new(conn(closed_port().await, 2000), None, None, 0, 255).unwrap();
    let err = check.probe().await.unwrap_err().to_string();
    assert!(err.contains("refused"), "{err}");
}

#[tokio::test]
async fn udp_require_reply_checks_the_reply() {
    let (port, _) = server(|d| vec![d.to_vec()]).await;
    let any = UdpCheck::new(
        conn(port, 2000),
        Some(vec![0xab, 0xcd, 0xef]),
        Some(vec![]),
        0,
        255,
    )
    .unwrap();
    any.probe().await.unwrap();
    let pattern = ReplyByte::parse_pattern("abxd").unwrap();
    let masked = UdpCheck::new(
        conn(port, 2000),
        Some(vec![0xab, 0xcd, 0xef]),
        Some(pattern),
        0,
        255,
    )
    .unwrap();
    masked.probe().await.unwrap();
    let wrong = ReplyByte::parse_pattern("abce").unwrap();
    let check = UdpCheck::new(
        conn(port, 2000),
        Some(vec![0xab, 0xcd, 0xef]),
        Some(wrong),
        0,
        255,
    )
    .unwrap();
    assert!(check.probe().await.unwrap_err().to_string().contains("reply byte 1"));
    let short = UdpCheck::new(conn(port, 2000), Some(vec![1, 2]), Some(vec![]), 3, 255).unwrap();
    assert!(short.probe().await.unwrap_err().to_string().contains("outside 3..=255"));
    let long = UdpCheck::new(conn(port, 2000), Some(vec![1, 2, 3, 4]), Some(vec![]), 0, 3).unwrap();
    assert!(long.probe().await.unwrap_err().to_string().contains("4 bytes"));
}

#[tokio::test]
async fn udp_require_reply_fails_on_silence() {
    let (port, _) = server(|_| vec![]).await;
    let check = UdpCheck::new(conn(port, 300), None, Some(vec![]), 0, 255).unwrap();
    assert!(check.probe().await.unwrap_err().to_string().contains("no reply"));
}

#[test]
fn udp_bad_configurations_are_errors() {
    assert!(UdpCheck::new(conn(53, 100), None, None, 10, 5)
        .unwrap_err().to_string()
        .contains("always fail"));
    assert!(UdpCheck::new(conn(53, 100), Some(vec![]), None, 0, 5)
        .unwrap_err().to_string()
        .contains("empty"));
    assert!(UdpCheck::new(conn(0, 100), None, None, 0, 5).is_err());
}

/// A DNS answer to `query` with `rcode` (the question copied, no records).
fn answer(query: &[u8], id_delta: u16, qr: bool, rcode: u16) -> Vec<u8> {
    let mut a = query.to_vec();
    let id = u16::from_be_bytes([query[0], query[1]]).wrapping_add(id_delta);
    a[..2].copy_from_slice(&id.to_be_bytes());
    let flags = if qr { 0x8180 } else { 0x0100 } | rcode;
    a[2..4].copy_from_slice(&flags.to_be_bytes());
    a
}

#[tokio::test]
async fn dns_noerror_is_up_and_the_query_is_well_formed() {
    let (port, seen) = server(|q| vec![answer(q, 0, true, 0)]).await;
    DnsCheck::new(conn(port, 2000), DnsType::A, "example.org")
        .unwrap()
        .probe()
        .await
        .unwrap();
    let q = seen.lock().unwrap()[0].clone();
    assert_eq!(&q[2..12], &[0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
    assert_eq!(&q[12..], b"\x07example\x03org\x00\x00\x01\x00\x01");
}

#[tokio::test]
async fn dns_error_rcodes_are_failures() {
    let (port, _) = server(|q| vec![answer(q, 0, true, 3)]).await;
    let err = DnsCheck::new(conn(port, 2000), DnsType::SOA, ".")
        .unwrap()
        .probe()
        .await
        .unwrap_err().to_string();
    assert!(err.contains("rcode 3"), "{err}");
}

#[tokio::test]
async fn dns_ignores_stray_datagrams_before_the_answer() {
    // A short datagram, another id, a query (QR clear), then the answer.
    let (port, _) = server(|q| {
        vec![
            vec![1, 2, 3],
            answer(q, 1, true, 2),
            answer(q, 0, false, 2),
            answer(q, 0, true, 0),
        ]
    })
    .await;
    DnsCheck::new(conn(port, 2000), DnsType::SOA, ".")
        .unwrap()
        .probe()
        .await
        .unwrap();
}

#[tokio::test]
async fn dns_silence_and_closed_ports_are_failures() {
    let (port, _) = server(|_| vec![]).await;
    let err = DnsCheck::new(conn(port, 300), DnsType::SOA, ".")
        .unwrap()
        .probe()
        .await
        .unwrap_err().to_string();
    assert!(err.contains("no answer"), "{err}");
    let err = DnsCheck::new(conn(closed_port().await, 2000), DnsType::SOA, ".")
        .unwrap()
        .probe()
        .await
        .unwrap_err().to_string();
    assert!(err.contains("refused"), "{err}");
}
