//! What the model holds after each error keepalived 2.2.7's daemon runs on: the same fallback
//! keepalived uses (measured: daemon/tests/netns_start_verdict.rs runs both daemons on these
//! files), and the finding marked `KeepalivedDaemon::RunsOn`, so that keepalived-rs's daemon
//! starts on it too. The errors keepalived's daemon does not start on are marked `Stops`.
//! (The host's part, missing interfaces and scripts, is tested in src/host.rs.)

use conf_parser::model::vrrp::{VrrpInstance, VrrpState};
use conf_parser::{parse_str, KeepalivedDaemon, Options, Parsed};
use std::time::Duration;

fn parse(text: &str) -> Parsed {
    parse_str(
        "t.conf",
        text,
        &Options {
            config_id: "x".into(),
            ..Default::default()
        },
    )
}

const VIP: &str = "  virtual_ipaddress {\n    192.168.200.16\n  }\n";

/// An instance on eth0 with virtual router id 51, priority 100 unless `extra` says otherwise.
fn instance(extra: &str) -> String {
    format!("vrrp_instance VI_1 {{\n  interface eth0\n  virtual_router_id 51\n{VIP}{extra}}}\n")
}

/// The file's errors, each with what keepalived's daemon does; the model.
fn errors(text: &str) -> (Vec<(String, KeepalivedDaemon)>, Parsed) {
    let p = parse(text);
    let e = p
        .diags
        .iter()
        .filter(|d| d.level >= conf_parser::Level::Error)
        .map(|d| (d.message.clone(), d.daemon))
        .collect();
    (e, p)
}

/// The file has errors, keepalived's daemon runs on after each, and ours starts.
fn runs_on(text: &str) -> Parsed {
    let (e, p) = errors(text);
    assert!(!e.is_empty(), "no error in:\n{text}");
    for (m, d) in &e {
        assert_eq!(*d, KeepalivedDaemon::RunsOn, "{m}");
    }
    assert_eq!(p.diags.refusals(false).count(), 0);
    // --strict refuses all the same.
    assert!(p.diags.refusals(true).count() > 0);
    p
}

fn only(p: &Parsed) -> &VrrpInstance {
    assert_eq!(p.config.vrrp.vrrp_instance.len(), 1);
    &p.config.vrrp.vrrp_instance[0]
}

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

#[test]
fn priority_not_valid_is_100_whatever_the_state() {
    for (value, state) in [
        ("300", "BACKUP"),
        ("300", "MASTER"),
        ("0", "MASTER"),
        ("high", "BACKUP"),
    ] {
        let p = runs_on(&instance(&format!("  state {state}\n  priority {value}\n")));
        let i = only(&p);
        assert_eq!(i.priority, 100, "{value} {state}");
        let d = p.diags.iter().next().unwrap();
        assert!(
            d.message.ends_with("; using 100, keepalived's default"),
            "{}",
            d.message
        );
    }
    // Not written, MASTER means 255 (no error): the fallback is not "unwritten".
    assert_eq!(only(&parse(&instance("  state MASTER\n"))).priority, 255);
    // Without a value: not measured, so not started on; an extra argument is only a warning.
    let (e, _) = errors(&instance("  priority\n"));
    assert_eq!(e[0].1, KeepalivedDaemon::NotMeasured);
    let p = runs_on(&instance("  priority 300 7\n"));
    assert_eq!(only(&p).priority, 100);
    let extra = p
        .diags
        .iter()
        .find(|d| d.level == conf_parser::Level::Warning);
    assert!(!extra.unwrap().message.contains("using 100"));
}

#[test]
fn advert_int_version_and_preempt_delay_not_valid_are_ignored() {
    for line in ["advert_int 0", "advert_int 300", "advert_int fast"] {
        let p = runs_on(&instance(&format!("  {line}\n")));
        assert_eq!(only(&p).advert_int.0, secs(1), "{line}");
    }
    let p = runs_on(&instance("  version 4\n"));
    assert_eq!(only(&p).version, 2);
    let p = runs_on(&instance("  preempt_delay 2000\n"));
    assert_eq!(only(&p).preempt_delay.0, secs(0));
}

#[test]
fn an_unknown_state_is_backup() {
    for state in ["MSTER", "master"] {
        let p = runs_on(&instance(&format!("  state {state}\n")));
        assert_eq!(only(&p).state, VrrpState::Backup, "{state}");
    }
    // Even after MASTER.
    let p = runs_on(&instance("  state MASTER\n  state SLAVE\n"));
    assert_eq!(only(&p).state, VrrpState::Backup);
}

#[test]
fn addresses_not_valid() {
    // Not an address: the line is dropped.
    let p = runs_on(&instance("").replace("192.168.200.16", "192.168.200.300"));
    assert!(only(&p).virtual_ipaddress.is_empty());
    // A prefix longer than the address: the whole address.
    let p = runs_on(&instance("").replace("192.168.200.16", "192.168.200.16/40"));
    assert_eq!(
        only(&p).virtual_ipaddress[0].address.to_string(),
        "192.168.200.16/32"
    );
    // Source addresses and unicast peers: dropped (keepalived then multicasts).
    for line in ["mcast_src_ip 10.0.0.300", "unicast_src_ip 10.0.0.300"] {
        let p = runs_on(&instance(&format!("  {line}\n")));
        let i = only(&p);
        assert!(
            i.mcast_src_ip.is_none() && i.unicast_src_ip.is_none(),
            "{line}"
        );
    }
    let p = runs_on(&instance("  unicast_peer {\n    10.0.0.300\n  }\n"));
    assert!(only(&p).unicast_peer.is_empty());
}

#[test]
fn authentication_without_a_valid_type_or_a_password_is_dropped() {
    for block in [
        "  authentication {\n    auth_type PASSWORD\n    auth_pass 1111\n  }\n",
        "  authentication {\n    auth_type PASS\n  }\n",
    ] {
        let p = runs_on(&instance(block));
        assert!(only(&p).authentication.is_none(), "{block}");
    }
}

#[test]
fn a_second_instance_of_the_same_name_is_dropped() {
    let text = format!(
        "{}{}",
        instance(""),
        instance("").replace("virtual_router_id 51", "virtual_router_id 52")
    );
    let p = runs_on(&text);
    assert_eq!(only(&p).virtual_router_id, Some(51));
}

#[test]
fn garp_master_delay_is_read_as_keepalived_reads_it() {
    // (written, delay in the model, the message's end)
    for (value, want, says) in [
        ("soon", 0, "using 0, as keepalived reads it"),
        ("7x", 7, "using 7, as keepalived reads it"),
        ("3.5", 3, "using 3, as keepalived reads it"),
        ("-3", 5, "ignored, as keepalived does"),
        ("100000", 5, "ignored, as keepalived does"),
    ] {
        let p = runs_on(&instance(&format!("  garp_master_delay {value}\n")));
        assert_eq!(only(&p).garp_master_delay.0, secs(want), "{value}");
        let m = &p.diags.iter().next().unwrap().message;
        assert!(m.ends_with(says), "{value}: {m}");
    }
    // In global_defs, and inherited by the instances.
    let p = runs_on(&format!(
        "global_defs {{\n  vrrp_garp_master_delay soon\n}}\n{}",
        instance("")
    ));
    assert_eq!(
        p.config.global.global_defs.vrrp_garp_master_delay.0,
        secs(0)
    );
    assert_eq!(only(&p).garp_master_delay.0, secs(0));
    // Without a value keepalived stops.
    let (e, _) = errors(&instance("  garp_master_delay\n"));
    assert_eq!(e[0].1, KeepalivedDaemon::NotMeasured);
}

#[test]
fn vrrp_script_values_not_valid() {
    let script = |inner: &str| {
        format!(
            "vrrp_script chk {{\n  script /bin/true\n{inner}}}\n{}",
            instance("  track_script {\n    chk\n  }\n")
        )
    };
    let p = runs_on(&script("  interval 0\n  fall 0\n"));
    let s = &p.config.vrrp.vrrp_script[0];
    assert_eq!((s.interval.0, s.fall), (secs(1), 1));
    // keepalived uses a weight beyond 253 all the same; 253 gives the same priority.
    let p = runs_on(&script("  weight 300\n"));
    assert_eq!(p.config.vrrp.vrrp_script[0].weight, 253);
    let p = runs_on(&script("  weight -300 reverse\n"));
    let s = &p.config.vrrp.vrrp_script[0];
    assert_eq!((s.weight, s.reverse), (-253, true));
    // Other values not valid: not measured, so not started on.
    let (e, _) = errors(&script("  rise 0\n"));
    assert_eq!(e[0].1, KeepalivedDaemon::NotMeasured);
}

#[test]
fn references_to_nothing_are_dropped() {
    let p = runs_on(&instance("  track_script {\n    nosuch\n  }\n"));
    assert!(only(&p).track_script.is_empty());
    let p = runs_on(&format!(
        "vrrp_sync_group G {{\n  group {{\n    VI_1\n    VI_9\n  }}\n}}\n{}",
        instance("")
    ));
    let members: Vec<_> = p.config.vrrp.vrrp_sync_group[0]
        .group
        .iter()
        .map(|m| m.name.as_str())
        .collect();
    assert_eq!(members, ["VI_1"]);
}

#[test]
fn global_defs_not_valid_keep_their_defaults() {
    let global = |line: &str| format!("global_defs {{\n  {line}\n}}\n{}", instance(""));
    let p = runs_on(&global("vrrp_mcast_group4 10.0.0.1"));
    let d = &p.config.global.global_defs;
    assert_eq!(d.vrrp_mcast_group4.to_string(), "224.0.0.18");
    let p = runs_on(&global("vrrp_version 5"));
    assert_eq!(p.config.global.global_defs.vrrp_version, 2);
    assert_eq!(only(&p).version, 2);
    let p = runs_on(&global("umask 999"));
    assert_eq!(p.config.global.global_defs.umask.0, 0o177);
    let p = runs_on(&global("startup_script"));
    assert!(p.config.global.global_defs.startup_script.is_none());
}

#[test]
fn a_line_with_an_unterminated_quote_is_dropped() {
    let p = runs_on(&instance("  notify_master \"/bin/true\n"));
    assert!(only(&p).notify_master.is_none());
}

#[test]
fn what_keepalived_s_daemon_stops_on() {
    let stops = |text: &str| {
        let (e, p) = errors(text);
        assert!(
            e.iter().any(|(_, d)| *d == KeepalivedDaemon::Stops),
            "{e:?}"
        );
        assert!(p.diags.refusals(false).count() > 0);
    };
    stops(&instance("").replace("virtual_router_id 51", "virtual_router_id 300"));
    stops(&instance("").replace("  virtual_router_id 51\n", ""));
    stops(&instance("").replace("  interface eth0\n", ""));
    stops(&format!(
        "{}{}",
        instance(""),
        instance("").replace("VI_1", "VI_2").replace(VIP, "")
    ));
}

#[test]
fn errors_not_measured_are_not_started_on() {
    // vrrp_down_timer_adverts 0: keepalived's daemon has not been measured on it.
    let (e, p) = errors(&format!(
        "global_defs {{\n  vrrp_down_timer_adverts 0\n}}\n{}",
        instance("")
    ));
    assert_eq!(e[0].1, KeepalivedDaemon::NotMeasured);
    assert_eq!(p.diags.refusals(false).count(), 1);
    // Warnings are run on.
    let p = parse(&instance("  priorty 100\n"));
    assert_eq!(p.diags.len(), 1);
    assert_eq!(p.diags.refusals(false).count(), 0);
    assert_eq!(p.diags.refusals(true).count(), 1);
}
