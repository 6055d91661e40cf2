//! The reconciler thread: owns the [`Reconciler`] and its netlink client, so that netlink
//! never runs on a tokio thread (the VRRP loop's least of all). It takes the LVS loop's messages
//! in batches: the whole desired state (start), the services whose state changed (checker
//! events), a reload's new desired state, the stop. Between them it sweeps the table (compares
//! it with the desired state a slice of services at a time, `ipvs::reconciler::sweep`), so
//! that a hand edit anywhere is put right within a round: [`RECONCILE_PERIOD`] while reading the
//! table is cheap, and at most 1/100 of the thread's time when it is not (a round then takes 100
//! times what reading the whole table takes).

use std::sync::mpsc as std_mpsc;
use std::time::{Duration, Instant};

use ipvs::reconciler::sweep;
use ipvs::{Desired, Kernel, Pass, PassKind, Reconciler, ServiceState, StopPolicy, Timeouts};
use tokio::sync::{oneshot, watch};
use tracing::{debug, error, info, warn};

use crate::ipvs_cmd::describe;
use crate::snapshot::ReconcilerSnapshot;

/// How often at most the sweep goes round the kernel's whole table, so that hand edits in
/// services no update touches are put right (less often when reading the table is slow: see
/// `sweep::next_after`).
pub const RECONCILE_PERIOD: Duration = Duration::from_secs(5);

/// A pass with more operations than this logs them as one line, by kind (each one at debug):
/// the first pass of a table of 10,000 real servers would otherwise log 10,000 lines (and take
/// the CPU from the checkers starting at the same time), where keepalived logs none.
const OPS_LOGGED_ONE_BY_ONE: usize = 20;

/// `ops` counted by kind, in a fixed order: `1 add service, 10000 add real server`.
fn ops_summary(ops: &[ipvs::Op]) -> String {
    use ipvs::Op;
    let mut counts = [0usize; 7];
    for op in ops {
        counts[match op {
            Op::Flush => 0,
            Op::AddService(_) => 1,
            Op::EditService(_) => 2,
            Op::DelService(_) => 3,
            Op::AddDest(..) => 4,
            Op::EditDest(..) => 5,
            Op::DelDest(..) => 6,
        }] += 1;
    }
    let names = [
        "flush",
        "add service",
        "edit service",
        "delete service",
        "add real server",
        "edit real server",
        "delete real server",
    ];
    counts
        .iter()
        .zip(names)
        .filter(|(n, _)| **n > 0)
        .map(|(n, name)| format!("{n} {name}"))
        .collect::<Vec<_>>()
        .join(", ")
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
                PassKind::Sweep => {
                    s.sweeps += 1;
                    s.pass_durations.sweep.record(took);
                    if pass.error.is_none() && pass.slice.is_some_and(|c| c.ends_round) {
                        s.full_passes += 1;
                        s.last_full_pass = Some(std::time::SystemTime::now());
                    }
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
        if pass.ops.len() <= OPS_LOGGED_ONE_BY_ONE {
            for op in &pass.ops {
                info!("IPVS: {}", describe(op));
            }
        } else {
            info!(
                "IPVS: {} operations ({}); one by one at debug level (-D)",
                pass.ops.len(),
                ops_summary(&pass.ops)
            );
            for op in &pass.ops {
                debug!("IPVS: {}", describe(op));
            }
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
                        "IPVS: {e}; the next pass (on the next change, or the sweep's next) reads the whole table"
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
        // The first pass (a full one, on the desired state at start) comes with the first
        // message; the sweep's first slice `period` later.
        let mut next_slice = Instant::now() + period;
        // A reload compares only what it changed: the rest of the table right after.
        let mut full_next = false;
        loop {
            if std::mem::take(&mut full_next) {
                let pass = self.r.full();
                self.report(&pass, true);
                next_slice = Instant::now() + period;
                continue;
            }
            // The sweep's next slice, even while updates keep coming.
            let due = next_slice.saturating_duration_since(Instant::now());
            if due.is_zero() {
                let pass = self.r.sweep(sweep::SLICE_COST);
                self.report(&pass, true);
                next_slice = Instant::now() + slice_interval(period, &pass);
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

/// How long after a pass of the sweep the next slice comes: as `sweep::next_after` says for a
/// slice; after a full pass (the sweep found one due), the period, or 100 times what reading
/// and planning the whole table took.
fn slice_interval(period: Duration, pass: &Pass) -> Duration {
    let took = pass.read + pass.plan;
    match pass.slice {
        Some(slice) => sweep::next_after(period, slice, took),
        None => period.max(took.saturating_mul(sweep::SHARE)),
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
    fn many_operations_are_summed_up_by_kind() {
        use ipvs::{Destination, Forward, Op, Service, ServiceKey};
        let key = ServiceKey::Fwmark {
            mark: 1,
            family: ipvs::Family::Inet,
        };
        let d = Destination::new([10, 0, 0, 1].into(), 80, Forward::Nat, 1);
        let mut ops = vec![Op::AddService(Service::new(key))];
        ops.extend((0..3).map(|_| Op::AddDest(key, d)));
        ops.push(Op::DelService(key));
        assert_eq!(
            ops_summary(&ops),
            "1 add service, 1 delete service, 3 add real server"
        );
    }

    #[test]
    fn the_sweep_is_paced_by_its_slices_and_a_slow_full_pass() {
        let p = Duration::from_secs(5);
        let mut pass =
            ipvs::reconciler::Reconciler::new(ipvs::reconciler::Simulated::default(), false).full();
        assert_eq!(slice_interval(p, &pass), p);
        pass.read = Duration::from_millis(1100);
        pass.plan = Duration::ZERO;
        assert_eq!(slice_interval(p, &pass), Duration::from_secs(110));
        pass.slice = Some(sweep::Slice {
            cost: 10,
            of: 100,
            ends_round: false,
        });
        pass.read = Duration::ZERO;
        assert_eq!(slice_interval(p, &pass), Duration::from_millis(500));
    }
}
