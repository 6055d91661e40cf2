//! `ha_suspend`: the checkers of a virtual server whose address is not on this node make no
//! check, as keepalived 2.2.7 runs it (measured in the VM: daemon/tests/vm_ha_suspend.rs).
//!
//! - At start (and at a reload) each checker of such a virtual server starts suspended
//!   ("Deactivating healthchecker for service RS for VS VS") when the address is absent,
//!   active ("Activating ...") when present.
//! - The address added to any interface (by hand, or by a VRRP instance becoming MASTER):
//!   "Netlink reflector reports IP ADDR added", then "Activating healthchecker ..." for each
//!   of its checkers, which check again from their next tick; removed: "... removed",
//!   "Suspending healthchecker ...".
//! - A suspended checker makes no check at all; its real server keeps the state it had (up at
//!   start, unless `alpha`), and so does the IPVS table.
//! - A virtual server of a group (`virtual_server group G`) has no single address: keepalived
//!   never activates its checkers under `ha_suspend`, whatever addresses come and go; nor do we
//!   (the parser warns). A firewall mark's `ha_suspend` is cleared by the parser (keepalived:
//!   "cannot use ha_suspend with fwmarks").
//!
//! Here: the pure part (which virtual servers are suspended, given the node's addresses), the
//! address watch (an rtnetlink monitor, started once a plan follows an address), and the LVS
//! loop's side (`impl Lvs`: keepalived's lines and the engine's suspend and resume orders,
//! at start, on each address event and at a reload).

use std::collections::HashMap;
use std::io;
use std::net::IpAddr;

use tokio::sync::mpsc;
use tracing::{error, info};

use super::Lvs;
use crate::lvs::{LvsPlan, VsKey, VsPlan};
use crate::vrrpd::kernel::{self, KernelEvent};

/// What a virtual server's checkers follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Follows {
    /// Nothing: they always check (no `ha_suspend`).
    Nothing,
    /// This address: they check while it is on the node.
    Address(IpAddr),
    /// No address (a group's virtual server): they never check.
    NoAddress,
}

/// What `v`'s checkers follow.
pub fn follows(v: &VsPlan) -> Follows {
    if !v.ha_suspend {
        return Follows::Nothing;
    }
    match v.key {
        VsKey::Addr { addr, .. } => Follows::Address(addr),
        VsKey::Group { .. } => Follows::NoAddress,
        // The parser clears a firewall mark's ha_suspend (keepalived's words: "cannot use
        // ha_suspend with fwmarks - clearing ha_suspend").
        VsKey::Fwmark { .. } => Follows::Nothing,
    }
}

/// Whether a plan needs the node's addresses.
pub fn needs_addresses(plan: &LvsPlan) -> bool {
    plan.virtual_servers
        .iter()
        .any(|v| matches!(follows(v), Follows::Address(_)))
}

/// The addresses on the node, by interface, as rtnetlink tells them: pure.
#[derive(Debug, Default)]
pub struct Addresses {
    /// Each address with the interfaces holding it.
    held: HashMap<IpAddr, Vec<u32>>,
    /// Unknown (the watch could not start): every address counts as there, so that no
    /// checker is suspended for want of knowing.
    unknown: bool,
}

impl Addresses {
    /// Addresses that cannot be known: every one counts as there.
    pub fn unknown() -> Addresses {
        Addresses {
            unknown: true,
            ..Addresses::default()
        }
    }

    /// Whether any interface holds `addr`.
    pub fn has(&self, addr: IpAddr) -> bool {
        self.unknown || self.held.contains_key(&addr)
    }

    /// `addr` added to (`added`) or removed from interface `index`: the address's presence on
    /// the node when that changed (an address on two interfaces is there until both lost it),
    /// None when it did not.
    pub fn event(&mut self, index: u32, addr: IpAddr, added: bool) -> Option<bool> {
        let before = self.held.contains_key(&addr);
        if added {
            let on = self.held.entry(addr).or_default();
            if !on.contains(&index) {
                on.push(index);
            }
        } else if let Some(on) = self.held.get_mut(&addr) {
            on.retain(|&i| i != index);
            if on.is_empty() {
                self.held.remove(&addr);
            }
        }
        let after = self.held.contains_key(&addr);
        (before != after).then_some(after)
    }
}

/// Whether each virtual server's checkers are suspended, given the node's addresses.
pub fn suspended(plan: &LvsPlan, addresses: &Addresses) -> Vec<bool> {
    plan.virtual_servers
        .iter()
        .map(|v| match follows(v) {
            Follows::Nothing => false,
            Follows::Address(a) => !addresses.has(a),
            Follows::NoAddress => true,
        })
        .collect()
}

/// The virtual servers whose checkers follow `addr`.
pub fn following(plan: &LvsPlan, addr: IpAddr) -> Vec<usize> {
    plan.virtual_servers
        .iter()
        .enumerate()
        .filter(|(_, v)| follows(v) == Follows::Address(addr))
        .map(|(i, _)| i)
        .collect()
}

/// The addresses the plan's checkers follow, each once, in the plan's order.
pub fn followed(plan: &LvsPlan) -> Vec<IpAddr> {
    let mut out = Vec::new();
    for v in &plan.virtual_servers {
        if let Follows::Address(a) = follows(v) {
            if !out.contains(&a) {
                out.push(a);
            }
        }
    }
    out
}

/// Starts watching the node's addresses (this thread's network namespace: the daemon's, where
/// keepalived's checker process watches them): the ones there now, and a channel of the
/// changes. The watch starts before the addresses are read, so that none is missed between
/// the two; a change seen twice is harmless ([`Addresses::event`] is idempotent).
pub fn watch() -> io::Result<(Addresses, mpsc::UnboundedReceiver<KernelEvent>)> {
    let (tx, rx) = mpsc::unbounded_channel();
    kernel::monitor(tx, false)?;
    let mut addresses = Addresses::default();
    for (addr, index, _) in kernel::current_addresses()? {
        addresses.event(index, addr, true);
    }
    Ok((addresses, rx))
}

/// The LVS loop's side of ha_suspend: its lines and the engine's orders.
impl Lvs {
    /// The checker ids of virtual server `vi`, with their real server's index.
    pub(super) fn checkers_of(&self, vi: usize) -> Vec<(checkers::CheckerId, usize)> {
        let Some(v) = self.plan.virtual_servers.get(vi) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (ri, r) in v.real_servers.iter().enumerate() {
            for ci in 0..r.checkers.len() {
                if let Some(id) = self.pool.checker_id(vi, ri, ci) {
                    out.push((id, ri));
                }
            }
        }
        out
    }

    /// An address added to or removed from the node: the checkers of the virtual servers with
    /// `ha_suspend` that follow it resume or are suspended, with keepalived's lines.
    pub(super) fn address_event(&mut self, ev: KernelEvent) {
        let (index, addr, added) = match ev {
            KernelEvent::AddressAdded { index, addr } => (index, addr, true),
            KernelEvent::AddressRemoved { index, addr } => (index, addr, false),
            _ => return,
        };
        let Some(present) = self.addresses.event(index, addr, added) else {
            return;
        };
        let follow = following(&self.plan, addr);
        if follow.is_empty() {
            return;
        }
        let how = if present { "added" } else { "removed" };
        info!("Netlink reflector reports IP {addr} {how}");
        let mut ids = Vec::new();
        for vi in follow {
            if self.suspended.get(vi) != Some(&present) {
                continue;
            }
            self.suspended[vi] = !present;
            if !self.checking {
                // The checkers start later, in this state (and say it then).
                continue;
            }
            let v = &self.plan.virtual_servers[vi];
            for (id, ri) in self.checkers_of(vi) {
                let what = if present { "Activating" } else { "Suspending" };
                info!(
                    "{what} healthchecker for service {} for VS {}",
                    v.rs_name(&v.real_servers[ri]),
                    v.key
                );
                ids.push(id);
            }
        }
        if let Some(engine) = &self.engine {
            engine.suspend(ids, !present);
        }
        self.observer.suspension(&self.suspended);
    }

    /// After a reload: each kept checker (not in `started`) whose virtual server's suspension
    /// differs from its own before (`was`) is suspended or resumed, in keepalived's words for
    /// a checker's start (a reload starts every checker again in keepalived).
    pub(super) fn resuspend_kept(
        &self,
        was: &std::collections::HashSet<checkers::CheckerId>,
        started: &[(checkers::CheckerId, super::registry::Position)],
    ) {
        let started: std::collections::HashSet<_> = started.iter().map(|(id, _)| *id).collect();
        let (mut suspend, mut resume) = (Vec::new(), Vec::new());
        for (vi, &now) in self.suspended.iter().enumerate() {
            let v = &self.plan.virtual_servers[vi];
            for (id, ri) in self.checkers_of(vi) {
                if started.contains(&id) || was.contains(&id) == now {
                    continue;
                }
                let how = if now { "Deactivating" } else { "Activating" };
                info!(
                    "{how} healthchecker for service {} for VS {}",
                    v.rs_name(&v.real_servers[ri]),
                    v.key
                );
                if now {
                    suspend.push(id);
                } else {
                    resume.push(id);
                }
            }
        }
        if let Some(engine) = &self.engine {
            engine.suspend(suspend, true);
            engine.suspend(resume, false);
        }
    }

    /// Starts watching the node's addresses into `into` when `plan` (the running one, or a
    /// reload's before it runs) has a virtual server with `ha_suspend` that follows one; the
    /// addresses of `plan`'s that are there are told as keepalived tells them at start.
    /// Cannot: said, and those checkers are not suspended (they check as without ha_suspend).
    pub(super) fn watch_addresses(
        &mut self,
        plan: &LvsPlan,
        into: &mut Option<mpsc::UnboundedReceiver<KernelEvent>>,
    ) {
        if into.is_some() || !needs_addresses(plan) {
            return;
        }
        match watch() {
            Ok((held, rx)) => {
                for addr in followed(plan) {
                    if held.has(addr) {
                        info!("Netlink reflector reports IP {addr} added");
                    }
                }
                self.addresses = held;
                *into = Some(rx);
            }
            Err(e) => {
                error!(
                    "ha_suspend: cannot watch the node's addresses: {e}; the checkers of its \
                     virtual servers run as without it"
                );
                self.addresses = Addresses::unknown();
            }
        }
        // (The running plan follows no address until now: its suspension is unchanged.)
        self.suspended = suspended(&self.plan, &self.addresses);
        self.observer.suspension(&self.suspended);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(text: &str) -> LvsPlan {
        let p = conf_parser::parse_str("t.conf", text, &conf_parser::Options::default());
        assert!(p.is_ok(), "{}", p.render_diagnostics());
        crate::lvs::plan(&p.config, false).unwrap()
    }

    const CONF: &str = "virtual_server_group G {\n 192.0.2.50 80\n}\n\
        virtual_server 192.0.2.1 80 {\n protocol TCP\n ha_suspend\n real_server 10.0.0.1 80 {\n TCP_CHECK {\n }\n }\n}\n\
        virtual_server 192.0.2.2 80 {\n protocol TCP\n real_server 10.0.0.1 80 {\n TCP_CHECK {\n }\n }\n}\n\
        virtual_server group G {\n protocol TCP\n ha_suspend\n real_server 10.0.0.1 80 {\n TCP_CHECK {\n }\n }\n}\n\
        virtual_server 192.0.2.1 443 {\n protocol TCP\n ha_suspend\n real_server 10.0.0.1 443 {\n TCP_CHECK {\n }\n }\n}\n\
        virtual_server fwmark 3 {\n ha_suspend\n real_server 10.0.0.1 80 {\n TCP_CHECK {\n }\n }\n}\n";

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    /// An address counts as there while any interface holds it; only a change of its presence
    /// is told; the same event twice changes nothing.
    #[test]
    fn an_address_is_there_while_any_interface_holds_it() {
        let mut a = Addresses::default();
        let vip = ip("192.0.2.1");
        assert_eq!(a.event(2, vip, true), Some(true));
        assert_eq!(a.event(2, vip, true), None);
        assert_eq!(a.event(3, vip, true), None);
        assert_eq!(a.event(2, vip, false), None, "still on interface 3");
        assert!(a.has(vip));
        assert_eq!(a.event(3, vip, false), Some(false));
        assert_eq!(a.event(3, vip, false), None);
        assert!(!a.has(vip));
        assert!(Addresses::unknown().has(vip));
    }

    /// Which virtual servers are suspended: those with ha_suspend whose address is absent, a
    /// group's always (keepalived never activates them, measured), never one without
    /// ha_suspend nor a firewall mark (its ha_suspend cleared by the parser).
    #[test]
    fn suspended_follows_the_addresses() {
        let p = plan(CONF);
        let mut a = Addresses::default();
        assert_eq!(suspended(&p, &a), [true, false, true, true, false]);
        assert!(needs_addresses(&p));
        assert_eq!(followed(&p), [ip("192.0.2.1")]);
        a.event(1, ip("192.0.2.1"), true);
        assert_eq!(suspended(&p, &a), [false, false, true, false, false]);
        // A group's address changes nothing.
        a.event(1, ip("192.0.2.50"), true);
        assert_eq!(suspended(&p, &a), [false, false, true, false, false]);
        assert_eq!(following(&p, ip("192.0.2.1")), [0, 3]);
        assert!(following(&p, ip("192.0.2.50")).is_empty());
        assert!(following(&p, ip("192.0.2.2")).is_empty());
    }

    /// A plan without ha_suspend (or with a group's only) watches no address.
    #[test]
    fn no_ha_suspend_no_watch() {
        let p = plan(
            "virtual_server 192.0.2.1 80 {\n protocol TCP\n real_server 10.0.0.1 80 {\n }\n}\n",
        );
        assert!(!needs_addresses(&p));
        assert!(followed(&p).is_empty());
    }
}
