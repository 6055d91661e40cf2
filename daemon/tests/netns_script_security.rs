//! `enable_script_security` at run time, in the netns lab, keepalived-rs and then keepalived
//! 2.2.7 on the same file: scripts that run as root from a file or directory other users can
//! write are not run (keepalived: `Unsafe permissions found for script 'PATH' - disabling.`),
//! at start and after a reload that finds a script made writable; nor is a script its user
//! cannot execute (keepalived: `WARNING - script 'PATH' is not executable for uid:gid 0:0 -
//! disabling.`, and the instance runs as if it did not track it); the others run. Each script
//! leaves a marker file; both daemons must leave the same ones. MISC_CHECK and the LVS side's
//! scripts need IPVS (the test VM); conf_parser::host's unit tests cover them. Needs root;
//! skips loudly without it.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;

use common::{lab_or_skip, wait_for, Conf};

const DAEMONS: [&str; 2] = ["keepalived-rs", "keepalived"];

fn chmod(p: &Path, mode: u32) {
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

/// The markers left in `dir` by `who`'s scripts, sorted.
fn markers(dir: &Path, who: &str) -> Vec<String> {
    let prefix = format!("ran.{who}.");
    let mut m: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter_map(|n| n.strip_prefix(&prefix).map(str::to_string))
        .collect();
    m.sort();
    m
}

#[test]
fn netns_insecure_scripts_are_not_run_as_keepalived_does_not_run_them() {
    let Some(lab) = lab_or_skip(
        "netns_insecure_scripts_are_not_run_as_keepalived_does_not_run_them",
        "sec",
        1,
    ) else {
        return;
    };
    // The lab's directory root's alone: the scripts in it are safe to run as root, unless
    // their own mode (or the directory they are in) says otherwise.
    chmod(&lab.dir, 0o755);
    let marks = lab.dir.join("marks");
    std::fs::create_dir_all(&marks).unwrap();
    let body = format!("#!/bin/sh\ntouch \"{}/ran.$1.$2\"\n", marks.display());
    let script = |name: &str, mode: u32| {
        let p = lab.write(name, &body);
        chmod(&p, mode);
        p.display().to_string()
    };
    let ok = script("ok.sh", 0o755);
    // Its own file others can write.
    let writable = script("writable.sh", 0o777);
    // Not executable (with or without script security, keepalived does not run it; tracked
    // with weight 0, a failing run would put the instance in FAULT).
    let not_executable = script("not-executable.sh", 0o644);
    // Secure at start; made writable before the reload.
    let later = script("later.sh", 0o755);
    // In a directory others can write (no sticky bit).
    let open_dir = lab.dir.join("open");
    std::fs::create_dir_all(&open_dir).unwrap();
    chmod(&open_dir, 0o777);
    let in_open = lab.write("open/s.sh", &body);
    chmod(&in_open, 0o755);
    let in_open = in_open.display().to_string();

    let mut seen = Vec::new();
    for who in DAEMONS {
        chmod(Path::new(&later), 0o755);
        let mut c = Conf::v2("MASTER", 150);
        c.extra = format!(
            "    track_script {{\n        chk_ok\n        chk_writable\n        chk_later\n        chk_not_executable\n    }}\n    notify_master \"{in_open} {who} master\"\n    notify_backup \"{ok} {who} backup\"\n"
        );
        let conf = c
            .text()
            .replacen(
                "global_defs {\n",
                "global_defs {\n    enable_script_security\n    script_user root\n",
                1,
            )
            .replacen(
                "}\n",
                &format!(
                    "}}\nvrrp_script chk_ok {{\n    script \"{ok} {who} chk_ok\"\n    interval 1\n}}\nvrrp_script chk_writable {{\n    script \"{writable} {who} chk_writable\"\n    interval 1\n}}\nvrrp_script chk_later {{\n    script \"{later} {who} chk_later\"\n    interval 1\n}}\nvrrp_script chk_not_executable {{\n    script \"{not_executable} {who} chk_not_executable\"\n    interval 1\n}}\n"
                ),
                1,
            );
        let mut d = lab.start_either(who, lab.node(0), &conf);
        let master = wait_for(Duration::from_secs(20), || {
            d.log_text().contains("Entering MASTER STATE") && markers(&marks, who).len() >= 3
        });
        // A moment more for a script that should not run.
        std::thread::sleep(Duration::from_millis(1500));
        let at_start = markers(&marks, who);
        // A reload that finds chk_later writable: it is not run any more.
        chmod(Path::new(&later), 0o777);
        d.signal(nix::sys::signal::Signal::SIGHUP);
        let reloaded = wait_for(Duration::from_secs(10), || {
            d.log_text().contains("Reload complete")
        });
        std::thread::sleep(Duration::from_millis(500));
        let _ = std::fs::remove_file(marks.join(format!("ran.{who}.chk_later")));
        let _ = std::fs::remove_file(marks.join(format!("ran.{who}.chk_ok")));
        std::thread::sleep(Duration::from_millis(3000));
        let after_reload = markers(&marks, who);
        let log = d.log_text();
        d.term(Duration::from_secs(10));
        for line in log.lines().filter(|l| {
            l.contains("Unsafe permissions")
                || l.contains("Disabling")
                || l.contains("executable")
                || l.contains("enable_script_security")
        }) {
            println!("MEASURE: {who} logs: {line}");
        }
        println!("MEASURE: {who}: ran at start {at_start:?}, after the reload {after_reload:?}");
        assert!(master.is_some(), "{who} did not become MASTER:\n{log}");
        assert!(reloaded.is_some(), "{who} did not reload:\n{log}");
        assert_eq!(
            at_start,
            ["backup", "chk_later", "chk_ok"],
            "{who}: scripts run at start\n{log}"
        );
        assert_eq!(
            after_reload,
            ["backup", "chk_ok"],
            "{who}: scripts run after the reload\n{log}"
        );
        seen.push((at_start, after_reload));
    }
    assert_eq!(seen[0], seen[1], "keepalived-rs, then keepalived 2.2.7");
}
