//! KDL 2.0 text -> a borrowed, span-carrying [`Document`], or diagnostics that name the file.
//!
//! Why pmovesc has its own parser: measured on the generated stacks of `benches/passes.rs`, the
//! `kdl` crate (6.7, format-preserving, winnow-based) parses about 2.3 MB/s: 6.3 s of CPU for a
//! 10,000-service stack, three times the whole build's target, while every other pass together
//! took 2 s (`docs/performance.md` has the profile: error values built and merged for every
//! alternative tried, and allocation). The other KDL 2.0 crates measured were faster but drop
//! what a compiler needs: just-kdl has no key or value spans (and garbles escapes in short strings
//! in release builds), kdlite has no spans at all. This parser reads bytes with an ASCII fast
//! path, borrows every string that has no escape, stores nodes and entries in two flat vectors,
//! and keeps a byte span on every node, name, type annotation, entry, key, value and children
//! block. The `kdl` crate stays as the reference in tests: `tests/kdl_suite.rs` runs the official
//! conformance suite and `tests/kdl_differential.rs` compares both parsers on every stack.
//!
//! One file per concern: `chars` (code point classes), `lexer` (whitespace, comments,
//! newlines, recovery skips), `strings` (string, number and keyword tokens), `numbers`, `parser`
//! (nodes, entries, blocks, recovery), `tree` (the document), `error`, `print` (the canonical
//! form of the conformance suite).

mod chars;
mod error;
mod lexer;
mod numbers;
mod parser;
mod print;
mod strings;
mod tree;

pub use error::SyntaxError;
pub use parser::MAX_DEPTH;
pub use print::canonical;
pub use tree::{Document, Entry, Node, Nodes, Str, Value};

use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::lang::source::{FileId, SourceMap, Span};

/// Disallowed code points reported one by one per file; the rest are counted.
const MAX_CODE_POINT_ERRORS: usize = 20;

/// Parses one file of a stack. Every syntax error becomes a diagnostic; the document is returned
/// only when the file has none.
pub fn parse<'s>(
    sources: &'s SourceMap,
    file: FileId,
    diags: &mut Diagnostics,
) -> Option<Document<'s>> {
    let source = sources.file(file);
    let (doc, errors) = parse_text(source.text.as_str(), file);
    if errors.is_empty() && source.not_utf8.is_empty() {
        return Some(doc);
    }
    for (i, bad) in source.not_utf8.iter().enumerate() {
        if i == MAX_CODE_POINT_ERRORS {
            diags.push(
                Diagnostic::error(
                    Code::InvalidUtf8,
                    format!(
                        "{} more byte sequences of `{}` are not UTF-8",
                        source.not_utf8.len() - i,
                        source.name
                    ),
                )
                .help("is this a text file? stack files are UTF-8 KDL"),
            );
            break;
        }
        let shown: Vec<String> = bad.bytes.iter().map(|b| format!("{b:02X}")).collect();
        diags.push(
            Diagnostic::error(
                Code::InvalidUtf8,
                format!(
                    "byte {} of the file is not UTF-8 ({})",
                    bad.file_offset,
                    shown.join(" ")
                ),
            )
            .label(
                Span::new(file, bad.at, '\u{FFFD}'.len_utf8()),
                "not UTF-8 (shown as U+FFFD)",
            )
            .help("stack files are UTF-8: re-save the file as UTF-8"),
        );
    }
    for e in errors {
        diags.push(e.into_diagnostic());
    }
    None
}

/// Parses a text as KDL 2.0: the document (complete only when there is no error) and every
/// syntax error, in source order, spans in `file`.
pub fn parse_text(text: &str, file: FileId) -> (Document<'_>, Vec<SyntaxError>) {
    if u32::try_from(text.len()).is_err() {
        let e = SyntaxError::new(
            Span::new(file, 0, 0),
            "the file is larger than 4 GiB",
            "too large to parse",
        );
        return (Document::default(), vec![e]);
    }
    let mut errors = code_point_errors(text, file);
    let (doc, syntax) = parser::parse(text, file);
    if errors.is_empty() {
        errors = syntax;
    } else {
        errors.extend(syntax);
        errors.sort_by_key(|e| e.span.start);
    }
    if !errors.is_empty()
        && let Some(span) = kdl1_marker(text, file)
    {
        errors.insert(
            0,
            SyntaxError::new(span, "this file says it is KDL 1", "version marker")
                .help("pmovesc reads KDL 2.0: convert the file (https://kdl.dev) and write `/- kdl-version 2`"),
        );
    }
    (doc, errors)
}

fn code_point_errors(text: &str, file: FileId) -> Vec<SyntaxError> {
    let mut errors = Vec::new();
    let mut more = 0usize;
    for (at, c) in chars::disallowed(text) {
        if errors.len() == MAX_CODE_POINT_ERRORS {
            more += 1;
            continue;
        }
        let (message, help) = match c {
            '\0' => (
                "a NUL byte in the file".to_string(),
                "KDL text cannot hold NUL; if the file is binary or UTF-16 it is not a stack file"
                    .to_string(),
            ),
            '\u{FEFF}' => (
                format!("{} after the start of the file", chars::describe(c)),
                "remove it (a byte order mark may only be the first code point)".to_string(),
            ),
            _ => (
                format!("{} may not appear in KDL text", chars::describe(c)),
                format!(
                    "remove it; inside a quoted string, write it as `\\u{{{:X}}}`",
                    c as u32
                ),
            ),
        };
        errors.push(
            SyntaxError::new(
                Span::new(file, at, c.len_utf8()),
                message,
                "disallowed code point",
            )
            .code(Code::DisallowedCodePoint)
            .help(help),
        );
    }
    if more > 0
        && let Some(last) = errors.last().map(|e| e.span)
    {
        errors.push(
            SyntaxError::new(
                last,
                format!("{more} more disallowed code points in this file are not shown"),
                "the last one shown",
            )
            .code(Code::DisallowedCodePoint)
            .help("is this a text file? stack files are UTF-8 KDL"),
        );
    }
    errors
}

/// The span of a `/- kdl-version 1` marker at the start of the text.
fn kdl1_marker(text: &str, file: FileId) -> Option<Span> {
    let offset = if text.starts_with('\u{FEFF}') { 3 } else { 0 };
    let rest = text[offset..].strip_prefix("/-")?;
    let after = rest.trim_start_matches(chars::is_space);
    let after = after.strip_prefix("kdl-version")?;
    let version = after.trim_start_matches(chars::is_space);
    if version.len() == after.len() || !version.starts_with('1') {
        return None;
    }
    let end = text.len() - version.len() + 1;
    Some(Span::new(file, offset, end - offset))
}
