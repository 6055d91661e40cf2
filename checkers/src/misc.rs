//! MISC_CHECK: runs a program; its exit status is the result.
//!
//! Without misc_dynamic, status 0 is success and anything else a failure. With misc_dynamic
//! (keepalived.conf(5)): 0 is success with the weight unchanged, 1 is failure, 2-255 is success
//! with the weight set to status - 2 (see [`crate::effects`] for how several dynamic checkers
//! combine). A program still running after misc_timeout is killed, with every process of its
//! process group, and the check fails. The program runs with stdin, stdout and stderr on
//! /dev/null, as the user and group [`RunAs`] says.

use crate::engine::{DynamicWeight, Probe, ProbeFuture, Success};
use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;
use std::os::unix::process::ExitStatusExt;
use std::process::Stdio;
use std::time::Duration;

/// The user and group a program runs as, already looked up (keepalived resolves the names once,
/// when it reads the configuration). 0 leaves that id as the daemon's, as keepalived does: a
/// script "run as root" is run with the daemon's own ids.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunAs {
    pub uid: u32,
    pub gid: u32,
}

impl RunAs {
    /// keepalived's fallback when no user is configured and `keepalived_script` does not exist.
    pub const ROOT: RunAs = RunAs { uid: 0, gid: 0 };

    /// Sets the child's ids. keepalived sets the gid, then the supplementary groups to that gid
    /// alone, then the uid. std's `Command` (with `unsafe_code` forbidden, the only way here)
    /// clears the supplementary groups when it sets the uid: the child has no group beyond its
    /// gid either way, so it can open exactly the same files; only `id -G`'s list may differ
    /// (none versus the gid again), and with a gid but uid 0 the groups are left as they are.
    pub fn apply(&self, cmd: &mut tokio::process::Command) {
        if self.gid != 0 {
            cmd.gid(self.gid);
        }
        if self.uid != 0 {
            cmd.uid(self.uid);
        }
    }
}

/// MISC_CHECK.
#[derive(Clone, Debug)]
pub struct MiscCheck {
    /// The program and its arguments (already split as keepalived splits misc_path).
    pub command: Vec<String>,
    pub timeout: Duration,
    pub dynamic: bool,
    pub run_as: RunAs,
}

impl MiscCheck {
    pub fn new(
        command: Vec<String>,
        timeout: Duration,
        dynamic: bool,
        run_as: RunAs,
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
            run_as,
        })
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
        self.run_as.apply(&mut cmd);
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
