//! Each DropReason from the smallest input that produces it, decoding and per-instance checks
//! alike; then every kind must have been seen once, so a new variant cannot go untested.

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use vrrp::{
    check, check_ttl, decode, Advertisement, Auth, ChecksumMode, DropCounters, DropKind,
    DropReason, Expected, Version,
};

const V4_SRC: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));
const V4_DST: IpAddr = IpAddr::V4(Ipv4Addr::new(224, 0, 0, 18));
const V6_SRC: IpAddr = IpAddr::V6(Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 1));
const V6_DST: IpAddr = IpAddr::V6(Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 0x12));
const VIP: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 100));
const VIP2: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 101));

fn v2(vrid: u8, interval: u8, auth: Auth, addresses: Vec<IpAddr>) -> Advertisement {
    Advertisement {
        version: Version::V2 {
            advert_interval_secs: interval,
            auth,
        },
        vrid,
        priority: 100,
        addresses,
        checksum: ChecksumMode::Rfc,
    }
}

fn v3(vrid: u8, interval_cs: u16, addresses: Vec<IpAddr>) -> Advertisement {
    Advertisement {
        version: Version::V3 {
            max_advert_interval_cs: interval_cs,
        },
        vrid,
        priority: 100,
        addresses,
        checksum: ChecksumMode::Rfc,
    }
}

fn expect_v2(auth: Auth) -> Expected {
    Expected {
        vrid: 7,
        version: Version::V2 {
            advert_interval_secs: 1,
            auth,
        },
        addresses: vec![VIP],
        skip_check_adv_addr: false,
    }
}

/// Decoding failures, each from a minimal payload, with the reason it must give.
fn decode_cases() -> Vec<(DropReason, Result<Advertisement, DropReason>)> {
    let good = v2(7, 1, Auth::None, vec![VIP])
        .encode(V4_SRC, V4_DST)
        .unwrap();
    let mut corrupt = good.clone();
    corrupt[2] ^= 1; // priority changed under the checksum
    let mut trailing = good.clone();
    trailing.push(0);
    vec![
        (DropReason::TtlNot255(64), decode(&good, V4_SRC, V4_DST, 64)),
        // The TTL is checked before anything else, even the length.
        (DropReason::TtlNot255(1), decode(&[], V4_SRC, V4_DST, 1)),
        (
            DropReason::TooShort { len: 0 },
            decode(&[], V4_SRC, V4_DST, 255),
        ),
        (
            DropReason::TooShort { len: 7 },
            decode(&good[..7], V4_SRC, V4_DST, 255),
        ),
        (
            DropReason::BadVersion(1),
            decode(&[0x11, 0, 0, 0, 0, 0, 0, 0], V4_SRC, V4_DST, 255),
        ),
        (
            DropReason::BadVersion(4),
            decode(&[0x41, 0, 0, 0, 0, 0, 0, 0], V4_SRC, V4_DST, 255),
        ),
        (
            DropReason::BadType(2),
            decode(&[0x32, 0, 0, 0, 0, 0, 0, 0], V4_SRC, V4_DST, 255),
        ),
        (
            DropReason::CountMismatch {
                version: 3,
                count: 1,
                len: 8,
            },
            decode(&[0x31, 1, 100, 1, 0, 100, 0, 0], V4_SRC, V4_DST, 255),
        ),
        (
            DropReason::CountMismatch {
                version: 2,
                count: 1,
                len: good.len() + 1,
            },
            decode(&trailing, V4_SRC, V4_DST, 255),
        ),
        (
            // A v2 header and no auth data: 8 bytes, 0 addresses, but 8 of auth data are missing.
            DropReason::CountMismatch {
                version: 2,
                count: 0,
                len: 8,
            },
            decode(&[0x21, 1, 100, 0, 0, 1, 0, 0], V4_SRC, V4_DST, 255),
        ),
        (
            DropReason::BadChecksum(u16::from_be_bytes([good[6], good[7]])),
            decode(&corrupt, V4_SRC, V4_DST, 255),
        ),
        (
            DropReason::AddressFamilyMismatch {
                src: V6_SRC,
                dst: V6_DST,
                version: 2,
            },
            decode(&good, V6_SRC, V6_DST, 255),
        ),
        (
            DropReason::AddressFamilyMismatch {
                src: V4_SRC,
                dst: V6_DST,
                version: 3,
            },
            decode(&[0x31, 1, 100, 0, 0, 100, 0, 0], V4_SRC, V6_DST, 255),
        ),
    ]
}

/// Per-instance failures: a valid advertisement against an instance that disagrees.
fn check_cases() -> Vec<(DropReason, Result<(), DropReason>)> {
    let pass = |s: &[u8]| Auth::password(s);
    vec![
        (
            DropReason::UnknownVrid(8),
            check(&v2(8, 1, Auth::None, vec![VIP]), &expect_v2(Auth::None)),
        ),
        (
            DropReason::VersionMismatch {
                expected: 2,
                got: 3,
            },
            check(&v3(7, 100, vec![VIP]), &expect_v2(Auth::None)),
        ),
        (
            DropReason::AuthTypeMismatch {
                expected: 1,
                got: 0,
            },
            check(&v2(7, 1, Auth::None, vec![VIP]), &expect_v2(pass(b"1111"))),
        ),
        (
            DropReason::AuthTypeMismatch {
                expected: 0,
                got: 2,
            },
            check(&v2(7, 1, Auth::Ah, vec![VIP]), &expect_v2(Auth::None)),
        ),
        (
            DropReason::AuthMismatch,
            check(
                &v2(7, 1, pass(b"1112"), vec![VIP]),
                &expect_v2(pass(b"1111")),
            ),
        ),
        (
            DropReason::AdvertIntervalMismatch {
                expected: 1,
                got: 3,
            },
            check(&v2(7, 3, Auth::None, vec![VIP]), &expect_v2(Auth::None)),
        ),
        (
            DropReason::AddressListMismatch,
            check(&v2(7, 1, Auth::None, vec![VIP2]), &expect_v2(Auth::None)),
        ),
        (
            DropReason::AddressListMismatch,
            check(
                &v2(7, 1, Auth::None, vec![VIP, VIP2]),
                &expect_v2(Auth::None),
            ),
        ),
        // A unicast advert to a multicast instance (decode lets unicast TTLs through), and one
        // outside its peer's min_ttl/max_ttl.
        (DropReason::TtlNot255(64), check_ttl(64, None)),
        (
            DropReason::TtlOutOfRange {
                ttl: 10,
                min: 20,
                max: 200,
            },
            check_ttl(10, Some((20, 200))),
        ),
    ]
}

/// keepalived 2.2.7 (measured): from a unicast peer any TTL passes unless min_ttl/max_ttl say
/// otherwise, and the bounds are inclusive; the group's adverts need 255 whatever the peer.
#[test]
fn unicast_ttls_are_the_instances_to_check() {
    let good = v2(7, 1, Auth::None, vec![VIP])
        .encode(V4_SRC, VIP2)
        .unwrap();
    assert!(decode(&good, V4_SRC, VIP2, 10).is_ok());
    assert_eq!(check_ttl(10, Some((0, 255))), Ok(()));
    assert_eq!(check_ttl(20, Some((20, 200))), Ok(()));
    assert_eq!(check_ttl(200, Some((20, 200))), Ok(()));
    assert_eq!(check_ttl(255, None), Ok(()));
}

#[test]
fn each_decode_failure_gives_its_reason() {
    for (want, got) in decode_cases() {
        assert_eq!(got, Err(want.clone()), "expected {want}");
    }
}

#[test]
fn each_check_failure_gives_its_reason() {
    for (want, got) in check_cases() {
        assert_eq!(got, Err(want.clone()), "expected {want}");
    }
}

#[test]
fn every_kind_is_produced_and_counted() {
    let mut counters = DropCounters::new();
    let mut seen = BTreeSet::new();
    let reasons = decode_cases()
        .into_iter()
        .map(|(_, r)| r.unwrap_err())
        .chain(check_cases().into_iter().map(|(_, r)| r.unwrap_err()));
    for reason in reasons {
        seen.insert(reason.kind());
        counters.record(&reason);
    }
    // Every kind a packet can be dropped for; the kernel's queue overflows are counted by
    // the daemon as the kernel reports them, not from a packet.
    let all: BTreeSet<DropKind> = DropKind::ALL
        .into_iter()
        .filter(|k| *k != DropKind::QueueOverflow)
        .collect();
    assert_eq!(seen, all);
    counters.add(DropKind::QueueOverflow, 3);
    assert_eq!(counters.get(DropKind::QueueOverflow), 3);
    assert_eq!(counters.get(DropKind::AddressListMismatch), 2);
    assert_eq!(
        counters.total(),
        (decode_cases().len() + check_cases().len()) as u64 + 3
    );
}

#[test]
fn checks_accept_what_should_pass() {
    // Addresses in another order.
    let mut expected = expect_v2(Auth::password(b"secret"));
    expected.addresses = vec![VIP, VIP2];
    let advert = v2(7, 1, Auth::password(b"secret"), vec![VIP2, VIP]);
    assert_eq!(check(&advert, &expected), Ok(()));
    // A different list, but the caller asked to skip the comparison.
    expected.skip_check_adv_addr = true;
    let advert = v2(7, 1, Auth::password(b"secret"), vec![]);
    assert_eq!(check(&advert, &expected), Ok(()));
    // VRRPv3: the interval is the master's to choose (RFC 5798 6.4.2), not compared.
    let expected = Expected {
        vrid: 7,
        version: Version::V3 {
            max_advert_interval_cs: 100,
        },
        addresses: vec![VIP],
        skip_check_adv_addr: false,
    };
    assert_eq!(check(&v3(7, 300, vec![VIP]), &expected), Ok(()));
    // AH: recognised; no data to compare here.
    assert_eq!(
        check(&v2(7, 1, Auth::Ah, vec![VIP]), &expect_v2(Auth::Ah)),
        Ok(())
    );
}

#[test]
fn password_is_truncated_and_zero_padded() {
    assert_eq!(Auth::password(b"1111"), Auth::Password(*b"1111\0\0\0\0"));
    assert_eq!(Auth::password(b"0123456789"), Auth::Password(*b"01234567"));
}
