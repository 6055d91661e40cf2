//! Health checkers of real servers, and what their results do to virtual servers.
//!
//! - [`engine`]: the keepalived timing rules (warmup, delay_loop, retry x delay_before_retry,
//!   alpha, log_all_failures), every checker in one tokio task (one schedule, TCP connects in
//!   batches), checkers started and stopped by id, results as ordered [`CheckEvent`]s on an
//!   mpsc channel; each check's duration in a shared [`Latency`] ([`latency`]: fixed-bucket
//!   histograms of atomic counters).
//! - The probes, each a [`Probe`]: [`tcp`] (TCP_CHECK), [`http`] (HTTP_GET, and SSL_GET with
//!   [`ssl`]; url regex in [`body_regex`]), [`misc`] (MISC_CHECK), [`dns`] (DNS_CHECK), [`udp`]
//!   (UDP_CHECK), [`smtp`] (SMTP_CHECK), [`ping`] (PING_CHECK), [`file`](mod@file) (FILE_CHECK).
//! - [`effects`]: pure; folds check events into each virtual server's desired destinations and
//!   weights (inhibit_on_failure, dynamic weights, quorum, hysteresis, sorry server) and the
//!   ordered notify events.
//!
//! This crate knows nothing of the configuration syntax: the daemon builds its plain types.

pub mod body_regex;
pub mod dns;
pub mod effects;
pub mod engine;
pub mod file;
pub mod http;
pub mod latency;
pub mod misc;
pub mod ping;
pub mod smtp;
pub mod ssl;
pub mod tcp;
pub mod udp;

pub use engine::{
    spawn_checker, CheckEvent, CheckerId, CheckerSet, CheckerSpec, DynamicWeight, Engine,
    EventKind, Failure, Probe, ProbeFuture, ProbeResult, Success, Timing,
};
pub use latency::Latency;
