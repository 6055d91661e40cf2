//! The VM harness seen from a test binary (tests/vm/README.md, the `vm` suite of scripts/test-all):
//! a `vm_*` test target runs in the guest with KARS_VM=1, IPVS loaded, the results directory
//! KARS_VM_OUT writable, cwd = its package directory, and the host's paths unchanged (so the
//! binary under test and ipvsadm are where cargo and Debian put them). Outside the VM each test
//! prints one `SKIP:` line and passes; inside it, anything missing is a failure.

use std::path::Path;
use std::process::Command;

/// True in the test VM. Outside it, says why the test does nothing (one `SKIP:` line).
fn in_vm(test: &str) -> bool {
    if std::env::var("KARS_VM").as_deref() == Ok("1") {
        // With KARS_VM=1 a kernel without IPVS is a broken harness, never a reason to skip.
        assert!(
            Path::new("/proc/net/ip_vs").exists(),
            "KARS_VM=1 but this kernel has no IPVS (/proc/net/ip_vs): the harness booted the wrong kernel or did not load ip_vs"
        );
        return true;
    }
    eprintln!("SKIP: {test}: not in the test VM; these run in the VM: scripts/test-all vm");
    false
}

fn sh(script: &str) -> std::process::Output {
    Command::new("/bin/sh")
        .arg("-c")
        .arg(script)
        .output()
        .expect("run /bin/sh")
}

#[test]
fn results_directory_is_writable_and_cwd_is_the_package() {
    if !in_vm("results_directory_is_writable_and_cwd_is_the_package") {
        return;
    }
    let out = std::env::var("KARS_VM_OUT").expect("KARS_VM_OUT is set in the VM");
    let file = Path::new(&out).join("vm_harness.txt");
    std::fs::write(&file, "written in the guest\n").expect("write to KARS_VM_OUT");
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        "written in the guest\n"
    );
    assert_eq!(
        std::env::current_dir().unwrap().canonicalize().unwrap(),
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .canonicalize()
            .unwrap()
    );
}

#[test]
fn binary_under_test_runs_in_the_guest() {
    if !in_vm("binary_under_test_runs_in_the_guest") {
        return;
    }
    let o = Command::new(env!("CARGO_BIN_EXE_keepalived-rs"))
        .arg("--version")
        .output()
        .expect("run keepalived-rs");
    assert!(o.status.success(), "keepalived-rs --version: {o:?}");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(text.contains(env!("CARGO_PKG_VERSION")), "{text}");
}

#[test]
fn ipvs_service_in_a_namespace_of_its_own() {
    if !in_vm("ipvs_service_in_a_namespace_of_its_own") {
        return;
    }
    // IPVS tables are per network namespace: a namespace of the test's own cannot clash with
    // other tests in the same boot, and nothing leaks out of it. A new namespace's loopback is
    // down, and then the kernel refuses a NAT destination ("address not unicast"): bring it up.
    let o = sh("set -e
        ip netns add kars-vmh
        ip -n kars-vmh link set lo up
        ip netns exec kars-vmh ipvsadm -A -t 10.9.0.1:80 -s wlc
        ip netns exec kars-vmh ipvsadm -a -t 10.9.0.1:80 -r 10.9.0.2:8080 -m -w 3
        ip netns exec kars-vmh ipvsadm -Ln
        echo --
        ipvsadm -Ln");
    let _ = sh("ip netns del kars-vmh");
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let (inside, outside) = text.split_once("--\n").unwrap();
    assert!(inside.contains("TCP  10.9.0.1:80 wlc\n"), "{inside}");
    assert!(
        inside.contains("  -> 10.9.0.2:8080                Masq    3      0          0"),
        "{inside}"
    );
    assert!(
        !outside.contains("10.9.0.1"),
        "the namespace's service leaked out: {outside}"
    );
}
