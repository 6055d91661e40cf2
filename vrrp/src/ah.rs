//! VRRPv2 with the IP Authentication Header (RFC 2338 5.3.6.3, AH of RFC 2402 with HMAC-MD5-96),
//! as keepalived 2.2.7 puts it on the wire (`authentication { auth_type AH }`).
//!
//! The VRRP payload is the one [`crate::packet`] encodes (Auth Type 2, eight zero bytes of
//! authentication data); it travels behind an AH, in an IPv4 datagram of protocol 51:
//!
//! ```text
//!  IPv4 header (20 bytes, protocol 51, TOS 0xc0, TTL 255, no DF, ID counted per instance)
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! | Next Header 112 | Payload Len 4 |          RESERVED (0)        |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |      Security Parameters Index: the sender's IPv4 address     |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                        Sequence Number                        |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |     Integrity Check Value: HMAC-MD5 truncated to 96 bits      |
//! |                          (3 words)                            |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//!  VRRP payload (VRRPv2, Auth Type 2)
//! ```
//!
//! The ICV is the HMAC-MD5 over the whole datagram with the ICV itself, the TOS, the fragment
//! field and the header checksum zeroed; the TTL is zeroed too when the instance has unicast
//! peers, and kept (255) for the multicast group, as keepalived 2.2.7 computes it (measured: its
//! multicast adverts verify only with TTL 255 in the digest, its unicast ones only with 0). The
//! key is `auth_pass` truncated to 8 bytes (HMAC pads it with zeros, so a shorter password needs
//! no padding here).
//!
//! Sans-IO: [`encode`] builds the datagram a raw socket with IP_HDRINCL sends, [`parse`] splits a
//! received one, [`AhPacket::authenticate`] checks SPI and ICV, and [`Sequence`] holds the
//! replay rule.

use std::net::Ipv4Addr;

use hmac::{Hmac, Mac};
use md5::Md5;

use crate::checksum::IPPROTO_VRRP;
use crate::drop::DropReason;

/// IP protocol number of the Authentication Header.
pub const IPPROTO_AH: u8 = 51;
/// The AH as VRRP uses it: 12 fixed bytes and a 96-bit ICV.
pub const AH_LEN: usize = 24;
/// HMAC-MD5-96: the digest's first 12 bytes.
pub const ICV_LEN: usize = 12;
/// The IPv4 header keepalived sends: no options.
pub const IPV4_HEADER_LEN: usize = 20;
/// AH Payload Len: the header's length in 32-bit words, minus 2.
const PAYLOAD_LEN_WORDS: u8 = (AH_LEN / 4 - 2) as u8;
/// IPTOS_PREC_INTERNETCONTROL, as keepalived sends.
const TOS: u8 = 0xc0;
/// Where the ICV starts within the AH.
const ICV_OFFSET: usize = 12;

/// The HMAC key: `auth_pass`, truncated to 8 bytes as keepalived truncates it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct AhKey {
    bytes: [u8; 8],
    len: usize,
}

impl AhKey {
    pub fn new(pass: &[u8]) -> AhKey {
        let mut bytes = [0u8; 8];
        let len = pass.len().min(bytes.len());
        bytes[..len].copy_from_slice(&pass[..len]);
        AhKey { bytes, len }
    }

    /// The password as configured (after truncation), for the dumps.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

impl std::fmt::Debug for AhKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AhKey(..)")
    }
}

/// HMAC-MD5-96 of `datagram` with the mutable fields zeroed (see the module's text).
/// `datagram` starts with an IPv4 header of `ihl` bytes followed by the AH.
fn icv(datagram: &[u8], ihl: usize, key: &AhKey, zero_ttl: bool) -> [u8; ICV_LEN] {
    let mut mac =
        <Hmac<Md5> as Mac>::new_from_slice(key.as_bytes()).expect("HMAC takes a key of any length");
    let mut header = [0u8; 60];
    let header = &mut header[..ihl];
    header.copy_from_slice(&datagram[..ihl]);
    header[1] = 0; // TOS
    header[6..8].fill(0); // flags and fragment offset
    header[10..12].fill(0); // header checksum
    if zero_ttl {
        header[8] = 0;
    }
    mac.update(header);
    let ah = &datagram[ihl..ihl + AH_LEN];
    mac.update(&ah[..ICV_OFFSET]);
    mac.update(&[0u8; ICV_LEN]);
    mac.update(&datagram[ihl + AH_LEN..]);
    let digest = mac.finalize().into_bytes();
    let mut out = [0u8; ICV_LEN];
    out.copy_from_slice(&digest[..ICV_LEN]);
    out
}

/// What the sender chooses for one datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outgoing {
    pub src: Ipv4Addr,
    pub dst: Ipv4Addr,
    /// The IPv4 identification (see [`Sequence::next_ip_id`]).
    pub ip_id: u16,
    /// The AH sequence number (see [`Sequence::next_to_send`]).
    pub seq: u32,
    pub ttl: u8,
    /// The instance has unicast peers: the TTL is left out of the digest.
    pub unicast: bool,
}

/// The IPv4 datagram carrying `vrrp` behind an AH, ready for a raw socket with IP_HDRINCL (the
/// kernel fills in the header checksum, which the digest does not cover).
pub fn encode(vrrp: &[u8], o: &Outgoing, key: &AhKey) -> Vec<u8> {
    let total = IPV4_HEADER_LEN + AH_LEN + vrrp.len();
    let mut out = Vec::with_capacity(total);
    out.extend([0x45, TOS]);
    // A VRRP payload is at most 8 + 255 * 4 + 8 bytes: the total always fits 16 bits.
    out.extend(u16::try_from(total).unwrap_or(u16::MAX).to_be_bytes());
    out.extend(o.ip_id.to_be_bytes());
    out.extend([0, 0, o.ttl, IPPROTO_AH, 0, 0]);
    out.extend(o.src.octets());
    out.extend(o.dst.octets());
    out.extend([IPPROTO_VRRP, PAYLOAD_LEN_WORDS, 0, 0]);
    out.extend(o.src.octets()); // SPI
    out.extend(o.seq.to_be_bytes());
    out.extend([0u8; ICV_LEN]);
    out.extend(vrrp);
    let sum = icv(&out, IPV4_HEADER_LEN, key, o.unicast);
    out[IPV4_HEADER_LEN + ICV_OFFSET..IPV4_HEADER_LEN + AH_LEN].copy_from_slice(&sum);
    out
}

/// A received IPv4 datagram of protocol 51, split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AhPacket<'a> {
    pub src: Ipv4Addr,
    pub dst: Ipv4Addr,
    pub ttl: u8,
    pub spi: u32,
    pub seq: u32,
    /// The VRRP payload behind the AH.
    pub vrrp: &'a [u8],
    datagram: &'a [u8],
    ihl: usize,
}

/// Splits a received datagram (IPv4 header included, as a raw IPv4 socket returns it) into its
/// AH fields and the VRRP payload. Too short, or another protocol than VRRP behind the AH:
/// dropped (keepalived drops those without a word).
pub fn parse(datagram: &[u8]) -> Result<AhPacket<'_>, DropReason> {
    let too_short = || DropReason::TooShort {
        len: datagram.len(),
    };
    let first = *datagram.first().ok_or_else(too_short)?;
    let ihl = usize::from(first & 0x0f) * 4;
    if first >> 4 != 4 || ihl < IPV4_HEADER_LEN || datagram.len() < ihl + AH_LEN {
        return Err(too_short());
    }
    let total = usize::from(u16::from_be_bytes([datagram[2], datagram[3]]));
    let datagram = if (ihl + AH_LEN..=datagram.len()).contains(&total) {
        &datagram[..total]
    } else {
        datagram
    };
    let ah = &datagram[ihl..ihl + AH_LEN];
    if ah[0] != IPPROTO_VRRP {
        return Err(DropReason::AhNextHeader(ah[0]));
    }
    if ah[1] != PAYLOAD_LEN_WORDS {
        return Err(DropReason::AhLength(ah[1]));
    }
    let word = |at: usize| u32::from_be_bytes([ah[at], ah[at + 1], ah[at + 2], ah[at + 3]]);
    let addr = |at: usize| {
        Ipv4Addr::new(
            datagram[at],
            datagram[at + 1],
            datagram[at + 2],
            datagram[at + 3],
        )
    };
    Ok(AhPacket {
        src: addr(12),
        dst: addr(16),
        ttl: datagram[8],
        spi: word(4),
        seq: word(8),
        vrrp: &datagram[ihl + AH_LEN..],
        datagram,
        ihl,
    })
}

impl AhPacket<'_> {
    /// The SPI must be the sender's address, and the ICV that of the datagram under `key`
    /// (`unicast`: the receiving instance has unicast peers, the TTL is not in the digest). The
    /// sequence number is [`Sequence::accept`]'s to check, after this.
    pub fn authenticate(&self, key: &AhKey, unicast: bool) -> Result<(), DropReason> {
        if self.spi != u32::from(self.src) {
            return Err(DropReason::AhBadSpi {
                spi: self.spi,
                src: self.src,
            });
        }
        let want = icv(self.datagram, self.ihl, key, unicast);
        let got = &self.datagram[self.ihl + ICV_OFFSET..self.ihl + AH_LEN];
        // Not secret-dependent timing worth guarding: the ICV is on the wire in clear, and a
        // forger learns nothing from how early a guess differs from an HMAC it cannot compute.
        if got != want {
            return Err(DropReason::AhBadDigest);
        }
        Ok(())
    }
}

/// One instance's AH counters: the sequence number, shared by what it sends and what it
/// accepts, and the IPv4 identification of what it sends.
///
/// keepalived 2.2.7 keeps one sequence number per instance (measured): sending, it sends the
/// number after it; accepting an authenticated advert, it takes the advert's number, and drops
/// any advert whose number is not above it ("already processed"). So a router that restarts
/// (from 0) learns its peer's number from the first advert it hears, and sends above it; an
/// instance starting with state MASTER starts as BACKUP for that reason (conf-parser's check).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sequence {
    last: u32,
    ip_id: u16,
}

impl Sequence {
    pub fn new() -> Sequence {
        Sequence::default()
    }

    /// The last number sent or accepted.
    pub fn last(&self) -> u32 {
        self.last
    }

    /// The number of the next advert to send.
    pub fn next_to_send(&mut self) -> u32 {
        self.last = self.last.wrapping_add(1);
        self.last
    }

    /// The IPv4 identification of the next advert: 1, 2, ... 65535, then 1 again (0 would make
    /// the kernel choose one, and the digest covers it).
    pub fn next_ip_id(&mut self) -> u16 {
        self.ip_id = self.ip_id.checked_add(1).unwrap_or(1);
        self.ip_id
    }

    /// An authenticated advert numbered `seq`: kept if it is above the last number, which it
    /// becomes; a replay otherwise.
    pub fn accept(&mut self, seq: u32) -> Result<(), DropReason> {
        if seq <= self.last {
            return Err(DropReason::AhReplay {
                seq,
                last: self.last,
            });
        }
        self.last = seq;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packet::{decode, Auth, Version};

    fn hex(s: &str) -> Vec<u8> {
        let s: String = s.split_whitespace().collect();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// keepalived 2.2.7's first advert from 10.99.0.2 (priority 100, VRID 51, VIP 10.99.0.100,
    /// `auth_pass secret`) to 224.0.0.18, as tcpdump captured it.
    const MULTICAST: &str = "45c0 0040 0001 0000 ff33 d052 0a63 0002 e000 0012 7004 0000
        0a63 0002 0000 0001 1b32 1d04 9ea0 c5c9 53b9 f3ca 2133 6401 0201 6e03 0a63 0064
        0000 0000 0000 0000";
    /// keepalived 2.2.7's first unicast advert from 10.99.0.1 (priority 150) to its peer
    /// 10.99.0.2, same key.
    const UNICAST: &str = "45c0 0040 0001 0000 ff33 a601 0a63 0001 0a63 0002 7004 0000
        0a63 0001 0000 0001 bcec 098b 021d 4663 3f74 ff03 2133 9601 0201 3c03 0a63 0064
        0000 0000 0000 0000";

    fn key() -> AhKey {
        AhKey::new(b"secret")
    }

    #[test]
    fn parses_and_authenticates_keepalived_multicast_advert() {
        let d = hex(MULTICAST);
        let p = parse(&d).unwrap();
        assert_eq!(p.src, Ipv4Addr::new(10, 99, 0, 2));
        assert_eq!(p.dst, Ipv4Addr::new(224, 0, 0, 18));
        assert_eq!((p.spi, p.seq, p.ttl), (0x0a63_0002, 1, 255));
        assert_eq!(p.authenticate(&key(), false), Ok(()));
        // The TTL is in a multicast advert's digest.
        assert_eq!(p.authenticate(&key(), true), Err(DropReason::AhBadDigest));
        let a = decode(p.vrrp, p.src.into(), p.dst.into(), p.ttl).unwrap();
        assert_eq!((a.vrid, a.priority), (51, 100));
        assert!(matches!(
            a.version,
            Version::V2 {
                auth: Auth::Ah,
                advert_interval_secs: 1
            }
        ));
    }

    #[test]
    fn authenticates_keepalived_unicast_advert_without_its_ttl() {
        let d = hex(UNICAST);
        let p = parse(&d).unwrap();
        assert_eq!(p.authenticate(&key(), true), Ok(()));
        assert_eq!(p.authenticate(&key(), false), Err(DropReason::AhBadDigest));
    }

    #[test]
    fn encodes_what_keepalived_sends() {
        for (text, unicast) in [(MULTICAST, false), (UNICAST, true)] {
            let mut want = hex(text);
            let p = parse(&want).unwrap();
            let o = Outgoing {
                src: p.src,
                dst: p.dst,
                ip_id: 1,
                seq: p.seq,
                ttl: 255,
                unicast,
            };
            let got = encode(p.vrrp, &o, &key());
            // The kernel writes the header checksum.
            want[10..12].fill(0);
            assert_eq!(got, want);
        }
    }

    #[test]
    fn a_wrong_key_or_a_changed_byte_fails() {
        let d = hex(MULTICAST);
        let p = parse(&d).unwrap();
        assert_eq!(
            p.authenticate(&AhKey::new(b"other"), false),
            Err(DropReason::AhBadDigest)
        );
        // Only the first 8 bytes of the password count, as in keepalived.
        assert_eq!(p.authenticate(&AhKey::new(b"secret\0\0xyz"), false), Ok(()));
        let mut changed = d.clone();
        *changed.last_mut().unwrap() ^= 1;
        assert_eq!(
            parse(&changed).unwrap().authenticate(&key(), false),
            Err(DropReason::AhBadDigest)
        );
        // The mutable fields are not covered.
        let mut mutated = d.clone();
        mutated[1] = 0;
        mutated[6] = 0x40;
        mutated[10] = 0;
        assert_eq!(parse(&mutated).unwrap().authenticate(&key(), false), Ok(()));
    }

    #[test]
    fn the_spi_must_be_the_source() {
        let mut d = hex(MULTICAST);
        d[24..28].copy_from_slice(&[1, 2, 3, 4]);
        assert_eq!(
            parse(&d).unwrap().authenticate(&key(), false),
            Err(DropReason::AhBadSpi {
                spi: 0x0102_0304,
                src: Ipv4Addr::new(10, 99, 0, 2)
            })
        );
    }

    #[test]
    fn malformed_datagrams_are_dropped() {
        let d = hex(MULTICAST);
        assert!(matches!(parse(&d[..40]), Err(DropReason::TooShort { .. })));
        assert!(matches!(parse(&[]), Err(DropReason::TooShort { .. })));
        let mut tcp = d.clone();
        tcp[20] = 6;
        assert_eq!(parse(&tcp), Err(DropReason::AhNextHeader(6)));
        let mut long = d.clone();
        long[21] = 5;
        assert_eq!(parse(&long), Err(DropReason::AhLength(5)));
    }

    #[test]
    fn sequence_numbers_as_keepalived_counts_them() {
        let mut s = Sequence::new();
        // 0 is "already processed" before anything is.
        assert!(s.accept(0).is_err());
        assert_eq!(s.accept(5), Ok(()));
        assert_eq!(s.accept(5), Err(DropReason::AhReplay { seq: 5, last: 5 }));
        assert_eq!(s.accept(3), Err(DropReason::AhReplay { seq: 3, last: 5 }));
        // Sending continues from what was accepted, as a restarted keepalived does.
        assert_eq!(s.next_to_send(), 6);
        assert_eq!(s.next_to_send(), 7);
        assert_eq!(s.accept(7), Err(DropReason::AhReplay { seq: 7, last: 7 }));
        assert_eq!(s.accept(8), Ok(()));
    }

    proptest::proptest! {
        /// Any bytes: parsed or dropped, never a panic; what parses is authenticated or not.
        #[test]
        fn arbitrary_datagrams_never_panic(d in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..120)) {
            if let Ok(p) = parse(&d) {
                let _ = p.authenticate(&key(), false);
                let _ = p.authenticate(&key(), true);
            }
        }

        /// What is encoded parses back to its fields and authenticates under its key only.
        #[test]
        fn encoded_datagrams_authenticate(
            vrrp in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..64),
            src in proptest::prelude::any::<u32>(),
            seq in proptest::prelude::any::<u32>(),
            ip_id in proptest::prelude::any::<u16>(),
            ttl in proptest::prelude::any::<u8>(),
            unicast in proptest::prelude::any::<bool>(),
        ) {
            let o = Outgoing { src: src.into(), dst: Ipv4Addr::new(224, 0, 0, 18), ip_id, seq, ttl, unicast };
            let d = encode(&vrrp, &o, &key());
            let p = parse(&d).unwrap();
            proptest::prop_assert_eq!((p.src, p.seq, p.ttl, p.vrrp), (o.src, seq, ttl, &vrrp[..]));
            proptest::prop_assert_eq!(p.authenticate(&key(), unicast), Ok(()));
            proptest::prop_assert_eq!(p.authenticate(&AhKey::new(b"other"), unicast), Err(DropReason::AhBadDigest));
        }
    }

    #[test]
    fn ip_ids_count_from_1_and_skip_0() {
        let mut s = Sequence::new();
        assert_eq!((s.next_ip_id(), s.next_ip_id()), (1, 2));
        s.ip_id = u16::MAX - 1;
        assert_eq!((s.next_ip_id(), s.next_ip_id()), (u16::MAX, 1));
    }
}
