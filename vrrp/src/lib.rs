//! VRRP (RFC 3768 / RFC 5798) as a sans-IO protocol core: [`packet`] encodes and decodes
//! advertisements, [`check`] holds the per-instance acceptance checks, [`drop`] the reasons a
//! packet is dropped with counters for them, and [`instance`] the state machine of one instance,
//! driven by [`Input`]s and a caller-supplied [`Time`], answering with [`Action`]s.
//! [`track`] turns tracked objects into a priority and Fault verdict, and [`sync_group`]
//! coordinates the members of a sync group. [`ah`] is VRRPv2's IP Authentication Header
//! (`auth_type AH`).

pub mod action;
pub mod ah;
pub mod check;
pub mod checksum;
pub mod drop;
pub mod instance;
pub mod packet;
pub mod sync_group;
pub mod timers;
pub mod track;

pub use action::{Action, Destination, Input, State};
pub use check::{check, check_ttl, Expected};
pub use drop::{DropCounters, DropKind, DropReason};
pub use instance::{ConfigError, Instance, InstanceConfig, ProtocolVersion, Restart, WantedState};
pub use packet::{decode, Advertisement, Auth, ChecksumMode, EncodeError, Version};
pub use sync_group::{MemberView, SyncGroup};
pub use clock::Time;
pub use timers::{master_down_interval, skew_time, TimerKind};
pub use track::{verdict_inputs, Status, Tracked, Tracking, TrackingVerdict, WeightError};
