//! IPVS for keepalived-rs: plain types ([`types`]), the reconciler ([`plan`]: desired state and
//! the kernel's actual state in, the smallest list of operations out), the generic-netlink client
//! ([`netlink`], [`Client`]) and ipvsadm-compatible listings ([`listing`]).
//! Nothing here knows keepalived.conf: the daemon translates its model into [`Desired`].
//!
//! Reading the whole table costs one netlink dump per service (the kernel lists destinations
//! one service at a time), so the long-running [`reconciler::Reconciler`] reads from the kernel
//! only the services whose desired state changed ([`Client::state_of`]), fresh each time, and
//! compares the rest of the table a slice at a time (the sweep), which catches hand edits
//! elsewhere without reading the whole table in one burst.

pub mod listing;
pub mod netlink;
pub mod plan;
pub mod reconciler;
pub mod sync_daemon;
pub mod types;

pub use netlink::client::{Client, Error, Operation};
pub use plan::{
    plan, plan_stop, simulate, ForeignReport, Op, Options, Ownership, Plan, StopPolicy,
};
pub use reconciler::{Kernel, Pass, PassKind, Reconciler};
pub use sync_daemon::{plan_daemons, DaemonOp};
pub use types::*;
