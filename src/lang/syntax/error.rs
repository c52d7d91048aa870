//! Syntax errors as the parser records them: what is wrong, where, what was expected, the fix.
//! `mod.rs` turns them into [`Diagnostic`](crate::diag::Diagnostic)s.

use crate::diag::{Code, Diagnostic};
use crate::lang::source::Span;

/// One syntax error.
#[derive(Debug, Clone, PartialEq)]
pub struct SyntaxError {
    pub code: Code,
    pub span: Span,
    pub message: String,
    /// The text under the span.
    pub label: String,
    pub help: Option<String>,
    /// A second place worth showing (e.g. where a `}` is probably missing).
    pub related: Option<(Span, String)>,
}

impl SyntaxError {
    pub(super) fn new(span: Span, message: impl Into<String>, label: impl Into<String>) -> Self {
        Self {
            code: Code::KdlSyntax,
            span,
            message: message.into(),
            label: label.into(),
            help: None,
            related: None,
        }
    }

    pub(super) fn code(mut self, code: Code) -> Self {
        self.code = code;
        self
    }

    pub(super) fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub(super) fn related(mut self, span: Span, label: impl Into<String>) -> Self {
        self.related = Some((span, label.into()));
        self
    }

    pub fn into_diagnostic(self) -> Diagnostic {
        let mut d = Diagnostic::error(self.code, self.message).label(self.span, self.label);
        if let Some((span, label)) = self.related {
            d = d.label(span, label);
        }
        match self.help {
            Some(help) => d.help(help),
            None => d,
        }
    }
}
