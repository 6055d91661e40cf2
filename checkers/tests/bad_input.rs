//! Real servers that misbehave, through one engine on the real clock against loopback: one
//! that refuses, one that is gone (its SYNs dropped: the connect times out), one that accepts
//! and never answers (TCP_CHECK: up, as keepalived; HTTP_GET: down when its answer does not
//! come within connect_timeout). Each is reported with a clear reason, and none holds up the
//! healthy checkers that share the engine: they keep their delay_loop throughout (the bounds
//! are generous; the point is that a stall, seconds long, would show).

use checkers::http::{HttpCheck, HttpProtocol, UrlCheck};
use checkers::tcp::{Connection, TcpCheck};
use checkers::{CheckEvent, CheckerId, Engine, EventKind, Probe, Timing};
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;

const LO: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

fn timing(delay_loop_ms: u64) -> Timing {
    Timing {
        delay_loop: Duration::from_millis(delay_loop_ms),
        retry: 1,
        delay_before_retry: Duration::from_millis(100),
        warmup: Duration::ZERO,
        alpha: false,
        log_all_failures: false,
    }
}

/// A listener that accepts, records when, and holds each connection (reading, never
/// answering) until the client closes it.
async fn silent_listener() -> (u16, Arc<Mutex<Vec<Instant>>>) {
    let l = TcpListener::bind((LO, 0)).await.unwrap();
    let port = l.local_addr().unwrap().port();
    let accepts = Arc::new(Mutex::new(Vec::new()));
    let acc = accepts.clone();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = l.accept().await {
            acc.lock().unwrap().push(Instant::now());
            tokio::spawn(async move {
                let mut b = [0u8; 1024];
                while let Ok(n) = s.read(&mut b).await {
                    if n == 0 {
                        break;
                    }
                }
            });
        }
    });
    (port, accepts)
}

/// A listener with backlog 0 whose connections are never accepted, its accept queue filled:
/// the kernel drops further SYNs, so a connect to it never completes (a server that is gone).
async fn gone_listener() -> (socket2::Socket, u16, Vec<tokio::net::TcpStream>) {
    let s = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    s.bind(&SocketAddr::new(LO, 0).into()).unwrap();
    s.listen(0).unwrap();
    let port = s.local_addr().unwrap().as_socket().unwrap().port();
    let mut fillers = Vec::new();
    for _ in 0..16 {
        match tokio::time::timeout(
            Duration::from_millis(300),
            tokio::net::TcpStream::connect((LO, port)),
        )
        .await
        {
            Ok(Ok(c)) => fillers.push(c),
            Ok(Err(e)) => panic!("filler connect failed: {e}"),
            Err(_) => return (s, port, fillers),
        }
    }
    panic!("the accept queue never filled");
}

fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind((LO, 0)).unwrap();
    l.local_addr().unwrap().port()
}

fn tcp(port: u16, timeout_ms: u64) -> Arc<dyn Probe> {
    Arc::new(TcpCheck::new(Connection::new(LO, port, Duration::from_millis(timeout_ms))).unwrap())
}

/// The longest time between two accepts, counting from `from` to `to`.
fn longest_gap(times: &[Instant], from: Instant, to: Instant) -> Duration {
    let mut last = from;
    let mut gap = Duration::ZERO;
    for &t in times.iter().filter(|&&t| t >= from && t <= to) {
        gap = gap.max(t - last);
        last = t;
    }
    gap.max(to.saturating_duration_since(last))
}

#[tokio::test(flavor = "current_thread")]
async fn misbehaving_servers_are_reported_and_hold_no_other_check_up() {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<CheckEvent>();
    let engine = Engine::start(tx);
    let refused = closed_port();
    let (_gone, gone, _fillers) = gone_listener().await;
    let (silent, _) = silent_listener().await;
    // Healthy ones, each with its own listener, checked every 200 ms.
    let mut healthy = Vec::new();
    for i in 0..20 {
        let (port, accepts) = silent_listener().await;
        engine
            .add(
                CheckerId(100 + i),
                timing(200),
                tcp(port, 1000),
                Arc::default(),
            )
            .unwrap();
        healthy.push(accepts);
    }
    // The misbehaving ones; the gone one's connect_timeout is long (2 s): a check that
    // waited on it in line would hold the others up that long.
    engine
        .add(
            CheckerId(1),
            timing(200),
            tcp(refused, 1000),
            Arc::default(),
        )
        .unwrap();
    engine
        .add(CheckerId(2), timing(200), tcp(gone, 2000), Arc::default())
        .unwrap();
    engine
        .add(CheckerId(3), timing(200), tcp(silent, 1000), Arc::default())
        .unwrap();
    let http = HttpCheck::new(
        Connection::new(LO, silent, Duration::from_millis(500)),
        HttpProtocol::Http10,
        None,
        vec![UrlCheck {
            path: "/".into(),
            status_code: vec![(200, 299)],
            digest: None,
            virtualhost: None,
            regex: None,
        }],
    )
    .unwrap();
    engine
        .add(CheckerId(4), timing(200), Arc::new(http), Arc::default())
        .unwrap();
    let t0 = Instant::now();
    let mut last: HashMap<u64, CheckEvent> = HashMap::new();
    let until = t0 + Duration::from_secs(6);
    while let Ok(Some(ev)) = tokio::time::timeout_at(until.into(), rx.recv()).await {
        last.insert(ev.id.0, ev);
    }
    let t1 = Instant::now();
    let state = |id: u64| last.get(&id).map(|e| (e.kind.clone(), e.reason.clone()));
    let (kind, reason) = state(1).expect("the refused one reported");
    assert_eq!(kind, EventKind::Down);
    assert!(reason.contains("refused"), "{reason}");
    let (kind, reason) = state(2).expect("the gone one reported");
    assert_eq!(kind, EventKind::Down);
    assert!(reason.contains("timed out after 2s"), "{reason}");
    // TCP_CHECK: a connection made is a success, whatever the server does next.
    assert_eq!(state(3).map(|s| s.0), Some(EventKind::Up { weight: None }));
    let (kind, reason) = state(4).expect("the HTTP check reported");
    assert_eq!(kind, EventKind::Down);
    assert!(reason.contains("GET /"), "{reason}");
    // The healthy ones were checked all along, every 200 ms plus the check.
    let from = t0 + Duration::from_millis(500);
    for (i, accepts) in healthy.iter().enumerate() {
        let times = accepts.lock().unwrap().clone();
        let gap = longest_gap(&times, from, t1);
        assert!(
            gap < Duration::from_millis(1200),
            "healthy checker {i} went {gap:?} without a check"
        );
        assert!(
            state(100 + i as u64).map(|s| s.0) == Some(EventKind::Up { weight: None }),
            "healthy checker {i}: {:?}",
            state(100 + i as u64)
        );
    }
    engine.shutdown().await;
}
