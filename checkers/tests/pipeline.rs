//! Engine + TCP_CHECK + effects together, on the real clock against loopback listeners: a real
//! server whose service stops leaves its virtual server within the configured bound
//! (delay_loop + connect_timeout + retry x (delay_before_retry + connect_timeout)), the
//! notifications come in order, and it comes back when the service does.

use checkers::effects::{CheckerConfig, Notify, Pool, RealServerConfig, VirtualServerConfig};
use checkers::tcp::{Connection, TcpCheck};
use checkers::{spawn_checker, CheckEvent, CheckerId, Timing};
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio::sync::mpsc::UnboundedReceiver;

const LO: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

/// Feeds events into the pool until `done(pool)` holds; returns the notifications seen.
async fn until(
    rx: &mut UnboundedReceiver<CheckEvent>,
    pool: &mut Pool,
    done: impl Fn(&Pool) -> bool,
) -> Vec<Notify> {
    let mut notes = Vec::new();
    while !done(pool) {
        let ev = tokio::time::timeout(Duration::from_secs(20), rx.recv())
            .await
            .expect("an event in time")
            .unwrap();
        notes.extend(pool.apply(&ev).unwrap());
    }
    notes
}

#[tokio::test]
async fn a_stopped_service_leaves_and_comes_back() {
    let a = TcpListener::bind((LO, 0)).await.unwrap();
    let b = TcpListener::bind((LO, 0)).await.unwrap();
    let (pa, pb) = (
        a.local_addr().unwrap().port(),
        b.local_addr().unwrap().port(),
    );
    let timing = Timing {
        delay_loop: Duration::from_millis(300),
        retry: 2,
        delay_before_retry: Duration::from_millis(100),
        warmup: Duration::ZERO,
        alpha: false,
        log_all_failures: false,
    };
    let connect_timeout = Duration::from_millis(500);
    let rs = |port, id| RealServerConfig {
        address: LO,
        port,
        weight: 1,
        inhibit_on_failure: false,
        checkers: vec![CheckerConfig {
            id: CheckerId(id),
            alpha: false,
        }],
    };
    let mut pool = Pool::new(vec![VirtualServerConfig {
        key: "vs".into(),
        quorum: 1,
        hysteresis: 0,
        omega: false,
        sorry_server: None,
        real_servers: vec![rs(pa, 0), rs(pb, 1)],
    }]);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let mut tasks = Vec::new();
    for (i, port) in [pa, pb].into_iter().enumerate() {
        let probe = Arc::new(TcpCheck::new(Connection::new(LO, port, connect_timeout)).unwrap());
        tasks.push(
            spawn_checker(
                CheckerId(i as u64),
                timing,
                probe,
                tx.clone(),
                Arc::default(),
            )
            .unwrap(),
        );
    }
    let ports = |p: &Pool| p.desired()[0].iter().map(|d| d.port).collect::<Vec<_>>();
    assert_eq!(ports(&pool), vec![pa, pb]);

    let stopped = Instant::now();
    drop(a);
    let notes = until(&mut rx, &mut pool, |p| p.is_alive(0, 0) == Some(false)).await;
    let took = stopped.elapsed();
    assert_eq!(notes, vec![Notify::RealServerDown { vs: 0, rs: 0 }]);
    assert_eq!(ports(&pool), vec![pb]);
    let bound = timing.delay_loop
        + connect_timeout
        + (timing.delay_before_retry + connect_timeout) * timing.retry;
    eprintln!("removed {took:?} after the service stopped (bound {bound:?})");
    // Generous: the bound plus scheduling slack on a loaded machine.
    assert!(
        took <= bound + Duration::from_secs(2),
        "took {took:?}, bound {bound:?}"
    );

    let _a = TcpListener::bind((LO, pa)).await.unwrap();
    let notes = until(&mut rx, &mut pool, |p| p.is_alive(0, 0) == Some(true)).await;
    assert_eq!(notes, vec![Notify::RealServerUp { vs: 0, rs: 0 }]);
    assert_eq!(ports(&pool), vec![pa, pb]);

    // Both gone: quorum lost after the second server's notification.
    drop(_a);
    drop(b);
    let notes = until(&mut rx, &mut pool, |p| p.quorum_up(0) == Some(false)).await;
    assert_eq!(notes.last(), Some(&Notify::QuorumDown { vs: 0 }));
    assert_eq!(
        notes
            .iter()
            .filter(|n| matches!(n, Notify::RealServerDown { .. }))
            .count(),
        2
    );
    assert!(pool.desired()[0].is_empty());
    for t in tasks {
        t.abort();
    }
}
