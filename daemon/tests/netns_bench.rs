//! Failover timings of keepalived-rs and keepalived side by side in the netns lab, read from the
//! observer's capture. A benchmark, not a test: `#[ignore]`d, run by hand with
//!
//! ```text
//! cargo nextest run -p keepalived-rs --test netns_bench --run-ignored only --no-capture
//! ```
//!
//! and written down in docs/benchmarks.md (`KRS_BIN` must be an absolute path;
//! `KRS_BENCH_SKIP_KEEPALIVED=1` measures only keepalived-rs; `KRS_BENCH_ONLY="v3 0.1"` runs only the scenarios
//! whose version and advert_int start so). Each run builds a fresh lab, starts MASTER 150 and
//! BACKUP 100 of one implementation, lets them settle, then kills the master (-9) or stops it
//! (SIGTERM), and reads: the last master advert -> the backup's first advert (limit:
//! Master_Down_Interval after kill -9, Skew_Time after the priority-0 advert), and the backup's
//! first advert -> its first GARP.

mod common;

use std::net::Ipv4Addr;
use std::time::Duration;

use common::{wait_for, Conf, Frame, Lab};

#[derive(Clone, Copy, PartialEq)]
enum Impl {
    Ours,
    Keepalived,
}

#[derive(Clone, Copy, PartialEq)]
enum Stop {
    Kill,
    Term,
}

const RUNS: usize = 6;

/// The time from the old master's last advert (any priority) to the new one's first, and from
/// there to its first GARP.
fn timings(frames: &[Frame], vip: Ipv4Addr) -> Option<(f64, f64)> {
    let (old, new) = (Ipv4Addr::new(10, 9, 0, 1), Ipv4Addr::new(10, 9, 0, 2));
    let first_new = frames.iter().find(|f| {
        f.vrrp4()
            .is_some_and(|(s, _, p)| s == new && p.len() > 2 && p[2] != 0)
    })?;
    let last_old = frames
        .iter()
        .rev()
        .find(|f| f.time <= first_new.time && f.vrrp4().is_some_and(|(s, _, _)| s == old))?;
    let garp = frames
        .iter()
        .find(|f| f.time >= first_new.time && f.src_mac() == Lab::mac(1) && f.is_garp_for(vip))?;
    Some((first_new.time - last_old.time, garp.time - first_new.time))
}

fn one_run(
    which: Impl,
    version: u8,
    advert_int: &'static str,
    stop: Stop,
    run: usize,
) -> Option<(f64, f64)> {
    let tag = format!("bn{run}");
    let mut lab = common::lab_or_skip("netns_bench", &tag, 2)?;
    let (a, b) = (lab.node(0).to_string(), lab.node(1).to_string());
    let mk = |state, prio| {
        let mut c = Conf::v2(state, prio);
        c.version = version;
        c.advert_int = advert_int;
        if version == 3 {
            c.pass = None;
        }
        c.text()
    };
    let start = |ns: &str, name: &str, text: &str| match which {
        Impl::Ours => lab.start_ours(ns, name, text),
        Impl::Keepalived => lab.start_keepalived(ns, name, text),
    };
    let mut ma = start(&a, "a", &mk("MASTER", 150));
    let mb = start(&b, "b", &mk("BACKUP", 100));
    wait_for(Duration::from_secs(10), || lab.has(&a, "10.9.0.100"))?;
    std::thread::sleep(Duration::from_secs(2));
    match stop {
        Stop::Kill => {
            // keepalived's VRRP work is done by a child that its parent's death would stop
            // gracefully (priority 0): a crash is the child killed.
            if which == Impl::Keepalived {
                let pid = std::fs::read_to_string(lab.dir.join("a-vrrp.pid")).ok()?;
                let pid = nix::unistd::Pid::from_raw(pid.trim().parse().ok()?);
                nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGKILL).ok()?;
            }
            ma.kill9()
        }
        Stop::Term => {
            ma.term(Duration::from_secs(10));
        }
    }
    wait_for(Duration::from_secs(10), || lab.has(&b, "10.9.0.100"))?;
    let vip: Ipv4Addr = "10.9.0.100".parse().ok()?;
    let frames = lab.capture_until(Duration::from_secs(3), |fs| timings(fs, vip).is_some());
    // keepalived-rs says (with -D) how long the last advert waited in its receive path and how
    // late its Master_Down timer fired: where the time beyond the limit goes.
    if let Some(l) = mb.log_text().lines().find(|l| l.contains("timing:")) {
        eprintln!("DIAG run {run}: {}", l.trim());
    }
    drop(mb);
    timings(&frames, vip)
}

fn stats(v: &mut [f64]) -> String {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    if v.is_empty() {
        return "no data".into();
    }
    format!(
        "min {:.3} / median {:.3} / max {:.3} ms",
        v[0] * 1e3,
        v[v.len() / 2] * 1e3,
        v[v.len() - 1] * 1e3
    )
}

fn scenario(version: u8, advert_int: &'static str, stop: Stop, limit_ms: f64) {
    // KRS_BENCH_ONLY="v3 0.01" runs only the scenarios whose "vVERSION ADVERT_INT" starts so.
    if let Ok(only) = std::env::var("KRS_BENCH_ONLY") {
        if !format!("v{version} {advert_int}").starts_with(only.trim()) {
            return;
        }
    }
    for (which, name) in [
        (Impl::Ours, "keepalived-rs"),
        (Impl::Keepalived, "keepalived 2.2.7"),
    ] {
        // KRS_BENCH_SKIP_KEEPALIVED=1: only keepalived-rs (keepalived's numbers do not change
        // between builds of ours).
        if which == Impl::Keepalived && std::env::var_os("KRS_BENCH_SKIP_KEEPALIVED").is_some() {
            continue;
        }
        let (mut down, mut garp) = (Vec::new(), Vec::new());
        for run in 0..RUNS {
            if let Some((d, g)) = one_run(which, version, advert_int, stop, run) {
                down.push(d);
                garp.push(g);
            }
        }
        let what = if stop == Stop::Kill {
            "kill -9"
        } else {
            "SIGTERM"
        };
        eprintln!(
            "BENCH v{version} advert_int {advert_int} {what} {name} ({} runs): last master advert -> first backup advert {} (limit {limit_ms:.1} ms); advert -> GARP {}",
            down.len(),
            stats(&mut down),
            stats(&mut garp)
        );
    }
}

#[test]
#[ignore = "benchmark: run by hand, see the module comment"]
fn netns_bench_failover_side_by_side() {
    if let Some(why) = common::cannot_run() {
        eprintln!("SKIP: netns_bench_failover_side_by_side: {why}");
        return;
    }
    scenario(2, "1", Stop::Kill, 3000.0 + 609.4);
    scenario(2, "1", Stop::Term, 609.4);
    scenario(3, "0.1", Stop::Kill, 300.0 + 60.9);
    // Skew_Time = (256 - 100) x 10 ms / 256.
    scenario(3, "0.01", Stop::Kill, 30.0 + 6.1);
}

/// Resident memory (kB) and CPU time (clock ticks) of a process, from /proc.
/// RSS (kB) and (utime, stime) in clock ticks of process `pid`.
fn rss_and_ticks(pid: i32) -> Option<(u64, (u64, u64))> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let rss = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = stat.rsplit_once(')')?.1;
    let f: Vec<&str> = after.split_whitespace().collect();
    // Fields 14 and 15 (utime, stime) are the 12th and 13th after the command name.
    let ticks = (
        f.get(11)?.parse::<u64>().ok()?,
        f.get(12)?.parse::<u64>().ok()?,
    );
    Some((rss, ticks))
}

/// Time on a CPU (ns) and voluntary context switches (the times a thread went to sleep, so
/// its wake-ups) of process `pid`, its threads added up (from /proc: a thread that ended is not
/// counted). Finer than utime + stime, which count in 10 ms ticks.
fn run_ns_and_switches(pid: i32) -> (u64, u64) {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return (0, 0);
    };
    let mut total = (0, 0);
    for t in tasks.flatten() {
        let dir = t.path();
        let ns = std::fs::read_to_string(dir.join("schedstat"))
            .ok()
            .and_then(|s| s.split_whitespace().next()?.parse::<u64>().ok())
            .unwrap_or(0);
        let switches = std::fs::read_to_string(dir.join("status"))
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("voluntary_ctxt_switches:"))?
                    .split_whitespace()
                    .nth(1)?
                    .parse::<u64>()
                    .ok()
            })
            .unwrap_or(0);
        total = (total.0 + ns, total.1 + switches);
    }
    total
}

fn many_instances(n: usize, version: u8, advert_int: &str) -> String {
    let mut text = format!("global_defs {{\n    vrrp_version {version}\n}}\n");
    for i in 1..=n {
        text.push_str(&format!(
            "vrrp_instance VI_{i} {{\n    state MASTER\n    interface eth0\n    virtual_router_id {i}\n    priority 150\n    advert_int {advert_int}\n    virtual_ipaddress {{\n        10.9.{}.{}/32\n    }}\n}}\n",
            100 + i / 250,
            1 + i % 250
        ));
    }
    text
}

/// Idle cost over 60 s with 1 and with 50 master instances (VRRPv3, advert_int 0.1: issue 16's
/// setting), keepalived-rs and keepalived (every process of each added up), all four at once in
/// labs of their own. Environment: `KRS_BENCH_IDLE_N` (instance counts, comma-separated; default
/// `1,50`), `KRS_BENCH_IDLE_VERSION` (2 or 3; default 3), `KRS_BENCH_IDLE_ADVERT` (advert_int;
/// default 0.1; VRRPv2 takes whole seconds).
#[test]
#[ignore = "benchmark: run by hand, see the module comment"]
fn netns_bench_idle_rss_and_cpu() {
    if let Some(why) = common::cannot_run() {
        eprintln!("SKIP: netns_bench_idle_rss_and_cpu: {why}");
        return;
    }
    let ticks_per_sec = 100.0; // USER_HZ on Linux
    let counts: Vec<usize> = std::env::var("KRS_BENCH_IDLE_N")
        .unwrap_or_else(|_| "1,50".into())
        .split(',')
        .map(|v| {
            v.trim()
                .parse()
                .expect("KRS_BENCH_IDLE_N: numbers separated by commas")
        })
        .collect();
    let version: u8 = std::env::var("KRS_BENCH_IDLE_VERSION")
        .ok()
        .map_or(3, |v| v.parse().expect("KRS_BENCH_IDLE_VERSION: 2 or 3"));
    let advert = std::env::var("KRS_BENCH_IDLE_ADVERT").unwrap_or_else(|_| "0.1".into());
    eprintln!("BENCH idle: VRRPv{version}, advert_int {advert}, instances {counts:?}");
    let mut handles = Vec::new();
    for which in [Impl::Ours, Impl::Keepalived] {
        for &n in &counts {
            let advert = advert.clone();
            handles.push(std::thread::spawn(move || {
                let tag = format!("id{}{n}", if which == Impl::Ours { "o" } else { "k" });
                let lab = common::lab_or_skip("netns_bench_idle_rss_and_cpu", &tag, 1)?;
                let a = lab.node(0).to_string();
                let text = many_instances(n, version, &advert);
                let d = match which {
                    Impl::Ours => lab.start_ours(&a, "a", &text),
                    Impl::Keepalived => lab.start_keepalived(&a, "a", &text),
                };
                std::thread::sleep(Duration::from_secs(8));
                // The daemon and every child of it (keepalived: its VRRP child, and a checker
                // child if it started one).
                let parent: i32 = std::fs::read_to_string(lab.dir.join("a.pid"))
                    .ok()?
                    .trim()
                    .parse()
                    .ok()?;
                let pids: Vec<i32> = std::iter::once(parent).chain(children(parent)).collect();
                let sample = || {
                    pids.iter()
                        .filter_map(|&p| {
                            let (rss, (user, system)) = rss_and_ticks(p)?;
                            let (ns, switches) = run_ns_and_switches(p);
                            Some([rss, user, system, ns, switches])
                        })
                        .fold([0; 5], |a, b| std::array::from_fn(|i| a[i] + b[i]))
                };
                let before = sample();
                std::thread::sleep(Duration::from_secs(60));
                let after = sample();
                drop(d);
                Some(Idle {
                    which,
                    n,
                    processes: pids.len(),
                    rss: after[0],
                    user: (after[1] - before[1]) as f64 / ticks_per_sec,
                    system: (after[2] - before[2]) as f64 / ticks_per_sec,
                    run: (after[3].saturating_sub(before[3])) as f64 / 1e9,
                    wakeups: (after[4].saturating_sub(before[4])) as f64 / 60.0,
                })
            }));
        }
    }
    for h in handles {
        if let Ok(Some(i)) = h.join() {
            let name = if i.which == Impl::Ours {
                "keepalived-rs"
            } else {
                "keepalived 2.2.7"
            };
            eprintln!(
                "BENCH idle {name} {} instance(s): RSS {} kB ({} process(es)), CPU {:.2} s per 60 s (user {:.2}, system {:.2}; on CPU {:.3} s), {:.1} wake-ups/s",
                i.n, i.rss, i.processes, i.user + i.system, i.user, i.system, i.run, i.wakeups
            );
        }
    }
}

/// One daemon's idle figures: RSS (kB) at the end; over the 60 s, CPU as utime and stime (s),
/// time on a CPU (s, schedstat) and wake-ups a second (voluntary context switches).
struct Idle {
    which: Impl,
    n: usize,
    processes: usize,
    rss: u64,
    user: f64,
    system: f64,
    run: f64,
    wakeups: f64,
}

/// The processes whose parent is `pid`.
fn children(pid: i32) -> Vec<i32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter(|p| {
            let stat = std::fs::read_to_string(format!("/proc/{p}/stat")).unwrap_or_default();
            let after = stat.rsplit_once(')').map_or("", |(_, a)| a);
            after.split_whitespace().nth(1) == Some(pid.to_string().as_str())
        })
        .collect()
}
