//! The defect report as a document a team can review (`pmovesc import --report FILE.md|json`):
//! every diagnostic of the import, grouped by code, with its compose file and line, what is wrong
//! and what import did about it. Rendered against the masked sources, so no literal credential
//! appears in it.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::diag::{self, Code, Diagnostic, Severity};
use crate::lang::source::SourceMap;

/// `FILE:LINE` of a diagnostic, or `-`.
fn place(sources: &SourceMap, d: &Diagnostic) -> String {
    match d.primary_span() {
        Some(span) => {
            let (line, _) = sources.line_col(span);
            format!(
                "{}:{line}",
                super::convert::display_name(&sources.file(span.file).name)
            )
        }
        None => "-".into(),
    }
}

/// A Markdown table cell: pipes escaped, one line.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// The report in Markdown: a summary table of codes, then one section per code.
pub fn markdown(sources: &SourceMap, files: &[String], diagnostics: &[Diagnostic]) -> String {
    let mut by_code: BTreeMap<Code, Vec<&Diagnostic>> = BTreeMap::new();
    for d in diagnostics {
        by_code.entry(d.code).or_default().push(d);
    }
    let mut out = String::new();
    let _ = writeln!(out, "# Import report\n");
    let names: Vec<String> = files
        .iter()
        .map(|f| format!("`{}`", super::convert::display_name(f)))
        .collect();
    let _ = writeln!(out, "Compose files: {}.\n", names.join(", "));
    let errors = diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    let _ = writeln!(
        out,
        "{} errors, {} warnings.\n",
        errors,
        diagnostics.len() - errors
    );
    if diagnostics.is_empty() {
        let _ = writeln!(out, "Nothing to report.");
        return out;
    }
    let _ = writeln!(
        out,
        "| code | name | count | what it means |\n|---|---|---|---|"
    );
    for (code, ds) in &by_code {
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} |",
            code.id(),
            code.name(),
            ds.len(),
            cell(code.description())
        );
    }
    for (code, ds) in &by_code {
        let _ = writeln!(out, "\n## {} {}\n", code.id(), code.name());
        let _ = writeln!(
            out,
            "| where | severity | finding | decision |\n|---|---|---|---|"
        );
        for d in ds {
            let severity = match d.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
            };
            let _ = writeln!(
                out,
                "| {} | {severity} | {} | {} |",
                place(sources, d),
                cell(&d.message),
                cell(d.help.as_deref().unwrap_or(""))
            );
        }
    }
    out
}

/// The report in JSON: `{"files": [...], "diagnostics": [...]}`, each diagnostic as
/// `--message-format json` prints it.
pub fn json(sources: &SourceMap, files: &[String], diagnostics: &[Diagnostic]) -> String {
    let report = serde_json::json!({
        "files": files.iter().map(|f| super::convert::display_name(f)).collect::<Vec<_>>(),
        "diagnostics": diagnostics.iter().map(|d| diag::to_json(sources, d)).collect::<Vec<_>>(),
    });
    let mut text = serde_json::to_string_pretty(&report).unwrap_or_default();
    text.push('\n');
    text
}
