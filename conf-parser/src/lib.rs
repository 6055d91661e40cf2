//! keepalived.conf, read as keepalived reads it, into a typed model with source positions.
//!
//! The pipeline is `preprocess` (includes, conditionals, parameters, sequences; every character
//! keeps its origin) -> `lexer` (words and braces) -> `tree` (statements and blocks) -> `decode`
//! (keyword tables into the [`model`], then semantic checks). Diagnostics are collected, never
//! printed here: the caller decides how to show them and what exit code they mean.

pub mod decode;
pub mod diag;
pub mod diag_report;
pub mod host;
pub mod iproute2;
pub mod lexer;
pub mod model;
pub mod preprocess;
pub mod route_time;
pub mod script_security;
pub mod source;
pub mod tree;
pub mod values;

pub use diag::{Diagnostic, Diagnostics, KeepalivedDaemon, KeepalivedTest, Level};
pub use model::Config;
pub use preprocess::Options;
pub use source::{Origin, SourceMap, Span};

use std::path::Path;

/// The result of reading a configuration: the model (best effort even when there are errors), the
/// files that were read (for rendering diagnostics), and the diagnostics.
#[derive(Debug)]
pub struct Parsed {
    pub config: Config,
    pub sources: SourceMap,
    pub diags: Diagnostics,
}

impl Parsed {
    /// No errors (warnings allowed).
    pub fn is_ok(&self) -> bool {
        self.diags.worst().is_none_or(|l| l < Level::Error)
    }

    /// Every diagnostic rendered with its source line, in order.
    pub fn render_diagnostics(&self) -> String {
        self.diags.iter().map(|d| d.render(&self.sources)).collect()
    }

    /// The diagnostics for a person: errors in full, a repeated warning once with its count and
    /// next locations ([`diag_report`]); with `all`, the same as [`Parsed::render_diagnostics`].
    pub fn render_report(&self, all: bool) -> String {
        diag_report::render(&self.diags, &self.sources, all)
    }

    /// [`Parsed::render_report`] as one block per finding shown, with its level.
    pub fn report_blocks(&self, all: bool) -> Vec<(Level, String)> {
        diag_report::render_blocks(&self.diags, &self.sources, all)
    }
}

/// The statement tree after preprocessing, before the typed model: what tools that want
/// keepalived's syntax but not its meaning (formatters, linters, tests) read.
#[derive(Debug)]
pub struct ParsedTree {
    pub nodes: Vec<tree::Node>,
    pub sources: SourceMap,
    pub diags: Diagnostics,
}

/// Preprocesses and splits the configuration at `path` (and its includes) into statements.
pub fn tree_from_file(path: &Path, opts: &Options) -> ParsedTree {
    tree_with(opts, |pre| {
        pre.read_file(path, None);
    })
}

/// As [`tree_from_file`], for text that stands for a file named `name` in the current directory
/// (includes and `${_PWD}` are relative to it).
pub fn tree_from_str(name: &str, text: &str, opts: &Options) -> ParsedTree {
    tree_with(opts, |pre| {
        pre.read_source(&string_path(name), name, text.to_string())
    })
}

/// Reads the configuration at `path` and everything it includes into the typed model.
pub fn parse_file(path: &Path, opts: &Options) -> Parsed {
    parse_with(opts, |pre| {
        pre.read_file(path, None);
    })
}

/// As [`parse_file`], for text that stands for a file named `name` in the current directory.
pub fn parse_str(name: &str, text: &str, opts: &Options) -> Parsed {
    parse_with(opts, |pre| {
        pre.read_source(&string_path(name), name, text.to_string())
    })
}

fn string_path(name: &str) -> std::path::PathBuf {
    std::env::current_dir().unwrap_or_default().join(name)
}

fn tree_with(opts: &Options, read: impl FnOnce(&mut preprocess::Preprocessor)) -> ParsedTree {
    let mut sources = SourceMap::new();
    let mut diags = Diagnostics::new();
    let tree = {
        let mut pre = preprocess::Preprocessor::new(opts, &mut sources, &mut diags);
        read(&mut pre);
        std::mem::take(&mut pre.tree)
    };
    let nodes = tree.finish(&mut diags);
    ParsedTree {
        nodes,
        sources,
        diags,
    }
}

/// Each top-level block is decoded as soon as it is complete and its tree dropped, so the tree
/// of a whole file never exists at once; the semantic checks run at the end.
fn parse_with(opts: &Options, read: impl FnOnce(&mut preprocess::Preprocessor)) -> Parsed {
    let mut sources = SourceMap::new();
    let mut diags = Diagnostics::new();
    let mut decoder = decode::Decoder::default();
    let tree = {
        let mut pre = preprocess::Preprocessor::new(opts, &mut sources, &mut diags);
        pre.sink = Some(Box::new(|node, sources, diags| {
            decoder.statement(&node, sources, diags)
        }));
        read(&mut pre);
        std::mem::take(&mut pre.tree)
    };
    for node in tree.finish(&mut diags) {
        decoder.statement(&node, &sources, &mut diags);
    }
    let config = decoder.finish(&sources, &mut diags);
    Parsed {
        config,
        sources,
        diags,
    }
}
