//! keepalived's dump files (issue 12): DATA (SIGUSR1) writes the data dumps, STATS (SIGUSR2)
//! the stats dump, STATS_CLEAR (SIGRTMAX-1) the stats dump and then clears the counters, JSON
//! (SIGRTMIN+2) the JSON dump, at keepalived's paths or where the configuration says
//! ([`paths`]), in keepalived 2.2.7's layout so that tooling written for keepalived reads them.
//!
//! - [`vrrp_data`], [`vrrp_stats`], [`vrrp_json`], [`check_data`], [`globals`]: snapshot (and
//!   global settings) -> text, pure;
//! - [`paths`]: where each file goes, pure;
//! - [`write`]: atomic, mode 0600;
//! - this module: the dump task, which reads the snapshots the loops publish (never asks the
//!   VRRP loop for its state, except STATS_CLEAR's clear) and formats and writes on a blocking
//!   thread, one dump after another: a slow disk delays the next dump, never an advert.
//!
//! What the daemon writes, as keepalived's processes do: `keepalived_parent.data` (the global
//! definitions) on every DATA; `keepalived.data`, `keepalived.stats` and `keepalived.json` while
//! the VRRP side runs instances (some configured, not `-C`); `keepalived_check.data` while the
//! LVS side runs (virtual servers, not `-P`); `keepalived_bfd.data` while BFD sessions run.

pub mod bfd_data;
pub mod check_data;
pub mod globals;
pub mod paths;
pub mod text;
pub mod vrrp_data;
pub mod vrrp_json;
pub mod vrrp_stats;
pub mod write;

use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::{mpsc, watch};
use tracing::{info, warn};

use crate::signals::Request;
use crate::snapshot::{LvsSnapshot, VrrpSnapshot};
use crate::vrrpd;
use paths::{Paths, Settings};

/// One dump asked for by a signal, with the configuration in force when it came.
pub struct Job {
    /// DATA, STATS, STATS_CLEAR or JSON.
    pub request: Request,
    /// The root and global_defs settings (`diff::Plans::global`).
    pub global: serde_json::Value,
    /// The VRRP side runs instances (some configured, not `-C`).
    pub vrrp_runs: bool,
    /// The LVS side runs (virtual servers configured, not `-P`).
    pub lvs_runs: bool,
    /// BFD sessions run (bfd_instances configured, not `-B`).
    pub bfd_runs: bool,
}

/// What the dump task reads from.
pub struct Dumper {
    pub vrrp: vrrpd::Handle,
    pub lvs: watch::Receiver<Arc<LvsSnapshot>>,
    /// The network namespace the daemon runs in.
    pub namespace: Option<String>,
    /// keepalived's temporary directory ([`paths::tmp_dir`]).
    pub tmp_dir: PathBuf,
    /// The default router_id.
    pub hostname: String,
}

impl Dumper {
    /// Starts the dump task; jobs sent to it are done one after another, in order.
    pub fn spawn(self) -> mpsc::UnboundedSender<Job> {
        let (tx, mut rx) = mpsc::unbounded_channel::<Job>();
        tokio::spawn(async move {
            while let Some(job) = rx.recv().await {
                self.run(job).await;
            }
        });
        tx
    }

    async fn run(&self, job: Job) {
        let settings = Settings::from_global(&job.global, self.namespace.as_deref());
        let paths = Paths::new(&settings, &self.tmp_dir);
        let vrrp = match job.request {
            // keepalived writes the stats, then clears them: the loop hands back its state
            // just before the clear, so that no count is lost or counted twice.
            Request::StatsClear if job.vrrp_runs => match self.vrrp.clear_stats().await {
                Some(before) => before,
                None => return,
            },
            _ => self.vrrp.snapshots().borrow().clone(),
        };
        let lvs = self.lvs.borrow().clone();
        let bfd = self.vrrp.bfd_sessions();
        let files = Files {
            request: job.request,
            global: job.global,
            settings,
            paths,
            vrrp_runs: job.vrrp_runs,
            lvs_runs: job.lvs_runs,
            bfd_runs: job.bfd_runs,
            namespace: self.namespace.clone(),
            hostname: self.hostname.clone(),
        };
        match tokio::task::spawn_blocking(move || files.write(&vrrp, &lvs, &bfd)).await {
            Ok(results) => {
                for (path, result) in results {
                    match result {
                        Ok(()) => info!(
                            "signal for {}: wrote {}",
                            job.request.sigfunc(),
                            path.display()
                        ),
                        Err(e) => warn!(
                            "signal for {}: cannot write {}: {e}",
                            job.request.sigfunc(),
                            path.display()
                        ),
                    }
                }
            }
            Err(e) => warn!("signal for {}: the dump failed: {e}", job.request.sigfunc()),
        }
    }
}

/// One dump's texts and where they go (formatted and written on a blocking thread).
struct Files {
    request: Request,
    global: serde_json::Value,
    settings: Settings,
    paths: Paths,
    vrrp_runs: bool,
    lvs_runs: bool,
    bfd_runs: bool,
    namespace: Option<String>,
    hostname: String,
}

impl Files {
    /// The files of the dump, each with how writing it went.
    fn write(
        &self,
        vrrp: &VrrpSnapshot,
        lvs: &LvsSnapshot,
        bfd: &[crate::bfdd::SessionDump],
    ) -> Vec<(PathBuf, std::io::Result<()>)> {
        self.texts(vrrp, lvs, bfd)
            .into_iter()
            .map(|(path, text)| {
                let r = write::atomic(&path, text.as_bytes());
                (path, r)
            })
            .collect()
    }

    /// The files of the dump and their texts.
    fn texts(
        &self,
        vrrp: &VrrpSnapshot,
        lvs: &LvsSnapshot,
        bfd: &[crate::bfdd::SessionDump],
    ) -> Vec<(PathBuf, String)> {
        let p = &self.paths;
        let mut files = Vec::new();
        match self.request {
            Request::Data => {
                files.push((p.parent_data.clone(), self.globals()));
                if self.vrrp_runs {
                    let mut t = self.globals();
                    vrrp_data::topology(&mut t, vrrp);
                    vrrp_data::sync_groups(&mut t, vrrp);
                    vrrp_data::ours(&mut t, vrrp);
                    files.push((p.vrrp_data.clone(), t));
                }
                if self.lvs_runs {
                    let mut t = self.globals();
                    check_data::topology(&mut t, lvs);
                    check_data::checkers(&mut t, lvs);
                    check_data::ours(&mut t, lvs);
                    files.push((p.check_data.clone(), t));
                }
                if self.bfd_runs {
                    let mut t = self.globals();
                    bfd_data::topology(&mut t, bfd);
                    files.push((p.bfd_data.clone(), t));
                }
            }
            Request::Stats | Request::StatsClear if self.vrrp_runs => {
                files.push((p.stats.clone(), vrrp_stats::file(vrrp)));
            }
            Request::Json if self.vrrp_runs => {
                if let Some(t) = vrrp_json::file(vrrp, self.settings.json_version) {
                    files.push((p.json.clone(), t));
                }
            }
            _ => {}
        }
        files
    }

    fn globals(&self) -> String {
        let mut t = String::new();
        globals::section(
            &mut t,
            &self.global,
            &globals::Context {
                namespace: self.namespace.as_deref(),
                hostname: &self.hostname,
            },
        );
        t
    }
}

/// The dump files' directory when nothing is configured: keepalived's temporary directory.
pub fn default_tmp_dir() -> PathBuf {
    paths::tmp_dir(std::env::var_os("TMPDIR"))
}

/// The host's name, the default router_id.
pub fn hostname() -> String {
    gethostname::gethostname().to_string_lossy().into_owned()
}

#[cfg(test)]
#[path = "../../tests/common/keepalived_dump.rs"]
mod keepalived_dump;

#[cfg(test)]
mod tests {
    use super::keepalived_dump::{parse_json, parse_stats, Data};
    use super::*;

    /// Our files read with the reader written from keepalived's files (the netns tests read
    /// both daemons' files with it).
    #[test]
    fn our_files_read_as_keepalived_files() {
        let data = files(Request::Data, true, true);
        let vrrp = Data::parse(&data[1].1).unwrap();
        let instances = vrrp.vrrp_instances().unwrap();
        assert_eq!(instances.len(), 2);
        assert_eq!(
            (instances[0].state.as_str(), instances[0].priority),
            ("MASTER", 150)
        );
        let b = &instances[1];
        assert_eq!((b.state.as_str(), b.master_priority), ("BACKUP", Some(150)));
        assert_eq!(b.sync_group.as_deref(), Some("G1"));
        assert_eq!(b.tracked.len(), 4);
        assert_eq!(vrrp.sync_groups().unwrap()[0].1, "BACKUP");
        assert_eq!(vrrp.globals()["Router ID"], "lb1");
        let check = Data::parse(&data[2].1).unwrap();
        assert_eq!(check.virtual_servers().unwrap().len(), 2);
        assert_eq!(check.health_checkers().unwrap().len(), 3);
        let stats = parse_stats(&files(Request::Stats, true, false)[0].1).unwrap();
        assert_eq!(stats[1].get("Packet Errors/Length"), 4);
        let json = parse_json(&files(Request::Json, true, false)[0].1).unwrap();
        assert_eq!(json[1].data.master_priority, 150);
    }

    fn files(request: Request, vrrp_runs: bool, lvs_runs: bool) -> Vec<(PathBuf, String)> {
        let f = Files {
            request,
            global: serde_json::json!({"global_defs": {"router_id": "lb1"}}),
            settings: Settings::default(),
            paths: Paths::new(&Settings::default(), std::path::Path::new("/tmp")),
            vrrp_runs,
            lvs_runs,
            bfd_runs: false,
            namespace: None,
            hostname: "host".into(),
        };
        f.texts(
            &vrrp_data::tests::snapshot(),
            &check_data::tests::lvs(),
            &[],
        )
    }

    fn names(files: &[(PathBuf, String)]) -> Vec<String> {
        files.iter().map(|(p, _)| p.display().to_string()).collect()
    }

    /// The files keepalived's processes write: the parent's always, the VRRP process's unless
    /// `-C`, the checker process's while there are virtual servers.
    #[test]
    fn each_request_writes_keepalived_files() {
        let data = files(Request::Data, true, true);
        assert_eq!(
            names(&data),
            [
                "/tmp/keepalived_parent.data",
                "/tmp/keepalived.data",
                "/tmp/keepalived_check.data"
            ]
        );
        let (_, parent) = &data[0];
        assert!(parent.starts_with("------< Global definitions >------\n Network namespace = (default)\n Router ID = lb1\n"));
        assert!(!parent.contains("VRRP Topology"));
        let (_, vrrp) = &data[1];
        for section in [
            "Global definitions",
            "VRRP Topology",
            "VRRP Sync groups",
            "keepalived-rs VRRP",
        ] {
            assert!(
                vrrp.contains(&format!("------< {section} >------\n")),
                "{section}"
            );
        }
        let (_, check) = &data[2];
        for section in [
            "Global definitions",
            "LVS Topology",
            "Health checkers",
            "keepalived-rs checkers",
            "keepalived-rs IPVS reconciler",
        ] {
            assert!(
                check.contains(&format!("------< {section} >------\n")),
                "{section}"
            );
        }
        assert_eq!(names(&files(Request::Data, true, false)).len(), 2);
        assert_eq!(
            names(&files(Request::Data, false, true)),
            ["/tmp/keepalived_parent.data", "/tmp/keepalived_check.data"]
        );
        assert_eq!(
            names(&files(Request::Stats, true, true)),
            ["/tmp/keepalived.stats"]
        );
        assert_eq!(
            names(&files(Request::StatsClear, true, false)),
            ["/tmp/keepalived.stats"]
        );
        assert_eq!(
            names(&files(Request::Json, true, true)),
            ["/tmp/keepalived.json"]
        );
        // -C: no VRRP process, no stats or JSON.
        assert!(files(Request::Stats, false, true).is_empty());
        assert!(files(Request::Json, false, true).is_empty());
        assert!(files(Request::Reload, true, true).is_empty());
    }
}
