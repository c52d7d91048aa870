//! `pmovesc fmt`: the canonical layout of every `.kdl` file of a stack, in place and all or
//! nothing (`--check`: write nothing, exit 1 naming each file that is not canonical).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use pmovesc::diag::{Code, Diagnostic, Diagnostics};
use pmovesc::lang::format;
use pmovesc::lang::source::Span;
use pmovesc::lang::syntax;
use pmovesc::output::fs;

use super::{Common, report};

#[derive(clap::Args)]
pub struct FmtArgs {
    /// The stack directory (or one .kdl file).
    pub stacks: PathBuf,
    /// Write nothing; exit 1 listing the files that are not in canonical form.
    #[arg(long)]
    pub check: bool,
    #[command(flatten)]
    pub common: Common,
}

/// Where `a` and `b` first differ: the whole line of `a` there.
fn first_difference(file: u32, a: &str, b: &str) -> Span {
    let at = a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count();
    let start = a[..at].rfind('\n').map_or(0, |i| i + 1);
    let end = a[start..].find('\n').map_or(a.len(), |i| start + i);
    Span::new(file, start, end - start)
}

pub fn fmt_cmd(args: &FmtArgs) -> ExitCode {
    let sources = match super::load(&args.stacks) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let mut diags = Diagnostics::new();
    let mut changes: Vec<(PathBuf, &str, String)> = Vec::new();
    for (id, file) in sources.files() {
        let Some(doc) = syntax::parse(&sources, id, &mut diags) else {
            continue;
        };
        let text = file.text.as_str();
        let formatted = format::format(&doc, text);
        if formatted != text {
            if args.check {
                diags.push(
                    Diagnostic::error(
                        Code::NotFormatted,
                        format!("`{}` is not in canonical form", file.name),
                    )
                    .label(first_difference(id, text, &formatted), "first difference")
                    .help(format!("run `pmovesc fmt {}`", args.stacks.display())),
                );
            }
            changes.push((Path::new(&file.name).to_path_buf(), text, formatted));
        }
    }
    let diagnostics = diags.into_sorted();
    let counts = report(&sources, &diagnostics, &args.common);
    if counts.errors > 0 {
        if args.check {
            eprintln!(
                "{} not formatted ({})",
                super::report::plural(changes.len(), "file"),
                counts.totals()
            );
        } else {
            eprintln!(
                "nothing formatted: fix the syntax errors first ({})",
                counts.totals()
            );
        }
        return ExitCode::FAILURE;
    }
    if args.check || changes.is_empty() {
        eprintln!(
            "{} in canonical form",
            super::report::plural(sources.len(), "file")
        );
        return ExitCode::SUCCESS;
    }
    if let Err(e) = fs::replace_files(&changes) {
        eprintln!("error: nothing formatted: {e}");
        return ExitCode::from(2);
    }
    for (path, _, _) in &changes {
        eprintln!("formatted {}", path.display());
    }
    ExitCode::SUCCESS
}
