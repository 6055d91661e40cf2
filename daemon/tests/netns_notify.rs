//! The notify FIFOs and the alert mails of the VRRP side, in the netns lab, each test run with
//! keepalived-rs and then with keepalived 2.2.7 in the same rig (node A the daemon under test,
//! node B keepalived as the peer that preempts it): the FIFO lines across a start, a
//! preemption, a takeover, a link down and up and a stop; the FIFO keepalived makes (mode,
//! owner, removed at stop) and its script; a reader that goes away; a reload with
//! fifo_write_vrrp_states_on_reload; the mails (subjects, bodies, headers, dialogue) against
//! postfix's smtp-sink in node A, which smtp_alert switches on and off; a mail server that is
//! down or never answers delays no transition.
//! Needs root; skips loudly without it (and without smtp-sink for the mail tests).

mod common;

use std::io::{BufRead, BufReader};
use std::os::unix::fs::MetadataExt;
use std::time::Duration;

use common::notify::{Reader, Sink};
use common::{lab_or_skip, wait_for, Daemon};

/// One instance's block (VRRPv2, 1 s adverts, PASS auth).
fn instance(name: &str, vrid: u8, state: &str, priority: u8, vip: &str) -> String {
    format!(
        "vrrp_instance {name} {{\n    state {state}\n    interface eth0\n    virtual_router_id {vrid}\n    priority {priority}\n    advert_int 1\n    authentication {{\n        auth_type PASS\n        auth_pass s3cret\n    }}\n    virtual_ipaddress {{\n        {vip}\n    }}\n}}\n"
    )
}

const DAEMONS: [&str; 2] = ["keepalived-rs", "keepalived"];

/// The umask of a running process (its /proc status).
fn umask_of(pid: u32) -> u32 {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    s.lines()
        .find_map(|l| l.strip_prefix("Umask:"))
        .and_then(|v| u32::from_str_radix(v.trim(), 8).ok())
        .unwrap_or(0o022)
}

fn lines(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// keepalived-rs's lines, phase by phase.
fn expected_ours() -> Vec<Vec<String>> {
    vec![
        // Start: both instances Backup, the group with its member, then Master after the
        // wait (VI_1, state MASTER: advert_int + Skew_Time; VI_3: Master_Down_Interval).
        lines(&[
            "INSTANCE \"VI_1\" BACKUP 150",
            "GROUP \"G1\" BACKUP 0",
            "INSTANCE \"VI_3\" BACKUP 100",
            "INSTANCE \"VI_1\" MASTER 150",
            "GROUP \"G1\" MASTER 0",
            "INSTANCE \"VI_3\" MASTER 100",
        ]),
        // B (priority 200) preempts VI_1.
        lines(&["INSTANCE \"VI_1\" BACKUP 150", "GROUP \"G1\" BACKUP 0"]),
        // B stops: VI_1 takes over.
        lines(&["INSTANCE \"VI_1\" MASTER 150", "GROUP \"G1\" MASTER 0"]),
        // A's link down.
        lines(&[
            "INSTANCE \"VI_1\" FAULT 150",
            "GROUP \"G1\" FAULT 0",
            "INSTANCE \"VI_3\" FAULT 100",
        ]),
        // And up again.
        lines(&[
            "INSTANCE \"VI_1\" BACKUP 150",
            "GROUP \"G1\" BACKUP 0",
            "INSTANCE \"VI_3\" BACKUP 100",
            "INSTANCE \"VI_1\" MASTER 150",
            "GROUP \"G1\" MASTER 0",
            "INSTANCE \"VI_3\" MASTER 100",
        ]),
        // Stop: every instance, then the group.
        lines(&[
            "INSTANCE \"VI_1\" STOP 150",
            "INSTANCE \"VI_3\" STOP 100",
            "GROUP \"G1\" STOP 0",
        ]),
    ]
}

/// keepalived 2.2.7's, measured: the same, but at start the group's BACKUP line comes before
/// its members' (it notifies the groups first); docs/compat.md.
fn expected_keepalived() -> Vec<Vec<String>> {
    let mut e = expected_ours();
    let g = e[0].remove(1);
    e[0].insert(0, g);
    e
}

/// The FIFO lines of one daemon through the phases, the FIFO's mode and owner, whether it was
/// removed at stop, and what its script read.
struct FifoRun {
    phases: Vec<Vec<String>>,
    /// The sync group's `notify` calls, their arguments.
    group_notify: Vec<String>,
    vrrp_fifo: Vec<String>,
    mode: u32,
    owner: (u32, u32),
    umask: u32,
    removed: bool,
    script_read: Vec<String>,
}

fn fifo_run(who: &str) -> Option<FifoRun> {
    let lab = lab_or_skip(
        "netns_fifo_lines_follow_a_failover",
        if who == "keepalived" { "fk" } else { "fo" },
        2,
    )?;
    let (a, b) = (lab.node(0).to_string(), lab.node(1).to_string());
    let nf = lab.dir.join("notify.fifo");
    let vf = lab.dir.join("vrrp.fifo");
    let script_out = lab.dir.join("script.out");
    let script = lab.write(
        "fifo-script.sh",
        &format!(
            "#!/bin/sh\necho \"args: $*\" > {out}.args\nwhile IFS= read -r line; do echo \"$line\" >> {out}; done < \"$1\"\n",
            out = script_out.display()
        ),
    );
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    // The group's `notify` script: its arguments, one line a call.
    let group_out = lab.dir.join("group.out");
    let group_script = lab.write(
        "group.sh",
        &format!("#!/bin/sh\necho \"$*\" >> {}\n", group_out.display()),
    );
    std::fs::set_permissions(
        &group_script,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let conf = format!(
        "global_defs {{\n    router_id lab-a\n    script_user root\n    notify_fifo {nf} nobody\n    notify_fifo_script {script}\n    vrrp_notify_fifo {vf}\n}}\nvrrp_sync_group G1 {{\n    group {{\n        VI_1\n    }}\n    notify {gs}\n}}\n{}{}",
        instance("VI_1", 51, "MASTER", 150, "10.9.0.100/24"),
        instance("VI_3", 53, "BACKUP", 100, "10.9.0.102/24"),
        nf = nf.display(),
        vf = vf.display(),
        script = script.display(),
        gs = group_script.display(),
    );
    let reader = Reader::start(vf.clone());
    let mut d = lab.start_either(who, &a, &conf);
    let limit = Duration::from_secs(15);
    let mut seen = 0;
    let mut phases = Vec::new();
    let expected = expected_ours();
    let mut phase = |n: usize, what: &str, d: &Daemon| {
        let got = reader.wait(seen + n, limit);
        assert!(
            got.len() >= seen + n,
            "{who}: {what}: lines so far {got:#?}\n{}",
            d.log_text()
        );
        phases.push(got[seen..seen + n].to_vec());
        seen += n;
    };
    phase(expected[0].len(), "start", &d);
    let md = std::fs::symlink_metadata(&nf).expect("notify_fifo made");
    let (mode, owner) = (md.mode() & 0o7777, (md.uid(), md.gid()));
    let umask = umask_of(d.pid().unwrap());
    let peer = lab.start_keepalived(
        &b,
        "peer",
        &instance("VI_1", 51, "BACKUP", 200, "10.9.0.100/24"),
    );
    phase(expected[1].len(), "preempted by B", &d);
    let mut peer = peer;
    peer.term(Duration::from_secs(5));
    phase(expected[2].len(), "B gone", &d);
    common::ip(&["-n", &a, "link", "set", "eth0", "down"]).unwrap();
    phase(expected[3].len(), "link down", &d);
    common::ip(&["-n", &a, "link", "set", "eth0", "up"]).unwrap();
    phase(expected[4].len(), "link up", &d);
    // keepalived takes a while to stop on a loaded machine (its children first); killed at the
    // limit, it would leave its FIFO behind and the test would say nothing true.
    let stopped = d.term(Duration::from_secs(40));
    assert!(stopped.is_some(), "{who} did not stop within 40 s");
    phase(expected[5].len(), "stop", &d);
    let removed = common::wait_for(Duration::from_secs(5), || !nf.exists()).is_some();
    let script_read: Vec<String> = std::fs::read_to_string(&script_out)
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect();
    let args =
        std::fs::read_to_string(format!("{}.args", script_out.display())).unwrap_or_default();
    assert_eq!(
        args.trim(),
        format!("args: {}", nf.display()),
        "{who}: the script's arguments"
    );
    let vrrp_fifo = reader.lines();
    std::thread::sleep(Duration::from_secs(1));
    let group_notify = std::fs::read_to_string(&group_out)
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect();
    Some(FifoRun {
        group_notify,
        phases,
        vrrp_fifo,
        mode,
        owner,
        umask,
        removed,
        script_read,
    })
}

#[test]
fn netns_fifo_lines_follow_a_failover_as_keepalived_writes_them() {
    let mut runs = Vec::new();
    for who in DAEMONS {
        let Some(r) = fifo_run(who) else { return };
        println!(
            "MEASURE: {who}: FIFO made with mode {:04o} (umask {:04o}), owner {}:{}, removed at stop: {}; the script read {} lines, the last {:?}",
            r.mode,
            r.umask,
            r.owner.0,
            r.owner.1,
            r.removed,
            r.script_read.len(),
            r.script_read.last()
        );
        for (i, p) in r.phases.iter().enumerate() {
            println!("MEASURE: {who}: phase {i}: {p:?}");
        }
        println!("MEASURE: {who}: the group's notify: {:?}", r.group_notify);
        runs.push((who, r));
    }
    let nobody = nix::unistd::User::from_name("nobody").unwrap().unwrap();
    for (who, r) in &runs {
        let expected = if *who == "keepalived" {
            expected_keepalived()
        } else {
            expected_ours()
        };
        assert_eq!(r.phases, expected, "{who}");
        assert_eq!(r.owner, (nobody.uid.as_raw(), nobody.gid.as_raw()), "{who}");
        // 0644 less the umask (keepalived runs with 0177: 0600).
        assert_eq!(r.mode, 0o644 & !r.umask, "{who}");
        assert!(
            r.removed,
            "{who}: a FIFO the daemon made is removed at stop"
        );
        assert_eq!(
            r.vrrp_fifo,
            r.phases.concat(),
            "{who}: vrrp_notify_fifo has the same lines"
        );
    }
    assert_eq!(
        runs[0].1.group_notify, runs[1].1.group_notify,
        "the group's notify arguments: keepalived-rs, then keepalived 2.2.7"
    );
    // Our script reads everything, the STOP lines too; keepalived sends its script SIGTERM
    // before it writes them (measured: a script that does not catch it misses them).
    let ours = &runs[0].1;
    assert_eq!(ours.script_read, ours.phases.concat());
}

/// A reader that reads one line and goes away, and a FIFO nobody reads at all: the daemon
/// goes on (the VIP moves on time), and a reader that comes back gets the lines since, in
/// order.
#[test]
fn netns_a_reader_that_goes_away_blocks_nothing() {
    let Some(lab) = lab_or_skip("netns_a_reader_that_goes_away_blocks_nothing", "fr", 2) else {
        return;
    };
    let (a, b) = (lab.node(0).to_string(), lab.node(1).to_string());
    let nf = lab.dir.join("notify.fifo");
    let conf = format!(
        "global_defs {{\n    notify_fifo {}\n}}\n{}",
        nf.display(),
        instance("VI_1", 51, "BACKUP", 100, "10.9.0.100/24")
    );
    let d = lab.start_ours(&a, "ours", &conf);
    assert!(wait_for(Duration::from_secs(5), || nf.exists()).is_some());
    // One line read, then the reader is gone.
    {
        let mut r = BufReader::new(std::fs::File::open(&nf).unwrap());
        let mut first = String::new();
        r.read_line(&mut first).unwrap();
        assert_eq!(first, "INSTANCE \"VI_1\" BACKUP 100\n");
    }
    assert!(
        wait_for(Duration::from_secs(8), || lab.has(&a, "10.9.0.100")).is_some(),
        "{}",
        d.log_text()
    );
    // B preempts, goes away, A takes over again: all with nobody reading.
    let mut peer = lab.start_keepalived(
        &b,
        "peer",
        &instance("VI_1", 51, "BACKUP", 200, "10.9.0.100/24"),
    );
    assert!(wait_for(Duration::from_secs(10), || !lab.has(&a, "10.9.0.100")).is_some());
    peer.term(Duration::from_secs(5));
    let took = wait_for(Duration::from_secs(10), || lab.has(&a, "10.9.0.100"))
        .expect("A took the VIP back with nobody reading its FIFO");
    println!("MEASURE: takeover with a FIFO nobody reads: {took:?}");
    let back = Reader::start(nf.clone());
    let got = back.wait(3, Duration::from_secs(5));
    assert_eq!(
        got,
        lines(&[
            "INSTANCE \"VI_1\" MASTER 100",
            "INSTANCE \"VI_1\" BACKUP 100",
            "INSTANCE \"VI_1\" MASTER 100"
        ])
    );
}

/// A reload with fifo_write_vrrp_states_on_reload: keepalived 2.2.7 writes the groups' states
/// and those of the instances that are not MASTER (measured); keepalived-rs writes every
/// group's and instance's. Without the option, nothing.
#[test]
fn netns_reload_writes_the_states_with_fifo_write_vrrp_states_on_reload() {
    for who in DAEMONS {
        let Some(lab) = lab_or_skip(
            "netns_reload_writes_the_states_with_fifo_write_vrrp_states_on_reload",
            if who == "keepalived" { "wk" } else { "wo" },
            2,
        ) else {
            return;
        };
        let (a, b) = (lab.node(0).to_string(), lab.node(1).to_string());
        let nf = lab.dir.join("notify.fifo");
        let conf = |write: bool| {
            format!(
                "global_defs {{\n    notify_fifo {}\n{}}}\nvrrp_sync_group G1 {{\n    group {{\n        VI_1\n    }}\n}}\n{}{}",
                nf.display(),
                if write { "    fifo_write_vrrp_states_on_reload\n" } else { "" },
                instance("VI_1", 51, "MASTER", 150, "10.9.0.100/24"),
                instance("VI_3", 53, "BACKUP", 100, "10.9.0.102/24"),
            )
        };
        // B holds VI_3, so A has a MASTER and a BACKUP.
        let _peer = lab.start_keepalived(
            &b,
            "peer",
            &instance("VI_3", 53, "BACKUP", 200, "10.9.0.102/24"),
        );
        std::thread::sleep(Duration::from_secs(4));
        let reader = Reader::start(nf.clone());
        let d = lab.start_either(who, &a, &conf(false));
        let before = reader.wait(5, Duration::from_secs(10));
        assert!(
            before.contains(&"GROUP \"G1\" MASTER 0".to_string()),
            "{who}: {before:?}\n{}",
            d.log_text()
        );
        let reload = |write: bool| {
            let n = d.log_text().matches("Reload complete").count();
            lab.write(&format!("{who}.conf"), &conf(write));
            d.signal(nix::sys::signal::Signal::SIGHUP);
            assert!(wait_for(Duration::from_secs(10), || d
                .log_text()
                .matches("Reload complete")
                .count()
                > n)
            .is_some());
            std::thread::sleep(Duration::from_secs(1));
        };
        let n = reader.lines().len();
        reload(false);
        let without = reader.lines()[n..].to_vec();
        reload(true);
        let with = reader.lines()[n + without.len()..].to_vec();
        println!("MEASURE: {who}: reload without the option wrote {without:?}; with it {with:?}");
        assert!(without.is_empty(), "{who}: {without:?}");
        let want = if who == "keepalived" {
            lines(&["GROUP \"G1\" MASTER 0", "INSTANCE \"VI_3\" BACKUP 100"])
        } else {
            lines(&[
                "GROUP \"G1\" MASTER 0",
                "INSTANCE \"VI_1\" MASTER 150",
                "INSTANCE \"VI_3\" BACKUP 100",
            ])
        };
        assert_eq!(with, want, "{who}");
    }
}

fn mail_globals(extra: &str) -> String {
    format!(
        "global_defs {{\n    router_id lab-a\n    notification_email {{\n        ops@example.org\n        noc@example.org\n    }}\n    notification_email_from kad@example.org\n    smtp_server 127.0.0.1 2525\n    smtp_connect_timeout 5\n    smtp_helo_name helo.example.org\n{extra}}}\n"
    )
}

fn alerts(v: &[(&str, &str)]) -> Vec<(String, String)> {
    v.iter()
        .map(|(s, b)| (s.to_string(), b.to_string()))
        .collect()
}

/// The mails of a start, a preemption and a stop, with smtp_alert on: the same subjects,
/// bodies, headers and dialogue from both daemons, but for the STOP mails, which keepalived
/// 2.2.7 starts to send and never finishes (it exits first; measured), and keepalived-rs sends.
#[test]
fn netns_mails_as_keepalived_sends_them() {
    let mut got = Vec::new();
    for who in DAEMONS {
        let Some(lab) = lab_or_skip(
            "netns_mails_as_keepalived_sends_them",
            if who == "keepalived" { "mk" } else { "mo" },
            2,
        ) else {
            return;
        };
        let (a, b) = (lab.node(0).to_string(), lab.node(1).to_string());
        let Some(sink) = Sink::start(&lab, &a, &[]) else {
            return;
        };
        let conf = format!(
            "{}vrrp_sync_group G1 {{\n    group {{\n        VI_1\n    }}\n}}\n{}",
            mail_globals("    smtp_alert\n"),
            instance("VI_1", 51, "MASTER", 150, "10.9.0.100/24"),
        );
        let mut d = lab.start_either(who, &a, &conf);
        assert!(
            wait_for(Duration::from_secs(15), || sink.mails().len() >= 4).is_some(),
            "{who}: {:?}\n{}",
            sink.alerts(),
            d.log_text()
        );
        let mut peer = lab.start_keepalived(
            &b,
            "peer",
            &instance("VI_1", 51, "BACKUP", 200, "10.9.0.100/24"),
        );
        assert!(
            wait_for(Duration::from_secs(15), || sink.mails().len() >= 6).is_some(),
            "{who}: {:?}",
            sink.alerts()
        );
        d.term(Duration::from_secs(15));
        peer.term(Duration::from_secs(5));
        std::thread::sleep(Duration::from_secs(1));
        let mails = sink.mails();
        for m in &mails {
            assert!(m.contains("X-Helo-Args: helo.example.org\n"), "{who}: {m}");
            assert!(m.contains("X-Mail-Args: <kad@example.org>\n"), "{who}: {m}");
            assert!(
                m.contains("X-Rcpt-Args: <ops@example.org>\nX-Rcpt-Args: <noc@example.org>\n"),
                "{who}: {m}"
            );
            assert!(
                m.contains("\nFrom: kad@example.org\nSubject: [lab-a] VRRP "),
                "{who}: {m}"
            );
            assert!(
                m.contains("\nX-Mailer: Keepalived\nTo: ops@example.org, noc@example.org\n\n"),
                "{who}: {m}"
            );
        }
        let a = sink.alerts();
        println!("MEASURE: {who}: {} mails: {a:#?}", a.len());
        got.push((who, a));
    }
    let start = alerts(&[
        (
            "[lab-a] VRRP Group G1 - Entering BACKUP state",
            "=> All VRRP group instances are now in BACKUP state <=",
        ),
        (
            "[lab-a] VRRP Instance VI_1 - Entering BACKUP state",
            "=> VRRP Instance is no longer owning VRRP VIPs <=",
        ),
        (
            "[lab-a] VRRP Instance VI_1 - Entering MASTER state",
            "=> VRRP Instance is now owning VRRP VIPs <=",
        ),
        (
            "[lab-a] VRRP Group G1 - Entering MASTER state",
            "=> All VRRP group instances are now in MASTER state <=",
        ),
        (
            "[lab-a] VRRP Instance VI_1 - Entering BACKUP state",
            "=> VRRP Instance is no longer owning VRRP VIPs <=",
        ),
        (
            "[lab-a] VRRP Group G1 - Entering BACKUP state",
            "=> All VRRP group instances are now in BACKUP state <=",
        ),
    ]);
    let stop = alerts(&[
        (
            "[lab-a] VRRP Instance VI_1 - Stopping",
            "=> VRRP Instance stopping <=",
        ),
        (
            "[lab-a] VRRP Group G1 - Stopping",
            "=> All VRRP group instances are now stopping <=",
        ),
    ]);
    // keepalived-rs: its start order (the instance's line before its group's), then STOP.
    let mut ours = start.clone();
    ours.swap(0, 1);
    ours.extend(stop);
    assert_eq!(got[0].1, ours, "keepalived-rs");
    // keepalived: the group first at start (and its two start mails go out at once, in
    // either order); nothing at stop.
    let mut k = got[1].1.clone();
    k[..2].sort();
    let mut want = start;
    want[..2].sort();
    assert_eq!(k, want, "keepalived 2.2.7");
}

/// Which settings switch the mails on: each daemon started as the address owner (MASTER at
/// once) with one variant; the number of mails its start sends. Both daemons must agree.
#[test]
fn netns_smtp_alert_defaults_as_keepalived_s() {
    // (what, global_defs lines, the instance's lines): where mail is on, the start sends one
    // mail (the owner goes straight to MASTER).
    let variants: [(&str, &str, &str); 6] = [
        ("mail configured, no smtp_alert", "", ""),
        ("global smtp_alert", "    smtp_alert\n", ""),
        ("smtp_alert_vrrp", "    smtp_alert_vrrp\n", ""),
        ("smtp_alert_checker only", "    smtp_alert_checker\n", ""),
        (
            "global smtp_alert, the instance's off",
            "    smtp_alert\n",
            "    smtp_alert off\n",
        ),
        ("the instance's smtp_alert alone", "", "    smtp_alert on\n"),
    ];
    let mut table = Vec::new();
    for (what, globals, inst) in variants {
        let mut counts = Vec::new();
        for who in DAEMONS {
            let Some(lab) = lab_or_skip(
                "netns_smtp_alert_defaults_as_keepalived_s",
                if who == "keepalived" { "dk" } else { "do" },
                1,
            ) else {
                return;
            };
            let a = lab.node(0).to_string();
            let Some(sink) = Sink::start(&lab, &a, &[]) else {
                return;
            };
            // Priority 255 (the address owner's): MASTER at once.
            let vi = instance("VI_1", 51, "MASTER", 255, "10.9.0.100/24")
                .replace("    advert_int 1\n", &format!("    advert_int 1\n{inst}"));
            let conf = format!("{}{vi}", mail_globals(globals));
            let d = lab.start_either(who, &a, &conf);
            assert!(
                wait_for(Duration::from_secs(8), || d
                    .log_text()
                    .contains("Entering MASTER"))
                .is_some(),
                "{who} {what}:\n{}",
                d.log_text()
            );
            std::thread::sleep(Duration::from_secs(2));
            counts.push(sink.mails().len());
        }
        println!(
            "MEASURE: {what}: keepalived-rs {} mail(s), keepalived {}",
            counts[0], counts[1]
        );
        table.push((what, counts));
    }
    for (what, c) in &table {
        assert_eq!(
            c[0], c[1],
            "{what}: keepalived-rs {} mails, keepalived {}",
            c[0], c[1]
        );
    }
    let sent: Vec<bool> = table.iter().map(|(_, c)| c[0] > 0).collect();
    assert_eq!(sent, [false, true, true, false, false, true]);
}

/// A mail server that never answers (smtp-sink with a greeting 60 s late, smtp_connect_timeout
/// 30) or is not there at all: the backup takes over the VIP as fast as without mail, and says
/// why the mails did not go. The master is keepalived killed with -9: its VRRP child, losing
/// its parent, resigns with a priority-0 advert, so the backup (priority 100) takes over after
/// Skew_Time, 0.61 s.
#[test]
fn netns_a_mail_server_down_or_silent_delays_no_takeover() {
    for (case, silent) in [("silent", true), ("down", false)] {
        let Some(lab) = lab_or_skip(
            "netns_a_mail_server_down_or_silent_delays_no_takeover",
            if silent { "ss" } else { "sd" },
            2,
        ) else {
            return;
        };
        let (a, b) = (lab.node(0).to_string(), lab.node(1).to_string());
        let _sink = if silent {
            match Sink::start(&lab, &b, &["-W", "CONNECT:60"]) {
                Some(s) => Some(s),
                None => return,
            }
        } else {
            None
        };
        let mut master = lab.start_keepalived(
            &a,
            "master",
            &instance("VI_1", 51, "MASTER", 200, "10.9.0.100/24"),
        );
        assert!(wait_for(Duration::from_secs(8), || lab.has(&a, "10.9.0.100")).is_some());
        let conf = format!(
            "{}{}",
            mail_globals("    smtp_alert\n")
                .replace("smtp_connect_timeout 5", "smtp_connect_timeout 30"),
            instance("VI_1", 51, "BACKUP", 100, "10.9.0.100/24"),
        );
        let backup = lab.start_ours(&b, "ours", &conf);
        std::thread::sleep(Duration::from_secs(5));
        master.kill9();
        let took = wait_for(Duration::from_secs(10), || lab.has(&b, "10.9.0.100"))
            .expect("the backup took over");
        println!("MEASURE: mail server {case}: takeover {took:?} after kill -9");
        // Skew_Time at priority 100: 0.61 s.
        assert!(
            took < Duration::from_millis(610 + 1500),
            "{case}: {took:?}\n{}",
            backup.log_text()
        );
        if !silent {
            assert!(
                wait_for(Duration::from_secs(5), || backup
                    .log_text()
                    .contains("SMTP alert not sent"))
                .is_some(),
                "{}",
                backup.log_text()
            );
        }
    }
}

/// A VRRPv2 advert for VRID 51 with PASS `s3cret` (the lab's) and a right checksum.
fn advert(priority: u8, vip: [u8; 4]) -> Vec<u8> {
    let mut p: Vec<u8> = [0x21, 51, priority, 1, 1, 1, 0, 0]
        .into_iter()
        .chain(vip)
        .chain(*b"s3cret\0\0")
        .collect();
    let mut sum: u32 = p
        .chunks(2)
        .map(|c| u32::from(u16::from_be_bytes([c[0], c[1]])))
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    let c = !(sum as u16);
    p[6..8].copy_from_slice(&c.to_be_bytes());
    p
}

/// notify_priority_changes and a lower priority heard as Master, as keepalived 2.2.7 writes
/// them (measured): `INSTANCE "VI_1" BACKUP_PRIORITY 157` as the track_file's weight first
/// counts (before the start's BACKUP), `MASTER_PRIORITY 170` when it changes while Master,
/// `MASTER_RX_LOWER_PRI 170` for an advert of priority 50 (and notify_master_rx_lower_pri run,
/// without arguments).
#[test]
fn netns_priority_changes_and_lower_priority_adverts_are_written() {
    let mut runs = Vec::new();
    for who in DAEMONS {
        let Some(lab) = lab_or_skip(
            "netns_priority_changes_and_lower_priority_adverts_are_written",
            if who == "keepalived" { "pk" } else { "po" },
            2,
        ) else {
            return;
        };
        let a = lab.node(0).to_string();
        let b = lab.node(1).to_string();
        let nf = lab.dir.join("notify.fifo");
        let track = lab.write("track", "7\n");
        let out = lab.dir.join("rx-lower.out");
        let script = lab.write(
            "rx-lower.sh",
            &format!("#!/bin/sh\necho \"args: [$*]\" >> {}\n", out.display()),
        );
        std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .unwrap();
        let conf = format!(
            "global_defs {{\n    notify_fifo {}\n}}\nvrrp_track_file tf {{\n    file {}\n}}\n{}",
            nf.display(),
            track.display(),
            instance("VI_1", 51, "MASTER", 150, "10.9.0.100/24").replace(
                "    advert_int 1\n",
                &format!(
                    "    advert_int 1\n    notify_priority_changes\n    notify_master_rx_lower_pri {}\n    track_file {{\n        tf weight 1\n    }}\n",
                    script.display()
                )
            ),
        );
        let reader = Reader::start(nf.clone());
        let mut d = lab.start_either(who, &a, &conf);
        let got = reader.wait(3, Duration::from_secs(10));
        assert!(got.len() >= 3, "{who}: {got:?}\n{}", d.log_text());
        lab.write("track", "20\n");
        let got = reader.wait(4, Duration::from_secs(5));
        assert!(got.len() >= 4, "{who}: {got:?}\n{}", d.log_text());
        let packet = advert(50, [10, 9, 0, 100]);
        common::in_netns(&b, move || {
            use socket2::{Domain, Protocol, Socket, Type};
            let s = Socket::new(Domain::IPV4, Type::RAW, Some(Protocol::from(112))).unwrap();
            s.set_multicast_ttl_v4(255).unwrap();
            s.set_multicast_if_v4(&"10.9.0.2".parse().unwrap()).unwrap();
            let to: std::net::SocketAddr = "224.0.0.18:0".parse().unwrap();
            s.send_to(&packet, &to.into()).unwrap();
        });
        let got = reader.wait(5, Duration::from_secs(5));
        assert!(got.len() >= 5, "{who}: {got:?}\n{}", d.log_text());
        d.term(Duration::from_secs(10));
        let got = reader.wait(6, Duration::from_secs(5));
        let ran = std::fs::read_to_string(&out).unwrap_or_default();
        println!("MEASURE: {who}: {got:?}; notify_master_rx_lower_pri: {ran:?}");
        runs.push((who, got, ran));
    }
    for (who, got, ran) in runs {
        assert_eq!(
            got,
            lines(&[
                "INSTANCE \"VI_1\" BACKUP_PRIORITY 157",
                "INSTANCE \"VI_1\" BACKUP 157",
                "INSTANCE \"VI_1\" MASTER 157",
                "INSTANCE \"VI_1\" MASTER_PRIORITY 170",
                "INSTANCE \"VI_1\" MASTER_RX_LOWER_PRI 170",
                "INSTANCE \"VI_1\" STOP 170",
            ]),
            "{who}"
        );
        assert_eq!(ran, "args: []\n", "{who}");
    }
}

/// Mail with nothing but `notification_email`, `smtp_server` and `smtp_alert`: the router id in
/// the subject, the HELO name and the sender are keepalived's defaults from the host's name
/// (`[HOST]`, `HELO HOST`, `USER@HOST`), the same from both daemons.
#[test]
fn netns_mail_defaults_are_keepalived_s() {
    let mut seen = Vec::new();
    for who in DAEMONS {
        let Some(lab) = lab_or_skip(
            "netns_mail_defaults_are_keepalived_s",
            if who == "keepalived" { "ek" } else { "eo" },
            1,
        ) else {
            return;
        };
        let a = lab.node(0).to_string();
        let Some(sink) = Sink::start(&lab, &a, &[]) else {
            return;
        };
        let conf = format!(
            "global_defs {{\n    notification_email {{\n        ops@example.org\n    }}\n    smtp_server 127.0.0.1 2525\n    smtp_alert\n}}\n{}",
            instance("VI_1", 51, "MASTER", 255, "10.9.0.100/24")
        );
        let d = lab.start_either(who, &a, &conf);
        assert!(
            wait_for(Duration::from_secs(10), || !sink.mails().is_empty()).is_some(),
            "{who}:\n{}",
            d.log_text()
        );
        let m = sink.mails().remove(0);
        let pick = |p: &str| {
            m.lines()
                .find_map(|l| l.strip_prefix(p))
                .unwrap_or("")
                .to_string()
        };
        let got = (
            pick("X-Helo-Args: "),
            pick("X-Mail-Args: "),
            pick("Subject: "),
        );
        println!(
            "MEASURE: {who}: HELO {:?}, MAIL FROM {:?}, Subject {:?}",
            got.0, got.1, got.2
        );
        seen.push(got);
    }
    assert_eq!(seen[0], seen[1]);
    assert!(!seen[0].0.is_empty() && seen[0].1.contains('@'), "{seen:?}");
}

/// Without virtual servers keepalived starts no checker process, so its `lvs_notify_fifo` is
/// not made and its script not started (measured), while the VRRP side's FIFO is; keepalived-rs
/// the same.
#[test]
fn netns_no_lvs_fifo_without_virtual_servers() {
    let Some(lab) = lab_or_skip("netns_no_lvs_fifo_without_virtual_servers", "nl", 1) else {
        return;
    };
    let script = lab.write(
        "fifo-script.sh",
        &format!(
            "#!/bin/sh\necho \"$1\" >> {}/ran\nexec cat \"$2\" > /dev/null\n",
            lab.dir.display()
        ),
    );
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755))
        .unwrap();
    let mut whos = vec!["ours"];
    if std::path::Path::new(common::KEEPALIVED).exists() {
        whos.insert(0, "keepalived");
    }
    for who in whos {
        let (vrrp, lvs) = (
            lab.dir.join(format!("{who}-vrrp.fifo")),
            lab.dir.join(format!("{who}-lvs.fifo")),
        );
        let conf = format!(
            "global_defs {{\n    vrrp_notify_fifo {}\n    vrrp_notify_fifo_script \"{} vrrp\"\n    \
             lvs_notify_fifo {}\n    lvs_notify_fifo_script \"{} lvs\"\n}}\n{}",
            vrrp.display(),
            script.display(),
            lvs.display(),
            script.display(),
            instance("VI_1", 51, "BACKUP", 100, "10.9.0.100/24")
        );
        let mut d = lab.start_either(who, lab.node(0), &conf);
        assert!(
            wait_for(Duration::from_secs(10), || vrrp.exists()).is_some(),
            "{who}: no VRRP FIFO: {}",
            d.log_text()
        );
        std::thread::sleep(Duration::from_secs(2));
        let ran = std::fs::read_to_string(lab.dir.join("ran")).unwrap_or_default();
        assert!(!lvs.exists(), "{who}: made the LVS FIFO");
        d.term(Duration::from_secs(10));
        assert_eq!(ran, "vrrp\n", "{who}: FIFO scripts started");
        let _ = std::fs::remove_file(lab.dir.join("ran"));
    }
}
