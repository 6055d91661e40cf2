//! ipvsadm-compatible listings (`ipvsadm -L` and its options), byte for byte as ipvsadm 1.31
//! prints them, from data the client fetched. Pure: the caller passes the table and, for
//! non-numeric output, a [`Names`] resolver.
//!
//! Quirks reproduced on purpose: ipvsadm sorts with comparators that subtract unsigned values
//! into an `int` (so 192.168.x sorts before 1.2.3.4) using glibc's merge sort; IPv4 service and
//! destination names are cut at 33 and 28 bytes; a fwmark prints as a signed int.

use crate::types::*;
use std::cmp::Ordering;
use std::fmt::Write;
use std::net::IpAddr;

/// Which columns (`--stats`, `--rate`, `--thresholds`, `--persistent-conn`, `--tun-info`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Columns {
    #[default]
    Default,
    Stats,
    Rate,
    Thresholds,
    PersistentConn,
    TunInfo,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Format {
    pub columns: Columns,
    /// `-n`
    pub numeric: bool,
    /// `--exact`
    pub exact: bool,
    /// `--nosort`
    pub nosort: bool,
}

/// Host and service names for non-numeric output.
pub trait Names {
    fn host(&self, addr: &IpAddr) -> Option<String>;
    fn service(&self, port: u16, proto: Option<Protocol>) -> Option<String>;
}

/// Resolves nothing (as with `-n`).
pub struct NoNames;
impl Names for NoNames {
    fn host(&self, _: &IpAddr) -> Option<String> {
        None
    }
    fn service(&self, _: u16, _: Option<Protocol>) -> Option<String> {
        None
    }
}

/// Names from /etc/hosts and /etc/services (DNS is not consulted).
#[derive(Default)]
pub struct FileNames {
    hosts: Vec<(IpAddr, String)>,
    services: Vec<(u16, String, String)>,
}

impl FileNames {
    pub fn load() -> FileNames {
        let hosts = std::fs::read_to_string("/etc/hosts").unwrap_or_default();
        let services = std::fs::read_to_string("/etc/services").unwrap_or_default();
        FileNames::parse(&hosts, &services)
    }
    pub fn parse(hosts: &str, services: &str) -> FileNames {
        let strip = |l: &str| l.split('#').next().unwrap_or("").to_string();
        let mut n = FileNames::default();
        for line in hosts.lines().map(strip) {
            let mut w = line.split_whitespace();
            if let (Some(a), Some(name)) = (w.next(), w.next()) {
                if let Ok(a) = a.parse::<IpAddr>() {
                    n.hosts.push((a, name.to_string()));
                }
            }
        }
        for line in services.lines().map(strip) {
            let mut w = line.split_whitespace();
            if let (Some(name), Some(pp)) = (w.next(), w.next()) {
                if let Some((port, proto)) = pp.split_once('/') {
                    if let Ok(port) = port.parse::<u16>() {
                        n.services.push((port, proto.to_string(), name.to_string()));
                    }
                }
            }
        }
        n
    }
}

impl Names for FileNames {
    fn host(&self, addr: &IpAddr) -> Option<String> {
        self.hosts
            .iter()
            .find(|(a, _)| a == addr)
            .map(|(_, n)| n.clone())
    }
    fn service(&self, port: u16, proto: Option<Protocol>) -> Option<String> {
        let want = Some(proto?.name().to_ascii_lowercase());
        self.services
            .iter()
            .find(|(p, pr, _)| *p == port && want.as_deref().is_none_or(|w| w == pr))
            .map(|(_, _, n)| n.clone())
    }
}

/// One service with its destinations, as fetched.
#[derive(Clone, Debug)]
pub struct Listed {
    pub service: ServiceEntry,
    pub dests: Vec<DestEntry>,
}

/// ipvsadm's `print_largenum`.
fn largenum(out: &mut String, i: u64, exact: bool) {
    if exact {
        let len = i.to_string().len();
        let width = if len <= 8 { 9 } else { len + 1 };
        let _ = write!(out, "{i:>width$}");
    } else if i < 100_000_000 {
        let _ = write!(out, "{i:>9}");
    } else if i < 1_000_000_000 {
        let _ = write!(out, "{:>8}K", i / 1000);
    } else if i < 100_000_000_000 {
        let _ = write!(out, "{:>8}M", i / 1_000_000);
    } else if i < 100_000_000_000_000 {
        let _ = write!(out, "{:>8}G", i / 1_000_000_000);
    } else {
        let _ = write!(out, "{:>8}T", i / 1_000_000_000_000);
    }
}

/// The title lines.
pub fn title(f: &Format) -> String {
    let head = "Prot LocalAddress:Port";
    match f.columns {
        Columns::Stats => format!(
            "{head:<33} {:>8} {:>8} {:>8} {:>8} {:>8}\n  -> RemoteAddress:Port\n",
            "Conns", "InPkts", "OutPkts", "InBytes", "OutBytes"
        ),
        Columns::Rate => format!(
            "{head:<33} {:>8} {:>8} {:>8} {:>8} {:>8}\n  -> RemoteAddress:Port\n",
            "CPS", "InPPS", "OutPPS", "InBPS", "OutBPS"
        ),
        Columns::Thresholds => format!(
            "{head:<33} {:<10} {:<10} {:<10} {:<10}\n  -> RemoteAddress:Port\n",
            "Uthreshold", "Lthreshold", "ActiveConn", "InActConn"
        ),
        Columns::PersistentConn => format!(
            "{head:<33} {:<9} {:<11} {:<10} {:<10}\n  -> RemoteAddress:Port\n",
            "Weight", "PersistConn", "ActiveConn", "InActConn"
        ),
        Columns::TunInfo => "Prot LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward TunnelInfo    Weight ActiveConn InActConn\n".into(),
        Columns::Default => "Prot LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n".into(),
    }
}

/// The header line of a full listing.
pub fn header(info: &Info) -> String {
    format!(
        "IP Virtual Server version {} (size={})\n",
        info.version_string(),
        info.conn_table_size
    )
}

fn addrport(
    addr: &IpAddr,
    port: u16,
    proto: Option<Protocol>,
    f: &Format,
    names: &dyn Names,
) -> String {
    let (host, svc) = if f.numeric {
        (addr.to_string(), port.to_string())
    } else {
        (
            names.host(addr).unwrap_or_else(|| addr.to_string()),
            // A fwmark service has no protocol: ipvsadm then shows the port as a number.
            proto
                .and_then(|p| names.service(port, Some(p)))
                .unwrap_or_else(|| port.to_string()),
        )
    };
    match addr {
        IpAddr::V4(_) => format!("{host}:{svc}"),
        IpAddr::V6(_) => format!("[{host}]:{svc}"),
    }
}

fn truncate(s: &mut String, n: usize) {
    if s.len() > n {
        let mut cut = n;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
    }
}

fn sched_flags(s: &Service) -> String {
    let fl = s.flags;
    let mut v: Vec<&str> = Vec::new();
    let (one, two) = match s.scheduler.as_str() {
        "sh" => ("sh-fallback", "sh-port"),
        "mh" => ("mh-fallback", "mh-port"),
        _ => ("flag-1", "flag-2"),
    };
    if fl.has(ServiceFlags::SCHED1) {
        v.push(one);
    }
    if fl.has(ServiceFlags::SCHED2) {
        v.push(two);
    }
    if fl.has(ServiceFlags::SCHED3) {
        v.push("flag-3");
    }
    v.join(",")
}

fn tun_info(d: &Destination) -> String {
    let mut s = match d.forward {
        Forward::Tunnel {
            kind: TunnelType::Ipip,
            ..
        } => "ipip".to_string(),
        Forward::Tunnel {
            kind: TunnelType::Gue,
            port,
            csum,
        } => format!("gue:{port}:{}", csum_name(csum)),
        Forward::Tunnel {
            kind: TunnelType::Gre,
            csum,
            ..
        } => format!("gre:{}", csum_name(csum)),
        _ => "n/a".to_string(),
    };
    truncate(&mut s, 15);
    s
}

/// ipvsadm's short checksum marks in --tun-info.
fn csum_name(c: TunnelCsum) -> &'static str {
    match c {
        TunnelCsum::NoCsum => "-c",
        TunnelCsum::Csum => "+c",
        TunnelCsum::RemCsum => "+r",
    }
}

/// The service's name column (`TCP  1.2.3.4:80`, `FWM  5 IPv6`).
fn service_name(s: &Service, f: &Format, names: &dyn Names) -> String {
    match s.key {
        ServiceKey::Fwmark {
            family: Family::Inet,
            mark,
        } => format!("FWM  {}", mark as i32),
        ServiceKey::Fwmark {
            family: Family::Inet6,
            mark,
        } => format!("FWM  {} IPv6", mark as i32),
        ServiceKey::Addr {
            protocol,
            addr,
            port,
        } => {
            let mut n = format!(
                "{:<4} {}",
                protocol.name(),
                addrport(&addr, port, Some(protocol), f, names)
            );
            if addr.is_ipv4() {
                truncate(&mut n, 33);
            }
            n
        }
    }
}

/// One service and its destinations.
pub fn service_entry(l: &Listed, f: &Format, names: &dyn Names) -> String {
    let s = &l.service.service;
    let st = &l.service.stats;
    let mut out = String::new();
    let name = service_name(s, f, names);
    match f.columns {
        Columns::Stats | Columns::Rate => {
            let _ = write!(out, "{name:<33}");
            let v = if f.columns == Columns::Stats {
                [st.conns, st.inpkts, st.outpkts, st.inbytes, st.outbytes]
            } else {
                [st.cps, st.inpps, st.outpps, st.inbps, st.outbps]
            };
            for x in v {
                largenum(&mut out, x, f.exact);
            }
        }
        _ => {
            let _ = write!(out, "{name} {}", s.scheduler);
            let flags = sched_flags(s);
            if !flags.is_empty() {
                let _ = write!(out, " ({flags})");
            }
            if s.flags.has(ServiceFlags::PERSISTENT) {
                let _ = write!(out, " persistent {}", s.timeout);
                match s.key.family() {
                    Family::Inet if s.netmask != 0xffff_ffff => {
                        let _ = write!(out, " mask {}", std::net::Ipv4Addr::from(s.netmask));
                    }
                    Family::Inet6 if s.netmask != 128 => {
                        let _ = write!(out, " mask {}", s.netmask as i32);
                    }
                    _ => {}
                }
                if let Some(pe) = &s.pe_name {
                    let _ = write!(out, " pe {pe}");
                }
            }
            if s.flags.has(ServiceFlags::ONE_PACKET) {
                out.push_str(" ops");
            }
        }
    }
    out.push('\n');

    let mut dests: Vec<&DestEntry> = l.dests.iter().collect();
    if !f.nosort {
        glibc_msort(&mut dests, &|a, b| cmp_dests(&a.dest, &b.dest));
    }
    let proto = match s.key {
        ServiceKey::Addr { protocol, .. } => Some(protocol),
        ServiceKey::Fwmark { .. } => None,
    };
    for e in dests {
        let d = &e.dest;
        let mut dname = addrport(&d.addr, d.port, proto, f, names);
        if s.key.family() != Family::Inet6 {
            truncate(&mut dname, 28);
        }
        match f.columns {
            Columns::Stats | Columns::Rate => {
                let _ = write!(out, "  -> {dname:<28}");
                let t = &e.stats;
                let v = if f.columns == Columns::Stats {
                    [t.conns, t.inpkts, t.outpkts, t.inbytes, t.outbytes]
                } else {
                    [t.cps, t.inpps, t.outpps, t.inbps, t.outbps]
                };
                for x in v {
                    largenum(&mut out, x, f.exact);
                }
                out.push('\n');
            }
            Columns::Thresholds => {
                let _ = writeln!(
                    out,
                    "  -> {dname:<28} {:<10} {:<10} {:<10} {:<10}",
                    d.u_threshold, d.l_threshold, e.active_conns, e.inactive_conns
                );
            }
            Columns::PersistentConn => {
                let _ = writeln!(
                    out,
                    "  -> {dname:<28} {:<9} {:<11} {:<10} {:<10}",
                    d.weight, e.persist_conns, e.active_conns, e.inactive_conns
                );
            }
            Columns::TunInfo => {
                let _ = writeln!(
                    out,
                    "  -> {dname:<28} {:<7} {:<13} {:<6} {:<10} {:<10}",
                    d.forward.ipvsadm_name(),
                    tun_info(d),
                    d.weight as i32,
                    e.active_conns,
                    e.inactive_conns
                );
            }
            Columns::Default => {
                let _ = writeln!(
                    out,
                    "  -> {dname:<28} {:<7} {:<6} {:<10} {:<10}",
                    d.forward.ipvsadm_name(),
                    d.weight as i32,
                    e.active_conns,
                    e.inactive_conns
                );
            }
        }
    }
    out
}

/// `ipvsadm -L`: header, title and every service.
pub fn list_all(info: &Info, services: &[Listed], f: &Format, names: &dyn Names) -> String {
    let mut out = header(info);
    let mut v: Vec<&Listed> = services.iter().collect();
    if !f.nosort {
        glibc_msort(&mut v, &|a, b| {
            cmp_services(&a.service.service, &b.service.service)
        });
    }
    out.push_str(&title(f));
    for l in v {
        out.push_str(&service_entry(l, f, names));
    }
    out
}

/// `ipvsadm -L -t|-u|-f SERVICE`: title and that service (no header).
pub fn list_one(l: &Listed, f: &Format, names: &dyn Names) -> String {
    let mut out = title(f);
    out.push_str(&service_entry(l, f, names));
    out
}

/// `ipvsadm -L --timeout`.
pub fn timeouts(t: &Timeouts) -> String {
    format!(
        "Timeout (tcp tcpfin udp): {} {} {}\n",
        t.tcp as i32, t.tcp_fin as i32, t.udp as i32
    )
}

/// `ipvsadm -L --daemon`.
pub fn daemons(ds: &[SyncDaemon]) -> String {
    let mut out = String::new();
    for state in [SyncState::Master, SyncState::Backup] {
        for d in ds.iter().filter(|d| d.state == state) {
            let role = if state == SyncState::Master {
                "master"
            } else {
                "backup"
            };
            let _ = write!(
                out,
                "{role} sync daemon (mcast={}, syncid={}",
                d.interface, d.sync_id as i32
            );
            if d.maxlen != 0 {
                let _ = write!(out, ", maxlen={}", d.maxlen);
            }
            if let Some(g) = d.group {
                let _ = write!(out, ", group={g}");
            }
            if d.port != 0 {
                let _ = write!(out, ", port={}", d.port);
            }
            if d.ttl != 0 {
                let _ = write!(out, ", ttl={}", d.ttl);
            }
            out.push_str(")\n");
        }
    }
    out
}

/// An address as ipvsadm's `nf_inet_addr` words in host order (IPv4: the first word).
fn words(a: &IpAddr) -> [u32; 4] {
    match a {
        IpAddr::V4(v4) => [u32::from(*v4), 0, 0, 0],
        IpAddr::V6(v6) => {
            let o = v6.octets();
            let w = |i: usize| u32::from_be_bytes([o[i], o[i + 1], o[i + 2], o[i + 3]]);
            [w(0), w(4), w(8), w(12)]
        }
    }
}

/// `int r = a - b` on unsigned values, as C does it.
fn csub(a: u32, b: u32) -> i32 {
    a.wrapping_sub(b) as i32
}

fn cmp_addrs(a: &IpAddr, b: &IpAddr, v6: bool) -> i32 {
    let (wa, wb) = (words(a), words(b));
    if v6 {
        let mut r = 0;
        for i in 0..4 {
            if r != 0 {
                break;
            }
            r = csub(wa[i], wb[i]);
        }
        r
    } else {
        csub(wa[0], wb[0])
    }
}

/// libipvs' `ipvs_cmp_services`.
fn cmp_services(a: &Service, b: &Service) -> i32 {
    let (fa, fb) = (mark(a), mark(b));
    let r = csub(fa, fb);
    if r != 0 {
        return r;
    }
    let r = i32::from(a.key.family().to_af()) - i32::from(b.key.family().to_af());
    if r != 0 {
        return r;
    }
    let (pa, pb) = (proto(a), proto(b));
    let r = i32::from(pa) - i32::from(pb);
    if r != 0 {
        return r;
    }
    let (aa, ab) = (svc_addr(a), svc_addr(b));
    let r = cmp_addrs(&aa, &ab, a.key.family() == Family::Inet6);
    if r != 0 {
        return r;
    }
    i32::from(svc_port(a)) - i32::from(svc_port(b))
}

fn mark(s: &Service) -> u32 {
    match s.key {
        ServiceKey::Fwmark { mark, .. } => mark,
        _ => 0,
    }
}
fn proto(s: &Service) -> u16 {
    match s.key {
        ServiceKey::Addr { protocol, .. } => protocol.number(),
        _ => 0,
    }
}
fn svc_addr(s: &Service) -> IpAddr {
    match s.key {
        ServiceKey::Addr { addr, .. } => addr,
        ServiceKey::Fwmark { family, .. } => unspecified(family),
    }
}
fn svc_port(s: &Service) -> u16 {
    match s.key {
        ServiceKey::Addr { port, .. } => port,
        _ => 0,
    }
}

/// libipvs' `ipvs_cmp_dests`.
fn cmp_dests(a: &Destination, b: &Destination) -> i32 {
    let r = cmp_addrs(&a.addr, &b.addr, a.addr.is_ipv6());
    if r != 0 {
        return r;
    }
    i32::from(a.port) - i32::from(b.port)
}

/// glibc's `qsort` for small arrays: a top-down merge sort taking from the left run while
/// `cmp(left, right) <= 0`. With ipvsadm's non-transitive comparators the order depends on the
/// algorithm, so it is reproduced exactly.
fn glibc_msort<T: Copy>(v: &mut [T], cmp: &dyn Fn(&T, &T) -> i32) {
    let n = v.len();
    if n <= 1 {
        return;
    }
    let n1 = n / 2;
    let (l, r) = v.split_at_mut(n1);
    glibc_msort(l, cmp);
    glibc_msort(r, cmp);
    let mut tmp = Vec::with_capacity(n);
    let (mut i, mut j) = (0, 0);
    while i < l.len() && j < r.len() {
        if cmp(&l[i], &r[j]) <= 0 {
            tmp.push(l[i]);
            i += 1;
        } else {
            tmp.push(r[j]);
            j += 1;
        }
    }
    tmp.extend_from_slice(&l[i..]);
    tmp.extend_from_slice(&r[j..]);
    v.copy_from_slice(&tmp);
}

/// For tests and callers that want a plain order.
pub fn ipvsadm_order(a: &Service, b: &Service) -> Ordering {
    cmp_services(a, b).cmp(&0)
}

#[cfg(test)]
mod tests;

/// `ipvsadm -L -c` (with `--persistent-conn`: also the persistence engine columns), from the
/// text of /proc/net/ip_vs_conn.
pub fn connections(proc_text: &str, f: &Format, names: &dyn Names) -> String {
    let mut out = String::from("IPVS connection entries\n");
    let pe = f.columns == Columns::PersistentConn;
    if pe {
        let _ = writeln!(
            out,
            "pro expire {:<11} {:<18} {:<18} {:<18} {:<16} pe_data",
            "state", "source", "virtual", "destination", "pe name"
        );
    } else {
        let _ = writeln!(
            out,
            "pro expire {:<11} {:<18} {:<18} destination",
            "state", "source", "virtual"
        );
    }
    for line in proc_text.lines().skip(1) {
        let w: Vec<&str> = line.split_whitespace().collect();
        if w.len() < 9 {
            continue;
        }
        let proto = match w[0] {
            "TCP" => Some(Protocol::Tcp),
            "UDP" => Some(Protocol::Udp),
            "SCTP" => Some(Protocol::Sctp),
            _ => None,
        };
        let ap = |a: &str, p: &str| -> Option<String> {
            let addr: IpAddr = if a.contains(':') {
                a.parse().ok()?
            } else {
                IpAddr::V4(std::net::Ipv4Addr::from(u32::from_str_radix(a, 16).ok()?))
            };
            let port = u16::from_str_radix(p, 16).ok()?;
            Some(addrport(&addr, port, proto, f, names))
        };
        let (Some(c), Some(v), Some(d)) = (ap(w[1], w[2]), ap(w[3], w[4]), ap(w[5], w[6])) else {
            continue;
        };
        let expires: i64 = w[8].parse().unwrap_or(0);
        let exp = format!("{:02}:{:02}", expires / 60, expires % 60);
        if pe {
            let (pn, pd) = (
                w.get(9).copied().unwrap_or(""),
                w.get(10).copied().unwrap_or(""),
            );
            let _ = writeln!(
                out,
                "{:<3} {exp:<6} {:<11} {c:<18} {v:<18} {d:<18} {pn:<16} {pd}",
                w[0], w[7]
            );
        } else {
            let _ = writeln!(out, "{:<3} {exp:<6} {:<11} {c:<18} {v:<18} {d}", w[0], w[7]);
        }
    }
    out
}
