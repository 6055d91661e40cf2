//! The global part of the model: the root-level daemon settings, `global_defs`, and the small
//! root blocks the VRRP process reads beside it (`linkbeat_interfaces`,
//! `interface_up_down_delays`, `track_group`).
//!
//! Values keepalived gives a default hold that default when not written; values whose default
//! is only known at run time (the host name, the VRID of an instance, the kernel's buffer
//! sizes) are `Option`s and absent from the dump when not written.

pub use super::ScriptCommand;
use super::{Origin, Timer};
use serde::{Serialize, Serializer};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The root-level settings and the global blocks.
#[derive(Clone, Debug, Serialize)]
pub struct GlobalPart {
    /// The network namespace keepalived runs in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub net_namespace: Option<String>,
    /// The namespace IPVS is configured in; `Some("")` when written without a name (the
    /// default namespace).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub net_namespace_ipvs: Option<String>,
    pub namespace_with_ipsets: bool,
    /// Instance name used in pid file names.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    /// Pid files in /run/keepalived (also implied by `net_namespace` and `instance`).
    pub use_pid_dir: bool,
    pub linkbeat_use_polling: bool,
    /// Time the parent allows its children to exit on termination (default 5 s).
    pub child_wait_time: Timer,
    pub global_defs: GlobalDefs,
    pub linkbeat_interfaces: Vec<LinkbeatInterface>,
    pub interface_up_down_delays: Vec<InterfaceUpDownDelay>,
    pub track_group: Vec<TrackGroup>,
}

impl Default for GlobalPart {
    fn default() -> Self {
        GlobalPart {
            net_namespace: None,
            net_namespace_ipvs: None,
            namespace_with_ipsets: false,
            instance: None,
            use_pid_dir: false,
            linkbeat_use_polling: false,
            child_wait_time: Timer::secs(5),
            global_defs: GlobalDefs::default(),
            linkbeat_interfaces: Vec::new(),
            interface_up_down_delays: Vec::new(),
            track_group: Vec::new(),
        }
    }
}

/// A FIFO keepalived writes notifications to (`NAME [USER [GROUP]]`, the owner of the FIFO).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Fifo {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
}

/// `script_user USER [GROUP]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ScriptUser {
    pub user: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
}

/// `smtp_server HOST [PORT]`: an address or a host name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SmtpServer {
    pub host: String,
    pub port: u16,
}

/// `vrrp_garp_extra_if [all] SECS`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct GarpExtraIf {
    pub interval: Timer,
    /// Send on every interface of the instance, not only VMAC interfaces.
    pub all: bool,
}

/// `vrrp_iptables [IN_CHAIN [OUT_CHAIN]]`; with no chain at all keepalived uses INPUT and OUTPUT.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct VrrpIptables {
    pub in_chain: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub out_chain: Option<String>,
}

/// `vrrp_ipsets [IPV4 [IPV6 [IF6 [IGMP [MLD]]]]]`, names resolved (omitted ones derived from the
/// ones before them, as keepalived does).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct VrrpIpsets {
    pub ipv4: String,
    pub ipv6: String,
    pub if6: String,
    pub igmp: String,
    pub mld: String,
    /// Neighbour discovery set for VMACs (keepalived 2.4).
    pub vmac_nd: String,
}

/// `lvs_sync_daemon IF [[inst] VI] [id N] [maxlen N] [port N] [ttl N] [group IP]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LvsSyncDaemon {
    pub interface: String,
    /// The vrrp_instance whose state the sync daemon follows; both daemons run without one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    /// The sync id; when not written, the VRID of `instance` (0 without an instance), filled
    /// in by the semantic checks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub maxlen: Option<u16>,
    pub port: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ttl: Option<u8>,
    pub group: IpAddr,
    pub origin: Origin,
}

/// `lvs_timeouts [tcp S] [tcpfin S] [udp S]`; an omitted value leaves the kernel's as it is.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct LvsTimeouts {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tcp: Option<Timer>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tcpfin: Option<Timer>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub udp: Option<Timer>,
}

/// `lvs_flush_on_stop [VS]`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub enum LvsFlushOnStop {
    /// Remove each real server and virtual server one by one (keepalived's default).
    #[default]
    #[serde(rename = "off")]
    Off,
    /// Flush the whole IPVS table.
    #[serde(rename = "on")]
    Full,
    /// Remove each virtual server, letting the kernel drop its real servers.
    #[serde(rename = "VS")]
    Vs,
}

/// `vrrp_rx_bufs_policy MTU|ADVERT|BYTES`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RxBufsPolicy {
    Mtu,
    Advert,
    Size(u32),
}

impl Serialize for RxBufsPolicy {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            RxBufsPolicy::Mtu => s.serialize_str("MTU"),
            RxBufsPolicy::Advert => s.serialize_str("ADVERT"),
            RxBufsPolicy::Size(n) => s.serialize_u32(*n),
        }
    }
}

/// `include_check [[+|-]OPTION ...]`, resolved to the checks in force.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct IncludeCheck {
    pub readable: bool,
    #[serde(rename = "match")]
    pub matched: bool,
    pub wildcard_match: bool,
    pub brace_match: bool,
}

/// A file mode creation mask, shown in octal as `umask(1)` does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Umask(pub u32);

impl Serialize for Umask {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&format_args!("{:04o}", self.0))
    }
}

/// The contents of `global_defs` (several blocks merge into one, as in keepalived).
#[derive(Clone, Debug, Serialize)]
pub struct GlobalDefs {
    /// Where the first `global_defs` block was written; absent when there is none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin: Option<Origin>,

    // Processes and files.
    /// Give the child processes their default names (keepalived_vrrp, keepalived_lvs,
    /// keepalived_bfd; the man page says keepalived_ipvs, keepalived's code uses
    /// keepalived_lvs). The resolved names are in the `*_process_name` fields.
    pub process_names: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub process_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vrrp_process_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checker_process_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bfd_process_name: Option<String>,
    /// Defaults to the host name at run time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub router_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tmp_config_directory: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub config_save_dir: Option<String>,
    pub umask: Umask,

    // Scripts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub script_user: Option<ScriptUser>,
    /// Not in the file: the user a `script_user` named when the host checks found no such user
    /// (and took `script_user` out, as keepalived runs without it). keepalived then has no
    /// default user, so the scripts without a user of their own are not run (the daemon's plan
    /// leaves them out), never run as root instead.
    #[serde(skip)]
    pub script_user_missing: Option<String>,
    pub enable_script_security: bool,
    pub use_symlink_paths: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub startup_script: Option<ScriptCommand>,
    pub startup_script_timeout: Timer,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shutdown_script: Option<ScriptCommand>,
    pub shutdown_script_timeout: Timer,

    // Email.
    pub notification_email: Vec<String>,
    /// Defaults to keepalived@HOSTNAME at run time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notification_email_from: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub smtp_server: Option<SmtpServer>,
    /// Defaults to the host name at run time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub smtp_helo_name: Option<String>,
    pub smtp_connect_timeout: Timer,
    /// Unset means each instance / checker decides (keepalived's "not specified").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub smtp_alert: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub smtp_alert_vrrp: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub smtp_alert_checker: Option<bool>,
    pub checker_log_all_failures: bool,
    pub no_email_faults: bool,
    pub no_checker_emails: bool,

    // VRRP defaults.
    pub vrrp_mcast_group4: IpAddr,
    pub vrrp_mcast_group6: IpAddr,
    pub default_interface: String,
    pub vrrp_version: u8,
    pub v3_checksum_as_v2: bool,
    pub vrrp_check_unicast_src: bool,
    pub vrrp_skip_check_adv_addr: bool,
    pub vrrp_strict: bool,
    pub vrrp_down_timer_adverts: u32,
    pub vrrp_lower_prio_no_advert: bool,
    pub vrrp_higher_prio_send_advert: bool,
    pub vrrp_notify_priority_changes: bool,
    pub vrrp_startup_delay: Timer,
    /// Delay VRRP start until the system has been up this long.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vrrp_delay_after_boot: Option<Timer>,
    pub log_unknown_vrids: bool,
    pub vmac_prefix: String,
    pub vmac_addr_prefix: String,
    pub dynamic_interfaces: bool,
    pub dynamic_interfaces_allow_if_changes: bool,
    pub disable_local_igmp: bool,
    pub vrrp_owner_ignore_adverts: bool,

    // Gratuitous ARP / unsolicited NA.
    pub vrrp_garp_master_delay: Timer,
    pub vrrp_garp_master_repeat: u32,
    pub vrrp_garp_master_refresh: Timer,
    pub vrrp_garp_master_refresh_repeat: u32,
    pub vrrp_garp_lower_prio_delay: Timer,
    pub vrrp_garp_lower_prio_repeat: u32,
    pub vrrp_garp_interval: Timer,
    pub vrrp_gna_interval: Timer,
    pub vrrp_min_garp: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vrrp_garp_extra_if: Option<GarpExtraIf>,

    // Firewall.
    /// The nftables table for VRRP; `nftables` without a name means "keepalived".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nftables: Option<String>,
    pub nftables_priority: i32,
    pub nftables_counters: bool,
    pub nftables_ifindex: bool,
    /// The nftables table for IPVS fwmarks; without a name "keepalived_ipvs".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nftables_ipvs: Option<String>,
    pub nftables_ipvs_priority: i32,
    pub nftables_ipvs_start_fwmark: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vrrp_iptables: Option<VrrpIptables>,
    /// Absent: no ipsets (also when `vrrp_ipsets` is written with no name).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vrrp_ipsets: Option<VrrpIpsets>,

    // LVS.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lvs_sync_daemon: Option<LvsSyncDaemon>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lvs_timeouts: Option<LvsTimeouts>,
    pub lvs_flush: bool,
    pub lvs_flush_on_stop: LvsFlushOnStop,
    pub rs_init_notifies: bool,

    // Scheduling of the child processes. Absent priorities leave the process as started.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vrrp_priority: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checker_priority: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bfd_priority: Option<i32>,
    pub vrrp_no_swap: bool,
    pub checker_no_swap: bool,
    pub bfd_no_swap: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vrrp_rt_priority: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checker_rt_priority: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bfd_rt_priority: Option<u32>,
    pub vrrp_cpu_affinity: Vec<u32>,
    pub checker_cpu_affinity: Vec<u32>,
    pub bfd_cpu_affinity: Vec<u32>,
    /// RLIMIT_RTTIME when realtime scheduling is used (written in microseconds).
    pub vrrp_rlimit_rttime: Timer,
    pub checker_rlimit_rttime: Timer,
    pub bfd_rlimit_rttime: Timer,
    /// Highest realtime priority automatic increases may reach; 0 disables them, -1 also
    /// silences the startup warning.
    pub max_auto_priority: i32,
    /// Lateness that triggers an automatic priority increase (written in microseconds).
    pub min_auto_priority_delay: Timer,

    // SNMP.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snmp_socket: Option<String>,
    pub enable_snmp_vrrp: bool,
    pub enable_snmp_checker: bool,
    /// `enable_snmp_rfc` turns on both `enable_snmp_rfcv2` and `enable_snmp_rfcv3`.
    pub enable_snmp_rfc: bool,
    pub enable_snmp_rfcv2: bool,
    pub enable_snmp_rfcv3: bool,
    pub enable_traps: bool,
    pub snmp_vs_stats_update_interval: Timer,
    pub snmp_rs_stats_update_interval: Timer,

    // DBus.
    pub enable_dbus: bool,
    pub dbus_service_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dbus_no_interface_name: Option<String>,

    // Notification FIFOs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notify_fifo: Option<Fifo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notify_fifo_script: Option<ScriptCommand>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vrrp_notify_fifo: Option<Fifo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vrrp_notify_fifo_script: Option<ScriptCommand>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lvs_notify_fifo: Option<Fifo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lvs_notify_fifo_script: Option<ScriptCommand>,
    pub fifo_write_vrrp_states_on_reload: bool,

    // Netlink and socket receive buffers (bytes); absent means the kernel's default.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vrrp_netlink_cmd_rcv_bufs: Option<u32>,
    pub vrrp_netlink_cmd_rcv_bufs_force: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vrrp_netlink_monitor_rcv_bufs: Option<u32>,
    pub vrrp_netlink_monitor_rcv_bufs_force: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lvs_netlink_cmd_rcv_bufs: Option<u32>,
    pub lvs_netlink_cmd_rcv_bufs_force: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lvs_netlink_monitor_rcv_bufs: Option<u32>,
    pub lvs_netlink_monitor_rcv_bufs_force: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub process_monitor_rcv_bufs: Option<u32>,
    pub process_monitor_rcv_bufs_force: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vrrp_rx_bufs_policy: Option<RxBufsPolicy>,
    pub vrrp_rx_bufs_multiplier: u32,

    // Reloads and configuration reading.
    /// Validate a new configuration before reloading; the value is the log file for the
    /// check's findings (`/dev/null` when written without one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reload_check_config: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reload_time_file: Option<String>,
    pub reload_repeat: bool,
    /// `reload_file` without a path means keepalived.reload in the pid directory, resolved.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reload_file: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub include_check: Option<IncludeCheck>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub random_seed: Option<u32>,

    // Dump files (SIGUSR1 / SIGUSR2 / SIGJSON). Absent: keepalived.data, keepalived.stats and
    // keepalived.json in the temporary directory ($TMPDIR or /tmp), known only at run time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state_dump_file: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stats_dump_file: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub json_dump_file: Option<String>,
    pub data_use_instance: bool,
    pub json_version: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iproute_usr_dir: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iproute_etc_dir: Option<String>,

    // keepalived-rs's own (keepalived does not know them; docs/compat.md names each).
    /// Serve Prometheus metrics at `http://ADDR:PORT/metrics`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metrics_listen: Option<std::net::SocketAddr>,

    /// Bookkeeping for the semantic checks, not part of the dump.
    #[serde(skip)]
    pub written: Written,
}

/// Which values that follow another one were written explicitly; the semantic checks resolve
/// the others once the whole file is read (the value they follow may come later).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Written {
    pub vrrp_garp_lower_prio_delay: bool,
    pub vrrp_garp_lower_prio_repeat: bool,
    pub vmac_prefix: bool,
    pub vmac_addr_prefix: bool,
    /// `reload_file` without a path: the default file in the pid directory.
    pub default_reload_file: bool,
}

/// keepalived's umask when none is configured. keepalived.conf(5) says IWGRP|IWOTH (022), but
/// keepalived 2.2.7 runs with 0177 (its process, its scripts, and `-d`'s "umask = 0177"), as
/// measured in the namespace lab; what it does is what a replacement must do.
pub const DEFAULT_UMASK: u32 = 0o177;

impl Default for GlobalDefs {
    fn default() -> Self {
        GlobalDefs {
            origin: None,
            process_names: false,
            process_name: None,
            vrrp_process_name: None,
            checker_process_name: None,
            bfd_process_name: None,
            router_id: None,
            tmp_config_directory: None,
            config_save_dir: None,
            umask: Umask(DEFAULT_UMASK),
            script_user: None,
            script_user_missing: None,
            enable_script_security: false,
            use_symlink_paths: false,
            startup_script: None,
            startup_script_timeout: Timer::secs(10),
            shutdown_script: None,
            shutdown_script_timeout: Timer::secs(10),
            notification_email: Vec::new(),
            notification_email_from: None,
            smtp_server: None,
            smtp_helo_name: None,
            smtp_connect_timeout: Timer::secs(30),
            smtp_alert: None,
            smtp_alert_vrrp: None,
            smtp_alert_checker: None,
            checker_log_all_failures: false,
            no_email_faults: false,
            no_checker_emails: false,
            vrrp_mcast_group4: IpAddr::V4(Ipv4Addr::new(224, 0, 0, 18)),
            vrrp_mcast_group6: IpAddr::V6(Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 0x12)),
            default_interface: "eth0".into(),
            vrrp_version: 2,
            v3_checksum_as_v2: false,
            vrrp_check_unicast_src: false,
            vrrp_skip_check_adv_addr: false,
            vrrp_strict: false,
            vrrp_down_timer_adverts: 3,
            vrrp_lower_prio_no_advert: false,
            vrrp_higher_prio_send_advert: false,
            vrrp_notify_priority_changes: false,
            vrrp_startup_delay: Timer::secs(0),
            vrrp_delay_after_boot: None,
            log_unknown_vrids: false,
            vmac_prefix: "vrrp".into(),
            vmac_addr_prefix: "vrrp".into(),
            dynamic_interfaces: false,
            dynamic_interfaces_allow_if_changes: false,
            disable_local_igmp: false,
            vrrp_owner_ignore_adverts: false,
            vrrp_garp_master_delay: Timer::secs(5),
            vrrp_garp_master_repeat: 5,
            vrrp_garp_master_refresh: Timer::secs(0),
            vrrp_garp_master_refresh_repeat: 1,
            vrrp_garp_lower_prio_delay: Timer::secs(5),
            vrrp_garp_lower_prio_repeat: 5,
            vrrp_garp_interval: Timer::secs(0),
            vrrp_gna_interval: Timer::secs(0),
            vrrp_min_garp: false,
            vrrp_garp_extra_if: None,
            nftables: None,
            nftables_priority: -1,
            nftables_counters: false,
            nftables_ifindex: false,
            nftables_ipvs: None,
            nftables_ipvs_priority: -1,
            nftables_ipvs_start_fwmark: 1000,
            vrrp_iptables: None,
            vrrp_ipsets: None,
            lvs_sync_daemon: None,
            lvs_timeouts: None,
            lvs_flush: false,
            lvs_flush_on_stop: LvsFlushOnStop::Off,
            rs_init_notifies: false,
            vrrp_priority: None,
            checker_priority: None,
            bfd_priority: None,
            vrrp_no_swap: false,
            checker_no_swap: false,
            bfd_no_swap: false,
            vrrp_rt_priority: None,
            checker_rt_priority: None,
            bfd_rt_priority: None,
            vrrp_cpu_affinity: Vec::new(),
            checker_cpu_affinity: Vec::new(),
            bfd_cpu_affinity: Vec::new(),
            vrrp_rlimit_rttime: Timer::micros(10_000),
            checker_rlimit_rttime: Timer::micros(10_000),
            bfd_rlimit_rttime: Timer::micros(10_000),
            max_auto_priority: 0,
            min_auto_priority_delay: Timer::secs(1),
            snmp_socket: None,
            enable_snmp_vrrp: false,
            enable_snmp_checker: false,
            enable_snmp_rfc: false,
            enable_snmp_rfcv2: false,
            enable_snmp_rfcv3: false,
            enable_traps: false,
            snmp_vs_stats_update_interval: Timer::secs(5),
            snmp_rs_stats_update_interval: Timer::secs(0),
            enable_dbus: false,
            dbus_service_name: "org.keepalived.Vrrp1".into(),
            dbus_no_interface_name: None,
            notify_fifo: None,
            notify_fifo_script: None,
            vrrp_notify_fifo: None,
            vrrp_notify_fifo_script: None,
            lvs_notify_fifo: None,
            lvs_notify_fifo_script: None,
            fifo_write_vrrp_states_on_reload: false,
            vrrp_netlink_cmd_rcv_bufs: None,
            vrrp_netlink_cmd_rcv_bufs_force: false,
            vrrp_netlink_monitor_rcv_bufs: None,
            vrrp_netlink_monitor_rcv_bufs_force: false,
            lvs_netlink_cmd_rcv_bufs: None,
            lvs_netlink_cmd_rcv_bufs_force: false,
            lvs_netlink_monitor_rcv_bufs: None,
            lvs_netlink_monitor_rcv_bufs_force: false,
            process_monitor_rcv_bufs: None,
            process_monitor_rcv_bufs_force: false,
            vrrp_rx_bufs_policy: None,
            vrrp_rx_bufs_multiplier: 3,
            reload_check_config: None,
            reload_time_file: None,
            reload_repeat: false,
            reload_file: None,
            include_check: None,
            random_seed: None,
            state_dump_file: None,
            stats_dump_file: None,
            json_dump_file: None,
            data_use_instance: false,
            json_version: 1,
            iproute_usr_dir: None,
            iproute_etc_dir: None,
            metrics_listen: None,
            written: Written::default(),
        }
    }
}

/// How a `linkbeat_interfaces` entry is polled (the preferred method; keepalived falls back to
/// another if the interface does not support it).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub enum LinkbeatMethod {
    #[default]
    #[serde(rename = "MII")]
    Mii,
    #[serde(rename = "ETHTOOL")]
    Ethtool,
    #[serde(rename = "IOCTL")]
    Ioctl,
}

/// One line of `linkbeat_interfaces`: `IF [MII|ETHTOOL|IOCTL]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LinkbeatInterface {
    pub interface: String,
    pub method: LinkbeatMethod,
    pub origin: Origin,
}

/// One line of `interface_up_down_delays`: `IF DOWN_DELAY [UP_DELAY]` (an omitted up delay is
/// 0, as keepalived 2.2.7 runs it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct InterfaceUpDownDelay {
    pub interface: String,
    pub down: Timer,
    pub up: Timer,
    pub origin: Origin,
}

/// `track_group NAME { group { VI_1 ... } }`: the instances that go to FAULT when a static
/// address, route or rule naming this group is lost.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TrackGroup {
    pub name: String,
    pub group: Vec<String>,
    pub origin: Origin,
}
