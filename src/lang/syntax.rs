//! KDL text -> document, or diagnostics that name the file.

use kdl::KdlDocument;

use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::lang::source::{FileId, SourceMap, Span};

/// Parses one file as KDL 2.0. On failure, every syntax error kdl reports is re-wrapped with the
/// file's name and span; a KDL 1 keyword (`true`, `false`, `null`) gets a hint to write `#true`.
pub fn parse(sources: &SourceMap, file: FileId, diags: &mut Diagnostics) -> Option<KdlDocument> {
    let text = sources.file(file).text.as_str();
    match KdlDocument::parse_v2(text) {
        Ok(doc) => Some(doc),
        Err(err) => {
            if err.diagnostics.is_empty() {
                diags.push(
                    Diagnostic::error(Code::KdlSyntax, "the file is not valid KDL 2.0")
                        .label(Span::new(file, 0, 0), "here"),
                );
            }
            for d in err.diagnostics {
                let span = Span::from_miette(file, d.span);
                let message = d
                    .message
                    .clone()
                    .unwrap_or_else(|| "invalid KDL syntax".to_string());
                let diag = match keyword_near(sources, span) {
                    Some(word) => Diagnostic::error(
                        Code::KdlSyntax,
                        format!("KDL syntax: `{word}` is a KDL 1 keyword"),
                    )
                    .label(span, "bare keywords are not values in KDL 2.0")
                    .help(format!("KDL 2.0 writes `{word}` as `#{word}`")),
                    None => {
                        let label = d.label.clone().unwrap_or_else(|| "here".into());
                        let diag =
                            Diagnostic::error(Code::KdlSyntax, format!("KDL syntax: {message}"))
                                .label(span, label);
                        match d.help {
                            Some(help) => diag.help(help),
                            None => diag.help("see https://kdl.dev for KDL 2.0 syntax"),
                        }
                    }
                };
                diags.push(diag);
            }
            None
        }
    }
}

/// The KDL 1 keyword (`true`, `false`, `null`) an error span points at, if any.
fn keyword_near(sources: &SourceMap, span: Span) -> Option<&'static str> {
    let text = sources.slice(span);
    ["true", "false", "null"]
        .into_iter()
        .find(|word| text == *word)
}
