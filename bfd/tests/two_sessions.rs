//! Two sessions wired back to back on a virtual clock: what keepalived 2.2.7 was seen to do
//! between two of its own bfd_instances (defaults min_rx/min_tx 10 ms, idle_tx 1 s, mult 5),
//! replayed without sockets. Each test says what goes in and what must come out.

use std::time::Duration;

use bfd::{ControlPacket, Diagnostic, Event, Session, SessionConfig, State, Time};

const DEFAULTS: SessionConfig = SessionConfig {
    desired_min_tx: Duration::from_millis(10),
    required_min_rx: Duration::from_millis(10),
    idle_tx: Duration::from_millis(1000),
    detect_mult: 5,
    passive: false,
};

/// Two sessions, a link between them that can be cut one way, a virtual clock, and a
/// deterministic stream of "random" numbers.
struct Rig {
    ends: [Session; 2],
    /// Whether packets from end i reach the other end.
    carries: [bool; 2],
    now: Time,
    seed: u32,
    /// Everything that happened: (time, end, event).
    log: Vec<(Time, usize, Event)>,
}

impl Rig {
    fn new(a: SessionConfig, b: SessionConfig) -> Rig {
        Rig {
            ends: [
                Session::new(a, 0x1111, Time::ZERO),
                Session::new(b, 0x2222, Time::from_millis(300)),
            ],
            carries: [true, true],
            now: Time::ZERO,
            seed: 7,
            log: Vec::new(),
        }
    }

    fn random(&mut self) -> u32 {
        self.seed = self.seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
        self.seed >> 8
    }

    /// Runs every timer up to `until`, delivering packets at once.
    fn run_until(&mut self, until: Time) {
        loop {
            let next = (0..2)
                .filter_map(|i| self.ends[i].next_timeout().map(|t| (t, i)))
                .min();
            let Some((t, i)) = next.filter(|(t, _)| *t <= until) else {
                self.now = until;
                return;
            };
            self.now = t;
            let r = self.random();
            let events = self.ends[i].handle_timeout(t, r);
            self.process(i, events);
        }
    }

    fn process(&mut self, from: usize, events: Vec<Event>) {
        for e in events {
            self.log.push((self.now, from, e.clone()));
            if let Event::Send(p) = e {
                if self.carries[from] {
                    let to = 1 - from;
                    let r = self.random();
                    let bytes = p.encode();
                    let decoded = bfd::decode(&bytes).expect("our packets decode");
                    let answers = self.ends[to].handle_packet(&decoded, self.now, r);
                    self.process(to, answers);
                }
            }
        }
    }

    fn states(&self) -> [State; 2] {
        [self.ends[0].state(), self.ends[1].state()]
    }

    fn sent(&self, end: usize) -> Vec<(Time, ControlPacket)> {
        self.log
            .iter()
            .filter(|(_, i, _)| *i == end)
            .filter_map(|(t, _, e)| match e {
                Event::Send(p) => Some((*t, *p)),
                _ => None,
            })
            .collect()
    }

    fn first(&self, end: usize, pred: impl Fn(&Event) -> bool) -> Option<Time> {
        self.log
            .iter()
            .find(|(_, i, e)| *i == end && pred(e))
            .map(|(t, _, _)| *t)
    }
}

fn entered(e: &Event, state: State) -> bool {
    matches!(e, Event::StateChanged { to, .. } if *to == state)
}

/// In: two default sessions, the second starting 300 ms later. Out: both Up within about a
/// second (the idle interval), then packets every 7.5-10 ms with a 50 ms detection time, and
/// the switch from 1 s to 10 ms made by a Poll answered with a Final, as keepalived does it.
#[test]
fn two_default_sessions_come_up_and_poll_down_to_min_tx() {
    let mut rig = Rig::new(DEFAULTS, DEFAULTS);
    rig.run_until(Time::from_millis(3000));
    assert_eq!(rig.states(), [State::Up, State::Up]);
    assert_eq!(rig.sent(0)[0].1.state, State::Down);
    for end in 0..2 {
        let up = rig.first(end, |e| entered(e, State::Up)).unwrap();
        assert!(up <= Time::from_millis(2300), "end {end} Up at {up:?}");
        assert_eq!(
            rig.ends[end].snapshot().detection_time,
            Duration::from_millis(50)
        );
        assert!(!rig.ends[end].snapshot().poll, "poll sequence finished");
        let sent = rig.sent(end);
        let late: Vec<_> = sent
            .iter()
            .filter(|(t, _)| *t > Time::from_millis(2500))
            .collect();
        for w in late.windows(2) {
            let gap = w[1].0 - w[0].0;
            assert!(
                gap >= Duration::from_micros(7500) && gap <= Duration::from_millis(10),
                "gap {gap:?}"
            );
        }
        assert!(sent
            .iter()
            .any(|(_, p)| p.poll && p.state == State::Up && p.desired_min_tx_us == 10_000));
        let other = rig.sent(1 - end);
        assert!(other.iter().any(|(_, p)| p.final_));
        // Before Up, keepalived advertises idle_tx.
        assert_eq!(sent[0].1.desired_min_tx_us, 1_000_000);
    }
    let detection = rig
        .log
        .iter()
        .filter_map(|(_, i, e)| match e {
            Event::DetectionTimeChanged { was, now } if *i == 0 => Some((*was, *now)),
            _ => None,
        })
        .collect::<Vec<_>>();
    assert_eq!(
        detection,
        [
            (Duration::ZERO, Duration::from_secs(5)),
            (Duration::from_secs(5), Duration::from_millis(50))
        ],
        "keepalived logs 'Detection time is 5000000 us (was 0 us)', then 50000 (was 5000000)"
    );
}

/// In: an Up pair, then one end goes silent. Out: the other end goes Down with "Control
/// Detection Time Expired" within the detection time (50 ms) of the last packet it heard,
/// then advertises idle_tx again and forgets the remote discriminator.
#[test]
fn a_silent_peer_is_down_within_the_detection_time() {
    let mut rig = Rig::new(DEFAULTS, DEFAULTS);
    rig.run_until(Time::from_millis(3000));
    rig.carries[1] = false;
    let last_heard = rig.ends[0].snapshot().last_received.unwrap();
    rig.run_until(Time::from_millis(3200));
    let down = rig.first(0, |e| entered(e, State::Down)).unwrap();
    assert_eq!(down - last_heard, Duration::from_millis(50));
    let expired = rig.log.iter().find_map(|(_, i, e)| match e {
        Event::Expired { after, .. } if *i == 0 => Some(*after),
        _ => None,
    });
    assert_eq!(expired, Some(Duration::from_millis(50)));
    let s = rig.ends[0].snapshot();
    assert_eq!(s.state, State::Down);
    assert_eq!(s.local_diag, Diagnostic::DETECTION_TIME_EXPIRED);
    assert_eq!(s.remote_discriminator, 0);
    let (_, p) = *rig.sent(0).last().unwrap();
    assert_eq!(
        (p.state, p.diag, p.desired_min_tx_us, p.your_discriminator),
        (State::Down, Diagnostic(1), 1_000_000, 0)
    );
}

/// In: an Up pair; one end silent for a while (long enough for both to expire), then back.
/// Out: the session comes Up again by itself, as keepalived's did after SIGCONT.
#[test]
fn a_peer_that_returns_brings_the_session_up_again() {
    let mut rig = Rig::new(DEFAULTS, DEFAULTS);
    rig.run_until(Time::from_millis(3000));
    rig.carries = [false, false];
    rig.run_until(Time::from_millis(4000));
    assert_eq!(rig.states(), [State::Down, State::Down]);
    rig.carries = [true, true];
    rig.run_until(Time::from_millis(7000));
    assert_eq!(rig.states(), [State::Up, State::Up]);
}

/// In: an Up pair, then one end's link drops packets one way only (it still hears the other).
/// Out: the deaf end times out and tells the other with Down/diag 1; the other goes Down
/// with "Neighbor Signaled Session Down" (3).
#[test]
fn a_neighbour_going_down_takes_the_session_down_with_diagnostic_3() {
    let mut rig = Rig::new(DEFAULTS, DEFAULTS);
    rig.run_until(Time::from_millis(3000));
    rig.carries[1] = false; // end 0 hears nothing, end 1 still hears end 0
    rig.run_until(Time::from_millis(3100));
    assert_eq!(rig.states(), [State::Down, State::Down]);
    assert_eq!(rig.ends[1].snapshot().local_diag, Diagnostic::NEIGHBOR_DOWN);
    assert_eq!(
        rig.ends[1].snapshot().remote_diag,
        Diagnostic::DETECTION_TIME_EXPIRED
    );
}

/// In: a passive session and an active one. Out: the passive one sends nothing until it has
/// heard a packet, then the pair comes Up.
#[test]
fn a_passive_session_waits_to_be_spoken_to() {
    let passive = SessionConfig {
        passive: true,
        ..DEFAULTS
    };
    let mut rig = Rig::new(passive, DEFAULTS);
    rig.carries[1] = false;
    rig.run_until(Time::from_millis(2000));
    assert!(rig.sent(0).is_empty(), "passive end sent {:?}", rig.sent(0));
    rig.carries[1] = true;
    rig.run_until(Time::from_millis(5000));
    assert_eq!(rig.states(), [State::Up, State::Up]);
    assert!(!rig.sent(0).is_empty());
}

/// In: an Up pair, then end 0 is reconfigured to min_tx 100 ms and min_rx 40 ms (a reload).
/// Out: a Poll Sequence; end 0 keeps sending at the old rate until the Final, then both use
/// the new values (end 1 sends every max(10, 40) ms, end 0 every 100 ms); the session stays Up.
#[test]
fn a_reload_changes_the_timers_through_a_poll_sequence() {
    let mut rig = Rig::new(DEFAULTS, DEFAULTS);
    rig.run_until(Time::from_millis(3000));
    let slower = SessionConfig {
        desired_min_tx: Duration::from_millis(100),
        required_min_rx: Duration::from_millis(40),
        ..DEFAULTS
    };
    let r = rig.random();
    let events = rig.ends[0].reconfigure(slower, rig.now, r);
    assert!(events.contains(&Event::PollStarted));
    assert!(rig.ends[0].snapshot().poll);
    // Until the Final comes back, the old (faster) interval stays in use.
    assert_eq!(
        rig.ends[0].snapshot().tx_interval,
        Duration::from_millis(10)
    );
    rig.process(0, events);
    rig.run_until(Time::from_millis(4000));
    assert_eq!(rig.states(), [State::Up, State::Up]);
    let s0 = rig.ends[0].snapshot();
    assert!(!s0.poll);
    assert_eq!(s0.tx_interval, Duration::from_millis(100));
    // The peer's mult times the larger of our min_rx (40 ms) and its min_tx (10 ms).
    assert_eq!(s0.detection_time, Duration::from_millis(200));
    let s1 = rig.ends[1].snapshot();
    assert_eq!(s1.tx_interval, Duration::from_millis(40));
    assert_eq!(s1.detection_time, Duration::from_millis(500));
    assert!(rig
        .log
        .iter()
        .all(|(t, _, e)| *t < Time::from_millis(3000) || !entered(e, State::Down)));
}

/// In: sessions with Detect Mult 1. Out: every gap between periodic packets is 75-90 % of
/// the interval (RFC 5880 6.8.7), never more.
#[test]
fn detect_mult_one_jitters_between_75_and_90_percent() {
    let one = SessionConfig {
        detect_mult: 1,
        ..DEFAULTS
    };
    let mut rig = Rig::new(one, one);
    rig.run_until(Time::from_millis(4000));
    assert_eq!(rig.states(), [State::Up, State::Up]);
    let sent: Vec<_> = rig
        .sent(0)
        .into_iter()
        .filter(|(t, p)| *t > Time::from_millis(3000) && !p.final_)
        .collect();
    assert!(sent.len() > 50);
    for w in sent.windows(2) {
        let gap = w[1].0 - w[0].0;
        assert!(
            gap >= Duration::from_micros(7500) && gap <= Duration::from_micros(9000),
            "gap {gap:?}"
        );
    }
}
