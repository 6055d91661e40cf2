//! The root-level daemon settings and `global_defs` (work in progress: the keyword table is
//! being filled in).
use super::{kw, Cx, Keyword};
use crate::model::global::GlobalDefs;
use crate::model::Config;
use crate::tree::Node;

pub(super) fn root_keywords() -> Vec<Keyword<Config>> {
    vec![
        kw("net_namespace", |cx, n, c| c.global.net_namespace = cx.string(n).or(c.global.net_namespace.take())),
        kw("global_defs", global_defs),
    ]
}

fn global_defs(cx: &mut Cx, node: &Node, config: &mut Config) {
    cx.arity(node, 0, Some(0));
    let defs = &mut config.global.global_defs;
    if defs.origin.is_none() {
        defs.origin = Some(cx.origin(node.keyword.span));
    }
    let items = cx.block(node);
    cx.decode_items("global_defs", items, &global_defs_keywords(), defs);
}

fn global_defs_keywords() -> Vec<Keyword<GlobalDefs>> {
    vec![kw("router_id", |cx, n, d| d.router_id = cx.string(n).or(d.router_id.take()))]
}

pub(super) fn check(_cx: &mut Cx, _config: &mut Config) {}
