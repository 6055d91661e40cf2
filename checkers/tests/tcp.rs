//! TCP_CHECK against real listeners on loopback: one that accepts, a closed port (refused), and
//! one whose accept queue is full (never answers, so the connect times out).

use checkers::tcp::{Connection, Source, TcpCheck};
use checkers::{spawn_checker, CheckerId, EventKind, Probe, Timing};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

const LO: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

fn conn(port: u16, timeout_ms: u64) -> Connection {
    Connection::new(LO, port, Duration::from_millis(timeout_ms))
}

#[tokio::test]
async fn a_listener_that_accepts_is_up() {
    let l = TcpListener::bind((LO, 0)).await.unwrap();
    let check = TcpCheck::new(conn(l.local_addr().unwrap().port(), 2000)).unwrap();
    check.probe().await.expect("connect succeeds");
    // The checker really connected: the listener has a connection to accept.
    tokio::time::timeout(Duration::from_secs(5), l.accept())
        .await
        .expect("a connection")
        .unwrap();
}

#[tokio::test]
async fn a_closed_port_is_down_with_refused() {
    let port = {
        let l = TcpListener::bind((LO, 0)).await.unwrap();
        l.local_addr().unwrap().port()
    };
    let err = TcpCheck::new(conn(port, 2000))
        .unwrap()
        .probe()
        .await
        .unwrap_err();
    assert!(!err.is_local(), "the real server's failure: {err:?}");
    assert!(err.to_string().contains("refused"), "{err}");
}

/// A listener with backlog 0 whose connections are never accepted: once its accept queue is
/// full, the kernel drops further SYNs and a connect never completes.
fn full_listener() -> (socket2::Socket, u16) {
    let s = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    s.bind(&SocketAddr::new(LO, 0).into()).unwrap();
    s.listen(0).unwrap();
    let port = s.local_addr().unwrap().as_socket().unwrap().port();
    (s, port)
}

#[tokio::test]
async fn a_listener_that_never_answers_times_out() {
    let (_listener, port) = full_listener();
    // Fill the accept queue: connect until one connect does not complete.
    let mut fillers = Vec::new();
    let mut filled = false;
    for _ in 0..16 {
        match tokio::time::timeout(
            Duration::from_millis(300),
            tokio::net::TcpStream::connect((LO, port)),
        )
        .await
        {
            Ok(Ok(s)) => fillers.push(s),
            Ok(Err(e)) => panic!("filler connect failed: {e}"),
            Err(_) => {
                filled = true;
                break;
            }
        }
    }
    assert!(filled, "the accept queue never filled");
    let started = std::time::Instant::now();
    let err = TcpCheck::new(conn(port, 500))
        .unwrap()
        .probe()
        .await
        .unwrap_err();
    assert!(!err.is_local(), "the real server's failure: {err:?}");
    assert!(err.to_string().contains("timed out"), "{err}");
    assert!(
        started.elapsed() >= Duration::from_millis(450),
        "gave up too early: {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn bindto_and_bind_port_set_the_source() {
    let l = TcpListener::bind((LO, 0)).await.unwrap();
    let src_port = {
        let t = std::net::TcpListener::bind("127.0.0.2:0").unwrap();
        t.local_addr().unwrap().port()
    };
    let mut c = conn(l.local_addr().unwrap().port(), 2000);
    c.source_mut().bindto = Some("127.0.0.2".parse().unwrap());
    c.source_mut().bind_port = Some(src_port);
    c.source_mut().bind_if = Some("lo".into());
    TcpCheck::new(c)
        .unwrap()
        .probe()
        .await
        .expect("connect succeeds");
    let (_s, peer) = l.accept().await.unwrap();
    assert_eq!(
        peer,
        SocketAddr::new("127.0.0.2".parse().unwrap(), src_port)
    );
}

/// A source option that cannot be applied is this machine's failure, not the real server's:
/// keepalived logs "TCP socket bind failed. Rescheduling." and leaves the checker as it is.
#[tokio::test]
async fn an_unknown_bind_if_is_a_local_failure_not_a_panic() {
    let l = TcpListener::bind((LO, 0)).await.unwrap();
    let mut c = conn(l.local_addr().unwrap().port(), 2000);
    c.source_mut().bind_if = Some("nosuchif0".into());
    let err = TcpCheck::new(c).unwrap().probe().await.unwrap_err();
    assert!(err.is_local(), "{err:?}");
    assert!(err.to_string().contains("socket for"), "{err}");
}

#[tokio::test]
async fn fwmark_is_set_when_we_may() {
    let l = TcpListener::bind((LO, 0)).await.unwrap();
    let mut c = conn(l.local_addr().unwrap().port(), 2000);
    c.source_mut().fwmark = Some(7);
    match TcpCheck::new(c).unwrap().probe().await {
        Ok(_) => {}
        Err(e)
            if e.to_string().contains("ermission") || e.to_string().contains("not permitted") =>
        {
            eprintln!("SKIP: fwmark_is_set_when_we_may: SO_MARK needs CAP_NET_ADMIN: {e}")
        }
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn bad_connections_are_rejected_up_front() {
    assert!(TcpCheck::new(conn(0, 1000))
        .unwrap_err()
        .contains("no port"));
    assert!(TcpCheck::new(conn(80, 0))
        .unwrap_err()
        .contains("connect_timeout"));
    let mut c = conn(80, 1000);
    c.source_mut().bindto = Some("::1".parse().unwrap());
    assert!(TcpCheck::new(c).unwrap_err().contains("families"));
}

#[tokio::test]
async fn ipv6_loopback() {
    let l = match TcpListener::bind("[::1]:0").await {
        Ok(l) => l,
        Err(e) => return eprintln!("SKIP: ipv6_loopback: no IPv6 loopback: {e}"),
    };
    let c = Connection::new(
        "::1".parse().unwrap(),
        l.local_addr().unwrap().port(),
        Duration::from_secs(2),
    );
    TcpCheck::new(c)
        .unwrap()
        .probe()
        .await
        .expect("connect succeeds");
}

/// The engine with a real TCP_CHECK: the server goes down when its listener closes and comes
/// back when it listens again (real clock, generous bounds).
#[tokio::test]
async fn engine_follows_a_listener_going_away_and_back() {
    let l = TcpListener::bind((LO, 0)).await.unwrap();
    let port = l.local_addr().unwrap().port();
    let timing = Timing {
        delay_loop: Duration::from_millis(100),
        retry: 1,
        delay_before_retry: Duration::from_millis(50),
        warmup: Duration::ZERO,
        alpha: true,
        log_all_failures: false,
    };
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let id = CheckerId(0);
    let h = spawn_checker(
        id,
        timing,
        Arc::new(TcpCheck::new(conn(port, 500)).unwrap()),
        tx,
        Arc::default(),
    )
    .unwrap();
    let ev = next(&mut rx).await;
    assert_eq!(ev.kind, EventKind::Up { weight: None });
    drop(l);
    let ev = next(&mut rx).await;
    assert_eq!(ev.kind, EventKind::Down);
    assert!(ev.reason.contains("refused"), "{}", ev.reason);
    let _l = TcpListener::bind((LO, port)).await.unwrap();
    let ev = next(&mut rx).await;
    assert_eq!(ev.kind, EventKind::Up { weight: None });
    h.abort();
}

async fn next(
    rx: &mut tokio::sync::mpsc::UnboundedReceiver<checkers::CheckEvent>,
) -> checkers::CheckEvent {
    tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .expect("an event in time")
        .unwrap()
}

/// A connection keeps its source options only when one is set: the common case holds no box.
#[test]
fn source_options_are_kept_only_when_set() {
    let plain = conn(80, 1000);
    assert_eq!(plain.clone().with_source(Source::default()), plain);
    let marked = plain.clone().with_source(Source {
        fwmark: Some(3),
        ..Source::default()
    });
    assert_ne!(marked, plain);
    assert_eq!(marked.source().fwmark, Some(3));
    assert_eq!(plain.source(), &Source::default());
}
