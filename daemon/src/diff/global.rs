//! The root and global_defs settings a reload does not apply.
//!
//! Most global_defs values are defaults the parser resolves into each instance, virtual server
//! or checker (vrrp_garp_*, vrrp_version, checker_log_all_failures, script_user, ...): a change
//! to them shows, and applies, as a change of what they resolve into. A few are read once at
//! start, or not run by keepalived-rs at all: a change to one of those is named in one warning.

use serde_json::Value;

/// global_defs settings whose effect a reload applies: resolved into the plans (and compared
/// there) or read by the reload itself.
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
    // Read by the notifier (FIFOs, mail) or resolved into instances and servers (smtp_alert).
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
    "smtp_alert",
    "smtp_alert_vrrp",
    "smtp_alert_checker",
    "no_email_faults",
    "no_checker_emails",
    "router_id",
    // Read at stop from the configuration in force (a changed startup_script is not applied:
    // it runs at start only).
    "shutdown_script",
    "shutdown_script_timeout",
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
        if APPLIED.contains(&k.as_str()) || og.get(k) == ng.get(k) {
            continue;
        }
        out.push(format!("global_defs {k}"));
    }
    out
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
}
