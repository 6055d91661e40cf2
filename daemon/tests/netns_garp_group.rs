//! `garp_group { garp_interval 0.5; interface eth0 }`: the gratuitous ARPs a new MASTER with two
//! VIPs sends on eth0, keepalived-rs and keepalived 2.2.7 in turn on the same file: one message
//! per interval on the interface and the burst's repeats (`garp_master_repeat` 5) of an address
//! collapsed into one, so VIP 1 at once, VIP 1 0.5 s later and VIP 2 0.5 s after that, and
//! nothing more until the next burst (measured with keepalived; without the group the 10
//! messages leave within a few milliseconds). Needs root for the namespace lab; skips loudly
//! without it. About 12 s.

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
    let conf = Conf {
        vips: vec!["10.9.0.100/24", "10.9.0.101/24"],
        ..Conf::v2("MASTER", 150)
    };
    let conf = format!(
        "garp_group {{\n    garp_interval 0.5\n    interface eth0\n}}\n{}",
        conf.text()
    );
    let mut windows = Vec::new();
    for who in common::daemons_to_compare() {
        let from = now_epoch();
        let mut d = lab.start_either(who, &ns, &conf);
        assert!(
            wait_for(Duration::from_secs(10), || lab.has(&ns, "10.9.0.101")).is_some(),
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
    let vips: [Ipv4Addr; 2] = ["10.9.0.100".parse().unwrap(), "10.9.0.101".parse().unwrap()];
    for (who, from, to) in windows {
        // (time, which VIP) of each GARP of the window.
        let garps: Vec<(f64, usize)> = frames
            .iter()
            .filter(|f| (from..=to).contains(&f.time) && f.src_mac() == Lab::mac(0))
            .filter_map(|f| Some((f.time, vips.iter().position(|&v| f.is_garp_for(v))?)))
            .collect();
        let seen: Vec<String> = garps
            .iter()
            .map(|(t, v)| format!("VIP {} at {:.3}", v + 1, t - garps[0].0))
            .collect();
        eprintln!(
            "MEASURE: {who}: garp_group garp_interval 0.5, two VIPs, garp_master_repeat 5, the \
             first 2.5 s as MASTER: {}",
            seen.join(", ")
        );
        let order: Vec<usize> = garps.iter().map(|&(_, v)| v).collect();
        assert_eq!(order, [0, 0, 1], "{who}: {seen:?}");
        for w in garps.windows(2) {
            let gap = w[1].0 - w[0].0;
            assert!(
                (0.45..0.9).contains(&gap),
                "{who}: GARPs {gap:.3} s apart, the group's interval is 0.5 s: {seen:?}"
            );
        }
    }
}
