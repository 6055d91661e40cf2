//! The BFD loop: every `bfd_instance`'s session (the `bfd` crate's state machine) in one tokio
//! task, with one receiving socket on UDP port 3784 and a sending socket per session
//! (`net`). keepalived runs them in its BFD child; here they run on the VRRP loop's runtime,
//! started by the VRRP side's trackers (`vrrpd::trackers`), which hear each session going Up
//! and leaving Up (for `track_bfd`).
//!
//! ```text
//!  UDP 3784 ──► decode ──► session (by Your Discriminator, else by source) ──► events
//!  timer (earliest next_timeout) ──► session.handle_timeout ───────────────────► events
//!  events: Send ──► the session's socket; state, detection time ──► log (keepalived's lines);
//!          Up / no longer Up ──► (name, up) to the VRRP loop
//!  Command::Reload(plans) ──► sessions kept, reconfigured (Poll Sequence), replaced, added, removed
//! ```
//!
//! Log lines are keepalived 2.2.7's (measured): `(NAME) Entering Up state`, `(NAME) Entering
//! Down state (Local diagnostic - ..., Remote diagnostic - ...)`, `(NAME) Expired after 50 ms
//! (40 usec overdue)`, `       Detection time is 50000 us (was 5000000 us)`; at stop nothing is
//! sent (keepalived sends no AdminDown either: its peer times out).

pub mod net;
pub mod plan;

use std::io;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use bfd::{Event, Session, State, Time};
use tokio::sync::{mpsc, watch};
use tracing::{debug, error, info, warn};

pub use plan::SessionPlan;

/// A session going Up (`true`) or leaving Up (`false`), by name, for the VRRP side.
pub type Reports = mpsc::UnboundedSender<(String, bool)>;

enum Command {
    Reload(Vec<SessionPlan>),
}

/// One session as the data dump shows it (keepalived's `BFD Topology`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionDump {
    pub plan: SessionPlan,
    pub state: bfd::Snapshot,
    /// Our own detection multiplier and transmission interval (before jitter).
    pub local_tx_interval: Duration,
    pub send_error: bool,
    /// When the last packet came, on the wall clock.
    pub last_seen: Option<SystemTime>,
}

/// Every session, as last published by the loop.
pub type Sessions = Arc<Vec<SessionDump>>;

/// How often the loop publishes its sessions when nothing but packets happened.
const PUBLISH_PERIOD: Duration = Duration::from_millis(500);

/// The way into a running BFD loop; dropping it stops the loop.
pub struct Handle {
    tx: mpsc::UnboundedSender<Command>,
}

impl Handle {
    /// Brings the running sessions to `plans` (by name).
    pub fn reload(&self, plans: Vec<SessionPlan>) {
        let _ = self.tx.send(Command::Reload(plans));
    }
}

/// Opens the receiving socket and starts the loop with `plans`, publishing its sessions on
/// `publish` (state changes at once, the rest at most 0.5 s old). Fails only when port 3784
/// cannot be had (a session whose own socket cannot be opened is logged and not run).
pub fn spawn(
    plans: Vec<SessionPlan>,
    reports: Reports,
    publish: watch::Sender<Sessions>,
) -> io::Result<Handle> {
    let rx = net::receiver()?;
    let (tx, commands) = mpsc::unbounded_channel();
    let mut l = Loop {
        sessions: Vec::new(),
        epoch: Instant::now(),
        reports,
        publish,
        published: Instant::now(),
        changed: false,
    };
    l.reload(plans);
    l.publish();
    tokio::spawn(l.run(rx, commands));
    Ok(Handle { tx })
}

struct Running {
    plan: SessionPlan,
    session: Session,
    socket: std::net::UdpSocket,
    /// What the VRRP side was last told.
    up: bool,
    /// Whether the last send failed (logged once, and once when sending works again).
    send_failing: bool,
}

struct Loop {
    sessions: Vec<Running>,
    epoch: Instant,
    reports: Reports,
    publish: watch::Sender<Sessions>,
    published: Instant,
    /// Something other than a packet happened since the last publication.
    changed: bool,
}

impl Loop {
    fn now(&self) -> Time {
        Time(self.epoch.elapsed())
    }

    fn publish(&mut self) {
        let now = self.now();
        let wall = SystemTime::now();
        let dumps = self
            .sessions
            .iter()
            .map(|r| {
                let state = r.session.snapshot();
                SessionDump {
                    plan: r.plan.clone(),
                    local_tx_interval: state.tx_interval,
                    send_error: r.send_failing,
                    last_seen: state
                        .last_received
                        .and_then(|t| wall.checked_sub(now.saturating_since(t))),
                    state,
                }
            })
            .collect();
        self.publish.send_replace(Arc::new(dumps));
        self.published = Instant::now();
        self.changed = false;
    }

    /// Publishes at once after a change, else once a period.
    fn maybe_publish(&mut self) {
        if self.changed || self.published.elapsed() >= PUBLISH_PERIOD {
            self.publish();
        }
    }

    async fn run(
        mut self,
        rx: tokio::net::UdpSocket,
        mut commands: mpsc::UnboundedReceiver<Command>,
    ) {
        let mut buf = [0u8; 512];
        loop {
            let deadline = self
                .sessions
                .iter()
                .filter_map(|s| s.session.next_timeout())
                .min()
                .map(|t| tokio::time::Instant::from_std(self.epoch + t.0));
            let sleep = async {
                match deadline {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                cmd = commands.recv() => match cmd {
                    Some(Command::Reload(plans)) => {
                        self.reload(plans);
                        self.changed = true;
                    }
                    None => return,
                },
                ready = rx.readable() => {
                    if let Err(e) = ready {
                        error!("BFD: the receiving socket failed: {e}; no session can stay Up");
                        return;
                    }
                    loop {
                        match net::try_recv(&rx, &mut buf) {
                            Ok(r) => self.received(&buf[..r.len.min(buf.len())], r),
                            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                            Err(e) => {
                                debug!("BFD: receive error: {e}");
                                break;
                            }
                        }
                    }
                }
                () = sleep => {
                    let now = self.now();
                    for i in 0..self.sessions.len() {
                        if self.sessions[i].session.next_timeout().is_some_and(|t| t <= now) {
                            let events = self.sessions[i].session.handle_timeout(now, fastrand::u32(..));
                            self.execute(i, events);
                        }
                    }
                }
            }
            self.maybe_publish();
        }
    }

    fn received(&mut self, bytes: &[u8], r: net::Received) {
        let from = IpAddr::V4(*r.from.ip());
        let packet = match bfd::decode(bytes) {
            Ok(p) => p,
            Err(e) => {
                debug!(
                    "BFD: discarding packet from [{from}]:{}: {e}",
                    r.from.port()
                );
                return;
            }
        };
        let found = if packet.your_discriminator != 0 {
            self.sessions
                .iter()
                .position(|s| s.session.local_discriminator() == packet.your_discriminator)
        } else {
            self.sessions.iter().position(|s| s.plan.neighbor == from)
        };
        let Some(i) = found.filter(|&i| self.sessions[i].plan.neighbor == from) else {
            // keepalived's words.
            info!(
                "Discarding packet from [{from}]:{} (session is not found - your discriminator \
                 field is 0x{:08x})",
                r.from.port(),
                packet.your_discriminator
            );
            return;
        };
        let s = &self.sessions[i];
        if r.ttl.unwrap_or(0) < s.plan.min_received_ttl {
            warn!(
                "({}) Discarding packet from [{from}]:{}: TTL {} below {} (RFC 5881; max_hops)",
                s.plan.name,
                r.from.port(),
                r.ttl.unwrap_or(0),
                s.plan.min_received_ttl
            );
            return;
        }
        let now = self.now();
        let events = self.sessions[i]
            .session
            .handle_packet(&packet, now, fastrand::u32(..));
        self.execute(i, events);
    }

    fn execute(&mut self, i: usize, events: Vec<Event>) {
        if events.iter().any(|e| !matches!(e, Event::Send(_))) {
            self.changed = true;
        }
        let s = &mut self.sessions[i];
        let name = &s.plan.name;
        for e in events {
            match e {
                Event::Send(p) => match net::send(&s.socket, s.plan.neighbor, &p.encode()) {
                    Ok(()) if s.send_failing => {
                        s.send_failing = false;
                        info!("({name}) sending works again");
                    }
                    Ok(()) => {}
                    Err(e) if !s.send_failing => {
                        s.send_failing = true;
                        warn!("({name}) cannot send to {}: {e}", s.plan.neighbor);
                    }
                    Err(_) => {}
                },
                Event::StateChanged { to: State::Up, .. } => info!("({name}) Entering Up state"),
                Event::StateChanged {
                    to: State::Down,
                    local_diag,
                    remote_diag,
                    ..
                } => info!(
                    "({name}) Entering Down state (Local diagnostic - {}, Remote diagnostic - {})",
                    local_diag.text(),
                    remote_diag.text()
                ),
                // keepalived does not log Init (measured, also under -D).
                Event::StateChanged { to, .. } => debug!("({name}) Entering {} state", to.name()),
                Event::DetectionTimeChanged { was, now } => info!(
                    "       Detection time is {} us (was {} us)",
                    now.as_micros(),
                    was.as_micros()
                ),
                Event::Expired { after, overdue } => info!(
                    "({name}) Expired after {} ms ({} usec overdue)",
                    after.as_millis(),
                    overdue.as_micros()
                ),
                Event::PollStarted => debug!("({name}) Starting poll sequence"),
            }
        }
        let up = s.session.state() == State::Up;
        if up != s.up {
            s.up = up;
            if s.plan.to_vrrp {
                let _ = self.reports.send((s.plan.name.clone(), up));
            }
        }
    }

    /// Sessions by name: unchanged ones go on, those whose timers or passive mode changed are
    /// reconfigured (a Poll Sequence when Up, as keepalived's reload was seen to do), those
    /// whose addresses or TTL changed start again, removed ones stop (silently: keepalived
    /// sends nothing either), new ones start.
    fn reload(&mut self, plans: Vec<SessionPlan>) {
        let now = self.now();
        let mut old = std::mem::take(&mut self.sessions);
        for p in plans {
            let kept = old
                .iter()
                .position(|r| r.plan.name == p.name)
                .map(|at| old.swap_remove(at));
            match kept {
                Some(mut r)
                    if r.plan.neighbor == p.neighbor
                        && r.plan.source == p.source
                        && r.plan.ttl == p.ttl =>
                {
                    let events = if r.plan.config != p.config {
                        r.session.reconfigure(p.config, now, fastrand::u32(..))
                    } else {
                        Vec::new()
                    };
                    r.plan = p;
                    self.sessions.push(r);
                    let i = self.sessions.len() - 1;
                    self.execute(i, events);
                }
                other => {
                    let was_up = other.is_some_and(|r| r.up);
                    let name = p.name.clone();
                    match net::sender(p.source, p.ttl) {
                        Ok(socket) => {
                            let discr = self.fresh_discriminator(&old);
                            self.sessions.push(Running {
                                session: Session::new(p.config, discr, now),
                                plan: p,
                                socket,
                                up: false,
                                send_failing: false,
                            });
                        }
                        Err(e) => {
                            error!(
                                "({}) cannot open a socket to send from ({e}); the session is \
                                 not run and stays down",
                                p.name
                            );
                        }
                    }
                    if was_up {
                        let _ = self.reports.send((name, false));
                    }
                }
            }
        }
    }

    /// A random non-zero discriminator no session (running or being replaced) has.
    fn fresh_discriminator(&self, others: &[Running]) -> u32 {
        loop {
            let d = fastrand::u32(1..);
            let taken = self
                .sessions
                .iter()
                .chain(others)
                .any(|r| r.session.local_discriminator() == d);
            if !taken {
                return d;
            }
        }
    }
}
