//! IPVS for keepalived-rs: plain types ([`types`]), the reconciler ([`plan`]: desired state and
//! the kernel's actual state in, the smallest list of operations out), the generic-netlink client
//! ([`netlink`], [`Client`]) and ipvsadm-compatible listings ([`listing`]).
//! Nothing here knows keepalived.conf: the daemon translates its model into [`Desired`].
//!
//! Reading the whole table costs one netlink dump per service (the kernel lists destinations
//! one service at a time), so a long-running reconciler keeps the table it last read, updates it
//! with [`simulate`] after each successful [`Client::apply`], plans changes against that copy,
//! and re-reads the kernel now and then to catch hand edits.

pub mod listing;
pub mod netlink;
pub mod plan;
pub mod types;

pub use netlink::client::{Client, Error, Operation};
pub use plan::{
    plan, plan_stop, simulate, ForeignReport, Op, Options, Ownership, Plan, StopPolicy,
};
pub use types::*;
