//! What the daemon tells systemd, and when (the protocol itself is `sd_notify.rs`):
//!
//! - `READY=1` once the first configuration is applied: the VRRP instances started (the loop's
//!   first snapshot) and, when the LVS side runs from the start, the IPVS table programmed by
//!   its first full pass (the reconciler's counters in the LVS snapshot). With it, and on each
//!   change after it (at most one a second), a `STATUS=` line that `systemctl status` shows:
//!   `2 instances: VI_1 MASTER, VI_2 BACKUP; 3 virtual servers, 11/12 real servers up`. Both
//!   come from the snapshots the loops publish anyway (`snapshot.rs`): nothing here asks them.
//! - `WATCHDOG=1` every half `WATCHDOG_USEC`, but only when the VRRP loop has answered a ping
//!   ([`vrrpd::Command::Ping`]): a loop that stops turning stops the pings, and systemd's
//!   WatchdogSec= restarts the service.
//! - `STOPPING=1` from the stop signal's handler (`Notifier::stopping`).
//! - Around a reload (SIGHUP's handler): `Notifier::reloading` when it begins,
//!   `Notifier::reloaded` when it ends, applied or refused.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tokio::sync::watch;
use tracing::{debug, warn};

use crate::sd_notify::Notifier;
use crate::snapshot::{LvsSnapshot, VrrpSnapshot};
use crate::vrrpd;

/// At most one STATUS= line per this long (a flapping real server must not flood systemd).
const STATUS_EVERY: Duration = Duration::from_secs(1);

/// Up to this many instances are named in the status line; more are counted by state.
const NAMED_INSTANCES: usize = 8;

/// Test hook: the VRRP loop is told to stall ([`vrrpd::Command::Stall`]) this many
/// milliseconds after the start, to show that the watchdog's pings stop.
pub const STALL_ENV: &str = "KEEPALIVED_RS_TEST_STALL_VRRP_MS";

/// Starts the tasks that notify systemd: the status reporter, the watchdog (when `watchdog`,
/// systemd's WATCHDOG_USEC, is set) and the stall test hook. Without a notification socket,
/// only the test hook. `lvs_running`: an LVS side was started with the daemon (READY=1 waits
/// for its first pass). Must run inside the daemon's runtime.
pub fn start(
    notifier: &Notifier,
    watchdog: Option<Duration>,
    vrrp: vrrpd::Handle,
    lvs: watch::Receiver<Arc<LvsSnapshot>>,
    lvs_running: bool,
) {
    if let Some(ms) = std::env::var(STALL_ENV)
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
    {
        let handle = vrrp.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            handle.stall();
        });
    }
    if !notifier.enabled() {
        return;
    }
    tokio::spawn(report(notifier.clone(), vrrp.snapshots(), lvs, lvs_running));
    if let Some(timeout) = watchdog {
        tokio::spawn(ping_watchdog(notifier.clone(), timeout / 2, vrrp));
    }
}

/// Sends `READY=1` with the first status once the VRRP loop has published (its instances are
/// started) and, when `lvs_running`, the LVS side has done its first full pass, then `STATUS=`
/// on each change, at most one a second. An LVS side that ends (its snapshot sender dropped)
/// no longer holds READY back. Ends when the VRRP loop ends.
pub async fn report(
    notifier: Notifier,
    mut vrrp: watch::Receiver<Arc<VrrpSnapshot>>,
    mut lvs: watch::Receiver<Arc<LvsSnapshot>>,
    mut lvs_running: bool,
) {
    let mut ready = false;
    let mut last = String::new();
    let mut lvs_open = true;
    loop {
        let v = vrrp.borrow_and_update().clone();
        let l = lvs.borrow_and_update().clone();
        let line = status_line(&v, &l);
        let started = v.taken != SystemTime::UNIX_EPOCH;
        let lvs_pending = lvs_running && l.reconciler.full_passes == 0;
        if !ready && started && !lvs_pending {
            ready = true;
            send("READY=1", notifier.ready(&line));
            last = line;
            tokio::time::sleep(STATUS_EVERY).await;
            continue;
        } else if ready && line != last {
            send("STATUS=", notifier.status(&line));
            last = line;
            tokio::time::sleep(STATUS_EVERY).await;
            continue;
        }
        // A reload may start an LVS side later: its snapshots come on the same channel and
        // change the line.
        let lvs_changed = async {
            if lvs_open {
                lvs.changed().await.is_ok()
            } else {
                std::future::pending().await
            }
        };
        tokio::select! {
            changed = vrrp.changed() => if changed.is_err() { return },
            open = lvs_changed => if !open {
                // The LVS side is gone: it no longer holds READY=1 back; its last snapshot
                // stays in the line.
                lvs_open = false;
                lvs_running = false;
            },
        }
    }
}

/// Pings the VRRP loop every `every` and sends `WATCHDOG=1` for each answer that comes within
/// `every`. Ends when the loop is gone.
pub async fn ping_watchdog(notifier: Notifier, every: Duration, vrrp: vrrpd::Handle) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let Ok(pong) = vrrp.ping() else {
            return;
        };
        match tokio::time::timeout(every, pong).await {
            Ok(Ok(())) => send("WATCHDOG=1", notifier.watchdog()),
            Ok(Err(_)) => return,
            Err(_) => {
                warn!("watchdog: the VRRP loop did not answer within {every:?}; no WATCHDOG=1")
            }
        }
    }
}

/// A notification that could not be sent is logged at debug level: systemd may be restarting,
/// and the daemon runs on regardless.
fn send(what: &str, result: std::io::Result<()>) {
    if let Err(e) = result {
        debug!("sd_notify {what}: {e}");
    }
}

/// The status line: the instances and their states (named up to [`NAMED_INSTANCES`], else
/// counted by state), then the virtual servers and how many of their real servers are up.
pub fn status_line(vrrp: &VrrpSnapshot, lvs: &LvsSnapshot) -> String {
    let mut parts = Vec::new();
    let n = vrrp.instances.len();
    if n > 0 {
        let plural = if n == 1 { "instance" } else { "instances" };
        let detail = if n <= NAMED_INSTANCES {
            vrrp.instances
                .iter()
                .map(|i| format!("{} {}", i.name, i.state))
                .collect::<Vec<_>>()
                .join(", ")
        } else {
            let mut counts: Vec<(&str, usize)> = Vec::new();
            for i in &vrrp.instances {
                match counts.iter_mut().find(|(x, _)| *x == i.state) {
                    Some((_, c)) => *c += 1,
                    None => counts.push((i.state, 1)),
                }
            }
            counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
            counts
                .iter()
                .map(|(w, c)| format!("{c} {w}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        parts.push(format!("{n} {plural}: {detail}"));
    }
    let vs = lvs.virtual_servers.len();
    if vs > 0 {
        let plural = if vs == 1 {
            "virtual server"
        } else {
            "virtual servers"
        };
        let (mut up, mut total) = (0, 0);
        for v in &lvs.virtual_servers {
            total += v.real_servers.len();
            up += v.real_servers.iter().filter(|r| r.alive).count();
        }
        parts.push(format!("{vs} {plural}, {up}/{total} real servers up"));
    }
    if parts.is_empty() {
        "running: no VRRP instance, no virtual server".to_string()
    } else {
        parts.join("; ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::{
        InstanceSnapshot, InstanceStats, RealServerSnapshot, ReconcilerSnapshot,
        VirtualServerSnapshot,
    };
    use std::os::unix::net::UnixDatagram;

    fn instance(name: &str, state: &'static str) -> InstanceSnapshot {
        InstanceSnapshot {
            name: name.into(),
            interface: "eth0".into(),
            vmac: None,
            vrid: 51,
            version: 2,
            ipv6: false,
            state,
            wanted_state: "BACKUP",
            base_priority: 100,
            effective_priority: 100,
            advert_interval: Duration::from_secs(1),
            preempt: true,
            preempt_delay: Duration::ZERO,
            accept: false,
            last_transition: SystemTime::now(),
            last_transition_from: "INIT",
            transitions: 0,
            master: None,
            master_heard: None,
            source: "192.0.2.1".parse().unwrap(),
            multicast_group: None,
            unicast_peers: Vec::new(),
            unicast_peer_ttl: Vec::new(),
            unicast_ttl: 255,
            check_unicast_src: false,
            auth_pass: None,
            auth_type: 0,
            vips: Vec::new(),
            vip_addrs: Vec::new(),
            excluded_vips: Vec::new(),
            routes: Vec::new(),
            rules: Vec::new(),
            tracked: Vec::new(),
            garp_delay: Duration::ZERO,
            garp_repeat: 5,
            garp_refresh: Duration::ZERO,
            garp_refresh_repeat: 1,
            garp_lower_prio_delay: Duration::ZERO,
            garp_lower_prio_repeat: 0,
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
            stats: InstanceStats::default(),
            drops: Vec::new(),
        }
    }

    fn vrrp(instances: &[(&str, &'static str)]) -> Arc<VrrpSnapshot> {
        Arc::new(VrrpSnapshot {
            taken: SystemTime::now(),
            instances: instances.iter().map(|(n, s)| instance(n, s)).collect(),
            groups: Vec::new(),
            static_addresses: Vec::new(),
            static_routes: Vec::new(),
            static_rules: Vec::new(),
            receivers: Vec::new(),
        })
    }

    /// `alive` per virtual server; `full_passes` the reconciler's count.
    fn lvs(alive: &[&[bool]], full_passes: u64) -> Arc<LvsSnapshot> {
        Arc::new(LvsSnapshot {
            taken: SystemTime::now(),
            virtual_servers: alive
                .iter()
                .enumerate()
                .map(|(i, rs)| {
                    Arc::new(VirtualServerSnapshot {
                        name: format!("[192.0.2.{i}]:tcp:80"),
                        ha_suspend: false,
                        suspended: false,
                        vip: None,
                        fwmark: None,
                        protocol: "TCP",
                        services: Vec::new(),
                        scheduler: "rr".into(),
                        persistence_timeout: 0,
                        quorum: 1,
                        hysteresis: 0,
                        quorum_up: true,
                        sorry_server: None,
                        real_servers: rs
                            .iter()
                            .enumerate()
                            .map(|(j, a)| RealServerSnapshot {
                                address: format!("198.51.100.{j}:80"),
                                forwarding: "DR",
                                configured_weight: 1,
                                alive: *a,
                                weight: a.then_some(1),
                                checkers: Vec::new(),
                            })
                            .collect(),
                    })
                })
                .collect(),
            reconciler: ReconcilerSnapshot {
                full_passes,
                ..ReconcilerSnapshot::default()
            },
        })
    }

    #[test]
    fn status_lines() {
        let none = LvsSnapshot::default();
        assert_eq!(
            status_line(
                &vrrp(&[("VI_1", "MASTER"), ("VI_2", "BACKUP")]),
                &lvs(&[&[true, true, false], &[true; 4], &[true; 5]], 1)
            ),
            "2 instances: VI_1 MASTER, VI_2 BACKUP; 3 virtual servers, 11/12 real servers up"
        );
        assert_eq!(
            status_line(&vrrp(&[("VI_1", "FAULT")]), &none),
            "1 instance: VI_1 FAULT"
        );
        assert_eq!(
            status_line(&VrrpSnapshot::default(), &lvs(&[&[true, false]], 1)),
            "1 virtual server, 1/2 real servers up"
        );
        assert_eq!(
            status_line(&VrrpSnapshot::default(), &none),
            "running: no VRRP instance, no virtual server"
        );
        let names: Vec<String> = (0..10).map(|i| format!("VI_{i}")).collect();
        let many: Vec<(&str, &'static str)> = names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.as_str(), if i < 7 { "BACKUP" } else { "MASTER" }))
            .collect();
        assert_eq!(
            status_line(&vrrp(&many), &none),
            "10 instances: 7 BACKUP, 3 MASTER"
        );
    }

    fn listener(tag: &str) -> (UnixDatagram, Notifier, std::path::PathBuf) {
        let dir = std::env::temp_dir().join(format!("krs-systemd-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("notify.sock");
        let s = UnixDatagram::bind(&path).unwrap();
        s.set_nonblocking(true).unwrap();
        (s, Notifier::to_socket(path.as_os_str()), dir)
    }

    fn drain(s: &UnixDatagram) -> Vec<String> {
        let mut out = Vec::new();
        let mut buf = [0u8; 4096];
        while let Ok(n) = s.recv(&mut buf) {
            out.push(String::from_utf8_lossy(&buf[..n]).into_owned());
        }
        out
    }

    /// READY=1 waits for the VRRP loop's first snapshot and the LVS side's first full pass; a
    /// status change is reported once; the reporter ends with the VRRP loop.
    #[tokio::test(start_paused = true)]
    async fn ready_waits_for_vrrp_and_the_first_ipvs_pass() {
        let (s, notifier, dir) = listener("ready");
        let (vtx, vrx) = watch::channel(Arc::new(VrrpSnapshot::default()));
        let (ltx, lrx) = watch::channel(lvs(&[&[true, true]], 0));
        let task = tokio::spawn(report(notifier, vrx, lrx, true));
        tokio::time::sleep(Duration::from_millis(10)).await;
        vtx.send_replace(vrrp(&[("VI_1", "BACKUP")]));
        tokio::time::sleep(Duration::from_millis(10)).await;
        assert!(drain(&s).is_empty(), "READY=1 before the IPVS table");
        ltx.send_replace(lvs(&[&[true, true]], 1));
        tokio::time::sleep(Duration::from_millis(10)).await;
        assert_eq!(
            drain(&s),
            ["READY=1\nSTATUS=1 instance: VI_1 BACKUP; 1 virtual server, 2/2 real servers up\n"]
        );
        // Two changes within a second: one STATUS= line, the latest.
        vtx.send_replace(vrrp(&[("VI_1", "MASTER")]));
        ltx.send_replace(lvs(&[&[true, false]], 2));
        tokio::time::sleep(Duration::from_millis(2000)).await;
        assert_eq!(
            drain(&s),
            ["STATUS=1 instance: VI_1 MASTER; 1 virtual server, 1/2 real servers up\n"]
        );
        // A new snapshot saying the same: nothing sent.
        ltx.send_replace(lvs(&[&[true, false]], 3));
        tokio::time::sleep(Duration::from_millis(2000)).await;
        assert!(drain(&s).is_empty());
        drop(vtx);
        tokio::time::timeout(Duration::from_secs(5), task)
            .await
            .expect("the reporter ends with the VRRP loop")
            .unwrap();
        std::fs::remove_dir_all(dir).unwrap();
    }

    /// Without an LVS side READY=1 waits for VRRP alone (a reload's later LVS side only
    /// changes the line); an LVS side that ends before its first pass does not hold it back.
    #[tokio::test(start_paused = true)]
    async fn an_lvs_side_that_does_not_run_does_not_hold_ready_back() {
        let (s, notifier, dir) = listener("lvsnone");
        let (vtx, vrx) = watch::channel(vrrp(&[("VI_1", "BACKUP")]));
        let (ltx, lrx) = watch::channel(Arc::new(LvsSnapshot::default()));
        tokio::spawn(report(notifier, vrx, lrx, false));
        tokio::time::sleep(Duration::from_millis(10)).await;
        assert_eq!(drain(&s), ["READY=1\nSTATUS=1 instance: VI_1 BACKUP\n"]);
        ltx.send_replace(lvs(&[&[true]], 0));
        tokio::time::sleep(Duration::from_millis(2000)).await;
        assert_eq!(
            drain(&s),
            ["STATUS=1 instance: VI_1 BACKUP; 1 virtual server, 1/1 real servers up\n"]
        );
        drop(vtx);

        let (s, notifier, dir2) = listener("lvsgone");
        let (vtx, vrx) = watch::channel(vrrp(&[("VI_1", "BACKUP")]));
        let (ltx, lrx) = watch::channel(Arc::new(LvsSnapshot::default()));
        tokio::spawn(report(notifier, vrx, lrx, true));
        tokio::time::sleep(Duration::from_millis(10)).await;
        assert!(drain(&s).is_empty());
        drop(ltx);
        tokio::time::sleep(Duration::from_millis(10)).await;
        let got = drain(&s);
        assert_eq!(got, ["READY=1\nSTATUS=1 instance: VI_1 BACKUP\n"]);
        // No spinning on the closed channel: a VRRP change is still reported.
        vtx.send_replace(vrrp(&[("VI_1", "MASTER")]));
        tokio::time::sleep(Duration::from_millis(2000)).await;
        assert_eq!(drain(&s), ["STATUS=1 instance: VI_1 MASTER\n"]);
        drop(vtx);
        std::fs::remove_dir_all(dir).unwrap();
        std::fs::remove_dir_all(dir2).unwrap();
    }

    /// The watchdog sends WATCHDOG=1 only for pings the loop answers.
    #[tokio::test(start_paused = true)]
    async fn watchdog_pings_need_answers() {
        let (s, notifier, dir) = listener("wd");
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        tokio::spawn(ping_watchdog(
            notifier,
            Duration::from_secs(5),
            vrrpd::Handle::from_sender(tx),
        ));
        // A loop that answers three pings, then stops answering.
        let loop_task = tokio::spawn(async move {
            for _ in 0..3 {
                match rx.recv().await {
                    Some(vrrpd::Event::Command(vrrpd::Command::Ping(p))) => p.send(()).unwrap(),
                    _ => panic!("not a ping"),
                }
            }
            // Stuck: holds the receiver, answers nothing.
            std::future::pending::<()>().await;
            drop(rx);
        });
        tokio::time::sleep(Duration::from_secs(12)).await;
        assert_eq!(drain(&s), ["WATCHDOG=1\n"; 3]);
        tokio::time::sleep(Duration::from_secs(60)).await;
        assert!(drain(&s).is_empty(), "WATCHDOG=1 from a stuck loop");
        loop_task.abort();
        std::fs::remove_dir_all(dir).unwrap();
    }
}
