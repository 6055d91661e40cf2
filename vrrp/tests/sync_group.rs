//! Sync groups: the pure coordinator, and two instances on one router kept together by it.

mod common;

use common::{ms, secs};

use std::net::{IpAddr, Ipv4Addr};

use vrrp::{
    Action, Input, Instance, InstanceConfig, MemberView, State, SyncGroup, Time, TimerKind,
    WantedState,
};

/// A member that does not want to be Master, in Fault of its own or not.
fn fault(own_fault: bool) -> MemberView {
    MemberView {
        own_fault,
        wants_master: false,
    }
}

fn config(vrid: u8, priority: u8) -> InstanceConfig {
    InstanceConfig::new(
        vrid,
        priority,
        IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)),
        vec![IpAddr::V4(Ipv4Addr::new(10, 0, vrid, 100))],
    )
}

/// Several instances of one router in one sync group, no peers, on a virtual clock.
struct Router {
    members: Vec<Instance>,
    group: SyncGroup,
    now: Time,
    /// Every (time, member, from, to).
    log: Vec<(Time, usize, State, State)>,
    /// Every advert sent: (member, priority).
    sent: Vec<(usize, u8)>,
}

impl Router {
    fn new(configs: Vec<InstanceConfig>) -> Router {
        let n = configs.len();
        Router {
            members: configs
                .into_iter()
                .map(|c| Instance::new(c).unwrap())
                .collect(),
            group: SyncGroup::new((0..n).map(|i| format!("VI_{i}"))),
            now: Time::ZERO,
            log: Vec::new(),
            sent: Vec::new(),
        }
    }

    /// Feeds `input` to member `m`, then whatever the group asks, until nothing is left.
    fn feed(&mut self, m: usize, input: Input) {
        let mut queue = vec![(m, input)];
        let mut steps = 0;
        while !queue.is_empty() {
            let (m, input) = queue.remove(0);
            let actions = self.members[m].handle(input, self.now);
            for a in &actions {
                match a {
                    Action::Transition { from, to } => self.log.push((self.now, m, *from, *to)),
                    Action::SendAdvert { advert: ad, .. } => self.sent.push((m, ad.priority)),
                    _ => {}
                }
            }
            let view = self.members[m].member_view();
            queue.extend(self.group.on_member(m, view, &actions));
            steps += 1;
            assert!(steps < 100, "sync group does not settle");
        }
    }

    fn start(&mut self) {
        for m in 0..self.members.len() {
            self.feed(m, Input::Startup);
        }
    }

    /// Fires timers in time order (lower member first on ties) up to `until`.
    fn run_until(&mut self, until: Time) {
        loop {
            let next = (0..self.members.len())
                .filter_map(|m| self.members[m].timer().map(|(k, at)| (at, m, k)))
                .min_by_key(|&(at, m, _)| (at, m));
            match next {
                Some((at, m, kind)) if at <= until => {
                    self.now = at;
                    self.feed(m, Input::Timer(kind));
                }
                _ => break,
            }
        }
        self.now = until;
    }

    fn states(&self) -> Vec<State> {
        self.members.iter().map(Instance::state).collect()
    }
}

#[test]
fn first_master_pulls_the_others_to_master_at_once() {
    // Priority 200 times out first (smaller skew); 100 follows at the same instant.
    let mut r = Router::new(vec![config(1, 100), config(2, 200)]);
    r.start();
    r.run_until(secs(10));
    assert_eq!(r.states(), vec![State::Master, State::Master]);
    let masters: Vec<_> = r.log.iter().filter(|e| e.3 == State::Master).collect();
    assert_eq!(masters.len(), 2);
    assert_eq!(masters[0].1, 1, "the higher priority timed out first");
    assert_eq!(masters[0].0, masters[1].0, "the other followed at once");
}

/// A member of a gated group (`sync_group_gate`: not all address owners), as the daemon
/// plans it.
fn gated(vrid: u8, priority: u8) -> InstanceConfig {
    InstanceConfig {
        sync_group_gate: true,
        ..config(vrid, priority)
    }
}

/// keepalived 2.2.7 (measured, priorities 150 and 100, no peer): the group goes Master when
/// its last member's master-down timer runs out (3.65 s from start, not 3.45 s), that member
/// first, then the other.
#[test]
fn a_gated_group_goes_master_when_its_last_member_times_out() {
    let mut r = Router::new(vec![gated(1, 150), gated(2, 100)]);
    r.start();
    let first = vrrp::master_down_interval(3, 150, std::time::Duration::from_secs(1));
    let last = vrrp::master_down_interval(3, 100, std::time::Duration::from_secs(1));
    r.run_until(Time::ZERO + first);
    assert_eq!(r.states(), vec![State::Backup, State::Backup]);
    assert!(r.members[0].wants_master() && !r.members[1].wants_master());
    r.run_until(Time::ZERO + last);
    assert_eq!(r.states(), vec![State::Master, State::Master]);
    let masters: Vec<_> = r.log.iter().filter(|e| e.3 == State::Master).collect();
    assert_eq!(masters[0].1, 1, "the member that timed out last first");
    assert!(masters.iter().all(|e| e.0 == Time::ZERO + last));
    assert!(!r.members[0].wants_master(), "a Master wants nothing more");
}

/// keepalived 2.2.7 (measured, a peer master of VI_2 only, at priority 200): the group stays
/// Backup; VI_1 times out again and again (`Receive advertisement timeout` every
/// Master_Down_Interval) but nobody becomes Master. Ungated, the group would flap: VI_1
/// Master, VI_2 forced Master, VI_2 back to Backup on the peer's next advert, VI_1 with it.
#[test]
fn a_gated_group_stays_backup_while_a_peer_masters_one_member() {
    let mut r = mastered_on_member_1_for_30s(vec![gated(1, 100), gated(2, 100)]);
    assert_eq!(r.states(), vec![State::Backup, State::Backup]);
    assert!(r.log.iter().all(|e| e.3 != State::Master), "{:?}", r.log);
    assert!(r.members[0].wants_master());
    // The peer goes silent: VI_2 times out too, and the group goes Master.
    r.run_until(secs(34));
    assert_eq!(r.states(), vec![State::Master, State::Master]);
}

/// The same without the gate flaps, which is what keepalived-rs did before.
#[test]
fn an_ungated_group_flaps_while_a_peer_masters_one_member() {
    let r = mastered_on_member_1_for_30s(vec![config(1, 100), config(2, 100)]);
    assert!(r.log.iter().filter(|e| e.3 == State::Master).count() > 4);
}

/// A router of these members, started, whose member 1 hears a priority-200 master every
/// second for 30 s and member 0 nobody.
fn mastered_on_member_1_for_30s(members: Vec<InstanceConfig>) -> Router {
    let mut r = Router::new(members);
    r.start();
    for t in 0..30 {
        r.run_until(secs(t));
        r.feed(1, common::hear(200, common::addr(2)));
    }
    r
}

/// keepalived 2.2.7 (measured): an address owner in a group with a non-owner starts Backup
/// and waits its Master_Down_Interval (3.0 s at 1 s adverts), then for the other member;
/// both go Master at the non-owner's timer (3.6 s at priority 100).
#[test]
fn an_owner_in_a_gated_group_starts_backup_and_waits_for_the_others() {
    let mut r = Router::new(vec![gated(1, 255), gated(2, 100)]);
    r.start();
    assert_eq!(r.states(), vec![State::Backup, State::Backup]);
    r.run_until(ms(3100));
    assert_eq!(r.states(), vec![State::Backup, State::Backup]);
    assert!(r.members[0].wants_master());
    r.run_until(ms(3700));
    assert_eq!(r.states(), vec![State::Master, State::Master]);
}

/// keepalived 2.2.7 (measured): one member's own fault puts every member in FAULT (a Master
/// resigns with priority 0 first); when it ends every member goes BACKUP, then elects.
#[test]
fn a_fault_puts_every_member_in_fault_and_recovery_brings_all_back() {
    let mut r = Router::new(vec![config(1, 100), config(2, 100)]);
    r.start();
    r.run_until(secs(10));
    assert_eq!(r.states(), vec![State::Master, State::Master]);

    // Member 0's tracked script (weight 0) fails.
    let t = r.now;
    r.feed(0, Input::TrackFault);
    assert_eq!(r.states(), vec![State::Fault, State::Fault]);
    let faults: Vec<_> = r.log.iter().filter(|e| e.0 == t).map(|e| e.1).collect();
    assert_eq!(faults, [0, 1], "the faulty member first, then the group's");
    // Both resigned with priority 0 (their interface is up), so a peer takes over quickly.
    assert!(r.sent.contains(&(0, 0)) && r.sent.contains(&(1, 0)));
    assert!(r.group.faulty());
    assert!(!r.members[1].own_fault());

    // Held in Fault: no timer takes member 1 out, nor a forced Master.
    r.run_until(secs(30));
    r.feed(1, Input::GroupForce(WantedState::Master));
    assert_eq!(r.states(), vec![State::Fault, State::Fault]);

    // Recovery: member 0 goes Backup first, then member 1; both become Master again.
    let t = r.now;
    r.feed(0, Input::TrackOk);
    assert_eq!(r.states(), vec![State::Backup, State::Backup]);
    let backups: Vec<_> = r.log.iter().filter(|e| e.0 == t).map(|e| e.1).collect();
    assert_eq!(backups, [0, 1]);
    assert!(!r.group.faulty());
    r.run_until(secs(40));
    assert_eq!(r.states(), vec![State::Master, State::Master]);
}

/// keepalived 2.2.7 (measured): with two members in Fault of their own, the first one's
/// recovery changes nothing (no transition, no notify); the second's brings both back, that one
/// first.
#[test]
fn two_faults_keep_the_group_in_fault_until_both_recover() {
    let mut r = Router::new(vec![config(1, 100), config(2, 100)]);
    r.start();
    r.run_until(secs(10));
    r.feed(0, Input::InterfaceDown);
    // Member 1 is in Fault already (the group's); its own tracking fails too: no transition.
    let before = r.log.len();
    r.feed(1, Input::TrackFault);
    assert_eq!(r.log.len(), before);
    assert_eq!(r.states(), vec![State::Fault, State::Fault]);
    // Member 0 recovers, but member 1 is still in Fault of its own: nothing moves.
    r.feed(0, Input::InterfaceUp);
    r.run_until(secs(30));
    assert_eq!(r.log.len(), before);
    assert_eq!(r.states(), vec![State::Fault, State::Fault]);
    let t = r.now;
    r.feed(1, Input::TrackOk);
    let backups: Vec<_> = r.log.iter().filter(|e| e.0 == t).map(|e| e.1).collect();
    assert_eq!(backups, [1, 0], "the member that ended the fault first");
    r.run_until(secs(40));
    assert_eq!(r.states(), vec![State::Master, State::Master]);
}

/// Members held in Fault by their group never hold each other: whatever order the own faults
/// come and go in, once none is left every member leaves Fault.
#[test]
fn members_in_fault_never_hold_each_other() {
    // Every order of: member a's fault begins, member b's begins, a's ends, b's ends (a's
    // begin before its end, b's too), over three members.
    let events = [(0, true), (1, true), (0, false), (1, false)];
    let orders: Vec<[usize; 4]> = permutations4()
        .into_iter()
        .filter(|p| {
            let pos = |e: usize| p.iter().position(|&x| x == e).unwrap();
            pos(0) < pos(2) && pos(1) < pos(3)
        })
        .collect();
    assert_eq!(orders.len(), 6);
    for order in orders {
        for (a, b) in [(0, 1), (0, 2), (2, 1)] {
            let mut r = Router::new(vec![config(1, 100), config(2, 150), config(3, 200)]);
            r.start();
            r.run_until(secs(10));
            let mut faulty = [false; 2];
            for &e in &order {
                let (who, fault) = events[e];
                faulty[who] = fault;
                let input = if fault {
                    Input::TrackFault
                } else {
                    Input::TrackOk
                };
                r.feed([a, b][who], input);
                let expected = if faulty.contains(&true) {
                    State::Fault
                } else {
                    State::Backup
                };
                assert_eq!(r.states(), vec![expected; 3], "order {order:?} ({a}, {b})");
            }
            r.run_until(secs(40));
            assert_eq!(r.states(), vec![State::Master; 3], "order {order:?}");
        }
    }
}

fn permutations4() -> Vec<[usize; 4]> {
    let mut out = Vec::new();
    for a in 0..4 {
        for b in 0..4 {
            for c in 0..4 {
                for d in 0..4 {
                    let p = [a, b, c, d];
                    if (0..4).all(|x| p.contains(&x)) {
                        out.push(p);
                    }
                }
            }
        }
    }
    out
}

#[test]
fn a_member_stepping_down_takes_the_others_to_backup_fault_stays_fault() {
    let mut g = SyncGroup::new(["a", "b", "c"]);
    assert_eq!(g.index_of("c"), Some(2));
    for m in 0..3 {
        g.on_transition(m, State::Initialize, State::Backup);
    }
    // a becomes Master: b and c are forced Master.
    assert_eq!(
        g.on_transition(0, State::Backup, State::Master),
        vec![
            (1, Input::GroupForce(WantedState::Master)),
            (2, Input::GroupForce(WantedState::Master)),
        ]
    );
    g.on_transition(1, State::Backup, State::Master);
    g.on_transition(2, State::Backup, State::Master);
    // b hears a better master and steps down: the other Masters are forced Backup.
    assert_eq!(
        g.on_transition(1, State::Master, State::Backup),
        vec![
            (0, Input::GroupForce(WantedState::Backup)),
            (2, Input::GroupForce(WantedState::Backup)),
        ]
    );
    g.on_transition(0, State::Master, State::Backup);
    g.on_transition(2, State::Master, State::Backup);
    // c faults of its own: everyone is put in Fault (c included, so that its own recovery
    // cannot take it out alone while another member is faulty).
    let down = [Action::Transition {
        from: State::Backup,
        to: State::Fault,
    }];
    assert_eq!(
        g.on_member(2, fault(true), &down),
        vec![
            (0, Input::GroupFault),
            (1, Input::GroupFault),
            (2, Input::GroupFault)
        ]
    );
    g.on_transition(0, State::Backup, State::Fault);
    g.on_transition(1, State::Backup, State::Fault);
    // Members in Fault because of the group are not faulty of their own: nothing more.
    assert_eq!(g.on_member(0, fault(false), &[]), vec![]);
    // c's own fault ends (it stays in Fault, held): released, c first.
    assert_eq!(
        g.on_member(2, fault(false), &[]),
        vec![
            (2, Input::GroupRelease),
            (0, Input::GroupRelease),
            (1, Input::GroupRelease)
        ]
    );
}

#[test]
fn a_master_is_never_forced_while_a_member_is_in_fault() {
    let mut g = SyncGroup::new(["a", "b"]);
    g.on_own_fault(0, true);
    g.on_transition(0, State::Initialize, State::Fault);
    g.on_transition(1, State::Initialize, State::Backup);
    // Should not happen with members in Fault, but the group must not spread it.
    assert_eq!(g.on_transition(1, State::Backup, State::Master), vec![]);
}

#[test]
fn instances_ignore_group_forcing_in_fault() {
    let mut i = Instance::new(config(1, 100)).unwrap();
    i.handle(Input::Startup, Time::ZERO);
    i.handle(Input::InterfaceDown, Time::ZERO);
    assert!(i
        .handle(Input::GroupForce(WantedState::Master), secs(1))
        .is_empty());
    assert!(i
        .handle(Input::GroupForce(WantedState::Backup), secs(1))
        .is_empty());
    assert_eq!(i.state(), State::Fault);
}

/// A member put in Fault by its group before it starts stays in Fault through Startup, and
/// starts (an owner: Master at once) when released.
#[test]
fn a_member_faulted_before_startup_starts_when_released() {
    let mut i = Instance::new(config(1, 255)).unwrap();
    i.handle(Input::GroupFault, Time::ZERO);
    assert_eq!(i.state(), State::Fault);
    assert!(i.handle(Input::Startup, Time::ZERO).is_empty());
    assert!(!i.own_fault());
    i.handle(Input::GroupRelease, secs(1));
    assert_eq!(i.state(), State::Master);
    assert_eq!(i.timer().map(|t| t.0), Some(TimerKind::Advert));
}

/// A group rebuilt by a reload around running members: a Master pulls the Backups up; a member's
/// own fault puts everyone in Fault; otherwise everyone is released from an old group's fault.
#[test]
fn a_rebuilt_group_rejoins_its_running_members() {
    use vrrp::{Input, State, SyncGroup, WantedState};
    let released = |n: usize| (0..n).map(|i| (i, Input::GroupRelease)).collect::<Vec<_>>();
    let mut g = SyncGroup::new(["a", "b", "c"]);
    let mut expected = released(3);
    expected.extend([
        (0, Input::GroupForce(WantedState::Master)),
        (2, Input::GroupForce(WantedState::Master)),
    ]);
    assert_eq!(
        g.rejoin(&[State::Backup, State::Master, State::Backup], &[false; 3]),
        expected
    );
    let mut g = SyncGroup::new(["a", "b"]);
    assert_eq!(
        g.rejoin(&[State::Master, State::Master], &[false; 2]),
        released(2)
    );
    // In Fault because of an old group only: released.
    assert_eq!(
        g.rejoin(&[State::Fault, State::Backup], &[false; 2]),
        released(2)
    );
    let mut g = SyncGroup::new(["a", "b"]);
    assert_eq!(
        g.rejoin(&[State::Fault, State::Master], &[true, false]),
        vec![(0, Input::GroupFault), (1, Input::GroupFault)]
    );
    // The fault is remembered: the faulty member's recovery releases them.
    assert_eq!(g.on_own_fault(0, false), released(2));
}
