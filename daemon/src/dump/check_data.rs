//! The LVS side's data dump (`keepalived_check.data`, SIGUSR1): keepalived 2.2.7's `LVS
//! Topology` and `Health checkers` sections (its checker process writes them; layout read off
//! its own file, captured with real IPVS in the test VM: daemon/tests/data/keepalived-2.2.7/
//! check.data) with the lines keepalived-rs has values for, then two sections of ours: each
//! checker's last word (why it is up or down, since when) and the IPVS reconciler's counters.
//! Pure.

use std::fmt::Write;

use super::text::{header, timestamp, yes_no};
use crate::snapshot::{LvsSnapshot, RealServerSnapshot, VirtualServerSnapshot};

/// `127.0.0.1:8080` or `[::1]:80` as address and port.
fn split(address: &str) -> (&str, &str) {
    match address.rsplit_once(':') {
        Some((a, p)) => (a.trim_start_matches('[').trim_end_matches(']'), p),
        None => (address, "0"),
    }
}

/// keepalived's name of a real server: `[127.0.0.1]:tcp:8080`.
fn rs_name(vs: &VirtualServerSnapshot, rs: &RealServerSnapshot) -> String {
    let (a, p) = split(&rs.address);
    format!("[{a}]:{}:{p}", vs.protocol.to_lowercase())
}

fn one_zero(b: bool) -> u8 {
    b.into()
}

/// Appends the `LVS Topology` section.
pub fn topology(out: &mut String, snap: &LvsSnapshot) {
    header(out, "LVS Topology");
    for vs in &snap.virtual_servers {
        let _ = writeln!(out, " ------< Virtual server >------");
        match (vs.vip, vs.fwmark) {
            (Some((addr, port)), _) => {
                let _ = writeln!(out, " VS VIP = {addr}, VPORT = {port}");
            }
            (None, Some(mark)) => {
                let _ = writeln!(out, " VS FWMARK = {mark}");
            }
            (None, None) => {
                let group = vs.name.trim_start_matches('[');
                let group = group.split(']').next().unwrap_or(group);
                let _ = writeln!(out, " VS GROUP = {group}");
            }
        }
        let _ = writeln!(out, "   lvs_sched = {}", vs.scheduler);
        if vs.persistence_timeout > 0 {
            let _ = writeln!(out, "   persistence timeout = {}", vs.persistence_timeout);
        }
        let _ = writeln!(out, "   protocol = {}", vs.protocol);
        let _ = writeln!(
            out,
            "   quorum = {}, hysteresis = {}",
            vs.quorum, vs.hysteresis
        );
        if vs.ha_suspend {
            let _ = writeln!(out, "   Using HA suspend");
        }
        if let Some(s) = &vs.sorry_server {
            let (a, p) = split(s);
            let _ = writeln!(
                out,
                "   sorry server = [{a}]:{}:{p}",
                vs.protocol.to_lowercase()
            );
        }
        let _ = writeln!(out, "   alive = {}", one_zero(vs.quorum_up));
        let _ = writeln!(out, "   quorum_state_up = {}", one_zero(vs.quorum_up));
        for rs in &vs.real_servers {
            let (a, p) = split(&rs.address);
            let effective = rs.weight.unwrap_or(rs.configured_weight);
            let _ = writeln!(out, "   ------< Real server >------");
            let _ = writeln!(
                out,
                "   RIP = {a}, RPORT = {p}, WEIGHT = {} EFF WEIGHT = {effective}",
                rs.configured_weight
            );
            let _ = writeln!(out, "   forwarding method = {}", rs.forwarding);
            let _ = writeln!(out, "   initial weight = {}", rs.configured_weight);
            let _ = writeln!(out, "   effective weight = {effective}");
            let _ = writeln!(out, "   alive = {}", one_zero(rs.alive));
            let failed = rs.checkers.iter().filter(|c| !c.up).count();
            let _ = writeln!(out, "   num failed checkers = {failed}");
        }
    }
}

/// Appends the `Health checkers` section.
pub fn checkers(out: &mut String, snap: &LvsSnapshot) {
    header(out, "Health checkers");
    for vs in &snap.virtual_servers {
        for rs in &vs.real_servers {
            for c in &rs.checkers {
                let _ = writeln!(out, " {} -> {}", vs.name, rs_name(vs, rs));
                // No for a checker suspended by ha_suspend (keepalived's checker->enabled).
                let _ = writeln!(out, "   Enabled = {}", yes_no(!vs.suspended));
                let _ = writeln!(out, "   Up = {}", yes_no(c.up));
                let _ = writeln!(out, "   Keepalive method = {}", c.kind);
            }
        }
    }
}

/// Appends our sections: each checker's last word, and the reconciler's counters.
pub fn ours(out: &mut String, snap: &LvsSnapshot) {
    header(out, "keepalived-rs checkers");
    let _ = writeln!(out, " Snapshot taken = {}", timestamp(snap.taken));
    for vs in &snap.virtual_servers {
        for rs in &vs.real_servers {
            for c in &rs.checkers {
                let _ = writeln!(
                    out,
                    " Checker = {} -> {} {}",
                    vs.name,
                    rs_name(vs, rs),
                    c.kind
                );
                let _ = writeln!(out, "   Up = {}", yes_no(c.up));
                let _ = writeln!(out, "   Since = {}", timestamp(c.since));
                let _ = writeln!(out, "   Reason = {}", c.reason);
                let _ = writeln!(out, "   Failures = {}", c.failures);
            }
        }
    }
    let r = &snap.reconciler;
    header(out, "keepalived-rs IPVS reconciler");
    let _ = writeln!(out, " Full passes = {}", r.full_passes);
    let _ = writeln!(out, " Updates = {}", r.updates);
    let _ = writeln!(out, " Reloads = {}", r.reloads);
    let _ = writeln!(out, " Operations = {}", r.operations);
    let _ = writeln!(out, " Drift corrections = {}", r.drift_corrections);
    let _ = writeln!(out, " Errors = {}", r.errors);
    let _ = writeln!(
        out,
        " Last full pass = {}",
        r.last_full_pass.map_or("never".into(), timestamp)
    );
    let _ = writeln!(
        out,
        " Last error = {}",
        r.last_error.as_deref().unwrap_or("none")
    );
}

#[cfg(test)]
pub(crate) mod tests {
    use std::sync::Arc;
    use std::time::{Duration, SystemTime};

    use super::*;
    use crate::snapshot::{CheckerSnapshot, ReconcilerSnapshot};

    /// The virtual servers of keepalived's capture (check.conf): a TCP one with a real server
    /// up and one down, a fwmark one.
    pub fn lvs() -> LvsSnapshot {
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_796_535_710);
        let checker = |kind, up, reason: &str| CheckerSnapshot {
            kind,
            up,
            reason: reason.into(),
            since: t,
            failures: u64::from(!up),
        };
        let rs = |address: &str, forwarding, w, up, c| RealServerSnapshot {
            address: address.into(),
            forwarding,
            configured_weight: w,
            alive: up,
            weight: up.then_some(w),
            checkers: vec![c],
        };
        LvsSnapshot {
            taken: t,
            virtual_servers: vec![
                Arc::new(VirtualServerSnapshot {
                    name: "[192.0.2.10]:tcp:80".into(),
                    ha_suspend: false,
                    suspended: false,
                    vip: Some(("192.0.2.10".parse().unwrap(), 80)),
                    fwmark: None,
                    protocol: "TCP",
                    services: vec!["TCP 192.0.2.10:80".into()],
                    scheduler: "rr".into(),
                    persistence_timeout: 50,
                    quorum: 1,
                    hysteresis: 0,
                    quorum_up: true,
                    sorry_server: None,
                    real_servers: vec![
                        rs(
                            "127.0.0.1:8080",
                            "NAT",
                            1,
                            true,
                            checker("TCP_CHECK", true, "connected"),
                        ),
                        rs(
                            "127.0.0.2:8081",
                            "NAT",
                            2,
                            false,
                            checker("HTTP_GET", false, "connection refused"),
                        ),
                    ],
                }),
                Arc::new(VirtualServerSnapshot {
                    name: "FWM 5".into(),
                    ha_suspend: false,
                    suspended: false,
                    vip: None,
                    fwmark: Some(5),
                    protocol: "none",
                    services: vec!["FWM 5".into()],
                    scheduler: "wlc".into(),
                    persistence_timeout: 0,
                    quorum: 1,
                    hysteresis: 0,
                    quorum_up: true,
                    sorry_server: None,
                    real_servers: vec![rs(
                        "127.0.0.3:0",
                        "DR",
                        3,
                        true,
                        checker("MISC_CHECK", true, "exit 0"),
                    )],
                }),
            ],
            reconciler: ReconcilerSnapshot {
                full_passes: 3,
                errors: 1,
                last_error: Some("EEXIST".into()),
                ..ReconcilerSnapshot::default()
            },
        }
    }

    /// Each line we write of keepalived's sections is, word for word, a line of keepalived's
    /// own file for the same configuration.
    #[test]
    fn keepalived_sections_are_lines_of_its_capture() {
        let mut out = String::new();
        topology(&mut out, &lvs());
        checkers(&mut out, &lvs());
        let capture: Vec<&str> = include_str!("../../tests/data/keepalived-2.2.7/check.data")
            .lines()
            .collect();
        let mut at = 0;
        for line in out.lines() {
            // In order: each found after the previous one.
            // keepalived adds the HTTP version to an HTTP checker's method line.
            let same = |c: &&str| *c == line || c.starts_with(&format!("{line}, http protocol"));
            match capture[at..].iter().position(same) {
                Some(p) => at += p + 1,
                None => panic!("{line:?} is not (in this order) in keepalived's check.data\n{out}"),
            }
        }
        assert!(out.contains("   RIP = 127.0.0.2, RPORT = 8081, WEIGHT = 2 EFF WEIGHT = 2\n"));
    }

    /// A virtual server with ha_suspend whose checkers are suspended, as keepalived 2.2.7
    /// wrote it (measured in the VM, its address absent): `Using HA suspend` after the quorum
    /// line, and `Enabled = no` for each checker (yes once the address is there).
    #[test]
    fn ha_suspend_and_a_suspended_checker() {
        let mut snap = lvs();
        let vs = Arc::make_mut(&mut snap.virtual_servers[0]);
        vs.ha_suspend = true;
        vs.suspended = true;
        let mut out = String::new();
        topology(&mut out, &snap);
        checkers(&mut out, &snap);
        assert!(
            out.contains("   quorum = 1, hysteresis = 0\n   Using HA suspend\n   alive = 1\n"),
            "{out}"
        );
        assert!(out.contains(
            " [192.0.2.10]:tcp:80 -> [127.0.0.1]:tcp:8080\n   Enabled = no\n   Up = yes\n"
        ));
        assert_eq!(out.matches("Using HA suspend").count(), 1);
        assert_eq!(out.matches("Enabled = no").count(), 2, "{out}");
        assert_eq!(out.matches("Enabled = yes").count(), 1, "{out}");
    }

    #[test]
    fn our_sections() {
        let mut out = String::new();
        ours(&mut out, &lvs());
        assert!(out.contains(
            " Checker = [192.0.2.10]:tcp:80 -> [127.0.0.2]:tcp:8081 HTTP_GET\n   Up = no\n"
        ));
        assert!(out.contains("   Reason = connection refused\n   Failures = 1\n"));
        assert!(out.contains(" Full passes = 3\n"));
        assert!(out.contains(" Last full pass = never\n Last error = EEXIST\n"));
    }
}
