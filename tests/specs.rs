//! Spec tests: one directory per feature under `tests/specs/`, each case a `.kdl` file or a
//! directory of them, named `valid-*` (no errors allowed) or `invalid-*` (at least one error).
//! Every case is a test of its own, named `FEATURE/CASE` (`cargo test --test specs ports/`
//! runs the port cases). Any other entry under `tests/specs/` fails as a misnamed case.
//!
//! A case checks, in this order:
//! 1. the diagnostics are exactly the ones its `// expect-error:` / `// expect-warning:` lines
//!    declare (code, severity, line and column), and the key facts of its `// expect:` lines
//!    hold in the generated files (`tests/support/expect.rs`); a valid case must declare facts,
//!    an invalid case its errors;
//! 2. a valid case writes files and each one passes the Compose oracle, the official schemas
//!    and the YAML round trip; an invalid case writes nothing;
//! 3. the rendered diagnostics (no color) and the generated files match the snapshot
//!    `snapshots/<feature>/<case>.snap`.
//!
//! A case whose oracles were skipped (`PMOVESC_ALLOW_SKIPS=1`) is reported `ignored` with the
//! oracles it did not run.

mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use libtest_mimic::{Arguments, Completion, Failed, Trial};
use support::expect::{self, ExpectedDiagnostic};

/// One entry of `tests/specs/<feature>/`.
struct Entry {
    feature: String,
    name: String,
    path: PathBuf,
}

fn specs_root() -> PathBuf {
    support::manifest_dir().join("tests/specs")
}

fn sorted_entries(dir: &Path) -> Vec<std::fs::DirEntry> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .collect();
    entries.sort_by_key(|e| e.file_name());
    entries
}

/// Every entry under `tests/specs/`, and the entries that are not cases (with why).
fn entries() -> (Vec<Entry>, Vec<(String, String)>) {
    let mut cases = Vec::new();
    let mut misnamed = Vec::new();
    for feature in sorted_entries(&specs_root()) {
        let fname = feature.file_name().to_string_lossy().into_owned();
        if !feature.path().is_dir() {
            misnamed.push((
                fname,
                "a file directly under tests/specs/ (cases go in tests/specs/<feature>/)".into(),
            ));
            continue;
        }
        for e in sorted_entries(&feature.path()) {
            let name = e.file_name().to_string_lossy().into_owned();
            let prefixed = name.starts_with("valid-") || name.starts_with("invalid-");
            let shaped = if e.path().is_dir() {
                let kdl = sorted_entries(&e.path())
                    .iter()
                    .any(|f| f.file_name().to_string_lossy().ends_with(".kdl"));
                kdl.then_some(name.clone())
            } else {
                name.strip_suffix(".kdl").map(str::to_string)
            };
            match shaped {
                Some(case) if prefixed => cases.push(Entry {
                    feature: fname.clone(),
                    name: case,
                    path: e.path(),
                }),
                _ => misnamed.push((
                    format!("{fname}/{name}"),
                    "not a spec case: name cases `valid-*.kdl` or `invalid-*.kdl` (or a \
                     `valid-*`/`invalid-*` directory of .kdl files)"
                        .into(),
                )),
            }
        }
    }
    (cases, misnamed)
}

/// The case's files as `(file name, text)`.
fn case_texts(sources: &pmovesc::lang::source::SourceMap) -> Vec<(String, String)> {
    sources
        .files()
        .map(|(_, f)| {
            let short = Path::new(&f.name)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| f.name.clone());
            (short, f.text.as_str().to_string())
        })
        .collect()
}

/// The diagnostics of a build, in the annotations' terms.
fn reported(
    case: &Entry,
    sources: &pmovesc::lang::source::SourceMap,
    output: &pmovesc::Output,
) -> Vec<ExpectedDiagnostic> {
    let is_dir = case.path.is_dir();
    let mut out: Vec<ExpectedDiagnostic> = output
        .diagnostics
        .iter()
        .map(|d| {
            let j = pmovesc::diag::to_json(sources, d);
            let at = match (j.file, j.line, j.column) {
                (Some(file), Some(l), Some(c)) if is_dir => {
                    let short = Path::new(file)
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    format!("{short}:{l}:{c}")
                }
                (Some(_), Some(l), Some(c)) => format!("{l}:{c}"),
                _ => String::new(),
            };
            ExpectedDiagnostic {
                severity: match d.severity {
                    pmovesc::diag::Severity::Error => "error".into(),
                    pmovesc::diag::Severity::Warning => "warning".into(),
                },
                code: d.code.id().to_string(),
                at,
            }
        })
        .collect();
    out.sort();
    out
}

fn show(ds: &[ExpectedDiagnostic]) -> String {
    if ds.is_empty() {
        return "  (none)\n".into();
    }
    ds.iter()
        .map(|d| {
            let at = if d.at.is_empty() {
                String::new()
            } else {
                format!(" at {}", d.at)
            };
            format!("  // expect-{}: {}{at}\n", d.severity, d.code)
        })
        .collect()
}

fn snapshot_text(sources: &pmovesc::lang::source::SourceMap, output: &pmovesc::Output) -> String {
    let mut text = String::new();
    for (_, f) in sources.files() {
        text.push_str(&format!("# Input: {}\n{}", f.name, f.text));
        if !f.text.ends_with('\n') {
            text.push('\n');
        }
    }
    text.push_str("\n# Diagnostics\n");
    let rendered = support::render(sources, output);
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
    text
}

fn run_case(case: &Entry) -> Result<Completion, Failed> {
    let id = format!("{}/{}", case.feature, case.name);
    support::skip::set_current_test(&id);
    support::skip::take_skipped();
    let valid = case.name.starts_with("valid-");
    let sources = support::load(&case.path);
    let output = support::compile(&sources);
    let texts = case_texts(&sources);
    let expectations = expect::parse(texts.iter().map(|(n, t)| (n.as_str(), t.as_str())))
        .map_err(|e| format!("{id}: {e}"))?;

    // 1. Declared diagnostics and key facts.
    let got = reported(case, &sources, &output);
    let rendered = support::render(&sources, &output);
    if got != expectations.diagnostics {
        return Err(format!(
            "{id}: the diagnostics are not the declared ones.\ndeclared:\n{}reported:\n{}\n{rendered}",
            show(&expectations.diagnostics),
            show(&got)
        )
        .into());
    }
    if valid {
        if output.has_errors() {
            return Err(format!("{id}: a valid case has errors:\n{rendered}").into());
        }
        if expectations.facts.is_empty() {
            return Err(format!(
                "{id}: a valid case declares no key facts (`// expect: FILE /pointer = JSON`)"
            )
            .into());
        }
        if output.files.is_empty() {
            return Err(format!("{id}: a valid case wrote nothing").into());
        }
    } else {
        if !output.has_errors() {
            return Err(format!("{id}: an invalid case has no error").into());
        }
        if !output.files.is_empty() {
            return Err(format!("{id}: an invalid case wrote files").into());
        }
    }
    let failures = expect::check_facts(&expectations.facts, &output.files);
    if !failures.is_empty() {
        return Err(format!("{id}: key facts do not hold:\n{}", failures.join("\n")).into());
    }

    // 2. Oracles on every generated file.
    if valid {
        support::check_all_oracles(&output.files);
        for (file, model) in &output.models {
            let expected = serde_json::to_value(model).expect("json");
            support::check_roundtrip(file, &output.files[file], &expected);
        }
    }

    // 3. The snapshot.
    let text = snapshot_text(&sources, &output);
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(
        support::manifest_dir()
            .join("snapshots")
            .join(&case.feature),
    );
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.bind(|| insta::assert_snapshot!(case.name.clone(), text));

    let skipped = support::skip::take_skipped();
    if skipped.is_empty() {
        Ok(Completion::Completed)
    } else {
        Ok(Completion::ignored_with(format!(
            "oracles not run: {}",
            skipped.join("; ")
        )))
    }
}

/// A panic inside a case (an oracle's assert, insta) becomes the case's failure message.
fn guarded(case: Entry) -> impl FnOnce() -> Result<Completion, Failed> + Send + 'static {
    move || match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run_case(&case))) {
        Ok(result) => result,
        Err(e) => Err(e
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "panicked".into())
            .into()),
    }
}

/// Every snapshot belongs to a case (a renamed case leaves its old snapshot behind).
fn no_orphan_snapshots(cases: Vec<(String, String)>) -> Result<(), Failed> {
    let known: BTreeSet<(String, String)> = cases.into_iter().collect();
    let root = support::manifest_dir().join("snapshots");
    let mut orphans = Vec::new();
    for feature in sorted_entries(&root) {
        let fname = feature.file_name().to_string_lossy().into_owned();
        if !feature.path().is_dir() {
            orphans.push(format!("snapshots/{fname}"));
            continue;
        }
        for s in sorted_entries(&feature.path()) {
            let name = s.file_name().to_string_lossy().into_owned();
            let case = name.strip_suffix(".snap").unwrap_or(&name).to_string();
            if name.ends_with(".snap.new") {
                continue; // a pending insta review, not committed
            }
            if !known.contains(&(fname.clone(), case)) {
                orphans.push(format!("snapshots/{fname}/{name}"));
            }
        }
    }
    if orphans.is_empty() {
        Ok(())
    } else {
        Err(format!("snapshots without a spec case (delete them): {orphans:?}").into())
    }
}

/// Every diagnostic code the compiler has is shown by at least one spec case.
fn every_code_has_a_case(paths: Vec<PathBuf>) -> Result<(), Failed> {
    let mut seen = BTreeSet::new();
    for path in paths {
        let sources = support::load(&path);
        let output = support::compile(&sources);
        seen.extend(output.diagnostics.iter().map(|d| d.code));
    }
    let untested: Vec<&str> = pmovesc::diag::Code::ALL
        .iter()
        .filter(|c| !seen.contains(c))
        // Tested by the CLI tests (tests/cli.rs, tests/security.rs): no stack file, one over 16 MiB.
        .filter(|c| {
            !matches!(
                c,
                pmovesc::diag::Code::NoStackFiles | pmovesc::diag::Code::StackFileTooLarge
            )
        })
        // Import's codes (PMV800-PMV849) are about compose files and `pmovesc fmt`, not stacks:
        // tests/import_defects.rs, tests/import_roundtrip.rs and tests/fmt.rs show them.
        .filter(|c| !c.id().starts_with("PMV8"))
        .map(|c| c.id())
        .collect();
    if untested.is_empty() {
        Ok(())
    } else {
        Err(format!("codes without a spec case: {untested:?}").into())
    }
}

fn main() {
    let args = Arguments::from_args();
    // A failing case reports its panic message as its failure; print only where it came from.
    std::panic::set_hook(Box::new(|info| {
        if let Some(at) = info.location() {
            eprintln!("panicked at {at}");
        }
    }));
    let (cases, misnamed) = entries();
    let names: Vec<(String, String)> = cases
        .iter()
        .map(|c| (c.feature.clone(), c.name.clone()))
        .collect();
    let paths: Vec<PathBuf> = cases.iter().map(|c| c.path.clone()).collect();
    let mut trials: Vec<Trial> = Vec::new();
    for (name, why) in misnamed {
        trials.push(Trial::test(name.clone(), move || {
            Err(format!("tests/specs/{name}: {why}").into())
        }));
    }
    for case in cases {
        let id = format!("{}/{}", case.feature, case.name);
        trials.push(Trial::ignorable_test(id, guarded(case)));
    }
    trials.push(Trial::test("layout/no_orphan_snapshots", move || {
        no_orphan_snapshots(names)
    }));
    trials.push(Trial::test("layout/every_code_has_a_case", move || {
        every_code_has_a_case(paths)
    }));
    libtest_mimic::run(&args, trials).exit();
}
