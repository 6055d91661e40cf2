//! Policy-routing rules keepalived installs (`virtual_rules`): the model's `ip rule` line
//! translated into what the kernel is given, and the rtnetlink message that carries it. Pure:
//! no socket here (kernel.rs sends the message).
//!
//! As keepalived 2.2.7 (measured): protocol 18 (`keepalived`) unless `no_track` keeps another;
//! a rule written without a preference gets one from the parser (16384, then one less for each
//! such rule of the family, in file order).

use std::net::IpAddr;

use conf_parser::model::vrrp::{Dest, Family, Rule};
use rtnetlink::packet_route::route::{RouteProtocol, RouteRealm};
use rtnetlink::packet_route::rule::{
    RuleAction, RuleAttribute, RuleFlags, RuleMessage, RulePortRange, RuleUidRange,
};
use rtnetlink::packet_route::{AddressFamily, IpProtocol};

use super::route::{realms_number, table_number, tos_number};

/// What a matching packet does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// `table N` (`lookup N`).
    Table(u32),
    /// `goto PREF`.
    Goto(u32),
    /// `l3mdev`: the table of the packet's VRF device.
    L3mdev,
    Nop,
    Blackhole,
    Unreachable,
    Prohibit,
}

/// One rule as it is installed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VRule {
    pub ipv6: bool,
    pub priority: u32,
    /// `not`: the selector is inverted.
    pub invert: bool,
    pub from: Option<(IpAddr, u8)>,
    pub to: Option<(IpAddr, u8)>,
    pub verdict: Verdict,
    pub tos: u8,
    /// `fwmark MARK[/MASK]`.
    pub fwmark: Option<(u32, Option<u32>)>,
    /// `realms [FROM/]TO` as the kernel's number (FROM << 16 | TO).
    pub realms: Option<u32>,
    pub suppress_prefixlength: Option<u32>,
    pub suppress_ifgroup: Option<u32>,
    pub iif: Option<String>,
    pub oif: Option<String>,
    pub tunnel_id: Option<u64>,
    pub uidrange: Option<(u32, u32)>,
    pub protocol: u8,
    pub ipproto: Option<u8>,
    pub sport: Option<(u16, u16)>,
    pub dport: Option<(u16, u16)>,
    /// `no_track` written; `from all` written (keepalived's dump shows `from 0.0.0.0/0`,
    /// where a rule without `from` shows `from all`).
    pub no_track: bool,
    pub from_all: bool,
    /// As `ip rule` shows it (selector and action), for logs.
    pub text: String,
}

/// An `ipproto` value: a number or a protocol's name (those of /etc/protocols a rule may use).
fn ipproto_number(s: &str) -> Result<u8, String> {
    const NAMES: &[(&str, u8)] = &[
        ("icmp", 1),
        ("igmp", 2),
        ("tcp", 6),
        ("udp", 17),
        ("gre", 47),
        ("esp", 50),
        ("ah", 51),
        ("ipv6-icmp", 58),
        ("icmpv6", 58),
        ("sctp", 132),
        ("udplite", 136),
    ];
    NAMES
        .iter()
        .find(|(n, _)| *n == s)
        .map(|&(_, v)| v)
        .or_else(|| s.parse().ok())
        .ok_or_else(|| format!("ipproto {s} (write its number)"))
}

fn selector(d: &Option<Dest>) -> Option<(IpAddr, u8)> {
    match d {
        Some(Dest::Prefix(p)) => Some((p.addr, p.len)),
        // `all`/`default`: no selector, as `ip rule` sends it.
        Some(Dest::Default) | None => None,
    }
}

fn show(p: &Option<(IpAddr, u8)>) -> String {
    match p {
        Some((a, l)) if (a.is_ipv4() && *l == 32) || *l == 128 => a.to_string(),
        Some((a, l)) => format!("{a}/{l}"),
        None => "all".into(),
    }
}

/// The rule as this daemon installs it, or why it cannot (a few words naming the option).
pub fn rule_plan(r: &Rule) -> Result<VRule, String> {
    let verdict = if let Some(t) = &r.table {
        Verdict::Table(table_number(t).ok_or_else(|| format!("table {t}"))?)
    } else if let Some(g) = r.goto {
        Verdict::Goto(g)
    } else if r.l3mdev {
        Verdict::L3mdev
    } else {
        match r.rule_type.as_deref() {
            Some("nop") => Verdict::Nop,
            Some("blackhole") => Verdict::Blackhole,
            Some("unreachable") => Verdict::Unreachable,
            Some("prohibit") => Verdict::Prohibit,
            other => return Err(format!("action {}", other.unwrap_or("(none)"))),
        }
    };
    let from = selector(&r.from);
    let to = selector(&r.to);
    let mut text = format!("{}from {}", if r.not { "not " } else { "" }, show(&from));
    if to.is_some() {
        text.push_str(&format!(" to {}", show(&to)));
    }
    let priority = r
        .preference
        .ok_or_else(|| "no preference (the parser gives one)".to_string())?;
    Ok(VRule {
        ipv6: r.family == Family::Inet6,
        priority,
        invert: r.not,
        from,
        to,
        verdict,
        tos: r.tos.as_deref().map(tos_number).transpose()?.unwrap_or(0),
        fwmark: r.fwmark.map(|f| (f.mark, f.mask)),
        realms: r.realms.as_deref().map(realms_number).transpose()?,
        suppress_prefixlength: r.suppress_prefixlength,
        suppress_ifgroup: r
            .suppress_ifgroup
            .as_deref()
            .map(|g| match g {
                "default" => Ok(0),
                n => n
                    .parse()
                    .map_err(|_| format!("suppress_ifgroup {n} (write the group's number)")),
            })
            .transpose()?,
        iif: r.iif.clone(),
        oif: r.oif.clone(),
        tunnel_id: r.tunnel_id,
        uidrange: r.uidrange.map(|u| (u.start, u.end)),
        protocol: r.protocol.unwrap_or(18),
        ipproto: r.ipproto.as_deref().map(ipproto_number).transpose()?,
        sport: r.sport.map(|p| (p.start as u16, p.end as u16)),
        dport: r.dport.map(|p| (p.start as u16, p.end as u16)),
        no_track: r.no_track,
        from_all: matches!(r.from, Some(Dest::Default)),
        text,
    })
}

/// The rtnetlink message that adds (or, sent as a deletion, removes) `r`.
pub fn rule_message(r: &VRule) -> RuleMessage {
    let mut m = RuleMessage::default();
    let h = &mut m.header;
    h.family = if r.ipv6 {
        AddressFamily::Inet6
    } else {
        AddressFamily::Inet
    };
    h.tos = r.tos;
    if r.invert {
        h.flags.insert(RuleFlags::Invert);
    }
    let a = &mut m.attributes;
    a.push(RuleAttribute::Priority(r.priority));
    if let Some((addr, len)) = r.from {
        m.header.src_len = len;
        a.push(RuleAttribute::Source(addr));
    }
    if let Some((addr, len)) = r.to {
        m.header.dst_len = len;
        a.push(RuleAttribute::Destination(addr));
    }
    let action = match r.verdict {
        Verdict::Table(t) => {
            if t > 255 {
                m.header.table = 0; // RT_TABLE_UNSPEC, as `ip rule`: the number is in the attribute
            } else {
                m.header.table = t as u8;
            }
            a.push(RuleAttribute::Table(t));
            RuleAction::ToTable
        }
        Verdict::L3mdev => {
            a.push(RuleAttribute::L3MDev(true));
            RuleAction::ToTable
        }
        Verdict::Goto(g) => {
            a.push(RuleAttribute::Goto(g));
            RuleAction::Goto
        }
        Verdict::Nop => RuleAction::Nop,
        Verdict::Blackhole => RuleAction::Blackhole,
        Verdict::Unreachable => RuleAction::Unreachable,
        Verdict::Prohibit => RuleAction::Prohibit,
    };
    m.header.action = action;
    if let Some((mark, mask)) = r.fwmark {
        a.push(RuleAttribute::FwMark(mark));
        if let Some(mask) = mask {
            a.push(RuleAttribute::FwMask(mask));
        }
    }
    if let Some(v) = r.realms {
        a.push(RuleAttribute::Realm(RouteRealm {
            source: (v >> 16) as u16,
            destination: v as u16,
        }));
    }
    if let Some(v) = r.suppress_prefixlength {
        a.push(RuleAttribute::SuppressPrefixLen(v));
    }
    if let Some(v) = r.suppress_ifgroup {
        a.push(RuleAttribute::SuppressIfGroup(v));
    }
    if let Some(i) = &r.iif {
        a.push(RuleAttribute::Iifname(i.clone()));
    }
    if let Some(o) = &r.oif {
        a.push(RuleAttribute::Oifname(o.clone()));
    }
    if let Some(t) = r.tunnel_id {
        a.push(RuleAttribute::TunId(t));
    }
    if let Some((start, end)) = r.uidrange {
        a.push(RuleAttribute::UidRange(RuleUidRange { start, end }));
    }
    a.push(RuleAttribute::Protocol(RouteProtocol::from(r.protocol)));
    if let Some(p) = r.ipproto {
        a.push(RuleAttribute::IpProtocol(IpProtocol::from(p)));
    }
    if let Some((start, end)) = r.sport {
        a.push(RuleAttribute::SourcePortRange(RulePortRange { start, end }));
    }
    if let Some((start, end)) = r.dport {
        a.push(RuleAttribute::DestinationPortRange(RulePortRange {
            start,
            end,
        }));
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(lines: &str) -> Vec<Result<VRule, String>> {
        let text = format!(
            "vrrp_instance A {{\n interface eth0\n virtual_router_id 1\n virtual_ipaddress {{\n 10.0.0.1/24\n }}\n virtual_rules {{\n{lines} }}\n}}\n"
        );
        let p = conf_parser::parse_str("t.conf", &text, &conf_parser::Options::default());
        assert!(p.is_ok(), "{}", p.render_diagnostics());
        p.config.vrrp.vrrp_instance[0]
            .virtual_rules
            .iter()
            .map(rule_plan)
            .collect()
    }

    fn one(line: &str) -> VRule {
        rules(&format!(" {line}\n")).remove(0).unwrap()
    }

    #[test]
    fn a_source_rule_to_a_table() {
        let r = one("from 10.0.0.1 table 100 preference 100");
        assert_eq!(r.verdict, Verdict::Table(100));
        assert_eq!(r.from, Some(("10.0.0.1".parse().unwrap(), 32)));
        assert_eq!((r.priority, r.protocol), (100, 18));
        assert_eq!(r.text, "from 10.0.0.1");
        let m = rule_message(&r);
        assert_eq!(m.header.action, RuleAction::ToTable);
        assert_eq!(m.header.table, 100);
        assert_eq!(m.header.src_len, 32);
        assert!(m.attributes.contains(&RuleAttribute::Priority(100)));
        assert!(m
            .attributes
            .contains(&RuleAttribute::Protocol(RouteProtocol::from(18))));
    }

    #[test]
    fn selectors_and_actions() {
        let r = one(
            "not to 192.0.2.0/24 fwmark 3/0xff ipproto tcp dport 80-90 tos 0x10 nop preference 102",
        );
        assert!(r.invert);
        assert_eq!(r.verdict, Verdict::Nop);
        assert_eq!(r.fwmark, Some((3, Some(255))));
        assert_eq!((r.ipproto, r.dport, r.tos), (Some(6), Some((80, 90)), 16));
        assert_eq!(r.text, "not from all to 192.0.2.0/24");
        let m = rule_message(&r);
        assert!(m.header.flags.contains(RuleFlags::Invert));
        assert_eq!(m.header.dst_len, 24);
        assert!(m.attributes.contains(&RuleAttribute::FwMask(255)));
        let g = one("from all goto 300 priority 101");
        assert_eq!(g.from, None);
        assert_eq!(rule_message(&g).header.action, RuleAction::Goto);
        let l = rule_message(&one("l3mdev preference 1000"));
        assert!(l.attributes.contains(&RuleAttribute::L3MDev(true)));
        let big = rule_message(&one("from 10.0.0.0/8 lookup 1000 preference 5"));
        assert!(big.attributes.contains(&RuleAttribute::Table(1000)));
        assert_eq!(
            one("from 10.0.0.3 table 100 protocol 50 no_track preference 7").protocol,
            50
        );
        let u = one(
            "from all realms 3/4 suppress_ifgroup 5 uidrange 1000-2000 table main preference 9",
        );
        assert_eq!(u.realms, Some(3 << 16 | 4));
        assert_eq!(u.verdict, Verdict::Table(254));
        assert_eq!(u.uidrange, Some((1000, 2000)));
    }

    #[test]
    fn what_cannot_be_installed_says_why() {
        let why: Vec<String> = rules(" from 10.0.0.1 table vip preference 1\n from 10.0.0.1 ipproto ospf table 1 preference 2\n from all table 1 suppress_ifgroup lan preference 3\n")
            .into_iter()
            .map(|r| r.unwrap_err())
            .collect();
        assert_eq!(why[0], "table vip");
        assert!(why[1].starts_with("ipproto ospf"), "{why:?}");
        assert!(why[2].starts_with("suppress_ifgroup lan"), "{why:?}");
    }
}
