//! pmovesc: compile typed KDL container stacks into deterministic compose files.
//!
//! The pipeline, front to back (`docs/architecture.md` draws it):
//!
//! - [`lang`]: the stack language, text to typed model (source files and spans, the KDL parser,
//!   the vocabulary, decoding, the model, value grammars);
//! - [`analysis`]: passes over the decoded stack (resolve, validate);
//! - [`targets`]: one module per output format (compose, MCP catalogs);
//! - [`output`]: the output directory (read and write all or nothing, manifest, check).
//!
//! [`diag`] (diagnostics) is used by every layer; [`registry`] (pin and verify) is the network
//! edge. [`analyze`] and [`compile`] run the pipeline; nothing here prints or reads the
//! environment, and file I/O happens only in [`output`] and the command line.

pub mod analysis;
pub mod diag;
pub mod import;
pub mod lang;
pub mod output;
pub mod parallel;
pub mod registry;
pub mod render;
#[doc(hidden)]
pub mod stackgen;
pub mod targets;

use std::collections::BTreeMap;

use analysis::{resolve, validate};
use diag::{Code, Diagnostic, Diagnostics};
use lang::source::{self, SourceMap};
use lang::{decode, model, syntax};
use output::manifest;
use targets::compose::{emit, groups, inputs, lint, lower};
use targets::mcp as catalog;

/// What a build is asked to do.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Build only these profiles (empty: all).
    pub profiles: Vec<String>,
    /// Warnings are errors.
    pub strict: bool,
    /// The command written into headers, e.g. `pmovesc build stacks -o pmoves`.
    pub regenerate: String,
    /// Keep each profile's compose model in [`Output::models`] (tests read it; the CLI does not).
    pub keep_models: bool,
}

/// The result of compiling a stack: generated files (name -> contents) when there is no error,
/// and every diagnostic, sorted.
#[derive(Debug, Clone, Default)]
pub struct Output {
    pub files: BTreeMap<String, String>,
    /// Every file name a full build of this stack produces (for `check`'s orphan detection).
    pub all_file_names: Vec<String>,
    /// The compose document each profile file was emitted from (file name -> document): the
    /// lowered model with declared inputs applied.
    pub models: BTreeMap<String, serde_json::Value>,
    /// The MCP catalogs the catalog files were emitted from.
    pub catalogs: Option<catalog::Catalogs>,
    /// Which variables the services read, in which groups, over every profile.
    pub usage: BTreeMap<String, inputs::Usage>,
    /// The resolved stack (when it has no error): its declared inputs, for `secrets`.
    pub stack: Option<resolve::Resolved>,
    pub diagnostics: Vec<Diagnostic>,
}

impl Output {
    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity == diag::Severity::Error)
    }
}

/// Parses, decodes, resolves and validates a stack; returns the resolved stack when it has no
/// error, and the diagnostics either way.
pub fn analyze(sources: &SourceMap) -> (Option<resolve::Resolved>, Diagnostics) {
    let mut diags = Diagnostics::new();
    if sources.is_empty() {
        diags.push(
            Diagnostic::error(
                Code::NoStackFiles,
                "the stack directory holds no `.kdl` file",
            )
            .help("write the stack in `*.kdl` files below the directory"),
        );
        return (None, diags);
    }
    if !sources.problems().is_empty() {
        // An entry the edge could not read: its definitions are unknown, as with a syntax error.
        for d in sources.problems() {
            diags.push(d.clone());
        }
        return (None, diags);
    }
    // Files parse and decode independently, in parallel; each KDL document is dropped as soon
    // as it is decoded, so at most one document per thread is alive.
    let ids: Vec<source::FileId> = sources.files().map(|(id, _)| id).collect();
    let decoded = parallel::map(&ids, |id| {
        let mut file_diags = Diagnostics::new();
        let stack = syntax::parse(sources, *id, &mut file_diags)
            .map(|doc| decode::decode(&doc, &mut file_diags));
        (stack, file_diags)
    });
    let mut stack = model::Stack::default();
    let mut unreadable = false;
    for (file_stack, file_diags) in decoded {
        diags.extend(file_diags);
        match file_stack {
            Some(s) => stack.absorb(s),
            None => unreadable = true,
        }
    }
    if unreadable {
        // A file that does not parse hides its definitions: resolving now would only report
        // everything it defines as missing.
        return (None, diags);
    }
    let resolved = resolve::resolve(stack, &mut diags);
    if let Some(r) = &resolved {
        validate::validate(r, &mut diags);
    }
    (resolved, diags)
}

/// Compiles a stack into its output files. All or nothing: any error leaves `files` empty.
pub fn compile(sources: &SourceMap, options: &Options) -> Output {
    let (resolved, mut diags) = analyze(sources);
    let mut output = Output::default();
    let Some(stack) = resolved else {
        output.diagnostics = finish(diags, options.strict);
        return output;
    };
    for wanted in &options.profiles {
        if !stack.profiles.iter().any(|p| &p.name.value == wanted) {
            let names: Vec<&str> = stack
                .profiles
                .iter()
                .map(|p| p.name.value.as_str())
                .collect();
            diags.push(
                Diagnostic::error(
                    Code::UndefinedReference,
                    format!("profile `{wanted}` is not defined"),
                )
                .help(diag::suggest(wanted, names.iter().copied())),
            );
        }
    }
    targets::outputs::check_collisions(&stack, &mut diags);
    output.all_file_names = targets::outputs::output_files(&stack)
        .into_iter()
        .map(|f| f.name)
        .collect();
    output.all_file_names.push(manifest::MANIFEST_FILE.into());
    output.all_file_names.sort();
    let catalogs = catalog::build(&stack, &mut diags);
    let failed = diags.has_errors() || (options.strict && !diags.is_empty());
    if failed {
        output.diagnostics = finish(diags, options.strict);
        return output;
    }
    // Every profile is lowered (the inputs file lists what any of them reads); the selected
    // ones are emitted. Profiles lower and emit independently, in parallel.
    let profiles: Vec<&model::Profile> = stack.profiles.iter().collect();
    let selected = |p: &model::Profile| {
        options.profiles.is_empty() || options.profiles.contains(&p.name.value)
    };
    let emitted = parallel::map(&profiles, |profile| {
        let compose = lower::lower(&stack, profile);
        let mut doc = serde_json::to_value(&compose).unwrap_or_default();
        groups::close(&mut doc);
        let usage = inputs::apply(&stack, &mut doc);
        if !selected(profile) {
            return (None, usage);
        }
        let text = emit::compose_yaml(&doc, &options.regenerate);
        let mut pins = BTreeMap::new();
        let shapes = stack
            .services
            .iter()
            .filter_map(|(n, s)| stack.shape(s, profile).map(|b| (n.as_str(), b)));
        for (name, body) in shapes {
            emit::add_pin(&stack, name, &body, &mut pins);
        }
        (
            Some((
                profile.file_name(),
                text,
                options.keep_models.then_some(doc),
                pins,
            )),
            usage,
        )
    });
    let mut pins = BTreeMap::new();
    let mut usage = BTreeMap::new();
    for (emitted, profile_usage) in emitted {
        inputs::merge_usage(&mut usage, profile_usage);
        let Some((file, text, model, profile_pins)) = emitted else {
            continue;
        };
        output.files.insert(file.clone(), text);
        if let Some(model) = model {
            output.models.insert(file, model);
        }
        for (var, image) in profile_pins {
            pins.entry(var).or_insert(image);
        }
    }
    let pin_vars = pins.keys().cloned().collect();
    output.files.insert(
        stack.pin_file.clone(),
        emit::pin_file(&pins, &options.regenerate),
    );
    output.files.insert(
        inputs::CHECK_FILE.into(),
        inputs::check_file(&options.regenerate),
    );
    output.files.insert(
        inputs::EXAMPLE_FILE.into(),
        inputs::example_file(&stack, &usage, &pin_vars, &options.regenerate),
    );
    output.files.insert(
        inputs::GITIGNORE_FILE.into(),
        inputs::gitignore_file(&options.regenerate),
    );
    output.usage = usage;
    output.files.insert(
        catalog::JSON_FILE.into(),
        catalog::listing_json(&catalogs.listing),
    );
    output.files.insert(
        catalog::DOCKER_FILE.into(),
        targets::yaml_document_with_notes(
            &catalogs.docker,
            &options.regenerate,
            &catalogs.docker.left_out,
        ),
    );
    output.catalogs = Some(catalogs);
    output.files.insert(
        lint::COMPOSE_LINT_FILE.into(),
        targets::yaml_document(
            &lint::compose_lint_config(&analysis::audit::audit(
                &stack,
                &stack.profiles.iter().collect::<Vec<_>>(),
            )),
            &options.regenerate,
        ),
    );
    let manifest = manifest::Manifest::new(sources, options, &output.files);
    output.files.insert(
        manifest::MANIFEST_FILE.into(),
        manifest.render(&options.regenerate),
    );
    output.diagnostics = finish(diags, options.strict);
    output.stack = Some(stack);
    output
}

fn finish(mut diags: Diagnostics, strict: bool) -> Vec<Diagnostic> {
    if strict {
        diags.make_strict();
    }
    diags.into_sorted()
}
