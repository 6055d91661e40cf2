//! PING_CHECK on loopback (datagram and raw sockets, IPv4 and IPv6), and its failures inside
//! a network namespace of our own (no route; an address nobody answers for).

use checkers::ping::{PingCheck, PingSocket};
use checkers::tcp::Connection;
use checkers::Probe;
use std::net::IpAddr;
use std::process::Command;
use std::time::Duration;

fn ping(addr: &str, socket: PingSocket, ms: u64) -> PingCheck {
    let ip: IpAddr = addr.parse().unwrap();
    let mut p = PingCheck::new(Connection::new(ip, 0, Duration::from_millis(ms))).unwrap();
    p.socket = socket;
    p
}

fn is_root() -> bool {
    nix::unistd::Uid::effective().is_root()
}

#[tokio::test]
async fn loopback_answers_over_each_socket_kind() {
    for kind in [PingSocket::Auto, PingSocket::Datagram, PingSocket::Raw] {
        match ping("127.0.0.1", kind, 2000).probe().await {
            Ok(_) => {}
            Err(e) if e.to_string().contains("ICMP socket") && (kind != PingSocket::Auto || !is_root()) => {
                eprintln!("SKIP: loopback_answers_over_each_socket_kind {kind:?}: {e}")
            }
            Err(e) => panic!("{kind:?}: {e}"),
        }
    }
}

#[tokio::test]
async fn ipv6_loopback_answers() {
    if std::net::UdpSocket::bind("[::1]:0").is_err() {
        return eprintln!("SKIP: ipv6_loopback_answers: no IPv6 loopback");
    }
    for kind in [PingSocket::Datagram, PingSocket::Raw] {
        match ping("::1", kind, 2000).probe().await {
            Ok(_) => {}
            Err(e) if e.to_string().contains("ICMP socket") => {
                eprintln!("SKIP: ipv6_loopback_answers {kind:?}: {e}")
            }
            Err(e) => panic!("{kind:?}: {e}"),
        }
    }
}

const INNER: &str = "CHECKERS_PING_IN_NETNS";

/// Runs inside the namespace made by `failures_in_a_namespace` (lo up, a veth pair whose one
/// end has 192.0.2.1/24 and the other no address): no route to 198.51.100.1, and nobody
/// answers for 192.0.2.2.
#[tokio::test]
#[ignore = "run by failures_in_a_namespace inside its network namespace"]
async fn inner_failures() {
    if std::env::var_os(INNER).is_none() {
        return;
    }
    let err = ping("198.51.100.1", PingSocket::Auto, 500)
        .probe()
        .await
        .unwrap_err().to_string();
    assert!(err.contains("unreachable"), "{err}");
    let err = ping("192.0.2.2", PingSocket::Auto, 500)
        .probe()
        .await
        .unwrap_err().to_string();
    assert!(err.contains("no reply"), "{err}");
    ping("192.0.2.1", PingSocket::Auto, 2000)
        .probe()
        .await
        .expect("our own address answers");
}

#[test]
fn failures_in_a_namespace() {
    if !is_root() {
        return eprintln!("SKIP: failures_in_a_namespace: needs root for a network namespace");
    }
    let ns = format!("ckr-ping-{}", std::process::id());
    let ip = |args: &[&str]| {
        Command::new("ip")
            .args(args)
            .status()
            .map(|s| s.success())
            .unwrap_or(false)
    };
    if !ip(&["netns", "add", &ns]) {
        return eprintln!("SKIP: failures_in_a_namespace: cannot create network namespace {ns}");
    }
    let setup = ip(&["-n", &ns, "link", "set", "lo", "up"])
        && ip(&[
            "-n", &ns, "link", "add", "v0", "type", "veth", "peer", "name", "v1",
        ])
        && ip(&["-n", &ns, "addr", "add", "192.0.2.1/24", "dev", "v0"])
        && ip(&["-n", &ns, "link", "set", "v0", "up"])
        && ip(&["-n", &ns, "link", "set", "v1", "up"]);
    let out = setup.then(|| {
        Command::new("ip")
            .args(["netns", "exec", &ns])
            .arg(std::env::current_exe().unwrap())
            .args(["--exact", "inner_failures", "--ignored", "--nocapture"])
            .env(INNER, "1")
            .output()
            .unwrap()
    });
    ip(&["netns", "del", &ns]);
    assert!(setup, "setting up {ns} failed");
    let out = out.unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("1 passed"),
        "the inner test did not run: {text}"
    );
}
