//! PING_CHECK: one ICMP (or ICMPv6) echo request; the server is up when the matching echo
//! reply arrives within connect_timeout.
//!
//! The request goes out on an unprivileged ICMP datagram socket (the kernel sets the
//! identifier and checksum) when `net.ipv4.ping_group_range` allows our group, else on a raw
//! socket (root). keepalived instead widens ping_group_range itself; keepalived-rs leaves the
//! system setting alone.

use crate::engine::{Probe, ProbeFuture, Success};
use crate::tcp::Connection;
use socket2::{Domain, Protocol, Socket, Type};
use std::io::ErrorKind;
use std::net::{IpAddr, SocketAddr};
use tokio::net::UdpSocket;

/// How the echo request is sent.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PingSocket {
    /// The datagram socket, else raw when that is refused.
    #[default]
    Auto,
    Datagram,
    Raw,
}

/// PING_CHECK.
#[derive(Clone, Debug)]
pub struct PingCheck {
    pub conn: Connection,
    pub socket: PingSocket,
}

fn checksum(data: &[u8]) -> u16 {
    let mut sum: u32 = data
        .chunks(2)
        .map(|c| u32::from(u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)])))
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

impl PingCheck {
    pub fn new(conn: Connection) -> Result<PingCheck, String> {
        if conn.connect_timeout.is_zero() {
            return Err("connect_timeout must be greater than zero".into());
        }
        Ok(PingCheck {
            conn,
            socket: PingSocket::Auto,
        })
    }

    fn open(&self, kind: Type) -> std::io::Result<UdpSocket> {
        let v4 = self.conn.connect_ip.is_ipv4();
        let (domain, proto) = if v4 {
            (Domain::IPV4, Protocol::ICMPV4)
        } else {
            (Domain::IPV6, Protocol::ICMPV6)
        };
        let socket = Socket::new(domain, kind.nonblocking().cloexec(), Some(proto))?;
        if let Some(ifname) = &self.conn.source().bind_if {
            socket.bind_device(Some(ifname.as_bytes()))?;
        }
        if let Some(mark) = self.conn.source().fwmark {
            socket.set_mark(mark)?;
        }
        if let Some(ip) = self.conn.source().bindto {
            socket.bind(&SocketAddr::new(ip, 0).into())?;
        }
        socket.connect(&SocketAddr::new(self.conn.connect_ip, 0).into())?;
        UdpSocket::from_std(std::net::UdpSocket::from(socket))
    }

    async fn run(&self) -> Result<Success, String> {
        let target = self.conn.connect_ip;
        let (socket, raw) = match self.socket {
            PingSocket::Datagram => (self.open(Type::DGRAM), false),
            PingSocket::Raw => (self.open(Type::RAW), true),
            PingSocket::Auto => match self.open(Type::DGRAM) {
                Err(e) if matches!(e.kind(), ErrorKind::PermissionDenied) => {
                    (self.open(Type::RAW), true)
                }
                other => (other, false),
            },
        };
        let socket = socket.map_err(|e| format!("ICMP socket for {target}: {e}"))?;
        let v4 = target.is_ipv4();
        let id = fastrand::u16(..);
        let seq = fastrand::u16(..);
        let payload = *b"keepalived-rs PING_CHECK";
        let mut request = vec![if v4 { 8 } else { 128 }, 0, 0, 0];
        request.extend_from_slice(&id.to_be_bytes());
        request.extend_from_slice(&seq.to_be_bytes());
        request.extend_from_slice(&payload);
        if v4 {
            // The kernel fills in the ICMPv6 checksum, and the datagram socket's.
            let sum = checksum(&request);
            request[2..4].copy_from_slice(&sum.to_be_bytes());
        }
        let exchange = async {
            socket
                .send(&request)
                .await
                .map_err(|e| format!("ping {target}: {e}"))?;
            let mut buf = [0u8; 1500];
            loop {
                let n = socket
                    .recv(&mut buf)
                    .await
                    .map_err(|e| format!("ping {target}: {e}"))?;
                let mut icmp = &buf[..n];
                // A raw IPv4 socket hands over the IP header too.
                if raw && v4 {
                    let Some(&first) = icmp.first() else { continue };
                    let ihl = usize::from(first & 0xf) * 4;
                    icmp = icmp.get(ihl..).unwrap_or(&[]);
                }
                if icmp.len() < 8 || icmp[0] != if v4 { 0 } else { 129 } {
                    continue;
                }
                // The datagram socket rewrites the identifier; the sequence and payload stay.
                let same_id = !raw || icmp[4..6] == id.to_be_bytes();
                if same_id && icmp[6..8] == seq.to_be_bytes() && icmp[8..] == payload {
                    return Ok(Success::default());
                }
            }
        };
        tokio::time::timeout(self.conn.connect_timeout, exchange)
            .await
            .map_err(|_| {
                format!(
                    "ping {target}: no reply within {:?}",
                    self.conn.connect_timeout
                )
            })?
    }

    pub fn target(&self) -> IpAddr {
        self.conn.connect_ip
    }
}

impl Probe for PingCheck {
    fn probe(&self) -> ProbeFuture<'_> {
        Box::pin(async move { Ok(self.run().await?) })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn checksum_of_a_known_echo_request() {
        // type 8, code 0, id 1, seq 1, no payload: checksum 0xf7fd.
        assert_eq!(super::checksum(&[8, 0, 0, 0, 0, 1, 0, 1]), 0xf7fd);
    }
}
