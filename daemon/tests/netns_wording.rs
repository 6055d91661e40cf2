//! The VRRP side's log lines in keepalived 2.2.7's words: the lines keepalived logged in the
//! same scenario (a MASTER of VRID 51 started with `-n -l -D -P`, its second GARP burst, then
//! SIGTERM; tests/data/keepalived-2.2.7/syslog-vrrp-master.txt, captured from the real
//! daemon) must appear in ours, word for word and in the same order, except the lines about
//! keepalived's own processes and sockets (listed below). Needs root; skips loudly without it.

mod common;

use std::path::Path;
use std::time::Duration;

use common::{lab_or_skip, wait_for};

/// keepalived's lines about what keepalived-rs does not have or does otherwise: its processes,
/// its build, its sockets, its own figures (docs/compat.md, logging).
const NOT_OURS: &[&str] = &[
    "Starting Keepalived",
    "Running on Linux",
    "Command line:",
    "              '",
    "Opening file",
    "Configuration file",
    "NOTICE: setting config option max_auto_priority",
    "Starting VRRP child process",
    "Registering",
    "Assigned address",
    "VRRP sockpool",
    "CPU usage",
    "Stopped - used",
    "Stopped Keepalived",
];

/// The messages of a syslog capture (`<PRI>Mmm dd hh:mm:ss IDENT[PID]: MSG`).
fn messages(capture: &str) -> Vec<String> {
    capture
        .lines()
        .filter_map(|l| l.split_once("]: ").map(|(_, m)| m.to_string()))
        .collect()
}

#[test]
fn netns_vrrp_lines_are_keepalived_words() {
    let Some(lab) = lab_or_skip("netns_vrrp_lines_are_keepalived_words", "wd", 1) else {
        return;
    };
    let a = lab.node(0).to_string();
    let capture = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/keepalived-2.2.7/syslog-vrrp-master.txt"),
    )
    .unwrap();
    let conf = "global_defs {\n    router_id kflh\n}\nvrrp_instance VI_1 {\n    state MASTER\n    interface eth0\n    virtual_router_id 51\n    priority 150\n    advert_int 1\n    authentication {\n        auth_type PASS\n        auth_pass s3cret\n    }\n    virtual_ipaddress {\n        10.9.9.100/24\n    }\n}\n";
    let mut d = lab.start_ours(&a, "ours", conf);
    assert!(wait_for(Duration::from_secs(10), || lab.has(&a, "10.9.9.100")).is_some());
    // The second GARP burst comes garp_master_delay (5 s) after the first.
    std::thread::sleep(Duration::from_secs(6));
    assert_eq!(d.term(Duration::from_secs(10)), Some(0));
    let ours: Vec<String> = d
        .log_text()
        .lines()
        .map(|l| {
            // The console layout: `Sun Dec  6 04:54:10 2026: MSG`.
            l.get(26..).unwrap_or("").to_string()
        })
        .collect();
    let wanted: Vec<String> = messages(&capture)
        .into_iter()
        .filter(|m| !NOT_OURS.iter().any(|n| m.starts_with(n)))
        .collect();
    assert!(wanted.len() >= 15, "{wanted:?}");
    // Each of keepalived's lines, in order, among ours.
    let mut at = 0;
    for w in &wanted {
        match ours[at..].iter().position(|o| o == w) {
            Some(i) => at += i + 1,
            None => panic!(
                "keepalived's line {w:?} is not in ours after line {at}:\n{}",
                ours.join("\n")
            ),
        }
    }
}
