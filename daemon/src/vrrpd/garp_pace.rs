//! The spacing of gratuitous ARPs / unsolicited NAs on an interface (global_defs'
//! `vrrp_garp_interval`/`vrrp_gna_interval`, a `garp_group`'s intervals), as keepalived 2.2.7
//! spaces them: per interface and family, whichever instance asks. Pure: requests and the time
//! in, the messages to send out; the loop wakes it at [`Pacer::next_due`].
//!
//! keepalived 2.2.7, measured with tcpdump in network namespaces (daemon/tests/netns_garp_group.rs,
//! netns_process.rs) and read in its source:
//! - a message asked for once the interface's interval has passed since its last one leaves at
//!   once; one asked for sooner is queued, and the queue is sent as the interval allows, one
//!   message per interval on that interface;
//! - an address already queued is queued once: a burst's repeats collapse (a new MASTER with two
//!   VIPs and `garp_master_repeat 5`, interval 0.5 s: VIP 1 at once, VIP 1 at 0.5 s, VIP 2 at
//!   1.0 s, nothing more; with one VIP and repeat 3, two messages);
//! - what is queued for an instance that is no longer MASTER when its turn comes is dropped.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::Duration;

use vrrp::Time;

/// A message waiting for its interface's interval.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Queued {
    /// The instance that asked for it.
    pub instance: String,
    /// The interface it leaves from.
    pub dev: String,
    pub addr: IpAddr,
    /// The interface whose interval spaces it (a VMAC's base) and the interval.
    paced_by: String,
    interval: Duration,
    /// Its place among the instance's addresses: keepalived goes through them in order.
    rank: usize,
}

/// The interfaces' last messages and the messages waiting.
#[derive(Debug, Default)]
pub struct Pacer {
    /// When each (interface, IPv6) may send again.
    next: HashMap<(String, bool), Time>,
    queued: Vec<Queued>,
}

impl Pacer {
    /// `instance` asks for a message for `addr` (its `rank`-th address) on `dev`, spaced
    /// `interval` apart on `paced_by`: whether it leaves now (else it is queued, once, among
    /// the instance's queued addresses in their order).
    pub fn request(
        &mut self,
        instance: &str,
        dev: &str,
        paced_by: &str,
        (addr, rank): (IpAddr, usize),
        interval: Duration,
        now: Time,
    ) -> bool {
        if interval.is_zero() {
            return true;
        }
        let key = (paced_by.to_string(), addr.is_ipv6());
        if self.next.get(&key).is_some_and(|&t| now < t) {
            if !self
                .queued
                .iter()
                .any(|q| q.instance == instance && q.addr == addr)
            {
                let at = self
                    .queued
                    .iter()
                    .position(|q| q.instance == instance && q.rank > rank)
                    .unwrap_or(self.queued.len());
                self.queued.insert(
                    at,
                    Queued {
                        instance: instance.to_string(),
                        dev: dev.to_string(),
                        addr,
                        paced_by: paced_by.to_string(),
                        interval,
                        rank,
                    },
                );
            }
            return false;
        }
        self.next.insert(key, now + interval);
        true
    }

    /// When the next queued message may leave.
    pub fn next_due(&self) -> Option<Time> {
        self.queued
            .iter()
            .filter_map(|q| self.next.get(&(q.paced_by.clone(), q.addr.is_ipv6())))
            .min()
            .copied()
    }

    /// The queued messages that may leave at `now`, in the order they were asked for, one per
    /// interface and family; those of instances `is_master` denies are dropped.
    pub fn due(&mut self, now: Time, is_master: impl Fn(&str) -> bool) -> Vec<Queued> {
        let mut out = Vec::new();
        let mut kept = Vec::new();
        for q in std::mem::take(&mut self.queued) {
            if !is_master(&q.instance) {
                continue;
            }
            let key = (q.paced_by.clone(), q.addr.is_ipv6());
            if self.next.get(&key).is_some_and(|&t| now < t) {
                kept.push(q);
                continue;
            }
            self.next.insert(key, now + q.interval);
            out.push(q);
        }
        self.queued = kept;
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(ms: u64) -> Time {
        Time(Duration::from_millis(ms))
    }

    const HALF: Duration = Duration::from_millis(500);

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    /// `instance`'s burst of `repeat` rounds over `addrs` on eth0 at `now`: those sent at once.
    fn burst(p: &mut Pacer, instance: &str, addrs: &[&str], repeat: u32, now: Time) -> Vec<IpAddr> {
        let mut sent = Vec::new();
        for _ in 0..repeat {
            for (rank, a) in addrs.iter().enumerate() {
                if p.request(instance, "eth0", "eth0", (ip(a), rank), HALF, now) {
                    sent.push(ip(a));
                }
            }
        }
        sent
    }

    fn addrs(q: &[Queued]) -> Vec<IpAddr> {
        q.iter().map(|q| q.addr).collect()
    }

    #[test]
    fn a_burst_goes_one_message_per_interval_its_repeats_collapsed() {
        // Measured: two VIPs, repeat 5, 0.5 s: VIP 1, VIP 1 at 0.5 s, VIP 2 at 1.0 s.
        let mut p = Pacer::default();
        let vips = ["10.0.0.1", "10.0.0.2"];
        assert_eq!(burst(&mut p, "VI_1", &vips, 5, at(0)), [ip(vips[0])]);
        assert_eq!(p.next_due(), Some(at(500)));
        assert!(p.due(at(499), |_| true).is_empty());
        assert_eq!(addrs(&p.due(at(500), |_| true)), [ip(vips[0])]);
        assert_eq!(p.next_due(), Some(at(1000)));
        assert_eq!(addrs(&p.due(at(1000), |_| true)), [ip(vips[1])]);
        assert_eq!(p.next_due(), None);
        // The next burst, 5 s on: at once again.
        assert_eq!(burst(&mut p, "VI_1", &vips, 5, at(5000)), [ip(vips[0])]);
    }

    #[test]
    fn one_vip_repeated_three_times_is_two_messages() {
        // Measured: vrrp_garp_interval 0.1, repeat 3: two GARPs, 0.1 s apart.
        let mut p = Pacer::default();
        let tenth = Duration::from_millis(100);
        let vip = ip("10.0.0.1");
        let sent: Vec<bool> = (0..3)
            .map(|_| p.request("VI_1", "eth0", "eth0", (vip, 0), tenth, at(0)))
            .collect();
        assert_eq!(sent, [true, false, false]);
        assert_eq!(addrs(&p.due(at(100), |_| true)), [vip]);
        assert_eq!(p.next_due(), None);
    }

    #[test]
    fn interfaces_and_families_are_paced_apart_and_no_interval_is_no_pacing() {
        let mut p = Pacer::default();
        assert!(p.request("A", "eth0", "eth0", (ip("10.0.0.1"), 0), HALF, at(0)));
        assert!(p.request("A", "eth1", "eth1", (ip("10.0.1.1"), 1), HALF, at(0)));
        assert!(p.request("A", "eth0", "eth0", (ip("fd00::1"), 2), HALF, at(0)));
        // Two instances on one interface share its interval.
        assert!(!p.request("B", "eth0", "eth0", (ip("10.0.0.9"), 0), HALF, at(10)));
        // A VMAC is paced by its base.
        assert!(!p.request("C", "vrrp.5", "eth0", (ip("10.0.0.5"), 0), HALF, at(10)));
        assert!(p.request(
            "D",
            "eth2",
            "eth2",
            (ip("10.0.2.1"), 0),
            Duration::ZERO,
            at(0)
        ));
        assert!(p.request(
            "D",
            "eth2",
            "eth2",
            (ip("10.0.2.1"), 0),
            Duration::ZERO,
            at(0)
        ));
        let due = p.due(at(500), |_| true);
        assert_eq!(
            due.iter()
                .map(|q| (q.instance.as_str(), q.dev.as_str()))
                .collect::<Vec<_>>(),
            [("B", "eth0")]
        );
        assert_eq!(addrs(&p.due(at(1000), |_| true)), [ip("10.0.0.5")]);
    }

    #[test]
    fn what_a_backup_had_queued_is_dropped() {
        let mut p = Pacer::default();
        let _ = burst(&mut p, "VI_1", &["10.0.0.1", "10.0.0.2"], 1, at(0));
        assert!(p.due(at(500), |name| name != "VI_1").is_empty());
        assert_eq!(p.next_due(), None);
    }
}
