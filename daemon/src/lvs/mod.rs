//! The configuration's virtual servers as the LVS side runs them: the one translation of
//! conf-parser's `config.lvs` (and the global_defs it needs) that the daemon uses at start and
//! on reload, and `keepalived-rs ipvs sync` once. Pure: no sockets, no kernel.
//!
//! - [`service`]: the model's virtual and real servers as IPVS services and destinations;
//! - [`checkers`]: each checker as a probe and its timing;
//! - [`desired`]: the health of the real servers (the effects pool) as the IPVS state to reach.
//!
//! Everything is keyed as keepalived identifies it, so that a reload can tell what stayed: a
//! virtual server by [`VsKey`] (address, port and protocol; firewall mark and family; group
//! name and protocol), a real server by address and port, a checker by its position among its
//! real server's checkers and its settings.

pub mod checkers;
pub mod desired;
pub mod service;

use std::fmt;
use std::net::IpAddr;

use crate::script_user::ScriptUsers;
use ::checkers::effects::{
    CheckerConfig, Notify, RealServerConfig, SorryServerConfig, VirtualServerConfig,
};
use ::checkers::ssl::SslContext;
use ::checkers::CheckerId;
use conf_parser::model::global::LvsFlushOnStop;
use conf_parser::model::lvs as m;
use conf_parser::model::ScriptCommand;
use conf_parser::Config;
use ipvs::{DestKey, Destination, Family, Protocol, Service, StopPolicy, Timeouts};

use crate::notifier::Event;

pub use self::checkers::PlannedChecker;

/// A script to run: the program and its arguments.
pub use crate::script_user::Script;

/// Which virtual server, across reloads: what keepalived identifies one by.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum VsKey {
    Addr {
        addr: IpAddr,
        port: u16,
        protocol: Protocol,
    },
    Fwmark {
        mark: u32,
        family: Family,
    },
    Group {
        name: String,
        protocol: Protocol,
    },
}

impl fmt::Display for VsKey {
    /// keepalived's way of naming a virtual server in its logs: `[192.0.2.1]:tcp:80`,
    /// `FWM 5`, `[GROUP]:0` (its group format).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VsKey::Addr {
                addr,
                port,
                protocol,
            } => write!(f, "[{addr}]:{}:{port}", protocol.name().to_lowercase()),
            VsKey::Fwmark { mark, .. } => write!(f, "FWM {mark}"),
            VsKey::Group { name, .. } => write!(f, "[{name}]:0"),
        }
    }
}

/// One real server.
#[derive(Debug, Clone)]
pub struct RealServerPlan {
    /// Its destination with its configured weight; its key (address and port) identifies it.
    pub dest: Destination,
    pub inhibit_on_failure: bool,
    /// Boxed: most real servers have none, and 10,000 of them are held for the run (32 bytes
    /// each in place).
    pub notify_up: Option<Box<Script>>,
    pub notify_down: Option<Box<Script>>,
    /// `smtp_alert` (resolved; on unless something says otherwise, as in keepalived): its
    /// checkers' changes are mailed.
    pub smtp_alert: bool,
    /// The checkers run for it, in configuration order (those that cannot run are in
    /// [`LvsPlan::skipped`]).
    pub checkers: Vec<PlannedChecker>,
}

impl RealServerPlan {
    pub fn key(&self) -> DestKey {
        self.dest.key()
    }
}

/// The sorry server of a virtual server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SorryPlan {
    pub dest: Destination,
    /// `sorry_server_inhibit`: kept with weight 0 while not in use.
    pub inhibit: bool,
}

/// One virtual server: what it is in the kernel, its real servers, its quorum rules.
#[derive(Debug, Clone)]
pub struct VsPlan {
    pub key: VsKey,
    /// One service per key (several for a group).
    pub services: Vec<Service>,
    pub real_servers: Vec<RealServerPlan>,
    pub sorry: Option<SorryPlan>,
    pub quorum: u32,
    pub hysteresis: u32,
    pub omega: bool,
    pub quorum_up: Option<Script>,
    pub quorum_down: Option<Script>,
    /// `smtp_alert` (resolved, off unless something says otherwise): quorum changes are mailed.
    pub smtp_alert: bool,
    /// `ha_suspend`: its checkers make no check while its address is not on this node
    /// (`lvsd::suspend`). Never set for a firewall mark (the parser clears it, as keepalived).
    pub ha_suspend: bool,
}

impl VsPlan {
    /// keepalived's name for one of its real servers in log lines, notify FIFO lines and mails: `[10.0.0.2]:tcp:80`
    /// (`none` and the kernel's port for a firewall-mark service).
    pub fn rs_name(&self, r: &RealServerPlan) -> String {
        let (proto, port) = match &self.key {
            VsKey::Addr { protocol, .. } | VsKey::Group { protocol, .. } => {
                (protocol.name().to_lowercase(), r.dest.port)
            }
            VsKey::Fwmark { .. } => (
                "none".to_string(),
                if r.dest.forward == ipvs::Forward::Nat {
                    r.dest.port
                } else {
                    0
                },
            ),
        };
        format!("[{}]:{proto}:{port}", r.dest.addr)
    }

    /// The effects pool's configuration of this virtual server, with the checkers' ids
    /// (`ids[rs][check]`; the runtime gives them). A real server without ids gets no
    /// checkers: it is always up.
    pub fn pool_config(&self, ids: &[Vec<CheckerId>]) -> VirtualServerConfig {
        VirtualServerConfig {
            key: self.key.to_string(),
            quorum: self.quorum,
            hysteresis: self.hysteresis,
            omega: self.omega,
            sorry_server: self.sorry.map(|s| SorryServerConfig {
                address: s.dest.addr,
                port: s.dest.port,
                inhibit: s.inhibit,
            }),
            real_servers: self
                .real_servers
                .iter()
                .enumerate()
                .map(|(i, r)| (r, ids.get(i).map_or(&[][..], Vec::as_slice)))
                .map(|(r, ids)| RealServerConfig {
                    address: r.dest.addr,
                    port: r.dest.port,
                    weight: r.dest.weight,
                    inhibit_on_failure: r.inhibit_on_failure,
                    checkers: r
                        .checkers
                        .iter()
                        .zip(ids)
                        .map(|(c, &id)| CheckerConfig {
                            id,
                            alpha: c.timing.alpha,
                        })
                        .collect(),
                })
                .collect(),
        }
    }
}

/// The LVS side of a configuration.
#[derive(Debug, Clone)]
pub struct LvsPlan {
    pub virtual_servers: Vec<VsPlan>,
    /// One line per checker left out: where it is and why.
    pub skipped: Vec<String>,
    /// The `SSL { }` block (empty: keepalived's generated context), for SSL_GET.
    pub ssl: SslContext,
    /// global_defs `lvs_flush`: flush the whole table before the first programming.
    pub flush: bool,
    pub stop: StopPolicy,
    /// global_defs `lvs_timeouts` (0: leave the kernel's).
    pub timeouts: Option<Timeouts>,
    /// global_defs `net_namespace_ipvs`: the network namespace IPVS is programmed in (""
    /// the default one); the checkers run in the daemon's.
    pub ipvs_namespace: Option<String>,
    /// global_defs `no_checker_emails`: a checker's change is mailed only when it changes its
    /// real server's state.
    pub no_checker_emails: bool,
    /// global_defs `rs_init_notifies`: at start, each real server that starts up is told (its
    /// notify_up, its FIFO line) before its virtual server's quorum.
    pub rs_init_notifies: bool,
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

/// The key of a virtual server of the model.
fn vs_key(vs: &m::VirtualServer) -> VsKey {
    match &vs.service {
        m::Service::Address { address, port } => VsKey::Addr {
            addr: *address,
            port: *port,
            protocol: service::protocol(vs.protocol),
        },
        m::Service::Fwmark { fwmark } => VsKey::Fwmark {
            mark: *fwmark,
            family: service::family(vs.ip_family),
        },
        m::Service::Group { group } => VsKey::Group {
            name: group.clone(),
            protocol: service::protocol(vs.protocol),
        },
    }
}

/// `lvs_timeouts` as the kernel takes them (0 leaves a value as it is).
fn timeouts(t: &conf_parser::model::global::LvsTimeouts) -> Timeouts {
    let secs =
        |t: Option<conf_parser::model::Timer>| t.map_or(0, |t| t.as_secs_f64().round() as u32);
    Timeouts {
        tcp: secs(t.tcp),
        tcp_fin: secs(t.tcpfin),
        udp: secs(t.udp),
    }
}

pub fn plan(config: &Config, dont_release_ipvs: bool) -> Result<LvsPlan, String> {
    let lvs = &config.lvs;
    let users = ScriptUsers::system(&config.global.global_defs);
    let mut skipped = Vec::new();
    let mut unsupported = Vec::new();
    let mut virtual_servers = Vec::with_capacity(lvs.virtual_server.len());
    let mut last_timing = None;
    for vs in &lvs.virtual_server {
        let services = service::keys(vs, lvs)?
            .into_iter()
            .map(|k| service::service(vs, k))
            .collect();
        let script = |keyword: &str, c: &Option<ScriptCommand>, skipped: &mut Vec<String>| {
            users.script_or_skip(keyword, c, skipped)
        };
        let real_servers = vs
            .real_server
            .iter()
            .map(|rs| RealServerPlan {
                dest: service::destination(rs),
                inhibit_on_failure: rs.inhibit_on_failure,
                notify_up: script("notify_up", &rs.notify_up, &mut skipped).map(Box::new),
                notify_down: script("notify_down", &rs.notify_down, &mut skipped).map(Box::new),
                smtp_alert: rs.smtp_alert.unwrap_or(true),
                checkers: checkers::plan_real_server(
                    vs,
                    rs,
                    config,
                    &mut last_timing,
                    &mut skipped,
                    &mut unsupported,
                ),
            })
            .collect();
        let sorry = vs.sorry_server.as_ref().map(|s| {
            let method = vs.sorry_server_lvs_method.unwrap_or(vs.lvs_method);
            SorryPlan {
                dest: Destination::new(s.address, s.port, service::forward(&method), 1),
                inhibit: vs.sorry_server_inhibit,
            }
        });
        virtual_servers.push(VsPlan {
            key: vs_key(vs),
            services,
            real_servers,
            sorry,
            quorum: vs.quorum,
            hysteresis: vs.hysteresis,
            omega: vs.omega,
            quorum_up: script("quorum_up", &vs.quorum_up, &mut skipped),
            quorum_down: script("quorum_down", &vs.quorum_down, &mut skipped),
            smtp_alert: vs.smtp_alert.unwrap_or(false),
            ha_suspend: vs.ha_suspend,
        });
    }
    if !unsupported.is_empty() {
        // One line each (the callers print them so).
        return Err(unsupported.join("\n"));
    }
    let g = &config.global.global_defs;
    Ok(LvsPlan {
        virtual_servers,
        skipped,
        ssl: checkers::ssl_context(lvs),
        flush: g.lvs_flush,
        stop: stop_policy(g.lvs_flush_on_stop, dont_release_ipvs),
        timeouts: g.lvs_timeouts.as_ref().map(timeouts),
        ipvs_namespace: config.global.net_namespace_ipvs.clone(),
        no_checker_emails: g.no_checker_emails,
        rs_init_notifies: g.rs_init_notifies,
    })
}

impl LvsPlan {
    /// No virtual servers (a configuration without any).
    pub fn empty() -> LvsPlan {
        LvsPlan {
            virtual_servers: Vec::new(),
            skipped: Vec::new(),
            ssl: SslContext::default(),
            flush: false,
            stop: StopPolicy::RemoveOwned,
            timeouts: None,
            ipvs_namespace: None,
            no_checker_emails: false,
            rs_init_notifies: false,
        }
    }

    /// A log line for a pool notification (indexes of this plan), in keepalived's words, the
    /// script to run for it, if one is configured, and its notify FIFO line's event. `figures`
    /// are the virtual server's quorum figures (`Pool::quorum_figures`), for the quorum lines.
    pub fn notification(
        &self,
        n: Notify,
        figures: Option<(u64, u64, u64)>,
    ) -> (String, Option<Script>, Option<Event>) {
        let rs_line = |vs: usize, rs: usize, up: bool| {
            let v = self.virtual_servers.get(vs)?;
            let r = v.real_servers.get(rs)?;
            let event = Some(Event::RealServer {
                name: v.rs_name(r),
                vs: v.key.to_string(),
                up,
            });
            Some(if up {
                (
                    format!("Adding service {} to VS {}", v.rs_name(r), v.key),
                    r.notify_up.as_deref().cloned(),
                    event,
                )
            } else {
                (
                    format!("Removing service {} from VS {}", v.rs_name(r), v.key),
                    r.notify_down.as_deref().cloned(),
                    event,
                )
            })
        };
        let vs_line = |vs: usize, up: bool| {
            let v = self.virtual_servers.get(vs)?;
            let (sum, quorum, h) =
                figures.unwrap_or((0, u64::from(v.quorum), u64::from(v.hysteresis)));
            let event = Some(Event::VirtualServer {
                name: v.key.to_string(),
                up,
            });
            Some(if up {
                (
                    format!(
                        "Gained quorum {quorum}+{h}={} <= {sum} for VS {}",
                        quorum + h,
                        v.key
                    ),
                    v.quorum_up.clone(),
                    event,
                )
            } else {
                (
                    format!(
                        "Lost quorum {quorum}-{h}={} > {sum} for VS {}",
                        quorum.saturating_sub(h),
                        v.key
                    ),
                    v.quorum_down.clone(),
                    event,
                )
            })
        };
        let line = match n {
            Notify::RealServerUp { vs, rs } => rs_line(vs, rs, true),
            Notify::RealServerDown { vs, rs } => rs_line(vs, rs, false),
            // Not in the table: keepalived logs no "Removing service" for it.
            Notify::RealServerStartsDown { vs, rs } => rs_line(vs, rs, false).map(|(_, s, e)| {
                let v = &self.virtual_servers[vs];
                (
                    format!(
                        "Service {} of VS {} is down from the start (alpha): its first check failed",
                        v.rs_name(&v.real_servers[rs]),
                        v.key
                    ),
                    s,
                    e,
                )
            }),
            Notify::QuorumUp { vs } => vs_line(vs, true),
            Notify::QuorumDown { vs } => vs_line(vs, false),
        };
        line.unwrap_or_else(|| (format!("{n:?}"), None, None))
    }

    /// How many checkers the plan runs.
    pub fn checker_count(&self) -> usize {
        self.virtual_servers
            .iter()
            .flat_map(|v| &v.real_servers)
            .map(|r| r.checkers.len())
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::desired::{all_healthy, desired};
    use super::*;
    use ::checkers::effects::Pool;
    use ::checkers::{CheckEvent, EventKind};
    use ipvs::{Desired, Forward};

    fn parse(text: &str) -> Config {
        let p = conf_parser::parse_str("t.conf", text, &conf_parser::Options::default());
        assert!(p.is_ok(), "{}", p.render_diagnostics());
        p.config
    }

    /// A pool for the plan with checker ids by position: (vs, rs, check) -> vs*10000 + rs*16 + check.
    pub(crate) fn pool_of(p: &LvsPlan) -> Pool {
        Pool::new(
            p.virtual_servers
                .iter()
                .enumerate()
                .map(|(vi, v)| {
                    let ids: Vec<Vec<CheckerId>> = v
                        .real_servers
                        .iter()
                        .enumerate()
                        .map(|(ri, r)| {
                            (0..r.checkers.len())
                                .map(|c| CheckerId((vi * 10_000 + ri * 16 + c) as u64))
                                .collect()
                        })
                        .collect();
                    v.pool_config(&ids)
                })
                .collect(),
        )
    }

    const CONF: &str = r#"
global_defs {
    lvs_flush
    lvs_flush_on_stop
    lvs_timeouts tcp 900 udp 30
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

    fn down(id: u64) -> CheckEvent {
        CheckEvent {
            id: CheckerId(id),
            kind: EventKind::Down,
            reason: "refused".into(),
            first: false,
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
        assert_eq!(
            p.timeouts,
            Some(Timeouts {
                tcp: 900,
                tcp_fin: 0,
                udp: 30
            })
        );
        assert_eq!(p.checker_count(), 2);
        assert_eq!(p.virtual_servers[0].key.to_string(), "[192.0.2.150]:tcp:80");
        let mut pool = pool_of(&p);
        let d = desired(&p, &pool);
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
        let n = pool.apply(&down(0)).unwrap();
        let d = desired(&p, &pool);
        assert_eq!(
            dests(&d),
            [
                ("192.0.2.142:80".into(), 0, Forward::DirectRoute),
                // DR cannot change the port: the parser gives the sorry server the service's.
                ("192.0.2.200:80".into(), 1, Forward::DirectRoute)
            ]
        );
        let lines: Vec<_> = n
            .iter()
            .map(|&n| p.notification(n, pool.quorum_figures(0)))
            .map(|(line, script, event)| (line, script.map(|s| s.command), event))
            .collect();
        assert_eq!(
            lines,
            [
                (
                    "Removing service [192.0.2.141]:tcp:80 from VS [192.0.2.150]:tcp:80".into(),
                    Some(vec!["/bin/echo".into(), "rs1".into(), "down".into()]),
                    Some(Event::RealServer {
                        name: "[192.0.2.141]:tcp:80".into(),
                        vs: "[192.0.2.150]:tcp:80".into(),
                        up: false
                    })
                ),
                (
                    "Lost quorum 2-0=2 > 1 for VS [192.0.2.150]:tcp:80".into(),
                    Some(vec!["/bin/echo".into(), "down".into()]),
                    Some(Event::VirtualServer {
                        name: "[192.0.2.150]:tcp:80".into(),
                        up: false
                    })
                )
            ]
        );
        let fifo: Vec<_> = n
            .iter()
            .filter_map(|&n| p.notification(n, pool.quorum_figures(0)).2)
            .map(|e| e.fifo_line())
            .collect();
        assert_eq!(
            fifo,
            [
                "RS [192.0.2.141]:tcp:80 [192.0.2.150]:tcp:80 DOWN\n",
                "VS [192.0.2.150]:tcp:80 DOWN\n"
            ]
        );
        // `ipvs sync`'s view: every real server up.
        assert_eq!(
            dests(&all_healthy(&p)),
            [
                ("192.0.2.141:80".into(), 1, Forward::DirectRoute),
                ("192.0.2.142:80".into(), 1, Forward::DirectRoute)
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
    fn keys_are_keepalived_identities() {
        let c = parse(
            r#"
virtual_server_group G {
    192.0.2.10 80
}
virtual_server 192.0.2.1 53 {
    protocol TCP
    real_server 10.0.0.1 53 { }
}
virtual_server 192.0.2.1 53 {
    protocol UDP
    real_server 10.0.0.1 53 { }
}
virtual_server fwmark 5 {
    protocol TCP
    real_server 10.0.0.1 53 { }
}
virtual_server group G {
    protocol TCP
    real_server 10.0.0.1 53 { }
}
"#,
        );
        let p = plan(&c, false).unwrap();
        let keys: Vec<String> = p
            .virtual_servers
            .iter()
            .map(|v| v.key.to_string())
            .collect();
        assert_eq!(
            keys,
            ["[192.0.2.1]:tcp:53", "[192.0.2.1]:udp:53", "FWM 5", "[G]:0"]
        );
        assert_ne!(p.virtual_servers[0].key, p.virtual_servers[1].key);
    }
}
