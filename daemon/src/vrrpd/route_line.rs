//! A route or rule as keepalived 2.2.7 writes it in its data dump (`Static Routes`, `Static
//! Rules`, an instance's `Virtual Routes` and `Virtual Rules`): read off its own dumps of the
//! same lines (netns_dump_statics.rs compares them). keepalived appends ` [installed ifindex
//! N]` or ` [dev X]` to an installed route when what its netlink monitor saw differs from the
//! line; those depend on its bookkeeping of the kernel's events, and are left out.

use std::net::IpAddr;

use conf_parser::model::vrrp::RouteMode;

use super::route::VRoute;
use super::rule::{VRule, Verdict};

/// `ADDR/LEN`, a host address without its length.
fn prefix((a, l): (IpAddr, u8)) -> String {
    if l == if a.is_ipv6() { 128 } else { 32 } {
        a.to_string()
    } else {
        format!("{a}/{l}")
    }
}

fn family(a: &IpAddr) -> &'static str {
    if a.is_ipv6() {
        "inet6"
    } else {
        "inet"
    }
}

fn route_type(kind: u8) -> String {
    match kind {
        1 => "unicast",
        2 => "local",
        3 => "broadcast",
        4 => "anycast",
        5 => "multicast",
        6 => "blackhole",
        7 => "unreachable",
        8 => "prohibit",
        9 => "throw",
        10 => "nat",
        11 => "xresolve",
        n => return n.to_string(),
    }
    .to_string()
}

/// `realms FROM/TO`, or `realm TO` without a FROM.
fn realms(r: u32, wide: bool) -> String {
    if wide {
        format!(" realms {}/{}", r >> 16, r & 0xffff)
    } else {
        format!(" realm {}", r & 0xffff)
    }
}

/// keepalived's order of the metrics it writes, with whether it writes `lock`.
const METRICS: &[(u16, &str, bool)] = &[
    (2, "mtu", true),
    (3, "window", false),
    (6, "ssthresh", true),
    (7, "cwnd", true),
    (8, "advmss", true),
    (9, "reordering", true),
    (10, "hoplimit", false),
    (11, "initcwnd", false),
    (14, "initrwnd", false),
    (15, "quickack", false),
];
const RTAX_FEATURES: u16 = 12;
const RTAX_CC_ALGO: u16 = 16;
/// `rtt`, `rttvar`, `rto_min`: their RTAX numbers and the kernel's units per millisecond.
const TIMES: &[(u16, &str, u32)] = &[(4, "rtt", 8), (5, "rttvar", 4), (13, "rto_min", 1)];

/// A time metric as keepalived writes it: `200.125ms`, `1.5s` (C's `%g`: six significant
/// digits, trailing zeros dropped).
fn time(raw: u32, per_ms: u32) -> String {
    let ms = f64::from(raw) / f64::from(per_ms);
    if ms >= 1000.0 {
        format!("{}s", g(ms / 1000.0))
    } else {
        format!("{}ms", g(ms))
    }
}

/// `%g` of a positive number below 10^6.
fn g(x: f64) -> String {
    if x == 0.0 {
        return "0".into();
    }
    let decimals = (5 - x.abs().log10().floor() as i32).max(0) as usize;
    let t = format!("{x:.decimals$}");
    if t.contains('.') {
        t.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        t
    }
}
const RTAX_FASTOPEN_NO_COOKIE: u16 = 17;

/// `prepend 192.0.2.0/24 via inet 10.9.0.254 dev eth0 proto 18 metric 7`.
pub fn route_line(r: &VRoute) -> String {
    let mode = match r.mode {
        RouteMode::Add => "add",
        RouteMode::Append => "append",
        // keepalived adds the routes of the other types (measured: `add unreachable ...`).
        RouteMode::Prepend if r.kind == 1 => "prepend",
        RouteMode::Prepend => "add",
    };
    let mut s = format!("{mode} ");
    if r.kind != 1 {
        s.push_str(&route_type(r.kind));
        s.push(' ');
    }
    s.push_str(&prefix(r.to));
    if let Some(f) = r.from {
        s.push_str(&format!(" from {}", prefix(f)));
    }
    if let Some(src) = r.src {
        s.push_str(&format!(" src {src}"));
    }
    if r.tos != 0 {
        s.push_str(&format!(" tos {}", r.tos));
    }
    if let Some(v) = r.via {
        s.push_str(&format!(" via {} {v}", family(&v)));
    }
    if let Some(d) = &r.dev {
        s.push_str(&format!(" dev {d}"));
    }
    if r.table != 254 {
        s.push_str(&format!(" table {}", r.table));
    }
    if !r.no_track_written || r.protocol_written {
        s.push_str(&format!(" proto {}", r.protocol));
    }
    if let Some(sc) = r.scope {
        s.push_str(&format!(" scope {sc}"));
    }
    if let Some(m) = r.metric {
        s.push_str(&format!(" metric {m}"));
    }
    if r.onlink && !r.ipv6 {
        s.push_str(" onlink");
    }
    let wide = r.realms.is_some_and(|x| x & 0xffff_0000 != 0);
    if let Some(x) = r.realms.filter(|&x| x != 0) {
        s.push_str(&realms(x, wide));
    }
    if let Some(e) = r.expires {
        s.push_str(&format!(" expires {e}sec"));
    }
    let m = &r.metrics;
    let locked = |rtax: u16| m.lock & (1 << rtax) != 0;
    let value = |rtax: u16| m.values.iter().find(|(k, _)| *k == rtax).map(|&(_, v)| v);
    if let Some(c) = &m.congctl {
        // keepalived writes the lock after the name, without a space.
        let lock = if locked(RTAX_CC_ALGO) { "lock " } else { "" };
        s.push_str(&format!(" congctl {c}{lock}"));
    }
    // The times between congctl and features, in milliseconds or seconds (measured).
    for &(rtax, name, per_ms) in TIMES {
        if let Some(v) = value(rtax) {
            let lock = if locked(rtax) { "lock " } else { "" };
            s.push_str(&format!(" {name} {lock}{}", time(v, per_ms)));
        }
    }
    if value(RTAX_FEATURES).is_some_and(|f| f & 1 != 0) {
        s.push_str(" features ecn");
    }
    for &(rtax, name, lock_shown) in METRICS {
        if let Some(v) = value(rtax) {
            let lock = if lock_shown && locked(rtax) {
                "lock "
            } else {
                ""
            };
            s.push_str(&format!(" {name} {lock}{v}"));
        }
    }
    if let Some(p) = r.pref {
        let word = match p {
            3 => "low",
            0 => "medium",
            1 => "high",
            _ => "unknown",
        };
        s.push_str(&format!(" pref {word}"));
    }
    if let Some(v) = value(RTAX_FASTOPEN_NO_COOKIE) {
        s.push_str(&format!(" fastopen_no_cookie {v}"));
    }
    for h in &r.nexthops {
        s.push_str(" nexthop");
        if let Some(v) = h.via {
            s.push_str(&format!(" via {} {v}", family(&v)));
        }
        if let Some(d) = &h.dev {
            s.push_str(&format!(" dev {d}"));
        }
        if h.weight_written {
            s.push_str(&format!(" weight {}", h.weight));
        }
        if h.onlink {
            s.push_str(" onlink");
        }
        if let Some(x) = h.realms.filter(|&x| x != 0) {
            // keepalived decides `realms`/`realm` by the route's own realms (as it does).
            s.push_str(&realms(x, wide));
        }
    }
    if !r.tracked {
        s.push_str(" no_track");
    }
    s
}

/// `from 10.9.0.100 priority 100 tos 0x0 protocol 18 lookup 100`.
pub fn rule_line(r: &VRule) -> String {
    let mut s = String::new();
    if r.invert {
        s.push_str("not ");
    }
    match (r.from, r.from_all) {
        (Some(f), _) => s.push_str(&format!("from {}", prefix(f))),
        (None, true) => s.push_str(if r.ipv6 {
            "from ::/0"
        } else {
            "from 0.0.0.0/0"
        }),
        (None, false) => s.push_str("from all"),
    }
    if let Some(t) = r.to {
        s.push_str(&format!(" to {}", prefix(t)));
    }
    s.push_str(&format!(" priority {} tos {:#x}", r.priority, r.tos));
    if let Some((mark, mask)) = r.fwmark {
        s.push_str(&format!(" fwmark {mark:#x}"));
        if let Some(m) = mask.filter(|&m| m != u32::MAX) {
            s.push_str(&format!("/{m:#x}"));
        }
    }
    if let Some(i) = &r.iif {
        s.push_str(&format!(" iif {i}"));
    }
    if let Some(o) = &r.oif {
        s.push_str(&format!(" oif {o}"));
    }
    if let Some(n) = r.suppress_prefixlength {
        s.push_str(&format!(" suppress_prefixlen {n}"));
    }
    if let Some(g) = r.suppress_ifgroup {
        s.push_str(&format!(" suppress_ifgroup {g}"));
    }
    if let Some(t) = r.tunnel_id.filter(|&t| t != 0) {
        s.push_str(&format!(" tunnel-id {t}"));
    }
    if let Some((a, b)) = r.uidrange {
        s.push_str(&format!(" uidrange {a}-{b}"));
    }
    if r.verdict == Verdict::L3mdev {
        s.push_str(" l3mdev");
    }
    s.push_str(&format!(" protocol {}", r.protocol));
    if let Some(p) = r.ipproto {
        s.push_str(&format!(" ipproto {p}"));
    }
    if let Some((a, b)) = r.sport {
        s.push_str(&format!(" sport {a}-{b}"));
    }
    if let Some((a, b)) = r.dport {
        s.push_str(&format!(" dport {a}-{b}"));
    }
    if let Some(x) = r.realms.filter(|&x| x != 0) {
        s.push_str(&format!(" realms {}/{}", x >> 16, x & 0xffff));
    }
    s.push_str(&match r.verdict {
        Verdict::Table(t) => format!(" lookup {t}"),
        // The table of the VRF device: keepalived keeps table 0.
        Verdict::L3mdev => " lookup 0".into(),
        Verdict::Goto(g) => format!(" goto {g}"),
        Verdict::Nop => " nop".into(),
        Verdict::Blackhole => " type blackhole".into(),
        Verdict::Unreachable => " type unreachable".into(),
        Verdict::Prohibit => " type prohibit".into(),
    });
    if r.no_track {
        s.push_str(" no_track");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vrrpd::plan::plan;

    /// keepalived 2.2.7's dump lines of routes with times (measured).
    #[test]
    fn times_are_written_as_keepalived_writes_them() {
        let routes = "192.0.2.1 dev eth0 rtt 10ms rttvar lock 1s rto_min 300 mtu 1400\n\
            192.0.2.2 dev eth0 rtt lock 1601 rttvar 121s rto_min lock 0.25s\n\
            192.0.2.3 dev eth0 window 100 congctl cubic features ecn ssthresh 5 rto_min 300 \
            rttvar 801 rtt 1.5s mtu 1400 advmss 1300 initcwnd 3\n";
        let p = conf_parser::parse_str(
            "t.conf",
            &format!("static_routes {{\n{routes}}}\n"),
            &conf_parser::Options::default(),
        );
        assert!(p.is_ok(), "{}", p.render_diagnostics());
        let got: Vec<String> = plan(&p.config)
            .unwrap()
            .statics
            .routes
            .iter()
            .map(route_line)
            .collect();
        assert_eq!(
            got,
            [
                "prepend 192.0.2.1 dev eth0 proto 18 rtt 200ms rttvar lock 1s rto_min 300ms mtu 1400",
                "prepend 192.0.2.2 dev eth0 proto 18 rtt lock 200.125ms rttvar 120s rto_min lock 250ms",
                "prepend 192.0.2.3 dev eth0 proto 18 congctl cubic rtt 1.5s rttvar 200.25ms rto_min 300ms features ecn mtu 1400 window 100 ssthresh 5 advmss 1300 initcwnd 3",
            ]
        );
    }

    /// The routes and rules of netns_routes.rs as static ones, and keepalived 2.2.7's dump lines
    /// of them (its `Static Routes` and `Static Rules`, without the bracketed notes).
    #[test]
    fn lines_are_keepalived_s() {
        let routes = concat!(
            include_str!("../../tests/data/route_lines.txt"),
            "198.51.100.0/24 via 10.9.1.254 dev eth1 no_track\n",
            "192.0.2.7 dev eth0 scope link onlink\n",
        );
        let rules = concat!(
            include_str!("../../tests/data/rule_lines.txt"),
            "to 2001:db8::/32 table 100 preference 301\n",
            "iif eth0 sport 1000-2000 table 100 preference 302\n",
        );
        let p = conf_parser::parse_str(
            "t.conf",
            &format!("static_routes {{\n{routes}}}\nstatic_rules {{\n{rules}}}\n"),
            &conf_parser::Options::default(),
        );
        assert!(p.is_ok(), "{}", p.render_diagnostics());
        let s = plan(&p.config).unwrap().statics;
        let got: Vec<String> = s.routes.iter().map(route_line).collect();
        assert_eq!(
            got,
            [
                "prepend 192.0.2.0/24 via inet 10.9.0.254 dev eth0 proto 18 metric 7",
                "prepend 198.51.100.0/24 via inet 10.9.0.254 dev eth0 table 100 proto 18",
                "prepend 203.0.113.0/26 via inet 10.9.0.254 dev eth0 proto 18 realms 3/4 mtu lock 1400 advmss 1300",
                "prepend 203.0.113.128/25 tos 16 via inet 10.9.0.254 dev eth0 proto 18",
                "add unreachable 192.0.2.128/25 proto 18 no_track",
                "add prohibit 192.0.2.64/26 proto 18 no_track",
                "add throw 192.0.2.32/27 table 100 proto 18 no_track",
                "prepend 0.0.0.0/0 src 10.9.0.100 via inet 10.9.0.254 dev eth0 table 100 proto 18",
                "prepend 192.0.2.16/28 proto 18 nexthop via inet 10.9.0.254 weight 2 nexthop via inet 10.9.0.253 weight 1 no_track",
                "prepend 192.0.2.240/28 dev eth0 proto 18",
                "prepend 2001:db8:2::/48 dev eth0 proto 18",
                "prepend 2001:db8:1::/48 from fd09::100 via inet6 fd09::fe dev eth0 proto 18",
                "prepend 198.51.100.0/24 via inet 10.9.1.254 dev eth1 no_track",
                "prepend 192.0.2.7 dev eth0 proto 18 scope 253 onlink",
            ]
        );
        let got: Vec<String> = s.rules.iter().map(rule_line).collect();
        assert_eq!(
            got,
            [
                "from 10.9.0.100 priority 100 tos 0x0 protocol 18 lookup 100",
                "from all to 192.0.2.0/24 priority 101 tos 0x0 protocol 18 lookup 100",
                "from all priority 102 tos 0x10 fwmark 0x3/0xff protocol 18 ipproto 6 dport 80-90 nop",
                "not from 10.9.0.0/24 priority 103 tos 0x0 oif eth0 suppress_prefixlen 0 uidrange 1000-2000 protocol 18 lookup 254",
                "from 0.0.0.0/0 priority 104 tos 0x0 suppress_ifgroup 5 tunnel-id 5 protocol 18 realms 3/4 lookup 100",
                "from 10.9.0.1 priority 105 tos 0x0 protocol 18 type unreachable",
                "from 10.9.0.2 priority 106 tos 0x0 protocol 18 type prohibit",
                "from 10.9.0.3 priority 107 tos 0x0 protocol 18 type blackhole",
                "from fd09::100 priority 100 tos 0x0 protocol 18 lookup 100",
                "from 10.9.0.4 priority 108 tos 0x0 protocol 50 lookup 100 no_track",
                "from all to 198.51.100.0/24 priority 109 tos 0x0 protocol 18 goto 300",
                "from 10.9.0.5 priority 16384 tos 0x0 protocol 18 lookup 100",
                "from all priority 1000 tos 0x0 l3mdev protocol 18 lookup 0",
                "from all to 2001:db8::/32 priority 301 tos 0x0 protocol 18 lookup 100",
                "from all priority 302 tos 0x0 iif eth0 protocol 18 sport 1000-2000 lookup 100",
            ]
        );
    }
}
