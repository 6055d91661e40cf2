//! Semantic checks of the LVS part, once the whole file is read. Where keepalived fixes a
//! setting up itself and runs (a quorum above the total weight, a missing protocol), the model
//! gets the fixed value and the finding is a warning; where keepalived drops an item (a real
//! server of the wrong address family, a duplicate), the model drops it too and the finding is
//! an error.

use super::server::{is_nat, weight_sum};
use crate::decode::{did_you_mean, Cx};
use crate::model::lvs::{
    Granularity, IpFamily, LvsPart, Protocol, Scheduler, Service, VirtualServer, VirtualServerGroup,
};
use crate::model::Config;

pub(super) fn check(cx: &mut Cx, config: &mut Config) {
    resolve_global_defaults(config);
    check_tracked_names(cx, config);
    let LvsPart {
        virtual_server_group: groups,
        virtual_server: servers,
        ..
    } = &mut config.lvs;
    check_groups(cx, groups);
    servers.retain_mut(|vs| check_virtual_server(cx, vs, groups));
    // A map, not a scan of the servers before each one: large configurations have thousands.
    let mut seen: std::collections::HashMap<(&Service, Option<Protocol>), &VirtualServer> =
        std::collections::HashMap::with_capacity(servers.len());
    for vs in servers.iter() {
        if let Some(first) = seen.insert((&vs.service, vs.protocol), vs) {
            seen.insert((&vs.service, vs.protocol), first);
            cx.error(
                vs.origin.span,
                format!(
                    "virtual_server {} is already defined at {}",
                    describe(vs),
                    first.origin
                ),
            )
            .with_help("merge the two blocks; IPVS has one service per address, port and protocol");
        }
    }
}

fn describe(vs: &VirtualServer) -> String {
    match vs.protocol {
        Some(p) if matches!(vs.service, Service::Address { .. }) => format!("{} {p:?}", vs.service),
        _ => vs.service.to_string(),
    }
}

fn check_groups(cx: &mut Cx, groups: &[VirtualServerGroup]) {
    for (i, g) in groups.iter().enumerate() {
        if let Some(first) = groups[..i].iter().find(|o| o.name == g.name) {
            cx.error(
                g.origin.span,
                format!(
                    "virtual_server_group {} is already defined at {}",
                    g.name, first.origin
                ),
            )
            .with_help("give each group its own name, or merge them");
            continue;
        }
        if g.addresses.is_empty() && g.fwmark.is_empty() {
            cx.warning(
                g.origin.span,
                format!(
                    "virtual_server_group {} has no entries; keepalived ignores it",
                    g.name
                ),
            );
        }
        let v4 = g.addresses.iter().any(|a| a.first.is_ipv4());
        let v6 = g.addresses.iter().any(|a| a.first.is_ipv6());
        if v4 && v6 && g.fwmark.iter().any(|f| f.ip_family.is_none()) {
            cx.error(
                g.origin.span,
                format!(
                    "virtual_server_group {} has IPv4 and IPv6 addresses and a fwmark without a family; keepalived drops the group",
                    g.name
                ),
            )
            .with_help("write 'fwmark N inet' or 'fwmark N inet6'");
        }
    }
}

/// What a service is made of, once its group is looked up.
struct Shape {
    has_addresses: bool,
    has_fwmarks: bool,
    /// Some address of the service without a port.
    portless: bool,
}

/// Checks and settles one virtual server; false when keepalived would drop it.
fn check_virtual_server(
    cx: &mut Cx,
    vs: &mut VirtualServer,
    groups: &[VirtualServerGroup],
) -> bool {
    let span = vs.origin.span;
    // Formatted only when a message needs it: most virtual servers get none.
    let name = vs.service.clone();
    let shape = match &vs.service {
        Service::Address { port, .. } => Shape {
            has_addresses: true,
            has_fwmarks: false,
            portless: *port == 0,
        },
        Service::Fwmark { .. } => Shape {
            has_addresses: false,
            has_fwmarks: true,
            portless: false,
        },
        Service::Group { group } => {
            match groups.iter().find(|g| &g.name == group) {
                Some(g) => {
                    if let Some(a) = g.addresses.first() {
                        vs.ip_family = IpFamily::of(&a.first);
                    } else if let Some(f) = g.fwmark.iter().find_map(|f| f.ip_family) {
                        vs.ip_family = f;
                    }
                    Shape {
                        has_addresses: !g.addresses.is_empty(),
                        has_fwmarks: !g.fwmark.is_empty(),
                        portless: g.addresses.iter().any(|a| a.port.is_none()),
                    }
                }
                None => {
                    let d = cx.error(span, format!("virtual_server group {group}: there is no virtual_server_group {group}"));
                    match did_you_mean(group, groups.iter().map(|g| g.name.as_str())) {
                        Some(s) => d.with_help(format!("did you mean '{s}'?")),
                        None => {
                            d.with_help(format!("define 'virtual_server_group {group} {{ ... }}'"))
                        }
                    };
                    Shape {
                        has_addresses: false,
                        has_fwmarks: false,
                        portless: false,
                    }
                }
            }
        }
    };

    if vs.real_server.is_empty() {
        cx.warning(
            span,
            format!("virtual_server {name} has no real_server; keepalived ignores it"),
        );
        return false;
    }

    if vs.ha_suspend && shape.has_fwmarks {
        cx.warning(
            span,
            format!("virtual_server {name}: ha_suspend does not work with fwmarks; it is ignored"),
        );
        vs.ha_suspend = false;
    }
    if vs.ha_suspend && matches!(vs.service, Service::Group { .. }) {
        // Measured on keepalived 2.2.7: a group's checkers start "Deactivat[ed]" and no
        // address activates them (a group has no single address to follow).
        cx.warning(
            span,
            format!(
                "virtual_server {name}: with ha_suspend keepalived never checks a group's real \
                 servers (they keep the state they start with)"
            ),
        )
        .with_help("remove ha_suspend to have them checked");
    }

    if shape.has_addresses {
        if vs.protocol.is_none() {
            cx.warning(
                span,
                format!("virtual_server {name} has no protocol; keepalived uses UDP"),
            )
            .with_help("write 'protocol TCP' (or UDP, SCTP)");
            vs.protocol = Some(Protocol::UDP);
        }
        if vs.ops && vs.protocol != Some(Protocol::UDP) {
            cx.warning(span, format!("virtual_server {name}: ops (one-packet scheduling) needs protocol UDP; it is ignored"));
            vs.ops = false;
        }
        if shape.portless
            && vs.persistence_timeout.is_none()
            && vs.persistence_granularity.is_none()
        {
            cx.warning(
                span,
                format!("virtual_server {name}: a service without a port must be persistent; keepalived uses persistence_timeout 360"),
            )
            .with_help("give the port, or write persistence_timeout");
            vs.persistence_timeout = Some(crate::model::lvs::defaults::PERSISTENCE_TIMEOUT);
        }
    } else if vs.protocol.is_some() && shape.has_fwmarks {
        cx.warning(
            span,
            format!("virtual_server {name}: protocol is ignored for a fwmark service"),
        );
        vs.protocol = None;
    }

    if let Some(g) = vs.persistence_granularity {
        let fits = matches!(
            (g, vs.ip_family),
            (Granularity::Netmask(_), IpFamily::Inet)
                | (Granularity::PrefixLen(_), IpFamily::Inet6)
        );
        if !fits {
            let want = if vs.ip_family == IpFamily::Inet {
                "a netmask such as 255.255.255.0"
            } else {
                "a prefix length 1..128"
            };
            cx.error(span, format!("virtual_server {name}: persistence_granularity must be {want} for this service"));
            vs.persistence_granularity = None;
        } else if vs.persistence_timeout.is_none() {
            vs.persistence_timeout = Some(crate::model::lvs::defaults::PERSISTENCE_TIMEOUT);
        }
    }

    for (flag, on, sched) in [
        ("sh-port", &mut vs.sh_port, Scheduler::Sh),
        ("sh-fallback", &mut vs.sh_fallback, Scheduler::Sh),
        ("mh-port", &mut vs.mh_port, Scheduler::Mh),
        ("mh-fallback", &mut vs.mh_fallback, Scheduler::Mh),
    ] {
        if *on && vs.lvs_sched != sched {
            let s = if sched == Scheduler::Sh { "sh" } else { "mh" };
            cx.warning(
                span,
                format!(
                    "virtual_server {name}: {flag} only applies to lvs_sched {s}; it is ignored"
                ),
            );
            *on = false;
        }
    }

    check_real_servers(cx, vs, &name, &shape);
    check_sorry_server(cx, vs, &name, &shape);

    let total = weight_sum(vs);
    if u64::from(vs.quorum) > total {
        cx.warning(
            span,
            format!("virtual_server {name}: quorum {} is more than the total weight {total} of its real servers; keepalived uses {total}", vs.quorum),
        );
        vs.quorum = total as u32;
    }
    if vs.hysteresis >= vs.quorum && vs.hysteresis > 0 {
        let h = vs.quorum.saturating_sub(1);
        cx.warning(
            span,
            format!("virtual_server {name}: hysteresis {} must be less than quorum {}; keepalived uses {h}", vs.hysteresis, vs.quorum),
        );
        vs.hysteresis = h;
    }
    true
}

fn check_real_servers(cx: &mut Cx, vs: &mut VirtualServer, name: &Service, shape: &Shape) {
    let family = vs.ip_family;
    let vs_port = match vs.service {
        Service::Address { port, .. } => Some(port),
        _ => None,
    };
    // In place: the servers kept so far are those before `i`, and a dropped one is removed
    // (rare: it takes an error in the configuration).
    let mut i = 0;
    while i < vs.real_server.len() {
        let (kept, rest) = vs.real_server.split_at_mut(i);
        let rs = &mut rest[0];
        let span = rs.origin.span;
        if !rs.lvs_method.is_tunnel() && IpFamily::of(&rs.address) != family {
            cx.error(
                span,
                format!(
                    "real_server {} is {} but virtual_server {name} is {}; keepalived drops it",
                    rs.address,
                    IpFamily::of(&rs.address).as_str(),
                    family.as_str()
                ),
            )
            .with_help("only TUN real servers may be of another address family");
            vs.real_server.remove(i);
            continue;
        }
        if let Some(first) = kept
            .iter()
            .find(|o| o.address == rs.address && o.port == rs.port)
        {
            cx.error(
                span,
                format!("real_server {} {} is already in virtual_server {name} (at {}); keepalived drops this one", rs.address, rs.port, first.origin),
            );
            vs.real_server.remove(i);
            continue;
        }
        if !is_nat(&rs.lvs_method) {
            match vs_port {
                Some(p) if rs.port != p => {
                    cx.warning(
                        span,
                        format!("real_server {} port {} differs from the virtual server's port {p}; only NAT can change the port, so keepalived uses {p}", rs.address, rs.port),
                    );
                    rs.port = p;
                }
                None if shape.has_fwmarks && rs.port != 0 => {
                    cx.warning(
                        span,
                        format!("real_server {} port {} is ignored: only NAT can change the port of a fwmark service", rs.address, rs.port),
                    );
                    if matches!(vs.service, Service::Fwmark { .. }) {
                        rs.port = 0;
                    }
                }
                _ => {}
            }
        }
        i += 1;
    }
}

fn check_sorry_server(cx: &mut Cx, vs: &mut VirtualServer, name: &Service, shape: &Shape) {
    let Some(mut sorry) = vs.sorry_server.take() else {
        if vs.sorry_server_inhibit || vs.sorry_server_lvs_method.is_some() {
            cx.warning(vs.origin.span, format!("virtual_server {name}: sorry_server settings without a sorry_server are ignored"));
            vs.sorry_server_inhibit = false;
            vs.sorry_server_lvs_method = None;
        }
        return;
    };
    let method = vs.sorry_server_lvs_method.unwrap_or(vs.lvs_method);
    if !method.is_tunnel() && IpFamily::of(&sorry.address) != vs.ip_family {
        cx.error(
            sorry.origin.span,
            format!(
                "sorry_server {} is not {} like virtual_server {name}; keepalived ignores it",
                sorry.address,
                vs.ip_family.as_str()
            ),
        );
        vs.sorry_server_inhibit = false;
        vs.sorry_server_lvs_method = None;
        return;
    }
    match vs.service {
        Service::Address { port, .. } => {
            if sorry.port == 0 {
                sorry.port = port;
            } else if sorry.port != port && !is_nat(&method) {
                cx.warning(
                    sorry.origin.span,
                    format!("sorry_server port {} differs from the virtual server's port {port}; only NAT can change the port, so keepalived uses {port}", sorry.port),
                );
                sorry.port = port;
            }
        }
        _ if shape.has_fwmarks && sorry.port != 0 && !is_nat(&method) => {
            cx.warning(sorry.origin.span, format!("sorry_server port {} is ignored: only NAT can change the port of a fwmark service", sorry.port));
            if matches!(vs.service, Service::Fwmark { .. }) {
                sorry.port = 0;
            }
        }
        _ => {}
    }
    if let Some(rs) = vs
        .real_server
        .iter()
        .find(|rs| rs.address == sorry.address && rs.port == sorry.port)
    {
        if rs.inhibit_on_failure != vs.sorry_server_inhibit {
            cx.warning(
                sorry.origin.span,
                format!(
                    "sorry_server {} is also a real_server, whose inhibit_on_failure differs from sorry_server_inhibit; keepalived uses the real server's ({})",
                    sorry.address, rs.inhibit_on_failure
                ),
            );
            vs.sorry_server_inhibit = rs.inhibit_on_failure;
        }
    }
    vs.sorry_server_lvs_method = Some(method);
    vs.sorry_server = Some(sorry);
}

/// The values whose default comes from global_defs: smtp_alert (global smtp_alert_checker, else
/// smtp_alert, else off for a virtual server and on for a real server) and a checker's
/// log_all_failures (global checker_log_all_failures).
fn resolve_global_defaults(config: &mut Config) {
    let defs = &config.global.global_defs;
    let global_alert = defs.smtp_alert_checker.or(defs.smtp_alert);
    let log_all = defs.checker_log_all_failures;
    for vs in &mut config.lvs.virtual_server {
        vs.smtp_alert = vs.smtp_alert.or(global_alert).or(Some(false));
        for rs in &mut vs.real_server {
            rs.smtp_alert = rs.smtp_alert.or(global_alert).or(Some(true));
            for c in &mut rs.checkers {
                if let Some(common) = c.common_mut() {
                    common.log_all_failures = common.log_all_failures.or(Some(log_all));
                }
            }
        }
    }
}

/// FILE_CHECK follows a `track_file` block and BFD_CHECK a `bfd_instance`, both declared in the
/// VRRP part (anywhere in the file). keepalived drops a checker whose target does not exist
/// ("track_file X not found", "BFD X not configured"); so does the model.
fn check_tracked_names(cx: &mut Cx, config: &mut Config) {
    use crate::model::lvs::Checker;
    let track_files: Vec<&str> = config
        .vrrp
        .track_file
        .iter()
        .map(|t| t.name.as_str())
        .collect();
    let bfds: Vec<&str> = config
        .vrrp
        .bfd_instance
        .iter()
        .map(|b| b.name.as_str())
        .collect();
    for vs in &mut config.lvs.virtual_server {
        for rs in &mut vs.real_server {
            rs.checkers.retain(|c| {
                let (kind, name, origin, known) = match c {
                    Checker::File(f) => ("track_file", &f.track_file, &f.origin, &track_files),
                    Checker::Bfd(b) => ("bfd_instance", &b.name, &b.origin, &bfds),
                    _ => return true,
                };
                if known.contains(&name.as_str()) {
                    return true;
                }
                let d = cx.error(
                    origin.span,
                    format!("{} follows {kind} '{name}', which is not defined; keepalived drops this checker", c.keyword()),
                );
                match did_you_mean(name, known.iter().copied()) {
                    Some(s) => d.with_help(format!("did you mean '{s}'?")),
                    None => d.with_help(format!("declare it with `{kind} {name} {{ ... }}`")),
                };
                false
            });
        }
    }
}
