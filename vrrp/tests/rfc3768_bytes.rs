//! A VRRPv2 advertisement laid out byte by byte from RFC 3768 section 5.1, with its checksum worked
//! out by hand and by a separate tiny RFC 1071 function (not the codec's), against the codec's
//! encoder and decoder.

use std::net::{IpAddr, Ipv4Addr};

use vrrp::{decode, Advertisement, Auth, ChecksumMode, Version};

/// RFC 1071 in its plainest form, independent of `vrrp::checksum`.
fn rfc1071(bytes: &[u8]) -> u16 {
    assert_eq!(bytes.len() & 1, 0, "this helper only takes whole words");
    let mut sum: u32 = 0;
    for w in bytes.chunks(2) {
        sum += (u32::from(w[0]) << 8) | u32::from(w[1]);
    }
    while sum >> 16 != 0 {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

const SRC: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 168, 55, 10));
const DST: IpAddr = IpAddr::V4(Ipv4Addr::new(224, 0, 0, 18));

/// VRID 41, priority 100, advert interval 1 s, auth PASS "1111", address 192.168.55.150.
///
/// By hand, the 16-bit words (checksum as zero) are
/// 2129 6401 0101 0000 c0a8 3796 3131 3131 0000 0000, whose one's-complement sum is
/// 0x1e0cb -> folded 0xe0cc, so the checksum is !0xe0cc = 0x1f33.
fn hand_built() -> Vec<u8> {
    vec![
        0x21, // Version 2, Type 1 (ADVERTISEMENT)
        41,   // Virtual Rtr ID
        100,  // Priority
        1,    // Count IP Addrs
        1,    // Auth Type: simple text password
        1,    // Adver Int: 1 s
        0x1f, 0x33, // Checksum
        192, 168, 55, 150, // IP Address (1)
        b'1', b'1', b'1', b'1', 0, 0, 0, 0, // Authentication Data: "1111", zero padded
    ]
}

fn the_advert() -> Advertisement {
    Advertisement {
        version: Version::V2 {
            advert_interval_secs: 1,
            auth: Auth::password(b"1111"),
        },
        vrid: 41,
        priority: 100,
        addresses: vec![IpAddr::V4(Ipv4Addr::new(192, 168, 55, 150))],
        checksum: ChecksumMode::Rfc,
    }
}

#[test]
fn hand_checksum_agrees_with_independent_rfc1071() {
    let mut bytes = hand_built();
    bytes[6] = 0;
    bytes[7] = 0;
    assert_eq!(rfc1071(&bytes), 0x1f33);
    // And the finished packet verifies: its words sum to 0xffff.
    assert_eq!(rfc1071(&hand_built()), 0);
}

#[test]
fn encoder_produces_the_hand_built_bytes() {
    assert_eq!(the_advert().encode(SRC, DST).unwrap(), hand_built());
}

#[test]
fn decoder_reads_the_hand_built_bytes() {
    assert_eq!(decode(&hand_built(), SRC, DST, 255), Ok(the_advert()));
}
