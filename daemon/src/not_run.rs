//! Behaviours keepalived 2.2.7 has that keepalived-rs does not (yet): a configuration asking for
//! one is refused, one line each naming where and what to do instead, never run with that part
//! silently missing (the rule of the house; docs/compat.md's "What keepalived-rs cannot run").
//! The VMAC, BFD, rule and route refusals are the VRRP plan's own (`vrrpd::plan`); these are the
//! keywords its model reads but no part of the daemon runs. Pure: the configuration in, lines out.

use conf_parser::model::vrrp::IpAddress;
use conf_parser::Config;

/// The VRRP side's refusals: global_defs' VRRP behaviours, and the
/// instances' keywords keepalived-rs does not run.
pub fn vrrp(config: &Config) -> Vec<String> {
    let mut out = Vec::new();
    let v = &config.vrrp;
    // static_ipaddress, static_routes and static_rules run (vrrpd::statics).
    let d = &config.global.global_defs;
    let at = global_defs_at(config);
    if d.disable_local_igmp {
        out.push(format!(
            "{at}disable_local_igmp is not run by keepalived-rs; remove it and set the kernel's \
             setting with sysctl instead (net.ipv4.igmp_link_local_mcast_reports = 0 in \
             /etc/sysctl.d)"
        ));
    }
    for i in &v.vrrp_instance {
        // vrrpd::firewall keeps a link-local VIP out with its interface's index; with
        // dont_track_primary (and no nftables_ifindex) keepalived 2.2.7 keys it by the
        // interface's name instead, which is not made here.
        let by_name = !i.accept && i.dont_track_primary && !d.nftables_ifindex;
        let link_local = i
            .virtual_ipaddress
            .iter()
            .chain(&i.virtual_ipaddress_excluded)
            .filter(|a| by_name && is_link_local(&a.address.addr));
        for a in link_local {
            out.push(format!(
                "{}: vrrp_instance {}: virtual address {}: keepalived-rs cannot keep a \
                 link-local VIP out by interface name, as keepalived does with \
                 dont_track_primary when accept mode is off; add nftables_ifindex to global_defs \
                 (the same rules, keyed by the interface's index)",
                a.origin, i.name, a.address
            ));
        }
        for a in &i.virtual_ipaddress {
            if let Some(option) = address_option(a) {
                out.push(format!(
                    "{}: vrrp_instance {}: virtual address {}: keepalived-rs cannot install an \
                     address with {option}; remove the option (or add that address with `ip \
                     address` in the instance's notify_master script, and remove it in \
                     notify_backup)",
                    a.origin, i.name, a.address
                ));
            }
        }
    }
    out
}

fn is_link_local(a: &std::net::IpAddr) -> bool {
    matches!(a, std::net::IpAddr::V6(v6) if v6.segments()[0] & 0xffc0 == 0xfe80)
}

/// The first option of an address keepalived-rs does not install, if any.
fn address_option(a: &IpAddress) -> Option<&'static str> {
    [(a.autojoin, "autojoin"), (a.use_vmac, "use_vmac")]
        .into_iter()
        .find(|(on, _)| *on)
        .map(|(_, option)| option)
}

/// `FILE:LINE:COL: global_defs: `, where the block is (nothing without one).
fn global_defs_at(config: &Config) -> String {
    config
        .global
        .global_defs
        .origin
        .as_ref()
        .map(|o| format!("{o}: global_defs: "))
        .unwrap_or_default()
}

/// The LVS side's refusals: global_defs' `nftables_ipvs`, which keepalived 2.2.7 runs by
/// making each virtual server of a virtual_server_group with addresses one firewall-mark
/// service, its addresses marked by nftables rules (keepalived.conf(5)); keepalived-rs would
/// make an IPVS service of each address instead, so persistence would not span the group and
/// `ipvsadm -L` would show other services. Only where a virtual server uses such a group.
pub fn lvs(config: &Config) -> Vec<String> {
    let d = &config.global.global_defs;
    if d.nftables_ipvs.is_none() {
        return Vec::new();
    }
    let groups_with_addresses: Vec<&str> = config
        .lvs
        .virtual_server_group
        .iter()
        .filter(|g| !g.addresses.is_empty())
        .map(|g| g.name.as_str())
        .collect();
    let uses_one = config.lvs.virtual_server.iter().any(|v| {
        matches!(&v.service, conf_parser::model::lvs::Service::Group { group }
            if groups_with_addresses.contains(&group.as_str()))
    });
    if !uses_one {
        return Vec::new();
    }
    vec![format!(
        "{}nftables_ipvs is not run by keepalived-rs; remove it (each address of a \
         virtual_server_group is then an IPVS service of its own), or mark the group's \
         addresses with nftables rules of your own and write the virtual server as `fwmark N`",
        global_defs_at(config)
    )]
}

/// The refusals of the whole configuration: reload's settings read by no part of the daemon.
pub fn global(config: &Config) -> Vec<String> {
    let d = &config.global.global_defs;
    let at = global_defs_at(config);
    let mut out = Vec::new();
    if d.reload_time_file.is_some() {
        out.push(format!(
            "{at}reload_time_file is not run by keepalived-rs; remove it and schedule the reload \
             instead (a systemd timer or `at` job running systemctl reload keepalived-rs)"
        ));
    }
    if d.reload_file.is_some() {
        out.push(format!(
            "{at}reload_file is not run by keepalived-rs; remove it (keepalived-rs reads the \
             whole file before a reload applies anything; `keepalived-rs status` says when the \
             last reload was applied)"
        ));
    }
    if d.config_save_dir.is_some() {
        out.push(format!(
            "{at}config_save_dir is not run by keepalived-rs; remove it (each reload logs what it \
             changed, as `keepalived-rs config diff OLD NEW` prints it)"
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(text: &str) -> Config {
        conf_parser::parse_str("k.conf", text, &conf_parser::Options::default()).config
    }

    const INSTANCE: &str = "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 1\n \
                            priority 100\n virtual_ipaddress {\n  10.0.0.1/24\n }\n";

    #[test]
    fn a_plain_configuration_is_not_refused() {
        let c = config(&format!("{INSTANCE}}}\n"));
        assert!(vrrp(&c).is_empty() && global(&c).is_empty());
    }

    #[test]
    fn instance_keywords_that_run_are_not_refused() {
        // garp_extra_if without `all` concerns VMACs only (refused on their own); run:
        // garp_extra_if all (vrrpd::plan's extra_if_addresses), dont_track_primary,
        // unicast_ttl and a peer's min_ttl/max_ttl (the plan), promote_secondaries
        // (crate::promote_secondaries), unicast_fault_no_peer (the plan's fault_no_peer);
        // track_src_ip does nothing in keepalived 2.2.7 either (conf-parser's no_effect).
        for line in [
            "garp_extra_if 30",
            "garp_extra_if all 30",
            "dont_track_primary",
            "track_src_ip\n mcast_src_ip 10.0.0.5",
            "unicast_src_ip 10.0.0.5\n unicast_ttl 10\n unicast_peer {\n  10.0.0.2 min_ttl 2 max_ttl 64\n }",
            "promote_secondaries",
            "unicast_fault_no_peer",
        ] {
            let c = config(&format!("{INSTANCE} {line}\n}}\n"));
            assert_eq!(vrrp(&c), Vec::<String>::new(), "{line}");
        }
        // interface_up_down_delays runs (vrrpd::link_delay), garp_group too (vrrpd::plan's
        // garp_groups).
        let c = config(&format!(
            "interface_up_down_delays {{\n eth0 1 0.5\n}}\ngarp_group {{\n garp_interval 0.1\n \
             interface eth0\n}}\n{INSTANCE}}}\n"
        ));
        assert_eq!(vrrp(&c), Vec::<String>::new());
    }

    /// nftables_ipvs only where a virtual server uses a group with addresses (a group of
    /// firewall marks is one service in both daemons).
    #[test]
    fn nftables_ipvs_is_refused_where_a_virtual_server_uses_a_group_of_addresses() {
        let vs = |group: &str| {
            format!(
                "global_defs {{\n nftables_ipvs\n}}\n{group}virtual_server group G {{\n \
                 lb_algo rr\n protocol TCP\n real_server 10.0.1.1 80 {{\n }}\n}}\n"
            )
        };
        let c = config(&vs(
            "virtual_server_group G {\n 10.0.0.1 80\n 10.0.0.2 80\n}\n",
        ));
        assert_eq!(lvs(&c).len(), 1, "{:?}", lvs(&c));
        assert!(lvs(&c)[0].starts_with("k.conf:1:1: global_defs: nftables_ipvs is not run"));
        let c = config(&vs("virtual_server_group G {\n fwmark 5\n}\n"));
        assert!(lvs(&c).is_empty());
        let c = config("global_defs {\n nftables_ipvs\n}\n");
        assert!(lvs(&c).is_empty());
    }

    #[test]
    fn global_behaviours_are_refused() {
        let c = config(&format!(
            "global_defs {{\n nftables\n log_unknown_vrids\n \
             reload_file /tmp/r\n rs_init_notifies\n disable_local_igmp\n}}\n\
             static_ipaddress {{\n 10.0.1.1/24 dev eth0\n}}\n\
             {INSTANCE} virtual_ipaddress {{\n  10.0.0.2/24 peer 10.0.0.9\n  10.0.0.3/24 autojoin\n }}\n}}\n"
        ));
        let out = vrrp(&c).join("\n");
        // static_ipaddress is run (vrrpd::statics).
        assert!(!out.contains("static_ipaddress"), "{out}");
        // nftables runs (vrrpd::firewall).
        assert!(!out.contains("nftables"), "{out}");
        for says in [
            "disable_local_igmp is not run",
            "virtual address 10.0.0.3/24: keepalived-rs cannot install an address with autojoin",
        ] {
            assert!(out.contains(says), "{says}: {out}");
        }
        // peer, home and mngtmpaddr are installed (netns_vip_options.rs).
        assert!(!out.contains("10.0.0.2/24"), "{out}");
        assert!(global(&c)[0].contains("reload_file is not run"));
    }
}
