//! The state machine of one VRRP instance (RFC 3768 6.4 / RFC 5798 6.4), with keepalived's
//! additions: Fault on interface loss, nopreempt, preempt_delay, `down_timer_adverts`, and an
//! immediate advert when a Master hears a lower-priority one (unless `lower_prio_no_advert`),
//! `higher_prio_send_advert`, GARP/NA bursts (`garp_master_*`, `garp_lower_prio_*`), unicast
//! peers and `check_unicast_src`; and one of keepalived-rs's own: a preemption hold
//! ([`Input::PreemptHold`]), which never delays a takeover from a silent master.
//!
//! Sans-IO: [`Instance::handle`] takes an [`Input`] and the current [`Time`] and returns the
//! [`Action`]s to carry out. It owns no clock, socket or timer.

use std::cmp::Ordering;
use std::net::IpAddr;
use std::time::Duration;

use crate::action::{Action, Destination, Input, State};
use crate::packet::{Advertisement, Auth, ChecksumMode, Version};
use crate::Time;
use crate::timers::{master_down_interval, skew_time, TimerKind};

/// The VRRP version an instance runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProtocolVersion {
    V2,
    V3,
}

/// keepalived's `state`: the state an instance would like to start in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WantedState {
    Master,
    Backup,
}

/// One instance's settings, built by the daemon from the parsed configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceConfig {
    /// 1..=255.
    pub vrid: u8,
    pub version: ProtocolVersion,
    /// 1..=255; 255 means this router owns the virtual addresses.
    pub priority: u8,
    /// v2: whole seconds, 1..=255. v3: a multiple of 10 ms, 10 ms..=40.95 s.
    pub advert_interval: Duration,
    /// false is keepalived's `nopreempt`.
    pub preempt: bool,
    /// keepalived's `preempt_delay`: how much later than otherwise a Backup that may preempt a
    /// lower-priority master takes over. keepalived.conf(5): it adds to Master_Down_Interval
    /// ("it cannot speed up taking over as master").
    pub preempt_delay: Duration,
    pub initial_state: WantedState,
    /// Adverts in Master_Down_Interval; the RFCs' 3. At least 1.
    pub down_timer_adverts: u32,
    /// The virtual addresses, in advert order.
    pub vips: Vec<IpAddr>,
    /// keepalived's `virtual_ipaddress_excluded`: held with the VIPs (added, removed and
    /// announced with them) but not carried in the adverts; of either family.
    pub excluded_vips: Vec<IpAddr>,
    /// VRRPv2 authentication; ignored for v3.
    pub auth: Auth,
    /// The primary address the instance sends from, compared with a master's when priorities tie.
    pub local_address: IpAddr,
    /// keepalived's `garp_master_delay`: when to send the second GARP/NA burst after becoming
    /// Master. Zero: no second burst.
    pub garp_master_delay: Duration,
    /// keepalived's `garp_master_repeat`: messages per burst on becoming Master (and in the
    /// second burst). Zero sends none.
    pub garp_master_repeat: u32,
    /// keepalived's `garp_master_refresh`: a burst every this long while Master. Zero: off.
    pub garp_master_refresh: Duration,
    /// keepalived's `garp_master_refresh_repeat`: messages per refresh burst.
    pub garp_master_refresh_repeat: u32,
    /// keepalived's `garp_extra_if all`: every this long while Master (the first time this
    /// long after becoming Master), one gratuitous message for each of
    /// [`InstanceConfig::extra_if_addresses`]. Zero: off.
    pub garp_extra_if: Duration,
    /// The addresses `garp_extra_if` announces: keepalived 2.2.7 sends one message per
    /// interface other than the instance's own that holds some of its addresses, for the
    /// first address configured there (measured). The daemon knows the interfaces and picks
    /// them.
    pub extra_if_addresses: Vec<IpAddr>,
    /// keepalived's `garp_lower_prio_delay`: when a Master that heard a lower-priority advert
    /// sends a burst. `None`: `garp_master_delay`. Zero: no delayed burst.
    pub garp_lower_prio_delay: Option<Duration>,
    /// keepalived's `garp_lower_prio_repeat`: messages per burst after a lower-priority advert
    /// (also the immediate split-brain burst). `None`: `garp_master_repeat`. Zero sends none.
    pub garp_lower_prio_repeat: Option<u32>,
    /// keepalived's `lower_prio_no_advert`: a Master does not answer a lower-priority advert with
    /// an immediate advert of its own (the RFC behaviour).
    pub lower_prio_no_advert: bool,
    /// keepalived's `higher_prio_send_advert`: a Master that steps down on a higher-priority
    /// advert first sends one advert of its own, so that the winner (seeing a lower priority)
    /// sends its lower-priority GARPs.
    pub higher_prio_send_advert: bool,
    /// keepalived's `unicast_peer`: send adverts to each of these instead of the multicast group.
    pub unicast_peers: Vec<IpAddr>,
    /// keepalived's `check_unicast_src`: with unicast peers, ignore adverts whose source is not
    /// one of them. Off by default, as in keepalived.
    pub check_unicast_src: bool,
    /// keepalived's `accept` / `no_accept` (VRRPv3 Accept Mode): whether the host should accept
    /// packets addressed to the virtual addresses while Master. Carried for the daemon; the state
    /// machine does not use it. Default: accept.
    pub accept: bool,
    /// A member of a sync group whose members are not all address owners: as keepalived 2.2.7
    /// (measured), its master-down timer running out does not make it Master by itself; it
    /// then only wants to be ([`Instance::wants_master`]), waits another Master_Down_Interval,
    /// and becomes Master when its group says so ([`Input::GroupForce`]), once every other
    /// member is Master or wants to be too. An address owner among them starts as Backup and
    /// waits its Master_Down_Interval as the others do. Off by default.
    pub sync_group_gate: bool,
}

impl InstanceConfig {
    /// A config with keepalived's defaults: v2, 1 s interval, preempt, no delay, Backup, 3 adverts,
    /// no authentication; GARP: 5 messages on becoming Master and 5 more 5 s later, no refresh
    /// (1 message when enabled), lower-priority GARPs as the master ones; answer lower-priority
    /// adverts, no advert before stepping down, multicast, no source check, accept mode.
    pub fn new(vrid: u8, priority: u8, local_address: IpAddr, vips: Vec<IpAddr>) -> Self {
        InstanceConfig {
            vrid,
            version: ProtocolVersion::V2,
            priority,
            advert_interval: Duration::from_secs(1),
            preempt: true,
            preempt_delay: Duration::ZERO,
            initial_state: WantedState::Backup,
            down_timer_adverts: 3,
            vips,
            excluded_vips: Vec::new(),
            auth: Auth::None,
            local_address,
            garp_master_delay: Duration::from_secs(5),
            garp_master_repeat: 5,
            garp_master_refresh: Duration::ZERO,
            garp_master_refresh_repeat: 1,
            garp_lower_prio_delay: None,
            garp_lower_prio_repeat: None,
            garp_extra_if: Duration::ZERO,
            extra_if_addresses: Vec::new(),
            lower_prio_no_advert: false,
            higher_prio_send_advert: false,
            unicast_peers: Vec::new(),
            check_unicast_src: false,
            accept: true,
            sync_group_gate: false,
        }
    }

    /// Every address a Master holds: the VIPs, then the excluded ones.
    pub fn held_addresses(&self) -> Vec<IpAddr> {
        self.vips
            .iter()
            .chain(&self.excluded_vips)
            .copied()
            .collect()
    }

    /// `garp_lower_prio_delay`, or `garp_master_delay` when unset.
    pub fn lower_prio_delay(&self) -> Duration {
        self.garp_lower_prio_delay.unwrap_or(self.garp_master_delay)
    }

    /// `garp_lower_prio_repeat`, or `garp_master_repeat` when unset.
    pub fn lower_prio_repeat(&self) -> u32 {
        self.garp_lower_prio_repeat
            .unwrap_or(self.garp_master_repeat)
    }
}

/// Why an [`InstanceConfig`] cannot run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("VRID must be 1..=255")]
    Vrid,
    #[error("priority must be 1..=255")]
    Priority,
    #[error("VRRPv2 advert interval must be whole seconds, 1..=255")]
    V2Interval,
    #[error("VRRPv3 advert interval must be a multiple of 10 ms, 10 ms..=40.95 s")]
    V3Interval,
    #[error("down_timer_adverts must be at least 1")]
    DownTimerAdverts,
}

impl InstanceConfig {
    fn validate(&self) -> Result<(), ConfigError> {
        if self.vrid == 0 {
            return Err(ConfigError::Vrid);
        }
        if self.priority == 0 {
            return Err(ConfigError::Priority);
        }
        if self.down_timer_adverts == 0 {
            return Err(ConfigError::DownTimerAdverts);
        }
        let iv = self.advert_interval;
        match self.version {
            ProtocolVersion::V2 => {
                if iv.subsec_nanos() != 0 || !(1..=255).contains(&iv.as_secs()) {
                    return Err(ConfigError::V2Interval);
                }
            }
            ProtocolVersion::V3 => {
                let ms = iv.as_millis();
                if iv.subsec_nanos() % 10_000_000 != 0 || !(10..=40_950).contains(&ms) {
                    return Err(ConfigError::V3Interval);
                }
            }
        }
        Ok(())
    }
}

/// Why a running instance cannot take a new configuration in place: these settings are how its
/// peers know it, so the caller stops it (as on shutdown) and starts it anew.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Restart {
    #[error("the virtual router id changed")]
    Vrid,
    #[error("it changed between multicast and unicast")]
    UnicastMode,
    #[error("the address family changed")]
    Family,
    #[error("the new configuration is not valid: {0}")]
    Invalid(ConfigError),
}

/// One VRRP instance (one VRID on one interface).
#[derive(Debug, Clone)]
pub struct Instance {
    config: InstanceConfig,
    state: State,
    /// Effective priority: the configured one until tracking changes it.
    priority: u8,
    /// VRRPv3's Master_Adver_Interval: ours while Master, the master's as learnt while Backup.
    /// For v2 always the configured interval (the check has made sure adverts agree).
    master_advert_interval: Duration,
    /// The armed timers, indexed by [`TimerKind::index`].
    timers: [Option<Time>; TimerKind::ALL.len()],
    /// When a pending preemption (preempt_delay) may happen; set on the first lower-priority
    /// advert heard as Backup, cleared on leaving Backup or hearing a master we do not outrank.
    preempt_at: Option<Time>,
    /// The interface is down (`InterfaceDown` without a later `InterfaceUp`).
    interface_down: bool,
    /// Tracking demands Fault (`TrackFault` without a later `TrackOk`).
    track_fault: bool,
    /// A sync group member is in Fault of its own (`GroupFault` without a later
    /// `GroupRelease`).
    group_fault: bool,
    /// `PreemptHold` without a later `PreemptRelease`.
    preempt_held: bool,
    /// As Backup, when a lower-priority master (one we may preempt) was last heard; cleared by a
    /// master we do not outrank and on leaving Backup. A master-down timer that fires within
    /// Master_Down_Interval of it is a preemption, not a takeover from a silent master.
    lower_master_at: Option<Time>,
    /// A preemption was due while held: `PreemptRelease` makes it happen.
    preempt_blocked: bool,
    /// The end of `vrrp_startup_delay` ([`Input::StartupDelay`]).
    startup_delay_end: Option<Time>,
    /// A gated sync group member ([`InstanceConfig::sync_group_gate`]) whose master-down timer
    /// ran out and that has heard no master since: it would be Master but for its group.
    wants_master: bool,
}

impl Instance {
    pub fn new(config: InstanceConfig) -> Result<Instance, ConfigError> {
        config.validate()?;
        Ok(Instance {
            priority: config.priority,
            master_advert_interval: config.advert_interval,
            config,
            state: State::Initialize,
            timers: [None; TimerKind::ALL.len()],
            preempt_at: None,
            interface_down: false,
            track_fault: false,
            group_fault: false,
            preempt_held: false,
            lower_master_at: None,
            preempt_blocked: false,
            startup_delay_end: None,
            wants_master: false,
        })
    }

    pub fn state(&self) -> State {
        self.state
    }

    pub fn priority(&self) -> u8 {
        self.priority
    }

    pub fn config(&self) -> &InstanceConfig {
        &self.config
    }

    /// Whether the instance's own interface or tracking demands Fault, whatever its sync group
    /// says: what its group goes to Fault for. A member held in Fault by its group alone is not
    /// faulty of its own, so members can never hold each other in Fault.
    pub fn own_fault(&self) -> bool {
        self.interface_down || self.track_fault
    }

    /// A gated sync group member whose master-down timer ran out, with no master heard since:
    /// what its group waits for in every member before making them Master.
    pub fn wants_master(&self) -> bool {
        self.wants_master
    }

    /// What its sync group needs to know of it after each input.
    pub fn member_view(&self) -> crate::sync_group::MemberView {
        crate::sync_group::MemberView {
            own_fault: self.own_fault(),
            wants_master: self.wants_master,
        }
    }

    /// The interface's primary address changed (or was first learned): it only breaks ties
    /// between adverts of equal priority, so no input follows.
    pub fn set_local_address(&mut self, addr: IpAddr) {
        self.config.local_address = addr;
    }

    /// The earliest armed timer: what a driver waits for next. Ties go to the kind listed first
    /// in [`TimerKind::ALL`].
    pub fn timer(&self) -> Option<(TimerKind, Time)> {
        self.timers().min_by_key(|&(kind, at)| (at, kind))
    }

    /// Every armed timer, in [`TimerKind::ALL`] order.
    pub fn timers(&self) -> impl Iterator<Item = (TimerKind, Time)> + '_ {
        TimerKind::ALL
            .into_iter()
            .filter_map(|kind| self.timers[kind.index()].map(|at| (kind, at)))
    }

    /// When the timer of this kind fires, if armed.
    pub fn timer_at(&self, kind: TimerKind) -> Option<Time> {
        self.timers[kind.index()]
    }

    /// keepalived's accept mode, for the daemon (see [`InstanceConfig::accept`]).
    pub fn accept(&self) -> bool {
        self.config.accept
    }

    /// Skew_Time with the current priority and master interval.
    pub fn skew_time(&self) -> Duration {
        skew_time(self.priority, self.master_advert_interval)
    }

    /// Master_Down_Interval with the current priority and master interval.
    pub fn master_down_interval(&self) -> Duration {
        master_down_interval(
            self.config.down_timer_adverts,
            self.priority,
            self.master_advert_interval,
        )
    }

    /// A reload: new settings for this running instance, applied from `now` without leaving
    /// its state. The VRID, multicast/unicast mode and address family cannot change in place
    /// ([`Restart`]); the daemon also restarts an instance for its own reasons (interface,
    /// multicast group, unicast source address). Otherwise:
    /// - the VRRP version: a Master advertises in the new one at once and every advert interval
    ///   from then on, as keepalived 2.2.7 changes it (measured: no state change, no notify);
    ///   a Backup expects the new version's adverts and its master's interval is the
    ///   configured one again;
    /// - virtual addresses: while Master, those added are configured (with a GARP/NA burst of
    ///   `garp_master_repeat`) and those removed are removed; the adverts carry the new list;
    /// - advert interval, authentication, unicast peers, GARP and preemption settings apply
    ///   from the next advert or timer; `garp_master_refresh` is re-armed or cancelled at once;
    /// - the priority is not touched here: it is the effective one, which tracking computes
    ///   from the configured one; the caller feeds [`Input::PriorityChange`] as for tracking;
    /// - `state` (the initial state) matters only at start.
    ///
    /// The same configuration again changes nothing and returns no action.
    pub fn reconfigure(
        &mut self,
        config: InstanceConfig,
        now: Time,
    ) -> Result<Vec<Action>, Restart> {
        let old = &self.config;
        if config.vrid != old.vrid {
            return Err(Restart::Vrid);
        }
        if config.unicast_peers.is_empty() != old.unicast_peers.is_empty() {
            return Err(Restart::UnicastMode);
        }
        if config.local_address.is_ipv6() != old.local_address.is_ipv6() {
            return Err(Restart::Family);
        }
        config.validate().map_err(Restart::Invalid)?;
        let mut out = Vec::new();
        let (new_held, old_held) = (config.held_addresses(), old.held_addresses());
        let added: Vec<IpAddr> = new_held
            .iter()
            .filter(|a| !old_held.contains(a))
            .copied()
            .collect();
        let removed: Vec<IpAddr> = old_held
            .iter()
            .filter(|a| !new_held.contains(a))
            .copied()
            .collect();
        let refresh_changed = (
            config.garp_master_refresh,
            config.garp_master_refresh_repeat,
        ) != (old.garp_master_refresh, old.garp_master_refresh_repeat);
        let extra_if_changed = (config.garp_extra_if, &config.extra_if_addresses)
            != (old.garp_extra_if, &old.extra_if_addresses);
        let version_changed = config.version != old.version;
        // The running instance keeps the address it learnt from its interface.
        let local_address = old.local_address;
        self.config = InstanceConfig {
            local_address,
            ..config
        };
        if !self.config.preempt {
            self.preempt_at = None;
            // No preemption is pending any more, held or not.
            self.lower_master_at = None;
            self.preempt_blocked = false;
        }
        if self.state != State::Master {
            // v2's master interval is the configured one (v3 learns it from the master, and
            // what it learnt under the other version no longer holds).
            if self.config.version == ProtocolVersion::V2 || version_changed {
                self.master_advert_interval = self.config.advert_interval;
            }
            return Ok(out);
        }
        self.master_advert_interval = self.config.advert_interval;
        if !removed.is_empty() {
            out.push(Action::RemoveVips(removed));
        }
        if !added.is_empty() {
            out.push(Action::AddVips(added.clone()));
            if self.config.garp_master_repeat > 0 {
                out.push(Action::SendGratuitous {
                    vips: added,
                    count: self.config.garp_master_repeat,
                });
            }
        }
        if version_changed {
            self.send_advert(self.priority, &mut out);
            self.set_timer(
                TimerKind::Advert,
                now + self.config.advert_interval,
                &mut out,
            );
        }
        if refresh_changed {
            if !self.config.garp_master_refresh.is_zero()
                && self.config.garp_master_refresh_repeat > 0
            {
                self.set_timer(
                    TimerKind::GarpRefresh,
                    now + self.config.garp_master_refresh,
                    &mut out,
                );
            } else {
                self.cancel(TimerKind::GarpRefresh, &mut out);
            }
        }
        if extra_if_changed {
            if self.extra_if_on() {
                self.set_timer(
                    TimerKind::GarpExtraIf,
                    now + self.config.garp_extra_if,
                    &mut out,
                );
            } else {
                self.cancel(TimerKind::GarpExtraIf, &mut out);
            }
        }
        Ok(out)
    }

    /// Feeds one input; returns what to do, in order.
    pub fn handle(&mut self, input: Input, now: Time) -> Vec<Action> {
        let mut out = Vec::new();
        match (self.state, input) {
            (State::Stop, _) => {}
            (_, Input::StartupDelay(end)) => self.startup_delay_end = Some(end),
            (State::Initialize, Input::Startup) => self.start(now, &mut out),
            (_, Input::Shutdown) => self.shutdown(&mut out),
            (_, Input::PriorityChange(p)) => self.change_priority(p.max(1), now, &mut out),
            (_, Input::InterfaceDown) => {
                self.interface_down = true;
                self.fault_changed(now, &mut out);
            }
            (_, Input::TrackFault) => {
                self.track_fault = true;
                self.fault_changed(now, &mut out);
            }
            (_, Input::InterfaceUp) => {
                self.interface_down = false;
                self.fault_changed(now, &mut out);
            }
            (_, Input::TrackOk) => {
                self.track_fault = false;
                self.fault_changed(now, &mut out);
            }
            (_, Input::GroupFault) => {
                self.group_fault = true;
                self.fault_changed(now, &mut out);
            }
            (_, Input::GroupRelease) => {
                self.group_fault = false;
                self.fault_changed(now, &mut out);
            }
            (_, Input::PreemptHold) => self.preempt_held = true,
            (state, Input::PreemptRelease) => {
                self.preempt_held = false;
                let blocked = std::mem::take(&mut self.preempt_blocked);
                if state == State::Backup && blocked {
                    self.become_master(now, &mut out);
                }
            }
            (State::Backup, Input::GroupForce(WantedState::Master)) => {
                self.become_master(now, &mut out)
            }
            (State::Master, Input::GroupForce(WantedState::Backup)) => {
                self.step_down(now, &mut out)
            }
            // A stale timer (cancelled since, or early) is ignored; a due one is disarmed first.
            (state, Input::Timer(kind)) if self.take_due(kind, now) => {
                self.timer_fired(state, kind, now, &mut out)
            }
            // keepalived's check_unicast_src: only the configured peers are heard.
            (_, Input::Advert { from, .. })
                if self.config.check_unicast_src
                    && !self.config.unicast_peers.is_empty()
                    && !self.config.unicast_peers.contains(&from) => {}
            (State::Backup, Input::Advert { advert, .. }) => {
                self.backup_hears(&advert, self.delayed(now), &mut out)
            }
            (State::Master, Input::Advert { advert, from }) => {
                self.master_hears(&advert, from, now, &mut out)
            }
            // Inputs that mean nothing in the state: adverts and timers before startup or in
            // Fault, Startup twice, group forcing in Fault or towards the current state.
            _ => {}
        }
        out
    }

    /// A due timer of `kind` fired (already disarmed) in `state`.
    fn timer_fired(&mut self, state: State, kind: TimerKind, now: Time, out: &mut Vec<Action>) {
        match (state, kind) {
            // A preemption while held: wait, and look again when that master would have been
            // silent for Master_Down_Interval (each of its adverts moves that on).
            (State::Backup, TimerKind::MasterDown) if self.preemption_held(now).is_some() => {
                self.preempt_blocked = true;
                let again = self.preemption_held(now).unwrap_or(now);
                self.set_timer(TimerKind::MasterDown, again, out);
            }
            // keepalived 2.2.7's sync group: a member goes Master only when every member would
            // (it prefers Backup to a group split between routers, measured: no flapping where a
            // peer is still master of another member); until then it waits, as if timed out again.
            (State::Backup, TimerKind::MasterDown) if self.config.sync_group_gate => {
                self.wants_master = true;
                self.set_timer(
                    TimerKind::MasterDown,
                    now + self.master_down_interval(),
                    out,
                );
            }
            (State::Backup, TimerKind::MasterDown) => self.become_master(now, out),
            (State::Master, TimerKind::Advert) => {
                self.send_advert(self.priority, out);
                self.set_timer(TimerKind::Advert, now + self.config.advert_interval, out);
            }
            (State::Master, TimerKind::GarpDelay) => {
                self.send_gratuitous(self.config.garp_master_repeat, out);
            }
            (State::Master, TimerKind::GarpRefresh) => {
                self.send_gratuitous(self.config.garp_master_refresh_repeat, out);
                self.set_timer(
                    TimerKind::GarpRefresh,
                    now + self.config.garp_master_refresh,
                    out,
                );
            }
            (State::Master, TimerKind::GarpLowerPrio) => {
                self.send_gratuitous(self.config.lower_prio_repeat(), out);
            }
            (State::Master, TimerKind::GarpExtraIf) => {
                if !self.config.extra_if_addresses.is_empty() {
                    out.push(Action::SendGratuitous {
                        vips: self.config.extra_if_addresses.clone(),
                        count: 1,
                    });
                }
                self.set_timer(TimerKind::GarpExtraIf, now + self.config.garp_extra_if, out);
            }
            // Every timer is cancelled on leaving the state that armed it; nothing else to do.
            _ => {}
        }
    }

    /// `now`, or the end of `vrrp_startup_delay` if that is later: when an advert heard now
    /// counts as heard.
    fn delayed(&self, now: Time) -> Time {
        self.startup_delay_end.map_or(now, |end| now.max(end))
    }

    /// While preemption is held and a lower-priority master was heard within
    /// Master_Down_Interval: when that interval runs out (the time to look again).
    fn preemption_held(&self, now: Time) -> Option<Time> {
        if !self.preempt_held {
            return None;
        }
        let silent_at = self.lower_master_at? + self.master_down_interval();
        (now < silent_at).then_some(silent_at)
    }

    /// RFC 6.4.1: the owner becomes Master at once, anyone else Backup. keepalived's
    /// `state MASTER` on a non-owner shortens the first master-down wait to one advert interval
    /// plus skew: long enough to hear a live master's next advert, shorter than a plain Backup.
    fn start(&mut self, now: Time, out: &mut Vec<Action>) {
        self.master_advert_interval = self.config.advert_interval;
        // keepalived 2.2.7, measured: with vrrp_startup_delay the owner and `state MASTER` wait
        // as any Backup does, from the end of the delay; an owner in a sync group with
        // non-owners starts as Backup and waits its Master_Down_Interval, then for the others.
        let waits_from = match self.startup_delay_end.filter(|&end| now < end) {
            Some(end) => Some(end),
            None => (self.priority == 255 && self.config.sync_group_gate).then_some(now),
        };
        if let Some(from) = waits_from {
            self.transition(State::Backup, out);
            self.set_timer(
                TimerKind::MasterDown,
                from + self.master_down_interval(),
                out,
            );
            return;
        }
        if self.priority == 255 {
            self.become_master(now, out);
            return;
        }
        self.transition(State::Backup, out);
        let wait = match self.config.initial_state {
            WantedState::Master => self.config.advert_interval + self.skew_time(),
            WantedState::Backup => self.master_down_interval(),
        };
        self.set_timer(TimerKind::MasterDown, now + wait, out);
    }

    /// The interface, tracking or sync group changed: enter Fault when one demands it, leave it
    /// (starting afresh as on Startup) when none does any more.
    fn fault_changed(&mut self, now: Time, out: &mut Vec<Action>) {
        let faulty = self.own_fault() || self.group_fault;
        match self.state {
            State::Initialize | State::Backup | State::Master if faulty => {
                // With the interface still up (a tracked object failed, or the sync group's
                // fault) a Master can still resign: a priority-0 advert lets the backup take
                // over after Skew_Time rather than a whole Master_Down_Interval, as on shutdown.
                if self.state == State::Master && !self.interface_down {
                    self.send_advert(0, out);
                }
                self.enter_fault(out)
            }
            State::Fault if !faulty => self.start(now, out),
            _ => {}
        }
    }

    /// Tracking changed the effective priority. A Master advertises it at once, so that a
    /// lowered master lets a higher backup preempt without waiting an advert interval; a Backup
    /// needs nothing now, its Skew_Time uses the new priority from the next timer reset.
    fn change_priority(&mut self, priority: u8, now: Time, out: &mut Vec<Action>) {
        let changed = priority != self.priority;
        self.priority = priority;
        if changed && self.state == State::Master {
            self.send_advert(self.priority, out);
            self.set_timer(TimerKind::Advert, now + self.config.advert_interval, out);
        }
    }

    /// A sync group makes a Master step down: it resigns with priority 0 (so a peer takes over
    /// after Skew_Time), drops the addresses and waits as Backup.
    fn step_down(&mut self, now: Time, out: &mut Vec<Action>) {
        self.cancel_master_timers(out);
        self.send_advert(0, out);
        out.push(Action::RemoveVips(self.config.held_addresses()));
        self.master_advert_interval = self.config.advert_interval;
        self.set_timer(
            TimerKind::MasterDown,
            now + self.master_down_interval(),
            out,
        );
        self.transition(State::Backup, out);
    }

    /// RFC 6.4.2 (Master_Down_Timer fires) and 6.4.1 (owner at startup), with keepalived's GARP
    /// bursts: `garp_master_repeat` now, as many again after `garp_master_delay`, and one of
    /// `garp_master_refresh_repeat` every `garp_master_refresh`.
    fn become_master(&mut self, now: Time, out: &mut Vec<Action>) {
        self.preempt_at = None;
        self.lower_master_at = None;
        self.preempt_blocked = false;
        self.master_advert_interval = self.config.advert_interval;
        self.cancel(TimerKind::MasterDown, out);
        self.send_advert(self.priority, out);
        out.push(Action::AddVips(self.config.held_addresses()));
        self.send_gratuitous(self.config.garp_master_repeat, out);
        self.set_timer(TimerKind::Advert, now + self.config.advert_interval, out);
        if !self.config.garp_master_delay.is_zero() && self.config.garp_master_repeat > 0 {
            self.set_timer(
                TimerKind::GarpDelay,
                now + self.config.garp_master_delay,
                out,
            );
        }
        if !self.config.garp_master_refresh.is_zero() && self.config.garp_master_refresh_repeat > 0
        {
            self.set_timer(
                TimerKind::GarpRefresh,
                now + self.config.garp_master_refresh,
                out,
            );
        }
        if self.extra_if_on() {
            self.set_timer(TimerKind::GarpExtraIf, now + self.config.garp_extra_if, out);
        }
        self.transition(State::Master, out);
    }

    /// Whether `garp_extra_if` has something to send.
    fn extra_if_on(&self) -> bool {
        !self.config.garp_extra_if.is_zero() && !self.config.extra_if_addresses.is_empty()
    }

    /// RFC 6.4.2, receiving an advert as Backup.
    fn backup_hears(&mut self, advert: &Advertisement, now: Time, out: &mut Vec<Action>) {
        if advert.priority == 0 {
            // The master resigned: take over after Skew_Time, the higher priority first. That is
            // a takeover, never held back.
            self.lower_master_at = None;
            self.wants_master = false;
            self.set_timer(TimerKind::MasterDown, now + self.skew_time(), out);
            return;
        }
        if !self.config.preempt || advert.priority >= self.priority {
            self.preempt_at = None;
            self.lower_master_at = None;
            self.preempt_blocked = false;
            self.wants_master = false;
            self.learn_interval(advert);
            self.set_timer(
                TimerKind::MasterDown,
                now + self.master_down_interval(),
                out,
            );
            return;
        }
        self.lower_master_at = Some(now);
        // A lower-priority master, and we may preempt. The RFC discards the advert, so the
        // master-down timer runs out and we take over. keepalived's preempt_delay adds to that
        // time: the first such advert pushes the deadline back by the delay, once; later ones
        // are discarded as they would be without a delay.
        if self.config.preempt_delay.is_zero() || self.preempt_at.is_some() {
            return;
        }
        let deadline = self
            .timer_at(TimerKind::MasterDown)
            .unwrap_or(now + self.master_down_interval());
        let at = deadline + self.config.preempt_delay;
        self.preempt_at = Some(at);
        self.set_timer(TimerKind::MasterDown, at, out);
    }

    /// RFC 6.4.3, receiving an advert as Master.
    fn master_hears(
        &mut self,
        advert: &Advertisement,
        from: IpAddr,
        now: Time,
        out: &mut Vec<Action>,
    ) {
        if advert.priority == 0 {
            // Another router resigned: advertise now so backups do not take over.
            self.send_advert(self.priority, out);
            self.set_timer(TimerKind::Advert, now + self.config.advert_interval, out);
            return;
        }
        let they_win = match advert.priority.cmp(&self.priority) {
            Ordering::Greater => true,
            Ordering::Less => false,
            Ordering::Equal => address_greater(from, self.config.local_address),
        };
        if they_win {
            if self.config.higher_prio_send_advert {
                // keepalived: one last advert, lower than theirs, so the winner sends its
                // lower-priority GARPs and the addresses' MAC is theirs again.
                self.send_advert(self.priority, out);
            }
            self.cancel_master_timers(out);
            out.push(Action::RemoveVips(self.config.held_addresses()));
            self.learn_interval(advert);
            self.set_timer(
                TimerKind::MasterDown,
                now + self.master_down_interval(),
                out,
            );
            self.transition(State::Backup, out);
            return;
        }
        if advert.priority >= self.priority {
            // Equal priority from a lower address: the RFC discards it.
            return;
        }
        // Split brain: only a Master sends non-zero adverts, so another Master was live and we
        // stay Master. A deliberate difference from keepalived (which only schedules the
        // delayed burst below): a GARP/NA burst right away, because the other master's
        // messages may have moved the addresses' MAC to it.
        self.send_gratuitous(self.config.lower_prio_repeat(), out);
        // The RFC discards this; keepalived answers at once so the other router, which
        // believes itself Master, yields without waiting for our next advert.
        if !self.config.lower_prio_no_advert {
            self.send_advert(self.priority, out);
        }
        // keepalived's garp_lower_prio_delay: a later burst, armed once (further lower-priority
        // adverts do not push it back).
        let delay = self.config.lower_prio_delay();
        if !delay.is_zero()
            && self.config.lower_prio_repeat() > 0
            && self.timers[TimerKind::GarpLowerPrio.index()].is_none()
        {
            self.set_timer(TimerKind::GarpLowerPrio, now + delay, out);
        }
    }

    /// RFC 6.4.2/6.4.3 Shutdown: a Master resigns with priority 0 so backups take over after
    /// Skew_Time rather than Master_Down_Interval.
    fn shutdown(&mut self, out: &mut Vec<Action>) {
        self.cancel_all(out);
        if self.state == State::Master {
            self.send_advert(0, out);
            out.push(Action::RemoveVips(self.config.held_addresses()));
        }
        self.transition(State::Stop, out);
    }

    /// keepalived's Fault: the interface is down, so drop the addresses and stay silent. No
    /// priority-0 advert: it could not be sent.
    fn enter_fault(&mut self, out: &mut Vec<Action>) {
        self.cancel_all(out);
        if self.state == State::Master {
            out.push(Action::RemoveVips(self.config.held_addresses()));
        }
        self.preempt_at = None;
        self.lower_master_at = None;
        self.preempt_blocked = false;
        self.transition(State::Fault, out);
    }

    /// RFC 5798 6.4.2: a v3 Backup adopts the master's Max Adver Int. Zero would make the
    /// master-down timer fire immediately; treat it as the smallest interval instead.
    fn learn_interval(&mut self, advert: &Advertisement) {
        if let Version::V3 {
            max_advert_interval_cs,
        } = advert.version
        {
            let cs = u64::from(max_advert_interval_cs.max(1));
            self.master_advert_interval = Duration::from_millis(cs * 10);
        }
    }

    /// One `SendAdvert` to the multicast group, or one per unicast peer.
    fn send_advert(&self, priority: u8, out: &mut Vec<Action>) {
        let advert = self.advert(priority);
        if self.config.unicast_peers.is_empty() {
            out.push(Action::SendAdvert {
                advert,
                to: Destination::Multicast,
            });
            return;
        }
        for &peer in &self.config.unicast_peers {
            out.push(Action::SendAdvert {
                advert: advert.clone(),
                to: Destination::Unicast(peer),
            });
        }
    }

    /// A burst of `count` GARP/NA messages for the addresses; nothing when `count` is 0.
    fn send_gratuitous(&self, count: u32, out: &mut Vec<Action>) {
        if count > 0 {
            out.push(Action::SendGratuitous {
                vips: self.config.held_addresses(),
                count,
            });
        }
    }

    fn advert(&self, priority: u8) -> Advertisement {
        let version = match self.config.version {
            ProtocolVersion::V2 => Version::V2 {
                // validate() made this a whole number of seconds in 1..=255.
                advert_interval_secs: self.config.advert_interval.as_secs() as u8,
                auth: self.config.auth,
            },
            ProtocolVersion::V3 => Version::V3 {
                // validate() bounded this to 1..=4095 centiseconds.
                max_advert_interval_cs: (self.config.advert_interval.as_millis() / 10) as u16,
            },
        };
        Advertisement {
            version,
            vrid: self.config.vrid,
            priority,
            addresses: self.config.vips.clone(),
            checksum: ChecksumMode::Rfc,
        }
    }

    /// Disarms and reports the timer of `kind` if it is armed and due at `now`.
    fn take_due(&mut self, kind: TimerKind, now: Time) -> bool {
        let slot = &mut self.timers[kind.index()];
        match *slot {
            Some(at) if at <= now => {
                *slot = None;
                true
            }
            _ => false,
        }
    }

    fn set_timer(&mut self, kind: TimerKind, at: Time, out: &mut Vec<Action>) {
        self.timers[kind.index()] = Some(at);
        out.push(Action::SetTimer { at, kind });
    }

    /// Disarms the timer of `kind`, telling the caller only if it was armed.
    fn cancel(&mut self, kind: TimerKind, out: &mut Vec<Action>) {
        if self.timers[kind.index()].take().is_some() {
            out.push(Action::CancelTimer(kind));
        }
    }

    /// Leaving Master: the advert and GARP timers.
    fn cancel_master_timers(&mut self, out: &mut Vec<Action>) {
        for kind in [
            TimerKind::Advert,
            TimerKind::GarpDelay,
            TimerKind::GarpRefresh,
            TimerKind::GarpLowerPrio,
            TimerKind::GarpExtraIf,
        ] {
            self.cancel(kind, out);
        }
    }

    fn cancel_all(&mut self, out: &mut Vec<Action>) {
        for kind in TimerKind::ALL {
            self.cancel(kind, out);
        }
    }

    fn transition(&mut self, to: State, out: &mut Vec<Action>) {
        self.wants_master = false;
        let from = std::mem::replace(&mut self.state, to);
        out.push(Action::Transition { from, to });
    }
}

/// RFC 3768 6.4.3: on equal priority the higher primary IP address wins. Addresses of one family
/// compare as unsigned integers, which is what `IpAddr`'s ordering does within a family.
fn address_greater(theirs: IpAddr, ours: IpAddr) -> bool {
    theirs > ours
}
