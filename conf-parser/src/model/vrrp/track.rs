//! What VRRP instances and sync groups track (scripts, files, processes, BFD sessions,
//! interfaces), the groups they form, and the notify scripts they run.

pub use crate::model::ScriptCommand;
use crate::source::Origin;
use crate::values::Timer;
use serde::Serialize;
use std::net::IpAddr;

/// One entry of a `track_script`, `track_file`, `track_process` or `track_bfd` block:
/// `NAME [weight W [reverse|noreverse]]`.
#[derive(Clone, Debug, Serialize)]
pub struct TrackRef {
    pub origin: Origin,
    pub name: String,
    /// Resolved: when not written, the weight of the tracked object itself.
    pub weight: i32,
    /// Resolved like `weight`.
    pub reverse: bool,
    /// Whether `weight` was written here (so the object's own weight must not replace it).
    #[serde(skip)]
    pub weight_written: bool,
    #[serde(skip)]
    pub reverse_written: bool,
}

/// One entry of a `track_interface` block: `IFNAME [weight W [reverse]]`.
#[derive(Clone, Debug, Serialize)]
pub struct TrackedInterface {
    pub origin: Origin,
    pub name: String,
    /// -253..253; 0 (the default) means the instance goes to FAULT when the interface is down.
    pub weight: i32,
    pub reverse: bool,
}

/// `track_file NAME { ... }` (legacy spelling `vrrp_track_file`).
#[derive(Clone, Debug, Serialize)]
pub struct TrackFile {
    pub origin: Origin,
    pub name: String,
    /// Required.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// -254..254, default 1.
    pub weight: i32,
    pub reverse: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub init_file: Option<InitFile>,
}

/// `init_file [VALUE] [overwrite]`: write VALUE (default 0) to the file at startup.
#[derive(Clone, Debug, Serialize)]
pub struct InitFile {
    pub value: i32,
    pub overwrite: bool,
}

/// `vrrp_script NAME { ... }`.
#[derive(Clone, Debug, Serialize)]
pub struct VrrpScript {
    pub origin: Origin,
    pub name: String,
    /// The program and its arguments (required).
    pub script: Vec<String>,
    /// Default 1 second.
    pub interval: Timer,
    /// Resolved: the interval when not written.
    pub timeout: Timer,
    /// -253..253, default 0 (a failure puts tracking instances in FAULT).
    pub weight: i32,
    pub reverse: bool,
    /// Default 1.
    pub rise: u32,
    /// Default 1.
    pub fall: u32,
    /// Defaults (at run time) to global_defs' script_user.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    pub init_fail: bool,
}

/// How a tracked process's parameters must match.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ParamMatch {
    Exact,
    Initial,
    Partial,
}

/// `vrrp_track_process NAME { ... }`.
#[derive(Clone, Debug, Serialize)]
pub struct TrackProcess {
    pub origin: Origin,
    pub name: String,
    /// The process name, then any parameters to match (required).
    pub process: Vec<String>,
    /// Resolved: `exact` when parameters are given and nothing else is written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub param_match: Option<ParamMatch>,
    /// -254..254, default 0.
    pub weight: i32,
    pub reverse: bool,
    /// Default 1.
    pub quorum: u32,
    /// No limit when not written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quorum_max: Option<u32>,
    /// `fork_delay` (also set by `delay`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fork_delay: Option<Timer>,
    /// `terminate_delay` (also set by `delay`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub terminate_delay: Option<Timer>,
    /// Resolved: true too when parameters or param_match are given.
    pub full_command: bool,
}

/// `bfd_instance NAME { ... }`.
#[derive(Clone, Debug, Serialize)]
pub struct BfdInstance {
    pub origin: Origin,
    pub name: String,
    /// Required (legacy spelling `neighbour_ip`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub neighbor_ip: Option<IpAddr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_ip: Option<IpAddr>,
    /// Written in milliseconds; default 10 ms.
    pub min_rx: Timer,
    /// Written in milliseconds; default 10 ms.
    pub min_tx: Timer,
    /// Written in milliseconds; default 1000 ms.
    pub idle_tx: Timer,
    /// 1..255, default 5.
    pub multiplier: u8,
    pub passive: bool,
    /// `ttl` (IPv4) or `hoplimit` (IPv6); resolved: 255 for IPv4, 64 for IPv6.
    pub ttl: u8,
    /// -1..255, default 0.
    pub max_hops: i16,
    pub multihop: bool,
    /// -253..253, default 0.
    pub weight: i32,
    pub reverse: bool,
    /// Resolved: events go to the VRRP process (true unless only `checker` is written).
    pub vrrp: bool,
    /// Resolved: events go to the checker process (true unless only `vrrp` is written).
    pub checker: bool,
}

/// A member of a sync group's `group { }` block.
#[derive(Clone, Debug, Serialize)]
pub struct GroupMember {
    pub origin: Origin,
    pub name: String,
}

/// `vrrp_sync_group NAME { ... }`.
#[derive(Clone, Debug, Serialize)]
pub struct SyncGroup {
    pub origin: Origin,
    pub name: String,
    /// The member vrrp_instances (required).
    pub group: Vec<GroupMember>,
    pub track_interface: Vec<TrackedInterface>,
    pub track_script: Vec<TrackRef>,
    pub track_file: Vec<TrackRef>,
    pub track_process: Vec<TrackRef>,
    pub track_bfd: Vec<TrackRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notify_master: Option<ScriptCommand>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notify_backup: Option<ScriptCommand>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notify_fault: Option<ScriptCommand>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notify_stop: Option<ScriptCommand>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notify: Option<ScriptCommand>,
    /// Resolved: global_defs' vrrp_notify_priority_changes when not written.
    pub notify_priority_changes: bool,
    /// Resolved: global_defs' smtp_alert_vrrp, else smtp_alert, else false.
    pub smtp_alert: bool,
    /// Also set by the legacy `global_tracking`.
    pub sync_group_tracking_weight: bool,
    #[serde(skip)]
    pub written: super::Written,
}

/// `garp_group { ... }`: paces gratuitous ARPs / unsolicited NAs on some interfaces.
#[derive(Clone, Debug, Serialize)]
pub struct GarpGroup {
    pub origin: Origin,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub garp_interval: Option<Timer>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gna_interval: Option<Timer>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interface: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub interfaces: Vec<String>,
}
