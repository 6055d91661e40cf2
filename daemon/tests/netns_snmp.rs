//! RFC 2787's VRRP-MIB over AgentX (`enable_snmp_rfcv2`), walked with net-snmp's snmpwalk
//! through an snmpd of the test's own (AgentX master on a socket in the lab's directory),
//! keepalived-rs and keepalived 2.2.7 each on the same file beside a peer, the socket given
//! with `-A` (which wins over the file's `snmp_socket`): every variable
//! keepalived serves, keepalived-rs serves with the same value (uptimes and advert counts
//! loosely); keepalived-rs serves every row where keepalived 2.2.7 serves only the first of
//! each column (docs/compat.md, "SNMP"); after the peer's death the backup row shows its
//! failover; a set is refused. Needs root, snmpd and snmpwalk; skips loudly without them.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{daemons_to_compare, lab_or_skip, wait_for, Daemon, Lab};

const MIB: &str = ".1.3.6.1.2.1.68";
/// Rows of the first instance (VRID 51) and of the second (52); ifIndex is eth0's.
const OPER: &str = ".1.3.6.1.2.1.68.1.3.1";
const STATS: &str = ".1.3.6.1.2.1.68.2.4.1";

/// The socket is given with `-A`, which wins over `snmp_socket` in both daemons.
fn tested_conf() -> String {
    format!(
        "global_defs {{
    router_id tested
    enable_snmp_rfcv2
    snmp_socket unix:/nonexistent/agentx
}}
vrrp_instance VI_A {{
    state BACKUP
    interface eth0
    virtual_router_id 51
    priority 100
    advert_int 1
    nopreempt
    virtual_ipaddress {{
        10.9.0.100/24
        10.9.0.101
    }}
}}
vrrp_instance VI_B {{
    state MASTER
    interface eth0
    virtual_router_id 52
    priority 150
    advert_int 1
    authentication {{
        auth_type PASS
        auth_pass s3cret
    }}
    virtual_ipaddress {{
        10.9.0.102/24
    }}
}}
vrrp_instance VI_6 {{
    state MASTER
    interface eth0
    virtual_router_id 53
    priority 150
    advert_int 1
    virtual_ipaddress {{
        fe80::53/64
        fd09::53/64
    }}
}}
"
    )
}

const PEER: &str = "global_defs {
    router_id peer
}
vrrp_instance VI_A {
    state MASTER
    interface eth0
    virtual_router_id 51
    priority 200
    advert_int 1
    virtual_ipaddress {
        10.9.0.100/24
        10.9.0.101
    }
}
vrrp_instance VI_B {
    state BACKUP
    interface eth0
    virtual_router_id 52
    priority 100
    advert_int 1
    authentication {
        auth_type PASS
        auth_pass s3cret
    }
    virtual_ipaddress {
        10.9.0.102/24
    }
}
";

fn have_net_snmp(test: &str) -> bool {
    for tool in ["snmpd", "snmpwalk", "snmpset"] {
        let found = ["/usr/sbin", "/usr/bin"]
            .iter()
            .any(|d| Path::new(d).join(tool).exists());
        if !found {
            eprintln!("SKIP: {test}: no {tool} (Debian's snmpd and snmp packages)");
            return false;
        }
    }
    true
}

/// An snmpd in `ns`: AgentX master on `socket`, SNMP on 127.0.0.1:161 (communities public,
/// read-only, and private, read-write: a set reaches the subagent).
fn start_snmpd(lab: &Lab, ns: &str, who: &str, socket: &Path) -> Daemon {
    let conf = lab.write(
        &format!("snmpd-{who}.conf"),
        &format!(
            "master agentx\nagentXSocket unix:{}\nagentaddress udp:127.0.0.1:161\n\
             rocommunity public 127.0.0.1\nrwcommunity private 127.0.0.1\n",
            socket.display()
        ),
    );
    let mut cmd = Command::new("ip");
    cmd.args([
        "netns",
        "exec",
        ns,
        "snmpd",
        "-f",
        "-Lo",
        "-C",
        "-M",
        "/nonexistent",
        "-c",
    ])
    .arg(&conf)
    .arg("-p")
    .arg(lab.dir.join(format!("snmpd-{who}.pid")));
    let d = Daemon::spawn_for_test(&mut cmd, lab.dir.join(format!("snmpd-{who}.log")));
    // Its last line of start-up, once it listens: a subagent that finds the socket bound but
    // not yet listening would wait out its 15 s before trying again.
    d.wait_log("NET-SNMP version", Duration::from_secs(10));
    assert!(
        socket.exists(),
        "snmpd made no AgentX socket:\n{}",
        d.log_text()
    );
    d
}

/// `snmpwalk -On` of the VRRP-MIB: OID -> "TYPE: value".
fn walk(ns: &str) -> BTreeMap<String, String> {
    let out = Command::new("ip")
        .args([
            "netns", "exec", ns, "snmpwalk", "-v2c", "-c", "public", "-On", "-m", "",
        ])
        .args(["-M", "/nonexistent", "localhost", MIB])
        .stderr(Stdio::null())
        .output()
        .expect("snmpwalk");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let (oid, v) = l.split_once(" = ")?;
            Some((oid.to_string(), v.trim().to_string()))
        })
        .collect()
}

/// The walk once `ready` holds of it (for up to 5 s; the last walk then).
fn walk_until(
    ns: &str,
    ready: impl Fn(&BTreeMap<String, String>) -> bool,
) -> BTreeMap<String, String> {
    let mut last = BTreeMap::new();
    let _ = wait_for(Duration::from_secs(5), || {
        last = walk(ns);
        ready(&last)
    });
    last
}

fn snmpset(ns: &str, oid: &str) -> String {
    let out = Command::new("ip")
        .args([
            "netns", "exec", ns, "snmpset", "-v2c", "-c", "private", "-On", "-m", "",
        ])
        .args(["-M", "/nonexistent", "localhost", oid, "i", "2"])
        .output()
        .expect("snmpset");
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Values that differ by nature between two runs: compared by their type and being non-zero.
fn loose(oid: &str) -> bool {
    oid.starts_with(&format!("{OPER}.13.")) || oid.starts_with(&format!("{STATS}.2."))
}

fn same(oid: &str, k: &str, r: &str) -> bool {
    if !loose(oid) {
        return k == r;
    }
    let kind = |v: &str| v.split(':').next().unwrap_or("").to_string();
    let counter_moved = |v: &str| !oid.starts_with(STATS) || !v.ends_with(": 0");
    kind(k) == kind(r) && counter_moved(k) == counter_moved(r)
}

struct Walks {
    settled: BTreeMap<String, String>,
    failed_over: BTreeMap<String, String>,
    set: String,
}

fn run(lab: &Lab, who: &str) -> Walks {
    let (tested, peer) = (lab.node(0), lab.node(1));
    let socket = lab.dir.join(format!("agentx-{who}.sock"));
    let _snmpd = start_snmpd(lab, tested, who, &socket);
    let mut p = lab.start_ours(peer, &format!("peer-of-{who}"), PEER);
    let a = format!("unix:{}", socket.display());
    let d = if who == "keepalived" {
        let conf = lab.write("keepalived.conf", &tested_conf());
        let mut cmd = Command::new("ip");
        cmd.args([
            "netns",
            "exec",
            tested,
            common::KEEPALIVED,
            "-n",
            "-l",
            "-D",
            "-P",
        ])
        .args(["-A", &a, "-f"])
        .arg(conf)
        .arg("-p")
        .arg(lab.dir.join("keepalived.pid"))
        .arg("-r")
        .arg(lab.dir.join("keepalived-vrrp.pid"))
        // Every pid file its own, as the lab's: one under /run elsewhere must not make it
        // "already running".
        .arg("-c")
        .arg(lab.dir.join("keepalived-checkers.pid"))
        .arg("-b")
        .arg(lab.dir.join("keepalived-bfd.pid"));
        Daemon::spawn_for_test(&mut cmd, lab.dir.join("keepalived.log"))
    } else {
        lab.start_ours_with_socket(tested, who, &tested_conf(), &["-A", &a])
    };
    d.wait_log("AgentX subagent connected", Duration::from_secs(10));
    d.wait_log("(VI_B) Entering MASTER STATE", Duration::from_secs(10));
    // The walk once the snapshot has VI_B's transition and a few of the peer's adverts for
    // VI_A (one a second): the log line comes before the snapshot is published.
    let settled = walk_until(tested, |w| {
        w.get(&format!("{STATS}.2.2.51"))
            .is_some_and(|v| !v.ends_with(": 0"))
            && w.get(&format!("{OPER}.3.2.52")).map(String::as_str) != Some("INTEGER: 2")
    });
    let set = snmpset(tested, &format!("{OPER}.4.2.51"));
    // The peer goes: VI_A fails over to the tested node.
    p.kill9();
    d.wait_log("(VI_A) Entering MASTER STATE", Duration::from_secs(10));
    let failed_over = walk_until(tested, |w| {
        w.get(&format!("{OPER}.3.2.51")).map(String::as_str) == Some("INTEGER: 3")
    });
    Walks {
        settled,
        failed_over,
        set,
    }
}

#[test]
fn netns_snmp_vrrp_mib_walks_as_keepalived_s() {
    let test = "netns_snmp_vrrp_mib_walks_as_keepalived_s";
    if !have_net_snmp(test) {
        return;
    }
    let Some(lab) = lab_or_skip(test, "sn", 2) else {
        return;
    };
    let whos = daemons_to_compare();
    let walks: Vec<(&str, Walks)> = whos.iter().map(|w| (*w, run(&lab, w))).collect();
    let ours = &walks[0].1;
    let row = |w: &BTreeMap<String, String>, k: &str| w.get(k).cloned().unwrap_or_default();

    // Ours on its own: every row of the IPv4 VRRPv2 instances, none of the IPv6 one.
    let s = &ours.settled;
    assert_eq!(row(s, &format!("{MIB}.1.1.0")), "INTEGER: 2", "{s:#?}");
    assert_eq!(row(s, &format!("{MIB}.1.2.0")), "INTEGER: 2", "no traps");
    assert_eq!(row(s, &format!("{OPER}.3.2.51")), "INTEGER: 2", "backup(2)");
    assert_eq!(row(s, &format!("{OPER}.3.2.52")), "INTEGER: 3", "master(3)");
    assert_eq!(row(s, &format!("{OPER}.6.2.51")), "INTEGER: 2");
    assert_eq!(row(s, &format!("{OPER}.7.2.51")), "IpAddress: 10.9.0.2");
    assert_eq!(row(s, &format!("{OPER}.8.2.52")), "IpAddress: 10.9.0.1");
    assert_eq!(row(s, &format!("{OPER}.9.2.52")), "INTEGER: 2", "PASS");
    assert_eq!(
        row(s, &format!("{OPER}.12.2.51")),
        "INTEGER: 2",
        "nopreempt"
    );
    assert_eq!(row(s, &format!("{OPER}.12.2.52")), "INTEGER: 1");
    assert_eq!(
        row(s, &format!("{OPER}.2.2.51")),
        "Hex-STRING: 02 00 00 00 00 01",
        "the interface's MAC"
    );
    assert!(
        !s.keys().any(|k| k.starts_with(&format!("{OPER}.10."))),
        "no key"
    );
    assert!(!s.keys().any(|k| k.ends_with(".53")), "no IPv6 row: {s:#?}");
    for vip in ["51.10.9.0.100", "51.10.9.0.101", "52.10.9.0.102"] {
        assert_eq!(row(s, &format!("{MIB}.1.4.1.2.2.{vip}")), "INTEGER: 1");
    }
    assert_eq!(row(s, &format!("{STATS}.1.2.51")), "Counter32: 0");
    let f = &ours.failed_over;
    assert_eq!(row(f, &format!("{OPER}.3.2.51")), "INTEGER: 3", "{f:#?}");
    assert_eq!(row(f, &format!("{STATS}.1.2.51")), "Counter32: 1");
    assert_eq!(
        row(f, &format!("{OPER}.7.2.51")),
        "IpAddress: 10.9.0.2",
        "the master last heard, kept"
    );
    assert!(ours.set.contains("notWritable"), "{}", ours.set);

    // keepalived 2.2.7's every variable, ours alike; its rows are a subset of ours.
    if let Some((_, k)) = walks.get(1) {
        for (name, kw, rw) in [
            ("settled", &k.settled, &ours.settled),
            ("failed over", &k.failed_over, &ours.failed_over),
        ] {
            assert!(kw.len() > 20, "keepalived's {name} walk: {kw:#?}");
            for (oid, kv) in kw {
                let rv = rw.get(oid).map(String::as_str).unwrap_or("(missing)");
                assert!(
                    same(oid, kv, rv),
                    "{name}: {oid}: keepalived {kv}, keepalived-rs {rv}"
                );
            }
        }
        assert!(k.set.contains("notWritable"), "keepalived: {}", k.set);
    }
}
