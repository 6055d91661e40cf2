//! VRRP (RFC 3768 / RFC 5798) as a sans-IO protocol core. This first slice is the packet codec:
//! [`packet`] encodes and decodes advertisements, [`check`] holds the per-instance acceptance
//! checks, and [`drop`] the reasons a packet is dropped with counters for them. The state machine
//! comes next (see issue 4 and docs/architecture.md).

pub mod check;
pub mod checksum;
pub mod drop;
pub mod packet;

pub use check::{check, Expected};
pub use drop::{DropCounters, DropKind, DropReason};
pub use packet::{decode, Advertisement, Auth, ChecksumMode, EncodeError, Version};
