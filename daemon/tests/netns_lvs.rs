//! `-P` and `-C` where the kernel has no IPVS (this host): `-P` runs VRRP alone and never tries
//! IPVS; `-C` tries it and stops. (The daemon stopping without IPVS, against keepalived:
//! `netns_dropin.rs`; with IPVS, the whole LVS-DR scenario is `vm_e2e.rs`.) Needs root; skips
//! loudly without it.

mod common;

use std::time::Duration;

use common::{lab_or_skip, wait_for, Conf};

const VIP: &str = "10.9.0.100";

fn start_with(lab: &common::Lab, ns: &str, name: &str, conf: &str, flag: &str) -> common::Daemon {
    let conf = lab.write(&format!("{name}.conf"), conf);
    let mut cmd = std::process::Command::new("ip");
    cmd.args([
        "netns",
        "exec",
        ns,
        env!("CARGO_BIN_EXE_keepalived-rs"),
        "-n",
        "-l",
        flag,
        "-f",
    ])
    .arg(&conf);
    for (opt, suffix) in [("-p", ""), ("-r", "-vrrp"), ("-c", "-checkers")] {
        cmd.arg(opt)
            .arg(lab.dir.join(format!("{name}{suffix}.pid")));
    }
    common::Daemon::spawn_for_test(&mut cmd, lab.dir.join(format!("{name}.log")))
}

/// keepalived's -P (VRRP only) and -C (checkers only) select the parts that run.
#[test]
fn netns_p_and_c_select_the_parts() {
    if std::path::Path::new("/proc/net/ip_vs").exists() {
        eprintln!("SKIP: netns_p_and_c_select_the_parts: this kernel has IPVS");
        return;
    }
    let Some(lab) = lab_or_skip("netns_p_and_c_select_the_parts", "p", 2) else {
        return;
    };
    let (a, b) = (lab.node(0).to_string(), lab.node(1).to_string());
    let mut conf = Conf::v2("MASTER", 150).text();
    conf.push_str(
        "virtual_server 10.9.0.100 80 {\n    protocol TCP\n    real_server 10.9.0.7 80 {\n        TCP_CHECK {\n        }\n    }\n}\n",
    );
    // -P: VRRP runs, the LVS side is not even tried (no IPVS line).
    let mut p = start_with(&lab, &a, "p", &conf, "-P");
    assert!(
        wait_for(Duration::from_secs(8), || lab.has(&a, VIP)).is_some(),
        "-P: no VIP:\n{}",
        p.log_text()
    );
    assert!(!p.log_text().contains("IPVS"), "{}", p.log_text());
    assert_eq!(p.term(Duration::from_secs(5)), Some(0), "{}", p.log_text());
    // -C: the LVS side is tried, says there is no IPVS here, and the daemon stops (exit 1)
    // without running VRRP.
    let mut c = start_with(&lab, &b, "c", &conf, "-C");
    assert!(
        wait_for(Duration::from_secs(8), || !c.running()).is_some(),
        "-C: {}",
        c.log_text()
    );
    assert!(c.log_text().contains("no IPVS in this kernel"), "{}", c.log_text());
    assert!(!lab.has(&b, VIP), "-C took the VIP:\n{}", c.log_text());
    assert_eq!(c.term(Duration::from_secs(5)), Some(1), "{}", c.log_text());
}
