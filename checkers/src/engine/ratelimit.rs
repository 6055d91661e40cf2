//! A log line that may come thousands of times a second (every check failing for want of a
//! file descriptor) said at most once a period: pure, time passed in.

use std::time::Duration;

use tokio::time::Instant;

pub(super) struct RateLimit {
    period: Duration,
    last: Option<Instant>,
    held: u64,
}

impl RateLimit {
    pub fn new(period: Duration) -> RateLimit {
        RateLimit {
            period,
            last: None,
            held: 0,
        }
    }

    /// One more occurrence at `now`: `Some(n)` when it is to be logged, `n` being how many were
    /// held back since the last line; None when it is held back.
    pub fn hit(&mut self, now: Instant) -> Option<u64> {
        match self.last {
            Some(at) if now < at + self.period => {
                self.held += 1;
                None
            }
            _ => {
                self.last = Some(now);
                Some(std::mem::take(&mut self.held))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn once_a_period_with_the_count_held_back() {
        let t0 = Instant::now();
        let ms = |n| t0 + Duration::from_millis(n);
        let mut r = RateLimit::new(Duration::from_secs(10));
        assert_eq!(r.hit(t0), Some(0));
        assert_eq!(r.hit(ms(1)), None);
        assert_eq!(r.hit(ms(9_999)), None);
        assert_eq!(r.hit(ms(10_000)), Some(2));
        assert_eq!(r.hit(ms(10_001)), None);
        assert_eq!(r.hit(ms(60_000)), Some(1));
    }
}
