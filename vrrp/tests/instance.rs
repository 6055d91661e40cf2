//! One instance driven by hand with a virtual clock: each test feeds inputs at chosen times and
//! checks the actions and states that come out.

mod common;

use common::{addr, config, hear, ms, v2_advert, vips};

use std::time::Duration;

use vrrp::{
    Action, Advertisement, ChecksumMode, ConfigError, Destination, Input, Instance, InstanceConfig,
    ProtocolVersion, State, Time, TimerKind, Version, WantedState,
};

/// The action multicasting `advert`.
fn mcast(advert: Advertisement) -> Action {
    Action::SendAdvert {
        advert,
        to: Destination::Multicast,
    }
}

fn started(config: InstanceConfig) -> Instance {
    let mut i = Instance::new(config).unwrap();
    i.handle(Input::Startup, Time::ZERO);
    i
}

fn transitions(actions: &[Action]) -> Vec<(State, State)> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Transition { from, to } => Some((*from, *to)),
            _ => None,
        })
        .collect()
}

fn sent_priorities(actions: &[Action]) -> Vec<u8> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::SendAdvert { advert: ad, .. } => Some(ad.priority),
            _ => None,
        })
        .collect()
}

/// Fires the armed timer at its deadline and returns the actions.
fn fire(i: &mut Instance) -> (Time, Vec<Action>) {
    let (kind, at) = i.timer().expect("a timer is armed");
    (at, i.handle(Input::Timer(kind), at))
}

#[test]
fn skew_and_master_down_interval_follow_the_rfc() {
    // RFC 3768 6.1 with priority 100 and a 1 s interval: skew = 156/256 s = 0.609375 s.
    assert_eq!(
        vrrp::skew_time(100, Duration::from_secs(1)),
        Duration::from_micros(609_375)
    );
    assert_eq!(
        vrrp::master_down_interval(3, 100, Duration::from_secs(1)),
        Duration::from_micros(3_609_375)
    );
    // keepalived's down_timer_adverts replaces the 3.
    assert_eq!(
        vrrp::master_down_interval(5, 100, Duration::from_secs(1)),
        Duration::from_micros(5_609_375)
    );
}

#[test]
fn backup_becomes_master_after_exactly_master_down_interval() {
    let mut i = Instance::new(config(100)).unwrap();
    let out = i.handle(Input::Startup, Time::ZERO);
    assert_eq!(
        out,
        vec![
            Action::Transition {
                from: State::Initialize,
                to: State::Backup
            },
            Action::SetTimer {
                at: Time(Duration::from_micros(3_609_375)),
                kind: TimerKind::MasterDown
            },
        ]
    );
    // A nanosecond early, the timer is stale and ignored.
    let early = Time(Duration::from_micros(3_609_375) - Duration::from_nanos(1));
    assert!(i
        .handle(Input::Timer(TimerKind::MasterDown), early)
        .is_empty());
    assert_eq!(i.state(), State::Backup);

    let (at, out) = fire(&mut i);
    assert_eq!(at, Time(Duration::from_micros(3_609_375)));
    assert_eq!(
        out,
        vec![
            mcast(v2_advert(100)),
            Action::AddVips(vips()),
            Action::SendGratuitous {
                vips: vips(),
                count: 5
            },
            Action::SetTimer {
                at: at + Duration::from_secs(1),
                kind: TimerKind::Advert
            },
            Action::SetTimer {
                at: at + Duration::from_secs(5),
                kind: TimerKind::GarpDelay
            },
            Action::Transition {
                from: State::Backup,
                to: State::Master
            },
        ]
    );
    // Then an advert every interval.
    let (at2, out) = fire(&mut i);
    assert_eq!(at2, at + Duration::from_secs(1));
    assert_eq!(sent_priorities(&out), vec![100]);
}

#[test]
fn owner_is_master_at_once() {
    let mut i = Instance::new(config(255)).unwrap();
    let out = i.handle(Input::Startup, Time::ZERO);
    assert_eq!(i.state(), State::Master);
    assert_eq!(sent_priorities(&out), vec![255]);
    assert!(out.contains(&Action::AddVips(vips())));
    assert_eq!(transitions(&out), vec![(State::Initialize, State::Master)]);
}

#[test]
fn wanted_master_waits_one_interval_plus_skew() {
    let mut c = config(100);
    c.initial_state = WantedState::Master;
    let i = started(c);
    assert_eq!(i.state(), State::Backup);
    assert_eq!(
        i.timer(),
        Some((
            TimerKind::MasterDown,
            Time(Duration::from_micros(1_609_375))
        ))
    );
}

#[test]
fn backup_hearing_a_higher_priority_master_stays_backup() {
    let mut i = started(config(100));
    for s in 1..=20 {
        let now = ms(s * 1000);
        let out = i.handle(hear(200, addr(2)), now);
        assert_eq!(
            out,
            vec![Action::SetTimer {
                at: now + Duration::from_micros(3_609_375),
                kind: TimerKind::MasterDown
            }]
        );
        // The stale timer from before this advert does nothing.
        assert!(i
            .handle(Input::Timer(TimerKind::MasterDown), now)
            .is_empty());
    }
    assert_eq!(i.state(), State::Backup);
}

#[test]
fn backup_preempts_a_lower_priority_master_after_master_down() {
    let mut i = started(config(100));
    let first_deadline = i.timer().unwrap().1;
    // Lower-priority adverts are discarded: they do not push the timer back.
    for s in 1..=3 {
        assert!(i.handle(hear(50, addr(2)), ms(s * 1000)).is_empty());
    }
    let (at, out) = fire(&mut i);
    assert_eq!(at, first_deadline);
    assert_eq!(transitions(&out), vec![(State::Backup, State::Master)]);
}

#[test]
fn nopreempt_backup_does_not_take_over_from_a_live_lower_master() {
    let mut c = config(100);
    c.preempt = false;
    let mut i = started(c);
    for s in 1..=30 {
        let out = i.handle(hear(50, addr(2)), ms(s * 1000));
        assert_eq!(out.len(), 1, "master-down timer reset");
        assert!(i
            .handle(Input::Timer(TimerKind::MasterDown), ms(s * 1000))
            .is_empty());
    }
    assert_eq!(i.state(), State::Backup);
    // But it still takes over when that master goes silent.
    let (at, out) = fire(&mut i);
    assert_eq!(at, ms(30_000) + Duration::from_micros(3_609_375));
    assert_eq!(transitions(&out), vec![(State::Backup, State::Master)]);
}

#[test]
fn master_yields_to_higher_priority_and_answers_lower() {
    let mut i = started(config(255));
    // Lower priority: keepalived answers with an advert at once and stays Master (after a GARP
    // burst for the split brain, and arming the lower-priority GARP timer).
    let out = i.handle(hear(100, addr(2)), ms(100));
    assert_eq!(
        out,
        vec![
            Action::SendGratuitous {
                vips: vips(),
                count: 5
            },
            mcast(v2_advert(255)),
            Action::SetTimer {
                at: ms(5100),
                kind: TimerKind::GarpLowerPrio
            },
        ]
    );

    let mut i = started(config(100));
    fire(&mut i);
    assert_eq!(i.state(), State::Master);
    let now = ms(5000);
    let out = i.handle(hear(150, addr(2)), now);
    assert_eq!(
        out,
        vec![
            Action::CancelTimer(TimerKind::Advert),
            Action::CancelTimer(TimerKind::GarpDelay),
            Action::RemoveVips(vips()),
            Action::SetTimer {
                at: now + Duration::from_micros(3_609_375),
                kind: TimerKind::MasterDown
            },
            Action::Transition {
                from: State::Master,
                to: State::Backup
            },
        ]
    );
}

#[test]
fn equal_priority_is_decided_by_the_higher_address() {
    let mut i = started(config(100)); // local address .1
    fire(&mut i);
    // From a lower address (.0): discarded, no answer.
    assert!(i.handle(hear(100, addr(0)), ms(4000)).is_empty());
    assert_eq!(i.state(), State::Master);
    // From a higher address: yield.
    let out = i.handle(hear(100, addr(2)), ms(4100));
    assert_eq!(transitions(&out), vec![(State::Master, State::Backup)]);
}

/// keepalived.conf(5): preempt_delay "specifies the time in seconds to delay preempting compared
/// to if preempt_delay is not specified ... if advert_int is 1 and priority is 128, the instance
/// would normally wait 3.5 seconds before taking over as master. If preempt_delay 2 is
/// specified, then the delay ... would be approximately 5.5 seconds."
#[test]
fn preempt_delay_adds_to_the_takeover_time() {
    let takeover = |delay: u64| {
        let mut c = config(100);
        c.preempt_delay = Duration::from_secs(delay);
        let mut i = started(c);
        // A lower-priority master advertises every second from t = 1 s.
        let mut t = 1000;
        loop {
            if let Some((TimerKind::MasterDown, at)) = i.timer() {
                if at <= ms(t) {
                    let out = i.handle(Input::Timer(TimerKind::MasterDown), at);
                    assert_eq!(transitions(&out), vec![(State::Backup, State::Master)]);
                    return at;
                }
            }
            i.handle(hear(50, addr(2)), ms(t));
            assert_eq!(i.state(), State::Backup);
            t += 1000;
            assert!(t < 30_000, "never preempted");
        }
    };
    // Without a delay the lower master's adverts are discarded: Master_Down_Interval after startup.
    let mdi = Duration::from_micros(3_609_375);
    assert_eq!(takeover(0), Time::ZERO + mdi);
    // With one, that much later; the later lower-priority adverts do not push it further.
    assert_eq!(takeover(2), Time::ZERO + mdi + Duration::from_secs(2));
    assert_eq!(takeover(10), Time::ZERO + mdi + Duration::from_secs(10));
}

#[test]
fn preempt_delay_starts_again_after_a_higher_advert() {
    let mut c = config(100);
    c.preempt_delay = Duration::from_secs(5);
    let mut i = started(c);
    i.handle(hear(50, addr(2)), ms(1000));
    assert_eq!(
        i.timer(),
        Some((
            TimerKind::MasterDown,
            Time::ZERO + Duration::from_micros(8_609_375)
        ))
    );
    // A higher-priority master resets everything: its adverts keep us Backup...
    i.handle(hear(200, addr(3)), ms(2000));
    assert_eq!(
        i.timer(),
        Some((
            TimerKind::MasterDown,
            ms(2000) + Duration::from_micros(3_609_375)
        ))
    );
    // ...and a lower one after it starts a fresh delay from the new deadline.
    i.handle(hear(50, addr(2)), ms(3000));
    assert_eq!(
        i.timer(),
        Some((
            TimerKind::MasterDown,
            ms(2000) + Duration::from_micros(8_609_375)
        ))
    );
}

#[test]
fn shutdown_of_master_resigns_and_backup_takes_over_after_skew() {
    let mut master = started(config(255));
    let out = master.handle(Input::Shutdown, ms(2000));
    assert_eq!(
        out,
        vec![
            Action::CancelTimer(TimerKind::Advert),
            Action::CancelTimer(TimerKind::GarpDelay),
            mcast(v2_advert(0)),
            Action::RemoveVips(vips()),
            Action::Transition {
                from: State::Master,
                to: State::Stop
            },
        ]
    );
    // Stopped instances ignore everything.
    assert!(master.handle(Input::Startup, ms(2001)).is_empty());
    assert!(master.handle(hear(100, addr(2)), ms(2001)).is_empty());

    let mut backup = started(config(100));
    backup.handle(hear(255, addr(2)), ms(1000));
    let out = backup.handle(hear(0, addr(2)), ms(2000));
    assert_eq!(
        out,
        vec![Action::SetTimer {
            at: ms(2000) + Duration::from_micros(609_375),
            kind: TimerKind::MasterDown
        }]
    );
    let (_, out) = fire(&mut backup);
    assert_eq!(backup.state(), State::Master);
    assert_eq!(transitions(&out), vec![(State::Backup, State::Master)]);
}

#[test]
fn shutdown_of_backup_sends_nothing() {
    let mut i = started(config(100));
    let out = i.handle(Input::Shutdown, ms(10));
    assert_eq!(
        out,
        vec![
            Action::CancelTimer(TimerKind::MasterDown),
            Action::Transition {
                from: State::Backup,
                to: State::Stop
            },
        ]
    );
}

#[test]
fn master_answers_a_resigning_router_at_once() {
    let mut i = started(config(255));
    let out = i.handle(hear(0, addr(2)), ms(300));
    assert_eq!(sent_priorities(&out), vec![255]);
    assert_eq!(i.state(), State::Master);
}

#[test]
fn fault_and_recovery() {
    let mut i = started(config(100));
    fire(&mut i);
    let out = i.handle(Input::InterfaceDown, ms(5000));
    assert_eq!(
        out,
        vec![
            Action::CancelTimer(TimerKind::Advert),
            Action::CancelTimer(TimerKind::GarpDelay),
            Action::RemoveVips(vips()),
            Action::Transition {
                from: State::Master,
                to: State::Fault
            },
        ]
    );
    // In Fault: adverts and stale timers mean nothing.
    assert!(i.handle(hear(50, addr(2)), ms(6000)).is_empty());
    assert!(i
        .handle(Input::Timer(TimerKind::Advert), ms(6000))
        .is_empty());
    let out = i.handle(Input::InterfaceUp, ms(7000));
    assert_eq!(
        out,
        vec![
            Action::Transition {
                from: State::Fault,
                to: State::Backup
            },
            Action::SetTimer {
                at: ms(7000) + Duration::from_micros(3_609_375),
                kind: TimerKind::MasterDown
            },
        ]
    );
    // A second InterfaceUp is a no-op.
    assert!(i.handle(Input::InterfaceUp, ms(7001)).is_empty());

    // The owner returns straight to Master.
    let mut owner = started(config(255));
    owner.handle(Input::InterfaceDown, ms(1));
    let out = owner.handle(Input::InterfaceUp, ms(2));
    assert_eq!(transitions(&out), vec![(State::Fault, State::Master)]);
}

#[test]
fn interface_down_before_startup_is_fault() {
    let mut i = Instance::new(config(100)).unwrap();
    let out = i.handle(Input::InterfaceDown, Time::ZERO);
    assert_eq!(transitions(&out), vec![(State::Initialize, State::Fault)]);
    let out = i.handle(Input::InterfaceUp, ms(1));
    assert_eq!(transitions(&out), vec![(State::Fault, State::Backup)]);
}

#[test]
fn priority_change_shows_in_adverts_and_skew() {
    let mut i = started(config(100));
    i.handle(Input::PriorityChange(0), ms(1));
    assert_eq!(i.priority(), 1, "clamped to 1");
    i.handle(Input::PriorityChange(200), ms(2));
    assert_eq!(i.skew_time(), Duration::from_micros(218_750)); // 56/256 s
    let (_, out) = fire(&mut i);
    assert_eq!(sent_priorities(&out), vec![200]);
}

#[test]
fn v3_backup_learns_the_master_interval() {
    let mut c = config(100);
    c.version = ProtocolVersion::V3;
    c.advert_interval = Duration::from_millis(100);
    let mut i = started(c);
    assert_eq!(
        i.timer(),
        Some((
            TimerKind::MasterDown,
            Time(Duration::from_micros(360_937)) + Duration::from_nanos(500)
        ))
    );
    // The master advertises every 2 s: skew and master-down use 2 s.
    let advert = Advertisement {
        version: Version::V3 {
            max_advert_interval_cs: 200,
        },
        vrid: 51,
        priority: 200,
        addresses: vips(),
        checksum: ChecksumMode::Rfc,
    };
    i.handle(
        Input::Advert {
            advert,
            from: addr(2),
        },
        ms(50),
    );
    assert_eq!(i.master_down_interval(), Duration::from_micros(7_218_750));
    assert_eq!(
        i.timer(),
        Some((
            TimerKind::MasterDown,
            ms(50) + Duration::from_micros(7_218_750)
        ))
    );
    // Once Master it advertises its own 10 cs.
    let (_, out) = fire(&mut i);
    match &out[0] {
        Action::SendAdvert { advert: a, .. } => assert_eq!(
            a.version,
            Version::V3 {
                max_advert_interval_cs: 10
            }
        ),
        other => panic!("expected an advert first, got {other:?}"),
    }
    assert_eq!(
        i.master_down_interval(),
        Duration::from_micros(360_937) + Duration::from_nanos(500)
    );
}

#[test]
fn invalid_configs_are_rejected() {
    let bad = |f: fn(&mut InstanceConfig)| {
        let mut c = config(100);
        f(&mut c);
        Instance::new(c).unwrap_err()
    };
    assert_eq!(bad(|c| c.vrid = 0), ConfigError::Vrid);
    assert_eq!(bad(|c| c.priority = 0), ConfigError::Priority);
    assert_eq!(
        bad(|c| c.down_timer_adverts = 0),
        ConfigError::DownTimerAdverts
    );
    assert_eq!(
        bad(|c| c.advert_interval = Duration::from_millis(1500)),
        ConfigError::V2Interval
    );
    assert_eq!(
        bad(|c| c.advert_interval = Duration::from_secs(256)),
        ConfigError::V2Interval
    );
    assert_eq!(
        bad(|c| {
            c.version = ProtocolVersion::V3;
            c.advert_interval = Duration::from_millis(15);
        }),
        ConfigError::V3Interval
    );
    assert_eq!(
        bad(|c| {
            c.version = ProtocolVersion::V3;
            c.advert_interval = Duration::from_millis(40_960);
        }),
        ConfigError::V3Interval
    );
}

/// A Master faulted by tracking still has its interface: it resigns with a priority-0 advert so
/// the backup takes over after Skew_Time, as on shutdown. One faulted by its interface going
/// down cannot send, and does not try.
#[test]
fn tracking_fault_of_a_master_resigns_with_priority_zero() {
    let resign_priorities = |input: Input| {
        let mut i = started(config(100));
        fire(&mut i);
        assert_eq!(i.state(), State::Master);
        let out = i.handle(input, ms(5000));
        assert_eq!(transitions(&out), vec![(State::Master, State::Fault)]);
        assert!(out.iter().any(|a| matches!(a, Action::RemoveVips(_))));
        out.iter()
            .filter_map(|a| match a {
                Action::SendAdvert { advert, .. } => Some(advert.priority),
                _ => None,
            })
            .collect::<Vec<u8>>()
    };
    assert_eq!(resign_priorities(Input::TrackFault), vec![0]);
    assert_eq!(resign_priorities(Input::InterfaceDown), Vec::<u8>::new());
}

/// PreemptHold: a Backup that would preempt a live lower-priority master waits (looking again
/// when that master would have been silent for Master_Down_Interval), and PreemptRelease lets it
/// preempt at once.
#[test]
fn a_held_preemption_waits_for_the_release() {
    let mut i = started(config(100));
    i.handle(Input::PreemptHold, Time::ZERO);
    // The lower master advertises every second for 20 s: no takeover.
    for s in 1..=20 {
        let now = ms(s * 1000);
        while let Some((TimerKind::MasterDown, at)) = i.timer().filter(|&(_, at)| at <= now) {
            let out = i.handle(Input::Timer(TimerKind::MasterDown), at);
            assert!(
                transitions(&out).is_empty(),
                "preempted at {at:?} while held"
            );
        }
        i.handle(hear(50, addr(2)), now);
    }
    assert_eq!(i.state(), State::Backup);
    assert_eq!(i.timer().map(|(k, _)| k), Some(TimerKind::MasterDown));
    let out = i.handle(Input::PreemptRelease, ms(20_500));
    assert_eq!(transitions(&out), vec![(State::Backup, State::Master)]);
    assert_eq!(sent_priorities(&out), vec![100]);
}

/// A hold never delays a takeover from a master that went silent, nor one after a master
/// resigned (priority 0), nor the first election with no master at all.
#[test]
fn a_hold_never_delays_a_takeover() {
    let mdi = Duration::from_micros(3_609_375);
    // The lower master advertises until 5 s, then dies: takeover at its last advert + MDI.
    let mut i = started(config(100));
    i.handle(Input::PreemptHold, Time::ZERO);
    for s in 1..=5 {
        let now = ms(s * 1000);
        while let Some((TimerKind::MasterDown, at)) = i.timer().filter(|&(_, at)| at <= now) {
            i.handle(Input::Timer(TimerKind::MasterDown), at);
        }
        i.handle(hear(50, addr(2)), now);
    }
    let (at, out) = fire(&mut i);
    assert!(
        transitions(&out).is_empty(),
        "still within MDI of an advert at {at:?}"
    );
    let (at, out) = fire(&mut i);
    assert_eq!(at, ms(5000) + mdi);
    assert_eq!(transitions(&out), vec![(State::Backup, State::Master)]);

    // Priority 0 from the lower master: Skew_Time, held or not.
    let mut i = started(config(100));
    i.handle(Input::PreemptHold, Time::ZERO);
    i.handle(hear(50, addr(2)), ms(1000));
    i.handle(hear(0, addr(2)), ms(1500));
    let (at, out) = fire(&mut i);
    assert_eq!(at, ms(1500) + Duration::from_micros(609_375));
    assert_eq!(transitions(&out), vec![(State::Backup, State::Master)]);

    // Nobody else: Master_Down_Interval after startup.
    let mut i = started(config(100));
    i.handle(Input::PreemptHold, Time::ZERO);
    let (at, out) = fire(&mut i);
    assert_eq!(at, Time::ZERO + mdi);
    assert_eq!(transitions(&out), vec![(State::Backup, State::Master)]);
}

/// With preempt_delay the hold adds nothing while it is released before the delay runs out;
/// a release with no preemption due changes nothing; a higher master clears a blocked one.
#[test]
fn a_hold_released_in_time_changes_nothing() {
    let mut c = config(100);
    c.preempt_delay = Duration::from_secs(10);
    let mut i = started(c);
    i.handle(Input::PreemptHold, Time::ZERO);
    i.handle(hear(50, addr(2)), ms(1000));
    assert!(i.handle(Input::PreemptRelease, ms(5000)).is_empty());
    for s in 2..=13 {
        i.handle(hear(50, addr(2)), ms(s * 1000));
    }
    let (at, out) = fire(&mut i);
    assert_eq!(at, Time::ZERO + Duration::from_micros(13_609_375));
    assert_eq!(transitions(&out), vec![(State::Backup, State::Master)]);

    // Blocked, then a higher master appears: the release does not make us preempt it.
    let mut i = started(config(100));
    i.handle(Input::PreemptHold, Time::ZERO);
    for s in 1..=4 {
        let now = ms(s * 1000);
        while let Some((TimerKind::MasterDown, at)) = i.timer().filter(|&(_, at)| at <= now) {
            i.handle(Input::Timer(TimerKind::MasterDown), at);
        }
        i.handle(hear(50, addr(2)), now);
    }
    i.handle(hear(200, addr(3)), ms(4500));
    assert!(transitions(&i.handle(Input::PreemptRelease, ms(4600))).is_empty());
    assert_eq!(i.state(), State::Backup);
}

/// A reload to `nopreempt` drops a held preemption: the release then does not take over.
#[test]
fn a_held_preemption_is_dropped_by_nopreempt() {
    let mut i = started(config(100));
    i.handle(Input::PreemptHold, Time::ZERO);
    for s in 1..=5 {
        let now = ms(s * 1000);
        while let Some((TimerKind::MasterDown, at)) = i.timer().filter(|&(_, at)| at <= now) {
            i.handle(Input::Timer(TimerKind::MasterDown), at);
        }
        i.handle(hear(50, addr(2)), now);
    }
    let mut c = config(100);
    c.preempt = false;
    i.reconfigure(c, ms(5100)).unwrap();
    assert!(transitions(&i.handle(Input::PreemptRelease, ms(5200))).is_empty());
    assert_eq!(i.state(), State::Backup);
}
