//! `vrrp_instance NAME { ... }`. Values that depend on other keywords or on global_defs are
//! left unresolved here (`written` records what was given) and resolved by `check`.

use super::track::{check_ifname, set_once, track_interfaces, track_refs, RefKind};
use super::{address, route, rule, same_family, unique_block_name, virtual_if};
use crate::decode::{deprecated, kw, Cx, Keyword};
use crate::model::vrrp::{
    AntiReplay, AuthHmac, AuthType, Authentication, Family, GarpExtraIf, HmacKey, HmacMode,
    OldUnicastChecksum, UnicastPeer, VrrpInstance, VrrpPart, VrrpState, Written,
};
use crate::tree::Node;
use crate::values::{self, Timer};

pub(super) fn vrrp_instance(cx: &mut Cx, node: &Node, part: &mut VrrpPart) {
    let at = cx.mark();
    let Some(name) = unique_block_name(cx, node, &part.vrrp_instance, |i| (&i.name, &i.origin))
    else {
        // keepalived: "vrrp instance VI_1 already defined", and runs the first one.
        let duplicate = node.args.len() == 1
            && part
                .vrrp_instance
                .iter()
                .any(|i| i.name == node.args[0].text);
        if duplicate {
            cx.runs_on_since(at, None);
        }
        return;
    };
    let items = cx.block(node);
    let mut inst = new_instance(cx.origin(node.keyword.span), name);
    let context = format!("vrrp_instance {}", inst.name);
    // Built once: configurations with hundreds of instances exist.
    static TABLE: std::sync::OnceLock<Vec<Keyword<VrrpInstance>>> = std::sync::OnceLock::new();
    cx.decode_items(&context, items, TABLE.get_or_init(keywords), &mut inst);
    part.vrrp_instance.push(inst);
}

/// An instance with every value at its placeholder; `check` resolves what was not written.
fn new_instance(origin: crate::source::Origin, name: String) -> VrrpInstance {
    VrrpInstance {
        origin,
        name,
        state: VrrpState::Backup,
        interface: None,
        vrf: None,
        virtual_router_id: None,
        priority: 100,
        advert_int: Timer::secs(1),
        version: 2,
        nopreempt: false,
        preempt_delay: Timer::default(),
        accept: true,
        strict_mode: false,
        skip_check_adv_addr: false,
        native_ipv6: false,
        dont_track_primary: false,
        virtual_ipaddress: Vec::new(),
        virtual_ipaddress_excluded: Vec::new(),
        no_virtual_ipaddress: false,
        promote_secondaries: false,
        virtual_routes: Vec::new(),
        virtual_rules: Vec::new(),
        use_vmac: None,
        use_vmac_addr: false,
        vmac_xmit_base: false,
        use_ipvlan: None,
        authentication: None,
        auth_hmac: None,
        track_interface: Vec::new(),
        track_script: Vec::new(),
        track_file: Vec::new(),
        track_process: Vec::new(),
        track_bfd: Vec::new(),
        track_src_ip: false,
        mcast_src_ip: None,
        unicast_src_ip: None,
        mcast_dst_ip: None,
        unicast_peer: Vec::new(),
        unicast_fault_no_peer: false,
        unicast_ttl: None,
        check_unicast_src: false,
        old_unicast_checksum: None,
        v3_checksum_as_v2: false,
        garp_master_delay: Timer::secs(5),
        garp_master_repeat: 5,
        garp_master_refresh: Timer::default(),
        garp_master_refresh_repeat: 1,
        garp_lower_prio_delay: Timer::secs(5),
        garp_lower_prio_repeat: 5,
        garp_extra_if: None,
        down_timer_adverts: 3,
        timer_expired_backup: None,
        lower_prio_no_advert: false,
        higher_prio_send_advert: false,
        owner_ignore_adverts: false,
        notify_master: None,
        notify_backup: None,
        notify_fault: None,
        notify_stop: None,
        notify_deleted: None,
        notify: None,
        notify_master_rx_lower_pri: None,
        notify_priority_changes: false,
        smtp_alert: false,
        debug: None,
        kernel_rx_buf_size: None,
        linkbeat_use_polling: false,
        lvs_sync_daemon_interface: None,
        family: None,
        written: Written::default(),
    }
}

/// Records that a keyword set its value (for resolution and for pointing diagnostics at it).
fn mark(i: &mut VrrpInstance, key: &'static str, n: &Node) {
    i.written.set(key, n.keyword.span);
}

/// A `<BOOL>` flag whose unwritten value is resolved later.
fn flag(cx: &mut Cx, n: &Node, i: &mut VrrpInstance, key: &'static str) -> bool {
    let v = cx.flag(n);
    mark(i, key, n);
    v
}

/// Seconds as a whole number (keepalived reads these GARP settings as integers).
fn secs(cx: &mut Cx, n: &Node, max: i64) -> Option<Timer> {
    cx.int(n, 0, max).map(|v| Timer::secs(v as u64))
}

/// A keyword that switches the instance to unicast (keepalived then needs peers).
fn unicast(i: &mut VrrpInstance, n: &Node) {
    if !i.written.has("unicast") {
        i.written.set("unicast", n.keyword.span);
    }
}

pub(super) fn keywords() -> Vec<Keyword<VrrpInstance>> {
    vec![
        kw("state", |cx, n, i| {
            let at = cx.mark();
            let state = cx.choice(n, &["MASTER", "BACKUP"]);
            // keepalived: "unknown state 'x', defaulting to BACKUP".
            cx.value_runs_on_since(at, n, Some("using BACKUP, as keepalived does"));
            match state {
                Some("MASTER") => {
                    i.state = VrrpState::Master;
                    mark(i, "state", n);
                }
                Some(_) => {
                    if i.written.has("state") && i.state == VrrpState::Master {
                        cx.error(
                            n.keyword.span,
                            "state is already MASTER; keepalived ignores this BACKUP",
                        );
                        return;
                    }
                    i.state = VrrpState::Backup;
                    mark(i, "state", n);
                }
                None => {
                    i.state = VrrpState::Backup;
                    mark(i, "state", n);
                }
            }
        }),
        kw("interface", |cx, n, i| {
            let Some(v) = cx.string(n) else { return };
            if !check_ifname(cx, &n.args[0], "interface") {
                return;
            }
            if v == "lo" {
                cx.error(
                    n.args[0].span,
                    "a vrrp_instance cannot run on the loopback interface; it is ignored",
                );
                return;
            }
            i.interface = Some(v);
            mark(i, "interface", n);
        }),
        kw("vrf", |cx, n, i| {
            let Some(v) = cx.string(n) else { return };
            if !check_ifname(cx, &n.args[0], "vrf") {
                return;
            }
            if i.interface.is_some() {
                cx.error(
                    n.keyword.span,
                    "vrf cannot be given with interface; it is ignored",
                )
                .with_help("vrf is for unicast instances without an interface");
                return;
            }
            i.vrf = Some(v);
        }),
        kw("virtual_router_id", |cx, n, i| {
            let at = cx.mark();
            if let Some(v) = cx.int(n, 1, 255) {
                i.virtual_router_id = Some(v as u8);
                mark(i, "virtual_router_id", n);
            }
            // keepalived's VRRP process then ends: "the virtual router id must be set".
            for d in cx.diags.since(at) {
                if d.level == crate::Level::Error {
                    d.daemon_stops();
                }
            }
        }),
        kw("priority", |cx, n, i| {
            let at = cx.mark();
            // Not a number or out of range: keepalived uses 100 ("Priority not valid! ...
            // Using default 100"), also with state MASTER, which unwritten would mean 255.
            i.priority = cx.int(n, 1, 255).map_or(100, |v| v as u8);
            cx.value_runs_on_since(at, n, Some("using 100, keepalived's default"));
            mark(i, "priority", n);
        }),
        kw("advert_int", |cx, n, i| {
            let at = cx.mark();
            if let Some(t) = cx.timer(n, 0.01, 255.0) {
                i.advert_int = t;
                mark(i, "advert_int", n);
            }
            // keepalived: "Advert interval (x) not valid! Must be > 0 - ignoring".
            cx.value_runs_on_since(at, n, Some("ignored, as keepalived does"));
        }),
        kw("version", |cx, n, i| {
            let at = cx.mark();
            let v = cx.int(n, 2, 3);
            // keepalived: "Version must be either 2 or 3" and the statement is ignored.
            cx.value_runs_on_since(at, n, Some("ignored, as keepalived does"));
            let Some(v) = v else { return };
            if v == 2 && i.family == Some(Family::Inet6) {
                cx.error(
                    n.args[0].span,
                    "VRRP version 2 does not carry IPv6; keepalived ignores this version",
                )
                .with_help("IPv6 instances use version 3");
                return;
            }
            i.version = v as u8;
            mark(i, "version", n);
        }),
        kw("nopreempt", |cx, n, i| i.nopreempt = cx.bare(n)),
        kw("preempt", |cx, n, i| i.nopreempt = !cx.bare(n)),
        kw("preempt_delay", |cx, n, i| {
            let at = cx.mark();
            if let Some(t) = cx.timer(n, 0.0, 1000.0) {
                i.preempt_delay = t;
                mark(i, "preempt_delay", n);
            }
            // keepalived: "Preempt_delay not valid! must be between 0-1000", ignored.
            cx.value_runs_on_since(at, n, Some("ignored, as keepalived does"));
        }),
        kw("accept", |cx, n, i| {
            i.accept = cx.bare(n);
            mark(i, "accept", n);
        }),
        kw("no_accept", |cx, n, i| {
            i.accept = !cx.bare(n);
            mark(i, "accept", n);
        }),
        kw("strict_mode", |cx, n, i| {
            i.strict_mode = flag(cx, n, i, "strict_mode")
        }),
        kw("skip_check_adv_addr", |cx, n, i| {
            i.skip_check_adv_addr = flag(cx, n, i, "skip_check_adv_addr")
        }),
        kw("native_ipv6", |cx, n, i| {
            cx.bare(n);
            if i.family == Some(Family::Inet) {
                cx.error(
                    n.keyword.span,
                    "native_ipv6 conflicts with the IPv4 addresses above; it is ignored",
                );
                return;
            }
            i.family = Some(Family::Inet6);
            i.native_ipv6 = true;
        }),
        kw("dont_track_primary", |cx, n, i| {
            i.dont_track_primary = cx.bare(n)
        }),
        kw("virtual_ipaddress", |cx, n, i| {
            cx.no_args(n);
            for item in cx.block(n) {
                let Some(a) = address::parse(cx, item, address::Kind::Virtual) else {
                    continue;
                };
                if !same_family(
                    cx,
                    &mut i.family,
                    Family::of(&a.address.addr),
                    &item.keyword,
                    "virtual_ipaddress",
                ) {
                    continue;
                }
                if duplicate_address(cx, i, &a, false) {
                    continue;
                }
                i.virtual_ipaddress.push(a);
            }
            mark(i, "virtual_ipaddress", n);
        }),
        kw("virtual_ipaddress_excluded", |cx, n, i| {
            cx.no_args(n);
            for item in cx.block(n) {
                let Some(a) = address::parse(cx, item, address::Kind::Excluded) else {
                    continue;
                };
                if duplicate_address(cx, i, &a, true) {
                    continue;
                }
                i.virtual_ipaddress_excluded.push(a);
            }
        }),
        kw("no_virtual_ipaddress", |cx, n, i| {
            i.no_virtual_ipaddress = cx.bare(n)
        }),
        kw("promote_secondaries", |cx, n, i| {
            i.promote_secondaries = cx.bare(n)
        }),
        kw("virtual_routes", |cx, n, i| {
            cx.no_args(n);
            for item in cx.block(n) {
                i.virtual_routes
                    .extend(route::parse(cx, item, "virtual_routes"));
            }
        }),
        kw("virtual_rules", |cx, n, i| {
            cx.no_args(n);
            for item in cx.block(n) {
                i.virtual_rules
                    .extend(rule::parse(cx, item, "virtual_rules"));
            }
        }),
        kw("use_vmac", virtual_if::use_vmac),
        kw("use_vmac_addr", |cx, n, i| i.use_vmac_addr = cx.bare(n)),
        kw("vmac_xmit_base", |cx, n, i| i.vmac_xmit_base = cx.bare(n)),
        kw("use_ipvlan", virtual_if::use_ipvlan),
        kw("authentication", authentication),
        kw("auth_hmac", auth_hmac),
        kw("track_interface", |cx, n, i| {
            let list = track_interfaces(cx, n);
            for t in list {
                if i.track_interface.iter().any(|o| o.name == t.name) {
                    cx.error(
                        t.origin.span,
                        format!(
                            "interface {} is already tracked; this entry is ignored",
                            t.name
                        ),
                    );
                } else {
                    i.track_interface.push(t);
                }
            }
        }),
        kw("track_script", |cx, n, i| {
            i.track_script.extend(track_refs(cx, n, RefKind::Script))
        }),
        kw("track_file", |cx, n, i| {
            i.track_file.extend(track_refs(cx, n, RefKind::File))
        }),
        kw("track_process", |cx, n, i| {
            i.track_process.extend(track_refs(cx, n, RefKind::Process))
        }),
        kw("track_bfd", |cx, n, i| {
            i.track_bfd.extend(track_refs(cx, n, RefKind::Bfd))
        }),
        kw("track_src_ip", |cx, n, i| i.track_src_ip = cx.bare(n)),
        kw("mcast_src_ip", |cx, n, i| {
            let at = cx.mark();
            let a = cx.ip(n);
            // keepalived: "malformed src address[x]. Skipping...".
            cx.value_runs_on_since(at, n, Some("ignored, as keepalived does"));
            let Some(a) = a else { return };
            if same_family(
                cx,
                &mut i.family,
                Family::of(&a),
                &n.args[0],
                "mcast_src_ip",
            ) {
                i.mcast_src_ip = Some(a);
            }
        }),
        kw("unicast_src_ip", |cx, n, i| {
            unicast(i, n);
            let at = cx.mark();
            let a = cx.ip(n);
            // keepalived: "malformed src address[x]. Skipping...".
            cx.value_runs_on_since(at, n, Some("ignored, as keepalived does"));
            let Some(a) = a else { return };
            if same_family(
                cx,
                &mut i.family,
                Family::of(&a),
                &n.args[0],
                "unicast_src_ip",
            ) {
                i.unicast_src_ip = Some(a);
            }
        }),
        kw("mcast_dst_ip", |cx, n, i| {
            let Some(a) = cx.ip(n) else { return };
            let ok = match a {
                std::net::IpAddr::V4(v4) => v4.is_multicast(),
                // Link-local multicast: ffX2::/16.
                std::net::IpAddr::V6(v6) => v6.segments()[0] & 0xff0f == 0xff02,
            };
            if !ok {
                cx.invalid(
                    n,
                    &n.args[0],
                    if a.is_ipv4() {
                        "not a multicast address"
                    } else {
                        "not a link-local multicast address (ffX2::)"
                    },
                );
                return;
            }
            if same_family(
                cx,
                &mut i.family,
                Family::of(&a),
                &n.args[0],
                "mcast_dst_ip",
            ) {
                i.mcast_dst_ip = Some(a);
            }
        }),
        kw("unicast_peer", unicast_peer),
        kw("unicast_fault_no_peer", |cx, n, i| {
            unicast(i, n);
            i.unicast_fault_no_peer = cx.bare(n);
        }),
        kw("unicast_ttl", |cx, n, i| {
            if let Some(v) = cx.int(n, 0, 255) {
                i.unicast_ttl = Some(v as u8);
                mark(i, "unicast_ttl", n);
            }
        }),
        kw("check_unicast_src", |cx, n, i| {
            unicast(i, n);
            i.check_unicast_src = cx.bare(n);
            mark(i, "check_unicast_src", n);
        }),
        kw("old_unicast_checksum", |cx, n, i| {
            unicast(i, n);
            cx.no_block(n);
            cx.arity(n, 0, Some(1));
            i.old_unicast_checksum = match n.args.first() {
                None => Some(OldUnicastChecksum::Always),
                Some(w) => match cx.choice_word(n, w, &["never"]) {
                    Some(_) => Some(OldUnicastChecksum::Never),
                    None => i.old_unicast_checksum,
                },
            };
        }),
        kw("v3_checksum_as_v2", |cx, n, i| {
            i.v3_checksum_as_v2 = flag(cx, n, i, "v3_checksum_as_v2")
        }),
        kw("garp_master_delay", |cx, n, i| {
            let max = i64::from(u32::MAX / 1_000_000);
            if let Some(v) = cx.int_as_keepalived_reads(n, 0, max) {
                i.garp_master_delay = Timer::secs(v as u64);
                mark(i, "garp_master_delay", n);
            }
        }),
        kw("garp_master_repeat", |cx, n, i| {
            if let Some(v) = repeat(cx, n) {
                i.garp_master_repeat = v;
                mark(i, "garp_master_repeat", n);
            }
        }),
        kw("garp_master_refresh", |cx, n, i| {
            if let Some(t) = secs(cx, n, i64::from(u32::MAX)) {
                i.garp_master_refresh = t;
                mark(i, "garp_master_refresh", n);
            }
        }),
        kw("garp_master_refresh_repeat", |cx, n, i| {
            if let Some(v) = repeat(cx, n) {
                i.garp_master_refresh_repeat = v;
                mark(i, "garp_master_refresh_repeat", n);
            }
        }),
        kw("garp_lower_prio_delay", |cx, n, i| {
            if let Some(t) = secs(cx, n, i64::from(u32::MAX / 1_000_000)) {
                i.garp_lower_prio_delay = t;
                mark(i, "garp_lower_prio_delay", n);
            }
        }),
        kw("garp_lower_prio_repeat", |cx, n, i| {
            if let Some(v) = cx.int(n, 0, i64::from(i32::MAX)) {
                i.garp_lower_prio_repeat = v as u32;
                mark(i, "garp_lower_prio_repeat", n);
            }
        }),
        kw("garp_extra_if", garp_extra_if),
        deprecated("vmac_garp_intvl", "garp_extra_if", garp_extra_if),
        kw("down_timer_adverts", |cx, n, i| {
            if let Some(v) = cx.int(n, 1, 100) {
                i.down_timer_adverts = v as u8;
                mark(i, "down_timer_adverts", n);
            }
        }),
        kw("timer_expired_backup", timer_expired_backup),
        // keepalived 2.2.7 does not know this spelling yet ("Unknown keyword").
        deprecated(
            "thread_timer_expired",
            "timer_expired_backup",
            timer_expired_backup,
        ),
        kw("lower_prio_no_advert", |cx, n, i| {
            i.lower_prio_no_advert = flag(cx, n, i, "lower_prio_no_advert")
        }),
        kw("higher_prio_send_advert", |cx, n, i| {
            i.higher_prio_send_advert = flag(cx, n, i, "higher_prio_send_advert")
        }),
        kw("owner_ignore_adverts", |cx, n, i| {
            i.owner_ignore_adverts = flag(cx, n, i, "owner_ignore_adverts")
        }),
        kw("notify_master", |cx, n, i| {
            set_once(cx, n, &mut i.notify_master)
        }),
        kw("notify_backup", |cx, n, i| {
            set_once(cx, n, &mut i.notify_backup)
        }),
        kw("notify_fault", |cx, n, i| {
            set_once(cx, n, &mut i.notify_fault)
        }),
        kw("notify_stop", |cx, n, i| {
            set_once(cx, n, &mut i.notify_stop)
        }),
        kw("notify_deleted", |cx, n, i| {
            set_once(cx, n, &mut i.notify_deleted)
        }),
        kw("notify", |cx, n, i| set_once(cx, n, &mut i.notify)),
        kw("notify_master_rx_lower_pri", |cx, n, i| {
            set_once(cx, n, &mut i.notify_master_rx_lower_pri)
        }),
        kw("notify_priority_changes", |cx, n, i| {
            i.notify_priority_changes = flag(cx, n, i, "notify_priority_changes")
        }),
        kw("smtp_alert", |cx, n, i| {
            i.smtp_alert = flag(cx, n, i, "smtp_alert")
        }),
        kw("debug", |cx, n, i| {
            i.debug = cx.int(n, 0, 4).map(|v| v as u8).or(i.debug)
        }),
        kw("kernel_rx_buf_size", |cx, n, i| {
            i.kernel_rx_buf_size = cx
                .int(n, 0, i64::from(u32::MAX))
                .map(|v| v as u32)
                .or(i.kernel_rx_buf_size)
        }),
        kw("linkbeat_use_polling", |cx, n, i| {
            i.linkbeat_use_polling = cx.bare(n);
            cx.warning(
                n.keyword.span,
                "linkbeat_use_polling in a vrrp_instance is deprecated",
            )
            .with_help("list the interface in a root-level linkbeat_interfaces block instead");
        }),
        kw("lvs_sync_daemon_interface", |cx, n, i| {
            let Some(v) = cx.string(n) else { return };
            cx.warning(
                n.keyword.span,
                "lvs_sync_daemon_interface in a vrrp_instance is deprecated",
            )
            .with_help(format!(
                "write in global_defs: lvs_sync_daemon {v} {}",
                i.name
            ));
            i.lvs_sync_daemon_interface = Some(v);
        }),
    ]
}

/// Whether the address duplicates one of the instance's VIPs (any interface, unless both are
/// excluded ones on different interfaces) or eVIPs (same interface). keepalived ignores the
/// later one and runs, so this is a warning.
fn duplicate_address(
    cx: &mut Cx,
    i: &VrrpInstance,
    a: &crate::model::vrrp::IpAddress,
    excluded: bool,
) -> bool {
    let same_addr = |o: &&crate::model::vrrp::IpAddress| o.address.addr == a.address.addr;
    let prev = i
        .virtual_ipaddress
        .iter()
        .filter(|o| !excluded || o.dev == a.dev)
        .find(same_addr)
        .or_else(|| {
            i.virtual_ipaddress_excluded
                .iter()
                .filter(|o| o.dev == a.dev)
                .find(same_addr)
        });
    if let Some(prev) = prev {
        cx.warning(
            a.origin.span,
            format!(
                "address {} is already configured at line {}; this one is ignored",
                a.address.addr, prev.origin.line
            ),
        )
        // keepalived 2.2.7 drops it without a word.
        .keepalived_passes();
        return true;
    }
    false
}

/// A GARP repeat count: keepalived turns 0 into 1 (with a complaint).
fn repeat(cx: &mut Cx, n: &Node) -> Option<u32> {
    let v = cx.int(n, 0, i64::from(u32::MAX))?;
    if v == 0 {
        cx.warning(
            n.args[0].span,
            format!("{} must be at least 1; keepalived uses 1", n.name()),
        );
        return Some(1);
    }
    Some(v as u32)
}

fn garp_extra_if(cx: &mut Cx, n: &Node, i: &mut VrrpInstance) {
    cx.no_block(n);
    let mut all = false;
    let mut interval = None;
    for w in &n.args {
        if w.text == "all" {
            all = true;
        } else {
            match values::parse_int(&w.text, 0, 86400) {
                Ok(v) => interval = Some(Timer::secs(v as u64)),
                Err(e) => {
                    cx.invalid(n, w, &format!("{e} seconds"));
                    return;
                }
            }
        }
    }
    let Some(interval) = interval else {
        cx.error(
            n.span(),
            format!("{} needs an interval in seconds", n.name()),
        );
        return;
    };
    i.garp_extra_if = Some(GarpExtraIf { interval, all });
    mark(i, "garp_extra_if", n);
}

fn timer_expired_backup(cx: &mut Cx, n: &Node, i: &mut VrrpInstance) {
    cx.no_block(n);
    cx.arity(n, 0, Some(1));
    let prio = match n.args.first() {
        None => Some(254),
        Some(w) => cx.int_word(n, w, 1, 254),
    };
    if let Some(p) = prio {
        i.timer_expired_backup = Some(p as u8);
        mark(i, "timer_expired_backup", n);
    }
}

fn unicast_peer(cx: &mut Cx, n: &Node, i: &mut VrrpInstance) {
    unicast(i, n);
    mark(i, "unicast_peer", n);
    cx.no_args(n);
    for item in cx.block(n) {
        if let Some(b) = &item.block {
            cx.error(
                b.open,
                "a unicast peer does not take a { } block; it is ignored",
            );
        }
        let addr = match values::parse_ip(item.name()) {
            Ok(a) => a,
            Err(e) => {
                // keepalived: "malformed unicast peer address[x]. Skipping...".
                cx.error(
                    item.keyword.span,
                    format!("invalid unicast peer '{}': {e}; it is ignored", item.name()),
                )
                .daemon_runs_on();
                continue;
            }
        };
        if !same_family(
            cx,
            &mut i.family,
            Family::of(&addr),
            &item.keyword,
            "unicast peer",
        ) {
            continue;
        }
        let mut peer = UnicastPeer {
            origin: cx.origin(item.keyword.span),
            address: addr,
            min_ttl: 0,
            max_ttl: 255,
        };
        let mut words = item.args.iter();
        while let Some(opt) = words.next() {
            let Some(val) = words.next() else {
                cx.error(
                    opt.span,
                    format!("'{}' for unicast peer {addr} needs a value", opt.text),
                );
                break;
            };
            let slot = match opt.text.as_str() {
                "min_ttl" => &mut peer.min_ttl,
                "max_ttl" => &mut peer.max_ttl,
                _ => {
                    cx.error(
                        opt.span,
                        format!(
                            "unknown option '{}' for unicast peer {addr}; the rest of the line is ignored",
                            opt.text
                        ),
                    )
                    .with_help("the options are min_ttl and max_ttl");
                    break;
                }
            };
            match values::parse_int(&val.text, 0, 255) {
                Ok(v) => {
                    *slot = v as u8;
                    // A TTL range only means something if the source is checked.
                    i.check_unicast_src = true;
                    mark(i, "check_unicast_src", item);
                }
                Err(e) => {
                    cx.error(
                        val.span,
                        format!(
                            "invalid value '{}' for {} of unicast peer {addr}: {e}",
                            val.text, opt.text
                        ),
                    );
                }
            }
        }
        if let Some(prev) = i.unicast_peer.iter().find(|p| p.address == addr) {
            cx.error(
                item.keyword.span,
                format!(
                    "unicast peer {addr} is already listed at line {}; this one is ignored",
                    prev.origin.line
                ),
            );
            continue;
        }
        if peer.min_ttl > peer.max_ttl {
            cx.error(
                item.keyword.span,
                format!(
                    "unicast peer {addr} has min_ttl {} above max_ttl {}: every packet from it is discarded",
                    peer.min_ttl, peer.max_ttl
                ),
            );
        }
        i.unicast_peer.push(peer);
    }
}

fn authentication(cx: &mut Cx, n: &Node, i: &mut VrrpInstance) {
    cx.no_args(n);
    let items = cx.block(n);
    let mut auth = Authentication {
        origin: cx.origin(n.keyword.span),
        auth_type: None,
        auth_pass: None,
    };
    let table: Vec<Keyword<Authentication>> = vec![
        kw("auth_type", |cx, n, a| {
            let at = cx.mark();
            a.auth_type = match cx.choice(n, &["PASS", "AH"]) {
                Some("PASS") => Some(AuthType::Pass),
                Some(_) => Some(AuthType::Ah),
                None => a.auth_type,
            };
            // keepalived: "unknown authentication type 'x'"; the block then has no type.
            cx.value_runs_on_since(at, n, Some("ignored, as keepalived does"));
        }),
        kw("auth_pass", |cx, n, a| {
            let Some(p) = cx.string(n) else { return };
            if p.len() > 8 {
                // keepalived keeps the first 8 bytes; never split a character here.
                let kept: String = p
                    .char_indices()
                    .take_while(|(at, c)| at + c.len_utf8() <= 8)
                    .map(|(_, c)| c)
                    .collect();
                cx.warning(
                    n.args[0].span,
                    format!("auth_pass is longer than 8 characters; keepalived uses only '{kept}'"),
                )
                .with_help(
                    "VRRPv2 passwords are at most 8 characters; shorten it on every router alike",
                );
                a.auth_pass = Some(kept);
            } else {
                a.auth_pass = Some(p);
            }
        }),
    ];
    cx.decode_items("authentication", items, &table, &mut auth);
    i.authentication = Some(auth);
}

fn auth_hmac(cx: &mut Cx, n: &Node, i: &mut VrrpInstance) {
    cx.no_args(n);
    let items = cx.block(n);
    let prev = i.auth_hmac.take();
    let mut ah = prev.unwrap_or(AuthHmac {
        origin: cx.origin(n.keyword.span),
        key: Vec::new(),
        active_key: None,
        anti_replay: AntiReplay::Time,
        time_window: None,
        mode: HmacMode::Enforce,
    });
    let table: Vec<Keyword<AuthHmac>> = vec![
        kw("key", |cx, n, ah| {
            cx.no_block(n);
            if !cx.arity(n, 2, Some(2)) {
                return;
            }
            let Some(id) = cx.int_word(n, &n.args[0], 1, 255) else {
                return;
            };
            let value = &n.args[1];
            let len = if let Some(hex) = value.text.strip_prefix("hex:") {
                if hex.len() % 2 != 0 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                    cx.invalid(
                        n,
                        value,
                        "hex: must be followed by an even number of hex digits",
                    );
                    return;
                }
                Some(hex.len() / 2)
            } else if value.text.starts_with("file:") {
                None
            } else {
                Some(value.text.len())
            };
            if let Some(len) = len.filter(|l| !(32..=64).contains(l)) {
                cx.invalid(
                    n,
                    value,
                    &format!("an auth_hmac key is 32 to 64 bytes, this one is {len}"),
                );
                return;
            }
            if ah.key.iter().any(|k| i64::from(k.id) == id) {
                cx.error(
                    n.args[0].span,
                    format!("auth_hmac key {id} is defined twice; this one is ignored"),
                );
                return;
            }
            ah.key.push(HmacKey {
                origin: cx.origin(n.keyword.span),
                id: id as u8,
                value: value.text.to_string(),
            });
        }),
        kw("active_key", |cx, n, ah| {
            ah.active_key = cx.int(n, 1, 255).map(|v| v as u8).or(ah.active_key)
        }),
        kw("time_window", |cx, n, ah| {
            ah.time_window = cx.int(n, 1, 300).map(|v| v as u16).or(ah.time_window)
        }),
        kw("anti_replay", |cx, n, ah| {
            ah.anti_replay = match cx.choice(n, &["time", "monotonic"]) {
                Some("time") => AntiReplay::Time,
                Some(_) => AntiReplay::Monotonic,
                None => ah.anti_replay,
            }
        }),
        kw("mode", |cx, n, ah| {
            ah.mode = match cx.choice(n, &["enforce", "permissive", "receive-only"]) {
                Some("enforce") => HmacMode::Enforce,
                Some("permissive") => HmacMode::Permissive,
                Some(_) => HmacMode::ReceiveOnly,
                None => ah.mode,
            }
        }),
    ];
    cx.decode_items("auth_hmac", items, &table, &mut ah);
    i.auth_hmac = Some(ah);
}
