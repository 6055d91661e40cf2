//! vrrp_instance `dont_track_primary`: keepalived 2.2.7 ignores its interface's link. Its
//! MASTER stays MASTER with the VIP while eth0 is down (administratively or without carrier),
//! where without the option it enters FAULT and drops the VIP; its data dump says `VRRP
//! interface tracking disabled`. keepalived-rs and keepalived in turn on the same file, in
//! the same rig. Needs root for the namespace lab; skips loudly without it.

mod common;

use std::path::Path;
use std::time::Duration;

use common::{ip, lab_or_skip, wait_for, Conf, Daemon, Lab};

fn file(lab: &Lab, notify_out: &Path, dont_track: bool) -> String {
    let script = lab.write(
        "notify.sh",
        &format!("#!/bin/sh\necho \"$@\" >> {}\n", notify_out.display()),
    );
    let mut perms = std::fs::metadata(&script).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(&script, perms).unwrap();
    let conf = Conf {
        extra: format!(
            "{}    notify {}\n",
            if dont_track {
                "    dont_track_primary\n"
            } else {
                ""
            },
            script.display()
        ),
        ..Conf::v2("MASTER", 150)
    };
    format!(
        "global_defs {{\n    enable_script_security\n    script_user root\n}}\n{}",
        conf.text()
    )
}

fn start(lab: &Lab, who: &str, conf: &str) -> Daemon {
    let tmp = lab.dir.join(format!("{who}.tmp"));
    std::fs::create_dir_all(&tmp).unwrap();
    let env = [("TMPDIR", tmp.as_path())];
    if who == "keepalived" {
        lab.start_keepalived_env(lab.node(0), who, conf, &env)
    } else {
        lab.start_ours_env(lab.node(0), who, conf, &env)
    }
}

/// What one daemon did through an administrative down and up, then a loss of carrier and its
/// return: its notify lines, whether it held the VIP while down, and its data dump.
fn run(lab: &Lab, who: &str, dont_track: bool) -> (String, [bool; 2], String) {
    let ns = lab.node(0).to_string();
    let out = lab.dir.join(format!("{who}-{dont_track}.notify"));
    let _ = std::fs::remove_file(&out);
    let mut d = start(lab, who, &file(lab, &out, dont_track));
    assert!(
        wait_for(Duration::from_secs(10), || lab.has(&ns, "10.9.0.100")).is_some(),
        "{who}: no VIP\n{}",
        d.log_text()
    );
    let mut held = [false; 2];
    for (n, (link_ns, dev)) in [(ns.clone(), "eth0"), (lab.bridge_ns.clone(), "p1")]
        .iter()
        .enumerate()
    {
        ip(&["-n", link_ns, "link", "set", dev, "down"]).unwrap();
        std::thread::sleep(Duration::from_secs(3));
        held[n] = lab.has(&ns, "10.9.0.100");
        ip(&["-n", link_ns, "link", "set", dev, "up"]).unwrap();
        // Back up: MASTER again (at once, or after Master_Down_Interval from FAULT).
        assert!(
            wait_for(Duration::from_secs(10), || lab.has(&ns, "10.9.0.100")).is_some(),
            "{who}: no VIP after {dev} came back\n{}",
            d.log_text()
        );
    }
    let dump_path = lab.dir.join(format!("{who}.tmp")).join("keepalived.data");
    let _ = std::fs::remove_file(&dump_path);
    d.signal(nix::sys::signal::Signal::SIGUSR1);
    wait_for(Duration::from_secs(10), || dump_path.exists());
    std::thread::sleep(Duration::from_millis(200));
    let dump = std::fs::read_to_string(&dump_path).unwrap_or_default();
    assert!(d.running(), "{who}: {}", d.log_text());
    assert_eq!(
        d.term(Duration::from_secs(10)),
        Some(0),
        "{who}: {}",
        d.log_text()
    );
    wait_for(Duration::from_secs(5), || {
        std::fs::read_to_string(&out).is_ok_and(|t| t.contains("STOP"))
    });
    (
        std::fs::read_to_string(&out).unwrap_or_default(),
        held,
        dump,
    )
}

#[test]
fn netns_dont_track_primary_keeps_master_through_link_loss() {
    let Some(lab) = lab_or_skip(
        "netns_dont_track_primary_keeps_master_through_link_loss",
        "dt",
        1,
    ) else {
        return;
    };
    for who in common::daemons_to_compare() {
        let (notes, held, dump) = run(&lab, who, true);
        assert_eq!(
            notes, "INSTANCE VI_1 BACKUP 150\nINSTANCE VI_1 MASTER 150\nINSTANCE VI_1 STOP 150\n",
            "{who}"
        );
        assert_eq!(held, [true, true], "{who}: the VIP while the link was down");
        let lines: Vec<&str> = dump.lines().collect();
        let at = lines
            .iter()
            .position(|l| *l == "   VRRP interface tracking disabled")
            .unwrap_or_else(|| panic!("{who}: {dump}"));
        assert_eq!(lines[at - 1], "   Interface = eth0", "{who}: {dump}");

        // Without it: FAULT while the link is down, and no dump line.
        let (notes, held, dump) = run(&lab, who, false);
        assert!(
            notes.contains("INSTANCE VI_1 FAULT 150\n"),
            "{who}: {notes}"
        );
        assert_eq!(held, [false, false], "{who}");
        assert!(!dump.contains("tracking disabled"), "{who}: {dump}");
    }
}
