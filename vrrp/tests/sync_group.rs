//! Sync groups: the pure coordinator, and two instances on one router kept together by it.

mod common;

use common::secs;

use std::net::{IpAddr, Ipv4Addr};

use vrrp::{
    Action, Input, Instance, InstanceConfig, State, SyncGroup, Time, TimerKind, WantedState,
};

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
            queue.extend(self.group.on_actions(m, &actions));
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

#[test]
fn a_fault_moves_the_others_to_backup_and_recovery_brings_both_back() {
    let mut r = Router::new(vec![config(1, 100), config(2, 100)]);
    r.start();
    r.run_until(secs(10));
    assert_eq!(r.states(), vec![State::Master, State::Master]);

    // Member 0's tracked script (weight 0) fails.
    r.feed(0, Input::TrackFault);
    assert_eq!(r.states(), vec![State::Fault, State::Backup]);
    // Member 1 resigned with priority 0 so a peer would take over quickly.
    assert_eq!(r.sent.last(), Some(&(1, 0)));
    assert!(r.group.faulty());

    // Held: member 1's master-down timer runs out again and again, it stays Backup.
    r.run_until(secs(30));
    assert_eq!(r.states(), vec![State::Fault, State::Backup]);
    // And a forced Master is refused while held.
    r.feed(1, Input::GroupForce(WantedState::Master));
    assert_eq!(r.states(), vec![State::Fault, State::Backup]);

    // Recovery: member 0 restarts as Backup, the group is released, both become Master again.
    r.feed(0, Input::TrackOk);
    assert_eq!(r.states(), vec![State::Backup, State::Backup]);
    assert!(!r.group.faulty());
    r.run_until(secs(40));
    assert_eq!(r.states(), vec![State::Master, State::Master]);
}

#[test]
fn two_faults_keep_the_group_out_of_master_until_both_recover() {
    let mut r = Router::new(vec![config(1, 100), config(2, 100)]);
    r.start();
    r.run_until(secs(10));
    r.feed(0, Input::InterfaceDown);
    r.feed(1, Input::TrackFault);
    assert_eq!(r.states(), vec![State::Fault, State::Fault]);
    // Member 0 recovers, but member 1 is still in Fault: 0 must stay Backup.
    r.feed(0, Input::InterfaceUp);
    r.run_until(secs(30));
    assert_eq!(r.states(), vec![State::Backup, State::Fault]);
    r.feed(1, Input::TrackOk);
    r.run_until(secs(40));
    assert_eq!(r.states(), vec![State::Master, State::Master]);
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
    // c faults: everyone is held (c included, so it cannot come back as Master alone).
    assert_eq!(
        g.on_transition(2, State::Backup, State::Fault),
        vec![
            (0, Input::GroupHold),
            (1, Input::GroupHold),
            (2, Input::GroupHold)
        ]
    );
    // c comes back: released.
    assert_eq!(
        g.on_transition(2, State::Fault, State::Backup),
        vec![
            (0, Input::GroupRelease),
            (1, Input::GroupRelease),
            (2, Input::GroupRelease)
        ]
    );
}

#[test]
fn a_master_is_never_forced_while_a_member_is_in_fault() {
    let mut g = SyncGroup::new(["a", "b"]);
    g.on_transition(0, State::Initialize, State::Fault);
    g.on_transition(1, State::Initialize, State::Backup);
    // Should not happen with held instances, but the group must not spread it.
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

#[test]
fn a_held_owner_starts_as_backup() {
    let mut i = Instance::new(config(1, 255)).unwrap();
    i.handle(Input::GroupHold, Time::ZERO);
    i.handle(Input::Startup, Time::ZERO);
    assert_eq!(i.state(), State::Backup);
    assert_eq!(i.timer().map(|t| t.0), Some(TimerKind::MasterDown));
}

/// A group rebuilt by a reload around running members: a Master pulls the Backups up; a Fault
/// holds everyone; members already together get nothing.
#[test]
fn a_rebuilt_group_rejoins_its_running_members() {
    use vrrp::{Input, State, SyncGroup, WantedState};
    let mut g = SyncGroup::new(["a", "b", "c"]);
    assert_eq!(
        g.rejoin(&[State::Backup, State::Master, State::Backup]),
        vec![
            (0, Input::GroupForce(WantedState::Master)),
            (2, Input::GroupForce(WantedState::Master))
        ]
    );
    let mut g = SyncGroup::new(["a", "b"]);
    assert_eq!(g.rejoin(&[State::Master, State::Master]), vec![]);
    assert_eq!(g.rejoin(&[State::Backup, State::Backup]), vec![]);
    let mut g = SyncGroup::new(["a", "b"]);
    assert_eq!(
        g.rejoin(&[State::Fault, State::Master]),
        vec![(0, Input::GroupHold), (1, Input::GroupHold)]
    );
    // The holds are remembered: the Fault member's recovery releases them.
    let out = g.on_transition(0, State::Fault, State::Backup);
    assert!(out.contains(&(0, Input::GroupRelease)) && out.contains(&(1, Input::GroupRelease)));
}
