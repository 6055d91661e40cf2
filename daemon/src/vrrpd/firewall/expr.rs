//! nf_tables rule expressions (linux/netfilter/nf_tables.h), each a list element naming the
//! expression and its attributes. Pure; the ones the VRRP firewall's rules use, written as
//! `nft --debug=netlink` shows them.

use super::wire::Attrs;

const NFTA_LIST_ELEM: u16 = 1;
const NFTA_EXPR_NAME: u16 = 1;
const NFTA_EXPR_DATA: u16 = 2;
const NFTA_DATA_VALUE: u16 = 1;
const NFTA_DATA_VERDICT: u16 = 2;

/// Register 1, where a loaded value goes (the old 16-byte registers: one holds an IPv6 address).
pub const REG_1: u32 = 1;
/// Register 0, the verdict's.
const REG_VERDICT: u32 = 0;

/// Where a payload load starts.
#[derive(Debug, Clone, Copy)]
pub enum Header {
    Network = 1,
    Transport = 2,
}

/// A rule's verdict.
#[derive(Debug, Clone)]
pub enum Verdict {
    Drop,
    Accept,
    Goto(String),
}

fn expr(name: &str, data: Attrs) -> Attrs {
    Attrs::new().nested(
        NFTA_LIST_ELEM,
        Attrs::new()
            .string(NFTA_EXPR_NAME, name)
            .nested(NFTA_EXPR_DATA, data),
    )
}

fn value(bytes: &[u8]) -> Attrs {
    Attrs::new().bytes(NFTA_DATA_VALUE, bytes)
}

/// `[ payload load LENb @ HEADER + OFFSET => reg 1 ]`
pub fn payload(header: Header, offset: u32, len: u32) -> Attrs {
    expr(
        "payload",
        Attrs::new()
            .be32(1, REG_1) // NFTA_PAYLOAD_DREG
            .be32(2, header as u32) // NFTA_PAYLOAD_BASE
            .be32(3, offset) // NFTA_PAYLOAD_OFFSET
            .be32(4, len), // NFTA_PAYLOAD_LEN
    )
}

/// `[ meta load iif => reg 2 ]` (in) or `oif` (out): the interface's index after a 16-byte
/// address in register 1, for a concatenated key.
pub fn meta_interface(out: bool) -> Attrs {
    const NFT_META_IIF: u32 = 4;
    const NFT_META_OIF: u32 = 5;
    let key = if out { NFT_META_OIF } else { NFT_META_IIF };
    expr(
        "meta",
        Attrs::new().be32(2, key).be32(1, REG_2), // NFTA_META_KEY, NFTA_META_DREG
    )
}

/// `[ meta load KEY => reg DREG ]`: nft's `meta l4proto` (16), `oif` (5), `oifkind` (27).
pub fn meta(key: Meta, dreg: u32) -> Attrs {
    expr(
        "meta",
        Attrs::new().be32(2, key as u32).be32(1, dreg), // NFTA_META_KEY, NFTA_META_DREG
    )
}

/// The meta keys the VMAC rules load (enum nft_meta_keys).
#[derive(Debug, Clone, Copy)]
pub enum Meta {
    Oif = 5,
    L4proto = 16,
    OifKind = 27,
}

/// Register 2, for a second value beside register 1 (an interface index).
pub const REG_2: u32 = 2;

/// `[ lookup reg SREG set MAP dreg DREG ]`: a map's value for the key in `sreg`.
pub fn map_lookup(map: &str, set_id: u32, sreg: u32, dreg: u32) -> Attrs {
    expr(
        "lookup",
        Attrs::new()
            .be32(2, sreg) // NFTA_LOOKUP_SREG
            .be32(3, dreg) // NFTA_LOOKUP_DREG
            .string(1, map) // NFTA_LOOKUP_SET
            .be32(4, set_id), // NFTA_LOOKUP_SET_ID
    )
}

/// `[ lookup reg SREG set SET ]`, the key in any register.
pub fn lookup_reg(set: &str, set_id: u32, sreg: u32) -> Attrs {
    expr(
        "lookup",
        Attrs::new()
            .be32(2, sreg) // NFTA_LOOKUP_SREG
            .string(1, set) // NFTA_LOOKUP_SET
            .be32(4, set_id), // NFTA_LOOKUP_SET_ID
    )
}

/// `[ dup sreg_addr 1 sreg_dev 2 ]`: a copy of the packet sent to the address in register 1
/// out of the interface whose index is in register 2.
pub fn dup(sreg_addr: u32, sreg_dev: u32) -> Attrs {
    expr(
        "dup",
        Attrs::new().be32(1, sreg_addr).be32(2, sreg_dev), // NFTA_DUP_SREG_ADDR, _DEV
    )
}

/// `[ cmp eq reg 1 DATA ]`
pub fn cmp_eq(data: &[u8]) -> Attrs {
    const NFT_CMP_EQ: u32 = 0;
    expr(
        "cmp",
        Attrs::new()
            .be32(1, REG_1) // NFTA_CMP_SREG
            .be32(2, NFT_CMP_EQ) // NFTA_CMP_OP
            .nested(3, value(data)), // NFTA_CMP_DATA
    )
}

/// `[ bitwise reg 1 = ( reg 1 & MASK ) ^ 0 ]`
pub fn mask(mask: &[u8]) -> Attrs {
    let len = u32::try_from(mask.len()).unwrap_or(0);
    expr(
        "bitwise",
        Attrs::new()
            .be32(1, REG_1) // NFTA_BITWISE_SREG
            .be32(2, REG_1) // NFTA_BITWISE_DREG
            .be32(3, len) // NFTA_BITWISE_LEN
            .nested(4, value(mask)) // NFTA_BITWISE_MASK
            .nested(5, value(&vec![0; mask.len()])), // NFTA_BITWISE_XOR
    )
}

/// `[ lookup reg 1 set SET ]`; `set_id` finds a set made in the same batch.
pub fn lookup(set: &str, set_id: u32) -> Attrs {
    expr(
        "lookup",
        Attrs::new()
            .be32(2, REG_1) // NFTA_LOOKUP_SREG
            .string(1, set) // NFTA_LOOKUP_SET
            .be32(4, set_id), // NFTA_LOOKUP_SET_ID
    )
}

/// `[ counter pkts 0 bytes 0 ]` (global_defs' `nftables_counters`).
pub fn counter() -> Attrs {
    expr(
        "counter",
        Attrs::new().be64(1, 0).be64(2, 0), // NFTA_COUNTER_BYTES, NFTA_COUNTER_PACKETS
    )
}

/// `[ immediate reg 0 VERDICT ]`
pub fn verdict(v: &Verdict) -> Attrs {
    // NF_DROP, NF_ACCEPT, NFT_GOTO
    let (code, chain) = match v {
        Verdict::Drop => (0u32, None),
        Verdict::Accept => (1, None),
        Verdict::Goto(chain) => ((-4i32) as u32, Some(chain)),
    };
    let mut verdict = Attrs::new().be32(1, code); // NFTA_VERDICT_CODE
    if let Some(chain) = chain {
        verdict = verdict.string(2, chain); // NFTA_VERDICT_CHAIN
    }
    expr(
        "immediate",
        Attrs::new()
            .be32(1, REG_VERDICT) // NFTA_IMMEDIATE_DREG
            .nested(2, Attrs::new().nested(NFTA_DATA_VERDICT, verdict)), // NFTA_IMMEDIATE_DATA
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn word(b: &[u8], at: usize) -> (u16, u16) {
        (
            u16::from_ne_bytes([b[at], b[at + 1]]),
            u16::from_ne_bytes([b[at + 2], b[at + 3]]),
        )
    }

    /// `ip daddr @vips drop`'s payload expression as `nft --debug=mnl` writes it: 52 bytes, the
    /// name "payload", then dreg 1, base 1, offset 16, len 4.
    #[test]
    fn payload_as_nft_writes_it() {
        let b = payload(Header::Network, 16, 4).into_bytes();
        assert_eq!(word(&b, 0), (52, 1 | 0x8000));
        assert_eq!(word(&b, 4), (12, 1));
        assert_eq!(&b[8..16], b"payload\0");
        assert_eq!(word(&b, 16), (36, 2 | 0x8000));
        let values: Vec<&[u8]> = (0..4).map(|i| &b[24 + 8 * i..28 + 8 * i]).collect();
        assert_eq!(
            values,
            [[0, 0, 0, 1], [0, 0, 0, 1], [0, 0, 0, 16], [0, 0, 0, 4]]
        );
    }

    /// `immediate reg 0 drop`: 48 bytes as nft writes it, verdict code 0 nested twice.
    #[test]
    fn drop_as_nft_writes_it() {
        let b = verdict(&Verdict::Drop).into_bytes();
        assert_eq!(word(&b, 0), (48, 1 | 0x8000));
        assert_eq!(&b[8..18], b"immediate\0");
        assert_eq!(word(&b, 20), (28, 2 | 0x8000));
        assert_eq!(word(&b, 24), (8, 1));
        assert_eq!(&b[28..32], &[0, 0, 0, 0]);
        assert_eq!(word(&b, 32), (16, 2 | 0x8000));
        assert_eq!(word(&b, 36), (12, 2 | 0x8000));
        assert_eq!(word(&b, 40), (8, 1));
        assert_eq!(&b[44..48], &[0, 0, 0, 0]);
    }

    #[test]
    fn goto_names_its_chain() {
        let b = verdict(&Verdict::Goto("in_link_local".into())).into_bytes();
        let at = b.windows(4).position(|w| w == [0xff, 0xff, 0xff, 0xfc]);
        assert!(at.is_some(), "NFT_GOTO is -4");
        assert!(b.windows(14).any(|w| w == b"in_link_local\0"));
    }

    /// `meta load oifkind => reg 1`, `lookup reg 2 set vmac_map dreg 2` and `dup sreg_addr 1
    /// sreg_dev 2` as `nft --debug=mnl` writes them for keepalived's VMAC rule.
    #[test]
    fn vmac_rule_expressions_as_nft_writes_them() {
        let b = meta(Meta::OifKind, REG_1).into_bytes();
        assert_eq!(word(&b, 0), (36, 1 | 0x8000));
        assert_eq!(&b[8..13], b"meta\0");
        assert_eq!(word(&b, 16), (20, 2 | 0x8000));
        assert_eq!((word(&b, 20), &b[24..28]), ((8, 2), &[0, 0, 0, 0x1b][..]));
        assert_eq!((word(&b, 28), &b[32..36]), ((8, 1), &[0, 0, 0, 1][..]));
        let b = map_lookup("vmac_map", 4, REG_2, REG_2).into_bytes();
        assert_eq!(word(&b, 0), (60, 1 | 0x8000));
        assert_eq!(word(&b, 16), (44, 2 | 0x8000));
        assert_eq!((word(&b, 20), &b[24..28]), ((8, 2), &[0, 0, 0, 2][..]));
        assert_eq!((word(&b, 28), &b[32..36]), ((8, 3), &[0, 0, 0, 2][..]));
        assert_eq!(word(&b, 36), (13, 1));
        assert_eq!(&b[40..49], b"vmac_map\0");
        let b = dup(REG_1, REG_2).into_bytes();
        assert_eq!(word(&b, 0), (32, 1 | 0x8000));
        assert_eq!(&b[8..12], b"dup\0");
        assert_eq!(word(&b, 12), (20, 2 | 0x8000));
        assert_eq!((word(&b, 16), &b[20..24]), ((8, 1), &[0, 0, 0, 1][..]));
        assert_eq!((word(&b, 24), &b[28..32]), ((8, 2), &[0, 0, 0, 2][..]));
    }

    /// `lookup reg 1 set vips`, 48 bytes: sreg 1, the set's name, its id in the batch.
    #[test]
    fn lookup_as_nft_writes_it() {
        let b = lookup("vips", 1).into_bytes();
        assert_eq!(word(&b, 0), (48, 1 | 0x8000));
        assert_eq!(&b[8..15], b"lookup\0");
        assert_eq!(word(&b, 20), (8, 2));
        assert_eq!(&b[24..28], &[0, 0, 0, 1]);
        assert_eq!(word(&b, 28), (9, 1));
        assert_eq!(&b[32..37], b"vips\0");
        assert_eq!(word(&b, 40), (8, 4));
    }
}
