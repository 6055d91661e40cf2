//! Which slot each running checker is in, found by its id: two sorted arrays instead of a hash map.
//!
//! The daemon numbers checkers from a counter, so they come in ascending order and an insert is
//! a push at the end. 12 bytes a checker (and none spare once [`fit`] has run) where a
//! `HashMap<CheckerId, u32>` held ~28 at 10,000 (16,384 buckets of 17 bytes). A removal leaves
//! a tombstone rather than shifting both arrays (a reload stopping 10,000 checkers one by one
//! would move 0.6 GB otherwise); tombstones are swept out once they are as many as the living.
//!
//! [`fit`]: SlotsById::fit

use super::CheckerId;

/// Marks an id whose checker was removed.
const GONE: u32 = u32::MAX;

#[derive(Default)]
pub(super) struct SlotsById {
    /// Ascending.
    ids: Vec<CheckerId>,
    /// `slots[i]` is the slot of `ids[i]`, or [`GONE`].
    slots: Vec<u32>,
    living: usize,
}

impl SlotsById {
    pub fn get(&self, id: CheckerId) -> Option<u32> {
        let i = self.ids.binary_search(&id).ok()?;
        Some(self.slots[i]).filter(|&s| s != GONE)
    }

    pub fn contains(&self, id: CheckerId) -> bool {
        self.get(id).is_some()
    }

    /// Records `id` in `slot`, replacing any slot it had.
    pub fn insert(&mut self, id: CheckerId, slot: u32) {
        assert_ne!(slot, GONE, "fewer than 2^32 - 1 checkers");
        if self.ids.last().map_or(true, |&last| last < id) {
            self.ids.push(id);
            self.slots.push(slot);
            self.living += 1;
            return;
        }
        match self.ids.binary_search(&id) {
            Ok(i) => {
                if self.slots[i] == GONE {
                    self.living += 1;
                }
                self.slots[i] = slot;
            }
            Err(i) => {
                self.ids.insert(i, id);
                self.slots.insert(i, slot);
                self.living += 1;
            }
        }
    }

    /// Forgets `id`: its slot, or None if unknown.
    pub fn remove(&mut self, id: CheckerId) -> Option<u32> {
        let i = self.ids.binary_search(&id).ok()?;
        let slot = std::mem::replace(&mut self.slots[i], GONE);
        if slot == GONE {
            return None;
        }
        self.living -= 1;
        if self.ids.len() - self.living > self.living.max(16) {
            self.sweep();
        }
        Some(slot)
    }

    pub fn len(&self) -> usize {
        self.living
    }

    /// Drops the tombstones and the room that growing by doubling left.
    pub fn fit(&mut self) {
        self.sweep();
        self.ids.shrink_to_fit();
        self.slots.shrink_to_fit();
    }

    fn sweep(&mut self) {
        let slots = &self.slots;
        let mut i = 0;
        self.ids.retain(|_| {
            i += 1;
            slots[i - 1] != GONE
        });
        self.slots.retain(|&s| s != GONE);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_in_any_order_are_found_and_removed_once() {
        let mut m = SlotsById::default();
        for (id, slot) in [(5, 0), (9, 1), (2, 2), (7, 3)] {
            m.insert(CheckerId(id), slot);
        }
        assert_eq!(m.len(), 4);
        assert_eq!(m.get(CheckerId(2)), Some(2));
        assert_eq!(m.get(CheckerId(7)), Some(3));
        assert_eq!(m.get(CheckerId(3)), None);
        assert_eq!(m.remove(CheckerId(9)), Some(1));
        assert_eq!(m.remove(CheckerId(9)), None);
        assert!(!m.contains(CheckerId(9)));
        assert_eq!(m.len(), 3);
        // Back again, in another slot.
        m.insert(CheckerId(9), 4);
        assert_eq!(m.get(CheckerId(9)), Some(4));
        assert_eq!(m.len(), 4);
    }

    /// Removing most checkers sweeps the tombstones out; the rest are still found.
    #[test]
    fn tombstones_are_swept_and_the_rest_still_found() {
        let mut m = SlotsById::default();
        for i in 0..1000u32 {
            m.insert(CheckerId(u64::from(i)), i);
        }
        for i in (0..1000u32).filter(|i| i % 10 != 0) {
            assert_eq!(m.remove(CheckerId(u64::from(i))), Some(i));
        }
        assert_eq!(m.len(), 100);
        assert!(m.ids.len() <= 2 * 100 + 16, "{} entries kept", m.ids.len());
        for i in 0..1000u32 {
            let want = (i % 10 == 0).then_some(i);
            assert_eq!(m.get(CheckerId(u64::from(i))), want);
        }
        m.fit();
        assert_eq!(m.ids.len(), 100);
        assert_eq!(m.slots.len(), 100);
        assert_eq!(m.get(CheckerId(990)), Some(990));
    }
}
