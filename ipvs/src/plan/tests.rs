use super::*;
use crate::types::*;
use proptest::prelude::*;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

fn tcp(last: u8, port: u16) -> ServiceKey {
    ServiceKey::Addr {
        protocol: Protocol::Tcp,
        addr: IpAddr::V4(Ipv4Addr::new(192, 0, 2, last)),
        port,
    }
}

fn rs(last: u8, weight: u32) -> Destination {
    Destination::new(
        IpAddr::V4(Ipv4Addr::new(10, 0, 0, last)),
        80,
        Forward::Nat,
        weight,
    )
}

fn state(key: ServiceKey, dests: &[Destination]) -> ServiceState {
    ServiceState {
        service: Service::new(key).scheduler("rr"),
        dests: dests.to_vec(),
    }
}

fn desired(states: &[ServiceState]) -> Desired {
    Desired {
        services: states.to_vec(),
    }
}

#[test]
fn from_empty_adds_everything_in_order() {
    let want = desired(&[
        state(tcp(1, 80), &[rs(1, 1), rs(2, 2)]),
        state(tcp(2, 80), &[rs(3, 1)]),
    ]);
    let p = plan(&want, &[], &Ownership::of(&want), Options::default());
    assert_eq!(
        p.ops,
        vec![
            Op::AddService(want.services[0].service.clone()),
            Op::AddDest(tcp(1, 80), rs(1, 1)),
            Op::AddDest(tcp(1, 80), rs(2, 2)),
            Op::AddService(want.services[1].service.clone()),
            Op::AddDest(tcp(2, 80), rs(3, 1)),
        ]
    );
    assert!(p.foreign.is_empty());
}

#[test]
fn equal_state_gives_no_ops_even_with_kernel_hashed_flag() {
    let want = desired(&[state(tcp(1, 80), &[rs(1, 1), rs(2, 2)])]);
    let mut have = want.services.clone();
    have[0].service.flags = have[0].service.flags.with(ServiceFlags::HASHED, true);
    have[0].dests.reverse();
    let p = plan(&want, &have, &Ownership::of(&want), Options::default());
    assert!(p.ops.is_empty(), "{:?}", p.ops);
}

#[test]
fn differing_entries_are_edited_not_recreated() {
    let want = desired(&[state(tcp(1, 80), &[rs(1, 5), rs(2, 2)])]);
    let mut have = want.services.clone();
    have[0].service.scheduler = "wlc".into();
    have[0].dests[0].weight = 1;
    have[0].dests[1].forward = Forward::DirectRoute;
    let p = plan(&want, &have, &Ownership::of(&want), Options::default());
    assert_eq!(
        p.ops,
        vec![
            Op::EditService(want.services[0].service.clone()),
            Op::EditDest(tcp(1, 80), rs(1, 5)),
            Op::EditDest(tcp(1, 80), rs(2, 2)),
        ]
    );
}

#[test]
fn removed_real_server_is_deleted_and_inhibited_one_gets_weight_zero() {
    let svc = Service::new(tcp(1, 80));
    let mut want = Desired::default();
    want.add_service(
        svc.clone(),
        &[
            RealServer {
                dest: rs(1, 3),
                healthy: false,
                inhibit_on_failure: false,
            },
            RealServer {
                dest: rs(2, 3),
                healthy: false,
                inhibit_on_failure: true,
            },
        ],
    );
    let have = vec![ServiceState {
        service: svc,
        dests: vec![rs(1, 3), rs(2, 3)],
    }];
    let p = plan(&want, &have, &Ownership::of(&want), Options::default());
    assert_eq!(
        p.ops,
        vec![
            Op::DelDest(tcp(1, 80), rs(1, 3).key()),
            Op::EditDest(tcp(1, 80), rs(2, 0))
        ]
    );
}

#[test]
fn foreign_services_are_reported_and_left_alone() {
    let want = desired(&[state(tcp(1, 80), &[rs(1, 1)])]);
    let have = vec![
        state(tcp(9, 443), &[rs(7, 1)]),
        state(tcp(1, 80), &[rs(1, 1)]),
    ];
    let p = plan(&want, &have, &Ownership::of(&want), Options::default());
    assert!(p.ops.is_empty());
    assert_eq!(p.foreign, vec![tcp(9, 443)]);
}

#[test]
fn service_dropped_from_config_is_deleted_on_reload() {
    let old = desired(&[
        state(tcp(1, 80), &[rs(1, 1)]),
        state(tcp(2, 80), &[rs(2, 1)]),
    ]);
    let new = desired(&[state(tcp(1, 80), &[rs(1, 1)])]);
    let mut own = Ownership::of(&old);
    own.extend(&new);
    let p = plan(&new, &old.services, &own, Options::default());
    assert_eq!(p.ops, vec![Op::DelService(tcp(2, 80))]);
    own.settle(&new);
    assert!(!own.owns(&tcp(2, 80)));
}

#[test]
fn key_change_is_delete_and_add() {
    let old = desired(&[state(tcp(1, 80), &[rs(1, 1)])]);
    let new = desired(&[state(tcp(1, 8080), &[rs(1, 1)])]);
    let mut own = Ownership::of(&old);
    own.extend(&new);
    let p = plan(&new, &old.services, &own, Options::default());
    assert_eq!(
        p.ops,
        vec![
            Op::DelService(tcp(1, 80)),
            Op::AddService(new.services[0].service.clone()),
            Op::AddDest(tcp(1, 8080), rs(1, 1)),
        ]
    );
}

#[test]
fn lvs_flush_flushes_first_and_takes_foreign_with_it() {
    let want = desired(&[state(tcp(1, 80), &[rs(1, 1)])]);
    let have = vec![state(tcp(9, 443), &[])];
    let p = plan(&want, &have, &Ownership::of(&want), Options { flush: true });
    assert_eq!(p.ops[0], Op::Flush);
    let mut t = have.clone();
    simulate(&mut t, &p.ops).unwrap();
    assert_eq!(t, want.services);
}

#[test]
fn stop_policies() {
    let want = desired(&[state(tcp(1, 80), &[rs(1, 1)])]);
    let have = vec![state(tcp(9, 443), &[]), state(tcp(1, 80), &[rs(1, 1)])];
    let own = Ownership::of(&want);
    assert_eq!(
        plan_stop(&have, &own, StopPolicy::RemoveOwned),
        vec![Op::DelService(tcp(1, 80))]
    );
    assert_eq!(
        plan_stop(&have, &own, StopPolicy::FlushAll),
        vec![Op::Flush]
    );
    assert!(plan_stop(&have, &own, StopPolicy::Keep).is_empty());
}

#[test]
fn duplicates_in_desired_count_once() {
    let want = desired(&[
        state(tcp(1, 80), &[rs(1, 1), rs(1, 2)]),
        state(tcp(1, 80), &[]),
    ]);
    let p = plan(&want, &[], &Ownership::of(&want), Options::default());
    assert_eq!(p.ops.len(), 2);
    let mut t = Vec::new();
    simulate(&mut t, &p.ops).unwrap();
    assert!(plan(&want, &t, &Ownership::of(&want), Options::default())
        .ops
        .is_empty());
}

#[test]
fn simulate_refuses_what_the_kernel_refuses() {
    let mut t = vec![state(tcp(1, 80), &[rs(1, 1)])];
    assert!(simulate(&mut t, &[Op::AddService(Service::new(tcp(1, 80)))]).is_err());
    assert!(simulate(&mut t, &[Op::AddDest(tcp(1, 80), rs(1, 1))]).is_err());
    assert!(simulate(&mut t, &[Op::DelDest(tcp(1, 80), rs(2, 1).key())]).is_err());
    assert!(simulate(&mut t, &[Op::EditService(Service::new(tcp(2, 80)))]).is_err());
}

// ---- properties ----

fn arb_key() -> impl Strategy<Value = ServiceKey> {
    prop_oneof![
        (
            prop_oneof![
                Just(Protocol::Tcp),
                Just(Protocol::Udp),
                Just(Protocol::Sctp)
            ],
            1u8..4,
            1u16..3
        )
            .prop_map(|(protocol, a, port)| ServiceKey::Addr {
                protocol,
                addr: IpAddr::V4(Ipv4Addr::new(192, 0, 2, a)),
                port
            }),
        (1u16..3).prop_map(|p| ServiceKey::Addr {
            protocol: Protocol::Tcp,
            addr: IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1)),
            port: p
        }),
        (
            prop_oneof![Just(Family::Inet), Just(Family::Inet6)],
            1u32..3
        )
            .prop_map(|(family, mark)| ServiceKey::Fwmark { family, mark }),
    ]
}

fn arb_forward() -> impl Strategy<Value = Forward> {
    prop_oneof![
        Just(Forward::Nat),
        Just(Forward::DirectRoute),
        Just(Forward::Tunnel {
            kind: TunnelType::Ipip,
            port: 0,
            csum: TunnelCsum::NoCsum
        }),
        Just(Forward::Tunnel {
            kind: TunnelType::Gue,
            port: 6080,
            csum: TunnelCsum::Csum
        }),
    ]
}

fn arb_dest() -> impl Strategy<Value = Destination> {
    (1u8..5, 79u16..81, arb_forward(), 0u32..3, 0u32..2).prop_map(
        |(a, port, forward, weight, u)| Destination {
            addr: IpAddr::V4(Ipv4Addr::new(10, 0, 0, a)),
            port,
            forward,
            weight,
            u_threshold: u * 100,
            l_threshold: 0,
        },
    )
}

fn arb_state() -> impl Strategy<Value = ServiceState> {
    (
        arb_key(),
        prop_oneof![Just("rr"), Just("wlc"), Just("sh")],
        0u32..2,
        any::<bool>(),
        prop::collection::vec(arb_dest(), 0..4),
    )
        .prop_map(|(key, sched, timeout, ops, dests)| {
            let mut service = Service::new(key).scheduler(sched);
            if timeout > 0 {
                service = service.persistent(300);
            }
            service.flags = service.flags.with(ServiceFlags::ONE_PACKET, ops);
            ServiceState { service, dests }
        })
}

/// A kernel table has unique keys.
fn kernel_table(states: Vec<ServiceState>) -> Vec<ServiceState> {
    let mut seen = HashSet::new();
    states
        .into_iter()
        .filter(|s| seen.insert(s.service.key))
        .map(|mut s| {
            let mut d = HashSet::new();
            s.dests.retain(|x| d.insert(x.key()));
            s
        })
        .collect()
}

fn normalised(t: &[ServiceState]) -> Vec<(ServiceKey, String, u32, u32, Vec<Destination>)> {
    let mut v: Vec<_> = t
        .iter()
        .map(|s| {
            let mut d = s.dests.clone();
            d.sort_by_key(|x| x.key());
            (
                s.service.key,
                s.service.scheduler.clone(),
                s.service.flags.user(),
                s.service.timeout,
                d,
            )
        })
        .collect();
    v.sort_by_key(|x| x.0);
    v
}

proptest! {
    #[test]
    fn plan_converges_and_spares_foreign(
        want in prop::collection::vec(arb_state(), 0..5),
        have in prop::collection::vec(arb_state(), 0..6),
        previously_owned in prop::collection::vec(arb_key(), 0..3),
    ) {
        let want = Desired { services: want };
        let have = kernel_table(have);
        let mut own = Ownership::of(&Desired {
            services: previously_owned.iter().map(|k| ServiceState { service: Service::new(*k), dests: vec![] }).collect(),
        });
        own.extend(&want);
        let p = plan(&want, &have, &own, Options::default());
        // Never touches a service it does not own.
        for op in &p.ops {
            let key = match op {
                Op::AddService(s) | Op::EditService(s) => s.key,
                Op::DelService(k) | Op::AddDest(k, _) | Op::EditDest(k, _) | Op::DelDest(k, _) => *k,
                Op::Flush => panic!("flush without lvs_flush"),
            };
            prop_assert!(own.owns(&key));
        }
        let mut t = have.clone();
        simulate(&mut t, &p.ops).map_err(|e| TestCaseError::fail(e.to_string()))?;
        // Owned part == desired; foreign part unchanged.
        let expect_owned = kernel_table(want.services.clone());
        let got_owned: Vec<_> = t.iter().filter(|s| own.owns(&s.service.key)).cloned().collect();
        prop_assert_eq!(normalised(&got_owned), normalised(&expect_owned));
        let foreign_before: Vec<_> = have.iter().filter(|s| !own.owns(&s.service.key)).cloned().collect();
        let foreign_after: Vec<_> = t.iter().filter(|s| !own.owns(&s.service.key)).cloned().collect();
        prop_assert_eq!(foreign_before, foreign_after);
        prop_assert_eq!(p.foreign.len(), have.iter().filter(|s| !own.owns(&s.service.key)).count());
        // A second plan is empty.
        let again = plan(&want, &t, &own, Options::default());
        prop_assert!(again.ops.is_empty(), "{:?}", again.ops);
    }

    #[test]
    fn plan_on_equal_state_is_empty(want in prop::collection::vec(arb_state(), 0..6)) {
        let want = Desired { services: kernel_table(want) };
        let p = plan(&want, &want.services, &Ownership::of(&want), Options::default());
        prop_assert!(p.ops.is_empty());
    }

    #[test]
    fn plan_is_minimal_per_entry(
        want in prop::collection::vec(arb_state(), 0..5),
        have in prop::collection::vec(arb_state(), 0..5),
    ) {
        // At most one op per service and per destination that differs.
        let want = Desired { services: kernel_table(want) };
        let have = kernel_table(have);
        let own = Ownership::of(&want);
        let p = plan(&want, &have, &own, Options::default());
        let mut seen = HashSet::new();
        for op in &p.ops {
            let id = match op {
                Op::AddService(s) | Op::EditService(s) => (s.key, None),
                Op::DelService(k) => (*k, None),
                Op::AddDest(k, d) | Op::EditDest(k, d) => (*k, Some(d.key())),
                Op::DelDest(k, d) => (*k, Some(*d)),
                Op::Flush => unreachable!(),
            };
            prop_assert!(seen.insert(id), "two ops on {:?}", id);
        }
    }
}
