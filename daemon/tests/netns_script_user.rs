//! The user and group scripts run as (issue 15), in the netns lab, keepalived-rs and then
//! keepalived 2.2.7 with the same configuration: a MASTER whose global_defs say
//! `script_user nobody`; its notify_master takes that default, its `notify` names its own user
//! and group, its vrrp_script its own user, and its notify_backup a user that does not exist
//! (left out by both, never run as root); its notify_fifo, without a user, is made for
//! script_user. Each script writes `id -u`, `id -g` and `id -G` to a
//! file in a directory anyone may write (1777). Needs root; skips loudly without it.

mod common;

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::time::Duration;

use common::{lab_or_skip, wait_for, Conf};

const DAEMONS: [&str; 2] = ["keepalived-rs", "keepalived"];

fn chmod(p: &Path, mode: u32) {
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

/// `uid gid groups` as `id` printed them for one script; None while the file is not there.
fn ids(dir: &Path, name: &str) -> Option<String> {
    std::fs::read_to_string(dir.join(name))
        .ok()
        .map(|s| s.trim().to_string())
}

#[test]
fn netns_scripts_run_as_keepalived_runs_them() {
    let Some(lab) = lab_or_skip("netns_scripts_run_as_keepalived_runs_them", "su", 1) else {
        return;
    };
    let user = |n: &str| nix::unistd::User::from_name(n).unwrap();
    let group = |n: &str| nix::unistd::Group::from_name(n).unwrap();
    let (Some(nobody), Some(daemon), Some(daemon_group)) =
        (user("nobody"), user("daemon"), group("daemon"))
    else {
        return eprintln!(
            "SKIP: netns_scripts_run_as_keepalived_runs_them: no user nobody or daemon"
        );
    };
    // The scripts' users must reach the script through the lab's directory.
    chmod(&lab.dir, 0o755);
    let script = lab.write(
        "id.sh",
        "#!/bin/sh\nout=\"$(dirname \"$0\")/out-$DAEMON/$1\"\necho \"$(id -u) $(id -g) $(id -G)\" > \"$out.tmp\" && mv -f \"$out.tmp\" \"$out\"\n",
    );
    chmod(&script, 0o755);
    let s = script.display();
    let mut seen = Vec::new();
    for who in DAEMONS {
        let out = lab.dir.join(format!("out-{who}"));
        std::fs::create_dir_all(&out).unwrap();
        chmod(&out, 0o1777);
        // The script finds its directory by the daemon's name: a wrapper per daemon.
        let wrapper = lab.write(
            &format!("id-{who}.sh"),
            &format!("#!/bin/sh\nDAEMON={who} exec {s} \"$@\"\n"),
        );
        chmod(&wrapper, 0o755);
        let w = wrapper.display();
        let mut c = Conf::v2("MASTER", 150);
        c.extra = format!(
            "    track_script {{\n        chk\n    }}\n    notify_master \"{w} master\"\n    notify \"{w} notify\" nobody daemon\n    notify_backup \"{w} backup\" kars-no-such-user\n"
        );
        let conf = c
            .text()
            .replacen(
                "global_defs {\n",
                &format!(
                    "global_defs {{\n    script_user nobody\n    enable_script_security\n    notify_fifo {}\n",
                    out.join("fifo").display()
                ),
                1,
            )
            .replacen(
                "}\n",
                &format!(
                    "}}\nvrrp_script chk {{\n    script \"{w} chk\"\n    interval 1\n    user daemon\n}}\n"
                ),
                1,
            );
        let mut d = lab.start_either(who, lab.node(0), &conf);
        let all = wait_for(Duration::from_secs(20), || {
            ["master", "notify", "chk"]
                .iter()
                .all(|n| ids(&out, n).is_some())
        });
        // A moment more for a notify_backup that should not run.
        std::thread::sleep(Duration::from_millis(500));
        let got: Vec<_> = ["master", "notify", "chk", "backup"]
            .iter()
            .map(|n| ids(&out, n))
            .collect();
        // A FIFO without a user of its own is made for the default script user.
        let fifo_owner = std::fs::metadata(out.join("fifo")).map(|m| (m.uid(), m.gid()));
        let log = d.log_text();
        d.term(Duration::from_secs(10));
        println!("MEASURE: {who}: notify_fifo owner {fifo_owner:?}");
        assert_eq!(
            fifo_owner.ok(),
            Some((nobody.uid.as_raw(), nobody.gid.as_raw())),
            "{who}"
        );
        assert!(
            all.is_some(),
            "{who}: scripts did not all run: {got:?}\n{log}"
        );
        println!("MEASURE: {who}: {got:?} (master, notify, chk, backup: uid gid groups)");
        for line in log.lines().filter(|l| l.contains("kars-no-such-user")) {
            println!("MEASURE: {who} logs: {line}");
        }
        let first = |s: &Option<String>| {
            s.as_deref()
                .map(|s| s.split(' ').take(2).collect::<Vec<_>>().join(" "))
        };
        // notify_master: global_defs' script_user and that user's primary group.
        assert_eq!(
            first(&got[0]),
            Some(format!("{} {}", nobody.uid, nobody.gid)),
            "{who}"
        );
        // notify: its own user and group.
        assert_eq!(
            first(&got[1]),
            Some(format!("{} {}", nobody.uid, daemon_group.gid)),
            "{who}"
        );
        // vrrp_script: its own user, that user's primary group.
        assert_eq!(
            first(&got[2]),
            Some(format!("{} {}", daemon.uid, daemon.gid)),
            "{who}"
        );
        // notify_backup names a user that does not exist: left out, not run as root.
        assert_eq!(got[3], None, "{who}");
        if who == "keepalived-rs" {
            assert!(
                log.contains("notify_backup")
                    && log.contains("not run: script user kars-no-such-user does not exist"),
                "{log}"
            );
        }
        seen.push(got);
    }
    // Both daemons give the same ids, supplementary groups included.
    assert_eq!(seen[0], seen[1], "keepalived-rs, then keepalived 2.2.7");
}

/// A notify FIFO whose own user (or group) does not exist: keepalived 2.2.7 logs `Script user
/// 'X' does not exist` (`Script group 'X' ...`) and `Invalid user/group for ... fifo ... -
/// ignoring`, does not make that FIFO, and runs with the other; keepalived-rs the same (it
/// refused the whole file). Both daemons on the same files: a MASTER with `notify_fifo` and
/// `vrrp_notify_fifo`, one of them for a user or group that does not exist.
#[test]
fn netns_a_fifo_whose_user_does_not_exist_is_ignored() {
    let Some(lab) = lab_or_skip("netns_a_fifo_whose_user_does_not_exist_is_ignored", "fu", 1)
    else {
        return;
    };
    // (notify_fifo's owner, vrrp_notify_fifo's owner, which are made, the missing name)
    let cases = [
        (
            "kars-no-such-user",
            "root",
            [false, true],
            "user 'kars-no-such-user'",
        ),
        (
            "root",
            "root kars-no-such-group",
            [true, false],
            "group 'kars-no-such-group'",
        ),
    ];
    for (case, (all_owner, vrrp_owner, want, missing)) in cases.into_iter().enumerate() {
        for who in DAEMONS {
            let out = lab.dir.join(format!("fifo-{case}-{who}"));
            std::fs::create_dir_all(&out).unwrap();
            let conf = Conf::v2("MASTER", 150).text().replacen(
                "global_defs {\n",
                &format!(
                    "global_defs {{\n    notify_fifo {} {all_owner}\n    vrrp_notify_fifo {} {vrrp_owner}\n",
                    out.join("all").display(),
                    out.join("vrrp").display(),
                ),
                1,
            );
            // `-t` passes the file (exit 0), as keepalived's does.
            let file = lab.write(&format!("fifo-{case}-{who}-t.conf"), &conf);
            let bin = if who == "keepalived" {
                common::KEEPALIVED.into()
            } else {
                common::ours_binary()
            };
            let t = std::process::Command::new("ip")
                .args(["netns", "exec", lab.node(0)])
                .arg(bin)
                .arg("-t")
                .arg("-f")
                .arg(&file)
                .output()
                .expect("run -t");
            assert_eq!(
                t.status.code(),
                Some(0),
                "{who} -t: {}",
                String::from_utf8_lossy(&t.stderr)
            );
            let mut d = lab.start_either(who, lab.node(0), &conf);
            let master = wait_for(Duration::from_secs(20), || {
                d.log_text().contains("Entering MASTER STATE")
            });
            let running = d.running();
            let made = ["all", "vrrp"].map(|n| out.join(n).exists());
            let log = d.log_text();
            d.term(Duration::from_secs(10));
            for line in log.lines().filter(|l| l.contains("kars-no-such-")) {
                println!("MEASURE: {who} logs: {line}");
            }
            assert!(master.is_some() && running, "{who} did not run:\n{log}");
            assert_eq!(
                made, want,
                "{who}: FIFOs made (notify_fifo, vrrp_notify_fifo)"
            );
            let name = missing.replace('\'', "");
            assert!(
                log.contains(&name) || log.contains(missing),
                "{who} does not say which FIFO it ignored ({missing}):\n{log}"
            );
        }
    }
}
