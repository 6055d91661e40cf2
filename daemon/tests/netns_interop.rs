//! Interoperation with the real keepalived (Debian's 2.2.7, /usr/sbin/keepalived) in the netns
//! lab: keepalived-rs MASTER with keepalived BACKUP and the reverse, VRRPv2 with PASS
//! authentication and VRRPv3; failover both ways; keepalived's log has no complaint about our
//! adverts; and our advert bytes equal keepalived's for the same configuration. Needs root and
//! keepalived; skips loudly without them.

mod common;

use std::net::Ipv4Addr;
use std::path::Path;
use std::time::Duration;

use common::{lab_or_skip, wait_for, Conf, Lab, KEEPALIVED};

const VIP: &str = "10.9.0.100";

/// What keepalived logs about adverts it rejects (its own wording).
const COMPLAINTS: &[&str] = &[
    "Invalid VRRPv2 checksum",
    "Invalid VRRPv3 checksum",
    "invalid passwd",
    "interval mismatch",
    "invalid TTL",
    "not present in MASTER advert",
    "vrrp packet too",
    "AH header",
    "Unknown VRID",
    "icast packet on",
];

fn interop_lab(test: &str, tag: &str) -> Option<Lab> {
    if !Path::new(KEEPALIVED).exists() {
        eprintln!("SKIP: {test}: {KEEPALIVED} is not installed (Debian package keepalived)");
        return None;
    }
    lab_or_skip(test, tag, 2)
}

fn no_complaints(log: &str) {
    for c in COMPLAINTS {
        assert!(!log.contains(c), "keepalived complains ({c}):\n{log}");
    }
}

fn conf(version: u8, state: &'static str, prio: u8) -> String {
    let mut c = Conf::v2(state, prio);
    if version == 3 {
        c.version = 3;
        c.pass = None;
        c.advert_int = "0.5";
    }
    c.text()
}

/// Master_Down_Interval of a priority-100 backup.
fn mdi(version: u8) -> f64 {
    let iv = if version == 3 { 0.5 } else { 1.0 };
    3.0 * iv + iv * 156.0 / 256.0
}

const SLACK: f64 = 1.5;

/// keepalived-rs MASTER, keepalived BACKUP: keepalived accepts our adverts and stays backup;
/// kill -9 ours -> keepalived takes over; ours again -> we preempt it.
fn ours_master_theirs_backup(version: u8, tag: &str) {
    let test = format!("netns_interop_v{version}_ours_master");
    let Some(lab) = interop_lab(&test, tag) else {
        return;
    };
    let (a, b) = (lab.node(0).to_string(), lab.node(1).to_string());
    let theirs = lab.start_keepalived(&b, "kad", &conf(version, "BACKUP", 100));
    let mut ours = lab.start_ours(&a, "ours", &conf(version, "MASTER", 150));
    assert!(
        wait_for(Duration::from_secs(6), || lab.has(&a, VIP)).is_some(),
        "{}",
        ours.log_text()
    );
    std::thread::sleep(Duration::from_secs_f64(mdi(version) + 0.5));
    assert!(
        !lab.has(&b, VIP),
        "keepalived took the VIP while we are master:\n{}",
        theirs.log_text()
    );
    assert!(
        theirs.log_text().contains("Entering BACKUP STATE"),
        "{}",
        theirs.log_text()
    );
    no_complaints(&theirs.log_text());

    ours.kill9();
    let took =
        wait_for(Duration::from_secs(10), || lab.has(&b, VIP)).expect("keepalived never took over");
    assert!(took.as_secs_f64() < mdi(version) + SLACK, "{took:?}");

    let ours2 = lab.start_ours(&a, "ours2", &conf(version, "MASTER", 150));
    assert!(
        wait_for(Duration::from_secs(8), || lab.has(&a, VIP)
            && !lab.has(&b, VIP))
        .is_some(),
        "we did not preempt keepalived:\n{}\n---\n{}",
        ours2.log_text(),
        theirs.log_text()
    );
    no_complaints(&theirs.log_text());
    assert!(
        !ours2.log_text().contains("dropped"),
        "{}",
        ours2.log_text()
    );
}

/// keepalived MASTER, keepalived-rs BACKUP: we accept its adverts and stay backup; kill -9
/// keepalived -> we take over; keepalived again -> it preempts us.
fn theirs_master_ours_backup(version: u8, tag: &str) {
    let test = format!("netns_interop_v{version}_theirs_master");
    let Some(lab) = interop_lab(&test, tag) else {
        return;
    };
    let (a, b) = (lab.node(0).to_string(), lab.node(1).to_string());
    let mut theirs = lab.start_keepalived(&a, "kad", &conf(version, "MASTER", 150));
    let ours = lab.start_ours(&b, "ours", &conf(version, "BACKUP", 100));
    assert!(
        wait_for(Duration::from_secs(8), || lab.has(&a, VIP)).is_some(),
        "{}",
        theirs.log_text()
    );
    std::thread::sleep(Duration::from_secs_f64(mdi(version) + 0.5));
    assert!(
        !lab.has(&b, VIP),
        "we took the VIP from a live keepalived:\n{}",
        ours.log_text()
    );
    assert!(
        !ours.log_text().contains("dropped"),
        "we reject keepalived's adverts:\n{}",
        ours.log_text()
    );

    theirs.kill9();
    let took = wait_for(Duration::from_secs(10), || lab.has(&b, VIP)).expect("we never took over");
    assert!(took.as_secs_f64() < mdi(version) + SLACK, "{took:?}");
    // keepalived -9 leaves its VIP behind; a fresh keepalived removes it and preempts us.
    let theirs2 = lab.start_keepalived(&a, "kad2", &conf(version, "MASTER", 150));
    assert!(
        wait_for(Duration::from_secs(10), || lab.has(&a, VIP)
            && !lab.has(&b, VIP))
        .is_some(),
        "keepalived did not preempt us:\n{}\n---\n{}",
        theirs2.log_text(),
        ours.log_text()
    );
    no_complaints(&theirs2.log_text());
    assert!(!ours.log_text().contains("dropped"), "{}", ours.log_text());
}

#[test]
fn netns_interop_v2_ours_master() {
    ours_master_theirs_backup(2, "i2o");
}

#[test]
fn netns_interop_v2_theirs_master() {
    theirs_master_ours_backup(2, "i2t");
}

#[test]
fn netns_interop_v3_ours_master() {
    ours_master_theirs_backup(3, "i3o");
}

#[test]
fn netns_interop_v3_theirs_master() {
    theirs_master_ours_backup(3, "i3t");
}

/// The first non-zero-priority advert from 10.9.0.1 in a capture.
fn first_advert(frames: &[common::Frame]) -> Option<Vec<u8>> {
    frames
        .iter()
        .filter_map(|f| f.vrrp4())
        .find(|(src, _, p)| *src == Ipv4Addr::new(10, 9, 0, 1) && p.len() > 2 && p[2] != 0)
        .map(|(_, _, p)| p.to_vec())
}

/// Runs each daemon alone as master on the same node with the same configuration and compares
/// the VRRP payloads they put on the wire.
fn same_bytes(version: u8, tag: &str) {
    let test = format!("netns_interop_v{version}_advert_bytes");
    let Some(mut lab) = interop_lab(&test, tag) else {
        return;
    };
    let mut c = Conf::v2("MASTER", 150);
    c.vips = vec!["10.9.0.100/24", "10.9.0.101/24", "10.9.0.102"];
    if version == 3 {
        c.version = 3;
        c.pass = None;
    }
    let text = c.text();
    let (ours_bytes, theirs_bytes) = adverts_of_each(&mut lab, &text, VIP, first_advert);
    assert_eq!(
        ours_bytes, theirs_bytes,
        "VRRPv{version} payloads differ (ours, keepalived's)"
    );
}

/// Runs ours, then keepalived, alone as master on the first node with `text` (each until
/// `vip` is up), and returns the first advert of each in the capture, as `first` finds it.
fn adverts_of_each(
    lab: &mut Lab,
    text: &str,
    vip: &str,
    first: fn(&[common::Frame]) -> Option<Vec<u8>>,
) -> (Vec<u8>, Vec<u8>) {
    let a = lab.node(0).to_string();
    let mut ours = lab.start_ours(&a, "ours", text);
    assert!(
        wait_for(Duration::from_secs(6), || lab.has(&a, vip)).is_some(),
        "{}",
        ours.log_text()
    );
    assert_eq!(ours.term(Duration::from_secs(5)), Some(0));
    // Everything ours sent is in the capture before keepalived starts.
    let mut mark = 0;
    let _ = wait_for(Duration::from_secs(2), || {
        let fs = common::read_pcap(&lab.pcap);
        mark = fs.len();
        first(&fs).is_some()
    });
    let mut theirs = lab.start_keepalived(&a, "kad", text);
    assert!(
        wait_for(Duration::from_secs(8), || lab.has(&a, vip)).is_some(),
        "{}",
        theirs.log_text()
    );
    let frames = lab.capture_until(Duration::from_secs(3), |fs| {
        fs.len() > mark && first(&fs[mark..]).is_some()
    });
    let _ = theirs.term(Duration::from_secs(5));
    (
        first(&frames[..mark]).expect("no advert of ours captured"),
        first(&frames[mark..]).expect("no keepalived advert captured"),
    )
}

#[test]
fn netns_interop_v2_advert_bytes_equal_keepalived() {
    same_bytes(2, "b2");
}

#[test]
fn netns_interop_v3_advert_bytes_equal_keepalived() {
    same_bytes(3, "b3");
}

fn conf6(state: &'static str, prio: u8) -> String {
    let mut c = Conf::v2(state, prio);
    c.version = 3;
    c.pass = None;
    c.advert_int = "0.5";
    c.vips = vec!["fd09::100/64"];
    c.text()
}

/// IPv6 (VRRPv3 over link-local sources): ours MASTER and keepalived BACKUP, failover to
/// keepalived, then keepalived MASTER (restarted on the other node) and ours BACKUP taking over.
#[test]
fn netns_interop_ipv6_both_ways() {
    let Some(lab) = interop_lab("netns_interop_ipv6_both_ways", "i6") else {
        return;
    };
    let (a, b) = (lab.node(0).to_string(), lab.node(1).to_string());
    let v6 = "fd09::100";
    let theirs = lab.start_keepalived(&b, "kad", &conf6("BACKUP", 100));
    let mut ours = lab.start_ours(&a, "ours", &conf6("MASTER", 150));
    assert!(
        wait_for(Duration::from_secs(6), || lab.has(&a, v6)).is_some(),
        "{}",
        ours.log_text()
    );
    std::thread::sleep(Duration::from_secs_f64(mdi(3) + 0.5));
    assert!(
        !lab.has(&b, v6),
        "keepalived took the VIP while we are master:\n{}",
        theirs.log_text()
    );
    no_complaints(&theirs.log_text());
    ours.kill9();
    assert!(
        wait_for(Duration::from_secs(6), || lab.has(&b, v6)).is_some(),
        "{}",
        theirs.log_text()
    );
    no_complaints(&theirs.log_text());

    // Now keepalived is master (priority 100); ours comes back as a lower-priority backup.
    backup_while_theirs_lives(&lab, &a, &conf6("BACKUP", 50), v6, mdi(3) + 0.5, theirs);
}

/// Ours started on `ns` as a lower-priority backup of a live keepalived master (`theirs`):
/// after `wait` seconds it has not taken `vip` and dropped nothing; when keepalived is killed
/// it takes `vip` over.
fn backup_while_theirs_lives(
    lab: &Lab,
    ns: &str,
    conf: &str,
    vip: &str,
    wait: f64,
    mut theirs: common::Daemon,
) {
    let ours = lab.start_ours(ns, "ours2", conf);
    std::thread::sleep(Duration::from_secs_f64(wait));
    assert!(
        !lab.has(ns, vip),
        "we took the VIP from a live keepalived:\n{}",
        ours.log_text()
    );
    assert!(!ours.log_text().contains("dropped"), "{}", ours.log_text());
    theirs.kill9();
    assert!(
        wait_for(Duration::from_secs(6), || lab.has(ns, vip)).is_some(),
        "{}",
        ours.log_text()
    );
}

/// The first non-zero-priority IPv6 advert from the first node's link-local address.
fn first_advert6(frames: &[common::Frame]) -> Option<Vec<u8>> {
    let src: std::net::Ipv6Addr = "fe80::ff:fe00:1".parse().ok()?;
    frames
        .iter()
        .filter_map(|f| f.vrrp6())
        .find(|(s, _, p)| *s == src && p.len() > 2 && p[2] != 0)
        .map(|(_, _, p)| p.to_vec())
}

#[test]
fn netns_interop_ipv6_advert_bytes_equal_keepalived() {
    let test = "netns_interop_ipv6_advert_bytes_equal_keepalived";
    let Some(mut lab) = interop_lab(test, "b6") else {
        return;
    };
    let mut c = Conf::v2("MASTER", 150);
    c.version = 3;
    c.pass = None;
    c.vips = vec!["fd09::100/64", "fd09::101/64"];
    let (ours_bytes, theirs_bytes) =
        adverts_of_each(&mut lab, &c.text(), "fd09::100", first_advert6);
    assert_eq!(
        ours_bytes, theirs_bytes,
        "IPv6 VRRPv3 payloads differ (ours, keepalived's)"
    );
}

/// VRRPv2 with `auth_type AH` and `key` as the password.
fn conf_ah(state: &'static str, prio: u8, key: &str) -> String {
    let mut c = Conf::v2(state, prio);
    c.pass = None;
    c.extra =
        format!("    authentication {{\n        auth_type AH\n        auth_pass {key}\n    }}\n");
    c.text()
}

/// `auth_type AH` both ways: ours master with keepalived backup (keepalived accepts our
/// authenticated adverts past its Master_Down_Interval), then, ours killed, keepalived master
/// with ours (restarted from sequence number 0) backup: ours learns keepalived's sequence
/// numbers, accepts its adverts and stays backup, and takes over when keepalived is killed.
/// Both start as BACKUP whatever their state says (AH), so each waits out its own interval.
#[test]
fn netns_interop_ah_both_ways() {
    let Some(lab) = interop_lab("netns_interop_ah_both_ways", "ah") else {
        return;
    };
    let (a, b) = (lab.node(0).to_string(), lab.node(1).to_string());
    let theirs = lab.start_keepalived(&b, "kad", &conf_ah("BACKUP", 100, "s3cret"));
    let mut ours = lab.start_ours(&a, "ours", &conf_ah("MASTER", 150, "s3cret"));
    assert!(
        wait_for(Duration::from_secs(6), || lab.has(&a, VIP)).is_some(),
        "{}",
        ours.log_text()
    );
    // Past keepalived's own Master_Down_Interval (it started first).
    std::thread::sleep(Duration::from_secs_f64(1.5));
    assert!(
        !lab.has(&b, VIP),
        "keepalived took the VIP while we are master:\n{}",
        theirs.log_text()
    );
    no_complaints(&theirs.log_text());
    assert!(
        !theirs.log_text().contains("IPSEC"),
        "{}",
        theirs.log_text()
    );

    ours.kill9();
    let took =
        wait_for(Duration::from_secs(10), || lab.has(&b, VIP)).expect("keepalived never took over");
    assert!(took.as_secs_f64() < mdi(2) + SLACK, "{took:?}");

    // Ours again, now a lower-priority backup: keepalived stays master.
    let conf = conf_ah("BACKUP", 50, "s3cret");
    backup_while_theirs_lives(&lab, &a, &conf, VIP, mdi(2) + 1.0, theirs);
}

/// Another `auth_pass` on each side: keepalived reports our adverts' digest as it reports
/// another keepalived's and becomes master too; we drop its adverts.
#[test]
fn netns_interop_ah_wrong_key() {
    let Some(lab) = interop_lab("netns_interop_ah_wrong_key", "ahk") else {
        return;
    };
    let (a, b) = (lab.node(0).to_string(), lab.node(1).to_string());
    let theirs = lab.start_keepalived(&b, "kad", &conf_ah("BACKUP", 100, "s3cret"));
    let ours = lab.start_ours(&a, "ours", &conf_ah("MASTER", 150, "other"));
    const BAD_DIGEST: &str =
        "(VI_1) IPSEC-AH : invalid IPSEC HMAC-MD5 value. Due to fields mutation or bad password !";
    assert!(
        wait_for(Duration::from_secs(8), || theirs
            .log_text()
            .contains(BAD_DIGEST))
        .is_some(),
        "{}",
        theirs.log_text()
    );
    assert!(
        wait_for(Duration::from_secs(6), || lab.has(&a, VIP)
            && lab.has(&b, VIP))
        .is_some(),
        "both should be master:\n{}\n---\n{}",
        ours.log_text(),
        theirs.log_text()
    );
    assert!(
        wait_for(Duration::from_secs(3), || ours
            .log_text()
            .contains("invalid HMAC-MD5 value"))
        .is_some(),
        "{}",
        ours.log_text()
    );
}
