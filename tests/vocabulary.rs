//! The vocabulary table is the one source of truth: the committed schema, the docs and the
//! did-you-mean suggestions all agree with it, and diagnostic codes never collide.

mod support;

use std::collections::BTreeSet;

use pmovesc::diag::{Code, did_you_mean};
use pmovesc::lang::vocabulary::{Context, NODES, names_in, schema_json};

#[test]
fn committed_schema_matches_the_vocabulary() {
    let path = support::manifest_dir().join("schema/stack-language.json");
    let committed = std::fs::read_to_string(&path).expect("schema/stack-language.json");
    assert!(
        committed == schema_json(),
        "schema/stack-language.json is stale: run `cargo run -- schema > schema/stack-language.json`"
    );
}

#[test]
fn docs_describe_every_node_and_property() {
    let docs =
        std::fs::read_to_string(support::manifest_dir().join("docs/stack-language.md")).unwrap();
    let mut missing = Vec::new();
    for node in NODES {
        if !docs.contains(&format!("`{}`", node.name))
            && !docs.contains(&format!("`{} ", node.name))
        {
            missing.push(format!("node `{}`", node.name));
        }
        for p in node.props {
            if !docs.contains(&format!("{}=", p.name)) {
                missing.push(format!("property `{}=` of `{}`", p.name, node.name));
            }
        }
        for v in node
            .args
            .values
            .iter()
            .chain(node.props.iter().flat_map(|p| p.values.iter()))
        {
            if !docs.contains(v) {
                missing.push(format!("value `{v}` of `{}`", node.name));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "docs/stack-language.md does not document:\n{}",
        missing.join("\n")
    );
}

#[test]
fn docs_list_every_diagnostic_code() {
    let docs =
        std::fs::read_to_string(support::manifest_dir().join("docs/diagnostics.md")).unwrap();
    let missing: Vec<&str> = Code::ALL
        .iter()
        .map(|c| c.id())
        .filter(|id| !docs.contains(id))
        .collect();
    assert!(missing.is_empty(), "docs/diagnostics.md lacks {missing:?}");
}

#[test]
fn codes_are_unique() {
    let ids: BTreeSet<&str> = Code::ALL.iter().map(|c| c.id()).collect();
    let names: BTreeSet<&str> = Code::ALL.iter().map(|c| c.name()).collect();
    assert_eq!(ids.len(), Code::ALL.len(), "two codes share an id");
    assert_eq!(names.len(), Code::ALL.len(), "two codes share a name");
}

#[test]
fn did_you_mean_finds_every_node_from_a_typo() {
    let contexts = [
        Context::Top,
        Context::Project,
        Context::Hardening,
        Context::Service,
        Context::Build,
        Context::Healthcheck,
        Context::Mcp,
    ];
    let mut wrong = Vec::new();
    for ctx in contexts {
        for name in names_in(ctx) {
            // Swap two letters in the middle, a common typo.
            let mut chars: Vec<char> = name.chars().collect();
            if chars.len() < 4 {
                continue;
            }
            let mid = chars.len() / 2;
            chars.swap(mid - 1, mid);
            let typo: String = chars.iter().collect();
            if names_in(ctx).any(|n| n == typo) {
                continue;
            }
            if did_you_mean(&typo, names_in(ctx)) != Some(name) {
                wrong.push(format!(
                    "{typo} -> {:?} (wanted {name})",
                    did_you_mean(&typo, names_in(ctx))
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn the_decoder_knows_exactly_the_vocabulary() {
    // An unknown name is reported, at the top level and inside a service.
    let src = "project \"t\"\nservice \"s\" {\n    zzz-unknown 1\n}\nzzz-unknown-top\n";
    let mut sources = pmovesc::lang::source::SourceMap::new();
    sources.add("t.kdl", src);
    let (_, diags) = pmovesc::analyze(&sources);
    let unknown = diags.iter().filter(|d| d.code == Code::UnknownNode).count();
    assert_eq!(unknown, 2);
    // And every node the vocabulary accepts has a decoding arm, so no node passes the vocabulary
    // check only to be dropped by the decoder.
    let dir = support::manifest_dir().join("src/lang/decode");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    let decoder: String = files
        .iter()
        .map(|f| std::fs::read_to_string(f).unwrap())
        .collect();
    // Plain nodes are decoded by one generic arm (src/lang/decode/plain.rs).
    let unhandled: Vec<&str> = NODES
        .iter()
        .filter(|n| n.plain.is_none())
        .map(|n| n.name)
        .filter(|name| {
            !decoder.contains(&format!("\"{name}\" =>"))
                && !decoder.contains(&format!("== \"{name}\""))
        })
        .collect();
    assert!(
        unhandled.is_empty(),
        "src/lang/decode/ has no arm for {unhandled:?}"
    );
}
