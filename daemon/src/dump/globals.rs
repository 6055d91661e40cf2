//! The `Global definitions` section every data file begins with: the global settings in
//! keepalived's words, for those keepalived-rs runs with. Pure: from the configuration's root
//! and global_defs settings as `config dump` writes them (`diff::Plans::global`).

use std::fmt::Write;

use serde_json::Value;

use super::text::header;

/// What the section needs besides the configuration: the namespace the daemon runs in and the
/// host's name (the default router_id).
pub struct Context<'a> {
    pub namespace: Option<&'a str>,
    pub hostname: &'a str,
}

/// Appends the section to `out`.
pub fn section(out: &mut String, global: &Value, cx: &Context) {
    let defs = &global["global_defs"];
    header(out, "Global definitions");
    let _ = writeln!(
        out,
        " Network namespace = {}",
        cx.namespace.unwrap_or("(default)")
    );
    if let Some(i) = global["instance"].as_str() {
        let _ = writeln!(out, " Instance name = {i}");
    }
    let router_id = defs["router_id"].as_str().unwrap_or(cx.hostname);
    let _ = writeln!(out, " Router ID = {router_id}");
    if defs["data_use_instance"].as_bool() == Some(true) {
        let _ = writeln!(out, " Use instance name in data dumps");
    }
    for (label, key) in [
        ("Dynamic interfaces", "dynamic_interfaces"),
        ("Default interface", "default_interface"),
        ("VRRP IPv4 mcast group", "vrrp_mcast_group4"),
        ("VRRP IPv6 mcast group", "vrrp_mcast_group6"),
        ("Gratuitous ARP delay", "vrrp_garp_master_delay"),
        ("Gratuitous ARP repeat", "vrrp_garp_master_repeat"),
        ("Gratuitous ARP refresh timer", "vrrp_garp_master_refresh"),
        (
            "Gratuitous ARP refresh repeat",
            "vrrp_garp_master_refresh_repeat",
        ),
        (
            "Gratuitous ARP lower priority delay",
            "vrrp_garp_lower_prio_delay",
        ),
        (
            "Gratuitous ARP lower priority repeat",
            "vrrp_garp_lower_prio_repeat",
        ),
        ("Num adverts before down", "vrrp_down_timer_adverts"),
        ("VRRP default protocol version", "vrrp_version"),
        ("VRRP strict mode", "vrrp_strict"),
    ] {
        match &defs[key] {
            Value::String(s) => {
                let _ = writeln!(out, " {label} = {s}");
            }
            v @ (Value::Bool(_) | Value::Number(_)) => {
                let _ = writeln!(out, " {label} = {v}");
            }
            _ => {}
        }
    }
    // keepalived writes it last, and only when set (`%g`: `5`, `5.5`).
    if defs["vrrp_startup_delay"].as_f64().is_some_and(|d| d > 0.0) {
        let _ = writeln!(out, " vrrp_startup_delay = {}", defs["vrrp_startup_delay"]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn global_definitions_in_keepalived_words() {
        let global = serde_json::json!({
            "instance": "foo",
            "global_defs": {
                "vrrp_mcast_group4": "224.0.0.18",
                "vrrp_garp_master_delay": 5,
                "vrrp_strict": false,
                "data_use_instance": true
            }
        });
        let mut out = String::new();
        section(
            &mut out,
            &global,
            &Context {
                namespace: Some("ns1"),
                hostname: "lb1",
            },
        );
        assert_eq!(
            out,
            "------< Global definitions >------\n \
             Network namespace = ns1\n \
             Instance name = foo\n \
             Router ID = lb1\n \
             Use instance name in data dumps\n \
             VRRP IPv4 mcast group = 224.0.0.18\n \
             Gratuitous ARP delay = 5\n \
             VRRP strict mode = false\n"
        );
    }

    #[test]
    fn vrrp_startup_delay_is_written_last_and_only_when_set() {
        let cx = Context {
            namespace: None,
            hostname: "lb1",
        };
        for (delay, line) in [
            (serde_json::json!(5.5), Some(" vrrp_startup_delay = 5.5\n")),
            (serde_json::json!(5), Some(" vrrp_startup_delay = 5\n")),
            (serde_json::json!(0), None),
        ] {
            let global = serde_json::json!({
                "global_defs": {"vrrp_startup_delay": delay, "vrrp_strict": false}
            });
            let mut out = String::new();
            section(&mut out, &global, &cx);
            match line {
                Some(l) => assert!(
                    out.ends_with(&format!("VRRP strict mode = false\n{l}")),
                    "{out}"
                ),
                None => assert!(!out.contains("startup"), "{out}"),
            }
        }
    }
}
