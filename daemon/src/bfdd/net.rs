//! BFD's sockets (RFC 5881, single hop, IPv4): one receiving socket on UDP port 3784 for every
//! session, reporting each datagram's TTL; one sending socket per session, from a source port
//! in 49152-65535, with the session's TTL (255 unless `ttl` says otherwise).

use std::io::{self, IoSliceMut};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, SocketAddrV4};

use nix::sys::socket::{self as nsock, sockopt, ControlMessageOwned, MsgFlags, SockaddrIn};
use socket2::{Domain, Protocol, SockAddr, Socket, Type};
use tokio::io::Interest;
use tokio::net::UdpSocket;

/// The destination port of single-hop control packets (RFC 5881 section 4).
pub const CONTROL_PORT: u16 = 3784;

/// The source ports a sender takes (RFC 5881 section 4).
pub const SOURCE_PORTS: std::ops::RangeInclusive<u16> = 49152..=65535;

/// A datagram read from the receiving socket.
pub struct Received {
    pub from: SocketAddrV4,
    pub ttl: Option<u8>,
    pub len: usize,
}

/// The receiving socket, bound to port 3784 on every address, through tokio's reactor.
pub fn receiver() -> io::Result<UdpSocket> {
    let s = Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::UDP))?;
    s.set_reuse_address(true)?;
    nsock::setsockopt(&s, sockopt::Ipv4RecvTtl, &true).map_err(io::Error::from)?;
    s.bind(&SockAddr::from(SocketAddrV4::new(
        Ipv4Addr::UNSPECIFIED,
        CONTROL_PORT,
    )))?;
    s.set_nonblocking(true)?;
    UdpSocket::from_std(s.into())
}

/// Reads one datagram without waiting (WouldBlock when none is there).
pub fn try_recv(sock: &UdpSocket, buf: &mut [u8]) -> io::Result<Received> {
    use std::os::fd::AsRawFd;
    let fd = sock.as_raw_fd();
    sock.try_io(Interest::READABLE, || {
        let mut cmsg = nix::cmsg_space!(nix::libc::c_int);
        let mut iov = [IoSliceMut::new(buf)];
        let msg =
            nsock::recvmsg::<SockaddrIn>(fd, &mut iov, Some(&mut cmsg), MsgFlags::MSG_DONTWAIT)
                .map_err(io::Error::from)?;
        let mut ttl = None;
        if let Ok(cmsgs) = msg.cmsgs() {
            for c in cmsgs {
                if let ControlMessageOwned::Ipv4Ttl(t) = c {
                    ttl = u8::try_from(t).ok();
                }
            }
        }
        let from = msg
            .address
            .map(|a| SocketAddrV4::new(a.ip(), a.port()))
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "no source address"))?;
        Ok(Received {
            from,
            ttl,
            len: msg.bytes,
        })
    })
}

/// A session's sending socket: bound to `source` (any address without it) and a free port
/// in 49152-65535 picked at random, TTL `ttl`, non-blocking.
pub fn sender(source: Option<IpAddr>, ttl: u8) -> io::Result<std::net::UdpSocket> {
    let ip = match source {
        Some(IpAddr::V4(a)) => a,
        Some(IpAddr::V6(_)) => {
            return Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "IPv6 sessions are not run",
            ))
        }
        None => Ipv4Addr::UNSPECIFIED,
    };
    let s = Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::UDP))?;
    s.set_ttl_v4(u32::from(ttl))?;
    s.set_nonblocking(true)?;
    let span = u32::from(SOURCE_PORTS.end() - SOURCE_PORTS.start()) + 1;
    let first = fastrand::u32(0..span);
    let mut last = None;
    // A random start, then the next ports in turn: at most one pass over the range.
    for i in 0..span {
        let port = *SOURCE_PORTS.start() + ((first + i) % span) as u16;
        match s.bind(&SockAddr::from(SocketAddrV4::new(ip, port))) {
            Ok(()) => return Ok(s.into()),
            Err(e) if e.kind() == io::ErrorKind::AddrInUse => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| io::Error::from(io::ErrorKind::AddrInUse)))
}

/// Sends one packet to the neighbour's port 3784. A full send buffer drops the packet (the
/// next one follows within the interval; BFD tolerates `multiplier - 1` losses).
pub fn send(sock: &std::net::UdpSocket, neighbor: IpAddr, packet: &[u8]) -> io::Result<()> {
    match sock.send_to(packet, SocketAddr::new(neighbor, CONTROL_PORT)) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(()),
        Err(e) => Err(e),
    }
}
