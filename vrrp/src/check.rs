//! Checks of a decoded advertisement against one instance's settings (RFC 3768 7.1 and RFC 5798
//! 7.1, second half): the checks that need configuration, kept apart from decoding so that the
//! codec knows nothing of instances and this stays a pure function.

use std::net::IpAddr;

use crate::drop::DropReason;
use crate::packet::{Advertisement, Auth, Version};

/// What one instance expects of the advertisements for its VRID. Built by the daemon from its
/// configuration; this crate does not know the configuration syntax.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expected {
    pub vrid: u8,
    /// The version the instance runs, with its v2 authentication and interval. For v3 the
    /// interval is not compared: a backup adopts the master's (RFC 5798 6.4.2).
    pub version: Version,
    /// The virtual addresses configured for the VRID.
    pub addresses: Vec<IpAddr>,
    /// keepalived's `skip_check_adv_addr`: do not compare the address list. keepalived skips the
    /// comparison only when the advert comes from the same master as the previous one; knowing
    /// that needs state, so the caller decides and sets this flag per call.
    pub skip_check_adv_addr: bool,
}

/// Accepts `advert` for the instance described by `expected`, or says why it is dropped.
///
/// Order: VRID (an advert for another router is the common case, not an error worth more
/// detail), version, authentication type then data (v2), interval (v2), addresses.
pub fn check(advert: &Advertisement, expected: &Expected) -> Result<(), DropReason> {
    if advert.vrid != expected.vrid {
        return Err(DropReason::UnknownVrid(advert.vrid));
    }
    match (advert.version, expected.version) {
        (
            Version::V2 {
                advert_interval_secs: got_int,
                auth: got_auth,
            },
            Version::V2 {
                advert_interval_secs: want_int,
                auth: want_auth,
            },
        ) => {
            check_auth(got_auth, want_auth)?;
            if got_int != want_int {
                return Err(DropReason::AdvertIntervalMismatch {
                    expected: want_int,
                    got: got_int,
                });
            }
        }
        (Version::V3 { .. }, Version::V3 { .. }) => {}
        (got, want) => {
            return Err(DropReason::VersionMismatch {
                expected: want.number(),
                got: got.number(),
            })
        }
    }
    if !expected.skip_check_adv_addr && !same_addresses(&advert.addresses, &expected.addresses) {
        return Err(DropReason::AddressListMismatch);
    }
    Ok(())
}

/// The TTL (IPv4) or hop limit (IPv6) of an advert for an instance: 255 for a multicast
/// instance (RFC 3768 7.1 / RFC 5798 7.1), within `min..=max` from a unicast peer
/// (keepalived's `unicast_peer { ADDR min_ttl MIN max_ttl MAX }`, 0..=255 unless written;
/// keepalived 2.2.7 accepts any TTL from a unicast peer without them, measured).
pub fn check_ttl(ttl: u8, unicast_range: Option<(u8, u8)>) -> Result<(), DropReason> {
    match unicast_range {
        None if ttl != crate::packet::REQUIRED_TTL => Err(DropReason::TtlNot255(ttl)),
        Some((min, max)) if !(min..=max).contains(&ttl) => {
            Err(DropReason::TtlOutOfRange { ttl, min, max })
        }
        _ => Ok(()),
    }
}

fn check_auth(got: Auth, want: Auth) -> Result<(), DropReason> {
    if got.type_number() != want.type_number() {
        return Err(DropReason::AuthTypeMismatch {
            expected: want.type_number(),
            got: got.type_number(),
        });
    }
    // Only the password type carries data we can compare; AH is verified (if ever) by the IP
    // layer, outside this payload.
    match (got, want) {
        (Auth::Password(g), Auth::Password(w)) if g != w => Err(DropReason::AuthMismatch),
        _ => Ok(()),
    }
}

/// The same addresses, in any order: the RFCs do not fix the order, and peers list them in the
/// order of their own configuration.
fn same_addresses(got: &[IpAddr], want: &[IpAddr]) -> bool {
    if got.len() != want.len() {
        return false;
    }
    let mut got = got.to_vec();
    let mut want = want.to_vec();
    got.sort_unstable();
    want.sort_unstable();
    got == want
}
