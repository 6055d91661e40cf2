//! vrrp_instance `unicast_ttl` and a `unicast_peer`'s `min_ttl`/`max_ttl`: keepalived 2.2.7
//! sends its unicast adverts with TTL `unicast_ttl`, and drops a peer's advert whose TTL is
//! outside the peer's range ("(VI_1) TTL/HL 10 not in range 20 - 200"), so that backup takes
//! over; within the range it stays BACKUP. Each daemon sends to the other and to itself, in the
//! same rig. Needs root for the namespace lab; skips loudly without it.

mod common;

use std::path::Path;
use std::time::Duration;

use common::{lab_or_skip, wait_for, Conf, Daemon, Lab, KEEPALIVED};

fn sender() -> String {
    Conf {
        extra: "    unicast_src_ip 10.9.0.1\n    unicast_ttl 10\n    unicast_peer {\n        10.9.0.2\n    }\n".into(),
        ..Conf::v2("MASTER", 150)
    }
    .text()
}

fn receiver(min_ttl: u8) -> String {
    Conf {
        extra: format!(
            "    unicast_src_ip 10.9.0.2\n    unicast_peer {{\n        10.9.0.1 min_ttl {min_ttl} max_ttl 200\n    }}\n"
        ),
        ..Conf::v2("BACKUP", 100)
    }
    .text()
}

/// `who` in `ns`, its files named after `role` (both ends may be the same daemon).
fn start(lab: &Lab, who: &str, ns: &str, role: &str, conf: &str) -> Daemon {
    let name = format!("{who}-{role}");
    if who == "keepalived" {
        lab.start_keepalived(ns, &name, conf)
    } else {
        lab.start_ours(ns, &name, conf)
    }
}

/// `from` sends with TTL 10 to `to`, whose range starts at 20 (out) and then at 5 (in):
/// whether `to` took the VIP each time, and its log of the first.
fn pair(lab: &Lab, from: &str, to: &str) -> ([bool; 2], String) {
    let (n1, n2) = (lab.node(0).to_string(), lab.node(1).to_string());
    let mut s = start(lab, from, &n1, "sender", &sender());
    assert!(
        wait_for(Duration::from_secs(10), || lab.has(&n1, "10.9.0.100")).is_some(),
        "{from}: no VIP\n{}",
        s.log_text()
    );
    let mut took = [false; 2];
    let mut first_log = String::new();
    for (n, min) in [20u8, 5].into_iter().enumerate() {
        let mut r = start(lab, to, &n2, "receiver", &receiver(min));
        // A backup that hears nothing takes over after Master_Down_Interval (3.6 s).
        took[n] = wait_for(Duration::from_secs(6), || lab.has(&n2, "10.9.0.100")).is_some();
        if n == 0 {
            first_log = r.log_text();
        }
        assert_eq!(
            r.term(Duration::from_secs(10)),
            Some(0),
            "{to}: {}",
            r.log_text()
        );
        std::thread::sleep(Duration::from_millis(300));
    }
    assert_eq!(
        s.term(Duration::from_secs(10)),
        Some(0),
        "{from}: {}",
        s.log_text()
    );
    std::thread::sleep(Duration::from_millis(300));
    (took, first_log)
}

#[test]
fn netns_unicast_ttl_and_a_peers_ttl_range() {
    let Some(lab) = lab_or_skip("netns_unicast_ttl_and_a_peers_ttl_range", "ut", 2) else {
        return;
    };
    let mut pairs = vec![("keepalived-rs", "keepalived-rs")];
    if Path::new(KEEPALIVED).exists() {
        pairs.push(("keepalived-rs", "keepalived"));
        pairs.push(("keepalived", "keepalived-rs"));
    } else {
        eprintln!("SKIP: keepalived 2.2.7 not installed: its behaviour not compared");
    }
    for (from, to) in pairs {
        let (took, log) = pair(&lab, from, to);
        assert_eq!(
            took,
            [true, false],
            "{from} -> {to}: TTL 10 is outside 20..200 and inside 5..200\n{log}"
        );
        assert!(
            log.contains("TTL/HL 10 not in range 20 - 200"),
            "{to}: {log}"
        );
    }
}
