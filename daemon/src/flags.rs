//! keepalived's flags beyond what clap checks: the ones keepalived-rs refuses, each with what to
//! do instead, and the values checked before the daemon does anything (`-S`, `-u`). A refused
//! flag or a bad value stops the program at once, with one line and [`EXIT_REFUSED`].
//! The flag-by-flag record is docs/compat.md's flag table; daemon/tests/netns_flags.rs asserts it.

use conf_parser::Config;

use crate::cli::KeepalivedArgs;
use crate::logging::{syslog, IdentStyle};

/// keepalived's exit status for an option it rejects ("Unknown option", exit 1).
pub const EXIT_REFUSED: u8 = 1;

const ONLY_RFCV2: &str = "keepalived-rs serves only RFC 2787's VRRP-MIB over AgentX \
                          (enable_snmp_rfcv2), not KEEPALIVED-MIB nor VRRPv3-MIB";
const INSTEAD_OF_SNMP: &str = "write enable_snmp_rfcv2 in global_defs for VRRP-MIB, follow VRRP \
                               state changes with notify scripts (notify, notify_master, ...) \
                               and IPVS counters with `keepalived-rs ipvs list --stats`";
const NO_DBUS: &str = "keepalived-rs has no DBus interface";
const INSTEAD_OF_DBUS: &str = "follow VRRP state changes with notify scripts (notify, \
                               notify_master, ...)";

/// The first flag keepalived-rs refuses, as the line to print.
pub fn refused(k: &KeepalivedArgs) -> Option<String> {
    // -x turns on every MIB keepalived was built with (KEEPALIVED-MIB's VRRP and checker
    // parts, VRRP-MIB, VRRPv3-MIB): taking it for VRRP-MIB alone would serve less than asked.
    if k.snmp {
        return Some(format!(
            "-x (--snmp): it turns on every SNMP MIB and {ONLY_RFCV2}; remove -x and \
             {INSTEAD_OF_SNMP}"
        ));
    }
    if let Some(socket) = &k.snmp_agent_socket {
        if let Err(e) = crate::snmp::transport::parse(&socket.to_string_lossy()) {
            return Some(format!("-A (--snmp-agent-socket): {e}"));
        }
    }
    if k.perf.is_some() {
        return Some(
            "--perf: only keepalived's debug builds record perf data (Debian's keepalived \
             rejects it too); profile keepalived-rs with `perf record -p PID` instead"
                .into(),
        );
    }
    if k.debug.is_some() {
        return Some(
            "--debug: only keepalived's debug builds have debug options (Debian's keepalived \
             rejects it too); use -D for detailed log lines"
                .into(),
        );
    }
    if k.no_mem_check {
        return Some(
            "--no-mem-check: only keepalived's debug builds check memory (Debian's keepalived \
             rejects it too); keepalived-rs has no such checks: remove the flag"
                .into(),
        );
    }
    None
}

/// The configuration's keywords keepalived-rs refuses to run with (SNMP beyond VRRP-MIB, DBus),
/// and an `snmp_socket` it cannot use, one line each.
pub fn refused_keywords(config: &Config) -> Vec<String> {
    let d = &config.global.global_defs;
    let at = d
        .origin
        .as_ref()
        .map(|o| format!("global_defs at {o}: "))
        .unwrap_or_default();
    let mut out = Vec::new();
    for (on, keyword) in [
        (d.enable_snmp_vrrp, "enable_snmp_vrrp"),
        (d.enable_snmp_checker, "enable_snmp_checker"),
        (d.enable_snmp_rfc, "enable_snmp_rfc"),
        (
            d.enable_snmp_rfcv3 && !d.enable_snmp_rfc,
            "enable_snmp_rfcv3",
        ),
        (d.enable_traps, "enable_traps"),
    ] {
        if on {
            out.push(format!(
                "{at}{keyword}: {ONLY_RFCV2}; remove {keyword} and {INSTEAD_OF_SNMP}"
            ));
        }
    }
    if d.enable_snmp_rfcv2 {
        if let Some(Err(e)) = d.snmp_socket.as_deref().map(crate::snmp::transport::parse) {
            out.push(format!("{at}{e}"));
        }
    }
    if d.enable_dbus {
        out.push(format!(
            "{at}enable_dbus: {NO_DBUS}; remove enable_dbus and {INSTEAD_OF_DBUS}"
        ));
    }
    out
}

/// Values of keepalived's flags, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    /// `-S`, LOG_DAEMON by default.
    pub facility: u8,
    /// `-u`.
    pub umask: Option<u32>,
    pub ident: IdentStyle,
}

/// Checks the values keepalived takes loosely (it logs a complaint and goes on with its
/// default; keepalived-rs stops, so that a typo in a unit file is seen at once).
pub fn check(k: &KeepalivedArgs) -> Result<Checked, String> {
    let facility = match k.log_facility.as_deref() {
        Some(f) => syslog::facility(f)?,
        None => syslog::DAEMON,
    };
    let umask = match k.umask.as_deref() {
        Some(u) => Some(umask(u).ok_or_else(|| {
            format!(
                "-u {u}: not a umask; write it in decimal, 0octal or 0xhex (as C's strtoul), \
                 at most 0777, such as 022"
            )
        })?),
        None => None,
    };
    let ident = match k.syslog_ident.as_str() {
        "keepalived-rs" => IdentStyle::Own,
        _ => IdentStyle::Keepalived,
    };
    Ok(Checked {
        facility,
        umask,
        ident,
    })
}

/// `-u`'s number as keepalived reads it: decimal, 0octal or 0xhex (`22` is 026, `022` is 022).
pub fn umask(text: &str) -> Option<u32> {
    let value = if let Some(hex) = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        u32::from_str_radix(hex, 16).ok()?
    } else if text.len() > 1 && text.starts_with('0') {
        u32::from_str_radix(&text[1..], 8).ok()?
    } else {
        text.parse::<u32>().ok()?
    };
    (value <= 0o777 && !text.starts_with('+')).then_some(value)
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
    fn umask_is_read_as_keepalived_reads_it() {
        // keepalived 2.2.7: -u 022 -> 0022, -u 22 -> 0026, -u 0x12 -> 0022, -u 0 -> 0000.
        assert_eq!(umask("022"), Some(0o22));
        assert_eq!(umask("22"), Some(0o26));
        assert_eq!(umask("0x12"), Some(0o22));
        assert_eq!(umask("0"), Some(0));
        assert_eq!(umask("0177"), Some(0o177));
        for bad in ["888", "abc", "", "0x", "01000", "-1", "+22", "09"] {
            assert_eq!(umask(bad), None, "{bad}");
        }
    }

    #[test]
    fn refused_flags_say_what_to_do_instead() {
        for (a, want) in [
            (&["-x"][..], "remove -x and write enable_snmp_rfcv2"),
            (&["--perf"][..], "perf record"),
            (&["--perf=all"][..], "perf record"),
            (&["--debug=DvEcvNR"][..], "-D"),
            (&["--no-mem-check"][..], "remove the flag"),
        ] {
            let line = refused(&args(a)).unwrap_or_else(|| panic!("{a:?} accepted"));
            assert!(line.contains(want), "{a:?}: {line}");
            assert!(!line.contains('\n'), "one line: {line}");
        }
        assert_eq!(refused(&args(&["-n", "-l", "-D", "-P"])), None);
        assert_eq!(
            refused(&args(&["-A", "/tmp/agentx"])),
            None,
            "the socket of VRRP-MIB"
        );
    }

    #[test]
    fn values_are_checked() {
        let c = check(&args(&["-S", "local3", "-u", "022"])).unwrap();
        assert_eq!((c.facility, c.umask), (19, Some(0o22)));
        assert_eq!(c.ident, IdentStyle::Keepalived);
        assert_eq!(check(&args(&[])).unwrap().facility, 3);
        assert!(check(&args(&["-S", "LOCAL3"]))
            .unwrap_err()
            .contains("local0-local7"));
        assert!(check(&args(&["-u", "abc"])).unwrap_err().contains("0777"));
        let own = check(&args(&["--syslog-ident=keepalived-rs"])).unwrap();
        assert_eq!(own.ident, IdentStyle::Own);
    }

    #[test]
    fn snmp_and_dbus_keywords_are_refused() {
        let text = "global_defs {\n enable_snmp_vrrp\n enable_snmp_rfc\n enable_dbus\n}\n";
        let parsed = conf_parser::parse_str("t.conf", text, &conf_parser::Options::default());
        let lines = refused_keywords(&parsed.config);
        assert_eq!(lines.len(), 3, "{lines:?}");
        assert!(
            lines[0].starts_with("global_defs at t.conf:1:1: enable_snmp_vrrp:"),
            "{lines:?}"
        );
        assert!(lines[1].contains("enable_snmp_rfc:"), "{lines:?}");
        assert!(
            lines[2].contains("enable_dbus: keepalived-rs has no DBus"),
            "{lines:?}"
        );
        assert!(
            lines[1].contains("enable_snmp_rfcv2 in global_defs"),
            "{lines:?}"
        );
        let parse = |t: &str| conf_parser::parse_str("t.conf", t, &conf_parser::Options::default());
        let plain = parse("global_defs {\n snmp_socket tcp:1.2.3.4\n}\n");
        assert!(refused_keywords(&plain.config).is_empty());
        let v2 = parse("global_defs {\n enable_snmp_rfcv2\n snmp_socket unix:/run/agentx\n}\n");
        assert!(
            refused_keywords(&v2.config).is_empty(),
            "VRRP-MIB is served"
        );
        let bad = parse("global_defs {\n enable_snmp_rfcv2\n snmp_socket udp:1.2.3.4:705\n}\n");
        let lines = refused_keywords(&bad.config);
        assert!(
            lines[0].contains("udp transport is not supported"),
            "{lines:?}"
        );
    }
}
