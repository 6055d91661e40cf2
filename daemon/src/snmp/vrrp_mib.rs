//! RFC 2787's VRRP-MIB (mib-2.68) as keepalived 2.2.7 serves it with `enable_snmp_rfcv2`: the
//! VRRP snapshot in, the sorted (OID, value) list out. Pure.
//!
//! keepalived's choices, measured and read from its behaviour (docs/compat.md, "SNMP"):
//! - only VRRPv2 instances over IPv4 with at least one virtual address are rows (the MIB knows
//!   no IPv6; VRRPv3 instances belong to VRRPv3-MIB);
//! - the index is (ifIndex, VRID), the ifIndex of the instance's interface (the base interface
//!   of a VMAC);
//! - vrrpOperVirtualMacAddr is the MAC address of the interface the VIPs are on (the VMAC's
//!   with `use_vmac`, else the interface's own: not 00-00-5E-00-01-VRID);
//! - vrrpOperPriority is the configured priority; vrrpOperMasterIpAddr the source of the last
//!   advert heard (0.0.0.0 until one is), kept while Master; vrrpOperPrimaryIpAddr the
//!   interface's first IPv4 address;
//! - vrrpOperAuthKey is never served (noSuchInstance), vrrpOperAdminState is up(1),
//!   vrrpOperProtocol ip(1), the RowStatus columns active(1);
//! - vrrpNotificationCntl is disabled(2): keepalived-rs sends no traps.

use std::net::{IpAddr, Ipv4Addr};

use super::agentx::{Oid, Value};
use crate::snapshot::{InstanceSnapshot, VrrpSnapshot};

/// mib-2.68.
pub const VRRP_MIB: [u32; 7] = [1, 3, 6, 1, 2, 1, 68];
/// The description keepalived gives the MIB in the master's sysORTable.
pub const SYS_OR_DESCR: &str = "The MIB module for VRRP";

/// What the MIB needs of an interface that the snapshot does not say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interface {
    pub index: u32,
    pub mac: Vec<u8>,
    /// Its first IPv4 address.
    pub primary_v4: Option<Ipv4Addr>,
}

// vrrpOperations (1) and vrrpStatistics (2) objects, relative to VRRP_MIB.
const NODE_VERSION: [u32; 2] = [1, 1];
const NOTIFICATION_CNTL: [u32; 2] = [1, 2];
const OPER_ENTRY: [u32; 3] = [1, 3, 1];
const ASSO_ENTRY: [u32; 3] = [1, 4, 1];
const CHECKSUM_ERRORS: [u32; 2] = [2, 1];
const VERSION_ERRORS: [u32; 2] = [2, 2];
const VRID_ERRORS: [u32; 2] = [2, 3];
const STATS_ENTRY: [u32; 3] = [2, 4, 1];

/// Every object the MIB defines (scalars and columns), as full OIDs: a Get of a missing
/// instance of one of them is noSuchInstance.
pub fn objects() -> Vec<Oid> {
    let mut out = Vec::new();
    for scalar in [
        NODE_VERSION,
        NOTIFICATION_CNTL,
        CHECKSUM_ERRORS,
        VERSION_ERRORS,
        VRID_ERRORS,
    ] {
        out.push(full(&scalar, &[]));
    }
    for column in 1..=15 {
        out.push(full(&OPER_ENTRY, &[column]));
    }
    for column in 1..=2 {
        out.push(full(&ASSO_ENTRY, &[column]));
    }
    for column in 1..=12 {
        out.push(full(&STATS_ENTRY, &[column]));
    }
    out
}

fn full(object: &[u32], rest: &[u32]) -> Oid {
    VRRP_MIB.iter().chain(object).chain(rest).copied().collect()
}

/// keepalived's rows: VRRPv2, IPv4, with a virtual address.
fn served(i: &InstanceSnapshot) -> bool {
    i.version == 2 && !i.ipv6 && !i.vip_addrs.is_empty()
}

/// An instance's counters of drops of these kinds (`vrrp::DropKind::name`), summed.
fn drops(list: &[(&'static str, u64)], kinds: &[&str]) -> u64 {
    list.iter()
        .filter(|(k, _)| kinds.contains(k))
        .map(|(_, n)| n)
        .sum()
}

/// Counter32 wraps, as SNMP's counters do.
fn counter(n: u64) -> Value {
    Value::Counter32(n as u32)
}

fn v4(a: Option<IpAddr>) -> [u8; 4] {
    match a {
        Some(IpAddr::V4(a)) => a.octets(),
        _ => [0; 4],
    }
}

/// The MIB's variables, sorted by OID. `interface` resolves an interface's name (None: it
/// does not exist now; the row is then indexed by ifIndex 0 and has no MAC nor primary address,
/// as keepalived's).
pub fn variables(
    snapshot: &VrrpSnapshot,
    interface: &dyn Fn(&str) -> Option<Interface>,
) -> Vec<(Oid, Value)> {
    let mut out: Vec<(Oid, Value)> = Vec::new();
    out.push((full(&NODE_VERSION, &[0]), Value::Integer(2)));
    out.push((full(&NOTIFICATION_CNTL, &[0]), Value::Integer(2)));

    // The statistics scalars: every served instance's, plus what the IPv4 receivers dropped
    // before any instance could be told (keepalived counts those per instance: it finds the
    // instance first).
    let served: Vec<&InstanceSnapshot> = snapshot.instances.iter().filter(|i| served(i)).collect();
    let receivers = snapshot.receivers.iter().filter(|r| !r.ipv6);
    let scalar = |kinds: &[&str]| {
        served.iter().map(|i| drops(&i.drops, kinds)).sum::<u64>()
            + receivers
                .clone()
                .map(|r| drops(&r.drops, kinds))
                .sum::<u64>()
    };
    out.push((
        full(&CHECKSUM_ERRORS, &[0]),
        counter(scalar(&["bad_checksum"])),
    ));
    out.push((
        full(&VERSION_ERRORS, &[0]),
        counter(scalar(&["bad_version", "version_mismatch"])),
    ));
    out.push((full(&VRID_ERRORS, &[0]), counter(scalar(&["unknown_vrid"]))));

    for i in served {
        let base = interface(&i.interface);
        let on = match &i.vmac {
            Some(v) => interface(&v.name),
            None => base.clone(),
        };
        let index = [base.as_ref().map_or(0, |b| b.index), u32::from(i.vrid)];
        let oper = |column: u32| full(&OPER_ENTRY, &[column, index[0], index[1]]);
        if let Some(on) = &on {
            out.push((oper(2), Value::OctetString(on.mac.clone())));
        }
        let state = match i.state {
            "BACKUP" => 2,
            "MASTER" => 3,
            _ => 1,
        };
        out.push((oper(3), Value::Integer(state)));
        out.push((oper(4), Value::Integer(1)));
        out.push((oper(5), Value::Integer(i32::from(i.base_priority))));
        out.push((oper(6), Value::Integer(i.vip_addrs.len() as i32)));
        out.push((oper(7), Value::IpAddress(v4(i.master_heard))));
        if let Some(b) = &base {
            let primary = b.primary_v4.map_or([0; 4], |a| a.octets());
            out.push((oper(8), Value::IpAddress(primary)));
        }
        out.push((oper(9), Value::Integer(i32::from(i.auth_type) + 1)));
        out.push((oper(11), Value::Integer(i.advert_interval.as_secs() as i32)));
        out.push((oper(12), Value::Integer(if i.preempt { 1 } else { 2 })));
        // keepalived stamps each instance's start and its SNMP agent's start together, at
        // the VRRP process's start: it serves the few hundredths of a second between them
        // (and 0 out of BACKUP and MASTER). Here they are one instant.
        out.push((oper(13), Value::TimeTicks(0)));
        out.push((oper(14), Value::Integer(1)));
        out.push((oper(15), Value::Integer(1)));

        for a in &i.vip_addrs {
            let IpAddr::V4(a) = a else { continue };
            let [o1, o2, o3, o4] = a.octets().map(u32::from);
            out.push((
                full(&ASSO_ENTRY, &[2, index[0], index[1], o1, o2, o3, o4]),
                Value::Integer(1),
            ));
        }

        let s = &i.stats;
        let d = |kinds: &[&str]| counter(drops(&i.drops, kinds));
        let stats = |column: u32| full(&STATS_ENTRY, &[column, index[0], index[1]]);
        out.push((stats(1), counter(s.become_master)));
        out.push((stats(2), counter(s.advert_rcvd)));
        out.push((stats(3), d(&["advert_interval_mismatch"])));
        out.push((stats(4), d(&["auth_mismatch"])));
        out.push((stats(5), d(&["ttl_not_255", "ttl_out_of_range"])));
        out.push((stats(6), counter(s.pri_zero_rcvd)));
        out.push((stats(7), counter(s.pri_zero_sent)));
        out.push((stats(8), d(&["bad_type"])));
        out.push((stats(9), d(&["address_list_mismatch"])));
        // An unknown type and a type other than the instance's are one count here.
        out.push((stats(10), counter(0)));
        out.push((stats(11), d(&["auth_type_mismatch"])));
        out.push((stats(12), d(&["too_short", "count_mismatch"])));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    // Two instances cannot share an index (keepalived refuses a VRID twice on an interface),
    // but a list with one OID twice would break GetNext: keep the first.
    out.dedup_by(|b, a| a.0 == b.0);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::{InstanceStats, ReceiverSnapshot, VmacSnapshot};
    use std::time::Duration;

    fn instance(name: &str, vrid: u8, state: &'static str) -> InstanceSnapshot {
        let mut i = crate::dump::vrrp_data::tests::master();
        i.name = name.into();
        i.interface = "eth0".into();
        i.vrid = vrid;
        i.state = state;
        i.vip_addrs = vec!["10.77.0.100".parse().unwrap()];
        i.drops = vrrp::DropKind::ALL.iter().map(|k| (k.name(), 0)).collect();
        i
    }

    fn eth0(name: &str) -> Option<Interface> {
        match name {
            "eth0" => Some(Interface {
                index: 2,
                mac: vec![0x1a, 0x9f, 0x5d, 0x83, 0xa7, 0x2b],
                primary_v4: Some("10.77.0.1".parse().unwrap()),
            }),
            "vrrp.52" => Some(Interface {
                index: 9,
                mac: vec![0, 0, 0x5e, 0, 1, 52],
                primary_v4: None,
            }),
            _ => None,
        }
    }

    fn get(vars: &[(Oid, Value)], rel: &[u32]) -> Option<Value> {
        let oid = full(rel, &[]);
        vars.iter().find(|(o, _)| *o == oid).map(|(_, v)| v.clone())
    }

    fn snapshot(instances: Vec<InstanceSnapshot>) -> VrrpSnapshot {
        VrrpSnapshot {
            instances,
            ..Default::default()
        }
    }

    #[test]
    fn a_master_row_reads_as_keepalived_serves_it() {
        let mut m = instance("VI_1", 51, "MASTER");
        m.vip_addrs.push("10.77.0.101".parse().unwrap());
        m.base_priority = 150;
        m.auth_type = 1;
        m.advert_interval = Duration::from_secs(1);
        m.preempt = true;
        m.master_heard = None;
        m.stats = InstanceStats {
            become_master: 1,
            ..Default::default()
        };
        let vars = variables(&snapshot(vec![m]), &eth0);
        let row = |c| get(&vars, &[1, 3, 1, c, 2, 51]);
        assert_eq!(get(&vars, &[1, 1, 0]), Some(Value::Integer(2)));
        assert_eq!(get(&vars, &[1, 2, 0]), Some(Value::Integer(2)));
        assert_eq!(
            row(2),
            Some(Value::OctetString(vec![0x1a, 0x9f, 0x5d, 0x83, 0xa7, 0x2b]))
        );
        assert_eq!(row(3), Some(Value::Integer(3)), "master(3)");
        assert_eq!(row(4), Some(Value::Integer(1)));
        assert_eq!(row(5), Some(Value::Integer(150)));
        assert_eq!(row(6), Some(Value::Integer(2)));
        assert_eq!(row(7), Some(Value::IpAddress([0, 0, 0, 0])));
        assert_eq!(row(8), Some(Value::IpAddress([10, 77, 0, 1])));
        assert_eq!(row(9), Some(Value::Integer(2)), "simpleTextPassword(2)");
        assert_eq!(row(10), None, "the key is never served");
        assert_eq!(row(11), Some(Value::Integer(1)));
        assert_eq!(row(12), Some(Value::Integer(1)), "true(1)");
        assert_eq!(row(14), Some(Value::Integer(1)));
        assert_eq!(row(15), Some(Value::Integer(1)));
        assert_eq!(
            get(&vars, &[1, 4, 1, 2, 2, 51, 10, 77, 0, 101]),
            Some(Value::Integer(1))
        );
        assert_eq!(get(&vars, &[2, 4, 1, 1, 2, 51]), Some(Value::Counter32(1)));
        assert!(vars.windows(2).all(|w| w[0].0 < w[1].0), "sorted, no twins");
    }

    #[test]
    fn a_backup_shows_its_master_and_its_counters() {
        let mut b = instance("VI_2", 52, "BACKUP");
        b.preempt = false;
        b.master_heard = Some("10.77.0.2".parse().unwrap());
        b.stats.advert_rcvd = 7;
        for (k, n) in &mut b.drops {
            if *k == "auth_mismatch" {
                *n = 3;
            }
            if *k == "ttl_out_of_range" {
                *n = 1;
            }
        }
        let vars = variables(&snapshot(vec![b]), &eth0);
        assert_eq!(get(&vars, &[1, 3, 1, 3, 2, 52]), Some(Value::Integer(2)));
        assert_eq!(get(&vars, &[1, 3, 1, 12, 2, 52]), Some(Value::Integer(2)));
        assert_eq!(
            get(&vars, &[1, 3, 1, 7, 2, 52]),
            Some(Value::IpAddress([10, 77, 0, 2]))
        );
        assert_eq!(get(&vars, &[2, 4, 1, 2, 2, 52]), Some(Value::Counter32(7)));
        assert_eq!(get(&vars, &[2, 4, 1, 4, 2, 52]), Some(Value::Counter32(3)));
        assert_eq!(get(&vars, &[2, 4, 1, 5, 2, 52]), Some(Value::Counter32(1)));
    }

    #[test]
    fn only_ipv4_vrrpv2_instances_with_addresses_are_rows() {
        let mut v6 = instance("V6", 53, "MASTER");
        v6.ipv6 = true;
        let mut v3 = instance("V3", 54, "MASTER");
        v3.version = 3;
        let mut bare = instance("BARE", 55, "MASTER");
        bare.vip_addrs.clear();
        let ok = instance("OK", 56, "FAULT");
        let vars = variables(&snapshot(vec![v6, v3, bare, ok]), &eth0);
        let rows: Vec<u32> = vars
            .iter()
            .filter(|(o, _)| o.starts_with(&full(&[1, 3, 1, 3], &[])))
            .map(|(o, _)| o[o.len() - 1])
            .collect();
        assert_eq!(rows, vec![56]);
        assert_eq!(get(&vars, &[1, 3, 1, 3, 2, 56]), Some(Value::Integer(1)));
    }

    #[test]
    fn rows_sort_by_interface_then_vrid_and_a_vmac_shows_its_own_mac() {
        let mut vm = instance("VM", 52, "MASTER");
        vm.vmac = Some(VmacSnapshot {
            name: "vrrp.52".into(),
            xmit_base: false,
            up: true,
        });
        let gone = {
            let mut g = instance("GONE", 60, "FAULT");
            g.interface = "eth9".into();
            g
        };
        let vars = variables(
            &snapshot(vec![vm, instance("A", 51, "BACKUP"), gone]),
            &eth0,
        );
        let states: Vec<&[u32]> = vars
            .iter()
            .filter(|(o, _)| o.starts_with(&full(&[1, 3, 1, 3], &[])))
            .map(|(o, _)| &o[o.len() - 2..])
            .collect();
        assert_eq!(states, vec![&[0, 60][..], &[2, 51], &[2, 52]]);
        assert_eq!(
            get(&vars, &[1, 3, 1, 2, 2, 52]),
            Some(Value::OctetString(vec![0, 0, 0x5e, 0, 1, 52]))
        );
        assert_eq!(
            get(&vars, &[1, 3, 1, 2, 0, 60]),
            None,
            "no interface, no MAC"
        );
        assert_eq!(get(&vars, &[1, 3, 1, 8, 0, 60]), None);
    }

    #[test]
    fn the_error_scalars_add_instances_and_ipv4_receivers() {
        let mut a = instance("A", 51, "BACKUP");
        for (k, n) in &mut a.drops {
            if *k == "version_mismatch" {
                *n = 2;
            }
        }
        let mut s = snapshot(vec![a]);
        s.receivers = vec![
            ReceiverSnapshot {
                interface: "eth0".into(),
                ipv6: false,
                drops: vec![("bad_checksum", 4), ("bad_version", 1), ("unknown_vrid", 9)],
            },
            ReceiverSnapshot {
                interface: "eth0".into(),
                ipv6: true,
                drops: vec![("bad_checksum", 100)],
            },
        ];
        let vars = variables(&s, &eth0);
        assert_eq!(get(&vars, &[2, 1, 0]), Some(Value::Counter32(4)));
        assert_eq!(get(&vars, &[2, 2, 0]), Some(Value::Counter32(3)));
        assert_eq!(get(&vars, &[2, 3, 0]), Some(Value::Counter32(9)));
    }

    #[test]
    fn with_no_instance_only_the_scalars_are_served() {
        let vars = variables(&snapshot(vec![]), &eth0);
        assert_eq!(vars.len(), 5);
        assert!(objects().contains(&full(&[1, 3, 1, 10], &[])));
    }
}
