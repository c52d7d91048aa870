//! `pmovesc import`: compose files (a base and its overlays, merged with the Compose rules)
//! become a stack in the stack language, and the defects a typed stack would not allow are
//! reported at the compose file and line.
//!
//! - `yaml`: compose YAML with spans (anchors, aliases, `<<`, `!reset`, `!override`);
//! - `merge`: the merge rules of repeated `-f` files and of `extends`;
//! - `load`: a file set read and merged, `extends` and `include` applied, paths rebased;
//! - `syntax`: the short syntaxes of compose fields (ports, volumes, devices, ...);
//! - `convert/`: the merged tree to stack-language nodes, one file per compose profile group;
//! - `defects`: the defect report (undefined services, undeclared networks, ...), and
//!   `report` the same as a Markdown or JSON document;
//! - `kdl`: the small KDL tree import writes, printed canonically.
//!
//! Files come from a reader the caller hands in: this module does no I/O and prints nothing.

pub mod convert;
pub mod defects;
pub mod kdl;
pub mod load;
pub mod merge;
pub mod report;
pub mod syntax;
pub mod yaml;

use std::collections::BTreeMap;

use crate::diag::{Diagnostic, Diagnostics};
use crate::lang::source::SourceMap;

pub use load::Reader;

/// What to import.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// The compose files, in `-f` order (paths as the reader reads them).
    pub files: Vec<String>,
    /// The directory the stack will be built into (`pmovesc build STACKS -o OUT`), relative to
    /// the same directory as `files`; relative paths of the compose files are rebased onto it.
    /// Default: the first file's directory.
    pub build_dir: Option<String>,
    /// Variables for the paths compose reads while loading (`extends.file`, `include`), from
    /// `--env-file`: never written into the stack.
    pub variables: BTreeMap<String, String>,
    /// One stack file per service instead of one per compose profile group.
    pub file_per_service: bool,
}

/// The stack files (name relative to STACKS -> KDL text) and every diagnostic, sorted.
#[derive(Debug, Default)]
pub struct Imported {
    pub files: BTreeMap<String, String>,
    pub diagnostics: Vec<Diagnostic>,
    /// Where the compose files hold literal credentials: whoever shows those files (a rendered
    /// diagnostic) masks these spans.
    pub credentials: Vec<crate::lang::source::Span>,
}

impl Imported {
    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity == crate::diag::Severity::Error)
    }
}

/// Imports a set of compose files. Every file read is added to `sources`, so diagnostics can be
/// rendered against them.
pub fn import(request: &Request, sources: &mut SourceMap, read: &mut Reader<'_>) -> Imported {
    let mut diags = Diagnostics::new();
    let Some(first) = request.files.first() else {
        return Imported::default();
    };
    let build_dir = request
        .build_dir
        .clone()
        .unwrap_or_else(|| load::dir_of(first));
    let (project, fragments, documents) = {
        let mut loader =
            load::Loader::new(sources, &mut diags, read, &request.variables, &build_dir);
        let project = loader.load_set(&request.files);
        (
            project,
            std::mem::take(&mut loader.fragments),
            std::mem::take(&mut loader.documents),
        )
    };
    let Some(project) = project else {
        return Imported {
            files: BTreeMap::new(),
            diagnostics: diags.into_sorted(),
            credentials: Vec::new(),
        };
    };
    let found = defects::report(&project, &documents, sources, &mut diags);
    let files = convert::stack(
        &project,
        sources,
        &fragments,
        &found,
        &convert::Options {
            first_file: first.clone(),
            build_dir,
            file_per_service: request.file_per_service,
        },
        &mut diags,
    );
    Imported {
        files,
        diagnostics: diags.into_sorted(),
        credentials: found.credentials.iter().map(|c| c.value_span).collect(),
    }
}

/// A copy of `sources` with the bytes of `spans` replaced by `*` (each character by as many
/// `*` as it has bytes, so every span still points where it did): what a diagnostic that shows
/// a compose file's line is rendered against, so no literal credential is ever printed.
pub fn masked(sources: &SourceMap, spans: &[crate::lang::source::Span]) -> SourceMap {
    let mut out = SourceMap::new();
    for (id, file) in sources.files() {
        let mut file = file.clone();
        let mine: Vec<_> = spans.iter().filter(|s| s.file == id).collect();
        if !mine.is_empty() {
            let mut text = String::with_capacity(file.text.len());
            let mut at = 0usize;
            for (i, c) in file.text.char_indices() {
                let hidden = mine.iter().any(|s| {
                    let start = s.start as usize;
                    i >= start && i < start + s.len as usize
                });
                if hidden && !matches!(c, '\n' | '\r') {
                    text.push_str(&"*".repeat(c.len_utf8()));
                } else {
                    text.push(c);
                }
                at = i + c.len_utf8();
            }
            debug_assert_eq!(at, file.text.len());
            file.text = std::sync::Arc::new(text);
        }
        out.add_file(file);
    }
    out
}
