//! conf-parser's virtual and real servers as the ipvs crate's services and destinations.

use conf_parser::model::lvs::{
    self as m, Granularity, IpFamily, LvsMethod, LvsPart, Scheduler, TunnelCsum, TunnelType,
};
use ipvs::{Destination, Family, Forward, Protocol, Service, ServiceFlags, ServiceKey};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Largest address range of a virtual_server_group line that is expanded.
pub const MAX_RANGE: u128 = 65_536;

pub fn scheduler_name(s: Scheduler) -> &'static str {
    match s {
        Scheduler::Rr => "rr",
        Scheduler::Wrr => "wrr",
        Scheduler::Lc => "lc",
        Scheduler::Wlc => "wlc",
        Scheduler::Lblc => "lblc",
        Scheduler::Sh => "sh",
        Scheduler::Mh => "mh",
        Scheduler::Dh => "dh",
        Scheduler::Fo => "fo",
        Scheduler::Ovf => "ovf",
        Scheduler::Lblcr => "lblcr",
        Scheduler::Sed => "sed",
        Scheduler::Nq => "nq",
        Scheduler::Twos => "twos",
    }
}

pub fn family(f: IpFamily) -> Family {
    match f {
        IpFamily::Inet => Family::Inet,
        IpFamily::Inet6 => Family::Inet6,
    }
}

pub fn protocol(p: Option<m::Protocol>) -> Protocol {
    match p {
        Some(m::Protocol::TCP) => Protocol::Tcp,
        Some(m::Protocol::SCTP) => Protocol::Sctp,
        // keepalived: "no protocol set - defaulting to UDP".
        Some(m::Protocol::UDP) | None => Protocol::Udp,
    }
}

pub fn forward(m: &LvsMethod) -> Forward {
    match *m {
        LvsMethod::NAT => Forward::Nat,
        LvsMethod::DR => Forward::DirectRoute,
        LvsMethod::TUN {
            tunnel_type,
            port,
            csum,
        } => Forward::Tunnel {
            kind: match tunnel_type {
                TunnelType::Ipip => ipvs::TunnelType::Ipip,
                TunnelType::Gue => ipvs::TunnelType::Gue,
                TunnelType::Gre => ipvs::TunnelType::Gre,
            },
            port: port.unwrap_or(0),
            csum: match csum {
                TunnelCsum::Nocsum => ipvs::TunnelCsum::NoCsum,
                TunnelCsum::Csum => ipvs::TunnelCsum::Csum,
                TunnelCsum::Remcsum => ipvs::TunnelCsum::RemCsum,
            },
        },
    }
}

/// The service settings of a virtual server, for one key.
pub fn service(vs: &m::VirtualServer, key: ServiceKey) -> Service {
    let mut s = Service::new(key).scheduler(scheduler_name(vs.lvs_sched));
    let mut f = ServiceFlags::default();
    f = f.with(
        ServiceFlags::SCHED1,
        vs.flag_1 || vs.sh_fallback || vs.mh_fallback,
    );
    f = f.with(ServiceFlags::SCHED2, vs.flag_2 || vs.sh_port || vs.mh_port);
    f = f.with(ServiceFlags::SCHED3, vs.flag_3);
    f = f.with(ServiceFlags::ONE_PACKET, vs.ops);
    s.flags = f;
    if let Some(t) = vs.persistence_timeout {
        s = s.persistent(t);
        match vs.persistence_granularity {
            Some(Granularity::Netmask(mask)) if key.family() == Family::Inet => {
                s.netmask = u32::from(mask)
            }
            Some(Granularity::PrefixLen(len)) if key.family() == Family::Inet6 => {
                s.netmask = u32::from(len)
            }
            _ => {}
        }
        s.pe_name = vs.persistence_engine.clone();
    }
    s
}

/// The services a virtual server stands for (several for a group).
pub fn keys(vs: &m::VirtualServer, lvs: &LvsPart) -> Result<Vec<ServiceKey>, String> {
    let proto = protocol(vs.protocol);
    match &vs.service {
        m::Service::Address { address, port } => Ok(vec![ServiceKey::Addr {
            protocol: proto,
            addr: *address,
            port: *port,
        }]),
        m::Service::Fwmark { fwmark } => Ok(vec![ServiceKey::Fwmark {
            family: family(vs.ip_family),
            mark: *fwmark,
        }]),
        m::Service::Group { group } => {
            let g = lvs
                .virtual_server_group
                .iter()
                .find(|g| &g.name == group)
                .ok_or_else(|| {
                    format!("virtual_server group {group}: no virtual_server_group {group}")
                })?;
            let mut out = Vec::new();
            for r in &g.addresses {
                for addr in range(r.first, r.last)? {
                    out.push(ServiceKey::Addr {
                        protocol: proto,
                        addr,
                        port: r.port.unwrap_or(0),
                    });
                }
            }
            for fw in &g.fwmark {
                let fam = fw.ip_family.map(family).unwrap_or(family(vs.ip_family));
                out.push(ServiceKey::Fwmark {
                    family: fam,
                    mark: fw.fwmark,
                });
            }
            Ok(out)
        }
    }
}

fn range(first: IpAddr, last: IpAddr) -> Result<Vec<IpAddr>, String> {
    let (a, b, v6) = match (first, last) {
        (IpAddr::V4(a), IpAddr::V4(b)) => {
            (u128::from(u32::from(a)), u128::from(u32::from(b)), false)
        }
        (IpAddr::V6(a), IpAddr::V6(b)) => (u128::from(a), u128::from(b), true),
        _ => return Err(format!("address range {first}-{last} mixes families")),
    };
    if b < a {
        return Err(format!("address range {first}-{last} is empty"));
    }
    if b - a >= MAX_RANGE {
        return Err(format!(
            "address range {first}-{last} has more than {MAX_RANGE} addresses"
        ));
    }
    Ok((a..=b)
        .map(|n| {
            if v6 {
                IpAddr::V6(Ipv6Addr::from(n))
            } else {
                IpAddr::V4(Ipv4Addr::from(n as u32))
            }
        })
        .collect())
}

/// A real server's destination, with its configured weight.
pub fn destination(rs: &m::RealServer) -> Destination {
    Destination {
        addr: rs.address,
        port: rs.port,
        forward: forward(&rs.lvs_method),
        weight: rs.weight,
        u_threshold: rs.uthreshold.unwrap_or(0),
        l_threshold: rs.lthreshold.unwrap_or(0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> conf_parser::Config {
        let p = conf_parser::parse_str("t.conf", text, &conf_parser::Options::default());
        assert!(p.is_ok(), "{}", p.render_diagnostics());
        p.config
    }

    #[test]
    fn every_kind_of_virtual_server() {
        let c = parse(
            r#"
virtual_server_group G {
    192.0.2.10-12 80
    fwmark 9
}
virtual_server 192.0.2.1 80 {
    lvs_sched sh
    sh-port
    protocol TCP
    persistence_timeout 600
    persistence_granularity 255.255.255.0
    real_server 10.0.0.1 8080 {
        weight 3
        uthreshold 100
        lthreshold 10
    }
    real_server 10.0.0.2 8080 {
        lvs_method TUN type gue port 6080 csum
    }
}
virtual_server fwmark 5 {
    lvs_sched rr
    lvs_method DR
    real_server 10.0.0.3 0 { }
}
virtual_server group G {
    lvs_sched wrr
    protocol TCP
    real_server 10.0.0.4 80 { }
}
virtual_server 2001:db8::1 53 {
    ops
    real_server 2001:db8::2 53 { }
}
"#,
        );
        let d = super::super::desired::all_healthy(&super::super::plan(&c, false).unwrap());
        let keys: Vec<String> = d
            .services
            .iter()
            .map(|s| s.service.key.to_string())
            .collect();
        assert_eq!(
            keys,
            [
                "TCP 192.0.2.1:80",
                "FWM 5",
                "TCP 192.0.2.10:80",
                "TCP 192.0.2.11:80",
                "TCP 192.0.2.12:80",
                "FWM 9",
                "UDP [2001:db8::1]:53"
            ]
        );
        let sh = &d.services[0];
        assert_eq!(sh.service.scheduler, "sh");
        assert!(sh
            .service
            .flags
            .has(ServiceFlags::SH_PORT | ServiceFlags::PERSISTENT));
        assert_eq!((sh.service.timeout, sh.service.netmask), (600, 0xffff_ff00));
        assert_eq!(sh.dests[0].weight, 3);
        assert_eq!(
            (sh.dests[0].u_threshold, sh.dests[0].l_threshold),
            (100, 10)
        );
        assert_eq!(
            sh.dests[1].forward,
            Forward::Tunnel {
                kind: ipvs::TunnelType::Gue,
                port: 6080,
                csum: ipvs::TunnelCsum::Csum
            }
        );
        assert_eq!(d.services[1].dests[0].forward, Forward::DirectRoute);
        assert!(d.services[6].service.flags.has(ServiceFlags::ONE_PACKET));
        assert_eq!(d.services[6].service.netmask, 128);
    }

    #[test]
    fn huge_group_range_is_an_error() {
        assert!(range(
            "10.0.0.0".parse().unwrap(),
            "10.255.255.255".parse().unwrap()
        )
        .is_err());
        assert!(range("10.0.0.2".parse().unwrap(), "10.0.0.1".parse().unwrap()).is_err());
    }
}
