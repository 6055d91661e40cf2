//! The values of global_defs: ranges, forms, legacy spellings, findings.

#[allow(clippy::wildcard_imports)]
use super::*;

#[test]
fn process_names() {
    let (d, h) =
        defs("vrrp_process_name first\nprocess_names\nbfd_process_name mine\nprocess_name a_very_long_process_name");
    assert_eq!(h, ["t.conf:5:14: warning: process name 'a_very_long_process_name' is longer than 15 characters; it is truncated to 'a_very_long_pro'"]);
    assert_eq!(d.vrrp_process_name.as_deref(), Some("keepalived_vrrp"));
    assert_eq!(d.checker_process_name.as_deref(), Some("keepalived_lvs"));
    assert_eq!(d.bfd_process_name.as_deref(), Some("mine"));
    assert_eq!(d.process_name.as_deref(), Some("a_very_long_pro"));

    let (d, h) = defs("lvs_process_name chk");
    assert_eq!(h, ["t.conf:2:1: warning: 'lvs_process_name' is a legacy spelling of 'checker_process_name'"]);
    assert_eq!(d.checker_process_name.as_deref(), Some("chk"));
}

#[test]
fn router_id_and_lvs_id() {
    let (d, h) = defs("lvs_id io");
    assert_eq!(
        h,
        ["t.conf:2:1: warning: 'lvs_id' is a legacy spelling of 'router_id'"]
    );
    assert_eq!(d.router_id.as_deref(), Some("io"));
    let (_, h) = defs("router_id a b\nrouter_id {\n}");
    assert_eq!(
        h,
        [
            "t.conf:2:13: warning: extra argument 'b' after router_id is ignored",
            "t.conf:3:11: error: router_id does not take a { } block; it is ignored",
            "t.conf:3:1: error: router_id needs a value",
        ]
    );
}

#[test]
fn scripts() {
    let (d, h) = defs("startup_script a\nstartup_script b\nshutdown_script\nstartup_script_timeout 0\nshutdown_script_timeout 1001\nshutdown_script \"\"\nscript_user");
    assert_eq!(
        h,
        [
            "t.conf:3:1: warning: startup_script is already set; this one is ignored",
            "t.conf:4:1: error: shutdown_script needs a value",
            "t.conf:5:24: error: invalid value '0' for startup_script_timeout: must be between 1 and 1000",
            "t.conf:6:25: error: invalid value '1001' for shutdown_script_timeout: must be between 1 and 1000",
            "t.conf:7:17: error: shutdown_script needs a command",
            "t.conf:8:1: error: script_user needs a value",
        ]
    );
    assert_eq!(
        d.startup_script.map(|s| s.command),
        Some(vec!["a".to_string()])
    );
    assert!(d.shutdown_script.is_none());
    assert_eq!(d.startup_script_timeout, Timer::secs(10));
}

#[test]
fn umask_forms() {
    let cases = [
        ("022", 0o022),
        ("0x12", 0o022),
        ("18", 0o022),
        ("0", 0),
        ("IWGRP|IWOTH", 0o022),
        ("IRWXG | IRWXO", 0o077),
    ];
    for (text, want) in cases {
        let (d, h) = defs(&format!("umask {text}"));
        assert!(h.is_empty(), "{text}: {h:?}");
        assert_eq!(d.umask.0, want, "{text}");
    }
    let (d, h) = defs("umask 01000\numask IWGRP|\numask IWGRP|IWXYZ\numask 022 033");
    assert_eq!(
        h,
        [
            "t.conf:2:7: error: invalid value '01000' for umask: expected a mask of at most 0777, such as 022, or bits such as IWGRP|IWOTH; ignored, as keepalived does",
            "t.conf:3:7: error: invalid value 'IWGRP|' for umask: a bit name is missing around '|'",
            "t.conf:4:7: error: invalid value 'IWGRP|IWXYZ' for umask: unknown bit 'IWXYZ'; expected I{R,W,X}{USR,GRP,OTH} or IRWX{U,G,O} joined by '|'",
            "t.conf:5:11: warning: extra argument '033' after umask is ignored",
        ]
    );
    assert_eq!(d.umask.0, 0o022);
}

#[test]
fn email_and_smtp() {
    let (d, h) = defs("notification_email {\n}\nsmtp_server mail.example.com\nsmtp_connect_timeout 0\nnotification_email_from \"Ka <ka@example.com>\"");
    assert_eq!(
        h,
        [
            "t.conf:2:1: warning: notification_email block is empty",
            "t.conf:5:22: warning: smtp_connect_timeout must be at least 1 second; keepalived uses 1",
        ]
    );
    assert_eq!(
        d.smtp_server.as_ref().map(|s| (s.host.as_str(), s.port)),
        Some(("mail.example.com", 25))
    );
    assert_eq!(d.smtp_connect_timeout, Timer::secs(1));
    assert_eq!(
        d.notification_email_from.as_deref(),
        Some("Ka <ka@example.com>")
    );

    let (d, h) = defs("smtp_server 2001:db8::1 587\nsmtp_server bad/name\nsmtp_server 192.0.2.1 0\nnotification_email\nsmtp_alert maybe");
    assert_eq!(
        h,
        [
            "t.conf:3:13: error: invalid value 'bad/name' for smtp_server: expected an IP address or a host name",
            "t.conf:4:23: error: invalid value '0' for smtp_server: must be between 1 and 65535",
            "t.conf:5:1: error: notification_email needs a { } block",
            "t.conf:6:12: error: invalid value 'maybe' for smtp_alert: expected one of on, off, true, false, yes, no",
        ]
    );
    assert_eq!(
        d.smtp_server.as_ref().map(|s| (s.host.as_str(), s.port)),
        Some(("2001:db8::1", 587))
    );
    // A bad <BOOL> changes nothing.
    assert_eq!(d.smtp_alert, None);
}

#[test]
fn vrrp_defaults_and_errors() {
    let (d, h) = defs(
        "vrrp_mcast_group4 10.0.0.1\nvrrp_mcast_group4 ff02::1\nvrrp_mcast_group6 ff05::12\nvrrp_mcast_group6 2001:db8::1\nvrrp_version 4\nvrrp_down_timer_adverts 0\ndynamic_interfaces allow\nvrrp_startup_delay 0",
    );
    assert_eq!(
        h,
        [
            "t.conf:2:19: error: invalid value '10.0.0.1' for vrrp_mcast_group4: not a multicast address (224.0.0.0/4); ignored, as keepalived does",
            "t.conf:3:19: error: invalid value 'ff02::1' for vrrp_mcast_group4: expected an IPv4 address",
            "t.conf:4:19: warning: vrrp_mcast_group6 ff05::12 is not a link-local multicast address",
            "t.conf:5:19: error: invalid value '2001:db8::1' for vrrp_mcast_group6: not a multicast address (ff00::/8)",
            "t.conf:6:14: error: invalid value '4' for vrrp_version: must be between 2 and 3; ignored, as keepalived does",
            "t.conf:7:25: error: invalid value '0' for vrrp_down_timer_adverts: must be between 1 and 100",
            "t.conf:8:20: error: invalid value 'allow' for dynamic_interfaces: expected one of allow_if_changes",
            "t.conf:9:20: error: invalid value '0' for vrrp_startup_delay: must be between 0.001 and 4294.967295 seconds",
        ]
    );
    assert_eq!(d.vrrp_mcast_group4.to_string(), "224.0.0.18");
    assert_eq!(d.vrrp_mcast_group6.to_string(), "ff05::12");
    assert!(d.dynamic_interfaces);
    assert!(!d.dynamic_interfaces_allow_if_changes);
}

#[test]
fn vmac_prefixes() {
    let (d, h) = defs("vmac_prefix vx");
    assert!(h.is_empty());
    assert_eq!(
        (d.vmac_prefix.as_str(), d.vmac_addr_prefix.as_str()),
        ("vx", "vx")
    );
    let (d, h) = defs("vmac_addr_prefix va\nvmac_prefix vx\nvmac_prefix vy");
    assert_eq!(
        h,
        ["t.conf:4:1: warning: vmac_prefix is already set; this one is ignored"]
    );
    assert_eq!(
        (d.vmac_prefix.as_str(), d.vmac_addr_prefix.as_str()),
        ("vx", "va")
    );
}

#[test]
fn garp_follow_and_min_garp() {
    // Lower-priority values follow the master ones unless written, wherever those are written.
    let (d, h) = defs("vrrp_garp_master_delay 8\nvrrp_garp_master_repeat 3");
    assert!(h.is_empty());
    assert_eq!(
        (d.vrrp_garp_lower_prio_delay, d.vrrp_garp_lower_prio_repeat),
        (Timer::secs(8), 3)
    );

    let (d, _) = defs("vrrp_min_garp");
    assert!(d.vrrp_min_garp);
    assert_eq!(d.vrrp_garp_master_repeat, 1);
    assert_eq!(d.vrrp_garp_master_delay, Timer::secs(0));
    assert_eq!(d.vrrp_garp_master_refresh_repeat, 0);
    assert_eq!(d.vrrp_garp_lower_prio_repeat, 1);

    let (d, _) = defs("vrrp_min_garp off");
    assert!(!d.vrrp_min_garp);
    assert_eq!(d.vrrp_garp_master_repeat, 5);

    // The samples write 0 intervals; keepalived 2.2.7 refuses them (keeping its default, 0),
    // its man page allows them.
    let (d, h) = defs("vrrp_garp_interval 0\nvrrp_gna_interval 0\nvrrp_garp_master_repeat 0\nvrrp_garp_interval -1\nvrrp_garp_master_delay 1.5");
    assert_eq!(
        h,
        [
            "t.conf:2:20: warning: vrrp_garp_interval 0 is outside keepalived's range (0.000001 and up); it keeps its default, 0 (no delay), as keepalived-rs does",
            "t.conf:3:19: warning: vrrp_gna_interval 0 is outside keepalived's range (0.000001 and up); it keeps its default, 0 (no delay), as keepalived-rs does",
            "t.conf:4:25: warning: vrrp_garp_master_repeat must be at least 1; keepalived uses 1",
            "t.conf:5:20: error: invalid value '-1' for vrrp_garp_interval: expected seconds, such as 3 or 0.5",
            "t.conf:6:24: error: invalid value '1.5' for vrrp_garp_master_delay: expected an integer; using 1, as keepalived reads it",
        ]
    );
    assert_eq!(d.vrrp_garp_interval, Timer::secs(0));
    assert_eq!(d.vrrp_garp_master_repeat, 1);
}

#[test]
fn garp_extra_if() {
    let (d, h) = defs("vrrp_vmac_garp_intvl 30");
    assert_eq!(h, ["t.conf:2:1: warning: 'vrrp_vmac_garp_intvl' is a legacy spelling of 'vrrp_garp_extra_if'"]);
    assert_eq!(
        d.vrrp_garp_extra_if.map(|g| (g.interval, g.all)),
        Some((Timer::secs(30), false))
    );
    let (d, h) = defs("vrrp_garp_extra_if all\nvrrp_garp_extra_if 86401");
    assert_eq!(
        h,
        [
            "t.conf:2:1: error: vrrp_garp_extra_if needs an interval in seconds",
            "t.conf:3:20: error: invalid value '86401' for vrrp_garp_extra_if: must be between 1 and 86400",
        ]
    );
    assert!(d.vrrp_garp_extra_if.is_none());
}

#[test]
fn firewall() {
    let (d, h) = defs("vrrp_iptables\nnftables\nnftables_ipvs ipvs_t");
    assert_eq!(h, ["t.conf:1:1: warning: global_defs sets both nftables and vrrp_iptables; keepalived uses nftables"]);
    let ipt = d.vrrp_iptables.unwrap();
    assert_eq!(
        (ipt.in_chain.as_str(), ipt.out_chain.as_deref()),
        ("INPUT", Some("OUTPUT"))
    );
    assert_eq!(d.nftables.as_deref(), Some("keepalived"));
    assert_eq!(d.nftables_ipvs.as_deref(), Some("ipvs_t"));

    let (d, h) = defs("vrrp_iptables ka_in\nvrrp_iptables x");
    assert_eq!(
        h,
        ["t.conf:3:1: warning: vrrp_iptables is already set; this one is ignored"]
    );
    let ipt = d.vrrp_iptables.unwrap();
    assert_eq!((ipt.in_chain.as_str(), ipt.out_chain), ("ka_in", None));

    let (d, h) = defs(
        "vrrp_iptables same same\nvrrp_ipsets a a6 a\nvrrp_ipsets this_ipset_name_is_far_too_long_xx\nnftables_priority x\nnftables_ipvs_start_fwmark 0",
    );
    assert_eq!(
        h,
        [
            "t.conf:2:20: error: invalid value 'same' for vrrp_iptables: the in and out chains must differ",
            "t.conf:3:1: error: vrrp_ipsets: set name a is used more than once",
            "t.conf:4:13: error: invalid value 'this_ipset_name_is_far_too_long_xx' for vrrp_ipsets: ipset names are at most 30 characters",
            "t.conf:5:19: error: invalid value 'x' for nftables_priority: expected an integer",
            "t.conf:6:28: error: invalid value '0' for nftables_ipvs_start_fwmark: must be between 1 and 4294967295",
        ]
    );
    assert!(d.vrrp_iptables.is_none());
    assert!(d.vrrp_ipsets.is_none());

    // Derived names: "6" is dropped before "_if6" is added.
    let (d, _) = defs("vrrp_ipsets k4 k6");
    let s = d.vrrp_ipsets.unwrap();
    assert_eq!(
        (s.ipv6.as_str(), s.if6.as_str(), s.mld.as_str()),
        ("k6", "k_if6", "k4_mld")
    );
    let (d, _) = defs("vrrp_ipsets k4\nvrrp_ipsets");
    assert!(d.vrrp_ipsets.is_none());
}

#[test]
fn lvs_sync_daemon_forms() {
    let (d, h) = defs("lvs_sync_daemon eth0 VI_1 5");
    assert_eq!(
        h,
        ["t.conf:2:27: warning: a bare sync id after the instance is an old form"]
    );
    let s = d.lvs_sync_daemon.unwrap();
    assert_eq!(
        (s.interface.as_str(), s.instance.as_deref(), s.id),
        ("eth0", Some("VI_1"), Some(5))
    );
    assert_eq!(
        (s.port, s.group.to_string(), s.maxlen, s.ttl),
        (8848, "224.0.0.81".to_string(), None, None)
    );
    assert_eq!(s.origin.line, 2);

    let (d, h) = defs("lvs_sync_daemon eth0\nlvs_sync_daemon eth1");
    assert_eq!(
        h,
        ["t.conf:3:1: warning: lvs_sync_daemon is already set; this one is ignored"]
    );
    let s = d.lvs_sync_daemon.unwrap();
    assert_eq!((s.interface.as_str(), s.instance), ("eth0", None));

    let (d, h) = defs(
        "lvs_sync_daemon eth0 inst VI_1 group 10.1.1.1 id 256 port 0 ttl 0 maxlen 65508 mtu 9000 group ff02::99 ttl",
    );
    assert_eq!(
        h,
        [
            "t.conf:2:38: error: invalid value '10.1.1.1' for lvs_sync_daemon: not a multicast address",
            "t.conf:2:50: error: invalid value '256' for lvs_sync_daemon: must be between 0 and 255",
            "t.conf:2:59: error: invalid value '0' for lvs_sync_daemon: must be between 1 and 65535",
            "t.conf:2:65: error: invalid value '0' for lvs_sync_daemon: must be between 1 and 255",
            "t.conf:2:74: error: invalid value '65508' for lvs_sync_daemon: must be between 1 and 65507",
            "t.conf:2:80: error: unknown option 'mtu' for lvs_sync_daemon",
            "t.conf:2:84: error: unknown option '9000' for lvs_sync_daemon",
            "t.conf:2:104: error: lvs_sync_daemon ttl needs a value",
        ]
    );
    let s = d.lvs_sync_daemon.unwrap();
    assert_eq!(
        (s.instance.as_deref(), s.group.to_string(), s.id),
        (Some("VI_1"), "ff02::99".to_string(), None)
    );

    let (d, h) = defs("lvs_sync_daemon interface_name_16");
    assert_eq!(h, ["t.conf:2:17: error: invalid value 'interface_name_16' for lvs_sync_daemon: interface names are at most 15 characters"]);
    assert!(d.lvs_sync_daemon.is_none());
}

#[test]
fn lvs_timeouts_and_flush() {
    let (d, h) =
        defs("lvs_timeouts udp 10\nlvs_timeouts tcp 5\nlvs_flush_onstop\nlvs_flush_on_stop vs");
    assert_eq!(
        h,
        [
            "t.conf:4:1: warning: 'lvs_flush_onstop' is a legacy spelling of 'lvs_flush_on_stop'",
            "t.conf:5:19: error: invalid value 'vs' for lvs_flush_on_stop: expected one of VS (did you mean 'VS'?)",
        ]
    );
    let t = d.lvs_timeouts.unwrap();
    assert_eq!(
        (t.tcp, t.tcpfin, t.udp),
        (Some(Timer::secs(5)), None, Some(Timer::secs(10)))
    );
    assert_eq!(d.lvs_flush_on_stop, LvsFlushOnStop::Full);

    let (d, h) = defs("lvs_timeouts\nlvs_timeouts tcp\nlvs_timeouts sctp 5 udp 2678401");
    assert_eq!(
        h,
        [
            "t.conf:2:1: error: lvs_timeouts needs at least one of tcp, tcpfin, udp with a value in seconds",
            "t.conf:3:1: error: lvs_timeouts needs at least one of tcp, tcpfin, udp with a value in seconds",
            "t.conf:4:14: error: unknown option 'sctp' for lvs_timeouts",
            "t.conf:4:19: error: unknown option '5' for lvs_timeouts",
            "t.conf:4:25: error: invalid value '2678401' for lvs_timeouts: must be between 0 and 2678400",
        ]
    );
    assert!(d.lvs_timeouts.is_none());
}

#[test]
fn scheduling() {
    let (d, h) = defs(
        "vrrp_priority -21\nchecker_rt_priority 100\nbfd_cpu_affinity 0 x\nvrrp_rlimit_rtime 5000\nmax_auto_priority\nmin_auto_priority_delay 0\ncheckers_priority 1",
    );
    assert_eq!(
        h,
        [
            "t.conf:2:15: error: invalid value '-21' for vrrp_priority: must be between -20 and 19",
            "t.conf:3:21: error: invalid value '100' for checker_rt_priority: must be between 1 and 99",
            "t.conf:4:20: error: invalid value 'x' for bfd_cpu_affinity: expected an integer",
            "t.conf:5:1: warning: 'vrrp_rlimit_rtime' is a legacy spelling of 'vrrp_rlimit_rttime'",
            "t.conf:7:25: error: invalid value '0' for min_auto_priority_delay: must be between 1 and 10000000",
            "t.conf:8:1: warning: unknown keyword 'checkers_priority' in global_defs; it is ignored",
        ]
    );
    assert_eq!(d.vrrp_priority, None);
    assert!(d.bfd_cpu_affinity.is_empty());
    assert_eq!(d.vrrp_rlimit_rttime, Timer::micros(5000));
    assert_eq!(d.max_auto_priority, 99);
    for legacy in ["checker_rlimit_rtime", "bfd_rlimit_rtime"] {
        let (d, h) = defs(&format!("{legacy} 7"));
        assert_eq!(h.len(), 1);
        assert!(h[0].contains("legacy spelling"));
        assert!(
            d.checker_rlimit_rttime == Timer::micros(7) || d.bfd_rlimit_rttime == Timer::micros(7)
        );
    }
}

#[test]
fn snmp_and_dbus() {
    let (d, h) = defs(
        "enable_snmp_keepalived\nsnmp_socket a\nsnmp_socket b\nsnmp_vs_stats_update_interval 31\ndbus_service_name",
    );
    assert_eq!(
        h,
        [
            "t.conf:2:1: warning: 'enable_snmp_keepalived' is a legacy spelling of 'enable_snmp_vrrp'",
            "t.conf:4:1: warning: snmp_socket is already set; this one is ignored",
            "t.conf:5:31: error: invalid value '31' for snmp_vs_stats_update_interval: must be between 0.001 and 30 seconds",
            "t.conf:6:1: error: dbus_service_name needs a value",
        ]
    );
    assert!(d.enable_snmp_vrrp);
    assert!(!d.enable_snmp_rfcv2);
    assert_eq!(d.snmp_socket.as_deref(), Some("a"));
}

#[test]
fn fifos() {
    let (d, h) =
        defs("notify_fifo /run/f\nvrrp_notify_fifo /run/f\nlvs_notify_fifo /run/g a b c\nvrrp_notify_fifo_script");
    assert_eq!(
        h,
        [
            "t.conf:3:18: error: vrrp_notify_fifo uses the same FIFO as notify_fifo",
            "t.conf:4:28: warning: extra argument 'c' after lvs_notify_fifo is ignored",
            "t.conf:5:1: error: vrrp_notify_fifo_script needs a value",
        ]
    );
    assert_eq!(
        d.lvs_notify_fifo.map(|f| (f.name, f.user, f.group)),
        Some(("/run/g".into(), Some("a".into()), Some("b".into())))
    );
}

#[test]
fn buffers() {
    let (d, h) = defs("vrrp_netlink_cmd_rcv_bufs 0\nprocess_monitor_rcv_bufs -1\nvrrp_rx_bufs_policy 65536 MTU\nvrrp_rx_bufs_multiplier 0");
    assert_eq!(
        h,
        [
            "t.conf:3:26: error: invalid value '-1' for process_monitor_rcv_bufs: must be between 0 and 4294967295",
            "t.conf:4:1: warning: vrrp_rx_bufs_policy has both a size and a policy; the policy is ignored",
            "t.conf:5:25: error: invalid value '0' for vrrp_rx_bufs_multiplier: must be between 1 and 4294967295",
        ]
    );
    assert_eq!(d.vrrp_netlink_cmd_rcv_bufs, None);
    assert_eq!(d.vrrp_rx_bufs_policy, Some(RxBufsPolicy::Size(65536)));
    let (d, h) = defs("vrrp_rx_bufs_policy advert mtu\nvrrp_rx_bufs_policy sometimes");
    assert_eq!(
        h,
        [
            "t.conf:2:1: warning: vrrp_rx_bufs_policy has both MTU and ADVERT; ADVERT is ignored",
            "t.conf:3:21: error: invalid value 'sometimes' for vrrp_rx_bufs_policy: expected MTU, ADVERT or a size in bytes",
        ]
    );
    assert_eq!(d.vrrp_rx_bufs_policy, Some(RxBufsPolicy::Mtu));
    let j = serde_json::to_value(defs("vrrp_rx_bufs_policy 4096").0).unwrap();
    assert_eq!(j["vrrp_rx_bufs_policy"], 4096);
}

#[test]
fn reload_and_dumps() {
    let (d, h) = defs("reload_check_config\nreload_file\nreload_repeat\nstate_file_location /tmp/s\njson_version 3\nstats_dump_file \"\"");
    assert_eq!(
        h,
        [
            "t.conf:5:1: warning: 'state_file_location' is a legacy spelling of 'state_dump_file'",
            "t.conf:6:14: error: invalid value '3' for json_version: must be between 1 and 2",
            "t.conf:7:17: error: stats_dump_file needs a non-empty path",
            "t.conf:1:1: warning: reload_repeat has no effect without reload_time_file",
        ]
    );
    assert_eq!(d.reload_check_config.as_deref(), Some("/dev/null"));
    assert_eq!(d.reload_file.as_deref(), Some("/run/keepalived.reload"));
    assert_eq!(d.state_dump_file.as_deref(), Some("/tmp/s"));
    assert!(d.stats_dump_file.is_none());

    // The default reload file lives in the pid directory, named after the instance.
    let (g, _) = global("global_defs {\n reload_file\n}\ninstance east\n");
    assert_eq!(
        g.global_defs.reload_file.as_deref(),
        Some("/run/keepalived/keepalived_east.reload")
    );
    let (g, _) = global("use_pid_dir\nglobal_defs {\n reload_file\n}\n");
    assert_eq!(
        g.global_defs.reload_file.as_deref(),
        Some("/run/keepalived/keepalived.reload")
    );

    for (legacy, current) in [
        ("stats_file_location", "stats_dump_file"),
        ("json_file_location", "json_dump_file"),
    ] {
        let (d, h) = defs(&format!("{legacy} /x"));
        assert_eq!(
            h,
            [format!(
                "t.conf:2:1: warning: '{legacy}' is a legacy spelling of '{current}'"
            )]
        );
        assert!(d.stats_dump_file.is_some() || d.json_dump_file.is_some());
    }
}

#[test]
fn include_check_options() {
    let all = |d: &GlobalDefs| {
        d.include_check
            .map(|c| (c.readable, c.matched, c.wildcard_match, c.brace_match))
    };
    assert_eq!(
        all(&defs("include_check").0),
        Some((true, true, true, true))
    );
    assert_eq!(
        all(&defs("include_check match").0),
        Some((true, true, false, false))
    );
    assert_eq!(
        all(&defs("include_check\ninclude_check -match -readable").0),
        Some((false, false, true, true))
    );
    let (d, h) = defs("include_check brace_match wildcard_match +read +bogus");
    assert_eq!(
        h,
        [
            "t.conf:2:27: warning: include_check 'wildcard_match' after the first check needs + or -; it is ignored",
            "t.conf:2:48: error: invalid value '+bogus' for include_check: expected readable, match, wildcard_match or brace_match, optionally after + or -",
        ]
    );
    assert_eq!(all(&d), Some((true, false, false, true)));
}

#[test]
fn metrics_listen() {
    let (d, h) = defs("metrics_listen 10.0.0.1:9650");
    assert!(h.is_empty(), "{h:?}");
    assert_eq!(d.metrics_listen, Some("10.0.0.1:9650".parse().unwrap()));
    let (g, _) = global("global_defs {\n metrics_listen [fd00::1]:9650\n}\n");
    assert_eq!(json(&g)["global_defs"]["metrics_listen"], "[fd00::1]:9650");
    assert!(json(&global("").0)["global_defs"]
        .get("metrics_listen")
        .is_none());
    let (d, h) = defs("metrics_listen 10.0.0.1\nmetrics_listen 10.0.0.1:0");
    assert_eq!(
        h,
        [
            "t.conf:2:16: error: invalid value '10.0.0.1' for metrics_listen: expected ADDR:PORT, e.g. 192.0.2.1:9650 or [2001:db8::1]:9650",
            "t.conf:3:16: error: invalid value '10.0.0.1:0' for metrics_listen: the port must not be 0",
        ]
    );
    assert_eq!(d.metrics_listen, None);
    let (d, h) = defs("metrics_listen 10.0.0.1:1\nmetrics_listen 10.0.0.2:2");
    assert_eq!(
        h,
        ["t.conf:3:1: warning: metrics_listen is already set; this one is ignored"]
    );
    assert_eq!(d.metrics_listen, Some("10.0.0.1:1".parse().unwrap()));
}
