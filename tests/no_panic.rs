//! No input makes pmovesc panic: mutated versions of the example stack (bytes deleted, KDL
//! fragments inserted, lines duplicated, swapped or cut) go through the whole pipeline and every
//! diagnostic is rendered in both formats.

mod support;

use pmovesc::lang::source::SourceMap;
use proptest::prelude::*;

const FRAGMENTS: &[&str] = &[
    "#true",
    "#false",
    "#null",
    "true",
    "\"x\"",
    "0",
    "-1",
    "65536",
    "1.5",
    "1e999",
    "99999999999999999999999999999999999999999",
    "{",
    "}",
    ";",
    "\"${",
    "${X:-}",
    "/-",
    "//",
    "/*",
    "*/",
    "=",
    "\"",
    "r#\"raw\"#",
    "service \"archon\" {}",
    "from=\"python-api\"",
    "extends=\"strict\"",
    "extends=\"gpu-worker\"",
    "depends-on \"archon\"",
    "when \"gpu\" {",
    "only-in \"nothing\"",
    "gpu count=0",
    "gpu",
    "port 8091",
    "env { A \"1\"; A \"2\" }",
    "hardening \"exempt\"",
    "image \"UPPER/Case\"",
    "é",
    "\u{0}",
    "\u{feff}",
    "\t",
    "\n",
    "template \"python-api\" from=\"python-api\" {}",
    "project \"again\"",
    "(type)",
    "mcp \"a/b/c\" {}",
    "tmpfs \"/tmp\" size=\"2q\"",
    "network \"api\" \"api\"",
    "healthcheck {}",
    "cap-add \"ALL\"",
];

#[derive(Debug, Clone)]
enum Mutation {
    Delete { at: usize, len: usize },
    Insert { at: usize, fragment: usize },
    DuplicateLine { line: usize },
    SwapLines { a: usize, b: usize },
    Truncate { at: usize },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1usize..40).prop_map(|(at, len)| Mutation::Delete { at, len }),
        (any::<usize>(), 0..FRAGMENTS.len())
            .prop_map(|(at, fragment)| Mutation::Insert { at, fragment }),
        any::<usize>().prop_map(|line| Mutation::DuplicateLine { line }),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::SwapLines { a, b }),
        any::<usize>().prop_map(|at| Mutation::Truncate { at }),
    ]
}

fn floor(text: &str, at: usize) -> usize {
    let mut at = at % (text.len() + 1);
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn apply(text: &mut String, m: &Mutation) {
    match m {
        Mutation::Delete { at, len } => {
            let start = floor(text, *at);
            let end = floor(text, (start + len).min(text.len()));
            if end > start {
                text.replace_range(start..end, "");
            }
        }
        Mutation::Insert { at, fragment } => {
            let at = floor(text, *at);
            text.insert_str(at, FRAGMENTS[*fragment]);
        }
        Mutation::DuplicateLine { line } => {
            let mut lines: Vec<&str> = text.lines().collect();
            if !lines.is_empty() {
                let i = line % lines.len();
                lines.insert(i, lines[i]);
                *text = lines.join("\n");
            }
        }
        Mutation::SwapLines { a, b } => {
            let mut lines: Vec<&str> = text.lines().collect();
            if !lines.is_empty() {
                let (a, b) = (a % lines.len(), b % lines.len());
                lines.swap(a, b);
                *text = lines.join("\n");
            }
        }
        Mutation::Truncate { at } => {
            let at = floor(text, *at);
            text.truncate(at);
        }
    }
}

fn example() -> Vec<(String, String)> {
    let sources = support::load(&support::manifest_dir().join("examples/design/stack"));
    sources
        .files()
        .map(|(_, f)| (f.name.clone(), f.text.as_str().to_string()))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, failure_persistence: None, ..ProptestConfig::default() })]
    #[test]
    fn no_mutation_panics(file in 0usize..4, mutations in prop::collection::vec(mutation(), 1..6)) {
        let mut files = example();
        let i = file % files.len();
        for m in &mutations {
            apply(&mut files[i].1, m);
        }
        let mut sources = SourceMap::new();
        for (name, text) in &files {
            sources.add(name.clone(), text.clone());
        }
        let output = support::compile(&sources);
        for d in &output.diagnostics {
            let _ = pmovesc::diag::render_human(&sources, d, pmovesc::diag::RenderOptions::plain());
            let _ = pmovesc::diag::render_json(&sources, d);
        }
        // A build either writes everything or nothing.
        prop_assert_eq!(output.has_errors(), output.files.is_empty());
    }
}
