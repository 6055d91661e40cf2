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
//!   start nothing is notified. At shutdown, virtual servers with omega notify `RealServerDown`
//!   for each alive real server and then `QuorumDown` if the quorum was up.

use crate::engine::{CheckEvent, DynamicWeight, EventKind};
use std::net::IpAddr;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RealServerConfig {
    pub address: IpAddr,
    pub port: u16,
    pub weight: u32,
    pub inhibit_on_failure: bool,
    /// One entry per checker (by checker index): whether it starts down (alpha).
    pub checker_alpha: Vec<bool>,
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
    RealServerUp { vs: usize, rs: usize },
    RealServerDown { vs: usize, rs: usize },
    QuorumUp { vs: usize },
    QuorumDown { vs: usize },
}

#[derive(Debug)]
struct RsState {
    cfg: RealServerConfig,
    checker_up: Vec<bool>,
    /// The weight each checker asked for (misc_dynamic, FILE_CHECK), if any.
    dynamic: Vec<Option<DynamicWeight>>,
    alive: bool,
}

impl RsState {
    fn all_up(&self) -> bool {
        self.checker_up.iter().all(|&u| u)
    }

    fn weight(&self) -> u32 {
        let base = i64::from(self.cfg.weight);
        let delta: i64 = self
            .dynamic
            .iter()
            .flatten()
            .map(|d| match *d {
                DynamicWeight::Set(w) => i64::from(w) - base,
                DynamicWeight::Add(d) => d,
            })
            .fold(0i64, i64::saturating_add);
        u32::try_from(base.saturating_add(delta).clamp(0, i64::from(i32::MAX))).unwrap_or(0)
    }
}

#[derive(Debug)]
struct VsState {
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
        let total: u64 = self.rs.iter().map(|r| u64::from(r.cfg.weight)).sum();
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
            } else if r.cfg.inhibit_on_failure {
                0
            } else {
                continue;
            };
            out.push(DesiredDest {
                address: r.cfg.address,
                port: r.cfg.port,
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
    shut_down: bool,
}

impl Pool {
    pub fn new(config: Vec<VirtualServerConfig>) -> Pool {
        let vs = config
            .into_iter()
            .map(|cfg| {
                let rs: Vec<RsState> = cfg
                    .real_servers
                    .iter()
                    .map(|r| {
                        let checker_up: Vec<bool> =
                            r.checker_alpha.iter().map(|&alpha| !alpha).collect();
                        let alive = checker_up.iter().all(|&u| u);
                        RsState {
                            dynamic: vec![None; checker_up.len()],
                            checker_up,
                            alive,
                            cfg: r.clone(),
                        }
                    })
                    .collect();
                let mut v = VsState {
                    cfg,
                    rs,
                    quorum_up: false,
                };
                let sum = v.alive_weight();
                v.quorum_up = sum > 0 && sum >= v.quorum();
                v
            })
            .collect();
        Pool {
            vs,
            shut_down: false,
        }
    }

    /// Applies one check event; returns the notifications it causes, in order. An event for a
    /// checker the pool does not know is an error and changes nothing.
    pub fn apply(&mut self, ev: &CheckEvent) -> Result<Vec<Notify>, String> {
        let id = ev.id;
        let shut_down = self.shut_down;
        let vs = self
            .vs
            .get_mut(id.vs)
            .ok_or_else(|| format!("{id}: no virtual server {}", id.vs))?;
        let rs = vs
            .rs
            .get_mut(id.rs)
            .ok_or_else(|| format!("{id}: no real server {}", id.rs))?;
        if id.check >= rs.checker_up.len() {
            return Err(format!("{id}: no checker {}", id.check));
        }
        if shut_down {
            return Ok(Vec::new());
        }
        match ev.kind {
            EventKind::Up { weight } => {
                rs.checker_up[id.check] = true;
                if weight.is_some() {
                    rs.dynamic[id.check] = weight;
                }
            }
            EventKind::Weight(w) => rs.dynamic[id.check] = Some(w),
            EventKind::Down => rs.checker_up[id.check] = false,
            EventKind::Failure => return Ok(Vec::new()),
        }
        let mut out = Vec::new();
        let now_alive = rs.all_up();
        if now_alive != rs.alive {
            rs.alive = now_alive;
            out.push(if now_alive {
                Notify::RealServerUp {
                    vs: id.vs,
                    rs: id.rs,
                }
            } else {
                Notify::RealServerDown {
                    vs: id.vs,
                    rs: id.rs,
                }
            });
        }
        out.extend(vs.update_quorum(id.vs));
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

    pub fn is_alive(&self, vs: usize, rs: usize) -> Option<bool> {
        self.vs.get(vs)?.rs.get(rs).map(|r| r.alive)
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
