use super::*;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

/// The kernel's sync daemons in memory, with the kernel's rules: one daemon per state (a second
/// start is EEXIST), stopping a daemon that does not run is ESRCH, a missing interface ENODEV;
/// listed with the defaults resolved.
#[derive(Clone, Default)]
struct FakeKernel(Arc<Mutex<Fake>>);

#[derive(Default)]
struct Fake {
    running: Vec<SyncDaemon>,
    /// Interfaces that do not exist.
    missing: Vec<String>,
    /// Every start and stop, in order.
    log: Vec<String>,
    /// The connections bound to real servers.
    conns: u64,
}

impl FakeKernel {
    fn log(&self) -> Vec<String> {
        std::mem::take(&mut self.0.lock().unwrap().log)
    }
    fn running(&self) -> Vec<(SyncState, u32)> {
        let f = self.0.lock().unwrap();
        f.running.iter().map(|d| (d.state, d.sync_id)).collect()
    }
}

impl Daemons for FakeKernel {
    type Error = String;
    fn daemons(&mut self) -> Result<Vec<SyncDaemon>, String> {
        Ok(self.0.lock().unwrap().running.clone())
    }
    fn start(&mut self, d: &SyncDaemon) -> Result<(), String> {
        let mut f = self.0.lock().unwrap();
        if f.missing.contains(&d.interface) {
            return Err("No such device".into());
        }
        if f.running.iter().any(|r| r.state == d.state) {
            return Err("File exists".into());
        }
        f.log.push(format!("start {:?} {}", d.state, d.sync_id));
        f.running.push(SyncDaemon {
            maxlen: if d.maxlen == 0 { 1472 } else { d.maxlen },
            port: if d.port == 0 { 8848 } else { d.port },
            ttl: if d.ttl == 0 { 1 } else { d.ttl },
            group: Some(d.group.unwrap_or(ipvs::sync_daemon::DEFAULT_GROUP)),
            ..d.clone()
        });
        Ok(())
    }
    fn active_connections(&mut self) -> Result<u64, String> {
        Ok(self.0.lock().unwrap().conns)
    }
    fn resend_period(&mut self) -> Option<u32> {
        None
    }
    fn stop(&mut self, state: SyncState) -> Result<(), String> {
        let mut f = self.0.lock().unwrap();
        let Some(i) = f.running.iter().position(|r| r.state == state) else {
            return Err("No such process".into());
        };
        f.running.remove(i);
        f.log.push(format!("stop {state:?}"));
        Ok(())
    }
}

fn plan(instance: Option<&str>, id: u8) -> SyncPlan {
    SyncPlan {
        instance: instance.map(String::from),
        interface: "eth0".into(),
        sync_id: id,
        maxlen: None,
        port: 8848,
        ttl: None,
        group: ipvs::sync_daemon::DEFAULT_GROUP,
    }
}

fn states(c: &Controller) -> Vec<SyncState> {
    c.wanted().iter().map(|d| d.state).collect()
}

use SyncState::{Backup, Master};

#[test]
fn the_daemon_follows_the_instance_as_keepalived_does() {
    let mut c = Controller::new(Some(plan(Some("VI_1"), 41)));
    assert_eq!(states(&c), [Backup], "before the first transition");
    assert!(c.transition("VI_1", State::Backup));
    assert_eq!(states(&c), [Backup]);
    assert!(c.transition("VI_1", State::Master));
    assert_eq!(states(&c), [Master]);
    assert!(!c.transition("VI_2", State::Fault), "another instance");
    assert_eq!(states(&c), [Master]);
    assert!(c.transition("VI_1", State::Fault));
    assert_eq!(
        states(&c),
        [Backup],
        "FAULT: a backup daemon, as keepalived"
    );
    assert!(c.transition("VI_1", State::Backup));
    assert_eq!(states(&c), [Backup]);
    assert!(c.transition("VI_1", State::Stop));
    assert_eq!(states(&c), []);
    let d = &Controller::new(Some(plan(Some("VI_1"), 41))).wanted()[0];
    assert_eq!((d.interface.as_str(), d.sync_id), ("eth0", 41));
}

#[test]
fn without_an_instance_both_run_until_stop() {
    let mut c = Controller::new(Some(plan(None, 0)));
    assert_eq!(states(&c), [Master, Backup]);
    assert!(!c.transition("VI_1", State::Master));
    assert_eq!(states(&c), [Master, Backup]);
    c.stop();
    assert_eq!(states(&c), []);
    assert_eq!(states(&Controller::new(None)), []);
}

/// Reload: equal settings change nothing in the kernel; other settings restart the daemon in
/// the role it has; a plan without the keyword stops it.
#[test]
fn a_reload_touches_the_daemon_only_when_its_settings_change() {
    let k = FakeKernel::default();
    let mut r = Runner {
        controller: Controller::new(Some(plan(Some("VI_1"), 41))),
        kernel: k.clone(),
        last_error: None,
        holds: None,
        timing: None,
        hold: None,
    };
    r.controller.transition("VI_1", State::Master);
    r.reconcile();
    assert_eq!(k.log(), ["start Master 41"]);

    assert!(!r.controller.set_plan(Some(plan(Some("VI_1"), 41))));
    assert_eq!(r.reconcile(), []);
    assert_eq!(k.log(), Vec::<String>::new());

    assert!(r.controller.set_plan(Some(plan(Some("VI_1"), 9))));
    r.reconcile();
    assert_eq!(k.log(), ["stop Master", "start Master 9"]);

    let mut ttl = plan(Some("VI_1"), 9);
    ttl.ttl = Some(2);
    assert!(r.controller.set_plan(Some(ttl)));
    r.reconcile();
    assert_eq!(k.log(), ["stop Master", "start Master 9"]);

    // Following another instance: a backup daemon until that one's first transition.
    assert!(r.controller.set_plan(Some(plan(Some("VI_2"), 9))));
    assert!(
        !r.controller.transition("VI_1", State::Master),
        "no longer followed"
    );
    r.reconcile();
    assert_eq!(k.log(), ["stop Master", "start Backup 9"]);

    assert!(r.controller.set_plan(None));
    r.reconcile();
    assert_eq!(k.log(), ["stop Backup"]);
    assert_eq!(k.running(), []);
}

#[test]
fn left_overs_are_replaced_and_matching_ones_adopted() {
    let k = FakeKernel::default();
    // A crashed run left a master with another sync id, and a backup as wanted.
    let mut other = plan(Some("VI_1"), 7).daemon(Master);
    other.interface = "eth1".into();
    k.clone().start(&other).unwrap();
    k.clone()
        .start(&plan(Some("VI_1"), 41).daemon(Backup))
        .unwrap();
    k.log();
    let mut r = Runner {
        controller: Controller::new(Some(plan(Some("VI_1"), 41))),
        kernel: k.clone(),
        last_error: None,
        holds: None,
        timing: None,
        hold: None,
    };
    r.reconcile();
    assert_eq!(k.log(), ["stop Master"], "the backup is adopted as it runs");
    assert_eq!(k.running(), [(Backup, 41)]);
}

/// The thread: transitions in, kernel operations out; a start that fails (the interface does
/// not exist yet) is tried again within the period; a daemon stopped by hand is started
/// again; the end of the VRRP side stops the daemon.
#[test]
fn the_thread_follows_transitions_retries_and_stops() {
    let k = FakeKernel::default();
    k.0.lock().unwrap().missing.push("eth0".into());
    let (tx, rx) = mpsc::channel();
    let runner = Runner {
        controller: Controller::new(Some(plan(Some("VI_1"), 41))),
        kernel: k.clone(),
        last_error: None,
        holds: None,
        timing: None,
        hold: None,
    };
    let period = Duration::from_millis(50);
    let thread = std::thread::spawn(move || runner.run(rx, period));
    let wait = |want: &[(SyncState, u32)]| {
        let t0 = Instant::now();
        while k.running() != want {
            assert!(t0.elapsed() < Duration::from_secs(5), "{:?}", k.running());
            std::thread::sleep(Duration::from_millis(5));
        }
    };
    std::thread::sleep(period * 2);
    assert_eq!(k.running(), []);
    k.0.lock().unwrap().missing.clear();
    wait(&[(Backup, 41)]);
    let send = |state| {
        tx.send(SyncInput::Instance {
            name: "VI_1".into(),
            state,
        })
        .unwrap()
    };
    send(State::Master);
    wait(&[(Master, 41)]);
    k.clone().stop(Master).unwrap();
    wait(&[(Master, 41)]);
    send(State::Backup);
    wait(&[(Backup, 41)]);
    drop(tx);
    thread.join().unwrap();
    assert_eq!(k.running(), []);
    assert_eq!(
        k.log(),
        [
            "start Backup 41",
            "stop Backup",
            "start Master 41",
            "stop Master",
            "start Master 41",
            "stop Master",
            "start Backup 41",
            "stop Backup"
        ]
    );
}

/// A fresh backup daemon holds the followed instance's preemption until the table has stopped
/// growing (after the shortest hold); becoming MASTER releases it; a table that keeps growing is
/// given up on after the longest hold.
#[test]
fn a_fresh_backup_daemon_holds_preemption_until_the_table_is_still() {
    let k = FakeKernel::default();
    let (tx, rx) = mpsc::channel();
    let (htx, hrx) = mpsc::channel::<(String, bool)>();
    let htx = Mutex::new(htx);
    let ms = Duration::from_millis;
    let runner = Runner {
        controller: Controller::new(Some(plan(Some("VI_1"), 41))),
        kernel: k.clone(),
        last_error: None,
        holds: Some(Box::new(move |instance: &str, hold| {
            let _ = htx.lock().unwrap().send((instance.to_string(), hold));
        })),
        timing: Some(Timing {
            min: ms(300),
            quiet: ms(200),
            max: ms(1500),
            poll: ms(20),
        }),
        hold: None,
    };
    let thread = std::thread::spawn(move || runner.run(rx, Duration::from_secs(5)));
    let next = |hrx: &mpsc::Receiver<(String, bool)>| {
        let t0 = Instant::now();
        loop {
            if let Ok((instance, hold)) = hrx.try_recv() {
                assert_eq!(instance, "VI_1");
                return (hold, t0.elapsed());
            }
            assert!(t0.elapsed() < Duration::from_secs(5), "no hold message");
            std::thread::sleep(ms(5));
        }
    };
    // At start: a backup daemon, held; connections arrive for 400 ms, then none.
    assert!(next(&hrx).0);
    let grow = |k: &FakeKernel, n: u64, every: Duration| {
        for _ in 0..n {
            k.0.lock().unwrap().conns += 1;
            std::thread::sleep(every);
        }
    };
    let t0 = Instant::now();
    grow(&k, 8, ms(50));
    let (hold, _) = next(&hrx);
    assert!(!hold);
    let took = t0.elapsed();
    // The last connection came 350 ms in; then 200 ms still.
    assert!(
        took >= ms(350 + 200),
        "released {took:?} after the start of growth"
    );
    let send = |state| {
        tx.send(SyncInput::Instance {
            name: "VI_1".into(),
            state,
        })
        .unwrap()
    };
    // MASTER: no hold; BACKUP again: a fresh backup daemon, held again; MASTER before it has
    // caught up releases it.
    send(State::Master);
    std::thread::sleep(ms(100));
    assert!(hrx.try_recv().is_err());
    send(State::Backup);
    assert!(next(&hrx).0);
    send(State::Master);
    assert!(!next(&hrx).0);
    // A table that keeps growing: given up on after the longest hold.
    send(State::Backup);
    assert!(next(&hrx).0);
    let t0 = Instant::now();
    let k2 = k.clone();
    let grower = std::thread::spawn(move || grow(&k2, 40, ms(50)));
    let (hold, _) = next(&hrx);
    assert!(!hold);
    let took = t0.elapsed();
    assert!(
        took >= ms(1400),
        "released after {took:?}, before the longest hold"
    );
    grower.join().unwrap();
    drop(tx);
    thread.join().unwrap();
}

/// Without `lvs_sync_daemon` the thread is idle and leaves a daemon started by hand alone; a
/// reload that brings the keyword starts ours, one that takes it away stops it.
#[test]
fn an_idle_thread_touches_nothing_until_a_reload_brings_a_plan() {
    let k = FakeKernel::default();
    k.clone().start(&plan(None, 9).daemon(Backup)).unwrap();
    k.log();
    let (tx, rx) = mpsc::channel();
    let runner = Runner {
        controller: Controller::new(None),
        kernel: k.clone(),
        last_error: None,
        holds: None,
        timing: None,
        hold: None,
    };
    let thread = std::thread::spawn(move || runner.run(rx, Duration::from_millis(20)));
    tx.send(SyncInput::Instance {
        name: "VI_1".into(),
        state: State::Master,
    })
    .unwrap();
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(
        k.running(),
        [(Backup, 9)],
        "the hand-started daemon is left alone"
    );
    tx.send(SyncInput::SetPlan(Some(plan(Some("VI_1"), 41))))
        .unwrap();
    let t0 = Instant::now();
    while k.running() != [(Master, 41)] {
        assert!(t0.elapsed() < Duration::from_secs(5), "{:?}", k.running());
        std::thread::sleep(Duration::from_millis(5));
    }
    tx.send(SyncInput::SetPlan(None)).unwrap();
    let t0 = Instant::now();
    while !k.running().is_empty() {
        assert!(t0.elapsed() < Duration::from_secs(5), "{:?}", k.running());
        std::thread::sleep(Duration::from_millis(5));
    }
    drop(tx);
    thread.join().unwrap();
    assert_eq!(k.log(), ["stop Backup", "start Master 41", "stop Master"]);
}
