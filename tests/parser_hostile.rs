//! Hostile input for the KDL parser and the pipeline behind it: nesting far past the limit,
//! huge files and lines, byte-level garbage and byte mutations of real stacks. Nothing may
//! panic or overflow the stack; every diagnostic points inside its file at a character
//! boundary and renders. (The property tests of `tests/no_panic.rs` mutate at the KDL level.)

mod support;

use pmovesc::diag::{self, Code, Diagnostics};
use pmovesc::lang::source::SourceMap;
use pmovesc::lang::syntax;
use proptest::prelude::*;

/// Parses bytes as a stack file; checks every diagnostic's place and renders it.
fn parse_bytes(bytes: Vec<u8>, render: bool) -> Vec<Code> {
    let mut sources = SourceMap::new();
    let id = sources.add_bytes("hostile.kdl", bytes);
    let mut diags = Diagnostics::new();
    let doc = syntax::parse(&sources, id, &mut diags);
    let text = sources.file(id).text.as_str();
    assert_eq!(
        doc.is_some(),
        diags.is_empty(),
        "a document comes back only without errors"
    );
    for d in diags.iter() {
        for l in &d.labels {
            let end = (l.span.start + l.span.len) as usize;
            assert!(end <= text.len(), "{}: span past the end", d.message);
            assert!(text.is_char_boundary(l.span.start as usize) && text.is_char_boundary(end));
        }
        if render {
            diag::render_human(&sources, d, diag::RenderOptions::plain());
            diag::render_json(&sources, d);
        }
    }
    diags.iter().map(|d| d.code).collect()
}

fn compile_bytes(bytes: Vec<u8>) {
    let mut sources = SourceMap::new();
    sources.add_bytes("hostile.kdl", bytes);
    let out = pmovesc::compile(&sources, &pmovesc::Options::default());
    for d in &out.diagnostics {
        diag::render_json(&sources, d);
    }
}

#[test]
fn nesting_a_million_deep_is_one_diagnostic() {
    for (open, close) in [
        ("a{", "}"),
        ("a {\n", "}\n"),
        ("a /-{", "}"),
        ("/- a {", "}"),
    ] {
        let text = format!("{}{}", open.repeat(1_000_000), close.repeat(1_000_000));
        let codes = parse_bytes(text.into_bytes(), false);
        assert_eq!(codes, vec![Code::KdlTooDeep], "{open:?}");
    }
    // Unclosed: the too-deep report and one unclosed block per parsed level.
    let codes = parse_bytes("a{".repeat(1_000_000).into_bytes(), false);
    assert!(codes.contains(&Code::KdlTooDeep));
    assert!(codes.len() <= 102, "{} diagnostics", codes.len());
    // Exactly at the limit: accepted, and the decoder recurses through it.
    let depth = syntax::MAX_DEPTH;
    let mut text = String::from("project \"t\"\nservice \"s\" {\n");
    text.push_str(&"when \"x\" {\n".repeat(depth - 1));
    text.push_str(&"}\n".repeat(depth));
    assert_eq!(parse_bytes(text.clone().into_bytes(), true), vec![]);
    compile_bytes(text.into_bytes());
}

#[test]
fn deep_comments_strings_and_runs() {
    let cases: Vec<String> = vec![
        "/*".repeat(1_000_000),
        format!("{}{}", "/*".repeat(500_000), "*/".repeat(500_000)),
        "(".repeat(1_000_000),
        "\"".repeat(1_000_001),
        "#".repeat(1_000_000),
        format!("a {}\"x\"{}", "#".repeat(100_000), "#".repeat(99_999)),
        "\\".repeat(1_000_000),
        "/-".repeat(1_000_000),
        "}".repeat(1_000_000),
        ";".repeat(1_000_000),
        "a ".repeat(1_000_000),
        "a=".repeat(1_000_000),
        "\"\"\"\n".repeat(300_000),
        "1".repeat(1_000_000),
        format!("0x{}", "f".repeat(1_000_000)),
        format!("a \"{}", "\\u{".repeat(300_000)),
        "a{".repeat(1_000_000),
        "a;".repeat(1_000_000),
        "#\"a\n".repeat(300_000),
        "a \"\n".repeat(300_000),
        "a #\"\"\"\n".repeat(300_000),
        "a \"\"\"x\n".repeat(300_000),
        "a=\n".repeat(1_000_000),
        "r#".repeat(500_000),
        "a \"\\".repeat(500_000),
    ];
    for text in cases {
        let head: String = text.chars().take(12).collect();
        let codes = parse_bytes(text.into_bytes(), false);
        assert!(codes.len() <= 102, "{head:?}: {} diagnostics", codes.len());
    }
}

#[test]
fn huge_files_and_lines() {
    // A 10 MB value, a 10 MB name, and a generated 14 MB stack.
    let big = "x".repeat(10 << 20);
    assert_eq!(
        parse_bytes(format!("a \"{big}\"\n").into_bytes(), false),
        vec![]
    );
    assert_eq!(
        parse_bytes(format!("{big} 1\n").into_bytes(), false),
        vec![]
    );
    let mut sources = SourceMap::new();
    for (name, text) in pmovesc::stackgen::generate(10_000) {
        sources.add(name, text);
    }
    let mut diags = Diagnostics::new();
    for (id, _) in sources.files() {
        assert!(syntax::parse(&sources, id, &mut diags).is_some());
    }
    assert!(diags.is_empty());
    // Garbage everywhere: errors are capped per file, the rest summarised.
    let garbage = "=\n".repeat(1 << 20);
    let codes = parse_bytes(garbage.into_bytes(), false);
    assert_eq!(codes.len(), 101);
    let nul = vec![0u8; 1 << 20];
    let codes = parse_bytes(nul, false);
    assert!(codes.iter().all(|c| *c == Code::DisallowedCodePoint) && codes.len() == 21);
    let latin1 = vec![0xE9u8; 1 << 20];
    let codes = parse_bytes(latin1, false);
    assert!(codes.iter().filter(|c| **c == Code::InvalidUtf8).count() == 21);
}

fn example_stack() -> Vec<u8> {
    std::fs::read(support::manifest_dir().join("stacks/agents.kdl"))
        .or_else(|_| {
            std::fs::read(support::manifest_dir().join("tests/specs/values/valid-values.kdl"))
        })
        .expect("a stack file")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..2_000)) {
        parse_bytes(bytes, true);
    }

    #[test]
    fn random_kdl_alphabet(s in "[a-z0-9 \"#{}();=/*\\\\\n\r\t.+_-]{0,400}") {
        parse_bytes(s.into_bytes(), true);
    }

    #[test]
    fn byte_mutations_of_a_real_stack(
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..12)
    ) {
        let mut bytes = example_stack();
        for (at, byte, kind) in edits {
            let i = at.index(bytes.len().max(1)).min(bytes.len());
            match kind {
                0 if i < bytes.len() => bytes[i] = byte,
                1 => bytes.insert(i, byte),
                _ if i < bytes.len() => { bytes.remove(i); }
                _ => {}
            }
        }
        parse_bytes(bytes.clone(), true);
        compile_bytes(bytes);
    }
}
