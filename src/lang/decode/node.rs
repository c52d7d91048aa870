//! The decoder's view of a parsed node: its name, arguments and properties as typed values with
//! their spans. Everything the decoder knows about the syntax tree is in this file.

use kdl::{KdlNode, KdlValue};

use crate::lang::model::{Scalar, Setting};
use crate::lang::source::{FileId, Span, Spanned};

/// A node with its file, for typed access to its entries.
#[derive(Clone, Copy)]
pub(super) struct Node<'a> {
    pub(super) node: &'a KdlNode,
    pub(super) file: FileId,
}

pub(super) fn scalar_string(v: &KdlValue) -> Option<String> {
    match v {
        KdlValue::String(s) => Some(s.clone()),
        KdlValue::Integer(i) => Some(i.to_string()),
        KdlValue::Float(f) => Some(f.to_string()),
        KdlValue::Bool(b) => Some(b.to_string()),
        KdlValue::Null => None,
    }
}

/// A KDL value as a model scalar (`#null` has none).
pub(super) fn scalar(v: &KdlValue) -> Option<Scalar> {
    match v {
        KdlValue::String(s) => Some(Scalar::String(s.clone())),
        KdlValue::Integer(i) => i64::try_from(*i).ok().map(Scalar::Integer),
        KdlValue::Float(f) => Some(Scalar::Float(*f)),
        KdlValue::Bool(b) => Some(Scalar::Bool(*b)),
        KdlValue::Null => None,
    }
}

pub(super) fn value_kind(v: &KdlValue) -> &'static str {
    match v {
        KdlValue::String(_) => "a string",
        KdlValue::Integer(_) => "an integer",
        KdlValue::Float(_) => "a decimal number",
        KdlValue::Bool(_) => "a boolean",
        KdlValue::Null => "#null",
    }
}

impl<'a> Node<'a> {
    pub(super) fn name(&self) -> &'a str {
        self.node.name().value()
    }
    pub(super) fn name_span(&self) -> Span {
        Span::from_miette(self.file, self.node.name().span())
    }
    /// The node's name and entries, without its children block.
    pub(super) fn head(&self) -> Span {
        let mut span = self.name_span();
        if let Some(last) = self.node.entries().last() {
            span = span.to(Span::from_miette(self.file, last.span()));
        }
        span
    }
    pub(super) fn args(&self) -> Vec<(&'a KdlValue, Span)> {
        self.node
            .entries()
            .iter()
            .filter(|e| e.name().is_none())
            .map(|e| (e.value(), Span::from_miette(self.file, e.span())))
            .collect()
    }
    pub(super) fn prop(&self, name: &str) -> Option<(&'a KdlValue, Span)> {
        self.node
            .entries()
            .iter()
            .rev()
            .find(|e| e.name().is_some_and(|n| n.value() == name))
            .map(|e| (e.value(), Span::from_miette(self.file, e.span())))
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
            KdlValue::Integer(i) => Some(*i as f64),
            KdlValue::Float(f) => Some(*f),
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
    pub(super) fn children(&self) -> impl Iterator<Item = Node<'a>> + 'a {
        let file = self.file;
        self.node
            .children()
            .into_iter()
            .flat_map(|d| d.nodes().iter())
            .map(move |node| Node { node, file })
    }
}
