//! Rendering diagnostics: human (with miette) and JSON, both placing a diagnostic at the same
//! line and column.
//!
//! The human renderer hands miette a [`Window`] onto each file instead of the file itself: it
//! returns only the lines around a label, finds them through the file's line index (so the cost
//! of a diagnostic does not grow with the file, and 40,000 diagnostics in one file stay linear),
//! numbers them by the KDL definition of a newline, shows control characters as `?`, and cuts
//! very long lines to a window around the label (miette cannot draw past column 65,535).

use std::fmt;

use miette::{
    GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError, MietteSpanContents,
    SourceCode, SourceSpan, SpanContents,
};
use serde::Serialize;

use crate::diag::{Diagnostic, Severity};
use crate::lang::source::{SourceFile, SourceMap, Span, floor_char_boundary};

/// Lines longer than this (in bytes) are shown as a window around the label.
const LONG_LINE: usize = 1000;
/// How much of a long line is shown on each side of a label.
const WINDOW: usize = 120;
/// A label longer than this many lines is drawn on its first line only.
const MAX_LABEL_LINES: usize = 12;
/// Labels whose windows are at most this many lines apart share one snippet.
const MERGE_SLACK: usize = 4;
/// Messages, labels and help longer than this are cut.
const MAX_TEXT: usize = 4096;

/// A view of one file for miette: see the module comment.
struct Window<'a> {
    file: &'a SourceFile,
}

impl SourceCode for Window<'_> {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let text = self.file.display_text();
        let original = self.file.text.as_str();
        let index = self.file.index();
        let start = floor_char_boundary(text, span.offset());
        let end = floor_char_boundary(text, span.offset() + span.len()).max(start);
        let first_line = index.line_of(start);
        let last_line = index.line_of(if end > start { end - 1 } else { end });
        let long = |l: usize| index.end(l, original) - index.start(l) > LONG_LINE;
        let (from, to, line) = if before == 0 && after == 0 {
            (start, end, first_line)
        } else if (first_line..=last_line).any(long) {
            // A long line: a window around the label, no context lines.
            let from = floor_char_boundary(
                text,
                start.saturating_sub(WINDOW).max(index.start(first_line)),
            );
            let to = ceil_char_boundary(text, (end + WINDOW).min(index.end(last_line, original)));
            (from, to, first_line)
        } else {
            let mut first = first_line.saturating_sub(before);
            let mut last = (last_line + after).min(index.lines() - 1);
            while first < first_line && long(first) {
                first += 1;
            }
            while last > last_line && long(last) {
                last -= 1;
            }
            (index.start(first), index.next_start(last, original), first)
        };
        let column = index.column(original, line, from);
        // miette draws two labels in one snippet when their windows are this close; a few lines
        // of slack keep nearby labels together without ever joining far ones.
        let lines = index.line_of(to.saturating_sub(1).max(from)) - line + 1 + MERGE_SLACK;
        Ok(Box::new(
            MietteSpanContents::new_named(
                self.file.name.clone(),
                &text.as_bytes()[from..to],
                SourceSpan::new(from.into(), to - from),
                line,
                column,
                lines,
            )
            .with_language("kdl"),
        ))
    }
}

fn ceil_char_boundary(text: &str, mut offset: usize) -> usize {
    offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset += 1;
    }
    offset
}

/// A diagnostic joined with the sources it points into, for miette.
struct Report<'a> {
    diag: &'a Diagnostic,
    severity: Severity,
    message: String,
    source: Option<Window<'a>>,
    labels: Vec<LabeledSpan>,
    related: Vec<Report<'a>>,
    help: Option<String>,
}

impl fmt::Debug for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}
impl fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}
impl std::error::Error for Report<'_> {}

impl miette::Diagnostic for Report<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        if self.related.is_empty() && self.source.is_some() && self.labels.is_empty() {
            return None;
        }
        Some(Box::new(self.diag.code))
    }
    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }
    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h.as_str()) as Box<dyn fmt::Display>)
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source.as_ref().map(|s| s as &dyn miette::SourceCode)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if self.labels.is_empty() {
            None
        } else {
            Some(Box::new(self.labels.iter().cloned()))
        }
    }
    fn related<'b>(&'b self) -> Option<Box<dyn Iterator<Item = &'b dyn miette::Diagnostic> + 'b>> {
        if self.related.is_empty() {
            None
        } else {
            Some(Box::new(
                self.related.iter().map(|r| r as &dyn miette::Diagnostic),
            ))
        }
    }
}

/// Text of a message, label or help as the terminal shows it: control characters escaped
/// (a newline stays a newline), at most [`MAX_TEXT`] bytes.
pub fn shown(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(MAX_TEXT));
    for c in text.chars() {
        if out.len() >= MAX_TEXT {
            out.push('…');
            break;
        }
        if (c.is_control() && c != '\n')
            || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// The span miette is given for a label: a label over many lines is drawn on its first line,
/// and one starting on a long line stops at that line's end, so no label is drawn over more
/// than a screen.
fn drawn_span(file: &SourceFile, span: Span) -> SourceSpan {
    let text = file.text.as_str();
    let index = file.index();
    let start = floor_char_boundary(text, span.start as usize);
    let end = floor_char_boundary(text, span.start as usize + span.len as usize).max(start);
    let line = index.line_of(start);
    let line_end = index.end(line, text);
    let last = index.line_of(if end > start { end - 1 } else { end });
    let long = line_end - index.start(line) > LONG_LINE;
    let end = if last - line >= MAX_LABEL_LINES || (long && end > line_end) {
        line_end.max(start)
    } else {
        end
    };
    let end = if long {
        floor_char_boundary(text, end.min(start + WINDOW)).max(start)
    } else {
        end
    };
    SourceSpan::new(start.into(), end - start)
}

fn build_report<'a>(sources: &'a SourceMap, diag: &'a Diagnostic) -> Report<'a> {
    let primary = diag.primary_span();
    let mut labels = Vec::new();
    let mut related = Vec::new();
    for (i, label) in diag.labels.iter().enumerate() {
        let file = sources.file(label.span.file);
        let span = drawn_span(file, label.span);
        let text = (!label.message.is_empty()).then(|| shown(&label.message));
        // Another label on the same long line far from the primary one is drawn on its own,
        // so one window never has to span both.
        let far = primary.is_some_and(|p| {
            p.file == label.span.file
                && i > 0
                && (p.start as usize).abs_diff(label.span.start as usize) > 2 * WINDOW
                && file.index().line_of(p.start as usize)
                    == file.index().line_of(label.span.start as usize)
        });
        if Some(label.span.file) == primary.map(|p| p.file) && !far {
            labels.push(if i == 0 {
                LabeledSpan::new_primary_with_span(text, span)
            } else {
                LabeledSpan::new_with_span(text, span)
            });
        } else {
            // A label in another file (or far along a long line) becomes a related note with
            // its own source.
            related.push(Report {
                diag,
                severity: Severity::Warning,
                message: format!("note: {}", shown(&label.message)),
                source: Some(Window { file }),
                labels: vec![LabeledSpan::new_with_span(text, span)],
                related: Vec::new(),
                help: None,
            });
        }
    }
    Report {
        diag,
        severity: diag.severity,
        message: shown(&diag.message),
        source: primary.map(|p| Window {
            file: sources.file(p.file),
        }),
        labels,
        related,
        help: diag.help.as_deref().map(shown),
    }
}

/// How human output is drawn.
#[derive(Debug, Clone, Copy)]
pub struct RenderOptions {
    pub color: bool,
    pub width: usize,
}

impl RenderOptions {
    /// No color, no links, fixed width: what the snapshot tests use.
    pub fn plain() -> Self {
        Self {
            color: false,
            width: 100,
        }
    }
}

/// Renders one diagnostic with miette: file, line and column, underlined span, help.
pub fn render_human(sources: &SourceMap, diag: &Diagnostic, options: RenderOptions) -> String {
    let theme = if options.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_links(false)
        .with_width(options.width)
        .with_context_lines(1);
    let report = build_report(sources, diag);
    let mut out = String::new();
    if handler.render_report(&mut out, &report).is_err() {
        out = format!("{}: {}\n", diag.code, shown(&diag.message));
    }
    out
}

/// The JSON shape of `--message-format json`: one object per diagnostic.
#[derive(Debug, Serialize)]
pub struct JsonDiagnostic<'a> {
    pub file: Option<&'a str>,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub code: &'static str,
    pub name: &'static str,
    pub severity: Severity,
    pub message: &'a str,
    pub help: Option<&'a str>,
}

pub fn to_json<'a>(sources: &'a SourceMap, diag: &'a Diagnostic) -> JsonDiagnostic<'a> {
    let (file, line, column) = match diag.primary_span() {
        Some(span) => {
            let (l, c) = sources.line_col(span);
            (
                Some(sources.file(span.file).name.as_str()),
                Some(l),
                Some(c),
            )
        }
        None => (None, None, None),
    };
    JsonDiagnostic {
        file,
        line,
        column,
        code: diag.code.id(),
        name: diag.code.name(),
        severity: diag.severity,
        message: &diag.message,
        help: diag.help.as_deref(),
    }
}

/// One JSON object per line.
pub fn render_json(sources: &SourceMap, diag: &Diagnostic) -> String {
    serde_json::to_string(&to_json(sources, diag)).unwrap_or_default()
}
