//! vrrp_sync_group in the netns lab, keepalived-rs and keepalived 2.2.7 on the same files: one
//! member's own fault puts every member in FAULT (their notify_fault, the group's FAULT), the
//! first of two faults ending changes nothing, the last one brings every member back to BACKUP
//! and then MASTER; at start, a group of address owners (priority 255) goes MASTER without a
//! group notify; a group split by a peer (master of one member) stays BACKUP. keepalived forks its scripts at once, so each phase's calls are compared as
//! sets; keepalived-rs runs them in order, which is checked too; the FIFO lines, which both
//! write in order, are compared as they come.
//! Needs root; skips loudly without it.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::notify::{calls, note_scripts, Reader};
use common::{daemons_to_compare, lab_or_skip, wait_for, Lab};

/// The scripts every instance and the group name: the state's own and `notify`.
const SCRIPTS: [&str; 10] = [
    "master", "backup", "fault", "stop", "notify", "gmaster", "gbackup", "gfault", "gstop",
    "gnotify",
];

/// Instance `name` (VRRPv2, 1 s adverts) with every notify script and, if given, a tracked
/// vrrp_script (weight 0: its failure is a FAULT).
fn instance(dir: &Path, name: &str, vrid: u8, priority: u8, track: Option<&str>) -> String {
    let d = dir.display();
    let track = track
        .map(|t| format!("    track_script {{\n        {t}\n    }}\n"))
        .unwrap_or_default();
    let state = if priority == 255 { "MASTER" } else { "BACKUP" };
    format!(
        "vrrp_instance {name} {{\n    state {state}\n    interface eth0\n    virtual_router_id {vrid}\n    priority {priority}\n    advert_int 1\n    virtual_ipaddress {{\n        10.9.0.{vrid}/24\n    }}\n{track}    notify_master {d}/master\n    notify_backup {d}/backup\n    notify_fault {d}/fault\n    notify_stop {d}/stop\n    notify {d}/notify\n}}\n"
    )
}

/// Group G of VI_1 and VI_2, with every notify script.
fn group(dir: &Path) -> String {
    let d = dir.display();
    format!(
        "vrrp_sync_group G {{\n    group {{\n        VI_1\n        VI_2\n    }}\n    notify_master {d}/gmaster\n    notify_backup {d}/gbackup\n    notify_fault {d}/gfault\n    notify_stop {d}/gstop\n    notify {d}/gnotify\n}}\n"
    )
}

/// A vrrp_script that fails while `file` exists, seen within a second.
fn file_check(name: &str, file: &Path) -> String {
    format!(
        "vrrp_script {name} {{\n    script \"/usr/bin/test ! -e {}\"\n    interval 1\n    fall 1\n    rise 1\n}}\n",
        file.display()
    )
}

/// The calls of one instance's (or the group's) move to `state`, in the order keepalived-rs
/// makes them: the state's own script, then `notify`.
fn moved(who: &str, state: &str, priority: u8) -> Vec<String> {
    let own = state.to_lowercase();
    if who == "G" {
        vec![format!("g{own} "), format!("gnotify GROUP G {state} 0")]
    } else {
        vec![
            format!("{own} "),
            format!("notify INSTANCE {who} {state} {priority}"),
        ]
    }
}

fn phase(moves: &[(&str, &str, u8)]) -> Vec<String> {
    moves
        .iter()
        .flat_map(|&(who, state, prio)| moved(who, state, prio))
        .collect()
}

/// The calls one daemon's scripts write down in `file`, read phase by phase.
struct Calls<'a> {
    file: &'a Path,
    who: &'a str,
    /// The daemon's log, for the failures.
    log: PathBuf,
    /// How many were read so far.
    seen: usize,
}

impl<'a> Calls<'a> {
    /// `who`'s calls, started in `lab`.
    fn new(file: &'a Path, lab: &Lab, who: &'a str) -> Calls<'a> {
        Calls {
            file,
            who,
            log: lab.dir.join(format!("{who}.log")),
            seen: 0,
        }
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits until `n` more calls are written down (and a second more, for stragglers
    /// keepalived forked at once); returns the new ones.
    fn next(&mut self, n: usize, what: &str) -> Vec<String> {
        let ok = wait_for(Duration::from_secs(15), || {
            calls(self.file).len() >= self.seen + n
        });
        std::thread::sleep(Duration::from_secs(1));
        let all = calls(self.file);
        assert!(
            ok.is_some(),
            "{}: {what}: calls so far {all:#?}\n{}",
            self.who,
            self.log_text()
        );
        let new = all[self.seen..].to_vec();
        self.seen = all.len();
        new
    }

    /// Nothing more is written down within `wait`.
    fn none(&self, wait: Duration, what: &str) {
        std::thread::sleep(wait);
        let all = calls(self.file);
        assert_eq!(
            all.len(),
            self.seen,
            "{}: {what}: unexpected calls {:#?}\n{}",
            self.who,
            &all[self.seen..],
            self.log_text()
        );
    }
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

fn lab(test: &str, who: &str, tag: &str) -> Option<Lab> {
    let tag = format!("{tag}{}", if who == "keepalived" { "k" } else { "o" });
    lab_or_skip(test, &tag, 1)
}

/// keepalived 2.2.7 (measured by hand, then here): VI_1's tracked script fails: VI_1 and VI_2
/// go FAULT (both notify_fault), then the group; VI_2's own script fails too: nothing; VI_1's
/// recovers: nothing (VI_2 is still faulty); VI_2's recovers: both BACKUP, the group BACKUP,
/// then all MASTER.
#[test]
fn netns_one_members_fault_puts_the_group_in_fault_as_keepalived() {
    for who in daemons_to_compare() {
        let test = "netns_one_members_fault_puts_the_group_in_fault_as_keepalived";
        let Some(lab) = lab(test, who, "sf") else {
            return;
        };
        let a = lab.node(0).to_string();
        let file = note_scripts(&lab, &SCRIPTS);
        let (f1, f2) = (lab.dir.join("f1"), lab.dir.join("f2"));
        let fifo = lab.dir.join("vrrp.fifo");
        let reader = Reader::start(fifo.clone());
        let conf = format!(
            "global_defs {{\n    script_user root\n    vrrp_notify_fifo {}\n}}\n{}{}{}{}{}",
            fifo.display(),
            file_check("chk1", &f1),
            file_check("chk2", &f2),
            group(&lab.dir),
            instance(&lab.dir, "VI_1", 51, 100, Some("chk1")),
            instance(&lab.dir, "VI_2", 52, 100, Some("chk2")),
        );
        // Held to the end: dropping it kills the daemon.
        let _daemon = lab.start_either(who, &a, &conf);
        let mut calls = Calls::new(&file, &lab, who);
        let start = phase(&[
            ("VI_1", "BACKUP", 100),
            ("VI_2", "BACKUP", 100),
            ("G", "BACKUP", 100),
            ("VI_1", "MASTER", 100),
            ("VI_2", "MASTER", 100),
            ("G", "MASTER", 100),
        ]);
        let got = calls.next(start.len(), "start");
        assert_eq!(sorted(got), sorted(start), "{who}: start");

        std::fs::write(&f1, "").unwrap();
        let fault = phase(&[
            ("VI_1", "FAULT", 100),
            ("VI_2", "FAULT", 100),
            ("G", "FAULT", 100),
        ]);
        let got = calls.next(fault.len(), "VI_1's fault");
        println!("MEASURE: {who}: VI_1's fault: {got:?}");
        if who == "keepalived-rs" {
            assert_eq!(got, fault, "{who}: in order");
        }
        assert_eq!(sorted(got), sorted(fault), "{who}: VI_1's fault");
        assert!(!lab.has(&a, "10.9.0.51") && !lab.has(&a, "10.9.0.52"));

        std::fs::write(&f2, "").unwrap();
        calls.none(Duration::from_secs(3), "VI_2's own fault");
        std::fs::remove_file(&f1).unwrap();
        calls.none(Duration::from_secs(3), "VI_1's recovery");
        assert!(!lab.has(&a, "10.9.0.51"), "{who}: VI_1 held in FAULT");

        std::fs::remove_file(&f2).unwrap();
        let back = phase(&[
            ("VI_2", "BACKUP", 100),
            ("VI_1", "BACKUP", 100),
            ("G", "BACKUP", 100),
            ("VI_1", "MASTER", 100),
            ("VI_2", "MASTER", 100),
            ("G", "MASTER", 100),
        ]);
        let got = calls.next(back.len(), "recovery");
        println!("MEASURE: {who}: the last fault ends: {got:?}");
        if who == "keepalived-rs" {
            assert_eq!(got[..6], back[..6], "{who}: in order");
        }
        assert_eq!(sorted(got), sorted(back), "{who}: recovery");
        assert!(lab.has(&a, "10.9.0.51") && lab.has(&a, "10.9.0.52"));

        // The FIFO: the start as a set (keepalived 2.2.7 may write the group's line first),
        // then the fault and the recovery in keepalived's order (measured by hand).
        let lines = reader.wait(15, Duration::from_secs(5));
        println!("MEASURE: {who}: FIFO {lines:#?}");
        assert_eq!(lines.len(), 15, "{who}: {lines:#?}");
        let fifo_phase = |v: &[(&str, &str)]| -> Vec<String> {
            v.iter()
                .map(|&(who, state)| match who {
                    "G" => format!("GROUP \"G\" {state} 0"),
                    vi => format!("INSTANCE \"{vi}\" {state} 100"),
                })
                .collect()
        };
        let start = fifo_phase(&[
            ("VI_1", "BACKUP"),
            ("VI_2", "BACKUP"),
            ("G", "BACKUP"),
            ("VI_1", "MASTER"),
            ("VI_2", "MASTER"),
            ("G", "MASTER"),
        ]);
        assert_eq!(
            sorted(lines[..6].to_vec()),
            sorted(start),
            "{who}: FIFO at start"
        );
        let then = fifo_phase(&[
            ("VI_1", "FAULT"),
            ("VI_2", "FAULT"),
            ("G", "FAULT"),
            ("VI_2", "BACKUP"),
            ("VI_1", "BACKUP"),
            ("G", "BACKUP"),
        ]);
        assert_eq!(lines[6..12], then[..], "{who}: FIFO, fault and recovery");
        assert_eq!(lines[14], "GROUP \"G\" MASTER 0", "{who}");
    }
}

/// keepalived 2.2.7 (measured): a group of address owners (priority 255) starts MASTER at once,
/// its members notified, the group not at all (no GROUP line, no group script); at stop every
/// member's STOP, then the group's.
#[test]
fn netns_a_group_of_owners_starts_master_without_a_group_notify() {
    for who in daemons_to_compare() {
        let test = "netns_a_group_of_owners_starts_master_without_a_group_notify";
        let Some(lab) = lab(test, who, "so") else {
            return;
        };
        let a = lab.node(0).to_string();
        let file = note_scripts(&lab, &SCRIPTS);
        let conf = format!(
            "global_defs {{\n    script_user root\n}}\n{}{}{}",
            group(&lab.dir),
            instance(&lab.dir, "VI_1", 51, 255, None),
            instance(&lab.dir, "VI_2", 52, 255, None),
        );
        let mut d = lab.start_either(who, &a, &conf);
        let mut calls = Calls::new(&file, &lab, who);
        let start = phase(&[("VI_1", "MASTER", 255), ("VI_2", "MASTER", 255)]);
        let got = calls.next(start.len(), "start");
        calls.none(Duration::from_secs(2), "after the start");
        println!("MEASURE: {who}: owners' start: {got:?}");
        assert_eq!(sorted(got), sorted(start), "{who}: start");
        assert!(
            d.term(Duration::from_secs(40)).is_some(),
            "{who} did not stop"
        );
        let stop = phase(&[
            ("VI_1", "STOP", 255),
            ("VI_2", "STOP", 255),
            ("G", "STOP", 0),
        ]);
        let got = calls.next(stop.len(), "stop");
        assert_eq!(sorted(got), sorted(stop), "{who}: stop");
    }
}

/// keepalived 2.2.7 (measured): a group whose peer is still master of one member (VI_2 at
/// priority 200 on the other router, VI_1 alone) stays BACKUP: VI_1 times out again and again
/// but nobody becomes MASTER (keepalived-rs used to flap: VI_1 MASTER, VI_2 forced MASTER and
/// sending gratuitous ARPs for the peer's address, both BACKUP again on the peer's next advert).
/// When the peer stops, VI_2 times out last, becomes MASTER first, `VRRP_Group(G) Syncing
/// instances to MASTER state`, and VI_1 follows.
#[test]
fn netns_a_group_split_by_a_peer_stays_backup_as_keepalived() {
    let test = "netns_a_group_split_by_a_peer_stays_backup_as_keepalived";
    let runs: Vec<_> = daemons_to_compare()
        .into_iter()
        .map(|who| std::thread::spawn(move || split_run(test, who)))
        .collect();
    // Every run ends (and tears its lab down) before a failure is reported.
    let results: Vec<_> = runs.into_iter().map(|r| r.join()).collect();
    for r in results {
        if let Err(panic) = r {
            std::panic::resume_unwind(panic);
        }
    }
}

/// One daemon under `split_run`'s scenario, its peer keepalived-rs.
fn split_run(test: &str, who: &str) {
    let tag = if who == "keepalived" { "spk" } else { "spo" };
    let Some(lab) = lab_or_skip(test, tag, 2) else {
        return;
    };
    let (a, b) = (lab.node(0).to_string(), lab.node(1).to_string());
    // VRRPv3 at 0.2 s: a master-down interval is about 0.7 s.
    let inst = |name: &str, vrid: u8, priority: u8| {
        format!("vrrp_instance {name} {{\n    interface eth0\n    virtual_router_id {vrid}\n    priority {priority}\n    advert_int 0.2\n    virtual_ipaddress {{\n        10.9.0.{vrid}/24\n    }}\n}}\n")
    };
    let v3 = "global_defs {\n    vrrp_version 3\n}\n";
    let mut peer = lab.start_ours(&b, "peer", &format!("{v3}{}", inst("VI_2", 52, 200)));
    assert!(
        wait_for(Duration::from_secs(10), || peer
            .log_text()
            .contains("(VI_2) Entering MASTER STATE"))
        .is_some(),
        "peer:\n{}",
        peer.log_text()
    );
    let conf = format!(
        "{v3}vrrp_sync_group G {{\n    group {{\n        VI_1\n        VI_2\n    }}\n}}\n{}{}",
        inst("VI_1", 51, 100),
        inst("VI_2", 52, 100)
    );
    let mut d = lab.start_either(who, &a, &conf);
    let timeouts = || {
        d.log_text()
            .matches("(VI_1) Receive advertisement timeout")
            .count()
    };
    assert!(
        wait_for(Duration::from_secs(15), || timeouts() >= 4).is_some(),
        "{who}:\n{}",
        d.log_text()
    );
    assert!(
        !d.log_text().contains("Entering MASTER STATE"),
        "{who} went MASTER while the peer masters VI_2:\n{}",
        d.log_text()
    );
    assert!(peer.term(Duration::from_secs(20)).is_some());
    let masters = |log: &str| {
        [
            "(VI_1) Entering MASTER STATE",
            "(VI_2) Entering MASTER STATE",
        ]
        .map(|l| log.find(l))
    };
    assert!(
        wait_for(Duration::from_secs(15), || masters(&d.log_text())
            .iter()
            .all(Option::is_some))
        .is_some(),
        "{who}:\n{}",
        d.log_text()
    );
    let log = d.log_text();
    let [vi1, vi2] = masters(&log);
    let sync = log.find("VRRP_Group(G) Syncing instances to MASTER state");
    assert!(
        vi2 < sync && sync < vi1,
        "{who}: VI_2 (the last to time out) first, then keepalived's group line, then VI_1:\n{log}"
    );
    d.term(Duration::from_secs(20));
}
