//! Compose YAML with spans: a document read with granit-parser (the YAML 1.2 parser serde-saphyr
//! builds on) into a tree that keeps the byte span of every key and value, the way Compose's
//! loader (go-yaml v3) reads it: aliases expanded (with a budget, so an alias bomb is an error,
//! not a hang), `<<` merge keys applied (the mapping's own keys win, then the merged mappings in
//! order), a key given twice in one mapping an error, plain scalars resolved as go-yaml resolves
//! them (`0755` is octal, `1_000` an integer, `yes` a string), and the `!reset` and `!override`
//! tags kept for the merge of repeated `-f` files.

use std::collections::HashMap;

use granit_parser::{Event, Options, Parser, ScalarStyle, Span as YamlSpan, Tag as YamlTag};

use crate::lang::source::{FileId, Span};

/// Nodes (scalars and collections, aliases expanded) one document may hold.
pub const MAX_NODES: usize = 1_000_000;

/// How deep collections may nest (the parser's own limit is the same).
pub const MAX_DEPTH: usize = 200;

/// The Compose merge tags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tag {
    /// `!reset`: the value (and whatever an earlier file set) is removed.
    Reset,
    /// `!override`: the value replaces an earlier file's instead of merging with it.
    Override,
}

/// A YAML node and where it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub value: Value,
    pub span: Span,
    pub tag: Option<Tag>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Scalar(Scalar),
    Seq(Vec<Node>),
    Map(Vec<Entry>),
}

/// A mapping entry. Keys are strings (a non-string key is converted as go-yaml prints it).
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub key: String,
    pub key_span: Span,
    pub value: Node,
}

/// A scalar: its text after YAML escapes and what it resolves to.
#[derive(Debug, Clone, PartialEq)]
pub struct Scalar {
    pub text: String,
    pub kind: Kind,
    /// Written without quotes or block indicators.
    pub plain: bool,
}

/// What a scalar resolves to (YAML 1.2 core schema as go-yaml v3 applies it).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    Null,
    Bool(bool),
    Int(i128),
    Float(f64),
    Str,
}

impl Scalar {
    /// The string Compose makes of the scalar where it expects a string (labels, environment
    /// values, ...): go's `%v` of the resolved value.
    pub fn as_compose_string(&self) -> String {
        match self.kind {
            Kind::Null => String::new(),
            Kind::Bool(b) => b.to_string(),
            Kind::Int(i) => i.to_string(),
            Kind::Float(f) => go_float(f),
            Kind::Str => self.text.clone(),
        }
    }

    /// A boolean as Compose accepts it for a boolean field: YAML 1.2 `true`/`false`, and the
    /// YAML 1.1 words it still takes with a warning (`yes`, `on`, ...).
    pub fn as_bool(&self) -> Option<bool> {
        match self.kind {
            Kind::Bool(b) => Some(b),
            Kind::Str if self.plain => yaml11_bool(&self.text),
            _ => None,
        }
    }
}

fn yaml11_bool(s: &str) -> Option<bool> {
    match s {
        "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" => Some(true),
        "n" | "N" | "no" | "No" | "NO" | "off" | "Off" | "OFF" => Some(false),
        _ => None,
    }
}

impl Node {
    pub fn as_scalar(&self) -> Option<&Scalar> {
        match &self.value {
            Value::Scalar(s) => Some(s),
            _ => None,
        }
    }
    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Seq(s) => Some(s),
            _ => None,
        }
    }
    pub fn as_map(&self) -> Option<&[Entry]> {
        match &self.value {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }
    pub fn as_map_mut(&mut self) -> Option<&mut Vec<Entry>> {
        match &mut self.value {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }
    pub fn is_null(&self) -> bool {
        matches!(
            &self.value,
            Value::Scalar(Scalar {
                kind: Kind::Null,
                ..
            })
        )
    }
    /// A mapping entry by key.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.as_map()?
            .iter()
            .find(|e| e.key == key)
            .map(|e| &e.value)
    }
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        self.as_map()?.iter().find(|e| e.key == key)
    }
    /// A scalar's string as Compose reads it, for a node that is a scalar.
    pub fn string(&self) -> Option<String> {
        self.as_scalar().map(Scalar::as_compose_string)
    }
    /// What the node is, for messages.
    pub fn describe(&self) -> &'static str {
        match &self.value {
            Value::Scalar(s) => match s.kind {
                Kind::Null => "null",
                Kind::Bool(_) => "a boolean",
                Kind::Int(_) => "an integer",
                Kind::Float(_) => "a number",
                Kind::Str => "a string",
            },
            Value::Seq(_) => "a sequence",
            Value::Map(_) => "a mapping",
        }
    }
    /// A null scalar at a span (what an absent value reads as).
    pub fn null(span: Span) -> Node {
        Node {
            value: Value::Scalar(Scalar {
                text: String::new(),
                kind: Kind::Null,
                plain: true,
            }),
            span,
            tag: None,
        }
    }
    pub fn string_node(text: impl Into<String>, span: Span) -> Node {
        Node {
            value: Value::Scalar(Scalar {
                text: text.into(),
                kind: Kind::Str,
                plain: false,
            }),
            span,
            tag: None,
        }
    }
}

/// A YAML error at a place in the file.
#[derive(Debug, Clone, PartialEq)]
pub struct YamlError {
    pub span: Span,
    pub message: String,
    pub label: String,
    /// Where the first of two clashing things was written.
    pub other: Option<(Span, String)>,
}

impl YamlError {
    fn new(span: Span, message: impl Into<String>, label: impl Into<String>) -> Self {
        Self {
            span,
            message: message.into(),
            label: label.into(),
            other: None,
        }
    }
}

/// Parses every document of a YAML text (`---` separated). An empty text is no document.
pub fn parse(text: &str, file: FileId) -> Result<Vec<Node>, YamlError> {
    parse_with_fragments(text, file).map(|(docs, _)| docs)
}

/// [`parse`], and the spans of the anchored values some alias used (fragments).
pub fn parse_with_fragments(text: &str, file: FileId) -> Result<(Vec<Node>, Vec<Span>), YamlError> {
    let mut options = Options::default();
    options.block_nesting_limit = MAX_DEPTH;
    options.flow_nesting_limit = MAX_DEPTH;
    options.set_emit_comments(false);
    let mut b = Builder {
        file,
        text_len: text.len(),
        stack: Vec::new(),
        anchors: HashMap::new(),
        documents: Vec::new(),
        nodes: 0,
        used: Vec::new(),
    };
    for event in Parser::new_from_str_with_options(text, options) {
        let (event, span) = event.map_err(|e| {
            let at = e.marker().byte_offset().unwrap_or(text.len());
            YamlError::new(
                Span::new(file, at.min(text.len()), 0),
                format!("this is not valid YAML: {}", e.info()),
                "here",
            )
        })?;
        b.event(event, span)?;
    }
    b.used.sort();
    b.used.dedup();
    Ok((b.documents, b.used))
}

enum Frame {
    Seq {
        items: Vec<Node>,
        start: Span,
        anchor: usize,
        tag: Option<Tag>,
    },
    Map {
        entries: Vec<Entry>,
        /// `<<` values, applied when the mapping ends.
        merges: Vec<Node>,
        key: Option<(String, Span, bool)>,
        start: Span,
        anchor: usize,
        tag: Option<Tag>,
    },
}

struct Builder {
    file: FileId,
    text_len: usize,
    stack: Vec<Frame>,
    anchors: HashMap<usize, Node>,
    documents: Vec<Node>,
    nodes: usize,
    used: Vec<Span>,
}

fn size(node: &Node) -> usize {
    // Iterative: a deep tree never recurses here.
    let mut count = 0;
    let mut todo = vec![node];
    while let Some(n) = todo.pop() {
        count += 1;
        match &n.value {
            Value::Scalar(_) => {}
            Value::Seq(items) => todo.extend(items.iter()),
            Value::Map(entries) => todo.extend(entries.iter().map(|e| &e.value)),
        }
    }
    count
}

impl Builder {
    fn span(&self, s: &YamlSpan) -> Span {
        match s.byte_range() {
            Some(r) => {
                let start = r.start.min(self.text_len);
                Span::new(
                    self.file,
                    start,
                    r.end.min(self.text_len).saturating_sub(start),
                )
            }
            None => Span::new(self.file, 0, 0),
        }
    }

    fn count(&mut self, n: usize, at: Span) -> Result<(), YamlError> {
        self.nodes += n;
        if self.nodes > MAX_NODES {
            return Err(YamlError::new(
                at,
                format!("the document expands to more than {MAX_NODES} values"),
                "expanding this goes past the limit",
            ));
        }
        Ok(())
    }

    fn event(&mut self, event: Event<'_>, span: YamlSpan) -> Result<(), YamlError> {
        let at = self.span(&span);
        match event {
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd => Ok(()),
            Event::DocumentStart(..) => {
                self.anchors.clear();
                Ok(())
            }
            Event::Alias(id) => {
                let Some(target) = self.anchors.get(&id) else {
                    return Err(YamlError::new(
                        at,
                        "this alias names no anchor",
                        "unknown alias",
                    ));
                };
                let mut node = target.clone();
                self.used.push(node.span);
                self.count(size(&node), at)?;
                // The value is the anchor's; the place is the alias (where it is used).
                node.span = at;
                self.value(node)
            }
            Event::Scalar(text, style, anchor, tag) => {
                self.count(1, at)?;
                let (kind, compose_tag) = resolve_scalar(&text, style, tag.as_deref(), at)?;
                let node = Node {
                    value: Value::Scalar(Scalar {
                        text: text.into_owned(),
                        kind,
                        plain: style == ScalarStyle::Plain,
                    }),
                    span: at,
                    tag: compose_tag,
                };
                self.anchored(anchor, &node);
                self.value(node)
            }
            Event::SequenceStart(_, anchor, tag) => {
                self.count(1, at)?;
                self.depth(at)?;
                let tag = collection_tag(tag.as_deref(), "seq", at)?;
                self.stack.push(Frame::Seq {
                    items: Vec::new(),
                    start: at,
                    anchor,
                    tag,
                });
                Ok(())
            }
            Event::MappingStart(_, anchor, tag) => {
                self.count(1, at)?;
                self.depth(at)?;
                let tag = collection_tag(tag.as_deref(), "map", at)?;
                self.stack.push(Frame::Map {
                    entries: Vec::new(),
                    merges: Vec::new(),
                    key: None,
                    start: at,
                    anchor,
                    tag,
                });
                Ok(())
            }
            Event::SequenceEnd => match self.stack.pop() {
                Some(Frame::Seq {
                    items,
                    start,
                    anchor,
                    tag,
                }) => {
                    let node = Node {
                        value: Value::Seq(items),
                        span: start.to(at),
                        tag,
                    };
                    self.anchored(anchor, &node);
                    self.value(node)
                }
                _ => Err(YamlError::new(at, "unbalanced YAML events", "here")),
            },
            Event::MappingEnd => match self.stack.pop() {
                Some(Frame::Map {
                    mut entries,
                    merges,
                    start,
                    anchor,
                    tag,
                    ..
                }) => {
                    apply_merges(&mut entries, merges)?;
                    let node = Node {
                        value: Value::Map(entries),
                        span: start.to(at),
                        tag,
                    };
                    self.anchored(anchor, &node);
                    self.value(node)
                }
                _ => Err(YamlError::new(at, "unbalanced YAML events", "here")),
            },
            _ => Ok(()),
        }
    }

    fn depth(&self, at: Span) -> Result<(), YamlError> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(YamlError::new(
                at,
                format!("collections nest deeper than {MAX_DEPTH} levels"),
                "too deep",
            ));
        }
        Ok(())
    }

    fn anchored(&mut self, anchor: usize, node: &Node) {
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
    }

    /// A finished node: a document, a sequence item, a key or a mapping value.
    fn value(&mut self, node: Node) -> Result<(), YamlError> {
        match self.stack.last_mut() {
            None => {
                self.documents.push(node);
                Ok(())
            }
            Some(Frame::Seq { items, .. }) => {
                items.push(node);
                Ok(())
            }
            Some(Frame::Map {
                entries,
                merges,
                key,
                ..
            }) => match key.take() {
                None => {
                    let (text, merge) = match &node.value {
                        Value::Scalar(s) => (s.as_compose_string(), s.plain && s.text == "<<"),
                        _ => {
                            return Err(YamlError::new(
                                node.span,
                                format!("a mapping key must be a string, not {}", node.describe()),
                                "this key",
                            ));
                        }
                    };
                    *key = Some((text, node.span, merge));
                    Ok(())
                }
                Some((k, key_span, merge)) => {
                    if merge {
                        merges.push(node);
                        return Ok(());
                    }
                    if let Some(first) = entries.iter().find(|e| e.key == k) {
                        return Err(YamlError {
                            span: key_span,
                            message: format!("mapping key `{k}` is given twice"),
                            label: "given again here".into(),
                            other: Some((first.key_span, "first given here".into())),
                        });
                    }
                    entries.push(Entry {
                        key: k,
                        key_span,
                        value: node,
                    });
                    Ok(())
                }
            },
        }
    }
}

/// `<<` merge keys: the mapping's own entries win; then each merged mapping in order adds the
/// keys no earlier one had.
fn apply_merges(entries: &mut Vec<Entry>, merges: Vec<Node>) -> Result<(), YamlError> {
    for merge in merges {
        let sources: Vec<Node> = match merge.value {
            Value::Map(_) => vec![merge],
            Value::Seq(items) => items,
            _ => {
                return Err(YamlError::new(
                    merge.span,
                    format!(
                        "a `<<` merge key takes a mapping or a list of mappings, not {}",
                        merge.describe()
                    ),
                    "merged here",
                ));
            }
        };
        for source in sources {
            let span = source.span;
            let Value::Map(more) = source.value else {
                return Err(YamlError::new(
                    span,
                    "a `<<` merge key takes a mapping or a list of mappings",
                    "not a mapping",
                ));
            };
            for e in more {
                if !entries.iter().any(|have| have.key == e.key) {
                    entries.push(e);
                }
            }
        }
    }
    Ok(())
}

fn compose_tag(tag: &YamlTag) -> Option<Tag> {
    if tag.handle() != "!" {
        return None;
    }
    match tag.suffix() {
        "reset" => Some(Tag::Reset),
        "override" => Some(Tag::Override),
        _ => None,
    }
}

fn collection_tag(tag: Option<&YamlTag>, core: &str, at: Span) -> Result<Option<Tag>, YamlError> {
    let Some(tag) = tag else { return Ok(None) };
    if let Some(t) = compose_tag(tag) {
        return Ok(Some(t));
    }
    if tag.is_yaml_core_schema_tag(core) {
        return Ok(None);
    }
    Err(YamlError::new(
        at,
        format!(
            "Compose does not know the tag `{}{}`",
            tag.original_handle(),
            tag.suffix()
        ),
        "this tag",
    ))
}

/// The kind of a scalar and its Compose tag.
fn resolve_scalar(
    text: &str,
    style: ScalarStyle,
    tag: Option<&YamlTag>,
    at: Span,
) -> Result<(Kind, Option<Tag>), YamlError> {
    if let Some(tag) = tag {
        if let Some(t) = compose_tag(tag) {
            let kind = if style == ScalarStyle::Plain {
                resolve_plain(text)
            } else {
                Kind::Str
            };
            return Ok((kind, Some(t)));
        }
        let bad = || {
            YamlError::new(
                at,
                format!(
                    "`{text}` is not a valid `{}{}`",
                    tag.original_handle(),
                    tag.suffix()
                ),
                "this value",
            )
        };
        return match tag.core_suffix() {
            Some("str") => Ok((Kind::Str, None)),
            Some("null") => Ok((Kind::Null, None)),
            Some("bool") => match resolve_plain(text) {
                k @ Kind::Bool(_) => Ok((k, None)),
                _ => Err(bad()),
            },
            Some("int") => match resolve_plain(text) {
                k @ Kind::Int(_) => Ok((k, None)),
                _ => Err(bad()),
            },
            Some("float") => match resolve_plain(text) {
                Kind::Int(i) => Ok((Kind::Float(i as f64), None)),
                k @ Kind::Float(_) => Ok((k, None)),
                _ => Err(bad()),
            },
            _ => Err(YamlError::new(
                at,
                format!(
                    "Compose does not know the tag `{}{}`",
                    tag.original_handle(),
                    tag.suffix()
                ),
                "this tag",
            )),
        };
    }
    if style != ScalarStyle::Plain {
        return Ok((Kind::Str, None));
    }
    Ok((resolve_plain(text), None))
}

/// go-yaml v3's resolution of a plain scalar.
pub fn resolve_plain(s: &str) -> Kind {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return Kind::Null,
        "true" | "True" | "TRUE" => return Kind::Bool(true),
        "false" | "False" | "FALSE" => return Kind::Bool(false),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Kind::Float(f64::INFINITY);
        }
        "-.inf" | "-.Inf" | "-.INF" => return Kind::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Kind::Float(f64::NAN),
        _ => {}
    }
    let first = s.as_bytes()[0];
    if !(first.is_ascii_digit() || matches!(first, b'-' | b'+' | b'.')) {
        return Kind::Str;
    }
    let plain: String = s.chars().filter(|c| *c != '_').collect();
    if plain.is_empty() {
        return Kind::Str;
    }
    if let Some(i) = go_int(&plain) {
        return Kind::Int(i);
    }
    if let Some(f) = yaml_float(&plain) {
        return Kind::Float(f);
    }
    Kind::Str
}

/// Go's `strconv.ParseInt(s, 0, 64)`, then `ParseUint`, on the text without underscores, as
/// go-yaml v3 tries them (base 0: `0x`, `0o`, `0b` and a leading `0` for octal).
fn go_int(s: &str) -> Option<i128> {
    if s == "-0" {
        return None; // go-yaml's negative zero is a float
    }
    let (negative, signed, body) = match s.as_bytes()[0] {
        b'-' => (true, true, &s[1..]),
        b'+' => (false, true, &s[1..]),
        _ => (false, false, s),
    };
    let lower = body.to_ascii_lowercase();
    let (radix, digits) = if let Some(d) = lower.strip_prefix("0x") {
        (16, d)
    } else if let Some(d) = lower.strip_prefix("0o") {
        (8, d)
    } else if let Some(d) = lower.strip_prefix("0b") {
        (2, d)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, &lower[1..])
    } else {
        (10, lower.as_str())
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let v = i128::from_str_radix(digits, radix).ok()?;
    let v = if negative { -v } else { v };
    let fits_int = v >= i128::from(i64::MIN) && v <= i128::from(i64::MAX);
    let fits_uint = !signed && v >= 0 && v <= i128::from(u64::MAX);
    (fits_int || fits_uint).then_some(v)
}

/// A YAML 1.2 core float (`[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`).
fn yaml_float(s: &str) -> Option<f64> {
    let b = s.as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'-' | b'+')) {
        i += 1;
    }
    let int_start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    let int_digits = i - int_start;
    let mut frac_digits = 0;
    if i < b.len() && b[i] == b'.' {
        i += 1;
        let f = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        frac_digits = i - f;
    }
    if int_digits == 0 && frac_digits == 0 {
        return None;
    }
    if i < b.len() && matches!(b[i], b'e' | b'E') {
        i += 1;
        if i < b.len() && matches!(b[i], b'-' | b'+') {
            i += 1;
        }
        let e = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == e {
            return None;
        }
    }
    if i != b.len() {
        return None;
    }
    // Out of range is an error for Go's ParseFloat: the scalar stays a string.
    s.parse::<f64>().ok().filter(|f| f.is_finite())
}

/// Go's `%v` of a float64 (`strconv.FormatFloat(f, 'g', -1, 64)`): the shortest
/// representation, in exponent form when the exponent is below -4 or at least 6 (`1e+06`,
/// `1e-05`), as `docker-compose config` prints such a value.
pub fn go_float(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        };
    }
    if f == 0.0 {
        return if f.is_sign_negative() {
            "-0".into()
        } else {
            "0".into()
        };
    }
    // Rust's `{:e}` is the shortest round-trip representation: `1.5e3`, `1e-5`.
    let e = format!("{f:e}");
    let (mantissa, exp) = e.split_once('e').expect("exponent form");
    let exp: i32 = exp.parse().expect("exponent");
    if !(-4..6).contains(&exp) {
        let sign = if exp < 0 { '-' } else { '+' };
        return format!("{mantissa}e{sign}{:02}", exp.abs());
    }
    format!("{f}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> Node {
        let mut docs = parse(text, 0).expect("parses");
        assert_eq!(docs.len(), 1);
        docs.remove(0)
    }

    #[test]
    fn plain_scalars_resolve_as_go_yaml_does() {
        let cases = [
            ("0755", "493"),
            ("0o17", "15"),
            ("0x1F", "31"),
            ("1_000", "1000"),
            ("+12", "12"),
            ("1e3", "1000"),
            ("1e21", "1e+21"),
            ("1000000.0", "1e+06"),
            ("123456789.5", "1.234567895e+08"),
            ("100000.0", "100000"),
            ("0.00001", "1e-05"),
            ("0.5", "0.5"),
            ("~", ""),
            ("yes", "yes"),
            ("True", "true"),
            ("1.2.3", "1.2.3"),
            ("-5", "-5"),
            ("18446744073709551615", "18446744073709551615"),
            ("18446744073709551616", "1.8446744073709552e+19"),
            ("08", "8"),
            ("1__0", "10"),
            ("0_1", "1"),
            ("0x_1F", "31"),
            ("1e400", "1e400"),
            ("0b101", "5"),
            ("-0o7", "-7"),
            ("1.", "1"),
            ("-0", "-0"),
            ("-0.0", "-0"),
            ("+0", "0"),
            ("1_000_a", "1_000_a"),
            ("+9223372036854775808", "9.223372036854776e+18"),
            ("-0b11", "-3"),
            ("00", "0"),
        ];
        for (text, want) in cases {
            let n = one(&format!("k: {text}\n"));
            let v = n.get("k").unwrap().string().unwrap();
            assert_eq!(v, want, "{text}");
        }
    }

    #[test]
    fn quoted_scalars_stay_strings() {
        let n = one("a: '0755'\nb: \"true\"\n");
        assert_eq!(n.get("a").unwrap().string().unwrap(), "0755");
        assert_eq!(n.get("b").unwrap().as_scalar().unwrap().kind, Kind::Str);
    }

    #[test]
    fn merge_keys_own_entries_win_then_merged_in_order() {
        let n = one("x: &x {a: 1, b: 2}\ny: &y {b: 3, c: 4}\nz:\n  <<: [*x, *y]\n  a: 9\n");
        let z = n.get("z").unwrap();
        let get = |k| z.get(k).unwrap().string().unwrap();
        assert_eq!(
            (get("a"), get("b"), get("c")),
            ("9".into(), "2".into(), "4".into())
        );
    }

    #[test]
    fn a_key_given_twice_is_an_error_naming_both() {
        let e = parse("a: 1\nb: 2\na: 3\n", 0).unwrap_err();
        assert!(e.message.contains("`a` is given twice"), "{}", e.message);
        assert_eq!(e.span.start, 10);
        assert_eq!(e.other.unwrap().0.start, 0);
    }

    #[test]
    fn compose_tags_are_kept_and_unknown_tags_refused() {
        let n = one("a: !reset []\nb: !override [1]\nc: !reset\n");
        assert_eq!(n.get("a").unwrap().tag, Some(Tag::Reset));
        assert_eq!(n.get("b").unwrap().tag, Some(Tag::Override));
        assert_eq!(n.get("c").unwrap().tag, Some(Tag::Reset));
        assert!(parse("a: !custom 1\n", 0).is_err());
        assert_eq!(
            one("a: !!str 12\n")
                .get("a")
                .unwrap()
                .as_scalar()
                .unwrap()
                .kind,
            Kind::Str
        );
    }

    #[test]
    fn an_alias_bomb_is_an_error_not_a_hang() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..9 {
            let prev = format!("*a{}", i - 1);
            let items = [prev.as_str(); 10].join(", ");
            text.push_str(&format!("a{i}: &a{i} [{items}]\n"));
        }
        let e = parse(&text, 0).unwrap_err();
        assert!(e.message.contains("more than"), "{}", e.message);
    }

    #[test]
    fn deep_nesting_is_an_error() {
        let text = format!("{}1{}", "[".repeat(500), "]".repeat(500));
        assert!(parse(&text, 0).is_err());
    }

    #[test]
    fn spans_point_at_keys_and_values() {
        let text = "services:\n  web:\n    image: nginx\n";
        let n = one(text);
        let web = n.get("services").unwrap().entry("web").unwrap();
        assert_eq!(&text[web.key_span.start as usize..][..3], "web");
        let image = web.value.get("image").unwrap();
        assert_eq!(
            &text[image.span.start as usize..][..image.span.len as usize],
            "nginx"
        );
    }

    #[test]
    fn several_documents() {
        assert_eq!(parse("a: 1\n---\nb: 2\n", 0).unwrap().len(), 2);
        assert!(parse("", 0).unwrap().is_empty());
    }
}
