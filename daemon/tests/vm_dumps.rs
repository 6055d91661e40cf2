//! The LVS side's dump (`keepalived_check.data`) with real IPVS, in the test VM, and the
//! benchmark of issue 12: writing the dumps of 1,000 virtual servers x 4 real servers must not
//! move the VRRP timers.
//!
//! - `vm_check_data_reads_as_keepalived`: keepalived-rs with a virtual server whose real servers
//!   are one up (a listener) and one down (nothing listens); SIGUSR1 writes
//!   keepalived_check.data, which the keepalived-format reader (common/keepalived_dump.rs, also
//!   tested on keepalived's own check.data captured in this VM) reads: the real servers alive
//!   and not, their checkers up and down.
//! - `vm_bench_dumps_and_advert_timing` (`#[ignore]`d, run by hand; figures in
//!   docs/benchmarks.md): a MASTER with VRRPv3 `advert_int 0.1` and N virtual servers x 4 real
//!   servers (TCP_CHECK, delay_loop 60, against listeners), measured from the observer's capture:
//!   the intervals between its adverts for a quiet window, then for a window in which DATA,
//!   STATS and JSON are asked for back to back (each round waits for all its files); the
//!   largest interval of each window, and how long a round of dumps takes. The same for
//!   keepalived 2.2.7 in the same rig.
//!
//! ```text
//! cargo test -p keepalived-rs --test vm_dumps --no-run        # names target/debug/deps/vm_dumps-HASH
//! tests/vm/run --timeout 1500 --env KARS_BENCH_VS=1000 --env KARS_BENCH_BIN=$PWD/target/release/keepalived-rs \
//!     -- target/debug/deps/vm_dumps-HASH --ignored --nocapture bench
//! ```

mod common;
#[path = "common/keepalived_dump.rs"]
mod keepalived_dump;

use std::io::Read;
use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::{in_netns, in_vm, now_epoch, ours_binary, wait_for, Daemon, Lab, KEEPALIVED};
use keepalived_dump::Data;

/// Listeners on `addrs` port 80 in namespace `ns`, accepting and closing, for the test's life.
fn listeners(ns: &str, addrs: Vec<Ipv4Addr>) {
    let ls: Vec<TcpListener> = in_netns(ns, move || {
        addrs
            .iter()
            .map(|a| TcpListener::bind((*a, 80)).expect("bind"))
            .collect()
    });
    for l in ls {
        std::thread::spawn(move || {
            for mut c in l.incoming().flatten() {
                let _ = c.read(&mut [0u8; 64]);
            }
        });
    }
}

fn daemon(lab: &Lab, which: &str, name: &str, conf: &str, tmp: &Path) -> Daemon {
    std::fs::create_dir_all(tmp).unwrap();
    let conf_path = lab.write(&format!("{name}.conf"), conf);
    let bin = match which {
        "keepalived" => PathBuf::from(KEEPALIVED),
        _ => std::env::var_os("KARS_BENCH_BIN").map_or_else(ours_binary, PathBuf::from),
    };
    let mut cmd = Command::new("ip");
    cmd.env("TMPDIR", tmp)
        .args(["netns", "exec", lab.node(0)])
        .arg(bin)
        .args(["-n", "-l", "-f"])
        .arg(conf_path)
        .arg("-p")
        .arg(lab.dir.join(format!("{name}.pid")))
        .arg("-r")
        .arg(lab.dir.join(format!("{name}-vrrp.pid")))
        .arg("-c")
        .arg(lab.dir.join(format!("{name}-checkers.pid")));
    Daemon::spawn_for_test(&mut cmd, lab.dir.join(format!("{name}.log")))
}

fn kill(d: &Daemon, sig: i32) {
    let pid = d.pid().expect("running");
    let st = Command::new("sh")
        .args(["-c", &format!("kill -{sig} {pid}")])
        .status()
        .unwrap();
    assert!(st.success());
}

const VRRP: &str = "vrrp_instance VI_1 {\n    state MASTER\n    interface eth0\n    \
    virtual_router_id 51\n    priority 150\n    version 3\n    advert_int 0.1\n    \
    virtual_ipaddress {\n        10.9.0.100/24\n    }\n}\n";

#[test]
fn vm_check_data_reads_as_keepalived() {
    if !in_vm("vm_check_data_reads_as_keepalived") {
        return;
    }
    let lab = Lab::new("cd", 1).expect("lab");
    let ns = lab.node(0).to_string();
    listeners(&ns, vec![Ipv4Addr::new(127, 0, 0, 1)]);
    let conf = format!(
        "{VRRP}virtual_server 192.0.2.10 80 {{\n    delay_loop 2\n    lb_algo rr\n    lb_kind NAT\n    \
         persistence_timeout 50\n    protocol TCP\n    real_server 127.0.0.1 80 {{\n        weight 1\n        \
         TCP_CHECK {{\n            connect_timeout 1\n        }}\n    }}\n    real_server 127.0.0.2 80 {{\n        \
         weight 2\n        TCP_CHECK {{\n            connect_timeout 1\n            retry 0\n        }}\n    }}\n}}\n"
    );
    let tmp = lab.dir.join("tmp");
    let d = daemon(&lab, "ours", "ours", &conf, &tmp);
    // Signals only once it runs (before its handlers are installed, SIGUSR1 would end it).
    wait_for(Duration::from_secs(60), || lab.has(&ns, "10.9.0.100"))
        .unwrap_or_else(|| panic!("no master\n{}", d.log_text()));
    let path = tmp.join("keepalived_check.data");
    // The refused real server goes down after its first failed check.
    let read = || -> Option<Data> {
        let _ = std::fs::remove_file(&path);
        kill(&d, 10);
        wait_for(Duration::from_secs(10), || path.exists())?;
        Data::parse(&std::fs::read_to_string(&path).ok()?).ok()
    };
    let mut last = None;
    let done = wait_for(Duration::from_secs(60), || {
        let Some(data) = read() else { return false };
        // The LVS side starts about a second after the VRRP side (the model's memory is given
        // back first): until then the file has no virtual server.
        let Some(vs) = data.virtual_servers().ok().and_then(|v| v.first().cloned()) else {
            last = Some(data);
            return false;
        };
        let alive: Vec<String> = vs
            .children
            .iter()
            .map(|rs| rs.field("alive").unwrap_or("").to_string())
            .collect();
        last = Some(data);
        alive == ["1", "0"]
    });
    let data = last.unwrap_or_else(|| {
        panic!(
            "no readable check.data: {:?}\n{}\n{}",
            std::fs::read_dir(&tmp).map(|r| r.filter_map(|e| e.ok()).map(|e| e.file_name()).collect::<Vec<_>>()),
            std::fs::read_to_string(&path).unwrap_or_default(),
            d.log_text()
        )
    });
    assert!(done.is_some(), "real servers never 1, 0: {:?}\n{}", data.virtual_servers(), d.log_text());
    let vs = &data.virtual_servers().unwrap()[0];
    assert_eq!(vs.head, "VS VIP = 192.0.2.10, VPORT = 80");
    assert_eq!(vs.field("lvs_sched"), Some("rr"));
    assert_eq!(vs.field("persistence timeout"), Some("50"));
    assert_eq!(vs.children[1].field("RIP"), Some("127.0.0.2, RPORT = 80, WEIGHT = 2 EFF WEIGHT = 2"));
    let up: Vec<&str> = data
        .health_checkers()
        .unwrap()
        .iter()
        .map(|c| c.field("Up").unwrap())
        .collect();
    assert_eq!(up, ["yes", "no"]);
    // The VRRP side's data file is there too, and the parent's.
    let vrrp = Data::parse(&std::fs::read_to_string(tmp.join("keepalived.data")).unwrap()).unwrap();
    assert_eq!(vrrp.vrrp_instances().unwrap()[0].state, "MASTER");
    assert!(tmp.join("keepalived_parent.data").exists());
}

/// The configuration of the benchmark: the MASTER and `n` virtual servers x 4 real servers.
fn bench_conf(n: usize) -> String {
    let mut s = String::from(VRRP);
    for i in 0..n {
        s.push_str(&format!(
            "virtual_server 10.100.{}.{} 80 {{\n    delay_loop 60\n    lb_algo wlc\n    lb_kind NAT\n    protocol TCP\n",
            i / 250,
            i % 250 + 1
        ));
        for r in 1..=4 {
            s.push_str(&format!(
                "    real_server 127.0.0.{r} 80 {{\n        weight {r}\n        TCP_CHECK {{\n            connect_timeout 5\n        }}\n    }}\n"
            ));
        }
        s.push_str("}\n");
    }
    s
}

/// Intervals between the master's adverts captured in [from, to).
fn intervals(frames: &[common::Frame], from: f64, to: f64) -> Vec<f64> {
    let master = Ipv4Addr::new(10, 9, 0, 1);
    let times: Vec<f64> = frames
        .iter()
        .filter(|f| f.time >= from && f.time < to)
        .filter(|f| f.vrrp4().is_some_and(|(s, _, _)| s == master))
        .map(|f| f.time)
        .collect();
    times.windows(2).map(|w| (w[1] - w[0]) * 1000.0).collect()
}

fn summary(v: &[f64]) -> String {
    let mut v = v.to_vec();
    v.sort_by(|a, b| a.total_cmp(b));
    if v.is_empty() {
        return "no adverts".into();
    }
    let at = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
    format!(
        "adverts {} mean {:.1} ms p50 {:.1} p99 {:.1} max {:.1}",
        v.len() + 1,
        v.iter().sum::<f64>() / v.len() as f64,
        at(0.5),
        at(0.99),
        at(1.0)
    )
}

/// A control: a thread of the test that wakes every 20 ms and records when. A gap in its
/// wake-ups is a stall of the whole guest (the host deschedules QEMU's vCPU under load), which
/// delays adverts as much without any fault of the daemon's.
fn ticker(stop: std::sync::Arc<std::sync::atomic::AtomicBool>) -> std::thread::JoinHandle<Vec<f64>> {
    std::thread::spawn(move || {
        let mut times = Vec::new();
        while !stop.load(std::sync::atomic::Ordering::Relaxed) {
            times.push(now_epoch());
            std::thread::sleep(Duration::from_millis(20));
        }
        times
    })
}

fn largest_gap_ms(times: &[f64], from: f64, to: f64) -> f64 {
    let t: Vec<f64> = times.iter().copied().filter(|t| *t >= from && *t < to).collect();
    t.windows(2).map(|w| (w[1] - w[0]) * 1000.0).fold(0.0, f64::max)
}

fn bench_one(which: &str, n: usize, quiet: Duration, window: Duration, warmup: Duration) {
    let mut lab = Lab::new(if which == "keepalived" { "bk" } else { "bo" }, 1).expect("lab");
    let ns = lab.node(0).to_string();
    listeners(&ns, (1..=4).map(|r| Ipv4Addr::new(127, 0, 0, r)).collect());
    let tmp = lab.dir.join("tmp");
    let d = daemon(&lab, which, which, &bench_conf(n), &tmp);
    wait_for(Duration::from_secs(120), || lab.has(&ns, "10.9.0.100"))
        .unwrap_or_else(|| panic!("{which}: no master\n{}", d.log_text()));
    std::thread::sleep(warmup);
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let control = ticker(stop.clone());
    let t0 = now_epoch();
    std::thread::sleep(quiet);
    let t1 = now_epoch();
    let files = [
        "keepalived.data",
        "keepalived_check.data",
        "keepalived.stats",
        "keepalived.json",
    ];
    let mut rounds = Vec::new();
    let mut sizes = Vec::new();
    let end = Instant::now() + window;
    while Instant::now() < end {
        for f in files {
            let _ = std::fs::remove_file(tmp.join(f));
        }
        let start = Instant::now();
        for sig in [10, 12, 36] {
            kill(&d, sig);
        }
        let all = wait_for(Duration::from_secs(60), || files.iter().all(|f| tmp.join(f).exists()));
        assert!(all.is_some(), "{which}: dumps missing: {:?}", std::fs::read_dir(&tmp).map(|r| r.count()));
        rounds.push(start.elapsed().as_secs_f64() * 1000.0);
        if sizes.is_empty() {
            // keepalived writes in place: let it finish before measuring.
            std::thread::sleep(Duration::from_millis(500));
            sizes = files
                .iter()
                .map(|f| std::fs::metadata(tmp.join(f)).map_or(0, |m| m.len()))
                .collect();
        }
    }
    let t2 = now_epoch();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let ticks = control.join().unwrap();
    let frames = lab.capture();
    drop(d);
    println!(
        "MEASURE: {which} n={n} quiet:   {}; control's largest gap {:.1} ms",
        summary(&intervals(&frames, t0, t1)),
        largest_gap_ms(&ticks, t0, t1)
    );
    println!(
        "MEASURE: {which} n={n} dumping: {}; control's largest gap {:.1} ms",
        summary(&intervals(&frames, t1, t2)),
        largest_gap_ms(&ticks, t1, t2)
    );
    println!(
        "MEASURE: {which} n={n} dump rounds {} (DATA+STATS+JSON, all files there): {}; sizes {:?} bytes",
        rounds.len(),
        {
            let mut r = rounds.clone();
            r.sort_by(|a, b| a.total_cmp(b));
            format!(
                "mean {:.0} ms max {:.0} ms",
                r.iter().sum::<f64>() / r.len().max(1) as f64,
                r.last().copied().unwrap_or(0.0)
            )
        },
        sizes
    );
}

#[test]
#[ignore = "benchmark; run by hand in the VM"]
fn vm_bench_dumps_and_advert_timing() {
    if !in_vm("vm_bench_dumps_and_advert_timing") {
        return;
    }
    let env = |k: &str, d: u64| std::env::var(k).ok().and_then(|v| v.parse().ok()).unwrap_or(d);
    let n = env("KARS_BENCH_VS", 1000) as usize;
    let secs = |k, d| Duration::from_secs(env(k, d));
    let (quiet, window, warmup) = (
        secs("KARS_BENCH_QUIET", 20),
        secs("KARS_BENCH_WINDOW", 20),
        secs("KARS_BENCH_WARMUP", 20),
    );
    let daemons = std::env::var("KARS_BENCH_DAEMONS").unwrap_or("keepalived-rs,keepalived".into());
    for which in daemons.split(',') {
        bench_one(which, n, quiet, window, warmup);
    }
}
