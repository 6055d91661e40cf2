//! The VRRP blocks: `vrrp_instance`, what instances track (`vrrp_script`, `track_file`,
//! `vrrp_track_process`, `bfd_instance`), `vrrp_sync_group`, `garp_group`, and
//! the static addresses, routes and rules. Lines of address/route/rule blocks are parsed by
//! the same code whether static or virtual (`address`, `route`, `rule`).
//!
//! Values that default to global_defs' settings (vrrp_version, vrrp_strict, vrrp_garp_*, ...)
//! and defaults that depend on other keywords (state from priority, accept from strict mode)
//! are resolved in `check`, once the whole file is read.

use super::{kw, legacy, Cx, Keyword};
use crate::model::vrrp::{Family, GroupMember, ScriptCommand};
use crate::model::Config;
use crate::source::Origin;
use crate::tree::{Node, Word};

mod address;
mod check;
mod cross;
mod inherit;
mod instance;
mod line;
mod route;
mod rule;
mod track;
mod virtual_if;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_ip;

/// The blocks whose keywords a "belongs in" hint may name.
pub(super) fn keyword_homes() -> Vec<(&'static str, &'static str)> {
    instance::keywords()
        .iter()
        .map(|k| ("vrrp_instance", k.name))
        .collect()
}

pub(super) fn root_keywords() -> Vec<Keyword<Config>> {
    vec![
        kw("vrrp_instance", |cx, n, c| {
            instance::vrrp_instance(cx, n, &mut c.vrrp)
        }),
        kw("vrrp_sync_group", |cx, n, c| {
            track::vrrp_sync_group(cx, n, &mut c.vrrp)
        }),
        kw("vrrp_script", |cx, n, c| {
            track::vrrp_script(cx, n, &mut c.vrrp)
        }),
        kw("track_file", |cx, n, c| {
            track::track_file(cx, n, &mut c.vrrp)
        }),
        legacy("vrrp_track_file", "track_file", |cx, n, c| {
            track::track_file(cx, n, &mut c.vrrp)
        }),
        kw("vrrp_track_process", |cx, n, c| {
            track::vrrp_track_process(cx, n, &mut c.vrrp)
        }),
        kw("bfd_instance", |cx, n, c| {
            track::bfd_instance(cx, n, &mut c.vrrp)
        }),
        kw("garp_group", |cx, n, c| {
            track::garp_group(cx, n, &mut c.vrrp)
        }),
        kw("static_ipaddress", |cx, n, c| {
            for item in cx.block(n) {
                if let Some(a) = address::parse(cx, item, address::Kind::Static) {
                    c.vrrp.static_ipaddress.push(a);
                }
            }
        }),
        kw("static_routes", |cx, n, c| {
            for item in cx.block(n) {
                if let Some(r) = route::parse(cx, item, "static_routes") {
                    c.vrrp.static_routes.push(r);
                }
            }
        }),
        kw("static_rules", |cx, n, c| {
            for item in cx.block(n) {
                if let Some(r) = rule::parse(cx, item, "static_rules") {
                    c.vrrp.static_rules.push(r);
                }
            }
        }),
    ]
}

pub(super) fn check(cx: &mut Cx, config: &mut Config) {
    check::run(cx, config);
}

/// The name of a named block (`vrrp_instance NAME { ... }`), or None when it has none or an
/// earlier block of the same kind (in `earlier`) already took it: keepalived ignores the later
/// one, and so do we, with an error pointing at both.
fn unique_block_name<T>(
    cx: &mut Cx,
    node: &Node,
    earlier: &[T],
    name_and_origin: fn(&T) -> (&str, &Origin),
) -> Option<String> {
    let name = cx.block_name(node)?;
    let prev = earlier
        .iter()
        .map(name_and_origin)
        .find(|(n, _)| *n == name)
        .map(|(_, o)| o.clone());
    if let Some(prev) = prev {
        cx.error(
            node.args.first().map_or(node.keyword.span, |w| w.span),
            format!(
                "{} {name} is already defined at {prev}; this one is ignored",
                node.name()
            ),
        )
        .with_help("give each block its own name");
        return None;
    }
    Some(name)
}

/// The items of a `group { NAME ... }` list block.
fn members(cx: &mut Cx, node: &Node) -> Vec<GroupMember> {
    cx.no_args(node);
    let mut out: Vec<GroupMember> = Vec::new();
    for item in cx.block(node) {
        cx.list_item_words(item, 0);
        if out.iter().any(|m| m.name == item.name()) {
            cx.warning(
                item.keyword.span,
                format!("'{}' is listed twice in {}", item.name(), node.name()),
            );
            continue;
        }
        out.push(GroupMember {
            origin: cx.origin(item.keyword.span),
            name: item.name().to_string(),
        });
    }
    out
}

/// `notify_* COMMAND [USER [GROUP]]`; `command_optional` for notify_deleted, which may be bare.
fn notify_script(cx: &mut Cx, node: &Node, command_optional: bool) -> Option<ScriptCommand> {
    if node.args.is_empty() && command_optional {
        cx.no_block(node);
        let origin = cx.origin(node.keyword.span);
        return Some(ScriptCommand {
            origin,
            command: Vec::new(),
            user: None,
            group: None,
        });
    }
    cx.script(node)
}

/// Sets an instance's (or line's) address family from an address, the first one deciding.
/// Returns false, after an error at `word`, when the family conflicts.
fn same_family(
    cx: &mut Cx,
    family: &mut Option<Family>,
    got: Family,
    word: &Word,
    what: &str,
) -> bool {
    match *family {
        None => {
            *family = Some(got);
            true
        }
        Some(f) if f == got => true,
        Some(f) => {
            cx.error(
                word.span,
                format!("{what} '{}' is {} but this instance is {}; it is ignored", word.text, got.label(), f.label()),
            )
            .with_help("one vrrp_instance is either IPv4 or IPv6; put the other family in virtual_ipaddress_excluded or another instance");
            false
        }
    }
}

impl Cx<'_> {
    /// A block keyword that takes no arguments (`group {`, `authentication {`): extra words warn.
    fn no_args(&mut self, node: &Node) {
        if let Some(extra) = node.args.first() {
            self.warning(
                extra.span,
                format!(
                    "extra argument '{}' after {} is ignored",
                    extra.text,
                    node.name()
                ),
            );
        }
    }

    /// A line of a list block: the first word is the value; more than `max_args` words after it
    /// warn, and a `{ }` block is an error.
    fn list_item_words(&mut self, item: &Node, max_args: usize) {
        if let Some(b) = &item.block {
            self.error(
                b.open,
                format!(
                    "'{}' in a list does not take a {{ }} block; it is ignored",
                    item.name()
                ),
            );
        }
        if let Some(extra) = item.args.get(max_args) {
            self.warning(
                extra.span,
                format!(
                    "extra argument '{}' after '{}' is ignored",
                    extra.text,
                    item.name()
                ),
            );
        }
    }
}
