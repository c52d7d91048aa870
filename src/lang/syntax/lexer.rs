//! The byte-level layer of the parser: newlines, whitespace, comments, line continuations, bare
//! words, and the lenient skips that error recovery uses. Everything here works on bytes and
//! decodes a code point only where a non-ASCII byte appears.

use super::chars::{CLASS, Class, is_ident_non_ascii};
use super::error::SyntaxError;
use super::parser::Parser;

impl<'a> Parser<'a> {
    #[inline]
    pub(super) fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    #[inline]
    pub(super) fn byte_at(&self, i: usize) -> Option<u8> {
        self.bytes.get(i).copied()
    }

    #[inline]
    pub(super) fn starts_with(&self, s: &[u8]) -> bool {
        self.bytes[self.pos..].starts_with(s)
    }

    /// The code point at byte `i` (a character boundary), if any.
    pub(super) fn char_at(&self, i: usize) -> Option<char> {
        self.text.get(i..).and_then(|s| s.chars().next())
    }

    /// The length of the code point at `i` (a boundary); 0 at the end.
    pub(super) fn char_len(&self, i: usize) -> usize {
        self.char_at(i).map_or(0, char::len_utf8)
    }

    /// The length in bytes of the `newline` at `i` (CRLF counts as one), or 0.
    #[inline]
    pub(super) fn newline_len(&self, i: usize) -> usize {
        let b = self.bytes;
        match b.get(i) {
            Some(b'\n' | 0x0B | 0x0C) => 1,
            Some(b'\r') => {
                if b.get(i + 1) == Some(&b'\n') {
                    2
                } else {
                    1
                }
            }
            // U+0085
            Some(0xC2) if b.get(i + 1) == Some(&0x85) => 2,
            // U+2028, U+2029
            Some(0xE2)
                if b.get(i + 1) == Some(&0x80) && matches!(b.get(i + 2), Some(0xA8 | 0xA9)) =>
            {
                3
            }
            _ => 0,
        }
    }

    /// The length in bytes of the `unicode-space` at `i`, or 0.
    #[inline]
    pub(super) fn space_len(&self, i: usize) -> usize {
        let b = self.bytes;
        match b.get(i) {
            Some(b' ' | b'\t') => 1,
            Some(0xC2) if b.get(i + 1) == Some(&0xA0) => 2,
            Some(0xE1) if b.get(i + 1) == Some(&0x9A) && b.get(i + 2) == Some(&0x80) => 3,
            Some(0xE2) => match (b.get(i + 1), b.get(i + 2)) {
                (Some(0x80), Some(0x80..=0x8A | 0xAF)) | (Some(0x81), Some(0x9F)) => 3,
                _ => 0,
            },
            Some(0xE3) if b.get(i + 1) == Some(&0x80) && b.get(i + 2) == Some(&0x80) => 3,
            _ => 0,
        }
    }

    /// Consumes a newline at the cursor (which must be there) and notes where the line starts.
    pub(super) fn eat_newline(&mut self, len: usize) {
        self.pos += len;
        self.line_start = self.pos;
    }

    /// `ws*`: unicode spaces and block comments. Returns whether anything was consumed.
    pub(super) fn skip_ws(&mut self) -> bool {
        let start = self.pos;
        loop {
            match self.peek() {
                Some(b' ' | b'\t') => self.pos += 1,
                Some(b'/') if self.byte_at(self.pos + 1) == Some(b'*') => self.block_comment(),
                Some(b) if b >= 0x80 => {
                    let n = self.space_len(self.pos);
                    if n == 0 {
                        break;
                    }
                    self.pos += n;
                }
                _ => break,
            }
        }
        self.pos > start
    }

    /// `node-space*`: whitespace and line continuations. Returns whether anything was consumed.
    pub(super) fn skip_node_space(&mut self) -> bool {
        let start = self.pos;
        loop {
            self.skip_ws();
            if self.peek() != Some(b'\\') {
                break;
            }
            let backslash = self.pos;
            self.pos += 1;
            self.skip_ws();
            match self.peek() {
                None => break,
                Some(b'/') if self.byte_at(self.pos + 1) == Some(b'/') => self.line_comment(),
                _ => {
                    let n = self.newline_len(self.pos);
                    if n > 0 {
                        self.eat_newline(n);
                    } else {
                        self.error(
                            SyntaxError::new(
                                self.span(backslash, backslash + 1),
                                "`\\` outside a string continues the line: only whitespace or a comment may follow it",
                                "line continuation not followed by a newline",
                            )
                            .help("to write a backslash in a value, quote it: `\"a\\\\b\"`"),
                        );
                        break;
                    }
                }
            }
        }
        self.pos > start
    }

    /// `line-space*`: node space, newlines and single-line comments.
    pub(super) fn skip_line_space(&mut self) {
        loop {
            self.skip_node_space();
            match self.peek() {
                Some(b'/') if self.byte_at(self.pos + 1) == Some(b'/') => self.line_comment(),
                Some(_) => {
                    let n = self.newline_len(self.pos);
                    if n == 0 {
                        return;
                    }
                    self.eat_newline(n);
                }
                None => return,
            }
        }
    }

    /// `//` to the end of the line, the newline included.
    pub(super) fn line_comment(&mut self) {
        self.pos += 2;
        while self.pos < self.bytes.len() {
            let b = self.bytes[self.pos];
            if b >= 0x20 && b != 0xC2 && b != 0xE2 {
                self.pos += 1;
                continue;
            }
            let n = self.newline_len(self.pos);
            if n > 0 {
                self.eat_newline(n);
                return;
            }
            self.pos += 1;
        }
    }

    /// `/* ... */`, nested to any depth (a counter, not recursion).
    pub(super) fn block_comment(&mut self) {
        let start = self.pos;
        self.pos += 2;
        let mut depth = 1u64;
        while self.pos < self.bytes.len() {
            match self.bytes[self.pos] {
                b'*' if self.byte_at(self.pos + 1) == Some(b'/') => {
                    self.pos += 2;
                    depth -= 1;
                    if depth == 0 {
                        return;
                    }
                }
                b'/' if self.byte_at(self.pos + 1) == Some(b'*') => {
                    self.pos += 2;
                    depth += 1;
                }
                _ => self.pos += 1,
            }
        }
        self.error(
            SyntaxError::new(
                self.span(start, start + 2),
                "this `/*` comment is never closed",
                "comment opened here",
            )
            .help(if depth > 1 {
                "block comments nest: every `/*` inside it needs its own `*/`"
            } else {
                "close it with `*/`"
            }),
        );
    }

    /// The end of the bare word (a run of identifier characters) starting at `i`.
    #[inline]
    pub(super) fn word_end(&self, mut i: usize) -> usize {
        let b = self.bytes;
        while i < b.len() {
            match CLASS[b[i] as usize] {
                Class::Ident => i += 1,
                Class::NonAscii => match self.char_at(i) {
                    Some(c) if is_ident_non_ascii(c) => i += c.len_utf8(),
                    _ => break,
                },
                _ => break,
            }
        }
        i
    }

    /// Skips to where the current node can be resumed or ended after an error: a newline, `;`,
    /// `{`, `}`, `//` or the end, stepping over strings and comments so that their contents
    /// cannot end the skip.
    pub(super) fn recover(&mut self) {
        while let Some(b) = self.peek() {
            match b {
                b'{' | b'}' | b';' => return,
                b'"' => self.skip_quoted_lenient(),
                b'#' => self.skip_hashes_lenient(),
                b'/' if self.byte_at(self.pos + 1) == Some(b'/') => return,
                b'/' if self.byte_at(self.pos + 1) == Some(b'*') => self.block_comment(),
                b'\\' => {
                    self.pos += 1;
                    self.skip_ws();
                    let n = self.newline_len(self.pos);
                    if n > 0 {
                        self.eat_newline(n);
                    }
                }
                _ => {
                    if self.newline_len(self.pos) > 0 {
                        return;
                    }
                    self.pos += self.char_at(self.pos).map_or(1, char::len_utf8);
                }
            }
        }
    }

    /// The number of `#` before a `"` at `i` (a raw string opener), if there is one.
    pub(super) fn raw_hashes(&self, i: usize) -> Option<usize> {
        let mut j = i;
        while self.byte_at(j) == Some(b'#') {
            j += 1;
        }
        (j > i && self.byte_at(j) == Some(b'"')).then_some(j - i)
    }

    /// Skips a quoted string without judging it: to its closing quote, or to the end of the line
    /// (single-line) or of the file (multi-line).
    pub(super) fn skip_quoted_lenient(&mut self) {
        let multi = self.starts_with(b"\"\"\"");
        self.pos += if multi { 3 } else { 1 };
        while let Some(b) = self.peek() {
            match b {
                b'\\' => self.pos += 2,
                b'"' if !multi => {
                    self.pos += 1;
                    return;
                }
                b'"' if self.starts_with(b"\"\"\"") => {
                    self.pos += 3;
                    return;
                }
                _ if !multi && self.newline_len(self.pos) > 0 => return,
                _ => self.pos += 1,
            }
        }
        self.pos = self.pos.min(self.bytes.len());
        self.forward_to_boundary();
    }

    /// Skips a run of `#`: a raw string when a `"` follows it, else just the run (one pass, so a
    /// long run of `#` costs linear time).
    pub(super) fn skip_hashes_lenient(&mut self) {
        match self.raw_hashes(self.pos) {
            Some(_) => self.skip_raw_lenient(),
            None => {
                while self.peek() == Some(b'#') {
                    self.pos += 1;
                }
            }
        }
    }

    /// Skips a raw string without judging it: to its closing delimiter, or to the end of the file.
    pub(super) fn skip_raw_lenient(&mut self) {
        let hashes = self.raw_hashes(self.pos).unwrap_or(0);
        self.pos += hashes + 1;
        match self.find_raw_close(self.pos, hashes) {
            Some(end) => self.pos = end,
            None => self.pos = self.bytes.len(),
        }
    }

    /// The end of the first `"` followed by `hashes` `#`s at or after `i`.
    pub(super) fn find_raw_close(&self, i: usize, hashes: usize) -> Option<usize> {
        let b = self.bytes;
        let mut j = i;
        while j < b.len() {
            if b[j] == b'"'
                && b.len() - j > hashes
                && b[j + 1..=j + hashes].iter().all(|c| *c == b'#')
            {
                return Some(j + 1 + hashes);
            }
            j += 1;
        }
        None
    }

    /// Moves the cursor back to a character boundary (after a lenient byte skip).
    pub(super) fn forward_to_boundary(&mut self) {
        while self.pos < self.bytes.len() && !self.text.is_char_boundary(self.pos) {
            self.pos += 1;
        }
    }

    /// Skips a children block that is nested too deeply to be parsed: braces are counted, strings
    /// and comments stepped over. The cursor is just after its `{`.
    pub(super) fn skip_block(&mut self) {
        let mut depth = 1u64;
        while let Some(b) = self.peek() {
            match b {
                b'{' => {
                    depth += 1;
                    self.pos += 1;
                }
                b'}' => {
                    depth -= 1;
                    self.pos += 1;
                    if depth == 0 {
                        return;
                    }
                }
                b'"' => self.skip_quoted_lenient(),
                b'#' => self.skip_hashes_lenient(),
                b'/' if self.byte_at(self.pos + 1) == Some(b'/') => self.line_comment(),
                b'/' if self.byte_at(self.pos + 1) == Some(b'*') => self.block_comment(),
                b'\\' => self.pos = (self.pos + 2).min(self.bytes.len()),
                _ => self.pos += 1,
            }
            self.forward_to_boundary();
        }
    }

    /// How the text at `i` is named in "found ..." messages.
    pub(super) fn found(&self, i: usize) -> String {
        if i >= self.bytes.len() {
            return "the end of the file".into();
        }
        if self.newline_len(i) > 0 {
            return "the end of the line".into();
        }
        match self.char_at(i) {
            Some(c) => format!("`{c}`"),
            None => "a byte that is not UTF-8".into(),
        }
    }
}
