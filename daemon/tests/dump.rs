//! `keepalived-rs config dump` of the classic LVS-DR director pair in etc/, checked value by value:
//! this JSON is the contract that tests, the daemon and users' tooling read.

use serde_json::{json, Value};
use std::path::Path;
use std::process::Command;

/// The warning for nb_get_retry in a TCP_CHECK, which keepalived 2.2.7 ignores there.
const IGNORED: &str = "nb_get_retry is read only in HTTP_GET and SSL_GET; here keepalived \
                       ignores it, and so does keepalived-rs: retry stays at its default";

fn dump(name: &str) -> (Value, String, String) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../etc")
        .join(name);
    let o = Command::new(env!("CARGO_BIN_EXE_keepalived-rs"))
        .args(["config", "dump", "-f"])
        .arg(&path)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(o.status.code(), Some(0), "{stderr}");
    (
        serde_json::from_slice(&o.stdout).expect("JSON"),
        stderr,
        path.display().to_string(),
    )
}

fn check_pair_member(name: &str, state: &str, priority: u64, router_id: &str) {
    let (d, stderr, file) = dump(name);
    assert_eq!(d["global_defs"]["router_id"], router_id);

    let vi = &d["vrrp_instance"];
    assert_eq!(vi.as_array().unwrap().len(), 1);
    let vi = &vi[0];
    assert_eq!(vi["name"], "VI_1");
    assert_eq!(vi["state"], state);
    assert_eq!(vi["interface"], "eth0");
    assert_eq!(vi["virtual_router_id"], 41);
    assert_eq!(vi["priority"], priority);
    assert_eq!(vi["advert_int"], 1);
    assert_eq!(vi["version"], 2);
    assert_eq!(vi["authentication"]["auth_type"], "PASS");
    assert_eq!(vi["authentication"]["auth_pass"], "1111");
    assert_eq!(vi["virtual_ipaddress"].as_array().unwrap().len(), 1);
    assert_eq!(vi["virtual_ipaddress"][0]["address"], "192.168.55.150/32");
    assert_eq!(vi["origin"], json!({"file": file, "line": 10, "col": 1}));

    let vs = &d["virtual_server"];
    assert_eq!(vs.as_array().unwrap().len(), 1);
    let vs = &vs[0];
    assert_eq!(vs["address"], "192.168.55.150");
    assert_eq!(vs["port"], 80);
    assert_eq!(vs["delay_loop"], 6);
    assert_eq!(vs["lvs_sched"], "rr");
    assert_eq!(vs["lvs_method"]["method"], "DR");
    assert_eq!(vs["persistence_timeout"], 10);
    assert_eq!(vs["protocol"], "TCP");
    assert_eq!(vs["origin"], json!({"file": file, "line": 25, "col": 1}));

    let rs = vs["real_server"].as_array().unwrap();
    assert_eq!(rs.len(), 2);
    for (r, (addr, line)) in rs
        .iter()
        .zip([("192.168.55.141", 32), ("192.168.55.142", 41)])
    {
        assert_eq!(r["address"], addr);
        assert_eq!(r["port"], 80);
        assert_eq!(r["weight"], 1);
        assert_eq!(r["origin"], json!({"file": file, "line": line, "col": 5}));
        let checkers = r["checkers"].as_array().unwrap();
        assert_eq!(checkers.len(), 1);
        let c = &checkers[0];
        assert_eq!(c["checker"], "TCP_CHECK");
        assert_eq!(c["connect_ip"], addr);
        assert_eq!(c["connect_port"], 80);
        assert_eq!(c["connect_timeout"], 5);
        assert_eq!(
            c["retry"], 1,
            "nb_get_retry means nothing in a TCP_CHECK (keepalived 2.2.7): retry keeps its default"
        );
        assert_eq!(c["delay_before_retry"], 3);
        assert_eq!(c["delay_loop"], 6, "inherited from the virtual server");
        assert_eq!(
            c["origin"],
            json!({"file": file, "line": line + 2, "col": 9})
        );
    }

    // Canonical keywords only: the legacy spellings of the file are not in the dump...
    let text = d.to_string();
    for legacy in ["lb_algo", "lb_kind", "nb_get_retry"] {
        assert!(!text.contains(legacy), "{legacy} in the dump");
    }
    // ...and each one was reported where it was written (the same one twice: once, with where
    // the other is).
    let warnings: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains(": warning: ") || l.contains("= note: "))
        .collect();
    assert_eq!(
        warnings,
        [
            format!("{file}:27:5: warning: 'lb_algo' is a legacy spelling of 'lvs_sched'"),
            format!("{file}:28:5: warning: 'lb_kind' is a legacy spelling of 'lvs_method'"),
            format!("{file}:37:13: warning: {IGNORED}"),
            format!("   = note: 2 times in all; also at {file}:46:13"),
        ]
    );
}

#[test]
fn master_config_dumps_value_by_value() {
    check_pair_member("keepalived-lvs-dr-master.conf", "MASTER", 100, "LVS_MASTER");
}

#[test]
fn backup_config_dumps_value_by_value() {
    check_pair_member("keepalived-lvs-dr-backup.conf", "BACKUP", 90, "LVS_BACKUP");
}

/// keepalived 2.2.7's -t fails the classic pair (nb_get_retry is unknown inside TCP_CHECK), and
/// so does ours by default; --lenient passes it (no errors), --strict fails it.
#[test]
fn both_configs_get_keepalived_s_verdict() {
    for name in [
        "keepalived-lvs-dr-master.conf",
        "keepalived-lvs-dr-backup.conf",
    ] {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../etc")
            .join(name);
        for (flags, code) in [
            (&["-t"][..], 5),
            (&["-t", "--lenient"], 0),
            (&["-t", "--strict"], 5),
        ] {
            let o = Command::new(env!("CARGO_BIN_EXE_keepalived-rs"))
                .args(flags)
                .arg("-f")
                .arg(&path)
                .output()
                .unwrap();
            assert_eq!(
                o.status.code(),
                Some(code),
                "{flags:?}: {}",
                String::from_utf8_lossy(&o.stderr)
            );
        }
    }
}
