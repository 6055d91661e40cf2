//! The LVS side's snapshot ([`crate::snapshot::LvsSnapshot`]): each virtual server's state
//! rebuilt when checker events have touched it, once per publication (the others are shared
//! with the last snapshot; a virtual server of 10,000 real servers costs 10,000 of them to
//! rebuild, so not per event), what each checker last said, and the reconciler thread's
//! counters (which change on their own: every full pass); published at most once a
//! [`PUBLISH_PERIOD`], and after a costly rebuild at most once in [`REBUILD_SHARE`] times what
//! it took, so that the snapshot takes at most 1/100 of the LVS thread's time.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use checkers::effects::Pool;
use checkers::{CheckEvent, CheckerId, EventKind};
use tokio::sync::watch;

use ipvs::{Forward, ServiceFlags};

use crate::lvs::{LvsPlan, VsKey};
use crate::snapshot::{
    CheckerSnapshot, LvsSnapshot, RealServerSnapshot, ReconcilerSnapshot, VirtualServerSnapshot,
    PUBLISH_PERIOD,
};

/// The weight each of `n` real servers has in `want` (a virtual server's desired
/// destinations), None for those not in it.
fn weights_by_rs(want: &[checkers::effects::DesiredDest], n: usize) -> Vec<Option<u32>> {
    let mut weights = vec![None; n];
    for d in want.iter().filter(|d| !d.sorry) {
        if let Some(w) = weights.get_mut(d.rs) {
            w.get_or_insert(d.weight);
        }
    }
    weights
}

/// A publication that rebuilt virtual servers is followed by a pause of at least this many
/// times the rebuild's time (and at least [`PUBLISH_PERIOD`]): rebuilding a virtual server of
/// 10,000 real servers takes tens of ms in the test VM, and during the first round of checks
/// every batch of events touches it.
const REBUILD_SHARE: u32 = 100;

/// What a checker last said.
#[derive(Debug, Clone)]
struct Said {
    reason: String,
    since: SystemTime,
    failures: u64,
}

pub struct Observer {
    said: HashMap<CheckerId, Said>,
    started: SystemTime,
    virtual_servers: Vec<Arc<VirtualServerSnapshot>>,
    /// Virtual servers touched by events since the last publication, to rebuild then.
    stale: Vec<usize>,
    dirty: bool,
    last_publish: Instant,
    /// The time to wait after the last publication before the next (unless asked for now).
    pause: Duration,
    pub snapshots: watch::Sender<Arc<LvsSnapshot>>,
    pub reconciler: watch::Receiver<ReconcilerSnapshot>,
    /// The reconciler thread still runs (its sender is there).
    pub reconciler_runs: bool,
}

impl Observer {
    pub fn new(reconciler: watch::Receiver<ReconcilerSnapshot>) -> Observer {
        Observer {
            said: HashMap::new(),
            started: SystemTime::now(),
            virtual_servers: Vec::new(),
            stale: Vec::new(),
            dirty: true,
            last_publish: Instant::now(),
            pause: PUBLISH_PERIOD,
            snapshots: watch::Sender::new(Arc::new(LvsSnapshot::default())),
            reconciler,
            reconciler_runs: true,
        }
    }

    /// The reconciler's counters changed (or, `Err`, its thread ended).
    pub fn reconciler_changed(&mut self, changed: Result<(), watch::error::RecvError>) {
        match changed {
            Ok(()) => self.dirty = true,
            Err(_) => self.reconciler_runs = false,
        }
    }

    /// A checker event, before the pool takes it.
    pub fn event(&mut self, ev: &CheckEvent) {
        let s = self.said.entry(ev.id).or_insert(Said {
            reason: String::new(),
            since: self.started,
            failures: 0,
        });
        match ev.kind {
            EventKind::Failure => s.failures += 1,
            EventKind::Down => {
                s.failures += 1;
                s.reason = ev.reason.clone();
                s.since = SystemTime::now();
            }
            EventKind::Up { .. } => {
                s.reason = ev.reason.clone();
                s.since = SystemTime::now();
            }
            EventKind::Weight(_) => s.reason = ev.reason.clone(),
        }
    }

    /// Every virtual server rebuilt (start, reload); checkers no longer in the pool forgotten.
    pub fn rebuild(&mut self, plan: &LvsPlan, pool: &Pool, ids: &[Vec<Vec<CheckerId>>]) {
        self.virtual_servers = (0..plan.virtual_servers.len())
            .map(|i| Arc::new(self.vs(plan, pool, ids, i)))
            .collect();
        self.stale.clear();
        let live: std::collections::HashSet<CheckerId> =
            ids.iter().flatten().flatten().copied().collect();
        self.said.retain(|id, _| live.contains(id));
        self.dirty = true;
    }

    /// An event touched virtual server `i`: rebuilt at the next publication.
    pub fn touched(&mut self, i: usize) {
        if !self.stale.contains(&i) {
            self.stale.push(i);
        }
        self.dirty = true;
    }

    fn vs(
        &self,
        plan: &LvsPlan,
        pool: &Pool,
        ids: &[Vec<Vec<CheckerId>>],
        i: usize,
    ) -> VirtualServerSnapshot {
        let v = &plan.virtual_servers[i];
        let want = pool.desired_of(i).unwrap_or_default();
        // Each real server's weight in the desired state, by index: one pass over it, not a
        // search per real server (10,000 real servers made that 10^8 steps per rebuild).
        let weights = weights_by_rs(&want, v.real_servers.len());
        let real_servers = v
            .real_servers
            .iter()
            .enumerate()
            .map(|(ri, r)| RealServerSnapshot {
                address: r.key().to_string(),
                forwarding: match r.dest.forward {
                    Forward::Nat => "NAT",
                    Forward::DirectRoute => "DR",
                    Forward::Tunnel { .. } => "TUN",
                    Forward::Local => "LOCAL",
                    Forward::Bypass => "BYPASS",
                },
                configured_weight: r.dest.weight,
                alive: pool.is_alive(i, ri).unwrap_or(false),
                weight: weights[ri],
                checkers: r
                    .checkers
                    .iter()
                    .enumerate()
                    .map(|(ci, c)| {
                        let id = ids.get(i).and_then(|v| v.get(ri)).and_then(|r| r.get(ci));
                        let said = id.and_then(|id| self.said.get(id));
                        let up = id
                            .and_then(|id| pool.checker_up(*id))
                            .unwrap_or(!c.timing.alpha);
                        CheckerSnapshot {
                            kind: c.keyword(),
                            up,
                            reason: said.map(|s| s.reason.clone()).unwrap_or_default(),
                            since: said.map_or(self.started, |s| s.since),
                            failures: said.map_or(0, |s| s.failures),
                        }
                    })
                    .collect(),
            })
            .collect();
        let first = v.services.first();
        VirtualServerSnapshot {
            name: v.key.to_string(),
            vip: match v.key {
                VsKey::Addr { addr, port, .. } => Some((addr, port)),
                _ => None,
            },
            fwmark: match v.key {
                VsKey::Fwmark { mark, .. } => Some(mark),
                _ => None,
            },
            protocol: match &v.key {
                VsKey::Addr { protocol, .. } | VsKey::Group { protocol, .. } => protocol.name(),
                VsKey::Fwmark { .. } => "none",
            },
            services: v.services.iter().map(|s| s.key.to_string()).collect(),
            scheduler: first.map(|s| s.scheduler.clone()).unwrap_or_default(),
            persistence_timeout: first
                .filter(|s| s.flags.has(ServiceFlags::PERSISTENT))
                .map_or(0, |s| s.timeout),
            quorum: v.quorum,
            hysteresis: v.hysteresis,
            quorum_up: pool.quorum_up(i).unwrap_or(false),
            sorry_server: want
                .iter()
                .find(|d| d.sorry && d.weight > 0)
                .map(|d| std::net::SocketAddr::new(d.address, d.port).to_string()),
            real_servers,
        }
    }

    /// Publishes when something changed and the last publication is old enough (or `now`),
    /// the virtual servers touched since the last one rebuilt first.
    pub fn publish(&mut self, now: bool, plan: &LvsPlan, pool: &Pool, ids: &[Vec<Vec<CheckerId>>]) {
        if !(now || (self.dirty && self.last_publish.elapsed() >= self.pause)) {
            return;
        }
        let t = Instant::now();
        for i in std::mem::take(&mut self.stale) {
            if i < self.virtual_servers.len() {
                self.virtual_servers[i] = Arc::new(self.vs(plan, pool, ids, i));
            }
        }
        self.snapshots.send_replace(Arc::new(LvsSnapshot {
            taken: SystemTime::now(),
            virtual_servers: self.virtual_servers.clone(),
            reconciler: self.reconciler.borrow().clone(),
        }));
        self.dirty = false;
        self.last_publish = Instant::now();
        self.pause = publish_pause(t.elapsed());
    }

    /// When a publication is due, if one is pending.
    pub fn due(&self) -> Option<Instant> {
        self.dirty.then(|| self.last_publish + self.pause)
    }
}

/// How long to wait after a publication whose rebuilding and sending took `took`.
fn publish_pause(took: Duration) -> Duration {
    PUBLISH_PERIOD.max(took.saturating_mul(REBUILD_SHARE))
}

#[cfg(test)]
mod tests {
    use super::*;
    use checkers::effects::DesiredDest;

    fn dest(rs: usize, weight: u32, sorry: bool) -> DesiredDest {
        DesiredDest {
            address: std::net::Ipv4Addr::LOCALHOST.into(),
            port: 80,
            weight,
            sorry,
            rs,
        }
    }

    /// A real server's weight is its own entry's (the first, were there two), the sorry
    /// server's entry is nobody's, and a real server not desired has none.
    #[test]
    fn weights_by_real_server() {
        let want = [
            dest(0, 3, false),
            dest(2, 0, false),
            dest(2, 9, false),
            dest(1, 7, true),
        ];
        assert_eq!(weights_by_rs(&want, 4), [Some(3), None, Some(0), None]);
        assert_eq!(weights_by_rs(&[dest(5, 1, false)], 2), [None, None]);
    }

    /// A cheap publication is followed by the usual period; a costly one by 100 times its cost.
    #[test]
    fn a_costly_rebuild_spaces_the_publications() {
        assert_eq!(publish_pause(Duration::from_micros(50)), PUBLISH_PERIOD);
        assert_eq!(
            publish_pause(Duration::from_millis(30)),
            Duration::from_secs(3)
        );
    }
}
