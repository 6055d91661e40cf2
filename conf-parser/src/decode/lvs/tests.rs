//! The LVS keywords through `parse_str`: model values and exact diagnostics.

use crate::model::lvs::*;
use crate::model::Timer;
use crate::{parse_str, Options, Parsed};
use std::net::IpAddr;

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

/// The warnings for a scheduler or method left to its default, which nearly every block here
/// would get: `unwritten_scheduler_and_method` tests them, the other tests leave them out.
fn unwritten_default(d: &crate::Diagnostic) -> bool {
    d.message.starts_with("virtual_server without lvs_")
}

fn headlines(p: &Parsed) -> Vec<String> {
    p.diags
        .iter()
        .filter(|d| !unwritten_default(d))
        .map(|d| d.headline(&p.sources))
        .collect()
}

/// Parses and requires no diagnostics at all (but `unwritten_default` ones).
fn clean(text: &str) -> Parsed {
    let p = parse(text);
    assert!(
        headlines(&p).is_empty(),
        "unexpected diagnostics: {:#?}",
        headlines(&p)
    );
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
            "t.conf:12:13: warning: nb_get_retry is read only in HTTP_GET and SSL_GET; here keepalived ignores it, and so does keepalived-rs: retry stays at its default",
        ]
    );
    assert_eq!(
        p.diags.iter().nth(2).unwrap().help.as_deref(),
        Some("write 'retry 2' if you meant it")
    );
    let vs = &p.config.lvs.virtual_server[0];
    assert_eq!(
        vs.service,
        Service::Address {
            address: ip("192.168.55.150"),
            port: 80
        }
    );
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
    assert_eq!(
        (rs.address, rs.port, rs.weight),
        (ip("192.168.55.141"), 80, 1)
    );
    assert_eq!(rs.lvs_method, LvsMethod::DR);
    assert_eq!(rs.delay_loop, Timer::secs(6));
    let Checker::Tcp(c) = &rs.checkers[0] else {
        panic!("not a TCP_CHECK")
    };
    assert_eq!(c.conn.connect_ip, ip("192.168.55.141"));
    assert_eq!(c.conn.connect_port, 80);
    assert_eq!(c.conn.connect_timeout, Timer::secs(5));
    // keepalived 2.2.7's own default: nb_get_retry means nothing in a TCP_CHECK.
    assert_eq!(c.common.retry, 1);
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
    assert_eq!(c["checker"], "TCP_CHECK");
    assert_eq!(c["retry"], 1);
    assert_eq!(c["connect_port"], 80);
    assert_eq!(c["origin"]["line"], 9);
}

#[test]
fn every_sample_with_virtual_servers_decodes_without_error() {
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/keepalived-samples");
    let dir = if dir.exists() {
        dir
    } else {
        std::path::PathBuf::from("/work/shared/keepalived-samples")
    };
    let mut seen = 0;
    let etc = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../etc");
    let mut stack = vec![dir, etc];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
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
            let p = crate::parse_file(
                &path,
                &Options {
                    config_id: "x".into(),
                    ..Default::default()
                },
            );
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
                assert!(
                    !p.config.lvs.virtual_server.is_empty(),
                    "{}: no virtual server",
                    path.display()
                );
            }
        }
    }
    if seen == 0 {
        eprintln!("keepalived samples not found; skipped");
    }
}

#[test]
fn ssl_block() {
    let p = clean("SSL {\n  password secret\n  ca /etc/ca.pem\n  certificate /etc/cert.pem\n  key /etc/key.pem\n}\n");
    let ssl = p.config.lvs.ssl.as_ref().unwrap();
    assert_eq!(ssl.password.as_deref(), Some("secret"));
    assert_eq!(ssl.ca.as_deref(), Some("/etc/ca.pem"));
    assert_eq!(ssl.certificate.as_deref(), Some("/etc/cert.pem"));
    assert_eq!(ssl.key.as_deref(), Some("/etc/key.pem"));
    assert_eq!(json(&p)["SSL"]["key"], "/etc/key.pem");
    assert_eq!(json(&p)["SSL"]["origin"]["line"], 1);
    // Without an SSL block the key is absent from the dump.
    assert!(json(&clean("")).get("SSL").is_none());
    let p = parse("SSL {\n  ca a\n}\nSSL {\n  cert b\n}\n");
    assert_eq!(
        headlines(&p),
        [
            "t.conf:4:1: warning: SSL is already defined at t.conf:1:1; this one replaces it",
            "t.conf:5:3: warning: unknown keyword 'cert' in SSL; it is ignored",
        ]
    );
    assert_eq!(p.config.lvs.ssl.as_ref().unwrap().ca, None);
}

#[test]
fn virtual_server_group_entries() {
    let p = clean(
        "virtual_server_group G {\n  10.0.0.1 8080\n  192.168.200.3-10 80\n  10.0.0.250-10.0.1.5 80\n  192.168.202.8/29 80\n  ae00::2-9 80\n  10.9.9.9\n  fwmark 1 inet\n  fwmark 2 inet6\n}\n",
    );
    let g = &p.config.lvs.virtual_server_group[0];
    assert_eq!(g.name, "G");
    let a: Vec<(IpAddr, IpAddr, Option<u16>)> = g
        .addresses
        .iter()
        .map(|a| (a.first, a.last, a.port))
        .collect();
    assert_eq!(
        a,
        [
            (ip("10.0.0.1"), ip("10.0.0.1"), Some(8080)),
            (ip("192.168.200.3"), ip("192.168.200.10"), Some(80)),
            (ip("10.0.0.250"), ip("10.0.1.5"), Some(80)),
            (ip("192.168.202.8"), ip("192.168.202.15"), Some(80)),
            (ip("ae00::2"), ip("ae00::9"), Some(80)),
            (ip("10.9.9.9"), ip("10.9.9.9"), None),
        ]
    );
    let f: Vec<(u32, Option<IpFamily>)> =
        g.fwmark.iter().map(|f| (f.fwmark, f.ip_family)).collect();
    assert_eq!(f, [(1, Some(IpFamily::Inet)), (2, Some(IpFamily::Inet6))]);
    assert_eq!(g.addresses[1].origin.line, 3);
    let j = json(&p);
    assert_eq!(
        j["virtual_server_group"][0]["addresses"][1]["last"],
        "192.168.200.10"
    );
    assert_eq!(
        j["virtual_server_group"][0]["fwmark"][1]["ip_family"],
        "inet6"
    );
}

#[test]
fn virtual_server_group_errors() {
    let p = parse(
        "virtual_server_group G {\n  10.0.0.5-3 80\n  10.0.0.x 80\n  10.0.0.1 70000\n  10.0.2.1/29 80\n  10.0.2.0/33 80\n  fwmark x\n  fwmark 6 foo\n  fwmark\n  10.0.0.1 80 {\n  }\n}\nvirtual_server_group G {\n  10.1.1.1 80\n}\nvirtual_server_group E {\n}\nvirtual_server_group M {\n  10.0.0.1 80\n  ae00::1 80\n  fwmark 3\n}\nvirtual_server_group {\n}\n",
    );
    assert_eq!(
        headlines(&p),
        [
            "t.conf:2:3: error: invalid virtual_server_group address '10.0.0.5-3': the range's end 10.0.0.3 is not after its start 10.0.0.5",
            "t.conf:3:3: error: invalid virtual_server_group address '10.0.0.x': expected an IPv4 or IPv6 address",
            "t.conf:4:12: error: invalid port '70000' for virtual_server_group address 10.0.0.1: expected a port number 0..65535",
            "t.conf:5:3: error: invalid virtual_server_group address '10.0.2.1/29': host bits are set; the block starts at 10.0.2.0",
            "t.conf:6:3: error: invalid virtual_server_group address '10.0.2.0/33': prefix length must be between 0 and 32",
            "t.conf:7:10: error: invalid value 'x' for fwmark: expected an integer",
            "t.conf:8:12: error: invalid value 'foo' for fwmark: expected one of inet, inet6",
            "t.conf:9:3: error: fwmark needs a value",
            "t.conf:10:15: error: 10.0.0.1 does not take a { } block; it is ignored",
            "t.conf:23:1: error: virtual_server_group needs a value",
            "t.conf:13:1: error: virtual_server_group G is already defined at t.conf:1:1",
            "t.conf:16:1: warning: virtual_server_group E has no entries; keepalived ignores it",
            "t.conf:18:1: error: virtual_server_group M has IPv4 and IPv6 addresses and a fwmark without a family; keepalived drops the group",
        ]
    );
    // The block's keyword-less line still counts: `10.0.0.1 80 { }` keeps its address.
    assert_eq!(p.config.lvs.virtual_server_group[0].addresses.len(), 1);
}

#[test]
fn virtual_server_keywords() {
    let p = clean(
        "virtual_server 10.0.0.1 53 {
  lvs_sched sh
  flag-1
  flag-2
  flag-3 no
  sh-port
  sh-fallback
  ops
  lvs_method TUN type gue port 6080 csum
  persistence_timeout
  persistence_granularity 255.255.255.0
  persistence_engine sip
  protocol udp
  ip_family inet
  virtualhost www.example.com
  quorum 2
  hysteresis 1
  quorum_up \"/bin/up arg\" nobody nogroup
  quorum_down /bin/down
  alpha
  omega
  ha_suspend
  smtp_alert off
  sorry_server 10.0.0.9 53
  sorry_server_inhibit
  sorry_server_lvs_method DR
  delay_loop 2.5
  connect_timeout 3
  retry 4
  delay_before_retry 0
  warmup 7
  inhibit_on_failure
  weight 3
  snmp_name vs1
  real_server 10.0.0.2 {
  }
}
",
    );
    let vs = &p.config.lvs.virtual_server[0];
    assert_eq!(vs.lvs_sched, Scheduler::Sh);
    assert!(vs.flag_1 && vs.flag_2 && !vs.flag_3 && vs.sh_port && vs.sh_fallback && vs.ops);
    assert!(!vs.mh_port && !vs.mh_fallback);
    assert_eq!(
        vs.lvs_method,
        LvsMethod::TUN {
            tunnel_type: TunnelType::Gue,
            port: Some(6080),
            csum: TunnelCsum::Csum
        }
    );
    assert_eq!(vs.persistence_timeout, Some(360));
    assert_eq!(
        vs.persistence_granularity,
        Some(Granularity::Netmask("255.255.255.0".parse().unwrap()))
    );
    assert_eq!(vs.persistence_engine.as_deref(), Some("sip"));
    assert_eq!(vs.protocol, Some(Protocol::UDP));
    assert_eq!(vs.ip_family, IpFamily::Inet);
    assert_eq!(vs.virtualhost.as_deref(), Some("www.example.com"));
    assert_eq!((vs.quorum, vs.hysteresis), (2, 1));
    let up = vs.quorum_up.as_ref().unwrap();
    assert_eq!(
        (
            up.command.join("|"),
            up.user.as_deref(),
            up.group.as_deref()
        ),
        ("/bin/up|arg".into(), Some("nobody"), Some("nogroup"))
    );
    assert_eq!(
        vs.quorum_down
            .as_ref()
            .map(|s| s.command.join("|"))
            .as_deref(),
        Some("/bin/down")
    );
    assert!(
        vs.alpha && vs.omega && vs.ha_suspend && vs.inhibit_on_failure && vs.sorry_server_inhibit
    );
    assert_eq!(vs.smtp_alert, Some(false));
    let sorry = vs.sorry_server.as_ref().unwrap();
    assert_eq!((sorry.address, sorry.port), (ip("10.0.0.9"), 53));
    assert_eq!(vs.sorry_server_lvs_method, Some(LvsMethod::DR));
    assert_eq!(vs.delay_loop, Timer::micros(2_500_000));
    assert_eq!(vs.connect_timeout, Timer::secs(3));
    assert_eq!(vs.retry, Some(4));
    assert_eq!(vs.delay_before_retry, Some(Timer::secs(0)));
    assert_eq!(vs.warmup, Some(Timer::secs(7)));
    assert_eq!(vs.weight, 3);
    assert_eq!(vs.snmp_name.as_deref(), Some("vs1"));
    // The real server inherits everything inheritable.
    let rs = &vs.real_server[0];
    assert_eq!(rs.port, 53);
    assert_eq!(rs.weight, 3);
    assert_eq!(rs.lvs_method, vs.lvs_method);
    assert!(rs.alpha && rs.inhibit_on_failure);
    assert_eq!(
        (rs.retry, rs.delay_before_retry, rs.warmup),
        (Some(4), Some(Timer::secs(0)), Some(Timer::secs(7)))
    );
    assert_eq!(
        (rs.connect_timeout, rs.delay_loop),
        (Timer::secs(3), Timer::micros(2_500_000))
    );
    assert_eq!(rs.virtualhost.as_deref(), Some("www.example.com"));
    let j = json(&p);
    let v = &j["virtual_server"][0];
    assert_eq!(v["flag-1"], true);
    assert_eq!(v["sh-port"], true);
    assert_eq!(
        v["lvs_method"],
        serde_json::json!({"method": "TUN", "type": "gue", "port": 6080, "csum": "csum"})
    );
    assert_eq!(v["persistence_granularity"], "255.255.255.0");
    assert_eq!(v["protocol"], "UDP");
    assert_eq!(v["ip_family"], "inet");
    assert_eq!(v["delay_loop"], 2.5);
    assert_eq!(v["sorry_server"]["address"], "10.0.0.9");
    assert_eq!(
        v["sorry_server_lvs_method"],
        serde_json::json!({"method": "DR"})
    );
    assert_eq!(
        v["quorum_up"],
        serde_json::json!({"origin": {"file": "t.conf", "line": 18, "col": 3}, "command": ["/bin/up", "arg"], "user": "nobody", "group": "nogroup"})
    );
}

#[test]
fn virtual_server_defaults() {
    let p = clean(
        "virtual_server 10.0.0.1 80 {\n  protocol TCP\n  real_server 10.0.0.2 80 {\n  }\n}\n",
    );
    let vs = &p.config.lvs.virtual_server[0];
    assert_eq!(vs.lvs_sched, Scheduler::Wlc);
    assert_eq!(vs.lvs_method, LvsMethod::NAT);
    assert_eq!(vs.delay_loop, Timer::secs(60));
    assert_eq!(vs.connect_timeout, Timer::secs(5));
    assert_eq!((vs.quorum, vs.hysteresis, vs.weight), (1, 0, 1));
    assert_eq!(
        (vs.persistence_timeout, vs.retry, vs.smtp_alert),
        (None, None, Some(false))
    );
    assert_eq!(vs.real_server[0].smtp_alert, Some(true));
    assert!(!vs.alpha && !vs.omega && !vs.ha_suspend && !vs.inhibit_on_failure && !vs.ops);
    let rs = &vs.real_server[0];
    assert_eq!((rs.weight, rs.port, rs.lvs_method), (1, 80, LvsMethod::NAT));
    let j = json(&p);
    assert_eq!(j["virtual_server"][0]["lvs_sched"], "wlc");
    assert_eq!(
        j["virtual_server"][0]["lvs_method"],
        serde_json::json!({"method": "NAT"})
    );
    assert!(j["virtual_server"][0].get("persistence_timeout").is_none());
}

#[test]
fn virtual_server_forms() {
    let p = clean(
        "virtual_server fwmark 7 {\n  real_server 10.0.0.2 {\n  }\n}\nvirtual_server_group G {\n  10.0.0.1 80\n}\nvirtual_server group G {\n  protocol TCP\n  real_server 10.0.0.3 {\n  }\n}\nvirtual_server ae00::1 443 {\n  protocol TCP\n  real_server ae00::10 443 {\n  }\n}\n",
    );
    let vs = &p.config.lvs.virtual_server;
    assert_eq!(vs[0].service, Service::Fwmark { fwmark: 7 });
    assert_eq!(vs[0].protocol, None);
    assert_eq!(vs[0].real_server[0].port, 0);
    assert_eq!(vs[1].service, Service::Group { group: "G".into() });
    assert_eq!(vs[1].real_server[0].port, 0);
    assert_eq!(vs[2].ip_family, IpFamily::Inet6);
    let j = json(&p);
    assert_eq!(j["virtual_server"][0]["fwmark"], 7);
    assert!(j["virtual_server"][0].get("protocol").is_none());
    assert_eq!(j["virtual_server"][1]["group"], "G");
    assert_eq!(j["virtual_server"][2]["address"], "ae00::1");
}

#[test]
fn virtual_server_header_errors() {
    let p = parse(
        "virtual_server 10.0.0.x 80 {\n}\nvirtual_server fwmark x {\n}\nvirtual_server 10.0.0.1 99999 {\n}\nvirtual_server {\n}\nvirtual_server group {\n}\nvirtual_server 10.0.0.1 80 extra {\n  protocol TCP\n  real_server 10.0.0.2 80 {\n  }\n}\n",
    );
    assert_eq!(
        headlines(&p),
        [
            "t.conf:1:16: error: invalid value '10.0.0.x' for virtual_server: expected an IPv4 or IPv6 address",
            "t.conf:3:23: error: invalid value 'x' for virtual_server: expected an integer",
            "t.conf:5:25: error: invalid value '99999' for virtual_server: expected a port number 0..65535",
            "t.conf:7:1: error: virtual_server needs an address and port, 'fwmark N' or 'group NAME'",
            "t.conf:9:1: error: virtual_server needs 2 values",
            "t.conf:11:28: warning: extra argument 'extra' after virtual_server is ignored",
        ]
    );
    assert_eq!(p.config.lvs.virtual_server.len(), 1);
}

#[test]
fn virtual_server_value_errors() {
    let p = parse(&vs_with(
        "  lvs_sched rrr\n  lvs_method FOO\n  protocol ICMP\n  persistence_timeout 0\n  persistence_timeout 2678401\n  persistence_granularity 33x\n  persistence_engine ftp\n  ip_family inet7\n  quorum 0\n  hysteresis -1\n  delay_loop 0\n  connect_timeout 5000\n  retry 0\n  delay_before_retry -1\n  warmup x\n  weight 0\n  smtp_alert maybe\n  sorry_server 10.0.0.x\n  quorum_up\n  hashed",
        "",
    ));
    assert_eq!(
        headlines(&p),
        [
            "t.conf:3:13: error: invalid value 'rrr' for lvs_sched: expected one of rr, wrr, lc, wlc, lblc, sh, mh, dh, fo, ovf, lblcr, sed, nq, twos (did you mean 'rr'?)",
            "t.conf:4:14: error: invalid value 'FOO' for lvs_method: expected one of NAT, DR, TUN",
            "t.conf:5:12: error: invalid value 'ICMP' for protocol: expected one of TCP, UDP, SCTP",
            "t.conf:6:23: error: invalid value '0' for persistence_timeout: must be between 1 and 2678400",
            "t.conf:7:23: error: invalid value '2678401' for persistence_timeout: must be between 1 and 2678400",
            "t.conf:8:27: error: invalid value '33x' for persistence_granularity: expected an IPv4 netmask or an IPv6 prefix length 1..128",
            "t.conf:9:22: warning: persistence_engine 'ftp' is not one the kernel has (only 'sip')",
            "t.conf:10:13: error: invalid value 'inet7' for ip_family: expected one of inet, inet6 (did you mean 'inet'?)",
            "t.conf:11:10: error: invalid value '0' for quorum: must be between 1 and 4294967295",
            "t.conf:12:14: error: invalid value '-1' for hysteresis: must be between 0 and 4294967295",
            "t.conf:13:14: error: invalid value '0' for delay_loop: must be between 0.000001 and 4294967295 seconds",
            "t.conf:14:19: error: invalid value '5000' for connect_timeout: must be between 0.000001 and 4294.967295 seconds",
            "t.conf:15:9: error: invalid value '0' for retry: must be between 1 and 4294967295",
            "t.conf:16:22: error: invalid value '-1' for delay_before_retry: expected seconds, such as 3 or 0.5",
            "t.conf:17:10: error: invalid value 'x' for warmup: expected seconds, such as 3 or 0.5",
            "t.conf:18:10: error: invalid value '0' for weight: must be between 1 and 2147483647",
            "t.conf:19:14: error: invalid value 'maybe' for smtp_alert: expected one of on, off, true, false, yes, no",
            "t.conf:20:16: error: invalid value '10.0.0.x' for sorry_server: expected an IPv4 or IPv6 address",
            "t.conf:21:3: error: quorum_up needs a value",
            "t.conf:22:3: warning: 'hashed' is no longer supported by keepalived and is ignored",
        ]
    );
    let vs = &p.config.lvs.virtual_server[0];
    assert_eq!(
        (vs.lvs_sched, vs.lvs_method, vs.protocol),
        (Scheduler::Wlc, LvsMethod::NAT, Some(Protocol::TCP))
    );
    assert_eq!(
        (vs.quorum, vs.weight, vs.delay_loop),
        (1, 1, Timer::secs(60))
    );
}

#[test]
fn tunnel_options() {
    let m = |opts: &str| {
        let p = parse(&vs_with(&format!("  lvs_method {opts}"), ""));
        (p.config.lvs.virtual_server[0].lvs_method, headlines(&p))
    };
    let tun = |t, port, csum| LvsMethod::TUN {
        tunnel_type: t,
        port,
        csum,
    };
    assert_eq!(
        m("TUN"),
        (tun(TunnelType::Ipip, None, TunnelCsum::Nocsum), vec![])
    );
    assert_eq!(
        m("TUN type gre remcsum").1,
        ["t.conf:3:3: error: lvs_method: gre tunnels do not support remcsum"]
    );
    assert_eq!(
        m("TUN type gre csum").0,
        tun(TunnelType::Gre, None, TunnelCsum::Csum)
    );
    assert_eq!(
        m("TUN type gue").1,
        ["t.conf:3:3: error: lvs_method: a gue tunnel needs a port ('port N')"]
    );
    assert_eq!(
        m("TUN port 5"),
        (
            LvsMethod::NAT,
            vec!["t.conf:3:3: error: lvs_method: a port is only for gue tunnels".to_string()]
        )
    );
    assert_eq!(
        m("TUN csum").1,
        ["t.conf:3:3: error: lvs_method: ipip tunnels take no checksum option"]
    );
    assert_eq!(
        m("TUN type").1,
        ["t.conf:3:18: error: lvs_method TUN: 'type' needs a value"]
    );
    assert_eq!(m("TUN type vxlan").1, ["t.conf:3:23: error: invalid value 'vxlan' for lvs_method: expected one of ipip, gue, gre"]);
    assert_eq!(
        m("TUN type gue port 0").1,
        ["t.conf:3:32: error: invalid value '0' for lvs_method: must be between 1 and 65535"]
    );
    assert_eq!(m("TUN foo").1, ["t.conf:3:18: error: invalid value 'foo' for lvs_method: expected type, port, nocsum, csum or remcsum"]);
    assert_eq!(
        m("DR csum").1,
        ["t.conf:3:17: warning: extra argument 'csum' after lvs_method is ignored"]
    );
}

#[test]
fn real_server_keywords() {
    let p = parse(&vs_with(
        "  lvs_method DR\n  weight 5\n  inhibit_on_failure\n  alpha",
        "    weight 0\n    lvs_method NAT\n    uthreshold 100\n    lthreshold 10\n    inhibit_on_failure off\n    notify_up /bin/up root\n    notify_down \"/bin/down now\"\n    alpha no\n    retry 3\n    delay_before_retry 2\n    warmup 0\n    connect_timeout 0.5\n    delay_loop 9\n    smtp_alert\n    virtualhost rs.example.com\n    snmp_name rs1",
    ));
    // Weight 0 is the only weight, so no quorum can be reached.
    assert_eq!(
        headlines(&p),
        ["t.conf:1:1: warning: virtual_server 10.0.0.1:80: quorum 1 is more than the total weight 0 of its real servers; keepalived uses 0"]
    );
    assert_eq!(p.config.lvs.virtual_server[0].quorum, 0);
    let rs = &p.config.lvs.virtual_server[0].real_server[0];
    assert_eq!((rs.address, rs.port), (ip("10.0.0.2"), 80));
    assert_eq!(rs.weight, 0);
    assert_eq!(rs.lvs_method, LvsMethod::NAT);
    assert_eq!((rs.uthreshold, rs.lthreshold), (Some(100), Some(10)));
    assert!(!rs.inhibit_on_failure && !rs.alpha);
    let up = rs.notify_up.as_ref().unwrap();
    assert_eq!(
        (
            up.command.join("|"),
            up.user.as_deref(),
            up.group.as_deref()
        ),
        ("/bin/up".into(), Some("root"), None)
    );
    assert_eq!(
        rs.notify_down
            .as_ref()
            .map(|s| s.command.join("|"))
            .as_deref(),
        Some("/bin/down|now")
    );
    assert_eq!(
        (rs.retry, rs.delay_before_retry, rs.warmup),
        (Some(3), Some(Timer::secs(2)), Some(Timer::secs(0)))
    );
    assert_eq!(
        (rs.connect_timeout, rs.delay_loop),
        (Timer::micros(500_000), Timer::secs(9))
    );
    assert_eq!(rs.smtp_alert, Some(true));
    assert_eq!(rs.virtualhost.as_deref(), Some("rs.example.com"));
    assert_eq!(rs.snmp_name.as_deref(), Some("rs1"));
    let j = json(&p);
    assert_eq!(
        j["virtual_server"][0]["real_server"][0]["origin"]["line"],
        7
    );
    assert_eq!(
        j["virtual_server"][0]["real_server"][0]["connect_timeout"],
        0.5
    );
}

#[test]
fn real_server_errors() {
    let p = parse(&vs_with(
        "",
        "    weight -1\n    weight 2147483648\n    uthreshold x\n    lthreshold -1\n    retry 0\n    notify_up /a\n    notify_up /b\n    alpha x\n    connect_timeout 0\n    virtualhost\n    lvs_method XX\n    FOO_CHECK {\n    }",
    ));
    assert_eq!(
        headlines(&p),
        [
            "t.conf:5:12: error: invalid value '-1' for weight: must be between 0 and 2147483647",
            "t.conf:6:12: error: invalid value '2147483648' for weight: must be between 0 and 2147483647",
            "t.conf:7:16: error: invalid value 'x' for uthreshold: expected an integer",
            "t.conf:8:16: error: invalid value '-1' for lthreshold: must be between 0 and 4294967295",
            "t.conf:9:11: error: invalid value '0' for retry: must be between 1 and 4294967295",
            "t.conf:11:5: warning: notify_up is already set; this one is ignored",
            "t.conf:12:11: error: invalid value 'x' for alpha: expected one of on, off, true, false, yes, no",
            "t.conf:13:21: error: invalid value '0' for connect_timeout: must be between 0.000001 and 4294.967295 seconds",
            "t.conf:14:5: error: virtualhost needs a value",
            "t.conf:15:16: error: invalid value 'XX' for lvs_method: expected one of NAT, DR, TUN (did you mean 'DR'?)",
            "t.conf:16:5: warning: unknown keyword 'FOO_CHECK' in real_server; it is ignored",
        ]
    );
    let rs = &p.config.lvs.virtual_server[0].real_server[0];
    assert_eq!(rs.weight, 1);
    assert_eq!(
        rs.notify_up
            .as_ref()
            .map(|s| s.command.join("|"))
            .as_deref(),
        Some("/a")
    );
    let p = parse("virtual_server 10.0.0.1 80 {\n  protocol TCP\n  real_server 10.0.0.x 80 {\n  }\n  real_server 10.0.0.3 x {\n  }\n  real_server {\n  }\n  real_server 10.0.0.4\n}\n");
    assert_eq!(
        headlines(&p),
        [
            "t.conf:3:15: error: invalid value '10.0.0.x' for real_server: expected an IPv4 or IPv6 address",
            "t.conf:5:24: error: invalid value 'x' for real_server: expected a port number 0..65535",
            "t.conf:7:3: error: real_server needs a value",
            "t.conf:9:3: error: real_server needs a { } block",
        ]
    );
    let rs = &p.config.lvs.virtual_server[0].real_server;
    assert_eq!((rs.len(), rs[0].address), (1, ip("10.0.0.4")));
}

#[test]
fn checker_values_resolve_checker_then_real_server_then_virtual_server() {
    let p = clean(
        "virtual_server 10.0.0.1 80 {
  protocol TCP
  delay_loop 20
  connect_timeout 7
  retry 5
  real_server 10.0.0.2 8080 {
    delay_before_retry 4
    TCP_CHECK {
    }
    TCP_CHECK {
      connect_ip 10.0.0.20
      connect_port 81
      bindto 10.0.0.1
      bind_port 4000
      bind_if eth0
      connect_timeout 1
      fwmark 9
      retry 0
      delay_before_retry 0.5
      warmup 2
      delay_loop 3
      alpha
      log_all_failures
    }
    DNS_CHECK {
      delay_loop 8
    }
  }
  real_server 10.0.0.3 8080 {
    DNS_CHECK {
      delay_loop 8
    }
    HTTP_GET {
      url {
        path /
      }
    }
    MISC_CHECK {
      misc_path /bin/true
    }
  }
}
virtual_server 10.0.0.1 81 {
  protocol TCP
  real_server 10.0.0.2 81 {
    DNS_CHECK {
    }
    MISC_CHECK {
      misc_path /bin/true
    }
    PING_CHECK {
    }
  }
}
",
    );
    let vs = &p.config.lvs.virtual_server;
    let common = |c: &Checker| -> (u32, Timer, Timer, Timer, bool) {
        let c = match c {
            Checker::Tcp(c) | Checker::Ping(c) => &c.common,
            Checker::Dns(c) => &c.common,
            Checker::Http(c) => &c.common,
            Checker::Misc(c) => &c.common,
            _ => panic!("unexpected checker"),
        };
        (
            c.retry,
            c.delay_before_retry,
            c.warmup,
            c.delay_loop,
            c.alpha,
        )
    };
    let s = Timer::secs;
    let rs = &vs[0].real_server[0];
    // All inherited: retry from the virtual server, delay_before_retry from the real server,
    // warmup = delay_loop.
    assert_eq!(common(&rs.checkers[0]), (5, s(4), s(20), s(20), false));
    let Checker::Tcp(t) = &rs.checkers[0] else {
        panic!()
    };
    assert_eq!(
        t.conn,
        Connection {
            connect_ip: ip("10.0.0.2"),
            connect_port: 8080,
            bindto: None,
            bind_port: None,
            bind_if: None,
            connect_timeout: s(7),
            fwmark: None
        }
    );
    assert_eq!(t.common.log_all_failures, Some(false));
    // All written in the checker.
    assert_eq!(
        common(&rs.checkers[1]),
        (0, Timer::micros(500_000), s(2), s(3), true)
    );
    let Checker::Tcp(t) = &rs.checkers[1] else {
        panic!()
    };
    assert_eq!(
        t.conn,
        Connection {
            connect_ip: ip("10.0.0.20"),
            connect_port: 81,
            bindto: Some(ip("10.0.0.1")),
            bind_port: Some(4000),
            bind_if: Some("eth0".into()),
            connect_timeout: s(1),
            fwmark: Some(9)
        }
    );
    assert_eq!(t.common.log_all_failures, Some(true));
    assert_eq!(common(&rs.checkers[2]), (5, s(4), s(8), s(8), false));
    // Checker-type defaults when nothing is written above the checker: DNS retries 3 times
    // after its delay_loop, HTTP waits 3 s, MISC does not retry.
    let rs = &vs[0].real_server[1];
    assert_eq!(common(&rs.checkers[0]), (5, s(8), s(8), s(8), false));
    assert_eq!(common(&rs.checkers[1]), (5, s(3), s(20), s(20), false));
    let rs = &vs[1].real_server[0];
    assert_eq!(common(&rs.checkers[0]), (3, s(60), s(60), s(60), false));
    assert_eq!(common(&rs.checkers[1]), (0, s(1), s(60), s(60), false));
    assert_eq!(common(&rs.checkers[2]), (1, s(1), s(60), s(60), false));
    let j = json(&p);
    let c = &j["virtual_server"][0]["real_server"][0]["checkers"][1];
    assert_eq!(c["checker"], "TCP_CHECK");
    assert_eq!(c["bindto"], "10.0.0.1");
    assert_eq!(c["delay_before_retry"], 0.5);
    assert_eq!(
        j["virtual_server"][1]["real_server"][0]["checkers"][2]["checker"],
        "PING_CHECK"
    );
}

#[test]
fn checker_common_errors() {
    let p = parse(&vs_with(
        "",
        "    TCP_CHECK {\n      connect_ip x\n      connect_port 0\n      bindto y\n      bind_port 70000\n      bind_if 1234567890123456\n      connect_timeout 0\n      fwmark -1\n      retry -1\n      delay_before_retry -1\n      warmup -1\n      delay_loop 0\n      alpha x\n      log_all_failures x\n      misc_path /x\n    }",
    ));
    assert_eq!(
        headlines(&p),
        [
            "t.conf:6:18: error: invalid value 'x' for connect_ip: expected an IPv4 or IPv6 address",
            "t.conf:7:20: error: invalid value '0' for connect_port: must be between 1 and 65535",
            "t.conf:8:14: error: invalid value 'y' for bindto: expected an IPv4 or IPv6 address",
            "t.conf:9:17: error: invalid value '70000' for bind_port: must be between 1 and 65535",
            "t.conf:10:15: error: invalid value '1234567890123456' for bind_if: interface names are at most 15 characters",
            "t.conf:11:23: error: invalid value '0' for connect_timeout: must be between 0.000001 and 4294.967295 seconds",
            "t.conf:12:14: error: invalid value '-1' for fwmark: must be between 0 and 4294967295",
            "t.conf:13:13: error: invalid value '-1' for retry: must be between 0 and 4294967295",
            "t.conf:14:26: error: invalid value '-1' for delay_before_retry: expected seconds, such as 3 or 0.5",
            "t.conf:15:14: error: invalid value '-1' for warmup: expected seconds, such as 3 or 0.5",
            "t.conf:16:18: error: invalid value '0' for delay_loop: must be between 0.000001 and 4294967295 seconds",
            "t.conf:17:13: error: invalid value 'x' for alpha: expected one of on, off, true, false, yes, no",
            "t.conf:18:24: error: invalid value 'x' for log_all_failures: expected one of on, off, true, false, yes, no",
            "t.conf:19:7: warning: unknown keyword 'misc_path' in TCP_CHECK; it is ignored",
        ]
    );
    // Bad values leave the inherited ones.
    let Checker::Tcp(t) = only_checker(&p) else {
        panic!()
    };
    assert_eq!((t.conn.connect_port, t.common.retry), (80, 1));
}

#[test]
fn checkers_that_keepalived_drops() {
    let p = parse(
        "virtual_server ae00::1 80 {
  protocol TCP
  real_server fe80::2 80 {
    TCP_CHECK {
    }
    TCP_CHECK {
      bind_if eth0
    }
    TCP_CHECK {
      connect_ip ae00::3
      bindto 10.0.0.1
    }
    HTTP_GET {
      url {
        digest 9b3a0c85a887a256d6939da88aabd8cd
      }
    }
    MISC_CHECK {
    }
    FILE_CHECK {
    }
    BFD_CHECK {
    }
  }
}
",
    );
    assert_eq!(
        headlines(&p),
        [
            "t.conf:4:5: error: TCP_CHECK: link-local connect_ip fe80::2 needs a bind_if; the checker is ignored",
            "t.conf:9:5: error: TCP_CHECK: bindto 10.0.0.1 and connect_ip ae00::3 are of different address families; the checker is ignored",
            "t.conf:14:7: error: url has no path; keepalived ignores this url",
            "t.conf:13:5: error: HTTP_GET has no url; keepalived ignores this checker",
            "t.conf:18:5: error: MISC_CHECK has no misc_path; keepalived ignores this checker",
            "t.conf:20:5: error: FILE_CHECK has no track_file; keepalived ignores this checker",
            "t.conf:22:5: error: BFD_CHECK has no name; keepalived ignores this checker",
        ]
    );
    let rs = &p.config.lvs.virtual_server[0].real_server[0];
    assert_eq!(rs.checkers.len(), 1);
    let Checker::Tcp(t) = &rs.checkers[0] else {
        panic!()
    };
    assert_eq!(t.conn.bind_if.as_deref(), Some("eth0"));
}

#[test]
fn http_and_ssl_checkers() {
    let p = clean(&vs_with(
        "  virtualhost vs.example.com",
        "    HTTP_GET {
      http_protocol 1.1
      fast_recovery
      url {
        path /health
        digest 9B3A0C85A887A256D6939DA88AABD8CD
        status_code 200-299 400-499 503
        virtualhost url.example.com
        regex \"ok|fine\"
        regex_no_match
        regex_options caseless multiline
        regex_stack 1024 65536
        regex_min_offset 2
        regex_max_offset 100
      }
      url {
        path /
      }
    }
    SSL_GET {
      http_protocol 1.0C
      virtualhost chk.example.com
      enable_sni
      sni_name sni.example.com
      tls_compliant
      url {
        path /
        tls_compliant
      }
    }",
    ));
    let rs = &p.config.lvs.virtual_server[0].real_server[0];
    let Checker::Http(h) = &rs.checkers[0] else {
        panic!()
    };
    assert_eq!(h.http_protocol, HttpProtocol::Http11);
    assert!(h.fast_recovery && !h.enable_sni && !h.tls_compliant);
    assert_eq!(h.virtualhost.as_deref(), Some("vs.example.com"));
    let u = &h.url[0];
    assert_eq!(u.path, "/health");
    assert_eq!(
        u.digest.as_deref(),
        Some("9b3a0c85a887a256d6939da88aabd8cd")
    );
    assert_eq!(
        u.status_code,
        [
            StatusRange {
                first: 200,
                last: 299
            },
            StatusRange {
                first: 400,
                last: 499
            },
            StatusRange {
                first: 503,
                last: 503
            }
        ]
    );
    assert_eq!(u.virtualhost.as_deref(), Some("url.example.com"));
    assert_eq!(u.regex.as_deref(), Some("ok|fine"));
    assert!(u.regex_no_match);
    assert_eq!(u.regex_options, ["caseless", "multiline"]);
    assert_eq!(
        u.regex_stack,
        Some(RegexStack {
            start: 1024,
            max: 65536
        })
    );
    assert_eq!(
        (u.regex_min_offset, u.regex_max_offset),
        (Some(2), Some(100))
    );
    // Defaults: status 200-299, the checker's virtualhost.
    assert_eq!(
        h.url[1].status_code,
        [StatusRange {
            first: 200,
            last: 299
        }]
    );
    assert_eq!(h.url[1].virtualhost.as_deref(), Some("vs.example.com"));
    let Checker::Ssl(s) = &rs.checkers[1] else {
        panic!()
    };
    assert_eq!(s.http_protocol, HttpProtocol::Http10C);
    assert!(s.enable_sni && s.tls_compliant && s.url[0].tls_compliant);
    assert_eq!(s.sni_name.as_deref(), Some("sni.example.com"));
    assert_eq!(s.url[0].virtualhost.as_deref(), Some("chk.example.com"));
    let j = json(&p);
    let c = &j["virtual_server"][0]["real_server"][0]["checkers"];
    assert_eq!(c[0]["checker"], "HTTP_GET");
    assert_eq!(c[0]["http_protocol"], "1.1");
    assert_eq!(
        c[0]["url"][0]["status_code"],
        serde_json::json!(["200-299", "400-499", 503])
    );
    assert_eq!(c[1]["checker"], "SSL_GET");
    assert_eq!(c[1]["http_protocol"], "1.0C");
}

#[test]
fn http_checker_errors() {
    let p = parse(&vs_with(
        "",
        "    HTTP_GET {
      http_protocol 2.0
      fast_recovery x
      tls_compliant
      url {
        path /
        digest xyz
        status_code 99 200-199 600 abc 200-
        regex_options foo
        regex_stack 10
        regex_stack 100 10
        regex_min_offset -1
        tls_compliant
      }
      url {
        path /a
        regex x
        regex_min_offset 10
        regex_max_offset 5
      }
    }",
    ));
    assert_eq!(
        headlines(&p),
        [
            "t.conf:6:21: error: invalid value '2.0' for http_protocol: expected one of 1.0, 1.0C, 1.0c, 1.1 (did you mean '1.0'?)",
            "t.conf:7:21: error: invalid value 'x' for fast_recovery: expected one of on, off, true, false, yes, no",
            "t.conf:8:7: warning: unknown keyword 'tls_compliant' in HTTP_GET; it is ignored",
            "t.conf:11:16: error: invalid value 'xyz' for digest: expected an MD5 digest: 32 hex digits (genhash prints it)",
            "t.conf:12:21: error: invalid value '99' for status_code: expected a code 100..599 or a range such as 200-299",
            "t.conf:12:24: error: invalid value '200-199' for status_code: expected a code 100..599 or a range such as 200-299",
            "t.conf:12:32: error: invalid value '600' for status_code: expected a code 100..599 or a range such as 200-299",
            "t.conf:12:36: error: invalid value 'abc' for status_code: expected a code 100..599 or a range such as 200-299",
            "t.conf:12:40: error: invalid value '200-' for status_code: expected a code 100..599 or a range such as 200-299",
            "t.conf:13:23: error: invalid value 'foo' for regex_options: expected one of allow_empty_class, alt_bsux, auto_callout, caseless, dollar_endonly, dotall, dupnames, extended, firstline, match_unset_backref, multiline, never_ucp, never_utf, no_auto_capture, no_auto_possess, no_dotstar_anchor, no_start_optimize, ucp, ungreedy, utf, never_backslash_c, alt_circumflex, alt_verbnames, use_offset_limit",
            "t.conf:14:9: error: regex_stack needs 2 values",
            "t.conf:15:9: error: regex_stack start 100 is more than its max 10",
            "t.conf:16:26: error: invalid value '-1' for regex_min_offset: must be between 0 and 9223372036854775807",
            "t.conf:17:9: warning: unknown keyword 'tls_compliant' in url; it is ignored",
            "t.conf:19:7: warning: regex_min_offset 10 is more than regex_max_offset 5; both are ignored",
        ]
    );
    let Checker::Http(h) = only_checker(&p) else {
        panic!()
    };
    assert_eq!(
        h.url[0].status_code,
        [StatusRange {
            first: 200,
            last: 299
        }]
    );
    assert_eq!(h.url[0].digest, None);
    assert_eq!(
        (h.url[1].regex_min_offset, h.url[1].regex_max_offset),
        (None, None)
    );
}

#[test]
fn smtp_checker() {
    let p = parse(&vs_with(
        "",
        "    SMTP_CHECK {
      helo_name foo.bar.com
      connect_timeout 10
    }
    SMTP_CHECK {
      retry 2
      host {
        connect_ip 172.16.1.11
      }
      host {
        connect_ip 192.168.155.10
        connect_port 587
        bindto 192.168.155.2
        delay_loop 9
      }
    }",
    ));
    assert_eq!(
        headlines(&p),
        [
            "t.conf:11:7: warning: SMTP_CHECK host blocks are deprecated",
            "t.conf:14:7: warning: SMTP_CHECK host blocks are deprecated",
            "t.conf:18:9: warning: delay_loop in a host block applies to the whole SMTP_CHECK",
        ]
    );
    let rs = &p.config.lvs.virtual_server[0].real_server[0];
    let Checker::Smtp(a) = &rs.checkers[0] else {
        panic!()
    };
    assert_eq!(a.helo_name, "foo.bar.com");
    assert_eq!(
        (
            a.conn.connect_ip,
            a.conn.connect_port,
            a.conn.connect_timeout
        ),
        (ip("10.0.0.2"), 80, Timer::secs(10))
    );
    assert!(a.host.is_empty());
    // No connection option of its own: the first host stands in for the checker's target.
    let Checker::Smtp(b) = &rs.checkers[1] else {
        panic!()
    };
    assert_eq!(b.helo_name, SMTP_DEFAULT_HELO);
    assert_eq!(
        (b.conn.connect_ip, b.conn.connect_port),
        (ip("172.16.1.11"), 80)
    );
    assert_eq!(b.host.len(), 1);
    let h = &b.host[0].conn;
    assert_eq!(
        (h.connect_ip, h.connect_port, h.bindto),
        (ip("192.168.155.10"), 587, Some(ip("192.168.155.2")))
    );
    assert_eq!((b.common.retry, b.common.delay_loop), (2, Timer::secs(9)));
    let j = json(&p);
    assert_eq!(
        j["virtual_server"][0]["real_server"][0]["checkers"][1]["host"][0]["connect_port"],
        587
    );
}

#[test]
fn dns_misc_udp_ping_file_bfd_checkers() {
    // The blocks FILE_CHECK and BFD_CHECK follow; they are declared after use, which is allowed.
    let p = clean(&format!("{}track_file tf1 {{\n  file /tmp/tf1\n}}\ntrack_file tf2 {{\n  file /tmp/tf2\n}}\nbfd_instance bfd1 {{\n  neighbor_ip 10.0.0.9\n}}\n", vs_with(
        "",
        "    DNS_CHECK {
      type aaaa
      name example.com
    }
    DNS_CHECK {
    }
    MISC_CHECK {
      misc_path \"/bin/check arg1\"
      misc_timeout 5
      misc_dynamic
      user nobody nogroup
    }
    MISC_CHECK {
      misc_path /bin/check arg2
    }
    UDP_CHECK {
      payload Ab12f 3 456
      require_reply 12X4 5
      min_reply_length 2
      max_reply_length 100
    }
    UDP_CHECK {
      require_reply
    }
    UDP_CHECK {
    }
    PING_CHECK {
      retry 4
    }
    FILE_CHECK {
      track_file tf1
      weight -5 reverse
      dynamic
    }
    FILE_CHECK {
      track_file tf2
    }
    BFD_CHECK {
      name bfd1
      alpha
    }",
    )));
    let c = &p.config.lvs.virtual_server[0].real_server[0].checkers;
    let Checker::Dns(d) = &c[0] else { panic!() };
    assert_eq!(
        (d.query_type, d.name.as_str()),
        (DnsType::AAAA, "example.com")
    );
    let Checker::Dns(d) = &c[1] else { panic!() };
    assert_eq!(
        (d.query_type, d.name.as_str(), d.common.retry),
        (DnsType::SOA, ".", 3)
    );
    let Checker::Misc(m) = &c[2] else { panic!() };
    assert_eq!(m.misc_path, "/bin/check arg1");
    assert_eq!(m.misc_timeout, Timer::secs(5));
    assert!(m.misc_dynamic);
    assert_eq!(
        m.user,
        Some(ScriptUser {
            user: "nobody".into(),
            group: Some("nogroup".into())
        })
    );
    let Checker::Misc(m) = &c[3] else { panic!() };
    assert_eq!(
        (m.misc_path.as_str(), m.misc_timeout, m.misc_dynamic),
        ("/bin/check arg2", Timer::secs(60), false)
    );
    let Checker::Udp(u) = &c[4] else { panic!() };
    assert_eq!(u.payload.as_deref(), Some("ab120f034506"));
    assert_eq!(u.require_reply.as_deref(), Some("12x405"));
    assert_eq!((u.min_reply_length, u.max_reply_length), (2, 100));
    assert_eq!(
        (u.conn.connect_ip, u.conn.connect_port),
        (ip("10.0.0.2"), 80)
    );
    let Checker::Udp(u) = &c[5] else { panic!() };
    assert_eq!(
        (u.payload.as_deref(), u.require_reply.as_deref()),
        (None, Some(""))
    );
    let Checker::Udp(u) = &c[6] else { panic!() };
    assert_eq!(
        (
            u.require_reply.as_deref(),
            u.min_reply_length,
            u.max_reply_length
        ),
        (None, 0, 255)
    );
    let Checker::Ping(g) = &c[7] else { panic!() };
    assert_eq!(g.common.retry, 4);
    let Checker::File(f) = &c[8] else { panic!() };
    assert_eq!(f.track_file, "tf1");
    assert_eq!(
        f.weight,
        Some(FileCheckWeight {
            weight: -5,
            reverse: true
        })
    );
    assert!(f.dynamic);
    let Checker::File(f) = &c[9] else { panic!() };
    assert_eq!((f.weight, f.dynamic), (None, false));
    let Checker::Bfd(b) = &c[10] else { panic!() };
    assert_eq!((b.name.as_str(), b.alpha), ("bfd1", true));
    let j = json(&p);
    let c = &j["virtual_server"][0]["real_server"][0]["checkers"];
    let types: Vec<&str> = c
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["checker"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        [
            "DNS_CHECK",
            "DNS_CHECK",
            "MISC_CHECK",
            "MISC_CHECK",
            "UDP_CHECK",
            "UDP_CHECK",
            "UDP_CHECK",
            "PING_CHECK",
            "FILE_CHECK",
            "FILE_CHECK",
            "BFD_CHECK"
        ]
    );
    assert_eq!(c[0]["checker"], "DNS_CHECK");
    assert_eq!(c[0]["type"], "AAAA");
    assert_eq!(c[0]["name"], "example.com");
    assert_eq!(
        c[8]["weight"],
        serde_json::json!({"weight": -5, "reverse": true})
    );
    // FILE_CHECK and BFD_CHECK have none of the standard options.
    assert!(c[8].get("retry").is_none() && c[10].get("connect_ip").is_none());
}

#[test]
fn dns_misc_udp_file_bfd_errors() {
    let p = parse(&vs_with(
        "",
        "    DNS_CHECK {
      type FOO
      name a..b
      name example.com
      name example.org
    }
    MISC_CHECK {
      misc_path /bin/true
      misc_timeout 5000
      connect_ip 1.2.3.4
      user
    }
    UDP_CHECK {
      payload xyz
      require_reply 12G4
      min_reply_length -1
      max_reply_length 70000
    }
    UDP_CHECK {
      min_reply_length 10
      max_reply_length 5
    }
    FILE_CHECK {
      track_file t
      weight x
      weight 1 forward
      retry 3
    }
    BFD_CHECK {
      name b
      retry 3
    }",
    ));
    assert_eq!(
        headlines(&p),
        [
            "t.conf:6:12: error: invalid value 'FOO' for type: expected one of A, NS, CNAME, SOA, MX, TXT, AAAA, RRSIG, DNSKEY",
            "t.conf:7:12: error: invalid value 'a..b' for name: the name has an empty label",
            "t.conf:9:7: warning: DNS_CHECK name is already set; this one is ignored",
            "t.conf:13:20: error: invalid value '5000' for misc_timeout: must be between 0 and 4294",
            "t.conf:14:7: warning: unknown keyword 'connect_ip' in MISC_CHECK; it is ignored",
            "t.conf:15:7: error: user needs a value",
            "t.conf:18:15: error: invalid value 'xyz' for payload: expected hex digits",
            "t.conf:19:21: error: invalid value '12G4' for require_reply: expected hex digits or X",
            "t.conf:20:24: error: invalid value '-1' for min_reply_length: must be between 0 and 65535",
            "t.conf:21:24: error: invalid value '70000' for max_reply_length: must be between 0 and 65535",
            "t.conf:23:5: warning: UDP_CHECK min_reply_length 10 is more than max_reply_length 5; the check will always fail",
            "t.conf:29:14: error: invalid value 'x' for weight: expected an integer",
            "t.conf:30:16: error: invalid value 'forward' for weight: expected one of reverse",
            "t.conf:31:7: warning: unknown keyword 'retry' in FILE_CHECK; it is ignored",
            "t.conf:35:7: warning: unknown keyword 'retry' in BFD_CHECK; it is ignored",
            "t.conf:27:5: error: FILE_CHECK follows track_file 't', which is not defined; keepalived drops this checker",
            "t.conf:33:5: error: BFD_CHECK follows bfd_instance 'b', which is not defined; keepalived drops this checker",
        ]
    );
    let Checker::Dns(d) = &p.config.lvs.virtual_server[0].real_server[0].checkers[0] else {
        panic!()
    };
    assert_eq!(d.name, "example.com");
}

#[test]
fn check_virtual_server_without_real_servers_and_unknown_group() {
    let p = parse(
        "virtual_server 10.0.0.1 80 {\n  protocol TCP\n}\nvirtual_server_group VSG_1 {\n  10.0.0.1 80\n}\nvirtual_server group VSG_2 {\n  protocol TCP\n  real_server 10.0.0.2 80 {\n  }\n}\nvirtual_server group NOPE {\n  protocol TCP\n  real_server 10.0.0.2 80 {\n  }\n}\n",
    );
    assert_eq!(
        headlines(&p),
        [
            "t.conf:1:1: warning: virtual_server 10.0.0.1:80 has no real_server; keepalived ignores it",
            "t.conf:7:1: error: virtual_server group VSG_2: there is no virtual_server_group VSG_2",
            "t.conf:12:1: error: virtual_server group NOPE: there is no virtual_server_group NOPE",
        ]
    );
    assert_eq!(
        p.diags
            .iter()
            .filter(|d| !unwritten_default(d))
            .nth(1)
            .unwrap()
            .help
            .as_deref(),
        Some("did you mean 'VSG_1'?")
    );
    assert_eq!(
        p.diags
            .iter()
            .filter(|d| !unwritten_default(d))
            .nth(2)
            .unwrap()
            .help
            .as_deref(),
        Some("define 'virtual_server_group NOPE { ... }'")
    );
    // The empty virtual server is dropped, as keepalived drops it.
    assert_eq!(p.config.lvs.virtual_server.len(), 2);
}

#[test]
fn check_protocol_port_and_persistence() {
    let p = parse(
        "virtual_server 10.0.0.1 80 {\n  ops\n  real_server 10.0.0.2 80 {\n  }\n}\nvirtual_server 10.0.0.1 {\n  protocol TCP\n  ops\n  real_server 10.0.0.2 80 {\n  }\n}\nvirtual_server fwmark 3 {\n  protocol TCP\n  ha_suspend\n  ops\n  real_server 10.0.0.2 {\n  }\n}\nvirtual_server 10.0.0.2 {\n  protocol TCP\n  persistence_granularity 255.255.0.0\n  real_server 10.0.0.2 80 {\n  }\n}\n",
    );
    assert_eq!(
        headlines(&p),
        [
            "t.conf:1:1: warning: virtual_server 10.0.0.1:80 has no protocol; keepalived uses UDP",
            "t.conf:6:1: warning: virtual_server 10.0.0.1:0: ops (one-packet scheduling) needs protocol UDP; it is ignored",
            "t.conf:6:1: warning: virtual_server 10.0.0.1:0: a service without a port must be persistent; keepalived uses persistence_timeout 360",
            "t.conf:12:1: warning: virtual_server fwmark 3: ha_suspend does not work with fwmarks; it is ignored",
            "t.conf:12:1: warning: virtual_server fwmark 3: protocol is ignored for a fwmark service",
        ]
    );
    let vs = &p.config.lvs.virtual_server;
    assert_eq!((vs[0].protocol, vs[0].ops), (Some(Protocol::UDP), true));
    assert_eq!((vs[1].ops, vs[1].persistence_timeout), (false, Some(360)));
    assert_eq!(
        (vs[2].protocol, vs[2].ha_suspend, vs[2].ops),
        (None, false, true)
    );
    // Granularity alone makes the service persistent, silently as keepalived.
    assert_eq!(vs[3].persistence_timeout, Some(360));
    // A real server without a port takes the virtual server's, even when that is "any".
    assert_eq!(vs[1].real_server[0].port, 80);
}

/// A group's ha_suspend is kept (keepalived never activates its checkers) and warned of.
#[test]
fn ha_suspend_of_a_group_is_warned_of() {
    let p = parse(
        "virtual_server_group G {\n  10.0.0.1 80\n}\nvirtual_server group G {\n  protocol TCP\n  ha_suspend\n  real_server 10.0.0.2 80 {\n  }\n}\nvirtual_server 10.0.0.1 80 {\n  protocol TCP\n  ha_suspend\n  real_server 10.0.0.2 80 {\n  }\n}\n",
    );
    assert_eq!(
        headlines(&p),
        ["t.conf:4:1: warning: virtual_server group G: with ha_suspend keepalived never checks a group's real servers (they keep the state they start with)"]
    );
    let vs = &p.config.lvs.virtual_server;
    assert!(vs[0].ha_suspend && vs[1].ha_suspend);
}

#[test]
fn check_scheduler_flags_granularity_and_family() {
    let p = parse(
        "virtual_server 10.0.0.1 80 {\n  protocol TCP\n  lvs_sched rr\n  sh-port\n  mh-fallback\n  persistence_granularity 64\n  real_server 10.0.0.2 80 {\n  }\n}\nvirtual_server ae00::1 80 {\n  protocol TCP\n  ip_family inet\n  persistence_granularity 255.255.255.0\n  real_server ae00::2 80 {\n  }\n}\n",
    );
    assert_eq!(
        headlines(&p),
        [
            "t.conf:12:3: error: ip_family inet conflicts with the virtual server's address ae00::1",
            "t.conf:1:1: error: virtual_server 10.0.0.1:80: persistence_granularity must be a netmask such as 255.255.255.0 for this service",
            "t.conf:1:1: warning: virtual_server 10.0.0.1:80: sh-port only applies to lvs_sched sh; it is ignored",
            "t.conf:1:1: warning: virtual_server 10.0.0.1:80: mh-fallback only applies to lvs_sched mh; it is ignored",
            "t.conf:10:1: error: virtual_server [ae00::1]:80: persistence_granularity must be a prefix length 1..128 for this service",
        ]
    );
}

#[test]
fn check_real_servers() {
    let p = parse(
        "virtual_server 10.0.0.1 80 {
  protocol TCP
  lvs_method DR
  real_server 10.0.0.2 80 {
  }
  real_server 10.0.0.2 {
  }
  real_server 10.0.0.3 8080 {
  }
  real_server 10.0.0.4 8080 {
    lvs_method NAT
  }
  real_server ae00::5 80 {
  }
  real_server ae00::6 80 {
    lvs_method TUN
  }
}
virtual_server fwmark 1 {
  lvs_method DR
  real_server 10.0.0.2 80 {
  }
  real_server 10.0.0.3 80 {
    lvs_method NAT
  }
}
",
    );
    assert_eq!(
        headlines(&p),
        [
            "t.conf:6:3: error: real_server 10.0.0.2 80 is already in virtual_server 10.0.0.1:80 (at t.conf:4:3); keepalived drops this one",
            "t.conf:8:3: warning: real_server 10.0.0.3 port 8080 differs from the virtual server's port 80; only NAT can change the port, so keepalived uses 80",
            "t.conf:13:3: error: real_server ae00::5 is inet6 but virtual_server 10.0.0.1:80 is inet; keepalived drops it",
            "t.conf:21:3: warning: real_server 10.0.0.2 port 80 is ignored: only NAT can change the port of a fwmark service",
        ]
    );
    let vs = &p.config.lvs.virtual_server;
    let servers: Vec<(IpAddr, u16)> = vs[0]
        .real_server
        .iter()
        .map(|r| (r.address, r.port))
        .collect();
    assert_eq!(
        servers,
        [
            (ip("10.0.0.2"), 80),
            (ip("10.0.0.3"), 80),
            (ip("10.0.0.4"), 8080),
            (ip("ae00::6"), 80)
        ]
    );
    let servers: Vec<u16> = vs[1].real_server.iter().map(|r| r.port).collect();
    assert_eq!(servers, [0, 80]);
    assert_eq!(vs[1].ip_family, IpFamily::Inet);
}

#[test]
fn check_sorry_server() {
    let p = parse(
        "virtual_server 10.0.0.1 80 {
  protocol TCP
  sorry_server 10.0.0.2
  sorry_server_inhibit
  real_server 10.0.0.2 80 {
    inhibit_on_failure no
  }
}
virtual_server 10.0.0.1 81 {
  protocol TCP
  sorry_server_inhibit
  sorry_server_lvs_method DR
  real_server 10.0.0.2 81 {
  }
}
virtual_server 10.0.0.1 82 {
  protocol TCP
  sorry_server ae00::1 82
  sorry_server_inhibit
  real_server 10.0.0.2 82 {
  }
}
virtual_server 10.0.0.1 83 {
  protocol TCP
  sorry_server 10.0.0.9 8083
  sorry_server_lvs_method DR
  real_server 10.0.0.2 83 {
  }
}
",
    );
    assert_eq!(
        headlines(&p),
        [
            "t.conf:3:3: warning: sorry_server 10.0.0.2 is also a real_server, whose inhibit_on_failure differs from sorry_server_inhibit; keepalived uses the real server's (false)",
            "t.conf:9:1: warning: virtual_server 10.0.0.1:81: sorry_server settings without a sorry_server are ignored",
            "t.conf:18:3: error: sorry_server ae00::1 is not inet like virtual_server 10.0.0.1:82; keepalived ignores it",
            "t.conf:25:3: warning: sorry_server port 8083 differs from the virtual server's port 83; only NAT can change the port, so keepalived uses 83",
        ]
    );
    let vs = &p.config.lvs.virtual_server;
    let s = vs[0].sorry_server.as_ref().unwrap();
    assert_eq!((s.address, s.port), (ip("10.0.0.2"), 80));
    assert_eq!(
        (vs[0].sorry_server_inhibit, vs[0].sorry_server_lvs_method),
        (false, Some(LvsMethod::NAT))
    );
    assert_eq!(
        (vs[1].sorry_server_inhibit, vs[1].sorry_server_lvs_method),
        (false, None)
    );
    assert!(vs[2].sorry_server.is_none());
    assert_eq!(vs[3].sorry_server.as_ref().map(|s| s.port), Some(83));
    assert_eq!(vs[3].sorry_server_lvs_method, Some(LvsMethod::DR));
}

#[test]
fn check_quorum_hysteresis_and_duplicates() {
    let p = parse(
        "virtual_server 10.0.0.1 80 {
  protocol TCP
  weight 2
  quorum 5
  hysteresis 4
  real_server 10.0.0.2 80 {
  }
  real_server 10.0.0.3 80 {
  }
}
virtual_server 10.0.0.1 80 {
  protocol TCP
  quorum 2
  hysteresis 2
  real_server 10.0.0.2 80 {
    weight 2
  }
}
virtual_server 10.0.0.1 80 {
  protocol UDP
  real_server 10.0.0.2 80 {
  }
}
",
    );
    assert_eq!(
        headlines(&p),
        [
            "t.conf:1:1: warning: virtual_server 10.0.0.1:80: quorum 5 is more than the total weight 4 of its real servers; keepalived uses 4",
            "t.conf:1:1: warning: virtual_server 10.0.0.1:80: hysteresis 4 must be less than quorum 4; keepalived uses 3",
            "t.conf:11:1: warning: virtual_server 10.0.0.1:80: hysteresis 2 must be less than quorum 2; keepalived uses 1",
            "t.conf:11:1: error: virtual_server 10.0.0.1:80 TCP is already defined at t.conf:1:1",
        ]
    );
    let vs = &p.config.lvs.virtual_server;
    assert_eq!((vs[0].quorum, vs[0].hysteresis), (4, 3));
    assert_eq!((vs[1].quorum, vs[1].hysteresis), (2, 1));
}

#[test]
fn check_groups_settle_family_protocol_and_ports() {
    let p = parse(
        "virtual_server_group V6 {\n  ae00::1 80\n}\nvirtual_server_group MARKS {\n  fwmark 1 inet6\n  fwmark 2 inet6\n}\nvirtual_server_group NOPORT {\n  10.0.0.1\n}\nvirtual_server group V6 {\n  protocol TCP\n  real_server ae00::2 80 {\n  }\n}\nvirtual_server group MARKS {\n  lvs_method TUN\n  real_server 10.0.0.2 {\n  }\n}\nvirtual_server group NOPORT {\n  protocol TCP\n  real_server 10.0.0.2 80 {\n  }\n}\n",
    );
    assert_eq!(
        headlines(&p),
        ["t.conf:21:1: warning: virtual_server group NOPORT: a service without a port must be persistent; keepalived uses persistence_timeout 360"]
    );
    let vs = &p.config.lvs.virtual_server;
    assert_eq!(vs[0].ip_family, IpFamily::Inet6);
    assert_eq!((vs[1].ip_family, vs[1].protocol), (IpFamily::Inet6, None));
    assert_eq!(vs[2].persistence_timeout, Some(360));
}

#[test]
fn smtp_alert_and_log_all_failures_follow_global_defs() {
    let body = "virtual_server 10.0.0.1 80 {\n  protocol TCP\n  real_server 10.0.0.2 80 {\n    TCP_CHECK {\n    }\n  }\n  real_server 10.0.0.3 80 {\n    smtp_alert on\n    TCP_CHECK {\n      log_all_failures off\n    }\n  }\n}\n";
    let p = clean(&format!("global_defs {{\n  smtp_alert_checker off\n  smtp_alert on\n  checker_log_all_failures\n}}\n{body}"));
    let vs = &p.config.lvs.virtual_server[0];
    assert_eq!(vs.smtp_alert, Some(false));
    let rs = &vs.real_server;
    assert_eq!(
        (rs[0].smtp_alert, rs[1].smtp_alert),
        (Some(false), Some(true))
    );
    let log = |r: &RealServer| match &r.checkers[0] {
        Checker::Tcp(t) => t.common.log_all_failures,
        _ => panic!(),
    };
    assert_eq!((log(&rs[0]), log(&rs[1])), (Some(true), Some(false)));
    let p = clean(&format!("global_defs {{\n  smtp_alert\n}}\n{body}"));
    assert_eq!(p.config.lvs.virtual_server[0].smtp_alert, Some(true));
}

proptest::proptest! {
    /// Any arrangement of LVS words decodes without a panic.
    #[test]
    fn never_panics(words in proptest::collection::vec(proptest::sample::select(vec![
        "virtual_server", "real_server", "{", "}", "\n", "10.0.0.1", "ae00::1", "fe80::1", "80", "0", "-1",
        "fwmark", "group", "G", "virtual_server_group", "10.0.0.1-5", "ae00::1/64", "10.0.0.0/8", "lvs_method",
        "TUN", "DR", "type", "gue", "gre", "port", "csum", "TCP_CHECK", "HTTP_GET", "SSL_GET", "SMTP_CHECK",
        "host", "DNS_CHECK", "MISC_CHECK", "UDP_CHECK", "FILE_CHECK", "BFD_CHECK", "url", "path", "status_code",
        "200-", "sorry_server", "quorum", "hysteresis", "weight", "payload", "require_reply", "1X", "protocol",
        "persistence_granularity", "persistence_timeout", "ip_family", "inet6", "regex_stack", "SSL",
    ]), 0..80)) {
        let text = words.join(" ");
        let _ = parse(&text);
    }
}

#[test]
fn file_and_bfd_checkers_must_follow_declared_blocks() {
    let text = "track_file tf1 {\n  file /tmp/x\n}\nbfd_instance bfd1 {\n  neighbor_ip 10.0.0.9\n}\nvirtual_server 10.0.0.1 80 {\n  protocol TCP\n  real_server 10.0.0.2 80 {\n    FILE_CHECK {\n      track_file tf1\n    }\n    BFD_CHECK {\n      name bfd1\n    }\n  }\n  real_server 10.0.0.3 80 {\n    FILE_CHECK {\n      track_file tf2\n    }\n    BFD_CHECK {\n      name nope\n    }\n  }\n}\n";
    let p = parse(text);
    assert_eq!(
        headlines(&p),
        [
            "t.conf:18:5: error: FILE_CHECK follows track_file 'tf2', which is not defined; keepalived drops this checker",
            "t.conf:21:5: error: BFD_CHECK follows bfd_instance 'nope', which is not defined; keepalived drops this checker",
        ]
    );
    let rs = &p.config.lvs.virtual_server[0].real_server;
    assert_eq!(rs[0].checkers.len(), 2);
    assert!(rs[1].checkers.is_empty());
    let help = p
        .diags
        .iter()
        .find(|d| !unwritten_default(d))
        .unwrap()
        .help
        .clone();
    assert_eq!(help.as_deref(), Some("did you mean 'tf1'?"));
}

/// keepalived 2.2.7 reads nb_get_retry (as retry, logging it as deprecated) only in HTTP_GET
/// and SSL_GET; elsewhere it is an unknown keyword and retry keeps its default. Both ways its
/// `-t` fails on it.
#[test]
fn nb_get_retry_counts_only_in_http_and_ssl_checkers() {
    for (checker, inner, retry) in [
        ("TCP_CHECK", "", 1),
        ("MISC_CHECK", "      misc_path /bin/true\n", 0),
        ("HTTP_GET", "      url {\n        path /\n      }\n", 3),
        ("SSL_GET", "      url {\n        path /\n      }\n", 3),
    ] {
        let p = parse(&vs_with(
            "  lvs_sched rr\n  lvs_method DR",
            &format!("    {checker} {{\n{inner}      nb_get_retry 3\n    }}"),
        ));
        let d = p
            .diags
            .iter()
            .find(|d| d.message.contains("nb_get_retry"))
            .unwrap_or_else(|| panic!("{checker}: {:?}", headlines(&p)));
        assert_eq!(d.keepalived, crate::KeepalivedTest::Fails, "{checker}");
        if retry == 3 {
            assert_eq!(d.message, "'nb_get_retry' is a legacy spelling of 'retry'");
        } else {
            assert_eq!(d.help.as_deref(), Some("write 'retry 3' if you meant it"));
        }
        let mut c = only_checker(&p).clone();
        assert_eq!(c.common_mut().unwrap().retry, retry, "{checker}");
    }
}

#[test]
fn unwritten_scheduler_and_method() {
    let p = parse(&vs_with("", ""));
    let found: Vec<_> = p
        .diags
        .iter()
        .filter(|d| unwritten_default(d))
        .map(|d| (d.headline(&p.sources), d.keepalived))
        .collect();
    assert_eq!(
        found,
        [
            (
                "t.conf:1:1: warning: virtual_server without lvs_sched: keepalived uses wlc"
                    .to_string(),
                crate::KeepalivedTest::Fails
            ),
            (
                "t.conf:1:1: warning: virtual_server without lvs_method: keepalived uses NAT"
                    .to_string(),
                crate::KeepalivedTest::Fails
            ),
        ]
    );
    for written in [
        "  lb_algo rr\n  lb_kind DR",
        "  lvs_sched wlc\n  lvs_method NAT",
    ] {
        let p = parse(&vs_with(written, ""));
        assert!(
            !p.diags.iter().any(unwritten_default),
            "{:?}",
            headlines(&p)
        );
    }
}
