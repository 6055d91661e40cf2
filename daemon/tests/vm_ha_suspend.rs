//! A virtual server's `ha_suspend`, in the test VM (IPVS needed; see tests/vm/README.md):
//! keepalived-rs, then keepalived 2.2.7 (`-C`, checkers only) in the same rig.
//!
//! ```text
//!  n1 director 10.9.0.1  the daemon under test; 10.9.0.100 added to / removed from its lo
//!  n2 real     10.9.0.2  TCP listeners on 8080, 8081, 8082, counting the checks they get
//! ```
//!
//! Three virtual servers, delay_loop 1: 10.9.0.100:80 with ha_suspend (real server :8080),
//! 10.9.0.101:80 without (:8081), a group (10.9.0.102:80) with ha_suspend (:8082). Asserted of
//! both daemons, in keepalived's words: with 10.9.0.100 absent at start its checker starts
//! "Deactivating" and makes no check while the other one checks; its real server is in the
//! table (up, as it starts); the address added: "Netlink reflector reports IP 10.9.0.100
//! added", "Activating healthchecker ...", checks again; removed: "Suspending healthchecker
//! ...", no more checks, and its real server, stopped meanwhile, stays in the table until the
//! address comes back and the check resumes and takes it out. The group's checker never
//! checks, its address present or not. keepalived_check.data (SIGUSR1) says `Using HA suspend`
//! and `Enabled = no` of the suspended checkers. About 25 s in the VM for both.
//! Outside the VM the test prints one `SKIP:` line.

mod common;

use std::process::Command;
use std::time::Duration;

use common::listener::Listener;
use common::{ip, ipvs_lines, wait_for, Lab};

const CONF: &str = r#"global_defs {
    router_id director
}
virtual_server_group G {
    10.9.0.102 80
}
virtual_server 10.9.0.100 80 {
    delay_loop 1
    lb_algo rr
    lb_kind NAT
    protocol TCP
    ha_suspend
    real_server 10.9.0.2 8080 {
        TCP_CHECK {
            connect_timeout 1
            retry 0
        }
    }
}
virtual_server 10.9.0.101 80 {
    delay_loop 1
    lb_algo rr
    lb_kind NAT
    protocol TCP
    real_server 10.9.0.2 8081 {
        TCP_CHECK {
            connect_timeout 1
            retry 0
        }
    }
}
virtual_server group G {
    delay_loop 1
    lb_algo rr
    lb_kind NAT
    protocol TCP
    ha_suspend
    real_server 10.9.0.2 8082 {
        TCP_CHECK {
            connect_timeout 1
            retry 0
        }
    }
}
"#;

const RS: &str = "[10.9.0.2]:tcp:8080 for VS [10.9.0.100]:tcp:80";

/// Whether `ipvsadm -Ln` in `ns` has real server 10.9.0.2:8080.
fn in_table(ns: &str) -> bool {
    ipvs_lines(ns)
        .iter()
        .any(|l| l.starts_with("-> 10.9.0.2:8080"))
}

/// One daemon through the scenario (the lab's namespaces as they were before it, after).
fn run(lab: &Lab, who: &str) {
    let (d, r) = (lab.node(0).to_string(), lab.node(1).to_string());
    let mut suspended = Some(Listener::start(&r, "10.9.0.2:8080"));
    let other = Listener::start(&r, "10.9.0.2:8081");
    let group = Listener::start(&r, "10.9.0.2:8082");
    let tmp = lab.dir.join(format!("{who}-tmp"));
    std::fs::create_dir_all(&tmp).unwrap();
    let daemon = lab.start_checkers_either_env(who, &d, "ours", CONF, &[("TMPDIR", &tmp)]);
    let limit = Duration::from_secs(30);
    daemon.wait_log(
        &format!("Deactivating healthchecker for service {RS}"),
        limit,
    );
    daemon.wait_log(
        "Deactivating healthchecker for service [10.9.0.2]:tcp:8082 for VS [G]:0",
        limit,
    );
    daemon.wait_log(
        "Activating healthchecker for service [10.9.0.2]:tcp:8081 for VS [10.9.0.101]:tcp:80",
        limit,
    );
    // The other virtual server's checker checks; the suspended one makes no check, and its
    // real server is in the table as it started (up).
    let others = other.accepts();
    assert!(
        wait_for(limit, || other.accepts() >= others + 2).is_some(),
        "{who}: the checker without ha_suspend does not check\n{}",
        daemon.log_text()
    );
    let s = suspended.as_ref().unwrap();
    assert_eq!(s.accepts(), 0, "{who}: checked while suspended");
    assert!(in_table(&d), "{who}: {:?}", ipvs_lines(&d));
    // keepalived_check.data (SIGUSR1) says so.
    let dump = tmp.join("keepalived_check.data");
    daemon.signal(nix::sys::signal::Signal::SIGUSR1);
    let disabled = " [10.9.0.100]:tcp:80 -> [10.9.0.2]:tcp:8080\n   Enabled = no\n";
    let said = || std::fs::read_to_string(&dump).unwrap_or_default();
    assert!(
        wait_for(limit, || said().contains(disabled)).is_some(),
        "{who}: {}",
        said()
    );
    let text = said();
    assert!(text.contains(" [10.9.0.101]:tcp:80 -> [10.9.0.2]:tcp:8081\n   Enabled = yes\n"));
    assert!(text.contains(" [G]:0 -> [10.9.0.2]:tcp:8082\n   Enabled = no\n"));
    assert_eq!(
        text.matches("   Using HA suspend\n").count(),
        2,
        "{who}: {text}"
    );

    // The address comes (and the group's, which changes nothing): checks resume.
    ip(&["-n", &d, "addr", "add", "10.9.0.100/32", "dev", "lo"]).unwrap();
    ip(&["-n", &d, "addr", "add", "10.9.0.102/32", "dev", "lo"]).unwrap();
    daemon.wait_log("Netlink reflector reports IP 10.9.0.100 added", limit);
    daemon.wait_log(&format!("Activating healthchecker for service {RS}"), limit);
    assert!(
        wait_for(limit, || s.accepts() >= 2).is_some(),
        "{who}: no check once the address is there\n{}",
        daemon.log_text()
    );

    // It goes: suspended again. Its real server stops answering meanwhile: nobody notices.
    ip(&["-n", &d, "addr", "del", "10.9.0.100/32", "dev", "lo"]).unwrap();
    daemon.wait_log("Netlink reflector reports IP 10.9.0.100 removed", limit);
    daemon.wait_log(&format!("Suspending healthchecker for service {RS}"), limit);
    // A check in flight at the removal may still end.
    std::thread::sleep(Duration::from_millis(1500));
    let at_suspension = s.accepts();
    suspended.take();
    let others = other.accepts();
    assert!(wait_for(limit, || other.accepts() >= others + 3).is_some());
    assert!(
        in_table(&d),
        "{who}: a suspended checker took its real server out\n{}",
        daemon.log_text()
    );

    // Back: the check resumes, fails, and takes the real server out.
    ip(&["-n", &d, "addr", "add", "10.9.0.100/32", "dev", "lo"]).unwrap();
    assert!(
        wait_for(limit, || !in_table(&d)).is_some(),
        "{who}: the resumed check did not take the stopped real server out\n{}",
        daemon.log_text()
    );
    assert!(at_suspension >= 2);
    assert_eq!(group.accepts(), 0, "{who}: the group's checker checked");
    let log = daemon.log_text();
    for line in [
        "Netlink reflector reports IP 10.9.0.102",
        "Activating healthchecker for service [10.9.0.2]:tcp:8082",
        "Suspending healthchecker for service [10.9.0.2]:tcp:8081",
    ] {
        assert!(!log.contains(line), "{who}: {line:?} in\n{log}");
    }
    drop(daemon);
    ip(&["-n", &d, "addr", "del", "10.9.0.100/32", "dev", "lo"]).unwrap();
    ip(&["-n", &d, "addr", "del", "10.9.0.102/32", "dev", "lo"]).unwrap();
    // Nothing of this daemon's table for the next one.
    let _ = Command::new("ip")
        .args(["netns", "exec", &d, "/usr/sbin/ipvsadm", "-C"])
        .status();
}

#[test]
fn vm_ha_suspend_as_keepalived() {
    if !common::in_vm("vm_ha_suspend_as_keepalived") {
        return;
    }
    let Some(lab) = common::lab_or_skip("vm_ha_suspend_as_keepalived", "hs", 2) else {
        return;
    };
    for who in ["keepalived-rs", "keepalived"] {
        let t = std::time::Instant::now();
        run(&lab, who);
        println!(
            "MEASURE: {who}: the ha_suspend scenario took {:?}",
            t.elapsed()
        );
    }
}
