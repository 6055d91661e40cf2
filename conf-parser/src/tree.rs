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
    pub text: String,
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
            Some(last) if last.span.file == k.file && last.span.line == k.line && last.span.col >= k.col => {
                Span { len: last.span.col + last.span.len - k.col, ..k }
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
        if w.is_empty() || w.contains(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '{' | '}' | '#' | '!')) {
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

struct TreeBuilder<'a> {
    tokens: &'a [Token],
    pos: usize,
    diags: &'a mut Diagnostics,
}

impl TreeBuilder<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    /// Is the next token, past any line ends, an opening brace?
    fn brace_on_next_line(&self) -> bool {
        self.tokens[self.pos..]
            .iter()
            .find(|t| t.kind != TokenKind::Eol)
            .is_some_and(|t| t.kind == TokenKind::Open)
    }

    /// Reads statements until the `}` closing the block opened at `open` (or the end of input at
    /// top level). Returns the items and the closing brace's span.
    fn items(&mut self, open: Option<Span>, depth: usize) -> (Vec<Node>, Option<Span>) {
        let mut items = Vec::new();
        while let Some(tok) = self.peek() {
            let span = tok.span;
            match &tok.kind {
                TokenKind::Eol => self.pos += 1,
                TokenKind::Close => {
                    self.pos += 1;
                    if open.is_some() {
                        return (items, Some(span));
                    }
                    self.diags
                        .fatal(Some(span), "unexpected '}': no block is open here")
                        .with_help("remove it, or look for a block above that was closed twice");
                }
                TokenKind::Open => {
                    self.pos += 1;
                    self.diags
                        .error(span, "'{' without a keyword before it; this block is ignored");
                    let _ = self.block(span, depth);
                }
                TokenKind::Word(_) => items.push(self.statement(depth)),
            }
        }
        if let Some(open) = open {
            self.diags
                .fatal(Some(open), "unclosed '{': no matching '}' before the end of the configuration")
                .with_help("add the missing '}' for the block opened here");
        }
        (items, None)
    }

    fn block(&mut self, open: Span, depth: usize) -> Block {
        if depth >= MAX_DEPTH {
            self.diags.fatal(Some(open), format!("blocks nested more than {MAX_DEPTH} deep"));
            // Skip to the end: nothing sensible can be read from here.
            self.pos = self.tokens.len();
            return Block { open, close: open, items: Vec::new() };
        }
        let (items, close) = self.items(Some(open), depth + 1);
        Block { open, close: close.unwrap_or(open), items }
    }

    fn statement(&mut self, depth: usize) -> Node {
        let mut words = Vec::new();
        while let Some(Token { kind: TokenKind::Word(w), span }) = self.peek() {
            words.push(Word { text: w.clone(), span: *span });
            self.pos += 1;
        }
        let mut words = words.into_iter();
        let keyword = words.next().expect("statement starts with a word");
        let args = words.collect();
        let block = if self.brace_on_next_line() {
            while self.peek().is_some_and(|t| t.kind == TokenKind::Eol) {
                self.pos += 1;
            }
            let open = self.peek().expect("brace found above").span;
            self.pos += 1;
            Some(self.block(open, depth))
        } else {
            None
        };
        Node { keyword, args, block }
    }
}

/// Builds the statement tree. Unbalanced braces are fatal diagnostics (`-t` exits 3).
pub fn build(tokens: &[Token], diags: &mut Diagnostics) -> Vec<Node> {
    let mut b = TreeBuilder { tokens, pos: 0, diags };
    b.items(None, 0).0
}
