//! Spec tests: one directory per feature under `tests/specs/`, each case a `.kdl` file or a
//! directory of them, named `valid-*` (no errors allowed) or `invalid-*` (at least one error).
//! The rendered diagnostics (no color) and, for valid cases, the generated files are snapshot
//! in `snapshots/<feature>/<case>.snap`. Every generated compose file also goes through the
//! Compose oracle, the compose JSON schema and the YAML round trip.

mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn cases() -> Vec<(String, PathBuf)> {
    let root = support::manifest_dir().join("tests/specs");
    let mut out = Vec::new();
    let mut features: Vec<_> = std::fs::read_dir(&root)
        .expect("tests/specs")
        .flatten()
        .collect();
    features.sort_by_key(|e| e.file_name());
    for feature in features.into_iter().filter(|e| e.path().is_dir()) {
        let mut entries: Vec<_> = std::fs::read_dir(feature.path())
            .expect("feature")
            .flatten()
            .collect();
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            let name = e.file_name().to_string_lossy().into_owned();
            let is_case = (name.starts_with("valid") || name.starts_with("invalid"))
                && (e.path().is_dir() || name.ends_with(".kdl"));
            if is_case {
                out.push((feature.file_name().to_string_lossy().into_owned(), e.path()));
            }
        }
    }
    out
}

fn case_name(path: &Path) -> String {
    path.file_name()
        .unwrap()
        .to_string_lossy()
        .trim_end_matches(".kdl")
        .to_string()
}

fn snapshot_text(path: &Path) -> (String, bool, bool, pmovesc::Output) {
    let sources = support::load(path);
    let output = support::compile(&sources);
    let mut text = String::new();
    for (_, f) in sources.files() {
        text.push_str(&format!("# Input: {}\n{}", f.name, f.text));
        if !f.text.ends_with('\n') {
            text.push('\n');
        }
    }
    text.push_str("\n# Diagnostics\n");
    let rendered = support::render(&sources, &output);
    text.push_str(if rendered.is_empty() {
        "(none)\n"
    } else {
        &rendered
    });
    for (name, contents) in &output.files {
        if name == pmovesc::output::manifest::MANIFEST_FILE {
            continue; // holds the compiler's fingerprint, which changes with every code change
        }
        text.push_str(&format!("\n# Output: {name}\n{contents}"));
    }
    let errors = output.has_errors();
    (text, errors, !output.files.is_empty(), output)
}

#[test]
fn spec_cases() {
    let mut failures = Vec::new();
    let mut seen_codes = BTreeSet::new();
    for (feature, path) in cases() {
        let name = case_name(&path);
        let result = std::panic::catch_unwind(|| {
            let (text, errors, wrote, output) = snapshot_text(&path);
            if name.starts_with("valid") {
                assert!(
                    !errors,
                    "{feature}/{name}: a valid case has errors:\n{text}"
                );
                assert!(wrote, "{feature}/{name}: a valid case wrote nothing");
                support::check_all_oracles(&output.files);
                for (file, model) in &output.models {
                    let expected = serde_json::to_value(model).expect("json");
                    support::check_roundtrip(file, &output.files[file], &expected);
                }
            } else {
                assert!(
                    errors,
                    "{feature}/{name}: an invalid case has no error:\n{text}"
                );
                assert!(!wrote, "{feature}/{name}: an invalid case wrote files");
            }
            let mut settings = insta::Settings::clone_current();
            settings.set_snapshot_path(support::manifest_dir().join("snapshots").join(&feature));
            settings.set_prepend_module_to_snapshot(false);
            settings.set_omit_expression(true);
            settings.bind(|| insta::assert_snapshot!(name.clone(), text));
            output
                .diagnostics
                .iter()
                .map(|d| d.code)
                .collect::<Vec<_>>()
        });
        match result {
            Ok(codes) => seen_codes.extend(codes),
            Err(e) => {
                let msg = e
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                failures.push(format!("{feature}/{name}: {msg}"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} spec case(s) failed:\n{}",
        failures.len(),
        failures.join("\n\n")
    );

    // Every diagnostic code the compiler has is shown by at least one spec snapshot.
    let untested: Vec<&str> = pmovesc::diag::Code::ALL
        .iter()
        .filter(|c| !seen_codes.contains(c))
        .filter(|c| !matches!(c, pmovesc::diag::Code::NoStackFiles)) // tested by the CLI tests
        .map(|c| c.id())
        .collect();
    assert!(
        untested.is_empty(),
        "codes without a spec case: {untested:?}"
    );
}
