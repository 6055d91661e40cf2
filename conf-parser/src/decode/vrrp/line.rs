//! A cursor over the words of one line of an address, route or rule block, with the
//! diagnostics those parsers share.

use crate::decode::Cx;
use crate::tree::{Node, Word};
use crate::values;

pub(super) struct Line<'a> {
    words: Vec<&'a Word>,
    pos: usize,
    /// The block the line is in, for messages (`virtual_routes`).
    pub block: &'static str,
}

impl<'a> Line<'a> {
    /// All the words of the line, the statement's keyword first. A `{ }` block after the line
    /// is an error (and ignored).
    pub fn new(cx: &mut Cx, node: &'a Node, block: &'static str) -> Line<'a> {
        if let Some(b) = &node.block {
            cx.error(
                b.open,
                format!("a line of {block} does not take a {{ }} block; it is ignored"),
            );
        }
        Line {
            words: std::iter::once(&node.keyword)
                .chain(node.args.iter())
                .collect(),
            pos: 0,
            block,
        }
    }

    pub fn next(&mut self) -> Option<&'a Word> {
        let w = self.words.get(self.pos).copied();
        self.pos += 1;
        w
    }

    pub fn peek(&self) -> Option<&'a Word> {
        self.words.get(self.pos).copied()
    }

    /// Goes back one word (the caller looked at a word that belongs to the next option).
    pub fn back(&mut self) {
        self.pos = self.pos.saturating_sub(1);
    }

    /// The value of option `opt`, with an error when the line ends first.
    pub fn value(&mut self, cx: &mut Cx, opt: &Word) -> Option<&'a Word> {
        let w = self.next();
        if w.is_none() {
            cx.error(
                opt.span,
                format!("'{}' in {} needs a value", opt.text, self.block),
            );
        }
        w
    }

    /// The value of `opt` if it is the word `lock` followed by a value, or a value.
    pub fn locked_value(
        &mut self,
        cx: &mut Cx,
        opt: &Word,
        extra: &mut Vec<String>,
    ) -> Option<&'a Word> {
        if self.peek().is_some_and(|w| w.text == "lock") {
            self.next();
            extra.push("lock".into());
        }
        self.value(cx, opt)
    }

    /// keepalived 2.2.7 reads `inet`/`inet6` in a route or rule line together with the word
    /// after it, which it ignores (measured: `inet6 2001:db8::/48 dev eth0` has no
    /// destination, `inet6 from 2001:db8::/32` an unknown option `2001:db8::/32`,
    /// `inet6 not from P` is `from P`). So does this, with a warning; keepalived says nothing
    /// of the word itself, only of what is left.
    pub fn skip_after_family(&mut self, cx: &mut Cx, family: &Word) {
        if let Some(w) = self.next() {
            cx.warning(
                w.span,
                format!(
                    "keepalived 2.2.7 takes the word after '{}' in {} as part of it: '{}' is ignored",
                    family.text, self.block, w.text
                ),
            )
            .with_help(format!(
                "leave '{}' out: the addresses give the family (an IPv6 default is ::/0)",
                family.text
            ))
            .keepalived_passes();
        }
    }

    /// An error about the value `word` of option `opt`.
    pub fn bad(&self, cx: &mut Cx, opt: &str, word: &Word, why: &str) {
        self.invalid(cx, opt, word, why);
    }

    /// [`Line::bad`]'s diagnostic, for what keepalived does after it.
    pub fn invalid<'c>(
        &self,
        cx: &'c mut Cx,
        opt: &str,
        word: &Word,
        why: &str,
    ) -> &'c mut crate::diag::Diagnostic {
        cx.error(
            word.span,
            format!(
                "invalid value '{}' for '{opt}' in {}: {why}",
                word.text, self.block
            ),
        )
    }

    /// The value of `opt` as an unsigned integer up to `max` (decimal, or hex with 0x).
    pub fn uint(&mut self, cx: &mut Cx, opt: &Word, max: u64) -> Option<(u64, &'a Word)> {
        let w = self.value(cx, opt)?;
        match parse_uint(&w.text) {
            Some(v) if v <= max => Some((v, w)),
            _ => {
                self.bad(
                    cx,
                    &opt.text,
                    w,
                    &format!("expected an integer between 0 and {max}"),
                );
                None
            }
        }
    }
}

/// An unsigned integer, decimal or `0x` hexadecimal (keepalived reads these with base 0).
pub(super) fn parse_uint(s: &str) -> Option<u64> {
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(hex) if !hex.is_empty() => u64::from_str_radix(hex, 16).ok(),
        _ if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => s.parse().ok(),
        _ => None,
    }
}

/// `ADDR[/LEN]`, `default`, `any` or `all` (a route/rule selector).
pub(super) fn parse_dest(s: &str) -> Result<crate::model::vrrp::Dest, String> {
    use crate::model::vrrp::Dest;
    match s {
        "default" | "any" | "all" => Ok(Dest::Default),
        _ => match values::parse_prefix(s) {
            Ok(p) => Ok(Dest::Prefix(p)),
            Err(e)
                if s.split_once('/')
                    .is_some_and(|(a, _)| values::parse_ip(a).is_ok()) =>
            {
                Err(e)
            }
            Err(_) => Err("expected an address, a prefix (ADDR/LEN), or default".into()),
        },
    }
}
