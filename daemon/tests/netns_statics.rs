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

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::{lab_or_skip, wait_for, Lab, KEEPALIVED};

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

fn run(args: &[&str]) -> String {
    common::ip(args).unwrap_or_else(|e| panic!("{e}"))
}

/// The addresses of eth0 and eth1 (not the link-local ones, which come and go with the link).
fn kernel(ns: &str) -> String {
    let mut lines: Vec<String> = run(&["-n", ns, "-d", "-o", "addr", "show"])
        .lines()
        .filter(|l| (l.contains(" eth0") || l.contains(" eth1")) && !l.contains("fe80::"))
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    lines.sort();
    lines.join("\n")
}

/// `ip monitor address` in the namespace, its lines in a file, until stopped.
struct Monitor {
    child: Child,
    out: std::path::PathBuf,
}

impl Monitor {
    fn start(lab: &Lab, ns: &str, name: &str) -> Monitor {
        let out = lab.dir.join(format!("{name}.monitor"));
        let f = std::fs::File::create(&out).unwrap();
        let child = Command::new("ip")
            .args(["-n", ns, "-o", "monitor", "address"])
            .stdout(f)
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(300));
        Monitor { child, out }
    }

    /// The events seen, sorted (the two daemons need not send them in the same order).
    fn stop(mut self) -> Vec<String> {
        std::thread::sleep(Duration::from_millis(300));
        let _ = self.child.kill();
        let _ = self.child.wait();
        let text = std::fs::read_to_string(&self.out).unwrap_or_default();
        let mut lines: Vec<String> = text
            .lines()
            .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect();
        lines.sort();
        lines
    }
}

#[derive(Debug, PartialEq)]
struct Seen {
    states: Vec<(&'static str, String)>,
    reload_events: Vec<String>,
    /// The `Restoring deleted static address ...` lines, sorted.
    restored: Vec<String>,
}

fn observe(lab: &Lab, who: &str, want: Option<&Seen>) -> Seen {
    let ns = lab.node(0).to_string();
    let mut states = Vec::new();
    // Waits for `done` (or, for the second daemon, for the first one's picture), then lets the
    // daemon finish what it does in one go.
    let settle = |states: &mut Vec<(&'static str, String)>,
                  state: &'static str,
                  done: &dyn Fn(&str) -> bool| {
        let expected = want.and_then(|w| w.states.iter().find(|(s, _)| *s == state));
        let reached = wait_for(Duration::from_secs(15), || match expected {
            Some((_, k)) => kernel(&ns) == *k,
            None => done(&kernel(&ns)),
        });
        if reached.is_none() && expected.is_none() {
            panic!("{who}: {state} not reached:\n{}", kernel(&ns));
        }
        std::thread::sleep(Duration::from_millis(500));
        states.push((state, kernel(&ns)));
    };
    let mut d = lab.start_either(who, &ns, &conf(ADDRESSES));
    settle(&mut states, "started", &|k: &str| {
        k.contains("2001:db8::212/64") && k.contains("10.9.0.203/24")
    });
    run(&["-n", &ns, "addr", "del", "10.9.0.202/32", "dev", "eth0"]);
    run(&["-n", &ns, "addr", "del", "10.9.1.200/24", "dev", "eth1"]);
    settle(&mut states, "deleted by hand", &|k: &str| {
        k.contains("10.9.1.200/24")
    });
    let monitor = Monitor::start(lab, &ns, who);
    lab.write(&format!("{who}.conf"), &reloaded());
    d.signal(nix::sys::signal::Signal::SIGHUP);
    settle(&mut states, "reloaded", &|k: &str| {
        k.contains("10.9.1.202/24") && k.contains("eth0:s2")
    });
    let reload_events = monitor.stop();
    run(&["-n", &ns, "link", "set", "eth1", "down"]);
    settle(&mut states, "eth1 down", &|k: &str| {
        !k.contains("2001:db8::212") && k.contains("2001:db8::211")
    });
    run(&["-n", &ns, "link", "set", "eth1", "up"]);
    settle(&mut states, "eth1 up", &|k: &str| {
        k.contains("eth1") && !k.contains("2001:db8::212")
    });
    assert_eq!(d.term(Duration::from_secs(10)), Some(0), "{}", d.log_text());
    states.push(("stopped", kernel(&ns)));
    let mut restored: Vec<String> = d
        .log_text()
        .lines()
        .filter_map(|l| l.split_once("Restoring deleted static address "))
        .map(|(_, a)| a.to_string())
        .collect();
    restored.sort();
    Seen {
        states,
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
    // A second link in the namespace: a veth pair, both ends here.
    run(&[
        "-n", &ns, "link", "add", "eth1", "type", "veth", "peer", "name", "eth1p",
    ]);
    run(&["-n", &ns, "addr", "add", "10.9.1.1/24", "dev", "eth1"]);
    run(&["-n", &ns, "link", "set", "eth1p", "up"]);
    run(&["-n", &ns, "link", "set", "eth1", "up"]);
    let theirs = observe(&lab, "keepalived", None);
    let at = |s: &str| {
        &theirs
            .states
            .iter()
            .find(|(n, _)| *n == s)
            .unwrap_or_else(|| panic!("{s}"))
            .1
    };
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
    for ((state, k), (_, m)) in theirs.states.iter().zip(&mine.states) {
        assert_eq!(
            m, k,
            "{state}: keepalived-rs (left) against keepalived 2.2.7 (right)"
        );
    }
    assert_eq!(
        mine.reload_events, theirs.reload_events,
        "the reload's kernel events"
    );
    assert_eq!(
        mine.restored, theirs.restored,
        "the Restoring deleted static address lines"
    );
}
