//! `-t` / `config test` and `config dump`: read the configuration, show its diagnostics, and map
//! them to keepalived's documented exit codes for `--config-test`.

use conf_parser::{Level, Options, Parsed};
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

/// keepalived's `--config-test` exit codes.
pub const EXIT_OK: u8 = 0;
pub const EXIT_CANNOT_RUN: u8 = 3;
pub const EXIT_ERRORS: u8 = 4;

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

pub fn exit_code(parsed: &Parsed) -> u8 {
    match parsed.diags.worst() {
        Some(Level::Fatal) => EXIT_CANNOT_RUN,
        Some(Level::Error) => EXIT_ERRORS,
        Some(Level::Warning) | None => EXIT_OK,
    }
}

/// A one-line count after the diagnostics, so a long listing ends with its verdict.
fn summary(parsed: &Parsed, file: &Path) -> Option<String> {
    let errors = parsed.diags.count(Level::Error) + parsed.diags.count(Level::Fatal);
    let warnings = parsed.diags.count(Level::Warning);
    if errors + warnings == 0 {
        return None;
    }
    let plural = |n: usize, w: &str| format!("{n} {w}{}", if n == 1 { "" } else { "s" });
    Some(format!(
        "{}: {}, {}",
        file.display(),
        plural(errors, "error"),
        plural(warnings, "warning")
    ))
}

/// `-t[=LOG_FILE]`: diagnostics to stderr or the log file; exit 0 / 4 / 3.
pub fn config_test(
    file: &Path,
    config_id: Option<&str>,
    strict: bool,
    all_config: bool,
    log_file: Option<&Path>,
) -> ExitCode {
    let parsed = load(file, config_id, strict, all_config);
    let mut text = parsed.render_diagnostics();
    if let Some(s) = summary(&parsed, file) {
        text.push_str(&s);
        text.push('\n');
    }
    let written = match log_file {
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
    let code = exit_code(&parsed);
    // The process ends next: freeing a model of a large configuration piece by piece would cost
    // a good part of the time the whole test took, for nothing.
    std::mem::forget(parsed);
    ExitCode::from(code)
}

/// `config dump`: the model as JSON on stdout, diagnostics on stderr. A configuration that
/// cannot be run at all is not dumped.
pub fn config_dump(file: &Path, config_id: Option<&str>, strict: bool) -> ExitCode {
    let parsed = load(file, config_id, strict, false);
    eprint!("{}", parsed.render_diagnostics());
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
    let source = |file: &Path| crate::reload::Source {
        file: file.to_path_buf(),
        config_id: a.config_id.clone(),
        strict: false,
        all_config: false,
        dont_release_ipvs: false,
        vrrp_only: false,
        checkers_only: false,
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
            return ExitCode::from(if r.errors { EXIT_ERRORS } else { EXIT_CANNOT_RUN });
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
