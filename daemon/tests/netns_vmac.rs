//! `use_vmac` (IPv4: keepalived's default name vrrp.VRID, a given name, vmac_xmit_base; a reload
//! adding and removing it), each daemon in turn on node 1 of a fresh lab with keepalived 2.2.7
//! as the lower-priority peer on node 2: what the kernel shows must be what keepalived 2.2.7
//! makes of the same file.
//!
//! - at start, before any transition: a macvlan `vrrp.51` on eth0, mode private, MAC
//!   00:00:5e:00:01:33, up, addrgenmode none; the sysctls (eth0 arp_ignore/arp_filter 1; the
//!   macvlan arp_ignore, accept_local, promote_secondaries 1, rp_filter 0, IPv6 off);
//! - MASTER: the VIP on vrrp.51, not on eth0; the adverts leave with the VMAC's MAC (the base's
//!   with `vmac_xmit_base`) and eth0's address; the gratuitous ARPs with the VMAC's MAC; the
//!   peer stays BACKUP;
//! - stop: the macvlan is gone; eth0's arp_ignore/arp_filter stay 1 (keepalived leaves them).
//!
//! The same for an IPv6 instance (its own MAC, the base's link-local address on the macvlan,
//! the nftables table that keeps the macvlan's MLD reports and router solicitations off the
//! wire): `netns_use_vmac_on_an_ipv6_instance` and its `vmac_xmit_base` form.
//!
//! Needs root for the namespace lab; skips loudly without it.

mod common;

use std::net::Ipv4Addr;
use std::process::Command;
use std::time::Duration;

use common::{ip, lab_or_skip, wait_for, Conf, Frame, Lab};

const VMAC: [u8; 6] = [0x00, 0x00, 0x5e, 0x00, 0x01, 51];

fn sysctl(ns: &str, path: &str) -> String {
    let o = Command::new("ip")
        .args(["netns", "exec", ns, "cat"])
        .arg(format!("/proc/sys/net/{path}"))
        .output()
        .unwrap();
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

/// What the kernel shows of the VMAC `name` and the sysctls, as one comparable text.
fn kernel_view(ns: &str, name: &str) -> String {
    let link = ip(&["-n", ns, "-d", "link", "show", "dev", name]).unwrap_or_default();
    let words: Vec<&str> = link.split_whitespace().collect();
    let after = |w: &str| {
        // The link's own words come after its kind's ("macvlan mode private ...").
        let from = words.iter().position(|x| *x == "macvlan").unwrap_or(0);
        words[from..]
            .iter()
            .position(|x| *x == w)
            .and_then(|i| words.get(from + i + 1))
            .copied()
            .unwrap_or("-")
    };
    let mut out = format!(
        "link: {} macvlan mode {} ether {} addrgenmode {} up {}\n",
        words.get(1).copied().unwrap_or("-"),
        after("mode"),
        words
            .iter()
            .position(|x| *x == "link/ether")
            .and_then(|i| words.get(i + 1))
            .copied()
            .unwrap_or("-"),
        after("addrgenmode"),
        link.contains(",UP,") || link.contains("<UP,") || link.contains(",UP>"),
    );
    for p in [
        "ipv4/conf/eth0/arp_ignore",
        "ipv4/conf/eth0/arp_filter",
        "ipv4/conf/VMAC/arp_ignore",
        "ipv4/conf/VMAC/arp_filter",
        "ipv4/conf/VMAC/accept_local",
        "ipv4/conf/VMAC/rp_filter",
        "ipv4/conf/VMAC/promote_secondaries",
        "ipv6/conf/VMAC/disable_ipv6",
    ] {
        let p = p.replace("VMAC", name);
        out.push_str(&format!("{p} = {}\n", sysctl(ns, &p)));
    }
    out
}

fn addresses_on(ns: &str, dev: &str) -> String {
    ip(&["-n", ns, "-4", "-br", "addr", "show", "dev", dev])
        .unwrap_or_default()
        .split_whitespace()
        .skip(2)
        .collect::<Vec<_>>()
        .join(" ")
}

/// What one daemon's run showed.
#[derive(Debug, PartialEq)]
struct Run {
    at_start: String,
    /// As MASTER: the addresses on eth0 and on the VMAC.
    on_eth0: String,
    on_vmac: String,
    /// Source MAC of the adverts from 10.9.0.1 and of the gratuitous ARPs for the VIP.
    advert_macs: Vec<[u8; 6]>,
    garp_macs: Vec<[u8; 6]>,
    /// After the stop.
    vmac_left: bool,
    base_sysctls_after: String,
}

/// How the instance asks for its VMAC.
#[derive(Clone, Copy)]
struct Form {
    /// `use_vmac`'s words.
    words: &'static str,
    /// The macvlan's name.
    name: &'static str,
    xmit_base: bool,
}

const DEFAULT: Form = Form {
    words: "",
    name: "vrrp.51",
    xmit_base: false,
};

fn run(who: &str, form: Form) -> Option<(Run, String)> {
    let Form {
        words,
        name,
        xmit_base,
    } = form;
    let tag = format!("v{}{}{}", &who[..1], u8::from(xmit_base), words.len());
    let mut lab: Lab = lab_or_skip("netns_vmac", &tag, 2)?;
    let (ns, peer_ns) = (lab.node(0).to_string(), lab.node(1).to_string());
    let mut extra = format!("    use_vmac {words}\n");
    if xmit_base {
        extra.push_str("    vmac_xmit_base\n");
    }
    let ours = Conf {
        extra,
        ..Conf::v2("BACKUP", 150)
    }
    .text();
    let mut d = lab.start_either(who, &ns, &ours);
    // The VMAC is there, up, before the instance has been anything but BACKUP.
    let made = wait_for(Duration::from_secs(10), || {
        d.log_text().contains("Entering BACKUP STATE")
    });
    assert!(made.is_some(), "{who}: {}", d.log_text());
    let at_start = kernel_view(&ns, name);
    // The peer started after us hears our first advert before its own timer runs out.
    let mut peer = lab.start_keepalived(&peer_ns, "peer", &Conf::v2("BACKUP", 50).text());
    let master = wait_for(Duration::from_secs(15), || {
        addresses_on(&ns, name).contains("10.9.0.100")
    });
    assert!(
        master.is_some(),
        "{who}: VIP on the VMAC\n{}\n{}",
        d.log_text(),
        kernel_view(&ns, name)
    );
    let vip = Ipv4Addr::new(10, 9, 0, 100);
    let me = Ipv4Addr::new(10, 9, 0, 1);
    let frames = lab.capture_until(Duration::from_secs(10), |f| {
        f.iter().filter(|f| f.is_garp_for(vip)).count() >= 5
            && f.iter().filter(|f| advert_from(f, me)).count() >= 2
    });
    let on_eth0 = addresses_on(&ns, "eth0");
    let on_vmac = addresses_on(&ns, name);
    assert!(
        !peer.log_text().contains("Entering MASTER"),
        "{who}: the peer heard us\n{}",
        peer.log_text()
    );
    let mut advert_macs: Vec<[u8; 6]> = frames
        .iter()
        .filter(|f| advert_from(f, me))
        .map(Frame::src_mac)
        .collect();
    advert_macs.dedup();
    let mut garp_macs: Vec<[u8; 6]> = frames
        .iter()
        .filter(|f| f.is_garp_for(vip))
        .map(Frame::src_mac)
        .collect();
    garp_macs.dedup();
    assert_eq!(
        d.term(Duration::from_secs(10)),
        Some(0),
        "{who}: {}",
        d.log_text()
    );
    let vmac_left = ip(&["-n", &ns, "link", "show", "dev", name]).is_ok();
    let base_sysctls_after = ["arp_ignore", "arp_filter"]
        .map(|k| sysctl(&ns, &format!("ipv4/conf/eth0/{k}")))
        .join(" ");
    peer.term(Duration::from_secs(10));
    Some((
        Run {
            at_start,
            on_eth0,
            on_vmac,
            advert_macs,
            garp_macs,
            vmac_left,
            base_sysctls_after,
        },
        d.log_text(),
    ))
}

fn advert_from(f: &Frame, src: Ipv4Addr) -> bool {
    f.vrrp4()
        .is_some_and(|(s, _, p)| s == src && p.get(2) == Some(&150))
}

fn check(form: Form) {
    let Some((ours, log)) = run("ours", form) else {
        return;
    };
    let name = form.name;
    let base_mac = Lab::mac(0);
    let want_advert = if form.xmit_base { base_mac } else { VMAC };
    assert_eq!(
        ours.at_start,
        format!(
            "link: {name}@eth0: macvlan mode private ether 00:00:5e:00:01:33 addrgenmode none up true\n\
             ipv4/conf/eth0/arp_ignore = 1\n\
             ipv4/conf/eth0/arp_filter = 1\n\
             ipv4/conf/{name}/arp_ignore = 1\n\
             ipv4/conf/{name}/arp_filter = 0\n\
             ipv4/conf/{name}/accept_local = 1\n\
             ipv4/conf/{name}/rp_filter = 0\n\
             ipv4/conf/{name}/promote_secondaries = 1\n\
             ipv6/conf/{name}/disable_ipv6 = 1\n"
        ),
        "{log}"
    );
    assert_eq!(ours.on_eth0, "10.9.0.1/24", "{log}");
    assert_eq!(ours.on_vmac, "10.9.0.100/24", "{log}");
    assert_eq!(ours.advert_macs, [want_advert], "{log}");
    assert_eq!(ours.garp_macs, [VMAC], "{log}");
    assert!(!ours.vmac_left, "{log}");
    assert_eq!(ours.base_sysctls_after, "1 1", "{log}");
    assert!(
        log.contains(&format!("(VI_1): Success creating VMAC interface {name}"))
            && log.contains(&format!("(VI_1) Success removing VMAC interface {name}")),
        "{log}"
    );
    if !std::path::Path::new(common::KEEPALIVED).exists() {
        eprintln!("SKIP: keepalived 2.2.7 not installed: its behaviour not compared");
        return;
    }
    let (theirs, their_log) = run("keepalived", form).expect("the lab ran once");
    assert_eq!(
        ours, theirs,
        "keepalived-rs, then keepalived 2.2.7\n{their_log}"
    );
}

#[test]
fn netns_use_vmac_runs_as_keepalived_does() {
    check(DEFAULT);
}

#[test]
fn netns_vmac_xmit_base_sends_adverts_from_the_base_interface() {
    check(Form {
        xmit_base: true,
        ..DEFAULT
    });
}

#[test]
fn netns_use_vmac_with_a_name() {
    check(Form {
        words: "vmac51",
        name: "vmac51",
        xmit_base: false,
    });
}

/// A reload that adds use_vmac to a running MASTER restarts it on a new VMAC, the VIP moving
/// from eth0 to the VMAC; one that takes it away removes the VMAC, the VIP back on eth0. Both
/// daemons in turn.
#[test]
fn netns_a_reload_adds_and_removes_a_vmac() {
    let plain = Conf::v2("BACKUP", 150).text();
    let with = Conf {
        extra: "    use_vmac\n".into(),
        ..Conf::v2("BACKUP", 150)
    }
    .text();
    for who in ["ours", "keepalived"] {
        if who == "keepalived" && !std::path::Path::new(common::KEEPALIVED).exists() {
            eprintln!("SKIP: keepalived 2.2.7 not installed: its behaviour not compared");
            return;
        }
        let Some(lab) = lab_or_skip(
            "netns_a_reload_adds_and_removes_a_vmac",
            &format!("vr{}", &who[..1]),
            1,
        ) else {
            return;
        };
        let ns = lab.node(0).to_string();
        let mut d = lab.start_either(who, &ns, &plain);
        let on = |dev: &str| addresses_on(&ns, dev).contains("10.9.0.100");
        assert!(
            wait_for(Duration::from_secs(15), || on("eth0")).is_some(),
            "{who}: {}",
            d.log_text()
        );
        lab.write(&format!("{who}.conf"), &with);
        d.signal(nix::sys::signal::Signal::SIGHUP);
        assert!(
            wait_for(Duration::from_secs(15), || on("vrrp.51") && !on("eth0")).is_some(),
            "{who}: the VIP on the new VMAC\n{}",
            d.log_text()
        );
        lab.write(&format!("{who}.conf"), &plain);
        d.signal(nix::sys::signal::Signal::SIGHUP);
        assert!(
            wait_for(Duration::from_secs(15), || {
                on("eth0") && ip(&["-n", &ns, "link", "show", "dev", "vrrp.51"]).is_err()
            })
            .is_some(),
            "{who}: the VMAC gone, the VIP back on eth0\n{}",
            d.log_text()
        );
        assert_eq!(
            d.term(Duration::from_secs(10)),
            Some(0),
            "{who}: {}",
            d.log_text()
        );
    }
}

/// An IPv6 instance's VMAC (VRRPv3 at 0.2 s, VIP fd09::100/64), each daemon in turn on node 1,
/// with keepalived 2.2.7 at priority 200 on node 2 holding it BACKUP until it stops:
///
/// - BACKUP: a macvlan `vrrp.51` (MAC 00:00:5e:00:02:33, addrgenmode none) with eth0's
///   link-local address (nodad, deprecated), and the `ip6 keepalived` table sending its MLD
///   reports out of eth0 and dropping its router solicitations: none leaves with the virtual MAC;
/// - MASTER (the peer stopped): the VIP on it; adverts and unsolicited NAs with the virtual MAC
///   (the adverts from eth0's with `vmac_xmit_base`, and then no link-local on the macvlan);
/// - stop: the macvlan and the table gone.
const VMAC6: [u8; 6] = [0x00, 0x00, 0x5e, 0x00, 0x02, 51];

#[derive(Debug, PartialEq)]
struct Run6 {
    link: String,
    addrs_backup: String,
    nft_backup: String,
    addrs_master: String,
    nft_master: String,
    advert_macs: Vec<[u8; 6]>,
    na_macs: Vec<[u8; 6]>,
    /// MLD reports (143) and router solicitations (133) that left with the virtual MAC.
    leaks: usize,
    left_after_stop: String,
}

fn conf6(priority: u8, extra: &str) -> String {
    format!(
        "vrrp_instance VI_1 {{\n    state BACKUP\n    interface eth0\n    virtual_router_id 51\n    \
         version 3\n    priority {priority}\n    advert_int 0.2\n{extra}    virtual_ipaddress {{\n        \
         fd09::100/64\n    }}\n}}\n"
    )
}

fn nft(ns: &str) -> String {
    let o = Command::new("ip")
        .args(["netns", "exec", ns, "nft", "list", "ruleset"])
        .output()
        .expect("nft");
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The macvlan's IPv6 addresses with their flags and lifetimes, one a line.
fn addrs6(ns: &str, dev: &str) -> String {
    let text = ip(&["-n", ns, "-6", "addr", "show", "dev", dev]).unwrap_or_default();
    text.lines()
        .filter(|l| l.trim_start().starts_with("inet6") || l.contains("_lft"))
        .map(str::trim)
        .collect::<Vec<_>>()
        .join("\n")
}

fn link6(ns: &str, dev: &str) -> String {
    let link = ip(&["-n", ns, "-d", "link", "show", "dev", dev]).unwrap_or_default();
    let words: Vec<&str> = link.split_whitespace().collect();
    let after = |w: &str| {
        words
            .iter()
            .position(|x| *x == w)
            .and_then(|i| words.get(i + 1))
            .copied()
            .unwrap_or("-")
    };
    let kind = words.iter().position(|x| *x == "macvlan").unwrap_or(0);
    let mode = words[kind..]
        .iter()
        .position(|x| *x == "mode")
        .and_then(|i| words.get(kind + i + 1))
        .copied()
        .unwrap_or("-");
    format!(
        "{} macvlan mode {mode} ether {} addrgenmode {}",
        words.get(1).copied().unwrap_or("-"),
        after("link/ether"),
        after("addrgenmode")
    )
}

fn run6(who: &str, xmit_base: bool) -> Option<(Run6, String)> {
    let tag = format!("v6{}{}", &who[..1], u8::from(xmit_base));
    let mut lab: Lab = lab_or_skip("netns_vmac", &tag, 2)?;
    let (ns, peer_ns) = (lab.node(0).to_string(), lab.node(1).to_string());
    let extra = if xmit_base {
        "    use_vmac\n    vmac_xmit_base\n"
    } else {
        "    use_vmac\n"
    };
    let mut peer = lab.start_keepalived(&peer_ns, "peer", &conf6(200, ""));
    peer.wait_log("Entering MASTER STATE", Duration::from_secs(10));
    let mut d = lab.start_either(who, &ns, &conf6(150, extra));
    d.wait_log("Entering BACKUP STATE", Duration::from_secs(10));
    // Its first MLD reports and router solicitations have gone by then.
    std::thread::sleep(Duration::from_millis(300));
    let link = link6(&ns, "vrrp.51");
    let addrs_backup = addrs6(&ns, "vrrp.51");
    let nft_backup = nft(&ns);
    peer.term(Duration::from_secs(10));
    let master = wait_for(Duration::from_secs(10), || {
        addrs6(&ns, "vrrp.51").contains("fd09::100")
    });
    assert!(master.is_some(), "{who}: {}", d.log_text());
    let vip: std::net::Ipv6Addr = "fd09::100".parse().unwrap();
    let frames = lab.capture_until(Duration::from_secs(10), |f| {
        f.iter()
            .filter(|f| f.is_na_for(vip) && f.src_mac() != Lab::mac(1))
            .count()
            >= 5
            && f.iter().filter(|f| advert6_of(f, 150)).count() >= 2
    });
    let addrs_master = addrs6(&ns, "vrrp.51");
    let nft_master = nft(&ns);
    assert_eq!(
        d.term(Duration::from_secs(10)),
        Some(0),
        "{who}: {}",
        d.log_text()
    );
    let mut advert_macs: Vec<[u8; 6]> = frames
        .iter()
        .filter(|f| advert6_of(f, 150))
        .map(Frame::src_mac)
        .collect();
    advert_macs.dedup();
    // The peer's, while it was MASTER, left out.
    let mut na_macs: Vec<[u8; 6]> = frames
        .iter()
        .filter(|f| f.is_na_for(vip) && f.src_mac() != Lab::mac(1))
        .map(Frame::src_mac)
        .collect();
    na_macs.dedup();
    let leaks = frames.iter().filter(|f| leaked(f)).count();
    let left_after_stop = format!(
        "{}{}",
        ip(&["-n", &ns, "link", "show", "dev", "vrrp.51"]).unwrap_or_default(),
        nft(&ns)
    );
    Some((
        Run6 {
            link,
            addrs_backup,
            nft_backup,
            addrs_master,
            nft_master,
            advert_macs,
            na_macs,
            leaks,
            left_after_stop,
        },
        d.log_text(),
    ))
}

/// An MLD report (after a hop-by-hop header) or a router solicitation with the virtual MAC.
fn leaked(f: &Frame) -> bool {
    let d = &f.data;
    f.src_mac() == VMAC6
        && d.len() > 62
        && d[12..14] == [0x86, 0xdd]
        && ((d[20] == 58 && d[54] == 133) || (d[20] == 0 && d[54] == 58 && d[62] == 143))
}

fn advert6_of(f: &Frame, priority: u8) -> bool {
    f.vrrp6()
        .is_some_and(|(_, _, p)| p.get(2) == Some(&priority))
}

const VMAC6_TABLE: &str = "table ip6 keepalived {
\tmap vmac_map {
\t\ttype iface_index : iface_index
\t\telements = { \"vrrp.51\" : \"eth0\" }
\t}

\tset vmac_set {
\t\ttype iface_index
\t\telements = { \"vrrp.51\" }
\t}

\tchain out {
\t\ttype filter hook output priority filter - 1; policy accept;
\t\ticmpv6 type mld2-listener-report meta oifkind \"macvlan\" dup to ip6 daddr device oif map @vmac_map drop
\t\ticmpv6 type nd-router-solicit meta oifkind \"macvlan\" oif @vmac_set drop
\t}
}
";

fn check6(xmit_base: bool) {
    let Some((ours, log)) = run6("ours", xmit_base) else {
        return;
    };
    assert_eq!(
        ours.link, "vrrp.51@eth0: macvlan mode private ether 00:00:5e:00:02:33 addrgenmode none",
        "{log}"
    );
    let link_local = "inet6 fe80::ff:fe00:1/64 scope link nodad deprecated\n\
                      valid_lft forever preferred_lft 0sec";
    if xmit_base {
        assert_eq!(ours.addrs_backup, "", "{log}");
    } else {
        assert_eq!(ours.addrs_backup, link_local, "{log}");
    }
    assert!(ours.addrs_master.contains("inet6 fd09::100/64"), "{log}");
    assert_eq!(
        ours.leaks, 0,
        "MLD reports or router solicitations with the virtual MAC\n{log}"
    );
    assert_eq!(ours.nft_backup, VMAC6_TABLE, "{log}");
    assert_eq!(ours.nft_master, VMAC6_TABLE, "{log}");
    let want_advert = if xmit_base { Lab::mac(0) } else { VMAC6 };
    assert_eq!(ours.advert_macs, [want_advert], "{log}");
    assert_eq!(ours.na_macs, [VMAC6], "{log}");
    assert_eq!(ours.left_after_stop, "", "{log}");
    assert!(
        log.contains("(VI_1): Success creating VMAC interface vrrp.51")
            && log.contains("(VI_1) Success removing VMAC interface vrrp.51"),
        "{log}"
    );
    assert_eq!(
        log.contains("Assigned address fe80::ff:fe00:1 for interface vrrp.51"),
        !xmit_base,
        "{log}"
    );
    if !std::path::Path::new(common::KEEPALIVED).exists() {
        eprintln!("SKIP: keepalived 2.2.7 not installed: its behaviour not compared");
        return;
    }
    let (theirs, their_log) = run6("keepalived", xmit_base).expect("the lab ran once");
    assert_eq!(
        ours, theirs,
        "keepalived-rs, then keepalived 2.2.7\n{their_log}"
    );
}

#[test]
fn netns_use_vmac_on_an_ipv6_instance() {
    check6(false);
}

#[test]
fn netns_vmac_xmit_base_on_an_ipv6_instance() {
    check6(true);
}
