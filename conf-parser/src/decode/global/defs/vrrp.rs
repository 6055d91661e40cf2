//! VRRP defaults, gratuitous ARP / unsolicited NA, netlink and socket buffers.

#[allow(clippy::wildcard_imports)]
use super::*;

// ---- VRRP defaults ----

pub(super) fn vrrp_keywords() -> Vec<Keyword<GlobalDefs>> {
    vec![
        kw("vrrp_mcast_group4", mcast_group4),
        kw("vrrp_mcast_group6", mcast_group6),
        kw("default_interface", |cx, n, d| {
            if let Some(v) = cx.string(n) {
                d.default_interface = v;
            }
        }),
        kw("vrrp_version", |cx, n, d| {
            let at = cx.mark();
            if let Some(v) = cx.int(n, 2, 3) {
                d.vrrp_version = v as u8;
            }
            // keepalived: "VRRP Error: Version must be either 2 or 3", and the default stays.
            if n.args.len() == 1 {
                cx.value_runs_on_since(at, n, Some("ignored, as keepalived does"));
            }
        }),
        kw("v3_checksum_as_v2", |cx, n, d| {
            d.v3_checksum_as_v2 = cx.bare(n)
        }),
        kw("vrrp_check_unicast_src", |cx, n, d| {
            d.vrrp_check_unicast_src = cx.bare(n)
        }),
        kw("vrrp_skip_check_adv_addr", |cx, n, d| {
            d.vrrp_skip_check_adv_addr = flag(cx, n).unwrap_or(d.vrrp_skip_check_adv_addr)
        }),
        kw("vrrp_strict", |cx, n, d| {
            d.vrrp_strict = flag(cx, n).unwrap_or(d.vrrp_strict)
        }),
        kw("vrrp_down_timer_adverts", |cx, n, d| {
            d.vrrp_down_timer_adverts = uint(cx, n, 1, 100).unwrap_or(d.vrrp_down_timer_adverts);
        }),
        kw("vrrp_lower_prio_no_advert", |cx, n, d| {
            d.vrrp_lower_prio_no_advert = flag(cx, n).unwrap_or(d.vrrp_lower_prio_no_advert)
        }),
        kw("vrrp_higher_prio_send_advert", |cx, n, d| {
            d.vrrp_higher_prio_send_advert = flag(cx, n).unwrap_or(d.vrrp_higher_prio_send_advert)
        }),
        kw("vrrp_notify_priority_changes", |cx, n, d| {
            d.vrrp_notify_priority_changes = flag(cx, n).unwrap_or(d.vrrp_notify_priority_changes)
        }),
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
        kw("log_unknown_vrids", |cx, n, d| {
            d.log_unknown_vrids = cx.bare(n)
        }),
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
        kw("disable_local_igmp", |cx, n, d| {
            d.disable_local_igmp = cx.bare(n)
        }),
        kw("vrrp_owner_ignore_adverts", |cx, n, d| {
            d.vrrp_owner_ignore_adverts = flag(cx, n).unwrap_or(d.vrrp_owner_ignore_adverts)
        }),
    ]
}

fn mcast_group4(cx: &mut Cx, n: &Node, d: &mut GlobalDefs) {
    match cx.ip(n) {
        Some(ip @ IpAddr::V4(a)) if a.is_multicast() => d.vrrp_mcast_group4 = ip,
        Some(IpAddr::V4(_)) => {
            // keepalived: "vrrp_mcast_group4 [x] is not multicast. Skipping".
            let at = cx.mark();
            cx.invalid(n, &n.args[0], "not a multicast address (224.0.0.0/4)");
            cx.value_runs_on_since(at, n, Some("ignored, as keepalived does"));
        }
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

pub(super) fn garp_keywords() -> Vec<Keyword<GlobalDefs>> {
    vec![
        kw("vrrp_garp_master_delay", |cx, n, d| {
            d.vrrp_garp_master_delay = cx
                .int_as_keepalived_reads(n, 0, MAX_WHOLE_SECS)
                .map_or(d.vrrp_garp_master_delay, |v| Timer::secs(v.unsigned_abs()));
        }),
        kw("vrrp_garp_master_repeat", |cx, n, d| {
            d.vrrp_garp_master_repeat = repeat(cx, n).unwrap_or(d.vrrp_garp_master_repeat);
        }),
        kw("vrrp_garp_master_refresh", |cx, n, d| {
            d.vrrp_garp_master_refresh =
                whole_secs(cx, n, 0, U32_MAX).unwrap_or(d.vrrp_garp_master_refresh);
        }),
        kw("vrrp_garp_master_refresh_repeat", |cx, n, d| {
            d.vrrp_garp_master_refresh_repeat =
                repeat(cx, n).unwrap_or(d.vrrp_garp_master_refresh_repeat);
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
        kw("vrrp_garp_interval", |cx, n, d| {
            d.vrrp_garp_interval = garp_interval(cx, n).unwrap_or(d.vrrp_garp_interval);
        }),
        kw("vrrp_gna_interval", |cx, n, d| {
            d.vrrp_gna_interval = garp_interval(cx, n).unwrap_or(d.vrrp_gna_interval);
        }),
        kw("vrrp_min_garp", min_garp),
        kw("vrrp_garp_extra_if", garp_extra_if),
        deprecated("vrrp_vmac_garp_intvl", "vrrp_garp_extra_if", garp_extra_if),
    ]
}

/// One GARP/NA with no repeat, for the values still at their defaults when it is read.
fn min_garp(cx: &mut Cx, n: &Node, d: &mut GlobalDefs) {
    if flag(cx, n) != Some(true) {
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
            cx.error(
                n.span(),
                format!("{} needs an interval in seconds", n.name()),
            );
        }
    }
}

// ---- netlink and socket buffers ----

/// A buffer size in bytes; keepalived ignores 0 (the kernel's default stays).
fn bufs(cx: &mut Cx, n: &Node, slot: &mut Option<u32>) {
    if let Some(v) = uint(cx, n, 0, U32_MAX) {
        *slot = (v != 0).then_some(v).or(*slot);
    }
}

pub(super) fn buffer_keywords() -> Vec<Keyword<GlobalDefs>> {
    vec![
        kw("vrrp_netlink_cmd_rcv_bufs", |cx, n, d| {
            bufs(cx, n, &mut d.vrrp_netlink_cmd_rcv_bufs)
        }),
        kw("vrrp_netlink_cmd_rcv_bufs_force", |cx, n, d| {
            d.vrrp_netlink_cmd_rcv_bufs_force =
                flag(cx, n).unwrap_or(d.vrrp_netlink_cmd_rcv_bufs_force)
        }),
        kw("vrrp_netlink_monitor_rcv_bufs", |cx, n, d| {
            bufs(cx, n, &mut d.vrrp_netlink_monitor_rcv_bufs)
        }),
        kw("vrrp_netlink_monitor_rcv_bufs_force", |cx, n, d| {
            d.vrrp_netlink_monitor_rcv_bufs_force =
                flag(cx, n).unwrap_or(d.vrrp_netlink_monitor_rcv_bufs_force)
        }),
        kw("lvs_netlink_cmd_rcv_bufs", |cx, n, d| {
            bufs(cx, n, &mut d.lvs_netlink_cmd_rcv_bufs)
        }),
        kw("lvs_netlink_cmd_rcv_bufs_force", |cx, n, d| {
            d.lvs_netlink_cmd_rcv_bufs_force =
                flag(cx, n).unwrap_or(d.lvs_netlink_cmd_rcv_bufs_force)
        }),
        kw("lvs_netlink_monitor_rcv_bufs", |cx, n, d| {
            bufs(cx, n, &mut d.lvs_netlink_monitor_rcv_bufs)
        }),
        kw("lvs_netlink_monitor_rcv_bufs_force", |cx, n, d| {
            d.lvs_netlink_monitor_rcv_bufs_force =
                flag(cx, n).unwrap_or(d.lvs_netlink_monitor_rcv_bufs_force)
        }),
        kw("process_monitor_rcv_bufs", |cx, n, d| {
            bufs(cx, n, &mut d.process_monitor_rcv_bufs)
        }),
        kw("process_monitor_rcv_bufs_force", |cx, n, d| {
            d.process_monitor_rcv_bufs_force =
                flag(cx, n).unwrap_or(d.process_monitor_rcv_bufs_force)
        }),
        kw("vrrp_rx_bufs_policy", rx_bufs_policy),
        kw("vrrp_rx_bufs_multiplier", |cx, n, d| {
            d.vrrp_rx_bufs_multiplier =
                uint(cx, n, 1, U32_MAX).unwrap_or(d.vrrp_rx_bufs_multiplier);
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
                cx.warning(
                    n.span(),
                    "vrrp_rx_bufs_policy has both a size and a policy; the policy is ignored",
                );
            }
            Some(RxBufsPolicy::Size(s))
        }
        (None, true, a) => {
            if a {
                cx.warning(
                    n.span(),
                    "vrrp_rx_bufs_policy has both MTU and ADVERT; ADVERT is ignored",
                );
            }
            Some(RxBufsPolicy::Mtu)
        }
        (None, false, true) => Some(RxBufsPolicy::Advert),
        (None, false, false) => d.vrrp_rx_bufs_policy,
    };
}

/// `vrrp_garp_interval` / `vrrp_gna_interval`. keepalived 2.2.7 refuses 0 ("outside range") and
/// keeps its default, which is 0 (no delay), although its man page and its own samples write 0:
/// the value means the same either way, but keepalived's `-t` fails on it, so it is reported.
fn garp_interval(cx: &mut Cx, n: &Node) -> Option<Timer> {
    let t = cx.timer(n, 0.0, MAX_TIMER_SECS)?;
    if t.0.is_zero() {
        cx.warning(
            n.args[0].span,
            format!(
                "{} 0 is outside keepalived's range (0.000001 and up); it keeps its default, \
                 0 (no delay), as keepalived-rs does",
                n.name()
            ),
        )
        .with_help("remove the line: no delay is the default");
    }
    Some(t)
}
