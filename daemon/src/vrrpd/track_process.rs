//! `vrrp_track_process`: how many processes match a name (and parameters); the tracked object
//! is up while that count is within `quorum`..=`quorum_max`. keepalived learns of forks and
//! exits from the kernel's proc connector; this scans /proc every [`POLL`] instead
//! (docs/compat.md), one scan for all tracked processes.

use std::path::Path;
use std::time::Duration;

use conf_parser::model::vrrp::ParamMatch;
use tokio::sync::mpsc;
use tokio::task::AbortHandle;
use tokio::time::Instant;

use super::plan::ProcessPlan;

/// How often /proc is scanned.
pub const POLL: Duration = Duration::from_millis(200);

/// The kernel's process names (/proc/PID/comm) are at most this long.
const COMM_LEN: usize = 15;

/// One process as /proc shows it: its name and its command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proc {
    pub comm: String,
    pub argv: Vec<String>,
}

/// Whether `p` is one of the processes `plan` tracks.
pub fn matches(plan: &ProcessPlan, p: &Proc) -> bool {
    let name_ok = if plan.full_command {
        p.argv.first() == Some(&plan.process)
    } else {
        let want: String = plan.process.chars().take(COMM_LEN).collect();
        p.comm == want
    };
    if !name_ok {
        return false;
    }
    if plan.params.is_empty() {
        return true;
    }
    let args = p.argv.get(1..).unwrap_or(&[]);
    match plan.param_match {
        ParamMatch::Exact => args == plan.params.as_slice(),
        ParamMatch::Initial => args.starts_with(&plan.params),
        ParamMatch::Partial => args
            .windows(plan.params.len())
            .any(|w| w == plan.params.as_slice()),
    }
}

/// Whether `count` matching processes make the tracked process up.
pub fn up(plan: &ProcessPlan, count: u32) -> bool {
    count >= plan.quorum && plan.quorum_max.is_none_or(|m| count <= m)
}

/// The processes running now (those that vanish while being read are skipped).
pub fn scan(proc_root: &Path) -> Vec<Proc> {
    let Ok(dir) = std::fs::read_dir(proc_root) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for e in dir.flatten() {
        let name = e.file_name();
        let Some(pid) = name
            .to_str()
            .filter(|n| n.bytes().all(|b| b.is_ascii_digit()))
        else {
            continue;
        };
        let base = proc_root.join(pid);
        // /proc/PID/stat: "PID (COMM) STATE ..."; COMM may hold ')' itself. Zombies (and dead
        // tasks) no longer run.
        let Ok(stat) = std::fs::read_to_string(base.join("stat")) else {
            continue;
        };
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        let state = stat[close + 1..].trim_start().chars().next();
        if matches!(state, Some('Z' | 'X' | 'x')) {
            continue;
        }
        let comm = stat[open + 1..close].to_string();
        let argv = std::fs::read(base.join("cmdline"))
            .map(|b| {
                b.split(|&c| c == 0)
                    .filter(|s| !s.is_empty())
                    .map(|s| String::from_utf8_lossy(s).into_owned())
                    .collect()
            })
            .unwrap_or_default();
        out.push(Proc { comm, argv });
    }
    out
}

/// The number of processes matching each plan.
pub fn counts(plans: &[ProcessPlan], procs: &[Proc]) -> Vec<u32> {
    plans
        .iter()
        .map(|pl| procs.iter().filter(|p| matches(pl, p)).count() as u32)
        .collect()
}

/// A tracked process's reported status with keepalived's delays: becoming up counts once it
/// has held for `fork_delay`, becoming down once it has held for `terminate_delay`.
#[derive(Debug, Clone)]
pub struct Debounce {
    reported: bool,
    pending: Option<(bool, Instant)>,
}

impl Debounce {
    pub fn new(initial: bool) -> Debounce {
        Debounce {
            reported: initial,
            pending: None,
        }
    }

    /// The raw status at `now`; returns the new reported status when it changes.
    pub fn observe(&mut self, plan: &ProcessPlan, raw: bool, now: Instant) -> Option<bool> {
        if raw == self.reported {
            self.pending = None;
            return None;
        }
        let delay = if raw {
            plan.fork_delay
        } else {
            plan.terminate_delay
        };
        let since = match self.pending {
            Some((s, t)) if s == raw => t,
            _ => {
                self.pending = Some((raw, now));
                now
            }
        };
        if now.saturating_duration_since(since) >= delay {
            self.reported = raw;
            self.pending = None;
            Some(raw)
        } else {
            None
        }
    }
}

/// Scans /proc every [`POLL`] and reports status changes as `(name, up)`, starting from
/// `initial` (each plan's status at start).
pub fn spawn(
    plans: Vec<ProcessPlan>,
    initial: Vec<bool>,
    tx: mpsc::UnboundedSender<(String, bool)>,
) -> Option<AbortHandle> {
    if plans.is_empty() {
        return None;
    }
    let task = tokio::spawn(async move {
        let mut states: Vec<Debounce> = initial.into_iter().map(Debounce::new).collect();
        let mut tick = tokio::time::interval(POLL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let procs = tokio::task::spawn_blocking(|| scan(Path::new("/proc")))
                .await
                .unwrap_or_default();
            let now = Instant::now();
            for ((plan, st), n) in plans
                .iter()
                .zip(states.iter_mut())
                .zip(counts(&plans, &procs))
            {
                if let Some(u) = st.observe(plan, up(plan, n), now) {
                    if tx.send((plan.name.clone(), u)).is_err() {
                        return;
                    }
                }
            }
        }
    });
    Some(task.abort_handle())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(process: &str, params: &[&str], m: ParamMatch, full: bool) -> ProcessPlan {
        ProcessPlan {
            name: "p".into(),
            process: process.into(),
            params: params.iter().map(|s| s.to_string()).collect(),
            param_match: m,
            full_command: full,
            quorum: 1,
            quorum_max: None,
            fork_delay: Duration::ZERO,
            terminate_delay: Duration::ZERO,
        }
    }

    fn proc_(comm: &str, argv: &[&str]) -> Proc {
        Proc {
            comm: comm.into(),
            argv: argv.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn names_match_comm_or_argv0() {
        let p = proc_("haproxy", &["/usr/sbin/haproxy", "-f", "/etc/h.cfg"]);
        assert!(matches(&plan("haproxy", &[], ParamMatch::Exact, false), &p));
        assert!(!matches(&plan("haprox", &[], ParamMatch::Exact, false), &p));
        assert!(!matches(&plan("haproxy", &[], ParamMatch::Exact, true), &p));
        assert!(matches(
            &plan("/usr/sbin/haproxy", &[], ParamMatch::Exact, true),
            &p
        ));
        // The kernel keeps 15 characters of a name.
        let long = proc_("a_very_long_nam", &["x"]);
        assert!(matches(
            &plan("a_very_long_name_indeed", &[], ParamMatch::Exact, false),
            &long
        ));
    }

    #[test]
    fn parameters_exact_initial_partial() {
        let p = proc_("sleep", &["/bin/sleep", "a", "b", "c"]);
        let m = |params: &[&str], k| matches(&plan("/bin/sleep", params, k, true), &p);
        assert!(m(&["a", "b", "c"], ParamMatch::Exact));
        assert!(!m(&["a", "b"], ParamMatch::Exact));
        assert!(m(&["a", "b"], ParamMatch::Initial));
        assert!(!m(&["b", "c"], ParamMatch::Initial));
        assert!(m(&["b", "c"], ParamMatch::Partial));
        assert!(!m(&["a", "c"], ParamMatch::Partial));
        assert!(!m(&["a", "b", "c", "d"], ParamMatch::Partial));
    }

    #[test]
    fn quorum_bounds() {
        let mut p = plan("x", &[], ParamMatch::Exact, false);
        p.quorum = 2;
        p.quorum_max = Some(3);
        assert!(!up(&p, 1));
        assert!(up(&p, 2));
        assert!(up(&p, 3));
        assert!(!up(&p, 4));
        p.quorum = 0;
        assert!(up(&p, 0));
    }

    #[test]
    fn delays_hold_changes_back() {
        let mut p = plan("x", &[], ParamMatch::Exact, false);
        p.fork_delay = Duration::from_secs(1);
        p.terminate_delay = Duration::from_secs(2);
        let t0 = Instant::now();
        let mut d = Debounce::new(false);
        assert_eq!(d.observe(&p, true, t0), None);
        assert_eq!(d.observe(&p, true, t0 + Duration::from_millis(500)), None);
        assert_eq!(d.observe(&p, true, t0 + Duration::from_secs(1)), Some(true));
        // A short disappearance (a restart) is not reported.
        assert_eq!(d.observe(&p, false, t0 + Duration::from_secs(2)), None);
        assert_eq!(d.observe(&p, true, t0 + Duration::from_secs(3)), None);
        assert_eq!(d.observe(&p, false, t0 + Duration::from_secs(4)), None);
        assert_eq!(
            d.observe(&p, false, t0 + Duration::from_secs(6)),
            Some(false)
        );
    }

    #[test]
    fn scan_reads_stat_and_cmdline_and_skips_zombies() {
        let root = std::env::temp_dir().join(format!("krs-proc-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        for (pid, stat, cmd) in [
            ("10", "10 (we (i)rd) S 1 2 3", &b"/bin/x\0-a\0"[..]),
            ("11", "11 (dead) Z 1 2 3", &b""[..]),
            ("self", "0 (no) S", &b"no\0"[..]),
        ] {
            std::fs::create_dir_all(root.join(pid)).unwrap();
            std::fs::write(root.join(pid).join("stat"), stat).unwrap();
            std::fs::write(root.join(pid).join("cmdline"), cmd).unwrap();
        }
        let got = scan(&root);
        let _ = std::fs::remove_dir_all(&root);
        assert_eq!(got, vec![proc_("we (i)rd", &["/bin/x", "-a"])]);
    }

    #[test]
    fn scan_sees_this_process() {
        let me = std::process::id();
        let procs = scan(Path::new("/proc"));
        let mine = std::fs::read_to_string(format!("/proc/{me}/comm")).unwrap();
        assert!(procs.iter().any(|p| p.comm == mine.trim_end()));
    }
}
