//! The tables keepalived 2.2.7 installs for instances not in accept mode, as nf_tables
//! messages. Pure. Measured with `nft list ruleset` / `nft monitor` against keepalived 2.2.7
//! (Debian's build), one table per family, made when its first address enters the set:
//!
//! ```text
//! table ip keepalived {
//!     set vips { type ipv4_addr }
//!     chain out { type filter hook output priority filter - 1; policy accept; ip saddr @vips drop }
//!     chain in  { type filter hook input priority filter - 1; policy accept; ip daddr @vips drop }
//! }
//! table ip6 keepalived {
//!     set vips { type ipv6_addr }
//!     set neighbor-discovery { type icmpv6_type; flags constant; elements = { nd-neighbor-solicit, nd-neighbor-advert } }
//!     chain out { ...; icmpv6 type @neighbor-discovery accept; ip6 saddr fe80::/10 goto out_link_local; ip6 saddr @vips drop }
//!     chain in  { ...; icmpv6 type @neighbor-discovery accept; ip6 daddr fe80::/10 goto in_link_local; ip6 daddr @vips drop }
//!     chain in_link_local { }
//!     chain out_link_local { }
//! }
//! ```
//!
//! With the first link-local VIP, in the batch that adds it, `ip6` gets a set of address and
//! interface index and a rule in each link-local chain:
//!
//! ```text
//!     set vips_link_local { type ipv6_addr . iface_index }
//!     chain in_link_local { ip6 daddr . iif @vips_link_local drop }
//!     chain out_link_local { ip6 saddr . oif @vips_link_local drop }
//! ```
//!
//! The objects are made in keepalived's order, so that `nft list ruleset` lists them alike.

use std::net::IpAddr;

use super::drops::Key;
use super::expr::{self, Header, Meta, Verdict};
use super::wire::{message, Attrs, Op, NFPROTO_IPV4, NFPROTO_IPV6};

/// global_defs' `nftables [TABLE]`, `nftables_priority`, `nftables_counters`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub table: String,
    pub priority: i32,
    pub counters: bool,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            table: "keepalived".into(),
            priority: -1,
            counters: false,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Family {
    Ipv4,
    Ipv6,
}

impl Family {
    pub fn of(addr: &IpAddr) -> Family {
        if addr.is_ipv6() {
            Family::Ipv6
        } else {
            Family::Ipv4
        }
    }

    fn nfproto(self) -> u8 {
        match self {
            Family::Ipv4 => NFPROTO_IPV4,
            Family::Ipv6 => NFPROTO_IPV6,
        }
    }

    /// As nft names it (`table ip keepalived`, the log lines).
    pub fn word(self) -> &'static str {
        match self {
            Family::Ipv4 => "ip",
            Family::Ipv6 => "ip6",
        }
    }

    fn addr_type(self) -> (u32, u32) {
        // nft's datatypes ipv4_addr (7) and ipv6_addr (8), and the key's length.
        match self {
            Family::Ipv4 => (7, 4),
            Family::Ipv6 => (8, 16),
        }
    }

    /// The source and destination addresses' offsets in the network header.
    fn addr_offsets(self) -> (u32, u32) {
        match self {
            Family::Ipv4 => (12, 16),
            Family::Ipv6 => (8, 24),
        }
    }
}

const VIPS: &str = "vips";
const VIPS_ID: u32 = 1;
const ND: &str = "neighbor-discovery";
const ND_ID: u32 = 2;
const LINK_LOCAL: &str = "vips_link_local";
const LINK_LOCAL_ID: u32 = 3;
const VMAC_MAP: &str = "vmac_map";
const VMAC_MAP_ID: u32 = 4;
const VMAC_SET: &str = "vmac_set";
const VMAC_SET_ID: u32 = 5;

/// The messages numbered from a sequence number on.
pub struct Numbered<'a> {
    pub seq: &'a mut u32,
    pub out: Vec<Vec<u8>>,
}

impl Numbered<'_> {
    fn push(&mut self, op: Op, family: Family, attrs: Attrs) {
        *self.seq = self.seq.wrapping_add(1);
        self.out
            .push(message(op, family.nfproto(), *self.seq, attrs));
    }
}

/// Which way a chain faces: its name, hook and the header field its rules look at.
#[derive(Clone, Copy)]
enum Way {
    Out,
    In,
}

impl Way {
    fn chain(self) -> &'static str {
        match self {
            Way::Out => "out",
            Way::In => "in",
        }
    }

    fn hook(self) -> u32 {
        // NF_INET_LOCAL_OUT, NF_INET_LOCAL_IN
        match self {
            Way::Out => 3,
            Way::In => 1,
        }
    }

    fn offset(self, family: Family) -> u32 {
        let (saddr, daddr) = family.addr_offsets();
        match self {
            Way::Out => saddr,
            Way::In => daddr,
        }
    }
}

/// The table and its `out` chain: made by the first of the VIPs' objects and the VMACs'.
fn create_table_and_out(family: Family, s: &Settings, m: &mut Numbered) {
    m.push(
        Op::NewTable,
        family,
        Attrs::new().string(1, &s.table).be32(2, 0),
    );
    m.push(Op::NewChain, family, base_chain(Way::Out, s));
}

fn base_chain(way: Way, s: &Settings) -> Attrs {
    let hook = Attrs::new().be32(1, way.hook()).be32(2, s.priority as u32);
    Attrs::new()
        .string(1, &s.table)
        .string(3, way.chain())
        .string(7, "filter")
        .be32(5, 1) // policy accept
        .nested(4, hook)
}

/// The messages that make `family`'s table with its chains, sets and rules, empty of VIPs.
/// `fresh`: the table is not there yet (else the VMACs' objects made it, with `out`, as
/// keepalived's batch then leaves them out).
pub fn create_table(family: Family, fresh: bool, s: &Settings, m: &mut Numbered) {
    let table = || Attrs::new().string(1, &s.table);
    if fresh {
        create_table_and_out(family, s, m);
    }
    m.push(Op::NewChain, family, base_chain(Way::In, s));
    if family == Family::Ipv6 {
        for way in ["in_link_local", "out_link_local"] {
            m.push(Op::NewChain, family, table().string(3, way));
        }
    }
    let (key_type, key_len) = family.addr_type();
    m.push(Op::NewSet, family, set(s, VIPS, VIPS_ID, key_type, key_len));
    if family == Family::Ipv6 {
        // icmpv6_type (29), one byte, NFT_SET_CONSTANT, two elements.
        const ND_SOLICIT: u8 = 135;
        const ND_ADVERT: u8 = 136;
        let nd = set(s, ND, ND_ID, 29, 1)
            .be32(3, 0x2)
            .nested(9, Attrs::new().be32(1, 2));
        m.push(Op::NewSet, family, nd);
        m.push(
            Op::NewSetElem,
            family,
            elements(s, ND, &[&[ND_SOLICIT][..], &[ND_ADVERT][..]]).be32(4, ND_ID),
        );
    }
    match family {
        Family::Ipv4 => {
            for way in [Way::In, Way::Out] {
                m.push(Op::NewRule, family, vips_drop(family, way, s));
            }
        }
        Family::Ipv6 => {
            for way in [Way::In, Way::Out] {
                m.push(Op::NewRule, family, nd_accept(way, s));
                m.push(Op::NewRule, family, link_local_goto(way, s));
            }
            for way in [Way::In, Way::Out] {
                m.push(Op::NewRule, family, vips_drop(family, way, s));
            }
        }
    }
}

/// The VMACs' objects in `ip6`'s table (keepalived 2.2.7, measured with `nft monitor`: made
/// with the first IPv6 VMAC, before the VIPs' objects):
///
/// ```text
///     map vmac_map { type iface_index : iface_index }   # macvlan : its base
///     set vmac_set { type iface_index }
///     chain out {
///         icmpv6 type mld2-listener-report meta oifkind "macvlan" dup to ip6 daddr device oif map @vmac_map drop
///         icmpv6 type nd-router-solicit meta oifkind "macvlan" oif @vmac_set drop
///     }
/// ```
///
/// The macvlan has the base's link-local address, so the kernel sends its MLD reports and router
/// solicitations from it, with the virtual MAC: a BACKUP's would draw the VIP's traffic from
/// the switches. The reports go out of the base instead, the solicitations nowhere.
pub fn create_vmac(fresh: bool, s: &Settings, m: &mut Numbered) {
    let family = Family::Ipv6;
    if fresh {
        create_table_and_out(family, s, m);
    }
    // iface_index (20), 4 bytes, host byte order; the map's values the same.
    const IFACE_INDEX: u32 = 20;
    const NFT_SET_MAP: u32 = 0x8;
    let mut map_userdata = udata_u32(0, 1); // NFTNL_UDATA_SET_KEYBYTEORDER: host
    map_userdata.extend(udata_u32(1, 1)); // NFTNL_UDATA_SET_DATABYTEORDER: host
    map_userdata.extend(udata_u32(6, 0)); // NFTNL_UDATA_SET_DATA_INTERVAL: no
    let map = Attrs::new()
        .string(1, &s.table)
        .string(2, VMAC_MAP)
        .be32(3, NFT_SET_MAP)
        .be32(4, IFACE_INDEX)
        .be32(5, 4)
        .be32(6, IFACE_INDEX)
        .be32(7, 4)
        .be32(10, VMAC_MAP_ID)
        .bytes(13, &map_userdata);
    m.push(Op::NewSet, family, map);
    let set = Attrs::new()
        .string(1, &s.table)
        .string(2, VMAC_SET)
        .be32(3, 0)
        .be32(4, IFACE_INDEX)
        .be32(5, 4)
        .be32(10, VMAC_SET_ID)
        .bytes(13, &udata_u32(0, 1));
    m.push(Op::NewSet, family, set);
    const MLD2_REPORT: u8 = 143;
    const ROUTER_SOLICIT: u8 = 133;
    let mld = icmpv6_from_macvlan(MLD2_REPORT)
        .append(expr::payload(Header::Network, 24, 16))
        .append(expr::meta(Meta::Oif, expr::REG_2))
        .append(expr::map_lookup(
            VMAC_MAP,
            VMAC_MAP_ID,
            expr::REG_2,
            expr::REG_2,
        ))
        .append(expr::dup(expr::REG_1, expr::REG_2));
    m.push(
        Op::NewRule,
        family,
        rule(Way::Out, s, counted(s, mld, Verdict::Drop)),
    );
    let rs = icmpv6_from_macvlan(ROUTER_SOLICIT)
        .append(expr::meta(Meta::Oif, expr::REG_1))
        .append(expr::lookup_reg(VMAC_SET, VMAC_SET_ID, expr::REG_1));
    m.push(
        Op::NewRule,
        family,
        rule(Way::Out, s, counted(s, rs, Verdict::Drop)),
    );
}

/// `icmpv6 type TYPE meta oifkind "macvlan"`, as nft writes it (`meta l4proto` first).
fn icmpv6_from_macvlan(icmp_type: u8) -> Attrs {
    let mut kind = [0u8; 16];
    kind[..7].copy_from_slice(b"macvlan");
    expr::meta(Meta::L4proto, expr::REG_1)
        .append(expr::cmp_eq(&[58]))
        .append(expr::payload(Header::Transport, 0, 1))
        .append(expr::cmp_eq(&[icmp_type]))
        .append(expr::meta(Meta::OifKind, expr::REG_1))
        .append(expr::cmp_eq(&kind))
}

/// One nftnl set user-data attribute holding a u32 (host order).
fn udata_u32(kind: u8, value: u32) -> Vec<u8> {
    let mut b = vec![kind, 4];
    b.extend_from_slice(&value.to_ne_bytes());
    b
}

/// VMACs into or out of the map (macvlan index : base index) and the set (macvlan index).
pub fn vmac_elements(add: bool, vmacs: &[(u32, u32)], s: &Settings, m: &mut Numbered) {
    if vmacs.is_empty() {
        return;
    }
    let op = if add { Op::NewSetElem } else { Op::DelSetElem };
    let list = vmacs.iter().fold(Attrs::new(), |list, (vmac, base)| {
        list.nested(
            1, // NFTA_LIST_ELEM
            Attrs::new()
                .nested(1, Attrs::new().bytes(1, &vmac.to_ne_bytes())) // KEY
                .nested(2, Attrs::new().bytes(1, &base.to_ne_bytes())), // DATA
        )
    });
    let map = Attrs::new()
        .string(1, &s.table)
        .string(2, VMAC_MAP)
        .nested(3, list);
    m.push(op, Family::Ipv6, map);
    let keys: Vec<[u8; 4]> = vmacs.iter().map(|(v, _)| v.to_ne_bytes()).collect();
    let keys: Vec<&[u8]> = keys.iter().map(|k| &k[..]).collect();
    m.push(op, Family::Ipv6, elements(s, VMAC_SET, &keys));
}

/// `family`'s table deleted, with all it holds.
pub fn delete_table(family: Family, s: &Settings, m: &mut Numbered) {
    m.push(Op::DelTable, family, Attrs::new().string(1, &s.table));
}

/// Whether `family`'s table exists: a GETTABLE, answered with the table or ENOENT.
pub fn get_table(family: Family, s: &Settings, seq: u32) -> Vec<u8> {
    message(
        Op::GetTable,
        family.nfproto(),
        seq,
        Attrs::new().string(1, &s.table),
    )
}

/// The link-local VIPs' set in `ip6`'s table and the rules of the link-local chains.
pub fn create_link_local(s: &Settings, m: &mut Numbered) {
    // nft's concatenated type ipv6_addr (8) . iface_index (20): 16 + 4 bytes.
    m.push(
        Op::NewSet,
        Family::Ipv6,
        set(s, LINK_LOCAL, LINK_LOCAL_ID, (8 << 6) | 20, 20),
    );
    for (chain, way) in [("in_link_local", Way::In), ("out_link_local", Way::Out)] {
        let exprs = expr::payload(Header::Network, way.offset(Family::Ipv6), 16)
            .append(expr::meta_interface(matches!(way, Way::Out)))
            .append(expr::lookup(LINK_LOCAL, LINK_LOCAL_ID));
        let rule = Attrs::new()
            .string(1, &s.table)
            .string(2, chain)
            .nested(4, counted(s, exprs, Verdict::Drop));
        m.push(Op::NewRule, Family::Ipv6, rule);
    }
}

/// Addresses of one family into or out of its sets: `vips`, and `vips_link_local` for the
/// link-local ones (the address, then the interface's index in host order).
pub fn vips(add: bool, keys: &[Key], s: &Settings, m: &mut Numbered) {
    let op = if add { Op::NewSetElem } else { Op::DelSetElem };
    let bytes = |k: &Key| match k.addr {
        IpAddr::V4(a) => a.octets().to_vec(),
        IpAddr::V6(a) => a.octets().to_vec(),
    };
    for link_local in [false, true] {
        let of: Vec<Vec<u8>> = keys
            .iter()
            .filter(|k| k.ifindex.is_some() == link_local)
            .map(|k| {
                let mut b = bytes(k);
                if let Some(i) = k.ifindex {
                    b.extend_from_slice(&i.to_ne_bytes());
                }
                b
            })
            .collect();
        let Some(family) = keys.first().map(Key::family) else {
            return;
        };
        if of.is_empty() {
            continue;
        }
        let keys: Vec<&[u8]> = of.iter().map(Vec::as_slice).collect();
        let name = if link_local { LINK_LOCAL } else { VIPS };
        m.push(op, family, elements(s, name, &keys));
    }
}

fn set(s: &Settings, name: &str, id: u32, key_type: u32, key_len: u32) -> Attrs {
    // NFTA_SET_USERDATA: the key's byte order (NFTNL_UDATA_SET_KEYBYTEORDER, big endian), as
    // nft writes it, for nft's listing.
    let mut userdata = vec![0u8, 4];
    userdata.extend_from_slice(&2u32.to_ne_bytes());
    Attrs::new()
        .string(1, &s.table)
        .string(2, name)
        .be32(4, key_type)
        .be32(5, key_len)
        .be32(10, id)
        .bytes(13, &userdata)
}

fn elements(s: &Settings, set: &str, keys: &[&[u8]]) -> Attrs {
    let list = keys.iter().fold(Attrs::new(), |list, key| {
        list.nested(
            1,                                                  // NFTA_LIST_ELEM
            Attrs::new().nested(1, Attrs::new().bytes(1, key)), // KEY { DATA_VALUE }
        )
    });
    Attrs::new()
        .string(1, &s.table)
        .string(2, set)
        .nested(3, list)
}

fn rule(way: Way, s: &Settings, exprs: Attrs) -> Attrs {
    Attrs::new()
        .string(1, &s.table)
        .string(2, way.chain())
        .nested(4, exprs)
}

fn counted(s: &Settings, exprs: Attrs, verdict: Verdict) -> Attrs {
    let exprs = if s.counters {
        exprs.append(expr::counter())
    } else {
        exprs
    };
    exprs.append(expr::verdict(&verdict))
}

/// `ip saddr @vips drop` (out), `ip daddr @vips drop` (in).
fn vips_drop(family: Family, way: Way, s: &Settings) -> Attrs {
    let (_, len) = family.addr_type();
    let exprs =
        expr::payload(Header::Network, way.offset(family), len).append(expr::lookup(VIPS, VIPS_ID));
    rule(way, s, counted(s, exprs, Verdict::Drop))
}

/// `icmpv6 type @neighbor-discovery accept`: next header 58 (ICMPv6), its type in the set.
fn nd_accept(way: Way, s: &Settings) -> Attrs {
    let exprs = expr::payload(Header::Network, 6, 1)
        .append(expr::cmp_eq(&[58]))
        .append(expr::payload(Header::Transport, 0, 1))
        .append(expr::lookup(ND, ND_ID));
    rule(way, s, counted(s, exprs, Verdict::Accept))
}

/// `ip6 saddr fe80::/10 goto out_link_local` (and daddr, in).
fn link_local_goto(way: Way, s: &Settings) -> Attrs {
    let mut mask = [0u8; 16];
    mask[0] = 0xff;
    mask[1] = 0xc0;
    let mut fe80 = [0u8; 16];
    fe80[0] = 0xfe;
    fe80[1] = 0x80;
    let exprs = expr::payload(Header::Network, way.offset(Family::Ipv6), 16)
        .append(expr::mask(&mask))
        .append(expr::cmp_eq(&fe80));
    let target = format!("{}_link_local", way.chain());
    rule(way, s, counted(s, exprs, Verdict::Goto(target)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each message's nf_tables operation (the low byte of its netlink type) and family.
    fn ops(m: &[Vec<u8>]) -> Vec<(u8, u8)> {
        m.iter().map(|b| (b[4], b[16])).collect()
    }

    fn has(m: &[u8], bytes: &[u8]) -> bool {
        m.windows(bytes.len()).any(|w| w == bytes)
    }

    /// `nft monitor`'s order for keepalived's `ip` table: table, chains out and in, set, rules
    /// in and out.
    #[test]
    fn the_ip_table_in_keepalived_order() {
        let mut seq = 0;
        let mut m = Numbered {
            seq: &mut seq,
            out: Vec::new(),
        };
        create_table(Family::Ipv4, true, &Settings::default(), &mut m);
        let out = m.out;
        assert_eq!(
            ops(&out),
            [(0, 2), (3, 2), (3, 2), (9, 2), (6, 2), (6, 2)],
            "NEWTABLE, NEWCHAIN out, NEWCHAIN in, NEWSET, NEWRULE in, NEWRULE out"
        );
        assert!(has(&out[1], b"out\0") && has(&out[2], b"in\0"));
        // hook output (3) / input (1), priority -1
        assert!(has(
            &out[1],
            &[0, 0, 0, 3, 8, 0, 2, 0, 0xff, 0xff, 0xff, 0xff]
        ));
        assert!(has(
            &out[2],
            &[0, 0, 0, 1, 8, 0, 2, 0, 0xff, 0xff, 0xff, 0xff]
        ));
        // the set: ipv4_addr (7), 4 bytes
        assert!(has(&out[3], &[0, 0, 0, 7, 8, 0, 5, 0, 0, 0, 0, 4]));
        // in: daddr (offset 16), out: saddr (12)
        assert!(has(&out[4], &[8, 0, 3, 0, 0, 0, 0, 16]));
        assert!(has(&out[5], &[8, 0, 3, 0, 0, 0, 0, 12]));
        assert!(!out.iter().any(|b| has(b, b"counter\0")));
        assert_eq!(seq, 6);
    }

    #[test]
    fn the_ip6_table_has_the_neighbour_discovery_and_link_local_exceptions() {
        let mut seq = 0;
        let mut m = Numbered {
            seq: &mut seq,
            out: Vec::new(),
        };
        create_table(Family::Ipv6, true, &Settings::default(), &mut m);
        let out = m.out;
        let ops: Vec<u8> = ops(&out)
            .into_iter()
            .map(|(op, family)| {
                assert_eq!(family, 10);
                op
            })
            .collect();
        // table, 4 chains, 2 sets + the constant set's elements, 6 rules
        assert_eq!(ops, [0, 3, 3, 3, 3, 9, 9, 12, 6, 6, 6, 6, 6, 6]);
        assert!(has(&out[7], &[135]) && has(&out[7], &[136]));
        assert!(has(&out[9], b"in_link_local\0"));
        assert!(has(&out[11], b"out_link_local\0"));
        // in: daddr at 24, 16 bytes
        assert!(has(
            &out[12],
            &[8, 0, 3, 0, 0, 0, 0, 24, 8, 0, 4, 0, 0, 0, 0, 16]
        ));
    }

    #[test]
    fn settings_name_the_table_set_the_priority_and_count() {
        let s = Settings {
            table: "mytab".into(),
            priority: -5,
            counters: true,
        };
        let mut seq = 0;
        let mut m = Numbered {
            seq: &mut seq,
            out: Vec::new(),
        };
        create_table(Family::Ipv4, true, &s, &mut m);
        let out = m.out;
        assert!(out.iter().all(|b| has(b, b"mytab\0")));
        assert!(has(&out[1], &(-5i32).to_be_bytes()));
        assert!(has(&out[4], b"counter\0") && has(&out[5], b"counter\0"));
    }

    /// As `nft --debug=mnl` writes `add element ip6 keepalived vips_link_local { fe80::100 .
    /// "lo" }` and the set and rule before it.
    #[test]
    fn link_local_set_rules_and_elements() {
        let mut seq = 0;
        let mut m = Numbered {
            seq: &mut seq,
            out: Vec::new(),
        };
        let s = Settings::default();
        create_link_local(&s, &mut m);
        let ll = Key {
            addr: "fe80::100".parse().unwrap(),
            ifindex: Some(1),
        };
        let global = Key {
            addr: "fd00::1".parse().unwrap(),
            ifindex: None,
        };
        vips(true, &[global, ll], &s, &mut m);
        let out = m.out;
        assert_eq!(ops(&out), [(9, 10), (6, 10), (6, 10), (12, 10), (12, 10)]);
        // key type 0x214, length 20
        assert!(has(&out[0], &[0, 0, 2, 0x14, 8, 0, 5, 0, 0, 0, 0, 20]));
        // meta key iif (4) into reg 2; oif (5) out
        assert!(has(&out[1], &[0, 0, 0, 4, 8, 0, 1, 0, 0, 0, 0, 2]));
        assert!(has(&out[2], &[0, 0, 0, 5, 8, 0, 1, 0, 0, 0, 0, 2]));
        assert!(has(&out[1], b"in_link_local\0") && has(&out[2], b"out_link_local\0"));
        assert!(has(&out[3], b"vips\0") && !has(&out[3], b"vips_link_local"));
        let mut key = vec![24, 0, 1, 0, 0xfe, 0x80];
        key.extend_from_slice(&[0; 12]);
        key.extend_from_slice(&[1, 0]);
        key.extend_from_slice(&1u32.to_ne_bytes());
        assert!(has(&out[4], b"vips_link_local\0") && has(&out[4], &key));
    }

    /// keepalived's VMAC objects (`nft monitor`'s order: table, chain out, map, set, the two
    /// rules), then the strict table's in the same table (no second table nor `out`).
    #[test]
    fn the_vmac_objects_then_the_vips_in_one_table() {
        let mut seq = 0;
        let mut m = Numbered {
            seq: &mut seq,
            out: Vec::new(),
        };
        let s = Settings::default();
        create_vmac(true, &s, &mut m);
        vmac_elements(true, &[(3, 2)], &s, &mut m);
        let out = std::mem::take(&mut m.out);
        assert_eq!(
            ops(&out),
            [
                (0, 10),
                (3, 10),
                (9, 10),
                (9, 10),
                (6, 10),
                (6, 10),
                (12, 10),
                (12, 10)
            ]
        );
        assert!(has(&out[1], b"out\0"));
        // the map: flags NFT_SET_MAP, key iface_index (20) 4 bytes, data the same
        assert!(has(&out[2], b"vmac_map\0"));
        assert!(has(
            &out[2],
            &[
                8, 0, 3, 0, 0, 0, 0, 8, 8, 0, 4, 0, 0, 0, 0, 20, 8, 0, 5, 0, 0, 0, 0, 4, 8, 0, 6,
                0, 0, 0, 0, 20, 8, 0, 7, 0, 0, 0, 0, 4
            ]
        ));
        assert!(has(&out[3], b"vmac_set\0") && !has(&out[3], &[8, 0, 6, 0]));
        // MLD reports (143) duplicated to the map's interface, router solicitations (133)
        // dropped; both only from a macvlan
        assert!(has(&out[4], &[5, 0, 1, 0, 143]) && has(&out[4], b"dup\0"));
        assert!(has(&out[5], &[5, 0, 1, 0, 133]) && !has(&out[5], b"dup\0"));
        assert!(out[4..6].iter().all(|r| has(r, b"macvlan\0")));
        let mut elem = vec![8, 0, 1, 0];
        elem.extend_from_slice(&3u32.to_ne_bytes());
        let mut data = vec![8, 0, 1, 0];
        data.extend_from_slice(&2u32.to_ne_bytes());
        assert!(has(&out[6], &elem) && has(&out[6], &data) && has(&out[6], b"vmac_map\0"));
        assert!(has(&out[7], &elem) && !has(&out[7], &data) && has(&out[7], b"vmac_set\0"));
        create_table(Family::Ipv6, false, &s, &mut m);
        let out = m.out;
        assert_eq!(ops(&out)[..4], [(3, 10), (3, 10), (3, 10), (9, 10)]);
        assert!(has(&out[0], b"in\0"), "the chain out is there already");
    }

    #[test]
    fn elements_in_and_out() {
        let mut seq = 10;
        let mut m = Numbered {
            seq: &mut seq,
            out: Vec::new(),
        };
        let a = vec![Key {
            addr: "10.77.0.100".parse().unwrap(),
            ifindex: None,
        }];
        vips(true, &a, &Settings::default(), &mut m);
        vips(false, &a, &Settings::default(), &mut m);
        vips(true, &[], &Settings::default(), &mut m);
        let out = m.out;
        assert_eq!(ops(&out), [(12, 2), (14, 2)]);
        // as nft --debug=mnl writes `create element ip keepalived vips { 10.77.0.100 }`
        assert!(has(&out[0], &[8, 0, 1, 0, 10, 77, 0, 100]));
        assert_eq!(seq, 12);
    }
}
