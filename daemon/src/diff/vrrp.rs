//! VRRP instances, sync groups and trackers, compared by name.

use std::net::IpAddr;

use vrrp::{Auth, InstanceConfig, ProtocolVersion, WantedState};

use super::{opt, secs, Change, Details, Touched};
use crate::bfdd::SessionPlan;
use crate::vrrpd::plan::{InstancePlan, Plan, TrackedObj, Vip};

/// Why an instance must be stopped and started anew rather than changed in place, if it must:
/// what its peers and the kernel know it by.
pub fn restart_reason(old: &InstancePlan, new: &InstancePlan) -> Option<String> {
    let (a, b) = (&old.config, &new.config);
    let mut d = Details::default();
    d.field("virtual_router_id", &a.vrid, &b.vrid, ToString::to_string);
    d.field("interface", &old.interface, &new.interface, Clone::clone);
    d.field("family", &old.ipv6, &new.ipv6, |v6| {
        if *v6 { "IPv6" } else { "IPv4" }.into()
    });
    d.field(
        "mode",
        &a.unicast_peers.is_empty(),
        &b.unicast_peers.is_empty(),
        |m| if *m { "multicast" } else { "unicast" }.into(),
    );
    if multicast(old) && multicast(new) {
        d.field(
            "multicast group",
            &old.mcast_group,
            &new.mcast_group,
            ToString::to_string,
        );
    }
    if !multicast(old) && !multicast(new) {
        d.field("source address", &old.src_ip, &new.src_ip, opt);
    }
    d.field(
        "unicast_fault_no_peer without peers",
        &old.fault_no_peer,
        &new.fault_no_peer,
        bool_word,
    );
    // AH's adverts are of another IP protocol: other sockets.
    d.field(
        "authentication",
        &old.ah_key.is_some(),
        &new.ah_key.is_some(),
        |ah| if *ah { "AH" } else { "not AH" }.into(),
    );
    // The macvlan is made before the instance starts and its sockets are bound to it.
    d.field("use_vmac", &old.vmac, &new.vmac, |v| match v {
        Some(v) if v.xmit_base => format!("{} (vmac_xmit_base)", v.name),
        Some(v) => v.name.clone(),
        None => "none".into(),
    });
    (!d.0.is_empty()).then(|| d.0.join(", "))
}

/// Whether keepalived 2.2.7 takes `new` for another instance than `old` (same name): a new
/// virtual_router_id, interface, unicast/multicast mode, multicast group (vrrp_mcast_group4/6)
/// or unicast source address (unicast_src_ip; measured), or family. Its reload then deletes the
/// old one (FAULT or DELETED to its notifies) and starts the new one. A new version or
/// multicast source address (mcast_src_ip) it changes in place, with no notify (measured).
pub fn is_another_instance(old: &InstancePlan, new: &InstancePlan) -> bool {
    old.config.vrid != new.config.vrid
        || old.interface != new.interface
        || multicast(old) != multicast(new)
        || old.ipv6 != new.ipv6
        || (multicast(old) && old.mcast_group != new.mcast_group)
        || (!multicast(old) && old.src_ip != new.src_ip)
}

fn multicast(p: &InstancePlan) -> bool {
    p.config.unicast_peers.is_empty()
}

fn version(v: ProtocolVersion) -> &'static str {
    match v {
        ProtocolVersion::V2 => "2",
        ProtocolVersion::V3 => "3",
    }
}

fn vip(v: &Vip) -> String {
    format!("{}/{}", v.addr, v.prefix_len)
}

fn tracked(t: &TrackedObj) -> String {
    match (t.weight, t.reverse) {
        (0, _) => t.name.clone(),
        (w, false) => format!("{} weight {w}", t.name),
        (w, true) => format!("{} weight {w} reverse", t.name),
    }
}

fn auth(a: &Auth) -> String {
    match a {
        Auth::None => "none".into(),
        // Never the password itself in a log line.
        Auth::Password(_) => "PASS (password)".into(),
        Auth::Ah => "AH".into(),
        Auth::Unknown(n) => format!("type {n}"),
    }
}

/// The in-place differences of one instance, in words.
pub fn instance_details(old: &InstancePlan, new: &InstancePlan) -> Vec<String> {
    let (a, b) = (&old.config, &new.config);
    let mut d = Details::default();
    d.field("version", &a.version, &b.version, |v| version(*v).into());
    if multicast(old) && multicast(new) {
        d.field("source address", &old.src_ip, &new.src_ip, opt);
    }
    d.field("priority", &a.priority, &b.priority, ToString::to_string);
    d.set("VIPs", &old.vips, &new.vips, |v| v.addr, vip);
    for n in &new.vips {
        if let Some(o) = old.vips.iter().find(|o| o.addr == n.addr) {
            if o != n {
                d.0.push(format!("VIP {} options changed", n.addr));
            }
        }
    }
    d.set(
        "virtual_routes",
        &old.routes,
        &new.routes,
        |r| r.clone(),
        |r| r.text.clone(),
    );
    d.set(
        "virtual_rules",
        &old.rules,
        &new.rules,
        |r| r.clone(),
        |r| r.text.clone(),
    );
    d.field("advert_int", &a.advert_interval, &b.advert_interval, secs);
    d.field("preempt", &a.preempt, &b.preempt, |p| {
        if *p { "on" } else { "nopreempt" }.into()
    });
    d.field("preempt_delay", &a.preempt_delay, &b.preempt_delay, secs);
    d.field("state", &a.initial_state, &b.initial_state, |s| {
        match s {
            WantedState::Master => "MASTER (at the next start)",
            WantedState::Backup => "BACKUP (at the next start)",
        }
        .into()
    });
    d.field("authentication", &a.auth, &b.auth, auth);
    if a.auth != b.auth && matches!((a.auth, b.auth), (Auth::Password(_), Auth::Password(_))) {
        d.0.pop();
        d.0.push("auth_pass changed".into());
    }
    if old.ah_key.is_some() && new.ah_key.is_some() && old.ah_key != new.ah_key {
        d.0.push("auth_pass changed".into());
    }
    d.field(
        "down_timer_adverts",
        &a.down_timer_adverts,
        &b.down_timer_adverts,
        ToString::to_string,
    );
    d.set(
        "unicast_peer",
        &a.unicast_peers,
        &b.unicast_peers,
        |p| *p,
        |p| p.to_string(),
    );
    garp(&mut d, a, b);
    d.field(
        "lower_prio_no_advert",
        &a.lower_prio_no_advert,
        &b.lower_prio_no_advert,
        bool_word,
    );
    d.field(
        "higher_prio_send_advert",
        &a.higher_prio_send_advert,
        &b.higher_prio_send_advert,
        bool_word,
    );
    d.field(
        "check_unicast_src",
        &a.check_unicast_src,
        &b.check_unicast_src,
        bool_word,
    );
    d.field("accept", &a.accept, &b.accept, bool_word);
    d.field(
        "skip_check_adv_addr",
        &old.skip_check_adv_addr,
        &new.skip_check_adv_addr,
        bool_word,
    );
    d.changed("checksum mode", &old.checksum, &new.checksum);
    d.field(
        "gratuitous interval",
        &old.gratuitous_interval,
        &new.gratuitous_interval,
        secs,
    );
    d.changed("garp_group intervals", &old.garp_groups, &new.garp_groups);
    d.changed("notify scripts", &old.notify, &new.notify);
    d.field(
        "promote_secondaries",
        &old.promote_secondaries,
        &new.promote_secondaries,
        bool_word,
    );
    d.set(
        "track_interface",
        &old.track_interface,
        &new.track_interface,
        |t| t.clone(),
        tracked,
    );
    d.set(
        "track_script",
        &old.track_script,
        &new.track_script,
        |t| t.clone(),
        tracked,
    );
    d.set(
        "track_file",
        &old.track_file,
        &new.track_file,
        |t| t.clone(),
        tracked,
    );
    d.set(
        "track_process",
        &old.track_process,
        &new.track_process,
        |t| t.clone(),
        tracked,
    );
    d.set(
        "track_bfd",
        &old.track_bfd,
        &new.track_bfd,
        |t| t.clone(),
        tracked,
    );
    d.0
}

fn garp(d: &mut Details, a: &InstanceConfig, b: &InstanceConfig) {
    d.field(
        "garp_master_delay",
        &a.garp_master_delay,
        &b.garp_master_delay,
        secs,
    );
    d.field(
        "garp_master_repeat",
        &a.garp_master_repeat,
        &b.garp_master_repeat,
        ToString::to_string,
    );
    d.field(
        "garp_master_refresh",
        &a.garp_master_refresh,
        &b.garp_master_refresh,
        secs,
    );
    d.field(
        "garp_master_refresh_repeat",
        &a.garp_master_refresh_repeat,
        &b.garp_master_refresh_repeat,
        ToString::to_string,
    );
    d.field(
        "garp_lower_prio_delay",
        &a.garp_lower_prio_delay,
        &b.garp_lower_prio_delay,
        |v| v.as_ref().map_or_else(|| "none".into(), secs),
    );
    d.field(
        "garp_lower_prio_repeat",
        &a.garp_lower_prio_repeat,
        &b.garp_lower_prio_repeat,
        opt,
    );
}

fn bool_word(b: &bool) -> String {
    if *b { "on" } else { "off" }.into()
}

/// Each instance added, removed, restarted or changed, in the new configuration's order (then
/// the removed ones).
pub fn instances(old: &Plan, new: &Plan) -> Vec<Touched> {
    let mut out = Vec::new();
    for n in &new.instances {
        let change = match old.instances.iter().find(|o| o.name == n.name) {
            None => Change::Added,
            Some(o) if o == n || same_but_its_group(o, n) => continue,
            Some(o) => match restart_reason(o, n) {
                Some(why) => Change::Restarted { why },
                None => Change::Changed {
                    details: instance_details(o, n),
                },
            },
        };
        out.push(Touched {
            kind: "vrrp_instance",
            name: n.name.clone(),
            change,
        });
    }
    for o in &old.instances {
        if !new.instances.iter().any(|n| n.name == o.name) {
            out.push(Touched {
                kind: "vrrp_instance",
                name: o.name.clone(),
                change: Change::Removed,
            });
        }
    }
    out
}

/// Whether two plans of an instance differ only in what its sync group decides for it
/// (`sync_group_gate`): that change is the group's, said by the group's line.
fn same_but_its_group(old: &InstancePlan, new: &InstancePlan) -> bool {
    let mut o = old.clone();
    o.config.sync_group_gate = new.config.sync_group_gate;
    o == *new
}

/// Sync groups by name: members and scripts.
pub fn groups(old: &Plan, new: &Plan) -> Vec<Touched> {
    let mut out = Vec::new();
    for n in &new.groups {
        let change = match old.groups.iter().find(|o| o.name == n.name) {
            None => Change::Added,
            Some(o) if o == n => continue,
            Some(o) => {
                let mut d = Details::default();
                d.set(
                    "members",
                    &o.members,
                    &n.members,
                    Clone::clone,
                    Clone::clone,
                );
                if d.0.is_empty() && o.members != n.members {
                    d.0.push("member order changed".into());
                }
                d.changed("notify scripts", &o.notify, &n.notify);
                Change::Changed { details: d.0 }
            }
        };
        out.push(Touched {
            kind: "vrrp_sync_group",
            name: n.name.clone(),
            change,
        });
    }
    for o in &old.groups {
        if !new.groups.iter().any(|n| n.name == o.name) {
            out.push(Touched {
                kind: "vrrp_sync_group",
                name: o.name.clone(),
                change: Change::Removed,
            });
        }
    }
    out
}

/// One kind of tracker, by name: added, removed, or restarted with new settings.
fn by_name<T: PartialEq>(
    kind: &'static str,
    old: &[T],
    new: &[T],
    name: impl Fn(&T) -> &str,
    out: &mut Vec<Touched>,
) {
    for n in new {
        let change = match old.iter().find(|o| name(o) == name(n)) {
            None => Change::Added,
            Some(o) if o == n => continue,
            Some(_) => Change::Restarted {
                why: "its settings changed".into(),
            },
        };
        out.push(Touched {
            kind,
            name: name(n).to_string(),
            change,
        });
    }
    for o in old {
        if !new.iter().any(|n| name(n) == name(o)) {
            out.push(Touched {
                kind,
                name: name(o).to_string(),
                change: Change::Removed,
            });
        }
    }
}

/// vrrp_script, track_file and vrrp_track_process trackers (those some instance tracks), and
/// bfd_instances.
pub fn trackers(old: &Plan, new: &Plan) -> Vec<Touched> {
    let mut out = Vec::new();
    by_name(
        "vrrp_script",
        &old.scripts,
        &new.scripts,
        |s| &s.name,
        &mut out,
    );
    by_name("track_file", &old.files, &new.files, |s| &s.name, &mut out);
    by_name(
        "vrrp_track_process",
        &old.processes,
        &new.processes,
        |s| &s.name,
        &mut out,
    );
    bfd_sessions(&old.bfd, &new.bfd, &mut out);
    out
}

/// bfd_instances by name: a new neighbour, source or TTL starts the session again (Down, as
/// the BFD loop does it); new timers or passive mode change it in place (a Poll Sequence).
fn bfd_sessions(old: &[SessionPlan], new: &[SessionPlan], out: &mut Vec<Touched>) {
    for n in new {
        let change = match old.iter().find(|o| o.name == n.name) {
            None => Change::Added,
            Some(o) if o == n => continue,
            Some(o) if o.neighbor != n.neighbor || o.source != n.source || o.ttl != n.ttl => {
                Change::Restarted {
                    why: "its neighbor_ip, source_ip or ttl changed".into(),
                }
            }
            Some(o) => {
                let (a, b) = (o.config, n.config);
                let us = |d: std::time::Duration| format!("{} us", d.as_micros());
                let mut details = Vec::new();
                for (what, x, y) in [
                    ("min_rx", us(a.required_min_rx), us(b.required_min_rx)),
                    ("min_tx", us(a.desired_min_tx), us(b.desired_min_tx)),
                    ("idle_tx", us(a.idle_tx), us(b.idle_tx)),
                    (
                        "multiplier",
                        a.detect_mult.to_string(),
                        b.detect_mult.to_string(),
                    ),
                    ("passive", a.passive.to_string(), b.passive.to_string()),
                    (
                        "max_hops (lowest TTL)",
                        o.min_received_ttl.to_string(),
                        n.min_received_ttl.to_string(),
                    ),
                    ("vrrp", o.to_vrrp.to_string(), n.to_vrrp.to_string()),
                ] {
                    if x != y {
                        details.push(format!("{what} {x} -> {y}"));
                    }
                }
                Change::Changed { details }
            }
        };
        out.push(Touched {
            kind: "bfd_instance",
            name: n.name.clone(),
            change,
        });
    }
    for o in old {
        if !new.iter().any(|n| n.name == o.name) {
            out.push(Touched {
                kind: "bfd_instance",
                name: o.name.clone(),
                change: Change::Removed,
            });
        }
    }
}

/// The addresses of an instance's VIPs (for the runtime: those whose options changed).
pub fn vips_with_new_options(old: &InstancePlan, new: &InstancePlan) -> Vec<IpAddr> {
    new.vips
        .iter()
        .filter(|n| old.vips.iter().any(|o| o.addr == n.addr && o != *n))
        .map(|v| v.addr)
        .collect()
}

/// What a reload changes in the kernel for a list (an instance's routes or rules): those of
/// `old` not in `new` (to remove) and those of `new` not in `old` (to add), in their order; one
/// in both, unchanged, is not touched (as keepalived).
pub fn gone_and_new<'a, T: PartialEq>(old: &'a [T], new: &'a [T]) -> (Vec<&'a T>, Vec<&'a T>) {
    (
        old.iter().filter(|o| !new.contains(o)).collect(),
        new.iter().filter(|n| !old.contains(n)).collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vrrpd::plan::plan;

    #[test]
    fn a_reload_touches_only_the_routes_and_rules_that_change() {
        let rules = |pref: &str| {
            instance(
                "VI_1",
                &format!(
                    " virtual_routes {{\n 192.0.2.0/24 via 10.0.0.254\n 198.51.100.0/24 via 10.0.0.254{pref}\n }}\n virtual_rules {{\n from 10.0.0.100 table 100 preference 100\n to 192.0.2.0/24 table 100 preference 101\n }}\n"
                ),
            )
        };
        let old = parse(&rules(""));
        let new = parse(
            &rules(" table 100").replace("to 192.0.2.0/24 table 100", "to 192.0.2.0/24 table 200"),
        );
        let (o, n) = (&old.instances[0], &new.instances[0]);
        let (gone, added) = gone_and_new(&o.routes, &n.routes);
        assert_eq!(gone, [&o.routes[1]]);
        assert_eq!(added, [&n.routes[1]]);
        let (gone, added) = gone_and_new(&o.rules, &n.rules);
        assert_eq!(gone, [&o.rules[1]]);
        assert_eq!(added, [&n.rules[1]]);
        assert_eq!(gone_and_new(&o.rules, &o.rules), (vec![], vec![]));
        assert_eq!(
            instance_details(o, n),
            [
                "virtual_routes +198.51.100.0/24 -198.51.100.0/24",
                "virtual_rules +from all to 192.0.2.0/24 -from all to 192.0.2.0/24",
            ]
        );
    }

    fn parse(text: &str) -> Plan {
        let p = conf_parser::parse_str("t.conf", text, &conf_parser::Options::default());
        assert!(p.is_ok(), "{}", p.render_diagnostics());
        plan(&p.config).unwrap()
    }

    fn instance(name: &str, extra: &str) -> String {
        format!(
            "vrrp_instance {name} {{\n state BACKUP\n interface eth0\n virtual_router_id 51\n priority 100\n\
             virtual_ipaddress {{\n  10.0.0.100/24\n }}\n{extra}}}\n"
        )
    }

    fn lines(old: &str, new: &str) -> Vec<String> {
        let (o, n) = (parse(old), parse(new));
        instances(&o, &n)
            .into_iter()
            .chain(groups(&o, &n))
            .chain(trackers(&o, &n))
            .map(|t| t.to_string())
            .collect()
    }

    #[test]
    fn the_same_file_is_no_change() {
        let c = instance("VI_1", "");
        assert!(lines(&c, &c).is_empty());
    }

    #[test]
    fn in_place_changes_are_named_with_old_and_new() {
        let old = instance("VI_1", "");
        let new = instance("VI_1", " advert_int 2\n nopreempt\n")
            .replace("priority 100", "priority 150")
            .replace("10.0.0.100/24", "10.0.0.100/24\n  10.0.0.101/24");
        assert_eq!(
            lines(&old, &new),
            ["vrrp_instance VI_1: priority 100 -> 150, VIPs +10.0.0.101/24, advert_int 1s -> 2s, preempt on -> nopreempt"]
        );
    }

    #[test]
    fn identity_changes_restart_the_instance() {
        let old = instance("VI_1", "");
        let new = old.replace("virtual_router_id 51", "virtual_router_id 52");
        assert_eq!(
            lines(&old, &new),
            ["vrrp_instance VI_1: restarted (virtual_router_id 51 -> 52)"]
        );
        let new = old.replace("interface eth0", "interface eth1");
        assert_eq!(
            lines(&old, &new),
            ["vrrp_instance VI_1: restarted (interface eth0 -> eth1)"]
        );
        let new = instance("VI_1", " unicast_peer {\n  10.0.0.2\n }\n");
        assert_eq!(
            lines(&old, &new),
            ["vrrp_instance VI_1: restarted (mode multicast -> unicast)"]
        );
        let group = |g: &str| format!("global_defs {{\n vrrp_mcast_group4 {g}\n}}\n{old}");
        let (o, n) = (parse(&group("224.0.0.18")), parse(&group("224.0.0.19")));
        assert!(is_another_instance(&o.instances[0], &n.instances[0]));
        assert_eq!(
            lines(&group("224.0.0.18"), &group("224.0.0.19")),
            ["vrrp_instance VI_1: restarted (multicast group 224.0.0.18 -> 224.0.0.19)"]
        );
        let unicast = |src: &str| {
            instance(
                "VI_1",
                &format!(" unicast_src_ip {src}\n unicast_peer {{\n  10.0.0.2\n }}\n"),
            )
        };
        let (o, n) = (parse(&unicast("10.0.0.1")), parse(&unicast("10.0.0.11")));
        assert!(is_another_instance(&o.instances[0], &n.instances[0]));
        assert_eq!(
            lines(&unicast("10.0.0.1"), &unicast("10.0.0.11")),
            ["vrrp_instance VI_1: restarted (source address 10.0.0.1 -> 10.0.0.11)"]
        );
    }

    /// keepalived 2.2.7 (measured): a new version, or a new mcast_src_ip, is changed in place.
    #[test]
    fn a_new_version_or_multicast_source_is_changed_in_place() {
        let old = instance("VI_1", " mcast_src_ip 10.0.0.1\n");
        let new = instance("VI_1", " version 3\n mcast_src_ip 10.0.0.11\n");
        let (o, n) = (parse(&old), parse(&new));
        assert_eq!(restart_reason(&o.instances[0], &n.instances[0]), None);
        assert!(!is_another_instance(&o.instances[0], &n.instances[0]));
        assert_eq!(
            lines(&old, &new),
            ["vrrp_instance VI_1: version 2 -> 3, source address 10.0.0.1 -> 10.0.0.11"]
        );
    }

    #[test]
    fn instances_added_and_removed_by_name() {
        let a = instance("VI_1", "");
        let b = instance("VI_2", "").replace("51", "52");
        assert_eq!(lines(&a, &format!("{a}{b}")), ["vrrp_instance VI_2: added"]);
        assert_eq!(
            lines(&format!("{a}{b}"), &b),
            ["vrrp_instance VI_1: removed"]
        );
        // Order alone changes nothing.
        assert!(lines(&format!("{a}{b}"), &format!("{b}{a}")).is_empty());
    }

    #[test]
    fn trackers_and_groups_by_name() {
        let script = |interval: u32| {
            format!("vrrp_script chk {{\n script /bin/true\n interval {interval}\n}}\n")
        };
        let a = instance("VI_1", " track_script {\n  chk\n }\n");
        let b = instance("VI_2", "").replace("51", "52");
        let group = |members: &str| format!("vrrp_sync_group G {{\n group {{\n{members} }}\n}}\n");
        let old = format!("{}{a}{b}{}", script(1), group("  VI_1\n"));
        let new = format!("{}{a}{b}{}", script(2), group("  VI_1\n  VI_2\n"));
        assert_eq!(
            lines(&old, &new),
            [
                // VI_2 now tracks what the group tracks (nothing): unchanged.
                "vrrp_sync_group G: members +VI_2",
                "vrrp_script chk: restarted (its settings changed)"
            ]
        );
    }

    #[test]
    fn a_password_is_never_shown() {
        let auth =
            |p: &str| format!(" authentication {{\n  auth_type PASS\n  auth_pass {p}\n }}\n");
        let l = lines(
            &instance("VI_1", &auth("secret1")),
            &instance("VI_1", &auth("secret2")),
        );
        assert_eq!(l, ["vrrp_instance VI_1: auth_pass changed"]);
    }

    #[test]
    fn an_ah_key_is_never_shown_and_ah_restarts() {
        let auth = |t: &str, p: &str| {
            format!(" authentication {{\n  auth_type {t}\n  auth_pass {p}\n }}\n")
        };
        let l = lines(
            &instance("VI_1", &auth("AH", "secret1")),
            &instance("VI_1", &auth("AH", "secret2")),
        );
        assert_eq!(l, ["vrrp_instance VI_1: auth_pass changed"]);
        let l = lines(
            &instance("VI_1", &auth("PASS", "secret1")),
            &instance("VI_1", &auth("AH", "secret1")),
        );
        assert_eq!(l.len(), 1, "{l:?}");
        assert!(l[0].contains("authentication not AH -> AH"), "{l:?}");
    }

    /// A bfd_instance's new timers change it in place (the session stays Up: a Poll Sequence,
    /// as keepalived 2.2.7's reload was seen to do); a new neighbour starts it again.
    #[test]
    fn a_bfd_session_s_timers_change_in_place_its_neighbour_restarts_it() {
        let bfd = |body: &str| format!("bfd_instance b1 {{\n{body}}}\n");
        assert_eq!(
            lines(
                &bfd(" neighbor_ip 10.0.0.2\n"),
                &bfd(" neighbor_ip 10.0.0.2\n min_rx 30\n")
            ),
            ["bfd_instance b1: min_rx 10000 us -> 30000 us"]
        );
        assert_eq!(
            lines(
                &bfd(" neighbor_ip 10.0.0.2\n"),
                &bfd(" neighbor_ip 10.0.0.3\n")
            ),
            ["bfd_instance b1: restarted (its neighbor_ip, source_ip or ttl changed)"]
        );
        assert_eq!(
            lines("", &bfd(" neighbor_ip 10.0.0.2\n")),
            ["bfd_instance b1: added"]
        );
    }
}
