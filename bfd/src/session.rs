//! One BFD session in asynchronous mode (RFC 5880 section 6), without demand mode, echo or
//! authentication (keepalived 2.2.7 has none of them).
//!
//! The session is driven by received packets ([`Session::handle_packet`]) and by its own
//! timers ([`Session::handle_timeout`] at [`Session::next_timeout`]), with the time and a random
//! number passed in, and answers with [`Event`]s: packets to send and things to log.
//!
//! Timer values follow keepalived 2.2.7, measured: while the session is not Up it advertises
//! `idle_tx` (1 s by default) as its Desired Min TX Interval, and it moves to `min_tx` with a
//! Poll Sequence once Up (and back to `idle_tx` without one when it falls Down).

use std::time::Duration;

use crate::packet::{ControlPacket, Diagnostic, State};
use crate::Time;

/// What a session is configured with (keepalived's `bfd_instance`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionConfig {
    /// `min_tx`: the Desired Min TX Interval while Up.
    pub desired_min_tx: Duration,
    /// `min_rx`: the Required Min RX Interval.
    pub required_min_rx: Duration,
    /// `idle_tx`: the Desired Min TX Interval while not Up.
    pub idle_tx: Duration,
    /// `multiplier`: the Detect Mult, at least 1.
    pub detect_mult: u8,
    /// `passive`: send nothing until the remote system has sent a packet (RFC 5880 6.1).
    pub passive: bool,
}

/// What the caller must do or may log, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// Send this packet to the neighbour now.
    Send(ControlPacket),
    /// The session changed state; `local_diag` is ours (why we left Up), `remote_diag` the last
    /// one the neighbour sent.
    StateChanged {
        from: State,
        to: State,
        local_diag: Diagnostic,
        remote_diag: Diagnostic,
    },
    /// The detection time changed (keepalived logs both values).
    DetectionTimeChanged { was: Duration, now: Duration },
    /// Nothing was heard for the detection time: `overdue` is how late the caller handled it.
    Expired { after: Duration, overdue: Duration },
    /// Our timer values changed while the neighbour listens: a Poll Sequence starts.
    PollStarted,
}

/// A session's state for reports (keepalived's data dump).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Snapshot {
    pub state: State,
    pub remote_state: State,
    pub local_discriminator: u32,
    pub remote_discriminator: u32,
    pub local_diag: Diagnostic,
    pub remote_diag: Diagnostic,
    pub remote_min_tx: Duration,
    pub remote_min_rx: Duration,
    pub remote_detect_mult: u8,
    pub poll: bool,
    /// The interval between our periodic packets, before jitter.
    pub tx_interval: Duration,
    /// How long without a packet before the session goes Down (zero before any packet).
    pub detection_time: Duration,
    pub last_received: Option<Time>,
}

/// One BFD session.
#[derive(Debug, Clone)]
pub struct Session {
    config: SessionConfig,
    local_discr: u32,
    remote_discr: u32,
    state: State,
    remote_state: State,
    local_diag: Diagnostic,
    remote_diag: Diagnostic,
    /// The neighbour's Required Min RX Interval (RFC: initially 1 microsecond).
    remote_min_rx: Duration,
    remote_desired_tx: Duration,
    remote_detect_mult: u8,
    /// What our packets carry.
    advertised_tx: Duration,
    advertised_rx: Duration,
    /// What our timers use: differs from the advertised values while a Poll Sequence is under
    /// way, so that a slower transmission or a shorter detection time waits for the neighbour's
    /// Final (RFC 5880 6.8.3).
    tx_in_use: Duration,
    rx_in_use: Duration,
    poll: bool,
    heard: bool,
    detection_time: Duration,
    next_tx: Option<Time>,
    detect_at: Option<Time>,
    last_received: Option<Time>,
}

impl Session {
    /// A new session in Down. `local_discriminator` must be non-zero and unique among the
    /// caller's sessions. An active session sends its first packet at `now`.
    pub fn new(config: SessionConfig, local_discriminator: u32, now: Time) -> Session {
        assert_ne!(local_discriminator, 0, "a local discriminator is non-zero");
        Session {
            config,
            local_discr: local_discriminator,
            remote_discr: 0,
            state: State::Down,
            remote_state: State::Down,
            local_diag: Diagnostic::NONE,
            remote_diag: Diagnostic::NONE,
            remote_min_rx: Duration::from_micros(1),
            remote_desired_tx: Duration::ZERO,
            remote_detect_mult: 0,
            advertised_tx: config.idle_tx,
            advertised_rx: config.required_min_rx,
            tx_in_use: config.idle_tx,
            rx_in_use: config.required_min_rx,
            poll: false,
            heard: false,
            detection_time: Duration::ZERO,
            next_tx: (!config.passive).then_some(now),
            detect_at: None,
            last_received: None,
        }
    }

    pub fn state(&self) -> State {
        self.state
    }

    pub fn local_discriminator(&self) -> u32 {
        self.local_discr
    }

    pub fn config(&self) -> &SessionConfig {
        &self.config
    }

    /// When [`Session::handle_timeout`] must be called next.
    pub fn next_timeout(&self) -> Option<Time> {
        match (self.next_tx, self.detect_at) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            state: self.state,
            remote_state: self.remote_state,
            local_discriminator: self.local_discr,
            remote_discriminator: self.remote_discr,
            local_diag: self.local_diag,
            remote_diag: self.remote_diag,
            remote_min_tx: self.remote_desired_tx,
            remote_min_rx: self.remote_min_rx,
            remote_detect_mult: self.remote_detect_mult,
            poll: self.poll,
            tx_interval: self.tx_interval().unwrap_or(Duration::ZERO),
            detection_time: self.detection_time,
            last_received: self.last_received,
        }
    }

    /// A packet for this session (the caller matched it by Your Discriminator, or by the
    /// neighbour's address when that is zero). `random` feeds the transmission jitter.
    pub fn handle_packet(&mut self, p: &ControlPacket, now: Time, random: u32) -> Vec<Event> {
        let mut events = Vec::new();
        self.heard = true;
        self.last_received = Some(now);
        self.remote_discr = p.my_discriminator;
        self.remote_state = p.state;
        self.remote_diag = p.diag;
        self.remote_min_rx = Duration::from_micros(p.required_min_rx_us.into());
        self.remote_desired_tx = Duration::from_micros(p.desired_min_tx_us.into());
        self.remote_detect_mult = p.detect_mult;
        if p.final_ && self.poll {
            self.poll = false;
            self.tx_in_use = self.advertised_tx;
            self.rx_in_use = self.advertised_rx;
        }
        self.update_detection_time(&mut events);

        match (self.state, p.state) {
            (State::AdminDown, _) => return events,
            (State::Down, State::AdminDown) => {}
            (_, State::AdminDown) => {
                self.enter(State::Down, Diagnostic::NEIGHBOR_DOWN, &mut events)
            }
            (State::Down, State::Down) => self.enter(State::Init, self.local_diag, &mut events),
            (State::Down, State::Init) => self.enter(State::Up, Diagnostic::NONE, &mut events),
            (State::Init, State::Init | State::Up) => {
                self.enter(State::Up, Diagnostic::NONE, &mut events)
            }
            (State::Up, State::Down) => {
                self.enter(State::Down, Diagnostic::NEIGHBOR_DOWN, &mut events)
            }
            _ => {}
        }

        if p.poll {
            // RFC 5880 6.5: answer a Poll at once, whatever the transmission timer says.
            events.push(Event::Send(self.packet(true)));
        }
        self.detect_at = Some(now + self.detection_time);
        self.reschedule_tx(now, random);
        events
    }

    /// Handles whatever timer is due at `now` (early calls do nothing).
    pub fn handle_timeout(&mut self, now: Time, random: u32) -> Vec<Event> {
        let mut events = Vec::new();
        if let Some(at) = self.detect_at.filter(|&at| at <= now) {
            self.detect_at = None;
            // RFC 5880 6.8.1: the neighbour is forgotten when nothing was heard for the
            // detection time, whatever our state.
            self.remote_discr = 0;
            if matches!(self.state, State::Init | State::Up) {
                events.push(Event::Expired {
                    after: self.detection_time,
                    overdue: now.saturating_since(at),
                });
                self.enter(State::Down, Diagnostic::DETECTION_TIME_EXPIRED, &mut events);
            }
        }
        if self.next_tx.is_some_and(|at| at <= now) {
            events.push(Event::Send(self.packet(false)));
            self.next_tx = self
                .tx_interval()
                .map(|i| now + jittered(i, self.config, random));
        }
        events
    }

    /// Takes new configuration values (a reload): a change of interval while the neighbour
    /// listens starts a Poll Sequence.
    pub fn reconfigure(&mut self, config: SessionConfig, now: Time, random: u32) -> Vec<Event> {
        let mut events = Vec::new();
        let was_passive = self.config.passive;
        self.config = config;
        self.set_intervals(&mut events);
        if was_passive && !config.passive && self.next_tx.is_none() && !self.heard {
            self.next_tx = Some(now);
        }
        self.reschedule_tx(now, random);
        events
    }

    fn enter(&mut self, to: State, diag: Diagnostic, events: &mut Vec<Event>) {
        let from = self.state;
        self.state = to;
        self.local_diag = diag;
        events.push(Event::StateChanged {
            from,
            to,
            local_diag: diag,
            remote_diag: self.remote_diag,
        });
        if to == State::Down {
            self.poll = false;
        }
        self.set_intervals(events);
    }

    /// The values to advertise in the current state, and a Poll Sequence when they change
    /// while the session is Init or Up.
    fn set_intervals(&mut self, events: &mut Vec<Event>) {
        let tx = if self.state == State::Up {
            self.config.desired_min_tx
        } else {
            self.config.idle_tx
        };
        let rx = self.config.required_min_rx;
        if tx == self.advertised_tx && rx == self.advertised_rx {
            return;
        }
        let old_tx = self.tx_in_use;
        let old_rx = self.rx_in_use;
        self.advertised_tx = tx;
        self.advertised_rx = rx;
        if matches!(self.state, State::Init | State::Up) {
            // A faster transmission and a longer detection time are safe at once; the rest
            // waits for the Final.
            self.tx_in_use = tx.min(old_tx);
            self.rx_in_use = rx.max(old_rx);
            if !self.poll {
                self.poll = true;
                events.push(Event::PollStarted);
            }
        } else {
            self.tx_in_use = tx;
            self.rx_in_use = rx;
        }
        self.update_detection_time(events);
    }

    fn update_detection_time(&mut self, events: &mut Vec<Event>) {
        if self.remote_detect_mult == 0 {
            return;
        }
        let now = self.rx_in_use.max(self.remote_desired_tx) * u32::from(self.remote_detect_mult);
        if now != self.detection_time {
            events.push(Event::DetectionTimeChanged {
                was: self.detection_time,
                now,
            });
            self.detection_time = now;
        }
    }

    /// The interval between periodic packets before jitter, or None when the neighbour asked
    /// for none (Required Min RX Interval zero) or a passive session has heard nothing yet.
    fn tx_interval(&self) -> Option<Duration> {
        if self.config.passive && !self.heard {
            return None;
        }
        if self.remote_min_rx.is_zero() {
            return None;
        }
        Some(self.tx_in_use.max(self.remote_min_rx))
    }

    /// Brings the next periodic packet forward when the interval has shrunk (or starts it).
    fn reschedule_tx(&mut self, now: Time, random: u32) {
        let Some(interval) = self.tx_interval() else {
            self.next_tx = None;
            return;
        };
        let candidate = now + jittered(interval, self.config, random);
        match self.next_tx {
            Some(at) if at <= candidate => {}
            _ => self.next_tx = Some(candidate),
        }
    }

    fn packet(&self, final_: bool) -> ControlPacket {
        ControlPacket {
            diag: self.local_diag,
            state: self.state,
            // RFC 5880 6.5: never Poll and Final in one packet.
            poll: self.poll && !final_,
            final_,
            cpi: false,
            demand: false,
            detect_mult: self.config.detect_mult,
            my_discriminator: self.local_discr,
            your_discriminator: self.remote_discr,
            desired_min_tx_us: micros(self.advertised_tx),
            required_min_rx_us: micros(self.advertised_rx),
            required_min_echo_rx_us: 0,
        }
    }
}

fn micros(d: Duration) -> u32 {
    u32::try_from(d.as_micros()).unwrap_or(u32::MAX)
}

/// RFC 5880 6.8.7: each interval is reduced by a random 0 to 25 % (10 to 25 % with a Detect
/// Mult of 1, so that one late packet cannot take the session down).
pub fn jittered(interval: Duration, config: SessionConfig, random: u32) -> Duration {
    let (lo, hi) = if config.detect_mult == 1 {
        (750, 900)
    } else {
        (750, 1000)
    };
    let permille = lo + random % (hi - lo + 1);
    interval * permille / 1000
}
