//! The stats dump (`keepalived.stats`, SIGUSR2 and STATS_CLEAR): keepalived 2.2.7's layout,
//! line for line. Nothing of ours goes in it: its readers take every indented line as one of
//! the last instance's counters. Our drop reasons are in the data dump. Pure.

use std::fmt::Write;

use crate::snapshot::{InstanceSnapshot, VrrpSnapshot};

/// keepalived's error counters of an instance, from our drop reasons.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Errors {
    pub packet_len: u64,
    pub ip_ttl: u64,
    pub invalid_type: u64,
    pub advert_interval: u64,
    pub addr_list: u64,
    pub invalid_authtype: u64,
    pub authtype_mismatch: u64,
    pub auth_failure: u64,
}

impl Errors {
    /// keepalived counts a packet too short for its header or for its address count as a
    /// length error; a type other than ours, whether known or not, is counted here as a
    /// mismatch (keepalived-rs does not tell the two apart). Reasons keepalived has no counter
    /// for (checksum, version, unknown VRID, queue overflow) are in the data dump only.
    pub fn of(i: &InstanceSnapshot) -> Errors {
        let mut e = Errors::default();
        for &(reason, n) in &i.drops {
            let counter = match reason {
                "too_short" | "count_mismatch" => &mut e.packet_len,
                "ttl_not_255" | "ttl_out_of_range" => &mut e.ip_ttl,
                "bad_type" => &mut e.invalid_type,
                "advert_interval_mismatch" => &mut e.advert_interval,
                "address_list_mismatch" => &mut e.addr_list,
                "auth_type_mismatch" => &mut e.authtype_mismatch,
                "auth_mismatch" => &mut e.auth_failure,
                _ => continue,
            };
            *counter = counter.wrapping_add(n);
        }
        e
    }
}

/// The whole file.
pub fn file(snap: &VrrpSnapshot) -> String {
    let mut out = String::new();
    for i in &snap.instances {
        let s = &i.stats;
        let e = Errors::of(i);
        let _ = write!(
            out,
            "VRRP Instance: {}\n  \
             Advertisements:\n    Received: {}\n    Sent: {}\n  \
             Became master: {}\n  Released master: {}\n  \
             Packet Errors:\n    Length: {}\n    TTL: {}\n    Invalid Type: {}\n    \
             Advertisement Interval: {}\n    Address List: {}\n  \
             Authentication Errors:\n    Invalid Type: {}\n    Type Mismatch: {}\n    \
             Failure: {}\n  \
             Priority Zero:\n    Received: {}\n    Sent: {}\n",
            i.name,
            s.advert_rcvd,
            s.advert_sent,
            s.become_master,
            s.release_master,
            e.packet_len,
            e.ip_ttl,
            e.invalid_type,
            e.advert_interval,
            e.addr_list,
            e.invalid_authtype,
            e.authtype_mismatch,
            e.auth_failure,
            s.pri_zero_rcvd,
            s.pri_zero_sent,
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dump::vrrp_data::tests::{master, snapshot};

    /// keepalived's own capture of a master with 5 adverts sent, byte for byte.
    #[test]
    fn a_master_is_byte_for_byte_keepalived() {
        let snap = VrrpSnapshot {
            instances: vec![master()],
            ..snapshot()
        };
        assert_eq!(
            file(&snap),
            include_str!("../../tests/data/keepalived-2.2.7/master.stats")
        );
    }

    #[test]
    fn drops_are_counted_as_keepalived_counts_them() {
        let mut i = master();
        for (reason, n) in i.drops.iter_mut() {
            *n = match *reason {
                "too_short" => 1,
                "count_mismatch" => 2,
                "ttl_not_255" => 4,
                "auth_mismatch" => 8,
                "bad_checksum" => 100,
                _ => 0,
            };
        }
        let e = Errors::of(&i);
        assert_eq!(
            e,
            Errors {
                packet_len: 3,
                ip_ttl: 4,
                auth_failure: 8,
                ..Errors::default()
            }
        );
        let text = file(&VrrpSnapshot {
            instances: vec![i],
            ..snapshot()
        });
        assert!(text.contains("    Length: 3\n    TTL: 4\n"), "{text}");
        assert!(text.contains("    Failure: 8\n"), "{text}");
    }
}
