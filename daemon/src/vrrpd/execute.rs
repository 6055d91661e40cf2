//! Carrying out an instance's actions: adverts, addresses and routes, gratuitous ARPs and
//! neighbour advertisements, transitions (logs and notify scripts).

use std::io;
use std::net::IpAddr;
use std::time::Duration;

use tracing::{debug, error, info, warn};
use vrrp::{Action, Destination, DropKind, Input, State};

use super::firewall;
use super::notify;
use super::Runtime;
use crate::notifier::{self, Notice, Side};

impl Runtime {
    /// Carries out one action of instance `idx`.
    pub(super) async fn execute(&mut self, idx: usize, action: Action) {
        let r = &self.instances[idx];
        let name = &r.plan.name;
        match action {
            Action::SendAdvert { mut advert, to } => {
                advert.checksum = r.plan.checksum;
                let dst = match to {
                    Destination::Multicast => r.plan.mcast_group,
                    Destination::Unicast(a) => a,
                };
                if advert.priority == 0 {
                    // keepalived's -D line (ours at debug, which -D turns on).
                    debug!("({name}) sent 0 priority");
                }
                let unicast = matches!(to, Destination::Unicast(_));
                let encoded = advert.encode(r.src, dst);
                let r = &mut self.instances[idx];
                let name = &r.plan.name;
                let encoded = match (encoded, &r.plan.ah_key, r.src, dst) {
                    (Ok(vrrp), Some(key), IpAddr::V4(src), IpAddr::V4(dst4)) => {
                        let o = vrrp::ah::Outgoing {
                            src,
                            dst: dst4,
                            ip_id: r.ah.next_ip_id(),
                            seq: r.ah.next_to_send(),
                            ttl: if unicast { r.plan.unicast_ttl } else { 255 },
                            unicast: !r.plan.config.unicast_peers.is_empty(),
                        };
                        Ok(vrrp::ah::encode(&vrrp, &o, key))
                    }
                    (e, _, _, _) => e,
                };
                match encoded {
                    Ok(bytes) => {
                        let sent = match &r.socket {
                            Some(s) => s.send(&bytes, dst),
                            None => Err(io::Error::other("no socket (interface not usable)")),
                        };
                        match sent {
                            Ok(()) => {
                                let zero = advert.priority == 0;
                                let st = &mut self.instances[idx].stats;
                                st.advert_sent += 1;
                                st.pri_zero_sent += u64::from(zero);
                                self.snapshot_dirty = true;
                            }
                            // A down link is reported by netlink too; keep this quiet-ish.
                            Err(e) => debug!("({name}) sending advert to {dst}: {e}"),
                        }
                    }
                    Err(e) => error!("({name}) cannot encode advert: {e}"),
                }
            }
            Action::AddVips(addrs) => {
                let vips: Vec<_> = r.plan.vips_among(&addrs).cloned().collect();
                let routes = r.plan.routes.clone();
                let rules = r.plan.rules.clone();
                let name = name.clone();
                // Dropped before they are added, as keepalived: never a moment when a VIP
                // answers where accept mode is off.
                self.firewall_follow(idx, "setting");
                debug!("({name}) setting VIPs.");
                for v in &vips {
                    if let Err(e) = self.netlink.add(v).await {
                        error!("({name}) {e}");
                    }
                }
                // Routes after the addresses (a route may use a VIP as its source), rules
                // after the routes (keepalived's order).
                if !routes.is_empty() {
                    debug!("({name}) setting Virtual Routes");
                }
                for rt in &routes {
                    if let Err(e) = self.netlink.add_route(rt).await {
                        error!("({name}) {e}");
                    }
                }
                if !rules.is_empty() {
                    debug!("({name}) setting Virtual Rules");
                }
                for rl in &rules {
                    if let Err(e) = self.netlink.add_rule(rl).await {
                        error!("({name}) {e}");
                    }
                }
            }
            Action::RemoveVips(addrs) => {
                let vips: Vec<_> = r.plan.vips_among(&addrs).cloned().collect();
                let routes = r.plan.routes.clone();
                let rules = r.plan.rules.clone();
                let name = name.clone();
                if !rules.is_empty() {
                    debug!("({name}) removing Virtual Rules");
                }
                for rl in &rules {
                    if let Err(e) = self.netlink.remove_rule(rl).await {
                        error!("({name}) {e}");
                    }
                }
                if !routes.is_empty() {
                    debug!("({name}) removing Virtual Routes");
                }
                for rt in &routes {
                    if let Err(e) = self.netlink.remove_route(rt).await {
                        error!("({name}) {e}");
                    }
                }
                debug!("({name}) removing VIPs.");
                for v in &vips {
                    if let Err(e) = self.netlink.remove(v).await {
                        error!("({name}) {e}");
                    }
                }
                self.firewall_follow(idx, "removing");
            }
            Action::SendGratuitous { vips, count } => {
                let targets: Vec<(String, IpAddr)> = r
                    .plan
                    .vips_among(&vips)
                    .map(|v| (v.dev.clone(), v.addr))
                    .collect();
                let name = name.clone();
                for (dev, addr) in &targets {
                    debug!(
                        "({name}) Sending/queueing {} on {dev} for {addr}",
                        gratuitous_words(addr).0
                    );
                }
                // Spaced per interface as keepalived spaces them (`garp_pace`): the interval
                // of the address's interface (a garp_group's, else global_defs'); what cannot
                // leave yet waits, once, for the loop's timer (`events::fire_timers`).
                let now = self.now();
                for _ in 0..count {
                    for (rank, (dev, addr)) in targets.iter().enumerate() {
                        let interval = r.plan.gratuitous_interval_on(dev);
                        let paced_by = r.plan.paced_by(dev);
                        if self.garp_pacer.request(
                            &name,
                            dev,
                            paced_by,
                            (*addr, rank),
                            interval,
                            now,
                        ) {
                            debug!("Sending {} on {dev} for {addr}", gratuitous_words(addr).1);
                            if let Err(e) = self.gratuitous.send(dev, *addr) {
                                warn!("({name}) gratuitous message for {addr} on {dev}: {e}");
                            }
                        }
                    }
                }
            }
            Action::SetTimer { .. } | Action::CancelTimer(_) => {}
            Action::Transition { from, to } => {
                self.record_transition(idx, from, to);
                let r = &self.instances[idx];
                let name = &r.plan.name;
                let prio = r.instance.priority();
                let mails = notifier::mail::vrrp_mails(r.plan.smtp_alert, self.no_email_faults, to);
                self.notifier.notice(
                    Side::Vrrp,
                    Notice {
                        event: (to != State::Initialize).then(|| notifier::Event::Instance {
                            name: name.clone(),
                            state: to,
                            priority: prio,
                        }),
                        scripts: notify::commands(&r.plan.notify, name, to, prio),
                        mail: mails.then(|| notifier::mail::instance(name, to)).flatten(),
                    },
                );
            }
        }
    }

    /// Counts instance `idx`'s transition and logs its detail.
    pub(super) fn record_transition(&mut self, idx: usize, from: State, to: State) {
        let r = &mut self.instances[idx];
        r.last_transition = (std::time::SystemTime::now(), from);
        r.transitions += 1;
        r.stats.become_master += u64::from(to == State::Master);
        r.stats.release_master += u64::from(from == State::Master);
        self.publish_now = true;
        let r = &self.instances[idx];
        let name = &r.plan.name;
        if to == State::Master {
            debug!(
                "({name}) timing: last advert reached the loop {} us after the kernel; \
                 last timer fired {} us late",
                r.rx_age.as_micros(),
                r.timer_late.as_micros()
            );
        }
        // The `Entering ... STATE` line was logged before the actions ran
        // (`log_transitions`), as keepalived orders it; our detail here.
        debug!(
            "({name}) {} -> {}, priority {}",
            notify::state_word(from),
            notify::state_word(to),
            r.instance.priority()
        );
    }

    /// The daemon stops: each instance as on SIGTERM (priority-0 adverts, VIPs removed unless
    /// `-V`, notify_stop), the drop counters logged, the notify queue drained.
    pub(super) async fn shutdown(&mut self) {
        let now = self.now();
        for idx in 0..self.instances.len() {
            let actions = self.instances[idx].instance.handle(Input::Shutdown, now);
            for a in actions {
                if self.options.dont_release_vips && matches!(a, Action::RemoveVips(_)) {
                    continue;
                }
                self.execute(idx, a).await;
            }
            let r = &self.instances[idx];
            let drops: Vec<String> = r
                .drops
                .iter()
                .filter(|&(_, n)| n > 0)
                .map(|(k, n): (DropKind, u64)| format!("{}={n}", k.name()))
                .collect();
            if !drops.is_empty() {
                info!("({}) dropped packets: {}", r.plan.name, drops.join(" "));
            }
        }
        // keepalived keeps the VMACs with -V, the VIPs on them.
        if !self.options.dont_release_vips {
            self.remove_vmacs(&[]).await;
        }
        self.vmacs.restore_rp_filter();
        for r in self.receivers.iter() {
            let drops: Vec<String> = r
                .drops
                .iter()
                .filter(|&(_, n)| n > 0)
                .map(|(k, n)| format!("{}={n}", k.name()))
                .collect();
            if !drops.is_empty() {
                info!("{}: dropped packets: {}", r.ifname, drops.join(" "));
            }
        }
        for line in self.droplog.flush(std::time::Instant::now()) {
            warn!("{line}");
        }
        // Also with -V (measured): that option is about the instances' addresses and routes.
        self.remove_statics().await;
        // Also with -V, which keeps the VIPs (measured: keepalived 2.2.7 deletes its tables).
        self.firewall.stop();
        // keepalived's order: every instance's STOP, then the groups'.
        for g in 0..self.groups.len() {
            self.group_notify(g);
        }
        self.notifier
            .flush(Side::Vrrp, Duration::from_secs(10))
            .await;
    }
}

impl Runtime {
    /// Instance `idx`'s addresses in the firewall's sets as its state and plan say now
    /// (`verb`: keepalived's -D line, "setting" or "removing", for an instance not in accept
    /// mode).
    pub(super) fn firewall_follow(&mut self, idx: usize, verb: &str) {
        let r = &self.instances[idx];
        let accept = r.instance.accept();
        if !accept {
            debug!("({}) {verb} firewall drop rule", r.plan.name);
        }
        let master = r.instance.state() == State::Master;
        let mut keys = Vec::new();
        for v in r.plan.vips.iter().filter(|_| master && !accept) {
            // A link-local VIP is kept out on its interface, by index (keepalived's default).
            let ifindex = if firewall::is_link_local(&v.addr) {
                match super::kernel::ifindex(&v.dev) {
                    Ok(i) => Some(i),
                    Err(e) => {
                        warn!("({}) firewall: {} left out: {e}", r.plan.name, v.addr);
                        continue;
                    }
                }
            } else {
                None
            };
            keys.push(firewall::Key {
                addr: v.addr,
                ifindex,
            });
        }
        let drops = firewall::instance_drops(master, accept, keys);
        let name = r.plan.name.clone();
        self.firewall.set(&name, drops);
    }
}

/// keepalived's words for a burst and for one message: gratuitous ARP (IPv4) or unsolicited
/// neighbour advertisement (IPv6).
pub(super) fn gratuitous_words(addr: &IpAddr) -> (&'static str, &'static str) {
    if addr.is_ipv6() {
        (
            "unsolicited neighbour advertisements",
            "unsolicited neighbour advertisement",
        )
    } else {
        ("gratuitous ARPs", "gratuitous ARP")
    }
}

/// keepalived's `(VI_1) Entering MASTER STATE` lines for the transitions among `actions`, in
/// its words exactly (log rules match them) and before the addresses and GARPs they bring, as
/// keepalived orders them.
pub(super) fn log_transitions(name: &str, actions: &[Action]) {
    for a in actions {
        match *a {
            Action::Transition {
                to: State::Stop, ..
            } => {}
            Action::Transition {
                from: State::Initialize,
                to,
            } => {
                info!("({name}) Entering {} STATE (init)", notify::state_word(to))
            }
            Action::Transition { to, .. } => {
                info!("({name}) Entering {} STATE", notify::state_word(to))
            }
            _ => {}
        }
    }
}
