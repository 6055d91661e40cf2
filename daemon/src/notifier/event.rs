//! The events the notifier writes to the FIFOs, in keepalived's line formats (measured with
//! 2.2.7 in the namespace lab and the test VM; keepalived.conf(5)).

use vrrp::State;

use crate::vrrpd::notify::state_word;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// `INSTANCE "VI_1" MASTER 100`: the instance's name, its new state and its effective
    /// priority.
    Instance {
        name: String,
        state: State,
        priority: u8,
    },
    /// `INSTANCE "VI_1" DELETED 100` (or `FAULT`, `word`): a reload removed the instance.
    InstanceRemoved {
        name: String,
        word: &'static str,
        priority: u8,
    },
    /// `GROUP "G1" MASTER 0`: a sync group's state (keepalived writes 0 as its priority).
    Group { name: String, state: State },
    /// `INSTANCE "VI_1" MASTER_PRIORITY 170` (or `BACKUP_PRIORITY` when not Master): the
    /// effective priority changed (`notify_priority_changes`).
    Priority {
        name: String,
        master: bool,
        priority: u8,
    },
    /// `INSTANCE "VI_1" MASTER_RX_LOWER_PRI 157`: a Master heard a lower priority's advert.
    MasterRxLowerPri { name: String, priority: u8 },
    /// `VS [192.168.201.15]:tcp:80 UP`: a virtual server gained (UP) or lost (DOWN) its quorum;
    /// `name` is keepalived's name of it (`crate::lvs::VsKey`'s display).
    VirtualServer { name: String, up: bool },
    /// `RS [1.2.3.4]:tcp:80 [192.168.201.15]:tcp:80 UP`: a real server, then its virtual
    /// server, in keepalived's names.
    RealServer { name: String, vs: String, up: bool },
}

impl Event {
    /// The line written to the FIFOs, newline included.
    pub fn fifo_line(&self) -> String {
        let updown = |up: bool| if up { "UP" } else { "DOWN" };
        match self {
            Event::Instance {
                name,
                state,
                priority,
            } => format!("INSTANCE \"{name}\" {} {priority}\n", state_word(*state)),
            Event::InstanceRemoved {
                name,
                word,
                priority,
            } => format!("INSTANCE \"{name}\" {word} {priority}\n"),
            Event::Group { name, state } => format!("GROUP \"{name}\" {} 0\n", state_word(*state)),
            Event::Priority {
                name,
                master,
                priority,
            } => format!(
                "INSTANCE \"{name}\" {} {priority}\n",
                if *master {
                    "MASTER_PRIORITY"
                } else {
                    "BACKUP_PRIORITY"
                }
            ),
            Event::MasterRxLowerPri { name, priority } => {
                format!("INSTANCE \"{name}\" MASTER_RX_LOWER_PRI {priority}\n")
            }
            Event::VirtualServer { name, up } => format!("VS {name} {}\n", updown(*up)),
            Event::RealServer { name, vs, up } => format!("RS {name} {vs} {}\n", updown(*up)),
        }
    }

    /// A VRRP event (`vrrp_notify_fifo`), as opposed to an LVS one (`lvs_notify_fifo`).
    pub fn is_vrrp(&self) -> bool {
        !matches!(self, Event::VirtualServer { .. } | Event::RealServer { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_keepalived_s() {
        assert_eq!(
            Event::Instance {
                name: "VI_1".into(),
                state: State::Master,
                priority: 157
            }
            .fifo_line(),
            "INSTANCE \"VI_1\" MASTER 157\n"
        );
        assert_eq!(
            Event::Group {
                name: "G1".into(),
                state: State::Stop
            }
            .fifo_line(),
            "GROUP \"G1\" STOP 0\n"
        );
        assert_eq!(
            Event::VirtualServer {
                name: "[192.168.201.15]:tcp:80".into(),
                up: false
            }
            .fifo_line(),
            "VS [192.168.201.15]:tcp:80 DOWN\n"
        );
        assert_eq!(
            Event::RealServer {
                name: "[1.2.3.4]:tcp:80".into(),
                vs: "[192.168.201.15]:tcp:80".into(),
                up: true
            }
            .fifo_line(),
            "RS [1.2.3.4]:tcp:80 [192.168.201.15]:tcp:80 UP\n"
        );
        // Measured with 2.2.7: a track_file weight raising VI_1 from 157 to 170 while Master,
        // one before start (BACKUP_PRIORITY), and an advert of priority 50 heard as Master.
        assert_eq!(
            Event::Priority {
                name: "VI_1".into(),
                master: true,
                priority: 170
            }
            .fifo_line(),
            "INSTANCE \"VI_1\" MASTER_PRIORITY 170\n"
        );
        assert_eq!(
            Event::Priority {
                name: "VI_1".into(),
                master: false,
                priority: 157
            }
            .fifo_line(),
            "INSTANCE \"VI_1\" BACKUP_PRIORITY 157\n"
        );
        assert_eq!(
            Event::MasterRxLowerPri {
                name: "VI_1".into(),
                priority: 157
            }
            .fifo_line(),
            "INSTANCE \"VI_1\" MASTER_RX_LOWER_PRI 157\n"
        );
    }
}
