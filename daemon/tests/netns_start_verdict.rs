//! The daemon starts where keepalived 2.2.7's daemon starts, and runs what it runs: every kind of
//! finding of common/kinds.rs without virtual servers (those need IPVS: vm_start_verdict.rs),
//! and keepalived's sample configurations without virtual servers, go to both daemons (started
//! without `-t`), each in a network namespace whose one interface is `eth0`.
//!
//! For each file: keepalived starts or stops as recorded in kinds.rs; ours does the same (the
//! exceptions are listed in common/start.rs, with docs/compat.md's reason); where keepalived
//! runs on with a fallback, the recorded fallback (the same file with the fallback written out)
//! gives keepalived the same data dump, and ours the same model; and each error ours runs on is
//! logged at its file:line:col. The table of what was measured is printed.
//!
//! Without root, `ip` or keepalived: one `SKIP:` line.

mod common;

use common::kinds::{kinds, sample_files, samples};
use common::start::{cases, judge_all, measure, Case};
use std::path::Path;

#[test]
fn netns_the_daemon_starts_where_keepalived_starts() {
    let test = "netns_the_daemon_starts_where_keepalived_starts";
    let keepalived = Path::new(common::KEEPALIVED);
    if !keepalived.exists() {
        return eprintln!(
            "SKIP: {test}: {} not installed (Debian package keepalived)",
            keepalived.display()
        );
    }
    if let Some(why) = common::cannot_run() {
        return eprintln!("SKIP: {test}: {why}");
    }
    let dir = std::env::temp_dir().join(format!("kars-start-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let vrrp: Vec<_> = kinds().into_iter().filter(|k| !k.lvs()).collect();
    let mut all = cases(&vrrp, &dir.join("kinds"));
    match samples() {
        Some(s) => all.extend(sample_files(&s).into_iter().filter_map(|p| {
            let text = std::fs::read_to_string(&p).ok()?;
            (!text.contains("virtual_server")).then(|| Case {
                name: p.strip_prefix(&s).unwrap().display().to_string(),
                path: p,
                as_if: None,
                expected: None,
            })
        })),
        None => eprintln!(
            "SKIP: {test}: keepalived's samples not found (set KARS_SHARED to the shared/ folder); the kinds only"
        ),
    }
    let prefix = format!("st{}v", std::process::id());
    let measured = measure(&all, &dir, &prefix, 16);
    let (table, wrong) = judge_all(&all, &measured);
    eprintln!("{table}");
    assert!(wrong.is_empty(), "{}", wrong.join("\n\n"));
    let _ = std::fs::remove_dir_all(&dir);
}
