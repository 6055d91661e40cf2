//! global_defs `vrrp_startup_delay` ([`Input::StartupDelay`]) on a virtual clock, against
//! keepalived 2.2.7's measured behaviour (docs/compat.md): with a 5 s delay a lone priority-100
//! Backup became Master 8.63 s after start (5 + 3.609), the owner (priority 255) 8.04 s, a
//! `state MASTER` at priority 150 8.45 s; a master that resigned 1 s after start let it take
//! over at 5.63 s (5 + Skew_Time), one that fell silent 2 s after start at 8.63 s.

mod common;

use common::{addr, config, hear, ms};

use std::time::Duration;

use vrrp::{Action, Input, Instance, InstanceConfig, State, Time, TimerKind, WantedState};

const DELAY_END: Time = Time(Duration::from_secs(5));

/// Started at 0 with a delay ending at 5 s: its actions.
fn delayed(config: InstanceConfig) -> (Instance, Vec<Action>) {
    let mut i = Instance::new(config).unwrap();
    assert!(i
        .handle(Input::StartupDelay(DELAY_END), Time::ZERO)
        .is_empty());
    let out = i.handle(Input::Startup, Time::ZERO);
    (i, out)
}

fn master_down_at(i: &Instance) -> Time {
    i.timer_at(TimerKind::MasterDown)
        .expect("the master-down timer")
}

fn us(us: u64) -> Time {
    Time(Duration::from_micros(us))
}

#[test]
fn a_lone_backup_takes_over_master_down_interval_after_the_delay() {
    let (mut i, out) = delayed(config(100));
    assert_eq!(
        out,
        vec![
            Action::Transition {
                from: State::Initialize,
                to: State::Backup
            },
            Action::SetTimer {
                at: us(8_609_375),
                kind: TimerKind::MasterDown
            },
        ]
    );
    let at = master_down_at(&i);
    i.handle(Input::Timer(TimerKind::MasterDown), at);
    assert_eq!(i.state(), State::Master);
}

#[test]
fn the_owner_and_state_master_wait_as_any_backup() {
    let (i, _) = delayed(config(255));
    assert_eq!(i.state(), State::Backup);
    // 3 s + Skew_Time (1/256 s).
    assert_eq!(
        master_down_at(&i),
        Time(Duration::from_nanos(8_003_906_250))
    );
    let mut c = config(150);
    c.initial_state = WantedState::Master;
    let (i, _) = delayed(c);
    assert_eq!(i.state(), State::Backup);
    // 3 s + 106/256 s, not one advert interval + skew as without the delay.
    assert_eq!(
        master_down_at(&i),
        Time(Duration::from_nanos(8_414_062_500))
    );
}

#[test]
fn adverts_heard_during_the_delay_count_from_its_end() {
    // A master that resigns 1 s after start: Skew_Time after the end of the delay.
    let (mut i, _) = delayed(config(100));
    i.handle(hear(150, addr(2)), ms(450));
    i.handle(hear(0, addr(2)), ms(1000));
    assert_eq!(master_down_at(&i), us(5_609_375));
    // One that falls silent after 1.45 s: Master_Down_Interval after the end, not after its
    // last advert.
    let (mut i, _) = delayed(config(100));
    i.handle(hear(150, addr(2)), ms(450));
    i.handle(hear(150, addr(2)), ms(1450));
    assert_eq!(master_down_at(&i), us(8_609_375));
    // After the end, adverts count as they come.
    i.handle(hear(150, addr(2)), ms(7000));
    assert_eq!(master_down_at(&i), us(10_609_375));
    // A lower-priority master heard during the delay is preempted when the timer runs out.
    let (mut i, _) = delayed(config(100));
    i.handle(hear(50, addr(2)), ms(1000));
    assert_eq!(master_down_at(&i), us(8_609_375));
}

#[test]
fn leaving_fault_during_the_delay_still_waits_for_its_end() {
    let mut i = Instance::new(config(100)).unwrap();
    i.handle(Input::StartupDelay(DELAY_END), Time::ZERO);
    i.handle(Input::InterfaceDown, Time::ZERO);
    i.handle(Input::Startup, Time::ZERO);
    assert_eq!(i.state(), State::Fault);
    i.handle(Input::InterfaceUp, ms(2000));
    assert_eq!(i.state(), State::Backup);
    assert_eq!(master_down_at(&i), us(8_609_375));
    // After the delay, leaving Fault is as without one.
    i.handle(Input::InterfaceDown, ms(9000));
    i.handle(Input::InterfaceUp, ms(10_000));
    assert_eq!(master_down_at(&i), us(13_609_375));
}

#[test]
fn a_delay_already_over_changes_nothing() {
    let mut i = Instance::new(config(255)).unwrap();
    i.handle(Input::StartupDelay(DELAY_END), ms(6000));
    i.handle(Input::Startup, ms(6000));
    assert_eq!(i.state(), State::Master);
}
