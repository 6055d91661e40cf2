//! A virtual address on another interface than the instance's (`dev eth1`), advertised or
//! excluded: keepalived 2.2.7 tracks that interface (measured: FAULT while it is down, MASTER
//! again when it is back), unless the address has `no_track`. keepalived-rs and keepalived
//! 2.2.7 in turn on the same files in a network namespace. Needs root for the namespace lab;
//! skips loudly without it.

mod common;

use common::kernel_state::add_eth1;
use common::link_fault::assert_eth1_down_is_a_fault;
use common::{daemons_to_compare, lab_or_skip, Conf};

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
    add_eth1(&ns, "10.8.0.1/24");
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
                assert_eth1_down_is_a_fault(&lab, &ns, who, &conf.text(), !no_track, &case);
            }
        }
    }
}
