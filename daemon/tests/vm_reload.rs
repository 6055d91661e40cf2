//! SIGHUP on the LVS side, on a real kernel (the test VM), with traffic going through an
//! LVS-DR director, for keepalived-rs and (for the record) keepalived 2.2.7 in the same rig:
//!
//! - a reload of an unchanged file leaves the table identical and every counter of
//!   `ipvsadm -Ln --stats --exact` going up (nothing deleted and added again);
//! - a weight changed is that destination edited, its counters going on;
//! - a real server that is down stays out of the table through the reload (polled at 20 Hz);
//! - a virtual server removed goes, one added comes, the others are untouched;
//! - a destination deleted by hand (`ipvsadm -d`) is back after the reload (keepalived 2.2.7
//!   leaves it deleted);
//! - a broken file changes nothing.
//!
//! ```text
//!  n1 client    10.9.0.1, connects to the VIP every 50 ms
//!  n2 director  10.9.0.2, VIP 10.9.0.100/32 on eth0 (no VRRP here: -C)
//!  n3, n4 real  10.9.0.3, 10.9.0.4: VIP on lo, arp_ignore/arp_announce, a listener on :80
//!  n5 real      10.9.0.5: the same, no listener (its TCP_CHECK fails: it is out)
//! ```
//! Outside the VM each test prints one `SKIP:` line.

mod common;

use std::collections::BTreeMap;
use std::io::Read;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::{in_netns, in_vm, lab_or_skip, wait_for, Daemon, Lab, KEEPALIVED};

const VIP: &str = "10.9.0.100";

fn sh(ns: &str, cmd: &str) -> String {
    let o = Command::new("ip")
        .args(["netns", "exec", ns, "/bin/sh", "-c", cmd])
        .output()
        .expect("ip netns exec");
    assert!(o.status.success(), "{ns}: {cmd}: {}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Threads that stop when dropped: the listeners and the client.
struct Threads {
    stop: Arc<AtomicBool>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl Drop for Threads {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

/// The lab: real servers with the VIP on lo, listeners on n3 and n4, the VIP on the director,
/// and a client connecting every 50 ms.
fn setup(lab: &Lab) -> Threads {
    let stop = Arc::new(AtomicBool::new(false));
    let mut threads = Vec::new();
    sh(lab.node(1), &format!("ip addr add {VIP}/32 dev eth0"));
    for i in 2..5 {
        sh(
            lab.node(i),
            &format!(
                "ip addr add {VIP}/32 dev lo; for c in all default lo; do \
                 echo 1 > /proc/sys/net/ipv4/conf/$c/arp_ignore; \
                 echo 2 > /proc/sys/net/ipv4/conf/$c/arp_announce; done"
            ),
        );
    }
    for i in 2..4 {
        let l = in_netns(lab.node(i), || TcpListener::bind("0.0.0.0:80").expect("listener"));
        l.set_nonblocking(true).unwrap();
        let s = stop.clone();
        threads.push(std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                match l.accept() {
                    Ok((c, _)) => drop(c),
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        }));
    }
    let s = stop.clone();
    let path = format!("/run/netns/{}", lab.node(0));
    threads.push(std::thread::spawn(move || {
        let f = std::fs::File::open(&path).unwrap();
        nix::sched::setns(&f, nix::sched::CloneFlags::CLONE_NEWNET).unwrap();
        let vip: SocketAddr = format!("{VIP}:80").parse().unwrap();
        while !s.load(Ordering::Relaxed) {
            if let Ok(mut c) = TcpStream::connect_timeout(&vip, Duration::from_millis(500)) {
                let _ = c.set_read_timeout(Some(Duration::from_millis(500)));
                let _ = c.read(&mut [0u8; 16]);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }));
    Threads { stop, threads }
}

/// One virtual server with the real servers n3, n4 (up) and n5 (down); `weight3` for n3.
fn vs(addr: &str, weight3: u32) -> String {
    let mut s = format!(
        "virtual_server {addr} 80 {{\n    delay_loop 1\n    lb_algo wrr\n    lb_kind DR\n    protocol TCP\n"
    );
    for (rs, w) in [("10.9.0.3", weight3), ("10.9.0.4", 1), ("10.9.0.5", 1)] {
        s.push_str(&format!(
            "    real_server {rs} 80 {{\n        weight {w}\n        TCP_CHECK {{\n            connect_timeout 1\n            retry 0\n        }}\n    }}\n"
        ));
    }
    s.push_str("}\n");
    s
}

/// `ipvsadm -Ln --stats --exact` in the director: each service and destination with its
/// counters (connections, packets in and out, bytes in and out).
fn stats(ns: &str) -> BTreeMap<String, Vec<u64>> {
    let out = sh(ns, "/usr/sbin/ipvsadm -Ln --stats --exact");
    let mut service = String::new();
    let mut map = BTreeMap::new();
    for l in out.lines() {
        let w: Vec<&str> = l.split_whitespace().collect();
        let (key, nums) = match w.first() {
            Some(&"TCP") | Some(&"UDP") => {
                service = w[1].to_string();
                (service.clone(), &w[2..])
            }
            Some(&"->") if w[1] != "RemoteAddress:Port" => (format!("{service} -> {}", w[1]), &w[2..]),
            _ => continue,
        };
        map.insert(key, nums.iter().filter_map(|n| n.parse().ok()).collect());
    }
    map
}

/// The table's weights (`ipvsadm -Ln`): destination -> weight.
fn weights(ns: &str) -> BTreeMap<String, u64> {
    let out = sh(ns, "/usr/sbin/ipvsadm -Ln");
    let mut service = String::new();
    let mut map = BTreeMap::new();
    for l in out.lines() {
        let w: Vec<&str> = l.split_whitespace().collect();
        match w.first() {
            Some(&"TCP") => service = w[1].to_string(),
            Some(&"->") if w[1] != "RemoteAddress:Port" => {
                map.insert(format!("{service} -> {}", w[1]), w[3].parse().unwrap_or(0));
            }
            _ => {}
        }
    }
    map
}

fn start(lab: &Lab, who: &str, conf: &str) -> Daemon {
    let file = lab.write(&format!("{who}.conf"), conf);
    let bin = if who == "keepalived" {
        KEEPALIVED.to_string()
    } else {
        env!("CARGO_BIN_EXE_keepalived-rs").to_string()
    };
    let mut cmd = Command::new("ip");
    cmd.args(["netns", "exec", lab.node(1), &bin, "-n", "-l", "-D", "-C", "-f"])
        .arg(&file);
    for (flag, f) in [("-p", "pid"), ("-r", "vrrp.pid"), ("-c", "checkers.pid")] {
        cmd.arg(flag).arg(lab.dir.join(format!("{who}.{f}")));
    }
    Daemon::spawn_for_test(&mut cmd, lab.dir.join(format!("{who}.log")))
}

/// Rewrites the file and sends SIGHUP; waits for the daemon's end-of-reload line (ours must
/// say it; keepalived's checker child is given 5 s, whatever it says).
fn reload(lab: &Lab, d: &Daemon, who: &str, conf: &str, done: &str) {
    let before = d.log_text().matches(done).count();
    lab.write(&format!("{who}.conf"), conf);
    d.signal(nix::sys::signal::Signal::SIGHUP);
    if who == "keepalived" {
        std::thread::sleep(Duration::from_secs(5));
        return;
    }
    assert!(
        wait_for(Duration::from_secs(20), || d.log_text().matches(done).count() > before).is_some(),
        "{who}: no {done:?} after SIGHUP:\n{}",
        d.log_text()
    );
}

fn up_two() -> BTreeMap<String, u64> {
    BTreeMap::from([
        (format!("{VIP}:80 -> 10.9.0.3:80"), 1),
        (format!("{VIP}:80 -> 10.9.0.4:80"), 1),
    ])
}

/// Every counter of `before` is at most the same in `after` (nothing was deleted and
/// re-created: that would start it again from zero); the keys are the same.
fn monotonic(before: &BTreeMap<String, Vec<u64>>, after: &BTreeMap<String, Vec<u64>>) -> bool {
    before.keys().eq(after.keys())
        && before
            .iter()
            .all(|(k, b)| b.iter().zip(&after[k]).all(|(x, y)| x <= y))
}

#[test]
fn vm_reload_keeps_the_table_and_its_counters() {
    if !in_vm("vm_reload_keeps_the_table_and_its_counters") {
        return;
    }
    for who in ["keepalived-rs", "keepalived"] {
        let Some(lab) = lab_or_skip("vm_reload_keeps_the_table_and_its_counters", "rl", 5) else {
            return;
        };
        let _threads = setup(&lab);
        let d = lab.node(1).to_string();
        let done = "Reload complete";
        let conf = vs(VIP, 1);
        let mut daemon = start(&lab, who, &conf);
        assert!(
            wait_for(Duration::from_secs(30), || weights(&d) == up_two()).is_some(),
            "{who}: {:?}\n{}",
            weights(&d),
            daemon.log_text()
        );
        // Traffic flows: the counters move.
        assert!(wait_for(Duration::from_secs(10), || stats(&d)
            .get(&format!("{VIP}:80"))
            .is_some_and(|c| c[0] >= 4))
        .is_some());

        // 1. An unchanged file: same table, counters going up; the down one never in.
        let down = format!("{VIP}:80 -> 10.9.0.5:80");
        let before = stats(&d);
        let seen_down = Arc::new(AtomicBool::new(false));
        let poll_stop = Arc::new(AtomicBool::new(false));
        let poller = {
            let (seen, stop, d, down) = (seen_down.clone(), poll_stop.clone(), d.clone(), down.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    if weights(&d).contains_key(&down) {
                        seen.store(true, Ordering::Relaxed);
                    }
                    std::thread::sleep(Duration::from_millis(50));
                }
            })
        };
        reload(&lab, &daemon, who, &conf, done);
        std::thread::sleep(Duration::from_secs(2));
        poll_stop.store(true, Ordering::Relaxed);
        poller.join().unwrap();
        let after = stats(&d);
        let kept = monotonic(&before, &after);
        let down_in = seen_down.load(Ordering::Relaxed);
        println!("MEASURE: {who}: reload of an unchanged file: counters monotonic {kept}, the down real server seen in the table {down_in}");

        // 2. A weight changed: that destination edited, its counters going on.
        let before = stats(&d);
        reload(&lab, &daemon, who, &vs(VIP, 3), done);
        let three = format!("{VIP}:80 -> 10.9.0.3:80");
        let edited = wait_for(Duration::from_secs(10), || weights(&d).get(&three) == Some(&3)).is_some();
        let after = stats(&d);
        let weight_kept = monotonic(&before, &after);
        println!("MEASURE: {who}: weight 1 -> 3: edited {edited}, counters monotonic {weight_kept}");

        // 3. A virtual server added, the other untouched.
        let two = format!("{}{}", vs(VIP, 3), vs("10.9.0.101", 1));
        let before = stats(&d);
        reload(&lab, &daemon, who, &two, done);
        let added = wait_for(Duration::from_secs(15), || weights(&d).contains_key("10.9.0.101:80 -> 10.9.0.4:80")).is_some();
        let after = stats(&d);
        let untouched = before.iter().all(|(k, b)| after.get(k).is_some_and(|a| b.iter().zip(a).all(|(x, y)| x <= y)));
        println!("MEASURE: {who}: virtual server added {added}, the other untouched {untouched}");
        // ... and removed.
        reload(&lab, &daemon, who, &vs(VIP, 3), done);
        let removed = wait_for(Duration::from_secs(10), || !weights(&d).keys().any(|k| k.starts_with("10.9.0.101"))).is_some();
        println!("MEASURE: {who}: virtual server removed {removed}");

        // 4. A destination deleted by hand, then a reload of the same file.
        sh(&d, &format!("/usr/sbin/ipvsadm -d -t {VIP}:80 -r 10.9.0.4:80"));
        reload(&lab, &daemon, who, &vs(VIP, 3), done);
        let back = wait_for(Duration::from_secs(10), || weights(&d).contains_key(&format!("{VIP}:80 -> 10.9.0.4:80"))).is_some();
        println!("MEASURE: {who}: a destination deleted by hand, then a reload: back {back}");

        // 5. A broken file: nothing changes.
        let table = weights(&d);
        // Cut short, as a half-saved file: its last real server and closing brace lost.
        let full = vs(VIP, 3);
        let cut = &full[..full.find("    real_server 10.9.0.5").unwrap()];
        reload(&lab, &daemon, who, cut, "reload refused");
        std::thread::sleep(Duration::from_secs(2));
        let same = weights(&d) == table;
        println!("MEASURE: {who}: a broken file: table unchanged {same}");

        if who == "keepalived-rs" {
            assert!(kept, "counters went back: {before:?}");
            assert!(!down_in, "the down real server came into the table");
            assert!(edited && weight_kept, "weight: edited {edited}, counters kept {weight_kept}");
            assert!(added && untouched && removed);
            assert!(back, "the hand-deleted destination did not come back");
            assert!(same, "a broken file changed the table");
            assert!(daemon.running());
        }
        let _ = daemon.term(Duration::from_secs(20));
    }
}

/// A director with a VRRP instance (v3, 100 ms adverts, MASTER) and `n` virtual servers x 4
/// real servers (no checkers: always in); `weight` for the first real server of virtual
/// server `n / 2`.
fn big_conf(n: usize, weight: u32) -> String {
    let mut s = String::from(
        "vrrp_instance VI_1 {\n    state MASTER\n    interface eth0\n    virtual_router_id 51\n    priority 150\n    version 3\n    advert_int 0.1\n    virtual_ipaddress {\n        10.9.0.100/24\n    }\n}\n",
    );
    for i in 0..n {
        s.push_str(&format!(
            "virtual_server 10.10.{}.{} 80 {{\n    lvs_sched wrr\n    lvs_method DR\n    protocol TCP\n",
            i / 250,
            i % 250 + 1
        ));
        for r in 0..4 {
            let w = if i == n / 2 && r == 0 { weight } else { 1 };
            s.push_str(&format!(
                "    real_server 172.16.{}.{} 80 {{\n        weight {w}\n    }}\n",
                (4 * i + r) / 250,
                (4 * i + r) % 250 + 1
            ));
        }
        s.push_str("}\n");
    }
    s
}

/// Reload of 1,000 virtual servers x 4 with one weight changed, both daemons in one boot: the
/// time from SIGHUP until the kernel holds the new weight (polled through netlink every 10
/// ms), the netlink requests the daemon sends meanwhile (strace, round 1 only), and the largest gap
/// in the director's adverts (100 ms apart) around it. Prints MEASURE lines
/// (docs/benchmarks.md): `tests/vm/run-tests -p keepalived-rs -- --ignored --nocapture
/// vm_bench_reload`.
#[test]
#[ignore = "benchmark"]
fn vm_bench_reload_one_weight_of_1000() {
    if !in_vm("vm_bench_reload_one_weight_of_1000") {
        return;
    }
    let n = 1000;
    for round in 0..2 {
        for who in ["keepalived-rs", "keepalived"] {
            let Some(mut lab) = lab_or_skip("vm_bench_reload_one_weight_of_1000", "rb", 2) else {
                return;
            };
            let d = lab.node(0).to_string();
            let file = lab.write(&format!("{who}.conf"), &big_conf(n, 1));
            let bin = if who == "keepalived" {
                std::path::PathBuf::from(KEEPALIVED)
            } else {
                common::ours_binary()
            };
            let mut cmd = Command::new("ip");
            cmd.args(["netns", "exec", &d]).arg(&bin).args(["-n", "-l", "-D", "-f"]).arg(&file);
            for (flag, f) in [("-p", "pid"), ("-r", "vrrp.pid"), ("-c", "checkers.pid")] {
                cmd.arg(flag).arg(lab.dir.join(format!("{who}.{f}")));
            }
            let mut daemon = Daemon::spawn_for_test(&mut cmd, lab.dir.join(format!("{who}.log")));
            let key = ipvs::ServiceKey::Addr {
                protocol: ipvs::Protocol::Tcp,
                addr: format!("10.10.{}.{}", (n / 2) / 250, (n / 2) % 250 + 1).parse().unwrap(),
                port: 80,
            };
            let rs: std::net::IpAddr = format!("172.16.{}.{}", (4 * (n / 2)) / 250, (4 * (n / 2)) % 250 + 1)
                .parse()
                .unwrap();
            let weight_now = {
                let d = d.clone();
                move || -> Option<u32> {
                    in_netns(&d, move || {
                        let mut c = ipvs::Client::open().ok()?;
                        let s = c.state_of(&[key]).ok()?;
                        s.first()?.dests.iter().find(|x| x.addr == rs).map(|x| x.weight)
                    })
                }
            };
            let programmed = wait_for(Duration::from_secs(300), || {
                sh(&d, "/usr/sbin/ipvsadm -Ln | grep -c '^TCP' || true").trim() == n.to_string()
            });
            assert!(programmed.is_some(), "{who}: not programmed:\n{}", daemon.log_text());
            std::thread::sleep(Duration::from_secs(3));
            // The process sending the netlink requests: keepalived's checker child, our one.
            let pid_file = if who == "keepalived" { "checkers.pid" } else { "pid" };
            let pid: u32 = std::fs::read_to_string(lab.dir.join(format!("{who}.{pid_file}")))
                .unwrap()
                .trim()
                .parse()
                .unwrap();
            let trace = lab.dir.join(format!("{who}.strace"));
            // strace slows a traced process down (ours has more threads to follow), so round 0
            // times without it and round 1 counts the requests.
            let traced_round = round == 1;
            let mut strace = traced_round
                .then(|| Command::new("strace")
                .args(["-f", "-ttt", "-e", "trace=sendmsg,sendto", "-o"])
                .arg(&trace)
                .args(["-p", &pid.to_string()])
                .stderr(std::process::Stdio::null())
                .spawn()
                .ok())
                .flatten();
            std::thread::sleep(Duration::from_secs(2));
            lab.write(&format!("{who}.conf"), &big_conf(n, 5));
            let main_pid = daemon.pid().unwrap();
            let t0 = common::now_epoch();
            let start = std::time::Instant::now();
            nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(main_pid as i32),
                nix::sys::signal::Signal::SIGHUP,
            )
            .unwrap();
            let mut took = None;
            while start.elapsed() < Duration::from_secs(60) {
                if weight_now() == Some(5) {
                    took = Some(start.elapsed());
                    break;
                }
                // Not faster: the poll shares the VM's one CPU with the daemon.
                std::thread::sleep(Duration::from_millis(10));
            }
            std::thread::sleep(Duration::from_secs(3));
            if let Some(s) = strace.as_mut() {
                let _ = nix::sys::signal::kill(
                    nix::unistd::Pid::from_raw(s.id() as i32),
                    nix::sys::signal::Signal::SIGINT,
                );
                let _ = s.wait();
            }
            let traced = std::fs::read_to_string(&trace).unwrap_or_default();
            // The requests sent between the signal and the new weight in the kernel (a full
            // pass of ours may follow the reload: not counted).
            let until = t0 + took.map_or(60.0, |t| t.as_secs_f64());
            let netlink = traced
                .lines()
                .filter(|l| l.contains("AF_NETLINK") || l.contains("nlmsg_"))
                // `PID SECONDS.MICROS call(...)`; the pid is there only when strace follows
                // more than one thread.
                .filter_map(|l| {
                    l.split_whitespace()
                        .take(2)
                        .find(|w| w.contains('.'))?
                        .parse::<f64>()
                        .ok()
                })
                .filter(|t| (t0..=until).contains(t))
                .count();
            let frames = lab.capture();
            let src: std::net::Ipv4Addr = Lab::addr4(0).parse().unwrap();
            let times: Vec<f64> = frames
                .iter()
                .filter(|f| f.time >= t0 - 1.0 && f.time <= t0 + 4.0)
                .filter(|f| f.vrrp4().is_some_and(|(s, _, p)| s == src && p.len() > 2 && p[2] != 0))
                .map(|f| f.time)
                .collect();
            let gap = times.windows(2).map(|w| w[1] - w[0]).fold(0.0, f64::max);
            let sends = if traced_round { netlink.to_string() } else { "not traced".into() };
            println!(
                "MEASURE: reload round {round} {who}: 1,000 virtual servers x 4, one weight 1 -> 5: in the kernel after {} ms; netlink sends from the signal to the new weight (strace): {sends}; largest advert gap around it {:.0} ms (adverts every 100 ms)",
                took.map_or("never (60 s)".to_string(), |t| format!("{:.1}", t.as_secs_f64() * 1000.0)),
                gap * 1000.0
            );
            for l in daemon.log_text().lines().filter(|l| {
                l.contains("Reload") || l.contains("reload") || l.contains("IPVS")
            }) {
                println!("  {who}: {l}");
            }
            let _ = daemon.term(Duration::from_secs(60));
        }
    }
}
