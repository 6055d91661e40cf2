//! The LVS side's snapshot ([`crate::snapshot::LvsSnapshot`]): each virtual server's state
//! rebuilt when checker events have touched it, once per publication (the others are shared
//! with the last snapshot; a virtual server of 10,000 real servers costs 10,000 of them to
//! rebuild, so not per event), what each checker last said, and the reconciler thread's
//! counters (which change on their own: every full pass); published at most once a
//! [`PUBLISH_PERIOD`], and after a costly rebuild at most once in [`REBUILD_SHARE`] times what
//! it took, so that the snapshot takes at most 1/100 of the LVS thread's time.

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
    /// Shared with the snapshots, and between checkers that said the same last ("check
    /// succeeded": 10,000 real servers up say it 10,000 times).
    reason: Arc<str>,
    since: SystemTime,
    failures: u64,
}

pub struct Observer {
    /// What each running checker last said, sorted by id (every checker has an entry from
    /// its start: a `Vec` holds 10,000 of them in half the room of a `HashMap`).
    said: Vec<(CheckerId, Said)>,
    /// The last reason said, for the next checker that says the same to share.
    last_reason: Arc<str>,
    /// The reason of a checker that has said nothing yet (one for all).
    nothing: Arc<str>,
    started: SystemTime,
    virtual_servers: Vec<Arc<VirtualServerSnapshot>>,
    /// By virtual server: its checkers are suspended (`ha_suspend`).
    suspended: Vec<bool>,
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
            said: Vec::new(),
            last_reason: Arc::from(""),
            nothing: Arc::from(""),
            started: SystemTime::now(),
            virtual_servers: Vec::new(),
            suspended: Vec::new(),
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
        let Ok(i) = self.said.binary_search_by_key(&ev.id, |&(id, _)| id) else {
            // Not running (stopped by a reload since).
            return;
        };
        let reason = |last: &mut Arc<str>| {
            if **last != *ev.reason {
                *last = Arc::from(ev.reason.as_str());
            }
            last.clone()
        };
        let s = &mut self.said[i].1;
        match ev.kind {
            EventKind::Failure => s.failures += 1,
            EventKind::Down => {
                s.failures += 1;
                s.reason = reason(&mut self.last_reason);
                s.since = SystemTime::now();
            }
            EventKind::Up { .. } => {
                s.reason = reason(&mut self.last_reason);
                s.since = SystemTime::now();
            }
            EventKind::Weight(_) => s.reason = reason(&mut self.last_reason),
        }
    }

    /// Every virtual server rebuilt (start, reload); what the checkers of the pool said kept,
    /// the others' forgotten.
    pub fn rebuild(&mut self, plan: &LvsPlan, pool: &Pool) {
        let old = std::mem::take(&mut self.said);
        let mut said = Vec::with_capacity(pool.checker_ids().len());
        // In increasing order: `said` stays sorted.
        for id in pool.checker_ids() {
            let kept = old
                .binary_search_by_key(&id, |&(id, _)| id)
                .ok()
                .map(|i| old[i].1.clone());
            said.push((
                id,
                kept.unwrap_or_else(|| Said {
                    reason: self.nothing.clone(),
                    since: self.started,
                    failures: 0,
                }),
            ));
        }
        self.said = said;
        self.virtual_servers = (0..plan.virtual_servers.len())
            .map(|i| Arc::new(self.vs(plan, pool, i)))
            .collect();
        self.stale.clear();
        self.dirty = true;
    }

    /// Which virtual servers' checkers are suspended now (`ha_suspend`): those that changed
    /// are rebuilt at the next publication.
    pub fn suspension(&mut self, suspended: &[bool]) {
        for (i, &now) in suspended.iter().enumerate() {
            if self.suspended.get(i) != Some(&now) && i < self.virtual_servers.len() {
                self.touched(i);
                self.dirty = true;
            }
        }
        self.suspended = suspended.to_vec();
    }

    /// An event touched virtual server `i`: rebuilt at the next publication.
    pub fn touched(&mut self, i: usize) {
        if !self.stale.contains(&i) {
            self.stale.push(i);
        }
        self.dirty = true;
    }

    fn vs(&self, plan: &LvsPlan, pool: &Pool, i: usize) -> VirtualServerSnapshot {
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
                        let id = pool.checker_id(i, ri, ci);
                        let said = id
                            .and_then(|id| self.said.binary_search_by_key(&id, |&(id, _)| id).ok())
                            .map(|k| &self.said[k].1);
                        let up = id
                            .and_then(|id| pool.checker_up(id))
                            .unwrap_or(!c.timing.alpha);
                        CheckerSnapshot {
                            kind: c.keyword(),
                            up,
                            reason: said.map_or_else(|| self.nothing.clone(), |s| s.reason.clone()),
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
            ha_suspend: v.ha_suspend,
            suspended: self.suspended.get(i).copied().unwrap_or(false),
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
    pub fn publish(&mut self, now: bool, plan: &LvsPlan, pool: &Pool) {
        if !(now || (self.dirty && self.last_publish.elapsed() >= self.pause)) {
            return;
        }
        let t = Instant::now();
        for i in std::mem::take(&mut self.stale) {
            if i < self.virtual_servers.len() {
                self.virtual_servers[i] = Arc::new(self.vs(plan, pool, i));
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

#[cfg(test)]
mod said_tests {
    use super::*;
    use crate::lvsd::registry::Registry;

    fn plan(real_servers: &[u8]) -> LvsPlan {
        let mut conf = String::from("virtual_server 192.0.2.1 80 {\n lb_kind NAT\n protocol TCP\n");
        for n in real_servers {
            conf.push_str(&format!(
                " real_server 10.0.0.{n} 80 {{\n  TCP_CHECK {{\n  }}\n }}\n"
            ));
        }
        conf.push_str("}\n");
        let p = conf_parser::parse_str("t.conf", &conf, &conf_parser::Options::default());
        assert!(p.is_ok(), "{}", p.render_diagnostics());
        crate::lvs::plan(&p.config, false).unwrap()
    }

    fn said(o: &Observer, rs: usize) -> Arc<str> {
        o.virtual_servers[0].real_servers[rs].checkers[0]
            .reason
            .clone()
    }

    /// What each checker said is in the snapshot, the same words shared rather than copied;
    /// a reload keeps what the checkers it keeps said and forgets the others, and an event of
    /// a checker no longer running changes nothing.
    #[test]
    fn what_the_checkers_said_is_kept_shared_and_forgotten_with_them() {
        let (tx, rx) = watch::channel(Default::default());
        let mut o = Observer::new(rx);
        let mut registry = Registry::default();
        let first = Arc::new(plan(&[1, 2, 3]));
        let a = registry.assign(&LvsPlan::empty(), &[], &first, false);
        let pool = Pool::new(crate::lvsd::pool_configs(&first, &a));
        o.rebuild(&first, &pool);
        let ev = |rs: usize, kind, reason: &str| CheckEvent {
            id: a.ids[0][rs][0],
            kind,
            reason: reason.into(),
            first: false,
        };
        let up = EventKind::Up { weight: None };
        o.event(&ev(0, up.clone(), "check succeeded"));
        o.event(&ev(1, up.clone(), "check succeeded"));
        o.event(&ev(2, EventKind::Down, "refused"));
        o.touched(0);
        o.publish(true, &first, &pool);
        assert_eq!(&*said(&o, 0), "check succeeded");
        assert!(Arc::ptr_eq(&said(&o, 0), &said(&o, 1)));
        assert_eq!(&*said(&o, 2), "refused");
        assert_eq!(o.virtual_servers[0].real_servers[2].checkers[0].failures, 1);

        // Real server 10.0.0.2 goes, 10.0.0.4 comes.
        let second = Arc::new(plan(&[1, 3, 4]));
        let b = registry.assign(&first, &a.ids, &second, false);
        let pool = Pool::new(crate::lvsd::pool_configs(&second, &b));
        o.rebuild(&second, &pool);
        assert_eq!(&*said(&o, 0), "check succeeded");
        assert_eq!(&*said(&o, 1), "refused");
        assert_eq!(&*said(&o, 2), "");
        assert_eq!(o.said.len(), 3);
        o.event(&ev(1, EventKind::Down, "gone"));
        o.touched(0);
        o.publish(true, &second, &pool);
        assert_eq!(
            o.virtual_servers[0]
                .real_servers
                .iter()
                .map(|r| &*r.checkers[0].reason)
                .collect::<Vec<_>>(),
            ["check succeeded", "refused", ""]
        );
        drop(tx);
    }
}
