//! `keepalived-rs realserver up|down|status VIP...`: the real-server side of LVS-DR. A real
//! server behind a DR director receives packets addressed to the VIP unchanged, so it must hold
//! the VIP (on `lo`, where it answers nothing on the wire) and must not answer ARP for it, or it
//! would steal the VIP from the director:
//!
//! - each VIP on `lo`: IPv4 as /32, IPv6 as /128 with `nodad`;
//! - with any IPv4 VIP, `arp_ignore=1` (answer ARP only for addresses on the interface asked)
//!   and `arp_announce=2` (never announce the VIP as a source) for `all`, `default` and `lo`.
//!   IPv6 needs nothing more: the kernel answers neighbour solicitations only for addresses
//!   on the interface they come in on.
//!
//! `up` changes only what is missing (run twice, the second changes nothing); the ARP settings'
//! earlier values are recorded in a state file (under /run, so gone with the settings at
//! reboot), and `down` puts them back once no IPv4 VIP is left on `lo`. `--dry-run` prints what
//! would change. `status` checks and exits 1 naming what is missing.
//!
//! Planning is pure ([`plan_up`], [`plan_down`], [`check`] over an [`Observed`] system); the
//! edges read /proc/sys and `lo`'s addresses and change them through rtnetlink.

use std::fmt;
use std::io;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::vrrpd::kernel::Netlink;
use crate::vrrpd::plan::Vip;

/// Where `up` records the ARP settings' earlier values by default (the unit's
/// RuntimeDirectory).
pub const DEFAULT_STATE_FILE: &str = "/run/keepalived-rs-realserver/arp-sysctls";

/// The ARP settings an LVS-DR real server needs with IPv4 VIPs: (interface, setting, value).
pub const ARP_SETTINGS: [(&str, &str, u8); 6] = [
    ("all", "arp_ignore", 1),
    ("all", "arp_announce", 2),
    ("default", "arp_ignore", 1),
    ("default", "arp_announce", 2),
    ("lo", "arp_ignore", 1),
    ("lo", "arp_announce", 2),
];

/// A setting's sysctl name (`net.ipv4.conf.all.arp_ignore`).
pub fn sysctl_name(iface: &str, setting: &str) -> String {
    format!("net.ipv4.conf.{iface}.{setting}")
}

/// Its file under /proc/sys.
fn sysctl_path(root: &Path, name: &str) -> PathBuf {
    root.join(name.replace('.', "/"))
}

/// A VIP as given on the command line: `ADDR`, or `ADDR/32` / `ADDR/128`.
pub fn parse_vip(s: &str) -> Result<IpAddr, String> {
    let (addr, prefix) = match s.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (s, None),
    };
    let ip: IpAddr = addr
        .parse()
        .map_err(|_| format!("'{addr}' is not an IPv4 or IPv6 address"))?;
    let full = if ip.is_ipv4() { "32" } else { "128" };
    match prefix {
        None => Ok(ip),
        Some(p) if p == full => Ok(ip),
        Some(p) => Err(format!(
            "a VIP on lo is a single address (/{full}), not /{p}"
        )),
    }
}

fn prefix_len(ip: &IpAddr) -> u8 {
    if ip.is_ipv4() {
        32
    } else {
        128
    }
}

/// What the system holds now.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Observed {
    /// The addresses on `lo`.
    pub lo: Vec<IpAddr>,
    /// Each ARP setting's sysctl name and value (None when it cannot be read).
    pub sysctls: Vec<(String, Option<u8>)>,
    /// The values recorded by an earlier `up`, if any.
    pub saved: Option<Vec<(String, u8)>>,
}

impl Observed {
    fn sysctl(&self, name: &str) -> Option<u8> {
        self.sysctls
            .iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, v)| *v)
    }
}

/// One change to make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    AddAddress(IpAddr),
    RemoveAddress(IpAddr),
    /// Record the ARP settings' values before they change (sysctl name, value).
    Save(Vec<(String, u8)>),
    SetSysctl {
        name: String,
        from: Option<u8>,
        to: u8,
    },
    /// The record is used up (the settings are back).
    Forget,
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Change::AddAddress(a) => write!(f, "add {a}/{} to lo", prefix_len(a)),
            Change::RemoveAddress(a) => write!(f, "remove {a}/{} from lo", prefix_len(a)),
            Change::Save(v) => write!(
                f,
                "record the ARP settings' current values ({})",
                v.iter()
                    .map(|(n, x)| format!("{n}={x}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            ),
            Change::SetSysctl { name, from, to } => match from {
                Some(x) => write!(f, "set {name} = {to} (was {x})"),
                None => write!(f, "set {name} = {to}"),
            },
            Change::Forget => write!(f, "forget the recorded ARP settings"),
        }
    }
}

/// What `up VIPS` must change: the missing addresses, then (with an IPv4 VIP) the ARP settings
/// not yet right, their earlier values recorded first unless a record exists.
pub fn plan_up(obs: &Observed, vips: &[IpAddr]) -> Vec<Change> {
    let mut out = Vec::new();
    if vips.iter().any(IpAddr::is_ipv4) {
        let wrong: Vec<(String, Option<u8>, u8)> = ARP_SETTINGS
            .iter()
            .map(|(i, s, want)| (sysctl_name(i, s), *want))
            .filter_map(|(n, want)| {
                let now = obs.sysctl(&n);
                (now != Some(want)).then_some((n, now, want))
            })
            .collect();
        if !wrong.is_empty() && obs.saved.is_none() {
            // Every setting's value, not only the wrong ones: `down` puts back exactly these.
            out.push(Change::Save(
                ARP_SETTINGS
                    .iter()
                    .filter_map(|(i, s, _)| {
                        let n = sysctl_name(i, s);
                        obs.sysctl(&n).map(|v| (n, v))
                    })
                    .collect(),
            ));
        }
        // The settings before the addresses: an IPv4 VIP must never be answered for by ARP.
        for (name, from, to) in wrong {
            out.push(Change::SetSysctl { name, from, to });
        }
    }
    for v in dedup(vips) {
        if !obs.lo.contains(&v) {
            out.push(Change::AddAddress(v));
        }
    }
    out
}

/// What `down VIPS` must change: the addresses there; then, when no IPv4 VIP is left on `lo`
/// and an earlier `up` recorded the ARP settings, those values back. Also returns a note when
/// the settings stay as they are for want of a record.
pub fn plan_down(obs: &Observed, vips: &[IpAddr]) -> (Vec<Change>, Option<String>) {
    let vips = dedup(vips);
    let mut out: Vec<Change> = vips
        .iter()
        .filter(|v| obs.lo.contains(v))
        .map(|v| Change::RemoveAddress(*v))
        .collect();
    let v4_left = obs.lo.iter().any(|a| is_vip4(a) && !vips.contains(a));
    if v4_left {
        return (out, None);
    }
    let note = match &obs.saved {
        Some(saved) => {
            for (name, value) in saved {
                let now = obs.sysctl(name);
                if now != Some(*value) {
                    out.push(Change::SetSysctl {
                        name: name.clone(),
                        from: now,
                        to: *value,
                    });
                }
            }
            out.push(Change::Forget);
            None
        }
        None if vips.iter().any(IpAddr::is_ipv4) => {
            Some("ARP settings left as they are: no record of their earlier values".to_string())
        }
        None => None,
    };
    (out, note)
}

/// An IPv4 address on `lo` that is a VIP (not loopback).
fn is_vip4(a: &IpAddr) -> bool {
    matches!(a, IpAddr::V4(v4) if !v4.is_loopback())
}

fn dedup(vips: &[IpAddr]) -> Vec<IpAddr> {
    let mut out: Vec<IpAddr> = Vec::new();
    for v in vips {
        if !out.contains(v) {
            out.push(*v);
        }
    }
    out
}

/// One line of `status`: whether it is in place, and what.
pub fn check(obs: &Observed, vips: &[IpAddr]) -> Vec<(bool, String)> {
    let mut out = Vec::new();
    for v in dedup(vips) {
        let ok = obs.lo.contains(&v);
        out.push((ok, format!("{v}/{} on lo", prefix_len(&v))));
    }
    if vips.iter().any(IpAddr::is_ipv4) {
        for (i, s, want) in ARP_SETTINGS {
            let name = sysctl_name(i, s);
            let line = match obs.sysctl(&name) {
                Some(v) if v == want => (true, format!("{name} = {want}")),
                Some(v) => (false, format!("{name} = {v}, should be {want}")),
                None => (false, format!("{name} cannot be read, should be {want}")),
            };
            out.push(line);
        }
    }
    out
}

/// Reads the state file: `name=value` lines. A missing file is no record.
pub fn read_saved(path: &Path) -> io::Result<Option<Vec<(String, u8)>>> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let mut out = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let parsed = line
            .split_once('=')
            .and_then(|(n, v)| Some((n.trim().to_string(), v.trim().parse::<u8>().ok()?)))
            .filter(|(n, _)| ARP_SETTINGS.iter().any(|(i, s, _)| sysctl_name(i, s) == *n));
        match parsed {
            Some(p) => out.push(p),
            None => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("{}: not a recorded ARP setting: '{line}'", path.display()),
                ))
            }
        }
    }
    Ok(Some(out))
}

/// Reads what the system holds: `lo`'s addresses, the ARP settings under `proc_sys`, the record.
pub fn observe(proc_sys: &Path, state_file: &Path) -> io::Result<Observed> {
    let mut lo = Vec::new();
    for a in nix::ifaddrs::getifaddrs().map_err(io::Error::from)? {
        if a.interface_name != "lo" {
            continue;
        }
        let Some(addr) = a.address else { continue };
        if let Some(s) = addr.as_sockaddr_in() {
            lo.push(IpAddr::V4(s.ip()));
        } else if let Some(s) = addr.as_sockaddr_in6() {
            lo.push(IpAddr::V6(s.ip()));
        }
    }
    let sysctls = ARP_SETTINGS
        .iter()
        .map(|(i, s, _)| {
            let name = sysctl_name(i, s);
            let v = std::fs::read_to_string(sysctl_path(proc_sys, &name))
                .ok()
                .and_then(|t| t.trim().parse::<u8>().ok());
            (name, v)
        })
        .collect();
    Ok(Observed {
        lo,
        sysctls,
        saved: read_saved(state_file)?,
    })
}

fn lo_vip(addr: IpAddr) -> Vip {
    Vip {
        nodad: addr.is_ipv6(),
        ..Vip::plain(addr, prefix_len(&addr), "lo")
    }
}

/// Carries out one change.
async fn apply(
    change: &Change,
    netlink: &Netlink,
    proc_sys: &Path,
    state_file: &Path,
) -> io::Result<()> {
    match change {
        Change::AddAddress(a) => netlink.add(&lo_vip(*a)).await,
        Change::RemoveAddress(a) => netlink.remove(&lo_vip(*a)).await.map(|_| ()),
        Change::Save(values) => {
            if let Some(dir) = state_file.parent() {
                std::fs::create_dir_all(dir)?;
            }
            let text: String = values.iter().map(|(n, v)| format!("{n}={v}\n")).collect();
            std::fs::write(state_file, text)
        }
        Change::SetSysctl { name, to, .. } => {
            std::fs::write(sysctl_path(proc_sys, name), format!("{to}\n"))
                .map_err(|e| io::Error::new(e.kind(), format!("{name}: {e}")))
        }
        Change::Forget => match std::fs::remove_file(state_file) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        },
    }
}

/// What the command line asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Up,
    Down,
    Status,
}

/// Runs `realserver ACTION VIPS`: prints each change (or, with `dry_run`, what it would
/// change), or for `status` each check. Exit 0 when done / all in place; 1 when a change failed
/// or something is missing.
pub fn run(action: Action, vips: &[IpAddr], dry_run: bool, state_file: &Path) -> ExitCode {
    let proc_sys = Path::new("/proc/sys");
    let obs = match observe(proc_sys, state_file) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("keepalived-rs realserver: {e}");
            return ExitCode::from(1);
        }
    };
    let (changes, note) = match action {
        Action::Status => {
            let lines = check(&obs, vips);
            for (ok, what) in &lines {
                println!("{} {what}", if *ok { "ok:     " } else { "MISSING:" });
            }
            return if lines.iter().all(|(ok, _)| *ok) {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            };
        }
        Action::Up => (plan_up(&obs, vips), None),
        Action::Down => plan_down(&obs, vips),
    };
    if let Some(n) = note {
        println!("{n}");
    }
    if changes.is_empty() {
        println!("nothing to change");
        return ExitCode::SUCCESS;
    }
    if dry_run {
        for c in &changes {
            println!("would {c}");
        }
        return ExitCode::SUCCESS;
    }
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("keepalived-rs realserver: {e}");
            return ExitCode::from(1);
        }
    };
    rt.block_on(async {
        let netlink = match Netlink::open() {
            Ok(n) => n,
            Err(e) => {
                eprintln!("keepalived-rs realserver: rtnetlink: {e}");
                return ExitCode::from(1);
            }
        };
        for c in &changes {
            match apply(c, &netlink, proc_sys, state_file).await {
                Ok(()) => println!("{c}"),
                Err(e) => {
                    eprintln!("keepalived-rs realserver: cannot {c}: {e}");
                    return ExitCode::from(1);
                }
            }
        }
        ExitCode::SUCCESS
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn fresh() -> Observed {
        Observed {
            lo: vec![ip("127.0.0.1"), ip("::1")],
            sysctls: ARP_SETTINGS
                .iter()
                .map(|(i, s, _)| (sysctl_name(i, s), Some(0)))
                .collect(),
            saved: None,
        }
    }

    /// Applies a plan to an observed system, as the edges would.
    fn applied(mut obs: Observed, changes: &[Change]) -> Observed {
        for c in changes {
            match c {
                Change::AddAddress(a) => obs.lo.push(*a),
                Change::RemoveAddress(a) => obs.lo.retain(|x| x != a),
                Change::Save(v) => obs.saved = Some(v.clone()),
                Change::SetSysctl { name, to, .. } => {
                    for (n, v) in obs.sysctls.iter_mut() {
                        if n == name {
                            *v = Some(*to);
                        }
                    }
                }
                Change::Forget => obs.saved = None,
            }
        }
        obs
    }

    #[test]
    fn vips_from_the_command_line() {
        assert_eq!(parse_vip("192.0.2.10"), Ok(ip("192.0.2.10")));
        assert_eq!(parse_vip("192.0.2.10/32"), Ok(ip("192.0.2.10")));
        assert_eq!(parse_vip("2001:db8::10/128"), Ok(ip("2001:db8::10")));
        assert!(parse_vip("192.0.2.10/24").unwrap_err().contains("/32"));
        assert!(parse_vip("2001:db8::10/64").unwrap_err().contains("/128"));
        assert!(parse_vip("vip")
            .unwrap_err()
            .contains("not an IPv4 or IPv6"));
    }

    #[test]
    fn up_records_then_sets_arp_then_adds_and_is_idempotent() {
        let obs = fresh();
        let plan = plan_up(&obs, &[ip("192.0.2.10"), ip("2001:db8::10")]);
        let text: Vec<String> = plan.iter().map(|c| c.to_string()).collect();
        assert_eq!(
            text,
            [
                "record the ARP settings' current values (net.ipv4.conf.all.arp_ignore=0 \
                 net.ipv4.conf.all.arp_announce=0 net.ipv4.conf.default.arp_ignore=0 \
                 net.ipv4.conf.default.arp_announce=0 net.ipv4.conf.lo.arp_ignore=0 \
                 net.ipv4.conf.lo.arp_announce=0)",
                "set net.ipv4.conf.all.arp_ignore = 1 (was 0)",
                "set net.ipv4.conf.all.arp_announce = 2 (was 0)",
                "set net.ipv4.conf.default.arp_ignore = 1 (was 0)",
                "set net.ipv4.conf.default.arp_announce = 2 (was 0)",
                "set net.ipv4.conf.lo.arp_ignore = 1 (was 0)",
                "set net.ipv4.conf.lo.arp_announce = 2 (was 0)",
                "add 192.0.2.10/32 to lo",
                "add 2001:db8::10/128 to lo",
            ]
        );
        let after = applied(obs, &plan);
        assert!(plan_up(&after, &[ip("192.0.2.10"), ip("2001:db8::10")]).is_empty());
        assert!(check(&after, &[ip("192.0.2.10"), ip("2001:db8::10")])
            .iter()
            .all(|(ok, _)| *ok));
    }

    #[test]
    fn ipv6_alone_needs_no_arp_settings() {
        let obs = fresh();
        assert_eq!(
            plan_up(&obs, &[ip("2001:db8::10")]),
            [Change::AddAddress(ip("2001:db8::10"))]
        );
        assert_eq!(check(&obs, &[ip("2001:db8::10")]).len(), 1);
    }

    #[test]
    fn down_puts_the_recorded_settings_back_with_the_last_ipv4_vip() {
        let vips = [ip("192.0.2.10"), ip("192.0.2.11")];
        let up = applied(fresh(), &plan_up(&fresh(), &vips));
        // One of two VIPs down: the other still needs the ARP settings.
        let (plan, note) = plan_down(&up, &vips[..1]);
        assert_eq!(plan, [Change::RemoveAddress(vips[0])]);
        assert_eq!(note, None);
        let one = applied(up, &plan);
        let (plan, note) = plan_down(&one, &vips[1..]);
        assert_eq!(note, None);
        assert_eq!(plan.first(), Some(&Change::RemoveAddress(vips[1])));
        assert_eq!(plan.last(), Some(&Change::Forget));
        let done = applied(one, &plan);
        assert_eq!(done, fresh(), "not undone");
        // Run again: nothing left to do.
        assert_eq!(
            plan_down(&done, &vips),
            (
                vec![],
                Some("ARP settings left as they are: no record of their earlier values".into())
            )
        );
    }

    #[test]
    fn a_record_is_not_overwritten_and_settings_already_right_are_kept() {
        let mut obs = fresh();
        obs.sysctls[0].1 = Some(1); // all.arp_ignore already 1
        let plan = plan_up(&obs, &[ip("192.0.2.10")]);
        assert!(!plan.iter().any(
            |c| matches!(c, Change::SetSysctl { name, .. } if name == "net.ipv4.conf.all.arp_ignore")
        ));
        let up = applied(obs.clone(), &plan);
        // Settings changed by hand later and `up` again: the first record stays.
        let mut later = up.clone();
        later.sysctls[1].1 = Some(0);
        let again = plan_up(&later, &[ip("192.0.2.10")]);
        assert!(
            !again.iter().any(|c| matches!(c, Change::Save(_))),
            "{again:?}"
        );
        let (down, _) = plan_down(&applied(later, &again), &[ip("192.0.2.10")]);
        let back = applied(up, &down);
        assert_eq!(back.sysctls, obs.sysctls);
    }

    #[test]
    fn status_names_what_is_missing() {
        let mut obs = fresh();
        obs.lo.push(ip("192.0.2.10"));
        obs.sysctls[5].1 = None;
        let lines = check(&obs, &[ip("192.0.2.10"), ip("2001:db8::10")]);
        let missing: Vec<&str> = lines
            .iter()
            .filter(|(ok, _)| !ok)
            .map(|(_, l)| l.as_str())
            .collect();
        assert_eq!(
            missing,
            [
                "2001:db8::10/128 on lo",
                "net.ipv4.conf.all.arp_ignore = 0, should be 1",
                "net.ipv4.conf.all.arp_announce = 0, should be 2",
                "net.ipv4.conf.default.arp_ignore = 0, should be 1",
                "net.ipv4.conf.default.arp_announce = 0, should be 2",
                "net.ipv4.conf.lo.arp_ignore = 0, should be 1",
                "net.ipv4.conf.lo.arp_announce cannot be read, should be 2",
            ]
        );
    }

    #[test]
    fn state_file_round_trip_and_garbage() {
        let dir = std::env::temp_dir().join(format!("krs-rs-state-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("arp");
        assert_eq!(read_saved(&p).unwrap(), None);
        std::fs::write(
            &p,
            "net.ipv4.conf.all.arp_ignore=0\nnet.ipv4.conf.lo.arp_announce=1\n",
        )
        .unwrap();
        assert_eq!(
            read_saved(&p).unwrap(),
            Some(vec![
                ("net.ipv4.conf.all.arp_ignore".into(), 0),
                ("net.ipv4.conf.lo.arp_announce".into(), 1)
            ])
        );
        std::fs::write(&p, "kernel.panic=1\n").unwrap();
        assert!(read_saved(&p).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
