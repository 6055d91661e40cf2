//! The exposition of made-up snapshots, parsed with the Prometheus project's Python client
//! (both formats; `tests/data/prom_parse.py`), and the HTTP answers. Without the parser
//! (`/usr/bin/python3` with `prometheus_client`: scripts/test-all installs it) the parsing tests
//! say `SKIP:` once and check the text by hand only.

use std::net::IpAddr;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::Request;
use serde_json::Value;
use tokio::sync::watch;

use super::*;
use crate::control::DaemonInfo;
use crate::snapshot::*;

fn instance(name: &str, state: &'static str) -> InstanceSnapshot {
    InstanceSnapshot {
        name: name.into(),
        interface: "eth0".into(),
        vmac: None,
        vrid: 51,
        version: 2,
        ipv6: false,
        state,
        wanted_state: "MASTER",
        base_priority: 150,
        effective_priority: 140,
        advert_interval: Duration::from_secs(1),
        preempt: true,
        preempt_delay: Duration::ZERO,
        accept: false,
        last_transition: SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000),
        last_transition_from: "BACKUP",
        transitions: 2,
        master: None,
        master_heard: None,
        source: IpAddr::from([10, 9, 0, 1]),
        multicast_group: Some(IpAddr::from([224, 0, 0, 18])),
        unicast_peers: Vec::new(),
        unicast_peer_ttl: Vec::new(),
        unicast_ttl: 255,
        check_unicast_src: false,
        auth_pass: Some("s3cret".into()),
        auth_type: 1,
        vips: Vec::new(),
        vip_addrs: Vec::new(),
        excluded_vips: Vec::new(),
        routes: Vec::new(),
        rules: Vec::new(),
        tracked: Vec::new(),
        garp_delay: Duration::from_secs(5),
        garp_repeat: 5,
        garp_refresh: Duration::ZERO,
        garp_refresh_repeat: 1,
        garp_lower_prio_delay: Duration::from_secs(5),
        garp_lower_prio_repeat: 5,
        down_timer_adverts: 3,
        garp_extra_if: Duration::ZERO,
        lower_prio_no_advert: false,
        higher_prio_send_advert: false,
        promote_secondaries: false,
        smtp_alert: false,
        notify_deleted: false,
        dont_track_primary: false,
        notify_scripts: Vec::new(),
        notify_priority_changes: false,
        stats: InstanceStats {
            advert_rcvd: 7,
            advert_sent: 30,
            become_master: 1,
            release_master: 0,
            pri_zero_rcvd: 0,
            pri_zero_sent: 0,
        },
        drops: vec![("auth_mismatch", 4), ("bad_checksum", 0)],
    }
}

fn checker(up: bool, failures: u64) -> CheckerSnapshot {
    CheckerSnapshot {
        kind: "TCP_CHECK",
        up,
        reason: "".into(),
        since: SystemTime::now(),
        failures,
    }
}

fn real_server(address: &str, alive: bool) -> RealServerSnapshot {
    RealServerSnapshot {
        address: address.into(),
        forwarding: "DR",
        configured_weight: 1,
        alive,
        weight: alive.then_some(1),
        checkers: vec![checker(alive, u64::from(!alive))],
    }
}

struct Fixture {
    sources: Sources,
    _vrrp: watch::Sender<Arc<VrrpSnapshot>>,
    _lvs: watch::Sender<Arc<LvsSnapshot>>,
    _daemon: watch::Sender<DaemonInfo>,
}

/// A MASTER and a FAULT instance, a sync group, a receiver's drops; one virtual server with a
/// real server up and one down; a reconciler that has worked; a refused then an applied
/// reload; TCP_CHECK latencies.
fn fixture(lvs_running: bool) -> Fixture {
    let vrrp = VrrpSnapshot {
        taken: SystemTime::now(),
        instances: vec![instance("VI_1", "MASTER"), instance("VI \"2\"", "FAULT")],
        groups: vec![GroupSnapshot {
            name: "G1".into(),
            members: vec!["VI_1".into()],
            state: Some("MASTER"),
            smtp_alert: false,
            notify_scripts: Vec::new(),
        }],
        static_addresses: Vec::new(),
        static_routes: Vec::new(),
        static_rules: Vec::new(),
        receivers: vec![ReceiverSnapshot {
            interface: "eth0".into(),
            ipv6: false,
            drops: vec![("unknown_vrid", 3)],
        }],
    };
    let mut reconciler = ReconcilerSnapshot {
        full_passes: 3,
        updates: 2,
        operations: 5,
        drift_corrections: 1,
        errors: 0,
        last_full_pass: Some(SystemTime::now()),
        ..Default::default()
    };
    reconciler
        .pass_durations
        .full
        .record(Duration::from_millis(3));
    reconciler
        .pass_durations
        .update
        .record(Duration::from_micros(300));
    let lvs = if lvs_running {
        LvsSnapshot {
            taken: SystemTime::now(),
            virtual_servers: vec![Arc::new(VirtualServerSnapshot {
                name: "[10.9.0.150]:tcp:80".into(),
                ha_suspend: false,
                suspended: false,
                vip: Some((IpAddr::from([10, 9, 0, 150]), 80)),
                fwmark: None,
                protocol: "TCP",
                services: vec!["TCP 10.9.0.150:80".into()],
                scheduler: "rr".into(),
                persistence_timeout: 0,
                quorum: 1,
                hysteresis: 0,
                quorum_up: true,
                sorry_server: None,
                real_servers: vec![
                    real_server("10.9.0.4:80", true),
                    real_server("10.9.0.5:80", false),
                ],
            })],
            reconciler,
        }
    } else {
        LvsSnapshot::default()
    };
    let mut info = DaemonInfo::new("/etc/keepalived/keepalived.conf".into());
    info.reloaded(false, vec!["bad".into()]);
    info.reloaded(true, Vec::new());
    let latency = Arc::new(CheckLatencies::default());
    let tcp = latency.of(0);
    tcp.observe(Duration::from_millis(2), true);
    tcp.observe(Duration::from_secs(5), false);
    let (vtx, vrx) = watch::channel(Arc::new(vrrp));
    let (ltx, lrx) = watch::channel(Arc::new(lvs));
    let (dtx, drx) = watch::channel(info);
    Fixture {
        sources: Sources {
            status: control::Sources {
                vrrp: vrx,
                lvs: lrx,
                daemon: drx,
            },
            latency,
        },
        _vrrp: vtx,
        _lvs: ltx,
        _daemon: dtx,
    }
}

async fn get(registry: &Registry, path: &str, accept: Option<&str>) -> (u16, String, String) {
    let mut req = Request::get(path);
    if let Some(a) = accept {
        req = req.header("Accept", a);
    }
    let r = respond(registry, &req.body(()).unwrap());
    let status = r.status().as_u16();
    let ct = r
        .headers()
        .get(CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let body: Bytes = r.into_body().collect().await.unwrap().to_bytes();
    (status, ct, String::from_utf8(body.to_vec()).unwrap())
}

const PYTHON: &str = "/usr/bin/python3";

fn parser_script() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/prom_parse.py")
}

/// Whether the Prometheus Python client is there; says `SKIP:` once when not.
fn have_parser(test: &str) -> bool {
    let ok = Command::new(PYTHON)
        .args(["-c", "import prometheus_client.openmetrics.parser"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!(
            "SKIP: {test}: parsing with a real Prometheus parser: {PYTHON} with prometheus_client \
             (Debian's python3-prometheus-client) not found; scripts/test-all installs it"
        );
    }
    ok
}

/// The exposition parsed: (name, labels, value) of every sample; panics when it does not parse.
fn parse(text: &str, format: &str) -> Vec<(String, Value, f64)> {
    use std::io::Write;
    let mut child = Command::new(PYTHON)
        .arg(parser_script())
        .args(["--format", format])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(
        o.status.success(),
        "the {format} parser refused the exposition: {}\n{text}",
        String::from_utf8_lossy(&o.stderr)
    );
    samples(&serde_json::from_slice(&o.stdout).unwrap())
}

pub fn samples(doc: &Value) -> Vec<(String, Value, f64)> {
    doc["families"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f["samples"].as_array().unwrap().iter())
        .map(|s| {
            let v = match &s[2] {
                Value::String(x) if x == "inf" => f64::INFINITY,
                v => v.as_f64().unwrap(),
            };
            (s[0].as_str().unwrap().to_string(), s[1].clone(), v)
        })
        .collect()
}

/// The value of the sample `name` whose labels include `labels` (`le` compared as a number:
/// the text format writes 5, OpenMetrics 5.0).
pub fn value(samples: &[(String, Value, f64)], name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let number = |v: &Value| v.as_str().and_then(|s| s.parse::<f64>().ok());
    samples
        .iter()
        .find(|(n, l, _)| {
            n == name
                && labels
                    .iter()
                    .all(|(k, v)| l[*k] == *v || (*k == "le" && number(&l[*k]) == v.parse().ok()))
        })
        .map(|s| s.2)
}

fn check_values(s: &[(String, Value, f64)]) {
    let v = |name: &str, labels: &[(&str, &str)]| {
        value(s, name, labels).unwrap_or_else(|| panic!("no {name} {labels:?}"))
    };
    let vi = [("vrrp_instance", "VI_1")];
    assert_eq!(
        v(
            "keepalived_rs_vrrp_state",
            &[("vrrp_instance", "VI_1"), ("state", "MASTER")]
        ),
        1.0
    );
    assert_eq!(
        v(
            "keepalived_rs_vrrp_state",
            &[("vrrp_instance", "VI_1"), ("state", "BACKUP")]
        ),
        0.0
    );
    assert_eq!(
        v(
            "keepalived_rs_vrrp_state",
            &[("vrrp_instance", "VI \"2\""), ("state", "FAULT")]
        ),
        1.0
    );
    assert_eq!(v("keepalived_rs_vrrp_effective_priority", &vi), 140.0);
    assert_eq!(v("keepalived_rs_vrrp_priority", &vi), 150.0);
    assert_eq!(v("keepalived_rs_vrrp_transitions_total", &vi), 2.0);
    assert_eq!(v("keepalived_rs_vrrp_adverts_sent_total", &vi), 30.0);
    assert_eq!(v("keepalived_rs_vrrp_adverts_received_total", &vi), 7.0);
    assert_eq!(v("keepalived_rs_vrrp_became_master_total", &vi), 1.0);
    assert_eq!(
        v(
            "keepalived_rs_vrrp_adverts_dropped_total",
            &[("vrrp_instance", "VI_1"), ("reason", "auth_mismatch")]
        ),
        4.0
    );
    assert_eq!(
        v(
            "keepalived_rs_vrrp_packets_dropped_total",
            &[("interface", "eth0"), ("reason", "unknown_vrid")]
        ),
        3.0
    );
    assert_eq!(
        v(
            "keepalived_rs_vrrp_instance_info",
            &[
                ("vrrp_instance", "VI_1"),
                ("vrid", "51"),
                ("family", "ipv4")
            ]
        ),
        1.0
    );
    assert_eq!(
        v(
            "keepalived_rs_vrrp_sync_group_state",
            &[("group", "G1"), ("state", "MASTER")]
        ),
        1.0
    );
    assert_eq!(
        v("keepalived_rs_vrrp_last_transition_timestamp_seconds", &vi),
        1.7e9
    );
    assert_eq!(
        v(
            "keepalived_rs_config_reloads_total",
            &[("result", "applied")]
        ),
        1.0
    );
    assert_eq!(
        v(
            "keepalived_rs_config_reloads_total",
            &[("result", "refused")]
        ),
        1.0
    );
    assert_eq!(v("keepalived_rs_config_last_reload_successful", &[]), 1.0);
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    let loaded = v(
        "keepalived_rs_config_last_reload_success_timestamp_seconds",
        &[],
    );
    assert!((now - loaded).abs() < 60.0, "{loaded}");
    let vs = [("virtual_server", "[10.9.0.150]:tcp:80")];
    assert_eq!(v("keepalived_rs_lvs_real_servers_up", &vs), 1.0);
    assert_eq!(v("keepalived_rs_lvs_real_servers", &vs), 2.0);
    assert_eq!(v("keepalived_rs_lvs_quorum_up", &vs), 1.0);
    assert_eq!(
        v(
            "keepalived_rs_lvs_real_server_up",
            &[("real_server", "10.9.0.5:80")]
        ),
        0.0
    );
    assert_eq!(
        v(
            "keepalived_rs_lvs_real_server_weight",
            &[("real_server", "10.9.0.4:80")]
        ),
        1.0
    );
    assert_eq!(
        value(
            s,
            "keepalived_rs_lvs_real_server_weight",
            &[("real_server", "10.9.0.5:80")]
        ),
        None
    );
    let down = [
        ("real_server", "10.9.0.5:80"),
        ("checker", "1"),
        ("kind", "TCP_CHECK"),
    ];
    assert_eq!(v("keepalived_rs_checker_up", &down), 0.0);
    assert_eq!(v("keepalived_rs_checker_failures_total", &down), 1.0);
    assert_eq!(
        v("keepalived_rs_ipvs_passes_total", &[("kind", "full")]),
        3.0
    );
    assert_eq!(v("keepalived_rs_ipvs_operations_total", &[]), 5.0);
    assert_eq!(v("keepalived_rs_ipvs_drift_corrections_total", &[]), 1.0);
    assert_eq!(
        v(
            "keepalived_rs_ipvs_pass_duration_seconds_count",
            &[("kind", "update")]
        ),
        1.0
    );
    assert_eq!(
        v(
            "keepalived_rs_ipvs_pass_duration_seconds_bucket",
            &[("kind", "update"), ("le", "0.0005")]
        ),
        1.0
    );
    assert_eq!(
        v(
            "keepalived_rs_ipvs_pass_duration_seconds_bucket",
            &[("kind", "update"), ("le", "0.00025")]
        ),
        0.0
    );
    let tcp_ok = [("kind", "TCP_CHECK"), ("result", "success")];
    assert_eq!(
        v("keepalived_rs_check_duration_seconds_count", &tcp_ok),
        1.0
    );
    assert_eq!(
        v("keepalived_rs_check_duration_seconds_sum", &tcp_ok),
        0.002
    );
    assert_eq!(
        v(
            "keepalived_rs_check_duration_seconds_bucket",
            &[("kind", "TCP_CHECK"), ("result", "failure"), ("le", "5.0")]
        ),
        1.0
    );
    assert_eq!(
        value(
            s,
            "keepalived_rs_check_duration_seconds_count",
            &[("kind", "HTTP_GET")]
        ),
        None,
        "kinds that never ran are left out"
    );
}

#[tokio::test]
async fn both_formats_parse_and_say_what_the_snapshots_hold() {
    let f = fixture(true);
    let registry = registry(f.sources.clone());
    let (status, ct, text) = get(&registry, "/metrics", None).await;
    assert_eq!(status, 200);
    assert_eq!(ct, "text/plain; version=0.0.4; charset=utf-8");
    assert!(
        text.contains("# TYPE keepalived_rs_vrrp_adverts_dropped_total counter"),
        "{text}"
    );
    assert!(!text.contains("s3cret"), "no password in the metrics");
    let (status, ct, om) = get(&registry, "/metrics", Some(PROMETHEUS_ACCEPT)).await;
    assert_eq!(status, 200);
    assert_eq!(ct, OPENMETRICS);
    assert!(om.ends_with("# EOF\n"), "{om}");
    if !have_parser("both_formats_parse_and_say_what_the_snapshots_hold") {
        return;
    }
    check_values(&parse(&text, "text"));
    check_values(&parse(&om, "openmetrics"));
}

/// What Prometheus (2.x) sends.
const PROMETHEUS_ACCEPT: &str = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";

#[tokio::test]
async fn without_the_lvs_side_there_are_no_lvs_metrics() {
    let f = fixture(false);
    let registry = registry(f.sources.clone());
    let (_, _, om) = get(&registry, "/metrics", Some(PROMETHEUS_ACCEPT)).await;
    assert!(om.contains("keepalived_rs_vrrp_state"));
    assert!(
        !om.contains("keepalived_rs_lvs_") && !om.contains("keepalived_rs_ipvs_"),
        "{om}"
    );
    assert!(!om.contains("keepalived_rs_check_duration"), "{om}");
    if have_parser("without_the_lvs_side_there_are_no_lvs_metrics") {
        parse(&om, "openmetrics");
    }
}

#[tokio::test]
async fn other_paths_and_methods_are_refused() {
    let f = fixture(false);
    let registry = registry(f.sources.clone());
    assert_eq!(get(&registry, "/", None).await.0, 200);
    assert_eq!(get(&registry, "/metricsx", None).await.0, 404);
    let r = respond(&registry, &Request::post("/metrics").body(()).unwrap());
    assert_eq!(r.status().as_u16(), 405);
    assert_eq!(r.headers()["allow"], "GET, HEAD");
}

/// The server itself, on loopback: a scrape over a real connection, two on one keep-alive
/// connection, and one connection more than [`MAX_CONNECTIONS`] is closed.
#[test]
fn the_server_answers_on_its_own_thread() {
    use std::io::{Read, Write};
    let f = fixture(true);
    let addr = serve("127.0.0.1:0".parse().unwrap(), f.sources.clone()).unwrap();
    let mut c = std::net::TcpStream::connect(addr).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let read_answer = |c: &mut std::net::TcpStream| {
        let mut buf = Vec::new();
        let mut chunk = [0u8; 65536];
        loop {
            let n = c.read(&mut chunk).unwrap();
            assert!(n > 0, "closed early: {}", String::from_utf8_lossy(&buf));
            buf.extend_from_slice(&chunk[..n]);
            let text = String::from_utf8_lossy(&buf);
            if let Some((head, body)) = text.split_once("\r\n\r\n") {
                let len: usize = head
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length: ")
                            .map(|v| v.parse().unwrap())
                    })
                    .unwrap();
                if body.len() >= len {
                    return (head.to_string(), body.to_string());
                }
            }
        }
    };
    for _ in 0..2 {
        c.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        let (head, body) = read_answer(&mut c);
        assert!(head.starts_with("HTTP/1.1 200"), "{head}");
        assert!(body.contains("keepalived_rs_vrrp_state{"), "{body}");
    }
    // MAX_CONNECTIONS held open (the first among them): the next one is closed at once.
    let _held: Vec<_> = (1..MAX_CONNECTIONS)
        .map(|_| std::net::TcpStream::connect(addr).unwrap())
        .collect();
    // Let the server take them all before the one too many.
    std::thread::sleep(Duration::from_millis(200));
    let mut extra = std::net::TcpStream::connect(addr).unwrap();
    extra
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let _ = extra.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
    let mut buf = Vec::new();
    let n = extra.read_to_end(&mut buf).unwrap_or(0);
    assert_eq!(n, 0, "{}", String::from_utf8_lossy(&buf));
}

/// A benchmark, not a test (docs/benchmarks.md): what one scrape costs the metrics thread with
/// 1,000 virtual servers x 4 real servers (one TCP_CHECK each) and 10 VRRP instances: the time
/// to encode each format and its size. `cargo test --release -p keepalived-rs --bin
/// keepalived-rs -- --ignored --nocapture scrape_cost`.
#[test]
#[ignore]
fn scrape_cost() {
    let f = fixture(true);
    let mut vrrp = (**f.sources.status.vrrp.borrow()).clone();
    vrrp.instances = (0..10)
        .map(|i| instance(&format!("VI_{i}"), "MASTER"))
        .collect();
    let mut lvs = (**f.sources.status.lvs.borrow()).clone();
    let template = (*lvs.virtual_servers[0]).clone();
    lvs.virtual_servers = (0..1000)
        .map(|i| {
            let mut v = template.clone();
            v.name = format!("[10.{}.{}.1]:tcp:80", i / 256, i % 256);
            v.real_servers = (0..4)
                .map(|r| real_server(&format!("10.200.{}.{r}:80", i % 256), r != 3))
                .collect();
            Arc::new(v)
        })
        .collect();
    f._vrrp.send_replace(Arc::new(vrrp));
    f._lvs.send_replace(Arc::new(lvs));
    let registry = registry(f.sources.clone());
    for (what, om) in [("text 0.0.4", false), ("OpenMetrics", true)] {
        let mut times = Vec::new();
        let (mut size, mut lines) = (0, 0);
        for _ in 0..20 {
            let t = std::time::Instant::now();
            let mut body = String::new();
            if om {
                prometheus_client::encoding::text::encode(&mut body, &registry).unwrap();
            } else {
                prometheus_client::encoding::prometheus_text::encode(&mut body, &registry).unwrap();
            }
            times.push(t.elapsed());
            size = body.len();
            lines = body.lines().count();
        }
        times.sort();
        println!(
            "MEASURE: scrape_cost 1000x4 {what}: {} bytes, {} lines; encode min {:.2} ms, median {:.2} ms, max {:.2} ms",
            size,
            lines,
            times[0].as_secs_f64() * 1e3,
            times[10].as_secs_f64() * 1e3,
            times[19].as_secs_f64() * 1e3
        );
    }
}
