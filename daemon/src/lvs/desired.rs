//! The health of the real servers (the effects pool) as the IPVS state to reach: each virtual
//! server's services with the destinations the pool wants, and the whole table.

use ::checkers::effects::{DesiredDest, Pool};
use ipvs::{Desired, Destination, Forward, ServiceKey, ServiceState};

use super::{LvsPlan, VsPlan};

/// One virtual server's IPVS services (several for a group) with the destinations `want`
/// (the pool's wish for it).
pub fn vs_services(v: &VsPlan, want: &[DesiredDest]) -> Vec<ServiceState> {
    let dests: Vec<Destination> = want
        .iter()
        .filter_map(|d| {
            let template = if d.sorry {
                v.sorry?.dest
            } else {
                v.real_servers.get(d.rs)?.dest
            };
            Some(Destination {
                weight: d.weight,
                ..template
            })
        })
        .collect();
    v.services
        .iter()
        .map(|s| {
            // A firewall-mark service: only NAT can change the port.
            let dests = match s.key {
                ServiceKey::Fwmark { .. } => dests
                    .iter()
                    .map(|d| match d.forward {
                        Forward::Nat => *d,
                        _ => Destination { port: 0, ..*d },
                    })
                    .collect(),
                ServiceKey::Addr { .. } => dests.clone(),
            };
            ServiceState {
                service: s.clone(),
                dests,
            }
        })
        .collect()
}

/// The whole IPVS state the pool wants (by the plan's virtual servers, in order).
pub fn desired(plan: &LvsPlan, pool: &Pool) -> Desired {
    let mut out = Desired::default();
    for (i, v) in plan.virtual_servers.iter().enumerate() {
        out.services
            .extend(vs_services(v, &pool.desired_of(i).unwrap_or_default()));
    }
    out
}

/// The IPVS state with every real server up (alpha or not): `keepalived-rs ipvs sync`.
pub fn all_healthy(plan: &LvsPlan) -> Desired {
    // No checker ids: every real server is up.
    let pool = Pool::new(
        plan.virtual_servers
            .iter()
            .map(|v| v.pool_config(&[]))
            .collect(),
    );
    desired(plan, &pool)
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
    fn fwmark_group_member_drops_the_port_for_dr() {
        let c = parse(
            r#"
virtual_server_group G {
    192.0.2.10 80
    fwmark 9
}
virtual_server group G {
    lb_kind DR
    protocol TCP
    real_server 192.0.2.141 80 { }
}
"#,
        );
        let p = super::super::plan(&c, false).unwrap();
        let d = all_healthy(&p);
        let ports: Vec<(String, u16)> = d
            .services
            .iter()
            .map(|s| (s.service.key.to_string(), s.dests[0].port))
            .collect();
        assert_eq!(
            ports,
            [("TCP 192.0.2.10:80".into(), 80), ("FWM 9".into(), 0)]
        );
    }
}
