//! `bfd_instance` blocks → the sessions the BFD loop runs (pure), and what of them keepalived-rs
//! cannot run yet (refused with what to do instead).

use std::net::IpAddr;

use bfd::SessionConfig;
use conf_parser::model::vrrp::BfdInstance;

/// One session to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionPlan {
    pub name: String,
    pub neighbor: IpAddr,
    /// The address to send from (`source_ip`); the kernel picks one without it.
    pub source: Option<IpAddr>,
    pub config: SessionConfig,
    /// The TTL of the packets sent (`ttl`, default 255).
    pub ttl: u8,
    /// The lowest TTL accepted: `ttl` less `max_hops` (default 0, so 255 as RFC 5881 asks);
    /// `max_hops 255` accepts any.
    pub min_received_ttl: u8,
    /// `max_hops` as written (0..=255), for the data dump.
    pub max_hops: u8,
    /// Whether the VRRP side hears of its state changes (`vrrp`, or neither keyword).
    pub to_vrrp: bool,
    /// Whether the checkers would (`checker`, or neither keyword; BFD_CHECK is refused).
    pub to_checker: bool,
}

/// The sessions of `instances`, and one refusal line for each one keepalived-rs cannot run.
pub fn plan(instances: &[BfdInstance]) -> (Vec<SessionPlan>, Vec<String>) {
    let mut sessions = Vec::new();
    let mut refused = Vec::new();
    for b in instances {
        let refuse = |why: &str| format!("{}: bfd_instance {}: {why}", b.origin, b.name);
        let Some(neighbor) = b.neighbor_ip else {
            // The parser reports a missing neighbor_ip (keepalived drops the block): nothing
            // to run.
            continue;
        };
        if neighbor.is_ipv6() {
            refused.push(refuse(
                "an IPv6 neighbor_ip is not run by keepalived-rs yet (IPv4 sessions are); \
                 track the neighbour with track_script instead",
            ));
            continue;
        }
        if b.multihop {
            refused.push(refuse(
                "multihop is not run by keepalived-rs (single-hop sessions are); remove it, or \
                 track the neighbour with track_script instead",
            ));
            continue;
        }
        if b.source_ip.is_some_and(|s| s.is_ipv6()) {
            refused.push(refuse(
                "source_ip and neighbor_ip are of different families",
            ));
            continue;
        }
        let max_hops = b.max_hops.clamp(0, 255) as u8;
        sessions.push(SessionPlan {
            name: b.name.clone(),
            neighbor,
            source: b.source_ip,
            config: SessionConfig {
                desired_min_tx: b.min_tx.0,
                required_min_rx: b.min_rx.0,
                idle_tx: b.idle_tx.0,
                detect_mult: b.multiplier.max(1),
                passive: b.passive,
            },
            ttl: b.ttl,
            min_received_ttl: if max_hops == 255 {
                0
            } else {
                b.ttl.saturating_sub(max_hops)
            },
            max_hops,
            to_vrrp: b.vrrp,
            to_checker: b.checker,
        });
    }
    (sessions, refused)
}
