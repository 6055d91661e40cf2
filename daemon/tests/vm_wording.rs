//! The LVS side's log lines in keepalived 2.2.7's words, on a real kernel (the test VM): the
//! checker child's lines keepalived logged in the same scenario
//! (tests/data/keepalived-2.2.7/syslog-lvs-dr-director.txt: a virtual server with a TCP_CHECK
//! and an HTTP_GET real server, both web servers stopped and started again, then SIGTERM) must
//! all be among ours, word for word (the addresses mapped to this lab's). Outside the VM the
//! test prints one `SKIP:` line.

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::{in_netns, in_vm, lab_or_skip, wait_for, Daemon};

/// keepalived's lines about what keepalived-rs does not have or does otherwise.
const NOT_OURS: &[&str] = &[
    "Initializing ipvs",
    "Activating BFD healthchecker",
    "Stopped - used",
    // Logged for each url of each HTTP_GET round while recovering: ours say the real server
    // is up once (`Remote Web server ... succeed on service.`).
    "HTTP status code success to",
];

/// A listener on port 80 in a namespace: plain TCP, or an HTTP server saying 200.
struct Server {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    fn start(ns: &str, addr: &'static str, http: bool) -> Server {
        let stop = Arc::new(AtomicBool::new(false));
        let s = stop.clone();
        let l = in_netns(ns, move || TcpListener::bind((addr, 80)).expect("listener"));
        l.set_nonblocking(true).unwrap();
        let thread = std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                match l.accept() {
                    Ok((mut c, _)) => {
                        if http {
                            c.set_nonblocking(false).ok();
                            c.set_read_timeout(Some(Duration::from_secs(2))).ok();
                            let mut buf = [0u8; 1024];
                            let _ = c.read(&mut buf);
                            let _ =
                                c.write_all(b"HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nok\n");
                        }
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(20)),
                }
            }
        });
        Server {
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[test]
fn vm_lvs_lines_are_keepalived_words() {
    if !in_vm("vm_lvs_lines_are_keepalived_words") {
        return;
    }
    let Some(lab) = lab_or_skip("vm_lvs_lines_are_keepalived_words", "lw", 3) else {
        return;
    };
    let (d, r1, r2) = (
        lab.node(0).to_string(),
        lab.node(1).to_string(),
        lab.node(2).to_string(),
    );
    let capture = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/keepalived-2.2.7/syslog-lvs-dr-director.txt"),
    )
    .unwrap();
    let conf = "virtual_server 10.9.0.100 80 {\n    delay_loop 2\n    lb_algo rr\n    lb_kind DR\n    protocol TCP\n    real_server 10.9.0.2 80 {\n        TCP_CHECK {\n            connect_timeout 1\n            retry 1\n            delay_before_retry 1\n        }\n    }\n    real_server 10.9.0.3 80 {\n        HTTP_GET {\n            url {\n                path /\n                status_code 200\n            }\n            connect_timeout 1\n            retry 1\n            delay_before_retry 1\n        }\n    }\n}\n";
    let file = lab.write("d.conf", conf);
    let mut cmd = Command::new("ip");
    cmd.args([
        "netns",
        "exec",
        &d,
        env!("CARGO_BIN_EXE_keepalived-rs"),
        "-n",
        "-l",
        "-D",
        "-C",
        "-f",
    ])
    .arg(&file);
    for (flag, f) in [("-p", "pid"), ("-r", "vrrp.pid"), ("-c", "checkers.pid")] {
        cmd.arg(flag).arg(lab.dir.join(format!("d.{f}")));
    }
    let mut daemon = Daemon::spawn_for_test(&mut cmd, lab.dir.join("d.log"));
    let a = Server::start(&r1, "10.9.0.2", false);
    let b = Server::start(&r2, "10.9.0.3", true);
    let has = |s: &str| daemon.log_text().contains(s);
    assert!(
        wait_for(Duration::from_secs(30), || has(
            "TCP connection to [10.9.0.2]:tcp:80 success."
        ) && has(
            "Remote Web server [10.9.0.3]:tcp:80 succeed on service."
        ))
        .is_some(),
        "{}",
        daemon.log_text()
    );
    drop((a, b));
    assert!(
        wait_for(Duration::from_secs(40), || has("Lost quorum")).is_some(),
        "{}",
        daemon.log_text()
    );
    let a = Server::start(&r1, "10.9.0.2", false);
    let b = Server::start(&r2, "10.9.0.3", true);
    assert!(
        wait_for(Duration::from_secs(40), || daemon
            .log_text()
            .matches("Adding service")
            .count()
            == 2)
        .is_some(),
        "{}",
        daemon.log_text()
    );
    assert_eq!(daemon.term(Duration::from_secs(20)), Some(0));
    drop((a, b));
    let ours: Vec<String> = daemon
        .log_text()
        .lines()
        .map(|l| l.get(26..).unwrap_or("").to_string())
        .collect();
    let wanted: Vec<String> = capture
        .lines()
        .filter(|l| l.contains("Keepalived_healthcheckers["))
        .filter_map(|l| l.split_once("]: ").map(|(_, m)| m.to_string()))
        .filter(|m| !NOT_OURS.iter().any(|n| m.starts_with(n)))
        .map(|m| m.replace("10.9.9.", "10.9.0."))
        .collect();
    assert!(wanted.len() >= 15, "{wanted:?}");
    let missing: Vec<&String> = wanted.iter().filter(|w| !ours.contains(w)).collect();
    assert!(
        missing.is_empty(),
        "keepalived's lines not in ours: {missing:#?}\nours:\n{}",
        ours.join("\n")
    );
}

/// A check's outcome lines (keepalived's words) in a daemon's log, sorted: from the first of
/// the words that start them to the end of the line.
fn outcome_lines(log: &str) -> Vec<String> {
    const STARTS: &[&str] = &[
        "TCP_CHECK on service",
        "HTTP_CHECK on service",
        "TCP connection to",
        "Remote Web server",
    ];
    let mut lines: Vec<String> = log
        .lines()
        .filter_map(|l| {
            STARTS
                .iter()
                .find_map(|s| l.find(s).map(|i| l[i..].to_string()))
        })
        .collect();
    lines.sort();
    lines
}

/// One daemon through the retry scenario: its outcome lines.
fn retry_run(who: &str) -> Option<Vec<String>> {
    let test = "vm_failure_lines_with_and_without_retries_as_keepalived";
    let lab = lab_or_skip(test, if who == "keepalived" { "rk" } else { "ro" }, 3)?;
    let (d, r1, r2) = (
        lab.node(0).to_string(),
        lab.node(1).to_string(),
        lab.node(2).to_string(),
    );
    // Port 80 answers until taken down; nothing listens on 81 and 82 (refused at once). NAT,
    // where a real server's port may differ from the virtual server's.
    let a = Server::start(&r1, "10.9.0.2", false);
    let b = Server::start(&r2, "10.9.0.3", true);
    let http = |port: u16, retry: u8| {
        format!(
            "    real_server 10.9.0.3 {port} {{\n        HTTP_GET {{\n            url {{\n                path /\n                status_code 200\n            }}\n            connect_timeout 1\n            retry {retry}\n            delay_before_retry 1\n        }}\n    }}\n"
        )
    };
    let tcp = |port: u16, retry: u8| {
        format!(
            "    real_server 10.9.0.2 {port} {{\n        TCP_CHECK {{\n            connect_timeout 1\n            retry {retry}\n            delay_before_retry 1\n        }}\n    }}\n"
        )
    };
    let conf = format!(
        "virtual_server 10.9.0.100 80 {{\n    delay_loop 1\n    lb_algo rr\n    lb_kind NAT\n    protocol TCP\n{}{}{}{}{}{}}}\n",
        tcp(80, 0),
        tcp(81, 0),
        tcp(82, 1),
        http(80, 0),
        http(81, 0),
        http(82, 1),
    );
    let mut daemon = lab.start_checkers_either(who, &d, "ours", &conf);
    let has = |s: &str| daemon.log_text().contains(s);
    assert!(
        wait_for(Duration::from_secs(30), || has(
            "TCP connection to [10.9.0.2]:tcp:80 success."
        ) && has(
            "Remote Web server [10.9.0.3]:tcp:80 succeed on service."
        ) && has("on service [10.9.0.2]:tcp:82 failed")
            && has("on service [10.9.0.3]:tcp:82 failed"))
        .is_some(),
        "{who}:\n{}",
        daemon.log_text()
    );
    drop((a, b));
    assert!(
        wait_for(Duration::from_secs(30), || has(
            "on service [10.9.0.2]:tcp:80 failed"
        ) && has(
            "on service [10.9.0.3]:tcp:80 failed"
        ))
        .is_some(),
        "{who}:\n{}",
        daemon.log_text()
    );
    daemon.term(Duration::from_secs(20));
    Some(outcome_lines(&daemon.log_text()))
}

/// A check's failure with `retry 0` and a real server down from the start: keepalived 2.2.7's
/// lines (with or without "after N retries") word for word.
#[test]
fn vm_failure_lines_with_and_without_retries_as_keepalived() {
    if !in_vm("vm_failure_lines_with_and_without_retries_as_keepalived") {
        return;
    }
    // Both runs end (and tear their labs down) before a failure is reported.
    let runs: Vec<_> = ["keepalived", "keepalived-rs"]
        .map(|who| std::thread::spawn(move || retry_run(who)))
        .into_iter()
        .map(|t| t.join())
        .collect::<Vec<_>>()
        .into_iter()
        .map(|r| r.unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
        .collect();
    let [Some(theirs), Some(ours)] = [runs[0].clone(), runs[1].clone()] else {
        return;
    };
    eprintln!(
        "keepalived:\n{}\nkeepalived-rs:\n{}",
        theirs.join("\n"),
        ours.join("\n")
    );
    assert_eq!(ours, theirs);
}

/// A MISC_CHECK whose program does not exist: keepalived 2.2.7 disables it ("Disabling misc
/// script ... since not found/accessible") and its real server, with no check left, stays in
/// the table; one whose program fails takes its real server out. Both daemons, one file.
#[test]
fn vm_misc_check_without_its_program_as_keepalived() {
    let test = "vm_misc_check_without_its_program_as_keepalived";
    if !in_vm(test) {
        return;
    }
    let conf = "virtual_server 10.9.0.100 80 {\n    delay_loop 1\n    lb_algo rr\n    lb_kind NAT\n    protocol TCP\n    real_server 10.9.0.2 80 {\n        MISC_CHECK {\n            misc_path \"/nonexistent/check 1\"\n        }\n    }\n    real_server 10.9.0.3 80 {\n        MISC_CHECK {\n            misc_path /bin/false\n        }\n    }\n}\n";
    for who in ["keepalived", "keepalived-rs"] {
        let Some(lab) = lab_or_skip(test, if who == "keepalived" { "mk" } else { "mo" }, 1) else {
            return;
        };
        let ns = lab.node(0).to_string();
        let mut daemon = lab.start_checkers_either(who, &ns, "ours", conf);
        assert!(
            wait_for(Duration::from_secs(30), || daemon
                .log_text()
                .contains("Removing service [10.9.0.3]:tcp:80"))
            .is_some(),
            "{who}:\n{}",
            daemon.log_text()
        );
        std::thread::sleep(Duration::from_secs(2));
        let table = common::ipvs_lines(&ns);
        assert_eq!(
            table,
            ["TCP 10.9.0.100:80 rr", "-> 10.9.0.2:80 Masq"],
            "{who}:\n{}",
            daemon.log_text()
        );
        daemon.term(Duration::from_secs(20));
    }
}
