//! The VRRP part of the model: what the VRRP subsystem runs from. VRRP instances and the
//! objects they track (scripts, files, processes, BFD sessions, sync groups), GARP pacing
//! groups, and the static addresses, routes and rules keepalived installs and keeps (the
//! `track_group` blocks those may name are in the global part).
//!
//! Every collection keeps the order of the configuration; named blocks carry their `name`, and
//! references between blocks are by name (checked once the whole file is read).

use serde::{Serialize, Serializer};

mod instance;
mod ip;
mod track;

pub use instance::*;
pub use ip::*;
pub use track::*;

#[derive(Clone, Debug, Default, Serialize)]
pub struct VrrpPart {
    pub static_ipaddress: Vec<IpAddress>,
    pub static_routes: Vec<Route>,
    pub static_rules: Vec<Rule>,
    pub track_file: Vec<TrackFile>,
    pub vrrp_script: Vec<VrrpScript>,
    pub vrrp_track_process: Vec<TrackProcess>,
    pub bfd_instance: Vec<BfdInstance>,
    pub vrrp_sync_group: Vec<SyncGroup>,
    pub garp_group: Vec<GarpGroup>,
    pub vrrp_instance: Vec<VrrpInstance>,
}

/// An address family, spelt as `ip -f` spells it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Family {
    #[default]
    Inet,
    Inet6,
}

impl Family {
    pub fn of(addr: &std::net::IpAddr) -> Family {
        if addr.is_ipv4() {
            Family::Inet
        } else {
            Family::Inet6
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Family::Inet => "inet",
            Family::Inet6 => "inet6",
        }
    }

    /// "IPv4" / "IPv6", for messages.
    pub fn label(self) -> &'static str {
        match self {
            Family::Inet => "IPv4",
            Family::Inet6 => "IPv6",
        }
    }
}

impl Serialize for Family {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// The keywords written in a block, with where: resolution and semantic checks need to know
/// whether a value was given or defaulted, and where to point. Not part of the dump.
#[derive(Clone, Debug, Default)]
pub struct Written(Vec<(&'static str, crate::source::Span)>);

impl Written {
    /// Records `keyword` at `span`; a later statement replaces an earlier one.
    pub fn set(&mut self, keyword: &'static str, span: crate::source::Span) {
        match self.0.iter_mut().find(|(k, _)| *k == keyword) {
            Some(entry) => entry.1 = span,
            None => self.0.push((keyword, span)),
        }
    }

    pub fn get(&self, keyword: &str) -> Option<crate::source::Span> {
        self.0.iter().find(|(k, _)| *k == keyword).map(|(_, s)| *s)
    }

    pub fn has(&self, keyword: &str) -> bool {
        self.get(keyword).is_some()
    }
}
