//! The LVS side's notify FIFO lines and alert mails, in the test VM (IPVS needed; see
//! tests/vm/README.md), keepalived-rs and then keepalived 2.2.7 (`-C`, checkers only) in the
//! same rig:
//!
//! ```text
//!  n1 director 10.9.0.1  the daemon under test; smtp-sink on its 127.0.0.1:2525
//!  n2 real     10.9.0.2  a TCP listener on 8080, stopped and started again
//!  n3 real     10.9.0.3  a TCP listener on 8080
//! ```
//!
//! Two virtual servers: 10.9.0.100:80 (NAT, quorum 2, smtp_alert on) with both real servers,
//! and firewall mark 7 with n2 alone. n2's listener stops, then starts again. Asserted: the
//! same RS and VS lines on `lvs_notify_fifo` and `notify_fifo` from both daemons, in order per
//! virtual server, with keepalived's names (`[10.9.0.2]:none:0` for a firewall mark's real
//! server), a VS UP for each at start; the same alert mails (each checker's change, the
//! quorum's, at start too; real servers mailing unless told not to).
//! Outside the VM every test prints one `SKIP:` line.

mod common;

use std::process::Command;
use std::time::Duration;

use common::listener::Listener;
use common::notify::{Reader, Sink};
use common::{lab_or_skip, wait_for, Lab};

fn conf(lab: &Lab) -> String {
    format!(
        r#"global_defs {{
    router_id director
    notify_fifo {nf}
    lvs_notify_fifo {lf}
    notification_email {{
        ops@example.org
    }}
    notification_email_from kad@example.org
    smtp_server 127.0.0.1 2525
    smtp_connect_timeout 10
}}
virtual_server 10.9.0.100 80 {{
    delay_loop 1
    lb_algo rr
    lb_kind NAT
    protocol TCP
    quorum 2
    smtp_alert on
    real_server 10.9.0.2 8080 {{
        TCP_CHECK {{
            connect_timeout 2
            retry 0
        }}
    }}
    real_server 10.9.0.3 8080 {{
        TCP_CHECK {{
            connect_timeout 2
            retry 0
        }}
    }}
}}
virtual_server fwmark 7 {{
    delay_loop 1
    lb_algo rr
    lb_kind DR
    real_server 10.9.0.2 8080 {{
        TCP_CHECK {{
            connect_port 8080
            connect_timeout 2
            retry 0
        }}
    }}
}}
"#,
        nf = lab.dir.join("notify.fifo").display(),
        lf = lab.dir.join("lvs.fifo").display(),
    )
}

/// One daemon's lines on lvs_notify_fifo and on notify_fifo, and its mails (subject, body).
type Run = (Vec<String>, Vec<String>, Vec<(String, String)>);

/// One daemon through the scenario.
fn run(who: &str) -> Option<Run> {
    let lab = lab_or_skip(
        "vm_lvs_fifo_lines_and_mails_as_keepalived",
        if who == "keepalived" { "lk" } else { "lo" },
        3,
    )?;
    let (d, r1, r2) = (
        lab.node(0).to_string(),
        lab.node(1).to_string(),
        lab.node(2).to_string(),
    );
    let sink = Sink::start(&lab, &d, &[])?;
    let lvs = Reader::start(lab.dir.join("lvs.fifo"));
    let all = Reader::start(lab.dir.join("notify.fifo"));
    let mut server1 = Some(Listener::start(&r1, "10.9.0.2:8080"));
    let _server2 = Listener::start(&r2, "10.9.0.3:8080");
    let text = conf(&lab);
    let mut daemon = lab.start_checkers_either(who, &d, "ours", &text);
    // Both real servers in before anything is taken down.
    let both_in = || {
        let out = Command::new("ip")
            .args(["netns", "exec", &d, "ipvsadm", "-Ln"])
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default();
        out.contains("10.9.0.2:8080") && out.contains("10.9.0.3:8080")
    };
    assert!(
        wait_for(Duration::from_secs(60), both_in).is_some(),
        "{who}: the real servers never came in\n{}",
        daemon.log_text()
    );
    std::thread::sleep(Duration::from_secs(3));
    let has = |line: &str| lvs.lines().iter().any(|l| l == line);
    let count = |line: &str| lvs.lines().iter().filter(|l| *l == line).count();
    // n2 stops answering: its two checkers fail (one per virtual server), both quorums go.
    server1.take();
    let down = ["VS [10.9.0.100]:tcp:80 DOWN", "VS FWM 7 DOWN"];
    assert!(
        wait_for(Duration::from_secs(60), || down.iter().all(|l| has(l))).is_some(),
        "{who}: {:?}\n{}",
        lvs.lines(),
        daemon.log_text()
    );
    // And answers again: each quorum's second UP.
    server1 = Some(Listener::start(&r1, "10.9.0.2:8080"));
    assert!(
        wait_for(Duration::from_secs(60), || {
            count("VS [10.9.0.100]:tcp:80 UP") == 2 && count("VS FWM 7 UP") == 2
        })
        .is_some(),
        "{who}: {:?}\n{}",
        lvs.lines(),
        daemon.log_text()
    );
    assert!(
        wait_for(Duration::from_secs(30), || sink.mails().len() >= 7).is_some(),
        "{who}: mails {:?}\n{}",
        sink.alerts(),
        daemon.log_text()
    );
    std::thread::sleep(Duration::from_secs(2));
    daemon.term(Duration::from_secs(30));
    drop(server1);
    std::thread::sleep(Duration::from_secs(1));
    Some((lvs.lines(), all.lines(), sink.alerts()))
}

/// The lines of one virtual server, in order.
fn of_vs(lines: &[String], vs: &str) -> Vec<String> {
    lines
        .iter()
        .filter(|l| l.ends_with(&format!("{vs} UP")) || l.ends_with(&format!("{vs} DOWN")))
        .cloned()
        .collect()
}

#[test]
fn vm_lvs_fifo_lines_and_mails_as_keepalived() {
    if !common::in_vm("vm_lvs_fifo_lines_and_mails_as_keepalived") {
        return;
    }
    let mut runs = Vec::new();
    for who in ["keepalived-rs", "keepalived"] {
        let Some(r) = run(who) else { return };
        println!("MEASURE: {who}: lvs_notify_fifo {:#?}", r.0);
        println!("MEASURE: {who}: mails {:#?}", r.2);
        runs.push((who, r));
    }
    let vs = "[10.9.0.100]:tcp:80";
    for (who, (lvs, all, _)) in &runs {
        assert_eq!(
            of_vs(lvs, vs),
            [
                format!("VS {vs} UP"),
                format!("RS [10.9.0.2]:tcp:8080 {vs} DOWN"),
                format!("VS {vs} DOWN"),
                format!("RS [10.9.0.2]:tcp:8080 {vs} UP"),
                format!("VS {vs} UP"),
            ],
            "{who}"
        );
        assert_eq!(lvs, all, "{who}: notify_fifo has the LVS lines too");
        assert_eq!(
            of_vs(lvs, "FWM 7"),
            [
                "VS FWM 7 UP",
                "RS [10.9.0.2]:none:0 FWM 7 DOWN",
                "VS FWM 7 DOWN",
                "RS [10.9.0.2]:none:0 FWM 7 UP",
                "VS FWM 7 UP",
            ],
            "{who}"
        );
        assert_eq!(lvs.len(), 10, "{who}: {lvs:?}");
    }
    // The same mails; within one event the order may differ between the two virtual servers'
    // checkers, so compare sorted.
    let mut ours = runs[0].1 .2.clone();
    let mut theirs = runs[1].1 .2.clone();
    ours.sort();
    theirs.sort();
    assert_eq!(ours, theirs);
    assert!(ours.contains(&(
        format!("[director] Realserver [10.9.0.2]:tcp:8080 of virtual server {vs} - DOWN"),
        "=> TCP CHECK failed on service <=".to_string()
    )));
    assert!(ours.contains(&(
        format!("[director] Virtualserver {vs} - DOWN"),
        "=> Lost quorum 2+0=2 <= 1 <=".to_string()
    )));
    assert!(ours.contains(&(
        format!("[director] Virtualserver {vs} - UP"),
        "=> Starting with quorum up 2+0=2 <= 2 <=".to_string()
    )));
    assert_eq!(ours.len(), 7, "{ours:#?}");
}

/// `rs_init_notifies`: at start each real server that starts up is told (its notify_up, `RS ...
/// UP`) before its virtual server's `VS ... UP`; not those of an `alpha` virtual server, which
/// start down (they are told when their first check passes). Both daemons, the same lines per
/// virtual server (keepalived 2.2.7 measured in this VM first). The alpha one's second real
/// server fails its first check: it was down from the start, and is told then (its notify_down
/// once, `RS ... DOWN`), as keepalived 2.2.7 does, with or without rs_init_notifies.
#[test]
fn vm_rs_init_notifies_as_keepalived() {
    if !common::in_vm("vm_rs_init_notifies_as_keepalived") {
        return;
    }
    let rs = |port: u16| {
        format!(
            "    real_server 10.9.0.2 {port} {{\n        TCP_CHECK {{\n            connect_timeout 2\n            retry 0\n        }}\n    }}\n"
        )
    };
    let vs = |addr: &str, alpha: &str, servers: String| {
        format!(
            "virtual_server {addr} 80 {{\n    delay_loop 1\n    lb_algo rr\n    lb_kind NAT\n    protocol TCP\n{alpha}{servers}}}\n"
        )
    };
    let mut runs = Vec::new();
    for who in ["keepalived-rs", "keepalived"] {
        let Some(lab) = lab_or_skip(
            "vm_rs_init_notifies_as_keepalived",
            if who == "keepalived" { "ik" } else { "io" },
            2,
        ) else {
            return;
        };
        let (d, r1) = (lab.node(0).to_string(), lab.node(1).to_string());
        let lvs = Reader::start(lab.dir.join("lvs.fifo"));
        let _server = Listener::start(&r1, "10.9.0.2:8080");
        let text = format!(
            "global_defs {{\n    rs_init_notifies\n    lvs_notify_fifo {}\n}}\n{}{}",
            lab.dir.join("lvs.fifo").display(),
            vs("10.9.0.100", "", rs(8080) + &rs(8082)),
            // 8083 has no listener: its first check fails.
            vs("10.9.0.101", "    alpha\n", rs(8080) + &rs(8083))
        )
        .replace(
            "8083 {\n",
            &format!(
                "8083 {{\n        notify_down \"/bin/sh -c 'echo down >> {}'\"\n",
                lab.dir.join("8083.down").display()
            ),
        );
        let mut daemon = lab.start_checkers_either(who, &d, "ours", &text);
        let want = 7;
        assert!(
            wait_for(Duration::from_secs(60), || lvs.lines().len() >= want).is_some(),
            "{who}: {:?}\n{}",
            lvs.lines(),
            daemon.log_text()
        );
        std::thread::sleep(Duration::from_secs(3));
        daemon.term(Duration::from_secs(30));
        println!("MEASURE: {who}: lvs_notify_fifo {:#?}", lvs.lines());
        // The alpha real server's notify_down ran once, for its first failed check.
        assert_eq!(
            std::fs::read_to_string(lab.dir.join("8083.down"))
                .ok()
                .as_deref(),
            Some("down\n"),
            "{who}: {}",
            daemon.log_text()
        );
        runs.push((who, lvs.lines()));
    }
    let (a, b) = ("[10.9.0.100]:tcp:80", "[10.9.0.101]:tcp:80");
    for (who, lines) in &runs {
        // The start: the first virtual server's real servers, then its quorum.
        assert_eq!(
            lines[..3],
            [
                format!("RS [10.9.0.2]:tcp:8080 {a} UP"),
                format!("RS [10.9.0.2]:tcp:8082 {a} UP"),
                format!("VS {a} UP"),
            ],
            "{who}: {lines:?}"
        );
        assert_eq!(
            of_vs(lines, a),
            [
                format!("RS [10.9.0.2]:tcp:8080 {a} UP"),
                format!("RS [10.9.0.2]:tcp:8082 {a} UP"),
                format!("VS {a} UP"),
                format!("RS [10.9.0.2]:tcp:8082 {a} DOWN"),
            ],
            "{who}"
        );
        // An alpha real server starts down: nothing at start; its first failed check is told
        // (measured: also without rs_init_notifies).
        // (8083's line and 8080's come from two checks, in either order.)
        let of_b = of_vs(lines, b);
        let mut sorted = of_b.clone();
        sorted.sort();
        assert_eq!(
            sorted,
            [
                format!("RS [10.9.0.2]:tcp:8080 {b} UP"),
                format!("RS [10.9.0.2]:tcp:8083 {b} DOWN"),
                format!("VS {b} UP"),
            ],
            "{who}"
        );
        let at = |l: String| of_b.iter().position(|x| *x == l);
        assert!(
            at(format!("RS [10.9.0.2]:tcp:8080 {b} UP")) < at(format!("VS {b} UP")),
            "{who}: {of_b:?}"
        );
        assert_eq!(lines.len(), 7, "{who}: {lines:?}");
    }
}

/// `rs_init_notifies` and a reload that adds a virtual server: what each daemon tells of the
/// new virtual server and its real servers (one up, one failing its first check). Both
/// daemons, the same lines.
#[test]
fn vm_rs_init_notifies_at_a_reload_as_keepalived() {
    let test = "vm_rs_init_notifies_at_a_reload_as_keepalived";
    if !common::in_vm(test) {
        return;
    }
    let rs = |port: u16| {
        format!(
            "    real_server 10.9.0.2 {port} {{\n        TCP_CHECK {{\n            connect_timeout 2\n            retry 0\n        }}\n    }}\n"
        )
    };
    let vs = |addr: &str, servers: String| {
        format!(
            "virtual_server {addr} 80 {{\n    delay_loop 1\n    lb_algo rr\n    lb_kind NAT\n    protocol TCP\n{servers}}}\n"
        )
    };
    let mut runs = Vec::new();
    for who in ["keepalived-rs", "keepalived"] {
        let Some(lab) = lab_or_skip(test, if who == "keepalived" { "rk" } else { "ro" }, 2) else {
            return;
        };
        let (d, r1) = (lab.node(0).to_string(), lab.node(1).to_string());
        let lvs = Reader::start(lab.dir.join("lvs.fifo"));
        let _server = Listener::start(&r1, "10.9.0.2:8080");
        let global = format!(
            "global_defs {{\n    rs_init_notifies\n    lvs_notify_fifo {}\n}}\n",
            lab.dir.join("lvs.fifo").display()
        );
        let first = format!("{global}{}", vs("10.9.0.100", rs(8080)));
        let second = format!("{first}{}", vs("10.9.0.101", rs(8080) + &rs(8082)));
        let name = if who == "keepalived" {
            "keepalived"
        } else {
            "ours"
        };
        let mut daemon = lab.start_checkers_either(who, &d, name, &first);
        assert!(
            wait_for(Duration::from_secs(60), || lvs.lines().len() >= 2).is_some(),
            "{who}: {:?}\n{}",
            lvs.lines(),
            daemon.log_text()
        );
        std::thread::sleep(Duration::from_secs(3));
        let before = lvs.lines().len();
        lab.write(&format!("{name}.conf"), &second);
        daemon.signal(nix::sys::signal::Signal::SIGHUP);
        // The new virtual server's lines, and 8082's failed check.
        wait_for(Duration::from_secs(30), || {
            lvs.lines()
                .iter()
                .any(|l| l.contains(":8082 [10.9.0.101]:tcp:80 DOWN"))
        });
        std::thread::sleep(Duration::from_secs(3));
        daemon.term(Duration::from_secs(30));
        let after: Vec<String> = lvs.lines()[before..].to_vec();
        println!("MEASURE: {who}: lvs_notify_fifo after the reload {after:#?}");
        runs.push((who, after));
    }
    // Measured: keepalived 2.2.7 tells the new virtual server's real servers that start up,
    // then its quorum, as at start; then 8082's failed check.
    assert_eq!(
        runs[1].1,
        [
            "RS [10.9.0.2]:tcp:8080 [10.9.0.101]:tcp:80 UP",
            "RS [10.9.0.2]:tcp:8082 [10.9.0.101]:tcp:80 UP",
            "VS [10.9.0.101]:tcp:80 UP",
            "RS [10.9.0.2]:tcp:8082 [10.9.0.101]:tcp:80 DOWN",
        ],
        "keepalived 2.2.7"
    );
    assert_eq!(
        runs[0].1, runs[1].1,
        "the lines after the reload: keepalived-rs (left), keepalived 2.2.7 (right)"
    );
}
