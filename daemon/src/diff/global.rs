//! The root and global_defs settings a reload does not apply.
//!
//! Most global_defs values are defaults the parser resolves into each instance, virtual server
//! or checker (vrrp_garp_*, vrrp_version, checker_log_all_failures, script_user, ...): a change
//! to them shows, and applies, as a change of what they resolve into. A few are read once at
//! start, or not run by keepalived-rs at all: a change to one of those is named in one warning.

use serde_json::Value;

/// global_defs settings whose effect a reload applies by what they resolve into (the plans,
/// compared there); with [`READ_WHERE_USED`], every global_defs setting a reload applies.
const APPLIED: &[&str] = &[
    // Resolved into instances.
    "vrrp_version",
    "vrrp_mcast_group4",
    "vrrp_mcast_group6",
    "vrrp_check_unicast_src",
    "vrrp_skip_check_adv_addr",
    "vrrp_strict",
    "vrrp_garp_master_delay",
    "vrrp_garp_master_repeat",
    "vrrp_garp_master_refresh",
    "vrrp_garp_master_refresh_repeat",
    "vrrp_garp_lower_prio_delay",
    "vrrp_garp_lower_prio_repeat",
    "vrrp_garp_interval",
    "vrrp_gna_interval",
    "vrrp_lower_prio_no_advert",
    "vrrp_higher_prio_send_advert",
    "vrrp_down_timer_adverts",
    "v3_checksum_as_v2",
    "default_interface",
    "dynamic_interfaces",
    // Resolved into virtual servers and checkers.
    "checker_log_all_failures",
    "script_user",
    "lvs_timeouts",
    "lvs_flush_on_stop",
    // The sync daemon's own plan (`Plans::sync`), compared there.
    "lvs_sync_daemon",
    // Resolved into instances and servers (the notifier's own settings: READ_WHERE_USED).
    "smtp_alert",
    "smtp_alert_vrrp",
    "smtp_alert_checker",
    "no_email_faults",
    "no_checker_emails",
];

/// The applied global_defs settings that nothing else a reload logs shows (the notifier's and
/// the shutdown script's, read where they are used): a change to one is a line of its own.
/// The others show as a change of the instances and servers they resolve into. (shutdown_script
/// is read at stop from the configuration in force; a changed startup_script is not applied: it
/// runs at start only.)
const READ_WHERE_USED: &[&str] = &[
    "shutdown_script",
    "shutdown_script_timeout",
    "notify_fifo",
    "notify_fifo_script",
    "vrrp_notify_fifo",
    "vrrp_notify_fifo_script",
    "lvs_notify_fifo",
    "lvs_notify_fifo_script",
    "fifo_write_vrrp_states_on_reload",
    "notification_email",
    "notification_email_from",
    "smtp_server",
    "smtp_helo_name",
    "smtp_connect_timeout",
    "router_id",
];

/// Root-level settings a reload applies (none: they are all read at start).
const ROOT_APPLIED: &[&str] = &["global_defs"];

/// Each root or global_defs setting that differs and that a reload does not apply, as
/// `NAME` (root) or `global_defs NAME`.
pub fn not_applied(old: &Value, new: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let keys = |v: &Value| -> Vec<String> {
        v.as_object()
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default()
    };
    let mut root = keys(old);
    root.extend(keys(new));
    root.sort();
    root.dedup();
    for k in &root {
        if ROOT_APPLIED.contains(&k.as_str()) || old.get(k) == new.get(k) {
            continue;
        }
        out.push(k.clone());
    }
    let (og, ng) = (&old["global_defs"], &new["global_defs"]);
    let mut defs = keys(og);
    defs.extend(keys(ng));
    defs.sort();
    defs.dedup();
    for k in &defs {
        let applied = APPLIED.contains(&k.as_str()) || READ_WHERE_USED.contains(&k.as_str());
        if applied || og.get(k) == ng.get(k) {
            continue;
        }
        out.push(format!("global_defs {k}"));
    }
    out
}

/// Each setting of [`READ_WHERE_USED`] that differs, `global_defs NAME: OLD -> NEW`.
pub fn changed(old: &Value, new: &Value) -> Vec<super::Touched> {
    let (og, ng) = (&old["global_defs"], &new["global_defs"]);
    READ_WHERE_USED
        .iter()
        .filter(|k| og.get(**k) != ng.get(**k))
        .map(|k| super::Touched {
            kind: "global_defs",
            name: (*k).to_string(),
            change: super::Change::Changed {
                details: vec![format!("{} -> {}", shown(og.get(*k)), shown(ng.get(*k)))],
            },
        })
        .collect()
}

/// A setting's value as the file says it: a script's command line, a FIFO's path, a list's
/// words; `none` when not set.
fn shown(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => "none".into(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(a)) if a.is_empty() => "none".into(),
        Some(Value::Array(a)) => a
            .iter()
            .map(|w| shown(Some(w)))
            .collect::<Vec<_>>()
            .join(" "),
        Some(Value::Object(o)) => match o.get("command").or_else(|| o.get("name")) {
            Some(c) => shown(Some(c)),
            None => Value::Object(o.clone()).to_string(),
        },
        Some(v) => v.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn global(text: &str) -> Value {
        let p = conf_parser::parse_str("t.conf", text, &conf_parser::Options::default());
        assert!(p.is_ok(), "{}", p.render_diagnostics());
        let src = crate::reload::Source::file_only("t.conf".into());
        crate::reload::plans(&p.config, &src).unwrap().0.global
    }

    #[test]
    fn resolved_settings_are_applied_the_others_named() {
        let a = global(
            "global_defs {\n tmp_config_directory /a\n router_id a\n vrrp_garp_master_delay 5\n}\n",
        );
        let b = global(
            "global_defs {\n tmp_config_directory /b\n router_id b\n vrrp_garp_master_delay 1\n}\n",
        );
        assert_eq!(not_applied(&a, &b), ["global_defs tmp_config_directory"]);
        assert!(not_applied(&a, &a).is_empty());
        let c = global("net_namespace blue\nglobal_defs {\n tmp_config_directory /a\n router_id a\n vrrp_garp_master_delay 5\n}\n");
        assert_eq!(not_applied(&a, &c), ["net_namespace", "use_pid_dir"]);
        // The metrics' listener is bound once, at start.
        let m = global("global_defs {\n tmp_config_directory /a\n router_id a\n vrrp_garp_master_delay 5\n metrics_listen 127.0.0.1:9650\n}\n");
        assert_eq!(not_applied(&a, &m), ["global_defs metrics_listen"]);
    }

    #[test]
    fn the_settings_read_where_used_are_each_a_line() {
        let a = global("global_defs {\n shutdown_script /bin/true\n notify_fifo /tmp/f1\n}\n");
        let b = global("global_defs {\n shutdown_script \"/bin/echo down\"\n shutdown_script_timeout 5\n notify_fifo /tmp/f2\n}\n");
        let lines: Vec<_> = changed(&a, &b).iter().map(ToString::to_string).collect();
        assert_eq!(
            lines,
            [
                "global_defs shutdown_script: /bin/true -> /bin/echo down",
                "global_defs shutdown_script_timeout: 10 -> 5",
                "global_defs notify_fifo: /tmp/f1 -> /tmp/f2",
            ]
        );
        assert!(changed(&a, &a).is_empty());
        let c = global("global_defs {\n notify_fifo /tmp/f1\n}\n");
        assert_eq!(
            changed(&a, &c)
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>(),
            ["global_defs shutdown_script: /bin/true -> none"]
        );
    }
}
