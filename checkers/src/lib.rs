//! Health checkers of real servers, and what their results do to virtual servers.
//!
//! - [`engine`]: the keepalived timing rules (warmup, delay_loop, retry x delay_before_retry,
//!   alpha, log_all_failures), one tokio task per checker, results as ordered [`CheckEvent`]s on
//!   an mpsc channel.
//! - The probes: [`tcp`] (TCP_CHECK), [`http`] (HTTP_GET), [`misc`] (MISC_CHECK).
//! - [`effects`]: pure; folds check events into each virtual server's desired destinations and
//!   weights (inhibit_on_failure, quorum, hysteresis, sorry server) and the ordered notify events.
//!
//! This crate knows nothing of the configuration syntax: the daemon builds its plain types.

pub mod body_regex;
pub mod dns;
pub mod effects;
pub mod engine;
pub mod file;
pub mod http;
pub mod misc;
pub mod ping;
pub mod smtp;
pub mod ssl;
pub mod tcp;
pub mod udp;

pub use engine::{
    spawn_checker, CheckEvent, CheckerId, DynamicWeight, EventKind, Probe, ProbeFuture,
    ProbeResult, Success, Timing,
};
