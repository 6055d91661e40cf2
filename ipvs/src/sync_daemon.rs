//! The connection-synchronisation daemons (ipvsadm --start-daemon / --stop-daemon): what to do
//! to bring the kernel's daemons to the wanted ones, pure.
//!
//! The kernel runs at most one master and one backup daemon per network namespace; each is
//! started with its settings and cannot be changed while it runs, so a daemon whose settings
//! differ is stopped and started again. A daemon whose settings match is left running: a
//! backup daemon restarted for nothing would drop the sync messages of that moment, and a
//! master one the connection updates it has queued.

use std::net::{IpAddr, Ipv4Addr};

use crate::types::{SyncDaemon, SyncState};

/// The kernel's sync port when none is given (`IP_VS_SYNC_PORT`).
pub const DEFAULT_PORT: u16 = 8848;
/// The kernel's multicast TTL when none is given.
pub const DEFAULT_TTL: u8 = 1;
/// The kernel's multicast group when none is given (`IP_VS_SYNC_GROUP`).
pub const DEFAULT_GROUP: IpAddr = IpAddr::V4(Ipv4Addr::new(224, 0, 0, 81));

/// One step towards the wanted daemons.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DaemonOp {
    Stop(SyncState),
    Start(SyncDaemon),
}

impl std::fmt::Display for DaemonOp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DaemonOp::Stop(s) => write!(f, "stop the {} sync daemon", role(*s)),
            DaemonOp::Start(d) => write!(f, "start {}", describe(d)),
        }
    }
}

fn role(s: SyncState) -> &'static str {
    match s {
        SyncState::Master => "master",
        SyncState::Backup => "backup",
    }
}

/// `master sync daemon (mcast=eth0, syncid=41, ...)`: the settings given (0: the kernel's default).
pub fn describe(d: &SyncDaemon) -> String {
    let mut s = format!(
        "{} sync daemon (mcast={}, syncid={}",
        role(d.state),
        d.interface,
        d.sync_id
    );
    if d.maxlen != 0 {
        s.push_str(&format!(", maxlen={}", d.maxlen));
    }
    if let Some(g) = d.group {
        s.push_str(&format!(", group={g}"));
    }
    if d.port != 0 {
        s.push_str(&format!(", port={}", d.port));
    }
    if d.ttl != 0 {
        s.push_str(&format!(", ttl={}", d.ttl));
    }
    s.push(')');
    s
}

/// Whether the kernel's daemon `have` runs with the settings `want` asks for. The kernel reports
/// every setting, defaults resolved; a setting `want` leaves to the kernel (0, `None`) matches
/// the kernel's default, and a maxlen left to the kernel (derived from the interface's MTU)
/// matches any.
pub fn runs_as_wanted(want: &SyncDaemon, have: &SyncDaemon) -> bool {
    let or = |w: u16, default: u16| if w == 0 { default } else { w };
    want.state == have.state
        && want.interface == have.interface
        && want.sync_id == have.sync_id
        && (want.maxlen == 0 || want.maxlen == have.maxlen)
        && or(want.port, DEFAULT_PORT) == have.port
        && (if want.ttl == 0 { DEFAULT_TTL } else { want.ttl }) == have.ttl
        && want.group.unwrap_or(DEFAULT_GROUP) == have.group.unwrap_or(DEFAULT_GROUP)
}

/// The operations that turn the kernel's daemons `have` into `want` (at most one of each state
/// in either): every stop first, then every start, master before backup. A daemon running as
/// wanted is left alone; one with other settings is stopped and started again.
pub fn plan_daemons(want: &[SyncDaemon], have: &[SyncDaemon]) -> Vec<DaemonOp> {
    let mut stops = Vec::new();
    let mut starts = Vec::new();
    for state in [SyncState::Master, SyncState::Backup] {
        let w = want.iter().find(|d| d.state == state);
        let h = have.iter().find(|d| d.state == state);
        match (w, h) {
            (Some(w), Some(h)) if runs_as_wanted(w, h) => {}
            (Some(w), h) => {
                if h.is_some() {
                    stops.push(DaemonOp::Stop(state));
                }
                starts.push(DaemonOp::Start(w.clone()));
            }
            (None, Some(_)) => stops.push(DaemonOp::Stop(state)),
            (None, None) => {}
        }
    }
    stops.extend(starts);
    stops
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(state: SyncState, id: u32) -> SyncDaemon {
        SyncDaemon {
            state,
            interface: "eth0".into(),
            sync_id: id,
            maxlen: 0,
            port: 0,
            ttl: 0,
            group: None,
        }
    }

    /// What the kernel reports for a daemon started as `want`: every default resolved.
    fn reported(want: &SyncDaemon) -> SyncDaemon {
        SyncDaemon {
            maxlen: if want.maxlen == 0 { 1472 } else { want.maxlen },
            port: if want.port == 0 { 8848 } else { want.port },
            ttl: if want.ttl == 0 { 1 } else { want.ttl },
            group: Some(want.group.unwrap_or(DEFAULT_GROUP)),
            ..want.clone()
        }
    }

    use SyncState::{Backup, Master};

    #[test]
    fn a_daemon_running_as_wanted_is_left_alone() {
        let want = [d(Backup, 41)];
        assert_eq!(plan_daemons(&want, &[reported(&want[0])]), []);
        let full = SyncDaemon {
            maxlen: 1400,
            port: 8849,
            ttl: 2,
            group: Some("239.1.1.1".parse().unwrap()),
            ..d(Master, 9)
        };
        assert_eq!(
            plan_daemons(std::slice::from_ref(&full), &[reported(&full)]),
            []
        );
        // The defaults written out match the defaults left to the kernel.
        let explicit = SyncDaemon {
            port: 8848,
            ttl: 1,
            group: Some(DEFAULT_GROUP),
            ..d(Backup, 41)
        };
        assert_eq!(plan_daemons(&[explicit], &[reported(&want[0])]), []);
    }

    #[test]
    fn becoming_master_stops_the_backup_first() {
        let have = [reported(&d(Backup, 41))];
        assert_eq!(
            plan_daemons(&[d(Master, 41)], &have),
            [DaemonOp::Stop(Backup), DaemonOp::Start(d(Master, 41))]
        );
        let have = [reported(&d(Master, 41))];
        assert_eq!(
            plan_daemons(&[d(Backup, 41)], &have),
            [DaemonOp::Stop(Master), DaemonOp::Start(d(Backup, 41))]
        );
    }

    #[test]
    fn other_settings_restart_the_daemon() {
        for changed in [
            d(Backup, 9),
            SyncDaemon {
                interface: "eth1".into(),
                ..d(Backup, 41)
            },
            SyncDaemon {
                maxlen: 1400,
                ..d(Backup, 41)
            },
            SyncDaemon {
                port: 8849,
                ..d(Backup, 41)
            },
            SyncDaemon {
                ttl: 2,
                ..d(Backup, 41)
            },
            SyncDaemon {
                group: Some("239.1.1.1".parse().unwrap()),
                ..d(Backup, 41)
            },
        ] {
            assert_eq!(
                plan_daemons(std::slice::from_ref(&changed), &[reported(&d(Backup, 41))]),
                [DaemonOp::Stop(Backup), DaemonOp::Start(changed)]
            );
        }
    }

    #[test]
    fn both_and_none() {
        let both = [d(Master, 0), d(Backup, 0)];
        assert_eq!(
            plan_daemons(&both, &[]),
            [DaemonOp::Start(d(Master, 0)), DaemonOp::Start(d(Backup, 0))]
        );
        let have: Vec<_> = both.iter().map(reported).collect();
        assert_eq!(plan_daemons(&both, &have), []);
        assert_eq!(
            plan_daemons(&[], &have),
            [DaemonOp::Stop(Master), DaemonOp::Stop(Backup)]
        );
        assert_eq!(plan_daemons(&[], &[]), []);
    }

    #[test]
    fn descriptions() {
        assert_eq!(
            DaemonOp::Start(d(Master, 41)).to_string(),
            "start master sync daemon (mcast=eth0, syncid=41)"
        );
        assert_eq!(
            DaemonOp::Stop(Backup).to_string(),
            "stop the backup sync daemon"
        );
    }
}
