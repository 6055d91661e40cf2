//! Notify scripts, run strictly in the order the transitions happened: one queue, one script at
//! a time, off the VRRP loop (keepalived forks them all at once, so they may run out of order).

use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use vrrp::State;

use super::plan::{Notify, Script};

/// keepalived's word for a state in notify arguments.
pub fn state_word(s: State) -> &'static str {
    match s {
        State::Master => "MASTER",
        State::Backup => "BACKUP",
        State::Fault => "FAULT",
        State::Stop => "STOP",
        State::Initialize => "INIT",
    }
}

/// The scripts as keepalived's data dump lists them (`Backup state transition script = ...`):
/// its name of each, in its order.
pub fn dump_order(n: &Notify) -> Vec<(&'static str, Script)> {
    [
        ("Backup", &n.backup),
        ("Master", &n.master),
        ("Fault", &n.fault),
        ("Stop", &n.stop),
        ("Deleted", &n.deleted),
        ("Generic", &n.any),
        ("Master rx lower pri", &n.master_rx_lower_pri),
    ]
    .into_iter()
    .filter_map(|(name, s)| Some((name, s.clone()?)))
    .collect()
}

/// The commands to run, in order, when instance `name` enters `to` with `priority`: the state's
/// own script, then `notify` with `INSTANCE NAME STATE PRIORITY` appended.
pub fn commands(n: &Notify, name: &str, to: State, priority: u8) -> Vec<Script> {
    let own = match to {
        State::Master => &n.master,
        State::Backup => &n.backup,
        State::Fault => &n.fault,
        State::Stop => &n.stop,
        State::Initialize => return own_then_notify(&None, &None, name, "", priority),
    };
    own_then_notify(own, &n.any, name, state_word(to), priority)
}

/// keepalived's word for an instance a reload removes: DELETED under `notify_deleted`, else
/// FAULT (measured with 2.2.7).
pub fn deleted_word(n: &Notify) -> &'static str {
    if n.says_deleted {
        "DELETED"
    } else {
        "FAULT"
    }
}

/// The commands to run when a reload removes instance `name`, as keepalived 2.2.7 runs them:
/// `notify_deleted`'s script, then `notify` with `INSTANCE NAME DELETED|FAULT PRIORITY`;
/// neither notify_stop nor notify_fault.
pub fn deleted_commands(n: &Notify, name: &str, priority: u8) -> Vec<Script> {
    own_then_notify(&n.deleted, &n.any, name, deleted_word(n), priority)
}

fn own_then_notify(
    own: &Option<Script>,
    any: &Option<Script>,
    name: &str,
    word: &str,
    priority: u8,
) -> Vec<Script> {
    let mut out = Vec::new();
    if let Some(c) = own {
        out.push(c.clone());
    }
    if let (Some(c), false) = (any, word.is_empty()) {
        let mut c = c.clone();
        c.command.extend([
            "INSTANCE".into(),
            name.into(),
            word.into(),
            priority.to_string(),
        ]);
        out.push(c);
    }
    out
}

/// The commands for sync group `name` entering `to`: the state's script, then `notify` with
/// `GROUP NAME STATE 0` appended (keepalived 2.2.7 passes 0 as a group's priority, as in its
/// FIFO lines; measured).
pub fn group_commands(n: &Notify, name: &str, to: State) -> Vec<Script> {
    let mut out = commands(n, name, to, 0);
    if let (Some(_), Some(last)) = (&n.any, out.last_mut()) {
        let last = &mut last.command;
        let instance = last.len() - 4;
        last[instance] = "GROUP".into();
    }
    out
}

/// A sync group's state from its members': the state they all are in (Master, Backup, Fault or
/// Stop); None while they are in between. A member's own fault puts every member in Fault, so
/// the group says FAULT after its members, as keepalived 2.2.7 does (measured).
pub fn group_state(members: &[State]) -> Option<State> {
    let first = *members.first()?;
    (first != State::Initialize && members.iter().all(|m| *m == first)).then_some(first)
}

/// Whether a sync group whose members add up to `state` is notified, `last` the state it was
/// in: not when unchanged; nor when a group of address owners (`owners`: every member at
/// priority 255) starts in Master: keepalived 2.2.7 starts such a group in MASTER rather than
/// entering it, and notifies nothing for it (measured: no group script, no FIFO line).
pub fn group_notice_due(last: Option<State>, state: State, owners: bool) -> bool {
    match last {
        Some(last) => last != state,
        None => !(owners && state == State::Master),
    }
}

enum Job {
    Run(Script),
    Flush(oneshot::Sender<()>),
}

/// The queue's sending end.
#[derive(Clone)]
pub struct NotifyQueue {
    tx: mpsc::UnboundedSender<Job>,
}

/// How long one script may run before it is killed, so that one stuck script cannot hold back
/// every later notification for ever.
const SCRIPT_TIMEOUT: Duration = Duration::from_secs(60);

impl NotifyQueue {
    /// Starts the runner task.
    pub fn start() -> NotifyQueue {
        let (tx, mut rx) = mpsc::unbounded_channel::<Job>();
        tokio::spawn(async move {
            while let Some(job) = rx.recv().await {
                match job {
                    Job::Run(cmd) => run(cmd).await,
                    Job::Flush(done) => {
                        let _ = done.send(());
                    }
                }
            }
        });
        NotifyQueue { tx }
    }

    pub fn push(&self, cmd: Script) {
        let _ = self.tx.send(Job::Run(cmd));
    }

    /// Waits until every script queued so far has run, or `limit` passes.
    pub async fn flush(&self, limit: Duration) {
        let (done, wait) = oneshot::channel();
        if self.tx.send(Job::Flush(done)).is_ok() {
            let _ = tokio::time::timeout(limit, wait).await;
        }
    }
}

async fn run(script: Script) {
    let Some((prog, args)) = script.command.split_first() else {
        return;
    };
    let mut cmd = tokio::process::Command::new(prog);
    cmd.args(args)
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true);
    script.run_as.apply(&mut cmd);
    let child = cmd.spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!("cannot run notify script {prog}: {e}");
            return;
        }
    };
    match tokio::time::timeout(SCRIPT_TIMEOUT, child.wait()).await {
        Ok(Ok(st)) if st.success() => tracing::debug!("notify script {prog} done"),
        Ok(Ok(st)) => tracing::info!("notify script {prog} exited with {st}"),
        Ok(Err(e)) => tracing::warn!("notify script {prog}: {e}"),
        Err(_) => tracing::warn!(
            "notify script {prog} timed out after {}s, killed",
            SCRIPT_TIMEOUT.as_secs()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Script {
        Script::as_daemon(v.iter().map(|x| x.to_string()).collect())
    }

    #[test]
    fn own_script_then_generic_with_keepalived_arguments() {
        let n = Notify {
            master: Some(s(&["/m"])),
            any: Some(s(&["/n", "x"])),
            ..Default::default()
        };
        assert_eq!(
            commands(&n, "VI_1", State::Master, 150),
            vec![
                s(&["/m"]),
                s(&["/n", "x", "INSTANCE", "VI_1", "MASTER", "150"])
            ]
        );
        assert_eq!(
            commands(&n, "VI_1", State::Fault, 150),
            vec![s(&["/n", "x", "INSTANCE", "VI_1", "FAULT", "150"])]
        );
        assert!(commands(&Notify::default(), "VI_1", State::Stop, 1).is_empty());
    }

    /// A removed instance (keepalived 2.2.7, measured): FAULT to `notify` without
    /// notify_deleted, DELETED with it (and its script first, if any); never notify_stop nor
    /// notify_fault.
    #[test]
    fn a_removed_instance_says_fault_or_deleted() {
        let mut n = Notify {
            stop: Some(s(&["/stop"])),
            fault: Some(s(&["/fault"])),
            any: Some(s(&["/n"])),
            ..Default::default()
        };
        assert_eq!(
            deleted_commands(&n, "VI_2", 255),
            vec![s(&["/n", "INSTANCE", "VI_2", "FAULT", "255"])]
        );
        n.says_deleted = true;
        assert_eq!(
            deleted_commands(&n, "VI_2", 255),
            vec![s(&["/n", "INSTANCE", "VI_2", "DELETED", "255"])]
        );
        n.deleted = Some(s(&["/deleted"]));
        assert_eq!(
            deleted_commands(&n, "VI_2", 100),
            vec![
                s(&["/deleted"]),
                s(&["/n", "INSTANCE", "VI_2", "DELETED", "100"])
            ]
        );
    }

    #[test]
    fn group_notify_arguments_and_state() {
        let n = Notify {
            backup: Some(s(&["/b"])),
            any: Some(s(&["/n"])),
            ..Default::default()
        };
        assert_eq!(
            group_commands(&n, "G", State::Backup),
            vec![s(&["/b"]), s(&["/n", "GROUP", "G", "BACKUP", "0"])]
        );
        assert_eq!(
            group_commands(&n, "G", State::Master),
            vec![s(&["/n", "GROUP", "G", "MASTER", "0"])]
        );
        assert_eq!(
            group_state(&[State::Master, State::Master]),
            Some(State::Master)
        );
        assert_eq!(group_state(&[State::Master, State::Backup]), None);
        assert_eq!(group_state(&[State::Fault, State::Backup]), None);
        assert_eq!(
            group_state(&[State::Fault, State::Fault]),
            Some(State::Fault)
        );
        assert_eq!(group_state(&[State::Initialize, State::Initialize]), None);
        assert_eq!(group_state(&[]), None);
        assert_eq!(group_state(&[State::Stop, State::Stop]), Some(State::Stop));
    }

    #[test]
    fn a_group_of_owners_starting_master_is_not_notified() {
        assert!(!group_notice_due(None, State::Master, true));
        assert!(group_notice_due(None, State::Master, false));
        assert!(group_notice_due(None, State::Backup, true));
        assert!(group_notice_due(None, State::Fault, true));
        // Later, Master is notified as any other change; the same state again is not.
        assert!(group_notice_due(Some(State::Backup), State::Master, true));
        assert!(!group_notice_due(Some(State::Master), State::Master, false));
    }

    #[tokio::test]
    async fn scripts_run_one_after_another_in_order() {
        let dir = std::env::temp_dir().join(format!("krs-notify-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let log = dir.join("log");
        let q = NotifyQueue::start();
        // The first script is slow: were they run concurrently, "b" would be written first.
        q.push(s(&[
            "/bin/sh",
            "-c",
            &format!("sleep 0.3; echo a >> {}", log.display()),
        ]));
        q.push(s(&[
            "/bin/sh",
            "-c",
            &format!("echo b >> {}", log.display()),
        ]));
        q.push(s(&["/nonexistent/script"]));
        q.push(s(&[
            "/bin/sh",
            "-c",
            &format!("echo c >> {}", log.display()),
        ]));
        q.flush(Duration::from_secs(10)).await;
        assert_eq!(std::fs::read_to_string(&log).unwrap(), "a\nb\nc\n");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
