use super::*;

fn parse(text: &str) -> Config {
    let p = conf_parser::parse_str("t.conf", text, &conf_parser::Options::default());
    assert!(p.is_ok(), "{}", p.render_diagnostics());
    p.config
}

/// keepalived 2.2.7 installs every IPv6 address with nodad, VIP or excluded, written or not
/// (measured, netns_vip_options.rs); an IPv4 one without.
#[test]
fn ipv6_vips_are_planned_with_nodad() {
    let c = parse(
        "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n version 3\n virtual_ipaddress {\n 10.0.0.100/24\n }\n virtual_ipaddress_excluded {\n 2001:db8::1/64\n }\n}\nvrrp_instance VI_6 {\n interface eth0\n virtual_router_id 52\n version 3\n virtual_ipaddress {\n fd00::1/64 home\n }\n}\n",
    );
    let p = plan(&c).unwrap();
    let nodad: Vec<(String, bool)> = p
        .instances
        .iter()
        .flat_map(|i| &i.vips)
        .map(|v| (v.addr.to_string(), v.nodad))
        .collect();
    assert_eq!(
        nodad,
        [
            ("10.0.0.100".to_string(), false),
            ("2001:db8::1".to_string(), true),
            ("fd00::1".to_string(), true)
        ]
    );
}

/// `auth_type AH`: the key is the password (8 bytes at most), the adverts' type 2; `state
/// MASTER` starts as BACKUP (conf-parser's check, as keepalived 2.2.7 clears it).
#[test]
fn v2_ah_instance() {
    let c = parse(
        "vrrp_instance VI_1 {\n state MASTER\n interface eth0\n virtual_router_id 51\n priority 150\n authentication {\n auth_type AH\n auth_pass secret\n }\n virtual_ipaddress {\n 10.0.0.100/24\n }\n}\n",
    );
    let p = plan(&c).unwrap();
    let i = &p.instances[0];
    assert_eq!(i.config.auth, Auth::Ah);
    assert_eq!(
        i.ah_key.as_ref().map(|k| k.as_bytes().to_vec()),
        Some(b"secret".to_vec())
    );
    assert_eq!(i.config.initial_state, WantedState::Backup);
}

#[test]
fn v2_pass_instance() {
    let c = parse(
        "vrrp_instance VI_1 {\n state MASTER\n interface eth0\n virtual_router_id 51\n priority 150\n advert_int 1\n authentication {\n auth_type PASS\n auth_pass secret\n }\n virtual_ipaddress {\n 10.0.0.100/24 dev eth1 label eth1:vip scope link\n 10.0.0.101\n }\n notify /bin/n\n notify_master \"/bin/m arg\"\n}\n",
    );
    let p = plan(&c).unwrap();
    let i = &p.instances[0];
    assert_eq!(i.name, "VI_1");
    assert_eq!(i.interface, "eth0");
    assert_eq!(i.config.vrid, 51);
    assert_eq!(i.config.priority, 150);
    assert_eq!(i.config.initial_state, WantedState::Master);
    assert_eq!(i.config.auth, Auth::password(b"secret"));
    assert_eq!(i.ah_key, None);
    assert_eq!(i.config.version, ProtocolVersion::V2);
    assert!(!i.ipv6);
    assert_eq!(i.vips.len(), 2);
    assert_eq!(i.vips[0].prefix_len, 24);
    assert_eq!(i.vips[0].dev, "eth1");
    assert_eq!(i.vips[0].scope, Some(253));
    assert_eq!(i.vips[0].label.as_deref(), Some("eth1:vip"));
    assert_eq!(i.vips[1].prefix_len, 32);
    assert_eq!(i.vips[1].dev, "eth0");
    let command = |s: &Option<Script>| s.as_ref().map(|s| s.command.clone());
    assert_eq!(command(&i.notify.any), Some(vec!["/bin/n".to_string()]));
    assert_eq!(
        command(&i.notify.master),
        Some(vec!["/bin/m".to_string(), "arg".to_string()])
    );
    assert_eq!(i.mcast_group, "224.0.0.18".parse::<IpAddr>().unwrap());
    assert_eq!(
        i.expected_version(),
        vrrp::Version::V2 {
            advert_interval_secs: 1,
            auth: Auth::password(b"secret")
        }
    );
}

/// keepalived 2.2.7 (measured): one address per other interface, the first there; the
/// instance's own interface is left out; without `all` nothing.
#[test]
fn garp_extra_if_all_announces_the_first_address_of_each_other_interface() {
    let text = |opt: &str| {
        format!(
            "vrrp_instance V {{\n interface eth0\n virtual_router_id 1\n {opt}\n \
             virtual_ipaddress {{\n 10.0.0.1/24\n 10.0.1.1/24 dev eth1\n 10.0.1.2/24 dev eth1\n \
             10.0.2.1/24 dev eth2\n }}\n virtual_ipaddress_excluded {{\n fd00::1/64 dev eth3\n \
             fd00::2/64 dev eth1\n }}\n}}\n"
        )
    };
    let p = plan(&parse(&text("garp_extra_if all 30"))).unwrap();
    let c = &p.instances[0].config;
    assert_eq!(c.garp_extra_if, Duration::from_secs(30));
    let want: Vec<IpAddr> = ["10.0.1.1", "10.0.2.1", "fd00::1"]
        .iter()
        .map(|a| a.parse().unwrap())
        .collect();
    assert_eq!(c.extra_if_addresses, want);
    let p = plan(&parse(&text("garp_extra_if 30"))).unwrap();
    assert_eq!(p.instances[0].config.garp_extra_if, Duration::ZERO);
}

#[test]
fn use_vmac_puts_the_vips_without_a_dev_on_the_vmac() {
    let c = parse(
        "global_defs {\n vmac_prefix vx\n}\nvrrp_instance V {\n interface eth0\n virtual_router_id 51\n use_vmac\n virtual_ipaddress {\n 10.0.0.1/24\n 10.0.0.2/24 dev eth1\n }\n}\nvrrp_instance W {\n interface eth0\n virtual_router_id 52\n use_vmac mine\n vmac_xmit_base\n virtual_ipaddress {\n 10.0.1.1/24\n }\n}\n",
    );
    let p = plan(&c).unwrap();
    assert_eq!(p.unsupported, Vec::<String>::new());
    let (v, w) = (&p.instances[0], &p.instances[1]);
    let vm = v.vmac.as_ref().unwrap();
    assert_eq!(
        (vm.name.as_str(), vm.base.as_str(), vm.mac, vm.xmit_base),
        ("vx.51", "eth0", [0, 0, 0x5e, 0, 1, 51], false)
    );
    assert_eq!(v.interface, "eth0");
    assert_eq!(v.send_interface(), "vx.51");
    let devs: Vec<&str> = v.vips.iter().map(|x| x.dev.as_str()).collect();
    assert_eq!(devs, ["vx.51", "eth1"]);
    assert_eq!(w.vmac.as_ref().unwrap().name, "mine");
    assert_eq!(w.send_interface(), "eth0");
    assert_eq!(w.vips[0].dev, "mine");
}

/// An IPv6 instance's VMAC: RFC 5798's IPv6 MAC, the VIPs on it, the adverts from it (from
/// the base with vmac_xmit_base).
#[test]
fn an_ipv6_instance_runs_use_vmac() {
    let p = plan(&parse(
        "vrrp_instance V {\n interface eth0\n virtual_router_id 51\n use_vmac\n virtual_ipaddress {\n fd00::1/64\n }\n}\nvrrp_instance W {\n interface eth0\n virtual_router_id 52\n use_vmac v52\n vmac_xmit_base\n virtual_ipaddress {\n fd00::2/64\n }\n}\n",
    ))
    .unwrap();
    assert!(p.unsupported.is_empty(), "{:?}", p.unsupported);
    let (v, w) = (&p.instances[0], &p.instances[1]);
    let vm = v.vmac.as_ref().unwrap();
    assert!(vm.ipv6);
    assert_eq!(
        (vm.name.as_str(), vm.mac),
        ("vrrp.51", [0, 0, 0x5e, 0, 2, 51])
    );
    assert_eq!(
        (v.send_interface(), v.vips[0].dev.as_str()),
        ("vrrp.51", "vrrp.51")
    );
    assert_eq!(
        (w.send_interface(), w.vips[0].dev.as_str()),
        ("eth0", "v52")
    );
}

#[test]
fn the_use_vmac_forms_not_run_are_refused() {
    for (words, says) in [
        (
            "use_vmac v1 02:11:22:33:44:55\n",
            "use_vmac with a MAC address is not run",
        ),
        ("use_vmac\n use_vmac_addr\n", "use_vmac_addr is not run"),
        (
            "use_vmac\n garp_extra_if 30\n",
            "garp_extra_if (gratuitous ARPs on a VMAC's base",
        ),
    ] {
        let c = parse(&format!(
            "vrrp_instance V {{\n interface eth0\n virtual_router_id 51\n {words} virtual_ipaddress {{\n 10.0.0.1/24\n }}\n}}\n"
        ));
        let p = plan(&c).unwrap();
        assert_eq!(p.unsupported.len(), 1, "{words}: {:?}", p.unsupported);
        assert!(
            p.unsupported[0].starts_with("t.conf:1:1: vrrp_instance V: ")
                && p.unsupported[0].contains(says),
            "{words}: {:?}",
            p.unsupported
        );
    }
}

#[test]
fn vips_among_keeps_configuration_order_and_options() {
    let c = parse(
        "vrrp_instance V {\n interface eth0\n virtual_router_id 1\n virtual_ipaddress {\n 10.0.0.1/24 dev eth1\n 10.0.0.2\n 10.0.0.3\n }\n}\n",
    );
    let p = plan(&c).unwrap();
    let i = &p.instances[0];
    let ask: Vec<IpAddr> = vec!["10.0.0.3".parse().unwrap(), "10.0.0.1".parse().unwrap()];
    let got: Vec<(IpAddr, &str)> = i
        .vips_among(&ask)
        .map(|v| (v.addr, v.dev.as_str()))
        .collect();
    assert_eq!(got, vec![(ask[1], "eth1"), (ask[0], "eth0")]);
    assert_eq!(i.vips_among(&[]).count(), 0);
}

#[test]
fn v3_ipv6_nopreempt() {
    let c = parse(
        "vrrp_instance V6 {\n interface eth0\n virtual_router_id 7\n priority 100\n advert_int 0.1\n nopreempt\n virtual_ipaddress {\n fd00::100/64\n }\n}\n",
    );
    let p = plan(&c).unwrap();
    let i = &p.instances[0];
    assert!(i.ipv6);
    assert_eq!(i.config.version, ProtocolVersion::V3);
    assert!(!i.config.preempt);
    assert_eq!(i.config.advert_interval, Duration::from_millis(100));
    assert_eq!(
        i.expected_version(),
        vrrp::Version::V3 {
            max_advert_interval_cs: 10
        }
    );
    assert_eq!(i.mcast_group, "ff02::12".parse::<IpAddr>().unwrap());
}

#[test]
fn sync_group_and_tracked_interfaces() {
    let c = parse(
        "vrrp_sync_group G {\n group {\n A\n B\n }\n track_interface {\n eth9 weight -20\n }\n}\nvrrp_instance A {\n interface eth0\n virtual_router_id 1\n track_interface {\n eth1\n }\n virtual_ipaddress {\n 10.0.0.1\n }\n}\nvrrp_instance B {\n interface eth0\n virtual_router_id 2\n virtual_ipaddress {\n 10.0.0.2\n }\n}\n",
    );
    let p = plan(&c).unwrap();
    assert_eq!(p.groups.len(), 1);
    assert_eq!(p.groups[0].name, "G");
    assert_eq!(p.groups[0].members, ["A", "B"]);
    let names = |i: usize| {
        p.instances[i]
            .track_interface
            .iter()
            .map(|t| (t.name.clone(), t.weight))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        names(0),
        vec![("eth1".to_string(), 0), ("eth9".to_string(), -20)]
    );
    assert_eq!(names(1), vec![("eth9".to_string(), -20)]);
}

/// Members of a group wait for each other before going Master (keepalived 2.2.7), except in a
/// group of address owners only, which starts Master at once; an instance in no group never
/// waits.
#[test]
fn sync_group_members_are_gated_unless_all_are_owners() {
    let gates = |priorities: [u8; 3]| {
        let [a, b, c] = priorities;
        let p = plan(&parse(&format!(
            "vrrp_sync_group G {{\n group {{\n A\n B\n }}\n}}\nvrrp_instance A {{\n interface eth0\n virtual_router_id 1\n priority {a}\n virtual_ipaddress {{\n 10.0.0.1\n }}\n}}\nvrrp_instance B {{\n interface eth0\n virtual_router_id 2\n priority {b}\n virtual_ipaddress {{\n 10.0.0.2\n }}\n}}\nvrrp_instance C {{\n interface eth0\n virtual_router_id 3\n priority {c}\n virtual_ipaddress {{\n 10.0.0.3\n }}\n}}\n"
        )))
        .unwrap();
        p.instances
            .iter()
            .map(|i| i.config.sync_group_gate)
            .collect::<Vec<_>>()
    };
    assert_eq!(gates([100, 150, 100]), [true, true, false]);
    assert_eq!(gates([255, 100, 255]), [true, true, false]);
    assert_eq!(gates([255, 255, 100]), [false, false, false]);
}

#[test]
fn tracked_scripts() {
    let c = parse(
        "vrrp_script chk {\n script \"/bin/check arg\"\n interval 2\n fall 3\n rise 2\n weight -30\n user nobody\n}\nvrrp_instance A {\n interface eth0\n virtual_router_id 1\n track_script {\n chk\n }\n virtual_ipaddress {\n 10.0.0.1\n }\n}\n",
    );
    let p = plan(&c).unwrap();
    let nobody = nix::unistd::User::from_name("nobody").unwrap().unwrap();
    assert_eq!(
        p.scripts,
        vec![ScriptPlan {
            name: "chk".into(),
            command: vec!["/bin/check".into(), "arg".into()],
            run_as: RunAs {
                uid: nobody.uid.as_raw(),
                gid: nobody.gid.as_raw()
            },
            interval: Duration::from_secs(2),
            timeout: Duration::from_secs(2),
            rise: 2,
            fall: 3,
            init_fail: false,
        }]
    );
    assert_eq!(
        p.instances[0].track_script,
        vec![TrackedObj {
            name: "chk".into(),
            weight: -30,
            reverse: false
        }]
    );
}

#[test]
fn scripts_whose_user_cannot_be_had_are_left_out() {
    let c = parse(
        "global_defs {\n script_user nobody\n}\nvrrp_script bad {\n script /bin/bad\n user kars-no-such-user\n}\nvrrp_script good {\n script /bin/good\n}\nvrrp_instance A {\n interface eth0\n virtual_router_id 1\n track_script {\n bad\n good\n }\n notify_master /bin/m kars-no-such-user\n notify_backup /bin/b root\n virtual_ipaddress {\n 10.0.0.1\n }\n}\nvrrp_sync_group G {\n group {\n A\n }\n notify_fault /bin/f nobody kars-no-such-group\n}\n",
    );
    let p = plan(&c).unwrap();
    let nobody = nix::unistd::User::from_name("nobody").unwrap().unwrap();
    let i = &p.instances[0];
    assert_eq!(i.notify.master, None);
    assert_eq!(
        i.notify.backup.as_ref().map(|s| s.run_as),
        Some(RunAs::ROOT)
    );
    assert_eq!(p.groups[0].notify.fault, None);
    // keepalived removes the script; the instances tracking it do without it.
    let names: Vec<_> = p.scripts.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["good"]);
    assert_eq!(
        p.scripts[0].run_as,
        RunAs {
            uid: nobody.uid.as_raw(),
            gid: nobody.gid.as_raw()
        }
    );
    let tracked: Vec<_> = i.track_script.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(tracked, ["good"]);
    assert_eq!(p.skipped.len(), 3, "{:?}", p.skipped);
    for (line, what) in p.skipped.iter().zip([
        "t.conf:18:2: notify_master /bin/m: not run: script user kars-no-such-user",
        "t.conf:28:2: notify_fault /bin/f: not run: script group kars-no-such-group",
        "t.conf:4:1: vrrp_script bad /bin/bad: not run: script user kars-no-such-user",
    ]) {
        assert!(line.starts_with(what), "{line}");
    }
}

#[test]
fn virtual_routes_and_rules() {
    let c = parse(
        "vrrp_instance A {\n interface eth0\n virtual_router_id 1\n virtual_ipaddress {\n 10.0.0.1/24\n }\n virtual_routes {\n 192.0.2.0/24 via 10.0.0.254 dev eth0 metric 5\n 192.0.2.0/25 via 10.1.0.254 dev eth1\n 192.0.2.128/25 via 10.1.0.254 dev eth1\n 192.0.2.64/26 via 10.1.0.254 dev eth2 no_track\n blackhole 198.51.100.0/24\n default via 10.0.0.253 table 100\n 203.0.113.0/24 encap mpls 200 via 10.0.0.254\n }\n virtual_rules {\n from 10.0.0.1 table 100 preference 10\n from 10.0.0.2 table vip preference 11\n }\n}\n",
    );
    let p = plan(&c).unwrap();
    let r = &p.instances[0].routes;
    assert_eq!(r.len(), 6, "{r:?}");
    assert_eq!(r[0].to, ("192.0.2.0".parse().unwrap(), 24));
    assert_eq!(r[0].via, Some("10.0.0.254".parse().unwrap()));
    assert_eq!(r[0].dev.as_deref(), Some("eth0"));
    assert_eq!(r[0].metric, Some(5));
    assert_eq!(r[0].table, 254);
    assert!(r[0].tracked && !r[3].tracked);
    assert_eq!(r[4].kind, 6, "blackhole");
    assert_eq!(r[5].to, ("0.0.0.0".parse().unwrap(), 0));
    assert_eq!(r[5].table, 100);
    // The routes' interface is tracked (FAULT while it is down), once.
    assert_eq!(p.instances[0].implied_interfaces, ["eth1"]);
    assert_eq!(
        p.instances[0].track_interface,
        [TrackedObj {
            name: "eth1".into(),
            weight: 0,
            reverse: false
        }]
    );
    assert_eq!(p.instances[0].rules.len(), 1);
    assert_eq!(p.instances[0].rules[0].priority, 10);
    assert_eq!(
        p.unsupported,
        [
            "t.conf:14:2: vrrp_instance A: virtual route 203.0.113.0/24: keepalived-rs cannot \
             install a route with encap; add that route with `ip route` in the instance's \
             notify_master script (and remove it in notify_backup) instead",
            "t.conf:18:2: vrrp_instance A: virtual rule: keepalived-rs cannot install a rule \
             with table vip; add that rule with `ip rule` in the instance's notify_master \
             script (and remove it in notify_backup) instead",
        ]
    );
}

#[test]
fn global_defs_reach_the_instance() {
    let c = parse(
        "global_defs {\n vrrp_garp_master_repeat 2\n vrrp_garp_interval 0.01\n}\nvrrp_instance A {\n interface eth0\n virtual_router_id 9\n virtual_ipaddress {\n 10.0.0.1\n }\n}\n",
    );
    let i = &plan(&c).unwrap().instances[0];
    assert_eq!(i.config.garp_master_repeat, 2);
    assert_eq!(i.gratuitous_interval, Duration::from_millis(10));
}

/// A garp_group's interval for the addresses on its interfaces; the global one elsewhere; none
/// where the group sets none for the family (keepalived's global interval does not apply to an
/// interface of a group).
#[test]
fn a_garp_group_paces_its_interfaces() {
    let c = parse(
        "global_defs {\n vrrp_garp_interval 0.01\n vrrp_gna_interval 0.02\n}\ngarp_group {\n garp_interval 0.5\n interfaces {\n  eth0\n  eth2\n }\n}\nvrrp_instance A {\n interface eth0\n virtual_router_id 9\n virtual_ipaddress {\n 10.0.0.1\n 10.0.1.1 dev eth1\n }\n}\nvrrp_instance B {\n interface eth0\n virtual_router_id 10\n virtual_ipaddress {\n fd00::1\n }\n}\n",
    );
    let p = plan(&c).unwrap();
    let (a, b) = (&p.instances[0], &p.instances[1]);
    assert_eq!(a.gratuitous_interval_on("eth0"), Duration::from_millis(500));
    assert_eq!(a.gratuitous_interval_on("eth2"), Duration::from_millis(500));
    assert_eq!(a.gratuitous_interval_on("eth1"), Duration::from_millis(10));
    assert_eq!(b.gratuitous_interval_on("eth0"), Duration::ZERO);
    assert_eq!(b.gratuitous_interval_on("eth1"), Duration::from_millis(20));
}

/// keepalived 2.2.7 (measured): the interface of an address, advertised or excluded, with a
/// `dev` and without `no_track` is tracked (FAULT while it is down); the dump does not list it.
#[test]
fn an_address_s_interface_is_tracked_unless_no_track() {
    let c = parse(
        "vrrp_instance A {\n interface eth0\n virtual_router_id 1\n track_interface {\n eth3 weight -10\n }\n virtual_ipaddress {\n 10.0.0.1/24\n 10.1.0.1/24 dev eth1\n 10.2.0.1/24 dev eth2 no_track\n 10.3.0.1/24 dev eth3\n 10.0.0.2/24 dev eth0\n }\n virtual_ipaddress_excluded {\n 10.4.0.1/24 dev eth4\n 10.1.0.2/24 dev eth1\n 10.5.0.1/24 dev eth5 no_track\n }\n}\n",
    );
    let p = plan(&c).unwrap();
    let i = &p.instances[0];
    let tracked: Vec<(&str, i32)> = i
        .track_interface
        .iter()
        .map(|t| (t.name.as_str(), t.weight))
        .collect();
    assert_eq!(tracked, [("eth3", -10), ("eth1", 0), ("eth4", 0)]);
    assert_eq!(i.implied_interfaces, ["eth1", "eth4"]);
}

/// keepalived 2.2.7's firewall line and settings (measured): the line when an instance is not
/// in accept mode (or has a VMAC) and no firewall keyword is written; `vrrp_iptables` is
/// nftables with its own line; `nftables NAME`, `nftables_priority`, `nftables_counters` set
/// the table.
#[test]
fn the_firewall_note_and_settings() {
    let instance = |extra: &str| {
        format!(
            "vrrp_instance VI_1 {{\n interface eth0\n virtual_router_id 51\n{extra} virtual_ipaddress {{\n 10.0.0.100/24\n }}\n}}\n"
        )
    };
    let note = |text: &str| plan(&parse(text)).unwrap().firewall_note;
    let default =
        "use_vmac or no_accept/strict specified, but no firewall configured - using nftables";
    assert_eq!(
        note(&instance("")),
        None,
        "accept mode, the default without strict"
    );
    assert_eq!(note(&instance(" no_accept\n")).as_deref(), Some(default));
    assert_eq!(
        note(&format!(
            "global_defs {{\n vrrp_strict\n}}\n{}",
            instance("")
        ))
        .as_deref(),
        Some(default)
    );
    assert_eq!(note(&instance(" use_vmac\n")).as_deref(), Some(default));
    assert_eq!(
        note(&format!(
            "global_defs {{\n nftables\n}}\n{}",
            instance(" no_accept\n")
        )),
        None
    );
    assert!(note(&format!(
        "global_defs {{\n vrrp_iptables\n}}\n{}",
        instance("")
    ))
    .unwrap()
    .starts_with("iptables not supported, using nftables instead."));
    let p = plan(&parse(&format!(
        "global_defs {{\n nftables mytab\n nftables_priority -5\n nftables_counters\n}}\n{}",
        instance(" no_accept\n")
    )))
    .unwrap();
    assert_eq!(
        p.firewall,
        crate::vrrpd::firewall::Settings {
            table: "mytab".into(),
            priority: -5,
            counters: true
        }
    );
}

/// Every bfd_instance runs (tracked or not), with keepalived's defaults; track_bfd takes the
/// bfd_instance's weight unless it writes its own, and a sync group's counts for its members
/// (unweighted there: keepalived ignores weights in a sync group, the parser says so).
#[test]
fn bfd_sessions_and_track_bfd() {
    let c = parse(
        "bfd_instance b1 {\n neighbor_ip 10.0.0.9\n weight -30\n}\nbfd_instance b2 {\n neighbor_ip 10.0.0.8\n min_rx 20\n min_tx 30\n idle_tx 2000\n multiplier 3\n passive\n max_hops 5\n checker\n}\nbfd_instance b3 {\n neighbor_ip 10.0.0.7\n}\nvrrp_sync_group G {\n group {\n B\n }\n track_bfd {\n b3\n }\n}\nvrrp_instance A {\n interface eth0\n virtual_router_id 1\n track_bfd {\n b1\n b2 weight 10 reverse\n }\n virtual_ipaddress {\n 10.0.0.1\n }\n}\nvrrp_instance B {\n interface eth0\n virtual_router_id 2\n virtual_ipaddress {\n 10.0.0.2\n }\n}\n",
    );
    let p = plan(&c).unwrap();
    assert!(p.unsupported.is_empty(), "{:?}", p.unsupported);
    let names: Vec<_> = p.bfd.iter().map(|b| b.name.as_str()).collect();
    assert_eq!(names, ["b1", "b2", "b3"]);
    let b1 = &p.bfd[0];
    assert_eq!(b1.neighbor, "10.0.0.9".parse::<IpAddr>().unwrap());
    assert_eq!(
        b1.config,
        bfd::SessionConfig {
            desired_min_tx: Duration::from_millis(10),
            required_min_rx: Duration::from_millis(10),
            idle_tx: Duration::from_secs(1),
            detect_mult: 5,
            passive: false,
        }
    );
    assert_eq!((b1.ttl, b1.min_received_ttl, b1.to_vrrp), (255, 255, true));
    let b2 = &p.bfd[1];
    assert_eq!(
        b2.config,
        bfd::SessionConfig {
            desired_min_tx: Duration::from_millis(30),
            required_min_rx: Duration::from_millis(20),
            idle_tx: Duration::from_secs(2),
            detect_mult: 3,
            passive: true,
        }
    );
    assert_eq!((b2.min_received_ttl, b2.to_vrrp), (250, false));
    let tracked = |i: usize| {
        p.instances[i]
            .track_bfd
            .iter()
            .map(|t| (t.name.clone(), t.weight, t.reverse))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        tracked(0),
        [("b1".to_string(), -30, false), ("b2".to_string(), 10, true)]
    );
    assert_eq!(tracked(1), [("b3".to_string(), 0, false)], "the group's");
}

/// What the BFD loop does not run yet is refused, with what to do instead.
#[test]
fn ipv6_and_multihop_bfd_sessions_are_refused() {
    let c = parse(
        "bfd_instance b6 {\n neighbor_ip fd00::2\n}\nbfd_instance bm {\n neighbor_ip 10.0.0.9\n multihop\n}\nbfd_instance ok {\n neighbor_ip 10.0.0.8\n max_hops 255\n}\n",
    );
    let p = plan(&c).unwrap();
    assert_eq!(p.bfd.len(), 1);
    assert_eq!(p.bfd[0].min_received_ttl, 0, "max_hops 255: any TTL");
    assert_eq!(p.unsupported.len(), 2, "{:?}", p.unsupported);
    assert!(p.unsupported[0].contains("bfd_instance b6: an IPv6 neighbor_ip is not run"));
    assert!(p.unsupported[1].contains("bfd_instance bm: multihop is not run"));
}
