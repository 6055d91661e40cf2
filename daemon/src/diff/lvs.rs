//! Virtual servers compared by key, their real servers by address and port.

use ipvs::{Destination, Forward, Service, ServiceFlags};

use super::{Change, Details, Touched};
use crate::lvs::{LvsPlan, RealServerPlan, VsPlan};

fn forward(f: &Forward) -> String {
    match f {
        Forward::Nat => "NAT".into(),
        Forward::DirectRoute => "DR".into(),
        Forward::Tunnel { kind, .. } => format!("TUN {}", kind.name()),
        other => format!("{other:?}"),
    }
}

/// The settings of a virtual server's services (the same for every service of a group).
fn service_settings(d: &mut Details, old: &Service, new: &Service) {
    d.field("lvs_sched", &old.scheduler, &new.scheduler, Clone::clone);
    let persistent = |s: &Service| s.flags.has(ServiceFlags::PERSISTENT).then_some(s.timeout);
    d.field("persistence_timeout", &persistent(old), &persistent(new), |t| {
        t.map_or_else(|| "none".into(), |t| t.to_string())
    });
    d.field("persistence_granularity", &old.netmask, &new.netmask, |m| {
        format!("{m:#x}")
    });
    d.field("persistence_engine", &old.pe_name, &new.pe_name, super::opt);
    d.field("scheduler flags", &old.flags.user(), &new.flags.user(), |f| {
        format!("{f:#x}")
    });
}

fn destination(d: &mut Details, prefix: &str, old: &Destination, new: &Destination) {
    d.field(&format!("{prefix}weight"), &old.weight, &new.weight, ToString::to_string);
    d.field(&format!("{prefix}lvs_method"), &old.forward, &new.forward, forward);
    d.field(
        &format!("{prefix}uthreshold"),
        &old.u_threshold,
        &new.u_threshold,
        ToString::to_string,
    );
    d.field(
        &format!("{prefix}lthreshold"),
        &old.l_threshold,
        &new.l_threshold,
        ToString::to_string,
    );
}

fn real_server(d: &mut Details, old: &RealServerPlan, new: &RealServerPlan) {
    let prefix = format!("real server {} ", new.key());
    destination(d, &prefix, &old.dest, &new.dest);
    d.field(
        &format!("{prefix}inhibit_on_failure"),
        &old.inhibit_on_failure,
        &new.inhibit_on_failure,
        |b| if *b { "on" } else { "off" }.into(),
    );
    d.changed(
        &format!("{prefix}notify scripts"),
        &(&old.notify_up, &old.notify_down),
        &(&new.notify_up, &new.notify_down),
    );
    let prints = |r: &RealServerPlan| -> Vec<String> {
        r.checkers.iter().map(|c| c.fingerprint()).collect()
    };
    if prints(old) != prints(new) {
        d.0.push(format!(
            "{prefix}checkers changed (restarted; the unchanged ones keep their state)"
        ));
    }
}

/// The in-place differences of one virtual server, in words.
pub fn vs_details(old: &VsPlan, new: &VsPlan) -> Vec<String> {
    let mut d = Details::default();
    d.set("services", &old.services, &new.services, |s| s.key, |s| {
        s.key.to_string()
    });
    if let (Some(o), Some(n)) = (old.services.first(), new.services.first()) {
        service_settings(&mut d, o, n);
    }
    d.set(
        "real servers",
        &old.real_servers,
        &new.real_servers,
        RealServerPlan::key,
        |r| r.key().to_string(),
    );
    for n in &new.real_servers {
        if let Some(o) = old.real_servers.iter().find(|o| o.key() == n.key()) {
            real_server(&mut d, o, n);
        }
    }
    d.field(
        "sorry_server",
        &old.sorry.map(|s| s.dest.key()),
        &new.sorry.map(|s| s.dest.key()),
        super::opt,
    );
    d.changed("sorry_server settings", &old.sorry, &new.sorry);
    if d.0.last().is_some_and(|l| l == "sorry_server settings changed")
        && old.sorry.map(|s| s.dest.key()) != new.sorry.map(|s| s.dest.key())
    {
        d.0.pop();
    }
    d.field("quorum", &old.quorum, &new.quorum, ToString::to_string);
    d.field("hysteresis", &old.hysteresis, &new.hysteresis, ToString::to_string);
    d.field("omega", &old.omega, &new.omega, |b| {
        if *b { "on" } else { "off" }.into()
    });
    d.changed(
        "quorum scripts",
        &(&old.quorum_up, &old.quorum_down),
        &(&new.quorum_up, &new.quorum_down),
    );
    d.0
}

/// Each virtual server added, removed or changed.
pub fn virtual_servers(old: &LvsPlan, new: &LvsPlan) -> Vec<Touched> {
    let mut out = Vec::new();
    let ssl_changed = old.ssl != new.ssl;
    for n in &new.virtual_servers {
        let change = match old.virtual_servers.iter().find(|o| o.key == n.key) {
            None => Change::Added,
            Some(o) => {
                let mut details = vs_details(o, n);
                let has_ssl = n
                    .real_servers
                    .iter()
                    .flat_map(|r| &r.checkers)
                    .any(|c| c.needs_tls());
                if ssl_changed && has_ssl {
                    details.push("SSL_GET checkers restarted (the SSL block changed)".into());
                }
                if details.is_empty() {
                    continue;
                }
                Change::Changed { details }
            }
        };
        out.push(Touched {
            kind: "virtual_server",
            name: n.key.to_string(),
            change,
        });
    }
    for o in &old.virtual_servers {
        if !new.virtual_servers.iter().any(|n| n.key == o.key) {
            out.push(Touched {
                kind: "virtual_server",
                name: o.key.to_string(),
                change: Change::Removed,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> LvsPlan {
        let p = conf_parser::parse_str("t.conf", text, &conf_parser::Options::default());
        assert!(p.is_ok(), "{}", p.render_diagnostics());
        crate::lvs::plan(&p.config, false).unwrap()
    }

    fn vs(addr: &str, sched: &str, rs: &[(&str, u32)]) -> String {
        let mut s = format!(
            "virtual_server {addr} 80 {{\n lvs_sched {sched}\n lvs_method DR\n protocol TCP\n"
        );
        for (a, w) in rs {
            s.push_str(&format!(
                " real_server {a} 80 {{\n  weight {w}\n  TCP_CHECK {{\n   connect_timeout 3\n  }}\n }}\n"
            ));
        }
        s.push_str("}\n");
        s
    }

    fn lines(old: &str, new: &str) -> Vec<String> {
        virtual_servers(&parse(old), &parse(new))
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn the_same_file_is_no_change() {
        let c = vs("10.0.0.1", "rr", &[("10.1.0.1", 1), ("10.1.0.2", 1)]);
        assert!(lines(&c, &c).is_empty());
    }

    #[test]
    fn a_weight_and_a_real_server() {
        let old = vs("10.0.0.1", "rr", &[("10.1.0.1", 1), ("10.1.0.2", 1)]);
        let new = vs("10.0.0.1", "wrr", &[("10.1.0.2", 5), ("10.1.0.3", 1)]);
        assert_eq!(
            lines(&old, &new),
            ["virtual_server [10.0.0.1]:tcp:80: lvs_sched rr -> wrr, real servers +10.1.0.3:80 -10.1.0.1:80, real server 10.1.0.2:80 weight 1 -> 5"]
        );
    }

    #[test]
    fn virtual_servers_added_and_removed_by_key() {
        let a = vs("10.0.0.1", "rr", &[("10.1.0.1", 1)]);
        let b = vs("10.0.0.2", "rr", &[("10.1.0.1", 1)]);
        assert_eq!(
            lines(&a, &format!("{b}{a}")),
            ["virtual_server [10.0.0.2]:tcp:80: added"]
        );
        assert_eq!(
            lines(&format!("{a}{b}"), &b),
            ["virtual_server [10.0.0.1]:tcp:80: removed"]
        );
    }

    #[test]
    fn a_checker_change_is_named() {
        let old = vs("10.0.0.1", "rr", &[("10.1.0.1", 1)]);
        let new = old.replace("connect_timeout 3", "connect_timeout 4");
        assert_eq!(
            lines(&old, &new),
            ["virtual_server [10.0.0.1]:tcp:80: real server 10.1.0.1:80 checkers changed (restarted; the unchanged ones keep their state)"]
        );
    }
}
