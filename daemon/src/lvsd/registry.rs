//! The running checkers, keyed so that a reload keeps what it does not change.
//!
//! A checker is identified across reloads by its virtual server's key, its real server's address
//! and port, and its position among that real server's checkers, and compared by its settings
//! (its fingerprint; an SSL_GET's also by the `SSL { }` block). A checker whose key and
//! settings are unchanged keeps its id and keeps running in the check engine, so its up/down
//! state survives in the pool; any other is stopped and a new one started under a new id.
//! [`Registry::assign`] decides that without starting anything (tested alone); the loop then
//! starts and stops those checkers in the engine by id.

use std::collections::HashMap;

use checkers::CheckerId;
use ipvs::DestKey;

use crate::lvs::{LvsPlan, VsKey};

/// Which checker, across reloads. A virtual server written twice, or a real server twice in
/// one, is told apart by its occurrence (0 for the first).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CheckerKey {
    pub vs: (VsKey, usize),
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

struct Entry {
    id: CheckerId,
    fingerprint: String,
}

#[derive(Default)]
pub struct Registry {
    next: u64,
    running: HashMap<CheckerKey, Entry>,
}

impl Registry {
    /// The checkers `plan` runs: a running one with the same key and settings keeps its id
    /// (and keeps running); the others get new ids and are to be started; running ones the
    /// plan does not keep are to be stopped. `tls_changed`: the `SSL { }` block changed, so
    /// every SSL_GET is new. Records the plan as running: the caller starts and stops the
    /// checkers the assignment names.
    pub fn assign(&mut self, plan: &LvsPlan, tls_changed: bool) -> Assignment {
        let mut old = std::mem::take(&mut self.running);
        let mut out = Assignment::default();
        let mut vs_seen: HashMap<&VsKey, usize> = HashMap::new();
        for (vi, v) in plan.virtual_servers.iter().enumerate() {
            let vs_nth = occurrence(&mut vs_seen, &v.key);
            let mut rs_seen: HashMap<DestKey, usize> = HashMap::new();
            let mut vs_ids = Vec::with_capacity(v.real_servers.len());
            for (ri, r) in v.real_servers.iter().enumerate() {
                let rs_nth = occurrence(&mut rs_seen, r.key());
                let mut rs_ids = Vec::with_capacity(r.checkers.len());
                for (ci, c) in r.checkers.iter().enumerate() {
                    let key = CheckerKey {
                        vs: (v.key.clone(), vs_nth),
                        rs: (r.key(), rs_nth),
                        ordinal: ci,
                    };
                    let fingerprint = c.fingerprint();
                    let tls = c.needs_tls();
                    let entry = match old.remove(&key) {
                        Some(e) if e.fingerprint == fingerprint && !(tls && tls_changed) => e,
                        other => {
                            if let Some(e) = other {
                                out.stop.push(e.id);
                            }
                            self.next += 1;
                            let id = CheckerId(self.next);
                            out.start.push((id, (vi, ri, ci)));
                            Entry { id, fingerprint }
                        }
                    };
                    rs_ids.push(entry.id);
                    self.running.insert(key, entry);
                }
                vs_ids.push(rs_ids);
            }
            out.ids.push(vs_ids);
        }
        out.stop.extend(old.into_values().map(|e| e.id));
        out.stop.sort_unstable();
        out
    }

    /// How many checkers run.
    pub fn len(&self) -> usize {
        self.running.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> LvsPlan {
        let p = conf_parser::parse_str("t.conf", text, &conf_parser::Options::default());
        assert!(p.is_ok(), "{}", p.render_diagnostics());
        crate::lvs::plan(&p.config, false).unwrap()
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
        let mut r = Registry::default();
        let first = r.assign(&parse(&conf(3, false)), false);
        assert_eq!(first.start.len(), 3);
        assert!(first.stop.is_empty());
        let again = r.assign(&parse(&conf(3, false)), false);
        assert_eq!(again.ids, first.ids);
        assert!(again.start.is_empty() && again.stop.is_empty(), "{again:?}");
    }

    #[test]
    fn a_changed_checker_is_replaced_and_the_others_kept() {
        let mut r = Registry::default();
        let first = r.assign(&parse(&conf(3, false)), false);
        let next = r.assign(&parse(&conf(4, true)), false);
        // Real server 1's two checkers kept; real server 2's changed; real server 3's new.
        assert_eq!(next.ids[0][0], first.ids[0][0]);
        assert_ne!(next.ids[0][1], first.ids[0][1]);
        assert_eq!(next.stop, vec![first.ids[0][1][0]]);
        let started: Vec<Position> = next.start.iter().map(|&(_, p)| p).collect();
        assert_eq!(started, vec![(0, 1, 0), (0, 2, 0)]);
        // Back to the first: real server 3's checker stops, real server 2's is new again.
        let back = r.assign(&parse(&conf(3, false)), false);
        let mut stopped = vec![next.ids[0][1][0], next.ids[0][2][0]];
        stopped.sort_unstable();
        assert_eq!(back.stop, stopped);
        assert_eq!(back.start.len(), 1);
    }

    #[test]
    fn real_servers_are_matched_by_address_not_position() {
        let mut r = Registry::default();
        let a = parse(&conf(3, false));
        let first = r.assign(&a, false);
        let mut b = a.clone();
        b.virtual_servers[0].real_servers.reverse();
        let next = r.assign(&b, false);
        assert_eq!(next.ids[0][0], first.ids[0][1]);
        assert_eq!(next.ids[0][1], first.ids[0][0]);
        assert!(next.start.is_empty() && next.stop.is_empty());
    }
}
