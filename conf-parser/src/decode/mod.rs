//! From the statement tree to the typed model. Each block has a table of the keywords it knows
//! ([`Keyword`]); a keyword's handler reads its arguments with the helpers on [`Cx`], which turn
//! every bad value into a diagnostic at the value's own position. Unknown keywords are warnings
//! with a did-you-mean; legacy spellings are accepted, normalised and warned about.
//!
//! The tables are split by subsystem, like the model: `global` (global_defs and the root-level
//! settings), `vrrp` (VRRP instances and everything they track), `lvs` (virtual servers, real
//! servers, checkers). Each exposes `root_keywords()` and `check()`, the semantic checks that run
//! once the whole file is read, so forward references work.

use crate::diag::{Diagnostic, Diagnostics};
use crate::model::Config;
use crate::source::{Origin, SourceMap, Span};
use crate::tree::{Node, Word};
use crate::values::{self, IpPrefix, Timer};
use std::net::IpAddr;

mod global;
mod lvs;
pub(crate) mod no_effect;
mod vrrp;

/// How a keyword stands in today's keepalived.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Current,
    /// An older spelling, accepted and normalised to the named current keyword; keepalived 2.2.7
    /// still reads it without a word.
    Legacy(&'static str),
    /// An older spelling, accepted and normalised to the named current keyword, that keepalived
    /// 2.2.7 logs (as deprecated, or as unknown), so its `-t` fails on it.
    Deprecated(&'static str),
    /// Gone from keepalived; the text says what to do instead. The statement is ignored.
    Removed(&'static str),
}

/// One entry of a block's keyword table.
pub struct Keyword<T> {
    pub name: &'static str,
    pub apply: fn(&mut Cx, &Node, &mut T),
    pub status: Status,
}

pub fn kw<T>(name: &'static str, apply: fn(&mut Cx, &Node, &mut T)) -> Keyword<T> {
    Keyword {
        name,
        apply,
        status: Status::Current,
    }
}

pub fn legacy<T>(
    name: &'static str,
    current: &'static str,
    apply: fn(&mut Cx, &Node, &mut T),
) -> Keyword<T> {
    Keyword {
        name,
        apply,
        status: Status::Legacy(current),
    }
}

/// A legacy spelling keepalived 2.2.7 reports (see [`Status::Deprecated`]).
pub fn deprecated<T>(
    name: &'static str,
    current: &'static str,
    apply: fn(&mut Cx, &Node, &mut T),
) -> Keyword<T> {
    Keyword {
        name,
        apply,
        status: Status::Deprecated(current),
    }
}

pub fn removed<T>(name: &'static str, advice: &'static str) -> Keyword<T> {
    Keyword {
        name,
        apply: |_, _, _| {},
        status: Status::Removed(advice),
    }
}

/// The decoding context: where diagnostics go and how spans become origins.
pub struct Cx<'a> {
    pub sources: &'a SourceMap,
    pub diags: &'a mut Diagnostics,
    /// The preference the next rule written without one gets, IPv4 and IPv6 (keepalived counts
    /// down from 16384 for each family, across static_rules and virtual_rules, in file order).
    pub next_rule_preference: &'a mut [u32; 2],
}

/// Where keepalived starts the preferences it gives rules written without one (measured).
pub const FIRST_RULE_PREFERENCE: u32 = 16384;

/// The closest known keyword, if one is close enough to be a likely typo.
pub fn did_you_mean<'k>(word: &str, known: impl Iterator<Item = &'k str>) -> Option<&'k str> {
    let mut best: Option<(usize, &str)> = None;
    for k in known {
        let d = strsim::damerau_levenshtein(&word.to_ascii_lowercase(), &k.to_ascii_lowercase());
        if best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, k));
        }
    }
    let limit = if word.chars().count() >= 8 { 3 } else { 2 };
    best.filter(|(d, _)| *d <= limit).map(|(_, k)| k)
}

impl<'a> Cx<'a> {
    pub fn new(
        sources: &'a SourceMap,
        diags: &'a mut Diagnostics,
        next_rule_preference: &'a mut [u32; 2],
    ) -> Self {
        Cx {
            sources,
            diags,
            next_rule_preference,
        }
    }

    pub fn origin(&self, span: Span) -> Origin {
        self.sources.origin(span)
    }

    pub fn error(&mut self, span: Span, message: impl Into<String>) -> &mut Diagnostic {
        self.diags.error(span, message)
    }

    pub fn warning(&mut self, span: Span, message: impl Into<String>) -> &mut Diagnostic {
        self.diags.warning(span, message)
    }

    /// Where the diagnostics stand now, for [`Cx::runs_on_since`].
    pub fn mark(&self) -> usize {
        self.diags.len()
    }

    /// keepalived's daemon runs on after each finding made since `mark` (measured: see
    /// [`crate::KeepalivedDaemon`]); with `uses`, the message says what is used instead. The
    /// caller puts that fallback in the model.
    pub fn runs_on_since(&mut self, mark: usize, uses: Option<&str>) {
        for d in self.diags.since(mark) {
            match uses {
                // A warning (an extra argument ignored) already says what happens.
                Some(u) if d.level == crate::Level::Error => d.daemon_uses(u),
                _ => d.daemon_runs_on(),
            };
        }
    }

    /// [`Cx::runs_on_since`] for a keyword whose value keepalived's daemon was measured to run
    /// on when it is not valid. Without any value the findings stay as they are: keepalived
    /// stops on some keywords written without a value (garp_master_delay), and what it does
    /// on the others has not been measured.
    pub fn value_runs_on_since(&mut self, mark: usize, node: &Node, uses: Option<&str>) {
        if !node.args.is_empty() {
            self.runs_on_since(mark, uses);
        }
    }

    /// Applies each statement of a block through the block's keyword table. `context` names the
    /// block in messages (`vrrp_instance`, `global_defs`, ...).
    pub fn decode_items<T>(
        &mut self,
        context: &str,
        items: &[Node],
        table: &[Keyword<T>],
        target: &mut T,
    ) {
        for node in items {
            let name = node.name();
            // The first byte rules out most entries before a full comparison.
            let first = name.as_bytes().first().copied();
            match table
                .iter()
                .find(|k| k.name.as_bytes().first().copied() == first && k.name == name)
            {
                Some(entry) => {
                    match entry.status {
                        Status::Current => {}
                        Status::Legacy(current) => {
                            self.legacy_spelling(node, current).keepalived_passes();
                        }
                        Status::Deprecated(current) => {
                            self.legacy_spelling(node, current);
                        }
                        Status::Removed(advice) => {
                            self.warning(
                                node.keyword.span,
                                format!(
                                    "'{}' is no longer supported by keepalived and is ignored",
                                    node.name()
                                ),
                            )
                            .with_help(advice);
                        }
                    }
                    no_effect::note(self, context, node);
                    (entry.apply)(self, node, target);
                }
                None => self.unknown(context, node, table.iter().map(|k| k.name)),
            }
        }
    }

    fn legacy_spelling(&mut self, node: &Node, current: &str) -> &mut Diagnostic {
        self.warning(
            node.keyword.span,
            format!("'{}' is a legacy spelling of '{current}'", node.name()),
        )
        .with_help(format!("write '{current}'; it means the same"))
    }

    /// Reports an unknown keyword, with the closest known one as a suggestion, or else the block
    /// where the keyword does belong (`lb_algo` written in a vrrp_instance).
    pub fn unknown<'k>(
        &mut self,
        context: &str,
        node: &Node,
        known: impl Iterator<Item = &'k str>,
    ) {
        let name = node.name();
        let suggestion = did_you_mean(name, known);
        let place = if context.is_empty() {
            "at the top level".to_string()
        } else {
            format!("in {context}")
        };
        let home = keyword_homes()
            .iter()
            .find(|(block, k)| *k == name && *block != context)
            .map(|(b, _)| *b);
        let d = self.warning(
            node.keyword.span,
            format!("unknown keyword '{name}' {place}; it is ignored"),
        );
        match (suggestion, home) {
            (_, Some("")) => d.with_help(format!("'{name}' belongs at the top level of the file")),
            (_, Some(block)) => d.with_help(format!("'{name}' belongs in a {block} block")),
            (Some(s), None) => d.with_help(format!("did you mean '{s}'?")),
            (None, None) => d,
        };
    }

    /// Reports a bad value at the value's position.
    pub fn invalid(&mut self, node: &Node, word: &Word, why: &str) {
        self.error(
            word.span,
            format!("invalid value '{}' for {}: {why}", word.text, node.name()),
        );
    }

    /// Checks the number of arguments; too few is an error, too many a warning (keepalived ignores
    /// them). Returns false when there are too few.
    pub fn arity(&mut self, node: &Node, min: usize, max: Option<usize>) -> bool {
        let n = node.args.len();
        if n < min {
            let what = if min == 1 {
                "a value".to_string()
            } else {
                format!("{min} values")
            };
            self.error(node.span(), format!("{} needs {what}", node.name()));
            return false;
        }
        if let Some(max) = max {
            if n > max {
                let extra = &node.args[max];
                // keepalived 2.2.7 reads what it needs and says nothing of the rest.
                self.warning(
                    extra.span,
                    format!(
                        "extra argument '{}' after {} is ignored",
                        extra.text,
                        node.name()
                    ),
                )
                .keepalived_passes();
            }
        }
        true
    }

    /// A value keyword given a `{ }` block: the block is ignored, with an error.
    pub fn no_block(&mut self, node: &Node) {
        if let Some(b) = &node.block {
            self.error(
                b.open,
                format!("{} does not take a {{ }} block; it is ignored", node.name()),
            );
        }
    }

    /// The name of a named block (`vrrp_instance NAME {`, `vrrp_script NAME {`).
    pub fn block_name(&mut self, node: &Node) -> Option<String> {
        self.arity(node, 1, Some(1))
            .then(|| node.args[0].text.to_string())
    }

    /// The statement's block items, with an error if the keyword was given no block.
    pub fn block<'n>(&mut self, node: &'n Node) -> &'n [Node] {
        match &node.block {
            Some(b) => &b.items,
            None => {
                self.error(node.span(), format!("{} needs a {{ }} block", node.name()));
                &[]
            }
        }
    }

    /// The single argument as a string.
    pub fn string(&mut self, node: &Node) -> Option<String> {
        self.no_block(node);
        self.arity(node, 1, Some(1))
            .then(|| node.args[0].text.to_string())
    }

    /// All arguments joined by spaces (script command lines, names with spaces).
    pub fn rest(&mut self, node: &Node) -> Option<String> {
        self.no_block(node);
        self.arity(node, 1, None).then(|| {
            node.args
                .iter()
                .map(|w| w.text.as_str())
                .collect::<Vec<_>>()
                .join(" ")
        })
    }

    pub fn int_word(&mut self, node: &Node, word: &Word, min: i64, max: i64) -> Option<i64> {
        values::parse_int(&word.text, min, max)
            .map_err(|e| self.invalid(node, word, &e))
            .ok()
    }

    /// The single argument as an integer in `min..=max`, read as keepalived reads the numbers
    /// it only warns about ("WARNING - invalid number '7x'"): a word that is not a number
    /// counts for its leading digits (`values::leading_digits`: "7x" is 7, "soon" is 0); a
    /// negative number or one out of range is ignored. keepalived runs on either way (measured
    /// for garp_master_delay); without a value it stops, as for every such keyword.
    pub fn int_as_keepalived_reads(&mut self, node: &Node, min: i64, max: i64) -> Option<i64> {
        let at = self.mark();
        if let Some(v) = self.int(node, min, max) {
            return Some(v);
        }
        let [word] = node.args.as_slice() else {
            return None;
        };
        let lead = values::leading_digits(&word.text)
            .filter(|v| (min..=max).contains(v) && word.text.parse::<i64>().is_err());
        let uses = match lead {
            Some(v) => format!("using {v}, as keepalived reads it"),
            None => "ignored, as keepalived does".to_string(),
        };
        self.runs_on_since(at, Some(&uses));
        lead
    }

    /// `PROGRAM [USER [GROUP]]`: a script keepalived runs (notify, startup, quorum_up, ...). The
    /// program is one word, quoted in the configuration when it has arguments.
    pub fn script(&mut self, node: &Node) -> Option<crate::model::ScriptCommand> {
        self.no_block(node);
        if !self.arity(node, 1, Some(3)) {
            return None;
        }
        let command = match values::try_split_command(&node.args[0].text) {
            Ok(c) => c,
            Err(why) => {
                // keepalived 2.2.7: `Unable to parse script '...' - ignoring`; it runs on
                // without the script (measured).
                let message = format!(
                    "the command line of {} cannot be split into words: {why}; keepalived 2.2.7 does not run it, nor does keepalived-rs",
                    node.name()
                );
                // Its -t fails on the quote left open (`String '...': missing terminating
                // "`), not on the backslash (measured: exit 0): a warning then.
                let d = if why.contains("backslash") {
                    self.warning(node.args[0].span, message).keepalived_passes()
                } else {
                    self.error(node.args[0].span, message)
                };
                d.with_help("close each quote inside the command line; write a backslash as \\\\")
                    .daemon_runs_on();
                return None;
            }
        };
        if command.is_empty() {
            self.error(
                node.args[0].span,
                format!("{} needs a command", node.name()),
            );
            return None;
        }
        Some(crate::model::ScriptCommand {
            origin: self.origin(node.keyword.span),
            command,
            // The words after the command are read with the same escapes.
            user: node.args.get(1).map(|w| values::decode_escapes(&w.text)),
            group: node.args.get(2).map(|w| values::decode_escapes(&w.text)),
        })
    }

    /// The single argument as an integer in `min..=max`.
    pub fn int(&mut self, node: &Node, min: i64, max: i64) -> Option<i64> {
        self.no_block(node);
        if !self.arity(node, 1, Some(1)) {
            return None;
        }
        self.int_word(node, &node.args[0], min, max)
    }

    pub fn timer_word(&mut self, node: &Node, word: &Word, min: f64, max: f64) -> Option<Timer> {
        values::parse_timer(&word.text, min, max)
            .map_err(|e| self.invalid(node, word, &e))
            .ok()
    }

    /// The single argument as seconds in `min..=max`.
    pub fn timer(&mut self, node: &Node, min: f64, max: f64) -> Option<Timer> {
        self.no_block(node);
        if !self.arity(node, 1, Some(1)) {
            return None;
        }
        self.timer_word(node, &node.args[0], min, max)
    }

    /// A flag keyword with an optional `<BOOL>`: absent means true.
    pub fn flag(&mut self, node: &Node) -> bool {
        self.no_block(node);
        self.arity(node, 0, Some(1));
        match node.args.first() {
            None => true,
            Some(w) => values::parse_bool(&w.text)
                .map_err(|e| self.invalid(node, w, &e))
                .unwrap_or(true),
        }
    }

    /// A keyword that takes nothing.
    pub fn bare(&mut self, node: &Node) -> bool {
        self.no_block(node);
        self.arity(node, 0, Some(0));
        true
    }

    pub fn ip_word(&mut self, node: &Node, word: &Word) -> Option<IpAddr> {
        values::parse_ip(&word.text)
            .map_err(|e| self.invalid(node, word, &e))
            .ok()
    }

    /// The single argument as an IP address.
    pub fn ip(&mut self, node: &Node) -> Option<IpAddr> {
        self.no_block(node);
        if !self.arity(node, 1, Some(1)) {
            return None;
        }
        self.ip_word(node, &node.args[0])
    }

    pub fn prefix_word(&mut self, node: &Node, word: &Word) -> Option<IpPrefix> {
        values::parse_prefix(&word.text)
            .map_err(|e| self.invalid(node, word, &e))
            .ok()
    }

    pub fn port_word(&mut self, node: &Node, word: &Word) -> Option<u16> {
        values::parse_port(&word.text)
            .map_err(|e| self.invalid(node, word, &e))
            .ok()
    }

    /// One of a fixed set of words (case-sensitive, as keepalived).
    pub fn choice_word<'c>(
        &mut self,
        node: &Node,
        word: &Word,
        choices: &[&'c str],
    ) -> Option<&'c str> {
        let found = choices.iter().find(|c| **c == word.text).copied();
        if found.is_none() {
            let mut msg = format!("expected one of {}", choices.join(", "));
            if let Some(s) = did_you_mean(&word.text, choices.iter().copied()) {
                msg = format!("{msg} (did you mean '{s}'?)");
            }
            self.invalid(node, word, &msg);
        }
        found
    }

    /// The single argument, one of a fixed set.
    pub fn choice<'c>(&mut self, node: &Node, choices: &[&'c str]) -> Option<&'c str> {
        self.no_block(node);
        if !self.arity(node, 1, Some(1)) {
            return None;
        }
        self.choice_word(node, &node.args[0], choices)
    }
}

/// (block, keyword) for the top level and the main blocks, built once: where a keyword written in
/// the wrong block belongs. The top level is the block "".
fn keyword_homes() -> &'static [(&'static str, &'static str)] {
    static HOMES: std::sync::OnceLock<Vec<(&'static str, &'static str)>> =
        std::sync::OnceLock::new();
    HOMES.get_or_init(|| {
        let mut homes: Vec<_> = root_keywords().iter().map(|k| ("", k.name)).collect();
        homes.extend(global::keyword_homes());
        homes.extend(vrrp::keyword_homes());
        homes.extend(lvs::keyword_homes());
        homes
    })
}

/// The keywords allowed at the top level of the file.
fn root_keywords() -> Vec<Keyword<Config>> {
    let mut table = global::root_keywords();
    table.extend(vrrp::root_keywords());
    table.extend(lvs::root_keywords());
    table
}

/// Decodes top-level statements one at a time, as the preprocessor completes them (so the tree of
/// a large file never exists whole), then runs the semantic checks, which see the whole model: a
/// vrrp_script may be declared after the instance that tracks it.
pub struct Decoder {
    config: Config,
    table: Vec<Keyword<Config>>,
    next_rule_preference: [u32; 2],
}

impl Default for Decoder {
    fn default() -> Self {
        Decoder {
            config: Config::default(),
            table: root_keywords(),
            next_rule_preference: [FIRST_RULE_PREFERENCE; 2],
        }
    }
}

impl Decoder {
    pub fn statement(&mut self, node: &Node, sources: &SourceMap, diags: &mut Diagnostics) {
        Cx::new(sources, diags, &mut self.next_rule_preference).decode_items(
            "",
            std::slice::from_ref(node),
            &self.table,
            &mut self.config,
        );
    }

    pub fn finish(mut self, sources: &SourceMap, diags: &mut Diagnostics) -> Config {
        let mut cx = Cx::new(sources, diags, &mut self.next_rule_preference);
        global::check(&mut cx, &mut self.config);
        vrrp::check(&mut cx, &mut self.config);
        lvs::check(&mut cx, &mut self.config);
        self.config
    }
}
