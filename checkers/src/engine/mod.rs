//! The check engine: keepalived's timing rules for every checker, run by one task.
//!
//! A checker starts up, or down with `alpha`. Its first check runs after a random delay in
//! `0..=warmup`. After a success the next check runs `delay_loop` later. After a failure while the
//! checker is up, it is checked again `delay_before_retry` later, up to `retry` more times; the
//! failure that exhausts the retries takes it down, and checks go back to every `delay_loop`. A
//! checker that is down is checked every `delay_loop` and comes up on its first success. A check
//! that cannot be made here ([`Failure::is_local`]: no socket) does not count: it comes again
//! after `delay_loop`, the checker unchanged (keepalived's "Rescheduling"). A checker suspended
//! ([`Engine::suspend`]) makes no check at its deadlines, which still come every `delay_loop`.
//!
//! Every change of state is sent as a [`CheckEvent`] on the channel, in the order it happened,
//! and the first check's success of a checker that starts up (nothing changes, but keepalived
//! says so).
//! With `log_all_failures`, each failed attempt of an up checker that does not (yet) take it
//! down is sent too, as [`EventKind::Failure`] (keepalived logs failures only while up).
//!
//! Each check's duration, from its start until the engine sees its end, is recorded in the
//! [`Latency`] its checker was given (shared: the daemon gives one per checker kind): two atomic
//! additions, no message and no allocation per check. A check that cannot be made here is not
//! recorded (it does not count).
//!
//! The parts: `rules` (one checker's state machine, pure), `schedule` (every checker's next
//! deadline in one heap, pure), `driver` (the one task: starts the checks due together, polls
//! the probes in flight, sends the events), `connect` (TCP_CHECKs in batches, without a future
//! per check). An [`Engine`] starts and stops checkers one by one by [`CheckerId`]; the engine
//! ends when the receiver of its events is dropped or the engine is dropped.

mod connect;
mod driver;
mod failure;
mod ratelimit;
mod rules;
mod schedule;
mod slots_by_id;

pub use failure::Failure;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc::UnboundedSender;
use tokio::task::JoinHandle;

use crate::latency::Latency;

/// Which checker: a number the daemon gives each checker it starts, never reused while it runs
/// (so that a reload can keep a checker and its state under the same id, and an event of a
/// checker stopped since is recognised as stale). The engine only carries it in its events.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CheckerId(pub u64);

impl std::fmt::Display for CheckerId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "checker {}", self.0)
    }
}

/// The timing options every checker has (keepalived's resolved values).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timing {
    pub delay_loop: Duration,
    /// Extra attempts after a failure before the checker goes down (`retry`, `nb_get_retry`).
    pub retry: u32,
    pub delay_before_retry: Duration,
    /// Maximum random delay before the first check (zero: none).
    pub warmup: Duration,
    /// Start down; come up on the first success.
    pub alpha: bool,
    /// Report every failed attempt while up, not only the one that takes the checker down.
    pub log_all_failures: bool,
}

impl Timing {
    /// Zero delays are accepted except `delay_loop`, which would make a busy loop.
    pub fn validate(&self) -> Result<(), String> {
        if self.delay_loop.is_zero() {
            return Err("delay_loop must be greater than zero".into());
        }
        Ok(())
    }
}

/// What a successful check says beyond "up".
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Success {
    /// A dynamic weight (MISC_CHECK with misc_dynamic, FILE_CHECK with a weight).
    pub weight: Option<DynamicWeight>,
}

/// How a checker changes its real server's weight while up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DynamicWeight {
    /// MISC_CHECK misc_dynamic: the weight the exit status asks for (status - 2).
    Set(u32),
    /// FILE_CHECK: the file's value times the weight, added to the configured weight.
    Add(i64),
}

impl std::fmt::Display for DynamicWeight {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DynamicWeight::Set(w) => write!(f, "weight {w}"),
            DynamicWeight::Add(d) => write!(f, "weight {d:+}"),
        }
    }
}

/// A check's result: success, or why it failed.
pub type ProbeResult = Result<Success, Failure>;
pub type ProbeFuture<'a> = Pin<Box<dyn Future<Output = ProbeResult> + Send + 'a>>;

/// One kind of check (TCP connect, HTTP GET, a script, ...). A probe bounds its own duration
/// (connect_timeout, misc_timeout).
pub trait Probe: Send + Sync + 'static {
    fn probe(&self) -> ProbeFuture<'_>;

    /// A probe that is nothing but a TCP connect (TCP_CHECK) says where to: the engine then
    /// makes the connect itself, with the other checks due at the same time and without a
    /// future per check (`engine::connect`). [`Probe::probe`] must make the same check.
    fn tcp_connect(&self) -> Option<&crate::tcp::Connection> {
        None
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EventKind {
    /// The checker came up; `weight` as in [`Success::weight`].
    Up { weight: Option<DynamicWeight> },
    /// The checker went down.
    Down,
    /// A failed retry attempt of an up checker (only with `log_all_failures`).
    Failure,
    /// A checker that is up reported a new dynamic weight.
    Weight(DynamicWeight),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckEvent {
    pub id: CheckerId,
    pub kind: EventKind,
    /// Why: the failure's reason, or what succeeded.
    pub reason: String,
    /// No up or down of this checker was reported before this event (keepalived words a
    /// TCP_CHECK's first failure without its retries).
    pub first: bool,
}

/// Runs checkers on the current tokio runtime, all of them in one task; each is started and
/// stopped by its [`CheckerId`], and their events go to one channel. Dropping the engine stops
/// every checker.
pub struct Engine {
    commands: UnboundedSender<driver::Command>,
    task: Option<JoinHandle<()>>,
}

impl Engine {
    /// The engine's task, started on the current runtime; events go to `events`.
    pub fn start(events: UnboundedSender<CheckEvent>) -> Engine {
        let (commands, rx) = tokio::sync::mpsc::unbounded_channel();
        Engine {
            commands,
            task: Some(tokio::spawn(driver::Driver::new(events, Some(rx)))),
        }
    }

    /// Starts a checker. Its first check falls due after a random part of its warmup; each
    /// check's duration is recorded in `latency`. An id already running is refused (logged by
    /// the engine).
    pub fn add(
        &self,
        id: CheckerId,
        timing: Timing,
        probe: Arc<dyn Probe>,
        latency: Arc<Latency>,
    ) -> Result<(), String> {
        timing.validate().map_err(|e| format!("{id}: {e}"))?;
        self.commands
            .send(driver::Command::Start {
                id,
                timing,
                probe,
                latency,
            })
            .map_err(|_| format!("{id}: the check engine has stopped"))
    }

    /// Stops a checker: its check in flight, if any, is dropped (a MISC_CHECK's script is
    /// killed), and it sends nothing more, once the engine has taken the order (an event it
    /// sent before may still be in the channel).
    pub fn remove(&self, id: CheckerId) {
        let _ = self.commands.send(driver::Command::Stop(id));
    }

    /// Suspends these checkers (`on`), or resumes them: a suspended checker makes no check and
    /// sends nothing, its state kept, while its deadlines still come every `delay_loop`;
    /// resumed, it checks at the next of them (keepalived's `ha_suspend`). Orders are taken in
    /// the order given, after the checkers' start: a checker started and suspended at once
    /// makes no check. Unknown ids are ignored.
    pub fn suspend(&self, ids: Vec<CheckerId>, on: bool) {
        if !ids.is_empty() {
            let _ = self.commands.send(driver::Command::Suspend(ids, on));
        }
    }

    /// Stops every checker and waits until the engine's task is gone.
    pub async fn shutdown(mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
            let _ = task.await;
        }
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}

/// Starts one checker in an engine of its own on the current tokio runtime; aborting the
/// handle stops it. Each check's duration is recorded in `latency`.
pub fn spawn_checker(
    id: CheckerId,
    timing: Timing,
    probe: Arc<dyn Probe>,
    events: UnboundedSender<CheckEvent>,
    latency: Arc<Latency>,
) -> Result<JoinHandle<()>, String> {
    let mut engine = driver::Driver::new(events, None);
    engine.insert(id, timing, probe, latency, tokio::time::Instant::now())?;
    Ok(tokio::spawn(engine))
}

/// A checker ready to start: its id, timing and probe.
pub type CheckerSpec = (CheckerId, Timing, Arc<dyn Probe>);

/// A set of checkers started together and stopped together (also when the set is dropped), all
/// sending on one channel.
pub struct CheckerSet {
    len: usize,
    task: Option<JoinHandle<()>>,
}

impl CheckerSet {
    /// Starts every checker on the current runtime; nothing is started when one is invalid.
    /// Their checks' durations go to `latency`.
    pub fn start(
        checkers: impl IntoIterator<Item = CheckerSpec>,
        latency: Arc<Latency>,
    ) -> Result<(CheckerSet, tokio::sync::mpsc::UnboundedReceiver<CheckEvent>), String> {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let mut engine = driver::Driver::new(tx, None);
        let now = tokio::time::Instant::now();
        for (id, timing, probe) in checkers {
            engine.insert(id, timing, probe, latency.clone(), now)?;
        }
        let len = engine.len();
        Ok((
            CheckerSet {
                len,
                task: Some(tokio::spawn(engine)),
            },
            rx,
        ))
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Stops every checker and waits until they are gone (a probe in flight is cancelled; a
    /// MISC_CHECK's script is killed as its child handle is dropped).
    pub async fn shutdown(mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
            let _ = task.await;
        }
    }
}

impl Drop for CheckerSet {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}
