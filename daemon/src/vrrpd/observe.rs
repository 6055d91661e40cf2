//! The VRRP loop's snapshot ([`crate::snapshot::VrrpSnapshot`]): built from the loop's state
//! and published on its watch at each transition, reload and tracking change, and at most once
//! a [`PUBLISH_PERIOD`] when only counters moved.

use std::sync::Arc;
use std::time::SystemTime;

use tokio::time::Instant;
use vrrp::{Auth, ProtocolVersion, State, Status, WantedState};

use super::instance::Running;
use super::notify::{dump_order, state_word};
use super::plan::Vip;
use super::Runtime;
use crate::snapshot::{
    GroupSnapshot, InstanceSnapshot, ReceiverSnapshot, TrackedSnapshot, VmacSnapshot, VrrpSnapshot,
    PUBLISH_PERIOD,
};

/// `10.0.0.1/24 dev eth0 scope global [label eth0:1]`, as keepalived's data dump writes a VIP
/// (an IPv6 one with its lifetime: `preferred_lft forever`, `preferred_lft 30`, `deprecated`).
fn vip_line(v: &Vip, installed: bool) -> String {
    let scope = match v.scope {
        None | Some(0) => "global".to_string(),
        Some(200) => "site".into(),
        Some(253) => "link".into(),
        Some(254) => "host".into(),
        Some(255) => "nowhere".into(),
        Some(n) => n.to_string(),
    };
    // keepalived writes a host address (/32, /128) without its length (measured).
    let host = v.prefix_len == if v.addr.is_ipv6() { 128 } else { 32 };
    let mut s = if host {
        format!("{} dev {} scope {scope}", v.addr, v.dev)
    } else {
        format!("{}/{} dev {} scope {scope}", v.addr, v.prefix_len, v.dev)
    };
    if let Some(l) = &v.label {
        s.push_str(&format!(" label {l}"));
    }
    if v.addr.is_ipv6() {
        match v.preferred_lft {
            None => s.push_str(" preferred_lft forever"),
            Some(0) => s.push_str(" deprecated"),
            Some(n) => s.push_str(&format!(" preferred_lft {n}")),
        }
    }
    if installed {
        s.push_str(" set");
    }
    s
}

fn tracked(r: &Running) -> Vec<TrackedSnapshot> {
    r.tracking
        .objects()
        .iter()
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
        auth_pass: match c.auth {
            Auth::Password(p) => {
                let end = p.iter().position(|&b| b == 0).unwrap_or(p.len());
                Some(String::from_utf8_lossy(&p[..end]).into_owned())
            }
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
            .map(|v| vip_line(v, state == State::Master))
            .collect(),
        excluded_vips: p
            .vips
            .iter()
            .filter(|v| v.excluded)
            .map(|v| vip_line(v, state == State::Master))
            .collect(),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn vip(addr: &str, prefix_len: u8, preferred_lft: Option<u32>) -> Vip {
        Vip {
            addr: addr.parse().unwrap(),
            prefix_len,
            brd: None,
            dev: "eth0".into(),
            scope: None,
            label: None,
            noprefixroute: false,
            nodad: false,
            preferred_lft,
            excluded: false,
        }
    }

    /// keepalived 2.2.7's data dump lines (measured): a host address without its length, an
    /// IPv6 address with its lifetime.
    #[test]
    fn vip_lines_are_keepalived_s() {
        for (v, want) in [
            (
                vip("10.0.0.1", 24, None),
                "10.0.0.1/24 dev eth0 scope global set",
            ),
            (
                vip("10.0.0.1", 32, None),
                "10.0.0.1 dev eth0 scope global set",
            ),
            (
                vip("fd09::100", 64, None),
                "fd09::100/64 dev eth0 scope global preferred_lft forever set",
            ),
            (
                vip("fd09::101", 128, Some(0)),
                "fd09::101 dev eth0 scope global deprecated set",
            ),
            (
                vip("fd09::103", 64, Some(30)),
                "fd09::103/64 dev eth0 scope global preferred_lft 30 set",
            ),
        ] {
            assert_eq!(vip_line(&v, true), want);
        }
    }
}
