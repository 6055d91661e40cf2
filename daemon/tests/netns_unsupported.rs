//! What keepalived 2.2.7 runs and keepalived-rs cannot (VMAC/ipvlan interfaces, IPv6 BFD, rules
//! and routes with options it cannot install, checkers it has not, a regex the regex crate
//! cannot match, a static address with autojoin, a link-local VIP kept out by name and the other keywords of
//! daemon/src/not_run.rs) is refused, never run with that part missing: `-t` exits 3 where keepalived's
//! exits 0, the daemon does not start (in the foreground and when it forks), and a reload to
//! such a file keeps the running configuration. Each refusal names the place and what to do
//! instead. Needs root for the namespace lab; skips loudly without it.

mod common;

use std::process::Command;
use std::time::Duration;

use common::{lab_or_skip, ours_binary, wait_for, Conf};

const KEEPALIVED: &str = "/usr/sbin/keepalived";

/// One case: what is added to a working file, and the words its refusal must hold.
struct Case {
    what: &'static str,
    /// Added inside the instance.
    in_instance: &'static str,
    /// Added at the top level.
    top: &'static str,
    says: &'static str,
}

const CASES: &[Case] = &[
    Case {
        what: "use_vmac with a MAC address",
        in_instance: "    use_vmac vmac51 02:11:22:33:44:55\n",
        top: "",
        says: "use_vmac with a MAC address is not run by keepalived-rs; leave the MAC out",
    },
    Case {
        what: "use_ipvlan",
        in_instance: "    use_ipvlan ipvl1 10.9.0.50/24\n",
        top: "",
        says: "use_ipvlan is not run by keepalived-rs; remove it",
    },
    Case {
        what: "an IPv6 bfd_instance",
        in_instance: "    track_bfd {\n        b1\n    }\n",
        top: "bfd_instance b1 {\n    neighbor_ip fd09::2\n}\n",
        says: "bfd_instance b1: an IPv6 neighbor_ip is not run by keepalived-rs yet",
    },
    Case {
        what: "a virtual rule with a protocol's name keepalived-rs does not know",
        in_instance: "    virtual_rules {\n        from 10.9.0.100 ipproto ospf table 100 preference 100\n    }\n",
        top: "",
        says: "virtual rule: keepalived-rs cannot install a rule with ipproto ospf",
    },
    Case {
        what: "a virtual route with ttl-propagate",
        in_instance: "    virtual_routes {\n        192.0.2.0/24 dev eth0 ttl-propagate enabled\n    }\n",
        top: "",
        says: "keepalived-rs cannot install a route with ttl-propagate",
    },
    Case {
        what: "BFD_CHECK",
        in_instance: "",
        top: "bfd_instance b1 {\n    neighbor_ip 10.9.0.2\n}\nvirtual_server 10.9.0.100 80 {\n    lvs_sched rr\n    lvs_method DR\n    protocol TCP\n    real_server 10.9.0.3 80 {\n        BFD_CHECK {\n            name b1\n        }\n    }\n}\n",
        says: "BFD_CHECK is not run by keepalived-rs; check the real server with a TCP_CHECK",
    },
    Case {
        what: "nftables_ipvs with a virtual server of a group of addresses",
        in_instance: "",
        top: "global_defs {\n    nftables_ipvs\n}\nvirtual_server_group G {\n    10.9.0.100 80\n    10.9.0.101 80\n}\nvirtual_server group G {\n    lvs_sched rr\n    lvs_method DR\n    protocol TCP\n    real_server 10.9.0.3 80 {\n    }\n}\n",
        says: "nftables_ipvs is not run by keepalived-rs; remove it",
    },
    Case {
        what: "a back-reference in an HTTP_GET regex",
        in_instance: "",
        top: "virtual_server 10.9.0.100 80 {\n    lvs_sched rr\n    lvs_method DR\n    protocol TCP\n    real_server 10.9.0.3 80 {\n        HTTP_GET {\n            url {\n                path /\n                regex \"(ok)\\\\1\"\n            }\n        }\n    }\n}\n",
        says: "rewrite the regex without look-around or back-references",
    },
    Case {
        what: "a static address with autojoin",
        in_instance: "",
        top: "static_ipaddress {\n    10.9.0.200/24 dev eth0 autojoin\n}\n",
        says: "static address 10.9.0.200/24: keepalived-rs cannot install an address with autojoin",
    },
    Case {
        what: "a link-local VIP of an instance not in accept mode, with dont_track_primary",
        in_instance: "    no_accept\n    dont_track_primary\n    virtual_ipaddress_excluded {\n        fe80::77/64\n    }\n",
        top: "",
        says: "virtual address fe80::77/64: keepalived-rs cannot keep a link-local VIP out by interface name",
    },
    Case {
        what: "a virtual address with autojoin",
        in_instance: "    virtual_ipaddress {\n        239.9.9.9/32 autojoin\n    }\n",
        top: "",
        says: "virtual address 239.9.9.9/32: keepalived-rs cannot install an address with autojoin",
    },
    Case {
        what: "disable_local_igmp",
        in_instance: "",
        top: "global_defs {\n    disable_local_igmp\n}\n",
        says: "disable_local_igmp is not run by keepalived-rs; remove it and set the kernel's setting with sysctl",
    },
    Case {
        what: "reload_time_file",
        in_instance: "",
        top: "global_defs {\n    reload_time_file /nonexistent/keepalived.reload-time\n}\n",
        says: "reload_time_file is not run by keepalived-rs; remove it and schedule the reload",
    },
];

fn file(case: &Case) -> String {
    let conf = Conf {
        extra: case.in_instance.to_string(),
        ..Conf::v2("MASTER", 150)
    };
    format!("{}{}", case.top, conf.text())
}

/// `keepalived -t` passes each file (so the refusal is ours alone), `keepalived-rs -t` exits 3
/// with the place and what to do instead; the daemon, forking or in the foreground in a
/// namespace, does not start and says the same.
#[test]
fn netns_what_keepalived_rs_cannot_run_is_refused_at_test_and_start() {
    let Some(lab) = lab_or_skip(
        "netns_what_keepalived_rs_cannot_run_is_refused_at_test_and_start",
        "un",
        1,
    ) else {
        return;
    };
    let ns = lab.node(0).to_string();
    for (n, case) in CASES.iter().enumerate() {
        let path = lab.write(&format!("case{n}.conf"), &file(case));
        let path_s = path.to_str().unwrap();
        if std::path::Path::new(KEEPALIVED).exists() {
            let o = in_ns(&ns, KEEPALIVED, &["-t", "-f", path_s]);
            assert_eq!(
                o.status.code(),
                Some(0),
                "{}: keepalived 2.2.7 runs it: {}",
                case.what,
                text(&o)
            );
        } else {
            eprintln!("SKIP: keepalived 2.2.7 not installed: its -t verdict not compared");
        }
        let o = in_ns(&ns, ours_binary().to_str().unwrap(), &["-t", "-f", path_s]);
        let out = text(&o);
        assert_eq!(o.status.code(), Some(3), "{}: {out}", case.what);
        assert!(out.contains(case.says), "{}: {out}", case.what);
        assert!(
            out.contains(&format!("{path_s}:")),
            "{}: names the place: {out}",
            case.what
        );
        assert!(
            out.contains("keepalived-rs cannot run this configuration"),
            "{out}"
        );
        // Forking (the check is made before the daemon detaches, so the terminal sees it)
        // and in the foreground.
        for fg in [false, true] {
            let pid = lab.dir.join(format!("case{n}-{fg}.pid"));
            let vpid = lab.dir.join(format!("case{n}-{fg}-vrrp.pid"));
            let mut args = vec![
                "-f",
                path_s,
                "-p",
                pid.to_str().unwrap(),
                "-r",
                vpid.to_str().unwrap(),
            ];
            if fg {
                args.extend(["-n", "-l", "-G"]);
            }
            let o = in_ns(&ns, ours_binary().to_str().unwrap(), &args);
            let out = text(&o);
            assert_eq!(o.status.code(), Some(3), "{} (fg {fg}): {out}", case.what);
            assert!(out.contains(case.says), "{} (fg {fg}): {out}", case.what);
            assert!(!pid.exists(), "{}: no pid file", case.what);
        }
        assert!(!lab.has(&ns, "10.9.0.100"), "{}: no VIP", case.what);
    }
}

/// A reload to a file keepalived-rs cannot run is refused: the running instance keeps its VIP
/// and the log says why; the next good file is applied.
#[test]
fn netns_a_reload_to_what_keepalived_rs_cannot_run_is_refused() {
    let Some(lab) = lab_or_skip(
        "netns_a_reload_to_what_keepalived_rs_cannot_run_is_refused",
        "ur",
        1,
    ) else {
        return;
    };
    let ns = lab.node(0).to_string();
    let good = Conf::v2("MASTER", 150).text();
    let mut d = lab.start_ours(&ns, "ours", &good);
    assert!(
        wait_for(Duration::from_secs(15), || lab.has(&ns, "10.9.0.100")).is_some(),
        "{}",
        d.log_text()
    );
    lab.write("ours.conf", &file(&CASES[0]));
    d.signal(nix::sys::signal::Signal::SIGHUP);
    let refused = wait_for(Duration::from_secs(10), || {
        d.log_text().contains("reload refused")
    });
    let log = d.log_text();
    assert!(refused.is_some(), "{log}");
    assert!(log.contains(CASES[0].says), "{log}");
    std::thread::sleep(Duration::from_millis(500));
    assert!(d.running() && lab.has(&ns, "10.9.0.100"), "{log}");
    // Back to a file it can run, with a second VIP: applied.
    let two = Conf {
        vips: vec!["10.9.0.100/24", "10.9.0.101/24"],
        ..Conf::v2("MASTER", 150)
    };
    lab.write("ours.conf", &two.text());
    d.signal(nix::sys::signal::Signal::SIGHUP);
    assert!(
        wait_for(Duration::from_secs(10), || lab.has(&ns, "10.9.0.101")).is_some(),
        "{}",
        d.log_text()
    );
    assert_eq!(d.term(Duration::from_secs(10)), Some(0), "{}", d.log_text());
}

fn in_ns(ns: &str, bin: &str, args: &[&str]) -> std::process::Output {
    Command::new("ip")
        .args(["netns", "exec", ns, bin])
        .args(args)
        .output()
        .unwrap()
}

fn text(o: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}
