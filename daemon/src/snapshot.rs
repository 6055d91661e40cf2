//! What the running daemon shows of itself: a snapshot each loop publishes on a
//! `tokio::sync::watch` (the VRRP loop: [`VrrpSnapshot`]; the LVS side: [`LvsSnapshot`]), so
//! that the dump files, `keepalived-rs status` and the metrics read state without ever asking
//! the loops for it: a slow reader cannot delay an advert. Plain data; the loops fill them
//! (`vrrpd::Runtime::snapshot`, `lvsd`), readers format them.
//!
//! The VRRP loop publishes at each transition, reload and tracking change, and at most once a
//! [`PUBLISH_PERIOD`] for counters alone.

use std::net::IpAddr;
use std::time::{Duration, SystemTime};

use serde::Serialize;

/// How often a loop publishes when only counters changed.
pub const PUBLISH_PERIOD: Duration = Duration::from_millis(500);

/// keepalived's VRRP statistics of one instance, plus ours.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct InstanceStats {
    pub advert_rcvd: u64,
    pub advert_sent: u64,
    pub become_master: u64,
    pub release_master: u64,
    pub pri_zero_rcvd: u64,
    pub pri_zero_sent: u64,
}

/// One tracked object of an instance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TrackedSnapshot {
    /// `interface`, `script`, `file` or `process`.
    pub kind: &'static str,
    pub name: String,
    pub weight: i32,
    pub reverse: bool,
    /// `up`, `down`, or a track_file's value.
    pub status: String,
}

/// An instance's VMAC (`use_vmac`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VmacSnapshot {
    pub name: String,
    /// The adverts leave from the base interface (`vmac_xmit_base`).
    pub xmit_base: bool,
    /// It exists and is up (as far as the instance knows: its interfaces are usable).
    pub up: bool,
}

/// One VRRP instance.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InstanceSnapshot {
    pub name: String,
    pub interface: String,
    /// `use_vmac`: the macvlan the VIPs are on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vmac: Option<VmacSnapshot>,
    pub vrid: u8,
    pub version: u8,
    pub ipv6: bool,
    /// keepalived's words: INIT, BACKUP, MASTER, FAULT, STOP.
    pub state: &'static str,
    /// keepalived's `state`: MASTER or BACKUP.
    pub wanted_state: &'static str,
    pub base_priority: u8,
    pub effective_priority: u8,
    pub advert_interval: Duration,
    pub preempt: bool,
    pub preempt_delay: Duration,
    pub accept: bool,
    /// When the instance last changed state, and from which.
    pub last_transition: SystemTime,
    pub last_transition_from: &'static str,
    /// State changes since the instance started (a reload that restarts it starts again).
    pub transitions: u64,
    /// The master heard last (a Backup's), with its priority.
    pub master: Option<(IpAddr, u8)>,
    /// The source of the last advert heard, kept while Master too (RFC 2787's
    /// vrrpOperMasterIpAddr, as keepalived serves it); not in `status`.
    #[serde(skip)]
    pub master_heard: Option<IpAddr>,
    pub source: IpAddr,
    pub multicast_group: Option<IpAddr>,
    pub unicast_peers: Vec<IpAddr>,
    /// Each unicast peer's `min_ttl` and `max_ttl`, in `unicast_peers`' order.
    pub unicast_peer_ttl: Vec<(u8, u8)>,
    /// `unicast_ttl` (255 unless written).
    pub unicast_ttl: u8,
    /// `check_unicast_src` (resolved).
    pub check_unicast_src: bool,
    /// The PASS password or the AH key (the dump files hold it, as keepalived's do; `status`
    /// never shows it).
    #[serde(skip)]
    pub auth_pass: Option<String>,
    /// VRRPv2 authentication type: 0 none, 1 PASS, 2 AH (keepalived's numbers).
    pub auth_type: u8,
    /// `ADDR/LEN dev IF scope S [label L]`, as keepalived's data dump writes them.
    pub vips: Vec<String>,
    /// The addresses of `vips`, in their order (RFC 2787's vrrpAssoIpAddrTable); not in
    /// `status`.
    #[serde(skip)]
    pub vip_addrs: Vec<IpAddr>,
    /// `virtual_ipaddress_excluded`, the same way.
    pub excluded_vips: Vec<String>,
    /// `virtual_routes` and `virtual_rules` as keepalived's data dump writes them.
    pub routes: Vec<String>,
    pub rules: Vec<String>,
    pub tracked: Vec<TrackedSnapshot>,
    pub garp_delay: Duration,
    pub garp_repeat: u32,
    pub garp_refresh: Duration,
    pub garp_refresh_repeat: u32,
    pub garp_lower_prio_delay: Duration,
    pub garp_lower_prio_repeat: u32,
    pub down_timer_adverts: u32,
    /// `garp_extra_if all`'s interval (zero: off).
    pub garp_extra_if: Duration,
    pub lower_prio_no_advert: bool,
    pub higher_prio_send_advert: bool,
    /// `promote_secondaries` (crate::promote_secondaries).
    pub promote_secondaries: bool,
    /// `smtp_alert`, resolved: whether its transitions mail.
    pub smtp_alert: bool,
    /// `notify_deleted` written: a reload removing it says DELETED, not FAULT.
    pub notify_deleted: bool,
    /// `dont_track_primary`: the interface's link does not count.
    pub dont_track_primary: bool,
    /// Its notify scripts, as keepalived's data dump lists them (its name of each, in its
    /// order: [`crate::vrrpd::notify::dump_order`]); not in `status`.
    #[serde(skip)]
    pub notify_scripts: Vec<(&'static str, crate::script_user::Script)>,
    /// `notify_priority_changes` (resolved).
    #[serde(skip)]
    pub notify_priority_changes: bool,
    pub stats: InstanceStats,
    /// Adverts dropped, by reason (`vrrp::DropKind::name`), zeros included.
    pub drops: Vec<(&'static str, u64)>,
}

/// One sync group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupSnapshot {
    pub name: String,
    pub members: Vec<String>,
    /// The state last notified (the members' common state), if any yet.
    pub state: Option<&'static str>,
    /// `smtp_alert` (resolved); not in `status`.
    #[serde(skip)]
    pub smtp_alert: bool,
    /// The group's notify scripts, as for an instance; not in `status`.
    #[serde(skip)]
    pub notify_scripts: Vec<(&'static str, crate::script_user::Script)>,
}

/// One receiving interface and what it dropped before any instance could be told.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReceiverSnapshot {
    pub interface: String,
    pub ipv6: bool,
    pub drops: Vec<(&'static str, u64)>,
}

/// The VRRP side.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VrrpSnapshot {
    pub taken: SystemTime,
    pub instances: Vec<InstanceSnapshot>,
    pub groups: Vec<GroupSnapshot>,
    pub receivers: Vec<ReceiverSnapshot>,
    /// `static_ipaddress`, `static_routes`, `static_rules` as keepalived's data dump writes
    /// them (the addresses with `set` while installed).
    pub static_addresses: Vec<String>,
    pub static_routes: Vec<String>,
    pub static_rules: Vec<String>,
}

impl Default for VrrpSnapshot {
    fn default() -> Self {
        VrrpSnapshot {
            taken: SystemTime::UNIX_EPOCH,
            instances: Vec::new(),
            groups: Vec::new(),
            receivers: Vec::new(),
            static_addresses: Vec::new(),
            static_routes: Vec::new(),
            static_rules: Vec::new(),
        }
    }
}

/// One checker of a real server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckerSnapshot {
    /// keepalived's keyword: TCP_CHECK, HTTP_GET, ...
    pub kind: &'static str,
    pub up: bool,
    /// What the last change of state said (the failure's reason, or what succeeded); shared
    /// with the LVS loop's record of it.
    pub reason: std::sync::Arc<str>,
    /// When it last changed state (its start, until then).
    pub since: SystemTime,
    /// Failed checks reported so far (with `log_all_failures`, every failed attempt).
    pub failures: u64,
}

/// One real server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RealServerSnapshot {
    /// `ADDR:PORT`.
    pub address: String,
    /// keepalived's words for the forwarding method: NAT, DR, TUN (LOCAL, BYPASS: the kernel's others).
    pub forwarding: &'static str,
    pub configured_weight: u32,
    /// Every checker is up.
    pub alive: bool,
    /// The weight the kernel should hold now, or None when it is out of the table.
    pub weight: Option<u32>,
    pub checkers: Vec<CheckerSnapshot>,
}

/// One virtual server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VirtualServerSnapshot {
    /// keepalived's name: `[192.0.2.1]:tcp:80`, `FWM 5`, `[GROUP]:0`.
    pub name: String,
    /// `ha_suspend`.
    pub ha_suspend: bool,
    /// Its checkers are suspended now (`ha_suspend`, its address not on the node): they make
    /// no check.
    pub suspended: bool,
    /// Its address and port, or firewall mark (a group has neither).
    pub vip: Option<(IpAddr, u16)>,
    pub fwmark: Option<u32>,
    /// TCP, UDP, SCTP; `none` for a firewall mark.
    pub protocol: &'static str,
    /// The IPVS services it stands for (`TCP 192.0.2.1:80`).
    pub services: Vec<String>,
    pub scheduler: String,
    /// Persistence timeout in seconds (0: not persistent).
    pub persistence_timeout: u32,
    pub quorum: u32,
    pub hysteresis: u32,
    pub quorum_up: bool,
    /// The sorry server, when it is in use.
    pub sorry_server: Option<String>,
    pub real_servers: Vec<RealServerSnapshot>,
}

/// The upper bounds of [`PassTimes`]' buckets, in microseconds: 100 µs (an update of one
/// service) to 10 s (a full pass over a very large table).
pub const PASS_BOUNDS_MICROS: [u64; 16] = [
    100, 250, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000,
    1_000_000, 2_500_000, 5_000_000, 10_000_000,
];

/// How long the reconciler's passes of one kind took (reading the kernel, planning and
/// applying), as a histogram.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PassTimes {
    /// Passes per bucket of [`PASS_BOUNDS_MICROS`], then those longer than the last bound;
    /// not cumulative.
    pub buckets: [u64; PASS_BOUNDS_MICROS.len() + 1],
    pub total: Duration,
    pub last: Option<Duration>,
}

impl PassTimes {
    pub fn record(&mut self, took: Duration) {
        let micros = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        self.buckets[PASS_BOUNDS_MICROS.partition_point(|&b| b < micros)] += 1;
        self.total += took;
        self.last = Some(took);
    }

    #[cfg(test)]
    pub fn count(&self) -> u64 {
        self.buckets.iter().sum()
    }
}

/// The reconciler's pass times by kind of pass.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PassDurations {
    pub full: PassTimes,
    pub update: PassTimes,
    pub reload: PassTimes,
    /// Each slice of the sweep.
    pub sweep: PassTimes,
}

/// The reconciler thread's counters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ReconcilerSnapshot {
    /// Comparisons of the whole table: full passes, and rounds of the sweep.
    pub full_passes: u64,
    pub updates: u64,
    pub reloads: u64,
    /// Slices of the sweep.
    pub sweeps: u64,
    pub pass_durations: PassDurations,
    /// Kernel operations applied.
    pub operations: u64,
    /// Passes that corrected a table changed by hand.
    pub drift_corrections: u64,
    pub errors: u64,
    /// When the whole table was last compared (a full pass, or the end of a sweep's round).
    pub last_full_pass: Option<SystemTime>,
    pub last_error: Option<String>,
}

/// The LVS side. The virtual servers are shared between snapshots: a batch of checker events
/// rebuilds only those it touched.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LvsSnapshot {
    pub taken: SystemTime,
    pub virtual_servers: Vec<std::sync::Arc<VirtualServerSnapshot>>,
    pub reconciler: ReconcilerSnapshot,
}

impl Default for LvsSnapshot {
    fn default() -> Self {
        LvsSnapshot {
            taken: SystemTime::UNIX_EPOCH,
            virtual_servers: Vec::new(),
            reconciler: ReconcilerSnapshot::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pass_time_lands_in_the_first_bucket_that_holds_it() {
        let mut t = PassTimes::default();
        t.record(Duration::from_micros(100)); // on the bound: le="0.0001"
        t.record(Duration::from_micros(101));
        t.record(Duration::from_secs(11));
        assert_eq!(t.buckets[0], 1);
        assert_eq!(t.buckets[1], 1);
        assert_eq!(t.buckets[PASS_BOUNDS_MICROS.len()], 1, "past every bound");
        assert_eq!(t.count(), 3);
        assert_eq!(t.total, Duration::from_micros(11_000_201));
        assert_eq!(t.last, Some(Duration::from_secs(11)));
    }
}
