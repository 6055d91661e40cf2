//! Helpers for the VM tests (see /work/briefs/vm-contract.md in the project's notes and
//! tests/vm/README.md): the IPVS check, a private network namespace per test, ipvsadm.

#![allow(dead_code)]

use std::process::Command;

/// True when IPVS is here. Without it: a loud SKIP on a plain host, a panic inside the VM
/// (KARS_VM=1), so a broken harness cannot pass silently.
pub fn ipvs_test_env(test: &str) -> bool {
    let have = std::path::Path::new("/proc/net/ip_vs").exists() || ipvs::Client::available();
    if have {
        return true;
    }
    if std::env::var("KARS_VM").as_deref() == Ok("1") {
        panic!("{test}: KARS_VM=1 but this kernel has no IPVS: the VM harness is broken");
    }
    eprintln!("SKIP: {test}: no IPVS in this kernel; these run in the VM: scripts/test-all vm");
    false
}

/// Run `body` (lo up) on a thread of its own in a fresh network namespace (IPVS tables are per
/// namespace, so tests cannot see each other's services). Child processes it starts inherit it.
pub fn in_netns<F: FnOnce() + Send + 'static>(body: F) {
    let t = std::thread::spawn(move || {
        nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWNET).expect("unshare(CLONE_NEWNET)");
        // A namespace without any local route has no local routing table, and the kernel then
        // refuses IPv4 real servers (EINVAL from its address-type check): bring lo up.
        let up = Command::new("ip")
            .args(["link", "set", "lo", "up"])
            .status()
            .expect("run ip");
        assert!(up.success(), "ip link set lo up");
        body();
    });
    if let Err(e) = t.join() {
        std::panic::resume_unwind(e);
    }
}

/// Run ipvsadm with these arguments; panics on failure. Returns stdout.
pub fn ipvsadm(args: &[&str]) -> String {
    let out = Command::new("/usr/sbin/ipvsadm")
        .args(args)
        .output()
        .expect("run ipvsadm");
    assert!(
        out.status.success(),
        "ipvsadm {args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8")
}
