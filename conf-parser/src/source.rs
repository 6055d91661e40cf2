//! Source files and positions. Every token the parser produces points back here, so a diagnostic
//! or a dumped block can name `file:line:col` even through includes and parameter expansion.

use serde::Serialize;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Index of a file in a [`SourceMap`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FileId(pub u32);

/// A position in a source file: 1-based line and column (columns count characters, not bytes),
/// and the length in characters of the text it covers (for the caret under it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Span {
    pub file: FileId,
    pub line: u32,
    pub col: u32,
    pub len: u32,
}

/// Where a block or value of the model was written, as it appears in `config dump`. It keeps the
/// [`Span`] too (not dumped), so semantic checks can point diagnostics at it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Origin {
    pub file: Arc<str>,
    pub line: u32,
    pub col: u32,
    #[serde(skip)]
    pub span: Span,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.col)
    }
}

/// One file read by the parser: its path as it will be shown, and its text.
#[derive(Debug)]
pub struct SourceFile {
    pub path: PathBuf,
    pub display: Arc<str>,
    pub text: String,
    /// Byte offsets of line starts, computed when a diagnostic first needs a line's text.
    line_starts: std::sync::OnceLock<Vec<usize>>,
}

impl SourceFile {
    /// The text of a 1-based line, without its newline.
    pub fn line_text(&self, line: u32) -> &str {
        let starts = self.line_starts.get_or_init(|| {
            let mut starts = vec![0];
            starts.extend(
                self.text
                    .bytes()
                    .enumerate()
                    .filter(|(_, b)| *b == b'\n')
                    .map(|(i, _)| i + 1),
            );
            starts
        });
        let i = (line as usize).saturating_sub(1);
        let Some(&start) = starts.get(i) else {
            return "";
        };
        let end = starts.get(i + 1).copied().unwrap_or(self.text.len());
        self.text[start..end].trim_end_matches(['\n', '\r'])
    }
}

/// All files the parser has read, in the order it read them.
#[derive(Debug, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a file; `display` is the name used in diagnostics and in the dump.
    pub fn add(&mut self, path: &Path, display: &str, text: String) -> FileId {
        self.files.push(SourceFile {
            path: path.to_path_buf(),
            display: Arc::from(display),
            text,
            line_starts: std::sync::OnceLock::new(),
        });
        FileId(self.files.len() as u32 - 1)
    }

    /// Sets the text of a file added without it (the preprocessor reads a file's text while it
    /// works and stores it once done).
    pub fn set_text(&mut self, id: FileId, text: String) {
        let file = &mut self.files[id.0 as usize];
        file.text = text;
        file.line_starts = std::sync::OnceLock::new();
    }

    pub fn file(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    pub fn files(&self) -> impl Iterator<Item = &SourceFile> {
        self.files.iter()
    }

    pub fn origin(&self, span: Span) -> Origin {
        Origin {
            file: self.file(span.file).display.clone(),
            line: span.line,
            col: span.col,
            span,
        }
    }
}
