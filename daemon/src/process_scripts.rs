//! global_defs' `startup_script` and `shutdown_script`, run once each, as keepalived 2.2.7 runs
//! them (measured in a network namespace; daemon/tests/netns_process_scripts.rs runs both):
//!
//! - the startup script once the configuration is read and the pid files written (a second
//!   start that finds the daemon running runs nothing), before anything else starts: the VRRP
//!   and LVS sides, the FIFOs. The daemon waits for it, whatever its exit status;
//! - the shutdown script last, after a stop by signal, once both sides have stopped (VIPs
//!   released, virtual servers removed, FIFOs closed); the daemon waits for it, then exits. A
//!   daemon that stops on a fatal error does not run it (measured: keepalived neither). The
//!   one run is the configuration in force: a reload's (which never runs a startup script);
//! - as the user of its line, else by `script_user`'s rule (`crate::script_user`), in a
//!   process group of its own, stdin, stdout and stderr on /dev/null, in the daemon's
//!   environment and directory;
//! - given `startup_script_timeout` / `shutdown_script_timeout` (10 s): then its process group
//!   gets SIGTERM, and SIGKILL 2 s later if the script is still there; the daemon goes on.
//!
//! What keepalived logs, in its words (its doubled "script" included): "startup script timed
//! out", "startup script script failed, status N"; under `-D` also "Running startup script
//! PROG" and "startup script script succeeded". A script killed by a signal it logs nothing
//! of; we say so under `-D`.

use std::time::Duration;

use conf_parser::model::global::GlobalDefs;

use crate::script_user::{Script, ScriptUsers};

/// How long a script that timed out and got SIGTERM has before SIGKILL (keepalived's, measured:
/// 2.0 s).
const KILL_AFTER: Duration = Duration::from_secs(2);

/// Which of the two.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Startup,
    Shutdown,
}

impl Kind {
    /// keepalived's word in its log lines.
    fn word(self) -> &'static str {
        match self {
            Kind::Startup => "startup",
            Kind::Shutdown => "shutdown",
        }
    }
}

/// A script to run once, with its time limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessScript {
    pub script: Script,
    pub timeout: Duration,
}

/// The configuration's two scripts, as they will run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProcessScripts {
    pub startup: Option<ProcessScript>,
    pub shutdown: Option<ProcessScript>,
    /// The scripts left out because their user cannot be had, one log line each.
    pub skipped: Vec<String>,
}

impl ProcessScripts {
    /// global_defs' scripts, their users looked up.
    pub fn plan(defs: &GlobalDefs, users: &ScriptUsers) -> ProcessScripts {
        let mut skipped = Vec::new();
        let mut one = |keyword: &str, c, timeout: conf_parser::model::Timer| {
            users
                .script_or_skip(keyword, c, &mut skipped)
                .map(|script| ProcessScript {
                    script,
                    timeout: timeout.0,
                })
        };
        let startup = one(
            "startup_script",
            &defs.startup_script,
            defs.startup_script_timeout,
        );
        let shutdown = one(
            "shutdown_script",
            &defs.shutdown_script,
            defs.shutdown_script_timeout,
        );
        ProcessScripts {
            startup,
            shutdown,
            skipped,
        }
    }
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Exited with this status.
    Exited(i32),
    /// Killed by this signal (not by us).
    Signalled(i32),
    /// Still running at its time limit: SIGTERM (and SIGKILL) sent.
    TimedOut,
    /// It could not be started.
    CannotRun(String),
}

/// The line logged for an outcome, and whether it is a detail (logged under `-D` only).
pub fn words(kind: Kind, program: &str, outcome: &Outcome) -> (bool, String) {
    let k = kind.word();
    match outcome {
        Outcome::Exited(0) => (true, format!("{k} script script succeeded")),
        Outcome::Exited(status) => (false, format!("{k} script script failed, status {status}")),
        Outcome::Signalled(sig) => (true, format!("{k} script {program} killed by signal {sig}")),
        Outcome::TimedOut => (false, format!("{k} script timed out")),
        Outcome::CannotRun(e) => (false, format!("{k} script {program}: cannot run it: {e}")),
    }
}

/// Runs the script to its end, or to its time limit, and logs how it went.
pub async fn run(kind: Kind, s: &ProcessScript) -> Outcome {
    let Some(program) = s.script.command.first() else {
        return Outcome::CannotRun("no command".into());
    };
    tracing::debug!("Running {} script {program}", kind.word());
    let outcome = run_to_end(s).await;
    match words(kind, program, &outcome) {
        (true, line) => tracing::debug!("{line}"),
        (false, line) => tracing::warn!("{line}"),
    }
    outcome
}

async fn run_to_end(s: &ProcessScript) -> Outcome {
    use std::os::unix::process::ExitStatusExt;
    use std::process::Stdio;

    let Some((program, args)) = s.script.command.split_first() else {
        return Outcome::CannotRun("no command".into());
    };
    let mut cmd = tokio::process::Command::new(program);
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        // Its own group, so that the signals at the time limit reach what it started too.
        .process_group(0)
        .kill_on_drop(true);
    s.script.run_as.apply(&mut cmd);
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => return Outcome::CannotRun(e.to_string()),
    };
    let group = child.id().map(|id| nix::unistd::Pid::from_raw(id as i32));
    let status = match tokio::time::timeout(s.timeout, child.wait()).await {
        Ok(Ok(status)) => status,
        Ok(Err(e)) => return Outcome::CannotRun(e.to_string()),
        Err(_) => {
            let signal = |sig| {
                if let Some(g) = group {
                    let _ = nix::sys::signal::killpg(g, sig);
                }
            };
            signal(nix::sys::signal::Signal::SIGTERM);
            if tokio::time::timeout(KILL_AFTER, child.wait())
                .await
                .is_err()
            {
                signal(nix::sys::signal::Signal::SIGKILL);
                let _ = child.wait().await;
            }
            return Outcome::TimedOut;
        }
    };
    match (status.code(), status.signal()) {
        (Some(code), _) => Outcome::Exited(code),
        (None, Some(sig)) => Outcome::Signalled(sig),
        (None, None) => Outcome::CannotRun(format!("{status}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::script_user::RunAs;

    fn sh(text: &str, timeout: Duration) -> ProcessScript {
        ProcessScript {
            script: Script {
                command: vec!["/bin/sh".into(), "-c".into(), text.into()],
                run_as: RunAs::ROOT,
            },
            timeout,
        }
    }

    #[test]
    fn keepalived_s_words() {
        assert_eq!(
            words(Kind::Startup, "/x", &Outcome::Exited(5)),
            (false, "startup script script failed, status 5".into())
        );
        assert_eq!(
            words(Kind::Shutdown, "/x", &Outcome::TimedOut),
            (false, "shutdown script timed out".into())
        );
        assert_eq!(
            words(Kind::Shutdown, "/x", &Outcome::Exited(0)),
            (true, "shutdown script script succeeded".into())
        );
    }

    #[test]
    fn the_plan_takes_each_line_with_its_timeout_and_user() {
        let parsed = conf_parser::parse_str(
            "k.conf",
            "global_defs {\n startup_script \"/bin/s a\"\n startup_script_timeout 3\n \
             shutdown_script /bin/d kars-nobody\n}\n",
            &conf_parser::Options::default(),
        );
        let defs = &parsed.config.global.global_defs;
        let p = ProcessScripts::plan(defs, &ScriptUsers::system(defs));
        let startup = p.startup.expect("the startup script");
        assert_eq!(startup.script.command, ["/bin/s", "a"]);
        assert_eq!(startup.timeout, Duration::from_secs(3));
        // A user that does not exist: left out, never run as root instead.
        assert_eq!(p.shutdown, None);
        assert_eq!(p.skipped.len(), 1);
        assert!(
            p.skipped[0].starts_with("k.conf:4:")
                && p.skipped[0].contains("shutdown_script /bin/d: not run"),
            "{:?}",
            p.skipped
        );
    }

    #[tokio::test]
    async fn the_exit_status_is_told() {
        let long = Duration::from_secs(10);
        assert_eq!(run_to_end(&sh("exit 0", long)).await, Outcome::Exited(0));
        assert_eq!(run_to_end(&sh("exit 7", long)).await, Outcome::Exited(7));
        assert_eq!(
            run_to_end(&sh("kill -9 $$", long)).await,
            Outcome::Signalled(9)
        );
    }

    /// At the time limit the whole group gets SIGTERM; a script that ignores it gets SIGKILL
    /// 2 s later. Either way, nothing of it is left.
    #[tokio::test]
    async fn a_script_past_its_time_is_terminated_then_killed_with_its_children() {
        let dir = std::env::temp_dir().join(format!("kars-ps-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let pids = dir.join("pids");
        // A child that would outlive the script, and a script that ignores SIGTERM.
        let text = format!(
            "trap '' TERM; sleep 30 & echo $$ $! > {}; while :; do sleep 0.05; done",
            pids.display()
        );
        let started = std::time::Instant::now();
        let outcome = run_to_end(&sh(&text, Duration::from_millis(300))).await;
        let took = started.elapsed();
        assert_eq!(outcome, Outcome::TimedOut);
        assert!(took >= Duration::from_millis(2300), "killed after {took:?}");
        let text = std::fs::read_to_string(&pids).unwrap();
        for pid in text.split_whitespace() {
            let pid = nix::unistd::Pid::from_raw(pid.parse().unwrap());
            // Reaped or a zombie about to be: no longer running in either case. A SIGKILL is
            // sent when `kill` returns, not yet acted on: on a loaded machine the process may
            // take a moment to be scheduled and die, so this waits for it (a process the group
            // kill missed runs on for 30 s and fails here).
            let gone = || {
                nix::sys::signal::kill(pid, None).is_err()
                    || std::fs::read_to_string(format!("/proc/{pid}/stat"))
                        .is_ok_and(|s| s.contains(") Z "))
            };
            let deadline = std::time::Instant::now() + Duration::from_secs(5);
            while !gone() && std::time::Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            assert!(gone(), "process {pid} still runs");
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
