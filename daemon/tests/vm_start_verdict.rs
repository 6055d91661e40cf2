//! The daemon starts where keepalived 2.2.7's daemon starts, for the files with virtual servers:
//! netns_start_verdict.rs's check (common/start.rs) on the kinds of common/kinds.rs that have
//! virtual servers, which need IPVS in the kernel (keepalived stops without it, and so does
//! ours). Each file goes to both daemons, each in a network namespace of its own (IPVS tables
//! are per namespace) whose one interface is `eth0`; the real servers do not answer, which
//! changes nothing to whether a daemon starts. The table is written to KARS_VM_OUT.
//!
//! Outside the test VM: one `SKIP:` line.

mod common;

use common::kinds::kinds;
use common::start::{cases, judge_all, measure};
use std::path::Path;

#[test]
fn vm_the_daemon_starts_where_keepalived_starts_with_virtual_servers() {
    let test = "vm_the_daemon_starts_where_keepalived_starts_with_virtual_servers";
    if !common::in_vm(test) {
        return;
    }
    assert!(
        Path::new(common::KEEPALIVED).exists(),
        "{} is missing in the VM",
        common::KEEPALIVED
    );
    let dir = std::env::temp_dir().join(format!("kars-vm-start-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let lvs: Vec<_> = kinds().into_iter().filter(|k| k.lvs()).collect();
    assert!(lvs.len() > 10, "only {} kinds with virtual servers", lvs.len());
    let all = cases(&lvs, &dir.join("kinds"));
    // Each run mostly waits (a daemon that starts is watched for 15 s): eight at a time, a
    // few of them starting at once on the emulated CPU.
    let measured = measure(&all, &dir, &format!("vs{}v", std::process::id()), 8);
    let (table, wrong) = judge_all(&all, &measured);
    eprintln!("{table}");
    if let Ok(out) = std::env::var("KARS_VM_OUT") {
        let _ = std::fs::write(Path::new(&out).join("vm_start_verdict.txt"), &table);
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n\n"));
    let _ = std::fs::remove_dir_all(&dir);
}
