//! How long checks take: fixed-bucket histograms of atomic counters, one [`Latency`] shared by
//! every checker task the caller gives it (the daemon gives one per checker kind).
//!
//! Recording a check costs two relaxed atomic additions: no lock, no allocation, no message.
//! Readers (the daemon's metrics) take a [`HistogramSnapshot`] whenever they like; its counts
//! may be a check apart from each other, never inconsistent in themselves (the total is the sum
//! of the buckets read).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// The buckets' upper bounds, in microseconds: 1 ms to 10 s, roughly 1-2.5-5 per decade (a
/// connect on a LAN takes well under a millisecond; `connect_timeout` defaults to 5 s). A last
/// bucket, without bound, holds what is longer.
pub const BOUNDS_MICROS: [u64; 13] = [
    1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000, 1_000_000, 2_500_000,
    5_000_000, 10_000_000,
];

const BUCKETS: usize = BOUNDS_MICROS.len() + 1;

/// One histogram of durations.
#[derive(Debug)]
pub struct Histogram {
    /// Observations per bucket (not cumulative); the last one is past every bound.
    counts: [AtomicU64; BUCKETS],
    sum_micros: AtomicU64,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram {
            counts: std::array::from_fn(|_| AtomicU64::new(0)),
            sum_micros: AtomicU64::new(0),
        }
    }
}

impl Histogram {
    pub fn observe(&self, took: Duration) {
        let micros = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        let i = BOUNDS_MICROS.partition_point(|&b| b < micros);
        self.counts[i].fetch_add(1, Ordering::Relaxed);
        self.sum_micros.fetch_add(micros, Ordering::Relaxed);
    }

    pub fn snapshot(&self) -> HistogramSnapshot {
        HistogramSnapshot {
            counts: std::array::from_fn(|i| self.counts[i].load(Ordering::Relaxed)),
            sum: Duration::from_micros(self.sum_micros.load(Ordering::Relaxed)),
        }
    }
}

/// A histogram as read at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HistogramSnapshot {
    /// Per bucket, as [`BOUNDS_MICROS`] (plus the last, unbounded one); not cumulative.
    pub counts: [u64; BUCKETS],
    pub sum: Duration,
}

impl HistogramSnapshot {
    pub fn count(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// `(upper bound in seconds, observations at or below it)`, as Prometheus' buckets are:
    /// cumulative, the last bound infinite.
    pub fn cumulative(&self) -> Vec<(f64, u64)> {
        let mut total = 0;
        self.counts
            .iter()
            .enumerate()
            .map(|(i, n)| {
                total += n;
                let bound = BOUNDS_MICROS
                    .get(i)
                    .map_or(f64::INFINITY, |&b| b as f64 / 1e6);
                (bound, total)
            })
            .collect()
    }
}

/// The durations of the checks of one kind, successful and failed apart (a failure is often a
/// timeout, which would hide how long the successes take).
#[derive(Debug, Default)]
pub struct Latency {
    pub success: Histogram,
    pub failure: Histogram,
}

impl Latency {
    pub fn observe(&self, took: Duration, succeeded: bool) {
        if succeeded {
            self.success.observe(took)
        } else {
            self.failure.observe(took)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_duration_lands_in_the_first_bucket_that_holds_it() {
        let h = Histogram::default();
        h.observe(Duration::from_micros(400));
        h.observe(Duration::from_millis(1)); // on the bound: le="0.001"
        h.observe(Duration::from_micros(1_001));
        h.observe(Duration::from_secs(7));
        h.observe(Duration::from_secs(60));
        let s = h.snapshot();
        assert_eq!(s.count(), 5);
        assert_eq!(s.counts[0], 2);
        assert_eq!(s.counts[1], 1);
        assert_eq!(s.counts[12], 1, "7 s is at most 10 s");
        assert_eq!(s.counts[13], 1, "past every bound");
        assert_eq!(
            s.sum,
            Duration::from_micros(400 + 1_000 + 1_001 + 67_000_000)
        );
        let c = s.cumulative();
        assert_eq!(c.len(), 14);
        assert_eq!(c[0], (0.001, 2));
        assert_eq!(c[1], (0.0025, 3));
        assert_eq!(c[12], (10.0, 4));
        assert_eq!(c[13], (f64::INFINITY, 5));
    }

    #[test]
    fn successes_and_failures_are_apart() {
        let l = Latency::default();
        l.observe(Duration::from_millis(3), true);
        l.observe(Duration::from_secs(5), false);
        l.observe(Duration::from_secs(5), false);
        assert_eq!(l.success.snapshot().count(), 1);
        assert_eq!(l.failure.snapshot().count(), 2);
        assert_eq!(l.failure.snapshot().counts[11], 2, "5 s: le=\"5\"");
    }
}
