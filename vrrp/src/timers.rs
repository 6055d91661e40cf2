//! The timers of one instance and the intervals they run for (RFC 3768 6.1, RFC 5798 6.1).

use std::time::Duration;

/// One of an instance's named timers. Each kind is armed at most once ([`crate::Action::SetTimer`]
/// replaces the armed timer of the same kind); several kinds may be armed at a time, e.g. the
/// advert timer and the GARP timers while Master.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TimerKind {
    /// Adver_Timer: when it fires, a Master sends an advertisement.
    Advert,
    /// Master_Down_Timer: when it fires, a Backup concludes the master is gone and takes over.
    MasterDown,
    /// keepalived's `garp_master_delay`: the second GARP/NA burst after becoming Master.
    GarpDelay,
    /// keepalived's `garp_master_refresh`: the periodic GARP/NA burst while Master.
    GarpRefresh,
    /// keepalived's `garp_lower_prio_delay`: the GARP/NA burst some time after a Master heard a
    /// lower-priority advert.
    GarpLowerPrio,
    /// keepalived's `garp_extra_if all`: the periodic message for the addresses on interfaces
    /// other than the instance's while Master.
    GarpExtraIf,
}

impl TimerKind {
    /// Every kind, in the order ties are broken (see [`crate::Instance::timer`]).
    pub const ALL: [TimerKind; 6] = [
        TimerKind::Advert,
        TimerKind::MasterDown,
        TimerKind::GarpDelay,
        TimerKind::GarpRefresh,
        TimerKind::GarpLowerPrio,
        TimerKind::GarpExtraIf,
    ];

    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

/// Skew_Time = ((256 - Priority) * Advert_Interval) / 256, so that a backup with a higher priority
/// times out first and a lower-priority one does not race it. For VRRPv3 the interval is the
/// master's (Master_Adver_Interval), which a backup learns from the adverts it accepts.
pub fn skew_time(priority: u8, advert_interval: Duration) -> Duration {
    advert_interval * (256 - u32::from(priority)) / 256
}

/// Master_Down_Interval = down_timer_adverts * Advert_Interval + Skew_Time. The RFCs fix the
/// multiplier at 3; keepalived makes it configurable (`down_timer_adverts`, default 3).
pub fn master_down_interval(
    down_timer_adverts: u32,
    priority: u8,
    advert_interval: Duration,
) -> Duration {
    advert_interval * down_timer_adverts + skew_time(priority, advert_interval)
}
