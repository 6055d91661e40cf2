//! The checkers' ids, kept across reloads for what a reload does not change.
//!
//! A checker is identified across reloads by its virtual server's key, its real server's address
//! and port, and its position among that real server's checkers, and compared by its settings
//! (its fingerprint; an SSL_GET's also by the `SSL { }` block). A checker whose key and
//! settings are unchanged keeps its id and keeps running in the check engine, so its up/down
//! state survives in the pool; any other is stopped and a new one started under a new id.
//! [`Registry::assign`] decides that without starting anything (tested alone); the loop then
//! starts and stops those checkers in the engine by id.
//!
//! Nothing per checker is kept between reloads: the running plan and its ids (which the LVS
//! loop holds anyway) are all a reload compares with, and the keys and fingerprints live only
//! while it does (kept for the run, they were about 670 bytes a checker: docs/benchmarks.md).

use std::collections::HashMap;

use checkers::CheckerId;
use ipvs::DestKey;

use crate::lvs::{LvsPlan, PlannedChecker, VsKey};

/// Which checker, across reloads. A virtual server written twice, or a real server twice in
/// one, is told apart by its occurrence (0 for the first).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CheckerKey<'a> {
    pub vs: (&'a VsKey, usize),
    pub rs: (DestKey, usize),
    pub ordinal: usize,
}

/// How many times `key` was seen before (and count this one).
fn occurrence<K: std::hash::Hash + Eq>(seen: &mut HashMap<K, usize>, key: K) -> usize {
    let n = seen.entry(key).or_insert(0);
    *n += 1;
    *n - 1
}

/// Where a checker is in a plan: virtual server, real server, checker indexes.
pub type Position = (usize, usize, usize);

/// What a plan needs: the id of every checker (`ids[vs][rs][check]`), the new ones to start
/// with their position, and the running ones to stop.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Assignment {
    pub ids: Vec<Vec<Vec<CheckerId>>>,
    pub start: Vec<(CheckerId, Position)>,
    pub stop: Vec<CheckerId>,
}

/// Every checker of `plan` with its key, in plan order.
fn keyed(plan: &LvsPlan) -> impl Iterator<Item = (CheckerKey<'_>, Position, &PlannedChecker)> {
    let mut vs_seen: HashMap<&VsKey, usize> = HashMap::new();
    plan.virtual_servers
        .iter()
        .enumerate()
        .flat_map(move |(vi, v)| {
            let vs_nth = occurrence(&mut vs_seen, &v.key);
            let mut rs_seen: HashMap<DestKey, usize> = HashMap::new();
            v.real_servers.iter().enumerate().flat_map(move |(ri, r)| {
                let rs_nth = occurrence(&mut rs_seen, r.key());
                r.checkers.iter().enumerate().map(move |(ci, c)| {
                    let key = CheckerKey {
                        vs: (&v.key, vs_nth),
                        rs: (r.key(), rs_nth),
                        ordinal: ci,
                    };
                    (key, (vi, ri, ci), c)
                })
            })
        })
}

/// Gives the checkers their ids: new ones a number never given before.
#[derive(Default)]
pub struct Registry {
    next: u64,
}

impl Registry {
    /// The checkers `plan` runs, `running` running with `running_ids` (`ids[vs][rs][check]`;
    /// an empty plan at start): a running one with the same key and settings keeps its id (and
    /// keeps running); the others get new ids and are to be started; running ones the plan
    /// does not keep are to be stopped. `tls_changed`: the `SSL { }` block changed, so every
    /// SSL_GET is new. The caller starts and stops the checkers the assignment names.
    pub fn assign(
        &mut self,
        running: &LvsPlan,
        running_ids: &[Vec<Vec<CheckerId>>],
        plan: &LvsPlan,
        tls_changed: bool,
    ) -> Assignment {
        let id_at = |(vi, ri, ci): Position| -> Option<CheckerId> {
            running_ids.get(vi)?.get(ri)?.get(ci).copied()
        };
        let mut old: HashMap<CheckerKey<'_>, (CheckerId, &PlannedChecker)> = keyed(running)
            .filter_map(|(key, at, c)| Some((key, (id_at(at)?, c))))
            .collect();
        let mut out = Assignment {
            ids: plan
                .virtual_servers
                .iter()
                .map(|v| {
                    v.real_servers
                        .iter()
                        .map(|r| Vec::with_capacity(r.checkers.len()))
                        .collect()
                })
                .collect(),
            ..Assignment::default()
        };
        for (key, (vi, ri, ci), c) in keyed(plan) {
            let kept = match old.remove(&key) {
                Some((id, was)) if !(c.needs_tls() && tls_changed) && same_settings(was, c) => {
                    Some(id)
                }
                Some((id, _)) => {
                    out.stop.push(id);
                    None
                }
                None => None,
            };
            let id = kept.unwrap_or_else(|| {
                self.next += 1;
                let id = CheckerId(self.next);
                out.start.push((id, (vi, ri, ci)));
                id
            });
            out.ids[vi][ri].push(id);
        }
        out.stop.extend(old.into_values().map(|(id, _)| id));
        out.stop.sort_unstable();
        out
    }
}

/// The two check the same way (their fingerprints match).
fn same_settings(a: &PlannedChecker, b: &PlannedChecker) -> bool {
    a.fingerprint() == b.fingerprint()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> LvsPlan {
        let p = conf_parser::parse_str("t.conf", text, &conf_parser::Options::default());
        assert!(p.is_ok(), "{}", p.render_diagnostics());
        crate::lvs::plan(&p.config, false).unwrap()
    }

    /// The registry with the plan it last assigned and its ids, as the LVS loop keeps them.
    struct Running {
        registry: Registry,
        plan: LvsPlan,
        ids: Vec<Vec<Vec<CheckerId>>>,
    }

    impl Running {
        fn new() -> Running {
            Running {
                registry: Registry::default(),
                plan: LvsPlan::empty(),
                ids: Vec::new(),
            }
        }

        fn assign(&mut self, plan: LvsPlan, tls_changed: bool) -> Assignment {
            let a = self
                .registry
                .assign(&self.plan, &self.ids, &plan, tls_changed);
            self.plan = plan;
            self.ids = a.ids.clone();
            a
        }
    }

    fn conf(rs2_timeout: u32, extra_rs: bool) -> String {
        format!(
            "virtual_server 192.0.2.1 80 {{\n protocol TCP\n\
             real_server 10.0.0.1 80 {{\n  TCP_CHECK {{\n  }}\n  MISC_CHECK {{\n   misc_path /bin/true\n  }}\n }}\n\
             real_server 10.0.0.2 80 {{\n  TCP_CHECK {{\n   connect_timeout {rs2_timeout}\n  }}\n }}\n{}}}\n",
            if extra_rs {
                " real_server 10.0.0.3 80 {\n  TCP_CHECK {\n  }\n }\n"
            } else {
                ""
            }
        )
    }

    #[test]
    fn an_unchanged_plan_keeps_every_checker() {
        let mut r = Running::new();
        let first = r.assign(parse(&conf(3, false)), false);
        assert_eq!(first.start.len(), 3);
        assert!(first.stop.is_empty());
        let again = r.assign(parse(&conf(3, false)), false);
        assert_eq!(again.ids, first.ids);
        assert!(again.start.is_empty() && again.stop.is_empty(), "{again:?}");
    }

    #[test]
    fn a_changed_checker_is_replaced_and_the_others_kept() {
        let mut r = Running::new();
        let first = r.assign(parse(&conf(3, false)), false);
        let next = r.assign(parse(&conf(4, true)), false);
        // Real server 1's two checkers kept; real server 2's changed; real server 3's new.
        assert_eq!(next.ids[0][0], first.ids[0][0]);
        assert_ne!(next.ids[0][1], first.ids[0][1]);
        assert_eq!(next.stop, vec![first.ids[0][1][0]]);
        let started: Vec<Position> = next.start.iter().map(|&(_, p)| p).collect();
        assert_eq!(started, vec![(0, 1, 0), (0, 2, 0)]);
        // Back to the first: real server 3's checker stops, real server 2's is new again.
        let back = r.assign(parse(&conf(3, false)), false);
        let mut stopped = vec![next.ids[0][1][0], next.ids[0][2][0]];
        stopped.sort_unstable();
        assert_eq!(back.stop, stopped);
        assert_eq!(back.start.len(), 1);
    }

    #[test]
    fn real_servers_are_matched_by_address_not_position() {
        let mut r = Running::new();
        let a = parse(&conf(3, false));
        let first = r.assign(a.clone(), false);
        let mut b = a;
        b.virtual_servers[0].real_servers.reverse();
        let next = r.assign(b, false);
        assert_eq!(next.ids[0][0], first.ids[0][1]);
        assert_eq!(next.ids[0][1], first.ids[0][0]);
        assert!(next.start.is_empty() && next.stop.is_empty());
    }

    /// A virtual server written twice, and a real server twice in one (the parser reports
    /// both, a configuration run anyway keeps them): each occurrence keeps its own checker.
    #[test]
    fn repeated_servers_are_told_apart_by_occurrence() {
        let twice = || {
            let mut p = parse(&conf(7, false));
            let v = &mut p.virtual_servers[0];
            v.real_servers[1].dest = v.real_servers[0].dest;
            let again = v.clone();
            p.virtual_servers.push(again);
            p
        };
        let mut r = Running::new();
        let first = r.assign(twice(), false);
        assert_eq!(first.start.len(), 6);
        let again = r.assign(twice(), false);
        assert_eq!(again.ids, first.ids);
        assert!(again.start.is_empty() && again.stop.is_empty(), "{again:?}");
        // The second virtual server gone: its three checkers stop, the first's run on.
        let mut one = twice();
        one.virtual_servers.pop();
        let one = r.assign(one, false);
        assert_eq!(one.ids[..], first.ids[..1]);
        let mut stopped: Vec<CheckerId> = first.ids[1].iter().flatten().copied().collect();
        stopped.sort_unstable();
        assert_eq!(one.stop, stopped);
    }

    /// A changed `SSL { }` block replaces every SSL_GET, and only them.
    #[test]
    fn a_changed_ssl_block_replaces_the_ssl_checkers() {
        let text = "virtual_server 192.0.2.1 443 {\n protocol TCP\n\
                    real_server 10.0.0.1 443 {\n  SSL_GET {\n   url {\n    path /\n    status_code 200\n   }\n  }\n  TCP_CHECK {\n  }\n }\n}\n";
        let mut r = Running::new();
        let first = r.assign(parse(text), false);
        let same = r.assign(parse(text), false);
        assert!(same.start.is_empty() && same.stop.is_empty(), "{same:?}");
        let changed = r.assign(parse(text), true);
        assert_eq!(changed.stop, vec![first.ids[0][0][0]]);
        assert_eq!(changed.ids[0][0][1], first.ids[0][0][1]);
        assert_eq!(changed.start.len(), 1);
    }
}
