//! The classic LVS-DR pair end to end (issue 6), in the test VM (IPVS needed; see
//! tests/vm/README.md): one bridge, five namespaces from `common::Lab`:
//!
//! ```text
//!  n1 client   10.9.0.1 (+ 10.9.0.100-139 as request sources)
//!  n2 director 10.9.0.2  etc/keepalived-lvs-dr-master.conf (MASTER 100), keepalived-rs
//!  n3 director 10.9.0.3  etc/keepalived-lvs-dr-backup.conf (BACKUP 90), keepalived-rs or keepalived
//!  n4 real     10.9.0.4  VIP 10.9.0.150/32 on lo, arp_ignore 1, arp_announce 2, httpd saying "r1"
//!  n5 real     10.9.0.5  the same, saying "r2"
//! ```
//!
//! The directors' configurations are the shipped pair with the lab's addresses, shorter
//! checker timings and `retry` for `nb_get_retry` (which keepalived 2.2 ignores in TCP_CHECK). The client requests http://VIP/ every 100 ms from a thread inside n1, from a
//! few source addresses in turn (persistence_timeout 10 ties each source to one real server).
//! Asserted: 1. both real servers answer; 2. a real server whose HTTP service stops leaves the
//! master's IPVS table within delay_loop + connect_timeout + retry x delay_before_retry (plus
//! slack for the emulated VM), no request fails after that, and it comes back when started
//! again; 3. kill -9 of the master director moves the VIP to the backup within
//! Master_Down_Interval (plus slack), the backup's table was complete before, and requests
//! resume through the backup; failed requests during the switch are counted and printed;
//! 4. the same with Debian's keepalived as the backup director.
//! Outside the VM every test prints one `SKIP:` line.

mod common;

use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::dr::*;
use common::{in_netns, in_vm, lab_or_skip, wait_for, Daemon, Lab, KEEPALIVED};

/// The two directors.
struct Pair {
    master: Daemon,
    backup: Daemon,
}

/// Starts the directors (the backup as keepalived or keepalived-rs); waits for the VIP on the
/// master and both real servers in both tables.
fn start_pair(lab: &Lab, backup_is_keepalived: bool) -> Pair {
    let (d1, d2) = (lab.node(1), lab.node(2));
    let master = ours(
        lab,
        d1,
        "d1",
        &director_conf("keepalived-lvs-dr-master.conf"),
    );
    let backup_conf = director_conf("keepalived-lvs-dr-backup.conf");
    let backup = if backup_is_keepalived {
        keepalived(lab, d2, "d2", &backup_conf)
    } else {
        ours(lab, d2, "d2", &backup_conf)
    };
    assert!(
        wait_for(Duration::from_secs(20), || has_vip(lab, d1)).is_some(),
        "the master director never took the VIP:\n{}",
        master.log_text()
    );
    for (ns, d) in [(d1, &master), (d2, &backup)] {
        assert!(
            wait_for(Duration::from_secs(20), || table(ns) == both()).is_some(),
            "{ns}: IPVS table {:?}, wanted {:?}:\n{}",
            table(ns),
            both(),
            d.log_text()
        );
    }
    assert!(!has_vip(lab, d2), "the backup holds the VIP too");
    Pair { master, backup }
}

/// Point 1: both real servers answer (the sources are spread by rr, each kept by persistence).
fn assert_both_answer(client: &Client, since: Instant) {
    assert!(
        client.wait_answers(since, &["r1", "r2"], Duration::from_secs(20)),
        "not both real servers answered: {:?}",
        client.between(since, None)
    );
    println!("MEASURE: point 1: both real servers answered the client through the VIP");
}

/// Points 3 and 4: kill -9 the master, the backup takes the VIP and serves; failed requests
/// during the switch are counted and printed.
fn failover(lab: &Lab, pair: &mut Pair, client: &Client, who: &str) {
    let d2 = lab.node(2);
    // The backup checks the real servers itself: after r1's return its own checker has to see
    // it too (within its delay_loop).
    assert!(
        wait_for(Duration::from_secs(15), || table(d2) == both()).is_some(),
        "the backup's table is not complete before the failover: {:?}",
        table(d2)
    );
    let conns_before = conns(d2);
    let killed = Instant::now();
    pair.master.kill9();
    let took = wait_for(Duration::from_secs(20), || has_vip(lab, d2))
        .unwrap_or_else(|| panic!("the backup never took the VIP:\n{}", pair.backup.log_text()));
    assert_eq!(table(d2), both(), "the backup's table after the takeover");
    // Requests resume, through the backup (its service schedules new connections).
    let resumed = Instant::now();
    assert!(
        wait_for(Duration::from_secs(15), || {
            let (ok, _) = client.between(resumed, None);
            ok.len() >= 10 && conns(d2) > conns_before
        })
        .is_some(),
        "requests did not resume through the backup: {:?}, conns {} -> {}",
        client.between(resumed, None),
        conns_before,
        conns(d2)
    );
    let (ok, failed) = client.between(killed, Some(resumed + Duration::from_secs(3)));
    println!(
        "MEASURE: point {}: kill -9 of the master -> VIP on the backup ({who}) after {:.2} s (Master_Down_Interval {MDI:.2} s); {} of {} client requests failed during the switch{}",
        if who == "keepalived-rs" { 3 } else { 4 },
        took.as_secs_f64(),
        failed.len(),
        ok.len() + failed.len(),
        if failed.is_empty() { String::new() } else { format!(": {failed:?}") }
    );
    assert!(
        took.as_secs_f64() < MDI + SLACK,
        "takeover after {took:?}, Master_Down_Interval {MDI:.2} s:\n{}",
        pair.backup.log_text()
    );
}

#[test]
fn vm_e2e_lvs_dr_pair_keepalived_rs() {
    let test = "vm_e2e_lvs_dr_pair_keepalived_rs";
    if !in_vm(test) {
        return;
    }
    let Some(lab) = lab_or_skip(test, "e", 5) else {
        return;
    };
    let (cl, d1, d2) = (lab.node(0), lab.node(1), lab.node(2));
    let www1 = real_server(&lab, lab.node(3), "r1");
    let www2 = real_server(&lab, lab.node(4), "r2");
    let mut h1 = httpd(&lab, lab.node(3), "r1", &www1);
    let _h2 = httpd(&lab, lab.node(4), "r2", &www2);
    let mut pair = start_pair(&lab, false);
    let client = Client::start(cl);

    // 1.
    assert_both_answer(&client, Instant::now());

    // 2. r1's HTTP service stops: out of both tables within the checker's bound.
    let limit = (DELAY_LOOP + CONNECT_TIMEOUT + RETRY * DELAY_BEFORE_RETRY) as f64;
    let stopped = Instant::now();
    h1.kill9();
    let r2_only = vec![RS[1].1.to_string()];
    let took = wait_for(Duration::from_secs(30), || table(d1) == r2_only).unwrap_or_else(|| {
        save_logs(&lab, test);
        panic!(
            "r1 never left the master's table:\n{}",
            pair.master.log_text()
        )
    });
    println!(
        "MEASURE: point 2: r1 stopped -> removed from the master's IPVS table after {:.2} s (limit delay_loop + connect_timeout + retry x delay_before_retry = {limit} s)",
        took.as_secs_f64()
    );
    assert!(
        took.as_secs_f64() < limit + SLACK,
        "removal took {took:?}, limit {limit} s"
    );
    assert!(
        wait_for(Duration::from_secs(10), || table(d2) == r2_only).is_some(),
        "r1 never left the backup's table"
    );
    let after = Instant::now() + Duration::from_millis(500);
    std::thread::sleep(Duration::from_secs(5));
    let (ok, failed) = client.between(after, None);
    let (_, failed_between) = client.between(stopped, Some(after));
    println!(
        "MEASURE: point 2: {} client requests failed between r1's stop and its removal; {} of {} after",
        failed_between.len(),
        failed.len(),
        ok.len() + failed.len()
    );
    assert!(
        failed.is_empty(),
        "requests failed after r1's removal: {failed:?}"
    );
    assert!(ok.iter().all(|n| n == "r2") && ok.len() >= 10, "{ok:?}");

    // ... and comes back when started again; fresh sources (no persistence) reach it.
    let _h1 = httpd(&lab, lab.node(3), "r1", &www1);
    let back = wait_for(Duration::from_secs(30), || table(d1) == both())
        .expect("r1 never came back into the master's table");
    println!(
        "MEASURE: point 2: r1 started again -> back in the master's table after {:.2} s",
        back.as_secs_f64()
    );
    client.base.store(10, Ordering::Relaxed);
    assert_both_answer(&client, Instant::now());

    // 3.
    failover(&lab, &mut pair, &client, "keepalived-rs");

    // The backup stops cleanly and takes its services out of the kernel (lvs_flush_on_stop off:
    // its own services removed).
    drop(client);
    assert_eq!(
        pair.backup.term(Duration::from_secs(15)),
        Some(0),
        "{}",
        pair.backup.log_text()
    );
    assert!(table(d2).is_empty(), "the backup left its services behind");
    save_logs(&lab, test);
}

#[test]
fn vm_e2e_lvs_dr_pair_keepalived_backup() {
    let test = "vm_e2e_lvs_dr_pair_keepalived_backup";
    if !in_vm(test) {
        return;
    }
    assert!(Path::new(KEEPALIVED).exists(), "{KEEPALIVED} is missing");
    let Some(lab) = lab_or_skip(test, "k", 5) else {
        return;
    };
    let cl = lab.node(0);
    let www1 = real_server(&lab, lab.node(3), "r1");
    let www2 = real_server(&lab, lab.node(4), "r2");
    let _h1 = httpd(&lab, lab.node(3), "r1", &www1);
    let _h2 = httpd(&lab, lab.node(4), "r2", &www2);
    let mut pair = start_pair(&lab, true);
    let client = Client::start(cl);
    assert_both_answer(&client, Instant::now());
    failover(&lab, &mut pair, &client, "keepalived");
    drop(client);
    save_logs(&lab, test);
}

/// Polls the IPVS table of namespace `ns` (through the netlink client, every 5 ms) until
/// `pred` holds for VIP:80's destination addresses; the instant it did, or None after `limit`.
fn poll_table(
    ns: &str,
    limit: Duration,
    pred: impl Fn(&[String]) -> bool + Send + 'static,
) -> Option<Instant> {
    in_netns(ns, move || {
        let mut c = ipvs::Client::open().expect("IPVS client in the director's namespace");
        let start = Instant::now();
        while start.elapsed() < limit {
            let state = c.state().expect("IPVS state");
            let mut v: Vec<String> = state
                .iter()
                .filter(|s| s.service.key.to_string() == format!("TCP {VIP}:80"))
                .flat_map(|s| s.dests.iter().map(|d| d.addr.to_string()))
                .collect();
            v.sort();
            if pred(&v) {
                return Some(Instant::now());
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        None
    })
}

/// Benchmark (issue 6): time from a real server's failure to its removal from IPVS, against
/// the configured bound, for keepalived-rs and keepalived (`-C`, checkers only) on the same
/// lab: a director and two real servers. Failures: the web server stops (the check's connect
/// is refused at once), and the real server's link goes down (the connect times out).
/// Run by hand: `tests/vm/run -- target/debug/deps/vm_e2e-HASH --ignored --nocapture bench`.
#[test]
#[ignore = "benchmark; run by hand in the VM"]
fn vm_bench_removal_time() {
    let test = "vm_bench_removal_time";
    if !in_vm(test) {
        return;
    }
    let Some(lab) = lab_or_skip(test, "b", 5) else {
        return;
    };
    let (d, r1ns) = (lab.node(1), lab.node(3));
    let www1 = real_server(&lab, r1ns, "r1");
    let www2 = real_server(&lab, lab.node(4), "r2");
    let mut h1 = Some(httpd(&lab, r1ns, "r1", &www1));
    let _h2 = httpd(&lab, lab.node(4), "r2", &www2);
    let conf = director_conf("keepalived-lvs-dr-master.conf");
    // Checkers only: cut the vrrp_instance block out.
    let start = conf.find("vrrp_instance").unwrap();
    let end = conf.find("virtual_server").unwrap();
    let conf = format!("{}{}", &conf[..start], &conf[end..]);
    let refused_bound = (DELAY_LOOP + CONNECT_TIMEOUT + RETRY * DELAY_BEFORE_RETRY) as f64;
    let timeout_bound =
        (DELAY_LOOP + CONNECT_TIMEOUT + RETRY * (DELAY_BEFORE_RETRY + CONNECT_TIMEOUT)) as f64;
    const ROUNDS: usize = 5;
    for who in ["keepalived-rs", "keepalived"] {
        let name = if who == "keepalived" { "bk" } else { "bo" };
        let conf_path = lab.write(&format!("{name}.conf"), &conf);
        let mut cmd = Command::new("ip");
        let exe = if who == "keepalived" {
            KEEPALIVED
        } else {
            env!("CARGO_BIN_EXE_keepalived-rs")
        };
        cmd.args(["netns", "exec", d, exe, "-n", "-l", "-C", "-f"])
            .arg(&conf_path)
            .args(pid_args(&lab, name));
        let mut daemon = Daemon::spawn_for_test(&mut cmd, lab.dir.join(format!("{name}.log")));
        assert!(
            poll_table(d, Duration::from_secs(30), |v| v.len() == 2).is_some(),
            "{who}: the table never filled:\n{}",
            daemon.log_text()
        );
        for (case, bound) in [("refused", refused_bound), ("link down", timeout_bound)] {
            let mut times = Vec::new();
            for round in 0..ROUNDS {
                // A different phase of the checker's cycle each round.
                std::thread::sleep(Duration::from_millis(
                    300 + (round as u64 * DELAY_LOOP * 1000 / ROUNDS as u64),
                ));
                let t0 = Instant::now();
                if case == "refused" {
                    h1.take().unwrap().kill9();
                } else {
                    common::ip(&["-n", r1ns, "link", "set", "eth0", "down"]).unwrap();
                }
                let gone = poll_table(d, Duration::from_secs(30), |v| v == [RS[1].1.to_string()])
                    .unwrap_or_else(|| panic!("{who}: r1 never removed ({case})"));
                times.push(gone.duration_since(t0).as_secs_f64());
                if case == "refused" {
                    h1 = Some(httpd(&lab, r1ns, "r1", &www1));
                } else {
                    common::ip(&["-n", r1ns, "link", "set", "eth0", "up"]).unwrap();
                }
                assert!(
                    poll_table(d, Duration::from_secs(30), |v| v.len() == 2).is_some(),
                    "{who}: r1 never came back ({case})"
                );
            }
            let max = times.iter().cloned().fold(0.0, f64::max);
            let mean = times.iter().sum::<f64>() / times.len() as f64;
            println!(
                "MEASURE: removal {who:13} {case:9}: mean {mean:.2} s, max {max:.2} s over {ROUNDS} ({}), bound {bound} s",
                times
                    .iter()
                    .map(|t| format!("{t:.2}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            );
        }
        daemon.term(Duration::from_secs(15));
    }
    save_logs(&lab, test);
}

/// user + system CPU ticks of a process and its children (keepalived's checker child).
fn cpu_ticks_and_rss(pid: u32) -> (u64, u64) {
    let mut pids = vec![pid];
    if let Ok(entries) = std::fs::read_dir("/proc") {
        for e in entries.flatten() {
            let Some(p) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
                continue;
            };
            let stat = std::fs::read_to_string(format!("/proc/{p}/stat")).unwrap_or_default();
            let after = stat.rsplit_once(')').map(|(_, a)| a).unwrap_or("");
            if after.split_whitespace().nth(1) == Some(&pid.to_string()) {
                pids.push(p);
            }
        }
    }
    let (mut ticks, mut rss) = (0, 0);
    for p in pids {
        let stat = std::fs::read_to_string(format!("/proc/{p}/stat")).unwrap_or_default();
        let f: Vec<&str> = stat
            .rsplit_once(')')
            .map(|(_, a)| a)
            .unwrap_or("")
            .split_whitespace()
            .collect();
        // Fields after the name: state is 0, utime 11, stime 12.
        ticks += f.get(11).and_then(|x| x.parse::<u64>().ok()).unwrap_or(0);
        ticks += f.get(12).and_then(|x| x.parse::<u64>().ok()).unwrap_or(0);
        let status = std::fs::read_to_string(format!("/proc/{p}/status")).unwrap_or_default();
        rss += status
            .lines()
            .find(|l| l.starts_with("VmRSS:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|x| x.parse::<u64>().ok())
            .unwrap_or(0);
    }
    (ticks, rss)
}

/// Benchmark (issue 6): N real servers with TCP_CHECK at delay_loop 1 against listeners on
/// loopback (50 addresses x N/50 ports, accepted and closed by this test), in one virtual
/// server, keepalived-rs then keepalived (`-C`); CPU and RSS of each daemon, the checks per
/// second the listeners saw, and the check-interval jitter: the listeners record each accept
/// (which real server, when) and [`Jitter`] reads the intervals between consecutive checks of
/// each real server in the measuring window.
///
/// Environment: KARS_BENCH_N, a comma-separated list of N (default 1000), all run in this one
/// boot; KARS_BENCH_BIN, the keepalived-rs binary to measure (a release build; the default is
/// the test's debug build); KARS_BENCH_WARMUP and KARS_BENCH_WINDOW, seconds of warm-up after
/// each daemon's start and of measuring (default 8 and 20); KARS_BENCH_ROUNDS, how many times
/// each pair runs (default 1), the order switching each time; KARS_BENCH_DAEMONS, only these
/// (`keepalived-rs`, `keepalived`, `floor`); KARS_BENCH_PERF=S, a `perf record` of S s of the
/// window; KARS_BENCH_STRACE=S, system calls counted by `strace -c` for S s;
/// KARS_BENCH_RECORD=0, no recording of accepts (to measure what it costs);
/// KARS_BENCH_FLOOR=PATH, the floor too (the `connect_floor` example of checkers: the same
/// checks with nothing but the system calls, measured as a daemon is, as `floor`);
/// KARS_BENCH_LISTENER_NICE, the listeners' nice value (default: not changed).
/// Besides the accepts, the SYNs of the first tenth of the ports' real servers are captured
/// (tcpdump) for "on the wire" intervals and each SYN's wait until its accept.
/// Run by hand: `tests/vm/run --env KARS_BENCH_N=1000,10000 --env KARS_BENCH_BIN=$PWD/target/release/keepalived-rs
/// -- target/debug/deps/vm_e2e-HASH --ignored --nocapture scale`.
#[test]
#[ignore = "benchmark; run by hand in the VM"]
fn vm_bench_checker_scale() {
    let test = "vm_bench_checker_scale";
    if !in_vm(test) {
        return;
    }
    let env_secs = |name: &str, default: u64| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let ns_list: Vec<usize> = std::env::var("KARS_BENCH_N")
        .unwrap_or_else(|_| "1000".into())
        .split(',')
        .map(|v| {
            v.trim()
                .parse()
                .expect("KARS_BENCH_N: numbers separated by commas")
        })
        .collect();
    let warmup = env_secs("KARS_BENCH_WARMUP", 8);
    let window = env_secs("KARS_BENCH_WINDOW", 20);
    let rounds = env_secs("KARS_BENCH_ROUNDS", 1);
    let mut rows = Vec::new();
    for n in ns_list {
        rows.extend(checker_scale(n, warmup, window, rounds));
    }
    println!(
        "MEASURE: checker scale, delay_loop 1 s, warm-up {warmup} s, window {window} s; intervals between two checks of one real server (ms):"
    );
    println!("| N | daemon | checks/s | CPU (one vCPU) | CPU ms / check | context switches / check | listeners' CPU | guest idle | RSS | checked / N | gap > 2 s | intervals | mean | p50 | p90 | p99 | max | sd | mean − delay_loop | wire checks/s | wire mean | wire p99 | wire sd | lag p50 | lag p99 | guest load |");
    println!(
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
    );
    for r in rows {
        println!("{r}");
    }
}

/// The check intervals of the real servers over a measuring window, from the times the
/// listeners accepted their checks' connections (figures in ms).
#[derive(Debug, PartialEq)]
struct Jitter {
    servers: usize,
    /// Real servers accepted at least once in the window (the others starved).
    checked: usize,
    /// Real servers whose longest time without a check (counting from the window's start and
    /// to its end) exceeded twice delay_loop.
    gapped: usize,
    /// Intervals between two consecutive checks of one real server, both in the window.
    intervals: usize,
    mean: f64,
    p50: f64,
    p90: f64,
    p99: f64,
    max: f64,
    sd: f64,
}

impl Jitter {
    /// `times[i]`: the accept times of real server i in ns, ascending; the window is `w0..=w1`.
    fn new(times: &[Vec<u64>], w0: u64, w1: u64, delay_loop_ms: f64) -> Jitter {
        let ms = |ns: u64| ns as f64 / 1e6;
        let mut v = Vec::new();
        let (mut checked, mut gapped) = (0, 0);
        for t in times {
            let inside: Vec<u64> = t.iter().copied().filter(|&x| x >= w0 && x <= w1).collect();
            if !inside.is_empty() {
                checked += 1;
            }
            let mut last = w0;
            let mut gap = 0.0f64;
            for &x in &inside {
                gap = gap.max(ms(x - last));
                last = x;
            }
            gap = gap.max(ms(w1 - last));
            if gap > 2.0 * delay_loop_ms {
                gapped += 1;
            }
            v.extend(inside.windows(2).map(|w| ms(w[1] - w[0])));
        }
        v.sort_by(f64::total_cmp);
        let pct = |p: f64| {
            if v.is_empty() {
                f64::NAN
            } else {
                // Nearest rank.
                v[((p / 100.0 * v.len() as f64).ceil() as usize).clamp(1, v.len()) - 1]
            }
        };
        let mean = v.iter().sum::<f64>() / v.len() as f64;
        let sd = (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / v.len() as f64).sqrt();
        Jitter {
            servers: times.len(),
            checked,
            gapped,
            intervals: v.len(),
            mean,
            p50: pct(50.0),
            p90: pct(90.0),
            p99: pct(99.0),
            max: v.last().copied().unwrap_or(f64::NAN),
            sd,
        }
    }
}

#[test]
fn jitter_of_known_intervals() {
    let s = 1_000_000_000u64;
    // The window is 1 s..=11 s. Server 0: a check at 0.5 s (before the window, not counted),
    // then every 1 s from 1 s to 11 s; server 1: 1.5 s and 0.5 s alternately from 1 s; server
    // 2: once, at 10 s (9 s without a check); server 3: never.
    let mut t0: Vec<u64> = (1..=11).map(|i| i * s).collect();
    t0.insert(0, s / 2);
    let t1: Vec<u64> = (0..=5)
        .flat_map(|i| [s + i * 2 * s, s + i * 2 * s + 3 * s / 2])
        .filter(|&x| x <= 11 * s)
        .collect();
    let times = vec![t0, t1, vec![10 * s], vec![]];
    let j = Jitter::new(&times, s, 11 * s, 1000.0);
    assert_eq!((j.servers, j.checked, j.gapped), (4, 3, 2), "{j:?}");
    // 10 intervals of 1000 ms (server 0), 5 of 1500 and 5 of 500 (server 1).
    assert_eq!(j.intervals, 20);
    assert_eq!(
        (j.p50, j.p90, j.p99, j.max),
        (1000.0, 1500.0, 1500.0, 1500.0)
    );
    assert_eq!(j.mean, 1000.0);
    assert!((j.sd - 125_000f64.sqrt()).abs() < 1e-6, "{j:?}");
    let none = Jitter::new(&[vec![]], 0, s, 1000.0);
    assert_eq!((none.checked, none.gapped, none.intervals), (0, 0, 0));
}

/// Accept times of the real servers on one port: (index of the loopback address, ns since the
/// listeners' start), pushed by the port's accept loop.
type Accepts = Arc<Mutex<Vec<(u8, u64)>>>;

/// One N of [`vm_bench_checker_scale`]: both daemons, one after the other (`rounds` times),
/// against the same listeners; one table row each.
fn checker_scale(n: usize, warmup: u64, window: u64, rounds: u64) -> Vec<String> {
    let ports = n.div_ceil(50);
    let ns = format!("krs{}-scale{n}", std::process::id());
    common::ip(&["netns", "add", &ns]).unwrap();
    struct Ns(String);
    impl Drop for Ns {
        fn drop(&mut self) {
            let _ = common::ip(&["netns", "del", &self.0]);
        }
    }
    let _guard = Ns(ns.clone());
    common::ip(&["-n", &ns, "link", "set", "lo", "up"]).unwrap();
    // KARS_BENCH_REMOTE=1: the real servers (the listeners) in a namespace of their own behind
    // a veth pair, as other machines would be, instead of on the daemon's loopback. Over
    // loopback the listener's side of every handshake (the SYN taken in, the SYN-ACK sent, the
    // connection made on the ACK) runs in the checker's own system call and is counted as its
    // CPU; on a director, that is the real server's work, on the real server. With two vCPUs
    // or more (`tests/vm/run --smp 2`) the real servers' side is also moved off the
    // checker's vCPU: the daemon is pinned to CPU 0, the listeners to CPU 1, and packets
    // arriving at each end of the pair are handled on its side's CPU (RPS).
    let remote = std::env::var("KARS_BENCH_REMOTE").as_deref() == Ok("1");
    let split = remote && std::thread::available_parallelism().map_or(1, |c| c.get()) >= 2;
    let network = if remote { "10.201.0" } else { "127.1.0" };
    let rs_ns = if remote {
        format!("{ns}-rs")
    } else {
        ns.clone()
    };
    let _rs_guard = remote.then(|| {
        common::ip(&["netns", "add", &rs_ns]).unwrap();
        let guard = Ns(rs_ns.clone());
        common::ip(&["-n", &rs_ns, "link", "set", "lo", "up"]).unwrap();
        common::ip(&[
            "link", "add", "vd", "netns", &ns, "type", "veth", "peer", "name", "vr", "netns",
            &rs_ns,
        ])
        .unwrap();
        for args in [
            vec!["-n", &ns, "addr", "add", "10.200.0.1/24", "dev", "vd"],
            vec!["-n", &ns, "link", "set", "vd", "up"],
            vec!["-n", &rs_ns, "addr", "add", "10.200.0.2/24", "dev", "vr"],
            vec!["-n", &rs_ns, "link", "set", "vr", "up"],
            // A /24 on lo: every address of it is the real servers' host's own.
            vec!["-n", &rs_ns, "addr", "add", "10.201.0.0/24", "dev", "lo"],
            vec![
                "-n",
                &ns,
                "route",
                "add",
                "10.201.0.0/24",
                "via",
                "10.200.0.2",
            ],
        ] {
            common::ip(&args).unwrap();
        }
        if split {
            // Packets handed to the other CPU wait in its backlog, 1,000 by default: a batch of
            // SYNs (the engine starts up to 256 at once) arriving while the real servers' CPU
            // is busy overflowed it, and the dropped SYNs made connects time out after 1 s
            // (`/proc/net/softnet_stat`'s drops, reported per run). One host standing in for
            // 10,000 real servers is the rig's bottleneck, not a director's.
            std::fs::write("/proc/sys/net/core/netdev_max_backlog", "16384")
                .expect("net.core.netdev_max_backlog");
            for (netns, dev, mask) in [(&ns, "vd", "1"), (&rs_ns, "vr", "2")] {
                let ok = Command::new("ip")
                    .args(["netns", "exec", netns, "sh", "-c"])
                    .arg(format!(
                        "echo {mask} > /sys/class/net/{dev}/queues/rx-0/rps_cpus"
                    ))
                    .status()
                    .is_ok_and(|s| s.success());
                assert!(ok, "RPS on {dev}");
            }
        }
        guard
    });
    println!(
        "MEASURE: checker scale, real servers {}",
        match (remote, split) {
            (false, _) => "on the daemon's loopback (127.1.0.0/24)",
            (true, false) => "behind a veth pair, one vCPU",
            (true, true) => "behind a veth pair, their side on CPU 1, the daemon on CPU 0",
        }
    );
    let dir = std::env::temp_dir().join(&ns);
    std::fs::create_dir_all(&dir).unwrap();
    let mut conf = String::from(
        "virtual_server 10.255.0.1 80 {\n    delay_loop 1\n    lb_algo rr\n    lb_kind NAT\n    protocol TCP\n",
    );
    for i in 0..n {
        conf.push_str(&format!(
            "    real_server {network}.{} {} {{\n        TCP_CHECK {{\n            connect_timeout 1\n        }}\n    }}\n",
            1 + i % 50,
            20000 + i / 50
        ));
    }
    conf.push_str("}\n");
    let conf_path = dir.join("scale.conf");
    std::fs::write(&conf_path, &conf).unwrap();

    // The listeners: `ports` sockets on 0.0.0.0, accepted and closed on a runtime of their
    // own; each accept is recorded (which address, when) in its port's list, room for 100 s of
    // checks preallocated so that recording costs a clock read, a getsockname and a push.
    let base = Instant::now();
    let accepts: Vec<Accepts> = (0..ports)
        .map(|_| Arc::new(Mutex::new(Vec::with_capacity(50 * 100))))
        .collect();
    // KARS_BENCH_RECORD=0: count the accepts only, to see what recording costs.
    let record = std::env::var("KARS_BENCH_RECORD").as_deref() != Ok("0");
    let accepted = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let (acc, count, stop2, ns2) = (
        accepts.clone(),
        accepted.clone(),
        stop.clone(),
        rs_ns.clone(),
    );
    let listeners = std::thread::spawn(move || {
        let file = std::fs::File::open(format!("/run/netns/{ns2}")).unwrap();
        nix::sched::setns(&file, nix::sched::CloneFlags::CLONE_NEWNET).unwrap();
        if split {
            let mut cpu1 = nix::sched::CpuSet::new();
            cpu1.set(1).unwrap();
            nix::sched::sched_setaffinity(nix::unistd::Pid::from_raw(0), &cpu1).unwrap();
        }
        // KARS_BENCH_LISTENER_NICE: the listeners' nice value (left at 0 otherwise). At -20
        // they accept each connection as it comes, which changed every checker's cost per check
        // (2026-12-06: see docs/benchmarks.md) so it is not the default.
        if let Ok(nice) = std::env::var("KARS_BENCH_LISTENER_NICE") {
            let tid = nix::unistd::gettid().to_string();
            let reniced = Command::new("renice")
                .args(["-n", &nice, "-p", &tid])
                .stdout(std::process::Stdio::null())
                .status();
            assert!(
                reniced.is_ok_and(|s| s.success()),
                "renice -n {nice} of the listeners"
            );
        }
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            for (p, list) in acc.into_iter().enumerate() {
                // A backlog of 4,096, not the 128 of `TcpListener::bind`: a port's 50 real
                // servers checked every second fill 128 when the listeners fall 2-3 s behind a
                // fast daemon, and the kernel then drops the SYNs, which took real servers down
                // ("timed out after 1s") in keepalived-rs' runs only.
                let l = tokio::net::TcpSocket::new_v4().unwrap();
                l.set_reuseaddr(true).unwrap();
                l.bind(SocketAddr::from(([0, 0, 0, 0], 20000 + p as u16)))
                    .unwrap();
                let l = l.listen(4096).unwrap();
                let count = count.clone();
                tokio::spawn(async move {
                    while let Ok((s, _)) = l.accept().await {
                        count.fetch_add(1, Ordering::Relaxed);
                        if !record {
                            continue;
                        }
                        let at = base.elapsed().as_nanos() as u64;
                        if let Ok(SocketAddr::V4(a)) = s.local_addr() {
                            list.lock().unwrap().push((a.ip().octets()[3], at));
                        }
                        drop(s);
                    }
                });
            }
            while !stop2.load(Ordering::Relaxed) {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        });
    });
    std::thread::sleep(Duration::from_secs(1));
    let hz = 100.0; // USER_HZ
    let loadavg = || {
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut rows = Vec::new();
    // With several rounds, every other one starts with keepalived, so that a drift of the
    // host's load does not always favour the same daemon.
    // KARS_BENCH_FLOOR=PATH: the floor (`connect_floor`, checkers' example) runs too, first in
    // each round.
    let floor = std::env::var("KARS_BENCH_FLOOR").ok();
    let order = (0..rounds).flat_map(|r| {
        let pair = if r % 2 == 0 {
            ["keepalived-rs", "keepalived"]
        } else {
            ["keepalived", "keepalived-rs"]
        };
        floor.iter().map(|_| "floor").chain(pair)
    });
    // KARS_BENCH_DAEMONS: a comma-separated subset (`keepalived-rs`, `keepalived`, `floor`),
    // for a closer look at one.
    let only = std::env::var("KARS_BENCH_DAEMONS").ok();
    for who in order {
        if only
            .as_deref()
            .is_some_and(|o| !o.split(',').any(|x| x == who))
        {
            continue;
        }
        let ours = std::env::var("KARS_BENCH_BIN")
            .unwrap_or_else(|_| env!("CARGO_BIN_EXE_keepalived-rs").to_string());
        let (exe, name) = match who {
            "keepalived" => (KEEPALIVED, "k"),
            "floor" => (floor.as_deref().unwrap_or_default(), "f"),
            _ => (ours.as_str(), "o"),
        };
        let p = |s: &str| dir.join(format!("{name}{s}.pid"));
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", &ns]);
        if split {
            cmd.args(["taskset", "-c", "0"]);
        }
        cmd.arg(exe);
        if who == "floor" {
            cmd.args([&n.to_string(), "1000", network]);
            // The daemons' IPVS table, programmed by hand: the same ip_vs hooks on every packet.
            ipvs_restore(&ns, n, network);
        } else {
            cmd.args(["-n", "-C", "-l", "-f"])
                .arg(&conf_path)
                .arg("-p")
                .arg(p(""))
                .arg("-r")
                .arg(p("-vrrp"))
                .arg("-c")
                .arg(p("-checkers"));
        }
        let mut d = Daemon::spawn_for_test(&mut cmd, dir.join(format!("{name}.log")));
        let pid = d.pid().expect("daemon pid");
        // The SYNs of a sample of real servers (the first tenth of the ports), captured from 3 s
        // before the window: the checks' times on the wire, whatever the listeners' lag.
        std::thread::sleep(Duration::from_secs(warmup.saturating_sub(3)));
        let sampled_ports = (ports / 10).max(1);
        let syns_file = std::env::var("KARS_VM_OUT")
            .map_or(dir.clone(), Into::into)
            .join(format!("scale-{n}-{name}-syns.txt"));
        let capture = Capture::start(
            &ns,
            if remote { "vd" } else { "lo" },
            sampled_ports,
            &syns_file,
        );
        std::thread::sleep(Duration::from_secs(warmup.min(3)));
        assert!(
            d.running(),
            "{who} ({exe}) is gone after the warm-up:\n{}",
            d.log_text()
        );
        let (t0, _) = cpu_ticks_and_rss(pid);
        let cs0 = context_switches(pid);
        let cpu_line = if split { "cpu0" } else { "cpu" };
        let dropped0 = softnet_dropped();
        let (l0, g0) = (listener_ticks(), guest_ticks(cpu_line));
        let threads0 = thread_ticks(pid);
        let load0 = loadavg();
        let w0 = base.elapsed().as_nanos() as u64;
        let r0 = unix_ns();
        let a0 = accepted.load(Ordering::Relaxed);
        let start = Instant::now();
        // KARS_BENCH_PERF=S: a CPU profile of S seconds of the window (it costs CPU too: the
        // other figures of that run are not comparable), saved as perf-N-NAME.data.
        // keepalived: its checker child, which runs the checks (the parent only watches it).
        let checker_pid = || {
            if who == "keepalived" {
                std::fs::read_to_string(p("-checkers"))
                    .expect("keepalived's checker pid file")
                    .trim()
                    .to_string()
            } else {
                pid.to_string()
            }
        };
        let perf = std::env::var("KARS_BENCH_PERF")
            .ok()
            .zip(std::env::var("KARS_VM_OUT").ok())
            .map(|(secs, out)| {
                Command::new("perf")
                    .args([
                        "record",
                        "-q",
                        "-g",
                        "-F",
                        "1000",
                        "-p",
                        &checker_pid(),
                        "-o",
                    ])
                    .arg(Path::new(&out).join(format!("perf-{n}-{name}.data")))
                    .args(["--", "sleep", &secs])
                    .spawn()
                    .expect("perf record")
            });
        // KARS_BENCH_STRACE=S: the system calls of the checkers (keepalived: its checker
        // child) counted for S seconds of the window, saved as strace-N-NAME.txt (slows the
        // daemon down: the other figures of that run are not comparable).
        let strace = std::env::var("KARS_BENCH_STRACE")
            .ok()
            .zip(std::env::var("KARS_VM_OUT").ok())
            .map(|(secs, out)| {
                let target = checker_pid();
                Command::new("timeout")
                    .args([
                        "-s", "INT", &secs, "strace", "-c", "-f", "-p", &target, "-o",
                    ])
                    .arg(Path::new(&out).join(format!("strace-{n}-{name}.txt")))
                    .spawn()
                    .expect("strace")
            });
        let mut rss_max = 0;
        while start.elapsed() < Duration::from_secs(window) {
            std::thread::sleep(Duration::from_secs(1));
            rss_max = rss_max.max(cpu_ticks_and_rss(pid).1);
        }
        // Every figure of the window ends here, after the profilers (which may take longer
        // than their time to write their files).
        for mut p in perf.into_iter().chain(strace) {
            let _ = p.wait();
        }
        let (t1, _) = cpu_ticks_and_rss(pid);
        let cs1 = context_switches(pid);
        let (l1, g1) = (listener_ticks(), guest_ticks(cpu_line));
        let threads1 = thread_ticks(pid);
        let w1 = base.elapsed().as_nanos() as u64;
        let r1 = unix_ns();
        let a1 = accepted.load(Ordering::Relaxed);
        let secs = start.elapsed().as_secs_f64();
        let threads = threads1
            .into_iter()
            .map(|(tid, comm, t)| {
                let before = threads0.iter().find(|x| x.0 == tid).map_or(0, |x| x.2);
                format!("{comm} {:.1} %", (t - before) as f64 / hz / secs * 100.0)
            })
            .collect::<Vec<_>>()
            .join(", ");
        let load1 = loadavg();
        let in_table = poll_table_any(&ns);
        let syns = capture.map(|c| c.stop(n)).unwrap_or_default();
        d.term(Duration::from_secs(30));
        if who == "floor" {
            let _ = Command::new("ip")
                .args(["netns", "exec", &ns, "ipvsadm", "-C"])
                .status();
        }
        // Every daemon's accepts, by real server (index = port * 50 + address), then cleared
        // for the next daemon.
        let mut times = vec![Vec::new(); n];
        let mut foreign = 0;
        for (p, list) in accepts.iter().enumerate() {
            for (octet, at) in std::mem::take(&mut *list.lock().unwrap()) {
                let i = p * 50 + usize::from(octet).wrapping_sub(1);
                match times.get_mut(i) {
                    Some(t) if (1..=50).contains(&octet) => t.push(at),
                    _ => foreign += 1,
                }
            }
        }
        assert_eq!(foreign, 0, "accepts on addresses that are no real server");
        // (Without recording, every figure of `j` says nothing: NaN or 0.)
        let j = Jitter::new(&times, w0, w1, 1000.0);
        // On the wire (the sample): the intervals between SYNs, and each SYN's wait until the
        // listener accepted it (the accepts' times put on the wall clock).
        let sample = 50 * sampled_ports.min(ports);
        let wire = Jitter::new(
            &syns[..syns.len().min(sample)],
            r0 as u64,
            r1 as u64,
            1000.0,
        );
        let to_wall = |a: u64| (i128::from(a) - i128::from(w0) + r0 as i128) as u64;
        let lag = accept_lag(&syns, &times, to_wall, r0 as u64, r1 as u64);
        // Checks per second on the wire: the sample's SYNs in the window, scaled to N.
        let sample_syns = syns[..syns.len().min(sample)]
            .iter()
            .flatten()
            .filter(|&&t| t >= r0 as u64 && t <= r1 as u64)
            .count();
        let wire_checks_s = sample_syns as f64 * n as f64 / sample.min(n).max(1) as f64 / secs;
        let checks_s = (a1 - a0) as f64 / secs;
        let cpu = (t1 - t0) as f64 / hz / secs * 100.0;
        let listeners_cpu = (l1 - l0) as f64 / hz / secs * 100.0;
        let idle = (g1.1 - g0.1) as f64 / (g1.0 - g0.0).max(1) as f64 * 100.0;
        let rss = rss_max as f64 / 1024.0;
        let checks = (a1 - a0).max(1) as f64;
        let cpu_per_check = (t1 - t0) as f64 / hz * 1000.0 / checks;
        let switches_per_check = (cs1 - cs0) as f64 / checks;
        println!(
            "MEASURE: checker scale {who:13} N={n} packets dropped from the CPUs' backlogs: {}",
            softnet_dropped() - dropped0
        );
        if split {
            // With RPS the kernel's work for the daemon's packets (the SYN-ACK, the FINs)
            // runs on CPU 0 in softirq, counted to whichever task it interrupts: to the daemon
            // while it runs, to the idle task while it sleeps. A daemon that sleeps more would
            // look cheaper by its own CPU; everything CPU 0 did per check does not.
            let busy = (g1.0 - g0.0).saturating_sub(g1.1 - g0.1) as f64;
            println!(
                "MEASURE: checker scale {who:13} N={n} CPU 0 (the director's) busy {:.1} %: {:.3} ms per check",
                busy / hz / secs * 100.0,
                busy / hz * 1000.0 / checks
            );
        }
        println!("MEASURE: checker scale {who:13} N={n} CPU by thread: {threads}");
        println!(
            "MEASURE: checker scale {who:13} N={n} per check: {cpu_per_check:.3} ms of CPU, {switches_per_check:.2} context switches"
        );
        println!(
            "MEASURE: checker scale {who:13} N={n} delay_loop 1 s: {checks_s:.0} checks/s (listeners' accepts), CPU {cpu:.1} % of one vCPU (listeners {listeners_cpu:.1} %, guest idle {idle:.1} %), RSS {rss:.1} MiB, {in_table} destinations in IPVS, guest load {load0} -> {load1}"
        );
        println!(
            "MEASURE: checker scale {who:13} N={n} intervals (ms): {} over {} of {n} real servers (gap > 2 s: {}): mean {:.1} p50 {:.1} p90 {:.1} p99 {:.1} max {:.1} sd {:.1}",
            j.intervals, j.checked, j.gapped, j.mean, j.p50, j.p90, j.p99, j.max, j.sd
        );
        println!(
            "MEASURE: checker scale {who:13} N={n} on the wire (SYNs of {} real servers): {wire_checks_s:.0} checks/s; intervals (ms) {} over {}: mean {:.1} p50 {:.1} p90 {:.1} p99 {:.1} max {:.1} sd {:.1}; listeners' lag (SYN -> accept, ms): p50 {:.1} p99 {:.1} max {:.1}",
            wire.servers, wire.intervals, wire.checked, wire.mean, wire.p50, wire.p90, wire.p99, wire.max, wire.sd, lag.0, lag.1, lag.2
        );
        rows.push(format!(
            "| {n} | {who} | {checks_s:.0} | {cpu:.1} % | {cpu_per_check:.3} | {switches_per_check:.2} | {listeners_cpu:.1} % | {idle:.1} % | {rss:.1} MiB | {} | {} | {} | {:.0} | {:.0} | {:.0} | {:.0} | {:.0} | {:.0} | {:+.0} | {wire_checks_s:.0} | {:.0} | {:.0} | {:.0} | {:.0} | {:.0} | {load0} -> {load1} |",
            j.checked, j.gapped, j.intervals, j.mean, j.p50, j.p90, j.p99, j.max, j.sd, j.mean - 1000.0,
            wire.mean, wire.p99, wire.sd, lag.0, lag.1
        ));
        let log = d.log_text();
        println!(
            "MEASURE: checker scale {who:13}: {} lines logged with \"down\"",
            log.lines()
                .filter(|l| l.to_lowercase().contains("down"))
                .count()
        );
        if let Ok(out) = std::env::var("KARS_VM_OUT") {
            let _ = std::fs::write(Path::new(&out).join(format!("scale-{n}-{name}.log")), log);
            // The raw accepts, for a closer look: "real server index,ns", window first (also in
            // the wall clock's ns since 1970, to set beside a packet capture's times).
            let mut csv = format!("window,{w0},{w1},{r0},{r1}\n");
            for (i, t) in times.iter().enumerate() {
                for x in t {
                    csv.push_str(&format!("{i},{x}\n"));
                }
            }
            let _ = std::fs::write(
                Path::new(&out).join(format!("scale-{n}-{name}-accepts.csv")),
                csv,
            );
        }
    }
    stop.store(true, Ordering::Relaxed);
    let _ = listeners.join();
    rows
}

/// `tcpdump` in a namespace, writing the SYNs sent to the first `ports` listener ports to a
/// file (None, with a note, where tcpdump cannot run).
struct Capture {
    child: std::process::Child,
    file: std::path::PathBuf,
}

impl Capture {
    fn start(ns: &str, interface: &str, ports: usize, file: &Path) -> Option<Capture> {
        let out = std::fs::File::create(file).ok()?;
        let filter = format!(
            "tcp[tcpflags] == tcp-syn and dst portrange 20000-{}",
            20000 + ports - 1
        );
        // On the real servers' CPU when they have one of their own (see `checker_scale`), so
        // that CPU 0 holds the daemon's work alone.
        let cpus = if std::thread::available_parallelism().map_or(1, |c| c.get()) >= 2 {
            "1"
        } else {
            "0"
        };
        let child = Command::new("ip")
            .args([
                "netns", "exec", ns, "taskset", "-c", cpus, "tcpdump", "-i", interface, "-n",
                "-tt", "-q",
            ])
            .arg(filter)
            .stdout(out)
            .stderr(std::process::Stdio::null())
            .spawn();
        match child {
            Ok(child) => Some(Capture {
                child,
                file: file.to_owned(),
            }),
            Err(e) => {
                println!("note: no tcpdump ({e}): no intervals on the wire");
                None
            }
        }
    }

    /// Stops the capture: the SYNs by real server.
    fn stop(mut self, n: usize) -> Vec<Vec<u64>> {
        let pid = nix::unistd::Pid::from_raw(self.child.id() as i32);
        let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGINT);
        let _ = self.child.wait();
        syns_by_server(&std::fs::read_to_string(&self.file).unwrap_or_default(), n)
    }
}

/// The SYNs of a `tcpdump -n -tt -q` capture by real server (index = port offset * 50 +
/// address - 1, as the accepts), in ns since 1970, ascending. A SYN sent again (the same source
/// and destination) is the same check's retransmission, not counted.
fn syns_by_server(capture: &str, n: usize) -> Vec<Vec<u64>> {
    let mut by = vec![Vec::new(); n];
    let mut seen = std::collections::HashSet::new();
    for line in capture.lines() {
        // 1796568276.429478 IP 127.0.0.1.54912 > 127.1.0.14.20050: tcp 0
        let f: Vec<&str> = line.split_whitespace().collect();
        let (Some(t), Some(src), Some(dst)) = (f.first(), f.get(2), f.get(4)) else {
            continue;
        };
        let dst = dst.trim_end_matches(':');
        let Some((addr, port)) = dst.rsplit_once('.') else {
            continue;
        };
        let (Ok(port), Some(Ok(octet))) = (
            port.parse::<usize>(),
            addr.rsplit('.').next().map(str::parse::<usize>),
        ) else {
            continue;
        };
        let Some((secs, frac)) = t.split_once('.') else {
            continue;
        };
        let (Ok(secs), Ok(us)) = (secs.parse::<u64>(), frac.parse::<u64>()) else {
            continue;
        };
        let i = (port.wrapping_sub(20000)) * 50 + octet.wrapping_sub(1);
        if !(1..=50).contains(&octet) || i >= n || !seen.insert((src.to_string(), dst.to_string()))
        {
            continue;
        }
        by[i].push(secs * 1_000_000_000 + us * 1_000);
    }
    for v in &mut by {
        v.sort_unstable();
    }
    by
}

/// How long each SYN in `w0..=w1` (wall clock, ns) waited until the listener accepted it: p50,
/// p99 and max in ms (each SYN paired with its real server's first accept from then on).
fn accept_lag(
    syns: &[Vec<u64>],
    accepts: &[Vec<u64>],
    to_wall: impl Fn(u64) -> u64,
    w0: u64,
    w1: u64,
) -> (f64, f64, f64) {
    let mut lags = Vec::new();
    for (s, a) in syns.iter().zip(accepts) {
        let a: Vec<u64> = a.iter().map(|&x| to_wall(x)).collect();
        let mut k = 0;
        for &t in s.iter().filter(|&&t| t >= w0 && t <= w1) {
            // The accept's clock and tcpdump's differ by up to a few µs: 1 ms of slack.
            while k < a.len() && a[k] + 1_000_000 < t {
                k += 1;
            }
            if let Some(&x) = a.get(k) {
                lags.push(x.saturating_sub(t) as f64 / 1e6);
                k += 1;
            }
        }
    }
    lags.sort_by(f64::total_cmp);
    let pct = |p: f64| {
        if lags.is_empty() {
            f64::NAN
        } else {
            lags[((p / 100.0 * lags.len() as f64).ceil() as usize).clamp(1, lags.len()) - 1]
        }
    };
    (
        pct(50.0),
        pct(99.0),
        lags.last().copied().unwrap_or(f64::NAN),
    )
}

#[test]
fn syns_and_lag_from_a_capture() {
    let capture = "\
1796568276.429478 IP 127.0.0.1.54912 > 127.1.0.14.20001: tcp 0
1796568277.429478 IP 127.0.0.1.54912 > 127.1.0.14.20001: tcp 0
1796568278.000001 IP 127.0.0.1.40000 > 127.1.0.14.20001: tcp 0
1796568278.500000 IP 127.0.0.1.40001 > 127.1.0.1.20000: tcp 0
garbage
1796568279.000000 IP 127.0.0.1.40002 > 127.1.0.99.20000: tcp 0
";
    let s = 1_000_000_000u64;
    let by = syns_by_server(capture, 100);
    // Port 20001, address .14: index 63; the retransmission at 277.43 is not a check.
    assert_eq!(
        by[63],
        vec![1796568276 * s + 429_478_000, 1796568278 * s + 1_000]
    );
    assert_eq!(by[0], vec![1796568278 * s + 500_000_000]);
    assert_eq!(by.iter().map(Vec::len).sum::<usize>(), 3, "{by:?}");
    // Accepts 2 ms and 30 ms after the SYNs of server 63; server 0 never accepted.
    let accepts = |v: &[u64]| v.to_vec();
    let mut acc = vec![Vec::new(); 100];
    acc[63] = accepts(&[by[63][0] + 2_000_000, by[63][1] + 30_000_000]);
    let lag = accept_lag(&by, &acc, |x| x, 0, u64::MAX);
    assert_eq!(lag, (2.0, 30.0, 30.0));
}

/// The table the daemons program for [`checker_scale`]'s configuration (`ipvsadm -R`).
fn ipvs_restore(ns: &str, n: usize, network: &str) {
    use std::io::Write;
    let mut rules = String::from("-A -t 10.255.0.1:80 -s rr\n");
    for i in 0..n {
        rules.push_str(&format!(
            "-a -t 10.255.0.1:80 -r {network}.{}:{} -m -w 1\n",
            1 + i % 50,
            20000 + i / 50
        ));
    }
    let mut child = Command::new("ip")
        .args(["netns", "exec", ns, "ipvsadm", "-R"])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .expect("ipvsadm -R");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(rules.as_bytes())
        .expect("ipvsadm -R: write");
    assert!(
        child.wait().expect("ipvsadm -R").success(),
        "ipvsadm -R failed"
    );
}

/// The wall clock in ns since 1970.
fn unix_ns() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos())
}

/// Context switches (voluntary + involuntary) of every thread of a process and of its children
/// (keepalived's checker child): a wake-up each, the cost a daemon that sleeps between checks
/// pays per check besides the check itself.
fn context_switches(pid: u32) -> u64 {
    let mut pids = vec![pid];
    if let Ok(entries) = std::fs::read_dir("/proc") {
        for e in entries.flatten() {
            let Some(p) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
                continue;
            };
            let stat = std::fs::read_to_string(format!("/proc/{p}/stat")).unwrap_or_default();
            let after = stat.rsplit_once(')').map(|(_, a)| a).unwrap_or("");
            if after.split_whitespace().nth(1) == Some(&pid.to_string()) {
                pids.push(p);
            }
        }
    }
    let mut n = 0;
    for p in pids {
        let Ok(tasks) = std::fs::read_dir(format!("/proc/{p}/task")) else {
            continue;
        };
        for t in tasks.flatten() {
            let status = std::fs::read_to_string(t.path().join("status")).unwrap_or_default();
            n += status
                .lines()
                .filter(|l| l.contains("ctxt_switches:"))
                .filter_map(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
                .sum::<u64>();
        }
    }
    n
}

/// user + system CPU ticks of this process (the listeners, mostly).
fn listener_ticks() -> u64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let f: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, a)| a)
        .unwrap_or("")
        .split_whitespace()
        .collect();
    [11, 12]
        .iter()
        .filter_map(|&i| f.get(i).and_then(|x| x.parse::<u64>().ok()))
        .sum()
}

/// user + system CPU ticks of each thread of `pid`: (tid, name, ticks).
fn thread_ticks(pid: u32) -> Vec<(u32, String, u64)> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return out;
    };
    for e in entries.flatten() {
        let Some(tid) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        let stat = std::fs::read_to_string(e.path().join("stat")).unwrap_or_default();
        let Some((head, after)) = stat.rsplit_once(')') else {
            continue;
        };
        let comm = head.split_once('(').map_or("", |x| x.1).to_string();
        let f: Vec<&str> = after.split_whitespace().collect();
        let t = [11, 12]
            .iter()
            .filter_map(|&i| f.get(i).and_then(|x| x.parse::<u64>().ok()))
            .sum();
        out.push((tid, comm, t));
    }
    out
}

/// Packets dropped because a CPU's backlog was full, all CPUs (`/proc/net/softnet_stat`'s
/// second column, hexadecimal).
fn softnet_dropped() -> u64 {
    std::fs::read_to_string("/proc/net/softnet_stat")
        .unwrap_or_default()
        .lines()
        .filter_map(|l| u64::from_str_radix(l.split_whitespace().nth(1)?, 16).ok())
        .sum()
}

/// The guest's CPU ticks: (all, idle + iowait), from /proc/stat's line `cpu` (every CPU) or
/// `cpuN` (one).
fn guest_ticks(cpu: &str) -> (u64, u64) {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let v: Vec<u64> = stat
        .lines()
        .find(|l| l.split_whitespace().next() == Some(cpu))
        .unwrap_or("")
        .split_whitespace()
        .skip(1)
        .filter_map(|x| x.parse().ok())
        .collect();
    let idle = v.get(3).copied().unwrap_or(0) + v.get(4).copied().unwrap_or(0);
    (v.iter().sum(), idle)
}

/// How many destinations the namespace's IPVS table holds.
fn poll_table_any(ns: &str) -> usize {
    in_netns(ns, || {
        ipvs::Client::open()
            .and_then(|mut c| c.state())
            .map(|s| s.iter().map(|s| s.dests.len()).sum())
            .unwrap_or(0)
    })
}
