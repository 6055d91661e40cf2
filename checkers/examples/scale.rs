//! Checker scale: N TCP_CHECKs in one [`Engine`] at a given delay_loop against listeners on
//! loopback, run for a while; prints the checks the listeners accepted, the failures, the
//! check-interval jitter, CPU time and RSS.
//!
//!   cargo run --release -p checkers --example scale -- [N] [DELAY_LOOP_MS] [SECONDS] [MODE]
//!
//! Defaults: 10000 checkers, 1000 ms, 20 s. Listeners on 50 loopback addresses (127.0.1.1..50)
//! x N/50 ports, so that each checker is known at the listener by the address and port it
//! connects to, and no address pair runs out of ephemeral ports; they accept, then wait for
//! the checker to close (as a real server waiting for a request does), then close. The
//! checkers' warmup is the delay_loop, spreading the first checks as keepalived does. MODE
//! `batched` (the default) lets the engine make the TCP connects itself (`engine::connect`);
//! `future` hides that, so each check is the probe's future, for comparison.
//!
//! Allocations per check: run it under `heaptrack` for two durations; the difference of the
//! allocation calls divided by the difference of the checks.

use checkers::tcp::{Connection, TcpCheck};
use checkers::{CheckerId, Engine, EventKind, Probe, ProbeFuture, Timing};
use std::net::{IpAddr, Ipv4Addr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::AsyncReadExt;

/// TCP_CHECK as a plain future: the engine does not see it is a TCP connect.
struct AsFuture(TcpCheck);

impl Probe for AsFuture {
    fn probe(&self) -> ProbeFuture<'_> {
        self.0.probe()
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

/// utime + stime of the calling thread (`thread-self`) or of the process (`self`), in seconds
/// (clock ticks of 1/100 s).
fn cpu_secs(of: &str) -> f64 {
    let s = std::fs::read_to_string(format!("/proc/{of}/stat")).unwrap_or_default();
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

const ADDRESSES: usize = 50;
const FIRST_PORT: u16 = 21000;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let num = |i: usize, default: u64| {
        args.get(i)
            .map(|a| a.parse().expect("a number"))
            .unwrap_or(default)
    };
    let n = num(0, 10_000) as usize;
    let delay = Duration::from_millis(num(1, 1000));
    let secs = num(2, 20);
    let batched = args.get(3).map_or(true, |m| m != "future");
    let ports = n.div_ceil(ADDRESSES);

    // The listeners run on a thread of their own, so that the checkers' thread is measured
    // alone. Each accept is recorded (which checker, when), the connection held until the
    // checker closes it.
    let t0 = Instant::now();
    let accepts: Arc<Vec<Mutex<Vec<u32>>>> =
        Arc::new((0..n).map(|_| Mutex::new(Vec::new())).collect());
    let accepted = Arc::new(AtomicU64::new(0));
    let (acc, count) = (accepts.clone(), accepted.clone());
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            for p in 0..ports {
                for a in 0..ADDRESSES {
                    let i = p * ADDRESSES + a;
                    if i >= n {
                        break;
                    }
                    let ip = Ipv4Addr::new(127, 0, 1, 1 + a as u8);
                    let l = tokio::net::TcpListener::bind((ip, FIRST_PORT + p as u16))
                        .await
                        .expect("a listener (raise the open-file limit: ulimit -n)");
                    let (acc, count) = (acc.clone(), count.clone());
                    tokio::spawn(async move {
                        while let Ok((mut s, _)) = l.accept().await {
                            count.fetch_add(1, Ordering::Relaxed);
                            let at = t0.elapsed().as_micros() as u32;
                            acc[i].lock().unwrap().push(at);
                            tokio::spawn(async move {
                                let mut b = [0u8; 16];
                                let _ = s.read(&mut b).await;
                            });
                        }
                    });
                }
            }
            ready_tx.send(()).unwrap();
            std::future::pending::<()>().await;
        });
    });
    ready_rx.recv().unwrap();

    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let rss_before = status_kb("VmRSS:");
    let timing = Timing {
        delay_loop: delay,
        retry: 1,
        delay_before_retry: delay,
        warmup: delay,
        alpha: false,
        log_all_failures: true,
    };
    let engine = Engine::start(tx);
    for i in 0..n {
        let ip = IpAddr::V4(Ipv4Addr::new(127, 0, 1, 1 + (i % ADDRESSES) as u8));
        let port = FIRST_PORT + (i / ADDRESSES) as u16;
        let check = TcpCheck::new(Connection::new(ip, port, Duration::from_secs(5))).unwrap();
        let probe: Arc<dyn Probe> = if batched {
            Arc::new(check)
        } else {
            Arc::new(AsFuture(check))
        };
        engine
            .add(CheckerId(i as u64), timing, probe, Arc::default())
            .unwrap();
    }
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
    // Jitter and throughput are measured after the warmup spread.
    tokio::time::sleep(delay * 2).await;
    let w0 = t0.elapsed().as_micros() as u32;
    // The engine runs on this thread (a current-thread runtime); the listeners on another.
    let (cpu0, all0, a0) = (
        cpu_secs("thread-self"),
        cpu_secs("self"),
        accepted.load(Ordering::Relaxed),
    );
    let start = Instant::now();
    tokio::time::sleep(Duration::from_secs(secs)).await;
    let wall = start.elapsed().as_secs_f64();
    let (cpu, all, checks) = (
        cpu_secs("thread-self") - cpu0,
        cpu_secs("self") - all0,
        accepted.load(Ordering::Relaxed) - a0,
    );
    let mut gaps: Vec<u32> = Vec::new();
    for a in accepts.iter() {
        let a = a.lock().unwrap();
        let inside: Vec<u32> = a.iter().copied().filter(|&t| t >= w0).collect();
        gaps.extend(inside.windows(2).map(|w| w[1] - w[0]));
    }
    gaps.sort_unstable();
    let d = delay.as_micros() as f64;
    let pct = |p: f64| {
        gaps.get(((gaps.len() as f64 - 1.0) * p) as usize)
            .map_or(0.0, |&v| (v as f64 - d) / 1000.0)
    };
    println!(
        "checkers {n}, delay_loop {delay:?}, {secs} s, {} connects",
        if batched { "batched" } else { "as futures" }
    );
    println!(
        "checks {checks} ({:.0}/s, accepted by the listeners), failed attempts {}",
        checks as f64 / wall,
        failures.load(Ordering::Relaxed)
    );
    println!(
        "CPU of the checkers' thread {:.1} % of one core, {:.1} us per check (with the listeners {:.1} %)",
        100.0 * cpu / wall,
        cpu * 1e6 / checks.max(1) as f64,
        100.0 * all / wall
    );
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
        gaps.len()
    );
    drop(engine);
    std::process::exit(0);
}
