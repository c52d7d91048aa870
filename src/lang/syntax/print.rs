//! The canonical form of a document, as the official conformance suite defines it
//! (`tests/README.md` of kdl-org/kdl): no comments, one node per line, four-space indentation,
//! arguments in order then properties sorted by key with the rightmost duplicate kept, strings
//! quoted only when they must be, numbers in decimal. The suite test compares it byte for byte.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::chars::{is_disallowed, is_newline, is_space};
use super::numbers;
use super::tree::{Document, Node, Value};

/// The canonical text of a parsed document. `source` is the text it was parsed from (numbers
/// are printed from their digits, so that `1.23E+1000` survives).
pub fn canonical(doc: &Document<'_>, source: &str) -> String {
    let mut out = String::new();
    for node in doc.nodes() {
        node_text(&mut out, node, source, 0);
    }
    if out.is_empty() {
        out.push('\n');
    }
    out
}

fn node_text(out: &mut String, node: Node<'_>, source: &str, depth: usize) {
    // Recursion is bounded by the parser's nesting limit.
    for _ in 0..depth {
        out.push_str("    ");
    }
    if let Some(ty) = node.ty() {
        out.push('(');
        string(out, &ty.value);
        out.push(')');
    }
    string(out, &node.name().value);
    let mut props = BTreeMap::new();
    for e in node.entries() {
        match &e.key {
            Some(k) => {
                props.insert(k.value.as_ref(), e);
            }
            None => {
                out.push(' ');
                value(out, e, source);
            }
        }
    }
    for (key, e) in props {
        out.push(' ');
        string(out, key);
        out.push('=');
        value(out, e, source);
    }
    if let Some(children) = node.children()
        && !children.is_empty()
    {
        out.push_str(" {\n");
        for child in children {
            node_text(out, child, source, depth + 1);
        }
        for _ in 0..depth {
            out.push_str("    ");
        }
        out.push('}');
    }
    out.push('\n');
}

fn value(out: &mut String, e: &super::tree::Entry<'_>, source: &str) {
    if let Some(ty) = &e.ty {
        out.push('(');
        string(out, &ty.value);
        out.push(')');
    }
    match &e.value {
        Value::String(s) => string(out, s),
        Value::Integer(i) => {
            let _ = write!(out, "{i}");
        }
        Value::Float(f) if f.is_nan() => out.push_str("#nan"),
        Value::Float(f) if f.is_infinite() && !is_decimal(source, e) => {
            out.push_str(if *f > 0.0 { "#inf" } else { "#-inf" });
        }
        Value::Float(_) => decimal(out, token(source, e)),
        Value::Bool(b) => out.push_str(if *b { "#true" } else { "#false" }),
        Value::Null => out.push_str("#null"),
    }
}

fn token<'s>(source: &'s str, e: &super::tree::Entry<'_>) -> &'s str {
    let s = e.value_span;
    &source[s.start as usize..(s.start + s.len) as usize]
}

fn is_decimal(source: &str, e: &super::tree::Entry<'_>) -> bool {
    !token(source, e).starts_with('#')
}

/// A decimal float from its digits: no `_`, no `+` sign, `E` with a signed exponent.
fn decimal(out: &mut String, digits: &str) {
    let clean: String = digits.chars().filter(|c| *c != '_').collect();
    let clean = clean.strip_prefix('+').unwrap_or(&clean);
    match clean.find(['e', 'E']) {
        Some(i) => {
            out.push_str(&clean[..i]);
            out.push('E');
            let exp = &clean[i + 1..];
            if !exp.starts_with(['+', '-']) {
                out.push('+');
            }
            out.push_str(exp);
        }
        None => out.push_str(clean),
    }
}

/// A string as a bare identifier when it can be one, else quoted with escapes.
fn string(out: &mut String, s: &str) {
    if is_bare(s) {
        out.push_str(s);
        return;
    }
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if is_disallowed(c) || (is_newline(c) && c != '\n') => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn is_bare(s: &str) -> bool {
    let b = s.as_bytes();
    !s.is_empty()
        && !numbers::looks_numeric(b)
        && !numbers::looks_fractional(b)
        && !numbers::bare_keyword(s)
        && s.chars().all(|c| {
            !is_space(c) && !is_newline(c) && !is_disallowed(c) && !"\\/(){};[]\"#=".contains(c)
        })
}
