//! The `global_defs` keyword table. Ranges are keepalived's: where its man page and its
//! parser disagree the parser's (what keepalived actually accepts) is used, except that 0 is
//! accepted for `vrrp_garp_interval` / `vrrp_gna_interval`, the man page's default, which the
//! sample configurations write.

use super::already;
use crate::decode::{kw, legacy, Cx, Keyword};
use crate::model::global::{
    Fifo, GarpExtraIf, GlobalDefs, GlobalPart, IncludeCheck, LvsFlushOnStop, LvsSyncDaemon, LvsTimeouts,
    RxBufsPolicy, ScriptCommand, ScriptUser, SmtpServer, Umask, VrrpIpsets, VrrpIptables,
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

pub(super) fn keywords() -> Vec<Keyword<GlobalDefs>> {
    let mut t = Vec::new();
    t.extend(process_keywords());
    t.extend(email_keywords());
    t.extend(vrrp_keywords());
    t.extend(garp_keywords());
    t.extend(firewall_keywords());
    t.extend(lvs_keywords());
    t.extend(scheduling_keywords());
    t.extend(snmp_dbus_keywords());
    t.extend(fifo_keywords());
    t.extend(buffer_keywords());
    t.extend(reload_keywords());
    t
}

// ---- small helpers ----

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
            cx.error(n.args[0].span, format!("{} needs a non-empty path", n.name()));
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
        cx.warning(n.args[0].span, format!("{} must be at least 1; keepalived uses 1", n.name()));
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

/// `PROGRAM [USER [GROUP]]` (the program quoted when it has arguments).
fn script_command(cx: &mut Cx, n: &Node) -> Option<ScriptCommand> {
    cx.no_block(n);
    if !cx.arity(n, 1, Some(3)) {
        return None;
    }
    if n.args[0].text.trim().is_empty() {
        cx.invalid(n, &n.args[0], "the command is empty");
        return None;
    }
    Some(ScriptCommand {
        command: n.args[0].text.clone(),
        user: n.args.get(1).map(|w| w.text.clone()),
        group: n.args.get(2).map(|w| w.text.clone()),
    })
}

fn set_script(cx: &mut Cx, n: &Node, slot: &mut Option<ScriptCommand>) {
    if let Some(s) = script_command(cx, n) {
        if slot.is_some() {
            already(cx, n);
        } else {
            *slot = Some(s);
        }
    }
}

/// `FIFO [USER [GROUP]]`.
fn set_fifo(cx: &mut Cx, n: &Node, slot: &mut Option<Fifo>) {
    if let Some(s) = script_command(cx, n) {
        if slot.is_some() {
            already(cx, n);
        } else {
            *slot = Some(Fifo { name: s.command, user: s.user, group: s.group });
        }
    }
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
    Some(w.text.clone())
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

// ---- process names, files, scripts ----

fn process_keywords() -> Vec<Keyword<GlobalDefs>> {
    vec![
        kw("process_names", |cx, n, d| {
            cx.bare(n);
            d.process_names = true;
            // keepalived's code names the checker keepalived_lvs (its man page says _ipvs).
            d.vrrp_process_name = Some("keepalived_vrrp".into());
            d.checker_process_name = Some("keepalived_lvs".into());
            d.bfd_process_name = Some("keepalived_bfd".into());
        }),
        kw("process_name", |cx, n, d| d.process_name = process_name(cx, n).or(d.process_name.take())),
        kw("vrrp_process_name", |cx, n, d| d.vrrp_process_name = process_name(cx, n).or(d.vrrp_process_name.take())),
        kw("checker_process_name", checker_process_name),
        legacy("lvs_process_name", "checker_process_name", checker_process_name),
        kw("bfd_process_name", |cx, n, d| d.bfd_process_name = process_name(cx, n).or(d.bfd_process_name.take())),
        kw("router_id", |cx, n, d| set_string(cx, n, &mut d.router_id)),
        legacy("lvs_id", "router_id", |cx, n, d| set_string(cx, n, &mut d.router_id)),
        kw("tmp_config_directory", |cx, n, d| set_once(cx, n, &mut d.tmp_config_directory)),
        kw("config_save_dir", |cx, n, d| set_string(cx, n, &mut d.config_save_dir)),
        kw("umask", umask),
        kw("script_user", |cx, n, d| {
            cx.no_block(n);
            if cx.arity(n, 1, Some(2)) {
                d.script_user =
                    Some(ScriptUser { user: n.args[0].text.clone(), group: n.args.get(1).map(|w| w.text.clone()) });
            }
        }),
        kw("enable_script_security", |cx, n, d| d.enable_script_security = cx.bare(n)),
        kw("use_symlink_paths", |cx, n, d| d.use_symlink_paths = cx.flag(n)),
        kw("set_supplementary_groups", |cx, n, d| d.set_supplementary_groups = cx.flag(n)),
        kw("startup_script", |cx, n, d| set_script(cx, n, &mut d.startup_script)),
        kw("startup_script_timeout", |cx, n, d| {
            d.startup_script_timeout = whole_secs(cx, n, 1, 1000).unwrap_or(d.startup_script_timeout);
        }),
        kw("shutdown_script", |cx, n, d| set_script(cx, n, &mut d.shutdown_script)),
        kw("shutdown_script_timeout", |cx, n, d| {
            d.shutdown_script_timeout = whole_secs(cx, n, 1, 1000).unwrap_or(d.shutdown_script_timeout);
        }),
    ]
}

fn checker_process_name(cx: &mut Cx, n: &Node, d: &mut GlobalDefs) {
    d.checker_process_name = process_name(cx, n).or(d.checker_process_name.take());
}

const UMASK_BITS: [(&str, u32); 12] = [
    ("IRUSR", 0o400),
    ("IWUSR", 0o200),
    ("IXUSR", 0o100),
    ("IRWXU", 0o700),
    ("IRGRP", 0o040),
    ("IWGRP", 0o020),
    ("IXGRP", 0o010),
    ("IRWXG", 0o070),
    ("IROTH", 0o004),
    ("IWOTH", 0o002),
    ("IXOTH", 0o001),
    ("IRWXO", 0o007),
];

/// `umask NUMBER` (decimal, 0octal or 0xhex, as C's strtol) or `umask BIT|BIT...`.
fn umask(cx: &mut Cx, n: &Node, d: &mut GlobalDefs) {
    cx.no_block(n);
    if !cx.arity(n, 1, None) {
        return;
    }
    let first = &n.args[0];
    if first.text.starts_with(|c: char| c.is_ascii_digit()) {
        cx.arity(n, 1, Some(1));
        let t = first.text.as_str();
        let parsed = if let Some(hex) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
            u32::from_str_radix(hex, 16).ok()
        } else if t.len() > 1 && t.starts_with('0') {
            u32::from_str_radix(&t[1..], 8).ok()
        } else {
            t.parse::<u32>().ok()
        };
        match parsed {
            Some(v) if v <= 0o777 => d.umask = Umask(v),
            _ => cx.invalid(n, first, "expected a mask of at most 0777, such as 022, or bits such as IWGRP|IWOTH"),
        }
        return;
    }
    // Bits may be written in one word or spread over several: `IWGRP | IWOTH`.
    let text: String = n.args.iter().map(|w| w.text.as_str()).collect();
    let mut mask = 0;
    for part in text.split('|') {
        match UMASK_BITS.iter().find(|(name, _)| *name == part) {
            Some((_, bit)) => mask |= bit,
            None => {
                let why = if part.is_empty() {
                    "a bit name is missing around '|'".to_string()
                } else {
                    format!("unknown bit '{part}'; expected I{{R,W,X}}{{USR,GRP,OTH}} or IRWX{{U,G,O}} joined by '|'")
                };
                let span = first.span;
                let node_name = n.name().to_string();
                cx.error(span, format!("invalid value '{text}' for {node_name}: {why}"));
                return;
            }
        }
    }
    d.umask = Umask(mask);
}

// ---- email ----

fn email_keywords() -> Vec<Keyword<GlobalDefs>> {
    vec![
        kw("notification_email", |cx, n, d| {
            cx.arity(n, 0, Some(0));
            let items = cx.block(n);
            if n.block.is_some() && items.is_empty() {
                cx.warning(n.keyword.span, "notification_email block is empty");
            }
            // A list block: every word is an address, however the lines are broken.
            for item in items {
                cx.no_block(item);
                d.notification_email
                    .extend(std::iter::once(&item.keyword).chain(&item.args).map(|w| w.text.clone()));
            }
        }),
        kw("notification_email_from", |cx, n, d| set_string(cx, n, &mut d.notification_email_from)),
        kw("smtp_server", smtp_server),
        kw("smtp_helo_name", |cx, n, d| set_string(cx, n, &mut d.smtp_helo_name)),
        kw("smtp_connect_timeout", |cx, n, d| {
            if let Some(v) = cx.int(n, 0, MAX_WHOLE_SECS) {
                d.smtp_connect_timeout = if v == 0 {
                    cx.warning(n.args[0].span, "smtp_connect_timeout must be at least 1 second; keepalived uses 1");
                    Timer::secs(1)
                } else {
                    Timer::secs(v.unsigned_abs())
                };
            }
        }),
        kw("smtp_alert", |cx, n, d| d.smtp_alert = Some(cx.flag(n))),
        kw("smtp_alert_vrrp", |cx, n, d| d.smtp_alert_vrrp = Some(cx.flag(n))),
        kw("smtp_alert_checker", |cx, n, d| d.smtp_alert_checker = Some(cx.flag(n))),
        kw("checker_log_all_failures", |cx, n, d| d.checker_log_all_failures = cx.flag(n)),
        kw("no_email_faults", |cx, n, d| d.no_email_faults = cx.bare(n)),
        kw("no_checker_emails", |cx, n, d| d.no_checker_emails = cx.flag(n)),
    ]
}

fn is_host_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|l| {
            !l.is_empty() && !l.starts_with('-') && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        })
}

/// `smtp_server HOST [PORT]`: an address or a name to resolve, port 25 by default.
fn smtp_server(cx: &mut Cx, n: &Node, d: &mut GlobalDefs) {
    cx.no_block(n);
    if !cx.arity(n, 1, Some(2)) {
        return;
    }
    let host = &n.args[0];
    if values::parse_ip(&host.text).is_err() && !is_host_name(&host.text) {
        cx.invalid(n, host, "expected an IP address or a host name");
        return;
    }
    let port = match n.args.get(1) {
        None => 25,
        Some(w) => match cx.int_word(n, w, 1, 65535) {
            Some(p) => p as u16,
            None => return,
        },
    };
    d.smtp_server = Some(SmtpServer { host: host.text.clone(), port });
}

// ---- VRRP defaults ----

fn vrrp_keywords() -> Vec<Keyword<GlobalDefs>> {
    vec![
        kw("vrrp_mcast_group4", mcast_group4),
        kw("vrrp_mcast_group6", mcast_group6),
        kw("default_interface", |cx, n, d| {
            if let Some(v) = cx.string(n) {
                d.default_interface = v;
            }
        }),
        kw("vrrp_version", |cx, n, d| {
            if let Some(v) = cx.int(n, 2, 3) {
                d.vrrp_version = v as u8;
            }
        }),
        kw("v3_checksum_as_v2", |cx, n, d| d.v3_checksum_as_v2 = cx.bare(n)),
        kw("vrrp_check_unicast_src", |cx, n, d| d.vrrp_check_unicast_src = cx.bare(n)),
        kw("vrrp_skip_check_adv_addr", |cx, n, d| d.vrrp_skip_check_adv_addr = cx.flag(n)),
        kw("vrrp_strict", |cx, n, d| d.vrrp_strict = cx.flag(n)),
        kw("vrrp_down_timer_adverts", |cx, n, d| {
            d.vrrp_down_timer_adverts = uint(cx, n, 1, 100).unwrap_or(d.vrrp_down_timer_adverts);
        }),
        kw("vrrp_lower_prio_no_advert", |cx, n, d| d.vrrp_lower_prio_no_advert = cx.flag(n)),
        kw("vrrp_higher_prio_send_advert", |cx, n, d| d.vrrp_higher_prio_send_advert = cx.flag(n)),
        kw("vrrp_notify_priority_changes", |cx, n, d| d.vrrp_notify_priority_changes = cx.flag(n)),
        kw("vrrp_startup_delay", |cx, n, d| {
            // With vrrp_delay_after_boot too, the longer delay wins (as keepalived).
            if let Some(t) = cx.timer(n, 0.001, MAX_TIMER_SECS) {
                d.vrrp_startup_delay = d.vrrp_startup_delay.max(t);
            }
        }),
        kw("vrrp_delay_after_boot", |cx, n, d| {
            if let Some(t) = cx.timer(n, 0.001, MAX_TIMER_SECS) {
                d.vrrp_delay_after_boot = Some(t);
            }
        }),
        kw("log_unknown_vrids", |cx, n, d| d.log_unknown_vrids = cx.bare(n)),
        kw("vmac_prefix", |cx, n, d| {
            if let Some(v) = cx.string(n) {
                if d.written.vmac_prefix {
                    already(cx, n);
                } else {
                    d.vmac_prefix = v;
                    d.written.vmac_prefix = true;
                }
            }
        }),
        kw("vmac_addr_prefix", |cx, n, d| {
            if let Some(v) = cx.string(n) {
                if d.written.vmac_addr_prefix {
                    already(cx, n);
                } else {
                    d.vmac_addr_prefix = v;
                    d.written.vmac_addr_prefix = true;
                }
            }
        }),
        kw("dynamic_interfaces", |cx, n, d| {
            cx.no_block(n);
            cx.arity(n, 0, Some(1));
            d.dynamic_interfaces = true;
            if let Some(w) = n.args.first() {
                if cx.choice_word(n, w, &["allow_if_changes"]).is_some() {
                    d.dynamic_interfaces_allow_if_changes = true;
                }
            }
        }),
        kw("disable_local_igmp", |cx, n, d| d.disable_local_igmp = cx.bare(n)),
        kw("vrrp_owner_ignore_adverts", |cx, n, d| d.vrrp_owner_ignore_adverts = cx.flag(n)),
    ]
}

fn mcast_group4(cx: &mut Cx, n: &Node, d: &mut GlobalDefs) {
    match cx.ip(n) {
        Some(ip @ IpAddr::V4(a)) if a.is_multicast() => d.vrrp_mcast_group4 = ip,
        Some(IpAddr::V4(_)) => cx.invalid(n, &n.args[0], "not a multicast address (224.0.0.0/4)"),
        Some(IpAddr::V6(_)) => cx.invalid(n, &n.args[0], "expected an IPv4 address"),
        None => {}
    }
}

fn mcast_group6(cx: &mut Cx, n: &Node, d: &mut GlobalDefs) {
    match cx.ip(n) {
        Some(ip @ IpAddr::V6(a)) if a.is_multicast() => {
            if a.segments()[0] & 0x000f != 2 {
                cx.warning(n.args[0].span, format!("vrrp_mcast_group6 {a} is not a link-local multicast address"))
                    .with_help("VRRP adverts stay on the link; use an ff02:: address such as the default ff02::12");
            }
            d.vrrp_mcast_group6 = ip;
        }
        Some(IpAddr::V6(_)) => cx.invalid(n, &n.args[0], "not a multicast address (ff00::/8)"),
        Some(IpAddr::V4(_)) => cx.invalid(n, &n.args[0], "expected an IPv6 address"),
        None => {}
    }
}

// ---- gratuitous ARP / unsolicited NA ----

fn garp_keywords() -> Vec<Keyword<GlobalDefs>> {
    vec![
        kw("vrrp_garp_master_delay", |cx, n, d| {
            d.vrrp_garp_master_delay = whole_secs(cx, n, 0, MAX_WHOLE_SECS).unwrap_or(d.vrrp_garp_master_delay);
        }),
        kw("vrrp_garp_master_repeat", |cx, n, d| {
            d.vrrp_garp_master_repeat = repeat(cx, n).unwrap_or(d.vrrp_garp_master_repeat);
        }),
        kw("vrrp_garp_master_refresh", |cx, n, d| {
            d.vrrp_garp_master_refresh = whole_secs(cx, n, 0, U32_MAX).unwrap_or(d.vrrp_garp_master_refresh);
        }),
        kw("vrrp_garp_master_refresh_repeat", |cx, n, d| {
            d.vrrp_garp_master_refresh_repeat = repeat(cx, n).unwrap_or(d.vrrp_garp_master_refresh_repeat);
        }),
        kw("vrrp_garp_lower_prio_delay", |cx, n, d| {
            if let Some(t) = whole_secs(cx, n, 0, MAX_WHOLE_SECS) {
                d.vrrp_garp_lower_prio_delay = t;
                d.written.vrrp_garp_lower_prio_delay = true;
            }
        }),
        kw("vrrp_garp_lower_prio_repeat", |cx, n, d| {
            if let Some(v) = uint(cx, n, 0, i64::from(i32::MAX)) {
                d.vrrp_garp_lower_prio_repeat = v;
                d.written.vrrp_garp_lower_prio_repeat = true;
            }
        }),
        // keepalived 2.2.7 refuses 0 here although its man page gives 0 as the default.
        kw("vrrp_garp_interval", |cx, n, d| {
            d.vrrp_garp_interval = cx.timer(n, 0.0, MAX_TIMER_SECS).unwrap_or(d.vrrp_garp_interval);
        }),
        kw("vrrp_gna_interval", |cx, n, d| {
            d.vrrp_gna_interval = cx.timer(n, 0.0, MAX_TIMER_SECS).unwrap_or(d.vrrp_gna_interval);
        }),
        kw("vrrp_min_garp", min_garp),
        kw("vrrp_garp_extra_if", garp_extra_if),
        legacy("vrrp_vmac_garp_intvl", "vrrp_garp_extra_if", garp_extra_if),
    ]
}

/// One GARP/NA with no repeat, for the values still at their defaults when it is read.
fn min_garp(cx: &mut Cx, n: &Node, d: &mut GlobalDefs) {
    if !cx.flag(n) {
        return;
    }
    d.vrrp_min_garp = true;
    let defaults = GlobalDefs::default();
    if d.vrrp_garp_master_repeat == defaults.vrrp_garp_master_repeat {
        d.vrrp_garp_master_repeat = 1;
    }
    if d.vrrp_garp_master_refresh_repeat == defaults.vrrp_garp_master_refresh_repeat {
        d.vrrp_garp_master_refresh_repeat = 0;
    }
    if d.vrrp_garp_master_delay == defaults.vrrp_garp_master_delay {
        d.vrrp_garp_master_delay = Timer::secs(0);
    }
}

/// `vrrp_garp_extra_if [all] SECS`, SECS up to a day.
fn garp_extra_if(cx: &mut Cx, n: &Node, d: &mut GlobalDefs) {
    cx.no_block(n);
    if !cx.arity(n, 1, Some(2)) {
        return;
    }
    let mut all = false;
    let mut interval = None;
    for w in &n.args {
        if w.text == "all" {
            all = true;
        } else {
            match cx.int_word(n, w, 1, 86400) {
                Some(v) => interval = Some(Timer::secs(v.unsigned_abs())),
                None => return,
            }
        }
    }
    match interval {
        Some(interval) => d.vrrp_garp_extra_if = Some(GarpExtraIf { interval, all }),
        None => {
            cx.error(n.span(), format!("{} needs an interval in seconds", n.name()));
        }
    }
}

// ---- firewall ----

fn firewall_keywords() -> Vec<Keyword<GlobalDefs>> {
    vec![
        kw("nftables", |cx, n, d| {
            if let Some(t) = nft_table(cx, n, "keepalived") {
                if d.nftables.is_some() {
                    already(cx, n);
                } else {
                    d.nftables = Some(t);
                }
            }
        }),
        kw("nftables_priority", |cx, n, d| {
            if let Some(v) = cx.int(n, i64::from(i32::MIN), i64::from(i32::MAX)) {
                d.nftables_priority = v as i32;
            }
        }),
        kw("nftables_counters", |cx, n, d| d.nftables_counters = cx.bare(n)),
        kw("nftables_ifindex", |cx, n, d| d.nftables_ifindex = cx.bare(n)),
        kw("nftables_ipvs", |cx, n, d| {
            if let Some(t) = nft_table(cx, n, "keepalived_ipvs") {
                if d.nftables_ipvs.is_some() {
                    already(cx, n);
                } else {
                    d.nftables_ipvs = Some(t);
                }
            }
        }),
        kw("nftables_ipvs_priority", |cx, n, d| {
            if let Some(v) = cx.int(n, i64::from(i32::MIN), i64::from(i32::MAX)) {
                d.nftables_ipvs_priority = v as i32;
            }
        }),
        kw("nftables_ipvs_start_fwmark", |cx, n, d| {
            d.nftables_ipvs_start_fwmark = uint(cx, n, 1, U32_MAX).unwrap_or(d.nftables_ipvs_start_fwmark);
        }),
        kw("vrrp_iptables", vrrp_iptables),
        kw("vrrp_ipsets", vrrp_ipsets),
    ]
}

fn nft_table(cx: &mut Cx, n: &Node, default: &str) -> Option<String> {
    cx.no_block(n);
    cx.arity(n, 0, Some(1));
    match n.args.first() {
        None => Some(default.to_string()),
        Some(w) => object_name(cx, n, w, "nftables table", MAX_NFT_TABLE),
    }
}

/// `vrrp_iptables [IN [OUT]]`: no chain at all means INPUT and OUTPUT.
fn vrrp_iptables(cx: &mut Cx, n: &Node, d: &mut GlobalDefs) {
    cx.no_block(n);
    cx.arity(n, 0, Some(2));
    if d.vrrp_iptables.is_some() {
        already(cx, n);
        return;
    }
    let value = match n.args.as_slice() {
        [] => VrrpIptables { in_chain: "INPUT".into(), out_chain: Some("OUTPUT".into()) },
        [input, rest @ ..] => {
            let Some(in_chain) = object_name(cx, n, input, "iptables chain", MAX_IPTABLES_CHAIN) else { return };
            let out_chain = match rest.first() {
                None => None,
                Some(w) => {
                    let Some(out) = object_name(cx, n, w, "iptables chain", MAX_IPTABLES_CHAIN) else { return };
                    if out == in_chain {
                        cx.invalid(n, w, "the in and out chains must differ");
                        return;
                    }
                    Some(out)
                }
            };
            VrrpIptables { in_chain, out_chain }
        }
    };
    d.vrrp_iptables = Some(value);
}

/// Keeps at most `max` characters.
fn cut(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

/// `vrrp_ipsets [IPV4 [IPV6 [IF6 [IGMP [MLD [ND]]]]]]`; no name turns ipsets off.
fn vrrp_ipsets(cx: &mut Cx, n: &Node, d: &mut GlobalDefs) {
    cx.no_block(n);
    cx.arity(n, 0, Some(6));
    d.vrrp_ipsets = None;
    if n.args.is_empty() {
        return;
    }
    let mut names = Vec::new();
    for w in n.args.iter().take(6) {
        match object_name(cx, n, w, "ipset", MAX_IPSET_NAME) {
            Some(s) => names.push(s),
            None => return,
        }
    }
    // Omitted names are made from the ones before them, as keepalived does.
    let ipv4 = names[0].clone();
    let ipv6 = names.get(1).cloned().unwrap_or_else(|| format!("{}6", cut(&ipv4, MAX_IPSET_NAME)));
    let if6 = names.get(2).cloned().unwrap_or_else(|| {
        let base = ipv6.strip_suffix('6').unwrap_or(&ipv6);
        format!("{}_if6", cut(base, MAX_IPSET_NAME - 3))
    });
    let igmp = names.get(3).cloned().unwrap_or_else(|| format!("{}_igmp", cut(&ipv4, MAX_IPSET_NAME - 4)));
    let mld = names.get(4).cloned().unwrap_or_else(|| format!("{}_mld", cut(&ipv4, MAX_IPSET_NAME - 3)));
    let vmac_nd = names.get(5).cloned().unwrap_or_else(|| format!("{}_nd", cut(&ipv4, MAX_IPSET_NAME - 3)));
    let all = [&ipv4, &ipv6, &if6, &igmp, &mld, &vmac_nd];
    for (i, a) in all.iter().enumerate() {
        if all[..i].contains(a) {
            cx.error(n.span(), format!("vrrp_ipsets: set name {a} is used more than once"))
                .with_help("each of the sets needs its own name");
            return;
        }
    }
    d.vrrp_ipsets = Some(VrrpIpsets { ipv4, ipv6, if6, igmp, mld, vmac_nd });
}

// ---- LVS ----

fn lvs_keywords() -> Vec<Keyword<GlobalDefs>> {
    vec![
        kw("lvs_sync_daemon", lvs_sync_daemon),
        kw("lvs_timeouts", lvs_timeouts),
        kw("lvs_flush", |cx, n, d| d.lvs_flush = cx.bare(n)),
        kw("lvs_flush_on_stop", lvs_flush_on_stop),
        legacy("lvs_flush_onstop", "lvs_flush_on_stop", lvs_flush_on_stop),
        kw("rs_init_notifies", |cx, n, d| d.rs_init_notifies = cx.flag(n)),
    ]
}

fn lvs_flush_on_stop(cx: &mut Cx, n: &Node, d: &mut GlobalDefs) {
    cx.no_block(n);
    cx.arity(n, 0, Some(1));
    d.lvs_flush_on_stop = match n.args.first() {
        None => LvsFlushOnStop::Full,
        Some(w) => match cx.choice_word(n, w, &["VS"]) {
            Some(_) => LvsFlushOnStop::Vs,
            None => return,
        },
    };
}

/// `lvs_sync_daemon IF [[inst] VI] [id N] [maxlen N] [port N] [ttl N] [group IP]`, and the
/// older positional `lvs_sync_daemon IF VI [SYNCID]`.
fn lvs_sync_daemon(cx: &mut Cx, n: &Node, d: &mut GlobalDefs) {
    cx.no_block(n);
    if !cx.arity(n, 1, None) {
        return;
    }
    if d.lvs_sync_daemon.is_some() {
        already(cx, n);
        return;
    }
    let ifname = &n.args[0];
    if ifname.text.chars().count() > MAX_IFNAME {
        cx.invalid(n, ifname, &format!("interface names are at most {MAX_IFNAME} characters"));
        return;
    }
    let mut s = LvsSyncDaemon {
        interface: ifname.text.clone(),
        instance: None,
        id: None,
        maxlen: None,
        port: SYNC_PORT,
        ttl: None,
        group: IpAddr::V4(SYNC_GROUP),
        origin: cx.origin(n.keyword.span),
    };
    let mut i = 1;
    while i < n.args.len() {
        let w = &n.args[i];
        match w.text.as_str() {
            opt @ ("inst" | "id" | "maxlen" | "port" | "ttl" | "group") => {
                let Some(v) = option_value(cx, n, i) else { break };
                match opt {
                    "inst" => {
                        if s.instance.is_some() {
                            cx.warning(w.span, "lvs_sync_daemon names its vrrp instance twice; the first one is kept");
                        } else {
                            s.instance = Some(v.text.clone());
                        }
                    }
                    "id" => s.id = cx.int_word(n, v, 0, 255).map(|x| x as u8).or(s.id),
                    "maxlen" => s.maxlen = cx.int_word(n, v, 1, 65535 - 20 - 8).map(|x| x as u16).or(s.maxlen),
                    "port" => s.port = cx.int_word(n, v, 1, 65535).map_or(s.port, |x| x as u16),
                    "ttl" => s.ttl = cx.int_word(n, v, 1, 255).map(|x| x as u8).or(s.ttl),
                    _ => match cx.ip_word(n, v) {
                        Some(ip) if ip_is_multicast(ip) => s.group = ip,
                        Some(_) => cx.invalid(n, v, "not a multicast address"),
                        None => {}
                    },
                }
                i += 2;
            }
            // The older positional form: the instance, then the sync id.
            _ if i == 1 => {
                s.instance = Some(w.text.clone());
                i += 1;
            }
            _ if i == 2 && s.id.is_none() && w.text.bytes().all(|b| b.is_ascii_digit()) => {
                if let Some(v) = cx.int_word(n, w, 0, 255) {
                    s.id = Some(v as u8);
                    cx.warning(w.span, "a bare sync id after the instance is an old form")
                        .with_help(format!("write 'id {}'", w.text));
                }
                i += 1;
            }
            _ => {
                cx.error(w.span, format!("unknown option '{}' for lvs_sync_daemon", w.text))
                    .with_help("expected inst, id, maxlen, port, ttl or group");
                i += 1;
            }
        }
    }
    d.lvs_sync_daemon = Some(s);
}

fn ip_is_multicast(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(a) => a.is_multicast(),
        IpAddr::V6(a) => a.is_multicast(),
    }
}

/// `lvs_timeouts [tcp S] [tcpfin S] [udp S]`, whole seconds up to 31 days.
fn lvs_timeouts(cx: &mut Cx, n: &Node, d: &mut GlobalDefs) {
    cx.no_block(n);
    if n.args.len() < 2 {
        cx.error(n.span(), "lvs_timeouts needs at least one of tcp, tcpfin, udp with a value in seconds");
        return;
    }
    let mut t = d.lvs_timeouts.clone().unwrap_or_default();
    let mut i = 0;
    while i < n.args.len() {
        let w = &n.args[i];
        let slot = match w.text.as_str() {
            "tcp" => &mut t.tcp,
            "tcpfin" => &mut t.tcpfin,
            "udp" => &mut t.udp,
            _ => {
                cx.error(w.span, format!("unknown option '{}' for lvs_timeouts", w.text))
                    .with_help("expected tcp, tcpfin or udp");
                i += 1;
                continue;
            }
        };
        let Some(v) = option_value(cx, n, i) else { break };
        if let Some(secs) = cx.int_word(n, v, 0, MAX_LVS_TIMEOUT) {
            *slot = Some(Timer::secs(secs.unsigned_abs()));
        }
        i += 2;
    }
    if t != LvsTimeouts::default() {
        d.lvs_timeouts = Some(t);
    }
}

// ---- scheduling of the child processes ----

fn scheduling_keywords() -> Vec<Keyword<GlobalDefs>> {
    vec![
        kw("vrrp_priority", |cx, n, d| d.vrrp_priority = nice(cx, n).or(d.vrrp_priority)),
        kw("checker_priority", |cx, n, d| d.checker_priority = nice(cx, n).or(d.checker_priority)),
        kw("bfd_priority", |cx, n, d| d.bfd_priority = nice(cx, n).or(d.bfd_priority)),
        kw("vrrp_no_swap", |cx, n, d| d.vrrp_no_swap = cx.bare(n)),
        kw("checker_no_swap", |cx, n, d| d.checker_no_swap = cx.bare(n)),
        kw("bfd_no_swap", |cx, n, d| d.bfd_no_swap = cx.bare(n)),
        kw("vrrp_rt_priority", |cx, n, d| d.vrrp_rt_priority = uint(cx, n, 1, MAX_RT_PRIORITY).or(d.vrrp_rt_priority)),
        kw("checker_rt_priority", |cx, n, d| {
            d.checker_rt_priority = uint(cx, n, 1, MAX_RT_PRIORITY).or(d.checker_rt_priority);
        }),
        kw("bfd_rt_priority", |cx, n, d| d.bfd_rt_priority = uint(cx, n, 1, MAX_RT_PRIORITY).or(d.bfd_rt_priority)),
        kw("vrrp_cpu_affinity", |cx, n, d| d.vrrp_cpu_affinity = cpus(cx, n).unwrap_or_default()),
        kw("checker_cpu_affinity", |cx, n, d| d.checker_cpu_affinity = cpus(cx, n).unwrap_or_default()),
        kw("bfd_cpu_affinity", |cx, n, d| d.bfd_cpu_affinity = cpus(cx, n).unwrap_or_default()),
        kw("vrrp_rlimit_rttime", vrrp_rlimit),
        legacy("vrrp_rlimit_rtime", "vrrp_rlimit_rttime", vrrp_rlimit),
        kw("checker_rlimit_rttime", checker_rlimit),
        legacy("checker_rlimit_rtime", "checker_rlimit_rttime", checker_rlimit),
        kw("bfd_rlimit_rttime", bfd_rlimit),
        legacy("bfd_rlimit_rtime", "bfd_rlimit_rttime", bfd_rlimit),
        kw("max_auto_priority", |cx, n, d| {
            cx.no_block(n);
            cx.arity(n, 0, Some(1));
            match n.args.first() {
                None => d.max_auto_priority = MAX_RT_PRIORITY as i32,
                Some(w) => {
                    if let Some(v) = cx.int_word(n, w, -1, MAX_RT_PRIORITY) {
                        d.max_auto_priority = v as i32;
                    }
                }
            }
        }),
        kw("min_auto_priority_delay", |cx, n, d| {
            d.min_auto_priority_delay = micros(cx, n, 1, 10_000_000).unwrap_or(d.min_auto_priority_delay);
        }),
    ]
}

fn nice(cx: &mut Cx, n: &Node) -> Option<i32> {
    cx.int(n, -20, 19).map(|v| v as i32)
}

/// CPU numbers; the count of CPUs is only known at run time, so this checks the kernel's limit.
fn cpus(cx: &mut Cx, n: &Node) -> Option<Vec<u32>> {
    cx.no_block(n);
    if !cx.arity(n, 1, None) {
        return None;
    }
    let mut v = Vec::new();
    for w in &n.args {
        // keepalived drops the whole set at the first bad CPU.
        v.push(cx.int_word(n, w, 0, 1023)? as u32);
    }
    Some(v)
}

/// RLIMIT_RTTIME in microseconds; keepalived raises 1 to 2 (it halves the value).
fn rlimit(cx: &mut Cx, n: &Node) -> Option<Timer> {
    micros(cx, n, 1, U32_MAX).map(|t| t.max(Timer::micros(2)))
}

fn vrrp_rlimit(cx: &mut Cx, n: &Node, d: &mut GlobalDefs) {
    d.vrrp_rlimit_rttime = rlimit(cx, n).unwrap_or(d.vrrp_rlimit_rttime);
}

fn checker_rlimit(cx: &mut Cx, n: &Node, d: &mut GlobalDefs) {
    d.checker_rlimit_rttime = rlimit(cx, n).unwrap_or(d.checker_rlimit_rttime);
}

fn bfd_rlimit(cx: &mut Cx, n: &Node, d: &mut GlobalDefs) {
    d.bfd_rlimit_rttime = rlimit(cx, n).unwrap_or(d.bfd_rlimit_rttime);
}

// ---- SNMP and DBus ----

fn snmp_dbus_keywords() -> Vec<Keyword<GlobalDefs>> {
    vec![
        kw("snmp_socket", |cx, n, d| set_once(cx, n, &mut d.snmp_socket)),
        kw("enable_snmp_vrrp", |cx, n, d| d.enable_snmp_vrrp = cx.bare(n)),
        legacy("enable_snmp_keepalived", "enable_snmp_vrrp", |cx, n, d| d.enable_snmp_vrrp = cx.bare(n)),
        kw("enable_snmp_checker", |cx, n, d| d.enable_snmp_checker = cx.bare(n)),
        kw("enable_snmp_rfc", |cx, n, d| {
            cx.bare(n);
            d.enable_snmp_rfc = true;
            d.enable_snmp_rfcv2 = true;
            d.enable_snmp_rfcv3 = true;
        }),
        kw("enable_snmp_rfcv2", |cx, n, d| d.enable_snmp_rfcv2 = cx.bare(n)),
        kw("enable_snmp_rfcv3", |cx, n, d| d.enable_snmp_rfcv3 = cx.bare(n)),
        kw("enable_traps", |cx, n, d| d.enable_traps = cx.bare(n)),
        kw("snmp_vs_stats_update_interval", |cx, n, d| {
            d.snmp_vs_stats_update_interval = cx.timer(n, 0.001, 30.0).unwrap_or(d.snmp_vs_stats_update_interval);
        }),
        kw("snmp_rs_stats_update_interval", |cx, n, d| {
            d.snmp_rs_stats_update_interval = cx.timer(n, 0.001, 30.0).unwrap_or(d.snmp_rs_stats_update_interval);
        }),
        kw("enable_dbus", |cx, n, d| d.enable_dbus = cx.bare(n)),
        kw("dbus_service_name", |cx, n, d| {
            if let Some(v) = cx.string(n) {
                d.dbus_service_name = v;
            }
        }),
        kw("dbus_no_interface_name", |cx, n, d| set_string(cx, n, &mut d.dbus_no_interface_name)),
    ]
}

// ---- notification FIFOs ----

fn fifo_keywords() -> Vec<Keyword<GlobalDefs>> {
    vec![
        kw("notify_fifo", |cx, n, d| {
            fifo_clash(cx, n, d);
            set_fifo(cx, n, &mut d.notify_fifo);
        }),
        kw("notify_fifo_script", |cx, n, d| set_script(cx, n, &mut d.notify_fifo_script)),
        kw("vrrp_notify_fifo", |cx, n, d| {
            fifo_clash(cx, n, d);
            set_fifo(cx, n, &mut d.vrrp_notify_fifo);
        }),
        kw("vrrp_notify_fifo_script", |cx, n, d| set_script(cx, n, &mut d.vrrp_notify_fifo_script)),
        kw("lvs_notify_fifo", |cx, n, d| {
            fifo_clash(cx, n, d);
            set_fifo(cx, n, &mut d.lvs_notify_fifo);
        }),
        kw("lvs_notify_fifo_script", |cx, n, d| set_script(cx, n, &mut d.lvs_notify_fifo_script)),
        kw("fifo_write_vrrp_states_on_reload", |cx, n, d| d.fifo_write_vrrp_states_on_reload = cx.bare(n)),
    ]
}

/// The man page: the FIFO names must all be different.
fn fifo_clash(cx: &mut Cx, n: &Node, d: &GlobalDefs) {
    let Some(w) = n.args.first() else { return };
    let others = [
        ("notify_fifo", &d.notify_fifo),
        ("vrrp_notify_fifo", &d.vrrp_notify_fifo),
        ("lvs_notify_fifo", &d.lvs_notify_fifo),
    ];
    if let Some((other, _)) = others.iter().find(|(k, f)| *k != n.name() && f.as_ref().is_some_and(|f| f.name == w.text)) {
        cx.error(w.span, format!("{} uses the same FIFO as {other}", n.name()))
            .with_help("each notification FIFO needs its own path");
    }
}

// ---- netlink and socket buffers ----

/// A buffer size in bytes; keepalived ignores 0 (the kernel's default stays).
fn bufs(cx: &mut Cx, n: &Node, slot: &mut Option<u32>) {
    if let Some(v) = uint(cx, n, 0, U32_MAX) {
        *slot = (v != 0).then_some(v).or(*slot);
    }
}

fn buffer_keywords() -> Vec<Keyword<GlobalDefs>> {
    vec![
        kw("vrrp_netlink_cmd_rcv_bufs", |cx, n, d| bufs(cx, n, &mut d.vrrp_netlink_cmd_rcv_bufs)),
        kw("vrrp_netlink_cmd_rcv_bufs_force", |cx, n, d| d.vrrp_netlink_cmd_rcv_bufs_force = cx.flag(n)),
        kw("vrrp_netlink_monitor_rcv_bufs", |cx, n, d| bufs(cx, n, &mut d.vrrp_netlink_monitor_rcv_bufs)),
        kw("vrrp_netlink_monitor_rcv_bufs_force", |cx, n, d| d.vrrp_netlink_monitor_rcv_bufs_force = cx.flag(n)),
        kw("lvs_netlink_cmd_rcv_bufs", |cx, n, d| bufs(cx, n, &mut d.lvs_netlink_cmd_rcv_bufs)),
        kw("lvs_netlink_cmd_rcv_bufs_force", |cx, n, d| d.lvs_netlink_cmd_rcv_bufs_force = cx.flag(n)),
        kw("lvs_netlink_monitor_rcv_bufs", |cx, n, d| bufs(cx, n, &mut d.lvs_netlink_monitor_rcv_bufs)),
        kw("lvs_netlink_monitor_rcv_bufs_force", |cx, n, d| d.lvs_netlink_monitor_rcv_bufs_force = cx.flag(n)),
        kw("process_monitor_rcv_bufs", |cx, n, d| bufs(cx, n, &mut d.process_monitor_rcv_bufs)),
        kw("process_monitor_rcv_bufs_force", |cx, n, d| d.process_monitor_rcv_bufs_force = cx.flag(n)),
        kw("vrrp_rx_bufs_policy", rx_bufs_policy),
        kw("vrrp_rx_bufs_multiplier", |cx, n, d| {
            d.vrrp_rx_bufs_multiplier = uint(cx, n, 1, U32_MAX).unwrap_or(d.vrrp_rx_bufs_multiplier);
        }),
    ]
}

/// `vrrp_rx_bufs_policy MTU|ADVERT|BYTES`; a size wins over a policy and MTU over ADVERT, as in
/// keepalived, with a warning when both are written.
fn rx_bufs_policy(cx: &mut Cx, n: &Node, d: &mut GlobalDefs) {
    cx.no_block(n);
    if !cx.arity(n, 1, None) {
        return;
    }
    let (mut mtu, mut advert, mut size) = (false, false, None);
    for w in &n.args {
        if w.text.eq_ignore_ascii_case("MTU") {
            mtu = true;
        } else if w.text.eq_ignore_ascii_case("ADVERT") {
            advert = true;
        } else {
            match values::parse_int(&w.text, 0, U32_MAX) {
                Ok(v) => size = Some(v as u32),
                Err(_) => cx.invalid(n, w, "expected MTU, ADVERT or a size in bytes"),
            }
        }
    }
    d.vrrp_rx_bufs_policy = match (size, mtu, advert) {
        (Some(s), m, a) => {
            if m || a {
                cx.warning(n.span(), "vrrp_rx_bufs_policy has both a size and a policy; the policy is ignored");
            }
            Some(RxBufsPolicy::Size(s))
        }
        (None, true, a) => {
            if a {
                cx.warning(n.span(), "vrrp_rx_bufs_policy has both MTU and ADVERT; ADVERT is ignored");
            }
            Some(RxBufsPolicy::Mtu)
        }
        (None, false, true) => Some(RxBufsPolicy::Advert),
        (None, false, false) => d.vrrp_rx_bufs_policy,
    };
}

// ---- reloads, configuration reading, dump files ----

fn reload_keywords() -> Vec<Keyword<GlobalDefs>> {
    vec![
        kw("reload_check_config", |cx, n, d| {
            cx.no_block(n);
            cx.arity(n, 0, Some(1));
            d.reload_check_config = Some(n.args.first().map_or_else(|| "/dev/null".to_string(), |w| w.text.clone()));
        }),
        kw("reload_time_file", |cx, n, d| set_string(cx, n, &mut d.reload_time_file)),
        kw("reload_repeat", |cx, n, d| d.reload_repeat = cx.bare(n)),
        kw("reload_file", |cx, n, d| {
            cx.no_block(n);
            cx.arity(n, 0, Some(1));
            d.reload_file = n.args.first().map(|w| w.text.clone());
            d.written.default_reload_file = n.args.is_empty();
        }),
        kw("include_check", include_check),
        kw("random_seed", |cx, n, d| d.random_seed = uint(cx, n, 0, U32_MAX).or(d.random_seed)),
        kw("state_dump_file", |cx, n, d| non_empty(cx, n, &mut d.state_dump_file)),
        kw("stats_dump_file", |cx, n, d| non_empty(cx, n, &mut d.stats_dump_file)),
        kw("json_dump_file", |cx, n, d| non_empty(cx, n, &mut d.json_dump_file)),
        // keepalived.conf(5) documents these names; keepalived's parser only knows *_dump_file.
        legacy("state_file_location", "state_dump_file", |cx, n, d| non_empty(cx, n, &mut d.state_dump_file)),
        legacy("stats_file_location", "stats_dump_file", |cx, n, d| non_empty(cx, n, &mut d.stats_dump_file)),
        legacy("json_file_location", "json_dump_file", |cx, n, d| non_empty(cx, n, &mut d.json_dump_file)),
        kw("data_use_instance", |cx, n, d| d.data_use_instance = cx.flag(n)),
        kw("json_version", |cx, n, d| {
            if let Some(v) = cx.int(n, 1, 2) {
                d.json_version = v as u8;
            }
        }),
        kw("iproute_usr_dir", |cx, n, d| set_string(cx, n, &mut d.iproute_usr_dir)),
        kw("iproute_etc_dir", |cx, n, d| set_string(cx, n, &mut d.iproute_etc_dir)),
    ]
}

/// `include_check [[+|-]CHECK ...]`: no word means every check; a bare first word sets the
/// checks (readable plus that one), `+`/`-` words add or remove.
fn include_check(cx: &mut Cx, n: &Node, d: &mut GlobalDefs) {
    cx.no_block(n);
    let all = IncludeCheck { readable: true, matched: true, wildcard_match: true, brace_match: true };
    if n.args.is_empty() {
        d.include_check = Some(all);
        return;
    }
    let mut c = d.include_check.unwrap_or_default();
    for (i, w) in n.args.iter().enumerate() {
        let (sign, name) = match w.text.as_bytes().first() {
            Some(b'+') => (Some(true), &w.text[1..]),
            Some(b'-') => (Some(false), &w.text[1..]),
            _ => (None, w.text.as_str()),
        };
        if sign.is_none() && i > 0 {
            cx.warning(w.span, format!("include_check '{}' after the first check needs + or -; it is ignored", w.text));
            continue;
        }
        let mut bit = IncludeCheck::default();
        match name {
            "readable" | "read" => bit.readable = true,
            "match" => bit.matched = true,
            "wildcard_match" => bit.wildcard_match = true,
            "brace_match" => bit.brace_match = true,
            _ => {
                cx.invalid(n, w, "expected readable, match, wildcard_match or brace_match, optionally after + or -");
                continue;
            }
        }
        c = match sign {
            None => IncludeCheck { readable: true, ..bit },
            Some(true) => IncludeCheck {
                readable: c.readable || bit.readable,
                matched: c.matched || bit.matched,
                wildcard_match: c.wildcard_match || bit.wildcard_match,
                brace_match: c.brace_match || bit.brace_match,
            },
            Some(false) => IncludeCheck {
                readable: c.readable && !bit.readable,
                matched: c.matched && !bit.matched,
                wildcard_match: c.wildcard_match && !bit.wildcard_match,
                brace_match: c.brace_match && !bit.brace_match,
            },
        };
    }
    d.include_check = Some(c);
}

/// Values that follow others, and checks across keywords of the global part.
pub(super) fn resolve(cx: &mut Cx, g: &mut GlobalPart) {
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
    let Some(origin) = d.origin.clone() else { return };
    if d.nftables.is_some() && d.vrrp_iptables.is_some() {
        cx.warning(origin.span, "global_defs sets both nftables and vrrp_iptables; keepalived uses nftables")
            .with_help("remove vrrp_iptables (and vrrp_ipsets)");
    }
    if d.reload_repeat && d.reload_time_file.is_none() {
        cx.warning(origin.span, "reload_repeat has no effect without reload_time_file");
    }
}
