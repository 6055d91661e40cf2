//! IPVS for keepalived-rs: plain types ([`types`]), the reconciler ([`plan`]: desired state and
//! the kernel's actual state in, the smallest list of operations out), the generic-netlink client
//! ([`netlink`], [`Client`]) and ipvsadm-compatible listings ([`listing`]).
//! Nothing here knows keepalived.conf: the daemon translates its model into [`Desired`].

pub mod listing;
pub mod netlink;
pub mod plan;
pub mod types;

pub use netlink::client::{Client, Error, Operation};
pub use plan::{plan, simulate, Op, Options, Ownership, Plan, StopPolicy};
pub use types::*;
