//! The VRRP advertisement on the wire: VRRPv2 (RFC 3768) and VRRPv3 (RFC 5798).
//!
//! Sans-IO: [`Advertisement::encode`] produces the VRRP payload that the daemon's raw socket sends
//! behind its own IP header, and [`decode`] takes a received payload together with the fields of
//! the IP header that VRRP validates (addresses for the family and the pseudo-header, TTL / hop
//! limit). Neither touches a socket or a clock.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::checksum;
use crate::drop::DropReason;

/// The only VRRP packet type (both versions).
pub const TYPE_ADVERTISEMENT: u8 = 1;
/// Fixed header length, both versions.
pub const HEADER_LEN: usize = 8;
/// VRRPv2 trailing authentication data length.
pub const V2_AUTH_DATA_LEN: usize = 8;
/// VRRPv3 Max Adver Int is a 12-bit field (centiseconds).
pub const V3_MAX_INTERVAL: u16 = 0x0fff;
/// Routers MUST send, and receivers MUST require, this TTL / hop limit.
pub const REQUIRED_TTL: u8 = 255;

/// How the checksum of a VRRPv3 advertisement over IPv4 is computed.
///
/// RFC 5798 5.2.8 includes the pseudo-header. Some implementations (and keepalived with
/// `vrrp_v3_checksum_as_v2`, for interoperation with them) compute it over the VRRP message only,
/// as VRRPv2 does. For VRRPv2 and for VRRPv3 over IPv6 there is only one rule and this is always
/// [`ChecksumMode::Rfc`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ChecksumMode {
    /// As the RFC of the packet's version says.
    #[default]
    Rfc,
    /// VRRPv3 over IPv4 without the pseudo-header.
    V3AsV2,
}

/// VRRPv2 authentication (RFC 3768 5.3.6, and RFC 2338 for the types it later deprecated).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    /// Type 0: no authentication; the data field is zero on send and ignored on receive.
    None,
    /// Type 1: a clear-text password of up to 8 bytes, zero padded.
    Password([u8; 8]),
    /// Type 2: IP Authentication Header. Recognised so that a mismatch can be reported; the AH
    /// itself sits in the IP layer, outside this payload, and is not processed here.
    Ah,
    /// Any other type number: kept so that the per-instance check can name it.
    Unknown(u8),
}

impl Auth {
    /// A type 1 password from its text: truncated to 8 bytes (as keepalived does) and zero
    /// padded.
    pub fn password(text: &[u8]) -> Auth {
        let mut data = [0u8; 8];
        let n = text.len().min(data.len());
        data[..n].copy_from_slice(&text[..n]);
        Auth::Password(data)
    }

    /// The Auth Type field value.
    pub fn type_number(&self) -> u8 {
        match self {
            Auth::None => 0,
            Auth::Password(_) => 1,
            Auth::Ah => 2,
            Auth::Unknown(n) => *n,
        }
    }

    fn from_wire(kind: u8, data: [u8; 8]) -> Auth {
        match kind {
            0 => Auth::None,
            1 => Auth::Password(data),
            2 => Auth::Ah,
            n => Auth::Unknown(n),
        }
    }

    fn data(&self) -> [u8; 8] {
        match self {
            Auth::Password(d) => *d,
            _ => [0; 8],
        }
    }
}

/// The fields in which VRRPv2 and VRRPv3 differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// RFC 3768, IPv4 only.
    V2 {
        /// Adver Int, in seconds.
        advert_interval_secs: u8,
        auth: Auth,
    },
    /// RFC 5798, IPv4 or IPv6.
    V3 {
        /// Max Adver Int, in centiseconds, 12 bits (0..=4095).
        max_advert_interval_cs: u16,
    },
}

impl Version {
    /// 2 or 3, the Version field.
    pub fn number(&self) -> u8 {
        match self {
            Version::V2 { .. } => 2,
            Version::V3 { .. } => 3,
        }
    }
}

/// A VRRP advertisement.
///
/// VRRPv2, RFC 3768 section 5.1:
///
/// ```text
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |Version| Type  | Virtual Rtr ID|   Priority    | Count IP Addrs|
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |   Auth Type   |   Adver Int   |          Checksum             |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                         IP Address (1)                        |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                            .                                  |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                         IP Address (n)                        |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                     Authentication Data (1)                   |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                     Authentication Data (2)                   |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// ```
///
/// VRRPv3, RFC 5798 section 5.1 (addresses are 4 or 16 bytes each, after the family of the IP
/// header; no authentication):
///
/// ```text
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |Version| Type  | Virtual Rtr ID|   Priority    |Count IPvX Addr|
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |(rsvd) |     Max Adver Int     |          Checksum             |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                       IPvX Address(es)                        |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Advertisement {
    pub version: Version,
    pub vrid: u8,
    /// 255 for the address owner, 0 when the master resigns.
    pub priority: u8,
    /// In the order they appear on the wire; all of the IP header's family.
    pub addresses: Vec<IpAddr>,
    /// On encode, the rule to compute the checksum with; on decode, the rule that matched.
    pub checksum: ChecksumMode,
}

/// Why an [`Advertisement`] cannot be encoded: it could not be a valid packet.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    #[error("source, destination and advertised addresses must share one family (VRRPv2: IPv4)")]
    AddressFamilyMismatch,
    #[error("{0} addresses do not fit the 8-bit count")]
    TooManyAddresses(usize),
    #[error("max advertisement interval {0} cs exceeds the 12-bit field")]
    IntervalTooLarge(u16),
}

fn same_family(a: IpAddr, b: IpAddr) -> bool {
    a.is_ipv4() == b.is_ipv4()
}

fn address_len(family: IpAddr) -> usize {
    if family.is_ipv4() {
        4
    } else {
        16
    }
}

impl Advertisement {
    /// The VRRP payload (header, addresses, and for v2 the authentication data), checksum
    /// included. `src` and `dst` are those the IP header will carry: the VRRPv3 pseudo-header
    /// needs them, and they fix the family the addresses must have.
    pub fn encode(&self, src: IpAddr, dst: IpAddr) -> Result<Vec<u8>, EncodeError> {
        let family_ok = same_family(src, dst)
            && self.addresses.iter().all(|a| same_family(*a, src))
            && !(matches!(self.version, Version::V2 { .. }) && src.is_ipv6());
        if !family_ok {
            return Err(EncodeError::AddressFamilyMismatch);
        }
        let count = u8::try_from(self.addresses.len())
            .map_err(|_| EncodeError::TooManyAddresses(self.addresses.len()))?;

        let mut out = Vec::with_capacity(
            HEADER_LEN + self.addresses.len() * address_len(src) + V2_AUTH_DATA_LEN,
        );
        out.push((self.version.number() << 4) | TYPE_ADVERTISEMENT);
        out.extend([self.vrid, self.priority, count]);
        match self.version {
            Version::V2 {
                advert_interval_secs,
                auth,
            } => {
                out.extend([auth.type_number(), advert_interval_secs]);
            }
            Version::V3 {
                max_advert_interval_cs,
            } => {
                if max_advert_interval_cs > V3_MAX_INTERVAL {
                    return Err(EncodeError::IntervalTooLarge(max_advert_interval_cs));
                }
                // The 4 reserved bits are zero: the interval fits in 12.
                out.extend(max_advert_interval_cs.to_be_bytes());
            }
        }
        out.extend([0, 0]); // checksum, filled in below
        for addr in &self.addresses {
            match addr {
                IpAddr::V4(a) => out.extend(a.octets()),
                IpAddr::V6(a) => out.extend(a.octets()),
            }
        }
        if let Version::V2 { auth, .. } = self.version {
            out.extend(auth.data());
        }

        let sum = match (self.version, self.checksum, src) {
            (Version::V2 { .. }, _, _) => checksum::message_only(&out),
            (Version::V3 { .. }, ChecksumMode::V3AsV2, IpAddr::V4(_)) => {
                checksum::message_only(&out)
            }
            (Version::V3 { .. }, _, _) => checksum::with_pseudo_header(src, dst, &out),
        };
        out[6..8].copy_from_slice(&sum.to_be_bytes());
        Ok(out)
    }
}

/// Reads a received VRRP payload. `src` and `dst` are the IP header's addresses, `ttl_or_hop_limit`
/// its TTL (IPv4) or hop limit (IPv6).
///
/// Only checks that need no configuration are made here (the TTL only of adverts to a
/// multicast group) (RFC 3768 7.1 and RFC 5798 7.1, first
/// half); those against an instance are [`crate::check::check`]. Never panics.
///
/// The reserved bits of VRRPv3 are ignored, as RFC 5798 says receivers must. The payload must be
/// exactly as long as the count of addresses says: the IP layer has already removed any link
/// padding, so extra bytes mean a malformed packet.
pub fn decode(
    payload: &[u8],
    src: IpAddr,
    dst: IpAddr,
    ttl_or_hop_limit: u8,
) -> Result<Advertisement, DropReason> {
    // To the VRRP group the TTL must be 255; a unicast advert's is the instance's to check
    // ([`crate::check::check_ttl`]: keepalived accepts any from a unicast peer unless its
    // `min_ttl`/`max_ttl` say otherwise).
    if dst.is_multicast() && ttl_or_hop_limit != REQUIRED_TTL {
        return Err(DropReason::TtlNot255(ttl_or_hop_limit));
    }
    let Some(header) = payload.first_chunk::<HEADER_LEN>() else {
        return Err(DropReason::TooShort { len: payload.len() });
    };
    let version = header[0] >> 4;
    let kind = header[0] & 0x0f;
    let (vrid, priority, count) = (header[1], header[2], header[3]);
    if version != 2 && version != 3 {
        return Err(DropReason::BadVersion(version));
    }
    if kind != TYPE_ADVERTISEMENT {
        return Err(DropReason::BadType(kind));
    }
    if !same_family(src, dst) || (version == 2 && src.is_ipv6()) {
        return Err(DropReason::AddressFamilyMismatch { src, dst, version });
    }

    let addr_len = address_len(src);
    let trailer = if version == 2 { V2_AUTH_DATA_LEN } else { 0 };
    let expected_len = HEADER_LEN + usize::from(count) * addr_len + trailer;
    if payload.len() != expected_len {
        return Err(DropReason::CountMismatch {
            version,
            count,
            len: payload.len(),
        });
    }

    // A payload whose checksum field is right sums, checksum included, to zero.
    let checksum = if version == 2 {
        (checksum::message_only(payload) == 0).then_some(ChecksumMode::Rfc)
    } else if checksum::with_pseudo_header(src, dst, payload) == 0 {
        Some(ChecksumMode::Rfc)
    } else if src.is_ipv4() && checksum::message_only(payload) == 0 {
        Some(ChecksumMode::V3AsV2)
    } else {
        None
    };
    let Some(checksum) = checksum else {
        return Err(DropReason::BadChecksum(u16::from_be_bytes([
            header[6], header[7],
        ])));
    };

    let address_bytes = &payload[HEADER_LEN..HEADER_LEN + usize::from(count) * addr_len];
    let addresses = address_bytes
        .chunks_exact(addr_len)
        .map(|b| match <[u8; 16]>::try_from(b) {
            Ok(v6) => IpAddr::V6(Ipv6Addr::from(v6)),
            Err(_) => IpAddr::V4(Ipv4Addr::new(b[0], b[1], b[2], b[3])),
        })
        .collect();

    let version = if version == 2 {
        let mut data = [0u8; V2_AUTH_DATA_LEN];
        data.copy_from_slice(&payload[payload.len() - V2_AUTH_DATA_LEN..]);
        Version::V2 {
            advert_interval_secs: header[5],
            auth: Auth::from_wire(header[4], data),
        }
    } else {
        Version::V3 {
            max_advert_interval_cs: u16::from_be_bytes([header[4] & 0x0f, header[5]]),
        }
    };
    Ok(Advertisement {
        version,
        vrid,
        priority,
        addresses,
        checksum,
    })
}
