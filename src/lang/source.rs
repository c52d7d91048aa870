//! Source files and byte spans into them.
//!
//! The core never reads files: the edge hands it a [`SourceMap`] of already loaded texts, each
//! with the display name that diagnostics print (a relative path such as `stacks/archon.kdl`).

use std::sync::{Arc, OnceLock};

use crate::diag::{Code, Diagnostic};

/// Index of a file in a [`SourceMap`].
pub type FileId = u32;

/// One loaded stack file.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// The name diagnostics print: the path as the user would type it, never absolute.
    pub name: String,
    /// The path inside the stack directory, with `/` (`services.kdl`, `sub/db.kdl`): the same
    /// however the directory was spelled on the command line, so the manifest hashes it.
    pub path: String,
    pub text: Arc<String>,
    /// The byte sequences of the file that were not UTF-8, each replaced by U+FFFD in `text`
    /// (see [`SourceMap::add_bytes`]); the parser reports each one.
    pub not_utf8: Vec<NotUtf8>,
    /// Built on first use (by a diagnostic's position): where each line starts.
    index: OnceLock<LineIndex>,
    /// Built on first use (by the human renderer): the text as shown.
    display: OnceLock<String>,
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

impl SourceFile {
    fn new(name: String, path: String, text: String) -> Self {
        Self {
            name,
            path,
            text: Arc::new(text),
            not_utf8: Vec::new(),
            index: OnceLock::new(),
            display: OnceLock::new(),
        }
    }

    /// Where lines start, by the KDL 2.0 definition of a newline.
    pub fn index(&self) -> &LineIndex {
        self.index.get_or_init(|| LineIndex::new(&self.text))
    }

    /// 1-based line and column (in characters) of a byte offset (clamped to the text).
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let index = self.index();
        let offset = floor_char_boundary(&self.text, offset);
        let line = index.line_of(offset);
        (line + 1, index.column(&self.text, line, offset) + 1)
    }

    /// The text as a terminal shows it, byte for byte as long as the source (so spans still
    /// apply): every KDL newline becomes one `\n` or `\r\n` (CR, VT and FF a `\n`, NEL a
    /// `\r\n`, LS and PS a space and `\r\n`), every other control character becomes `?`
    /// (one per byte) and the bidirectional controls U+FFFD, so a stack cannot draw on the
    /// terminal or reorder what a reviewer reads.
    pub fn display_text(&self) -> &str {
        self.display.get_or_init(|| display_text(&self.text))
    }
}

/// How many bytes apart the column checkpoints of a [`LineIndex`] are.
const CHECKPOINT: usize = 4096;

/// The start of every line, and character counts every [`CHECKPOINT`] bytes, so a position's
/// line and column cost a binary search and at most a few thousand bytes of counting however
/// long the file and its lines are.
#[derive(Debug, Clone)]
pub struct LineIndex {
    starts: Vec<u32>,
    /// `(byte offset, characters before it)`, increasing; the offsets are char boundaries.
    checkpoints: Vec<(u32, u32)>,
}

/// The byte length of the KDL newline starting at `i`, if one does: CRLF, CR, LF, NEL, VT, FF,
/// LS, PS.
pub fn newline_len(bytes: &[u8], i: usize) -> Option<usize> {
    match bytes[i] {
        b'\r' if bytes.get(i + 1) == Some(&b'\n') => Some(2),
        b'\r' | b'\n' | 0x0b | 0x0c => Some(1),
        0xc2 if bytes.get(i + 1) == Some(&0x85) => Some(2),
        0xe2 if bytes.get(i + 1) == Some(&0x80)
            && matches!(bytes.get(i + 2), Some(0xa8 | 0xa9)) =>
        {
            Some(3)
        }
        _ => None,
    }
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let bytes = text.as_bytes();
        let mut starts = vec![0u32];
        let mut checkpoints = vec![(0u32, 0u32)];
        let mut chars = 0u32;
        let mut next_checkpoint = CHECKPOINT;
        let mut i = 0;
        while i < bytes.len() {
            if i >= next_checkpoint && text.is_char_boundary(i) {
                checkpoints.push((i as u32, chars));
                next_checkpoint = i + CHECKPOINT;
            }
            if let Some(n) = newline_len(bytes, i) {
                // Characters in the newline: CRLF is two, the others one.
                chars += if n == 2 && bytes[i] == b'\r' { 2 } else { 1 };
                i += n;
                starts.push(i as u32);
                continue;
            }
            if (bytes[i] & 0xc0) != 0x80 {
                chars += 1;
            }
            i += 1;
        }
        Self {
            starts,
            checkpoints,
        }
    }

    /// How many lines (a final newline ends the last line and starts an empty one).
    pub fn lines(&self) -> usize {
        self.starts.len()
    }

    /// The 0-based line holding a byte offset.
    pub fn line_of(&self, offset: usize) -> usize {
        self.starts.partition_point(|s| *s as usize <= offset) - 1
    }

    /// Where a line starts.
    pub fn start(&self, line: usize) -> usize {
        self.starts[line] as usize
    }

    /// Where the next line starts (after this line's newline), or the end of the text.
    pub fn next_start(&self, line: usize, text: &str) -> usize {
        self.starts
            .get(line + 1)
            .map_or(text.len(), |s| *s as usize)
    }

    /// Where a line's content ends (before its newline).
    pub fn end(&self, line: usize, text: &str) -> usize {
        let next = self.next_start(line, text);
        if line + 1 >= self.starts.len() {
            return next;
        }
        let bytes = text.as_bytes();
        // The newline that ends this line: find its start by trying each length.
        (1..=3)
            .rev()
            .find(|n| next >= *n && newline_len(bytes, next - n) == Some(*n))
            .map_or(next, |n| next - n)
    }

    /// Characters before a byte offset (a char boundary).
    fn chars_before(&self, text: &str, offset: usize) -> usize {
        let k = self
            .checkpoints
            .partition_point(|(o, _)| *o as usize <= offset)
            - 1;
        let (at, chars) = self.checkpoints[k];
        chars as usize + text[at as usize..offset].chars().count()
    }

    /// The 0-based column, in characters, of a byte offset on a line.
    pub fn column(&self, text: &str, line: usize, offset: usize) -> usize {
        self.chars_before(text, offset) - self.chars_before(text, self.start(line))
    }
}

fn display_text(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match newline_len(bytes, i) {
            Some(2) if bytes[i] == b'\r' => out.extend_from_slice(b"\r\n"),
            Some(1) => out.push(b'\n'),
            Some(2) => out.extend_from_slice(b"\r\n"),
            Some(3) => out.extend_from_slice(b" \r\n"),
            _ => {
                let c = text[i..].chars().next().expect("char boundary");
                let hidden = (c.is_control() && c != '\t')
                    || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
                if hidden && c.len_utf8() == 3 {
                    // One visible character of the same byte length.
                    out.extend_from_slice("\u{FFFD}".as_bytes());
                } else if hidden {
                    out.extend(std::iter::repeat_n(b'?', c.len_utf8()));
                } else {
                    out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
                }
                i += c.len_utf8();
                continue;
            }
        }
        i += newline_len(bytes, i).expect("a newline");
    }
    String::from_utf8(out).expect("ASCII replacements keep UTF-8")
}

/// Every file of a stack, in sorted name order, and what the edge could not read.
#[derive(Debug, Clone, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
    problems: Vec<Diagnostic>,
}

impl SourceMap {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a file (its path inside the stack is its name) and returns its id.
    pub fn add(&mut self, name: impl Into<String>, text: impl Into<String>) -> FileId {
        let name = name.into();
        self.add_at(name.clone(), name, text)
    }

    /// Adds a file with its display name and its path inside the stack directory.
    pub fn add_at(
        &mut self,
        name: impl Into<String>,
        path: impl Into<String>,
        text: impl Into<String>,
    ) -> FileId {
        self.files
            .push(SourceFile::new(name.into(), path.into(), text.into()));
        (self.files.len() - 1) as FileId
    }

    /// Adds a file as it is (e.g. renamed from another map), its `not_utf8` record included.
    pub fn add_file(&mut self, file: SourceFile) -> FileId {
        self.files.push(file);
        (self.files.len() - 1) as FileId
    }

    /// Adds a file as read from disk (its path inside the stack is its name).
    pub fn add_bytes(&mut self, name: impl Into<String>, bytes: Vec<u8>) -> FileId {
        let name = name.into();
        self.add_bytes_at(name.clone(), name, bytes)
    }

    /// Adds a file as read from disk. Bytes that are not UTF-8 become U+FFFD in the text and are
    /// recorded in [`SourceFile::not_utf8`], so that the parser reports each at its place.
    pub fn add_bytes_at(
        &mut self,
        name: impl Into<String>,
        path: impl Into<String>,
        bytes: Vec<u8>,
    ) -> FileId {
        let bytes = match String::from_utf8(bytes) {
            Ok(text) => return self.add_at(name, path, text),
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
        let id = self.add_at(name, path, text);
        self.files[id as usize].not_utf8 = not_utf8;
        id
    }

    /// Records a stack entry that could not be read (kept as an empty file, so the diagnostic
    /// names it at 1:1). Nothing of its contents is kept.
    pub fn add_unreadable(
        &mut self,
        name: impl Into<String>,
        path: impl Into<String>,
        code: Code,
        message: String,
        label: &str,
        help: &str,
    ) {
        let id = self.add_at(name, path, String::new());
        self.problems.push(
            Diagnostic::error(code, message)
                .label(Span::new(id, 0, 0), label)
                .help(help),
        );
    }

    /// What could not be read; a stack with any is not compiled.
    pub fn problems(&self) -> &[Diagnostic] {
        &self.problems
    }

    /// The same sources under other display names (tests show paths relative to the
    /// repository).
    pub fn renamed(mut self, rename: impl Fn(&str) -> String) -> SourceMap {
        for f in &mut self.files {
            f.name = rename(&f.name);
        }
        self
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

    /// 1-based line and column (in characters) of a span's start, by the KDL 2.0 definition of
    /// a newline (CRLF, CR, LF, NEL, VT, FF, LS, PS), the same for every output format.
    pub fn line_col(&self, span: Span) -> (usize, usize) {
        self.file(span.file).line_col(span.start as usize)
    }

    /// The text a span covers (empty when out of range).
    pub fn slice(&self, span: Span) -> &str {
        let text = &self.file(span.file).text;
        let start = floor_char_boundary(text, span.start as usize);
        let end = floor_char_boundary(text, (span.start + span.len) as usize);
        &text[start..end.max(start)]
    }
}

/// The largest char boundary at or before `offset` (clamped to the text).
pub fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kdl_newline_starts_a_line() {
        let text = "a\r\nb\rc\nd\u{85}e\u{b}f\u{c}g\u{2028}h\u{2029}i";
        let mut m = SourceMap::new();
        let id = m.add("x.kdl", text);
        for (n, letter) in ["a", "b", "c", "d", "e", "f", "g", "h", "i"]
            .iter()
            .enumerate()
        {
            let offset = text.find(letter).unwrap();
            assert_eq!(m.line_col(Span::new(id, offset, 1)), (n + 1, 1), "{letter}");
        }
        let f = m.file(id);
        assert_eq!(f.display_text().len(), text.len());
        assert_eq!(f.display_text(), "a\r\nb\nc\nd\r\ne\nf\ng \r\nh \r\ni");
        assert_eq!(f.index().end(0, text), 1);
        assert_eq!(f.index().end(6, text), text.find('g').unwrap() + 1);
    }

    #[test]
    fn columns_on_long_lines_use_checkpoints() {
        let text = format!("{}x", "é".repeat(10_000));
        let mut m = SourceMap::new();
        let id = m.add("x.kdl", text.clone());
        assert_eq!(m.line_col(Span::new(id, text.len() - 1, 1)), (1, 10_001));
        // A position inside a character is clamped to its start.
        assert_eq!(m.line_col(Span::new(id, 1, 0)), (1, 1));
    }

    #[test]
    fn controls_are_hidden_from_the_terminal() {
        let mut m = SourceMap::new();
        let id = m.add("x.kdl", "a\u{1b}[2Jb\u{202e}c\u{9b}d\te");
        assert_eq!(m.file(id).display_text(), "a?[2Jb\u{fffd}c??d\te");
    }
}
