//! The names in routes and rules (`table mytable`, `protocol bird`, `tos AF11`, `realms
//! cosmos`, `suppress_ifgroup mygroup`) turned into their numbers with the host's
//! /etc/iproute2 files (`crate::iproute2`, which says how keepalived 2.2.7 reads them), as
//! keepalived does when it reads the configuration. A value that is neither a number nor a
//! name the files give (or is too large) drops its route or rule, with an error: keepalived
//! 2.2.7 logs `Routing table mytable not found for route` (`Protocol P not found or invalid
//! for route`, `TOS value T is invalid`, `Invalid realms R for route`, `suppress_group G is
//! invalid`), runs on without that line, and its `-t` exits 5 (measured).
//!
//! The model keeps the numbers, written in decimal, where it held the words: the daemon's plan
//! reads numbers only.

use std::collections::HashMap;

use super::{Host, VrfTable};
use crate::diag::Diagnostics;
use crate::iproute2::{number, NameFile, Names};
use crate::model::vrrp::{Route, Rule};
use crate::model::Config;
use crate::source::Origin;

/// The files read so far, each once (the host decides whether it reads them again).
struct Lookup<'h> {
    host: &'h dyn Host,
    files: HashMap<NameFile, Names>,
}

impl Lookup<'_> {
    /// `word`'s number, or the error saying why there is none.
    fn value(&mut self, kind: NameFile, what: &str, word: &str) -> Result<u32, Unknown> {
        // A number needs no file; keepalived does not open it then (measured).
        let host = self.host;
        let names = if crate::iproute2::needs_file(word) {
            self.files.entry(kind).or_insert_with(|| {
                Names::read(kind, host.iproute2_file(kind.file_name()).as_deref())
            })
        } else {
            &Names::read(kind, None)
        };
        names.value(word).ok_or_else(|| Unknown {
            kind,
            what: what.to_string(),
            word: word.to_string(),
            named: names.get(word),
            vrf: None,
        })
    }

    /// `[FROM/]TO`, each a realm's number or name.
    fn realms(&mut self, word: &str) -> Result<String, Unknown> {
        let mut one = |w: &str| self.value(NameFile::Realms, "realms", w);
        Ok(match word.split_once('/') {
            Some((from, to)) => format!("{}/{}", one(from)?, one(to)?),
            None => one(word)?.to_string(),
        })
    }
}

/// A value without a number, or a `vrf` without a table.
struct Unknown {
    kind: NameFile,
    what: String,
    word: String,
    /// The number the file gives the name, too large.
    named: Option<u32>,
    /// A `vrf`'s device, and what is wrong with it.
    vrf: Option<&'static str>,
}

impl Unknown {
    fn vrf(device: String, why: &'static str) -> Unknown {
        Unknown {
            kind: NameFile::Tables,
            what: "vrf".into(),
            word: device,
            named: None,
            vrf: Some(why),
        }
    }

    fn report(&self, at: &Origin, line: &str, diags: &mut Diagnostics) {
        if let Some(why) = self.vrf {
            // keepalived 2.2.7: `VRF blue not found for route`, `Route specified VRF eth0 is
            // not a VRF`; the route dropped, the rest runs (measured in the VM).
            diags
                .error(
                    at.span,
                    format!("vrf {}: the device {why}; the {line} is ignored", self.word),
                )
                .with_help(format!(
                    "create it first (ip link add {} type vrf table N), or write table N",
                    self.word
                ))
                .daemon_runs_on();
            return;
        }
        let (kind, what, word) = (self.kind, &self.what, &self.word);
        let file = kind.file_name();
        let max = kind.max();
        let (message, help) = match (number(word), self.named) {
            (Some(_), _) => (
                format!("{what} {word} is out of range (at most {max}); the {line} is ignored"),
                "write a smaller number".to_string(),
            ),
            (None, Some(n)) => (
                format!(
                    "{what} {word} is {n} in /etc/iproute2/{file}, out of range (at most {max}); \
                     the {line} is ignored"
                ),
                format!("give {word} a smaller number in /etc/iproute2/{file}"),
            ),
            (None, None) => (
                format!(
                    "{what} {word} is neither a number nor a name in /etc/iproute2/{file}; the \
                     {line} is ignored"
                ),
                format!(
                    "add a line `NUMBER {word}` to /etc/iproute2/{file}{}, or write the number",
                    if matches!(kind, NameFile::Tables | NameFile::Protocols) {
                        format!(" (keepalived 2.2.7 does not read {file}.d)")
                    } else {
                        String::new()
                    }
                ),
            ),
        };
        diags
            .error(at.span, message)
            .with_help(help)
            .daemon_runs_on();
    }
}

/// `slot` replaced by its number, in decimal, unless it already says it so.
fn set(slot: &mut String, v: u32) {
    if slot.parse::<u32>() != Ok(v) {
        *slot = v.to_string();
    }
}

fn route(r: &mut Route, lk: &mut Lookup) -> Result<(), Unknown> {
    let table = lk.value(NameFile::Tables, "routing table", &r.table)?;
    // main, local and default are the daemon's too (and the built-in names win).
    if !matches!(r.table.as_str(), "main" | "local" | "default") {
        set(&mut r.table, table);
    }
    // The VRF device's table, written after any `table` (the parser keeps only the later).
    if let Some(vrf) = r.vrf.take() {
        match lk.host.vrf_table(&vrf) {
            VrfTable::Table(t) => r.table = t.to_string(),
            VrfTable::NotVrf => return Err(Unknown::vrf(vrf, "is not a VRF device")),
            VrfTable::Missing => return Err(Unknown::vrf(vrf, "does not exist")),
        }
    }
    if let Some(written) = r.protocol_written.clone() {
        let v = lk.value(NameFile::Protocols, "protocol", &written)?;
        // A tracked route keeps keepalived's own (the parser said so).
        if r.no_track {
            r.protocol = Some(v.to_string());
        }
    }
    if let Some(tos) = r.tos.as_mut() {
        let v = lk.value(NameFile::Dsfield, "tos", tos)?;
        set(tos, v);
    }
    let words = r
        .extra
        .iter_mut()
        .chain(r.nexthop.iter_mut().flat_map(|n| n.extra.iter_mut()));
    let mut realms_next = false;
    for w in words {
        if realms_next {
            *w = lk.realms(w)?;
        }
        realms_next = w == "realms";
    }
    Ok(())
}

fn rule(r: &mut Rule, lk: &mut Lookup) -> Result<(), Unknown> {
    if let Some(t) = r.table.as_mut() {
        let v = lk.value(NameFile::Tables, "routing table", t)?;
        if !matches!(t.as_str(), "main" | "local" | "default") {
            set(t, v);
        }
    }
    if let Some(tos) = r.tos.as_mut() {
        let v = lk.value(NameFile::Dsfield, "tos", tos)?;
        set(tos, v);
    }
    if let Some(realms) = r.realms.as_mut() {
        *realms = lk.realms(realms)?;
    }
    if let Some(g) = r.suppress_ifgroup.as_mut() {
        let v = lk.value(NameFile::Groups, "suppress_ifgroup", g)?;
        set(g, v);
    }
    Ok(())
}

/// Resolves the names of every route and rule; drops, with an error, those with a value that
/// has no number.
pub(super) fn resolve(config: &mut Config, host: &dyn Host, diags: &mut Diagnostics) {
    let mut lk = Lookup {
        host,
        files: HashMap::new(),
    };
    let routes = |list: &mut Vec<Route>, lk: &mut Lookup, diags: &mut Diagnostics| {
        list.retain_mut(|r| match route(r, lk) {
            Ok(()) => true,
            Err(u) => {
                u.report(&r.origin, "route", diags);
                false
            }
        });
    };
    let vrrp = &mut config.vrrp;
    routes(&mut vrrp.static_routes, &mut lk, diags);
    for i in &mut vrrp.vrrp_instance {
        routes(&mut i.virtual_routes, &mut lk, diags);
    }
    let rules = |list: &mut Vec<Rule>, lk: &mut Lookup, diags: &mut Diagnostics| {
        list.retain_mut(|r| match rule(r, lk) {
            Ok(()) => true,
            Err(u) => {
                u.report(&r.origin, "rule", diags);
                false
            }
        });
    };
    rules(&mut vrrp.static_rules, &mut lk, diags);
    for i in &mut vrrp.vrrp_instance {
        rules(&mut i.virtual_rules, &mut lk, diags);
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use super::super::{FileStat, Host, VrfTable};
    use crate::{parse_str, Options, Parsed};

    /// A machine with eth0 and the iproute2 files given, counting what is read.
    struct Files {
        files: &'static [(&'static str, &'static str)],
        read: RefCell<Vec<String>>,
    }

    impl Host for Files {
        fn has_interface(&self, name: &str) -> bool {
            name == "eth0"
        }
        fn has_user(&self, _: &str) -> bool {
            true
        }
        fn has_group(&self, _: &str) -> bool {
            true
        }
        fn has_program(&self, _: &str) -> bool {
            true
        }
        fn user_ids(&self, _: &str) -> Option<(u32, u32)> {
            Some((0, 0))
        }
        fn group_id(&self, _: &str) -> Option<u32> {
            Some(0)
        }
        fn real_path(&self, p: &str) -> Option<String> {
            Some(p.into())
        }
        fn lstat(&self, _: &str) -> Option<FileStat> {
            None
        }
        fn vrf_table(&self, name: &str) -> VrfTable {
            match name {
                "blue" => VrfTable::Table(10),
                "eth0" => VrfTable::NotVrf,
                _ => VrfTable::Missing,
            }
        }
        fn iproute2_file(&self, name: &str) -> Option<String> {
            self.read.borrow_mut().push(name.into());
            self.files
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, t)| t.to_string())
        }
    }

    const FILES: &[(&str, &str)] = &[
        (
            "rt_tables",
            "255 local\n254 main\n9 mytable\n0x20 hexname\n",
        ),
        ("rt_protos", "12 bird\n0x63 openr\n"),
        ("rt_dsfield", "0x28 AF11\n0x1c lowcost\n"),
        ("rt_realms", "0 cosmos\n5 east\n"),
        ("group", "0 default\n3 backbone\n"),
    ];

    fn checked(body: &str, files: &'static [(&'static str, &'static str)]) -> (Parsed, Files) {
        let text = format!(
            "vrrp_instance A {{\n interface eth0\n virtual_router_id 1\n priority 100\n \
             virtual_ipaddress {{\n  10.0.0.1/24\n }}\n{body}}}\n"
        );
        let mut p = parse_str("t.conf", &text, &Options::default());
        let host = Files {
            files,
            read: RefCell::new(Vec::new()),
        };
        super::super::check(&mut p.config, &host, &mut p.diags);
        (p, host)
    }

    #[test]
    fn names_become_numbers() {
        let (p, _) = checked(
            " virtual_routes {\n  192.0.2.0/24 dev eth0 table mytable tos AF11 realms cosmos/east\n  \
             192.0.2.1 dev eth0 table hexname protocol openr no_track\n  \
             192.0.2.2 dev eth0 table main protocol bird\n  \
             192.0.2.3 dev eth0 table 010 nexthop via 10.0.0.2 realms east\n }\n \
             virtual_rules {\n  from 10.0.0.5 table mytable preference 100 tos lowcost realms east \
             suppress_ifgroup backbone\n  from 10.0.0.6 lookup main preference 101\n }\n",
            FILES,
        );
        let i = &p.config.vrrp.vrrp_instance[0];
        let r = &i.virtual_routes;
        assert_eq!(r.len(), 4, "{}", p.render_diagnostics());
        assert_eq!(
            (r[0].table.as_str(), r[0].tos.as_deref()),
            ("9", Some("40"))
        );
        assert_eq!(r[0].extra, ["realms", "0/5"]);
        assert_eq!(
            (r[1].table.as_str(), r[1].protocol.as_deref()),
            ("32", Some("99"))
        );
        // A tracked route keeps keepalived's protocol; main stays main.
        assert_eq!(
            (r[2].table.as_str(), r[2].protocol.as_deref()),
            ("main", Some("keepalived"))
        );
        // A leading 0 is octal, as keepalived reads it.
        assert_eq!(r[3].table, "8");
        assert_eq!(r[3].nexthop[0].extra, ["realms", "5"]);
        let u = &i.virtual_rules[0];
        assert_eq!(u.table.as_deref(), Some("9"));
        assert_eq!(u.tos.as_deref(), Some("28"));
        assert_eq!(u.realms.as_deref(), Some("5"));
        assert_eq!(u.suppress_ifgroup.as_deref(), Some("3"));
        assert_eq!(i.virtual_rules[1].table.as_deref(), Some("main"));
    }

    #[test]
    fn an_unknown_name_drops_its_line_and_the_daemon_runs_on() {
        let (p, _) = checked(
            " virtual_routes {\n  192.0.2.0/24 dev eth0 table nosuch\n  \
             192.0.2.1 dev eth0 protocol isis\n  192.0.2.2 dev eth0 realms 256\n  \
             192.0.2.3 dev eth0\n }\n virtual_rules {\n  from 10.0.0.5 table 100 preference 100 \
             suppress_ifgroup default\n }\n",
            &[],
        );
        let i = &p.config.vrrp.vrrp_instance[0];
        assert_eq!(i.virtual_routes.len(), 1);
        assert!(i.virtual_rules.is_empty());
        let out = p.render_diagnostics();
        for says in [
            "t.conf:9:3: error: routing table nosuch is neither a number nor a name in \
             /etc/iproute2/rt_tables; the route is ignored",
            // A tracked route's protocol must be known too (keepalived then replaces it).
            "protocol isis is neither a number nor a name in /etc/iproute2/rt_protos",
            "realms 256 is out of range (at most 255)",
            "routing table nosuch is neither a number nor a name in /etc/iproute2/rt_tables; the \
             route is ignored",
            // `default` is a group's name only where /etc/iproute2/group says so.
            "suppress_ifgroup default is neither a number nor a name in /etc/iproute2/group; \
             the rule is ignored",
        ] {
            assert!(out.contains(says), "{says}\n{out}");
        }
        assert!(p
            .diags
            .iter()
            .all(|d| d.daemon == crate::KeepalivedDaemon::RunsOn || d.level < crate::Level::Error));
    }

    #[test]
    fn a_vrf_gives_its_table_unless_a_table_comes_after_it() {
        let (p, _) = checked(
            " virtual_routes {\n  192.0.2.1 dev eth0 vrf blue\n  192.0.2.2 dev eth0 vrf blue table 20\n  \
             192.0.2.3 dev eth0 table 20 vrf blue\n  192.0.2.4 dev eth0 vrf eth0\n  \
             192.0.2.5 dev eth0 vrf red\n }\n",
            FILES,
        );
        let r = &p.config.vrrp.vrrp_instance[0].virtual_routes;
        let tables: Vec<&str> = r.iter().map(|r| r.table.as_str()).collect();
        assert_eq!(tables, ["10", "20", "10"]);
        assert!(r.iter().all(|r| r.vrf.is_none()));
        let out = p.render_diagnostics();
        assert!(
            out.contains("vrf eth0: the device is not a VRF device; the route is ignored"),
            "{out}"
        );
        assert!(
            out.contains("vrf red: the device does not exist; the route is ignored"),
            "{out}"
        );
    }

    #[test]
    fn a_file_is_read_only_for_a_name_and_once() {
        let (_, host) = checked(
            " virtual_routes {\n  192.0.2.0/24 dev eth0 table 100 tos 0x10 protocol 18\n  \
             192.0.2.1 dev eth0 table mytable\n  192.0.2.2 dev eth0 table hexname\n }\n",
            FILES,
        );
        assert_eq!(*host.read.borrow(), ["rt_tables"]);
    }
}
