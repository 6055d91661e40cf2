//! The LVS side of the daemon: health checkers -> effects pool -> IPVS reconciler.
//!
//! ```text
//!  checker tasks (one per checker) ──CheckEvent──► run() (one task: owns the Pool, the plan,
//!  Command (reload, stop) ────────────────────────►  the running checkers by key)
//!                                                   │ Pool::apply -> notifications; then the
//!                       notify queue (own task) ◄───┤ services of each virtual server whose
//!                                                   │ destinations the batch changed
//!                                                   ▼ (Msg::Update)
//!                     reconciler thread (worker.rs: owns ipvs::Reconciler and its netlink
//!                     client): update = read those services from the kernel, plan, apply;
//!                     a full pass (whole table) at start, after an error, after a reload; in
//!                     between, the sweep: a slice of the desired services at a time, round
//!                     the table every RECONCILE_PERIOD (or slower: at most 1/100 of the time)
//! ```
//!
//! The reconciler is a thread of its own, so netlink calls never run on the tokio thread that
//! also carries the VRRP loop; checkers are tasks that only await. Work per batch of checker
//! events is proportional to the virtual servers it touched, on both sides of the channel. At
//! start the table is flushed first under `lvs_flush`; at stop the omega notifications run, then
//! the [`ipvs::StopPolicy`] (remove our services, flush under `lvs_flush_on_stop`, keep under `-I`).
//!
//! `ha_suspend` (`suspend`): the checkers of a virtual server whose address is not on the node
//! are suspended in the engine, following the node's addresses.
//!
//! A reload ([`Command::Reload`]) keeps what it does not change: checkers with the same key and
//! settings keep running with their state (`registry`), the pool keeps the state of the real
//! servers it keeps, and the reconciler reads and corrects only the services whose desired state
//! changed or that are gone, then compares the whole table in a full pass.

pub mod observe;
pub mod registry;
pub mod suspend;
pub mod worker;

use std::sync::mpsc as std_mpsc;
use std::sync::Arc;
use std::time::Duration;

use checkers::effects::{Notify, Pool};
use checkers::{CheckEvent, EventKind};
use ipvs::{Client, Kernel, Reconciler, ServiceState};
use tokio::sync::{mpsc, oneshot};
use tracing::{debug, error, info, warn};

use crate::lvs::checkers::{probe, CheckLatencies, TlsConfig};
use crate::lvs::desired::{desired, vs_services};
use crate::lvs::LvsPlan;
use crate::notifier::mail::QuorumWhen;
use crate::notifier::{self, Notice, Notifier, Side};
use registry::{Assignment, Registry};
use worker::{Msg, Worker};

pub use worker::RECONCILE_PERIOD;

/// What the daemon asks of the LVS side while it runs.
pub enum Command {
    /// A reload's plan, with its `SSL { }` configuration already read; `done` is told once the
    /// kernel has the new table.
    Reload {
        plan: Arc<LvsPlan>,
        tls: Option<TlsConfig>,
        done: oneshot::Sender<()>,
    },
    /// Stop (also when every sender is dropped).
    Stop,
}

/// Everything the LVS side runs from, checked before the daemon starts.
pub struct Prepared<K> {
    /// Shared with the daemon's running plans (one copy for the run).
    pub plan: Arc<LvsPlan>,
    pub tls: Option<TlsConfig>,
    pub kernel: K,
}

/// The LVS loop's state.
struct Lvs {
    plan: Arc<LvsPlan>,
    tls: Option<TlsConfig>,
    pool: Pool,
    registry: Registry,
    ktx: std_mpsc::Sender<Msg>,
    etx: mpsc::UnboundedSender<CheckEvent>,
    /// Scripts, FIFO lines and mails (off this loop).
    notifier: Notifier,
    /// Every checker runs in it (from a little after the table is programmed: see [`run`]).
    engine: Option<checkers::Engine>,
    /// The checkers run (they start a little after the table is programmed: see [`run`]).
    checking: bool,
    /// The checkers the last assignment asked to start, until the checkers may start.
    pending: Vec<(checkers::CheckerId, registry::Position)>,
    observer: observe::Observer,
    /// Where the checkers record how long their checks take (one per checker kind).
    latency: Arc<CheckLatencies>,
    /// The node's addresses, for `ha_suspend` (empty until watched: see [`run`]).
    addresses: suspend::Addresses,
    /// By virtual server: its checkers are suspended (`ha_suspend`, its address absent).
    suspended: Vec<bool>,
}

impl Lvs {
    fn new(
        plan: Arc<LvsPlan>,
        tls: Option<TlsConfig>,
        ktx: std_mpsc::Sender<Msg>,
        etx: mpsc::UnboundedSender<CheckEvent>,
        observer: observe::Observer,
        latency: Arc<CheckLatencies>,
        notifier: Notifier,
    ) -> Lvs {
        let mut registry = Registry::default();
        let assignment = registry.assign(&LvsPlan::empty(), &[], &plan, false);
        let pool = Pool::new(pool_configs(&plan, &assignment));
        let mut lvs = Lvs {
            plan,
            tls,
            pool,
            registry,
            ktx,
            etx,
            notifier,
            engine: None,
            checking: false,
            pending: assignment.start,
            observer,
            latency,
            addresses: suspend::Addresses::default(),
            suspended: Vec::new(),
        };
        lvs.suspended = suspend::suspended(&lvs.plan, &lvs.addresses);
        lvs.observer.suspension(&lvs.suspended);
        lvs.observer.rebuild(&lvs.plan, &lvs.pool);
        lvs
    }

    /// Starts the checkers the last assignment asked for (once checking has begun).
    fn start_checkers(&mut self) {
        if !self.checking {
            return;
        }
        if self.engine.is_none() {
            self.engine = Some(checkers::Engine::start(self.etx.clone()));
        }
        let start = std::mem::take(&mut self.pending);
        let mut suspended = Vec::new();
        for (id, (vi, ri, ci)) in start {
            let Some(c) = self
                .plan
                .virtual_servers
                .get(vi)
                .and_then(|v| v.real_servers.get(ri))
                .and_then(|r| r.checkers.get(ci))
            else {
                continue;
            };
            let latency = self.latency.of(c.kind()).clone();
            let started = probe(c, self.tls.as_ref()).and_then(|p| match &self.engine {
                Some(engine) => engine.add(id, *c.timing, p, latency),
                None => Err("no check engine".into()),
            });
            match started {
                Ok(()) => {
                    let v = &self.plan.virtual_servers[vi];
                    // keepalived's words for a checker that starts suspended (ha_suspend).
                    let how = if self.suspended.get(vi) == Some(&true) {
                        suspended.push(id);
                        "Deactivating"
                    } else {
                        "Activating"
                    };
                    info!(
                        "{how} healthchecker for service {} for VS {}",
                        v.rs_name(&v.real_servers[ri]),
                        v.key
                    );
                }
                Err(e) => warn!("{}: {e}; not run", self.checker_name(vi, ri, ci)),
            }
        }
        // After their starts, in the engine's order: they make no first check.
        if let Some(engine) = &self.engine {
            engine.suspend(suspended, true);
        }
    }

    fn checker_name(&self, vi: usize, ri: usize, ci: usize) -> String {
        match self.plan.virtual_servers.get(vi) {
            Some(v) => match v.real_servers.get(ri) {
                Some(r) => format!(
                    "checker {} of real server {} of virtual server {}",
                    ci + 1,
                    r.key(),
                    v.key
                ),
                None => format!("virtual server {}", v.key),
            },
            None => "a checker".into(),
        }
    }

    /// A pool notification: logged, then its script, FIFO line and (quorum changes; omega's
    /// real servers at stop) mail.
    fn notification(&self, n: Notify, when: QuorumWhen) {
        let omega = when == QuorumWhen::Stop;
        let vs = match n {
            Notify::RealServerUp { vs, .. }
            | Notify::RealServerDown { vs, .. }
            | Notify::RealServerStartsDown { vs, .. }
            | Notify::QuorumUp { vs }
            | Notify::QuorumDown { vs } => vs,
        };
        let (line, cmd, event) = self.plan.notification(n, self.pool.quorum_figures(vs));
        match when {
            QuorumWhen::Stop => info!("{line} (omega, stopping)"),
            // keepalived's words at start are those of a change.
            QuorumWhen::Start | QuorumWhen::Change => info!("{line}"),
        }
        let mail = match n {
            Notify::QuorumUp { vs } | Notify::QuorumDown { vs } => self
                .plan
                .virtual_servers
                .get(vs)
                .filter(|v| v.smtp_alert)
                .zip(self.pool.quorum_figures(vs))
                .map(|(v, (sum, quorum, hysteresis))| {
                    let up = matches!(n, Notify::QuorumUp { .. });
                    notifier::mail::virtual_server(
                        &v.key.to_string(),
                        up,
                        when,
                        notifier::mail::QuorumFigures::crossed(sum, quorum, hysteresis, up),
                    )
                }),
            // keepalived mails a real server's changes from its checkers (`check_mail`),
            // omega's at stop from here.
            Notify::RealServerDown { vs, rs } if omega => {
                self.plan.virtual_servers.get(vs).and_then(|v| {
                    let r = v.real_servers.get(rs).filter(|r| r.smtp_alert)?;
                    Some(notifier::mail::real_server_shutdown(
                        &v.rs_name(r),
                        &v.key.to_string(),
                    ))
                })
            }
            _ => None,
        };
        self.notifier.notice(
            Side::Lvs,
            Notice {
                event,
                scripts: cmd.into_iter().collect(),
                mail,
            },
        );
    }

    /// What keepalived 2.2.7 tells of each virtual server `vs` as it starts (measured in the
    /// VM): its quorum up (quorum_up, `VS ... UP`, the mail "Starting with quorum up"), or, with
    /// a sorry server, down. Under `rs_init_notifies`, each of its real servers that starts up
    /// first (notify_up, `RS ... UP`; measured: not those of an `alpha` virtual server, which
    /// start down, nor any DOWN), at the daemon's start and for the virtual servers a reload
    /// adds alike (measured: vm_rs_init_notifies_at_a_reload_as_keepalived).
    fn start_notifications(&self, vs: &[usize]) {
        for &vi in vs {
            let Some(v) = self.plan.virtual_servers.get(vi) else {
                continue;
            };
            if self.plan.rs_init_notifies {
                for rs in 0..v.real_servers.len() {
                    if self.pool.is_alive(vi, rs) == Some(true) {
                        self.notification(Notify::RealServerUp { vs: vi, rs }, QuorumWhen::Start);
                    }
                }
            }
            match self.pool.quorum_up(vi) {
                Some(true) => self.notification(Notify::QuorumUp { vs: vi }, QuorumWhen::Start),
                Some(false) if v.sorry.is_some() => {
                    self.notification(Notify::QuorumDown { vs: vi }, QuorumWhen::Start)
                }
                _ => {}
            }
        }
    }

    /// The mail of a checker going up or down (`before`: its real server's state and its own
    /// before the event; the Up of a checker that was up, its first success, mails nothing),
    /// as keepalived sends it: when the real server's `smtp_alert` is on, and the real server
    /// changed state or `no_checker_emails` is off.
    fn check_mail(&self, ev: &CheckEvent, (alive_before, checker_before): (bool, bool)) {
        let up = match ev.kind {
            EventKind::Up { .. } => true,
            EventKind::Down => false,
            _ => return,
        };
        if up == checker_before {
            return;
        }
        let Some((vi, ri, ci)) = self.pool.locate(ev.id) else {
            return;
        };
        let (Some(v), Some(alive)) = (
            self.plan.virtual_servers.get(vi),
            self.pool.is_alive(vi, ri),
        ) else {
            return;
        };
        let Some(r) = v.real_servers.get(ri).filter(|r| r.smtp_alert) else {
            return;
        };
        if alive == alive_before && self.plan.no_checker_emails {
            return;
        }
        let Some(kind) = r.checkers.get(ci).map(|c| c.mail_kind()) else {
            return;
        };
        let mail = notifier::mail::real_server(
            &v.rs_name(r),
            &v.key.to_string(),
            alive,
            kind,
            up,
            &ev.reason,
        );
        self.notifier.notice(
            Side::Lvs,
            Notice {
                mail,
                ..Notice::default()
            },
        );
    }

    /// A batch of checker events: the pool, notifications, and the services that changed to
    /// the reconciler. The work is O(virtual servers whose state changed), not O(all): an
    /// event that leaves what its virtual server's destinations depend on as it was
    /// ([`Pool::desired_inputs`]: the first success of a checker that starts up, 10,000 of them
    /// at the start of 10,000 real servers; a second checker of a real server already down)
    /// costs no recomputation of its destinations, and its snapshot is rebuilt only when
    /// published.
    fn events(&mut self, first: CheckEvent, more: &mut mpsc::UnboundedReceiver<CheckEvent>) {
        let mut touched = Vec::new();
        let mut next = Some(first);
        while let Some(ev) = next {
            self.log_event(&ev);
            self.observer.event(&ev);
            let before = self.pool.locate(ev.id).and_then(|(vi, ri, _)| {
                Some((self.pool.is_alive(vi, ri)?, self.pool.checker_up(ev.id)?))
            });
            match apply_event(&mut self.pool, &ev) {
                Ok((notes, vs)) => {
                    if let Some((vi, changed)) = vs {
                        self.observer.touched(vi);
                        if changed {
                            touched.push(vi);
                        }
                    }
                    for n in notes {
                        self.notification(n, QuorumWhen::Change);
                    }
                    if let Some(before) = before {
                        self.check_mail(&ev, before);
                    }
                }
                // A checker a reload stopped may have sent one last event.
                Err(e) => debug!("checker event: {e}"),
            }
            next = more.try_recv().ok();
        }
        let changed = changed_services(&self.plan, &self.pool, touched);
        if !changed.is_empty() {
            let _ = self.ktx.send(Msg::Update(changed));
        }
    }

    fn log_event(&self, ev: &CheckEvent) {
        let Some((vi, ri, ci)) = self.pool.locate(ev.id) else {
            return;
        };
        // Lines are made only when logged (a first success of each of 10,000 real servers
        // would otherwise format our line for nothing).
        let who = || self.checker_name(vi, ri, ci);
        let v = &self.plan.virtual_servers[vi];
        let r = &v.real_servers[ri];
        let c = &r.checkers[ci];
        match &ev.kind {
            EventKind::Down => {
                let failed = match c.keyword() {
                    "HTTP_GET" => "HTTP_CHECK",
                    "SSL_GET" => "SSL_CHECK",
                    other => other,
                };
                match failure_retries(c.keyword(), c.timing.retry, ev.first) {
                    Some(n) => info!(
                        "{failed} on service {} failed after {n} retries.",
                        v.rs_name(r)
                    ),
                    None => info!("{failed} on service {} failed.", v.rs_name(r)),
                }
                warn!("{}: down ({})", who(), ev.reason)
            }
            EventKind::Failure => info!("{}: check failed ({})", who(), ev.reason),
            // keepalived's line alone, for the checkers it was captured for, as keepalived
            // logs a success (the first success of each of 10,000 real servers is 10,000
            // lines, not 20,000); ours, with the reason, at debug then.
            EventKind::Up { .. } => match c.keyword() {
                "TCP_CHECK" => {
                    info!("TCP connection to {} success.", v.rs_name(r));
                    debug!("{}: up ({})", who(), ev.reason)
                }
                "HTTP_GET" | "SSL_GET" => {
                    info!("Remote Web server {} succeed on service.", v.rs_name(r));
                    debug!("{}: up ({})", who(), ev.reason)
                }
                _ => info!("{}: up ({})", who(), ev.reason),
            },
            EventKind::Weight(w) => info!("{}: {w}", who()),
        }
    }

    /// A reload: the new plan, keeping what stays (see the module's documentation).
    fn reload(&mut self, plan: Arc<LvsPlan>, tls: Option<TlsConfig>, done: oneshot::Sender<()>) {
        let tls_changed = plan.ssl != self.plan.ssl;
        // Virtual servers the reload adds start as at the daemon's start.
        let added: Vec<usize> = plan
            .virtual_servers
            .iter()
            .enumerate()
            .filter(|(_, v)| !self.plan.virtual_servers.iter().any(|o| o.key == v.key))
            .map(|(i, _)| i)
            .collect();
        // The checkers suspended before (ha_suspend): a kept one whose state the reload
        // changes is told and told so.
        let was_suspended: std::collections::HashSet<checkers::CheckerId> =
            (0..self.suspended.len())
                .filter(|&vi| self.suspended[vi])
                .flat_map(|vi| self.checkers_of(vi).into_iter().map(|(id, _)| id))
                .collect();
        // The running checkers' ids are the pool's (the LVS loop keeps no copy of them).
        let assignment = self
            .registry
            .assign(&self.plan, &self.pool.ids(), &plan, tls_changed);
        let notes = self.pool.reconfigure(pool_configs(&plan, &assignment));
        let timeouts = plan.timeouts.filter(|t| Some(*t) != self.plan.timeouts);
        info!(
            "LVS reload: {} virtual server(s); {} checker(s) kept, {} started, {} stopped",
            plan.virtual_servers.len(),
            checker_count(&assignment.ids) - assignment.start.len(),
            assignment.start.len(),
            assignment.stop.len()
        );
        if let Some(engine) = &self.engine {
            for &id in &assignment.stop {
                engine.remove(id);
            }
        }
        self.plan = plan;
        self.tls = tls;
        self.suspended = suspend::suspended(&self.plan, &self.addresses);
        if self.checking {
            self.resuspend_kept(&was_suspended, &assignment.start);
        }
        self.pending = if self.checking {
            assignment.start
        } else {
            // No checker has started yet (a reload before the checkers start): every checker
            // of the new plan is still to start, kept ones included.
            all_positions(&assignment.ids)
        };
        self.observer.suspension(&self.suspended);
        self.observer.rebuild(&self.plan, &self.pool);
        for n in notes {
            self.notification(n, QuorumWhen::Change);
        }
        self.start_notifications(&added);
        self.start_checkers();
        let _ = self.ktx.send(Msg::Reload {
            desired: desired(&self.plan, &self.pool),
            timeouts,
            done,
        });
    }

    /// Omega's notifications and the scripts, then the stop policy.
    async fn stop(mut self) {
        if let Some(engine) = self.engine.take() {
            engine.shutdown().await;
        }
        if self.plan.stop != ipvs::StopPolicy::Keep {
            for (vi, v) in self.plan.virtual_servers.iter().enumerate() {
                for d in self.pool.desired_of(vi).unwrap_or_default() {
                    if let Some(r) = v.real_servers.get(d.rs).filter(|_| !d.sorry) {
                        info!("Shutting down service {} from VS {}", v.rs_name(r), v.key);
                    }
                }
            }
        }
        for n in self.pool.shutdown() {
            self.notification(n, QuorumWhen::Stop);
        }
        self.notifier
            .flush(Side::Lvs, Duration::from_secs(10))
            .await;
        stop_reconciler(&self.ktx, self.plan.stop).await;
    }
}

/// How many checkers `ids` names.
fn checker_count(ids: &[Vec<Vec<checkers::CheckerId>>]) -> usize {
    ids.iter().flatten().map(Vec::len).sum()
}

/// Every checker of `ids` with its position.
fn all_positions(
    ids: &[Vec<Vec<checkers::CheckerId>>],
) -> Vec<(checkers::CheckerId, registry::Position)> {
    let mut out = Vec::new();
    for (vi, v) in ids.iter().enumerate() {
        for (ri, r) in v.iter().enumerate() {
            for (ci, &id) in r.iter().enumerate() {
                out.push((id, (vi, ri, ci)));
            }
        }
    }
    out
}

/// The pool's configuration of a plan with an assignment's checker ids.
fn pool_configs(plan: &LvsPlan, a: &Assignment) -> Vec<checkers::effects::VirtualServerConfig> {
    plan.virtual_servers
        .iter()
        .zip(&a.ids)
        .map(|(v, ids)| v.pool_config(ids))
        .collect()
}

/// Runs the LVS side until [`Command::Stop`] (or every command sender is dropped): programs the
/// kernel at once, starts the checkers once `checkers_after` is ready, follows the checkers'
/// events and the commands; then omega, scripts, stop policy.
///
/// `checkers_after` holds the checkers back while the table is programmed (the tests use it
/// to reload before any checker starts). The daemon gives it a ready future.
pub async fn run<K>(
    prepared: Prepared<K>,
    mut commands: mpsc::UnboundedReceiver<Command>,
    period: Duration,
    checkers_after: impl std::future::Future<Output = ()>,
    snapshots: tokio::sync::watch::Sender<std::sync::Arc<crate::snapshot::LvsSnapshot>>,
    latency: Arc<CheckLatencies>,
    notifier: Notifier,
) where
    K: Kernel + Send + 'static,
{
    let Prepared { plan, tls, kernel } = prepared;
    for line in &plan.skipped {
        warn!("{line}");
    }
    let (ktx, krx) = std_mpsc::channel();
    let (stats, reconciler_stats) = tokio::sync::watch::channel(Default::default());
    let worker = Worker {
        r: Reconciler::new(kernel, plan.flush),
        last_error: None,
        stats,
    };
    let ipvs_namespace = plan.ipvs_namespace.clone();
    let spawned = std::thread::Builder::new()
        .name("ipvs".into())
        .spawn(move || {
            // The client's sockets for dumps are opened on this thread: in IPVS's namespace.
            if let Some(ns) = ipvs_namespace {
                if let Err(e) = crate::netns::enter(&ns) {
                    error!("IPVS: {e}; the IPVS table is not programmed");
                    return;
                }
            }
            worker.run(krx, period)
        });
    if let Err(e) = spawned {
        error!("cannot start the IPVS reconciler thread: {e}; the LVS side does not run");
        return;
    }
    let (etx, mut erx) = mpsc::unbounded_channel();
    let timeouts = plan.timeouts;
    let mut observer = observe::Observer::new(reconciler_stats);
    observer.snapshots = snapshots;
    let mut lvs = Lvs::new(plan, tls, ktx, etx, observer, latency, notifier);
    // ha_suspend's address watch, from the first plan that needs it.
    let mut addresses = None;
    lvs.watch_addresses(&lvs.plan.clone(), &mut addresses);
    let _ = lvs
        .ktx
        .send(Msg::Desired(desired(&lvs.plan, &lvs.pool), timeouts));
    // keepalived says at start which virtual servers have their quorum, and tells it.
    let all: Vec<usize> = (0..lvs.plan.virtual_servers.len()).collect();
    lvs.start_notifications(&all);

    tokio::pin!(checkers_after);
    loop {
        lvs.observer.publish(false, &lvs.plan, &lvs.pool);
        let publish_due = lvs.observer.due().map(tokio::time::Instant::from_std);
        tokio::select! {
            _ = async { tokio::time::sleep_until(publish_due.unwrap_or_else(tokio::time::Instant::now)).await }, if publish_due.is_some() => {}
            c = commands.recv() => match c {
                Some(Command::Reload { plan, tls, done }) => {
                    // Read before the reload's checkers start.
                    lvs.watch_addresses(&plan.clone(), &mut addresses);
                    lvs.reload(plan, tls, done);
                    lvs.observer.publish(true, &lvs.plan, &lvs.pool);
                }
                Some(Command::Stop) | None => {
                    lvs.stop().await;
                    return;
                }
            },
            _ = &mut checkers_after, if !lvs.checking => {
                lvs.checking = true;
                lvs.start_checkers();
                info!(
                    "LVS: {} virtual server(s), {} checker(s) started",
                    lvs.plan.virtual_servers.len(),
                    lvs.pool.checker_ids().len()
                );
            }
            Some(ev) = erx.recv() => lvs.events(ev, &mut erx),
            ev = async { addresses.as_mut().expect("guarded").recv().await }, if addresses.is_some() => match ev {
                Some(ev) => lvs.address_event(ev),
                None => {
                    error!("ha_suspend: the watch of the node's addresses ended; the checkers stay as they are");
                    addresses = None;
                }
            },
            // A pass of the reconciler's own (the periodic full one) publishes too.
            changed = lvs.observer.reconciler.changed(), if lvs.observer.reconciler_runs => {
                lvs.observer.reconciler_changed(changed)
            }
        }
    }
}

/// Asks the reconciler thread to apply the stop policy, and waits (at most 10 s) until it has.
async fn stop_reconciler(ktx: &std_mpsc::Sender<Msg>, policy: ipvs::StopPolicy) {
    let (done_tx, done_rx) = oneshot::channel();
    if ktx.send(Msg::Stop(policy, done_tx)).is_ok() {
        let _ = tokio::time::timeout(Duration::from_secs(10), done_rx).await;
    }
}

/// The virtual server an event touched (its index), with whether its destinations changed.
type Touched = Option<(usize, bool)>;

/// Applies one checker event to the pool: its notifications, and the virtual server it
/// touched with whether that virtual server's destinations changed ([`Pool::desired_inputs`]).
fn apply_event(pool: &mut Pool, ev: &CheckEvent) -> Result<(Vec<Notify>, Touched), String> {
    let at = pool.locate(ev.id);
    let inputs = at.and_then(|(vi, ri, _)| pool.desired_inputs(vi, ri));
    let notes = pool.apply(ev)?;
    Ok((
        notes,
        at.map(|(vi, ri, _)| (vi, pool.desired_inputs(vi, ri) != inputs)),
    ))
}

/// The services of the `touched` virtual servers (those whose destinations changed), each
/// virtual server once. Costs O(touched), whatever the number of virtual servers. (The LVS
/// loop kept a copy of every virtual server's services to compare with before: 36 bytes a
/// real server for the run; [`Pool::desired_inputs`] tells it which changed.)
fn changed_services(plan: &LvsPlan, pool: &Pool, mut touched: Vec<usize>) -> Vec<ServiceState> {
    touched.sort_unstable();
    touched.dedup();
    let mut changed = Vec::new();
    for i in touched {
        let (Some(v), Some(want)) = (plan.virtual_servers.get(i), pool.desired_of(i)) else {
            continue;
        };
        changed.extend(vs_services(v, &want));
    }
    changed
}

/// The LVS side's kernel for a plan, before the runtime starts: the open-file limit raised for
/// its checkers and the IPVS client opened (in `net_namespace_ipvs`). An error when IPVS cannot
/// be programmed (no IPVS in the kernel): keepalived 2.2.7 stops entirely then, and so does the
/// daemon, as a director that cannot balance must not hold the VIP.
pub fn open(plan: Arc<LvsPlan>, tls: Option<TlsConfig>) -> Result<Prepared<Client>, String> {
    let checkers = plan.checker_count() as u64;
    match crate::process::raise_nofile_limit(checkers) {
        Ok(n) if n < checkers + 64 => {
            warn!("open-file limit {n} is low for {checkers} checkers: checks may fail with EMFILE")
        }
        Ok(_) => {}
        Err(e) => warn!("cannot raise the open-file limit: {e}"),
    }
    let kernel = crate::netns::run_in(plan.ipvs_namespace.as_deref(), crate::ipvs_cmd::open_client)
        .map_err(|e| format!("IPVS: {e}"))?
        .map_err(|e| format!("IPVS: {e}"))?;
    Ok(Prepared { plan, tls, kernel })
}

/// The retries keepalived 2.2.7 names in a check's failure line (`... failed after N
/// retries.`), or None for its plain `... failed.` (measured, `vm_wording.rs`): none with
/// `retry 0`; a TCP_CHECK's first outcome (a real server down from the start) without them
/// too, though it made its retries; HTTP_GET and SSL_GET name them then.
fn failure_retries(keyword: &str, retry: u32, first: bool) -> Option<u32> {
    match (keyword, retry, first) {
        (_, 0, _) | ("TCP_CHECK", _, true) => None,
        _ => Some(retry),
    }
}

#[cfg(test)]
mod tests;
