//! global_defs keywords of keepalived-rs's own. keepalived does not know them: it warns
//! `Unknown keyword` and goes on, so a file that uses them still runs under keepalived (without
//! what they ask for). docs/compat.md names each one ([`NAMES`]; a test holds it to that).

use super::already;
use crate::decode::{kw, Cx, Keyword};
use crate::model::global::GlobalDefs;
use crate::tree::Node;
use std::net::SocketAddr;

/// Every keyword of this table.
#[cfg(test)]
pub const NAMES: &[&str] = &["metrics_listen"];

pub(in crate::decode::global) fn keywords() -> Vec<Keyword<GlobalDefs>> {
    vec![kw("metrics_listen", metrics_listen)]
}

/// `metrics_listen ADDR:PORT` (`[ADDR]:PORT` for IPv6): where the Prometheus metrics are
/// served. The command line's `--metrics-listen` wins over it.
fn metrics_listen(cx: &mut Cx, n: &Node, d: &mut GlobalDefs) {
    cx.no_block(n);
    if !cx.arity(n, 1, Some(1)) {
        return;
    }
    if d.metrics_listen.is_some() {
        already(cx, n);
        return;
    }
    let w = &n.args[0];
    match w.text.parse::<SocketAddr>() {
        Ok(a) if a.port() != 0 => d.metrics_listen = Some(a),
        Ok(_) => cx.invalid(n, w, "the port must not be 0"),
        Err(_) => cx.invalid(
            n,
            w,
            "expected ADDR:PORT, e.g. 192.0.2.1:9650 or [2001:db8::1]:9650",
        ),
    }
}
