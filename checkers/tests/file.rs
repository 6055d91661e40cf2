//! FILE_CHECK through the engine and the effects pool (real clock, short delay_loop): the file's
//! value as a status (weight 0) and as a weight added to the real server's.

use checkers::effects::{CheckerConfig, Notify, Pool, RealServerConfig, VirtualServerConfig};
use checkers::file::FileCheck;
use checkers::{spawn_checker, CheckEvent, CheckerId, DynamicWeight, EventKind, Timing};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc::UnboundedReceiver;

struct TempFile(PathBuf);

impl TempFile {
    fn new(tag: &str) -> TempFile {
        TempFile(std::env::temp_dir().join(format!("checkers-file-{tag}-{}", std::process::id())))
    }
    fn set(&self, text: &str) {
        std::fs::write(&self.0, text).unwrap();
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

const TIMING: Timing = Timing {
    delay_loop: Duration::from_millis(50),
    retry: 0,
    delay_before_retry: Duration::from_millis(50),
    warmup: Duration::ZERO,
    alpha: false,
    log_all_failures: false,
};

async fn next(rx: &mut UnboundedReceiver<CheckEvent>) -> CheckEvent {
    tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .expect("an event in time")
        .unwrap()
}

#[tokio::test]
async fn weight_zero_follows_the_file_as_a_status() {
    let f = TempFile::new("status");
    f.set("0\n");
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let id = CheckerId(0);
    let h = spawn_checker(
        id,
        TIMING,
        Arc::new(FileCheck::new(f.0.clone(), 0, false).unwrap()),
        tx,
        Arc::default(),
    )
    .unwrap();
    f.set("1\n");
    let ev = next(&mut rx).await;
    assert_eq!(ev.kind, EventKind::Down);
    assert!(ev.reason.contains("value 1"), "{}", ev.reason);
    // A removed file reads as 0: up again.
    std::fs::remove_file(&f.0).unwrap();
    assert_eq!(next(&mut rx).await.kind, EventKind::Up { weight: None });
    h.abort();
}

#[tokio::test]
async fn a_weight_moves_the_real_server_s_weight_and_the_quorum() {
    let f = TempFile::new("weight");
    f.set("2");
    let mut pool = Pool::new(vec![VirtualServerConfig {
        key: "vs".into(),
        quorum: 5,
        hysteresis: 0,
        omega: false,
        sorry_server: None,
        real_servers: vec![RealServerConfig {
            address: "10.0.0.1".parse().unwrap(),
            port: 80,
            weight: 10,
            inhibit_on_failure: false,
            checkers: vec![CheckerConfig {
                id: CheckerId(0),
                alpha: false,
            }],
        }],
    }]);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let id = CheckerId(0);
    let h = spawn_checker(
        id,
        TIMING,
        Arc::new(FileCheck::new(f.0.clone(), -3, false).unwrap()),
        tx,
        Arc::default(),
    )
    .unwrap();
    // 10 + 2 x -3 = 4 < quorum 5.
    let ev = next(&mut rx).await;
    // The first check says its weight with the first success.
    assert_eq!(
        ev.kind,
        EventKind::Up {
            weight: Some(DynamicWeight::Add(-6))
        }
    );
    assert_eq!(pool.apply(&ev).unwrap(), vec![Notify::QuorumDown { vs: 0 }]);
    assert_eq!(pool.desired()[0][0].weight, 4);
    f.set("-1");
    let ev = next(&mut rx).await;
    assert_eq!(ev.kind, EventKind::Weight(DynamicWeight::Add(3)));
    assert_eq!(pool.apply(&ev).unwrap(), vec![Notify::QuorumUp { vs: 0 }]);
    assert_eq!(pool.desired()[0][0].weight, 13);
    h.abort();
}
