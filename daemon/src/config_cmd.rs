//! `-t` / `config test` and `config dump`: read the configuration, show its diagnostics, and
//! give a verdict as an exit code.
//!
//! By default the verdict is keepalived 2.2.7's: a finding its own `-t` fails on fails ours
//! (`conf_parser::KeepalivedTest`), with the exit codes it was measured to use (5, and 6 for
//! scripts without script security; docs/compat.md). `--lenient` fails on errors only,
//! `--strict` on every warning too.

use conf_parser::{Level, Options, Parsed};
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

/// Exit codes of `-t`, as keepalived 2.2.7 returns them (its man page documents 3, 4 and 5;
/// the program returns 5 and 6 for what the man page calls 4 and 5).
pub const EXIT_OK: u8 = 0;
/// The configuration cannot be run at all: no file, unbalanced braces (the man page's 3).
pub const EXIT_CANNOT_RUN: u8 = 3;
/// Configuration errors (keepalived would run after dropping or defaulting what is wrong).
pub const EXIT_ERRORS: u8 = 5;
/// Scripts configured without `enable_script_security` ("SECURITY VIOLATION").
pub const EXIT_SECURITY: u8 = 6;
/// `config diff`: the new file has errors (a reload would be refused).
const EXIT_DIFF_NEW_HAS_ERRORS: u8 = 4;

/// Which findings fail `-t`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Those keepalived 2.2.7's `-t` fails on (the default).
    Keepalived,
    /// Errors only: unknown keywords, legacy spellings and the like pass.
    Lenient,
    /// Every warning too.
    Strict,
}

impl Verdict {
    pub fn from_flags(strict: bool, lenient: bool) -> Verdict {
        match (strict, lenient) {
            (true, _) => Verdict::Strict,
            (false, true) => Verdict::Lenient,
            (false, false) => Verdict::Keepalived,
        }
    }
}

/// The config id when `-i` is not given: the host name up to its first dot, as keepalived.
pub fn default_config_id() -> String {
    let host = gethostname::gethostname().to_string_lossy().into_owned();
    host.split('.').next().unwrap_or_default().to_string()
}

pub fn load(file: &Path, config_id: Option<&str>, strict: bool, all_config: bool) -> Parsed {
    let opts = Options {
        config_id: config_id.map_or_else(default_config_id, str::to_string),
        all_config,
    };
    let mut parsed = conf_parser::parse_file(file, &opts);
    if strict {
        parsed.diags.promote_warnings();
    }
    parsed
}

/// Reads the configuration for `-t`: the file's findings, then those about this host
/// (interfaces, scripts, users), with the warnings `verdict` fails on made errors. Returns how
/// many warnings keepalived's verdict made errors (0 for the other verdicts).
pub fn load_for_test(
    file: &Path,
    config_id: Option<&str>,
    verdict: Verdict,
    all_config: bool,
) -> (Parsed, usize) {
    let mut parsed = load(file, config_id, false, all_config);
    crate::start_rule::check_host(&mut parsed);
    let promoted = match verdict {
        Verdict::Keepalived => parsed.diags.promote_keepalived_failures(),
        Verdict::Strict => {
            parsed.diags.promote_warnings();
            0
        }
        Verdict::Lenient => 0,
    };
    (parsed, promoted)
}

pub fn exit_code(parsed: &Parsed) -> u8 {
    match parsed.diags.worst() {
        Some(Level::Fatal) => EXIT_CANNOT_RUN,
        Some(Level::Error) if parsed.diags.security_violation() => EXIT_SECURITY,
        Some(Level::Error) => EXIT_ERRORS,
        Some(Level::Warning) | None => EXIT_OK,
    }
}

/// A one-line count after the diagnostics, so a long listing ends with its verdict.
fn summary(parsed: &Parsed, file: &Path, promoted: usize) -> Option<String> {
    let errors = parsed.diags.count(Level::Error) + parsed.diags.count(Level::Fatal);
    let warnings = parsed.diags.count(Level::Warning);
    if errors + warnings == 0 {
        return None;
    }
    let plural = |n: usize, w: &str| format!("{n} {w}{}", if n == 1 { "" } else { "s" });
    let mut line = format!(
        "{}: {}, {}",
        file.display(),
        plural(errors, "error"),
        plural(warnings, "warning")
    );
    if promoted > 0 {
        let which = if promoted == errors {
            "the errors are".to_string()
        } else {
            format!("{promoted} of the errors are")
        };
        line.push_str(&format!(
            " ({which} warnings that fail keepalived's own -t too; --lenient passes them)"
        ));
    }
    Some(line)
}

/// How `-t` / `config test` was asked for.
pub struct TestArgs<'a> {
    pub file: &'a Path,
    pub config_id: Option<&'a str>,
    pub verdict: Verdict,
    pub all_config: bool,
    /// `-t=LOG_FILE`: the diagnostics go there instead of stderr.
    pub log_file: Option<&'a Path>,
    /// Every diagnostic in full, a repeated warning included.
    pub all_diagnostics: bool,
}

/// `-t[=LOG_FILE]`: diagnostics to stderr or the log file; exit 0 / 5 / 6 / 3.
pub fn config_test(a: &TestArgs) -> ExitCode {
    let (parsed, promoted) = load_for_test(a.file, a.config_id, a.verdict, a.all_config);
    let mut code = exit_code(&parsed);
    let mut text = parsed.render_report(a.all_diagnostics);
    if let Some(s) = summary(&parsed, a.file, promoted) {
        text.push_str(&s);
        text.push('\n');
    }
    // keepalived would run this file; whether keepalived-rs can is the other half of the
    // answer: a file the daemon would refuse (SNMP, use_vmac, BFD, ...) must not pass here.
    if code == EXIT_OK {
        if let Err(why) = cannot_run(&parsed.config, a) {
            for line in why {
                text.push_str(&line);
                text.push('\n');
            }
            text.push_str(&format!(
                "{}: keepalived-rs cannot run this configuration (above): its daemon would not start\n",
                a.file.display()
            ));
            code = EXIT_CANNOT_RUN;
        }
    }
    let written = match a.log_file {
        Some(path) => std::fs::write(path, &text)
            .map_err(|e| format!("cannot write '{}': {e}", path.display())),
        None => std::io::stderr()
            .write_all(text.as_bytes())
            .map_err(|e| e.to_string()),
    };
    if let Err(e) = written {
        eprintln!("keepalived-rs: {e}");
        return ExitCode::from(EXIT_CANNOT_RUN);
    }
    // The process ends next: freeing a model of a large configuration piece by piece would cost
    // a good part of the time the whole test took, for nothing.
    std::mem::forget(parsed);
    ExitCode::from(code)
}

/// Whether the daemon would refuse to run this configuration, which `-t` passes: the reason.
fn cannot_run(config: &conf_parser::Config, a: &TestArgs) -> Result<(), Vec<String>> {
    // Only what plans() makes of the model: the host was checked already.
    let src = crate::reload::Source {
        config_id: a.config_id.map(str::to_string),
        all_config: a.all_config,
        ..crate::reload::Source::file_only(a.file.to_path_buf())
    };
    crate::reload::plans(config, &src).map(|_| ())
}

/// `config dump`: the model as JSON on stdout, diagnostics on stderr. A configuration that
/// cannot be run at all is not dumped.
pub fn config_dump(
    file: &Path,
    config_id: Option<&str>,
    strict: bool,
    all_diagnostics: bool,
) -> ExitCode {
    let parsed = load(file, config_id, strict, false);
    eprint!("{}", parsed.render_report(all_diagnostics));
    let code = exit_code(&parsed);
    if code == EXIT_CANNOT_RUN {
        return ExitCode::from(code);
    }
    match serde_json::to_string_pretty(&parsed.config) {
        Ok(json) => {
            let mut out = std::io::stdout().lock();
            if writeln!(out, "{json}").is_err() {
                return ExitCode::from(EXIT_CANNOT_RUN);
            }
        }
        Err(e) => {
            eprintln!("keepalived-rs: cannot serialise the model: {e}");
            return ExitCode::from(EXIT_CANNOT_RUN);
        }
    }
    ExitCode::from(code)
}

/// `config diff OLD NEW`: what a reload from OLD to NEW would change (the daemon's own
/// comparison: `diff`), as the daemon would log it or as JSON. Pure: no daemon, no kernel.
pub fn config_diff(a: &crate::cli::DiffArgs) -> ExitCode {
    // What the file says, not this machine (which may not be the director).
    let source = |file: &Path| crate::reload::Source {
        config_id: a.config_id.clone(),
        ..crate::reload::Source::file_only(file.to_path_buf())
    };
    let old = match crate::reload::load(&source(&a.old)) {
        Ok(l) => l,
        Err(r) => {
            for line in &r.diagnostics {
                eprintln!("{line}");
            }
            eprintln!("keepalived-rs: config diff: {}: {}", a.old.display(), r.why);
            return ExitCode::from(EXIT_CANNOT_RUN);
        }
    };
    let new = match crate::reload::load(&source(&a.new)) {
        Ok(l) => l,
        Err(r) => {
            for line in &r.diagnostics {
                eprintln!("{line}");
            }
            eprintln!(
                "keepalived-rs: config diff: a reload would be refused: {}",
                r.why
            );
            return ExitCode::from(if r.errors {
                EXIT_DIFF_NEW_HAS_ERRORS
            } else {
                EXIT_CANNOT_RUN
            });
        }
    };
    let d = crate::diff::diff(&old.plans, &new.plans);
    let mut out = std::io::stdout().lock();
    let written = if a.json {
        serde_json::to_string_pretty(&d)
            .map_err(std::io::Error::other)
            .and_then(|j| writeln!(out, "{j}"))
    } else {
        d.lines().iter().try_for_each(|l| writeln!(out, "{l}"))
    };
    if written.is_err() {
        return ExitCode::from(EXIT_CANNOT_RUN);
    }
    ExitCode::from(u8::from(!d.is_empty()))
}
