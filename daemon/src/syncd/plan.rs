//! The sync daemon's settings from the configuration, pure: `global_defs { lvs_sync_daemon }`,
//! or the deprecated `lvs_sync_daemon_interface` of a vrrp_instance.

use std::net::IpAddr;

use conf_parser::Config;
use ipvs::{SyncDaemon, SyncState};

/// What `lvs_sync_daemon` asks for. Equal plans run the same daemons: a reload compares the old
/// plan with the new one, and only a difference touches the kernel's daemons.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyncPlan {
    /// The vrrp_instance whose state the daemons follow; `None`: a master and a backup daemon
    /// both run all the time (keepalived does the same).
    pub instance: Option<String>,
    pub interface: String,
    pub sync_id: u8,
    /// `None`: the kernel's default (from the interface's MTU).
    pub maxlen: Option<u16>,
    pub port: u16,
    /// `None`: the kernel's default (1).
    pub ttl: Option<u8>,
    pub group: IpAddr,
}

impl SyncPlan {
    /// The daemon of `state` with these settings.
    pub fn daemon(&self, state: SyncState) -> SyncDaemon {
        SyncDaemon {
            state,
            interface: self.interface.clone(),
            sync_id: u32::from(self.sync_id),
            maxlen: self.maxlen.unwrap_or(0),
            port: self.port,
            ttl: self.ttl.unwrap_or(0),
            group: Some(self.group),
        }
    }
}

/// The plan, or `None` when the configuration asks for no sync daemon. The parser's checks have
/// filled the sync id (the followed instance's VRID by default) and refused an instance that
/// does not exist. Without vrrp instances there is no VRRP side, and, as in keepalived, no sync
/// daemon.
pub fn plan(config: &Config) -> Option<SyncPlan> {
    let instances = &config.vrrp.vrrp_instance;
    if instances.is_empty() {
        return None;
    }
    if let Some(s) = &config.global.global_defs.lvs_sync_daemon {
        let vrid = s
            .instance
            .as_ref()
            .and_then(|n| instances.iter().find(|i| &i.name == n))
            .and_then(|i| i.virtual_router_id);
        return Some(SyncPlan {
            instance: s.instance.clone(),
            interface: s.interface.clone(),
            sync_id: s.id.or(vrid).unwrap_or(0),
            maxlen: s.maxlen,
            port: s.port,
            ttl: s.ttl,
            group: s.group,
        });
    }
    // The older form in a vrrp_instance follows that instance; keepalived 2.2.7 starts its
    // daemons with sync id 0 then (seen in the test VM), not the VRID.
    let i = instances
        .iter()
        .find(|i| i.lvs_sync_daemon_interface.is_some())?;
    Some(SyncPlan {
        instance: Some(i.name.clone()),
        interface: i.lvs_sync_daemon_interface.clone()?,
        sync_id: 0,
        maxlen: None,
        port: ipvs::sync_daemon::DEFAULT_PORT,
        ttl: None,
        group: ipvs::sync_daemon::DEFAULT_GROUP,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(global: &str, instance: &str) -> Config {
        let text = format!(
            "global_defs {{\n{global}\n}}\nvrrp_instance VI_1 {{\n interface eth0\n virtual_router_id 41\n priority 100\n{instance}\n virtual_ipaddress {{\n  10.0.0.1\n }}\n}}\n"
        );
        let p = conf_parser::parse_str("t.conf", &text, &conf_parser::Options::default());
        assert!(p.is_ok(), "{}", p.render_diagnostics());
        p.config
    }

    #[test]
    fn the_keyword_and_its_defaults() {
        let p = plan(&parse("lvs_sync_daemon eth0 VI_1", "")).unwrap();
        assert_eq!(
            p,
            SyncPlan {
                instance: Some("VI_1".into()),
                interface: "eth0".into(),
                sync_id: 41,
                maxlen: None,
                port: 8848,
                ttl: None,
                group: "224.0.0.81".parse().unwrap(),
            }
        );
        let d = p.daemon(SyncState::Master);
        assert_eq!((d.sync_id, d.maxlen, d.ttl), (41, 0, 0));
        let p = plan(&parse(
            "lvs_sync_daemon eth1 inst VI_1 id 7 maxlen 1400 port 8849 ttl 2 group 239.1.1.1",
            "",
        ))
        .unwrap();
        let d = p.daemon(SyncState::Backup);
        assert_eq!(
            (
                d.interface.as_str(),
                d.sync_id,
                d.maxlen,
                d.port,
                d.ttl,
                d.group
            ),
            ("eth1", 7, 1400, 8849, 2, Some("239.1.1.1".parse().unwrap()))
        );
        let p = plan(&parse("lvs_sync_daemon eth0", "")).unwrap();
        assert_eq!((p.instance, p.sync_id), (None, 0));
    }

    #[test]
    fn the_older_form_in_an_instance() {
        let p = plan(&parse("", " lvs_sync_daemon_interface eth1")).unwrap();
        assert_eq!(
            (p.instance.as_deref(), p.interface.as_str(), p.sync_id),
            (Some("VI_1"), "eth1", 0)
        );
    }

    #[test]
    fn none_without_the_keyword_or_without_instances() {
        assert_eq!(plan(&parse("", "")), None);
        let p = conf_parser::parse_str(
            "t.conf",
            "global_defs {\n lvs_sync_daemon eth0\n}\n",
            &conf_parser::Options::default(),
        );
        assert_eq!(plan(&p.config), None);
    }

    #[test]
    fn reload_compares_plans() {
        let a = plan(&parse("lvs_sync_daemon eth0 VI_1", ""));
        let b = plan(&parse("lvs_sync_daemon eth0 VI_1 id 41", ""));
        assert_eq!(a, b, "the default id written out is the same plan");
        let c = plan(&parse("lvs_sync_daemon eth0 VI_1 ttl 2", ""));
        assert_ne!(a, c);
    }
}
