//! Splitting one logical line into words and braces, as keepalived does: whitespace separates
//! words; `"` and `'` quote (the quotes are removed, inner whitespace kept, and `abc" d"` is the
//! one word `abc d`); a backslash keeps the character after it in the word (`\"` does not end
//! a quoted run, `\ ` does not end a word) and both stay as written: keepalived 2.2.7 decodes
//! no escape in a string, but for a script's line and an HTTP_GET `regex`, which it decodes
//! itself ([`crate::values::decode_escapes`], [`crate::values::split_command`]); `{` and `}`
//! outside quotes are tokens of their own. Comments were removed earlier, by
//! the preprocessor, so that `${_HASH}` can produce a literal `#`.

use crate::diag::Diagnostics;
use crate::source::{FileId, Span};
use nom::branch::alt;
use nom::bytes::complete::take_while1;
use nom::character::complete::char;
use nom::combinator::map;
use nom::IResult;

/// A run of text whose characters sit one after another in a source file, starting at `start`
/// (a byte offset into [`Line::text`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Seg {
    pub start: usize,
    pub file: FileId,
    pub line: u32,
    pub col: u32,
}

/// A logical line after preprocessing, and for each part of it the place it came from. Text
/// spliced in by `$NAME` keeps the origin of the definition it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    pub text: String,
    pub segs: Vec<Seg>,
}

impl Line {
    pub fn from_source(text: &str, file: FileId, line: u32) -> Line {
        Line {
            text: text.to_string(),
            segs: vec![Seg {
                start: 0,
                file,
                line,
                col: 1,
            }],
        }
    }

    /// A line of generated text (a `~SEQ` value, `${_PWD}`) that points at `span` as a whole.
    pub fn generated(text: &str, span: Span) -> Line {
        Line {
            text: text.to_string(),
            segs: vec![Seg {
                start: 0,
                file: span.file,
                line: span.line,
                col: span.col,
            }],
        }
    }

    /// Where the character at byte offset `at` came from, covering `len` characters.
    pub fn span_at(&self, at: usize, len: u32) -> Span {
        span_at(&self.text, &self.segs, at, len)
    }

    /// The part of the line between two byte offsets, keeping every origin.
    pub fn slice(&self, from: usize, to: usize) -> Line {
        let mut out = Line {
            text: self.text[from..to].to_string(),
            segs: Vec::new(),
        };
        for (i, seg) in self.segs.iter().enumerate() {
            let end = self.segs.get(i + 1).map_or(self.text.len(), |s| s.start);
            if end <= from || seg.start >= to {
                continue;
            }
            if seg.start <= from {
                let col = seg.col + self.text[seg.start..from].chars().count() as u32;
                out.segs.push(Seg {
                    start: 0,
                    file: seg.file,
                    line: seg.line,
                    col,
                });
            } else {
                out.segs.push(Seg {
                    start: seg.start - from,
                    ..seg.clone()
                });
            }
        }
        if out.segs.is_empty() {
            let s = self.span_at(from.min(self.text.len()), 0);
            out.segs.push(Seg {
                start: 0,
                file: s.file,
                line: s.line,
                col: s.col,
            });
        }
        out
    }

    /// Appends another line's text and origins.
    pub fn push_line(&mut self, other: &Line) {
        let base = self.text.len();
        self.text.push_str(&other.text);
        for seg in &other.segs {
            self.segs.push(Seg {
                start: base + seg.start,
                ..seg.clone()
            });
        }
    }

    /// Removes leading and trailing whitespace, keeping origins right.
    pub fn trimmed(&self) -> Line {
        let start = self.text.len() - self.text.trim_start().len();
        let end = self.text.trim_end().len().max(start);
        self.slice(start, end)
    }

    /// The position of the first character (or of the end of the line when empty).
    pub fn start_span(&self) -> Span {
        self.span_at(0, 1)
    }
}

/// Where the character at byte offset `at` of `text` came from, given its segments.
fn span_at(text: &str, segs: &[Seg], at: usize, len: u32) -> Span {
    let i = segs.partition_point(|s| s.start <= at).saturating_sub(1);
    let seg = &segs[i];
    let before = &text[seg.start..at];
    let chars = if before.is_ascii() {
        before.len()
    } else {
        before.chars().count()
    };
    let col = seg.col + chars as u32;
    Span {
        file: seg.file,
        line: seg.line,
        col,
        len,
    }
}

/// What the lexer found: a word (already unquoted and unescaped) or a brace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TokenKind {
    /// Inline up to 24 bytes: nearly every word of a configuration needs no allocation.
    Word(compact_str::CompactString),
    Open,
    Close,
    /// End of a logical line: it ends a statement.
    Eol,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    pub kind: TokenKind,
    pub span: Span,
}

struct LineRef<'a> {
    text: &'a str,
    segs: &'a [Seg],
    /// One segment of ASCII text (most lines): a column is the segment's plus the byte offset.
    ascii_single: bool,
}

impl LineRef<'_> {
    fn span_at(&self, at: usize, len: u32) -> Span {
        if self.ascii_single {
            let seg = &self.segs[0];
            return Span {
                file: seg.file,
                line: seg.line,
                col: seg.col + (at - seg.start) as u32,
                len,
            };
        }
        span_at(self.text, self.segs, at, len)
    }
}

/// One piece of a word: quoted and unquoted runs are glued together into one word.
enum Piece<'a> {
    /// Unquoted text, borrowed from the line (most words are one such piece).
    Bare(&'a str),
    Text(String),
    /// A quoted run that reached the end of the line without its closing quote.
    Unterminated(String),
}

fn is_bare(c: char) -> bool {
    !c.is_ascii_whitespace() && !matches!(c, '"' | '\'' | '{' | '}' | '\\')
}

/// Skips ASCII whitespace, which is what separates words (keepalived splits on C's isspace).
pub(crate) fn skip_space(s: &str) -> &str {
    let n = s.bytes().take_while(u8::is_ascii_whitespace).count();
    &s[n..]
}

/// The body of a quoted run, up to and including the closing quote.
fn quoted<'a>(quote: char) -> impl Fn(&'a str) -> IResult<&'a str, Piece<'a>> {
    move |input: &str| {
        let (mut rest, _) = char(quote)(input)?;
        let mut text = String::new();
        loop {
            let mut chars = rest.chars();
            match chars.next() {
                None => return Ok((rest, Piece::Unterminated(text))),
                Some(c) if c == quote => return Ok((chars.as_str(), Piece::Text(text))),
                Some('\\') => {
                    // Kept as written, with the character it escapes.
                    text.push('\\');
                    if let Some(c) = chars.next() {
                        text.push(c);
                    }
                    rest = chars.as_str();
                }
                Some(c) => {
                    text.push(c);
                    rest = chars.as_str();
                }
            }
        }
    }
}

/// Outside quotes a backslash and the character after it stay in the word as written: a quote
/// so escaped starts no quoted run, a blank so escaped ends no word.
fn bare_escape(input: &str) -> IResult<&str, Piece<'_>> {
    let (rest, _) = char('\\')(input)?;
    let taken = 1 + rest.chars().next().map_or(0, char::len_utf8);
    Ok((&input[taken..], Piece::Bare(&input[..taken])))
}

/// `${...}` left in place (an undefined parameter) stays part of the word: its braces never open
/// a block.
fn unexpanded_reference(input: &str) -> IResult<&str, Piece<'_>> {
    let (rest, _) = nom::bytes::complete::tag("${")(input)?;
    match rest.find(['}', '\n']) {
        Some(i) if rest.as_bytes()[i] == b'}' => Ok((&rest[i + 1..], Piece::Bare(&input[..i + 3]))),
        _ => Err(nom::Err::Error(nom::error::Error::new(
            input,
            nom::error::ErrorKind::Tag,
        ))),
    }
}

fn piece(input: &str) -> IResult<&str, Piece<'_>> {
    alt((
        unexpanded_reference,
        map(take_while1(|c| is_bare(c) && c != '$'), Piece::Bare),
        map(nom::bytes::complete::tag("$"), Piece::Bare),
        quoted('"'),
        quoted('\''),
        bare_escape,
    ))(input)
}

/// Splits a preprocessed line into tokens. An unterminated quote is an error, and the line's
/// words are dropped, as keepalived drops the line ("String '...': missing terminating \"");
/// its braces stay.
pub fn lex_line(line: &Line, diags: &mut Diagnostics, out: &mut Vec<Token>) {
    lex(&line.text, &line.segs, diags, out)
}

/// [`lex_line`] on a line given as its text and segments (the preprocessor's fast path for plain
/// lines builds no [`Line`]).
pub fn lex(text: &str, segs: &[Seg], diags: &mut Diagnostics, out: &mut Vec<Token>) {
    if let [seg] = segs {
        if lex_plain(text, seg, out) {
            return;
        }
    }
    let ascii = text.is_ascii();
    let line = LineRef {
        text,
        segs,
        ascii_single: segs.len() == 1 && ascii,
    };
    let first = out.len();
    let mut unterminated = None;
    let mut rest = text;
    loop {
        rest = skip_space(rest);
        let at = text.len() - rest.len();
        let Some(c) = rest.chars().next() else { break };
        if c == '{' || c == '}' {
            let kind = if c == '{' {
                TokenKind::Open
            } else {
                TokenKind::Close
            };
            out.push(Token {
                kind,
                span: line.span_at(at, 1),
            });
            rest = &rest[1..];
            continue;
        }
        // Most words are one plain run ending at a space, a brace or the line's end: take those
        // straight from the text; anything with quotes, escapes or `$` goes through the parsers.
        let plain = rest
            .bytes()
            .take_while(|&b| {
                !b.is_ascii_whitespace() && !matches!(b, b'"' | b'\'' | b'{' | b'}' | b'\\' | b'$')
            })
            .count();
        if plain > 0
            && rest
                .as_bytes()
                .get(plain)
                .is_none_or(|b| b.is_ascii_whitespace() || matches!(b, b'{' | b'}'))
        {
            let word = &rest[..plain];
            let len = if ascii || word.is_ascii() {
                plain
            } else {
                word.chars().count()
            } as u32;
            out.push(Token {
                kind: TokenKind::Word(word.into()),
                span: line.span_at(at, len),
            });
            rest = &rest[plain..];
            continue;
        }
        let mut word = compact_str::CompactString::default();
        while let Ok((r, p)) = piece(rest) {
            match p {
                Piece::Bare(t) => word.push_str(t),
                Piece::Text(t) => word.push_str(&t),
                Piece::Unterminated(t) => {
                    let quote_at = text.len() - rest.len();
                    unterminated = Some(line.span_at(quote_at, 1));
                    word.push_str(&t);
                }
            }
            rest = r;
        }
        let end = text.len() - rest.len();
        let len = text[at..end].chars().count() as u32;
        out.push(Token {
            kind: TokenKind::Word(word),
            span: line.span_at(at, len),
        });
    }
    if let Some(span) = unterminated {
        let words_only = out[first..]
            .iter()
            .all(|t| matches!(t.kind, TokenKind::Word(_)));
        let mut kept = first;
        for i in first..out.len() {
            if !matches!(out[i].kind, TokenKind::Word(_)) {
                out.swap(kept, i);
                kept += 1;
            }
        }
        out.truncate(kept);
        let d = diags.error(span, "unterminated quoted string; the line is ignored");
        // Measured on a line of words: keepalived's daemon runs without it.
        if words_only {
            d.daemon_runs_on();
        }
    }
}

/// Byte classes for the per-byte loops of the lexer's fast path: one table load and a bit test
/// per byte, where a `match` compiles to a jump per byte.
mod class {
    /// ASCII whitespace (what separates words; `u8::is_ascii_whitespace`).
    pub const SPACE: u8 = 1;
    /// `{` and `}`.
    pub const BRACE: u8 = 2;
    /// What the fast path leaves to the general lexer: quotes, `\\`, `$`, non-ASCII.
    pub const SLOW: u8 = 4;

    pub static OF: [u8; 256] = {
        let mut t = [0u8; 256];
        let mut i = 0;
        while i < 256 {
            let c = i as u8;
            let mut k = 0;
            if c.is_ascii_whitespace() {
                k |= SPACE;
            }
            if c == b'{' || c == b'}' {
                k |= BRACE;
            }
            if c == b'"' || c == b'\'' || c == b'\\' || c == b'$' || !c.is_ascii() {
                k |= SLOW;
            }
            t[i] = k;
            i += 1;
        }
        t
    };
}

/// [`lex`] for the common line: one segment of ASCII text without quotes, backslashes or `$`,
/// where words are runs between blanks and braces and a column is the segment's plus the byte
/// offset. Each token is built in place, from values in registers. Returns false, with `out`
/// as it was, at the first byte that needs the general lexer.
fn lex_plain(text: &str, seg: &Seg, out: &mut Vec<Token>) -> bool {
    let start_len = out.len();
    let b = text.as_bytes();
    let span = |at: usize, len: usize| Span {
        file: seg.file,
        line: seg.line,
        col: seg.col + (at - seg.start) as u32,
        len: len as u32,
    };
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        let k = class::OF[c as usize];
        if k & class::SPACE != 0 {
            i += 1;
            continue;
        }
        if k & class::BRACE != 0 {
            let kind = if c == b'{' {
                TokenKind::Open
            } else {
                TokenKind::Close
            };
            out.push(Token {
                kind,
                span: span(i, 1),
            });
            i += 1;
            continue;
        }
        let start = i;
        while let Some(&c) = b.get(i) {
            let k = class::OF[c as usize];
            if k != 0 {
                if k & class::SLOW != 0 {
                    out.truncate(start_len);
                    return false;
                }
                if k & (class::SPACE | class::BRACE) != 0 {
                    break;
                }
            }
            i += 1;
        }
        out.push(Token {
            kind: TokenKind::Word(compact_str::CompactString::new(&text[start..i])),
            span: span(start, i - start),
        });
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// The fast path for plain one-segment lines gives exactly what the general lexer gives
        /// (forced here by cutting the same line into two segments whose columns run on).
        #[test]
        fn plain_fast_path_agrees(line in "[ a-z0-9\t{}\\\"'$é_./-]{0,40}", cut in 0usize..41) {
            let at = (0..=cut.min(line.len())).rev().find(|&i| line.is_char_boundary(i)).unwrap_or(0);
            let one = [Seg { start: 0, file: FileId(0), line: 3, col: 5 }];
            let cols = line[..at].chars().count() as u32;
            let two = [one[0].clone(), Seg { start: at, col: 5 + cols, ..one[0].clone() }];
            let (mut d1, mut d2) = (Diagnostics::new(), Diagnostics::new());
            let (mut t1, mut t2) = (Vec::new(), Vec::new());
            lex(&line, &one, &mut d1, &mut t1);
            lex(&line, &two, &mut d2, &mut t2);
            proptest::prop_assert_eq!(t1, t2);
            proptest::prop_assert_eq!(d1.len(), d2.len());
        }
    }

    fn words(s: &str) -> Vec<String> {
        let mut d = Diagnostics::new();
        let mut out = Vec::new();
        lex_line(&Line::from_source(s, FileId(0), 1), &mut d, &mut out);
        assert!(d.is_empty(), "{d:?}");
        out.into_iter()
            .map(|t| match t.kind {
                TokenKind::Word(w) => w.to_string(),
                TokenKind::Open => "{".into(),
                TokenKind::Close => "}".into(),
                TokenKind::Eol => "\n".into(),
            })
            .collect()
    }

    #[test]
    fn quotes_glue_and_keep_spaces() {
        assert_eq!(words(r#"abcd" efg h jkl "mnop"#), ["abcd efg h jkl mnop"]);
        assert_eq!(
            words(r#"abcd "efg h jkl" mnop"#),
            ["abcd", "efg h jkl", "mnop"]
        );
        assert_eq!(
            words("script '/bin/x a b' c"),
            ["script", "/bin/x a b", "c"]
        );
    }

    #[test]
    fn backslashes_stay_as_written() {
        assert_eq!(words(r#""a\tb\x41\101\cA\q\\""#), [r"a\tb\x41\101\cA\q\\"]);
        assert_eq!(words(r#""say \"hi\"" x"#), [r#"say \"hi\""#, "x"]);
        assert_eq!(words(r#"a\ b\"c d"#), [r#"a\ b\"c"#, "d"]);
        assert_eq!(words(r"end\"), [r"end\"]);
    }

    #[test]
    fn braces_split_words() {
        assert_eq!(
            words("vrrp_instance VI_1{ state MASTER }"),
            ["vrrp_instance", "VI_1", "{", "state", "MASTER", "}"]
        );
        assert_eq!(words("x ${UNDEF}/a $ {"), ["x", "${UNDEF}/a", "$", "{"]);
        assert_eq!(words(r#"regex "a{2}""#), ["regex", "a{2}"]);
    }

    #[test]
    fn columns_count_characters() {
        let mut d = Diagnostics::new();
        let mut out = Vec::new();
        lex_line(
            &Line::from_source("\tpriorité  100", FileId(0), 7),
            &mut d,
            &mut out,
        );
        assert_eq!((out[0].span.col, out[0].span.len), (2, 8));
        assert_eq!(out[1].span.col, 12);
    }

    #[test]
    fn unterminated_quote_is_an_error() {
        let mut d = Diagnostics::new();
        let mut out = Vec::new();
        lex_line(
            &Line::from_source(r#"script "abc"#, FileId(0), 1),
            &mut d,
            &mut out,
        );
        assert_eq!(d.len(), 1);
        // The line is dropped, as keepalived drops it.
        assert!(out.is_empty());
    }

    #[test]
    fn slices_keep_origins() {
        let mut l = Line::from_source("ab ", FileId(0), 3);
        l.push_line(&Line::from_source("xyz", FileId(1), 9));
        let s = l.slice(1, 5);
        assert_eq!(s.text, "b xy");
        assert_eq!(s.span_at(0, 1).col, 2);
        assert_eq!(
            s.span_at(2, 1),
            Span {
                file: FileId(1),
                line: 9,
                col: 1,
                len: 1
            }
        );
        assert_eq!(s.span_at(3, 1).col, 2);
    }
}
