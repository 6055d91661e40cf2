//! Semantic checks and resolution, once the whole file is read (so names may be used before
//! the block defining them). Unwritten values take their defaults (some from global_defs),
//! then each instance is checked as keepalived checks it when it starts.
//!
//! Levels: where keepalived adjusts the configuration and runs (a nopreempt it clears, an
//! advert_int it rounds), the finding is a warning and the model shows the adjusted value;
//! where the configuration does something else than written, or keepalived refuses it, it is
//! an error and the model stays as written.

use super::inherit::Inherited;
use crate::decode::Cx;
use crate::model::vrrp::{
    AuthType, Family, GarpExtraIf, HmacMode, TrackRef, VrrpInstance, VrrpPart, VrrpState,
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
    check_sync_groups(cx, part);
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
    resolve_refs(cx, part);
    tracking_weights(cx, part);
    vrid_clashes(cx, part, &g);
    unused_scripts(cx, part);
    lvs_sync_daemon_interface(cx, part);
    track_groups(cx, config);
    lvs_sync_daemon(cx, config);
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
            );
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

fn check_sync_groups(cx: &mut Cx, part: &VrrpPart) {
    let mut seen: Vec<(&str, &str)> = Vec::new();
    for g in &part.vrrp_sync_group {
        let mut valid = 0;
        for m in &g.group {
            if !part.vrrp_instance.iter().any(|i| i.name == m.name) {
                let d = cx.error(
                    m.origin.span,
                    format!(
                        "{} in vrrp_sync_group {} is not a vrrp_instance; keepalived ignores it",
                        m.name, g.name
                    ),
                );
                d.daemon_runs_on();
                if let Some(s) = super::super::did_you_mean(
                    &m.name,
                    part.vrrp_instance.iter().map(|i| i.name.as_str()),
                ) {
                    d.with_help(format!("did you mean '{s}'?"));
                }
                continue;
            }
            if let Some((_, other)) = seen.iter().find(|(n, _)| *n == m.name) {
                cx.error(
                    m.origin.span,
                    format!(
                        "{} is already in vrrp_sync_group {other}; an instance can be in one sync group only",
                        m.name
                    ),
                );
                continue;
            }
            seen.push((&m.name, &g.name));
            valid += 1;
        }
        if valid == 1 {
            cx.warning(
                g.origin.span,
                format!(
                    "vrrp_sync_group {} has only one member; this is probably not what you want",
                    g.name
                ),
            );
        } else if valid == 0 && !g.group.is_empty() {
            cx.error(
                g.origin.span,
                format!("vrrp_sync_group {} has no member that is a vrrp_instance; keepalived removes it", g.name),
            );
        }
    }
}

/// Checks `track_*` names against the objects, and resolves unwritten weights from them.
fn resolve_refs(cx: &mut Cx, part: &mut VrrpPart) {
    let scripts: Vec<(String, i32, bool)> = part
        .vrrp_script
        .iter()
        .map(|s| (s.name.clone(), s.weight, s.reverse))
        .collect();
    let files: Vec<(String, i32, bool)> = part
        .track_file
        .iter()
        .map(|s| (s.name.clone(), s.weight, s.reverse))
        .collect();
    let procs: Vec<(String, i32, bool)> = part
        .vrrp_track_process
        .iter()
        .map(|s| (s.name.clone(), s.weight, s.reverse))
        .collect();
    let bfds: Vec<(String, i32, bool)> = part
        .bfd_instance
        .iter()
        .map(|s| (s.name.clone(), s.weight, s.reverse))
        .collect();
    let lists = part
        .vrrp_instance
        .iter_mut()
        .map(|i| {
            (
                &mut i.track_script,
                &mut i.track_file,
                &mut i.track_process,
                &mut i.track_bfd,
            )
        })
        .chain(part.vrrp_sync_group.iter_mut().map(|g| {
            (
                &mut g.track_script,
                &mut g.track_file,
                &mut g.track_process,
                &mut g.track_bfd,
            )
        }));
    for (s, f, p, b) in lists {
        resolve_list(cx, s, &scripts, "vrrp_script");
        resolve_list(cx, f, &files, "track_file");
        resolve_list(cx, p, &procs, "vrrp_track_process");
        resolve_list(cx, b, &bfds, "bfd_instance");
    }
}

/// Gives each reference its object's weight; a reference to nothing is reported and dropped,
/// as keepalived drops it.
fn resolve_list(
    cx: &mut Cx,
    refs: &mut Vec<TrackRef>,
    objects: &[(String, i32, bool)],
    kind: &str,
) {
    refs.retain_mut(|r| {
        match objects.iter().find(|(n, _, _)| *n == r.name) {
            Some((_, weight, reverse)) => {
                if !r.weight_written {
                    r.weight = *weight;
                }
                if !r.reverse_written {
                    r.reverse = *reverse;
                }
                true
            }
            None => {
                let d = cx.error(
                    r.origin.span,
                    format!(
                        "no {kind} is named {}; keepalived ignores this entry",
                        r.name
                    ),
                );
                // Measured for vrrp_script: "track script x not found, ignoring...".
                if kind == "vrrp_script" {
                    d.daemon_runs_on();
                }
                match super::super::did_you_mean(
                    &r.name,
                    objects.iter().map(|(n, _, _)| n.as_str()),
                ) {
                    Some(s) => d.with_help(format!("did you mean '{s}'?")),
                    None => d.with_help(format!("define it with: {kind} {} {{ ... }}", r.name)),
                };
                false
            }
        }
    })
}

/// keepalived ignores tracking weights of instances in a sync group (unless
/// sync_group_tracking_weight) and of address owners, whose priority must not move.
fn tracking_weights(cx: &mut Cx, part: &mut VrrpPart) {
    let groups: Vec<(String, bool, bool)> = part
        .vrrp_sync_group
        .iter()
        .map(|g| {
            let has_owner = g.group.iter().any(|m| {
                part.vrrp_instance
                    .iter()
                    .any(|i| i.name == m.name && i.priority == 255)
            });
            (g.name.clone(), g.sync_group_tracking_weight, has_owner)
        })
        .collect();
    for i in &mut part.vrrp_instance {
        let sync = part
            .vrrp_sync_group
            .iter()
            .position(|g| g.group.iter().any(|m| m.name == i.name));
        let in_sync = sync
            .and_then(|s| groups.get(s))
            .is_some_and(|(_, tw, _)| !tw);
        let owner = i.priority == 255;
        if !in_sync && !owner {
            continue;
        }
        let why = if in_sync {
            "it is in a sync group (see sync_group_tracking_weight)"
        } else {
            "its priority is 255 (the address owner)"
        };
        i.track_interface.retain_mut(|t| {
            if t.weight == 0 {
                return true;
            }
            cx.warning(
                t.origin.span,
                format!(
                    "the weight of tracked interface {} is ignored: {why}",
                    t.name
                ),
            );
            t.weight = 0;
            in_sync
        });
        for (list, kind) in [
            (&mut i.track_script, "script"),
            (&mut i.track_bfd, "bfd_instance"),
        ] {
            list.retain(|t| {
                if t.weight == 0 {
                    return true;
                }
                cx.warning(
                    t.origin.span,
                    format!(
                        "tracked {kind} {} has a weight, so keepalived ignores it: {why}",
                        t.name
                    ),
                )
                .with_help("give it weight 0 here");
                false
            });
        }
        i.track_file.retain_mut(|t| {
            if t.weight == 0 {
                return true;
            }
            if t.weight == 1 && !t.weight_written {
                cx.warning(
                    t.origin.span,
                    format!(
                        "tracked file {} is used unweighted (weight 0): {why}",
                        t.name
                    ),
                )
                .with_help("write weight 0");
                t.weight = 0;
                return true;
            }
            cx.warning(
                t.origin.span,
                format!(
                    "tracked file {} has weight {}, so keepalived ignores it: {why}",
                    t.name, t.weight
                ),
            );
            false
        });
    }
    for (g, (_, _, has_owner)) in part.vrrp_sync_group.iter_mut().zip(&groups) {
        if !has_owner {
            continue;
        }
        let name = g.name.clone();
        let refs = g
            .track_script
            .iter_mut()
            .chain(g.track_file.iter_mut())
            .chain(g.track_process.iter_mut())
            .chain(g.track_bfd.iter_mut());
        for t in refs.filter(|t| t.weight != 0) {
            cx.warning(
                t.origin.span,
                format!("the weight of {} is ignored: a member of vrrp_sync_group {name} has priority 255", t.name),
            );
            t.weight = 0;
        }
        for t in g.track_interface.iter_mut().filter(|t| t.weight != 0) {
            cx.warning(
                t.origin.span,
                format!("the weight of {} is ignored: a member of vrrp_sync_group {name} has priority 255", t.name),
            );
            t.weight = 0;
        }
    }
    for g in &part.vrrp_sync_group {
        let members: Vec<&VrrpInstance> = g
            .group
            .iter()
            .filter_map(|m| part.vrrp_instance.iter().find(|i| i.name == m.name))
            .collect();
        let owners = members
            .iter()
            .filter(|i| i.priority == 255 && i.state == VrrpState::Master)
            .count();
        if owners > 0 && owners < members.len() {
            cx.error(g.origin.span, format!("vrrp_sync_group {} mixes address owners (priority 255, MASTER) with other members; this does not work", g.name));
        }
    }
}

fn vrid_clashes(cx: &mut Cx, part: &VrrpPart, g: &Inherited) {
    let insts = &part.vrrp_instance;
    // Only instances with the same VRID can clash: compare within each VRID's earlier instances,
    // not all pairs (configurations with hundreds of instances exist).
    let mut by_vrid: std::collections::HashMap<u8, Vec<&VrrpInstance>> =
        std::collections::HashMap::new();
    for b in insts.iter() {
        let Some(vrid) = b.virtual_router_id else {
            continue;
        };
        let earlier = by_vrid.entry(vrid).or_default();
        let candidates = earlier.clone();
        earlier.push(b);
        for a in candidates {
            if a.family != b.family {
                continue;
            }
            let (ua, ub) = (!a.unicast_peer.is_empty(), !b.unicast_peer.is_empty());
            if ua != ub {
                continue;
            }
            let clash = if ua {
                let same_if =
                    a.interface.is_none() || b.interface.is_none() || a.interface == b.interface;
                let (sa, sb) = (
                    a.unicast_src_ip.or(a.mcast_src_ip),
                    b.unicast_src_ip.or(b.mcast_src_ip),
                );
                let same_src = sa.is_none() || sb.is_none() || sa == sb;
                let shared_peer = a
                    .unicast_peer
                    .iter()
                    .any(|p| b.unicast_peer.iter().any(|q| q.address == p.address));
                same_if && same_src && shared_peer
            } else {
                let group = |i: &VrrpInstance| {
                    i.mcast_dst_ip
                        .unwrap_or(if i.family == Some(Family::Inet6) {
                            g.vrrp_mcast_group6
                        } else {
                            g.vrrp_mcast_group4
                        })
                };
                a.interface.is_some() && a.interface == b.interface && group(a) == group(b)
            };
            if clash {
                let span = b.written.get("virtual_router_id").unwrap_or(b.origin.span);
                let fam = b.family.unwrap_or(Family::Inet).label();
                let place = match (&b.interface, ua) {
                    (Some(ifname), _) => format!("on {ifname}"),
                    (None, _) => "with the same unicast peers".to_string(),
                };
                let d = cx.error(
                    span,
                    format!(
                        "vrrp_instance {} uses virtual_router_id {vrid} {place} ({fam}), like {} at {}",
                        b.name, a.name, a.origin
                    ),
                );
                d.with_help("each virtual router on a link needs its own virtual_router_id");
                // Measured for multicast instances: keepalived's VRRP process ends.
                if !ua {
                    d.daemon_stops();
                }
            }
        }
    }
}

fn unused_scripts(cx: &mut Cx, part: &VrrpPart) {
    let used = |name: &str| {
        part.vrrp_instance
            .iter()
            .any(|i| i.track_script.iter().any(|t| t.name == name))
            || part
                .vrrp_sync_group
                .iter()
                .any(|g| g.track_script.iter().any(|t| t.name == name))
    };
    for s in part.vrrp_script.iter().filter(|s| !used(&s.name)) {
        cx.warning(
            s.origin.span,
            format!(
                "vrrp_script {} is not tracked by any vrrp_instance or vrrp_sync_group; keepalived does not run it",
                s.name
            ),
        )
        .with_help(format!("add it to a track_script {{ {} }} block", s.name))
        .keepalived_passes();
    }
}

/// The members of the (global) track_group blocks, and the track_groups static addresses,
/// routes and rules name.
fn track_groups(cx: &mut Cx, config: &Config) {
    let part = &config.vrrp;
    let groups = &config.global.track_group;
    // Without instances keepalived runs no VRRP process, and nobody reads the track groups.
    let has_instances = !part.vrrp_instance.is_empty();
    for tg in groups.iter().filter(|_| has_instances) {
        for m in &tg.group {
            if !part.vrrp_instance.iter().any(|i| &i.name == m) {
                let d = cx.error(
                    tg.origin.span,
                    format!(
                        "{m} in track_group {} is not a vrrp_instance; keepalived ignores it",
                        tg.name
                    ),
                );
                if let Some(s) = super::super::did_you_mean(
                    m,
                    part.vrrp_instance.iter().map(|i| i.name.as_str()),
                ) {
                    d.with_help(format!("did you mean '{s}'?"));
                }
            }
        }
    }
    let uses = part
        .static_ipaddress
        .iter()
        .map(|a| (&a.track_group, &a.origin))
        .chain(
            part.static_routes
                .iter()
                .map(|r| (&r.track_group, &r.origin)),
        )
        .chain(
            part.static_rules
                .iter()
                .map(|r| (&r.track_group, &r.origin)),
        );
    for (name, origin) in uses {
        let Some(name) = name else { continue };
        if groups.iter().any(|t| &t.name == name) {
            continue;
        }
        let d = cx.error(
            origin.span,
            format!("no track_group is named {name}; keepalived does not track this entry"),
        );
        if let Some(s) = super::super::did_you_mean(name, groups.iter().map(|t| t.name.as_str())) {
            d.with_help(format!("did you mean '{s}'?"));
        }
    }
}

/// global_defs' lvs_sync_daemon follows a vrrp_instance, whose VRID is the default sync id.
fn lvs_sync_daemon(cx: &mut Cx, config: &mut Config) {
    let Some(sd) = &mut config.global.global_defs.lvs_sync_daemon else {
        return;
    };
    // Without instances keepalived runs no VRRP process, and the sync daemon is not started.
    if config.vrrp.vrrp_instance.is_empty() {
        return;
    }
    let Some(name) = &sd.instance else {
        if sd.id.is_none() {
            sd.id = Some(0);
        }
        return;
    };
    match config.vrrp.vrrp_instance.iter().find(|i| &i.name == name) {
        Some(i) => {
            if sd.id.is_none() {
                sd.id = i.virtual_router_id;
            }
        }
        None => {
            let d = cx.error(sd.origin.span, format!("lvs_sync_daemon follows vrrp_instance {name}, which does not exist; keepalived drops the lvs_sync_daemon setting"));
            if let Some(s) = super::super::did_you_mean(
                name,
                config.vrrp.vrrp_instance.iter().map(|i| i.name.as_str()),
            ) {
                d.with_help(format!("did you mean '{s}'?"));
            }
        }
    }
    if let Some(i) = config
        .vrrp
        .vrrp_instance
        .iter()
        .find(|i| i.lvs_sync_daemon_interface.is_some())
    {
        cx.error(
            i.origin.span,
            "global_defs' lvs_sync_daemon is set; keepalived ignores this instance's lvs_sync_daemon_interface",
        );
    }
}

fn lvs_sync_daemon_interface(cx: &mut Cx, part: &VrrpPart) {
    let mut first: Option<&str> = None;
    for i in &part.vrrp_instance {
        if i.lvs_sync_daemon_interface.is_none() {
            continue;
        }
        match &first {
            None => first = Some(&i.name),
            Some(f) => {
                cx.error(
                    i.origin.span,
                    format!(
                        "lvs_sync_daemon_interface is already given in vrrp_instance {f}; keepalived ignores this one"
                    ),
                );
            }
        }
    }
}
