//! A long-running reconciler: keeps the desired state, and brings the kernel to it either by a
//! **full pass** (read the whole table, plan every service) or by an **update** (read from the
//! kernel only the services whose desired state changed, plan and apply those).
//!
//! Both compare with what the kernel holds *now*, never with what was last asked for: an update
//! reads its services fresh, so an entry changed by hand in a service it touches is put back at
//! once; a hand edit anywhere else waits for the **sweep** ([`Reconciler::sweep`], `sweep`):
//! the caller compares the desired state with the kernel a slice of services at a time, so that
//! the whole table is covered every round without reading it in one burst. The kernel lists
//! destinations one service per dump, so reading the whole table costs a dump per service
//! (about a second at 10,000 services in the emulated test VM), while an update costs a few per
//! changed service.
//!
//! Rules between the passes:
//! - The first pass is a full one, and so is the pass after any failure (a read or an apply that
//!   failed may have left the kernel anywhere): an [`Reconciler::update`] or a
//!   [`Reconciler::sweep`] then runs a full pass. Only a full pass reports foreign services
//!   and deletes services we own that are no longer desired (a sweep reads desired ones only).
//! - Ownership is always that of the whole desired state, so an update never mistakes one of our
//!   services for a foreign one, and never touches a service it was not given.
//!
//! [`Kernel`] is what the reconciler needs from the kernel: [`crate::Client`] implements it, and
//! [`Simulated`] is an in-memory kernel (with [`crate::simulate`]'s rules) for tests.

pub mod sweep;

use crate::plan::{plan, plan_stop, ForeignReport, Op, Options, Ownership, StopPolicy};
use crate::types::{Desired, ServiceKey, ServiceState, Timeouts};
use crate::Client;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What the reconciler needs from the kernel.
pub trait Kernel {
    type Error: fmt::Display;
    /// The whole table, in kernel order.
    fn state(&mut self) -> Result<Vec<ServiceState>, Self::Error>;
    /// These services (in the order of `keys`); one the kernel does not have is left out.
    fn state_of(&mut self, keys: &[ServiceKey]) -> Result<Vec<ServiceState>, Self::Error>;
    /// Carry out operations in order; stops at the first failure.
    fn apply(&mut self, ops: &[Op]) -> Result<(), Self::Error>;
    /// Set the connection timeouts (0 leaves a value as it is).
    fn set_timeouts(&mut self, t: &Timeouts) -> Result<(), Self::Error>;
}

impl Kernel for Client {
    type Error = crate::Error;
    fn state(&mut self) -> Result<Vec<ServiceState>, crate::Error> {
        Client::state(self)
    }
    fn state_of(&mut self, keys: &[ServiceKey]) -> Result<Vec<ServiceState>, crate::Error> {
        Client::state_of(self, keys)
    }
    fn apply(&mut self, ops: &[Op]) -> Result<(), crate::Error> {
        Client::apply(self, ops)
    }
    fn set_timeouts(&mut self, t: &Timeouts) -> Result<(), crate::Error> {
        Client::set_timeouts(self, t)
    }
}

/// Which kind of pass ran.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PassKind {
    /// The whole table was read and every desired service planned.
    Full,
    /// Only the services given to [`Reconciler::update`] were read and planned.
    Update,
    /// A slice of the desired services was read and planned ([`Reconciler::sweep`]).
    Sweep,
    /// A reload: only the services whose desired state the new configuration changed or
    /// dropped were read and planned ([`Reconciler::reload`]).
    Reload,
}

/// What one pass did (also when it failed: how far it got).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pass {
    pub kind: PassKind,
    /// Services read from the kernel (all of them for a full pass).
    pub read_services: usize,
    pub read: Duration,
    pub plan: Duration,
    pub apply: Duration,
    /// The operations planned (and applied, unless `error` says otherwise).
    pub ops: Vec<Op>,
    /// Foreign services seen for the first time (full passes only; left alone).
    pub new_foreign: Vec<ServiceKey>,
    /// Why the pass failed, if it did; the next pass is then a full one.
    pub error: Option<String>,
    /// An update found the kernel holding something else in its services than the last pass
    /// left there (changed by hand?); its operations put that right too.
    pub drift: bool,
    /// A sweep's slice: its share of the desired state, whether it ended a round.
    pub slice: Option<sweep::Slice>,
}

impl Pass {
    fn new(kind: PassKind) -> Pass {
        Pass {
            kind,
            read_services: 0,
            read: Duration::ZERO,
            plan: Duration::ZERO,
            apply: Duration::ZERO,
            ops: Vec::new(),
            new_foreign: Vec::new(),
            error: None,
            drift: false,
            slice: None,
        }
    }
}

impl fmt::Display for Pass {
    /// One line: `full pass: 10000 services read in 1.10 s, plan 53.0 ms, apply 0.2 ms, 0 ops`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.kind {
            PassKind::Full => "full pass",
            PassKind::Update => "update",
            PassKind::Sweep => "sweep",
            PassKind::Reload => "reload",
        };
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        write!(
            f,
            "{kind}: {} service(s) read in {:.1} ms, plan {:.1} ms, apply {:.1} ms, {} op(s)",
            self.read_services,
            ms(self.read),
            ms(self.plan),
            ms(self.apply),
            self.ops.len()
        )?;
        if self.drift {
            write!(f, ", the kernel had changed")?;
        }
        if let Some(e) = &self.error {
            write!(f, ", failed: {e}")?;
        }
        Ok(())
    }
}

/// The desired state and the kernel, and which kind of pass is due.
pub struct Reconciler<K: Kernel> {
    kernel: K,
    desired: Desired,
    /// Where each desired key is in `desired.services` (the first, if repeated).
    index: HashMap<ServiceKey, usize>,
    ownership: Ownership,
    /// `lvs_flush`: the first full pass flushes the whole table first.
    flush_first: bool,
    /// The next pass must be a full one (none ran yet, or the last one failed).
    full_due: bool,
    foreign: ForeignReport,
    /// Where the sweep stands in `desired.services`.
    sweep: sweep::Sweep,
}

impl<K: Kernel> Reconciler<K> {
    /// A reconciler with nothing desired yet; `flush_first`: `lvs_flush` (the first full pass
    /// flushes the table, foreign services too, before programming it).
    pub fn new(kernel: K, flush_first: bool) -> Reconciler<K> {
        Reconciler {
            kernel,
            desired: Desired::default(),
            index: HashMap::new(),
            ownership: Ownership::default(),
            flush_first,
            full_due: true,
            foreign: ForeignReport::default(),
            sweep: sweep::Sweep::default(),
        }
    }

    pub fn kernel(&mut self) -> &mut K {
        &mut self.kernel
    }

    pub fn desired(&self) -> &Desired {
        &self.desired
    }

    /// Will the next pass be a full one?
    pub fn full_due(&self) -> bool {
        self.full_due
    }

    /// Replace the whole desired state (start, reload); the next pass is a full one. We keep
    /// owning what the previous state declared until a full pass has removed it.
    pub fn set_desired(&mut self, desired: Desired) {
        self.ownership.extend(&desired);
        self.desired = desired;
        self.reindex();
        self.full_due = true;
    }

    fn reindex(&mut self) {
        self.sweep.restart();
        self.index.clear();
        for (i, s) in self.desired.services.iter().enumerate() {
            self.index.entry(s.service.key).or_insert(i);
        }
    }

    /// Read the whole table, plan every desired service (and the deletion of services we own
    /// that are no longer desired), apply.
    pub fn full(&mut self) -> Pass {
        let mut pass = Pass::new(PassKind::Full);
        let actual = match self.read_all(&mut pass) {
            Ok(a) => a,
            Err(e) => return self.failed(pass, e),
        };
        let t = Instant::now();
        let opts = Options {
            flush: std::mem::take(&mut self.flush_first),
        };
        let p = plan(&self.desired, &actual, &self.ownership, opts);
        pass.plan = t.elapsed();
        pass.new_foreign = self.foreign.new_ones(&p);
        pass.ops = p.ops;
        let pass = self.apply(pass);
        if pass.error.is_none() {
            self.ownership.settle(&self.desired);
            self.full_due = false;
        }
        pass
    }

    /// These services' desired states changed: record them, read just them from the kernel,
    /// plan and apply. A key given twice counts as its last state; a key not desired before is
    /// added to the desired state (and owned). When a full pass is due, this runs one instead.
    pub fn update(&mut self, changed: Vec<ServiceState>) -> Pass {
        let mut keys: Vec<ServiceKey> = Vec::with_capacity(changed.len());
        // What the last pass left in the kernel for these services (their previous desired
        // state), to tell a hand edit from the change itself.
        let mut before: HashMap<ServiceKey, ServiceState> = HashMap::new();
        for s in changed {
            let key = s.service.key;
            keys.push(key);
            match self.index.get(&key) {
                Some(&i) => {
                    let old = std::mem::replace(&mut self.desired.services[i], s);
                    before.entry(key).or_insert(old);
                }
                None => {
                    self.index.insert(key, self.desired.services.len());
                    self.desired.services.push(s);
                    self.ownership.add(key);
                }
            }
        }
        dedup_keys(&mut keys);
        if self.full_due {
            return self.full();
        }
        let mut pass = Pass::new(PassKind::Update);
        if keys.is_empty() {
            return pass;
        }
        let actual = match self.read_keyed(&keys, &mut pass) {
            Ok(a) => a,
            Err(e) => return self.failed(pass, e),
        };
        let t = Instant::now();
        let subset = Desired {
            services: keys
                .iter()
                .map(|k| self.desired.services[self.index[k]].clone())
                .collect(),
        };
        // Every key of `actual` is in `subset`, so nothing is foreign and nothing is deleted
        // as "no longer desired"; ownership is the whole desired state's all the same.
        pass.ops = plan(&subset, &actual, &self.ownership, Options::default()).ops;
        pass.drift = drifted(&keys, before, &actual, &self.ownership);
        pass.plan = t.elapsed();
        self.apply(pass)
    }

    /// The next slice of the sweep: desired services from where the sweep stands, costing at
    /// most `max_cost` (services + destinations; at least one service), read from the kernel,
    /// planned and applied. The kernel held what the last passes left there, so any operation
    /// puts a hand edit right. When a full pass is due, this runs one instead.
    pub fn sweep(&mut self, max_cost: usize) -> Pass {
        if self.full_due {
            return self.full();
        }
        let (range, slice) = self.sweep.next_slice(&self.desired.services, max_cost);
        let mut pass = Pass::new(PassKind::Sweep);
        pass.slice = Some(slice);
        let subset = Desired {
            services: self.desired.services[range].to_vec(),
        };
        if subset.services.is_empty() {
            return pass;
        }
        let keys: Vec<ServiceKey> = subset.services.iter().map(|s| s.service.key).collect();
        let actual = match self.read_keyed(&keys, &mut pass) {
            Ok(a) => a,
            Err(e) => return self.failed(pass, e),
        };
        let t = Instant::now();
        // As an update's: every key of `actual` is in `subset`.
        pass.ops = plan(&subset, &actual, &self.ownership, Options::default()).ops;
        pass.drift = !pass.ops.is_empty();
        pass.plan = t.elapsed();
        self.apply(pass)
    }

    /// A reload: `desired` replaces the whole desired state. Only the services it changes
    /// (a new or different desired state) and those it drops are read from the kernel,
    /// planned and applied now, so a changed weight is one edit and an untouched service is
    /// not even read; the caller follows with a full pass to compare the rest of the table.
    /// When a full pass is due anyway, this is one.
    pub fn reload(&mut self, desired: Desired) -> Pass {
        if self.full_due {
            self.set_desired(desired);
            return self.full();
        }
        let mut keys: Vec<ServiceKey> = Vec::new();
        for s in &desired.services {
            let same = self
                .index
                .get(&s.service.key)
                .is_some_and(|&i| self.desired.services[i] == *s);
            if !same {
                keys.push(s.service.key);
            }
        }
        let kept: HashSet<ServiceKey> = desired.services.iter().map(|s| s.service.key).collect();
        keys.extend(
            self.desired
                .services
                .iter()
                .map(|s| s.service.key)
                .filter(|k| !kept.contains(k)),
        );
        dedup_keys(&mut keys);
        self.ownership.extend(&desired);
        self.desired = desired;
        self.reindex();
        let mut pass = Pass::new(PassKind::Reload);
        if keys.is_empty() {
            return pass;
        }
        let actual = match self.read_keyed(&keys, &mut pass) {
            Ok(a) => a,
            Err(e) => return self.failed(pass, e),
        };
        let t = Instant::now();
        let subset = Desired {
            services: keys
                .iter()
                .filter_map(|k| self.index.get(k))
                .map(|&i| self.desired.services[i].clone())
                .collect(),
        };
        // The dropped services are in `actual` and owned but not in `subset`: deleted.
        pass.ops = plan(&subset, &actual, &self.ownership, Options::default()).ops;
        pass.plan = t.elapsed();
        let pass = self.apply(pass);
        if pass.error.is_none() {
            self.ownership.settle(&self.desired);
        }
        pass
    }

    /// Set the kernel's connection timeouts (`lvs_timeouts`).
    pub fn set_timeouts(&mut self, t: &Timeouts) -> Result<(), String> {
        self.kernel.set_timeouts(t).map_err(|e| e.to_string())
    }

    /// Remove or keep our services as `policy` says (reads the whole table first).
    pub fn stop(&mut self, policy: StopPolicy) -> Pass {
        let mut pass = Pass::new(PassKind::Full);
        let actual = match self.read_all(&mut pass) {
            Ok(a) => a,
            Err(e) => return self.failed(pass, e),
        };
        let t = Instant::now();
        pass.ops = plan_stop(&actual, &self.ownership, policy);
        pass.plan = t.elapsed();
        self.apply(pass)
    }

    /// The whole table, with the time it took and its size noted in `pass`.
    fn read_all(&mut self, pass: &mut Pass) -> Result<Vec<ServiceState>, String> {
        let t = Instant::now();
        let actual = self.kernel.state().map_err(|e| e.to_string())?;
        pass.read = t.elapsed();
        pass.read_services = actual.len();
        Ok(actual)
    }

    fn apply(&mut self, mut pass: Pass) -> Pass {
        if pass.ops.is_empty() {
            return pass;
        }
        let t = Instant::now();
        let r = self.kernel.apply(&pass.ops);
        pass.apply = t.elapsed();
        match r {
            Ok(()) => pass,
            Err(e) => self.failed(pass, e.to_string()),
        }
    }

    /// Reads the kernel's state of `keys` (an update's, a reload's, a sweep slice's), the
    /// time it took and how many services it asked for recorded in `pass`.
    fn read_keyed(
        &mut self,
        keys: &[ServiceKey],
        pass: &mut Pass,
    ) -> Result<Vec<ServiceState>, String> {
        let t = Instant::now();
        let actual = self.kernel.state_of(keys).map_err(|e| e.to_string())?;
        pass.read = t.elapsed();
        pass.read_services = keys.len();
        Ok(actual)
    }

    fn failed(&mut self, mut pass: Pass, error: String) -> Pass {
        self.full_due = true;
        pass.error = Some(error);
        pass
    }
}

/// Did the kernel hold, in the services an update read (`actual`), anything else than what the
/// last pass left there (`before`: their previous desired states)? After a successful pass the
/// kernel holds exactly the desired state, so a plan from it to `actual` is empty unless someone
/// changed the table in between. Services not desired before (new keys) are not compared.
fn drifted(
    keys: &[ServiceKey],
    mut before: HashMap<ServiceKey, ServiceState>,
    actual: &[ServiceState],
    ownership: &Ownership,
) -> bool {
    let last = Desired {
        services: keys.iter().filter_map(|k| before.remove(k)).collect(),
    };
    let compared: HashSet<ServiceKey> = last.services.iter().map(|s| s.service.key).collect();
    let held: Vec<ServiceState> = actual
        .iter()
        .filter(|s| compared.contains(&s.service.key))
        .cloned()
        .collect();
    !plan(&last, &held, ownership, Options::default())
        .ops
        .is_empty()
}

/// Remove repeated keys, keeping the first of each (order otherwise unchanged).
fn dedup_keys(keys: &mut Vec<ServiceKey>) {
    if keys.len() <= 1 {
        return;
    }
    let mut seen = std::collections::HashSet::with_capacity(keys.len());
    keys.retain(|k| seen.insert(*k));
}

/// An in-memory kernel with [`crate::simulate`]'s rules, shared (clones see one table), that
/// counts what it is asked, and can be told to fail: for tests of the reconciler and its users.
#[derive(Clone, Default)]
pub struct Simulated {
    inner: Arc<Mutex<SimInner>>,
}

#[derive(Default)]
struct SimInner {
    table: Vec<ServiceState>,
    full_reads: usize,
    keys_read: Vec<ServiceKey>,
    applied: Vec<Op>,
    fail_applies: usize,
    timeouts: Option<Timeouts>,
}

/// Counters of a [`Simulated`] kernel.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SimCounts {
    /// Whole-table reads.
    pub full_reads: usize,
    /// Every key asked of `state_of`, in order.
    pub keys_read: Vec<ServiceKey>,
    /// Every operation applied by `apply` (not those of [`Simulated::hand_edit`]).
    pub applied: Vec<Op>,
}

impl Simulated {
    /// The table as it is now.
    pub fn table(&self) -> Vec<ServiceState> {
        self.lock().table.clone()
    }

    /// Change the table behind the reconciler's back (like ipvsadm); not counted.
    pub fn hand_edit(&self, ops: &[Op]) -> Result<(), crate::plan::SimError> {
        crate::simulate(&mut self.lock().table, ops)
    }

    /// The counters since the last call, which resets them.
    pub fn take_counts(&self) -> SimCounts {
        let mut g = self.lock();
        SimCounts {
            full_reads: std::mem::take(&mut g.full_reads),
            keys_read: std::mem::take(&mut g.keys_read),
            applied: std::mem::take(&mut g.applied),
        }
    }

    /// The timeouts last set, if any.
    pub fn timeouts(&self) -> Option<Timeouts> {
        self.lock().timeouts
    }

    /// The next `n` calls of `apply` fail (changing nothing).
    pub fn fail_next_applies(&self, n: usize) {
        self.lock().fail_applies = n;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, SimInner> {
        // A test that panicked while holding the lock has already failed; its table is fine.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Kernel for Simulated {
    type Error = String;
    fn state(&mut self) -> Result<Vec<ServiceState>, String> {
        let mut g = self.lock();
        g.full_reads += 1;
        Ok(g.table.clone())
    }
    fn state_of(&mut self, keys: &[ServiceKey]) -> Result<Vec<ServiceState>, String> {
        let mut g = self.lock();
        g.keys_read.extend_from_slice(keys);
        Ok(keys
            .iter()
            .filter_map(|k| g.table.iter().find(|s| s.service.key == *k).cloned())
            .collect())
    }
    fn apply(&mut self, ops: &[Op]) -> Result<(), String> {
        let mut g = self.lock();
        if g.fail_applies > 0 {
            g.fail_applies -= 1;
            return Err("simulated failure".into());
        }
        g.applied.extend_from_slice(ops);
        crate::simulate(&mut g.table, ops).map_err(|e| e.to_string())
    }
    fn set_timeouts(&mut self, t: &Timeouts) -> Result<(), String> {
        self.lock().timeouts = Some(*t);
        Ok(())
    }
}

#[cfg(test)]
mod tests;
