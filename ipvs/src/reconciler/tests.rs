//! The reconciler against the simulated kernel: what each pass reads, what it corrects, and
//! when it falls back to a full pass.

use super::*;
use crate::types::{DestKey, Destination, Forward, Protocol, Service};
use std::net::{IpAddr, Ipv4Addr};

fn key(i: u32) -> ServiceKey {
    ServiceKey::Addr {
        protocol: Protocol::Tcp,
        addr: IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + i)),
        port: 80,
    }
}

fn dest(i: u32, r: u32, weight: u32) -> Destination {
    Destination::new(
        IpAddr::V4(Ipv4Addr::from(0xac10_0000 + 4 * i + r)),
        8080,
        Forward::Nat,
        weight,
    )
}

/// Service `i` with its four real servers at `weight`.
fn svc(i: u32, weight: u32) -> ServiceState {
    ServiceState {
        service: Service::new(key(i)).scheduler("wrr"),
        dests: (0..4).map(|r| dest(i, r, weight)).collect(),
    }
}

fn desired(n: u32) -> Desired {
    Desired {
        services: (0..n).map(|i| svc(i, 1)).collect(),
    }
}

/// The table sorted by key, destinations sorted: for comparing with a desired state.
fn sorted(mut t: Vec<ServiceState>) -> Vec<ServiceState> {
    t.sort_by_key(|s| s.service.key);
    for s in &mut t {
        s.dests.sort_by_key(|d| d.key());
    }
    t
}

/// A reconciler that has programmed `n` services with a full pass; counters reset.
fn programmed(n: u32) -> (Reconciler<Simulated>, Simulated) {
    let sim = Simulated::default();
    let mut r = Reconciler::new(sim.clone(), false);
    r.set_desired(desired(n));
    let pass = r.full();
    assert_eq!(pass.error, None);
    assert_eq!(pass.ops.len(), 5 * n as usize);
    assert!(!r.full_due());
    sim.take_counts();
    (r, sim)
}

fn dest_key(i: u32, r: u32) -> DestKey {
    dest(i, r, 1).key()
}

#[test]
fn the_first_pass_is_full_even_when_asked_for_an_update() {
    let sim = Simulated::default();
    let mut r = Reconciler::new(sim.clone(), false);
    r.set_desired(desired(3));
    let pass = r.update(vec![svc(1, 2)]);
    assert_eq!(pass.kind, PassKind::Full);
    let c = sim.take_counts();
    assert_eq!((c.full_reads, c.keys_read.len()), (1, 0));
    let mut want = desired(3);
    want.services[1] = svc(1, 2);
    assert_eq!(sorted(sim.table()), want.services);
}

#[test]
fn update_reads_only_the_changed_services() {
    let (mut r, sim) = programmed(50);
    // Service 7 changes one weight, service 30 loses a real server.
    let mut s7 = svc(7, 1);
    s7.dests[2].weight = 5;
    let mut s30 = svc(30, 1);
    s30.dests.remove(1);
    let pass = r.update(vec![s7.clone(), s30.clone()]);
    assert_eq!(pass.kind, PassKind::Update);
    assert_eq!(pass.error, None);
    assert!(!pass.drift, "nothing was changed by hand");
    assert_eq!(pass.read_services, 2);
    let c = sim.take_counts();
    assert_eq!(c.full_reads, 0, "an update must not read the whole table");
    assert_eq!(c.keys_read, vec![key(7), key(30)]);
    assert_eq!(
        c.applied,
        vec![
            Op::EditDest(key(7), s7.dests[2]),
            Op::DelDest(key(30), dest_key(30, 1)),
        ]
    );
    assert_eq!(pass.ops, c.applied);
    let mut want = desired(50);
    want.services[7] = s7;
    want.services[30] = s30;
    assert_eq!(sorted(sim.table()), want.services);
    assert_eq!(r.desired(), &want);
}

#[test]
fn an_update_counts_each_key_once_with_its_last_state() {
    let (mut r, sim) = programmed(10);
    let pass = r.update(vec![svc(4, 2), svc(5, 2), svc(4, 3)]);
    assert_eq!(pass.error, None);
    assert_eq!(sim.take_counts().keys_read, vec![key(4), key(5)]);
    let t = sorted(sim.table());
    assert_eq!((t[4].clone(), t[5].clone()), (svc(4, 3), svc(5, 2)));
}

#[test]
fn a_hand_edit_in_a_touched_service_is_corrected_by_the_update() {
    let (mut r, sim) = programmed(20);
    // By hand: a real server of service 3 deleted, another's weight changed, its scheduler
    // changed; service 9 deleted altogether.
    let mut edited = Service::new(key(3)).scheduler("rr");
    edited.timeout = 0;
    sim.hand_edit(&[
        Op::DelDest(key(3), dest_key(3, 0)),
        Op::EditDest(key(3), dest(3, 1, 7)),
        Op::EditService(edited),
        Op::DelService(key(9)),
    ])
    .unwrap();
    // The update only changes a weight in each, yet both come back whole.
    let mut s3 = svc(3, 1);
    s3.dests[3].weight = 2;
    let mut s9 = svc(9, 1);
    s9.dests[0].weight = 2;
    let pass = r.update(vec![s3.clone(), s9.clone()]);
    assert_eq!(pass.error, None);
    assert!(pass.drift, "the hand edits are reported");
    assert_eq!(
        pass.ops,
        vec![
            Op::EditService(svc(3, 1).service),
            Op::EditDest(key(3), dest(3, 1, 1)),
            Op::EditDest(key(3), dest(3, 3, 2)),
            Op::AddDest(key(3), dest(3, 0, 1)),
            Op::AddService(svc(9, 1).service),
            Op::AddDest(key(9), dest(9, 0, 2)),
            Op::AddDest(key(9), dest(9, 1, 1)),
            Op::AddDest(key(9), dest(9, 2, 1)),
            Op::AddDest(key(9), dest(9, 3, 1)),
        ]
    );
    let mut want = desired(20);
    want.services[3] = s3;
    want.services[9] = s9;
    assert_eq!(sorted(sim.table()), want.services);
}

#[test]
fn a_hand_edit_elsewhere_waits_for_the_full_pass() {
    let (mut r, sim) = programmed(20);
    sim.hand_edit(&[Op::DelDest(key(12), dest_key(12, 2))])
        .unwrap();
    let pass = r.update(vec![svc(3, 2)]);
    assert_eq!(pass.error, None);
    assert!(
        !pass.drift,
        "service 12's edit is not seen by an update of service 3"
    );
    assert_eq!(pass.ops.len(), 4, "only service 3's weights");
    let t = sorted(sim.table());
    assert_eq!(t[12].dests.len(), 3, "service 12 is not read by the update");
    let pass = r.full();
    assert_eq!(pass.kind, PassKind::Full);
    assert_eq!(pass.read_services, 20);
    assert_eq!(pass.ops, vec![Op::AddDest(key(12), dest(12, 2, 1))]);
    let mut want = desired(20);
    want.services[3] = svc(3, 2);
    assert_eq!(sorted(sim.table()), want.services);
}

/// The sweep reads the desired services a slice at a time, in order, never the whole table at
/// once; a round puts right every hand edit in them (a service deleted, a destination deleted,
/// a weight changed), each by the slice that holds it, and leaves a foreign service alone.
#[test]
fn the_sweep_puts_hand_edits_right_a_slice_at_a_time() {
    let (mut r, sim) = programmed(20);
    sim.hand_edit(&[
        Op::DelService(key(3)),
        Op::DelDest(key(12), dest_key(12, 2)),
        Op::EditDest(key(19), dest(19, 0, 7)),
        Op::AddService(Service::new(key(100)).scheduler("rr")),
    ])
    .unwrap();
    // Services cost 5 (4 destinations): 6 services per slice of 30, 4 slices a round.
    let mut fixed = Vec::new();
    for i in 0..4 {
        let pass = r.sweep(30);
        assert_eq!((pass.kind, &pass.error), (PassKind::Sweep, &None));
        let slice = pass.slice.unwrap();
        assert_eq!(slice.ends_round, i == 3, "slice {i}");
        assert_eq!(slice.of, 100);
        let c = sim.take_counts();
        assert_eq!(c.full_reads, 0, "a sweep never reads the whole table");
        let first = 6 * i;
        assert_eq!(
            c.keys_read,
            (first..(first + 6).min(20)).map(key).collect::<Vec<_>>()
        );
        assert_eq!(pass.drift, !pass.ops.is_empty());
        fixed.extend(pass.ops);
    }
    assert_eq!(fixed.len(), 1 + 4 + 1 + 1, "{fixed:?}");
    let mut t = sorted(sim.table());
    assert_eq!(
        t.pop().map(|s| s.service.key),
        Some(key(100)),
        "the foreign service stays"
    );
    assert_eq!(t, desired(20).services);
    // The next round begins again at the first service, and finds nothing to do.
    let pass = r.sweep(30);
    assert!(pass.ops.is_empty() && !pass.drift);
    assert_eq!(sim.take_counts().keys_read[0], key(0));
}

/// A sweep while a full pass is due (none yet, or after a failure) is the full pass; a new
/// desired state starts the sweep's round again.
#[test]
fn a_sweep_is_a_full_pass_when_one_is_due() {
    let sim = Simulated::default();
    let mut r = Reconciler::new(sim.clone(), false);
    r.set_desired(desired(10));
    let pass = r.sweep(30);
    assert_eq!((pass.kind, pass.slice), (PassKind::Full, None));
    assert_eq!(sim.take_counts().full_reads, 1);
    r.sweep(30);
    assert_eq!(sim.take_counts().keys_read[0], key(0));
    r.set_desired(desired(12));
    r.full();
    sim.take_counts();
    r.sweep(30);
    assert_eq!(
        sim.take_counts().keys_read[0],
        key(0),
        "the round starts again"
    );
}

#[test]
fn an_apply_error_makes_the_next_pass_full() {
    let (mut r, sim) = programmed(20);
    sim.fail_next_applies(1);
    let pass = r.update(vec![svc(2, 2)]);
    assert_eq!(pass.kind, PassKind::Update);
    assert_eq!(pass.error.as_deref(), Some("simulated failure"));
    assert!(r.full_due());
    // Meanwhile, a hand edit in a service the next update does not touch.
    sim.hand_edit(&[Op::DelService(key(15))]).unwrap();
    sim.take_counts();
    let pass = r.update(vec![svc(5, 3)]);
    assert_eq!(pass.kind, PassKind::Full);
    assert_eq!(pass.error, None);
    let c = sim.take_counts();
    assert_eq!((c.full_reads, c.keys_read.len()), (1, 0));
    // The failed update's change, this one's, and the hand edit: all in.
    let mut want = desired(20);
    want.services[2] = svc(2, 2);
    want.services[5] = svc(5, 3);
    assert_eq!(sorted(sim.table()), want.services);
    assert!(!r.full_due());
    // And then updates are incremental again.
    let pass = r.update(vec![svc(6, 2)]);
    assert_eq!(pass.kind, PassKind::Update);
    assert_eq!(sim.take_counts().keys_read, vec![key(6)]);
}

#[test]
fn update_leaves_foreign_services_alone_and_can_add_a_new_one() {
    let (mut r, sim) = programmed(5);
    let foreign = Service::new(ServiceKey::Addr {
        protocol: Protocol::Udp,
        addr: "192.0.2.53".parse().unwrap(),
        port: 53,
    });
    sim.hand_edit(&[Op::AddService(foreign.clone())]).unwrap();
    // A service the desired state did not have is added and owned.
    let pass = r.update(vec![svc(40, 1)]);
    assert_eq!(pass.error, None);
    assert_eq!(pass.ops.len(), 5);
    let pass = r.full();
    assert_eq!(pass.ops, vec![]);
    assert_eq!(pass.new_foreign, vec![foreign.key]);
    assert_eq!(r.full().new_foreign, vec![], "reported once");
    assert_eq!(sim.table().len(), 7);
    // At stop, ours go (the new one too), the foreign one stays.
    let pass = r.stop(StopPolicy::RemoveOwned);
    assert_eq!(pass.error, None);
    let t = sim.table();
    assert_eq!(t.len(), 1);
    assert_eq!(t[0].service, foreign);
}

#[test]
fn set_desired_removes_what_the_old_state_had_at_the_next_full_pass() {
    let (mut r, sim) = programmed(5);
    r.set_desired(desired(3));
    assert!(r.full_due());
    let pass = r.update(vec![]);
    assert_eq!(pass.kind, PassKind::Full);
    assert_eq!(
        pass.ops,
        vec![Op::DelService(key(3)), Op::DelService(key(4))]
    );
    assert_eq!(sorted(sim.table()), desired(3).services);
}

#[test]
fn lvs_flush_flushes_once() {
    let sim = Simulated::default();
    sim.hand_edit(&[Op::AddService(Service::new(key(99)))])
        .unwrap();
    let mut r = Reconciler::new(sim.clone(), true);
    r.set_desired(desired(2));
    assert_eq!(r.full().ops[0], Op::Flush);
    assert_eq!(sorted(sim.table()), desired(2).services);
    assert!(r.full().ops.is_empty());
}

#[test]
fn a_pass_is_one_log_line() {
    let (mut r, _sim) = programmed(3);
    let line = r.update(vec![svc(1, 2)]).to_string();
    assert!(
        line.starts_with("update: 1 service(s) read in ") && line.ends_with(", 4 op(s)"),
        "{line}"
    );
}

#[test]
fn successive_updates_report_no_drift_and_a_new_service_is_not_compared() {
    let (mut r, _sim) = programmed(10);
    for w in 2..5 {
        let pass = r.update(vec![svc(1, w), svc(2, w)]);
        assert_eq!(
            (pass.error.as_deref(), pass.drift),
            (None, false),
            "round {w}"
        );
    }
    // A key not desired before: added, and not a drift.
    let pass = r.update(vec![svc(50, 1)]);
    assert_eq!((pass.error.as_deref(), pass.drift), (None, false));
    assert_eq!(pass.ops.len(), 5);
}

/// A reload that changes one weight reads that one service and edits that one destination;
/// an unchanged reload reads nothing and does nothing.
#[test]
fn a_reload_edits_only_what_the_new_configuration_changed() {
    let (mut r, sim) = programmed(100);
    let pass = r.reload(desired(100));
    assert_eq!((pass.kind, pass.ops.len()), (PassKind::Reload, 0));
    assert_eq!(sim.take_counts(), SimCounts::default());
    let mut d = desired(100);
    d.services[42].dests[1].weight = 7;
    let pass = r.reload(d.clone());
    assert_eq!(pass.error, None);
    assert_eq!(pass.ops, vec![Op::EditDest(key(42), dest(42, 1, 7))]);
    let counts = sim.take_counts();
    assert_eq!((counts.full_reads, counts.keys_read), (0, vec![key(42)]));
    assert_eq!(sorted(sim.table()), sorted(d.services));
}

/// Services the new configuration drops are deleted, new ones added, foreign ones left alone.
#[test]
fn a_reload_deletes_dropped_services_and_adds_new_ones() {
    let (mut r, sim) = programmed(3);
    let foreign = ServiceState {
        service: Service::new(key(99)),
        dests: vec![],
    };
    sim.hand_edit(&[Op::AddService(foreign.service.clone())])
        .unwrap();
    let d = Desired {
        services: vec![svc(0, 1), svc(2, 1), svc(5, 1)],
    };
    let pass = r.reload(d.clone());
    assert_eq!(pass.error, None);
    assert!(pass.ops.contains(&Op::DelService(key(1))), "{:?}", pass.ops);
    assert!(pass.ops.contains(&Op::AddService(svc(5, 1).service)));
    let counts = sim.take_counts();
    assert_eq!(counts.full_reads, 0);
    let mut want = d.services;
    want.push(foreign);
    assert_eq!(sorted(sim.table()), sorted(want));
    // The dropped service is no longer ours: a full pass leaves a hand-made copy alone.
    sim.hand_edit(&[Op::AddService(Service::new(key(1)))])
        .unwrap();
    let pass = r.full();
    assert!(pass.ops.is_empty(), "{:?}", pass.ops);
}

/// A failed reload leaves a full pass due, which then programs the new state.
#[test]
fn a_failed_reload_is_made_good_by_the_next_full_pass() {
    let (mut r, sim) = programmed(3);
    let mut d = desired(3);
    d.services[0].dests[0].weight = 9;
    sim.fail_next_applies(1);
    let pass = r.reload(d.clone());
    assert!(pass.error.is_some());
    assert!(r.full_due());
    let pass = r.update(Vec::new());
    assert_eq!((pass.kind, pass.error), (PassKind::Full, None));
    assert_eq!(sorted(sim.table()), sorted(d.services));
}
