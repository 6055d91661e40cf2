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
