//! Arbitrary bytes as a received VRRP payload: `vrrp::decode` must never panic. The first byte
//! picks the IP header context (family, whether source and destination families agree, TTL), so
//! that every decoding path, IPv6 and the mismatches included, is reachable. Whatever decodes is
//! also checked against an instance that matches it, and re-encoded: it must decode back to
//! itself.

#![no_main]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&ctx, payload)) = data.split_first() else {
        return;
    };
    let v4src = IpAddr::V4(Ipv4Addr::new(192, 168, 55, 10));
    let v4dst = IpAddr::V4(Ipv4Addr::new(224, 0, 0, 18));
    let v6src = IpAddr::V6(Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 1));
    let v6dst = IpAddr::V6(Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 0x12));
    let (src, dst) = match ctx & 0x03 {
        0 => (v4src, v4dst),
        1 => (v6src, v6dst),
        2 => (v4src, v6dst),
        _ => (v6src, v4dst),
    };
    let ttl = if ctx & 0x04 == 0 { 255 } else { ctx };
    let mut counters = vrrp::DropCounters::new();
    match vrrp::decode(payload, src, dst, ttl) {
        Ok(advert) => {
            let expected = vrrp::Expected {
                vrid: advert.vrid,
                version: advert.version,
                addresses: advert.addresses.iter().rev().copied().collect(),
                skip_check_adv_addr: false,
            };
            assert_eq!(vrrp::check(&advert, &expected), Ok(()));
            let bytes = advert
                .encode(src, dst)
                .expect("a decoded advertisement encodes");
            let again = vrrp::decode(&bytes, src, dst, 255).expect("re-encoded advert decodes");
            // The checksum rule may read back as Rfc when both rules give the same sum.
            assert_eq!(
                vrrp::Advertisement {
                    checksum: advert.checksum,
                    ..again
                },
                advert
            );
        }
        Err(reason) => {
            counters.record(&reason);
            let _ = reason.to_string();
        }
    }
});
