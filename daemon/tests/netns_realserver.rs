//! `keepalived-rs realserver` in a network namespace of the lab, as a real server's operator
//! runs it: `status` names what is missing, `--dry-run` changes nothing, `up` puts the VIPs on
//! lo and sets the ARP settings (checked in the namespace's /proc/sys and with `ip addr`), a
//! second `up` changes nothing, a neighbour's ARP request for the VIP goes unanswered (it is
//! answered without the settings: the problem is real), `down` undoes all of it. Needs root;
//! skips loudly without it.

mod common;

use std::process::{Command, Output};
use std::time::Duration;

use common::{ip, lab_or_skip, ours_binary, wait_for, Lab};

const VIP4: &str = "10.9.0.100";
const VIP6: &str = "fd09::100";
const SETTINGS: [(&str, &str); 6] = [
    ("all", "arp_ignore"),
    ("all", "arp_announce"),
    ("default", "arp_ignore"),
    ("default", "arp_announce"),
    ("lo", "arp_ignore"),
    ("lo", "arp_announce"),
];

fn realserver(lab: &Lab, ns: &str, args: &[&str]) -> (i32, String) {
    let state = lab.dir.join("arp-sysctls");
    let mut cmd = Command::new("ip");
    cmd.args(["netns", "exec", ns])
        .arg(ours_binary())
        .arg("realserver")
        .args(args);
    if args[0] != "status" {
        cmd.arg("--state-file").arg(&state);
    }
    let o: Output = cmd.output().expect("run keepalived-rs realserver");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    (o.status.code().unwrap_or(-1), text)
}

/// The six ARP settings in namespace `ns`, in SETTINGS' order.
fn settings(ns: &str) -> Vec<String> {
    SETTINGS
        .iter()
        .map(|(i, s)| {
            let o = Command::new("ip")
                .args(["netns", "exec", ns, "cat"])
                .arg(format!("/proc/sys/net/ipv4/conf/{i}/{s}"))
                .output()
                .unwrap();
            String::from_utf8_lossy(&o.stdout).trim().to_string()
        })
        .collect()
}

fn lo(ns: &str) -> String {
    ip(&["-n", ns, "addr", "show", "dev", "lo"]).unwrap()
}

/// Sends a datagram to the VIP from `from` (which makes it ask ARP) and says whether the VIP's
/// MAC was learnt within two seconds.
fn arp_answered(from: &str) -> bool {
    let _ = ip(&["-n", from, "neigh", "flush", "dev", "eth0"]);
    let _ = Command::new("ip")
        .args(["netns", "exec", from, "bash", "-c"])
        .arg(format!("echo x > /dev/udp/{VIP4}/9"))
        .output();
    wait_for(Duration::from_secs(2), || {
        ip(&["-n", from, "neigh", "show", VIP4])
            .unwrap_or_default()
            .contains("lladdr")
    })
    .is_some()
}

#[test]
fn netns_realserver_up_status_down() {
    let Some(lab) = lab_or_skip("netns_realserver_up_status_down", "rs", 2) else {
        return;
    };
    let (rs, client) = (lab.node(0).to_string(), lab.node(1).to_string());
    let before = settings(&rs);
    assert_eq!(before, ["0"; 6], "a fresh namespace's settings");

    // The problem: a VIP on lo with the kernel's defaults is answered for on eth0.
    ip(&["-n", &rs, "addr", "add", &format!("{VIP4}/32"), "dev", "lo"]).unwrap();
    assert!(
        arp_answered(&client),
        "the VIP on lo was not answered for by default"
    );
    ip(&["-n", &rs, "addr", "del", &format!("{VIP4}/32"), "dev", "lo"]).unwrap();

    let (code, out) = realserver(&lab, &rs, &["status", VIP4, VIP6]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains(&format!("MISSING: {VIP4}/32 on lo")), "{out}");
    assert!(out.contains(&format!("MISSING: {VIP6}/128 on lo")), "{out}");
    assert!(
        out.contains("MISSING: net.ipv4.conf.all.arp_ignore = 0, should be 1"),
        "{out}"
    );

    let (code, out) = realserver(&lab, &rs, &["up", "--dry-run", VIP4, VIP6]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains(&format!("would add {VIP4}/32 to lo")), "{out}");
    assert!(
        out.contains("would set net.ipv4.conf.lo.arp_announce = 2 (was 0)"),
        "{out}"
    );
    assert!(!lo(&rs).contains(VIP4), "--dry-run changed something");
    assert_eq!(settings(&rs), before, "--dry-run changed something");

    let (code, out) = realserver(&lab, &rs, &["up", VIP4, &format!("{VIP6}/128")]);
    assert_eq!(code, 0, "{out}");
    let addrs = lo(&rs);
    assert!(addrs.contains(&format!("inet {VIP4}/32 ")), "{addrs}");
    assert!(addrs.contains(&format!("inet6 {VIP6}/128 ")), "{addrs}");
    assert!(addrs.contains("nodad"), "{addrs}");
    assert_eq!(settings(&rs), ["1", "2", "1", "2", "1", "2"]);
    assert!(
        !arp_answered(&client),
        "ARP for the VIP answered after `up`"
    );

    // Twice: nothing changes, nothing is added twice.
    let (code, out) = realserver(&lab, &rs, &["up", VIP4, VIP6]);
    assert_eq!((code, out.trim()), (0, "nothing to change"));
    assert_eq!(lo(&rs), addrs);

    let (code, out) = realserver(&lab, &rs, &["status", VIP4, VIP6]);
    assert_eq!(code, 0, "{out}");
    assert!(!out.contains("MISSING"), "{out}");

    let (code, out) = realserver(&lab, &rs, &["down", VIP4, VIP6]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains(&format!("remove {VIP4}/32 from lo")), "{out}");
    let addrs = lo(&rs);
    assert!(!addrs.contains(VIP4) && !addrs.contains(VIP6), "{addrs}");
    assert_eq!(settings(&rs), before, "down did not put the settings back");
    assert!(
        !lab.dir.join("arp-sysctls").exists(),
        "the record outlived down"
    );

    let (code, out) = realserver(&lab, &rs, &["down", VIP4, VIP6]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("nothing to change"), "{out}");
}

#[test]
fn realserver_refuses_a_prefix_and_needs_a_vip() {
    let o = Command::new(ours_binary())
        .args(["realserver", "up", "192.0.2.1/24"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("a VIP on lo is a single address (/32)"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let o = Command::new(ours_binary())
        .args(["realserver", "status"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
}
