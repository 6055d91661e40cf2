//! UDP_CHECK, and the UDP socket every datagram checker (DNS_CHECK too) opens: the connection
//! options applied, connected to the target, with ICMP errors reported on receive.
//!
//! A datagram is sent (the payload, or 32 filler bytes). Without `require_reply` the check
//! succeeds unless an ICMP error (port, host or network unreachable) comes back within
//! connect_timeout. With it, a reply must arrive in time; its length must lie within
//! min_reply_length..=max_reply_length, and when reply bytes are given, the reply must match
//! them (masked nibbles ignored) up to the shorter of the two.

use crate::engine::{Failure, Probe, ProbeFuture, Success};
use crate::tcp::Connection;
use socket2::{Domain, Protocol, Socket, Type};
use std::net::{IpAddr, SocketAddr};
use tokio::net::UdpSocket;

impl Connection {
    /// A UDP socket with the source options applied, connected to the target.
    /// No socket (out of file descriptors) or a source option that cannot be applied is a
    /// local failure, as for TCP ([`Failure::is_local`]).
    pub async fn udp_socket(&self) -> Result<UdpSocket, Failure> {
        let target = self.target();
        let make = || -> std::io::Result<UdpSocket> {
            let domain = if self.connect_ip.is_ipv4() {
                Domain::IPV4
            } else {
                Domain::IPV6
            };
            let socket = Socket::new(
                domain,
                Type::DGRAM.nonblocking().cloexec(),
                Some(Protocol::UDP),
            )?;
            let source = self.source();
            if let Some(ifname) = &source.bind_if {
                socket.bind_device(Some(ifname.as_bytes()))?;
            }
            if let Some(mark) = source.fwmark {
                socket.set_mark(mark)?;
            }
            if source.bindto.is_some() || source.bind_port.is_some() {
                let ip = source.bindto.unwrap_or(if self.connect_ip.is_ipv4() {
                    IpAddr::from([0u8; 4])
                } else {
                    IpAddr::from([0u16; 8])
                });
                socket.bind(&SocketAddr::new(ip, source.bind_port.unwrap_or(0)).into())?;
            }
            UdpSocket::from_std(std::net::UdpSocket::from(socket))
        };
        let socket = make().map_err(|e| Failure::Local(format!("UDP socket for {target}: {e}")))?;
        socket
            .connect(target)
            .await
            .map_err(|e| Failure::Server(format!("connect to {target}: {e}")))?;
        Ok(socket)
    }
}

/// One byte of `require_reply`: the bits of `mask` that are set must equal those of `value`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReplyByte {
    pub value: u8,
    pub mask: u8,
}

impl ReplyByte {
    /// Parses lower- or upper-case hex with `x`/`X` for an ignored nibble (`"1x"` checks only
    /// the high nibble). Blanks separate groups; an odd last digit of a group is a byte of its
    /// own (`"Ab12f 3"` is AB 12 0F 03), as keepalived.conf(5) describes.
    pub fn parse_pattern(hex: &str) -> Result<Vec<ReplyByte>, String> {
        let nibble = |c: char| -> Result<(u8, u8), String> {
            match c {
                'x' | 'X' => Ok((0, 0)),
                _ => c
                    .to_digit(16)
                    .map(|d| (d as u8, 0xf))
                    .ok_or_else(|| format!("{c:?} in {hex:?} is neither a hex digit nor x")),
            }
        };
        let mut out = Vec::new();
        for group in hex.split_whitespace() {
            let chars: Vec<char> = group.chars().collect();
            for pair in chars.chunks(2) {
                let (hi, lo) = match pair {
                    [h, l] => (nibble(*h)?, nibble(*l)?),
                    [l] => ((0, 0xf), nibble(*l)?),
                    _ => unreachable!("chunks(2)"),
                };
                out.push(ReplyByte {
                    value: hi.0 << 4 | lo.0,
                    mask: hi.1 << 4 | lo.1,
                });
            }
        }
        Ok(out)
    }
}

/// Parses a payload's hex (no wildcards).
pub fn parse_hex(hex: &str) -> Result<Vec<u8>, String> {
    let bytes = ReplyByte::parse_pattern(hex)?;
    if bytes.iter().any(|b| b.mask != 0xff) {
        return Err(format!("payload {hex:?} may not contain x"));
    }
    Ok(bytes.into_iter().map(|b| b.value).collect())
}

/// UDP_CHECK.
#[derive(Clone, Debug)]
pub struct UdpCheck {
    pub conn: Connection,
    /// Absent: 32 filler bytes.
    pub payload: Option<Vec<u8>>,
    /// Absent: no reply needed. Empty: any reply.
    pub require_reply: Option<Vec<ReplyByte>>,
    pub min_reply_length: u16,
    pub max_reply_length: u16,
}

impl UdpCheck {
    pub fn new(
        conn: Connection,
        payload: Option<Vec<u8>>,
        require_reply: Option<Vec<ReplyByte>>,
        min_reply_length: u16,
        max_reply_length: u16,
    ) -> Result<UdpCheck, String> {
        conn.validate()?;
        if min_reply_length > max_reply_length {
            return Err(format!(
                "min_reply_length {min_reply_length} > max_reply_length {max_reply_length}: the check would always fail"
            ));
        }
        if payload.as_ref().is_some_and(|p| p.is_empty()) {
            return Err("UDP_CHECK payload is empty".into());
        }
        Ok(UdpCheck {
            conn,
            payload,
            require_reply,
            min_reply_length,
            max_reply_length,
        })
    }

    fn judge(&self, reply: &[u8]) -> Result<(), String> {
        let len = reply.len();
        if len < usize::from(self.min_reply_length) || len > usize::from(self.max_reply_length) {
            return Err(format!(
                "reply of {len} bytes, outside {}..={}",
                self.min_reply_length, self.max_reply_length
            ));
        }
        if let Some(pattern) = &self.require_reply {
            if let Some(i) = pattern
                .iter()
                .zip(reply)
                .position(|(p, &r)| (r ^ p.value) & p.mask != 0)
            {
                return Err(format!(
                    "reply byte {i} is {:02x}, expected {:02x} (mask {:02x})",
                    reply[i], pattern[i].value, pattern[i].mask
                ));
            }
        }
        Ok(())
    }

    async fn run(&self) -> Result<Success, Failure> {
        let target = self.conn.target();
        let socket = self.conn.udp_socket().await?;
        let filler = [0x55u8; 32];
        let payload = self.payload.as_deref().unwrap_or(&filler);
        socket
            .send(payload)
            .await
            .map_err(|e| format!("send to {target}: {e}"))?;
        // One byte more than the maximum, to see a reply that is too long.
        let mut buf = vec![0u8; usize::from(self.max_reply_length) + 1];
        match tokio::time::timeout(self.conn.connect_timeout, socket.recv(&mut buf)).await {
            Ok(Ok(n)) => {
                if self.require_reply.is_some() {
                    self.judge(&buf[..n])
                        .map_err(|e| format!("{target}: {e}"))?;
                }
                Ok(Success::default())
            }
            Ok(Err(e)) => Err(format!("{target}: {e}").into()),
            Err(_) if self.require_reply.is_some() => {
                Err(format!("{target}: no reply within {:?}", self.conn.connect_timeout).into())
            }
            Err(_) => Ok(Success::default()),
        }
    }
}

impl Probe for UdpCheck {
    fn probe(&self) -> ProbeFuture<'_> {
        Box::pin(self.run())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_parse_like_keepalived_hex_strings() {
        let b = |value, mask| ReplyByte { value, mask };
        assert_eq!(
            ReplyByte::parse_pattern("Ab12f").unwrap(),
            vec![b(0xab, 0xff), b(0x12, 0xff), b(0x0f, 0xff)]
        );
        assert_eq!(
            ReplyByte::parse_pattern("1x x2").unwrap(),
            vec![b(0x10, 0xf0), b(0x02, 0x0f)]
        );
        let man: Vec<u8> = parse_hex("Ab12f 3 456 546443123").unwrap();
        assert_eq!(
            man,
            vec![0xab, 0x12, 0x0f, 0x03, 0x45, 0x06, 0x54, 0x64, 0x43, 0x12, 0x03]
        );
        assert!(ReplyByte::parse_pattern("zz").is_err());
        assert_eq!(parse_hex("0102").unwrap(), vec![1, 2]);
        assert!(parse_hex("0x").is_err());
    }
}
