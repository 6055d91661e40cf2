//! `use_vmac` and `use_ipvlan`: the interface an instance would create for itself.

use super::same_family;
use crate::decode::Cx;
use crate::model::vrrp::{Family, IpvlanMode, UseIpvlan, UseVmac, VrrpInstance};
use crate::tree::{Node, Word};
use crate::values;

/// A name the kernel accepts for a new interface.
fn valid_new_ifname(s: &str) -> bool {
    !s.is_empty()
        && s.chars().count() < 16
        && s != "."
        && s != ".."
        && !s.contains(['/', ':'])
        && !s.contains(char::is_whitespace)
}

/// `XX:XX:XX:XX:XX[:XX]`: a unicast MAC, not one of the RFC 5798 VRRP ranges.
fn check_vmac(s: &str) -> Result<(), &'static str> {
    let octets: Vec<&str> = s.trim_end_matches(':').split(':').collect();
    if !(5..=6).contains(&octets.len())
        || octets
            .iter()
            .any(|o| o.is_empty() || o.len() > 2 || !o.bytes().all(|b| b.is_ascii_hexdigit()))
    {
        return Err("expected a MAC address of 6 hex octets (or 5, the VRID being the last)");
    }
    let b: Vec<u8> = octets
        .iter()
        .filter_map(|o| u8::from_str_radix(o, 16).ok())
        .collect();
    if b.first().is_some_and(|b0| b0 & 1 == 1) {
        return Err("a multicast MAC address cannot be used");
    }
    if b.len() >= 5 && b[..4] == [0x00, 0x00, 0x5e, 0x00] && matches!(b[4], 1 | 2) {
        return Err(
            "00:00:5e:00:01:XX and 00:00:5e:00:02:XX are the standard VRRP MACs; use_vmac uses them without a MAC",
        );
    }
    Ok(())
}

pub(super) fn use_vmac(cx: &mut Cx, n: &Node, i: &mut VrrpInstance) {
    cx.no_block(n);
    let mut v = UseVmac::default();
    let mut words = n.args.iter();
    while let Some(w) = words.next() {
        match w.text.as_str() {
            "netlink_notify_msg" => v.netlink_notify_msg = true,
            "group" => match words.next() {
                Some(g) => v.group = Some(g.text.to_string()),
                None => {
                    cx.error(w.span, "'group' in use_vmac needs a value");
                }
            },
            t if t.contains(':') => {
                if v.mac.is_some() {
                    cx.error(
                        w.span,
                        "use_vmac already has a MAC address; this one is ignored",
                    );
                } else if let Err(e) = check_vmac(t) {
                    cx.invalid(n, w, e);
                } else {
                    v.mac = Some(t.into());
                }
            }
            _ => new_ifname(cx, n, w, &mut words, "use_vmac", &mut v.name),
        }
    }
    i.use_vmac = Some(v);
}

pub(super) fn use_ipvlan(cx: &mut Cx, n: &Node, i: &mut VrrpInstance) {
    cx.no_block(n);
    if i.use_ipvlan.is_some() {
        cx.error(
            n.keyword.span,
            "use_ipvlan is already given; this one is ignored",
        );
        return;
    }
    let mut v = UseIpvlan::default();
    let mut words = n.args.iter();
    while let Some(w) = words.next() {
        match w.text.as_str() {
            m @ ("bridge" | "private" | "vepa") => {
                if v.mode.is_some() {
                    cx.error(w.span, "use_ipvlan already has a mode; this one is ignored");
                    continue;
                }
                v.mode = Some(match m {
                    "bridge" => IpvlanMode::Bridge,
                    "private" => IpvlanMode::Private,
                    _ => IpvlanMode::Vepa,
                });
            }
            "group" => match words.next() {
                Some(g) => v.group = Some(g.text.to_string()),
                None => {
                    cx.error(w.span, "'group' in use_ipvlan needs a value");
                }
            },
            t => {
                if let Ok(p) = values::parse_prefix(t) {
                    if v.address.is_some() {
                        cx.error(
                            w.span,
                            "use_ipvlan already has an address; this one is ignored",
                        );
                    } else if same_family(
                        cx,
                        &mut i.family,
                        Family::of(&p.addr),
                        w,
                        "use_ipvlan address",
                    ) {
                        v.address = Some(p);
                    }
                    continue;
                }
                new_ifname(cx, n, w, &mut words, "use_ipvlan", &mut v.name);
            }
        }
    }
    i.use_ipvlan = Some(v);
}

/// The new interface's name, `name NAME` or a bare word `w` (the rest of `words` follows it);
/// one name only.
fn new_ifname<'a>(
    cx: &mut Cx,
    n: &Node,
    w: &'a Word,
    words: &mut impl Iterator<Item = &'a Word>,
    keyword: &str,
    name: &mut Option<String>,
) {
    let word = if w.text == "name" {
        match words.next() {
            Some(x) => x,
            None => {
                cx.error(w.span, format!("'name' in {keyword} needs a value"));
                return;
            }
        }
    } else {
        w
    };
    if name.is_some() {
        cx.error(
            word.span,
            format!("{keyword} already has an interface name; this one is ignored"),
        );
    } else if !valid_new_ifname(&word.text) {
        cx.invalid(
            n,
            word,
            "an interface name has 1 to 15 characters, without '/', ':' or blanks",
        );
    } else {
        *name = Some(word.text.to_string());
    }
}
