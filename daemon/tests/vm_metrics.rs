//! The LVS side's metrics on a real kernel (IPVS: the test VM, tests/vm/README.md): a director
//! with one virtual server and two real servers (busybox httpd, TCP_CHECK), scraped from inside
//! its namespace and parsed with the Prometheus project's Python client. A real server whose web
//! server stops moves `lvs_real_servers_up` from 2 to 1 (and the kernel's table agrees), its
//! checker's failures count, and it comes back when the web server starts again; the check
//! latency histograms and the reconciler's passes, operations and durations move; a real server
//! deleted by hand (`ipvsadm -d`) is put back and counted as a drift correction.
//!
//! ```text
//!  n1 director 10.9.0.1  keepalived-rs --metrics-listen 10.9.0.1:9650
//!  n2 real     10.9.0.2  httpd
//!  n3 real     10.9.0.3  httpd
//! ```
//! Outside the VM the test prints one `SKIP:` line.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::dr::busybox_httpd;
use common::metrics::{have_parser, scrape, value, Samples};
use common::{in_vm, lab_or_skip, wait_for, Daemon, Lab};

const VIP: &str = "10.9.0.150";
const VS: [(&str, &str); 1] = [("virtual_server", "[10.9.0.150]:tcp:80")];

fn conf() -> String {
    let rs = |addr: &str| {
        format!(
            "    real_server {addr} 80 {{\n        weight 1\n        TCP_CHECK {{\n            connect_timeout 1\n            retry 0\n        }}\n    }}\n"
        )
    };
    format!(
        "virtual_server {VIP} 80 {{\n    delay_loop 1\n    lb_algo rr\n    lb_kind DR\n    protocol TCP\n{}{}}}\n",
        rs("10.9.0.2"),
        rs("10.9.0.3")
    )
}

/// busybox's httpd in the foreground on port 80 of `ns` (address `addr`), once it listens.
fn httpd(lab: &Lab, ns: &str, addr: &str) -> Daemon {
    let www = lab.dir.join(format!("www-{addr}"));
    std::fs::create_dir_all(&www).unwrap();
    std::fs::write(www.join("index.html"), "ok\n").unwrap();
    busybox_httpd(lab, ns, addr, &www, addr)
}

/// The real servers of VIP:80 in the director's IPVS table.
fn table(ns: &str) -> Vec<String> {
    let out = Command::new("ip")
        .args(["netns", "exec", ns, "/usr/sbin/ipvsadm", "-Ln", "-t"])
        .arg(format!("{VIP}:80"))
        .output()
        .expect("ipvsadm");
    let mut v: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.trim().strip_prefix("-> "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|a| !a.starts_with("RemoteAddress"))
        .map(|a| a.to_string())
        .collect();
    v.sort();
    v
}

fn up(s: &Samples) -> f64 {
    value(s, "keepalived_rs_lvs_real_servers_up", &VS).unwrap_or(-1.0)
}

/// Waits (up to `limit`) for a scrape that satisfies `ok`, and returns it.
fn wait_scrape(ns: &str, url: &str, limit: Duration, ok: impl Fn(&Samples) -> bool) -> Samples {
    let mut last = None;
    let found = wait_for(limit, || match scrape(ns, url, true) {
        Ok((_, s)) => {
            let done = ok(&s);
            last = Some(Ok(s));
            done
        }
        Err(e) => {
            last = Some(Err(e));
            false
        }
    });
    match (found, last) {
        (Some(_), Some(Ok(s))) => s,
        (_, last) => panic!("no such scrape in {limit:?}; the last: {last:?}"),
    }
}

#[test]
fn vm_metrics_follow_a_real_server_going_down_and_back() {
    let test = "vm_metrics_follow_a_real_server_going_down_and_back";
    if !in_vm(test) || !have_parser(test) {
        return;
    }
    let Some(lab) = lab_or_skip(test, "vm", 3) else {
        return;
    };
    let (dir, r1, r2) = (lab.node(0), lab.node(1), lab.node(2));
    let mut h1 = Some(httpd(&lab, r1, "10.9.0.2"));
    let _h2 = httpd(&lab, r2, "10.9.0.3");
    let conf = lab.write("d.conf", &conf());
    let url = "http://10.9.0.1:9650/metrics";
    let mut cmd = Command::new("ip");
    cmd.args([
        "netns",
        "exec",
        dir,
        env!("CARGO_BIN_EXE_keepalived-rs"),
        "-n",
        "-l",
        "-f",
    ])
    .arg(&conf)
    .args(["--metrics-listen", "10.9.0.1:9650"]);
    for (opt, suffix) in [("-p", ""), ("-r", "-vrrp"), ("-c", "-checkers")] {
        cmd.arg(opt).arg(lab.dir.join(format!("d{suffix}.pid")));
    }
    let d = Daemon::spawn_for_test(&mut cmd, lab.dir.join("d.log"));
    let both = vec!["10.9.0.2:80".to_string(), "10.9.0.3:80".to_string()];
    // Emulation is 5-10x slower than the host: generous bounds throughout.
    let limit = Duration::from_secs(60);
    let s = wait_scrape(dir, url, limit, |s| {
        up(s) == 2.0
            && value(
                s,
                "keepalived_rs_check_duration_seconds_count",
                &[("kind", "TCP_CHECK"), ("result", "success")],
            )
            .unwrap_or(0.0)
                >= 2.0
    });
    assert_eq!(table(dir), both, "{}", d.log_text());
    assert_eq!(value(&s, "keepalived_rs_lvs_real_servers", &VS), Some(2.0));
    assert_eq!(value(&s, "keepalived_rs_lvs_quorum_up", &VS), Some(1.0));
    assert!(value(&s, "keepalived_rs_ipvs_passes_total", &[("kind", "full")]).unwrap() >= 1.0);
    // The service and its two destinations, at least.
    assert!(value(&s, "keepalived_rs_ipvs_operations_total", &[]).unwrap() >= 3.0);
    assert!(
        value(
            &s,
            "keepalived_rs_ipvs_pass_duration_seconds_count",
            &[("kind", "full")]
        )
        .unwrap()
            >= 1.0
    );
    assert_eq!(value(&s, "keepalived_rs_ipvs_errors_total", &[]), Some(0.0));
    let r1_checker = [
        ("real_server", "10.9.0.2:80"),
        ("checker", "1"),
        ("kind", "TCP_CHECK"),
    ];
    assert_eq!(
        value(&s, "keepalived_rs_checker_up", &r1_checker),
        Some(1.0)
    );
    assert_eq!(
        value(&s, "keepalived_rs_checker_failures_total", &r1_checker),
        Some(0.0)
    );

    // The first real server's web server stops: out of the table, one up.
    drop(h1.take());
    // The pool's state and the reconciler's counters reach the snapshot in separate
    // publications (at most 500 ms apart): wait for both.
    let s = wait_scrape(dir, url, limit, |s| {
        up(s) == 1.0
            && value(s, "keepalived_rs_ipvs_passes_total", &[("kind", "update")])
                .is_some_and(|n| n >= 1.0)
    });
    assert_eq!(
        value(
            &s,
            "keepalived_rs_lvs_real_server_up",
            &[("real_server", "10.9.0.2:80")]
        ),
        Some(0.0)
    );
    assert_eq!(
        value(&s, "keepalived_rs_checker_up", &r1_checker),
        Some(0.0)
    );
    assert!(value(&s, "keepalived_rs_checker_failures_total", &r1_checker).unwrap() >= 1.0);
    assert!(
        value(
            &s,
            "keepalived_rs_check_duration_seconds_count",
            &[("kind", "TCP_CHECK"), ("result", "failure")]
        )
        .unwrap()
            >= 1.0
    );
    assert!(
        wait_for(Duration::from_secs(20), || table(dir) == ["10.9.0.3:80"]).is_some(),
        "the kernel's table: {:?}",
        table(dir)
    );

    // It starts again: back in, two up.
    h1 = Some(httpd(&lab, r1, "10.9.0.2"));
    wait_scrape(dir, url, limit, |s| up(s) == 2.0);
    assert!(
        wait_for(Duration::from_secs(20), || table(dir) == both).is_some(),
        "{:?}",
        table(dir)
    );

    // A destination deleted by hand is put back by a full pass (every 5 s), and counted.
    let before = value(&s, "keepalived_rs_ipvs_drift_corrections_total", &[]).unwrap();
    let o = Command::new("ip")
        .args(["netns", "exec", dir, "/usr/sbin/ipvsadm", "-d", "-t"])
        .arg(format!("{VIP}:80"))
        .args(["-r", "10.9.0.3:80"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    wait_scrape(dir, url, limit, |s| {
        value(s, "keepalived_rs_ipvs_drift_corrections_total", &[]).unwrap_or(0.0) > before
    });
    assert!(
        wait_for(Duration::from_secs(20), || table(dir) == both).is_some(),
        "{:?}",
        table(dir)
    );
    drop(h1);
    save_log(&d, test);
}

/// The daemon's log, in the results directory for a look after the run.
fn save_log(d: &Daemon, test: &str) {
    if let Ok(out) = std::env::var("KARS_VM_OUT") {
        let _ = std::fs::copy(&d.log, Path::new(&out).join(format!("{test}.log")));
    }
}
