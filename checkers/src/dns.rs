//! DNS_CHECK: one query over UDP (recursion desired, class IN, a random id); the server is up
//! when an answer with the query's id and RCODE 0 (NOERROR) arrives within connect_timeout.
//! Datagrams that are too short, carry another id or are not responses are ignored, as
//! keepalived ignores them; any other RCODE, or an ICMP error, is a failure. The answer
//! section is not looked at.

use crate::engine::{Failure, Probe, ProbeFuture, Success};
use crate::tcp::Connection;

/// The query types keepalived knows (`type`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DnsType {
    A,
    NS,
    CNAME,
    #[default]
    SOA,
    MX,
    TXT,
    AAAA,
    RRSIG,
    DNSKEY,
}

impl DnsType {
    pub fn code(self) -> u16 {
        match self {
            DnsType::A => 1,
            DnsType::NS => 2,
            DnsType::CNAME => 5,
            DnsType::SOA => 6,
            DnsType::MX => 15,
            DnsType::TXT => 16,
            DnsType::AAAA => 28,
            DnsType::RRSIG => 46,
            DnsType::DNSKEY => 48,
        }
    }
}

/// DNS_CHECK.
#[derive(Clone, Debug)]
pub struct DnsCheck {
    pub conn: Connection,
    pub query_type: DnsType,
    /// Wire form of the name.
    qname: Vec<u8>,
    pub name: String,
}

/// `example.org`, `example.org.` and `.` in DNS wire form (labels, then the root label).
pub fn encode_name(name: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let trimmed = name.strip_suffix('.').unwrap_or(name);
    if !trimmed.is_empty() {
        for label in trimmed.split('.') {
            let len = u8::try_from(label.len())
                .ok()
                .filter(|&l| (1..=63).contains(&l));
            let Some(len) = len else {
                return Err(format!("name {name:?}: labels must be 1 to 63 bytes"));
            };
            out.push(len);
            out.extend_from_slice(label.as_bytes());
        }
    }
    out.push(0);
    if out.len() > 255 {
        return Err(format!("name {name:?} is longer than 255 bytes"));
    }
    Ok(out)
}

impl DnsCheck {
    pub fn new(conn: Connection, query_type: DnsType, name: &str) -> Result<DnsCheck, String> {
        conn.validate()?;
        let qname = encode_name(name)?;
        Ok(DnsCheck {
            conn,
            query_type,
            qname,
            name: name.to_string(),
        })
    }

    pub fn query(&self, id: u16) -> Vec<u8> {
        let mut q = Vec::with_capacity(12 + self.qname.len() + 4);
        q.extend_from_slice(&id.to_be_bytes());
        q.extend_from_slice(&0x0100u16.to_be_bytes()); // RD
        q.extend_from_slice(&[0, 1, 0, 0, 0, 0, 0, 0]); // QDCOUNT 1
        q.extend_from_slice(&self.qname);
        q.extend_from_slice(&self.query_type.code().to_be_bytes());
        q.extend_from_slice(&1u16.to_be_bytes()); // IN
        q
    }

    async fn run(&self) -> Result<Success, Failure> {
        let target = self.conn.target();
        let socket = self.conn.udp_socket().await?;
        let id = fastrand::u16(..);
        let exchange = async {
            socket
                .send(&self.query(id))
                .await
                .map_err(|e| format!("send to {target}: {e}"))?;
            let mut buf = [0u8; 4096];
            loop {
                let n = socket
                    .recv(&mut buf)
                    .await
                    .map_err(|e| format!("{target}: {e}"))?;
                let Some(header) = buf.get(..n).filter(|b| b.len() >= 12) else {
                    continue;
                };
                let flags = u16::from_be_bytes([header[2], header[3]]);
                if u16::from_be_bytes([header[0], header[1]]) != id || flags & 0x8000 == 0 {
                    continue;
                }
                return match flags & 0xf {
                    0 => Ok(Success::default()),
                    rcode => Err(format!(
                        "{target}: {} {:?}: rcode {rcode}",
                        self.name, self.query_type
                    )),
                };
            }
        };
        Ok(tokio::time::timeout(self.conn.connect_timeout, exchange)
            .await
            .map_err(|_| format!("{target}: no answer within {:?}", self.conn.connect_timeout))??)
    }
}

impl Probe for DnsCheck {
    fn probe(&self) -> ProbeFuture<'_> {
        Box::pin(self.run())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_encode_with_the_root_label() {
        assert_eq!(encode_name(".").unwrap(), vec![0]);
        assert_eq!(
            encode_name("example.org").unwrap(),
            b"\x07example\x03org\x00".to_vec()
        );
        assert_eq!(
            encode_name("example.org.").unwrap(),
            b"\x07example\x03org\x00".to_vec()
        );
        assert!(encode_name("a..b").is_err());
        assert!(encode_name(&"a".repeat(64)).is_err());
    }

    #[test]
    fn the_query_is_rd_in_with_the_type() {
        let conn = Connection::new(
            "127.0.0.1".parse().unwrap(),
            53,
            std::time::Duration::from_secs(1),
        );
        let q = DnsCheck::new(conn, DnsType::MX, "example.org")
            .unwrap()
            .query(0x1234);
        assert_eq!(&q[..12], &[0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
        assert_eq!(&q[q.len() - 4..], &[0, 15, 0, 1]);
    }
}
