//! `virtual_ipaddress_excluded`, against keepalived 2.2.7 in the same lab: the excluded
//! addresses (one of the other family among them) are added with the VIP when the instance is
//! MASTER and removed when it stops, announced (gratuitous ARP, unsolicited NA), never carried
//! in the adverts; the data dump's `Virtual IP Excluded` lines and the JSON's `evips` are the
//! same from both daemons. Needs root; skips loudly without it.

mod common;

use std::net::Ipv4Addr;
use std::path::Path;
use std::time::Duration;

use common::{lab_or_skip, wait_for, Daemon};

const CONF: &str = "vrrp_instance VI_1 {
    state MASTER
    interface eth0
    virtual_router_id 51
    priority 255
    advert_int 1
    virtual_ipaddress {
        10.9.0.100/24
    }
    virtual_ipaddress_excluded {
        10.9.0.200/24
        fd09::200/64
    }
}
";

/// Sends signal `sig` (a number: nix has no real-time signals) to the daemon and reads the
/// file it writes.
fn dump(d: &Daemon, sig: i32, path: &Path) -> String {
    let _ = std::fs::remove_file(path);
    let pid = d.pid().expect("the daemon's pid");
    let st = std::process::Command::new("kill")
        .arg(format!("-{sig}"))
        .arg(pid.to_string())
        .status()
        .unwrap();
    assert!(st.success());
    assert!(
        wait_for(Duration::from_secs(10), || path.exists()).is_some(),
        "no {}\n{}",
        path.display(),
        d.log_text()
    );
    // keepalived writes in place: give it a moment.
    std::thread::sleep(Duration::from_millis(300));
    std::fs::read_to_string(path).unwrap()
}

/// The lines of the data dump's `Virtual IP Excluded :` list.
fn excluded_lines(data: &str) -> Vec<String> {
    data.lines()
        .skip_while(|l| l.trim() != "Virtual IP Excluded :")
        .skip(1)
        .take_while(|l| l.starts_with("     "))
        .map(|l| l.trim().to_string())
        .collect()
}

#[test]
fn netns_excluded_addresses_are_held_and_announced_not_advertised() {
    let mut seen = Vec::new();
    for who in ["keepalived-rs", "keepalived"] {
        let Some(mut lab) = lab_or_skip(
            "netns_excluded_addresses_are_held_and_announced_not_advertised",
            if who == "keepalived" { "xk" } else { "xo" },
            1,
        ) else {
            return;
        };
        let a = lab.node(0).to_string();
        let tmp = lab.dir.join("tmp");
        std::fs::create_dir_all(&tmp).unwrap();
        let env = [("TMPDIR", tmp.as_path())];
        let mut d = if who == "keepalived" {
            lab.start_keepalived_env(&a, who, CONF, &env)
        } else {
            lab.start_ours_env(&a, who, CONF, &env)
        };
        let held = ["10.9.0.100", "10.9.0.200", "fd09::200"];
        assert!(
            wait_for(Duration::from_secs(10), || held
                .iter()
                .all(|v| lab.has(&a, v)))
            .is_some(),
            "{who}: {:?}\n{}",
            lab.addresses(&a),
            d.log_text()
        );
        // The first GARP/NA burst is in the capture by then.
        std::thread::sleep(Duration::from_secs(2));
        // USR1: data; 36: JSON (keepalived's --signum).
        let data = dump(&d, 10, &tmp.join("keepalived.data"));
        let json = dump(&d, 36, &tmp.join("keepalived.json"));
        let frames = lab.capture();
        let adverts: Vec<Vec<u8>> = frames
            .iter()
            .filter_map(|f| f.vrrp4().map(|(_, _, p)| p.to_vec()))
            .collect();
        assert!(!adverts.is_empty(), "{who}: no advert captured");
        for p in &adverts {
            // Count of addresses, then the one VIP.
            assert_eq!((p[3], &p[8..12]), (1, &[10, 9, 0, 100][..]), "{who}: {p:?}");
        }
        assert!(
            frames
                .iter()
                .any(|f| f.is_garp_for(Ipv4Addr::new(10, 9, 0, 200))),
            "{who}: no gratuitous ARP for the excluded 10.9.0.200"
        );
        assert!(
            frames
                .iter()
                .any(|f| f.is_na_for("fd09::200".parse().unwrap())),
            "{who}: no neighbour advertisement for the excluded fd09::200"
        );
        let evips =
            serde_json::from_str::<serde_json::Value>(&json).unwrap()[0]["data"]["evips"].clone();
        println!(
            "MEASURE: {who}: data {:?}; JSON evips {evips}",
            excluded_lines(&data)
        );
        seen.push((excluded_lines(&data), evips));
        assert_eq!(
            d.term(Duration::from_secs(10)),
            Some(0),
            "{who}: {}",
            d.log_text()
        );
        assert!(
            held.iter().all(|v| !lab.has(&a, v)),
            "{who}: left behind: {:?}",
            lab.addresses(&a)
        );
    }
    if let [ours, theirs] = &seen[..] {
        assert_eq!(ours, theirs, "keepalived-rs, then keepalived 2.2.7");
    }
}
