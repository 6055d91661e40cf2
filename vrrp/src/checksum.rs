//! The Internet checksum (RFC 1071) as VRRP uses it: over the VRRP message alone (v2, and v3 over
//! IPv4 when interoperating with peers that compute it the v2 way), or preceded by the IPv4/IPv6
//! pseudo-header (v3, RFC 5798 section 5.2.8).

use std::net::IpAddr;

/// IP protocol number of VRRP, part of the pseudo-header.
pub const IPPROTO_VRRP: u8 = 112;

/// One's-complement running sum of 16-bit big-endian words, folded only at the end so that
/// several pieces (pseudo-header, then message) can be added in turn.
#[derive(Debug, Default, Clone, Copy)]
struct Sum(u64);

impl Sum {
    /// Adds `bytes` as big-endian words; an odd trailing byte is padded with a zero, as RFC 1071
    /// says. Callers only pass even-length pieces except possibly the last.
    fn add(mut self, bytes: &[u8]) -> Self {
        let mut words = bytes.chunks_exact(2);
        for w in &mut words {
            self.0 += u64::from(u16::from_be_bytes([w[0], w[1]]));
        }
        if let [last] = words.remainder() {
            self.0 += u64::from(u16::from_be_bytes([*last, 0]));
        }
        self
    }

    fn finish(self) -> u16 {
        let mut s = self.0;
        while s > 0xffff {
            s = (s & 0xffff) + (s >> 16);
        }
        !(s as u16)
    }
}

/// Checksum over the VRRP message only (VRRPv2, RFC 3768 section 5.3.8).
pub fn message_only(message: &[u8]) -> u16 {
    Sum::default().add(message).finish()
}

/// Checksum over the pseudo-header (source, destination, zero, protocol 112, VRRP length) followed
/// by the message (VRRPv3, RFC 5798 section 5.2.8). `src` and `dst` must be of the same family;
/// the IPv4 and IPv6 pseudo-headers differ only in address and length field widths, and both sum
/// to the same thing when the length is added as a 16- or 32-bit word.
pub fn with_pseudo_header(src: IpAddr, dst: IpAddr, message: &[u8]) -> u16 {
    let mut sum = Sum::default();
    for addr in [src, dst] {
        sum = match addr {
            IpAddr::V4(a) => sum.add(&a.octets()),
            IpAddr::V6(a) => sum.add(&a.octets()),
        };
    }
    // Zero byte then protocol (IPv4), or 24 zero bits then next header (IPv6): the same word.
    sum = sum.add(&[0, IPPROTO_VRRP]);
    // The length is 16 bits for IPv4 and 32 for IPv6; a VRRP message is far under 64 KiB in
    // practice, and the upper 16 bits of the 32-bit form add nothing when they are zero.
    let len = message.len() as u32;
    sum = sum.add(&len.to_be_bytes());
    sum.add(message).finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc1071_example() {
        // RFC 1071 section 3: the words 0001 f203 f4f5 f6f7 sum to ddf2, checksum !ddf2 = 220d.
        assert_eq!(
            message_only(&[0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]),
            0x220d
        );
    }

    #[test]
    fn a_message_with_its_checksum_sums_to_zero() {
        let mut msg = vec![
            0x21, 0x29, 0x64, 0x01, 0x01, 0x01, 0x00, 0x00, 192, 168, 55, 150,
        ];
        let c = message_only(&msg);
        msg[6..8].copy_from_slice(&c.to_be_bytes());
        assert_eq!(message_only(&msg), 0);
    }

    #[test]
    fn odd_length_is_padded() {
        assert_eq!(message_only(&[0x12]), !0x1200);
    }
}
