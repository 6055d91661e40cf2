//! A reload seen by one instance (`Instance::reconfigure`), on a virtual clock: what a new
//! configuration changes in place, what it leaves alone, and what needs a restart.

mod common;

use common::{addr, config, hear, ms};

use std::time::Duration;

use vrrp::{Action, Input, Instance, InstanceConfig, Restart, State, Time, TimerKind};

/// A Master at 10 s (owner startup: priority 255 takes over at once).
fn master(c: InstanceConfig) -> Instance {
    let mut i = Instance::new(c).unwrap();
    i.handle(Input::Startup, Time::ZERO);
    assert_eq!(i.state(), State::Master);
    i
}

fn owner() -> InstanceConfig {
    config(255)
}

#[test]
fn a_master_given_the_same_configuration_does_nothing() {
    let mut i = master(owner());
    let timers: Vec<_> = i.timers().collect();
    assert_eq!(i.reconfigure(owner(), ms(500)), Ok(vec![]));
    assert_eq!(i.state(), State::Master);
    assert_eq!(i.timers().collect::<Vec<_>>(), timers);
}

#[test]
fn a_vip_added_while_master_is_configured_and_announced_once() {
    let mut i = master(owner());
    let mut c = owner();
    c.vips.push(addr(101));
    let out = i.reconfigure(c, ms(500)).unwrap();
    assert_eq!(
        out,
        vec![
            Action::AddVips(vec![addr(101)]),
            Action::SendGratuitous {
                vips: vec![addr(101)],
                count: 5
            }
        ]
    );
    // The next advert carries both addresses.
    let (kind, at) = i.timer().unwrap();
    let out = i.handle(Input::Timer(kind), at);
    let addresses = out.iter().find_map(|a| match a {
        Action::SendAdvert { advert, .. } => Some(advert.addresses.clone()),
        _ => None,
    });
    assert_eq!(addresses, Some(vec![addr(100), addr(101)]));
}

#[test]
fn a_vip_removed_while_master_is_removed_and_nothing_else() {
    let mut c = owner();
    c.vips.push(addr(101));
    let mut i = master(c);
    assert_eq!(
        i.reconfigure(owner(), ms(500)),
        Ok(vec![Action::RemoveVips(vec![addr(101)])])
    );
}

#[test]
fn a_backup_changes_no_address_and_takes_over_with_the_new_ones() {
    let mut i = Instance::new(config(100)).unwrap();
    i.handle(Input::Startup, Time::ZERO);
    let mut c = config(100);
    c.vips = vec![addr(101)];
    assert_eq!(i.reconfigure(c, ms(100)), Ok(vec![]));
    let (kind, at) = i.timer().unwrap();
    let out = i.handle(Input::Timer(kind), at);
    assert!(out.contains(&Action::AddVips(vec![addr(101)])), "{out:?}");
}

#[test]
fn identity_changes_need_a_restart() {
    let mut i = master(owner());
    let mut c = owner();
    c.vrid = 52;
    assert_eq!(i.reconfigure(c, ms(1)), Err(Restart::Vrid));
    let mut c = owner();
    c.unicast_peers = vec![addr(2)];
    assert_eq!(i.reconfigure(c, ms(1)), Err(Restart::UnicastMode));
    let mut c = owner();
    c.advert_interval = Duration::from_millis(1500);
    assert!(matches!(i.reconfigure(c, ms(1)), Err(Restart::Invalid(_))));
    // Nothing was applied by the refused ones.
    assert_eq!(i.config(), &owner());
}

/// keepalived 2.2.7 (measured): a new version is taken in place, no state change; a Master's
/// next advert is the new version's, at once, then one every interval from then on.
#[test]
fn a_new_version_is_taken_in_place_and_advertised_at_once() {
    let mut i = master(owner());
    let mut c = owner();
    c.version = vrrp::ProtocolVersion::V3;
    let out = i.reconfigure(c.clone(), ms(400)).unwrap();
    assert_eq!(i.state(), State::Master);
    assert_eq!(out.len(), 2, "{out:?}");
    let Action::SendAdvert { advert, .. } = &out[0] else {
        panic!("{out:?}");
    };
    assert_eq!(
        advert.version,
        vrrp::Version::V3 {
            max_advert_interval_cs: 100
        }
    );
    assert_eq!(advert.priority, 255);
    assert_eq!(
        out[1],
        Action::SetTimer {
            at: ms(1400),
            kind: TimerKind::Advert
        }
    );
    // And back: the same again, in v2.
    let out = i.reconfigure(owner(), ms(500)).unwrap();
    assert!(matches!(
        &out[0],
        Action::SendAdvert { advert, .. } if matches!(advert.version, vrrp::Version::V2 { .. })
    ));
    // A Backup sends nothing; it takes over later with the new version.
    let mut b = Instance::new(config(100)).unwrap();
    b.handle(Input::Startup, Time::ZERO);
    let mut c = config(100);
    c.version = vrrp::ProtocolVersion::V3;
    assert_eq!(b.reconfigure(c, ms(100)), Ok(vec![]));
    let (kind, at) = b.timer().unwrap();
    let out = b.handle(Input::Timer(kind), at);
    assert!(
        out.iter()
            .any(|a| matches!(a, Action::SendAdvert { advert, .. }
            if matches!(advert.version, vrrp::Version::V3 { .. }))),
        "{out:?}"
    );
}

#[test]
fn a_new_advert_interval_applies_from_the_next_advert() {
    let mut i = master(owner());
    let mut c = owner();
    c.advert_interval = Duration::from_secs(3);
    assert_eq!(i.reconfigure(c, ms(200)), Ok(vec![]));
    // The advert already due at 1 s goes out; the one after it 3 s later.
    let (kind, at) = i.timer().unwrap();
    assert_eq!((kind, at), (TimerKind::Advert, ms(1000)));
    let out = i.handle(Input::Timer(kind), at);
    assert!(out.contains(&Action::SetTimer {
        at: ms(4000),
        kind: TimerKind::Advert
    }));
}

#[test]
fn garp_refresh_is_armed_and_cancelled_at_once() {
    let mut i = master(owner());
    let mut c = owner();
    c.garp_master_refresh = Duration::from_secs(60);
    assert_eq!(
        i.reconfigure(c, ms(200)),
        Ok(vec![Action::SetTimer {
            at: ms(60_200),
            kind: TimerKind::GarpRefresh
        }])
    );
    assert_eq!(
        i.reconfigure(owner(), ms(300)),
        Ok(vec![Action::CancelTimer(TimerKind::GarpRefresh)])
    );
}

/// The configured priority reaches the instance as tracking's does: through PriorityChange,
/// which a Master advertises at once; a Backup raised above the Master takes over when the
/// Master's adverts no longer hold it back (preemption).
#[test]
fn a_new_priority_comes_through_priority_change() {
    let mut b = Instance::new(config(100)).unwrap();
    b.handle(Input::Startup, Time::ZERO);
    b.handle(hear(150, addr(2)), ms(100));
    assert_eq!(b.reconfigure(config(200), ms(200)), Ok(vec![]));
    assert_eq!(
        b.priority(),
        100,
        "reconfigure leaves the effective priority"
    );
    assert_eq!(b.handle(Input::PriorityChange(200), ms(200)), vec![]);
    // The master's adverts at 150 no longer reset the timer: it runs out, b takes over.
    b.handle(hear(150, addr(2)), ms(1100));
    let (kind, at) = b.timer().unwrap();
    let out = b.handle(Input::Timer(kind), at);
    assert!(out.contains(&Action::Transition {
        from: State::Backup,
        to: State::Master
    }));
}

/// keepalived's `virtual_ipaddress_excluded`: held, announced and dropped with the VIPs, never in
/// an advert; one added on a reload while Master is configured and announced like a VIP.
#[test]
fn excluded_addresses_are_held_with_the_vips_but_not_advertised() {
    let v6: std::net::IpAddr = "fd00::9".parse().unwrap();
    let mut c = owner();
    c.excluded_vips = vec![addr(200), v6];
    let mut i = Instance::new(c.clone()).unwrap();
    let out = i.handle(Input::Startup, Time::ZERO);
    let held = vec![addr(100), addr(200), v6];
    assert!(out.contains(&Action::AddVips(held.clone())), "{out:?}");
    assert!(
        out.contains(&Action::SendGratuitous {
            vips: held.clone(),
            count: 5
        }),
        "{out:?}"
    );
    let advertised: Vec<_> = out
        .iter()
        .filter_map(|a| match a {
            Action::SendAdvert { advert, .. } => Some(advert.addresses.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(advertised, vec![vec![addr(100)]]);

    c.excluded_vips.push(addr(201));
    let out = i.reconfigure(c, ms(500)).unwrap();
    assert_eq!(out[0], Action::AddVips(vec![addr(201)]), "{out:?}");

    let out = i.handle(Input::Shutdown, ms(600));
    assert!(
        out.contains(&Action::RemoveVips(vec![
            addr(100),
            addr(200),
            v6,
            addr(201)
        ])),
        "{out:?}"
    );
}
