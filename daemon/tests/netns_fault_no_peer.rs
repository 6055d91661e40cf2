//! vrrp_instance `unicast_fault_no_peer` without any `unicast_peer`: keepalived 2.2.7 holds the
//! instance in FAULT ("Cannot use unicast without any peers - going to fault state") instead of
//! falling back to multicast. Both daemons in turn on one file in a network namespace, a
//! `state MASTER` instance that would otherwise take the VIP: no VIP, no advert, the same notify
//! lines (FAULT, then STOP at stop) and keepalived's log line. Needs root for the namespace lab;
//! skips loudly without it.

mod common;

use std::time::Duration;

use common::{lab_or_skip, wait_for, Conf, Daemon, Lab};

fn file(lab: &Lab, notify_out: &std::path::Path) -> String {
    let script = lab.write(
        "notify.sh",
        &format!("#!/bin/sh\necho \"$@\" >> {}\n", notify_out.display()),
    );
    let mut perms = std::fs::metadata(&script).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(&script, perms).unwrap();
    let conf = Conf {
        extra: format!(
            "    unicast_fault_no_peer\n    notify {}\n",
            script.display()
        ),
        ..Conf::v2("MASTER", 150)
    };
    format!(
        "global_defs {{\n    enable_script_security\n    script_user root\n}}\n{}",
        conf.text()
    )
}

/// Runs one daemon for 5 s (a MASTER would have the VIP within 2 s): what it did.
fn run(lab: &Lab, ns: &str, who: &str, start: impl FnOnce(&str) -> Daemon) -> (String, String) {
    let out = lab.dir.join(format!("{who}.notify"));
    let _ = std::fs::remove_file(&out);
    let mut d = start(&file(lab, &out));
    let vip = wait_for(Duration::from_secs(5), || lab.has(ns, "10.9.0.100"));
    assert!(vip.is_none(), "{who}: took the VIP\n{}", d.log_text());
    assert!(d.running(), "{who}: {}", d.log_text());
    assert_eq!(
        d.term(Duration::from_secs(10)),
        Some(0),
        "{who}: {}",
        d.log_text()
    );
    // The STOP line's script may still be running.
    wait_for(Duration::from_secs(5), || {
        std::fs::read_to_string(&out).is_ok_and(|t| t.contains("STOP"))
    });
    (
        std::fs::read_to_string(&out).unwrap_or_default(),
        d.log_text(),
    )
}

#[test]
fn netns_unicast_fault_no_peer_without_peers_holds_the_instance_in_fault() {
    let Some(lab) = lab_or_skip(
        "netns_unicast_fault_no_peer_without_peers_holds_the_instance_in_fault",
        "fp",
        1,
    ) else {
        return;
    };
    let ns = lab.node(0).to_string();
    let (ours, log) = run(&lab, &ns, "ours", |c| lab.start_ours(&ns, "ours", c));
    assert_eq!(
        ours, "INSTANCE VI_1 FAULT 150\nINSTANCE VI_1 STOP 150\n",
        "{log}"
    );
    assert!(
        log.contains("(VI_1) Cannot use unicast without any peers - going to fault state"),
        "{log}"
    );
    if std::path::Path::new(common::KEEPALIVED).exists() {
        let (theirs, log) = run(&lab, &ns, "theirs", |c| {
            lab.start_keepalived(&ns, "theirs", c)
        });
        assert_eq!(theirs, ours, "keepalived 2.2.7's notify lines\n{log}");
        assert!(
            log.contains("(VI_1) Cannot use unicast without any peers - going to fault state"),
            "{log}"
        );
    } else {
        eprintln!("SKIP: keepalived 2.2.7 not installed: its behaviour not compared");
    }
}
