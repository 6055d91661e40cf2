//! Every keyword is known and decodes; the defaults are keepalived's.

#[allow(clippy::wildcard_imports)]
use super::*;

/// Every keyword keepalived (2.4.3) registers in global_defs.
const GLOBAL_DEFS_KEYWORDS: &[&str] = &[
    "bfd_cpu_affinity",
    "bfd_no_swap",
    "bfd_priority",
    "bfd_process_name",
    "bfd_rlimit_rtime",
    "bfd_rlimit_rttime",
    "bfd_rt_priority",
    "checker_cpu_affinity",
    "checker_log_all_failures",
    "checker_no_swap",
    "checker_priority",
    "checker_process_name",
    "checker_rlimit_rtime",
    "checker_rlimit_rttime",
    "checker_rt_priority",
    "config_save_dir",
    "data_use_instance",
    "dbus_no_interface_name",
    "dbus_service_name",
    "default_interface",
    "disable_local_igmp",
    "dynamic_interfaces",
    "enable_dbus",
    "enable_script_security",
    "enable_snmp_checker",
    "enable_snmp_keepalived",
    "enable_snmp_rfc",
    "enable_snmp_rfcv2",
    "enable_snmp_rfcv3",
    "enable_snmp_vrrp",
    "enable_traps",
    "fifo_write_vrrp_states_on_reload",
    "include_check",
    "iproute_etc_dir",
    "iproute_usr_dir",
    "json_dump_file",
    "json_version",
    "log_unknown_vrids",
    "lvs_flush",
    "lvs_flush_on_stop",
    "lvs_flush_onstop",
    "lvs_netlink_cmd_rcv_bufs",
    "lvs_netlink_cmd_rcv_bufs_force",
    "lvs_netlink_monitor_rcv_bufs",
    "lvs_netlink_monitor_rcv_bufs_force",
    "lvs_notify_fifo",
    "lvs_notify_fifo_script",
    "lvs_process_name",
    "lvs_sync_daemon",
    "lvs_timeouts",
    "max_auto_priority",
    "min_auto_priority_delay",
    "nftables",
    "nftables_counters",
    "nftables_ifindex",
    "nftables_ipvs",
    "nftables_ipvs_priority",
    "nftables_ipvs_start_fwmark",
    "nftables_priority",
    "no_checker_emails",
    "no_email_faults",
    "notification_email",
    "notification_email_from",
    "notify_fifo",
    "notify_fifo_script",
    "process_monitor_rcv_bufs",
    "process_monitor_rcv_bufs_force",
    "process_name",
    "process_names",
    "random_seed",
    "reload_check_config",
    "reload_file",
    "reload_repeat",
    "reload_time_file",
    "router_id",
    "rs_init_notifies",
    "script_user",
    "set_supplementary_groups",
    "shutdown_script",
    "shutdown_script_timeout",
    "smtp_alert",
    "smtp_alert_checker",
    "smtp_alert_vrrp",
    "smtp_connect_timeout",
    "smtp_helo_name",
    "smtp_server",
    "snmp_rs_stats_update_interval",
    "snmp_socket",
    "snmp_vs_stats_update_interval",
    "startup_script",
    "startup_script_timeout",
    "state_dump_file",
    "stats_dump_file",
    "tmp_config_directory",
    "umask",
    "use_symlink_paths",
    "v3_checksum_as_v2",
    "vmac_addr_prefix",
    "vmac_prefix",
    "vrrp_check_unicast_src",
    "vrrp_cpu_affinity",
    "vrrp_delay_after_boot",
    "vrrp_down_timer_adverts",
    "vrrp_garp_extra_if",
    "vrrp_garp_interval",
    "vrrp_garp_lower_prio_delay",
    "vrrp_garp_lower_prio_repeat",
    "vrrp_garp_master_delay",
    "vrrp_garp_master_refresh",
    "vrrp_garp_master_refresh_repeat",
    "vrrp_garp_master_repeat",
    "vrrp_gna_interval",
    "vrrp_higher_prio_send_advert",
    "vrrp_ipsets",
    "vrrp_iptables",
    "vrrp_lower_prio_no_advert",
    "vrrp_mcast_group4",
    "vrrp_mcast_group6",
    "vrrp_min_garp",
    "vrrp_netlink_cmd_rcv_bufs",
    "vrrp_netlink_cmd_rcv_bufs_force",
    "vrrp_netlink_monitor_rcv_bufs",
    "vrrp_netlink_monitor_rcv_bufs_force",
    "vrrp_no_swap",
    "vrrp_notify_fifo",
    "vrrp_notify_fifo_script",
    "vrrp_notify_priority_changes",
    "vrrp_owner_ignore_adverts",
    "vrrp_priority",
    "vrrp_process_name",
    "vrrp_rlimit_rtime",
    "vrrp_rlimit_rttime",
    "vrrp_rt_priority",
    "vrrp_rx_bufs_multiplier",
    "vrrp_rx_bufs_policy",
    "vrrp_skip_check_adv_addr",
    "vrrp_startup_delay",
    "vrrp_strict",
    "vrrp_version",
    "vrrp_vmac_garp_intvl",
];

/// Keywords of later versions that keepalived 2.2.7 calls unknown and keepalived-rs does too
/// (measured: `keepalived -t` says `Unknown keyword` and exits 5).
const UNKNOWN_TO_2_2_7: &[&str] = &["set_supplementary_groups"];

#[test]
fn every_keepalived_global_defs_keyword_is_known() {
    let table = defs::keywords();
    assert_eq!(GLOBAL_DEFS_KEYWORDS.len(), 140);
    for k in GLOBAL_DEFS_KEYWORDS
        .iter()
        .filter(|k| !UNKNOWN_TO_2_2_7.contains(k))
    {
        assert!(
            table.iter().any(|e| e.name == *k),
            "{k} missing from the global_defs table"
        );
    }
    let mut names: Vec<_> = table.iter().map(|e| e.name).collect();
    names.sort_unstable();
    let before = names.len();
    names.dedup();
    assert_eq!(before, names.len(), "a keyword is in the table twice");
}

#[test]
fn keywords_unknown_to_2_2_7_are_unknown_keywords() {
    let table = defs::keywords();
    for k in UNKNOWN_TO_2_2_7 {
        assert!(GLOBAL_DEFS_KEYWORDS.contains(k), "{k}");
        assert!(!table.iter().any(|e| e.name == *k), "{k} is in the table");
        let (_, h) = defs(&format!("{k}\n"));
        assert_eq!(
            h,
            [format!(
                "t.conf:2:1: warning: unknown keyword '{k}' in global_defs; it is ignored"
            )],
        );
    }
}

/// What keepalived does not register in global_defs is an older spelling or one of ours, and
/// docs/compat.md names each of ours (keepalived calls them unknown keywords).
#[test]
fn our_own_keywords_are_documented() {
    let ours = defs::ours::NAMES;
    let table = defs::keywords();
    for e in &table {
        let keepalived = GLOBAL_DEFS_KEYWORDS.contains(&e.name);
        let legacy = !matches!(e.status, crate::decode::Status::Current);
        assert!(
            keepalived || legacy || ours.contains(&e.name),
            "{} is neither keepalived's, nor an older spelling, nor listed as ours (defs::ours::NAMES)",
            e.name
        );
        assert!(!(keepalived && ours.contains(&e.name)), "{}", e.name);
    }
    let compat = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/compat.md"))
        .expect("docs/compat.md");
    for name in ours {
        assert!(
            table.iter().any(|e| e.name == *name),
            "{name} is not in the table"
        );
        assert!(
            compat.contains(&format!("`{name}")),
            "docs/compat.md does not name global_defs {name}, a keyword of ours"
        );
    }
}

#[test]
fn defaults_are_keepalived_documented_ones() {
    let (g, h) = global("");
    assert!(h.is_empty());
    let j = json(&g);
    let d = &j["global_defs"];
    assert_eq!(j["child_wait_time"], 5);
    assert_eq!(d["vrrp_mcast_group4"], "224.0.0.18");
    assert_eq!(d["vrrp_mcast_group6"], "ff02::12");
    assert_eq!(d["vrrp_garp_master_delay"], 5);
    assert_eq!(d["vrrp_garp_master_repeat"], 5);
    assert_eq!(d["vrrp_garp_master_refresh"], 0);
    assert_eq!(d["vrrp_garp_master_refresh_repeat"], 1);
    assert_eq!(d["vrrp_garp_lower_prio_delay"], 5);
    assert_eq!(d["vrrp_garp_lower_prio_repeat"], 5);
    assert_eq!(d["vrrp_garp_interval"], 0);
    assert_eq!(d["vrrp_gna_interval"], 0);
    assert_eq!(d["vrrp_version"], 2);
    assert_eq!(d["vrrp_down_timer_adverts"], 3);
    assert_eq!(d["smtp_connect_timeout"], 30);
    assert_eq!(d["default_interface"], "eth0");
    assert_eq!(d["startup_script_timeout"], 10);
    assert_eq!(d["shutdown_script_timeout"], 10);
    assert_eq!(d["vmac_prefix"], "vrrp");
    assert_eq!(d["vmac_addr_prefix"], "vrrp");
    assert_eq!(d["nftables_priority"], -1);
    assert_eq!(d["nftables_ipvs_start_fwmark"], 1000);
    assert_eq!(d["vrrp_rlimit_rttime"], 0.01);
    assert_eq!(d["min_auto_priority_delay"], 1);
    assert_eq!(d["snmp_vs_stats_update_interval"], 5);
    assert_eq!(d["dbus_service_name"], "org.keepalived.Vrrp1");
    assert_eq!(d["vrrp_rx_bufs_multiplier"], 3);
    assert_eq!(d["umask"], "0177");
    assert_eq!(d["json_version"], 1);
    assert_eq!(d["lvs_flush_on_stop"], "off");
    assert_eq!(d["notification_email"], serde_json::json!([]));
    // No global_defs block: no origin; unknown-at-parse-time values are absent.
    assert!(d.get("origin").is_none());
    assert!(d.get("router_id").is_none());
    assert!(d.get("smtp_server").is_none());
    assert!(d.get("written").is_none());
    assert_eq!(j["linkbeat_interfaces"], serde_json::json!([]));
    assert_eq!(j["track_group"], serde_json::json!([]));
}

/// One statement of every current keyword, each with a valid value: no diagnostic at all.
const ALL_KEYWORDS: &str = r#"
    process_names
    process_name ka
    vrrp_process_name ka_vrrp
    checker_process_name ka_check
    bfd_process_name ka_bfd
    router_id r1
    tmp_config_directory /var/tmp
    config_save_dir /var/lib/ka
    umask 027
    script_user nobody nogroup
    enable_script_security
    use_symlink_paths false
    startup_script "/usr/bin/start now" root root
    startup_script_timeout 20
    shutdown_script /usr/bin/stop
    shutdown_script_timeout 30
    notification_email {
        a@example.com b@example.com
        c@example.com
    }
    notification_email_from ka@example.com
    smtp_server 192.0.2.1 2525
    smtp_helo_name ka.example.com
    smtp_connect_timeout 15
    smtp_alert
    smtp_alert_vrrp off
    smtp_alert_checker yes
    checker_log_all_failures
    no_email_faults
    no_checker_emails
    vrrp_mcast_group4 224.0.0.19
    vrrp_mcast_group6 ff02::13
    default_interface bond0
    vrrp_version 3
    v3_checksum_as_v2
    vrrp_check_unicast_src
    vrrp_skip_check_adv_addr
    vrrp_strict
    vrrp_down_timer_adverts 5
    vrrp_lower_prio_no_advert
    vrrp_higher_prio_send_advert true
    vrrp_notify_priority_changes
    vrrp_startup_delay 5.5
    vrrp_delay_after_boot 60
    log_unknown_vrids
    vmac_prefix vm
    vmac_addr_prefix va
    dynamic_interfaces allow_if_changes
    disable_local_igmp
    vrrp_owner_ignore_adverts
    vrrp_garp_master_delay 10
    vrrp_garp_master_repeat 2
    vrrp_garp_master_refresh 60
    vrrp_garp_master_refresh_repeat 2
    vrrp_garp_lower_prio_delay 7
    vrrp_garp_lower_prio_repeat 3
    vrrp_garp_interval 0.001
    vrrp_gna_interval 0.000001
    vrrp_min_garp
    vrrp_garp_extra_if all 100
    nftables kt
    nftables_priority -5
    nftables_counters
    nftables_ifindex
    nftables_ipvs
    nftables_ipvs_priority 10
    nftables_ipvs_start_fwmark 2000
    vrrp_ipsets ks
    lvs_sync_daemon eth1 inst VI_1 id 7 maxlen 1400 port 8849 ttl 2 group 239.1.1.1
    lvs_timeouts tcp 900 tcpfin 120 udp 300
    lvs_flush
    lvs_flush_on_stop VS
    rs_init_notifies
    vrrp_priority -10
    checker_priority 5
    bfd_priority 0
    vrrp_no_swap
    checker_no_swap
    bfd_no_swap
    vrrp_rt_priority 50
    checker_rt_priority 1
    bfd_rt_priority 99
    vrrp_cpu_affinity 0 1
    checker_cpu_affinity 2
    bfd_cpu_affinity 3
    vrrp_rlimit_rttime 20000
    checker_rlimit_rttime 30000
    bfd_rlimit_rttime 1
    max_auto_priority 50
    min_auto_priority_delay 500000
    snmp_socket udp:192.0.2.2:705
    enable_snmp_vrrp
    enable_snmp_checker
    enable_snmp_rfc
    enable_snmp_rfcv2
    enable_snmp_rfcv3
    enable_traps
    snmp_vs_stats_update_interval 2
    snmp_rs_stats_update_interval 0.5
    enable_dbus
    dbus_service_name org.example.Ka
    dbus_no_interface_name none
    notify_fifo /run/ka.fifo
    notify_fifo_script "/usr/bin/reader -v" nobody
    vrrp_notify_fifo /run/ka_vrrp.fifo root
    vrrp_notify_fifo_script /usr/bin/vreader
    lvs_notify_fifo /run/ka_lvs.fifo root wheel
    lvs_notify_fifo_script /usr/bin/lreader
    fifo_write_vrrp_states_on_reload
    vrrp_netlink_cmd_rcv_bufs 1048576
    vrrp_netlink_cmd_rcv_bufs_force
    vrrp_netlink_monitor_rcv_bufs 2097152
    vrrp_netlink_monitor_rcv_bufs_force on
    lvs_netlink_cmd_rcv_bufs 3
    lvs_netlink_cmd_rcv_bufs_force no
    lvs_netlink_monitor_rcv_bufs 4
    lvs_netlink_monitor_rcv_bufs_force yes
    process_monitor_rcv_bufs 500000
    process_monitor_rcv_bufs_force
    vrrp_rx_bufs_policy MTU
    vrrp_rx_bufs_multiplier 4
    reload_check_config /var/log/ka-check.log
    reload_time_file /run/ka.reload_time
    reload_repeat
    reload_file /run/ka.reload
    include_check +match
    random_seed 42
    state_dump_file /var/tmp/ka.data
    stats_dump_file /var/tmp/ka.stats
    json_dump_file /var/tmp/ka.json
    data_use_instance
    json_version 2
    iproute_usr_dir /usr/lib/iproute2
    iproute_etc_dir /etc/iproute2
    metrics_listen 127.0.0.1:9650
"#;

#[test]
fn every_keyword_decodes_cleanly() {
    let (d, h) = defs(ALL_KEYWORDS);
    assert_eq!(h, Vec::<String>::new());
    let table = defs::keywords();
    for e in &table {
        // vrrp_iptables beside nftables is a finding of its own (see `firewall`).
        if e.status == crate::decode::Status::Current && e.name != "vrrp_iptables" {
            assert!(
                ALL_KEYWORDS
                    .lines()
                    .any(|l| l.split_whitespace().next() == Some(e.name)),
                "{} is not exercised",
                e.name
            );
        }
    }
    let j = serde_json::to_value(&d).unwrap();
    assert_eq!(j["origin"]["line"], 1);
    assert_eq!(j["process_names"], true);
    assert_eq!(j["process_name"], "ka");
    assert_eq!(j["vrrp_process_name"], "ka_vrrp");
    assert_eq!(j["checker_process_name"], "ka_check");
    assert_eq!(j["umask"], "0027");
    assert_eq!(
        j["script_user"],
        serde_json::json!({"user": "nobody", "group": "nogroup"})
    );
    assert_eq!(j["use_symlink_paths"], false);
    assert_eq!(
        j["startup_script"],
        serde_json::json!({"origin": {"file": "t.conf", "line": 15, "col": 5}, "command": ["/usr/bin/start", "now"], "user": "root", "group": "root"})
    );
    assert_eq!(j["startup_script_timeout"], 20);
    assert_eq!(
        j["shutdown_script"],
        serde_json::json!({"origin": {"file": "t.conf", "line": 17, "col": 5}, "command": ["/usr/bin/stop"]})
    );
    assert_eq!(
        j["notification_email"],
        serde_json::json!(["a@example.com", "b@example.com", "c@example.com"])
    );
    assert_eq!(
        j["smtp_server"],
        serde_json::json!({"host": "192.0.2.1", "port": 2525})
    );
    assert_eq!(j["smtp_alert"], true);
    assert_eq!(j["smtp_alert_vrrp"], false);
    assert_eq!(j["smtp_alert_checker"], true);
    assert_eq!(j["vrrp_mcast_group4"], "224.0.0.19");
    assert_eq!(j["vrrp_version"], 3);
    assert_eq!(j["vrrp_startup_delay"], 5.5);
    assert_eq!(j["vrrp_delay_after_boot"], 60);
    assert_eq!(j["dynamic_interfaces"], true);
    assert_eq!(j["dynamic_interfaces_allow_if_changes"], true);
    // vrrp_min_garp comes after the values it would change: they stay as written.
    assert_eq!(j["vrrp_garp_master_delay"], 10);
    assert_eq!(j["vrrp_garp_master_repeat"], 2);
    assert_eq!(j["vrrp_garp_lower_prio_delay"], 7);
    assert_eq!(j["vrrp_garp_interval"], 0.001);
    assert_eq!(j["vrrp_gna_interval"], 0.000001);
    assert_eq!(
        j["vrrp_garp_extra_if"],
        serde_json::json!({"interval": 100, "all": true})
    );
    assert_eq!(j["nftables"], "kt");
    assert_eq!(j["nftables_ipvs"], "keepalived_ipvs");
    assert_eq!(
        j["vrrp_ipsets"],
        serde_json::json!({"ipv4": "ks", "ipv6": "ks6", "if6": "ks_if6", "igmp": "ks_igmp", "mld": "ks_mld", "vmac_nd": "ks_nd"})
    );
    let sync = &j["lvs_sync_daemon"];
    assert_eq!(sync["interface"], "eth1");
    assert_eq!(sync["instance"], "VI_1");
    assert_eq!(sync["id"], 7);
    assert_eq!(sync["maxlen"], 1400);
    assert_eq!(sync["port"], 8849);
    assert_eq!(sync["ttl"], 2);
    assert_eq!(sync["group"], "239.1.1.1");
    assert_eq!(
        j["lvs_timeouts"],
        serde_json::json!({"tcp": 900, "tcpfin": 120, "udp": 300})
    );
    assert_eq!(j["lvs_flush_on_stop"], "VS");
    assert_eq!(j["vrrp_priority"], -10);
    assert_eq!(j["vrrp_cpu_affinity"], serde_json::json!([0, 1]));
    assert_eq!(j["bfd_rlimit_rttime"], 0.000002);
    assert_eq!(j["max_auto_priority"], 50);
    assert_eq!(j["min_auto_priority_delay"], 0.5);
    assert_eq!(j["enable_snmp_rfcv2"], true);
    assert_eq!(j["snmp_rs_stats_update_interval"], 0.5);
    assert_eq!(j["dbus_no_interface_name"], "none");
    assert_eq!(
        j["notify_fifo"],
        serde_json::json!({"name": "/run/ka.fifo"})
    );
    assert_eq!(
        j["lvs_notify_fifo"],
        serde_json::json!({"name": "/run/ka_lvs.fifo", "user": "root", "group": "wheel"})
    );
    assert_eq!(
        j["notify_fifo_script"],
        serde_json::json!({"origin": {"file": "t.conf", "line": 106, "col": 5}, "command": ["/usr/bin/reader", "-v"], "user": "nobody"})
    );
    assert_eq!(j["lvs_netlink_cmd_rcv_bufs_force"], false);
    assert_eq!(j["vrrp_rx_bufs_policy"], "MTU");
    assert_eq!(j["reload_check_config"], "/var/log/ka-check.log");
    assert_eq!(j["reload_file"], "/run/ka.reload");
    assert_eq!(
        j["include_check"],
        serde_json::json!({"readable": false, "match": true, "wildcard_match": false, "brace_match": false})
    );
    assert_eq!(j["random_seed"], 42);
    assert_eq!(j["json_version"], 2);
    assert_eq!(j["state_dump_file"], "/var/tmp/ka.data");
}
