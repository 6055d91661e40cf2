//! The effects of check results on virtual servers: unit tests for each rule, and a proptest
//! that checks the invariants over random event sequences.

use checkers::effects::{
    CheckerConfig, DesiredDest, Notify, Pool, RealServerConfig, SorryServerConfig,
    VirtualServerConfig,
};
use checkers::{CheckEvent, CheckerId, DynamicWeight, EventKind};
use proptest::prelude::*;
use std::net::{IpAddr, Ipv4Addr};

fn ip(n: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(10, 0, 0, n))
}

fn rs(n: u8, weight: u32, checkers: usize) -> RealServerConfig {
    RealServerConfig {
        address: ip(n),
        port: 80,
        weight,
        inhibit_on_failure: false,
        checkers: vec![
            CheckerConfig {
                id: CheckerId(0),
                alpha: false
            };
            checkers
        ],
    }
}

/// The id these tests give checker `check` of the real server at index `rs`.
fn id(rs: usize, check: usize) -> CheckerId {
    CheckerId((rs * 16 + check) as u64)
}

/// Gives each checker its id by position (see [`id`]).
fn numbered(mut real_servers: Vec<RealServerConfig>) -> Vec<RealServerConfig> {
    for (ri, r) in real_servers.iter_mut().enumerate() {
        for (c, ch) in r.checkers.iter_mut().enumerate() {
            ch.id = id(ri, c);
        }
    }
    real_servers
}

fn vs(real_servers: Vec<RealServerConfig>) -> VirtualServerConfig {
    VirtualServerConfig {
        key: "vs".into(),
        quorum: 1,
        hysteresis: 0,
        omega: false,
        sorry_server: None,
        real_servers: numbered(real_servers),
    }
}

fn ev(rs: usize, check: usize, kind: EventKind) -> CheckEvent {
    CheckEvent {
        id: id(rs, check),
        kind,
        reason: String::new(),
        first: false,
    }
}

fn up(rs: usize, check: usize) -> CheckEvent {
    ev(rs, check, EventKind::Up { weight: None })
}

fn down(rs: usize, check: usize) -> CheckEvent {
    ev(rs, check, EventKind::Down)
}

/// (address last byte, weight, sorry) of virtual server 0's desired destinations.
fn dests(p: &Pool) -> Vec<(u8, u32, bool)> {
    p.desired()[0]
        .iter()
        .map(|d: &DesiredDest| match d.address {
            IpAddr::V4(a) => (a.octets()[3], d.weight, d.sorry),
            IpAddr::V6(_) => unreachable!(),
        })
        .collect()
}

#[test]
fn a_server_is_alive_only_when_all_its_checkers_are_up() {
    let mut p = Pool::new(vec![vs(vec![rs(1, 1, 2), rs(2, 1, 1)])]);
    assert_eq!(dests(&p), vec![(1, 1, false), (2, 1, false)]);
    assert_eq!(
        p.apply(&down(0, 0)).unwrap(),
        vec![Notify::RealServerDown { vs: 0, rs: 0 }]
    );
    assert_eq!(dests(&p), vec![(2, 1, false)]);
    // The second checker going down too changes nothing more.
    assert_eq!(p.apply(&down(0, 1)).unwrap(), vec![]);
    // One checker back is not enough.
    assert_eq!(p.apply(&up(0, 0)).unwrap(), vec![]);
    assert_eq!(p.is_alive(0, 0), Some(false));
    assert_eq!(
        p.apply(&up(0, 1)).unwrap(),
        vec![Notify::RealServerUp { vs: 0, rs: 0 }]
    );
    assert_eq!(dests(&p), vec![(1, 1, false), (2, 1, false)]);
}

#[test]
fn inhibit_on_failure_keeps_a_dead_server_with_weight_zero() {
    let mut r = rs(1, 5, 1);
    r.inhibit_on_failure = true;
    let mut p = Pool::new(vec![vs(vec![r, rs(2, 1, 1)])]);
    assert_eq!(dests(&p), vec![(1, 5, false), (2, 1, false)]);
    p.apply(&down(0, 0)).unwrap();
    assert_eq!(dests(&p), vec![(1, 0, false), (2, 1, false)]);
    p.apply(&up(0, 0)).unwrap();
    assert_eq!(dests(&p), vec![(1, 5, false), (2, 1, false)]);
}

#[test]
fn alpha_starts_a_server_down_without_notifying() {
    let mut r = rs(1, 1, 2);
    r.checkers[0].alpha = true;
    let mut p = Pool::new(vec![vs(vec![r, rs(2, 1, 1)])]);
    assert_eq!(p.is_alive(0, 0), Some(false));
    assert_eq!(dests(&p), vec![(2, 1, false)]);
    assert_eq!(
        p.apply(&up(0, 0)).unwrap(),
        vec![Notify::RealServerUp { vs: 0, rs: 0 }]
    );
}

/// keepalived 2.2.7 tells a real server that starts down (alpha) down at its first failed
/// check (notify_down, `RS ... DOWN`; measured in the VM, vm_notify.rs), once.
#[test]
fn alpha_s_first_failed_check_is_told_once() {
    let mut r = rs(1, 1, 1);
    r.checkers[0].alpha = true;
    let mut p = Pool::new(vec![vs(vec![r, rs(2, 1, 1)])]);
    assert_eq!(
        p.apply(&down(0, 0)).unwrap(),
        vec![Notify::RealServerStartsDown { vs: 0, rs: 0 }]
    );
    assert_eq!(p.is_alive(0, 0), Some(false));
    assert_eq!(dests(&p), vec![(2, 1, false)]);
    assert_eq!(p.apply(&down(0, 0)).unwrap(), vec![]);
    // A real server that started up and went down is not told twice.
    assert_eq!(
        p.apply(&down(1, 0)).unwrap(),
        vec![
            Notify::RealServerDown { vs: 0, rs: 1 },
            Notify::QuorumDown { vs: 0 }
        ]
    );
    assert_eq!(p.apply(&down(1, 0)).unwrap(), vec![]);
}

#[test]
fn quorum_is_lost_and_gained_with_notifications_in_order() {
    let mut v = vs(vec![rs(1, 2, 1), rs(2, 2, 1), rs(3, 2, 1)]);
    v.quorum = 4;
    let mut p = Pool::new(vec![v]);
    assert_eq!(p.quorum_up(0), Some(true));
    assert_eq!(
        p.apply(&down(0, 0)).unwrap(),
        vec![Notify::RealServerDown { vs: 0, rs: 0 }]
    );
    assert_eq!(
        p.apply(&down(1, 0)).unwrap(),
        vec![
            Notify::RealServerDown { vs: 0, rs: 1 },
            Notify::QuorumDown { vs: 0 }
        ]
    );
    assert_eq!(p.quorum_up(0), Some(false));
    // Without a sorry server the remaining server stays.
    assert_eq!(dests(&p), vec![(3, 2, false)]);
    assert_eq!(
        p.apply(&up(1, 0)).unwrap(),
        vec![
            Notify::RealServerUp { vs: 0, rs: 1 },
            Notify::QuorumUp { vs: 0 }
        ]
    );
}

#[test]
fn hysteresis_dampens_quorum_changes() {
    // quorum 4, hysteresis 1: lost below 3, gained at 5.
    let mut v = vs(vec![
        rs(1, 1, 1),
        rs(2, 1, 1),
        rs(3, 1, 1),
        rs(4, 1, 1),
        rs(5, 1, 1),
    ]);
    v.quorum = 4;
    v.hysteresis = 1;
    let mut p = Pool::new(vec![v]);
    assert_eq!(p.quorum_up(0), Some(true));
    p.apply(&down(0, 0)).unwrap(); // 4
    p.apply(&down(1, 0)).unwrap(); // 3: still up (not below 3)
    assert_eq!(p.quorum_up(0), Some(true));
    assert!(p
        .apply(&down(2, 0))
        .unwrap()
        .contains(&Notify::QuorumDown { vs: 0 })); // 2
    p.apply(&up(2, 0)).unwrap(); // 3
    p.apply(&up(1, 0)).unwrap(); // 4: not yet 5
    assert_eq!(p.quorum_up(0), Some(false));
    assert!(p
        .apply(&up(0, 0))
        .unwrap()
        .contains(&Notify::QuorumUp { vs: 0 })); // 5
}

#[test]
fn quorum_above_the_total_weight_is_lowered_to_it() {
    let mut v = vs(vec![rs(1, 1, 1), rs(2, 1, 1)]);
    v.quorum = 10;
    let p = Pool::new(vec![v]);
    assert_eq!(p.quorum_up(0), Some(true));
}

fn with_sorry(inhibit: bool) -> VirtualServerConfig {
    let mut inhibited = rs(2, 3, 1);
    inhibited.inhibit_on_failure = true;
    let mut v = vs(vec![rs(1, 1, 1), inhibited]);
    v.sorry_server = Some(SorryServerConfig {
        address: ip(99),
        port: 8080,
        inhibit,
    });
    v
}

#[test]
fn the_sorry_server_takes_over_when_every_server_is_down() {
    let mut p = Pool::new(vec![with_sorry(false)]);
    assert_eq!(dests(&p), vec![(1, 1, false), (2, 3, false)]);
    p.apply(&down(1, 0)).unwrap();
    assert_eq!(dests(&p), vec![(1, 1, false), (2, 0, false)]);
    assert_eq!(
        p.apply(&down(0, 0)).unwrap(),
        vec![
            Notify::RealServerDown { vs: 0, rs: 0 },
            Notify::QuorumDown { vs: 0 }
        ]
    );
    assert_eq!(dests(&p), vec![(2, 0, false), (99, 1, true)]);
    assert_eq!(p.desired()[0].last().unwrap().port, 8080);
    p.apply(&up(0, 0)).unwrap();
    assert_eq!(dests(&p), vec![(1, 1, false), (2, 0, false)]);
}

#[test]
fn while_quorum_is_lost_the_sorry_server_replaces_alive_servers_too() {
    let mut v = with_sorry(false);
    v.quorum = 4; // total 4: needs both
    let mut p = Pool::new(vec![v]);
    p.apply(&down(0, 0)).unwrap();
    // rs 2 is alive (weight 3 < 4) but the sorry server replaces it, inhibited at weight 0.
    assert_eq!(dests(&p), vec![(2, 0, false), (99, 1, true)]);
}

#[test]
fn sorry_server_inhibit_keeps_it_with_weight_zero() {
    let mut p = Pool::new(vec![with_sorry(true)]);
    assert_eq!(dests(&p), vec![(1, 1, false), (2, 3, false), (99, 0, true)]);
    p.apply(&down(0, 0)).unwrap();
    p.apply(&down(1, 0)).unwrap();
    assert_eq!(dests(&p), vec![(2, 0, false), (99, 1, true)]);
    p.apply(&up(1, 0)).unwrap();
    assert_eq!(dests(&p), vec![(2, 3, false), (99, 0, true)]);
}

#[test]
fn dynamic_weights_set_the_weight_and_count_for_quorum() {
    let mut v = vs(vec![rs(1, 10, 2), rs(2, 1, 1)]);
    v.quorum = 5;
    let mut p = Pool::new(vec![v]);
    // One dynamic checker sets the weight.
    p.apply(&ev(0, 0, EventKind::Weight(DynamicWeight::Set(4))))
        .unwrap();
    assert_eq!(dests(&p), vec![(1, 4, false), (2, 1, false)]);
    // A second one adds its own difference: 10 + (4-10) + (12-10) = 6.
    p.apply(&ev(0, 1, EventKind::Weight(DynamicWeight::Set(12))))
        .unwrap();
    assert_eq!(dests(&p), vec![(1, 6, false), (2, 1, false)]);
    // Weights can lose the quorum: 10 + (4-10) + (2-10) < 0 -> 0; total alive 1 < 5.
    let n = p
        .apply(&ev(0, 1, EventKind::Weight(DynamicWeight::Set(2))))
        .unwrap();
    assert_eq!(n, vec![Notify::QuorumDown { vs: 0 }]);
    assert_eq!(dests(&p), vec![(1, 0, false), (2, 1, false)]);
    // Up with a weight records it.
    p.apply(&down(0, 0)).unwrap();
    p.apply(&ev(
        0,
        0,
        EventKind::Up {
            weight: Some(DynamicWeight::Set(13)),
        },
    ))
    .unwrap();
    assert_eq!(dests(&p), vec![(1, 5, false), (2, 1, false)]);
}

#[test]
fn omega_notifies_at_shutdown() {
    let mut v = vs(vec![rs(1, 1, 1), rs(2, 1, 1), rs(3, 1, 1)]);
    v.omega = true;
    let plain = vs(vec![rs(4, 1, 1)]);
    let mut p = Pool::new(vec![v, plain]);
    p.apply(&down(1, 0)).unwrap();
    assert_eq!(
        p.shutdown(),
        vec![
            Notify::RealServerDown { vs: 0, rs: 0 },
            Notify::RealServerDown { vs: 0, rs: 2 },
            Notify::QuorumDown { vs: 0 }
        ]
    );
    assert!(p.desired().iter().all(|d| d.is_empty()));
    assert_eq!(p.shutdown(), vec![]);
    assert_eq!(p.apply(&up(1, 0)).unwrap(), vec![]);
}

#[test]
fn unknown_checkers_are_errors() {
    let mut p = Pool::new(vec![vs(vec![rs(1, 1, 1)])]);
    assert!(p.apply(&ev(0, 0, EventKind::Up { weight: None })).is_ok());
    for (rs, check) in [(1, 0), (0, 1)] {
        assert!(p
            .apply(&ev(rs, check, EventKind::Down))
            .unwrap_err()
            .contains("not in the pool"));
    }
    assert_eq!(p.is_alive(0, 0), Some(true));
}

#[test]
fn failures_change_nothing() {
    let mut p = Pool::new(vec![vs(vec![rs(1, 1, 1)])]);
    assert_eq!(p.apply(&ev(0, 0, EventKind::Failure)).unwrap(), vec![]);
    assert_eq!(dests(&p), vec![(1, 1, false)]);
}

#[test]
fn a_server_without_checkers_is_always_alive() {
    let p = Pool::new(vec![vs(vec![rs(1, 1, 0)])]);
    assert_eq!(dests(&p), vec![(1, 1, false)]);
}

fn arb_event() -> impl Strategy<Value = (usize, usize, u8, u32)> {
    (0usize..4, 0usize..3, 0u8..4, 0u32..6)
}

proptest! {
    /// Over any sequence of events: a server is alive exactly when all its checkers' last
    /// state is up; notifications alternate per server and per quorum and match the state; the
    /// desired set follows the rules above.
    #[test]
    fn invariants_hold(
        weights in proptest::collection::vec(0u32..4, 4),
        inhibit in proptest::collection::vec(any::<bool>(), 4),
        alpha in proptest::collection::vec(any::<bool>(), 12),
        quorum in 0u32..8,
        hysteresis in 0u32..3,
        sorry in proptest::option::of(any::<bool>()),
        events in proptest::collection::vec(arb_event(), 0..60),
    ) {
        let real_servers: Vec<RealServerConfig> = (0..4).map(|i| RealServerConfig {
            address: ip(i as u8 + 1), port: 80, weight: weights[i], inhibit_on_failure: inhibit[i],
            checkers: alpha[i * 3..i * 3 + 3].iter().map(|&alpha| CheckerConfig { id: CheckerId(0), alpha }).collect(),
        }).collect();
        let real_servers = numbered(real_servers);
        let sorry_server = sorry.map(|inhibit| SorryServerConfig { address: ip(99), port: 80, inhibit });
        let mut p = Pool::new(vec![VirtualServerConfig { key: "vs".into(), quorum, hysteresis, omega: true, sorry_server: sorry_server.clone(), real_servers: real_servers.clone() }]);
        let mut checker_up: Vec<Vec<bool>> = (0..4).map(|i| alpha[i * 3..i * 3 + 3].iter().map(|a| !a).collect()).collect();
        let mut alive: Vec<bool> = checker_up.iter().map(|c| c.iter().all(|&u| u)).collect();
        let mut quorum_up = p.quorum_up(0).unwrap();
        // The real servers whose state was told (those that start up are).
        let mut told: std::collections::HashSet<usize> = (0..4).filter(|&i| alive[i]).collect();
        for (rs_i, check, kind, w) in events {
            let kind = match kind { 0 => EventKind::Up { weight: None }, 1 => EventKind::Down, 2 => EventKind::Failure, _ => EventKind::Weight(DynamicWeight::Set(w)) };
            match kind { EventKind::Up { .. } => checker_up[rs_i][check] = true, EventKind::Down => checker_up[rs_i][check] = false, _ => {} }
            let (state, desired) = (p.checker_state(id(rs_i, check)), p.desired());
            let inputs = p.desired_inputs(0, rs_i);
            let is_down = matches!(kind, EventKind::Down);
            let notes = p.apply(&ev(rs_i, check, kind)).unwrap();
            // What the destinations depend on unchanged: the destinations unchanged (the
            // daemon then sends nothing to the reconciler).
            if p.desired_inputs(0, rs_i) == inputs {
                prop_assert_eq!(p.desired(), desired.clone());
            }
            // An event that leaves its checker's state as it was changes nothing (the daemon
            // then skips recomputing the virtual server's destinations).
            if p.checker_state(id(rs_i, check)) == state {
                // But the first Down of a real server that started down: told once.
                prop_assert!(notes.is_empty() || (is_down && notes == [Notify::RealServerStartsDown { vs: 0, rs: rs_i }] && told.insert(rs_i)), "{:?}", notes);
                prop_assert_eq!(p.desired(), desired);
            }
            for n in notes {
                match n {
                    Notify::RealServerUp { rs, .. } => { prop_assert!(!alive[rs]); alive[rs] = true; told.insert(rs); }
                    Notify::RealServerDown { rs, .. } => { prop_assert!(alive[rs]); alive[rs] = false; told.insert(rs); }
                    Notify::RealServerStartsDown { rs, .. } => prop_assert!(!alive[rs]),
                    Notify::QuorumUp { .. } => { prop_assert!(!quorum_up); quorum_up = true; }
                    Notify::QuorumDown { .. } => { prop_assert!(quorum_up); quorum_up = false; }
                }
            }
            for i in 0..4 {
                prop_assert_eq!(alive[i], checker_up[i].iter().all(|&u| u));
                prop_assert_eq!(p.is_alive(0, i), Some(alive[i]));
            }
            prop_assert_eq!(p.quorum_up(0), Some(quorum_up));
            let d = &p.desired()[0];
            let sorry_in_use = sorry.is_some() && !quorum_up;
            for i in 0..4 {
                let entry = d.iter().find(|x| !x.sorry && x.rs == i);
                if alive[i] && !sorry_in_use {
                    prop_assert!(entry.is_some());
                } else if inhibit[i] {
                    prop_assert_eq!(entry.map(|e| e.weight), Some(0));
                } else {
                    prop_assert!(entry.is_none());
                }
            }
            let s = d.iter().find(|x| x.sorry);
            match sorry {
                None => prop_assert!(s.is_none()),
                Some(inh) => {
                    if sorry_in_use { prop_assert_eq!(s.map(|e| e.weight), Some(1)); }
                    else if inh { prop_assert_eq!(s.map(|e| e.weight), Some(0)); }
                    else { prop_assert!(s.is_none()); }
                }
            }
        }
        let n = p.shutdown();
        let downs = n.iter().filter(|x| matches!(x, Notify::RealServerDown { .. })).count();
        prop_assert_eq!(downs, alive.iter().filter(|&&a| a).count());
        prop_assert_eq!(n.contains(&Notify::QuorumDown { vs: 0 }), quorum_up);
    }
}

#[test]
fn weights_stay_within_what_ipvs_takes() {
    let mut p = Pool::new(vec![vs(vec![rs(1, 10, 2)])]);
    let add = |check, d| ev(0, check, EventKind::Weight(DynamicWeight::Add(d)));
    p.apply(&add(0, i64::MAX)).unwrap();
    assert_eq!(dests(&p), vec![(1, i32::MAX as u32, false)]);
    // A new value replaces the checker's previous one: 10 - 100 is kept at 0.
    p.apply(&add(0, -100)).unwrap();
    assert_eq!(dests(&p), vec![(1, 0, false)]);
    // The deltas of several checkers add up (saturating), then are kept at i32::MAX.
    p.apply(&add(1, i64::MAX)).unwrap();
    assert_eq!(dests(&p), vec![(1, i32::MAX as u32, false)]);
}

#[test]
fn desired_of_one_virtual_server_is_its_entry_of_desired() {
    let mut config = vec![
        vs(vec![rs(1, 1, 1), rs(2, 3, 1)]),
        with_sorry(false),
        vs(vec![rs(7, 2, 1)]),
    ];
    // Checker ids are unique in a pool: the later virtual servers' are moved up.
    for (i, v) in config.iter_mut().enumerate().skip(1) {
        for ch in v
            .real_servers
            .iter_mut()
            .flat_map(|r| r.checkers.iter_mut())
        {
            ch.id = CheckerId(ch.id.0 + 1000 * i as u64);
        }
    }
    let mut p = Pool::new(config);
    let check = |p: &Pool| {
        let all = p.desired();
        for (i, want) in all.iter().enumerate() {
            assert_eq!(p.desired_of(i).as_ref(), Some(want), "virtual server {i}");
        }
        assert_eq!(p.desired_of(all.len()), None);
    };
    check(&p);
    p.apply(&down(1, 0)).unwrap();
    assert_eq!(p.desired_of(0).unwrap().len(), 1);
    check(&p);
    p.shutdown();
    assert_eq!(p.desired_of(2), Some(vec![]));
    check(&p);
}

/// A reload with the same configuration keeps every state and notifies nothing.
#[test]
fn reconfigure_with_the_same_configuration_changes_nothing() {
    let config = vec![vs(vec![rs(1, 1, 1), rs(2, 1, 1)])];
    let mut p = Pool::new(config.clone());
    p.apply(&down(0, 0)).unwrap();
    assert_eq!(p.reconfigure(config), vec![]);
    assert_eq!(dests(&p), vec![(2, 1, false)]);
    assert_eq!(p.is_alive(0, 0), Some(false));
    // The kept checker's events still count.
    assert_eq!(
        p.apply(&up(0, 0)).unwrap(),
        vec![Notify::RealServerUp { vs: 0, rs: 0 }]
    );
}

/// Real servers are matched by address and port, not by position; a new one starts up, a
/// removed one is gone, a changed weight applies, and the down one stays down.
#[test]
fn reconfigure_keeps_real_servers_by_address_and_port() {
    let mut p = Pool::new(vec![vs(vec![rs(1, 1, 1), rs(2, 1, 1), rs(3, 1, 1)])]);
    p.apply(&down(1, 0)).unwrap();
    // Server 1 removed, server 2 (down) now first, server 3 with weight 5, server 4 new.
    let mut v = vs(vec![rs(2, 1, 1), rs(3, 5, 1), rs(4, 1, 1)]);
    // Server 2 and 3 keep their checkers (ids of their old positions); 4's is new.
    v.real_servers[0].checkers[0].id = id(1, 0);
    v.real_servers[1].checkers[0].id = id(2, 0);
    v.real_servers[2].checkers[0].id = CheckerId(1000);
    assert_eq!(p.reconfigure(vec![v]), vec![]);
    assert_eq!(dests(&p), vec![(3, 5, false), (4, 1, false)]);
    // The old ids of the moved servers reach them where they are now.
    assert_eq!(
        p.apply(&up(1, 0)).unwrap(),
        vec![Notify::RealServerUp { vs: 0, rs: 0 }]
    );
    // Server 1's checker is gone: its late event is refused, not misapplied.
    assert!(p.apply(&down(0, 0)).is_err());
}

/// A checker that is down and removed by the reload: its real server comes up, notified; a
/// replaced checker (new id) starts as at start.
#[test]
fn reconfigure_notifies_what_the_reload_itself_changes() {
    let mut p = Pool::new(vec![vs(vec![rs(1, 1, 2)])]);
    p.apply(&down(0, 1)).unwrap();
    assert_eq!(p.is_alive(0, 0), Some(false));
    // The second checker dropped from the configuration.
    let mut v = vs(vec![rs(1, 1, 1)]);
    v.real_servers[0].checkers[0].id = id(0, 0);
    assert_eq!(
        p.reconfigure(vec![v.clone()]),
        vec![
            Notify::RealServerUp { vs: 0, rs: 0 },
            Notify::QuorumUp { vs: 0 }
        ]
    );
    // Its checker replaced by an alpha one: down, notified.
    v.real_servers[0].checkers[0] = CheckerConfig {
        id: CheckerId(77),
        alpha: true,
    };
    assert_eq!(
        p.reconfigure(vec![v]),
        vec![
            Notify::RealServerDown { vs: 0, rs: 0 },
            Notify::QuorumDown { vs: 0 }
        ]
    );
}

/// Virtual servers are matched by key: a new one starts as at start, without notification,
/// and a kept one keeps its state whatever its position.
#[test]
fn reconfigure_keeps_virtual_servers_by_key() {
    let mut a = vs(vec![rs(1, 1, 1)]);
    a.key = "a".into();
    let mut b = vs(vec![rs(2, 1, 1)]);
    b.key = "b".into();
    b.real_servers[0].checkers[0].id = CheckerId(500);
    let mut p = Pool::new(vec![a.clone(), b.clone()]);
    p.apply(&CheckEvent {
        id: CheckerId(500),
        kind: EventKind::Down,
        reason: String::new(),
        first: false,
    })
    .unwrap();
    let mut c = vs(vec![rs(3, 1, 1)]);
    c.key = "c".into();
    c.real_servers[0].checkers[0].id = CheckerId(900);
    assert_eq!(p.reconfigure(vec![c, b]), vec![]);
    assert_eq!(p.is_alive(0, 0), Some(true), "the new one starts up");
    assert_eq!(p.is_alive(1, 0), Some(false), "b's server stays down");
    assert_eq!(p.quorum_up(1), Some(false));
}

/// Checkers are found by id whatever order their ids come in (a reload gives new checkers
/// higher ids than those kept, wherever they are), and an id the pool does not hold is an
/// error.
#[test]
fn checkers_are_found_by_id_in_any_order() {
    let mut real_servers = vec![rs(1, 1, 2), rs(2, 1, 1), rs(3, 1, 1)];
    let ids = [[40, 7], [93, 0], [3, 0]];
    for (r, ids) in real_servers.iter_mut().zip(ids) {
        for (c, id) in r.checkers.iter_mut().zip(ids) {
            c.id = CheckerId(id);
        }
    }
    let mut cfg = vs(Vec::new());
    cfg.real_servers = real_servers;
    let mut p = Pool::new(vec![cfg]);
    for (id, at) in [
        (40, (0, 0, 0)),
        (7, (0, 0, 1)),
        (93, (0, 1, 0)),
        (3, (0, 2, 0)),
    ] {
        assert_eq!(p.locate(CheckerId(id)), Some(at), "checker {id}");
    }
    assert_eq!(p.locate(CheckerId(8)), None);
    let ids = |v: &[u64]| v.iter().map(|&i| CheckerId(i)).collect::<Vec<_>>();
    assert_eq!(p.checker_ids().collect::<Vec<_>>(), ids(&[3, 7, 40, 93]));
    assert_eq!(p.ids(), [vec![ids(&[40, 7]), ids(&[93]), ids(&[3])]]);
    assert_eq!(p.checker_id(0, 0, 1), Some(CheckerId(7)));
    assert_eq!(p.checker_id(0, 1, 1), None);
    let down = |id| CheckEvent {
        id: CheckerId(id),
        kind: EventKind::Down,
        reason: String::new(),
        first: false,
    };
    assert_eq!(
        p.apply(&down(7)).unwrap(),
        [Notify::RealServerDown { vs: 0, rs: 0 }]
    );
    assert_eq!(p.checker_up(CheckerId(40)), Some(true));
    assert_eq!(p.checker_up(CheckerId(7)), Some(false));
    assert_eq!(
        p.apply(&down(3)).unwrap(),
        [Notify::RealServerDown { vs: 0, rs: 2 }]
    );
    assert_eq!(dests(&p), [(2, 1, false)]);
    assert!(p.apply(&down(8)).is_err());
}
