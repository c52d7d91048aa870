//! The parsed document: a borrowed tree with a byte span on every part.
//!
//! Strings borrow the source text unless an escape or a multi-line dedent made a new one.
//! Nodes live in one vector in document order (a node, then its descendants), entries in a
//! second one; a node refers to its entries by index range and to its descendants by where its
//! subtree ends. A document is a handful of allocations however deep it is, and dropping it
//! never recurses.

use std::borrow::Cow;

use crate::lang::source::Span;

/// A string of the document (node name, property key, type annotation) with its span: the whole
/// token as written, quotes and `#`s included.
#[derive(Debug, Clone, PartialEq)]
pub struct Str<'a> {
    pub value: Cow<'a, str>,
    pub span: Span,
}

/// A KDL value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    String(Cow<'a, str>),
    Integer(i128),
    /// A decimal with a fraction or an exponent, or `#inf`, `#-inf`, `#nan`.
    Float(f64),
    Bool(bool),
    Null,
}

impl Value<'_> {
    pub fn as_string(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }
    pub fn as_integer(&self) -> Option<i128> {
        match self {
            Value::Integer(i) => Some(*i),
            _ => None,
        }
    }
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }
    pub fn is_integer(&self) -> bool {
        matches!(self, Value::Integer(_))
    }
    pub fn is_float(&self) -> bool {
        matches!(self, Value::Float(_))
    }
    pub fn is_bool(&self) -> bool {
        matches!(self, Value::Bool(_))
    }
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }
}

/// An argument (no key) or a property (`key=value`).
#[derive(Debug, Clone, PartialEq)]
pub struct Entry<'a> {
    pub key: Option<Str<'a>>,
    /// The type annotation of the value, `(type)`: its string, without the parentheses (rare,
    /// hence boxed).
    pub ty: Option<Box<Str<'a>>>,
    pub value: Value<'a>,
    /// The value token as written (quotes, `#`s, sign and radix prefix included).
    pub value_span: Span,
    /// Where the entry starts: its key, or the `(` of its type annotation, or its value.
    pub(super) start: u32,
}

impl Entry<'_> {
    /// Key (or type annotation) to the end of the value.
    pub fn span(&self) -> Span {
        let end = self.value_span.start + self.value_span.len;
        Span {
            file: self.value_span.file,
            start: self.start,
            len: end - self.start,
        }
    }
}

/// The stored form of a node; [`Node`] is the way to read it.
#[derive(Debug, Clone)]
pub(super) struct NodeData<'a> {
    pub(super) name: Str<'a>,
    pub(super) ty: Option<Box<Str<'a>>>,
    pub(super) entries: (u32, u32),
    pub(super) span: Span,
    /// The index after the node's last descendant.
    pub(super) subtree_end: u32,
    /// How many children the block holds; [`NO_BLOCK`] without a children block.
    pub(super) children: u32,
    /// The children block, braces included.
    pub(super) block: Span,
}

pub(super) const NO_BLOCK: u32 = u32::MAX;

/// A parsed document (slashdashed parts left out).
#[derive(Debug, Clone, Default)]
pub struct Document<'a> {
    pub(super) nodes: Vec<NodeData<'a>>,
    pub(super) entries: Vec<Entry<'a>>,
    /// How many top-level nodes there are.
    pub(super) top: u32,
}

impl<'a> Document<'a> {
    /// The top-level nodes, in order.
    pub fn nodes(&'a self) -> Nodes<'a> {
        Nodes {
            doc: self,
            next: 0,
            left: self.top,
        }
    }

    /// Every node of the document, at any depth.
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }
}

/// One node of a [`Document`].
#[derive(Clone, Copy)]
pub struct Node<'a> {
    doc: &'a Document<'a>,
    index: u32,
}

impl std::fmt::Debug for Node<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Node")
            .field("name", &self.data().name.value)
            .field("entries", &self.entries())
            .finish_non_exhaustive()
    }
}

impl<'a> Node<'a> {
    fn data(&self) -> &'a NodeData<'a> {
        &self.doc.nodes[self.index as usize]
    }
    pub fn name(&self) -> &'a Str<'a> {
        &self.data().name
    }
    /// The node's type annotation, `(type)name`.
    pub fn ty(&self) -> Option<&'a Str<'a>> {
        self.data().ty.as_deref()
    }
    /// Arguments and properties in source order.
    pub fn entries(&self) -> &'a [Entry<'a>] {
        let (start, end) = self.data().entries;
        &self.doc.entries[start as usize..end as usize]
    }
    /// The children block, if the node has one (`{}` included).
    pub fn children(&self) -> Option<Nodes<'a>> {
        let d = self.data();
        (d.children != NO_BLOCK).then(|| Nodes {
            doc: self.doc,
            next: self.index + 1,
            left: d.children,
        })
    }
    /// The span of the children block, braces included.
    pub fn children_span(&self) -> Option<Span> {
        let d = self.data();
        (d.children != NO_BLOCK).then_some(d.block)
    }
    /// From the type annotation (or name) to the end of the last entry or of the children block.
    pub fn span(&self) -> Span {
        self.data().span
    }
}

/// The nodes of a document or a children block.
#[derive(Clone)]
pub struct Nodes<'a> {
    doc: &'a Document<'a>,
    next: u32,
    left: u32,
}

impl Nodes<'_> {
    pub fn is_empty(&self) -> bool {
        self.left == 0
    }
}

impl<'a> Iterator for Nodes<'a> {
    type Item = Node<'a>;
    fn next(&mut self) -> Option<Node<'a>> {
        if self.left == 0 {
            return None;
        }
        let node = Node {
            doc: self.doc,
            index: self.next,
        };
        self.left -= 1;
        self.next = self.doc.nodes[self.next as usize].subtree_end;
        Some(node)
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left as usize, Some(self.left as usize))
    }
}

impl ExactSizeIterator for Nodes<'_> {}
