//! MISC_CHECK: runs a program; its exit status is the result.
//!
//! Without misc_dynamic, status 0 is success and anything else a failure. With misc_dynamic
//! (keepalived.conf(5)): 0 is success with the weight unchanged, 1 is failure, 2-255 is success
//! with the weight set to status - 2 (see [`crate::effects`] for how several dynamic checkers
//! combine). A program still running after misc_timeout is killed, with every process of its
//! process group, and the check fails. The program runs with stdin, stdout and stderr on
//! /dev/null, optionally as another user and group.

use crate::engine::{DynamicWeight, Probe, ProbeFuture, Success};
use nix::sys::signal::{killpg, Signal};
use nix::unistd::{Group, Pid, User};
use std::os::unix::process::ExitStatusExt;
use std::process::Stdio;
use std::time::Duration;

/// `user USER [GROUP]`: the group defaults to the user's own.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunAs {
    pub user: String,
    pub group: Option<String>,
}

/// MISC_CHECK.
#[derive(Clone, Debug)]
pub struct MiscCheck {
    /// The program and its arguments (already split as keepalived splits misc_path).
    pub command: Vec<String>,
    pub timeout: Duration,
    pub dynamic: bool,
    pub user: Option<RunAs>,
}

impl MiscCheck {
    pub fn new(
        command: Vec<String>,
        timeout: Duration,
        dynamic: bool,
        user: Option<RunAs>,
    ) -> Result<MiscCheck, String> {
        if command.first().map_or(true, |p| p.is_empty()) {
            return Err("misc_path is empty".into());
        }
        if timeout.is_zero() {
            return Err("misc_timeout must be greater than zero".into());
        }
        Ok(MiscCheck {
            command,
            timeout,
            dynamic,
            user,
        })
    }

    /// The uid and gid to run as.
    fn ids(run_as: &RunAs) -> Result<(u32, u32), String> {
        let user = User::from_name(&run_as.user)
            .map_err(|e| format!("looking up user {}: {e}", run_as.user))?
            .ok_or_else(|| format!("no user {}", run_as.user))?;
        let gid = match &run_as.group {
            None => user.gid.as_raw(),
            Some(g) => Group::from_name(g)
                .map_err(|e| format!("looking up group {g}: {e}"))?
                .ok_or_else(|| format!("no group {g}"))?
                .gid
                .as_raw(),
        };
        Ok((user.uid.as_raw(), gid))
    }

    /// What an exit status means.
    pub fn judge(&self, status: std::process::ExitStatus) -> Result<Success, String> {
        let Some(code) = status.code() else {
            return Err(format!(
                "{} killed by signal {}",
                self.command[0],
                status.signal().unwrap_or(0)
            ));
        };
        match (code, self.dynamic) {
            (0, _) => Ok(Success::default()),
            (2..=255, true) => Ok(Success {
                weight: Some(DynamicWeight::Set(u32::try_from(code - 2).unwrap_or(0))),
            }),
            _ => Err(format!("{} exited with status {code}", self.command[0])),
        }
    }

    async fn run(&self) -> Result<Success, String> {
        let program = &self.command[0];
        let mut cmd = tokio::process::Command::new(program);
        cmd.args(&self.command[1..])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .kill_on_drop(true);
        if let Some(run_as) = &self.user {
            let (uid, gid) = Self::ids(run_as)?;
            cmd.uid(uid).gid(gid);
        }
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("cannot run {program}: {e}"))?;
        let pid = child.id();
        match tokio::time::timeout(self.timeout, child.wait()).await {
            Ok(status) => self.judge(status.map_err(|e| format!("waiting for {program}: {e}"))?),
            Err(_) => {
                if let Some(pid) = pid.and_then(|p| i32::try_from(p).ok()) {
                    let _ = killpg(Pid::from_raw(pid), Signal::SIGKILL);
                }
                let _ = child.wait().await;
                Err(format!("{program} timed out after {:?}", self.timeout))
            }
        }
    }
}

impl Probe for MiscCheck {
    fn probe(&self) -> ProbeFuture<'_> {
        Box::pin(async move { Ok(self.run().await?) })
    }
}
