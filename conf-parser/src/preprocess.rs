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
use nom::branch::alt;
use nom::bytes::complete::{tag, take_while, take_while1};
use nom::character::complete::{char, hex_digit1, multispace0};
use nom::combinator::{map_res, opt, recognize};
use nom::multi::separated_list1;
use nom::sequence::{delimited, pair, preceded};
use nom::IResult;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

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

/// What one pass over a line finds: its length up to the '\n' (or the end), and before any comment
/// the range of its text without surrounding blanks and whether it holds a `$`. The quote and
/// escape rules are [`strip_comment`]'s.
struct LineScan {
    len: usize,
    first: usize,
    last: usize,
    dollar: bool,
}

fn scan_line(s: &str) -> LineScan {
    let all = s.as_bytes();
    // Eight bytes at a time (SWAR): the first byte that ends the line's text (`\n`, `#`, `!`) or
    // needs the quote-aware scan (`"`, `'`, `\\`), and whether a `$` comes before it. Lines
    // are short, so this beats both a byte loop and separate SIMD searches with their set-up.
    let mut dollar = false;
    let mut i = 0;
    let stop = loop {
        if i >= all.len() {
            break all.len();
        }
        let x = match all.get(i..i + 8) {
            Some(c) => u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]),
            None => {
                // The tail, padded with zero bytes (none of the bytes looked for).
                let mut c = [0u8; 8];
                c[..all.len() - i].copy_from_slice(&all[i..]);
                u64::from_le_bytes(c)
            }
        };
        let stops = swar::eq(x, b'\n')
            | swar::eq(x, b'#')
            | swar::eq(x, b'!')
            | swar::eq(x, b'"')
            | swar::eq(x, b'\'')
            | swar::eq(x, b'\\');
        let dollars = swar::eq(x, b'$');
        if stops != 0 {
            // The lowest flagged byte is always a true match (see `swar::eq`).
            let bit = stops.trailing_zeros();
            dollar |= dollars & ((1u64 << bit) - 1) != 0;
            break i + (bit / 8) as usize;
        }
        dollar |= dollars != 0;
        i += 8;
    };
    if matches!(all.get(stop), Some(b'"' | b'\'' | b'\\')) {
        let len = stop + memchr::memchr(b'\n', &all[stop..]).unwrap_or(all.len() - stop);
        return scan_line_quoted(&all[..len]);
    }
    let cut = stop;
    // After a comment only the end of the line matters (whatever the comment holds); most lines
    // have none, and end where the search stopped.
    let len = match all.get(cut) {
        Some(b'\n') | None => cut,
        Some(_) => cut + memchr::memchr(b'\n', &all[cut..]).unwrap_or(all.len() - cut),
    };
    let body = &all[..cut];
    let first = body
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(cut);
    let last = body
        .iter()
        .rposition(|c| !c.is_ascii_whitespace())
        .map_or(first, |p| p + 1);
    LineScan {
        len,
        first,
        last,
        dollar,
    }
}

/// Byte searches within a `u64` (eight bytes, the first in the low byte).
mod swar {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;

    /// The high bit of each byte of `x` equal to `c`. A borrow can also flag a byte above a
    /// true match, never below one: the lowest flagged byte is always a true match, and a mask
    /// is zero exactly when there is none.
    pub fn eq(x: u64, c: u8) -> u64 {
        let v = x ^ (ONES * u64::from(c));
        v.wrapping_sub(ONES) & !v & HIGHS
    }
}

/// [`scan_line`] for a line (without its '\n') that has quotes or backslashes.
fn scan_line_quoted(b: &[u8]) -> LineScan {
    let (mut quote, mut escaped, mut dollar) = (0u8, false, false);
    let (mut first, mut last) = (None, 0);
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'\n' {
            break;
        }
        if escaped {
            escaped = false;
        } else if c == b'\\' {
            escaped = true;
        } else if quote != 0 {
            if c == quote {
                quote = 0;
            }
        } else if c == b'"' || c == b'\'' {
            quote = c;
        } else if c == b'#' || c == b'!' {
            // A comment: only the end of the line matters now.
            i += b[i..]
                .iter()
                .position(|&c| c == b'\n')
                .unwrap_or(b.len() - i);
            break;
        }
        dollar |= c == b'$';
        if !c.is_ascii_whitespace() {
            first.get_or_insert(i);
            last = i + 1;
        }
        i += 1;
    }
    let first = first.unwrap_or(last);
    LineScan {
        len: i,
        first,
        last,
        dollar,
    }
}

/// Cuts a comment: `#` or `!` outside quotes, to the end of the line. Works on bytes: every
/// character it looks for is ASCII, so its positions are character boundaries.
fn strip_comment(text: &str) -> &str {
    let mut quote: Option<u8> = None;
    let mut escaped = false;
    for (i, b) in text.bytes().enumerate() {
        if escaped {
            escaped = false;
            continue;
        }
        match (quote, b) {
            (_, b'\\') => escaped = true,
            (Some(q), b) if b == q => quote = None,
            (None, b'"' | b'\'') => quote = Some(b),
            (None, b'#' | b'!') => return &text[..i],
            _ => {}
        }
    }
    text
}

fn is_name_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

fn param_name(i: &str) -> IResult<&str, &str> {
    recognize(pair(take_while1(is_name_start), take_while(is_name_char)))(i)
}

/// `$NAME=` at the start of a (trimmed) line.
fn definition(i: &str) -> IResult<&str, &str> {
    delimited(char('$'), param_name, char('='))(i)
}

/// A number in a `~SEQ`: decimal or `0x` hex, optionally negative.
fn seq_number(i: &str) -> IResult<&str, i64> {
    let (i, neg) = opt(char('-'))(i)?;
    let (i, v) = alt((
        map_res(preceded(alt((tag("0x"), tag("0X"))), hex_digit1), |h| {
            i64::from_str_radix(h, 16)
        }),
        map_res(take_while1(|c: char| c.is_ascii_digit()), |d: &str| {
            d.parse::<i64>()
        }),
    ))(i)?;
    Ok((i, if neg.is_some() { -v } else { v }))
}

fn ws<'a, O>(
    f: impl FnMut(&'a str) -> IResult<&'a str, O>,
) -> impl FnMut(&'a str) -> IResult<&'a str, O> {
    delimited(multispace0, f, multispace0)
}

/// `~SEQ(var, [start, [step,]] end)` or `~SEQx(...)`: the variable, the values as text, the rest.
fn seq_spec(i: &str) -> IResult<&str, (bool, &str, Vec<i64>)> {
    let (i, hex) = alt((
        nom::combinator::value(true, tag("~SEQx(")),
        nom::combinator::value(false, tag("~SEQ(")),
    ))(i)?;
    let (i, var) = ws(param_name)(i)?;
    let (i, nums) = preceded(char(','), separated_list1(char(','), ws(seq_number)))(i)?;
    let (i, _) = char(')')(i)?;
    Ok((i, (hex, var, nums)))
}

/// A `~LST` value or variable name: up to the next `,`, `}` or `)`.
fn lst_item(i: &str) -> IResult<&str, &str> {
    ws(take_while(|c: char| !matches!(c, ',' | '}' | ')' | '{')))(i)
}

/// `{a, b}` or a single item.
fn lst_group(i: &str) -> IResult<&str, Vec<&str>> {
    alt((
        delimited(
            ws(char('{')),
            separated_list1(char(','), lst_item),
            ws(char('}')),
        ),
        nom::combinator::map(lst_item, |v| vec![v]),
    ))(i)
}

/// `~LST(var, v1, v2, ...)` or `~LST({a, b}, {1, 2}, ...)`: variables, value tuples.
fn lst_spec(i: &str) -> IResult<&str, (Vec<&str>, Vec<Vec<&str>>)> {
    let (i, _) = tag("~LST(")(i)?;
    let (i, vars) = lst_group(i)?;
    let (i, values) = preceded(char(','), separated_list1(char(','), lst_group))(i)?;
    let (i, _) = char(')')(i)?;
    Ok((i, (vars, values)))
}

/// csh-style brace expansion of an include pattern: `a{b,c{d,e}}` -> `ab acd ace`. None when it
/// would make more than [`MAX_BRACE_ALTERNATIVES`] patterns.
pub fn expand_braces(pattern: &str) -> Option<Vec<String>> {
    let mut out = Vec::new();
    expand_braces_into(pattern, &mut out).then_some(out)
}

fn expand_braces_into(pattern: &str, out: &mut Vec<String>) -> bool {
    let bytes: Vec<char> = pattern.chars().collect();
    let Some(open) = bytes.iter().position(|&c| c == '{') else {
        out.push(pattern.to_string());
        return out.len() <= MAX_BRACE_ALTERNATIVES;
    };
    let mut depth = 0;
    let mut commas = Vec::new();
    let mut close = None;
    for (i, &c) in bytes.iter().enumerate().skip(open) {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    close = Some(i);
                    break;
                }
            }
            ',' if depth == 1 => commas.push(i),
            _ => {}
        }
    }
    let Some(close) = close else {
        out.push(pattern.to_string());
        return out.len() <= MAX_BRACE_ALTERNATIVES;
    };
    let prefix: String = bytes[..open].iter().collect();
    let suffix: String = bytes[close + 1..].iter().collect();
    let mut bounds = vec![open];
    bounds.extend(&commas);
    bounds.push(close);
    for w in bounds.windows(2) {
        let alt: String = bytes[w[0] + 1..w[1]].iter().collect();
        if !expand_braces_into(&format!("{prefix}{alt}{suffix}"), out) {
            return false;
        }
    }
    true
}

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

    fn include(&mut self, line: &Line, kw_len: usize, checks: IncludeChecks, dir: &Path) {
        let kw_span = line.span_at(0, kw_len as u32);
        let rest = line.slice(kw_len, line.text.len()).trimmed();
        let pattern = rest
            .text
            .trim_matches(|c| c == '"' || c == '\'')
            .to_string();
        let at = rest.span_at(0, rest.text.chars().count().max(1) as u32);
        if pattern.is_empty() {
            self.diags
                .error(kw_span, "include needs a file name or pattern");
            return;
        }
        let Some(alternatives) = expand_braces(&pattern) else {
            self.diags.error(at, format!("include pattern '{pattern}' expands to more than {MAX_BRACE_ALTERNATIVES} alternatives"));
            return;
        };
        let mut any = false;
        for alternative in alternatives {
            let full = if Path::new(&alternative).is_absolute() {
                PathBuf::from(&alternative)
            } else {
                dir.join(&alternative)
            };
            let full_str = full.to_string_lossy().to_string();
            let is_wild = alternative.contains(['*', '?', '[']);
            let mut matches: Vec<PathBuf> = match glob::glob(&full_str) {
                Ok(paths) => paths.filter_map(Result::ok).collect(),
                Err(e) => {
                    self.diags
                        .error(at, format!("invalid include pattern '{pattern}': {e}"));
                    return;
                }
            };
            if matches.is_empty() && !is_wild && full.exists() {
                matches.push(full.clone());
            }
            matches.sort();
            if matches.is_empty() {
                let strict = if is_wild {
                    checks.wildcard || checks.brace
                } else {
                    checks.matched || checks.readable || checks.brace
                };
                let msg = format!("include '{alternative}' matches no file");
                if strict {
                    self.diags.error(at, msg);
                } else {
                    self.diags.warning(at, msg).with_help("plain 'include' ignores this, as keepalived does; 'includea' makes it an error").keepalived_passes();
                }
            }
            for m in matches {
                any = true;
                if !self.read_file(&m, Some(kw_span)) {
                    let msg = format!("cannot read included file '{}'", m.display());
                    if checks.readable {
                        self.diags.error(at, msg);
                    } else {
                        self.diags.warning(at, msg);
                    }
                }
            }
        }
        if !any && checks.matched {
            // Already reported per alternative; nothing more to say.
        }
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

    /// The lines a reference stands for, and whether they are to be scanned again (user
    /// parameters are, recursively; built-in values are literal). None: leave it as written.
    fn resolve(
        &mut self,
        name: &str,
        args: &str,
        span: Span,
        dir: &Path,
    ) -> Option<(Vec<Line>, bool)> {
        let literal = |s: &str| Some((vec![Line::generated(s, span)], false));
        match name {
            "_PWD" => literal(
                &dir.canonicalize()
                    .unwrap_or_else(|_| dir.to_path_buf())
                    .display()
                    .to_string(),
            ),
            "_INSTANCE" => literal(&self.opts.config_id.clone()),
            "_HASH" => literal("#"),
            "_BANG" => literal("!"),
            "_ENV" => literal(&std::env::var(args.trim()).unwrap_or_default()),
            "_RANDOM" => {
                let mut nums = args.split_whitespace().map(|n| n.parse::<u64>());
                let min = match nums.next() {
                    Some(Ok(v)) => v,
                    None => 0,
                    Some(Err(_)) => {
                        self.diags.error(
                            span,
                            "${_RANDOM} takes non-negative integers: ${_RANDOM [MIN [MAX]]}",
                        );
                        return None;
                    }
                };
                let max = match nums.next() {
                    Some(Ok(v)) => v,
                    None => 32767,
                    Some(Err(_)) => {
                        self.diags.error(
                            span,
                            "${_RANDOM} takes non-negative integers: ${_RANDOM [MIN [MAX]]}",
                        );
                        return None;
                    }
                };
                if min > max {
                    self.diags.error(
                        span,
                        format!("${{_RANDOM {min} {max}}}: MIN is greater than MAX"),
                    );
                    return None;
                }
                literal(&self.rng.u64(min..=max).to_string())
            }
            _ => self.params.get(name).map(|v| (v.clone(), true)),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn sequence(
        &mut self,
        var: &str,
        hex: bool,
        nums: &[i64],
        span: Span,
        rest: Line,
        dir: &Path,
        depth: usize,
    ) {
        // i128: the count and the value after the last one must not overflow at the ends of i64.
        let nums: Vec<i128> = nums.iter().map(|&n| i128::from(n)).collect();
        let (start, step, end) = match *nums.as_slice() {
            [end] => (
                if end < 0 { -1 } else { 1 },
                if end < 0 { -1 } else { 1 },
                end,
            ),
            [start, end] => (start, if end >= start { 1 } else { -1 }, end),
            [start, step, end] => (start, step, end),
            _ => {
                self.diags
                    .error(span, "~SEQ takes a variable and one to three numbers");
                return;
            }
        };
        if step == 0 {
            self.diags.error(span, "~SEQ step must not be 0");
            return;
        }
        let count = if (step > 0 && start > end) || (step < 0 && start < end) {
            0
        } else {
            (end - start) / step + 1
        };
        if count > MAX_SEQ_VALUES {
            self.diags.error(
                span,
                format!("~SEQ would produce {count} values; at most {MAX_SEQ_VALUES} are allowed"),
            );
            return;
        }
        let saved = self.params.remove(var);
        let mut v = start;
        for _ in 0..count {
            if self.gave_up {
                break;
            }
            let text = if hex { format!("{v:x}") } else { v.to_string() };
            self.params
                .insert(var.to_string(), vec![Line::generated(&text, span)]);
            self.line(rest.clone(), dir, depth + 1);
            v += step;
        }
        self.restore(var, saved);
    }

    fn list(
        &mut self,
        vars: &[String],
        values: &[Vec<String>],
        span: Span,
        rest: Line,
        dir: &Path,
        depth: usize,
    ) {
        if vars
            .iter()
            .any(|v| param_name(v).map_or(true, |(r, _)| !r.is_empty()))
        {
            self.diags
                .error(span, "~LST variable names are letters, digits and '_'");
            return;
        }
        if let Some(bad) = values.iter().find(|t| t.len() != vars.len()) {
            self.diags.error(
                span,
                format!(
                    "~LST value {{{}}} has {} items for {} variables",
                    bad.join(","),
                    bad.len(),
                    vars.len()
                ),
            );
            return;
        }
        let saved: Vec<_> = vars.iter().map(|v| self.params.remove(v)).collect();
        for tuple in values {
            if self.gave_up {
                break;
            }
            for (var, val) in vars.iter().zip(tuple) {
                self.params
                    .insert(var.clone(), vec![Line::generated(val, span)]);
            }
            self.line(rest.clone(), dir, depth + 1);
        }
        for (var, s) in vars.iter().zip(saved) {
            self.restore(var, s);
        }
    }

    fn restore(&mut self, var: &str, saved: Option<Vec<Line>>) {
        match saved {
            Some(s) => self.params.insert(var.to_string(), s),
            None => self.params.remove(var),
        };
    }
}

/// Does `text` contain a reference to parameter `name`?
fn refers_to(text: &str, name: &str) -> bool {
    let mut pos = 0;
    while let Some((_, end, n, _)) = find_reference(text, pos) {
        if n == name {
            return true;
        }
        pos = end;
    }
    false
}

/// The next `$NAME` (followed by whitespace or the end) or `${NAME [args]}` at or after `pos`:
/// its byte range, the name and the arguments inside the braces.
fn find_reference(text: &str, pos: usize) -> Option<(usize, usize, String, String)> {
    let mut from = pos;
    while let Some(off) = text.get(from..)?.find('$') {
        let start = from + off;
        let after = &text[start + 1..];
        if let Some(inner) = after.strip_prefix('{') {
            if let Some(close) = inner.find('}') {
                let body = &inner[..close];
                if let Ok((args, name)) = param_name(body) {
                    if args.is_empty() || args.starts_with(char::is_whitespace) {
                        return Some((
                            start,
                            start + 2 + close + 1,
                            name.to_string(),
                            args.to_string(),
                        ));
                    }
                }
            }
        } else if let Ok((rest, name)) = param_name(after) {
            if rest.is_empty() || rest.starts_with(char::is_whitespace) {
                return Some((
                    start,
                    start + 1 + name.len(),
                    name.to_string(),
                    String::new(),
                ));
            }
        }
        from = start + 1;
    }
    None
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
