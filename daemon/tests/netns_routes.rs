//! virtual_routes and virtual_rules, keepalived 2.2.7 and keepalived-rs in turn on one file in a
//! network namespace: what `ip -d route show table all` and `ip -d rule` show must be the same
//! at each state: BACKUP at start (none of them), MASTER (all of them: route types, tables,
//! metrics, multipath, IPv6 source prefixes; rule selectors and actions, a preference keepalived
//! gives), after a reload that removes, changes and adds some (and what the kernel reports
//! while it happens: only those, not the ones that stay), BACKUP after a higher priority's
//! advert, MASTER again, FAULT (the link down) and stopped. static_routes and static_rules the
//! same way: started, reloaded, link down, link up (a tracked route put back, a `no_track` one
//! not), stopped. Needs root for the namespace lab; skips loudly without it.

mod common;

use std::time::Duration;

use common::kernel_state::{
    add_eth1, assert_same_states, ip_ok, keepalived_lines, routes_and_rules, state_at, Monitor,
    States, Steps,
};
use common::link_fault::assert_eth1_down_is_a_fault;
use common::{daemons_to_compare, lab_or_skip, Conf, Lab, KEEPALIVED};

/// The routes and rules compared, one a line (vrrpd/route_line.rs's unit test reads them too,
/// for the dump's lines of the same routes).
const ROUTES: &str = include_str!("data/route_lines.txt");
const RULES: &str = include_str!("data/rule_lines.txt");

/// `lines` indented as a block's lines in an instance.
fn block(lines: &str) -> String {
    lines.lines().map(|l| format!("        {l}\n")).collect()
}

/// An instance with `routes` and `rules`, one a line.
fn conf(routes: &str, rules: &str) -> String {
    let (routes, rules) = (block(routes), block(rules));
    Conf {
        extra: format!(
            "    virtual_routes {{\n{routes}    }}\n    virtual_rules {{\n{rules}    }}\n"
        ),
        ..Conf::v2("MASTER", 150)
    }
    .text()
}

/// The reload's file: a route and a rule removed, a rule changed (its table), one of each
/// added.
fn reloaded() -> String {
    let routes = ROUTES
        .replace(
            "203.0.113.128/25 via 10.9.0.254 dev eth0 tos 0x10\n",
            "198.51.100.128/25 via 10.9.0.254 dev eth0\n",
        )
        .replace("2001:db8:2::/48", "2001:db8:3::/48");
    let rules = RULES
        .replace("lookup 100 priority 101", "lookup 200 priority 101")
        .replace(
            "from 10.9.0.2 prohibit preference 106\n",
            "fwmark 4 table 100 preference 110\n",
        );
    conf(&routes, &rules)
}

/// What one daemon leaves in the kernel at each state, and what the kernel reported during
/// its reload.
struct Seen {
    states: States,
    reload_events: Vec<String>,
}

fn observe(lab: &Lab, who: &str, want: Option<&Seen>) -> Seen {
    let (ns, peer) = (lab.node(0).to_string(), lab.node(1).to_string());
    let mut steps = Steps::new(lab, &ns, who, routes_and_rules, want.map(|w| &w.states));
    let mut d = lab.start_either(who, &ns, &conf(ROUTES, RULES));
    d.wait_log("Entering BACKUP STATE", Duration::from_secs(10));
    steps.take("backup at start");
    steps.settle("master", |k| {
        keepalived_lines(k).len() >= 20 && k.contains("l3mdev") && k.contains("2001:db8:1::/48")
    });

    let monitor = Monitor::start(lab, &ns, who, &["monitor", "route", "rule"]);
    lab.write(&format!("{who}.conf"), &reloaded());
    d.signal(nix::sys::signal::Signal::SIGHUP);
    steps.settle("master, reloaded", |k| {
        k.contains("fwmark 0x4") && k.contains("198.51.100.128/25")
    });
    let reload_events = monitor.stop();

    // A higher priority takes over: BACKUP, none of them.
    let mut p = lab.start_keepalived(
        &peer,
        &format!("{who}-peer"),
        &Conf::v2("BACKUP", 200).text(),
    );
    steps.settle("backup", |k| keepalived_lines(k).is_empty());
    assert_eq!(p.term(Duration::from_secs(10)), Some(0), "{}", p.log_text());
    steps.settle("master again", |k| {
        keepalived_lines(k).len() >= 20 && k.contains("fwmark 0x4")
    });
    ip_ok(&["-n", &ns, "link", "set", "eth0", "down"]);
    steps.settle("fault", |k| keepalived_lines(k).is_empty());
    assert_eq!(d.term(Duration::from_secs(10)), Some(0), "{}", d.log_text());
    steps.take("stopped");
    ip_ok(&["-n", &ns, "link", "set", "eth0", "up"]);
    restore_lab_ipv6(&ns);
    Seen {
        states: steps.states,
        reload_events,
    }
}

/// The lab's IPv6 address on eth0, gone with the link it went down with: back for the next
/// daemon.
fn restore_lab_ipv6(ns: &str) {
    let _ = common::ip(&[
        "-n",
        ns,
        "addr",
        "add",
        "fd09::1/64",
        "dev",
        "eth0",
        "nodad",
    ]);
}

#[test]
fn netns_virtual_routes_and_rules_are_installed_as_keepalived_installs_them() {
    let Some(lab) = lab_or_skip(
        "netns_virtual_routes_and_rules_are_installed_as_keepalived_installs_them",
        "rt",
        2,
    ) else {
        return;
    };
    if !std::path::Path::new(KEEPALIVED).exists() {
        eprintln!("SKIP: keepalived 2.2.7 not installed: nothing to compare with");
        return;
    }
    let theirs = observe(&lab, "keepalived", None);
    // keepalived 2.2.7's picture, checked once so that the comparison means something.
    let at = |s: &str| state_at(&theirs.states, s);
    let master = at("master");
    for line in [
        "unicast 192.0.2.0/24 via 10.9.0.254 dev eth0 table main proto keepalived scope global metric 7",
        "unreachable 192.0.2.128/25 table main proto keepalived scope global",
        "unicast 2001:db8:1::/48 from fd09::100 via fd09::fe dev eth0 table main proto keepalived scope global metric 1024",
        "16384:\tfrom 10.9.0.5 lookup 100 proto keepalived",
        "108:\tfrom 10.9.0.4 lookup 100 proto 50",
    ] {
        assert!(master.contains(line), "keepalived 2.2.7: {line}\n{master}");
    }
    for state in ["backup at start", "backup", "fault", "stopped"] {
        assert_eq!(
            keepalived_lines(at(state)),
            Vec::<&str>::new(),
            "keepalived 2.2.7, {state}"
        );
    }
    assert!(
        !theirs
            .reload_events
            .iter()
            .any(|l| l.contains("192.0.2.0/24 via")),
        "a route that stays is not touched: {:?}",
        theirs.reload_events
    );
    let mine = observe(&lab, "keepalived-rs", Some(&theirs));
    assert_same_states(&mine.states, &theirs.states);
    // keepalived 2.2.7 sends the IPv6 route with a source prefix again at the reload, though
    // it stays as it was (the kernel reports it once more, measured); keepalived-rs leaves it.
    let mut expected = theirs.reload_events.clone();
    expected.retain(|l| !l.starts_with("2001:db8:1::/48 from fd09::100"));
    assert_eq!(mine.reload_events, expected, "the reload's kernel events");
}

const STATIC_ROUTES: &str = "\
    192.0.2.0/24 via 10.9.0.254 dev eth0
    198.51.100.0/24 via 10.9.0.254 dev eth0 no_track table 100
    unreachable 203.0.113.0/24
    2001:db8:2::/48 dev eth0
";

const STATIC_RULES: &str = "\
    from 10.9.0.200 table 100 preference 200
    from 10.9.0.201 table 100
    from fd09::200 table 100 preference 200
";

/// The static blocks alone (keepalived runs its VRRP side for them): no instance whose
/// takeover would change the picture while it is taken.
fn static_conf(routes: &str, rules: &str) -> String {
    format!("static_routes {{\n{routes}}}\nstatic_rules {{\n{rules}}}\n")
}

/// One daemon with static routes and rules: at start, after a reload that changes some, with
/// the link down and up again (a tracked route put back, a `no_track` one not), and stopped.
fn observe_statics(lab: &Lab, who: &str, want: Option<&Seen>) -> Seen {
    let ns = lab.node(0).to_string();
    let mut steps = Steps::new(lab, &ns, who, routes_and_rules, want.map(|w| &w.states));
    let mut d = lab.start_either(who, &ns, &static_conf(STATIC_ROUTES, STATIC_RULES));
    steps.settle("started", |k| keepalived_lines(k).len() >= 7);
    let monitor = Monitor::start(lab, &ns, who, &["monitor", "route", "rule"]);
    let routes = STATIC_ROUTES.replace("unreachable 203.0.113.0/24", "prohibit 203.0.113.0/24");
    let rules = STATIC_RULES.replace("10.9.0.201 table 100", "10.9.0.201 table 101");
    lab.write(&format!("{who}.conf"), &static_conf(&routes, &rules));
    d.signal(nix::sys::signal::Signal::SIGHUP);
    steps.settle("reloaded", |k| {
        k.contains("prohibit 203.0.113.0/24") && k.contains("lookup 101")
    });
    let reload_events = monitor.stop();
    ip_ok(&["-n", &ns, "link", "set", "eth0", "down"]);
    steps.settle("link down", |k| !k.contains("192.0.2.0/24 via"));
    ip_ok(&["-n", &ns, "link", "set", "eth0", "up"]);
    steps.settle("link up", |k| k.contains("192.0.2.0/24 via"));
    assert_eq!(d.term(Duration::from_secs(10)), Some(0), "{}", d.log_text());
    steps.take("stopped");
    restore_lab_ipv6(&ns);
    Seen {
        states: steps.states,
        reload_events,
    }
}

#[test]
fn netns_static_routes_and_rules_are_installed_as_keepalived_installs_them() {
    let Some(lab) = lab_or_skip(
        "netns_static_routes_and_rules_are_installed_as_keepalived_installs_them",
        "st",
        1,
    ) else {
        return;
    };
    if !std::path::Path::new(KEEPALIVED).exists() {
        eprintln!("SKIP: keepalived 2.2.7 not installed: nothing to compare with");
        return;
    }
    let theirs = observe_statics(&lab, "keepalived", None);
    let at = |s: &str| state_at(&theirs.states, s);
    for line in [
        "unicast 192.0.2.0/24 via 10.9.0.254 dev eth0 table main proto keepalived scope global",
        "16384:\tfrom 10.9.0.201 lookup 100 proto keepalived",
        "200:\tfrom fd09::200 lookup 100 proto keepalived",
    ] {
        assert!(
            at("started").contains(line),
            "keepalived 2.2.7: {line}\n{}",
            at("started")
        );
    }
    // The no_track route is not put back with its link; the tracked one is.
    assert!(
        !at("link up").contains("198.51.100.0/24"),
        "{}",
        at("link up")
    );
    assert_eq!(keepalived_lines(at("stopped")), Vec::<&str>::new());
    let mine = observe_statics(&lab, "keepalived-rs", Some(&theirs));
    assert_same_states(&mine.states, &theirs.states);
    // keepalived 2.2.7 sends an IPv6 route that stays again at the reload (the kernel reports
    // it once more, measured); keepalived-rs leaves it.
    let mut expected = theirs.reload_events.clone();
    expected.retain(|l| !l.starts_with("2001:db8:2::/48 dev eth0"));
    assert_eq!(mine.reload_events, expected, "the reload's kernel events");
}

/// A virtual route with a `dev` other than the instance's interface: keepalived tracks that
/// interface (FAULT while it is down, BACKUP when it is back); with `no_track` it does not.
#[test]
fn netns_a_virtual_route_s_interface_down_is_a_fault_as_in_keepalived() {
    let Some(lab) = lab_or_skip(
        "netns_a_virtual_route_s_interface_down_is_a_fault_as_in_keepalived",
        "rf",
        1,
    ) else {
        return;
    };
    let ns = lab.node(0).to_string();
    add_eth1(&ns, "10.8.0.1/24");
    let who = daemons_to_compare();
    for no_track in [false, true] {
        let text = conf(
            &format!(
                "192.0.2.0/24 via 10.8.0.254 dev eth1{}\n",
                if no_track { " no_track" } else { "" }
            ),
            "",
        );
        for who in &who {
            let case = format!("no_track {no_track}");
            assert_eth1_down_is_a_fault(&lab, &ns, who, &text, !no_track, &case);
        }
    }
}

/// The iproute2 files of the test with names (`crate::iproute2`'s syntax: hexadecimal and
/// octal numbers, blanks, a line with a third word skipped).
const IPROUTE2: &[(&str, &str)] = &[
    (
        "rt_tables",
        "255\tlocal\n254\tmain\n253\tdefault\n# ours\n9 mytable\n0x20   hexname \n77 cmt # no\n",
    ),
    ("rt_protos", "12\tbird\n18\tkeepalived\n0x63 openr\n"),
    ("rt_realms", "0\tcosmos\n5 east\n"),
    ("rt_dsfield", "0x1c lowcost\n"),
    ("group", "0\tdefault\n3 backbone\n"),
];

const NAMED_ROUTES: &str = "\
192.0.2.0/24 via 10.9.0.254 dev eth0 table mytable
198.51.100.0/24 dev eth0 table hexname realms cosmos/east tos lowcost
203.0.113.0/25 dev eth0 protocol openr no_track table 010
203.0.113.128/25 dev eth0 table cmt
192.0.2.128/27 dev eth0 rtt 10ms rttvar lock 1s rto_min 300
192.0.2.160/27 dev eth0 rtt 1601 rttvar 121s rto_min 0.25s
192.0.2.192/27 dev eth0 rtt 201.5ms
192.0.2.224/27 dev eth0 rtt 961s
";

const NAMED_RULES: &str = "\
from 10.9.0.100 table mytable preference 100
from 10.9.0.101 table 100 preference 101 realms east suppress_ifgroup backbone tos lowcost
from 10.9.0.102 table nosuch preference 102
";

/// One daemon with names from the test's files: MASTER, then a reload after the file gave
/// `mytable` another number (a reload does not read it again), stopped.
fn observe_names(lab: &Lab, who: &str, etc: &std::path::Path, want: Option<&States>) -> States {
    let ns = lab.node(0).to_string();
    for (name, text) in IPROUTE2 {
        std::fs::write(etc.join(name), text).unwrap();
    }
    let mut steps = Steps::new(lab, &ns, who, routes_and_rules, want);
    let mut d = lab.start_either_with_iproute2(who, &ns, &conf(NAMED_ROUTES, NAMED_RULES), etc);
    d.wait_log("Entering BACKUP STATE", Duration::from_secs(10));
    steps.settle("master", |k| keepalived_lines(k).len() >= 7);
    std::fs::write(
        etc.join("rt_tables"),
        IPROUTE2[0].1.replace("9 mytable", "11 mytable"),
    )
    .unwrap();
    // Without the lines with errors: a reload here refuses a file with errors (compat.md).
    let known = |text: &str| -> String {
        text.lines()
            .filter(|l| {
                !["cmt", "nosuch", "201.5ms", "961s"]
                    .iter()
                    .any(|e| l.contains(e))
            })
            .map(|l| format!("{l}\n"))
            .collect()
    };
    let routes = format!(
        "{}192.0.2.0/27 dev eth0 table mytable\n",
        known(NAMED_ROUTES)
    );
    lab.write(&format!("{who}.conf"), &conf(&routes, &known(NAMED_RULES)));
    d.signal(nix::sys::signal::Signal::SIGHUP);
    steps.settle("master, reloaded", |k| k.contains("192.0.2.0/27"));
    assert_eq!(d.term(Duration::from_secs(10)), Some(0), "{}", d.log_text());
    steps.take("stopped");
    steps.states
}

#[test]
fn netns_names_from_iproute2_files_are_resolved_as_keepalived_resolves_them() {
    let Some(lab) = lab_or_skip(
        "netns_names_from_iproute2_files_are_resolved_as_keepalived_resolves_them",
        "nm",
        1,
    ) else {
        return;
    };
    if !std::path::Path::new(KEEPALIVED).exists() {
        eprintln!("SKIP: keepalived 2.2.7 not installed: nothing to compare with");
        return;
    }
    let etc = lab.dir.join("iproute2");
    std::fs::create_dir_all(&etc).unwrap();
    let theirs = observe_names(&lab, "keepalived", &etc, None);
    let master = state_at(&theirs, "master");
    for line in [
        "unicast 192.0.2.0/24 via 10.9.0.254 dev eth0 table 9 proto keepalived",
        "unicast 198.51.100.0/24 tos 0x1c dev eth0 table 32 proto keepalived scope global realm 5",
        "unicast 203.0.113.0/25 dev eth0 table 8 proto openr",
        // Times held within 200 ms and 120 s, a bare number in the kernel's units, decimals
        // rounded; rto_min not locked.
        "192.0.2.128/27 dev eth0 table main proto keepalived scope global rtt 200ms rttvar lock 1s rto_min 300ms",
        "192.0.2.160/27 dev eth0 table main proto keepalived scope global rtt 200ms rttvar 120s rto_min 250ms",
        "192.0.2.192/27 dev eth0 table main proto keepalived scope global rtt 202ms",
        "100:\tfrom 10.9.0.100 lookup 9 proto keepalived",
        "101:\tfrom 10.9.0.101 tos 0x1c lookup 100 suppress_ifgroup 3 realms 5 proto keepalived",
    ] {
        assert!(master.contains(line), "keepalived 2.2.7: {line}\n{master}");
    }
    // Unknown names drop their lines; the file is not read again at the reload.
    for dropped in ["203.0.113.128", "10.9.0.102", "192.0.2.224"] {
        assert!(!master.contains(dropped), "{dropped}: {master}");
    }
    let reloaded = state_at(&theirs, "master, reloaded");
    assert!(
        reloaded.contains("192.0.2.0/27 dev eth0 table 9 "),
        "{reloaded}"
    );
    let mine = observe_names(&lab, "keepalived-rs", &etc, Some(&theirs));
    assert_same_states(&mine, &theirs);
}
