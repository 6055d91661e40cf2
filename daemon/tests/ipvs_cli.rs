//! `keepalived-rs ipvs ...` where the kernel has no IPVS (these machines): clear errors and
//! keepalived's exit codes, never a panic. The real-kernel behaviour is in vm_ipvs_cli.rs.

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_keepalived-rs");

fn write(name: &str, text: &str) -> std::path::PathBuf {
    let p = std::env::temp_dir().join(format!("kars-ipvs-cli-{}-{name}", std::process::id()));
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn a_config_with_errors_is_refused_before_the_kernel_is_touched() {
    let f = write(
        "bad.conf",
        "virtual_server 192.0.2.1 80 {\n    lvs_sched nosuch\n}\n",
    );
    let o = Command::new(BIN)
        .args(["ipvs", "sync", "-f"])
        .arg(&f)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(4), "{err}");
    assert!(err.contains("nothing done"), "{err}");
}

#[test]
fn without_ipvs_sync_and_list_say_so() {
    if std::path::Path::new("/proc/net/ip_vs").exists() {
        eprintln!("SKIP: without_ipvs_sync_and_list_say_so: this kernel has IPVS");
        return;
    }
    let f = write("ok.conf", "virtual_server 192.0.2.1 80 {\n    protocol TCP\n    real_server 10.0.0.1 80 {\n    }\n}\n");
    let o = Command::new(BIN)
        .args(["ipvs", "sync", "-f"])
        .arg(&f)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(3), "{err}");
    assert!(err.contains("no IPVS in this kernel"), "{err}");
    let o = Command::new(BIN)
        .args(["ipvs", "list", "-n"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("no IPVS in this kernel"), "{err}");
}

#[test]
fn list_rejects_a_bad_service_argument() {
    let o = Command::new(BIN)
        .args(["ipvs", "list", "-n", "-t", "not-an-address:80"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("illegal virtual server address"));
}
