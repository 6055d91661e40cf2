//! The objects instances track (`vrrp_script`, `track_file`, `vrrp_track_process`,
//! `bfd_instance`), the `track_*` lists that refer to them, and the groups (`vrrp_sync_group`,
//! `garp_group`).

use super::{members, notify_script, unique_block_name};
use crate::decode::{deprecated, kw, legacy, Cx, Keyword};
use crate::model::vrrp::{
    BfdInstance, GarpGroup, InitFile, ParamMatch, SyncGroup, TrackFile, TrackProcess, TrackRef,
    TrackedInterface, VrrpPart, VrrpScript, Written,
};
use crate::tree::Node;
use crate::values::try_split_command;
use crate::values::{self, Timer};

/// What a `track_*` list refers to, for the weight range and messages.
#[derive(Clone, Copy)]
pub(super) enum RefKind {
    Script,
    File,
    Process,
    Bfd,
}

impl RefKind {
    fn weight_limit(self) -> i64 {
        match self {
            RefKind::Script | RefKind::Bfd => 253,
            RefKind::File | RefKind::Process => 254,
        }
    }
}

/// Interface names are at most 15 characters (the kernel's IFNAMSIZ less the NUL).
pub(super) fn check_ifname(cx: &mut Cx, word: &crate::tree::Word, what: &str) -> bool {
    if word.text.is_empty() || word.text.chars().count() >= 16 {
        cx.error(
            word.span,
            format!(
                "interface name '{}' for {what} is too long: at most 15 characters; it is ignored",
                word.text
            ),
        );
        return false;
    }
    true
}

/// `track_interface { IFNAME [weight -253..253 [reverse]] ... }`.
pub(super) fn track_interfaces(cx: &mut Cx, node: &Node) -> Vec<TrackedInterface> {
    cx.no_args(node);
    let mut out: Vec<TrackedInterface> = Vec::new();
    for item in cx.block(node) {
        cx.list_item_words(item, 3);
        if !check_ifname(cx, &item.keyword, "track_interface") {
            continue;
        }
        if out.iter().any(|t| t.name == item.name()) {
            cx.error(
                item.keyword.span,
                format!(
                    "interface {} is already tracked; this entry is ignored",
                    item.name()
                ),
            );
            continue;
        }
        let Some((weight, reverse)) = weight_words(cx, item, "track_interface", 253, false) else {
            continue;
        };
        out.push(TrackedInterface {
            origin: cx.origin(item.keyword.span),
            name: item.name().into(),
            weight: weight.unwrap_or(0) as i32,
            reverse: reverse.unwrap_or(false),
        });
    }
    out
}

/// `track_script|track_file|track_process|track_bfd { NAME [weight W [reverse|noreverse]] }`.
/// The names are checked, and unwritten weights resolved, once the whole file is read.
pub(super) fn track_refs(cx: &mut Cx, node: &Node, kind: RefKind) -> Vec<TrackRef> {
    cx.no_args(node);
    let mut out: Vec<TrackRef> = Vec::new();
    for item in cx.block(node) {
        cx.list_item_words(item, 3);
        if out.iter().any(|t| t.name == item.name()) {
            cx.error(
                item.keyword.span,
                format!(
                    "{} {} is listed twice; this entry is ignored",
                    node.name(),
                    item.name()
                ),
            );
            continue;
        }
        let Some((weight, reverse)) =
            weight_words(cx, item, node.name(), kind.weight_limit(), true)
        else {
            continue;
        };
        out.push(TrackRef {
            origin: cx.origin(item.keyword.span),
            name: item.name().into(),
            weight: weight.unwrap_or(0) as i32,
            reverse: reverse.unwrap_or(false),
            weight_written: weight.is_some(),
            reverse_written: reverse.is_some(),
        });
    }
    out
}

/// The `weight W [reverse|noreverse]` words after a tracked name. None (after an error) when
/// keepalived drops the entry; inner Nones when not written.
#[allow(clippy::type_complexity)]
fn weight_words(
    cx: &mut Cx,
    item: &Node,
    list: &str,
    limit: i64,
    noreverse: bool,
) -> Option<(Option<i64>, Option<bool>)> {
    let Some(w) = item.args.first() else {
        return Some((None, None));
    };
    if w.text != "weight" {
        cx.error(
            w.span,
            format!(
                "unknown option '{}' for {} in {list}; the entry is ignored",
                w.text,
                item.name()
            ),
        )
        .with_help("the syntax is NAME [weight W [reverse]]");
        return None;
    }
    let Some(v) = item.args.get(1) else {
        cx.error(
            w.span,
            format!(
                "'weight' for {} in {list} needs a value; the entry is ignored",
                item.name()
            ),
        );
        return None;
    };
    // keepalived accepted +/-254 for scripts and interfaces once; it now clamps them.
    let weight = match values::parse_int(&v.text, -limit - 1, limit + 1) {
        Ok(n) if n.abs() == limit + 1 && limit == 253 => {
            cx.warning(
                v.span,
                format!(
                    "weight {n} for {} in {list} is out of range; keepalived uses {}",
                    item.name(),
                    n.signum() * 253
                ),
            );
            Some(n.signum() * 253)
        }
        Ok(n) if n.abs() <= limit => Some(n),
        _ => {
            cx.error(
                v.span,
                format!(
                    "invalid value '{}' for weight of {} in {list}: must be between -{limit} and {limit}",
                    v.text,
                    item.name()
                ),
            );
            None
        }
    };
    let reverse = match item.args.get(2).map(|w| (w, w.text.as_str())) {
        None => None,
        Some((_, "reverse")) => Some(true),
        Some((_, "noreverse")) if noreverse => Some(false),
        Some((w, _)) => {
            cx.error(
                w.span,
                format!(
                    "unknown option '{}' after the weight of {} in {list}; it is ignored",
                    w.text,
                    item.name()
                ),
            )
            .with_help(if noreverse {
                "expected reverse or noreverse"
            } else {
                "expected reverse"
            });
            None
        }
    };
    Some((weight, reverse))
}

/// `weight W [reverse]` of a tracked object's own block.
/// A weight that is a whole number beyond -253..=253 (and a valid `reverse` after it, if any).
fn beyond_253(node: &Node) -> Option<i32> {
    let w: i32 = node.args.first()?.text.parse().ok()?;
    let rest_ok = match node.args.len() {
        1 => true,
        2 => node.args[1].text == "reverse",
        _ => false,
    };
    (rest_ok && !(-253..=253).contains(&w)).then_some(w)
}

fn own_weight(cx: &mut Cx, node: &Node, limit: i64) -> Option<(i32, bool)> {
    cx.no_block(node);
    if !cx.arity(node, 1, Some(2)) {
        return None;
    }
    let w = cx.int_word(node, &node.args[0], -limit, limit)? as i32;
    let reverse = match node.args.get(1) {
        None => false,
        Some(r) if r.text == "reverse" => true,
        Some(r) => {
            cx.invalid(node, r, "expected reverse");
            false
        }
    };
    Some((w, reverse))
}

pub(super) fn vrrp_script(cx: &mut Cx, node: &Node, part: &mut VrrpPart) {
    let Some(name) = unique_block_name(cx, node, &part.vrrp_script, |s| (&s.name, &s.origin))
    else {
        return;
    };
    let items = cx.block(node);
    let s = VrrpScript {
        origin: cx.origin(node.keyword.span),
        name,
        script: Vec::new(),
        interval: Timer::secs(1),
        timeout: Timer::default(),
        weight: 0,
        reverse: false,
        rise: 1,
        fall: 1,
        user: None,
        group: None,
        init_fail: false,
    };
    let table: Vec<Keyword<(VrrpScript, Option<Timer>)>> = vec![
        kw("script", |cx, n, (s, _)| {
            cx.no_block(n);
            if let Some(extra) = n.args.get(1) {
                cx.warning(
                    extra.span,
                    format!("extra argument '{}' after script is ignored", extra.text),
                )
                .with_help("quote the whole command line: script \"/path/to/check arg\"");
            }
            if cx.arity(n, 1, None) {
                match try_split_command(&n.args[0].text) {
                    Ok(words) => s.script = words,
                    // keepalived 2.2.7 then has no script for it: `No script set for
                    // vrrp_script NAME - removing` (measured), said below.
                    Err(why) => {
                        cx.warning(
                            n.args[0].span,
                            format!("the command line of script cannot be split into words: {why}; keepalived 2.2.7 leaves it out, and so does keepalived-rs"),
                        )
                        .with_help("close each quote inside the command line; write a backslash as \\\\")
                        .keepalived_passes();
                    }
                }
            }
        }),
        kw("interval", |cx, n, (s, _)| {
            let at = cx.mark();
            if let Some(t) = cx.timer(n, 0.001, 4_294_967.0) {
                s.interval = t;
            } else if n.args.len() == 1 && n.args[0].text == "0" {
                // keepalived: "vrrp script interval must be greater than 0, setting to 1".
                s.interval = Timer::secs(1);
                cx.value_runs_on_since(at, n, Some("using 1, as keepalived does"));
            }
        }),
        kw("timeout", |cx, n, (_, t)| {
            *t = cx.timer(n, 0.001, 4_294_967.0).or(*t)
        }),
        kw("weight", |cx, n, (s, _)| {
            let at = cx.mark();
            if let Some((w, r)) = own_weight(cx, n, 253) {
                s.weight = w;
                s.reverse = r;
            } else if let Some(w) = beyond_253(n) {
                // keepalived: "weight 300 must be in [-253, 253]", and it uses 300 all the
                // same; 253 gives the same priority (clamped to 1..254) unless other tracked
                // objects add to it (docs/compat.md).
                s.weight = w.clamp(-253, 253);
                s.reverse = n.args.get(1).is_some_and(|r| r.text == "reverse");
                cx.value_runs_on_since(
                    at,
                    n,
                    Some(&format!(
                        "keepalived uses {w} all the same; keepalived-rs uses {}",
                        s.weight
                    )),
                );
            }
        }),
        kw("rise", |cx, n, (s, _)| {
            s.rise = cx
                .int(n, 1, i64::from(i32::MAX))
                .map_or(s.rise, |v| v as u32)
        }),
        kw("fall", |cx, n, (s, _)| {
            let at = cx.mark();
            s.fall = cx
                .int(n, 1, i64::from(i32::MAX))
                .map_or(s.fall, |v| v as u32);
            if n.args.len() == 1 && n.args[0].text == "0" {
                // keepalived: "vrrp script fall value '0' invalid, defaulting to 1".
                s.fall = 1;
                cx.value_runs_on_since(at, n, Some("using 1, as keepalived does"));
            }
        }),
        kw("user", |cx, n, (s, _)| {
            cx.no_block(n);
            if cx.arity(n, 1, Some(2)) {
                s.user = Some(n.args[0].text.to_string());
                s.group = n.args.get(1).map(|w| w.text.to_string());
            }
        }),
        kw("init_fail", |cx, n, (s, _)| s.init_fail = cx.bare(n)),
    ];
    let mut target = (s, None::<Timer>);
    cx.decode_items("vrrp_script", items, &table, &mut target);
    let (mut s, timeout) = target;
    s.timeout = timeout.unwrap_or(s.interval);
    if s.script.is_empty() {
        cx.error(
            node.keyword.span,
            format!(
                "vrrp_script {} has no script; keepalived ignores it",
                s.name
            ),
        )
        .with_help("add: script \"/path/to/check [args]\"")
        // `No script set for vrrp_script NAME - removing`; it runs on without it, and a
        // track_script naming it is `not found` (measured).
        .daemon_runs_on();
        return;
    }
    part.vrrp_script.push(s);
}

pub(super) fn track_file(cx: &mut Cx, node: &Node, part: &mut VrrpPart) {
    let Some(name) = unique_block_name(cx, node, &part.track_file, |s| (&s.name, &s.origin)) else {
        return;
    };
    let items = cx.block(node);
    let mut f = TrackFile {
        origin: cx.origin(node.keyword.span),
        name,
        file: None,
        weight: 1,
        reverse: false,
        init_file: None,
    };
    let table: Vec<Keyword<TrackFile>> = vec![
        kw("file", |cx, n, f| {
            if f.file.is_some() {
                cx.error(
                    n.keyword.span,
                    "file is already set for this track_file; this one is ignored",
                );
                return;
            }
            f.file = cx.string(n);
        }),
        kw("weight", |cx, n, f| {
            if let Some((w, r)) = own_weight(cx, n, 254) {
                f.weight = w;
                f.reverse = r;
            }
        }),
        kw("init_file", |cx, n, f| {
            cx.no_block(n);
            let mut init = InitFile {
                value: 0,
                overwrite: false,
            };
            for w in &n.args {
                if w.text == "overwrite" {
                    init.overwrite = true;
                } else if w.text.starts_with(|c: char| c.is_ascii_digit() || c == '-') {
                    match values::parse_int(&w.text, i64::from(i32::MIN), i64::from(i32::MAX)) {
                        Ok(v) => {
                            if !(-254..=254).contains(&v) {
                                cx.warning(
                                    w.span,
                                    format!("init_file value {v} is outside the sensible range -254..254"),
                                );
                            }
                            init.value = v as i32;
                        }
                        Err(e) => cx.invalid(n, w, &e),
                    }
                } else {
                    cx.invalid(n, w, "expected a value or overwrite");
                }
            }
            f.init_file = Some(init);
        }),
    ];
    cx.decode_items("track_file", items, &table, &mut f);
    if f.file.is_none() {
        cx.error(
            node.keyword.span,
            format!("track_file {} has no file; keepalived ignores it", f.name),
        )
        .with_help("add: file /path/to/file");
    }
    part.track_file.push(f);
}

pub(super) fn vrrp_track_process(cx: &mut Cx, node: &Node, part: &mut VrrpPart) {
    let Some(name) =
        unique_block_name(cx, node, &part.vrrp_track_process, |s| (&s.name, &s.origin))
    else {
        return;
    };
    let items = cx.block(node);
    let mut p = TrackProcess {
        origin: cx.origin(node.keyword.span),
        name,
        process: Vec::new(),
        param_match: None,
        weight: 0,
        reverse: false,
        quorum: 1,
        quorum_max: None,
        fork_delay: None,
        terminate_delay: None,
        full_command: false,
    };
    let table: Vec<Keyword<TrackProcess>> = vec![
        kw("process", |cx, n, p| {
            cx.no_block(n);
            if !p.process.is_empty() {
                cx.error(
                    n.keyword.span,
                    "process is already set for this vrrp_track_process; this one is ignored",
                );
                return;
            }
            if cx.arity(n, 1, None) {
                p.process = n.args.iter().map(|w| w.text.to_string()).collect();
            }
        }),
        kw("param_match", |cx, n, p| {
            cx.no_block(n);
            p.param_match = match n.args.first() {
                None => Some(ParamMatch::Exact),
                Some(_) => match cx.choice(n, &["initial", "partial"]) {
                    Some("initial") => Some(ParamMatch::Initial),
                    Some(_) => Some(ParamMatch::Partial),
                    None => p.param_match,
                },
            };
        }),
        kw("weight", |cx, n, p| {
            if let Some((w, r)) = own_weight(cx, n, 254) {
                p.weight = w;
                p.reverse = r;
            }
        }),
        kw("quorum", |cx, n, p| {
            if let Some(q) = cx.int(n, 1, 65535) {
                p.quorum = q as u32;
            }
        }),
        kw("quorum_max", |cx, n, p| {
            if let Some(q) = cx.int(n, 0, 65535) {
                p.quorum_max = Some(q as u32);
            }
        }),
        kw("delay", |cx, n, p| {
            if let Some(t) = cx.timer(n, 0.000_001, 3600.0) {
                p.fork_delay = Some(t);
                p.terminate_delay = Some(t);
            }
        }),
        kw("terminate_delay", |cx, n, p| {
            p.terminate_delay = cx.timer(n, 0.000_001, 3600.0).or(p.terminate_delay)
        }),
        kw("fork_delay", |cx, n, p| {
            p.fork_delay = cx.timer(n, 0.000_001, 3600.0).or(p.fork_delay)
        }),
        kw("full_command", |cx, n, p| p.full_command = cx.bare(n)),
    ];
    cx.decode_items("vrrp_track_process", items, &table, &mut p);
    if p.process.len() > 1 && p.param_match.is_none() {
        p.param_match = Some(ParamMatch::Exact);
    }
    if p.process.len() > 1 || p.param_match.is_some() {
        p.full_command = true;
    }
    if let Some(max) = p.quorum_max {
        if max == 0 {
            p.quorum = 0;
        } else if max < p.quorum {
            cx.error(
                node.keyword.span,
                format!(
                    "vrrp_track_process {}: quorum_max ({max}) is less than quorum ({})",
                    p.name, p.quorum
                ),
            )
            .with_help("quorum_max is the most processes allowed, quorum the fewest needed");
        }
    }
    if p.process.is_empty() {
        cx.error(
            node.keyword.span,
            format!(
                "vrrp_track_process {} has no process; keepalived ignores it",
                p.name
            ),
        )
        .with_help("add: process NAME [PARAMETERS]");
    }
    part.vrrp_track_process.push(p);
}

pub(super) fn bfd_instance(cx: &mut Cx, node: &Node, part: &mut VrrpPart) {
    let Some(name) = unique_block_name(cx, node, &part.bfd_instance, |s| (&s.name, &s.origin))
    else {
        return;
    };
    if name.chars().count() >= 32 {
        cx.error(
            node.args[0].span,
            format!("bfd_instance name '{name}' is too long: at most 31 characters"),
        );
    }
    let items = cx.block(node);
    let b = BfdInstance {
        origin: cx.origin(node.keyword.span),
        name,
        neighbor_ip: None,
        source_ip: None,
        min_rx: Timer::micros(10_000),
        min_tx: Timer::micros(10_000),
        idle_tx: Timer::micros(1_000_000),
        multiplier: 5,
        passive: false,
        ttl: 0,
        max_hops: 0,
        multihop: false,
        weight: 0,
        reverse: false,
        vrrp: false,
        checker: false,
    };
    // Intervals are written in milliseconds (microsecond resolution).
    fn ms(cx: &mut Cx, n: &Node, min: f64) -> Option<Timer> {
        cx.no_block(n);
        if !cx.arity(n, 1, Some(1)) {
            return None;
        }
        let t = cx.timer_word(n, &n.args[0], min, 4_294_967.0)?;
        Some(Timer(t.0 / 1000))
    }
    let table: Vec<Keyword<BfdInstance>> = vec![
        kw("neighbor_ip", |cx, n, b| {
            b.neighbor_ip = cx.ip(n).or(b.neighbor_ip)
        }),
        legacy("neighbour_ip", "neighbor_ip", |cx, n, b| {
            b.neighbor_ip = cx.ip(n).or(b.neighbor_ip)
        }),
        kw("source_ip", |cx, n, b| {
            b.source_ip = cx.ip(n).or(b.source_ip)
        }),
        kw("min_rx", |cx, n, b| {
            b.min_rx = ms(cx, n, 1.0).unwrap_or(b.min_rx)
        }),
        kw("min_tx", |cx, n, b| {
            b.min_tx = ms(cx, n, 1.0).unwrap_or(b.min_tx)
        }),
        kw("idle_tx", |cx, n, b| {
            b.idle_tx = ms(cx, n, 1000.0).unwrap_or(b.idle_tx)
        }),
        kw("multiplier", |cx, n, b| {
            b.multiplier = cx.int(n, 1, 255).map_or(b.multiplier, |v| v as u8)
        }),
        kw("passive", |cx, n, b| b.passive = cx.bare(n)),
        kw("ttl", |cx, n, b| {
            b.ttl = cx.int(n, 1, 255).map_or(b.ttl, |v| v as u8)
        }),
        kw("hoplimit", |cx, n, b| {
            b.ttl = cx.int(n, 1, 255).map_or(b.ttl, |v| v as u8)
        }),
        kw("max_hops", |cx, n, b| {
            b.max_hops = cx.int(n, -1, 255).map_or(b.max_hops, |v| v as i16)
        }),
        kw("multihop", |cx, n, b| b.multihop = cx.flag(n)),
        kw("weight", |cx, n, b| {
            if let Some((w, r)) = own_weight(cx, n, 253) {
                b.weight = w;
                b.reverse = r;
            }
        }),
        kw("vrrp", |cx, n, b| b.vrrp = cx.bare(n)),
        kw("checker", |cx, n, b| b.checker = cx.bare(n)),
    ];
    let mut b = b;
    cx.decode_items("bfd_instance", items, &table, &mut b);
    if !b.vrrp && !b.checker {
        b.vrrp = true;
        b.checker = true;
    }
    match (b.neighbor_ip, b.source_ip) {
        (None, _) => {
            cx.error(
                node.keyword.span,
                format!(
                    "bfd_instance {} has no neighbor_ip; keepalived disables it",
                    b.name
                ),
            );
        }
        (Some(n), Some(s)) if n.is_ipv4() != s.is_ipv4() => {
            cx.error(node.keyword.span, format!("bfd_instance {}: source_ip {s} and neighbor_ip {n} are of different families; keepalived disables it", b.name));
        }
        _ => {}
    }
    if b.ttl == 0 {
        b.ttl = if b.neighbor_ip.is_some_and(|a| a.is_ipv6()) {
            64
        } else {
            255
        };
    }
    if b.max_hops > i16::from(b.ttl) {
        cx.warning(
            node.keyword.span,
            format!(
                "bfd_instance {}: max_hops ({}) exceeds the ttl/hoplimit ({}); keepalived uses {}",
                b.name, b.max_hops, b.ttl, b.ttl
            ),
        );
        b.max_hops = i16::from(b.ttl);
    }
    if let Some(other) = part.bfd_instance.iter().find(|o| {
        o.neighbor_ip.is_some()
            && o.neighbor_ip == b.neighbor_ip
            && o.source_ip == b.source_ip
            && o.multihop == b.multihop
    }) {
        cx.error(
            node.keyword.span,
            format!(
                "bfd_instance {} has the same neighbor_ip as {} (at {}); keepalived ignores it",
                b.name, other.name, other.origin
            ),
        );
    }
    part.bfd_instance.push(b);
}

pub(super) fn vrrp_sync_group(cx: &mut Cx, node: &Node, part: &mut VrrpPart) {
    let Some(name) = unique_block_name(cx, node, &part.vrrp_sync_group, |s| (&s.name, &s.origin))
    else {
        return;
    };
    let items = cx.block(node);
    let mut g = SyncGroup {
        origin: cx.origin(node.keyword.span),
        name,
        group: Vec::new(),
        track_interface: Vec::new(),
        track_script: Vec::new(),
        track_file: Vec::new(),
        track_process: Vec::new(),
        track_bfd: Vec::new(),
        notify_master: None,
        notify_backup: None,
        notify_fault: None,
        notify_stop: None,
        notify: None,
        notify_priority_changes: false,
        smtp_alert: false,
        sync_group_tracking_weight: false,
        written: Written::default(),
    };
    let table: Vec<Keyword<SyncGroup>> = vec![
        kw("group", |cx, n, g| {
            if let Some(span) = g.written.get("group") {
                cx.error(
                    n.keyword.span,
                    format!("group is already given for this sync group at line {}; this one is ignored", span.line),
                );
                return;
            }
            g.written.set("group", n.keyword.span);
            g.group = members(cx, n);
        }),
        kw("track_interface", |cx, n, g| {
            g.track_interface.extend(track_interfaces(cx, n))
        }),
        kw("track_script", |cx, n, g| {
            g.track_script.extend(track_refs(cx, n, RefKind::Script))
        }),
        kw("track_file", |cx, n, g| {
            g.track_file.extend(track_refs(cx, n, RefKind::File))
        }),
        kw("track_process", |cx, n, g| {
            g.track_process.extend(track_refs(cx, n, RefKind::Process))
        }),
        kw("track_bfd", |cx, n, g| {
            g.track_bfd.extend(track_refs(cx, n, RefKind::Bfd))
        }),
        kw("notify_master", |cx, n, g| {
            set_once(cx, n, &mut g.notify_master)
        }),
        kw("notify_backup", |cx, n, g| {
            set_once(cx, n, &mut g.notify_backup)
        }),
        kw("notify_fault", |cx, n, g| {
            set_once(cx, n, &mut g.notify_fault)
        }),
        kw("notify_stop", |cx, n, g| {
            set_once(cx, n, &mut g.notify_stop)
        }),
        kw("notify", |cx, n, g| set_once(cx, n, &mut g.notify)),
        kw("notify_deleted", |cx, n, _| {
            cx.warning(
                n.keyword.span,
                "notify_deleted has no effect in a vrrp_sync_group; keepalived ignores it",
            )
            .with_help("put notify_deleted in the member vrrp_instance blocks");
        }),
        kw("notify_priority_changes", |cx, n, g| {
            g.notify_priority_changes = cx.flag(n);
            g.written.set("notify_priority_changes", n.keyword.span);
        }),
        kw("smtp_alert", |cx, n, g| {
            g.smtp_alert = cx.flag(n);
            g.written.set("smtp_alert", n.keyword.span);
        }),
        kw("sync_group_tracking_weight", |cx, n, g| {
            g.sync_group_tracking_weight = cx.bare(n)
        }),
        deprecated(
            "global_tracking",
            "sync_group_tracking_weight",
            |cx, n, g| g.sync_group_tracking_weight = cx.bare(n),
        ),
    ];
    cx.decode_items("vrrp_sync_group", items, &table, &mut g);
    if g.group.is_empty() {
        // Instance names written straight in the block (an old sample does this) are unknown
        // keywords; say where they belong.
        let bare: Vec<&str> = items
            .iter()
            .filter(|i| {
                i.args.is_empty() && i.block.is_none() && !table.iter().any(|k| k.name == i.name())
            })
            .map(|i| i.name())
            .collect();
        let help = if bare.is_empty() {
            "add: group { INSTANCE_NAME ... }".to_string()
        } else {
            format!(
                "if {} are instances, list them inside group {{ }}",
                bare.join(", ")
            )
        };
        cx.warning(
            node.keyword.span,
            format!(
                "vrrp_sync_group {} has no members; keepalived removes it",
                g.name
            ),
        )
        .with_help(help);
    }
    part.vrrp_sync_group.push(g);
}

/// A notify script keyword that may be given once (keepalived ignores later ones).
pub(super) fn set_once(
    cx: &mut Cx,
    n: &Node,
    slot: &mut Option<crate::model::vrrp::ScriptCommand>,
) {
    if let Some(prev) = slot {
        cx.error(
            n.keyword.span,
            format!(
                "{} is already set at line {}; this one is ignored",
                n.name(),
                prev.origin.line
            ),
        );
        return;
    }
    *slot = notify_script(cx, n, n.name() == "notify_deleted");
}

pub(super) fn garp_group(cx: &mut Cx, node: &Node, part: &mut VrrpPart) {
    cx.no_args(node);
    let items = cx.block(node);
    let mut g = GarpGroup {
        origin: cx.origin(node.keyword.span),
        garp_interval: None,
        gna_interval: None,
        interface: None,
        interfaces: Vec::new(),
    };
    let table: Vec<Keyword<GarpGroup>> = vec![
        kw("garp_interval", |cx, n, g| {
            g.garp_interval = cx.timer(n, 0.0, 4294.0).or(g.garp_interval)
        }),
        kw("gna_interval", |cx, n, g| {
            g.gna_interval = cx.timer(n, 0.0, 4294.0).or(g.gna_interval)
        }),
        kw("interface", |cx, n, g| {
            if let Some(i) = cx.string(n) {
                if check_ifname(cx, &n.args[0], "garp_group") {
                    g.interface = Some(i);
                }
            }
        }),
        kw("interfaces", |cx, n, g| {
            cx.no_args(n);
            let items = cx.block(n);
            if items.is_empty() && n.block.is_some() {
                cx.warning(
                    n.keyword.span,
                    "the interfaces block of this garp_group is empty",
                );
            }
            for item in items {
                cx.list_item_words(item, 0);
                if check_ifname(cx, &item.keyword, "garp_group") {
                    g.interfaces.push(item.name().into());
                }
            }
        }),
    ];
    cx.decode_items("garp_group", items, &table, &mut g);
    if g.garp_interval.is_none() && g.gna_interval.is_none() {
        cx.error(
            node.keyword.span,
            "garp_group sets neither garp_interval nor gna_interval; keepalived removes it",
        );
    }
    if g.interface.is_some() && !g.interfaces.is_empty() {
        cx.warning(
            node.keyword.span,
            "garp_group has both interface and interfaces; use one of them",
        );
    }
    for name in g.interface.iter().chain(g.interfaces.iter()) {
        if let Some(other) = part
            .garp_group
            .iter()
            .find(|o| o.interface.as_ref() == Some(name) || o.interfaces.contains(name))
        {
            cx.error(
                node.keyword.span,
                format!(
                    "interface {name} is already in the garp_group at {}; keepalived ignores it here",
                    other.origin
                ),
            );
        }
    }
    part.garp_group.push(g);
}
