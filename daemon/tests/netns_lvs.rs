//! The LVS side of the daemon where the kernel has no IPVS (this host): one clear error, and
//! the VRRP side runs regardless. (With IPVS, the whole LVS-DR scenario is `vm_e2e.rs`.)
//! Needs root; skips loudly without it.

mod common;

use std::time::Duration;

use common::{lab_or_skip, wait_for, Conf};

const VIP: &str = "10.9.0.100";

#[test]
fn netns_no_ipvs_one_error_and_vrrp_still_runs() {
    if std::path::Path::new("/proc/net/ip_vs").exists() {
        eprintln!("SKIP: netns_no_ipvs_one_error_and_vrrp_still_runs: this kernel has IPVS");
        return;
    }
    let Some(lab) = lab_or_skip("netns_no_ipvs_one_error_and_vrrp_still_runs", "l", 1) else {
        return;
    };
    let a = lab.node(0).to_string();
    let mut conf = Conf::v2("MASTER", 150).text();
    conf.push_str(
        "virtual_server 10.9.0.100 80 {\n    delay_loop 1\n    lb_algo rr\n    lb_kind DR\n    protocol TCP\n    real_server 10.9.0.7 80 {\n        TCP_CHECK {\n            connect_timeout 1\n        }\n    }\n}\n",
    );
    let mut d = lab.start_ours(&a, "a", &conf);
    assert!(
        wait_for(Duration::from_secs(8), || lab.has(&a, VIP)).is_some(),
        "the VRRP side never took the VIP:\n{}",
        d.log_text()
    );
    let log = d.log_text();
    let errors: Vec<&str> = log.lines().filter(|l| l.contains("IPVS")).collect();
    assert_eq!(errors.len(), 1, "one IPVS line expected:\n{log}");
    assert!(
        errors[0].contains("ERROR") && errors[0].contains("no IPVS in this kernel"),
        "{log}"
    );
    assert!(d.running(), "the daemon died:\n{log}");
    assert_eq!(d.term(Duration::from_secs(5)), Some(0), "{}", d.log_text());
    assert!(!d.log_text().contains("panicked"), "{}", d.log_text());
}
