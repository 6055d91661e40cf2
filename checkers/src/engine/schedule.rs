//! Every checker of an engine and when its next check falls due: pure (time passed in).
//!
//! One min-heap of deadlines for all checkers instead of a timer per checker; the driver
//! sleeps until the earliest and takes every check due by then in one go. A checker is known by
//! its [`CheckerId`] and lives in a slot; each deadline and each check in flight carries a
//! ticket, so that one of a checker stopped (or stopped and its slot reused) since is
//! recognised and dropped without searching the heap.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::Arc;

use tokio::time::Instant;

use super::rules::State;
use super::slots_by_id::SlotsById;
use super::{CheckEvent, CheckerId, Probe, ProbeResult, Timing};
use crate::latency::Latency;

/// One checker.
pub(super) struct Slot {
    pub id: CheckerId,
    /// Shared with the checkers started before it with the same timing (10,000 real servers
    /// usually have one or a few: 56 bytes a checker otherwise).
    pub timing: Arc<Timing>,
    pub probe: Arc<dyn Probe>,
    /// Where its checks' durations go.
    latency: Arc<Latency>,
    /// When its check in flight started.
    started: Instant,
    state: State,
    /// The ticket of its pending deadline, or of its check in flight.
    ticket: u64,
}

/// A check to make now: which slot, under which ticket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Due {
    pub slot: u32,
    pub ticket: u64,
}

#[derive(Default)]
pub(super) struct Schedule {
    slots: Vec<Option<Slot>>,
    free: Vec<u32>,
    by_id: SlotsById,
    deadlines: BinaryHeap<Reverse<(Instant, u64, u32)>>,
    tickets: u64,
    /// The timing of the last checker inserted, for the next one with the same to share.
    last_timing: Option<Arc<Timing>>,
}

impl Schedule {
    /// Adds a checker whose first check falls due at `first`. An id already running is refused.
    pub fn insert(
        &mut self,
        id: CheckerId,
        timing: Timing,
        probe: Arc<dyn Probe>,
        latency: Arc<Latency>,
        first: Instant,
    ) -> Result<(), String> {
        timing.validate().map_err(|e| format!("{id}: {e}"))?;
        if self.by_id.contains(id) {
            return Err(format!("{id} is already running"));
        }
        let ticket = self.ticket();
        let timing = match &self.last_timing {
            Some(t) if **t == timing => t.clone(),
            _ => self.last_timing.insert(Arc::new(timing)).clone(),
        };
        let slot = Slot {
            id,
            state: State::new(&timing),
            timing,
            probe,
            latency,
            started: first,
            ticket,
        };
        let index = match self.free.pop() {
            Some(i) => {
                self.slots[i as usize] = Some(slot);
                i
            }
            None => {
                self.slots.push(Some(slot));
                u32::try_from(self.slots.len() - 1).expect("fewer than 2^32 checkers")
            }
        };
        self.by_id.insert(id, index);
        self.deadlines.push(Reverse((first, ticket, index)));
        Ok(())
    }

    /// Stops a checker: its deadline and any check in flight are forgotten. Its slot, or None
    /// if unknown.
    pub fn remove(&mut self, id: CheckerId) -> Option<u32> {
        let index = self.by_id.remove(id)?;
        self.slots[index as usize] = None;
        self.free.push(index);
        Some(index)
    }

    /// Suspends a checker (`on`) or resumes it; false if unknown. A suspended checker keeps its
    /// rhythm but makes no check: each deadline that falls due is put `delay_loop` later and
    /// nothing is checked, its state (up or down, failed attempts) left as it is; a check
    /// already in flight ends as usual. Resumed, it checks at its next deadline. keepalived's
    /// `ha_suspend`: a disabled checker's thread comes back every `delay_loop` and does
    /// nothing until it is enabled again.
    pub fn suspend(&mut self, id: CheckerId, on: bool) -> bool {
        let Some(index) = self.by_id.get(id) else {
            return false;
        };
        match self.slots[index as usize].as_mut() {
            Some(slot) => {
                slot.state.suspended = on;
                true
            }
            None => false,
        }
    }

    /// `due` is the check in flight of a running checker (not one stopped since).
    pub fn is_current(&self, due: Due) -> bool {
        self.valid(due.slot, due.ticket)
    }

    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    /// After a burst of inserts (the start of every checker): gives back the room that growing
    /// by doubling left, when it is more than a quarter of what is used (10,000 checkers: 6,384
    /// unused slots of 136 bytes and heap entries of 32, 1 MB, for the whole run otherwise).
    pub fn fit(&mut self) {
        self.by_id.fit();
        let spare = |cap: usize, len: usize| cap - len > len / 4;
        if spare(self.slots.capacity(), self.slots.len()) {
            self.slots.shrink_to_fit();
        }
        if spare(self.deadlines.capacity(), self.deadlines.len()) {
            self.deadlines.shrink_to_fit();
        }
    }

    pub fn slot(&self, index: u32) -> Option<&Slot> {
        self.slots.get(index as usize)?.as_ref()
    }

    /// The earliest pending deadline (stale ones are dropped on the way).
    pub fn next_deadline(&mut self) -> Option<Instant> {
        while let Some(Reverse((at, ticket, index))) = self.deadlines.peek().copied() {
            if self.valid(index, ticket) {
                return Some(at);
            }
            self.deadlines.pop();
        }
        None
    }

    /// The next check due at `now`, if any; its checker is then in flight until [`finish`].
    ///
    /// [`finish`]: Schedule::finish
    pub fn pop_due(&mut self, now: Instant) -> Option<Due> {
        loop {
            let at = self.next_deadline()?;
            if at > now {
                return None;
            }
            let Reverse((_, ticket, slot)) = self.deadlines.pop()?;
            let Some(s) = self.slots[slot as usize].as_mut() else {
                continue;
            };
            if s.state.suspended {
                // No check: its deadline delay_loop later, under the same ticket (never `now`
                // again, as delay_loop is not zero).
                let next = now + s.timing.delay_loop;
                self.deadlines.push(Reverse((next, ticket, slot)));
                continue;
            }
            s.started = now;
            return Some(Due { slot, ticket });
        }
    }

    /// A check's result at `now`: its duration recorded (unless it could not be made here), the
    /// checker's rules applied, its next check scheduled, and the event to send, if any.
    /// Nothing for a check of a checker stopped since.
    pub fn finish(&mut self, due: Due, result: ProbeResult, now: Instant) -> Option<CheckEvent> {
        if !self.valid(due.slot, due.ticket) {
            return None;
        }
        let ticket = self.ticket();
        let slot = self.slots[due.slot as usize].as_mut()?;
        if !result.as_ref().is_err_and(|f| f.is_local()) {
            slot.latency
                .observe(now.saturating_duration_since(slot.started), result.is_ok());
        }
        let first = slot.state.undecided();
        let (event, delay) = slot.state.step(&slot.timing, result);
        slot.ticket = ticket;
        self.deadlines
            .push(Reverse((now + delay, ticket, due.slot)));
        event.map(|(kind, reason)| CheckEvent {
            id: slot.id,
            kind,
            reason,
            first,
        })
    }

    fn valid(&self, index: u32, ticket: u64) -> bool {
        self.slots
            .get(index as usize)
            .and_then(Option::as_ref)
            .is_some_and(|s| s.ticket == ticket)
    }

    fn ticket(&mut self) -> u64 {
        self.tickets += 1;
        self.tickets
    }
}

#[cfg(test)]
mod tests {
    use super::super::{EventKind, Failure, ProbeFuture, Success};
    use super::*;
    use std::time::Duration;

    struct Never;
    impl Probe for Never {
        fn probe(&self) -> ProbeFuture<'_> {
            Box::pin(std::future::pending())
        }
    }

    fn timing(delay_loop: u64) -> Timing {
        Timing {
            delay_loop: Duration::from_secs(delay_loop),
            retry: 0,
            delay_before_retry: Duration::from_secs(1),
            warmup: Duration::ZERO,
            alpha: false,
            log_all_failures: false,
        }
    }

    fn secs(t0: Instant, s: u64) -> Instant {
        t0 + Duration::from_secs(s)
    }

    /// Checkers inserted one after another with the same timing share one copy of it; one with
    /// another timing gets its own, and each keeps what it was given.
    #[test]
    fn checkers_with_the_same_timing_share_it() {
        let t0 = Instant::now();
        let mut s = Schedule::default();
        for (id, delay_loop) in [(1, 10), (2, 10), (3, 5), (4, 5)] {
            s.insert(
                CheckerId(id),
                timing(delay_loop),
                Arc::new(Never),
                Arc::default(),
                t0,
            )
            .unwrap();
        }
        let t = |i: u32| s.slot(i).unwrap().timing.clone();
        assert!(Arc::ptr_eq(&t(0), &t(1)));
        assert!(Arc::ptr_eq(&t(2), &t(3)));
        assert!(!Arc::ptr_eq(&t(1), &t(2)));
        assert_eq!(*t(0), timing(10));
        assert_eq!(*t(3), timing(5));
    }

    /// Checks come out in deadline order, each once, and the next one is scheduled from the
    /// time its result came (delay_loop after the check ends).
    #[test]
    fn checks_fall_due_in_order_and_again_after_delay_loop() {
        let t0 = Instant::now();
        let mut s = Schedule::default();
        s.insert(
            CheckerId(1),
            timing(10),
            Arc::new(Never),
            Arc::default(),
            secs(t0, 3),
        )
        .unwrap();
        s.insert(
            CheckerId(2),
            timing(10),
            Arc::new(Never),
            Arc::default(),
            secs(t0, 1),
        )
        .unwrap();
        assert_eq!(s.next_deadline(), Some(secs(t0, 1)));
        assert_eq!(s.pop_due(t0), None);
        let a = s.pop_due(secs(t0, 5)).unwrap();
        let b = s.pop_due(secs(t0, 5)).unwrap();
        assert_eq!(s.pop_due(secs(t0, 5)), None, "each check is due once");
        assert_eq!(s.slot(a.slot).unwrap().id, CheckerId(2));
        assert_eq!(s.slot(b.slot).unwrap().id, CheckerId(1));
        // Both in flight: nothing pending.
        assert_eq!(s.next_deadline(), None);
        let ev = s.finish(a, Ok(Success::default()), secs(t0, 6)).unwrap();
        assert_eq!(
            (ev.id, ev.kind),
            (CheckerId(2), EventKind::Up { weight: None })
        );
        assert_eq!(s.next_deadline(), Some(secs(t0, 16)));
    }

    /// After a burst of inserts the room left by growing is given back, and every checker
    /// still falls due; with little room to spare nothing is moved.
    #[test]
    fn fit_gives_back_the_room_of_a_burst() {
        let t0 = Instant::now();
        let mut s = Schedule::default();
        for i in 0..1100 {
            s.insert(
                CheckerId(i),
                timing(10),
                Arc::new(Never),
                Arc::default(),
                t0,
            )
            .unwrap();
        }
        assert!(s.slots.capacity() >= 2048 && s.deadlines.capacity() >= 2048);
        s.fit();
        assert!(s.slots.capacity() < 1375, "{}", s.slots.capacity());
        assert!(s.deadlines.capacity() < 1375, "{}", s.deadlines.capacity());
        let mut due = 0;
        while s.pop_due(t0).is_some() {
            due += 1;
        }
        assert_eq!(due, 1100);
        // 1,200 slots for 1,100 checkers: kept as they are.
        s.slots.reserve_exact(100);
        let room = s.slots.capacity();
        s.fit();
        assert_eq!(s.slots.capacity(), room, "less than a quarter spare: kept");
    }

    /// A stopped checker's deadline and its check in flight are dropped; its slot is reused by
    /// the next checker without mixing the two up.
    #[test]
    fn a_removed_checker_is_forgotten_even_in_flight() {
        let t0 = Instant::now();
        let mut s = Schedule::default();
        s.insert(
            CheckerId(1),
            timing(10),
            Arc::new(Never),
            Arc::default(),
            t0,
        )
        .unwrap();
        s.insert(
            CheckerId(2),
            timing(10),
            Arc::new(Never),
            Arc::default(),
            secs(t0, 1),
        )
        .unwrap();
        let in_flight = s.pop_due(t0).unwrap();
        assert!(s.is_current(in_flight));
        assert!(s.remove(CheckerId(1)).is_some());
        assert!(s.remove(CheckerId(2)).is_some());
        assert!(s.remove(CheckerId(2)).is_none());
        assert!(!s.is_current(in_flight));
        assert_eq!(
            s.next_deadline(),
            None,
            "the stopped one's deadline is gone"
        );
        // Slot reused by a new checker.
        s.insert(
            CheckerId(3),
            timing(10),
            Arc::new(Never),
            Arc::default(),
            secs(t0, 2),
        )
        .unwrap();
        let late = Err(Failure::Server("late".into()));
        assert_eq!(s.finish(in_flight, late, secs(t0, 1)), None);
        assert_eq!(
            s.next_deadline(),
            Some(secs(t0, 2)),
            "the new one is unaffected"
        );
        assert_eq!(s.len(), 1);
    }

    /// A suspended checker's deadlines pass without a check, each delay_loop after the last;
    /// resumed, it is due at the next one. An unknown id is refused.
    #[test]
    fn a_suspended_checker_is_never_due_but_keeps_its_rhythm() {
        let t0 = Instant::now();
        let mut s = Schedule::default();
        for id in [1, 2] {
            s.insert(
                CheckerId(id),
                timing(10),
                Arc::new(Never),
                Arc::default(),
                t0,
            )
            .unwrap();
        }
        assert!(s.suspend(CheckerId(2), true));
        assert!(!s.suspend(CheckerId(9), true));
        let a = s.pop_due(t0).unwrap();
        assert_eq!(s.slot(a.slot).unwrap().id, CheckerId(1));
        assert_eq!(s.pop_due(t0), None, "the suspended one is not due");
        assert_eq!(s.next_deadline(), Some(secs(t0, 10)));
        assert_eq!(s.pop_due(secs(t0, 10)), None);
        assert_eq!(s.next_deadline(), Some(secs(t0, 20)));
        assert!(s.suspend(CheckerId(2), false));
        assert_eq!(s.pop_due(secs(t0, 19)), None);
        let b = s.pop_due(secs(t0, 20)).unwrap();
        assert_eq!(s.slot(b.slot).unwrap().id, CheckerId(2));
        assert!(s.is_current(b));
    }

    #[test]
    fn ids_are_unique_and_timing_checked() {
        let t0 = Instant::now();
        let mut s = Schedule::default();
        s.insert(
            CheckerId(1),
            timing(10),
            Arc::new(Never),
            Arc::default(),
            t0,
        )
        .unwrap();
        let dup = s.insert(
            CheckerId(1),
            timing(10),
            Arc::new(Never),
            Arc::default(),
            t0,
        );
        assert!(dup.unwrap_err().contains("already running"));
        let zero = s.insert(CheckerId(2), timing(0), Arc::new(Never), Arc::default(), t0);
        assert!(zero.unwrap_err().contains("delay_loop"));
    }
}
