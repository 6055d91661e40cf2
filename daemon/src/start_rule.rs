//! Whether the daemon starts on a configuration: where keepalived 2.2.7's daemon starts, with
//! the same fallbacks, and not where it does not (`conf_parser::KeepalivedDaemon`, measured by
//! daemon/tests/netns_start_verdict.rs). An error keepalived's daemon has not been measured on
//! is not started on: keepalived-rs does not guess what keepalived would run instead.
//! `--strict` refuses every finding.
//!
//! A reload is stricter: it refuses every error, fallbacks included, and keeps the running
//! configuration (`reload::load`; docs/compat.md says why).

use conf_parser::{KeepalivedDaemon, Level, Parsed};
use std::path::Path;

/// The checks against this host (interfaces, scripts, users) on `parsed`, with what keepalived's
/// daemon drops dropped from the model (`conf_parser::host`). Call it in the network namespace
/// the daemon runs in. Nothing is checked on a configuration that cannot run at all.
pub fn check_host(parsed: &mut Parsed) {
    if parsed.diags.worst() == Some(Level::Fatal) {
        return;
    }
    conf_parser::host::check(
        &mut parsed.config,
        &crate::host::System::default(),
        &mut parsed.diags,
    );
}

/// [`check_host`] as the daemon (start and reload) reads the findings: a warning keepalived's
/// daemon does not start on (a missing interface) is an error here. (`-t` keeps its own verdict,
/// `--lenient` included.)
pub fn check_for_daemon(parsed: &mut Parsed) {
    check_host(parsed);
    parsed.diags.promote_daemon_stops();
}

/// The daemon's decision: `Err` with the line that says why it does not start, or `Ok` with a
/// line to log when it runs on errors with keepalived's fallbacks.
pub fn decide(parsed: &Parsed, file: &Path, strict: bool) -> Result<Option<String>, String> {
    let refusals: Vec<_> = parsed.diags.refusals(strict).collect();
    if !refusals.is_empty() {
        let at = |d: &conf_parser::Diagnostic| match d.span {
            Some(s) => parsed.sources.origin(s).to_string(),
            None => "(no location)".to_string(),
        };
        let why = |d: &conf_parser::Diagnostic| match (strict, d.daemon) {
            (true, _) => "--strict",
            (false, KeepalivedDaemon::Stops) => "keepalived does not start on it either",
            (false, _) => "what keepalived runs instead is not known to keepalived-rs",
        };
        const SHOWN: usize = 5;
        let mut list: Vec<String> = refusals
            .iter()
            .take(SHOWN)
            .map(|d| format!("{} ({})", at(d), why(d)))
            .collect();
        if refusals.len() > SHOWN {
            list.push(format!("and {} more", refusals.len() - SHOWN));
        }
        return Err(format!(
            "configuration {} has errors, not starting: {}",
            file.display(),
            list.join(", ")
        ));
    }
    let errors = parsed.diags.count(Level::Error);
    Ok((errors > 0).then(|| {
        format!(
            "configuration {} has {errors} error{}; running on as keepalived 2.2.7 does, with the \
             fallbacks each one names (--strict does not start on errors)",
            file.display(),
            if errors == 1 { "" } else { "s" }
        )
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str, strict: bool) -> Parsed {
        let mut p = conf_parser::parse_str(
            "t.conf",
            text,
            &conf_parser::Options {
                config_id: "x".into(),
                ..Default::default()
            },
        );
        if strict {
            p.diags.promote_warnings();
        }
        p
    }

    const INSTANCE: &str = "vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 51\n  priority 300\n  virtual_ipaddress {\n    10.0.0.1\n  }\n}\n";

    #[test]
    fn a_fallback_keepalived_runs_on_is_run_on_unless_strict() {
        let f = Path::new("t.conf");
        let p = parse(INSTANCE, false);
        assert_eq!(
            decide(&p, f, false),
            Ok(Some("configuration t.conf has 1 error; running on as keepalived 2.2.7 does, with the fallbacks each one names (--strict does not start on errors)".into()))
        );
        let p = parse(INSTANCE, true);
        assert_eq!(
            decide(&p, f, true),
            Err("configuration t.conf has errors, not starting: t.conf:4:12 (--strict)".into())
        );
        // Clean: nothing to say.
        let p = parse(&INSTANCE.replace("300", "100"), false);
        assert_eq!(decide(&p, f, false), Ok(None));
    }

    #[test]
    fn a_missing_interface_is_an_error_the_daemon_does_not_start_on() {
        let f = Path::new("t.conf");
        let text = INSTANCE
            .replace("eth0", "kars-none9")
            .replace("priority 300", "priority 100");
        let mut p = parse(&text, false);
        check_for_daemon(&mut p);
        let found: Vec<_> = p.diags.iter().map(|d| (d.level, d.daemon)).collect();
        assert_eq!(found, [(Level::Error, KeepalivedDaemon::Stops)]);
        assert_eq!(
            decide(&p, f, false),
            Err("configuration t.conf has errors, not starting: t.conf:2:3 (keepalived does not start on it either)".into())
        );
        // -t's own check leaves it a warning (its verdict, and --lenient's, decide).
        let mut p = parse(&text, false);
        check_host(&mut p);
        assert_eq!(p.diags.worst(), Some(Level::Warning));
    }

    #[test]
    fn what_keepalived_stops_on_and_what_is_not_measured_are_not_started_on() {
        let f = Path::new("t.conf");
        let text = INSTANCE.replace("  virtual_router_id 51\n", "")
            + "global_defs {\n  vrrp_down_timer_adverts 0\n}\n";
        let p = parse(&text, false);
        assert_eq!(
            decide(&p, f, false),
            Err("configuration t.conf has errors, not starting: t.conf:9:27 (what keepalived runs instead is not known to keepalived-rs), t.conf:1:1 (keepalived does not start on it either)".into())
        );
    }
}
