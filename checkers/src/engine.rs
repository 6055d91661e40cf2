//! The check engine: one tokio task per checker, running keepalived's timing rules.
//!
//! A checker starts up, or down with `alpha`. Its first check runs after a random delay in
//! `0..=warmup`. After a success the next check runs `delay_loop` later. After a failure while the
//! checker is up, it is checked again `delay_before_retry` later, up to `retry` more times; the
//! failure that exhausts the retries takes it down, and checks go back to every `delay_loop`. A
//! checker that is down is checked every `delay_loop` and comes up on its first success.
//!
//! Every change of state is sent as a [`CheckEvent`] on the channel, in the order it happened,
//! and the first check's success of a checker that starts up (nothing changes, but keepalived
//! says so).
//! With `log_all_failures`, each failed attempt of an up checker that does not (yet) take it
//! down is sent too, as [`EventKind::Failure`] (keepalived logs failures only while up). A task
//! ends when the receiver is dropped or it is aborted.
//!
//! Each check's duration is recorded in a shared [`Latency`] (fixed buckets of atomic counters):
//! no message and no allocation per check.

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

/// A check's result: success, or the reason it failed.
pub type ProbeResult = Result<Success, String>;
pub type ProbeFuture<'a> = Pin<Box<dyn Future<Output = ProbeResult> + Send + 'a>>;

/// One kind of check (TCP connect, HTTP GET, a script, ...). A probe bounds its own duration
/// (connect_timeout, misc_timeout).
pub trait Probe: Send + Sync + 'static {
    fn probe(&self) -> ProbeFuture<'_>;
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
}

/// Starts the checker's task on the current tokio runtime. Each check's duration is recorded in
/// `latency` (shared with other checkers: the daemon gives one per checker kind).
pub fn spawn_checker(
    id: CheckerId,
    timing: Timing,
    probe: Arc<dyn Probe>,
    events: UnboundedSender<CheckEvent>,
    latency: Arc<Latency>,
) -> Result<JoinHandle<()>, String> {
    timing.validate().map_err(|e| format!("{id}: {e}"))?;
    Ok(tokio::spawn(run(id, timing, probe, events, latency)))
}

fn warmup_delay(warmup: Duration) -> Duration {
    let max = u64::try_from(warmup.as_nanos()).unwrap_or(u64::MAX);
    if max == 0 {
        Duration::ZERO
    } else {
        Duration::from_nanos(fastrand::u64(0..=max))
    }
}

/// The state machine of one checker, apart from the waiting.
#[derive(Debug)]
struct State {
    up: bool,
    /// A check has completed: the first success of a checker that starts up is reported too
    /// (keepalived logs it: "TCP connection to ... success.").
    checked: bool,
    failed_attempts: u32,
    weight: Option<DynamicWeight>,
}

impl State {
    /// Applies one result; returns the event to send (if any) and the delay before the next check.
    fn step(
        &mut self,
        timing: &Timing,
        result: ProbeResult,
    ) -> (Option<(EventKind, String)>, Duration) {
        match result {
            Ok(s) => {
                self.failed_attempts = 0;
                let first = !std::mem::replace(&mut self.checked, true);
                let event = if !self.up || first {
                    self.up = true;
                    self.weight = s.weight.or(self.weight);
                    Some((
                        EventKind::Up { weight: s.weight },
                        "check succeeded".to_string(),
                    ))
                } else {
                    match s.weight {
                        Some(w) if self.weight != Some(w) => {
                            self.weight = Some(w);
                            Some((EventKind::Weight(w), format!("dynamic {w}")))
                        }
                        _ => None,
                    }
                };
                (event, timing.delay_loop)
            }
            Err(reason) if self.up && self.failed_attempts < timing.retry => {
                self.checked = true;
                self.failed_attempts += 1;
                let event = timing.log_all_failures.then(|| {
                    (
                        EventKind::Failure,
                        format!(
                            "{reason} (attempt {} of {})",
                            self.failed_attempts,
                            timing.retry + 1
                        ),
                    )
                });
                (event, timing.delay_before_retry)
            }
            Err(reason) if self.up => {
                self.checked = true;
                self.up = false;
                self.failed_attempts = 0;
                (Some((EventKind::Down, reason)), timing.delay_loop)
            }
            // A checker that is down stays silent, as keepalived logs failures only while up.
            Err(_) => (None, timing.delay_loop),
        }
    }
}

/// The checker's task. An `async` block rather than an `async fn`: an `async fn` keeps its
/// arguments twice in its future (as captured and again as locals); with the event kept across
/// the sleep too, that future was 400 bytes and each checker's tokio task 512. This one is 248
/// (232 since the id is one number, 240 with the latency's `Arc`: a 384-byte task);
/// `tests::the_checker_task_stays_small` guards it.
#[allow(clippy::manual_async_fn)] // deliberately not an `async fn`, see above
fn run(
    id: CheckerId,
    timing: Timing,
    probe: Arc<dyn Probe>,
    events: UnboundedSender<CheckEvent>,
    latency: Arc<Latency>,
) -> impl Future<Output = ()> + Send {
    async move {
        let mut state = State {
            up: !timing.alpha,
            checked: false,
            failed_attempts: 0,
            weight: None,
        };
        tokio::time::sleep(warmup_delay(timing.warmup)).await;
        loop {
            let result = Timed::new(probe.probe(), &latency).await;
            // In a block of its own, so that the event is not kept in the future across the
            // sleep.
            let delay = {
                let (event, delay) = state.step(&timing, result);
                // The daemon logs each event, with the names of its real and virtual server.
                if let Some((kind, reason)) = event {
                    if events.send(CheckEvent { id, kind, reason }).is_err() {
                        return;
                    }
                } else if events.is_closed() {
                    return;
                }
                delay
            };
            tokio::time::sleep(delay).await;
        }
    }
}

/// A probe's future that records how long it took. A future of its own rather than a start
/// time kept in the task across the `.await`: as the awaited future it shares its place in the
/// task with the sleep's, where a start time was a field of its own (the task's future 240
/// bytes -> 280).
struct Timed<'a> {
    probe: ProbeFuture<'a>,
    // tokio's clock: paused in tests like the rest of the engine's timing.
    started: tokio::time::Instant,
    latency: &'a Latency,
}

impl<'a> Timed<'a> {
    fn new(probe: ProbeFuture<'a>, latency: &'a Latency) -> Self {
        Timed {
            probe,
            started: tokio::time::Instant::now(),
            latency,
        }
    }
}

impl Future for Timed<'_> {
    type Output = ProbeResult;

    fn poll(
        mut self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<ProbeResult> {
        let result = std::task::ready!(self.probe.as_mut().poll(cx));
        self.latency.observe(self.started.elapsed(), result.is_ok());
        std::task::Poll::Ready(result)
    }
}

/// A checker ready to start: its id, timing and probe.
pub type CheckerSpec = (CheckerId, Timing, Arc<dyn Probe>);

/// A set of checkers started together and stopped together (also when the set is dropped), all
/// sending on one channel.
pub struct CheckerSet {
    tasks: tokio::task::JoinSet<()>,
}

impl CheckerSet {
    /// Starts every checker on the current runtime; nothing is started when one is invalid.
    /// Their checks' durations go to `latency`.
    pub fn start(
        checkers: impl IntoIterator<Item = CheckerSpec>,
        latency: Arc<Latency>,
    ) -> Result<(CheckerSet, tokio::sync::mpsc::UnboundedReceiver<CheckEvent>), String> {
        let checkers: Vec<CheckerSpec> = checkers.into_iter().collect();
        for (id, timing, _) in &checkers {
            timing.validate().map_err(|e| format!("{id}: {e}"))?;
        }
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let mut tasks = tokio::task::JoinSet::new();
        for (id, timing, probe) in checkers {
            tasks.spawn(run(id, timing, probe, tx.clone(), latency.clone()));
        }
        Ok((CheckerSet { tasks }, rx))
    }

    pub fn len(&self) -> usize {
        self.tasks.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tasks.is_empty()
    }

    /// Stops every checker and waits until they are gone (a probe in flight is cancelled; a
    /// MISC_CHECK's script is killed as its child handle is dropped).
    pub async fn shutdown(mut self) {
        self.tasks.shutdown().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Up;
    impl Probe for Up {
        fn probe(&self) -> ProbeFuture<'_> {
            Box::pin(async { Ok(Success::default()) })
        }
    }

    /// A regression guard on memory, not on speed: every checker is one tokio task, and a task
    /// is one allocation of its future plus about 100 bytes of tokio's header and trailer,
    /// rounded up to 128 bytes (tokio aligns task cells to 128 on x86_64 and aarch64). The
    /// future holds the checker's id, timing, probe, sender and latency (120 bytes), its state
    /// (24) and
    /// the larger of what it awaits: a tokio `Sleep` (112 bytes) or the boxed probe future. At
    /// most 280 bytes keeps the task cell at 384 bytes; the `async fn` this replaced was 400
    /// (a 512-byte cell: 1.25 MiB more at 10,000 checkers). It is 240 now.
    #[test]
    fn the_checker_task_stays_small() {
        let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
        let timing = Timing {
            delay_loop: Duration::from_secs(1),
            retry: 0,
            delay_before_retry: Duration::from_secs(1),
            warmup: Duration::ZERO,
            alpha: false,
            log_all_failures: false,
        };
        let id = CheckerId(0);
        let task = run(id, timing, Arc::new(Up), tx, Arc::default());
        let size = std::mem::size_of_val(&task);
        eprintln!("checker task future: {size} bytes");
        assert!(
            size <= 280,
            "the checker's task future grew to {size} bytes"
        );
    }
}
