//! The daemon under a service manager: the sd_notify messages it sends to a real
//! `NOTIFY_SOCKET` (a datagram socket this test listens on), in order and with their content,
//! at start, reload and stop and with a watchdog, and a VRRP loop made to stall (the test hook
//! `KEEPALIVED_RS_TEST_STALL_VRRP_MS`) stopping the watchdog's pings. The daemon runs in the
//! netns lab; needs root, skips loudly without it.

mod common;

use std::os::unix::net::UnixDatagram;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use common::{lab_or_skip, ours_binary, wait_for, Conf, Daemon, Lab};

const VIP: &str = "10.9.0.100";

/// The test's end of NOTIFY_SOCKET: every datagram with the time it came.
struct NotifySocket {
    socket: UnixDatagram,
    path: PathBuf,
    start: Instant,
    got: Vec<(Duration, String)>,
}

impl NotifySocket {
    fn bind(lab: &Lab) -> NotifySocket {
        let path = lab.dir.join("notify.sock");
        let socket = UnixDatagram::bind(&path).expect("bind the notify socket");
        socket
            .set_read_timeout(Some(Duration::from_millis(50)))
            .unwrap();
        NotifySocket {
            socket,
            path,
            start: Instant::now(),
            got: Vec::new(),
        }
    }

    /// Reads what has come, for up to `limit` or until `done` holds for what came so far.
    fn read_until(&mut self, limit: Duration, mut done: impl FnMut(&[(Duration, String)]) -> bool) {
        let end = Instant::now() + limit;
        let mut buf = [0u8; 4096];
        while Instant::now() < end && !done(&self.got) {
            if let Ok(n) = self.socket.recv(&mut buf) {
                self.got.push((
                    self.start.elapsed(),
                    String::from_utf8_lossy(&buf[..n]).into_owned(),
                ));
            }
        }
    }

    /// The messages other than WATCHDOG=1, in order.
    fn messages(&self) -> Vec<&str> {
        self.got
            .iter()
            .map(|(_, m)| m.as_str())
            .filter(|m| *m != "WATCHDOG=1\n")
            .collect()
    }

    fn watchdog_times(&self) -> Vec<Duration> {
        self.got
            .iter()
            .filter(|(_, m)| m == "WATCHDOG=1\n")
            .map(|(t, _)| *t)
            .collect()
    }
}

/// `keepalived-rs -n -l -D` in namespace `ns` as systemd would start it: `env` its environment.
fn start(lab: &Lab, ns: &str, conf: &str, env: &[(&str, String)]) -> Daemon {
    let conf = lab.write("a.conf", conf);
    let mut cmd = Command::new("ip");
    cmd.args(["netns", "exec", ns])
        .arg(ours_binary())
        .args(["-n", "-l", "-D", "-f"])
        .arg(&conf)
        .arg("-p")
        .arg(lab.dir.join("a.pid"))
        .arg("-r")
        .arg(lab.dir.join("a-vrrp.pid"));
    for (k, v) in env {
        cmd.env(k, v);
    }
    Daemon::spawn_for_test(&mut cmd, lab.dir.join("a.log"))
}

#[test]
fn netns_sd_notify_ready_status_stopping() {
    let Some(lab) = lab_or_skip("netns_sd_notify_ready_status_stopping", "sd", 1) else {
        return;
    };
    let a = lab.node(0).to_string();
    let mut notify = NotifySocket::bind(&lab);
    // A notify script records its environment: the notification variables are not in it.
    let env_file = lab.dir.join("script-env");
    let mut c = Conf::v2("MASTER", 150);
    c.extra = format!(
        "    notify_master \"/bin/sh -c 'env > {}'\"\n",
        env_file.display()
    );
    let mut d = start(
        &lab,
        &a,
        &c.text(),
        &[("NOTIFY_SOCKET", notify.path.display().to_string())],
    );
    let start_time = Instant::now();
    let mut master_at = None;
    notify.read_until(Duration::from_secs(10), |got| {
        if master_at.is_none() && lab.has(&a, VIP) {
            master_at = Some(start_time.elapsed());
        }
        got.iter().any(|(_, m)| m.contains("VI_1 MASTER"))
    });
    assert!(lab.has(&a, VIP), "{}", d.log_text());
    assert_eq!(
        notify.messages(),
        [
            "READY=1\nSTATUS=1 instance: VI_1 BACKUP\n",
            "STATUS=1 instance: VI_1 MASTER\n"
        ],
        "{}",
        d.log_text()
    );
    assert!(
        notify.watchdog_times().is_empty(),
        "WATCHDOG=1 without WATCHDOG_USEC"
    );
    assert!(
        wait_for(Duration::from_secs(5), || env_file.exists()).is_some(),
        "notify_master did not run:\n{}",
        d.log_text()
    );
    // The script's environment is written by then (the file exists once `env` ran).
    std::thread::sleep(Duration::from_millis(200));
    let script_env = std::fs::read_to_string(&env_file).unwrap();
    assert!(
        !script_env.contains("NOTIFY_SOCKET"),
        "a script inherited NOTIFY_SOCKET:\n{script_env}"
    );

    // A reload (the same file): RELOADING=1 with the monotonic time, then READY=1 with the
    // status line (not "reloading").
    let before = notify.got.len();
    d.signal(nix::sys::signal::Signal::SIGHUP);
    notify.read_until(Duration::from_secs(10), |got| {
        got[before..].iter().any(|(_, m)| m.starts_with("READY=1"))
    });
    let reload: Vec<&str> = notify.got[before..]
        .iter()
        .map(|(_, m)| m.as_str())
        .filter(|m| *m != "WATCHDOG=1\n")
        .collect();
    assert_eq!(reload.len(), 2, "{reload:?}\n{}", d.log_text());
    let lines: Vec<&str> = reload[0].lines().collect();
    assert_eq!(lines[0], "RELOADING=1", "{reload:?}");
    let usec: u64 = lines[1]
        .strip_prefix("MONOTONIC_USEC=")
        .and_then(|u| u.parse().ok())
        .unwrap_or_else(|| panic!("{reload:?}"));
    let now = nix::time::clock_gettime(nix::time::ClockId::CLOCK_MONOTONIC).unwrap();
    let now = now.tv_sec() as u64 * 1_000_000 + now.tv_nsec() as u64 / 1000;
    assert!(usec <= now && now - usec < 10_000_000, "{usec} vs {now}");
    assert_eq!(lines[2], "STATUS=reloading the configuration");
    assert_eq!(reload[1], "READY=1\nSTATUS=1 instance: VI_1 MASTER\n");
    assert!(d.log_text().contains("Reload complete"), "{}", d.log_text());

    assert_eq!(d.term(Duration::from_secs(10)), Some(0), "{}", d.log_text());
    notify.read_until(Duration::from_millis(500), |_| false);
    let m = notify.messages();
    assert_eq!(
        m.last().copied(),
        Some("STOPPING=1\nSTATUS=stopping\n"),
        "{m:?}\n{}",
        d.log_text()
    );
    assert_eq!(m.len(), 5, "{m:?}");
    for (t, m) in &notify.got {
        eprintln!(
            "MEASURE: keepalived-rs sd_notify at {:.2} s: {m:?}",
            t.as_secs_f64()
        );
    }
    eprintln!("MEASURE: keepalived-rs took the VIP at {master_at:?}");
}

/// With WATCHDOG_USEC (1 s: a ping every 0.5 s) the daemon sends WATCHDOG=1 while its VRRP loop
/// turns; the loop made to stall after 3 s (the process still running, its other tasks too)
/// stops them.
#[test]
fn netns_sd_notify_watchdog_stops_when_the_vrrp_loop_stalls() {
    let Some(lab) = lab_or_skip(
        "netns_sd_notify_watchdog_stops_when_the_vrrp_loop_stalls",
        "wd",
        1,
    ) else {
        return;
    };
    let a = lab.node(0).to_string();
    let mut notify = NotifySocket::bind(&lab);
    let mut d = start(
        &lab,
        &a,
        &Conf::v2("BACKUP", 100).text(),
        &[
            ("NOTIFY_SOCKET", notify.path.display().to_string()),
            ("WATCHDOG_USEC", "1000000".to_string()),
            ("KEEPALIVED_RS_TEST_STALL_VRRP_MS", "3000".to_string()),
        ],
    );
    notify.read_until(Duration::from_secs(8), |_| false);
    let log = d.log_text();
    assert!(d.running(), "the daemon died:\n{log}");
    assert!(log.contains("test hook: the VRRP loop stalls"), "{log}");
    let pings = notify.watchdog_times();
    let before: Vec<_> = pings
        .iter()
        .filter(|t| **t < Duration::from_millis(2900))
        .collect();
    let after: Vec<_> = pings
        .iter()
        .filter(|t| **t > Duration::from_millis(4000))
        .collect();
    assert!(
        before.len() >= 3,
        "too few pings while the loop ran: {pings:?}\n{log}"
    );
    assert!(
        after.is_empty(),
        "pings after the loop stalled: {pings:?}\n{log}"
    );
    assert_eq!(
        notify.messages().first().copied(),
        Some("READY=1\nSTATUS=1 instance: VI_1 BACKUP\n"),
        "{log}"
    );
    // WATCHDOG_PID naming another process: the watchdog is not ours, no pings.
    d.kill9();
    let mut notify2 = NotifySocket {
        socket: UnixDatagram::bind(lab.dir.join("notify2.sock")).unwrap(),
        path: lab.dir.join("notify2.sock"),
        start: Instant::now(),
        got: Vec::new(),
    };
    notify2
        .socket
        .set_read_timeout(Some(Duration::from_millis(50)))
        .unwrap();
    let mut d2 = start(
        &lab,
        &a,
        &Conf::v2("BACKUP", 100).text(),
        &[
            ("NOTIFY_SOCKET", notify2.path.display().to_string()),
            ("WATCHDOG_USEC", "1000000".to_string()),
            ("WATCHDOG_PID", "1".to_string()),
        ],
    );
    notify2.read_until(Duration::from_secs(3), |_| false);
    assert!(
        notify2.watchdog_times().is_empty(),
        "{:?}\n{}",
        notify2.got,
        d2.log_text()
    );
    assert_eq!(notify2.messages().len(), 1, "{:?}", notify2.got);
    assert_eq!(
        d2.term(Duration::from_secs(10)),
        Some(0),
        "{}",
        d2.log_text()
    );
}

/// keepalived 2.2.7 through the same rig, for the record (docs/compat.md): it notifies only
/// when its parent is PID 1 named systemd, so it runs under a copy of `sh` named `systemd` as
/// PID 1 of a PID namespace of its own. Both daemons' messages are printed as MEASURE lines;
/// keepalived's are checked for what the comparison in docs/compat.md says: READY=1 (with
/// MAINPID) before its instance is MASTER, STOPPING=1 last, no STATUS= and no WATCHDOG=1.
#[test]
fn netns_sd_notify_keepalived_side_by_side() {
    let Some(lab) = lab_or_skip("netns_sd_notify_keepalived_side_by_side", "sk", 1) else {
        return;
    };
    if !std::path::Path::new(common::KEEPALIVED).exists()
        || Command::new("unshare").arg("--version").output().is_err()
    {
        eprintln!("SKIP: netns_sd_notify_keepalived_side_by_side: needs keepalived and unshare");
        return;
    }
    let a = lab.node(0).to_string();
    let conf = lab.write("k.conf", &Conf::v2("MASTER", 150).text());
    let fake_systemd = lab.dir.join("systemd");
    std::fs::copy("/bin/sh", &fake_systemd).unwrap();
    let mut notify = NotifySocket::bind(&lab);
    let script = format!(
        "{} -n -l -D -P -f {} -p {d}/k.pid -r {d}/k-vrrp.pid -c {d}/k-checkers.pid; true",
        common::KEEPALIVED,
        conf.display(),
        d = lab.dir.display()
    );
    let mut cmd = Command::new("ip");
    cmd.args([
        "netns",
        "exec",
        &a,
        "unshare",
        "--pid",
        "--fork",
        "--mount-proc",
    ])
    .arg(&fake_systemd)
    .args(["-c", &script])
    .env("NOTIFY_SOCKET", &notify.path)
    .env("WATCHDOG_USEC", "1000000");
    let mut k = Daemon::spawn_for_test(&mut cmd, lab.dir.join("k.log"));
    let mut master_at = None;
    let start = Instant::now();
    notify.read_until(Duration::from_secs(8), |_| {
        if master_at.is_none() && lab.has(&a, VIP) {
            master_at = Some(start.elapsed());
        }
        false
    });
    // A reload, then a stop, signalled to keepalived's main process itself (the fake systemd
    // is PID 1 of its PID namespace and would not pass signals on).
    signal_keepalived(&a, nix::sys::signal::Signal::SIGHUP);
    notify.read_until(Duration::from_secs(3), |_| false);
    signal_keepalived(&a, nix::sys::signal::Signal::SIGTERM);
    notify.read_until(Duration::from_secs(5), |got| {
        got.iter().any(|(_, m)| m.contains("STOPPING=1"))
    });
    k.kill9();
    for (t, m) in &notify.got {
        eprintln!(
            "MEASURE: keepalived 2.2.7 sd_notify at {:.2} s: {m:?}",
            t.as_secs_f64()
        );
    }
    eprintln!("MEASURE: keepalived 2.2.7 took the VIP at {master_at:?}");
    let msgs: Vec<&str> = notify
        .got
        .iter()
        .map(|(_, m)| m.as_str())
        .filter(|m| !m.is_empty())
        .collect();
    assert!(
        msgs.first()
            .is_some_and(|m| m.starts_with("READY=1\nMAINPID=")),
        "{msgs:?}\n{}",
        k.log_text()
    );
    assert_eq!(msgs.last().copied(), Some("STOPPING=1"), "{msgs:?}");
    assert!(
        !msgs
            .iter()
            .any(|m| m.contains("STATUS=") || m.contains("WATCHDOG=1")),
        "{msgs:?}"
    );
    let reload = msgs.iter().position(|m| *m == "RELOADING=1");
    assert!(
        reload.is_some_and(|r| msgs.get(r + 1).is_some_and(|m| m.starts_with("READY=1"))),
        "no RELOADING=1 then READY=1: {msgs:?}"
    );
    let ready_at = notify
        .got
        .iter()
        .find(|(_, m)| m.starts_with("READY=1"))
        .map(|(t, _)| *t)
        .unwrap();
    assert!(
        master_at.is_some_and(|m| ready_at < m),
        "READY=1 at {ready_at:?}, MASTER at {master_at:?}"
    );
}

/// Sends `sig` to keepalived's main process in namespace `ns` (the one whose parent is the fake
/// systemd), found by pid among the namespace's processes: the lab made the namespace, so every
/// process in it is this test's.
fn signal_keepalived(ns: &str, sig: nix::sys::signal::Signal) {
    let comm = |pid: &str| {
        std::fs::read_to_string(format!("/proc/{pid}/comm"))
            .unwrap_or_default()
            .trim()
            .to_string()
    };
    let parent = |pid: &str| {
        std::fs::read_to_string(format!("/proc/{pid}/status"))
            .unwrap_or_default()
            .lines()
            .find_map(|l| l.strip_prefix("PPid:").map(|p| p.trim().to_string()))
            .unwrap_or_default()
    };
    let pids = common::ip(&["netns", "pids", ns]).unwrap_or_default();
    for pid in pids.split_whitespace() {
        if comm(pid) == "keepalived" && comm(&parent(pid)) == "systemd" {
            if let Ok(n) = pid.parse::<i32>() {
                let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(n), sig);
            }
        }
    }
}
