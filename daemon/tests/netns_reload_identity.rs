//! A reload that changes how peers know an instance, in the netns lab, keepalived-rs and
//! keepalived 2.2.7 on the same files (measured by hand first, then here): a new `version` or
//! `mcast_src_ip` is changed in place (no notify, still MASTER, the adverts in the new version
//! or from the new address); a new `vrrp_mcast_group4` or `unicast_src_ip` makes another
//! instance (the old one's `notify` says FAULT and it resigns, the new one starts: BACKUP, then
//! MASTER).
//! Needs root; skips loudly without it.

mod common;

use std::net::Ipv4Addr;
use std::time::Duration;

use common::notify::{calls, note_scripts};
use common::{lab_or_skip, now_epoch, wait_for, Daemon, Frame, Lab};

const DAEMONS: [&str; 2] = ["keepalived-rs", "keepalived"];

/// The file: VI_1 (priority 150, state MASTER, 1 s adverts) with its notify scripts, `global`
/// in global_defs and `extra` in the instance.
fn conf(lab: &Lab, global: &str, extra: &str) -> String {
    let d = lab.dir.display();
    format!(
        "global_defs {{\n    script_user root\n{global}}}\nvrrp_instance VI_1 {{\n    state MASTER\n    interface eth0\n    virtual_router_id 51\n    priority 150\n    advert_int 1\n{extra}    virtual_ipaddress {{\n        10.9.0.100/24\n    }}\n    notify_master {d}/master\n    notify_backup {d}/backup\n    notify_fault {d}/fault\n    notify_stop {d}/stop\n    notify {d}/notify\n}}\n"
    )
}

/// Rewrites the daemon's file and sends SIGHUP; waits for one more `Reload complete`.
fn reload(lab: &Lab, d: &Daemon, name: &str, conf: &str) {
    let before = d.log_text().matches("Reload complete").count();
    lab.write(&format!("{name}.conf"), conf);
    d.signal(nix::sys::signal::Signal::SIGHUP);
    assert!(
        wait_for(Duration::from_secs(10), || d
            .log_text()
            .matches("Reload complete")
            .count()
            > before)
        .is_some(),
        "no 'Reload complete' after SIGHUP:\n{}",
        d.log_text()
    );
}

/// A VRRPv2/v3 advert seen on the wire: time, source, destination, version, priority.
struct Advert {
    time: f64,
    src: Ipv4Addr,
    dst: Ipv4Addr,
    version: u8,
    priority: u8,
}

fn adverts(frames: &[Frame]) -> Vec<Advert> {
    frames
        .iter()
        .filter_map(|f| {
            let (src, _, p) = f.vrrp4()?;
            let dst = Ipv4Addr::new(f.data[30], f.data[31], f.data[32], f.data[33]);
            (p.len() > 2).then(|| Advert {
                time: f.time,
                src,
                dst,
                version: p[0] >> 4,
                priority: p[2],
            })
        })
        .collect()
}

/// What one daemon did across the reload: the notify calls after it (sorted: keepalived forks
/// its scripts at once), the adverts from its start on, when the reload was sent, and whether
/// the VIP was there at the end.
struct Run {
    calls: Vec<String>,
    adverts: Vec<Advert>,
    reloaded_at: f64,
    vip_kept: bool,
}

impl Run {
    /// The adverts sent from `reloaded_at` + `after` seconds on.
    fn adverts_after(&self, after: f64) -> Vec<&Advert> {
        self.adverts
            .iter()
            .filter(|a| a.time >= self.reloaded_at + after)
            .collect()
    }
}

/// One daemon: started on the file with `before` (global_defs lines, instance lines), MASTER,
/// then reloaded with `after`; waits for `calls_after` notify calls, then 3 s more, then for
/// `adverts_after` adverts on the wire from 1.5 s after the reload (0: the test reads none, and
/// unicast adverts to a peer that is not there never reach the wire).
fn run(
    who: &str,
    tag: &str,
    before: (&str, &str),
    after: (&str, &str),
    calls_after: usize,
    adverts_after: usize,
) -> Option<Run> {
    let test = format!("netns_reload_identity ({tag})");
    let tag = format!("{tag}{}", if who == "keepalived" { "k" } else { "o" });
    let mut lab = lab_or_skip(&test, &tag, 1)?;
    let a = lab.node(0).to_string();
    // A second address for mcast_src_ip / unicast_src_ip to move to.
    common::ip(&["-n", &a, "addr", "add", "10.9.0.11/24", "dev", "eth0"]).unwrap();
    let file = note_scripts(&lab, &["master", "backup", "fault", "stop", "notify"]);
    let first = conf(&lab, before.0, before.1);
    let second = conf(&lab, after.0, after.1);
    let d = lab.start_either(who, &a, &first);
    assert!(
        wait_for(Duration::from_secs(15), || calls(&file)
            .iter()
            .any(|c| c == "notify INSTANCE VI_1 MASTER 150"))
        .is_some(),
        "{who}: no MASTER: {}",
        d.log_text()
    );
    std::thread::sleep(Duration::from_secs(1));
    let seen = calls(&file).len();
    let reloaded_at = now_epoch();
    reload(&lab, &d, who, &second);
    let _ = wait_for(Duration::from_secs(15), || {
        calls(&file).len() >= seen + calls_after
    });
    std::thread::sleep(Duration::from_secs(3));
    let vip_kept = lab.has(&a, "10.9.0.100");
    let mut new_calls = calls(&file)[seen..].to_vec();
    new_calls.sort();
    // tcpdump hands frames to its file late on a loaded machine: wait for the adverts after
    // the reload has settled.
    let frames = lab.capture_until(Duration::from_secs(15), |frames| {
        adverts(frames)
            .iter()
            .filter(|a| a.time >= reloaded_at + 1.5)
            .count()
            >= adverts_after
    });
    println!("MEASURE: {who}: {tag}: calls after the reload {new_calls:?}");
    Some(Run {
        calls: new_calls,
        adverts: adverts(&frames),
        reloaded_at,
        vip_kept,
    })
}

/// The calls of an instance that keepalived 2.2.7 takes for another one at a reload: the old
/// one's FAULT (`notify` only), the new one's BACKUP and MASTER.
const ANOTHER: [&str; 5] = [
    "backup ",
    "master ",
    "notify INSTANCE VI_1 BACKUP 150",
    "notify INSTANCE VI_1 FAULT 150",
    "notify INSTANCE VI_1 MASTER 150",
];

#[test]
fn netns_reload_of_a_new_version_changes_it_in_place_as_keepalived() {
    for who in DAEMONS {
        let Some(r) = run(
            who,
            "iv",
            ("", "    version 2\n"),
            ("", "    version 3\n"),
            0,
            3,
        ) else {
            return;
        };
        assert!(r.calls.is_empty(), "{who}: {:?}", r.calls);
        assert!(r.vip_kept, "{who}: the VIP went");
        let after = r.adverts_after(0.3);
        assert!(after.len() >= 3, "{who}: {} adverts", after.len());
        assert!(
            after.iter().all(|a| a.version == 3 && a.priority == 150),
            "{who}: adverts after the reload: {:?}",
            after
                .iter()
                .map(|a| (a.version, a.priority))
                .collect::<Vec<_>>()
        );
        assert!(
            !r.adverts_after(0.0).iter().any(|a| a.priority == 0),
            "{who}: resigned"
        );
    }
}

#[test]
fn netns_reload_of_a_new_multicast_source_changes_it_in_place_as_keepalived() {
    for who in DAEMONS {
        let Some(r) = run(
            who,
            "is",
            ("", "    mcast_src_ip 10.9.0.1\n"),
            ("", "    mcast_src_ip 10.9.0.11\n"),
            0,
            3,
        ) else {
            return;
        };
        assert!(r.calls.is_empty(), "{who}: {:?}", r.calls);
        assert!(r.vip_kept, "{who}: the VIP went");
        let after = r.adverts_after(1.5);
        assert!(after.len() >= 2, "{who}: {} adverts", after.len());
        assert!(
            after
                .iter()
                .all(|a| a.src == Ipv4Addr::new(10, 9, 0, 11) && a.priority == 150),
            "{who}: {:?}",
            after
                .iter()
                .map(|a| (a.src, a.priority))
                .collect::<Vec<_>>()
        );
    }
}

#[test]
fn netns_reload_of_a_new_multicast_group_makes_another_instance_as_keepalived() {
    for who in DAEMONS {
        let Some(r) = run(
            who,
            "ig",
            ("    vrrp_mcast_group4 224.0.0.18\n", ""),
            ("    vrrp_mcast_group4 224.0.0.19\n", ""),
            ANOTHER.len(),
            3,
        ) else {
            return;
        };
        assert_eq!(r.calls, ANOTHER, "{who}");
        assert!(r.vip_kept, "{who}: the VIP is back");
        let after = r.adverts_after(0.0);
        // The old instance resigns to the old group; the new one advertises to the new.
        assert!(
            after
                .iter()
                .any(|a| a.priority == 0 && a.dst == Ipv4Addr::new(224, 0, 0, 18)),
            "{who}: no resignation"
        );
        let last = after.last().expect("adverts");
        assert_eq!(
            (last.dst, last.priority),
            (Ipv4Addr::new(224, 0, 0, 19), 150),
            "{who}"
        );
    }
}

#[test]
fn netns_reload_of_a_new_unicast_source_makes_another_instance_as_keepalived() {
    let peer = "    unicast_peer {\n        10.9.0.2\n    }\n";
    for who in DAEMONS {
        let Some(r) = run(
            who,
            "iu",
            ("", &format!("    unicast_src_ip 10.9.0.1\n{peer}")),
            ("", &format!("    unicast_src_ip 10.9.0.11\n{peer}")),
            ANOTHER.len(),
            0,
        ) else {
            return;
        };
        assert_eq!(r.calls, ANOTHER, "{who}");
        assert!(r.vip_kept, "{who}: the VIP is back");
    }
}
