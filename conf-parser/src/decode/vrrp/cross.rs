//! Checks across instances, once each instance is resolved (`check`): sync groups and their
//! members, names an instance tracks, tracking weights, VRID clashes on an interface, scripts
//! no instance uses, track groups, and `lvs_sync_daemon`'s instance and interface.

use super::inherit::Inherited;
use crate::decode::Cx;
use crate::model::vrrp::{Family, TrackRef, VrrpInstance, VrrpPart, VrrpState};
use crate::model::Config;

pub(super) fn check_sync_groups(cx: &mut Cx, part: &VrrpPart) {
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
pub(super) fn resolve_refs(cx: &mut Cx, part: &mut VrrpPart) {
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
pub(super) fn tracking_weights(cx: &mut Cx, part: &mut VrrpPart) {
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
        // keepalived 2.2.7 runs such a group without a word (measured); its owners then wait
        // as the others do, which an operator does not expect of an owner: say so.
        if owners > 0 && owners < members.len() {
            cx.warning(g.origin.span, format!("vrrp_sync_group {} mixes address owners (priority 255, MASTER) with other members: as in keepalived, the owners start BACKUP too and the group becomes MASTER only when every member's master-down timer has run out", g.name));
        }
    }
}

pub(super) fn vrid_clashes(cx: &mut Cx, part: &VrrpPart, g: &Inherited) {
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

pub(super) fn unused_scripts(cx: &mut Cx, part: &VrrpPart) {
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
pub(super) fn track_groups(cx: &mut Cx, config: &Config) {
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
pub(super) fn lvs_sync_daemon(cx: &mut Cx, config: &mut Config) {
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

pub(super) fn lvs_sync_daemon_interface(cx: &mut Cx, part: &VrrpPart) {
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
