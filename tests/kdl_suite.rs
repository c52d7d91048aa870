//! The official KDL 2.0 conformance suite (kdl-org/kdl `tests/test_cases`, read from
//! `../shared/kdl-suite`, see its PROVENANCE.md): every valid input must parse and print exactly
//! as its `expected_kdl/` file in the suite's canonical form, every `_fail` input must be
//! rejected. A case judged wrong against the specification would be listed in [`DISAGREE`]
//! with the section that decides it; none is.

mod support;

use std::path::PathBuf;

use pmovesc::lang::syntax;

/// Cases where the suite disagrees with `SPEC-kdl2.md` (the suite says it is not authoritative):
/// (case, spec section that decides, what the parser does instead). Empty: the parser follows
/// the suite on all 336 cases.
const DISAGREE: &[(&str, &str, &str)] = &[];

fn suite_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("PMOVESC_KDL_SUITE_DIR")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("PMOVESC_SCHEMAS_DIR").map(|s| PathBuf::from(s).join("../kdl-suite"))
        })
        .filter(|d| d.join("input").is_dir())
        .unwrap_or_else(|| support::manifest_dir().join("../shared/kdl-suite"));
    if dir.join("input").is_dir() && dir.join("expected_kdl").is_dir() {
        Some(dir)
    } else {
        support::oracle_missing(&format!("the KDL conformance suite {}", dir.display()));
        None
    }
}

#[test]
fn official_suite() {
    let Some(dir) = suite_dir() else { return };
    let mut inputs: Vec<_> = std::fs::read_dir(dir.join("input"))
        .expect("suite inputs")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "kdl"))
        .collect();
    inputs.sort();
    let (mut valid, mut valid_ok, mut fail, mut fail_ok) = (0, 0, 0, 0);
    let mut problems = Vec::new();
    for path in &inputs {
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let bytes = std::fs::read(path).expect("read input");
        let disagree = DISAGREE.iter().find(|d| d.0 == name);
        let text = String::from_utf8(bytes).ok();
        let parsed = text.as_deref().map(|t| (t, syntax::parse_text(t, 0)));
        if name.ends_with("_fail") {
            fail += 1;
            let rejected = parsed
                .as_ref()
                .is_none_or(|(_, (_, errors))| !errors.is_empty());
            if rejected != disagree.is_none() {
                problems.push(format!("{name}: accepted, the suite says it must fail"));
            } else {
                fail_ok += 1;
            }
            continue;
        }
        valid += 1;
        let expected =
            std::fs::read_to_string(dir.join("expected_kdl").join(format!("{name}.kdl")))
                .expect("expected output");
        let Some((text, (doc, errors))) = parsed else {
            problems.push(format!("{name}: not UTF-8"));
            continue;
        };
        if !errors.is_empty() {
            let first = &errors[0];
            problems.push(format!(
                "{name}: rejected: {} at byte {}\n--- input\n{text}",
                first.message, first.span.start
            ));
            continue;
        }
        let printed = syntax::canonical(&doc, text);
        if (printed == expected) == disagree.is_none() {
            valid_ok += 1;
        } else {
            problems.push(format!(
                "{name}: printed\n{printed:?}\nexpected\n{expected:?}\n--- input\n{text}"
            ));
        }
    }
    eprintln!(
        "KDL suite: {valid_ok}/{valid} valid inputs printed exactly, {fail_ok}/{fail} failures rejected, {} judged against the spec",
        DISAGREE.len()
    );
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
    assert_eq!(
        (valid, fail),
        (241, 95),
        "the suite has 241 valid and 95 failing inputs"
    );
}

/// Each suite case the parser rejects is rejected with a diagnostic at a place inside the file,
/// and re-parsing is deterministic.
#[test]
fn suite_failures_point_into_the_file() {
    let Some(dir) = suite_dir() else { return };
    for e in std::fs::read_dir(dir.join("input"))
        .expect("inputs")
        .flatten()
    {
        let Ok(text) = std::fs::read_to_string(e.path()) else {
            continue;
        };
        let (_, errors) = syntax::parse_text(&text, 0);
        let (_, again) = syntax::parse_text(&text, 0);
        assert_eq!(errors, again, "{}", e.path().display());
        for err in &errors {
            assert!(
                (err.span.start + err.span.len) as usize <= text.len(),
                "{}: {} points past the end",
                e.path().display(),
                err.message
            );
        }
    }
}
