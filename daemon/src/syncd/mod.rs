//! keepalived's `lvs_sync_daemon`: the kernel's IPVS connection-synchronisation daemon follows a
//! VRRP instance. While the instance is MASTER the kernel runs a master daemon (it multicasts
//! the connection table's changes); in every other state a backup daemon (it receives them into
//! the local table), so that the director taking over already knows the connections and they
//! survive the failover. At stop the daemons are stopped.
//!
//! ```text
//!  VRRP loop's snapshots (watch) ──► follow() (a task: each instance's   ┐
//!                                     new state, as SyncInput::Instance)  ├─► sync thread (owns
//!  reload (SIGHUP) ─────────────────── SyncInput::SetPlan ───────────────┘   Controller and an
//!                                                                           ipvs::Client):
//!   wanted daemons = f(plan, followed instance's state); read the kernel's daemons,
//!   plan_daemons, apply; again every PERIOD (a daemon stopped by hand, an interface that was
//!   missing); preemption holds back to the VRRP loop (vrrpd::Handle::hold_preemption)
//! ```
//!
//! The thread is the only place that talks to the kernel about sync daemons, so netlink never
//! runs on the VRRP loop's thread; the loop itself is only read (its published snapshots) and
//! told to hold or release a preemption ([`catch_up`]). Everything that decides is pure:
//! [`Controller`] (which daemons are wanted) and [`ipvs::plan_daemons`] (what to do about the
//! kernel's). A reload hands the controller its new plan ([`Controller::set_plan`]): the
//! kernel's daemons change only if the settings did.

pub mod catch_up;
pub mod plan;

use std::collections::HashMap;
use std::fmt;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

use ipvs::{plan_daemons, DaemonOp, SyncDaemon, SyncState};
use tracing::{debug, error, info, warn};
use vrrp::State;

use catch_up::{CatchUp, Progress, Timing};
use plan::SyncPlan;

/// What the sync thread is told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncInput {
    /// An instance is now in `state` (from the VRRP loop's snapshots).
    Instance { name: String, state: State },
    /// A reload's plan.
    SetPlan(Option<SyncPlan>),
}

/// How the sync thread holds and releases the followed instance's preemption.
pub type Holds = Box<dyn Fn(&str, bool) + Send>;

/// How often the kernel's daemons are compared with the wanted ones when nothing happens.
pub const PERIOD: Duration = Duration::from_secs(5);

/// Which daemons are wanted, from the plan and the state of the instance it follows. Pure.
#[derive(Debug, Clone)]
pub struct Controller {
    plan: Option<SyncPlan>,
    /// Every instance's last state (a reload may name another one to follow).
    states: HashMap<String, State>,
    stopped: bool,
    /// A plan was given at some time: the kernel's daemons are ours to manage. Never before:
    /// a daemon someone started by hand on a host without `lvs_sync_daemon` is left alone.
    managing: bool,
}

impl Controller {
    pub fn new(plan: Option<SyncPlan>) -> Controller {
        Controller {
            managing: plan.is_some(),
            plan,
            states: HashMap::new(),
            stopped: false,
        }
    }

    /// Whether the kernel's sync daemons are this controller's to start and stop.
    pub fn managing(&self) -> bool {
        self.managing
    }

    /// The instance the daemons follow, if any.
    pub fn followed(&self) -> Option<&str> {
        self.plan.as_ref()?.instance.as_deref()
    }

    /// An instance entered `to`; true when it is the one the daemons follow.
    pub fn transition(&mut self, instance: &str, to: State) -> bool {
        self.states.insert(instance.to_string(), to);
        self.followed() == Some(instance)
    }

    /// A reload's plan. True when it differs from the running one: only then do the wanted
    /// daemons change (equal plans want equal daemons).
    pub fn set_plan(&mut self, plan: Option<SyncPlan>) -> bool {
        if plan == self.plan {
            return false;
        }
        self.managing |= plan.is_some();
        self.plan = plan;
        true
    }

    /// The daemon is stopping: no sync daemon is wanted any more.
    pub fn stop(&mut self) {
        self.stopped = true;
    }

    /// The daemons the kernel should run now. As keepalived: a master daemon while the
    /// followed instance is MASTER, else (before its first transition, BACKUP, FAULT) a backup
    /// one; none once it stopped. Without an instance to follow, both all the time.
    pub fn wanted(&self) -> Vec<SyncDaemon> {
        let Some(plan) = self.plan.as_ref().filter(|_| !self.stopped) else {
            return Vec::new();
        };
        let state = plan
            .instance
            .as_ref()
            .and_then(|n| self.states.get(n))
            .copied();
        let states: &[SyncState] = match (&plan.instance, state) {
            (None, _) => &[SyncState::Master, SyncState::Backup],
            (Some(_), Some(State::Master)) => &[SyncState::Master],
            (Some(_), Some(State::Stop)) => &[],
            (Some(_), _) => &[SyncState::Backup],
        };
        states.iter().map(|&s| plan.daemon(s)).collect()
    }
}

/// What the sync thread needs from the kernel ([`ipvs::Client`]; an in-memory one in tests).
pub trait Daemons {
    type Error: fmt::Display;
    fn daemons(&mut self) -> Result<Vec<SyncDaemon>, Self::Error>;
    fn start(&mut self, d: &SyncDaemon) -> Result<(), Self::Error>;
    fn stop(&mut self, state: SyncState) -> Result<(), Self::Error>;
    /// The active connections (TCP: established) bound to the local real servers, which the
    /// sync daemon counts in as it learns them: how far a backup daemon has filled the table.
    /// Inactive ones are left out: the stream of short connections that keeps arriving (each
    /// synced again when it closes) would make the count grow for as long as they linger.
    fn active_connections(&mut self) -> Result<u64, Self::Error>;
    /// The kernel's time-based re-send period, if re-sends are time-based alone
    /// ([`catch_up::resend_period`]).
    fn resend_period(&mut self) -> Option<u32>;
}

impl Daemons for ipvs::Client {
    type Error = ipvs::Error;
    fn daemons(&mut self) -> Result<Vec<SyncDaemon>, ipvs::Error> {
        ipvs::Client::daemons(self)
    }
    fn start(&mut self, d: &SyncDaemon) -> Result<(), ipvs::Error> {
        self.start_daemon(d)
    }
    fn stop(&mut self, state: SyncState) -> Result<(), ipvs::Error> {
        self.stop_daemon(state)
    }
    fn active_connections(&mut self) -> Result<u64, ipvs::Error> {
        let keys: Vec<_> = self.services()?.iter().map(|s| s.service.key).collect();
        let dests = self.dests_of(&keys, ipvs::netlink::client::READ_WINDOW)?;
        Ok(dests
            .iter()
            .flatten()
            .map(|d| u64::from(d.active_conns))
            .sum())
    }
    fn resend_period(&mut self) -> Option<u32> {
        // This network namespace's settings (the thread runs in the daemon's).
        let read = |name: &str| std::fs::read_to_string(format!("/proc/sys/net/ipv4/vs/{name}"));
        catch_up::resend_period(
            &read("sync_threshold").ok()?,
            &read("sync_refresh_period").ok()?,
        )
    }
}

/// The sync thread's state: the controller, the kernel, the last error logged (a failure that
/// persists is logged once), and the preemption hold while a fresh backup daemon catches up.
struct Runner<K: Daemons> {
    controller: Controller,
    kernel: K,
    last_error: Option<String>,
    /// Where holds go (the VRRP loop); None: no holds.
    holds: Option<Holds>,
    /// The hold's durations; None: from the kernel's settings when a hold starts.
    timing: Option<Timing>,
    hold: Option<CatchUp>,
}

impl<K: Daemons> Runner<K> {
    /// Reads the kernel's daemons and brings them to the wanted ones; logs each operation, and
    /// a failure once while it lasts. Returns the operations carried out.
    fn reconcile(&mut self) -> Vec<DaemonOp> {
        let mut done = Vec::new();
        if !self.controller.managing() {
            return done;
        }
        let result = (|| -> Result<(), String> {
            let have = self
                .kernel
                .daemons()
                .map_err(|e| format!("reading the sync daemons: {e}"))?;
            for op in plan_daemons(&self.controller.wanted(), &have) {
                match &op {
                    DaemonOp::Stop(s) => self.kernel.stop(*s),
                    DaemonOp::Start(d) => self.kernel.start(d),
                }
                .map_err(|e| format!("cannot {op}: {e}"))?;
                info!("IPVS: {op}");
                done.push(op);
            }
            Ok(())
        })();
        match result {
            Ok(()) => self.last_error = None,
            Err(e) => {
                if self.last_error.as_deref() != Some(e.as_str()) {
                    error!(
                        "lvs_sync_daemon: {e}; tried again on the next change or within {} s",
                        PERIOD.as_secs()
                    );
                }
                self.last_error = Some(e);
            }
        }
        done
    }

    /// Holds the followed instance's preemption when the operations just done started a backup
    /// daemon (its table starts catching up); releases it when a backup daemon is no longer
    /// wanted (MASTER, stopping).
    fn follow_hold(&mut self, done: &[DaemonOp], now: Instant) {
        let Some(instance) = self.controller.followed().map(str::to_string) else {
            return;
        };
        let backup_started = done
            .iter()
            .any(|op| matches!(op, DaemonOp::Start(d) if d.state == SyncState::Backup));
        if backup_started && self.holds.is_some() {
            let conns = self.kernel.active_connections().unwrap_or(0);
            let timing = self
                .timing
                .unwrap_or_else(|| Timing::for_kernel(self.kernel.resend_period()));
            self.hold = Some(CatchUp::new(now, conns, timing));
            self.send_hold(&instance, true);
            info!(
                "lvs_sync_daemon: ({instance}) preemption held until the connection table has caught up (at least {} s, at most {} s)",
                timing.min.as_secs(),
                timing.max.as_secs()
            );
            return;
        }
        let backup_wanted = self
            .controller
            .wanted()
            .iter()
            .any(|d| d.state == SyncState::Backup);
        if !backup_wanted && self.hold.take().is_some() {
            self.send_hold(&instance, false);
            debug!("lvs_sync_daemon: ({instance}) no backup daemon any more: hold released");
        }
    }

    /// Reads the table's count during a hold, and releases the hold once it has caught up.
    fn poll_hold(&mut self, now: Instant) {
        let Some(hold) = self.hold.as_mut() else {
            return;
        };
        let conns = match self.kernel.active_connections() {
            Ok(n) => n,
            Err(e) => {
                debug!("lvs_sync_daemon: counting connections: {e}");
                0
            }
        };
        let progress = hold.observe(now, conns);
        let (took, learned) = (now.duration_since(hold.started()), hold.learned());
        let instance = self.controller.followed().unwrap_or_default().to_string();
        match progress {
            Progress::Holding => return,
            Progress::CaughtUp => info!(
                "lvs_sync_daemon: ({instance}) connection table caught up after {:.1} s ({learned} connection(s) learned): preemption no longer held",
                took.as_secs_f64()
            ),
            Progress::GaveUp => warn!(
                "lvs_sync_daemon: ({instance}) connection table still growing after {:.0} s ({learned} connection(s) learned): preemption no longer held",
                took.as_secs_f64()
            ),
        }
        self.hold = None;
        self.send_hold(&instance, false);
    }

    fn send_hold(&self, instance: &str, hold: bool) {
        if let Some(holds) = &self.holds {
            holds(instance, hold);
        }
    }

    /// Until `inputs` is closed (the VRRP side has stopped, the reloads with it): each batch of
    /// inputs, then a reconcile; one every `period` regardless, and the hold's polls. At the
    /// end the daemons are stopped.
    fn run(mut self, inputs: Receiver<SyncInput>, period: Duration) {
        let done = self.reconcile();
        self.follow_hold(&done, Instant::now());
        let mut next = Instant::now() + period;
        loop {
            let every = self.timing.map_or(catch_up::POLL, |t| t.poll);
            let poll = self.hold.as_ref().map(|_| Instant::now() + every);
            let until = poll.map_or(next, |p| p.min(next));
            match inputs.recv_timeout(until.saturating_duration_since(Instant::now())) {
                Ok(first) => {
                    let mut touched = self.take(first);
                    while let Ok(i) = inputs.try_recv() {
                        touched |= self.take(i);
                    }
                    if !touched {
                        continue;
                    }
                }
                Err(RecvTimeoutError::Timeout) => {
                    if Instant::now() < next {
                        self.poll_hold(Instant::now());
                        continue;
                    }
                }
                Err(RecvTimeoutError::Disconnected) => {
                    self.controller.stop();
                    self.reconcile();
                    debug!("lvs_sync_daemon: stopped");
                    return;
                }
            }
            let done = self.reconcile();
            self.follow_hold(&done, Instant::now());
            self.poll_hold(Instant::now());
            next = Instant::now() + period;
        }
    }

    /// One input; true when it may change the wanted daemons.
    fn take(&mut self, input: SyncInput) -> bool {
        match input {
            SyncInput::Instance { name, state } => self.controller.transition(&name, state),
            SyncInput::SetPlan(plan) => {
                let changed = self.controller.set_plan(plan);
                if changed {
                    info!("lvs_sync_daemon: new settings from the reload");
                }
                changed
            }
        }
    }
}

/// Starts the sync thread with `plan` (None: idle until a reload brings one) on `kernel`; it
/// takes [`SyncInput`]s from `inputs`, holds preemptions through `holds`, and ends (stopping
/// the daemons it manages) when every sender of `inputs` is dropped. None (logged) when the
/// thread cannot start.
pub fn start<K: Daemons + Send + 'static>(
    plan: Option<SyncPlan>,
    kernel: K,
    inputs: Receiver<SyncInput>,
    holds: Holds,
) -> Option<std::thread::JoinHandle<()>> {
    let runner = Runner {
        controller: Controller::new(plan),
        kernel,
        last_error: None,
        holds: Some(holds),
        timing: None,
        hold: None,
    };
    std::thread::Builder::new()
        .name("ipvs-sync".into())
        .spawn(move || runner.run(inputs, PERIOD))
        .map_err(|e| error!("cannot start the lvs_sync_daemon thread: {e}; no sync daemon runs"))
        .ok()
}

/// The VRRP loop's instance states, as they change, to the sync thread: each published
/// snapshot is compared with the last states sent. Ends when the loop has stopped (its
/// snapshots' sender is gone) or the sync thread has.
pub async fn follow(
    mut snapshots: tokio::sync::watch::Receiver<std::sync::Arc<crate::snapshot::VrrpSnapshot>>,
    tx: Sender<SyncInput>,
) {
    let mut sent: HashMap<String, State> = HashMap::new();
    loop {
        let states: Vec<(String, State)> = snapshots
            .borrow_and_update()
            .instances
            .iter()
            .filter_map(|i| Some((i.name.clone(), state_of(i.state)?)))
            .collect();
        for (name, state) in states {
            if sent.get(&name) == Some(&state) {
                continue;
            }
            sent.insert(name.clone(), state);
            if tx.send(SyncInput::Instance { name, state }).is_err() {
                return;
            }
        }
        if snapshots.changed().await.is_err() {
            return;
        }
    }
}

/// A snapshot's state word (keepalived's) as the state machine's state.
fn state_of(word: &str) -> Option<State> {
    [
        State::Initialize,
        State::Backup,
        State::Master,
        State::Fault,
        State::Stop,
    ]
    .into_iter()
    .find(|&s| crate::vrrpd::notify::state_word(s) == word)
}

/// A netlink client for the sync thread, or None: no IPVS in the kernel (logged when `plan`
/// asks for a sync daemon: VRRP runs on without it). Without a plan the thread still starts
/// when IPVS is there, idle, so that a reload can bring `lvs_sync_daemon`.
pub fn open(plan: Option<&SyncPlan>) -> Option<ipvs::Client> {
    match ipvs::Client::open() {
        Ok(c) => Some(c),
        Err(e) => {
            if plan.is_some() {
                error!("IPVS: {e}; lvs_sync_daemon does not run, VRRP does");
            }
            None
        }
    }
}

#[cfg(test)]
mod tests;
