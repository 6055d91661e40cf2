//! The AgentX protocol's PDUs (RFC 2741), as far as a read-only subagent needs them: the ones
//! it sends (Open, Register, AddAgentCaps, Response) encoded, the ones a master sends
//! (Get, GetNext, GetBulk, the Set phases, Close, Response) decoded. Pure: bytes in, bytes out.
//!
//! Written here rather than taken from the `agentx` crate: its OctetString is a Rust `String`,
//! so it cannot carry a MAC address or an IpAddress (bytes that are not UTF-8), and its OIDs
//! hide their sub-identifiers.
//!
//! ```text
//! header (20 bytes):  version=1 | type | flags | reserved
//!                     session id | transaction id | packet id | payload length
//! ```
//! Every integer is in the byte order the header's NETWORK_BYTE_ORDER flag says; what we send
//! is in network byte order.

use std::fmt;

/// An object identifier, as its sub-identifiers.
pub type Oid = Vec<u32>;

pub const HEADER_LEN: usize = 20;
/// The most a master's PDU may hold here: a walk's requests are a few hundred bytes; anything
/// far bigger is a broken peer, and the session is dropped rather than the memory taken.
pub const MAX_PAYLOAD: u32 = 1 << 20;

const VERSION: u8 = 1;
const FLAG_NON_DEFAULT_CONTEXT: u8 = 0x08;
const FLAG_NETWORK_BYTE_ORDER: u8 = 0x10;

/// PDU types (RFC 2741 6.1).
pub mod pdu_type {
    pub const OPEN: u8 = 1;
    pub const CLOSE: u8 = 2;
    pub const REGISTER: u8 = 3;
    pub const GET: u8 = 5;
    pub const GET_NEXT: u8 = 6;
    pub const GET_BULK: u8 = 7;
    pub const TEST_SET: u8 = 8;
    pub const COMMIT_SET: u8 = 9;
    pub const UNDO_SET: u8 = 10;
    pub const CLEANUP_SET: u8 = 11;
    pub const ADD_AGENT_CAPS: u8 = 16;
    pub const RESPONSE: u8 = 18;
}

/// Response errors (RFC 2741 6.2.16) that we send.
pub mod res_error {
    pub const NO_ERROR: u16 = 0;
    /// SNMP's notWritable: every object here is read-only.
    pub const NOT_WRITABLE: u16 = 17;
    pub const PROCESSING_ERROR: u16 = 268;
}

/// A variable's value (RFC 2741 5.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Integer(i32),
    OctetString(Vec<u8>),
    IpAddress([u8; 4]),
    Counter32(u32),
    TimeTicks(u32),
    NoSuchObject,
    NoSuchInstance,
    EndOfMibView,
}

impl Value {
    fn tag(&self) -> u16 {
        match self {
            Value::Integer(_) => 2,
            Value::OctetString(_) => 4,
            Value::IpAddress(_) => 64,
            Value::Counter32(_) => 65,
            Value::TimeTicks(_) => 67,
            Value::NoSuchObject => 128,
            Value::NoSuchInstance => 129,
            Value::EndOfMibView => 130,
        }
    }
}

/// One search range of a Get, GetNext or GetBulk: from `start` (itself included when
/// `include`) up to `end`, excluded (empty: no bound).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchRange {
    pub start: Oid,
    pub include: bool,
    pub end: Oid,
}

/// The ids a response must carry back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub ty: u8,
    pub session_id: u32,
    pub transaction_id: u32,
    pub packet_id: u32,
}

/// What a master sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pdu {
    Get(Vec<SearchRange>),
    GetNext(Vec<SearchRange>),
    GetBulk {
        non_repeaters: u16,
        max_repetitions: u16,
        ranges: Vec<SearchRange>,
    },
    TestSet,
    CommitSet,
    UndoSet,
    CleanupSet,
    Close,
    /// An answer to one of ours, with its error (0: none).
    Response {
        error: u16,
    },
    /// A type a master does not send to a subagent, or that we do not use.
    Other(u8),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    Truncated,
    BadVersion(u8),
    PayloadTooLong(u32),
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::Truncated => write!(f, "truncated AgentX PDU"),
            DecodeError::BadVersion(v) => write!(f, "AgentX version {v}, not 1"),
            DecodeError::PayloadTooLong(n) => write!(f, "AgentX payload of {n} bytes"),
        }
    }
}

/// The fixed header's fields, and the payload's length that follows it.
pub fn decode_header(b: &[u8; HEADER_LEN]) -> Result<(Header, u8, u32), DecodeError> {
    if b[0] != VERSION {
        return Err(DecodeError::BadVersion(b[0]));
    }
    let flags = b[2];
    let r = Reader {
        b: &b[..],
        at: 4,
        big: flags & FLAG_NETWORK_BYTE_ORDER != 0,
    };
    let mut r = r;
    let session_id = r.u32()?;
    let transaction_id = r.u32()?;
    let packet_id = r.u32()?;
    let len = r.u32()?;
    if len > MAX_PAYLOAD {
        return Err(DecodeError::PayloadTooLong(len));
    }
    let header = Header {
        ty: b[1],
        session_id,
        transaction_id,
        packet_id,
    };
    Ok((header, flags, len))
}

/// A PDU's payload, read as its header's type and flags say.
pub fn decode_payload(ty: u8, flags: u8, payload: &[u8]) -> Result<Pdu, DecodeError> {
    let mut r = Reader {
        b: payload,
        at: 0,
        big: flags & FLAG_NETWORK_BYTE_ORDER != 0,
    };
    let context = |r: &mut Reader| -> Result<(), DecodeError> {
        // Only the default context is served; a named one is read past and answered alike.
        if flags & FLAG_NON_DEFAULT_CONTEXT != 0 {
            r.octets()?;
        }
        Ok(())
    };
    use pdu_type::*;
    Ok(match ty {
        GET | GET_NEXT => {
            context(&mut r)?;
            let ranges = r.search_ranges()?;
            if ty == GET {
                Pdu::Get(ranges)
            } else {
                Pdu::GetNext(ranges)
            }
        }
        GET_BULK => {
            context(&mut r)?;
            let non_repeaters = r.u16()?;
            let max_repetitions = r.u16()?;
            Pdu::GetBulk {
                non_repeaters,
                max_repetitions,
                ranges: r.search_ranges()?,
            }
        }
        TEST_SET => Pdu::TestSet,
        COMMIT_SET => Pdu::CommitSet,
        UNDO_SET => Pdu::UndoSet,
        CLEANUP_SET => Pdu::CleanupSet,
        CLOSE => Pdu::Close,
        RESPONSE => {
            let _sys_uptime = r.u32()?;
            Pdu::Response { error: r.u16()? }
        }
        other => Pdu::Other(other),
    })
}

struct Reader<'a> {
    b: &'a [u8],
    at: usize,
    big: bool,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], DecodeError> {
        let end = self.at.checked_add(n).ok_or(DecodeError::Truncated)?;
        let s = self.b.get(self.at..end).ok_or(DecodeError::Truncated)?;
        self.at = end;
        Ok(s)
    }

    fn u16(&mut self) -> Result<u16, DecodeError> {
        let s: [u8; 2] = self
            .take(2)?
            .try_into()
            .map_err(|_| DecodeError::Truncated)?;
        Ok(if self.big {
            u16::from_be_bytes(s)
        } else {
            u16::from_le_bytes(s)
        })
    }

    fn u32(&mut self) -> Result<u32, DecodeError> {
        let s: [u8; 4] = self
            .take(4)?
            .try_into()
            .map_err(|_| DecodeError::Truncated)?;
        Ok(if self.big {
            u32::from_be_bytes(s)
        } else {
            u32::from_le_bytes(s)
        })
    }

    /// An OID (RFC 2741 5.1), with its include flag; a non-zero prefix stands for 1.3.6.1.prefix.
    fn oid(&mut self) -> Result<(Oid, bool), DecodeError> {
        let h = self.take(4)?;
        let (n, prefix, include) = (h[0] as usize, h[1], h[2] != 0);
        let mut oid = Vec::with_capacity(n + 5);
        if prefix != 0 {
            oid.extend([1, 3, 6, 1, u32::from(prefix)]);
        }
        for _ in 0..n {
            oid.push(self.u32()?);
        }
        Ok((oid, include))
    }

    fn octets(&mut self) -> Result<&[u8], DecodeError> {
        let len = self.u32()? as usize;
        let padded = len.checked_add(3).ok_or(DecodeError::Truncated)? & !3;
        Ok(&self.take(padded)?[..len])
    }

    fn search_ranges(&mut self) -> Result<Vec<SearchRange>, DecodeError> {
        let mut out = Vec::new();
        while self.at < self.b.len() {
            let (start, include) = self.oid()?;
            let (end, _) = self.oid()?;
            out.push(SearchRange {
                start,
                include,
                end,
            });
        }
        Ok(out)
    }
}

/// Builds one PDU in network byte order.
struct Writer {
    b: Vec<u8>,
}

impl Writer {
    fn new(ty: u8, flags: u8, session_id: u32, transaction_id: u32, packet_id: u32) -> Self {
        let mut b = Vec::with_capacity(64);
        b.extend([VERSION, ty, flags | FLAG_NETWORK_BYTE_ORDER, 0]);
        for v in [session_id, transaction_id, packet_id, 0] {
            b.extend(v.to_be_bytes());
        }
        Writer { b }
    }

    fn u8s(&mut self, v: [u8; 4]) {
        self.b.extend(v);
    }

    fn u16(&mut self, v: u16) {
        self.b.extend(v.to_be_bytes());
    }

    fn u32(&mut self, v: u32) {
        self.b.extend(v.to_be_bytes());
    }

    fn oid(&mut self, oid: &[u32]) {
        // Never longer than 128 sub-identifiers (RFC 2578); ours are at most 15.
        let n = u8::try_from(oid.len()).unwrap_or(u8::MAX);
        self.u8s([n, 0, 0, 0]);
        for &s in &oid[..usize::from(n)] {
            self.u32(s);
        }
    }

    fn octets(&mut self, v: &[u8]) {
        self.u32(u32::try_from(v.len()).unwrap_or(u32::MAX));
        self.b.extend(v);
        while self.b.len() % 4 != 0 {
            self.b.push(0);
        }
    }

    fn varbind(&mut self, name: &[u32], value: &Value) {
        self.u16(value.tag());
        self.u16(0);
        self.oid(name);
        match value {
            Value::Integer(v) => self.b.extend(v.to_be_bytes()),
            Value::OctetString(v) => self.octets(v),
            Value::IpAddress(v) => self.octets(v),
            Value::Counter32(v) | Value::TimeTicks(v) => self.u32(*v),
            Value::NoSuchObject | Value::NoSuchInstance | Value::EndOfMibView => {}
        }
    }

    fn finish(mut self) -> Vec<u8> {
        let len = u32::try_from(self.b.len() - HEADER_LEN).unwrap_or(u32::MAX);
        self.b[16..20].copy_from_slice(&len.to_be_bytes());
        self.b
    }
}

/// Open (RFC 2741 6.2.1): the session, with the master's default timeout.
pub fn open(packet_id: u32, descr: &str) -> Vec<u8> {
    let mut w = Writer::new(pdu_type::OPEN, 0, 0, 0, packet_id);
    w.u8s([0, 0, 0, 0]);
    w.oid(&[]);
    w.octets(descr.as_bytes());
    w.finish()
}

/// Register (RFC 2741 6.2.3) one subtree at the default priority.
pub fn register(session_id: u32, packet_id: u32, subtree: &[u32]) -> Vec<u8> {
    let mut w = Writer::new(pdu_type::REGISTER, 0, session_id, 0, packet_id);
    w.u8s([0, 127, 0, 0]);
    w.oid(subtree);
    w.finish()
}

/// AddAgentCaps (RFC 2741 6.2.14): the MIB's line in the master's sysORTable.
pub fn add_agent_caps(session_id: u32, packet_id: u32, id: &[u32], descr: &str) -> Vec<u8> {
    let mut w = Writer::new(pdu_type::ADD_AGENT_CAPS, 0, session_id, 0, packet_id);
    w.oid(id);
    w.octets(descr.as_bytes());
    w.finish()
}

/// Response (RFC 2741 6.2.16) to `to`, with its error, the index it names and the variables.
pub fn response(to: &Header, error: u16, index: u16, varbinds: &[(Oid, Value)]) -> Vec<u8> {
    let mut w = Writer::new(
        pdu_type::RESPONSE,
        0,
        to.session_id,
        to.transaction_id,
        to.packet_id,
    );
    w.u32(0); // sysUpTime: only the master's counts
    w.u16(error);
    w.u16(index);
    for (name, value) in varbinds {
        w.varbind(name, value);
    }
    w.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(pdu: &[u8]) -> (Header, u8, &[u8]) {
        let h: &[u8; HEADER_LEN] = pdu[..HEADER_LEN].try_into().unwrap();
        let (header, flags, len) = decode_header(h).unwrap();
        assert_eq!(len as usize, pdu.len() - HEADER_LEN, "payload length");
        (header, flags, &pdu[HEADER_LEN..])
    }

    #[test]
    fn open_is_laid_out_as_rfc_2741_says() {
        let pdu = open(7, "keepalived");
        assert_eq!(&pdu[..4], &[1, pdu_type::OPEN, 0x10, 0]);
        assert_eq!(&pdu[12..16], &7u32.to_be_bytes(), "packet id");
        // timeout + reserved, the null OID, then the description padded to 4.
        assert_eq!(&pdu[20..28], &[0, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(&pdu[28..32], &10u32.to_be_bytes());
        assert_eq!(&pdu[32..42], b"keepalived");
        assert_eq!(pdu.len(), 44);
        assert_eq!(split(&pdu).0.packet_id, 7);
    }

    #[test]
    fn register_names_the_subtree_at_the_default_priority() {
        let pdu = register(42, 2, &[1, 3, 6, 1, 2, 1, 68]);
        let (h, _, p) = split(&pdu);
        assert_eq!((h.ty, h.session_id), (pdu_type::REGISTER, 42));
        assert_eq!(&p[..4], &[0, 127, 0, 0]);
        assert_eq!(&p[4..8], &[7, 0, 0, 0]);
        assert_eq!(&p[8..12], &1u32.to_be_bytes());
        assert_eq!(&p[32..36], &68u32.to_be_bytes());
    }

    /// A master's GetNext as net-snmp's snmpd sends it: little endian when the host is, with
    /// the prefix form for an OID under 1.3.6.1.
    fn get_next_le(start_prefixed: (u8, &[u32]), include: bool) -> Vec<u8> {
        let mut p = Vec::new();
        p.extend([
            start_prefixed.1.len() as u8,
            start_prefixed.0,
            include as u8,
            0,
        ]);
        for s in start_prefixed.1 {
            p.extend(s.to_le_bytes());
        }
        p.extend([0, 0, 0, 0]); // null end
        let mut b = vec![1, pdu_type::GET_NEXT, 0, 0];
        for v in [9u32, 10, 11, p.len() as u32] {
            b.extend(v.to_le_bytes());
        }
        b.extend(p);
        b
    }

    #[test]
    fn a_little_endian_get_next_with_a_prefix_decodes() {
        let pdu = get_next_le((2, &[1, 68, 1, 3]), true);
        let (h, flags, p) = split(&pdu);
        assert_eq!((h.session_id, h.transaction_id, h.packet_id), (9, 10, 11));
        assert_eq!(
            decode_payload(h.ty, flags, p).unwrap(),
            Pdu::GetNext(vec![SearchRange {
                start: vec![1, 3, 6, 1, 2, 1, 68, 1, 3],
                include: true,
                end: vec![],
            }])
        );
    }

    #[test]
    fn a_truncated_pdu_is_an_error_not_a_panic() {
        let pdu = get_next_le((2, &[1, 68, 1, 3]), false);
        let (h, flags, p) = split(&pdu);
        for cut in 0..p.len() {
            let _ = decode_payload(h.ty, flags, &p[..cut]);
        }
        assert_eq!(
            decode_payload(h.ty, flags, &p[..6]),
            Err(DecodeError::Truncated)
        );
        let mut big = [0u8; HEADER_LEN];
        big[0] = 1;
        big[16..20].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(matches!(
            decode_header(&big),
            Err(DecodeError::PayloadTooLong(_))
        ));
        big[0] = 2;
        assert_eq!(decode_header(&big), Err(DecodeError::BadVersion(2)));
    }

    #[test]
    fn a_response_carries_the_ids_back_and_each_value_in_its_encoding() {
        let to = Header {
            ty: pdu_type::GET,
            session_id: 1,
            transaction_id: 2,
            packet_id: 3,
        };
        let pdu = response(
            &to,
            0,
            0,
            &[
                (vec![1, 2], Value::Integer(-1)),
                (vec![1, 3], Value::OctetString(vec![0x1a, 0x9f, 0x5d])),
                (vec![1, 4], Value::IpAddress([10, 0, 0, 1])),
                (vec![1, 5], Value::EndOfMibView),
            ],
        );
        let (h, _, p) = split(&pdu);
        assert_eq!(
            (h.ty, h.session_id, h.transaction_id, h.packet_id),
            (18, 1, 2, 3)
        );
        assert_eq!(&p[..8], &[0, 0, 0, 0, 0, 0, 0, 0], "uptime, error, index");
        // Each binding: type and reserved, the name (a 4-byte header and 2 sub-ids), the data.
        // Integer: type 2, then -1.
        assert_eq!(&p[8..12], &[0, 2, 0, 0]);
        assert_eq!(&p[12..16], &[2, 0, 0, 0]);
        assert_eq!(&p[24..28], &[0xff; 4]);
        // OctetString: length 3, padded to 4.
        assert_eq!(&p[28..32], &[0, 4, 0, 0]);
        assert_eq!(&p[44..52], &[0, 0, 0, 3, 0x1a, 0x9f, 0x5d, 0]);
        // IpAddress: an octet string of 4.
        assert_eq!(&p[52..56], &[0, 64, 0, 0]);
        assert_eq!(&p[68..76], &[0, 0, 0, 4, 10, 0, 0, 1]);
        // endOfMibView: no data.
        assert_eq!(&p[76..80], &[0, 130, 0, 0]);
        assert_eq!(p.len(), 92);
    }

    #[test]
    fn a_response_from_the_master_gives_its_error() {
        let to = Header {
            ty: pdu_type::OPEN,
            session_id: 5,
            transaction_id: 0,
            packet_id: 1,
        };
        let pdu = response(&to, 261, 0, &[]);
        let (h, flags, p) = split(&pdu);
        assert_eq!(
            decode_payload(h.ty, flags, p).unwrap(),
            Pdu::Response { error: 261 }
        );
    }
}
