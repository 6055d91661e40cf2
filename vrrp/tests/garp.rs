//! GARP/NA scheduling and the advert options, one instance on a virtual clock: bursts on becoming
//! Master and after `garp_master_delay`, refresh while Master, lower-priority GARPs, the
//! split-brain burst, `lower_prio_no_advert`, `higher_prio_send_advert`, unicast peers with
//! `check_unicast_src`, and accept mode.

mod common;

use common::{addr, config, hear, secs, vips};

use std::net::IpAddr;
use std::time::Duration;

use vrrp::{Action, Destination, Input, Instance, InstanceConfig, State, Time, TimerKind};

/// Master_Down_Interval of a priority-100 instance with 1 s adverts: when it takes over.
const TAKEOVER: Duration = Duration::from_micros(3_609_375);

/// An instance on a virtual clock, recording every action with its time.
struct Clock {
    i: Instance,
    now: Time,
    log: Vec<(Time, Action)>,
}

impl Clock {
    fn start(config: InstanceConfig) -> Clock {
        let mut c = Clock {
            i: Instance::new(config).unwrap(),
            now: Time::ZERO,
            log: Vec::new(),
        };
        c.feed(Input::Startup);
        c
    }

    fn feed(&mut self, input: Input) -> Vec<Action> {
        let out = self.i.handle(input, self.now);
        self.log.extend(out.iter().cloned().map(|a| (self.now, a)));
        out
    }

    /// Fires every timer due up to `until`, earliest first, then sets the clock to `until`.
    fn run_until(&mut self, until: Time) {
        while let Some((kind, at)) = self.i.timer().filter(|&(_, at)| at <= until) {
            self.now = at;
            self.feed(Input::Timer(kind));
        }
        self.now = until;
    }

    /// Every GARP burst so far: (time, count).
    fn garps(&self) -> Vec<(Time, u32)> {
        self.log
            .iter()
            .filter_map(|(t, a)| match a {
                Action::SendGratuitous { vips: v, count } => {
                    assert_eq!(v, &vips());
                    Some((*t, *count))
                }
                _ => None,
            })
            .collect()
    }

    /// The Master at TAKEOVER, with the log cleared.
    fn master(config: InstanceConfig) -> Clock {
        let mut c = Clock::start(config);
        c.run_until(Time(TAKEOVER));
        assert_eq!(c.i.state(), State::Master);
        c.log.clear();
        c
    }
}

fn adverts(actions: &[Action]) -> Vec<(u8, Destination)> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::SendAdvert { advert, to } => Some((advert.priority, *to)),
            _ => None,
        })
        .collect()
}

#[test]
fn becoming_master_sends_a_burst_now_and_another_after_the_delay() {
    let mut c = Clock::start(config(100));
    c.run_until(secs(30));
    let t = Time(TAKEOVER);
    assert_eq!(c.garps(), vec![(t, 5), (t + Duration::from_secs(5), 5)]);
    // The burst comes after the addresses are added.
    let add = c
        .log
        .iter()
        .position(|(_, a)| matches!(a, Action::AddVips(_)));
    let garp = c
        .log
        .iter()
        .position(|(_, a)| matches!(a, Action::SendGratuitous { .. }));
    assert!(add < garp);
    assert_eq!(c.i.timer_at(TimerKind::GarpDelay), None);
}

#[test]
fn garp_master_delay_and_repeat_are_configurable() {
    let mut cfg = config(100);
    cfg.garp_master_delay = Duration::from_secs(10);
    cfg.garp_master_repeat = 2;
    let mut c = Clock::start(cfg);
    c.run_until(secs(30));
    let t = Time(TAKEOVER);
    assert_eq!(c.garps(), vec![(t, 2), (t + Duration::from_secs(10), 2)]);

    // Delay 0: no second burst, no timer.
    let mut cfg = config(100);
    cfg.garp_master_delay = Duration::ZERO;
    cfg.garp_master_repeat = 1;
    let mut c = Clock::start(cfg);
    c.run_until(secs(30));
    assert_eq!(c.garps(), vec![(Time(TAKEOVER), 1)]);
    assert!(!c.log.iter().any(|(_, a)| matches!(
        a,
        Action::SetTimer {
            kind: TimerKind::GarpDelay,
            ..
        }
    )));

    // Repeat 0: no GARP at all.
    let mut cfg = config(100);
    cfg.garp_master_repeat = 0;
    let mut c = Clock::start(cfg);
    c.run_until(secs(30));
    assert_eq!(c.garps(), vec![]);
}

#[test]
fn master_refreshes_garp_periodically_and_stops_when_leaving_master() {
    let mut cfg = config(100);
    cfg.garp_master_refresh = Duration::from_secs(60);
    cfg.garp_master_refresh_repeat = 2;
    let mut c = Clock::start(cfg);
    c.run_until(secs(200));
    let t = Time(TAKEOVER);
    assert_eq!(
        c.garps(),
        vec![
            (t, 5),
            (t + Duration::from_secs(5), 5),
            (t + Duration::from_secs(60), 2),
            (t + Duration::from_secs(120), 2),
            (t + Duration::from_secs(180), 2),
        ]
    );
    // A higher-priority master takes over: the refresh timer is cancelled, and firing it late
    // does nothing.
    let out = c.feed(hear(200, addr(2)));
    assert!(out.contains(&Action::CancelTimer(TimerKind::GarpRefresh)));
    assert_eq!(c.i.state(), State::Backup);
    assert_eq!(c.i.timer_at(TimerKind::GarpRefresh), None);
    assert!(c
        .i
        .handle(Input::Timer(TimerKind::GarpRefresh), secs(500))
        .is_empty());
}

/// keepalived 2.2.7's `garp_extra_if all 4` (measured): while Master, one message every 4 s,
/// the first 4 s after taking over, for the other interfaces' addresses only; the bursts on
/// taking over are as without it.
#[test]
fn garp_extra_if_sends_one_message_for_the_other_interfaces_every_interval() {
    let extra: IpAddr = "10.0.1.1".parse().unwrap();
    let mut cfg = config(100);
    cfg.garp_extra_if = Duration::from_secs(4);
    cfg.extra_if_addresses = vec![extra];
    let mut c = Clock::start(cfg);
    c.run_until(secs(20));
    let t = Time(TAKEOVER);
    let extra_sends: Vec<(Time, u32)> = c
        .log
        .iter()
        .filter_map(|(at, a)| match a {
            Action::SendGratuitous { vips, count } if vips == &vec![extra] => Some((*at, *count)),
            _ => None,
        })
        .collect();
    let want: Vec<(Time, u32)> = (1..=4)
        .map(|n| (t + Duration::from_secs(4 * n), 1))
        .collect();
    assert_eq!(extra_sends, want);
    // Leaving Master cancels it.
    let out = c.feed(hear(200, addr(2)));
    assert!(out.contains(&Action::CancelTimer(TimerKind::GarpExtraIf)));
    assert_eq!(c.i.timer_at(TimerKind::GarpExtraIf), None);
}

#[test]
fn refresh_is_off_by_default() {
    let mut c = Clock::start(config(100));
    c.run_until(secs(600));
    assert_eq!(c.garps().len(), 2);
    assert_eq!(c.i.timer_at(TimerKind::GarpRefresh), None);
}

#[test]
fn lower_priority_advert_schedules_a_delayed_burst() {
    let mut cfg = config(100);
    cfg.garp_lower_prio_delay = Some(Duration::from_secs(2));
    cfg.garp_lower_prio_repeat = Some(3);
    cfg.garp_master_delay = Duration::ZERO;
    let mut c = Clock::master(cfg);
    c.run_until(secs(10));
    let out = c.feed(hear(50, addr(2)));
    assert!(out.contains(&Action::SetTimer {
        at: secs(12),
        kind: TimerKind::GarpLowerPrio
    }));
    // A second lower-priority advert does not push the burst back.
    c.run_until(secs(11));
    let out = c.feed(hear(50, addr(2)));
    assert!(!out
        .iter()
        .any(|a| matches!(a, Action::SetTimer { kind, .. } if *kind == TimerKind::GarpLowerPrio)));
    c.run_until(secs(20));
    // Immediate (split-brain) bursts at 10 s and 11 s, the delayed one at 12 s, all of 3.
    assert_eq!(c.garps(), vec![(secs(10), 3), (secs(11), 3), (secs(12), 3)]);
    assert_eq!(c.i.state(), State::Master);
}

#[test]
fn lower_priority_garp_defaults_to_the_master_settings() {
    let mut cfg = config(100);
    cfg.garp_master_delay = Duration::from_secs(7);
    cfg.garp_master_repeat = 4;
    let mut c = Clock::master(cfg);
    // After the second master burst, so only lower-priority bursts remain.
    c.run_until(secs(20));
    c.log.clear();
    c.feed(hear(50, addr(2)));
    c.run_until(secs(40));
    assert_eq!(c.garps(), vec![(secs(20), 4), (secs(27), 4)]);
}

#[test]
fn split_brain_master_that_wins_sends_garp_at_once() {
    // Deliberately beyond keepalived: the burst comes before anything else, at the same instant,
    // even with the delayed lower-priority burst switched off.
    let mut cfg = config(100);
    cfg.garp_lower_prio_delay = Some(Duration::ZERO);
    let mut c = Clock::master(cfg);
    c.run_until(secs(4));
    let out = c.feed(hear(99, addr(2)));
    assert_eq!(
        out[0],
        Action::SendGratuitous {
            vips: vips(),
            count: 5
        }
    );
    assert_eq!(adverts(&out), vec![(100, Destination::Multicast)]);
    assert_eq!(c.i.timer_at(TimerKind::GarpLowerPrio), None);
    assert_eq!(c.i.state(), State::Master);
    // Equal priority from a lower address is discarded (RFC): no burst, no answer.
    assert!(c.feed(hear(100, addr(0))).is_empty());
    // A resigning router (priority 0) is not a second master: an advert, no burst.
    let out = c.feed(hear(0, addr(2)));
    assert_eq!(adverts(&out), vec![(100, Destination::Multicast)]);
    assert!(!out
        .iter()
        .any(|a| matches!(a, Action::SendGratuitous { .. })));
}

#[test]
fn lower_prio_no_advert_suppresses_the_answer_but_not_the_garps() {
    let mut cfg = config(100);
    cfg.lower_prio_no_advert = true;
    let mut c = Clock::master(cfg);
    c.run_until(secs(4));
    let out = c.feed(hear(50, addr(2)));
    assert_eq!(adverts(&out), vec![]);
    assert!(out.contains(&Action::SendGratuitous {
        vips: vips(),
        count: 5
    }));
    // Its regular adverts continue.
    c.log.clear();
    c.run_until(secs(6));
    let sent: Vec<Action> = c.log.iter().map(|(_, a)| a.clone()).collect();
    assert_eq!(adverts(&sent).len(), 2);
}

#[test]
fn higher_prio_send_advert_sends_one_advert_before_stepping_down() {
    let mut cfg = config(100);
    cfg.higher_prio_send_advert = true;
    let mut c = Clock::master(cfg);
    c.run_until(secs(4));
    let out = c.feed(hear(200, addr(2)));
    // First of all: our own advert, at our (lower) priority.
    assert!(matches!(
        &out[0],
        Action::SendAdvert { advert, to: Destination::Multicast } if advert.priority == 100
    ));
    assert_eq!(adverts(&out), vec![(100, Destination::Multicast)]);
    let transition = out
        .iter()
        .position(|a| matches!(a, Action::Transition { .. }))
        .unwrap();
    assert!(transition > 0);
    assert_eq!(c.i.state(), State::Backup);

    // Off by default: the Master steps down silently.
    let mut c = Clock::master(config(100));
    let out = c.feed(hear(200, addr(2)));
    assert_eq!(adverts(&out), vec![]);
    assert_eq!(c.i.state(), State::Backup);
    // Equal priority from a higher address also makes it step down, with the advert when set.
    let mut cfg = config(100);
    cfg.higher_prio_send_advert = true;
    let mut c = Clock::master(cfg);
    let out = c.feed(hear(100, addr(2)));
    assert_eq!(adverts(&out), vec![(100, Destination::Multicast)]);
    assert_eq!(c.i.state(), State::Backup);
}

#[test]
fn unicast_peers_get_one_advert_each() {
    let peers = vec![addr(2), addr(3)];
    let mut cfg = config(100);
    cfg.unicast_peers = peers.clone();
    let mut c = Clock::start(cfg);
    c.run_until(Time(TAKEOVER));
    let to_peers: Vec<(u8, Destination)> = peers
        .iter()
        .map(|&p| (100, Destination::Unicast(p)))
        .collect();
    let sent: Vec<Action> = c.log.iter().map(|(_, a)| a.clone()).collect();
    assert_eq!(adverts(&sent), to_peers);
    // The periodic advert, and the answer to a lower priority, fan out too.
    c.log.clear();
    c.run_until(Time(TAKEOVER) + Duration::from_secs(1));
    let sent: Vec<Action> = c.log.iter().map(|(_, a)| a.clone()).collect();
    assert_eq!(adverts(&sent), to_peers);
    assert_eq!(adverts(&c.feed(hear(50, addr(2)))), to_peers);
    // So does the resignation at shutdown.
    let out = c.feed(Input::Shutdown);
    assert_eq!(
        adverts(&out),
        peers
            .iter()
            .map(|&p| (0, Destination::Unicast(p)))
            .collect::<Vec<_>>()
    );
}

#[test]
fn check_unicast_src_ignores_adverts_from_non_peers() {
    let mut cfg = config(100);
    cfg.unicast_peers = vec![addr(2)];
    cfg.check_unicast_src = true;
    let mut c = Clock::start(cfg.clone());
    // A Backup: an advert from a stranger does not reset the master-down timer.
    c.now = secs(1);
    assert!(c.feed(hear(200, addr(9))).is_empty());
    assert_eq!(c.i.timer(), Some((TimerKind::MasterDown, Time(TAKEOVER))));
    // The peer's does.
    assert!(!c.feed(hear(200, addr(2))).is_empty());
    assert_eq!(
        c.i.timer(),
        Some((TimerKind::MasterDown, secs(1) + TAKEOVER))
    );
    // A Master ignores a stranger even at a higher priority.
    let mut c = Clock::master(cfg.clone());
    assert!(c.feed(hear(250, addr(9))).is_empty());
    assert_eq!(c.i.state(), State::Master);

    // Without the flag (keepalived's default) the stranger is heard.
    cfg.check_unicast_src = false;
    let mut c = Clock::master(cfg);
    c.feed(hear(250, addr(9)));
    assert_eq!(c.i.state(), State::Backup);
}

#[test]
fn check_unicast_src_without_peers_checks_nothing() {
    let mut cfg = config(100);
    cfg.check_unicast_src = true;
    let mut c = Clock::master(cfg);
    c.feed(hear(250, addr(9)));
    assert_eq!(c.i.state(), State::Backup);
}

#[test]
fn accept_mode_is_carried_and_reported_only() {
    let c = Clock::master(config(100));
    assert!(c.i.accept());
    let mut cfg = config(100);
    cfg.accept = false;
    let mut d = Clock::master(cfg);
    assert!(!d.i.accept());
    // Same behaviour either way.
    let mut c = c;
    c.run_until(secs(20));
    d.run_until(secs(20));
    assert_eq!(c.log, d.log);
}

#[test]
fn keepalived_defaults() {
    let c = config(100);
    assert_eq!(c.garp_master_delay, Duration::from_secs(5));
    assert_eq!(c.garp_master_repeat, 5);
    assert_eq!(c.garp_master_refresh, Duration::ZERO);
    assert_eq!(c.garp_master_refresh_repeat, 1);
    assert_eq!(c.lower_prio_delay(), Duration::from_secs(5));
    assert_eq!(c.lower_prio_repeat(), 5);
    assert!(!c.lower_prio_no_advert);
    assert!(!c.higher_prio_send_advert);
    assert!(c.unicast_peers.is_empty());
    assert!(!c.check_unicast_src);
    assert!(c.accept);
}

#[test]
fn several_timers_fire_in_time_order() {
    let mut cfg = config(100);
    cfg.garp_master_refresh = Duration::from_secs(5);
    let mut c = Clock::master(cfg);
    // Advert, GarpDelay and GarpRefresh all armed; the earliest is the advert.
    let armed: Vec<TimerKind> = c.i.timers().map(|(k, _)| k).collect();
    assert_eq!(
        armed,
        vec![
            TimerKind::Advert,
            TimerKind::GarpDelay,
            TimerKind::GarpRefresh
        ]
    );
    assert_eq!(c.i.timer().unwrap().0, TimerKind::Advert);
    // At TAKEOVER + 5 s the advert, the delayed burst and the refresh are all due; ties go in
    // TimerKind order and each fires once.
    c.run_until(Time(TAKEOVER) + Duration::from_secs(5));
    let t5 = Time(TAKEOVER) + Duration::from_secs(5);
    assert_eq!(c.garps(), vec![(t5, 5), (t5, 1)]);
    assert_eq!(
        c.i.timer_at(TimerKind::GarpRefresh),
        Some(t5 + Duration::from_secs(5))
    );
}

#[test]
fn early_or_cancelled_garp_timers_are_ignored() {
    let mut c = Clock::master(config(100));
    let at = c.i.timer_at(TimerKind::GarpDelay).unwrap();
    assert!(c
        .i
        .handle(
            Input::Timer(TimerKind::GarpDelay),
            Time(at.0 - Duration::from_millis(1))
        )
        .is_empty());
    assert!(c
        .i
        .handle(Input::Timer(TimerKind::GarpLowerPrio), at)
        .is_empty());
}

#[test]
fn two_masters_meet_and_the_winner_sends_garp_at_once() {
    // Adverts take 5 s to arrive, longer than Master_Down_Interval: both routers become Master
    // (split brain) before hearing each other.
    let latency = Duration::from_secs(5);
    let mut net = common::Network::new(
        [common::router_config(1, 200), common::router_config(2, 100)],
        [Time::ZERO, Time::ZERO],
        latency,
    );
    net.run_until(common::secs(4));
    assert_eq!((net.state(0), net.state(1)), (State::Master, State::Master));
    let first_master = net.log.iter().map(|e| e.0).max().unwrap();
    net.garps.clear();
    net.run_until(common::secs(12));
    assert_eq!((net.state(0), net.state(1)), (State::Master, State::Backup));
    // The winner's first sight of the loser's advert (sent when the loser became Master)
    // brings a burst at that very instant.
    let loser_master_at = net
        .log
        .iter()
        .find(|e| e.1 == 1 && e.3 == State::Master)
        .unwrap()
        .0;
    assert!(loser_master_at <= first_master);
    let heard_at = loser_master_at + latency;
    assert!(net.garps.contains(&(heard_at, 0, 5)));
}
