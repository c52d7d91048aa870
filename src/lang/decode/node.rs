//! The decoder's view of a parsed node: its name, arguments and properties as typed values with
//! their spans. Everything the decoder knows about the syntax tree is in this file.

use crate::lang::model::{Scalar, Setting};
use crate::lang::source::{Span, Spanned};
use crate::lang::syntax::{self, Value};

/// A node of the parsed document, for typed access to its entries.
#[derive(Clone, Copy)]
pub(super) struct Node<'a> {
    pub(super) node: syntax::Node<'a>,
}

/// A property as written: key, key span, value, and the span of `key=value`.
pub(super) struct Prop<'a> {
    pub(super) key: &'a str,
    pub(super) key_span: Span,
    pub(super) value: &'a Value<'a>,
    pub(super) span: Span,
}

pub(super) fn scalar_string(v: &Value<'_>) -> Option<String> {
    match v {
        Value::String(s) => Some(s.to_string()),
        Value::Integer(i) => Some(i.to_string()),
        Value::Float(f) => Some(f.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Null => None,
    }
}

/// A KDL value as a model scalar (`#null` has none).
pub(super) fn scalar(v: &Value<'_>) -> Option<Scalar> {
    match v {
        Value::String(s) => Some(Scalar::String(s.to_string())),
        Value::Integer(i) => i64::try_from(*i).ok().map(Scalar::Integer),
        Value::Float(f) => Some(Scalar::Float(*f)),
        Value::Bool(b) => Some(Scalar::Bool(*b)),
        Value::Null => None,
    }
}

pub(super) fn value_kind(v: &Value<'_>) -> &'static str {
    match v {
        Value::String(_) => "a string",
        Value::Integer(_) => "an integer",
        Value::Float(_) => "a decimal number",
        Value::Bool(_) => "a boolean",
        Value::Null => "#null",
    }
}

impl<'a> Node<'a> {
    pub(super) fn name(&self) -> &'a str {
        &self.node.name().value
    }
    pub(super) fn name_span(&self) -> Span {
        self.node.name().span
    }
    /// The node's name and entries, without its children block.
    pub(super) fn head(&self) -> Span {
        let mut span = self.name_span();
        if let Some(last) = self.node.entries().last() {
            span = span.to(last.span());
        }
        span
    }
    /// The arguments, each with the span of its value token (the bytes `pin` rewrites).
    pub(super) fn args(&self) -> Vec<(&'a Value<'a>, Span)> {
        self.node
            .entries()
            .iter()
            .filter(|e| e.key.is_none())
            .map(|e| (&e.value, e.value_span))
            .collect()
    }
    /// Every property in source order (a key given twice appears twice).
    pub(super) fn props(&self) -> impl Iterator<Item = Prop<'a>> + 'a {
        self.node.entries().iter().filter_map(|e| {
            e.key.as_ref().map(|k| Prop {
                key: &k.value,
                key_span: k.span,
                value: &e.value,
                span: e.span(),
            })
        })
    }
    pub(super) fn has_props(&self) -> bool {
        self.node.entries().iter().any(|e| e.key.is_some())
    }
    /// The span of the children block, braces included, when the node has one (`{}` too).
    pub(super) fn children_span(&self) -> Option<Span> {
        self.node.children_span()
    }
    /// The value of a property (the rightmost when given twice) and the span of `key=value`.
    pub(super) fn prop(&self, name: &str) -> Option<(&'a Value<'a>, Span)> {
        self.node
            .entries()
            .iter()
            .rev()
            .find(|e| e.key.as_ref().is_some_and(|k| k.value == name))
            .map(|e| (&e.value, e.span()))
    }
    pub(super) fn arg_string(&self, i: usize) -> Option<Spanned<String>> {
        self.args()
            .get(i)
            .and_then(|(v, s)| v.as_string().map(|x| Spanned::new(x.to_string(), *s)))
    }
    pub(super) fn arg_scalar(&self, i: usize) -> Option<String> {
        self.args().get(i).and_then(|(v, _)| scalar_string(v))
    }
    pub(super) fn string_args(&self) -> Vec<Spanned<String>> {
        self.args()
            .into_iter()
            .filter_map(|(v, s)| v.as_string().map(|x| Spanned::new(x.to_string(), s)))
            .collect()
    }
    pub(super) fn scalar_args(&self) -> Vec<String> {
        self.args()
            .into_iter()
            .filter_map(|(v, _)| scalar_string(v))
            .collect()
    }
    /// The arguments as model scalars with their spans (`#null` skipped).
    pub(super) fn arg_scalars(&self) -> Vec<(Scalar, Span)> {
        self.args()
            .into_iter()
            .filter_map(|(v, s)| scalar(v).map(|x| (x, s)))
            .collect()
    }
    pub(super) fn arg_bool(&self) -> Option<bool> {
        self.args().first().and_then(|(v, _)| v.as_bool())
    }
    pub(super) fn arg_int(&self) -> Option<i64> {
        self.args()
            .first()
            .and_then(|(v, _)| v.as_integer())
            .and_then(|i| i64::try_from(i).ok())
    }
    pub(super) fn prop_string(&self, name: &str) -> Option<String> {
        self.prop(name)
            .and_then(|(v, _)| v.as_string().map(str::to_string))
    }
    pub(super) fn prop_spanned(&self, name: &str) -> Option<Spanned<String>> {
        self.prop(name)
            .and_then(|(v, s)| v.as_string().map(|x| Spanned::new(x.to_string(), s)))
    }
    pub(super) fn prop_bool(&self, name: &str) -> Option<bool> {
        self.prop(name).and_then(|(v, _)| v.as_bool())
    }
    pub(super) fn prop_int(&self, name: &str) -> Option<i64> {
        self.prop(name)
            .and_then(|(v, _)| v.as_integer())
            .and_then(|i| i64::try_from(i).ok())
    }
    pub(super) fn prop_number(&self, name: &str) -> Option<f64> {
        self.prop(name).and_then(|(v, _)| match v {
            Value::Integer(i) => Some(*i as f64),
            Value::Float(f) => Some(*f),
            _ => None,
        })
    }
    pub(super) fn reason(&self) -> Option<Spanned<String>> {
        self.prop_spanned("reason")
    }
    pub(super) fn setting<T>(&self, value: T) -> Setting<T> {
        Setting {
            value,
            span: self.head(),
            reason: self.reason(),
        }
    }
    /// Every string argument and property value except `reason=` notes, with the span of its
    /// value token.
    pub(super) fn string_entries(&self) -> Vec<(&'a str, Span)> {
        self.node
            .entries()
            .iter()
            .filter(|e| e.key.as_ref().is_none_or(|k| k.value != "reason"))
            .filter_map(|e| e.value.as_string().map(|s| (s, e.value_span)))
            .collect()
    }
    pub(super) fn children(&self) -> impl Iterator<Item = Node<'a>> + 'a {
        self.node
            .children()
            .into_iter()
            .flatten()
            .map(|node| Node { node })
    }
}
