//! A reload of the VRRP side: the new plan applied by name, the difference only.
//!
//! - An instance whose plan is unchanged is not touched: its state, timers, addresses and
//!   adverts go on. Its tracking is recomputed from the trackers' statuses; when nothing it
//!   tracks changed, the verdict is the same and nothing is fed.
//! - An instance changed in place gets the new settings (`vrrp::Instance::reconfigure`): while
//!   Master, exactly the addresses, routes and rules added or removed are changed in the kernel
//!   (`diff::vrrp::gone_and_new`: one that stays is not touched); a new
//!   priority comes through its tracking, as tracking's changes do.
//! - An instance that cannot change in place (`diff::vrrp::restart_reason`, or the state
//!   machine's [`vrrp::Restart`]) is stopped and started anew: removed as keepalived 2.2.7
//!   removes it (FAULT or DELETED) when keepalived takes the new one for another instance
//!   (`diff::vrrp::is_another_instance`), else as on SIGTERM; an instance no longer in the
//!   file is removed the same way; a new one is started. A stopped instance's addresses are
//!   removed even with `-V` (that option is about the daemon stopping).
//! - Sync groups whose plan and members are unchanged go on; the others are rebuilt around
//!   their running members ([`vrrp::SyncGroup::rejoin`]).
//! - Trackers whose settings are unchanged go on with their state (`trackers`).
//!
//! Checks that could fail (a new instance's interface missing without `dynamic_interfaces`, a
//! track_file that cannot be initialised) are made before anything changes: a refused reload
//! leaves everything as it was.

use std::collections::VecDeque;

use tracing::{error, info, warn};
use vrrp::{Action, Input, State, SyncGroup, Time};

use super::instance;
use super::plan::{InstancePlan, Plan};
use super::{kernel, notify, Group, Runtime};
use crate::diff::vrrp::{is_another_instance, restart_reason, vips_with_new_options};
use crate::notifier::{self, Notice, Side};

/// What a reload does with one instance of the new plan.
enum Fate {
    /// Unchanged: index of the running instance.
    Keep(usize),
    /// Changed in place.
    Reconfigure(usize, InstancePlan),
    /// New, or restarted (the old one stopped first).
    Start(InstancePlan),
}

impl Runtime {
    /// Applies `plan`; on an error nothing was changed.
    pub(super) async fn reload(&mut self, plan: Plan) -> Result<(), String> {
        let now = self.now();
        // Decide, and check what could fail, before changing anything.
        let mut fates = Vec::with_capacity(plan.instances.len());
        let mut stop: Vec<usize> = Vec::new();
        for p in &plan.instances {
            let old = self.instances.iter().position(|r| r.plan.name == p.name);
            let fate = match old {
                Some(i) if self.instances[i].plan == *p => Fate::Keep(i),
                Some(i) if restart_reason(&self.instances[i].plan, p).is_none() => {
                    Fate::Reconfigure(i, p.clone())
                }
                Some(i) => {
                    stop.push(i);
                    Fate::Start(p.clone())
                }
                None => Fate::Start(p.clone()),
            };
            if let Fate::Start(p) = &fate {
                if !plan.dynamic_interfaces && kernel::ifindex(&p.interface).is_err() {
                    return Err(format!(
                        "vrrp_instance {}: interface {} does not exist (global_defs dynamic_interfaces allows it)",
                        p.name, p.interface
                    ));
                }
            }
            fates.push(fate);
        }
        for (i, r) in self.instances.iter().enumerate() {
            if !plan.instances.iter().any(|p| p.name == r.plan.name) {
                stop.push(i);
            }
        }
        self.trackers.reload(&plan).map_err(|e| e.to_string())?;
        self.set_link_delays(plan.link_delays.clone(), &plan.link_delay_notes);
        self.reload_statics(plan.statics.clone()).await;
        self.dynamic_interfaces = plan.dynamic_interfaces;
        self.no_email_faults = plan.no_email_faults;
        self.log_unknown_vrids = plan.log_unknown_vrids;
        let write_states = plan.fifo_write_states_on_reload;

        // Out of their groups first: a group must not react to a member it is losing.
        let in_groups: Vec<String> = self
            .groups
            .iter()
            .flat_map(|g| g.plan.members.iter().cloned())
            .collect();
        stop.sort_unstable();
        for &i in &stop {
            self.instances[i].group = None;
            let old = &self.instances[i].plan;
            match plan.instances.iter().find(|p| p.name == old.name) {
                Some(new) if !is_another_instance(old, new) => self.stop_instance(i, now).await,
                Some(_) => self.remove_instance(i, now, "replaced by the reload").await,
                None => self.remove_instance(i, now, "removed by the reload").await,
            }
        }
        // In place, before the indexes change.
        let mut restarted = Vec::new();
        for fate in &mut fates {
            if let Fate::Reconfigure(i, p) = fate {
                let i = *i;
                if let Err(why) = self.reconfigure(i, p.clone(), now).await {
                    info!("({}) {why}: stopping and starting it anew", p.name);
                    self.instances[i].group = None;
                    self.stop_instance(i, now).await;
                    restarted.push(i);
                    *fate = Fate::Start(p.clone());
                }
            }
        }
        // The VMACs of the instances stopped for good go, before new ones are made (a new one
        // may take the name of one that goes).
        let wanted: Vec<&super::vmac::Vmac> = plan
            .instances
            .iter()
            .filter_map(|p| p.vmac.as_ref())
            .collect();
        self.remove_vmacs(&wanted).await;
        // The new order: kept ones moved, new ones built.
        let mut old: Vec<Option<instance::Running>> = std::mem::take(&mut self.instances)
            .into_iter()
            .map(Some)
            .collect();
        let mut started = Vec::new();
        for fate in fates {
            let r = match fate {
                Fate::Keep(i) | Fate::Reconfigure(i, _) => old[i].take(),
                Fate::Start(p) => {
                    let name = p.name.clone();
                    let built = match self.make_vmac(&p).await {
                        Ok(()) => self.build(p),
                        Err(e) => Err(e),
                    };
                    match built {
                        Ok(r) => {
                            started.push(self.instances.len());
                            Some(r)
                        }
                        Err(e) => {
                            error!("({name}) {e}; not started");
                            None
                        }
                    }
                }
            };
            if let Some(r) = r {
                self.instances.push(r);
            }
        }
        let used: Vec<_> = self.instances.iter().map(|r| r.receiver).collect();
        self.receivers.retain_used(&used);

        // Sync groups: unchanged ones go on (re-indexed), the others are rebuilt.
        let mut old_groups: Vec<Group> = std::mem::take(&mut self.groups);
        let touched: Vec<String> = started
            .iter()
            .map(|&i| self.instances[i].plan.name.clone())
            .collect();
        let mut rebuilt = Vec::new();
        for gp in plan.groups {
            let same = old_groups
                .iter()
                .position(|g| g.plan == gp && !gp.members.iter().any(|m| touched.contains(m)));
            let group = match same {
                Some(i) => old_groups.swap_remove(i),
                None => {
                    rebuilt.push(self.groups.len());
                    Group {
                        sync: SyncGroup::new(gp.members.iter().cloned()),
                        members: Vec::new(),
                        notified: old_groups
                            .iter()
                            .find(|g| g.plan.name == gp.name)
                            .and_then(|g| g.notified),
                        sync_line: Default::default(),
                        plan: gp,
                    }
                }
            };
            self.groups.push(group);
        }
        self.index_groups();
        // Members of removed groups (in no group now) are released from their old group's
        // fault; members of rebuilt groups rejoin (put in Fault, or released).
        let grouped: Vec<String> = self
            .groups
            .iter()
            .flat_map(|g| g.plan.members.iter().cloned())
            .collect();
        for idx in 0..self.instances.len() {
            let name = &self.instances[idx].plan.name;
            if in_groups.contains(name) && !grouped.contains(name) {
                self.feed(idx, Input::GroupRelease, now).await;
            }
        }
        for g in rebuilt {
            let members = self.groups[g].members.clone();
            let states: Vec<State> = members
                .iter()
                .map(|&i| self.instances[i].instance.state())
                .collect();
            let own_faults: Vec<bool> = members
                .iter()
                .map(|&i| self.instances[i].instance.own_fault())
                .collect();
            let mut queue = VecDeque::new();
            let group = &mut self.groups[g];
            for (m, input) in group.sync.rejoin(&states, &own_faults) {
                if let Some(&target) = group.members.get(m) {
                    queue.push_back((target, input));
                }
            }
            while let Some((idx, input)) = queue.pop_front() {
                let actions = self.instances[idx].instance.handle(input, now);
                self.after(idx, actions, &mut queue).await;
            }
        }

        // Tracking of every instance that was running: what it tracks may have changed, or
        // its configured priority; an unchanged one gets the same verdict and nothing is fed.
        for idx in 0..self.instances.len() {
            if started.contains(&idx) {
                continue;
            }
            match instance::tracking(&self.instances[idx].plan, &self.trackers, &self.links) {
                Ok((tracking, ifs)) => {
                    let r = &mut self.instances[idx];
                    r.tracking = tracking;
                    r.tracked_ifs = ifs;
                    self.tracking_changed(idx, now).await;
                }
                Err(e) => error!("{e}"),
            }
        }
        if write_states {
            self.write_states();
        }
        self.to_start.extend(started);
        Ok(())
    }

    /// `fifo_write_vrrp_states_on_reload`: every sync group's state, then every running
    /// instance's, to the FIFOs only (no script, no mail), as keepalived orders them at start.
    /// keepalived 2.2.7 leaves out the instances that are MASTER (measured; its reload code
    /// skips them): an operator asking for the states wants all of them.
    fn write_states(&mut self) {
        for g in &self.groups {
            if let Some(state) = g.notified {
                self.notifier.notice(
                    Side::Vrrp,
                    Notice {
                        event: Some(notifier::Event::Group {
                            name: g.plan.name.clone(),
                            state,
                        }),
                        ..Notice::default()
                    },
                );
            }
        }
        for r in &self.instances {
            let state = r.instance.state();
            if state == State::Initialize {
                continue;
            }
            self.notifier.notice(
                Side::Vrrp,
                Notice {
                    event: Some(notifier::Event::Instance {
                        name: r.plan.name.clone(),
                        state,
                        priority: r.instance.priority(),
                    }),
                    ..Notice::default()
                },
            );
        }
    }

    /// Stops instance `idx` as on SIGTERM (a Master resigns with priority 0 and removes its
    /// addresses, notify_stop runs) and closes its socket; it stays in the vector until the
    /// reload rebuilds it.
    async fn stop_instance(&mut self, idx: usize, now: Time) {
        info!("({}) stopping (reload)", self.instances[idx].plan.name);
        let actions = self.instances[idx].instance.handle(Input::Shutdown, now);
        for a in actions {
            self.execute(idx, a).await;
        }
        self.instances[idx].socket = None;
    }

    /// Stops instance `idx`, which the reload removes or replaces by another of the same name
    /// (`is_another_instance`), as keepalived 2.2.7 does: as on SIGTERM,
    /// but its notifies say FAULT, or DELETED under `notify_deleted` (whose script runs), and
    /// neither notify_stop nor notify_fault runs (measured: `netns_reload.rs`).
    async fn remove_instance(&mut self, idx: usize, now: Time, why: &str) {
        info!("({}) {why}: stopping", self.instances[idx].plan.name);
        let actions = self.instances[idx].instance.handle(Input::Shutdown, now);
        for a in actions {
            match a {
                Action::Transition { from, to } => {
                    self.record_transition(idx, from, to);
                    let r = &self.instances[idx];
                    let (name, prio) = (r.plan.name.clone(), r.instance.priority());
                    let says_deleted = r.plan.notify.says_deleted;
                    // no_email_faults keeps the FAULT mail, not the DELETED one (measured).
                    let mails = r.plan.smtp_alert && (says_deleted || !self.no_email_faults);
                    self.notifier.notice(
                        Side::Vrrp,
                        Notice {
                            event: Some(notifier::Event::InstanceRemoved {
                                word: notify::deleted_word(&r.plan.notify),
                                name: name.clone(),
                                priority: prio,
                            }),
                            scripts: notify::deleted_commands(&r.plan.notify, &name, prio),
                            mail: mails
                                .then(|| notifier::mail::removed_instance(&name, says_deleted))
                                .flatten(),
                        },
                    );
                }
                a => self.execute(idx, a).await,
            }
        }
        self.instances[idx].socket = None;
    }

    /// Instance `idx` takes `new` in place; the state machine may refuse (a restart is due).
    async fn reconfigure(
        &mut self,
        idx: usize,
        new: InstancePlan,
        now: Time,
    ) -> Result<(), vrrp::Restart> {
        let r = &mut self.instances[idx];
        let mut config = new.config.clone();
        config.local_address = r.src;
        let actions = r.instance.reconfigure(config, now)?;
        let master = r.instance.state() == State::Master;
        let changed_options = vips_with_new_options(&r.plan, &new);
        let old = std::mem::replace(&mut r.plan, new);
        let name = old.name.clone();
        for a in actions {
            match a {
                // The removed addresses are only in the old plan, with their options.
                Action::RemoveVips(addrs) => {
                    for v in old.vips_among(&addrs) {
                        if let Err(e) = self.netlink.remove(v).await {
                            error!("({name}) {e}");
                        }
                    }
                    self.firewall_follow(idx, "removing");
                }
                // Only those added: not the routes, which `execute` adds with the addresses.
                Action::AddVips(addrs) => {
                    self.firewall_follow(idx, "setting");
                    let vips: Vec<_> = self.instances[idx]
                        .plan
                        .vips_among(&addrs)
                        .cloned()
                        .collect();
                    for v in &vips {
                        if let Err(e) = self.netlink.add(v).await {
                            error!("({name}) {e}");
                        }
                    }
                }
                other => self.execute(idx, other).await,
            }
        }
        let new = self.instances[idx].plan.clone();
        if master {
            for addr in &changed_options {
                let before = old.vips.iter().find(|v| v.addr == *addr);
                let after = new.vips.iter().find(|v| v.addr == *addr);
                if let (Some(b), Some(a)) = (before, after) {
                    if let Err(e) = self.netlink.remove(b).await {
                        warn!("({name}) {e}");
                    }
                    if let Err(e) = self.netlink.add(a).await {
                        error!("({name}) {e}");
                    }
                }
            }
            self.netlink
                .change_routes_and_rules(
                    (&old.routes, &old.rules),
                    (&new.routes, &new.rules),
                    |_, e| error!("({name}) {e}"),
                )
                .await;
        }
        for v in new
            .vips
            .iter()
            .filter(|v| !old.vips.iter().any(|o| o.dev == v.dev))
        {
            if let Err(e) = self.gratuitous.prepare(&v.dev, v.addr.is_ipv6()) {
                warn!("({name}) gratuitous messages on {}: {e}", v.dev);
            }
        }
        // A new mcast_src_ip: the socket is opened again from it (an address that is not
        // there puts the instance in FAULT, as one that goes away does).
        if old.src_ip != new.src_ip {
            self.refresh(idx, now).await;
        }
        Ok(())
    }
}
