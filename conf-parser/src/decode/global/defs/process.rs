//! Process names, files, scripts, email, SNMP, DBus and notification FIFOs.

#[allow(clippy::wildcard_imports)]
use super::*;

// ---- process names, files, scripts ----

pub(super) fn process_keywords() -> Vec<Keyword<GlobalDefs>> {
    vec![
        kw("process_names", |cx, n, d| {
            cx.bare(n);
            d.process_names = true;
            // keepalived's code names the checker keepalived_lvs (its man page says _ipvs).
            d.vrrp_process_name = Some("keepalived_vrrp".into());
            d.checker_process_name = Some("keepalived_lvs".into());
            d.bfd_process_name = Some("keepalived_bfd".into());
        }),
        kw("process_name", |cx, n, d| {
            d.process_name = process_name(cx, n).or(d.process_name.take())
        }),
        kw("vrrp_process_name", |cx, n, d| {
            d.vrrp_process_name = process_name(cx, n).or(d.vrrp_process_name.take())
        }),
        kw("checker_process_name", checker_process_name),
        legacy(
            "lvs_process_name",
            "checker_process_name",
            checker_process_name,
        ),
        kw("bfd_process_name", |cx, n, d| {
            d.bfd_process_name = process_name(cx, n).or(d.bfd_process_name.take())
        }),
        kw("router_id", |cx, n, d| set_string(cx, n, &mut d.router_id)),
        // keepalived 2.2.7 no longer knows it ("Unknown keyword").
        deprecated("lvs_id", "router_id", |cx, n, d| {
            set_string(cx, n, &mut d.router_id)
        }),
        kw("tmp_config_directory", |cx, n, d| {
            set_once(cx, n, &mut d.tmp_config_directory)
        }),
        kw("config_save_dir", |cx, n, d| {
            set_string(cx, n, &mut d.config_save_dir)
        }),
        kw("umask", umask),
        kw("script_user", |cx, n, d| {
            cx.no_block(n);
            if cx.arity(n, 1, Some(2)) {
                d.script_user = Some(ScriptUser {
                    user: n.args[0].text.to_string(),
                    group: n.args.get(1).map(|w| w.text.to_string()),
                });
            }
        }),
        kw("enable_script_security", |cx, n, d| {
            d.enable_script_security = cx.bare(n)
        }),
        kw("use_symlink_paths", |cx, n, d| {
            d.use_symlink_paths = flag(cx, n).unwrap_or(d.use_symlink_paths)
        }),
        // `set_supplementary_groups` (later versions) is not in the table: keepalived 2.2.7 does
        // not know it ("Unknown keyword", -t exits 5), and gives a script its gid as its only group.
        kw("startup_script", |cx, n, d| {
            let at = cx.mark();
            set_script(cx, n, &mut d.startup_script);
            // keepalived: "startup script missing", and runs without one.
            if n.args.is_empty() {
                cx.runs_on_since(at, Some("ignored, as keepalived does"));
            }
        }),
        kw("startup_script_timeout", |cx, n, d| {
            d.startup_script_timeout =
                whole_secs(cx, n, 1, 1000).unwrap_or(d.startup_script_timeout);
        }),
        kw("shutdown_script", |cx, n, d| {
            set_script(cx, n, &mut d.shutdown_script)
        }),
        kw("shutdown_script_timeout", |cx, n, d| {
            d.shutdown_script_timeout =
                whole_secs(cx, n, 1, 1000).unwrap_or(d.shutdown_script_timeout);
        }),
    ]
}

fn checker_process_name(cx: &mut Cx, n: &Node, d: &mut GlobalDefs) {
    d.checker_process_name = process_name(cx, n).or(d.checker_process_name.take());
}

const UMASK_BITS: [(&str, u32); 12] = [
    ("IRUSR", 0o400),
    ("IWUSR", 0o200),
    ("IXUSR", 0o100),
    ("IRWXU", 0o700),
    ("IRGRP", 0o040),
    ("IWGRP", 0o020),
    ("IXGRP", 0o010),
    ("IRWXG", 0o070),
    ("IROTH", 0o004),
    ("IWOTH", 0o002),
    ("IXOTH", 0o001),
    ("IRWXO", 0o007),
];

/// `umask NUMBER` (decimal, 0octal or 0xhex, as C's strtol) or `umask BIT|BIT...`.
fn umask(cx: &mut Cx, n: &Node, d: &mut GlobalDefs) {
    cx.no_block(n);
    if !cx.arity(n, 1, None) {
        return;
    }
    let first = &n.args[0];
    if first.text.starts_with(|c: char| c.is_ascii_digit()) {
        cx.arity(n, 1, Some(1));
        let t = first.text.as_str();
        let parsed = if let Some(hex) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
            u32::from_str_radix(hex, 16).ok()
        } else if t.len() > 1 && t.starts_with('0') {
            u32::from_str_radix(&t[1..], 8).ok()
        } else {
            t.parse::<u32>().ok()
        };
        match parsed {
            Some(v) if v <= 0o777 => d.umask = Umask(v),
            _ => {
                // keepalived: "invalid umask value 999", and the default stays.
                let at = cx.mark();
                cx.invalid(
                    n,
                    first,
                    "expected a mask of at most 0777, such as 022, or bits such as IWGRP|IWOTH",
                );
                cx.runs_on_since(at, Some("ignored, as keepalived does"));
            }
        }
        return;
    }
    // Bits may be written in one word or spread over several: `IWGRP | IWOTH`.
    let text: String = n.args.iter().map(|w| w.text.as_str()).collect();
    let mut mask = 0;
    for part in text.split('|') {
        match UMASK_BITS.iter().find(|(name, _)| *name == part) {
            Some((_, bit)) => mask |= bit,
            None => {
                let why = if part.is_empty() {
                    "a bit name is missing around '|'".to_string()
                } else {
                    format!("unknown bit '{part}'; expected I{{R,W,X}}{{USR,GRP,OTH}} or IRWX{{U,G,O}} joined by '|'")
                };
                let span = first.span;
                let node_name = n.name().to_string();
                cx.error(
                    span,
                    format!("invalid value '{text}' for {node_name}: {why}"),
                );
                return;
            }
        }
    }
    d.umask = Umask(mask);
}

// ---- email ----

pub(super) fn email_keywords() -> Vec<Keyword<GlobalDefs>> {
    vec![
        kw("notification_email", |cx, n, d| {
            cx.arity(n, 0, Some(0));
            let items = cx.block(n);
            if n.block.is_some() && items.is_empty() {
                cx.warning(n.keyword.span, "notification_email block is empty");
            }
            // A list block: every word is an address, however the lines are broken.
            for item in items {
                cx.no_block(item);
                d.notification_email.extend(
                    std::iter::once(&item.keyword)
                        .chain(&item.args)
                        .map(|w| w.text.to_string()),
                );
            }
        }),
        kw("notification_email_from", |cx, n, d| {
            set_string(cx, n, &mut d.notification_email_from)
        }),
        kw("smtp_server", smtp_server),
        kw("smtp_helo_name", |cx, n, d| {
            set_string(cx, n, &mut d.smtp_helo_name)
        }),
        kw("smtp_connect_timeout", |cx, n, d| {
            if let Some(v) = cx.int(n, 0, MAX_WHOLE_SECS) {
                d.smtp_connect_timeout = if v == 0 {
                    cx.warning(
                        n.args[0].span,
                        "smtp_connect_timeout must be at least 1 second; keepalived uses 1",
                    );
                    Timer::secs(1)
                } else {
                    Timer::secs(v.unsigned_abs())
                };
            }
        }),
        kw("smtp_alert", |cx, n, d| {
            d.smtp_alert = flag(cx, n).or(d.smtp_alert)
        }),
        kw("smtp_alert_vrrp", |cx, n, d| {
            d.smtp_alert_vrrp = flag(cx, n).or(d.smtp_alert_vrrp)
        }),
        kw("smtp_alert_checker", |cx, n, d| {
            d.smtp_alert_checker = flag(cx, n).or(d.smtp_alert_checker)
        }),
        kw("checker_log_all_failures", |cx, n, d| {
            d.checker_log_all_failures = flag(cx, n).unwrap_or(d.checker_log_all_failures)
        }),
        kw("no_email_faults", |cx, n, d| d.no_email_faults = cx.bare(n)),
        kw("no_checker_emails", |cx, n, d| {
            d.no_checker_emails = flag(cx, n).unwrap_or(d.no_checker_emails)
        }),
    ]
}

fn is_host_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|l| {
            !l.is_empty()
                && !l.starts_with('-')
                && l.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        })
}

/// `smtp_server HOST [PORT]`: an address or a name to resolve, port 25 by default.
fn smtp_server(cx: &mut Cx, n: &Node, d: &mut GlobalDefs) {
    cx.no_block(n);
    if !cx.arity(n, 1, Some(2)) {
        return;
    }
    let host = &n.args[0];
    if values::parse_ip(&host.text).is_err() && !is_host_name(&host.text) {
        cx.invalid(n, host, "expected an IP address or a host name");
        return;
    }
    let port = match n.args.get(1) {
        None => 25,
        Some(w) => match cx.int_word(n, w, 1, 65535) {
            Some(p) => p as u16,
            None => return,
        },
    };
    d.smtp_server = Some(SmtpServer {
        host: host.text.to_string(),
        port,
    });
}

// ---- SNMP and DBus ----

pub(super) fn snmp_dbus_keywords() -> Vec<Keyword<GlobalDefs>> {
    vec![
        kw("snmp_socket", |cx, n, d| {
            set_once(cx, n, &mut d.snmp_socket)
        }),
        kw("enable_snmp_vrrp", |cx, n, d| {
            d.enable_snmp_vrrp = cx.bare(n)
        }),
        legacy("enable_snmp_keepalived", "enable_snmp_vrrp", |cx, n, d| {
            d.enable_snmp_vrrp = cx.bare(n)
        }),
        kw("enable_snmp_checker", |cx, n, d| {
            d.enable_snmp_checker = cx.bare(n)
        }),
        kw("enable_snmp_rfc", |cx, n, d| {
            cx.bare(n);
            d.enable_snmp_rfc = true;
            d.enable_snmp_rfcv2 = true;
            d.enable_snmp_rfcv3 = true;
        }),
        kw("enable_snmp_rfcv2", |cx, n, d| {
            d.enable_snmp_rfcv2 = cx.bare(n)
        }),
        kw("enable_snmp_rfcv3", |cx, n, d| {
            d.enable_snmp_rfcv3 = cx.bare(n)
        }),
        kw("enable_traps", |cx, n, d| d.enable_traps = cx.bare(n)),
        kw("snmp_vs_stats_update_interval", |cx, n, d| {
            d.snmp_vs_stats_update_interval = cx
                .timer(n, 0.001, 30.0)
                .unwrap_or(d.snmp_vs_stats_update_interval);
        }),
        kw("snmp_rs_stats_update_interval", |cx, n, d| {
            d.snmp_rs_stats_update_interval = cx
                .timer(n, 0.001, 30.0)
                .unwrap_or(d.snmp_rs_stats_update_interval);
        }),
        kw("enable_dbus", |cx, n, d| d.enable_dbus = cx.bare(n)),
        kw("dbus_service_name", |cx, n, d| {
            if let Some(v) = cx.string(n) {
                d.dbus_service_name = v;
            }
        }),
        kw("dbus_no_interface_name", |cx, n, d| {
            set_string(cx, n, &mut d.dbus_no_interface_name)
        }),
    ]
}

// ---- notification FIFOs ----

pub(super) fn fifo_keywords() -> Vec<Keyword<GlobalDefs>> {
    vec![
        kw("notify_fifo", |cx, n, d| {
            fifo_clash(cx, n, d);
            set_fifo(cx, n, &mut d.notify_fifo);
        }),
        kw("notify_fifo_script", |cx, n, d| {
            set_script(cx, n, &mut d.notify_fifo_script)
        }),
        kw("vrrp_notify_fifo", |cx, n, d| {
            fifo_clash(cx, n, d);
            set_fifo(cx, n, &mut d.vrrp_notify_fifo);
        }),
        kw("vrrp_notify_fifo_script", |cx, n, d| {
            set_script(cx, n, &mut d.vrrp_notify_fifo_script)
        }),
        kw("lvs_notify_fifo", |cx, n, d| {
            fifo_clash(cx, n, d);
            set_fifo(cx, n, &mut d.lvs_notify_fifo);
        }),
        kw("lvs_notify_fifo_script", |cx, n, d| {
            set_script(cx, n, &mut d.lvs_notify_fifo_script)
        }),
        kw("fifo_write_vrrp_states_on_reload", |cx, n, d| {
            d.fifo_write_vrrp_states_on_reload = cx.bare(n)
        }),
    ]
}

/// The man page: the FIFO names must all be different.
fn fifo_clash(cx: &mut Cx, n: &Node, d: &GlobalDefs) {
    let Some(w) = n.args.first() else { return };
    let others = [
        ("notify_fifo", &d.notify_fifo),
        ("vrrp_notify_fifo", &d.vrrp_notify_fifo),
        ("lvs_notify_fifo", &d.lvs_notify_fifo),
    ];
    if let Some((other, _)) = others
        .iter()
        .find(|(k, f)| *k != n.name() && f.as_ref().is_some_and(|f| f.name == w.text))
    {
        cx.error(
            w.span,
            format!("{} uses the same FIFO as {other}", n.name()),
        )
        .with_help("each notification FIFO needs its own path");
    }
}
