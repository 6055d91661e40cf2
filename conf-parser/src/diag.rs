//! Diagnostics: every message names `FILE:LINE:COL`, shows the source line and a caret under the
//! offending text, and may carry a help line (a did-you-mean, the keyword that replaced a legacy one).
//!
//! The first line has the compiler-style shape `file:line:col: error: message` so editors and CI
//! log scanners jump to it; the snippet below it is the part keepalived never had.

use crate::source::{SourceMap, Span};
use std::fmt::Write;

/// How bad a finding is, which decides `-t`'s exit code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// keepalived would still run, but something is suspicious (unknown keyword, legacy spelling).
    Warning,
    /// The configuration is wrong; keepalived would run after dropping or defaulting the value.
    Error,
    /// The configuration cannot be run at all (missing file, unbalanced braces).
    Fatal,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Warning => "warning",
            Level::Error | Level::Fatal => "error",
        }
    }
}

/// What keepalived 2.2.7's own `-t` makes of the same finding, as measured by running it
/// (`keepalived -t -l -f FILE`). Its exit code counts nearly everything it logs while reading a
/// configuration, warnings included, so most findings fail it; this is what `keepalived-rs -t`
/// follows by default (`--lenient` goes by [`Level`] alone).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum KeepalivedTest {
    /// keepalived says nothing about it, or logs it without failing the test (a legacy spelling
    /// it still registers, an include that matches no file, our own advice).
    Passes,
    /// keepalived logs it and its `-t` exits 5.
    Fails,
    /// Scripts configured without `enable_script_security`: keepalived logs a "SECURITY
    /// VIOLATION" and its `-t` exits 6.
    SecurityViolation,
}

/// What keepalived 2.2.7's daemon (started without `-t`) does on the same finding, as measured
/// by running it (daemon/tests/netns_start_verdict.rs, vm_start_verdict.rs). keepalived-rs's
/// daemon starts where keepalived's starts, with the same fallback, and does not start where it
/// does not.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum KeepalivedDaemon {
    /// keepalived logs it and runs on: with its default, without the statement, or as the
    /// message says. The model holds the same fallback (each one checked by a unit test of its
    /// decoder). Every warning is this, unless marked otherwise.
    RunsOn,
    /// keepalived's daemon does not start (a missing interface or virtual router id ends it).
    Stops,
    /// An error keepalived's daemon has not been measured on: keepalived-rs does not start
    /// rather than guess what keepalived would run instead. Every error is this, unless marked
    /// otherwise.
    NotMeasured,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub level: Level,
    pub span: Option<Span>,
    pub message: String,
    pub help: Option<String>,
    /// What keepalived's `-t` does on the same finding; [`KeepalivedTest::Fails`] unless the
    /// place that reports it says otherwise.
    pub keepalived: KeepalivedTest,
    /// What keepalived's daemon does on it, which decides whether ours starts: see
    /// [`KeepalivedDaemon`] and [`Diagnostics::refusals`].
    pub daemon: KeepalivedDaemon,
}

impl Diagnostic {
    /// Renders the diagnostic: the location line, then the source line with a caret, then help.
    pub fn render(&self, sources: &SourceMap) -> String {
        let mut out = String::new();
        let Some(span) = self.span else {
            let _ = writeln!(out, "{}: {}", self.level.as_str(), self.message);
            if let Some(help) = &self.help {
                let _ = writeln!(out, "  = help: {help}");
            }
            return out;
        };
        let file = sources.file(span.file);
        let _ = writeln!(
            out,
            "{}:{}:{}: {}: {}",
            file.display,
            span.line,
            span.col,
            self.level.as_str(),
            self.message
        );
        let text = file.line_text(span.line);
        let gutter = span.line.to_string();
        let pad = " ".repeat(gutter.len());
        // Tabs are shown as one space so the caret stays under the right character.
        let shown: String = text
            .chars()
            .map(|c| if c == '\t' { ' ' } else { c })
            .collect();
        let _ = writeln!(out, "{pad} |");
        let _ = writeln!(out, "{gutter} | {shown}");
        let lead = " ".repeat(span.col.saturating_sub(1) as usize);
        let carets = "^".repeat(span.len.max(1) as usize);
        let _ = writeln!(out, "{pad} | {lead}{carets}");
        if let Some(help) = &self.help {
            let _ = writeln!(out, "{pad} = help: {help}");
        }
        out
    }

    /// The blank gutter of the snippet's lines (as wide as the line number), where `= help:`
    /// and notes after it are indented.
    pub fn gutter_pad(&self) -> String {
        match self.span {
            Some(span) => " ".repeat(span.line.to_string().len()),
            None => " ".to_string(),
        }
    }

    /// Just the first line (`file:line:col: level: message`), for tests and terse logs.
    pub fn headline(&self, sources: &SourceMap) -> String {
        match self.span {
            Some(span) => {
                let o = sources.origin(span);
                format!("{o}: {}: {}", self.level.as_str(), self.message)
            }
            None => format!("{}: {}", self.level.as_str(), self.message),
        }
    }
}

/// The findings of one parse, in the order they were made.
#[derive(Clone, Debug, Default)]
pub struct Diagnostics {
    list: Vec<Diagnostic>,
}

impl Diagnostics {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(
        &mut self,
        level: Level,
        span: Option<Span>,
        message: impl Into<String>,
    ) -> &mut Diagnostic {
        let daemon = match level {
            Level::Warning => KeepalivedDaemon::RunsOn,
            Level::Error => KeepalivedDaemon::NotMeasured,
            Level::Fatal => KeepalivedDaemon::Stops,
        };
        self.list.push(Diagnostic {
            level,
            span,
            message: message.into(),
            help: None,
            keepalived: KeepalivedTest::Fails,
            daemon,
        });
        self.list.last_mut().expect("just pushed")
    }

    pub fn error(&mut self, span: Span, message: impl Into<String>) -> &mut Diagnostic {
        self.push(Level::Error, Some(span), message)
    }

    pub fn warning(&mut self, span: Span, message: impl Into<String>) -> &mut Diagnostic {
        self.push(Level::Warning, Some(span), message)
    }

    pub fn fatal(&mut self, span: Option<Span>, message: impl Into<String>) -> &mut Diagnostic {
        self.push(Level::Fatal, span, message)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.list.iter()
    }

    pub fn len(&self) -> usize {
        self.list.len()
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// The worst level seen, if any.
    pub fn worst(&self) -> Option<Level> {
        self.list.iter().map(|d| d.level).max()
    }

    pub fn count(&self, level: Level) -> usize {
        self.list.iter().filter(|d| d.level == level).count()
    }

    /// `--strict`: every warning becomes an error.
    pub fn promote_warnings(&mut self) -> usize {
        self.promote_where(|_| true)
    }

    /// keepalived's verdict: every warning keepalived's own `-t` fails on becomes an error.
    /// Returns how many did.
    pub fn promote_keepalived_failures(&mut self) -> usize {
        self.promote_where(|d| d.keepalived != KeepalivedTest::Passes)
    }

    /// The daemon's view: every warning keepalived's daemon does not start on (an interface
    /// this host does not have) becomes an error. Returns how many did.
    pub fn promote_daemon_stops(&mut self) -> usize {
        self.promote_where(|d| d.daemon == KeepalivedDaemon::Stops)
    }

    fn promote_where(&mut self, pred: impl Fn(&Diagnostic) -> bool) -> usize {
        let mut n = 0;
        for d in &mut self.list {
            if d.level == Level::Warning && pred(d) {
                d.level = Level::Error;
                n += 1;
            }
        }
        n
    }

    /// The findings the daemon does not start on: those keepalived's daemon does not start on
    /// either, and the errors it was not measured on. With `strict`, every error and warning.
    /// (A reload refuses every error: `Parsed::is_ok`.)
    pub fn refusals(&self, strict: bool) -> impl Iterator<Item = &Diagnostic> {
        self.list
            .iter()
            .filter(move |d| strict || d.daemon != KeepalivedDaemon::RunsOn)
    }

    /// The diagnostics pushed since `mark` (a [`Diagnostics::len`] taken before), to mark what
    /// keepalived's daemon does on them.
    pub fn since(&mut self, mark: usize) -> &mut [Diagnostic] {
        let start = mark.min(self.list.len());
        &mut self.list[start..]
    }

    /// Whether an error (after any promotion) is a script-security finding: keepalived's `-t`
    /// exits 6 for those rather than 5, whatever else it found.
    pub fn security_violation(&self) -> bool {
        self.list
            .iter()
            .any(|d| d.level >= Level::Error && d.keepalived == KeepalivedTest::SecurityViolation)
    }
}

impl Diagnostic {
    pub fn with_help(&mut self, help: impl Into<String>) -> &mut Self {
        self.help = Some(help.into());
        self
    }

    /// keepalived's `-t` does not fail on this finding (see [`KeepalivedTest::Passes`]).
    pub fn keepalived_passes(&mut self) -> &mut Self {
        self.keepalived = KeepalivedTest::Passes;
        self
    }

    /// keepalived's `-t` reports this as a script-security violation (exit 6).
    pub fn security_violation(&mut self) -> &mut Self {
        self.keepalived = KeepalivedTest::SecurityViolation;
        self
    }

    /// keepalived's daemon runs on after this finding, as the message already says (the
    /// statement ignored, or what it uses instead); the model holds the same.
    pub fn daemon_runs_on(&mut self) -> &mut Self {
        self.daemon = KeepalivedDaemon::RunsOn;
        self
    }

    /// keepalived's daemon runs on after this finding with `uses`, which the message gains
    /// (`"; using 100, keepalived's default"`); the model holds the same.
    pub fn daemon_uses(&mut self, uses: &str) -> &mut Self {
        self.message.push_str("; ");
        self.message.push_str(uses);
        self.daemon_runs_on()
    }

    /// keepalived's daemon does not start on this finding.
    pub fn daemon_stops(&mut self) -> &mut Self {
        self.daemon = KeepalivedDaemon::Stops;
        self
    }
}
