//! The sweep: the whole table compared with the desired state a slice at a time, instead of
//! in one full pass that reads every service at once. Pure: which services the next slice
//! holds, and how long to wait before the one after.
//!
//! A full pass reads the whole table in one go: at 10,000 services (or one service of 10,000
//! real servers) a second of the emulated test VM's CPU in one burst, during which the checkers
//! sharing the CPU wait. The sweep reads the same services, in the desired state's order, in
//! slices of at most [`SLICE_COST`] (a service costs 1 plus its destinations: a GET and a
//! dump of its destinations), so that a round covers the whole table without a burst longer
//! than one slice. [`next_after`] paces the slices: a round takes at least the period, and the
//! sweep takes at most 1/[`SHARE`] of the time.

use std::ops::Range;
use std::time::Duration;

use crate::types::ServiceState;

/// The most a slice costs (services + their destinations), unless one service alone costs
/// more: then that service is its slice.
pub const SLICE_COST: usize = 1_000;

/// The sweep takes at most 1/SHARE of the reconciler thread's time: each slice is followed by
/// a wait of at least SHARE times what it took to read and plan.
pub const SHARE: u32 = 100;

/// One slice of a sweep: what it compared, of how much in all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Slice {
    /// The slice's cost (services + destinations desired).
    pub cost: usize,
    /// The whole desired state's cost.
    pub of: usize,
    /// The slice ends a round: the whole desired state has been compared since the round began.
    pub ends_round: bool,
}

/// What a service costs to compare: its GET and the dump of its destinations.
fn cost(s: &ServiceState) -> usize {
    1 + s.dests.len()
}

/// Where a sweep stands in the desired state.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Sweep {
    /// The index of the next service to compare.
    next: usize,
}

impl Sweep {
    /// Start the next round from the first service (the desired state was replaced, or a full
    /// pass has just compared everything).
    pub fn restart(&mut self) {
        self.next = 0;
    }

    /// The next slice of `services`: from where the sweep stands, as many services as fit in
    /// `max_cost` (at least one); the sweep moves past them. Empty when there is nothing
    /// desired.
    pub fn next_slice(
        &mut self,
        services: &[ServiceState],
        max_cost: usize,
    ) -> (Range<usize>, Slice) {
        let of: usize = services.iter().map(cost).sum();
        if services.is_empty() {
            self.next = 0;
            return (
                0..0,
                Slice {
                    cost: 0,
                    of,
                    ends_round: true,
                },
            );
        }
        if self.next >= services.len() {
            self.next = 0;
        }
        let start = self.next;
        let mut end = start;
        let mut spent = 0;
        while end < services.len() {
            let c = cost(&services[end]);
            if end > start && spent + c > max_cost {
                break;
            }
            spent += c;
            end += 1;
        }
        self.next = end % services.len();
        let slice = Slice {
            cost: spent,
            of,
            ends_round: end == services.len(),
        };
        (start..end, slice)
    }
}

/// How long after a slice (which took `took` to read and plan) the next one comes: its part
/// of `period` (so that a round takes `period` when reading is cheap), or [`SHARE`] times
/// `took`, whichever is longer.
pub fn next_after(period: Duration, slice: Slice, took: Duration) -> Duration {
    let part = if slice.of == 0 {
        period
    } else {
        period.mul_f64(slice.cost as f64 / slice.of as f64)
    };
    part.max(took.saturating_mul(SHARE))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{Destination, Forward, Protocol, Service, ServiceKey};
    use std::net::{IpAddr, Ipv4Addr};

    /// Service `i` with `n` destinations.
    fn svc(i: u32, n: u32) -> ServiceState {
        ServiceState {
            service: Service::new(ServiceKey::Addr {
                protocol: Protocol::Tcp,
                addr: IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + i)),
                port: 80,
            }),
            dests: (0..n)
                .map(|r| {
                    Destination::new(
                        IpAddr::V4(Ipv4Addr::from(0xac10_0000 + r)),
                        80,
                        Forward::Nat,
                        1,
                    )
                })
                .collect(),
        }
    }

    /// Slices hold as many services as fit, cover every service once per round in order, and
    /// the last one ends the round; then the sweep begins again.
    #[test]
    fn slices_cover_the_table_once_per_round() {
        // Costs 5 each (4 destinations): 2 fit in 10.
        let services: Vec<ServiceState> = (0..5).map(|i| svc(i, 4)).collect();
        let mut s = Sweep::default();
        let mut seen = Vec::new();
        for _ in 0..3 {
            let (r, slice) = s.next_slice(&services, 10);
            assert_eq!(slice.of, 25);
            seen.push((r, slice.cost, slice.ends_round));
        }
        assert_eq!(
            seen,
            [(0..2, 10, false), (2..4, 10, false), (4..5, 5, true)]
        );
        assert_eq!(s.next_slice(&services, 10).0, 0..2, "round two");
        s.restart();
        assert_eq!(s.next_slice(&services, 10).0, 0..2);
    }

    /// A service that costs more than a slice is a slice alone; a desired state that shrank
    /// under the sweep's position starts the round again; nothing desired is an empty slice.
    #[test]
    fn big_services_shrunk_states_and_nothing() {
        let services = vec![svc(0, 1), svc(1, 10_000), svc(2, 1)];
        let mut s = Sweep::default();
        assert_eq!(s.next_slice(&services, 100).0, 0..1);
        let (r, slice) = s.next_slice(&services, 100);
        assert_eq!((r, slice.cost, slice.ends_round), (1..2, 10_001, false));
        assert_eq!(s.next_slice(&services, 100).0, 2..3);
        s.next_slice(&services, 100);
        s.next_slice(&services, 100);
        // The sweep stands at index 2; the state shrinks to one service.
        let (r, slice) = s.next_slice(&services[..1], 100);
        assert_eq!((r, slice.ends_round), (0..1, true));
        let (r, slice) = s.next_slice(&[], 100);
        assert_eq!(
            (r, slice),
            (
                0..0,
                Slice {
                    cost: 0,
                    of: 0,
                    ends_round: true
                }
            )
        );
    }

    /// A cheap slice waits its part of the period (a round takes the period); an expensive one
    /// SHARE times what it took.
    #[test]
    fn slices_are_paced_by_their_part_of_the_period_or_their_cost() {
        let p = Duration::from_secs(5);
        let quarter = Slice {
            cost: 250,
            of: 1000,
            ends_round: false,
        };
        assert_eq!(
            next_after(p, quarter, Duration::ZERO),
            Duration::from_millis(1250)
        );
        assert_eq!(
            next_after(p, quarter, Duration::from_millis(30)),
            Duration::from_secs(3)
        );
        let nothing = Slice {
            cost: 0,
            of: 0,
            ends_round: true,
        };
        assert_eq!(next_after(p, nothing, Duration::ZERO), p);
    }
}
