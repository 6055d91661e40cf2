//! The VRRP loop's snapshot ([`crate::snapshot::VrrpSnapshot`]): built from the loop's state
//! and published on its watch at each transition, reload and tracking change, and at most once
//! a [`PUBLISH_PERIOD`] when only counters moved.

use std::sync::Arc;
use std::time::SystemTime;

use tokio::time::Instant;
use vrrp::{Auth, ProtocolVersion, State, Status, WantedState};

use super::address_line::address_line;
use super::instance::Running;
use super::notify::{dump_order, state_word};
use super::route_line::{route_line, rule_line};
use super::Runtime;
use crate::snapshot::{
    GroupSnapshot, InstanceSnapshot, ReceiverSnapshot, TrackedSnapshot, VmacSnapshot, VrrpSnapshot,
    PUBLISH_PERIOD,
};

/// The tracked objects, without the interfaces tracked only because an address or route is on
/// them (keepalived lists those under the interface, not the instance).
fn tracked(r: &Running) -> Vec<TrackedSnapshot> {
    r.tracking
        .objects()
        .iter()
        .filter(|t| !r.plan.implied_interfaces.contains(&t.name))
        .map(|t| {
            let (kind, name) = match t.name.split_once(':') {
                Some((k, n)) => (
                    match k {
                        "script" => "script",
                        "file" => "file",
                        _ => "process",
                    },
                    n.to_string(),
                ),
                None => ("interface", t.name.clone()),
            };
            TrackedSnapshot {
                kind,
                name,
                weight: t.weight,
                reverse: t.reverse,
                status: match t.status {
                    Status::Up => "up".into(),
                    Status::Down => "down".into(),
                    Status::Value(v) => v.to_string(),
                },
            }
        })
        .collect()
}

fn instance(r: &Running) -> InstanceSnapshot {
    let p = &r.plan;
    let c = &p.config;
    let state = r.instance.state();
    InstanceSnapshot {
        name: p.name.clone(),
        interface: p.interface.clone(),
        vmac: p.vmac.as_ref().map(|v| VmacSnapshot {
            name: v.name.clone(),
            xmit_base: v.xmit_base,
            up: r.usable,
        }),
        vrid: c.vrid,
        version: match c.version {
            ProtocolVersion::V2 => 2,
            ProtocolVersion::V3 => 3,
        },
        ipv6: p.ipv6,
        state: state_word(state),
        wanted_state: match c.initial_state {
            WantedState::Master => "MASTER",
            WantedState::Backup => "BACKUP",
        },
        base_priority: c.priority,
        effective_priority: r.instance.priority(),
        advert_interval: c.advert_interval,
        preempt: c.preempt,
        preempt_delay: c.preempt_delay,
        accept: c.accept,
        last_transition: r.last_transition.0,
        last_transition_from: state_word(r.last_transition.1),
        transitions: r.transitions,
        master: if state == State::Master {
            None
        } else {
            r.master
        },
        master_heard: r.master.map(|(a, _)| a),
        source: r.src,
        multicast_group: c.unicast_peers.is_empty().then_some(p.mcast_group),
        unicast_peers: c.unicast_peers.clone(),
        unicast_peer_ttl: c
            .unicast_peers
            .iter()
            .map(|&a| p.peer_ttl_range(a))
            .collect(),
        unicast_ttl: p.unicast_ttl,
        check_unicast_src: c.check_unicast_src,
        auth_pass: match (c.auth, &p.ah_key) {
            (Auth::Password(p), _) => {
                let end = p.iter().position(|&b| b == 0).unwrap_or(p.len());
                Some(String::from_utf8_lossy(&p[..end]).into_owned())
            }
            (Auth::Ah, Some(key)) => Some(String::from_utf8_lossy(key.as_bytes()).into_owned()),
            _ => None,
        },
        auth_type: match c.auth {
            Auth::None | Auth::Unknown(_) => 0,
            Auth::Password(_) => 1,
            Auth::Ah => 2,
        },
        vips: p
            .vips
            .iter()
            .filter(|v| !v.excluded)
            .map(|v| address_line(v, state == State::Master))
            .collect(),
        vip_addrs: p
            .vips
            .iter()
            .filter(|v| !v.excluded)
            .map(|v| v.addr)
            .collect(),
        excluded_vips: p
            .vips
            .iter()
            .filter(|v| v.excluded)
            .map(|v| address_line(v, state == State::Master))
            .collect(),
        routes: p.routes.iter().map(route_line).collect(),
        rules: p.rules.iter().map(rule_line).collect(),
        tracked: tracked(r),
        garp_delay: c.garp_master_delay,
        garp_repeat: c.garp_master_repeat,
        garp_refresh: c.garp_master_refresh,
        garp_refresh_repeat: c.garp_master_refresh_repeat,
        garp_lower_prio_delay: c.lower_prio_delay(),
        garp_lower_prio_repeat: c.lower_prio_repeat(),
        down_timer_adverts: c.down_timer_adverts,
        garp_extra_if: c.garp_extra_if,
        lower_prio_no_advert: c.lower_prio_no_advert,
        higher_prio_send_advert: c.higher_prio_send_advert,
        promote_secondaries: r.plan.promote_secondaries,
        smtp_alert: r.plan.smtp_alert,
        notify_deleted: r.plan.notify.says_deleted,
        dont_track_primary: p.dont_track_primary,
        notify_scripts: dump_order(&r.plan.notify),
        notify_priority_changes: r.plan.notify_priority_changes,
        stats: r.stats,
        drops: r.drops.iter().map(|(k, n)| (k.name(), n)).collect(),
    }
}

impl Runtime {
    /// The loop's state now.
    pub fn snapshot(&self) -> VrrpSnapshot {
        VrrpSnapshot {
            taken: SystemTime::now(),
            instances: self.instances.iter().map(instance).collect(),
            groups: self
                .groups
                .iter()
                .map(|g| GroupSnapshot {
                    name: g.plan.name.clone(),
                    members: g.plan.members.clone(),
                    state: g.notified.map(state_word),
                    smtp_alert: g.plan.smtp_alert,
                    notify_scripts: dump_order(&g.plan.notify),
                })
                .collect(),
            receivers: self
                .receivers
                .iter()
                .map(|r| ReceiverSnapshot {
                    interface: r.ifname.clone(),
                    ipv6: r.ipv6,
                    drops: r.drops.iter().map(|(k, n)| (k.name(), n)).collect(),
                })
                .collect(),
            static_addresses: self
                .statics
                .addresses
                .iter()
                .zip(self.static_set.iter().chain(std::iter::repeat(&false)))
                .map(|(a, &set)| address_line(a, set))
                .collect(),
            static_routes: self.statics.routes.iter().map(route_line).collect(),
            static_rules: self.statics.rules.iter().map(rule_line).collect(),
        }
    }

    /// Publishes a new snapshot when something changed: at once after a transition, reload
    /// or tracking change, otherwise at most once a [`PUBLISH_PERIOD`].
    pub(super) fn publish(&mut self) {
        let due = self.publish_now
            || (self.snapshot_dirty && self.last_publish.elapsed() >= PUBLISH_PERIOD);
        if !due {
            return;
        }
        let snap = Arc::new(self.snapshot());
        self.snapshots.send_replace(snap);
        self.publish_now = false;
        self.snapshot_dirty = false;
        self.last_publish = Instant::now();
    }

    /// Clears the counters (keepalived's STATS_CLEAR) and publishes at once.
    pub(super) fn clear_stats(&mut self) {
        for r in &mut self.instances {
            r.stats = Default::default();
            r.drops = vrrp::DropCounters::new();
        }
        self.receivers.clear_drops();
        self.publish_now = true;
    }
}
