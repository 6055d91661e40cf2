//! What check results do to virtual servers, as a pure state machine: fold [`CheckEvent`]s in,
//! read each virtual server's desired destinations (address, port, weight) out, and get the
//! notifications to run, in order.
//!
//! The rules, as keepalived.conf(5) describes them:
//! - A real server is alive only while every one of its checkers is up (a real server without
//!   checkers is always alive). Checkers start up, or down under alpha.
//! - An alive real server is in its virtual server with its weight; with misc_dynamic each
//!   checker that reported a weight `w` adds `w - weight` to it (so one dynamic checker sets the
//!   weight to `w`), and each FILE_CHECK adds its value times its weight; the sum is kept
//!   within 0..=i32::MAX (IPVS weights are signed 32-bit). A dead one is removed, or kept with weight 0 under inhibit_on_failure.
//! - Quorum: the sum of the weights of the alive real servers. Quorum is gained when the sum is
//!   non-zero and reaches `quorum + hysteresis`, lost when it is zero or falls below
//!   `quorum - hysteresis`. `quorum` is lowered to the total configured weight when it is
//!   higher, as keepalived does.
//! - While quorum is lost and there is a sorry server, the sorry server (weight 1) replaces every
//!   real server (the inhibit_on_failure ones stay with weight 0); when quorum comes back, the
//!   sorry server is removed, or kept with weight 0 under sorry_server_inhibit.
//! - Notifications: a real server going down gives `RealServerDown`, then `QuorumDown` if that
//!   lost the quorum; coming up gives `RealServerUp`, then `QuorumUp` if that gained it. At
//!   start nothing is notified; a real server that starts down (alpha) is told down
//!   (`RealServerStartsDown`) at its first failed check, as keepalived 2.2.7 does. At shutdown, virtual servers with omega notify `RealServerDown`
//!   for each alive real server and then `QuorumDown` if the quorum was up.
//! - A reload ([`Pool::reconfigure`]) keeps what it can: virtual servers are matched by key,
//!   real servers by address and port, checkers by id, and a kept checker keeps its up/down
//!   state and dynamic weight, so a real server that is down stays out and one that is up
//!   never blinks. New real servers start as at start (up unless alpha), without notification;
//!   a kept real server or virtual server whose state the reload changes (a down checker
//!   removed, a quorum changed) is notified as any other change.

use crate::engine::{CheckEvent, CheckerId, DynamicWeight, EventKind};
use std::collections::HashMap;
use std::net::IpAddr;

/// One checker of a real server: its id (the events it sends carry it) and whether it starts
/// down (alpha).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CheckerConfig {
    pub id: CheckerId,
    pub alpha: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RealServerConfig {
    pub address: IpAddr,
    pub port: u16,
    pub weight: u32,
    pub inhibit_on_failure: bool,
    pub checkers: Vec<CheckerConfig>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SorryServerConfig {
    pub address: IpAddr,
    pub port: u16,
    /// sorry_server_inhibit: kept with weight 0 while not in use.
    pub inhibit: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VirtualServerConfig {
    /// Which virtual server, across reloads (the daemon's name for it).
    pub key: String,
    pub quorum: u32,
    pub hysteresis: u32,
    pub omega: bool,
    pub sorry_server: Option<SorryServerConfig>,
    pub real_servers: Vec<RealServerConfig>,
}

/// One destination the virtual server should have.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DesiredDest {
    pub address: IpAddr,
    pub port: u16,
    pub weight: u32,
    /// The sorry server (else the real server of index `rs`).
    pub sorry: bool,
    /// The real server's index (meaningless for the sorry server).
    pub rs: usize,
}

/// A notification for the daemon to run (notify_up, notify_down, quorum_up, quorum_down), in
/// the order given.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Notify {
    RealServerUp {
        vs: usize,
        rs: usize,
    },
    RealServerDown {
        vs: usize,
        rs: usize,
    },
    /// The first check of a real server that starts down (alpha) failed: it was down all
    /// along, and keepalived 2.2.7 tells it now (its notify_down, `RS ... DOWN`; measured).
    RealServerStartsDown {
        vs: usize,
        rs: usize,
    },
    QuorumUp {
        vs: usize,
    },
    QuorumDown {
        vs: usize,
    },
}

/// One checker of a real server as the pool holds it.
#[derive(Clone, Copy, Debug)]
struct CheckerState {
    id: CheckerId,
    up: bool,
    /// The weight it asked for (misc_dynamic, FILE_CHECK), if any.
    dynamic: Option<DynamicWeight>,
}

/// One real server: its configuration and its checkers' state, in one allocation (10,000 real
/// servers are held for the run: a configuration copy and two vectors each were 190 bytes a
/// real server).
#[derive(Debug)]
struct RsState {
    address: IpAddr,
    port: u16,
    weight: u32,
    inhibit_on_failure: bool,
    alive: bool,
    /// By checker, in configuration order.
    checkers: Box<[CheckerState]>,
    /// Whether its state has been told: it started up, or a change (or, starting down, its
    /// first failed check) was notified.
    told: bool,
}

impl RsState {
    fn all_up(&self) -> bool {
        self.checkers.iter().all(|c| c.up)
    }

    fn weight(&self) -> u32 {
        let base = i64::from(self.weight);
        let delta: i64 = self
            .checkers
            .iter()
            .filter_map(|c| c.dynamic)
            .map(|d| match d {
                DynamicWeight::Set(w) => i64::from(w) - base,
                DynamicWeight::Add(d) => d,
            })
            .fold(0i64, i64::saturating_add);
        u32::try_from(base.saturating_add(delta).clamp(0, i64::from(i32::MAX))).unwrap_or(0)
    }
}

#[derive(Debug)]
struct VsState {
    /// Its configuration, without the real servers (each held in `rs`).
    cfg: VirtualServerConfig,
    rs: Vec<RsState>,
    quorum_up: bool,
}

impl VsState {
    fn alive_weight(&self) -> u64 {
        self.rs
            .iter()
            .filter(|r| r.alive)
            .map(|r| u64::from(r.weight()))
            .sum()
    }

    fn quorum(&self) -> u64 {
        let total: u64 = self.rs.iter().map(|r| u64::from(r.weight)).sum();
        u64::from(self.cfg.quorum).min(total)
    }

    /// Re-evaluates the quorum; returns the notification if it changed.
    fn update_quorum(&mut self, vs: usize) -> Option<Notify> {
        let sum = self.alive_weight();
        let quorum = self.quorum();
        let hysteresis = u64::from(self.cfg.hysteresis);
        if !self.quorum_up && sum > 0 && sum >= quorum + hysteresis {
            self.quorum_up = true;
            Some(Notify::QuorumUp { vs })
        } else if self.quorum_up && (sum == 0 || sum < quorum.saturating_sub(hysteresis)) {
            self.quorum_up = false;
            Some(Notify::QuorumDown { vs })
        } else {
            None
        }
    }

    fn desired(&self) -> Vec<DesiredDest> {
        let sorry_in_use = !self.quorum_up && self.cfg.sorry_server.is_some();
        let mut out = Vec::new();
        for (i, r) in self.rs.iter().enumerate() {
            let weight = if r.alive && !sorry_in_use {
                r.weight()
            } else if r.inhibit_on_failure {
                0
            } else {
                continue;
            };
            out.push(DesiredDest {
                address: r.address,
                port: r.port,
                weight,
                sorry: false,
                rs: i,
            });
        }
        if let Some(s) = &self.cfg.sorry_server {
            if sorry_in_use || s.inhibit {
                let weight = u32::from(sorry_in_use);
                out.push(DesiredDest {
                    address: s.address,
                    port: s.port,
                    weight,
                    sorry: true,
                    rs: 0,
                });
            }
        }
        out
    }
}

/// The health state of every virtual server.
#[derive(Debug)]
pub struct Pool {
    vs: Vec<VsState>,
    /// Where each checker is, sorted by id: (id, virtual server, real server, checker).
    index: Vec<(CheckerId, Position)>,
    shut_down: bool,
}

impl RsState {
    /// A real server as at start: each checker up unless alpha.
    fn new(cfg: RealServerConfig) -> RsState {
        let checkers: Box<[CheckerState]> = cfg
            .checkers
            .iter()
            .map(|c| CheckerState {
                id: c.id,
                up: !c.alpha,
                dynamic: None,
            })
            .collect();
        let alive = checkers.iter().all(|c| c.up);
        RsState {
            address: cfg.address,
            port: cfg.port,
            weight: cfg.weight,
            inhibit_on_failure: cfg.inhibit_on_failure,
            alive,
            told: alive,
            checkers,
        }
    }
}

/// A checker's place in the pool: virtual server, real server and checker indexes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Position {
    vs: u32,
    rs: u32,
    check: u32,
}

impl Position {
    fn get(self) -> (usize, usize, usize) {
        (self.vs as usize, self.rs as usize, self.check as usize)
    }
}

impl VsState {
    fn new(mut cfg: VirtualServerConfig) -> VsState {
        let rs = std::mem::take(&mut cfg.real_servers)
            .into_iter()
            .map(RsState::new)
            .collect();
        let mut v = VsState {
            cfg,
            rs,
            quorum_up: false,
        };
        let sum = v.alive_weight();
        v.quorum_up = sum > 0 && sum >= v.quorum();
        v
    }
}

impl Pool {
    pub fn new(config: Vec<VirtualServerConfig>) -> Pool {
        let mut pool = Pool {
            vs: config.into_iter().map(VsState::new).collect(),
            index: Vec::new(),
            shut_down: false,
        };
        pool.reindex();
        pool
    }

    fn reindex(&mut self) {
        self.index.clear();
        let n = self
            .vs
            .iter()
            .flat_map(|v| &v.rs)
            .map(|r| r.checkers.len())
            .sum();
        self.index.reserve_exact(n);
        let index = |i: usize| u32::try_from(i).expect("fewer than 2^32 of each");
        for (v, vs) in self.vs.iter().enumerate() {
            for (r, rs) in vs.rs.iter().enumerate() {
                for (c, ch) in rs.checkers.iter().enumerate() {
                    let at = Position {
                        vs: index(v),
                        rs: index(r),
                        check: index(c),
                    };
                    self.index.push((ch.id, at));
                }
            }
        }
        // Ids are given in order at start: usually sorted already.
        self.index.sort_unstable_by_key(|&(id, _)| id);
    }

    fn position(&self, id: CheckerId) -> Option<(usize, usize, usize)> {
        let i = self.index.binary_search_by_key(&id, |&(id, _)| id).ok()?;
        Some(self.index[i].1.get())
    }

    /// A reload: the new configuration, keeping the state of what it keeps (see the module's
    /// documentation). Returns the notifications of the changes the reload itself causes, by
    /// the new configuration's indexes.
    pub fn reconfigure(&mut self, config: Vec<VirtualServerConfig>) -> Vec<Notify> {
        let mut old: HashMap<String, VsState> = std::mem::take(&mut self.vs)
            .into_iter()
            .map(|v| (v.cfg.key.clone(), v))
            .collect();
        let mut out = Vec::new();
        for (vi, mut cfg) in config.into_iter().enumerate() {
            let Some(mut before) = old.remove(&cfg.key) else {
                self.vs.push(VsState::new(cfg));
                continue;
            };
            let rs = std::mem::take(&mut cfg.real_servers)
                .into_iter()
                .enumerate()
                .map(|(ri, rc)| {
                    let same = before
                        .rs
                        .iter()
                        .position(|r| r.address == rc.address && r.port == rc.port);
                    match same.map(|i| before.rs.swap_remove(i)) {
                        None => RsState::new(rc),
                        Some(prev) => {
                            let mut r = RsState::new(rc);
                            for c in r.checkers.iter_mut() {
                                if let Some(p) = prev.checkers.iter().find(|o| o.id == c.id) {
                                    c.up = p.up;
                                    c.dynamic = p.dynamic;
                                }
                            }
                            r.alive = prev.alive;
                            r.told = prev.told;
                            let now_alive = r.all_up();
                            if now_alive != r.alive && !self.shut_down {
                                r.alive = now_alive;
                                r.told = true;
                                out.push(if now_alive {
                                    Notify::RealServerUp { vs: vi, rs: ri }
                                } else {
                                    Notify::RealServerDown { vs: vi, rs: ri }
                                });
                            }
                            r
                        }
                    }
                })
                .collect();
            let mut v = VsState {
                cfg,
                rs,
                quorum_up: before.quorum_up,
            };
            if !self.shut_down {
                out.extend(v.update_quorum(vi));
            }
            self.vs.push(v);
        }
        self.reindex();
        out
    }

    /// Applies one check event; returns the notifications it causes, in order. An event for a
    /// checker the pool does not know is an error and changes nothing.
    pub fn apply(&mut self, ev: &CheckEvent) -> Result<Vec<Notify>, String> {
        let id = ev.id;
        let (vi, ri, check) = self
            .position(id)
            .ok_or_else(|| format!("{id} is not in the pool (stopped by a reload?)"))?;
        let shut_down = self.shut_down;
        let vs = &mut self.vs[vi];
        let rs = &mut vs.rs[ri];
        if shut_down {
            return Ok(Vec::new());
        }
        let c = &mut rs.checkers[check];
        let before = (c.up, c.dynamic);
        match ev.kind {
            EventKind::Up { weight } => {
                c.up = true;
                if weight.is_some() {
                    c.dynamic = weight;
                }
            }
            EventKind::Weight(w) => c.dynamic = Some(w),
            EventKind::Down => c.up = false,
            EventKind::Failure => return Ok(Vec::new()),
        }
        let after = (c.up, c.dynamic);
        if matches!(ev.kind, EventKind::Down) && !rs.alive && !rs.told {
            rs.told = true;
            return Ok(vec![Notify::RealServerStartsDown { vs: vi, rs: ri }]);
        }
        if after == before {
            // Nothing changed (the first success of a checker that starts up: 10,000 of them
            // at the start of 10,000 real servers): neither its real server nor the quorum
            // can have, and the quorum's sums cost O(real servers).
            return Ok(Vec::new());
        }
        let mut out = Vec::new();
        let now_alive = rs.all_up();
        if now_alive != rs.alive {
            rs.alive = now_alive;
            rs.told = true;
            out.push(if now_alive {
                Notify::RealServerUp { vs: vi, rs: ri }
            } else {
                Notify::RealServerDown { vs: vi, rs: ri }
            });
        }
        out.extend(vs.update_quorum(vi));
        Ok(out)
    }

    /// The destinations each virtual server should have, by virtual server index (empty after
    /// [`Pool::shutdown`]).
    pub fn desired(&self) -> Vec<Vec<DesiredDest>> {
        self.vs
            .iter()
            .map(|v| {
                if self.shut_down {
                    Vec::new()
                } else {
                    v.desired()
                }
            })
            .collect()
    }

    /// The destinations one virtual server should have (as [`Pool::desired`]'s entry for it,
    /// without computing the others'); `None` for an index the pool does not have.
    pub fn desired_of(&self, vs: usize) -> Option<Vec<DesiredDest>> {
        let v = self.vs.get(vs)?;
        Some(if self.shut_down {
            Vec::new()
        } else {
            v.desired()
        })
    }

    /// Where a checker is: (virtual server, real server, checker) indexes.
    pub fn locate(&self, id: CheckerId) -> Option<(usize, usize, usize)> {
        self.position(id)
    }

    /// The id of checker `check` of real server `rs` of virtual server `vs`.
    pub fn checker_id(&self, vs: usize, rs: usize, check: usize) -> Option<CheckerId> {
        Some(self.vs.get(vs)?.rs.get(rs)?.checkers.get(check)?.id)
    }

    /// Every checker's id, in increasing order.
    pub fn checker_ids(&self) -> impl ExactSizeIterator<Item = CheckerId> + '_ {
        self.index.iter().map(|&(id, _)| id)
    }

    /// Every checker's id by position (`ids[vs][rs][check]`), as the configuration gave them.
    pub fn ids(&self) -> Vec<Vec<Vec<CheckerId>>> {
        self.vs
            .iter()
            .map(|v| {
                v.rs.iter()
                    .map(|r| r.checkers.iter().map(|c| c.id).collect())
                    .collect()
            })
            .collect()
    }

    /// Whether a checker is up, by its id.
    pub fn checker_up(&self, id: CheckerId) -> Option<bool> {
        let (v, r, c) = self.position(id)?;
        Some(self.vs[v].rs[r].checkers[c].up)
    }

    /// A checker's state as the pool holds it: up, and its dynamic weight. An event that leaves
    /// it as it was ([`Pool::apply`]) changes nothing else: a caller may skip recomputing its
    /// virtual server's destinations.
    pub fn checker_state(&self, id: CheckerId) -> Option<(bool, Option<DynamicWeight>)> {
        let (v, r, c) = self.position(id)?;
        let c = &self.vs[v].rs[r].checkers[c];
        Some((c.up, c.dynamic))
    }

    /// What a virtual server's desired destinations depend on that one event can change: its
    /// real server `rs`'s weight while alive (None: dead), and whether the virtual server has
    /// its quorum (the sorry server). An event that leaves this as it was leaves the virtual
    /// server's destinations as they were ([`Pool::desired_of`]): the caller need not
    /// recompute them to know (10,000 destinations for a change of one checker of a real
    /// server that is down anyway).
    pub fn desired_inputs(&self, vs: usize, rs: usize) -> Option<(Option<u32>, bool)> {
        let v = self.vs.get(vs)?;
        let r = v.rs.get(rs)?;
        Some((r.alive.then(|| r.weight()), v.quorum_up))
    }

    pub fn is_alive(&self, vs: usize, rs: usize) -> Option<bool> {
        self.vs.get(vs)?.rs.get(rs).map(|r| r.alive)
    }

    /// A virtual server's quorum figures, as keepalived logs them: the weight of its alive
    /// real servers, its quorum (lowered to the total configured weight), its hysteresis.
    pub fn quorum_figures(&self, vs: usize) -> Option<(u64, u64, u64)> {
        let v = self.vs.get(vs)?;
        Some((v.alive_weight(), v.quorum(), u64::from(v.cfg.hysteresis)))
    }

    pub fn quorum_up(&self, vs: usize) -> Option<bool> {
        self.vs.get(vs).map(|v| v.quorum_up)
    }

    /// The notifications omega asks for at shutdown; afterwards the pool ignores events and
    /// desires nothing.
    pub fn shutdown(&mut self) -> Vec<Notify> {
        if self.shut_down {
            return Vec::new();
        }
        self.shut_down = true;
        let mut out = Vec::new();
        for (i, v) in self.vs.iter().enumerate().filter(|(_, v)| v.cfg.omega) {
            for (j, _) in v.rs.iter().enumerate().filter(|(_, r)| r.alive) {
                out.push(Notify::RealServerDown { vs: i, rs: j });
            }
            if v.quorum_up {
                out.push(Notify::QuorumDown { vs: i });
            }
        }
        out
    }
}
