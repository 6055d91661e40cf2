//! The loop's inputs: timers, packets, kernel events (links and addresses), tracker reports.

use std::net::IpAddr;
use std::time::Duration;

use tracing::{debug, error, info, warn};
use vrrp::{Expected, Input, State, Status, Time};

use super::instance::{self, probe};
use super::kernel::{self, KernelEvent};
use super::link_delay::Observed;
use super::net::{Received, Sender};
use super::receivers::RxId;
use super::trackers::{bfd_key, file_key, process_key, script_key};
use super::Runtime;
use crate::notifier::{self, Notice, Side};

impl Runtime {
    pub(super) async fn fire_timers(&mut self) {
        let now = self.now();
        for due in self.links.due(now) {
            info!(
                "Netlink reports {} {}",
                due.name,
                if due.up { "up" } else { "down" }
            );
            self.link_changed(due.index, due.up, now).await;
        }
        let instances = &self.instances;
        let masters = |name: &str| {
            instances
                .iter()
                .any(|r| r.plan.name == name && r.instance.state() == State::Master)
        };
        for q in self.garp_pacer.due(now, masters) {
            debug!(
                "Sending {} on {} for {}",
                super::execute::gratuitous_words(&q.addr).1,
                q.dev,
                q.addr
            );
            if let Err(e) = self.gratuitous.send(&q.dev, q.addr) {
                warn!(
                    "({}) gratuitous message for {} on {}: {e}",
                    q.instance, q.addr, q.dev
                );
            }
        }
        for idx in 0..self.instances.len() {
            let due: Vec<_> = self.instances[idx]
                .instance
                .timers()
                .filter(|&(_, at)| at <= now)
                .map(|(k, _)| k)
                .collect();
            for kind in due {
                if let Some(at) = self.instances[idx].instance.timer_at(kind) {
                    self.instances[idx].timer_late = now.0.saturating_sub(at.0);
                }
                if kind == vrrp::TimerKind::MasterDown
                    && self.instances[idx].instance.state() == State::Backup
                {
                    debug!(
                        "({}) Receive advertisement timeout",
                        self.instances[idx].plan.name
                    );
                }
                self.feed(idx, Input::Timer(kind), now).await;
            }
        }
    }

    /// A packet from receiver `rx`: decoded once, then given to the instance of its VRID on that
    /// interface and family, if any.
    pub(super) async fn packet(&mut self, rx: RxId, p: Received) {
        // The advert counts from when the kernel received it: the Master_Down timer it
        // restarts must not also run for the time it spent reaching us.
        let age = p
            .stamp
            .and_then(|t| std::time::SystemTime::now().duration_since(t).ok())
            .filter(|a| *a < Duration::from_secs(1))
            .unwrap_or_default();
        let now = Time(self.now().0.saturating_sub(age));
        if let (Some(total), Some(r)) = (p.overflows, self.receivers.get_mut(rx)) {
            // A running count: what it grew by since the last packet was lost in the kernel.
            let lost = total.wrapping_sub(r.overflows);
            if lost > 0 {
                r.overflows = total;
                r.drops.add(vrrp::DropKind::QueueOverflow, u64::from(lost));
                let d = self.droplog.record(
                    &r.ifname,
                    vrrp::DropKind::QueueOverflow,
                    std::time::Instant::now(),
                );
                log_drop(d, || {
                    format!(
                        "{}: the kernel dropped {lost} packet(s): the receive queue was full",
                        r.ifname
                    )
                });
            }
        }
        // Protocol 51: the VRRP payload is behind an IP Authentication Header, checked once
        // the instance (its key) is known.
        let ah = match p.ah.then(|| vrrp::ah::parse(&p.payload)).transpose() {
            Ok(ah) => ah,
            Err(reason) => return self.drop_at_receiver(rx, p.src, &reason),
        };
        let (payload, ttl) = match &ah {
            Some(a) => (a.vrrp, a.ttl),
            None => (&p.payload[..], p.ttl),
        };
        let advert = match vrrp::decode(payload, p.src, p.dst, ttl) {
            Ok(a) => a,
            Err(reason) => return self.drop_at_receiver(rx, p.src, &reason),
        };
        let Some(idx) = self
            .instances
            .iter()
            .position(|r| r.receiver == rx && r.plan.config.vrid == advert.vrid)
        else {
            // Another VRID on the same link is normal: not ours, not worth a log line. (A
            // receiver a reload closed may still deliver a packet: it is gone, so is the count.)
            if let Some(r) = self.receivers.get_mut(rx) {
                let reason = vrrp::DropReason::UnknownVrid(advert.vrid);
                r.drops.record(&reason);
                // Unless asked for (log_unknown_vrids): then in keepalived 2.2.7's words, each
                // one up to the drop log's limit.
                if self.log_unknown_vrids {
                    let d =
                        self.droplog
                            .record(&r.ifname, reason.kind(), std::time::Instant::now());
                    log_drop(d, || {
                        format!(
                            "Unknown VRID({}) received on interface({}). ignoring...",
                            advert.vrid, r.ifname
                        )
                    });
                }
            }
            return;
        };
        let r = &mut self.instances[idx];
        let unicast = !r.plan.config.unicast_peers.is_empty();
        // AH: the SPI and the digest, then the sequence number (keepalived 2.2.7's order,
        // measured: a bad SPI is reported before a bad digest, a bad digest before a replay,
        // and a packet failing one leaves the sequence number as it was).
        if let (Some(a), Some(key)) = (&ah, &r.plan.ah_key) {
            let checked = a
                .authenticate(key, unicast)
                .and_then(|()| r.ah.accept(a.seq));
            if let Err(reason) = checked {
                drop_advert(r, &mut self.droplog, p.src, &reason);
                return;
            }
        }
        // The TTL: 255 for a multicast instance; a unicast peer's min_ttl..max_ttl.
        let range = unicast.then(|| r.plan.peer_ttl_range(p.src));
        if let Err(reason) = vrrp::check_ttl(p.ttl, range) {
            drop_advert(r, &mut self.droplog, p.src, &reason);
            return;
        }
        let expected = Expected {
            vrid: r.plan.config.vrid,
            version: r.plan.expected_version(),
            addresses: r.plan.config.vips.clone(),
            skip_check_adv_addr: r.plan.skip_check_adv_addr && r.last_master == Some(p.src),
        };
        if let Err(reason) = vrrp::check(&advert, &expected) {
            drop_advert(r, &mut self.droplog, p.src, &reason);
            return;
        }
        r.last_master = Some(p.src);
        r.rx_age = age;
        r.stats.advert_rcvd += 1;
        if advert.priority == 0 {
            r.stats.pri_zero_rcvd += 1;
        } else {
            r.master = Some((p.src, advert.priority));
        }
        self.snapshot_dirty = true;
        // keepalived's MASTER_RX_LOWER_PRI: a Master hears a (non-zero) lower priority.
        let rx_lower = r.instance.state() == State::Master
            && advert.priority != 0
            && advert.priority < r.instance.priority();
        self.feed(
            idx,
            Input::Advert {
                advert,
                from: p.src,
            },
            now,
        )
        .await;
        if rx_lower {
            let r = &self.instances[idx];
            self.notifier.notice(
                Side::Vrrp,
                Notice {
                    event: Some(notifier::Event::MasterRxLowerPri {
                        name: r.plan.name.clone(),
                        priority: r.instance.priority(),
                    }),
                    scripts: r.plan.notify.master_rx_lower_pri.iter().cloned().collect(),
                    mail: None,
                },
            );
        }
    }

    /// A packet receiver `rx` dropped before any instance could be told: counted there.
    fn drop_at_receiver(&mut self, rx: RxId, src: IpAddr, reason: &vrrp::DropReason) {
        let Some(r) = self.receivers.get_mut(rx) else {
            return;
        };
        r.drops.record(reason);
        let d = self
            .droplog
            .record(&r.ifname, reason.kind(), std::time::Instant::now());
        log_drop(d, || {
            format!("{}: dropped a packet from {src}: {reason}", r.ifname)
        });
    }

    pub(super) async fn kernel_event(&mut self, ev: KernelEvent) {
        let now = self.now();
        match ev {
            KernelEvent::Link { index, up, flags } => {
                let observed = match kernel::ifname(index) {
                    Some(name) => self.links.observe(&name, index, up, flags, now),
                    None => Observed::Now,
                };
                match observed {
                    Observed::Now => self.link_changed(index, up, now).await,
                    Observed::Held(line) => {
                        if let Some(line) = line {
                            info!("{line}");
                        }
                    }
                }
            }
            KernelEvent::LinkGone { index } => {
                // Deleted: the kernel no longer knows its name; forget what is held for any
                // link with delays that is no longer there.
                let names: Vec<String> = self.links.names().map(str::to_string).collect();
                for name in names {
                    if kernel::ifindex(&name).is_err() {
                        self.links.gone(&name);
                    }
                }
                self.tracked_link(index, None, now).await;
                self.refresh_interfaces(index, None, now).await;
            }
            KernelEvent::AddressAdded { index, addr } => {
                self.refresh_interfaces(index, Some(addr), now).await;
            }
            KernelEvent::AddressRemoved { index, addr } => {
                // A static one, unless it is there again (a reload that replaced it, for one).
                let is_static = self.statics.addresses.iter().any(|a| a.addr == addr);
                if is_static && !kernel::has_address(index, addr) {
                    self.restore_static_addresses(index, Some(addr)).await;
                }
                for idx in 0..self.instances.len() {
                    let r = &self.instances[idx];
                    if r.instance.state() != State::Master {
                        continue;
                    }
                    let Some(vip) = r.plan.vips.iter().find(|v| v.addr == addr).cloned() else {
                        continue;
                    };
                    if kernel::ifindex(&vip.dev).ok() != Some(index) {
                        continue;
                    }
                    warn!(
                        "({}) VIP {} was removed while MASTER: putting it back",
                        r.plan.name, addr
                    );
                    if let Err(e) = self.netlink.add(&vip).await {
                        error!("({}) {e}", r.plan.name);
                    }
                    let name = r.plan.name.clone();
                    if let Err(e) = self.gratuitous.send(&vip.dev, vip.addr) {
                        warn!("({name}) gratuitous message for {}: {e}", vip.addr);
                    }
                }
                self.refresh_interfaces(index, Some(addr), now).await;
            }
        }
    }

    /// Link `index` is now `up` or not, as the instances go by it (at once, or once the change
    /// has lasted its `interface_up_down_delays` delay).
    async fn link_changed(&mut self, index: u32, up: bool, now: Time) {
        if up {
            self.restore_static_addresses(index, None).await;
            self.restore_static_routes(index).await;
        }
        self.tracked_link(index, Some(up), now).await;
        self.refresh_interfaces(index, None, now).await;
    }

    /// A tracked interface changed: `up` is None when it was deleted (its index is forgotten;
    /// a link of the same name is looked up again on the next event).
    async fn tracked_link(&mut self, index: u32, up: Option<bool>, now: Time) {
        for idx in 0..self.instances.len() {
            let r = &mut self.instances[idx];
            let mut touched = false;
            for (name, i) in r.tracked_ifs.iter_mut() {
                if *i == 0 {
                    *i = kernel::ifindex(name).unwrap_or(0);
                }
                if *i == index {
                    let st = if up == Some(true) {
                        Status::Up
                    } else {
                        Status::Down
                    };
                    touched |= r.tracking.set_status(name, st);
                    if up.is_none() {
                        *i = 0;
                    }
                }
            }
            if touched {
                self.tracking_changed(idx, now).await;
            }
        }
    }

    /// Something changed on interface `index` (an address `addr` came or went, or the link
    /// changed): every instance on that interface, or whose interface is missing, looks at its
    /// interface again. Our own VIPs coming and going are not news.
    async fn refresh_interfaces(&mut self, index: u32, addr: Option<IpAddr>, now: Time) {
        for idx in 0..self.instances.len() {
            let r = &self.instances[idx];
            // A VMAC is looked up by name: once deleted, its index is no longer known.
            let its_vmac = r.plan.vmac.as_ref().is_some_and(|v| {
                kernel::ifindex(&v.name).map_or(true, |i| i == index || i != r.send_ifindex)
            });
            if r.ifindex != index && r.ifindex != 0 && !its_vmac {
                continue;
            }
            if addr.is_some_and(|a| r.plan.vips.iter().any(|v| v.addr == a)) {
                continue;
            }
            self.refresh(idx, now).await;
        }
    }

    /// Looks at instance `idx`'s interface again: a new index (the interface was recreated) or
    /// a new source address reopens the sockets; the instance leaves or enters FAULT when the
    /// interface becomes usable (exists, up with carrier, has an address) or stops being so.
    pub(super) async fn refresh(&mut self, idx: usize, now: Time) {
        let (index, up, src) = probe(&self.instances[idx].plan, &self.links);
        let r = &mut self.instances[idx];
        let name = r.plan.name.clone();
        let changed_index = index != r.ifindex;
        if changed_index {
            if index == 0 {
                info!("({name}) interface {} is gone", r.plan.interface);
            } else if r.ifindex != 0 {
                info!(
                    "({name}) interface {} is back (index {index}): reopening its sockets",
                    r.plan.interface
                );
            } else {
                info!("({name}) interface {} appeared", r.plan.interface);
            }
            r.ifindex = index;
            r.socket = None;
            for v in &r.plan.vips {
                self.gratuitous.forget(&v.dev);
            }
            let rx = r.receiver;
            if let Err(e) = self.receivers.reopen(rx, index, &self.events_tx) {
                error!("({name}) {e}");
            }
        }
        let r = &mut self.instances[idx];
        let send_index = instance::send_ifindex(&r.plan);
        if send_index != r.send_ifindex {
            r.send_ifindex = send_index;
            r.socket = None;
        }
        let mut moved = false;
        if let Ok(a) = &src {
            if *a != r.src {
                if !r.src.is_unspecified() {
                    info!("({name}) source address {} -> {a}", r.src);
                }
                moved = !r.src.is_unspecified();
                r.src = *a;
                r.instance.set_local_address(*a);
                r.socket = None;
            }
        }
        // An IPv6 VMAC follows its base's link-local address, as keepalived's does (measured:
        // the base's removed, the next one copied, the old one taken off the macvlan).
        if let (true, Some(v)) = (moved, r.plan.vmac.clone()) {
            if let Ok(vmac_index) = kernel::ifindex(&v.name) {
                if let Err(e) = self
                    .vmacs
                    .copy_link_local(self.netlink.handle(), &v, vmac_index)
                    .await
                {
                    warn!("({name}) {e}");
                }
            }
        }
        let r = &mut self.instances[idx];
        if r.socket.is_none() && index != 0 && send_index != 0 && src.is_ok() {
            match Sender::open(
                r.plan.send_interface(),
                send_index,
                r.src,
                r.plan.unicast_ttl,
                r.plan.ah_key.is_some(),
            ) {
                Ok(s) => r.socket = Some(s),
                Err(e) => error!("({name}) VRRP socket on {}: {e}", r.plan.send_interface()),
            }
        }
        // dont_track_primary: the link's state does not count, the interface and an address do.
        let link_ok = up || r.plan.dont_track_primary;
        let usable = index != 0 && link_ok && src.is_ok() && r.socket.is_some();
        if usable == r.usable {
            return;
        }
        r.usable = usable;
        if usable {
            info!("({name}) interface {} is usable again", r.plan.interface);
            self.feed(idx, Input::InterfaceUp, now).await;
        } else {
            let why = match src {
                _ if index == 0 || !link_ok => instance::unusable_why(&r.plan, index, &src),
                Err(e) => e,
                Ok(_) => "no VRRP socket".to_string(),
            };
            warn!("({name}) entering FAULT state ({why})");
            self.feed(idx, Input::InterfaceDown, now).await;
        }
    }

    pub(super) async fn script_event(&mut self, name: &str, up: bool) {
        let now = self.now();
        info!(
            "vrrp_script {name}: {}",
            if up { "succeeded" } else { "failed" }
        );
        let key = script_key(name);
        let status = if up { Status::Up } else { Status::Down };
        self.trackers.record(key.clone(), status);
        for idx in 0..self.instances.len() {
            if self.instances[idx].tracking.set_status(&key, status) {
                self.tracking_changed(idx, now).await;
            }
        }
    }

    pub(super) async fn process_event(&mut self, name: &str, up: bool) {
        let now = self.now();
        info!(
            "vrrp_track_process {name}: {}",
            if up { "up (quorum reached)" } else { "down" }
        );
        let key = process_key(name);
        let status = if up { Status::Up } else { Status::Down };
        self.trackers.record(key.clone(), status);
        for idx in 0..self.instances.len() {
            if self.instances[idx].tracking.set_status(&key, status) {
                self.tracking_changed(idx, now).await;
            }
        }
    }

    pub(super) async fn bfd_event(&mut self, name: &str, up: bool) {
        let now = self.now();
        let key = bfd_key(name);
        let status = if up { Status::Up } else { Status::Down };
        self.trackers.record(key.clone(), status);
        for idx in 0..self.instances.len() {
            if self.instances[idx].plan.track_bfd.iter().any(|t| t.name == name) {
                // keepalived 2.2.7's words, one line per instance tracking it.
                info!(
                    "VRRP_Instance({}) Tracked BFD instance {name} is {}",
                    self.instances[idx].plan.name,
                    if up { "UP" } else { "DOWN" }
                );
            }
            if self.instances[idx].tracking.set_status(&key, status) {
                self.tracking_changed(idx, now).await;
            }
        }
    }

    pub(super) async fn file_event(&mut self, name: &str, value: i64) {
        let now = self.now();
        info!("track_file {name}: value {value}");
        let key = file_key(name);
        self.trackers.record(key.clone(), Status::Value(value));
        for idx in 0..self.instances.len() {
            if self.instances[idx]
                .tracking
                .set_status(&key, Status::Value(value))
            {
                self.tracking_changed(idx, now).await;
            }
        }
    }

    /// Tracking may have changed an instance's verdict: feed the difference.
    pub(super) async fn tracking_changed(&mut self, idx: usize, now: Time) {
        self.publish_now = true;
        let r = &mut self.instances[idx];
        let mut new = r.tracking.verdict();
        // Held in FAULT whatever it tracks (keepalived: unicast_fault_no_peer, no peers).
        new.fault |= r.plan.fault_no_peer;
        let old = std::mem::replace(&mut r.verdict, new);
        if old != new {
            info!(
                "({}) tracking: priority {}{}",
                r.plan.name,
                new.priority,
                if new.fault { ", FAULT" } else { "" }
            );
        }
        let before = r.instance.priority();
        for input in vrrp::verdict_inputs(old, new) {
            self.feed(idx, input, now).await;
        }
        let r = &self.instances[idx];
        let after = r.instance.priority();
        if after != before && r.plan.notify_priority_changes {
            self.notifier.notice(
                Side::Vrrp,
                Notice {
                    event: Some(notifier::Event::Priority {
                        name: r.plan.name.clone(),
                        master: r.instance.state() == State::Master,
                        priority: after,
                    }),
                    ..Notice::default()
                },
            );
        }
    }
}

/// A dropped packet's line (made only when it is logged), unless a flood of them is being
/// held back (`droplog`); first the summary of the window it ended, if any.
/// An advert an instance does not take: counted in its drops, logged unless held back.
fn drop_advert(
    r: &mut instance::Running,
    droplog: &mut super::droplog::DropLog,
    src: IpAddr,
    reason: &vrrp::DropReason,
) {
    r.drops.record(reason);
    let d = droplog.record(&r.plan.name, reason.kind(), std::time::Instant::now());
    log_drop(d, || {
        format!("({}) dropped an advert from {src}: {reason}", r.plan.name)
    });
}

fn log_drop(d: super::droplog::Decision, line: impl FnOnce() -> String) {
    if let Some(s) = d.summary {
        warn!("{s}");
    }
    if d.log {
        warn!("{}", line());
    }
}
