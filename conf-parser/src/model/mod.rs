//! The typed model of a keepalived configuration: what the daemon runs from, what `config dump`
//! prints, and (later) what a reload diffs against. Field names are keepalived's canonical keyword
//! names, so the JSON dump reads like the configuration.
//!
//! The model is split by the subsystem that consumes it, and the parts are flattened into one
//! JSON object: [`global::GlobalPart`] (global_defs and root-level settings), [`vrrp::VrrpPart`]
//! (VRRP instances, sync groups, trackers, static addresses), [`lvs::LvsPart`] (virtual servers,
//! real servers, checkers). The daemon hands each part to its subsystem.

use serde::Serialize;

pub mod global;
pub mod lvs;
pub mod vrrp;

pub use crate::source::Origin;

/// A program keepalived runs, with the user and group to run it as (`SCRIPT [USER [GROUP]]`).
/// The command is one word in the configuration, quoted when it has arguments.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ScriptCommand {
    pub origin: Origin,
    /// The program and its arguments, split as keepalived splits the command before running it
    /// (blanks separate, quotes group, a backslash keeps the next character). Empty only for a
    /// bare `notify_deleted`.
    pub command: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
}

pub use crate::values::{IpPrefix, Timer};

#[derive(Clone, Debug, Default, Serialize)]
pub struct Config {
    #[serde(flatten)]
    pub global: global::GlobalPart,
    #[serde(flatten)]
    pub vrrp: vrrp::VrrpPart,
    #[serde(flatten)]
    pub lvs: lvs::LvsPart,
}
