//! `garp_group { garp_interval 0.5; interface eth0 }`: the gratuitous ARPs a new MASTER sends
//! on eth0 are spaced by the group's interval, keepalived-rs and keepalived 2.2.7 in turn on the
//! same file (without the group, the burst's 5 messages leave within a few milliseconds). How
//! many follow differs (docs/compat.md: keepalived sends one message per interface per
//! interval and a burst's repeats of an address collapse into one, keepalived-rs sends every
//! repeat). Needs root for the namespace lab; skips loudly without it. About 12 s.

mod common;

use std::net::Ipv4Addr;
use std::time::Duration;

use common::{lab_or_skip, now_epoch, wait_for, Conf, Lab};

#[test]
fn netns_garp_group_spaces_a_new_master_s_garps_as_keepalived() {
    let Some(mut lab) = lab_or_skip(
        "netns_garp_group_spaces_a_new_master_s_garps_as_keepalived",
        "gg",
        1,
    ) else {
        return;
    };
    let ns = lab.node(0).to_string();
    let conf = format!(
        "garp_group {{\n    garp_interval 0.5\n    interface eth0\n}}\n{}",
        Conf::v2("MASTER", 150).text()
    );
    let mut windows = Vec::new();
    for who in common::daemons_to_compare() {
        let from = now_epoch();
        let mut d = lab.start_either(who, &ns, &conf);
        assert!(
            wait_for(Duration::from_secs(10), || lab.has(&ns, "10.9.0.100")).is_some(),
            "{who}: no VIP\n{}",
            d.log_text()
        );
        // The burst on taking over: its first 2.5 s (the next one is 5 s later).
        std::thread::sleep(Duration::from_millis(2500));
        assert_eq!(
            d.term(Duration::from_secs(10)),
            Some(0),
            "{who}: {}",
            d.log_text()
        );
        windows.push((who.to_string(), from, now_epoch()));
    }
    let frames = lab.capture();
    let vip: Ipv4Addr = "10.9.0.100".parse().unwrap();
    for (who, from, to) in windows {
        let times: Vec<f64> = frames
            .iter()
            .filter(|f| {
                (from..=to).contains(&f.time) && f.src_mac() == Lab::mac(0) && f.is_garp_for(vip)
            })
            .map(|f| f.time)
            .collect();
        let gaps: Vec<String> = times
            .windows(2)
            .map(|w| format!("{:.3}", w[1] - w[0]))
            .collect();
        eprintln!(
            "MEASURE: {who}: garp_group garp_interval 0.5, one VIP, garp_master_repeat 5: {} \
             GARPs in the first 2.5 s as MASTER, {} s apart",
            times.len(),
            gaps.join(", ")
        );
        assert!(times.len() >= 2, "{who}: {times:?}");
        let gap = times[1] - times[0];
        assert!(
            (0.45..0.9).contains(&gap),
            "{who}: the second GARP {gap:.3} s after the first, the group's interval is 0.5 s"
        );
    }
}
