//! The daemon's log identity, checked against keepalived 2.2.7 run in the same lab: each daemon
//! logs to a real syslog socket the test binds (mounted on its /dev/log), and the idents of the
//! same events must be the same: `Keepalived` for the start and stop lines, `Keepalived_vrrp`
//! for the VRRP instance's, with `_NAMESPACE_INSTANCE` once the configuration names them, in
//! glibc's datagram layout. (The checker child's `Keepalived_healthcheckers` needs IPVS: it is
//! checked against the capture in daemon/tests/data/keepalived-2.2.7/ by the logging module's
//! unit tests, and in the VM by vm_flags.rs.) Needs root; skips loudly without it.

mod common;

use std::process::Command;
use std::time::Duration;

use common::syslog::{parse, Datagram, SyslogSocket};
use common::{lab_or_skip, ours_binary, wait_for, Conf, Daemon, Lab, KEEPALIVED};

const VIP: &str = "10.9.0.100";

/// Runs `bin ARGS` in namespace `ns` with its /dev/log on a socket of the test's; stops it once
/// it holds the VIP and returns what it sent.
fn run_logged(
    lab: &Lab,
    ns: &str,
    vip_ns: &str,
    name: &str,
    bin: &str,
    args: &[&str],
) -> Vec<Datagram> {
    let sock = SyslogSocket::bind(&lab.dir, name);
    let mut cmd = Command::new("ip");
    cmd.args(["netns", "exec", ns])
        .args(sock.wrap())
        .arg(bin)
        .args(args);
    let mut d = Daemon::spawn_for_test(&mut cmd, lab.dir.join(format!("{name}.log")));
    assert!(
        wait_for(Duration::from_secs(15), || lab.has(vip_ns, VIP)).is_some(),
        "{name} never took the VIP: {}",
        d.log_text()
    );
    let pid = d.pid().unwrap();
    assert_eq!(
        d.term(Duration::from_secs(10)),
        Some(0),
        "{name}: {}",
        d.log_text()
    );
    std::thread::sleep(Duration::from_millis(200));
    let got = sock.datagrams();
    assert!(
        !got.is_empty(),
        "{name} sent nothing to syslog: {}",
        d.log_text()
    );
    // keepalived's children have pids of their own; ours is one process.
    if bin != KEEPALIVED {
        assert!(got.iter().all(|g| g.pid == pid), "{name}: {got:?}");
    }
    got
}

/// The ident and priority of the first datagram whose message contains `text`.
fn ident_of(got: &[Datagram], text: &str, who: &str) -> (String, u8) {
    let g = got
        .iter()
        .find(|g| g.msg.contains(text))
        .unwrap_or_else(|| panic!("{who}: no '{text}' in {got:#?}"));
    (g.ident.clone(), g.pri)
}

/// The datagram's time, read as local time this year, is within a minute of now.
fn stamp_is_now(g: &Datagram) {
    let now = chrono::Local::now().naive_local();
    let year = chrono::Datelike::year(&now);
    let t =
        chrono::NaiveDateTime::parse_from_str(&format!("{year} {}", g.stamp), "%Y %b %e %H:%M:%S")
            .unwrap_or_else(|e| panic!("{g:?}: {e}"));
    assert!(
        (now - t).num_seconds().abs() < 60,
        "{g:?} is not now ({now})"
    );
}

#[test]
fn netns_syslog_idents_are_keepalived_s() {
    let Some(lab) = lab_or_skip("netns_syslog_idents_are_keepalived_s", "li", 1) else {
        return;
    };
    let a = lab.node(0).to_string();
    let conf = lab.write("li.conf", &Conf::v2("MASTER", 150).text());
    let conf = conf.to_str().unwrap();
    let ours = ours_binary();
    let mut seen = Vec::new();
    for (who, bin) in [
        ("keepalived", KEEPALIVED),
        ("keepalived-rs", ours.to_str().unwrap()),
    ] {
        let pid = lab.dir.join(format!("{who}.pid")).display().to_string();
        let vpid = lab
            .dir
            .join(format!("{who}-vrrp.pid"))
            .display()
            .to_string();
        let got = run_logged(
            &lab,
            &a,
            &a,
            who,
            bin,
            &["-n", "-D", "-P", "-f", conf, "-p", &pid, "-r", &vpid],
        );
        got.iter().for_each(stamp_is_now);
        let idents = [
            ident_of(&got, "Starting Keepalived v2.2.7", who),
            ident_of(&got, "(VI_1) Entering MASTER STATE", who),
            ident_of(&got, "Stopped Keepalived v2.2.7", who),
        ];
        seen.push(idents);
    }
    let want = [
        ("Keepalived".to_string(), 30),
        ("Keepalived_vrrp".to_string(), 30),
        ("Keepalived".to_string(), 30),
    ];
    assert_eq!(seen[0], want, "keepalived 2.2.7 as captured");
    assert_eq!(seen[1], seen[0], "keepalived-rs, the same events");
}

#[test]
fn netns_namespace_and_instance_suffix_the_idents() {
    let Some(lab) = lab_or_skip("netns_namespace_and_instance_suffix_the_idents", "lx", 2) else {
        return;
    };
    let (a, b) = (lab.node(0).to_string(), lab.node(1).to_string());
    let conf = lab.write(
        "lx.conf",
        &format!("instance inst1\n{}", Conf::v2("MASTER", 150).text()),
    );
    let conf = conf.to_str().unwrap();
    let ours = ours_binary();
    let mut seen = Vec::new();
    for (who, bin) in [
        ("keepalived", KEEPALIVED),
        ("keepalived-rs", ours.to_str().unwrap()),
    ] {
        let got = run_logged(&lab, &a, &b, who, bin, &["-n", "-P", "-s", &b, "-f", conf]);
        let change = got
            .iter()
            .find(|g| g.msg.starts_with("Changing syslog ident to "))
            .unwrap_or_else(|| panic!("{who}: {got:#?}"));
        seen.push([
            (change.ident.clone(), change.msg.clone()),
            (
                ident_of(&got, "(VI_1) Entering MASTER STATE", who).0,
                String::new(),
            ),
            (ident_of(&got, "Stopped Keepalived", who).0, String::new()),
        ]);
        // The instance's pid files are named after it, in the namespace's directory.
        let _ = std::fs::remove_dir_all(format!("/run/keepalived/{b}"));
    }
    let want = [
        (
            "Keepalived".to_string(),
            format!("Changing syslog ident to Keepalived_{b}_inst1"),
        ),
        (format!("Keepalived_vrrp_{b}_inst1"), String::new()),
        (format!("Keepalived_{b}_inst1"), String::new()),
    ];
    assert_eq!(seen[0], want, "keepalived 2.2.7");
    assert_eq!(seen[1], seen[0], "keepalived-rs");
}

#[test]
fn netns_own_ident_on_request() {
    let Some(lab) = lab_or_skip("netns_own_ident_on_request", "lo", 1) else {
        return;
    };
    let a = lab.node(0).to_string();
    let conf = lab.write("lo.conf", &Conf::v2("MASTER", 150).text());
    let pid = lab.dir.join("lo.pid").display().to_string();
    let vpid = lab.dir.join("lo-vrrp.pid").display().to_string();
    let ours = ours_binary();
    let got = run_logged(
        &lab,
        &a,
        &a,
        "ours",
        ours.to_str().unwrap(),
        &[
            "-n",
            "-P",
            "--syslog-ident=keepalived-rs",
            "-f",
            conf.to_str().unwrap(),
            "-p",
            &pid,
            "-r",
            &vpid,
        ],
    );
    assert!(got.iter().all(|g| g.ident == "keepalived-rs"), "{got:#?}");
    assert!(got.iter().any(|g| g.msg.contains("Entering MASTER STATE")));
}

#[test]
fn glibc_layout_is_parsed() {
    let d = parse("<158>Dec  6 04:54:40 Keepalived_vrrp_blue[19256]: (VI_1) Entering MASTER STATE")
        .unwrap();
    assert_eq!(
        (d.pri, d.ident.as_str(), d.pid, d.msg.as_str()),
        (
            158,
            "Keepalived_vrrp_blue",
            19256,
            "(VI_1) Entering MASTER STATE"
        )
    );
    assert_eq!(parse("<30>keepalived-rs[42]: hello"), None);
}
