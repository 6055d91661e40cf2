//! The VRRP sockets: raw IP protocol 112, one per instance, bound to the instance's interface.
//!
//! IPv4: joined to the group on the interface, IP_MULTICAST_IF, TTL 255 (unicast and
//! multicast), TOS 0xc0 (internetwork control), no loopback; the kernel builds the IP header
//! from our bound source address, and a raw IPv4 socket hands us the whole IP header on receive,
//! so TTL, source and destination come from there. IPv6: the kernel gives only the payload, the
//! source from recvmsg's address and the hop limit and destination from control messages
//! (IPV6_RECVHOPLIMIT, IPV6_RECVPKTINFO).
//!
//! `auth_type AH` (IPv4 only): the sockets are of protocol 51 instead, and the sending one writes
//! the IP header itself (IP_HDRINCL: the AH's digest covers the header's identification, so it
//! must be ours, not the kernel's); the received datagram is kept whole for the digest.

use std::io::{self, IoSliceMut};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV6};
use std::os::fd::AsRawFd;

use nix::sys::socket::{self as nsock, sockopt, ControlMessageOwned, MsgFlags, SockaddrIn6};
use socket2::{Domain, Protocol, SockAddr, Socket, Type};
use tokio::io::Interest;
use tokio::net::UdpSocket;

pub const IPPROTO_VRRP: i32 = 112;
pub const IPPROTO_AH: i32 = vrrp::ah::IPPROTO_AH as i32;
/// The receiving sockets' buffer: 4 MiB (the kernel doubles it for its bookkeeping), some
/// 5,000 packets, a quarter of a second of a 20,000-a-second flood.
const RCVBUF: usize = 4 << 20;

/// IPTOS_PREC_INTERNETCONTROL, as keepalived sends.
const TOS: u32 = 0xc0;

/// A received packet: the VRRP payload and the IP header fields VRRP checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    pub src: IpAddr,
    pub dst: IpAddr,
    pub ttl: u8,
    /// The VRRP payload; for an AH datagram (`ah`), the whole IPv4 datagram, header and AH
    /// included ([`vrrp::ah::parse`] splits it).
    pub payload: Vec<u8>,
    /// Protocol 51: VRRP behind an IP Authentication Header.
    pub ah: bool,
    /// When the kernel received it (SO_TIMESTAMPNS, the real-time clock), if it said.
    pub stamp: Option<std::time::SystemTime>,
    /// How many packets the kernel has dropped on this socket so far because its queue was
    /// full (SO_RXQ_OVFL), if it said.
    pub overflows: Option<u32>,
}

/// Splits a received IPv4 datagram (as a raw socket returns it) into its header fields and the
/// payload. None when it is not a well-formed IPv4 packet of protocol 112 or 51 (AH: the
/// payload is then the whole datagram).
pub fn parse_ipv4(packet: &[u8]) -> Option<Received> {
    let first = *packet.first()?;
    if first >> 4 != 4 {
        return None;
    }
    let ihl = usize::from(first & 0x0f) * 4;
    if ihl < 20 || packet.len() < ihl {
        return None;
    }
    let ah = match i32::from(packet[9]) {
        IPPROTO_VRRP => false,
        IPPROTO_AH => true,
        _ => return None,
    };
    let total = usize::from(u16::from_be_bytes([packet[2], packet[3]]));
    let end = if total >= ihl && total <= packet.len() {
        total
    } else {
        packet.len()
    };
    let src = Ipv4Addr::new(packet[12], packet[13], packet[14], packet[15]);
    let dst = Ipv4Addr::new(packet[16], packet[17], packet[18], packet[19]);
    Some(Received {
        overflows: None,
        src: src.into(),
        dst: dst.into(),
        ttl: packet[8],
        payload: packet[if ah { 0 } else { ihl }..end].to_vec(),
        ah,
        stamp: None,
    })
}

/// The IP protocol of an instance's adverts.
fn protocol(ah: bool) -> Protocol {
    Protocol::from(if ah { IPPROTO_AH } else { IPPROTO_VRRP })
}

/// A raw VRRP socket on one interface with the sending options set (`ah`: protocol 51, the IP
/// header ours).
fn raw_socket(
    ifname: &str,
    ifindex: u32,
    src: IpAddr,
    unicast_ttl: u8,
    ah: bool,
) -> io::Result<Socket> {
    let domain = if src.is_ipv6() {
        Domain::IPV6
    } else {
        Domain::IPV4
    };
    let s = Socket::new(domain, Type::RAW, Some(protocol(ah)))?;
    s.bind_device(Some(ifname.as_bytes()))?;
    if ah {
        s.set_header_included_v4(true)?;
    }
    match src {
        IpAddr::V4(_) => {
            s.set_ttl_v4(u32::from(unicast_ttl))?;
            s.set_multicast_ttl_v4(255)?;
            s.set_tos_v4(TOS)?;
            s.set_multicast_loop_v4(false)?;
            // No IP_MULTICAST_IF: the bound device is the multicast output interface (the
            // kernel uses IP_MULTICAST_IF only for an unbound socket), and setting it by address
            // fails (EINVAL) when the address is another interface's, as the base interface's
            // is for a VMAC (super::vmac).
        }
        IpAddr::V6(_) => {
            s.set_unicast_hops_v6(u32::from(unicast_ttl))?;
            s.set_multicast_hops_v6(255)?;
            s.set_multicast_loop_v6(false)?;
            s.set_multicast_if_v6(ifindex)?;
        }
    }
    Ok(s)
}

/// The receiving socket of one interface and family, shared by every instance there: a raw
/// socket bound to the device only (a raw socket bound to a local address would only receive
/// packets addressed to it, never the group), joined to the groups the instances use. Received
/// packets are dispatched by VRID, so one advert wakes the daemon once however many instances
/// the interface has.
pub struct Receiver {
    /// tokio's datagram socket type drives any datagram fd; a raw socket is one.
    rx: UdpSocket,
    ipv6: bool,
    ifindex: u32,
}

impl Receiver {
    /// `ah`: of protocol 51 (`auth_type AH`), not 112.
    pub fn open(ifname: &str, ifindex: u32, ipv6: bool, ah: bool) -> io::Result<Receiver> {
        let domain = if ipv6 { Domain::IPV6 } else { Domain::IPV4 };
        let rx = Socket::new(domain, Type::RAW, Some(protocol(ah)))?;
        rx.bind_device(Some(ifname.as_bytes()))?;
        // The kernel's receive time: the Master_Down timer counts from there, not from when
        // the loop got round to the packet.
        nsock::setsockopt(&rx, sockopt::ReceiveTimestampns, &true).map_err(io::Error::from)?;
        // Room for a burst (a flood of invalid adverts must not crowd out the master's), and
        // the count of what the kernel still had to drop, so that every packet is counted.
        // SO_RCVBUF stops at net.core.rmem_max (208 KiB on a stock kernel); root may force
        // more, as keepalived's vrrp_rx_bufs settings do.
        if nsock::setsockopt(&rx, sockopt::RcvBufForce, &RCVBUF).is_err() {
            rx.set_recv_buffer_size(RCVBUF)?;
        }
        nsock::setsockopt(&rx, sockopt::RxqOvfl, &1).map_err(io::Error::from)?;
        if ipv6 {
            rx.set_multicast_loop_v6(false)?;
            nsock::setsockopt(&rx, sockopt::Ipv6RecvHopLimit, &true).map_err(io::Error::from)?;
            nsock::setsockopt(&rx, sockopt::Ipv6RecvPacketInfo, &true).map_err(io::Error::from)?;
        } else {
            rx.set_multicast_loop_v4(false)?;
        }
        rx.set_nonblocking(true)?;
        let rx: std::net::UdpSocket = rx.into();
        Ok(Receiver {
            rx: UdpSocket::from_std(rx)?,
            ipv6,
            ifindex,
        })
    }

    /// Joins `group` on the interface.
    pub fn join(&self, group: IpAddr) -> io::Result<()> {
        let fd = socket2::SockRef::from(&self.rx);
        match group {
            IpAddr::V4(g) => {
                fd.join_multicast_v4_n(&g, &socket2::InterfaceIndexOrAddress::Index(self.ifindex))
            }
            IpAddr::V6(g) => fd.join_multicast_v6(&g, self.ifindex),
        }
    }

    /// Waits for the next packet.
    pub async fn recv(&self) -> io::Result<Received> {
        loop {
            self.rx.readable().await?;
            let fd = self.rx.as_raw_fd();
            let got = match self.rx.try_io(Interest::READABLE, || {
                if self.ipv6 {
                    recv_v6(fd)
                } else {
                    recv_v4(fd)
                }
            }) {
                Ok(r) => r,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                Err(e) => return Err(e),
            };
            if let Some(r) = got {
                return Ok(r);
            }
        }
    }
}

/// One instance's sending socket: bound to the instance's source address (freebind: it may
/// still be tentative, or not configured yet), TTL/hop limit 255, TOS 0xc0; its receive buffer
/// is kept minimal, it never reads.
///
/// It is not registered with tokio's reactor: it is only ever written, without waiting (a
/// full send buffer is an error, as it was through tokio's `try_send_to`). Registered, it cost
/// an idle master a second `epoll_wait` per advert, for the EPOLLOUT edge each send raises.
pub struct Sender {
    tx: Socket,
    ifindex: u32,
}

impl Sender {
    /// `unicast_ttl`: the TTL (hop limit) of unicast adverts (keepalived's `unicast_ttl`, 255
    /// unless written); adverts to the group always go with 255. `ah`: protocol 51, and what is
    /// sent is the whole IPv4 datagram ([`vrrp::ah::encode`]).
    pub fn open(
        ifname: &str,
        ifindex: u32,
        src: IpAddr,
        unicast_ttl: u8,
        ah: bool,
    ) -> io::Result<Sender> {
        let tx = raw_socket(ifname, ifindex, src, unicast_ttl, ah)?;
        tx.set_recv_buffer_size(1)?;
        let bind = match src {
            IpAddr::V6(s6) => {
                tx.set_freebind_v6(true)?;
                SocketAddr::V6(SocketAddrV6::new(
                    s6,
                    0,
                    0,
                    if is_link_local(&s6) { ifindex } else { 0 },
                ))
            }
            IpAddr::V4(_) => {
                tx.set_freebind_v4(true)?;
                SocketAddr::new(src, 0)
            }
        };
        tx.bind(&SockAddr::from(bind))?;
        tx.set_nonblocking(true)?;
        Ok(Sender { tx, ifindex })
    }

    /// Sends one VRRP payload (an AH socket's: one datagram) to `dst`.
    pub fn send(&self, payload: &[u8], dst: IpAddr) -> io::Result<()> {
        let addr = match dst {
            IpAddr::V4(a) => SocketAddr::new(a.into(), 0),
            IpAddr::V6(a) => {
                let scope = if is_link_local(&a) || a.is_multicast() {
                    self.ifindex
                } else {
                    0
                };
                SocketAddr::V6(SocketAddrV6::new(a, 0, 0, scope))
            }
        };
        self.tx.send_to(payload, &SockAddr::from(addr))?;
        Ok(())
    }
}

fn is_link_local(a: &Ipv6Addr) -> bool {
    a.segments()[0] & 0xffc0 == 0xfe80
}

fn stamp_of(ts: &nix::sys::time::TimeSpec) -> Option<std::time::SystemTime> {
    let secs = u64::try_from(ts.tv_sec()).ok()?;
    let nanos = u32::try_from(ts.tv_nsec()).ok()?;
    std::time::UNIX_EPOCH.checked_add(std::time::Duration::new(secs, nanos))
}

fn recv_v4(fd: std::os::fd::RawFd) -> io::Result<Option<Received>> {
    let mut buf = [0u8; 2048];
    let mut cmsg = nix::cmsg_space!(nix::libc::timespec, u32);
    let mut iov = [IoSliceMut::new(&mut buf)];
    let msg = nsock::recvmsg::<()>(fd, &mut iov, Some(&mut cmsg), MsgFlags::MSG_DONTWAIT)
        .map_err(io::Error::from)?;
    let n = msg.bytes;
    let mut stamp = None;
    let mut overflows = None;
    if let Ok(cmsgs) = msg.cmsgs() {
        for c in cmsgs {
            match c {
                ControlMessageOwned::ScmTimestampns(ts) => stamp = stamp_of(&ts),
                ControlMessageOwned::RxqOvfl(n) => overflows = Some(n),
                _ => {}
            }
        }
    }
    Ok(parse_ipv4(&buf[..n]).map(|r| Received {
        stamp,
        overflows,
        ..r
    }))
}

fn recv_v6(fd: std::os::fd::RawFd) -> io::Result<Option<Received>> {
    let mut buf = [0u8; 2048];
    let mut cmsg = nix::cmsg_space!(
        nix::libc::c_int,
        nix::libc::in6_pktinfo,
        nix::libc::timespec,
        u32
    );
    let mut iov = [IoSliceMut::new(&mut buf)];
    let msg = nsock::recvmsg::<SockaddrIn6>(fd, &mut iov, Some(&mut cmsg), MsgFlags::MSG_DONTWAIT)
        .map_err(io::Error::from)?;
    let n = msg.bytes;
    let Some(src) = msg.address.map(|a| a.ip()) else {
        return Ok(None);
    };
    let mut hop = None;
    let mut dst = None;
    let mut stamp = None;
    let mut overflows = None;
    if let Ok(cmsgs) = msg.cmsgs() {
        for c in cmsgs {
            match c {
                ControlMessageOwned::Ipv6HopLimit(h) => hop = u8::try_from(h).ok(),
                ControlMessageOwned::Ipv6PacketInfo(info) => {
                    dst = Some(Ipv6Addr::from(info.ipi6_addr.s6_addr))
                }
                ControlMessageOwned::ScmTimestampns(ts) => stamp = stamp_of(&ts),
                ControlMessageOwned::RxqOvfl(n) => overflows = Some(n),
                _ => {}
            }
        }
    }
    let (Some(ttl), Some(dst)) = (hop, dst) else {
        return Ok(None);
    };
    Ok(Some(Received {
        src: src.into(),
        dst: dst.into(),
        ttl,
        payload: buf[..n].to_vec(),
        ah: false,
        stamp,
        overflows,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_an_ipv4_header() {
        let mut p = vec![
            0x45, 0xc0, 0, 28, 0, 0, 0, 0, 255, 112, 0, 0, 10, 0, 0, 1, 224, 0, 0, 18,
        ];
        p.extend([0x21, 51, 150, 1, 0, 1, 0, 0]);
        let r = parse_ipv4(&p).unwrap();
        assert_eq!(r.src, IpAddr::from([10, 0, 0, 1]));
        assert_eq!(r.dst, IpAddr::from([224, 0, 0, 18]));
        assert_eq!(r.ttl, 255);
        assert_eq!(r.payload, vec![0x21, 51, 150, 1, 0, 1, 0, 0]);
        assert!(!r.ah);
    }

    #[test]
    fn keeps_an_ah_datagram_whole() {
        let mut p = vec![
            0x45, 0xc0, 0, 52, 0, 1, 0, 0, 255, 51, 0, 0, 10, 0, 0, 1, 224, 0, 0, 18,
        ];
        p.extend([112, 4, 0, 0, 10, 0, 0, 1, 0, 0, 0, 1]);
        p.extend([0; 12]);
        let r = parse_ipv4(&p).unwrap();
        assert!(r.ah);
        assert_eq!(r.payload, p);
    }

    #[test]
    fn rejects_garbage() {
        assert_eq!(parse_ipv4(&[]), None);
        assert_eq!(parse_ipv4(&[0x45, 0, 0]), None);
        assert_eq!(parse_ipv4(&[0x60; 40]), None);
        let mut other_proto = vec![
            0x45, 0, 0, 20, 0, 0, 0, 0, 255, 6, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2,
        ];
        assert_eq!(parse_ipv4(&other_proto), None);
        other_proto[0] = 0x4f; // IHL 60 > length
        assert_eq!(parse_ipv4(&other_proto), None);
    }
}
