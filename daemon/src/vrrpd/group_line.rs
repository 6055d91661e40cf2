//! keepalived 2.2.7's one log line for a sync group, `VRRP_Group(G) Syncing instances to MASTER
//! state`: written when a member's move makes the group move the others (to MASTER, BACKUP or
//! FAULT), after that member's own `Entering ... STATE` line and before theirs (measured). A
//! release from FAULT makes the others move once the first member has left FAULT, so the line
//! waits for a member's transition; a group moving its members twice to the same state (a
//! member forced while its answer was still on its way) says so once.

use vrrp::State;

/// When a group's `Syncing instances` line is due.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SyncLine {
    /// The group has answered a step with inputs for other members: the next transition says
    /// where it takes them.
    pending: bool,
    /// The state the last line named.
    last: Option<State>,
}

impl SyncLine {
    /// The group answered a member's step with inputs for other members.
    pub fn others_moved(&mut self) {
        self.pending = true;
    }

    /// A member entered `state`: the state to name in the line, if one is due now.
    pub fn entered(&mut self, state: State) -> Option<State> {
        if !std::mem::take(&mut self.pending) || self.last == Some(state) {
            return None;
        }
        self.last = Some(state);
        Some(state)
    }
}

/// The line, in keepalived's words.
pub fn text(group: &str, state: State) -> String {
    format!(
        "VRRP_Group({group}) Syncing instances to {} state",
        super::notify::state_word(state)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_move_of_the_others_is_named_once_at_the_next_transition() {
        let mut l = SyncLine::default();
        assert_eq!(l.entered(State::Backup), None, "start: nothing moved");
        l.others_moved();
        assert_eq!(l.entered(State::Master), Some(State::Master));
        assert_eq!(
            l.entered(State::Master),
            None,
            "the others follow in silence"
        );
        // A third member's force answered again by the second's move: not twice.
        l.others_moved();
        assert_eq!(l.entered(State::Master), None);
        // A fault, then a release that moves the others once the first has left FAULT.
        l.others_moved();
        assert_eq!(l.entered(State::Fault), Some(State::Fault));
        l.others_moved();
        assert_eq!(l.entered(State::Backup), Some(State::Backup));
        assert_eq!(
            text("G", State::Backup),
            "VRRP_Group(G) Syncing instances to BACKUP state"
        );
    }
}
