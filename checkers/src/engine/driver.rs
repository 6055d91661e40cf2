//! The engine's one task: every checker's timing from one [`Schedule`], the checks due at the
//! same time started together, TCP_CHECKs without a future each ([`connect`]), the other
//! probes' futures polled only when woken.
//!
//! ```text
//!  Command (start, stop, suspend) ─► Driver ──CheckEvent──► the daemon
//!                                    │ Schedule: deadlines of all checkers (one heap, one timer)
//!                                    │ Batch: TCP connects started, one poll(2) for all of them
//!                                    │ in_flight: other probes' futures, and connects slower
//!                                    ▼ than PEEK_DELAY (woken by the reactor)
//! ```
//!
//! Wake-ups: one per timer tick in which something is due (a check, a look at the connects),
//! plus one per readiness of a slow connect or other probe. A turn starts at most [`TURN`]
//! checks, then yields, so that a burst of due checks cannot hold the thread (which also runs
//! the daemon's LVS loop) for long. While it starts them it looks at the connects every
//! [`PEEK_EVERY`] starts: the checks started together must not all be seen to end together
//! after the last start, or their next checks would fall due together again, each check late
//! by the whole batch's start, round after round.
//!
//! [`connect`]: super::connect

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use futures::future::{AbortHandle, Abortable};
use futures::stream::{FuturesUnordered, StreamExt};
use futures::FutureExt;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};
use tokio::time::{Instant, Sleep};
use tracing::warn;

use super::connect::{Batch, Connecting, Peeked};
use super::ratelimit::RateLimit;
use super::rules::warmup_delay;
use super::schedule::{Due, Schedule};
use super::{CheckEvent, CheckerId, Failure, Probe, ProbeResult, Success, Timing};
use crate::latency::Latency;

/// What the [`Engine`](super::Engine) asks of its task.
pub(super) enum Command {
    Start {
        id: CheckerId,
        timing: Timing,
        probe: Arc<dyn Probe>,
        latency: Arc<Latency>,
    },
    Stop(CheckerId),
    /// Suspend (true) or resume (false) these checkers ([`Schedule::suspend`]).
    Suspend(Vec<CheckerId>, bool),
}

type Finished = (Due, ProbeResult);
/// A check in flight as a future; None when it was stopped.
type InFlight = Pin<Box<dyn Future<Output = Option<Finished>> + Send>>;

/// Checks started per turn at most.
pub(super) const TURN: usize = 256;

/// Within a turn, the clock is read again (and the connects looked at, when their PEEK_DELAY is
/// over) after this many starts.
const PEEK_EVERY: usize = 8;

/// Failures to make a check here (no socket) are logged at most once in this period.
const LOCAL_FAILURE_LOG_PERIOD: Duration = Duration::from_secs(10);

pub(super) struct Driver {
    schedule: Schedule,
    /// None once every [`Engine`](super::Engine) handle is gone (or there never was one).
    commands: Option<UnboundedReceiver<Command>>,
    events: UnboundedSender<CheckEvent>,
    in_flight: FuturesUnordered<InFlight>,
    /// By slot: how to stop the future in flight of each checker, with its ticket.
    aborts: Vec<Option<(u64, AbortHandle)>>,
    batch: Batch,
    peeked: Vec<Peeked>,
    sleep: Pin<Box<Sleep>>,
    sleep_at: Option<Instant>,
    local_failures: RateLimit,
}

impl Driver {
    pub fn new(
        events: UnboundedSender<CheckEvent>,
        commands: Option<UnboundedReceiver<Command>>,
    ) -> Driver {
        Driver {
            schedule: Schedule::default(),
            commands,
            events,
            in_flight: FuturesUnordered::new(),
            aborts: Vec::new(),
            batch: Batch::default(),
            peeked: Vec::new(),
            sleep: Box::pin(tokio::time::sleep_until(Instant::now())),
            sleep_at: None,
            local_failures: RateLimit::new(LOCAL_FAILURE_LOG_PERIOD),
        }
    }

    /// Adds a checker; its first check falls due after a random part of its warmup.
    pub fn insert(
        &mut self,
        id: CheckerId,
        timing: Timing,
        probe: Arc<dyn Probe>,
        latency: Arc<Latency>,
        now: Instant,
    ) -> Result<(), String> {
        let first = now + warmup_delay(timing.warmup);
        self.schedule.insert(id, timing, probe, latency, first)
    }

    pub fn len(&self) -> usize {
        self.schedule.len()
    }

    fn command(&mut self, c: Command, now: Instant) {
        match c {
            Command::Start {
                id,
                timing,
                probe,
                latency,
            } => {
                if let Err(e) = self.insert(id, timing, probe, latency, now) {
                    warn!("{e}; not run");
                }
            }
            Command::Suspend(ids, on) => {
                for id in ids {
                    self.schedule.suspend(id, on);
                }
            }
            Command::Stop(id) => {
                if let Some(index) = self.schedule.remove(id) {
                    // A probe in flight is dropped at once (a MISC_CHECK's script is killed);
                    // a connect waiting for its look is closed then.
                    if let Some(Some((_, h))) =
                        self.aborts.get_mut(index as usize).map(Option::take)
                    {
                        h.abort();
                    }
                }
            }
        }
    }

    /// Starts the check `due`: a TCP connect into the batch, any other probe as a future.
    fn start(&mut self, due: Due, now: Instant) -> bool {
        let Some(slot) = self.schedule.slot(due.slot) else {
            return true;
        };
        if let Some(conn) = slot.probe.tcp_connect() {
            return match conn.start_connect() {
                Ok(socket) => {
                    self.batch.push(Connecting {
                        due,
                        socket,
                        target: conn.target(),
                        started: now,
                        connect_timeout: conn.connect_timeout,
                    });
                    true
                }
                Err(f) => self.finished(due, Err(f), now),
            };
        }
        let probe = slot.probe.clone();
        self.spawn(due, async move { (due, probe.probe().await) });
        true
    }

    /// A connect still in progress after its first look: waited for in the reactor, for the
    /// rest of its connect_timeout.
    fn slow(&mut self, c: Connecting) {
        let Some(slot) = self
            .schedule
            .slot(c.due.slot)
            .filter(|_| self.schedule.is_current(c.due))
        else {
            return; // stopped since: the socket is closed here
        };
        let probe = slot.probe.clone();
        let deadline = c.deadline();
        let (due, socket) = (c.due, c.socket);
        self.spawn(due, async move {
            let result = match probe.tcp_connect() {
                Some(conn) => conn
                    .finish_connect(socket, deadline)
                    .await
                    .map(|_| Success::default()),
                None => Err(Failure::Local("not a TCP connect".into())),
            };
            (due, result)
        });
    }

    fn spawn(&mut self, due: Due, f: impl Future<Output = Finished> + Send + 'static) {
        let (handle, registration) = AbortHandle::new_pair();
        // Outside tokio's cooperative budget: it is meant per task, and this one task runs every
        // checker's probe; its turns are bounded here instead (TURN, and FuturesUnordered polls
        // each woken future once per poll).
        let f = tokio::task::unconstrained(Abortable::new(f, registration));
        self.in_flight.push(Box::pin(f.map(Result::ok)));
        let i = due.slot as usize;
        if self.aborts.len() <= i {
            self.aborts.resize_with(i + 1, || None);
        }
        self.aborts[i] = Some((due.ticket, handle));
    }

    /// A check's result: the checker's rules, its next check, its event. False when nobody
    /// listens to the events any more (the engine then ends).
    fn finished(&mut self, due: Due, result: ProbeResult, now: Instant) -> bool {
        if !self.schedule.is_current(due) {
            return true;
        }
        if let Some(entry) = self.aborts.get_mut(due.slot as usize) {
            if entry.as_ref().is_some_and(|(t, _)| *t == due.ticket) {
                *entry = None;
            }
        }
        if let Err(f) = &result {
            if f.is_local() {
                self.local_failure(f, now);
            }
        }
        match self.schedule.finish(due, result, now) {
            Some(ev) => self.events.send(ev).is_ok(),
            None => true,
        }
    }

    /// keepalived logs "TCP connect fail to create socket. Rescheduling." for each; thousands of
    /// checks failing so at once (out of file descriptors) are one line per period here.
    fn local_failure(&mut self, f: &Failure, now: Instant) {
        if let Some(held) = self.local_failures.hit(now) {
            let more = if held > 0 {
                format!(" ({held} more since the last such line)")
            } else {
                String::new()
            };
            warn!(
                "a check could not be made: {f}; rescheduled after delay_loop, the real server's state unchanged (keepalived: \"fail to create socket. Rescheduling.\"){more}"
            );
        }
    }

    /// One turn: commands, finished checks, a look at the connects, the checks due; false when
    /// the engine is to end.
    fn turn(&mut self, cx: &mut Context<'_>, started: &mut usize) -> Option<bool> {
        let mut now = Instant::now();
        if let Some(mut rx) = self.commands.take() {
            let before = self.schedule.len();
            // Every command waiting, in one turn: `try_recv` first, as `poll_recv` counts
            // against tokio's per-task budget (128), which held the start of 10,000 checkers
            // back over 80 turns; `poll_recv` only to be woken for the next.
            use tokio::sync::mpsc::error::TryRecvError;
            let open = loop {
                match rx.try_recv() {
                    Ok(c) => self.command(c, now),
                    Err(TryRecvError::Disconnected) => break false,
                    Err(TryRecvError::Empty) => match rx.poll_recv(cx) {
                        Poll::Ready(Some(c)) => self.command(c, now),
                        Poll::Ready(None) => break false,
                        Poll::Pending => break true,
                    },
                }
            };
            if open {
                self.commands = Some(rx);
            }
            if self.schedule.len() > before {
                self.schedule.fit();
            }
        }
        if self.events.is_closed() {
            return None;
        }
        let mut progress = false;
        while let Poll::Ready(Some(r)) = self.in_flight.poll_next_unpin(cx) {
            progress = true;
            if let Some((due, result)) = r {
                if !self.finished(due, result, now) {
                    return None;
                }
            }
        }
        if self.batch.next_peek().is_some_and(|t| t <= now) {
            progress = true;
            if !self.peek(now) {
                return None;
            }
        }
        while *started < TURN {
            let Some(due) = self.schedule.pop_due(now) else {
                break;
            };
            progress = true;
            *started += 1;
            if !self.start(due, now) {
                return None;
            }
            // Starting checks takes time (a connect over loopback makes the whole handshake
            // in the call): every PEEK_EVERY starts the clock is read again, and the connects
            // whose PEEK_DELAY is over are looked at. Otherwise the ends of the first checks of
            // a long turn would be seen only after the last start, all at once: each of them
            // late by the turn's length, their next checks due together again, turn after turn.
            if *started % PEEK_EVERY == 0 {
                now = Instant::now();
                if self.batch.next_peek().is_some_and(|t| t <= now) && !self.peek(now) {
                    return None;
                }
            }
        }
        Some(progress)
    }

    /// A look at the connects started (one `poll`): those done are finished at `now`, those
    /// still connecting after PEEK_DELAY handed to the reactor. False when the engine is to end.
    fn peek(&mut self, now: Instant) -> bool {
        let mut peeked = std::mem::take(&mut self.peeked);
        self.batch.peek(now, |p| peeked.push(p));
        let mut open = true;
        for p in peeked.drain(..) {
            match p {
                Peeked::Done(due, result) => open = open && self.finished(due, result, now),
                Peeked::Slow(c) => self.slow(c),
            }
        }
        self.peeked = peeked;
        open
    }
}

impl Future for Driver {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        let mut started = 0;
        // Each round either makes progress or ends the poll; the bound only guards against a
        // clock that does not move.
        for _ in 0..4 * TURN {
            match this.turn(cx, &mut started) {
                None => return Poll::Ready(()),
                Some(true) if started >= TURN => break,
                Some(true) => continue,
                Some(false) => {}
            }
            let next = match (this.schedule.next_deadline(), this.batch.next_peek()) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            let Some(at) = next else {
                return Poll::Pending;
            };
            if this.sleep_at != Some(at) {
                this.sleep.as_mut().reset(at);
                this.sleep_at = Some(at);
            }
            if this.sleep.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            this.sleep_at = None;
        }
        // A full turn's worth started: let the runtime's other tasks run and, above all, its
        // reactor, then go on. A plain self-wake would be polled again before the reactor
        // (tokio looks at I/O every 61 polls, or when idle): at saturation the engine would
        // start thousands of checks and see none of them end. `yield_now` defers the wake
        // until the reactor has run (polled once here: the wake is registered, the future is
        // not needed after).
        let _ = std::pin::pin!(tokio::task::yield_now()).poll(cx);
        Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tcp::{Connection, TcpCheck};
    use std::net::{Ipv4Addr, SocketAddr};

    /// A turn that starts many connects looks at them while it starts the rest, once their
    /// PEEK_DELAY is over: the first checks' ends are seen (and their next checks scheduled)
    /// before the turn's last start, not all together after it. On the real clock: a full turn
    /// of connects over loopback takes well over PEEK_DELAY anywhere (each makes the handshake
    /// in the call).
    #[tokio::test(flavor = "current_thread")]
    async fn the_ends_of_a_long_turns_first_checks_are_seen_during_the_turn() {
        let listener =
            socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
        listener
            .bind(&SocketAddr::from((Ipv4Addr::LOCALHOST, 0)).into())
            .unwrap();
        // Room for the whole turn in the accept queue: nothing is accepted here.
        listener.listen(1024).unwrap();
        let port = listener.local_addr().unwrap().as_socket().unwrap().port();
        let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
        let mut driver = Driver::new(tx, None);
        let now = Instant::now();
        let timing = Timing {
            delay_loop: Duration::from_secs(60),
            retry: 0,
            delay_before_retry: Duration::from_secs(1),
            warmup: Duration::ZERO,
            alpha: false,
            log_all_failures: false,
        };
        for i in 0..TURN {
            let conn = Connection::new(Ipv4Addr::LOCALHOST.into(), port, Duration::from_secs(5));
            let probe = Arc::new(TcpCheck::new(conn).unwrap());
            driver
                .insert(CheckerId(i as u64), timing, probe, Arc::default(), now)
                .unwrap();
        }
        // One poll: a full turn, TURN checks started, then it yields.
        std::future::poll_fn(|cx| {
            assert!(Pin::new(&mut driver).poll(cx).is_pending());
            Poll::Ready(())
        })
        .await;
        assert!(
            driver.schedule.next_deadline().is_some(),
            "no check of the turn was seen to end before the turn's last start"
        );
    }
}
