//! static_ipaddress, keepalived 2.2.7 and keepalived-rs in turn on one file in a network
//! namespace: what `ip -d addr` shows must be the same at each step: started (every option a
//! line takes: brd, label, noprefixroute, no_track, home, mngtmpaddr, preferred_lft, an IPv6
//! one with nodad, one without `dev` on global_defs' default_interface), after two addresses
//! were deleted by hand (the tracked one put back, the `no_track` one not), after a reload
//! that removes one, changes some (a label: removed and added again; a brd: left as it is) and
//! adds one (with what the kernel reports while it happens), with the second interface down
//! (the kernel's IPv6 addresses put back at once, a `no_track` one not) and up again, and
//! stopped (all gone). The `Restoring deleted static address ...` lines are compared too.
//! Needs root for the namespace lab; skips loudly without it.

mod common;

use std::time::Duration;

use common::kernel_state::{
    add_eth1, addresses, assert_same_states, ip_ok, state_at, Monitor, States, Steps,
};
use common::{lab_or_skip, Lab, KEEPALIVED};

const ADDRESSES: &str = "\
    10.9.0.200/24 dev eth0
    10.9.0.201/24 brd + dev eth0 label eth0:s1 noprefixroute
    10.9.0.202 dev eth0 no_track
    10.9.0.203/24
    10.9.1.200/24 dev eth1
    10.9.1.201/24 dev eth1 no_track
    fd09::200/64 dev eth0
    2001:db8::201 dev eth1
    2001:db8::211/64 dev eth1 home mngtmpaddr
    2001:db8::212/64 dev eth1 no_track preferred_lft 0
";

fn conf(addresses: &str) -> String {
    format!("global_defs {{\n    default_interface eth0\n}}\nstatic_ipaddress {{\n{addresses}}}\n")
}

/// The reload's file: one removed, a label changed, a brd changed, one added.
fn reloaded() -> String {
    conf(
        &(ADDRESSES
            .replace("10.9.0.200/24 dev eth0\n    ", "")
            .replace("label eth0:s1", "label eth0:s2")
            .replace("10.9.1.200/24 dev eth1", "10.9.1.200/24 brd + dev eth1")
            + "    10.9.1.202/24 dev eth1\n"),
    )
}

struct Seen {
    states: States,
    reload_events: Vec<String>,
    /// The `Restoring deleted static address ...` lines, sorted.
    restored: Vec<String>,
}

fn observe(lab: &Lab, who: &str, want: Option<&Seen>) -> Seen {
    let ns = lab.node(0).to_string();
    let mut steps = Steps::new(lab, &ns, who, addresses, want.map(|w| &w.states))
        .pause(Duration::from_millis(500));
    let mut d = lab.start_either(who, &ns, &conf(ADDRESSES));
    steps.settle("started", |k| {
        k.contains("2001:db8::212/64") && k.contains("10.9.0.203/24")
    });
    ip_ok(&["-n", &ns, "addr", "del", "10.9.0.202/32", "dev", "eth0"]);
    ip_ok(&["-n", &ns, "addr", "del", "10.9.1.200/24", "dev", "eth1"]);
    steps.settle("deleted by hand", |k| k.contains("10.9.1.200/24"));
    let monitor = Monitor::start(lab, &ns, who, &["-o", "monitor", "address"]);
    lab.write(&format!("{who}.conf"), &reloaded());
    d.signal(nix::sys::signal::Signal::SIGHUP);
    steps.settle("reloaded", |k| {
        k.contains("10.9.1.202/24") && k.contains("eth0:s2")
    });
    let reload_events = monitor.stop();
    ip_ok(&["-n", &ns, "link", "set", "eth1", "down"]);
    steps.settle("eth1 down", |k| {
        !k.contains("2001:db8::212") && k.contains("2001:db8::211")
    });
    ip_ok(&["-n", &ns, "link", "set", "eth1", "up"]);
    steps.settle("eth1 up", |k| {
        k.contains("eth1") && !k.contains("2001:db8::212")
    });
    assert_eq!(d.term(Duration::from_secs(10)), Some(0), "{}", d.log_text());
    steps.take("stopped");
    let mut restored: Vec<String> = d
        .log_text()
        .lines()
        .filter_map(|l| l.split_once("Restoring deleted static address "))
        .map(|(_, a)| a.to_string())
        .collect();
    restored.sort();
    Seen {
        states: steps.states,
        reload_events,
        restored,
    }
}

#[test]
fn netns_static_addresses_are_installed_as_keepalived_installs_them() {
    let Some(lab) = lab_or_skip(
        "netns_static_addresses_are_installed_as_keepalived_installs_them",
        "sa",
        1,
    ) else {
        return;
    };
    if !std::path::Path::new(KEEPALIVED).exists() {
        eprintln!("SKIP: keepalived 2.2.7 not installed: nothing to compare with");
        return;
    }
    let ns = lab.node(0).to_string();
    add_eth1(&ns, "10.9.1.1/24");
    let theirs = observe(&lab, "keepalived", None);
    let at = |s: &str| state_at(&theirs.states, s);
    for line in [
        "inet 10.9.0.201/24 brd 10.9.0.255 scope global secondary noprefixroute eth0:s1",
        "inet6 fd09::200/64 scope global nodad",
        "inet6 2001:db8::211/64 scope global nodad home mngtmpaddr",
        "inet 10.9.0.203/24 scope global secondary eth0",
    ] {
        assert!(
            at("started").contains(line),
            "keepalived 2.2.7: {line}\n{}",
            at("started")
        );
    }
    assert!(
        !at("deleted by hand").contains("10.9.0.202"),
        "{}",
        at("deleted by hand")
    );
    assert!(!at("stopped").contains("10.9.1.200"), "{}", at("stopped"));
    let mine = observe(&lab, "keepalived-rs", Some(&theirs));
    assert_same_states(&mine.states, &theirs.states);
    assert_eq!(
        mine.reload_events, theirs.reload_events,
        "the reload's kernel events"
    );
    assert_eq!(
        mine.restored, theirs.restored,
        "the Restoring deleted static address lines"
    );
}
