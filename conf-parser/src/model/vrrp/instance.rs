//! `vrrp_instance NAME { ... }`: one virtual router.

use super::{Family, IpAddress, Route, Rule, ScriptCommand, TrackRef, TrackedInterface, Written};
use crate::source::Origin;
use crate::values::Timer;
use serde::Serialize;
use std::net::IpAddr;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub enum VrrpState {
    #[serde(rename = "MASTER")]
    Master,
    #[default]
    #[serde(rename = "BACKUP")]
    Backup,
}

#[derive(Clone, Debug, Serialize)]
pub struct VrrpInstance {
    pub origin: Origin,
    pub name: String,
    /// Resolved: MASTER when the priority is 255, else BACKUP, when not written.
    pub state: VrrpState,
    /// Required unless the instance is unicast with a unicast_src_ip.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interface: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vrf: Option<String>,
    /// 1..255, required.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub virtual_router_id: Option<u8>,
    /// 1..255 (255: address owner). Resolved as keepalived does: 255 for state MASTER, else 100.
    pub priority: u8,
    /// Resolved: 1 s. Whole seconds up to 255 for VRRPv2, 10 ms steps up to 40.95 s for v3.
    pub advert_int: Timer,
    /// Resolved: global_defs' vrrp_version (2), and always 3 for IPv6.
    pub version: u8,
    pub nopreempt: bool,
    /// 0..1000 s, default 0.
    pub preempt_delay: Timer,
    /// Resolved: on for the address owner, else off in strict mode, else on (`no_accept` clears it).
    pub accept: bool,
    /// Resolved: global_defs' vrrp_strict.
    pub strict_mode: bool,
    /// Resolved: global_defs' vrrp_skip_check_adv_addr.
    pub skip_check_adv_addr: bool,
    pub native_ipv6: bool,
    pub dont_track_primary: bool,

    pub virtual_ipaddress: Vec<IpAddress>,
    pub virtual_ipaddress_excluded: Vec<IpAddress>,
    pub no_virtual_ipaddress: bool,
    pub promote_secondaries: bool,
    pub virtual_routes: Vec<Route>,
    pub virtual_rules: Vec<Rule>,

    #[serde(skip_serializing_if = "Option::is_none")]
    pub use_vmac: Option<UseVmac>,
    pub use_vmac_addr: bool,
    pub vmac_xmit_base: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub use_ipvlan: Option<UseIpvlan>,

    #[serde(skip_serializing_if = "Option::is_none")]
    pub authentication: Option<Authentication>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth_hmac: Option<AuthHmac>,

    pub track_interface: Vec<TrackedInterface>,
    pub track_script: Vec<TrackRef>,
    pub track_file: Vec<TrackRef>,
    pub track_process: Vec<TrackRef>,
    pub track_bfd: Vec<TrackRef>,
    pub track_src_ip: bool,

    #[serde(skip_serializing_if = "Option::is_none")]
    pub mcast_src_ip: Option<IpAddr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unicast_src_ip: Option<IpAddr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mcast_dst_ip: Option<IpAddr>,
    pub unicast_peer: Vec<UnicastPeer>,
    pub unicast_fault_no_peer: bool,
    /// 0..255; the kernel's default (IPv6) or 255 (IPv4) when not written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unicast_ttl: Option<u8>,
    /// Resolved: global_defs' vrrp_check_unicast_src; also on when a peer has min/max_ttl.
    pub check_unicast_src: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_unicast_checksum: Option<OldUnicastChecksum>,
    /// Resolved: global_defs' v3_checksum_as_v2.
    pub v3_checksum_as_v2: bool,

    /// Resolved: global_defs' vrrp_garp_master_delay (5 s).
    pub garp_master_delay: Timer,
    /// Resolved: global_defs' vrrp_garp_master_repeat (5).
    pub garp_master_repeat: u32,
    /// Resolved: global_defs' vrrp_garp_master_refresh (0: no refresh).
    pub garp_master_refresh: Timer,
    /// Resolved: global_defs' vrrp_garp_master_refresh_repeat (1).
    pub garp_master_refresh_repeat: u32,
    /// Resolved: 0 in strict mode, else global_defs' vrrp_garp_lower_prio_delay, which
    /// defaults to the garp_master_delay.
    pub garp_lower_prio_delay: Timer,
    /// Resolved: 0 in strict mode, else global_defs' vrrp_garp_lower_prio_repeat, which
    /// defaults to the garp_master_repeat.
    pub garp_lower_prio_repeat: u32,
    /// Also written `vmac_garp_intvl` (legacy); resolved from global_defs' vrrp_garp_extra_if.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub garp_extra_if: Option<GarpExtraIf>,

    /// 1..100. Resolved: global_defs' vrrp_down_timer_adverts (3).
    pub down_timer_adverts: u8,
    /// Also written `thread_timer_expired` (legacy). The highest priority of the other routers;
    /// 254 when written without one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timer_expired_backup: Option<u8>,
    /// Resolved: on in strict mode, else global_defs' vrrp_lower_prio_no_advert.
    pub lower_prio_no_advert: bool,
    /// Resolved: off in strict mode, else global_defs' vrrp_higher_prio_send_advert.
    pub higher_prio_send_advert: bool,
    /// Resolved: only meaningful for the address owner: on in strict mode, else
    /// global_defs' vrrp_owner_ignore_adverts.
    pub owner_ignore_adverts: bool,

    #[serde(skip_serializing_if = "Option::is_none")]
    pub notify_master: Option<ScriptCommand>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notify_backup: Option<ScriptCommand>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notify_fault: Option<ScriptCommand>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notify_stop: Option<ScriptCommand>,
    /// Written bare, it only makes notifies say DELETED rather than FAULT (command empty).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notify_deleted: Option<ScriptCommand>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notify: Option<ScriptCommand>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notify_master_rx_lower_pri: Option<ScriptCommand>,
    /// Resolved: the sync group's, else global_defs' vrrp_notify_priority_changes.
    pub notify_priority_changes: bool,
    /// Resolved: global_defs' smtp_alert_vrrp, else smtp_alert, else false.
    pub smtp_alert: bool,

    /// 0..4 (no effect in keepalived).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub debug: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kernel_rx_buf_size: Option<u32>,
    /// Deprecated here: use the linkbeat_interfaces block.
    pub linkbeat_use_polling: bool,
    /// Deprecated: use global_defs' lvs_sync_daemon.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lvs_sync_daemon_interface: Option<String>,

    /// The address family, from the first address that says (VIPs, peers, source address,
    /// native_ipv6); IPv4 when none does.
    #[serde(skip)]
    pub family: Option<Family>,
    #[serde(skip)]
    pub written: Written,
}

/// `use_vmac [[name] IFNAME] [MAC] [netlink_notify_msg] [group G]`.
#[derive(Clone, Debug, Default, Serialize)]
pub struct UseVmac {
    /// The macvlan's name; keepalived makes one up (vrrp.VRID) when not given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// 6 octets, or 5 (the VRID is the last).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mac: Option<String>,
    pub netlink_notify_msg: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum IpvlanMode {
    Bridge,
    Private,
    Vepa,
}

/// `use_ipvlan [[name] IFNAME] [IP[/MASK]] [bridge|private|vepa] [group G]`.
#[derive(Clone, Debug, Default, Serialize)]
pub struct UseIpvlan {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<crate::values::IpPrefix>,
    /// Default bridge.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<IpvlanMode>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum AuthType {
    #[serde(rename = "PASS")]
    Pass,
    #[serde(rename = "AH")]
    Ah,
}

/// `authentication { auth_type PASS|AH; auth_pass PASSWORD }` (VRRPv2 only).
#[derive(Clone, Debug, Serialize)]
pub struct Authentication {
    pub origin: Origin,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth_type: Option<AuthType>,
    /// At most 8 characters (keepalived truncates longer ones, and so does this).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth_pass: Option<String>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AntiReplay {
    #[default]
    Time,
    Monotonic,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub enum HmacMode {
    #[default]
    #[serde(rename = "enforce")]
    Enforce,
    #[serde(rename = "permissive")]
    Permissive,
    #[serde(rename = "receive-only")]
    ReceiveOnly,
}

/// `auth_hmac { key ID VALUE; active_key ID; anti_replay time|monotonic; time_window S;
/// mode enforce|permissive|receive-only }` (keepalived 2.4: an HMAC-SHA256 trailer).
#[derive(Clone, Debug, Serialize)]
pub struct AuthHmac {
    pub origin: Origin,
    pub key: Vec<HmacKey>,
    /// Required: one of the key ids.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub active_key: Option<u8>,
    pub anti_replay: AntiReplay,
    /// 1..300 s; keepalived derives it from advert_int when not written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_window: Option<u16>,
    pub mode: HmacMode,
}

/// `key ID VALUE`: VALUE is `hex:...`, `file:PATH`, or the ASCII key itself (32..64 bytes).
#[derive(Clone, Debug, Serialize)]
pub struct HmacKey {
    pub origin: Origin,
    pub id: u8,
    pub value: String,
}

/// `IP [min_ttl N] [max_ttl N]` in `unicast_peer { }`.
#[derive(Clone, Debug, Serialize)]
pub struct UnicastPeer {
    pub origin: Origin,
    pub address: IpAddr,
    /// 0..255, default 0.
    pub min_ttl: u8,
    /// 0..255, default 255.
    pub max_ttl: u8,
}

/// `old_unicast_checksum [never]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OldUnicastChecksum {
    /// Written bare: always use the pre-1.3.6 VRRPv3 checksum.
    Always,
    /// `never`: do not even detect peers using it.
    Never,
}

/// `garp_extra_if [all] SECS`.
#[derive(Clone, Debug, Serialize)]
pub struct GarpExtraIf {
    /// 0..86400 s; 0 disables.
    pub interval: Timer,
    /// Send on every interface the instance uses, not only VMACs.
    pub all: bool,
}
