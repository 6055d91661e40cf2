//! Keywords the parser reads (so their values are checked and `config dump` shows them) but that
//! change nothing in keepalived-rs, each said once where it is written, never accepted in
//! silence:
//!
//! - keywords keepalived 2.2.7 does not know (later versions added them): 2.2.7 logs `Unknown
//!   keyword`, ignores them and its `-t` fails; keepalived-rs ignores them too, with a warning
//!   that fails `-t` the same way;
//! - process and buffer tuning that has no meaning for keepalived-rs's one process: a warning
//!   saying why, which keepalived's `-t` has no counterpart for (it passes).
//!
//! docs/compat.md's "Accepted without effect" table lists the same keywords and reasons; the
//! behaviours keepalived-rs lacks are refused by the daemon instead (daemon/src/not_run.rs).

use super::Cx;
use crate::tree::Node;

/// The keywords keepalived 2.2.7 does not know, by block.
const NOT_IN_2_2_7: &[(&str, &str)] = &[
    ("global_defs", "vrrp_delay_after_boot"),
    ("global_defs", "vrrp_owner_ignore_adverts"),
    ("global_defs", "use_symlink_paths"),
    ("global_defs", "vrrp_ipsets"),
    ("global_defs", "iproute_usr_dir"),
    ("global_defs", "iproute_etc_dir"),
    ("vrrp_instance", "timer_expired_backup"),
    ("vrrp_instance", "thread_timer_expired"),
    ("vrrp_instance", "owner_ignore_adverts"),
    ("vrrp_instance", "auth_hmac"),
];

const ONE_PROCESS: &str = "keepalived-rs is one process, not a parent with VRRP, checker and BFD \
                           children";
const BUFFERS: &str = "keepalived-rs sizes its netlink and VRRP receive buffers itself and counts \
                       what the kernel drops (keepalived.data, metrics)";

const LINK: &str = "keepalived-rs follows every interface's link state through rtnetlink's link \
                    events (the carrier as the driver reports it), never by polling MII or ethtool";

/// The tuning keywords that mean nothing for keepalived-rs, by block, with why.
const TUNING: &[(&str, &str, &str)] = &[
    ("global_defs", "process_names", ONE_PROCESS),
    ("global_defs", "process_name", ONE_PROCESS),
    ("global_defs", "vrrp_process_name", ONE_PROCESS),
    ("global_defs", "checker_process_name", ONE_PROCESS),
    ("global_defs", "lvs_process_name", ONE_PROCESS),
    ("global_defs", "bfd_process_name", ONE_PROCESS),
    ("global_defs", "vrrp_priority", ONE_PROCESS),
    ("global_defs", "checker_priority", ONE_PROCESS),
    ("global_defs", "bfd_priority", ONE_PROCESS),
    ("global_defs", "vrrp_no_swap", ONE_PROCESS),
    ("global_defs", "checker_no_swap", ONE_PROCESS),
    ("global_defs", "bfd_no_swap", ONE_PROCESS),
    ("global_defs", "vrrp_rt_priority", ONE_PROCESS),
    ("global_defs", "checker_rt_priority", ONE_PROCESS),
    ("global_defs", "bfd_rt_priority", ONE_PROCESS),
    ("global_defs", "vrrp_cpu_affinity", ONE_PROCESS),
    ("global_defs", "checker_cpu_affinity", ONE_PROCESS),
    ("global_defs", "bfd_cpu_affinity", ONE_PROCESS),
    ("global_defs", "vrrp_rlimit_rttime", ONE_PROCESS),
    ("global_defs", "vrrp_rlimit_rtime", ONE_PROCESS),
    ("global_defs", "checker_rlimit_rttime", ONE_PROCESS),
    ("global_defs", "checker_rlimit_rtime", ONE_PROCESS),
    ("global_defs", "bfd_rlimit_rttime", ONE_PROCESS),
    ("global_defs", "bfd_rlimit_rtime", ONE_PROCESS),
    ("global_defs", "max_auto_priority", ONE_PROCESS),
    ("global_defs", "min_auto_priority_delay", ONE_PROCESS),
    (
        "global_defs",
        "tmp_config_directory",
        "keepalived-rs keeps no copy of the configuration for child processes",
    ),
    (
        "global_defs",
        "random_seed",
        "keepalived-rs's VRRP timers are not drawn from a seeded generator",
    ),
    (
        "global_defs",
        "reload_check_config",
        "keepalived-rs always checks a new file completely before a reload applies it, and logs \
         the findings (not to a file of their own)",
    ),
    ("global_defs", "vrrp_netlink_cmd_rcv_bufs", BUFFERS),
    ("global_defs", "vrrp_netlink_cmd_rcv_bufs_force", BUFFERS),
    ("global_defs", "vrrp_netlink_monitor_rcv_bufs", BUFFERS),
    (
        "global_defs",
        "vrrp_netlink_monitor_rcv_bufs_force",
        BUFFERS,
    ),
    ("global_defs", "lvs_netlink_cmd_rcv_bufs", BUFFERS),
    ("global_defs", "lvs_netlink_cmd_rcv_bufs_force", BUFFERS),
    ("global_defs", "lvs_netlink_monitor_rcv_bufs", BUFFERS),
    ("global_defs", "lvs_netlink_monitor_rcv_bufs_force", BUFFERS),
    ("global_defs", "process_monitor_rcv_bufs", BUFFERS),
    ("global_defs", "process_monitor_rcv_bufs_force", BUFFERS),
    ("global_defs", "vrrp_rx_bufs_policy", BUFFERS),
    ("global_defs", "vrrp_rx_bufs_multiplier", BUFFERS),
    ("vrrp_instance", "kernel_rx_buf_size", BUFFERS),
    ("", "linkbeat_interfaces", LINK),
    (
        "vrrp_instance",
        "track_src_ip",
        "keepalived 2.2.7 does nothing with it either (measured: an instance whose \
         unicast_src_ip or mcast_src_ip is missing at start, or removed later, runs on and keeps \
         sending from it, as without track_src_ip)",
    ),
    ("vrrp_instance", "linkbeat_use_polling", LINK),
];

/// The block a context names: `vrrp_instance VI_1` is a `vrrp_instance`.
fn block(context: &str) -> &str {
    context.split(' ').next().unwrap_or(context)
}

/// Whether a message is one of [`note`]'s: the decoders' own tests, which assert every other
/// finding exactly, leave these out (this module's tests check them).
#[cfg(test)]
pub(crate) fn is_note(message: &str) -> bool {
    message.contains("is not a keyword of keepalived 2.2.7 (later versions added it)")
        || message.contains("has no effect in keepalived-rs: ")
}

/// Says, at the keyword, that `node` changes nothing in keepalived-rs (see the module's lists).
pub(super) fn note(cx: &mut Cx, context: &str, node: &Node) {
    let block = block(context);
    let name = node.name();
    if NOT_IN_2_2_7.iter().any(|&(b, k)| b == block && k == name) {
        cx.warning(
            node.keyword.span,
            format!(
                "'{name}' is not a keyword of keepalived 2.2.7 (later versions added it): \
                 keepalived 2.2.7 ignores it, and so does keepalived-rs"
            ),
        )
        .with_help("remove it; docs/compat.md says what later versions do with it")
        .daemon_runs_on();
    } else if let Some((_, _, why)) = TUNING.iter().find(|&&(b, k, _)| b == block && k == name) {
        cx.warning(
            node.keyword.span,
            format!("'{name}' has no effect in keepalived-rs: {why}"),
        )
        .with_help("it can stay (keepalived still reads it) or go; docs/compat.md lists these")
        .keepalived_passes()
        .daemon_runs_on();
    }
}

#[cfg(test)]
mod tests {
    use crate::{parse_str, KeepalivedTest, Level};

    fn findings(text: &str) -> Vec<(Level, KeepalivedTest, String)> {
        parse_str("k.conf", text, &crate::Options::default())
            .diags
            .iter()
            .map(|d| (d.level, d.keepalived, d.message.clone()))
            .collect()
    }

    #[test]
    fn a_keyword_keepalived_2_2_7_does_not_know_is_said_and_fails_its_test() {
        let f = findings(
            "global_defs {\n vrrp_delay_after_boot 5\n}\nvrrp_instance VI_1 {\n interface eth0\n \
             virtual_router_id 1\n priority 255\n owner_ignore_adverts\n virtual_ipaddress {\n \
             10.0.0.1\n }\n}\n",
        );
        for k in ["vrrp_delay_after_boot", "owner_ignore_adverts"] {
            let hit = f
                .iter()
                .find(|(_, _, m)| {
                    m.contains(&format!("'{k}' is not a keyword of keepalived 2.2.7"))
                })
                .unwrap_or_else(|| panic!("{k}: {f:?}"));
            assert_eq!(hit.0, Level::Warning);
            assert_eq!(
                hit.1,
                KeepalivedTest::Fails,
                "keepalived 2.2.7's -t exits 5 on it"
            );
        }
    }

    #[test]
    fn process_tuning_is_said_to_have_no_effect_and_passes_keepalived_s_test() {
        let f = findings("global_defs {\n vrrp_rt_priority 10\n vrrp_no_swap\n}\n");
        for k in ["vrrp_rt_priority", "vrrp_no_swap"] {
            let hit = f
                .iter()
                .find(|(_, _, m)| m.contains(&format!("'{k}' has no effect in keepalived-rs")))
                .unwrap_or_else(|| panic!("{k}: {f:?}"));
            assert_eq!(hit.1, KeepalivedTest::Passes);
        }
        let f = findings("linkbeat_interfaces {\n eth0\n}\n");
        assert!(
            f.iter()
                .any(|(_, _, m)| m.contains("'linkbeat_interfaces' has no effect")),
            "{f:?}"
        );
        // keepalived 2.2.7 accepts track_src_ip and does nothing with it (measured).
        let f = findings(
            "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 1\n priority 100\n \
             mcast_src_ip 10.0.0.5\n track_src_ip\n virtual_ipaddress {\n 10.0.0.1\n }\n}\n",
        );
        let hit = f
            .iter()
            .find(|(_, _, m)| m.contains("'track_src_ip' has no effect in keepalived-rs"))
            .unwrap_or_else(|| panic!("{f:?}"));
        assert_eq!(hit.1, KeepalivedTest::Passes);
        // Not in other blocks' words: `priority` in an instance is no tuning.
        assert!(!findings("vrrp_instance VI_1 {\n priority 100\n}\n")
            .iter()
            .any(|(_, _, m)| m.contains("no effect")));
    }
}
