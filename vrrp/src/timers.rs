//! The timers of one instance and the intervals they run for (RFC 3768 6.1, RFC 5798 6.1).

use std::time::Duration;

/// Which timer an instance has armed. An instance arms at most one at a time: the advert timer
/// while Master, the master-down timer while Backup (RFC 3768 6.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimerKind {
    /// Adver_Timer: when it fires, a Master sends an advertisement.
    Advert,
    /// Master_Down_Timer: when it fires, a Backup concludes the master is gone and takes over.
    MasterDown,
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
