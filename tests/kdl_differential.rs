//! Differential test: pmovesc's KDL parser against the `kdl` crate (the reference, a
//! dev-dependency only) on every stack file of the repository (`stacks/`, `examples/`, every
//! spec case) and on generated stacks of several sizes. Both must accept or reject the same
//! files, and on accepted files agree on every node, name, type annotation, entry, key and value,
//! and on their spans.

mod support;

use std::path::{Path, PathBuf};

use kdl::{KdlDocument, KdlNode, KdlValue};
use pmovesc::lang::source::Span;
use pmovesc::lang::syntax::{self, Document, Node, Value};

/// Files pmovesc rejects and kdl accepts, on purpose: (file name, why).
const PMOVESC_STRICTER: &[(&str, &str)] = &[(
    "invalid-too-deep.kdl",
    "pmovesc's nesting limit (PMV003), which bounds every pass over the tree",
)];

fn kdl_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let p = e.path();
        if p.is_dir() {
            kdl_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "kdl") {
            out.push(p);
        }
    }
}

fn range(s: miette::SourceSpan) -> (usize, usize) {
    (s.offset(), s.offset() + s.len())
}

fn mine(s: Span) -> (usize, usize) {
    (s.start as usize, (s.start + s.len) as usize)
}

fn same_value(a: &Value<'_>, b: &KdlValue) -> bool {
    match (a, b) {
        (Value::String(a), KdlValue::String(b)) => a == b,
        (Value::Integer(a), KdlValue::Integer(b)) => a == b,
        (Value::Float(a), KdlValue::Float(b)) => {
            a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
        }
        (Value::Bool(a), KdlValue::Bool(b)) => a == b,
        (Value::Null, KdlValue::Null) => true,
        _ => false,
    }
}

/// Compares two node lists; returns the number of nodes compared.
fn compare_nodes<'a>(
    what: &str,
    text: &str,
    ours: impl ExactSizeIterator<Item = Node<'a>>,
    theirs: &[KdlNode],
) -> usize {
    assert_eq!(ours.len(), theirs.len(), "{what}: node count");
    let mut count = 0;
    for (a, b) in ours.zip(theirs) {
        let at = format!(
            "{what} node `{}` at byte {}",
            b.name().value(),
            a.span().start
        );
        assert_eq!(a.name().value, b.name().value(), "{at}: name");
        assert_eq!(
            mine(a.name().span),
            range(b.name().span()),
            "{at}: name span"
        );
        match (a.ty(), b.ty()) {
            (None, None) => {}
            (Some(x), Some(y)) => {
                assert_eq!(x.value, y.value(), "{at}: type");
                assert_eq!(mine(x.span), range(y.span()), "{at}: type span");
            }
            _ => panic!("{at}: type annotation on one side only"),
        }
        // kdl's node span runs to the end of whatever follows the node on its line.
        let (s, e) = mine(a.span());
        let (ks, ke) = range(b.span());
        assert_eq!(s, ks, "{at}: node span start");
        assert!(ke >= e, "{at}: node span end {e} past kdl's {ke}");
        assert!(
            text[e..ke].trim().is_empty() || text[e..ke].trim_start().starts_with(['/', ';']),
            "{at}: kdl's node span covers more than trailing space or comments: {:?}",
            &text[e..ke]
        );
        let entries = a.entries();
        assert_eq!(entries.len(), b.entries().len(), "{at}: entry count");
        for (x, y) in entries.iter().zip(b.entries()) {
            assert!(
                same_value(&x.value, y.value()),
                "{at}: value {:?} vs {:?}",
                x.value,
                y.value()
            );
            assert_eq!(mine(x.span()), range(y.span()), "{at}: entry span");
            match (&x.key, y.name()) {
                (None, None) => {}
                (Some(k), Some(n)) => {
                    assert_eq!(k.value, n.value(), "{at}: key");
                    assert_eq!(mine(k.span), range(n.span()), "{at}: key span");
                }
                _ => panic!("{at}: argument on one side, property on the other"),
            }
            match (&x.ty, y.ty()) {
                (None, None) => {}
                (Some(t), Some(u)) => {
                    assert_eq!(t.value, u.value(), "{at}: entry type");
                    assert_eq!(mine(t.span), range(u.span()), "{at}: entry type span");
                }
                _ => panic!("{at}: entry type on one side only"),
            }
        }
        match (a.children(), b.children()) {
            (None, None) => {}
            (Some(x), Some(y)) => {
                let (bs, be) = mine(a.children_span().expect("block span"));
                let (is, ie) = range(y.span());
                assert!(
                    bs < is && ie < be,
                    "{at}: kdl's block contents {is}..{ie} outside our block {bs}..{be}"
                );
                assert_eq!(&text[bs..bs + 1], "{", "{at}: block span starts at `{{`");
                assert_eq!(&text[be - 1..be], "}", "{at}: block span ends at `}}`");
                count += compare_nodes(what, text, x, y.nodes());
            }
            _ => panic!("{at}: children block on one side only"),
        }
        count += 1;
    }
    count
}

/// Parses with both; returns the nodes compared (0 when both reject).
fn compare(what: &str, text: &str) -> usize {
    let (doc, errors): (Document<'_>, _) = syntax::parse_text(text, 0);
    let reference = KdlDocument::parse_v2(text);
    match (errors.is_empty(), reference) {
        (true, Ok(theirs)) => compare_nodes(what, text, doc.nodes(), theirs.nodes()),
        (false, Err(_)) => 0,
        (true, Err(e)) => panic!("{what}: accepted, kdl rejects it: {e:?}"),
        (false, Ok(_)) => panic!("{what}: rejected ({}), kdl accepts it", errors[0].message),
    }
}

#[test]
fn repository_stack_files() {
    let root = support::manifest_dir();
    let mut files = Vec::new();
    for dir in ["stacks", "examples", "tests/specs"] {
        kdl_files(&root.join(dir), &mut files);
    }
    assert!(files.len() > 60, "found only {} stack files", files.len());
    let mut nodes = 0;
    for f in &files {
        let bytes = std::fs::read(f).expect("read");
        let Ok(text) = String::from_utf8(bytes.clone()) else {
            // kdl takes only `&str`; pmovesc reports the bytes (PMV004).
            let mut sources = pmovesc::lang::source::SourceMap::new();
            let id = sources.add_bytes("f.kdl", bytes);
            let mut diags = pmovesc::diag::Diagnostics::new();
            assert!(syntax::parse(&sources, id, &mut diags).is_none());
            assert!(
                diags
                    .iter()
                    .any(|d| d.code == pmovesc::diag::Code::InvalidUtf8)
            );
            continue;
        };
        let name = f.file_name().unwrap().to_string_lossy();
        if let Some((_, why)) = PMOVESC_STRICTER.iter().find(|(n, _)| *n == name) {
            let (_, errors) = syntax::parse_text(&text, 0);
            assert!(!errors.is_empty(), "{name}: pmovesc accepts it ({why})");
            assert!(
                KdlDocument::parse_v2(&text).is_ok(),
                "{name}: kdl rejects it too"
            );
            continue;
        }
        nodes += compare(&f.display().to_string(), &text);
    }
    assert!(nodes > 2_000, "compared only {nodes} nodes");
}

#[test]
fn generated_stacks() {
    for n in [1, 10, 100, 1_000] {
        let mut nodes = 0;
        for (name, text) in pmovesc::stackgen::generate(n) {
            nodes += compare(&format!("generated {n}: {name}"), &text);
        }
        assert!(nodes > n, "generated {n}: compared only {nodes} nodes");
    }
}

/// Forms the stacks rarely use, written out: every string, number and comment form.
#[test]
fn every_form() {
    let text = r####"/- kdl-version 2
(t)node "q" #"raw"# ##"r"#aw"## bare 0x1F -0o17 0b101 1_000 1.5e-3 -2.0 #true #false #null #inf #-inf \
    k="v" x=(ty)1 "quoted key"=#"raw"# esc="a\tb\u{1F600}\s" ws="a \
        b"
multi """
    one
      two
    """ #"""
    raw "quotes"
    """#
a; b; c { d; e }
/- gone { x }
kept /- 1 2 /- k=3 /- { hidden } {
    child \
        1 // continued
    /* block /* nested */ */ next
}
"####;
    let nodes = compare("every form", text);
    assert!(nodes >= 10, "{nodes}");
}
