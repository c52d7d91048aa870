//! The names of the files a build writes, from every target, and the rule that no two of them
//! are one file: a profile's `file=` equal to the pin file, to another profile's, or to one of the
//! fixed outputs would silently lose one of them. Names equal but for letter case collide too:
//! the repository is checked out on case-insensitive file systems as well.

use std::collections::HashMap;

use crate::analysis::resolve::Resolved;
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::lang::source::Span;

use super::{compose, mcp};

/// One output file: its name, what produces it, and where the stack names it (if it does).
pub struct OutputFile {
    pub name: String,
    pub what: String,
    pub span: Option<Span>,
}

/// Every file a full build of the stack writes (the manifest aside, whose name the stack cannot
/// take), in a fixed order: profiles, the pin file, the fixed outputs.
pub fn output_files(stack: &Resolved) -> Vec<OutputFile> {
    let mut out: Vec<OutputFile> = stack
        .profiles
        .iter()
        .map(|p| OutputFile {
            name: p.file_name(),
            what: format!("the compose file of profile `{}`", p.name.value),
            span: (p.span.len > 0).then_some(p.span),
        })
        .collect();
    out.push(OutputFile {
        name: stack.pin_file.clone(),
        what: "the pin file".into(),
        span: stack.pin_file_span,
    });
    for (name, what) in [
        (mcp::JSON_FILE, "the MCP registry listing"),
        (mcp::DOCKER_FILE, "the Docker MCP catalog"),
        (compose::lint::COMPOSE_LINT_FILE, "the compose-lint file"),
        (compose::inputs::CHECK_FILE, "the inputs check file"),
        (compose::inputs::EXAMPLE_FILE, "the inputs example file"),
        (
            compose::inputs::GITIGNORE_FILE,
            "the output directory's .gitignore",
        ),
    ] {
        out.push(OutputFile {
            name: name.into(),
            what: what.into(),
            span: None,
        });
    }
    out
}

/// Reports every pair of outputs that would be written to one file.
pub fn check_collisions(stack: &Resolved, diags: &mut Diagnostics) {
    let files = output_files(stack);
    let mut first: HashMap<String, &OutputFile> = HashMap::new();
    for f in &files {
        let key = f.name.to_ascii_lowercase();
        let Some(earlier) = first.get(&key) else {
            first.insert(key, f);
            continue;
        };
        let same = if earlier.name == f.name {
            format!("`{}`", f.name)
        } else {
            format!("`{}` and `{}` (equal but for case)", earlier.name, f.name)
        };
        let mut d = Diagnostic::error(
            Code::OutputCollision,
            format!(
                "{} and {} would both be written to {same}",
                earlier.what, f.what
            ),
        );
        // The primary label is the name the stack chose (the later one, else the earlier).
        for (o, text) in [(f, "written here"), (*earlier, "and here")] {
            if let Some(span) = o.span {
                d = d.label(span, format!("{text}: {}", o.what));
            }
        }
        diags.push(d.help("give each profile its own `file=`, and the pin file a name of its own"));
    }
}
