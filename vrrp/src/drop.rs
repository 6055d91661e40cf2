//! Why a received advertisement was dropped, and a counter per reason for the daemon's metrics.
//!
//! Decoding ([`crate::packet::decode`]) and the per-instance checks ([`crate::check::check`]) share
//! one reason type, so a caller can count every drop the same way whichever stage made it.

use std::net::IpAddr;

/// A received advertisement is discarded, for this reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DropReason {
    // --- Decoding: the packet is not a well-formed VRRP advertisement. ---
    /// RFC 3768 7.1 / RFC 5798 7.1: the IPv4 TTL or IPv6 hop limit must be 255, which proves the
    /// sender is on the link.
    #[error("TTL/hop limit is {0}, not 255")]
    TtlNot255(u8),
    /// Shorter than the fixed 8-byte header.
    #[error("too short: {len} bytes")]
    TooShort { len: usize },
    /// Neither 2 nor 3.
    #[error("unsupported VRRP version {0}")]
    BadVersion(u8),
    /// Only type 1, ADVERTISEMENT, exists.
    #[error("unknown VRRP packet type {0}")]
    BadType(u8),
    /// The count of addresses does not account exactly for the payload length.
    #[error("{count} addresses do not fit a {len}-byte VRRPv{version} message")]
    CountMismatch { version: u8, count: u8, len: usize },
    /// The checksum did not verify (for v3 over IPv4, under neither the RFC nor the v2-style rule).
    #[error("bad checksum {0:#06x}")]
    BadChecksum(u16),
    /// Source and destination of the IP header are of different families, or a VRRPv2 packet came
    /// over IPv6 (RFC 3768 is IPv4 only).
    #[error("address family mismatch (source {src}, destination {dst}, VRRPv{version})")]
    AddressFamilyMismatch {
        src: IpAddr,
        dst: IpAddr,
        version: u8,
    },

    // --- Per-instance checks: a valid advertisement that is not for us or disagrees with us. ---
    /// No instance on this interface has that VRID.
    #[error("unknown VRID {0}")]
    UnknownVrid(u8),
    /// The instance runs the other VRRP version.
    #[error("VRRP version {got}, instance runs version {expected}")]
    VersionMismatch { expected: u8, got: u8 },
    /// VRRPv2 authentication type differs from the configured one.
    #[error("authentication type {got}, instance expects {expected}")]
    AuthTypeMismatch { expected: u8, got: u8 },
    /// Same authentication type, but the password differs.
    #[error("authentication password mismatch")]
    AuthMismatch,
    /// VRRPv2 requires every router of a VRID to use the same advertisement interval.
    #[error("advertisement interval {got} s, instance uses {expected} s")]
    AdvertIntervalMismatch { expected: u8, got: u8 },
    /// The advertised addresses are not those configured for the VRID.
    #[error("advertised address list differs from the configured one")]
    AddressListMismatch,
    /// A unicast peer's advert whose TTL (hop limit) is outside the peer's `min_ttl`..`max_ttl`
    /// (keepalived's words).
    #[error("TTL/HL {ttl} not in range {min} - {max}")]
    TtlOutOfRange { ttl: u8, min: u8, max: u8 },

    // --- The IP Authentication Header (`auth_type AH`, [`crate::ah`]). ---
    /// Behind the AH is another protocol than VRRP.
    #[error("AH next header {0}, not VRRP (112)")]
    AhNextHeader(u8),
    /// The AH is not the 24 bytes of HMAC-MD5-96 (Payload Len 4).
    #[error("AH payload length {0}, not 4")]
    AhLength(u8),
    /// The SPI is not the sender's address (keepalived: "invalid IPSEC SPI value").
    #[error("IPSEC-AH: invalid SPI {spi:#010x}, expected the source {src}")]
    AhBadSpi { spi: u32, src: std::net::Ipv4Addr },
    /// The ICV does not verify: another key, or a changed packet (keepalived: "invalid IPSEC
    /// HMAC-MD5 value. Due to fields mutation or bad password !").
    #[error("IPSEC-AH: invalid HMAC-MD5 value (fields changed, or another auth_pass)")]
    AhBadDigest,
    /// The sequence number is not above the last one sent or accepted (keepalived: "sequence
    /// number ... already processed").
    #[error("IPSEC-AH: sequence number {seq} already processed (local {last})")]
    AhReplay { seq: u32, last: u32 },
}

/// The variants of [`DropReason`] without their data: an index for [`DropCounters`] and a stable
/// name for metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DropKind {
    TtlNot255,
    TooShort,
    BadVersion,
    BadType,
    CountMismatch,
    BadChecksum,
    AddressFamilyMismatch,
    UnknownVrid,
    VersionMismatch,
    AuthTypeMismatch,
    AuthMismatch,
    AdvertIntervalMismatch,
    AddressListMismatch,
    TtlOutOfRange,
    /// Not a reason of ours: the kernel dropped the packets before the daemon could read them
    /// (its receive queue was full, as under a flood). Counted so that every packet is.
    QueueOverflow,
}

impl DropKind {
    /// Every kind, in declaration order (the order of [`DropCounters::iter`]).
    pub const ALL: [DropKind; 15] = [
        DropKind::TtlNot255,
        DropKind::TooShort,
        DropKind::BadVersion,
        DropKind::BadType,
        DropKind::CountMismatch,
        DropKind::BadChecksum,
        DropKind::AddressFamilyMismatch,
        DropKind::UnknownVrid,
        DropKind::VersionMismatch,
        DropKind::AuthTypeMismatch,
        DropKind::AuthMismatch,
        DropKind::AdvertIntervalMismatch,
        DropKind::AddressListMismatch,
        DropKind::TtlOutOfRange,
        DropKind::QueueOverflow,
    ];

    /// A snake_case name, stable across releases, for metric labels.
    pub fn name(self) -> &'static str {
        match self {
            DropKind::TtlNot255 => "ttl_not_255",
            DropKind::TooShort => "too_short",
            DropKind::BadVersion => "bad_version",
            DropKind::BadType => "bad_type",
            DropKind::CountMismatch => "count_mismatch",
            DropKind::BadChecksum => "bad_checksum",
            DropKind::AddressFamilyMismatch => "address_family_mismatch",
            DropKind::UnknownVrid => "unknown_vrid",
            DropKind::VersionMismatch => "version_mismatch",
            DropKind::AuthTypeMismatch => "auth_type_mismatch",
            DropKind::AuthMismatch => "auth_mismatch",
            DropKind::AdvertIntervalMismatch => "advert_interval_mismatch",
            DropKind::AddressListMismatch => "address_list_mismatch",
            DropKind::TtlOutOfRange => "ttl_out_of_range",
            DropKind::QueueOverflow => "queue_overflow",
        }
    }
}

impl DropReason {
    pub fn kind(&self) -> DropKind {
        match self {
            DropReason::TtlNot255(_) => DropKind::TtlNot255,
            DropReason::TooShort { .. } => DropKind::TooShort,
            DropReason::BadVersion(_) => DropKind::BadVersion,
            DropReason::BadType(_) => DropKind::BadType,
            DropReason::CountMismatch { .. } => DropKind::CountMismatch,
            DropReason::BadChecksum(_) => DropKind::BadChecksum,
            DropReason::AddressFamilyMismatch { .. } => DropKind::AddressFamilyMismatch,
            DropReason::UnknownVrid(_) => DropKind::UnknownVrid,
            DropReason::VersionMismatch { .. } => DropKind::VersionMismatch,
            DropReason::AuthTypeMismatch { .. } => DropKind::AuthTypeMismatch,
            DropReason::AuthMismatch => DropKind::AuthMismatch,
            DropReason::AdvertIntervalMismatch { .. } => DropKind::AdvertIntervalMismatch,
            DropReason::AddressListMismatch => DropKind::AddressListMismatch,
            DropReason::TtlOutOfRange { .. } => DropKind::TtlOutOfRange,
            // Malformed: counted with the other malformed packets.
            DropReason::AhNextHeader(_) => DropKind::BadType,
            DropReason::AhLength(_) => DropKind::TooShort,
            // keepalived counts these three as its "Authentication Failure" (measured), as it
            // counts a wrong password.
            DropReason::AhBadSpi { .. } | DropReason::AhBadDigest | DropReason::AhReplay { .. } => {
                DropKind::AuthMismatch
            }
        }
    }
}

/// One counter per [`DropKind`]. Counters wrap rather than panic: a daemon running for years must
/// not abort over a statistic.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DropCounters {
    counts: [u64; DropKind::ALL.len()],
}

impl DropCounters {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn record(&mut self, reason: &DropReason) {
        let slot = &mut self.counts[reason.kind() as usize];
        *slot = slot.wrapping_add(1);
    }

    /// `n` drops of `kind` at once (the kernel reports its queue overflows as a count).
    pub fn add(&mut self, kind: DropKind, n: u64) {
        let slot = &mut self.counts[kind as usize];
        *slot = slot.wrapping_add(n);
    }

    pub fn get(&self, kind: DropKind) -> u64 {
        self.counts[kind as usize]
    }

    /// Sum over all kinds.
    pub fn total(&self) -> u64 {
        self.counts.iter().fold(0u64, |a, &c| a.wrapping_add(c))
    }

    /// Every kind with its count, zeros included, so that metrics exist before the first drop.
    pub fn iter(&self) -> impl Iterator<Item = (DropKind, u64)> + '_ {
        DropKind::ALL.iter().map(move |&k| (k, self.get(k)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_is_in_discriminant_order() {
        for (i, k) in DropKind::ALL.iter().enumerate() {
            assert_eq!(*k as usize, i);
        }
    }

    #[test]
    fn record_counts_per_kind() {
        let mut c = DropCounters::new();
        c.record(&DropReason::TtlNot255(64));
        c.record(&DropReason::TtlNot255(1));
        c.record(&DropReason::AuthMismatch);
        assert_eq!(c.get(DropKind::TtlNot255), 2);
        assert_eq!(c.get(DropKind::AuthMismatch), 1);
        assert_eq!(c.get(DropKind::BadType), 0);
        assert_eq!(c.total(), 3);
        assert_eq!(c.iter().count(), DropKind::ALL.len());
        let names: std::collections::HashSet<_> = DropKind::ALL.iter().map(|k| k.name()).collect();
        assert_eq!(names.len(), DropKind::ALL.len());
    }
}
