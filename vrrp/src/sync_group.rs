//! A sync group (keepalived's `vrrp_sync_group`): member instances that change state together.
//!
//! Pure coordinator: after each input it feeds a member, the daemon gives it that member's
//! actions and whether the member is in Fault of its own ([`SyncGroup::on_member`]), and feeds
//! the returned `(member, Input)` pairs to the members, whose answers come back in turn. The
//! rules, from keepalived.conf(5) ("all instances in the group are MASTER or ... all either
//! BACKUP or FAULT") and keepalived 2.2.7's behaviour (measured):
//! - a member becomes Master: every other Backup member is forced Master
//!   ([`Input::GroupForce`]`(Master)`);
//! - a member steps down from Master to Backup: every other Master member is forced Backup;
//! - while any member is in Fault of its own (its interface, its tracking), every member is put
//!   in Fault ([`Input::GroupFault`]): a Master resigns, and a member's own recovery does not
//!   take it out. When the last member's own fault ends, all are released
//!   ([`Input::GroupRelease`]), that member first, and go to Backup and elect again.
//!
//! - a gated member ([`crate::InstanceConfig::sync_group_gate`]: a group not made of address
//!   owners only) whose master-down timer ran out only wants to be Master: it is forced Master
//!   ([`Input::GroupForce`]`(Master)`, the others following by the first rule) once every other
//!   member is Master or wants to be too. So the group goes Master when its last member's timer
//!   runs out, and stays Backup while a peer is still master of one member (keepalived 2.2.7,
//!   measured: no flapping between routers that split a group).
//!
//! The group's fault follows only the members' own faults, never their states: a member in
//! Fault because of the group holds nobody, so two members can never hold each other in Fault.
//!
//! Members are indices 0..n in the order given to [`SyncGroup::new`]. Outputs are in member
//! order (a release: the member that ended the fault first), so runs are deterministic.

use crate::action::{Action, Input, State};
use crate::instance::WantedState;

/// What a group needs to know of a member after each input fed to it
/// ([`crate::Instance::member_view`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MemberView {
    /// [`crate::Instance::own_fault`].
    pub own_fault: bool,
    /// [`crate::Instance::wants_master`].
    pub wants_master: bool,
}

/// The coordinator of one sync group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncGroup {
    names: Vec<String>,
    /// Each member's state as last reported.
    states: Vec<State>,
    /// Each member's own fault as last reported.
    own_faults: Vec<bool>,
    /// Each member's wish to be Master as last reported.
    wants_master: Vec<bool>,
    /// Whether the members have been sent GroupFault without a later GroupRelease.
    faulted: bool,
}

impl SyncGroup {
    /// A group of these members (instance names, for the caller); all start in Initialize.
    pub fn new<S: Into<String>>(members: impl IntoIterator<Item = S>) -> SyncGroup {
        let names: Vec<String> = members.into_iter().map(Into::into).collect();
        let n = names.len();
        SyncGroup {
            names,
            states: vec![State::Initialize; n],
            own_faults: vec![false; n],
            wants_master: vec![false; n],
            faulted: false,
        }
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// The index of the member called `name`.
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name)
    }

    pub fn name(&self, member: usize) -> &str {
        &self.names[member]
    }

    /// A member's state as last reported.
    pub fn state(&self, member: usize) -> State {
        self.states[member]
    }

    /// Whether some member is in Fault of its own (so every member is held in Fault).
    pub fn faulty(&self) -> bool {
        self.own_faults.contains(&true)
    }

    /// The group rebuilt around members that already run (a reload changed its members): takes
    /// their states and own faults as they are (in member order) and returns what brings them
    /// together: every member put in Fault while one is in Fault of its own (those that are in
    /// Fault only because of their old group released), otherwise the Backup members forced
    /// Master when one is Master. Members already together get nothing.
    pub fn rejoin(&mut self, states: &[State], own_faults: &[bool]) -> Vec<(usize, Input)> {
        self.states = states.to_vec();
        self.states.resize(self.names.len(), State::Initialize);
        self.own_faults = own_faults.to_vec();
        self.own_faults.resize(self.names.len(), false);
        self.wants_master = vec![false; self.names.len()];
        self.faulted = self.faulty();
        let input = if self.faulted {
            Input::GroupFault
        } else {
            Input::GroupRelease
        };
        let mut out: Vec<(usize, Input)> = (0..self.len()).map(|i| (i, input.clone())).collect();
        if !self.faulted && self.states.contains(&State::Master) {
            for i in 0..self.len() {
                if self.states[i] == State::Backup {
                    out.push((i, Input::GroupForce(WantedState::Master)));
                }
            }
        }
        out
    }

    /// One member was fed an input: `view` is what it says of itself now, `actions` its
    /// answer. Returns what to feed the members.
    pub fn on_member(
        &mut self,
        member: usize,
        view: MemberView,
        actions: &[Action],
    ) -> Vec<(usize, Input)> {
        let mut out = Vec::new();
        for a in actions {
            if let Action::Transition { from, to } = *a {
                out.extend(self.on_transition(member, from, to));
            }
        }
        out.extend(self.on_own_fault(member, view.own_fault));
        out.extend(self.on_wants_master(member, view.wants_master));
        out
    }

    /// Member `member` wants to be Master (`wants`), or no longer does: when it does, and every
    /// other member is Master or wants to be, it is made Master (and the others with it).
    pub fn on_wants_master(&mut self, member: usize, wants: bool) -> Vec<(usize, Input)> {
        self.wants_master[member] = wants;
        let all = (0..self.len())
            .all(|i| i == member || self.wants_master[i] || self.states[i] == State::Master);
        if wants && all && !self.faulted && self.states[member] == State::Backup {
            return vec![(member, Input::GroupForce(WantedState::Master))];
        }
        Vec::new()
    }

    /// Member `member`'s own fault is now `own_fault`: the members are put in Fault when the
    /// first member's begins, released (that member first) when the last one's ends.
    pub fn on_own_fault(&mut self, member: usize, own_fault: bool) -> Vec<(usize, Input)> {
        self.own_faults[member] = own_fault;
        let faulty = self.faulty();
        if faulty == self.faulted {
            return Vec::new();
        }
        self.faulted = faulty;
        if faulty {
            return (0..self.len()).map(|i| (i, Input::GroupFault)).collect();
        }
        std::iter::once(member)
            .chain((0..self.len()).filter(|&i| i != member))
            .map(|i| (i, Input::GroupRelease))
            .collect()
    }

    /// One member moved from `from` to `to`; returns the `(member, input)` pairs to feed.
    pub fn on_transition(&mut self, member: usize, from: State, to: State) -> Vec<(usize, Input)> {
        self.states[member] = to;
        let mut out = Vec::new();
        let force = match (from, to) {
            (_, State::Master) if !self.faulted => Some((State::Backup, WantedState::Master)),
            (State::Master, State::Backup) => Some((State::Master, WantedState::Backup)),
            _ => None,
        };
        if let Some((in_state, wanted)) = force {
            for i in (0..self.len()).filter(|&i| i != member) {
                if self.states[i] == in_state {
                    out.push((i, Input::GroupForce(wanted)));
                }
            }
        }
        out
    }
}
