//! keepalived.data's `Static Addresses`, `Static Routes` and `Static Rules` sections and an
//! instance's `Virtual Routes` and `Virtual Rules`: keepalived-rs and keepalived 2.2.7 in turn
//! on one file in a network namespace, each dumping (SIGUSR1) into a TMPDIR of its own; the
//! sections must hold the same lines, but for the notes keepalived appends to an installed
//! route (` [installed ifindex N]`, ` [dev X]`: its own bookkeeping of the kernel's events,
//! left out by keepalived-rs, docs/compat.md). Needs root for the namespace lab; skips loudly
//! without it.

mod common;

use std::path::Path;
use std::time::Duration;

use common::{lab_or_skip, wait_for, Conf, Daemon, Lab, KEEPALIVED};

const ADDRESSES: &str = "\
    10.9.0.210/24 dev eth0
    10.9.0.211/24 brd + dev eth0 label eth0:a noprefixroute
    10.9.1.210/24 dev eth1 no_track
    fd09::210/64 dev eth0
    2001:db8::211/64 dev eth1 home preferred_lft 0
";

const ROUTES: &str = "\
    192.0.2.0/24 via 10.9.0.254 dev eth0 metric 7
    198.51.100.0/24 via 10.9.0.254 dev eth0 table 100
    203.0.113.0/26 via 10.9.0.254 dev eth0 mtu lock 1400 advmss 1300 realms 3/4
    203.0.113.128/25 via 10.9.0.254 dev eth0 tos 0x10
    unreachable 192.0.2.128/25
    throw 192.0.2.32/27 table 100
    default via 10.9.0.254 dev eth0 table 100
    192.0.2.16/28 nexthop via 10.9.0.254 weight 2 nexthop via 10.9.0.253
    2001:db8:2::/48 dev eth0
    198.51.100.128/25 via 10.9.1.254 dev eth1 no_track
";

const RULES: &str = "\
    from 10.9.0.100 table 100 preference 100
    to 192.0.2.0/24 lookup 100 priority 101
    fwmark 3/0xff ipproto tcp dport 80-90 tos 0x10 nop preference 102
    not from 10.9.0.0/24 oif eth0 uidrange 1000-2000 table main suppress_prefixlength 0 preference 103
    from all realms 3/4 suppress_ifgroup 5 tunnel-id 5 table 100 preference 104
    from 10.9.0.1 unreachable preference 105
    from fd09::100 table 100 preference 100
    from 10.9.0.4 table 100 protocol 50 no_track preference 108
    to 198.51.100.0/24 goto 300 priority 109
    from 10.9.0.5 table 100
    l3mdev preference 1000
";

fn conf() -> String {
    let instance = Conf {
        extra: format!(
            "    virtual_routes {{\n{}    }}\n    virtual_rules {{\n{}    }}\n",
            ROUTES.replace("192.0.2.", "192.0.4."),
            RULES.replace("10.9.0.", "10.9.2.")
        ),
        ..Conf::v2("BACKUP", 100)
    }
    .text();
    format!(
        "static_ipaddress {{\n{ADDRESSES}}}\nstatic_routes {{\n{ROUTES}}}\nstatic_rules {{\n{RULES}}}\n{instance}"
    )
}

/// The lines of the dump's sections `names` (section headers and an instance's `Name :`
/// lists), keepalived's notes on installed routes left out.
fn sections(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut on = false;
    for line in text.lines() {
        if line.starts_with("------< ") {
            on = ["Static Addresses", "Static Routes", "Static Rules"]
                .iter()
                .any(|n| line == format!("------< {n} >------"));
        } else if line.starts_with("   ") && !line.starts_with("    ") {
            on = line == "   Virtual Routes :" || line == "   Virtual Rules :";
        } else if !line.starts_with("     ") {
            on = false;
        }
        if on {
            let line = match line
                .find(" [installed ifindex")
                .or_else(|| line.find(" [dev "))
            {
                Some(at) => &line[..at],
                None => line,
            };
            out.push(line.to_string());
        }
    }
    out
}

fn dump_of(lab: &Lab, who: &str) -> String {
    let ns = lab.node(0).to_string();
    let tmp = lab.dir.join(format!("{who}-tmp"));
    std::fs::create_dir_all(&tmp).unwrap();
    let env = [("TMPDIR", tmp.as_path())];
    let mut d: Daemon = if who == "keepalived" {
        lab.start_keepalived_env(&ns, who, &conf(), &env)
    } else {
        lab.start_ours_env(&ns, who, &conf(), &env)
    };
    d.wait_log("Entering BACKUP STATE", Duration::from_secs(10));
    // Let the static ones settle (keepalived notes what its netlink monitor saw).
    std::thread::sleep(Duration::from_millis(500));
    let path = Path::new(&tmp).join("keepalived.data");
    let pid = d.pid().expect("running");
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid as i32),
        nix::sys::signal::Signal::SIGUSR1,
    )
    .unwrap();
    wait_for(Duration::from_secs(10), || path.exists())
        .unwrap_or_else(|| panic!("{who}: no {}\n{}", path.display(), d.log_text()));
    std::thread::sleep(Duration::from_millis(300));
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(d.term(Duration::from_secs(10)), Some(0), "{}", d.log_text());
    text
}

#[test]
fn netns_static_and_virtual_routes_are_dumped_as_keepalived_dumps_them() {
    let Some(lab) = lab_or_skip(
        "netns_static_and_virtual_routes_are_dumped_as_keepalived_dumps_them",
        "ds",
        1,
    ) else {
        return;
    };
    if !Path::new(KEEPALIVED).exists() {
        eprintln!("SKIP: keepalived 2.2.7 not installed: nothing to compare with");
        return;
    }
    let ns = lab.node(0).to_string();
    common::kernel_state::add_eth1(&ns, "10.9.1.1/24");
    let theirs = sections(&dump_of(&lab, "keepalived"));
    // Each section is there, with keepalived's words for some of the lines.
    for line in [
        "------< Static Addresses >------",
        "     10.9.0.211/24 brd 10.9.0.255 dev eth0 scope global label eth0:a noprefixroute set",
        "------< Static Routes >------",
        "     add unreachable 192.0.2.128/25 proto 18 no_track",
        "------< Static Rules >------",
        "     from 0.0.0.0/0 priority 104 tos 0x0 suppress_ifgroup 5 tunnel-id 5 protocol 18 realms 3/4 lookup 100",
        "   Virtual Routes :",
        "     prepend 192.0.4.0/24 via inet 10.9.0.254 dev eth0 proto 18 metric 7",
        "   Virtual Rules :",
    ] {
        assert!(
            theirs.iter().any(|l| l == line),
            "keepalived 2.2.7: {line}\n{}",
            theirs.join("\n")
        );
    }
    let mine = sections(&dump_of(&lab, "keepalived-rs"));
    assert_eq!(
        mine.join("\n"),
        theirs.join("\n"),
        "keepalived-rs (left) against keepalived 2.2.7 (right)"
    );
}
