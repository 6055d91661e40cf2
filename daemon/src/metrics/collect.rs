//! The metrics as read at each scrape from what the loops publish: the VRRP and LVS snapshots,
//! what the daemon says of itself, and the checkers' latency histograms (a prometheus-client
//! [`Collector`]). No counter of its own: a scrape shows what the snapshots hold (the VRRP
//! counters at most half a second old, states current).

use std::collections::HashMap;
use std::fmt;
use std::time::{Duration, SystemTime};

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, MetricEncoder, NoLabelSet};
use prometheus_client::metrics::exemplar::Exemplar;
use prometheus_client::metrics::MetricType;

use super::Sources;
use crate::control::DaemonInfo;
use crate::snapshot::{LvsSnapshot, PassTimes, VrrpSnapshot, PASS_BOUNDS_MICROS};

/// Every metric's name begins with it.
pub const PREFIX: &str = "keepalived_rs";

/// The states an instance can be in, keepalived's words.
///
/// An instance's label is `vrrp_instance`: Prometheus gives every scraped sample an `instance`
/// label of its own (the target), and would rename ours.
const STATES: [&str; 5] = ["INIT", "BACKUP", "MASTER", "FAULT", "STOP"];

/// Reads the snapshots at each scrape.
pub struct Snapshots(pub Sources);

impl fmt::Debug for Snapshots {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Snapshots")
    }
}

impl Collector for Snapshots {
    fn encode(&self, mut e: DescriptorEncoder) -> fmt::Result {
        // Each snapshot is an Arc: cloned and the watch let go of at once.
        let daemon = self.0.status.daemon.borrow().clone();
        let vrrp = self.0.status.vrrp.borrow().clone();
        let lvs = self.0.status.lvs.borrow().clone();
        encode_daemon(&mut e, &daemon)?;
        encode_vrrp(&mut e, &vrrp)?;
        // The LVS side has published (it runs): virtual servers, checkers, reconciler.
        if lvs.taken != SystemTime::UNIX_EPOCH {
            encode_lvs(&mut e, &lvs)?;
            encode_check_latency(&mut e, &self.0)?;
        }
        Ok(())
    }
}

/// Seconds since the epoch, as Prometheus' timestamps are.
fn epoch_secs(t: SystemTime) -> f64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// One metric family: its samples as (labels, value).
fn family<L: EncodeLabelSet, V>(
    e: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    kind: MetricType,
    samples: impl IntoIterator<Item = (L, V)>,
    mut write: impl FnMut(&mut MetricEncoder, V) -> fmt::Result,
) -> fmt::Result {
    let name = format!("{PREFIX}_{name}");
    let mut m = e.encode_descriptor(&name, help, None, kind)?;
    for (labels, v) in samples {
        let mut s = m.encode_family(&labels)?;
        write(&mut s, v)?;
    }
    Ok(())
}

fn gauges<L: EncodeLabelSet>(
    e: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    samples: impl IntoIterator<Item = (L, f64)>,
) -> fmt::Result {
    family(e, name, help, MetricType::Gauge, samples, |m, v| {
        m.encode_gauge(&v)
    })
}

/// A counter family; `name` without `_total`, which the encoder adds.
fn counters<L: EncodeLabelSet>(
    e: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    samples: impl IntoIterator<Item = (L, u64)>,
) -> fmt::Result {
    family(e, name, help, MetricType::Counter, samples, |m, v| {
        m.encode_counter::<NoLabelSet, _, u64>(&v, None)
    })
}

/// A histogram: per-bucket (not cumulative) counts with their upper bounds in seconds, the
/// last one infinite, and the sum.
struct Histogram {
    buckets: Vec<(f64, u64)>,
    sum: Duration,
}

impl Histogram {
    fn new(bounds_micros: &[u64], counts: &[u64], sum: Duration) -> Histogram {
        let bounds = bounds_micros
            .iter()
            .map(|&b| b as f64 / 1e6)
            .chain(std::iter::once(f64::INFINITY));
        Histogram {
            buckets: bounds.zip(counts.iter().copied()).collect(),
            sum,
        }
    }
}

fn histograms<L: EncodeLabelSet>(
    e: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    samples: impl IntoIterator<Item = (L, Histogram)>,
) -> fmt::Result {
    family(e, name, help, MetricType::Histogram, samples, |m, h| {
        let count = h.buckets.iter().map(|(_, n)| n).sum();
        m.encode_histogram::<NoLabelSet>(
            h.sum.as_secs_f64(),
            count,
            &h.buckets,
            None::<&HashMap<usize, Exemplar<NoLabelSet, f64>>>,
        )
    })
}

fn bool_value(b: bool) -> f64 {
    if b {
        1.0
    } else {
        0.0
    }
}

fn encode_daemon(e: &mut DescriptorEncoder, d: &DaemonInfo) -> fmt::Result {
    gauges(
        e,
        "build_info",
        "keepalived-rs's version (always 1)",
        [([("version", d.version)], 1.0)],
    )?;
    gauges(
        e,
        "start_time_seconds",
        "When the daemon started, in seconds since the epoch",
        [([] as [(&str, &str); 0], epoch_secs(d.started))],
    )?;
    counters(
        e,
        "config_reloads",
        "Reloads (SIGHUP) by outcome: applied, or refused (the running configuration stayed)",
        [
            ([("result", "applied")], d.reloads_applied),
            ([("result", "refused")], d.reloads_refused),
        ],
    )?;
    gauges(
        e,
        "config_last_reload_successful",
        "Whether the last reload was applied (1 before any reload: the configuration read at start)",
        [(
            [] as [(&str, &str); 0],
            bool_value(d.last_reload.as_ref().is_none_or(|r| r.applied)),
        )],
    )?;
    gauges(
        e,
        "config_last_reload_success_timestamp_seconds",
        "When the configuration running now was read (the start or the last reload applied), in seconds since the epoch",
        [([] as [(&str, &str); 0], epoch_secs(d.config_loaded))],
    )
}

fn encode_vrrp(e: &mut DescriptorEncoder, v: &VrrpSnapshot) -> fmt::Result {
    let inst = |i: &crate::snapshot::InstanceSnapshot| [("vrrp_instance", i.name.clone())];
    let is = &v.instances;
    gauges(
        e,
        "vrrp_instance_info",
        "Each VRRP instance's interface, virtual router id, protocol version and family (always 1)",
        is.iter().map(|i| {
            (
                [
                    ("vrrp_instance", i.name.clone()),
                    ("interface", i.interface.clone()),
                    ("vrid", i.vrid.to_string()),
                    ("version", i.version.to_string()),
                    ("family", family_word(i.ipv6).to_string()),
                ],
                1.0,
            )
        }),
    )?;
    gauges(
        e,
        "vrrp_state",
        "Each VRRP instance's state: 1 for the state it is in, 0 for the others",
        is.iter().flat_map(|i| {
            STATES.iter().map(move |&s| {
                (
                    [("vrrp_instance", i.name.clone()), ("state", s.to_string())],
                    bool_value(i.state == s),
                )
            })
        }),
    )?;
    gauges(
        e,
        "vrrp_priority",
        "Each VRRP instance's configured priority",
        is.iter().map(|i| (inst(i), f64::from(i.base_priority))),
    )?;
    gauges(
        e,
        "vrrp_effective_priority",
        "Each VRRP instance's priority after its tracked objects' weights (what it advertises)",
        is.iter()
            .map(|i| (inst(i), f64::from(i.effective_priority))),
    )?;
    gauges(
        e,
        "vrrp_last_transition_timestamp_seconds",
        "When each VRRP instance last changed state (its start, until it has), in seconds since the epoch",
        is.iter().map(|i| (inst(i), epoch_secs(i.last_transition))),
    )?;
    counters(
        e,
        "vrrp_transitions",
        "State changes of each VRRP instance since it started",
        is.iter().map(|i| (inst(i), i.transitions)),
    )?;
    counters(
        e,
        "vrrp_became_master",
        "Times each VRRP instance became MASTER (keepalived's become_master)",
        is.iter().map(|i| (inst(i), i.stats.become_master)),
    )?;
    counters(
        e,
        "vrrp_released_master",
        "Times each VRRP instance left MASTER (keepalived's release_master)",
        is.iter().map(|i| (inst(i), i.stats.release_master)),
    )?;
    counters(
        e,
        "vrrp_adverts_sent",
        "Adverts each VRRP instance sent",
        is.iter().map(|i| (inst(i), i.stats.advert_sent)),
    )?;
    counters(
        e,
        "vrrp_adverts_received",
        "Adverts each VRRP instance received and accepted",
        is.iter().map(|i| (inst(i), i.stats.advert_rcvd)),
    )?;
    counters(
        e,
        "vrrp_priority_zero_sent",
        "Priority-0 adverts (giving up MASTER) each VRRP instance sent",
        is.iter().map(|i| (inst(i), i.stats.pri_zero_sent)),
    )?;
    counters(
        e,
        "vrrp_priority_zero_received",
        "Priority-0 adverts each VRRP instance received",
        is.iter().map(|i| (inst(i), i.stats.pri_zero_rcvd)),
    )?;
    counters(
        e,
        "vrrp_adverts_dropped",
        "Adverts for each VRRP instance that were dropped, by reason",
        is.iter().flat_map(|i| {
            i.drops.iter().map(move |&(reason, n)| {
                (
                    [
                        ("vrrp_instance", i.name.clone()),
                        ("reason", reason.to_string()),
                    ],
                    n,
                )
            })
        }),
    )?;
    counters(
        e,
        "vrrp_packets_dropped",
        "VRRP packets dropped on receipt before any instance was told (malformed, unknown virtual router id, the kernel's queue full), by interface, family and reason",
        v.receivers.iter().flat_map(|r| {
            r.drops.iter().map(move |&(reason, n)| {
                (
                    [
                        ("interface", r.interface.clone()),
                        ("family", family_word(r.ipv6).to_string()),
                        ("reason", reason.to_string()),
                    ],
                    n,
                )
            })
        }),
    )?;
    gauges(
        e,
        "vrrp_sync_group_state",
        "Each sync group's state as last notified: 1 for that state, 0 for the others (none before the first notification)",
        v.groups.iter().flat_map(|g| {
            g.state.into_iter().flat_map(move |now| {
                STATES.iter().map(move |&s| {
                    (
                        [("group", g.name.clone()), ("state", s.to_string())],
                        bool_value(now == s),
                    )
                })
            })
        }),
    )
}

fn family_word(ipv6: bool) -> &'static str {
    if ipv6 {
        "ipv6"
    } else {
        "ipv4"
    }
}

fn encode_lvs(e: &mut DescriptorEncoder, l: &LvsSnapshot) -> fmt::Result {
    let vss = &l.virtual_servers;
    let vs = |v: &crate::snapshot::VirtualServerSnapshot| [("virtual_server", v.name.clone())];
    gauges(
        e,
        "lvs_real_servers",
        "Real servers configured in each virtual server",
        vss.iter().map(|v| (vs(v), v.real_servers.len() as f64)),
    )?;
    gauges(
        e,
        "lvs_real_servers_up",
        "Real servers of each virtual server whose checkers are all up",
        vss.iter().map(|v| {
            let up = v.real_servers.iter().filter(|r| r.alive).count();
            (vs(v), up as f64)
        }),
    )?;
    gauges(
        e,
        "lvs_quorum_up",
        "Whether each virtual server has its quorum of real servers up",
        vss.iter().map(|v| (vs(v), bool_value(v.quorum_up))),
    )?;
    gauges(
        e,
        "lvs_sorry_server_active",
        "Whether each virtual server's sorry server is in use",
        vss.iter()
            .map(|v| (vs(v), bool_value(v.sorry_server.is_some()))),
    )?;
    let rs = |v: &crate::snapshot::VirtualServerSnapshot,
              r: &crate::snapshot::RealServerSnapshot| {
        [
            ("virtual_server", v.name.clone()),
            ("real_server", r.address.clone()),
        ]
    };
    gauges(
        e,
        "lvs_real_server_up",
        "Whether each real server's checkers are all up",
        vss.iter().flat_map(|v| {
            v.real_servers
                .iter()
                .map(move |r| (rs(v, r), bool_value(r.alive)))
        }),
    )?;
    gauges(
        e,
        "lvs_real_server_weight",
        "Each real server's weight in the IPVS table (no sample while it is out of the table)",
        vss.iter().flat_map(|v| {
            v.real_servers
                .iter()
                .filter_map(move |r| Some((rs(v, r), f64::from(r.weight?))))
        }),
    )?;
    let checker = |v: &crate::snapshot::VirtualServerSnapshot,
                   r: &crate::snapshot::RealServerSnapshot,
                   i: usize,
                   c: &crate::snapshot::CheckerSnapshot| {
        [
            ("virtual_server", v.name.clone()),
            ("real_server", r.address.clone()),
            ("checker", (i + 1).to_string()),
            ("kind", c.kind.to_string()),
        ]
    };
    let checkers = || {
        vss.iter().flat_map(move |v| {
            v.real_servers.iter().flat_map(move |r| {
                r.checkers
                    .iter()
                    .enumerate()
                    .map(move |(i, c)| (checker(v, r, i, c), c))
            })
        })
    };
    gauges(
        e,
        "checker_up",
        "Whether each checker's last result is up (checker: its position in the real server, from 1)",
        checkers().map(|(l, c)| (l, bool_value(c.up))),
    )?;
    counters(
        e,
        "checker_failures",
        "Failed checks each checker reported (with log_all_failures, every failed attempt; otherwise the ones that took it down)",
        checkers().map(|(l, c)| (l, c.failures)),
    )?;
    let r = &l.reconciler;
    counters(
        e,
        "ipvs_passes",
        "Reconciler passes by kind: full (the whole table compared: read at once, or a round of the sweep), sweep (one slice of the sweep), update (the services a change touched), reload",
        [
            ([("kind", "full")], r.full_passes),
            ([("kind", "sweep")], r.sweeps),
            ([("kind", "update")], r.updates),
            ([("kind", "reload")], r.reloads),
        ],
    )?;
    let d = &r.pass_durations;
    let pass = |t: &PassTimes| Histogram::new(&PASS_BOUNDS_MICROS, &t.buckets, t.total);
    histograms(
        e,
        "ipvs_pass_duration_seconds",
        "How long reconciler passes took (reading the kernel, planning, applying), by kind",
        [
            ([("kind", "full")], pass(&d.full)),
            ([("kind", "sweep")], pass(&d.sweep)),
            ([("kind", "update")], pass(&d.update)),
            ([("kind", "reload")], pass(&d.reload)),
        ],
    )?;
    let none: [(&str, &str); 0] = [];
    counters(
        e,
        "ipvs_operations",
        "IPVS operations the reconciler applied",
        [(none, r.operations)],
    )?;
    counters(
        e,
        "ipvs_errors",
        "Reconciler passes that failed (the next one reads the whole table)",
        [(none, r.errors)],
    )?;
    counters(
        e,
        "ipvs_drift_corrections",
        "Passes that found the kernel's table changed by hand and put it back",
        [(none, r.drift_corrections)],
    )?;
    gauges(
        e,
        "ipvs_last_full_pass_timestamp_seconds",
        "When the reconciler last compared the whole table, in seconds since the epoch (no sample before the first)",
        r.last_full_pass.map(|t| (none, epoch_secs(t))),
    )
}

/// The checkers' latency histograms, for the kinds that have checked anything.
fn encode_check_latency(e: &mut DescriptorEncoder, s: &Sources) -> fmt::Result {
    let bounds = checkers::latency::BOUNDS_MICROS;
    let samples = s.latency.iter().flat_map(|(kind, l)| {
        let ok = l.success.snapshot();
        let failed = l.failure.snapshot();
        let checked = ok.count() + failed.count() > 0;
        [("success", ok), ("failure", failed)]
            .into_iter()
            .filter(move |_| checked)
            .map(move |(result, h)| {
                (
                    [("kind", kind), ("result", result)],
                    Histogram::new(&bounds, &h.counts, h.sum),
                )
            })
    });
    histograms(
        e,
        "check_duration_seconds",
        "How long health checks took, by checker kind and result (kinds that have run a check)",
        samples,
    )
}
