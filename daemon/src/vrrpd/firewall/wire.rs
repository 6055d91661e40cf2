//! nf_tables' netlink messages as bytes (linux/netfilter/nf_tables.h, nfnetlink.h): attributes,
//! one message, a batch, and the kernel's acknowledgements read back. Pure; only what the VRRP
//! firewall sends. Checked against the bytes `nft --debug=mnl` writes for the same commands.

/// NETLINK_NETFILTER, the socket's protocol.
pub const NETLINK_NETFILTER: i32 = 12;

/// nfgenmsg's family: NFPROTO_IPV4, NFPROTO_IPV6.
pub const NFPROTO_IPV4: u8 = 2;
pub const NFPROTO_IPV6: u8 = 10;

const NFNL_SUBSYS_NFTABLES: u16 = 10;
const NFNL_MSG_BATCH_BEGIN: u16 = 16;
const NFNL_MSG_BATCH_END: u16 = 17;

const NLM_F_REQUEST: u16 = 0x1;
const NLM_F_ACK: u16 = 0x4;
const NLM_F_CREATE: u16 = 0x400;
const NLM_F_APPEND: u16 = 0x800;
const NLA_F_NESTED: u16 = 0x8000;
const NLMSG_ERROR: u16 = 2;
const NLMSG_DONE: u16 = 3;
const NLMSG_HDRLEN: usize = 16;

/// The nf_tables operations the firewall sends (NFT_MSG_*).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    NewTable = 0,
    GetTable = 1,
    DelTable = 2,
    NewChain = 3,
    NewRule = 6,
    NewSet = 9,
    NewSetElem = 12,
    DelSetElem = 14,
}

impl Op {
    fn flags(self) -> u16 {
        NLM_F_REQUEST
            | NLM_F_ACK
            | match self {
                Op::NewTable | Op::NewChain | Op::NewSet | Op::NewSetElem => NLM_F_CREATE,
                Op::NewRule => NLM_F_CREATE | NLM_F_APPEND,
                Op::GetTable | Op::DelTable | Op::DelSetElem => 0,
            }
    }
}

/// Netlink attributes being written: type-length-value, each padded to 4 bytes.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Attrs(Vec<u8>);

impl Attrs {
    pub fn new() -> Attrs {
        Attrs::default()
    }

    pub fn bytes(mut self, kind: u16, value: &[u8]) -> Attrs {
        let len = 4 + value.len();
        // An attribute is at most 64 KiB; ours are names and addresses.
        self.0
            .extend_from_slice(&u16::try_from(len).unwrap_or(u16::MAX).to_ne_bytes());
        self.0.extend_from_slice(&kind.to_ne_bytes());
        self.0.extend_from_slice(value);
        self.0.resize(self.0.len().next_multiple_of(4), 0);
        self
    }

    /// A NUL-terminated string.
    pub fn string(self, kind: u16, value: &str) -> Attrs {
        let mut v = value.as_bytes().to_vec();
        v.push(0);
        self.bytes(kind, &v)
    }

    /// A 32-bit number in network order, as nf_tables takes them.
    pub fn be32(self, kind: u16, value: u32) -> Attrs {
        self.bytes(kind, &value.to_be_bytes())
    }

    pub fn be64(self, kind: u16, value: u64) -> Attrs {
        self.bytes(kind, &value.to_be_bytes())
    }

    pub fn nested(self, kind: u16, inner: Attrs) -> Attrs {
        self.bytes(kind | NLA_F_NESTED, &inner.0)
    }

    /// Attributes written one after another (a rule's expressions).
    pub fn append(mut self, more: Attrs) -> Attrs {
        self.0.extend(more.0);
        self
    }

    #[cfg(test)]
    pub fn into_bytes(self) -> Vec<u8> {
        self.0
    }
}

/// One nf_tables message: the netlink header, nfgenmsg (family, version 0, resource id 0) and
/// the attributes.
pub fn message(op: Op, family: u8, seq: u32, attrs: Attrs) -> Vec<u8> {
    let kind = (NFNL_SUBSYS_NFTABLES << 8) | op as u16;
    frame(kind, op.flags(), seq, [family, 0, 0, 0], &attrs.0)
}

fn frame(kind: u16, flags: u16, seq: u32, nfgen: [u8; 4], payload: &[u8]) -> Vec<u8> {
    let len = NLMSG_HDRLEN + 4 + payload.len();
    let mut out = Vec::with_capacity(len);
    out.extend_from_slice(&u32::try_from(len).unwrap_or(u32::MAX).to_ne_bytes());
    out.extend_from_slice(&kind.to_ne_bytes());
    out.extend_from_slice(&flags.to_ne_bytes());
    out.extend_from_slice(&seq.to_ne_bytes());
    out.extend_from_slice(&0u32.to_ne_bytes()); // port id: the kernel fills ours in
    out.extend_from_slice(&nfgen);
    out.extend_from_slice(payload);
    out
}

/// Messages wrapped in a batch (begin and end carry nf_tables' subsystem id): the kernel applies
/// all of them or none. `first_seq` is the begin's; the messages must be numbered after it.
pub fn batch(first_seq: u32, messages: &[Vec<u8>]) -> Vec<u8> {
    let subsys = NFNL_SUBSYS_NFTABLES.to_be_bytes();
    let nfgen = [0, 0, subsys[0], subsys[1]];
    let end_seq = first_seq.wrapping_add(u32::try_from(messages.len()).unwrap_or(0) + 1);
    let mut out = frame(NFNL_MSG_BATCH_BEGIN, NLM_F_REQUEST, first_seq, nfgen, &[]);
    for m in messages {
        out.extend_from_slice(m);
    }
    out.extend(frame(
        NFNL_MSG_BATCH_END,
        NLM_F_REQUEST,
        end_seq,
        nfgen,
        &[],
    ));
    out
}

/// What a message built by [`message`] does, for an error naming it.
pub fn describe(m: &[u8]) -> &'static str {
    let op = m.get(4).copied().unwrap_or(u8::MAX);
    [
        (Op::NewTable, "adding a table"),
        (Op::GetTable, "looking a table up"),
        (Op::DelTable, "deleting a table"),
        (Op::NewChain, "adding a chain"),
        (Op::NewRule, "adding a rule"),
        (Op::NewSet, "adding a set"),
        (Op::NewSetElem, "adding to a set"),
        (Op::DelSetElem, "removing from a set"),
    ]
    .into_iter()
    .find(|(o, _)| *o as u8 == op)
    .map_or("an nf_tables message", |(_, what)| what)
}

/// What the kernel answered to one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// NLMSG_ERROR: 0 is an acknowledgement, else a negative errno.
    Ack { seq: u32, errno: i32 },
    /// Anything else (the table a GETTABLE asked for, NLMSG_DONE).
    Data { seq: u32, kind: u16 },
}

/// The messages in one datagram read from the socket; a truncated one ends the reading.
pub fn replies(mut buf: &[u8]) -> Vec<Reply> {
    let mut out = Vec::new();
    while buf.len() >= NLMSG_HDRLEN {
        let len = u32::from_ne_bytes([buf[0], buf[1], buf[2], buf[3]]) as usize;
        if len < NLMSG_HDRLEN || len > buf.len() {
            break;
        }
        let kind = u16::from_ne_bytes([buf[4], buf[5]]);
        let seq = u32::from_ne_bytes([buf[8], buf[9], buf[10], buf[11]]);
        if kind == NLMSG_ERROR && len >= NLMSG_HDRLEN + 4 {
            let e = &buf[NLMSG_HDRLEN..];
            let errno = i32::from_ne_bytes([e[0], e[1], e[2], e[3]]);
            out.push(Reply::Ack { seq, errno });
        } else if kind != NLMSG_DONE {
            out.push(Reply::Data { seq, kind });
        }
        buf = &buf[len.next_multiple_of(4).min(buf.len())..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `nft --debug=mnl add table ip keepalived`: the message (flags aside, which nft's dump
    /// does not show in full).
    #[test]
    fn a_table_as_nft_writes_it() {
        let m = message(
            Op::NewTable,
            NFPROTO_IPV4,
            1,
            Attrs::new().string(1, "keepalived").be32(2, 0),
        );
        let mut want = Vec::new();
        want.extend_from_slice(&44u32.to_ne_bytes());
        want.extend_from_slice(&2560u16.to_ne_bytes());
        want.extend_from_slice(&(0x1u16 | 0x4 | 0x400).to_ne_bytes());
        want.extend_from_slice(&1u32.to_ne_bytes());
        want.extend_from_slice(&0u32.to_ne_bytes());
        want.extend_from_slice(&[2, 0, 0, 0]);
        want.extend_from_slice(&15u16.to_ne_bytes());
        want.extend_from_slice(&1u16.to_ne_bytes());
        want.extend_from_slice(b"keepalived\0\0");
        want.extend_from_slice(&8u16.to_ne_bytes());
        want.extend_from_slice(&2u16.to_ne_bytes());
        want.extend_from_slice(&[0, 0, 0, 0]);
        assert_eq!(m, want);
    }

    #[test]
    fn nested_attributes_carry_the_nested_flag_and_their_length() {
        // NFTA_CHAIN_HOOK { hooknum 3, priority -1 }, as nft writes it: 20 bytes, "N".
        let a = Attrs::new().nested(4, Attrs::new().be32(1, 3).be32(2, (-1i32) as u32));
        let b = a.0;
        assert_eq!(u16::from_ne_bytes([b[0], b[1]]), 20);
        assert_eq!(u16::from_ne_bytes([b[2], b[3]]), 4 | 0x8000);
        assert_eq!(&b[8..12], &[0, 0, 0, 3]);
        assert_eq!(&b[16..20], &[0xff, 0xff, 0xff, 0xff]);
    }

    #[test]
    fn a_batch_is_framed_by_begin_and_end_with_the_subsystem() {
        let m = message(Op::DelTable, NFPROTO_IPV6, 8, Attrs::new().string(1, "t"));
        let b = batch(7, std::slice::from_ref(&m));
        assert_eq!(b.len(), 20 + m.len() + 20);
        // begin: type 16, seq 7, res_id 10 big-endian
        assert_eq!(u16::from_ne_bytes([b[4], b[5]]), 16);
        assert_eq!(u32::from_ne_bytes([b[8], b[9], b[10], b[11]]), 7);
        assert_eq!(&b[16..20], &[0, 0, 0, 10]);
        let end = &b[20 + m.len()..];
        assert_eq!(u16::from_ne_bytes([end[4], end[5]]), 17);
        assert_eq!(u32::from_ne_bytes([end[8], end[9], end[10], end[11]]), 9);
    }

    #[test]
    fn a_refused_message_is_named() {
        let m = message(Op::NewSetElem, NFPROTO_IPV4, 1, Attrs::new());
        assert_eq!(describe(&m), "adding to a set");
        assert_eq!(describe(&[]), "an nf_tables message");
    }

    #[test]
    fn replies_read_acks_errors_and_data() {
        let mut buf = frame(NLMSG_ERROR, 0, 5, [0, 0, 0, 0], &[0; 16]);
        // nlmsgerr's errno sits where nfgenmsg would.
        buf.extend(frame(NLMSG_ERROR, 0, 6, (-17i32).to_ne_bytes(), &[0; 16]));
        buf.extend(frame(2560, 0, 7, [2, 0, 0, 0], &[]));
        buf.extend(frame(NLMSG_DONE, 0, 7, [0; 4], &[]));
        let r = replies(&buf);
        assert_eq!(
            r,
            vec![
                Reply::Ack { seq: 5, errno: 0 },
                Reply::Ack { seq: 6, errno: -17 },
                Reply::Data { seq: 7, kind: 2560 },
            ]
        );
        assert!(
            replies(&buf[..10]).is_empty(),
            "a truncated header is no reply"
        );
    }
}
