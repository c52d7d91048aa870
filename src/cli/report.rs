//! Printing diagnostics, quiet by default: a code that repeats more than [`REPEAT_LIMIT`]
//! times is shown once in full, followed by how many more there are and their places, one line
//! per file (`--verbose` shows each in full; `--message-format json` always prints each). The
//! counts it returns make the last line of every command.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};

use pmovesc::diag::{self, Code, Diagnostic, RenderOptions, Severity};
use pmovesc::lang::source::SourceMap;

use super::{ColorChoice, Common, MessageFormat};

/// More diagnostics of one code than this are summarised.
pub const REPEAT_LIMIT: usize = 3;

/// What was reported, for the command's last line.
#[derive(Debug, Default, Clone, Copy)]
pub struct Counts {
    pub errors: usize,
    pub warnings: usize,
    /// Warnings that an image is not pinned by digest (PMV309): `pmovesc pin` fixes them.
    pub unpinned: usize,
}

impl Counts {
    pub fn of(diagnostics: &[Diagnostic]) -> Self {
        let mut c = Counts::default();
        for d in diagnostics {
            match d.severity {
                Severity::Error => c.errors += 1,
                Severity::Warning if d.code == Code::UnpinnedImage => {
                    c.warnings += 1;
                    c.unpinned += 1;
                }
                Severity::Warning => c.warnings += 1,
            }
        }
        c
    }

    /// `2 errors, 1 warning`.
    pub fn totals(&self) -> String {
        format!(
            "{}, {}",
            plural(self.errors, "error"),
            plural(self.warnings, "warning")
        )
    }

    /// The warnings of a successful command, for its last line: `(77 images unpinned: run
    /// pmovesc pin; 2 other warnings)`, or nothing.
    pub fn warning_note(&self) -> String {
        let mut parts = Vec::new();
        if self.unpinned > 0 {
            parts.push(format!(
                "{} unpinned: run `pmovesc pin`",
                plural(self.unpinned, "image")
            ));
        }
        let other = self.warnings - self.unpinned;
        if other > 0 {
            parts.push(if self.unpinned > 0 {
                format!("{other} more {}", plural_word(other, "warning"))
            } else {
                plural(other, "warning")
            });
        }
        if parts.is_empty() {
            String::new()
        } else {
            format!(" ({})", parts.join("; "))
        }
    }
}

pub fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

fn use_color(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none()
        }
    }
}

fn terminal_width() -> usize {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(100)
}

/// Prints diagnostics to stderr and returns their counts.
pub fn report(sources: &SourceMap, diagnostics: &[Diagnostic], common: &Common) -> Counts {
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(render(sources, diagnostics, common).as_bytes());
    Counts::of(diagnostics)
}

/// The text [`report`] prints.
pub fn render(sources: &SourceMap, diagnostics: &[Diagnostic], common: &Common) -> String {
    let options = RenderOptions {
        color: use_color(common.color),
        width: terminal_width(),
    };
    let mut out = String::new();
    if matches!(common.message_format, MessageFormat::Json) {
        for d in diagnostics {
            out.push_str(&diag::render_json(sources, d));
            out.push('\n');
        }
        return out;
    }
    let mut by_code: BTreeMap<(Code, Severity), Vec<&Diagnostic>> = BTreeMap::new();
    for d in diagnostics {
        by_code.entry((d.code, d.severity)).or_default().push(d);
    }
    let summarised =
        |d: &Diagnostic| !common.verbose && by_code[&(d.code, d.severity)].len() > REPEAT_LIMIT;
    for d in diagnostics {
        if !summarised(d) {
            out.push_str(&diag::render_human(sources, d, options));
            continue;
        }
        let all = &by_code[&(d.code, d.severity)];
        if !std::ptr::eq(all[0], d) {
            continue;
        }
        out.push_str(&diag::render_human(sources, d, options));
        out.push_str(&places(sources, d, &all[1..]));
    }
    out
}

/// `… and 76 more PMV309 (unpinned-image) warnings like this one (--verbose shows each):` and
/// one line per file with the lines of the others.
fn places(sources: &SourceMap, first: &Diagnostic, rest: &[&Diagnostic]) -> String {
    let kind = match first.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    let mut out = format!(
        "  … and {} more {} like this one (--verbose shows each):\n",
        rest.len(),
        plural_word(rest.len(), &format!("{} {kind}", first.code)),
    );
    let mut by_file: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    let mut nowhere = 0;
    for d in rest {
        match d.primary_span() {
            Some(span) => by_file
                .entry(sources.file(span.file).name.as_str())
                .or_default()
                .push(sources.line_col(span).0),
            None => nowhere += 1,
        }
    }
    for (file, mut lines) in by_file {
        lines.sort_unstable();
        lines.dedup();
        let lines: Vec<String> = lines.iter().map(usize::to_string).collect();
        out.push_str(&format!(
            "    {file}: line{} {}\n",
            if lines.len() == 1 { "" } else { "s" },
            lines.join(", ")
        ));
    }
    if nowhere > 0 {
        out.push_str(&format!("    {nowhere} without a place in the stack\n"));
    }
    out.push('\n');
    out
}

fn plural_word(n: usize, word: &str) -> String {
    format!("{word}{}", if n == 1 { "" } else { "s" })
}
