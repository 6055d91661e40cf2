//! An address as keepalived 2.2.7 writes it in its data dump and in its logs (`Restoring
//! deleted static address ...`): measured, one word order for VIPs and static addresses.

use super::kernel::broadcast;
use super::plan::Vip;

/// `10.0.0.1/24 brd 10.0.0.255 dev eth0 scope global peer P/32 label eth0:1 home mngtmpaddr
/// noprefixroute no_track preferred_lft forever set`: the options written (a host address
/// without its length; an IPv6 one with its lifetime: `preferred_lft forever`,
/// `preferred_lft 30`, `deprecated`), `set` while it is installed.
pub fn address_line(v: &Vip, installed: bool) -> String {
    let scope = match v.scope {
        None | Some(0) => "global".to_string(),
        Some(200) => "site".into(),
        Some(253) => "link".into(),
        Some(254) => "host".into(),
        Some(255) => "nowhere".into(),
        Some(n) => n.to_string(),
    };
    // keepalived writes a host address (/32, /128) without its length (measured).
    let host = v.prefix_len == if v.addr.is_ipv6() { 128 } else { 32 };
    let mut s = if host {
        v.addr.to_string()
    } else {
        format!("{}/{}", v.addr, v.prefix_len)
    };
    if let Some(b) = broadcast(v) {
        s.push_str(&format!(" brd {b}"));
    }
    s.push_str(&format!(" dev {} scope {scope}", v.dev));
    if let Some(p) = v.peer {
        s.push_str(&format!(" peer {p}/{}", v.prefix_len));
    }
    if let Some(l) = &v.label {
        s.push_str(&format!(" label {l}"));
    }
    for (on, word) in [
        (v.home, "home"),
        (v.mngtmpaddr, "mngtmpaddr"),
        (v.noprefixroute, "noprefixroute"),
        (v.no_track, "no_track"),
    ] {
        if on {
            s.push(' ');
            s.push_str(word);
        }
    }
    if v.addr.is_ipv6() {
        match v.preferred_lft {
            None => s.push_str(" preferred_lft forever"),
            Some(0) => s.push_str(" deprecated"),
            Some(n) => s.push_str(&format!(" preferred_lft {n}")),
        }
    }
    if installed {
        s.push_str(" set");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use conf_parser::model::vrrp::Broadcast;

    fn vip(addr: &str, prefix_len: u8, preferred_lft: Option<u32>) -> Vip {
        Vip {
            preferred_lft,
            ..Vip::plain(addr.parse().unwrap(), prefix_len, "eth0")
        }
    }

    /// keepalived 2.2.7's data dump lines (measured): a host address without its length, an
    /// IPv6 address with its lifetime, the options in its order.
    #[test]
    fn address_lines_are_keepalived_s() {
        let mut with_options = vip("10.9.0.210", 24, None);
        with_options.brd = Some(Broadcast::SetHostBits);
        with_options.label = Some("eth0:a".into());
        with_options.noprefixroute = true;
        with_options.no_track = true;
        let mut v6_options = vip("2001:db8::210", 64, Some(30));
        v6_options.noprefixroute = true;
        v6_options.no_track = true;
        let mut v6_flags = vip("2001:db8::211", 64, None);
        v6_flags.home = true;
        v6_flags.mngtmpaddr = true;
        let mut peer = vip("10.9.0.203", 32, None);
        peer.peer = Some("10.9.0.250".parse().unwrap());
        let mut scoped = vip("10.9.0.211", 24, None);
        scoped.brd = Some(Broadcast::ClearHostBits);
        scoped.scope = Some(100);
        scoped.label = Some("eth0:b".into());
        for (v, installed, want) in [
            (
                vip("10.0.0.1", 24, None),
                true,
                "10.0.0.1/24 dev eth0 scope global set",
            ),
            (
                vip("10.0.0.1", 32, None),
                true,
                "10.0.0.1 dev eth0 scope global set",
            ),
            (
                vip("fd09::100", 64, None),
                true,
                "fd09::100/64 dev eth0 scope global preferred_lft forever set",
            ),
            (
                vip("fd09::101", 128, Some(0)),
                true,
                "fd09::101 dev eth0 scope global deprecated set",
            ),
            (
                vip("fd09::103", 64, Some(30)),
                true,
                "fd09::103/64 dev eth0 scope global preferred_lft 30 set",
            ),
            (
                with_options,
                true,
                "10.9.0.210/24 brd 10.9.0.255 dev eth0 scope global label eth0:a noprefixroute no_track set",
            ),
            (
                scoped,
                false,
                "10.9.0.211/24 brd 10.9.0.0 dev eth0 scope 100 label eth0:b",
            ),
            (
                v6_options,
                true,
                "2001:db8::210/64 dev eth0 scope global noprefixroute no_track preferred_lft 30 set",
            ),
            (
                v6_flags,
                true,
                "2001:db8::211/64 dev eth0 scope global home mngtmpaddr preferred_lft forever set",
            ),
            (
                peer,
                true,
                "10.9.0.203 dev eth0 scope global peer 10.9.0.250/32 set",
            ),
        ] {
            assert_eq!(address_line(&v, installed), want);
        }
    }
}
