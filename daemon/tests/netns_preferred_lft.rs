//! An IPv6 virtual address's `preferred_lft`: keepalived 2.2.7 installs it valid forever and
//! preferred for N seconds, `deprecated` at once with 0, which is its default for a /128
//! (measured: `ip -6 addr` shows `preferred_lft 0sec` and `deprecated`, and `29sec` a second
//! after `preferred_lft 30`). keepalived-rs and keepalived in turn on the same file (the IPv6
//! addresses as `virtual_ipaddress_excluded` of an IPv4 instance), what the kernel shows of
//! each. Needs root for the namespace lab; skips loudly without it.

mod common;

use std::time::Duration;

use common::{ip, lab_or_skip, wait_for, Conf};

/// For each of `addrs`: whether the kernel calls it deprecated, and its preferred lifetime as
/// `ip` writes it (`forever`, `0sec`, `29sec`).
fn lifetimes(ns: &str, addrs: &[&str]) -> Vec<(bool, String)> {
    let out = ip(&["-n", ns, "-6", "addr", "show", "dev", "eth0"]).unwrap();
    let lines: Vec<&str> = out.lines().collect();
    addrs
        .iter()
        .map(|a| {
            let at = lines
                .iter()
                .position(|l| l.trim_start().starts_with(&format!("inet6 {a}/")))
                .unwrap_or_else(|| panic!("{a} not in\n{out}"));
            let preferred = lines[at + 1]
                .split_whitespace()
                .skip_while(|w| *w != "preferred_lft")
                .nth(1)
                .unwrap_or_default()
                .to_string();
            (lines[at].contains("deprecated"), preferred)
        })
        .collect()
}

#[test]
fn netns_an_ipv6_vips_preferred_lifetime_is_installed() {
    let Some(lab) = lab_or_skip(
        "netns_an_ipv6_vips_preferred_lifetime_is_installed",
        "pl",
        1,
    ) else {
        return;
    };
    let ns = lab.node(0).to_string();
    let conf = Conf {
        extra: "    virtual_ipaddress_excluded {\n        fd09::100/64\n        fd09::101/128\n        fd09::102/128 preferred_lft forever\n        fd09::103/64 preferred_lft 30\n    }\n".into(),
        ..Conf::v2("MASTER", 150)
    }
    .text();
    let addrs = ["fd09::100", "fd09::101", "fd09::102", "fd09::103"];
    for who in common::daemons_to_compare() {
        let mut d = lab.start_either(who, &ns, &conf);
        assert!(
            wait_for(Duration::from_secs(10), || lab.has(&ns, "fd09::103")).is_some(),
            "{who}: no VIPs\n{}",
            d.log_text()
        );
        std::thread::sleep(Duration::from_millis(1500));
        let got = lifetimes(&ns, &addrs);
        eprintln!("MEASURE: {who}: {got:?}");
        assert_eq!(
            d.term(Duration::from_secs(10)),
            Some(0),
            "{who}: {}",
            d.log_text()
        );
        assert_eq!(got[0], (false, "forever".to_string()), "{who}");
        assert_eq!(
            got[1],
            (true, "0sec".to_string()),
            "{who}: a /128 is deprecated"
        );
        assert_eq!(got[2], (false, "forever".to_string()), "{who}");
        assert!(
            !got[3].0 && ["28sec", "29sec"].contains(&got[3].1.as_str()),
            "{who}: {:?}",
            got[3]
        );
    }
}
