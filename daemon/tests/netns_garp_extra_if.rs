//! vrrp_instance `garp_extra_if all N`: keepalived 2.2.7, while MASTER, sends one gratuitous
//! ARP every N s on each interface other than the instance's own that holds some of its
//! addresses, for the first address configured there (measured); nothing more for the
//! instance's own interface or the other addresses. keepalived-rs and keepalived in turn on
//! the same file, node 1 with a second interface (eth1) on the lab's bridge. Needs root for
//! the namespace lab; skips loudly without it.

mod common;

use std::net::Ipv4Addr;
use std::time::Duration;

use common::{ip, lab_or_skip, now_epoch, wait_for, Conf, Frame, Lab};

const ETH1_MAC: [u8; 6] = [2, 0, 0, 0, 0, 0x11];

/// GARPs for `vip` in `[from, to]`.
fn garps(frames: &[Frame], vip: &str, mac: [u8; 6], from: f64, to: f64) -> usize {
    let vip: Ipv4Addr = vip.parse().unwrap();
    frames
        .iter()
        .filter(|f| (from..=to).contains(&f.time) && f.src_mac() == mac && f.is_garp_for(vip))
        .count()
}

/// Whether `addr` is on node 1's eth1 (the lab looks at eth0 only).
fn on_eth1(ns: &str, addr: &str) -> bool {
    ip(&["-n", ns, "-br", "addr", "show", "dev", "eth1"])
        .unwrap_or_default()
        .split_whitespace()
        .any(|w| w.split('/').next() == Some(addr))
}

#[test]
fn netns_garp_extra_if_all_announces_the_other_interfaces() {
    let Some(mut lab) = lab_or_skip(
        "netns_garp_extra_if_all_announces_the_other_interfaces",
        "gx",
        1,
    ) else {
        return;
    };
    let ns = lab.node(0).to_string();
    let br = lab.bridge_ns.clone();
    ip(&[
        "-n", &br, "link", "add", "p11", "type", "veth", "peer", "name", "eth1", "netns", &ns,
    ])
    .unwrap();
    ip(&["-n", &br, "link", "set", "p11", "master", "br0", "up"]).unwrap();
    ip(&[
        "-n",
        &ns,
        "link",
        "set",
        "eth1",
        "address",
        "02:00:00:00:00:11",
    ])
    .unwrap();
    ip(&["-n", &ns, "addr", "add", "10.9.1.1/24", "dev", "eth1"]).unwrap();
    ip(&["-n", &ns, "link", "set", "eth1", "up"]).unwrap();
    let conf = Conf {
        vips: vec![
            "10.9.0.100/24",
            "10.9.1.100/24 dev eth1",
            "10.9.1.101/24 dev eth1",
        ],
        extra: "    garp_extra_if all 2\n".into(),
        ..Conf::v2("MASTER", 150)
    }
    .text();
    let mut windows = Vec::new();
    for who in common::daemons_to_compare() {
        let mut d = lab.start_either(who, &ns, &conf);
        assert!(
            wait_for(Duration::from_secs(10), || on_eth1(&ns, "10.9.1.100")).is_some(),
            "{who}: no VIP\n{}",
            d.log_text()
        );
        let from = now_epoch() - 0.5;
        // Master from about now: extra messages at +2, +4 and +6 s.
        std::thread::sleep(Duration::from_millis(7000));
        assert_eq!(
            d.term(Duration::from_secs(10)),
            Some(0),
            "{who}: {}",
            d.log_text()
        );
        windows.push((who.to_string(), from, now_epoch()));
        std::thread::sleep(Duration::from_millis(500));
    }
    let frames = lab.capture();
    for (who, from, to) in windows {
        let first = garps(&frames, "10.9.1.100", ETH1_MAC, from, to);
        let second = garps(&frames, "10.9.1.101", ETH1_MAC, from, to);
        let own = garps(&frames, "10.9.0.100", Lab::mac(0), from, to);
        eprintln!(
            "MEASURE: {who}: garp_extra_if all 2 over 7 s as MASTER: GARPs for eth1's first \
             address {first}, its second {second}, eth0's {own}"
        );
        assert!(second > 0, "{who}: the bursts on taking over");
        assert_eq!(
            own, second,
            "{who}: nothing extra on the instance's own interface"
        );
        assert_eq!(
            first - second,
            3,
            "{who}: one every 2 s for eth1's first address"
        );
    }
}
