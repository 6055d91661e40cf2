//! Plain IPVS types: what a virtual service and a real server (destination) are, independent of
//! any configuration syntax. The daemon translates keepalived.conf's model into these.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Address family of a service or destination (`AF_INET` / `AF_INET6`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Family {
    Inet,
    Inet6,
}

impl Family {
    pub const AF_INET: u16 = 2;
    pub const AF_INET6: u16 = 10;
    pub fn of(addr: &IpAddr) -> Family {
        if addr.is_ipv4() {
            Family::Inet
        } else {
            Family::Inet6
        }
    }
    pub fn to_af(self) -> u16 {
        match self {
            Family::Inet => Self::AF_INET,
            Family::Inet6 => Self::AF_INET6,
        }
    }
    pub fn from_af(af: u16) -> Option<Family> {
        match af {
            Self::AF_INET => Some(Family::Inet),
            Self::AF_INET6 => Some(Family::Inet6),
            _ => None,
        }
    }
}

/// Transport protocol of an address service.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Protocol {
    Tcp,
    Udp,
    Sctp,
}

impl Protocol {
    pub fn number(self) -> u16 {
        match self {
            Protocol::Tcp => 6,
            Protocol::Udp => 17,
            Protocol::Sctp => 132,
        }
    }
    pub fn from_number(n: u16) -> Option<Protocol> {
        match n {
            6 => Some(Protocol::Tcp),
            17 => Some(Protocol::Udp),
            132 => Some(Protocol::Sctp),
            _ => None,
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Protocol::Tcp => "TCP",
            Protocol::Udp => "UDP",
            Protocol::Sctp => "SCTP",
        }
    }
}

/// What identifies a virtual service in the kernel: protocol + address + port, or a firewall
/// mark + address family. Nothing else can change without deleting and re-adding the service.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ServiceKey {
    Addr {
        protocol: Protocol,
        addr: IpAddr,
        port: u16,
    },
    Fwmark {
        family: Family,
        mark: u32,
    },
}

impl ServiceKey {
    pub fn family(&self) -> Family {
        match self {
            ServiceKey::Addr { addr, .. } => Family::of(addr),
            ServiceKey::Fwmark { family, .. } => *family,
        }
    }
}

impl fmt::Display for ServiceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServiceKey::Addr {
                protocol,
                addr: IpAddr::V6(a),
                port,
            } => {
                write!(f, "{} [{a}]:{port}", protocol.name())
            }
            ServiceKey::Addr {
                protocol,
                addr,
                port,
            } => write!(f, "{} {addr}:{port}", protocol.name()),
            ServiceKey::Fwmark {
                family: Family::Inet,
                mark,
            } => write!(f, "FWM {mark}"),
            ServiceKey::Fwmark {
                family: Family::Inet6,
                mark,
            } => write!(f, "FWM {mark} IPv6"),
        }
    }
}

/// Service flags (`IP_VS_SVC_F_*`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct ServiceFlags(pub u32);

impl ServiceFlags {
    pub const PERSISTENT: u32 = 0x0001;
    /// Set by the kernel on every service it holds; ignored when comparing.
    pub const HASHED: u32 = 0x0002;
    pub const ONE_PACKET: u32 = 0x0004;
    pub const SCHED1: u32 = 0x0008;
    pub const SCHED2: u32 = 0x0010;
    pub const SCHED3: u32 = 0x0020;
    pub const SH_FALLBACK: u32 = Self::SCHED1;
    pub const SH_PORT: u32 = Self::SCHED2;
    pub const MH_FALLBACK: u32 = Self::SCHED1;
    pub const MH_PORT: u32 = Self::SCHED2;
    /// Every flag a user can set.
    pub const USER: u32 =
        Self::PERSISTENT | Self::ONE_PACKET | Self::SCHED1 | Self::SCHED2 | Self::SCHED3;

    pub fn has(self, f: u32) -> bool {
        self.0 & f == f
    }
    pub fn with(self, f: u32, on: bool) -> ServiceFlags {
        if on {
            ServiceFlags(self.0 | f)
        } else {
            ServiceFlags(self.0 & !f)
        }
    }
    /// The flags that matter when comparing desired with actual (not HASHED).
    pub fn user(self) -> u32 {
        self.0 & Self::USER
    }
}

/// A virtual service.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Service {
    pub key: ServiceKey,
    /// Scheduler name: rr wrr lc wlc lblc lblcr dh sh sed nq mh fo ovf twos.
    pub scheduler: String,
    pub flags: ServiceFlags,
    /// Persistence timeout in seconds (meaningful with `PERSISTENT`).
    pub timeout: u32,
    /// Persistence granularity: an IPv4 netmask (host order, `0xffff_ffff` for none) or an IPv6
    /// prefix length (128 for none). See [`Service::netmask_for`].
    pub netmask: u32,
    /// Persistence engine (`sip`), if any.
    pub pe_name: Option<String>,
}

impl Service {
    /// A service with the kernel's defaults: wlc, no flags, no persistence.
    pub fn new(key: ServiceKey) -> Service {
        Service {
            key,
            scheduler: "wlc".into(),
            flags: ServiceFlags::default(),
            timeout: 0,
            netmask: Self::full_netmask(key.family()),
            pe_name: None,
        }
    }
    pub fn full_netmask(family: Family) -> u32 {
        match family {
            Family::Inet => 0xffff_ffff,
            Family::Inet6 => 128,
        }
    }
    /// The netmask value for an IPv4 mask.
    pub fn netmask_v4(mask: Ipv4Addr) -> u32 {
        u32::from(mask)
    }
    pub fn persistent(mut self, timeout: u32) -> Service {
        self.flags = self.flags.with(ServiceFlags::PERSISTENT, true);
        self.timeout = timeout;
        self
    }
    pub fn scheduler(mut self, name: &str) -> Service {
        self.scheduler = name.into();
        self
    }
    /// Does `self` (desired) equal `actual` in everything the kernel can edit?
    pub fn same_settings(&self, actual: &Service) -> bool {
        self.scheduler == actual.scheduler
            && self.flags.user() == actual.flags.user()
            && self.timeout == actual.timeout
            && self.netmask == actual.netmask
            && self.pe_name == actual.pe_name
    }
}

/// Tunnel encapsulation of a TUN destination (`IP_VS_CONN_F_TUNNEL_TYPE_*`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum TunnelType {
    #[default]
    Ipip,
    Gue,
    Gre,
}

impl TunnelType {
    pub fn number(self) -> u8 {
        match self {
            TunnelType::Ipip => 0,
            TunnelType::Gue => 1,
            TunnelType::Gre => 2,
        }
    }
    pub fn from_number(n: u8) -> Option<TunnelType> {
        match n {
            0 => Some(TunnelType::Ipip),
            1 => Some(TunnelType::Gue),
            2 => Some(TunnelType::Gre),
            _ => None,
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            TunnelType::Ipip => "ipip",
            TunnelType::Gue => "gue",
            TunnelType::Gre => "gre",
        }
    }
}

/// Tunnel checksum mode (`IP_VS_TUNNEL_ENCAP_FLAG_*`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum TunnelCsum {
    #[default]
    NoCsum,
    Csum,
    RemCsum,
}

impl TunnelCsum {
    pub fn bits(self) -> u16 {
        match self {
            TunnelCsum::NoCsum => 0,
            TunnelCsum::Csum => 1,
            TunnelCsum::RemCsum => 2,
        }
    }
    pub fn from_bits(b: u16) -> TunnelCsum {
        if b & 2 != 0 {
            TunnelCsum::RemCsum
        } else if b & 1 != 0 {
            TunnelCsum::Csum
        } else {
            TunnelCsum::NoCsum
        }
    }
}

/// Forwarding method of a destination (`IP_VS_CONN_F_*` in the FWD mask).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Forward {
    /// Masquerading (NAT), the kernel's 0.
    #[default]
    Nat,
    Local,
    Tunnel {
        kind: TunnelType,
        port: u16,
        csum: TunnelCsum,
    },
    DirectRoute,
    Bypass,
}

impl Forward {
    pub const MASK: u32 = 0x0007;
    pub fn number(self) -> u32 {
        match self {
            Forward::Nat => 0,
            Forward::Local => 1,
            Forward::Tunnel { .. } => 2,
            Forward::DirectRoute => 3,
            Forward::Bypass => 4,
        }
    }
    /// ipvsadm's name for the method, as listed.
    pub fn ipvsadm_name(self) -> &'static str {
        match self {
            Forward::Nat => "Masq",
            Forward::Local => "Local",
            Forward::Tunnel { .. } => "Tunnel",
            Forward::DirectRoute => "Route",
            Forward::Bypass => "Bypass",
        }
    }
}

/// Identity of a destination within its service.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DestKey {
    pub addr: IpAddr,
    pub port: u16,
}

impl fmt::Display for DestKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.addr {
            IpAddr::V6(a) => write!(f, "[{a}]:{}", self.port),
            IpAddr::V4(a) => write!(f, "{a}:{}", self.port),
        }
    }
}

/// A real server of a virtual service.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Destination {
    pub addr: IpAddr,
    pub port: u16,
    pub forward: Forward,
    /// 0 keeps the server but sends it no new connections (keepalived's inhibit_on_failure).
    pub weight: u32,
    /// Upper connection threshold (0: none).
    pub u_threshold: u32,
    /// Lower connection threshold.
    pub l_threshold: u32,
}

impl Destination {
    pub fn new(addr: IpAddr, port: u16, forward: Forward, weight: u32) -> Destination {
        Destination {
            addr,
            port,
            forward,
            weight,
            u_threshold: 0,
            l_threshold: 0,
        }
    }
    pub fn key(&self) -> DestKey {
        DestKey {
            addr: self.addr,
            port: self.port,
        }
    }
}

/// One service and its destinations.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceState {
    pub service: Service,
    pub dests: Vec<Destination>,
}

/// A real server as the health checks see it: whether it is up, and what to do when it is not.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RealServer {
    pub dest: Destination,
    pub healthy: bool,
    /// Down: keep it in the table with weight 0 instead of removing it.
    pub inhibit_on_failure: bool,
}

/// The IPVS state the configuration wants: every service it declares, each with the real servers
/// that should be in the kernel now.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Desired {
    pub services: Vec<ServiceState>,
}

impl Desired {
    /// Add a service whose real servers are filtered by health: a healthy one is in with its
    /// weight, a failed one is out, or in with weight 0 under inhibit_on_failure.
    pub fn add_service(&mut self, service: Service, real_servers: &[RealServer]) {
        let dests = real_servers
            .iter()
            .filter_map(|rs| match (rs.healthy, rs.inhibit_on_failure) {
                (true, _) => Some(rs.dest),
                (false, true) => Some(Destination {
                    weight: 0,
                    ..rs.dest
                }),
                (false, false) => None,
            })
            .collect();
        self.services.push(ServiceState { service, dests });
    }
}

/// Counters of a service or destination (64-bit where the kernel has them).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    pub conns: u64,
    pub inpkts: u64,
    pub outpkts: u64,
    pub inbytes: u64,
    pub outbytes: u64,
    pub cps: u64,
    pub inpps: u64,
    pub outpps: u64,
    pub inbps: u64,
    pub outbps: u64,
}

/// A service as the kernel reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceEntry {
    pub service: Service,
    pub stats: Stats,
}

/// A destination as the kernel reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DestEntry {
    pub dest: Destination,
    pub active_conns: u32,
    pub inactive_conns: u32,
    pub persist_conns: u32,
    pub stats: Stats,
}

/// Connection timeouts in seconds (0 in a set: leave unchanged).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Timeouts {
    pub tcp: u32,
    pub tcp_fin: u32,
    pub udp: u32,
}

/// Sync daemon role.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SyncState {
    Master,
    Backup,
}

impl SyncState {
    pub fn bits(self) -> u32 {
        match self {
            SyncState::Master => 1,
            SyncState::Backup => 2,
        }
    }
}

/// A connection-synchronisation daemon (ipvsadm --start-daemon).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyncDaemon {
    pub state: SyncState,
    pub interface: String,
    pub sync_id: u32,
    /// 0: the kernel's default.
    pub maxlen: u16,
    /// 0: the kernel's default (8848).
    pub port: u16,
    /// 0: the kernel's default (1).
    pub ttl: u8,
    /// Multicast group; None: the kernel's default (224.0.0.81).
    pub group: Option<IpAddr>,
}

/// Kernel information (ipvsadm's header line).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Info {
    /// `IP_VS_VERSION_CODE`, e.g. 0x010201 for 1.2.1.
    pub version: u32,
    pub conn_table_size: u32,
}

impl Info {
    pub fn version_string(&self) -> String {
        format!(
            "{}.{}.{}",
            self.version >> 16,
            (self.version >> 8) & 0xff,
            self.version & 0xff
        )
    }
}

/// An all-zero address of a family (used in fwmark services).
pub fn unspecified(family: Family) -> IpAddr {
    match family {
        Family::Inet => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        Family::Inet6 => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn desired_filters_real_servers_by_health() {
        let d =
            |a: u8| Destination::new(IpAddr::V4(Ipv4Addr::new(10, 0, 0, a)), 80, Forward::Nat, 3);
        let mut desired = Desired::default();
        let key = ServiceKey::Addr {
            protocol: Protocol::Tcp,
            addr: "192.0.2.1".parse().unwrap(),
            port: 80,
        };
        desired.add_service(
            Service::new(key),
            &[
                RealServer {
                    dest: d(1),
                    healthy: true,
                    inhibit_on_failure: false,
                },
                RealServer {
                    dest: d(2),
                    healthy: false,
                    inhibit_on_failure: false,
                },
                RealServer {
                    dest: d(3),
                    healthy: false,
                    inhibit_on_failure: true,
                },
            ],
        );
        let dests = &desired.services[0].dests;
        assert_eq!(dests.len(), 2);
        assert_eq!(dests[0].weight, 3);
        assert_eq!(dests[1].addr, d(3).addr);
        assert_eq!(dests[1].weight, 0);
    }

    #[test]
    fn hashed_flag_is_ignored_in_comparison() {
        let key = ServiceKey::Fwmark {
            family: Family::Inet,
            mark: 1,
        };
        let a = Service::new(key).persistent(300);
        let mut b = a.clone();
        b.flags = b.flags.with(ServiceFlags::HASHED, true);
        assert!(a.same_settings(&b));
        b.timeout = 301;
        assert!(!a.same_settings(&b));
    }

    #[test]
    fn tunnel_csum_round_trips() {
        for c in [TunnelCsum::NoCsum, TunnelCsum::Csum, TunnelCsum::RemCsum] {
            assert_eq!(TunnelCsum::from_bits(c.bits()), c);
        }
        assert_eq!(
            Info {
                version: 0x010201,
                conn_table_size: 4096
            }
            .version_string(),
            "1.2.1"
        );
    }
}
