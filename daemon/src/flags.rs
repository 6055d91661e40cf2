//! keepalived's flags beyond what clap checks: the values checked before the daemon does
//! anything (`-S`). A bad value stops the program at once, with one line and [`EXIT_REFUSED`].

use crate::cli::KeepalivedArgs;
use crate::logging::{syslog, IdentStyle};

/// keepalived's exit status for an option it rejects ("Unknown option", exit 1).
pub const EXIT_REFUSED: u8 = 1;

/// Values of keepalived's flags, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    /// `-S`, LOG_DAEMON by default.
    pub facility: u8,
    pub ident: IdentStyle,
}

/// Checks the values keepalived takes loosely (it logs a complaint and goes on with its
/// default; keepalived-rs stops, so that a typo in a unit file is seen at once).
pub fn check(k: &KeepalivedArgs) -> Result<Checked, String> {
    let facility = match k.log_facility.as_deref() {
        Some(f) => syslog::facility(f)?,
        None => syslog::DAEMON,
    };
    let ident = match k.syslog_ident.as_str() {
        "keepalived-rs" => IdentStyle::Own,
        _ => IdentStyle::Keepalived,
    };
    Ok(Checked { facility, ident })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn args(a: &[&str]) -> KeepalivedArgs {
        crate::cli::Cli::parse_from(std::iter::once("keepalived-rs").chain(a.iter().copied()))
            .keepalived
    }

    #[test]
    fn values_are_checked() {
        let c = check(&args(&["-S", "local3"])).unwrap();
        assert_eq!(c.facility, 19);
        assert_eq!(c.ident, IdentStyle::Keepalived);
        assert_eq!(check(&args(&[])).unwrap().facility, 3);
        assert!(check(&args(&["-S", "LOCAL3"]))
            .unwrap_err()
            .contains("local0-local7"));
        let own = check(&args(&["--syslog-ident=keepalived-rs"])).unwrap();
        assert_eq!(own.ident, IdentStyle::Own);
    }
}
