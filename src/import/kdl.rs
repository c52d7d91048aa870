//! The stack-language nodes import writes, before they are text: a small KDL tree with
//! comments, printed in the canonical form of `pmovesc fmt` (`lang::format`).

use std::fmt::Write;

/// A KDL value.
#[derive(Debug, Clone, PartialEq)]
pub enum V {
    S(String),
    I(i128),
    /// A decimal number, as it is to be written (`0.5`, `1.0`).
    F(String),
    B(bool),
}

impl V {
    pub fn text(&self) -> String {
        match self {
            V::S(s) => s.clone(),
            V::I(i) => i.to_string(),
            V::F(f) => f.clone(),
            V::B(b) => b.to_string(),
        }
    }
}

impl From<&str> for V {
    fn from(s: &str) -> Self {
        V::S(s.to_string())
    }
}
impl From<String> for V {
    fn from(s: String) -> Self {
        V::S(s)
    }
}
impl From<&String> for V {
    fn from(s: &String) -> Self {
        V::S(s.clone())
    }
}
impl From<bool> for V {
    fn from(b: bool) -> Self {
        V::B(b)
    }
}
impl From<i128> for V {
    fn from(i: i128) -> Self {
        V::I(i)
    }
}
impl From<i64> for V {
    fn from(i: i64) -> Self {
        V::I(i.into())
    }
}

/// A node: name, arguments, properties (in order), children, and the comment lines above it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct N {
    pub name: String,
    pub args: Vec<V>,
    pub props: Vec<(String, V)>,
    pub children: Vec<N>,
    /// Whether the node has a children block even when it is empty.
    pub block: bool,
    pub comments: Vec<String>,
    /// Written commented out (`/-`): kept in the stack for a person to finish, not built.
    pub disabled: bool,
}

impl N {
    pub fn new(name: impl Into<String>) -> Self {
        N {
            name: name.into(),
            ..N::default()
        }
    }
    pub fn arg(mut self, v: impl Into<V>) -> Self {
        self.args.push(v.into());
        self
    }
    pub fn args<T: Into<V>>(mut self, vs: impl IntoIterator<Item = T>) -> Self {
        self.args.extend(vs.into_iter().map(Into::into));
        self
    }
    pub fn prop(mut self, k: &str, v: impl Into<V>) -> Self {
        self.set(k, v);
        self
    }
    /// Sets a property, replacing one of the same key.
    pub fn set(&mut self, k: &str, v: impl Into<V>) {
        let v = v.into();
        match self.props.iter_mut().find(|(key, _)| key == k) {
            Some(p) => p.1 = v,
            None => self.props.push((k.to_string(), v)),
        }
    }
    pub fn opt(mut self, k: &str, v: Option<impl Into<V>>) -> Self {
        if let Some(v) = v {
            self.set(k, v);
        }
        self
    }
    pub fn child(mut self, c: N) -> Self {
        self.children.push(c);
        self
    }
    pub fn children(mut self, cs: impl IntoIterator<Item = N>) -> Self {
        self.children.extend(cs);
        self
    }
    pub fn with_block(mut self) -> Self {
        self.block = true;
        self
    }
    pub fn comment(mut self, c: impl Into<String>) -> Self {
        self.comments.push(c.into());
        self
    }
    pub fn get(&self, k: &str) -> Option<&V> {
        self.props.iter().find(|(key, _)| key == k).map(|(_, v)| v)
    }
    pub fn first_arg(&self) -> Option<String> {
        self.args.first().map(V::text)
    }
}

/// A string as KDL: a bare identifier where it can be one (node names, keys), else quoted.
pub fn ident(out: &mut String, s: &str) {
    if is_bare(s) {
        out.push_str(s);
    } else {
        quoted(out, s);
    }
}

/// A quoted KDL string with the escapes it needs.
pub fn quoted(out: &mut String, s: &str) {
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
            c if (c as u32) < 0x20
                || c == '\u{7f}'
                || matches!(c, '\u{85}' | '\u{2028}' | '\u{2029}' | '\u{feff}')
                || ('\u{200e}'..='\u{200f}').contains(&c)
                || ('\u{202a}'..='\u{202e}').contains(&c)
                || ('\u{2066}'..='\u{2069}').contains(&c) =>
            {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Whether a string can be written bare (an identifier that is not a number or a keyword).
pub fn is_bare(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    if first.is_ascii_digit() {
        return false;
    }
    let mut chars = s.chars();
    if matches!(first, '+' | '-' | '.') {
        chars.next();
        if let Some(c) = chars.clone().next()
            && (c.is_ascii_digit()
                || (first != '.' && c == '.' && s[2..].starts_with(|d: char| d.is_ascii_digit())))
        {
            return false;
        }
    }
    if matches!(s, "true" | "false" | "null" | "inf" | "-inf" | "nan") {
        return false;
    }
    s.chars().all(|c| {
        !c.is_whitespace()
            && !"\\/(){};[]\"#=,".contains(c)
            && (c as u32) > 0x20
            && c != '\u{7f}'
            && !matches!(c, '\u{85}' | '\u{2028}' | '\u{2029}' | '\u{feff}')
            && !('\u{200e}'..='\u{200f}').contains(&c)
            && !('\u{202a}'..='\u{202e}').contains(&c)
            && !('\u{2066}'..='\u{2069}').contains(&c)
    })
}

fn value(out: &mut String, v: &V) {
    match v {
        V::S(s) => quoted(out, s),
        V::I(i) => {
            let _ = write!(out, "{i}");
        }
        V::F(f) => out.push_str(f),
        V::B(b) => out.push_str(if *b { "#true" } else { "#false" }),
    }
}

/// The text of nodes at a depth (four spaces per level).
pub fn print(nodes: &[N], depth: usize, out: &mut String) {
    for n in nodes {
        print_node(n, depth, out);
    }
}

fn print_node(n: &N, depth: usize, out: &mut String) {
    let pad = "    ".repeat(depth);
    for c in &n.comments {
        if c.is_empty() {
            out.push('\n');
            continue;
        }
        for line in c.lines() {
            out.push_str(&pad);
            out.push_str("// ");
            out.push_str(line);
            out.push('\n');
        }
    }
    out.push_str(&pad);
    if n.disabled {
        out.push_str("/-");
    }
    ident(out, &n.name);
    for a in &n.args {
        out.push(' ');
        value(out, a);
    }
    for (k, v) in &n.props {
        out.push(' ');
        ident(out, k);
        out.push('=');
        value(out, v);
    }
    if !n.children.is_empty() {
        out.push_str(" {\n");
        print(&n.children, depth + 1, out);
        out.push_str(&pad);
        out.push('}');
    } else if n.block {
        out.push_str(" {}");
    }
    out.push('\n');
}

/// One file of nodes, top-level nodes separated by blank lines where they hold children.
pub fn file(header: &[String], nodes: &[N]) -> String {
    let mut out = String::new();
    for h in header {
        out.push_str("// ");
        out.push_str(h);
        out.push('\n');
    }
    let mut prev_block = !header.is_empty();
    for n in nodes {
        let block = !n.children.is_empty() || !n.comments.is_empty();
        if !out.is_empty() && (block || prev_block) {
            out.push('\n');
        }
        print_node(n, 0, &mut out);
        prev_block = block;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_canonical_nodes() {
        let n = N::new("service")
            .arg("web")
            .comment("from compose.yml:3")
            .child(N::new("image").arg("nginx:1.27"))
            .child(N::new("port").arg(V::I(80)).prop("host", V::I(8080)))
            .child(
                N::new("env")
                    .child(N::new("A_B").arg("1"))
                    .child(N::new("1X").arg("y")),
            );
        let text = file(&[], &[n]);
        assert_eq!(
            text,
            "// from compose.yml:3\nservice \"web\" {\n    image \"nginx:1.27\"\n    port 80 host=8080\n    env {\n        A_B \"1\"\n        \"1X\" \"y\"\n    }\n}\n"
        );
    }

    #[test]
    fn bare_identifiers() {
        for s in ["a", "A_B", "x-retired", "com.example.label", "-x"] {
            assert!(is_bare(s), "{s}");
        }
        for s in [
            "", "1a", "-1", "+.5", "a b", "a=b", "true", "#x", "a,b", "(x)",
        ] {
            assert!(!is_bare(s), "{s}");
        }
    }
}
