//! Which addresses the firewall keeps traffic to and from out of, and what the kernel's sets
//! must be told to get there. Pure.
//!
//! keepalived 2.2.7, measured with `nft monitor` in network namespaces: an instance not in
//! accept mode (`vrrp_strict` or `no_accept`, and not the address owner at priority 255) puts
//! its VIPs and excluded VIPs in the set on becoming MASTER, before its addresses, and takes
//! them out on leaving it (BACKUP, FAULT, stop), after its addresses; one batch per instance.
//! A family's table is made with the first address of that family and stays, empty, until the
//! daemon stops, when it is deleted. A link-local IPv6 VIP is kept out with its interface (its
//! own set, `vips_link_local`, made with the first of them).

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use super::ruleset::Family;

/// An address kept out: a link-local IPv6 one only on its interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key {
    pub addr: IpAddr,
    /// The interface's index, for a link-local IPv6 address only.
    pub ifindex: Option<u32>,
}

impl Key {
    pub fn family(&self) -> Family {
        Family::of(&self.addr)
    }
}

/// Whether `addr` is an IPv6 link-local address (fe80::/10), kept out with its interface.
pub fn is_link_local(addr: &IpAddr) -> bool {
    matches!(addr, IpAddr::V6(a) if a.segments()[0] & 0xffc0 == 0xfe80)
}

/// The addresses an instance keeps out now, in its order (VIPs, then excluded VIPs): all of
/// them while MASTER and not in accept mode, else none.
pub fn instance_drops(master: bool, accept: bool, vips: impl IntoIterator<Item = Key>) -> Vec<Key> {
    if master && !accept {
        let mut out: Vec<Key> = Vec::new();
        for k in vips {
            if !out.contains(&k) {
                out.push(k);
            }
        }
        out
    } else {
        Vec::new()
    }
}

/// An IPv6 VMAC in the firewall: the macvlan's interface index and its base's.
pub type VmacPair = (u32, u32);

/// What one batch changes: tables made first, then elements added and removed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Changes {
    /// The families whose VIPs' objects are made.
    pub create: Vec<Family>,
    /// The families whose table this batch makes (none there before it: one an earlier run
    /// left is deleted first).
    pub fresh: Vec<Family>,
    /// The VMACs' objects in `ip6`, made with the first IPv6 VMAC, before the VIPs'.
    pub create_vmac: bool,
    /// The link-local set and its rules, made with its first address.
    pub create_link_local: bool,
    pub add: Vec<Key>,
    pub remove: Vec<Key>,
    pub add_vmacs: Vec<VmacPair>,
    pub remove_vmacs: Vec<VmacPair>,
}

impl Changes {
    pub fn is_empty(&self) -> bool {
        self.create.is_empty()
            && !self.create_vmac
            && !self.create_link_local
            && self.add.is_empty()
            && self.remove.is_empty()
            && self.add_vmacs.is_empty()
            && self.remove_vmacs.is_empty()
    }
}

/// Each instance's addresses, and what the kernel holds (as far as our batches went through).
#[derive(Debug, Default)]
pub struct Drops {
    by_instance: BTreeMap<String, Vec<Key>>,
    installed: BTreeSet<Key>,
    tables: BTreeSet<Family>,
    link_local_set: bool,
    /// Each instance's IPv6 VMAC, and what the kernel's map and set hold.
    vmacs: BTreeMap<String, VmacPair>,
    vmacs_installed: BTreeSet<VmacPair>,
    vmac_objects: bool,
}

impl Drops {
    /// `instance` keeps `addrs` out from now on (none: it has left). An address two instances
    /// keep out stays in the set while either does.
    pub fn set(&mut self, instance: &str, addrs: Vec<Key>) {
        if addrs.is_empty() {
            self.by_instance.remove(instance);
        } else {
            self.by_instance.insert(instance.to_string(), addrs);
        }
    }

    /// `instance` has the IPv6 VMAC `pair` from now on (none: no more).
    pub fn set_vmac(&mut self, instance: &str, pair: Option<VmacPair>) {
        match pair {
            Some(p) => self.vmacs.insert(instance.to_string(), p),
            None => self.vmacs.remove(instance),
        };
    }

    /// What the kernel must be told for its sets to be the wanted ones. The tables are made
    /// in the order their families first appear among the addresses added (keepalived's: an
    /// IPv4 instance with an excluded IPv6 VIP makes `ip` then `ip6`, an IPv6 one `ip6` first;
    /// nft lists them in that order).
    pub fn changes(&self) -> Changes {
        let wanted: BTreeSet<Key> = self.by_instance.values().flatten().copied().collect();
        let mut add: Vec<Key> = Vec::new();
        for a in self.by_instance.values().flatten() {
            if !self.installed.contains(a) && !add.contains(a) {
                add.push(*a);
            }
        }
        let mut create: Vec<Family> = Vec::new();
        for f in add.iter().map(Key::family) {
            if !self.tables.contains(&f) && !create.contains(&f) {
                create.push(f);
            }
        }
        let wanted_vmacs: BTreeSet<VmacPair> = self.vmacs.values().copied().collect();
        let add_vmacs: Vec<VmacPair> = wanted_vmacs
            .difference(&self.vmacs_installed)
            .copied()
            .collect();
        let create_vmac = !self.vmac_objects && !add_vmacs.is_empty();
        let mut fresh = Vec::new();
        if create_vmac && !self.tables.contains(&Family::Ipv6) {
            fresh.push(Family::Ipv6);
        }
        for &f in &create {
            let made_by_vmacs = f == Family::Ipv6 && self.vmac_objects;
            if !made_by_vmacs && !fresh.contains(&f) {
                fresh.push(f);
            }
        }
        Changes {
            create,
            fresh,
            create_vmac,
            create_link_local: !self.link_local_set && add.iter().any(|k| k.ifindex.is_some()),
            add,
            remove: self.installed.difference(&wanted).copied().collect(),
            add_vmacs,
            remove_vmacs: self
                .vmacs_installed
                .difference(&wanted_vmacs)
                .copied()
                .collect(),
        }
    }

    /// `c` went through.
    pub fn applied(&mut self, c: &Changes) {
        self.tables.extend(c.create.iter().copied());
        self.link_local_set |= c.create_link_local;
        self.installed.extend(c.add.iter().copied());
        for a in &c.remove {
            self.installed.remove(a);
        }
        self.vmac_objects |= c.create_vmac;
        self.vmacs_installed.extend(c.add_vmacs.iter().copied());
        for v in &c.remove_vmacs {
            self.vmacs_installed.remove(v);
        }
    }

    /// The tables to delete at stop (everything forgotten).
    pub fn teardown(&mut self) -> Vec<Family> {
        self.by_instance.clear();
        self.installed.clear();
        self.link_local_set = false;
        self.vmacs.clear();
        self.vmacs_installed.clear();
        if std::mem::take(&mut self.vmac_objects) {
            self.tables.insert(Family::Ipv6);
        }
        std::mem::take(&mut self.tables).into_iter().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(s: &str) -> Key {
        Key {
            addr: s.parse().unwrap(),
            ifindex: None,
        }
    }

    fn set(addrs: &[&str]) -> Vec<Key> {
        addrs.iter().map(|s| a(s)).collect()
    }

    #[test]
    fn only_a_master_out_of_accept_mode_keeps_its_vips_out() {
        let vips = || [a("10.0.0.1"), a("10.0.0.2")];
        assert_eq!(instance_drops(true, false, vips()).len(), 2);
        assert!(
            instance_drops(false, false, vips()).is_empty(),
            "BACKUP/FAULT"
        );
        assert!(instance_drops(true, true, vips()).is_empty(), "accept mode");
    }

    #[test]
    fn the_first_address_of_a_family_makes_its_table_once() {
        let mut d = Drops::default();
        d.set("VI_1", set(&["10.0.0.1", "10.0.0.2"]));
        let c = d.changes();
        assert_eq!(c.create, vec![Family::Ipv4]);
        assert_eq!(c.add.len(), 2);
        d.applied(&c);
        assert!(d.changes().is_empty());
        d.set("VI_6", set(&["fd00::1"]));
        let c = d.changes();
        assert_eq!(c.create, vec![Family::Ipv6]);
        assert_eq!(c.add, vec![a("fd00::1")]);
        d.applied(&c);
        // Leaving empties the set; the tables stay.
        d.set("VI_1", Vec::new());
        let c = d.changes();
        assert_eq!(c.create, vec![]);
        assert_eq!(c.remove, vec![a("10.0.0.1"), a("10.0.0.2")]);
        d.applied(&c);
        d.set("VI_1", set(&["10.0.0.1"]));
        assert_eq!(
            d.changes().create,
            vec![],
            "the emptied table is still there"
        );
        assert_eq!(d.teardown(), vec![Family::Ipv4, Family::Ipv6]);
        assert!(d.teardown().is_empty());
    }

    #[test]
    fn one_batch_making_both_tables_makes_them_in_the_order_of_the_addresses() {
        let mut d = Drops::default();
        d.set("VI_4", set(&["10.0.0.1", "fd00::2"]));
        assert_eq!(d.changes().create, vec![Family::Ipv4, Family::Ipv6]);
        let mut d = Drops::default();
        d.set("VI_6", set(&["fd00::1", "10.0.0.2"]));
        assert_eq!(d.changes().create, vec![Family::Ipv6, Family::Ipv4]);
    }

    #[test]
    fn an_address_two_instances_keep_out_stays_while_either_does() {
        let mut d = Drops::default();
        d.set("A", set(&["10.0.0.1"]));
        d.set("B", set(&["10.0.0.1", "10.0.0.3"]));
        let c = d.changes();
        d.applied(&c);
        d.set("A", Vec::new());
        assert!(d.changes().is_empty());
        d.set("B", set(&["10.0.0.3"]));
        assert_eq!(d.changes().remove, vec![a("10.0.0.1")]);
    }

    #[test]
    fn the_first_link_local_address_makes_its_set_once() {
        let ll = Key {
            addr: "fe80::100".parse().unwrap(),
            ifindex: Some(2),
        };
        assert!(is_link_local(&ll.addr) && !is_link_local(&a("fd00::1").addr));
        let mut d = Drops::default();
        d.set("VI_6", vec![a("fd00::1")]);
        let c = d.changes();
        assert!(!c.create_link_local);
        d.applied(&c);
        d.set("VI_6", vec![a("fd00::1"), ll]);
        let c = d.changes();
        assert!(c.create_link_local && c.create.is_empty());
        assert_eq!(c.add, vec![ll]);
        d.applied(&c);
        d.set("VI_6", vec![]);
        d.applied(&d.changes());
        d.set("VI_6", vec![ll]);
        assert!(!d.changes().create_link_local, "the set stays, emptied");
    }

    /// keepalived's one `ip6` table: the VMACs' objects with the first IPv6 VMAC (before any
    /// MASTER), the VIPs' added to it at the first MASTER (not made anew).
    #[test]
    fn the_vmac_objects_and_the_vips_share_the_ip6_table() {
        let mut d = Drops::default();
        d.set_vmac("VI_6", Some((3, 2)));
        let c = d.changes();
        assert!(c.create_vmac && c.create.is_empty());
        assert_eq!(
            (&c.fresh, &c.add_vmacs),
            (&vec![Family::Ipv6], &vec![(3, 2)])
        );
        d.applied(&c);
        assert!(d.changes().is_empty());
        d.set("VI_6", set(&["fd00::1"]));
        let c = d.changes();
        assert_eq!((&c.create, &c.fresh), (&vec![Family::Ipv6], &vec![]));
        assert!(!c.create_vmac);
        d.applied(&c);
        // A second VMAC joins the map; a reload that removes one takes it out.
        d.set_vmac("VI_7", Some((4, 2)));
        let c = d.changes();
        assert!(!c.create_vmac && c.add_vmacs == [(4, 2)]);
        d.applied(&c);
        d.set_vmac("VI_6", None);
        let c = d.changes();
        assert_eq!(c.remove_vmacs, [(3, 2)]);
        d.applied(&c);
        assert_eq!(d.teardown(), vec![Family::Ipv6]);
        // Only a VMAC: its table is deleted at stop too.
        let mut d = Drops::default();
        d.set_vmac("VI_6", Some((3, 2)));
        d.applied(&d.changes());
        assert_eq!(d.teardown(), vec![Family::Ipv6]);
        // The VIPs' ip6 table first (a reload adding a VMAC): the VMACs' objects join it.
        let mut d = Drops::default();
        d.set("VI_6", set(&["fd00::1"]));
        d.applied(&d.changes());
        d.set_vmac("VI_7", Some((4, 2)));
        let c = d.changes();
        assert!(c.create_vmac && c.fresh.is_empty());
    }

    #[test]
    fn a_failed_batch_is_asked_for_again() {
        let mut d = Drops::default();
        d.set("A", set(&["10.0.0.1"]));
        let first = d.changes();
        // not applied: the kernel refused it
        assert_eq!(d.changes(), first);
    }
}
