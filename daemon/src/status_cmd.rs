//! `keepalived-rs status [--json]`: the running daemon's state at a glance, read from its
//! control socket (`control`): the VRRP instances and sync groups, the virtual servers with
//! their real servers and checkers, the reconciler, the last reload. `--json` prints the
//! socket's document as it is (docs/status.md). Without a daemon: one line, exit 3.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::Value;

use crate::cli::StatusArgs;
use crate::control;

/// Where the daemon's socket is: `--socket`, else beside its main pid file (with `-s NAME`, in
/// that namespace's pid directory).
fn socket_path(a: &StatusArgs) -> PathBuf {
    if let Some(p) = &a.socket {
        return p.clone();
    }
    let paths = crate::pidfile::default_paths(a.namespace.as_deref(), None, false);
    control::default_path(&paths.main)
}

pub fn status(a: &StatusArgs) -> ExitCode {
    let path = socket_path(a);
    let doc = match control::request_status(&path) {
        Ok(d) => d,
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::NotFound | std::io::ErrorKind::ConnectionRefused
            ) =>
        {
            println!(
                "keepalived-rs is not running (no daemon answers on {})",
                path.display()
            );
            return ExitCode::from(3);
        }
        Err(e) => {
            eprintln!("keepalived-rs: status: {}: {e}", path.display());
            return ExitCode::from(if e.kind() == std::io::ErrorKind::PermissionDenied {
                4
            } else {
                3
            });
        }
    };
    let text = if a.json {
        format!("{doc}\n")
    } else {
        render(&doc, SystemTime::now(), std::io::stdout().is_terminal())
    };
    print!("{text}");
    ExitCode::SUCCESS
}

/// A serialized `SystemTime` (`{"secs_since_epoch": .., "nanos_since_epoch": ..}`).
fn time(v: &Value) -> Option<SystemTime> {
    let s = v.get("secs_since_epoch")?.as_u64()?;
    let n = v.get("nanos_since_epoch")?.as_u64().unwrap_or(0);
    Some(UNIX_EPOCH + Duration::new(s, n as u32))
}

/// `3m12s ago`.
fn ago(v: &Value, now: SystemTime) -> String {
    let Some(t) = time(v) else {
        return "-".into();
    };
    let d = now.duration_since(t).unwrap_or_default().as_secs();
    let text = match d {
        0..=59 => format!("{d}s"),
        60..=3599 => format!("{}m{:02}s", d / 60, d % 60),
        3600..=86399 => format!("{}h{:02}m", d / 3600, (d % 3600) / 60),
        _ => format!("{}d{:02}h", d / 86400, (d % 86400) / 3600),
    };
    format!("{text} ago")
}

fn s(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "-".into(),
        other => other.to_string(),
    }
}

/// A state word, coloured on a terminal.
fn state(word: &str, color: bool) -> String {
    if !color {
        return word.to_string();
    }
    let code = match word {
        "MASTER" | "up" | "in" => "32",
        "BACKUP" => "36",
        "FAULT" | "down" | "out" => "31",
        _ => "0",
    };
    format!("\x1b[{code}m{word}\x1b[0m")
}

/// The human-readable status.
pub fn render(doc: &Value, now: SystemTime, color: bool) -> String {
    let mut out = String::new();
    let d = &doc["daemon"];
    out.push_str(&format!(
        "keepalived-rs {} (pid {}), {}; started {}\n",
        s(&d["version"]),
        s(&d["pid"]),
        s(&d["config_file"]),
        ago(&d["started"], now)
    ));
    if let Some(r) = d.get("last_reload").filter(|r| !r.is_null()) {
        let verdict = if r["applied"].as_bool() == Some(true) {
            "applied"
        } else {
            "refused"
        };
        out.push_str(&format!("last reload {}: {verdict}\n", ago(&r["at"], now)));
        for l in r["lines"].as_array().into_iter().flatten() {
            out.push_str(&format!("  {}\n", s(l)));
        }
    }
    let instances = doc["vrrp"]["instances"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if !instances.is_empty() {
        out.push_str("\nVRRP instances\n");
        for i in &instances {
            let master = match i["master"].as_array() {
                Some(m) if m.len() == 2 => format!("master {} (priority {})", s(&m[0]), s(&m[1])),
                _ => String::new(),
            };
            out.push_str(&format!(
                "  {:<12} {:<8} priority {} (effective {})  {} vrid {}  since {} (from {})  {master}\n",
                s(&i["name"]),
                state(&s(&i["state"]), color),
                s(&i["base_priority"]),
                s(&i["effective_priority"]),
                s(&i["interface"]),
                s(&i["vrid"]),
                ago(&i["last_transition"], now),
                s(&i["last_transition_from"]),
            ));
            for t in i["tracked"].as_array().into_iter().flatten() {
                let lowering = t["status"] != "up" || t["weight"].as_i64().unwrap_or(0) < 0;
                if lowering {
                    out.push_str(&format!(
                        "      tracks {} {}: {} (weight {})\n",
                        s(&t["kind"]),
                        s(&t["name"]),
                        s(&t["status"]),
                        s(&t["weight"])
                    ));
                }
            }
        }
    }
    let groups = doc["vrrp"]["groups"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if !groups.is_empty() {
        out.push_str("\nSync groups\n");
        for g in &groups {
            let members: Vec<String> = g["members"]
                .as_array()
                .into_iter()
                .flatten()
                .map(s)
                .collect();
            out.push_str(&format!(
                "  {:<12} {:<8} {}\n",
                s(&g["name"]),
                state(&s(&g["state"]), color),
                members.join(", ")
            ));
        }
    }
    let vss = doc["lvs"]["virtual_servers"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if !vss.is_empty() {
        out.push_str("\nVirtual servers\n");
        for v in &vss {
            let quorum = if v["quorum_up"].as_bool() == Some(true) {
                "quorum up"
            } else {
                "quorum lost"
            };
            let sorry = match &v["sorry_server"] {
                Value::String(a) => format!(", sorry server {a} in use"),
                _ => String::new(),
            };
            // ha_suspend: while the virtual server's address is not on this node its checkers
            // make no check, so their states below are as they were when suspended.
            let suspended = if v["suspended"].as_bool() == Some(true) {
                ", checkers suspended (ha_suspend: its address is not on this node)"
            } else {
                ""
            };
            out.push_str(&format!(
                "  {} {}  {quorum}{sorry}{suspended}\n",
                s(&v["name"]),
                s(&v["scheduler"])
            ));
            for r in v["real_servers"].as_array().into_iter().flatten() {
                let (word, weight) = match r["weight"].as_u64() {
                    Some(w) => ("in", format!("weight {w}")),
                    None => ("out", String::new()),
                };
                out.push_str(&format!(
                    "    {:<24} {:<3} {weight}\n",
                    s(&r["address"]),
                    state(word, color)
                ));
                for c in r["checkers"].as_array().into_iter().flatten() {
                    let up = if c["up"].as_bool() == Some(true) {
                        "up"
                    } else {
                        "down"
                    };
                    let reason = match s(&c["reason"]).as_str() {
                        "" => String::new(),
                        r => format!(" ({r})"),
                    };
                    out.push_str(&format!(
                        "      {} {}{reason}, since {}\n",
                        s(&c["kind"]),
                        state(up, color),
                        ago(&c["since"], now)
                    ));
                }
            }
        }
        let rc = &doc["lvs"]["reconciler"];
        out.push_str(&format!(
            "\nIPVS: last full pass {}; {} full passes, {} updates, {} reloads, {} operations, {} corrections of hand edits, {} errors{}\n",
            ago(&rc["last_full_pass"], now),
            s(&rc["full_passes"]),
            s(&rc["updates"]),
            s(&rc["reloads"]),
            s(&rc["operations"]),
            s(&rc["drift_corrections"]),
            s(&rc["errors"]),
            match &rc["last_error"] {
                Value::String(e) => format!(" (last: {e})"),
                _ => String::new(),
            }
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_status_document_reads_as_a_table() {
        let t = |secs: u64| serde_json::json!({"secs_since_epoch": secs, "nanos_since_epoch": 0});
        let doc = serde_json::json!({
            "version": 1,
            "daemon": {"pid": 7, "version": "0.1.0", "started": t(1000),
                       "config_file": "/etc/keepalived/keepalived.conf", "last_reload": null},
            "vrrp": {"instances": [{"name": "VI_1", "state": "BACKUP", "base_priority": 100,
                      "effective_priority": 80, "interface": "eth0", "vrid": 51,
                      "last_transition": t(1100), "last_transition_from": "INIT",
                      "master": ["10.0.0.2", 150],
                      "tracked": [{"kind": "script", "name": "chk", "weight": -20, "status": "down"}]}],
                     "groups": []},
            "lvs": {"virtual_servers": [{"name": "[10.0.0.100]:tcp:80", "scheduler": "rr",
                     "quorum_up": true, "sorry_server": null, "suspended": false,
                     "real_servers": [
                        {"address": "10.0.1.1:80", "weight": 1, "checkers": [
                            {"kind": "TCP_CHECK", "up": true, "reason": "check succeeded", "since": t(1150)}]},
                        {"address": "10.0.1.2:80", "weight": null, "checkers": [
                            {"kind": "TCP_CHECK", "up": false, "reason": "connection refused", "since": t(1190)}]}]}],
                    "reconciler": {"full_passes": 3, "updates": 2, "reloads": 0, "operations": 9,
                                   "drift_corrections": 0, "errors": 0, "last_full_pass": t(1195),
                                   "last_error": null}}
        });
        let text = render(&doc, UNIX_EPOCH + Duration::from_secs(1200), false);
        let want = [
            "keepalived-rs 0.1.0 (pid 7), /etc/keepalived/keepalived.conf; started 3m20s ago",
            "VI_1         BACKUP   priority 100 (effective 80)  eth0 vrid 51  since 1m40s ago (from INIT)  master 10.0.0.2 (priority 150)",
            "      tracks script chk: down (weight -20)",
            "  [10.0.0.100]:tcp:80 rr  quorum up",
            "    10.0.1.1:80              in  weight 1",
            "      TCP_CHECK up (check succeeded), since 50s ago",
            "    10.0.1.2:80              out ",
            "      TCP_CHECK down (connection refused), since 10s ago",
            "IPVS: last full pass 5s ago; 3 full passes, 2 updates, 0 reloads, 9 operations, 0 corrections of hand edits, 0 errors",
        ];
        for w in want {
            assert!(text.contains(w), "missing {w:?} in\n{text}");
        }
        assert!(!text.contains("suspended"), "{text}");
        assert!(!text.contains('\x1b'));
        assert!(render(&doc, UNIX_EPOCH + Duration::from_secs(1200), true).contains("\x1b[31mdown"));
    }

    /// A virtual server under ha_suspend whose address is not on the node says so: its
    /// checkers' states are then those of when they were suspended.
    #[test]
    fn a_suspended_virtual_server_says_so() {
        let doc = serde_json::json!({
            "version": 1,
            "daemon": {"pid": 7, "version": "0.1.0", "started": null,
                       "config_file": "/etc/keepalived/keepalived.conf", "last_reload": null},
            "vrrp": {"instances": [], "groups": []},
            "lvs": {"virtual_servers": [{"name": "[10.0.0.100]:tcp:80", "scheduler": "rr",
                     "quorum_up": true, "sorry_server": null, "suspended": true,
                     "real_servers": []}],
                    "reconciler": {}}
        });
        let text = render(&doc, UNIX_EPOCH, false);
        assert!(
            text.contains("  [10.0.0.100]:tcp:80 rr  quorum up, checkers suspended (ha_suspend: its address is not on this node)\n"),
            "{text}"
        );
    }
}
