//! Two routers on an in-memory network with a virtual clock, as quinn-proto tests its endpoints:
//! each router's `SendAdvert` reaches the other after a fixed latency, and the clock jumps to the
//! next event (a startup, a delivery, or an armed timer). No sockets, no sleeping.

mod common;

use std::time::Duration;

use common::Network;
use proptest::prelude::*;
use vrrp::{Input, InstanceConfig, ProtocolVersion, State, Time};

/// [`common::router_config`] with a version, interval and preemption of the test's choosing.
fn router_config(
    n: u8,
    priority: u8,
    version: ProtocolVersion,
    interval: Duration,
    preempt: bool,
) -> InstanceConfig {
    let mut c = common::router_config(n, priority);
    c.version = version;
    c.advert_interval = interval;
    c.preempt = preempt;
    c
}

/// Runs until `until` and returns, for every period during which both were Master after both
/// had started, its length.
fn run_measuring_dual_master(net: &mut Network, until: Time) -> Vec<Duration> {
    let both_up = net.start_at[0].max(net.start_at[1]);
    let mut dual_since: Option<Time> = None;
    let mut periods = Vec::new();
    while net.step(until) {
        let dual = net.masters() == 2 && net.now >= both_up;
        match (dual, dual_since) {
            (true, None) => dual_since = Some(net.now),
            (false, Some(since)) => {
                periods.push(net.now - since);
                dual_since = None;
            }
            _ => {}
        }
    }
    if let Some(since) = dual_since {
        periods.push(until - since);
    }
    periods
}

#[test]
fn higher_priority_router_wins_and_the_other_stays_backup() {
    let v2 = ProtocolVersion::V2;
    let second = Duration::from_secs(1);
    let mut net = Network::new(
        [
            router_config(1, 100, v2, second, true),
            router_config(2, 200, v2, second, true),
        ],
        [Time::ZERO, Time::from_millis(20_000)],
        Duration::from_millis(1),
    );
    // Router 0 alone: Master after its Master_Down_Interval.
    while net.step(Time::from_millis(19_999)) {}
    assert_eq!(net.routers[0].state(), State::Master);
    assert_eq!(net.log[1].0, Time(Duration::from_micros(3_609_375)));
    // Router 1 (priority 200) starts as Backup, discards the lower adverts, and takes over
    // after its Master_Down_Interval (3 s + 56/256 s); router 0 yields on its first advert.
    while net.step(Time::from_millis(60_000)) {}
    assert_eq!(net.routers[1].state(), State::Master);
    assert_eq!(net.routers[0].state(), State::Backup);
    let takeover = net
        .log
        .iter()
        .find(|(_, r, _, to)| *r == 1 && *to == State::Master)
        .unwrap()
        .0;
    assert_eq!(
        takeover,
        Time::from_millis(20_000) + Duration::from_micros(3_218_750)
    );
    // Router 0 yields one latency later, and nothing changes afterwards.
    assert_eq!(
        net.log.last().unwrap(),
        &(
            takeover + Duration::from_millis(1),
            0,
            State::Master,
            State::Backup
        )
    );
}

#[test]
fn master_shutdown_hands_over_after_skew_time() {
    let v2 = ProtocolVersion::V2;
    let second = Duration::from_secs(1);
    let mut net = Network::new(
        [
            router_config(1, 255, v2, second, true),
            router_config(2, 100, v2, second, true),
        ],
        [Time::ZERO, Time::ZERO],
        Duration::ZERO,
    );
    while net.step(Time::from_millis(10_500)) {}
    assert_eq!(net.routers[0].state(), State::Master);
    assert_eq!(net.routers[1].state(), State::Backup);
    net.inject(0, Input::Shutdown);
    let down_at = net.now;
    while net.step(Time::from_millis(30_000)) {}
    assert_eq!(net.routers[0].state(), State::Stop);
    assert_eq!(net.routers[1].state(), State::Master);
    let takeover = net.log.last().unwrap();
    assert_eq!(
        takeover,
        &(
            down_at + Duration::from_micros(609_375),
            1,
            State::Backup,
            State::Master
        )
    );
}

/// (version, interval of router 0, interval of router 1): v2 routers must agree on the interval
/// (the check drops adverts that differ); v3 routers need not.
fn intervals() -> impl Strategy<Value = (ProtocolVersion, Duration, Duration)> {
    prop_oneof![
        (1u64..=3).prop_map(|s| (
            ProtocolVersion::V2,
            Duration::from_secs(s),
            Duration::from_secs(s)
        )),
        (1u64..=300, 1u64..=300).prop_map(|(a, b)| (
            ProtocolVersion::V3,
            Duration::from_millis(a * 10),
            Duration::from_millis(b * 10)
        )),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Once both routers are up, two Masters never coexist for longer than one
    /// Master_Down_Interval, and in the end there is exactly one: the higher-priority router if it
    /// may preempt.
    #[test]
    fn at_most_one_master_for_long(
        p0 in 1u8..=255,
        p1 in 1u8..=255,
        (version, i0, i1) in intervals(),
        preempt in (any::<bool>(), any::<bool>()),
        start0 in 0u64..10_000,
        start1 in 0u64..10_000,
        latency_ms in 0u64..=50,
    ) {
        let configs = [
            router_config(1, p0, version, i0, preempt.0),
            router_config(2, p1, version, i1, preempt.1),
        ];
        let start_at = [Time::from_millis(start0), Time::from_millis(start1)];
        let mut net = Network::new(configs, start_at, Duration::from_millis(latency_ms));
        let mdi = [0, 1].map(|r| {
            vrrp::master_down_interval(3, [p0, p1][r], [i0, i1][r])
        });
        let longest_mdi = mdi[0].max(mdi[1]);
        // A network slower than a Master_Down_Interval makes every backup take over before it
        // can hear the master: two masters for one latency are then the protocol's, not a bug
        // (seed in two_routers.proptest-regressions: 37 ms against 36.99). Not a network VRRP
        // is meant for.
        prop_assume!(Duration::from_millis(latency_ms) < mdi[0].min(mdi[1]));
        let until = start_at[0].max(start_at[1]) + longest_mdi * 12 + Duration::from_secs(1);

        let periods = run_measuring_dual_master(&mut net, until);
        // The bound asked for is one Master_Down_Interval. In fact the loser yields on the
        // winner's next advert, so it is at most one advert interval plus the latency.
        let tighter = i0.max(i1) + Duration::from_millis(latency_ms);
        for period in &periods {
            prop_assert!(
                *period <= longest_mdi && *period <= tighter,
                "two masters for {:?} (> {:?} or {:?}); log {:?}", period, longest_mdi, tighter, net.log
            );
        }
        prop_assert_eq!(net.masters(), 1, "log {:?}", net.log);

        // A Backup preempts only a strictly lower priority (RFC 6.4.2: an equal-priority advert
        // resets its timer); the address breaks ties only between two Masters.
        let winner = if p0 > p1 { 0 } else { 1 };
        if p0 != p1 && [preempt.0, preempt.1][winner] {
            prop_assert_eq!(net.routers[winner].state(), State::Master, "log {:?}", net.log);
        }
    }
}
