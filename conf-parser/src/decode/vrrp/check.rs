//! Semantic checks and resolution, once the whole file is read (so names may be used before
//! the block defining them). Unwritten values take their defaults (some from global_defs),
//! then each instance is checked as keepalived checks it when it starts; what involves more
//! than one instance is checked next, in `cross`.
//!
//! Levels: where keepalived adjusts the configuration and runs (a nopreempt it clears, an
//! advert_int it rounds), the finding is a warning and the model shows the adjusted value;
//! where the configuration does something else than written, or keepalived refuses it, it is
//! an error and the model stays as written.

use super::cross;
use super::inherit::Inherited;
use crate::decode::Cx;
use crate::model::vrrp::{
    AuthType, Family, GarpExtraIf, HmacMode, VrrpInstance, VrrpPart, VrrpState,
};
use crate::model::Config;
use crate::values::Timer;
use std::time::Duration;

pub(super) fn run(cx: &mut Cx, config: &mut Config) {
    let g = Inherited::from_config(config);
    let part = &mut config.vrrp;
    for sg in &mut part.vrrp_sync_group {
        if !sg.written.has("smtp_alert") {
            sg.smtp_alert = g.smtp_alert_vrrp.or(g.smtp_alert).unwrap_or(false);
        }
        if !sg.written.has("notify_priority_changes") {
            sg.notify_priority_changes = g.vrrp_notify_priority_changes;
        }
    }
    cross::check_sync_groups(cx, part);
    // keepalived drops a member that is not an instance ("ignores it") and runs the rest.
    let names: Vec<String> = part.vrrp_instance.iter().map(|i| i.name.clone()).collect();
    for sg in &mut part.vrrp_sync_group {
        sg.group.retain(|m| names.contains(&m.name));
    }
    for idx in 0..part.vrrp_instance.len() {
        let sync = sync_group_of(part, idx);
        let Some(inst) = part.vrrp_instance.get_mut(idx) else {
            continue;
        };
        resolve(cx, inst, &g, sync.as_ref());
    }
    cross::resolve_refs(cx, part);
    cross::tracking_weights(cx, part);
    cross::vrid_clashes(cx, part, &g);
    cross::unused_scripts(cx, part);
    cross::lvs_sync_daemon_interface(cx, part);
    cross::track_groups(cx, config);
    cross::lvs_sync_daemon(cx, config);
}

/// What an instance needs to know about its sync group.
struct SyncInfo {
    notify_priority_changes: Option<bool>,
}

fn sync_group_of(part: &VrrpPart, idx: usize) -> Option<SyncInfo> {
    let name = &part.vrrp_instance.get(idx)?.name;
    let g = part
        .vrrp_sync_group
        .iter()
        .find(|g| g.group.iter().any(|m| &m.name == name))?;
    Some(SyncInfo {
        notify_priority_changes: g
            .written
            .has("notify_priority_changes")
            .then_some(g.notify_priority_changes),
    })
}

/// Rounds `t` to a multiple of `step` microseconds, as keepalived rounds advert intervals.
fn round_to(t: Timer, step: u64) -> Timer {
    let us = t.0.as_micros() as u64;
    let r = (us + step / 2) / step * step;
    Timer(Duration::from_micros(r.max(step)))
}

fn resolve(cx: &mut Cx, i: &mut VrrpInstance, g: &Inherited, sync: Option<&SyncInfo>) {
    let w = i.written.clone();
    let origin_span = i.origin.span;
    let at = |key: &str| w.get(key).unwrap_or(origin_span);
    let name = i.name.clone();

    if !w.has("strict_mode") {
        i.strict_mode = g.vrrp_strict;
    }
    let strict = i.strict_mode;
    let family = i.family.unwrap_or(Family::Inet);
    i.family = Some(family);

    if family == Family::Inet6 {
        if !w.has("version") {
            i.version = 3;
        } else if i.version == 2 && strict {
            cx.warning(
                at("version"),
                "in strict mode IPv6 needs VRRP version 3; keepalived uses version 3",
            );
            i.version = 3;
        }
    } else if !w.has("version") {
        i.version = g.vrrp_version;
    }

    if !w.has("priority") {
        i.priority = if w.has("state") && i.state == VrrpState::Master {
            255
        } else {
            100
        };
    }
    let owner = i.priority == 255;
    if !w.has("state") {
        i.state = if owner {
            VrrpState::Master
        } else {
            VrrpState::Backup
        };
    } else if strict && (i.state == VrrpState::Master) != owner {
        let msg = if owner {
            "in strict mode, priority 255 (the address owner) means state MASTER; keepalived starts this instance as MASTER"
        } else {
            "in strict mode, state MASTER needs priority 255 (the address owner); keepalived starts this instance as BACKUP"
        };
        cx.warning(at("state"), msg);
        i.state = if owner {
            VrrpState::Master
        } else {
            VrrpState::Backup
        };
    }

    check_authentication(cx, i, strict);

    // Unicast.
    let unicast_written = w.get("unicast");
    let unicast = !i.unicast_peer.is_empty();
    if let (Some(kw_span), false) = (unicast_written, unicast) {
        if i.unicast_fault_no_peer {
            cx.warning(
                kw_span,
                format!("vrrp_instance {name} has no unicast peers; with unicast_fault_no_peer it stays in FAULT"),
            )
            // Measured: keepalived 2.2.7's -t says nothing and exits 0 (netns_unsupported.rs).
            .keepalived_passes();
        } else {
            let span = w.get("unicast_peer").unwrap_or(kw_span);
            cx.error(span, format!("vrrp_instance {name} has no unicast peers: keepalived silently falls back to multicast"))
                .daemon_runs_on()
                .with_help("list the other routers in unicast_peer { }; a router that multicasts while its peers unicast is a second VIP holder. Add unicast_fault_no_peer to stay in FAULT instead");
        }
    }
    if strict && unicast {
        cx.error(
            at("unicast_peer"),
            format!(
                "strict mode does not allow unicast peers; keepalived refuses vrrp_instance {name}"
            ),
        )
        .with_help("remove strict_mode (or vrrp_strict) to use unicast");
    }
    if let (Some(span), false) = (w.get("unicast_ttl"), unicast) {
        cx.warning(
            span,
            "unicast_ttl has no effect without unicast peers; keepalived ignores it",
        );
        i.unicast_ttl = None;
    }
    if unicast && i.mcast_dst_ip.is_some() {
        cx.warning(
            i.origin.span,
            format!("vrrp_instance {name} is unicast; its mcast_dst_ip is ignored"),
        );
        i.mcast_dst_ip = None;
    }

    // Interface and source address.
    if i.virtual_router_id.is_none() {
        cx.error(
            i.origin.span,
            format!("vrrp_instance {name} has no virtual_router_id"),
        )
        .daemon_stops()
        .with_help(
            "add virtual_router_id N (1..255), the same on every router of this virtual router",
        );
    }
    let src = i.unicast_src_ip.or(i.mcast_src_ip);
    if i.interface.is_none() {
        if unicast_written.is_none() {
            cx.error(
                i.origin.span,
                format!("vrrp_instance {name} has no interface"),
            )
            .daemon_stops()
            .with_help(
                "add interface IFNAME (only a unicast instance with unicast_src_ip may omit it)",
            );
        } else if src.is_none() {
            cx.error(
                i.origin.span,
                format!("unicast vrrp_instance {name} needs unicast_src_ip or interface"),
            );
        } else if let Some(std::net::IpAddr::V6(a)) = src {
            if a.segments()[0] & 0xffc0 == 0xfe80 {
                cx.error(
                    i.origin.span,
                    format!(
                        "vrrp_instance {name} has a link-local source address but no interface"
                    ),
                );
            }
        }
        if unicast_written.is_some() {
            if i.use_vmac.is_some() || i.use_ipvlan.is_some() {
                cx.error(
                    i.origin.span,
                    format!("vrrp_instance {name} uses a VMAC/ipvlan but has no interface"),
                );
            }
            for a in i
                .virtual_ipaddress
                .iter()
                .chain(&i.virtual_ipaddress_excluded)
                .filter(|a| a.dev.is_none())
            {
                cx.error(
                    a.origin.span,
                    format!("{} has no dev and vrrp_instance {name} no interface: keepalived removes it", a.address),
                );
            }
        }
    }
    if i.vrf.is_some() && (i.interface.is_some() || !unicast) {
        cx.warning(
            i.origin.span,
            format!("vrf needs a unicast vrrp_instance without interface; keepalived ignores it in {name}"),
        );
        i.vrf = None;
    }
    if i.track_src_ip && src.is_none() {
        cx.warning(
            i.origin.span,
            "track_src_ip has no effect without unicast_src_ip or mcast_src_ip",
        );
        i.track_src_ip = false;
    }
    if let Some(own) = &i.interface {
        let own = own.clone();
        i.track_interface.retain(|t| {
            if t.name == own {
                cx.warning(
                    t.origin.span,
                    format!("{own} is the instance's own interface; it is always tracked"),
                );
            }
            t.name != own
        });
    }

    // VMAC / ipvlan.
    if let Some(v) = &mut i.use_vmac {
        if strict && v.mac.is_some() {
            cx.warning(
                i.origin.span,
                "strict mode does not allow a use_vmac MAC address; keepalived ignores it",
            );
            v.mac = None;
        }
        if unicast_written.is_some() && i.interface.is_some() && !i.vmac_xmit_base {
            cx.warning(
                i.origin.span,
                "unicast with use_vmac needs vmac_xmit_base; keepalived sets it",
            );
            i.vmac_xmit_base = true;
        }
        if strict && i.vmac_xmit_base {
            cx.warning(
                i.origin.span,
                "strict mode does not allow vmac_xmit_base; keepalived clears it",
            );
            i.vmac_xmit_base = false;
        }
    } else if i.vmac_xmit_base {
        cx.warning(
            i.origin.span,
            "vmac_xmit_base has no effect without use_vmac",
        );
        i.vmac_xmit_base = false;
    }
    if (i.use_vmac.is_some() || i.use_ipvlan.is_some()) && i.promote_secondaries {
        cx.warning(
            i.origin.span,
            "promote_secondaries is implied on a VMAC/ipvlan; keepalived ignores it",
        );
        i.promote_secondaries = false;
    }
    if let Some(v) = &i.use_ipvlan {
        if family == Family::Inet && v.address.is_none() {
            cx.error(
                i.origin.span,
                format!("an IPv4 use_ipvlan needs an address; keepalived keeps vrrp_instance {name} in FAULT"),
            );
        }
    }

    // Addresses.
    if family == Family::Inet6 && strict && !unicast {
        if let Some(first) = i.virtual_ipaddress.first() {
            if !(first.address.addr.is_ipv6()
                && matches!(first.address.addr, std::net::IpAddr::V6(a) if a.segments()[0] & 0xffc0 == 0xfe80))
            {
                cx.warning(
                    first.origin.span,
                    "in strict mode the first IPv6 virtual_ipaddress must be link-local (fe80::/10)",
                );
            }
        }
    }
    let max_vips = max_vips(i, family);
    if i.virtual_ipaddress.len() > max_vips {
        let moved = i.virtual_ipaddress.split_off(max_vips);
        if let Some(first) = moved.first() {
            cx.warning(first.origin.span, format!("an advert carries at most {max_vips} addresses; keepalived moves the other {} to virtual_ipaddress_excluded", moved.len()));
        }
        let mut excluded = moved;
        excluded.append(&mut i.virtual_ipaddress_excluded);
        i.virtual_ipaddress_excluded = excluded;
    }
    if i.no_virtual_ipaddress && strict {
        cx.warning(
            i.origin.span,
            "strict mode requires addresses; keepalived ignores no_virtual_ipaddress",
        );
        i.no_virtual_ipaddress = false;
    }
    if !i.no_virtual_ipaddress && i.virtual_ipaddress.is_empty() {
        if i.version == 3 || strict {
            cx.error(
                i.origin.span,
                format!("vrrp_instance {name} has no virtual_ipaddress; VRRPv3 and strict mode need one"),
            );
        } else {
            cx.warning(
                i.origin.span,
                format!("vrrp_instance {name} has no virtual_ipaddress; at least one is sensible"),
            )
            .with_help(
                "add virtual_ipaddress { ADDR }, or no_virtual_ipaddress if that is intended",
            );
        }
    }

    // Preemption.
    if owner && i.nopreempt {
        cx.warning(
            i.origin.span,
            "nopreempt has no effect with priority 255 (the address owner); keepalived clears it",
        );
        i.nopreempt = false;
    }
    if i.state == VrrpState::Master {
        if i.nopreempt {
            cx.warning(
                at("state"),
                "nopreempt does not work with state MASTER; keepalived clears it",
            )
            .with_help("use state BACKUP on every router with nopreempt");
            i.nopreempt = false;
        }
        if i.preempt_delay > Timer::default() {
            cx.warning(
                at("preempt_delay"),
                "preempt_delay does not work with state MASTER; keepalived clears it",
            )
            .with_help("use state BACKUP with preempt_delay");
            i.preempt_delay = Timer::default();
        }
    }
    if i.preempt_delay > Timer::default() {
        if strict {
            cx.warning(
                at("preempt_delay"),
                "strict mode does not allow preempt_delay; keepalived clears it",
            );
            i.preempt_delay = Timer::default();
        } else if i.nopreempt {
            cx.warning(
                at("preempt_delay"),
                "preempt_delay has no effect with nopreempt; keepalived clears it",
            );
            i.preempt_delay = Timer::default();
        }
    }
    if !w.has("down_timer_adverts") {
        i.down_timer_adverts = g.vrrp_down_timer_adverts;
    }
    if i.down_timer_adverts != 3 && strict {
        cx.warning(
            at("down_timer_adverts"),
            "strict mode requires down_timer_adverts 3; keepalived uses 3",
        );
        i.down_timer_adverts = 3;
    }
    if i.timer_expired_backup.is_some() && !i.nopreempt {
        cx.warning(
            at("timer_expired_backup"),
            "timer_expired_backup needs nopreempt; keepalived ignores it",
        );
        i.timer_expired_backup = None;
    }

    // Accept mode.
    if !w.has("accept") {
        i.accept = owner || !strict;
    } else if i.accept && !owner && strict && i.version == 2 {
        cx.warning(
            at("accept"),
            "accept mode does not comply with VRRPv2 (RFC 3768) in strict mode; keepalived clears it",
        );
        i.accept = false;
    }

    // GARP and advert behaviour.
    if !w.has("garp_master_delay") {
        i.garp_master_delay = g.vrrp_garp_master_delay;
    }
    if !w.has("garp_master_repeat") {
        i.garp_master_repeat = g.vrrp_garp_master_repeat;
    }
    if !w.has("garp_master_refresh") {
        i.garp_master_refresh = g.vrrp_garp_master_refresh;
    }
    if !w.has("garp_master_refresh_repeat") {
        i.garp_master_refresh_repeat = g.vrrp_garp_master_refresh_repeat;
    }
    if !w.has("garp_extra_if") {
        i.garp_extra_if = g
            .vrrp_garp_extra_if
            .map(|(interval, all)| GarpExtraIf { interval, all });
    }
    if !w.has("garp_lower_prio_repeat") {
        i.garp_lower_prio_repeat = if strict {
            0
        } else {
            g.vrrp_garp_lower_prio_repeat
        };
    } else if strict && i.garp_lower_prio_repeat != 0 {
        cx.warning(
            at("garp_lower_prio_repeat"),
            "strict mode requires garp_lower_prio_repeat 0; keepalived uses 0",
        );
        i.garp_lower_prio_repeat = 0;
    }
    if !w.has("garp_lower_prio_delay") {
        i.garp_lower_prio_delay = if strict {
            Timer::default()
        } else {
            g.vrrp_garp_lower_prio_delay
        };
    } else if strict && i.garp_lower_prio_delay > Timer::default() {
        cx.warning(
            at("garp_lower_prio_delay"),
            "strict mode requires garp_lower_prio_delay 0; keepalived uses 0",
        );
        i.garp_lower_prio_delay = Timer::default();
    }
    if !w.has("lower_prio_no_advert") {
        i.lower_prio_no_advert = strict || g.vrrp_lower_prio_no_advert;
    } else if strict && !i.lower_prio_no_advert {
        cx.warning(
            at("lower_prio_no_advert"),
            "strict mode requires lower_prio_no_advert; keepalived sets it",
        );
        i.lower_prio_no_advert = true;
    }
    if !w.has("higher_prio_send_advert") {
        i.higher_prio_send_advert = !strict && g.vrrp_higher_prio_send_advert;
    } else if strict && i.higher_prio_send_advert {
        cx.warning(
            at("higher_prio_send_advert"),
            "strict mode does not allow higher_prio_send_advert; keepalived clears it",
        );
        i.higher_prio_send_advert = false;
    }
    if !w.has("owner_ignore_adverts") {
        i.owner_ignore_adverts = owner && (strict || g.vrrp_owner_ignore_adverts);
    } else if i.owner_ignore_adverts && !owner {
        cx.warning(
            at("owner_ignore_adverts"),
            "owner_ignore_adverts applies only with priority 255; keepalived ignores it",
        );
        i.owner_ignore_adverts = false;
    } else if owner && strict && !i.owner_ignore_adverts {
        cx.warning(
            at("owner_ignore_adverts"),
            "strict mode with priority 255 requires owner_ignore_adverts; keepalived sets it",
        );
        i.owner_ignore_adverts = true;
    }
    if !w.has("skip_check_adv_addr") {
        i.skip_check_adv_addr = g.vrrp_skip_check_adv_addr;
    }
    if !w.has("check_unicast_src") {
        i.check_unicast_src = g.vrrp_check_unicast_src;
    }
    if !w.has("v3_checksum_as_v2") {
        i.v3_checksum_as_v2 = g.v3_checksum_as_v2;
    }
    if !w.has("smtp_alert") {
        i.smtp_alert = g.smtp_alert_vrrp.or(g.smtp_alert).unwrap_or(false);
    }
    if !w.has("notify_priority_changes") {
        i.notify_priority_changes = sync
            .and_then(|s| s.notify_priority_changes)
            .unwrap_or(g.vrrp_notify_priority_changes);
    }

    // Advert interval.
    let adv = i.advert_int;
    if i.version == 2 {
        if adv.0.subsec_micros() != 0 {
            let r = round_to(adv, 1_000_000);
            cx.warning(
                at("advert_int"),
                format!(
                    "VRRPv2 advert_int is whole seconds; keepalived rounds {} to {}",
                    secs(adv),
                    secs(r)
                ),
            )
            .with_help("use version 3 for sub-second adverts");
            i.advert_int = r;
        }
    } else if adv > Timer::micros(40_950_000) {
        cx.warning(
            at("advert_int"),
            format!(
                "VRRPv3 advert_int is at most 40.95 seconds; keepalived uses 40.95 instead of {}",
                secs(adv)
            ),
        );
        i.advert_int = Timer::micros(40_950_000);
    } else if !adv.0.as_micros().is_multiple_of(10_000) {
        let r = round_to(adv, 10_000);
        cx.warning(
            at("advert_int"),
            format!(
                "VRRPv3 advert_int has a resolution of 10 ms; keepalived rounds {} to {}",
                secs(adv),
                secs(r)
            ),
        );
        i.advert_int = r;
    }
}

/// Seconds as keepalived's messages print them.
fn secs(t: Timer) -> String {
    let v = t.as_secs_f64();
    let s = format!("{v:.6}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// How many VIPs fit in an advert on a 1500-byte link (keepalived moves the rest to eVIPs).
fn max_vips(i: &VrrpInstance, family: Family) -> usize {
    let (hdr, len) = match family {
        Family::Inet => {
            let mut h = 14 + 20 + 8;
            if i.version == 2 {
                h += 8;
                if i.authentication.as_ref().and_then(|a| a.auth_type) == Some(AuthType::Ah) {
                    h += 24;
                }
            }
            (h, 4)
        }
        Family::Inet6 => (14 + 40 + 8, 16),
    };
    ((1500 - hdr) / len).min(255)
}

fn check_authentication(cx: &mut Cx, i: &mut VrrpInstance, strict: bool) {
    let name = i.name.clone();
    if let Some(a) = &i.authentication {
        let span = a.origin.span;
        if strict {
            cx.warning(
                span,
                format!("strict mode does not allow authentication; keepalived ignores it in vrrp_instance {name}"),
            )
            .with_help("remove the authentication block, or strict_mode (vrrp_strict)");
        } else if i.version == 3 {
            cx.error(
                span,
                format!("VRRP version 3 has no authentication; keepalived ignores it in vrrp_instance {name}"),
            )
            .with_help("remove the authentication block (keepalived 2.4 has auth_hmac for v3)");
        } else if a.auth_type.is_none() {
            cx.error(
                span,
                "authentication has no auth_type; keepalived ignores it",
            )
            .daemon_runs_on()
            .with_help("add auth_type PASS");
            i.authentication = None;
        } else if a.auth_pass.as_deref().is_none_or(str::is_empty) {
            // keepalived: "Authentication specified but no password given. Ignoring".
            cx.error(
                span,
                "authentication has no auth_pass; keepalived ignores it",
            )
            .daemon_runs_on()
            .with_help("add auth_pass PASSWORD (at most 8 characters)");
            i.authentication = None;
        } else if i.family == Some(Family::Inet6) && a.auth_type == Some(AuthType::Ah) {
            cx.error(
                span,
                "AH authentication does not work with IPv6; keepalived ignores it",
            );
        } else if a.auth_type == Some(AuthType::Ah)
            && i.state == VrrpState::Master
            && i.priority != 255
        {
            cx.warning(
                span,
                "AH authentication needs an advert before taking over; keepalived starts this instance as BACKUP",
            );
            i.state = VrrpState::Backup;
        }
    }
    if let Some(ah) = &mut i.auth_hmac {
        if i.authentication.is_some() {
            cx.error(
                ah.origin.span,
                "auth_hmac cannot be combined with authentication; keepalived drops authentication",
            );
        }
        match ah.active_key {
            None => {
                cx.error(
                    ah.origin.span,
                    "auth_hmac has no active_key; keepalived disables it",
                )
                .with_help("add active_key ID, the id of one of the keys");
            }
            Some(id) if !ah.key.iter().any(|k| k.id == id) => {
                cx.error(
                    ah.origin.span,
                    format!(
                        "auth_hmac active_key {id} is not one of its keys; keepalived disables it"
                    ),
                );
            }
            _ => {
                if strict && ah.mode != HmacMode::Enforce {
                    cx.warning(
                        ah.origin.span,
                        "strict mode requires auth_hmac mode enforce; keepalived uses enforce",
                    );
                    ah.mode = HmacMode::Enforce;
                }
            }
        }
    }
}
