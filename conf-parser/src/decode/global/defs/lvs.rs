//! The VRRP firewall (nftables, iptables, ipsets) and the LVS settings.

#[allow(clippy::wildcard_imports)]
use super::*;

// ---- firewall ----

pub(super) fn firewall_keywords() -> Vec<Keyword<GlobalDefs>> {
    vec![
        kw("nftables", |cx, n, d| {
            if let Some(t) = nft_table(cx, n, "keepalived") {
                if d.nftables.is_some() {
                    already(cx, n);
                } else {
                    d.nftables = Some(t);
                }
            }
        }),
        kw("nftables_priority", |cx, n, d| {
            if let Some(v) = cx.int(n, i64::from(i32::MIN), i64::from(i32::MAX)) {
                d.nftables_priority = v as i32;
            }
        }),
        kw("nftables_counters", |cx, n, d| {
            d.nftables_counters = cx.bare(n)
        }),
        kw("nftables_ifindex", |cx, n, d| {
            d.nftables_ifindex = cx.bare(n)
        }),
        kw("nftables_ipvs", |cx, n, d| {
            if let Some(t) = nft_table(cx, n, "keepalived_ipvs") {
                if d.nftables_ipvs.is_some() {
                    already(cx, n);
                } else {
                    d.nftables_ipvs = Some(t);
                }
            }
        }),
        kw("nftables_ipvs_priority", |cx, n, d| {
            if let Some(v) = cx.int(n, i64::from(i32::MIN), i64::from(i32::MAX)) {
                d.nftables_ipvs_priority = v as i32;
            }
        }),
        kw("nftables_ipvs_start_fwmark", |cx, n, d| {
            d.nftables_ipvs_start_fwmark =
                uint(cx, n, 1, U32_MAX).unwrap_or(d.nftables_ipvs_start_fwmark);
        }),
        kw("vrrp_iptables", vrrp_iptables),
        kw("vrrp_ipsets", vrrp_ipsets),
    ]
}

fn nft_table(cx: &mut Cx, n: &Node, default: &str) -> Option<String> {
    cx.no_block(n);
    cx.arity(n, 0, Some(1));
    match n.args.first() {
        None => Some(default.to_string()),
        Some(w) => object_name(cx, n, w, "nftables table", MAX_NFT_TABLE),
    }
}

/// `vrrp_iptables [IN [OUT]]`: no chain at all means INPUT and OUTPUT.
fn vrrp_iptables(cx: &mut Cx, n: &Node, d: &mut GlobalDefs) {
    cx.no_block(n);
    cx.arity(n, 0, Some(2));
    if d.vrrp_iptables.is_some() {
        already(cx, n);
        return;
    }
    let value = match n.args.as_slice() {
        [] => VrrpIptables {
            in_chain: "INPUT".into(),
            out_chain: Some("OUTPUT".into()),
        },
        [input, rest @ ..] => {
            let Some(in_chain) = object_name(cx, n, input, "iptables chain", MAX_IPTABLES_CHAIN)
            else {
                return;
            };
            let out_chain = match rest.first() {
                None => None,
                Some(w) => {
                    let Some(out) = object_name(cx, n, w, "iptables chain", MAX_IPTABLES_CHAIN)
                    else {
                        return;
                    };
                    if out == in_chain {
                        cx.invalid(n, w, "the in and out chains must differ");
                        return;
                    }
                    Some(out)
                }
            };
            VrrpIptables {
                in_chain,
                out_chain,
            }
        }
    };
    d.vrrp_iptables = Some(value);
}

/// Keeps at most `max` characters.
fn cut(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

/// `vrrp_ipsets [IPV4 [IPV6 [IF6 [IGMP [MLD [ND]]]]]]`; no name turns ipsets off.
fn vrrp_ipsets(cx: &mut Cx, n: &Node, d: &mut GlobalDefs) {
    cx.no_block(n);
    cx.arity(n, 0, Some(6));
    d.vrrp_ipsets = None;
    if n.args.is_empty() {
        return;
    }
    let mut names = Vec::new();
    for w in n.args.iter().take(6) {
        match object_name(cx, n, w, "ipset", MAX_IPSET_NAME) {
            Some(s) => names.push(s),
            None => return,
        }
    }
    // Omitted names are made from the ones before them, as keepalived does.
    let ipv4 = names[0].clone();
    let ipv6 = names
        .get(1)
        .cloned()
        .unwrap_or_else(|| format!("{}6", cut(&ipv4, MAX_IPSET_NAME)));
    let if6 = names.get(2).cloned().unwrap_or_else(|| {
        let base = ipv6.strip_suffix('6').unwrap_or(&ipv6);
        format!("{}_if6", cut(base, MAX_IPSET_NAME - 3))
    });
    let igmp = names
        .get(3)
        .cloned()
        .unwrap_or_else(|| format!("{}_igmp", cut(&ipv4, MAX_IPSET_NAME - 4)));
    let mld = names
        .get(4)
        .cloned()
        .unwrap_or_else(|| format!("{}_mld", cut(&ipv4, MAX_IPSET_NAME - 3)));
    let vmac_nd = names
        .get(5)
        .cloned()
        .unwrap_or_else(|| format!("{}_nd", cut(&ipv4, MAX_IPSET_NAME - 3)));
    let all = [&ipv4, &ipv6, &if6, &igmp, &mld, &vmac_nd];
    for (i, a) in all.iter().enumerate() {
        if all[..i].contains(a) {
            cx.error(
                n.span(),
                format!("vrrp_ipsets: set name {a} is used more than once"),
            )
            .with_help("each of the sets needs its own name");
            return;
        }
    }
    d.vrrp_ipsets = Some(VrrpIpsets {
        ipv4,
        ipv6,
        if6,
        igmp,
        mld,
        vmac_nd,
    });
}

// ---- LVS ----

pub(super) fn lvs_keywords() -> Vec<Keyword<GlobalDefs>> {
    vec![
        kw("lvs_sync_daemon", lvs_sync_daemon),
        kw("lvs_timeouts", lvs_timeouts),
        kw("lvs_flush", |cx, n, d| d.lvs_flush = cx.bare(n)),
        kw("lvs_flush_on_stop", lvs_flush_on_stop),
        legacy("lvs_flush_onstop", "lvs_flush_on_stop", lvs_flush_on_stop),
        kw("rs_init_notifies", |cx, n, d| {
            d.rs_init_notifies = flag(cx, n).unwrap_or(d.rs_init_notifies)
        }),
    ]
}

fn lvs_flush_on_stop(cx: &mut Cx, n: &Node, d: &mut GlobalDefs) {
    cx.no_block(n);
    cx.arity(n, 0, Some(1));
    d.lvs_flush_on_stop = match n.args.first() {
        None => LvsFlushOnStop::Full,
        Some(w) => match cx.choice_word(n, w, &["VS"]) {
            Some(_) => LvsFlushOnStop::Vs,
            None => return,
        },
    };
}

/// `lvs_sync_daemon IF [[inst] VI] [id N] [maxlen N] [port N] [ttl N] [group IP]`, and the
/// older positional `lvs_sync_daemon IF VI [SYNCID]`.
fn lvs_sync_daemon(cx: &mut Cx, n: &Node, d: &mut GlobalDefs) {
    cx.no_block(n);
    if !cx.arity(n, 1, None) {
        return;
    }
    if d.lvs_sync_daemon.is_some() {
        already(cx, n);
        return;
    }
    let ifname = &n.args[0];
    if ifname.text.chars().count() > MAX_IFNAME {
        cx.invalid(
            n,
            ifname,
            &format!("interface names are at most {MAX_IFNAME} characters"),
        );
        return;
    }
    let mut s = LvsSyncDaemon {
        interface: ifname.text.to_string(),
        instance: None,
        id: None,
        maxlen: None,
        port: SYNC_PORT,
        ttl: None,
        group: IpAddr::V4(SYNC_GROUP),
        origin: cx.origin(n.keyword.span),
    };
    let mut i = 1;
    while i < n.args.len() {
        let w = &n.args[i];
        match w.text.as_str() {
            opt @ ("inst" | "id" | "maxlen" | "port" | "ttl" | "group") => {
                let Some(v) = option_value(cx, n, i) else {
                    break;
                };
                match opt {
                    "inst" => {
                        if s.instance.is_some() {
                            cx.warning(w.span, "lvs_sync_daemon names its vrrp instance twice; the first one is kept");
                        } else {
                            s.instance = Some(v.text.to_string());
                        }
                    }
                    "id" => s.id = cx.int_word(n, v, 0, 255).map(|x| x as u8).or(s.id),
                    "maxlen" => {
                        s.maxlen = cx
                            .int_word(n, v, 1, 65535 - 20 - 8)
                            .map(|x| x as u16)
                            .or(s.maxlen)
                    }
                    "port" => s.port = cx.int_word(n, v, 1, 65535).map_or(s.port, |x| x as u16),
                    "ttl" => s.ttl = cx.int_word(n, v, 1, 255).map(|x| x as u8).or(s.ttl),
                    _ => match cx.ip_word(n, v) {
                        Some(ip) if ip_is_multicast(ip) => s.group = ip,
                        Some(_) => cx.invalid(n, v, "not a multicast address"),
                        None => {}
                    },
                }
                i += 2;
            }
            // The older positional form: the instance, then the sync id.
            _ if i == 1 => {
                s.instance = Some(w.text.to_string());
                i += 1;
            }
            _ if i == 2 && s.id.is_none() && w.text.bytes().all(|b| b.is_ascii_digit()) => {
                if let Some(v) = cx.int_word(n, w, 0, 255) {
                    s.id = Some(v as u8);
                    cx.warning(w.span, "a bare sync id after the instance is an old form")
                        .with_help(format!("write 'id {}'", w.text));
                }
                i += 1;
            }
            _ => {
                cx.error(
                    w.span,
                    format!("unknown option '{}' for lvs_sync_daemon", w.text),
                )
                .with_help("expected inst, id, maxlen, port, ttl or group");
                i += 1;
            }
        }
    }
    d.lvs_sync_daemon = Some(s);
}

fn ip_is_multicast(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(a) => a.is_multicast(),
        IpAddr::V6(a) => a.is_multicast(),
    }
}

/// `lvs_timeouts [tcp S] [tcpfin S] [udp S]`, whole seconds up to 31 days.
fn lvs_timeouts(cx: &mut Cx, n: &Node, d: &mut GlobalDefs) {
    cx.no_block(n);
    if n.args.len() < 2 {
        cx.error(
            n.span(),
            "lvs_timeouts needs at least one of tcp, tcpfin, udp with a value in seconds",
        );
        return;
    }
    let mut t = d.lvs_timeouts.clone().unwrap_or_default();
    let mut i = 0;
    while i < n.args.len() {
        let w = &n.args[i];
        let slot = match w.text.as_str() {
            "tcp" => &mut t.tcp,
            "tcpfin" => &mut t.tcpfin,
            "udp" => &mut t.udp,
            _ => {
                cx.error(
                    w.span,
                    format!("unknown option '{}' for lvs_timeouts", w.text),
                )
                .with_help("expected tcp, tcpfin or udp");
                i += 1;
                continue;
            }
        };
        let Some(v) = option_value(cx, n, i) else {
            break;
        };
        if let Some(secs) = cx.int_word(n, v, 0, MAX_LVS_TIMEOUT) {
            *slot = Some(Timer::secs(secs.unsigned_abs()));
        }
        i += 2;
    }
    if t != LvsTimeouts::default() {
        d.lvs_timeouts = Some(t);
    }
}
