//! `virtual_server` and `real_server` blocks.

use super::{checkers, lvs_method, notify_script, MAX_TIMER, MIN_TIMER};
use crate::decode::{kw, legacy, Cx, Keyword};
use crate::model::lvs::{
    Granularity, IpFamily, LvsMethod, Protocol, RealServer, Scheduler, Service, SorryServer,
    VirtualServer,
};
use crate::model::{Config, Timer};
use crate::tree::Node;

/// keepalived's (and ipvsadm's) limit for persistence_timeout: 31 days.
const MAX_PERSISTENCE: i64 = 2_678_400;
/// IPVS weights are signed 32-bit in the kernel.
const MAX_WEIGHT: i64 = i32::MAX as i64;
/// keepalived keeps connect_timeout in microseconds in an unsigned int.
pub(super) const MAX_CONNECT_TIMEOUT: f64 = 4294.967295;

pub(super) fn virtual_server(cx: &mut Cx, node: &Node, config: &mut Config) {
    let service = service(cx, node);
    let items = cx.block(node);
    let Some(service) = service else { return };
    let mut vs = VirtualServer::new(cx.origin(node.keyword.span), service);
    // Built once: large configurations have thousands of virtual and real servers.
    static TABLE: std::sync::OnceLock<Vec<Keyword<VirtualServer>>> = std::sync::OnceLock::new();
    cx.decode_items(
        "virtual_server",
        items,
        TABLE.get_or_init(vs_keywords),
        &mut vs,
    );
    unwritten_defaults(cx, node, items, &vs);
    let family_written = items
        .iter()
        .rfind(|i| i.name() == "ip_family" && !i.args.is_empty());
    if let Service::Address { address, .. } = &vs.service {
        let family = IpFamily::of(address);
        if let Some(n) = family_written.filter(|_| vs.ip_family != family) {
            cx.error(
                n.span(),
                format!(
                    "ip_family {} conflicts with the virtual server's address {address}",
                    vs.ip_family.as_str()
                ),
            )
            .with_help("ip_family is only needed for fwmark services");
        }
        vs.ip_family = family;
    }
    // Sized once: a Vec left to grow rounds small counts up to 4 and larger ones to a power
    // of two, and thousands of virtual servers make that waste count.
    vs.real_server = Vec::with_capacity(items.iter().filter(|i| i.name() == "real_server").count());
    for item in items.iter().filter(|i| i.name() == "real_server") {
        if let Some(rs) = real_server(cx, item, &vs) {
            vs.real_server.push(rs);
        }
    }
    if !matches!(vs.service, Service::Address { .. }) && family_written.is_none() {
        vs.ip_family = servers_family(&vs);
    }
    config.lvs.virtual_server.push(vs);
}

/// What keepalived 2.2.7 logs about a virtual server's scheduler and method, and so fails its
/// `-t` on: either left to its default, or `hashed` (which sets nothing today) with a scheduler
/// other than sh. The messages name no server, so a file of many reads as one finding.
fn unwritten_defaults(cx: &mut Cx, node: &Node, items: &[Node], vs: &VirtualServer) {
    let written = |names: &[&str]| items.iter().any(|i| names.contains(&i.name()));
    if !written(&["lvs_sched", "lb_algo"]) {
        cx.warning(
            node.keyword.span,
            "virtual_server without lvs_sched: keepalived uses wlc",
        )
        .with_help("write 'lvs_sched wlc' (or rr, wrr, lc, sh, mh, ...) to say which");
    }
    if !written(&["lvs_method", "lb_kind"]) {
        cx.warning(
            node.keyword.span,
            "virtual_server without lvs_method: keepalived uses NAT",
        )
        .with_help("write 'lvs_method NAT' (or DR, TUN) to say which");
    }
    for n in items.iter().filter(|i| i.name() == "hashed") {
        let d = cx.warning(
            n.keyword.span,
            "'hashed' is no longer supported by keepalived and is ignored",
        );
        d.with_help("it set an IPVS flag the kernel manages itself; remove it");
        if vs.lvs_sched == Scheduler::Sh {
            // keepalived 2.2.7 still takes it with sh, silently.
            d.keepalived_passes();
        }
    }
}

/// The family of a service with no address of its own: that of its non-tunnelled servers
/// (which must all share the virtual server's), else of its tunnelled ones when they agree,
/// else IPv4.
fn servers_family(vs: &VirtualServer) -> IpFamily {
    let sorry = vs.sorry_server.as_ref().map(|s| {
        (
            s.address,
            vs.sorry_server_lvs_method.unwrap_or(vs.lvs_method),
        )
    });
    let all: Vec<(IpFamily, bool)> = sorry
        .into_iter()
        .chain(vs.real_server.iter().map(|rs| (rs.address, rs.lvs_method)))
        .map(|(a, m)| (IpFamily::of(&a), m.is_tunnel()))
        .collect();
    if let Some((f, _)) = all.iter().find(|(_, tun)| !tun) {
        return *f;
    }
    match all.first() {
        Some((f, _)) if all.iter().all(|(g, _)| g == f) => *f,
        _ => IpFamily::Inet,
    }
}

/// The header: `IP [PORT]`, `fwmark N` or `group NAME`.
fn service(cx: &mut Cx, node: &Node) -> Option<Service> {
    let Some(first) = node.args.first() else {
        cx.error(
            node.span(),
            "virtual_server needs an address and port, 'fwmark N' or 'group NAME'",
        );
        return None;
    };
    match first.text.as_str() {
        "fwmark" => {
            if !cx.arity(node, 2, Some(2)) {
                return None;
            }
            let mark = cx.int_word(node, &node.args[1], 1, i64::from(u32::MAX))?;
            Some(Service::Fwmark {
                fwmark: mark as u32,
            })
        }
        "group" => cx.arity(node, 2, Some(2)).then(|| Service::Group {
            group: node.args[1].text.to_string(),
        }),
        _ => {
            cx.arity(node, 1, Some(2));
            let address = cx.ip_word(node, first)?;
            let port = match node.args.get(1) {
                Some(w) => cx.port_word(node, w)?,
                None => 0,
            };
            Some(Service::Address { address, port })
        }
    }
}

/// The virtual server's flag keywords (`ops`, `alpha`, ...), each with an optional `<BOOL>`.
fn flag_kw(name: &'static str) -> Keyword<VirtualServer> {
    kw(name, |cx, n, vs| {
        let on = cx.flag(n);
        match n.name() {
            "flag-1" => vs.flag_1 = on,
            "flag-2" => vs.flag_2 = on,
            "flag-3" => vs.flag_3 = on,
            "sh-port" => vs.sh_port = on,
            "sh-fallback" => vs.sh_fallback = on,
            "mh-port" => vs.mh_port = on,
            "mh-fallback" => vs.mh_fallback = on,
            "ops" => vs.ops = on,
            "alpha" => vs.alpha = on,
            "omega" => vs.omega = on,
            "ha_suspend" => vs.ha_suspend = on,
            "inhibit_on_failure" => vs.inhibit_on_failure = on,
            "sorry_server_inhibit" => vs.sorry_server_inhibit = on,
            _ => {}
        }
    })
}

fn sched(cx: &mut Cx, n: &Node, vs: &mut VirtualServer) {
    if let Some(name) = cx.choice(n, &Scheduler::NAMES) {
        vs.lvs_sched = Scheduler::from_name(name).unwrap_or_default();
    }
}

fn method(cx: &mut Cx, n: &Node, vs: &mut VirtualServer) {
    if let Some(m) = lvs_method(cx, n) {
        vs.lvs_method = m;
    }
}

pub(super) fn vs_keywords() -> Vec<Keyword<VirtualServer>> {
    let mut table = vec![
        kw("lvs_sched", sched),
        legacy("lb_algo", "lvs_sched", sched),
        // Reported once the scheduler is known (keepalived's verdict depends on it).
        kw("hashed", |cx, n, _| {
            cx.bare(n);
        }),
        kw("lvs_method", method),
        legacy("lb_kind", "lvs_method", method),
        kw("persistence_timeout", |cx, n, vs| {
            cx.no_block(n);
            cx.arity(n, 0, Some(1));
            match n.args.first() {
                None => {
                    vs.persistence_timeout = Some(crate::model::lvs::defaults::PERSISTENCE_TIMEOUT)
                }
                Some(w) => {
                    if let Some(v) = cx.int_word(n, w, 1, MAX_PERSISTENCE) {
                        vs.persistence_timeout = Some(v as u32);
                    }
                }
            }
        }),
        kw("persistence_granularity", |cx, n, vs| {
            let Some(text) = cx.string(n) else { return };
            let g = if text.contains('.') {
                text.parse().ok().map(Granularity::Netmask)
            } else {
                text.parse::<u8>()
                    .ok()
                    .filter(|l| (1..=128).contains(l))
                    .map(Granularity::PrefixLen)
            };
            match g {
                Some(g) => vs.persistence_granularity = Some(g),
                None => cx.invalid(
                    n,
                    &n.args[0],
                    "expected an IPv4 netmask or an IPv6 prefix length 1..128",
                ),
            }
        }),
        kw("persistence_engine", |cx, n, vs| {
            if let Some(name) = cx.string(n) {
                if name != "sip" {
                    cx.warning(
                        n.args[0].span,
                        format!(
                            "persistence_engine '{name}' is not one the kernel has (only 'sip')"
                        ),
                    );
                }
                vs.persistence_engine = Some(name);
            }
        }),
        kw("protocol", |cx, n, vs| {
            let Some(w) = cx.string(n) else { return };
            vs.protocol = match w.to_ascii_uppercase().as_str() {
                "TCP" => Some(Protocol::TCP),
                "UDP" => Some(Protocol::UDP),
                "SCTP" => Some(Protocol::SCTP),
                _ => {
                    cx.invalid(n, &n.args[0], "expected one of TCP, UDP, SCTP");
                    vs.protocol
                }
            };
        }),
        kw("ip_family", |cx, n, vs| {
            match cx.choice(n, &["inet", "inet6"]) {
                Some("inet") => vs.ip_family = IpFamily::Inet,
                Some(_) => vs.ip_family = IpFamily::Inet6,
                None => {}
            }
        }),
        kw("virtualhost", |cx, n, vs| {
            vs.virtualhost = cx.string(n).or(vs.virtualhost.take())
        }),
        kw("snmp_name", |cx, n, vs| {
            vs.snmp_name = cx.string(n).or(vs.snmp_name.take())
        }),
        kw("quorum", |cx, n, vs| {
            if let Some(v) = cx.int(n, 1, i64::from(u32::MAX)) {
                vs.quorum = v as u32;
            }
        }),
        kw("hysteresis", |cx, n, vs| {
            if let Some(v) = cx.int(n, 0, i64::from(u32::MAX)) {
                vs.hysteresis = v as u32;
            }
        }),
        kw("quorum_up", |cx, n, vs| {
            script_once(cx, n, &mut vs.quorum_up)
        }),
        kw("quorum_down", |cx, n, vs| {
            script_once(cx, n, &mut vs.quorum_down)
        }),
        kw("smtp_alert", |cx, n, vs| vs.smtp_alert = Some(cx.flag(n))),
        kw("sorry_server", |cx, n, vs| {
            cx.no_block(n);
            if !cx.arity(n, 1, Some(2)) {
                return;
            }
            let Some(address) = cx.ip_word(n, &n.args[0]) else {
                return;
            };
            let port = match n.args.get(1) {
                Some(w) => match cx.port_word(n, w) {
                    Some(p) => p,
                    None => return,
                },
                None => 0,
            };
            vs.sorry_server = Some(SorryServer {
                origin: cx.origin(n.keyword.span),
                address,
                port,
            });
        }),
        kw("sorry_server_lvs_method", |cx, n, vs| {
            if let Some(m) = lvs_method(cx, n) {
                vs.sorry_server_lvs_method = Some(m);
            }
        }),
        kw("delay_loop", |cx, n, vs| {
            vs.delay_loop = cx.timer(n, MIN_TIMER, MAX_TIMER).unwrap_or(vs.delay_loop)
        }),
        kw("connect_timeout", |cx, n, vs| {
            vs.connect_timeout = cx
                .timer(n, MIN_TIMER, MAX_CONNECT_TIMEOUT)
                .unwrap_or(vs.connect_timeout)
        }),
        kw("retry", |cx, n, vs| {
            vs.retry = cx
                .int(n, 1, i64::from(u32::MAX))
                .map(|v| v as u32)
                .or(vs.retry)
        }),
        kw("delay_before_retry", |cx, n, vs| {
            vs.delay_before_retry = cx.timer(n, 0.0, MAX_TIMER).or(vs.delay_before_retry)
        }),
        kw("warmup", |cx, n, vs| {
            vs.warmup = cx.timer(n, 0.0, MAX_TIMER).or(vs.warmup)
        }),
        kw("weight", |cx, n, vs| {
            vs.weight = cx.int(n, 1, MAX_WEIGHT).map_or(vs.weight, |v| v as u32)
        }),
        // Read in a second pass, once the virtual server's own settings are known.
        kw("real_server", |_, _, _| {}),
    ];
    for name in [
        "flag-1",
        "flag-2",
        "flag-3",
        "sh-port",
        "sh-fallback",
        "mh-port",
        "mh-fallback",
        "ops",
        "alpha",
        "omega",
        "ha_suspend",
        "inhibit_on_failure",
        "sorry_server_inhibit",
    ] {
        table.push(flag_kw(name));
    }
    table
}

/// A script keyword keepalived takes once: a second one is ignored.
fn script_once(cx: &mut Cx, n: &Node, slot: &mut Option<crate::model::lvs::ScriptCommand>) {
    let Some(s) = notify_script(cx, n) else {
        return;
    };
    if slot.is_some() {
        cx.warning(
            n.keyword.span,
            format!("{} is already set; this one is ignored", n.name()),
        )
        .with_help("keepalived keeps the first one");
        return;
    }
    *slot = Some(s);
}

/// `real_server IP [PORT] { ... }`, with every inheritable value taken from `vs` unless written.
fn real_server(cx: &mut Cx, node: &Node, vs: &VirtualServer) -> Option<RealServer> {
    let ok = cx.arity(node, 1, Some(2));
    let items = cx.block(node);
    if !ok {
        return None;
    }
    let address = cx.ip_word(node, &node.args[0]);
    let port = match node.args.get(1) {
        Some(w) => cx.port_word(node, w).map(Some),
        None => Some(None),
    };
    let (Some(address), Some(port)) = (address, port) else {
        return None;
    };
    let default_port = match vs.service {
        Service::Address { port, .. } => port,
        _ => 0,
    };
    let mut rs = RealServer {
        origin: cx.origin(node.keyword.span),
        address,
        port: port.filter(|p| *p != 0).unwrap_or(default_port),
        weight: vs.weight,
        lvs_method: vs.lvs_method,
        uthreshold: None,
        lthreshold: None,
        inhibit_on_failure: vs.inhibit_on_failure,
        notify_up: None,
        notify_down: None,
        alpha: vs.alpha,
        retry: vs.retry,
        delay_before_retry: vs.delay_before_retry,
        warmup: vs.warmup,
        connect_timeout: vs.connect_timeout,
        delay_loop: vs.delay_loop,
        smtp_alert: None,
        virtualhost: vs.virtualhost.clone(),
        snmp_name: None,
        checkers: Vec::new(),
    };
    static TABLE: std::sync::OnceLock<Vec<Keyword<RealServer>>> = std::sync::OnceLock::new();
    cx.decode_items(
        "real_server",
        items,
        TABLE.get_or_init(rs_keywords),
        &mut rs,
    );
    let is_checker = |i: &&Node| checkers::KEYWORDS.contains(&i.name());
    // Most real servers have one checker: a Vec left to grow would hold room for four.
    rs.checkers = Vec::with_capacity(items.iter().filter(is_checker).count());
    for item in items.iter().filter(is_checker) {
        if let Some(c) = checkers::checker(cx, item, &rs) {
            rs.checkers.push(c);
        }
    }
    Some(rs)
}

fn timer_or(cx: &mut Cx, n: &Node, min: f64, max: f64, old: Timer) -> Timer {
    cx.timer(n, min, max).unwrap_or(old)
}

pub(super) fn rs_keywords() -> Vec<Keyword<RealServer>> {
    let mut table: Vec<Keyword<RealServer>> = vec![
        kw("weight", |cx, n, rs| {
            rs.weight = cx.int(n, 0, MAX_WEIGHT).map_or(rs.weight, |v| v as u32)
        }),
        kw("lvs_method", |cx, n, rs| {
            rs.lvs_method = lvs_method(cx, n).unwrap_or(rs.lvs_method)
        }),
        kw("uthreshold", |cx, n, rs| {
            rs.uthreshold = cx
                .int(n, 0, i64::from(u32::MAX))
                .map(|v| v as u32)
                .or(rs.uthreshold)
        }),
        kw("lthreshold", |cx, n, rs| {
            rs.lthreshold = cx
                .int(n, 0, i64::from(u32::MAX))
                .map(|v| v as u32)
                .or(rs.lthreshold)
        }),
        kw("inhibit_on_failure", |cx, n, rs| {
            rs.inhibit_on_failure = cx.flag(n)
        }),
        kw("notify_up", |cx, n, rs| {
            script_once(cx, n, &mut rs.notify_up)
        }),
        kw("notify_down", |cx, n, rs| {
            script_once(cx, n, &mut rs.notify_down)
        }),
        kw("alpha", |cx, n, rs| rs.alpha = cx.flag(n)),
        kw("retry", |cx, n, rs| {
            rs.retry = cx
                .int(n, 1, i64::from(u32::MAX))
                .map(|v| v as u32)
                .or(rs.retry)
        }),
        kw("delay_before_retry", |cx, n, rs| {
            rs.delay_before_retry = cx.timer(n, 0.0, MAX_TIMER).or(rs.delay_before_retry)
        }),
        kw("warmup", |cx, n, rs| {
            rs.warmup = cx.timer(n, 0.0, MAX_TIMER).or(rs.warmup)
        }),
        kw("connect_timeout", |cx, n, rs| {
            rs.connect_timeout = timer_or(cx, n, MIN_TIMER, MAX_CONNECT_TIMEOUT, rs.connect_timeout)
        }),
        kw("delay_loop", |cx, n, rs| {
            rs.delay_loop = timer_or(cx, n, MIN_TIMER, MAX_TIMER, rs.delay_loop)
        }),
        kw("smtp_alert", |cx, n, rs| rs.smtp_alert = Some(cx.flag(n))),
        kw("virtualhost", |cx, n, rs| {
            if let Some(v) = cx.string(n) {
                rs.virtualhost = Some(v);
            }
        }),
        kw("snmp_name", |cx, n, rs| {
            rs.snmp_name = cx.string(n).or(rs.snmp_name.take())
        }),
    ];
    // Checkers are read in a second pass, once the real server's own settings are known.
    for name in checkers::KEYWORDS {
        table.push(kw(name, |_, _, _| {}));
    }
    table
}

/// The real server's weight sum that keepalived compares the quorum with.
pub(super) fn weight_sum(vs: &VirtualServer) -> u64 {
    vs.real_server.iter().map(|rs| u64::from(rs.weight)).sum()
}

/// Whether a server is forwarded by NAT (the only method that may change the port).
pub(super) fn is_nat(m: &LvsMethod) -> bool {
    matches!(m, LvsMethod::NAT)
}
