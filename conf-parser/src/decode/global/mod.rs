//! The root-level daemon settings, `global_defs`, and the small root blocks that sit beside it
//! (`linkbeat_interfaces`, `interface_up_down_delays`, `track_group`).
//!
//! `global_defs` may be written more than once; as in keepalived the blocks merge. Several
//! values follow another one unless written (`vrrp_garp_lower_prio_delay` follows
//! `vrrp_garp_master_delay`, ...); [`check`] resolves them once the whole file is read.

use super::{kw, Cx, Keyword};
use crate::model::global::{InterfaceUpDownDelay, LinkbeatInterface, LinkbeatMethod, TrackGroup};
use crate::model::Config;
use crate::tree::Node;

mod defs;
#[cfg(test)]
mod tests;

/// The blocks whose keywords a "belongs in" hint may name.
pub(super) fn keyword_homes() -> Vec<(&'static str, &'static str)> {
    defs::keywords()
        .iter()
        .map(|k| ("global_defs", k.name))
        .collect()
}

pub(super) fn root_keywords() -> Vec<Keyword<Config>> {
    vec![
        kw("net_namespace", |cx, n, c| {
            if let Some(v) = cx.string(n) {
                if c.global.net_namespace.is_some() {
                    already(cx, n);
                } else {
                    c.global.net_namespace = Some(v);
                }
            }
        }),
        kw("net_namespace_ipvs", |cx, n, c| {
            cx.no_block(n);
            cx.arity(n, 0, Some(1));
            if c.global.net_namespace_ipvs.is_some() {
                already(cx, n);
                return;
            }
            // No name means the default namespace, as opposed to not setting it at all.
            c.global.net_namespace_ipvs = Some(
                n.args
                    .first()
                    .map(|w| w.text.to_string())
                    .unwrap_or_default(),
            );
        }),
        kw("namespace_with_ipsets", |cx, n, c| {
            c.global.namespace_with_ipsets = cx.bare(n)
        }),
        kw("instance", |cx, n, c| {
            if let Some(v) = cx.string(n) {
                if c.global.instance.is_some() {
                    already(cx, n);
                } else {
                    c.global.instance = Some(v);
                }
            }
        }),
        kw("use_pid_dir", |cx, n, c| c.global.use_pid_dir = cx.bare(n)),
        kw("linkbeat_use_polling", |cx, n, c| {
            c.global.linkbeat_use_polling = cx.bare(n)
        }),
        kw("child_wait_time", |cx, n, c| {
            if let Some(v) = cx.int(n, 0, i64::from(u32::MAX)) {
                c.global.child_wait_time = crate::values::Timer::secs(v.unsigned_abs());
            }
        }),
        kw("global_defs", global_defs),
        kw("linkbeat_interfaces", linkbeat_interfaces),
        kw("interface_up_down_delays", interface_up_down_delays),
        kw("track_group", track_group),
    ]
}

/// A keyword keepalived takes only once: later ones are ignored, with a warning.
fn already(cx: &mut Cx, node: &Node) {
    cx.warning(
        node.keyword.span,
        format!("{} is already set; this one is ignored", node.name()),
    )
    .with_help("keepalived keeps the first one; remove the duplicate");
}

fn global_defs(cx: &mut Cx, node: &Node, config: &mut Config) {
    cx.arity(node, 0, Some(0));
    let defs = &mut config.global.global_defs;
    if defs.origin.is_none() {
        defs.origin = Some(cx.origin(node.keyword.span));
    }
    let items = cx.block(node);
    cx.decode_items("global_defs", items, &defs::keywords(), defs);
}

/// `linkbeat_interfaces { IF [MII|ETHTOOL|IOCTL] ... }`: one interface a line.
fn linkbeat_interfaces(cx: &mut Cx, node: &Node, config: &mut Config) {
    cx.arity(node, 0, Some(0));
    for item in cx.block(node) {
        cx.no_block(item);
        let method = match item.args.first() {
            None => LinkbeatMethod::Mii,
            Some(w) => match cx.choice_word(item, w, &["MII", "ETHTOOL", "IOCTL"]) {
                Some("ETHTOOL") => LinkbeatMethod::Ethtool,
                Some("IOCTL") => LinkbeatMethod::Ioctl,
                Some(_) => LinkbeatMethod::Mii,
                None => continue,
            },
        };
        if let Some(extra) = item.args.get(1) {
            cx.warning(
                extra.span,
                format!(
                    "extra argument '{}' after {} is ignored",
                    extra.text,
                    item.name()
                ),
            );
        }
        config.global.linkbeat_interfaces.push(LinkbeatInterface {
            interface: item.name().to_string(),
            method,
            origin: cx.origin(item.keyword.span),
        });
    }
}

/// `interface_up_down_delays { IF DOWN [UP] ... }`: debounce delays of at most 255 s.
/// keepalived 2.2.7 (measured): a line without a delay is ignored ("No timeouts specified for
/// eth1 up/down delays") and an argument after the up delay too, its `-t` passing both; an
/// omitted up delay is 0 (its man page says the down delay; its dump and its log say 0).
fn interface_up_down_delays(cx: &mut Cx, node: &Node, config: &mut Config) {
    cx.arity(node, 0, Some(0));
    for item in cx.block(node) {
        cx.no_block(item);
        if item.args.is_empty() {
            cx.warning(
                item.keyword.span,
                format!(
                    "interface {} has no delay; the line is ignored (keepalived logs: No \
                     timeouts specified for {} up/down delays)",
                    item.name(),
                    item.name()
                ),
            )
            .with_help("write 'IFNAME DOWN_DELAY [UP_DELAY]'")
            .keepalived_passes()
            .daemon_runs_on();
            continue;
        }
        if let Some(extra) = item.args.get(2) {
            cx.warning(
                extra.span,
                format!(
                    "extra argument '{}' after {} is ignored",
                    extra.text,
                    item.name()
                ),
            )
            .keepalived_passes();
        }
        let Some(down) = cx.timer_word(item, &item.args[0], 0.0, 255.0) else {
            continue;
        };
        let up = match item.args.get(1) {
            Some(w) => match cx.timer_word(item, w, 0.0, 255.0) {
                Some(t) => t,
                None => continue,
            },
            None => crate::values::Timer::default(),
        };
        config
            .global
            .interface_up_down_delays
            .push(InterfaceUpDownDelay {
                interface: item.name().to_string(),
                down,
                up,
                origin: cx.origin(item.keyword.span),
            });
    }
}

/// `track_group NAME { group { VI_1 VI_2 ... } }`.
fn track_group(cx: &mut Cx, node: &Node, config: &mut Config) {
    let items = cx.block(node);
    let Some(name) = cx.block_name(node) else {
        return;
    };
    if config.global.track_group.iter().any(|g| g.name == name) {
        cx.error(
            node.args[0].span,
            format!("track_group {name} is already defined; this one is ignored"),
        );
        return;
    }
    let mut group = TrackGroup {
        name,
        group: Vec::new(),
        origin: cx.origin(node.keyword.span),
    };
    let table: Vec<Keyword<(TrackGroup, bool)>> = vec![kw("group", |cx, n, (g, seen)| {
        cx.arity(n, 0, Some(0));
        let items = cx.block(n);
        if *seen {
            cx.warning(
                n.keyword.span,
                format!(
                    "track_group {} already has a group block; this one is ignored",
                    g.name
                ),
            );
            return;
        }
        *seen = true;
        // A list block: every word is an instance name, however the lines are broken.
        for item in items {
            cx.no_block(item);
            g.group.extend(
                std::iter::once(&item.keyword)
                    .chain(&item.args)
                    .map(|w| w.text.to_string()),
            );
        }
    })];
    let mut target = (group, false);
    cx.decode_items("track_group", items, &table, &mut target);
    (group, _) = target;
    if group.group.is_empty() {
        cx.warning(
            node.keyword.span,
            format!(
                "track_group {} has no vrrp instances; it is ignored",
                group.name
            ),
        )
        .with_help("list the instances in a 'group { ... }' block");
        return;
    }
    config.global.track_group.push(group);
}

/// Resolves values that follow others and checks what can only be judged on the whole file.
pub(super) fn check(cx: &mut Cx, config: &mut Config) {
    let g = &mut config.global;
    // keepalived puts pid files in /run/keepalived whenever it runs in a namespace or as a
    // named instance.
    if g.net_namespace.is_some() || g.instance.is_some() {
        g.use_pid_dir = true;
    }
    defs::resolve(cx, g);
}
