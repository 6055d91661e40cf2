//! A sync group (keepalived's `vrrp_sync_group`): member instances that change state together.
//!
//! Pure coordinator: the daemon feeds it every member's [`Action::Transition`] (via
//! [`SyncGroup::on_actions`] or [`SyncGroup::on_transition`]) and feeds the returned
//! `(member, Input)` pairs to those members, then feeds their transitions back in turn. The
//! rules, from keepalived.conf(5) ("all instances in the group are MASTER or ... all either
//! BACKUP or FAULT"):
//! - a member becomes Master: every other Backup member is forced Master
//!   ([`Input::GroupForce`]`(Master)`);
//! - a member steps down from Master to Backup: every other Master member is forced Backup;
//! - while any member is in Fault, every member is held ([`Input::GroupHold`]): it steps down if
//!   Master and does not take over; a Fault member stays Fault. When the last member leaves
//!   Fault, all are released ([`Input::GroupRelease`]) and elect again normally.
//!
//! Members are indices 0..n in the order given to [`SyncGroup::new`]. Outputs are in member
//! order, so runs are deterministic.

use crate::action::{Action, Input, State};
use crate::instance::WantedState;

/// The coordinator of one sync group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncGroup {
    names: Vec<String>,
    /// Each member's state as last reported.
    states: Vec<State>,
    /// Whether each member has been sent GroupHold without a later GroupRelease.
    held: Vec<bool>,
}

impl SyncGroup {
    /// A group of these members (instance names, for the caller); all start in Initialize.
    pub fn new<S: Into<String>>(members: impl IntoIterator<Item = S>) -> SyncGroup {
        let names: Vec<String> = members.into_iter().map(Into::into).collect();
        let n = names.len();
        SyncGroup {
            names,
            states: vec![State::Initialize; n],
            held: vec![false; n],
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

    /// Whether some member is in Fault (so no member may be Master).
    pub fn faulty(&self) -> bool {
        self.states.contains(&State::Fault)
    }

    /// The group rebuilt around members that already run (a reload changed its members): takes
    /// their states as they are (`states`, in member order) and returns what brings them
    /// together: every member held while one is in Fault, otherwise the Backup members forced
    /// Master when one is Master. Members already together get nothing but the holds.
    pub fn rejoin(&mut self, states: &[State]) -> Vec<(usize, Input)> {
        self.states = states.to_vec();
        self.states.resize(self.names.len(), State::Initialize);
        let faulty = self.faulty();
        let mut out = Vec::new();
        for i in 0..self.len() {
            self.held[i] = faulty;
            if faulty {
                out.push((i, Input::GroupHold));
            }
        }
        if !faulty && self.states.contains(&State::Master) {
            for i in 0..self.len() {
                if self.states[i] == State::Backup {
                    out.push((i, Input::GroupForce(WantedState::Master)));
                }
            }
        }
        out
    }

    /// Scans one member's actions for transitions and returns what to feed the members.
    pub fn on_actions(&mut self, member: usize, actions: &[Action]) -> Vec<(usize, Input)> {
        let mut out = Vec::new();
        for a in actions {
            if let Action::Transition { from, to } = *a {
                out.extend(self.on_transition(member, from, to));
            }
        }
        out
    }

    /// One member moved from `from` to `to`; returns the `(member, input)` pairs to feed.
    pub fn on_transition(&mut self, member: usize, from: State, to: State) -> Vec<(usize, Input)> {
        self.states[member] = to;
        let mut out = Vec::new();
        // Holds first, so that a member is never forced Master while another is in Fault.
        let faulty = self.faulty();
        for i in 0..self.len() {
            if self.held[i] != faulty {
                self.held[i] = faulty;
                out.push((
                    i,
                    if faulty {
                        Input::GroupHold
                    } else {
                        Input::GroupRelease
                    },
                ));
            }
        }
        let force = match (from, to) {
            (_, State::Master) if !faulty => Some((State::Backup, WantedState::Master)),
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
