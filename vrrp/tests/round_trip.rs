//! Encode then decode: v2 and v3 over IPv4 and IPv6, the two VRRPv3-over-IPv4 checksum rules,
//! and property tests (decode never panics; decode(encode(a)) == a).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use proptest::prelude::*;
use vrrp::{checksum, decode, Advertisement, Auth, ChecksumMode, DropReason, EncodeError, Version};

const V4_SRC: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 168, 55, 10));
const V4_DST: IpAddr = IpAddr::V4(Ipv4Addr::new(224, 0, 0, 18));
const V6_SRC: IpAddr = IpAddr::V6(Ipv6Addr::new(
    0xfe80, 0, 0, 0, 0x20c, 0x29ff, 0xfe12, 0x3456,
));
const V6_DST: IpAddr = IpAddr::V6(Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 0x12));

fn v4(last: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(192, 168, 55, last))
}

fn v6(last: u16) -> IpAddr {
    IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, last))
}

fn advert(version: Version, addresses: Vec<IpAddr>, checksum: ChecksumMode) -> Advertisement {
    Advertisement {
        version,
        vrid: 51,
        priority: 150,
        addresses,
        checksum,
    }
}

fn round_trip(a: &Advertisement, src: IpAddr, dst: IpAddr) {
    let bytes = a.encode(src, dst).expect("encodes");
    assert_eq!(decode(&bytes, src, dst, 255).as_ref(), Ok(a));
}

#[test]
fn v2_ipv4() {
    for auth in [
        Auth::None,
        Auth::password(b"secret"),
        Auth::Ah,
        Auth::Unknown(9),
    ] {
        let version = Version::V2 {
            advert_interval_secs: 3,
            auth,
        };
        round_trip(
            &advert(version, vec![v4(1), v4(2), v4(3)], ChecksumMode::Rfc),
            V4_SRC,
            V4_DST,
        );
    }
}

#[test]
fn v2_ipv6_is_refused_both_ways() {
    // RFC 3768 is IPv4 only; keepalived likewise runs IPv6 instances as VRRPv3.
    let a = advert(
        Version::V2 {
            advert_interval_secs: 1,
            auth: Auth::None,
        },
        vec![v6(1)],
        ChecksumMode::Rfc,
    );
    assert_eq!(
        a.encode(V6_SRC, V6_DST),
        Err(EncodeError::AddressFamilyMismatch)
    );
    let v4_bytes = advert(a.version, vec![], ChecksumMode::Rfc)
        .encode(V4_SRC, V4_DST)
        .unwrap();
    assert!(matches!(
        decode(&v4_bytes, V6_SRC, V6_DST, 255),
        Err(DropReason::AddressFamilyMismatch { version: 2, .. })
    ));
}

#[test]
fn v3_ipv4() {
    let version = Version::V3 {
        max_advert_interval_cs: 100,
    };
    round_trip(
        &advert(version, vec![v4(1), v4(2)], ChecksumMode::Rfc),
        V4_SRC,
        V4_DST,
    );
    round_trip(&advert(version, vec![], ChecksumMode::Rfc), V4_SRC, V4_DST);
}

#[test]
fn v3_ipv6() {
    let version = Version::V3 {
        max_advert_interval_cs: 4095,
    };
    round_trip(
        &advert(version, vec![v6(1), v6(2)], ChecksumMode::Rfc),
        V6_SRC,
        V6_DST,
    );
}

#[test]
fn v3_ipv4_accepts_both_checksum_rules_and_says_which() {
    let version = Version::V3 {
        max_advert_interval_cs: 100,
    };
    let rfc = advert(version, vec![v4(150)], ChecksumMode::Rfc);
    let as_v2 = advert(version, vec![v4(150)], ChecksumMode::V3AsV2);
    let rfc_bytes = rfc.encode(V4_SRC, V4_DST).unwrap();
    let as_v2_bytes = as_v2.encode(V4_SRC, V4_DST).unwrap();
    assert_ne!(
        rfc_bytes[6..8],
        as_v2_bytes[6..8],
        "the two rules give different sums here"
    );
    assert_eq!(rfc_bytes[..6], as_v2_bytes[..6]);
    assert_eq!(rfc_bytes[8..], as_v2_bytes[8..]);
    // Each checksum as the rules define it, from the checksum module.
    let mut zeroed = rfc_bytes.clone();
    zeroed[6..8].fill(0);
    assert_eq!(
        rfc_bytes[6..8],
        checksum::with_pseudo_header(V4_SRC, V4_DST, &zeroed).to_be_bytes()
    );
    assert_eq!(
        as_v2_bytes[6..8],
        checksum::message_only(&zeroed).to_be_bytes()
    );

    assert_eq!(
        decode(&rfc_bytes, V4_SRC, V4_DST, 255).unwrap().checksum,
        ChecksumMode::Rfc
    );
    assert_eq!(
        decode(&as_v2_bytes, V4_SRC, V4_DST, 255).unwrap().checksum,
        ChecksumMode::V3AsV2
    );
    // The pseudo-header binds the addresses: the RFC sum fails from another source, the
    // v2-style one does not depend on it.
    let other = IpAddr::V4(Ipv4Addr::new(192, 168, 55, 11));
    assert!(matches!(
        decode(&rfc_bytes, other, V4_DST, 255),
        Err(DropReason::BadChecksum(_))
    ));
    assert!(decode(&as_v2_bytes, other, V4_DST, 255).is_ok());
}

#[test]
fn v3_ipv6_has_only_the_rfc_rule() {
    let a = advert(
        Version::V3 {
            max_advert_interval_cs: 100,
        },
        vec![v6(1)],
        ChecksumMode::Rfc,
    );
    let mut bytes = a.encode(V6_SRC, V6_DST).unwrap();
    bytes[6..8].fill(0);
    let message_only = checksum::message_only(&bytes);
    bytes[6..8].copy_from_slice(&message_only.to_be_bytes());
    assert_eq!(
        decode(&bytes, V6_SRC, V6_DST, 255),
        Err(DropReason::BadChecksum(message_only))
    );
}

#[test]
fn encode_refuses_what_cannot_be_a_packet() {
    let v3 = |cs| Version::V3 {
        max_advert_interval_cs: cs,
    };
    assert_eq!(
        advert(v3(4096), vec![], ChecksumMode::Rfc).encode(V4_SRC, V4_DST),
        Err(EncodeError::IntervalTooLarge(4096))
    );
    let many = (0..256u16).map(v6).collect();
    assert_eq!(
        advert(v3(100), many, ChecksumMode::Rfc).encode(V6_SRC, V6_DST),
        Err(EncodeError::TooManyAddresses(256))
    );
    assert_eq!(
        advert(v3(100), vec![v6(1)], ChecksumMode::Rfc).encode(V4_SRC, V4_DST),
        Err(EncodeError::AddressFamilyMismatch)
    );
    assert_eq!(
        advert(v3(100), vec![], ChecksumMode::Rfc).encode(V4_SRC, V6_DST),
        Err(EncodeError::AddressFamilyMismatch)
    );
}

#[test]
fn v3_reserved_bits_are_ignored_on_receive() {
    let a = advert(
        Version::V3 {
            max_advert_interval_cs: 100,
        },
        vec![v4(1)],
        ChecksumMode::Rfc,
    );
    let mut bytes = a.encode(V4_SRC, V4_DST).unwrap();
    bytes[4] |= 0xf0;
    bytes[6..8].fill(0);
    let sum = checksum::with_pseudo_header(V4_SRC, V4_DST, &bytes);
    bytes[6..8].copy_from_slice(&sum.to_be_bytes());
    assert_eq!(decode(&bytes, V4_SRC, V4_DST, 255), Ok(a));
}

// ---- Properties ----

fn ip_pair() -> impl Strategy<Value = (IpAddr, IpAddr)> {
    prop_oneof![
        (any::<[u8; 4]>(), any::<[u8; 4]>()).prop_map(|(s, d)| (IpAddr::from(s), IpAddr::from(d))),
        (any::<[u8; 16]>(), any::<[u8; 16]>())
            .prop_map(|(s, d)| (IpAddr::from(s), IpAddr::from(d))),
        (any::<[u8; 4]>(), any::<[u8; 16]>()).prop_map(|(s, d)| (IpAddr::from(s), IpAddr::from(d))),
    ]
}

fn auth() -> impl Strategy<Value = Auth> {
    prop_oneof![
        Just(Auth::None),
        any::<[u8; 8]>().prop_map(Auth::Password),
        Just(Auth::Ah),
        (3u8..).prop_map(Auth::Unknown),
    ]
}

/// A valid advertisement with the (src, dst) it is sent between.
fn valid_advert() -> impl Strategy<Value = (Advertisement, IpAddr, IpAddr)> {
    let v4 = any::<[u8; 4]>().prop_map(IpAddr::from);
    let v6 = any::<[u8; 16]>().prop_map(IpAddr::from);
    let v2_ipv4 = (
        (any::<u8>(), auth()).prop_map(|(i, a)| Version::V2 {
            advert_interval_secs: i,
            auth: a,
        }),
        prop::collection::vec(v4.clone(), 0..=255),
        v4.clone(),
        v4.clone(),
        Just(ChecksumMode::Rfc),
    );
    let v3_interval = (0u16..=4095).prop_map(|cs| Version::V3 {
        max_advert_interval_cs: cs,
    });
    let v3_ipv4 = (
        v3_interval.clone(),
        prop::collection::vec(v4.clone(), 0..=255),
        v4.clone(),
        v4,
        prop_oneof![Just(ChecksumMode::Rfc), Just(ChecksumMode::V3AsV2)],
    );
    let v3_ipv6 = (
        v3_interval,
        prop::collection::vec(v6.clone(), 0..=255),
        v6.clone(),
        v6,
        Just(ChecksumMode::Rfc),
    );
    (
        prop_oneof![v2_ipv4, v3_ipv4, v3_ipv6],
        any::<u8>(),
        any::<u8>(),
    )
        .prop_map(
            |((version, addresses, src, dst, checksum), vrid, priority)| {
                (
                    Advertisement {
                        version,
                        vrid,
                        priority,
                        addresses,
                        checksum,
                    },
                    src,
                    dst,
                )
            },
        )
}

proptest! {
    #[test]
    fn decode_never_panics(payload in prop::collection::vec(any::<u8>(), 0..600),
                           (src, dst) in ip_pair(), ttl in any::<u8>()) {
        let _ = decode(&payload, src, dst, ttl);
    }

    /// Mostly-valid headers reach past the early checks more often than random bytes do.
    #[test]
    fn decode_never_panics_on_plausible_headers(
        version in 2u8..=3, count in any::<u8>(), rest in prop::collection::vec(any::<u8>(), 0..300),
        (src, dst) in ip_pair(),
    ) {
        let mut payload = vec![(version << 4) | 1, 1, 100, count];
        payload.extend(rest);
        let _ = decode(&payload, src, dst, 255);
    }

    #[test]
    fn decode_inverts_encode((advert, src, dst) in valid_advert()) {
        let bytes = advert.encode(src, dst).expect("valid advertisements encode");
        let decoded = decode(&bytes, src, dst, 255).expect("and decode");
        if advert.checksum == ChecksumMode::V3AsV2 && decoded.checksum == ChecksumMode::Rfc {
            // Both rules give the same sum when the pseudo-header sums to zero (one's
            // complement); decode then reports the RFC rule. Only then may the modes differ.
            let rfc = Advertisement { checksum: ChecksumMode::Rfc, ..advert.clone() };
            prop_assert_eq!(rfc.encode(src, dst).unwrap(), bytes);
            prop_assert_eq!(decoded, rfc);
        } else {
            prop_assert_eq!(decoded, advert);
        }
    }
}
