//! Tests of the VRRP blocks, through `parse_str`: model values and exact diagnostic headlines.

use crate::model::vrrp::*;
use crate::values::Timer;
use crate::{parse_str, Options, Parsed};
use std::net::IpAddr;

pub(super) fn parse(text: &str) -> Parsed {
    parse_str(
        "t.conf",
        text,
        &Options {
            config_id: "x".into(),
            ..Default::default()
        },
    )
}

/// Every diagnostic's headline.
pub(super) fn headlines(p: &Parsed) -> Vec<String> {
    p.diags
        .iter()
        .filter(|d| !crate::decode::no_effect::is_note(&d.message))
        .map(|d| d.headline(&p.sources))
        .collect()
}

/// Asserts the exact list of diagnostic headlines.
#[track_caller]
pub(super) fn assert_diags(p: &Parsed, want: &[&str]) {
    assert_eq!(
        headlines(p),
        want.iter().map(|s| s.to_string()).collect::<Vec<_>>()
    );
}

/// An instance with the required keywords (lines 1-6), `extra` from line 7, then `}`.
fn inst(extra: &str) -> Parsed {
    parse(&format!("{BASE}{extra}}}\n"))
}

const BASE: &str = "vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 51
    virtual_ipaddress {
        10.0.0.1/24
    }
";

fn only(p: &Parsed) -> &VrrpInstance {
    &p.config.vrrp.vrrp_instance[0]
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap_or(IpAddr::from([0, 0, 0, 0]))
}

#[test]
fn minimal_instance_gets_keepalived_defaults() {
    let p = inst("");
    assert_diags(&p, &[]);
    let i = only(&p);
    assert_eq!(i.name, "VI_1");
    assert_eq!(i.interface.as_deref(), Some("eth0"));
    assert_eq!(i.virtual_router_id, Some(51));
    assert_eq!(i.state, VrrpState::Backup);
    assert_eq!(i.priority, 100);
    assert_eq!(i.advert_int, Timer::secs(1));
    assert_eq!(i.version, 2);
    assert!(i.accept && !i.strict_mode && !i.nopreempt);
    assert_eq!(i.preempt_delay, Timer::default());
    assert_eq!(
        (i.garp_master_delay, i.garp_master_repeat),
        (Timer::secs(5), 5)
    );
    assert_eq!(
        (i.garp_lower_prio_delay, i.garp_lower_prio_repeat),
        (Timer::secs(5), 5)
    );
    assert_eq!(
        (i.garp_master_refresh, i.garp_master_refresh_repeat),
        (Timer::secs(0), 1)
    );
    assert_eq!(i.down_timer_adverts, 3);
    assert!(!i.lower_prio_no_advert && !i.higher_prio_send_advert && !i.owner_ignore_adverts);
    assert_eq!(i.family, Some(Family::Inet));
    assert_eq!(i.virtual_ipaddress[0].address.to_string(), "10.0.0.1/24");
    assert_eq!(i.virtual_ipaddress[0].origin.line, 5);
    let json = serde_json::to_value(&p.config.vrrp).unwrap_or_default();
    assert_eq!(json["vrrp_instance"][0]["state"], "BACKUP");
    assert_eq!(json["vrrp_instance"][0]["advert_int"], 1);
    assert!(json["vrrp_instance"][0].get("written").is_none());
}

#[test]
fn state_and_priority_derive_each_other() {
    let p = inst("    state MASTER\n");
    assert_eq!(
        (only(&p).state, only(&p).priority),
        (VrrpState::Master, 255)
    );
    let p = inst("    priority 255\n");
    assert_eq!(
        (only(&p).state, only(&p).priority),
        (VrrpState::Master, 255)
    );
    assert!(!only(&p).owner_ignore_adverts && only(&p).accept);
    let p = inst("    state MASTER\n    priority 150\n");
    assert_eq!(
        (only(&p).state, only(&p).priority),
        (VrrpState::Master, 150)
    );
    assert_diags(&p, &[]);
}

#[test]
fn core_values_and_ranges() {
    let p = inst(
        "    state BACKUP\n    priority 150\n    advert_int 3\n    version 3\n    preempt_delay 2.5\n    no_accept\n    debug 2\n    kernel_rx_buf_size 65536\n    dont_track_primary\n    promote_secondaries\n    track_src_ip\n    mcast_src_ip 10.0.0.2\n",
    );
    assert_diags(&p, &[]);
    let i = only(&p);
    assert_eq!(
        (i.priority, i.version, i.advert_int),
        (150, 3, Timer::secs(3))
    );
    assert!(
        !i.nopreempt
            && !i.accept
            && i.dont_track_primary
            && i.promote_secondaries
            && i.track_src_ip
    );
    assert_eq!(i.preempt_delay, Timer::micros(2_500_000));
    assert_eq!((i.debug, i.kernel_rx_buf_size), (Some(2), Some(65536)));
    assert_eq!(i.mcast_src_ip, Some(ip("10.0.0.2")));

    let p = inst("    priority 0\n    virtual_router_id 256\n    advert_int 0\n    version 4\n    preempt_delay 1001\n    state SLAVE\n    debug 5\n");
    assert_diags(
        &p,
        &[
            "t.conf:7:14: error: invalid value '0' for priority: must be between 1 and 255; using 100, keepalived's default",
            "t.conf:8:23: error: invalid value '256' for virtual_router_id: must be between 1 and 255",
            "t.conf:9:16: error: invalid value '0' for advert_int: must be between 0.01 and 255 seconds; ignored, as keepalived does",
            "t.conf:10:13: error: invalid value '4' for version: must be between 2 and 3; ignored, as keepalived does",
            "t.conf:11:19: error: invalid value '1001' for preempt_delay: must be between 0 and 1000 seconds; ignored, as keepalived does",
            "t.conf:12:11: error: invalid value 'SLAVE' for state: expected one of MASTER, BACKUP; using BACKUP, as keepalived does",
            "t.conf:13:11: error: invalid value '5' for debug: must be between 0 and 4",
        ],
    );
    // Bad values leave the earlier (or default) ones.
    assert_eq!(
        (only(&p).priority, only(&p).virtual_router_id),
        (100, Some(51))
    );
}

#[test]
fn missing_virtual_router_id_and_interface() {
    let p = parse("vrrp_instance VI_1 {\n    virtual_ipaddress {\n        10.0.0.1\n    }\n}\n");
    assert_diags(
        &p,
        &[
            "t.conf:1:1: error: vrrp_instance VI_1 has no virtual_router_id",
            "t.conf:1:1: error: vrrp_instance VI_1 has no interface",
        ],
    );
    let p = parse("vrrp_instance {\n}\n");
    assert_diags(&p, &["t.conf:1:1: error: vrrp_instance needs a value"]);
    assert!(p.config.vrrp.vrrp_instance.is_empty());
}

#[test]
fn interface_names() {
    let p = inst("    interface lo\n    interface abcdefghijklmnop\n");
    assert_diags(
        &p,
        &[
            "t.conf:7:15: error: a vrrp_instance cannot run on the loopback interface; it is ignored",
            "t.conf:8:15: error: interface name 'abcdefghijklmnop' for interface is too long: at most 15 characters; it is ignored",
        ],
    );
    assert_eq!(only(&p).interface.as_deref(), Some("eth0"));
}

#[test]
fn duplicate_instance_name() {
    let p = parse(&format!("{BASE}}}\n{BASE}}}\n"));
    assert_diags(&p, &["t.conf:8:15: error: vrrp_instance VI_1 is already defined at t.conf:1:1; this one is ignored"]);
    assert_eq!(p.config.vrrp.vrrp_instance.len(), 1);
}

#[test]
fn strict_mode_state_and_priority() {
    let p = inst("    strict_mode\n    state MASTER\n    priority 200\n");
    assert_diags(
        &p,
        &["t.conf:8:5: warning: in strict mode, state MASTER needs priority 255 (the address owner); keepalived starts this instance as BACKUP"],
    );
    assert_eq!(only(&p).state, VrrpState::Backup);
    let p = inst("    strict_mode on\n    state BACKUP\n    priority 255\n");
    assert_diags(
        &p,
        &["t.conf:8:5: warning: in strict mode, priority 255 (the address owner) means state MASTER; keepalived starts this instance as MASTER"],
    );
    let i = only(&p);
    assert_eq!(i.state, VrrpState::Master);
    // Strict-mode resolutions.
    assert!(
        i.lower_prio_no_advert && !i.higher_prio_send_advert && i.owner_ignore_adverts && i.accept
    );
    assert_eq!(
        (i.garp_lower_prio_repeat, i.garp_lower_prio_delay),
        (0, Timer::default())
    );
    // Without strict mode, anything goes.
    assert_diags(&inst("    state MASTER\n    priority 200\n"), &[]);
    assert_diags(&inst("    state BACKUP\n    priority 255\n"), &[]);
}

#[test]
fn strict_mode_fixups() {
    let p = inst(
        "    strict_mode yes\n    priority 100\n    preempt_delay 5\n    down_timer_adverts 5\n    garp_lower_prio_repeat 3\n    garp_lower_prio_delay 2\n    lower_prio_no_advert off\n    higher_prio_send_advert\n    accept\n    no_virtual_ipaddress\n",
    );
    assert_diags(
        &p,
        &[
            "t.conf:1:1: warning: strict mode requires addresses; keepalived ignores no_virtual_ipaddress",
            "t.conf:9:5: warning: strict mode does not allow preempt_delay; keepalived clears it",
            "t.conf:10:5: warning: strict mode requires down_timer_adverts 3; keepalived uses 3",
            "t.conf:15:5: warning: accept mode does not comply with VRRPv2 (RFC 3768) in strict mode; keepalived clears it",
            "t.conf:11:5: warning: strict mode requires garp_lower_prio_repeat 0; keepalived uses 0",
            "t.conf:12:5: warning: strict mode requires garp_lower_prio_delay 0; keepalived uses 0",
            "t.conf:13:5: warning: strict mode requires lower_prio_no_advert; keepalived sets it",
            "t.conf:14:5: warning: strict mode does not allow higher_prio_send_advert; keepalived clears it",
        ],
    );
    let i = only(&p);
    assert!(
        !i.accept
            && i.lower_prio_no_advert
            && !i.higher_prio_send_advert
            && !i.no_virtual_ipaddress
    );
    assert_eq!(
        (i.down_timer_adverts, i.preempt_delay),
        (3, Timer::default())
    );
}

#[test]
fn no_virtual_ipaddress() {
    let p = parse("vrrp_instance VI_1 {\n    interface eth0\n    virtual_router_id 1\n}\n");
    assert_diags(&p, &["t.conf:1:1: warning: vrrp_instance VI_1 has no virtual_ipaddress; at least one is sensible"]);
    let p = parse(
        "vrrp_instance VI_1 {\n    interface eth0\n    virtual_router_id 1\n    version 3\n}\n",
    );
    assert_diags(
        &p,
        &["t.conf:1:1: error: vrrp_instance VI_1 has no virtual_ipaddress; VRRPv3 and strict mode need one"],
    );
    let p = parse("vrrp_instance VI_1 {\n    interface eth0\n    virtual_router_id 1\n    no_virtual_ipaddress\n}\n");
    assert_diags(&p, &[]);
    assert!(only(&p).no_virtual_ipaddress);
}

#[test]
fn advert_int_resolution() {
    let p = inst("    advert_int 1.5\n");
    assert_diags(
        &p,
        &["t.conf:7:5: warning: VRRPv2 advert_int is whole seconds; keepalived rounds 1.5 to 2"],
    );
    assert_eq!(only(&p).advert_int, Timer::secs(2));
    let p = inst("    advert_int 0.3\n");
    assert_eq!(only(&p).advert_int, Timer::secs(1));
    let p = inst("    version 3\n    advert_int 0.123\n");
    assert_diags(
        &p,
        &["t.conf:8:5: warning: VRRPv3 advert_int has a resolution of 10 ms; keepalived rounds 0.123 to 0.12"],
    );
    assert_eq!(only(&p).advert_int, Timer::micros(120_000));
    let p = inst("    version 3\n    advert_int 50\n");
    assert_diags(
        &p,
        &["t.conf:8:5: warning: VRRPv3 advert_int is at most 40.95 seconds; keepalived uses 40.95 instead of 50"],
    );
    assert_eq!(only(&p).advert_int, Timer::micros(40_950_000));
    assert_diags(&inst("    version 3\n    advert_int 0.25\n"), &[]);
}

#[test]
fn authentication_block() {
    let p =
        inst("    authentication {\n        auth_type PASS\n        auth_pass 123456789\n    }\n");
    assert_diags(&p, &["t.conf:9:19: warning: auth_pass is longer than 8 characters; keepalived uses only '12345678'"]);
    let a = only(&p).authentication.clone();
    assert_eq!(a.as_ref().and_then(|a| a.auth_type), Some(AuthType::Pass));
    assert_eq!(a.and_then(|a| a.auth_pass).as_deref(), Some("12345678"));

    let p = inst("    version 3\n    authentication {\n        auth_type AH\n        auth_pass secret\n    }\n");
    assert_diags(
        &p,
        &["t.conf:8:5: error: VRRP version 3 has no authentication; keepalived ignores it in vrrp_instance VI_1"],
    );
    let p = inst("    strict_mode\n    authentication {\n        auth_type PASS\n        auth_pass secret\n    }\n");
    assert_diags(&p, &["t.conf:8:5: warning: strict mode does not allow authentication; keepalived ignores it in vrrp_instance VI_1"]);
    let p = inst("    authentication {\n        auth_type PASS\n    }\n");
    assert_diags(
        &p,
        &["t.conf:7:5: error: authentication has no auth_pass; keepalived ignores it"],
    );
    let p = inst("    authentication {\n        auth_pass x\n    }\n");
    assert_diags(
        &p,
        &["t.conf:7:5: error: authentication has no auth_type; keepalived ignores it"],
    );
    let p = inst("    authentication {\n        auth_type MD5\n        auth_pass x\n    }\n");
    assert_diags(
        &p,
        &[
            "t.conf:8:19: error: invalid value 'MD5' for auth_type: expected one of PASS, AH; ignored, as keepalived does",
            "t.conf:7:5: error: authentication has no auth_type; keepalived ignores it",
        ],
    );
    let p = inst(
        "    state MASTER\n    priority 100\n    authentication {\n        auth_type AH\n        auth_pass x\n    }\n",
    );
    assert_diags(&p, &["t.conf:9:5: warning: AH authentication needs an advert before taking over; keepalived starts this instance as BACKUP"]);
    assert_eq!(only(&p).state, VrrpState::Backup);
}

#[test]
fn auth_hmac_block() {
    let key = "k".repeat(32);
    let p = inst(&format!(
        "    auth_hmac {{\n        key 1 {key}\n        key 2 hex:{}\n        key 3 file:/etc/keepalived/k3\n        active_key 2\n        anti_replay monotonic\n        time_window 30\n        mode receive-only\n    }}\n",
        "ab".repeat(40)
    ));
    assert_diags(&p, &[]);
    let ah = only(&p).auth_hmac.clone();
    let Some(ah) = ah else { panic!("no auth_hmac") };
    assert_eq!(ah.key.iter().map(|k| k.id).collect::<Vec<_>>(), [1, 2, 3]);
    assert_eq!(
        (ah.active_key, ah.anti_replay, ah.time_window, ah.mode),
        (
            Some(2),
            AntiReplay::Monotonic,
            Some(30),
            HmacMode::ReceiveOnly
        )
    );

    let p = inst("    auth_hmac {\n        key 1 short\n        key 0 x\n        key 2 hex:abc\n        active_key 9\n        mode lax\n    }\n");
    assert_diags(
        &p,
        &[
            "t.conf:8:15: error: invalid value 'short' for key: an auth_hmac key is 32 to 64 bytes, this one is 5",
            "t.conf:9:13: error: invalid value '0' for key: must be between 1 and 255",
            "t.conf:10:15: error: invalid value 'hex:abc' for key: hex: must be followed by an even number of hex digits",
            "t.conf:12:14: error: invalid value 'lax' for mode: expected one of enforce, permissive, receive-only",
            "t.conf:7:5: error: auth_hmac active_key 9 is not one of its keys; keepalived disables it",
        ],
    );
    let p = inst(&format!("    strict_mode\n    auth_hmac {{\n        key 1 {key}\n        active_key 1\n        mode permissive\n    }}\n"));
    assert_diags(&p, &["t.conf:8:5: warning: strict mode requires auth_hmac mode enforce; keepalived uses enforce"]);
}

#[test]
fn unicast_peers() {
    let p = inst("    unicast_src_ip 10.0.0.2\n    unicast_ttl 10\n    unicast_peer {\n        10.0.0.3\n        10.0.0.4 min_ttl 250 max_ttl 255\n    }\n");
    assert_diags(&p, &[]);
    let i = only(&p);
    assert_eq!(
        i.unicast_peer
            .iter()
            .map(|p| (p.address, p.min_ttl, p.max_ttl))
            .collect::<Vec<_>>(),
        [(ip("10.0.0.3"), 0, 255), (ip("10.0.0.4"), 250, 255)]
    );
    assert!(
        i.check_unicast_src,
        "a TTL range turns on check_unicast_src"
    );
    assert_eq!(
        (i.unicast_src_ip, i.unicast_ttl),
        (Some(ip("10.0.0.2")), Some(10))
    );

    let p = inst("    unicast_peer {\n        10.0.0.3 min_ttl 9 max_ttl 8\n        10.0.0.3\n        fe80::1\n        10.0.0.300\n        10.0.0.5 ttl 3\n        10.0.0.6 min_ttl\n        10.0.0.7 max_ttl 256\n    }\n");
    assert_diags(
        &p,
        &[
            "t.conf:8:9: error: unicast peer 10.0.0.3 has min_ttl 9 above max_ttl 8: every packet from it is discarded",
            "t.conf:9:9: error: unicast peer 10.0.0.3 is already listed at line 8; this one is ignored",
            "t.conf:10:9: error: unicast peer 'fe80::1' is IPv6 but this instance is IPv4; it is ignored",
            "t.conf:11:9: error: invalid unicast peer '10.0.0.300': expected an IPv4 or IPv6 address; it is ignored",
            "t.conf:12:18: error: unknown option 'ttl' for unicast peer 10.0.0.5; the rest of the line is ignored",
            "t.conf:13:18: error: 'min_ttl' for unicast peer 10.0.0.6 needs a value",
            "t.conf:14:26: error: invalid value '256' for max_ttl of unicast peer 10.0.0.7: must be between 0 and 255",
        ],
    );
}

#[test]
fn empty_unicast_peer_is_an_error() {
    let p = inst("    unicast_peer {\n    }\n");
    assert_diags(
        &p,
        &["t.conf:7:5: error: vrrp_instance VI_1 has no unicast peers: keepalived silently falls back to multicast"],
    );
    let p = inst("    unicast_src_ip 10.0.0.2\n");
    assert_diags(
        &p,
        &["t.conf:7:5: error: vrrp_instance VI_1 has no unicast peers: keepalived silently falls back to multicast"],
    );
    let p = inst("    unicast_peer {\n    }\n    unicast_fault_no_peer\n");
    assert_diags(
        &p,
        &["t.conf:7:5: warning: vrrp_instance VI_1 has no unicast peers; with unicast_fault_no_peer it stays in FAULT"],
    );
    let p = inst("    unicast_ttl 5\n");
    assert_diags(&p, &["t.conf:7:5: warning: unicast_ttl has no effect without unicast peers; keepalived ignores it"]);
    assert_eq!(only(&p).unicast_ttl, None);
}

#[test]
fn unicast_without_interface() {
    let p = parse("vrrp_instance U {\n    virtual_router_id 9\n    unicast_src_ip 10.0.0.2\n    unicast_peer {\n        10.0.0.3\n    }\n    virtual_ipaddress {\n        10.0.0.1 dev eth0\n        10.0.0.9\n    }\n}\n");
    assert_diags(
        &p,
        &["t.conf:9:9: error: 10.0.0.9/32 has no dev and vrrp_instance U no interface: keepalived removes it"],
    );
    let p = parse("vrrp_instance U {\n    virtual_router_id 9\n    unicast_peer {\n        10.0.0.3\n    }\n    no_virtual_ipaddress\n}\n");
    assert_diags(
        &p,
        &["t.conf:1:1: error: unicast vrrp_instance U needs unicast_src_ip or interface"],
    );
    let p = inst("    strict_mode\n    unicast_peer {\n        10.0.0.3\n    }\n");
    assert_diags(
        &p,
        &["t.conf:8:5: error: strict mode does not allow unicast peers; keepalived refuses vrrp_instance VI_1"],
    );
}

#[test]
fn address_family_of_an_instance() {
    let p = inst("    virtual_ipaddress {\n        fe80::1\n    }\n    mcast_src_ip fe80::2\n    virtual_ipaddress_excluded {\n        2001:db8::1/64\n    }\n");
    assert_diags(
        &p,
        &[
            "t.conf:8:9: error: virtual_ipaddress 'fe80::1' is IPv6 but this instance is IPv4; it is ignored",
            "t.conf:10:18: error: mcast_src_ip 'fe80::2' is IPv6 but this instance is IPv4; it is ignored",
        ],
    );
    assert_eq!(only(&p).virtual_ipaddress_excluded.len(), 1);

    let p = parse("vrrp_instance V6 {\n    interface eth0\n    virtual_router_id 1\n    native_ipv6\n    version 2\n    virtual_ipaddress {\n        fe80::1\n    }\n}\n");
    assert_diags(&p, &["t.conf:5:13: error: VRRP version 2 does not carry IPv6; keepalived ignores this version"]);
    assert_eq!(
        (only(&p).version, only(&p).family),
        (3, Some(Family::Inet6))
    );
    let p = inst("    native_ipv6\n");
    assert_diags(
        &p,
        &["t.conf:7:5: error: native_ipv6 conflicts with the IPv4 addresses above; it is ignored"],
    );
}

#[test]
fn vrid_clashes() {
    let two = |a: &str, b: &str| {
        parse(&format!(
            "vrrp_instance A {{\n    virtual_router_id 7\n    no_virtual_ipaddress\n{a}}}\nvrrp_instance B {{\n    virtual_router_id 7\n    no_virtual_ipaddress\n{b}}}\n"
        ))
    };
    let p = two("    interface eth0\n", "    interface eth0\n");
    assert_diags(
        &p,
        &["t.conf:7:5: error: vrrp_instance B uses virtual_router_id 7 on eth0 (IPv4), like A at t.conf:1:1"],
    );
    assert_diags(&two("    interface eth0\n", "    interface eth1\n"), &[]);
    assert_diags(
        &two(
            "    interface eth0\n",
            "    interface eth0\n    native_ipv6\n",
        ),
        &[],
    );
    assert_diags(
        &two(
            "    interface eth0\n",
            "    interface eth0\n    mcast_dst_ip 224.0.0.19\n",
        ),
        &[],
    );
    let peers = "    interface eth0\n    unicast_peer {\n        10.0.0.3\n    }\n";
    let p = two(peers, peers);
    assert_diags(
        &p,
        &["t.conf:10:5: error: vrrp_instance B uses virtual_router_id 7 on eth0 (IPv4), like A at t.conf:1:1"],
    );
    assert_diags(
        &two(
            peers,
            "    interface eth0\n    unicast_peer {\n        10.0.0.4\n    }\n",
        ),
        &[],
    );
    assert_diags(&two(peers, "    interface eth0\n"), &[]);
}

#[test]
fn preemption_fixups() {
    let p = inst("    state MASTER\n    priority 100\n    nopreempt\n    preempt_delay 3\n");
    assert_diags(
        &p,
        &[
            "t.conf:7:5: warning: nopreempt does not work with state MASTER; keepalived clears it",
            "t.conf:10:5: warning: preempt_delay does not work with state MASTER; keepalived clears it",
        ],
    );
    assert!(!only(&p).nopreempt);
    let p = inst("    nopreempt\n    preempt_delay 3\n    preempt\n");
    assert_diags(&p, &[]);
    assert!(!only(&p).nopreempt);
    let p = inst("    nopreempt\n    preempt_delay 3\n");
    assert_diags(
        &p,
        &["t.conf:8:5: warning: preempt_delay has no effect with nopreempt; keepalived clears it"],
    );
    let p = inst("    priority 255\n    state MASTER\n    nopreempt\n");
    assert_diags(
        &p,
        &["t.conf:1:1: warning: nopreempt has no effect with priority 255 (the address owner); keepalived clears it"],
    );
    let p = inst("    timer_expired_backup\n");
    assert_diags(
        &p,
        &["t.conf:7:5: warning: timer_expired_backup needs nopreempt; keepalived ignores it"],
    );
    let p = inst("    nopreempt\n    thread_timer_expired 200\n");
    assert_diags(&p, &["t.conf:8:5: warning: 'thread_timer_expired' is a legacy spelling of 'timer_expired_backup'"]);
    assert_eq!(only(&p).timer_expired_backup, Some(200));
    assert_eq!(
        only(&inst("    nopreempt\n    timer_expired_backup\n")).timer_expired_backup,
        Some(254)
    );
}

#[test]
fn garp_settings() {
    let p = inst(
        "    garp_master_delay 10\n    garp_master_repeat 0\n    garp_master_refresh 60\n    garp_master_refresh_repeat 2\n    garp_lower_prio_delay 3\n    garp_lower_prio_repeat 4\n    garp_extra_if all 100\n    vmac_garp_intvl 120\n",
    );
    assert_diags(
        &p,
        &[
            "t.conf:8:24: warning: garp_master_repeat must be at least 1; keepalived uses 1",
            "t.conf:14:5: warning: 'vmac_garp_intvl' is a legacy spelling of 'garp_extra_if'",
        ],
    );
    let i = only(&p);
    assert_eq!(
        (
            i.garp_master_delay,
            i.garp_master_repeat,
            i.garp_master_refresh,
            i.garp_master_refresh_repeat
        ),
        (Timer::secs(10), 1, Timer::secs(60), 2)
    );
    assert_eq!(
        (i.garp_lower_prio_delay, i.garp_lower_prio_repeat),
        (Timer::secs(3), 4)
    );
    let x = i.garp_extra_if.clone();
    assert_eq!(
        x.map(|x| (x.interval, x.all)),
        Some((Timer::secs(120), false))
    );
    let p = inst("    garp_extra_if all\n    garp_extra_if 90000\n");
    assert_diags(
        &p,
        &[
            "t.conf:7:5: error: garp_extra_if needs an interval in seconds",
            "t.conf:8:19: error: invalid value '90000' for garp_extra_if: must be between 0 and 86400 seconds",
        ],
    );
}

#[test]
fn advert_flags_and_inherited_flags() {
    let p = inst(
        "    lower_prio_no_advert\n    higher_prio_send_advert true\n    skip_check_adv_addr\n    check_unicast_src\n    v3_checksum_as_v2 on\n    smtp_alert\n    notify_priority_changes yes\n    down_timer_adverts 10\n    owner_ignore_adverts\n    unicast_peer {\n        10.0.0.3\n    }\n",
    );
    assert_diags(
        &p,
        &["t.conf:15:5: warning: owner_ignore_adverts applies only with priority 255; keepalived ignores it"],
    );
    let i = only(&p);
    assert!(
        i.lower_prio_no_advert
            && i.higher_prio_send_advert
            && i.skip_check_adv_addr
            && i.check_unicast_src
    );
    assert!(
        i.v3_checksum_as_v2 && i.smtp_alert && i.notify_priority_changes && !i.owner_ignore_adverts
    );
    assert_eq!(i.down_timer_adverts, 10);
    let p = inst("    smtp_alert maybe\n    down_timer_adverts 0\n");
    assert_diags(
        &p,
        &[
            "t.conf:7:16: error: invalid value 'maybe' for smtp_alert: expected one of on, off, true, false, yes, no",
            "t.conf:8:24: error: invalid value '0' for down_timer_adverts: must be between 1 and 100",
        ],
    );
}

#[test]
fn notify_scripts() {
    let p = inst(
        "    notify_master \"/usr/local/bin/vrrp.sh  MASTER 'VI 1'\" root wheel\n    notify_backup /bin/backup.sh\n    notify_fault /bin/fault.sh nobody\n    notify_stop /bin/stop.sh\n    notify_deleted\n    notify /bin/notify.sh\n    notify_master_rx_lower_pri /bin/lower.sh\n",
    );
    assert_diags(&p, &[]);
    let i = only(&p);
    let m = i.notify_master.clone();
    assert_eq!(
        m.as_ref().map(|s| s.command.clone()),
        Some(vec![
            "/usr/local/bin/vrrp.sh".to_string(),
            "MASTER".into(),
            "VI 1".into()
        ])
    );
    assert_eq!(
        m.as_ref().and_then(|s| s.user.clone()).as_deref(),
        Some("root")
    );
    assert_eq!(m.and_then(|s| s.group).as_deref(), Some("wheel"));
    assert_eq!(
        i.notify_fault.as_ref().and_then(|s| s.user.as_deref()),
        Some("nobody")
    );
    assert_eq!(i.notify_deleted.as_ref().map(|s| s.command.len()), Some(0));
    assert!(
        i.notify_backup.is_some()
            && i.notify_stop.is_some()
            && i.notify.is_some()
            && i.notify_master_rx_lower_pri.is_some()
    );

    let p = inst("    notify_master /a.sh\n    notify_master /b.sh\n    notify_backup\n    notify /n.sh u g extra\n    notify_fault \"  \"\n");
    assert_diags(
        &p,
        &[
            "t.conf:8:5: error: notify_master is already set at line 7; this one is ignored",
            "t.conf:9:5: error: notify_backup needs a value",
            "t.conf:10:22: warning: extra argument 'extra' after notify is ignored",
            "t.conf:11:18: error: notify_fault needs a command",
        ],
    );
    assert_eq!(
        only(&p)
            .notify_master
            .as_ref()
            .map(|s| s.command[0].clone())
            .as_deref(),
        Some("/a.sh")
    );
}

#[test]
fn vmac_and_ipvlan() {
    let p =
        inst("    use_vmac vrrp51 02:01:02:03:04 netlink_notify_msg group 5\n    use_vmac_addr\n    vmac_xmit_base\n");
    assert_diags(&p, &[]);
    let v = only(&p).use_vmac.clone().unwrap_or_default();
    assert_eq!(
        (
            v.name.as_deref(),
            v.mac.as_deref(),
            v.netlink_notify_msg,
            v.group.as_deref()
        ),
        (Some("vrrp51"), Some("02:01:02:03:04"), true, Some("5"))
    );
    assert!(only(&p).use_vmac_addr && only(&p).vmac_xmit_base);

    let p = inst("    use_vmac name a/b 01:00:00:00:00:01 00:00:5e:00:01:33 zz:00:00:00:00\n");
    assert_diags(
        &p,
        &[
            "t.conf:7:19: error: invalid value 'a/b' for use_vmac: an interface name has 1 to 15 characters, without '/', ':' or blanks",
            "t.conf:7:23: error: invalid value '01:00:00:00:00:01' for use_vmac: a multicast MAC address cannot be used",
            "t.conf:7:41: error: invalid value '00:00:5e:00:01:33' for use_vmac: 00:00:5e:00:01:XX and 00:00:5e:00:02:XX are the standard VRRP MACs; use_vmac uses them without a MAC",
            "t.conf:7:59: error: invalid value 'zz:00:00:00:00' for use_vmac: expected a MAC address of 6 hex octets (or 5, the VRID being the last)",
        ],
    );
    let p = inst("    vmac_xmit_base\n    promote_secondaries\n");
    assert_diags(
        &p,
        &["t.conf:1:1: warning: vmac_xmit_base has no effect without use_vmac"],
    );
    let p = inst(
        "    use_vmac\n    promote_secondaries\n    unicast_peer {\n        10.0.0.2\n    }\n",
    );
    assert_diags(
        &p,
        &[
            "t.conf:1:1: warning: unicast with use_vmac needs vmac_xmit_base; keepalived sets it",
            "t.conf:1:1: warning: promote_secondaries is implied on a VMAC/ipvlan; keepalived ignores it",
        ],
    );

    let p = inst("    use_ipvlan ipv1 10.0.0.9/24 private group 3\n");
    assert_diags(&p, &[]);
    let v = only(&p).use_ipvlan.clone().unwrap_or_default();
    assert_eq!(
        (
            v.name.as_deref(),
            v.address.map(|a| a.to_string()),
            v.mode,
            v.group.as_deref()
        ),
        (
            Some("ipv1"),
            Some("10.0.0.9/24".into()),
            Some(IpvlanMode::Private),
            Some("3")
        )
    );
    let p = inst("    use_ipvlan vepa bridge\n");
    assert_diags(
        &p,
        &[
            "t.conf:7:21: error: use_ipvlan already has a mode; this one is ignored",
            "t.conf:1:1: error: an IPv4 use_ipvlan needs an address; keepalived keeps vrrp_instance VI_1 in FAULT",
        ],
    );
}

#[test]
fn deprecated_instance_keywords() {
    let p = inst("    linkbeat_use_polling\n    lvs_sync_daemon_interface eth1\n    vrf blue\n");
    assert_diags(
        &p,
        &[
            "t.conf:7:5: warning: linkbeat_use_polling in a vrrp_instance is deprecated",
            "t.conf:8:5: warning: lvs_sync_daemon_interface in a vrrp_instance is deprecated",
            "t.conf:9:5: error: vrf cannot be given with interface; it is ignored",
        ],
    );
    let i = only(&p);
    assert!(i.linkbeat_use_polling);
    assert_eq!(i.lvs_sync_daemon_interface.as_deref(), Some("eth1"));
    let p = parse(&format!("{BASE}    lvs_sync_daemon_interface eth1\n}}\nvrrp_instance VI_2 {{\n    interface eth0\n    virtual_router_id 52\n    no_virtual_ipaddress\n    lvs_sync_daemon_interface eth2\n}}\n"));
    assert_eq!(
        headlines(&p).last().map(String::as_str),
        Some("t.conf:9:1: error: lvs_sync_daemon_interface is already given in vrrp_instance VI_1; keepalived ignores this one")
    );
}

#[test]
fn mcast_dst_ip_and_source() {
    let p = inst("    mcast_dst_ip 10.0.0.1\n    mcast_dst_ip 224.0.0.20\n");
    assert_diags(&p, &["t.conf:7:18: error: invalid value '10.0.0.1' for mcast_dst_ip: not a multicast address"]);
    assert_eq!(only(&p).mcast_dst_ip, Some(ip("224.0.0.20")));
    let p = inst("    track_src_ip\n");
    assert_diags(&p, &["t.conf:1:1: warning: track_src_ip has no effect without unicast_src_ip or mcast_src_ip"]);
    let p = inst("    mcast_dst_ip 224.0.0.20\n    unicast_peer {\n        10.0.0.3\n    }\n");
    assert_diags(
        &p,
        &["t.conf:1:1: warning: vrrp_instance VI_1 is unicast; its mcast_dst_ip is ignored"],
    );
}

#[test]
fn unknown_instance_keyword_suggests() {
    let p = inst("    virtual_router_ids 5\n");
    assert_diags(
        &p,
        &["t.conf:7:5: warning: unknown keyword 'virtual_router_ids' in vrrp_instance VI_1; it is ignored"],
    );
    assert_eq!(
        p.diags
            .iter()
            .next()
            .and_then(|d| d.help.clone())
            .as_deref(),
        Some("did you mean 'virtual_router_id'?")
    );
}

#[test]
fn vrrp_script_block() {
    let p = parse(&format!(
        "{BASE}    track_script {{\n        chk\n    }}\n}}\nvrrp_script chk {{\n    script \"/usr/bin/check 'a b' c\"\n    interval 2\n    weight -20 reverse\n    rise 3\n    fall 4\n    user nobody nogroup\n    init_fail\n}}\n"
    ));
    assert_diags(&p, &[]);
    let s = &p.config.vrrp.vrrp_script[0];
    assert_eq!(s.script, ["/usr/bin/check", "a b", "c"]);
    assert_eq!(
        (s.interval, s.timeout),
        (Timer::secs(2), Timer::secs(2)),
        "timeout defaults to the interval"
    );
    assert_eq!(
        (s.weight, s.reverse, s.rise, s.fall, s.init_fail),
        (-20, true, 3, 4, true)
    );
    assert_eq!(
        (s.user.as_deref(), s.group.as_deref()),
        (Some("nobody"), Some("nogroup"))
    );
    let t = &only(&p).track_script[0];
    assert_eq!(
        (t.weight, t.reverse),
        (-20, true),
        "the script's weight applies when the entry has none"
    );

    let p = parse("vrrp_script chk {\n    script /bin/check arg\n    interval 0\n    timeout 3\n    weight 254\n    rise 0\n}\nvrrp_script empty {\n}\n");
    assert_diags(
        &p,
        &[
            "t.conf:2:23: warning: extra argument 'arg' after script is ignored",
            "t.conf:3:14: error: invalid value '0' for interval: must be between 0.001 and 4294967 seconds; using 1, as keepalived does",
            "t.conf:5:12: error: invalid value '254' for weight: must be between -253 and 253; keepalived uses 254 all the same; keepalived-rs uses 253",
            "t.conf:6:10: error: invalid value '0' for rise: must be between 1 and 2147483647",
            "t.conf:8:1: error: vrrp_script empty has no script; keepalived ignores it",
            "t.conf:1:1: warning: vrrp_script chk is not tracked by any vrrp_instance or vrrp_sync_group; keepalived does not run it",
        ],
    );
    let s = &p.config.vrrp.vrrp_script[0];
    assert_eq!(
        (s.script.clone(), s.timeout),
        (vec!["/bin/check".to_string()], Timer::secs(3))
    );
}

#[test]
fn track_lists_resolve_names_and_weights() {
    let p = parse(&format!(
        "vrrp_script chk {{\n    script /bin/true\n    weight 10\n}}\ntrack_file tf {{\n    file /run/tf\n    weight 5 reverse\n}}\nvrrp_track_process tp {{\n    process haproxy\n    weight 7\n}}\nbfd_instance b1 {{\n    neighbor_ip 10.0.0.9\n    weight -4\n}}\n{BASE}    track_script {{\n        chk weight 20 noreverse\n        chk2\n    }}\n    track_file {{\n        tf\n        tf\n    }}\n    track_process {{\n        tp weight 254 reverse\n        tq weight 1\n    }}\n    track_bfd {{\n        b1\n        b2 weight 300\n    }}\n    track_interface {{\n        eth1 weight -254\n        eth2 weight 10 reverse\n        eth3 speed 10\n        eth4 weight\n    }}\n}}\n"
    ));
    assert_diags(
        &p,
        &[
            "t.conf:29:9: error: track_file tf is listed twice; this entry is ignored",
            "t.conf:37:19: error: invalid value '300' for weight of b2 in track_bfd: must be between -253 and 253",
            "t.conf:40:21: warning: weight -254 for eth1 in track_interface is out of range; keepalived uses -253",
            "t.conf:42:14: error: unknown option 'speed' for eth3 in track_interface; the entry is ignored",
            "t.conf:43:14: error: 'weight' for eth4 in track_interface needs a value; the entry is ignored",
            "t.conf:25:9: error: no vrrp_script is named chk2; keepalived ignores this entry",
            "t.conf:33:9: error: no vrrp_track_process is named tq; keepalived ignores this entry",
            "t.conf:37:9: error: no bfd_instance is named b2; keepalived ignores this entry",
        ],
    );
    let i = only(&p);
    let w = |l: &[TrackRef]| {
        l.iter()
            .map(|t| (t.name.clone(), t.weight, t.reverse))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        w(&i.track_script),
        // chk2 is dropped, as keepalived drops it.
        [("chk".into(), 20, false)]
    );
    assert_eq!(w(&i.track_file), [("tf".into(), 5, true)]);
    assert_eq!(w(&i.track_process), [("tp".into(), 254, true)]);
    assert_eq!(w(&i.track_bfd)[0], ("b1".into(), -4, false));
    let t: Vec<_> = i
        .track_interface
        .iter()
        .map(|t| (t.name.clone(), t.weight, t.reverse))
        .collect();
    assert_eq!(t, [("eth1".into(), -253, false), ("eth2".into(), 10, true)]);
}

#[test]
fn unknown_track_script_suggests_the_nearest() {
    let p = parse(&format!("vrrp_script chk_haproxy {{\n    script /bin/true\n}}\n{BASE}    track_script {{\n        chk_haproxyy\n    }}\n}}\n"));
    assert_diags(
        &p,
        &[
            "t.conf:11:9: error: no vrrp_script is named chk_haproxyy; keepalived ignores this entry",
            "t.conf:1:1: warning: vrrp_script chk_haproxy is not tracked by any vrrp_instance or vrrp_sync_group; keepalived does not run it",
        ],
    );
    assert_eq!(
        p.diags
            .iter()
            .next()
            .and_then(|d| d.help.clone())
            .as_deref(),
        Some("did you mean 'chk_haproxy'?")
    );
}

#[test]
fn owner_and_sync_group_ignore_tracking_weights() {
    let p = parse(&format!(
        "vrrp_script s {{\n    script /bin/true\n}}\ntrack_file f {{\n    file /run/f\n}}\n{BASE}    priority 255\n    track_script {{\n        s weight 5\n    }}\n    track_file {{\n        f\n    }}\n    track_interface {{\n        eth1 weight 3\n    }}\n}}\n"
    ));
    assert_diags(
        &p,
        &[
            "t.conf:21:9: warning: the weight of tracked interface eth1 is ignored: its priority is 255 (the address owner)",
            "t.conf:15:9: warning: tracked script s has a weight, so keepalived ignores it: its priority is 255 (the address owner)",
            "t.conf:18:9: warning: tracked file f is used unweighted (weight 0): its priority is 255 (the address owner)",
            "t.conf:1:1: warning: vrrp_script s is not tracked by any vrrp_instance or vrrp_sync_group; keepalived does not run it",
        ],
    );
    let i = only(&p);
    assert!(i.track_script.is_empty() && i.track_interface.is_empty());
    assert_eq!(i.track_file[0].weight, 0);
}

#[test]
fn track_file_block() {
    let p = parse(&format!(
        "track_file tf {{\n    file /run/keepalived/tf\n    weight -10 reverse\n    init_file 5 overwrite\n}}\nvrrp_track_file old {{\n    file /run/old\n    init_file\n}}\n{BASE}    track_file {{\n        tf\n        old weight 0\n    }}\n}}\n"
    ));
    assert_diags(
        &p,
        &["t.conf:6:1: warning: 'vrrp_track_file' is a legacy spelling of 'track_file'"],
    );
    let files = &p.config.vrrp.track_file;
    assert_eq!(
        (files[0].file.as_deref(), files[0].weight, files[0].reverse),
        (Some("/run/keepalived/tf"), -10, true)
    );
    let init = files[0].init_file.clone();
    assert_eq!(init.map(|i| (i.value, i.overwrite)), Some((5, true)));
    assert_eq!(
        (
            files[1].name.as_str(),
            files[1].weight,
            files[1].init_file.as_ref().map(|i| i.value)
        ),
        ("old", 1, Some(0))
    );

    let p = parse(
        "track_file tf {\n    weight 255\n    init_file 300 clobber\n    file a\n    file b\n}\ntrack_file none {\n}\n",
    );
    assert_diags(
        &p,
        &[
            "t.conf:2:12: error: invalid value '255' for weight: must be between -254 and 254",
            "t.conf:3:15: warning: init_file value 300 is outside the sensible range -254..254",
            "t.conf:3:19: error: invalid value 'clobber' for init_file: expected a value or overwrite",
            "t.conf:5:5: error: file is already set for this track_file; this one is ignored",
            "t.conf:7:1: error: track_file none has no file; keepalived ignores it",
        ],
    );
}

#[test]
fn vrrp_track_process_block() {
    let p = parse(&format!(
        "vrrp_track_process haproxy {{\n    process /usr/sbin/haproxy -f /etc/haproxy.cfg\n    weight 20 reverse\n    quorum 2\n    quorum_max 4\n    delay 0.5\n    fork_delay 1\n}}\nvrrp_track_process nginx {{\n    process nginx\n    param_match partial\n    terminate_delay 2\n    full_command\n}}\nvrrp_track_process sshd {{\n    process sshd\n}}\n{BASE}    track_process {{\n        haproxy\n        nginx\n        sshd\n    }}\n}}\n"
    ));
    assert_diags(&p, &[]);
    let t = &p.config.vrrp.vrrp_track_process;
    assert_eq!(
        t[0].process,
        ["/usr/sbin/haproxy", "-f", "/etc/haproxy.cfg"]
    );
    assert_eq!(
        (t[0].param_match, t[0].full_command),
        (Some(ParamMatch::Exact), true)
    );
    assert_eq!(
        (t[0].weight, t[0].reverse, t[0].quorum, t[0].quorum_max),
        (20, true, 2, Some(4))
    );
    assert_eq!(
        (t[0].fork_delay, t[0].terminate_delay),
        (Some(Timer::secs(1)), Some(Timer::micros(500_000)))
    );
    assert_eq!(
        (t[1].param_match, t[1].full_command, t[1].terminate_delay),
        (Some(ParamMatch::Partial), true, Some(Timer::secs(2)))
    );
    assert_eq!(
        (
            t[2].param_match,
            t[2].full_command,
            t[2].quorum,
            t[2].quorum_max
        ),
        (None, false, 1, None)
    );

    let p = parse("vrrp_track_process p {\n    quorum 3\n    quorum_max 2\n    param_match fuzzy\n    delay 0\n}\n");
    assert_diags(
        &p,
        &[
            "t.conf:4:17: error: invalid value 'fuzzy' for param_match: expected one of initial, partial",
            "t.conf:5:11: error: invalid value '0' for delay: must be between 0.000001 and 3600 seconds",
            "t.conf:1:1: error: vrrp_track_process p: quorum_max (2) is less than quorum (3)",
            "t.conf:1:1: error: vrrp_track_process p has no process; keepalived ignores it",
        ],
    );
}

#[test]
fn bfd_instance_block() {
    let p = parse(
        "bfd_instance b1 {\n    neighbour_ip 2001:db8::2\n    source_ip 2001:db8::1\n    min_rx 3.312\n    min_tx 20\n    idle_tx 2000\n    multiplier 3\n    passive\n    max_hops 5\n    multihop\n    weight 50 reverse\n    vrrp\n}\nbfd_instance b2 {\n    neighbor_ip 10.0.0.2\n    ttl 10\n    checker\n}\n",
    );
    assert_diags(
        &p,
        &["t.conf:2:5: warning: 'neighbour_ip' is a legacy spelling of 'neighbor_ip'"],
    );
    let b = &p.config.vrrp.bfd_instance;
    assert_eq!(
        (b[0].neighbor_ip, b[0].source_ip),
        (Some(ip("2001:db8::2")), Some(ip("2001:db8::1")))
    );
    assert_eq!(
        (b[0].min_rx, b[0].min_tx, b[0].idle_tx),
        (Timer::micros(3312), Timer::micros(20_000), Timer::secs(2))
    );
    assert_eq!(
        (
            b[0].multiplier,
            b[0].passive,
            b[0].ttl,
            b[0].max_hops,
            b[0].multihop
        ),
        (3, true, 64, 5, true)
    );
    assert_eq!(
        (b[0].weight, b[0].reverse, b[0].vrrp, b[0].checker),
        (50, true, true, false)
    );
    assert_eq!(
        (b[1].ttl, b[1].vrrp, b[1].checker, b[1].min_rx),
        (10, false, true, Timer::micros(10_000))
    );
    assert_eq!(
        serde_json::to_value(&b[1]).unwrap_or_default()["min_rx"],
        0.01
    );

    let p = parse("bfd_instance b {\n    source_ip 10.0.0.1\n    idle_tx 10\n    multiplier 0\n    ttl 5\n    max_hops 9\n}\nbfd_instance c {\n    neighbor_ip 10.0.0.2\n    source_ip ::1\n}\n");
    assert_diags(
        &p,
        &[
            "t.conf:3:13: error: invalid value '10' for idle_tx: must be between 1000 and 4294967 seconds",
            "t.conf:4:16: error: invalid value '0' for multiplier: must be between 1 and 255",
            "t.conf:1:1: error: bfd_instance b has no neighbor_ip; keepalived disables it",
            "t.conf:1:1: warning: bfd_instance b: max_hops (9) exceeds the ttl/hoplimit (5); keepalived uses 5",
            "t.conf:8:1: error: bfd_instance c: source_ip ::1 and neighbor_ip 10.0.0.2 are of different families; keepalived disables it",
        ],
    );
}

#[test]
fn sync_group_block() {
    let two = format!(
        "{BASE}}}\nvrrp_instance VI_2 {{\n    interface eth0\n    virtual_router_id 52\n    no_virtual_ipaddress\n}}\n"
    );
    let p = parse(&format!(
        "vrrp_sync_group G {{\n    group {{\n        VI_1\n        VI_2\n    }}\n    track_interface {{\n        eth1\n    }}\n    track_script {{\n        s\n    }}\n    notify_master \"/bin/m.sh a\"\n    notify_backup /bin/b.sh\n    notify_fault /bin/f.sh\n    notify_stop /bin/s.sh\n    notify /bin/n.sh\n    notify_priority_changes\n    smtp_alert off\n    global_tracking\n}}\nvrrp_script s {{\n    script /bin/true\n    weight 5\n}}\n{two}"
    ));
    assert_diags(&p, &["t.conf:19:5: warning: 'global_tracking' is a legacy spelling of 'sync_group_tracking_weight'"]);
    let g = &p.config.vrrp.vrrp_sync_group[0];
    assert_eq!(
        g.group.iter().map(|m| m.name.as_str()).collect::<Vec<_>>(),
        ["VI_1", "VI_2"]
    );
    assert_eq!((g.track_interface.len(), g.track_script[0].weight), (1, 5));
    assert_eq!(
        g.notify_master.as_ref().map(|s| s.command.clone()),
        Some(vec!["/bin/m.sh".to_string(), "a".into()])
    );
    assert!(
        g.notify_backup.is_some()
            && g.notify_fault.is_some()
            && g.notify_stop.is_some()
            && g.notify.is_some()
    );
    assert!(g.notify_priority_changes && !g.smtp_alert && g.sync_group_tracking_weight);
    assert!(
        only(&p).notify_priority_changes,
        "members inherit notify_priority_changes"
    );
}

#[test]
fn sync_group_checks() {
    let two = format!(
        "{BASE}}}\nvrrp_instance VI_2 {{\n    interface eth0\n    virtual_router_id 52\n    no_virtual_ipaddress\n}}\n"
    );
    let p = parse(&format!(
        "vrrp_sync_group A {{\n    group {{\n        VI_1\n        VI_3\n        VI_1\n    }}\n}}\nvrrp_sync_group B {{\n    group {{\n        VI_1\n        VI_2\n    }}\n    group {{\n        VI_2\n    }}\n    notify_deleted\n}}\nvrrp_sync_group C {{\n}}\nvrrp_sync_group A {{\n}}\n{two}"
    ));
    assert_diags(
        &p,
        &[
            "t.conf:5:9: warning: 'VI_1' is listed twice in group",
            "t.conf:13:5: error: group is already given for this sync group at line 9; this one is ignored",
            "t.conf:16:5: warning: notify_deleted has no effect in a vrrp_sync_group; keepalived ignores it",
            "t.conf:18:1: warning: vrrp_sync_group C has no members; keepalived removes it",
            "t.conf:20:17: error: vrrp_sync_group A is already defined at t.conf:1:1; this one is ignored",
            "t.conf:4:9: error: VI_3 in vrrp_sync_group A is not a vrrp_instance; keepalived ignores it",
            "t.conf:1:1: warning: vrrp_sync_group A has only one member; this is probably not what you want",
            "t.conf:10:9: error: VI_1 is already in vrrp_sync_group A; an instance can be in one sync group only",
            "t.conf:8:1: warning: vrrp_sync_group B has only one member; this is probably not what you want",
        ],
    );
    assert_eq!(
        p.diags
            .iter()
            .nth(5)
            .and_then(|d| d.help.clone())
            .as_deref(),
        Some("did you mean 'VI_1'?")
    );

    let p = parse(&format!(
        "vrrp_sync_group S {{\n    group {{\n        VI_1\n        VI_7\n    }}\n}}\n{BASE}}}\n"
    ));
    assert_diags(
        &p,
        &[
            "t.conf:4:9: error: VI_7 in vrrp_sync_group S is not a vrrp_instance; keepalived ignores it",
            "t.conf:1:1: warning: vrrp_sync_group S has only one member; this is probably not what you want",
        ],
    );
    // Instance names written straight in the block (as an old sample does).
    let p = parse("vrrp_sync_group VG1 {\n  VI_2\n  VI_3\n}\n");
    assert_diags(
        &p,
        &[
            "t.conf:2:3: warning: unknown keyword 'VI_2' in vrrp_sync_group; it is ignored",
            "t.conf:3:3: warning: unknown keyword 'VI_3' in vrrp_sync_group; it is ignored",
            "t.conf:1:1: warning: vrrp_sync_group VG1 has no members; keepalived removes it",
        ],
    );
    assert_eq!(
        p.diags
            .iter()
            .nth(2)
            .and_then(|d| d.help.clone())
            .as_deref(),
        Some("if VI_2, VI_3 are instances, list them inside group { }")
    );
}

#[test]
fn sync_group_members_lose_tracking_weights() {
    let p = parse(&format!(
        "vrrp_script s {{\n    script /bin/true\n}}\nvrrp_sync_group G {{\n    group {{\n        VI_1\n        VI_2\n    }}\n}}\n{BASE}    track_script {{\n        s weight 10\n    }}\n}}\nvrrp_instance VI_2 {{\n    interface eth0\n    virtual_router_id 52\n    no_virtual_ipaddress\n    track_script {{\n        s\n    }}\n}}\n"
    ));
    assert_diags(
        &p,
        &["t.conf:17:9: warning: tracked script s has a weight, so keepalived ignores it: it is in a sync group (see sync_group_tracking_weight)"],
    );
    assert!(only(&p).track_script.is_empty());
    let p = parse(&format!(
        "vrrp_script s {{\n    script /bin/true\n}}\nvrrp_sync_group G {{\n    group {{\n        VI_1\n        VI_2\n    }}\n    sync_group_tracking_weight\n}}\n{BASE}    track_script {{\n        s weight 10\n    }}\n}}\nvrrp_instance VI_2 {{\n    interface eth0\n    virtual_router_id 52\n    no_virtual_ipaddress\n}}\n"
    ));
    assert_diags(&p, &[]);
}

#[test]
fn sync_group_mixing_owners() {
    let p = parse(&format!(
        "vrrp_sync_group G {{\n    group {{\n        VI_1\n        VI_2\n    }}\n}}\n{BASE}    priority 255\n}}\nvrrp_instance VI_2 {{\n    interface eth0\n    virtual_router_id 52\n    no_virtual_ipaddress\n}}\n"
    ));
    assert_diags(&p, &["t.conf:1:1: warning: vrrp_sync_group G mixes address owners (priority 255, MASTER) with other members: as in keepalived, the owners start BACKUP too and the group becomes MASTER only when every member's master-down timer has run out"]);
}

#[test]
fn garp_group_block() {
    let p = parse("garp_group {\n    garp_interval 0.001\n    gna_interval 0.5\n    interfaces {\n        eth0\n        eth1\n    }\n}\ngarp_group {\n    garp_interval 1\n    interface eth1\n}\ngarp_group {\n    interface eth2\n}\n");
    assert_diags(
        &p,
        &[
            "t.conf:9:1: error: interface eth1 is already in the garp_group at t.conf:1:1; keepalived ignores it here",
            "t.conf:13:1: error: garp_group sets neither garp_interval nor gna_interval; keepalived removes it",
        ],
    );
    let g = &p.config.vrrp.garp_group[0];
    assert_eq!(
        (g.garp_interval, g.gna_interval),
        (Some(Timer::micros(1000)), Some(Timer::micros(500_000)))
    );
    assert_eq!(g.interfaces, ["eth0", "eth1"]);
    assert_eq!(
        p.config.vrrp.garp_group[1].interface.as_deref(),
        Some("eth1")
    );
}

#[test]
fn track_group_references() {
    let p = parse(&format!(
        "track_group TG {{\n    group {{\n        VI_1\n        VI_9\n    }}\n}}\nstatic_ipaddress {{\n    10.1.0.1/24 dev eth0 track_group TG\n    10.1.0.2/24 dev eth0 track_group TF\n}}\nstatic_routes {{\n    10.2.0.0/16 dev eth0 track_group TG\n}}\nstatic_rules {{\n    from 10.3.0.0/16 iif eth0 table 5 preference 100 track_group TX\n}}\n{BASE}}}\n"
    ));
    assert_diags(
        &p,
        &[
            "t.conf:1:1: error: VI_9 in track_group TG is not a vrrp_instance; keepalived ignores it",
            "t.conf:9:5: error: no track_group is named TF; keepalived does not track this entry",
            "t.conf:15:5: error: no track_group is named TX; keepalived does not track this entry",
        ],
    );
    assert_eq!(
        p.diags
            .iter()
            .nth(1)
            .and_then(|d| d.help.clone())
            .as_deref(),
        Some("did you mean 'TG'?")
    );
    assert_eq!(
        p.config.vrrp.static_ipaddress[0].track_group.as_deref(),
        Some("TG")
    );
}

#[test]
fn lvs_sync_daemon_follows_an_instance() {
    let p = parse(&format!(
        "global_defs {{\n    lvs_sync_daemon eth1 VI_1\n}}\n{BASE}}}\n"
    ));
    assert_diags(&p, &[]);
    let sd = p.config.global.global_defs.lvs_sync_daemon.clone();
    assert_eq!(
        sd.and_then(|s| s.id),
        Some(51),
        "the sync id defaults to the instance's VRID"
    );
    let p = parse(&format!(
        "global_defs {{\n    lvs_sync_daemon eth1 VI_2\n}}\n{BASE}    lvs_sync_daemon_interface eth1\n}}\n"
    ));
    assert_diags(
        &p,
        &[
            "t.conf:10:5: warning: lvs_sync_daemon_interface in a vrrp_instance is deprecated",
            "t.conf:2:5: error: lvs_sync_daemon follows vrrp_instance VI_2, which does not exist; keepalived drops the lvs_sync_daemon setting",
            "t.conf:4:1: error: global_defs' lvs_sync_daemon is set; keepalived ignores this instance's lvs_sync_daemon_interface",
        ],
    );
}

#[test]
fn instances_inherit_global_defs() {
    let p = parse(&format!(
        "global_defs {{\n    vrrp_version 3\n    vrrp_garp_master_delay 7\n    vrrp_garp_master_repeat 2\n    vrrp_garp_master_refresh 30\n    vrrp_garp_master_refresh_repeat 3\n    vrrp_garp_extra_if all 60\n    vrrp_skip_check_adv_addr\n    vrrp_check_unicast_src\n    vrrp_lower_prio_no_advert\n    vrrp_higher_prio_send_advert\n    vrrp_down_timer_adverts 4\n    v3_checksum_as_v2\n    vrrp_notify_priority_changes on\n    smtp_alert\n}}\n{BASE}}}\n"
    ));
    assert_diags(&p, &[]);
    let i = only(&p);
    assert_eq!(
        (i.version, i.garp_master_delay, i.garp_master_repeat),
        (3, Timer::secs(7), 2)
    );
    assert_eq!(
        (i.garp_master_refresh, i.garp_master_refresh_repeat),
        (Timer::secs(30), 3)
    );
    assert_eq!(
        (i.garp_lower_prio_delay, i.garp_lower_prio_repeat),
        (Timer::secs(7), 2),
        "lower_prio follows the master values"
    );
    assert_eq!(
        i.garp_extra_if.as_ref().map(|x| (x.interval, x.all)),
        Some((Timer::secs(60), true))
    );
    assert!(
        i.skip_check_adv_addr
            && i.check_unicast_src
            && i.lower_prio_no_advert
            && i.higher_prio_send_advert
    );
    assert!(i.v3_checksum_as_v2 && i.notify_priority_changes && i.smtp_alert);
    assert_eq!(i.down_timer_adverts, 4);

    // The instance's own values win; vrrp_strict applies to every instance without strict_mode.
    let p = parse(&format!(
        "global_defs {{\n    vrrp_strict\n    vrrp_version 3\n    smtp_alert\n    smtp_alert_vrrp off\n}}\n{BASE}    version 2\n    strict_mode off\n}}\nvrrp_instance VI_2 {{\n    interface eth1\n    virtual_router_id 2\n    virtual_ipaddress {{\n        10.0.1.1\n    }}\n}}\n"
    ));
    assert_diags(&p, &[]);
    let (a, b) = (
        &p.config.vrrp.vrrp_instance[0],
        &p.config.vrrp.vrrp_instance[1],
    );
    assert_eq!((a.version, a.strict_mode, a.smtp_alert), (2, false, false));
    assert_eq!(
        (b.version, b.strict_mode, b.accept, b.lower_prio_no_advert),
        (3, true, false, true)
    );
}

#[test]
fn samples_decode_without_errors() {
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/keepalived-samples");
    if !dir.is_dir() {
        return;
    }
    // Samples that are wrong by keepalived's own rules, and what it (and this) says.
    let known_bad: &[(&str, &[&str])] = &[
        (
            "keepalived.conf.vrrp.rules",
            &[
                "invalid value '192.168.100./24' for 'to' in static_rules: expected an address, a prefix (ADDR/LEN), or default; the rule is ignored",
                "invalid value '192.168.200./24' for 'to' in virtual_rules: expected an address, a prefix (ADDR/LEN), or default; the rule is ignored",
            ],
        ),
    ];
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
        let path = entry.path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        if !name.starts_with("keepalived.conf")
            || !["vrrp_", "static_", "bfd_instance", "track_file"]
                .iter()
                .any(|k| text.contains(k))
        {
            continue;
        }
        for id in ["high", "low"] {
            let p = crate::parse_file(
                &path,
                &Options {
                    config_id: id.into(),
                    ..Default::default()
                },
            );
            let errors: Vec<String> = p
                .diags
                .iter()
                .filter(|d| d.level >= crate::Level::Error)
                .map(|d| d.message.clone())
                .collect();
            let want: Vec<String> = known_bad
                .iter()
                .find(|(n, _)| *n == name)
                .map_or(&[][..], |(_, e)| e)
                .iter()
                .map(|s| s.to_string())
                .collect();
            assert_eq!(errors, want, "{name} (config id {id})");
        }
        checked += 1;
    }
    for extra in [
        "extra/docker/keepalived.conf",
        "extra/keepalived/etc/keepalived/keepalived.conf",
    ] {
        let p = crate::parse_file(
            &dir.join(extra),
            &Options {
                config_id: "x".into(),
                ..Default::default()
            },
        );
        assert!(p.is_ok(), "{extra}: {}", p.render_diagnostics());
        checked += 1;
    }
    assert!(checked >= 14, "only {checked} samples found");
}

/// Prints the diagnostics and the VRRP dump of $KRS_FILE: a debugging aid, not a test.
#[test]
#[ignore]
fn show_file() {
    let Ok(path) = std::env::var("KRS_FILE") else {
        return;
    };
    let p = crate::parse_file(
        std::path::Path::new(&path),
        &Options {
            config_id: "high".into(),
            ..Default::default()
        },
    );
    for h in headlines(&p) {
        eprintln!("{h}");
    }
    eprintln!(
        "{}",
        serde_json::to_string_pretty(&p.config.vrrp).unwrap_or_default()
    );
}

#[test]
fn more_instance_checks() {
    // IPv6 in strict mode: version 3, a link-local first VIP.
    let p = parse("vrrp_instance V6 {\n    interface eth0\n    virtual_router_id 1\n    version 2\n    strict_mode\n    virtual_ipaddress {\n        2001:db8::1\n    }\n}\n");
    assert_diags(
        &p,
        &[
            "t.conf:4:5: warning: in strict mode IPv6 needs VRRP version 3; keepalived uses version 3",
            "t.conf:7:9: warning: in strict mode the first IPv6 virtual_ipaddress must be link-local (fe80::/10)",
        ],
    );
    assert_eq!(only(&p).version, 3);
    // Unicast without interface: a link-local source, a VMAC.
    let p = parse("vrrp_instance U {\n    virtual_router_id 1\n    unicast_src_ip fe80::2\n    unicast_peer {\n        fe80::3\n    }\n    use_vmac\n    vrf red\n    no_virtual_ipaddress\n}\n");
    assert_diags(
        &p,
        &[
            "t.conf:1:1: error: vrrp_instance U has a link-local source address but no interface",
            "t.conf:1:1: error: vrrp_instance U uses a VMAC/ipvlan but has no interface",
        ],
    );
    assert_eq!(only(&p).vrf.as_deref(), Some("red"));
    let p = inst("    track_interface {\n        eth0\n        eth1\n        eth1\n        abcdefghijklmnopq\n        eth2 weight 3 sideways\n    }\n");
    assert_diags(
        &p,
        &[
            "t.conf:10:9: error: interface eth1 is already tracked; this entry is ignored",
            "t.conf:11:9: error: interface name 'abcdefghijklmnopq' for track_interface is too long: at most 15 characters; it is ignored",
            "t.conf:12:23: error: unknown option 'sideways' after the weight of eth2 in track_interface; it is ignored",
            "t.conf:8:9: warning: eth0 is the instance's own interface; it is always tracked",
        ],
    );
    assert_eq!(
        only(&p)
            .track_interface
            .iter()
            .map(|t| t.name.as_str())
            .collect::<Vec<_>>(),
        ["eth1", "eth2"]
    );
    let p = parse(
        "vrrp_instance U {\n    virtual_router_id 1\n    vrf red\n    interface eth0\n    no_virtual_ipaddress\n}\n",
    );
    assert_diags(
        &p,
        &["t.conf:1:1: warning: vrf needs a unicast vrrp_instance without interface; keepalived ignores it in U"],
    );
}

#[test]
fn strict_vmac_and_owner_fixups() {
    let p = inst("    strict_mode\n    priority 255\n    use_vmac 02:00:00:00:00:01\n    vmac_xmit_base\n    owner_ignore_adverts off\n");
    assert_diags(
        &p,
        &[
            "t.conf:1:1: warning: strict mode does not allow a use_vmac MAC address; keepalived ignores it",
            "t.conf:1:1: warning: strict mode does not allow vmac_xmit_base; keepalived clears it",
            "t.conf:11:5: warning: strict mode with priority 255 requires owner_ignore_adverts; keepalived sets it",
        ],
    );
    let i = only(&p);
    assert!(
        i.owner_ignore_adverts
            && !i.vmac_xmit_base
            && i.use_vmac.as_ref().is_some_and(|v| v.mac.is_none())
    );
}

#[test]
fn too_many_vips_move_to_excluded() {
    let vips: String = (0..95)
        .map(|n| format!("        2001:db8::{n:x}\n"))
        .collect();
    let p = parse(&format!("vrrp_instance V6 {{\n    interface eth0\n    virtual_router_id 1\n    virtual_ipaddress {{\n{vips}    }}\n}}\n"));
    assert_diags(&p, &["t.conf:94:9: warning: an advert carries at most 89 addresses; keepalived moves the other 6 to virtual_ipaddress_excluded"]);
    assert_eq!(
        (
            only(&p).virtual_ipaddress.len(),
            only(&p).virtual_ipaddress_excluded.len()
        ),
        (89, 6)
    );
}

#[test]
fn more_authentication_checks() {
    let key = "k".repeat(32);
    let p = parse(&format!(
        "vrrp_instance V6 {{\n    interface eth0\n    virtual_router_id 1\n    version 2\n    virtual_ipaddress {{\n        fe80::1\n    }}\n    authentication {{\n        auth_type AH\n        auth_pass x\n    }}\n    auth_hmac {{\n        key 1 {key}\n    }}\n}}\n"
    ));
    assert_diags(
        &p,
        &[
            "t.conf:8:5: error: AH authentication does not work with IPv6; keepalived ignores it",
            "t.conf:12:5: error: auth_hmac cannot be combined with authentication; keepalived drops authentication",
            "t.conf:12:5: error: auth_hmac has no active_key; keepalived disables it",
        ],
    );
}

#[test]
fn more_instance_keywords() {
    let p = inst("    old_unicast_checksum never\n    unicast_peer {\n        10.0.0.3\n    }\n    state MASTER\n    state BACKUP\n    kernel_rx_buf_size -1\n    unicast_ttl 300\n    old_unicast_checksum always\n");
    assert_diags(
        &p,
        &[
            "t.conf:12:5: error: state is already MASTER; keepalived ignores this BACKUP",
            "t.conf:13:24: error: invalid value '-1' for kernel_rx_buf_size: must be between 0 and 4294967295",
            "t.conf:14:17: error: invalid value '300' for unicast_ttl: must be between 0 and 255",
            "t.conf:15:26: error: invalid value 'always' for old_unicast_checksum: expected one of never",
        ],
    );
    let i = only(&p);
    assert_eq!(
        (i.old_unicast_checksum, i.state),
        (Some(OldUnicastChecksum::Never), VrrpState::Master)
    );
    let p = inst("    old_unicast_checksum\n    unicast_peer {\n        10.0.0.3\n    }\n    use_ipvlan name\n");
    assert_diags(
        &p,
        &[
            "t.conf:11:16: error: 'name' in use_ipvlan needs a value",
            "t.conf:1:1: error: an IPv4 use_ipvlan needs an address; keepalived keeps vrrp_instance VI_1 in FAULT",
        ],
    );
    assert_eq!(
        only(&p).old_unicast_checksum,
        Some(OldUnicastChecksum::Always)
    );
    assert_eq!(
        serde_json::to_value(only(&p).old_unicast_checksum).unwrap_or_default(),
        "always"
    );
    let p = inst(
        "    virtual_ipaddress extra {\n        10.0.0.2\n    }\n    track_script {\n        s {\n        }\n    }\n",
    );
    assert_diags(
        &p,
        &[
            "t.conf:7:23: warning: extra argument 'extra' after virtual_ipaddress is ignored",
            "t.conf:11:11: error: 's' in a list does not take a { } block; it is ignored",
            "t.conf:11:9: error: no vrrp_script is named s; keepalived ignores this entry",
        ],
    );
}

#[test]
fn owner_removes_weighted_track_files_and_sync_groups_clear_weights() {
    let p = parse(&format!(
        "track_file f {{\n    file /run/f\n}}\nvrrp_sync_group G {{\n    group {{\n        VI_1\n        VI_2\n    }}\n    track_file {{\n        f weight 3\n    }}\n    track_interface {{\n        eth2 weight 4\n    }}\n}}\n{BASE}    priority 255\n    track_file {{\n        f weight 2\n    }}\n}}\nvrrp_instance VI_2 {{\n    interface eth1\n    virtual_router_id 52\n    priority 255\n    no_virtual_ipaddress\n}}\n"
    ));
    assert_diags(
        &p,
        &[
            "t.conf:24:9: warning: tracked file f has weight 2, so keepalived ignores it: it is in a sync group (see sync_group_tracking_weight)",
            "t.conf:10:9: warning: the weight of f is ignored: a member of vrrp_sync_group G has priority 255",
            "t.conf:13:9: warning: the weight of eth2 is ignored: a member of vrrp_sync_group G has priority 255",
        ],
    );
    let g = &p.config.vrrp.vrrp_sync_group[0];
    assert_eq!(
        (g.track_file[0].weight, g.track_interface[0].weight),
        (0, 0)
    );
    assert!(only(&p).track_file.is_empty());
}

#[test]
fn more_block_checks() {
    let p = parse(
        "vrrp_script s {\n    script /bin/true\n}\nvrrp_script s {\n    script /bin/false\n}\ntrack_file f {\n    file /a\n}\ntrack_file f {\n    file /b\n}\nbfd_instance b {\n    neighbor_ip 10.0.0.2\n}\nbfd_instance c {\n    neighbor_ip 10.0.0.2\n}\ngarp_group {\n    garp_interval 1\n    interface eth0\n    interfaces extra {\n    }\n}\n",
    );
    assert_diags(
        &p,
        &[
            "t.conf:4:13: error: vrrp_script s is already defined at t.conf:1:1; this one is ignored",
            "t.conf:10:12: error: track_file f is already defined at t.conf:7:1; this one is ignored",
            "t.conf:16:1: error: bfd_instance c has the same neighbor_ip as b (at t.conf:13:1); keepalived ignores it",
            "t.conf:22:16: warning: extra argument 'extra' after interfaces is ignored",
            "t.conf:22:5: warning: the interfaces block of this garp_group is empty",
            "t.conf:1:1: warning: vrrp_script s is not tracked by any vrrp_instance or vrrp_sync_group; keepalived does not run it",
        ],
    );
    assert_eq!(p.config.vrrp.vrrp_script.len(), 1);
    let p = parse("garp_group {\n    gna_interval 1\n    interface eth0\n    interfaces {\n        eth1\n    }\n}\n");
    assert_diags(
        &p,
        &["t.conf:1:1: warning: garp_group has both interface and interfaces; use one of them"],
    );
}
