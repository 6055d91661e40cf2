//! The LVS keywords through `parse_str`: model values and exact diagnostics.

use crate::model::lvs::*;
use crate::model::Timer;
use crate::{parse_str, Options, Parsed};
use std::net::IpAddr;

fn parse(text: &str) -> Parsed {
    parse_str("t.conf", text, &Options { config_id: "x".into() })
}

fn headlines(p: &Parsed) -> Vec<String> {
    p.diags.iter().map(|d| d.headline(&p.sources)).collect()
}

/// Parses and requires no diagnostics at all.
fn clean(text: &str) -> Parsed {
    let p = parse(text);
    assert!(p.diags.is_empty(), "unexpected diagnostics: {:#?}", headlines(&p));
    p
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn json(p: &Parsed) -> serde_json::Value {
    serde_json::to_value(&p.config.lvs).unwrap()
}

/// A one-real-server virtual server around `rs_body` (inside real_server 10.0.0.2 80).
fn vs_with(vs_body: &str, rs_body: &str) -> String {
    format!("virtual_server 10.0.0.1 80 {{\n  protocol TCP\n{vs_body}\n  real_server 10.0.0.2 80 {{\n{rs_body}\n  }}\n}}\n")
}

fn only_checker(p: &Parsed) -> &Checker {
    let rs = &p.config.lvs.virtual_server[0].real_server[0];
    assert_eq!(rs.checkers.len(), 1);
    &rs.checkers[0]
}

#[test]
fn classic_lvs_dr_block() {
    let p = parse(
        "virtual_server 192.168.55.150 80 {
    delay_loop 6
    lb_algo rr
    lb_kind DR
    persistence_timeout 10
    protocol TCP
    real_server 192.168.55.141 80 {
        weight 1
        TCP_CHECK {
            connect_port 80
            connect_timeout 5
            nb_get_retry 2
            delay_before_retry 3
        }
    }
}
",
    );
    assert_eq!(
        headlines(&p),
        [
            "t.conf:3:5: warning: 'lb_algo' is a legacy spelling of 'lvs_sched'",
            "t.conf:4:5: warning: 'lb_kind' is a legacy spelling of 'lvs_method'",
            "t.conf:12:13: warning: 'nb_get_retry' is a legacy spelling of 'retry'",
        ]
    );
    let vs = &p.config.lvs.virtual_server[0];
    assert_eq!(vs.service, Service::Address { address: ip("192.168.55.150"), port: 80 });
    assert_eq!(vs.delay_loop, Timer::secs(6));
    assert_eq!(vs.lvs_sched, Scheduler::Rr);
    assert_eq!(vs.lvs_method, LvsMethod::DR);
    assert_eq!(vs.persistence_timeout, Some(10));
    assert_eq!(vs.protocol, Some(Protocol::TCP));
    assert_eq!(vs.ip_family, IpFamily::Inet);
    assert_eq!(vs.connect_timeout, Timer::secs(5));
    assert_eq!(vs.quorum, 1);
    assert_eq!(vs.real_server.len(), 1);
    let rs = &vs.real_server[0];
    assert_eq!((rs.address, rs.port, rs.weight), (ip("192.168.55.141"), 80, 1));
    assert_eq!(rs.lvs_method, LvsMethod::DR);
    assert_eq!(rs.delay_loop, Timer::secs(6));
    let Checker::Tcp(c) = &rs.checkers[0] else { panic!("not a TCP_CHECK") };
    assert_eq!(c.conn.connect_ip, ip("192.168.55.141"));
    assert_eq!(c.conn.connect_port, 80);
    assert_eq!(c.conn.connect_timeout, Timer::secs(5));
    assert_eq!(c.common.retry, 2);
    assert_eq!(c.common.delay_before_retry, Timer::secs(3));
    assert_eq!(c.common.delay_loop, Timer::secs(6));
    assert_eq!(c.common.warmup, Timer::secs(6));
    assert!(!c.common.alpha);
    let j = json(&p);
    let v = &j["virtual_server"][0];
    assert_eq!(v["address"], "192.168.55.150");
    assert_eq!(v["port"], 80);
    assert_eq!(v["lvs_sched"], "rr");
    assert_eq!(v["lvs_method"], serde_json::json!({"method": "DR"}));
    assert_eq!(v["protocol"], "TCP");
    assert_eq!(v["persistence_timeout"], 10);
    let c = &v["real_server"][0]["checkers"][0];
    assert_eq!(c["type"], "TCP_CHECK");
    assert_eq!(c["retry"], 2);
    assert_eq!(c["connect_port"], 80);
    assert_eq!(c["origin"]["line"], 9);
}

#[test]
fn every_sample_with_virtual_servers_decodes_without_error() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/keepalived-samples");
    let dir = if dir.exists() { dir } else { std::path::PathBuf::from("/work/shared/keepalived-samples") };
    let mut seen = 0;
    let mut stack = vec![dir];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        for e in entries.flatten() {
            let path = e.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            if !text.contains("virtual_server") || path.ends_with("SOURCE.txt") {
                continue;
            }
            seen += 1;
            let p = crate::parse_file(&path, &Options { config_id: "x".into() });
            let lvs_errors: Vec<String> = p
                .diags
                .iter()
                .filter(|d| d.level >= crate::Level::Error)
                .map(|d| d.headline(&p.sources))
                .collect();
            assert!(lvs_errors.is_empty(), "{}: {lvs_errors:#?}", path.display());
            for d in p.diags.iter() {
                eprintln!("{}", d.headline(&p.sources));
            }
            // The historical real_server_group sample has only a removed `real_group` block.
            if !path.ends_with("keepalived.conf.real_server_group") {
                assert!(!p.config.lvs.virtual_server.is_empty(), "{}: no virtual server", path.display());
            }
        }
    }
    if seen == 0 {
        eprintln!("keepalived samples not found; skipped");
    }
}
