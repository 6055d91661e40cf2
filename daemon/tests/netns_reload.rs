//! SIGHUP on the VRRP side, in the netns lab, against keepalived 2.2.7 where it applies: a
//! reload of an unchanged file gives no address event and no gap in the master's adverts; a
//! VIP added or removed is exactly one address event; an instance added starts and an
//! untouched one gives no event; a removed instance's VIPs go and the others stay; a priority
//! raised on the backup above the master's takes over; a broken file changes nothing and says
//! where; a hundred reloads in a row leave the daemon running and its memory flat.
//! Needs root; skips loudly without it.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::notify::note_scripts;
use common::{lab_or_skip, wait_for, Daemon, Lab};

/// One instance's block (VRRP v2, 1 s adverts, PASS auth).
fn instance(name: &str, vrid: u8, state: &str, priority: u8, vips: &[&str]) -> String {
    let vips: String = vips.iter().map(|v| format!("        {v}\n")).collect();
    format!(
        "vrrp_instance {name} {{\n    state {state}\n    interface eth0\n    virtual_router_id {vrid}\n    priority {priority}\n    advert_int 1\n    authentication {{\n        auth_type PASS\n        auth_pass s3cret\n    }}\n    virtual_ipaddress {{\n{vips}    }}\n}}\n"
    )
}

/// `ip monitor address` in a namespace: every line it prints, kept.
struct Monitor {
    child: Child,
    lines: Arc<Mutex<Vec<String>>>,
}

impl Monitor {
    fn start(ns: &str) -> Monitor {
        let mut child = Command::new("ip")
            .args(["-o", "-n", ns, "monitor", "address"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("ip monitor");
        let out = child.stdout.take().unwrap();
        let lines = Arc::new(Mutex::new(Vec::new()));
        let keep = lines.clone();
        std::thread::spawn(move || {
            for l in BufReader::new(out).lines().map_while(Result::ok) {
                keep.lock().unwrap().push(l);
            }
        });
        // ip monitor needs a moment to subscribe.
        std::thread::sleep(Duration::from_millis(300));
        Monitor { child, lines }
    }

    /// The events that name `addr`, so far.
    fn events_for(&self, addr: &str) -> Vec<String> {
        let needle = format!(" {addr}/");
        self.lines
            .lock()
            .unwrap()
            .iter()
            .filter(|l| l.contains(&needle))
            .cloned()
            .collect()
    }

    fn all(&self) -> Vec<String> {
        self.lines.lock().unwrap().clone()
    }
}

impl Drop for Monitor {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Rewrites the daemon's file and sends SIGHUP; waits until its log says the reload is over
/// (or refused) one more time than before.
fn reload(lab: &Lab, d: &Daemon, name: &str, conf: &str, done: &str) {
    let before = d.log_text().matches(done).count();
    lab.write(&format!("{name}.conf"), conf);
    d.signal(nix::sys::signal::Signal::SIGHUP);
    assert!(
        wait_for(Duration::from_secs(10), || d
            .log_text()
            .matches(done)
            .count()
            > before)
        .is_some(),
        "no '{done}' after SIGHUP:\n{}",
        d.log_text()
    );
}

/// keepalived-rs and keepalived 2.2.7: their start and the line each logs when a reload is done.
fn daemons() -> [(&'static str, &'static str); 2] {
    [
        ("keepalived-rs", "Reload complete"),
        ("keepalived", "Reload complete"),
    ]
}

/// The longest gap between two adverts of `src` in the capture, in seconds, from `from` on.
fn longest_gap(frames: &[common::Frame], src: std::net::Ipv4Addr, from: f64) -> f64 {
    let times: Vec<f64> = frames
        .iter()
        .filter(|f| f.time >= from)
        .filter(|f| {
            f.vrrp4()
                .is_some_and(|(s, _, p)| s == src && p.len() > 2 && p[2] != 0)
        })
        .map(|f| f.time)
        .collect();
    times.windows(2).map(|w| w[1] - w[0]).fold(0.0, f64::max)
}

#[test]
fn netns_reload_of_an_unchanged_file_touches_nothing() {
    for (who, done) in daemons() {
        let Some(mut lab) =
            lab_or_skip("netns_reload_of_an_unchanged_file_touches_nothing", "ru", 1)
        else {
            return;
        };
        let a = lab.node(0).to_string();
        let conf = instance("VI_1", 51, "MASTER", 150, &["10.9.0.100/24"]);
        let d = lab.start_either(who, &a, &conf);
        assert!(
            wait_for(Duration::from_secs(10), || lab.has(&a, "10.9.0.100")).is_some(),
            "{who}: {}",
            d.log_text()
        );
        std::thread::sleep(Duration::from_secs(2));
        let mon = Monitor::start(&a);
        let t0 = common::now_epoch();
        reload(&lab, &d, who, &conf, done);
        std::thread::sleep(Duration::from_secs(3));
        let events = mon.all();
        let frames = lab.capture();
        let gap = longest_gap(&frames, Lab::addr4(0).parse().unwrap(), t0 - 1.0);
        println!("MEASURE: {who}: reload of an unchanged file: {} address events, longest advert gap {gap:.3} s", events.len());
        if who == "keepalived-rs" {
            assert!(events.is_empty(), "address events: {events:?}");
            assert!(gap <= 1.1, "advert gap {gap:.3} s over advert_int + 10 %");
            assert!(lab.has(&a, "10.9.0.100"));
        }
    }
}

#[test]
fn netns_reload_adds_and_removes_exactly_the_vip_changed() {
    for (who, done) in daemons() {
        let Some(lab) = lab_or_skip(
            "netns_reload_adds_and_removes_exactly_the_vip_changed",
            "rv",
            1,
        ) else {
            return;
        };
        let a = lab.node(0).to_string();
        let one = instance("VI_1", 51, "MASTER", 150, &["10.9.0.100/24"]);
        let two = instance(
            "VI_1",
            51,
            "MASTER",
            150,
            &["10.9.0.100/24", "10.9.0.101/24"],
        );
        let d = lab.start_either(who, &a, &one);
        assert!(wait_for(Duration::from_secs(10), || lab.has(&a, "10.9.0.100")).is_some());
        std::thread::sleep(Duration::from_secs(2));
        let mon = Monitor::start(&a);
        reload(&lab, &d, who, &two, done);
        assert!(
            wait_for(Duration::from_secs(5), || lab.has(&a, "10.9.0.101")).is_some(),
            "{who}: the new VIP never came:\n{}",
            d.log_text()
        );
        std::thread::sleep(Duration::from_secs(1));
        let added = mon.all();
        reload(&lab, &d, who, &one, done);
        assert!(
            wait_for(Duration::from_secs(5), || !lab.has(&a, "10.9.0.101")).is_some(),
            "{who}: the removed VIP stayed"
        );
        std::thread::sleep(Duration::from_secs(1));
        let all = mon.all();
        println!(
            "MEASURE: {who}: +1 VIP: {} address events ({:?}); -1 VIP: {} more",
            added.len(),
            added,
            all.len() - added.len()
        );
        if who == "keepalived-rs" {
            assert_eq!(added.len(), 1, "{added:?}");
            assert!(added[0].contains("10.9.0.101/24") && !added[0].starts_with("Deleted"));
            assert_eq!(all.len(), 2, "{all:?}");
            assert!(all[1].starts_with("Deleted") && all[1].contains("10.9.0.101/24"));
            assert!(lab.has(&a, "10.9.0.100"), "the kept VIP is there");
        }
    }
}

#[test]
fn netns_reload_adds_and_removes_instances_and_leaves_the_others() {
    let Some(lab) = lab_or_skip(
        "netns_reload_adds_and_removes_instances_and_leaves_the_others",
        "ri",
        1,
    ) else {
        return;
    };
    let a = lab.node(0).to_string();
    let vi1 = instance("VI_1", 51, "MASTER", 150, &["10.9.0.100/24"]);
    let vi2 = instance("VI_2", 52, "MASTER", 150, &["10.9.0.102/24"]);
    let d = lab.start_ours(&a, "ours", &vi1);
    assert!(wait_for(Duration::from_secs(10), || lab.has(&a, "10.9.0.100")).is_some());
    std::thread::sleep(Duration::from_secs(1));
    let mon = Monitor::start(&a);
    reload(&lab, &d, "ours", &format!("{vi1}{vi2}"), "Reload complete");
    assert!(
        wait_for(Duration::from_secs(10), || lab.has(&a, "10.9.0.102")).is_some(),
        "VI_2 never took its VIP:\n{}",
        d.log_text()
    );
    assert!(
        mon.events_for("10.9.0.100").is_empty(),
        "VI_1 was touched: {:?}",
        mon.all()
    );
    assert!(
        d.log_text().contains("reload: vrrp_instance VI_2: added"),
        "{}",
        d.log_text()
    );
    // VI_1 removed: its VIP goes, VI_2's stays.
    reload(&lab, &d, "ours", &vi2, "Reload complete");
    assert!(wait_for(Duration::from_secs(5), || !lab.has(&a, "10.9.0.100")).is_some());
    std::thread::sleep(Duration::from_millis(500));
    assert!(lab.has(&a, "10.9.0.102"));
    assert_eq!(mon.events_for("10.9.0.102").len(), 1, "{:?}", mon.all());
}

#[test]
fn netns_reload_priority_above_the_master_takes_over() {
    let Some(lab) = lab_or_skip("netns_reload_priority_above_the_master_takes_over", "rp", 2)
    else {
        return;
    };
    let (a, b) = (lab.node(0).to_string(), lab.node(1).to_string());
    let master = lab.start_ours(
        &a,
        "a",
        &instance("VI_1", 51, "MASTER", 150, &["10.9.0.100/24"]),
    );
    assert!(wait_for(Duration::from_secs(10), || lab.has(&a, "10.9.0.100")).is_some());
    let conf_b = instance("VI_1", 51, "BACKUP", 100, &["10.9.0.100/24"]);
    let backup = lab.start_ours(&b, "b", &conf_b);
    std::thread::sleep(Duration::from_secs(5));
    assert!(!lab.has(&b, "10.9.0.100"), "{}", backup.log_text());
    reload(
        &lab,
        &backup,
        "b",
        &conf_b.replace("priority 100", "priority 200"),
        "Reload complete",
    );
    assert!(
        wait_for(Duration::from_secs(10), || lab.has(&b, "10.9.0.100")).is_some(),
        "the backup did not preempt:\n{}",
        backup.log_text()
    );
    assert!(
        wait_for(Duration::from_secs(5), || !lab.has(&a, "10.9.0.100")).is_some(),
        "the old master kept the VIP:\n{}",
        master.log_text()
    );
}

#[test]
fn netns_reload_of_a_broken_file_changes_nothing() {
    let Some(lab) = lab_or_skip("netns_reload_of_a_broken_file_changes_nothing", "rb", 1) else {
        return;
    };
    let a = lab.node(0).to_string();
    let conf = instance("VI_1", 51, "MASTER", 150, &["10.9.0.100/24"]);
    let mut d = lab.start_ours(&a, "ours", &conf);
    assert!(wait_for(Duration::from_secs(10), || lab.has(&a, "10.9.0.100")).is_some());
    let mon = Monitor::start(&a);
    let broken = conf.replace("priority 150", "priority 300");
    reload(&lab, &d, "ours", &broken, "reload refused");
    let log = d.log_text();
    let line = log
        .lines()
        .find(|l| l.contains("ours.conf:5:14: error"))
        .unwrap_or_else(|| panic!("no file:line:col line:\n{log}"));
    assert!(line.contains("priority"), "{line}");
    assert!(
        log.contains("the running configuration stays in force"),
        "{log}"
    );
    std::thread::sleep(Duration::from_secs(2));
    assert!(d.running());
    assert!(lab.has(&a, "10.9.0.100"));
    assert!(mon.all().is_empty(), "{:?}", mon.all());
    assert_eq!(d.term(Duration::from_secs(10)), Some(0));
}

/// A file cut short (its VIPs and closing brace lost, as an editor's half-saved file would
/// be): keepalived-rs refuses it and keeps the VIP; keepalived 2.2.7 applies what it read (its
/// measured behaviour: the VIP is removed), printed for the record.
#[test]
fn netns_reload_of_a_truncated_file_keeps_the_vip() {
    for (who, _) in daemons() {
        let Some(lab) = lab_or_skip("netns_reload_of_a_truncated_file_keeps_the_vip", "rt", 1)
        else {
            return;
        };
        let a = lab.node(0).to_string();
        let conf = instance("VI_1", 51, "MASTER", 150, &["10.9.0.100/24"]);
        let d = lab.start_either(who, &a, &conf);
        assert!(wait_for(Duration::from_secs(10), || lab.has(&a, "10.9.0.100")).is_some());
        let cut = &conf[..conf.find("    authentication").unwrap()];
        let done = if who == "keepalived" {
            "Reload complete"
        } else {
            "reload refused"
        };
        reload(&lab, &d, who, cut, done);
        std::thread::sleep(Duration::from_secs(2));
        let kept = lab.has(&a, "10.9.0.100");
        println!(
            "MEASURE: {who}: reload of a truncated file: VIP {}",
            if kept { "kept" } else { "removed" }
        );
        if who == "keepalived-rs" {
            assert!(kept, "{}", d.log_text());
            assert!(
                d.log_text().contains(&format!("{who}.conf:1:")),
                "{}",
                d.log_text()
            );
        }
    }
}

/// VmRSS of a process, in KiB.
fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

#[test]
fn netns_a_hundred_reloads_in_a_row() {
    let Some(lab) = lab_or_skip("netns_a_hundred_reloads_in_a_row", "rh", 1) else {
        return;
    };
    let a = lab.node(0).to_string();
    let conf = instance("VI_1", 51, "MASTER", 150, &["10.9.0.100/24"]);
    let mut d = lab.start_ours(&a, "ours", &conf);
    assert!(wait_for(Duration::from_secs(10), || lab.has(&a, "10.9.0.100")).is_some());
    // A few reloads first: what a reload allocates once (a thread of the blocking pool)
    // is not growth.
    for _ in 0..5 {
        reload(&lab, &d, "ours", &conf, "Reload complete");
    }
    let pid = d.pid().unwrap();
    let before = rss_kib(pid);
    for _ in 0..100 {
        reload(&lab, &d, "ours", &conf, "Reload complete");
    }
    std::thread::sleep(Duration::from_secs(2));
    let after = rss_kib(pid);
    println!("MEASURE: 100 reloads: VmRSS {before} -> {after} KiB");
    assert!(d.running());
    assert!(lab.has(&a, "10.9.0.100"));
    assert!(
        after < before + 1024,
        "RSS grew by {} KiB over 100 reloads",
        after - before
    );
    assert_eq!(d.term(Duration::from_secs(10)), Some(0));
}

/// A vrrp_script whose settings a reload does not change keeps running with its state: a
/// failed script (weight 0: the instance in FAULT) stays failed through the reload, so the VIP
/// never comes back in between.
#[test]
fn netns_reload_keeps_an_unchanged_tracker_and_its_state() {
    let Some(lab) = lab_or_skip(
        "netns_reload_keeps_an_unchanged_tracker_and_its_state",
        "rs",
        1,
    ) else {
        return;
    };
    let a = lab.node(0).to_string();
    let flag = lab.dir.join("fail");
    let conf = format!(
        "vrrp_script chk {{\n    script \"/bin/sh -c '! test -e {}'\"\n    interval 1\n    fall 1\n    rise 1\n}}\n{}",
        flag.display(),
        instance("VI_1", 51, "MASTER", 150, &["10.9.0.100/24"])
            .replace("    advert_int 1\n", "    advert_int 1\n    track_script {\n        chk\n    }\n")
    );
    let d = lab.start_ours(&a, "ours", &conf);
    assert!(
        wait_for(Duration::from_secs(10), || lab.has(&a, "10.9.0.100")).is_some(),
        "{}",
        d.log_text()
    );
    std::fs::write(&flag, "").unwrap();
    assert!(
        wait_for(Duration::from_secs(10), || !lab.has(&a, "10.9.0.100")).is_some(),
        "the failed script did not take the VIP away:\n{}",
        d.log_text()
    );
    let mon = Monitor::start(&a);
    reload(&lab, &d, "ours", &conf, "Reload complete");
    std::thread::sleep(Duration::from_secs(3));
    assert!(
        mon.all().is_empty(),
        "the VIP came and went: {:?}",
        mon.all()
    );
    assert!(
        !d.log_text().contains("vrrp_script chk: restarted"),
        "{}",
        d.log_text()
    );
    // And the script goes on: its recovery brings the VIP back.
    std::fs::remove_file(&flag).unwrap();
    assert!(
        wait_for(Duration::from_secs(10), || lab.has(&a, "10.9.0.100")).is_some(),
        "{}",
        d.log_text()
    );
}

/// An instance a reload removes, as keepalived 2.2.7 notifies it (measured here with both
/// daemons on the same files): `notify` and the FIFO say FAULT, or DELETED under
/// `notify_deleted`, whose script (if it names one) runs; neither notify_stop nor notify_fault
/// runs; the kept instance says nothing; the mails of both daemons are the same, with and
/// without `no_email_faults` (which keeps the FAULT mail, not the DELETED ones).
#[test]
fn netns_reload_notifies_a_removed_instance_as_keepalived() {
    for no_email_faults in [false, true] {
        removed_instance_notifies(no_email_faults);
    }
}

fn removed_instance_notifies(no_email_faults: bool) {
    let mut seen = Vec::new();
    for (who, done) in daemons() {
        let Some(lab) = lab_or_skip(
            "netns_reload_notifies_a_removed_instance_as_keepalived",
            match (who == "keepalived", no_email_faults) {
                (true, false) => "dk",
                (false, false) => "do",
                (true, true) => "ek",
                (false, true) => "eo",
            },
            1,
        ) else {
            return;
        };
        let a = lab.node(0).to_string();
        let Some(sink) = common::notify::Sink::start(&lab, &a, &[]) else {
            return;
        };
        let calls = note_scripts(&lab, &["master", "fault", "stop", "deleted", "notify"]);
        let fifo = lab.dir.join("notify.fifo");
        let reader = common::notify::Reader::start(fifo.clone());
        let d = lab.dir.display();
        let vi = |name: &str, vrid: u8, priority: u8, extra: &str| {
            instance(name, vrid, "MASTER", priority, &[&format!("10.9.0.{vrid}/24")]).replace(
                "    virtual_ipaddress",
                &format!(
                    "    notify_master {d}/master\n    notify_fault {d}/fault\n    notify_stop {d}/stop\n    notify {d}/notify\n{extra}    virtual_ipaddress"
                ),
            )
        };
        let globals = format!(
            "global_defs {{\n    router_id lab-a\n    script_user root\n    notify_fifo {}\n    notification_email {{\n        ops@example.org\n    }}\n    notification_email_from kad@example.org\n    smtp_server 127.0.0.1 2525\n    smtp_alert\n{}}}\n",
            fifo.display(),
            if no_email_faults { "    no_email_faults\n" } else { "" }
        );
        let kept = vi("VI_1", 101, 150, "");
        let all = format!(
            "{globals}{kept}{}{}{}",
            vi("VI_2", 102, 140, ""),
            vi(
                "VI_3",
                103,
                130,
                &format!("    notify_deleted {d}/deleted\n")
            ),
            vi("VI_4", 104, 120, "    notify_deleted\n"),
        );
        let dm = lab.start_either(who, &a, &all);
        assert!(
            wait_for(Duration::from_secs(10), || (101..=104)
                .all(|v| lab.has(&a, &format!("10.9.0.{v}"))))
            .is_some(),
            "{who}: {}",
            dm.log_text()
        );
        // The MASTER mails and lines are in before the reload.
        std::thread::sleep(Duration::from_secs(2));
        let (n_calls, n_fifo, n_mails) = (
            std::fs::read_to_string(&calls)
                .unwrap_or_default()
                .lines()
                .count(),
            reader.lines().len(),
            sink.alerts().len(),
        );
        reload(&lab, &dm, who, &format!("{globals}{kept}"), done);
        assert!(
            wait_for(Duration::from_secs(5), || (102..=104)
                .all(|v| !lab.has(&a, &format!("10.9.0.{v}"))))
            .is_some(),
            "{who}: {}",
            dm.log_text()
        );
        // Mails go out off the loops (keepalived: from its child's queue): wait for them.
        let mails_expected = if no_email_faults { 2 } else { 3 };
        let _ = wait_for(Duration::from_secs(15), || {
            sink.alerts().len() >= n_mails + mails_expected
        });
        std::thread::sleep(Duration::from_secs(1));
        let mut after: Vec<String> = std::fs::read_to_string(&calls)
            .unwrap_or_default()
            .lines()
            .skip(n_calls)
            .map(str::to_string)
            .collect();
        // keepalived forks the scripts at once: their order is not kept.
        after.sort();
        let fifo_after = reader.lines()[n_fifo..].to_vec();
        let mails_after = sink.alerts()[n_mails..].to_vec();
        println!("MEASURE: {who}, no_email_faults {no_email_faults}: scripts {after:?}; FIFO {fifo_after:?}; mails {mails_after:?}");
        assert_eq!(
            after,
            [
                "deleted ",
                "notify INSTANCE VI_2 FAULT 140",
                "notify INSTANCE VI_3 DELETED 130",
                "notify INSTANCE VI_4 DELETED 120",
            ],
            "{who}: {}",
            dm.log_text()
        );
        assert_eq!(
            fifo_after,
            [
                "INSTANCE \"VI_2\" FAULT 140",
                "INSTANCE \"VI_3\" DELETED 130",
                "INSTANCE \"VI_4\" DELETED 120",
            ],
            "{who}"
        );
        assert!(
            lab.has(&a, "10.9.0.101"),
            "{who}: the kept instance keeps its VIP"
        );
        seen.push(mails_after);
    }
    if let [ours, theirs] = &seen[..] {
        assert_eq!(ours, theirs, "mails: keepalived-rs, then keepalived 2.2.7");
        assert_eq!(ours.len(), if no_email_faults { 2 } else { 3 }, "{ours:?}");
    }
}

/// A reload that gives an instance a new virtual_router_id: keepalived 2.2.7 takes it for
/// another instance, so the old one says FAULT (not STOP, no notify_stop) and the new one
/// MASTER (measured; also for a new interface or unicast mode). The same from both daemons
/// (priority 255: MASTER at once, no BACKUP first).
#[test]
fn netns_reload_of_a_new_vrid_replaces_the_instance_as_keepalived() {
    for (who, done) in daemons() {
        let Some(lab) = lab_or_skip(
            "netns_reload_of_a_new_vrid_replaces_the_instance_as_keepalived",
            if who == "keepalived" { "vk" } else { "vo" },
            1,
        ) else {
            return;
        };
        let a = lab.node(0).to_string();
        let calls = note_scripts(&lab, &["master", "stop", "notify"]);
        let d = lab.dir.display();
        let conf = |vrid: u8| {
            format!(
                "global_defs {{\n    script_user root\n}}\n{}",
                instance("VI_1", vrid, "MASTER", 255, &["10.9.0.100/24"]).replace(
                    "    virtual_ipaddress",
                    &format!(
                        "    notify_master {d}/master\n    notify_stop {d}/stop\n    notify {d}/notify\n    virtual_ipaddress"
                    ),
                )
            )
        };
        let dm = lab.start_either(who, &a, &conf(51));
        let read = || {
            std::fs::read_to_string(&calls)
                .unwrap_or_default()
                .lines()
                .map(str::to_string)
                .collect::<Vec<_>>()
        };
        assert!(
            wait_for(Duration::from_secs(10), || read().len() >= 2
                && read()
                    .iter()
                    .any(|l| l.starts_with("notify INSTANCE VI_1 MASTER")))
            .is_some(),
            "{who}: {}",
            dm.log_text()
        );
        let n = read().len();
        reload(&lab, &dm, who, &conf(61), done);
        let _ = wait_for(Duration::from_secs(10), || read().len() >= n + 3);
        std::thread::sleep(Duration::from_secs(1));
        let mut after = read()[n..].to_vec();
        after.sort();
        println!("MEASURE: {who}: a new VRID: {after:?}");
        assert_eq!(
            after,
            [
                "master ",
                "notify INSTANCE VI_1 FAULT 255",
                "notify INSTANCE VI_1 MASTER 255"
            ],
            "{who}: {}",
            dm.log_text()
        );
    }
}
