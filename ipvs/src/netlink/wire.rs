//! Byte layouts of the IPVS generic-netlink family (include/uapi/linux/ip_vs.h) and of the
//! netlink / generic-netlink headers around them. Pure: encoders write into a `Vec<u8>`,
//! decoders read slices, so both are tested against hand-built byte vectors.
//!
//! Netlink integers are in host order, except ports, IPv4 netmasks and tunnel ports, which the
//! kernel keeps in network order (`__be16` / `__be32`). Addresses are 16-byte `nf_inet_addr`s.

use crate::types::*;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

// Netlink.
pub const NLMSG_HDRLEN: usize = 16;
pub const NLMSG_ERROR: u16 = 2;
pub const NLMSG_DONE: u16 = 3;
pub const NLM_F_REQUEST: u16 = 0x1;
pub const NLM_F_MULTI: u16 = 0x2;
pub const NLM_F_ACK: u16 = 0x4;
pub const NLM_F_DUMP: u16 = 0x300;
pub const NLA_F_NESTED: u16 = 0x8000;
pub const NLA_TYPE_MASK: u16 = 0x3fff;
pub const GENL_HDRLEN: usize = 4;

// Generic netlink controller.
pub const GENL_ID_CTRL: u16 = 0x10;
pub const CTRL_CMD_GETFAMILY: u8 = 3;
pub const CTRL_ATTR_FAMILY_ID: u16 = 1;
pub const CTRL_ATTR_FAMILY_NAME: u16 = 2;

pub const IPVS_GENL_NAME: &str = "IPVS";
pub const IPVS_GENL_VERSION: u8 = 1;

/// IPVS_CMD_*.
pub mod cmd {
    pub const NEW_SERVICE: u8 = 1;
    pub const SET_SERVICE: u8 = 2;
    pub const DEL_SERVICE: u8 = 3;
    pub const GET_SERVICE: u8 = 4;
    pub const NEW_DEST: u8 = 5;
    pub const SET_DEST: u8 = 6;
    pub const DEL_DEST: u8 = 7;
    pub const GET_DEST: u8 = 8;
    pub const NEW_DAEMON: u8 = 9;
    pub const DEL_DAEMON: u8 = 10;
    pub const GET_DAEMON: u8 = 11;
    pub const SET_CONFIG: u8 = 12;
    pub const GET_CONFIG: u8 = 13;
    pub const SET_INFO: u8 = 14;
    pub const GET_INFO: u8 = 15;
    pub const ZERO: u8 = 16;
    pub const FLUSH: u8 = 17;
}

/// IPVS_CMD_ATTR_*.
pub mod cmd_attr {
    pub const SERVICE: u16 = 1;
    pub const DEST: u16 = 2;
    pub const DAEMON: u16 = 3;
    pub const TIMEOUT_TCP: u16 = 4;
    pub const TIMEOUT_TCP_FIN: u16 = 5;
    pub const TIMEOUT_UDP: u16 = 6;
}

/// IPVS_SVC_ATTR_*.
pub mod svc_attr {
    pub const AF: u16 = 1;
    pub const PROTOCOL: u16 = 2;
    pub const ADDR: u16 = 3;
    pub const PORT: u16 = 4;
    pub const FWMARK: u16 = 5;
    pub const SCHED_NAME: u16 = 6;
    pub const FLAGS: u16 = 7;
    pub const TIMEOUT: u16 = 8;
    pub const NETMASK: u16 = 9;
    pub const STATS: u16 = 10;
    pub const PE_NAME: u16 = 11;
    pub const STATS64: u16 = 12;
}

/// IPVS_DEST_ATTR_*.
pub mod dest_attr {
    pub const ADDR: u16 = 1;
    pub const PORT: u16 = 2;
    pub const FWD_METHOD: u16 = 3;
    pub const WEIGHT: u16 = 4;
    pub const U_THRESH: u16 = 5;
    pub const L_THRESH: u16 = 6;
    pub const ACTIVE_CONNS: u16 = 7;
    pub const INACT_CONNS: u16 = 8;
    pub const PERSIST_CONNS: u16 = 9;
    pub const STATS: u16 = 10;
    pub const ADDR_FAMILY: u16 = 11;
    pub const STATS64: u16 = 12;
    pub const TUN_TYPE: u16 = 13;
    pub const TUN_PORT: u16 = 14;
    pub const TUN_FLAGS: u16 = 15;
}

/// IPVS_DAEMON_ATTR_*.
pub mod daemon_attr {
    pub const STATE: u16 = 1;
    pub const MCAST_IFN: u16 = 2;
    pub const SYNC_ID: u16 = 3;
    pub const SYNC_MAXLEN: u16 = 4;
    pub const MCAST_GROUP: u16 = 5;
    pub const MCAST_GROUP6: u16 = 6;
    pub const MCAST_PORT: u16 = 7;
    pub const MCAST_TTL: u16 = 8;
}

/// IPVS_STATS_ATTR_*.
pub mod stats_attr {
    pub const CONNS: u16 = 1;
    pub const INPKTS: u16 = 2;
    pub const OUTPKTS: u16 = 3;
    pub const INBYTES: u16 = 4;
    pub const OUTBYTES: u16 = 5;
    pub const CPS: u16 = 6;
    pub const INPPS: u16 = 7;
    pub const OUTPPS: u16 = 8;
    pub const INBPS: u16 = 9;
    pub const OUTBPS: u16 = 10;
}

/// IPVS_INFO_ATTR_*.
pub mod info_attr {
    pub const VERSION: u16 = 1;
    pub const CONN_TAB_SIZE: u16 = 2;
}

fn align4(n: usize) -> usize {
    (n + 3) & !3
}

/// Writes netlink attributes (TLVs padded to 4 bytes).
#[derive(Debug, Default)]
pub struct AttrWriter {
    pub buf: Vec<u8>,
}

impl AttrWriter {
    pub fn new() -> AttrWriter {
        AttrWriter {
            buf: Vec::with_capacity(128),
        }
    }
    pub fn bytes(&mut self, ty: u16, data: &[u8]) {
        let len = 4 + data.len();
        self.buf.extend_from_slice(&(len as u16).to_ne_bytes());
        self.buf.extend_from_slice(&ty.to_ne_bytes());
        self.buf.extend_from_slice(data);
        self.buf.resize(align4(self.buf.len()), 0);
    }
    pub fn u8(&mut self, ty: u16, v: u8) {
        self.bytes(ty, &[v]);
    }
    pub fn u16(&mut self, ty: u16, v: u16) {
        self.bytes(ty, &v.to_ne_bytes());
    }
    pub fn be16(&mut self, ty: u16, v: u16) {
        self.bytes(ty, &v.to_be_bytes());
    }
    pub fn u32(&mut self, ty: u16, v: u32) {
        self.bytes(ty, &v.to_ne_bytes());
    }
    /// A NUL-terminated string.
    pub fn string(&mut self, ty: u16, s: &str) {
        let mut v = Vec::with_capacity(s.len() + 1);
        v.extend_from_slice(s.as_bytes());
        v.push(0);
        self.bytes(ty, &v);
    }
    /// An address as a 16-byte `nf_inet_addr` (an IPv4 one in the first 4 bytes).
    pub fn addr(&mut self, ty: u16, a: &IpAddr) {
        let mut b = [0u8; 16];
        match a {
            IpAddr::V4(v4) => b[..4].copy_from_slice(&v4.octets()),
            IpAddr::V6(v6) => b.copy_from_slice(&v6.octets()),
        }
        self.bytes(ty, &b);
    }
    /// Start a nested attribute; finish it with [`AttrWriter::end_nest`].
    pub fn begin_nest(&mut self, ty: u16) -> usize {
        let at = self.buf.len();
        self.buf.extend_from_slice(&[0, 0]);
        self.buf
            .extend_from_slice(&(ty | NLA_F_NESTED).to_ne_bytes());
        at
    }
    pub fn end_nest(&mut self, at: usize) {
        let len = (self.buf.len() - at) as u16;
        self.buf[at..at + 2].copy_from_slice(&len.to_ne_bytes());
    }
}

/// Malformed bytes from the kernel.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("malformed netlink data: {0}")]
pub struct Malformed(pub String);

fn bad<T>(what: impl Into<String>) -> Result<T, Malformed> {
    Err(Malformed(what.into()))
}

/// Iterate the attributes of a buffer: (type without flags, payload).
pub fn attrs(mut buf: &[u8]) -> impl Iterator<Item = Result<(u16, &[u8]), Malformed>> {
    std::iter::from_fn(move || {
        if buf.len() < 4 {
            return None;
        }
        let len = u16::from_ne_bytes([buf[0], buf[1]]) as usize;
        let ty = u16::from_ne_bytes([buf[2], buf[3]]) & NLA_TYPE_MASK;
        if len < 4 || len > buf.len() {
            buf = &[];
            return Some(bad(format!("attribute {ty} length {len}")));
        }
        let payload = &buf[4..len];
        buf = &buf[align4(len).min(buf.len())..];
        Some(Ok((ty, payload)))
    })
}

pub fn get_u8(p: &[u8]) -> Result<u8, Malformed> {
    p.first()
        .copied()
        .ok_or_else(|| Malformed("short u8".into()))
}
pub fn get_u16(p: &[u8]) -> Result<u16, Malformed> {
    Ok(u16::from_ne_bytes(
        p.get(..2)
            .and_then(|s| s.try_into().ok())
            .ok_or_else(|| Malformed("short u16".into()))?,
    ))
}
pub fn get_be16(p: &[u8]) -> Result<u16, Malformed> {
    Ok(u16::from_be_bytes(
        p.get(..2)
            .and_then(|s| s.try_into().ok())
            .ok_or_else(|| Malformed("short be16".into()))?,
    ))
}
pub fn get_u32(p: &[u8]) -> Result<u32, Malformed> {
    Ok(u32::from_ne_bytes(
        p.get(..4)
            .and_then(|s| s.try_into().ok())
            .ok_or_else(|| Malformed("short u32".into()))?,
    ))
}
/// A counter that is a u32 in `STATS` and a u64 in `STATS64`.
pub fn get_uint(p: &[u8]) -> Result<u64, Malformed> {
    match p.len() {
        4 => get_u32(p).map(u64::from),
        8 => Ok(u64::from_ne_bytes(
            p.try_into().map_err(|_| Malformed("u64".into()))?,
        )),
        n => bad(format!("counter of {n} bytes")),
    }
}
pub fn get_string(p: &[u8]) -> Result<String, Malformed> {
    let end = p.iter().position(|b| *b == 0).unwrap_or(p.len());
    String::from_utf8(p[..end].to_vec()).map_err(|_| Malformed("string not UTF-8".into()))
}
pub fn get_addr(p: &[u8], family: Family) -> Result<IpAddr, Malformed> {
    match family {
        Family::Inet => {
            let b: [u8; 4] = p
                .get(..4)
                .and_then(|s| s.try_into().ok())
                .ok_or_else(|| Malformed("short IPv4".into()))?;
            Ok(IpAddr::V4(Ipv4Addr::from(b)))
        }
        Family::Inet6 => {
            let b: [u8; 16] = p
                .get(..16)
                .and_then(|s| s.try_into().ok())
                .ok_or_else(|| Malformed("short IPv6".into()))?;
            Ok(IpAddr::V6(Ipv6Addr::from(b)))
        }
    }
}

/// One netlink message: `nlmsghdr` + `genlmsghdr` + attributes.
pub fn genl_message(
    family: u16,
    flags: u16,
    seq: u32,
    command: u8,
    version: u8,
    attrs: &[u8],
) -> Vec<u8> {
    let len = NLMSG_HDRLEN + GENL_HDRLEN + attrs.len();
    let mut m = Vec::with_capacity(len);
    m.extend_from_slice(&(len as u32).to_ne_bytes());
    m.extend_from_slice(&family.to_ne_bytes());
    m.extend_from_slice(&flags.to_ne_bytes());
    m.extend_from_slice(&seq.to_ne_bytes());
    m.extend_from_slice(&0u32.to_ne_bytes());
    m.extend_from_slice(&[command, version, 0, 0]);
    m.extend_from_slice(attrs);
    m
}

/// A received netlink message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reply<'a> {
    /// A generic-netlink payload: command and attributes.
    Data {
        seq: u32,
        command: u8,
        attrs: &'a [u8],
    },
    /// An ACK (errno 0) or an error (negative errno as the kernel sends it, made positive).
    Ack {
        seq: u32,
        errno: i32,
    },
    Done {
        seq: u32,
    },
}

/// Split a received buffer into messages.
pub fn replies(mut buf: &[u8]) -> impl Iterator<Item = Result<Reply<'_>, Malformed>> {
    std::iter::from_fn(move || {
        if buf.len() < NLMSG_HDRLEN {
            return None;
        }
        let len = u32::from_ne_bytes([buf[0], buf[1], buf[2], buf[3]]) as usize;
        let ty = u16::from_ne_bytes([buf[4], buf[5]]);
        let seq = u32::from_ne_bytes([buf[8], buf[9], buf[10], buf[11]]);
        if len < NLMSG_HDRLEN || len > buf.len() {
            buf = &[];
            return Some(bad(format!("message length {len}")));
        }
        let body = &buf[NLMSG_HDRLEN..len];
        buf = &buf[align4(len).min(buf.len())..];
        Some(match ty {
            NLMSG_ERROR => match body.get(..4) {
                Some(b) => Ok(Reply::Ack {
                    seq,
                    errno: -i32::from_ne_bytes([b[0], b[1], b[2], b[3]]),
                }),
                None => bad("short error message"),
            },
            NLMSG_DONE => Ok(Reply::Done { seq }),
            _ if body.len() >= GENL_HDRLEN => Ok(Reply::Data {
                seq,
                command: body[0],
                attrs: &body[GENL_HDRLEN..],
            }),
            _ => bad(format!(
                "message type {ty} without a generic-netlink header"
            )),
        })
    })
}

/// The attributes of `CTRL_CMD_GETFAMILY` for a family name.
pub fn getfamily_attrs(name: &str) -> Vec<u8> {
    let mut w = AttrWriter::new();
    w.string(CTRL_ATTR_FAMILY_NAME, name);
    w.buf
}

/// The family id in a `CTRL_CMD_NEWFAMILY` reply.
pub fn family_id(attrs_buf: &[u8]) -> Result<u16, Malformed> {
    for a in attrs(attrs_buf) {
        let (ty, p) = a?;
        if ty == CTRL_ATTR_FAMILY_ID {
            return get_u16(p);
        }
    }
    bad("no family id in the controller's reply")
}

/// `IPVS_CMD_ATTR_SERVICE` with only the key (for deletes, destination commands and gets).
pub fn put_service_key(w: &mut AttrWriter, key: &ServiceKey) {
    let n = w.begin_nest(cmd_attr::SERVICE);
    put_key_fields(w, key);
    w.end_nest(n);
}

fn put_key_fields(w: &mut AttrWriter, key: &ServiceKey) {
    w.u16(svc_attr::AF, key.family().to_af());
    match key {
        ServiceKey::Addr {
            protocol,
            addr,
            port,
        } => {
            w.u16(svc_attr::PROTOCOL, protocol.number());
            w.addr(svc_attr::ADDR, addr);
            w.be16(svc_attr::PORT, *port);
        }
        ServiceKey::Fwmark { mark, .. } => w.u32(svc_attr::FWMARK, *mark),
    }
}

/// `IPVS_CMD_ATTR_SERVICE` with every setting (for add and edit).
pub fn put_service(w: &mut AttrWriter, s: &Service) {
    let n = w.begin_nest(cmd_attr::SERVICE);
    put_key_fields(w, &s.key);
    w.string(svc_attr::SCHED_NAME, &s.scheduler);
    if let Some(pe) = &s.pe_name {
        w.string(svc_attr::PE_NAME, pe);
    }
    let mut flags = [0u8; 8];
    flags[..4].copy_from_slice(&s.flags.0.to_ne_bytes());
    flags[4..].copy_from_slice(&u32::MAX.to_ne_bytes());
    w.bytes(svc_attr::FLAGS, &flags);
    w.u32(svc_attr::TIMEOUT, s.timeout);
    match s.key.family() {
        Family::Inet => w.bytes(svc_attr::NETMASK, &s.netmask.to_be_bytes()),
        Family::Inet6 => w.u32(svc_attr::NETMASK, s.netmask),
    }
    w.end_nest(n);
}

/// `IPVS_CMD_ATTR_DEST` with every setting, or only the key (for deletes).
pub fn put_dest(w: &mut AttrWriter, service_family: Family, d: &Destination, key_only: bool) {
    let n = w.begin_nest(cmd_attr::DEST);
    let fam = Family::of(&d.addr);
    if fam != service_family {
        w.u16(dest_attr::ADDR_FAMILY, fam.to_af());
    }
    w.addr(dest_attr::ADDR, &d.addr);
    w.be16(dest_attr::PORT, d.port);
    if !key_only {
        w.u32(dest_attr::FWD_METHOD, d.forward.number());
        w.u32(dest_attr::WEIGHT, d.weight);
        if let Forward::Tunnel { kind, port, csum } = d.forward {
            w.u8(dest_attr::TUN_TYPE, kind.number());
            if kind == TunnelType::Gue {
                w.be16(dest_attr::TUN_PORT, port);
            }
            if kind != TunnelType::Ipip {
                w.u16(dest_attr::TUN_FLAGS, csum.bits());
            }
        }
        w.u32(dest_attr::U_THRESH, d.u_threshold);
        w.u32(dest_attr::L_THRESH, d.l_threshold);
    }
    w.end_nest(n);
}

/// Find one top-level attribute.
pub fn find_attr(buf: &[u8], ty: u16) -> Result<Option<&[u8]>, Malformed> {
    for a in attrs(buf) {
        let (t, p) = a?;
        if t == ty {
            return Ok(Some(p));
        }
    }
    Ok(None)
}

pub fn decode_stats(buf: &[u8]) -> Result<Stats, Malformed> {
    let mut s = Stats::default();
    for a in attrs(buf) {
        let (ty, p) = a?;
        let v = match ty {
            1..=10 => get_uint(p)?,
            _ => continue,
        };
        match ty {
            stats_attr::CONNS => s.conns = v,
            stats_attr::INPKTS => s.inpkts = v,
            stats_attr::OUTPKTS => s.outpkts = v,
            stats_attr::INBYTES => s.inbytes = v,
            stats_attr::OUTBYTES => s.outbytes = v,
            stats_attr::CPS => s.cps = v,
            stats_attr::INPPS => s.inpps = v,
            stats_attr::OUTPPS => s.outpps = v,
            stats_attr::INBPS => s.inbps = v,
            _ => s.outbps = v,
        }
    }
    Ok(s)
}

/// The nested service of a `GET_SERVICE` reply.
pub fn decode_service(buf: &[u8]) -> Result<ServiceEntry, Malformed> {
    let (mut af, mut proto, mut addr, mut port, mut fwmark) = (None, None, None, 0u16, None);
    let (mut sched, mut flags, mut timeout, mut netmask, mut pe) = (None, 0u32, 0u32, None, None);
    let (mut stats, mut stats64) = (None, None);
    for a in attrs(buf) {
        let (ty, p) = a?;
        match ty {
            svc_attr::AF => af = Some(get_u16(p)?),
            svc_attr::PROTOCOL => proto = Some(get_u16(p)?),
            svc_attr::ADDR => addr = Some(p),
            svc_attr::PORT => port = get_be16(p)?,
            svc_attr::FWMARK => fwmark = Some(get_u32(p)?),
            svc_attr::SCHED_NAME => sched = Some(get_string(p)?),
            svc_attr::FLAGS => flags = get_u32(p)?,
            svc_attr::TIMEOUT => timeout = get_u32(p)?,
            svc_attr::NETMASK => netmask = Some(p),
            svc_attr::PE_NAME => pe = Some(get_string(p)?).filter(|s| !s.is_empty()),
            svc_attr::STATS => stats = Some(decode_stats(p)?),
            svc_attr::STATS64 => stats64 = Some(decode_stats(p)?),
            _ => {}
        }
    }
    let family = af
        .and_then(Family::from_af)
        .ok_or_else(|| Malformed(format!("service address family {af:?}")))?;
    let key = match fwmark.filter(|m| *m != 0) {
        Some(mark) => ServiceKey::Fwmark { family, mark },
        None => {
            let n = proto.ok_or_else(|| Malformed("service without protocol".into()))?;
            let protocol =
                Protocol::from_number(n).ok_or_else(|| Malformed(format!("protocol {n}")))?;
            let addr = get_addr(
                addr.ok_or_else(|| Malformed("service without address".into()))?,
                family,
            )?;
            ServiceKey::Addr {
                protocol,
                addr,
                port,
            }
        }
    };
    let netmask = match (netmask, family) {
        (Some(p), Family::Inet) => u32::from_be_bytes(
            p.get(..4)
                .and_then(|s| s.try_into().ok())
                .ok_or_else(|| Malformed("netmask".into()))?,
        ),
        (Some(p), Family::Inet6) => get_u32(p)?,
        (None, f) => Service::full_netmask(f),
    };
    Ok(ServiceEntry {
        service: Service {
            key,
            scheduler: sched.unwrap_or_default(),
            flags: ServiceFlags(flags),
            timeout,
            netmask,
            pe_name: pe,
        },
        stats: stats64.or(stats).unwrap_or_default(),
    })
}

/// The nested destination of a `GET_DEST` reply.
pub fn decode_dest(buf: &[u8], service_family: Family) -> Result<DestEntry, Malformed> {
    let (mut af, mut addr, mut port, mut fwd, mut weight) = (None, None, 0u16, 0u32, 0u32);
    let (mut u, mut l, mut act, mut inact, mut pers) = (0, 0, 0, 0, 0);
    let (mut tun_type, mut tun_port, mut tun_flags) = (0u8, 0u16, 0u16);
    let (mut stats, mut stats64) = (None, None);
    for a in attrs(buf) {
        let (ty, p) = a?;
        match ty {
            dest_attr::ADDR => addr = Some(p),
            dest_attr::PORT => port = get_be16(p)?,
            dest_attr::FWD_METHOD => fwd = get_u32(p)?,
            dest_attr::WEIGHT => weight = get_u32(p)?,
            dest_attr::U_THRESH => u = get_u32(p)?,
            dest_attr::L_THRESH => l = get_u32(p)?,
            dest_attr::ACTIVE_CONNS => act = get_u32(p)?,
            dest_attr::INACT_CONNS => inact = get_u32(p)?,
            dest_attr::PERSIST_CONNS => pers = get_u32(p)?,
            dest_attr::STATS => stats = Some(decode_stats(p)?),
            dest_attr::STATS64 => stats64 = Some(decode_stats(p)?),
            dest_attr::ADDR_FAMILY => af = Some(get_u16(p)?),
            dest_attr::TUN_TYPE => tun_type = get_u8(p)?,
            dest_attr::TUN_PORT => tun_port = get_be16(p)?,
            dest_attr::TUN_FLAGS => tun_flags = get_u16(p)?,
            _ => {}
        }
    }
    let family = match af {
        Some(n) => Family::from_af(n)
            .ok_or_else(|| Malformed(format!("destination address family {n}")))?,
        None => service_family,
    };
    let addr = get_addr(
        addr.ok_or_else(|| Malformed("destination without address".into()))?,
        family,
    )?;
    let forward = match fwd & Forward::MASK {
        0 => Forward::Nat,
        1 => Forward::Local,
        2 => {
            let kind = TunnelType::from_number(tun_type)
                .ok_or_else(|| Malformed(format!("tunnel type {tun_type}")))?;
            // Only GUE has a port and only GUE/GRE a checksum mode (what the kernel uses).
            Forward::Tunnel {
                kind,
                port: if kind == TunnelType::Gue { tun_port } else { 0 },
                csum: if kind == TunnelType::Ipip {
                    TunnelCsum::NoCsum
                } else {
                    TunnelCsum::from_bits(tun_flags)
                },
            }
        }
        3 => Forward::DirectRoute,
        4 => Forward::Bypass,
        n => return bad(format!("forwarding method {n}")),
    };
    Ok(DestEntry {
        dest: Destination {
            addr,
            port,
            forward,
            weight,
            u_threshold: u,
            l_threshold: l,
        },
        active_conns: act,
        inactive_conns: inact,
        persist_conns: pers,
        stats: stats64.or(stats).unwrap_or_default(),
    })
}

/// `IPVS_CMD_ATTR_DAEMON` for starting a sync daemon.
pub fn put_daemon(w: &mut AttrWriter, d: &SyncDaemon) {
    let n = w.begin_nest(cmd_attr::DAEMON);
    w.u32(daemon_attr::STATE, d.state.bits());
    w.string(daemon_attr::MCAST_IFN, &d.interface);
    w.u32(daemon_attr::SYNC_ID, d.sync_id);
    if d.maxlen != 0 {
        w.u16(daemon_attr::SYNC_MAXLEN, d.maxlen);
    }
    match d.group {
        Some(IpAddr::V4(g)) => w.bytes(daemon_attr::MCAST_GROUP, &g.octets()),
        Some(IpAddr::V6(g)) => w.bytes(daemon_attr::MCAST_GROUP6, &g.octets()),
        None => {}
    }
    if d.port != 0 {
        w.u16(daemon_attr::MCAST_PORT, d.port);
    }
    if d.ttl != 0 {
        w.u8(daemon_attr::MCAST_TTL, d.ttl);
    }
    w.end_nest(n);
}

pub fn decode_daemon(buf: &[u8]) -> Result<SyncDaemon, Malformed> {
    let mut d = SyncDaemon {
        state: SyncState::Master,
        interface: String::new(),
        sync_id: 0,
        maxlen: 0,
        port: 0,
        ttl: 0,
        group: None,
    };
    for a in attrs(buf) {
        let (ty, p) = a?;
        match ty {
            daemon_attr::STATE => {
                d.state = match get_u32(p)? {
                    1 => SyncState::Master,
                    2 => SyncState::Backup,
                    n => return bad(format!("sync daemon state {n}")),
                }
            }
            daemon_attr::MCAST_IFN => d.interface = get_string(p)?,
            daemon_attr::SYNC_ID => d.sync_id = get_u32(p)?,
            daemon_attr::SYNC_MAXLEN => d.maxlen = get_u16(p)?,
            daemon_attr::MCAST_GROUP => d.group = Some(get_addr(p, Family::Inet)?),
            daemon_attr::MCAST_GROUP6 => d.group = Some(get_addr(p, Family::Inet6)?),
            daemon_attr::MCAST_PORT => d.port = get_u16(p)?,
            daemon_attr::MCAST_TTL => d.ttl = get_u8(p)?,
            _ => {}
        }
    }
    Ok(d)
}

pub fn put_timeouts(w: &mut AttrWriter, t: &Timeouts) {
    w.u32(cmd_attr::TIMEOUT_TCP, t.tcp);
    w.u32(cmd_attr::TIMEOUT_TCP_FIN, t.tcp_fin);
    w.u32(cmd_attr::TIMEOUT_UDP, t.udp);
}

pub fn decode_timeouts(buf: &[u8]) -> Result<Timeouts, Malformed> {
    let mut t = Timeouts::default();
    for a in attrs(buf) {
        let (ty, p) = a?;
        match ty {
            cmd_attr::TIMEOUT_TCP => t.tcp = get_u32(p)?,
            cmd_attr::TIMEOUT_TCP_FIN => t.tcp_fin = get_u32(p)?,
            cmd_attr::TIMEOUT_UDP => t.udp = get_u32(p)?,
            _ => {}
        }
    }
    Ok(t)
}

pub fn decode_info(buf: &[u8]) -> Result<Info, Malformed> {
    let (mut version, mut size) = (None, None);
    for a in attrs(buf) {
        let (ty, p) = a?;
        match ty {
            info_attr::VERSION => version = Some(get_u32(p)?),
            info_attr::CONN_TAB_SIZE => size = Some(get_u32(p)?),
            _ => {}
        }
    }
    match (version, size) {
        (Some(version), Some(conn_table_size)) => Ok(Info {
            version,
            conn_table_size,
        }),
        _ => bad("info without version or table size"),
    }
}

#[cfg(test)]
mod tests;
