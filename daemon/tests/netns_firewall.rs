//! The nftables tables keepalived 2.2.7 installs for instances not in accept mode (vrrp_strict),
//! against keepalived-rs on the same file in the same lab: `nft list ruleset` on the node is
//! the same from both at BACKUP (nothing yet), at MASTER (the VIPs and excluded VIPs of the
//! strict instance in `ip`'s and `ip6`'s sets, a link-local one with its interface, not those
//! of the instance in accept mode), back
//! at BACKUP (the sets emptied, the tables kept) and after stop (nothing); while MASTER a
//! connection to the dropped VIP times out where one to the accepting instance's VIP is
//! refused. Needs root and `nft`; skips loudly without them.

mod common;

use std::io::ErrorKind;
use std::net::{SocketAddr, TcpStream};
use std::process::Command;
use std::time::Duration;

use common::{in_netns, lab_or_skip, wait_for, Daemon, Lab};

/// VI_1 drops (strict, not the owner), VI_2 accepts (`accept`, VRRPv3). Short adverts: MASTER
/// within a second.
const CONF: &str = "global_defs {
    vrrp_strict
}
vrrp_instance VI_1 {
    state BACKUP
    interface eth0
    virtual_router_id 51
    version 3
    priority 100
    advert_int 0.2
    virtual_ipaddress {
        10.9.0.100/24
    }
    virtual_ipaddress_excluded {
        10.9.0.200/24
        fd09::200/64
        fe80::200/64
    }
}
vrrp_instance VI_2 {
    state BACKUP
    interface eth0
    virtual_router_id 52
    version 3
    priority 100
    advert_int 0.2
    accept
    virtual_ipaddress {
        10.9.0.110/24
    }
}
";

/// A peer that takes VI_1 over.
const PEER: &str = "vrrp_instance VI_1 {
    state BACKUP
    interface eth0
    virtual_router_id 51
    version 3
    priority 200
    advert_int 0.2
    virtual_ipaddress {
        10.9.0.100/24
    }
    virtual_ipaddress_excluded {
        10.9.0.200/24
        fd09::200/64
        fe80::200/64
    }
}
";

fn ruleset(ns: &str) -> String {
    let o = Command::new("ip")
        .args(["netns", "exec", ns, "nft", "list", "ruleset"])
        .output()
        .expect("nft");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// How a TCP connection from `ns` to `addr` ends: refused (the node answered) or timed out
/// (dropped).
fn connect_from(ns: &str, addr: &str) -> ErrorKind {
    let to: SocketAddr = format!("{addr}:9").parse().unwrap();
    in_netns(ns, move || {
        match TcpStream::connect_timeout(&to, Duration::from_millis(400)) {
            Ok(_) => ErrorKind::Other,
            Err(e) => e.kind(),
        }
    })
}

/// The rulesets at BACKUP, MASTER, BACKUP again and after stop, of `who` on node 1.
fn stages(lab: &Lab, who: &str) -> [String; 4] {
    let (a, b) = (lab.node(0).to_string(), lab.node(1).to_string());
    let mut d = lab.start_either(who, &a, CONF);
    d.wait_log("(VI_1) Entering BACKUP STATE", Duration::from_secs(5));
    let backup = ruleset(&a);
    // The firewall is set before the addresses: once they are there, so is it.
    let held = || {
        [
            "10.9.0.100",
            "10.9.0.200",
            "fd09::200",
            "fe80::200",
            "10.9.0.110",
        ]
    };
    assert!(
        wait_for(Duration::from_secs(5), || held()
            .iter()
            .all(|v| lab.has(&a, v)))
        .is_some(),
        "{who}: {:?}\n{}",
        lab.addresses(&a),
        d.log_text()
    );
    let master = ruleset(&a);
    assert_eq!(connect_from(&b, "10.9.0.100"), ErrorKind::TimedOut, "{who}");
    assert_eq!(
        connect_from(&b, "10.9.0.110"),
        ErrorKind::ConnectionRefused,
        "{who}: the instance in accept mode answers"
    );
    let mut peer: Daemon = lab.start_ours(&b, &format!("{who}-peer"), PEER);
    assert!(
        wait_for(Duration::from_secs(5), || !ruleset(&a)
            .contains("10.9.0.100"))
        .is_some(),
        "{who}: VI_1's VIPs still dropped after the takeover\n{}",
        d.log_text()
    );
    let backup_again = ruleset(&a);
    d.term(Duration::from_secs(5));
    let stopped = ruleset(&a);
    peer.term(Duration::from_secs(5));
    [backup, master, backup_again, stopped]
}

#[test]
fn netns_firewall_drops_the_vips_of_a_master_not_in_accept_mode() {
    let test = "netns_firewall_drops_the_vips_of_a_master_not_in_accept_mode";
    let Some(lab) = lab_or_skip(test, "fw", 2) else {
        return;
    };
    if Command::new("nft").arg("--version").output().is_err() {
        eprintln!("SKIP: {test}: no `nft` command (nftables) to list the rules with");
        return;
    }
    let mut seen = Vec::new();
    for who in common::daemons_to_compare() {
        let s = stages(&lab, who);
        assert_eq!(s[0], "", "{who}: nothing before the first MASTER");
        for v in [
            "10.9.0.100",
            "10.9.0.200",
            "fd09::200",
            "fe80::200 . \"eth0\"",
        ] {
            assert!(s[1].contains(v), "{who}: {v} not dropped:\n{}", s[1]);
        }
        assert!(
            !s[1].contains("10.9.0.110"),
            "{who}: accept mode dropped:\n{}",
            s[1]
        );
        assert!(
            !s[2].contains("10.9.0.") && !s[2].contains("fd09::") && !s[2].contains("fe80::200"),
            "{who}: sets not emptied:\n{}",
            s[2]
        );
        assert!(
            s[2].contains("table ip6 keepalived"),
            "{who}: tables kept:\n{}",
            s[2]
        );
        assert_eq!(s[3], "", "{who}: left after stop");
        seen.push((who, s));
    }
    if let [(_, ours), (_, theirs)] = seen.as_slice() {
        for (stage, (o, k)) in ["BACKUP", "MASTER", "BACKUP again", "stopped"]
            .iter()
            .zip(ours.iter().zip(theirs))
        {
            assert_eq!(
                o, k,
                "{stage}: keepalived-rs (left) and keepalived 2.2.7 (right)"
            );
        }
    }
}
