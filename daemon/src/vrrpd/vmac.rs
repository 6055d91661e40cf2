//! `use_vmac`: an instance's VRRP virtual MAC, a macvlan interface on its interface, as
//! keepalived 2.2.7 runs it (measured in the namespace lab, daemon/tests/netns_vmac.rs):
//!
//! - named `use_vmac NAME`, else global_defs' `vmac_prefix` (`vrrp`) `.VRID`; macvlan mode
//!   private on the instance's interface, MAC 00:00:5e:00:01:VRID, no IPv6 link-local
//!   (addrgenmode none, disable_ipv6);
//! - created (or a matching one left by an earlier run adopted) before the instance's first
//!   state, and up from then on, BACKUP or MASTER; the VIPs without a `dev` go on it when MASTER;
//!   its adverts and gratuitous ARPs leave from it, with its MAC (the adverts from the base
//!   interface with `vmac_xmit_base`);
//! - sysctls: the base interface arp_ignore 1 and arp_filter 1 (left so at stop, as keepalived
//!   leaves them); the macvlan arp_ignore 1, accept_local 1, rp_filter 0, promote_secondaries 1;
//!   when `all.rp_filter` is on, `default` and the base interfaces are raised to it and `all` set
//!   to 0 (given back at stop), since a non-zero `all` would filter what the macvlan receives;
//! - removed at stop (kept with `-V`, with its VIPs, as keepalived keeps it).
//!
//! An IPv6 instance's VMAC (measured the same way) differs: MAC 00:00:5e:00:02:VRID; IPv6 on,
//! addrgenmode none, and the base interface's link-local address copied onto it (nodad,
//! preferred_lft 0: `deprecated`; logged `Assigned address fe80::... for interface vrrp.51`; not
//! with `vmac_xmit_base`), the adverts' source; no sysctl but `addr_gen_mode`, nothing on the
//! base. As the kernel then sends MLD reports and router solicitations from the macvlan, with the
//! virtual MAC, an nftables table sends the reports out of the base instead and drops the
//! solicitations (super::firewall's VMAC objects), or a BACKUP would draw the VIP's traffic.
//!
//! Decisions (names, MACs, which sysctls to write) are pure; the netlink and /proc/sys writes
//! are at the bottom of the file.

use std::io;
use std::net::{IpAddr, Ipv6Addr};
use std::path::{Path, PathBuf};

use conf_parser::model::vrrp::VrrpInstance;
use futures::TryStreamExt;
use rtnetlink::packet_route::address::{
    AddressAttribute, AddressFlags, AddressMessage, AddressScope, CacheInfo,
};
use rtnetlink::packet_route::link::{InfoKind, LinkAttribute, LinkInfo, LinkMessage, MacVlanMode};
use rtnetlink::packet_route::AddressFamily;
use rtnetlink::{Handle, LinkMacVlan, LinkUnspec};
use tracing::info;

/// One instance's virtual MAC interface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vmac {
    /// `use_vmac NAME`, else `vmac_prefix.VRID`.
    pub name: String,
    /// The instance's interface: the macvlan's lower device, and where its adverts' source
    /// address comes from.
    pub base: String,
    pub mac: [u8; 6],
    /// `vmac_xmit_base` (set by the parser for unicast, as keepalived sets it): adverts leave
    /// from the base interface, not the macvlan.
    pub xmit_base: bool,
    /// An IPv6 instance's: RFC 5798's IPv6 MAC, the base's link-local address copied onto it.
    pub ipv6: bool,
}

/// RFC 5798's virtual router MAC for IPv4: 00-00-5E-00-01-{VRID}.
pub fn ipv4_mac(vrid: u8) -> [u8; 6] {
    [0x00, 0x00, 0x5e, 0x00, 0x01, vrid]
}

/// RFC 5798's virtual router MAC for IPv6: 00-00-5E-00-02-{VRID}.
pub fn ipv6_mac(vrid: u8) -> [u8; 6] {
    [0x00, 0x00, 0x5e, 0x00, 0x02, vrid]
}

/// keepalived's name for an instance's macvlan when `use_vmac` names none.
pub fn default_name(vmac_prefix: &str, vrid: u8) -> String {
    format!("{vmac_prefix}.{vrid}")
}

/// The form of `use_vmac` keepalived-rs runs: what the instance asks for, or None without
/// `use_vmac`. The forms it does not run are [`refusals`]' and never reach here as a plan (the
/// daemon refuses the configuration).
pub fn of(
    i: &VrrpInstance,
    interface: &str,
    vrid: u8,
    vmac_prefix: &str,
    ipv6: bool,
) -> Option<Vmac> {
    let u = i.use_vmac.as_ref()?;
    Some(Vmac {
        name: u
            .name
            .clone()
            .unwrap_or_else(|| default_name(vmac_prefix, vrid)),
        base: interface.to_string(),
        mac: if ipv6 { ipv6_mac(vrid) } else { ipv4_mac(vrid) },
        xmit_base: i.vmac_xmit_base,
        ipv6,
    })
}

/// What of an instance's VMAC settings keepalived-rs does not run, each with what to do
/// instead (the daemon refuses the configuration with these lines).
pub fn refusals(i: &VrrpInstance) -> Vec<String> {
    let mut out = Vec::new();
    let Some(u) = &i.use_vmac else {
        if i.use_vmac_addr {
            out.push(
                "use_vmac_addr is not run by keepalived-rs; remove it (without use_vmac on the \
                 instance or its addresses it does nothing in keepalived either)"
                    .to_string(),
            );
        }
        return out;
    };
    if u.mac.is_some() {
        out.push(
            "use_vmac with a MAC address is not run by keepalived-rs; leave the MAC out (the \
             macvlan then has RFC 5798's 00:00:5e:00:01:VRID)"
                .to_string(),
        );
    }
    if u.group.is_some() || u.netlink_notify_msg {
        out.push(
            "use_vmac's group and netlink_notify_msg are not run by keepalived-rs (nor by \
             keepalived 2.2.7); remove them"
                .to_string(),
        );
    }
    if i.use_vmac_addr {
        out.push(
            "use_vmac_addr is not run by keepalived-rs; remove it and give each VIP on another \
             interface a macvlan of your own (`ip link add ... type macvlan`) in notify_master"
                .to_string(),
        );
    }
    if i.garp_extra_if
        .as_ref()
        .is_some_and(|g| !g.all && !g.interval.0.is_zero())
    {
        out.push(
            "garp_extra_if (gratuitous ARPs on a VMAC's base interface) is not run by \
             keepalived-rs; remove it, or write garp_master_refresh SECS (gratuitous ARPs every \
             so often while MASTER, from the VMAC)"
                .to_string(),
        );
    }
    out
}

/// One /proc/sys/net value to write: the path under /proc/sys/net and the value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sysctl {
    pub path: String,
    pub value: u8,
}

fn conf(family: &str, interface: &str, key: &str, value: u8) -> Sysctl {
    Sysctl {
        path: format!("{family}/conf/{interface}/{key}"),
        value,
    }
}

/// The base interface's settings: only the macvlan answers ARP for the VIPs (which are on it).
/// None for an IPv6 VMAC (keepalived writes none).
pub fn base_sysctls(base: &str, ipv6: bool) -> Vec<Sysctl> {
    if ipv6 {
        return Vec::new();
    }
    vec![
        conf("ipv4", base, "arp_ignore", 1),
        conf("ipv4", base, "arp_filter", 1),
    ]
}

/// The macvlan's settings, written before it is brought up: no IPv6 address is made by the
/// kernel (an IPv4 VMAC has no IPv6 at all; an IPv6 one gets the base's link-local address).
pub fn vmac_sysctls(name: &str, ipv6: bool) -> Vec<Sysctl> {
    if ipv6 {
        return vec![conf("ipv6", name, "addr_gen_mode", 1)];
    }
    vec![
        conf("ipv4", name, "arp_ignore", 1),
        conf("ipv4", name, "accept_local", 1),
        conf("ipv4", name, "rp_filter", 0),
        conf("ipv4", name, "promote_secondaries", 1),
        // addrgenmode none (IN6_ADDR_GEN_MODE_NONE).
        conf("ipv6", name, "addr_gen_mode", 1),
        conf("ipv6", name, "disable_ipv6", 1),
    ]
}

/// One rp_filter change: the interface (`all`, `default` or a name), its value before and after.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RpFilterChange {
    pub interface: String,
    pub from: u8,
    pub to: u8,
}

/// The kernel filters on the greater of `all.rp_filter` and an interface's own, so a non-zero
/// `all` would drop what reaches the macvlan from addresses routed through its base. As
/// keepalived: `default` and the `bases` (with their values now) raised to `all`'s value, then
/// `all` set to 0. Nothing when `all` is 0.
pub fn rp_filter_changes(all: u8, default: u8, bases: &[(String, u8)]) -> Vec<RpFilterChange> {
    if all == 0 {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut raise = |interface: &str, from: u8| {
        if from < all
            && !out
                .iter()
                .any(|c: &RpFilterChange| c.interface == interface)
        {
            out.push(RpFilterChange {
                interface: interface.to_string(),
                from,
                to: all,
            });
        }
    };
    raise("default", default);
    for (b, v) in bases {
        raise(b, *v);
    }
    out.push(RpFilterChange {
        interface: "all".into(),
        from: all,
        to: 0,
    });
    out
}

/// The VMACs of a running configuration, and the sysctls to give back at stop.
#[derive(Debug)]
pub struct Vmacs {
    /// /proc/sys/net (a directory of files in tests).
    root: PathBuf,
    /// The macvlans this daemon made or adopted, with the instance each is for.
    pub made: Vec<(String, Vmac)>,
    /// rp_filter values to give back at stop, in the order to write them.
    rp_filter_saved: Vec<RpFilterChange>,
}

impl Default for Vmacs {
    fn default() -> Self {
        Vmacs::at("/proc/sys/net".into())
    }
}

impl Vmacs {
    fn at(root: PathBuf) -> Vmacs {
        Vmacs {
            root,
            made: Vec::new(),
            rp_filter_saved: Vec::new(),
        }
    }

    fn write(&self, s: &Sysctl) -> io::Result<()> {
        write_value(&self.root.join(&s.path), s.value)
    }

    fn read(&self, family: &str, interface: &str, key: &str) -> io::Result<u8> {
        read_value(&self.root.join(format!("{family}/conf/{interface}/{key}")))
    }

    /// all.rp_filter off, `default` and `base` raised to the value it had (logged in
    /// keepalived's words); each changed once, whatever the number of VMACs.
    pub fn rp_filter(&mut self, base: &str) {
        let all = match self.rp_filter_saved.iter().find(|c| c.interface == "all") {
            Some(c) => c.from,
            None => self.read("ipv4", "all", "rp_filter").unwrap_or(0),
        };
        let default = self.read("ipv4", "default", "rp_filter").unwrap_or(0);
        let now = self.read("ipv4", base, "rp_filter").unwrap_or(0);
        for c in rp_filter_changes(all, default, &[(base.to_string(), now)]) {
            if self
                .rp_filter_saved
                .iter()
                .any(|s| s.interface == c.interface)
            {
                continue;
            }
            if c.interface == "all" || c.interface == "default" {
                info!(
                    "NOTICE: setting sysctl net.ipv4.conf.{}.rp_filter from {} to {}",
                    c.interface, c.from, c.to
                );
            }
            match self.write(&conf("ipv4", &c.interface, "rp_filter", c.to)) {
                Ok(()) => self.rp_filter_saved.push(c),
                Err(e) => tracing::warn!("net.ipv4.conf.{}.rp_filter: {e}", c.interface),
            }
        }
    }

    /// Gives back the rp_filter values changed ([`Vmacs::rp_filter`]): `all` first.
    pub fn restore_rp_filter(&mut self) {
        for c in std::mem::take(&mut self.rp_filter_saved).into_iter().rev() {
            if c.interface == "all" || c.interface == "default" {
                info!(
                    "NOTICE: resetting sysctl net.ipv4.conf.{}.rp_filter to {}",
                    c.interface, c.from
                );
            }
            if let Err(e) = self.write(&conf("ipv4", &c.interface, "rp_filter", c.from)) {
                tracing::warn!("net.ipv4.conf.{}.rp_filter: {e}", c.interface);
            }
        }
    }

    /// Makes (or adopts) `v` for instance `instance`, its sysctls written, up. Its interface
    /// index. An IPv6 one has no address yet: the caller installs the firewall's VMAC objects
    /// first, then [`Vmacs::copy_link_local`].
    pub async fn create(&mut self, handle: &Handle, instance: &str, v: &Vmac) -> io::Result<u32> {
        let base = super::kernel::ifindex(&v.base)?;
        if v.ipv6 {
            // keepalived's line for the base's address it will copy, before the macvlan's.
            if let Ok(a) = super::kernel::primary_address(&v.base, true, &[]) {
                info!("Assigned address {a} for interface {}", v.base);
            }
        } else {
            self.rp_filter(&v.base);
        }
        for s in base_sysctls(&v.base, v.ipv6) {
            self.write(&s)
                .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", s.path)))?;
        }
        let index = match existing(handle, &v.name).await? {
            Some(m) if is_ours(&m, base, &v.mac) => {
                info!("({instance}) Found matching interface {}", v.name);
                m.header.index
            }
            Some(_) => {
                return Err(io::Error::new(
                    io::ErrorKind::AlreadyExists,
                    format!(
                        "interface {} exists and is not a macvlan on {} with MAC {}; remove it \
                         or name another in use_vmac",
                        v.name,
                        v.base,
                        mac_text(&v.mac)
                    ),
                ))
            }
            None => {
                add(handle, v, base).await?;
                info!("({instance}): Success creating VMAC interface {}", v.name);
                super::kernel::ifindex(&v.name)?
            }
        };
        if !self.made.iter().any(|(_, m)| m == v) {
            self.made.push((instance.to_string(), v.clone()));
        }
        // A kernel without IPv6 makes no IPv6 address to prevent.
        let ipv6 = self.root.join("ipv6").exists();
        for s in vmac_sysctls(&v.name, v.ipv6) {
            if s.path.starts_with("ipv6/") && !ipv6 {
                continue;
            }
            self.write(&s)
                .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", s.path)))?;
        }
        handle
            .link()
            .set(LinkUnspec::new_with_index(index).up().build())
            .execute()
            .await
            .map_err(|e| io::Error::other(format!("setting {} up: {e}", v.name)))?;
        Ok(index)
    }

    /// The base interface's link-local address onto the IPv6 macvlan `v` (index `index`), as
    /// keepalived puts it there (logged in its words), replacing another one there; nothing
    /// with `vmac_xmit_base` (keepalived's adverts then leave from the base).
    pub async fn copy_link_local(&self, handle: &Handle, v: &Vmac, index: u32) -> io::Result<()> {
        if !v.ipv6 || v.xmit_base {
            return Ok(());
        }
        let addr = match super::kernel::primary_address(&v.base, true, &[])? {
            IpAddr::V6(a) => a,
            IpAddr::V4(_) => return Ok(()),
        };
        let mut old = Vec::new();
        let mut there = false;
        for a in nix::ifaddrs::getifaddrs().map_err(io::Error::from)? {
            if a.interface_name != v.name {
                continue;
            }
            if let Some(s) = a.address.as_ref().and_then(|s| s.as_sockaddr_in6()) {
                let ip = s.ip();
                if ip == addr {
                    there = true;
                } else if is_link_local(&ip) {
                    old.push(ip);
                }
            }
        }
        for o in old {
            let mut m = link_local_message(o, index);
            m.attributes
                .retain(|a| !matches!(a, AddressAttribute::CacheInfo(_)));
            if let Err(e) = handle.address().del(m).execute().await {
                tracing::warn!("removing {o} from {}: {e}", v.name);
            }
        }
        if !there {
            let mut req = handle.address().add(index, addr.into(), 64);
            *req.message_mut() = link_local_message(addr, index);
            req.execute()
                .await
                .map_err(|e| io::Error::other(format!("adding {addr} to {}: {e}", v.name)))?;
        }
        info!("Assigned address {addr} for interface {}", v.name);
        Ok(())
    }

    /// Removes the macvlan `name` made or adopted for instance `instance`.
    pub async fn remove(&self, handle: &Handle, instance: &str, name: &str) {
        let Ok(index) = super::kernel::ifindex(name) else {
            return;
        };
        match handle.link().del(index).execute().await {
            Ok(()) => info!("({instance}) Success removing VMAC interface {name}"),
            Err(e) => tracing::warn!("({instance}) removing VMAC interface {name}: {e}"),
        }
    }
}

fn is_link_local(a: &Ipv6Addr) -> bool {
    a.segments()[0] & 0xffc0 == 0xfe80
}

/// The base's link-local address as keepalived puts it on an IPv6 VMAC: /64, scope link,
/// nodad, valid forever, preferred 0 (`deprecated`: never chosen as a source by the kernel).
pub fn link_local_message(addr: Ipv6Addr, index: u32) -> AddressMessage {
    let mut m = AddressMessage::default();
    m.header.family = AddressFamily::Inet6;
    m.header.prefix_len = 64;
    m.header.index = index;
    m.header.scope = AddressScope::Link;
    m.attributes.push(AddressAttribute::Local(addr.into()));
    m.attributes.push(AddressAttribute::Address(addr.into()));
    m.attributes
        .push(AddressAttribute::Flags(AddressFlags::Nodad));
    let mut life = CacheInfo::default();
    life.ifa_preferred = 0;
    life.ifa_valid = u32::MAX;
    m.attributes.push(AddressAttribute::CacheInfo(life));
    m
}

pub fn mac_text(mac: &[u8; 6]) -> String {
    mac.iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

fn write_value(path: &Path, value: u8) -> io::Result<()> {
    std::fs::write(path, format!("{value}\n"))
}

fn read_value(path: &Path) -> io::Result<u8> {
    std::fs::read_to_string(path)?
        .trim()
        .parse()
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("{path:?}: {e}")))
}

/// The link named `name`, if there is one.
async fn existing(handle: &Handle, name: &str) -> io::Result<Option<LinkMessage>> {
    if super::kernel::ifindex(name).is_err() {
        return Ok(None);
    }
    handle
        .link()
        .get()
        .match_name(name.to_string())
        .execute()
        .try_next()
        .await
        .map_err(|e| io::Error::other(format!("reading interface {name}: {e}")))
}

/// A macvlan on `base` with `mac`: one an earlier run left (with `-V`, or killed), adopted as
/// keepalived adopts it.
fn is_ours(m: &LinkMessage, base: u32, mac: &[u8; 6]) -> bool {
    let mut macvlan = false;
    let mut lower = false;
    let mut address = false;
    for a in &m.attributes {
        match a {
            LinkAttribute::LinkInfo(infos) => {
                macvlan = infos
                    .iter()
                    .any(|i| matches!(i, LinkInfo::Kind(InfoKind::MacVlan)))
            }
            LinkAttribute::Link(l) => lower = *l == base,
            LinkAttribute::Address(a) => address = a.as_slice() == mac,
            _ => {}
        }
    }
    macvlan && lower && address
}

async fn add(handle: &Handle, v: &Vmac, base: u32) -> io::Result<()> {
    let message = LinkMacVlan::new(&v.name, base, MacVlanMode::Private)
        .address(v.mac.to_vec())
        .build();
    handle.link().add(message).execute().await.map_err(|e| {
        io::Error::other(format!(
            "creating VMAC interface {} on {}: {e}",
            v.name, v.base
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_macs() {
        assert_eq!(default_name("vrrp", 51), "vrrp.51");
        assert_eq!(default_name("vx", 7), "vx.7");
        assert_eq!(ipv4_mac(51), [0, 0, 0x5e, 0, 1, 0x33]);
        assert_eq!(mac_text(&ipv4_mac(51)), "00:00:5e:00:01:33");
        assert_eq!(mac_text(&ipv6_mac(51)), "00:00:5e:00:02:33");
    }

    /// Measured: an IPv6 VMAC gets addr_gen_mode 1 and nothing else, the base nothing.
    #[test]
    fn an_ipv6_vmac_has_only_addr_gen_mode() {
        assert!(base_sysctls("eth0", true).is_empty());
        assert_eq!(
            vmac_sysctls("vrrp.51", true),
            [conf("ipv6", "vrrp.51", "addr_gen_mode", 1)]
        );
    }

    #[test]
    fn the_copied_link_local_is_nodad_and_deprecated() {
        let m = link_local_message("fe80::1".parse().unwrap(), 7);
        assert_eq!(
            (m.header.index, m.header.prefix_len, m.header.scope),
            (7, 64, AddressScope::Link)
        );
        assert!(m
            .attributes
            .contains(&AddressAttribute::Flags(AddressFlags::Nodad)));
        assert!(m.attributes.iter().any(|a| matches!(
            a,
            AddressAttribute::CacheInfo(c) if c.ifa_preferred == 0 && c.ifa_valid == u32::MAX
        )));
    }

    #[test]
    fn sysctls_as_keepalived_sets_them() {
        let paths: Vec<String> = base_sysctls("eth0", false)
            .into_iter()
            .chain(vmac_sysctls("vrrp.51", false))
            .map(|s| format!("{}={}", s.path, s.value))
            .collect();
        assert_eq!(
            paths,
            [
                "ipv4/conf/eth0/arp_ignore=1",
                "ipv4/conf/eth0/arp_filter=1",
                "ipv4/conf/vrrp.51/arp_ignore=1",
                "ipv4/conf/vrrp.51/accept_local=1",
                "ipv4/conf/vrrp.51/rp_filter=0",
                "ipv4/conf/vrrp.51/promote_secondaries=1",
                "ipv6/conf/vrrp.51/addr_gen_mode=1",
                "ipv6/conf/vrrp.51/disable_ipv6=1",
            ]
        );
    }

    fn change(i: &str, from: u8, to: u8) -> RpFilterChange {
        RpFilterChange {
            interface: i.into(),
            from,
            to,
        }
    }

    #[test]
    fn rp_filter_moves_from_all_to_the_interfaces() {
        assert_eq!(rp_filter_changes(0, 1, &[("eth0".into(), 0)]), []);
        // Measured: all 2, default 1, eth0 0 -> default 2, eth0 2, all 0.
        assert_eq!(
            rp_filter_changes(2, 1, &[("eth0".into(), 0)]),
            [
                change("default", 1, 2),
                change("eth0", 0, 2),
                change("all", 2, 0)
            ]
        );
        // Those already at or above all's value are left; a base named twice once.
        assert_eq!(
            rp_filter_changes(
                1,
                2,
                &[("eth0".into(), 1), ("eth1".into(), 0), ("eth1".into(), 0)]
            ),
            [change("eth1", 0, 1), change("all", 1, 0)]
        );
    }

    #[test]
    fn rp_filter_is_given_back_all_first() {
        let dir = std::env::temp_dir().join(format!("krs-vmac-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for (i, v) in [("all", 2), ("default", 1), ("eth0", 0), ("eth1", 0)] {
            std::fs::create_dir_all(dir.as_path().join("ipv4/conf").join(i)).unwrap();
            write_value(&dir.as_path().join(format!("ipv4/conf/{i}/rp_filter")), v).unwrap();
        }
        let mut v = Vmacs::at(dir.as_path().into());
        let read = |i: &str| read_value(&dir.as_path().join(format!("ipv4/conf/{i}/rp_filter")));
        v.rp_filter("eth0");
        assert_eq!(
            [
                read("all").unwrap(),
                read("default").unwrap(),
                read("eth0").unwrap()
            ],
            [0, 2, 2]
        );
        // A second VMAC on the same base changes nothing more; one on another base raises it
        // to all's value before.
        v.rp_filter("eth0");
        v.rp_filter("eth1");
        assert_eq!(
            [
                read("all").unwrap(),
                read("eth0").unwrap(),
                read("eth1").unwrap()
            ],
            [0, 2, 2]
        );
        v.restore_rp_filter();
        assert_eq!(
            [
                read("all").unwrap(),
                read("default").unwrap(),
                read("eth0").unwrap()
            ],
            [2, 1, 0]
        );
        assert_eq!(read("eth1").unwrap(), 0);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
