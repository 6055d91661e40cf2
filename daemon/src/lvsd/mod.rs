//! The LVS side of the daemon: health checkers -> effects pool -> IPVS reconciler.
//!
//! ```text
//!  checker tasks (one per checker) ──CheckEvent──► run() (one task: owns the Pool)
//!                                                   │ Pool::apply -> notifications; then the
//!                       notify queue (own task) ◄───┤ desired state of each virtual server
//!                                                   │ the batch touched, compared with its last
//!                                                   ▼ the services that changed (Msg::Update)
//!                     reconciler thread (owns ipvs::Reconciler and its netlink Client):
//!                     update = read those services from the kernel, plan, apply;
//!                     a full pass (whole table) at start, after an error, every RECONCILE_PERIOD
//!                     (or 20x the last full pass's time, if longer)
//! ```
//!
//! The reconciler is a thread of its own, so netlink calls never run on the tokio thread that
//! also carries the VRRP loop; checkers are tasks that only await. Work per batch of checker
//! events is proportional to the virtual servers it touched, on both sides of the channel. At
//! start the table is flushed first under `lvs_flush`; at stop the omega notifications run, then
//! the [`ipvs::StopPolicy`] (remove our services, flush under `lvs_flush_on_stop`, keep under `-I`).

pub mod plan;

use std::sync::mpsc as std_mpsc;
use std::time::{Duration, Instant};

use checkers::effects::Pool;
use ipvs::{Client, Desired, Kernel, Pass, PassKind, Reconciler, ServiceState, StopPolicy};
use tokio::sync::{mpsc, oneshot};
use tracing::{debug, error, info, warn};

use crate::ipvs_cmd::describe;
use crate::vrrpd::notify::NotifyQueue;
use plan::LvsPlan;

/// How often the kernel's whole table is compared with the desired state (a full pass), so
/// that hand edits in services no update touches are put right (less often when a full pass
/// is slow: see `full_pass_interval`).
pub const RECONCILE_PERIOD: Duration = Duration::from_secs(5);

/// The periodic full pass may take at most this share of the reconciler thread's time: with a
/// big table (or a slow machine) the pass comes less often than [`RECONCILE_PERIOD`].
const FULL_PASS_SHARE: u32 = 20;

/// The time between full passes: `period`, or `FULL_PASS_SHARE` times as long as the last full
/// pass took to read and plan, whichever is longer (a 1 s pass: every 20 s), so that reading the whole table
/// never costs more than 1/20 of a CPU.
fn full_pass_interval(period: Duration, last_took: Duration) -> Duration {
    period.max(last_took.saturating_mul(FULL_PASS_SHARE))
}

enum Msg {
    /// The whole desired state (start): a full pass.
    Desired(Desired),
    /// These services' desired states changed: an update (reads only them).
    Update(Vec<ServiceState>),
    Stop(StopPolicy, oneshot::Sender<()>),
}

/// The reconciler thread: the [`Reconciler`], and the last error logged (so a persisting
/// failure is logged once).
struct Worker<K: Kernel> {
    r: Reconciler<K>,
    last_error: Option<String>,
}

impl<K: Kernel> Worker<K> {
    /// Logs a pass: one debug line always; the operations; a warning when a periodic pass had
    /// to correct the table, or an update found its services changed by hand; foreign services
    /// once; errors once.
    fn report(&mut self, pass: &Pass, periodic: bool) {
        debug!("IPVS {pass}");
        if periodic && !pass.ops.is_empty() {
            warn!(
                "IPVS: the kernel's table differs from the desired state (changed by hand?): {} operation(s) to correct it",
                pass.ops.len()
            );
        } else if pass.drift {
            warn!(
                "IPVS: the kernel's table had changed in the services this update touches (changed by hand?): its {} operation(s) correct that too",
                pass.ops.len()
            );
        }
        for op in &pass.ops {
            info!("IPVS: {}", describe(op));
        }
        for k in &pass.new_foreign {
            info!("IPVS: service {k} is not in the configuration: left alone");
        }
        match &pass.error {
            None => self.last_error = None,
            Some(e) => {
                if self.last_error.as_deref() != Some(e.as_str()) {
                    error!(
                        "IPVS: {e}; the next pass (on the next change, or the periodic one) reads the whole table"
                    );
                }
                self.last_error = Some(e.clone());
            }
        }
    }

    fn stop(&mut self, policy: StopPolicy) {
        let pass = self.r.stop(policy);
        debug!("IPVS at stop: {pass}");
        for op in &pass.ops {
            info!("IPVS: {}", describe(op));
        }
        if let Some(e) = pass.error {
            error!("IPVS at stop: {e}");
        }
    }

    fn run(mut self, rx: std_mpsc::Receiver<Msg>, period: Duration) {
        let mut last_full = Instant::now();
        let mut full_took = Duration::ZERO;
        loop {
            // A full pass every `period` (longer when a full pass is slow), even while updates
            // keep coming.
            let due = full_pass_interval(period, full_took).saturating_sub(last_full.elapsed());
            if due.is_zero() {
                let pass = self.r.full();
                self.report(&pass, true);
                full_took = pass.read + pass.plan;
                last_full = Instant::now();
                continue;
            }
            let first = match rx.recv_timeout(due) {
                Ok(m) => m,
                Err(std_mpsc::RecvTimeoutError::Timeout) => continue,
                Err(std_mpsc::RecvTimeoutError::Disconnected) => return,
            };
            // Everything queued becomes one pass: the latest whole state, if any, and every
            // change since (the reconciler keeps the last state of a service given twice).
            let mut desired = None;
            let mut changed = Vec::new();
            let mut stop = None;
            let mut next = Some(first);
            while let Some(m) = next {
                match m {
                    Msg::Desired(d) => {
                        desired = Some(d);
                        changed.clear();
                    }
                    Msg::Update(c) => changed.extend(c),
                    Msg::Stop(p, done) => {
                        stop = Some((p, done));
                        break;
                    }
                }
                next = rx.try_recv().ok();
            }
            if let Some(d) = desired {
                self.r.set_desired(d);
            }
            if self.r.full_due() || !changed.is_empty() {
                let pass = self.r.update(changed);
                if pass.kind == PassKind::Full {
                    // Reading and planning are what every full pass costs (programming a
                    // whole table at start is not).
                    full_took = pass.read + pass.plan;
                    last_full = Instant::now();
                }
                self.report(&pass, false);
            }
            if let Some((p, done)) = stop {
                self.stop(p);
                let _ = done.send(());
                return;
            }
        }
    }
}

/// Stops [`run`].
pub type Stop = oneshot::Receiver<()>;

/// Runs the LVS side until `stop` fires (or its sender is dropped): programs the kernel at once,
/// starts the checkers once `checkers_after` is ready, follows the checkers' events; then omega,
/// scripts, stop policy.
///
/// `checkers_after` lets the daemon give the parsed model's memory back to the system before
/// the checkers' tasks are allocated (`daemon::release_freed_memory`); the IPVS table does not
/// wait for it, so a node that takes the VIP at start serves it at once.
pub async fn run<K>(
    plan: LvsPlan,
    kernel: K,
    stop: Stop,
    period: Duration,
    checkers_after: impl std::future::Future<Output = ()>,
) where
    K: Kernel + Send + 'static,
{
    let LvsPlan {
        vs,
        checkers: checker_plan,
        flush,
        stop: stop_policy,
        ipvs_namespace: plan_ipvs_namespace,
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
    let worker = Worker {
        r: Reconciler::new(kernel, flush),
        last_error: None,
    };
    let ipvs_namespace = plan_ipvs_namespace;
    let spawned = std::thread::Builder::new().name("ipvs".into()).spawn(move || {
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
    let notify = NotifyQueue::start();
    // Each virtual server's services as last sent to the reconciler.
    let mut last: Vec<Vec<ServiceState>> = (0..vs.len())
        .map(|i| plan::vs_services(&vs[i], &pool.desired_of(i).unwrap_or_default()))
        .collect();
    let _ = ktx.send(Msg::Desired(plan::desired(&vs, &pool.desired())));

    tokio::pin!(stop);
    tokio::select! {
        _ = &mut stop => {
            stop_reconciler(&ktx, stop_policy).await;
            return;
        }
        _ = checkers_after => {}
    }
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
    loop {
        tokio::select! {
            _ = &mut stop => break,
            Some(ev) = erx.recv() => {
                // Every event already queued, then the desired state of each virtual server
                // the batch touched; only the services that changed go to the reconciler. The
                // work is O(touched virtual servers), not O(all).
                let mut touched = Vec::new();
                let mut next = Some(ev);
                while let Some(ev) = next {
                    match pool.apply(&ev) {
                        Ok(notes) => {
                            if !matches!(ev.kind, checkers::EventKind::Failure) {
                                touched.push(ev.id.vs);
                            }
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
                let changed = changed_services(&vs, &pool, &mut last, touched);
                if !changed.is_empty() {
                    let _ = ktx.send(Msg::Update(changed));
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
    stop_reconciler(&ktx, stop_policy).await;
}

/// Asks the reconciler thread to apply the stop policy, and waits (at most 10 s) until it has.
async fn stop_reconciler(ktx: &std_mpsc::Sender<Msg>, policy: StopPolicy) {
    let (done_tx, done_rx) = oneshot::channel();
    if ktx.send(Msg::Stop(policy, done_tx)).is_ok() {
        let _ = tokio::time::timeout(Duration::from_secs(10), done_rx).await;
    }
}

/// The services of the `touched` virtual servers whose desired state differs from `last`
/// (updated). Costs O(touched), whatever the number of virtual servers.
fn changed_services(
    vs: &[plan::VsPlan],
    pool: &Pool,
    last: &mut [Vec<ServiceState>],
    mut touched: Vec<usize>,
) -> Vec<ServiceState> {
    touched.sort_unstable();
    touched.dedup();
    let mut changed = Vec::new();
    for i in touched {
        let (Some(v), Some(want), Some(prev)) = (vs.get(i), pool.desired_of(i), last.get_mut(i))
        else {
            continue;
        };
        let now = plan::vs_services(v, &want);
        if now != *prev {
            changed.extend(now.iter().cloned());
            *prev = now;
        }
    }
    changed
}

/// Everything the LVS side needs before the runtime starts: None when the configuration has no
/// virtual servers; an error when it has some and they cannot be run (a configuration it cannot
/// translate, no IPVS in the kernel). keepalived 2.2.7 stops entirely then, and so does the
/// daemon: a director that cannot balance must not hold the VIP.
pub fn prepare(
    config: &conf_parser::Config,
    dont_release_ipvs: bool,
) -> Result<Option<(LvsPlan, Client)>, String> {
    if config.lvs.virtual_server.is_empty() {
        return Ok(None);
    }
    let plan = plan::plan(config, dont_release_ipvs).map_err(|e| format!("virtual servers: {e}"))?;
    let checkers = plan.checkers.checkers.len() as u64;
    match crate::process::raise_nofile_limit(checkers) {
        Ok(n) if n < checkers + 64 => {
            warn!("open-file limit {n} is low for {checkers} checkers: checks may fail with EMFILE")
        }
        Ok(_) => {}
        Err(e) => warn!("cannot raise the open-file limit: {e}"),
    }
    let client = crate::netns::run_in(plan.ipvs_namespace.as_deref(), crate::ipvs_cmd::open_client)
        .map_err(|e| format!("IPVS: {e}"))?
        .map_err(|e| format!("IPVS: {e}"))?;
    Ok(Some((plan, client)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    use ipvs::reconciler::Simulated;
    use ipvs::Op;

    /// Every destination of the simulated table, sorted.
    fn dests(sim: &Simulated) -> Vec<(String, u32)> {
        let mut v: Vec<_> = sim
            .table()
            .iter()
            .flat_map(|s| s.dests.iter().map(|d| (d.key().to_string(), d.weight)))
            .collect();
        v.sort();
        v
    }

    fn parse(text: &str) -> conf_parser::Config {
        let p = conf_parser::parse_str("t.conf", text, &conf_parser::Options::default());
        assert!(p.is_ok(), "{}", p.render_diagnostics());
        p.config
    }

    #[test]
    fn a_slow_full_pass_comes_less_often() {
        let p = Duration::from_secs(5);
        assert_eq!(full_pass_interval(p, Duration::ZERO), p);
        assert_eq!(full_pass_interval(p, Duration::from_millis(200)), p);
        assert_eq!(
            full_pass_interval(p, Duration::from_millis(1100)),
            Duration::from_secs(22)
        );
    }

    /// A batch's work: only the touched virtual servers are recomputed, and only those that
    /// changed are sent, each once, with all its services (a group has several).
    #[test]
    fn a_batch_sends_only_the_touched_virtual_servers_that_changed() {
        let mut conf = String::from("virtual_server_group G {\n 192.0.2.50 80\n fwmark 7\n}\n");
        for vs in ["192.0.2.1 80", "192.0.2.2 80", "group G"] {
            conf.push_str(&format!(
                "virtual_server {vs} {{\n lb_kind NAT\n protocol TCP\n\
                 real_server 10.0.0.1 80 {{\n TCP_CHECK {{\n }}\n }}\n\
                 real_server 10.0.0.2 80 {{\n TCP_CHECK {{\n }}\n }}\n}}\n"
            ));
        }
        let p = plan::plan(&parse(&conf), false).unwrap();
        let mut pool = Pool::new(p.checkers.pool.clone());
        let mut last: Vec<Vec<ServiceState>> = (0..p.vs.len())
            .map(|i| plan::vs_services(&p.vs[i], &pool.desired_of(i).unwrap()))
            .collect();
        let ev = |vs, rs, kind| checkers::CheckEvent {
            id: checkers::CheckerId { vs, rs, check: 0 },
            kind,
            reason: String::new(),
        };
        let keys = |c: &[ServiceState]| -> Vec<String> {
            c.iter().map(|s| s.service.key.to_string()).collect()
        };
        // Nothing changed in a touched virtual server: nothing to send.
        let up = checkers::EventKind::Up { weight: None };
        pool.apply(&ev(0, 0, up.clone())).unwrap();
        assert!(changed_services(&p.vs, &pool, &mut last, vec![0]).is_empty());
        // Real server 1 of the group goes down; virtual server 1 is touched, unchanged.
        pool.apply(&ev(2, 1, checkers::EventKind::Down)).unwrap();
        let c = changed_services(&p.vs, &pool, &mut last, vec![1, 2, 2]);
        assert_eq!(keys(&c), ["TCP 192.0.2.50:80", "FWM 7"]);
        assert!(c.iter().all(|s| s.dests.len() == 1));
        // Sent once: the same batch again has nothing new.
        assert!(changed_services(&p.vs, &pool, &mut last, vec![2]).is_empty());
        // A virtual server that changed but was not touched is not looked at (the caller
        // passes every virtual server an event touched).
        pool.apply(&ev(0, 1, checkers::EventKind::Down)).unwrap();
        assert!(changed_services(&p.vs, &pool, &mut last, vec![1]).is_empty());
        assert_eq!(
            keys(&changed_services(&p.vs, &pool, &mut last, vec![0, 9])),
            ["TCP 192.0.2.1:80"]
        );
    }

    /// The daemon's side of a 1 % change, on the host (no kernel involved): 10,000 virtual
    /// servers x 4 real servers with TCP_CHECK, a batch of 100 checker events (one real server
    /// down in 100 virtual servers): the pool, then the desired state of the touched virtual
    /// servers (this loop), against recomputing and comparing the whole desired state (the loop
    /// before). Prints the figures:
    /// `cargo test --release -p keepalived-rs --bin keepalived-rs -- --ignored --nocapture batch_cost`
    #[test]
    #[ignore = "benchmark"]
    fn bench_batch_cost() {
        use std::fmt::Write;
        let n = 10_000u32;
        let mut conf = String::new();
        for i in 0..n {
            let _ = write!(
                conf,
                "virtual_server 10.{}.{}.{} 80 {{\n lb_algo wrr\n lb_kind NAT\n protocol TCP\n",
                i >> 16,
                (i >> 8) & 255,
                i & 255
            );
            for r in 0..4 {
                let a = 4 * i + r;
                let _ = write!(
                    conf,
                    " real_server 172.{}.{}.{} 8080 {{\n  TCP_CHECK {{\n  }}\n }}\n",
                    16 + (a >> 16),
                    (a >> 8) & 255,
                    a & 255
                );
            }
            conf.push_str("}\n");
        }
        let p = plan::plan(&parse(&conf), false).unwrap();
        let mut pool = Pool::new(p.checkers.pool.clone());
        let mut last: Vec<Vec<ServiceState>> = (0..p.vs.len())
            .map(|i| plan::vs_services(&p.vs[i], &pool.desired_of(i).unwrap()))
            .collect();
        let mut whole = plan::desired(&p.vs, &pool.desired());
        let (mut new_way, mut old_way) = (Vec::new(), Vec::new());
        for round in 0..10usize {
            let kind = if round % 2 == 0 {
                checkers::EventKind::Down
            } else {
                checkers::EventKind::Up { weight: None }
            };
            let events: Vec<checkers::CheckEvent> = (0..100)
                .map(|j| checkers::CheckEvent {
                    id: checkers::CheckerId {
                        vs: j * 100 + round / 2,
                        rs: 0,
                        check: 0,
                    },
                    kind: kind.clone(),
                    reason: String::new(),
                })
                .collect();
            let t = Instant::now();
            let mut touched = Vec::new();
            for ev in &events {
                pool.apply(ev).unwrap();
                touched.push(ev.id.vs);
            }
            let changed = changed_services(&p.vs, &pool, &mut last, touched);
            new_way.push(t.elapsed());
            assert_eq!(changed.len(), 100);
            // The same batch's desired state the old way (the pool already has the events).
            let t = Instant::now();
            let d = plan::desired(&p.vs, &pool.desired());
            let differs = d != whole;
            whole = d;
            old_way.push(t.elapsed());
            assert!(differs);
        }
        let show = |name: &str, mut v: Vec<Duration>| {
            v.sort();
            println!(
                "{name}: {:?} / {:?} / {:?} (min / median / max, 10 batches)",
                v[0],
                v[v.len() / 2],
                v[v.len() - 1]
            );
        };
        show("pool + desired of the 100 touched virtual servers", new_way);
        show(
            "whole desired state recomputed and compared (before)",
            old_way,
        );
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
        let sim = Simulated::default();
        // A foreign service, to be left alone.
        let foreign = ipvs::Service::new(ipvs::ServiceKey::Addr {
            protocol: ipvs::Protocol::Udp,
            addr: "127.0.0.9".parse().unwrap(),
            port: 53,
        });
        sim.hand_edit(&[Op::AddService(foreign)]).unwrap();
        let (stop_tx, stop_rx) = oneshot::channel();
        let task = tokio::spawn(run(
            p,
            sim.clone(),
            stop_rx,
            Duration::from_millis(300),
            std::future::ready(()),
        ));
        let mut both = vec![
            (format!("127.0.0.1:{pa}"), 1),
            (format!("127.0.0.1:{pb}"), 1),
        ];
        both.sort();
        wait_until("both real servers in", || dests(&sim) == both).await;
        drop(a);
        wait_until("a removed", || {
            dests(&sim) == vec![(format!("127.0.0.1:{pb}"), 1)]
        })
        .await;
        wait_until("notify_down ran", || {
            std::fs::read_to_string(&log).unwrap_or_default() == "a-down\n"
        })
        .await;
        let _a = std::net::TcpListener::bind(("127.0.0.1", pa)).unwrap();
        wait_until("a back", || dests(&sim) == both).await;
        wait_until("notify_up ran", || {
            std::fs::read_to_string(&log).unwrap_or_default() == "a-down\na-up\n"
        })
        .await;
        // A hand edit (ipvsadm -d): the periodic pass puts it back.
        {
            let t = sim.table();
            let ours = t
                .iter()
                .find(|s| s.service.key.to_string() == "TCP 127.0.0.1:80");
            let ours = ours.expect("our service");
            sim.hand_edit(&[Op::DelDest(ours.service.key, ours.dests[0].key())])
                .unwrap();
        }
        wait_until("hand edit corrected", || dests(&sim) == both).await;
        stop_tx.send(()).unwrap();
        tokio::time::timeout(Duration::from_secs(10), task)
            .await
            .expect("run ends after stop")
            .unwrap();
        assert_eq!(sim.table().len(), 1, "only the foreign service is left");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
