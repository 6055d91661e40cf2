//! One line of `static_ipaddress`, `virtual_ipaddress` or `virtual_ipaddress_excluded`:
//! `IP[/MASK] [brd IP|-|+] [dev IF] [scope S] [label L] [peer IP] [home] [-nodad]
//! [mngtmpaddr] [noprefixroute] [autojoin] [no_track] [use_vmac] [preferred_lft N|forever]
//! [track_group G]`. keepalived drops the whole address when a value is missing or wrong,
//! and ignores (with a complaint) words it does not know; so does this, keeping those words.

use super::line::Line;
use crate::decode::Cx;
use crate::model::vrrp::{Broadcast, IpAddress, Lifetime};
use crate::tree::Node;
use crate::values::{self, IpPrefix};

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Static,
    Virtual,
    Excluded,
}

impl Kind {
    fn block(self) -> &'static str {
        match self {
            Kind::Static => "static_ipaddress",
            Kind::Virtual => "virtual_ipaddress",
            Kind::Excluded => "virtual_ipaddress_excluded",
        }
    }
}

/// Names of address scopes iproute2 knows without /etc/iproute2/rt_scopes.
pub(super) const SCOPES: &[&str] = &["global", "site", "link", "host", "nowhere"];

/// Checks a scope: a standard name or 0..255; another name only warns (it may be defined in
/// /etc/iproute2/rt_scopes on the host). Returns false when it is certainly wrong.
pub(super) fn check_scope(cx: &mut Cx, line: &Line, word: &crate::tree::Word) -> bool {
    if SCOPES.contains(&word.text.as_str()) {
        return true;
    }
    if word.text.bytes().all(|b| b.is_ascii_digit()) {
        if values::parse_int(&word.text, 0, 255).is_ok() {
            return true;
        }
        line.bad(
            cx,
            "scope",
            word,
            "expected a scope name or a number between 0 and 255",
        );
        return false;
    }
    cx.warning(
        word.span,
        format!(
            "scope '{}' in {} is not a standard scope name; keepalived looks it up in /etc/iproute2/rt_scopes",
            word.text, line.block
        ),
    )
    .with_help(format!("standard scopes are {}", SCOPES.join(", ")));
    true
}

/// `ADDR/LEN` with a good address and a length longer than the address: the whole address.
fn too_long_prefix(text: &str) -> Option<IpPrefix> {
    let (addr, len) = text.split_once('/')?;
    let addr = values::parse_ip(addr).ok()?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    (!len.is_empty() && len.bytes().all(|b| b.is_ascii_digit()) && len.len() < 10)
        .then(|| len.parse::<u32>().ok())
        .flatten()
        .filter(|&l| l > max)
        .map(|_| IpPrefix {
            addr,
            len: max as u8,
        })
}

pub(super) fn parse(cx: &mut Cx, node: &Node, kind: Kind) -> Option<IpAddress> {
    let block = kind.block();
    let mut line = Line::new(cx, node, block);
    let first = line.next()?;
    let address = match values::parse_prefix(&first.text) {
        Ok(p) => p,
        Err(e) => match too_long_prefix(&first.text) {
            // keepalived: "Invalid address prefix len 40 for address A/40 - using 32".
            Some(whole) => {
                cx.error(
                    first.span,
                    format!("invalid address '{}' in {block}: {e}", first.text),
                )
                .daemon_uses(&format!("using /{}, as keepalived does", whole.len));
                whole
            }
            None => {
                // keepalived: "VRRP parsed invalid IP A. skipping IP...".
                cx.error(
                    first.span,
                    format!(
                        "invalid address '{}' in {block}: {e}; the line is ignored",
                        first.text
                    ),
                )
                .daemon_runs_on();
                return None;
            }
        },
    };
    let v6 = address.addr.is_ipv6();
    let mut a = IpAddress {
        origin: cx.origin(first.span),
        address,
        brd: None,
        dev: None,
        scope: None,
        label: None,
        peer: None,
        home: false,
        nodad: false,
        mngtmpaddr: false,
        noprefixroute: false,
        autojoin: false,
        no_track: false,
        use_vmac: false,
        preferred_lft: None,
        track_group: None,
        extra: Vec::new(),
    };
    let mut brd_word = None;
    let mut scope_word = None;
    let mut label_word = None;
    let mut track_group_word = None;
    while let Some(opt) = line.next() {
        match opt.text.as_str() {
            "dev" => {
                let w = line.value(cx, opt)?;
                if a.dev.is_some() {
                    cx.error(
                        opt.span,
                        format!(
                            "'dev' is given twice for {} in {block}; the line is ignored",
                            first.text
                        ),
                    );
                    return None;
                }
                a.dev = Some(w.text.to_string());
            }
            "scope" => {
                let w = line.value(cx, opt)?;
                if check_scope(cx, &line, w) {
                    a.scope = Some(w.text.to_string());
                    scope_word = Some(w);
                }
            }
            "brd" | "broadcast" => {
                let w = line.value(cx, opt)?;
                if v6 {
                    cx.error(
                        opt.span,
                        format!(
                            "an IPv6 address has no broadcast address; {} in {block} is ignored",
                            first.text
                        ),
                    );
                    return None;
                }
                a.brd = Some(match w.text.as_str() {
                    "-" => Broadcast::ClearHostBits,
                    "+" => Broadcast::SetHostBits,
                    t => match t.parse::<std::net::Ipv4Addr>() {
                        Ok(ip) => Broadcast::Addr(ip.into()),
                        Err(_) => {
                            line.bad(
                                cx,
                                "brd",
                                w,
                                "expected an IPv4 address, '-' or '+'; the line is ignored",
                            );
                            return None;
                        }
                    },
                });
                brd_word = Some(opt);
            }
            "label" => {
                let w = line.value(cx, opt)?;
                if w.text.chars().count() >= 16 {
                    line.bad(
                        cx,
                        "label",
                        w,
                        "a label is at most 15 characters; the line is ignored",
                    );
                    return None;
                }
                a.label = Some(w.text.to_string());
                label_word = Some(w);
            }
            "peer" => {
                let w = line.value(cx, opt)?;
                if a.peer.is_some() {
                    cx.error(
                        opt.span,
                        format!(
                            "'peer' is given twice for {} in {block}; this one is ignored",
                            first.text
                        ),
                    );
                    continue;
                }
                match values::parse_ip(&w.text) {
                    Err(e) => line.bad(cx, "peer", w, &e),
                    Ok(p) if p.is_ipv6() != v6 => line.bad(
                        cx,
                        "peer",
                        w,
                        "the peer must be of the same family as the address",
                    ),
                    Ok(p) => {
                        let full = if v6 { 128 } else { 32 };
                        if a.address.len != full {
                            cx.warning(
                                first.span,
                                format!(
                                    "the prefix length of {} is ignored: an address with a peer is a /{full}",
                                    first.text
                                ),
                            );
                        }
                        a.address = IpPrefix {
                            addr: a.address.addr,
                            len: full,
                        };
                        a.peer = Some(p);
                    }
                }
            }
            "home" => a.home = true,
            "-nodad" => a.nodad = true,
            "mngtmpaddr" => a.mngtmpaddr = true,
            "noprefixroute" => a.noprefixroute = true,
            "autojoin" => a.autojoin = true,
            "no_track" => a.no_track = true,
            "preferred_lft" => {
                let w = line.value(cx, opt)?;
                if w.text == "forever" {
                    a.preferred_lft = Some(Lifetime::Forever);
                } else {
                    match values::parse_int(&w.text, 0, i64::from(u32::MAX)) {
                        Ok(n) => a.preferred_lft = Some(Lifetime::Secs(n as u32)),
                        Err(_) => line.bad(
                            cx,
                            "preferred_lft",
                            w,
                            "expected seconds (0..4294967295) or forever",
                        ),
                    }
                }
            }
            "track_group" if kind == Kind::Static => {
                let w = line.value(cx, opt)?;
                if a.track_group.is_some() {
                    cx.error(
                        opt.span,
                        format!(
                            "'track_group' is given twice for {} in {block}; this one is ignored",
                            first.text
                        ),
                    );
                    continue;
                }
                a.track_group = Some(w.text.to_string());
                track_group_word = Some(opt);
            }
            "use_vmac" if kind != Kind::Static => a.use_vmac = true,
            "track_group" | "use_vmac" => {
                cx.warning(opt.span, format!("'{}' does not apply to {block}; it is ignored", opt.text)).with_help(
                    if opt.text == "use_vmac" {
                        "use_vmac applies to an instance's virtual_ipaddress and virtual_ipaddress_excluded"
                    } else {
                        "track_group applies to static_ipaddress, static_routes and static_rules"
                    },
                );
                a.extra.push(opt.text.to_string());
                if opt.text == "track_group" {
                    if let Some(w) = line.next() {
                        a.extra.push(w.text.to_string());
                    }
                }
            }
            _ => {
                let d = cx.warning(
                    opt.span,
                    format!(
                        "unknown option '{}' for {} in {block}; it is ignored",
                        opt.text, first.text
                    ),
                );
                if let Some(s) = super::super::did_you_mean(&opt.text, OPTIONS.iter().copied()) {
                    d.with_help(format!("did you mean '{s}'?"));
                }
                a.extra.push(opt.text.to_string());
            }
        }
    }

    if let (Some(brd), Some(_)) = (brd_word, &a.peer) {
        cx.warning(
            brd.span,
            "an address with a peer has no broadcast address; 'brd' is ignored".to_string(),
        );
        a.brd = None;
    } else if let (Some(brd), Some(Broadcast::ClearHostBits | Broadcast::SetHostBits)) =
        (brd_word, a.brd)
    {
        if a.address.len > 30 {
            cx.warning(
                brd.span,
                format!(
                    "a /{} address has no host bits for 'brd' to set or clear; it is ignored",
                    a.address.len
                ),
            );
            a.brd = None;
        }
    }
    if v6 {
        if let Some(w) = scope_word {
            cx.warning(
                w.span,
                format!("IPv6 addresses take no scope in {block}; keepalived ignores it"),
            );
            a.scope = None;
        }
        if let Some(w) = label_word {
            cx.warning(
                w.span,
                format!("IPv6 addresses take no label in {block}; keepalived ignores it"),
            );
            a.label = None;
        }
        if a.preferred_lft.is_none() {
            a.preferred_lft = Some(if a.address.len == 128 {
                Lifetime::Secs(0)
            } else {
                Lifetime::Forever
            });
        }
    }
    if let (Some(tg), None) = (track_group_word, &a.dev) {
        cx.warning(
            tg.span,
            format!(
                "'track_group' needs 'dev' for {} in {block}; it is ignored",
                first.text
            ),
        )
        .with_help("add 'dev IFNAME' so keepalived knows where to watch the address");
        a.track_group = None;
    }
    Some(a)
}

const OPTIONS: &[&str] = &[
    "dev",
    "scope",
    "brd",
    "broadcast",
    "label",
    "peer",
    "home",
    "-nodad",
    "mngtmpaddr",
    "noprefixroute",
    "autojoin",
    "no_track",
    "preferred_lft",
    "track_group",
    "use_vmac",
];
