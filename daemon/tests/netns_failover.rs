//! Real failover between two keepalived-rs daemons in network namespaces (see tests/common):
//! MASTER priority 150 and BACKUP priority 100 on VRID 51, VRRPv2 with PASS authentication at
//! advert_int 1 unless a test says otherwise. Needs root; skips loudly without it.

mod common;

use std::net::Ipv4Addr;
use std::time::Duration;

use common::{lab_or_skip, now_epoch, wait_for, Conf, Lab};

const VIP: &str = "10.9.0.100";

/// Master_Down_Interval for the backup (priority 100) at 1 s: 3 + 156/256 s.
const MDI_V2: f64 = 3.0 + 156.0 / 256.0;
/// Slack for a loaded 2-core machine: scheduling, netlink and the 10 ms polling of the test.
const SLACK: f64 = 1.5;

#[test]
fn netns_v2_kill9_takeover_with_garp_then_preemption() {
    let Some(mut lab) = lab_or_skip("netns_v2_kill9_takeover_with_garp_then_preemption", "k", 2)
    else {
        return;
    };
    let (a, b) = (lab.node(0).to_string(), lab.node(1).to_string());
    let master_conf = Conf::v2("MASTER", 150).text();
    let mut ma = lab.start_ours(&a, "a", &master_conf);
    let mb = lab.start_ours(&b, "b", &Conf::v2("BACKUP", 100).text());

    assert!(
        wait_for(Duration::from_secs(6), || lab.has(&a, VIP)).is_some(),
        "master never took the VIP:\n{}",
        ma.log_text()
    );
    // Past the backup's own Master_Down_Interval since its start: it stays backup only if it
    // hears the master.
    std::thread::sleep(Duration::from_secs(3));
    assert!(
        !lab.has(&b, VIP),
        "backup holds the VIP too:\n{}",
        mb.log_text()
    );
    assert!(
        !mb.log_text().contains("Entering MASTER"),
        "{}",
        mb.log_text()
    );

    let killed_at = now_epoch();
    ma.kill9();
    let took =
        wait_for(Duration::from_secs(10), || lab.has(&b, VIP)).expect("backup never took over");
    assert!(
        took.as_secs_f64() < MDI_V2 + SLACK,
        "takeover after {took:?}, Master_Down_Interval is {MDI_V2:.2}s:\n{}",
        mb.log_text()
    );
    // The former master's address is still on its interface (kill -9 cleans nothing up).
    assert!(lab.has(&a, VIP));

    // Restart the master: it removes its left-over VIP while Backup, then preempts.
    let ma2 = lab.start_ours(&a, "a2", &master_conf);
    assert!(
        wait_for(Duration::from_secs(8), || !lab.has(&b, VIP)
            && lab.has(&a, VIP))
        .is_some(),
        "no preemption:\n{}\n---\n{}",
        ma2.log_text(),
        mb.log_text()
    );
    assert!(
        ma2.log_text().contains("removed left-over VIP"),
        "{}",
        ma2.log_text()
    );

    let frames = lab.capture();
    let vip: Ipv4Addr = VIP.parse().unwrap();
    let garp_b = frames
        .iter()
        .find(|f| f.time >= killed_at - 0.05 && f.src_mac() == Lab::mac(1) && f.is_garp_for(vip));
    assert!(
        garp_b.is_some(),
        "no GARP from the backup after the kill in the capture ({} frames)",
        frames.len()
    );
    let (down, garp_after) = common::failover_timings(
        &frames,
        Ipv4Addr::new(10, 9, 0, 1),
        Ipv4Addr::new(10, 9, 0, 2),
        Lab::mac(1),
        vip,
    )
    .expect("failover visible in the capture");
    eprintln!(
        "MEASURE: v2 advert_int 1: last master advert -> first backup advert {:.1} ms (Master_Down_Interval {:.1} ms); advert -> GARP {:.3} ms",
        down * 1e3,
        MDI_V2 * 1e3,
        garp_after * 1e3
    );
    assert!(
        down > MDI_V2 - 1.0 - 0.05 && down < MDI_V2 + SLACK,
        "{down}"
    );
    // Every advert on the wire is TTL 255 and valid VRRPv2 with our password.
    let adverts: Vec<_> = frames.iter().filter_map(|f| f.vrrp4()).collect();
    assert!(
        adverts.len() >= 3,
        "too few adverts captured: {}",
        adverts.len()
    );
    for (src, ttl, payload) in &adverts {
        assert_eq!(*ttl, 255);
        let ad = vrrp::decode(
            payload,
            (*src).into(),
            Ipv4Addr::new(224, 0, 0, 18).into(),
            *ttl,
        )
        .expect("valid advert");
        assert_eq!(ad.vrid, 51);
        assert_eq!(
            ad.version,
            vrrp::Version::V2 {
                advert_interval_secs: 1,
                auth: vrrp::Auth::password(b"s3cret")
            }
        );
    }
    drop(mb);
}

#[test]
fn netns_v2_sigterm_hands_over_after_skew_time() {
    let Some(mut lab) = lab_or_skip("netns_v2_sigterm_hands_over_after_skew_time", "t", 2) else {
        return;
    };
    let (a, b) = (lab.node(0).to_string(), lab.node(1).to_string());
    let mut ma = lab.start_ours(&a, "a", &Conf::v2("MASTER", 150).text());
    let mb = lab.start_ours(&b, "b", &Conf::v2("BACKUP", 100).text());
    assert!(
        wait_for(Duration::from_secs(6), || lab.has(&a, VIP)).is_some(),
        "{}",
        ma.log_text()
    );
    std::thread::sleep(Duration::from_millis(1500));

    let t0 = now_epoch();
    let code = ma.term(Duration::from_secs(10));
    assert_eq!(code, Some(0), "SIGTERM must exit 0:\n{}", ma.log_text());
    assert!(!lab.has(&a, VIP), "VIP left behind on stop");
    let took =
        wait_for(Duration::from_secs(10), || lab.has(&b, VIP)).expect("backup never took over");
    let since_term = now_epoch() - t0;
    // Priority 0 makes the backup wait Skew_Time (0.61 s), not Master_Down_Interval (3.61 s).
    assert!(
        since_term < MDI_V2,
        "takeover {took:?} after SIGTERM is no faster than a crash"
    );
    let is_zero = |f: &common::Frame| {
        f.vrrp4().is_some_and(|(src, _, p)| {
            src == Ipv4Addr::new(10, 9, 0, 1) && p.len() > 2 && p[2] == 0
        })
    };
    let frames = lab.capture_until(Duration::from_secs(3), |fs| fs.iter().any(is_zero));
    let zero = frames.iter().any(is_zero);
    assert!(zero, "no priority-0 advert from the stopping master");
    drop(mb);
}

#[test]
fn netns_v2_link_down_is_fault_and_takeover_then_back() {
    let Some(lab) = lab_or_skip("netns_v2_link_down_is_fault_and_takeover_then_back", "l", 2)
    else {
        return;
    };
    let (a, b) = (lab.node(0).to_string(), lab.node(1).to_string());
    let ma = lab.start_ours(&a, "a", &Conf::v2("MASTER", 150).text());
    let mb = lab.start_ours(&b, "b", &Conf::v2("BACKUP", 100).text());
    assert!(
        wait_for(Duration::from_secs(6), || lab.has(&a, VIP)).is_some(),
        "{}",
        ma.log_text()
    );

    common::ip(&["-n", &a, "link", "set", "eth0", "down"]).unwrap();
    assert!(
        wait_for(Duration::from_secs(3), || ma
            .log_text()
            .contains("Entering FAULT STATE"))
        .is_some(),
        "master did not enter FAULT:\n{}",
        ma.log_text()
    );
    assert!(!lab.has(&a, VIP), "VIP kept in FAULT");
    let took =
        wait_for(Duration::from_secs(10), || lab.has(&b, VIP)).expect("backup never took over");
    assert!(took.as_secs_f64() < MDI_V2 + SLACK, "{took:?}");

    common::ip(&["-n", &a, "link", "set", "eth0", "up"]).unwrap();
    assert!(
        wait_for(Duration::from_secs(10), || lab.has(&a, VIP)
            && !lab.has(&b, VIP))
        .is_some(),
        "no return to MASTER after link up:\n{}",
        ma.log_text()
    );
    drop(mb);
}

#[test]
fn netns_nopreempt_keeps_the_lower_priority_master() {
    let Some(lab) = lab_or_skip("netns_nopreempt_keeps_the_lower_priority_master", "n", 2) else {
        return;
    };
    let (a, b) = (lab.node(0).to_string(), lab.node(1).to_string());
    let mut low = Conf::v2("BACKUP", 100);
    low.extra = "    nopreempt\n".into();
    let mut high = Conf::v2("BACKUP", 150);
    high.extra = "    nopreempt\n".into();
    let mb = lab.start_ours(&b, "b", &low.text());
    assert!(
        wait_for(Duration::from_secs(8), || lab.has(&b, VIP)).is_some(),
        "{}",
        mb.log_text()
    );
    let ma = lab.start_ours(&a, "a", &high.text());
    // Longer than a Master_Down_Interval plus slack: the higher priority must not preempt.
    std::thread::sleep(Duration::from_secs_f64(MDI_V2 + SLACK));
    assert!(
        lab.has(&b, VIP) && !lab.has(&a, VIP),
        "nopreempt not honoured:\n{}",
        ma.log_text()
    );
    assert!(
        ma.log_text().contains("Entering BACKUP STATE"),
        "{}",
        ma.log_text()
    );
}

#[test]
fn netns_vip_deleted_by_hand_is_put_back() {
    let Some(lab) = lab_or_skip("netns_vip_deleted_by_hand_is_put_back", "d", 1) else {
        return;
    };
    let a = lab.node(0).to_string();
    let ma = lab.start_ours(&a, "a", &Conf::v2("MASTER", 150).text());
    assert!(
        wait_for(Duration::from_secs(6), || lab.has(&a, VIP)).is_some(),
        "{}",
        ma.log_text()
    );
    // Sending GARPs must not have put the interface in promiscuous mode.
    let link = common::ip(&["-n", &a, "-d", "link", "show", "eth0"]).unwrap();
    assert!(link.contains("promiscuity 0"), "{link}");
    common::ip(&["-n", &a, "addr", "del", "10.9.0.100/24", "dev", "eth0"]).unwrap();
    assert!(
        wait_for(Duration::from_secs(3), || lab.has(&a, VIP)).is_some(),
        "VIP not put back:\n{}",
        ma.log_text()
    );
}

#[test]
fn netns_v3_fast_interval_kill9() {
    let Some(mut lab) = lab_or_skip("netns_v3_fast_interval_kill9", "3", 2) else {
        return;
    };
    let (a, b) = (lab.node(0).to_string(), lab.node(1).to_string());
    let mk = |state, prio| {
        let mut c = Conf::v2(state, prio);
        c.version = 3;
        c.advert_int = "0.1";
        c.pass = None;
        c.text()
    };
    let mut ma = lab.start_ours(&a, "a", &mk("MASTER", 150));
    let mb = lab.start_ours(&b, "b", &mk("BACKUP", 100));
    assert!(
        wait_for(Duration::from_secs(4), || lab.has(&a, VIP)).is_some(),
        "{}",
        ma.log_text()
    );
    std::thread::sleep(Duration::from_millis(800));
    assert!(!lab.has(&b, VIP), "{}", mb.log_text());
    ma.kill9();
    let took =
        wait_for(Duration::from_secs(5), || lab.has(&b, VIP)).expect("backup never took over");
    // Master_Down_Interval = 0.3 + 0.061 s.
    assert!(took.as_secs_f64() < 0.361 + SLACK, "{took:?}");
    let vip: Ipv4Addr = VIP.parse().unwrap();
    let (a4, b4) = (Ipv4Addr::new(10, 9, 0, 1), Ipv4Addr::new(10, 9, 0, 2));
    let frames = lab.capture_until(Duration::from_secs(3), |fs| {
        common::failover_timings(fs, a4, b4, Lab::mac(1), vip).is_some()
    });
    let (down, garp_after) = common::failover_timings(&frames, a4, b4, Lab::mac(1), vip)
        .expect("failover in the capture");
    eprintln!(
        "MEASURE: v3 advert_int 0.1: last master advert -> first backup advert {:.1} ms (Master_Down_Interval 360.9 ms); advert -> GARP {:.3} ms",
        down * 1e3,
        garp_after * 1e3
    );
    assert!(down < 0.361 + SLACK, "{down}");
}

#[test]
fn netns_ipv6_v3_kill9_takeover_with_na() {
    let Some(mut lab) = lab_or_skip("netns_ipv6_v3_kill9_takeover_with_na", "6", 2) else {
        return;
    };
    let (a, b) = (lab.node(0).to_string(), lab.node(1).to_string());
    let mk = |state, prio| {
        let mut c = Conf::v2(state, prio);
        c.version = 3;
        c.pass = None;
        c.advert_int = "0.5";
        c.vips = vec!["fd09::100/64"];
        c.text()
    };
    let mut ma = lab.start_ours(&a, "a", &mk("MASTER", 150));
    let mb = lab.start_ours(&b, "b", &mk("BACKUP", 100));
    assert!(
        wait_for(Duration::from_secs(6), || lab.has(&a, "fd09::100")).is_some(),
        "{}",
        ma.log_text()
    );
    // Past the backup's Master_Down_Interval (1.8 s) since its start.
    std::thread::sleep(Duration::from_secs(2));
    assert!(!lab.has(&b, "fd09::100"), "{}", mb.log_text());
    assert!(
        !mb.log_text().contains("Entering MASTER"),
        "{}",
        mb.log_text()
    );
    let killed_at = now_epoch();
    ma.kill9();
    let took = wait_for(Duration::from_secs(6), || lab.has(&b, "fd09::100"))
        .expect("backup never took over");
    assert!(took.as_secs_f64() < 1.5 + 0.31 + SLACK, "{took:?}");
    let vip: std::net::Ipv6Addr = "fd09::100".parse().unwrap();
    let na = |f: &common::Frame| {
        f.time >= killed_at - 0.05 && f.src_mac() == Lab::mac(1) && f.is_na_for(vip)
    };
    let frames = lab.capture_until(Duration::from_secs(3), |fs| fs.iter().any(na));
    assert!(
        frames.iter().any(na),
        "no unsolicited NA from the new master (killed at {killed_at}, now {}, last frame {:?})",
        now_epoch(),
        frames.last().map(|f| f.time)
    );
    let adverts: Vec<_> = frames.iter().filter_map(|f| f.vrrp6()).collect();
    assert!(!adverts.is_empty(), "no IPv6 adverts captured");
    for (src, hops, payload) in adverts {
        assert_eq!(hops, 255);
        assert!(
            src.segments()[0] == 0xfe80,
            "adverts come from the link-local address: {src}"
        );
        let group: std::net::Ipv6Addr = "ff02::12".parse().unwrap();
        let ad = vrrp::decode(payload, src.into(), group.into(), hops).expect("valid v3 advert");
        assert_eq!(
            ad.version,
            vrrp::Version::V3 {
                max_advert_interval_cs: 50
            }
        );
    }
}
