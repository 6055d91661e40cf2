//! `interface_up_down_delays`, keepalived-rs and keepalived 2.2.7 in turn on the same file in a
//! network namespace: a tracked interface (eth1, down 0.8 s, up 0.5 s) flapping for less than
//! its down delay puts no instance in FAULT; down for longer, FAULT once the delay has passed,
//! and back after the up delay; the instance's own interface (eth0, `eth0 0.5`: no up delay)
//! losing its carrier, FAULT after 0.5 s and BACKUP at once when it is back. The log lines
//! keepalived writes for a delayed change are checked in both. Needs root; skips loudly
//! without it. About 9 s per daemon.

mod common;

use std::time::{Duration, Instant};

use common::kernel_state::{add_eth1, ip_ok};
use common::{daemons_to_compare, lab_or_skip, wait_for, Conf, Daemon, Lab};

/// How many times `text` is in the daemon's log.
fn count(d: &Daemon, text: &str) -> usize {
    d.log_text().matches(text).count()
}

/// Waits (up to 3 s) for the `n`-th `text` in the log; how long that took from `since`.
fn nth_after(d: &Daemon, text: &str, n: usize, since: Instant, who: &str) -> Duration {
    assert!(
        wait_for(Duration::from_secs(3), || count(d, text) >= n).is_some(),
        "{who}: no {text:?} #{n}\n{}",
        d.log_text()
    );
    since.elapsed()
}

fn run(lab: &Lab, ns: &str, who: &str, conf: &str) {
    let mut d = lab.start_either(who, ns, conf);
    let has_vip = || lab.has(ns, "10.9.0.100");
    assert!(
        wait_for(Duration::from_secs(10), has_vip).is_some(),
        "{who}: MASTER\n{}",
        d.log_text()
    );
    const FAULT: &str = "Entering FAULT STATE";
    const BACKUP: &str = "Entering BACKUP STATE";
    let backups = count(&d, BACKUP);

    // A flap shorter than the down delay: logged, never acted on.
    ip_ok(&["-n", ns, "link", "set", "eth1", "down"]);
    std::thread::sleep(Duration::from_millis(200));
    ip_ok(&["-n", ns, "link", "set", "eth1", "up"]);
    std::thread::sleep(Duration::from_millis(1200));
    let log = d.log_text();
    assert!(
        log.contains("eth1: Adding flags change from 0x11043 to 0x1002 delay by 800000"),
        "{who}: the held change's line\n{log}"
    );
    assert!(
        !log.contains(FAULT) && has_vip(),
        "{who}: no FAULT on a flap shorter than the delay\n{log}"
    );

    // Down for longer: FAULT after the down delay, back after the up delay.
    let t = Instant::now();
    ip_ok(&["-n", ns, "link", "set", "eth1", "down"]);
    let down = nth_after(&d, FAULT, 1, t, who);
    assert!(
        d.log_text().contains("Netlink reports eth1 down"),
        "{who}\n{}",
        d.log_text()
    );
    let t = Instant::now();
    ip_ok(&["-n", ns, "link", "set", "eth1", "up"]);
    let up = nth_after(&d, BACKUP, backups + 1, t, who);
    assert!(
        d.log_text()
            .contains("eth1: Adding flags change from 0x1002 to 0x11043 delay by 500000"),
        "{who}\n{}",
        d.log_text()
    );

    // The instance's own interface loses its carrier: FAULT after its 0.5 s; no up delay.
    let port = format!("p{}", 1);
    let t = Instant::now();
    ip_ok(&["-n", &lab.bridge_ns, "link", "set", &port, "down"]);
    let own_down = nth_after(&d, FAULT, 2, t, who);
    let t = Instant::now();
    ip_ok(&["-n", &lab.bridge_ns, "link", "set", &port, "up"]);
    let own_up = nth_after(&d, BACKUP, backups + 2, t, who);
    eprintln!(
        "MEASURE: {who}: tracked eth1 down -> FAULT {:.3} s (delay 0.8), up -> BACKUP {:.3} s \
         (delay 0.5); own eth0 carrier lost -> FAULT {:.3} s (delay 0.5), back -> BACKUP {:.3} s \
         (no up delay)",
        down.as_secs_f64(),
        up.as_secs_f64(),
        own_down.as_secs_f64(),
        own_up.as_secs_f64()
    );
    // The delays are kept (never acted on before them); the upper bounds are generous.
    assert!(
        down >= Duration::from_millis(780) && down < Duration::from_millis(2500),
        "{who}: {down:?}"
    );
    assert!(
        up >= Duration::from_millis(480) && up < Duration::from_millis(2500),
        "{who}: {up:?}"
    );
    assert!(
        own_down >= Duration::from_millis(480) && own_down < Duration::from_millis(2500),
        "{who}: {own_down:?}"
    );
    assert!(own_up < Duration::from_millis(400), "{who}: {own_up:?}");
    assert_eq!(d.term(Duration::from_secs(10)), Some(0), "{}", d.log_text());
}

#[test]
fn netns_interface_up_down_delays_as_in_keepalived() {
    let Some(lab) = lab_or_skip("netns_interface_up_down_delays_as_in_keepalived", "ld", 1) else {
        return;
    };
    let ns = lab.node(0).to_string();
    add_eth1(&ns, "10.8.0.1/24");
    let conf = Conf {
        extra: "    track_interface {\n        eth1\n    }\n".into(),
        ..Conf::v2("MASTER", 150)
    };
    let conf = format!(
        "interface_up_down_delays {{\n    eth1 0.8 0.5\n    eth0 0.5\n}}\n{}",
        conf.text()
    );
    for who in daemons_to_compare() {
        run(&lab, &ns, who, &conf);
    }
}
