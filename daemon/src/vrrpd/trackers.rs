//! The tracked objects that run tasks: `vrrp_script`, `track_file`, `vrrp_track_process` and
//! `bfd_instance` (the BFD loop, `crate::bfdd`), by name, with their tasks and their last
//! status.
//!
//! Instances read a tracker's status from here when they are built (at start, and when a
//! reload adds or changes one), so an instance added by a reload starts from what the tracker
//! knows now. A reload keeps every tracker whose settings are unchanged (its task and status go
//! on), restarts a changed one (from its initial status, as at start), stops a removed one.

use std::collections::HashMap;
use std::io;
use std::path::Path;

use tokio::sync::mpsc;
use tokio::task::AbortHandle;
use tracing::info;
use vrrp::Status;

use super::plan::{FilePlan, Plan, ProcessPlan, ScriptPlan};
use super::{file, script, track_process, Event};

/// A script's name among an instance's tracked objects (interface names never contain ':').
pub fn script_key(name: &str) -> String {
    format!("script:{name}")
}

/// A track_file's name among an instance's tracked objects.
pub fn file_key(name: &str) -> String {
    format!("file:{name}")
}

/// A vrrp_track_process's name among an instance's tracked objects.
pub fn process_key(name: &str) -> String {
    format!("process:{name}")
}

/// A bfd_instance's name among an instance's tracked objects.
pub fn bfd_key(name: &str) -> String {
    format!("bfd:{name}")
}

struct Task<P> {
    plan: P,
    task: AbortHandle,
}

pub struct Trackers {
    scripts: HashMap<String, Task<ScriptPlan>>,
    files: HashMap<String, Task<FilePlan>>,
    processes: Vec<ProcessPlan>,
    process_task: Option<AbortHandle>,
    /// The BFD loop, once some bfd_instance has been configured (it then runs to the end).
    bfd: Option<crate::bfdd::Handle>,
    bfd_plans: Vec<crate::bfdd::SessionPlan>,
    bfd_tx: mpsc::UnboundedSender<(String, bool)>,
    /// Where the BFD loop publishes its sessions (given to it when it starts), and a reader.
    bfd_publish: Option<tokio::sync::watch::Sender<crate::bfdd::Sessions>>,
    bfd_sessions: tokio::sync::watch::Receiver<crate::bfdd::Sessions>,
    /// Each tracker's last status, by its key among tracked objects.
    status: HashMap<String, Status>,
    scripts_tx: mpsc::UnboundedSender<(String, bool)>,
    files_tx: mpsc::UnboundedSender<(String, i64)>,
    processes_tx: mpsc::UnboundedSender<(String, bool)>,
}

/// Forwards a tracker channel's messages into the loop's events.
fn forward<T: Send + 'static>(
    events: &mpsc::UnboundedSender<Event>,
    wrap: fn(String, T) -> Event,
) -> mpsc::UnboundedSender<(String, T)> {
    let (tx, mut rx) = mpsc::unbounded_channel::<(String, T)>();
    let events = events.clone();
    tokio::spawn(async move {
        while let Some((name, v)) = rx.recv().await {
            if events.send(wrap(name, v)).is_err() {
                break;
            }
        }
    });
    tx
}

/// The up/down status of each tracked process now (one scan of /proc).
fn processes_up(plans: &[ProcessPlan]) -> Vec<bool> {
    if plans.is_empty() {
        return Vec::new();
    }
    let procs = track_process::scan(Path::new("/proc"));
    plans
        .iter()
        .zip(track_process::counts(plans, &procs))
        .map(|(p, n)| track_process::up(p, n))
        .collect()
}

impl Trackers {
    /// Starts the trackers of `plan`, reporting into `events`.
    pub fn start(plan: &Plan, events: &mpsc::UnboundedSender<Event>) -> io::Result<Trackers> {
        let (bfd_publish, bfd_sessions) = tokio::sync::watch::channel(Default::default());
        let mut t = Trackers {
            scripts: HashMap::new(),
            files: HashMap::new(),
            processes: Vec::new(),
            process_task: None,
            status: HashMap::new(),
            scripts_tx: forward(events, Event::Script),
            files_tx: forward(events, Event::File),
            processes_tx: forward(events, Event::Process),
            bfd: None,
            bfd_plans: Vec::new(),
            bfd_tx: forward(events, Event::Bfd),
            bfd_publish: Some(bfd_publish),
            bfd_sessions,
        };
        t.reload(plan)?;
        Ok(t)
    }

    /// The status of a tracked object of an instance (`script:NAME`, ...), if a tracker of
    /// that name runs.
    pub fn status(&self, key: &str) -> Option<Status> {
        self.status.get(key).copied()
    }

    /// The BFD sessions as the BFD loop publishes them (none while it does not run).
    pub fn bfd_sessions(&self) -> tokio::sync::watch::Receiver<crate::bfdd::Sessions> {
        self.bfd_sessions.clone()
    }

    /// A tracker reported a new status.
    pub fn record(&mut self, key: String, status: Status) {
        self.status.insert(key, status);
    }

    /// Brings the running trackers to `plan`'s: unchanged ones go on, changed ones restart,
    /// removed ones stop, new ones start. A track_file's `init_file` that cannot be written is
    /// an error (checked before anything changes).
    pub fn reload(&mut self, plan: &Plan) -> io::Result<()> {
        for fp in &plan.files {
            let same = self.files.get(&fp.name).is_some_and(|t| t.plan == *fp);
            if !same {
                file::init(fp).map_err(|e| {
                    io::Error::new(
                        e.kind(),
                        format!("track_file {}: {}: {e}", fp.name, fp.path.display()),
                    )
                })?;
            }
        }
        // BFD: the receiving socket first, so that a port that cannot be had refuses the
        // start or the reload before anything changes.
        if let Some(publish) = self.bfd_publish.take_if(|_| !plan.bfd.is_empty()) {
            let handle =
                crate::bfdd::spawn(Vec::new(), self.bfd_tx.clone(), publish).map_err(|e| {
                    io::Error::new(
                        e.kind(),
                        format!(
                            "BFD: cannot listen on UDP port {}: {e}",
                            crate::bfdd::net::CONTROL_PORT
                        ),
                    )
                })?;
            self.bfd = Some(handle);
        }
        if let Some(handle) = &self.bfd {
            if plan.bfd != self.bfd_plans {
                for b in &plan.bfd {
                    let old = self.bfd_plans.iter().find(|o| o.name == b.name);
                    // A session started again starts Down; one kept keeps its status.
                    let restarted = old.is_none_or(|o| {
                        o.neighbor != b.neighbor || o.source != b.source || o.ttl != b.ttl
                    });
                    if restarted {
                        self.status.insert(bfd_key(&b.name), Status::Down);
                    }
                }
                for o in &self.bfd_plans {
                    if !plan.bfd.iter().any(|b| b.name == o.name) {
                        self.status.remove(&bfd_key(&o.name));
                    }
                }
                handle.reload(plan.bfd.clone());
                self.bfd_plans = plan.bfd.clone();
            }
        }
        // Scripts.
        let mut old = std::mem::take(&mut self.scripts);
        for sp in &plan.scripts {
            let key = script_key(&sp.name);
            match old.remove(&sp.name) {
                Some(t) if t.plan == *sp => {
                    self.scripts.insert(sp.name.clone(), t);
                }
                other => {
                    if let Some(t) = other {
                        t.task.abort();
                        info!("vrrp_script {}: restarted with its new settings", sp.name);
                    }
                    let status = if sp.init_fail {
                        Status::Down
                    } else {
                        Status::Up
                    };
                    self.status.insert(key, status);
                    let task = script::spawn(sp.clone(), self.scripts_tx.clone());
                    self.scripts.insert(
                        sp.name.clone(),
                        Task {
                            plan: sp.clone(),
                            task,
                        },
                    );
                }
            }
        }
        for (name, t) in old {
            t.task.abort();
            self.status.remove(&script_key(&name));
        }
        // Files.
        let mut old = std::mem::take(&mut self.files);
        for fp in &plan.files {
            let key = file_key(&fp.name);
            match old.remove(&fp.name) {
                Some(t) if t.plan == *fp => {
                    self.files.insert(fp.name.clone(), t);
                }
                other => {
                    if let Some(t) = other {
                        t.task.abort();
                    }
                    let value = file::read_value(&fp.path);
                    self.status.insert(key, Status::Value(value));
                    let task = file::spawn(fp.clone(), value, self.files_tx.clone());
                    self.files.insert(
                        fp.name.clone(),
                        Task {
                            plan: fp.clone(),
                            task,
                        },
                    );
                }
            }
        }
        for (name, t) in old {
            t.task.abort();
            self.status.remove(&file_key(&name));
        }
        // Processes: one scanner for all of them, restarted when the set changes (kept
        // statuses are carried over; new ones from a scan now).
        if plan.processes != self.processes {
            if let Some(t) = self.process_task.take() {
                t.abort();
            }
            let scanned = processes_up(&plan.processes);
            let mut initial = Vec::with_capacity(plan.processes.len());
            for (pp, up_now) in plan.processes.iter().zip(scanned) {
                let kept = self.processes.contains(pp);
                let key = process_key(&pp.name);
                let up = match self.status.get(&key) {
                    Some(Status::Up) if kept => true,
                    Some(Status::Down) if kept => false,
                    _ => up_now,
                };
                self.status
                    .insert(key, if up { Status::Up } else { Status::Down });
                initial.push(up);
            }
            for pp in &self.processes {
                if !plan.processes.iter().any(|p| p.name == pp.name) {
                    self.status.remove(&process_key(&pp.name));
                }
            }
            self.processes = plan.processes.clone();
            self.process_task =
                track_process::spawn(plan.processes.clone(), initial, self.processes_tx.clone());
        }
        Ok(())
    }
}
