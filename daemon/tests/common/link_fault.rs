//! An instance's tracking of a second interface, eth1 (a VIP's, a virtual route's `dev`): the
//! link taken down and up again under a MASTER, and what the daemon does about it.

use std::time::Duration;

use super::kernel_state::ip_ok;
use super::{wait_for, Lab};

/// `who` started on `conf` in `ns` (MASTER, its VIP 10.9.0.100), then eth1 down and up again.
/// `tracked`: FAULT while the link is down, the VIP gone, MASTER again once it is back; else
/// no FAULT at all. `case` names the run in the failures.
pub fn assert_eth1_down_is_a_fault(
    lab: &Lab,
    ns: &str,
    who: &str,
    conf: &str,
    tracked: bool,
    case: &str,
) {
    let mut d = lab.start_either(who, ns, conf);
    let has_vip = || lab.has(ns, "10.9.0.100");
    assert!(
        wait_for(Duration::from_secs(10), has_vip).is_some(),
        "{who}, {case}: {}",
        d.log_text()
    );
    ip_ok(&["-n", ns, "link", "set", "eth1", "down"]);
    let fault = wait_for(Duration::from_secs(3), || {
        d.log_text().contains("Entering FAULT STATE")
    });
    // The line is logged before the VIP is removed: wait for that too, while the link is still
    // down (a loaded machine made a look at once see the VIP still there).
    let vip_gone = fault.is_some() && wait_for(Duration::from_secs(3), || !has_vip()).is_some();
    ip_ok(&["-n", ns, "link", "set", "eth1", "up"]);
    assert_eq!(
        fault.is_some(),
        tracked,
        "{who}, {case}: FAULT with eth1 down\n{}",
        d.log_text()
    );
    if tracked {
        assert!(
            vip_gone,
            "{who}, {case}: the VIP is gone in FAULT\n{}",
            d.log_text()
        );
        assert!(
            wait_for(Duration::from_secs(10), has_vip).is_some(),
            "{who}, {case}: MASTER again once the link is back\n{}",
            d.log_text()
        );
    }
    assert_eq!(d.term(Duration::from_secs(10)), Some(0), "{}", d.log_text());
}
