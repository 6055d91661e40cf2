//! The reconciler: the smallest ordered list of operations that turns what the kernel holds into
//! what the configuration wants. Pure: no kernel, no clock; `simulate` applies a plan to an
//! in-memory table the way the kernel would, so plans can be checked without one.
//!
//! Rules:
//! - It compares with the kernel's actual state (not with the previous configuration), so entries
//!   changed or deleted by hand are put back.
//! - It touches only services it owns ([`Ownership`]): those the configuration declares, plus those
//!   a previous configuration declared (so a service removed from the file is deleted on reload).
//!   Every other service is foreign: left alone and reported.
//! - A service whose key matches is adopted in place: equal settings give no operation, different
//!   ones an edit (scheduler, flags, timeout, netmask, persistence engine), never delete + add, so
//!   live connections survive a restart. Destinations likewise: weight, forwarding method, tunnel
//!   parameters and thresholds are edited in place. Only a different key is a different entry.
//! - Destinations of an owned service that the configuration does not list are deleted (a failed
//!   real server under inhibit_on_failure is still listed, with weight 0: see `Desired::add_service`).

use crate::types::{Desired, DestKey, Destination, Service, ServiceKey, ServiceState};
use std::collections::{HashMap, HashSet};

/// One kernel operation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op {
    AddService(Service),
    EditService(Service),
    DelService(ServiceKey),
    AddDest(ServiceKey, Destination),
    EditDest(ServiceKey, Destination),
    DelDest(ServiceKey, DestKey),
    /// Delete every service of the namespace (lvs_flush, lvs_flush_on_stop).
    Flush,
}

/// Which services are ours.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Ownership {
    owned: HashSet<ServiceKey>,
}

impl Ownership {
    /// We own exactly what this desired state declares (a one-shot `ipvs sync`, or a first start).
    pub fn of(desired: &Desired) -> Ownership {
        Ownership {
            owned: desired.services.iter().map(|s| s.service.key).collect(),
        }
    }
    /// A reload: we also own what the new configuration declares; what the old one declared stays
    /// ours until it is gone from the kernel (call [`Ownership::settle`] after applying).
    pub fn extend(&mut self, desired: &Desired) {
        self.owned
            .extend(desired.services.iter().map(|s| s.service.key));
    }
    /// Own one more service.
    pub fn add(&mut self, key: ServiceKey) {
        self.owned.insert(key);
    }
    /// After a plan was applied: forget services that are no longer desired.
    pub fn settle(&mut self, desired: &Desired) {
        *self = Ownership::of(desired);
    }
    pub fn owns(&self, key: &ServiceKey) -> bool {
        self.owned.contains(key)
    }
}

/// Startup options (keepalived's global_defs).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Options {
    /// `lvs_flush`: flush the whole IPVS table (foreign services too) before programming it.
    pub flush: bool,
}

/// What the reconciler decided.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    pub ops: Vec<Op>,
    /// Services in the kernel that are not ours, in kernel order: left alone.
    pub foreign: Vec<ServiceKey>,
}

/// The operations that turn `actual` into `desired` for the services we own.
///
/// Order: deletions of owned services no longer desired first, then each desired service in
/// configuration order (add it, or edit it, then its destinations: deletions, edits, additions).
/// A key repeated in `desired` counts once (the first); so does a repeated destination.
pub fn plan(
    desired: &Desired,
    actual: &[ServiceState],
    ownership: &Ownership,
    opts: Options,
) -> Plan {
    let mut out = Plan::default();
    if opts.flush {
        out.ops.push(Op::Flush);
        for s in dedup_services(desired) {
            out.ops.push(Op::AddService(s.service.clone()));
            for d in dedup_dests(&s.dests) {
                out.ops.push(Op::AddDest(s.service.key, *d));
            }
        }
        return out;
    }
    let wanted: Vec<&ServiceState> = dedup_services(desired);
    let wanted_keys: HashSet<ServiceKey> = wanted.iter().map(|s| s.service.key).collect();
    let mut by_key: HashMap<ServiceKey, &ServiceState> = HashMap::with_capacity(actual.len());
    for a in actual {
        let key = a.service.key;
        if ownership.owns(&key) || wanted_keys.contains(&key) {
            by_key.entry(key).or_insert(a);
            if !wanted_keys.contains(&key) {
                out.ops.push(Op::DelService(key));
            }
        } else {
            out.foreign.push(key);
        }
    }
    for want in wanted {
        let key = want.service.key;
        match by_key.get(&key) {
            None => {
                out.ops.push(Op::AddService(want.service.clone()));
                for d in dedup_dests(&want.dests) {
                    out.ops.push(Op::AddDest(key, *d));
                }
            }
            Some(have) => {
                if !want.service.same_settings(&have.service) {
                    out.ops.push(Op::EditService(want.service.clone()));
                }
                diff_dests(key, &want.dests, &have.dests, &mut out.ops);
            }
        }
    }
    out
}

/// Destination lists up to this long are compared by linear search (no hashing, no allocation):
/// a service has a handful of real servers, and a big table has many services.
const SMALL: usize = 16;

fn diff_dests(key: ServiceKey, want: &[Destination], have: &[Destination], ops: &mut Vec<Op>) {
    if want.len() <= SMALL && have.len() <= SMALL {
        // First occurrence of each key counts, as in the general case.
        let first =
            |list: &[Destination], i: usize| !list[..i].iter().any(|x| x.key() == list[i].key());
        for (i, h) in have.iter().enumerate() {
            if first(have, i) && !want.iter().any(|w| w.key() == h.key()) {
                ops.push(Op::DelDest(key, h.key()));
            }
        }
        let mut adds = Vec::new();
        for (i, w) in want.iter().enumerate() {
            if !first(want, i) {
                continue;
            }
            match have.iter().find(|h| h.key() == w.key()) {
                Some(h) if h == w => {}
                Some(_) => ops.push(Op::EditDest(key, *w)),
                None => adds.push(Op::AddDest(key, *w)),
            }
        }
        ops.extend(adds);
        return;
    }
    let want = dedup_dests(want);
    let want_keys: HashSet<DestKey> = want.iter().map(|d| d.key()).collect();
    let mut have_by_key: HashMap<DestKey, &Destination> = HashMap::with_capacity(have.len());
    for h in have {
        if let std::collections::hash_map::Entry::Vacant(e) = have_by_key.entry(h.key()) {
            e.insert(h);
            if !want_keys.contains(&h.key()) {
                ops.push(Op::DelDest(key, h.key()));
            }
        }
    }
    let mut adds = Vec::new();
    for w in want {
        match have_by_key.get(&w.key()) {
            Some(h) if *h == w => {}
            Some(_) => ops.push(Op::EditDest(key, *w)),
            None => adds.push(Op::AddDest(key, *w)),
        }
    }
    ops.extend(adds);
}

fn dedup_services(desired: &Desired) -> Vec<&ServiceState> {
    let mut seen = HashSet::with_capacity(desired.services.len());
    desired
        .services
        .iter()
        .filter(|s| seen.insert(s.service.key))
        .collect()
}

fn dedup_dests(dests: &[Destination]) -> Vec<&Destination> {
    let mut seen = HashSet::with_capacity(dests.len());
    dests.iter().filter(|d| seen.insert(d.key())).collect()
}

/// Remembers which foreign services were already reported, so a long-running reconciler logs
/// each one once (and again only if it disappears and comes back).
#[derive(Clone, Debug, Default)]
pub struct ForeignReport {
    seen: HashSet<ServiceKey>,
}

impl ForeignReport {
    /// The foreign services of this plan not reported before.
    pub fn new_ones(&mut self, plan: &Plan) -> Vec<ServiceKey> {
        let now: HashSet<ServiceKey> = plan.foreign.iter().copied().collect();
        let fresh = plan
            .foreign
            .iter()
            .filter(|k| !self.seen.contains(k))
            .copied()
            .collect();
        self.seen = now;
        fresh
    }
}

/// What to do with our services when the daemon stops.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum StopPolicy {
    /// keepalived's default (and `lvs_flush_on_stop VS`): remove the services we own.
    #[default]
    RemoveOwned,
    /// `lvs_flush_on_stop` (ALL): flush the whole table, foreign services too.
    FlushAll,
    /// `--dont-release-ipvs`: leave everything in place.
    Keep,
}

/// The operations to run when stopping.
pub fn plan_stop(actual: &[ServiceState], ownership: &Ownership, policy: StopPolicy) -> Vec<Op> {
    match policy {
        StopPolicy::Keep => Vec::new(),
        StopPolicy::FlushAll => vec![Op::Flush],
        StopPolicy::RemoveOwned => actual
            .iter()
            .filter(|a| ownership.owns(&a.service.key))
            .map(|a| Op::DelService(a.service.key))
            .collect(),
    }
}

/// Why an operation fails on the simulated table (as the kernel would refuse it).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SimError {
    #[error("service {0} already exists")]
    ServiceExists(ServiceKey),
    #[error("no service {0}")]
    NoService(ServiceKey),
    #[error("destination {1} of {0} already exists")]
    DestExists(ServiceKey, DestKey),
    #[error("no destination {1} in {0}")]
    NoDest(ServiceKey, DestKey),
}

/// Apply operations to an in-memory table with the kernel's rules (EEXIST / ENOENT).
pub fn simulate(table: &mut Vec<ServiceState>, ops: &[Op]) -> Result<(), SimError> {
    for op in ops {
        match op {
            Op::Flush => table.clear(),
            Op::AddService(s) => {
                if table.iter().any(|t| t.service.key == s.key) {
                    return Err(SimError::ServiceExists(s.key));
                }
                table.push(ServiceState {
                    service: s.clone(),
                    dests: Vec::new(),
                });
            }
            Op::EditService(s) => find(table, &s.key)?.service = s.clone(),
            Op::DelService(k) => {
                let i = table
                    .iter()
                    .position(|t| t.service.key == *k)
                    .ok_or(SimError::NoService(*k))?;
                table.remove(i);
            }
            Op::AddDest(k, d) => {
                let t = find(table, k)?;
                if t.dests.iter().any(|x| x.key() == d.key()) {
                    return Err(SimError::DestExists(*k, d.key()));
                }
                t.dests.push(*d);
            }
            Op::EditDest(k, d) => {
                let t = find(table, k)?;
                let x = t
                    .dests
                    .iter_mut()
                    .find(|x| x.key() == d.key())
                    .ok_or(SimError::NoDest(*k, d.key()))?;
                *x = *d;
            }
            Op::DelDest(k, dk) => {
                let t = find(table, k)?;
                let i = t
                    .dests
                    .iter()
                    .position(|x| x.key() == *dk)
                    .ok_or(SimError::NoDest(*k, *dk))?;
                t.dests.remove(i);
            }
        }
    }
    Ok(())
}

fn find<'a>(
    table: &'a mut [ServiceState],
    key: &ServiceKey,
) -> Result<&'a mut ServiceState, SimError> {
    table
        .iter_mut()
        .find(|t| t.service.key == *key)
        .ok_or(SimError::NoService(*key))
}

#[cfg(test)]
mod tests;
