//! The LVS keywords: `SSL`, `virtual_server_group`, `virtual_server` (with its real servers
//! and their checkers).
//!
//! A virtual server's own keywords are read before its `real_server` blocks, and a real
//! server's before its checkers, wherever they stand in the block: inherited values (timers,
//! weight, forwarding method) are then known when the inner block is read, so every value in
//! the model is resolved the moment it is stored. What depends on other blocks (a virtual server
//! group named before it is defined, the real servers as a whole) is settled in [`check`].

use super::{kw, Cx, Keyword};
use crate::model::lvs::{
    GroupAddressRange, GroupFwmark, IpFamily, LvsMethod, ScriptCommand, Ssl, TunnelCsum,
    TunnelType, VirtualServerGroup,
};
use crate::model::Config;
use crate::tree::Node;
use std::net::IpAddr;

mod check;
mod checkers;
mod http;
mod server;
#[cfg(test)]
mod tests;

/// The blocks whose keywords a "belongs in" hint may name.
pub(super) fn keyword_homes() -> Vec<(&'static str, &'static str)> {
    let vs = server::vs_keywords()
        .into_iter()
        .map(|k| ("virtual_server", k.name));
    vs.chain(
        server::rs_keywords()
            .into_iter()
            .map(|k| ("real_server", k.name)),
    )
    .collect()
}

pub(super) fn root_keywords() -> Vec<Keyword<Config>> {
    vec![
        kw("SSL", ssl),
        kw("virtual_server_group", virtual_server_group),
        kw("virtual_server", server::virtual_server),
    ]
}

pub(super) fn check(cx: &mut Cx, config: &mut Config) {
    check::check(cx, config);
}

/// The largest timer keepalived-rs accepts (keepalived's own limit is far beyond any use).
pub(super) const MAX_TIMER: f64 = 4_294_967_295.0;
/// The smallest non-zero timer: keepalived's resolution.
pub(super) const MIN_TIMER: f64 = 0.000_001;

fn ssl(cx: &mut Cx, node: &Node, config: &mut Config) {
    cx.arity(node, 0, Some(0));
    if let Some(old) = &config.lvs.ssl {
        cx.warning(
            node.keyword.span,
            format!(
                "SSL is already defined at {}; this one replaces it",
                old.origin
            ),
        );
    }
    let mut ssl = Ssl {
        origin: cx.origin(node.keyword.span),
        password: None,
        ca: None,
        certificate: None,
        key: None,
    };
    let table: Vec<Keyword<Ssl>> = vec![
        kw("password", |cx, n, s| {
            s.password = cx.string(n).or(s.password.take())
        }),
        kw("ca", |cx, n, s| s.ca = cx.string(n).or(s.ca.take())),
        kw("certificate", |cx, n, s| {
            s.certificate = cx.string(n).or(s.certificate.take())
        }),
        kw("key", |cx, n, s| s.key = cx.string(n).or(s.key.take())),
    ];
    let items = cx.block(node);
    cx.decode_items("SSL", items, &table, &mut ssl);
    config.lvs.ssl = Some(ssl);
}

fn virtual_server_group(cx: &mut Cx, node: &Node, config: &mut Config) {
    let name = cx.block_name(node);
    let items = cx.block(node);
    let Some(name) = name else { return };
    let mut group = VirtualServerGroup {
        name,
        origin: cx.origin(node.keyword.span),
        addresses: Vec::new(),
        fwmark: Vec::new(),
    };
    for item in items {
        cx.no_block(item);
        if item.name() == "fwmark" {
            group_fwmark(cx, item, &mut group);
        } else {
            group_address(cx, item, &mut group);
        }
    }
    config.lvs.virtual_server_group.push(group);
}

/// `fwmark N [inet|inet6]` in a virtual server group.
fn group_fwmark(cx: &mut Cx, item: &Node, group: &mut VirtualServerGroup) {
    if !cx.arity(item, 1, Some(2)) {
        return;
    }
    let Some(mark) = item
        .args
        .first()
        .and_then(|w| cx.int_word(item, w, 1, i64::from(u32::MAX)))
    else {
        return;
    };
    let ip_family = match item.args.get(1) {
        None => None,
        Some(w) => match cx.choice_word(item, w, &["inet", "inet6"]) {
            Some("inet") => Some(IpFamily::Inet),
            Some(_) => Some(IpFamily::Inet6),
            None => return,
        },
    };
    group.fwmark.push(GroupFwmark {
        origin: cx.origin(item.keyword.span),
        fwmark: mark as u32,
        ip_family,
    });
}

/// `IP [PORT]`, `IP-LAST [PORT]` (LAST a whole address or the last group of digits) or
/// `IP/LEN [PORT]` in a virtual server group.
fn group_address(cx: &mut Cx, item: &Node, group: &mut VirtualServerGroup) {
    let word = &item.keyword;
    if item.args.len() > 1 {
        let extra = &item.args[1];
        cx.warning(
            extra.span,
            format!(
                "extra argument '{}' after a virtual_server_group address is ignored",
                extra.text
            ),
        );
    }
    let port = match item.args.first() {
        None => None,
        Some(w) => match crate::values::parse_port(&w.text) {
            Ok(0) => None,
            Ok(p) => Some(p),
            Err(e) => {
                cx.error(
                    w.span,
                    format!(
                        "invalid port '{}' for virtual_server_group address {}: {e}",
                        w.text, word.text
                    ),
                );
                return;
            }
        },
    };
    match parse_range(&word.text) {
        Ok((first, last)) => group.addresses.push(GroupAddressRange {
            origin: cx.origin(word.span),
            first,
            last,
            port,
        }),
        Err(why) => {
            cx.error(
                word.span,
                format!(
                    "invalid virtual_server_group address '{}': {why}",
                    word.text
                ),
            );
        }
    }
}

/// An address, a range or a CIDR block, as its first and last addresses.
pub(super) fn parse_range(text: &str) -> Result<(IpAddr, IpAddr), String> {
    if text.contains('/') {
        let p = crate::values::parse_prefix(text)?;
        let (first, last) = match p.addr {
            IpAddr::V4(a) => {
                let host = if p.len >= 32 { 0 } else { u32::MAX >> p.len };
                let v = u32::from(a);
                if v & host != 0 {
                    return Err(format!(
                        "host bits are set; the block starts at {}",
                        std::net::Ipv4Addr::from(v & !host)
                    ));
                }
                (
                    IpAddr::from(std::net::Ipv4Addr::from(v)),
                    IpAddr::from(std::net::Ipv4Addr::from(v | host)),
                )
            }
            IpAddr::V6(a) => {
                let host = if p.len >= 128 { 0 } else { u128::MAX >> p.len };
                let v = u128::from(a);
                if v & host != 0 {
                    return Err(format!(
                        "host bits are set; the block starts at {}",
                        std::net::Ipv6Addr::from(v & !host)
                    ));
                }
                (
                    IpAddr::from(std::net::Ipv6Addr::from(v)),
                    IpAddr::from(std::net::Ipv6Addr::from(v | host)),
                )
            }
        };
        return Ok((first, last));
    }
    let Some((a, b)) = text.split_once('-') else {
        let ip = crate::values::parse_ip(text)?;
        return Ok((ip, ip));
    };
    let first = crate::values::parse_ip(a)?;
    let last = if let Ok(ip) = b.parse::<IpAddr>() {
        ip
    } else {
        // The short form replaces the last group of the first address: 10.0.0.1-10, ae00::2-9.
        match first {
            IpAddr::V4(f) => {
                let n: u8 = b
                    .parse()
                    .map_err(|_| format!("range end '{b}' is not 0..255 or an address"))?;
                let mut o = f.octets();
                o[3] = n;
                IpAddr::from(o)
            }
            IpAddr::V6(f) => {
                let n = u16::from_str_radix(b, 16)
                    .map_err(|_| format!("range end '{b}' is not a hex group or an address"))?;
                let mut s = f.segments();
                s[7] = n;
                IpAddr::from(s)
            }
        }
    };
    if first.is_ipv4() != last.is_ipv4() {
        return Err("the range's ends are of different address families".into());
    }
    if last <= first {
        return Err(format!(
            "the range's end {last} is not after its start {first}"
        ));
    }
    Ok((first, last))
}

/// `lvs_method NAT|DR|TUN [type ipip|gue port N|gre] [nocsum|csum|remcsum]` (also for
/// `sorry_server_lvs_method` and a real server's `lvs_method`).
pub(super) fn lvs_method(cx: &mut Cx, node: &Node) -> Option<LvsMethod> {
    cx.no_block(node);
    if !cx.arity(node, 1, None) {
        return None;
    }
    let method = cx.choice_word(node, &node.args[0], &["NAT", "DR", "TUN"])?;
    let rest = &node.args[1..];
    match method {
        "NAT" | "DR" => {
            if let Some(extra) = rest.first() {
                cx.warning(
                    extra.span,
                    format!(
                        "extra argument '{}' after {} is ignored",
                        extra.text,
                        node.name()
                    ),
                )
                .with_help("tunnel options are only for TUN");
            }
            Some(if method == "NAT" {
                LvsMethod::NAT
            } else {
                LvsMethod::DR
            })
        }
        _ => {
            let mut tunnel_type = TunnelType::Ipip;
            let mut port: Option<u16> = None;
            let mut csum = TunnelCsum::Nocsum;
            let mut i = 0;
            while let Some(w) = rest.get(i) {
                match w.text.as_str() {
                    "type" | "port" => {
                        let Some(v) = rest.get(i + 1) else {
                            cx.error(
                                w.span,
                                format!("{} TUN: '{}' needs a value", node.name(), w.text),
                            );
                            return None;
                        };
                        if w.text == "type" {
                            tunnel_type = match cx.choice_word(node, v, &["ipip", "gue", "gre"])? {
                                "ipip" => TunnelType::Ipip,
                                "gue" => TunnelType::Gue,
                                _ => TunnelType::Gre,
                            };
                        } else {
                            port = Some(cx.int_word(node, v, 1, 65535)? as u16);
                        }
                        i += 2;
                    }
                    "nocsum" => (csum, i) = (TunnelCsum::Nocsum, i + 1),
                    "csum" => (csum, i) = (TunnelCsum::Csum, i + 1),
                    "remcsum" => (csum, i) = (TunnelCsum::Remcsum, i + 1),
                    _ => {
                        cx.invalid(node, w, "expected type, port, nocsum, csum or remcsum");
                        return None;
                    }
                }
            }
            let span = node.span();
            if (tunnel_type == TunnelType::Gue) != port.is_some() {
                let msg = if port.is_some() {
                    format!("{}: a port is only for gue tunnels", node.name())
                } else {
                    format!("{}: a gue tunnel needs a port ('port N')", node.name())
                };
                cx.error(span, msg);
                return None;
            }
            if tunnel_type == TunnelType::Ipip && csum != TunnelCsum::Nocsum {
                cx.error(
                    span,
                    format!("{}: ipip tunnels take no checksum option", node.name()),
                );
                return None;
            }
            if tunnel_type == TunnelType::Gre && csum == TunnelCsum::Remcsum {
                cx.error(
                    span,
                    format!("{}: gre tunnels do not support remcsum", node.name()),
                );
                return None;
            }
            Some(LvsMethod::TUN {
                tunnel_type,
                port,
                csum,
            })
        }
    }
}

/// `COMMAND [USER [GROUP]]`.
pub(super) fn notify_script(cx: &mut Cx, node: &Node) -> Option<ScriptCommand> {
    cx.script(node)
}
