//! When a director whose backup sync daemon has just started may preempt, pure.
//!
//! A backup daemon learns the master's connections only as the master's kernel sends them: a
//! new connection after its third packet, an established one again every 50 packets (the
//! kernel's `net.ipv4.vs.sync_threshold` "3 50"); with `sync_refresh_period` set as well, only
//! when both that many packets and that many seconds have passed; with `sync_threshold` "3 0"
//! and `sync_refresh_period` R, on its first packet once R seconds have passed (time-based
//! only). Each message waits on the master up to 2 s before it leaves. A director that starts
//! (or restarts its backup daemon) therefore knows the connections only after a while, and one
//! that preempted before would reset those it has not learned yet. The sync thread holds the preemption (`vrrp::Input::PreemptHold`; a takeover
//! from a silent master is never held) until the local connection table has caught up: it
//! counts the active connections bound to the local real servers and waits until that count
//! has not reached a new high for [`QUIET`], or for twice the longest wait between two new
//! highs seen so far if that is longer (connections that arrive sparsely, being re-sent
//! slowly, get a longer quiet; at most [`MAX_QUIET`]), and at least [`MIN_HOLD`] (with
//! time-based re-sends every R s, R + 2 s) since the daemon started; never longer than
//! [`MAX_HOLD`].
//!
//! The kernel offers no way to know the master's table from here, so this is a judgement: a
//! connection that sends fewer than 50 packets in the hold and is not re-sent by time (the
//! default) can still be missing when the hold ends, and when no connection arrives at all in
//! the shortest hold, the hold ends there.

use std::time::{Duration, Instant};

/// The kernel's longest wait before a master sends a sync message (`IPVS_SYNC_FLUSH_TIME`).
pub const FLUSH: Duration = Duration::from_secs(2);
/// The shortest hold: the flush, and one resend of connections carrying 10 or more packets a
/// second (50 packets).
pub const MIN_HOLD: Duration = Duration::from_secs(7);
/// How long the count must stay below a new high before the table counts as caught up.
pub const QUIET: Duration = Duration::from_secs(3);
/// The longest quiet asked for, however sparsely the connections arrived.
pub const MAX_QUIET: Duration = Duration::from_secs(10);
/// The longest hold: a preemption waits no longer than this for the table.
pub const MAX_HOLD: Duration = Duration::from_secs(60);
/// How often the count is read while holding.
pub const POLL: Duration = Duration::from_secs(1);

/// A hold's durations: [`Timing::for_kernel`] in the daemon, shorter ones in tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    pub min: Duration,
    pub quiet: Duration,
    pub max: Duration,
    pub poll: Duration,
}

impl Timing {
    /// For the kernel's time-based re-send period, if it has one (see [`resend_period`]): every
    /// connection with traffic is sent again within it, so the shortest hold is that plus the
    /// flush (within [`MIN_HOLD`]..=[`MAX_HOLD`]).
    pub fn for_kernel(resend_period: Option<u32>) -> Timing {
        let min = match resend_period {
            None | Some(0) => MIN_HOLD,
            Some(r) => (Duration::from_secs(u64::from(r)) + FLUSH)
                .max(MIN_HOLD)
                .min(MAX_HOLD),
        };
        Timing {
            min,
            quiet: QUIET,
            max: MAX_HOLD,
            poll: POLL,
        }
    }
}

/// The period after which the kernel re-sends every connection with traffic, from its
/// `sync_threshold` ("THRESHOLD PERIOD") and `sync_refresh_period` texts: `Some(R)` only when
/// the re-sends are time-based alone (PERIOD 0, R > 0); otherwise they also wait for packets.
pub fn resend_period(sync_threshold: &str, sync_refresh_period: &str) -> Option<u32> {
    let period: u32 = sync_threshold.split_whitespace().nth(1)?.parse().ok()?;
    let refresh: u32 = sync_refresh_period.trim().parse().ok()?;
    (period == 0 && refresh > 0).then_some(refresh)
}

/// Where a hold stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    Holding,
    /// The count has been still for the quiet time after the shortest hold.
    CaughtUp,
    /// The longest hold passed with the count still growing.
    GaveUp,
}

/// One hold: since when, the count at the start and the highest seen, when it last grew.
#[derive(Debug, Clone)]
pub struct CatchUp {
    started: Instant,
    timing: Timing,
    first: u64,
    most: u64,
    last_growth: Instant,
    /// The longest time between two growths (the first counted from the start).
    longest_wait: Duration,
}

impl CatchUp {
    /// A hold starting at `now` with `conns` connections in the table.
    pub fn new(now: Instant, conns: u64, timing: Timing) -> CatchUp {
        CatchUp {
            started: now,
            timing,
            first: conns,
            most: conns,
            last_growth: now,
            longest_wait: Duration::ZERO,
        }
    }

    /// The count read at `now`.
    pub fn observe(&mut self, now: Instant, conns: u64) -> Progress {
        if conns > self.most {
            self.most = conns;
            let wait = now.saturating_duration_since(self.last_growth);
            self.longest_wait = self.longest_wait.max(wait);
            self.last_growth = now;
        }
        let held = now.saturating_duration_since(self.started);
        let still = now.saturating_duration_since(self.last_growth);
        let quiet = self
            .timing
            .quiet
            .max(self.longest_wait * 2)
            .min(MAX_QUIET.max(self.timing.quiet));
        if held >= self.timing.min && still >= quiet {
            Progress::CaughtUp
        } else if held >= self.timing.max {
            Progress::GaveUp
        } else {
            Progress::Holding
        }
    }

    /// How many connections the table gained during the hold (at its highest).
    pub fn learned(&self) -> u64 {
        self.most.saturating_sub(self.first)
    }

    pub fn started(&self) -> Instant {
        self.started
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(n: f64) -> Duration {
        Duration::from_secs_f64(n)
    }

    #[test]
    fn caught_up_once_the_count_is_still_after_the_shortest_hold() {
        let t0 = Instant::now();
        let mut c = CatchUp::new(t0, 0, Timing::for_kernel(None));
        // Connections arrive over the first 5 s.
        for (at, n) in [(1.0, 4), (2.0, 9), (3.0, 15), (5.0, 20)] {
            assert_eq!(c.observe(t0 + s(at), n), Progress::Holding);
        }
        // Past the 7 s minimum; the longest wait was 2 s, so 4 s of quiet after 5 s.
        assert_eq!(c.observe(t0 + s(8.5), 20), Progress::Holding);
        assert_eq!(c.observe(t0 + s(9.0), 20), Progress::CaughtUp);
        assert_eq!(c.learned(), 20);
    }

    /// Connections re-sent slowly arrive far apart: the quiet needed grows with the longest wait.
    #[test]
    fn sparse_arrivals_need_a_longer_quiet() {
        let t0 = Instant::now();
        let mut c = CatchUp::new(t0, 0, Timing::for_kernel(None));
        for (at, n) in [(2.0, 1), (6.0, 2), (7.0, 3)] {
            assert_eq!(c.observe(t0 + s(at), n), Progress::Holding);
        }
        // The longest wait was 4 s: 8 s of quiet after the last one at 7 s, not 3.
        assert_eq!(c.observe(t0 + s(10.0), 3), Progress::Holding);
        assert_eq!(c.observe(t0 + s(14.9), 3), Progress::Holding);
        assert_eq!(c.observe(t0 + s(15.0), 3), Progress::CaughtUp);
        // A new high after a very long wait asks for MAX_QUIET, not twice that wait.
        let mut c = CatchUp::new(t0, 0, Timing::for_kernel(None));
        assert_eq!(c.observe(t0 + s(20.0), 1), Progress::Holding);
        assert_eq!(c.observe(t0 + s(29.9), 1), Progress::Holding);
        assert_eq!(c.observe(t0 + s(30.0), 1), Progress::CaughtUp);
    }

    #[test]
    fn an_empty_table_waits_the_shortest_hold() {
        let t0 = Instant::now();
        let mut c = CatchUp::new(t0, 0, Timing::for_kernel(None));
        assert_eq!(c.observe(t0 + s(6.9), 0), Progress::Holding);
        assert_eq!(c.observe(t0 + MIN_HOLD, 0), Progress::CaughtUp);
        assert_eq!(c.learned(), 0);
    }

    #[test]
    fn a_table_that_keeps_growing_is_given_up_on() {
        let t0 = Instant::now();
        let mut c = CatchUp::new(t0, 100, Timing::for_kernel(None));
        let mut n = 100;
        let mut at = 0.0;
        while at < 59.0 {
            at += 1.0;
            n += 10;
            assert_eq!(c.observe(t0 + s(at), n), Progress::Holding, "at {at}");
        }
        assert_eq!(c.observe(t0 + s(60.0), n + 10), Progress::GaveUp);
        assert_eq!(c.learned(), 600);
    }

    #[test]
    fn connections_that_expire_do_not_count_as_growth() {
        let t0 = Instant::now();
        let mut c = CatchUp::new(t0, 50, Timing::for_kernel(None));
        assert_eq!(c.observe(t0 + s(1.0), 60), Progress::Holding);
        assert_eq!(c.observe(t0 + s(5.0), 40), Progress::Holding);
        assert_eq!(
            c.observe(t0 + s(7.0), 55),
            Progress::CaughtUp,
            "55 < 60: no growth since 1 s"
        );
    }

    #[test]
    fn time_based_resends_lengthen_the_shortest_hold() {
        let min = |p| Timing::for_kernel(p).min;
        assert_eq!(min(None), MIN_HOLD);
        assert_eq!(min(Some(3)), MIN_HOLD);
        assert_eq!(min(Some(20)), s(22.0));
        assert_eq!(min(Some(600)), MAX_HOLD);
        // Only "THRESHOLD 0" with a refresh period is time-based alone.
        assert_eq!(resend_period("3\t50\n", "0\n"), None);
        assert_eq!(resend_period("3\t50\n", "10\n"), None);
        assert_eq!(resend_period("3\t0\n", "10\n"), Some(10));
        assert_eq!(resend_period("3\t0\n", "0\n"), None);
        assert_eq!(resend_period("", "10"), None);
    }
}
