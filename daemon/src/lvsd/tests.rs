use super::*;
use std::time::Instant;

use ipvs::reconciler::Simulated;
use ipvs::Op;

/// keepalived 2.2.7's failure lines (vm_wording.rs measured them): `failed.` with retry 0
/// and for a TCP_CHECK's first outcome, `failed after N retries.` otherwise.
#[test]
fn failure_lines_name_retries_as_keepalived() {
    assert_eq!(failure_retries("TCP_CHECK", 0, false), None);
    assert_eq!(failure_retries("TCP_CHECK", 1, true), None);
    assert_eq!(failure_retries("TCP_CHECK", 3, false), Some(3));
    assert_eq!(failure_retries("HTTP_GET", 0, true), None);
    assert_eq!(failure_retries("HTTP_GET", 1, true), Some(1));
    assert_eq!(failure_retries("SSL_GET", 2, false), Some(2));
}

/// Every destination of the simulated table, sorted.
fn dests(sim: &Simulated) -> Vec<(String, u32)> {
    let mut v: Vec<_> = sim
        .table()
        .iter()
        .flat_map(|s| s.dests.iter().map(|d| (d.key().to_string(), d.weight)))
        .collect();
    v.sort();
    v
}

fn parse(text: &str) -> conf_parser::Config {
    let p = conf_parser::parse_str("t.conf", text, &conf_parser::Options::default());
    assert!(p.is_ok(), "{}", p.render_diagnostics());
    p.config
}

/// A batch's work: only the virtual servers whose destinations an event changed are
/// recomputed and sent, each once, with all its services (a group has several).
#[test]
fn a_batch_sends_only_the_virtual_servers_it_changed() {
    let mut conf = String::from("virtual_server_group G {\n 192.0.2.50 80\n fwmark 7\n}\n");
    for vs in ["192.0.2.1 80", "192.0.2.2 80", "group G"] {
        conf.push_str(&format!(
            "virtual_server {vs} {{\n lb_kind NAT\n protocol TCP\n\
             real_server 10.0.0.1 80 {{\n TCP_CHECK {{\n }}\n }}\n\
             real_server 10.0.0.2 80 {{\n TCP_CHECK {{\n }}\n }}\n}}\n"
        ));
    }
    let p = crate::lvs::plan(&parse(&conf), false).unwrap();
    let a = Registry::default().assign(&LvsPlan::empty(), &[], &p, false);
    let mut pool = Pool::new(pool_configs(&p, &a));
    let ev = |vs: usize, rs: usize, kind| checkers::CheckEvent {
        id: a.ids[vs][rs][0],
        kind,
        reason: String::new(),
        first: false,
    };
    let keys = |c: &[ServiceState]| -> Vec<String> {
        c.iter().map(|s| s.service.key.to_string()).collect()
    };
    let mut apply = |vs, rs, kind| apply_event(&mut pool, &ev(vs, rs, kind)).unwrap().1;
    // The first success of a checker that starts up: touched, nothing changed.
    let up = checkers::EventKind::Up { weight: None };
    assert_eq!(apply(0, 0, up.clone()), Some((0, false)));
    // Real server 1 of the group goes down: changed; again: not.
    assert_eq!(apply(2, 1, checkers::EventKind::Down), Some((2, true)));
    assert_eq!(apply(2, 1, checkers::EventKind::Down), Some((2, false)));
    assert_eq!(apply(0, 1, checkers::EventKind::Down), Some((0, true)));
    assert_eq!(apply(0, 1, up), Some((0, true)));
    let c = changed_services(&p, &pool, vec![2, 2]);
    assert_eq!(keys(&c), ["TCP 192.0.2.50:80", "FWM 7"]);
    assert!(c.iter().all(|s| s.dests.len() == 1));
    assert_eq!(
        keys(&changed_services(&p, &pool, vec![0, 9])),
        ["TCP 192.0.2.1:80"]
    );
    // An event of a checker the pool does not hold is an error.
    let stale = checkers::CheckEvent {
        id: checkers::CheckerId(u64::MAX),
        kind: checkers::EventKind::Down,
        reason: String::new(),
        first: false,
    };
    assert!(apply_event(&mut pool, &stale).is_err());
}

/// The daemon's side of a 1 % change, on the host (no kernel involved): 10,000 virtual
/// servers x 4 real servers with TCP_CHECK, a batch of 100 checker events (one real server
/// down in 100 virtual servers): the pool, then the desired state of the touched virtual
/// servers (this loop), against recomputing and comparing the whole desired state (the loop
/// before). Prints the figures:
/// `cargo test --release -p keepalived-rs --bin keepalived-rs -- --ignored --nocapture batch_cost`
#[test]
#[ignore = "benchmark"]
fn bench_batch_cost() {
    use std::fmt::Write;
    let n = 10_000u32;
    let mut conf = String::new();
    for i in 0..n {
        let _ = write!(
            conf,
            "virtual_server 10.{}.{}.{} 80 {{\n lb_algo wrr\n lb_kind NAT\n protocol TCP\n",
            i >> 16,
            (i >> 8) & 255,
            i & 255
        );
        for r in 0..4 {
            let a = 4 * i + r;
            let _ = write!(
                conf,
                " real_server 172.{}.{}.{} 8080 {{\n  TCP_CHECK {{\n  }}\n }}\n",
                16 + (a >> 16),
                (a >> 8) & 255,
                a & 255
            );
        }
        conf.push_str("}\n");
    }
    let p = crate::lvs::plan(&parse(&conf), false).unwrap();
    let a = Registry::default().assign(&LvsPlan::empty(), &[], &p, false);
    let mut pool = Pool::new(pool_configs(&p, &a));
    let mut whole = desired(&p, &pool);
    let (mut new_way, mut old_way) = (Vec::new(), Vec::new());
    for round in 0..10usize {
        let kind = if round % 2 == 0 {
            checkers::EventKind::Down
        } else {
            checkers::EventKind::Up { weight: None }
        };
        let events: Vec<checkers::CheckEvent> = (0..100)
            .map(|j| checkers::CheckEvent {
                id: a.ids[j * 100 + round / 2][0][0],
                kind: kind.clone(),
                reason: String::new(),
                first: false,
            })
            .collect();
        let t = Instant::now();
        let mut touched = Vec::new();
        for ev in &events {
            if let (_, Some((vi, true))) = apply_event(&mut pool, ev).unwrap() {
                touched.push(vi);
            }
        }
        let changed = changed_services(&p, &pool, touched);
        new_way.push(t.elapsed());
        assert_eq!(changed.len(), 100);
        // The same batch's desired state the old way (the pool already has the events).
        let t = Instant::now();
        let d = desired(&p, &pool);
        let differs = d != whole;
        whole = d;
        old_way.push(t.elapsed());
        assert!(differs);
    }
    let show = |name: &str, mut v: Vec<Duration>| {
        v.sort();
        println!(
            "{name}: {:?} / {:?} / {:?} (min / median / max, 10 batches)",
            v[0],
            v[v.len() / 2],
            v[v.len() - 1]
        );
    };
    show("pool + desired of the 100 touched virtual servers", new_way);
    show(
        "whole desired state recomputed and compared (before)",
        old_way,
    );
}

fn test_notifier() -> Notifier {
    Notifier::start(notifier::Settings::default()).unwrap().0
}

async fn wait_until(what: &str, mut f: impl FnMut() -> bool) {
    for _ in 0..200 {
        if f() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for: {what}");
}

/// The snapshots follow the reconciler's periodic full passes, with no checker event to
/// publish them (a real server without checkers).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_snapshots_follow_the_reconcilers_own_passes() {
    let plan = crate::lvs::plan(
        &parse("virtual_server 192.0.2.1 80 {\n lb_kind NAT\n protocol TCP\n real_server 10.0.0.1 80 {\n }\n}\n"),
        false,
    )
    .unwrap();
    let (snapshots, rx) = tokio::sync::watch::channel(Default::default());
    let (tx, commands) = mpsc::unbounded_channel();
    let task = tokio::spawn(run(
        Prepared {
            plan: Arc::new(plan),
            tls: None,
            kernel: Simulated::default(),
        },
        commands,
        Duration::from_millis(200),
        std::future::ready(()),
        snapshots,
        Arc::default(),
        test_notifier(),
    ));
    wait_until("eight full passes in the snapshot", || {
        let r = &rx.borrow().reconciler;
        r.full_passes >= 8 && r.pass_durations.full.last.is_some()
    })
    .await;
    tx.send(Command::Stop).ok().unwrap();
    tokio::time::timeout(Duration::from_secs(10), task)
        .await
        .unwrap()
        .unwrap();
}

/// Real TCP_CHECKs against listeners on loopback, a simulated kernel: a listener closing
/// removes its real server, notify_down runs, reopening brings it back, a hand edit is put
/// right by the periodic pass, and stopping removes our service but not a foreign one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checkers_drive_the_kernel_table() {
    let dir = std::env::temp_dir().join(format!("krs-lvsd-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let log = dir.join("notify.log");
    let a = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let b = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let (pa, pb) = (
        a.local_addr().unwrap().port(),
        b.local_addr().unwrap().port(),
    );
    let conf = format!(
        r#"
virtual_server 127.0.0.1 80 {{
    delay_loop 1
    lb_algo rr
    lb_kind NAT
    protocol TCP
    real_server 127.0.0.1 {pa} {{
        notify_down "/bin/sh -c 'echo a-down >> {log}'"
        notify_up "/bin/sh -c 'echo a-up >> {log}'"
        TCP_CHECK {{
            connect_timeout 1
            retry 0
        }}
    }}
    real_server 127.0.0.1 {pb} {{
        TCP_CHECK {{
            connect_timeout 1
            retry 0
        }}
    }}
}}
"#,
        log = log.display()
    );
    let c = parse(&conf);
    let p = crate::lvs::plan(&c, false).unwrap();
    let sim = Simulated::default();
    // A foreign service, to be left alone.
    let foreign = ipvs::Service::new(ipvs::ServiceKey::Addr {
        protocol: ipvs::Protocol::Udp,
        addr: "127.0.0.9".parse().unwrap(),
        port: 53,
    });
    sim.hand_edit(&[Op::AddService(foreign)]).unwrap();
    let (stop_tx, stop_rx) = mpsc::unbounded_channel();
    let (snapshots_tx, mut snapshots) = tokio::sync::watch::channel(Default::default());
    let task = tokio::spawn(run(
        Prepared {
            plan: Arc::new(p),
            tls: None,
            kernel: sim.clone(),
        },
        stop_rx,
        Duration::from_millis(300),
        std::future::ready(()),
        snapshots_tx,
        Arc::default(),
        test_notifier(),
    ));
    let mut both = vec![
        (format!("127.0.0.1:{pa}"), 1),
        (format!("127.0.0.1:{pb}"), 1),
    ];
    both.sort();
    // The first full pass published means the table is in the kernel (systemd's READY=1
    // waits for it: `systemd::report`).
    tokio::time::timeout(
        Duration::from_secs(10),
        snapshots.wait_for(|s| s.reconciler.full_passes > 0),
    )
    .await
    .expect("the first pass is published")
    .unwrap();
    assert_eq!(
        dests(&sim),
        both,
        "a full pass published before the table was programmed"
    );
    wait_until("both real servers in", || dests(&sim) == both).await;
    drop(a);
    wait_until("a removed", || {
        dests(&sim) == vec![(format!("127.0.0.1:{pb}"), 1)]
    })
    .await;
    wait_until("notify_down ran", || {
        std::fs::read_to_string(&log).unwrap_or_default() == "a-down\n"
    })
    .await;
    let _a = std::net::TcpListener::bind(("127.0.0.1", pa)).unwrap();
    wait_until("a back", || dests(&sim) == both).await;
    wait_until("notify_up ran", || {
        std::fs::read_to_string(&log).unwrap_or_default() == "a-down\na-up\n"
    })
    .await;
    // A hand edit (ipvsadm -d): the periodic pass puts it back.
    {
        let t = sim.table();
        let ours = t
            .iter()
            .find(|s| s.service.key.to_string() == "TCP 127.0.0.1:80");
        let ours = ours.expect("our service");
        sim.hand_edit(&[Op::DelDest(ours.service.key, ours.dests[0].key())])
            .unwrap();
    }
    wait_until("hand edit corrected", || dests(&sim) == both).await;
    stop_tx.send(Command::Stop).ok().unwrap();
    tokio::time::timeout(Duration::from_secs(10), task)
        .await
        .expect("run ends after stop")
        .unwrap();
    assert_eq!(sim.table().len(), 1, "only the foreign service is left");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A reload that changes one real server's weight and adds a virtual server: exactly that
/// edit and that addition reach the kernel; the real server that is down stays out (its
/// checker keeps its state), and the others are not touched.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reload_edits_only_what_changed() {
    let a = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let b = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let (pa, pb, pc) = (
        a.local_addr().unwrap().port(),
        b.local_addr().unwrap().port(),
        closed.local_addr().unwrap().port(),
    );
    drop(closed);
    let conf = |weight_b: u32, second_vs: bool| {
        let rs = |port: u16, weight: u32| {
            format!(
                " real_server 127.0.0.1 {port} {{\n  weight {weight}\n  TCP_CHECK {{\n   connect_timeout 1\n   retry 0\n  }}\n }}\n"
            )
        };
        let mut c = format!(
            "virtual_server 127.0.0.1 80 {{\n delay_loop 1\n lb_algo wrr\n lb_kind NAT\n protocol TCP\n{}{}{}}}\n",
            rs(pa, 1),
            rs(pb, weight_b),
            rs(pc, 1)
        );
        if second_vs {
            c.push_str(&format!(
                "virtual_server 127.0.0.2 80 {{\n lb_kind NAT\n protocol TCP\n{}}}\n",
                rs(pa, 1)
            ));
        }
        crate::lvs::plan(&parse(&c), false).unwrap()
    };
    let sim = Simulated::default();
    let (tx, rx) = mpsc::unbounded_channel();
    let task = tokio::spawn(run(
        Prepared {
            plan: Arc::new(conf(1, false)),
            tls: None,
            kernel: sim.clone(),
        },
        rx,
        Duration::from_secs(3600),
        std::future::ready(()),
        tokio::sync::watch::channel(Default::default()).0,
        Arc::default(),
        test_notifier(),
    ));
    let mut both = vec![
        (format!("127.0.0.1:{pa}"), 1),
        (format!("127.0.0.1:{pb}"), 1),
    ];
    both.sort();
    wait_until("the closed one removed", || dests(&sim) == both).await;
    sim.take_counts();
    let (done, done_rx) = oneshot::channel();
    tx.send(Command::Reload {
        plan: Arc::new(conf(5, true)),
        tls: None,
        done,
    })
    .ok()
    .unwrap();
    tokio::time::timeout(Duration::from_secs(10), done_rx)
        .await
        .unwrap()
        .unwrap();
    // The full pass that follows may have run already.
    let counts = sim.take_counts();
    let first_full_reads = counts.full_reads;
    let vs1 = ipvs::ServiceKey::Addr {
        protocol: ipvs::Protocol::Tcp,
        addr: "127.0.0.1".parse().unwrap(),
        port: 80,
    };
    let edit = ipvs::Destination::new("127.0.0.1".parse().unwrap(), pb, ipvs::Forward::Nat, 5);
    assert_eq!(
        counts.keys_read[0], vs1,
        "the reload reads only what it changes"
    );
    assert_eq!(counts.applied[0], Op::EditDest(vs1, edit));
    assert!(
        matches!(&counts.applied[1], Op::AddService(s) if s.key.to_string() == "TCP 127.0.0.2:80"),
        "{:?}",
        counts.applied
    );
    assert_eq!(counts.applied.len(), 3, "{:?}", counts.applied);
    // The closed real server never came back in between: its checker kept its state.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let counts = sim.take_counts();
    assert!(counts.applied.is_empty(), "{:?}", counts.applied);
    assert_eq!(
        first_full_reads + counts.full_reads,
        1,
        "a full pass follows the reload"
    );
    tx.send(Command::Stop).ok().unwrap();
    tokio::time::timeout(Duration::from_secs(10), task)
        .await
        .unwrap()
        .unwrap();
}

/// ha_suspend on the host's own addresses (read, never changed): the checker of a virtual
/// server whose address is absent (192.0.2.1) makes no check, so its real server, closed,
/// stays in; the one whose address is there (127.0.0.1) checks and takes it out. A reload
/// that drops ha_suspend resumes the kept checker, which then takes it out too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ha_suspend_follows_the_nodes_addresses_and_reloads() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let conf = |ha: &str| {
        let vs = |addr: &str, ha: &str| {
            format!(
                "virtual_server {addr} 80 {{\n delay_loop 1\n lb_kind NAT\n protocol TCP\n{ha}\
                 real_server 127.0.0.1 {port} {{\n  TCP_CHECK {{\n   connect_timeout 1\n   retry 0\n  }}\n }}\n}}\n"
            )
        };
        let text = vs("192.0.2.1", ha) + &vs("127.0.0.1", " ha_suspend\n");
        Arc::new(crate::lvs::plan(&parse(&text), false).unwrap())
    };
    let of = |sim: &Simulated, vs: &str| {
        sim.table()
            .iter()
            .filter(|s| s.service.key.to_string() == vs)
            .map(|s| s.dests.len())
            .sum::<usize>()
    };
    let sim = Simulated::default();
    let (tx, rx) = mpsc::unbounded_channel();
    let (snapshots, seen) = tokio::sync::watch::channel(Default::default());
    let task = tokio::spawn(run(
        Prepared {
            plan: conf(" ha_suspend\n"),
            tls: None,
            kernel: sim.clone(),
        },
        rx,
        Duration::from_secs(3600),
        std::future::ready(()),
        snapshots,
        Arc::default(),
        test_notifier(),
    ));
    wait_until("the present address's checker took it out", || {
        of(&sim, "TCP 127.0.0.1:80") == 0 && of(&sim, "TCP 192.0.2.1:80") == 1
    })
    .await;
    // Two more delay_loops: the suspended one still makes no check.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(
        of(&sim, "TCP 192.0.2.1:80"),
        1,
        "a suspended checker checked"
    );
    // The snapshot (keepalived_check.data's `Enabled = no`) says so.
    let suspended = |seen: &tokio::sync::watch::Receiver<Arc<crate::snapshot::LvsSnapshot>>| {
        seen.borrow()
            .virtual_servers
            .iter()
            .map(|v| (v.ha_suspend, v.suspended))
            .collect::<Vec<_>>()
    };
    assert_eq!(suspended(&seen), [(true, true), (true, false)]);
    let (done, wait) = oneshot::channel();
    tx.send(Command::Reload {
        plan: conf(""),
        tls: None,
        done,
    })
    .ok()
    .unwrap();
    wait.await.unwrap();
    wait_until("the resumed checker took it out", || {
        of(&sim, "TCP 192.0.2.1:80") == 0
    })
    .await;
    wait_until("the snapshot says so", || {
        suspended(&seen) == [(false, false), (true, false)]
    })
    .await;
    tx.send(Command::Stop).ok().unwrap();
    tokio::time::timeout(Duration::from_secs(10), task)
        .await
        .unwrap()
        .unwrap();
}

/// A reload that comes before the checkers have started (within the start's first second)
/// starts them all when their time comes, kept ones included.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reload_before_the_checkers_start_loses_none() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let conf = |weight: u32| {
        format!(
            "virtual_server 127.0.0.1 80 {{\n delay_loop 1\n lb_kind NAT\n protocol TCP\n\
             real_server 127.0.0.1 {port} {{\n  weight {weight}\n  TCP_CHECK {{\n   connect_timeout 1\n   retry 0\n  }}\n }}\n}}\n"
        )
    };
    let plan = |w| crate::lvs::plan(&parse(&conf(w)), false).unwrap();
    let sim = Simulated::default();
    let (tx, rx) = mpsc::unbounded_channel();
    let (release, released) = oneshot::channel::<()>();
    let task = tokio::spawn(run(
        Prepared {
            plan: Arc::new(plan(1)),
            tls: None,
            kernel: sim.clone(),
        },
        rx,
        Duration::from_secs(3600),
        async {
            let _ = released.await;
        },
        tokio::sync::watch::channel(Default::default()).0,
        Arc::default(),
        test_notifier(),
    ));
    wait_until("programmed", || dests(&sim).len() == 1).await;
    let (done, wait) = oneshot::channel();
    tx.send(Command::Reload {
        plan: Arc::new(plan(2)),
        tls: None,
        done,
    })
    .ok()
    .unwrap();
    wait.await.unwrap();
    assert_eq!(dests(&sim), vec![(format!("127.0.0.1:{port}"), 2)]);
    release.send(()).unwrap();
    // The kept checker runs: the closed port takes its real server out.
    wait_until("the checker ran", || dests(&sim).is_empty()).await;
    tx.send(Command::Stop).ok().unwrap();
    tokio::time::timeout(Duration::from_secs(10), task)
        .await
        .unwrap()
        .unwrap();
}
