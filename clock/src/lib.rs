//! Time as a sans-IO protocol core sees it (`vrrp`, `bfd`): a point on a clock it does not own.
//!
//! A core never reads a clock. The daemon passes `now` with every input (mapping its own
//! monotonic clock to a [`Time`]), and tests pass a virtual one, so runs are deterministic. One
//! type for every core, so the daemon maps its clock once.

use std::ops::{Add, Sub};
use std::time::Duration;

/// A point in time: the duration since an arbitrary epoch chosen by the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Time(pub Duration);

impl Time {
    /// The epoch.
    pub const ZERO: Time = Time(Duration::ZERO);

    pub fn from_millis(ms: u64) -> Time {
        Time(Duration::from_millis(ms))
    }

    /// `self - earlier`, or zero if `earlier` is later.
    pub fn saturating_since(self, earlier: Time) -> Duration {
        self.0.saturating_sub(earlier.0)
    }
}

impl Add<Duration> for Time {
    type Output = Time;
    fn add(self, rhs: Duration) -> Time {
        Time(self.0 + rhs)
    }
}

impl Sub<Time> for Time {
    type Output = Duration;
    /// Panics if `rhs` is later, like `Duration` subtraction; see [`Time::saturating_since`].
    fn sub(self, rhs: Time) -> Duration {
        self.0 - rhs.0
    }
}
