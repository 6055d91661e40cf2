//! An instance's interface in the netns lab, as keepalived 2.2.7 behaves (checked in a netns):
//! no address at start -> FAULT, then BACKUP/MASTER once the address comes; missing at start
//! -> an error without `dynamic_interfaces`, FAULT with it; deleted and recreated (new index)
//! -> followed, with the sockets reopened (both directions checked against a peer). Needs
//! root; skips loudly without it.

mod common;

use std::time::Duration;

use common::{ip, lab_or_skip, wait_for, Conf};

fn has_on(ns: &str, dev: &str, addr: &str) -> bool {
    ip(&["-n", ns, "-br", "addr", "show", "dev", dev])
        .unwrap_or_default()
        .split_whitespace()
        .any(|w| w.split('/').next() == Some(addr))
}

#[test]
fn netns_instance_without_address_starts_in_fault_and_recovers() {
    let Some(lab) = lab_or_skip(
        "netns_instance_without_address_starts_in_fault_and_recovers",
        "na",
        1,
    ) else {
        return;
    };
    let a = lab.node(0).to_string();
    ip(&["-n", &a, "addr", "del", "10.9.0.1/24", "dev", "eth0"]).unwrap();
    let mut d = lab.start_ours(&a, "a", &Conf::v2("MASTER", 150).text());
    assert!(
        wait_for(Duration::from_secs(5), || d.log_text().contains(
            "entering FAULT state (interface eth0 has no IPv4 address)"
        ))
        .is_some(),
        "{}",
        d.log_text()
    );
    std::thread::sleep(Duration::from_millis(1500));
    assert!(d.running(), "{}", d.log_text());
    assert!(!lab.has(&a, "10.9.0.100"), "no VIP while in FAULT");
    ip(&["-n", &a, "addr", "add", "10.9.0.1/24", "dev", "eth0"]).unwrap();
    assert!(
        wait_for(Duration::from_secs(8), || lab.has(&a, "10.9.0.100")).is_some(),
        "MASTER once the address is there: {}",
        d.log_text()
    );
    // The address goes again: FAULT, VIP removed.
    ip(&["-n", &a, "addr", "del", "10.9.0.1/24", "dev", "eth0"]).unwrap();
    assert!(
        wait_for(Duration::from_secs(5), || !lab.has(&a, "10.9.0.100")).is_some(),
        "{}",
        d.log_text()
    );
    // The VIP may be gone a moment before the line is in the log: wait for it too.
    assert!(
        wait_for(Duration::from_secs(5), || d
            .log_text()
            .contains("(VI_1) MASTER -> FAULT"))
        .is_some(),
        "{}",
        d.log_text()
    );
    assert_eq!(d.term(Duration::from_secs(10)), Some(0), "{}", d.log_text());
}

#[test]
fn netns_missing_interface_is_an_error_without_dynamic_interfaces() {
    let Some(lab) = lab_or_skip(
        "netns_missing_interface_is_an_error_without_dynamic_interfaces",
        "mi",
        1,
    ) else {
        return;
    };
    let a = lab.node(0).to_string();
    let conf = Conf::v2("MASTER", 150)
        .text()
        .replace("interface eth0", "interface eth9");
    let mut d = lab.start_ours(&a, "a", &conf);
    assert!(
        wait_for(Duration::from_secs(5), || !d.running()).is_some(),
        "keepalived exits on a missing interface without dynamic_interfaces: {}",
        d.log_text()
    );
    assert!(
        d.log_text()
            .contains("a.conf:6:5: error: interface eth9 of vrrp_instance VI_1 does not exist"),
        "{}",
        d.log_text()
    );
}

/// A veth pair `eth9` between the two nodes, with 10.10.0.N/24 on each end.
fn link_pair(a: &str, b: &str) {
    ip(&[
        "-n", a, "link", "add", "eth9", "type", "veth", "peer", "name", "eth9", "netns", b,
    ])
    .unwrap();
    for (ns, addr) in [(a, "10.10.0.1/24"), (b, "10.10.0.2/24")] {
        ip(&["-n", ns, "addr", "add", addr, "dev", "eth9"]).unwrap();
        ip(&["-n", ns, "link", "set", "eth9", "up"]).unwrap();
    }
}

fn eth9_conf(state: &'static str, priority: u8) -> String {
    let mut c = Conf::v2(state, priority);
    c.vips = vec!["10.10.0.100/24"];
    c.text()
        .replace("interface eth0", "interface eth9")
        .replace("global_defs {\n", "global_defs {\n    dynamic_interfaces\n")
}

const ETH9_VIP: &str = "10.10.0.100";

/// B holds the VIP on eth9, A logs `a_enters` and, as it hears B's adverts on its eth9, does not
/// take the VIP within 5 s (`when` completes the failure message).
fn b_is_master_and_a_hears_it(
    (a, da): (&str, &common::Daemon),
    (b, db): (&str, &common::Daemon),
    a_enters: &str,
    when: &str,
) {
    assert!(
        wait_for(Duration::from_secs(8), || has_on(b, "eth9", ETH9_VIP)).is_some(),
        "{}",
        db.log_text()
    );
    assert!(
        wait_for(Duration::from_secs(5), || da.log_text().contains(a_enters)).is_some(),
        "{}",
        da.log_text()
    );
    std::thread::sleep(Duration::from_secs(5));
    assert!(
        !has_on(a, "eth9", ETH9_VIP),
        "A did not hear B{when}: {}",
        da.log_text()
    );
}

#[test]
fn netns_missing_then_recreated_interface_is_followed() {
    let Some(lab) = lab_or_skip(
        "netns_missing_then_recreated_interface_is_followed",
        "rc",
        2,
    ) else {
        return;
    };
    let (a, b) = (lab.node(0).to_string(), lab.node(1).to_string());
    const VIP: &str = ETH9_VIP;
    // A starts without its interface: FAULT, still running.
    let mut da = lab.start_ours(&a, "a", &eth9_conf("BACKUP", 100));
    assert!(
        wait_for(Duration::from_secs(5), || da
            .log_text()
            .contains("entering FAULT state (interface eth9 does not exist)"))
        .is_some(),
        "{}",
        da.log_text()
    );
    std::thread::sleep(Duration::from_millis(500));
    assert!(da.running(), "{}", da.log_text());

    // The interface appears; B (priority 150) is master on the other end. A must hear B
    // (its receive socket is open on the new interface), so it never takes the VIP.
    link_pair(&a, &b);
    let mut db = lab.start_ours(&b, "b", &eth9_conf("MASTER", 150));
    b_is_master_and_a_hears_it((&a, &da), (&b, &db), "Entering BACKUP STATE", "");

    // Deleted (both ends) and recreated: new indices. A goes to FAULT and back, and still
    // hears B after the sockets were reopened.
    let before = ip(&["-n", &a, "-o", "link", "show", "eth9"]).unwrap();
    ip(&["-n", &a, "link", "del", "eth9"]).unwrap();
    assert!(
        wait_for(Duration::from_secs(5), || da
            .log_text()
            .contains("BACKUP -> FAULT"))
        .is_some(),
        "{}",
        da.log_text()
    );
    link_pair(&a, &b);
    let after = ip(&["-n", &a, "-o", "link", "show", "eth9"]).unwrap();
    assert_ne!(
        before.split(':').next(),
        after.split(':').next(),
        "a new ifindex"
    );
    b_is_master_and_a_hears_it(
        (&a, &da),
        (&b, &db),
        "FAULT -> BACKUP",
        " after the interface was recreated",
    );

    // B stops: A takes over; B comes back with a lower priority and must hear A's adverts
    // (A's send socket was reopened too), so it stays BACKUP.
    assert_eq!(
        db.term(Duration::from_secs(10)),
        Some(0),
        "{}",
        db.log_text()
    );
    assert!(
        wait_for(Duration::from_secs(8), || has_on(&a, "eth9", VIP)).is_some(),
        "{}",
        da.log_text()
    );
    let mut db2 = lab.start_ours(&b, "b2", &eth9_conf("BACKUP", 50));
    std::thread::sleep(Duration::from_secs(6));
    assert!(
        !has_on(&b, "eth9", VIP),
        "B did not hear A's adverts: {}",
        db2.log_text()
    );
    assert!(has_on(&a, "eth9", VIP));
    assert_eq!(db2.term(Duration::from_secs(10)), Some(0));
    assert_eq!(
        da.term(Duration::from_secs(10)),
        Some(0),
        "{}",
        da.log_text()
    );
}
