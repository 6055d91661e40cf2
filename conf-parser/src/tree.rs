//! From tokens to a tree of statements. keepalived's grammar is line based: a statement is a
//! keyword and its arguments on one line, optionally followed by a `{ ... }` block whose opening
//! brace sits on the same line or at the start of the next one. Blocks nest to any depth.
//! Inside list blocks (`virtual_ipaddress`, `notification_email`, ...) each line is a statement
//! too; the block's decoder reads the first word as a value rather than a keyword.

use crate::diag::Diagnostics;
use crate::lexer::{Token, TokenKind};
use crate::source::Span;

/// Deeper nesting than this is refused: no real configuration comes near it, and it keeps a
/// hostile input from exhausting the stack.
const MAX_DEPTH: usize = 64;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Word {
    pub text: compact_str::CompactString,
    pub span: Span,
}

impl Word {
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Block {
    pub open: Span,
    pub close: Span,
    pub items: Vec<Node>,
}

/// One statement: `keyword arg arg ... [{ items }]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Node {
    pub keyword: Word,
    pub args: Vec<Word>,
    pub block: Option<Block>,
}

impl Node {
    pub fn name(&self) -> &str {
        &self.keyword.text
    }

    /// The span from the keyword to the last argument, for messages about the whole statement.
    pub fn span(&self) -> Span {
        let k = self.keyword.span;
        match self.args.last() {
            Some(last)
                if last.span.file == k.file
                    && last.span.line == k.line
                    && last.span.col >= k.col =>
            {
                Span {
                    len: last.span.col + last.span.len - k.col,
                    ..k
                }
            }
            _ => k,
        }
    }

    pub fn items(&self) -> &[Node] {
        self.block.as_ref().map_or(&[], |b| &b.items)
    }
}

/// Writes statements back as text, one per line, blocks indented by two spaces; words that need it
/// are double-quoted. The canonical form of a tree, for tests and `config dump --tree`.
pub fn to_text(nodes: &[Node]) -> String {
    fn quote(w: &str) -> String {
        if w.is_empty()
            || w.contains(|c: char| {
                c.is_whitespace() || matches!(c, '"' | '\'' | '{' | '}' | '#' | '!')
            })
        {
            format!("\"{}\"", w.replace('\\', "\\\\").replace('"', "\\\""))
        } else {
            w.to_string()
        }
    }
    fn walk(nodes: &[Node], depth: usize, out: &mut String) {
        for n in nodes {
            out.push_str(&"  ".repeat(depth));
            out.push_str(&quote(&n.keyword.text));
            for a in &n.args {
                out.push(' ');
                out.push_str(&quote(&a.text));
            }
            if let Some(b) = &n.block {
                out.push_str(" {\n");
                walk(&b.items, depth + 1, out);
                out.push_str(&"  ".repeat(depth));
                out.push('}');
            }
            out.push('\n');
        }
    }
    let mut out = String::new();
    walk(nodes, 0, &mut out);
    out
}

/// A block whose `{` has been read and whose `}` has not: the statement that opened it (None for
/// a stray `{`, whose contents are read and then dropped) and its items so far.
struct OpenBlock {
    header: Option<Node>,
    open: Span,
    items: Vec<Node>,
}

/// Builds the statement tree from tokens pushed one at a time, as the preprocessor produces them,
/// so the token stream of a large file is never held in memory.
#[derive(Default)]
pub struct TreeBuilder {
    top: Vec<Node>,
    stack: Vec<OpenBlock>,
    /// The words of the statement on the current line.
    words: Vec<Word>,
    /// A statement whose line has ended: a `{` at the start of a following line still opens its
    /// block; anything else makes it a plain statement.
    waiting: Option<Node>,
    /// Set after a fatal nesting error: the rest of the input is ignored.
    gave_up: bool,
}

impl TreeBuilder {
    pub fn new() -> Self {
        Self::default()
    }

    fn items(&mut self) -> &mut Vec<Node> {
        match self.stack.last_mut() {
            Some(b) => &mut b.items,
            None => &mut self.top,
        }
    }

    /// The current line's words as a statement, if there are any.
    fn take_statement(&mut self) -> Option<Node> {
        // Draining keeps the buffer for the next line and sizes `args` exactly.
        let mut words = self.words.drain(..);
        let keyword = words.next()?;
        Some(Node {
            keyword,
            args: words.collect(),
            block: None,
        })
    }

    /// A waiting statement gets no block after all.
    fn settle_waiting(&mut self) {
        if let Some(node) = self.waiting.take() {
            self.items().push(node);
        }
    }

    /// Closes the innermost open block at `close` and attaches it to its statement.
    fn close_block(&mut self, close: Span) {
        let Some(b) = self.stack.pop() else { return };
        if let Some(mut node) = b.header {
            node.block = Some(Block {
                open: b.open,
                close,
                items: b.items,
            });
            self.items().push(node);
        }
    }

    pub fn push(&mut self, token: Token, diags: &mut Diagnostics) {
        if self.gave_up {
            return;
        }
        let span = token.span;
        match token.kind {
            TokenKind::Word(text) => {
                self.settle_waiting();
                self.words.push(Word { text, span });
            }
            TokenKind::Eol => {
                if let Some(node) = self.take_statement() {
                    self.settle_waiting();
                    self.waiting = Some(node);
                }
            }
            TokenKind::Open => {
                let header = match self.take_statement() {
                    Some(node) => {
                        self.settle_waiting();
                        Some(node)
                    }
                    None => self.waiting.take(),
                };
                if self.stack.len() >= MAX_DEPTH {
                    diags.fatal(
                        Some(span),
                        format!("blocks nested more than {MAX_DEPTH} deep"),
                    );
                    self.gave_up = true;
                    return;
                }
                if header.is_none() {
                    diags.error(
                        span,
                        "'{' without a keyword before it; this block is ignored",
                    );
                }
                // Most blocks hold a handful of statements: start with room for them.
                self.stack.push(OpenBlock {
                    header,
                    open: span,
                    items: Vec::with_capacity(8),
                });
            }
            TokenKind::Close => {
                if let Some(node) = self.take_statement() {
                    self.settle_waiting();
                    self.items().push(node);
                }
                self.settle_waiting();
                if self.stack.is_empty() {
                    diags
                        .fatal(Some(span), "unexpected '}': no block is open here")
                        .with_help("remove it, or look for a block above that was closed twice");
                } else {
                    self.close_block(span);
                }
            }
        }
    }

    /// The top-level statements completed so far (a statement is complete once its block is
    /// closed, or once a following line shows it has none).
    pub fn take_completed(&mut self) -> std::vec::Drain<'_, Node> {
        self.top.drain(..)
    }

    /// The tree, once every token has been pushed. Blocks still open are fatal diagnostics,
    /// innermost first, each at the brace that opened it.
    pub fn finish(mut self, diags: &mut Diagnostics) -> Vec<Node> {
        if let Some(node) = self.take_statement() {
            self.settle_waiting();
            self.items().push(node);
        }
        self.settle_waiting();
        while let Some(open) = self.stack.last().map(|b| b.open) {
            if !self.gave_up {
                diags
                    .fatal(
                        Some(open),
                        "unclosed '{': no matching '}' before the end of the configuration",
                    )
                    .with_help("add the missing '}' for the block opened here");
            }
            self.close_block(open);
        }
        self.top
    }
}
