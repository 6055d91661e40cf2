//! The daemon as a process in the netns lab: notify scripts in transition order with
//! keepalived's arguments, detaching without -n (pid files, SIGTERM through them), SIGHUP does
//! not kill it, unicast peers, and preempt_delay. Needs root; skips loudly without it.

mod common;

use std::time::Duration;

use common::{lab_or_skip, wait_for, Conf};

const VIP: &str = "10.9.0.100";

#[test]
fn netns_notify_scripts_run_in_transition_order() {
    let Some(lab) = lab_or_skip("netns_notify_scripts_run_in_transition_order", "ns", 1) else {
        return;
    };
    let a = lab.node(0).to_string();
    let log = lab.dir.join("notify.log");
    // notify_master is slow: were scripts run concurrently, the generic notify's MASTER line
    // (and the STOP lines) would overtake it.
    let slow = lab.write(
        "slow.sh",
        &format!(
            "#!/bin/sh\nsleep 0.5\necho master-script >> {}\n",
            log.display()
        ),
    );
    let generic = lab.write(
        "generic.sh",
        &format!("#!/bin/sh\necho \"$@\" >> {}\n", log.display()),
    );
    for f in [&slow, &generic] {
        std::process::Command::new("chmod")
            .arg("+x")
            .arg(f)
            .status()
            .unwrap();
    }
    let mut c = Conf::v2("MASTER", 150);
    c.extra = format!(
        "    notify_master {}\n    notify {}\n",
        slow.display(),
        generic.display()
    );
    let mut d = lab.start_ours(&a, "a", &c.text());
    assert!(
        wait_for(Duration::from_secs(6), || lab.has(&a, VIP)).is_some(),
        "{}",
        d.log_text()
    );
    assert_eq!(d.term(Duration::from_secs(10)), Some(0), "{}", d.log_text());
    let got = std::fs::read_to_string(&log).unwrap_or_default();
    assert_eq!(
        got,
        "INSTANCE VI_1 BACKUP 150\nmaster-script\nINSTANCE VI_1 MASTER 150\nINSTANCE VI_1 STOP 150\n",
        "notify order"
    );
}

/// SIGKILLs the process its pid file names, if the file is still there when dropped.
struct KillByPidFile(std::path::PathBuf);

impl Drop for KillByPidFile {
    fn drop(&mut self) {
        let pid = std::fs::read_to_string(&self.0).ok();
        if let Some(n) = pid.and_then(|t| t.trim().parse::<i32>().ok()) {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(n),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
    }
}

#[test]
fn netns_without_n_detaches_writes_pid_files_and_stops_on_sigterm() {
    let Some(lab) = lab_or_skip(
        "netns_without_n_detaches_writes_pid_files_and_stops_on_sigterm",
        "dt",
        1,
    ) else {
        return;
    };
    let a = lab.node(0).to_string();
    let conf = lab.write("a.conf", &Conf::v2("MASTER", 150).text());
    let pid = lab.dir.join("main.pid");
    let vpid = lab.dir.join("vrrp.pid");
    // Started through a link named as keepalived's binary, as an operator may swap it in: the
    // daemon executes itself again as it starts (daemon/src/allocator.rs), and must keep that
    // name (`ps -C keepalived`, `pgrep -x keepalived`).
    let link = lab.dir.join("keepalived");
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_keepalived-rs"), &link).unwrap();
    let st = std::process::Command::new("ip")
        .args(["netns", "exec", &a])
        .arg(&link)
        .arg("-f")
        .arg(&conf)
        .arg("-p")
        .arg(&pid)
        .arg("-r")
        .arg(&vpid)
        .status()
        .unwrap();
    // The detached daemon is not our child: if an assertion below fails before the SIGTERM,
    // this stops it (while its pid file names it), so it does not outlive the test.
    let _stop = KillByPidFile(pid.clone());
    assert!(st.success(), "the foreground part exits 0");
    assert!(
        wait_for(Duration::from_secs(6), || lab.has(&a, VIP)).is_some(),
        "detached daemon never became master"
    );
    let text = std::fs::read_to_string(&pid).unwrap();
    assert_eq!(
        text,
        std::fs::read_to_string(&vpid).unwrap(),
        "one process: both pid files name it"
    );
    let n: i32 = text.trim().parse().unwrap();
    let p = nix::unistd::Pid::from_raw(n);
    assert_eq!(
        std::fs::read_to_string(format!("/proc/{n}/comm")).unwrap(),
        "keepalived\n",
        "the process is named as it was started"
    );
    // A session of its own, away from ours.
    assert_eq!(nix::unistd::getsid(Some(p)).unwrap(), p);
    // SIGHUP (keepalived's reload) must not kill it.
    nix::sys::signal::kill(p, nix::sys::signal::Signal::SIGHUP).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        nix::sys::signal::kill(p, None).is_ok(),
        "SIGHUP killed the daemon"
    );
    nix::sys::signal::kill(p, nix::sys::signal::Signal::SIGTERM).unwrap();
    assert!(
        wait_for(Duration::from_secs(5), || !pid.exists() && !vpid.exists()).is_some(),
        "pid files not removed on stop"
    );
    assert!(!lab.has(&a, VIP), "VIP left behind");
    // Reaped by init, not by us: wait until it is gone.
    assert!(
        wait_for(Duration::from_secs(5), || nix::sys::signal::kill(p, None)
            .is_err())
        .is_some()
    );
}

#[test]
fn netns_unicast_peers_failover() {
    let Some(lab) = lab_or_skip("netns_unicast_peers_failover", "u", 2) else {
        return;
    };
    let (a, b) = (lab.node(0).to_string(), lab.node(1).to_string());
    let mk = |state, prio, me: &str, peer: &str| {
        let mut c = Conf::v2(state, prio);
        c.extra = format!("    unicast_src_ip {me}\n    unicast_peer {{\n        {peer}\n    }}\n");
        c.text()
    };
    let mut ma = lab.start_ours(&a, "a", &mk("MASTER", 150, "10.9.0.1", "10.9.0.2"));
    let mb = lab.start_ours(&b, "b", &mk("BACKUP", 100, "10.9.0.2", "10.9.0.1"));
    assert!(
        wait_for(Duration::from_secs(6), || lab.has(&a, VIP)).is_some(),
        "{}",
        ma.log_text()
    );
    std::thread::sleep(Duration::from_secs(3));
    assert!(
        !lab.has(&b, VIP),
        "backup does not hear unicast adverts:\n{}",
        mb.log_text()
    );
    ma.kill9();
    assert!(
        wait_for(Duration::from_secs(6), || lab.has(&b, VIP)).is_some(),
        "{}",
        mb.log_text()
    );
}

#[test]
fn netns_preempt_delay_postpones_preemption() {
    let Some(lab) = lab_or_skip("netns_preempt_delay_postpones_preemption", "pd", 2) else {
        return;
    };
    let (a, b) = (lab.node(0).to_string(), lab.node(1).to_string());
    let mb = lab.start_ours(&b, "b", &Conf::v2("MASTER", 100).text());
    assert!(
        wait_for(Duration::from_secs(6), || lab.has(&b, VIP)).is_some(),
        "{}",
        mb.log_text()
    );
    let mut high = Conf::v2("BACKUP", 150);
    high.extra = "    preempt_delay 2\n".into();
    let ma = lab.start_ours(&a, "a", &high.text());
    let took = wait_for(Duration::from_secs(12), || {
        lab.has(&a, VIP) && !lab.has(&b, VIP)
    })
    .expect("no preemption at all");
    // Master_Down_Interval (3 + 106/256 s) plus the 2 s delay; without the delay it would be
    // about 3.4 s.
    assert!(
        took.as_secs_f64() > 4.9,
        "preempted after {took:?}, before Master_Down_Interval + preempt_delay"
    );
    drop(ma);
}

#[test]
fn netns_dont_release_vrrp_keeps_the_vip_on_stop() {
    let Some(lab) = lab_or_skip("netns_dont_release_vrrp_keeps_the_vip_on_stop", "v", 1) else {
        return;
    };
    let a = lab.node(0).to_string();
    let conf = lab.write("a.conf", &Conf::v2("MASTER", 150).text());
    let mut d = common::Daemon::spawn_for_test(
        std::process::Command::new("ip")
            .args([
                "netns",
                "exec",
                &a,
                env!("CARGO_BIN_EXE_keepalived-rs"),
                "-n",
                "-l",
                "-V",
                "-f",
            ])
            .arg(&conf)
            .arg("-p")
            .arg(lab.dir.join("a.pid"))
            .arg("-r")
            .arg(lab.dir.join("a-vrrp.pid")),
        lab.dir.join("a.log"),
    );
    assert!(
        wait_for(Duration::from_secs(6), || lab.has(&a, VIP)).is_some(),
        "{}",
        d.log_text()
    );
    assert_eq!(d.term(Duration::from_secs(10)), Some(0));
    assert!(lab.has(&a, VIP), "-V must leave the VIP in place");
}

fn group_conf(state: &str, prio: u8, track: bool, notify: &str) -> String {
    let track = if track {
        "    track_interface {\n        trk0\n    }\n"
    } else {
        ""
    };
    let inst = |name: &str, vrid: u8, vip: &str, track: &str| {
        format!(
            "vrrp_instance {name} {{\n    state {state}\n    interface eth0\n    virtual_router_id {vrid}\n    priority {prio}\n    advert_int 1\n{track}    virtual_ipaddress {{\n        {vip}/24\n    }}\n}}\n"
        )
    };
    format!(
        "vrrp_sync_group G {{\n    group {{\n        VI_1\n        VI_2\n    }}\n{notify}}}\n{}{}",
        inst("VI_1", 51, "10.9.0.100", ""),
        inst("VI_2", 52, "10.9.0.110", track)
    )
}

/// A sync group moves together: a tracked interface failing in one member (Fault) makes the
/// other member step down too, and the peer takes both addresses; when it comes back, both
/// return.
#[test]
fn netns_sync_group_moves_together_on_track_interface() {
    let Some(lab) = lab_or_skip(
        "netns_sync_group_moves_together_on_track_interface",
        "sg",
        2,
    ) else {
        return;
    };
    let (a, b) = (lab.node(0).to_string(), lab.node(1).to_string());
    // A veth pair inside the router's namespace stands for an uplink to track.
    common::ip(&[
        "-n", &a, "link", "add", "trk0", "type", "veth", "peer", "name", "trk1",
    ])
    .unwrap();
    common::ip(&["-n", &a, "link", "set", "trk1", "up"]).unwrap();
    common::ip(&["-n", &a, "link", "set", "trk0", "up"]).unwrap();
    let log = lab.dir.join("group-notify.log");
    let script = lab.write(
        "group.sh",
        &format!("#!/bin/sh\necho \"$@\" >> {}\n", log.display()),
    );
    std::process::Command::new("chmod")
        .arg("+x")
        .arg(&script)
        .status()
        .unwrap();
    let notify = format!("    notify {}\n", script.display());
    let ma = lab.start_ours(&a, "a", &group_conf("MASTER", 150, true, &notify));
    let mb = lab.start_ours(&b, "b", &group_conf("BACKUP", 100, false, ""));
    let both = |ns: &str| lab.has(ns, "10.9.0.100") && lab.has(ns, "10.9.0.110");
    assert!(
        wait_for(Duration::from_secs(6), || both(&a)).is_some(),
        "{}",
        ma.log_text()
    );

    common::ip(&["-n", &a, "link", "set", "trk0", "down"]).unwrap();
    assert!(
        wait_for(Duration::from_secs(6), || both(&b)
            && !lab.has(&a, "10.9.0.100")
            && !lab.has(&a, "10.9.0.110"))
        .is_some(),
        "the group did not move to the peer:\n{}\n---\n{}",
        ma.log_text(),
        mb.log_text()
    );
    assert!(
        ma.log_text().contains("(VI_2) Entering FAULT STATE"),
        "{}",
        ma.log_text()
    );

    common::ip(&["-n", &a, "link", "set", "trk0", "up"]).unwrap();
    assert!(
        wait_for(Duration::from_secs(8), || both(&a)
            && !lab.has(&b, "10.9.0.100")
            && !lab.has(&b, "10.9.0.110"))
        .is_some(),
        "the group did not come back:\n{}\n---\n{}",
        ma.log_text(),
        mb.log_text()
    );
    // The group's own notify, with keepalived's GROUP arguments (priority 0, measured with
    // 2.2.7), once per group state.
    let want =
        "GROUP G BACKUP 0\nGROUP G MASTER 0\nGROUP G FAULT 0\nGROUP G BACKUP 0\nGROUP G MASTER 0\n";
    let got = || std::fs::read_to_string(&log).unwrap_or_default();
    assert!(
        wait_for(Duration::from_secs(3), || got() == want).is_some(),
        "group notify:\n{}",
        got()
    );
}

/// An advert with the wrong password is dropped, said in the log, and counted per reason (the
/// counts are logged on stop); the backup then does not hear a master and takes over.
#[test]
fn netns_wrong_password_is_dropped_and_counted() {
    let Some(lab) = lab_or_skip("netns_wrong_password_is_dropped_and_counted", "pw", 2) else {
        return;
    };
    let (a, b) = (lab.node(0).to_string(), lab.node(1).to_string());
    let ma = lab.start_ours(&a, "a", &Conf::v2("MASTER", 150).text());
    let mut other = Conf::v2("BACKUP", 100);
    other.pass = Some("other");
    let mut mb = lab.start_ours(&b, "b", &other.text());
    assert!(
        wait_for(Duration::from_secs(8), || lab.has(&b, VIP)).is_some(),
        "{}",
        mb.log_text()
    );
    assert!(
        mb.log_text().contains("authentication password mismatch"),
        "{}",
        mb.log_text()
    );
    assert_eq!(mb.term(Duration::from_secs(5)), Some(0));
    assert!(
        mb.log_text().contains("dropped packets: auth_mismatch="),
        "{}",
        mb.log_text()
    );
    drop(ma);
}

/// track_script with a weight: the master's script failing lowers its priority below the
/// backup's, which takes over; the script succeeding again gives the master its place back.
#[test]
fn netns_track_script_weight_moves_the_vip() {
    let Some(lab) = lab_or_skip("netns_track_script_weight_moves_the_vip", "ts", 2) else {
        return;
    };
    let flag = lab.write("healthy", "");
    let mut c = Conf::v2("MASTER", 150);
    c.extra = "    track_script {\n        chk\n    }\n".into();
    let text = format!(
        "vrrp_script chk {{\n    script \"/bin/sh -c 'test -e {}'\"\n    interval 1\n    weight -60\n}}\n{}",
        flag.display(),
        c.text()
    );
    tracked_object_moves_the_vip_and_back(
        &lab,
        &text,
        || std::fs::remove_file(&flag).unwrap(),
        || std::fs::write(&flag, "").unwrap(),
    );
}

/// track_file: the value in the file times the weight adjusts the master's priority; a value
/// that brings it below the backup's moves the VIP, and back.
#[test]
fn netns_track_file_value_moves_the_vip() {
    let Some(lab) = lab_or_skip("netns_track_file_value_moves_the_vip", "tf", 2) else {
        return;
    };
    let path = lab.dir.join("prio-adjust");
    let mut c = Conf::v2("MASTER", 150);
    c.extra = "    track_file {\n        adj\n    }\n".into();
    let text = format!(
        "track_file adj {{\n    file {}\n    weight 1\n    init_file 0 overwrite\n}}\n{}",
        path.display(),
        c.text()
    );
    tracked_object_moves_the_vip_and_back(
        &lab,
        &text,
        || {
            assert_eq!(
                std::fs::read_to_string(&path).unwrap().trim(),
                "0",
                "init_file"
            );
            std::fs::write(&path, "-60\n").unwrap();
        },
        || std::fs::write(&path, "0\n").unwrap(),
    );
}

/// virtual_routes follow the addresses: installed by the master, removed when it stops, and
/// installed by the backup that takes over.
#[test]
fn netns_virtual_routes_follow_the_master() {
    let Some(lab) = lab_or_skip("netns_virtual_routes_follow_the_master", "vr", 2) else {
        return;
    };
    let (a, b) = (lab.node(0).to_string(), lab.node(1).to_string());
    let with_routes = |state, prio| {
        let mut c = Conf::v2(state, prio);
        c.extra = "    virtual_routes {\n        192.0.2.0/24 via 10.9.0.254 dev eth0 metric 7\n        blackhole 198.51.100.0/24\n    }\n".into();
        c.text()
    };
    let routes = |ns: &str| common::ip(&["-n", ns, "route", "show"]).unwrap_or_default();
    let has_both = |ns: &str| {
        let r = routes(ns);
        r.contains("192.0.2.0/24 via 10.9.0.254 dev eth0")
            && r.contains("metric 7")
            && r.contains("blackhole 198.51.100.0/24")
    };
    let mut ma = lab.start_ours(&a, "a", &with_routes("MASTER", 150));
    let mb = lab.start_ours(&b, "b", &with_routes("BACKUP", 100));
    assert!(
        wait_for(Duration::from_secs(6), || has_both(&a)).is_some(),
        "{}\n{}",
        routes(&a),
        ma.log_text()
    );
    assert!(
        !routes(&b).contains("192.0.2.0/24"),
        "the backup installed the route"
    );
    assert_eq!(ma.term(Duration::from_secs(5)), Some(0));
    assert!(
        !routes(&a).contains("192.0.2.0/24") && !routes(&a).contains("198.51.100.0/24"),
        "{}",
        routes(&a)
    );
    assert!(
        wait_for(Duration::from_secs(6), || has_both(&b)).is_some(),
        "{}\n{}",
        routes(&b),
        mb.log_text()
    );
}

/// vrrp_garp_interval spaces the messages of a GARP burst, as keepalived 2.2.7 does (measured):
/// one message per interval on the interface, the burst's repeats of the VIP collapsed into
/// one: `vrrp_garp_master_repeat 3` at 0.1 s is two GARPs, 0.1 s apart.
#[test]
fn netns_garp_interval_spaces_the_burst() {
    let Some(mut lab) = lab_or_skip("netns_garp_interval_spaces_the_burst", "gi", 1) else {
        return;
    };
    let a = lab.node(0).to_string();
    let text = Conf::v2("MASTER", 150).text().replacen(
        "global_defs {\n",
        "global_defs {\n    vrrp_garp_interval 0.1\n    vrrp_garp_master_repeat 3\n    vrrp_garp_master_delay 0\n",
        1,
    );
    let d = lab.start_ours(&a, "a", &text);
    assert!(
        wait_for(Duration::from_secs(6), || lab.has(&a, VIP)).is_some(),
        "{}",
        d.log_text()
    );
    let vip: std::net::Ipv4Addr = VIP.parse().unwrap();
    // Two, then a second more to see that no third follows.
    let _ = wait_for(Duration::from_secs(3), || {
        common::read_pcap(&lab.pcap)
            .iter()
            .filter(|f| f.is_garp_for(vip))
            .count()
            >= 2
    });
    let frames = lab.capture();
    let times: Vec<f64> = frames
        .iter()
        .filter(|f| f.is_garp_for(vip))
        .map(|f| f.time)
        .collect();
    assert_eq!(times.len(), 2, "one burst of 3, collapsed: {times:?}");
    assert!(
        times[1] - times[0] >= 0.09,
        "GARPs {:.3} s apart, vrrp_garp_interval is 0.1 s",
        times[1] - times[0]
    );
}

/// A VIP's `ip addr` options reach the kernel: prefix, brd, scope, label, noprefixroute.
#[test]
fn netns_vip_options_reach_the_kernel() {
    let Some(lab) = lab_or_skip("netns_vip_options_reach_the_kernel", "vo", 1) else {
        return;
    };
    let a = lab.node(0).to_string();
    let mut c = Conf::v2("MASTER", 150);
    // Another subnet than eth0's own: the kernel refuses a secondary address whose scope
    // differs from its subnet's primary (EINVAL, for keepalived too).
    c.vips = vec!["192.0.2.100/24 brd + dev eth0 scope link label eth0:vip noprefixroute"];
    let d = lab.start_ours(&a, "a", &c.text());
    assert!(
        wait_for(Duration::from_secs(6), || lab.has(&a, "192.0.2.100")).is_some(),
        "{}",
        d.log_text()
    );
    let out = common::ip(&["-n", &a, "addr", "show", "dev", "eth0"]).unwrap();
    let line = out
        .lines()
        .find(|l| l.contains("192.0.2.100"))
        .unwrap_or_default();
    for want in [
        "192.0.2.100/24",
        "brd 192.0.2.255",
        "scope link",
        "noprefixroute",
        "eth0:vip",
    ] {
        assert!(line.contains(want), "{want} missing: {line}");
    }
}

/// vrrp_track_process: two `sleep` processes with a parameter unique to this test make the
/// quorum of 2; one of them killed lowers the master's priority below the backup's (the VIP
/// moves), a new one brings it back.
#[test]
fn netns_track_process_quorum_moves_the_vip() {
    let Some(lab) = lab_or_skip("netns_track_process_quorum_moves_the_vip", "tp", 2) else {
        return;
    };
    let arg = format!("86400.{}", std::process::id());
    let spawn = || {
        std::process::Command::new("/bin/sleep")
            .arg(&arg)
            .spawn()
            .expect("sleep")
    };
    struct Kill(std::process::Child);
    impl Drop for Kill {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let mut p1 = Kill(spawn());
    let _p2 = Kill(spawn());
    let mut c = Conf::v2("MASTER", 150);
    c.extra = "    track_process {\n        svc\n    }\n".into();
    let text = format!(
        "vrrp_track_process svc {{\n    process /bin/sleep {arg}\n    quorum 2\n    weight -60\n}}\n{}",
        c.text()
    );
    tracked_object_moves_the_vip_and_back(
        &lab,
        &text,
        || {
            let _ = p1.0.kill();
            let _ = p1.0.wait();
        },
        || Kill(spawn()),
    );
}

/// The story the track_* tests share: a master at priority 150 (`master_conf`, tracking an object
/// with weight -60) and a backup at 100. `fail` makes the object fail: the master drops to 90 and
/// the backup takes the VIP. `recover` brings the object back (what it returns is kept until the
/// end, e.g. a process that must stay alive): the master takes the VIP back.
fn tracked_object_moves_the_vip_and_back<R>(
    lab: &common::Lab,
    master_conf: &str,
    fail: impl FnOnce(),
    recover: impl FnOnce() -> R,
) {
    let (a, b) = (lab.node(0).to_string(), lab.node(1).to_string());
    let ma = lab.start_ours(&a, "a", master_conf);
    let mb = lab.start_ours(&b, "b", &Conf::v2("BACKUP", 100).text());
    assert!(
        wait_for(Duration::from_secs(6), || lab.has(&a, VIP)).is_some(),
        "{}",
        ma.log_text()
    );
    fail();
    assert!(
        wait_for(Duration::from_secs(8), || lab.has(&b, VIP)
            && !lab.has(&a, VIP))
        .is_some(),
        "the backup did not take over from a master whose tracked object failed:\n{}\n---\n{}",
        ma.log_text(),
        mb.log_text()
    );
    assert!(
        ma.log_text().contains("tracking: priority 90"),
        "{}",
        ma.log_text()
    );
    let _keep = recover();
    assert!(
        wait_for(Duration::from_secs(8), || lab.has(&a, VIP)
            && !lab.has(&b, VIP))
        .is_some(),
        "the master did not come back:\n{}",
        ma.log_text()
    );
}
