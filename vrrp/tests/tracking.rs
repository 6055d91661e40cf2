//! Tracking arithmetic (keepalived.conf(5) track_* rules) and a tracked master yielding to a
//! backup on the in-memory network.

mod common;

use common::{router_config, secs, Network};
use std::time::Duration;
use vrrp::{verdict_inputs, Input, State, Status, Time, Tracked, Tracking, TrackingVerdict};

fn obj(name: &str, weight: i32, reverse: bool, status: Status) -> Tracked {
    Tracked {
        name: name.to_string(),
        weight,
        reverse,
        status,
    }
}

fn tracking(base: u8, objects: &[Tracked]) -> Tracking {
    let mut t = Tracking::new(base);
    for o in objects {
        t.add(o.clone()).unwrap();
    }
    t
}

fn verdict(base: u8, objects: &[Tracked]) -> TrackingVerdict {
    tracking(base, objects).verdict()
}

fn ok(priority: u8) -> TrackingVerdict {
    TrackingVerdict {
        fault: false,
        priority,
    }
}

#[test]
fn no_objects_keeps_the_base_priority() {
    assert_eq!(verdict(100, &[]), ok(100));
}

#[test]
fn positive_weight_adds_while_up_only() {
    assert_eq!(verdict(100, &[obj("s", 20, false, Status::Up)]), ok(120));
    assert_eq!(verdict(100, &[obj("s", 20, false, Status::Down)]), ok(100));
}

#[test]
fn negative_weight_subtracts_while_down_only() {
    assert_eq!(verdict(100, &[obj("s", -60, false, Status::Down)]), ok(40));
    assert_eq!(verdict(100, &[obj("s", -60, false, Status::Up)]), ok(100));
}

#[test]
fn reverse_flips_the_direction_not_the_condition() {
    // Positive weight, reverse: subtracted while up.
    assert_eq!(verdict(100, &[obj("i", 20, true, Status::Up)]), ok(80));
    assert_eq!(verdict(100, &[obj("i", 20, true, Status::Down)]), ok(100));
    // Negative weight, reverse: added while down ("increase priority if an interface is down").
    assert_eq!(verdict(100, &[obj("i", -20, true, Status::Down)]), ok(120));
    assert_eq!(verdict(100, &[obj("i", -20, true, Status::Up)]), ok(100));
}

#[test]
fn weights_sum() {
    let v = verdict(
        100,
        &[
            obj("a", 10, false, Status::Up),
            obj("b", -30, false, Status::Down),
            obj("c", 5, false, Status::Down),
            obj("eth1", -7, false, Status::Down),
        ],
    );
    assert_eq!(v, ok(73));
}

#[test]
fn effective_priority_is_clamped_to_1_254() {
    assert_eq!(verdict(100, &[obj("s", 253, false, Status::Up)]), ok(254));
    assert_eq!(verdict(100, &[obj("s", -253, false, Status::Down)]), ok(1));
    assert_eq!(verdict(1, &[obj("s", -1, false, Status::Down)]), ok(1));
    assert_eq!(verdict(254, &[obj("s", 1, false, Status::Up)]), ok(254));
}

#[test]
fn an_owner_keeps_255() {
    assert_eq!(verdict(255, &[obj("s", -60, false, Status::Down)]), ok(255));
    // But a weight-0 failure still faults it.
    assert_eq!(
        verdict(255, &[obj("s", 0, false, Status::Down)]),
        TrackingVerdict {
            fault: true,
            priority: 255
        }
    );
}

#[test]
fn weight_zero_failure_is_fault() {
    let v = verdict(100, &[obj("s", 0, false, Status::Down)]);
    assert!(v.fault);
    assert_eq!(v.priority, 100);
    assert!(!verdict(100, &[obj("s", 0, false, Status::Up)]).fault);
    // 'weight 0 reverse': down when the object is up, and vice versa.
    assert!(verdict(100, &[obj("s", 0, true, Status::Up)]).fault);
    assert!(!verdict(100, &[obj("s", 0, true, Status::Down)]).fault);
    // An unweighted interface: down is Fault.
    assert!(verdict(100, &[obj("eth0", 0, false, Status::Down)]).fault);
}

#[test]
fn fault_with_weights_still_reports_the_priority() {
    let v = verdict(
        100,
        &[
            obj("a", 0, false, Status::Down),
            obj("b", -10, false, Status::Down),
        ],
    );
    assert_eq!(
        v,
        TrackingVerdict {
            fault: true,
            priority: 90
        }
    );
}

#[test]
fn track_file_value_is_multiplied_by_the_weight() {
    assert_eq!(
        verdict(100, &[obj("f", 1, false, Status::Value(25))]),
        ok(125)
    );
    assert_eq!(
        verdict(100, &[obj("f", 3, false, Status::Value(-10))]),
        ok(70)
    );
    assert_eq!(
        verdict(100, &[obj("f", -2, false, Status::Value(10))]),
        ok(80)
    );
    // reverse negates the product.
    assert_eq!(
        verdict(100, &[obj("f", 2, true, Status::Value(10))]),
        ok(80)
    );
    // 254 is allowed for files, so that a negative value can be read.
    assert_eq!(
        verdict(100, &[obj("f", 254, false, Status::Value(0))]),
        ok(100)
    );
    assert_eq!(
        verdict(100, &[obj("f", 254, false, Status::Value(1))]),
        ok(254)
    );
}

#[test]
fn track_file_below_minus_253_is_fault() {
    assert!(!verdict(200, &[obj("f", 1, false, Status::Value(-253))]).fault);
    assert_eq!(
        verdict(200, &[obj("f", 1, false, Status::Value(-253))]).priority,
        1
    );
    assert!(verdict(200, &[obj("f", 1, false, Status::Value(-254))]).fault);
    assert!(verdict(200, &[obj("f", 254, false, Status::Value(-1))]).fault);
    // No overflow on huge values.
    assert!(verdict(200, &[obj("f", -254, false, Status::Value(i64::MAX))]).fault);
    assert_eq!(
        verdict(200, &[obj("f", 254, false, Status::Value(i64::MAX))]).priority,
        254
    );
}

#[test]
fn track_file_weight_zero_nonzero_value_is_fault() {
    assert!(verdict(100, &[obj("f", 0, false, Status::Value(1))]).fault);
    assert!(verdict(100, &[obj("f", 0, false, Status::Value(-5))]).fault);
    assert_eq!(
        verdict(100, &[obj("f", 0, false, Status::Value(0))]),
        ok(100)
    );
}

#[test]
fn weights_out_of_range_are_refused() {
    let mut t = Tracking::new(100);
    assert!(t.add(obj("s", 254, false, Status::Up)).is_err());
    assert!(t.add(obj("s", -254, false, Status::Down)).is_err());
    assert!(t.add(obj("s", 253, false, Status::Up)).is_ok());
    assert!(t.add(obj("f", 255, false, Status::Value(0))).is_err());
    assert!(t.add(obj("f", -254, false, Status::Value(0))).is_ok());
}

#[test]
fn set_status_updates_the_named_object() {
    let mut t = tracking(100, &[obj("chk", -60, false, Status::Up)]);
    assert_eq!(t.verdict(), ok(100));
    assert!(t.set_status("chk", Status::Down));
    assert_eq!(t.verdict(), ok(40));
    assert!(!t.set_status("nope", Status::Down));
}

#[test]
fn verdict_inputs_give_priority_then_fault_edges() {
    let f = |fault, priority| TrackingVerdict { fault, priority };
    assert_eq!(verdict_inputs(f(false, 100), f(false, 100)), vec![]);
    assert_eq!(
        verdict_inputs(f(false, 100), f(false, 40)),
        vec![Input::PriorityChange(40)]
    );
    assert_eq!(
        verdict_inputs(f(false, 100), f(true, 90)),
        vec![Input::PriorityChange(90), Input::TrackFault]
    );
    assert_eq!(
        verdict_inputs(f(true, 90), f(false, 100)),
        vec![Input::PriorityChange(100), Input::TrackOk]
    );
    assert_eq!(verdict_inputs(f(true, 90), f(true, 90)), vec![]);
}

/// Router 0 (priority 100, script weight -60) is Master over router 1 (priority 90). The script
/// fails: the verdict drops 0 to 40 and 0 advertises 40 at once; 1 (preempt) discards adverts
/// from a lower priority, so its master-down timer, last reset by 0's advert at priority 100,
/// runs out and it takes over. When the script recovers, 0 (preempt) takes back over.
#[test]
fn a_master_whose_script_fails_yields_to_a_higher_backup() {
    let mut net = Network::new(
        [router_config(1, 100), router_config(2, 90)],
        [Time::ZERO, Time::ZERO],
        Duration::from_millis(1),
    );
    let mut track = tracking(100, &[obj("chk", -60, false, Status::Up)]);
    net.run_until(secs(10));
    assert_eq!((net.state(0), net.state(1)), (State::Master, State::Backup));

    let old = track.verdict();
    track.set_status("chk", Status::Down);
    let new = track.verdict();
    assert_eq!(new, ok(40));
    let failed_at = net.now;
    for input in verdict_inputs(old, new) {
        net.inject(0, input);
    }
    // The lowered master advertised priority 40 at once.
    assert_eq!(net.sent.last(), Some(&(failed_at, 0, 40)));

    net.run_until(failed_at + Duration::from_secs(5));
    assert_eq!((net.state(0), net.state(1)), (State::Backup, State::Master));
    // Router 1 (priority 90) took over within its Master_Down_Interval
    // (3 s + (256-90)/256 s) of the failure, plus latency.
    let took_over = net
        .log
        .iter()
        .find(|(_, r, _, to)| *r == 1 && *to == State::Master)
        .unwrap()
        .0;
    assert!(took_over > failed_at);
    assert!(took_over - failed_at <= Duration::from_millis(3_000 + 649 + 2));
    // And router 0 stepped down on hearing it.
    assert!(net.log.iter().any(|(t, r, from, to)| *r == 0
        && *from == State::Master
        && *to == State::Backup
        && *t > took_over));

    // Recovery: back to 100, router 0 preempts.
    let old = track.verdict();
    track.set_status("chk", Status::Up);
    for input in verdict_inputs(old, track.verdict()) {
        net.inject(0, input);
    }
    let recovered_at = net.now;
    net.run_until(recovered_at + Duration::from_secs(5));
    assert_eq!((net.state(0), net.state(1)), (State::Master, State::Backup));
}

/// A weight-0 script failing puts the master in Fault; the backup takes over; recovery brings
/// the master back (preempt) after it restarts as Backup.
#[test]
fn a_weight_zero_failure_faults_the_master_and_recovery_restores_it() {
    let mut net = Network::new(
        [router_config(1, 100), router_config(2, 90)],
        [Time::ZERO, Time::ZERO],
        Duration::from_millis(1),
    );
    let mut track = tracking(100, &[obj("chk", 0, false, Status::Up)]);
    net.run_until(secs(10));
    assert_eq!(net.state(0), State::Master);

    let old = track.verdict();
    track.set_status("chk", Status::Down);
    for input in verdict_inputs(old, track.verdict()) {
        net.inject(0, input);
    }
    assert_eq!(net.state(0), State::Fault);
    net.run_until(secs(15));
    assert_eq!((net.state(0), net.state(1)), (State::Fault, State::Master));

    // The interface going down and up meanwhile does not end a tracking Fault.
    net.inject(0, Input::InterfaceDown);
    net.inject(0, Input::InterfaceUp);
    assert_eq!(net.state(0), State::Fault);

    let old = track.verdict();
    track.set_status("chk", Status::Up);
    for input in verdict_inputs(old, track.verdict()) {
        net.inject(0, input);
    }
    assert_eq!(net.state(0), State::Backup);
    net.run_until(secs(20));
    assert_eq!((net.state(0), net.state(1)), (State::Master, State::Backup));
}

fn advert_from(priority: u8) -> Input {
    // The advert a master at `priority` sends.
    let mut m = vrrp::Instance::new({
        let mut c = router_config(9, priority);
        c.initial_state = vrrp::WantedState::Master;
        c
    })
    .unwrap();
    m.handle(Input::Startup, Time::ZERO);
    let t = m.timer().unwrap();
    let advert = m
        .handle(Input::Timer(t.0), t.1)
        .into_iter()
        .find_map(|a| match a {
            vrrp::Action::SendAdvert { advert: ad, .. } => Some(ad),
            _ => None,
        })
        .unwrap();
    Input::Advert {
        advert,
        from: "10.0.0.9".parse().unwrap(),
    }
}

#[test]
fn a_master_advertises_a_priority_change_at_once_and_only_a_change() {
    let mut i = vrrp::Instance::new(router_config(1, 100)).unwrap();
    i.handle(Input::Startup, Time::ZERO);
    let t = i.timer().unwrap();
    i.handle(Input::Timer(t.0), t.1);
    assert_eq!(i.state(), State::Master);
    let now = t.1 + Duration::from_millis(300);
    let actions = i.handle(Input::PriorityChange(40), now);
    assert!(matches!(&actions[0], vrrp::Action::SendAdvert { advert: a, .. } if a.priority == 40));
    assert!(actions.contains(&vrrp::Action::SetTimer {
        at: now + Duration::from_secs(1),
        kind: vrrp::TimerKind::Advert
    }));
    assert!(i.handle(Input::PriorityChange(40), now).is_empty());
}

#[test]
fn a_backup_uses_the_new_priority_at_its_next_timer_reset() {
    let mut i = vrrp::Instance::new(router_config(1, 100)).unwrap();
    i.handle(Input::Startup, Time::ZERO);
    let hear = advert_from(254);
    i.handle(hear.clone(), secs(1));
    assert_eq!(
        i.timer().unwrap().1,
        secs(1) + vrrp::master_down_interval(3, 100, Duration::from_secs(1))
    );
    // A priority change alone does not re-arm the timer (still below the master at 254).
    assert!(i.handle(Input::PriorityChange(250), secs(2)).is_empty());
    i.handle(hear, secs(2));
    assert_eq!(
        i.timer().unwrap().1,
        secs(2) + vrrp::master_down_interval(3, 250, Duration::from_secs(1))
    );
}
