//! The LVS part of the model: what keepalived's checker process (keepalived_ipvs) runs from.
//! Virtual server groups, virtual servers with their real servers, each real server's health
//! checkers, and the `SSL` context SSL_GET uses.
//!
//! Inherited values are resolved the way keepalived resolves them once the whole file is read:
//! a real server takes its forwarding method, weight, timers and flags from its virtual server;
//! a checker takes its target from its real server and its timers from the real server, then the
//! virtual server, then keepalived's default for that checker type. So a consumer never looks
//! further up than the item it holds. `smtp_alert` and a checker's `log_all_failures` are
//! `Option`s while decoding (their defaults come from global_defs) and are filled in by the
//! checks, so a decoded model always has them.

pub use super::ScriptCommand;
use super::{Origin, Timer};
use serde::{Serialize, Serializer};
use std::net::{IpAddr, Ipv4Addr};

pub mod checkers;
pub use checkers::*;

/// keepalived's defaults for the LVS keywords.
pub mod defaults {
    use super::Timer;
    pub const DELAY_LOOP: Timer = Timer::secs(60);
    pub const CONNECT_TIMEOUT: Timer = Timer::secs(5);
    /// `persistence_timeout` written without a value, or implied (see `persistence_timeout`).
    pub const PERSISTENCE_TIMEOUT: u32 = 360;
    pub const QUORUM: u32 = 1;
    pub const WEIGHT: u32 = 1;
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct LvsPart {
    /// The SSL context of SSL_GET checkers; without it keepalived makes one itself.
    #[serde(rename = "SSL", skip_serializing_if = "Option::is_none")]
    pub ssl: Option<Ssl>,
    pub virtual_server_group: Vec<VirtualServerGroup>,
    pub virtual_server: Vec<VirtualServer>,
}

/// `SSL { password ca certificate key }`: file names and the key's password.
#[derive(Clone, Debug, Serialize)]
pub struct Ssl {
    pub origin: Origin,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ca: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
}

/// `virtual_server_group NAME { ... }`: addresses, address ranges and firewall marks that share
/// one set of real servers.
#[derive(Clone, Debug, Serialize)]
pub struct VirtualServerGroup {
    pub name: String,
    pub origin: Origin,
    /// `IP [PORT]`, `IP-LAST [PORT]` and `IP/LEN [PORT]` lines, as address ranges.
    pub addresses: Vec<GroupAddressRange>,
    /// `fwmark N [inet|inet6]` lines.
    pub fwmark: Vec<GroupFwmark>,
}

/// One address line of a virtual server group: a single address has `first == last`; a CIDR
/// block is its first to its last address.
#[derive(Clone, Debug, Serialize)]
pub struct GroupAddressRange {
    pub origin: Origin,
    pub first: IpAddr,
    pub last: IpAddr,
    /// Absent: any port (only valid for a persistent service).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
}

#[derive(Clone, Debug, Serialize)]
pub struct GroupFwmark {
    pub origin: Origin,
    pub fwmark: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip_family: Option<IpFamily>,
}

/// What a virtual server is: `IP [PORT]`, `fwmark N` or `group NAME`. Dumped flat into the
/// virtual server as `address`/`port`, `fwmark` or `group`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(untagged)]
pub enum Service {
    /// `port` 0: any port (keepalived then makes the service persistent).
    Address {
        address: IpAddr,
        port: u16,
    },
    Fwmark {
        fwmark: u32,
    },
    Group {
        group: String,
    },
}

impl std::fmt::Display for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Service::Address {
                address: IpAddr::V6(a),
                port,
            } => write!(f, "[{a}]:{port}"),
            Service::Address { address, port } => write!(f, "{address}:{port}"),
            Service::Fwmark { fwmark } => write!(f, "fwmark {fwmark}"),
            Service::Group { group } => write!(f, "group {group}"),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum Protocol {
    TCP,
    UDP,
    SCTP,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum IpFamily {
    Inet,
    Inet6,
}

impl IpFamily {
    pub fn of(addr: &IpAddr) -> IpFamily {
        if addr.is_ipv4() {
            IpFamily::Inet
        } else {
            IpFamily::Inet6
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            IpFamily::Inet => "inet",
            IpFamily::Inet6 => "inet6",
        }
    }
}

/// The IPVS schedulers keepalived accepts (`lvs_sched`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scheduler {
    Rr,
    Wrr,
    Lc,
    /// keepalived's (and the kernel's) default.
    #[default]
    Wlc,
    Lblc,
    Sh,
    Mh,
    Dh,
    Fo,
    Ovf,
    Lblcr,
    Sed,
    Nq,
    Twos,
}

impl Scheduler {
    pub const NAMES: [&'static str; 14] = [
        "rr", "wrr", "lc", "wlc", "lblc", "sh", "mh", "dh", "fo", "ovf", "lblcr", "sed", "nq",
        "twos",
    ];
    const ALL: [Scheduler; 14] = [
        Scheduler::Rr,
        Scheduler::Wrr,
        Scheduler::Lc,
        Scheduler::Wlc,
        Scheduler::Lblc,
        Scheduler::Sh,
        Scheduler::Mh,
        Scheduler::Dh,
        Scheduler::Fo,
        Scheduler::Ovf,
        Scheduler::Lblcr,
        Scheduler::Sed,
        Scheduler::Nq,
        Scheduler::Twos,
    ];
    pub fn from_name(name: &str) -> Option<Scheduler> {
        Self::NAMES
            .iter()
            .position(|n| *n == name)
            .and_then(|i| Self::ALL.get(i).copied())
    }
}

/// `lvs_method NAT|DR|TUN [type ipip|gue port N|gre] [nocsum|csum|remcsum]`, dumped as
/// `{"method": "DR"}` or `{"method": "TUN", "type": "gue", "port": 6080, "csum": "nocsum"}`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(tag = "method")]
pub enum LvsMethod {
    /// keepalived's default.
    #[default]
    NAT,
    DR,
    TUN {
        #[serde(rename = "type")]
        tunnel_type: TunnelType,
        /// The GUE port (GUE only).
        #[serde(skip_serializing_if = "Option::is_none")]
        port: Option<u16>,
        csum: TunnelCsum,
    },
}

impl LvsMethod {
    pub fn is_tunnel(&self) -> bool {
        matches!(self, LvsMethod::TUN { .. })
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TunnelType {
    #[default]
    Ipip,
    Gue,
    Gre,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TunnelCsum {
    #[default]
    Nocsum,
    Csum,
    Remcsum,
}

/// `persistence_granularity`: a netmask for IPv4 services, a prefix length for IPv6 ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Granularity {
    Netmask(Ipv4Addr),
    PrefixLen(u8),
}

impl Serialize for Granularity {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Granularity::Netmask(m) => s.collect_str(m),
            Granularity::PrefixLen(l) => s.serialize_u8(*l),
        }
    }
}

/// `virtual_server IP [PORT] | fwmark N | group NAME { ... }`.
#[derive(Clone, Debug, Serialize)]
pub struct VirtualServer {
    pub origin: Origin,
    #[serde(flatten)]
    pub service: Service,
    pub lvs_sched: Scheduler,
    #[serde(rename = "flag-1")]
    pub flag_1: bool,
    #[serde(rename = "flag-2")]
    pub flag_2: bool,
    #[serde(rename = "flag-3")]
    pub flag_3: bool,
    #[serde(rename = "sh-port")]
    pub sh_port: bool,
    #[serde(rename = "sh-fallback")]
    pub sh_fallback: bool,
    #[serde(rename = "mh-port")]
    pub mh_port: bool,
    #[serde(rename = "mh-fallback")]
    pub mh_fallback: bool,
    /// One-packet scheduling (UDP and fwmark services only).
    pub ops: bool,
    pub lvs_method: LvsMethod,
    /// Seconds; absent: not persistent. keepalived makes a service persistent for 360 s when
    /// `persistence_granularity` is given, or when an address service has no port.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub persistence_timeout: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub persistence_granularity: Option<Granularity>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub persistence_engine: Option<String>,
    /// Absent for services made of firewall marks only (IPVS ignores the protocol there).
    /// Without `protocol`, keepalived uses UDP for address services.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub protocol: Option<Protocol>,
    /// The address family: that of the addresses, or for firewall marks the one written, else
    /// that of the non-tunnelled real servers, else inet.
    pub ip_family: IpFamily,
    /// Default `Host:` for HTTP_GET/SSL_GET checkers (already copied into each checker).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub virtualhost: Option<String>,
    /// Minimum total weight of live real servers (keepalived lowers it to the total weight of
    /// the real servers when it is higher).
    pub quorum: u32,
    pub hysteresis: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quorum_up: Option<ScriptCommand>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quorum_down: Option<ScriptCommand>,
    pub alpha: bool,
    pub omega: bool,
    pub ha_suspend: bool,
    /// Resolved once the file is read (so always present in a decoded model): written, else
    /// global_defs' smtp_alert_checker, else smtp_alert, else off.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub smtp_alert: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sorry_server: Option<SorryServer>,
    pub sorry_server_inhibit: bool,
    /// Resolved (the virtual server's method unless written) when there is a sorry server.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sorry_server_lvs_method: Option<LvsMethod>,
    pub delay_loop: Timer,
    pub connect_timeout: Timer,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delay_before_retry: Option<Timer>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warmup: Option<Timer>,
    pub inhibit_on_failure: bool,
    /// The default weight of its real servers.
    pub weight: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snmp_name: Option<String>,
    pub real_server: Vec<RealServer>,
}

impl VirtualServer {
    pub fn new(origin: Origin, service: Service) -> VirtualServer {
        VirtualServer {
            origin,
            service,
            lvs_sched: Scheduler::default(),
            flag_1: false,
            flag_2: false,
            flag_3: false,
            sh_port: false,
            sh_fallback: false,
            mh_port: false,
            mh_fallback: false,
            ops: false,
            lvs_method: LvsMethod::default(),
            persistence_timeout: None,
            persistence_granularity: None,
            persistence_engine: None,
            protocol: None,
            ip_family: IpFamily::Inet,
            virtualhost: None,
            quorum: defaults::QUORUM,
            hysteresis: 0,
            quorum_up: None,
            quorum_down: None,
            alpha: false,
            omega: false,
            ha_suspend: false,
            smtp_alert: None,
            sorry_server: None,
            sorry_server_inhibit: false,
            sorry_server_lvs_method: None,
            delay_loop: defaults::DELAY_LOOP,
            connect_timeout: defaults::CONNECT_TIMEOUT,
            retry: None,
            delay_before_retry: None,
            warmup: None,
            inhibit_on_failure: false,
            weight: defaults::WEIGHT,
            snmp_name: None,
            real_server: Vec::new(),
        }
    }
}

/// `sorry_server IP [PORT]`: the server put in when the quorum is lost.
#[derive(Clone, Debug, Serialize)]
pub struct SorryServer {
    pub origin: Origin,
    pub address: IpAddr,
    /// Resolved like a real server's port.
    pub port: u16,
}

/// `real_server IP [PORT] { ... }`.
#[derive(Clone, Debug, Serialize)]
pub struct RealServer {
    pub origin: Origin,
    pub address: IpAddr,
    /// The virtual server's port unless written; 0 (the packet's own port) for firewall-mark
    /// and group services.
    pub port: u16,
    pub weight: u32,
    pub lvs_method: LvsMethod,
    /// Maximum number of connections (0: no limit).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uthreshold: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lthreshold: Option<u32>,
    pub inhibit_on_failure: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notify_up: Option<ScriptCommand>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notify_down: Option<ScriptCommand>,
    pub alpha: bool,
    /// Written here or on the virtual server; absent: each checker's own default.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delay_before_retry: Option<Timer>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warmup: Option<Timer>,
    pub connect_timeout: Timer,
    pub delay_loop: Timer,
    /// Resolved like the virtual server's, but on when nothing says otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub smtp_alert: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub virtualhost: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snmp_name: Option<String>,
    /// The health checkers, in file order.
    pub checkers: Vec<Checker>,
}
