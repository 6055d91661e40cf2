//! The Prometheus metrics of real daemons in the netns lab, scraped from inside their namespaces
//! and parsed with the Prometheus project's Python client (`tests/data/prom_parse.py`, Debian's
//! python3-prometheus-client, which scripts/test-all installs): the endpoint serves both formats,
//! on an address given by `--metrics-listen` (IPv4) or by global_defs' `metrics_listen` (IPv6);
//! the states, priorities and advert counters agree with the pair; a reload with the wrong
//! password makes the peer's adverts count as dropped for `auth_mismatch` on both sides; reloads
//! applied and refused are counted. Needs root; skips loudly without it or without the parser.

mod common;

use std::time::Duration;

use common::metrics::{have_parser, scrape, value, Samples};
use common::{lab_or_skip, wait_for, Conf, Lab};

const VIP: &str = "10.9.0.100";
const PORT: u16 = 9650;

const VI: [(&str, &str); 1] = [("vrrp_instance", "VI_1")];

fn state(s: &Samples, st: &str) -> Option<f64> {
    value(
        s,
        "keepalived_rs_vrrp_state",
        &[("vrrp_instance", "VI_1"), ("state", st)],
    )
}

#[test]
fn netns_metrics_parse_and_their_counters_move() {
    let test = "netns_metrics_parse_and_their_counters_move";
    if !have_parser(test) {
        return;
    }
    let Some(lab) = lab_or_skip(test, "me", 2) else {
        return;
    };
    let (a, b) = (lab.node(0).to_string(), lab.node(1).to_string());
    let url_a = format!("http://{}:{PORT}/metrics", Lab::addr4(0));
    let url_b = format!("http://[fd09::2]:{PORT}/metrics");
    let listen_a = format!("{}:{PORT}", Lab::addr4(0));
    let _da = lab.start_ours_with_socket(
        &a,
        "a",
        &Conf::v2("MASTER", 150).text(),
        &["--metrics-listen", &listen_a],
    );
    // b names its address in the configuration: the keyword, over IPv6.
    let conf_b = |pass: &'static str| {
        let mut c = Conf::v2("BACKUP", 100);
        c.pass = Some(pass);
        c.text().replacen(
            "global_defs {\n",
            &format!("global_defs {{\n    metrics_listen [fd09::2]:{PORT}\n"),
            1,
        )
    };
    let db = lab.start_ours_with_socket(&b, "b", &conf_b("s3cret"), &[]);
    assert!(
        wait_for(Duration::from_secs(10), || lab.has(&a, VIP)).is_some(),
        "{}",
        _da.log_text()
    );
    // Counters reach the snapshots within half a second; give the backup a few adverts.
    let ready = wait_for(Duration::from_secs(10), || {
        scrape(&b, &url_b, true).is_ok_and(|(_, s)| {
            value(&s, "keepalived_rs_vrrp_adverts_received_total", &VI).unwrap_or(0.0) >= 2.0
        })
    });
    assert!(
        ready.is_some(),
        "b: {:?}\n{}",
        scrape(&b, &url_b, true),
        db.log_text()
    );

    // Both formats parse, each with the parser its content type calls for.
    let (ct, text) = scrape(&a, &url_a, false).unwrap();
    assert!(ct.starts_with("text/plain; version=0.0.4"), "{ct}");
    let (ct, ma) = scrape(&a, &url_a, true).unwrap();
    assert!(ct.starts_with("application/openmetrics-text"), "{ct}");
    assert_eq!(state(&text, "MASTER"), Some(1.0));
    assert_eq!(state(&ma, "MASTER"), Some(1.0));
    assert_eq!(state(&ma, "BACKUP"), Some(0.0));
    assert_eq!(
        value(&ma, "keepalived_rs_vrrp_effective_priority", &VI),
        Some(150.0)
    );
    assert!(value(&ma, "keepalived_rs_vrrp_adverts_sent_total", &VI).unwrap() >= 2.0);
    assert!(
        value(&ma, "keepalived_rs_vrrp_transitions_total", &VI).unwrap() >= 2.0,
        "INIT -> BACKUP -> MASTER"
    );
    assert_eq!(
        value(&ma, "keepalived_rs_vrrp_became_master_total", &VI),
        Some(1.0)
    );
    let auth = [("vrrp_instance", "VI_1"), ("reason", "auth_mismatch")];
    assert_eq!(
        value(&ma, "keepalived_rs_vrrp_adverts_dropped_total", &auth),
        Some(0.0)
    );
    assert_eq!(
        value(
            &ma,
            "keepalived_rs_config_reloads_total",
            &[("result", "applied")]
        ),
        Some(0.0)
    );
    assert!(
        value(&ma, "keepalived_rs_lvs_real_servers", &[]).is_none(),
        "no virtual servers, no LVS metrics"
    );
    let (_, mb) = scrape(&b, &url_b, true).unwrap();
    assert_eq!(state(&mb, "BACKUP"), Some(1.0));
    assert_eq!(
        value(&mb, "keepalived_rs_vrrp_effective_priority", &VI),
        Some(100.0)
    );

    // b reloads with the wrong password: it no longer accepts a's adverts, takes over, and
    // each side drops the other's adverts for auth_mismatch.
    lab.write("b.conf", &conf_b("wr0ng"));
    db.signal(nix::sys::signal::Signal::SIGHUP);
    let dropped = wait_for(Duration::from_secs(15), || {
        scrape(&a, &url_a, true).is_ok_and(|(_, s)| {
            value(&s, "keepalived_rs_vrrp_adverts_dropped_total", &auth).unwrap_or(0.0) >= 2.0
        })
    });
    assert!(
        dropped.is_some(),
        "a: {:?}\n{}",
        scrape(&a, &url_a, true),
        db.log_text()
    );
    let (_, mb) = scrape(&b, &url_b, true).unwrap();
    assert!(value(&mb, "keepalived_rs_vrrp_adverts_dropped_total", &auth).unwrap() >= 1.0);
    assert_eq!(
        state(&mb, "MASTER"),
        Some(1.0),
        "b no longer hears a master it trusts"
    );
    assert_eq!(
        value(
            &mb,
            "keepalived_rs_config_reloads_total",
            &[("result", "applied")]
        ),
        Some(1.0)
    );
    assert_eq!(
        value(&mb, "keepalived_rs_config_last_reload_successful", &[]),
        Some(1.0)
    );
    let loaded = value(
        &mb,
        "keepalived_rs_config_last_reload_success_timestamp_seconds",
        &[],
    )
    .unwrap();
    let started = value(&mb, "keepalived_rs_start_time_seconds", &[]).unwrap();
    assert!(
        loaded > started,
        "the reload's time, not the start's: {loaded} {started}"
    );

    // A file with an error: refused, counted, the last reload not successful.
    lab.write("b.conf", "vrrp_instance VI_1 {\n    priority 300\n}\n");
    db.signal(nix::sys::signal::Signal::SIGHUP);
    let refused = wait_for(Duration::from_secs(10), || {
        scrape(&b, &url_b, true).is_ok_and(|(_, s)| {
            value(
                &s,
                "keepalived_rs_config_reloads_total",
                &[("result", "refused")],
            ) == Some(1.0)
        })
    });
    assert!(refused.is_some(), "{}", db.log_text());
    let (_, mb) = scrape(&b, &url_b, true).unwrap();
    assert_eq!(
        value(&mb, "keepalived_rs_config_last_reload_successful", &[]),
        Some(0.0)
    );
    assert_eq!(
        value(
            &mb,
            "keepalived_rs_config_last_reload_success_timestamp_seconds",
            &[]
        ),
        Some(loaded),
        "a refused reload loads nothing"
    );
}
