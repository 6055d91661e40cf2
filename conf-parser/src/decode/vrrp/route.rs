//! One line of `static_routes` or `virtual_routes`, in `ip route add` syntax (full option
//! names only, as keepalived). keepalived drops a route with a missing or wrong value, a
//! family mix-up, or a word it does not know; so does this. Metrics and other options the
//! model does not break out are checked and kept, as written, in `extra`.

use super::line::{parse_dest, Line};
use crate::decode::Cx;
use crate::model::vrrp::{Dest, Family, Nexthop, Route, RouteMode};
use crate::tree::{Node, Word};
use crate::values;
use std::net::IpAddr;

/// Route types that may precede the destination (`blackhole 10.0.0.0/8`).
const ROUTE_TYPES: &[&str] = &[
    "unicast",
    "local",
    "broadcast",
    "anycast",
    "multicast",
    "blackhole",
    "unreachable",
    "prohibit",
    "throw",
    "nat",
    "xresolve",
];

/// Options taking `[lock] VALUE`, and whether the value is a plain u32.
const LOCKABLE: &[(&str, bool)] = &[
    ("mtu", true),
    ("advmss", true),
    ("reordering", true),
    ("cwnd", true),
    ("ssthresh", true),
    ("rtt", false),
    ("rttvar", false),
    ("rto_min", false),
    ("congctl", false),
];

/// Options taking one value, and the largest plain integer it may be (None: not a number).
const SINGLE: &[(&str, Option<u64>)] = &[
    ("window", Some(u32::MAX as u64)),
    ("initcwnd", Some(u32::MAX as u64)),
    ("initrwnd", Some(u32::MAX as u64)),
    ("hoplimit", Some(255)),
    ("quickack", Some(1)),
    ("fastopen_no_cookie", Some(1)),
];

/// A family learnt from one of the route's words; false (after an error) on a mix-up.
struct Fam {
    family: Option<Family>,
}

impl Fam {
    fn set(&mut self, cx: &mut Cx, line: &Line, word: &Word, got: Family) -> bool {
        match self.family {
            None => {
                self.family = Some(got);
                true
            }
            Some(f) if f == got => true,
            Some(f) => {
                // keepalived 2.2.7: `Cannot mix IPv4 and IPv6 addresses for route (...)`, and
                // runs on without it (measured).
                cx.error(
                    word.span,
                    format!(
                        "'{}' is {} but this line of {} is {}; the route is ignored",
                        word.text,
                        got.label(),
                        line.block,
                        f.label()
                    ),
                )
                .daemon_runs_on();
                false
            }
        }
    }
}

/// keepalived 2.2.7 takes `default` (`all`, `any`) only before anything has given the line its
/// family (an address, `inet`/`inet6`): after, it logs `Cannot mix IPv4 and IPv6 addresses for
/// route (default)` (or `rule specification has mixed IPv4 and IPv6`) and drops the line,
/// whichever the family (measured). False, after an error, when it drops it.
pub(super) fn default_without_family(
    cx: &mut Cx,
    family: &Option<Family>,
    w: &Word,
    what: &str,
    block: &str,
) -> bool {
    let Some(f) = family else {
        return true;
    };
    cx.error(
        w.span,
        format!(
            "keepalived 2.2.7 takes '{}' only before the line's family is known (here {}); the {what} is ignored",
            w.text,
            f.label()
        ),
    )
    .with_help(format!(
        "write '{}' first in the line of {block}, or the prefix ({})",
        w.text,
        if *f == Family::Inet6 { "::/0" } else { "0.0.0.0/0" }
    ))
    .daemon_runs_on();
    false
}

fn ip(cx: &mut Cx, line: &Line, opt: &str, w: &Word) -> Option<IpAddr> {
    match values::parse_ip(&w.text) {
        Ok(a) => Some(a),
        Err(e) => {
            // keepalived 2.2.7 drops the route and runs on (measured: kinds.rs
            // route_bad_address).
            line.invalid(cx, opt, w, &format!("{e}; the route is ignored"))
                .daemon_runs_on();
            None
        }
    }
}

pub(super) fn parse(cx: &mut Cx, node: &Node, block: &'static str) -> Option<Route> {
    let mut line = Line::new(cx, node, block);
    let mut fam = Fam { family: None };
    let mut r = Route {
        origin: cx.origin(node.keyword.span),
        family: Family::Inet,
        route_type: None,
        to: Dest::Default,
        src: None,
        from: None,
        via: None,
        dev: None,
        table: "main".into(),
        metric: None,
        scope: None,
        protocol: None,
        protocol_written: None,
        tos: None,
        onlink: false,
        vrf: None,
        mode: RouteMode::Prepend,
        nexthop: Vec::new(),
        no_track: false,
        track_group: None,
        extra: Vec::new(),
    };
    let mut to: Option<Dest> = None;
    let mut protocol_word = None;
    let mut track_group_word = None;
    while let Some(opt) = line.next() {
        let o = opt.text.as_str();
        match o {
            "inet" | "inet6" => {
                let f = if o == "inet" {
                    Family::Inet
                } else {
                    Family::Inet6
                };
                if !fam.set(cx, &line, opt, f) {
                    return None;
                }
                line.skip_after_family(cx, opt);
            }
            "src" => {
                let w = line.value(cx, opt)?;
                let a = ip(cx, &line, o, w)?;
                if !fam.set(cx, &line, w, Family::of(&a)) {
                    return None;
                }
                r.src = Some(a);
            }
            "via" | "gw" => {
                if o == "gw" {
                    cx.warning(opt.span, "'gw' in routes is a legacy spelling of 'via'")
                        .with_help("write 'via'; it means the same");
                }
                let mut w = line.value(cx, opt)?;
                if let f @ ("inet" | "inet6") = w.text.as_str() {
                    let f = if f == "inet" {
                        Family::Inet
                    } else {
                        Family::Inet6
                    };
                    if !fam.set(cx, &line, w, f) {
                        return None;
                    }
                    w = line.value(cx, opt)?;
                }
                let a = ip(cx, &line, "via", w)?;
                if !fam.set(cx, &line, w, Family::of(&a)) {
                    return None;
                }
                r.via = Some(a);
            }
            "from" => {
                let w = line.value(cx, opt)?;
                let d = match parse_dest(&w.text) {
                    Ok(d) => d,
                    Err(e) => {
                        line.bad(cx, o, w, &format!("{e}; the route is ignored"));
                        return None;
                    }
                };
                match d {
                    Dest::Prefix(p) if p.addr.is_ipv6() => {
                        if !fam.set(cx, &line, w, Family::Inet6) {
                            return None;
                        }
                    }
                    _ => {
                        line.bad(
                            cx,
                            o,
                            w,
                            "a route's source prefix ('from') is IPv6 only; the route is ignored",
                        );
                        return None;
                    }
                }
                r.from = Some(d);
            }
            "tos" | "dsfield" => r.tos = Some(line.value(cx, opt)?.text.to_string()),
            "table" => {
                let w = line.value(cx, opt)?;
                r.table = w.text.to_string();
                // keepalived 2.2.7: the later of `table` and `vrf` gives the table (measured).
                r.vrf = None;
            }
            "protocol" => {
                let w = line.value(cx, opt)?;
                r.protocol = Some(w.text.to_string());
                r.protocol_written = Some(w.text.to_string());
                protocol_word = Some(w);
            }
            "scope" => {
                let w = line.value(cx, opt)?;
                if !super::address::check_scope(cx, &line, w) {
                    return None;
                }
                r.scope = Some(w.text.to_string());
            }
            "metric" | "priority" | "preference" => {
                let (v, _) = line.uint(cx, opt, u32::MAX as u64)?;
                r.metric = Some(v as u32);
            }
            "dev" | "oif" => r.dev = Some(line.value(cx, opt)?.text.to_string()),
            "onlink" => r.onlink = true,
            "vrf" => r.vrf = Some(line.value(cx, opt)?.text.to_string()),
            "add" => r.mode = RouteMode::Add,
            "prepend" => r.mode = RouteMode::Prepend,
            "append" => r.mode = RouteMode::Append,
            "no_track" => r.no_track = true,
            "track_group" if block == "static_routes" => {
                let w = line.value(cx, opt)?;
                if r.track_group.is_some() {
                    cx.error(
                        opt.span,
                        format!("'track_group' is given twice in a line of {block}; this one is ignored"),
                    );
                    continue;
                }
                r.track_group = Some(w.text.to_string());
                track_group_word = Some(opt);
            }
            "encap" => {
                r.extra.push(o.into());
                encap(cx, &mut line, opt, &mut r.extra)?;
            }
            "as" => {
                cx.error(
                    opt.span,
                    format!(
                        "'as [to]' (NAT) is not supported by keepalived in {block}; it is ignored"
                    ),
                );
                if line.peek().is_some_and(|w| w.text == "to") {
                    line.next();
                }
                line.value(cx, opt)?;
            }
            "expires" | "pref" => {
                if !fam.set(cx, &line, opt, Family::Inet6) {
                    return None;
                }
                let w = line.value(cx, opt)?;
                let ok = match o {
                    "expires" => {
                        super::line::parse_uint(&w.text).is_some_and(|v| v <= u32::MAX as u64)
                    }
                    _ => {
                        matches!(w.text.as_str(), "low" | "medium" | "high")
                            || super::line::parse_uint(&w.text).is_some_and(|v| v <= 255)
                    }
                };
                if !ok {
                    line.bad(
                        cx,
                        o,
                        w,
                        if o == "expires" {
                            "expected seconds"
                        } else {
                            "expected low, medium or high"
                        },
                    );
                    return None;
                }
                r.extra.extend([o.to_string(), w.text.to_string()]);
            }
            "realms" => {
                if !fam.set(cx, &line, opt, Family::Inet) {
                    return None;
                }
                let w = line.value(cx, opt)?;
                r.extra.extend([o.to_string(), w.text.to_string()]);
            }
            "features" => {
                let w = line.value(cx, opt)?;
                if w.text != "ecn" {
                    line.bad(cx, o, w, "the only feature is ecn; it is ignored");
                    continue;
                }
                r.extra.extend([o.to_string(), w.text.to_string()]);
            }
            "ttl-propagate" => {
                let w = line.value(cx, opt)?;
                if !matches!(w.text.as_str(), "enabled" | "disabled") {
                    line.bad(cx, o, w, "expected enabled or disabled; it is ignored");
                    continue;
                }
                r.extra.extend([o.to_string(), w.text.to_string()]);
            }
            "or" => {
                cx.warning(opt.span, "'or' in routes is deprecated")
                    .with_help("write 'nexthop via A nexthop via B'");
                let w = line.value(cx, opt)?;
                let a = ip(cx, &line, "or", w)?;
                if !fam.set(cx, &line, w, Family::of(&a)) {
                    return None;
                }
                if !r.nexthop.is_empty() {
                    cx.error(
                        opt.span,
                        format!(
                            "only one 'or' is allowed in a line of {block}; this one is ignored"
                        ),
                    );
                    continue;
                }
                r.nexthop.push(Nexthop {
                    via: r.via.take(),
                    ..Nexthop::default()
                });
                r.nexthop.push(Nexthop {
                    via: Some(a),
                    ..Nexthop::default()
                });
            }
            "nexthop" => {
                if !r.nexthop.is_empty() {
                    cx.error(
                        opt.span,
                        format!("'nexthop' cannot follow 'or' in {block}; the route is ignored"),
                    );
                    return None;
                }
                line.back();
                nexthops(cx, &mut line, &mut fam, &mut r.nexthop)?;
            }
            _ => {
                if let Some(&(_, numeric)) = LOCKABLE.iter().find(|(n, _)| *n == o) {
                    r.extra.push(o.into());
                    let w = line.locked_value(cx, opt, &mut r.extra)?;
                    if numeric
                        && super::line::parse_uint(&w.text).is_none_or(|v| v > u32::MAX as u64)
                    {
                        line.bad(
                            cx,
                            o,
                            w,
                            "expected an integer between 0 and 4294967295; the route is ignored",
                        );
                        return None;
                    }
                    if crate::route_time::is_route_time(o) {
                        match crate::route_time::route_time(o, &w.text) {
                            // keepalived 2.2.7 drops the route and runs on (measured).
                            Err(why) => {
                                cx.error(
                                    w.span,
                                    format!("invalid {why} in {block}; the route is ignored"),
                                )
                                .daemon_runs_on();
                                return None;
                            }
                            Ok(t) if t.rounded => {
                                // Its -t fails on it; its daemon installs the rounded value.
                                cx.error(
                                    w.span,
                                    format!(
                                        "'{} {}' has more decimals than keepalived keeps",
                                        o, w.text
                                    ),
                                )
                                .with_help("write whole milliseconds")
                                .daemon_uses("rounded to the nearest, as keepalived 2.2.7 does");
                            }
                            Ok(_) => {}
                        }
                    }
                    r.extra.push(w.text.to_string());
                } else if let Some(&(_, max)) = SINGLE.iter().find(|(n, _)| *n == o) {
                    let (_, w) = line.uint(cx, opt, max.unwrap_or(u64::MAX))?;
                    r.extra.extend([o.to_string(), w.text.to_string()]);
                } else {
                    // The destination, possibly after `to` and a route type.
                    let mut w = opt;
                    if w.text == "to" {
                        w = line.value(cx, opt)?;
                    }
                    if ROUTE_TYPES.contains(&w.text.as_str()) {
                        r.route_type = Some(w.text.to_string());
                        w = line.value(cx, w)?;
                    }
                    let d = if w.text == "default6" {
                        // keepalived 2.2.7 takes it without a word (measured).
                        cx.warning(w.span, "'default6' is deprecated")
                            .with_help("write '::/0'")
                            .keepalived_passes();
                        if !fam.set(cx, &line, w, Family::Inet6) {
                            return None;
                        }
                        Dest::Default
                    } else {
                        match parse_dest(&w.text) {
                            Ok(d) => d,
                            Err(e) => {
                                let msg = if w.text.parse::<f64>().is_ok()
                                    || w.text.contains(['.', ':'])
                                {
                                    format!(
                                        "invalid route destination '{}' in {block}: {e}; the route is ignored",
                                        w.text
                                    )
                                } else {
                                    format!("unknown route option '{}' in {block}; the route is ignored", w.text)
                                };
                                let d = cx.error(w.span, msg);
                                // keepalived 2.2.7 drops the route and runs on (measured:
                                // kinds.rs route_bad_address).
                                d.daemon_runs_on();
                                if let Some(s) =
                                    super::super::did_you_mean(&w.text, OPTIONS.iter().copied())
                                {
                                    d.with_help(format!("did you mean '{s}'?"));
                                }
                                return None;
                            }
                        }
                    };
                    match d {
                        Dest::Prefix(p) => {
                            if !fam.set(cx, &line, w, Family::of(&p.addr)) {
                                return None;
                            }
                        }
                        Dest::Default if w.text != "default6" => {
                            if !default_without_family(cx, &fam.family, w, "route", block) {
                                return None;
                            }
                        }
                        Dest::Default => {}
                    }
                    if to.is_some() {
                        cx.warning(
                            w.span,
                            format!(
                                "a second destination in a line of {block}; it replaces the first"
                            ),
                        )
                        // keepalived 2.2.7 says nothing (measured on `inet6 src A P`).
                        .keepalived_passes();
                    }
                    to = Some(d);
                }
            }
        }
    }

    let Some(to) = to else {
        // keepalived 2.2.7: `Route must have a destination`, and runs on without it (measured).
        cx.error(
            node.span(),
            format!("a route in {block} needs a destination; it is ignored"),
        )
        .daemon_runs_on();
        return None;
    };
    r.to = to;
    r.family = fam.family.unwrap_or(Family::Inet);
    if !r.no_track {
        if let Some(w) = protocol_word.filter(|w| w.text != "keepalived" && w.text != "18") {
            cx.warning(
                w.span,
                format!(
                    "a tracked route gets protocol keepalived; '{}' is replaced",
                    w.text
                ),
            )
            .with_help(
                "add no_track to keep your protocol (keepalived then does not restore the route)",
            );
        }
        r.protocol = Some("keepalived".into());
    }
    if r.dev.is_none() && !r.no_track {
        // keepalived 2.2.7: `Warning - cannot track route P with no interface specified, not
        // tracking`, for a route without `dev`/`oif` (a nexthop's does not count), static or
        // virtual, with or without a gateway; its -t exits 5 (measured). Nothing watches
        // such a route's link, here either.
        cx.warning(
            node.span(),
            format!(
                "a route without 'dev' cannot be tracked ({}): it is installed, not tracked",
                r.to
            ),
        )
        .with_help("add 'dev IFNAME', or 'no_track' to say it is not tracked");
    }
    if let (Some(tg), None) = (track_group_word, &r.dev) {
        cx.warning(
            tg.span,
            format!("'track_group' needs 'dev' in a line of {block}; it is ignored"),
        )
        .with_help("add 'dev IFNAME' so keepalived knows where to watch the route");
        r.track_group = None;
    }
    Some(r)
}

/// `nexthop via [inet|inet6] ADDR [dev IF] [weight 1..256] [onlink] [realms R] [encap ...]`,
/// repeated to the end of the line.
fn nexthops(cx: &mut Cx, line: &mut Line, fam: &mut Fam, out: &mut Vec<Nexthop>) -> Option<()> {
    while let Some(w) = line.next() {
        if w.text != "nexthop" {
            cx.error(
                w.span,
                format!(
                    "unexpected '{}' after the nexthops in {}; the route is ignored",
                    w.text, line.block
                ),
            )
            .with_help("options of the route itself go before the first 'nexthop'");
            return None;
        }
        let mut nh = Nexthop::default();
        while let Some(opt) = line.next() {
            match opt.text.as_str() {
                "via" => {
                    let mut v = line.value(cx, opt)?;
                    if let f @ ("inet" | "inet6") = v.text.as_str() {
                        let f = if f == "inet" {
                            Family::Inet
                        } else {
                            Family::Inet6
                        };
                        if !fam.set(cx, line, v, f) {
                            return None;
                        }
                        v = line.value(cx, opt)?;
                    }
                    let a = ip(cx, line, "via", v)?;
                    if !fam.set(cx, line, v, Family::of(&a)) {
                        return None;
                    }
                    nh.via = Some(a);
                }
                "dev" => nh.dev = Some(line.value(cx, opt)?.text.to_string()),
                "weight" => {
                    let v = line.value(cx, opt)?;
                    match values::parse_int(&v.text, 1, 256) {
                        Ok(n) => nh.weight = Some(n as u16),
                        Err(e) => {
                            line.bad(cx, "weight", v, &format!("{e}; the route is ignored"));
                            return None;
                        }
                    }
                }
                "onlink" => nh.onlink = true,
                "realms" => {
                    if !fam.set(cx, line, opt, Family::Inet) {
                        return None;
                    }
                    let v = line.value(cx, opt)?;
                    nh.extra.extend(["realms".to_string(), v.text.to_string()]);
                }
                "encap" => {
                    nh.extra.push("encap".into());
                    encap(cx, line, opt, &mut nh.extra)?;
                }
                "as" => {
                    cx.error(
                        opt.span,
                        format!(
                            "'as [to]' (NAT) is not supported by keepalived in {}; the route is ignored",
                            line.block
                        ),
                    );
                    return None;
                }
                _ => {
                    line.back();
                    break;
                }
            }
        }
        out.push(nh);
    }
    Some(())
}

/// `encap ip|ip6 KEY VALUE ...`, `encap mpls LABELS`, `encap ila LOCATOR`, kept as written.
fn encap(cx: &mut Cx, line: &mut Line, opt: &Word, extra: &mut Vec<String>) -> Option<()> {
    let t = line.value(cx, opt)?;
    extra.push(t.text.to_string());
    let keys: &[&str] = match t.text.as_str() {
        "ip" => &["id", "dst", "src", "tos", "ttl", "flags"],
        "ip6" => &["id", "dst", "src", "tc", "hoplimit", "flags"],
        "mpls" | "ila" => {
            extra.push(line.value(cx, t)?.text.to_string());
            return Some(());
        }
        _ => {
            line.bad(
                cx,
                "encap",
                t,
                "expected ip, ip6, mpls or ila; the route is ignored",
            );
            return None;
        }
    };
    let mut has_dst_or_id = false;
    while let Some(k) = line.peek() {
        if !keys.contains(&k.text.as_str()) {
            break;
        }
        line.next();
        let v = line.value(cx, k)?;
        has_dst_or_id |= k.text == "dst" || k.text == "id";
        extra.extend([k.text.to_string(), v.text.to_string()]);
    }
    if !has_dst_or_id {
        cx.error(
            t.span,
            format!(
                "'encap {}' needs a dst or an id in {}; the route is ignored",
                t.text, line.block
            ),
        );
        return None;
    }
    Some(())
}

/// Every option word, for did-you-mean.
const OPTIONS: &[&str] = &[
    "inet",
    "inet6",
    "src",
    "via",
    "from",
    "tos",
    "dsfield",
    "table",
    "protocol",
    "scope",
    "metric",
    "priority",
    "preference",
    "dev",
    "oif",
    "onlink",
    "vrf",
    "add",
    "prepend",
    "append",
    "no_track",
    "track_group",
    "encap",
    "expires",
    "pref",
    "realms",
    "features",
    "ttl-propagate",
    "nexthop",
    "mtu",
    "advmss",
    "reordering",
    "cwnd",
    "ssthresh",
    "rtt",
    "rttvar",
    "rto_min",
    "congctl",
    "window",
    "initcwnd",
    "initrwnd",
    "hoplimit",
    "quickack",
    "fastopen_no_cookie",
];
