//! vrrp_instance `promote_secondaries`: the interface's `promote_secondaries` flag is on while
//! the daemon runs, so that removing one address of a subnet (a VIP, at a transition to BACKUP)
//! does not take the others of that subnet with it. As keepalived 2.2.7 does (measured in the
//! namespace lab, daemon/tests/netns_promote.rs): set at start, before the instance's first
//! state; at stop, once the VIPs are gone, each interface gets back the value it had. A reload
//! sets the flag on interfaces it adds and gives back those it no longer names.
//!
//! The flag is a sysctl of the daemon's network namespace:
//! /proc/sys/net/ipv4/conf/IF/promote_secondaries.

use std::path::PathBuf;

use crate::vrrpd::plan::Plan;

/// The interfaces whose flag the plan wants on, each once, in configuration order.
pub fn wanted(plan: &Plan) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for i in plan.instances.iter().filter(|i| i.promote_secondaries) {
        if !out.contains(&i.interface) {
            out.push(i.interface.clone());
        }
    }
    out
}

/// The flags set by the daemon, with the values they had before.
#[derive(Debug)]
pub struct Promoted {
    /// /proc/sys/net/ipv4/conf (a directory of files in tests).
    root: PathBuf,
    /// (interface, value before), for the flags set.
    saved: Vec<(String, String)>,
}

impl Default for Promoted {
    fn default() -> Self {
        Promoted::at("/proc/sys/net/ipv4/conf".into())
    }
}

impl Promoted {
    fn at(root: PathBuf) -> Promoted {
        Promoted {
            root,
            saved: Vec::new(),
        }
    }

    fn file(&self, interface: &str) -> PathBuf {
        self.root.join(interface).join("promote_secondaries")
    }

    /// Sets the flag on each interface of `wanted` not set yet, and gives back their value to
    /// those set before and no longer wanted. An interface that cannot be set (missing, under
    /// `dynamic_interfaces`) is named in one warning and left as it is.
    pub fn follow(&mut self, wanted: &[String]) {
        let (keep, gone): (Vec<_>, Vec<_>) = std::mem::take(&mut self.saved)
            .into_iter()
            .partition(|(i, _)| wanted.contains(i));
        self.saved = keep;
        for (interface, before) in gone {
            if let Err(e) = std::fs::write(self.file(&interface), &before) {
                tracing::warn!(
                    "promote_secondaries: cannot give net.ipv4.conf.{interface}.promote_secondaries \
                     back its value {}: {e}",
                    before.trim()
                );
            }
        }
        for interface in wanted {
            if self.saved.iter().any(|(i, _)| i == interface) {
                continue;
            }
            let path = self.file(interface);
            let set = std::fs::read_to_string(&path)
                .and_then(|before| std::fs::write(&path, "1\n").map(|()| before));
            match set {
                Ok(before) => {
                    tracing::debug!("promote_secondaries set on {interface}");
                    self.saved.push((interface.clone(), before));
                }
                Err(e) => tracing::warn!(
                    "promote_secondaries: cannot set net.ipv4.conf.{interface}.promote_secondaries: \
                     {e}"
                ),
            }
        }
    }

    /// At stop: every flag set gets back its value.
    pub fn restore_all(&mut self) {
        self.follow(&[]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stand-in for /proc/sys/net/ipv4/conf, removed when dropped.
    struct Root(PathBuf);

    impl Drop for Root {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn root() -> (Root, PathBuf) {
        let dir = std::env::temp_dir().join(format!("krs-promote-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for (i, v) in [("eth0", "0\n"), ("eth1", "1\n"), ("eth2", "0\n")] {
            std::fs::create_dir_all(dir.join(i)).unwrap();
            std::fs::write(dir.join(i).join("promote_secondaries"), v).unwrap();
        }
        (Root(dir.clone()), dir)
    }

    fn value(root: &std::path::Path, i: &str) -> String {
        std::fs::read_to_string(root.join(i).join("promote_secondaries"))
            .unwrap()
            .trim()
            .to_string()
    }

    #[test]
    fn set_while_wanted_and_given_back_its_value() {
        let (_d, r) = root();
        let mut p = Promoted::at(r.clone());
        p.follow(&["eth0".into(), "eth1".into(), "missing".into()]);
        assert_eq!(
            (value(&r, "eth0"), value(&r, "eth1")),
            ("1".into(), "1".into())
        );
        // A reload that names eth2 instead of eth0.
        p.follow(&["eth1".into(), "eth2".into()]);
        assert_eq!(value(&r, "eth0"), "0");
        assert_eq!(value(&r, "eth2"), "1");
        p.restore_all();
        // Each back to what it was: eth1 was on already and stays on.
        assert_eq!(
            (value(&r, "eth0"), value(&r, "eth1"), value(&r, "eth2")),
            ("0".into(), "1".into(), "0".into())
        );
    }

    #[test]
    fn the_plan_names_each_interface_once() {
        let text = |name: &str, vrid: u8, extra: &str| {
            format!(
                "vrrp_instance {name} {{\n interface eth0\n virtual_router_id {vrid}\n priority \
                 100\n{extra} virtual_ipaddress {{\n  10.0.0.{vrid}/24\n }}\n}}\n"
            )
        };
        let conf = format!(
            "{}{}{}",
            text("VI_1", 1, " promote_secondaries\n"),
            text("VI_2", 2, " promote_secondaries\n"),
            text("VI_3", 3, "")
        );
        let config =
            conf_parser::parse_str("k.conf", &conf, &conf_parser::Options::default()).config;
        let plan = crate::vrrpd::plan::plan(&config).unwrap();
        assert_eq!(wanted(&plan), ["eth0"]);
    }
}
