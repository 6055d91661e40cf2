//! The check engine's timing rules, on tokio's paused clock: a scripted probe records when it
//! is called and answers from a script; the tests assert the call times and the events.

use checkers::{
    spawn_checker, CheckEvent, CheckerId, DynamicWeight, EventKind, Probe, ProbeFuture,
    ProbeResult, Success, Timing,
};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;

/// Answers the n-th call with `script[n]` (the last entry repeats), after `latency`.
struct Scripted {
    script: Vec<bool>,
    latency: Duration,
    start: Instant,
    calls: Mutex<Vec<Duration>>,
}

impl Scripted {
    fn new(script: &[bool]) -> Arc<Scripted> {
        Arc::new(Scripted {
            script: script.to_vec(),
            latency: Duration::ZERO,
            start: Instant::now(),
            calls: Mutex::new(Vec::new()),
        })
    }
    fn calls(&self) -> Vec<f64> {
        self.calls
            .lock()
            .unwrap()
            .iter()
            .map(|d| d.as_secs_f64())
            .collect()
    }
}

impl Probe for Scripted {
    fn probe(&self) -> ProbeFuture<'_> {
        Box::pin(async move {
            let n = {
                let mut calls = self.calls.lock().unwrap();
                calls.push(self.start.elapsed());
                calls.len() - 1
            };
            tokio::time::sleep(self.latency).await;
            let ok = *self.script.get(n).or(self.script.last()).unwrap_or(&true);
            if ok {
                Ok(Success::default())
            } else {
                Err(format!("scripted failure {n}").into())
            }
        })
    }
}

const ID: CheckerId = CheckerId(18);

fn timing(delay_loop: u64, retry: u32, dbr: u64) -> Timing {
    Timing {
        delay_loop: Duration::from_secs(delay_loop),
        retry,
        delay_before_retry: Duration::from_secs(dbr),
        warmup: Duration::ZERO,
        alpha: false,
        log_all_failures: false,
    }
}

/// Runs the checker for `secs` of virtual time; returns the events with their times.
async fn run_for(t: Timing, probe: Arc<Scripted>, secs: u64) -> Vec<(f64, CheckEvent)> {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let start = Instant::now();
    let handle = spawn_checker(ID, t, probe, tx, Arc::default()).unwrap();
    let mut out = Vec::new();
    let deadline = start + Duration::from_secs(secs);
    loop {
        tokio::select! {
            ev = rx.recv() => match ev {
                Some(ev) => out.push((start.elapsed().as_secs_f64(), ev)),
                None => break,
            },
            _ = tokio::time::sleep_until(deadline) => break,
        }
    }
    handle.abort();
    out
}

fn kinds(events: &[(f64, CheckEvent)]) -> Vec<(f64, EventKind)> {
    events.iter().map(|(t, e)| (*t, e.kind.clone())).collect()
}

#[tokio::test(start_paused = true)]
async fn success_checks_every_delay_loop() {
    let probe = Scripted::new(&[true]);
    let events = run_for(timing(10, 1, 1), probe.clone(), 35).await;
    assert_eq!(probe.calls(), vec![0.0, 10.0, 20.0, 30.0]);
    // A checker that starts up says its first success (keepalived logs it), then nothing
    // while it stays up.
    assert_eq!(kinds(&events), vec![(0.0, EventKind::Up { weight: None })]);
}

#[tokio::test(start_paused = true)]
async fn failure_goes_down_after_retry_times_delay_before_retry() {
    // Up at 0 and 10; fails from the third call on. retry 2, delay_before_retry 1:
    // attempts at 20, 21, 22 -> down at 22; then back to delay_loop: 32, 42.
    let probe = Scripted::new(&[true, true, false]);
    let events = run_for(timing(10, 2, 1), probe.clone(), 45).await;
    assert_eq!(probe.calls(), vec![0.0, 10.0, 20.0, 21.0, 22.0, 32.0, 42.0]);
    assert_eq!(
        kinds(&events),
        vec![
            (0.0, EventKind::Up { weight: None }),
            (22.0, EventKind::Down)
        ]
    );
    assert_eq!(events[1].1.id, ID);
    assert_eq!(events[1].1.reason, "scripted failure 4");
}

#[tokio::test(start_paused = true)]
async fn retry_zero_goes_down_on_first_failure() {
    let probe = Scripted::new(&[true, false]);
    let events = run_for(timing(5, 0, 1), probe.clone(), 12).await;
    assert_eq!(probe.calls(), vec![0.0, 5.0, 10.0]);
    assert_eq!(
        kinds(&events),
        vec![
            (0.0, EventKind::Up { weight: None }),
            (5.0, EventKind::Down)
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn a_success_during_retries_resets_the_count() {
    // fail, ok, fail, fail(-> down with retry 1)
    let probe = Scripted::new(&[false, true, false, false, true]);
    let events = run_for(timing(10, 1, 2), probe.clone(), 35).await;
    // 0 fail (retry 1 of 1) -> 2 ok -> 12 fail -> 14 fail: down -> 24 ok: up -> 34 ok
    assert_eq!(probe.calls(), vec![0.0, 2.0, 12.0, 14.0, 24.0, 34.0]);
    // The success at 2 is the checker's first outcome, told as keepalived tells it (a failed
    // attempt before it decided nothing).
    assert_eq!(
        kinds(&events),
        vec![
            (2.0, EventKind::Up { weight: None }),
            (14.0, EventKind::Down),
            (24.0, EventKind::Up { weight: None })
        ]
    );
    let first: Vec<bool> = events.iter().map(|(_, e)| e.first).collect();
    assert_eq!(first, [true, false, false]);
}

#[tokio::test(start_paused = true)]
async fn the_probe_duration_adds_to_the_delays() {
    // A probe that takes 3 s (e.g. a connect that times out) and always fails.
    let probe = Arc::new(Scripted {
        script: vec![false],
        latency: Duration::from_secs(3),
        start: Instant::now(),
        calls: Mutex::new(Vec::new()),
    });
    let events = run_for(timing(10, 1, 1), probe.clone(), 25).await;
    // 0..3 fail, retry at 4..7 fail -> down at 7, next at 17..20.
    assert_eq!(probe.calls(), vec![0.0, 4.0, 17.0]);
    assert_eq!(kinds(&events), vec![(7.0, EventKind::Down)]);
}

#[tokio::test(start_paused = true)]
async fn alpha_starts_down_and_comes_up_on_first_success() {
    let probe = Scripted::new(&[false, false, true]);
    let mut t = timing(10, 3, 1);
    t.alpha = true;
    let events = run_for(t, probe.clone(), 25).await;
    // While down, failures wait delay_loop (no retries); the first is reported (keepalived
    // 2.2.7 tells the real server down then), the others not.
    assert_eq!(probe.calls(), vec![0.0, 10.0, 20.0]);
    assert_eq!(
        kinds(&events),
        vec![
            (0.0, EventKind::Down),
            (20.0, EventKind::Up { weight: None })
        ]
    );
}

/// Failures are reported while up (the retries); once down, failing checks are silent.
#[tokio::test(start_paused = true)]
async fn log_all_failures_reports_each_failed_attempt() {
    let probe = Scripted::new(&[true, false]);
    let mut t = timing(10, 2, 1);
    t.log_all_failures = true;
    let events = run_for(t, probe.clone(), 25).await;
    assert_eq!(
        kinds(&events),
        vec![
            (0.0, EventKind::Up { weight: None }),
            (10.0, EventKind::Failure),
            (11.0, EventKind::Failure),
            (12.0, EventKind::Down)
        ]
    );
    assert!(
        events[1].1.reason.contains("attempt 1 of 3"),
        "{:?}",
        events[1].1.reason
    );
}

#[tokio::test(start_paused = true)]
async fn without_log_all_failures_failed_attempts_are_silent() {
    let probe = Scripted::new(&[true, false]);
    let events = run_for(timing(10, 2, 1), probe.clone(), 25).await;
    assert_eq!(
        kinds(&events),
        vec![
            (0.0, EventKind::Up { weight: None }),
            (12.0, EventKind::Down)
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn warmup_delays_the_first_check_randomly_up_to_warmup() {
    let mut firsts = Vec::new();
    for _ in 0..20 {
        let probe = Scripted::new(&[true]);
        let mut t = timing(100, 1, 1);
        t.warmup = Duration::from_secs(30);
        run_for(t, probe.clone(), 31).await;
        let calls = probe.calls();
        assert_eq!(calls.len(), 1, "{calls:?}");
        firsts.push(calls[0]);
    }
    assert!(
        firsts.iter().all(|&t| (0.0..=30.0).contains(&t)),
        "{firsts:?}"
    );
    // 20 uniform draws in 0..=30 s are not all the same (a fixed delay would be).
    assert!(firsts.iter().any(|&t| t != firsts[0]), "{firsts:?}");
}

#[tokio::test(start_paused = true)]
async fn zero_delay_loop_is_an_error() {
    let (tx, _rx) = mpsc::unbounded_channel();
    let err = spawn_checker(
        ID,
        timing(0, 1, 1),
        Scripted::new(&[true]),
        tx,
        Arc::default(),
    )
    .unwrap_err();
    assert!(err.contains("delay_loop"), "{err}");
}

/// A dynamic weight is reported with Up, and as Weight when it changes while up.
struct Weights(Vec<ProbeResult>, Mutex<usize>);

impl Probe for Weights {
    fn probe(&self) -> ProbeFuture<'_> {
        Box::pin(async move {
            let mut n = self.1.lock().unwrap();
            let r = self.0[(*n).min(self.0.len() - 1)].clone();
            *n += 1;
            r
        })
    }
}

#[tokio::test(start_paused = true)]
async fn dynamic_weights_are_reported() {
    let w = |w| {
        Ok(Success {
            weight: Some(DynamicWeight::Set(w)),
        })
    };
    let probe = Arc::new(Weights(
        vec![
            w(5),
            w(5),
            Ok(Success::default()),
            w(7),
            Err("x".into()),
            w(3),
        ],
        Mutex::new(0),
    ));
    let (tx, mut rx) = mpsc::unbounded_channel();
    let mut t = timing(1, 0, 1);
    t.alpha = true;
    let h = spawn_checker(ID, t, probe, tx, Arc::default()).unwrap();
    let mut got = Vec::new();
    for _ in 0..4 {
        got.push(rx.recv().await.unwrap().kind);
    }
    h.abort();
    assert_eq!(
        got,
        vec![
            EventKind::Up {
                weight: Some(DynamicWeight::Set(5))
            },
            EventKind::Weight(DynamicWeight::Set(7)),
            EventKind::Down,
            EventKind::Up {
                weight: Some(DynamicWeight::Set(3))
            }
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn the_task_ends_when_the_receiver_is_dropped() {
    let (tx, rx) = mpsc::unbounded_channel();
    let h = spawn_checker(
        ID,
        timing(1, 0, 1),
        Scripted::new(&[true]),
        tx,
        Arc::default(),
    )
    .unwrap();
    drop(rx);
    tokio::time::timeout(Duration::from_secs(5), h)
        .await
        .expect("task ended")
        .unwrap();
}

#[tokio::test(start_paused = true)]
async fn a_checker_set_starts_and_stops_together() {
    let specs: Vec<checkers::CheckerSpec> = (0..3)
        .map(|i| {
            let probe: Arc<dyn Probe> = Scripted::new(&[false]);
            (CheckerId(i as u64), timing(5, 0, 1), probe)
        })
        .collect();
    let (set, mut rx) = checkers::CheckerSet::start(specs, Arc::default()).unwrap();
    assert_eq!(set.len(), 3);
    let mut down: Vec<u64> = Vec::new();
    for _ in 0..3 {
        let ev = rx.recv().await.unwrap();
        assert_eq!(ev.kind, EventKind::Down);
        down.push(ev.id.0);
    }
    down.sort_unstable();
    assert_eq!(down, vec![0, 1, 2]);
    set.shutdown().await;
    // Every sender is gone with its task: the channel ends.
    assert_eq!(rx.recv().await, None);
}

#[tokio::test(start_paused = true)]
async fn a_checker_set_with_an_invalid_checker_starts_nothing() {
    let good: Arc<dyn Probe> = Scripted::new(&[true]);
    let bad: Arc<dyn Probe> = Scripted::new(&[true]);
    let specs = vec![
        (CheckerId(0), timing(5, 0, 1), good),
        (CheckerId(16), timing(0, 0, 1), bad),
    ];
    let err = checkers::CheckerSet::start(specs, Arc::default())
        .err()
        .expect("an error");
    assert!(
        err.contains("checker 16") && err.contains("delay_loop"),
        "{err}"
    );
}

/// Each check's duration goes to the latency histograms given, successes and failures apart,
/// on the engine's clock (tokio's: paused here, so the durations are exact).
#[tokio::test(start_paused = true)]
async fn each_check_is_timed_into_the_latency_given() {
    let probe = Arc::new(Scripted {
        script: vec![true, true, false],
        latency: Duration::from_millis(30),
        start: Instant::now(),
        calls: Mutex::new(Vec::new()),
    });
    let latency = Arc::new(checkers::Latency::default());
    let (tx, _rx) = mpsc::unbounded_channel();
    let h = spawn_checker(ID, timing(1, 0, 1), probe.clone(), tx, latency.clone()).unwrap();
    // Checks at 0, 1.03, 2.06 s (each takes 30 ms, the next 1 s after it ends).
    tokio::time::sleep(Duration::from_millis(2500)).await;
    h.abort();
    assert_eq!(probe.calls().len(), 3);
    let ok = latency.success.snapshot();
    let failed = latency.failure.snapshot();
    assert_eq!((ok.count(), failed.count()), (2, 1));
    assert_eq!(ok.sum, Duration::from_millis(60));
    // 30 ms is in the 50 ms bucket (le="0.05"), not in the 25 ms one.
    let c = ok.cumulative();
    assert_eq!(c.iter().find(|(le, _)| *le == 0.025).unwrap().1, 0);
    assert_eq!(c.iter().find(|(le, _)| *le == 0.05).unwrap().1, 2);
}

/// A probe whose n-th call waits `waits[n]` (the last repeats; `None`: forever), then succeeds;
/// it records its calls and counts the calls dropped before they ended.
struct Slow {
    waits: Vec<Option<Duration>>,
    start: Instant,
    calls: Mutex<Vec<Duration>>,
    dropped: Arc<std::sync::atomic::AtomicUsize>,
}

impl Slow {
    fn new(waits: &[Option<u64>]) -> Arc<Slow> {
        Arc::new(Slow {
            waits: waits.iter().map(|w| w.map(Duration::from_secs)).collect(),
            start: Instant::now(),
            calls: Mutex::new(Vec::new()),
            dropped: Arc::default(),
        })
    }
    fn calls(&self) -> Vec<f64> {
        self.calls
            .lock()
            .unwrap()
            .iter()
            .map(|d| d.as_secs_f64())
            .collect()
    }
}

/// Counts a probe future dropped before it ended.
struct DropGuard(Arc<std::sync::atomic::AtomicUsize>, bool);
impl Drop for DropGuard {
    fn drop(&mut self) {
        if !self.1 {
            self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    }
}

impl Probe for Slow {
    fn probe(&self) -> ProbeFuture<'_> {
        Box::pin(async move {
            let n = {
                let mut calls = self.calls.lock().unwrap();
                calls.push(self.start.elapsed());
                calls.len() - 1
            };
            let mut guard = DropGuard(self.dropped.clone(), false);
            match self.waits.get(n).or(self.waits.last()).copied().flatten() {
                Some(d) => tokio::time::sleep(d).await,
                None => std::future::pending().await,
            }
            guard.1 = true;
            Ok(Success::default())
        })
    }
}

/// Checkers are started and stopped one by one, by id, in one engine: a stopped one is not
/// checked again and its check in flight is dropped at once (a MISC_CHECK's script would be
/// killed); the others keep their timing; one added later starts on its own schedule.
#[tokio::test(start_paused = true)]
async fn an_engine_starts_and_stops_checkers_by_id() {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let engine = checkers::Engine::start(tx);
    let a = Scripted::new(&[true]);
    let b = Slow::new(&[Some(0), Some(100)]);
    engine
        .add(CheckerId(1), timing(10, 0, 1), a.clone(), Arc::default())
        .unwrap();
    engine
        .add(CheckerId(2), timing(10, 0, 1), b.clone(), Arc::default())
        .unwrap();
    tokio::time::sleep(Duration::from_secs(15)).await;
    // b's second check (at 10 s) is in flight for 100 s: stopping b drops it.
    assert_eq!(b.calls(), vec![0.0, 10.0]);
    assert_eq!(b.dropped.load(std::sync::atomic::Ordering::SeqCst), 0);
    engine.remove(CheckerId(2));
    let c = Scripted::new(&[true]);
    engine
        .add(CheckerId(3), timing(5, 0, 1), c.clone(), Arc::default())
        .unwrap();
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(b.dropped.load(std::sync::atomic::Ordering::SeqCst), 1);
    tokio::time::sleep(Duration::from_secs(30)).await;
    assert_eq!(
        b.calls(),
        vec![0.0, 10.0],
        "a stopped checker is not checked again"
    );
    assert_eq!(a.calls(), vec![0.0, 10.0, 20.0, 30.0, 40.0]);
    assert_eq!(c.calls(), vec![0.0, 5.0, 10.0, 15.0, 20.0, 25.0, 30.0]);
    let mut ups = Vec::new();
    while let Ok(ev) = rx.try_recv() {
        ups.push((ev.id.0, ev.kind));
    }
    let up = EventKind::Up { weight: None };
    assert_eq!(ups, vec![(1, up.clone()), (2, up.clone()), (3, up)]);
    // An id that runs is refused by the engine (logged), and the first keeps its schedule.
    engine
        .add(
            CheckerId(1),
            timing(1, 0, 1),
            Scripted::new(&[true]),
            Arc::default(),
        )
        .unwrap();
    tokio::time::sleep(Duration::from_secs(10)).await;
    assert_eq!(a.calls().len(), 6);
    engine.shutdown().await;
    assert_eq!(rx.recv().await, None, "the engine's sender is gone with it");
}

/// A suspended checker (`ha_suspend`) makes no check and sends nothing while its deadlines
/// still come every delay_loop; resumed, it checks at the next of them with its state kept (a
/// failure then counts from where it was). One started and suspended at once makes no first
/// check. The checkers not suspended keep their times exactly.
#[tokio::test(start_paused = true)]
async fn a_suspended_checker_makes_no_check_until_resumed() {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let engine = checkers::Engine::start(tx);
    let a = Scripted::new(&[true]);
    let b = Scripted::new(&[true, false]);
    let c = Scripted::new(&[true]);
    engine
        .add(CheckerId(1), timing(10, 0, 1), a.clone(), Arc::default())
        .unwrap();
    engine
        .add(CheckerId(2), timing(10, 0, 1), b.clone(), Arc::default())
        .unwrap();
    engine
        .add(CheckerId(3), timing(4, 0, 1), c.clone(), Arc::default())
        .unwrap();
    engine.suspend(vec![CheckerId(3)], true);
    tokio::time::sleep(Duration::from_secs(5)).await;
    engine.suspend(vec![CheckerId(2)], true);
    tokio::time::sleep(Duration::from_secs(30)).await;
    // At 35 s: b was checked once (at 0), c never; their deadlines ran on (b: 10, 20, 30, 40;
    // c: 0, 4, 8, ..., 36).
    assert_eq!(b.calls(), vec![0.0]);
    assert!(c.calls().is_empty(), "{:?}", c.calls());
    engine.suspend(vec![CheckerId(2), CheckerId(3)], false);
    tokio::time::sleep(Duration::from_secs(11)).await;
    assert_eq!(a.calls(), vec![0.0, 10.0, 20.0, 30.0, 40.0]);
    assert_eq!(b.calls(), vec![0.0, 40.0], "b checks at its next deadline");
    assert_eq!(c.calls(), vec![36.0, 40.0, 44.0], "c's first check");
    let mut events = Vec::new();
    while let Ok(ev) = rx.try_recv() {
        events.push((ev.id.0, ev.kind));
    }
    let up = EventKind::Up { weight: None };
    // b stayed up while suspended; its failure at 40 takes it down (retry 0).
    assert_eq!(
        events,
        vec![
            (1, up.clone()),
            (2, up.clone()),
            (3, up),
            (2, EventKind::Down)
        ]
    );
    engine.shutdown().await;
}

/// One checker whose check never ends (a server that accepts and never answers, before its
/// probe's own timeout) holds nobody else up: the others keep their times to the millisecond.
#[tokio::test(start_paused = true)]
async fn a_check_that_never_ends_holds_no_other_up() {
    let (tx, _rx) = mpsc::unbounded_channel();
    let engine = checkers::Engine::start(tx);
    let stuck = Slow::new(&[None]);
    engine
        .add(CheckerId(1), timing(1, 0, 1), stuck.clone(), Arc::default())
        .unwrap();
    let others: Vec<Arc<Scripted>> = (0..50).map(|_| Scripted::new(&[true])).collect();
    for (i, p) in others.iter().enumerate() {
        engine
            .add(
                CheckerId(10 + i as u64),
                timing(2, 0, 1),
                p.clone(),
                Arc::default(),
            )
            .unwrap();
    }
    tokio::time::sleep(Duration::from_secs(9)).await;
    assert_eq!(stuck.calls(), vec![0.0]);
    for p in &others {
        assert_eq!(p.calls(), vec![0.0, 2.0, 4.0, 6.0, 8.0]);
    }
}

/// Thousands of checks falling due at the same instant are all made, in turns (the engine
/// yields between turns), and none is late in virtual time.
#[tokio::test(start_paused = true)]
async fn checks_due_together_are_made_in_turns() {
    let (tx, _rx) = mpsc::unbounded_channel();
    let engine = checkers::Engine::start(tx);
    let probes: Vec<Arc<Scripted>> = (0..2000).map(|_| Scripted::new(&[true])).collect();
    for (i, p) in probes.iter().enumerate() {
        engine
            .add(
                CheckerId(i as u64),
                timing(3, 0, 1),
                p.clone(),
                Arc::default(),
            )
            .unwrap();
    }
    tokio::time::sleep(Duration::from_secs(7)).await;
    for p in &probes {
        assert_eq!(p.calls(), vec![0.0, 3.0, 6.0]);
    }
}

/// A check that cannot be made here (no socket: out of file descriptors) does not count
/// against the real server: no retry, no down, nothing reported; it is made again delay_loop
/// later (keepalived: "fail to create socket. Rescheduling.").
#[tokio::test(start_paused = true)]
async fn a_check_that_cannot_be_made_here_is_rescheduled_without_counting() {
    struct NoSocket(Mutex<Vec<f64>>, Instant);
    impl Probe for NoSocket {
        fn probe(&self) -> ProbeFuture<'_> {
            Box::pin(async move {
                let mut calls = self.0.lock().unwrap();
                calls.push(self.1.elapsed().as_secs_f64());
                // Up on the first check, then no socket.
                if calls.len() == 1 {
                    Ok(Success::default())
                } else {
                    Err(checkers::Failure::NoSocket {
                        target: "192.0.2.1:80".parse().unwrap(),
                        errno: 24,
                    })
                }
            })
        }
    }
    let probe = Arc::new(NoSocket(Mutex::new(Vec::new()), Instant::now()));
    let (tx, mut rx) = mpsc::unbounded_channel();
    let latency = Arc::new(checkers::Latency::default());
    let h = spawn_checker(ID, timing(10, 2, 1), probe.clone(), tx, latency.clone()).unwrap();
    tokio::time::sleep(Duration::from_secs(45)).await;
    h.abort();
    // Not 10, 11, 12 (retries) then down: every delay_loop, still up.
    assert_eq!(*probe.0.lock().unwrap(), vec![0.0, 10.0, 20.0, 30.0, 40.0]);
    let mut kinds = Vec::new();
    while let Ok(ev) = rx.try_recv() {
        kinds.push(ev.kind);
    }
    assert_eq!(kinds, vec![EventKind::Up { weight: None }]);
    // Nor is it timed: only the first check was made.
    let counts = (
        latency.success.snapshot().count(),
        latency.failure.snapshot().count(),
    );
    assert_eq!(counts, (1, 0));
}
