use super::Host;
use crate::{parse_str, KeepalivedTest, Options};

/// A machine with `eth0`, user root, group root, and /bin/true.
struct Lab {
    script_user: bool,
}

impl Host for Lab {
    fn has_interface(&self, name: &str) -> bool {
        name == "eth0"
    }
    fn has_user(&self, name: &str) -> bool {
        name == "root" || (self.script_user && name == super::DEFAULT_SCRIPT_USER)
    }
    fn has_group(&self, name: &str) -> bool {
        name == "root"
    }
    fn has_program(&self, program: &str) -> bool {
        program == "/bin/true" || program == "true" || program.starts_with("/tmp/")
    }
    fn user_ids(&self, name: &str) -> Option<(u32, u32)> {
        match name {
            "root" => Some((0, 0)),
            "nobody" => Some((65534, 65534)),
            super::DEFAULT_SCRIPT_USER if self.script_user => Some((999, 999)),
            _ => None,
        }
    }
    fn group_id(&self, name: &str) -> Option<u32> {
        (name == "root").then_some(0)
    }
    fn real_path(&self, program: &str) -> Option<String> {
        match program {
            "true" => Some("/bin/true".into()),
            p if p.starts_with('/') => Some(p.into()),
            _ => None,
        }
    }
    /// Root's directories and files, but for /tmp/w (0777) and /tmp/noexec (0644).
    fn lstat(&self, path: &str) -> Option<super::FileStat> {
        use super::FileKind::{Dir, File};
        let (kind, mode) = match path {
            "/" | "/bin" | "/tmp" => (Dir, 0o755),
            "/tmp/w" => (Dir, 0o777),
            "/tmp/noexec" => (File, 0o644),
            _ => (File, 0o755),
        };
        Some(super::FileStat {
            kind,
            uid: 0,
            gid: 0,
            mode,
        })
    }
}

/// The host findings for `text`: (line, keepalived's verdict, message).
fn findings(text: &str, lab: Lab) -> Vec<(u32, KeepalivedTest, String)> {
    let p = parse_str(
        "t.conf",
        text,
        &Options {
            config_id: "x".into(),
            ..Default::default()
        },
    );
    let before = p.diags.len();
    let mut diags = p.diags.clone();
    let mut config = p.config.clone();
    super::check(&mut config, &lab, &mut diags);
    diags
        .iter()
        .skip(before)
        .map(|d| {
            (
                d.span.map_or(0, |s| s.line),
                d.keepalived,
                d.message.clone(),
            )
        })
        .collect()
}

fn instance(iface: &str, extra: &str) -> String {
    format!("vrrp_instance VI_1 {{\n  interface {iface}\n  virtual_router_id 7\n  virtual_ipaddress {{\n    10.0.0.1\n  }}\n{extra}}}\n")
}

const NOBODY: Lab = Lab { script_user: false };

#[test]
fn every_named_interface_must_exist_unless_dynamic() {
    let text = format!(
        "{}static_routes {{\n  10.3.0.0/16 dev eth5\n}}\ngarp_group {{\n  interface eth6\n}}\nlinkbeat_interfaces {{\n  eth7\n}}\ninterface_up_down_delays {{\n  eth8 1\n}}\n",
        instance(
            "eth1",
            "  track_interface {\n    eth2\n  }\n  virtual_ipaddress_excluded {\n    10.4.0.1 dev eth3\n  }\n  virtual_routes {\n    10.1.0.0/16 via 10.0.0.9 dev eth4\n  }\n"
        )
    );
    let f = findings(&text, NOBODY);
    let messages: Vec<_> = f.iter().map(|(l, _, m)| format!("{l}: {m}")).collect();
    assert_eq!(
        messages,
        [
            "2: interface eth1 of vrrp_instance VI_1 does not exist on this host",
            "8: interface eth2 tracked by vrrp_instance VI_1 does not exist on this host",
            "11: interface eth3 for address 10.4.0.1 does not exist on this host",
            "18: interface eth5 for a route does not exist on this host",
            "14: interface eth4 for a route does not exist on this host",
            "20: interface eth6 of garp_group does not exist on this host",
            "24: interface eth7 of linkbeat_interfaces does not exist on this host; it is ignored",
            "27: interface eth8 of interface_up_down_delays does not exist on this host; its delays are ignored",
        ]
    );
    assert!(f.iter().all(|(_, k, _)| *k == KeepalivedTest::Fails));
    let dynamic = format!("global_defs {{\n  dynamic_interfaces\n}}\n{text}");
    assert!(findings(&dynamic, NOBODY).is_empty());
    assert!(findings(&instance("eth0", ""), NOBODY).is_empty());
}

#[test]
fn a_script_that_exists_without_script_security_is_a_security_violation() {
    let f = findings(
        &instance(
            "eth0",
            "  notify_backup /nonexistent/x\n  notify_master \"/bin/true arg\"\n",
        ),
        NOBODY,
    );
    assert_eq!(
        f,
        [
            (
                7,
                KeepalivedTest::Passes,
                "notify_backup of vrrp_instance VI_1: program '/nonexistent/x' does not exist on this host; keepalived does not run it".into()
            ),
            (
            8,
            KeepalivedTest::SecurityViolation,
            "notify_master of vrrp_instance VI_1 runs '/bin/true' but global_defs has no enable_script_security: keepalived's -t calls this a SECURITY VIOLATION".into()
        )
        ]
    );
    // Only missing programs: no violation, and nothing keepalived's -t fails on (it is
    // silent); the script is dropped (below).
    assert_eq!(
        findings(&instance("eth0", "  notify_master /nonexistent/x\n"), NOBODY),
        [(
            7,
            KeepalivedTest::Passes,
            "notify_master of vrrp_instance VI_1: program '/nonexistent/x' does not exist on this host; keepalived does not run it".into()
        )]
    );
    // Found on PATH, or in a MISC_CHECK, counts as well.
    let misc = "virtual_server 10.0.0.1 80 {\n  real_server 10.0.0.2 80 {\n    MISC_CHECK {\n      misc_path \"true 1\"\n    }\n  }\n}\n";
    let f = findings(misc, NOBODY);
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].1, KeepalivedTest::SecurityViolation);
    assert!(f[0].2.starts_with("MISC_CHECK runs 'true'"), "{f:?}");
}

#[test]
fn a_missing_vrrp_interface_hides_the_vrrp_side_s_scripts_only() {
    let vrrp_script = instance("eth1", "  notify_master /bin/true\n");
    let f = findings(&vrrp_script, NOBODY);
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].1, KeepalivedTest::Fails);
    let misc = "virtual_server 10.0.0.1 80 {\n  real_server 10.0.0.2 80 {\n    MISC_CHECK {\n      misc_path /bin/true\n    }\n  }\n}\n";
    let f = findings(&format!("{vrrp_script}{misc}"), NOBODY);
    assert_eq!(f.len(), 2, "{f:?}");
    assert_eq!(f[1].1, KeepalivedTest::SecurityViolation);
}

#[test]
fn vrrp_scripts_must_exist_and_script_users_too() {
    let text = "vrrp_script chk {\n  script /nonexistent/chk\n}\n";
    assert_eq!(
        findings(text, NOBODY),
        [(
            1,
            KeepalivedTest::Fails,
            "vrrp_script chk: program '/nonexistent/chk' does not exist on this host".into()
        )]
    );
    let secure = |user: &str| {
        format!(
            "global_defs {{\n  enable_script_security\n{user}}}\n{}",
            instance("eth0", "  notify_master /bin/true\n")
        )
    };
    let f = findings(&secure(""), NOBODY);
    assert_eq!(f.len(), 1, "{f:?}");
    assert!(
        f[0].2
            .contains("as user keepalived_script, who does not exist"),
        "{f:?}"
    );
    assert!(findings(&secure(""), Lab { script_user: true }).is_empty());
    assert!(findings(&secure("  script_user root\n"), NOBODY).is_empty());
    let insecure = format!(
        "global_defs {{\n  script_user nobody2\n}}\n{}",
        instance("eth0", "  notify_master /bin/true\n")
    );
    let g = findings(&insecure, NOBODY);
    assert_eq!(g.len(), 1, "{g:?}");
    assert_eq!(g[0].1, KeepalivedTest::Fails);
    let f = findings(&secure("  script_user nobody2 nogroup2\n"), NOBODY);
    let m: Vec<_> = f.iter().map(|f| f.2.as_str()).collect();
    assert_eq!(
        m,
        [
            "script_user nobody2: no such user on this host",
            "script_user nobody2 nogroup2: no such group on this host"
        ]
    );
}

/// The model after the checks, and the findings' daemon verdicts.
fn checked(text: &str, lab: Lab) -> (crate::Config, Vec<crate::KeepalivedDaemon>) {
    let p = parse_str(
        "t.conf",
        text,
        &Options {
            config_id: "x".into(),
            ..Default::default()
        },
    );
    let mut config = p.config;
    let mut diags = crate::Diagnostics::new();
    super::check(&mut config, &lab, &mut diags);
    (config, diags.iter().map(|d| d.daemon).collect())
}

#[test]
fn keepalived_s_daemon_drops_an_up_down_delay_of_a_missing_interface() {
    use crate::KeepalivedDaemon::RunsOn;
    let (c, daemon) = checked(
        &format!(
            "interface_up_down_delays {{\n  eth9 1\n  eth0 1\n}}\n{}",
            instance("eth0", "")
        ),
        NOBODY,
    );
    assert_eq!(daemon, [RunsOn]);
    let kept: Vec<_> = c
        .global
        .interface_up_down_delays
        .iter()
        .map(|d| &d.interface)
        .collect();
    assert_eq!(kept, ["eth0"]);
}

#[test]
fn keepalived_s_daemon_stops_without_an_interface_but_a_linkbeat_one() {
    use crate::KeepalivedDaemon::{RunsOn, Stops};
    let (_, daemon) = checked(&instance("eth1", ""), NOBODY);
    assert_eq!(daemon, [Stops]);
    let (c, daemon) = checked(
        &format!(
            "linkbeat_interfaces {{\n  eth7\n  eth0\n}}\n{}",
            instance("eth0", "")
        ),
        NOBODY,
    );
    assert_eq!(daemon, [RunsOn]);
    let kept: Vec<_> = c
        .global
        .linkbeat_interfaces
        .iter()
        .map(|l| &l.interface)
        .collect();
    assert_eq!(kept, ["eth0"]);
}

#[test]
fn what_keepalived_s_daemon_drops_is_dropped() {
    let tracked = |program: &str, extra: &str| {
        format!(
            "vrrp_script chk {{\n  script {program}\n}}\n{}",
            instance(
                "eth0",
                &format!("  track_script {{\n    chk\n  }}\n{extra}")
            )
        )
    };
    // A vrrp_script whose program does not exist: gone, and its tracking with it.
    let (c, _) = checked(&tracked("/nonexistent/chk", ""), NOBODY);
    assert!(c.vrrp.vrrp_script.is_empty());
    assert!(c.vrrp.vrrp_instance[0].track_script.is_empty());
    // A notify script whose program does not exist: gone; one that exists stays.
    let (c, _) = checked(
        &instance(
            "eth0",
            "  notify_master /nonexistent/x\n  notify_backup /bin/true\n",
        ),
        NOBODY,
    );
    let i = &c.vrrp.vrrp_instance[0];
    assert!(i.notify_master.is_none());
    assert!(i.notify_backup.is_some());
    // No user to run scripts as: the VRRP side's scripts without a user of their own go.
    for global in ["  script_user nobody2\n", "  enable_script_security\n"] {
        let text = format!(
            "global_defs {{\n{global}}}\n{}",
            tracked(
                "/bin/true",
                "  notify_master /bin/true\n  notify_backup \"/bin/true\" root\n"
            )
        );
        let (c, daemon) = checked(&text, NOBODY);
        assert!(
            daemon.iter().all(|d| *d == crate::KeepalivedDaemon::RunsOn),
            "{global}"
        );
        let i = &c.vrrp.vrrp_instance[0];
        assert!(c.vrrp.vrrp_script.is_empty(), "{global}");
        assert!(i.track_script.is_empty(), "{global}");
        assert!(i.notify_master.is_none(), "{global}");
        assert!(i.notify_backup.is_some(), "{global}");
        assert!(c.global.global_defs.script_user.is_none(), "{global}");
        // Remembered: the daemon's plan leaves out the other scripts without a user.
        assert_eq!(
            c.global.global_defs.script_user_missing.is_some(),
            global.contains("script_user"),
            "{global}"
        );
        // With the user there, all stay.
        let (c, _) = checked(&text, Lab { script_user: true });
        if global.contains("enable") {
            assert_eq!(c.vrrp.vrrp_script.len(), 1);
            assert!(c.vrrp.vrrp_instance[0].notify_master.is_some());
        }
    }
    // Without script security, scripts run.
    let (c, _) = checked(&tracked("/bin/true", "  notify_master /bin/true\n"), NOBODY);
    assert_eq!(c.vrrp.vrrp_script.len(), 1);
    assert!(c.vrrp.vrrp_instance[0].notify_master.is_some());
}

/// keepalived's parent drops a startup or shutdown script as its VRRP side drops a notify
/// script (measured: not run, `-t` passes it), and a missing VRRP interface does not hide
/// its SECURITY VIOLATION (`-t` exits 6 all the same).
#[test]
fn startup_and_shutdown_scripts_are_dropped_like_notify_scripts() {
    let text =
        |global: &str, iface: &str| format!("global_defs {{\n{global}}}\n{}", instance(iface, ""));
    let defs = |global: &str| checked(&text(global, "eth0"), NOBODY).0.global.global_defs;
    let d = defs("  startup_script /nonexistent/up\n  shutdown_script \"/tmp/down x\"\n");
    assert!(d.startup_script.is_none());
    assert_eq!(d.shutdown_script.unwrap().command, ["/tmp/down", "x"]);
    let d = defs("  startup_script /tmp/noexec\n  shutdown_script /tmp/w/down\n");
    assert!(d.startup_script.is_none(), "not executable");
    assert!(d.shutdown_script.is_some(), "no script security");
    let d = defs(
        "  enable_script_security\n  script_user root\n  startup_script /tmp/w/up\n  \
         shutdown_script /tmp/w/down nobody\n",
    );
    assert!(d.startup_script.is_none(), "unsafe, run as root");
    assert!(d.shutdown_script.is_some(), "run as nobody");
    let d =
        defs("  script_user nobody2\n  startup_script /tmp/up\n  shutdown_script /tmp/down root\n");
    assert!(d.startup_script.is_none(), "no user to run it as");
    assert!(d.shutdown_script.is_some(), "its own user");
    let f = findings(&text("  startup_script /tmp/up\n", "eth1"), NOBODY);
    let verdicts: Vec<_> = f.iter().map(|f| (f.0, f.1)).collect();
    assert_eq!(
        verdicts,
        [
            (5, KeepalivedTest::Fails),
            (2, KeepalivedTest::SecurityViolation)
        ],
        "{f:?}"
    );
    assert!(f[1].2.starts_with("startup_script runs '/tmp/up'"), "{f:?}");
}

/// keepalived drops a FIFO script, or an LVS notify or quorum script, whose program does not
/// exist (measured: "Script PATH cannot be accessed", never run; its `-t` says nothing); the
/// FIFO stays. Those without a user to be had are left to the daemon's plans.
#[test]
fn missing_fifo_and_lvs_scripts_are_dropped() {
    let lvs = "virtual_server 10.0.0.1 80 {\n  quorum_up /nonexistent/q\n  quorum_down /tmp/qd\n  real_server 10.0.0.2 80 {\n    notify_up /nonexistent/up\n    notify_down /tmp/down\n    TCP_CHECK {\n    }\n  }\n}\n";
    let text = format!(
        "global_defs {{\n  notify_fifo /tmp/f\n  notify_fifo_script /nonexistent/f\n  \
         lvs_notify_fifo /tmp/l\n  lvs_notify_fifo_script /tmp/lf\n}}\n{lvs}"
    );
    let (c, _) = checked(&text, NOBODY);
    let d = &c.global.global_defs;
    assert!(d.notify_fifo_script.is_none());
    assert!(d.notify_fifo.is_some(), "the FIFO stays");
    assert!(d.lvs_notify_fifo_script.is_some());
    let vs = &c.lvs.virtual_server[0];
    assert!(vs.quorum_up.is_none() && vs.quorum_down.is_some());
    let rs = &vs.real_server[0];
    assert!(rs.notify_up.is_none() && rs.notify_down.is_some());
    let f = findings(&text, NOBODY);
    let missing: Vec<_> = f
        .iter()
        .filter(|f| {
            f.2.contains("does not exist on this host; keepalived does not run it")
        })
        .map(|f| (f.0, f.1))
        .collect();
    assert_eq!(
        missing,
        [
            (3, KeepalivedTest::Passes),
            (8, KeepalivedTest::Passes),
            (11, KeepalivedTest::Passes)
        ],
        "{f:?}"
    );
    let (c, _) = checked(
        &format!(
            "global_defs {{\n  script_user nobody2\n  lvs_notify_fifo_script /tmp/lf\n}}\n{lvs}"
        ),
        NOBODY,
    );
    assert!(c.global.global_defs.lvs_notify_fifo_script.is_some());
    assert!(c.lvs.virtual_server[0].real_server[0].notify_down.is_some());
}

/// keepalived 2.2.7 disables a MISC_CHECK whose program does not exist ("Disabling misc script
/// ... since not found/accessible", measured in the VM): its real server keeps its other
/// checks, or none; its `-t` says nothing.
#[test]
fn a_misc_check_without_its_program_is_dropped() {
    let text = "virtual_server 10.0.0.1 80 {\n  real_server 10.0.0.2 80 {\n    MISC_CHECK {\n      misc_path \"/nonexistent/check x\"\n    }\n    MISC_CHECK {\n      misc_path /tmp/check\n    }\n  }\n}\n";
    let (c, _) = checked(text, NOBODY);
    let rs = &c.lvs.virtual_server[0].real_server[0];
    assert_eq!(rs.checkers.len(), 1);
    let f = findings(text, NOBODY);
    let missing: Vec<_> = f
        .iter()
        .filter(|f| {
            f.2.contains("program '/nonexistent/check' does not exist on this host")
        })
        .map(|f| (f.0, f.1))
        .collect();
    assert_eq!(missing, [(3, KeepalivedTest::Passes)], "{f:?}");
}

/// Under enable_script_security, a script run as root from a directory others can write is
/// dropped (a vrrp_script untracked, a MISC_CHECK removed, a notify script not run), with
/// keepalived's -t verdicts; run as another user, or without script security, it stays.
#[test]
fn scripts_root_runs_from_a_directory_others_can_write_are_dropped() {
    let text = |global: &str| {
        format!(
            "global_defs {{\n{global}}}\nvrrp_script bad {{\n  script \"/tmp/w/chk x\"\n}}\nvrrp_script good {{\n  script /tmp/chk\n}}\n{}virtual_server 10.0.0.9 80 {{\n  quorum_up /tmp/w/q\n  real_server 10.0.0.2 80 {{\n    notify_up /tmp/up\n    MISC_CHECK {{\n      misc_path \"/tmp/w/misc a\"\n    }}\n    TCP_CHECK {{\n    }}\n  }}\n}}\n",
            instance(
                "eth0",
                "  track_script {\n    bad\n    good\n  }\n  notify_master /tmp/w/m\n  notify_backup /tmp/w/b nobody\n"
            )
        )
    };
    let secure = text("  enable_script_security\n  script_user root\n");
    let (c, _) = checked(&secure, NOBODY);
    let names: Vec<_> = c.vrrp.vrrp_script.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["good"]);
    let i = &c.vrrp.vrrp_instance[0];
    let tracked: Vec<_> = i.track_script.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(tracked, ["good"]);
    assert!(i.notify_master.is_none());
    // Its own user, nobody: no root rights to guard.
    assert!(i.notify_backup.is_some());
    let vs = &c.lvs.virtual_server[0];
    assert!(vs.quorum_up.is_none());
    assert!(vs.real_server[0].notify_up.is_some());
    assert_eq!(vs.real_server[0].checkers.len(), 1, "the TCP_CHECK stays");
    let f = findings(&secure, NOBODY);
    let verdicts: Vec<_> = f.iter().map(|f| (f.0, f.1)).collect();
    assert_eq!(
        verdicts,
        [
            (5, KeepalivedTest::Fails),
            (21, KeepalivedTest::Passes),
            (25, KeepalivedTest::Passes),
            (28, KeepalivedTest::Passes),
        ],
        "{f:?}"
    );
    assert!(
        f[0].2.starts_with("vrrp_script bad runs '/tmp/w/chk' as 0:0, and '/tmp/w' can be written by users other than root (mode 0777"),
        "{}",
        f[0].2
    );
    // Without script security keepalived runs them all.
    let (c, _) = checked(&text("  script_user root\n"), NOBODY);
    assert_eq!(c.vrrp.vrrp_script.len(), 2);
    assert!(c.vrrp.vrrp_instance[0].notify_master.is_some());
    assert_eq!(c.lvs.virtual_server[0].real_server[0].checkers.len(), 2);
}

/// A script its user cannot execute is dropped, with or without script security, and
/// keepalived's -t passes it (it only logs it).
#[test]
fn a_script_its_user_cannot_execute_is_dropped() {
    let text = format!(
        "global_defs {{\n  script_user root\n}}\nvrrp_script chk {{\n  script /tmp/noexec\n}}\n{}",
        instance(
            "eth0",
            "  track_script {\n    chk\n  }\n  notify_master /tmp/noexec\n  notify_backup /tmp/ok\n"
        )
    );
    let (c, _) = checked(&text, NOBODY);
    assert!(c.vrrp.vrrp_script.is_empty());
    let i = &c.vrrp.vrrp_instance[0];
    assert!(i.track_script.is_empty() && i.notify_master.is_none());
    assert!(i.notify_backup.is_some());
    let f = findings(&text, NOBODY);
    let dropped: Vec<_> = f
        .iter()
        .filter(|f| f.2.contains("cannot execute"))
        .map(|f| (f.0, f.1))
        .collect();
    assert_eq!(
        dropped,
        [(4, KeepalivedTest::Passes), (16, KeepalivedTest::Passes)],
        "{f:?}"
    );
}
