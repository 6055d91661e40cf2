//! The LVS side's plan, pure: config -> the checkers to run and the effects pool
//! (`checkers_config`), each virtual server's IPVS services and destination templates (`lvs`),
//! its notify scripts, and the start/stop policies; then the pool's desired destinations ->
//! `ipvs::Desired`.

use checkers::effects::{DesiredDest, Notify};
use conf_parser::model::global::LvsFlushOnStop;
use conf_parser::model::ScriptCommand;
use conf_parser::Config;
use ipvs::{Desired, Destination, Forward, Service, ServiceKey, ServiceState, StopPolicy};

use crate::checkers_config::{self, CheckerPlan};
use crate::lvs;

/// One virtual server: what it is in the kernel and what to run on its events.
#[derive(Debug, Clone)]
pub struct VsPlan {
    /// For log lines: `192.168.55.150:80`, `fwmark 5`, `group G`.
    pub name: String,
    /// One service per key (several for a group).
    pub services: Vec<Service>,
    /// Per real server (configuration order): its destination with its configured weight.
    pub dests: Vec<Destination>,
    pub sorry: Option<Destination>,
    /// Per real server.
    pub notify_up: Vec<Option<Vec<String>>>,
    pub notify_down: Vec<Option<Vec<String>>>,
    pub quorum_up: Option<Vec<String>>,
    pub quorum_down: Option<Vec<String>>,
}

pub struct LvsPlan {
    pub vs: Vec<VsPlan>,
    pub checkers: CheckerPlan,
    /// global_defs lvs_flush: flush the whole table before the first programming.
    pub flush: bool,
    pub stop: StopPolicy,
    /// global_defs net_namespace_ipvs: the network namespace IPVS is programmed in ("" the
    /// default one); the checkers run in the daemon's.
    pub ipvs_namespace: Option<String>,
}

fn script(s: &Option<ScriptCommand>) -> Option<Vec<String>> {
    s.as_ref()
        .filter(|c| !c.command.is_empty())
        .map(|c| c.command.clone())
}

/// keepalived's stop behaviour: `-I` keeps everything; `lvs_flush_on_stop` flushes the whole
/// table; otherwise (and with `lvs_flush_on_stop VS`) our own virtual servers are removed.
pub fn stop_policy(flush_on_stop: LvsFlushOnStop, dont_release_ipvs: bool) -> StopPolicy {
    if dont_release_ipvs {
        return StopPolicy::Keep;
    }
    match flush_on_stop {
        LvsFlushOnStop::Full => StopPolicy::FlushAll,
        LvsFlushOnStop::Off | LvsFlushOnStop::Vs => StopPolicy::RemoveOwned,
    }
}

pub fn plan(config: &Config, dont_release_ipvs: bool) -> Result<LvsPlan, String> {
    let lvs_part = &config.lvs;
    let mut vs_plans = Vec::with_capacity(lvs_part.virtual_server.len());
    for vs in &lvs_part.virtual_server {
        let services = lvs::keys(vs, lvs_part)?
            .into_iter()
            .map(|k| lvs::service(vs, k))
            .collect();
        let dests = vs
            .real_server
            .iter()
            .map(|rs| lvs::real_server(rs, true).dest)
            .collect();
        let sorry = vs.sorry_server.as_ref().map(|s| {
            let method = vs.sorry_server_lvs_method.unwrap_or(vs.lvs_method);
            Destination::new(s.address, s.port, lvs::forward(&method), 1)
        });
        vs_plans.push(VsPlan {
            name: vs.service.to_string(),
            services,
            dests,
            sorry,
            notify_up: vs
                .real_server
                .iter()
                .map(|r| script(&r.notify_up))
                .collect(),
            notify_down: vs
                .real_server
                .iter()
                .map(|r| script(&r.notify_down))
                .collect(),
            quorum_up: script(&vs.quorum_up),
            quorum_down: script(&vs.quorum_down),
        });
    }
    let g = &config.global.global_defs;
    Ok(LvsPlan {
        vs: vs_plans,
        checkers: checkers_config::plan(config),
        flush: g.lvs_flush,
        stop: stop_policy(g.lvs_flush_on_stop, dont_release_ipvs),
        ipvs_namespace: config.global.net_namespace_ipvs.clone(),
    })
}

/// The pool's desired destinations (by virtual server index) as the IPVS state to reach.
pub fn desired(vs: &[VsPlan], pool: &[Vec<DesiredDest>]) -> Desired {
    let mut out = Desired::default();
    for (v, want) in vs.iter().zip(pool) {
        out.services.extend(vs_services(v, want));
    }
    out
}

/// One virtual server's IPVS services (several for a group) with the destinations the pool
/// wants for it: [`desired`]'s part for this virtual server, computed alone.
pub fn vs_services(v: &VsPlan, want: &[DesiredDest]) -> Vec<ServiceState> {
    let dests: Vec<Destination> = want
        .iter()
        .filter_map(|d| {
            let template = if d.sorry {
                v.sorry?
            } else {
                *v.dests.get(d.rs)?
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

/// A log line for a notification, and the script to run for it (if configured).
pub fn notification(vs: &[VsPlan], n: Notify) -> (String, Option<Vec<String>>) {
    let dest_name = |v: &VsPlan, rs: usize| {
        v.dests
            .get(rs)
            .map(|d| d.key().to_string())
            .unwrap_or_else(|| format!("#{rs}"))
    };
    match n {
        Notify::RealServerUp { vs: i, rs } => match vs.get(i) {
            Some(v) => (
                format!(
                    "real server {} of virtual server {} is up",
                    dest_name(v, rs),
                    v.name
                ),
                v.notify_up.get(rs).cloned().flatten(),
            ),
            None => (format!("{n:?}"), None),
        },
        Notify::RealServerDown { vs: i, rs } => match vs.get(i) {
            Some(v) => (
                format!(
                    "real server {} of virtual server {} is down",
                    dest_name(v, rs),
                    v.name
                ),
                v.notify_down.get(rs).cloned().flatten(),
            ),
            None => (format!("{n:?}"), None),
        },
        Notify::QuorumUp { vs: i } => match vs.get(i) {
            Some(v) => (
                format!("virtual server {}: quorum gained", v.name),
                v.quorum_up.clone(),
            ),
            None => (format!("{n:?}"), None),
        },
        Notify::QuorumDown { vs: i } => match vs.get(i) {
            Some(v) => (
                format!("virtual server {}: quorum lost", v.name),
                v.quorum_down.clone(),
            ),
            None => (format!("{n:?}"), None),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use checkers::effects::Pool;
    use checkers::{CheckEvent, CheckerId, EventKind};

    fn parse(text: &str) -> Config {
        let p = conf_parser::parse_str("t.conf", text, &conf_parser::Options::default());
        assert!(p.is_ok(), "{}", p.render_diagnostics());
        p.config
    }

    const CONF: &str = r#"
global_defs {
    lvs_flush
    lvs_flush_on_stop
}
virtual_server 192.0.2.150 80 {
    delay_loop 2
    lb_algo rr
    lb_kind DR
    persistence_timeout 10
    protocol TCP
    quorum 2
    quorum_up "/bin/echo up"
    quorum_down "/bin/echo down"
    sorry_server 192.0.2.200 8080
    real_server 192.0.2.141 80 {
        weight 1
        notify_up "/bin/echo rs1 up"
        notify_down "/bin/echo rs1 down"
        TCP_CHECK {
            connect_timeout 1
        }
    }
    real_server 192.0.2.142 80 {
        weight 1
        inhibit_on_failure
        TCP_CHECK {
            connect_timeout 1
        }
    }
}
"#;

    fn down(vs: usize, rs: usize) -> CheckEvent {
        CheckEvent {
            id: CheckerId { vs, rs, check: 0 },
            kind: EventKind::Down,
            reason: "refused".into(),
        }
    }

    fn dests(d: &Desired) -> Vec<(String, u32, Forward)> {
        d.services[0]
            .dests
            .iter()
            .map(|d| (d.key().to_string(), d.weight, d.forward))
            .collect()
    }

    #[test]
    fn pool_state_becomes_the_ipvs_state() {
        let c = parse(CONF);
        let p = plan(&c, false).unwrap();
        assert!(p.flush);
        assert_eq!(p.stop, StopPolicy::FlushAll);
        assert_eq!(p.checkers.checkers.len(), 2);
        let mut pool = Pool::new(p.checkers.pool.clone());
        let d = desired(&p.vs, &pool.desired());
        assert_eq!(d.services.len(), 1);
        let s = &d.services[0].service;
        assert_eq!(s.key.to_string(), "TCP 192.0.2.150:80");
        assert_eq!((s.scheduler.as_str(), s.timeout), ("rr", 10));
        assert_eq!(
            dests(&d),
            [
                ("192.0.2.141:80".into(), 1, Forward::DirectRoute),
                ("192.0.2.142:80".into(), 1, Forward::DirectRoute)
            ]
        );
        // The first goes down: removed; quorum 2 is lost, so the sorry server replaces them
        // (the inhibit_on_failure one stays with weight 0).
        let n = pool.apply(&down(0, 0)).unwrap();
        let d = desired(&p.vs, &pool.desired());
        assert_eq!(
            dests(&d),
            [
                ("192.0.2.142:80".into(), 0, Forward::DirectRoute),
                // DR cannot change the port: the parser gives the sorry server the service's.
                ("192.0.2.200:80".into(), 1, Forward::DirectRoute)
            ]
        );
        let lines: Vec<_> = n.iter().map(|&n| notification(&p.vs, n)).collect();
        assert_eq!(
            lines,
            [
                (
                    "real server 192.0.2.141:80 of virtual server 192.0.2.150:80 is down".into(),
                    Some(vec!["/bin/echo".into(), "rs1".into(), "down".into()])
                ),
                (
                    "virtual server 192.0.2.150:80: quorum lost".into(),
                    Some(vec!["/bin/echo".into(), "down".into()])
                )
            ]
        );
    }

    #[test]
    fn stop_policies() {
        assert_eq!(
            stop_policy(LvsFlushOnStop::Off, false),
            StopPolicy::RemoveOwned
        );
        assert_eq!(
            stop_policy(LvsFlushOnStop::Vs, false),
            StopPolicy::RemoveOwned
        );
        assert_eq!(
            stop_policy(LvsFlushOnStop::Full, false),
            StopPolicy::FlushAll
        );
        assert_eq!(stop_policy(LvsFlushOnStop::Full, true), StopPolicy::Keep);
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
        let p = plan(&c, false).unwrap();
        let pool = Pool::new(p.checkers.pool.clone());
        let d = desired(&p.vs, &pool.desired());
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
