//! The LVS side of the daemon: health checkers -> effects pool -> IPVS reconciler.
//!
//! ```text
//!  checker tasks (one per checker) ──CheckEvent──► run() (one task: owns the Pool)
//!                                                   │ Pool::apply -> notifications, desired
//!                       notify queue (own task) ◄───┤ scripts in order
//!                                                   ▼ Desired, only when it changed
//!                     reconciler thread (owns the netlink Client): ipvs::plan(desired, kernel)
//!                     + apply; again every RECONCILE_PERIOD, so hand edits are put right
//! ```
//!
//! The reconciler is a thread of its own, so netlink calls never run on the tokio thread that
//! also carries the VRRP loop; checkers are tasks that only await. At start the table is
//! flushed first under `lvs_flush`; at stop the omega notifications run, then the
//! [`ipvs::StopPolicy`] (remove our services, flush under `lvs_flush_on_stop`, keep under `-I`).

pub mod plan;

use std::sync::mpsc as std_mpsc;
use std::time::Duration;

use checkers::effects::Pool;
use ipvs::{Client, Desired, Op, Options, Ownership, ServiceState, StopPolicy};
use tokio::sync::{mpsc, oneshot};
use tracing::{error, info, warn};

use crate::ipvs_cmd::describe;
use crate::vrrpd::notify::NotifyQueue;
use plan::LvsPlan;

/// How often the kernel's table is compared with the desired state when nothing changed.
pub const RECONCILE_PERIOD: Duration = Duration::from_secs(5);

/// What the reconciler needs from the kernel (a trait so tests can use a simulated table).
pub trait Kernel: Send + 'static {
    fn state(&mut self) -> Result<Vec<ServiceState>, String>;
    fn apply(&mut self, ops: &[Op]) -> Result<(), String>;
}

impl Kernel for Client {
    fn state(&mut self) -> Result<Vec<ServiceState>, String> {
        Client::state(self).map_err(|e| e.to_string())
    }
    fn apply(&mut self, ops: &[Op]) -> Result<(), String> {
        Client::apply(self, ops).map_err(|e| e.to_string())
    }
}

enum Msg {
    Desired(Desired),
    Stop(StopPolicy, oneshot::Sender<()>),
}

struct Reconciler<K: Kernel> {
    kernel: K,
    desired: Option<Desired>,
    flush_first: bool,
    /// The last error logged, so a persisting failure is logged once.
    last_error: Option<String>,
}

impl<K: Kernel> Reconciler<K> {
    /// Brings the kernel to the desired state; `periodic`: a check with no change asked for.
    fn reconcile(&mut self, periodic: bool) {
        let Some(desired) = &self.desired else {
            return;
        };
        let result = self.kernel.state().and_then(|actual| {
            let opts = Options {
                flush: std::mem::take(&mut self.flush_first),
            };
            let plan = ipvs::plan(desired, &actual, &Ownership::of(desired), opts);
            if plan.ops.is_empty() {
                return Ok(());
            }
            if periodic {
                warn!(
                    "IPVS: the kernel's table differs from the desired state (changed by hand?): {} operation(s) to correct it",
                    plan.ops.len()
                );
            }
            for op in &plan.ops {
                info!("IPVS: {}", describe(op));
            }
            self.kernel.apply(&plan.ops)
        });
        match result {
            Ok(()) => self.last_error = None,
            Err(e) => {
                if self.last_error.as_deref() != Some(e.as_str()) {
                    error!("IPVS: {e}; retrying every {}s", RECONCILE_PERIOD.as_secs());
                }
                self.last_error = Some(e);
            }
        }
    }

    fn stop(&mut self, policy: StopPolicy) {
        let Some(desired) = &self.desired else {
            return;
        };
        let result = self.kernel.state().and_then(|actual| {
            let ops = ipvs::plan::plan_stop(&actual, &Ownership::of(desired), policy);
            for op in &ops {
                info!("IPVS: {}", describe(op));
            }
            self.kernel.apply(&ops)
        });
        if let Err(e) = result {
            error!("IPVS at stop: {e}");
        }
    }

    fn run(mut self, rx: std_mpsc::Receiver<Msg>, period: Duration) {
        loop {
            let msg = match rx.recv_timeout(period) {
                Ok(m) => Some(m),
                Err(std_mpsc::RecvTimeoutError::Timeout) => None,
                Err(std_mpsc::RecvTimeoutError::Disconnected) => return,
            };
            match msg {
                None => self.reconcile(true),
                Some(Msg::Desired(d)) => {
                    // Only the latest desired state matters.
                    let mut d = d;
                    let mut stop = None;
                    while let Ok(m) = rx.try_recv() {
                        match m {
                            Msg::Desired(x) => d = x,
                            Msg::Stop(p, done) => {
                                stop = Some((p, done));
                                break;
                            }
                        }
                    }
                    self.desired = Some(d);
                    self.reconcile(false);
                    if let Some((p, done)) = stop {
                        self.stop(p);
                        let _ = done.send(());
                        return;
                    }
                }
                Some(Msg::Stop(p, done)) => {
                    self.stop(p);
                    let _ = done.send(());
                    return;
                }
            }
        }
    }
}

/// Stops [`run`].
pub type Stop = oneshot::Receiver<()>;

/// Runs the LVS side until `stop` fires (or its sender is dropped): starts the checkers,
/// programs the kernel, follows the checkers' events; then omega, scripts, stop policy.
pub async fn run(plan: LvsPlan, kernel: impl Kernel, stop: Stop, period: Duration) {
    let LvsPlan {
        vs,
        checkers: checker_plan,
        flush,
        stop: stop_policy,
    } = plan;
    for line in &checker_plan.skipped {
        warn!("{line}");
    }
    let mut pool = Pool::new(checker_plan.pool.clone());
    let probes = match checker_plan.probes() {
        Ok(p) => p,
        Err(e) => {
            error!("health checkers: {e}; the LVS side does not run");
            return;
        }
    };
    let (ktx, krx) = std_mpsc::channel();
    let reconciler = Reconciler {
        kernel,
        desired: None,
        flush_first: flush,
        last_error: None,
    };
    let spawned = std::thread::Builder::new()
        .name("ipvs".into())
        .spawn(move || reconciler.run(krx, period));
    if let Err(e) = spawned {
        error!("cannot start the IPVS reconciler thread: {e}; the LVS side does not run");
        return;
    }
    let notify = NotifyQueue::start();
    let mut last = plan::desired(&vs, &pool.desired());
    let _ = ktx.send(Msg::Desired(last.clone()));

    let (etx, mut erx) = mpsc::unbounded_channel();
    let mut tasks = Vec::with_capacity(probes.len());
    for (id, timing, probe) in probes {
        match checkers::spawn_checker(id, timing, probe, etx.clone()) {
            Ok(h) => tasks.push(h),
            Err(e) => warn!("{e}; not run"),
        }
    }
    info!(
        "LVS: {} virtual server(s), {} checker(s) started",
        vs.len(),
        tasks.len()
    );
    tokio::pin!(stop);
    loop {
        tokio::select! {
            _ = &mut stop => break,
            Some(ev) = erx.recv() => {
                // Every event already queued, then one desired state for the batch (a burst of
                // checker events costs one O(real servers) pass, not one per event).
                let mut changed = false;
                let mut next = Some(ev);
                while let Some(ev) = next {
                    match pool.apply(&ev) {
                        Ok(notes) => {
                            changed |= !matches!(ev.kind, checkers::EventKind::Failure);
                            for n in notes {
                                let (line, cmd) = plan::notification(&vs, n);
                                info!("{line}");
                                if let Some(cmd) = cmd {
                                    notify.push(cmd);
                                }
                            }
                        }
                        Err(e) => warn!("checker event: {e}"),
                    }
                    next = erx.try_recv().ok();
                }
                if changed {
                    let d = plan::desired(&vs, &pool.desired());
                    if d != last {
                        last = d.clone();
                        let _ = ktx.send(Msg::Desired(d));
                    }
                }
            }
        }
    }
    for t in &tasks {
        t.abort();
    }
    for n in pool.shutdown() {
        let (line, cmd) = plan::notification(&vs, n);
        info!("{line} (omega, stopping)");
        if let Some(cmd) = cmd {
            notify.push(cmd);
        }
    }
    notify.flush(Duration::from_secs(10)).await;
    let (done_tx, done_rx) = oneshot::channel();
    if ktx.send(Msg::Stop(stop_policy, done_tx)).is_ok() {
        let _ = tokio::time::timeout(Duration::from_secs(10), done_rx).await;
    }
}

/// Everything the LVS side needs before the runtime starts, or None (logged) when it does not
/// run: no virtual servers, a configuration it cannot translate, or no IPVS in the kernel (one
/// error line; the VRRP side runs on).
pub fn prepare(config: &conf_parser::Config, dont_release_ipvs: bool) -> Option<(LvsPlan, Client)> {
    if config.lvs.virtual_server.is_empty() {
        return None;
    }
    let plan = match plan::plan(config, dont_release_ipvs) {
        Ok(p) => p,
        Err(e) => {
            error!("virtual servers: {e}; the LVS side (checkers, IPVS) does not run");
            return None;
        }
    };
    let checkers = plan.checkers.checkers.len() as u64;
    match crate::process::raise_nofile_limit(checkers) {
        Ok(n) if n < checkers + 64 => {
            warn!("open-file limit {n} is low for {checkers} checkers: checks may fail with EMFILE")
        }
        Ok(_) => {}
        Err(e) => warn!("cannot raise the open-file limit: {e}"),
    }
    match Client::open() {
        Ok(c) => Some((plan, c)),
        Err(e) => {
            error!("IPVS: {e}; the LVS side (checkers, IPVS) does not run, VRRP does");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    /// The kernel's table, simulated by ipvs::simulate.
    #[derive(Clone, Default)]
    struct Sim(Arc<Mutex<Vec<ServiceState>>>);

    impl Kernel for Sim {
        fn state(&mut self) -> Result<Vec<ServiceState>, String> {
            Ok(self.0.lock().unwrap().clone())
        }
        fn apply(&mut self, ops: &[Op]) -> Result<(), String> {
            ipvs::simulate(&mut self.0.lock().unwrap(), ops).map_err(|e| e.to_string())
        }
    }

    impl Sim {
        /// Every destination, sorted.
        fn dests(&self) -> Vec<(String, u32)> {
            let mut v: Vec<_> = self
                .0
                .lock()
                .unwrap()
                .iter()
                .flat_map(|s| s.dests.iter().map(|d| (d.key().to_string(), d.weight)))
                .collect();
            v.sort();
            v
        }
        fn services(&self) -> usize {
            self.0.lock().unwrap().len()
        }
    }

    fn parse(text: &str) -> conf_parser::Config {
        let p = conf_parser::parse_str("t.conf", text, &conf_parser::Options::default());
        assert!(p.is_ok(), "{}", p.render_diagnostics());
        p.config
    }

    async fn wait_until(what: &str, mut f: impl FnMut() -> bool) {
        for _ in 0..200 {
            if f() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("timed out waiting for: {what}");
    }

    /// Real TCP_CHECKs against listeners on loopback, a simulated kernel: a listener closing
    /// removes its real server, notify_down runs, reopening brings it back, a hand edit is put
    /// right by the periodic pass, and stopping removes our service but not a foreign one.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn checkers_drive_the_kernel_table() {
        let dir = std::env::temp_dir().join(format!("krs-lvsd-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let log = dir.join("notify.log");
        let a = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let b = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let (pa, pb) = (
            a.local_addr().unwrap().port(),
            b.local_addr().unwrap().port(),
        );
        let conf = format!(
            r#"
virtual_server 127.0.0.1 80 {{
    delay_loop 1
    lb_algo rr
    lb_kind NAT
    protocol TCP
    real_server 127.0.0.1 {pa} {{
        notify_down "/bin/sh -c 'echo a-down >> {log}'"
        notify_up "/bin/sh -c 'echo a-up >> {log}'"
        TCP_CHECK {{
            connect_timeout 1
            retry 0
        }}
    }}
    real_server 127.0.0.1 {pb} {{
        TCP_CHECK {{
            connect_timeout 1
            retry 0
        }}
    }}
}}
"#,
            log = log.display()
        );
        let c = parse(&conf);
        let p = plan::plan(&c, false).unwrap();
        let sim = Sim::default();
        // A foreign service, to be left alone.
        let foreign = ipvs::Service::new(ipvs::ServiceKey::Addr {
            protocol: ipvs::Protocol::Udp,
            addr: "127.0.0.9".parse().unwrap(),
            port: 53,
        });
        sim.clone().apply(&[Op::AddService(foreign)]).unwrap();
        let (stop_tx, stop_rx) = oneshot::channel();
        let task = tokio::spawn(run(p, sim.clone(), stop_rx, Duration::from_millis(300)));
        let mut both = vec![
            (format!("127.0.0.1:{pa}"), 1),
            (format!("127.0.0.1:{pb}"), 1),
        ];
        both.sort();
        wait_until("both real servers in", || sim.dests() == both).await;
        drop(a);
        wait_until("a removed", || {
            sim.dests() == vec![(format!("127.0.0.1:{pb}"), 1)]
        })
        .await;
        wait_until("notify_down ran", || {
            std::fs::read_to_string(&log).unwrap_or_default() == "a-down\n"
        })
        .await;
        let _a = std::net::TcpListener::bind(("127.0.0.1", pa)).unwrap();
        wait_until("a back", || sim.dests() == both).await;
        wait_until("notify_up ran", || {
            std::fs::read_to_string(&log).unwrap_or_default() == "a-down\na-up\n"
        })
        .await;
        // A hand edit (ipvsadm -d): the periodic pass puts it back.
        {
            let key = sim.0.lock().unwrap()[1].service.key;
            let d = sim.0.lock().unwrap()[1].dests[0].key();
            sim.clone().apply(&[Op::DelDest(key, d)]).unwrap();
        }
        wait_until("hand edit corrected", || sim.dests() == both).await;
        stop_tx.send(()).unwrap();
        tokio::time::timeout(Duration::from_secs(10), task)
            .await
            .expect("run ends after stop")
            .unwrap();
        assert_eq!(sim.services(), 1, "only the foreign service is left");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
