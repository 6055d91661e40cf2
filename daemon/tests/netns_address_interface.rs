//! A virtual address on another interface than the instance's (`dev eth1`), advertised or
//! excluded: keepalived 2.2.7 tracks that interface (measured: FAULT while it is down, MASTER
//! again when it is back), unless the address has `no_track`. keepalived-rs and keepalived
//! 2.2.7 in turn on the same files in a network namespace. Needs root for the namespace lab;
//! skips loudly without it.

mod common;

use std::time::Duration;

use common::{daemons_to_compare, lab_or_skip, wait_for, Conf};

fn run(args: &[&str]) {
    common::ip(args).unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn netns_an_address_s_interface_down_is_a_fault_as_in_keepalived() {
    let Some(lab) = lab_or_skip(
        "netns_an_address_s_interface_down_is_a_fault_as_in_keepalived",
        "ai",
        1,
    ) else {
        return;
    };
    let ns = lab.node(0).to_string();
    // A second link in the namespace: a veth pair, both ends here.
    run(&[
        "-n", &ns, "link", "add", "eth1", "type", "veth", "peer", "name", "eth1p",
    ]);
    run(&["-n", &ns, "addr", "add", "10.8.0.1/24", "dev", "eth1"]);
    run(&["-n", &ns, "link", "set", "eth1p", "up"]);
    run(&["-n", &ns, "link", "set", "eth1", "up"]);
    let whos = daemons_to_compare();
    for excluded in [false, true] {
        for no_track in [false, true] {
            let line = format!(
                "        10.8.0.100/24 dev eth1{}\n",
                if no_track { " no_track" } else { "" }
            );
            let extra = if excluded {
                format!("    virtual_ipaddress_excluded {{\n{line}    }}\n")
            } else {
                String::new()
            };
            let mut conf = Conf {
                extra,
                ..Conf::v2("MASTER", 150)
            };
            if !excluded {
                conf.vips.push(if no_track {
                    "10.8.0.100/24 dev eth1 no_track"
                } else {
                    "10.8.0.100/24 dev eth1"
                });
            }
            let case = format!("excluded {excluded}, no_track {no_track}");
            for who in &whos {
                let mut d = lab.start_either(who, &ns, &conf.text());
                let has_vip = || lab.has(&ns, "10.9.0.100");
                assert!(
                    wait_for(Duration::from_secs(10), has_vip).is_some(),
                    "{who}, {case}: {}",
                    d.log_text()
                );
                run(&["-n", &ns, "link", "set", "eth1", "down"]);
                let fault = wait_for(Duration::from_secs(3), || {
                    d.log_text().contains("Entering FAULT STATE")
                });
                // The line is logged before the VIP is removed: wait for that too, while the
                // link is still down.
                let vip_gone =
                    fault.is_some() && wait_for(Duration::from_secs(3), || !has_vip()).is_some();
                run(&["-n", &ns, "link", "set", "eth1", "up"]);
                assert_eq!(
                    fault.is_some(),
                    !no_track,
                    "{who}, {case}: FAULT with the address's link down\n{}",
                    d.log_text()
                );
                if !no_track {
                    assert!(vip_gone, "{who}, {case}: the VIP is gone in FAULT");
                    assert!(
                        wait_for(Duration::from_secs(10), has_vip).is_some(),
                        "{who}, {case}: MASTER again once the link is back\n{}",
                        d.log_text()
                    );
                }
                assert_eq!(d.term(Duration::from_secs(10)), Some(0), "{}", d.log_text());
            }
        }
    }
}
