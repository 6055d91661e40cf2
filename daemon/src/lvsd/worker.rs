//! The reconciler thread: owns the [`Reconciler`] and its netlink client, so that netlink
//! never runs on a tokio thread (the VRRP loop's least of all). It takes the LVS loop's messages
//! in batches: the whole desired state (start), the services whose state changed (checker
//! events), a reload's new desired state, the stop. Between them it runs a full pass every
//! [`RECONCILE_PERIOD`] (or less often when a full pass is slow).

use std::sync::mpsc as std_mpsc;
use std::time::{Duration, Instant};

use ipvs::{Desired, Kernel, Pass, PassKind, Reconciler, ServiceState, StopPolicy, Timeouts};
use tokio::sync::{oneshot, watch};
use tracing::{debug, error, info, warn};

use crate::ipvs_cmd::describe;
use crate::snapshot::ReconcilerSnapshot;

/// How often the kernel's whole table is compared with the desired state (a full pass), so
/// that hand edits in services no update touches are put right (less often when a full pass
/// is slow: see `full_pass_interval`).
pub const RECONCILE_PERIOD: Duration = Duration::from_secs(5);

/// The periodic full pass may take at most this share of the reconciler thread's time: with a
/// big table (or a slow machine) the pass comes less often than [`RECONCILE_PERIOD`].
const FULL_PASS_SHARE: u32 = 20;

/// The time between full passes: `period`, or `FULL_PASS_SHARE` times as long as the last full
/// pass took to read and plan, whichever is longer (a 1 s pass: every 20 s), so that reading the
/// whole table never costs more than 1/20 of a CPU.
pub fn full_pass_interval(period: Duration, last_took: Duration) -> Duration {
    period.max(last_took.saturating_mul(FULL_PASS_SHARE))
}

pub enum Msg {
    /// The whole desired state (start): a full pass; and `lvs_timeouts`.
    Desired(Desired, Option<Timeouts>),
    /// These services' desired states changed: an update (reads only them).
    Update(Vec<ServiceState>),
    /// A reload: the new whole desired state (only what it changes is read and applied at
    /// once, a full pass follows), `lvs_timeouts` when they changed, the new stop policy;
    /// `done` is told when the kernel has it.
    Reload {
        desired: Desired,
        timeouts: Option<Timeouts>,
        done: oneshot::Sender<()>,
    },
    Stop(StopPolicy, oneshot::Sender<()>),
}

/// The reconciler thread's state: the [`Reconciler`], and the last error logged (so a
/// persisting failure is logged once).
pub struct Worker<K: Kernel> {
    pub r: Reconciler<K>,
    pub last_error: Option<String>,
    /// Its counters, for the snapshots.
    pub stats: watch::Sender<ReconcilerSnapshot>,
}

impl<K: Kernel> Worker<K> {
    /// Logs a pass: one debug line always; the operations; a warning when a periodic pass had
    /// to correct the table, or an update found its services changed by hand; foreign services
    /// once; errors once.
    fn report(&mut self, pass: &Pass, periodic: bool) {
        debug!("IPVS {pass}");
        let corrected = (periodic && !pass.ops.is_empty()) || pass.drift;
        let took = pass.read + pass.plan + pass.apply;
        self.stats.send_modify(|s| {
            match pass.kind {
                PassKind::Full => {
                    s.full_passes += 1;
                    s.last_full_pass = Some(std::time::SystemTime::now());
                    s.pass_durations.full.record(took);
                }
                PassKind::Update => {
                    s.updates += 1;
                    s.pass_durations.update.record(took);
                }
                PassKind::Reload => {
                    s.reloads += 1;
                    s.pass_durations.reload.record(took);
                }
            }
            s.operations += pass.ops.len() as u64;
            s.drift_corrections += u64::from(corrected);
            if let Some(e) = &pass.error {
                s.errors += 1;
                s.last_error = Some(e.clone());
            }
        });
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
        self.report_error(pass.error.as_deref());
    }

    fn report_error(&mut self, error: Option<&str>) {
        match error {
            None => self.last_error = None,
            Some(e) => {
                if self.last_error.as_deref() != Some(e) {
                    error!(
                        "IPVS: {e}; the next pass (on the next change, or the periodic one) reads the whole table"
                    );
                }
                self.last_error = Some(e.to_string());
            }
        }
    }

    fn timeouts(&mut self, t: Option<Timeouts>) {
        if let Some(t) = t {
            match self.r.set_timeouts(&t) {
                Ok(()) => info!(
                    "IPVS: connection timeouts set (tcp {} s, tcpfin {} s, udp {} s; 0: unchanged)",
                    t.tcp, t.tcp_fin, t.udp
                ),
                Err(e) => error!("IPVS: setting the connection timeouts: {e}"),
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

    pub fn run(mut self, rx: std_mpsc::Receiver<Msg>, period: Duration) {
        let mut last_full = Instant::now();
        let mut full_took = Duration::ZERO;
        // A reload compares only what it changed: the rest of the table right after.
        let mut full_next = false;
        loop {
            // A full pass every `period` (longer when a full pass is slow), even while updates
            // keep coming.
            let due = full_pass_interval(period, full_took).saturating_sub(last_full.elapsed());
            if due.is_zero() || std::mem::take(&mut full_next) {
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
            // change since (the reconciler keeps the last state of a service given twice). A
            // reload or the stop ends the batch, so that what came before it goes first.
            let mut desired = None;
            let mut changed = Vec::new();
            let mut last = None;
            let mut next = Some(first);
            while let Some(m) = next {
                match m {
                    Msg::Desired(d, t) => {
                        desired = Some(d);
                        changed.clear();
                        self.timeouts(t);
                    }
                    Msg::Update(c) => changed.extend(c),
                    m @ (Msg::Reload { .. } | Msg::Stop(..)) => {
                        last = Some(m);
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
            match last {
                Some(Msg::Reload {
                    desired,
                    timeouts,
                    done,
                }) => {
                    let pass = self.r.reload(desired);
                    self.report(&pass, false);
                    self.timeouts(timeouts);
                    full_next = pass.kind == PassKind::Reload;
                    let _ = done.send(());
                }
                Some(Msg::Stop(p, done)) => {
                    self.stop(p);
                    let _ = done.send(());
                    return;
                }
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_pass_is_counted_and_timed_by_kind() {
        let (stats, rx) = watch::channel(ReconcilerSnapshot::default());
        let mut w = Worker {
            r: Reconciler::new(ipvs::reconciler::Simulated::default(), false),
            last_error: None,
            stats,
        };
        let full = w.r.full();
        w.report(&full, true);
        let update = w.r.update(Vec::new());
        w.report(&update, false);
        let s = rx.borrow().clone();
        assert_eq!((s.full_passes, s.updates), (1, 1));
        let d = &s.pass_durations;
        assert_eq!(
            (d.full.count(), d.update.count(), d.reload.count()),
            (1, 1, 0)
        );
        assert_eq!(d.full.last, Some(full.read + full.plan + full.apply));
        assert_eq!(d.full.total, full.read + full.plan + full.apply);
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
}
