//! No input makes pmovesc panic: mutated versions of the example stack (bytes deleted, KDL
//! fragments inserted, lines duplicated, swapped or cut, and values inside nodes replaced by
//! hostile ones) go through the whole pipeline, and every diagnostic renders in both formats
//! to something that names its code and points inside its file.
//!
//! Two tests: `every_value_takes_every_hostile_value` puts each hostile value in place of the
//! first value of every (node, position) of the example, deterministically; and
//! `no_mutation_panics` runs random mutations from a seed it prints on failure. Replay one with
//! `PMOVESC_NO_PANIC_SEED=<seed> cargo test --test no_panic`.

mod support;

use pmovesc::lang::source::SourceMap;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestError, TestRunner};

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

/// Values put in place of a value inside a node: range edges, overflow, wrong types, broken
/// interpolation, odd text.
const HOSTILE_VALUES: &[&str] = &[
    "0",
    "-1",
    "65535",
    "65536",
    "70000",
    "4294967296",
    "18446744073709551616",
    "1e999",
    "0x10",
    "#inf",
    "#nan",
    "#true",
    "#null",
    "\"\"",
    "\"70000\"",
    "\"${\"",
    "\"${X:?}\"",
    "\"${X:-${Y}}\"",
    "\"a:b:c:d\"",
    "\"é\"",
    "\"\\u{0}\"",
    "\"99999999999999999999g\"",
    "\"1q\"",
    "\"1h1h\"",
    "\"../../etc\"",
    "\"x@sha256:zz\"",
    "\"::\"",
    "\"exempt\"",
];

/// Byte ranges of the values (strings, numbers, keywords) of a KDL text, with the node name
/// and position each belongs to (first word of the line, index of the value on the line).
fn values(text: &str) -> Vec<(std::ops::Range<usize>, String, usize)> {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| {
        regex::Regex::new(r#""(?:[^"\\\n]|\\.)*"|#[a-z-]+|-?[0-9][0-9_.eE+-]*"#).unwrap()
    });
    let mut out = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let node = line.split_whitespace().next().unwrap_or("").to_string();
        if !node.starts_with("//") {
            for (i, m) in re.find_iter(line).enumerate() {
                out.push((offset + m.start()..offset + m.end(), node.clone(), i));
            }
        }
        offset += line.len();
    }
    out
}

#[derive(Debug, Clone)]
enum Mutation {
    Delete { at: usize, len: usize },
    Insert { at: usize, fragment: usize },
    DuplicateLine { line: usize },
    SwapLines { a: usize, b: usize },
    Truncate { at: usize },
    ReplaceValue { value: usize, with: usize },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1usize..40).prop_map(|(at, len)| Mutation::Delete { at, len }),
        (any::<usize>(), 0..FRAGMENTS.len())
            .prop_map(|(at, fragment)| Mutation::Insert { at, fragment }),
        any::<usize>().prop_map(|line| Mutation::DuplicateLine { line }),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::SwapLines { a, b }),
        any::<usize>().prop_map(|at| Mutation::Truncate { at }),
        (any::<usize>(), 0..HOSTILE_VALUES.len())
            .prop_map(|(value, with)| Mutation::ReplaceValue { value, with }),
        (any::<usize>(), 0..HOSTILE_VALUES.len())
            .prop_map(|(value, with)| Mutation::ReplaceValue { value, with }),
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
        Mutation::ReplaceValue { value, with } => {
            let all = values(text);
            if !all.is_empty() {
                let (range, _, _) = all[value % all.len()].clone();
                text.replace_range(range, HOSTILE_VALUES[*with]);
            }
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

/// Compiles the files and renders every diagnostic; an error names the broken promise.
fn compile_and_render(files: &[(String, String)]) -> Result<(), String> {
    let mut sources = SourceMap::new();
    for (name, text) in files {
        sources.add(name.clone(), text.clone());
    }
    let output = support::compile(&sources);
    for d in &output.diagnostics {
        let human = pmovesc::diag::render_human(&sources, d, pmovesc::diag::RenderOptions::plain());
        // miette wraps long messages: compare without whitespace and the gutter.
        let compact = |t: &str| -> String {
            t.chars()
                .filter(|c| !c.is_whitespace() && !matches!(c, '│' | '·'))
                .collect()
        };
        // The terminal shows the message with its control characters escaped.
        let message = pmovesc::render::shown(&d.message);
        if !human.contains(d.code.id()) || !compact(&human).contains(&compact(&message)) {
            return Err(format!(
                "{}: the human rendering lacks code or message `{}`:\n{human}",
                d.code, d.message
            ));
        }
        let json = pmovesc::diag::render_json(&sources, d);
        let v: serde_json::Value = serde_json::from_str(&json).map_err(|e| {
            format!(
                "{}: --message-format json is not JSON ({e}): {json}",
                d.code
            )
        })?;
        if v["code"] != d.code.id() || v["message"] != d.message.as_str() {
            return Err(format!(
                "{}: the JSON rendering lost code or message: {json}",
                d.code
            ));
        }
        if let Some(span) = d.primary_span() {
            let file = sources.file(span.file);
            let (line, column) = sources.line_col(span);
            let lines = file.text.as_str().split('\n').count();
            if line == 0
                || line > lines
                || column == 0
                || v["line"] != line
                || v["column"] != column
            {
                return Err(format!(
                    "{}: points at {line}:{column}, outside {} ({lines} lines): {json}",
                    d.code, file.name
                ));
            }
        }
    }
    // A build either writes everything or nothing.
    if output.has_errors() != output.files.is_empty() {
        return Err(format!(
            "errors: {}, files written: {}",
            output.has_errors(),
            output.files.len()
        ));
    }
    Ok(())
}

/// Runs `f`, turning a panic into an error with its message.
fn no_panic(f: impl FnOnce() -> Result<(), String>) -> Result<(), String> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(e) => Err(format!(
            "panicked: {}",
            e.downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default()
        )),
    }
}

#[test]
fn every_value_takes_every_hostile_value() {
    let files = example();
    let mut failures = Vec::new();
    let mut tried = 0;
    let mut seen = std::collections::BTreeSet::new();
    for (i, (name, text)) in files.iter().enumerate() {
        for (range, node, position) in values(text) {
            if !seen.insert((node.clone(), position)) {
                continue; // the first value of each (node, position) of the stack
            }
            for hostile in HOSTILE_VALUES {
                let mut mutated = files.clone();
                mutated[i].1.replace_range(range.clone(), hostile);
                tried += 1;
                if let Err(e) = no_panic(|| compile_and_render(&mutated)) {
                    let line = text[..range.start].matches('\n').count() + 1;
                    failures.push(format!(
                        "{name}:{line}: `{node}` value {position} = {hostile}: {e}"
                    ));
                }
            }
        }
    }
    assert!(tried > 500, "only {tried} substitutions");
    assert!(
        failures.is_empty(),
        "{} of {tried} substitutions broke a promise:\n{}",
        failures.len(),
        failures
            .iter()
            .take(20)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn no_mutation_panics() {
    let seed = std::env::var("PMOVESC_NO_PANIC_SEED")
        .ok()
        .map(|s| s.parse::<u64>().expect("PMOVESC_NO_PANIC_SEED is a number"))
        .unwrap_or_else(|| {
            use std::hash::{BuildHasher, Hasher};
            let mut h = std::collections::hash_map::RandomState::new().build_hasher();
            h.write_u8(0);
            h.finish()
        });
    let config = Config {
        cases: 200,
        failure_persistence: None,
        rng_seed: RngSeed::Fixed(seed),
        ..Config::default()
    };
    let mut runner = TestRunner::new(config);
    let strategy = (0usize..4, prop::collection::vec(mutation(), 1..6));
    let base = example();
    let result = runner.run(&strategy, |(file, mutations)| {
        let mut files = base.clone();
        let i = file % files.len();
        for m in &mutations {
            apply(&mut files[i].1, m);
        }
        no_panic(|| compile_and_render(&files)).map_err(TestCaseError::fail)
    });
    match result {
        Ok(()) => {}
        Err(TestError::Fail(why, (file, mutations))) => panic!(
            "{why}\nminimal input: file {file}, mutations {mutations:?}\n\
             replay: PMOVESC_NO_PANIC_SEED={seed} cargo test --test no_panic no_mutation_panics"
        ),
        Err(e) => panic!("{e} (seed {seed})"),
    }
}
