//! The binary's command line, run as a user would: keepalived's flags, `-t` exit codes (0 clean,
//! 5 errors, 6 scripts without script security, 3 cannot run) and verdicts (keepalived's,
//! `--lenient`, `--strict`), where diagnostics go and how repeated ones are shown, and
//! `config dump`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_keepalived-rs"))
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("run keepalived-rs")
}

fn scratch(name: &str, body: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kars-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, body).unwrap();
    p
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn etc(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../etc")
        .join(name)
        .display()
        .to_string()
}

#[test]
fn missing_file_cannot_run() {
    // keepalived 2.2.7 exits 0 here; a config test that passes on a typo'd path is a trap.
    let o = run(&["-t", "-f", "/nonexistent/keepalived.conf"]);
    assert_eq!(o.status.code(), Some(3));
    assert!(
        stderr(&o).starts_with("error: cannot read configuration file '/nonexistent/keepalived.conf': No such file or directory"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn unbalanced_braces_cannot_run() {
    let f = scratch("unbalanced.conf", "global_defs {\n  router_id x\n");
    let o = run(&["-t", "-f", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(3));
    assert!(
        stderr(&o).starts_with(&format!("{}:1:13: error: unclosed '{{'", f.display())),
        "{}",
        stderr(&o)
    );
}

#[test]
fn errors_exit_5() {
    let f = scratch("quote.conf", "global_defs {\n  router_id \"x\n}\n");
    let o = run(&["-t", "-f", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(5), "{}", stderr(&o));
    assert!(
        stderr(&o).contains(":2:13: error: unterminated quoted string"),
        "{}",
        stderr(&o)
    );
}

/// keepalived 2.2.7's -t fails on an unknown keyword (exit 5): so does ours, unless --lenient;
/// a legacy spelling it still reads passes both, and fails only --strict.
#[test]
fn the_verdict_is_keepalived_s_unless_lenient_or_strict() {
    let f = scratch("unknown.conf", "no_such_block {\n}\n");
    let f = f.to_str().unwrap();
    for args in [&["-t", "-f", f][..], &["config", "test", "-f", f]] {
        let o = run(args);
        assert_eq!(o.status.code(), Some(5), "{args:?}: {}", stderr(&o));
        assert!(
            stderr(&o).contains("error: unknown keyword 'no_such_block' at the top level"),
            "{}",
            stderr(&o)
        );
        assert!(
            stderr(&o).ends_with(": 1 error, 0 warnings (the errors are warnings that fail keepalived's own -t too; --lenient passes them)\n"),
            "{}",
            stderr(&o)
        );
    }
    for args in [
        &["-t", "--lenient", "-f", f][..],
        &["config", "test", "--lenient", "-f", f],
    ] {
        let o = run(args);
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains("warning: unknown keyword 'no_such_block'"));
    }
    let o = run(&["-t", "--strict", "-f", f]);
    assert_eq!(o.status.code(), Some(5));

    let legacy = scratch(
        "legacy.conf",
        "virtual_server 10.0.0.1 80 {\n  lb_algo rr\n  lb_kind DR\n  protocol TCP\n  real_server 10.0.0.2 80 {\n  }\n}\n",
    );
    let legacy = legacy.to_str().unwrap();
    for (args, code) in [
        (&["-t", "-f", legacy][..], 0),
        (&["-t", "--lenient", "-f", legacy], 0),
        (&["-t", "--strict", "-f", legacy], 5),
        (&["config", "test", "-f", legacy], 0),
        (&["config", "test", "--strict", "-f", legacy], 5),
    ] {
        let o = run(args);
        assert_eq!(o.status.code(), Some(code), "{args:?}: {}", stderr(&o));
    }
    // The two cannot be had together, and --lenient means nothing without -t.
    assert_eq!(
        run(&["-t", "--lenient", "--strict", "-f", f]).status.code(),
        Some(2)
    );
    assert_eq!(run(&["--lenient", "-f", f]).status.code(), Some(2));
}

/// A script keepalived would run, without enable_script_security: its -t exits 6 ("SECURITY
/// VIOLATION"), even when there are other errors; ours too.
#[test]
fn scripts_without_script_security_exit_6() {
    let misc = "virtual_server 10.0.0.1 80 {\n  lvs_sched rr\n  lvs_method DR\n  protocol TCP\n  real_server 10.0.0.2 80 {\n    MISC_CHECK {\n      misc_path \"/bin/sh -c true\"\n    }\n  }\n}\n";
    let f = scratch("insecure.conf", &format!("{misc}no_such_block {{\n}}\n"));
    let o = run(&["-t", "-f", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(6), "{}", stderr(&o));
    assert!(
        stderr(&o).contains(
            "error: MISC_CHECK runs '/bin/sh' but global_defs has no enable_script_security"
        ),
        "{}",
        stderr(&o)
    );
    let o = run(&["-t", "--lenient", "-f", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let secure = scratch(
        "secure.conf",
        &format!("global_defs {{\n  enable_script_security\n  script_user root\n}}\n{misc}"),
    );
    let o = run(&["-t", "-f", secure.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

/// A thousand virtual servers in the classic spellings: each legacy spelling is shown once with
/// its count; --all-diagnostics shows the two thousand.
#[test]
fn a_repeated_warning_is_shown_once() {
    let servers: String = (0..1000)
        .map(|i| format!("virtual_server 10.0.{}.{} 80 {{\n  lb_algo rr\n  lb_kind DR\n  protocol TCP\n  real_server 10.1.0.1 80 {{\n  }}\n}}\n", i / 250, i % 250 + 1))
        .collect();
    let f = scratch("many.conf", &servers);
    let o = run(&["-t", "-f", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let e = stderr(&o);
    assert_eq!(e.matches(": warning: ").count(), 2, "{e}");
    assert!(e.contains("  = note: 1000 times in all; also at "), "{e}");
    assert!(e.ends_with(": 0 errors, 2000 warnings\n"), "{e}");
    let o = run(&["-t", "--all-diagnostics", "-f", f.to_str().unwrap()]);
    assert_eq!(stderr(&o).matches(": warning: ").count(), 2000);
    let o = run(&["config", "dump", "-f", f.to_str().unwrap()]);
    assert_eq!(stderr(&o).matches(": warning: ").count(), 2);
}

#[test]
fn config_test_log_file() {
    let f = scratch("tolog.conf", "no_such_block {\n}\n");
    let log = f.with_extension("log");
    let _ = std::fs::remove_file(&log);
    let o = run(&[
        &format!("--config-test={}", log.display()),
        "-f",
        f.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(5));
    assert_eq!(stderr(&o), "");
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(
        logged.contains("unknown keyword 'no_such_block'"),
        "{logged}"
    );
}

#[test]
fn config_id_selects_conditional_lines() {
    let f = scratch(
        "cond.conf",
        "@main bad_main_keyword\n@^main bad_other_keyword\n",
    );
    let o = run(&["-t", "-i", "main", "-f", f.to_str().unwrap()]);
    assert!(
        stderr(&o).contains("'bad_main_keyword'") && !stderr(&o).contains("bad_other"),
        "{}",
        stderr(&o)
    );
    let o = run(&["-t", "--config-id", "backup", "-f", f.to_str().unwrap()]);
    assert!(
        stderr(&o).contains("'bad_other_keyword'") && !stderr(&o).contains("bad_main"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn keepalived_flags_are_accepted() {
    let f = etc("keepalived-lvs-dr-master.conf");
    let o = run(&[
        "-t",
        "-n",
        "-l",
        "-D",
        "-P",
        "-C",
        "-d",
        "-S",
        "local1",
        "-p",
        "/tmp/x.pid",
        "-r",
        "/tmp/y.pid",
        "-c",
        "/tmp/z.pid",
        "-X",
        "-V",
        "-I",
        "-R",
        "-G",
        "-f",
        &f,
    ]);
    // 5: keepalived's -t fails this classic file too (nb_get_retry in TCP_CHECK).
    assert_eq!(o.status.code(), Some(5), "{}", stderr(&o));
    assert!(
        !stderr(&o).contains("unexpected argument"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn version_and_signum() {
    // keepalived 2.2.7 prints 'Keepalived v2.2.7 (01/16,2022)' first, on stderr: tools read
    // the version from that line's second word.
    let o = run(&["-v"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(o.stdout.is_empty());
    let text = stderr(&o);
    let first = text.lines().next().unwrap_or_default();
    assert!(first.starts_with("Keepalived v2.2.7 (keepalived-rs "), "{text}");
    assert_eq!(first.split_whitespace().nth(1), Some("v2.2.7"));
    assert!(text.contains("\nkeepalived-rs "), "{text}");
    for (f, n) in [
        ("STOP", "15"),
        ("RELOAD", "1"),
        ("DATA", "10"),
        ("STATS", "12"),
        ("STATS_CLEAR", "63"),
        ("JSON", "36"),
    ] {
        let o = run(&["--signum", f]);
        assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), n, "{f}");
    }
    assert_eq!(run(&["--signum=NOPE"]).status.code(), Some(1));
}

#[test]
fn dump_prints_json() {
    let f = etc("keepalived-lvs-dr-master.conf");
    let o = run(&["config", "dump", "-f", &f]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("valid JSON");
    assert!(v.is_object());
}

#[test]
fn dump_refuses_a_config_that_cannot_run() {
    let f = scratch("dump-unbalanced.conf", "a {\n");
    let o = run(&["config", "dump", "-f", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(3));
    assert!(o.stdout.is_empty());
}

// The daemon itself is run for real only inside network namespaces (tests/netns_*.rs); here only
// the ways it refuses to start, which touch nothing on the host.
#[test]
fn the_daemon_refuses_a_config_with_errors() {
    let f = scratch("daemon-bad.conf", "vrrp_instance X {\n priority 1000\n}\n");
    let o = run(&["-n", "-l", "-f", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    // Without -n the configuration is still checked in the foreground.
    let o = run(&["-f", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
}

/// The daemon starts where keepalived starts: an unknown keyword does not stop it (here it stops
/// at an error); what it prints at start groups a repeated warning as -t does.
#[test]
fn the_daemon_groups_repeated_warnings() {
    let servers: String = (0..50)
        .map(|i| format!("virtual_server 10.0.0.{} 80 {{\n  lb_algo rr\n  lb_kind DR\n  protocol TCP\n  real_server 10.1.0.1 80 {{\n  }}\n}}\n", i + 1))
        .collect();
    let f = scratch(
        "daemon-many.conf",
        &format!("{servers}no_such_block {{\n}}\nvrrp_instance X {{\n priority 1000\n}}\n"),
    );
    for args in [
        &["-f", f.to_str().unwrap()][..],
        &["-n", "-l", "-f", f.to_str().unwrap()],
    ] {
        let o = run(args);
        assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
        let e = stderr(&o);
        assert_eq!(
            e.matches("legacy spelling of 'lvs_sched'").count(),
            1,
            "{args:?}: {e}"
        );
        assert!(e.contains("= note: 50 times in all;"), "{args:?}: {e}");
        assert!(
            e.contains("warning: unknown keyword 'no_such_block'"),
            "{args:?}: {e}"
        );
        assert!(
            e.contains("error: invalid value '1000' for priority"),
            "{args:?}: {e}"
        );
    }
    let o = run(&["-n", "-l", "--all-diagnostics", "-f", f.to_str().unwrap()]);
    assert_eq!(
        stderr(&o).matches("legacy spelling of 'lvs_sched'").count(),
        50
    );
}

#[test]
fn the_daemon_refuses_an_instance_on_a_missing_interface() {
    let f = scratch(
        "daemon-noif.conf",
        "vrrp_instance X {\n interface kars-noif0\n virtual_router_id 9\n virtual_ipaddress {\n 192.0.2.250\n }\n}\n",
    );
    let pid = f.with_file_name("noif.pid");
    let vpid = f.with_file_name("noif-vrrp.pid");
    let o = run(&[
        "-n",
        "-l",
        "-f",
        f.to_str().unwrap(),
        "-p",
        pid.to_str().unwrap(),
        "-r",
        vpid.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(stderr(&o).contains("kars-noif0"), "{}", stderr(&o));
    assert!(
        !pid.exists() && !vpid.exists(),
        "pid files are removed on exit"
    );
}

#[test]
fn all_config_makes_every_include_strict() {
    let f = scratch("with-include.conf", "include /nonexistent/kars/*.conf\n");
    let o = run(&["-t", "-f", f.to_str().unwrap()]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "plain include of nothing is a warning: {}",
        stderr(&o)
    );
    let o = run(&["-t", "-e", "-f", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(5), "{}", stderr(&o));
    assert!(
        stderr(&o).contains(":1:9: error: include '/nonexistent/kars/*.conf' matches no file"),
        "{}",
        stderr(&o)
    );
}

/// `config diff OLD NEW`: nothing (exit 0), the changes in the daemon's words (exit 1), JSON,
/// and a NEW with errors (exit 4: a reload would be refused).
#[test]
fn config_diff_says_what_a_reload_would_change() {
    let master = etc("keepalived-lvs-dr-master.conf");
    let o = run(&["config", "diff", &master, &master]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(o.stdout.is_empty());
    let text = std::fs::read_to_string(&master).unwrap();
    let changed = scratch(
        "diff-new.conf",
        &text.replacen("priority 100", "priority 110", 1).replacen("weight 1", "weight 3", 1),
    );
    let o = run(&["config", "diff", &master, changed.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("vrrp_instance VI_1: priority 100 -> 110"), "{out}");
    assert!(out.contains("real server 192.168.55.141:80 weight 1 -> 3"), "{out}");
    let o = run(&["config", "diff", "--json", &master, changed.to_str().unwrap()]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["touched"][0]["kind"], "vrrp_instance");
    assert_eq!(v["touched"][0]["change"], "changed");
    let broken = scratch("diff-broken.conf", &text.replacen("priority 100", "priority 300", 1));
    let o = run(&["config", "diff", &master, broken.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    assert!(stderr(&o).contains("diff-broken.conf:"), "{}", stderr(&o));
}

/// As keepalived's getopt_long: an option given twice takes its last value (the unit's
/// DAEMON_ARGS may repeat what its ExecStart has).
#[test]
fn an_option_given_twice_takes_its_last_value() {
    let good = scratch("twice.conf", "global_defs {\n  router_id x\n}\n");
    let o = run(&["-t", "-f", "/nonexistent/a.conf", "-f", good.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = run(&["-t", "-f", good.to_str().unwrap(), "-f", "/nonexistent/a.conf"]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
}
