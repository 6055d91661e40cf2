//! The `global_defs` keyword table. Ranges are keepalived's: where its man page and its
//! parser disagree the parser's (what keepalived actually accepts) is used, except that 0 is
//! accepted for `vrrp_garp_interval` / `vrrp_gna_interval`, the man page's default, which the
//! sample configurations write.

use super::already;
use crate::decode::{deprecated, kw, legacy, Cx, Keyword};
use crate::model::global::{
    Fifo, GarpExtraIf, GlobalDefs, GlobalPart, IncludeCheck, LvsFlushOnStop, LvsSyncDaemon,
    LvsTimeouts, RxBufsPolicy, ScriptCommand, ScriptUser, SmtpServer, Umask, VrrpIpsets,
    VrrpIptables,
};
use crate::model::Timer;
use crate::tree::{Node, Word};
use crate::values;
use std::net::{IpAddr, Ipv4Addr};

/// Linux's TASK_COMM_LEN less the terminating NUL.
const MAX_PROCESS_NAME: usize = 15;
/// Linux's IFNAMSIZ less the terminating NUL (IPVS's sync daemon interface).
const MAX_IFNAME: usize = 15;
/// Longest names the kernel takes: iptables chains, ipsets, nftables tables.
const MAX_IPTABLES_CHAIN: usize = 27;
const MAX_IPSET_NAME: usize = 30;
const MAX_NFT_TABLE: usize = 254;
/// keepalived's timer unit is the microsecond, held in 32 bits.
const MAX_TIMER_SECS: f64 = 4294.967295;
const MAX_WHOLE_SECS: i64 = 4294;
const U32_MAX: i64 = u32::MAX as i64;
/// Highest SCHED_RR priority on Linux.
const MAX_RT_PRIORITY: i64 = 99;
/// The IPVS sync daemon's defaults.
const SYNC_PORT: u16 = 8848;
const SYNC_GROUP: Ipv4Addr = Ipv4Addr::new(224, 0, 0, 81);
/// Longest IPVS connection timeout keepalived accepts: 31 days.
const MAX_LVS_TIMEOUT: i64 = 86400 * 31;

mod lvs;
pub(in crate::decode::global) mod ours;
mod process;
mod system;
mod vrrp;

pub(in crate::decode::global) fn keywords() -> Vec<Keyword<GlobalDefs>> {
    let mut t = Vec::new();
    t.extend(process::process_keywords());
    t.extend(process::email_keywords());
    t.extend(vrrp::vrrp_keywords());
    t.extend(vrrp::garp_keywords());
    t.extend(lvs::firewall_keywords());
    t.extend(lvs::lvs_keywords());
    t.extend(system::scheduling_keywords());
    t.extend(process::snmp_dbus_keywords());
    t.extend(process::fifo_keywords());
    t.extend(vrrp::buffer_keywords());
    t.extend(system::reload_keywords());
    t.extend(ours::keywords());
    t
}

// ---- small helpers ----

/// An optional `<BOOL>` (absent means true); None after a bad value, which changes nothing.
fn flag(cx: &mut Cx, n: &Node) -> Option<bool> {
    cx.no_block(n);
    cx.arity(n, 0, Some(1));
    match n.args.first() {
        None => Some(true),
        Some(w) => values::parse_bool(&w.text)
            .map_err(|e| cx.invalid(n, w, &e))
            .ok(),
    }
}

fn set_string(cx: &mut Cx, n: &Node, slot: &mut Option<String>) {
    if let Some(v) = cx.string(n) {
        *slot = Some(v);
    }
}

/// A value keepalived takes only once (later ones ignored).
fn set_once(cx: &mut Cx, n: &Node, slot: &mut Option<String>) {
    if let Some(v) = cx.string(n) {
        if slot.is_some() {
            already(cx, n);
        } else {
            *slot = Some(v);
        }
    }
}

fn non_empty(cx: &mut Cx, n: &Node, slot: &mut Option<String>) {
    if let Some(v) = cx.string(n) {
        if v.is_empty() {
            cx.error(
                n.args[0].span,
                format!("{} needs a non-empty path", n.name()),
            );
        } else {
            *slot = Some(v);
        }
    }
}

/// Whole seconds in `min..=max`.
fn whole_secs(cx: &mut Cx, n: &Node, min: i64, max: i64) -> Option<Timer> {
    cx.int(n, min, max).map(|v| Timer::secs(v.unsigned_abs()))
}

/// A count of microseconds, as the `*_rlimit_rttime` and `min_auto_priority_delay` values.
fn micros(cx: &mut Cx, n: &Node, min: i64, max: i64) -> Option<Timer> {
    cx.int(n, min, max).map(|v| Timer::micros(v.unsigned_abs()))
}

fn uint(cx: &mut Cx, n: &Node, min: i64, max: i64) -> Option<u32> {
    cx.int(n, min, max).and_then(|v| u32::try_from(v).ok())
}

/// A repeat count where keepalived turns 0 into 1 (accepted for pre-2.0.7 configurations).
fn repeat(cx: &mut Cx, n: &Node) -> Option<u32> {
    let v = uint(cx, n, 0, U32_MAX)?;
    if v == 0 {
        cx.warning(
            n.args[0].span,
            format!("{} must be at least 1; keepalived uses 1", n.name()),
        );
        return Some(1);
    }
    Some(v)
}

/// A process name; the kernel keeps only 15 characters.
fn process_name(cx: &mut Cx, n: &Node) -> Option<String> {
    let v = cx.string(n)?;
    if v.chars().count() > MAX_PROCESS_NAME {
        let cut: String = v.chars().take(MAX_PROCESS_NAME).collect();
        cx.warning(
            n.args[0].span,
            format!("process name '{v}' is longer than {MAX_PROCESS_NAME} characters; it is truncated to '{cut}'"),
        );
        return Some(cut);
    }
    Some(v)
}

fn set_script(cx: &mut Cx, n: &Node, slot: &mut Option<ScriptCommand>) {
    if let Some(s) = cx.script(n) {
        if slot.is_some() {
            already(cx, n);
        } else {
            *slot = Some(s);
        }
    }
}

/// `FIFO [USER [GROUP]]`.
fn set_fifo(cx: &mut Cx, n: &Node, slot: &mut Option<Fifo>) {
    cx.no_block(n);
    if !cx.arity(n, 1, Some(3)) {
        return;
    }
    if n.args[0].text.trim().is_empty() {
        cx.invalid(n, &n.args[0], "the FIFO name is empty");
        return;
    }
    if slot.is_some() {
        already(cx, n);
        return;
    }
    *slot = Some(Fifo {
        name: n.args[0].text.to_string(),
        user: n.args.get(1).map(|w| w.text.to_string()),
        group: n.args.get(2).map(|w| w.text.to_string()),
    });
}

/// A kernel object name (chain, set, table): not empty, at most `max` characters.
fn object_name(cx: &mut Cx, n: &Node, w: &Word, what: &str, max: usize) -> Option<String> {
    if w.text.is_empty() {
        cx.invalid(n, w, &format!("the {what} name is empty"));
        return None;
    }
    if w.text.chars().count() > max {
        cx.invalid(n, w, &format!("{what} names are at most {max} characters"));
        return None;
    }
    Some(w.text.to_string())
}

/// The word after an option word (`id 5`), or an error naming the option.
fn option_value<'n>(cx: &mut Cx, n: &'n Node, i: usize) -> Option<&'n Word> {
    let v = n.args.get(i + 1);
    if v.is_none() {
        let opt = &n.args[i];
        cx.error(opt.span, format!("{} {} needs a value", n.name(), opt.text));
    }
    v
}

/// Values that follow others, and checks across keywords of the global part.
pub(in crate::decode::global) fn resolve(cx: &mut Cx, g: &mut GlobalPart) {
    let d = &mut g.global_defs;
    if !d.written.vrrp_garp_lower_prio_delay {
        d.vrrp_garp_lower_prio_delay = d.vrrp_garp_master_delay;
    }
    if !d.written.vrrp_garp_lower_prio_repeat {
        d.vrrp_garp_lower_prio_repeat = d.vrrp_garp_master_repeat;
    }
    if !d.written.vmac_addr_prefix {
        d.vmac_addr_prefix = d.vmac_prefix.clone();
    }
    if d.written.default_reload_file {
        d.reload_file = Some(match (&g.instance, g.use_pid_dir) {
            (Some(i), _) => format!("/run/keepalived/keepalived_{i}.reload"),
            (None, true) => "/run/keepalived/keepalived.reload".into(),
            (None, false) => "/run/keepalived.reload".into(),
        });
    }
    let Some(origin) = d.origin.clone() else {
        return;
    };
    if d.nftables.is_some() && d.vrrp_iptables.is_some() {
        cx.warning(
            origin.span,
            "global_defs sets both nftables and vrrp_iptables; keepalived uses nftables",
        )
        .with_help("remove vrrp_iptables (and vrrp_ipsets)");
    }
    if d.reload_repeat && d.reload_time_file.is_none() {
        cx.warning(
            origin.span,
            "reload_repeat has no effect without reload_time_file",
        );
    }
}
