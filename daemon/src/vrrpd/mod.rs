//! The VRRP daemon: the I/O edge around the sans-IO `vrrp` crate.
//!
//! ```text
//!  receive task per interface+family ──Packet──┐
//!  rtnetlink monitor (link, address) ──Kernel──┤
//!  tracker tasks (scripts, files, /proc) ──────┼──► Runtime::run (one task, owns every
//!  Handle: reload, stop ────────────Command────┘    instance, sync group and tracker)
//!                                                    │ decode, dispatch by VRID, check,
//!                                                    │ Instance::handle, timers
//!                                                    ▼
//!          per-instance send socket (adverts), rtnetlink (VIPs), GARP/NA, notify queue (own task)
//! ```
//!
//! The loop owns all state (no globals). Instances, sync groups and trackers are matched by
//! name across a reload ([`reload`]); within one configuration they are held in vectors whose
//! indexes the loop rebuilds on reload. Tasks that feed the loop carry no index: receivers have
//! ids that are never reused, trackers report by name. Timers are the instances' own
//! (`Instance::timers`): the loop sleeps until the earliest and feeds `Input::Timer` for each one
//! due, so `SetTimer`/`CancelTimer` need no bookkeeping here.
//!
//! Files: `instance` (one running instance and how it is built), `receivers` (the receiving
//! sockets), `trackers` (vrrp_script, track_file, vrrp_track_process tasks), `events` (the
//! loop's inputs), `execute` (the instances' actions), `reload`.

pub mod address_line;
pub mod droplog;
pub mod events;
pub mod execute;
pub mod file;
pub mod firewall;
pub mod garp_pace;
pub mod group_line;
pub mod instance;
pub mod kernel;
pub mod link_delay;
pub mod net;
pub mod notify;
pub mod observe;
pub mod plan;
pub mod receivers;
pub mod reload;
pub mod route;
pub mod route_line;
pub mod rule;
pub mod script;
pub mod statics;
pub mod timer;
pub mod track_process;
pub mod trackers;
pub mod vmac;

use std::collections::VecDeque;
use std::io;
use std::sync::Arc;

use tokio::sync::{mpsc, oneshot, watch};
use tokio::time::Instant;
use tracing::{debug, error, info, warn};
use vrrp::{Action, Input, State, SyncGroup, Time};

use instance::Running;
use kernel::{Gratuitous, KernelEvent, Netlink};
use net::Received;
use plan::{GroupPlan, Plan};
use receivers::{Receivers, RxId};
use trackers::Trackers;

use crate::notifier::{self, Notice, Notifier, Side};
use crate::snapshot::VrrpSnapshot;

/// Options from the command line that change how the VRRP side behaves.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// `-V`: leave the VIPs in place on stop.
    pub dont_release_vips: bool,
    /// `-a`: log every address added or removed, as netlink reports them.
    pub address_monitoring: bool,
}

/// What the daemon asks of the running loop.
pub enum Command {
    /// Apply a reload's plan (checked already); the answer says whether it was applied, or
    /// why nothing was changed.
    Reload(Box<Plan>, oneshot::Sender<Result<(), String>>),
    /// keepalived's STATS_CLEAR: the counters start again from zero; answered, once the
    /// snapshot with the cleared counters is published, with the loop's state just before
    /// clearing (the stats dump: no count is lost between a publication and the clear).
    ClearStats(oneshot::Sender<Arc<VrrpSnapshot>>),
    Stop,
    /// Answer at once: the systemd watchdog's proof that the loop is turning.
    Ping(oneshot::Sender<()>),
    /// Test hook (the daemon sends it only when `KEEPALIVED_RS_TEST_STALL_VRRP_MS` is set): the
    /// loop stops turning, as one stuck on an await that never ends would.
    Stall,
    /// Hold (true) or release an instance's preemption (`vrrp::Input::PreemptHold`): the sync
    /// daemon's controller, while a fresh backup sync daemon catches up. An unknown name is
    /// ignored.
    PreemptHold {
        instance: String,
        hold: bool,
    },
}

pub enum Event {
    Packet(RxId, Received),
    /// A vrrp_script changed status: (name, OK).
    Script(String, bool),
    /// A track_file's value changed: (name, value).
    File(String, i64),
    /// A vrrp_track_process went up or down: (name, up).
    Process(String, bool),
    /// A bfd_instance's session went Up or left Up: (name, up).
    Bfd(String, bool),
    Kernel(KernelEvent),
    Command(Command),
}

/// A way into the running loop, for the signal handlers, and its published snapshots.
#[derive(Clone)]
pub struct Handle {
    events: mpsc::UnboundedSender<Event>,
    snapshots: watch::Receiver<Arc<VrrpSnapshot>>,
    bfd: watch::Receiver<crate::bfdd::Sessions>,
}

impl Handle {
    pub fn stop(&self) {
        let _ = self.events.send(Event::Command(Command::Stop));
    }

    /// The loop's snapshots, the latest first ([`crate::snapshot`]).
    pub fn snapshots(&self) -> watch::Receiver<Arc<VrrpSnapshot>> {
        self.snapshots.clone()
    }

    /// The BFD sessions as the BFD loop last published them (its own publication: state
    /// changes at once, the rest at most 0.5 s old).
    pub fn bfd_sessions(&self) -> crate::bfdd::Sessions {
        self.bfd.borrow().clone()
    }

    /// Asks the loop to answer; the answer comes when it has turned to the request. Err when
    /// the loop has stopped.
    pub fn ping(&self) -> Result<oneshot::Receiver<()>, ()> {
        let (tx, rx) = oneshot::channel();
        self.events
            .send(Event::Command(Command::Ping(tx)))
            .map_err(|_| ())?;
        Ok(rx)
    }

    /// [`Command::PreemptHold`]; callable from any thread.
    pub fn hold_preemption(&self, instance: &str, hold: bool) {
        let _ = self.events.send(Event::Command(Command::PreemptHold {
            instance: instance.to_string(),
            hold,
        }));
    }

    /// The test hook [`Command::Stall`].
    pub fn stall(&self) {
        let _ = self.events.send(Event::Command(Command::Stall));
    }

    /// A handle on a channel of the caller's (tests stand in for the loop).
    #[cfg(test)]
    pub(crate) fn from_sender(events: mpsc::UnboundedSender<Event>) -> Handle {
        Handle {
            events,
            snapshots: watch::channel(Arc::new(VrrpSnapshot::default())).1,
            bfd: watch::channel(Default::default()).1,
        }
    }

    /// Clears the counters; resolves once the cleared snapshot is published, with the state
    /// just before clearing (None if the loop has stopped).
    pub async fn clear_stats(&self) -> Option<Arc<VrrpSnapshot>> {
        let (tx, rx) = oneshot::channel();
        self.events
            .send(Event::Command(Command::ClearStats(tx)))
            .ok()?;
        rx.await.ok()
    }

    /// Asks the loop to apply `plan`; the answer comes when it has (or refused it).
    pub fn reload(&self, plan: Plan) -> oneshot::Receiver<Result<(), String>> {
        let (tx, rx) = oneshot::channel();
        if let Err(mpsc::error::SendError(Event::Command(Command::Reload(_, tx)))) = self
            .events
            .send(Event::Command(Command::Reload(Box::new(plan), tx)))
        {
            let _ = tx.send(Err("the VRRP loop has stopped".into()));
        }
        rx
    }
}

/// A sync group: its plan, its coordinator, its members' instance indexes, and the state last
/// notified.
pub(crate) struct Group {
    plan: GroupPlan,
    sync: SyncGroup,
    members: Vec<usize>,
    notified: Option<State>,
    /// When keepalived's `Syncing instances to ...` line is due.
    sync_line: group_line::SyncLine,
}

pub struct Runtime {
    epoch: Instant,
    /// Wakes the loop at the instances' earliest timer ([`timer`]).
    timer: timer::DeadlineTimer,
    instances: Vec<Running>,
    receivers: Receivers,
    groups: Vec<Group>,
    trackers: Trackers,
    dynamic_interfaces: bool,
    /// static_ipaddress, static_routes and static_rules (`statics`).
    statics: statics::Statics,
    /// Whether each of `statics.addresses` is installed (keepalived's `set`).
    static_set: Vec<bool>,
    netlink: Netlink,
    /// The nftables sets of the VIPs of Masters not in accept mode (`firewall`).
    firewall: firewall::Firewall,
    /// The instances' VMACs (`use_vmac`) and the sysctls to give back at stop.
    vmacs: vmac::Vmacs,
    gratuitous: Gratuitous,
    /// Scripts, FIFO lines and mails of each transition (off this loop).
    notifier: Notifier,
    /// global_defs `no_email_faults`.
    no_email_faults: bool,
    /// global_defs `log_unknown_vrids`.
    log_unknown_vrids: bool,
    options: Options,
    events: mpsc::UnboundedReceiver<Event>,
    events_tx: mpsc::UnboundedSender<Event>,
    /// Instances added by a reload, started at the top of the loop.
    to_start: Vec<usize>,
    /// When global_defs' `vrrp_startup_delay` ends, if it was set: an instance started (or
    /// restarted by a reload) before then waits for it.
    startup_delay_end: Option<Time>,
    /// Dropped packets' log lines, rate-limited.
    droplog: droplog::DropLog,
    /// `interface_up_down_delays`: link changes held until they have lasted their delay.
    links: link_delay::Debounce,
    /// Gratuitous ARPs/NAs spaced per interface, the ones waiting for their turn.
    garp_pacer: garp_pace::Pacer,
    /// The published snapshots (`observe`): a transition publishes at once, counters at most
    /// once a `snapshot::PUBLISH_PERIOD`.
    snapshots: watch::Sender<Arc<VrrpSnapshot>>,
    publish_now: bool,
    snapshot_dirty: bool,
    last_publish: Instant,
}

impl Runtime {
    /// Opens sockets and netlink for every instance of `plan` (its VMAC made first) and starts
    /// its trackers. Must run inside a tokio runtime.
    pub async fn new(plan: Plan, options: Options, notifier: Notifier) -> io::Result<Runtime> {
        let (events_tx, events) = mpsc::unbounded_channel();
        let trackers = Trackers::start(&plan, &events_tx)?;
        let ktx = forward_kernel(&events_tx);
        kernel::monitor(ktx, options.address_monitoring)?;
        let mut rt = Runtime {
            epoch: Instant::now(),
            timer: timer::DeadlineTimer::new()?,
            instances: Vec::new(),
            receivers: Receivers::default(),
            groups: Vec::new(),
            trackers,
            dynamic_interfaces: plan.dynamic_interfaces,
            statics: plan.statics.clone(),
            static_set: Vec::new(),
            netlink: Netlink::open()?,
            firewall: firewall::Firewall::new(plan.firewall.clone()),
            vmacs: vmac::Vmacs::default(),
            gratuitous: Gratuitous::default(),
            notifier,
            no_email_faults: plan.no_email_faults,
            log_unknown_vrids: plan.log_unknown_vrids,
            options,
            events,
            events_tx,
            to_start: Vec::new(),
            startup_delay_end: None,
            droplog: droplog::DropLog::default(),
            links: link_delay::Debounce::default(),
            garp_pacer: garp_pace::Pacer::default(),
            snapshots: watch::Sender::new(Arc::new(VrrpSnapshot::default())),
            publish_now: true,
            snapshot_dirty: false,
            last_publish: Instant::now(),
        };
        rt.set_link_delays(plan.link_delays.clone(), &plan.link_delay_notes);
        if let Some(note) = &plan.firewall_note {
            info!("{note}");
        }
        for p in plan.instances {
            rt.make_vmac(&p)
                .await
                .map_err(|e| io::Error::new(e.kind(), format!("({}) {e}", p.name)))?;
            let r = rt.build(p)?;
            rt.instances.push(r);
            rt.to_start.push(rt.instances.len() - 1);
        }
        rt.groups = plan
            .groups
            .into_iter()
            .map(|g| Group {
                sync: SyncGroup::new(g.members.iter().cloned()),
                members: Vec::new(),
                notified: None,
                sync_line: Default::default(),
                plan: g,
            })
            .collect();
        rt.index_groups();
        if !plan.startup_delay.is_zero() {
            info!(
                "Delaying startup for {} seconds",
                crate::dump::text::secs(plan.startup_delay)
            );
            rt.startup_delay_end = Some(rt.now() + plan.startup_delay);
        }
        Ok(rt)
    }

    /// Builds an instance of `p` with its receiver listening.
    fn build(&mut self, p: plan::InstancePlan) -> io::Result<Running> {
        let rx = self
            .receivers
            .for_interface(&p.interface, p.ipv6, p.ah_key.is_some());
        let r = instance::build(p, rx, self.dynamic_interfaces, &self.trackers, &self.links)?;
        let group = r
            .plan
            .config
            .unicast_peers
            .is_empty()
            .then_some(r.plan.mcast_group);
        self.receivers
            .listen(rx, r.ifindex, group, &self.events_tx)
            .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", r.plan.name)))?;
        for v in &r.plan.vips {
            if let Err(e) = self.gratuitous.prepare(&v.dev, v.addr.is_ipv6()) {
                warn!("({}) gratuitous messages on {}: {e}", r.plan.name, v.dev);
            }
        }
        Ok(r)
    }

    /// The plan's `interface_up_down_delays` (at start, and a reload's): keepalived's lines for
    /// the delays capped, and the state of each link with delays taken as it is now.
    fn set_link_delays(
        &mut self,
        delays: std::collections::BTreeMap<String, link_delay::Delays>,
        notes: &[String],
    ) {
        for line in notes {
            info!("{line}");
        }
        let now = self.now();
        self.links.reconfigure(delays, now);
        let names: Vec<String> = self.links.names().map(str::to_string).collect();
        for name in names {
            if let Ok((up, flags)) = kernel::link_state(&name) {
                self.links.seed(&name, up, flags);
            }
        }
    }

    /// Makes (or adopts) the VMAC of `p`, if it has one, before its instance is built.
    async fn make_vmac(&mut self, p: &plan::InstancePlan) -> io::Result<()> {
        let Some(v) = &p.vmac else { return Ok(()) };
        let index = self.vmacs.create(self.netlink.handle(), &p.name, v).await?;
        if v.ipv6 {
            // The table first: from its link-local address on, the kernel sends MLD reports and
            // router solicitations from the macvlan, which it must catch.
            let base = kernel::ifindex(&v.base)?;
            self.firewall.set_vmac(&p.name, Some((index, base)));
            self.vmacs
                .copy_link_local(self.netlink.handle(), v, index)
                .await?;
        }
        Ok(())
    }

    /// Removes the VMACs made for instances no longer in `wanted` (the running plans, or none at
    /// stop), once their instances have stopped.
    async fn remove_vmacs(&mut self, wanted: &[&vmac::Vmac]) {
        for (instance, v) in std::mem::take(&mut self.vmacs.made) {
            if wanted.contains(&&v) {
                self.vmacs.made.push((instance, v));
            } else {
                if v.ipv6 {
                    self.firewall.set_vmac(&instance, None);
                }
                self.gratuitous.forget(&v.name);
                self.vmacs
                    .remove(self.netlink.handle(), &instance, &v.name)
                    .await;
            }
        }
    }

    /// Each group's members as instance indexes, and each instance's group, from the names.
    fn index_groups(&mut self) {
        for r in &mut self.instances {
            r.group = None;
        }
        for (g, group) in self.groups.iter_mut().enumerate() {
            group.members.clear();
            for (m, name) in group.plan.members.iter().enumerate() {
                if let Some(i) = self.instances.iter().position(|r| &r.plan.name == name) {
                    group.members.push(i);
                    self.instances[i].group = Some((g, m));
                }
            }
        }
    }

    /// A handle for stopping and reloading the loop, and reading its snapshots.
    pub fn handle(&self) -> Handle {
        Handle {
            events: self.events_tx.clone(),
            snapshots: self.snapshots.subscribe(),
            bfd: self.trackers.bfd_sessions(),
        }
    }

    fn now(&self) -> Time {
        Time(Instant::now().saturating_duration_since(self.epoch))
    }

    fn instant(&self, t: Time) -> Instant {
        self.epoch + t.0
    }

    /// Starts instance `idx`: left-over VIPs, routes and rules of an earlier run removed while
    /// it is not Master yet, FAULT if its interface is not usable, its tracking fed, then
    /// Startup.
    async fn start_instance(&mut self, idx: usize) {
        for rl in self.instances[idx].plan.rules.clone() {
            if let Ok(true) = self.netlink.remove_rule(&rl).await {
                info!(
                    "({}) removed left-over rule {}",
                    self.instances[idx].plan.name, rl.text
                );
            }
        }
        for rt in self.instances[idx].plan.routes.clone() {
            if let Ok(true) = self.netlink.remove_route(&rt).await {
                info!(
                    "({}) removed left-over route {}",
                    self.instances[idx].plan.name, rt.text
                );
            }
        }
        let vips = self.instances[idx].plan.vips.clone();
        let src = self.instances[idx].src;
        debug!("({}) removing VIPs.", self.instances[idx].plan.name);
        for v in vips.iter().filter(|v| v.addr != src) {
            match self.netlink.remove(v).await {
                Ok(true) => info!(
                    "({}) removed left-over VIP {}",
                    self.instances[idx].plan.name, v.addr
                ),
                Ok(false) => {}
                Err(e) => warn!("({}) {e}", self.instances[idx].plan.name),
            }
        }
        self.firewall_follow(idx, "removing");
        let now = self.now();
        if let Some(end) = self.startup_delay_end.filter(|&end| now < end) {
            self.feed(idx, Input::StartupDelay(end), now).await;
        }
        if !self.instances[idx].usable {
            self.feed(idx, Input::InterfaceDown, now).await;
        }
        self.tracking_changed(idx, now).await;
        self.feed(idx, Input::Startup, now).await;
    }

    /// Runs until stopped: start-up (left-over VIPs removed while Backup), then the event loop,
    /// then shutdown (priority-0 adverts, VIPs removed unless `-V`, notify_stop).
    pub async fn run(mut self) {
        // The instances' timers are a timerfd's (no slack); this is for the rest of the
        // loop's waits: without it the kernel may make one up to 50 us (the default timer
        // slack) late. The loop runs on this thread (a current-thread runtime).
        if let Err(e) = nix::sys::prctl::set_timerslack(1) {
            debug!("timer slack: {e}");
        }
        // Before any instance has a state, as keepalived.
        self.install_statics().await;
        let mut started = false;
        loop {
            for idx in std::mem::take(&mut self.to_start) {
                self.start_instance(idx).await;
            }
            if !std::mem::replace(&mut started, true) {
                info!("Startup complete");
            }
            self.publish();
            let next = self
                .instances
                .iter()
                .filter_map(|r| r.instance.timer().map(|(_, at)| at))
                .chain(self.links.next_due())
                .chain(self.garp_pacer.next_due())
                .min();
            let deadline = next.map(|t| self.instant(t));
            // The timer, not tokio's (whole milliseconds, up to ~2 ms late): Master_Down and
            // advert timers keep to the protocol's limits within a fraction of a millisecond.
            // It blocks this thread for the last ~2 ms before a deadline ([`timer::LEAD`]).
            if let Err(e) = self.timer.arm(deadline) {
                error!("cannot set the VRRP timer: {e}");
            }
            let drops_due = self.droplog.next_due().map(Instant::from_std);
            let ev = tokio::select! {
                ev = self.events.recv() => ev,
                _ = async { tokio::time::sleep_until(drops_due.unwrap_or_else(Instant::now)).await }, if drops_due.is_some() => {
                    for line in self.droplog.due(std::time::Instant::now()) {
                        warn!("{line}");
                    }
                    continue;
                }
                fired = self.timer.expired(), if deadline.is_some() => {
                    if let Err(e) = fired {
                        error!("the VRRP timer: {e}");
                    }
                    self.fire_timers().await;
                    continue;
                }
            };
            match ev {
                Some(Event::Packet(rx, p)) => self.packet(rx, p).await,
                Some(Event::Kernel(k)) => self.kernel_event(k).await,
                Some(Event::Script(name, up)) => self.script_event(&name, up).await,
                Some(Event::File(name, v)) => self.file_event(&name, v).await,
                Some(Event::Process(name, up)) => self.process_event(&name, up).await,
                Some(Event::Bfd(name, up)) => self.bfd_event(&name, up).await,
                Some(Event::Command(Command::Reload(plan, answer))) => {
                    let result = self.reload(*plan).await;
                    self.publish_now = true;
                    let _ = answer.send(result);
                }
                Some(Event::Command(Command::ClearStats(done))) => {
                    let before = Arc::new(self.snapshot());
                    self.clear_stats();
                    self.publish();
                    let _ = done.send(before);
                }
                Some(Event::Command(Command::Ping(pong))) => {
                    let _ = pong.send(());
                }
                Some(Event::Command(Command::PreemptHold { instance, hold })) => {
                    if let Some(idx) = self.instances.iter().position(|r| r.plan.name == instance) {
                        let input = if hold {
                            Input::PreemptHold
                        } else {
                            Input::PreemptRelease
                        };
                        let now = self.now();
                        self.feed(idx, input, now).await;
                    }
                }
                Some(Event::Command(Command::Stall)) => {
                    warn!("test hook: the VRRP loop stalls (KEEPALIVED_RS_TEST_STALL_VRRP_MS)");
                    std::future::pending::<()>().await
                }
                Some(Event::Command(Command::Stop)) | None => break,
            }
        }
        self.shutdown().await;
    }

    /// Feeds one input to an instance and carries out its answer, in order; the transitions of
    /// a sync group member are passed to its group, whose answers are fed in turn.
    async fn feed(&mut self, idx: usize, input: Input, now: Time) {
        let mut queue = VecDeque::from([(idx, input)]);
        while let Some((idx, input)) = queue.pop_front() {
            let actions = self.instances[idx].instance.handle(input, now);
            self.after(idx, actions, &mut queue).await;
        }
    }

    /// Carries out `actions` of instance `idx`: its group's answers to its transitions are
    /// queued, then the actions run, then the group's notify scripts if its state changed.
    async fn after(
        &mut self,
        idx: usize,
        actions: Vec<Action>,
        queue: &mut VecDeque<(usize, Input)>,
    ) {
        if let Some((g, member)) = self.instances[idx].group {
            let view = self.instances[idx].instance.member_view();
            let group = &mut self.groups[g];
            for (m, inp) in group.sync.on_member(member, view, &actions) {
                if m != member {
                    group.sync_line.others_moved();
                }
                if let Some(&target) = group.members.get(m) {
                    queue.push_back((target, inp));
                }
            }
        }
        let entered = actions.iter().rev().find_map(|a| match a {
            Action::Transition { to, .. } => Some(*to),
            _ => None,
        });
        let transition = entered.is_some();
        execute::log_transitions(&self.instances[idx].plan.name, &actions);
        if let (Some(to), Some((g, _))) = (entered, self.instances[idx].group) {
            let group = &mut self.groups[g];
            if let Some(state) = group.sync_line.entered(to) {
                info!("{}", group_line::text(&group.plan.name, state));
            }
        }
        for a in actions {
            self.execute(idx, a).await;
        }
        if let (true, Some((g, _))) = (transition, self.instances[idx].group) {
            self.group_notify(g);
        }
    }

    /// Queues a sync group's notify scripts when its members' states add up to a new state.
    fn group_notify(&mut self, g: usize) {
        let states: Vec<State> = self.groups[g]
            .members
            .iter()
            .map(|&i| self.instances[i].instance.state())
            .collect();
        let Some(state) = notify::group_state(&states) else {
            return;
        };
        let owners = self.groups[g]
            .members
            .iter()
            .all(|&i| self.instances[i].instance.priority() == 255);
        let group = &mut self.groups[g];
        let due = notify::group_notice_due(group.notified, state, owners);
        group.notified = Some(state);
        if !due {
            return;
        }
        let name = &group.plan.name;
        let mails = notifier::mail::vrrp_mails(group.plan.smtp_alert, self.no_email_faults, state);
        self.notifier.notice(
            Side::Vrrp,
            Notice {
                event: Some(notifier::Event::Group {
                    name: name.clone(),
                    state,
                }),
                scripts: notify::group_commands(&group.plan.notify, name, state),
                mail: mails.then(|| notifier::mail::group(name, state)).flatten(),
            },
        );
    }
}

/// The rtnetlink monitor's events into the loop's.
fn forward_kernel(events: &mpsc::UnboundedSender<Event>) -> mpsc::UnboundedSender<KernelEvent> {
    let (ktx, mut krx) = mpsc::unbounded_channel();
    let tx = events.clone();
    tokio::spawn(async move {
        while let Some(ev) = krx.recv().await {
            if tx.send(Event::Kernel(ev)).is_err() {
                break;
            }
        }
    });
    ktx
}
