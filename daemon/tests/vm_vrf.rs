//! A route's `vrf NAME` on a real kernel (the test VM: the machines the netns tests run on have
//! no VRF driver), keepalived 2.2.7 and keepalived-rs in turn on one file: the route goes into
//! the VRF device's table, unless a `table` written after the `vrf` gives another; a `vrf` that
//! is not a VRF device, or no device, drops its route (the rest runs). What `ip -d route show
//! table all` shows must be the same at MASTER and stopped. Outside the VM one `SKIP:` line.

mod common;

use std::time::Duration;

use common::kernel_state::{
    assert_same_states, ip_ok, keepalived_lines, routes_and_rules, state_at, States, Steps,
};
use common::{in_vm, lab_or_skip, Conf, Lab, KEEPALIVED};

const ROUTES: &str = "\
192.0.2.1 dev eth0 vrf blue
192.0.2.2 via 10.9.0.254 dev eth0 vrf blue table 20
192.0.2.3 dev eth0 table 20 vrf blue
192.0.2.4 dev eth0 vrf red
192.0.2.5 dev eth0 vrf eth0
192.0.2.6 dev eth0 vrf nosuch
";

fn conf() -> String {
    let routes: String = ROUTES.lines().map(|l| format!("        {l}\n")).collect();
    Conf {
        extra: format!("    virtual_routes {{\n{routes}    }}\n"),
        ..Conf::v2("MASTER", 150)
    }
    .text()
}

fn observe(lab: &Lab, who: &str, want: Option<&States>) -> States {
    let ns = lab.node(0).to_string();
    let mut steps = Steps::new(lab, &ns, who, routes_and_rules, want);
    let mut d = lab.start_either(who, &ns, &conf());
    d.wait_log("Entering BACKUP STATE", Duration::from_secs(30));
    steps.settle("master", |k| keepalived_lines(k).len() >= 4);
    assert_eq!(d.term(Duration::from_secs(30)), Some(0), "{}", d.log_text());
    steps.take("stopped");
    steps.states
}

#[test]
fn vm_a_route_s_vrf_gives_its_table_as_in_keepalived() {
    if !in_vm("vm_a_route_s_vrf_gives_its_table_as_in_keepalived") {
        return;
    }
    let Some(lab) = lab_or_skip("vm_a_route_s_vrf_gives_its_table_as_in_keepalived", "vf", 1)
    else {
        return;
    };
    if !std::path::Path::new(KEEPALIVED).exists() {
        eprintln!("SKIP: keepalived 2.2.7 not installed: nothing to compare with");
        return;
    }
    let ns = lab.node(0).to_string();
    for (vrf, table) in [("blue", "10"), ("red", "0x20")] {
        ip_ok(&["-n", &ns, "link", "add", vrf, "type", "vrf", "table", table]);
        ip_ok(&["-n", &ns, "link", "set", vrf, "up"]);
    }
    let theirs = observe(&lab, "keepalived", None);
    let master = state_at(&theirs, "master");
    for line in [
        "unicast 192.0.2.1 dev eth0 table 10 proto keepalived",
        "unicast 192.0.2.2 via 10.9.0.254 dev eth0 table 20 proto keepalived",
        "unicast 192.0.2.3 dev eth0 table 10 proto keepalived",
        "unicast 192.0.2.4 dev eth0 table 32 proto keepalived",
    ] {
        assert!(master.contains(line), "keepalived 2.2.7: {line}\n{master}");
    }
    assert!(
        !master.contains("192.0.2.5") && !master.contains("192.0.2.6"),
        "{master}"
    );
    let mine = observe(&lab, "keepalived-rs", Some(&theirs));
    assert_same_states(&mine, &theirs);
}
