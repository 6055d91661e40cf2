//! Memory of the LVS side at scale, on the host (no IPVS needed): the daemon's own start-up
//! path (parse, plans, the model dropped, `start_lvs`) with a simulated kernel, N TCP_CHECKs at
//! delay_loop 1 against listeners in another process (this test binary again, running
//! [`listeners`]), in a network namespace of the test's own. Prints VmRSS / RssAnon / RssFile /
//! VmHWM after each step and over a window. A measurement, not a test: run by hand, ideally on
//! a release build:
//!
//! ```sh
//! KARS_BENCH_N=10000 cargo test --release -p keepalived-rs --bin keepalived-rs -- \
//!     --ignored --nocapture --test-threads=1 rss_scale::checker_scale
//! ```
//!
//! KARS_BENCH_SECS: the window (default 20 s). KARS_RSS_SMAPS: the largest mappings at the end
//! (where the resident memory is). KARS_RSS_EXIT: exit at the end without freeing, for heap
//! profilers (`heaptrack`, with `--features system-alloc`: what is still allocated is the
//! running state). KARS_RSS_THP: leave transparent huge pages on, to compare.
//!
//! The daemon runs with mimalloc's purge delay at 0 (`crate::allocator`, which executes the
//! daemon once more with it); this harness is not executed that way: run it with
//! `MIMALLOC_PURGE_DELAY=0` to measure the daemon's setting.

use std::io::{BufRead, Read, Write};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ipvs::{Op, ServiceState};

use crate::lvsd;
use ipvs::{Kernel, ServiceKey};

/// The kernel's table, simulated by `ipvs::simulate` (it holds one copy of the table, as the
/// kernel would, but in our memory: about 50 bytes a destination).
#[derive(Clone, Default)]
struct Sim(Arc<Mutex<Vec<ServiceState>>>);

impl Kernel for Sim {
    type Error = String;
    fn state(&mut self) -> Result<Vec<ServiceState>, String> {
        Ok(self.0.lock().unwrap().clone())
    }
    fn state_of(&mut self, keys: &[ServiceKey]) -> Result<Vec<ServiceState>, String> {
        let table = self.0.lock().unwrap();
        Ok(keys
            .iter()
            .filter_map(|k| table.iter().find(|s| s.service.key == *k).cloned())
            .collect())
    }
    fn apply(&mut self, ops: &[Op]) -> Result<(), String> {
        ipvs::simulate(&mut self.0.lock().unwrap(), ops).map_err(|e| e.to_string())
    }
    fn set_timeouts(&mut self, _: &ipvs::Timeouts) -> Result<(), String> {
        Ok(())
    }
}

fn status() -> String {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb = |f: &str| -> u64 {
        s.lines()
            .find(|l| l.starts_with(f))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    let huge: u64 = std::fs::read_to_string("/proc/self/smaps_rollup")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("AnonHugePages:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    format!(
        "VmRSS {:6.1} MiB (anon {:6.1} of which huge pages {:5.1}, file {:4.1}), VmHWM {:6.1} MiB, threads {}",
        kb("VmRSS:") as f64 / 1024.0,
        kb("RssAnon:") as f64 / 1024.0,
        huge as f64 / 1024.0,
        kb("RssFile:") as f64 / 1024.0,
        kb("VmHWM:") as f64 / 1024.0,
        kb("Threads:")
    )
}

fn rss_kib() -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    s.lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// The listener side, run in a child process: KARS_RSS_LISTEN=PORTS listeners on 0.0.0.0:20000..,
/// each accepting and closing, until stdin closes. Without the variable it does nothing.
#[test]
#[ignore = "helper of checker_scale"]
fn listeners() {
    let Some(ports) = std::env::var("KARS_RSS_LISTEN")
        .ok()
        .and_then(|v| v.parse::<u16>().ok())
    else {
        return;
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        for p in 0..ports {
            let l = tokio::net::TcpListener::bind(("0.0.0.0", 20000 + p))
                .await
                .unwrap();
            tokio::spawn(async move {
                loop {
                    if let Ok((s, _)) = l.accept().await {
                        drop(s);
                    }
                }
            });
        }
        println!("ready");
        let _ = std::io::stdout().flush();
        let _ = tokio::task::spawn_blocking(|| {
            let mut sink = Vec::new();
            let _ = std::io::stdin().read_to_end(&mut sink);
        })
        .await;
    });
}

#[test]
#[ignore = "measurement; run by hand (see the module's doc)"]
fn checker_scale() {
    if !nix::unistd::geteuid().is_root() {
        eprintln!("SKIP: rss_scale::checker_scale: needs root (a network namespace of its own)");
        return;
    }
    let n: usize = std::env::var("KARS_BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let secs: u64 = std::env::var("KARS_BENCH_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    println!("start:            {}", status());
    // This thread and what it starts (threads, processes) get a namespace of their own.
    nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWNET).unwrap();
    let ok = Command::new("ip")
        .args(["link", "set", "lo", "up"])
        .status()
        .unwrap();
    assert!(ok.success());
    let ports = n.div_ceil(50);
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--ignored",
            "--exact",
            "rss_scale::listeners",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("KARS_RSS_LISTEN", ports.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    while out.read_line(&mut line).unwrap() > 0 && !line.contains("ready") {
        line.clear();
    }

    let dir = std::env::temp_dir().join(format!("krs-rss-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut conf = String::from(
        "virtual_server 10.255.0.1 80 {\n    delay_loop 1\n    lb_algo rr\n    lb_kind NAT\n    protocol TCP\n",
    );
    for i in 0..n {
        conf.push_str(&format!(
            "    real_server 127.1.0.{} {} {{\n        TCP_CHECK {{\n            connect_timeout 1\n        }}\n    }}\n",
            1 + i % 50,
            20000 + i / 50
        ));
    }
    conf.push_str("}\n");
    let conf_path = dir.join("scale.conf");
    std::fs::write(&conf_path, &conf).unwrap();
    drop(conf);

    // The daemon's path (daemon::run under -C): no huge pages (unless KARS_RSS_THP is set, to
    // compare), parse, the plans (kept for the run, as the reloader keeps them; the LVS side
    // shares their LVS plan), the model dropped.
    if std::env::var_os("KARS_RSS_THP").is_none() {
        crate::daemon::no_huge_pages();
    }
    let parsed = crate::config_cmd::load(&conf_path, None, false, false);
    assert!(parsed.is_ok(), "{}", parsed.render_diagnostics());
    println!("parsed:           {}", status());
    let source = crate::reload::Source {
        file: conf_path.clone(),
        config_id: None,
        strict: false,
        all_config: false,
        check_host: true,
        dont_release_ipvs: false,
        vrrp_only: false,
        checkers_only: true,
        no_bfd: false,
    };
    let (plans, tls) = crate::reload::plans(&parsed.config, &source).unwrap();
    let lvs_plan = plans.lvs.clone().expect("virtual servers");
    crate::process::raise_nofile_limit(lvs_plan.checker_count() as u64).unwrap();
    println!("planned:          {}", status());
    drop(parsed);
    println!("model dropped:    {}", status());

    let sim = Sim::default();
    let prepared = lvsd::Prepared {
        plan: lvs_plan,
        tls,
        kernel: sim.clone(),
    };
    let (snapshots, _) = tokio::sync::watch::channel(Default::default());
    let (notifier, _notifier_thread) =
        crate::notifier::Notifier::start(crate::notifier::Settings::default()).unwrap();
    let (stop, thread) =
        crate::daemon::start_lvs(prepared, snapshots, Default::default(), notifier).unwrap();
    // The rest of this thread's life runs as the daemon's main thread does (daemon::run): on a
    // runtime with release_freed_memory().
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let max = rt.block_on(async {
        tokio::spawn(crate::daemon::release_freed_memory(
            crate::daemon::START_PRODS,
        ));
        for t in [1, 2, 3, 5] {
            tokio::time::sleep(Duration::from_secs(1)).await;
            println!("after {t} s:        {}", status());
        }
        tokio::time::sleep(Duration::from_secs(3)).await;
        println!("after 8 s:        {}", status());
        let t0 = Instant::now();
        let mut max = 0;
        while t0.elapsed() < Duration::from_secs(secs) {
            tokio::time::sleep(Duration::from_secs(1)).await;
            max = max.max(rss_kib());
        }
        max
    });
    // KARS_RSS_SMAPS: the mappings holding 256 KiB or more (mimalloc's arena is the large
    // anonymous one), to see where resident memory is.
    if std::env::var_os("KARS_RSS_SMAPS").is_some() {
        let smaps = std::fs::read_to_string("/proc/self/smaps").unwrap_or_default();
        let mut cur = String::new();
        for l in smaps.lines() {
            if l.split_whitespace()
                .next()
                .is_some_and(|w| w.contains('-') && !w.ends_with(':'))
            {
                cur = l.to_string();
            } else if let Some(v) = l.strip_prefix("Rss:") {
                let kb: u64 = v.trim().trim_end_matches(" kB").trim().parse().unwrap_or(0);
                if kb >= 256 {
                    println!("SMAPS {kb:7} kB {cur}");
                }
            }
        }
    }
    let in_table: usize = sim.0.lock().unwrap().iter().map(|s| s.dests.len()).sum();
    println!("after {:2} s more:  {}", secs, status());
    println!(
        "MEASURE: rss_scale N={n}: max VmRSS over {secs} s {:.1} MiB, {in_table} destinations in the simulated table",
        max as f64 / 1024.0
    );
    // What the long-lived structures hold per real server (one TCP_CHECK each).
    {
        use std::mem::size_of;
        println!(
            "sizes (bytes): RealServerPlan {}, PlannedChecker {}, TcpCheck {} (shared by the plan and the engine), Destination {}, RealServerSnapshot {}, CheckerSnapshot {}",
            size_of::<crate::lvs::RealServerPlan>(),
            size_of::<crate::lvs::PlannedChecker>(),
            size_of::<checkers::tcp::TcpCheck>(),
            size_of::<ipvs::Destination>(),
            size_of::<crate::snapshot::RealServerSnapshot>(),
            size_of::<crate::snapshot::CheckerSnapshot>(),
        );
    }
    if std::env::var_os("KARS_RSS_EXIT").is_some() {
        // For heap profilers: what is still allocated at exit is the running state.
        std::process::exit(0);
    }
    let _ = stop.send(lvsd::Command::Stop);
    thread.join().unwrap();
    drop(plans);
    drop(child.stdin.take());
    let _ = child.wait();
    std::fs::remove_dir_all(&dir).unwrap();
}
