//! The kernel side of VRRP: virtual addresses, routes and rules through rtnetlink, link and
//! address events from rtnetlink's multicast groups, and gratuitous ARP (AF_PACKET, via
//! pnet_datalink) / unsolicited neighbour advertisements (raw ICMPv6).

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddrV6};

use futures::StreamExt;
use rtnetlink::packet_core::NetlinkPayload;
use rtnetlink::packet_route::address::{
    AddressAttribute, AddressFlags, AddressMessage, AddressScope, CacheInfo,
};
use rtnetlink::packet_route::link::{LinkFlags, LinkMessage};
use rtnetlink::packet_route::{AddressFamily, RouteNetlinkMessage};
use rtnetlink::{Handle, MulticastGroup};
use socket2::{Domain, Protocol, SockAddr, Socket, Type};
use tokio::sync::mpsc;
use tracing::info;

use conf_parser::model::vrrp::Broadcast;

use super::plan::{VRoute, VRule, Vip};
use super::route::route_message;
use super::rule::rule_message;
use crate::diff::vrrp::gone_and_new;
use conf_parser::model::vrrp::RouteMode;
use rtnetlink::packet_core::{
    NetlinkMessage, NLM_F_ACK, NLM_F_APPEND, NLM_F_CREATE, NLM_F_EXCL, NLM_F_REQUEST,
};

/// The interface index of `name`.
pub fn ifindex(name: &str) -> io::Result<u32> {
    nix::net::if_::if_nametoindex(name)
        .map_err(|e| io::Error::new(io::ErrorKind::NotFound, format!("interface {name}: {e}")))
}

/// The interface's state as VRRP cares: administratively up and with carrier.
pub fn link_up(name: &str) -> io::Result<bool> {
    link_state(name).map(|(up, _)| up)
}

/// [`link_up`] and the interface's flags (`ifi_flags`).
pub fn link_state(name: &str) -> io::Result<(bool, u32)> {
    use nix::net::if_::InterfaceFlags;
    for a in nix::ifaddrs::getifaddrs().map_err(io::Error::from)? {
        if a.interface_name == name {
            let up = a.flags.contains(InterfaceFlags::IFF_UP)
                && a.flags.contains(InterfaceFlags::IFF_RUNNING);
            return Ok((up, a.flags.bits() as u32));
        }
    }
    Err(io::Error::new(
        io::ErrorKind::NotFound,
        format!("interface {name} not found"),
    ))
}

/// The name of interface `index`, if it exists.
pub fn ifname(index: u32) -> Option<String> {
    nix::net::if_::if_indextoname(index)
        .ok()
        .map(|n| n.to_string_lossy().into_owned())
}

/// The address our adverts leave from: IPv4, the interface's first (primary) address that is not
/// one of `vips`; IPv6, its link-local address.
pub fn primary_address(name: &str, ipv6: bool, vips: &[IpAddr]) -> io::Result<IpAddr> {
    for a in nix::ifaddrs::getifaddrs().map_err(io::Error::from)? {
        if a.interface_name != name {
            continue;
        }
        let Some(addr) = a.address else { continue };
        let ip: Option<IpAddr> = if ipv6 {
            addr.as_sockaddr_in6()
                .map(|s| IpAddr::V6(s.ip()))
                .filter(|ip| match ip {
                    IpAddr::V6(v6) => v6.segments()[0] & 0xffc0 == 0xfe80,
                    IpAddr::V4(_) => false,
                })
        } else {
            addr.as_sockaddr_in().map(|s| IpAddr::V4(s.ip()))
        };
        if let Some(ip) = ip.filter(|ip| !vips.contains(ip)) {
            return Ok(ip);
        }
    }
    Err(io::Error::new(
        io::ErrorKind::NotFound,
        format!(
            "interface {name} has no {} address",
            if ipv6 { "IPv6 link-local" } else { "IPv4" }
        ),
    ))
}

/// The broadcast address keepalived would give `vip` (`brd` as written; none when not written).
pub fn broadcast(vip: &Vip) -> Option<Ipv4Addr> {
    let IpAddr::V4(a) = vip.addr else { return None };
    let host_bits = if vip.prefix_len >= 32 {
        0
    } else {
        u32::MAX >> vip.prefix_len
    };
    match vip.brd? {
        Broadcast::Addr(IpAddr::V4(b)) => Some(b),
        Broadcast::Addr(IpAddr::V6(_)) => None,
        Broadcast::SetHostBits => Some(Ipv4Addr::from(u32::from(a) | host_bits)),
        Broadcast::ClearHostBits => Some(Ipv4Addr::from(u32::from(a) & !host_bits)),
    }
}

/// Whether interface `index` has address `addr` now.
pub fn has_address(index: u32, addr: IpAddr) -> bool {
    let Ok(name) = nix::net::if_::if_indextoname(index) else {
        return false;
    };
    let Ok(all) = nix::ifaddrs::getifaddrs() else {
        return false;
    };
    let name = name.to_string_lossy();
    // An IPv4 address with a label is listed under its label (`eth0:1`).
    let on_it = |n: &str| n == name || n.strip_prefix(&*name).is_some_and(|r| r.starts_with(':'));
    all.filter(|a| on_it(&a.interface_name))
        .filter_map(|a| a.address)
        .any(|s| {
            s.as_sockaddr_in().map(|v4| IpAddr::V4(v4.ip())) == Some(addr)
                || s.as_sockaddr_in6().map(|v6| IpAddr::V6(v6.ip())) == Some(addr)
        })
}

/// The rtnetlink message that adds (or names, for deletion) `vip` on interface `index`.
pub fn address_message(vip: &Vip, index: u32) -> AddressMessage {
    let mut m = AddressMessage::default();
    m.header.family = if vip.addr.is_ipv6() {
        AddressFamily::Inet6
    } else {
        AddressFamily::Inet
    };
    m.header.prefix_len = vip.prefix_len;
    m.header.index = index;
    m.header.scope = AddressScope::from(vip.scope.unwrap_or(0));
    m.attributes.push(AddressAttribute::Local(vip.addr));
    // With a peer, IFA_ADDRESS is the other end, as `ip address add A peer P` sends it.
    m.attributes
        .push(AddressAttribute::Address(vip.peer.unwrap_or(vip.addr)));
    if let Some(b) = broadcast(vip) {
        m.attributes.push(AddressAttribute::Broadcast(b));
    }
    if let (Some(label), false) = (&vip.label, vip.addr.is_ipv6()) {
        m.attributes.push(AddressAttribute::Label(label.clone()));
    }
    let mut flags = AddressFlags::empty();
    if vip.noprefixroute {
        flags |= AddressFlags::Noprefixroute;
    }
    if vip.nodad && vip.addr.is_ipv6() {
        flags |= AddressFlags::Nodad;
    }
    if vip.home && vip.addr.is_ipv6() {
        flags |= AddressFlags::Homeaddress;
    }
    if vip.mngtmpaddr && vip.addr.is_ipv6() {
        flags |= AddressFlags::Managetempaddr;
    }
    if !flags.is_empty() {
        m.attributes.push(AddressAttribute::Flags(flags));
    }
    if let (Some(secs), true) = (vip.preferred_lft, vip.addr.is_ipv6()) {
        // Valid forever, preferred for `secs` (0: deprecated), as keepalived installs it.
        let mut life = CacheInfo::default();
        life.ifa_preferred = secs;
        life.ifa_valid = u32::MAX;
        m.attributes.push(AddressAttribute::CacheInfo(life));
    }
    m
}

/// An rtnetlink request connection.
#[derive(Clone)]
pub struct Netlink {
    handle: Handle,
}

impl Netlink {
    /// Opens the connection; its driver runs on the current tokio runtime.
    pub fn open() -> io::Result<Netlink> {
        let (conn, handle, _) = rtnetlink::new_connection()?;
        tokio::spawn(conn);
        Ok(Netlink { handle })
    }

    /// The connection's handle, for requests of other modules (links: super::vmac).
    pub fn handle(&self) -> &Handle {
        &self.handle
    }

    /// Adds `vip`. An address already there is fine.
    pub async fn add(&self, vip: &Vip) -> io::Result<()> {
        let index = ifindex(&vip.dev)?;
        let mut req = self.handle.address().add(index, vip.addr, vip.prefix_len);
        *req.message_mut() = address_message(vip, index);
        match req.execute().await {
            Ok(()) => Ok(()),
            Err(e) if errno_is(&e, nix::libc::EEXIST) => Ok(()),
            Err(e) => Err(io::Error::other(format!(
                "adding {}/{} to {}: {e}",
                vip.addr, vip.prefix_len, vip.dev
            ))),
        }
    }

    /// Removes `vip`. An address not there is fine; returns whether it was there.
    pub async fn remove(&self, vip: &Vip) -> io::Result<bool> {
        let index = ifindex(&vip.dev)?;
        let mut m = AddressMessage::default();
        m.header.family = if vip.addr.is_ipv6() {
            AddressFamily::Inet6
        } else {
            AddressFamily::Inet
        };
        m.header.prefix_len = vip.prefix_len;
        m.header.index = index;
        m.attributes.push(AddressAttribute::Local(vip.addr));
        if vip.addr.is_ipv6() {
            m.attributes.push(AddressAttribute::Address(vip.addr));
        }
        match self.handle.address().del(m).execute().await {
            Ok(()) => Ok(true),
            Err(e) if errno_is(&e, nix::libc::EADDRNOTAVAIL) || errno_is(&e, nix::libc::ENOENT) => {
                Ok(false)
            }
            Err(e) => Err(io::Error::other(format!(
                "removing {}/{} from {}: {e}",
                vip.addr, vip.prefix_len, vip.dev
            ))),
        }
    }
}

impl Netlink {
    /// Sends one request and waits for the kernel's answer.
    async fn request(
        &self,
        message: RouteNetlinkMessage,
        flags: u16,
    ) -> Result<(), rtnetlink::Error> {
        let mut req = NetlinkMessage::from(message);
        req.header.flags = NLM_F_REQUEST | NLM_F_ACK | flags;
        let mut handle = self.handle.clone();
        let mut answers = handle.request(req)?;
        while let Some(m) = answers.next().await {
            if let NetlinkPayload::Error(e) = m.payload {
                if e.code.is_some() {
                    return Err(rtnetlink::Error::NetlinkError(e));
                }
            }
        }
        Ok(())
    }

    /// Installs a route, `prepend`ed (the default), `add`ed or `append`ed as written. One
    /// already there is fine; returns whether it was installed now.
    pub async fn add_route(&self, r: &VRoute) -> io::Result<bool> {
        let m = route_message(r, ifindex)?;
        let flags = NLM_F_CREATE
            | match r.mode {
                RouteMode::Prepend => 0,
                RouteMode::Add => NLM_F_EXCL,
                RouteMode::Append => NLM_F_APPEND,
            };
        match self.request(RouteNetlinkMessage::NewRoute(m), flags).await {
            Ok(()) => Ok(true),
            Err(e) if errno_is(&e, nix::libc::EEXIST) => Ok(false),
            Err(e) => Err(io::Error::other(format!("adding route {}: {e}", r.text))),
        }
    }

    /// Removes a route; returns whether it was there.
    pub async fn remove_route(&self, r: &VRoute) -> io::Result<bool> {
        let m = route_message(r, ifindex)?;
        match self.request(RouteNetlinkMessage::DelRoute(m), 0).await {
            Ok(()) => Ok(true),
            Err(e) if errno_is(&e, nix::libc::ESRCH) || errno_is(&e, nix::libc::ENOENT) => {
                Ok(false)
            }
            Err(e) => Err(io::Error::other(format!("removing route {}: {e}", r.text))),
        }
    }

    /// Installs a rule. One already there is fine.
    pub async fn add_rule(&self, r: &VRule) -> io::Result<()> {
        let m = rule_message(r);
        match self
            .request(RouteNetlinkMessage::NewRule(m), NLM_F_CREATE | NLM_F_EXCL)
            .await
        {
            Ok(()) => Ok(()),
            Err(e) if errno_is(&e, nix::libc::EEXIST) => Ok(()),
            Err(e) => Err(io::Error::other(format!("adding rule {}: {e}", r.text))),
        }
    }

    /// Removes a rule; returns whether it was there.
    pub async fn remove_rule(&self, r: &VRule) -> io::Result<bool> {
        let m = rule_message(r);
        match self.request(RouteNetlinkMessage::DelRule(m), 0).await {
            Ok(()) => Ok(true),
            Err(e) if errno_is(&e, nix::libc::ENOENT) || errno_is(&e, nix::libc::ESRCH) => {
                Ok(false)
            }
            Err(e) => Err(io::Error::other(format!("removing rule {}: {e}", r.text))),
        }
    }

    /// From one set of routes and rules to another in keepalived 2.2.7's order: the rules that
    /// go, the routes that go, the routes that come, the rules that come (a rule may point to a
    /// table those routes fill); one that stays is not touched. Its words for the removals;
    /// each failure goes to `failed` with its kind ("route" or "rule"), and the rest goes on.
    pub async fn change_routes_and_rules(
        &self,
        old: (&[VRoute], &[VRule]),
        new: (&[VRoute], &[VRule]),
        failed: impl Fn(&str, io::Error),
    ) {
        let (routes_gone, routes_new) = gone_and_new(old.0, new.0);
        let (rules_gone, rules_new) = gone_and_new(old.1, new.1);
        for r in rules_gone {
            info!("ip rule {} removed", r.text);
            if let Err(e) = self.remove_rule(r).await {
                failed("rule", e);
            }
        }
        for r in routes_gone {
            info!("Removing route {}", r.text);
            if let Err(e) = self.remove_route(r).await {
                failed("route", e);
            }
        }
        for r in routes_new {
            if let Err(e) = self.add_route(r).await {
                failed("route", e);
            }
        }
        for r in rules_new {
            if let Err(e) = self.add_rule(r).await {
                failed("rule", e);
            }
        }
    }
}

fn errno_is(e: &rtnetlink::Error, errno: i32) -> bool {
    match e {
        rtnetlink::Error::NetlinkError(m) => m.code.map(|c| c.get().abs()) == Some(errno),
        _ => false,
    }
}

/// What the kernel tells us.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KernelEvent {
    /// A link's state: up and with carrier, or not; its flags as the kernel gives them
    /// (`ifi_flags`, for keepalived's lines on a delayed change).
    Link { index: u32, up: bool, flags: u32 },
    /// A link was deleted (a link of the same name may come back with another index).
    LinkGone { index: u32 },
    /// An address was added to interface `index`.
    AddressAdded { index: u32, addr: IpAddr },
    /// An address was removed from interface `index`.
    AddressRemoved { index: u32, addr: IpAddr },
}

fn link_event(m: &LinkMessage) -> KernelEvent {
    let f = m.header.flags;
    KernelEvent::Link {
        index: m.header.index,
        up: f.contains(LinkFlags::Up) && f.contains(LinkFlags::Running),
        flags: f.bits(),
    }
}

fn address_of(m: &AddressMessage) -> Option<IpAddr> {
    let mut found = None;
    for a in &m.attributes {
        match a {
            AddressAttribute::Local(ip) => return Some(*ip),
            AddressAttribute::Address(ip) => found = Some(*ip),
            _ => {}
        }
    }
    found
}

/// `-a`'s line for an address added or removed, keepalived's words:
/// `Netlink reflector reports IP 10.0.0.7 added to eth0`.
fn report_address(addr: IpAddr, index: u32, label: Option<&str>, added: bool) {
    // The interface's name, not an alias label (`eth0:1`); the label when the interface is gone.
    let name = nix::net::if_::if_indextoname(index)
        .ok()
        .map(|n| n.to_string_lossy().into_owned())
        .or_else(|| label.map(str::to_string));
    let name = name.unwrap_or_else(|| format!("interface {index}"));
    let how = if added { "added to" } else { "removed from" };
    tracing::info!("Netlink reflector reports IP {addr} {how} {name}");
}

fn label_of(m: &AddressMessage) -> Option<&str> {
    m.attributes.iter().find_map(|a| match a {
        AddressAttribute::Label(l) => Some(l.as_str()),
        _ => None,
    })
}

/// The addresses on this thread's network namespace's interfaces now: each with its
/// interface's index (0 when it cannot be had) and name.
pub fn current_addresses() -> io::Result<Vec<(IpAddr, u32, String)>> {
    let mut out = Vec::new();
    for a in nix::ifaddrs::getifaddrs().map_err(io::Error::from)? {
        let addr = a.address.as_ref().and_then(|s| {
            s.as_sockaddr_in()
                .map(|v4| IpAddr::V4(v4.ip()))
                .or_else(|| s.as_sockaddr_in6().map(|v6| IpAddr::V6(v6.ip())))
        });
        if let Some(addr) = addr {
            out.push((
                addr,
                ifindex(&a.interface_name).unwrap_or(0),
                a.interface_name,
            ));
        }
    }
    Ok(out)
}

/// Listens to link and address changes (`ip monitor link address`) and forwards them. With
/// `report_addresses` (`-a`) every address there is at start, and every one added or removed
/// later, is logged as keepalived logs them.
pub fn monitor(tx: mpsc::UnboundedSender<KernelEvent>, report_addresses: bool) -> io::Result<()> {
    if report_addresses {
        for (addr, index, name) in current_addresses()? {
            report_address(addr, index, Some(&name), true);
        }
    }
    let (conn, _handle, mut messages) = rtnetlink::new_multicast_connection(&[
        MulticastGroup::Link,
        MulticastGroup::Ipv4Ifaddr,
        MulticastGroup::Ipv6Ifaddr,
    ])?;
    tokio::spawn(conn);
    tokio::spawn(async move {
        while let Some((msg, _)) = messages.next().await {
            let ev = match msg.payload {
                NetlinkPayload::InnerMessage(RouteNetlinkMessage::NewLink(l)) => {
                    Some(link_event(&l))
                }
                NetlinkPayload::InnerMessage(RouteNetlinkMessage::DelLink(l)) => {
                    Some(KernelEvent::LinkGone {
                        index: l.header.index,
                    })
                }
                NetlinkPayload::InnerMessage(RouteNetlinkMessage::NewAddress(a)) => address_of(&a)
                    .map(|addr| {
                        if report_addresses {
                            report_address(addr, a.header.index, label_of(&a), true);
                        }
                        KernelEvent::AddressAdded {
                            index: a.header.index,
                            addr,
                        }
                    }),
                NetlinkPayload::InnerMessage(RouteNetlinkMessage::DelAddress(a)) => address_of(&a)
                    .map(|addr| {
                        if report_addresses {
                            report_address(addr, a.header.index, label_of(&a), false);
                        }
                        KernelEvent::AddressRemoved {
                            index: a.header.index,
                            addr,
                        }
                    }),
                _ => None,
            };
            if let Some(ev) = ev {
                if tx.send(ev).is_err() {
                    break;
                }
            }
        }
    });
    Ok(())
}

/// A gratuitous ARP request (RFC 5227 announcement: sender = target = the address), broadcast.
pub fn garp_frame(mac: [u8; 6], ip: Ipv4Addr) -> Vec<u8> {
    let mut f = Vec::with_capacity(42);
    f.extend([0xff; 6]);
    f.extend(mac);
    f.extend([0x08, 0x06]); // ARP
    f.extend([0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x01]); // Ethernet, IPv4, request
    f.extend(mac);
    f.extend(ip.octets());
    f.extend([0xff; 6]);
    f.extend(ip.octets());
    f
}

/// An unsolicited neighbour advertisement for `target` (override flag, target link-layer
/// address option); the kernel fills in the ICMPv6 checksum.
pub fn na_message(mac: [u8; 6], target: Ipv6Addr) -> Vec<u8> {
    let mut m = Vec::with_capacity(32);
    m.extend([136, 0, 0, 0]); // type NA, code 0, checksum (kernel)
    m.extend([0x20, 0, 0, 0]); // Override
    m.extend(target.octets());
    m.extend([2, 1]); // target link-layer address, 8 bytes
    m.extend(mac);
    m
}

/// Sends GARPs and NAs, one sender per interface, opened on first use.
#[derive(Default)]
pub struct Gratuitous {
    links: HashMap<String, Link>,
}

struct Link {
    mac: [u8; 6],
    arp: Option<Box<dyn pnet_datalink::DataLinkSender>>,
    icmp6: Option<Socket>,
}

impl Gratuitous {
    fn link(&mut self, dev: &str) -> io::Result<&mut Link> {
        if !self.links.contains_key(dev) {
            let iface = pnet_datalink::interfaces()
                .into_iter()
                .find(|i| i.name == dev)
                .ok_or_else(|| {
                    io::Error::new(
                        io::ErrorKind::NotFound,
                        format!("interface {dev} not found"),
                    )
                })?;
            let mac = iface.mac.map(|m| m.octets()).unwrap_or([0; 6]);
            self.links.insert(
                dev.to_string(),
                Link {
                    mac,
                    arp: None,
                    icmp6: None,
                },
            );
        }
        let link = self
            .links
            .get_mut(dev)
            .ok_or_else(|| io::Error::other("link vanished"))?;
        Ok(link)
    }

    /// Opens the sender for `dev` now, so that the first burst after a takeover does not pay
    /// for it.
    pub fn prepare(&mut self, dev: &str, ipv6: bool) -> io::Result<()> {
        self.open(dev, ipv6)
    }

    fn open(&mut self, dev: &str, ipv6: bool) -> io::Result<()> {
        let link = self.link(dev)?;
        if !ipv6 {
            if link.arp.is_none() {
                let iface = pnet_datalink::interfaces()
                    .into_iter()
                    .find(|i| i.name == dev)
                    .ok_or_else(|| {
                        io::Error::new(
                            io::ErrorKind::NotFound,
                            format!("interface {dev} not found"),
                        )
                    })?;
                // Only for sending: no promiscuous mode (pnet's default), a minimal read buffer,
                // and our own socket with a filter that drops everything, so that the
                // ETH_P_ALL binding pnet makes never copies the link's traffic to us.
                let sock = Socket::new(Domain::PACKET, Type::RAW, None)?;
                sock.attach_filter(&[socket2::SockFilter::new(0x06, 0, 0, 0)])?; // BPF "ret #0"
                let cfg = pnet_datalink::Config {
                    read_buffer_size: 64,
                    promiscuous: false,
                    socket_fd: Some(std::os::fd::IntoRawFd::into_raw_fd(sock)),
                    ..Default::default()
                };
                match pnet_datalink::channel(&iface, cfg)? {
                    pnet_datalink::Channel::Ethernet(tx, _rx) => link.arp = Some(tx),
                    _ => return Err(io::Error::other("not an Ethernet channel")),
                }
            }
        } else if link.icmp6.is_none() {
            let s = Socket::new(Domain::IPV6, Type::RAW, Some(Protocol::ICMPV6))?;
            s.bind_device(Some(dev.as_bytes()))?;
            s.set_multicast_hops_v6(255)?;
            s.set_unicast_hops_v6(255)?;
            s.set_multicast_if_v6(ifindex(dev)?)?;
            link.icmp6 = Some(s);
        }
        Ok(())
    }

    /// Sends one message for `addr` on `dev`. After a failure the link's senders are reopened
    /// on the next use (the interface may have been recreated under the same name).
    pub fn send(&mut self, dev: &str, addr: IpAddr) -> io::Result<()> {
        let r = self.send_once(dev, addr);
        if r.is_err() {
            self.forget(dev);
        }
        r
    }

    fn send_once(&mut self, dev: &str, addr: IpAddr) -> io::Result<()> {
        self.open(dev, addr.is_ipv6())?;
        let link = self.link(dev)?;
        match addr {
            IpAddr::V4(ip) => {
                let frame = garp_frame(link.mac, ip);
                match link.arp.as_mut().and_then(|tx| tx.send_to(&frame, None)) {
                    Some(r) => r,
                    None => Err(io::Error::other("ARP send failed")),
                }
            }
            IpAddr::V6(ip) => {
                let msg = na_message(link.mac, ip);
                let dst = SocketAddrV6::new(
                    Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 1),
                    0,
                    0,
                    ifindex(dev)?,
                );
                let s = link
                    .icmp6
                    .as_ref()
                    .ok_or_else(|| io::Error::other("no ICMPv6 socket"))?;
                s.send_to(&msg, &SockAddr::from(dst)).map(|_| ())
            }
        }
    }

    /// Forgets a link's senders (after the interface went away or changed).
    pub fn forget(&mut self, dev: &str) {
        self.links.remove(dev);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vip(s: &str, len: u8, brd: Option<Broadcast>) -> Vip {
        Vip {
            brd,
            ..Vip::plain(s.parse().unwrap(), len, "eth0")
        }
    }

    /// An IPv6 address's preferred_lft goes as IFA_CACHEINFO, valid forever; none without it
    /// nor for IPv4.
    #[test]
    fn preferred_lifetime_is_in_the_message() {
        let life = |v: &Vip| {
            address_message(v, 2)
                .attributes
                .into_iter()
                .find_map(|a| match a {
                    AddressAttribute::CacheInfo(c) => Some((c.ifa_preferred, c.ifa_valid)),
                    _ => None,
                })
        };
        let mut v = vip("fd09::101", 128, None);
        assert_eq!(life(&v), None);
        v.preferred_lft = Some(0);
        assert_eq!(life(&v), Some((0, u32::MAX)));
        v.preferred_lft = Some(30);
        assert_eq!(life(&v), Some((30, u32::MAX)));
        let mut v4 = vip("10.1.2.3", 24, None);
        v4.preferred_lft = Some(0);
        assert_eq!(life(&v4), None);
    }

    #[test]
    fn broadcast_options() {
        assert_eq!(broadcast(&vip("10.1.2.3", 24, None)), None);
        assert_eq!(
            broadcast(&vip("10.1.2.3", 24, Some(Broadcast::SetHostBits))),
            Some(Ipv4Addr::new(10, 1, 2, 255))
        );
        assert_eq!(
            broadcast(&vip("10.1.2.3", 24, Some(Broadcast::ClearHostBits))),
            Some(Ipv4Addr::new(10, 1, 2, 0))
        );
        assert_eq!(
            broadcast(&vip("10.1.2.3", 32, Some(Broadcast::SetHostBits))),
            Some(Ipv4Addr::new(10, 1, 2, 3))
        );
        let b = Broadcast::Addr("10.9.9.9".parse().unwrap());
        assert_eq!(
            broadcast(&vip("10.1.2.3", 24, Some(b))),
            Some(Ipv4Addr::new(10, 9, 9, 9))
        );
    }

    #[test]
    fn address_message_carries_the_options() {
        let mut v = vip("10.1.2.3", 24, Some(Broadcast::SetHostBits));
        v.scope = Some(253);
        v.label = Some("eth0:1".into());
        v.noprefixroute = true;
        let m = address_message(&v, 7);
        assert_eq!(m.header.index, 7);
        assert_eq!(m.header.prefix_len, 24);
        assert_eq!(m.header.scope, AddressScope::Link);
        assert!(m
            .attributes
            .contains(&AddressAttribute::Label("eth0:1".into())));
        assert!(m
            .attributes
            .contains(&AddressAttribute::Broadcast(Ipv4Addr::new(10, 1, 2, 255))));
        assert!(m
            .attributes
            .contains(&AddressAttribute::Flags(AddressFlags::Noprefixroute)));
    }

    /// A static address's `peer`, `home`, `mngtmpaddr` (keepalived 2.2.7 installs them).
    #[test]
    fn peer_and_the_ipv6_flags_are_in_the_message() {
        let mut v = vip("10.1.2.3", 32, None);
        v.peer = Some("10.1.2.250".parse().unwrap());
        let m = address_message(&v, 7);
        assert!(m
            .attributes
            .contains(&AddressAttribute::Address("10.1.2.250".parse().unwrap())));
        assert!(m
            .attributes
            .contains(&AddressAttribute::Local("10.1.2.3".parse().unwrap())));
        let mut v = vip("fd00::3", 64, None);
        v.home = true;
        v.mngtmpaddr = true;
        v.nodad = true;
        let m = address_message(&v, 7);
        assert!(m.attributes.contains(&AddressAttribute::Flags(
            AddressFlags::Nodad | AddressFlags::Homeaddress | AddressFlags::Managetempaddr
        )));
    }

    #[test]
    fn garp_is_a_broadcast_request_for_itself() {
        let f = garp_frame([2, 0, 0, 0, 0, 1], Ipv4Addr::new(10, 0, 0, 100));
        assert_eq!(f.len(), 42);
        assert_eq!(&f[0..6], &[0xff; 6]);
        assert_eq!(&f[12..14], &[0x08, 0x06]);
        assert_eq!(&f[20..22], &[0, 1]);
        assert_eq!(&f[28..32], &[10, 0, 0, 100]);
        assert_eq!(&f[38..42], &[10, 0, 0, 100]);
    }

    #[test]
    fn na_has_override_and_target() {
        let t: Ipv6Addr = "fd00::100".parse().unwrap();
        let m = na_message([2, 0, 0, 0, 0, 1], t);
        assert_eq!(m[0], 136);
        assert_eq!(m[4], 0x20);
        assert_eq!(&m[8..24], &t.octets());
        assert_eq!(m.len(), 32);
    }
}
