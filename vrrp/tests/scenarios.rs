//! Golden scenarios: JSON-lines files under `tests/scenarios/`, replayed through one instance.
//!
//! Lines starting with `#` are comments (each file opens with one saying what goes in and what
//! must come out). The first other line is the instance config. Every later line is one step: `at_us` (virtual time in
//! microseconds), `input`, and the `actions` the instance must answer with, in order. A test
//! fails on the first step whose actions differ. With `VRRP_BLESS=1` the files are rewritten
//! with the actual actions instead (review the diff before committing).
//!
//! serde_json is only a dev-dependency: inputs and actions are mapped to JSON here, by hand, so
//! the library carries no serialisation.

use std::net::IpAddr;
use std::path::Path;
use std::time::Duration;

use serde_json::{json, Value};
use vrrp::{
    Action, Advertisement, Auth, ChecksumMode, Destination, Input, Instance, InstanceConfig,
    ProtocolVersion, State, Time, TimerKind, Version, WantedState,
};

fn ip(v: &Value) -> IpAddr {
    v.as_str()
        .expect("address string")
        .parse()
        .expect("address")
}

fn ips(v: &[IpAddr]) -> Value {
    Value::from(v.iter().map(|a| a.to_string()).collect::<Vec<_>>())
}

fn config(v: &Value) -> InstanceConfig {
    let mut c = InstanceConfig::new(
        v["vrid"].as_u64().unwrap() as u8,
        v["priority"].as_u64().unwrap() as u8,
        ip(&v["local_address"]),
        v["vips"].as_array().unwrap().iter().map(ip).collect(),
    );
    if v["version"] == 3 {
        c.version = ProtocolVersion::V3;
    }
    if let Some(ms) = v["advert_interval_ms"].as_u64() {
        c.advert_interval = Duration::from_millis(ms);
    }
    if let Some(p) = v["preempt"].as_bool() {
        c.preempt = p;
    }
    if let Some(ms) = v["preempt_delay_ms"].as_u64() {
        c.preempt_delay = Duration::from_millis(ms);
    }
    if v["state"] == "MASTER" {
        c.initial_state = WantedState::Master;
    }
    if let Some(pw) = v["auth_pass"].as_str() {
        c.auth = Auth::password(pw.as_bytes());
    }
    if let Some(n) = v["down_timer_adverts"].as_u64() {
        c.down_timer_adverts = n as u32;
    }
    if let Some(ms) = v["garp_master_delay_ms"].as_u64() {
        c.garp_master_delay = Duration::from_millis(ms);
    }
    if let Some(n) = v["garp_master_repeat"].as_u64() {
        c.garp_master_repeat = n as u32;
    }
    if let Some(ms) = v["garp_master_refresh_ms"].as_u64() {
        c.garp_master_refresh = Duration::from_millis(ms);
    }
    if let Some(n) = v["garp_master_refresh_repeat"].as_u64() {
        c.garp_master_refresh_repeat = n as u32;
    }
    if let Some(ms) = v["garp_lower_prio_delay_ms"].as_u64() {
        c.garp_lower_prio_delay = Some(Duration::from_millis(ms));
    }
    if let Some(n) = v["garp_lower_prio_repeat"].as_u64() {
        c.garp_lower_prio_repeat = Some(n as u32);
    }
    if let Some(b) = v["lower_prio_no_advert"].as_bool() {
        c.lower_prio_no_advert = b;
    }
    if let Some(b) = v["higher_prio_send_advert"].as_bool() {
        c.higher_prio_send_advert = b;
    }
    if let Some(peers) = v["unicast_peers"].as_array() {
        c.unicast_peers = peers.iter().map(ip).collect();
    }
    if let Some(b) = v["check_unicast_src"].as_bool() {
        c.check_unicast_src = b;
    }
    c
}

fn timer_kind(v: &Value) -> TimerKind {
    match v.as_str() {
        Some("advert") => TimerKind::Advert,
        Some("master_down") => TimerKind::MasterDown,
        Some("garp_delay") => TimerKind::GarpDelay,
        Some("garp_refresh") => TimerKind::GarpRefresh,
        Some("garp_lower_prio") => TimerKind::GarpLowerPrio,
        Some("garp_extra_if") => TimerKind::GarpExtraIf,
        other => panic!("unknown timer {other:?}"),
    }
}

fn timer_name(kind: TimerKind) -> &'static str {
    match kind {
        TimerKind::Advert => "advert",
        TimerKind::MasterDown => "master_down",
        TimerKind::GarpDelay => "garp_delay",
        TimerKind::GarpRefresh => "garp_refresh",
        TimerKind::GarpLowerPrio => "garp_lower_prio",
        TimerKind::GarpExtraIf => "garp_extra_if",
    }
}

/// An advert input: `{"advert": {"priority": 200, "from": "…"}}`, the other fields as the
/// instance's own config (a peer it accepts).
fn input(v: &Value, config: &InstanceConfig) -> Input {
    if let Some(s) = v.as_str() {
        return match s {
            "startup" => Input::Startup,
            "shutdown" => Input::Shutdown,
            "interface_down" => Input::InterfaceDown,
            "interface_up" => Input::InterfaceUp,
            "track_fault" => Input::TrackFault,
            "track_ok" => Input::TrackOk,
            "group_fault" => Input::GroupFault,
            "group_release" => Input::GroupRelease,
            other => panic!("unknown input {other}"),
        };
    }
    if let Some(a) = v.get("advert") {
        let version = match config.version {
            ProtocolVersion::V2 => Version::V2 {
                advert_interval_secs: config.advert_interval.as_secs() as u8,
                auth: config.auth,
            },
            ProtocolVersion::V3 => Version::V3 {
                max_advert_interval_cs: a["max_advert_interval_cs"]
                    .as_u64()
                    .map_or((config.advert_interval.as_millis() / 10) as u16, |n| {
                        n as u16
                    }),
            },
        };
        return Input::Advert {
            advert: Advertisement {
                version,
                vrid: config.vrid,
                priority: a["priority"].as_u64().unwrap() as u8,
                addresses: config.vips.clone(),
                checksum: ChecksumMode::Rfc,
            },
            from: ip(&a["from"]),
        };
    }
    if let Some(t) = v.get("timer") {
        return Input::Timer(timer_kind(t));
    }
    if let Some(s) = v.get("group_force") {
        return Input::GroupForce(match s.as_str() {
            Some("MASTER") => WantedState::Master,
            Some("BACKUP") => WantedState::Backup,
            other => panic!("unknown group_force state {other:?}"),
        });
    }
    if let Some(p) = v.get("priority_change") {
        return Input::PriorityChange(p.as_u64().unwrap() as u8);
    }
    panic!("unknown input {v}")
}

fn state_name(s: State) -> &'static str {
    match s {
        State::Initialize => "INIT",
        State::Backup => "BACKUP",
        State::Master => "MASTER",
        State::Fault => "FAULT",
        State::Stop => "STOP",
    }
}

fn action(a: &Action) -> Value {
    match a {
        Action::SendAdvert { advert: ad, to } => {
            let interval = match ad.version {
                Version::V2 {
                    advert_interval_secs,
                    ..
                } => json!({"version": 2, "advert_interval_secs": advert_interval_secs}),
                Version::V3 {
                    max_advert_interval_cs,
                } => json!({"version": 3, "max_advert_interval_cs": max_advert_interval_cs}),
            };
            json!({"send_advert": {
                "vrid": ad.vrid,
                "priority": ad.priority,
                "addresses": ips(&ad.addresses),
                "interval": interval,
                "to": match to {
                    Destination::Multicast => "multicast".to_owned(),
                    Destination::Unicast(a) => a.to_string(),
                },
            }})
        }
        Action::AddVips(v) => json!({ "add_vips": ips(v) }),
        Action::RemoveVips(v) => json!({ "remove_vips": ips(v) }),
        Action::SendGratuitous { vips, count } => {
            json!({ "send_gratuitous": {"vips": ips(vips), "count": count} })
        }
        Action::SetTimer { at, kind } => {
            json!({"set_timer": {"kind": timer_name(*kind), "at_us": at.0.as_micros() as u64}})
        }
        Action::CancelTimer(kind) => json!({ "cancel_timer": timer_name(*kind) }),
        Action::Transition { from, to } => {
            json!({"transition": [state_name(*from), state_name(*to)]})
        }
    }
}

fn replay(path: &Path) {
    let text = std::fs::read_to_string(path).unwrap();
    let bless = std::env::var_os("VRRP_BLESS").is_some();
    let mut blessed: Vec<String> = text
        .lines()
        .take_while(|l| l.starts_with('#'))
        .map(str::to_owned)
        .collect();
    let mut lines = text
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'));
    let config_line = lines.next().unwrap();
    blessed.push(config_line.to_owned());
    let config_value: Value = serde_json::from_str(config_line).unwrap();
    let config = config(&config_value["config"]);
    let mut instance = Instance::new(config.clone()).unwrap();
    for (n, line) in lines.enumerate() {
        let step: Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("{}: step {}: {e}", path.display(), n + 1));
        let at = Time(Duration::from_micros(step["at_us"].as_u64().unwrap()));
        let actions = instance.handle(input(&step["input"], &config), at);
        let got = Value::from(actions.iter().map(action).collect::<Vec<_>>());
        if bless {
            // Written by hand to keep the reading order: time, input, then actions.
            blessed.push(format!(
                r#"{{"at_us":{},"input":{},"actions":{}}}"#,
                step["at_us"], step["input"], got
            ));
        } else {
            assert_eq!(
                got,
                step["actions"],
                "{}: step {} ({})",
                path.display(),
                n + 1,
                step["input"]
            );
        }
    }
    if bless {
        std::fs::write(path, blessed.join("\n") + "\n").unwrap();
    }
}

#[test]
fn golden_scenarios() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no scenarios in {}", dir.display());
    for f in files {
        replay(&f);
    }
}
