//! keepalived's timing rules for one checker, apart from the waiting: pure.

use std::time::Duration;

use super::{DynamicWeight, EventKind, ProbeResult, Timing};

/// The random delay before a checker's first check: uniform in `0..=warmup`.
pub(super) fn warmup_delay(warmup: Duration) -> Duration {
    let max = u64::try_from(warmup.as_nanos()).unwrap_or(u64::MAX);
    if max == 0 {
        Duration::ZERO
    } else {
        Duration::from_nanos(fastrand::u64(0..=max))
    }
}

/// The state of one checker between its checks.
#[derive(Debug)]
pub(super) struct State {
    up: bool,
    /// An outcome (up or down) has been reported: the first success of a checker that starts
    /// up is reported too (keepalived logs it: "TCP connection to ... success."), also after
    /// failed retries, and keepalived words a first failure otherwise (`failed.`, measured).
    decided: bool,
    failed_attempts: u32,
    weight: Option<DynamicWeight>,
    /// Suspended (`ha_suspend`): its deadlines come and go every `delay_loop` without a check
    /// (`Schedule::suspend`). Kept here, where the struct has a spare byte, not in the slot:
    /// 8 bytes more a checker there.
    pub(super) suspended: bool,
}

impl State {
    /// No outcome (up or down) reported yet: the next event is the checker's first.
    pub(super) fn undecided(&self) -> bool {
        !self.decided
    }

    pub(super) fn new(timing: &Timing) -> State {
        State {
            up: !timing.alpha,
            decided: false,
            failed_attempts: 0,
            weight: None,
            suspended: false,
        }
    }

    /// Applies one result; returns the event to send (if any) and the delay before the next
    /// check. The event's text is made only when there is an event.
    pub(super) fn step(
        &mut self,
        timing: &Timing,
        result: ProbeResult,
    ) -> (Option<(EventKind, String)>, Duration) {
        match result {
            Ok(s) => {
                self.failed_attempts = 0;
                let first = !std::mem::replace(&mut self.decided, true);
                let event = if !self.up || first {
                    self.up = true;
                    self.weight = s.weight.or(self.weight);
                    Some((
                        EventKind::Up { weight: s.weight },
                        "check succeeded".to_string(),
                    ))
                } else {
                    match s.weight {
                        Some(w) if self.weight != Some(w) => {
                            self.weight = Some(w);
                            Some((EventKind::Weight(w), format!("dynamic {w}")))
                        }
                        _ => None,
                    }
                };
                (event, timing.delay_loop)
            }
            // Not the real server's doing (no socket here): as keepalived's "Rescheduling", the
            // attempt does not count and the check comes again after delay_loop.
            Err(f) if f.is_local() => (None, timing.delay_loop),
            Err(reason) if self.up && self.failed_attempts < timing.retry => {
                self.failed_attempts += 1;
                let event = timing.log_all_failures.then(|| {
                    (
                        EventKind::Failure,
                        format!(
                            "{reason} (attempt {} of {})",
                            self.failed_attempts,
                            timing.retry + 1
                        ),
                    )
                });
                (event, timing.delay_before_retry)
            }
            Err(reason) if self.up => {
                self.decided = true;
                self.up = false;
                self.failed_attempts = 0;
                (
                    Some((EventKind::Down, reason.to_string())),
                    timing.delay_loop,
                )
            }
            // The first check of a checker that starts down (alpha) failed: keepalived 2.2.7
            // tells it (notify_down, `RS ... DOWN`; measured), though nothing changes.
            Err(reason) if !self.decided => {
                self.decided = true;
                (
                    Some((EventKind::Down, reason.to_string())),
                    timing.delay_loop,
                )
            }
            // A checker that is down stays silent, as keepalived logs failures only while up.
            Err(_) => (None, timing.delay_loop),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Failure, Success};
    use super::*;

    fn timing(retry: u32) -> Timing {
        Timing {
            delay_loop: Duration::from_secs(10),
            retry,
            delay_before_retry: Duration::from_secs(2),
            warmup: Duration::ZERO,
            alpha: false,
            log_all_failures: false,
        }
    }

    /// A failure that is not the real server's (no socket) changes nothing: not the retry
    /// count, not the state, and nothing is reported; the check comes again after delay_loop.
    #[test]
    fn a_local_failure_does_not_count() {
        let t = timing(1);
        let mut s = State::new(&t);
        let local = || Err(Failure::Local("no socket".into()));
        let server = || Err(Failure::Server("refused".into()));
        assert_eq!(s.step(&t, Ok(Success::default())).1, t.delay_loop);
        assert_eq!(s.step(&t, local()), (None, t.delay_loop));
        // The first real failure is still the first retry.
        assert_eq!(s.step(&t, server()), (None, t.delay_before_retry));
        assert_eq!(s.step(&t, local()), (None, t.delay_loop));
        let (event, delay) = s.step(&t, server());
        assert_eq!(event.map(|e| e.0), Some(EventKind::Down));
        assert_eq!(delay, t.delay_loop);
        // Down: a local failure does not report anything either.
        assert_eq!(s.step(&t, local()), (None, t.delay_loop));
    }

    /// A checker that starts down (alpha) reports its first failed check (keepalived 2.2.7
    /// tells it then), and stays silent after, as any checker that is down.
    #[test]
    fn alpha_s_first_failure_is_reported_once() {
        let t = Timing {
            alpha: true,
            ..timing(2)
        };
        let mut s = State::new(&t);
        let server = || Err(Failure::Server("refused".into()));
        let (event, delay) = s.step(&t, server());
        assert_eq!(event.map(|e| e.0), Some(EventKind::Down));
        assert_eq!(delay, t.delay_loop);
        assert_eq!(s.step(&t, server()), (None, t.delay_loop));
    }

    /// A failed attempt decides nothing: a success after it is still the checker's first
    /// outcome, reported (keepalived logs "TCP connection to ... success." then), and a
    /// failure after the retries is its first outcome too (keepalived words it `failed.`).
    #[test]
    fn failed_attempts_leave_the_first_outcome_open() {
        let t = timing(1);
        let server = || Err(Failure::Server("refused".into()));
        let mut s = State::new(&t);
        assert_eq!(s.step(&t, server()), (None, t.delay_before_retry));
        assert!(s.undecided());
        let (event, _) = s.step(&t, Ok(Success::default()));
        assert!(
            matches!(event, Some((EventKind::Up { .. }, _))),
            "{event:?}"
        );
        assert!(!s.undecided());
        let mut s = State::new(&t);
        s.step(&t, server());
        let (event, _) = s.step(&t, server());
        assert_eq!(event.map(|e| e.0), Some(EventKind::Down));
        assert!(!s.undecided());
    }
}
