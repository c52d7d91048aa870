//! `pmovesc fmt`: the canonical layout keeps the meaning of every file (the parse tree prints the
//! same in the conformance suite's canonical form), is idempotent, keeps every comment, and the
//! command writes all or nothing (`--check` never writes). What `pmovesc import` writes is
//! already canonical.

mod support;

use std::path::Path;
use std::process::Command;

use pmovesc::lang::format::format;
use pmovesc::lang::syntax::{canonical, parse_text};

fn kdl_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            kdl_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "kdl") {
            out.push(p);
        }
    }
}

fn comments(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| l.find("//").map(|i| l[i..].trim_end().to_string()))
        .collect()
}

#[test]
fn formatting_keeps_the_meaning_and_the_comments_of_every_shipped_stack_file() {
    let mut files = Vec::new();
    kdl_files(&support::manifest_dir().join("stacks"), &mut files);
    kdl_files(
        &support::manifest_dir().join("examples/design/stack"),
        &mut files,
    );
    kdl_files(&support::manifest_dir().join("tests/specs"), &mut files);
    assert!(files.len() > 20);
    let mut checked = 0;
    for f in files {
        let Ok(text) = String::from_utf8(std::fs::read(&f).unwrap()) else {
            continue; // the cases of bytes that are not UTF-8
        };
        let (doc, errors) = parse_text(&text, 0);
        if !errors.is_empty() {
            continue; // invalid spec cases
        }
        let out = format(&doc, &text);
        let (again, errors) = parse_text(&out, 0);
        assert!(
            errors.is_empty(),
            "{}: the formatted text does not parse:\n{out}",
            f.display()
        );
        assert_eq!(
            canonical(&doc, &text),
            canonical(&again, &out),
            "{}: meaning changed",
            f.display()
        );
        assert_eq!(format(&again, &out), out, "{}: not idempotent", f.display());
        assert_eq!(
            comments(&text),
            comments(&out),
            "{}: comments changed",
            f.display()
        );
        checked += 1;
    }
    assert!(checked > 20);
}

#[test]
fn the_kdl_conformance_inputs_keep_their_meaning() {
    let dir = std::env::var_os("PMOVESC_SCHEMAS_DIR")
        .map(|s| Path::new(&s).join("../kdl-suite"))
        .filter(|d| d.join("input").is_dir())
        .unwrap_or_else(|| support::manifest_dir().join("../shared/kdl-suite"));
    if !dir.join("input").is_dir() {
        support::oracle_missing(&format!("the KDL conformance suite {}", dir.display()));
        return;
    }
    let mut n = 0;
    for e in std::fs::read_dir(dir.join("input")).unwrap() {
        let p = e.unwrap().path();
        let text = std::fs::read_to_string(&p).unwrap_or_default();
        let (doc, errors) = parse_text(&text, 0);
        if !errors.is_empty() {
            continue;
        }
        let out = format(&doc, &text);
        let (again, errors) = parse_text(&out, 0);
        assert!(
            errors.is_empty(),
            "{}: the formatted text does not parse:\n{out}",
            p.display()
        );
        assert_eq!(
            canonical(&doc, &text),
            canonical(&again, &out),
            "{}: meaning changed:\n{text}\n---\n{out}",
            p.display()
        );
        assert_eq!(format(&again, &out), out, "{}: not idempotent", p.display());
        n += 1;
    }
    assert!(n > 100, "{n}");
}

fn pmovesc(dir: &Path, args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_pmovesc"))
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn check_reports_and_writes_nothing_then_fmt_writes_the_canonical_form() {
    let dir = tempfile::tempdir().unwrap();
    let stack = dir.path().join("stack");
    std::fs::create_dir(&stack).unwrap();
    let messy = "project   \"demo\"\n\n\n\nservice \"web\" {\n  image \"nginx:1.27\"   // pinned later\n}\n";
    std::fs::write(stack.join("a.kdl"), messy).unwrap();
    std::fs::write(stack.join("b.kdl"), "network \"api\"\n").unwrap();
    let (ok, stderr) = pmovesc(dir.path(), &["fmt", "stack", "--check", "--color", "never"]);
    assert!(!ok);
    assert!(
        stderr.contains("PMV809") && stderr.contains("stack/a.kdl"),
        "{stderr}"
    );
    assert!(!stderr.contains("stack/b.kdl` is not"), "{stderr}");
    assert_eq!(std::fs::read_to_string(stack.join("a.kdl")).unwrap(), messy);
    let (ok, stderr) = pmovesc(dir.path(), &["fmt", "stack"]);
    assert!(ok, "{stderr}");
    assert_eq!(
        std::fs::read_to_string(stack.join("a.kdl")).unwrap(),
        "project \"demo\"\n\nservice \"web\" {\n    image \"nginx:1.27\" // pinned later\n}\n"
    );
    let (ok, stderr) = pmovesc(dir.path(), &["fmt", "stack", "--check"]);
    assert!(ok, "{stderr}");
    // A syntax error: nothing is written anywhere.
    std::fs::write(stack.join("b.kdl"), "network \"api\n").unwrap();
    std::fs::write(stack.join("a.kdl"), messy).unwrap();
    let (ok, _) = pmovesc(dir.path(), &["fmt", "stack"]);
    assert!(!ok);
    assert_eq!(std::fs::read_to_string(stack.join("a.kdl")).unwrap(), messy);
}

#[test]
fn what_import_writes_is_canonical() {
    let fixtures = support::manifest_dir().join("tests/fixtures/compose");
    let dir = tempfile::tempdir().unwrap();
    for name in [
        "networks.yml",
        "healthcheck.yml",
        "anchors.yml",
        "profiles.yml",
    ] {
        let out = dir.path().join(name);
        let f = fixtures.join(name);
        let (_, stderr) = pmovesc(
            dir.path(),
            &[
                "import",
                "-f",
                f.to_str().unwrap(),
                "-o",
                out.to_str().unwrap(),
            ],
        );
        assert!(out.join("project.kdl").exists(), "{stderr}");
        let (ok, stderr) = pmovesc(dir.path(), &["fmt", out.to_str().unwrap(), "--check"]);
        assert!(ok, "{name}: {stderr}");
    }
}
