//! keepalived's preprocessing, line by line, in its order:
//!
//! 1. comments (`#`, `!` outside quotes) are cut; lines of a multi-line `$NAME= \` definition are
//!    collected;
//! 2. `include` and its variants are recognised on the raw line (before conditionals and
//!    substitution, as keepalived documents) and the matching files read in place;
//! 3. `@ID` / `@^ID` keep or drop the line by the config id;
//! 4. `$NAME=value` defines a parameter (expanded lazily, when used);
//! 5. `~SEQ(...)`, `~SEQx(...)`, `~LST(...)` repeat the rest of the line;
//! 6. `$NAME` and `${NAME}` are replaced, recursively; a multi-line value becomes several lines,
//!    each processed from step 3 again;
//! 7. the line is split into tokens.
//!
//! Every character keeps its origin through all of this (see [`Line`]), so a token that came from
//! a parameter points at the parameter's definition and a `~SEQ` value at the `~SEQ`.

use crate::diag::Diagnostics;
use crate::lexer::{lex, Line, Seg, Token, TokenKind};
use crate::source::{SourceMap, Span};
use crate::tree::{Node, TreeBuilder};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

mod expand;
mod include;
mod scan;
mod syntax;

use scan::*;
pub use syntax::expand_braces;
use syntax::*;

/// Expansions nested deeper than this are taken as a parameter defined in terms of itself.
const MAX_DEPTH: usize = 64;
/// Includes nested deeper than this are refused.
const MAX_INCLUDE_DEPTH: usize = 32;
/// Substitutions within one line; more means a parameter refers to itself.
const MAX_SUBSTITUTIONS: usize = 1_000;
/// A configuration may not expand to more lines than this (keepalived's own 65024-instance
/// example expands to about a million).
const MAX_LINES: usize = 5_000_000;
/// Values one `~SEQ`/`~LST` may produce.
const MAX_SEQ_VALUES: i128 = 1_000_000;
/// A logical line may not grow beyond this while parameters are substituted into it.
const MAX_LINE_BYTES: usize = 64 * 1024;
/// Alternatives one include pattern's braces may expand to.
const MAX_BRACE_ALTERNATIVES: usize = 1024;

/// What the preprocessor needs from the command line.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// `-i`: compared with `@ID` conditionals; `${_INSTANCE}`. Defaults to the short hostname.
    pub config_id: String,
    /// `-e`: every include must find readable files, as if each were `includea`.
    pub all_config: bool,
}

/// The include variants and the checks each adds (keepalived's `include_check` levels).
#[derive(Clone, Copy, Debug, Default)]
struct IncludeChecks {
    readable: bool,
    matched: bool,
    wildcard: bool,
    brace: bool,
}

impl IncludeChecks {
    fn union(self, o: IncludeChecks) -> IncludeChecks {
        IncludeChecks {
            readable: self.readable || o.readable,
            matched: self.matched || o.matched,
            wildcard: self.wildcard || o.wildcard,
            brace: self.brace || o.brace,
        }
    }

    /// Applies `include_check [[+|-]OPTION ...]` (no option: all of them) to this level.
    fn apply(mut self, words: &[&str]) -> IncludeChecks {
        if words.is_empty() {
            return IncludeChecks::for_keyword("includea").unwrap_or(self);
        }
        let mut on = true;
        for w in words {
            let mut name = *w;
            if let Some(n) = name.strip_prefix('+') {
                on = true;
                name = n;
            } else if let Some(n) = name.strip_prefix('-') {
                on = false;
                name = n;
            }
            match name {
                "readable" | "read" => self.readable = on,
                "match" => self.matched = on,
                "wildcard_match" => self.wildcard = on,
                "brace_match" => self.brace = on,
                "all" => {
                    self = if on {
                        IncludeChecks::for_keyword("includea").unwrap_or(self)
                    } else {
                        IncludeChecks::default()
                    }
                }
                _ => {}
            }
        }
        self
    }

    fn for_keyword(kw: &str) -> Option<IncludeChecks> {
        let all = IncludeChecks {
            readable: true,
            matched: true,
            wildcard: true,
            brace: true,
        };
        Some(match kw {
            "include" => IncludeChecks::default(),
            "includer" => IncludeChecks {
                readable: true,
                ..Default::default()
            },
            "includem" => IncludeChecks {
                matched: true,
                ..Default::default()
            },
            "includew" => IncludeChecks {
                wildcard: true,
                ..Default::default()
            },
            "includeb" => IncludeChecks {
                brace: true,
                ..Default::default()
            },
            "includea" => all,
            _ => return None,
        })
    }
}

pub(crate) struct Preprocessor<'a> {
    opts: &'a Options,
    sources: &'a mut SourceMap,
    diags: &'a mut Diagnostics,
    params: HashMap<String, Vec<Line>>,
    /// Canonical paths of the files being read, outermost first (for cycle detection).
    stack: Vec<PathBuf>,
    /// A multi-line definition being collected: its name and lines so far.
    multiline: Option<(String, Vec<Line>)>,
    /// `include_check` in force: saved when an included file is opened and restored when it is
    /// closed, as keepalived documents.
    include_checks: IncludeChecks,
    /// Multi-line parameters whose lines are being processed: one of them used inside itself
    /// would expand forever (and exponentially).
    expanding: Vec<String>,
    rng: fastrand::Rng,
    lines_out: usize,
    gave_up: bool,
    /// The tokens of the line being emitted (reused from line to line).
    line_tokens: Vec<Token>,
    /// Statements are built as lines are emitted: the token stream of a whole file is never held.
    pub tree: TreeBuilder,
    /// Where completed top-level statements go as soon as they are complete (the decoder), so
    /// the tree of a whole file is never held either. Without one they stay in `tree`.
    pub sink: Option<StatementSink<'a>>,
}

/// Receives each completed top-level statement.
pub type StatementSink<'a> = Box<dyn FnMut(Node, &SourceMap, &mut Diagnostics) + 'a>;

impl<'a> Preprocessor<'a> {
    pub fn new(opts: &'a Options, sources: &'a mut SourceMap, diags: &'a mut Diagnostics) -> Self {
        Preprocessor {
            opts,
            sources,
            diags,
            params: HashMap::new(),
            stack: Vec::new(),
            multiline: None,
            expanding: Vec::new(),
            include_checks: IncludeChecks::default(),
            rng: fastrand::Rng::new(),
            lines_out: 0,
            gave_up: false,
            line_tokens: Vec::new(),
            tree: TreeBuilder::new(),
            sink: None,
        }
    }

    /// Reads a file given on the command line (`from` is None) or by an include.
    pub fn read_file(&mut self, path: &Path, from: Option<Span>) -> bool {
        let canonical = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
        if self.stack.contains(&canonical) {
            let chain: Vec<String> = self.stack.iter().map(|p| p.display().to_string()).collect();
            self.diags
                .push(
                    crate::diag::Level::Error,
                    from,
                    format!("include cycle: '{}' is already being read", path.display()),
                )
                .with_help(format!(
                    "the include chain is {} -> {}",
                    chain.join(" -> "),
                    canonical.display()
                ));
            return true;
        }
        if self.stack.len() >= MAX_INCLUDE_DEPTH {
            self.diags.push(
                crate::diag::Level::Error,
                from,
                format!("includes nested more than {MAX_INCLUDE_DEPTH} deep"),
            );
            return true;
        }
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) => {
                if from.is_none() {
                    self.diags.fatal(
                        None,
                        format!("cannot read configuration file '{}': {e}", path.display()),
                    );
                }
                return false;
            }
        };
        let text = match String::from_utf8(bytes) {
            Ok(t) => t,
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        };
        self.read_source(path, &path.display().to_string(), text);
        true
    }

    /// Preprocesses one file's text; `path` locates its includes, `display` names it in messages.
    pub fn read_source(&mut self, path: &Path, display: &str, text: String) {
        let canonical = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
        // The text is read from here and handed to the source map at the end, rather than read
        // back from a copy: nothing looks at a file's text before diagnostics are rendered.
        let id = self.sources.add(path, display, String::new());
        self.stack.push(canonical);
        let saved_checks = self.include_checks;
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let mut next = Some(text.as_str());
        let mut n: u32 = 0;
        while let Some(rest) = next {
            let scan = scan_line(rest);
            // '\n' is ASCII, so both sides of it stay valid UTF-8.
            let raw = &rest[..scan.len];
            next = rest.get(scan.len + 1..).filter(|_| scan.len < rest.len());
            n += 1;
            if self.gave_up {
                break;
            }
            if self.multiline.is_none() && self.plain_line(raw, &scan, id, n) {
                continue;
            }
            let raw = raw.strip_suffix('\r').unwrap_or(raw);
            let line = Line::from_source(raw, id, n);
            let cut = strip_comment(raw).len();
            let line = line.slice(0, cut);
            if let Some((name, mut lines)) = self.multiline.take() {
                let body = line.text.trim_end();
                if let Some(head) = body.strip_suffix('\\') {
                    lines.push(line.slice(0, head.len()).trimmed());
                    self.multiline = Some((name, lines));
                } else {
                    lines.push(line.trimmed());
                    lines.retain(|l| !l.text.is_empty());
                    self.params.insert(name, lines);
                }
                continue;
            }
            let line = line.trimmed();
            if line.text.is_empty() {
                continue;
            }
            let first = line.text.split_whitespace().next().unwrap_or("");
            if let Some(checks) = IncludeChecks::for_keyword(first) {
                let checks = if self.opts.all_config {
                    IncludeChecks::for_keyword("includea").unwrap_or(checks)
                } else {
                    checks.union(self.include_checks)
                };
                self.include(&line, first.len(), checks, &dir);
                continue;
            }
            self.line(line, &dir, 0);
        }
        if let Some((name, lines)) = self.multiline.take() {
            // A definition whose last line still ends in '\': keep what was collected.
            self.params.insert(name, lines);
        }
        self.stack.pop();
        self.include_checks = saved_checks;
        self.sources.set_text(id, text);
    }

    /// Most lines use no preprocessing at all: those are lexed straight from the file's text,
    /// without building a [`Line`]. Returns false when the line needs the full treatment.
    fn plain_line(
        &mut self,
        raw: &str,
        scan: &LineScan,
        file: crate::source::FileId,
        line: u32,
    ) -> bool {
        let text = &raw[scan.first..scan.last];
        if text.is_empty() {
            return true;
        }
        if scan.dollar || text.starts_with(['@', '~']) || text.starts_with("include") {
            return false;
        }
        let lead = &raw[..scan.first];
        let lead_chars = if lead.is_ascii() {
            lead.len()
        } else {
            lead.chars().count()
        };
        let seg = Seg {
            start: 0,
            file,
            line,
            col: 1 + lead_chars as u32,
        };
        self.emit_text(text, &[seg]);
        true
    }

    /// Steps 3 to 7 for one line.
    fn line(&mut self, line: Line, dir: &Path, depth: usize) {
        if self.gave_up {
            return;
        }
        if depth > MAX_DEPTH {
            self.diags
                .error(line.start_span(), "parameter expansion nested too deep")
                .with_help("is a parameter defined in terms of itself?");
            return;
        }
        let line = line.trimmed();
        let text = line.text.as_str();
        if text.is_empty() {
            return;
        }
        // 3. Conditional configuration.
        if let Some(cond) = text.strip_prefix('@') {
            let (negate, cond) = match cond.strip_prefix('^') {
                Some(c) => (true, c),
                None => (false, cond),
            };
            let id_len = cond.find(char::is_whitespace).unwrap_or(cond.len());
            let matches = cond[..id_len] == self.opts.config_id;
            if matches != negate {
                let skip = text.len() - cond.len() + id_len;
                self.line(line.slice(skip, line.text.len()), dir, depth);
            }
            return;
        }
        // 4. Parameter definition.
        if let Ok((value, name)) = definition(text) {
            let start = text.len() - value.len();
            if name.starts_with('_') {
                self.diags
                    .warning(line.span_at(1, name.len() as u32), format!("parameter name '{name}' starts with '_': such names are reserved for keepalived's own"))
                    .keepalived_passes();
            }
            let v = value.trim_end();
            if let Some(head) = v.strip_suffix('\\') {
                let first = line.slice(start, start + head.len()).trimmed();
                let lines = if first.text.is_empty() {
                    Vec::new()
                } else {
                    vec![first]
                };
                self.multiline = Some((name.to_string(), lines));
            } else {
                let value = line.slice(start, line.text.len()).trimmed();
                self.params.insert(name.to_string(), vec![value]);
            }
            return;
        }
        // 5. Sequence and list blocks.
        if text.starts_with("~SEQ") {
            match seq_spec(text) {
                Ok((rest, (hex, var, nums))) => {
                    let spec_span = line.span_at(0, (text.len() - rest.len()) as u32);
                    let rest = line.slice(text.len() - rest.len(), line.text.len());
                    self.sequence(var, hex, &nums, spec_span, rest, dir, depth);
                }
                Err(_) => {
                    self.diags.error(
                        line.span_at(0, 4),
                        "malformed ~SEQ: expected ~SEQ(var, [start, [step,]] end)",
                    );
                }
            }
            return;
        }
        if text.starts_with("~LST") {
            match lst_spec(text) {
                Ok((rest, (vars, values))) => {
                    let spec_span = line.span_at(0, (text.len() - rest.len()) as u32);
                    let rest = line.slice(text.len() - rest.len(), line.text.len());
                    let vars: Vec<String> = vars.iter().map(|v| v.to_string()).collect();
                    let values: Vec<Vec<String>> = values
                        .iter()
                        .map(|t| t.iter().map(|v| v.to_string()).collect())
                        .collect();
                    self.list(&vars, &values, spec_span, rest, dir, depth);
                }
                Err(_) => {
                    self.diags
                        .error(line.span_at(0, 4), "malformed ~LST: expected ~LST(var, value, ...) or ~LST({var, var}, {value, value}, ...)");
                }
            }
            return;
        }
        // 6. Substitution.
        let mut line = line;
        let mut pos = 0;
        let mut changed = false;
        let mut count = 0;
        while let Some((start, end, name, args)) = find_reference(&line.text, pos) {
            let span = line.span_at(start, line.text[start..end].chars().count() as u32);
            let Some((value, rescan)) = self.resolve(&name, &args, span, dir) else {
                pos = end;
                continue;
            };
            let refers_to_itself = rescan
                && (self.expanding.contains(&name)
                    || value.iter().any(|v| refers_to(&v.text, &name)));
            if refers_to_itself {
                self.diags
                    .error(
                        span,
                        format!("parameter '{name}' refers to itself, so it would expand forever"),
                    )
                    .with_help("define it from other parameters only");
                return;
            }
            count += 1;
            if count > MAX_SUBSTITUTIONS || line.text.len() > MAX_LINE_BYTES {
                self.diags
                    .error(span, format!("parameter '{name}' keeps expanding"))
                    .with_help("is it defined in terms of itself?");
                return;
            }
            changed = true;
            let prefix = line.slice(0, start);
            let suffix = line.slice(end, line.text.len());
            if value.len() == 1 {
                let mut next = prefix;
                next.push_line(&value[0]);
                pos = if rescan {
                    start
                } else {
                    start + value[0].text.len()
                };
                next.push_line(&suffix);
                line = next;
                continue;
            }
            // A multi-line value: each of its lines becomes a line of the configuration.
            self.expanding.push(name);
            let n = value.len();
            for (i, v) in value.iter().enumerate() {
                let mut l = if i == 0 {
                    let mut l = prefix.clone();
                    l.push_line(v);
                    l
                } else {
                    v.clone()
                };
                if i == n - 1 {
                    l.push_line(&suffix);
                }
                self.line(l, dir, depth + 1);
            }
            self.expanding.pop();
            return;
        }
        if changed {
            // The result may itself be a conditional or definition ("$IF_MAIN=@main").
            let t = line.text.trim_start();
            if t.starts_with('@') || t.starts_with('~') || definition(t).is_ok() {
                return self.line(line, dir, depth + 1);
            }
        }
        // 7. Tokens.
        self.emit(&line);
    }

    fn emit(&mut self, line: &Line) {
        self.emit_text(&line.text, &line.segs);
    }

    fn emit_text(&mut self, text: &str, segs: &[Seg]) {
        let start = Span {
            file: segs[0].file,
            line: segs[0].line,
            col: segs[0].col,
            len: 1,
        };
        self.lines_out += 1;
        if self.lines_out > MAX_LINES {
            self.diags.fatal(
                Some(start),
                format!("the configuration expands to more than {MAX_LINES} lines"),
            );
            self.gave_up = true;
            return;
        }
        let mut tokens = std::mem::take(&mut self.line_tokens);
        lex(text, segs, self.diags, &mut tokens);
        // Two global_defs settings act on the preprocessing itself, from where they appear, as in
        // keepalived: random_seed makes ${_RANDOM} repeatable, include_check governs later includes.
        let first = tokens.first().map(|t| &t.kind);
        let acts =
            matches!(first, Some(TokenKind::Word(k)) if k == "random_seed" || k == "include_check");
        let words: Vec<&str> = if acts {
            tokens
                .iter()
                .map_while(|t| {
                    if let TokenKind::Word(w) = &t.kind {
                        Some(w.as_str())
                    } else {
                        None
                    }
                })
                .collect()
        } else {
            Vec::new()
        };
        match words.as_slice() {
            ["random_seed", seed, ..] => {
                if let Ok(seed) = seed.parse::<u64>() {
                    self.rng = fastrand::Rng::with_seed(seed);
                }
            }
            ["include_check", options @ ..] => {
                self.include_checks = self.include_checks.apply(options)
            }
            _ => {}
        }
        if !tokens.is_empty() {
            tokens.push(Token {
                kind: TokenKind::Eol,
                span: start,
            });
        }
        for t in tokens.drain(..) {
            self.tree.push(t, self.diags);
        }
        self.line_tokens = tokens;
        if let Some(sink) = self.sink.as_mut() {
            for node in self.tree.take_completed() {
                sink(node, self.sources, self.diags);
            }
        }
    }

}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_respect_quotes() {
        assert_eq!(strip_comment("a b # c"), "a b ");
        assert_eq!(strip_comment("a!b"), "a");
        assert_eq!(strip_comment(r#"script "x # y" # z"#), r#"script "x # y" "#);
        assert_eq!(strip_comment(r##"x "a\"#" # z"##), r##"x "a\"#" "##);
    }

    proptest::proptest! {
        /// The one-pass scan (its byte loop and the quoted one) finds what `strip_comment` and
        /// trimming do.
        #[test]
        fn scan_line_agrees_with_strip_comment(line in "[ a\t#!\"'\\\\$xé{}\r]{0,40}", tail in "(\n.*)?") {
            let text = format!("{line}{tail}");
            let scan = scan_line(&text);
            proptest::prop_assert_eq!(scan.len, line.len());
            let body = strip_comment(&line);
            let trimmed = body.trim_start_matches(|c: char| c.is_ascii_whitespace());
            let first = body.len() - trimmed.len();
            let last = first + trimmed.trim_end_matches(|c: char| c.is_ascii_whitespace()).len();
            // The text is what matters, and where it starts when there is any (for its column).
            proptest::prop_assert_eq!(&line[scan.first..scan.last], &line[first..last]);
            if first < last {
                proptest::prop_assert_eq!(scan.first, first);
            }
            proptest::prop_assert_eq!(scan.dollar, body.contains('$'));
        }
    }

    #[test]
    fn brace_expansion() {
        assert_eq!(
            expand_braces("{foo/{,cat,dog},bar}").unwrap(),
            ["foo/", "foo/cat", "foo/dog", "bar"]
        );
        assert_eq!(expand_braces("a.conf").unwrap(), ["a.conf"]);
        assert_eq!(expand_braces("a{b").unwrap(), ["a{b"]);
        assert_eq!(expand_braces(&"{a,b}".repeat(10)).unwrap().len(), 1024);
        assert_eq!(expand_braces(&"{a,b}".repeat(11)), None);
    }

    #[test]
    fn references() {
        assert_eq!(
            find_reference("a $X b", 0),
            Some((2, 4, "X".into(), "".into()))
        );
        assert_eq!(find_reference("a $Xb", 0).map(|r| r.2), Some("Xb".into()));
        assert_eq!(find_reference("a $X.b", 0), None);
        assert_eq!(
            find_reference("${X}.b", 0),
            Some((0, 4, "X".into(), "".into()))
        );
        assert_eq!(
            find_reference("${_RANDOM 1 9}", 0).map(|r| r.3),
            Some(" 1 9".into())
        );
        assert_eq!(find_reference("cost $5", 0), None);
    }

    #[test]
    fn seq_specs() {
        assert_eq!(
            seq_spec("~SEQx(S, 0x90, 0x10, 0xc0) x").unwrap().1,
            (true, "S", vec![0x90, 0x10, 0xc0])
        );
        assert_eq!(
            seq_spec("~SEQ(AD1, 0x12, -1, 0x0c)").unwrap().1,
            (false, "AD1", vec![0x12, -1, 0x0c])
        );
        assert!(seq_spec("~SEQ(, 1)").is_err());
    }

    #[test]
    fn lst_specs() {
        let (_, (vars, vals)) = lst_spec("~LST({IP, IP1}, {10,1},{20,4}) x").unwrap();
        assert_eq!(vars, ["IP", "IP1"]);
        assert_eq!(vals, [vec!["10", "1"], vec!["20", "4"]]);
        let (_, (vars, vals)) = lst_spec("~LST(IP, 1, 2, 3)").unwrap();
        assert_eq!((vars, vals.len()), (vec!["IP"], 3));
    }
}
