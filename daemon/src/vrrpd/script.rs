//! `vrrp_script`: a command run every `interval`; its exit status, after `rise` successes or
//! `fall` failures in a row, makes the script OK or failed for the instances tracking it.

use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::AbortHandle;

use super::plan::ScriptPlan;
use crate::script_user::RunAs;

/// The rise/fall counting of one script (pure).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptState {
    rise: u32,
    fall: u32,
    /// Consecutive results opposite to the current status.
    streak: u32,
    pub up: bool,
}

impl ScriptState {
    pub fn new(plan: &ScriptPlan) -> ScriptState {
        ScriptState {
            rise: plan.rise.max(1),
            fall: plan.fall.max(1),
            streak: 0,
            up: !plan.init_fail,
        }
    }

    /// Records one run's result; returns the new status when it changes.
    pub fn result(&mut self, ok: bool) -> Option<bool> {
        if ok == self.up {
            self.streak = 0;
            return None;
        }
        self.streak += 1;
        let needed = if ok { self.rise } else { self.fall };
        if self.streak >= needed {
            self.up = ok;
            self.streak = 0;
            Some(ok)
        } else {
            None
        }
    }
}

/// Runs the command once, as `run_as`: OK when it exits 0 within `timeout` (killed otherwise).
pub async fn run_once(command: &[String], run_as: RunAs, timeout: Duration) -> bool {
    let Some((prog, args)) = command.split_first() else {
        return false;
    };
    let mut cmd = tokio::process::Command::new(prog);
    cmd.args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true);
    run_as.apply(&mut cmd);
    let child = cmd.spawn();
    let Ok(mut child) = child else {
        return false;
    };
    match tokio::time::timeout(timeout, child.wait()).await {
        Ok(Ok(st)) => st.success(),
        _ => false,
    }
}

/// Starts the script's task; it reports status changes as `(name, up)`.
pub fn spawn(plan: ScriptPlan, tx: mpsc::UnboundedSender<(String, bool)>) -> AbortHandle {
    tokio::spawn(async move {
        let mut state = ScriptState::new(&plan);
        let mut tick = tokio::time::interval(plan.interval.max(Duration::from_millis(10)));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let ok = run_once(&plan.command, plan.run_as, plan.timeout).await;
            if let Some(up) = state.result(ok) {
                if tx.send((plan.name.clone(), up)).is_err() {
                    break;
                }
            }
        }
    })
    .abort_handle()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(rise: u32, fall: u32, init_fail: bool) -> ScriptPlan {
        ScriptPlan {
            name: "chk".into(),
            command: vec!["/bin/true".into()],
            run_as: RunAs::ROOT,
            interval: Duration::from_secs(1),
            timeout: Duration::from_secs(1),
            rise,
            fall,
            init_fail,
        }
    }

    #[test]
    fn fall_and_rise_count_in_a_row() {
        let mut s = ScriptState::new(&plan(2, 3, false));
        assert!(s.up);
        assert_eq!(s.result(false), None);
        assert_eq!(s.result(false), None);
        assert_eq!(s.result(true), None, "a success breaks the streak");
        assert_eq!(s.result(false), None);
        assert_eq!(s.result(false), None);
        assert_eq!(s.result(false), Some(false));
        assert_eq!(s.result(true), None);
        assert_eq!(s.result(true), Some(true));
    }

    #[test]
    fn init_fail_starts_failed() {
        let mut s = ScriptState::new(&plan(1, 1, true));
        assert!(!s.up);
        assert_eq!(s.result(true), Some(true));
    }

    #[tokio::test]
    async fn run_once_uses_exit_status_and_timeout() {
        let sh = |c: &str| vec!["/bin/sh".to_string(), "-c".to_string(), c.to_string()];
        let root = RunAs::ROOT;
        assert!(run_once(&sh("exit 0"), root, Duration::from_secs(5)).await);
        assert!(!run_once(&sh("exit 1"), root, Duration::from_secs(5)).await);
        assert!(!run_once(&sh("sleep 5"), root, Duration::from_millis(100)).await);
        assert!(!run_once(&["/nonexistent".to_string()], root, Duration::from_secs(1)).await);
    }
}
