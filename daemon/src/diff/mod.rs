//! What a reload from one configuration to another changes, pure: the two configurations'
//! plans compared by name and key. The daemon's reload applies it and logs it; `keepalived-rs
//! config diff OLD NEW` prints it, in the same words (one line per instance, virtual server,
//! tracker, sync group or global setting touched).
//!
//! - [`vrrp`]: instances by name: added, removed, restarted (a change that cannot be applied
//!   in place: virtual router id, interface, version, family, unicast/multicast mode, multicast
//!   group, source address) or changed in place (priority, addresses, routes, settings,
//!   scripts, tracking); sync groups and trackers by name;
//! - [`lvs`]: virtual servers by key: added, removed, changed (settings, real servers by
//!   address and port, their weights, methods and checkers);
//! - [`global`]: root and global_defs settings that a reload does not apply, and those it
//!   applies where they are read (the FIFOs, the mail, the shutdown script).

pub mod global;
pub mod lvs;
pub mod vrrp;

use serde::Serialize;

use crate::lvs::LvsPlan;
use crate::vrrpd::plan::Plan as VrrpPlan;

/// Everything a configuration runs, as the daemon runs it.
#[derive(Debug, Clone)]
pub struct Plans {
    pub vrrp: VrrpPlan,
    /// Shared with the LVS side that runs it: one copy for the run (at 10,000 real servers a
    /// plan is megabytes).
    pub lvs: Option<std::sync::Arc<LvsPlan>>,
    /// The root and global_defs settings, as `config dump` writes them.
    pub global: serde_json::Value,
    /// `lvs_sync_daemon` (none without VRRP instances, as under `-C`). A reload compares the
    /// old and the new plan; only a difference reaches the sync daemons (`syncd`).
    pub sync: Option<crate::syncd::plan::SyncPlan>,
    /// The notify FIFOs and the mail settings.
    pub notify: crate::notifier::Settings,
    /// global_defs' startup and shutdown scripts: the first run at start only, the second at
    /// stop (the one of the configuration then in force).
    pub process: crate::process_scripts::ProcessScripts,
}

impl Plans {
    /// The VRRP, notifier, startup and shutdown scripts left out because their user cannot be
    /// had (the LVS side's are among [`LvsPlan::skipped`]), for the log.
    pub fn scripts_left_out(&self) -> impl Iterator<Item = &String> {
        self.vrrp
            .skipped
            .iter()
            .chain(&self.notify.skipped)
            .chain(&self.process.skipped)
    }
}

/// What changes for one named thing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "change", rename_all = "lowercase")]
pub enum Change {
    Added,
    Removed,
    /// Stopped and started anew, and why.
    Restarted {
        why: String,
    },
    /// Changed in place: each difference, `what old -> new`.
    Changed {
        details: Vec<String>,
    },
}

/// One named thing a reload touches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Touched {
    /// `vrrp_instance`, `vrrp_sync_group`, `vrrp_script`, `track_file`, `vrrp_track_process`,
    /// `virtual_server`, `lvs_sync_daemon`.
    pub kind: &'static str,
    pub name: String,
    #[serde(flatten)]
    pub change: Change,
}

impl std::fmt::Display for Touched {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: ", self.kind, self.name)?;
        match &self.change {
            Change::Added => write!(f, "added"),
            Change::Removed => write!(f, "removed"),
            Change::Restarted { why } => write!(f, "restarted ({why})"),
            Change::Changed { details } => write!(f, "{}", details.join(", ")),
        }
    }
}

/// The whole difference.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Diff {
    pub touched: Vec<Touched>,
    /// Settings a reload does not apply: one line each, said in one warning.
    pub not_applied: Vec<String>,
}

impl Diff {
    pub fn is_empty(&self) -> bool {
        self.touched.is_empty() && self.not_applied.is_empty()
    }

    /// The lines the daemon logs and `config diff` prints.
    pub fn lines(&self) -> Vec<String> {
        let mut out: Vec<String> = self.touched.iter().map(ToString::to_string).collect();
        if !self.not_applied.is_empty() {
            out.push(format!(
                "not applied by a reload (restart the daemon for them): {}",
                self.not_applied.join("; ")
            ));
        }
        out
    }
}

/// The difference from `old` to `new`.
pub fn diff(old: &Plans, new: &Plans) -> Diff {
    let mut d = Diff::default();
    d.touched.extend(vrrp::instances(&old.vrrp, &new.vrrp));
    d.touched.extend(vrrp::groups(&old.vrrp, &new.vrrp));
    d.touched.extend(vrrp::trackers(&old.vrrp, &new.vrrp));
    let empty = LvsPlan::empty();
    d.touched.extend(lvs::virtual_servers(
        old.lvs.as_deref().unwrap_or(&empty),
        new.lvs.as_deref().unwrap_or(&empty),
    ));
    d.touched.extend(sync(old.sync.as_ref(), new.sync.as_ref()));
    d.touched.extend(global::changed(&old.global, &new.global));
    d.not_applied = global::not_applied(&old.global, &new.global);
    d
}

/// `lvs_sync_daemon`: added, removed, or each setting that changed.
fn sync(
    old: Option<&crate::syncd::plan::SyncPlan>,
    new: Option<&crate::syncd::plan::SyncPlan>,
) -> Option<Touched> {
    let name = |p: &crate::syncd::plan::SyncPlan| p.interface.clone();
    let (name, change) = match (old, new) {
        (None, None) => return None,
        (None, Some(n)) => (name(n), Change::Added),
        (Some(o), None) => (name(o), Change::Removed),
        (Some(o), Some(n)) if o == n => return None,
        (Some(o), Some(n)) => {
            let mut details = Vec::new();
            let mut field = |what: &str, a: String, b: String| {
                if a != b {
                    details.push(format!("{what} {a} -> {b}"));
                }
            };
            let opt = |v: Option<String>| v.unwrap_or_else(|| "(default)".into());
            field("interface", o.interface.clone(), n.interface.clone());
            field("instance", opt(o.instance.clone()), opt(n.instance.clone()));
            field("id", o.sync_id.to_string(), n.sync_id.to_string());
            field(
                "maxlen",
                opt(o.maxlen.map(|v| v.to_string())),
                opt(n.maxlen.map(|v| v.to_string())),
            );
            field("port", o.port.to_string(), n.port.to_string());
            field(
                "ttl",
                opt(o.ttl.map(|v| v.to_string())),
                opt(n.ttl.map(|v| v.to_string())),
            );
            field("group", o.group.to_string(), n.group.to_string());
            (name(n), Change::Changed { details })
        }
    };
    Some(Touched {
        kind: "lvs_sync_daemon",
        name,
        change,
    })
}

/// Collects `what old -> new` lines.
#[derive(Default)]
pub(crate) struct Details(pub Vec<String>);

impl Details {
    /// `what old -> new` when the two differ (shown with `show`).
    pub fn field<T: PartialEq>(
        &mut self,
        what: &str,
        old: &T,
        new: &T,
        show: impl Fn(&T) -> String,
    ) {
        if old != new {
            self.0
                .push(format!("{what} {} -> {}", show(old), show(new)));
        }
    }

    /// `what` alone when the two differ (for things too long to show).
    pub fn changed<T: PartialEq>(&mut self, what: &str, old: &T, new: &T) {
        if old != new {
            self.0.push(format!("{what} changed"));
        }
    }

    /// `what +a +b -c`: the members added and removed (by a key shown with `show`).
    pub fn set<T, K: PartialEq>(
        &mut self,
        what: &str,
        old: &[T],
        new: &[T],
        key: impl Fn(&T) -> K,
        show: impl Fn(&T) -> String,
    ) {
        let mut parts = Vec::new();
        for n in new {
            if !old.iter().any(|o| key(o) == key(n)) {
                parts.push(format!("+{}", show(n)));
            }
        }
        for o in old {
            if !new.iter().any(|n| key(o) == key(n)) {
                parts.push(format!("-{}", show(o)));
            }
        }
        if !parts.is_empty() {
            self.0.push(format!("{what} {}", parts.join(" ")));
        }
    }
}

/// A duration as keepalived's configuration writes one: seconds.
pub(crate) fn secs(d: &std::time::Duration) -> String {
    let s = d.as_secs_f64();
    if s.fract() == 0.0 {
        format!("{s:.0}s")
    } else {
        format!("{s}s")
    }
}

pub(crate) fn opt<T: std::fmt::Display>(v: &Option<T>) -> String {
    v.as_ref()
        .map_or_else(|| "none".into(), ToString::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::{Path, PathBuf};

    /// keepalived's sample configurations (../shared beside the repository, or `KARS_SHARED`)
    /// and the project's own.
    fn corpus() -> Vec<PathBuf> {
        let mut files = Vec::new();
        let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
        let samples = std::env::var_os("KARS_SHARED")
            .map(PathBuf::from)
            .unwrap_or_else(|| manifest.join("../../shared"))
            .join("keepalived-samples");
        let mut dirs = vec![samples.clone()];
        while let Some(d) = dirs.pop() {
            let Ok(entries) = std::fs::read_dir(&d) else {
                continue;
            };
            for e in entries.flatten() {
                let p = e.path();
                if p.is_dir() && p.file_name().is_some_and(|n| n != "historical") {
                    dirs.push(p);
                } else if p
                    .file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with("keepalived"))
                {
                    files.push(p);
                }
            }
        }
        if files.is_empty() {
            eprintln!(
                "SKIP (part): {} not found (set KARS_SHARED to the shared/ folder)",
                samples.display()
            );
        }
        for e in std::fs::read_dir(manifest.join("../etc"))
            .unwrap()
            .flatten()
        {
            files.push(e.path());
        }
        files.sort();
        files
    }

    /// Every configuration of the corpus that can run, read twice: no difference, with itself
    /// or with its second reading.
    #[test]
    fn a_configuration_has_no_difference_with_itself() {
        let mut compared = 0;
        for f in corpus() {
            let src = crate::reload::Source {
                config_id: Some("krs-test".into()),
                ..crate::reload::Source::file_only(f.clone())
            };
            let (a, b) = match (crate::reload::load(&src), crate::reload::load(&src)) {
                (Ok(a), Ok(b)) => (a, b),
                (Err(r), _) | (_, Err(r)) => {
                    eprintln!("{}: not run here ({}): not compared", f.display(), r.why);
                    continue;
                }
            };
            assert_eq!(diff(&a.plans, &a.plans), Diff::default(), "{}", f.display());
            assert_eq!(diff(&a.plans, &b.plans), Diff::default(), "{}", f.display());
            compared += 1;
        }
        assert!(compared >= 2, "only {compared} configurations compared");
        eprintln!("{compared} configurations compared with themselves");
    }

    /// lvs_sync_daemon: a reload that changes its settings says which; equal settings (the
    /// default id written out) are no change, and none is "not applied".
    #[test]
    fn lvs_sync_daemon_changes_are_named_and_applied() {
        let plans = |sync: &str| {
            let text = format!(
                "global_defs {{\n{sync}\n}}\nvrrp_instance VI_1 {{\n interface eth0\n virtual_router_id 41\n priority 100\n virtual_ipaddress {{\n  10.0.0.1\n }}\n}}\n"
            );
            let p = conf_parser::parse_str("t.conf", &text, &conf_parser::Options::default());
            assert!(p.is_ok(), "{}", p.render_diagnostics());
            let src = crate::reload::Source::file_only("t.conf".into());
            crate::reload::plans(&p.config, &src).unwrap().0
        };
        let a = plans("lvs_sync_daemon eth0 VI_1");
        assert_eq!(
            diff(&a, &plans("lvs_sync_daemon eth0 VI_1 id 41")),
            Diff::default()
        );
        let d = diff(&a, &plans("lvs_sync_daemon eth0 VI_1 id 9 ttl 2"));
        assert_eq!(
            d.lines(),
            ["lvs_sync_daemon eth0: id 41 -> 9, ttl (default) -> 2"]
        );
        assert_eq!(
            diff(&a, &plans("")).lines(),
            ["lvs_sync_daemon eth0: removed"]
        );
        assert_eq!(
            diff(&plans(""), &a).lines(),
            ["lvs_sync_daemon eth0: added"]
        );
    }
}
