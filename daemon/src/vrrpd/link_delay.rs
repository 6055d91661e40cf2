//! `interface_up_down_delays`: a link's change of state is acted on only once it has lasted
//! the interface's delay (down or up); a change back before then cancels it, and the daemon
//! never sees the flap. Pure: link events and the time in, the changes to act on out; the loop
//! (`events`) feeds it rtnetlink's link messages and wakes it at [`Debounce::next_due`].
//!
//! keepalived 2.2.7, measured in network namespaces (daemon/tests/netns_link_delay.rs):
//! - a change is logged at once (`eth1: Adding flags change from 0x11043 to 0x1002 delay by
//!   600000`, the link's flags before and after, the delay in microseconds) and acted on after
//!   the delay (`Netlink reports eth1 down`, then the instances' FAULT), for a tracked
//!   interface and for an instance's own alike;
//! - a change back within the delay is not logged, and nothing happens (no FAULT);
//! - `IF DOWN` without an up delay: an up is acted on at once (the man page says the up delay
//!   is then the down delay; 2.2.7's dump shows 0 and its log no delay);
//! - an instance caps the delays of its own interface (not of the ones it tracks): a delay of
//!   at least (down_timer_adverts - 1) x advert_int becomes that less advert_int / 256 (in
//!   microseconds), with `VI_1: interface eth0 debounce timer(s) not less that 2 * advert_int -
//!   resetting`; down_timer_adverts 1 puts both at 0.
//! - a reload applies the new delays to the next change.

use std::collections::BTreeMap;
use std::time::Duration;

use vrrp::Time;

use super::plan::InstancePlan;

/// An interface's delays: how long a change must last before it is acted on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Delays {
    pub down: Duration,
    pub up: Duration,
}

/// The delays of each interface named in `interface_up_down_delays` (`lines`: name, down, up),
/// capped by the instances on it as keepalived caps them, and the lines keepalived logs for the
/// caps. An instance's VMAC has its base interface's delays (the man page).
pub fn configured(
    lines: &[(String, Duration, Duration)],
    instances: &[InstancePlan],
) -> (BTreeMap<String, Delays>, Vec<String>) {
    let mut delays: BTreeMap<String, Delays> = BTreeMap::new();
    for (name, down, up) in lines {
        delays.insert(
            name.clone(),
            Delays {
                down: *down,
                up: *up,
            },
        );
    }
    let mut notes = Vec::new();
    for p in instances {
        let Some(d) = delays.get_mut(&p.interface) else {
            continue;
        };
        let adverts = p.config.down_timer_adverts;
        if adverts <= 1 {
            if *d != Delays::default() {
                notes.push(format!(
                    "{}: cannot use debounce timers with down_timer_adverts = 1 - resetting",
                    p.name
                ));
                *d = Delays::default();
            }
            continue;
        }
        // keepalived's arithmetic, in whole microseconds.
        let advert = p.config.advert_interval.as_micros() as u64;
        let limit = Duration::from_micros(u64::from(adverts - 1) * advert);
        let capped = Duration::from_micros(u64::from(adverts - 1) * advert - advert / 256);
        if d.down >= limit || d.up >= limit {
            notes.push(format!(
                "{}: interface {} debounce timer(s) not less that {} * advert_int - resetting",
                p.name,
                p.interface,
                adverts - 1
            ));
            for t in [&mut d.down, &mut d.up] {
                if *t >= limit {
                    *t = capped;
                }
            }
        }
    }
    for p in instances {
        if let (Some(v), Some(&d)) = (&p.vmac, delays.get(&p.interface)) {
            delays.entry(v.name.clone()).or_insert(d);
        }
    }
    (delays, notes)
}

/// What to do with a link event.
#[derive(Debug, PartialEq, Eq)]
pub enum Observed {
    /// Act on it now: the interface has no delay for it, or its state is what the daemon
    /// already holds.
    Now,
    /// Held until its delay has passed; the line to log when a change is first held.
    Held(Option<String>),
}

/// A change acted on once its delay has passed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Due {
    pub name: String,
    pub index: u32,
    pub up: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Seen {
    up: bool,
    flags: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Pending {
    seen: Seen,
    index: u32,
    at: Time,
}

#[derive(Debug, Default, Clone, Copy)]
struct Link {
    /// The state the daemon acts on (None until the link is first seen).
    seen: Option<Seen>,
    pending: Option<Pending>,
}

/// The interfaces with delays: the state the daemon holds for each, and the change waiting.
#[derive(Debug, Default)]
pub struct Debounce {
    delays: BTreeMap<String, Delays>,
    links: BTreeMap<String, Link>,
}

impl Debounce {
    #[cfg(test)]
    pub fn new(delays: BTreeMap<String, Delays>) -> Debounce {
        Debounce {
            delays,
            links: BTreeMap::new(),
        }
    }

    /// The interfaces that have delays.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.delays.keys().map(String::as_str)
    }

    /// The link's state as found at start (or by a reload): held as is, without a delay.
    pub fn seed(&mut self, name: &str, up: bool, flags: u32) {
        if self.delays.contains_key(name) {
            let l = self.links.entry(name.to_string()).or_default();
            if l.seen.is_none() {
                l.seen = Some(Seen { up, flags });
            }
        }
    }

    /// The state the daemon holds for `name`, when it has delays and has been seen: what the
    /// instances must go by rather than the kernel's state now.
    pub fn held(&self, name: &str) -> Option<bool> {
        self.delays.contains_key(name).then_some(())?;
        self.links.get(name)?.seen.map(|s| s.up)
    }

    /// A link message: `up` (up and running) and its flags, at `now`.
    pub fn observe(&mut self, name: &str, index: u32, up: bool, flags: u32, now: Time) -> Observed {
        let Some(&delays) = self.delays.get(name) else {
            self.links.remove(name);
            return Observed::Now;
        };
        let l = self.links.entry(name.to_string()).or_default();
        let new = Seen { up, flags };
        let Some(seen) = l.seen else {
            l.seen = Some(new);
            return Observed::Now;
        };
        if up == seen.up {
            // Back to what the daemon holds: a change waiting is dropped, unseen. The flags
            // held stay those of the last change (keepalived's lines show them so).
            l.pending = None;
            return Observed::Now;
        }
        let delay = if up { delays.up } else { delays.down };
        if delay.is_zero() {
            l.pending = None;
            l.seen = Some(new);
            return Observed::Now;
        }
        if let Some(p) = &mut l.pending {
            // The same change again (another message on the way down): its time stands.
            p.index = index;
            return Observed::Held(None);
        }
        l.pending = Some(Pending {
            seen: new,
            index,
            at: now + delay,
        });
        Observed::Held(Some(format!(
            "{name}: Adding flags change from {:#x} to {flags:#x} delay by {}",
            seen.flags,
            delay.as_micros()
        )))
    }

    /// The link is gone: what was held for it is forgotten (a link of that name that comes
    /// back is seen afresh).
    pub fn gone(&mut self, name: &str) {
        self.links.remove(name);
    }

    /// When the next change waiting is due.
    pub fn next_due(&self) -> Option<Time> {
        self.links
            .values()
            .filter_map(|l| l.pending)
            .map(|p| p.at)
            .min()
    }

    /// The changes whose delay has passed at `now`, now held.
    pub fn due(&mut self, now: Time) -> Vec<Due> {
        let mut out = Vec::new();
        for (name, l) in &mut self.links {
            if let Some(p) = l.pending.filter(|p| p.at <= now) {
                l.pending = None;
                l.seen = Some(p.seen);
                out.push(Due {
                    name: name.clone(),
                    index: p.index,
                    up: p.seen.up,
                });
            }
        }
        out
    }

    /// A reload's delays: the next changes go by them. A change already waiting keeps its
    /// time; one on an interface that no longer has delays is due at once.
    pub fn reconfigure(&mut self, delays: BTreeMap<String, Delays>, now: Time) {
        for (name, l) in &mut self.links {
            if !delays.contains_key(name) {
                if let Some(p) = &mut l.pending {
                    p.at = now;
                }
            }
        }
        self.links
            .retain(|name, l| delays.contains_key(name) || l.pending.is_some());
        self.delays = delays;
    }
}

#[cfg(test)]
mod tests;
