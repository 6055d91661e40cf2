//! One line of `static_rules` or `virtual_rules`, in `ip rule add` syntax. keepalived drops a
//! rule with a missing or wrong value, a word it does not know, or no action (or two); so does
//! this.

use super::line::{parse_dest, parse_uint, Line};
use crate::decode::Cx;
use crate::model::vrrp::{Dest, Family, Fwmark, Range, Rule};
use crate::tree::{Node, Word};

fn set_family(
    cx: &mut Cx,
    line: &Line,
    family: &mut Option<Family>,
    w: &Word,
    got: Family,
) -> bool {
    match *family {
        None => {
            *family = Some(got);
            true
        }
        Some(f) if f == got => true,
        Some(f) => {
            // keepalived 2.2.7: `rule specification has mixed IPv4 and IPv6`, and runs on
            // without it (measured).
            cx.error(
                w.span,
                format!(
                    "'{}' is {} but this line of {} is {}; the rule is ignored",
                    w.text,
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

/// Records the rule's action, or reports a second one (keepalived then drops the rule).
fn one_action<'a>(cx: &mut Cx, w: &'a Word, action: &mut Option<&'a Word>) -> bool {
    if let Some(prev) = action {
        cx.error(w.span, format!("a rule has one action, and '{}' was already given; the rule is ignored", prev.text))
            .with_help("the actions are table (lookup), goto, nop, l3mdev, blackhole, unreachable and prohibit");
        return false;
    }
    *action = Some(w);
    true
}

/// `N` or `N-M`, each at most `max`.
fn range(s: &str, max: u32, single_ok: bool) -> Option<Range> {
    let num = |t: &str| t.parse::<u32>().ok().filter(|v| *v <= max);
    match s.split_once('-') {
        Some((a, b)) => Some(Range {
            start: num(a)?,
            end: num(b)?,
        }),
        None if single_ok => num(s).map(|v| Range { start: v, end: v }),
        None => None,
    }
}

pub(super) fn parse(cx: &mut Cx, node: &Node, block: &'static str) -> Option<Rule> {
    let mut line = Line::new(cx, node, block);
    let mut family: Option<Family> = None;
    let mut r = Rule {
        origin: cx.origin(node.keyword.span),
        family: Family::Inet,
        not: false,
        from: None,
        to: None,
        preference: None,
        table: None,
        goto: None,
        rule_type: None,
        l3mdev: false,
        tos: None,
        fwmark: None,
        realms: None,
        suppress_prefixlength: None,
        suppress_ifgroup: None,
        iif: None,
        oif: None,
        tunnel_id: None,
        uidrange: None,
        protocol: None,
        ipproto: None,
        sport: None,
        dport: None,
        no_track: false,
        track_group: None,
        extra: Vec::new(),
    };
    // The word that set the action, and the one that needs a table action.
    let mut action: Option<&Word> = None;
    let mut table_option: Option<&Word> = None;
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
                if !set_family(cx, &line, &mut family, opt, f) {
                    return None;
                }
                line.skip_after_family(cx, opt);
            }
            "from" | "to" => {
                let w = line.value(cx, opt)?;
                let d = match parse_dest(&w.text) {
                    Ok(d) => d,
                    Err(e) => {
                        // keepalived 2.2.7: `Invalid rule to address`, the rule dropped, the
                        // daemon runs on (measured: kinds.rs rule_bad_address).
                        line.invalid(cx, o, w, &format!("{e}; the rule is ignored"))
                            .daemon_runs_on();
                        return None;
                    }
                };
                match d {
                    Dest::Prefix(p) => {
                        if !set_family(cx, &line, &mut family, w, Family::of(&p.addr)) {
                            return None;
                        }
                    }
                    Dest::Default => {
                        if !super::route::default_without_family(cx, &family, w, "rule", block) {
                            return None;
                        }
                    }
                }
                if o == "from" {
                    r.from = Some(d);
                } else {
                    r.to = Some(d);
                }
            }
            "table" | "lookup" => {
                let w = line.value(cx, opt)?;
                if w.text == "0" {
                    line.bad(cx, o, w, "table 0 is not a table; the rule is ignored");
                    return None;
                }
                if !one_action(cx, opt, &mut action) {
                    return None;
                }
                r.table = Some(w.text.to_string());
            }
            "not" => r.not = true,
            "preference" | "order" | "priority" => {
                let (v, _) = line.uint(cx, opt, u32::MAX as u64)?;
                r.preference = Some(v as u32);
            }
            "tos" | "dsfield" => r.tos = Some(line.value(cx, opt)?.text.to_string()),
            "fwmark" => {
                let w = line.value(cx, opt)?;
                let (m, mask) = match w.text.split_once('/') {
                    Some((m, k)) => (m, Some(k)),
                    None => (w.text.as_str(), None),
                };
                let num = |t: &str| {
                    parse_uint(t)
                        .filter(|v| *v <= u32::MAX as u64)
                        .map(|v| v as u32)
                };
                match (num(m), mask.map(num)) {
                    (Some(mark), None) => r.fwmark = Some(Fwmark { mark, mask: None }),
                    (Some(mark), Some(Some(mask))) => {
                        r.fwmark = Some(Fwmark {
                            mark,
                            mask: Some(mask),
                        })
                    }
                    _ => {
                        line.bad(
                            cx,
                            o,
                            w,
                            "expected MARK or MARK/MASK (decimal or 0x hex); the rule is ignored",
                        );
                        return None;
                    }
                }
            }
            "realms" => {
                let w = line.value(cx, opt)?;
                if !set_family(cx, &line, &mut family, opt, Family::Inet) {
                    return None;
                }
                r.realms = Some(w.text.to_string());
                table_option = Some(opt);
            }
            "suppress_prefixlength" | "sup_pl" => {
                let (v, _) = line.uint(cx, opt, i32::MAX as u64)?;
                r.suppress_prefixlength = Some(v as u32);
                table_option = Some(opt);
            }
            "suppress_ifgroup" | "sup_group" => {
                r.suppress_ifgroup = Some(line.value(cx, opt)?.text.to_string());
                table_option = Some(opt);
            }
            "iif" | "dev" => r.iif = Some(line.value(cx, opt)?.text.to_string()),
            "oif" => r.oif = Some(line.value(cx, opt)?.text.to_string()),
            "tunnel-id" => {
                let (v, _) = line.uint(cx, opt, u64::MAX)?;
                r.tunnel_id = Some(v);
            }
            "uidrange" => {
                let w = line.value(cx, opt)?;
                match range(&w.text, u32::MAX, false) {
                    Some(u) => r.uidrange = Some(u),
                    None => {
                        line.bad(cx, o, w, "expected START-END; the rule is ignored");
                        return None;
                    }
                }
            }
            "sport" | "dport" => {
                let w = line.value(cx, opt)?;
                // keepalived 2.2.7 takes no single port ("invalid sport range 1000", measured).
                match range(&w.text, 65535, false) {
                    Some(p) if o == "sport" => r.sport = Some(p),
                    Some(p) => r.dport = Some(p),
                    None => line.bad(
                        cx,
                        o,
                        w,
                        "expected PORT-PORT (keepalived takes no single port); it is ignored",
                    ),
                }
            }
            "l3mdev" => {
                if !one_action(cx, opt, &mut action) {
                    return None;
                }
                r.l3mdev = true;
            }
            "protocol" => {
                let w = line.value(cx, opt)?;
                match parse_uint(&w.text).filter(|v| *v <= 255) {
                    Some(v) => {
                        r.protocol = Some(v as u8);
                        protocol_word = Some(w);
                    }
                    None => line.bad(
                        cx,
                        o,
                        w,
                        "expected a number between 0 and 255; it is ignored",
                    ),
                }
            }
            "ipproto" => r.ipproto = Some(line.value(cx, opt)?.text.to_string()),
            "no_track" => r.no_track = true,
            "track_group" if block == "static_rules" => {
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
            _ => {
                let mut w = opt;
                if w.text == "type" {
                    w = line.value(cx, opt)?;
                }
                match w.text.as_str() {
                    "goto" => {
                        let (v, _) = line.uint(cx, w, u32::MAX as u64)?;
                        if !one_action(cx, w, &mut action) {
                            return None;
                        }
                        r.goto = Some(v as u32);
                    }
                    t @ ("nop" | "blackhole" | "unreachable" | "prohibit") => {
                        if !one_action(cx, w, &mut action) {
                            return None;
                        }
                        r.rule_type = Some(t.into());
                    }
                    t => {
                        // keepalived 2.2.7: `Unknown rule option X` (or `Invalid rule action
                        // X` after a word that takes none), and runs on without it (measured).
                        let d = cx.error(
                            w.span,
                            format!("unknown rule option '{t}' in {block}; the rule is ignored"),
                        );
                        d.daemon_runs_on();
                        if let Some(s) = super::super::did_you_mean(t, OPTIONS.iter().copied()) {
                            d.with_help(format!("did you mean '{s}'?"));
                        }
                        return None;
                    }
                }
            }
        }
    }

    r.family = family.unwrap_or(Family::Inet);
    let Some(action) = action else {
        cx.error(node.span(), format!("a rule in {block} needs an action (table, goto, nop, l3mdev, blackhole, unreachable or prohibit); it is ignored"));
        return None;
    };
    if let Some(goto) = r.goto {
        match r.preference {
            Some(p) if p >= goto => {
                cx.error(
                    action.span,
                    format!("a rule's goto target ({goto}) must be after its preference ({p}); the rule is ignored"),
                );
                return None;
            }
            None => {
                cx.error(
                    action.span,
                    "a rule with goto needs a preference; it is ignored",
                );
                return None;
            }
            _ => {}
        }
    }
    if let (Some(w), None) = (table_option, &r.table) {
        if !r.l3mdev {
            cx.error(
                w.span,
                format!(
                    "'{}' applies only to rules with a table; the rule is ignored",
                    w.text
                ),
            );
            return None;
        }
    }
    if r.l3mdev && r.table.is_some() {
        cx.error(
            action.span,
            "a rule cannot have both l3mdev and a table; it is ignored",
        );
        return None;
    }
    if !r.no_track {
        if let Some(w) = protocol_word.filter(|_| r.protocol != Some(18)) {
            cx.warning(
                w.span,
                format!(
                    "a tracked rule gets protocol 18 (keepalived); '{}' is replaced",
                    w.text
                ),
            )
            .with_help(
                "add no_track to keep your protocol (keepalived then does not restore the rule)",
            );
        }
        r.protocol = Some(18);
    }
    if let (Some(tg), None) = (track_group_word, &r.iif) {
        cx.warning(
            tg.span,
            format!("'track_group' needs 'iif' (or 'dev') in a line of {block}; it is ignored"),
        );
        r.track_group = None;
    }
    if r.preference.is_none() {
        // keepalived counts down from 16384, per family, in file order (measured).
        let next = &mut cx.next_rule_preference[usize::from(r.family == Family::Inet6)];
        let given = *next;
        *next = next.saturating_sub(1);
        r.preference = Some(given);
        cx.warning(
            node.span(),
            format!("a rule in {block} has no preference; keepalived gives it {given}, probably not what you want"),
        )
        .with_help("add 'preference N'; rules are applied in preference order");
    }
    Some(r)
}

const OPTIONS: &[&str] = &[
    "inet",
    "inet6",
    "from",
    "to",
    "table",
    "lookup",
    "not",
    "preference",
    "order",
    "priority",
    "tos",
    "dsfield",
    "fwmark",
    "realms",
    "suppress_prefixlength",
    "sup_pl",
    "suppress_ifgroup",
    "sup_group",
    "iif",
    "dev",
    "oif",
    "tunnel-id",
    "uidrange",
    "sport",
    "dport",
    "l3mdev",
    "protocol",
    "ipproto",
    "no_track",
    "track_group",
    "type",
    "goto",
    "nop",
    "blackhole",
    "unreachable",
    "prohibit",
];
