//! Which of keepalived's processes a log event would have come from. keepalived runs a parent, a
//! VRRP child, a checker child and a BFD child, each logging under its own syslog ident; keepalived-rs is one
//! process, so each event is attributed to the part of the daemon that emitted it: by its
//! tracing target (the module path), else by the thread it was emitted on.

/// The keepalived process an event belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Source {
    /// Start-up, signals, pid files, the configuration (keepalived's parent process).
    Parent,
    /// The VRRP side (keepalived's VRRP child).
    Vrrp,
    /// Health checkers and IPVS (keepalived's checker child).
    Checkers,
    /// BFD sessions (keepalived's BFD child).
    Bfd,
}

/// Module paths of the BFD loop.
const BFD_TARGETS: [&str; 2] = ["keepalived_rs::bfdd", "bfd"];

/// Module paths of the VRRP side.
const VRRP_TARGETS: [&str; 2] = ["keepalived_rs::vrrpd", "vrrp"];
/// Module paths of the LVS side.
const CHECKER_TARGETS: [&str; 4] = [
    "keepalived_rs::lvsd",
    "keepalived_rs::lvs",
    "checkers",
    "ipvs",
];
/// Threads that only run the LVS side (`daemon::start_lvs`, the IPVS reconciler's).
const CHECKER_THREADS: [&str; 2] = ["lvs", "ipvs"];

/// `target` is `module` or a module inside it.
fn within(target: &str, module: &str) -> bool {
    target
        .strip_prefix(module)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with("::"))
}

impl Source {
    /// The source of an event with tracing target `target`, emitted on a thread named `thread`.
    /// Events of other crates (netlink, tokio) are attributed by thread: the LVS side runs on
    /// threads of its own, everything else on the main thread.
    pub fn of(target: &str, thread: Option<&str>) -> Source {
        if BFD_TARGETS.iter().any(|m| within(target, m)) {
            Source::Bfd
        } else if VRRP_TARGETS.iter().any(|m| within(target, m)) {
            Source::Vrrp
        } else if CHECKER_TARGETS.iter().any(|m| within(target, m))
            || thread.is_some_and(|t| CHECKER_THREADS.contains(&t))
        {
            Source::Checkers
        } else {
            Source::Parent
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_and_threads_name_the_part() {
        assert_eq!(Source::of("keepalived_rs::vrrpd", None), Source::Vrrp);
        assert_eq!(
            Source::of("keepalived_rs::vrrpd::kernel", Some("lvs")),
            Source::Vrrp
        );
        assert_eq!(Source::of("vrrp::instance", None), Source::Vrrp);
        assert_eq!(Source::of("keepalived_rs::bfdd", None), Source::Bfd);
        assert_eq!(Source::of("keepalived_rs::bfdd::net", None), Source::Bfd);
        assert_eq!(Source::of("keepalived_rs::bfddx", None), Source::Parent);
        assert_eq!(Source::of("keepalived_rs::lvsd", None), Source::Checkers);
        assert_eq!(
            Source::of("checkers::engine", Some("main")),
            Source::Checkers
        );
        assert_eq!(Source::of("ipvs::reconciler", None), Source::Checkers);
        assert_eq!(
            Source::of("keepalived_rs::daemon", Some("main")),
            Source::Parent
        );
        assert_eq!(Source::of("keepalived_rs::signals", None), Source::Parent);
        // A module whose name merely starts like one of them is not inside it.
        assert_eq!(Source::of("keepalived_rs::lvs_extra", None), Source::Parent);
        assert_eq!(Source::of("vrrpx", None), Source::Parent);
        // Other crates' events: by thread.
        assert_eq!(
            Source::of("netlink_proto::connection", Some("ipvs")),
            Source::Checkers
        );
        assert_eq!(
            Source::of("netlink_proto::connection", Some("main")),
            Source::Parent
        );
    }
}
