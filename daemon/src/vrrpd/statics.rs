//! `static_ipaddress`, `static_routes` and `static_rules`, as keepalived 2.2.7 runs them
//! (measured): installed when the VRRP side starts, before any instance has a state (addresses,
//! routes, rules); removed when it stops (also with `-V`, which keeps only the instances'
//! addresses and routes); a reload removes those gone and adds those new, and does not touch
//! one that stays. A tracked static route (one with a `dev` and without `no_track`) that the
//! kernel deleted with its link is put back when the link comes up ("Restoring deleted static
//! route ..."). A static address without `no_track` is put back as soon as it is deleted, and
//! all of its interface's are added again when the interface comes up ("Restoring deleted
//! static address ..."). The decisions are pure; the runtime sends them (kernel.rs).

use std::net::IpAddr;

use tracing::{error, info};

use super::address_line::address_line;
use super::plan::{VRoute, VRule, Vip};
use super::Runtime;

/// The static addresses, routes and rules of a configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Statics {
    /// In file order, each with its interface (global_defs' default_interface when the line
    /// names none) and, for IPv6, `nodad` (keepalived adds it to every static one).
    pub addresses: Vec<Vip>,
    pub routes: Vec<VRoute>,
    pub rules: Vec<VRule>,
}

/// Whether a reload sees the same static address: keepalived 2.2.7 compares the address, its
/// length, interface, scope and label (measured: a change of any of them removes the old one and
/// adds the new; a change of brd, peer, noprefixroute or preferred_lft leaves it as installed).
pub fn same_address(a: &Vip, b: &Vip) -> bool {
    a.addr == b.addr
        && a.prefix_len == b.prefix_len
        && a.dev == b.dev
        && a.scope.unwrap_or(0) == b.scope.unwrap_or(0)
        && a.label == b.label
}

/// What a reload does to the static addresses.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct AddressChange {
    /// Old ones no longer configured that were installed: removed.
    pub remove: Vec<Vip>,
    /// For each new one (by index): whether it is installed already (an old one that stays
    /// and was installed). The others are added (also one that stays but could not be).
    pub installed: Vec<bool>,
}

/// A reload's change, from the old addresses (with whether each is installed) to the new.
pub fn address_change(old: &[Vip], old_set: &[bool], new: &[Vip]) -> AddressChange {
    let is_set = |i: usize| old_set.get(i).copied().unwrap_or(false);
    AddressChange {
        remove: old
            .iter()
            .enumerate()
            .filter(|&(i, o)| is_set(i) && !new.iter().any(|n| same_address(o, n)))
            .map(|(_, o)| o.clone())
            .collect(),
        installed: new
            .iter()
            .map(|n| {
                old.iter()
                    .enumerate()
                    .any(|(i, o)| is_set(i) && same_address(o, n))
            })
            .collect(),
    }
}

/// The static addresses to put back (by index): the tracked ones on interface `dev` that is
/// `addr` when one was deleted, or all of them when the interface came up (`addr` None).
pub fn addresses_to_restore<'a>(
    addresses: &'a [Vip],
    dev: &'a str,
    addr: Option<IpAddr>,
) -> impl Iterator<Item = usize> + 'a {
    addresses
        .iter()
        .enumerate()
        .filter(move |(_, a)| !a.no_track && a.dev == dev && addr.is_none_or(|x| x == a.addr))
        .map(|(i, _)| i)
}

/// The tracked static routes on interface `dev`: those to put back when it comes up.
pub fn to_restore<'a>(routes: &'a [VRoute], dev: &'a str) -> impl Iterator<Item = &'a VRoute> {
    routes
        .iter()
        .filter(move |r| r.tracked && r.dev.as_deref() == Some(dev))
}

impl Runtime {
    /// At start: addresses, routes, then rules (a rule may send to a table these routes fill).
    pub(super) async fn install_statics(&mut self) {
        self.static_set = vec![false; self.statics.addresses.len()];
        for i in 0..self.statics.addresses.len() {
            self.add_static_address(i).await;
        }
        for r in self.statics.routes.clone() {
            if let Err(e) = self.netlink.add_route(&r).await {
                error!("static route: {e}");
            }
        }
        for r in self.statics.rules.clone() {
            if let Err(e) = self.netlink.add_rule(&r).await {
                error!("static rule: {e}");
            }
        }
    }

    /// At stop: rules, then routes.
    pub(super) async fn remove_statics(&mut self) {
        for r in self.statics.rules.clone() {
            if let Err(e) = self.netlink.remove_rule(&r).await {
                error!("static rule: {e}");
            }
        }
        for r in self.statics.routes.clone() {
            if let Err(e) = self.netlink.remove_route(&r).await {
                error!("static route: {e}");
            }
        }
        for a in self.statics.addresses.clone() {
            if let Err(e) = self.netlink.remove(&a).await {
                error!("static address: {e}");
            }
        }
        self.static_set.fill(false);
    }

    /// Adds static address `i`, and notes whether it is installed.
    async fn add_static_address(&mut self, i: usize) {
        let a = &self.statics.addresses[i];
        let ok = match self.netlink.add(a).await {
            Ok(()) => true,
            Err(e) => {
                error!("static address: {e}");
                false
            }
        };
        self.static_set[i] = ok;
    }

    /// A reload: those gone removed (keepalived's words), those new installed.
    pub(super) async fn reload_statics(&mut self, new: Statics) {
        let old = std::mem::replace(&mut self.statics, new);
        let change = address_change(&old.addresses, &self.static_set, &self.statics.addresses);
        for a in &change.remove {
            info!(
                "ip address {}/{} dev {}, no longer exist",
                a.addr, a.prefix_len, a.dev
            );
            if let Err(e) = self.netlink.remove(a).await {
                error!("static address: {e}");
            }
        }
        self.static_set = change.installed;
        for i in 0..self.statics.addresses.len() {
            if !self.static_set[i] {
                self.add_static_address(i).await;
            }
        }
        self.netlink
            .change_routes_and_rules(
                (&old.routes, &old.rules),
                (&self.statics.routes, &self.statics.rules),
                |kind, e| error!("static {kind}: {e}"),
            )
            .await;
    }

    /// Address `addr` was deleted from link `index` (or, with None, the link came up): the
    /// tracked static addresses concerned are put back, each logged as keepalived does (even
    /// one still there when the link comes up: keepalived adds them all again).
    pub(super) async fn restore_static_addresses(&mut self, index: u32, addr: Option<IpAddr>) {
        let Ok(dev) = nix::net::if_::if_indextoname(index) else {
            return;
        };
        let dev = dev.to_string_lossy().into_owned();
        let which: Vec<usize> = addresses_to_restore(&self.statics.addresses, &dev, addr).collect();
        for i in which {
            info!(
                "Restoring deleted static address {}",
                address_line(&self.statics.addresses[i], self.static_set[i])
            );
            self.add_static_address(i).await;
        }
    }

    /// Link `index` came up: its tracked static routes the kernel deleted are put back.
    pub(super) async fn restore_static_routes(&mut self, index: u32) {
        let Ok(dev) = nix::net::if_::if_indextoname(index) else {
            return;
        };
        let dev = dev.to_string_lossy().into_owned();
        let routes: Vec<VRoute> = to_restore(&self.statics.routes, &dev).cloned().collect();
        for r in routes {
            match self.netlink.add_route(&r).await {
                Ok(true) => info!("Restoring deleted static route {}", r.text),
                Ok(false) => {}
                Err(e) => error!("static route: {e}"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vrrpd::plan::plan;

    #[test]
    fn the_static_blocks_are_planned_and_tracked_routes_restored() {
        let p = conf_parser::parse_str(
            "t.conf",
            "static_routes {\n 192.0.2.0/24 via 10.0.0.254 dev eth0\n 198.51.100.0/24 via 10.0.0.254 dev eth0 no_track\n unreachable 203.0.113.0/24\n 192.0.2.0/24 via 10.0.0.254 dev eth1\n 203.0.113.0/25 via 10.0.0.254 vrf blue\n}\nstatic_rules {\n from 10.0.0.200 table 100 preference 200\n from 10.0.0.201 table 100\n}\n",
            &conf_parser::Options::default(),
        );
        assert!(p.is_ok(), "{}", p.render_diagnostics());
        let plan = plan(&p.config).unwrap();
        let s = &plan.statics;
        assert_eq!(s.routes.len(), 4);
        assert_eq!(s.rules.len(), 2);
        assert_eq!(s.rules[1].priority, 16384);
        let restored: Vec<&str> = to_restore(&s.routes, "eth0")
            .map(|r| r.text.as_str())
            .collect();
        assert_eq!(restored, ["192.0.2.0/24"]);
        assert_eq!(to_restore(&s.routes, "eth2").count(), 0);
        assert_eq!(to_restore(&s.routes, "eth1").count(), 1);
        assert_eq!(plan.unsupported.len(), 1, "{:?}", plan.unsupported);
        assert!(
            plan.unsupported[0].starts_with(
                "t.conf:6:2: static route 203.0.113.0/25: keepalived-rs cannot install a route with vrf blue"
            ),
            "{:?}",
            plan.unsupported
        );
    }

    fn statics_of(text: &str) -> Statics {
        let p = conf_parser::parse_str("t.conf", text, &conf_parser::Options::default());
        assert!(p.is_ok(), "{}", p.render_diagnostics());
        plan(&p.config).unwrap().statics
    }

    #[test]
    fn static_addresses_are_planned_with_keepalived_s_defaults() {
        let s = statics_of(
            "global_defs {\n default_interface eth9\n}\nstatic_ipaddress {\n 10.0.0.1/24\n 10.0.0.2/24 dev eth1 no_track\n 2001:db8::1/64 dev eth1\n}\n",
        );
        let a = &s.addresses;
        assert_eq!(a.len(), 3);
        assert_eq!(a[0].dev, "eth9");
        assert!(!a[0].nodad && !a[0].no_track);
        assert!(a[1].no_track);
        assert!(a[2].nodad, "every static IPv6 address gets nodad");
    }

    /// keepalived 2.2.7 (measured): a reload removes the installed ones gone (one whose length,
    /// interface, scope or label changed is gone), adds the new ones and those not installed,
    /// leaves the rest; a deleted one is put back unless no_track, all of an interface's when
    /// it comes up.
    #[test]
    fn a_reload_and_a_deletion_act_as_keepalived_s() {
        let old = statics_of(
            "static_ipaddress {\n 10.0.0.1/24 dev eth0\n 10.0.0.2/24 dev eth0\n 10.0.0.3/24 dev eth0 brd +\n 10.0.0.4/24 dev eth0 label eth0:4\n 10.0.0.5/24 dev eth0\n 10.0.0.6/24 dev eth0\n}\n",
        )
        .addresses;
        let new = statics_of(
            "static_ipaddress {\n 10.0.0.1/24 dev eth0\n 10.0.0.3/24 dev eth0\n 10.0.0.4/24 dev eth0 label eth0:x\n 10.0.0.5/24 dev eth0\n 10.0.0.6/25 dev eth0\n 10.0.0.7/24 dev eth1 no_track\n}\n",
        )
        .addresses;
        // 10.0.0.5 could not be installed.
        let set = [true, true, true, true, false, true];
        let c = address_change(&old, &set, &new);
        let removed: Vec<String> = c.remove.iter().map(|v| v.addr.to_string()).collect();
        assert_eq!(removed, ["10.0.0.2", "10.0.0.4", "10.0.0.6"]);
        assert_eq!(c.installed, [true, true, false, false, false, false]);
        let all: Vec<usize> = addresses_to_restore(&new, "eth0", None).collect();
        assert_eq!(all, [0, 1, 2, 3, 4]);
        let one: Vec<usize> =
            addresses_to_restore(&new, "eth0", Some("10.0.0.3".parse().unwrap())).collect();
        assert_eq!(one, [1]);
        assert_eq!(addresses_to_restore(&new, "eth1", None).count(), 0);
    }

    #[test]
    fn a_static_entry_s_track_group_is_refused() {
        let p = conf_parser::parse_str(
            "t.conf",
            "track_group TG {\n group {\n VI_1\n }\n}\nstatic_routes {\n 192.0.2.0/24 via 10.0.0.254 dev eth0 track_group TG\n}\nstatic_rules {\n from 10.0.0.1 iif eth0 table 5 preference 100 track_group TG\n}\nvrrp_instance VI_1 {\n interface eth0\n virtual_router_id 1\n virtual_ipaddress {\n 10.0.0.100/24\n }\n}\n",
            &conf_parser::Options::default(),
        );
        assert!(p.is_ok(), "{}", p.render_diagnostics());
        let plan = plan(&p.config).unwrap();
        assert_eq!(plan.unsupported.len(), 2, "{:?}", plan.unsupported);
        assert!(
            plan.unsupported[0].starts_with("t.conf:7:2: track_group TG: keepalived-rs does not")
        );
        assert!(plan.unsupported[1].starts_with("t.conf:10:2: track_group TG:"));
    }
}
