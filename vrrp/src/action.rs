//! What goes into an instance ([`Input`]) and what it asks its caller to do ([`Action`]).

use std::net::IpAddr;

use crate::instance::WantedState;
use crate::packet::Advertisement;
use crate::Time;
use crate::timers::TimerKind;

/// The state of an instance (RFC 3768 6.4, plus keepalived's Fault and Stop).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    /// Before `Startup`, and the state the RFC returns to on shutdown.
    Initialize,
    Backup,
    Master,
    /// The interface is down: no adverts are sent or heard, no addresses held.
    Fault,
    /// After `Shutdown`. keepalived reports it to notify scripts as `STOP`; the instance ignores
    /// every further input.
    Stop,
}

/// Something that happened to the instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// The daemon has started the instance (RFC "Startup event").
    Startup,
    /// keepalived's `vrrp_startup_delay`: the daemon started less than the delay ago, which
    /// ends at this time. Until then the instance is a Backup that cannot take over: it
    /// starts (also from Fault) as Backup whatever its priority and `state`, with its
    /// master-down timer at the end of the delay plus Master_Down_Interval, and an advert
    /// heard before the end counts as heard at the end (keepalived 2.2.7 reads none before).
    /// Fed before [`Input::Startup`]; a time already past changes nothing.
    StartupDelay(Time),
    /// An advertisement for this VRID, already decoded and accepted by [`crate::check()`].
    Advert {
        advert: Advertisement,
        /// The IP source address, compared with ours when priorities are equal, and with the
        /// unicast peers under `check_unicast_src`.
        from: IpAddr,
    },
    /// A timer set by an earlier [`Action::SetTimer`] has expired. A stale one (cancelled or
    /// replaced since, or fired early) is ignored, so the caller need not be exact about races.
    /// A timer that fires is disarmed unless the answer re-arms it.
    Timer(TimerKind),
    /// The daemon is stopping the instance (RFC "Shutdown event").
    Shutdown,
    /// The interface went down (keepalived: Fault).
    InterfaceDown,
    /// The interface came back.
    InterfaceUp,
    /// The effective priority changed (tracking). Clamped to 1..=255. A Master advertises the
    /// new priority at once; a Backup uses it from its next master-down timer reset.
    PriorityChange(u8),
    /// A tracked object with weight 0 failed (keepalived: Fault). Independent of the interface:
    /// the instance leaves Fault only when both the interface is up and tracking is OK.
    TrackFault,
    /// Tracking no longer demands Fault.
    TrackOk,
    /// Sync group: another member moved to this state, follow it. `Master` makes a Backup take
    /// over at once (unless held); `Backup` makes a Master step down. Ignored in Fault, Stop and
    /// Initialize.
    GroupForce(WantedState),
    /// Sync group: a member is in Fault of its own (its interface or tracking), so this instance
    /// goes to Fault too, as keepalived's sync group puts every member in FAULT (a Master resigns
    /// with priority 0 first). Sticky until [`Input::GroupRelease`]; independent of the
    /// instance's own faults, so it leaves Fault only when neither demands it.
    GroupFault,
    /// Sync group: no member is in Fault of its own any more.
    GroupRelease,
    /// The daemon is not ready for this router to preempt (keepalived-rs: its IPVS connection
    /// table is still catching up through the sync daemon). While held, a Backup does not take
    /// over from a lower-priority master that is still advertising; it still takes over, at the
    /// usual time, from a master that has gone silent. Sticky until [`Input::PreemptRelease`].
    PreemptHold,
    /// The preemption hold ends; a preemption it was holding back happens at once.
    PreemptRelease,
}

/// Where an advertisement goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Destination {
    /// The VRRP multicast group (224.0.0.18 / ff02::12).
    Multicast,
    /// One unicast peer (keepalived's `unicast_peer`).
    Unicast(IpAddr),
}

/// Something the caller must do, in the order given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Send this advertisement (priority 0 when resigning) to `to`. With unicast peers there is
    /// one action per peer, in the configured order.
    SendAdvert {
        advert: Advertisement,
        to: Destination,
    },
    /// Configure the virtual addresses on the interface.
    AddVips(Vec<IpAddr>),
    /// Remove the virtual addresses from the interface.
    RemoveVips(Vec<IpAddr>),
    /// Send a burst of `count` gratuitous ARPs (IPv4) / unsolicited Neighbour Advertisements
    /// (IPv6) for each of `vips`. Spacing the messages of a burst (keepalived's
    /// `vrrp_garp_interval`) is the daemon's business. `count` is at least 1.
    SendGratuitous { vips: Vec<IpAddr>, count: u32 },
    /// Arm the timer of this kind to fire at `at`, replacing an armed timer of the same kind.
    /// Timers of other kinds are unaffected.
    SetTimer { at: Time, kind: TimerKind },
    /// Disarm the timer of this kind.
    CancelTimer(TimerKind),
    /// The state changed: for logs and notify scripts, in order.
    Transition { from: State, to: State },
}
