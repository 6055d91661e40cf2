//! Addresses, routes and rules, in the `ip addr` / `ip route` / `ip rule` syntax keepalived
//! accepts both for the static blocks and for an instance's virtual ones. Options the model does
//! not give a field of their own are kept, as written, in `extra`, so nothing is lost.

use super::Family;
use crate::source::Origin;
use crate::values::IpPrefix;
use serde::{Serialize, Serializer};
use std::net::IpAddr;

/// One line of `static_ipaddress`, `virtual_ipaddress` or `virtual_ipaddress_excluded`:
/// `IP[/MASK] [brd IP|-|+] [dev IF] [scope S] [label L] [peer IP] [home] [-nodad]
/// [mngtmpaddr] [noprefixroute] [autojoin] [no_track] [use_vmac] [preferred_lft N|forever]
/// [track_group G]`.
#[derive(Clone, Debug, Serialize)]
pub struct IpAddress {
    pub origin: Origin,
    /// The address and its prefix length (32 or 128 when none is written, and with `peer`).
    pub address: IpPrefix,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub brd: Option<Broadcast>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dev: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub peer: Option<IpAddr>,
    pub home: bool,
    #[serde(rename = "-nodad")]
    pub nodad: bool,
    pub mngtmpaddr: bool,
    pub noprefixroute: bool,
    pub autojoin: bool,
    pub no_track: bool,
    /// Only for an instance's addresses: put this address on a VMAC of its `dev`.
    pub use_vmac: bool,
    /// IPv6 only. Resolved: keepalived deprecates /128 addresses (0) and keeps others forever.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preferred_lft: Option<Lifetime>,
    /// Only for static addresses: the track_group whose instances go to FAULT if it is lost.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub track_group: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extra: Vec<String>,
}

/// The broadcast address: an address, or `-` / `+` to clear / set the host bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Broadcast {
    Addr(IpAddr),
    ClearHostBits,
    SetHostBits,
}

impl std::fmt::Display for Broadcast {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Broadcast::Addr(a) => write!(f, "{a}"),
            Broadcast::ClearHostBits => f.write_str("-"),
            Broadcast::SetHostBits => f.write_str("+"),
        }
    }
}

impl Serialize for Broadcast {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// An address lifetime in seconds, or `forever`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lifetime {
    Secs(u32),
    Forever,
}

impl Serialize for Lifetime {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Lifetime::Secs(n) => s.serialize_u32(*n),
            Lifetime::Forever => s.serialize_str("forever"),
        }
    }
}

/// A route or rule selector: a prefix, or `default` (also written `any`, `all`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dest {
    Prefix(IpPrefix),
    Default,
}

impl std::fmt::Display for Dest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Dest::Prefix(p) => write!(f, "{p}"),
            Dest::Default => f.write_str("default"),
        }
    }
}

impl Serialize for Dest {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// How a route is added when another one matches: `prepend` (the kernel's and keepalived's
/// default), `add` (only if none matches), `append` (after the matching ones).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RouteMode {
    #[default]
    Prepend,
    Add,
    Append,
}

/// One line of `static_routes` or `virtual_routes`, `ip route` syntax.
#[derive(Clone, Debug, Serialize)]
pub struct Route {
    pub origin: Origin,
    /// Resolved: from `inet`/`inet6` or the addresses; IPv4 when nothing says.
    pub family: Family,
    /// The route type written before the destination (`blackhole`, `unreachable`, ...).
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub route_type: Option<String>,
    pub to: Dest,
    /// The preferred source address (`src`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub src: Option<IpAddr>,
    /// The source prefix (`from`, IPv6 only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<Dest>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub via: Option<IpAddr>,
    /// The output interface (`dev`, also written `oif`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dev: Option<String>,
    /// Resolved: `main` unless written (a name from rt_tables or a number).
    pub table: String,
    /// `metric`, also written `priority` or `preference`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metric: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// Resolved: `keepalived` for a tracked route (no `no_track`), else as written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
    /// `protocol` as written (a tracked route's too: its name must still be known).
    #[serde(skip)]
    pub protocol_written: Option<String>,
    /// `tos`, also written `dsfield`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tos: Option<String>,
    pub onlink: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vrf: Option<String>,
    pub mode: RouteMode,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub nexthop: Vec<Nexthop>,
    pub no_track: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub track_group: Option<String>,
    /// Metrics and other options as written (`mtu lock 1400`, `realms 1/2`, `encap ...`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extra: Vec<String>,
}

/// One `nexthop` of a multipath route (also what the legacy `or` makes).
#[derive(Clone, Debug, Default, Serialize)]
pub struct Nexthop {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub via: Option<IpAddr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dev: Option<String>,
    /// 1..256.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weight: Option<u16>,
    pub onlink: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extra: Vec<String>,
}

/// A firewall mark with an optional mask, `MARK[/MASK]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fwmark {
    pub mark: u32,
    pub mask: Option<u32>,
}

impl std::fmt::Display for Fwmark {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.mask {
            Some(m) => write!(f, "{}/{}", self.mark, m),
            None => write!(f, "{}", self.mark),
        }
    }
}

impl Serialize for Fwmark {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// An inclusive range `START-END` (ports, uids); a single number is a range of one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Range {
    pub start: u32,
    pub end: u32,
}

impl Serialize for Range {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&format_args!("{}-{}", self.start, self.end))
    }
}

/// One line of `static_rules` or `virtual_rules`, `ip rule` syntax. A rule has exactly one
/// action: `table` (also `lookup`), `goto`, `l3mdev`, or a `type` (`nop`, `blackhole`,
/// `unreachable`, `prohibit`).
#[derive(Clone, Debug, Serialize)]
pub struct Rule {
    pub origin: Origin,
    /// Resolved: from `inet`/`inet6` or the addresses; IPv4 when nothing says.
    pub family: Family,
    /// `not`: the selector is inverted.
    pub not: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<Dest>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<Dest>,
    /// `preference`, also written `priority` or `order`. Resolved: when none is written, the
    /// one keepalived gives (with a warning): 16384, then one less for each such rule of the
    /// family, static or virtual, in file order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preference: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub table: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub goto: Option<u32>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub rule_type: Option<String>,
    pub l3mdev: bool,
    /// `tos`, also written `dsfield`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tos: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fwmark: Option<Fwmark>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub realms: Option<String>,
    /// `suppress_prefixlength`, also written `sup_pl`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suppress_prefixlength: Option<u32>,
    /// `suppress_ifgroup`, also written `sup_group`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suppress_ifgroup: Option<String>,
    /// The input interface (`iif`, also written `dev`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iif: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oif: Option<String>,
    #[serde(rename = "tunnel-id", skip_serializing_if = "Option::is_none")]
    pub tunnel_id: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uidrange: Option<Range>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub protocol: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ipproto: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sport: Option<Range>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dport: Option<Range>,
    pub no_track: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub track_group: Option<String>,
    /// Words keepalived does not know, as written (it rejects the rule; see the diagnostics).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extra: Vec<String>,
}
