//! The VRRP side's plan: conf-parser's `config.vrrp` (with global_defs' values already resolved
//! into each instance by the parser) translated into the vrrp crate's plain types plus what the
//! daemon needs around them (interface, addresses with their `ip addr` options, notify scripts).
//! Pure: no sockets, no kernel. The runtime resolves the interface's own address later.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::Duration;

use conf_parser::model::vrrp::{AuthType, Broadcast, OldUnicastChecksum, VrrpInstance, VrrpState};
use conf_parser::Config;
use vrrp::{Auth, ChecksumMode, InstanceConfig, ProtocolVersion, WantedState};

use super::route::scope_number;
pub use super::route::{route_plan, VRoute};
pub use super::rule::{rule_plan, VRule};
use super::statics::Statics;

/// One virtual address with the options `ip addr add` would take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vip {
    pub addr: IpAddr,
    pub prefix_len: u8,
    pub brd: Option<Broadcast>,
    /// The interface to put it on; the instance's when not written.
    pub dev: String,
    /// `host`, `link`, `site`, `global`/`universe`, `nowhere`, or a number.
    pub scope: Option<u8>,
    pub label: Option<String>,
    pub noprefixroute: bool,
    pub nodad: bool,
    /// An IPv6 address's `preferred_lft` in seconds (0: deprecated at once, keepalived's default
    /// for a /128); None: forever. Always None for IPv4 (keepalived ignores it there).
    pub preferred_lft: Option<u32>,
    /// From `virtual_ipaddress_excluded`: held with the others but not carried in adverts.
    pub excluded: bool,
    /// `peer`: the other end of a point-to-point address (its prefix is `prefix_len`).
    pub peer: Option<IpAddr>,
    /// `home` and `mngtmpaddr`: IPv6 flags passed to the kernel as written.
    pub home: bool,
    pub mngtmpaddr: bool,
    /// `no_track`: the address's interface is not tracked (a VIP's) and a static address
    /// deleted behind our back is not put back.
    pub no_track: bool,
}

impl Vip {
    /// `addr/prefix_len` on `dev` with none of the options a line may add: what `ip addr add`
    /// does with the bare address.
    pub fn plain(addr: IpAddr, prefix_len: u8, dev: &str) -> Vip {
        Vip {
            addr,
            prefix_len,
            brd: None,
            dev: dev.to_string(),
            scope: None,
            label: None,
            noprefixroute: false,
            nodad: false,
            preferred_lft: None,
            excluded: false,
            peer: None,
            home: false,
            mngtmpaddr: false,
            no_track: false,
        }
    }

    /// One line of `virtual_ipaddress`, `virtual_ipaddress_excluded` or `static_ipaddress`, to
    /// be put on `dev` when the line names none.
    pub fn of(
        a: &conf_parser::model::vrrp::IpAddress,
        dev: &str,
        excluded: bool,
    ) -> Result<Vip, String> {
        Ok(Vip {
            addr: a.address.addr,
            prefix_len: a.address.len,
            brd: a.brd,
            dev: a.dev.clone().unwrap_or_else(|| dev.to_string()),
            scope: a.scope.as_deref().map(scope_number).transpose()?,
            label: a.label.clone(),
            noprefixroute: a.noprefixroute,
            // keepalived 2.2.7 adds every IPv6 address it installs with nodad, written or not
            // (measured: netns_vip_options.rs, netns_statics.rs): a VIP taken over is usable
            // at once, not tentative while the old master's copy may still answer.
            nodad: a.nodad || a.address.addr.is_ipv6(),
            preferred_lft: match a.preferred_lft {
                Some(conf_parser::model::vrrp::Lifetime::Secs(n)) if a.address.addr.is_ipv6() => {
                    Some(n)
                }
                _ => None,
            },
            excluded,
            peer: a.peer,
            home: a.home,
            mngtmpaddr: a.mngtmpaddr,
            no_track: a.no_track,
        })
    }
}

/// One script to run on a transition: the program and its arguments, and who runs it.
pub use crate::script_user::Script;
use crate::script_user::{RunAs, ScriptUsers};

/// The notify scripts of one instance.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Notify {
    pub master: Option<Script>,
    pub backup: Option<Script>,
    pub fault: Option<Script>,
    pub stop: Option<Script>,
    /// keepalived's `notify`: called with `INSTANCE NAME STATE PRIORITY` appended.
    pub any: Option<Script>,
    /// `notify_master_rx_lower_pri`: a Master heard a lower priority's advert.
    pub master_rx_lower_pri: Option<Script>,
    /// `notify_deleted` written: when a reload removes the instance, its notifies say DELETED
    /// instead of FAULT.
    pub says_deleted: bool,
    /// `notify_deleted`'s script, when it names one: run when a reload removes the instance.
    pub deleted: Option<Script>,
}

/// Everything the runtime needs to run one `vrrp_instance`.
#[derive(Debug, Clone, PartialEq)]
pub struct InstancePlan {
    pub name: String,
    pub interface: String,
    /// The state machine's settings; `local_address` is a placeholder (unspecified address of
    /// the family) until the runtime reads the interface's primary address.
    pub config: InstanceConfig,
    pub ipv6: bool,
    /// `unicast_src_ip` or `mcast_src_ip`: the source of our adverts, instead of the interface's
    /// primary address.
    pub src_ip: Option<IpAddr>,
    pub vips: Vec<Vip>,
    pub skip_check_adv_addr: bool,
    pub checksum: ChecksumMode,
    /// vrrp_garp_interval / vrrp_gna_interval: the gap between messages on an interface
    /// (`garp_pace`).
    pub gratuitous_interval: Duration,
    /// `garp_group`s' interfaces with their interval for this instance's family (0 when the
    /// group sets none for it: the global interval does not apply there either, as in
    /// keepalived): instead of `gratuitous_interval` for the addresses on them.
    pub garp_groups: Vec<(String, Duration)>,
    pub notify: Notify,
    /// Multicast group for adverts (vrrp_mcast_group4/6).
    pub mcast_group: IpAddr,
    /// `track_interface` (the instance's own and its sync group's): name, weight, reverse;
    /// then, with weight 0, the interfaces of its addresses and routes (`implied_interfaces`).
    pub track_interface: Vec<TrackedObj>,
    /// The interfaces tracked because an address or route of the instance is on them, not
    /// written in `track_interface` (keepalived's dump does not list them).
    pub implied_interfaces: Vec<String>,
    /// `track_script` (the instance's own and its sync group's), naming [`Plan::scripts`].
    pub track_script: Vec<TrackedObj>,
    /// `track_file` (the instance's own and its sync group's), naming [`Plan::files`].
    pub track_file: Vec<TrackedObj>,
    /// `track_process` (the instance's own and its sync group's), naming [`Plan::processes`].
    pub track_process: Vec<TrackedObj>,
    /// `track_bfd` (the instance's own and its sync group's), naming [`Plan::bfd`] sessions.
    pub track_bfd: Vec<TrackedObj>,
    /// `virtual_routes` this daemon can install (the others are listed in [`Plan::unsupported`]):
    /// installed after the addresses on becoming Master, removed before them on leaving.
    pub routes: Vec<VRoute>,
    /// `virtual_rules` (the others are listed in [`Plan::unsupported`]): installed after the
    /// routes, removed before them.
    pub rules: Vec<VRule>,
    /// `smtp_alert` (resolved): its transitions are mailed.
    pub smtp_alert: bool,
    /// `notify_priority_changes` (resolved): a change of its effective priority is written to
    /// the FIFOs.
    pub notify_priority_changes: bool,
    /// `promote_secondaries`: the interface's flag is on while the daemon runs
    /// (crate::promote_secondaries).
    pub promote_secondaries: bool,
    /// `unicast_fault_no_peer` without any `unicast_peer`: the instance is held in FAULT (as
    /// keepalived), where it would otherwise fall back to multicast.
    pub fault_no_peer: bool,
    /// `dont_track_primary`: the interface's link (down, no carrier) does not put the
    /// instance in FAULT; a missing interface or address still does (keepalived 2.2.7,
    /// measured).
    pub dont_track_primary: bool,
    /// `unicast_ttl`: the TTL (hop limit) of our unicast adverts; 255 unless written.
    pub unicast_ttl: u8,
    /// Each unicast peer's `min_ttl`/`max_ttl` (0 and 255 unless written).
    pub peer_ttl: Vec<(IpAddr, (u8, u8))>,
    /// `use_vmac`: the macvlan the VIPs without a `dev` go on, and the adverts leave from
    /// (super::vmac). `interface` stays the base: adverts are received and their source
    /// address taken there.
    pub vmac: Option<super::vmac::Vmac>,
    /// `auth_type AH` (VRRPv2 over IPv4): the key of the adverts' IP Authentication Header
    /// (`config.auth` is then `Auth::Ah`).
    pub ah_key: Option<vrrp::ah::AhKey>,
}

/// A `vrrp_track_process` that some instance tracks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessPlan {
    pub name: String,
    /// The process name (or, with `full_command`, its argv\[0\]).
    pub process: String,
    /// Parameters to match against argv\[1..\] (none: any parameters).
    pub params: Vec<String>,
    pub param_match: conf_parser::model::vrrp::ParamMatch,
    pub full_command: bool,
    /// The process is up when at least `quorum` and at most `quorum_max` instances run.
    pub quorum: u32,
    pub quorum_max: Option<u32>,
    /// A new process counts once it has run this long; a gone one once it has been gone this
    /// long.
    pub fork_delay: Duration,
    pub terminate_delay: Duration,
}

/// A `track_file` that some instance tracks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilePlan {
    pub name: String,
    pub path: std::path::PathBuf,
    /// `init_file VALUE [overwrite]`: written at start when the file is missing (or always).
    pub init: Option<(i32, bool)>,
}

/// A `vrrp_script` that some instance tracks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptPlan {
    pub name: String,
    pub command: Vec<String>,
    /// `user USER [GROUP]`, else global_defs' default (crate::script_user).
    pub run_as: RunAs,
    pub interval: Duration,
    /// A run taking longer fails (and is killed).
    pub timeout: Duration,
    /// Consecutive successes that make a failed script OK again.
    pub rise: u32,
    /// Consecutive failures that make an OK script fail.
    pub fall: u32,
    /// Start failed rather than OK.
    pub init_fail: bool,
}

/// One tracked object (interface or script) with its weight.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackedObj {
    pub name: String,
    /// 0: the instance goes to Fault while the interface is down.
    pub weight: i32,
    pub reverse: bool,
}

impl From<&conf_parser::model::vrrp::TrackRef> for TrackedObj {
    fn from(t: &conf_parser::model::vrrp::TrackRef) -> TrackedObj {
        TrackedObj {
            name: t.name.clone(),
            weight: t.weight,
            reverse: t.reverse,
        }
    }
}

impl From<&conf_parser::model::vrrp::TrackedInterface> for TrackedObj {
    fn from(t: &conf_parser::model::vrrp::TrackedInterface) -> TrackedObj {
        TrackedObj {
            name: t.name.clone(),
            weight: t.weight,
            reverse: t.reverse,
        }
    }
}

/// A `track_*` list of the model as the runtime's tracked objects.
fn tracked<'a, T: 'a>(list: &'a [T]) -> Vec<TrackedObj>
where
    &'a T: Into<TrackedObj>,
{
    list.iter().map(Into::into).collect()
}

/// A `vrrp_sync_group`: its name and its members' names, in the group's order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupPlan {
    pub name: String,
    pub members: Vec<String>,
    /// The group's own notify scripts (`notify` gets `GROUP NAME STATE`).
    pub notify: Notify,
    /// `smtp_alert` (resolved): its transitions are mailed.
    pub smtp_alert: bool,
}

impl InstancePlan {
    /// The TTLs a unicast advert from `from` may have: its peer's `min_ttl`..`max_ttl`, any
    /// from an address that is no peer (`check_unicast_src` decides about those).
    pub fn peer_ttl_range(&self, from: IpAddr) -> (u8, u8) {
        self.peer_ttl
            .iter()
            .find(|(a, _)| *a == from)
            .map_or((0, 255), |&(_, r)| r)
    }

    /// The advert's version field for this instance, as [`vrrp::check`] expects it.
    pub fn expected_version(&self) -> vrrp::Version {
        match self.config.version {
            ProtocolVersion::V2 => vrrp::Version::V2 {
                advert_interval_secs: self.config.advert_interval.as_secs().min(255) as u8,
                auth: self.config.auth,
            },
            ProtocolVersion::V3 => vrrp::Version::V3 {
                max_advert_interval_cs: (self.config.advert_interval.as_millis() / 10).min(4095)
                    as u16,
            },
        }
    }

    /// Where the adverts leave from: the VMAC, unless `vmac_xmit_base` (or none).
    pub fn send_interface(&self) -> &str {
        match &self.vmac {
            Some(v) if !v.xmit_base => &v.name,
            _ => &self.interface,
        }
    }

    /// This instance's VIPs whose address is among `addrs` (a state-machine action names
    /// addresses; the kernel calls need the device, prefix and options), in configuration order.
    /// The gap between the messages of a burst on `dev`: its `garp_group`'s interval, else
    /// global_defs'. A VMAC's is its base interface's (keepalived paces the base).
    pub fn gratuitous_interval_on(&self, dev: &str) -> Duration {
        let base = self.paced_by(dev);
        self.garp_groups
            .iter()
            .find(|(name, _)| name == base)
            .map_or(self.gratuitous_interval, |(_, i)| *i)
    }

    /// The interface whose interval spaces the messages on `dev`: a VMAC's base, else `dev`.
    pub fn paced_by<'a>(&'a self, dev: &'a str) -> &'a str {
        match &self.vmac {
            Some(v) if v.name == dev => self.interface.as_str(),
            _ => dev,
        }
    }

    pub fn vips_among<'a>(&'a self, addrs: &'a [IpAddr]) -> impl Iterator<Item = &'a Vip> + 'a {
        self.vips.iter().filter(move |v| addrs.contains(&v.addr))
    }
}

/// The VRRP plan of a whole configuration.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Plan {
    pub instances: Vec<InstancePlan>,
    pub groups: Vec<GroupPlan>,
    /// The vrrp_scripts tracked by some instance.
    pub scripts: Vec<ScriptPlan>,
    /// The track_files tracked by some instance.
    pub files: Vec<FilePlan>,
    /// The vrrp_track_processes tracked by some instance.
    pub processes: Vec<ProcessPlan>,
    /// Every `bfd_instance` (keepalived runs them tracked or not).
    pub bfd: Vec<crate::bfdd::SessionPlan>,
    /// Scripts left out because their user or group cannot be had, one line each (logged at
    /// start and on reload; keepalived leaves them out too).
    pub skipped: Vec<String>,
    /// What keepalived 2.2.7 runs and keepalived-rs cannot, one line each with what to do
    /// instead: the daemon refuses such a configuration (at start and on reload) rather than
    /// run it with a part missing.
    pub unsupported: Vec<String>,
    /// global_defs `dynamic_interfaces`: an instance's interface may be missing at start (the
    /// instance starts in FAULT); without it a missing interface is an error, as in keepalived.
    pub dynamic_interfaces: bool,
    /// global_defs `no_email_faults`: transitions to FAULT are not mailed.
    pub no_email_faults: bool,
    /// global_defs `log_unknown_vrids`: adverts for VRIDs no instance on their interface has
    /// are logged (keepalived's words), not only counted.
    pub log_unknown_vrids: bool,
    /// global_defs `fifo_write_vrrp_states_on_reload`: a reload writes every group's and
    /// instance's state to the FIFOs.
    pub fifo_write_states_on_reload: bool,
    /// global_defs `vrrp_startup_delay`: for this long after the daemon starts no instance
    /// may become Master (`vrrp::Input::StartupDelay`). Read at start only, as keepalived.
    pub startup_delay: std::time::Duration,
    /// `static_ipaddress`, `static_routes` and `static_rules` this daemon can install (the
    /// others are listed in `unsupported`): installed at start, removed at stop (`statics`).
    pub statics: Statics,
    /// `interface_up_down_delays`, capped by the instances on each interface (`link_delay`).
    pub link_delays: BTreeMap<String, super::link_delay::Delays>,
    /// keepalived's lines for the delays it caps, logged at start and on reload.
    pub link_delay_notes: Vec<String>,
    /// The nftables table, chains' priority and counters for instances not in accept mode
    /// (`firewall`), from global_defs' `nftables*` keywords. Read at start only.
    pub firewall: super::firewall::Settings,
    /// keepalived's start line saying which firewall it uses, if any instance needs one.
    pub firewall_note: Option<String>,
}

/// Translates one instance; errors name the instance. A notify script whose user cannot be had
/// is left out, with a line in `skipped` (keepalived leaves it out too).
pub fn instance_plan(
    i: &VrrpInstance,
    config: &Config,
    users: &ScriptUsers,
    skipped: &mut Vec<String>,
) -> Result<InstancePlan, String> {
    let mut script = |keyword: &str, c| users.script_or_skip(keyword, c, skipped);
    let err = |m: String| format!("vrrp_instance {}: {m}", i.name);
    let interface = i
        .interface
        .clone()
        .ok_or_else(|| err("no interface".into()))?;
    let vrid = i
        .virtual_router_id
        .ok_or_else(|| err("no virtual_router_id".into()))?;
    let version = match i.version {
        2 => ProtocolVersion::V2,
        3 => ProtocolVersion::V3,
        v => return Err(err(format!("unsupported VRRP version {v}"))),
    };
    let ipv6 = i
        .family
        .map(|f| f == conf_parser::model::vrrp::Family::Inet6)
        .unwrap_or(false);
    let g = &config.global.global_defs;
    let vmac = super::vmac::of(i, &interface, vrid, &g.vmac_prefix, ipv6);
    // keepalived puts the addresses without a `dev` on the VMAC.
    let vips_dev = vmac.as_ref().map_or(&interface, |v| &v.name).clone();
    let mut vips = Vec::new();
    let advertised = i.virtual_ipaddress.iter().map(|a| (a, false));
    // The excluded ones may be of either family: they are not in the adverts.
    let excluded = i.virtual_ipaddress_excluded.iter().map(|a| (a, true));
    for (a, excluded) in advertised.chain(excluded) {
        if !excluded && a.address.addr.is_ipv6() != ipv6 {
            return Err(err(format!(
                "address {} is not of the instance's family",
                a.address
            )));
        }
        vips.push(Vip::of(a, &vips_dev, excluded).map_err(err)?);
    }
    let pass = |a: &conf_parser::model::vrrp::Authentication| {
        a.auth_pass.as_deref().unwrap_or("").as_bytes().to_vec()
    };
    // VRRPv2 only; AH over IPv4 only (conf-parser says keepalived ignores it otherwise).
    let v2 = version == ProtocolVersion::V2;
    let (auth, ah_key) = match &i.authentication {
        Some(a) if v2 && a.auth_type == Some(AuthType::Pass) => (Auth::password(&pass(a)), None),
        Some(a) if v2 && !ipv6 && a.auth_type == Some(AuthType::Ah) => {
            (Auth::Ah, Some(vrrp::ah::AhKey::new(&pass(a))))
        }
        _ => (Auth::None, None),
    };
    let placeholder: IpAddr = if ipv6 {
        std::net::Ipv6Addr::UNSPECIFIED.into()
    } else {
        std::net::Ipv4Addr::UNSPECIFIED.into()
    };
    let mut c = InstanceConfig::new(
        vrid,
        i.priority,
        placeholder,
        vips.iter()
            .filter(|v| !v.excluded)
            .map(|v| v.addr)
            .collect(),
    );
    c.excluded_vips = vips.iter().filter(|v| v.excluded).map(|v| v.addr).collect();
    c.version = version;
    c.advert_interval = i.advert_int.0;
    c.preempt = !i.nopreempt;
    c.preempt_delay = i.preempt_delay.0;
    c.initial_state = match i.state {
        VrrpState::Master => WantedState::Master,
        VrrpState::Backup => WantedState::Backup,
    };
    c.down_timer_adverts = u32::from(i.down_timer_adverts);
    c.auth = auth;
    c.garp_master_delay = i.garp_master_delay.0;
    c.garp_master_repeat = i.garp_master_repeat;
    c.garp_master_refresh = i.garp_master_refresh.0;
    c.garp_master_refresh_repeat = i.garp_master_refresh_repeat;
    c.garp_lower_prio_delay = Some(i.garp_lower_prio_delay.0);
    c.garp_lower_prio_repeat = Some(i.garp_lower_prio_repeat);
    if let Some(g) = i.garp_extra_if.as_ref().filter(|g| g.all) {
        c.garp_extra_if = g.interval.0;
        c.extra_if_addresses = extra_if_addresses(&vips, &interface);
    }
    c.lower_prio_no_advert = i.lower_prio_no_advert;
    c.higher_prio_send_advert = i.higher_prio_send_advert;
    c.unicast_peers = i.unicast_peer.iter().map(|p| p.address).collect();
    c.check_unicast_src = i.check_unicast_src;
    c.accept = i.accept;
    vrrp::Instance::new(c.clone()).map_err(|e| err(e.to_string()))?;

    let checksum =
        if i.v3_checksum_as_v2 || i.old_unicast_checksum == Some(OldUnicastChecksum::Always) {
            ChecksumMode::V3AsV2
        } else {
            ChecksumMode::Rfc
        };
    Ok(InstancePlan {
        name: i.name.clone(),
        interface,
        config: c,
        ipv6,
        src_ip: i.unicast_src_ip.or(i.mcast_src_ip),
        vips,
        skip_check_adv_addr: i.skip_check_adv_addr,
        checksum,
        gratuitous_interval: if ipv6 {
            g.vrrp_gna_interval.0
        } else {
            g.vrrp_garp_interval.0
        },
        garp_groups: config
            .vrrp
            .garp_group
            .iter()
            .flat_map(|group| {
                let interval = if ipv6 {
                    group.gna_interval
                } else {
                    group.garp_interval
                };
                let interval = interval.map_or(Duration::ZERO, |t| t.0);
                group
                    .interface
                    .iter()
                    .chain(&group.interfaces)
                    .map(move |name| (name.clone(), interval))
            })
            .collect(),
        notify: Notify {
            master: script("notify_master", &i.notify_master),
            backup: script("notify_backup", &i.notify_backup),
            fault: script("notify_fault", &i.notify_fault),
            stop: script("notify_stop", &i.notify_stop),
            any: script("notify", &i.notify),
            master_rx_lower_pri: script(
                "notify_master_rx_lower_pri",
                &i.notify_master_rx_lower_pri,
            ),
            says_deleted: i.notify_deleted.is_some(),
            // Bare, it names no script.
            deleted: script(
                "notify_deleted",
                &i.notify_deleted.clone().filter(|c| !c.command.is_empty()),
            ),
        },
        track_interface: tracked(&i.track_interface),
        implied_interfaces: Vec::new(),
        routes: Vec::new(),
        rules: Vec::new(),
        smtp_alert: i.smtp_alert,
        notify_priority_changes: i.notify_priority_changes,
        promote_secondaries: i.promote_secondaries,
        fault_no_peer: i.unicast_fault_no_peer && i.unicast_peer.is_empty(),
        dont_track_primary: i.dont_track_primary,
        unicast_ttl: i.unicast_ttl.unwrap_or(255),
        peer_ttl: i
            .unicast_peer
            .iter()
            .map(|p| (p.address, (p.min_ttl, p.max_ttl)))
            .collect(),
        vmac,
        ah_key,
        track_file: tracked(&i.track_file),
        track_script: tracked(&i.track_script),
        track_process: tracked(&i.track_process),
        track_bfd: tracked(&i.track_bfd),
        mcast_group: i.mcast_dst_ip.unwrap_or(if ipv6 {
            g.vrrp_mcast_group6
        } else {
            g.vrrp_mcast_group4
        }),
    })
}

/// `garp_extra_if all`'s addresses: keepalived 2.2.7 announces one address per interface
/// other than the instance's own, the first configured there (measured).
fn extra_if_addresses(vips: &[Vip], interface: &str) -> Vec<IpAddr> {
    let mut seen: Vec<&str> = Vec::new();
    let mut out = Vec::new();
    for v in vips.iter().filter(|v| v.dev != interface) {
        if !seen.contains(&v.dev.as_str()) {
            seen.push(&v.dev);
            out.push(v.addr);
        }
    }
    out
}

/// global_defs' `nftables [TABLE]`, `nftables_priority` and `nftables_counters`; `vrrp_iptables`
/// is nftables' default table in keepalived 2.2.7 as Debian builds it (measured).
fn firewall_settings(d: &conf_parser::model::global::GlobalDefs) -> super::firewall::Settings {
    let mut s = super::firewall::Settings::default();
    if let Some(table) = &d.nftables {
        s.table = table.clone();
    }
    s.priority = d.nftables_priority;
    s.counters = d.nftables_counters;
    s
}

/// keepalived 2.2.7's start line when an instance is not in accept mode and no firewall keyword
/// was written (measured), or `vrrp_iptables`' (keepalived's words, its line number aside).
fn firewall_note(config: &Config) -> Option<String> {
    let d = &config.global.global_defs;
    if d.vrrp_iptables.is_some() {
        return Some(
            "iptables not supported, using nftables instead. Please replace 'vrrp_iptables and \
             'vrrp_ipsets' with 'nftables' config option"
                .into(),
        );
    }
    // keepalived's VMACs use it too (its IGMP rule, which keepalived-rs needs not: compat.md's
    // VMAC section), so it says it for them as well (measured).
    let needed = config
        .vrrp
        .vrrp_instance
        .iter()
        .any(|i| !i.accept || i.use_vmac.is_some());
    (needed && d.nftables.is_none()).then(|| {
        "use_vmac or no_accept/strict specified, but no firewall configured - using nftables".into()
    })
}

/// Translates every instance. Any instance that cannot run is an error: a daemon that silently
/// runs half a configuration is worse than one that refuses to start.
pub fn plan(config: &Config) -> Result<Plan, Vec<String>> {
    let mut out = Plan {
        dynamic_interfaces: config.global.global_defs.dynamic_interfaces,
        no_email_faults: config.global.global_defs.no_email_faults,
        log_unknown_vrids: config.global.global_defs.log_unknown_vrids,
        fifo_write_states_on_reload: config.global.global_defs.fifo_write_vrrp_states_on_reload,
        startup_delay: config.global.global_defs.vrrp_startup_delay.0,
        firewall: firewall_settings(&config.global.global_defs),
        firewall_note: firewall_note(config),
        ..Plan::default()
    };
    let users = ScriptUsers::system(&config.global.global_defs);
    let mut errors = Vec::new();
    for i in &config.vrrp.vrrp_instance {
        match instance_plan(i, config, &users, &mut out.skipped) {
            Ok(p) => out.instances.push(p),
            Err(e) => errors.push(e),
        }
        for why in super::vmac::refusals(i) {
            out.unsupported
                .push(format!("{}: vrrp_instance {}: {why}", i.origin, i.name));
        }
        if i.use_ipvlan.is_some() {
            out.unsupported.push(format!(
                "{}: vrrp_instance {}: use_ipvlan is not run by keepalived-rs; remove it (the VIPs \
                 are then on {} itself)",
                i.origin,
                i.name,
                i.interface.as_deref().unwrap_or("the interface")
            ));
        }
        for r in &i.virtual_routes {
            match (route_plan(r), out.instances.last_mut()) {
                (Ok(vr), Some(p)) if p.name == i.name => p.routes.push(vr),
                (Ok(_), _) => {}
                (Err(why), _) => out.unsupported.push(format!(
                    "{}: vrrp_instance {}: virtual route {}: keepalived-rs cannot install a \
                     route with {why}; add that route with `ip route` in the instance's \
                     notify_master script (and remove it in notify_backup) instead",
                    r.origin, i.name, r.to
                )),
            }
        }
        // keepalived tracks the interface of a route and of an address, advertised or
        // excluded (a `dev` other than the instance's, no `no_track`): the instance is in FAULT
        // while it is down (measured), as for a `track_interface` of weight 0. Its data dump
        // does not list them among the tracked interfaces.
        if let Some(p) = out.instances.last_mut().filter(|p| p.name == i.name) {
            let addresses = i
                .virtual_ipaddress
                .iter()
                .chain(&i.virtual_ipaddress_excluded)
                .filter(|a| !a.no_track)
                .filter_map(|a| a.dev.clone());
            let routes = p
                .routes
                .iter()
                .filter(|r| r.tracked)
                .filter_map(|r| r.dev.clone());
            let devs: Vec<String> = addresses.chain(routes).collect();
            for dev in devs {
                if dev != p.interface && !p.track_interface.iter().any(|t| t.name == dev) {
                    p.track_interface.push(TrackedObj {
                        name: dev.clone(),
                        weight: 0,
                        reverse: false,
                    });
                    p.implied_interfaces.push(dev);
                }
            }
        }
        for r in &i.virtual_rules {
            match (rule_plan(r), out.instances.last_mut()) {
                (Ok(vr), Some(p)) if p.name == i.name => p.rules.push(vr),
                (Ok(_), _) => {}
                (Err(why), _) => out.unsupported.push(format!(
                    "{}: vrrp_instance {}: virtual rule: keepalived-rs cannot install a rule \
                     with {why}; add that rule with `ip rule` in the instance's notify_master \
                     script (and remove it in notify_backup) instead",
                    r.origin, i.name
                )),
            }
        }
    }
    // A static entry's track_group puts the group's instances in FAULT when the entry is lost:
    // not run here.
    let track_groups = config
        .vrrp
        .static_ipaddress
        .iter()
        .map(|a| (&a.origin, &a.track_group))
        .chain(
            config
                .vrrp
                .static_routes
                .iter()
                .map(|r| (&r.origin, &r.track_group)),
        )
        .chain(
            config
                .vrrp
                .static_rules
                .iter()
                .map(|r| (&r.origin, &r.track_group)),
        );
    for (at, group) in track_groups {
        if let Some(g) = group {
            out.unsupported.push(format!(
                "{at}: track_group {g}: keepalived-rs does not put a track_group's instances in \
                 FAULT when a static address, route or rule is lost; remove track_group (track the \
                 interface with the instances' track_interface instead)"
            ));
        }
    }
    let default_dev = &config.global.global_defs.default_interface;
    for a in &config.vrrp.static_ipaddress {
        if a.autojoin {
            out.unsupported.push(format!(
                "{}: static address {}: keepalived-rs cannot install an address with autojoin; \
                 remove it from static_ipaddress and configure it with the system's network \
                 configuration instead",
                a.origin, a.address
            ));
            continue;
        }
        match Vip::of(a, default_dev, false) {
            Ok(v) => out.statics.addresses.push(v),
            Err(why) => out
                .unsupported
                .push(format!("{}: static address {}: {why}", a.origin, a.address)),
        }
    }
    for r in &config.vrrp.static_routes {
        match route_plan(r) {
            Ok(vr) => out.statics.routes.push(vr),
            Err(why) => out.unsupported.push(format!(
                "{}: static route {}: keepalived-rs cannot install a route with {why}; remove it \
                 from static_routes and configure it with the system's network configuration \
                 instead",
                r.origin, r.to
            )),
        }
    }
    for r in &config.vrrp.static_rules {
        match rule_plan(r) {
            Ok(vr) => out.statics.rules.push(vr),
            Err(why) => out.unsupported.push(format!(
                "{}: static rule: keepalived-rs cannot install a rule with {why}; remove it from \
                 static_rules and configure it with the system's network configuration instead",
                r.origin
            )),
        }
    }
    let (sessions, refused) = crate::bfdd::plan::plan(&config.vrrp.bfd_instance);
    out.bfd = sessions;
    out.unsupported.extend(refused);
    for g in &config.vrrp.vrrp_sync_group {
        let mut members = Vec::new();
        for m in &g.group {
            match out.instances.iter().position(|p| p.name == m.name) {
                Some(idx) => members.push(idx),
                None => errors.push(format!(
                    "vrrp_sync_group {}: no vrrp_instance {}",
                    g.name, m.name
                )),
            }
        }
        // keepalived 2.2.7 makes a group Master only once every member's master-down timer has
        // run out, an owner's too; a group of owners only starts Master at once (measured).
        let owners_only = members
            .iter()
            .all(|&idx| out.instances[idx].config.priority == 255);
        for &idx in &members {
            out.instances[idx].config.sync_group_gate = !owners_only;
        }
        // The group's tracked objects count for every member (keepalived).
        for &idx in &members {
            let p = &mut out.instances[idx];
            p.track_interface.extend(tracked(&g.track_interface));
            p.track_script.extend(tracked(&g.track_script));
            p.track_file.extend(tracked(&g.track_file));
            p.track_process.extend(tracked(&g.track_process));
            p.track_bfd.extend(tracked(&g.track_bfd));
        }
        out.groups.push(GroupPlan {
            name: g.name.clone(),
            members: members
                .iter()
                .map(|&i| out.instances[i].name.clone())
                .collect(),
            notify: Notify {
                master: users.script_or_skip("notify_master", &g.notify_master, &mut out.skipped),
                backup: users.script_or_skip("notify_backup", &g.notify_backup, &mut out.skipped),
                fault: users.script_or_skip("notify_fault", &g.notify_fault, &mut out.skipped),
                stop: users.script_or_skip("notify_stop", &g.notify_stop, &mut out.skipped),
                any: users.script_or_skip("notify", &g.notify, &mut out.skipped),
                master_rx_lower_pri: None,
                says_deleted: false,
                deleted: None,
            },
            smtp_alert: g.smtp_alert,
        });
    }
    let mut untracked: Vec<String> = Vec::new();
    let mut wanted: Vec<&str> = out
        .instances
        .iter()
        .flat_map(|i| i.track_script.iter().map(|t| t.name.as_str()))
        .collect();
    wanted.sort_unstable();
    wanted.dedup();
    for name in wanted {
        match config.vrrp.vrrp_script.iter().find(|s| s.name == name) {
            Some(s) if !s.script.is_empty() => {
                let run_as = match users.run_as(s.user.as_deref(), s.group.as_deref()) {
                    Ok(ids) => ids,
                    Err(why) => {
                        // keepalived removes the script, and its trackers do without it.
                        out.skipped.push(crate::script_user::not_run(
                            &s.origin.to_string(),
                            &format!("vrrp_script {name}"),
                            &s.script[0],
                            &format!("{why}; the instances tracking it do without it"),
                        ));
                        untracked.push(name.to_string());
                        continue;
                    }
                };
                out.scripts.push(ScriptPlan {
                    name: s.name.clone(),
                    command: s.script.clone(),
                    run_as,
                    interval: s.interval.0,
                    timeout: s.timeout.0,
                    rise: s.rise.max(1),
                    fall: s.fall.max(1),
                    init_fail: s.init_fail,
                });
            }
            _ => errors.push(format!(
                "track_script {name}: no vrrp_script {name} with a script"
            )),
        }
    }
    for i in &mut out.instances {
        i.track_script.retain(|t| !untracked.contains(&t.name));
    }
    let mut wanted: Vec<&str> = out
        .instances
        .iter()
        .flat_map(|i| i.track_file.iter().map(|t| t.name.as_str()))
        .collect();
    wanted.sort_unstable();
    wanted.dedup();
    for name in wanted {
        match config.vrrp.track_file.iter().find(|f| f.name == name) {
            Some(f) if f.file.is_some() => out.files.push(FilePlan {
                name: f.name.clone(),
                path: f.file.clone().unwrap_or_default().into(),
                init: f.init_file.as_ref().map(|i| (i.value, i.overwrite)),
            }),
            _ => errors.push(format!(
                "track_file {name}: no track_file {name} with a file"
            )),
        }
    }
    let mut wanted: Vec<&str> = out
        .instances
        .iter()
        .flat_map(|i| i.track_process.iter().map(|t| t.name.as_str()))
        .collect();
    wanted.sort_unstable();
    wanted.dedup();
    for name in wanted {
        match config
            .vrrp
            .vrrp_track_process
            .iter()
            .find(|p| p.name == name)
        {
            Some(p) if !p.process.is_empty() => out.processes.push(ProcessPlan {
                name: p.name.clone(),
                process: p.process[0].clone(),
                params: p.process[1..].to_vec(),
                param_match: p
                    .param_match
                    .unwrap_or(conf_parser::model::vrrp::ParamMatch::Exact),
                full_command: p.full_command,
                quorum: p.quorum,
                quorum_max: p.quorum_max,
                fork_delay: p.fork_delay.map_or(Duration::ZERO, |t| t.0),
                terminate_delay: p.terminate_delay.map_or(Duration::ZERO, |t| t.0),
            }),
            _ => errors.push(format!(
                "track_process {name}: no vrrp_track_process {name} with a process"
            )),
        }
    }
    // A track_bfd naming a bfd_instance that is not run (refused above) names nothing.
    for i in &out.instances {
        for t in &i.track_bfd {
            let known = out.bfd.iter().any(|b| b.name == t.name)
                || config.vrrp.bfd_instance.iter().any(|b| b.name == t.name);
            if !known {
                errors.push(format!(
                    "vrrp_instance {}: track_bfd {}: no bfd_instance {}",
                    i.name, t.name, t.name
                ));
            }
        }
    }
    let lines: Vec<(String, Duration, Duration)> = config
        .global
        .interface_up_down_delays
        .iter()
        .map(|d| (d.interface.clone(), d.down.0, d.up.0))
        .collect();
    (out.link_delays, out.link_delay_notes) = super::link_delay::configured(&lines, &out.instances);
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests;
