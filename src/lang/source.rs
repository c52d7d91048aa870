//! Source files and byte spans into them.
//!
//! The core never reads files: the edge hands it a [`SourceMap`] of already loaded texts, each
//! with the display name that diagnostics print (a relative path such as `stacks/archon.kdl`).

use std::sync::Arc;

/// Index of a file in a [`SourceMap`].
pub type FileId = u32;

/// One loaded stack file.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// The name diagnostics print: the path as the user would type it, never absolute.
    pub name: String,
    pub text: Arc<String>,
    /// The byte sequences of the file that were not UTF-8, each replaced by U+FFFD in `text`
    /// (see [`SourceMap::add_bytes`]); the parser reports each one.
    pub not_utf8: Vec<NotUtf8>,
}

/// A byte sequence of a file that is not UTF-8.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotUtf8 {
    /// Where its U+FFFD stands in [`SourceFile::text`].
    pub at: usize,
    /// Its offset in the file as read.
    pub file_offset: usize,
    /// The bytes (one to three).
    pub bytes: Vec<u8>,
}

/// Every file of a stack, in sorted name order.
#[derive(Debug, Clone, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a file and returns its id.
    pub fn add(&mut self, name: impl Into<String>, text: impl Into<String>) -> FileId {
        self.files.push(SourceFile {
            name: name.into(),
            text: Arc::new(text.into()),
            not_utf8: Vec::new(),
        });
        (self.files.len() - 1) as FileId
    }

    /// Adds a file as it is (e.g. renamed from another map), its `not_utf8` record included.
    pub fn add_file(&mut self, file: SourceFile) -> FileId {
        self.files.push(file);
        (self.files.len() - 1) as FileId
    }

    /// Adds a file as read from disk. Bytes that are not UTF-8 become U+FFFD in the text and are
    /// recorded in [`SourceFile::not_utf8`], so that the parser reports each at its place.
    pub fn add_bytes(&mut self, name: impl Into<String>, bytes: Vec<u8>) -> FileId {
        let bytes = match String::from_utf8(bytes) {
            Ok(text) => return self.add(name, text),
            Err(e) => e.into_bytes(),
        };
        let mut text = String::with_capacity(bytes.len() + 16);
        let mut not_utf8 = Vec::new();
        let mut file_offset = 0;
        for chunk in bytes.utf8_chunks() {
            text.push_str(chunk.valid());
            file_offset += chunk.valid().len();
            let invalid = chunk.invalid();
            if !invalid.is_empty() {
                not_utf8.push(NotUtf8 {
                    at: text.len(),
                    file_offset,
                    bytes: invalid.to_vec(),
                });
                text.push('\u{FFFD}');
                file_offset += invalid.len();
            }
        }
        let id = self.add(name, text);
        self.files[id as usize].not_utf8 = not_utf8;
        id
    }

    pub fn file(&self, id: FileId) -> &SourceFile {
        &self.files[id as usize]
    }

    pub fn files(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files.iter().enumerate().map(|(i, f)| (i as FileId, f))
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, span: Span) -> (usize, usize) {
        let text = &self.file(span.file).text;
        let offset = (span.start as usize).min(text.len());
        let before = &text[..floor_char_boundary(text, offset)];
        let line = before.bytes().filter(|b| *b == b'\n').count() + 1;
        let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
        let column = before[line_start..].chars().count() + 1;
        (line, column)
    }

    /// The text a span covers (empty when out of range).
    pub fn slice(&self, span: Span) -> &str {
        let text = &self.file(span.file).text;
        let start = floor_char_boundary(text, span.start as usize);
        let end = floor_char_boundary(text, (span.start + span.len) as usize);
        &text[start..end.max(start)]
    }
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// A byte range in one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Span {
    pub file: FileId,
    pub start: u32,
    pub len: u32,
}

impl Span {
    pub fn new(file: FileId, start: usize, len: usize) -> Self {
        Self {
            file,
            start: start as u32,
            len: len as u32,
        }
    }

    pub fn from_miette(file: FileId, span: miette::SourceSpan) -> Self {
        Self::new(file, span.offset(), span.len())
    }

    /// The smallest span covering both (same file assumed).
    pub fn to(self, other: Span) -> Span {
        if self.file != other.file {
            return self;
        }
        let start = self.start.min(other.start);
        let end = (self.start + self.len).max(other.start + other.len);
        Span {
            file: self.file,
            start,
            len: end - start,
        }
    }
}

/// A value with the span it was written at.
#[derive(Debug, Clone, PartialEq)]
pub struct Spanned<T> {
    pub value: T,
    pub span: Span,
}

impl<T> Spanned<T> {
    pub fn new(value: T, span: Span) -> Self {
        Self { value, span }
    }
}
