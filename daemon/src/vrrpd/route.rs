//! Routes keepalived installs (`virtual_routes`): the model's `ip route` line translated into
//! what the kernel is given, and the rtnetlink message that carries it. Pure: no socket here
//! (kernel.rs sends the message).
//!
//! As keepalived 2.2.7 (measured): the protocol is 18 (`keepalived`) unless `no_track` keeps
//! another, and the scope is `global` unless written (where `ip route` would pick `link` for a
//! route without a gateway, or `host` for a local one).

use std::io;
use std::net::IpAddr;

use conf_parser::model::vrrp::{Dest, Family, Nexthop, Route, RouteMode};
use rtnetlink::packet_route::route::{
    RouteAddress, RouteAttribute, RouteFlags, RouteMessage, RouteMetric, RouteNextHop,
    RouteNextHopFlags, RoutePreference, RouteProtocol, RouteRealm, RouteScope, RouteType,
};
use rtnetlink::packet_route::AddressFamily;

/// One route as it is installed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VRoute {
    pub ipv6: bool,
    /// Destination and prefix length; `0.0.0.0/0` or `::/0` for `default`.
    pub to: (IpAddr, u8),
    /// The source prefix (`from`, IPv6 only).
    pub from: Option<(IpAddr, u8)>,
    /// The route type's number (`RTN_*`: 1 unicast, 6 blackhole, 7 unreachable...).
    pub kind: u8,
    pub via: Option<IpAddr>,
    pub dev: Option<String>,
    pub src: Option<IpAddr>,
    pub table: u32,
    pub metric: Option<u32>,
    pub scope: Option<u8>,
    pub tos: u8,
    pub onlink: bool,
    /// The route's protocol number (keepalived's own, 18, unless written with `no_track`).
    pub protocol: u8,
    /// `prepend` (the default), `add` or `append`: how it goes in beside a route of the same
    /// destination.
    pub mode: RouteMode,
    /// A multipath route's next hops (`nexthop ...`, or the legacy `or`).
    pub nexthops: Vec<Hop>,
    /// `mtu`, `advmss`, `window`... and the lock mask of those written with `lock`.
    pub metrics: Metrics,
    /// `realms [FROM/]TO`, as the kernel's number (FROM << 16 | TO).
    pub realms: Option<u32>,
    /// keepalived tracks it (it has a `dev` and no `no_track`): a virtual route's instance is in
    /// FAULT while that interface is down (plan.rs).
    pub tracked: bool,
    /// `expires SECS` (IPv6).
    pub expires: Option<u32>,
    /// `pref low|medium|high` (IPv6 router preference).
    pub pref: Option<u8>,
    /// `no_track` written (not only implied by a missing `dev`), and `protocol` written: what
    /// keepalived's dump line shows (`proto N` unless no_track was written without it).
    pub no_track_written: bool,
    pub protocol_written: bool,
    /// As written (type and destination), for logs.
    pub text: String,
}

/// One next hop of a multipath route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hop {
    pub via: Option<IpAddr>,
    pub dev: Option<String>,
    /// 1..=256, as written (the kernel is given weight - 1).
    pub weight: u16,
    /// `weight` written (keepalived's dump line shows it then only).
    pub weight_written: bool,
    pub onlink: bool,
    pub realms: Option<u32>,
}

/// Route metrics (`RTA_METRICS`): `(RTAX number, value)` in the order written, the lock mask,
/// and the congestion control algorithm's name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Metrics {
    pub values: Vec<(u16, u32)>,
    pub lock: u32,
    pub congctl: Option<String>,
}

impl Metrics {
    fn is_empty(&self) -> bool {
        self.values.is_empty() && self.lock == 0 && self.congctl.is_none()
    }
}

/// `RTAX_*` numbers of the metrics keepalived writes as numbers.
const RTAX_MTU: u16 = 2;
const RTAX_CC_ALGO: u16 = 16;
const NUMERIC_METRICS: &[(&str, u16)] = &[
    ("mtu", RTAX_MTU),
    ("window", 3),
    ("ssthresh", 6),
    ("cwnd", 7),
    ("advmss", 8),
    ("reordering", 9),
    ("hoplimit", 10),
    ("initcwnd", 11),
    ("initrwnd", 14),
    ("quickack", 15),
    ("fastopen_no_cookie", 17),
];
const RTAX_FEATURES: u16 = 12;
/// The times (`conf_parser::route_time`): `rtt`, `rttvar`, `rto_min`.
const TIME_METRICS: &[(&str, u16)] = &[("rtt", 4), ("rttvar", 5), ("rto_min", 13)];

/// The route types `ip route` names, by their `RTN_*` number.
const ROUTE_TYPES: &[(&str, u8)] = &[
    ("unicast", 1),
    ("local", 2),
    ("broadcast", 3),
    ("anycast", 4),
    ("multicast", 5),
    ("blackhole", 6),
    ("unreachable", 7),
    ("prohibit", 8),
    ("throw", 9),
    ("nat", 10),
    ("xresolve", 11),
];

/// The table number of a `table` value: a number or one of the names every system has.
pub fn table_number(t: &str) -> Option<u32> {
    match t {
        "main" => Some(254),
        "local" => Some(255),
        "default" => Some(253),
        n => n.parse().ok(),
    }
}

/// A scope's number: `host`, `link`, `site`, `global`/`universe`, `nowhere`, or a number.
pub fn scope_number(s: &str) -> Result<u8, String> {
    Ok(match s {
        "global" | "universe" => 0,
        "site" => 200,
        "link" => 253,
        "host" => 254,
        "nowhere" => 255,
        n => n.parse().map_err(|_| format!("unknown scope '{n}'"))?,
    })
}

/// `realms [FROM/]TO` as the kernel's number; numbers only (the host check,
/// `conf_parser::host`, has put the numbers of names from /etc/iproute2/rt_realms).
pub fn realms_number(s: &str) -> Result<u32, String> {
    let num = |t: &str| {
        t.parse::<u16>()
            .map_err(|_| format!("realms {s} (not a number)"))
    };
    match s.split_once('/') {
        Some((from, to)) => Ok(u32::from(num(from)?) << 16 | u32::from(num(to)?)),
        None => Ok(u32::from(num(s)?)),
    }
}

/// A `tos`/`dsfield` value: a number, decimal or 0x hex (as keepalived reads it: `tos 10` is
/// ten); the host check (`conf_parser::host`) has put the numbers of names from
/// /etc/iproute2/rt_dsfield, and of octal numbers.
pub fn tos_number(s: &str) -> Result<u8, String> {
    let v = match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(hex) => u8::from_str_radix(hex, 16).ok(),
        None => s.parse().ok(),
    };
    v.ok_or_else(|| format!("tos {s} (not a number)"))
}

fn prefix(d: &Dest, ipv6: bool) -> (IpAddr, u8) {
    match d {
        Dest::Prefix(p) => (p.addr, p.len),
        Dest::Default if ipv6 => (std::net::Ipv6Addr::UNSPECIFIED.into(), 0),
        Dest::Default => (std::net::Ipv4Addr::UNSPECIFIED.into(), 0),
    }
}

/// The metrics and IPv6 options of `extra` (the words the parser kept as written), or the
/// first option this daemon cannot install.
fn extra_options(r: &Route, out: &mut VRoute) -> Result<(), String> {
    let mut words = r.extra.iter().map(String::as_str);
    while let Some(w) = words.next() {
        let mut value = || words.next().ok_or_else(|| format!("{w} without a value"));
        match w {
            "encap" | "ttl-propagate" => return Err(w.to_string()),
            "expires" => {
                let v = value()?;
                out.expires = Some(v.parse().map_err(|_| format!("expires {v}"))?);
            }
            "pref" => {
                out.pref = Some(match value()? {
                    "low" => 3,
                    "medium" => 0,
                    "high" => 1,
                    n => n.parse().map_err(|_| format!("pref {n}"))?,
                });
            }
            "realms" => out.realms = Some(realms_number(value()?)?),
            "features" => {
                // The parser lets only `ecn` through.
                value()?;
                out.metrics.values.push((RTAX_FEATURES, 1));
            }
            name => {
                let mut v = value()?;
                let locked = v == "lock";
                if locked {
                    v = words
                        .next()
                        .ok_or_else(|| format!("{name} lock without a value"))?;
                }
                let rtax = if name == "congctl" {
                    out.metrics.congctl = Some(v.to_string());
                    RTAX_CC_ALGO
                } else if let Some(&(_, rtax)) = TIME_METRICS.iter().find(|(n, _)| *n == name) {
                    // The parser has checked the value; keepalived's bounds and rounding.
                    let t = conf_parser::route_time::route_time(name, v)?;
                    out.metrics.values.push((rtax, t.raw));
                    rtax
                } else {
                    let &(_, rtax) = NUMERIC_METRICS
                        .iter()
                        .find(|(n, _)| *n == name)
                        .ok_or_else(|| format!("option {name}"))?;
                    let n = conf_number(v).ok_or_else(|| format!("{name} {v}"))?;
                    out.metrics.values.push((rtax, n));
                    rtax
                };
                if locked {
                    out.metrics.lock |= 1 << rtax;
                }
            }
        }
    }
    Ok(())
}

/// A number as the parser lets it through (decimal, or hex with 0x).
fn conf_number(s: &str) -> Option<u32> {
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(hex) => u32::from_str_radix(hex, 16).ok(),
        None => s.parse().ok(),
    }
}

fn hop(n: &Nexthop) -> Result<Hop, String> {
    let mut realms = None;
    let mut words = n.extra.iter().map(String::as_str);
    while let Some(w) = words.next() {
        match (w, words.next()) {
            ("realms", Some(v)) => realms = Some(realms_number(v)?),
            _ => return Err(format!("a nexthop with {w}")),
        }
    }
    Ok(Hop {
        via: n.via,
        dev: n.dev.clone(),
        weight: n.weight.unwrap_or(1),
        weight_written: n.weight.is_some(),
        onlink: n.onlink,
        realms,
    })
}

/// The route as this daemon installs it, or why it cannot (a few words naming the option).
pub fn route_plan(r: &Route) -> Result<VRoute, String> {
    let ipv6 = r.family == Family::Inet6;
    let text = format!(
        "{}{}",
        r.route_type
            .as_deref()
            .map(|t| format!("{t} "))
            .unwrap_or_default(),
        r.to
    );
    let kind = match r.route_type.as_deref() {
        None => 1,
        Some(t) => ROUTE_TYPES
            .iter()
            .find(|(n, _)| *n == t)
            .map(|&(_, k)| k)
            .ok_or_else(|| format!("route type {t}"))?,
    };
    if let Some(vrf) = &r.vrf {
        return Err(format!("vrf {vrf} (write the VRF's table instead)"));
    }
    let table = table_number(&r.table).ok_or_else(|| format!("table {}", r.table))?;
    let mut out = VRoute {
        ipv6,
        to: prefix(&r.to, ipv6),
        from: r.from.as_ref().map(|d| prefix(d, ipv6)),
        kind,
        via: r.via,
        dev: r.dev.clone(),
        src: r.src,
        table,
        metric: r.metric,
        scope: r.scope.as_deref().map(scope_number).transpose()?,
        tos: r.tos.as_deref().map(tos_number).transpose()?.unwrap_or(0),
        onlink: r.onlink,
        protocol: match r.protocol.as_deref() {
            None | Some("keepalived") => 18,
            Some("redirect") => 1,
            Some("kernel") => 2,
            Some("boot") => 3,
            Some("static") => 4,
            Some(n) => n.parse().map_err(|_| format!("protocol {n}"))?,
        },
        mode: r.mode,
        nexthops: r.nexthop.iter().map(hop).collect::<Result<_, _>>()?,
        metrics: Metrics::default(),
        realms: None,
        tracked: r.dev.is_some() && !r.no_track,
        expires: None,
        pref: None,
        no_track_written: r.no_track,
        protocol_written: r.protocol.is_some(),
        text,
    };
    extra_options(r, &mut out)?;
    Ok(out)
}

fn invalid(text: &str, e: impl std::fmt::Display) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, format!("route {text}: {e}"))
}

/// The rtnetlink message for `r`; `ifindex` names the interfaces (`dev`, a next hop's `dev`).
pub fn route_message(
    r: &VRoute,
    ifindex: impl Fn(&str) -> io::Result<u32>,
) -> io::Result<RouteMessage> {
    let mut m = RouteMessage::default();
    let h = &mut m.header;
    h.address_family = if r.ipv6 {
        AddressFamily::Inet6
    } else {
        AddressFamily::Inet
    };
    h.destination_prefix_length = r.to.1;
    h.tos = r.tos;
    h.protocol = RouteProtocol::from(r.protocol);
    h.scope = RouteScope::from(r.scope.unwrap_or(0));
    h.kind = RouteType::from(r.kind);
    if r.onlink {
        h.flags.insert(RouteFlags::Onlink);
    }
    if r.table > 255 {
        h.table = 0; // RT_TABLE_UNSPEC, as `ip route`: the number is in the attribute
    } else {
        h.table = r.table as u8;
    }
    let a = &mut m.attributes;
    a.push(RouteAttribute::Table(r.table));
    if r.to.1 > 0 || !r.to.0.is_unspecified() {
        a.push(RouteAttribute::Destination(RouteAddress::from(r.to.0)));
    }
    if let Some((addr, len)) = r.from {
        m.header.source_prefix_length = len;
        a.push(RouteAttribute::Source(RouteAddress::from(addr)));
    }
    if let Some(src) = r.src {
        a.push(RouteAttribute::PrefSource(RouteAddress::from(src)));
    }
    if let Some(via) = r.via {
        if via.is_ipv6() != r.ipv6 {
            return Err(invalid(&r.text, "gateway of the other family"));
        }
        a.push(RouteAttribute::Gateway(RouteAddress::from(via)));
    }
    if let Some(dev) = &r.dev {
        a.push(RouteAttribute::Oif(ifindex(dev)?));
    }
    if let Some(metric) = r.metric {
        a.push(RouteAttribute::Priority(metric));
    }
    if let Some(realms) = r.realms {
        a.push(RouteAttribute::Realm(realm(realms)));
    }
    if let Some(e) = r.expires {
        a.push(RouteAttribute::Expires(e));
    }
    if let Some(p) = r.pref {
        a.push(RouteAttribute::Preference(RoutePreference::from(p)));
    }
    if !r.metrics.is_empty() {
        let mut ms = Vec::new();
        if r.metrics.lock != 0 {
            ms.push(RouteMetric::Lock(r.metrics.lock));
        }
        for &(rtax, v) in &r.metrics.values {
            ms.push(metric(rtax, v));
        }
        if let Some(cc) = &r.metrics.congctl {
            ms.push(RouteMetric::CcAlgo(cc.clone()));
        }
        a.push(RouteAttribute::Metrics(ms));
    }
    if !r.nexthops.is_empty() {
        let mut hops = Vec::new();
        for n in &r.nexthops {
            let mut h = RouteNextHop::default();
            h.hops = (n.weight.clamp(1, 256) - 1) as u8;
            if n.onlink {
                h.flags.insert(RouteNextHopFlags::Onlink);
            }
            if let Some(dev) = &n.dev {
                h.interface_index = ifindex(dev)?;
            }
            if let Some(via) = n.via {
                h.attributes
                    .push(RouteAttribute::Gateway(RouteAddress::from(via)));
            }
            if let Some(realms) = n.realms {
                h.attributes.push(RouteAttribute::Realm(realm(realms)));
            }
            hops.push(h);
        }
        m.attributes.push(RouteAttribute::MultiPath(hops));
    }
    Ok(m)
}

fn realm(v: u32) -> RouteRealm {
    RouteRealm {
        source: (v >> 16) as u16,
        destination: v as u16,
    }
}

fn metric(rtax: u16, v: u32) -> RouteMetric {
    match rtax {
        2 => RouteMetric::Mtu(v),
        3 => RouteMetric::Window(v),
        4 => RouteMetric::Rtt(v),
        5 => RouteMetric::RttVar(v),
        13 => RouteMetric::RtoMin(v),
        6 => RouteMetric::SsThresh(v),
        7 => RouteMetric::Cwnd(v),
        8 => RouteMetric::Advmss(v),
        9 => RouteMetric::Reordering(v),
        10 => RouteMetric::Hoplimit(v),
        11 => RouteMetric::InitCwnd(v),
        12 => RouteMetric::Features(v),
        14 => RouteMetric::InitRwnd(v),
        15 => RouteMetric::QuickAck(v),
        _ => RouteMetric::FastopenNoCookie(v),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn routes(lines: &str) -> Vec<Result<VRoute, String>> {
        let text = format!(
            "vrrp_instance A {{\n interface eth0\n virtual_router_id 1\n virtual_ipaddress {{\n 10.0.0.1/24\n }}\n virtual_routes {{\n{lines} }}\n}}\n"
        );
        let p = conf_parser::parse_str("t.conf", &text, &conf_parser::Options::default());
        assert!(p.is_ok(), "{}", p.render_diagnostics());
        p.config.vrrp.vrrp_instance[0]
            .virtual_routes
            .iter()
            .map(route_plan)
            .collect()
    }

    fn one(line: &str) -> VRoute {
        routes(&format!(" {line}\n")).remove(0).unwrap()
    }

    fn index(dev: &str) -> io::Result<u32> {
        Ok(match dev {
            "eth0" => 2,
            _ => 3,
        })
    }

    #[test]
    fn a_plain_route_is_global_and_keepalived_s() {
        let r = one("192.0.2.0/24 dev eth0");
        assert_eq!(r.kind, 1);
        assert_eq!(r.scope, None);
        assert_eq!(r.protocol, 18);
        let m = route_message(&r, index).unwrap();
        // keepalived 2.2.7 gives `scope global` where `ip route` would give `link` (measured).
        assert_eq!(m.header.scope, RouteScope::Universe);
        assert_eq!(m.header.protocol, RouteProtocol::from(18));
        assert_eq!(m.header.table, 254);
        assert!(m.attributes.contains(&RouteAttribute::Oif(2)));
    }

    #[test]
    fn route_types_tos_and_tables() {
        let r = one("unreachable 192.0.2.128/25 table 100");
        assert_eq!((r.kind, r.table), (7, 100));
        assert_eq!(one("throw 192.0.2.0/27").kind, 9);
        assert_eq!(one("prohibit 192.0.2.0/27").kind, 8);
        assert_eq!(one("192.0.2.0/27 via 10.0.0.2 tos 0x10").tos, 16);
        // keepalived reads `tos 10` as ten, not 0x10.
        assert_eq!(one("192.0.2.0/27 via 10.0.0.2 tos 10").tos, 10);
        let big = one("192.0.2.0/27 via 10.0.0.2 table 1000");
        let m = route_message(&big, index).unwrap();
        assert!(m.attributes.contains(&RouteAttribute::Table(1000)));
    }

    #[test]
    fn metrics_with_locks() {
        let r = one("192.0.2.0/24 via 10.0.0.2 mtu lock 1400 advmss 1300 congctl lock cubic features ecn realms 3/4");
        assert_eq!(r.metrics.values, vec![(2, 1400), (8, 1300), (12, 1)]);
        assert_eq!(r.metrics.lock, 1 << 2 | 1 << 16);
        assert_eq!(r.metrics.congctl.as_deref(), Some("cubic"));
        assert_eq!(r.realms, Some(3 << 16 | 4));
        let m = route_message(&r, index).unwrap();
        let metrics = m.attributes.iter().find_map(|a| match a {
            RouteAttribute::Metrics(ms) => Some(ms.clone()),
            _ => None,
        });
        assert_eq!(
            metrics,
            Some(vec![
                RouteMetric::Lock(1 << 2 | 1 << 16),
                RouteMetric::Mtu(1400),
                RouteMetric::Advmss(1300),
                RouteMetric::Features(1),
                RouteMetric::CcAlgo("cubic".into()),
            ])
        );
    }

    #[test]
    fn times_as_keepalived_bounds_them() {
        let r = one("192.0.2.0/24 via 10.0.0.2 rtt lock 10ms rttvar 1s rto_min 1000");
        assert_eq!(r.metrics.values, vec![(4, 1600), (5, 4000), (13, 1000)]);
        assert_eq!(r.metrics.lock, 1 << 4);
        let m = route_message(&r, index).unwrap();
        assert!(m.attributes.contains(&RouteAttribute::Metrics(vec![
            RouteMetric::Lock(1 << 4),
            RouteMetric::Rtt(1600),
            RouteMetric::RttVar(4000),
            RouteMetric::RtoMin(1000),
        ])));
    }

    #[test]
    fn multipath_and_ipv6_options() {
        let r =
            one("192.0.2.16/28 nexthop via 10.0.0.2 weight 2 nexthop via 10.0.0.3 dev eth1 onlink");
        assert_eq!(r.nexthops.len(), 2);
        let m = route_message(&r, index).unwrap();
        let hops = m
            .attributes
            .iter()
            .find_map(|a| match a {
                RouteAttribute::MultiPath(h) => Some(h.clone()),
                _ => None,
            })
            .unwrap();
        assert_eq!(hops[0].hops, 1);
        assert_eq!(hops[1].interface_index, 3);
        assert!(hops[1].flags.contains(RouteNextHopFlags::Onlink));
        let r =
            one("2001:db8:1::/48 from fd09::100/128 via fd09::fe dev eth0 pref high expires 300");
        assert_eq!(r.from, Some(("fd09::100".parse().unwrap(), 128)));
        assert_eq!((r.pref, r.expires), (Some(1), Some(300)));
        let m = route_message(&r, index).unwrap();
        assert_eq!(m.header.source_prefix_length, 128);
        assert_eq!(m.header.address_family, AddressFamily::Inet6);
    }

    #[test]
    fn what_cannot_be_installed_says_why() {
        let got = routes(" 192.0.2.0/24 via 10.0.0.2 ttl-propagate enabled\n 192.0.2.0/24 via 10.0.0.2 table vip\n 192.0.2.0/24 via 10.0.0.2 vrf blue\n 192.0.2.0/24 via 10.0.0.2 tos lowdelay\n 192.0.2.0/24 encap mpls 200 via 10.0.0.2\n");
        let why: Vec<String> = got.into_iter().map(|r| r.unwrap_err()).collect();
        assert!(why[0].starts_with("ttl-propagate"), "{why:?}");
        assert_eq!(why[1], "table vip");
        assert!(why[2].starts_with("vrf blue"), "{why:?}");
        assert!(why[3].starts_with("tos lowdelay"), "{why:?}");
        assert_eq!(why[4], "encap");
    }
}
