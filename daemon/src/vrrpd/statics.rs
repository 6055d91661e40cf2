//! `static_routes` and `static_rules`, as keepalived 2.2.7 runs them (measured): installed when
//! the VRRP side starts, before any instance has a state; removed when it stops (also with
//! `-V`, which keeps only the instances' addresses and routes); a reload removes those gone and
//! adds those new, and does not touch one that stays; a tracked static route (one with a `dev`
//! and without `no_track`) that the kernel deleted with its link is put back when the link
//! comes up ("Restoring deleted static route ..."). The decisions are pure; the runtime sends
//! them (kernel.rs).

use tracing::{error, info};

use super::plan::{VRoute, VRule};
use super::Runtime;

/// The static routes and rules of a configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Statics {
    pub routes: Vec<VRoute>,
    pub rules: Vec<VRule>,
}

/// The tracked static routes on interface `dev`: those to put back when it comes up.
pub fn to_restore<'a>(routes: &'a [VRoute], dev: &'a str) -> impl Iterator<Item = &'a VRoute> {
    routes
        .iter()
        .filter(move |r| r.tracked && r.dev.as_deref() == Some(dev))
}

impl Runtime {
    /// At start: routes, then rules (a rule may send to a table these routes fill).
    pub(super) async fn install_statics(&mut self) {
        for r in self.statics.routes.clone() {
            if let Err(e) = self.netlink.add_route(&r).await {
                error!("static route: {e}");
            }
        }
        for r in self.statics.rules.clone() {
            if let Err(e) = self.netlink.add_rule(&r).await {
                error!("static rule: {e}");
            }
        }
    }

    /// At stop: rules, then routes.
    pub(super) async fn remove_statics(&mut self) {
        for r in self.statics.rules.clone() {
            if let Err(e) = self.netlink.remove_rule(&r).await {
                error!("static rule: {e}");
            }
        }
        for r in self.statics.routes.clone() {
            if let Err(e) = self.netlink.remove_route(&r).await {
                error!("static route: {e}");
            }
        }
    }

    /// A reload: those gone removed (keepalived's words), those new installed.
    pub(super) async fn reload_statics(&mut self, new: Statics) {
        let old = std::mem::replace(&mut self.statics, new);
        self.netlink
            .change_routes_and_rules(
                (&old.routes, &old.rules),
                (&self.statics.routes, &self.statics.rules),
                |kind, e| error!("static {kind}: {e}"),
            )
            .await;
    }

    /// Link `index` came up: its tracked static routes the kernel deleted are put back.
    pub(super) async fn restore_static_routes(&mut self, index: u32) {
        let Ok(dev) = nix::net::if_::if_indextoname(index) else {
            return;
        };
        let dev = dev.to_string_lossy().into_owned();
        let routes: Vec<VRoute> = to_restore(&self.statics.routes, &dev).cloned().collect();
        for r in routes {
            match self.netlink.add_route(&r).await {
                Ok(true) => info!("Restoring deleted static route {}", r.text),
                Ok(false) => {}
                Err(e) => error!("static route: {e}"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vrrpd::plan::plan;

    #[test]
    fn the_static_blocks_are_planned_and_tracked_routes_restored() {
        let p = conf_parser::parse_str(
            "t.conf",
            "static_routes {\n 192.0.2.0/24 via 10.0.0.254 dev eth0\n 198.51.100.0/24 via 10.0.0.254 dev eth0 no_track\n unreachable 203.0.113.0/24\n 192.0.2.0/24 via 10.0.0.254 dev eth1\n 203.0.113.0/25 via 10.0.0.254 vrf blue\n}\nstatic_rules {\n from 10.0.0.200 table 100 preference 200\n from 10.0.0.201 table 100\n}\n",
            &conf_parser::Options::default(),
        );
        assert!(p.is_ok(), "{}", p.render_diagnostics());
        let plan = plan(&p.config).unwrap();
        let s = &plan.statics;
        assert_eq!(s.routes.len(), 4);
        assert_eq!(s.rules.len(), 2);
        assert_eq!(s.rules[1].priority, 16384);
        let restored: Vec<&str> = to_restore(&s.routes, "eth0")
            .map(|r| r.text.as_str())
            .collect();
        assert_eq!(restored, ["192.0.2.0/24"]);
        assert_eq!(to_restore(&s.routes, "eth2").count(), 0);
        assert_eq!(to_restore(&s.routes, "eth1").count(), 1);
        assert_eq!(plan.unsupported.len(), 1, "{:?}", plan.unsupported);
        assert!(
            plan.unsupported[0].starts_with(
                "t.conf:6:2: static route 203.0.113.0/25: keepalived-rs cannot install a route with vrf blue"
            ),
            "{:?}",
            plan.unsupported
        );
    }

    #[test]
    fn a_static_entry_s_track_group_is_refused() {
        let p = conf_parser::parse_str(
            "t.conf",
            "track_group TG {\n group {\n VI_1\n }\n}\nstatic_routes {\n 192.0.2.0/24 via 10.0.0.254 dev eth0 track_group TG\n}\nstatic_rules {\n from 10.0.0.1 iif eth0 table 5 preference 100 track_group TG\n}\nvrrp_instance VI_1 {\n interface eth0\n virtual_router_id 1\n virtual_ipaddress {\n 10.0.0.100/24\n }\n}\n",
            &conf_parser::Options::default(),
        );
        assert!(p.is_ok(), "{}", p.render_diagnostics());
        let plan = plan(&p.config).unwrap();
        assert_eq!(plan.unsupported.len(), 2, "{:?}", plan.unsupported);
        assert!(
            plan.unsupported[0].starts_with("t.conf:7:2: track_group TG: keepalived-rs does not")
        );
        assert!(plan.unsupported[1].starts_with("t.conf:10:2: track_group TG:"));
    }
}
