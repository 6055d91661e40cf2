//! Shared test harness: two routers on an in-memory network with a virtual clock, as quinn-proto
//! tests its endpoints. Each router's `SendAdvert` reaches the other after a fixed latency and the
//! clock jumps to the next event; `inject` feeds inputs from outside (shutdown, tracking).
#![allow(dead_code)]

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use vrrp::{
    Action, Advertisement, Auth, ChecksumMode, Input, Instance, InstanceConfig, State, Time,
    Version,
};

pub struct Delivery {
    pub at: Time,
    pub to: usize,
    pub advert: Advertisement,
    pub from: IpAddr,
}

pub struct Network {
    pub routers: [Instance; 2],
    pub start_at: [Time; 2],
    pub started: [bool; 2],
    pub latency: Duration,
    pub in_flight: Vec<Delivery>,
    pub now: Time,
    /// Every (time, router, from, to) transition in order.
    pub log: Vec<(Time, usize, State, State)>,
    /// Every advert sent: (time, router, priority).
    pub sent: Vec<(Time, usize, u8)>,
    /// Every GARP/NA burst: (time, router, count).
    pub garps: Vec<(Time, usize, u32)>,
}

enum Event {
    Start(usize),
    Deliver(usize),
    Timer(usize),
}

impl Network {
    pub fn new(configs: [InstanceConfig; 2], start_at: [Time; 2], latency: Duration) -> Network {
        let [a, b] = configs;
        Network {
            routers: [Instance::new(a).unwrap(), Instance::new(b).unwrap()],
            start_at,
            started: [false; 2],
            latency,
            in_flight: Vec::new(),
            now: Time::ZERO,
            log: Vec::new(),
            sent: Vec::new(),
            garps: Vec::new(),
        }
    }

    /// The earliest pending event; ties: deliveries, startups, timers, lower router first.
    fn next_event(&self) -> Option<(Time, Event)> {
        let mut best: Option<(Time, Event)> = None;
        let mut consider = |at: Time, ev: Event| {
            if best.as_ref().map_or(true, |(t, _)| at < *t) {
                best = Some((at, ev));
            }
        };
        for (n, d) in self.in_flight.iter().enumerate() {
            consider(d.at, Event::Deliver(n));
        }
        for r in 0..2 {
            if !self.started[r] {
                consider(self.start_at[r], Event::Start(r));
            }
        }
        for r in 0..2 {
            if let Some((_, at)) = self.routers[r].timer() {
                consider(at, Event::Timer(r));
            }
        }
        best
    }

    /// Advances to the next event if it is not after `until`; false when there is none.
    pub fn step(&mut self, until: Time) -> bool {
        let Some((at, event)) = self.next_event() else {
            return false;
        };
        if at > until {
            return false;
        }
        self.now = at;
        let (r, input) = match event {
            Event::Start(r) => {
                self.started[r] = true;
                (r, Input::Startup)
            }
            Event::Deliver(n) => {
                let d = self.in_flight.remove(n);
                (
                    d.to,
                    Input::Advert {
                        advert: d.advert,
                        from: d.from,
                    },
                )
            }
            Event::Timer(r) => (r, Input::Timer(self.routers[r].timer().unwrap().0)),
        };
        let actions = self.routers[r].handle(input, at);
        self.apply(r, actions);
        true
    }

    /// Runs every event up to and including `until`, then sets the clock to `until`.
    pub fn run_until(&mut self, until: Time) {
        while self.step(until) {}
        self.now = until;
    }

    /// Feeds an input from outside the network (tracking, an operator) to router `r` now.
    pub fn inject(&mut self, r: usize, input: Input) {
        let actions = self.routers[r].handle(input, self.now);
        self.apply(r, actions);
    }

    fn apply(&mut self, r: usize, actions: Vec<Action>) {
        for action in actions {
            match action {
                Action::SendAdvert { advert, .. } => {
                    self.sent.push((self.now, r, advert.priority));
                    self.in_flight.push(Delivery {
                        at: self.now + self.latency,
                        to: 1 - r,
                        advert,
                        from: self.routers[r].config().local_address,
                    })
                }
                Action::Transition { from, to } => self.log.push((self.now, r, from, to)),
                Action::SendGratuitous { count, .. } => self.garps.push((self.now, r, count)),
                _ => {}
            }
        }
    }

    /// How many routers are Master now.
    pub fn masters(&self) -> usize {
        self.routers
            .iter()
            .filter(|r| r.state() == State::Master)
            .count()
    }

    pub fn state(&self, r: usize) -> State {
        self.routers[r].state()
    }
}

/// A v2 router `10.0.0.n` for VRID 7 with one VIP, 1 s adverts, preempt.
pub fn router_config(n: u8, priority: u8) -> InstanceConfig {
    InstanceConfig::new(
        7,
        priority,
        IpAddr::V4(Ipv4Addr::new(10, 0, 0, n)),
        vec![IpAddr::V4(Ipv4Addr::new(10, 0, 0, 100))],
    )
}

pub fn secs(s: u64) -> Time {
    Time(Duration::from_secs(s))
}

pub fn ms(m: u64) -> Time {
    Time::from_millis(m)
}

// One instance on its own (tests/instance.rs, tests/garp.rs): VRID 51, local address
// 192.168.1.1, one VIP 192.168.1.100, and adverts heard from other addresses of that subnet.

pub fn addr(last: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(192, 168, 1, last))
}

pub fn vips() -> Vec<IpAddr> {
    vec![addr(100)]
}

pub fn config(priority: u8) -> InstanceConfig {
    InstanceConfig::new(51, priority, addr(1), vips())
}

/// A v2 advert for VRID 51 at 1 s, no authentication.
pub fn v2_advert(priority: u8) -> Advertisement {
    Advertisement {
        version: Version::V2 {
            advert_interval_secs: 1,
            auth: Auth::None,
        },
        vrid: 51,
        priority,
        addresses: vips(),
        checksum: ChecksumMode::Rfc,
    }
}

/// That advert, received from `from`.
pub fn hear(priority: u8, from: IpAddr) -> Input {
    Input::Advert {
        advert: v2_advert(priority),
        from,
    }
}
