//! Syslog idents. keepalived 2.2.7 logs as `Keepalived` (parent), `Keepalived_vrrp`,
//! `Keepalived_healthcheckers` and `Keepalived_bfd` (its children); in a network namespace and/or with `instance NAME`
//! the ident gets `_NAMESPACE` and then `_INSTANCE` appended, once the configuration is read
//! (the parent says `Changing syslog ident to Keepalived_NS` under its old ident first).
//! All of this was captured from keepalived 2.2.7 (daemon/tests/data/keepalived-2.2.7/).

use super::source::Source;

/// Which names the daemon logs under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentStyle {
    /// keepalived's three idents (the default): rsyslog rules, `journalctl -t` and log shippers
    /// written for keepalived keep matching.
    Keepalived,
    /// `keepalived-rs` for every line (`--syslog-ident=keepalived-rs`).
    Own,
}

/// The idents in force: the style and the suffix the configuration adds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Idents {
    pub style: IdentStyle,
    suffix: String,
}

impl Idents {
    pub fn new(style: IdentStyle) -> Idents {
        Idents {
            style,
            suffix: String::new(),
        }
    }

    /// keepalived's suffix for a namespace and an `instance` name: `_NS`, `_INST`, `_NS_INST`.
    pub fn suffix(namespace: Option<&str>, instance: Option<&str>) -> String {
        [namespace, instance]
            .into_iter()
            .flatten()
            .map(|s| format!("_{s}"))
            .collect()
    }

    /// The idents once the configuration has named a namespace and/or an instance.
    pub fn with_suffix(&self, namespace: Option<&str>, instance: Option<&str>) -> Idents {
        Idents {
            style: self.style,
            suffix: Idents::suffix(namespace, instance),
        }
    }

    /// The ident of an event from `source`.
    pub fn of(&self, source: Source) -> String {
        let base = match (self.style, source) {
            (IdentStyle::Own, _) => "keepalived-rs",
            (IdentStyle::Keepalived, Source::Parent) => "Keepalived",
            (IdentStyle::Keepalived, Source::Vrrp) => "Keepalived_vrrp",
            (IdentStyle::Keepalived, Source::Checkers) => "Keepalived_healthcheckers",
            (IdentStyle::Keepalived, Source::Bfd) => "Keepalived_bfd",
        };
        format!("{base}{}", self.suffix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keepalived_idents_with_namespace_and_instance() {
        let i = Idents::new(IdentStyle::Keepalived);
        assert_eq!(i.of(Source::Parent), "Keepalived");
        assert_eq!(i.of(Source::Vrrp), "Keepalived_vrrp");
        assert_eq!(i.of(Source::Checkers), "Keepalived_healthcheckers");
        assert_eq!(i.of(Source::Bfd), "Keepalived_bfd");
        let ns = i.with_suffix(Some("blue"), None);
        assert_eq!(ns.of(Source::Parent), "Keepalived_blue");
        assert_eq!(ns.of(Source::Vrrp), "Keepalived_vrrp_blue");
        let both = i.with_suffix(Some("blue"), Some("inst1"));
        assert_eq!(both.of(Source::Vrrp), "Keepalived_vrrp_blue_inst1");
        let inst = i.with_suffix(None, Some("inst1"));
        assert_eq!(inst.of(Source::Checkers), "Keepalived_healthcheckers_inst1");
        let own = Idents::new(IdentStyle::Own).with_suffix(Some("blue"), None);
        assert_eq!(own.of(Source::Vrrp), "keepalived-rs_blue");
    }
}
