//! Tests of address, route and rule lines (static and virtual), through `parse_str`.

use super::tests::{assert_diags, parse};
use crate::model::vrrp::*;

fn addrs(lines: &str) -> crate::Parsed {
    parse(&format!("static_ipaddress {{\n{lines}}}\n"))
}

#[test]
fn address_with_every_option() {
    let p = addrs(
        "    192.168.1.2/24 brd + dev eth0 scope link label eth0:3 home -nodad mngtmpaddr noprefixroute autojoin no_track preferred_lft 60 track_group G\n    10.1.1.1 peer 10.1.1.2 dev eth1\n    2001:db8::1/64 dev eth0\n    2001:db8::2 dev eth0\n    192.168.3.1/24 brd 192.168.3.255 dev eth0\n",
    );
    let a = &p.config.vrrp.static_ipaddress;
    assert_eq!(a.len(), 5);
    assert_eq!(a[0].address.to_string(), "192.168.1.2/24");
    assert_eq!(
        (
            a[0].brd,
            a[0].dev.as_deref(),
            a[0].scope.as_deref(),
            a[0].label.as_deref()
        ),
        (
            Some(Broadcast::SetHostBits),
            Some("eth0"),
            Some("link"),
            Some("eth0:3")
        )
    );
    assert!(
        a[0].home
            && a[0].nodad
            && a[0].mngtmpaddr
            && a[0].noprefixroute
            && a[0].autojoin
            && a[0].no_track
    );
    assert_eq!(
        (a[0].preferred_lft, a[0].track_group.as_deref()),
        (Some(Lifetime::Secs(60)), Some("G"))
    );
    assert_eq!(
        (a[1].address.to_string(), a[1].peer.map(|p| p.to_string())),
        ("10.1.1.1/32".into(), Some("10.1.1.2".into()))
    );
    assert_eq!(
        a[2].preferred_lft,
        Some(Lifetime::Forever),
        "IPv6 addresses are kept forever"
    );
    assert_eq!(
        a[3].preferred_lft,
        Some(Lifetime::Secs(0)),
        "an IPv6 /128 is deprecated at once"
    );
    assert_eq!(
        a[4].brd.map(|b| b.to_string()).as_deref(),
        Some("192.168.3.255")
    );
    let json = serde_json::to_value(&a[0]).unwrap_or_default();
    assert_eq!(
        (
            json["brd"].as_str(),
            json["-nodad"].as_bool(),
            json["preferred_lft"].as_u64()
        ),
        (Some("+"), Some(true), Some(60))
    );
    // Only the unknown track_group is reported.
    assert_diags(
        &p,
        &["t.conf:2:5: error: no track_group is named G; keepalived does not track this entry"],
    );
}

#[test]
fn address_errors() {
    let p = addrs(
        "    10.0.0.300/24\n    10.0.0.1/33\n    10.0.0.2 dev\n    10.0.0.3 dev eth0 dev eth1\n    2001:db8::3 brd +\n    10.0.0.4 brd 10.0.0\n    10.0.0.5 label abcdefghijklmnop\n    10.0.0.6 peer 2001:db8::1\n    10.0.0.7 preferred_lft never\n    10.0.0.8 scope 300\n",
    );
    assert_diags(
        &p,
        &[
            "t.conf:2:5: error: invalid address '10.0.0.300/24' in static_ipaddress: expected an IPv4 or IPv6 address; the line is ignored",
            "t.conf:3:5: error: invalid address '10.0.0.1/33' in static_ipaddress: prefix length must be between 0 and 32; using /32, as keepalived does",
            "t.conf:4:14: error: 'dev' in static_ipaddress needs a value",
            "t.conf:5:23: error: 'dev' is given twice for 10.0.0.3 in static_ipaddress; the line is ignored",
            "t.conf:6:17: error: an IPv6 address has no broadcast address; 2001:db8::3 in static_ipaddress is ignored",
            "t.conf:7:18: error: invalid value '10.0.0' for 'brd' in static_ipaddress: expected an IPv4 address, '-' or '+'; the line is ignored",
            "t.conf:8:20: error: invalid value 'abcdefghijklmnop' for 'label' in static_ipaddress: a label is at most 15 characters; the line is ignored",
            "t.conf:9:19: error: invalid value '2001:db8::1' for 'peer' in static_ipaddress: the peer must be of the same family as the address",
            "t.conf:10:28: error: invalid value 'never' for 'preferred_lft' in static_ipaddress: expected seconds (0..4294967295) or forever",
            "t.conf:11:20: error: invalid value '300' for 'scope' in static_ipaddress: expected a scope name or a number between 0 and 255",
        ],
    );
    // 10.0.0.1/33 is kept as 10.0.0.1/32, as keepalived keeps it.
    let kept: Vec<String> = p
        .config
        .vrrp
        .static_ipaddress
        .iter()
        .map(|a| a.address.to_string())
        .collect();
    assert_eq!(kept[0], "10.0.0.1/32");
    assert_eq!(kept.len(), 4);
    let daemon: Vec<_> = p.diags.iter().take(2).map(|d| d.daemon).collect();
    assert_eq!(daemon, [crate::KeepalivedDaemon::RunsOn; 2]);
}

#[test]
fn address_warnings() {
    let p = addrs(
        "    10.0.0.1/24 peer 10.0.0.2 brd +\n    10.0.0.3/31 brd -\n    2001:db8::4 scope link label x\n    10.0.0.5 use_vmac shiny track_group G\n    10.0.0.6 scope campus\n",
    );
    assert_diags(
        &p,
        &[
            "t.conf:2:5: warning: the prefix length of 10.0.0.1/24 is ignored: an address with a peer is a /32",
            "t.conf:2:31: warning: an address with a peer has no broadcast address; 'brd' is ignored",
            "t.conf:3:17: warning: a /31 address has no host bits for 'brd' to set or clear; it is ignored",
            "t.conf:4:23: warning: IPv6 addresses take no scope in static_ipaddress; keepalived ignores it",
            "t.conf:4:34: warning: IPv6 addresses take no label in static_ipaddress; keepalived ignores it",
            "t.conf:5:14: warning: 'use_vmac' does not apply to static_ipaddress; it is ignored",
            "t.conf:5:23: warning: unknown option 'shiny' for 10.0.0.5 in static_ipaddress; it is ignored",
            "t.conf:5:29: warning: 'track_group' needs 'dev' for 10.0.0.5 in static_ipaddress; it is ignored",
            "t.conf:6:20: warning: scope 'campus' in static_ipaddress is not a standard scope name; keepalived looks it up in /etc/iproute2/rt_scopes",
        ],
    );
    let a = &p.config.vrrp.static_ipaddress;
    assert_eq!((a[0].address.len, a[0].brd, a[1].brd), (32, None, None));
    assert_eq!((a[2].scope.clone(), a[2].label.clone()), (None, None));
    assert_eq!(
        (a[3].extra.clone(), a[3].track_group.clone()),
        (vec!["use_vmac".to_string(), "shiny".into()], None)
    );
}

#[test]
fn virtual_addresses_take_use_vmac_not_track_group() {
    let p = parse(
        "vrrp_instance VI_1 {\n    interface eth0\n    virtual_router_id 1\n    virtual_ipaddress {\n        10.0.0.1/24 dev eth1 use_vmac no_track\n        10.0.0.2 track_group G\n        10.0.0.1\n    }\n    virtual_ipaddress_excluded {\n        2001:db8::1/64 use_vmac\n        10.0.0.2\n        10.0.0.1 dev eth1\n    }\n}\n",
    );
    assert_diags(
        &p,
        &[
            "t.conf:6:18: warning: 'track_group' does not apply to virtual_ipaddress; it is ignored",
            "t.conf:7:9: warning: address 10.0.0.1 is already configured at line 5; this one is ignored",
            "t.conf:11:9: warning: address 10.0.0.2 is already configured at line 6; this one is ignored",
            "t.conf:12:9: warning: address 10.0.0.1 is already configured at line 5; this one is ignored",
        ],
    );
    let i = &p.config.vrrp.vrrp_instance[0];
    assert!(i.virtual_ipaddress[0].use_vmac && i.virtual_ipaddress[0].no_track);
    assert_eq!(i.virtual_ipaddress[1].extra, ["track_group", "G"]);
    assert_eq!(i.virtual_ipaddress.len(), 2);
    assert!(i.virtual_ipaddress_excluded[0].use_vmac);
    assert_eq!(i.virtual_ipaddress_excluded.len(), 1);
}

fn routes(lines: &str) -> crate::Parsed {
    parse(&format!("static_routes {{\n{lines}}}\n"))
}

#[test]
fn routes_parse_like_ip_route() {
    let p = routes(
        "    src 192.168.100.1 192.168.109.0/24 via 192.168.200.254 dev eth0 table 100 metric 5 scope link protocol keepalived tos 0x10 onlink\n    blackhole 10.9.0.0/16\n    to default via inet 10.0.0.1 append\n    2001:db8::/32 from 2001:db8:1::/48 dev eth0 expires 30 pref high\n    10.5.0.0/16 table 6909 nexthop via 10.0.0.1 dev eth0 weight 2 onlink nexthop via 10.0.0.2 dev eth1\n    10.6.0.0/16 dev eth0 mtu lock 1400 advmss 1300 hoplimit 64 realms 1/2 initcwnd 10 features ecn congctl lock cubic rtt 100ms encap ip id 5 dst 10.1.1.1 ttl 3 add\n    10.7.0.0/16 dev eth0 no_track protocol bird vrf blue\n    default dev eth0 oif eth1 prepend inet6\n",
    );
    assert_diags(
        &p,
        &[
            "t.conf:3:5: warning: a route without 'dev' cannot be tracked (10.9.0.0/16): it is installed, not tracked",
            "t.conf:4:5: warning: a route without 'dev' cannot be tracked (default): it is installed, not tracked",
            "t.conf:6:5: warning: a route without 'dev' cannot be tracked (10.5.0.0/16): it is installed, not tracked",
        ],
    );
    let r = &p.config.vrrp.static_routes;
    assert_eq!(r.len(), 8);
    assert_eq!(
        (
            r[0].to.to_string(),
            r[0].src.map(|a| a.to_string()),
            r[0].via.map(|a| a.to_string())
        ),
        (
            "192.168.109.0/24".into(),
            Some("192.168.100.1".into()),
            Some("192.168.200.254".into())
        )
    );
    assert_eq!(
        (
            r[0].dev.as_deref(),
            r[0].table.as_str(),
            r[0].metric,
            r[0].scope.as_deref()
        ),
        (Some("eth0"), "100", Some(5), Some("link"))
    );
    assert_eq!(
        (
            r[0].protocol.as_deref(),
            r[0].tos.as_deref(),
            r[0].onlink,
            r[0].mode
        ),
        (Some("keepalived"), Some("0x10"), true, RouteMode::Prepend)
    );
    assert_eq!(
        (
            r[1].route_type.as_deref(),
            r[1].to.to_string(),
            r[1].table.as_str()
        ),
        (Some("blackhole"), "10.9.0.0/16".into(), "main")
    );
    assert_eq!(
        (r[2].to, r[2].mode, r[2].family),
        (Dest::Default, RouteMode::Append, Family::Inet)
    );
    assert_eq!(
        (r[3].family, r[3].from.map(|f| f.to_string())),
        (Family::Inet6, Some("2001:db8:1::/48".into()))
    );
    assert_eq!(r[3].extra, ["expires", "30", "pref", "high"]);
    let nh: Vec<_> = r[4]
        .nexthop
        .iter()
        .map(|n| {
            (
                n.via.map(|a| a.to_string()),
                n.dev.clone(),
                n.weight,
                n.onlink,
            )
        })
        .collect();
    assert_eq!(
        nh,
        [
            (Some("10.0.0.1".into()), Some("eth0".into()), Some(2), true),
            (Some("10.0.0.2".into()), Some("eth1".into()), None, false)
        ]
    );
    assert_eq!(
        r[5].extra,
        [
            "mtu", "lock", "1400", "advmss", "1300", "hoplimit", "64", "realms", "1/2", "initcwnd",
            "10", "features", "ecn", "congctl", "lock", "cubic", "rtt", "100ms", "encap", "ip",
            "id", "5", "dst", "10.1.1.1", "ttl", "3"
        ]
    );
    assert_eq!(r[5].mode, RouteMode::Add);
    assert_eq!(
        (r[6].protocol.as_deref(), r[6].no_track, r[6].vrf.as_deref()),
        (Some("bird"), true, Some("blue"))
    );
    assert_eq!(
        (r[7].family, r[7].to, r[7].dev.as_deref()),
        (Family::Inet6, Dest::Default, Some("eth1"))
    );
    let json = serde_json::to_value(&r[1]).unwrap_or_default();
    assert_eq!(
        (json["type"].as_str(), json["to"].as_str()),
        (Some("blackhole"), Some("10.9.0.0/16"))
    );
}

#[test]
fn legacy_route_spellings() {
    let p = routes(
        "    10.0.0.0/8 gw 10.0.0.1\n    10.1.0.0/16 via 10.0.0.1 or 10.0.0.2 dev eth0\n    default6 dev eth0\n",
    );
    assert_diags(
        &p,
        &[
            "t.conf:2:16: warning: 'gw' in routes is a legacy spelling of 'via'",
            "t.conf:2:5: warning: a route without 'dev' cannot be tracked (10.0.0.0/8): it is installed, not tracked",
            "t.conf:3:30: warning: 'or' in routes is deprecated",
            "t.conf:4:5: warning: 'default6' is deprecated",
        ],
    );
    let r = &p.config.vrrp.static_routes;
    assert_eq!(r[0].via.map(|a| a.to_string()).as_deref(), Some("10.0.0.1"));
    assert_eq!(r[1].via, None);
    assert_eq!(
        r[1].nexthop
            .iter()
            .map(|n| n.via.map(|a| a.to_string()))
            .collect::<Vec<_>>(),
        [Some("10.0.0.1".into()), Some("10.0.0.2".into())]
    );
    assert_eq!((r[2].family, r[2].to), (Family::Inet6, Dest::Default));
}

/// keepalived 2.2.7 reads `inet`/`inet6` with the word after it, and takes `default`/`all`
/// only before the line's family is known (measured: daemon/tests/netns_route_family.rs).
#[test]
fn family_words_take_the_next_word_as_keepalived() {
    let p = routes(
        "    inet6 2001:db8:1::/48 dev eth0\n    inet6 src 2001:db8::1 2001:db8:2::/48 dev eth0\n    inet6 to 2001:db8:3::/48\n    src 10.0.0.1 default dev eth0\n    default via 2001:db8::fe dev eth0\n    default6 dev eth0\n",
    );
    assert_diags(
        &p,
        &[
            "t.conf:2:11: warning: keepalived 2.2.7 takes the word after 'inet6' in static_routes as part of it: '2001:db8:1::/48' is ignored",
            "t.conf:2:5: error: a route in static_routes needs a destination; it is ignored",
            "t.conf:3:11: warning: keepalived 2.2.7 takes the word after 'inet6' in static_routes as part of it: 'src' is ignored",
            "t.conf:3:27: warning: a second destination in a line of static_routes; it replaces the first",
            "t.conf:4:11: warning: keepalived 2.2.7 takes the word after 'inet6' in static_routes as part of it: 'to' is ignored",
            "t.conf:4:5: warning: a route without 'dev' cannot be tracked (2001:db8:3::/48): it is installed, not tracked",
            "t.conf:5:18: error: keepalived 2.2.7 takes 'default' only before the line's family is known (here IPv4); the route is ignored",
            "t.conf:7:5: warning: 'default6' is deprecated",
        ],
    );
    let r: Vec<_> = p
        .config
        .vrrp
        .static_routes
        .iter()
        .map(|r| (r.family, r.to.to_string(), r.src.map(|a| a.to_string())))
        .collect();
    assert_eq!(
        r,
        [
            (Family::Inet6, "2001:db8:2::/48".to_string(), None),
            (Family::Inet6, "2001:db8:3::/48".to_string(), None),
            (Family::Inet6, "default".to_string(), None),
            (Family::Inet6, "default".to_string(), None),
        ]
    );
    // keepalived's -t passes the skipped word and the second destination; it fails the rest.
    let passes: Vec<_> = p
        .diags
        .iter()
        .map(|d| d.keepalived == crate::KeepalivedTest::Passes)
        .collect();
    assert_eq!(passes, [true, false, true, true, true, false, false, true]);

    let p = rules(
        "    inet6 from 2001:db8::/32 table 100 preference 10\n    inet6 not from 2001:db8:5::/48 table 100 preference 12\n    from 2001:db8:6::/48 to all table 100 preference 13\n    table 101 preference 14 inet6\n",
    );
    assert_diags(
        &p,
        &[
            "t.conf:2:11: warning: keepalived 2.2.7 takes the word after 'inet6' in static_rules as part of it: 'from' is ignored",
            "t.conf:2:16: error: unknown rule option '2001:db8::/32' in static_rules; the rule is ignored",
            "t.conf:3:11: warning: keepalived 2.2.7 takes the word after 'inet6' in static_rules as part of it: 'not' is ignored",
            "t.conf:4:29: error: keepalived 2.2.7 takes 'all' only before the line's family is known (here IPv6); the rule is ignored",
        ],
    );
    let r: Vec<_> = p
        .config
        .vrrp
        .static_rules
        .iter()
        .map(|r| (r.family, r.not, r.from.map(|d| d.to_string()), r.preference))
        .collect();
    assert_eq!(
        r,
        [
            (
                Family::Inet6,
                false,
                Some("2001:db8:5::/48".to_string()),
                Some(12)
            ),
            (Family::Inet6, false, None, Some(14)),
        ]
    );
}

#[test]
fn route_errors() {
    let p = routes(
        "    10.0.0.0/8 via 2001:db8::1\n    dev eth0\n    10.0.0.0/8 via\n    10.0.0.0/8 metrc 5\n    10.0.0.0/8 from 10.1.0.0/16\n    10.0.0.0/8 realms 1 inet6\n    10.0.0.0/8 mtu big\n    10.0.0.0/8 nexthop via 10.0.0.1 table 5\n    10.0.0.0/8 encap ip ttl 3\n    10.0.0.0/8 nexthop via 10.0.0.1 weight 0\n    10.0.0.0/8 hoplimit 256\n    10.0.0.1/40\n    10.0.0.0/8 features sack\n",
    );
    assert_diags(
        &p,
        &[
            "t.conf:2:20: error: '2001:db8::1' is IPv6 but this line of static_routes is IPv4; the route is ignored",
            "t.conf:3:5: error: a route in static_routes needs a destination; it is ignored",
            "t.conf:4:16: error: 'via' in static_routes needs a value",
            "t.conf:5:16: error: unknown route option 'metrc' in static_routes; the route is ignored",
            "t.conf:6:21: error: invalid value '10.1.0.0/16' for 'from' in static_routes: a route's source prefix ('from') is IPv6 only; the route is ignored",
            "t.conf:7:25: error: 'inet6' is IPv6 but this line of static_routes is IPv4; the route is ignored",
            "t.conf:8:20: error: invalid value 'big' for 'mtu' in static_routes: expected an integer between 0 and 4294967295; the route is ignored",
            "t.conf:9:37: error: unexpected 'table' after the nexthops in static_routes; the route is ignored",
            "t.conf:10:22: error: 'encap ip' needs a dst or an id in static_routes; the route is ignored",
            "t.conf:11:44: error: invalid value '0' for 'weight' in static_routes: must be between 1 and 256; the route is ignored",
            "t.conf:12:25: error: invalid value '256' for 'hoplimit' in static_routes: expected an integer between 0 and 255",
            "t.conf:13:5: error: invalid route destination '10.0.0.1/40' in static_routes: prefix length must be between 0 and 32; the route is ignored",
            "t.conf:14:25: error: invalid value 'sack' for 'features' in static_routes: the only feature is ecn; it is ignored",
            "t.conf:14:5: warning: a route without 'dev' cannot be tracked (10.0.0.0/8): it is installed, not tracked",
        ],
    );
    assert_eq!(
        p.diags
            .iter()
            .nth(3)
            .and_then(|d| d.help.clone())
            .as_deref(),
        Some("did you mean 'metric'?")
    );
    assert_eq!(p.config.vrrp.static_routes.len(), 1);
}

#[test]
fn route_tracking_and_groups() {
    let p = parse(
        "track_group G {\n    group {\n        VI_1\n    }\n}\nstatic_routes {\n    10.0.0.0/8 via 10.0.0.1 protocol bird track_group G\n}\nvrrp_instance VI_1 {\n    interface eth0\n    virtual_router_id 1\n    no_virtual_ipaddress\n    virtual_routes {\n        10.1.0.0/16 dev eth0 track_group G\n        10.2.0.0/16 dev eth0 protocol static no_track\n    }\n}\n",
    );
    assert_diags(
        &p,
        &[
            "t.conf:7:38: warning: a tracked route gets protocol keepalived; 'bird' is replaced",
            "t.conf:7:5: warning: a route without 'dev' cannot be tracked (10.0.0.0/8): it is installed, not tracked",
            "t.conf:7:43: warning: 'track_group' needs 'dev' in a line of static_routes; it is ignored",
            "t.conf:14:30: error: unknown route option 'track_group' in virtual_routes; the route is ignored",
        ],
    );
    let i = &p.config.vrrp.vrrp_instance[0];
    assert_eq!(i.virtual_routes.len(), 1);
    assert_eq!(i.virtual_routes[0].protocol.as_deref(), Some("static"));
    assert_eq!(
        p.config.vrrp.static_routes[0].protocol.as_deref(),
        Some("keepalived")
    );
}

fn rules(lines: &str) -> crate::Parsed {
    parse(&format!("static_rules {{\n{lines}}}\n"))
}

#[test]
fn rules_parse_like_ip_rule() {
    let p = rules(
        "    from 192.168.28.0/24 to 192.168.29.0/26 table small iif p33p1 oif wlan0 tos 22 fwmark 0x18/12 preference 39 realms 30/20\n    not from all lookup 100 priority 40 suppress_prefixlength 0 sup_group 2\n    to 1:2:3::/112 from 7:6:5::/96 table 6908 uidrange 10000-19999 order 41\n    l3mdev protocol 18 ipproto udp sport 10-20 dport 53-53 preference 42 tunnel-id 7 inet6\n    from 10.0.0.0/8 preference 43 goto 50\n    from 10.1.0.0/16 type unreachable preference 44\n    from 10.2.0.0/16 nop preference 45 no_track\n    from 10.3.0.0/16 blackhole dev eth0 preference 46\n",
    );
    assert_diags(&p, &[]);
    let r = &p.config.vrrp.static_rules;
    assert_eq!(r.len(), 8);
    assert_eq!(
        (
            r[0].from.map(|d| d.to_string()),
            r[0].to.map(|d| d.to_string())
        ),
        (
            Some("192.168.28.0/24".into()),
            Some("192.168.29.0/26".into())
        )
    );
    assert_eq!(
        (
            r[0].table.as_deref(),
            r[0].iif.as_deref(),
            r[0].oif.as_deref(),
            r[0].tos.as_deref()
        ),
        (Some("small"), Some("p33p1"), Some("wlan0"), Some("22"))
    );
    assert_eq!(
        (r[0].fwmark, r[0].preference, r[0].realms.as_deref()),
        (
            Some(Fwmark {
                mark: 24,
                mask: Some(12)
            }),
            Some(39),
            Some("30/20")
        )
    );
    assert_eq!(
        (r[1].not, r[1].from, r[1].table.as_deref(), r[1].preference),
        (true, Some(Dest::Default), Some("100"), Some(40))
    );
    assert_eq!(
        (r[1].suppress_prefixlength, r[1].suppress_ifgroup.as_deref()),
        (Some(0), Some("2"))
    );
    assert_eq!(
        (r[2].family, r[2].uidrange, r[2].preference),
        (
            Family::Inet6,
            Some(Range {
                start: 10000,
                end: 19999
            }),
            Some(41)
        )
    );
    assert_eq!(
        (
            r[3].family,
            r[3].l3mdev,
            r[3].protocol,
            r[3].ipproto.as_deref()
        ),
        (Family::Inet6, true, Some(18), Some("udp"))
    );
    assert_eq!(
        (r[3].sport, r[3].dport, r[3].tunnel_id),
        (
            Some(Range { start: 10, end: 20 }),
            Some(Range { start: 53, end: 53 }),
            Some(7)
        )
    );
    assert_eq!(r[4].goto, Some(50));
    assert_eq!(
        (
            r[5].rule_type.as_deref(),
            r[6].rule_type.as_deref(),
            r[7].rule_type.as_deref()
        ),
        (Some("unreachable"), Some("nop"), Some("blackhole"))
    );
    assert_eq!((r[6].no_track, r[6].protocol), (true, None));
    let json = serde_json::to_value(&r[0]).unwrap_or_default();
    assert_eq!(
        (json["fwmark"].as_str(), json["from"].as_str()),
        (Some("24/12"), Some("192.168.28.0/24"))
    );
    assert_eq!(
        serde_json::to_value(&r[2]).unwrap_or_default()["uidrange"].as_str(),
        Some("10000-19999")
    );
}

#[test]
fn rule_errors_and_warnings() {
    let p = rules(
        "    from 10.0.0.0/8 table 1 goto 5 preference 1\n    from 10.0.0.0/8 preference 2\n    from 10.0.0.0/8 goto 5\n    from 10.0.0.0/8 preference 9 goto 5\n    from 10.0.0.0/8 table 0 preference 3\n    from 10.0.0.0/8 fwmark 1/x table 1 preference 4\n    from 10.0.0.0/8 to 2001:db8::/32 table 1\n    from 10.0.0.0/8 realms 3 nop preference 5\n    from 10.0.0.0/8 ip_proto udp table 1 preference 6\n    from 10.0.0.0/8 type local table 1\n    from 10.0.0.0/8 table 1\n    from 10.0.0.0/8 table 1 protocol 4 preference 7 sport x\n    from 10.0.0.0/8 iif eth0 table 1 preference 8 track_group G\n",
    );
    assert_diags(
        &p,
        &[
            "t.conf:2:29: error: a rule has one action, and 'table' was already given; the rule is ignored",
            "t.conf:3:5: error: a rule in static_rules needs an action (table, goto, nop, l3mdev, blackhole, unreachable or prohibit); it is ignored",
            "t.conf:4:21: error: a rule with goto needs a preference; it is ignored",
            "t.conf:5:34: error: a rule's goto target (5) must be after its preference (9); the rule is ignored",
            "t.conf:6:27: error: invalid value '0' for 'table' in static_rules: table 0 is not a table; the rule is ignored",
            "t.conf:7:28: error: invalid value '1/x' for 'fwmark' in static_rules: expected MARK or MARK/MASK (decimal or 0x hex); the rule is ignored",
            "t.conf:8:24: error: '2001:db8::/32' is IPv6 but this line of static_rules is IPv4; the rule is ignored",
            "t.conf:9:21: error: 'realms' applies only to rules with a table; the rule is ignored",
            "t.conf:10:21: error: unknown rule option 'ip_proto' in static_rules; the rule is ignored",
            "t.conf:11:26: error: unknown rule option 'local' in static_rules; the rule is ignored",
            "t.conf:12:5: warning: a rule in static_rules has no preference; keepalived gives it 16384, probably not what you want",
            "t.conf:13:59: error: invalid value 'x' for 'sport' in static_rules: expected PORT-PORT (keepalived takes no single port); it is ignored",
            "t.conf:13:38: warning: a tracked rule gets protocol 18 (keepalived); '4' is replaced",
            "t.conf:14:5: error: no track_group is named G; keepalived does not track this entry",
        ],
    );
    assert_eq!(
        p.diags
            .iter()
            .nth(8)
            .and_then(|d| d.help.clone())
            .as_deref(),
        Some("did you mean 'ipproto'?")
    );
    assert_eq!(p.config.vrrp.static_rules.len(), 3);
}

proptest::proptest! {
    /// Any arrangement of VRRP words decodes without a panic.
    #[test]
    fn never_panics(words in proptest::collection::vec(proptest::sample::select(vec![
        "vrrp_instance", "VI", "{", "}", "\n", "static_routes", "static_rules", "static_ipaddress", "virtual_ipaddress",
        "virtual_routes", "virtual_rules", "unicast_peer", "track_script", "vrrp_script", "vrrp_sync_group", "group",
        "bfd_instance", "track_file", "vrrp_track_process", "garp_group", "10.0.0.1", "10.0.0.0/8", "fe80::1",
        "2001:db8::/32", "default", "via", "nexthop", "dev", "eth0", "table", "from", "to", "goto", "preference", "1",
        "0", "-1", "300", "weight", "reverse", "encap", "ip", "id", "mtu", "lock", "brd", "+", "peer", "scope",
        "or", "gw", "inet6", "fwmark", "1/x", "sport", "10-20", "l3mdev", "use_vmac", "02:00:00:00:00", "use_ipvlan",
        "name", "authentication", "auth_type", "auth_pass", "auth_hmac", "key", "hex:", "priority", "state",
        "MASTER", "virtual_router_id", "advert_int", "0.015", "strict_mode", "interface", "notify", "\"a b\"",
        "min_ttl", "max_ttl", "version", "3", "garp_extra_if", "all", "process", "param_match", "init_file",
    ]), 0..80)) {
        let text = words.join(" ");
        let _ = parse(&text);
    }
}

#[test]
fn more_route_and_rule_checks() {
    let p = parse(
        "static_routes {\n    10.0.0.0/8 as to 10.1.0.0 dev eth0\n    10.0.0.0/8 via 10.0.0.1 or 10.0.0.2 or 10.0.0.3\n    10.0.0.0/8 via 10.0.0.1 or 10.0.0.2 nexthop via 10.0.0.3\n    10.0.0.0/8 11.0.0.0/8\n    10.0.0.0/8 encap bogus\n    10.0.0.0/8 expires 5\n    2001:db8::/32 pref sky\n    10.0.0.0/8 ttl-propagate maybe track_group A track_group B dev eth0\n    10.0.0.0/8 encap mpls 100 dev eth0\n}\nstatic_rules {\n    from 10.0.0.0/8 table 1 l3mdev preference 1\n    from 10.0.0.0/8 type\n    from 10.0.0.0/8 table 1 preference 2 iif eth0 track_group A track_group B\n}\nstatic_ipaddress {\n    10.0.0.1 peer 10.0.0.2 peer 10.0.0.3 dev eth0 track_group A track_group B\n}\n",
    );
    assert_diags(
        &p,
        &[
            "t.conf:2:16: error: 'as [to]' (NAT) is not supported by keepalived in static_routes; it is ignored",
            "t.conf:3:29: warning: 'or' in routes is deprecated",
            "t.conf:3:41: warning: 'or' in routes is deprecated",
            "t.conf:3:41: error: only one 'or' is allowed in a line of static_routes; this one is ignored",
            "t.conf:3:5: warning: a route without 'dev' cannot be tracked (10.0.0.0/8): it is installed, not tracked",
            "t.conf:4:29: warning: 'or' in routes is deprecated",
            "t.conf:4:41: error: 'nexthop' cannot follow 'or' in static_routes; the route is ignored",
            "t.conf:5:16: warning: a second destination in a line of static_routes; it replaces the first",
            "t.conf:5:5: warning: a route without 'dev' cannot be tracked (11.0.0.0/8): it is installed, not tracked",
            "t.conf:6:22: error: invalid value 'bogus' for 'encap' in static_routes: expected ip, ip6, mpls or ila; the route is ignored",
            "t.conf:7:16: error: 'expires' is IPv6 but this line of static_routes is IPv4; the route is ignored",
            "t.conf:8:24: error: invalid value 'sky' for 'pref' in static_routes: expected low, medium or high",
            "t.conf:9:30: error: invalid value 'maybe' for 'ttl-propagate' in static_routes: expected enabled or disabled; it is ignored",
            "t.conf:9:50: error: 'track_group' is given twice in a line of static_routes; this one is ignored",
            "t.conf:13:29: error: a rule has one action, and 'table' was already given; the rule is ignored",
            "t.conf:14:21: error: 'type' in static_rules needs a value",
            "t.conf:15:65: error: 'track_group' is given twice in a line of static_rules; this one is ignored",
            "t.conf:18:28: error: 'peer' is given twice for 10.0.0.1 in static_ipaddress; this one is ignored",
            "t.conf:18:65: error: 'track_group' is given twice for 10.0.0.1 in static_ipaddress; this one is ignored",
            "t.conf:18:5: error: no track_group is named A; keepalived does not track this entry",
            "t.conf:9:5: error: no track_group is named A; keepalived does not track this entry",
            "t.conf:15:5: error: no track_group is named A; keepalived does not track this entry",
        ],
    );
}
