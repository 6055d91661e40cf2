//! Checker scale: N TCP_CHECKs at a given delay_loop against listeners on loopback, run for a
//! while; prints the checks done, failures, the check-interval jitter, CPU time and RSS.
//!
//!   cargo run --release -p checkers --example scale -- [N] [DELAY_LOOP_MS] [SECONDS] [LISTENERS]
//!
//! Defaults: 10000 checkers, 1000 ms, 20 s, 50 listeners (127.0.0.1..=50, one port), so that
//! no single address pair runs out of ephemeral ports. The checkers' warmup is the delay_loop,
//! spreading the first checks as keepalived does.

use checkers::tcp::{Connection, TcpCheck};
use checkers::{spawn_checker, CheckerId, EventKind, Probe, ProbeFuture, Timing};
use std::net::{IpAddr, Ipv4Addr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Wraps a probe, recording the gap between the starts of consecutive checks.
struct Timed {
    inner: TcpCheck,
    last: Mutex<Option<Instant>>,
    gaps: Arc<Mutex<Vec<u32>>>,
    checks: Arc<AtomicU64>,
    after: Instant,
}

impl Probe for Timed {
    fn probe(&self) -> ProbeFuture<'_> {
        Box::pin(async move {
            let now = Instant::now();
            self.checks.fetch_add(1, Ordering::Relaxed);
            if let Some(prev) = self.last.lock().unwrap().replace(now) {
                if now >= self.after {
                    self.gaps
                        .lock()
                        .unwrap()
                        .push(u32::try_from((now - prev).as_micros()).unwrap_or(u32::MAX));
                }
            }
            self.inner.probe().await
        })
    }
}

fn status_kb(field: &str) -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    s.lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// utime + stime from /proc/self/stat, in seconds (clock ticks of 1/100 s).
fn cpu_secs() -> f64 {
    let s = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after_comm = s.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after_comm.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // Fields 14 and 15 of the line; 12 and 13 after the command name and state.
    (ticks(11) + ticks(12)) / 100.0
}

#[tokio::main]
async fn main() {
    let args: Vec<u64> = std::env::args()
        .skip(1)
        .map(|a| a.parse().expect("numbers"))
        .collect();
    let n = *args.first().unwrap_or(&10_000) as usize;
    let delay = Duration::from_millis(*args.get(1).unwrap_or(&1000));
    let secs = *args.get(2).unwrap_or(&20);
    let listeners = *args.get(3).unwrap_or(&50) as u8;

    let mut ports = Vec::new();
    let first = tokio::net::TcpListener::bind((Ipv4Addr::new(127, 0, 0, 1), 0))
        .await
        .unwrap();
    let port = first.local_addr().unwrap().port();
    let mut all = vec![first];
    for i in 2..=listeners {
        all.push(
            tokio::net::TcpListener::bind((Ipv4Addr::new(127, 0, 0, i), port))
                .await
                .unwrap(),
        );
    }
    for l in all {
        ports.push(port);
        tokio::spawn(async move {
            loop {
                if let Ok((s, _)) = l.accept().await {
                    drop(s);
                }
            }
        });
    }

    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let gaps = Arc::new(Mutex::new(Vec::new()));
    let checks = Arc::new(AtomicU64::new(0));
    // Jitter is measured after the warmup spread.
    let after = Instant::now() + delay * 2;
    let rss_before = status_kb("VmRSS:");
    let timing = Timing {
        delay_loop: delay,
        retry: 1,
        delay_before_retry: delay,
        warmup: delay,
        alpha: false,
        log_all_failures: true,
    };
    for i in 0..n {
        let ip = IpAddr::V4(Ipv4Addr::new(
            127,
            0,
            0,
            1 + (i % usize::from(listeners)) as u8,
        ));
        let inner = TcpCheck::new(Connection::new(ip, port, Duration::from_secs(5))).unwrap();
        let probe = Timed {
            inner,
            last: Mutex::new(None),
            gaps: gaps.clone(),
            checks: checks.clone(),
            after,
        };
        spawn_checker(
            CheckerId(i as u64),
            timing,
            Arc::new(probe),
            tx.clone(),
            Arc::default(),
        )
        .unwrap();
    }
    drop(tx);
    let failures = Arc::new(AtomicU64::new(0));
    let f2 = failures.clone();
    tokio::spawn(async move {
        while let Some(ev) = rx.recv().await {
            if matches!(ev.kind, EventKind::Failure | EventKind::Down)
                && f2.fetch_add(1, Ordering::Relaxed) < 3
            {
                eprintln!("failure: {} {}", ev.id, ev.reason);
            }
        }
    });
    let cpu0 = cpu_secs();
    let t0 = Instant::now();
    tokio::time::sleep(Duration::from_secs(secs)).await;
    let wall = t0.elapsed().as_secs_f64();
    let cpu = cpu_secs() - cpu0;
    let mut g = gaps.lock().unwrap().clone();
    g.sort_unstable();
    let d = delay.as_micros() as f64;
    let pct = |p: f64| {
        g.get(((g.len() as f64 - 1.0) * p) as usize)
            .map_or(0.0, |&v| (v as f64 - d) / 1000.0)
    };
    println!("checkers {n}, delay_loop {delay:?}, {secs} s, {listeners} listener addresses");
    println!(
        "checks {} ({:.0}/s), failed attempts {}",
        checks.load(Ordering::Relaxed),
        checks.load(Ordering::Relaxed) as f64 / wall,
        failures.load(Ordering::Relaxed)
    );
    println!("CPU {:.1} % of one core", 100.0 * cpu / wall);
    println!(
        "RSS {} KiB (before checkers {} KiB, peak {} KiB)",
        status_kb("VmRSS:"),
        rss_before,
        status_kb("VmHWM:")
    );
    println!(
        "interval - delay_loop (ms): p50 {:.2}, p99 {:.2}, max {:.2} over {} intervals",
        pct(0.5),
        pct(0.99),
        pct(1.0),
        g.len()
    );
    std::process::exit(0);
}
