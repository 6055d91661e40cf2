//! The VRRP daemon: the I/O edge around the sans-IO `vrrp` crate.
//!
//! ```text
//!  receive task per interface+family ──Packet──┐
//!  rtnetlink monitor (link, address) ──Kernel──┼──► Runtime::run (one task, owns every
//!  SIGTERM / SIGINT ───────────────────Stop────┘    Instance, sync group and tracking)
//!                                                    │ decode, dispatch by VRID, check,
//!                                                    │ Instance::handle, timers
//!                                                    ▼
//!          per-instance send socket (adverts), rtnetlink (VIPs), GARP/NA, notify queue (own task)
//! ```
//!
//! The loop owns all state (no globals): a reload can later diff a new [`plan::Plan`] against
//! the running one. Timers are the instances' own (`Instance::timers`): the loop sleeps until
//! the earliest and feeds `Input::Timer` for each one due, so `SetTimer`/`CancelTimer` need no
//! bookkeeping here.

pub mod file;
pub mod kernel;
pub mod net;
pub mod notify;
pub mod plan;
pub mod script;
pub mod track_process;

use std::io;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use std::collections::VecDeque;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tracing::{debug, error, info, warn};
use vrrp::{
    Action, Destination, DropCounters, DropKind, Expected, Input, Instance, State, Status,
    SyncGroup, Time, Tracked, Tracking, TrackingVerdict,
};

use kernel::{Gratuitous, KernelEvent, Netlink};
use net::{Received, Receiver, Sender};
use notify::NotifyQueue;
use plan::{InstancePlan, Plan};

/// Options from the command line that change how the VRRP side behaves.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// `-V`: leave the VIPs in place on stop.
    pub dont_release_vips: bool,
}

/// A script's name among an instance's tracked objects (interface names never contain ':').
fn script_key(name: &str) -> String {
    format!("script:{name}")
}

/// A track_file's name among an instance's tracked objects.
fn file_key(name: &str) -> String {
    format!("file:{name}")
}

/// A vrrp_track_process's name among an instance's tracked objects.
fn process_key(name: &str) -> String {
    format!("process:{name}")
}

/// How much earlier than a timer's deadline the loop wakes up to wait out the rest precisely.
const TIMER_SLACK: Duration = Duration::from_millis(2);

enum Event {
    Packet(usize, Received),
    /// A vrrp_script changed status: (name, OK).
    Script(String, bool),
    /// A track_file's value changed: (name, value).
    File(String, i64),
    /// A vrrp_track_process went up or down: (name, up).
    Process(String, bool),
    Kernel(KernelEvent),
    Stop,
}

/// One running instance.
struct Running {
    plan: InstancePlan,
    instance: Instance,
    /// None while the interface is missing or has no address.
    socket: Option<Sender>,
    /// Index into [`Runtime::receivers`].
    receiver: usize,
    /// 0 while the interface does not exist.
    ifindex: u32,
    /// Our adverts' source (the family's unspecified address until one is known).
    src: IpAddr,
    /// The interface exists, is up with carrier, and we have a source address: otherwise the
    /// instance is held in FAULT (`Input::InterfaceDown`).
    usable: bool,
    drops: DropCounters,
    /// The source of the last advert accepted, for keepalived's skip_check_adv_addr.
    last_master: Option<IpAddr>,
    /// track_interface: the objects with their weights, and the verdict last fed in.
    tracking: Tracking,
    verdict: TrackingVerdict,
    /// The tracked interfaces' indices (0 while an interface does not exist).
    tracked_ifs: Vec<(String, u32)>,
    /// The sync group and the member index in it.
    group: Option<(usize, usize)>,
    /// For the debug line on becoming Master: how long the last accepted advert waited
    /// between the kernel and the loop, and how late the last timer fired.
    rx_age: Duration,
    timer_late: Duration,
}

/// One receiving socket (interface and family) and what was dropped there before any instance
/// could be told (malformed packets, unknown VRIDs).
struct Rx {
    ifname: String,
    ipv6: bool,
    /// The interface index the socket was opened on (0: no socket, the interface is missing).
    ifindex: u32,
    socket: Option<Arc<Receiver>>,
    /// The multicast groups the instances on this interface use.
    groups: Vec<IpAddr>,
    drops: DropCounters,
    /// The task reading `socket`.
    task: Option<tokio::task::AbortHandle>,
}

/// (Re)opens a receiving socket on interface `ifindex`, joined to the groups; the reading task
/// is started by [`spawn_rx`].
fn open_rx(rx: &mut Rx, ifindex: u32) -> io::Result<()> {
    if let Some(t) = rx.task.take() {
        t.abort();
    }
    rx.socket = None;
    let socket = Receiver::open(&rx.ifname, ifindex, rx.ipv6).map_err(|e| {
        io::Error::new(
            e.kind(),
            format!("VRRP receive socket on {}: {e}", rx.ifname),
        )
    })?;
    for g in &rx.groups {
        socket
            .join(*g)
            .map_err(|e| io::Error::new(e.kind(), format!("joining {g} on {}: {e}", rx.ifname)))?;
    }
    rx.socket = Some(Arc::new(socket));
    rx.ifindex = ifindex;
    Ok(())
}

/// Starts the task that reads receiver `idx`'s socket into the event queue.
fn spawn_rx(rx: &mut Rx, idx: usize, tx: mpsc::UnboundedSender<Event>) {
    let Some(sock) = rx.socket.clone() else {
        return;
    };
    let name = rx.ifname.clone();
    let task = tokio::spawn(async move {
        loop {
            match sock.recv().await {
                Ok(p) => {
                    if tx.send(Event::Packet(idx, p)).is_err() {
                        break;
                    }
                }
                Err(e) => {
                    warn!("{name}: VRRP receive error: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
    });
    rx.task = Some(task.abort_handle());
}

/// What an instance's interface offers now: its index (0: missing), whether it is up with
/// carrier, and the source address for our adverts (or why there is none).
fn probe(p: &InstancePlan) -> (u32, bool, Result<IpAddr, String>) {
    let Ok(index) = kernel::ifindex(&p.interface) else {
        return (
            0,
            false,
            Err(format!("interface {} does not exist", p.interface)),
        );
    };
    let up = kernel::link_up(&p.interface).unwrap_or(false);
    let src = match p.src_ip {
        Some(s) => Ok(s),
        None => {
            let vips: Vec<IpAddr> = p.vips.iter().map(|v| v.addr).collect();
            kernel::primary_address(&p.interface, p.ipv6, &vips).map_err(|e| e.to_string())
        }
    };
    (index, up, src)
}

pub struct Runtime {
    epoch: Instant,
    instances: Vec<Running>,
    receivers: Vec<Rx>,
    groups: Vec<SyncGroup>,
    /// Each group's members as instance indices, in the group's member order.
    group_members: Vec<Vec<usize>>,
    /// Each group's notify scripts and the state last notified.
    group_notify: Vec<(String, plan::Notify, Option<State>)>,
    netlink: Netlink,
    gratuitous: Gratuitous,
    notify: NotifyQueue,
    options: Options,
    events: mpsc::UnboundedReceiver<Event>,
    events_tx: mpsc::UnboundedSender<Event>,
}

impl Runtime {
    /// Opens sockets and netlink for every instance of `plan`. Must run inside a tokio runtime.
    pub fn new(plan: Plan, options: Options) -> io::Result<Runtime> {
        let (events_tx, events) = mpsc::unbounded_channel();
        for fp in &plan.files {
            file::init(fp).map_err(|e| {
                io::Error::new(
                    e.kind(),
                    format!("track_file {}: {}: {e}", fp.name, fp.path.display()),
                )
            })?;
        }
        let procs = if plan.processes.is_empty() {
            Vec::new()
        } else {
            track_process::scan(std::path::Path::new("/proc"))
        };
        let process_up: Vec<bool> = plan
            .processes
            .iter()
            .zip(track_process::counts(&plan.processes, &procs))
            .map(|(pp, n)| track_process::up(pp, n))
            .collect();
        let mut instances = Vec::new();
        let mut receivers: Vec<Rx> = Vec::new();
        for p in plan.instances.iter().cloned() {
            let (ifindex, up, src) = probe(&p);
            if ifindex == 0 && !plan.dynamic_interfaces {
                // keepalived refuses to start then too (dynamic_interfaces allows it).
                return Err(io::Error::new(
                    io::ErrorKind::NotFound,
                    format!(
                        "{}: interface {} does not exist (global_defs dynamic_interfaces \
                         allows it)",
                        p.name, p.interface
                    ),
                ));
            }
            let mut config = p.config.clone();
            if let Ok(a) = src {
                config.local_address = a;
            }
            let src_addr = config.local_address;
            let instance =
                Instance::new(config).map_err(|e| io::Error::other(format!("{}: {e}", p.name)))?;
            let socket = match (&src, ifindex) {
                (Ok(a), i) if i != 0 => Some(Sender::open(&p.interface, i, *a).map_err(|e| {
                    io::Error::new(
                        e.kind(),
                        format!("{}: VRRP socket on {}: {e}", p.name, p.interface),
                    )
                })?),
                _ => None,
            };
            let usable = up && socket.is_some();
            if !usable {
                let why = match &src {
                    _ if ifindex == 0 => format!("interface {} does not exist", p.interface),
                    Err(e) => e.clone(),
                    Ok(_) => format!("interface {} is down", p.interface),
                };
                warn!("({}) entering FAULT state ({why})", p.name);
            }
            let receiver = match receivers
                .iter()
                .position(|r: &Rx| r.ifname == p.interface && r.ipv6 == p.ipv6)
            {
                Some(i) => i,
                None => {
                    receivers.push(Rx {
                        ifname: p.interface.clone(),
                        ipv6: p.ipv6,
                        ifindex: 0,
                        socket: None,
                        groups: Vec::new(),
                        drops: DropCounters::new(),
                        task: None,
                    });
                    receivers.len() - 1
                }
            };
            let rx = &mut receivers[receiver];
            let new_group =
                p.config.unicast_peers.is_empty() && !rx.groups.contains(&p.mcast_group);
            if new_group {
                rx.groups.push(p.mcast_group);
            }
            if rx.socket.is_none() && ifindex != 0 {
                open_rx(rx, ifindex)?;
            } else if let Some(sock) = rx.socket.as_ref() {
                if new_group {
                    sock.join(p.mcast_group).map_err(|e| {
                        io::Error::new(
                            e.kind(),
                            format!(
                                "{}: joining {} on {}: {e}",
                                p.name, p.mcast_group, p.interface
                            ),
                        )
                    })?;
                }
            }
            let mut tracking = Tracking::new(p.config.priority);
            let mut tracked_ifs = Vec::new();
            for t in &p.track_interface {
                let up = kernel::link_up(&t.name).unwrap_or_else(|e| {
                    warn!("({}) track_interface {}: {e}", p.name, t.name);
                    false
                });
                tracking
                    .add(Tracked {
                        name: t.name.clone(),
                        weight: t.weight,
                        reverse: t.reverse,
                        status: if up { Status::Up } else { Status::Down },
                    })
                    .map_err(|e| io::Error::other(format!("{}: {e}", p.name)))?;
                tracked_ifs.push((t.name.clone(), kernel::ifindex(&t.name).unwrap_or(0)));
            }
            for t in &p.track_script {
                let init_fail = plan
                    .scripts
                    .iter()
                    .find(|s| s.name == t.name)
                    .is_some_and(|s| s.init_fail);
                tracking
                    .add(Tracked {
                        name: script_key(&t.name),
                        weight: t.weight,
                        reverse: t.reverse,
                        status: if init_fail { Status::Down } else { Status::Up },
                    })
                    .map_err(|e| io::Error::other(format!("{}: {e}", p.name)))?;
            }
            for t in &p.track_file {
                let value = plan
                    .files
                    .iter()
                    .find(|f| f.name == t.name)
                    .map_or(0, |f| file::read_value(&f.path));
                tracking
                    .add(Tracked {
                        name: file_key(&t.name),
                        weight: t.weight,
                        reverse: t.reverse,
                        status: Status::Value(value),
                    })
                    .map_err(|e| io::Error::other(format!("{}: {e}", p.name)))?;
            }
            for t in &p.track_process {
                let up = plan
                    .processes
                    .iter()
                    .position(|pp| pp.name == t.name)
                    .and_then(|i| process_up.get(i).copied())
                    .unwrap_or(false);
                tracking
                    .add(Tracked {
                        name: process_key(&t.name),
                        weight: t.weight,
                        reverse: t.reverse,
                        status: if up { Status::Up } else { Status::Down },
                    })
                    .map_err(|e| io::Error::other(format!("{}: {e}", p.name)))?;
            }
            let verdict = TrackingVerdict {
                fault: false,
                priority: p.config.priority,
            };
            instances.push(Running {
                plan: p,
                instance,
                socket,
                receiver,
                ifindex,
                src: src_addr,
                usable,
                drops: DropCounters::new(),
                last_master: None,
                tracking,
                verdict,
                tracked_ifs,
                group: None,
                rx_age: Duration::ZERO,
                timer_late: Duration::ZERO,
            });
        }
        let mut groups = Vec::new();
        for (g, gp) in plan.groups.iter().enumerate() {
            for (member, &idx) in gp.members.iter().enumerate() {
                if let Some(r) = instances.get_mut(idx) {
                    r.group = Some((g, member));
                }
            }
            groups.push(SyncGroup::new(
                gp.members
                    .iter()
                    .filter_map(|&i| instances.get(i))
                    .map(|r| r.plan.name.clone()),
            ));
        }
        let (ftx, mut frx) = mpsc::unbounded_channel();
        for fp in &plan.files {
            file::spawn(fp.clone(), file::read_value(&fp.path), ftx.clone());
        }
        let tx = events_tx.clone();
        tokio::spawn(async move {
            while let Some((name, v)) = frx.recv().await {
                if tx.send(Event::File(name, v)).is_err() {
                    break;
                }
            }
        });
        let (ptx, mut prx) = mpsc::unbounded_channel();
        track_process::spawn(plan.processes.clone(), process_up, ptx);
        let tx = events_tx.clone();
        tokio::spawn(async move {
            while let Some((name, up)) = prx.recv().await {
                if tx.send(Event::Process(name, up)).is_err() {
                    break;
                }
            }
        });
        let (stx, mut srx) = mpsc::unbounded_channel();
        for sp in &plan.scripts {
            script::spawn(sp.clone(), stx.clone());
        }
        let tx = events_tx.clone();
        tokio::spawn(async move {
            while let Some((name, up)) = srx.recv().await {
                if tx.send(Event::Script(name, up)).is_err() {
                    break;
                }
            }
        });
        let (ktx, mut krx) = mpsc::unbounded_channel();
        kernel::monitor(ktx)?;
        let tx = events_tx.clone();
        tokio::spawn(async move {
            while let Some(ev) = krx.recv().await {
                if tx.send(Event::Kernel(ev)).is_err() {
                    break;
                }
            }
        });
        let mut gratuitous = Gratuitous::default();
        for r in &instances {
            for v in &r.plan.vips {
                if let Err(e) = gratuitous.prepare(&v.dev, v.addr.is_ipv6()) {
                    warn!("({}) gratuitous messages on {}: {e}", r.plan.name, v.dev);
                }
            }
        }
        Ok(Runtime {
            epoch: Instant::now(),
            instances,
            receivers,
            groups,
            group_members: plan.groups.iter().map(|g| g.members.clone()).collect(),
            group_notify: plan
                .groups
                .iter()
                .map(|g| (g.name.clone(), g.notify.clone(), None))
                .collect(),
            netlink: Netlink::open()?,
            gratuitous,
            notify: NotifyQueue::start(),
            options,
            events,
            events_tx,
        })
    }

    /// A sender that stops the loop (for the signal handler).
    pub fn stopper(&self) -> impl Fn() + Send + 'static {
        let tx = self.events_tx.clone();
        move || {
            let _ = tx.send(Event::Stop);
        }
    }

    fn now(&self) -> Time {
        Time(Instant::now().saturating_duration_since(self.epoch))
    }

    fn instant(&self, t: Time) -> Instant {
        self.epoch + t.0
    }

    /// Runs until stopped: start-up (left-over VIPs removed while Backup), then the event loop,
    /// then shutdown (priority-0 adverts, VIPs removed unless `-V`, notify_stop).
    pub async fn run(mut self) {
        // The loop's last stretch before a deadline is a nanosleep: without this the kernel
        // may make it up to 50 us (the default timer slack) late. The loop runs on this
        // thread (a current-thread runtime).
        if let Err(e) = nix::sys::prctl::set_timerslack(1) {
            debug!("timer slack: {e}");
        }
        for (idx, r) in self.receivers.iter_mut().enumerate() {
            spawn_rx(r, idx, self.events_tx.clone());
        }
        for idx in 0..self.instances.len() {
            // VIPs left behind by an earlier run that was killed: we are not Master yet.
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
            let now = self.now();
            if !self.instances[idx].usable {
                self.feed(idx, Input::InterfaceDown, now).await;
            }
            self.tracking_changed(idx, now).await;
            self.feed(idx, Input::Startup, now).await;
        }
        loop {
            let next = self
                .instances
                .iter()
                .filter_map(|r| r.instance.timer().map(|(_, at)| at))
                .min();
            let deadline = next.map(|t| self.instant(t));
            // tokio's timers tick in whole milliseconds and its driver's epoll timeout rounds
            // up, so a timer fires up to ~2 ms late. Wake up to TIMER_SLACK early instead and
            // sleep the rest precisely (nanosleep): the loop is blocked for at most that long,
            // and Master_Down/advert timers keep to the protocol's limits within a fraction of
            // a millisecond.
            let early = deadline.map(|d| d.checked_sub(TIMER_SLACK).unwrap_or(d));
            let ev = tokio::select! {
                ev = self.events.recv() => ev,
                _ = async { tokio::time::sleep_until(early.unwrap_or_else(Instant::now)).await }, if early.is_some() => {
                    if let Some(d) = deadline {
                        let left = d.saturating_duration_since(Instant::now());
                        if !left.is_zero() {
                            std::thread::sleep(left);
                        }
                    }
                    self.fire_timers().await;
                    continue;
                }
            };
            match ev {
                Some(Event::Packet(idx, p)) => self.packet(idx, p).await,
                Some(Event::Kernel(k)) => self.kernel_event(k).await,
                Some(Event::Script(name, up)) => self.script_event(&name, up).await,
                Some(Event::File(name, v)) => self.file_event(&name, v).await,
                Some(Event::Process(name, up)) => self.process_event(&name, up).await,
                Some(Event::Stop) | None => break,
            }
        }
        self.shutdown().await;
    }

    async fn fire_timers(&mut self) {
        let now = self.now();
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
                self.feed(idx, Input::Timer(kind), now).await;
            }
        }
    }

    /// A packet from receiver `rx`: decoded once, then given to the instance of its VRID on that
    /// interface and family, if any.
    async fn packet(&mut self, rx: usize, p: Received) {
        // The advert counts from when the kernel received it: the Master_Down timer it
        // restarts must not also run for the time it spent reaching us.
        let age = p
            .stamp
            .and_then(|t| std::time::SystemTime::now().duration_since(t).ok())
            .filter(|a| *a < Duration::from_secs(1))
            .unwrap_or_default();
        let now = Time(self.now().0.saturating_sub(age));
        let advert = match vrrp::decode(&p.payload, p.src, p.dst, p.ttl) {
            Ok(a) => a,
            Err(reason) => {
                let r = &mut self.receivers[rx];
                r.drops.record(&reason);
                warn!("{}: dropped a packet from {}: {reason}", r.ifname, p.src);
                return;
            }
        };
        let Some(idx) = self
            .instances
            .iter()
            .position(|r| r.receiver == rx && r.plan.config.vrid == advert.vrid)
        else {
            // Another VRID on the same link is normal: not ours, not worth a log line.
            self.receivers[rx]
                .drops
                .record(&vrrp::DropReason::UnknownVrid(advert.vrid));
            return;
        };
        let r = &mut self.instances[idx];
        let expected = Expected {
            vrid: r.plan.config.vrid,
            version: r.plan.expected_version(),
            addresses: r.plan.config.vips.clone(),
            skip_check_adv_addr: r.plan.skip_check_adv_addr && r.last_master == Some(p.src),
        };
        if let Err(reason) = vrrp::check(&advert, &expected) {
            r.drops.record(&reason);
            warn!(
                "({}) dropped an advert from {}: {reason}",
                r.plan.name, p.src
            );
            return;
        }
        r.last_master = Some(p.src);
        r.rx_age = age;
        self.feed(
            idx,
            Input::Advert {
                advert,
                from: p.src,
            },
            now,
        )
        .await;
    }

    async fn kernel_event(&mut self, ev: KernelEvent) {
        let now = self.now();
        match ev {
            KernelEvent::Link { index, up } => {
                self.tracked_link(index, Some(up), now).await;
                self.refresh_interfaces(index, None, now).await;
            }
            KernelEvent::LinkGone { index } => {
                self.tracked_link(index, None, now).await;
                self.refresh_interfaces(index, None, now).await;
            }
            KernelEvent::AddressAdded { index, addr } => {
                self.refresh_interfaces(index, Some(addr), now).await;
            }
            KernelEvent::AddressRemoved { index, addr } => {
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
            if r.ifindex != index && r.ifindex != 0 {
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
    async fn refresh(&mut self, idx: usize, now: Time) {
        let (index, up, src) = probe(&self.instances[idx].plan);
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
            if self.receivers[rx].ifindex != index {
                let rxr = &mut self.receivers[rx];
                if let Some(t) = rxr.task.take() {
                    t.abort();
                }
                rxr.socket = None;
                rxr.ifindex = 0;
                if index != 0 {
                    match open_rx(rxr, index) {
                        Ok(()) => spawn_rx(rxr, rx, self.events_tx.clone()),
                        Err(e) => error!("({name}) {e}"),
                    }
                }
            }
        }
        let r = &mut self.instances[idx];
        if let Ok(a) = &src {
            if *a != r.src {
                if !r.src.is_unspecified() {
                    info!("({name}) source address {} -> {a}", r.src);
                }
                r.src = *a;
                r.instance.set_local_address(*a);
                r.socket = None;
            }
        }
        if r.socket.is_none() && index != 0 && src.is_ok() {
            match Sender::open(&r.plan.interface, index, r.src) {
                Ok(s) => r.socket = Some(s),
                Err(e) => error!("({name}) VRRP socket on {}: {e}", r.plan.interface),
            }
        }
        let usable = index != 0 && up && src.is_ok() && r.socket.is_some();
        if usable == r.usable {
            return;
        }
        r.usable = usable;
        if usable {
            info!("({name}) interface {} is usable again", r.plan.interface);
            self.feed(idx, Input::InterfaceUp, now).await;
        } else {
            let why = match src {
                _ if index == 0 => format!("interface {} does not exist", r.plan.interface),
                _ if !up => format!("interface {} is down", r.plan.interface),
                Err(e) => e,
                Ok(_) => "no VRRP socket".to_string(),
            };
            warn!("({name}) entering FAULT state ({why})");
            self.feed(idx, Input::InterfaceDown, now).await;
        }
    }

    /// Feeds one input to an instance and carries out its answer, in order; the transitions of
    /// a sync group member are passed to its group, whose answers are fed in turn.
    async fn feed(&mut self, idx: usize, input: Input, now: Time) {
        let mut queue = VecDeque::from([(idx, input)]);
        while let Some((idx, input)) = queue.pop_front() {
            let actions = self.instances[idx].instance.handle(input, now);
            if let Some((g, member)) = self.instances[idx].group {
                let members = &self.group_members[g];
                for (m, inp) in self.groups[g].on_actions(member, &actions) {
                    if let Some(&target) = members.get(m) {
                        queue.push_back((target, inp));
                    }
                }
            }
            let transition = actions
                .iter()
                .any(|a| matches!(a, Action::Transition { .. }));
            for a in actions {
                self.execute(idx, a).await;
            }
            if let (true, Some((g, _))) = (transition, self.instances[idx].group) {
                self.group_notify(g);
            }
        }
    }

    /// Queues a sync group's notify scripts when its members' states add up to a new state.
    fn group_notify(&mut self, g: usize) {
        let states: Vec<State> = self.group_members[g]
            .iter()
            .map(|&i| self.instances[i].instance.state())
            .collect();
        let Some(state) = notify::group_state(&states) else {
            return;
        };
        let (name, scripts, last) = &mut self.group_notify[g];
        if *last == Some(state) {
            return;
        }
        *last = Some(state);
        info!(
            "(sync group {name}) Entering {} STATE",
            notify::state_word(state)
        );
        for cmd in notify::group_commands(scripts, name, state) {
            self.notify.push(cmd);
        }
    }

    async fn script_event(&mut self, name: &str, up: bool) {
        let now = self.now();
        info!(
            "vrrp_script {name}: {}",
            if up { "succeeded" } else { "failed" }
        );
        let key = script_key(name);
        for idx in 0..self.instances.len() {
            let status = if up { Status::Up } else { Status::Down };
            if self.instances[idx].tracking.set_status(&key, status) {
                self.tracking_changed(idx, now).await;
            }
        }
    }

    async fn process_event(&mut self, name: &str, up: bool) {
        let now = self.now();
        info!(
            "vrrp_track_process {name}: {}",
            if up { "up (quorum reached)" } else { "down" }
        );
        let key = process_key(name);
        for idx in 0..self.instances.len() {
            let status = if up { Status::Up } else { Status::Down };
            if self.instances[idx].tracking.set_status(&key, status) {
                self.tracking_changed(idx, now).await;
            }
        }
    }

    async fn file_event(&mut self, name: &str, value: i64) {
        let now = self.now();
        info!("track_file {name}: value {value}");
        let key = file_key(name);
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
    async fn tracking_changed(&mut self, idx: usize, now: Time) {
        let r = &mut self.instances[idx];
        let new = r.tracking.verdict();
        let old = std::mem::replace(&mut r.verdict, new);
        if old != new {
            info!(
                "({}) tracking: priority {}{}",
                r.plan.name,
                new.priority,
                if new.fault { ", FAULT" } else { "" }
            );
        }
        for input in vrrp::verdict_inputs(old, new) {
            self.feed(idx, input, now).await;
        }
    }

    async fn execute(&mut self, idx: usize, action: Action) {
        let r = &self.instances[idx];
        let name = &r.plan.name;
        match action {
            Action::SendAdvert { mut advert, to } => {
                advert.checksum = r.plan.checksum;
                let dst = match to {
                    Destination::Multicast => r.plan.mcast_group,
                    Destination::Unicast(a) => a,
                };
                match advert.encode(r.src, dst) {
                    Ok(bytes) => {
                        let sent = match &r.socket {
                            Some(s) => s.send(&bytes, dst),
                            None => Err(io::Error::other("no socket (interface not usable)")),
                        };
                        if let Err(e) = sent {
                            // A down link is reported by netlink too; keep this quiet-ish.
                            debug!("({name}) sending advert to {dst}: {e}");
                        }
                    }
                    Err(e) => error!("({name}) cannot encode advert: {e}"),
                }
            }
            Action::AddVips(addrs) => {
                let vips: Vec<_> = r.plan.vips_among(&addrs).cloned().collect();
                let routes = r.plan.routes.clone();
                let name = name.clone();
                for v in &vips {
                    if let Err(e) = self.netlink.add(v).await {
                        error!("({name}) {e}");
                    }
                }
                // Routes after the addresses (a route may use a VIP as its source).
                for rt in &routes {
                    if let Err(e) = self.netlink.add_route(rt).await {
                        error!("({name}) {e}");
                    }
                }
            }
            Action::RemoveVips(addrs) => {
                let vips: Vec<_> = r.plan.vips_among(&addrs).cloned().collect();
                let routes = r.plan.routes.clone();
                let name = name.clone();
                for rt in &routes {
                    if let Err(e) = self.netlink.remove_route(rt).await {
                        error!("({name}) {e}");
                    }
                }
                for v in &vips {
                    if let Err(e) = self.netlink.remove(v).await {
                        error!("({name}) {e}");
                    }
                }
            }
            Action::SendGratuitous { vips, count } => {
                let targets: Vec<(String, IpAddr)> = r
                    .plan
                    .vips_among(&vips)
                    .map(|v| (v.dev.clone(), v.addr))
                    .collect();
                let interval = r.plan.gratuitous_interval;
                let name = name.clone();
                if interval.is_zero() {
                    for _ in 0..count {
                        for (dev, addr) in &targets {
                            if let Err(e) = self.gratuitous.send(dev, *addr) {
                                warn!("({name}) gratuitous message for {addr} on {dev}: {e}");
                            }
                        }
                    }
                } else {
                    // Spaced bursts: the first message now, the rest from a task of their own
                    // with a sender of its own, so the loop never waits.
                    for (dev, addr) in &targets {
                        if let Err(e) = self.gratuitous.send(dev, *addr) {
                            warn!("({name}) gratuitous message for {addr} on {dev}: {e}");
                        }
                    }
                    if count > 1 {
                        tokio::spawn(async move {
                            let mut g = Gratuitous::default();
                            for _ in 1..count {
                                tokio::time::sleep(interval).await;
                                for (dev, addr) in &targets {
                                    let _ = g.send(dev, *addr);
                                }
                            }
                        });
                    }
                }
            }
            Action::SetTimer { .. } | Action::CancelTimer(_) => {}
            Action::Transition { from, to } => {
                let prio = r.instance.priority();
                if to == State::Master {
                    debug!(
                        "({name}) timing: last advert reached the loop {} us after the kernel; \
                         last timer fired {} us late",
                        r.rx_age.as_micros(),
                        r.timer_late.as_micros()
                    );
                }
                info!(
                    "({name}) Entering {} STATE (from {})",
                    notify::state_word(to),
                    notify::state_word(from)
                );
                for cmd in notify::commands(&r.plan.notify, name, to, prio) {
                    self.notify.push(cmd);
                }
            }
        }
    }

    async fn shutdown(&mut self) {
        info!("stopping");
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
        for r in &self.receivers {
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
        self.notify.flush(Duration::from_secs(10)).await;
    }
}
